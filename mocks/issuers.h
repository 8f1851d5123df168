/* The token issuers of the MCP authorization extensions that are not
 * authorization servers of the MCP server: the workload issuer of
 * workload identity federation (a platform that signs workload JWTs) and
 * the enterprise identity provider of enterprise-managed authorization
 * (an OpenID provider whose token endpoint exchanges an ID token for an
 * ID-JAG, RFC 8693). Each has its own origin, ES256 key and JWKS; the
 * world's authorization servers trust both (mocks/as_jwtbearer.c).
 * Callers hold mo_shared.lock unless a function says otherwise. */
#ifndef MO_ISSUERS_H
#define MO_ISSUERS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/jwk.h"

struct mo_shared;

#define MO_GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define MO_GRANT_TOKEN_EXCHANGE                                                \
    "urn:ietf:params:oauth:grant-type:token-exchange"
#define MO_TT_ID_JAG "urn:ietf:params:oauth:token-type:id-jag"
#define MO_TT_ID_TOKEN "urn:ietf:params:oauth:token-type:id_token"
#define MO_TYP_ID_JAG "oauth-id-jag+jwt"

enum mo_issuer_kind { MO_ISSUER_WORKLOAD, MO_ISSUER_IDP };

/* One issuer: owned by the world (mo_issuer_free). */
struct mo_issuer {
    enum mo_issuer_kind kind;
    struct mo_shared *sh;
    struct mo_httpd *httpd;
    char *issuer;       /* its origin, the `iss` of what it signs */
    struct ac_jwk *key; /* ES256, private */
    json_t *conf;       /* the scenario block, defaults filled */
    char *file;         /* workload: where the current JWT is written, or
                           NULL (mo_issuer_set_file) */
    char *aud;          /* workload: the audience of the file's JWT */
};

/* Start an issuer from its scenario block (`conf` borrowed: copied) on
 * its own server, serving. Server names: "workload", "idp". */
bool mo_issuer_start(enum mo_issuer_kind kind, const json_t *conf,
                     struct mo_shared *sh, struct mo_issuer **out,
                     struct ac_err *err);

void mo_issuer_free(struct mo_issuer *is);

/* Member `name` of the scenario block as a string (borrowed) / integer. */
const char *mo_issuer_str(const struct mo_issuer *is, const char *name);
int64_t mo_issuer_int(const struct mo_issuer *is, const char *name);

/* A workload JWT for audience `aud` (RFC 7523 §3): iss, sub, aud, iat,
 * exp = iat + `ttl` (negative: already expired), jti. New string. */
char *mo_issuer_workload_jwt(struct mo_issuer *is, const char *aud,
                             int64_t ttl);

/* The IdP's ID token for the user (OIDC Core §2: aud = the IdP client
 * id). New string. */
char *mo_issuer_id_token(struct mo_issuer *is);

/* Workload: the file the harness gives the client (--assertion-file);
 * written now and again after every clock advance (mo_issuer_refresh). */
bool mo_issuer_set_file(struct mo_issuer *is, const char *path, const char *aud,
                        struct ac_err *err);
/* Rewrite the file with a JWT fresh at the world's clock. */
bool mo_issuer_refresh(struct mo_issuer *is);

#endif
