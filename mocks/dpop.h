/* DPoP at the mock servers (RFC 9449, ext-auth dpop-extension): the
 * per-server configuration (scenario "dpop"), the server nonce with its
 * rotation, the jti replay cache, and checking the DPoP header of one
 * request. Callers hold mo_shared.lock. */
#ifndef MO_DPOP_H
#define MO_DPOP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/dpop.h"
#include "mocks/httpd.h"

struct mo_dpop {
    bool on;             /* the scenario gave this server a "dpop" object */
    bool required;       /* no DPoP, no token */
    bool nonce;          /* RFC 9449 §8/§9: proofs must carry our nonce */
    bool content_digest; /* MCP profile: content_digest required */
    unsigned algs;       /* AC_JWS_* allowed for proofs */
    long rotate;         /* new nonce after this many accepted proofs, 0 */
    long uses;           /* accepted proofs under the current nonce */
    char *cur;           /* current nonce, NULL until first needed */
    json_t *jtis;        /* jkt + jti of accepted proofs (replay cache) */
    struct ac_dpop_keys *keys; /* proof keys imported so far (speed only) */
};

/* Fill `d` from the scenario's "dpop" object (borrowed; NULL: off). */
bool mo_dpop_configure(struct mo_dpop *d, const json_t *conf);

/* Forget nonce and replay cache (world reset). */
void mo_dpop_reset(struct mo_dpop *d);

void mo_dpop_free(struct mo_dpop *d);

/* The "algs" value of a challenge and the metadata list: "ES256 RS256".
 * Borrowed static text. */
const char *mo_dpop_algs_text(const struct mo_dpop *d);

/* dpop_signing_alg_values_supported (RFC 9449 §5.1): a new array. */
json_t *mo_dpop_algs_json(const struct mo_dpop *d);

enum mo_dpop_outcome {
    MO_DPOP_ABSENT,    /* no DPoP header */
    MO_DPOP_OK,        /* valid; *jkt set */
    MO_DPOP_INVALID,   /* invalid_dpop_proof; why filled */
    MO_DPOP_USE_NONCE, /* use_dpop_nonce; add the DPoP-Nonce header */
    MO_DPOP_ERROR,     /* our failure */
};

/* Check the request's DPoP header. `access_token` (for ath) and whether
 * content_digest applies depend on the caller (AS: NULL, false). `now` is
 * the world's clock. *jkt is a new string on MO_DPOP_OK. */
enum mo_dpop_outcome mo_dpop_check(struct mo_dpop *d, const struct mo_req *req,
                                   const char *access_token, bool digest,
                                   int64_t now, char **jkt, char *why,
                                   size_t whylen);

/* Add "DPoP-Nonce: <current>" when the server uses nonces (creating the
 * first one on demand). False on our failure. */
bool mo_dpop_nonce_header(struct mo_dpop *d, struct mo_reply *rep);

#endif
