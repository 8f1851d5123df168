/* DPoP for the reference client (RFC 9449; ext-auth dpop-extension): the
 * proof key (ES256, made on first use, kept with the tokens in the 0600
 * store record), proofs for token requests and MCP requests (ath and the
 * MCP profile's content_digest), and the servers' nonces. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lib/client_int.h"
#include "client/lib/mutations_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/dpop.h"
#include "common/json.h"
#include "common/jwt.h"

bool dpop_wanted(const struct mcpo_client *c)
{
    const json_t *algs =
        json_object_get(c->as_meta, "dpop_signing_alg_values_supported");

    return c->dpop_opt || (json_is_array(algs) && json_array_size(algs) > 0);
}

/* RFC 9449 §5.1: ES256 unless the AS lists only RS256. */
static enum ac_jws_alg pick_alg(const struct mcpo_client *c)
{
    const json_t *algs =
        json_object_get(c->as_meta, "dpop_signing_alg_values_supported");

    if (json_is_array(algs) && json_array_size(algs) > 0 &&
        !ac_json_array_has_str(algs, "ES256") &&
        ac_json_array_has_str(algs, "RS256")) {
        return AC_JWS_RS256;
    }
    return AC_JWS_ES256;
}

/* htu: the request URI without query and fragment (RFC 9449 §4.2). */
static char *htu_of(const char *url)
{
    size_t n = strcspn(url, "?#");

    return strndup(url, n);
}

/* The key, made on first use. Borrowed, NULL with err. */
static const struct ac_jwk *dpop_key(struct mcpo_client *c, struct ac_err *err)
{
    if (c->dpop_key == NULL) {
        c->dpop_key = ac_jwk_generate(pick_alg(c), err);
    }
    return c->dpop_key;
}

char *dpop_proof_for(struct mcpo_client *c, const char *htm, const char *url,
                     const char *token, const char *body, const char *nonce,
                     struct ac_err *err)
{
    struct ac_dpop_claims cl = {.htm = htm, .nonce = nonce, .iat = ac_now()};
    const struct ac_jwk *key = dpop_key(c, err);
    char *htu = htu_of(url), *bad = NULL, *proof = NULL;

    if (key == NULL || htu == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "DPoP proof key or htu");
        goto out;
    }
    cl.htu = htu;
    cl.access_token = token;
    if (token != NULL && MUTATED("dpop-bad-ath") &&
        asprintf(&bad, "%s.", token) >= 0) {
        cl.access_token = bad;
    }
    /* MCP profile: content_digest only towards the MCP server. */
    if (token != NULL && body != NULL && !MUTATED("dpop-no-content-digest")) {
        cl.body = body;
        cl.body_len = strlen(body);
    }
    if (token != NULL && MUTATED("dpop-reuse-proof") &&
        c->dpop_last_jti != NULL) {
        cl.jti = c->dpop_last_jti;
    }
    proof = ac_dpop_proof(key, &cl, err);
    if (proof != NULL && token != NULL && MUTATED("dpop-reuse-proof") &&
        c->dpop_last_jti == NULL) {
        json_t *claims = NULL, *hdr = NULL;

        if (ac_jwt_peek_unverified(proof, &hdr, &claims, NULL)) {
            c->dpop_last_jti = strdup(ac_json_str(claims, "jti"));
        }
        json_decref(hdr);
        json_decref(claims);
    }
out:
    ac_secret_free(bad);
    free(htu);
    return proof;
}

bool dpop_take_nonce(char **slot, const struct ac_http_response *r,
                     struct ac_err *err)
{
    const char *n = ac_http_header_get(r, "DPoP-Nonce");
    char *copy;

    if (n == NULL || *n == '\0') {
        return true;
    }
    copy = strdup(n);
    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    free(*slot);
    *slot = copy;
    return true;
}

json_t *dpop_key_json(const struct mcpo_client *c)
{
    json_t *j = NULL;

    if (c->dpop_key != NULL && c->dpop_bound && !MUTATED("dpop-forget-key")) {
        j = ac_jwk_export(c->dpop_key, true, NULL);
    }
    return j != NULL ? j : json_null();
}

bool dpop_key_restore(struct mcpo_client *c, const json_t *jwk,
                      struct ac_err *err)
{
    struct ac_jwk *k;

    if (!json_is_object(jwk)) {
        return true;
    }
    k = ac_jwk_import(jwk, err);
    if (k == NULL || !ac_jwk_has_private(k)) {
        ac_jwk_free(k);
        ac_err_prefix(err, "the stored DPoP key");
        return false;
    }
    ac_jwk_free(c->dpop_key);
    c->dpop_key = k;
    return true;
}

void dpop_free(struct mcpo_client *c)
{
    ac_jwk_free(c->dpop_key);
    c->dpop_key = NULL;
    free(c->dpop_nonce_as);
    free(c->dpop_nonce_rs);
    free(c->dpop_last_jti);
    c->dpop_nonce_as = c->dpop_nonce_rs = c->dpop_last_jti = NULL;
}
