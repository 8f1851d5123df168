/* The token endpoint: the authorization code exchange (RFC 6749 §4.1.3,
 * RFC 7636 §4.5, RFC 8707 §2), client authentication (RFC 6749 §2.3.1)
 * and the validation of token responses (RFC 6749 §5.1, §5.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lib/authorize_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/b64url.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"

void token_set_free(struct token_set *t)
{
    ac_secret_free(t->access_token);
    ac_secret_free(t->refresh_token);
    free(t->token_type);
    free(t->scope);
    memset(t, 0, sizeof *t);
}

/* How a token request failed, for the caller's recovery (refresh.c). */
static enum token_fail classify(long status, const char *e)
{
    if (e != NULL && strcmp(e, "invalid_grant") == 0) {
        return TF_INVALID_GRANT;
    }
    if (e != NULL && strcmp(e, "invalid_client") == 0) {
        return TF_INVALID_CLIENT;
    }
    return status >= 500 ? TF_SERVER : TF_OTHER;
}

static void token_error(long status, const json_t *doc, struct ac_err *err)
{
    const char *e = ac_json_str(doc, "error");
    const char *d = ac_json_str(doc, "error_description");
    AC_ERR(err, AC_ERR_PROTOCOL,
           "token endpoint answered HTTP %ld%s%s%s%.100s%s", status,
           e != NULL ? " with error \"" : "", e != NULL ? e : "",
           e != NULL ? "\"" : "", d != NULL ? ": " : "", d != NULL ? d : "");
    if (status == 200 && e != NULL) {
        ac_err_prefix(err, "an error in a 200 response (RFC 6749 §5.2 "
                           "errors are 400)");
    }
}

static bool dup_member(const json_t *doc, const char *name, char **out,
                       struct ac_err *err)
{
    const char *v = ac_json_str(doc, name);
    *out = NULL;
    if (v != NULL && (*out = strdup(v)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    return true;
}

bool token_parse(long status, const char *body, size_t len,
                 struct token_set *out, struct ac_err *err)
{
    json_t *doc = ac_json_parse_object(body, len, status == 200 ? err : NULL);
    bool ok = false;

    memset(out, 0, sizeof *out);
    out->expires_in = -1;
    if (status != 200 || doc == NULL || json_object_get(doc, "error")) {
        out->fail = classify(status, ac_json_str(doc, "error"));
        if (status != 200 || doc != NULL) {
            token_error(status, doc, err);
        } else {
            ac_err_prefix(err, "token response (RFC 6749 §5.1: JSON)");
        }
        goto out;
    }
    if (!dup_member(doc, "access_token", &out->access_token, err) ||
        !dup_member(doc, "refresh_token", &out->refresh_token, err) ||
        !dup_member(doc, "token_type", &out->token_type, err) ||
        !dup_member(doc, "scope", &out->scope, err)) {
        goto out;
    }
    if (out->access_token == NULL || *out->access_token == '\0') {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "token response has no access_token (RFC 6749 §5.1)");
        goto out;
    }
    /* RFC 6749 §5.1: token_type is case-insensitive; MCP uses Bearer, and
     * DPoP (RFC 9449 §5) for a bound token (token_post judges whether we
     * asked for one). */
    if (out->token_type == NULL || (strcasecmp(out->token_type, "Bearer") &&
                                    strcasecmp(out->token_type, "DPoP"))) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "token response token_type is %s%s%s, not Bearer (RFC 6749 "
               "§5.1, RFC 6750)",
               out->token_type != NULL ? "\"" : "",
               out->token_type != NULL ? out->token_type : "missing",
               out->token_type != NULL ? "\"" : "");
        goto out;
    }
    const json_t *ei = json_object_get(doc, "expires_in");
    if (json_is_integer(ei)) {
        out->expires_in = (long)json_integer_value(ei);
    }
    ok = true;
out:
    json_decref(doc);
    if (!ok) {
        enum token_fail f = out->fail != TF_NONE ? out->fail : TF_OTHER;
        token_set_free(out);
        out->fail = f;
    }
    return ok;
}

/* RFC 6749 §2.3.1: which client authentication to use. */
static const char *auth_method(const struct mcpo_client *c)
{
    if (assertion_wanted(c)) {
        return "private_key_jwt"; /* RFC 7523 §2.2 */
    }
    if (c->client_secret == NULL) {
        return "none";
    }
    if (c->token_auth_method != NULL &&
        strcmp(c->token_auth_method, "private_key_jwt") != 0) {
        if (MUTATED("secret-in-body-for-basic") &&
            strcmp(c->token_auth_method, "client_secret_basic") == 0) {
            return "client_secret_post";
        }
        return c->token_auth_method;
    }
    const json_t *m =
        json_object_get(c->as_meta, "token_endpoint_auth_methods_supported");
    /* RFC 8414 §2: absent means client_secret_basic. */
    if (m == NULL || ac_json_array_has_str(m, "client_secret_basic")) {
        return MUTATED("secret-in-body-for-basic") ? "client_secret_post"
                                                   : "client_secret_basic";
    }
    return ac_json_array_has_str(m, "client_secret_post")
               ? "client_secret_post"
               : "client_secret_basic";
}

/* "Authorization: Basic ..." of form-encoded id and secret. New string. */
static char *basic_header(const char *id, const char *secret)
{
    char *eid = ac_pct_encode(id), *esec = ac_pct_encode(secret);
    char *pair = NULL, *b64 = NULL, *hdr = NULL;
    if (eid != NULL && esec != NULL &&
        asprintf(&pair, "%s:%s", eid, esec) >= 0) {
        b64 = ac_b64_encode(pair, strlen(pair));
        if (b64 == NULL || asprintf(&hdr, "Authorization: Basic %s", b64) < 0) {
            hdr = NULL;
        }
    }
    free(eid);
    ac_secret_free(esec);
    ac_secret_free(pair);
    ac_secret_free(b64);
    return hdr;
}

/* Client identification in a form, for the methods that use the body. */
static bool add_client(const struct mcpo_client *c, const char *method,
                       struct ac_form *f, struct ac_err *err)
{
    if (strcmp(method, "private_key_jwt") == 0) {
        return assertion_add(c, f, err);
    }
    bool ok = true;
    if (strcmp(method, "client_secret_basic") != 0) {
        ok = ac_form_add(f, "client_id", c->client_id, err);
    }
    if (ok && strcmp(method, "client_secret_post") == 0) {
        ok = ac_form_add(f, "client_secret", c->client_secret, err);
    }
    return ok;
}

static bool code_form(const struct mcpo_client *c, const char *code,
                      const char *verifier, const char *method,
                      struct ac_form *f, struct ac_err *err)
{
    bool ok = ac_form_add(f, "grant_type", "authorization_code", err) &&
              ac_form_add(f, "code", code, err) &&
              ac_form_add(f, "redirect_uri",
                          MUTATED("token-redirect-uri-mismatch")
                              ? "http://127.0.0.1/other"
                              : c->redirect_uri,
                          err) &&
              add_client(c, method, f, err);
    if (ok && verifier != NULL) {
        ok = ac_form_add(f, "code_verifier", verifier, err);
    }
    if (ok && !MUTATED("no-resource")) {
        ok = ac_form_add(f, "resource", discovery_resource_param(c), err);
    }
    return ok;
}

/* POST a form to endpoint `ep` with client authentication `method`. */
static bool form_post(struct mcpo_client *c, const char *ep,
                      const struct ac_form *f, const char *method,
                      struct ac_http_response *resp, struct ac_err *err)
{
    const char *hdrs[5] = {"Content-Type: application/x-www-form-urlencoded",
                           "Accept: application/json", NULL, NULL, NULL};
    char *body = ac_form_encode(f), *auth = NULL, *dpop = NULL;
    bool ok = false;

    memset(resp, 0, sizeof *resp);
    if (strcmp(method, "client_secret_basic") == 0 &&
        (auth = basic_header(c->client_id, c->client_secret)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    if (body == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    /* RFC 9449 §5: a proof on every token request (code, refresh,
     * client credentials) when DPoP is in use. */
    if (dpop_wanted(c) && !MUTATED("dpop-no-token-proof") &&
        strcmp(ep, ac_json_str(c->as_meta, "token_endpoint")) == 0) {
        char *proof =
            dpop_proof_for(c, "POST", ep, NULL, NULL, c->dpop_nonce_as, err);

        if (proof == NULL || asprintf(&dpop, "DPoP: %s", proof) < 0) {
            free(proof);
            dpop = NULL;
            goto out;
        }
        free(proof);
    }
    hdrs[auth != NULL ? 2 : 3] = auth;
    hdrs[auth != NULL ? 3 : 2] = dpop;
    ok = http_request(c, "POST", ep, hdrs, body, resp, err);
out:
    ac_secret_free(body);
    ac_secret_free(auth);
    free(dpop);
    return ok;
}

/* RFC 9449 §8: keep the token endpoint's DPoP-Nonce; after a 400
 * use_dpop_nonce, send the request once more with a proof carrying it. */
static bool dpop_nonce_retry(struct mcpo_client *c, const struct ac_form *f,
                             const char *method, const char *ep,
                             struct ac_http_response *resp, struct ac_err *err)
{
    json_t *doc;
    bool again;

    if (!dpop_take_nonce(&c->dpop_nonce_as, resp, err)) {
        return false;
    }
    doc = resp->status == 400
              ? ac_json_parse_object(resp->body, resp->body_len, NULL)
              : NULL;
    again = ac_json_str(doc, "error") != NULL &&
            strcmp(ac_json_str(doc, "error"), "use_dpop_nonce") == 0 &&
            ac_http_header_get(resp, "DPoP-Nonce") != NULL &&
            !MUTATED("dpop-ignore-as-nonce");
    json_decref(doc);
    if (!again) {
        return true;
    }
    http_trace_note("token endpoint asked for a DPoP nonce: retrying");
    ac_http_response_free(resp);
    return form_post(c, ep, f, method, resp, err) &&
           dpop_take_nonce(&c->dpop_nonce_as, resp, err);
}

/* A DPoP token_type only when we sent a proof (RFC 9449 §5); remember
 * whether the new token is bound. */
static bool dpop_type_ok(struct mcpo_client *c, const struct token_set *t,
                         struct ac_err *err)
{
    bool dpop = strcasecmp(t->token_type, "DPoP") == 0;

    if (dpop && !dpop_wanted(c)) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "token response token_type is DPoP but no proof was sent "
               "(RFC 9449 §5)");
        return false;
    }
    return true;
}

/* A response's Retry-After in milliseconds (RFC 9110 §10.2.3), -1 when
 * absent or not delta-seconds (an HTTP-date is not worth a clock
 * comparison here: the caller's own backoff applies). */
static long retry_after_ms(const struct ac_http_response *resp)
{
    const char *v = ac_http_header_get(resp, "Retry-After");
    char *end = NULL;
    long s;

    if (v == NULL || *v < '0' || *v > '9') {
        return -1;
    }
    s = strtol(v, &end, 10);
    while (end != NULL && (*end == ' ' || *end == '\t')) {
        end++;
    }
    if (end == NULL || *end != '\0' || s < 0 || s > 86400) {
        return -1;
    }
    return s * 1000;
}

/* POST a token request form; parse the answer into `t` (t->fail says why
 * it failed). */
static bool token_post(struct mcpo_client *c, const struct ac_form *f,
                       const char *method, struct token_set *t,
                       struct ac_err *err)
{
    struct ac_http_response resp = {0};
    const char *ep = ac_json_str(c->as_meta, "token_endpoint");
    bool ok = false;

    memset(t, 0, sizeof *t);
    if (!form_post(c, ep, f, method, &resp, err)) {
        t->fail = TF_NET;
        goto out;
    }
    if (dpop_wanted(c) && !dpop_nonce_retry(c, f, method, ep, &resp, err)) {
        t->fail = TF_NET;
        goto out;
    }
    ok = token_parse(resp.status, resp.body, resp.body_len, t, err) &&
         dpop_type_ok(c, t, err);
out:
    c->token_fail = ok ? TF_NONE : t->fail;
    c->retry_after_ms = ok ? -1 : retry_after_ms(&resp);
    ac_http_response_free(&resp);
    return ok;
}

/* Keep a token response: the new access token, the new refresh token (or
 * the old one when none was issued, RFC 6749 §6), the absolute expiry and
 * the granted scope (RFC 6749 §5.1: absent means as requested). */
static bool token_take(struct mcpo_client *c, struct token_set *t,
                       struct ac_err *err)
{
    c->dpop_bound = t->token_type != NULL && !strcasecmp(t->token_type, "DPoP");
    ac_secret_free(c->access_token);
    c->access_token = t->access_token;
    t->access_token = NULL;
    if (t->refresh_token != NULL &&
        !(MUTATED("reuse-old-refresh-token") && c->refresh_token != NULL)) {
        ac_secret_free(c->refresh_token);
        c->refresh_token = t->refresh_token;
        t->refresh_token = NULL;
    }
    c->expires_at = t->expires_in >= 0 ? ac_now() + t->expires_in : 0;
    return str_set(&c->granted_scope,
                   t->scope != NULL ? t->scope : c->requested_scope, err);
}

bool token_exchange_code(struct mcpo_client *c, const char *code,
                         const char *verifier, struct ac_err *err)
{
    struct ac_form f;
    struct token_set t = {0};
    const char *method = auth_method(c);
    bool ok = false;

    ac_form_init(&f);
    if (!code_form(c, code, verifier, method, &f, err) ||
        !token_post(c, &f, method, &t, err)) {
        goto out;
    }
    if (MUTATED("redeem-code-twice")) {
        struct token_set again = {0};
        struct ac_err ignored;
        enum token_fail keep = c->token_fail;
        token_post(c, &f, method, &again, &ignored);
        token_set_free(&again);
        c->token_fail = keep;
    }
    /* A fresh grant: any refresh token of an earlier grant is obsolete. */
    ac_secret_free(c->refresh_token);
    c->refresh_token = NULL;
    ok = token_take(c, &t, err);
out:
    token_set_free(&t);
    ac_form_free(&f);
    return ok;
}

/* widen-refresh-scope: ask the refresh for more than was granted
 * (RFC 6749 §6 forbids it). */
static bool widen(const struct mcpo_client *c, struct ac_form *f,
                  struct ac_err *err)
{
    char *s = NULL;
    const char *g = c->granted_scope != NULL ? c->granted_scope : "";
    bool ok = asprintf(&s, "%s%smcp:widened", g, *g != '\0' ? " " : "") >= 0 &&
              ac_form_add(f, "scope", s, err);
    free(s);
    return ok;
}

bool token_refresh(struct mcpo_client *c, struct ac_err *err)
{
    struct ac_form f;
    struct token_set t = {0};
    const char *method = auth_method(c);
    bool ok = false;

    c->token_fail = TF_INVALID_GRANT;
    if (c->refresh_token == NULL || MUTATED("never-refresh")) {
        AC_ERR(err, AC_ERR_STATE, "no refresh token");
        return false;
    }
    ac_form_init(&f);
    /* RFC 6749 §6; RFC 8707 §2.2: the resource may be named again. */
    if (!ac_form_add(&f, "grant_type", "refresh_token", err) ||
        !ac_form_add(&f, "refresh_token", c->refresh_token, err) ||
        !add_client(c, method, &f, err) ||
        (!MUTATED("no-resource") &&
         !ac_form_add(&f, "resource", discovery_resource_param(c), err)) ||
        (MUTATED("widen-refresh-scope") && !widen(c, &f, err)) ||
        !token_post(c, &f, method, &t, err)) {
        ac_err_prefix(err, "refreshing the access token");
        goto out;
    }
    ok = token_take(c, &t, err);
out:
    token_set_free(&t);
    ac_form_free(&f);
    return ok;
}

bool token_client_credentials(struct mcpo_client *c, const char *scope,
                              struct ac_err *err)
{
    struct ac_form f;
    struct token_set t = {0};
    const char *method = auth_method(c);
    bool ok = false;

    ac_form_init(&f);
    /* RFC 6749 §4.4.2 */
    if (!ac_form_add(&f, "grant_type", "client_credentials", err) ||
        !add_client(c, method, &f, err) ||
        (scope != NULL && !ac_form_add(&f, "scope", scope, err)) ||
        (!MUTATED("no-resource") &&
         !ac_form_add(&f, "resource", discovery_resource_param(c), err)) ||
        !token_post(c, &f, method, &t, err)) {
        ac_err_prefix(err, "client credentials grant");
        goto out;
    }
    ok = str_set(&c->requested_scope, scope, err) && token_take(c, &t, err);
out:
    token_set_free(&t);
    ac_form_free(&f);
    return ok;
}

bool token_jwt_bearer(struct mcpo_client *c, const char *assertion,
                      const char *scope, struct ac_err *err)
{
    struct ac_form f;
    struct token_set t = {0};
    const char *method = c->client_id != NULL ? auth_method(c) : "none";
    /* A common confusion: the client-assertion *type* URN as a grant. */
    const char *gt =
        MUTATED("wif-wrong-grant-type")
            ? "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            : "urn:ietf:params:oauth:grant-type:jwt-bearer";
    bool ok = false;

    ac_form_init(&f);
    /* RFC 7523 §2.1; WIF "Token Endpoint": grant_type, assertion and the
     * MCP server as resource. */
    if (!ac_form_add(&f, "grant_type", gt, err) ||
        !ac_form_add(&f, "assertion", assertion, err) ||
        (c->client_id != NULL && !add_client(c, method, &f, err)) ||
        (scope != NULL && !ac_form_add(&f, "scope", scope, err)) ||
        (!MUTATED("no-resource") &&
         !ac_form_add(&f, "resource", discovery_resource_param(c), err)) ||
        !token_post(c, &f, method, &t, err)) {
        ac_err_prefix(err, "JWT bearer grant");
        goto out;
    }
    /* The assertion is the grant: an old refresh token is obsolete. */
    ac_secret_free(c->refresh_token);
    c->refresh_token = NULL;
    ok = str_set(&c->requested_scope, scope, err) && token_take(c, &t, err);
out:
    token_set_free(&t);
    ac_form_free(&f);
    return ok;
}

bool token_post_to(struct mcpo_client *c, const char *url,
                   const struct ac_form *f, const char *basic_id,
                   const char *basic_secret, struct ac_http_response *resp,
                   struct ac_err *err)
{
    const char *hdrs[4] = {"Content-Type: application/x-www-form-urlencoded",
                           "Accept: application/json", NULL, NULL};
    char *body = ac_form_encode(f), *auth = NULL;
    bool ok = false;

    memset(resp, 0, sizeof *resp);
    if (body == NULL ||
        (basic_secret != NULL &&
         (auth = basic_header(basic_id, basic_secret)) == NULL)) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    hdrs[2] = auth;
    ok = http_request(c, "POST", url, hdrs, body, resp, err);
out:
    ac_secret_free(body);
    ac_secret_free(auth);
    return ok;
}

bool token_revoke(struct mcpo_client *c, const char *token, const char *hint,
                  struct ac_err *err)
{
    struct ac_form f;
    struct ac_http_response resp = {0};
    const char *ep = ac_json_str(c->as_meta, "revocation_endpoint");
    const char *method = auth_method(c);
    bool ok = false;

    if (ep == NULL || token == NULL) {
        return true; /* nothing to revoke, or nowhere to do it */
    }
    ac_form_init(&f);
    /* RFC 7009 §2.1: token, token_type_hint, client authentication. */
    if (!ac_form_add(&f, "token", token, err) ||
        !ac_form_add(&f, "token_type_hint", hint, err) ||
        !add_client(c, method, &f, err) ||
        !form_post(c, ep, &f, method, &resp, err)) {
        goto out;
    }
    /* RFC 7009 §2.2: 200 whether or not the token was known. */
    if (resp.status != 200) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "revocation endpoint answered HTTP %ld (RFC 7009 §2.2)",
               resp.status);
        goto out;
    }
    ok = true;
out:
    ac_http_response_free(&resp);
    ac_form_free(&f);
    return ok;
}
