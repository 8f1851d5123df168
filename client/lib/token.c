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
    /* RFC 6749 §5.1: token_type is case-insensitive; MCP uses Bearer. */
    if (out->token_type == NULL || strcasecmp(out->token_type, "Bearer")) {
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
        token_set_free(out);
    }
    return ok;
}

/* RFC 6749 §2.3.1: which client authentication to use. */
static const char *auth_method(const struct mcpo_client *c)
{
    if (c->client_secret == NULL) {
        return "none";
    }
    if (c->token_auth_method != NULL) {
        return c->token_auth_method;
    }
    const json_t *m =
        json_object_get(c->as_meta, "token_endpoint_auth_methods_supported");
    /* RFC 8414 §2: absent means client_secret_basic. */
    if (m == NULL || ac_json_array_has_str(m, "client_secret_basic")) {
        return "client_secret_basic";
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

static bool code_form(const struct mcpo_client *c, const char *code,
                      const char *verifier, const char *method,
                      struct ac_form *f, struct ac_err *err)
{
    bool ok = ac_form_add(f, "grant_type", "authorization_code", err) &&
              ac_form_add(f, "code", code, err) &&
              ac_form_add(f, "redirect_uri", c->redirect_uri, err);
    if (ok && strcmp(method, "client_secret_basic") != 0) {
        ok = ac_form_add(f, "client_id", c->client_id, err);
    }
    if (ok && strcmp(method, "client_secret_post") == 0) {
        ok = ac_form_add(f, "client_secret", c->client_secret, err);
    }
    if (ok && verifier != NULL) {
        ok = ac_form_add(f, "code_verifier", verifier, err);
    }
    if (ok && !MUTATED("no-resource")) {
        ok = ac_form_add(f, "resource", c->resource, err);
    }
    return ok;
}

/* POST a token request form; parse the answer into `t`. */
static bool token_post(struct mcpo_client *c, const struct ac_form *f,
                       const char *method, struct token_set *t,
                       struct ac_err *err)
{
    const char *hdrs[4] = {"Content-Type: application/x-www-form-urlencoded",
                           "Accept: application/json", NULL, NULL};
    struct ac_http_response resp = {0};
    char *body = ac_form_encode(f), *auth = NULL;
    const char *ep = ac_json_str(c->as_meta, "token_endpoint");
    bool ok = false;

    if (strcmp(method, "client_secret_basic") == 0) {
        auth = basic_header(c->client_id, c->client_secret);
        hdrs[2] = auth;
        if (auth == NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "oom");
            goto out;
        }
    }
    if (body == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    if (!http_request(c, "POST", ep, hdrs, body, &resp, err) ||
        !token_parse(resp.status, resp.body, resp.body_len, t, err)) {
        goto out;
    }
    ok = true;
out:
    ac_secret_free(body);
    ac_secret_free(auth);
    ac_http_response_free(&resp);
    return ok;
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
    ac_secret_free(c->access_token);
    ac_secret_free(c->refresh_token);
    c->access_token = t.access_token;
    c->refresh_token = t.refresh_token;
    c->expires_in = t.expires_in;
    t.access_token = t.refresh_token = NULL;
    ok = true;
out:
    token_set_free(&t);
    ac_form_free(&f);
    return ok;
}
