/* The authorization endpoint (RFC 6749 §4.1.1, RFC 7636 PKCE, RFC 8707
 * resource, RFC 9207 iss): query parsing, redirect URI choice, request
 * validation, authorization codes and the redirects that carry them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/scope.h"
#include "common/url.h"
#include "mocks/as_int.h"
#include "mocks/defects.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

void mo_as_query_free(struct mo_as_query *q)
{
    ac_form_free(&q->form);
    free(q->dup);
}

bool mo_as_query_parse(const char *text, struct mo_as_query *q)
{
    const char *p = text;

    ac_form_init(&q->form);
    q->dup = NULL;
    q->bad = false;
    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq != NULL ? (size_t)(eq - p) : len;
        char *name = len ? ac_pct_decode(p, nlen, true, NULL) : NULL;
        char *value = eq != NULL
                          ? ac_pct_decode(eq + 1, len - nlen - 1, true, NULL)
                          : strdup("");
        bool ok = true;

        if (len > 0 && (name == NULL || value == NULL || name[0] == '\0')) {
            q->bad = true;
        } else if (len > 0 && ac_form_get(&q->form, name) != NULL) {
            if (q->dup == NULL) {
                q->dup = strdup(name);
                ok = q->dup != NULL;
            }
        } else if (len > 0) {
            ok = ac_form_add(&q->form, name, value, NULL);
        }
        free(name);
        ac_secret_free(value);
        if (!ok) {
            return false;
        }
        p += len;
        p += *p == '&';
    }
    return true;
}

bool mo_as_authorize_page(struct mo_reply *rep, const char *what)
{
    char html[1024];

    /* RFC 6749 §4.1.2.1: with a bad client or redirect URI the user is
     * told, and the user agent is NOT redirected. */
    snprintf(html, sizeof(html),
             "<!doctype html><html><head><title>Authorization error</title>"
             "</head><body><h1>Authorization error</h1><p>%s</p>"
             "</body></html>",
             what);
    return mo_reply_html(rep, 400, html);
}

/* 302 to redirect_uri with `params` (borrowed) added to its query. */
static bool redirect_with(struct mo_reply *rep, const char *redirect_uri,
                          const struct ac_form *params)
{
    char *enc = ac_form_encode(params);
    char *loc = NULL;
    size_t n;
    bool ok = false;

    if (enc == NULL) {
        return false;
    }
    n = strlen(redirect_uri) + strlen(enc) + 2;
    loc = malloc(n);
    if (loc != NULL) {
        snprintf(loc, n, "%s%c%s", redirect_uri,
                 strchr(redirect_uri, '?') != NULL ? '&' : '?', enc);
        ok = mo_reply_redirect(rep, loc);
    }
    ac_secret_free(enc);
    free(loc);
    return ok;
}

/* Error response by redirect (RFC 6749 §4.1.2.1) with state and the RFC
 * 9207 iss. */
bool mo_as_authorize_error(const struct mo_as *as, struct mo_reply *rep,
                           const char *redirect_uri, const char *state,
                           const char *code, const char *desc)
{
    struct ac_form f;
    char safe[MO_OAUTH_TEXT_MAX];
    bool ok;

    mo_oauth_text(safe, sizeof safe, desc);
    ac_form_init(&f);
    ok = ac_form_add(&f, "error", code, NULL) &&
         ac_form_add(&f, "error_description", safe, NULL) &&
         (state == NULL || ac_form_add(&f, "state", state, NULL)) &&
         ac_form_add(&f, "iss", as->issuer, NULL) &&
         redirect_with(rep, redirect_uri, &f);
    ac_form_free(&f);
    return ok;
}

/* An RFC 7636 §4.2 S256 challenge: 43 base64url characters. */
static bool challenge_ok(const char *c)
{
    return strlen(c) == 43 &&
           strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_") == 43;
}

/* RFC 7636 §4.4.1 (PKCE required, OAuth 2.1) and §4.2: an S256
 * challenge. The error code or NULL. */
static const char *pkce_check(const struct mo_as *as, const struct ac_form *f,
                              const char **desc)
{
    const char *method = ac_form_get(f, "code_challenge_method");

    if (ac_form_get(f, "code_challenge") == NULL &&
        (as->defects & MO_DEF_PKCE_OPTIONAL)) {
        return NULL; /* defect profile pkce-optional */
    }
    if ((as->defects & MO_DEF_PKCE_PLAIN) && method != NULL &&
        strcmp(method, "plain") == 0) {
        return NULL; /* defect profile pkce-plain */
    }
    if (ac_form_get(f, "code_challenge") == NULL) {
        *desc = "code_challenge is required (PKCE)";
        return "invalid_request";
    }
    if (method == NULL || strcmp(method, "S256") != 0) {
        *desc = "code_challenge_method must be S256";
        return "invalid_request";
    }
    if (!challenge_ok(ac_form_get(f, "code_challenge"))) {
        *desc = "code_challenge is not a valid S256 challenge";
        return "invalid_request";
    }
    return NULL;
}

const char *mo_as_known_resource(const struct mo_as *as, const char *r)
{
    size_t i;
    const json_t *v;

    json_array_foreach(as->sh->resources, i, v)
    {
        if (ac_url_same_resource(r, json_string_value(v))) {
            return json_string_value(v);
        }
    }
    return NULL;
}

/* RFC 8707 resource and RFC 6749 §3.3 scope. The error code or NULL. */
static const char *grant_check(const struct mo_as *as, const struct ac_form *f,
                               const char **desc)
{
    const char *resource = ac_form_get(f, "resource");
    const char *scope = ac_form_get(f, "scope");

    if ((resource == NULL && as->resource_optional) ||
        (as->defects & MO_DEF_RESOURCE_UNCHECKED)) {
        /* 2025-03-26 topology: the MCP server is the only resource. */
    } else if (resource == NULL || mo_as_known_resource(as, resource) == NULL) {
        *desc = "resource must name an MCP server (RFC 8707)";
        return "invalid_target";
    }
    if (scope != NULL && as->scopes != NULL &&
        !ac_scope_subset_of_array(scope, as->scopes)) {
        *desc = "scope includes a value not in scopes_supported";
        return "invalid_scope";
    }
    return NULL;
}

/* Validate the redirected part of an authorization request. Returns the
 * error code (and *desc) or NULL when the request is good. */
static const char *authorize_check(const struct mo_as *as,
                                   const struct mo_as_query *q,
                                   const struct client *c, const char **desc)
{
    const struct ac_form *f = &q->form;
    const char *rt = ac_form_get(f, "response_type");
    const char *code;

    *desc = NULL;
    if (q->bad || (q->dup != NULL && strcmp(q->dup, "resource") != 0)) {
        *desc = "malformed or repeated parameter (RFC 6749 §3.1)";
        return "invalid_request";
    }
    if (q->dup != NULL) {
        *desc = "only one resource is served by this authorization server";
        return "invalid_target";
    }
    if (rt == NULL) {
        *desc = "response_type is required";
        return "invalid_request";
    }
    if (strcmp(rt, "code") != 0) {
        *desc = "only response_type=code is supported";
        return "unsupported_response_type";
    }
    if (!mo_as_client_has(c, "response_types", "code")) {
        *desc = "client did not register response type code";
        return "unauthorized_client";
    }
    if (as->lenient) {
        /* Profile "lenient": no PKCE, resource or scope enforcement. */
        return NULL;
    }
    code = pkce_check(as, f, desc);
    return code != NULL ? code : grant_check(as, f, desc);
}

void mo_as_code_free(struct code *k)
{
    if (k == NULL) {
        return;
    }
    ac_secret_free(k->value);
    free(k->client_id);
    free(k->redirect_uri);
    free(k->challenge);
    free(k->resource);
    free(k->scope);
    free(k);
}

static struct code *code_issue(struct mo_as *as, const struct ac_form *f,
                               const struct client *c, const char *redirect_uri)
{
    struct code *k = calloc(1, sizeof(*k));
    const char *scope = ac_form_get(f, "scope");

    if (k == NULL) {
        return NULL;
    }
    k->value = ac_random_token(32, NULL);
    k->client_id = strdup(c->id);
    k->redirect_uri = strdup(redirect_uri);
    k->redirect_given = ac_form_get(f, "redirect_uri") != NULL;
    k->challenge = strdup(ac_form_get(f, "code_challenge") != NULL
                              ? ac_form_get(f, "code_challenge")
                              : "");
    /* Lenient: whatever was asked, tokens are for the MCP server. */
    k->resource = strdup(
        as->lenient || ac_form_get(f, "resource") == NULL ||
                mo_as_known_resource(as, ac_form_get(f, "resource")) == NULL
            ? (as->sh->resource != NULL ? as->sh->resource : "")
            : mo_as_known_resource(as, ac_form_get(f, "resource")));
    /* RFC 6749 §3.3: an omitted scope gets the default, the empty set. */
    k->scope = strdup(scope != NULL ? scope : "");
    k->expires_at = mo_world_now(as->sh) + CODE_TTL;
    if (k->value == NULL || k->client_id == NULL || k->redirect_uri == NULL ||
        k->challenge == NULL || k->resource == NULL || k->scope == NULL ||
        !mo_as_ptr_push(&as->codes, &as->ncodes, &as->kcap, k) ||
        !mo_as_secret_note(as, k->value)) {
        mo_as_code_free(k);
        return NULL;
    }
    return k;
}

bool mo_as_authorize_success(struct mo_as *as, struct mo_reply *rep,
                             const struct mo_as_query *q,
                             const struct client *c, const char *redirect_uri)
{
    const char *state = ac_form_get(&q->form, "state");
    struct code *k = code_issue(as, &q->form, c, redirect_uri);
    struct ac_form f;
    bool ok;

    if (k == NULL) {
        return false;
    }
    mo_rules_emit(as->sh, "authorization.completed", as->id, k->value, c->id);
    ac_form_init(&f);
    ok = ac_form_add(&f, "code", k->value, NULL) &&
         (state == NULL || ac_form_add(&f, "state", state, NULL)) &&
         ac_form_add(&f, "iss", as->issuer, NULL) &&
         redirect_with(rep, redirect_uri, &f);
    ac_form_free(&f);
    return ok;
}

/* RFC 8252 §7.3: a loopback http redirect URI matches a registered one
 * whatever its port. */
static bool loopback_same_but_port(const char *reg, const char *given)
{
    struct ac_url a, b;
    bool same = false;

    if (reg == NULL || strncmp(reg, "http:", 5) != 0 ||
        strncmp(given, "http:", 5) != 0 || !ac_url_parse(reg, &a, NULL)) {
        return false;
    }
    if (ac_url_parse(given, &b, NULL)) {
        same = ac_url_is_loopback(&a) && strcmp(a.host, b.host) == 0 &&
               strcmp(a.path != NULL ? a.path : "",
                      b.path != NULL ? b.path : "") == 0 &&
               (a.query == NULL) == (b.query == NULL) &&
               (a.query == NULL || strcmp(a.query, b.query) == 0);
        ac_url_free(&b);
    }
    ac_url_free(&a);
    return same;
}

/* http on a loopback host, no fragment (RFC 8252 §7.3). */
static bool http_loopback(const char *uri)
{
    struct ac_url u;
    bool ok;

    if (!ac_url_parse(uri, &u, NULL)) {
        return false;
    }
    ok = strcmp(u.scheme, "http") == 0 && ac_url_is_loopback(&u) &&
         u.fragment == NULL;
    ac_url_free(&u);
    return ok;
}

/* The redirect URI to use, or NULL (then no redirect may happen). OAuth
 * 2.1 §4.1.1: it may be omitted when exactly one is registered; when given
 * it must match a registered one exactly (RFC 6749 §3.1.2.3). */
const char *mo_as_pick_redirect(const struct client *c, const char *given,
                                bool loopback_any)
{
    const json_t *uris = json_object_get(c->metadata, "redirect_uris");
    size_t i;
    const json_t *u;

    if (given == NULL) {
        return json_array_size(uris) == 1
                   ? json_string_value(json_array_get(uris, 0))
                   : NULL;
    }
    if (ac_json_array_has_str(uris, given)) {
        return given;
    }
    if (c->any_loopback_redirect && http_loopback(given)) {
        return given;
    }
    json_array_foreach(uris, i, u)
    {
        if ((loopback_any || c->loopback_any) &&
            loopback_same_but_port(json_string_value(u), given)) {
            return given;
        }
    }
    return NULL;
}

/* Defect profile redirect-prefix: a given URI that starts with a
 * registered one's scheme and host (any port, path or query) is taken. */
static const char *prefix_registered(const struct client *c, const char *given)
{
    const json_t *uris = json_object_get(c->metadata, "redirect_uris");
    const json_t *u;
    size_t i;

    json_array_foreach(uris, i, u)
    {
        const char *r = json_string_value(u);
        size_t scheme = r != NULL ? strcspn(r, ":") : 0;
        size_t n;
        if (r == NULL || given == NULL || strncmp(r + scheme, "://", 3) != 0) {
            continue; /* private-use schemes: exact match only */
        }
        n = scheme + 3 + strcspn(r + scheme + 3, ":/");
        if (strncmp(r, given, n) == 0) {
            return given;
        }
    }
    return NULL;
}

bool mo_as_handle_authorize(void *ctx, const struct mo_req *req,
                            struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct mo_as_query q;
    const struct client *c;
    const char *redirect_uri = NULL;
    const char *code;
    const char *desc;
    bool ok;

    if (!mo_as_query_parse(req->query, &q)) {
        mo_as_query_free(&q);
        return false;
    }
    c = mo_as_client_lookup(as, ac_form_get(&q.form, "client_id"));
    if (c != NULL && (q.dup == NULL || (strcmp(q.dup, "client_id") != 0 &&
                                        strcmp(q.dup, "redirect_uri") != 0))) {
        redirect_uri = mo_as_pick_redirect(
            c, ac_form_get(&q.form, "redirect_uri"), as->loopback_any);
        if (redirect_uri == NULL && as->lenient) {
            redirect_uri = ac_form_get(&q.form, "redirect_uri");
        }
        if (redirect_uri == NULL && (as->defects & MO_DEF_REDIRECT_PREFIX)) {
            redirect_uri =
                prefix_registered(c, ac_form_get(&q.form, "redirect_uri"));
        }
    }
    if (c == NULL) {
        ok = mo_as_authorize_page(rep, "invalid_request: unknown or missing "
                                       "client_id");
    } else if (redirect_uri == NULL) {
        ok = mo_as_authorize_page(rep,
                                  "invalid_request: redirect_uri missing or "
                                  "not registered for this client");
    } else if ((code = authorize_check(as, &q, c, &desc)) != NULL) {
        ok = mo_as_authorize_error(as, rep, redirect_uri,
                                   ac_form_get(&q.form, "state"), code, desc);
    } else if (as->sh->interactive) {
        ok = mo_as_consent_page(as, rep, req, c, redirect_uri);
    } else {
        ok = mo_as_authorize_success(as, rep, &q, c, redirect_uri);
    }
    mo_as_query_free(&q);
    return ok;
}
