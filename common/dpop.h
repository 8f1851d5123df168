/* DPoP proofs (RFC 9449) with the MCP profile's content_digest claim
 * (ext-auth dpop-extension): created by the reference client, verified by
 * the mock authorization and MCP servers.
 *
 * A proof is a JWS typed "dpop+jwt" whose header carries the public key
 * ("jwk") that verifies it; the key's RFC 7638 thumbprint ("jkt") is what an
 * access token is bound to (RFC 9449 §6.1, cnf.jkt). */
#ifndef AC_DPOP_H
#define AC_DPOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/jwk.h"

/* What a new proof says. `access_token` (ath, RFC 9449 §4.2), `nonce` and
 * `body` (content_digest) may be NULL; `jti` NULL: a fresh random one;
 * `iat` is seconds since the epoch. */
struct ac_dpop_claims {
    const char *htm, *htu;
    const char *access_token;
    const char *nonce;
    const char *body;
    size_t body_len;
    const char *jti;
    int64_t iat;
};

/* Sign a proof with `key` (private part required). The header is
 * {"typ": "dpop+jwt", "alg", "jwk": the public key}. A new string (free())
 * or NULL. */
char *ac_dpop_proof(const struct ac_jwk *key, const struct ac_dpop_claims *c,
                    struct ac_err *err);

/* base64url(SHA-256(token)): the "ath" claim. New string or NULL. */
char *ac_dpop_ath(const char *access_token);

/* "sha-256=:<base64 SHA-256 of body>:" (RFC 9530 §2): the MCP profile's
 * content_digest claim. New string or NULL. */
char *ac_dpop_content_digest(const char *body, size_t len);

/* Proof keys already imported, by the exact text of the header's jwk: a
 * client signs every proof with one key (RFC 9449 §2), and importing it
 * is a third of a proof's verification. The last few keys are kept;
 * thread-safe. */
struct ac_dpop_keys;

struct ac_dpop_keys *ac_dpop_keys_new(void);
void ac_dpop_keys_free(struct ac_dpop_keys *keys);

/* What a verifier requires of a proof (RFC 9449 §4.3). */
struct ac_dpop_expect {
    unsigned algs;      /* allowed AC_JWS_* bits */
    const char *htm;    /* request method */
    const char *htu;    /* request URI without query and fragment */
    int64_t now;        /* verifier's clock */
    int64_t window;     /* |iat - now| <= window seconds */
    const char *ath_of; /* access token presented, or NULL (no ath) */
    const char *nonce;  /* nonce the proof must carry, or NULL */
    const char *body;   /* request body for content_digest, or NULL */
    size_t body_len;
    bool require_digest;       /* MCP profile: content_digest must be present */
    struct ac_dpop_keys *keys; /* NULL: import the jwk of every proof */
};

/* What a valid proof told. Strings owned: ac_dpop_seen_free. */
struct ac_dpop_seen {
    char *jkt; /* thumbprint of the header's jwk */
    char *jti;
    char *nonce; /* NULL when absent */
    int64_t iat;
};

enum ac_dpop_verdict {
    AC_DPOP_VALID,
    AC_DPOP_INVALID,   /* invalid_dpop_proof; err says why */
    AC_DPOP_BAD_NONCE, /* use_dpop_nonce: nonce missing or stale */
    AC_DPOP_FAILED,    /* our failure (out of memory, OpenSSL) */
};

/* Verify `proof` against `x`; on AC_DPOP_VALID (and AC_DPOP_BAD_NONCE)
 * `out` is filled. The jwk must be public (no "d"), the signature valid
 * under it with an allowed alg, typ "dpop+jwt", jti/htm/htu/iat present,
 * htm and htu equal, iat within the window, ath equal when `ath_of`,
 * content_digest equal when present or required. jti replay is the
 * caller's (it owns the cache). */
enum ac_dpop_verdict ac_dpop_verify(const char *proof,
                                    const struct ac_dpop_expect *x,
                                    struct ac_dpop_seen *out,
                                    struct ac_err *err);

void ac_dpop_seen_free(struct ac_dpop_seen *s);

#endif
