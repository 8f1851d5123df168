/* The server-side checks (server.h): one probe per check, each making a
 * bounded number of requests through server.c's helpers, and their
 * registry. A probe sets HC_SUCCESS, HC_FAILURE (the requirement was
 * violated, whatever the level: hsv_run maps it), or HC_SKIPPED with the
 * reason (what the user did not give, what the server does not offer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/json.h"
#include "common/url.h"
#include "common/wwwauth.h"
#include "harness/server_int.h"

#define MCP_SPEC "2025-11-25"
#define MCP_AUTH                                                               \
    "https://modelcontextprotocol.io/specification/2025-11-25/basic/"          \
    "authorization"
#define RFC(n, sec) "https://www.rfc-editor.org/rfc/rfc" #n "#section-" sec
#define OAUTH21 "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13"
#define CIMD                                                                   \
    "https://modelcontextprotocol.io/specification/draft/basic/"               \
    "authorization/client-registration"
#define CC                                                                     \
    "https://modelcontextprotocol.io/extensions/auth/oauth-client-credentials"

#define WHY 256

/* --- helpers ---------------------------------------------------------- */

bool hsv_need_md(struct hsv_ctx *x, struct hc_result *r)
{
    if (!hsv_discover(x)) {
        hsv_set(r, x->issuer != NULL ? HC_FAILURE : HC_SKIPPED, "%s",
                x->disc_why);
        return false;
    }
    return true;
}

struct hsv_client *hsv_need_pub(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c;

    if (!hsv_need_md(x, r)) {
        return NULL;
    }
    if ((c = hsv_client_pub(x)) == NULL) {
        hsv_set(r, HC_SKIPPED, "no client: %s", x->pub.why);
    }
    return c;
}

bool hsv_need_mcp(struct hsv_ctx *x, struct hc_result *r)
{
    if (x->o->mcp_url == NULL) {
        hsv_set(r, HC_SKIPPED, "needs --mcp URL");
        return false;
    }
    hsv_discover(x);
    return true;
}

/* Authorize as `c`; true with a code. Otherwise r says why: SKIPPED when
 * we could not get past the user's part, FAILURE when the server refused
 * a valid request. */
bool hsv_get_code(struct hsv_ctx *x, struct hc_result *r,
                  const struct hsv_client *c, const struct hsv_authz_opts *ao,
                  struct hsv_authz *a)
{
    static const struct hsv_authz_opts none = {0};

    hsv_authorize(x, c, ao != NULL ? ao : &none, a);
    if (a->kind == AZ_CODE) {
        return true;
    }
    if (a->kind == AZ_USER || a->kind == AZ_NET) {
        hsv_set(r, HC_SKIPPED, "could not get an authorization code: %s",
                a->why);
    } else if (a->kind == AZ_ERROR) {
        hsv_set(r, HC_FAILURE, "a valid authorization request was refused: %s",
                a->error ? a->error : "(no error)");
    } else {
        hsv_set(r, HC_FAILURE,
                "a valid authorization request did not come back to the "
                "redirect URI (HTTP %ld) %s",
                a->status, a->why);
    }
    return false;
}

const char *hsv_err_code(const json_t *doc)
{
    const char *e = ac_json_str(doc, "error");
    return e != NULL ? e : "(none)";
}

/* POST the token endpoint; *doc the JSON body (new or NULL). */
static bool token_call(struct hsv_ctx *x, struct hc_result *r,
                       const struct hsv_client *c, const char *form,
                       struct ac_http_response *resp, json_t **doc)
{
    char why[WHY];

    *doc = NULL;
    if (form == NULL || !hsv_token(x, c, form, resp, why, sizeof(why))) {
        hsv_set(r, HC_FAILURE, "token endpoint: %s",
                form ? why : "out of memory");
        return false;
    }
    *doc = hsv_json_body(resp);
    return true;
}

/* Exactly an RFC 6749 §5.2 error: 400 (401 for invalid_client), a JSON
 * object, the expected code (any of `want`, "|"-separated). */
static bool is_error(const struct ac_http_response *resp, const json_t *doc,
                     const char *want)
{
    const char *e = ac_json_str(doc, "error");
    size_t n = e ? strlen(e) : 0;

    if (resp->status != 400 && resp->status != 401) {
        return false;
    }
    for (const char *p = want; e != NULL && *p != '\0';) {
        size_t seg = strcspn(p, "|");
        if (seg == n && strncmp(p, e, n) == 0) {
            return true;
        }
        p += seg + (p[seg] == '|');
    }
    return false;
}

/* Problems of a successful token response (RFC 6749 §5.1), appended. */
static void token_problems(const struct ac_http_response *resp,
                           const json_t *doc, char *out, size_t n)
{
    const char *ct = ac_http_header_get(resp, "Content-Type");
    const char *cc = ac_http_header_get(resp, "Cache-Control");
    const char *tt = ac_json_str(doc, "token_type");
    size_t len = strlen(out);

#define ADD(...)                                                               \
    (len += (size_t)snprintf(out + len, len < n ? n - len : 0, __VA_ARGS__))
    if (resp->status != 200) {
        ADD("status %ld, not 200; ", resp->status);
    }
    if (ct == NULL || strstr(ct, "application/json") == NULL) {
        ADD("Content-Type %s, not application/json; ", ct ? ct : "missing");
    }
    if (cc == NULL || strstr(cc, "no-store") == NULL) {
        ADD("Cache-Control %s, not no-store; ", cc ? cc : "missing");
    }
    if (ac_json_str(doc, "access_token") == NULL) {
        ADD("no access_token; ");
    }
    if (tt == NULL || strcasecmp(tt, "Bearer") != 0) {
        ADD("token_type %s, not Bearer; ", tt ? tt : "missing");
    }
    if (json_object_get(doc, "expires_in") != NULL &&
        !json_is_integer(json_object_get(doc, "expires_in"))) {
        ADD("expires_in is not a number; ");
    }
#undef ADD
}

/* A fresh grant for `c`, or r set (SKIPPED/FAILURE). */
static bool grant(struct hsv_ctx *x, struct hc_result *r,
                  const struct hsv_client *c, const char *scope,
                  struct hsv_grant *g)
{
    hsv_new_grant(x, c, scope, g);
    if (!g->ok) {
        hsv_set(r, HC_SKIPPED, "could not obtain tokens: %s", g->why);
    }
    return g->ok;
}

/* Is the access token usable? 1 yes, 0 no, -1 we cannot tell (no MCP
 * server, no introspection). `how` names the way. */
static int token_active(struct hsv_ctx *x, const struct hsv_client *c,
                        const char *token, const char **how)
{
    struct ac_http_response resp;
    char why[WHY], *auth = NULL, *form;
    int v = -1;

    if (x->mcp_url != NULL && asprintf(&auth, "Bearer %s", token) >= 0) {
        *how = "the MCP server";
        if (hsv_mcp_call(x, auth, NULL, &resp, why, sizeof(why))) {
            v = resp.status >= 200 && resp.status < 300 ? 1
                : resp.status == 401                    ? 0
                                                        : -1;
            ac_http_response_free(&resp);
        }
        free(auth);
        return v;
    }
    *how = "introspection";
    form = hsv_form("token", token, NULL);
    if (form != NULL && hsv_endpoint(x, "introspection_endpoint") != NULL &&
        hsv_post_as(x, "introspection_endpoint", c, form, &resp, why,
                    sizeof(why))) {
        json_t *doc = hsv_json_body(&resp);
        if (resp.status == 200 &&
            json_is_boolean(json_object_get(doc, "active"))) {
            v = json_is_true(json_object_get(doc, "active"));
        }
        json_decref(doc);
        ac_http_response_free(&resp);
    }
    free(form);
    return v;
}

/* --- authorization server metadata ----------------------------------- */

static void p_md_endpoint(struct hsv_ctx *x, struct hc_result *r)
{
    char msg[400] = "";
    size_t n = 0;
    const json_t *md;

    if (!hsv_need_md(x, r)) {
        return;
    }
    md = x->md;
#define ADD(...)                                                               \
    (n += (size_t)snprintf(msg + n, n < sizeof(msg) ? sizeof(msg) - n : 0,     \
                           __VA_ARGS__))
    if (x->md_ctype == NULL ||
        strstr(x->md_ctype, "application/json") == NULL) {
        ADD("Content-Type %s; ", x->md_ctype ? x->md_ctype : "missing");
    }
    if (ac_json_str(md, "authorization_endpoint") == NULL) {
        ADD("no authorization_endpoint; ");
    }
    if (ac_json_str(md, "token_endpoint") == NULL) {
        ADD("no token_endpoint; ");
    }
    if (!ac_json_array_has_str(json_object_get(md, "response_types_supported"),
                               "code")) {
        ADD("response_types_supported lacks code; ");
    }
    if (!ac_json_array_has_str(
            json_object_get(md, "code_challenge_methods_supported"), "S256")) {
        ADD("code_challenge_methods_supported lacks S256; ");
    }
    if (ac_json_str(md, "issuer") == NULL ||
        strcmp(ac_json_str(md, "issuer"), x->issuer) != 0) {
        ADD("issuer %s is not %s; ",
            ac_json_str(md, "issuer") ? ac_json_str(md, "issuer") : "missing",
            x->issuer);
    }
#undef ADD
    if (n > 0) {
        hsv_set(r, HC_FAILURE, "%s: %s", x->md_url, msg);
    } else {
        hsv_set(r, HC_SUCCESS, "valid metadata at %s", x->md_url);
    }
}

static void p_md_issuer(struct hsv_ctx *x, struct hc_result *r)
{
    const char *iss;

    if (!hsv_need_md(x, r)) {
        return;
    }
    iss = ac_json_str(x->md, "issuer");
    if (iss == NULL || strcmp(iss, x->issuer) != 0) {
        hsv_set(r, HC_FAILURE,
                "issuer %s differs from %s, the issuer the metadata URL %s "
                "was built from",
                iss ? iss : "(missing)", x->issuer, x->md_url);
    } else {
        hsv_set(r, HC_SUCCESS, "issuer %s matches", iss);
    }
}

static void p_md_pkce(struct hsv_ctx *x, struct hc_result *r)
{
    const json_t *m;

    if (!hsv_need_md(x, r)) {
        return;
    }
    m = json_object_get(x->md, "code_challenge_methods_supported");
    if (!ac_json_array_has_str(m, "S256")) {
        hsv_set(r, HC_FAILURE,
                "code_challenge_methods_supported is %s: MCP clients MUST "
                "refuse an authorization server without S256",
                m ? "without S256" : "absent");
    } else {
        hsv_set(r, HC_SUCCESS, "S256 advertised");
    }
}

static void p_md_endpoints(struct hsv_ctx *x, struct hc_result *r)
{
    static const char *const names[] = {"authorization_endpoint",
                                        "token_endpoint",
                                        "registration_endpoint",
                                        "revocation_endpoint",
                                        "introspection_endpoint",
                                        "jwks_uri",
                                        NULL};

    if (!hsv_need_md(x, r)) {
        return;
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        const char *u = ac_json_str(x->md, names[i]);
        struct ac_url p;
        bool ok;
        if (u == NULL) {
            continue;
        }
        ok = ac_url_parse(u, &p, NULL);
        if (ok) {
            ok = (strcmp(p.scheme, "https") == 0 || ac_url_is_loopback(&p)) &&
                 p.fragment == NULL;
            ac_url_free(&p);
        }
        if (!ok) {
            hsv_set(r, HC_FAILURE,
                    "%s %s is not an absolute https URL (or http on "
                    "loopback) without fragment",
                    names[i], u);
            return;
        }
    }
    hsv_set(r, HC_SUCCESS, "every endpoint is absolute https or loopback");
}

/* --- the authorization code grant ----------------------------------- */

static void p_code_grant(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char msg[400] = "", *form = NULL;
    const char *iss = c ? ac_json_str(x->md, "issuer") : NULL;

    if (c == NULL || !hsv_get_code(x, r, c, NULL, &a)) {
        goto out;
    }
    if (a.ncode != 1 || a.nstate != 1 || a.niss > 1) {
        snprintf(msg, sizeof(msg), "code, state or iss repeated; ");
    }
    if (a.got_state == NULL || strcmp(a.got_state, a.state) != 0) {
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                 "state not echoed; ");
    }
    if (a.iss != NULL && (iss == NULL || strcmp(a.iss, iss) != 0)) {
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                 "iss %s is not the issuer; ", a.iss);
    }
    form = hsv_code_form(x, c, a.code, a.verifier, NULL, NULL);
    if (!token_call(x, r, c, form, &resp, &doc)) {
        goto out;
    }
    hsv_secret(x, ac_json_str(doc, "access_token"));
    hsv_secret(x, ac_json_str(doc, "refresh_token"));
    token_problems(&resp, doc, msg, sizeof(msg));
    if (msg[0] != '\0') {
        hsv_set(r, HC_FAILURE, "%s", msg);
    } else {
        hsv_set(r, HC_SUCCESS, "code issued and exchanged for a Bearer token");
    }
out:
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

/* A code obtained despite a broken PKCE request: try to redeem it with
 * `verifier` (NULL: none); FAILURE when tokens come back. */
static void redeem_bad(struct hsv_ctx *x, struct hc_result *r,
                       const struct hsv_client *c, const struct hsv_authz *a,
                       const char *verifier, const char *what)
{
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = hsv_code_form(x, c, a->code, verifier, a->redirect_uri, NULL);

    if (token_call(x, r, c, form, &resp, &doc)) {
        hsv_secret(x, ac_json_str(doc, "access_token"));
        hsv_secret(x, ac_json_str(doc, "refresh_token"));
        if (resp.status == 200 && ac_json_str(doc, "access_token") != NULL) {
            hsv_set(r, HC_FAILURE,
                    "%s: a code was issued and redeemed for "
                    "tokens",
                    what);
        } else {
            hsv_set(r, HC_SUCCESS,
                    "%s: the code was issued but its redemption refused (%s)",
                    what, hsv_err_code(doc));
        }
    }
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
}

/* The outcome of an authorization request that must not give a code. */
static void refused(struct hsv_ctx *x, struct hc_result *r,
                    const struct hsv_client *c, const struct hsv_authz *a,
                    const char *verifier, const char *what, const char *code)
{
    if (a->kind == AZ_CODE) {
        redeem_bad(x, r, c, a, verifier, what);
    } else if (a->kind == AZ_ERROR && code != NULL && a->error != NULL &&
               strcmp(a->error, code) != 0) {
        hsv_set(r, HC_FAILURE, "%s: refused with %s, not %s", what, a->error,
                code);
    } else if (a->kind == AZ_ERROR || a->kind == AZ_PAGE) {
        hsv_set(r, HC_SUCCESS, "%s: refused (%s)", what,
                a->error ? a->error : "error page");
    } else if (a->kind == AZ_ELSEWHERE) {
        hsv_set(r, HC_FAILURE, "%s: redirected to %s", what, a->location);
    } else {
        hsv_set(r, HC_SKIPPED, "%s: %s", what, a->why);
    }
}

static void p_pkce_required(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz_opts ao = {.no_challenge = true};
    struct hsv_authz a = {0};

    if (c != NULL) {
        hsv_authorize(x, c, &ao, &a);
        refused(x, r, c, &a, NULL, "authorization without code_challenge",
                "invalid_request");
    }
    hsv_authz_free(&a);
}

static void p_pkce_plain(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz_opts ao = {.plain = true};
    struct hsv_authz a = {0};

    if (c != NULL) {
        hsv_authorize(x, c, &ao, &a);
        refused(x, r, c, &a, a.verifier, "code_challenge_method=plain",
                "invalid_request");
    }
    hsv_authz_free(&a);
}

static void p_pkce_verifier(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *wrong = ac_random_token(32, NULL), *form = NULL;

    hsv_secret(x, wrong);
    if (c == NULL || !hsv_get_code(x, r, c, NULL, &a)) {
        goto out;
    }
    form = hsv_code_form(x, c, a.code, wrong, NULL, NULL);
    if (token_call(x, r, c, form, &resp, &doc)) {
        hsv_secret(x, ac_json_str(doc, "access_token"));
        if (is_error(&resp, doc, "invalid_grant")) {
            hsv_set(r, HC_SUCCESS, "a wrong code_verifier gets invalid_grant");
        } else {
            hsv_set(r, HC_FAILURE,
                    "a wrong code_verifier got HTTP %ld %s, not 400 "
                    "invalid_grant",
                    resp.status, hsv_err_code(doc));
        }
    }
out:
    json_decref(doc);
    free(form);
    ac_secret_free(wrong);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

/* --- redirect URI matching ------------------------------------------ */

static void p_redirect_exact(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    const char *base;
    char v[4][512];
    struct ac_url u;
    size_t nv = 0;

    if (c == NULL) {
        return;
    }
    base = x->o->client_id != NULL ? x->redirect_uri : x->alt_redirect;
    snprintf(v[nv++], sizeof(v[0]), "%s/extra", base);
    snprintf(v[nv++], sizeof(v[0]), "%s?x=1", base);
    snprintf(v[nv++], sizeof(v[0]), "%s#frag", base);
    if (ac_url_parse(base, &u, NULL)) {
        if (!ac_url_is_loopback(&u)) {
            snprintf(v[nv++], sizeof(v[0]), "%s://%s:%d%s", u.scheme, u.host,
                     u.port + 1, u.path);
        }
        ac_url_free(&u);
    }
    for (size_t i = 0; i < nv; i++) {
        struct hsv_authz_opts ao = {.redirect_uri = v[i]};
        struct hsv_authz a = {0};
        hsv_authorize(x, c, &ao, &a);
        if (a.kind == AZ_CODE || a.kind == AZ_ERROR || a.kind == AZ_ELSEWHERE) {
            hsv_set(r, HC_FAILURE,
                    "redirect_uri %s (registered: %s) was redirected to "
                    "instead of showing the error to the user",
                    v[i], base);
            hsv_authz_free(&a);
            return;
        }
        hsv_authz_free(&a);
    }
    hsv_set(r, HC_SUCCESS,
            "appended path, added query, fragment%s: none redirected",
            nv > 3 ? " and changed port" : "");
}

/* --- codes ------------------------------------------------------------ */

/* Redeem a fresh code once (success expected); *form kept for a replay. */
static bool redeem_once(struct hsv_ctx *x, struct hc_result *r,
                        const struct hsv_client *c, char **form, char **access)
{
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    bool ok = false;

    *form = NULL;
    *access = NULL;
    if (!hsv_get_code(x, r, c, NULL, &a)) {
        goto out;
    }
    *form = hsv_code_form(x, c, a.code, a.verifier, NULL, NULL);
    if (!token_call(x, r, c, *form, &resp, &doc)) {
        goto out;
    }
    if (resp.status != 200 || ac_json_str(doc, "access_token") == NULL) {
        hsv_set(r, HC_SKIPPED, "the first redemption failed: HTTP %ld %s",
                resp.status, hsv_err_code(doc));
        goto out;
    }
    *access = strdup(ac_json_str(doc, "access_token"));
    hsv_secret(x, *access);
    hsv_secret(x, ac_json_str(doc, "refresh_token"));
    ok = true;
out:
    json_decref(doc);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
    return ok;
}

static void p_code_single_use(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = NULL, *access = NULL;

    if (c != NULL && redeem_once(x, r, c, &form, &access) &&
        token_call(x, r, c, form, &resp, &doc)) {
        hsv_secret(x, ac_json_str(doc, "access_token"));
        if (is_error(&resp, doc, "invalid_grant")) {
            hsv_set(r, HC_SUCCESS, "a replayed code gets invalid_grant");
        } else {
            hsv_set(r, HC_FAILURE,
                    "a replayed code got HTTP %ld %s, not 400 invalid_grant",
                    resp.status, hsv_err_code(doc));
        }
    }
    json_decref(doc);
    free(form);
    ac_secret_free(access);
    ac_http_response_free(&resp);
}

static void p_code_replay_revokes(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = NULL, *access = NULL;
    const char *how = NULL;
    int active;

    if (c == NULL || !redeem_once(x, r, c, &form, &access) ||
        !token_call(x, r, c, form, &resp, &doc)) {
        goto out;
    }
    hsv_secret(x, ac_json_str(doc, "access_token"));
    if (resp.status == 200) {
        hsv_set(r, HC_SKIPPED, "the replay was accepted (code-single-use)");
        goto out;
    }
    active = token_active(x, c, access, &how);
    if (active < 0) {
        hsv_set(r, HC_SKIPPED,
                "cannot tell whether the first token still "
                "works: give --mcp, or advertise "
                "introspection");
    } else if (active) {
        hsv_set(r, HC_FAILURE,
                "after the replay, the token of the first redemption still "
                "works at %s",
                how);
    } else {
        hsv_set(r, HC_SUCCESS, "the replay revoked the first token (%s)", how);
    }
out:
    json_decref(doc);
    free(form);
    ac_secret_free(access);
    ac_http_response_free(&resp);
}

/* Redeem a code for `c` differently (other client / redirect URI). */
static void redeem_other(struct hsv_ctx *x, struct hc_result *r,
                         const struct hsv_client *c,
                         const struct hsv_client *as_client,
                         const char *redirect_uri, const char *what)
{
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = NULL;

    if (hsv_get_code(x, r, c, NULL, &a)) {
        form = hsv_code_form(x, c, a.code, a.verifier, redirect_uri, NULL);
        if (token_call(x, r, as_client, form, &resp, &doc)) {
            hsv_secret(x, ac_json_str(doc, "access_token"));
            hsv_secret(x, ac_json_str(doc, "refresh_token"));
            if (resp.status == 200) {
                hsv_set(r, HC_FAILURE, "%s: tokens issued", what);
            } else if (is_error(&resp, doc, "invalid_grant|invalid_client")) {
                hsv_set(r, HC_SUCCESS, "%s: %s", what, hsv_err_code(doc));
            } else {
                hsv_set(r, HC_FAILURE, "%s: HTTP %ld %s, not invalid_grant",
                        what, resp.status, hsv_err_code(doc));
            }
        }
    }
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

static void p_code_bound_client(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_client *o = c ? hsv_client_other(x) : NULL;

    if (c != NULL && o == NULL) {
        hsv_set(r, HC_SKIPPED, "needs a second client: %s", x->other.why);
    } else if (c != NULL) {
        redeem_other(x, r, c, o, NULL, "a code redeemed by another client");
    }
}

static void p_code_bound_redirect(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);

    if (c != NULL && x->o->client_id != NULL) {
        hsv_set(r, HC_SKIPPED,
                "needs a client registered with two redirect "
                "URIs (dynamic registration)");
    } else if (c != NULL) {
        redeem_other(x, r, c, c, x->alt_redirect,
                     "a code redeemed with another registered redirect_uri");
    }
}

static void p_state(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz a = {0};

    if (c != NULL && hsv_get_code(x, r, c, NULL, &a)) {
        if (a.nstate == 1 && strcmp(a.got_state, a.state) == 0) {
            hsv_set(r, HC_SUCCESS, "state echoed exactly once");
        } else {
            hsv_set(r, HC_FAILURE, "state %s in the authorization response",
                    a.nstate == 0  ? "missing"
                    : a.nstate > 1 ? "repeated"
                                   : "changed");
        }
    }
    hsv_authz_free(&a);
}

static void p_iss(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz a = {0};
    bool adv;
    const char *iss;

    if (c == NULL) {
        return;
    }
    adv = json_is_true(json_object_get(
        x->md, "authorization_response_iss_parameter_supported"));
    iss = ac_json_str(x->md, "issuer");
    if (hsv_get_code(x, r, c, NULL, &a)) {
        if (!adv && a.niss == 0) {
            hsv_set(r, HC_SKIPPED, "iss not advertised and not sent");
        } else if (a.niss != 1 || iss == NULL || strcmp(a.iss, iss) != 0) {
            hsv_set(r, HC_FAILURE, "iss %s in the authorization response%s",
                    a.niss == 0  ? "missing"
                    : a.niss > 1 ? "repeated"
                                 : "is not the issuer",
                    adv ? " (advertised)" : "");
        } else {
            hsv_set(r, HC_SUCCESS, "iss equals the issuer");
        }
    }
    hsv_authz_free(&a);
}

static void p_invalid_target(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    static const char unknown[] = "https://unknown.authcheck.example/mcp";
    struct hsv_authz_opts ao = {.resource = unknown};
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = NULL;

    if (c == NULL) {
        return;
    }
    hsv_authorize(x, c, &ao, &a);
    if (a.kind == AZ_CODE) {
        form = hsv_code_form(x, c, a.code, a.verifier, NULL, unknown);
        if (token_call(x, r, c, form, &resp, &doc)) {
            hsv_secret(x, ac_json_str(doc, "access_token"));
            hsv_secret(x, ac_json_str(doc, "refresh_token"));
            if (is_error(&resp, doc, "invalid_target")) {
                hsv_set(r, HC_SUCCESS,
                        "unknown resource: invalid_target at "
                        "the token endpoint");
            } else {
                hsv_set(r, HC_FAILURE,
                        "unknown resource %s: code issued, then HTTP %ld %s, "
                        "not invalid_target",
                        unknown, resp.status, hsv_err_code(doc));
            }
        }
    } else {
        refused(x, r, c, &a, a.verifier, "unknown resource", "invalid_target");
    }
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

/* --- token endpoint ------------------------------------------------- */

static void p_token_response(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char msg[400] = "", *form = NULL;

    if (c != NULL && hsv_get_code(x, r, c, NULL, &a)) {
        form = hsv_code_form(x, c, a.code, a.verifier, NULL, NULL);
        if (token_call(x, r, c, form, &resp, &doc)) {
            hsv_secret(x, ac_json_str(doc, "access_token"));
            hsv_secret(x, ac_json_str(doc, "refresh_token"));
            token_problems(&resp, doc, msg, sizeof(msg));
            if (msg[0] != '\0') {
                hsv_set(r, HC_FAILURE, "%s", msg);
            } else {
                hsv_set(r, HC_SUCCESS, "JSON, no-store, Bearer%s",
                        json_object_get(doc, "expires_in") ? ", expires_in"
                                                           : "");
            }
        }
    }
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

static void p_token_errors(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    /* The unknown code comes with every other parameter a real
     * redemption has (redirect_uri, resource), so the code is the only
     * thing wrong: a server may check for missing parameters first
     * (invalid_request) and be right. */
    char *bogus = c ? hsv_code_form(x, c, "authcheck-bogus-code",
                                    "authcheck-bogus-verifier-0123456789"
                                    "abcdefghijklmn",
                                    NULL, NULL)
                    : NULL;
    const char *cases[][2] = {
        {"grant_type=urn%3Aauthcheck%3Aunknown", "unsupported_grant_type"},
        {bogus, "invalid_grant"},
    };

    for (size_t i = 0; c != NULL && i < 2; i++) {
        struct ac_http_response resp = {0};
        json_t *doc = NULL;
        bool ok;
        const char *ct;
        if (!token_call(x, r, c, cases[i][0], &resp, &doc)) {
            free(bogus);
            return;
        }
        ct = ac_http_header_get(&resp, "Content-Type");
        ok = resp.status == 400 && is_error(&resp, doc, cases[i][1]) &&
             ct != NULL && strstr(ct, "application/json") != NULL;
        if (!ok) {
            hsv_set(r, HC_FAILURE, "expected 400 JSON %s, got HTTP %ld %s",
                    cases[i][1], resp.status, hsv_err_code(doc));
        }
        json_decref(doc);
        ac_http_response_free(&resp);
        if (!ok) {
            free(bogus);
            return;
        }
    }
    if (c != NULL) {
        hsv_set(r, HC_SUCCESS,
                "unsupported_grant_type and invalid_grant, "
                "400 JSON");
    }
    free(bogus);
}

static void p_client_auth(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c;
    struct hsv_client bad = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;

    if (!hsv_need_md(x, r)) {
        return;
    }
    if ((c = hsv_client_conf(x)) == NULL) {
        hsv_set(r, HC_SKIPPED, "needs a confidential client: %s", x->conf.why);
        return;
    }
    bad.id = c->id;
    bad.secret = "authcheck-wrong-secret";
    bad.post = c->post;
    if (token_call(x, r, &bad,
                   "grant_type=authorization_code&code=authcheck-bogus", &resp,
                   &doc)) {
        const char *wa = ac_http_header_get(&resp, "WWW-Authenticate");
        if (c->post && is_error(&resp, doc, "invalid_client")) {
            hsv_set(r, HC_SUCCESS,
                    "client_secret_post with a wrong secret: "
                    "HTTP %ld invalid_client",
                    resp.status);
        } else if (c->post) {
            hsv_set(r, HC_FAILURE,
                    "client_secret_post with a wrong secret got HTTP %ld %s, "
                    "not invalid_client",
                    resp.status, hsv_err_code(doc));
        } else if (resp.status == 401 &&
                   is_error(&resp, doc, "invalid_client") && wa != NULL) {
            hsv_set(r, HC_SUCCESS, "401 invalid_client with WWW-Authenticate");
        } else {
            hsv_set(r, HC_FAILURE,
                    "wrong Basic credentials got HTTP %ld %s%s, not 401 "
                    "invalid_client with WWW-Authenticate",
                    resp.status, hsv_err_code(doc),
                    wa ? "" : " without WWW-Authenticate");
        }
    }
    json_decref(doc);
    ac_http_response_free(&resp);
}

/* --- refresh -------------------------------------------------------- */

/* Refresh with `rt` (and `scope`); the answer in resp/doc. */
static bool refresh(struct hsv_ctx *x, struct hc_result *r,
                    const struct hsv_client *c, const char *rt,
                    const char *scope, struct ac_http_response *resp,
                    json_t **doc)
{
    char *form = hsv_form("grant_type", "refresh_token", "refresh_token", rt,
                          "scope", scope, "resource", x->resource, NULL);
    bool ok = token_call(x, r, c, form, resp, doc);

    free(form);
    if (ok) {
        hsv_secret(x, ac_json_str(*doc, "access_token"));
        hsv_secret(x, ac_json_str(*doc, "refresh_token"));
    }
    return ok;
}

/* A grant with a refresh token, refreshed once: *old the first refresh
 * token, *new the rotated one (NULL when not rotated). */
static bool refreshed(struct hsv_ctx *x, struct hc_result *r,
                      struct hsv_client **cp, struct hsv_grant *g, char **nrt)
{
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    bool ok = false;

    *nrt = NULL;
    if ((*cp = hsv_need_pub(x, r)) == NULL || !grant(x, r, *cp, NULL, g)) {
        return false;
    }
    if (g->refresh == NULL) {
        hsv_set(r, HC_SKIPPED, "no refresh token was issued");
        return false;
    }
    if (refresh(x, r, *cp, g->refresh, NULL, &resp, &doc)) {
        if (resp.status != 200) {
            hsv_set(r, HC_FAILURE, "refresh failed: HTTP %ld %s", resp.status,
                    hsv_err_code(doc));
        } else {
            const char *n = ac_json_str(doc, "refresh_token");
            *nrt = n != NULL && strcmp(n, g->refresh) != 0 ? strdup(n) : NULL;
            ok = true;
        }
    }
    json_decref(doc);
    ac_http_response_free(&resp);
    return ok;
}

static void p_refresh_rotation(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c;
    struct hsv_grant g = {0};
    char *nrt = NULL;

    memset(&g, 0, sizeof(g));
    if (refreshed(x, r, &c, &g, &nrt)) {
        if (c->secret != NULL) {
            hsv_set(r, nrt ? HC_SUCCESS : HC_SKIPPED,
                    "confidential client: rotation %s",
                    nrt ? "done" : "not required");
        } else if (nrt == NULL) {
            hsv_set(r, HC_FAILURE,
                    "a public client's refresh token was not "
                    "rotated (OAuth 2.1 §4.3.1)");
        } else {
            hsv_set(r, HC_SUCCESS, "a new refresh token on refresh");
        }
    }
    ac_secret_free(nrt);
    hsv_grant_free(&g);
}

/* Reuse the rotated refresh token; *rejected when refused. */
static bool reuse(struct hsv_ctx *x, struct hc_result *r, struct hsv_client **c,
                  struct hsv_grant *g, char **nrt, bool *rejected)
{
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    bool ok = false;

    if (!refreshed(x, r, c, g, nrt)) {
        return false;
    }
    if (*nrt == NULL) {
        hsv_set(r, HC_SKIPPED, "refresh tokens are not rotated");
        return false;
    }
    if (refresh(x, r, *c, g->refresh, NULL, &resp, &doc)) {
        *rejected = is_error(&resp, doc, "invalid_grant");
        if (!*rejected) {
            hsv_set(r, HC_FAILURE,
                    "the rotated refresh token was reused: HTTP %ld %s, not "
                    "invalid_grant",
                    resp.status, hsv_err_code(doc));
        }
        ok = true;
    }
    json_decref(doc);
    ac_http_response_free(&resp);
    return ok;
}

static void p_refresh_reuse(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c;
    struct hsv_grant g = {0};
    char *nrt = NULL;
    bool rejected = false;

    memset(&g, 0, sizeof(g));
    if (reuse(x, r, &c, &g, &nrt, &rejected) && rejected) {
        hsv_set(r, HC_SUCCESS,
                "reuse of a rotated refresh token: "
                "invalid_grant");
    }
    ac_secret_free(nrt);
    hsv_grant_free(&g);
}

static void p_refresh_family(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c;
    struct hsv_grant g = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *nrt = NULL;
    bool rejected = false;

    memset(&g, 0, sizeof(g));
    if (reuse(x, r, &c, &g, &nrt, &rejected)) {
        if (!rejected) {
            hsv_set(r, HC_SKIPPED,
                    "reuse was not detected "
                    "(refresh-reuse-rejected)");
        } else if (refresh(x, r, c, nrt, NULL, &resp, &doc)) {
            if (resp.status == 200) {
                hsv_set(r, HC_FAILURE,
                        "after a detected reuse, the newest "
                        "refresh token of the family still "
                        "works");
            } else {
                hsv_set(r, HC_SUCCESS, "the family was revoked (%s)",
                        hsv_err_code(doc));
            }
        }
    }
    json_decref(doc);
    ac_http_response_free(&resp);
    ac_secret_free(nrt);
    hsv_grant_free(&g);
}

static void p_refresh_scope(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = hsv_need_pub(x, r);
    const json_t *ss = c ? json_object_get(x->md, "scopes_supported") : NULL;
    struct hsv_grant g = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char both[512];
    const char *s1, *s2;

    memset(&g, 0, sizeof(g));
    if (c == NULL) {
        return;
    }
    if (json_array_size(ss) < 2 && x->prm != NULL) {
        ss = json_object_get(x->prm, "scopes_supported");
    }
    s1 = json_string_value(json_array_get(ss, 0));
    s2 = json_string_value(json_array_get(ss, 1));
    if (s1 == NULL || s2 == NULL) {
        hsv_set(r, HC_SKIPPED, "needs two scopes in scopes_supported");
        return;
    }
    snprintf(both, sizeof(both), "%s %s", s1, s2);
    if (!grant(x, r, c, s1, &g)) {
        goto out;
    }
    if (g.refresh == NULL) {
        hsv_set(r, HC_SKIPPED, "no refresh token was issued");
    } else if (refresh(x, r, c, g.refresh, both, &resp, &doc)) {
        const char *got = ac_json_str(doc, "scope");
        if (resp.status != 200) {
            hsv_set(r, HC_SUCCESS, "a wider scope was refused (%s)",
                    hsv_err_code(doc));
        } else if (got == NULL || strstr(got, s2) != NULL) {
            hsv_set(r, HC_FAILURE,
                    "refresh granted \"%s\" beyond the original \"%s\"",
                    got ? got : both, s1);
        } else {
            hsv_set(r, HC_SUCCESS, "the refreshed scope stayed \"%s\"", got);
        }
    }
out:
    json_decref(doc);
    ac_http_response_free(&resp);
    hsv_grant_free(&g);
}

/* --- registration ---------------------------------------------------- */

/* Register `md`; true when the server rejected it with `code`. */
static int dcr_try(struct hsv_ctx *x, struct hc_result *r, json_t *md,
                   const char *code, char *got, size_t n)
{
    struct ac_http_response resp = {0};
    char why[WHY];
    json_t *doc = NULL;
    int v = -1;

    if (hsv_register(x, md, &resp, why, sizeof(why))) {
        doc = hsv_json_body(&resp);
        hsv_secret(x, ac_json_str(doc, "client_secret"));
        hsv_secret(x, ac_json_str(doc, "registration_access_token"));
        v = resp.status == 400 && ac_json_str(doc, "error") != NULL &&
            strcmp(ac_json_str(doc, "error"), code) == 0;
        snprintf(got, n, "HTTP %ld %s", resp.status, hsv_err_code(doc));
        if (resp.status == 201 || resp.status == 200) {
            v = 2; /* accepted: doc kept in got as "accepted" */
            if (json_is_array(json_object_get(doc, "grant_types")) &&
                !ac_json_array_has_str(json_object_get(doc, "grant_types"),
                                       "urn:authcheck:unknown-grant")) {
                v = 3; /* accepted without the unknown grant */
            }
        }
    } else {
        hsv_set(r, HC_SKIPPED, "%s", why);
    }
    json_decref(doc);
    json_decref(md);
    ac_http_response_free(&resp);
    return v;
}

static void p_dcr_redirect(struct hsv_ctx *x, struct hc_result *r)
{
    static const char *const bad[] = {"http://evil.authcheck.example/cb",
                                      "https://client.authcheck.example/cb#f"};
    char got[128];

    if (!hsv_need_md(x, r)) {
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        json_t *md = json_pack("{s:s, s:[s], s:s}", "client_name", "authcheck",
                               "redirect_uris", bad[i],
                               "token_endpoint_auth_method", "none");
        int v = dcr_try(x, r, md, "invalid_redirect_uri", got, sizeof(got));
        if (v < 0) {
            return;
        }
        if (v != 1) {
            hsv_set(r, HC_FAILURE,
                    "registering redirect URI %s: %s, not 400 "
                    "invalid_redirect_uri",
                    bad[i], got);
            return;
        }
    }
    hsv_set(r, HC_SUCCESS,
            "plain-http non-loopback and fragment redirect "
            "URIs: invalid_redirect_uri");
}

static void p_dcr_metadata(struct hsv_ctx *x, struct hc_result *r)
{
    json_t *md;
    char got[128];
    int v;

    if (!hsv_need_md(x, r)) {
        return;
    }
    md = json_pack("{s:s, s:[s], s:[s], s:s}", "client_name", "authcheck",
                   "redirect_uris", x->redirect_uri, "grant_types",
                   "urn:authcheck:unknown-grant", "token_endpoint_auth_method",
                   "none");
    v = dcr_try(x, r, md, "invalid_client_metadata", got, sizeof(got));
    if (v == 1 || v == 3) {
        hsv_set(r, HC_SUCCESS, "an unknown grant type was %s",
                v == 1 ? "rejected: invalid_client_metadata"
                       : "dropped from the registration");
    } else if (v >= 0) {
        hsv_set(r, HC_FAILURE, "registering an unknown grant type: %s%s", got,
                v == 2 ? " (registered as asked)" : "");
    }
}

/* --- revocation and introspection ----------------------------------- */

static struct hsv_client *need_endpoint(struct hsv_ctx *x, struct hc_result *r,
                                        const char *name)
{
    struct hsv_client *c = hsv_need_pub(x, r);

    if (c != NULL && hsv_endpoint(x, name) == NULL) {
        hsv_set(r, HC_SKIPPED, "no usable %s advertised", name);
        return NULL;
    }
    return c;
}

static bool revoke(struct hsv_ctx *x, struct hc_result *r,
                   const struct hsv_client *c, const char *token,
                   const char *hint, long *status)
{
    struct ac_http_response resp = {0};
    char why[WHY],
        *form = hsv_form("token", token, "token_type_hint", hint, NULL);
    bool ok = form != NULL && hsv_post_as(x, "revocation_endpoint", c, form,
                                          &resp, why, sizeof(why));

    if (!ok) {
        hsv_set(r, HC_FAILURE, "revocation endpoint: %s", why);
    }
    *status = resp.status;
    free(form);
    ac_http_response_free(&resp);
    return ok;
}

static void p_revoke_unknown(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = need_endpoint(x, r, "revocation_endpoint");
    long st;

    if (c != NULL && revoke(x, r, c, "authcheck-unknown-token", NULL, &st)) {
        hsv_set(r, st == 200 ? HC_SUCCESS : HC_FAILURE,
                "revoking an unknown token: HTTP %ld%s", st,
                st == 200 ? "" : ", not 200 (RFC 7009 §2.2)");
    }
}

static void p_revoke_effective(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = need_endpoint(x, r, "revocation_endpoint");
    struct hsv_grant g = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    const char *how;
    long st;
    int active;

    memset(&g, 0, sizeof(g));
    if (c == NULL || !grant(x, r, c, NULL, &g)) {
        goto out;
    }
    if (g.refresh != NULL) {
        if (revoke(x, r, c, g.refresh, "refresh_token", &st) &&
            refresh(x, r, c, g.refresh, NULL, &resp, &doc)) {
            hsv_set(r, resp.status == 200 ? HC_FAILURE : HC_SUCCESS,
                    "a revoked refresh token %s",
                    resp.status == 200 ? "still refreshes"
                                       : "no longer refreshes");
        }
        goto out;
    }
    if (!revoke(x, r, c, g.access, "access_token", &st)) {
        goto out;
    }
    active = token_active(x, c, g.access, &how);
    if (active < 0) {
        hsv_set(r, HC_SKIPPED,
                "no refresh token and no way to test the "
                "access token (give --mcp)");
    } else {
        hsv_set(r, active ? HC_FAILURE : HC_SUCCESS,
                "a revoked access token %s at %s",
                active ? "still works" : "is refused", how);
    }
out:
    json_decref(doc);
    ac_http_response_free(&resp);
    hsv_grant_free(&g);
}

static int introspect(struct hsv_ctx *x, const struct hsv_client *c,
                      const char *token)
{
    struct ac_http_response resp = {0};
    char why[WHY], *form = hsv_form("token", token, NULL);
    json_t *doc = NULL;
    int v = -1;

    if (form != NULL && hsv_post_as(x, "introspection_endpoint", c, form, &resp,
                                    why, sizeof(why))) {
        doc = hsv_json_body(&resp);
        if (resp.status == 200 &&
            json_is_boolean(json_object_get(doc, "active"))) {
            v = json_is_true(json_object_get(doc, "active"));
        }
    }
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
    return v;
}

static void p_introspect(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = need_endpoint(x, r, "introspection_endpoint");
    struct hsv_client *ic;
    struct hsv_grant g = {0};
    int good, bad;

    memset(&g, 0, sizeof(g));
    if (c == NULL || !grant(x, r, c, NULL, &g)) {
        goto out;
    }
    ic = hsv_client_conf(x) != NULL ? hsv_client_conf(x) : c;
    good = introspect(x, ic, g.access);
    bad = introspect(x, ic, "authcheck-unknown-token");
    if (good == 1 && bad == 0) {
        hsv_set(r, HC_SUCCESS,
                "active for a valid token, inactive for an "
                "unknown one");
    } else {
        hsv_set(r, HC_FAILURE,
                "introspection: valid token %s, unknown token %s (RFC 7662 "
                "§2.2)",
                good == 1   ? "active"
                : good == 0 ? "inactive"
                            : "no answer",
                bad == 1   ? "active"
                : bad == 0 ? "inactive"
                           : "no answer");
    }
out:
    hsv_grant_free(&g);
}

/* --- the MCP server ---------------------------------------------------- */

static void p_mcp_challenge(struct hsv_ctx *x, struct hc_result *r)
{
    if (!hsv_need_mcp(x, r)) {
        return;
    }
    if (x->mcp_status != 401) {
        hsv_set(r, HC_FAILURE,
                "a request without a token got HTTP %ld, not "
                "401",
                x->mcp_status);
    } else if (x->challenge == NULL ||
               strncasecmp(x->challenge, "Bearer", 6) != 0) {
        hsv_set(r, HC_FAILURE,
                "the 401 has no WWW-Authenticate: Bearer "
                "challenge (RFC 6750 §3)");
    } else if (x->rm_url == NULL && x->prm == NULL) {
        hsv_set(r, HC_FAILURE,
                "no resource_metadata in the challenge and no "
                "PRM at the well-known locations (RFC 9728)");
    } else {
        hsv_set(r, HC_SUCCESS, "401 with a Bearer challenge%s",
                x->rm_url ? " and resource_metadata" : "");
    }
}

static void p_prm_valid(struct hsv_ctx *x, struct hc_result *r)
{
    char *canon;
    const char *res;
    const json_t *ases, *ss;

    if (!hsv_need_mcp(x, r)) {
        return;
    }
    if (x->prm == NULL) {
        hsv_set(r, HC_FAILURE, "no Protected Resource Metadata found");
        return;
    }
    canon = ac_url_canonical_resource(x->mcp_url);
    res = ac_json_str(x->prm, "resource");
    ases = json_object_get(x->prm, "authorization_servers");
    ss = json_object_get(x->prm, "scopes_supported");
    if (res == NULL || canon == NULL ||
        (strcmp(res, canon) != 0 && strcmp(res, x->mcp_url) != 0)) {
        hsv_set(r, HC_FAILURE, "PRM resource %s is not %s (RFC 9728 §3.3)",
                res ? res : "(missing)", x->mcp_url);
    } else if (!json_is_array(ases) || json_array_size(ases) == 0 ||
               !json_is_string(json_array_get(ases, 0))) {
        hsv_set(r, HC_FAILURE, "PRM authorization_servers missing or empty");
    } else if (x->challenge_scope != NULL && json_is_array(ss) &&
               !ac_json_array_has_str(ss, x->challenge_scope) &&
               strchr(x->challenge_scope, ' ') == NULL) {
        hsv_set(r, HC_FAILURE,
                "challenge scope %s not in PRM "
                "scopes_supported",
                x->challenge_scope);
    } else {
        hsv_set(r, HC_SUCCESS, "PRM at %s names %s", x->prm_url, res);
    }
    free(canon);
}

/* A valid access token for the MCP server: --token, else a fresh grant
 * (into g). NULL with r set. Borrowed from o or g. */
const char *hsv_mcp_token(struct hsv_ctx *x, struct hc_result *r,
                          struct hsv_grant *g)
{
    struct hsv_client *c;

    memset(g, 0, sizeof(*g));
    if (x->o->token != NULL) {
        return x->o->token;
    }
    if ((c = hsv_need_pub(x, r)) == NULL || !grant(x, r, c, NULL, g)) {
        if (r->status == HC_SKIPPED || r->status == HC_FAILURE) {
            snprintf(r->message + strlen(r->message),
                     sizeof(r->message) - strlen(r->message),
                     " (or give --token)");
            r->status = HC_SKIPPED;
        }
        return NULL;
    }
    return g->access;
}

static long mcp_status(struct hsv_ctx *x, const char *auth, const char *query)
{
    struct ac_http_response resp;
    char why[WHY];
    long st = 0;

    if (hsv_mcp_call(x, auth, query, &resp, why, sizeof(why))) {
        st = resp.status;
        ac_http_response_free(&resp);
    }
    return st;
}

long hsv_mcp_bearer(struct hsv_ctx *x, const char *token)
{
    char *auth = NULL;
    long st = 0;

    if (asprintf(&auth, "Bearer %s", token) >= 0) {
        st = mcp_status(x, auth, NULL);
    }
    free(auth);
    return st;
}

bool hsv_ok2xx(long st)
{
    return st >= 200 && st < 300;
}

static void p_mcp_valid(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_grant g = {0};
    const char *tok;
    long st;

    if (hsv_need_mcp(x, r) && (tok = hsv_mcp_token(x, r, &g)) != NULL) {
        st = hsv_mcp_bearer(x, tok);
        hsv_set(r, hsv_ok2xx(st) ? HC_SUCCESS : HC_FAILURE,
                "initialize with a valid token: HTTP %ld", st);
    }
    hsv_grant_free(&g);
}

static void p_mcp_invalid(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_grant g = {0};
    struct hsv_client *c;
    long st1, st2, st3 = -1, rv;
    const char *how = "";

    memset(&g, 0, sizeof(g));
    if (!hsv_need_mcp(x, r)) {
        return;
    }
    st1 = mcp_status(x, "Bearer authcheck-unknown-token", NULL);
    st2 = mcp_status(x, "Bearer a b", NULL);
    if (x->md != NULL && hsv_endpoint(x, "revocation_endpoint") != NULL &&
        (c = hsv_client_pub(x)) != NULL && grant(x, r, c, NULL, &g) &&
        revoke(x, r, c, g.access, "access_token", &rv)) {
        st3 = hsv_mcp_bearer(x, g.access);
        how = ", revoked token ";
    }
    if (st1 != 401 || (st2 != 401 && st2 != 400) || hsv_ok2xx(st3)) {
        hsv_set(r, HC_FAILURE,
                "unknown token: HTTP %ld, malformed: HTTP %ld%s%.0ld (each "
                "must be refused with 401, malformed also 400)",
                st1, st2, how, st3 < 0 ? 0 : st3);
    } else {
        hsv_set(r, HC_SUCCESS, "unknown and malformed%s tokens refused%s",
                st3 >= 0 ? ", revoked" : "",
                st3 >= 0 ? ""
                         : " (revoked not tried: no revocation endpoint; "
                           "expired: mcp-rejects-expired-token)");
    }
    hsv_grant_free(&g);
}

static void p_mcp_query(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_grant g = {0};
    const char *tok;
    char *q = NULL;
    long st;

    if (!hsv_need_mcp(x, r) || (tok = hsv_mcp_token(x, r, &g)) == NULL) {
        hsv_grant_free(&g);
        return;
    }
    if (!hsv_ok2xx(hsv_mcp_bearer(x, tok))) {
        hsv_set(r, HC_SKIPPED,
                "the token is not accepted in the header "
                "either (mcp-accepts-valid-token)");
    } else if ((q = hsv_form("access_token", tok, NULL)) != NULL) {
        st = mcp_status(x, NULL, q);
        hsv_set(r, hsv_ok2xx(st) ? HC_FAILURE : HC_SUCCESS,
                "a valid token in the query string: HTTP %ld", st);
    }
    free(q);
    hsv_grant_free(&g);
}

static void p_mcp_audience(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c;
    struct hsv_authz_opts ao = {.resource = x->o->other_resource};
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = NULL;
    long st;

    if (!hsv_need_mcp(x, r)) {
        return;
    }
    if (x->o->other_resource == NULL) {
        hsv_set(r, HC_SKIPPED,
                "needs --other-resource URI, another resource "
                "the authorization server issues tokens for");
        return;
    }
    if ((c = hsv_need_pub(x, r)) == NULL || !hsv_get_code(x, r, c, &ao, &a)) {
        goto out;
    }
    form = hsv_code_form(x, c, a.code, a.verifier, NULL, x->o->other_resource);
    if (!token_call(x, r, c, form, &resp, &doc)) {
        goto out;
    }
    if (resp.status != 200 || ac_json_str(doc, "access_token") == NULL) {
        hsv_set(r, HC_SKIPPED, "no token for %s: HTTP %ld %s",
                x->o->other_resource, resp.status, hsv_err_code(doc));
        goto out;
    }
    hsv_secret(x, ac_json_str(doc, "access_token"));
    hsv_secret(x, ac_json_str(doc, "refresh_token"));
    st = hsv_mcp_bearer(x, ac_json_str(doc, "access_token"));
    hsv_set(r, st == 401 ? HC_SUCCESS : HC_FAILURE,
            "a token for %s: HTTP %ld%s", x->o->other_resource, st,
            st == 401 ? "" : ", not 401");
out:
    json_decref(doc);
    free(form);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

/* The JSON-RPC answer of an MCP response: the body, or the first SSE
 * `data:` line. A new reference or NULL. */
static json_t *rpc_body(const struct ac_http_response *resp)
{
    const char *d = resp->body != NULL ? strstr(resp->body, "data:") : NULL;

    if (d == NULL || resp->body[0] == '{') {
        return hsv_json_body(resp);
    }
    d += 5;
    return ac_json_parse_object(d, strcspn(d, "\r\n"), NULL);
}

/* Open a session with `auth`: initialize and notifications/initialized.
 * A new session id (NULL for a stateless server); *ok false when the
 * server refused. */
static char *mcp_session(struct hsv_ctx *x, const char *auth, bool *ok)
{
    struct ac_http_response resp;
    char why[WHY], *sid = NULL;

    *ok = hsv_mcp_call(x, auth, NULL, &resp, why, sizeof(why)) &&
          hsv_ok2xx(resp.status);
    if (*ok && ac_http_header_get(&resp, "Mcp-Session-Id") != NULL) {
        sid = strdup(ac_http_header_get(&resp, "Mcp-Session-Id"));
    }
    ac_http_response_free(&resp);
    if (*ok && hsv_mcp_post(x, auth, NULL, sid,
                            "{\"jsonrpc\":\"2.0\",\"method\":"
                            "\"notifications/initialized\"}",
                            &resp, why, sizeof(why))) {
        ac_http_response_free(&resp);
    }
    return sid;
}

/* The names of the server's tools (at most 8), a new array or NULL. */
static json_t *tool_names(struct hsv_ctx *x, const char *auth, const char *sid)
{
    struct ac_http_response resp;
    char why[WHY];
    json_t *doc = NULL, *names = json_array();
    const json_t *t;
    size_t i;

    if (hsv_mcp_post(x, auth, NULL, sid,
                     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                     "\"tools/list\"}",
                     &resp, why, sizeof(why))) {
        doc = rpc_body(&resp);
        ac_http_response_free(&resp);
    }
    json_array_foreach(json_object_get(json_object_get(doc, "result"), "tools"),
                       i, t)
    {
        if (i < 8 && ac_json_str(t, "name") != NULL) {
            json_array_append_new(names, json_string(ac_json_str(t, "name")));
        }
    }
    json_decref(doc);
    return names;
}

/* Judge a 403 to a tools/call: insufficient_scope with a scope. */
static void judge_403(struct hc_result *r, const struct ac_http_response *resp,
                      const char *tool)
{
    const char *lines[8];
    size_t n = ac_http_header_all(resp, "WWW-Authenticate", lines, 8);
    struct ac_challenges cs = {0};
    const struct ac_challenge *b = NULL;
    const char *err = NULL, *scope = NULL;

    if (n > 0 && ac_wwwauth_parse(lines, n, &cs, NULL)) {
        b = ac_wwwauth_find(&cs, "Bearer");
        err = b ? ac_challenge_param(b, "error") : NULL;
        scope = b ? ac_challenge_param(b, "scope") : NULL;
    }
    if (err != NULL && strcmp(err, "insufficient_scope") == 0 &&
        scope != NULL && scope[0] != '\0') {
        hsv_set(r, HC_SUCCESS,
                "tools/call %s: 403 insufficient_scope, scope "
                "\"%s\"",
                tool, scope);
    } else {
        hsv_set(r, HC_FAILURE,
                "tools/call %s: 403 without a Bearer insufficient_scope "
                "challenge naming the scope (error %s, scope %s)",
                tool, err ? err : "missing", scope ? scope : "missing");
    }
    ac_challenges_free(&cs);
}

static void p_mcp_scope(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_grant g = {0};
    const char *tok;
    char *auth = NULL, *sid = NULL, why[WHY];
    json_t *names = NULL;
    const json_t *nm;
    size_t i;
    bool ok;

    if (!hsv_need_mcp(x, r) || (tok = hsv_mcp_token(x, r, &g)) == NULL ||
        asprintf(&auth, "Bearer %s", tok) < 0) {
        goto out;
    }
    sid = mcp_session(x, auth, &ok);
    names = ok ? tool_names(x, auth, sid) : NULL;
    hsv_set(r, HC_SKIPPED, "%s",
            ok ? "no tool call needed more scope than "
                 "the token has (give a narrower "
                 "--scope)"
               : "the session was refused "
                 "(mcp-accepts-valid-token)");
    json_array_foreach(names, i, nm)
    {
        struct ac_http_response resp;
        json_t *call =
            json_pack("{s:s, s:i, s:s, s:{s:s, s:{}}}", "jsonrpc", "2.0", "id",
                      3 + (int)i, "method", "tools/call", "params", "name",
                      json_string_value(nm), "arguments");
        char *body = call ? json_dumps(call, JSON_COMPACT) : NULL;
        bool got = body != NULL && hsv_mcp_post(x, auth, NULL, sid, body, &resp,
                                                why, sizeof(why));
        json_decref(call);
        free(body);
        if (got && resp.status == 403) {
            judge_403(r, &resp, json_string_value(nm));
            ac_http_response_free(&resp);
            break;
        }
        if (got) {
            ac_http_response_free(&resp);
        }
    }
out:
    json_decref(names);
    free(auth);
    free(sid);
    hsv_grant_free(&g);
}

/* --- the registry -------------------------------------------------------- */

#define ROW(ID, LVL, URL, SUM)                                                 \
    {                                                                          \
        .id = ID, .level = LVL, .spec = MCP_SPEC, .spec_url = URL,             \
        .summary = SUM, .fn = NULL                                             \
    }

static const struct hc_check REGISTRY[] = {
    ROW("authorization-server-metadata-endpoint", HC_MUST, RFC(8414, "3"),
        "AS metadata: 200 JSON with issuer (as built), authorization and "
        "token endpoints, response_types code, S256 (official id)."),
    ROW("as-metadata-issuer", HC_MUST, RFC(8414, "3.3"),
        "AS metadata issuer equals the issuer its URL was built from."),
    ROW("as-metadata-pkce-s256", HC_MUST,
        MCP_AUTH "#authorization-code-protection",
        "AS metadata code_challenge_methods_supported contains S256."),
    ROW("as-metadata-endpoints-secure", HC_MUST, RFC(8414, "2"),
        "Every endpoint in the AS metadata is an absolute https URL "
        "(http only on loopback), without fragment."),
    ROW("authorization-code-grant", HC_MUST, RFC(6749, "4.1"),
        "Authorization code grant: code, state, iss once each; token "
        "response 200 JSON, no-store, access_token, token_type "
        "(official id)."),
    ROW("as-pkce-required", HC_MUST, RFC(7636, "4.4.1"),
        "An authorization request without code_challenge gets no tokens."),
    ROW("as-pkce-plain-rejected", HC_SHOULD,
        MCP_AUTH "#authorization-code-protection",
        "code_challenge_method=plain gets no tokens (MCP requires S256)."),
    ROW("as-pkce-verifier-checked", HC_MUST, RFC(7636, "4.6"),
        "A wrong code_verifier gets invalid_grant."),
    ROW("as-redirect-uri-exact", HC_MUST, RFC(6749, "4.1.2.1"),
        "A redirect_uri differing from the registered one (path, query, "
        "fragment, port) is not redirected to."),
    ROW("as-code-single-use", HC_MUST, RFC(6749, "4.1.2"),
        "A code redeemed twice gets invalid_grant."),
    ROW("as-code-replay-revokes", HC_SHOULD, RFC(6749, "4.1.2"),
        "A replayed code revokes the tokens of its first redemption."),
    ROW("as-code-bound-client", HC_MUST, RFC(6749, "4.1.3"),
        "A code cannot be redeemed by another client."),
    ROW("as-code-bound-redirect", HC_MUST, RFC(6749, "4.1.3"),
        "A code cannot be redeemed with another redirect_uri."),
    ROW("as-state-echoed", HC_MUST, RFC(6749, "4.1.2"),
        "The authorization response carries state exactly as sent."),
    ROW("as-iss-parameter", HC_MUST, RFC(9207, "2"),
        "The authorization response's iss equals the issuer (when "
        "advertised or sent)."),
    ROW("as-resource-invalid-target", HC_MUST, RFC(8707, "2"),
        "An unknown resource indicator gets invalid_target."),
    ROW("as-token-response", HC_MUST, RFC(6749, "5.1"),
        "Token response: 200 JSON, Cache-Control no-store, token_type "
        "Bearer, numeric expires_in."),
    ROW("as-token-error-response", HC_MUST, RFC(6749, "5.2"),
        "Token errors: 400 JSON with the RFC 6749 §5.2 code "
        "(unsupported_grant_type, invalid_grant)."),
    ROW("as-client-auth-failure", HC_MUST, RFC(6749, "5.2"),
        "Failed client authentication: invalid_client; with Basic, 401 and "
        "WWW-Authenticate."),
    ROW("as-refresh-rotation", HC_MUST, OAUTH21 "#section-4.3.1",
        "A public client's refresh token is rotated on use."),
    ROW("as-refresh-reuse-rejected", HC_MUST, OAUTH21 "#section-4.3.1",
        "A rotated (used) refresh token gets invalid_grant."),
    ROW("as-refresh-reuse-revokes-family", HC_SHOULD,
        "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
        "Reuse of a rotated refresh token revokes its whole family."),
    ROW("as-refresh-scope-not-widened", HC_MUST, RFC(6749, "6"),
        "A refresh cannot widen the granted scope."),
    ROW("as-dcr-redirect-uri-validated", HC_MUST, RFC(7591, "3.2.2"),
        "Registration rejects non-https non-loopback and fragment redirect "
        "URIs with invalid_redirect_uri."),
    ROW("as-dcr-metadata-validated", HC_SHOULD, RFC(7591, "3.2.2"),
        "Registration rejects (invalid_client_metadata) or drops an unknown "
        "grant type."),
    ROW("as-revocation-unknown-token", HC_MUST, RFC(7009, "2.2"),
        "Revoking an unknown token answers 200."),
    ROW("as-revocation-effective", HC_MUST, RFC(7009, "2.1"),
        "A revoked token stops working."),
    ROW("as-introspection", HC_MUST, RFC(7662, "2.2"),
        "Introspection: active for a valid token, inactive for an unknown "
        "one (when advertised)."),
    ROW("mcp-401-challenge", HC_MUST,
        MCP_AUTH "#protected-resource-metadata-discovery-requirements",
        "The MCP server answers 401 with WWW-Authenticate: Bearer and "
        "resource_metadata (or PRM at a well-known location)."),
    ROW("prm-valid", HC_MUST, RFC(9728, "3.3"),
        "PRM: resource equals the MCP server URL, authorization_servers "
        "non-empty, challenge scope within scopes_supported."),
    ROW("mcp-accepts-valid-token", HC_MUST, MCP_AUTH "#token-handling",
        "The MCP server accepts a valid access token in the header."),
    ROW("mcp-rejects-invalid-token", HC_MUST, MCP_AUTH "#token-handling",
        "The MCP server refuses unknown, malformed and revoked tokens with "
        "401."),
    ROW("mcp-rejects-query-token", HC_MUST, MCP_AUTH "#token-requirements",
        "The MCP server refuses a token in the query string."),
    ROW("mcp-insufficient-scope", HC_MUST,
        MCP_AUTH "#runtime-insufficient-scope-errors",
        "A call needing more scope than the token has gets 403 with a "
        "Bearer insufficient_scope challenge naming the scope."),
    ROW("mcp-rejects-wrong-audience", HC_MUST,
        MCP_AUTH "#token-audience-binding-and-validation",
        "The MCP server refuses a token issued for another resource."),
    ROW("mcp-dpop-bearer-rejected", HC_MUST, RFC(9449, "7.2"),
        "A DPoP-bound token presented as Bearer is refused (when the PRM "
        "advertises DPoP)."),
    ROW("mcp-dpop-ath-required", HC_MUST, RFC(9449, "4.3"),
        "A DPoP proof without ath (the access token hash) is refused."),
    ROW("mcp-dpop-valid-proof", HC_MUST, RFC(9449, "7.1"),
        "A DPoP-bound token with a valid proof (ath; the MCP profile's "
        "content_digest) is accepted."),
    ROW("as-cimd-fetch", HC_SHOULD, CIMD "#client-id-metadata-documents",
        "A URL client_id: the AS fetches the document (served by the "
        "harness on 127.0.0.1), issues a code and tokens (when "
        "advertised)."),
    ROW("as-cimd-client-id-mismatch", HC_MUST,
        CIMD "#client-id-metadata-documents",
        "A document whose client_id is not its URL gets no code."),
    ROW("as-cimd-ssrf", HC_SHOULD,
        "https://modelcontextprotocol.io/specification/draft/basic/"
        "authorization/security-considerations"
        "#client-id-metadata-document-security",
        "Documents behind a redirect are refused, not followed; a remote "
        "AS refuses loopback client_id URLs."),
    ROW("as-client-credentials", HC_MUST, CC "#client-credentials-flow",
        "client_credentials with a confidential client issues an access "
        "token (when advertised)."),
    ROW("as-client-credentials-auth", HC_MUST, RFC(6749, "5.2"),
        "client_credentials with a wrong secret: invalid_client; with "
        "Basic, 401 and WWW-Authenticate."),
    ROW("as-client-credentials-no-refresh", HC_SHOULD, OAUTH21 "#section-4.2.2",
        "A client_credentials response carries no refresh token."),
    /* Last: in the tests it moves the mock's clock (advance_clock). */
    ROW("mcp-rejects-expired-token", HC_MUST, MCP_AUTH "#token-handling",
        "The MCP server refuses an expired access token with 401 "
        "(--expired-token, or a short-lived one waited out)."),
};

static const hsv_probe_fn PROBES[] = {
    p_md_endpoint,
    p_md_issuer,
    p_md_pkce,
    p_md_endpoints,
    p_code_grant,
    p_pkce_required,
    p_pkce_plain,
    p_pkce_verifier,
    p_redirect_exact,
    p_code_single_use,
    p_code_replay_revokes,
    p_code_bound_client,
    p_code_bound_redirect,
    p_state,
    p_iss,
    p_invalid_target,
    p_token_response,
    p_token_errors,
    p_client_auth,
    p_refresh_rotation,
    p_refresh_reuse,
    p_refresh_family,
    p_refresh_scope,
    p_dcr_redirect,
    p_dcr_metadata,
    p_revoke_unknown,
    p_revoke_effective,
    p_introspect,
    p_mcp_challenge,
    p_prm_valid,
    p_mcp_valid,
    p_mcp_invalid,
    p_mcp_query,
    p_mcp_scope,
    p_mcp_audience,
    hsv_p_dpop_bearer,
    hsv_p_dpop_ath,
    hsv_p_dpop_valid,
    hsv_p_cimd_fetch,
    hsv_p_cimd_mismatch,
    hsv_p_cimd_ssrf,
    hsv_p_cc_grant,
    hsv_p_cc_auth,
    hsv_p_cc_no_refresh,
    hsv_p_mcp_expired,
};

_Static_assert(sizeof REGISTRY / sizeof REGISTRY[0] ==
                   sizeof PROBES / sizeof PROBES[0],
               "one probe per server check");

const struct hc_check *hsv_registry(size_t *n)
{
    *n = sizeof REGISTRY / sizeof REGISTRY[0];
    return REGISTRY;
}

hsv_probe_fn hsv_probe(size_t i)
{
    return i < sizeof PROBES / sizeof PROBES[0] ? PROBES[i] : NULL;
}
