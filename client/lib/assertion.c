/* private_key_jwt client authentication (RFC 7523 §2.2, §3; OpenID
 * Connect Core §9): a short-lived JWT signed with the client's private key
 * (common/jwk.h, common/jwt.h), sent as client_assertion with
 * client_assertion_type jwt-bearer in token, refresh, client credentials
 * and revocation requests; and the choice of when to use it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/lib/authorize_int.h"
#include "client/lib/client_int.h"
#include "client/lib/mutations_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"

#define ASSERTION_TTL_S 60 /* short-lived: RFC 7523 §3 item 4 */
#define JTI_BYTES 16

char *assertion_new(const struct ac_jwk *key, const char *client_id,
                    const char *audience, struct ac_err *err)
{
    json_t *claims = NULL;
    char *jti = NULL, *jwt = NULL;
    int64_t now = ac_now();

    if (key == NULL || !ac_jwk_has_private(key)) {
        AC_ERR(err, AC_ERR_USAGE, "private_key_jwt needs a private key");
        return NULL;
    }
    jti = ac_random_token(JTI_BYTES, err);
    if (jti == NULL) {
        goto out;
    }
    /* RFC 7523 §3: iss and sub are the client_id; aud identifies the AS.
     * RFC 7523bis and the MCP conformance suite want the issuer
     * identifier there (the token endpoint URL is ambiguous across
     * endpoints); exp bounds it, jti makes it single-use. */
    char sub[512];
    snprintf(sub, sizeof sub, "%s%s",
             MUTATED("jwt-sub-not-client-id") ? "not-" : "", client_id);
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", client_id,
                       "sub", sub, "aud", audience, "iat", (json_int_t)now,
                       "exp", (json_int_t)(now + ASSERTION_TTL_S), "jti", jti);
    if (claims == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building the client assertion");
        goto out;
    }
    jwt = ac_jwt_sign(key, "JWT", claims, err);
    if (jwt == NULL) {
        ac_err_prefix(err, "signing the client assertion");
    }
out:
    json_decref(claims);
    free(jti);
    return jwt;
}

bool assertion_add(const struct mcpo_client *c, struct ac_form *f,
                   struct ac_err *err)
{
    /* The issuer is the audience; without metadata (2025-03-26 default
     * endpoints) it is the origin we assumed as issuer. */
    const char *aud = c->issuer != NULL
                          ? c->issuer
                          : ac_json_str(c->as_meta, "token_endpoint");
    char *jwt = NULL;
    bool ok = false;

    if (aud == NULL) {
        AC_ERR(err, AC_ERR_STATE, "no issuer for the client assertion");
        return false;
    }
    jwt = assertion_new(c->signing_key, c->client_id, aud, err);
    /* RFC 7521 §4.2: client_id MAY accompany the assertion. */
    ok = jwt != NULL && ac_form_add(f, "client_id", c->client_id, err) &&
         ac_form_add(f, "client_assertion_type",
                     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                     err) &&
         ac_form_add(f, "client_assertion", jwt, err);
    ac_secret_free(jwt);
    return ok;
}

bool assertion_wanted(const struct mcpo_client *c)
{
    const json_t *m;
    if (c->signing_key == NULL) {
        return false;
    }
    if (c->token_auth_method != NULL) {
        return strcmp(c->token_auth_method, "private_key_jwt") == 0;
    }
    if (c->client_secret == NULL) {
        return true; /* the key is the only credential we have */
    }
    /* Both a secret and a key: the key when the AS accepts it. */
    m = json_object_get(c->as_meta, "token_endpoint_auth_methods_supported");
    return ac_json_array_has_str(m, "private_key_jwt");
}
