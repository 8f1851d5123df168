/* The mock authorization server (see as.h). Owns its configuration, its
 * registered clients and its authorization codes; tokens live in the
 * world's shared table so the MCP server can validate them. Every handler
 * runs with mo_shared.lock held (mocks/httpd.c). */
#include "mocks/as.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64url.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/url.h"
#include "common/httpc.h"
#include "common/jwt.h"
#include "mocks/httpd.h"
#include "mocks/keys.h"
#include "mocks/rules.h"
#include "mocks/world_int.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define CODE_TTL 60 /* seconds; RFC 6749 §4.1.2 recommends 10 min at most */
#define DEFAULT_ACCESS_TTL 3600

enum refresh_mode { REFRESH_ROTATE, REFRESH_REUSE, REFRESH_NONE };

struct client {
    char *id;
    char *secret; /* NULL for token_endpoint_auth_method "none" */
    char *auth_method;
    json_t *metadata;          /* the registration response, as sent */
    int64_t secret_expires_at; /* mo_now() seconds; 0 = never */
    bool preregistered;        /* from the scenario: survives "forget" */
    struct ac_jwks *jwks;      /* private_key_jwt keys, or NULL */
};

struct code {
    char *value;
    char *client_id;
    char *redirect_uri;  /* the effective one */
    bool redirect_given; /* was redirect_uri in the authorization request? */
    char *challenge;
    char *resource;
    char *scope;
    int64_t expires_at;
    bool used;
    uint64_t grant;
};

struct mo_as {
    struct mo_shared *sh;
    char *id;
    char *path; /* issuer path without a trailing "/", "" for none */
    char *issuer;
    json_t *scopes; /* scopes_supported, NULL when not defined */
    bool oauth_md, oidc_md, dcr;
    bool cimd;            /* URL client ids: Client ID Metadata Documents */
    bool lenient;         /* profile "lenient" (docs/MOCKS.md "Profiles") */
    bool loopback_any;    /* RFC 8252 §7.3: any port on a loopback redirect */
    struct mo_keys *keys; /* JWT access tokens when non-NULL */
    json_t *jtis;         /* client_assertion jti values seen (replay) */
    json_t *pending;      /* consent page: txn -> authorization query */
    char *md_text[2];     /* serialised metadata (RFC 8414, OIDC), built
                             on first use: it never changes once started */
    int64_t access_ttl;
    int64_t refresh_ttl; /* 0: refresh tokens never expire */
    enum refresh_mode refresh;
    struct client **clients;
    size_t nclients, ccap;
    struct code **codes;
    size_t ncodes, kcap;
    struct mo_httpd *httpd;
};

/* --- small helpers -------------------------------------------------- */

static void client_free(struct client *c);

static bool ptr_push(void *arrp, size_t *n, size_t *cap, void *p)
{
    void ***arr = arrp;

    if (*n == *cap) {
        size_t ncap = *cap != 0 ? *cap * 2 : 8;
        void **q = realloc(*arr, ncap * sizeof(*q));

        if (q == NULL) {
            return false;
        }
        *arr = q;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return true;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);

    if (s != NULL) {
        snprintf(s, n, "%s%s", a, b);
    }
    return s;
}

static bool secret_note(struct mo_as *as, const char *s)
{
    return mo_transcript_add_secret(as->sh->transcript, s);
}

static struct client *client_find(const struct mo_as *as, const char *id)
{
    for (size_t i = 0; id != NULL && i < as->nclients; i++) {
        if (strcmp(as->clients[i]->id, id) == 0) {
            return as->clients[i];
        }
    }
    return NULL;
}

static bool client_has(const struct client *c, const char *member,
                       const char *value)
{
    return ac_json_array_has_str(json_object_get(c->metadata, member), value);
}

/* RFC 6749 §5.2 error from the token or revocation endpoint. */
static bool token_error(struct mo_reply *rep, const char *code,
                        const char *desc)
{
    return mo_reply_oauth_error(rep, 400, code, desc);
}

/* --- metadata (RFC 8414 §2, OpenID Discovery §3) --------------------- */

/* "{issuer}{suffix}" as a new JSON string. */
static json_t *endpoint_url(const struct mo_as *as, const char *suffix)
{
    char url[1024];

    snprintf(url, sizeof(url), "%s%s", as->issuer, suffix);
    return json_string(url);
}

static json_t *metadata_doc(const struct mo_as *as, bool oidc)
{
    json_t *doc = json_pack(
        "{s:s, s:o, s:o, s:[s], s:[s, s, s], s:[s, s, s, s], s:[s, s],"
        " s:[s], s:b, s:o, s:o}",
        "issuer", as->issuer, "authorization_endpoint",
        endpoint_url(as, "/authorize"), "token_endpoint",
        endpoint_url(as, "/token"), "response_types_supported", "code",
        "grant_types_supported", "authorization_code", "refresh_token",
        "client_credentials", "token_endpoint_auth_methods_supported", "none",
        "client_secret_basic", "client_secret_post", "private_key_jwt",
        "token_endpoint_auth_signing_alg_values_supported", "RS256", "ES256",
        "code_challenge_methods_supported", "S256",
        "authorization_response_iss_parameter_supported", 1,
        "revocation_endpoint", endpoint_url(as, "/revoke"),
        "introspection_endpoint", endpoint_url(as, "/introspect"));
    bool ok = doc != NULL;

    if (ok && as->keys != NULL) {
        ok = json_object_set_new(doc, "jwks_uri", endpoint_url(as, "/jwks")) ==
             0;
    }
    if (ok && as->cimd) {
        ok = json_object_set_new(doc, "client_id_metadata_document_supported",
                                 json_true()) == 0;
    }
    if (ok && as->dcr) {
        ok = json_object_set_new(doc, "registration_endpoint",
                                 endpoint_url(as, "/register")) == 0;
    }
    if (ok && as->scopes != NULL) {
        ok = json_object_set(doc, "scopes_supported", as->scopes) == 0;
    }
    if (ok && oidc) {
        ok = json_object_set_new(doc, "subject_types_supported",
                                 json_pack("[s]", "public")) == 0;
    }
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static bool handle_metadata(void *ctx, const struct mo_req *req,
                            struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    int oidc = strcmp(req->endpoint, "oidc") == 0;

    if (as->md_text[oidc] == NULL) {
        json_t *doc = metadata_doc(as, oidc);

        as->md_text[oidc] = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (as->md_text[oidc] == NULL) {
            return false;
        }
    }
    return mo_reply_body(rep, 200, "application/json", as->md_text[oidc],
                         strlen(as->md_text[oidc]));
}

/* --- registration (RFC 7591) ---------------------------------------- */

/* RFC 6749 §3.1.2, RFC 8252 §7: https anywhere, http only on loopback, or a
 * private-use scheme with a dot; never a fragment. */
static bool redirect_uri_ok(const char *uri)
{
    struct ac_url u;
    size_t slen = strcspn(uri, ":");
    bool ok;

    if (uri[slen] != ':' || slen == 0 || strchr(uri, '#') != NULL) {
        return false;
    }
    if (strncasecmp(uri, "http:", 5) != 0 &&
        strncasecmp(uri, "https:", 6) != 0) {
        /* RFC 8252 §7.1 private-use scheme: reverse domain name. */
        return memchr(uri, '.', slen) != NULL &&
               strspn(uri, "abcdefghijklmnopqrstuvwxyz0123456789.+-") >= slen;
    }
    if (!ac_url_parse(uri, &u, NULL)) {
        return false;
    }
    ok = strcmp(u.scheme, "https") == 0 || ac_url_is_loopback(&u);
    ac_url_free(&u);
    return ok;
}

static const char *check_redirect_uris(const json_t *v)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v) || json_array_size(v) == 0) {
        return "redirect_uris must be a non-empty array";
    }
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e) || !redirect_uri_ok(json_string_value(e))) {
            return "each redirect URI must be an absolute https URL, an http "
                   "loopback URL or a private-use scheme, without fragment";
        }
    }
    return NULL;
}

/* Is `s` (may be NULL) one of `allowed` (NULL-terminated)? */
static bool str_in(const char *s, const char *const *allowed)
{
    for (size_t k = 0; s != NULL && allowed[k] != NULL; k++) {
        if (strcmp(s, allowed[k]) == 0) {
            return true;
        }
    }
    return false;
}

/* Every member of array `v` is a string from `allowed`. */
static bool strings_in(const json_t *v, const char *const *allowed)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v)) {
        return false;
    }
    json_array_foreach(v, i, e)
    {
        if (!str_in(json_string_value(e), allowed)) {
            return false;
        }
    }
    return true;
}

/* Apply RFC 7591 §2 defaults and check the metadata; NULL when valid, else
 * the error description (error code invalid_client_metadata). */
static const char *check_metadata(json_t *md)
{
    static const char *const grants[] = {"authorization_code", "refresh_token",
                                         "client_credentials", NULL};
    static const char *const rtypes[] = {"code", NULL};
    static const char *const methods[] = {"none", "client_secret_basic",
                                          "client_secret_post",
                                          "private_key_jwt", NULL};
    static const char *const app_types[] = {"web", "native", NULL};
    const json_t *m;
    bool code_grant, code_rt;

    if (json_object_get(md, "grant_types") == NULL) {
        json_object_set_new(md, "grant_types",
                            json_pack("[s]", "authorization_code"));
    }
    if (json_object_get(md, "response_types") == NULL) {
        json_object_set_new(md, "response_types", json_pack("[s]", "code"));
    }
    if (json_object_get(md, "token_endpoint_auth_method") == NULL) {
        json_object_set_new(md, "token_endpoint_auth_method",
                            json_string("client_secret_basic"));
    }
    if (!strings_in(json_object_get(md, "grant_types"), grants)) {
        return "unsupported grant_types";
    }
    if (!strings_in(json_object_get(md, "response_types"), rtypes)) {
        return "unsupported response_types";
    }
    code_grant = ac_json_array_has_str(json_object_get(md, "grant_types"),
                                       "authorization_code");
    code_rt =
        ac_json_array_has_str(json_object_get(md, "response_types"), "code");
    if (code_grant != code_rt) {
        /* RFC 7591 §2.1: "code" goes with "authorization_code". */
        return "grant_types and response_types are inconsistent";
    }
    m = json_object_get(md, "token_endpoint_auth_method");
    if (!str_in(json_string_value(m), methods)) {
        return "unsupported token_endpoint_auth_method";
    }
    m = json_object_get(md, "scope");
    if (m != NULL && !json_is_string(m)) {
        return "scope must be a string";
    }
    m = json_object_get(md, "application_type");
    if (m != NULL && !str_in(json_string_value(m), app_types)) {
        /* OpenID Connect Dynamic Registration §2: "web" or "native". */
        return "application_type must be \"web\" or \"native\"";
    }
    if (strcmp(ac_json_str(md, "token_endpoint_auth_method"),
               "private_key_jwt") == 0 &&
        !json_is_object(json_object_get(md, "jwks"))) {
        /* RFC 7591 §2: jwks_uri is not fetched by this mock. */
        return "private_key_jwt needs an inline jwks";
    }
    return NULL;
}

/* A client with a given id (and secret, NULL for none) from metadata
 * `md` (taken, even on failure). Borrowed result, NULL when out of
 * memory or its jwks cannot be imported. */
static struct client *client_push(struct mo_as *as, json_t *md, const char *id,
                                  const char *secret, bool pre)
{
    struct client *c = calloc(1, sizeof(*c));
    const char *method = ac_json_str(md, "token_endpoint_auth_method");
    const json_t *jwks = json_object_get(md, "jwks");

    if (c == NULL) {
        json_decref(md);
        return NULL;
    }
    c->metadata = md;
    c->preregistered = pre;
    c->id = strdup(id);
    c->secret = secret != NULL ? strdup(secret) : NULL;
    c->auth_method = strdup(method != NULL ? method : "none");
    c->jwks = jwks != NULL ? ac_jwks_import(jwks, NULL, NULL) : NULL;
    if (c->id == NULL || c->auth_method == NULL ||
        (secret != NULL && c->secret == NULL) ||
        (jwks != NULL && c->jwks == NULL) ||
        !ptr_push(&as->clients, &as->nclients, &as->ccap, c) ||
        !secret_note(as, secret)) {
        client_free(c);
        return NULL;
    }
    return c;
}

static bool client_add(struct mo_as *as, json_t *md, struct client **out)
{
    struct client *c = calloc(1, sizeof(*c));
    const char *method = ac_json_str(md, "token_endpoint_auth_method");

    *out = NULL;
    if (c == NULL) {
        json_decref(md);
        return false;
    }
    c->metadata = md;
    c->id = ac_random_token(16, NULL);
    c->auth_method = strdup(method);
    if (strcmp(method, "none") != 0 && strcmp(method, "private_key_jwt") != 0) {
        c->secret = ac_random_token(32, NULL);
    }
    if (json_object_get(md, "jwks") != NULL) {
        c->jwks = ac_jwks_import(json_object_get(md, "jwks"), NULL, NULL);
    }
    if (c->id == NULL || c->auth_method == NULL ||
        (json_object_get(md, "jwks") != NULL && c->jwks == NULL) ||
        (strcmp(method, "none") != 0 &&
         strcmp(method, "private_key_jwt") != 0 && c->secret == NULL) ||
        json_object_set_new(md, "client_id", json_string(c->id)) != 0 ||
        json_object_set_new(md, "client_id_issued_at",
                            json_integer(mo_now(as->sh))) != 0 ||
        (c->secret != NULL &&
         (json_object_set_new(md, "client_secret", json_string(c->secret)) ||
          json_object_set_new(md, "client_secret_expires_at",
                              json_integer(0)))) ||
        !ptr_push(&as->clients, &as->nclients, &as->ccap, c)) {
        free(c->id);
        free(c->auth_method);
        ac_secret_free(c->secret);
        ac_jwks_free(c->jwks);
        json_decref(md);
        free(c);
        return false;
    }
    *out = c;
    return secret_note(as, c->secret);
}

static bool handle_register(void *ctx, const struct mo_req *req,
                            struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_err err;
    struct client *c = NULL;
    json_t *md = NULL;
    const char *why;

    if (!mo_req_content_type_is(req, "application/json")) {
        return token_error(rep, "invalid_client_metadata",
                           "Content-Type must be application/json");
    }
    md = ac_json_parse_object(req->body, req->body_len, &err);
    if (md == NULL) {
        return token_error(rep, "invalid_client_metadata", err.msg);
    }
    why = check_redirect_uris(json_object_get(md, "redirect_uris"));
    if (why != NULL) {
        json_decref(md);
        return token_error(rep, "invalid_redirect_uri", why);
    }
    why = check_metadata(md);
    if (why != NULL) {
        json_decref(md);
        return token_error(rep, "invalid_client_metadata", why);
    }
    if (!client_add(as, md, &c)) {
        return false;
    }
    mo_emit(as->sh, "client.registered", as->id, NULL, c->id);
    /* RFC 7591 §3.2.1: 201 with every registered member. */
    return mo_reply_json(rep, 201, c->metadata) &&
           mo_reply_header(rep, "Cache-Control", "no-store") &&
           mo_reply_header(rep, "Pragma", "no-cache");
}

/* --- Client ID Metadata Documents ----------------------------------- */

static bool is_url_id(const char *id)
{
    return id != NULL &&
           (strncmp(id, "https://", 8) == 0 || strncmp(id, "http://", 7) == 0);
}

/* Validate a fetched client metadata document for `url`; NULL when good.
 * Defaults as for DCR, but the method defaults to "none" and must not use
 * a shared secret (there is no one to issue it). */
static const char *cimd_verdict(json_t *doc, const char *url)
{
    const char *m;

    if (ac_json_str(doc, "client_id") == NULL ||
        strcmp(ac_json_str(doc, "client_id"), url) != 0) {
        return "client_id must equal the document URL";
    }
    if (check_redirect_uris(json_object_get(doc, "redirect_uris")) != NULL) {
        return "redirect_uris missing or invalid";
    }
    if (json_object_get(doc, "token_endpoint_auth_method") == NULL) {
        json_object_set_new(doc, "token_endpoint_auth_method",
                            json_string("none"));
    }
    if (json_object_get(doc, "grant_types") == NULL) {
        json_object_set_new(
            doc, "grant_types",
            json_pack("[s, s]", "authorization_code", "refresh_token"));
    }
    if (check_metadata(doc) != NULL) {
        return "invalid client metadata";
    }
    m = ac_json_str(doc, "token_endpoint_auth_method");
    if (strcmp(m, "none") != 0 && strcmp(m, "private_key_jwt") != 0) {
        return "a metadata document client cannot use a client secret";
    }
    return NULL;
}

/* Fetch, validate and cache the document of a URL client_id. NULL when
 * it cannot be had or is invalid (the client is then unknown). The world
 * lock is held meanwhile: short timeouts. */
static struct client *cimd_fetch(struct mo_as *as, const char *url)
{
    struct ac_http_request rq = {
        .url = url,
        .connect_timeout_ms = 1000,
        .timeout_ms = 2000,
        .max_body = 64 * 1024,
    };
    struct ac_http_response rs;
    struct ac_err err;
    json_t *doc = NULL;
    const char *why = "fetch failed";
    struct client *c = NULL;

    memset(&rs, 0, sizeof(rs));
    if (ac_http_do(&rq, &rs, &err) && rs.status == 200 &&
        (doc = ac_json_parse_object(rs.body, rs.body_len, &err)) != NULL &&
        (why = cimd_verdict(doc, url)) == NULL) {
        c = client_push(as, doc, url, NULL, false);
        doc = NULL;
    }
    if (c == NULL) {
        ac_log(AC_LOG_INFO, "%s: client metadata %s refused: %s", as->id, url,
               why != NULL ? why : "invalid");
    }
    json_decref(doc);
    ac_http_response_free(&rs);
    return c;
}

/* A known client, or for a URL client_id with CIMD enabled, the fetched
 * and cached one. */
static struct client *client_lookup(struct mo_as *as, const char *id)
{
    struct client *c = client_find(as, id);

    if (c == NULL && as->cimd && is_url_id(id)) {
        c = cimd_fetch(as, id);
    }
    return c;
}

/* --- authorization endpoint (RFC 6749 §4.1.1, RFC 7636, RFC 8707) ---- */

/* Query parameters, first value kept, with the first duplicated name and
 * decoding failures noted rather than fatal: the authorization endpoint
 * must still find client_id and redirect_uri to know whether it may
 * redirect the error (RFC 6749 §4.1.2.1). */
struct query {
    struct ac_form form;
    char *dup; /* first duplicated name, or NULL */
    bool bad;  /* some piece failed to decode */
};

static void query_free(struct query *q)
{
    ac_form_free(&q->form);
    free(q->dup);
}

static bool query_parse(const char *text, struct query *q)
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

static bool authorize_page(struct mo_reply *rep, const char *what)
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
static bool authorize_error(const struct mo_as *as, struct mo_reply *rep,
                            const char *redirect_uri, const char *state,
                            const char *code, const char *desc)
{
    struct ac_form f;
    bool ok;

    ac_form_init(&f);
    ok = ac_form_add(&f, "error", code, NULL) &&
         ac_form_add(&f, "error_description", desc, NULL) &&
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

/* Validate the redirected part of an authorization request. Returns the
 * error code (and *desc) or NULL when the request is good. */
static const char *authorize_check(const struct mo_as *as,
                                   const struct query *q,
                                   const struct client *c, const char **desc)
{
    const struct ac_form *f = &q->form;
    const char *rt = ac_form_get(f, "response_type");
    const char *method = ac_form_get(f, "code_challenge_method");
    const char *resource = ac_form_get(f, "resource");
    const char *scope = ac_form_get(f, "scope");

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
    if (!client_has(c, "response_types", "code")) {
        *desc = "client did not register response type code";
        return "unauthorized_client";
    }
    if (as->lenient) {
        /* Profile "lenient": no PKCE, resource or scope enforcement. */
        return NULL;
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
    if (resource == NULL || as->sh->resource == NULL ||
        strcmp(resource, as->sh->resource) != 0) {
        *desc = "resource must name the MCP server (RFC 8707)";
        return "invalid_target";
    }
    if (scope != NULL && as->scopes != NULL &&
        !mo_scope_subset(scope, NULL, as->scopes)) {
        *desc = "scope includes a value not in scopes_supported";
        return "invalid_scope";
    }
    return NULL;
}

static void code_free(struct code *k)
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
    k->resource =
        strdup(as->lenient || ac_form_get(f, "resource") == NULL
                   ? (as->sh->resource != NULL ? as->sh->resource : "")
                   : ac_form_get(f, "resource"));
    /* RFC 6749 §3.3: an omitted scope gets the default, the empty set. */
    k->scope = strdup(scope != NULL ? scope : "");
    k->expires_at = mo_now(as->sh) + CODE_TTL;
    if (k->value == NULL || k->client_id == NULL || k->redirect_uri == NULL ||
        k->challenge == NULL || k->resource == NULL || k->scope == NULL ||
        !ptr_push(&as->codes, &as->ncodes, &as->kcap, k) ||
        !secret_note(as, k->value)) {
        code_free(k);
        return NULL;
    }
    return k;
}

static bool authorize_success(struct mo_as *as, struct mo_reply *rep,
                              const struct query *q, const struct client *c,
                              const char *redirect_uri)
{
    const char *state = ac_form_get(&q->form, "state");
    struct code *k = code_issue(as, &q->form, c, redirect_uri);
    struct ac_form f;
    bool ok;

    if (k == NULL) {
        return false;
    }
    mo_emit(as->sh, "authorization.completed", as->id, k->value, c->id);
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

/* The redirect URI to use, or NULL (then no redirect may happen). OAuth
 * 2.1 §4.1.1: it may be omitted when exactly one is registered; when given
 * it must match a registered one exactly (RFC 6749 §3.1.2.3). */
static const char *pick_redirect(const struct client *c, const char *given,
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
    json_array_foreach(uris, i, u)
    {
        if (loopback_any &&
            loopback_same_but_port(json_string_value(u), given)) {
            return given;
        }
    }
    return NULL;
}

/* --- the consent page (authcheck serve --interactive) ---------------- */

/* HTML-escape into a capped buffer. */
static void html_escape(const char *in, char *out, size_t n)
{
    size_t k = 0;

    for (; in != NULL && *in != '\0' && k + 7 < n; in++) {
        const char *rep = *in == '<'    ? "&lt;"
                          : *in == '>'  ? "&gt;"
                          : *in == '&'  ? "&amp;"
                          : *in == '"'  ? "&quot;"
                          : *in == '\'' ? "&#39;"
                                        : NULL;

        if (rep != NULL) {
            k += (size_t)snprintf(out + k, n - k, "%s", rep);
        } else {
            out[k++] = *in;
        }
    }
    out[k] = '\0';
}

/* Park the validated authorization request under a transaction id and
 * show who asks and where the answer goes. */
static bool consent_page(struct mo_as *as, struct mo_reply *rep,
                         const struct mo_req *req, const struct client *c,
                         const char *redirect_uri)
{
    const char *name = ac_json_str(c->metadata, "client_name");
    struct ac_url u;
    char ename[256], ehost[256], eiss[512], html[4096];
    char *txn = ac_random_token(16, NULL);
    bool ok;

    if (txn == NULL ||
        json_object_set_new(as->pending, txn, json_string(req->query)) != 0) {
        free(txn);
        return false;
    }
    html_escape(name != NULL ? name : c->id, ename, sizeof(ename));
    if (ac_url_parse(redirect_uri, &u, NULL)) {
        html_escape(u.host, ehost, sizeof(ehost));
        ac_url_free(&u);
    } else {
        html_escape(redirect_uri, ehost, sizeof(ehost));
    }
    html_escape(as->issuer, eiss, sizeof(eiss));
    snprintf(html, sizeof(html),
             "<!doctype html><html><head><title>Authorize %s</title></head>"
             "<body><h1>Authorize <span id=\"client\">%s</span>?</h1>"
             "<p>After your decision you will be sent to "
             "<strong id=\"redirect-host\">%s</strong>.</p>"
             "<form method=\"get\" action=\"%s/consent\">"
             "<input type=\"hidden\" name=\"txn\" value=\"%s\">"
             "<button name=\"decision\" value=\"approve\">Approve</button> "
             "<button name=\"decision\" value=\"deny\">Deny</button>"
             "</form></body></html>",
             ename, ename, ehost, eiss, txn);
    free(txn);
    ok = mo_reply_html(rep, 200, html) &&
         mo_reply_header(rep, "Cache-Control", "no-store");
    return ok;
}

static bool handle_authorize(void *ctx, const struct mo_req *req,
                             struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct query q;
    const struct client *c;
    const char *redirect_uri = NULL;
    const char *code;
    const char *desc;
    bool ok;

    if (!query_parse(req->query, &q)) {
        query_free(&q);
        return false;
    }
    c = client_lookup(as, ac_form_get(&q.form, "client_id"));
    if (c != NULL && (q.dup == NULL || (strcmp(q.dup, "client_id") != 0 &&
                                        strcmp(q.dup, "redirect_uri") != 0))) {
        redirect_uri = pick_redirect(c, ac_form_get(&q.form, "redirect_uri"),
                                     as->loopback_any);
        if (redirect_uri == NULL && as->lenient) {
            redirect_uri = ac_form_get(&q.form, "redirect_uri");
        }
    }
    if (c == NULL) {
        ok = authorize_page(rep, "invalid_request: unknown or missing "
                                 "client_id");
    } else if (redirect_uri == NULL) {
        ok = authorize_page(rep, "invalid_request: redirect_uri missing or "
                                 "not registered for this client");
    } else if ((code = authorize_check(as, &q, c, &desc)) != NULL) {
        ok = authorize_error(as, rep, redirect_uri,
                             ac_form_get(&q.form, "state"), code, desc);
    } else if (as->sh->interactive) {
        ok = consent_page(as, rep, req, c, redirect_uri);
    } else {
        ok = authorize_success(as, rep, &q, c, redirect_uri);
    }
    query_free(&q);
    return ok;
}

/* GET /consent?txn=..&decision=approve|deny: the answer of the consent
 * page. Approve: the code redirect; deny: access_denied (RFC 6749
 * §4.1.2.1), both with state and iss. */
static bool handle_consent(void *ctx, const struct mo_req *req,
                           struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct query q;
    const char *txn, *decision, *stored;
    const struct client *c;
    const char *redirect_uri;
    bool ok;

    ac_form_init(&f);
    if (req->query == NULL || !ac_form_parse(req->query, &f, NULL) ||
        (txn = ac_form_get(&f, "txn")) == NULL ||
        (stored = ac_json_str(as->pending, txn)) == NULL) {
        ac_form_free(&f);
        return authorize_page(rep, "invalid_request: unknown or used "
                                   "consent transaction");
    }
    decision = ac_form_get(&f, "decision");
    if (!query_parse(stored, &q)) {
        query_free(&q);
        ac_form_free(&f);
        return false;
    }
    c = client_find(as, ac_form_get(&q.form, "client_id"));
    redirect_uri = c != NULL
                       ? pick_redirect(c, ac_form_get(&q.form, "redirect_uri"),
                                       as->loopback_any)
                       : NULL;
    if (c == NULL || redirect_uri == NULL) {
        ok = authorize_page(rep, "invalid_request: the client is gone");
    } else if (decision != NULL && strcmp(decision, "approve") == 0) {
        ok = authorize_success(as, rep, &q, c, redirect_uri);
    } else {
        ok = authorize_error(as, rep, redirect_uri,
                             ac_form_get(&q.form, "state"), "access_denied",
                             "the resource owner denied the request");
    }
    query_free(&q);
    json_object_del(as->pending, txn);
    ac_form_free(&f);
    return ok;
}

/* --- client authentication (RFC 6749 §2.3) -------------------------- */

/* Split RFC 6749 §2.3.1 Basic credentials: base64 of
 * urlencode(id) ":" urlencode(secret). */
static bool basic_decode(const char *hdr, char **id, char **secret)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    char *colon;
    bool ok = false;

    *id = *secret = NULL;
    hdr += strlen("Basic");
    hdr += strspn(hdr, " ");
    if (!ac_b64_decode(hdr, strlen(hdr), &raw, &n, NULL)) {
        return false;
    }
    colon = memchr(raw, ':', n);
    if (colon != NULL && memchr(raw, '\0', n) == NULL) {
        *id = ac_pct_decode((char *)raw, (size_t)(colon - (char *)raw), true,
                            NULL);
        *secret = ac_pct_decode(
            colon + 1, n - (size_t)(colon + 1 - (char *)raw), true, NULL);
        ok = *id != NULL && *secret != NULL;
    }
    ac_secret_free((char *)raw);
    if (!ok) {
        free(*id);
        ac_secret_free(*secret);
        *id = *secret = NULL;
    }
    return ok;
}

static bool invalid_client(struct mo_reply *rep, bool basic, const char *d)
{
    /* RFC 6749 §5.2: 401, and the scheme the client tried when it used
     * the Authorization header. */
    return (!basic ||
            mo_reply_header(rep, "WWW-Authenticate", "Basic realm=\"mock\"")) &&
           mo_reply_oauth_error(rep, 401, "invalid_client", d);
}

/* The client's method check; NULL when it authenticated, else why not. */
static const char *auth_verdict(const struct client *c, bool basic,
                                const char *secret, int64_t now)
{
    if (strcmp(c->auth_method, "none") == 0) {
        return secret == NULL ? NULL : "a public client has no secret";
    }
    if (strcmp(c->auth_method, "private_key_jwt") == 0) {
        return "client registered private_key_jwt";
    }
    if (strcmp(c->auth_method, "client_secret_basic") == 0 && !basic) {
        return "client registered client_secret_basic";
    }
    if (strcmp(c->auth_method, "client_secret_post") == 0 && basic) {
        return "client registered client_secret_post";
    }
    if (!ac_secret_eq(secret, c->secret)) {
        return "client authentication failed";
    }
    if (c->secret_expires_at != 0 && now >= c->secret_expires_at) {
        /* RFC 7591 §3.2.1 client_secret_expires_at has passed. */
        return "client secret expired";
    }
    return NULL;
}

/* RFC 7523 §3 / OIDC Core §9 private_key_jwt: the assertion is signed
 * by a key of the client, iss = sub = client_id, aud names this server
 * (its token endpoint or issuer), exp in the future, jti not seen before.
 * NULL when it authenticates the client. */
static const char *assertion_verdict(struct mo_as *as, const struct client *c,
                                     const char *assertion)
{
    static const char *const required[] = {"sub", "aud", "jti", NULL};
    struct ac_jws_verify_params vp = {.algs = AC_JWS_RS256 | AC_JWS_ES256,
                                      .jwks = c->jwks};
    struct ac_jwt_claims_params cp = {.iss = c->id,
                                      .now = mo_now(as->sh),
                                      .leeway = 30,
                                      .require_exp = true,
                                      .required = required};
    char token_url[1024];
    const char *why = NULL;
    json_t *claims;
    const json_t *aud;
    const char *jti;

    if (strcmp(c->auth_method, "private_key_jwt") != 0 || c->jwks == NULL) {
        return "client did not register private_key_jwt";
    }
    claims = ac_jwt_verify(assertion, &vp, NULL, NULL);
    if (claims == NULL) {
        return "client_assertion signature does not verify";
    }
    snprintf(token_url, sizeof(token_url), "%s/token", as->issuer);
    aud = json_object_get(claims, "aud");
    jti = ac_json_str(claims, "jti");
    if (!ac_jwt_validate_claims(claims, &cp, NULL) ||
        strcmp(ac_json_str(claims, "sub") != NULL ? ac_json_str(claims, "sub")
                                                  : "",
               c->id) != 0) {
        why = "client_assertion claims invalid (iss, sub, exp)";
    } else if (!(json_is_string(aud) &&
                 (strcmp(json_string_value(aud), token_url) == 0 ||
                  strcmp(json_string_value(aud), as->issuer) == 0)) &&
               !ac_json_array_has_str(aud, token_url) &&
               !ac_json_array_has_str(aud, as->issuer)) {
        why = "client_assertion aud must name this server";
    } else if (jti == NULL || ac_json_array_has_str(as->jtis, jti)) {
        why = "client_assertion jti replayed";
    } else {
        json_array_append_new(as->jtis, json_string(jti));
    }
    json_decref(claims);
    return why;
}

/* Authenticate with a client_assertion (RFC 7521 §4.2). */
static bool authenticate_assertion(struct mo_as *as, const struct ac_form *f,
                                   struct mo_reply *rep, struct client **out)
{
    const char *type = ac_form_get(f, "client_assertion_type");
    const char *assertion = ac_form_get(f, "client_assertion");
    const char *id = ac_form_get(f, "client_id");
    json_t *claims = NULL, *header = NULL;
    const char *why;

    *out = NULL;
    if (type == NULL || strcmp(type, JWT_BEARER) != 0 || assertion == NULL) {
        return token_error(rep, "invalid_request",
                           "client_assertion_type must be jwt-bearer with a "
                           "client_assertion");
    }
    if (!secret_note(as, assertion)) {
        return false;
    }
    if (id == NULL &&
        ac_jwt_peek_unverified(assertion, &header, &claims, NULL)) {
        id = ac_json_str(claims, "sub");
    }
    if ((*out = client_lookup(as, id)) == NULL) {
        why = "unknown client";
    } else {
        why = assertion_verdict(as, *out, assertion);
    }
    json_decref(claims);
    json_decref(header);
    if (why != NULL) {
        *out = NULL;
        return invalid_client(rep, false, why);
    }
    return true;
}

/* Authenticate the client of a token or revocation request. Returns false
 * on our failure; *out is NULL when a reply (400/401) was produced. */
static bool authenticate(struct mo_as *as, const struct mo_req *req,
                         const struct ac_form *f, struct mo_reply *rep,
                         struct client **out)
{
    const char *hdr = mo_req_header(req, "Authorization");
    const char *body_id = ac_form_get(f, "client_id");
    const char *body_secret = ac_form_get(f, "client_secret");
    bool basic = hdr != NULL && strncasecmp(hdr, "Basic ", 6) == 0;
    char *bid = NULL, *bsecret = NULL;
    const char *why = NULL;
    bool ok;

    *out = NULL;
    if (mo_req_header_count(req, "Authorization") > 1 ||
        (basic && body_secret != NULL)) {
        /* RFC 6749 §2.3: one authentication method per request. */
        return token_error(rep, "invalid_request",
                           "more than one client authentication method");
    }
    if (hdr != NULL && !basic) {
        return invalid_client(rep, true, "unsupported authentication scheme");
    }
    if (ac_form_get(f, "client_assertion") != NULL ||
        ac_form_get(f, "client_assertion_type") != NULL) {
        if (basic || body_secret != NULL) {
            return token_error(rep, "invalid_request",
                               "more than one client authentication method");
        }
        return authenticate_assertion(as, f, rep, out);
    }
    if (basic && !basic_decode(hdr, &bid, &bsecret)) {
        why = "malformed Basic credentials";
    } else if (basic && body_id != NULL && strcmp(body_id, bid) != 0) {
        why = "client_id does not match the Basic credentials";
    } else if ((*out = client_lookup(as, basic ? bid : body_id)) == NULL) {
        why = "unknown client";
    } else {
        why = auth_verdict(*out, basic, basic ? bsecret : body_secret,
                           mo_now(as->sh));
    }
    ok = secret_note(as, basic ? bsecret : body_secret);
    if (why != NULL) {
        *out = NULL;
        ok = ok && invalid_client(rep, basic, why);
    }
    free(bid);
    ac_secret_free(bsecret);
    return ok;
}

/* Parse a form body strictly; false with a reply produced when bad. */
static bool form_body(const struct mo_req *req, struct ac_form *f,
                      struct mo_reply *rep, bool *replied)
{
    struct ac_err err;

    *replied = true;
    ac_form_init(f);
    if (!mo_req_content_type_is(req, "application/x-www-form-urlencoded")) {
        return token_error(rep, "invalid_request",
                           "Content-Type must be "
                           "application/x-www-form-urlencoded");
    }
    if (!ac_form_parse(req->body, f, &err)) {
        /* RFC 6749 §3.2: parameters MUST NOT be included more than once. */
        return token_error(rep, "invalid_request", err.msg);
    }
    *replied = false;
    return true;
}

/* --- token endpoint (RFC 6749 §4.1.3, §6) --------------------------- */

static bool token_success(struct mo_as *as, struct mo_reply *rep,
                          const struct mo_token *access,
                          const struct mo_token *refresh)
{
    mo_emit(as->sh, "token.issued", as->id, access->value, access->client_id);
    json_t *doc = json_pack("{s:s, s:s, s:I}", "access_token", access->value,
                            "token_type", "Bearer", "expires_in",
                            (json_int_t)as->access_ttl);
    bool ok = doc != NULL;

    if (ok && refresh != NULL) {
        ok = json_object_set_new(doc, "refresh_token",
                                 json_string(refresh->value)) == 0;
    }
    if (ok && access->scope[0] != '\0') {
        ok = json_object_set_new(doc, "scope", json_string(access->scope)) == 0;
    }
    /* RFC 6749 §5.1: no-store, no-cache. */
    ok = ok && mo_reply_json(rep, 200, doc) &&
         mo_reply_header(rep, "Cache-Control", "no-store") &&
         mo_reply_header(rep, "Pragma", "no-cache");
    json_decref(doc);
    return ok;
}

/* A JWT access token (RFC 9068) for the given claims' values: a new
 * string or NULL. Signing (an RSA signature is a quarter millisecond) is
 * the one place a handler lets go of the world lock, so that token
 * requests sign in parallel: nothing borrowed is used while it is
 * released (the arguments are the caller's copies, the key a reference of
 * its own). Events queued meanwhile may be handed to the rules by another
 * request's hooks slightly early. */
static char *sign_unlocked(struct mo_as *as, const char *client_id,
                           const char *resource, const char *scope,
                           const char *jti, int64_t now, int64_t exp)
{
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "iss", as->issuer,
                  "sub", client_id, "aud", resource, "client_id", client_id,
                  "jti", jti, "iat", (json_int_t)now, "scope", scope);
    struct ac_jwk *key = mo_keys_current(as->keys);
    char *jwt = NULL;

    if (claims != NULL && exp != 0) {
        json_object_set_new(claims, "exp", json_integer(exp));
    }
    if (claims != NULL && key != NULL) {
        pthread_mutex_unlock(&as->sh->lock);
        jwt = ac_jwt_sign(key, "at+jwt", claims, NULL);
        pthread_mutex_lock(&as->sh->lock);
    }
    ac_jwk_free(key);
    json_decref(claims);
    return jwt;
}

/* Copies of what issuing needs, so that nothing borrowed from the client,
 * code or old token is used after the lock was released. */
struct issue {
    char *client_id, *resource, *access_scope, *refresh_scope;
};

static void issue_free(struct issue *x)
{
    free(x->client_id);
    free(x->resource);
    free(x->access_scope);
    free(x->refresh_scope);
}

static struct mo_token *issue_access(struct mo_as *as, const struct issue *x,
                                     uint64_t grant)
{
    struct mo_tokens *t = &as->sh->tokens;
    int64_t now = mo_now(as->sh);
    int64_t exp = as->access_ttl > 0 ? now + as->access_ttl : 0;
    char *jti, *jwt;

    if (as->keys == NULL) {
        return mo_tokens_issue(t, MO_TOKEN_ACCESS, as->issuer, x->client_id,
                               x->resource, x->access_scope, now,
                               as->access_ttl, grant, NULL);
    }
    jti = ac_random_token(16, NULL);
    jwt = jti != NULL ? sign_unlocked(as, x->client_id, x->resource,
                                      x->access_scope, jti, now, exp)
                      : NULL;
    free(jti);
    if (jwt == NULL) {
        return NULL;
    }
    return mo_tokens_issue_value_take(t, MO_TOKEN_ACCESS, as->issuer,
                                      x->client_id, x->resource,
                                      x->access_scope, exp, grant, jwt);
}

/* Issue an access token and, when `want_refresh`, a refresh token of the
 * same grant. Strings are copied first (see sign_unlocked). */
static bool issue_pair(struct mo_as *as, const char *client_id,
                       const char *resource, const char *access_scope,
                       const char *refresh_scope, uint64_t grant,
                       bool want_refresh, struct mo_token **access,
                       struct mo_token **refresh)
{
    struct issue x = {strdup(client_id), strdup(resource), strdup(access_scope),
                      strdup(refresh_scope)};
    bool ok = false;

    *access = *refresh = NULL;
    if (x.client_id == NULL || x.resource == NULL || x.access_scope == NULL ||
        x.refresh_scope == NULL) {
        goto out;
    }
    *access = issue_access(as, &x, grant);
    if (*access == NULL || !secret_note(as, (*access)->value)) {
        goto out;
    }
    if (want_refresh) {
        *refresh =
            mo_tokens_issue(&as->sh->tokens, MO_TOKEN_REFRESH, as->issuer,
                            x.client_id, x.resource, x.refresh_scope,
                            mo_now(as->sh), as->refresh_ttl, grant, NULL);
        if (*refresh == NULL || !secret_note(as, (*refresh)->value)) {
            goto out;
        }
    }
    ok = true;
out:
    issue_free(&x);
    return ok;
}

static struct code *code_find(const struct mo_as *as, const char *value)
{
    for (size_t i = 0; value != NULL && i < as->ncodes; i++) {
        if (ac_secret_eq(as->codes[i]->value, value)) {
            return as->codes[i];
        }
    }
    return NULL;
}

/* The invalid_grant / invalid_target verdict on a code redemption, or
 * NULL when it may be exchanged. */
static const char *code_verdict(struct mo_as *as, struct code *k,
                                const struct client *c, const struct ac_form *f,
                                const char **code)
{
    const char *redirect_uri = ac_form_get(f, "redirect_uri");
    const char *verifier = ac_form_get(f, "code_verifier");
    const char *resource = ac_form_get(f, "resource");
    char *s256 = NULL;
    bool match;

    *code = "invalid_grant";
    if (k == NULL) {
        return "unknown authorization code";
    }
    if (k->used) {
        /* RFC 6749 §4.1.2: a code used twice revokes what it gave. */
        mo_tokens_revoke_grant(&as->sh->tokens, k->grant);
        return "authorization code already used";
    }
    if (mo_now(as->sh) >= k->expires_at) {
        return "authorization code expired";
    }
    if (strcmp(k->client_id, c->id) != 0) {
        return "authorization code was issued to another client";
    }
    if (as->lenient) {
        return NULL;
    }
    if ((k->redirect_given || redirect_uri != NULL) &&
        (redirect_uri == NULL || strcmp(redirect_uri, k->redirect_uri) != 0)) {
        return "redirect_uri does not match the authorization request";
    }
    if (verifier == NULL || !ac_pkce_verifier_valid(verifier)) {
        return "code_verifier missing or malformed (RFC 7636 §4.1)";
    }
    s256 = ac_pkce_s256(verifier, NULL);
    match = s256 != NULL && ac_secret_eq(s256, k->challenge);
    free(s256);
    if (!match) {
        return "code_verifier does not match the code_challenge";
    }
    *code = "invalid_target";
    if (resource == NULL || strcmp(resource, k->resource) != 0) {
        return "resource must equal the authorization request's resource";
    }
    return NULL;
}

static bool grant_code(struct mo_as *as, const struct client *c,
                       const struct ac_form *f, struct mo_reply *rep)
{
    const char *value = ac_form_get(f, "code");
    struct code *k;
    struct mo_token *access, *refresh;
    const char *code, *why;

    if (value == NULL) {
        return token_error(rep, "invalid_request", "code is required");
    }
    if (!secret_note(as, value) ||
        !secret_note(as, ac_form_get(f, "code_verifier"))) {
        return false;
    }
    k = code_find(as, value);
    why = code_verdict(as, k, c, f, &code);
    if (why != NULL) {
        return token_error(rep, code, why);
    }
    k->used = true;
    k->grant = mo_tokens_new_grant(&as->sh->tokens);
    mo_emit(as->sh, "code.redeemed", as->id, k->value, c->id);
    if (!issue_pair(as, c->id, k->resource, k->scope, k->scope, k->grant,
                    as->refresh != REFRESH_NONE &&
                        client_has(c, "grant_types", "refresh_token"),
                    &access, &refresh)) {
        return false;
    }
    return token_success(as, rep, access, refresh);
}

/* The verdict on a refresh request, or NULL when it may proceed. */
static const char *refresh_verdict(struct mo_as *as, struct mo_token *old,
                                   const struct client *c,
                                   const struct ac_form *f, const char **code)
{
    const char *scope = ac_form_get(f, "scope");
    const char *resource = ac_form_get(f, "resource");

    *code = "invalid_grant";
    if (old == NULL || strcmp(old->issuer, as->issuer) != 0) {
        return "unknown refresh token";
    }
    if (strcmp(old->client_id, c->id) != 0) {
        return "refresh token was issued to another client";
    }
    if (old->rotated) {
        /* OAuth 2.1 §4.3.1: reuse of a rotated refresh token revokes the
         * whole grant. */
        mo_tokens_revoke_grant(&as->sh->tokens, old->grant);
        mo_emit(as->sh, "refresh.reused", as->id, old->value, c->id);
        return "refresh token already used (rotated)";
    }
    if (!mo_token_active(old, mo_now(as->sh))) {
        return "refresh token revoked or expired";
    }
    *code = "invalid_scope";
    if (scope != NULL && !mo_scope_subset(scope, old->scope, NULL)) {
        return "scope exceeds the original grant (RFC 6749 §6)";
    }
    *code = "invalid_target";
    if (!as->lenient && resource != NULL &&
        strcmp(resource, old->resource) != 0) {
        return "resource differs from the original grant";
    }
    return NULL;
}

static bool grant_refresh(struct mo_as *as, const struct client *c,
                          const struct ac_form *f, struct mo_reply *rep)
{
    const char *value = ac_form_get(f, "refresh_token");
    const char *scope = ac_form_get(f, "scope");
    struct mo_token *old, *access, *refresh;
    const char *code, *why;
    bool rotate = as->refresh == REFRESH_ROTATE;

    if (value == NULL) {
        return token_error(rep, "invalid_request", "refresh_token is required");
    }
    if (!secret_note(as, value)) {
        return false;
    }
    old = mo_tokens_find(&as->sh->tokens, value, MO_TOKEN_REFRESH);
    why = refresh_verdict(as, old, c, f, &code);
    if (why != NULL) {
        return token_error(rep, code, why);
    }
    /* Rotated before the new pair exists: a concurrent reuse is reuse. */
    old->rotated = rotate;
    /* A narrower access token; the refresh token keeps the grant. */
    if (!issue_pair(as, c->id, old->resource,
                    scope != NULL ? scope : old->scope, old->scope, old->grant,
                    rotate, &access, &refresh)) {
        return false;
    }
    mo_emit(as->sh, "token.refreshed", as->id, access->value,
            access->client_id);
    return token_success(as, rep, access, refresh);
}

/* RFC 6749 §4.4: a confidential client for itself. `resource` defaults
 * to the MCP server; scope must be within scopes_supported. */
static bool grant_client_credentials(struct mo_as *as, const struct client *c,
                                     const struct ac_form *f,
                                     struct mo_reply *rep)
{
    const char *scope = ac_form_get(f, "scope");
    const char *resource = ac_form_get(f, "resource");
    struct mo_token *access, *refresh;

    if (strcmp(c->auth_method, "none") == 0) {
        return token_error(rep, "unauthorized_client",
                           "client_credentials needs a confidential client");
    }
    if (resource != NULL &&
        (as->sh->resource == NULL || strcmp(resource, as->sh->resource) != 0)) {
        return token_error(rep, "invalid_target",
                           "resource must name the MCP server (RFC 8707)");
    }
    if (scope != NULL && as->scopes != NULL &&
        !mo_scope_subset(scope, NULL, as->scopes)) {
        return token_error(rep, "invalid_scope",
                           "scope includes a value not in scopes_supported");
    }
    if (!issue_pair(as, c->id, as->sh->resource, scope != NULL ? scope : "", "",
                    mo_tokens_new_grant(&as->sh->tokens), false, &access,
                    &refresh)) {
        return false;
    }
    return token_success(as, rep, access, NULL);
}

static bool handle_token(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct client *c = NULL;
    const char *gt;
    bool replied;
    bool ok;

    mo_tokens_trim(&as->sh->tokens);
    ok = form_body(req, &f, rep, &replied);
    if (ok && !replied) {
        ok = authenticate(as, req, &f, rep, &c);
    }
    if (!ok || replied || c == NULL) {
        ac_form_free(&f);
        return ok;
    }
    gt = ac_form_get(&f, "grant_type");
    if (gt == NULL) {
        ok = token_error(rep, "invalid_request", "grant_type is required");
    } else if (strcmp(gt, "authorization_code") != 0 &&
               strcmp(gt, "refresh_token") != 0 &&
               strcmp(gt, "client_credentials") != 0) {
        ok = token_error(rep, "unsupported_grant_type", gt);
    } else if (!client_has(c, "grant_types", gt)) {
        ok = token_error(rep, "unauthorized_client",
                         "grant type not registered for this client");
    } else if (strcmp(gt, "authorization_code") == 0) {
        ok = grant_code(as, c, &f, rep);
    } else if (strcmp(gt, "client_credentials") == 0) {
        ok = grant_client_credentials(as, c, &f, rep);
    } else {
        ok = grant_refresh(as, c, &f, rep);
    }
    ac_form_free(&f);
    return ok;
}

/* --- revocation (RFC 7009) ------------------------------------------ */

static bool handle_revoke(void *ctx, const struct mo_req *req,
                          struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct client *c = NULL;
    struct mo_token *tok;
    const char *value;
    bool replied;
    bool ok;

    ok = form_body(req, &f, rep, &replied);
    if (ok && !replied) {
        ok = authenticate(as, req, &f, rep, &c);
    }
    if (!ok || replied || c == NULL) {
        ac_form_free(&f);
        return ok;
    }
    value = ac_form_get(&f, "token");
    if (value == NULL) {
        ok = token_error(rep, "invalid_request", "token is required");
        ac_form_free(&f);
        return ok;
    }
    ok = secret_note(as, value);
    tok = mo_tokens_find(&as->sh->tokens, value, MO_TOKEN_REFRESH);
    if (tok == NULL) {
        tok = mo_tokens_find(&as->sh->tokens, value, MO_TOKEN_ACCESS);
    }
    if (tok != NULL && strcmp(tok->client_id, c->id) == 0 &&
        strcmp(tok->issuer, as->issuer) == 0) {
        if (tok->kind == MO_TOKEN_REFRESH) {
            /* RFC 7009 §2.1: and the access tokens of the same grant. */
            mo_tokens_revoke_grant(&as->sh->tokens, tok->grant);
        }
        tok->revoked = true;
        mo_emit(as->sh, "token.revoked", as->id, tok->value, c->id);
    }
    /* RFC 7009 §2.2: 200 whether or not the token was known. */
    ok = ok && mo_reply_empty(rep, 200) &&
         mo_reply_header(rep, "Cache-Control", "no-store");
    ac_form_free(&f);
    return ok;
}

/* --- introspection (RFC 7662) and the JWK Set ------------------------ */

static json_t *introspection_doc(const struct mo_as *as,
                                 const struct mo_token *t)
{
    json_t *doc;

    /* RFC 7662 §2.2: only "active" for a token that is not active, or
     * that another server issued. */
    if (t == NULL || !mo_token_active(t, mo_now(as->sh)) ||
        strcmp(t->issuer, as->issuer) != 0) {
        return json_pack("{s:b}", "active", 0);
    }
    doc = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s}", "active", 1, "client_id",
                    t->client_id, "iss", t->issuer, "sub", t->client_id, "aud",
                    t->resource, "token_type",
                    t->kind == MO_TOKEN_ACCESS ? "Bearer" : "refresh_token");
    if (doc != NULL && t->scope[0] != '\0') {
        json_object_set_new(doc, "scope", json_string(t->scope));
    }
    if (doc != NULL && t->expires_at != 0) {
        json_object_set_new(doc, "exp", json_integer(t->expires_at));
    }
    return doc;
}

static bool handle_introspect(void *ctx, const struct mo_req *req,
                              struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct client *c = NULL;
    const char *value;
    struct mo_token *t;
    json_t *doc;
    bool replied;
    bool ok;

    ok = form_body(req, &f, rep, &replied);
    if (ok && !replied) {
        /* RFC 7662 §2.1: the caller must be authorized; any registered
         * client of this server is. */
        ok = authenticate(as, req, &f, rep, &c);
    }
    if (!ok || replied || c == NULL) {
        ac_form_free(&f);
        return ok;
    }
    value = ac_form_get(&f, "token");
    if (value == NULL) {
        ok = token_error(rep, "invalid_request", "token is required");
        ac_form_free(&f);
        return ok;
    }
    t = mo_tokens_find(&as->sh->tokens, value, MO_TOKEN_ACCESS);
    if (t == NULL) {
        t = mo_tokens_find(&as->sh->tokens, value, MO_TOKEN_REFRESH);
    }
    doc = introspection_doc(as, t);
    ok = secret_note(as, value) && doc != NULL &&
         mo_reply_json(rep, 200, doc) &&
         mo_reply_header(rep, "Cache-Control", "no-store");
    json_decref(doc);
    ac_form_free(&f);
    return ok;
}

static bool handle_jwks(void *ctx, const struct mo_req *req,
                        struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    json_t *doc = mo_keys_jwks(as->keys);
    bool ok = doc != NULL && mo_reply_json(rep, 200, doc);

    (void)req;
    json_decref(doc);
    return ok;
}

bool mo_as_rotate_keys(struct mo_as *as, struct ac_err *err)
{
    return as->keys == NULL || mo_keys_rotate(as->keys, err);
}

/* --- construction --------------------------------------------------- */

/* Pre-registered clients (scenario "clients"). */
static bool preregister(struct mo_as *as, const json_t *list,
                        struct ac_err *err)
{
    size_t i;
    const json_t *e;

    json_array_foreach(list, i, e)
    {
        json_t *md = json_deep_copy(e);
        const char *id = ac_json_str(e, "client_id");
        const char *secret = ac_json_str(e, "client_secret");

        if (md == NULL || id == NULL) {
            json_decref(md);
            AC_ERR(err, AC_ERR_INVALID, "clients[%zu]: client_id needed", i);
            return false;
        }
        if (json_object_get(md, "token_endpoint_auth_method") == NULL) {
            json_object_set_new(
                md, "token_endpoint_auth_method",
                json_string(secret != NULL ? "client_secret_basic" : "none"));
        }
        if (json_object_get(md, "grant_types") == NULL) {
            json_object_set_new(
                md, "grant_types",
                json_pack("[s, s]", "authorization_code", "refresh_token"));
        }
        if (json_object_get(md, "response_types") == NULL) {
            json_object_set_new(md, "response_types", json_pack("[s]", "code"));
        }
        if (json_object_get(md, "redirect_uris") == NULL) {
            json_object_set_new(md, "redirect_uris", json_array());
        }
        if (client_push(as, md, id, secret, true) == NULL) {
            AC_ERR(err, AC_ERR_INVALID,
                   "clients[%zu]: cannot register (bad jwks?)", i);
            return false;
        }
    }
    return true;
}

static bool conf_has(const json_t *conf, const char *key, const char *v,
                     bool dflt)
{
    const json_t *arr = json_object_get(conf, key);

    return arr == NULL ? dflt : ac_json_array_has_str(arr, v);
}

static bool as_configure(struct mo_as *as, const json_t *conf,
                         struct ac_err *err)
{
    const char *id = ac_json_str(conf, "id");
    const char *path = ac_json_str(conf, "issuer_path");
    const json_t *tokens = json_object_get(conf, "tokens");
    const char *refresh = ac_json_str(tokens, "refresh");
    const json_t *ttl = json_object_get(tokens, "access_ttl");
    const json_t *rttl = json_object_get(tokens, "refresh_ttl");
    size_t plen;

    as->id = strdup(id != NULL ? id : "as");
    as->path = strdup(path != NULL ? path : "");
    if (as->id == NULL || as->path == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory configuring an AS");
        return false;
    }
    /* RFC 8414 §3.1: a trailing "/" is dropped before insertion. */
    plen = strlen(as->path);
    while (plen > 0 && as->path[plen - 1] == '/') {
        as->path[--plen] = '\0';
    }
    as->oauth_md = conf_has(conf, "discovery", "oauth", true);
    as->oidc_md = conf_has(conf, "discovery", "oidc", false);
    as->dcr = conf_has(conf, "registration", "dcr", true);
    as->cimd = conf_has(conf, "registration", "cimd", false);
    as->loopback_any = json_is_true(json_object_get(conf, "loopback_any_port"));
    as->lenient = json_is_true(json_object_get(conf, "lenient"));
    as->jtis = json_array();
    as->pending = json_object();
    if (as->jtis == NULL || as->pending == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory configuring an AS");
        return false;
    }
    if (strcmp(ac_json_str(tokens, "format") != NULL
                   ? ac_json_str(tokens, "format")
                   : "opaque",
               "jwt") == 0) {
        const char *alg = ac_json_str(tokens, "alg");

        if (!mo_keys_new(alg != NULL && strcmp(alg, "ES256") == 0
                             ? AC_JWS_ES256
                             : AC_JWS_RS256,
                         &as->keys, err)) {
            return false;
        }
    }
    as->scopes = json_deep_copy(json_object_get(conf, "scopes_supported"));
    as->access_ttl =
        json_is_integer(ttl) ? json_integer_value(ttl) : DEFAULT_ACCESS_TTL;
    as->refresh_ttl = json_is_integer(rttl) ? json_integer_value(rttl) : 0;
    as->refresh = refresh == NULL                 ? REFRESH_ROTATE
                  : strcmp(refresh, "none") == 0  ? REFRESH_NONE
                  : strcmp(refresh, "reuse") == 0 ? REFRESH_REUSE
                                                  : REFRESH_ROTATE;
    return true;
}

static bool add_route(struct mo_as *as, const char *method, const char *pre,
                      const char *post, const char *endpoint, mo_handler_fn fn,
                      struct ac_err *err)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s%s", pre, post);
    return mo_httpd_route(as->httpd, method, path, endpoint, fn, as, err);
}

static bool as_routes(struct mo_as *as, struct ac_err *err)
{
    const char *p = as->path;
    bool ok = true;

    if (as->oauth_md) {
        /* RFC 8414 §3.1: well-known segment inserted before the path. */
        ok = add_route(as, "GET", "/.well-known/oauth-authorization-server", p,
                       "metadata", handle_metadata, err);
    }
    if (ok && as->oidc_md) {
        /* OIDC Discovery §4 appends; RFC 8414 §5 also allows insertion. */
        ok = add_route(as, "GET", "/.well-known/openid-configuration", p,
                       "oidc", handle_metadata, err) &&
             add_route(as, "GET", p, "/.well-known/openid-configuration",
                       "oidc", handle_metadata, err);
    }
    if (ok && as->dcr) {
        ok = add_route(as, "POST", p, "/register", "register", handle_register,
                       err);
    }
    return ok &&
           add_route(as, "GET", p, "/authorize", "authorize", handle_authorize,
                     err) &&
           add_route(as, "POST", p, "/token", "token", handle_token, err) &&
           add_route(as, "POST", p, "/revoke", "revoke", handle_revoke, err) &&
           add_route(as, "POST", p, "/introspect", "introspect",
                     handle_introspect, err) &&
           add_route(as, "GET", p, "/consent", "consent", handle_consent,
                     err) &&
           (as->keys == NULL ||
            add_route(as, "GET", p, "/jwks", "jwks", handle_jwks, err));
}

bool mo_as_start(const json_t *conf, struct mo_shared *sh, struct mo_as **out,
                 struct ac_err *err)
{
    struct mo_as *as = calloc(1, sizeof(*as));

    *out = NULL;
    if (as == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for an AS");
        return false;
    }
    as->sh = sh;
    if (!as_configure(as, conf, err) ||
        !preregister(as, json_object_get(conf, "clients"), err) ||
        !mo_httpd_new(as->id, sh->transcript, &sh->lock, &as->httpd, err) ||
        !as_routes(as, err)) {
        goto fail;
    }
    mo_httpd_set_threads(as->httpd, sh->threads);
    if (sh->rules != NULL) {
        mo_httpd_set_hooks(as->httpd, mo_rules_before, mo_rules_after, sh);
    }
    if (!mo_httpd_start(as->httpd, err)) {
        goto fail;
    }
    as->issuer = join(mo_httpd_origin(as->httpd), as->path);
    if (as->issuer == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for an AS");
        goto fail;
    }
    *out = as;
    return true;
fail:
    mo_as_free(as);
    return false;
}

static void client_free(struct client *c)
{
    if (c == NULL) {
        return;
    }
    ac_jwks_free(c->jwks);
    free(c->id);
    ac_secret_free(c->secret);
    free(c->auth_method);
    json_decref(c->metadata);
    free(c);
}

void mo_as_forget_clients(struct mo_as *as)
{
    size_t j = 0;

    for (size_t i = 0; i < as->nclients; i++) {
        if (as->clients[i]->preregistered) {
            as->clients[j++] = as->clients[i];
        } else {
            client_free(as->clients[i]);
        }
    }
    as->nclients = j;
    mo_as_forget_codes(as);
}

void mo_as_forget_codes(struct mo_as *as)
{
    for (size_t i = 0; i < as->ncodes; i++) {
        code_free(as->codes[i]);
    }
    as->ncodes = 0;
}

void mo_as_expire_codes(struct mo_as *as, int64_t now)
{
    for (size_t i = 0; i < as->ncodes; i++) {
        as->codes[i]->expires_at = now;
    }
}

void mo_as_expire_secrets(struct mo_as *as, int64_t now)
{
    for (size_t i = 0; i < as->nclients; i++) {
        if (as->clients[i]->secret != NULL) {
            as->clients[i]->secret_expires_at = now;
        }
    }
}

const char *mo_as_id(const struct mo_as *as)
{
    return as->id;
}

const char *mo_as_issuer(const struct mo_as *as)
{
    return as->issuer;
}

void mo_as_free(struct mo_as *as)
{
    if (as == NULL) {
        return;
    }
    /* Stop serving before the state handlers use goes away. */
    mo_httpd_free(as->httpd);
    for (size_t i = 0; i < as->nclients; i++) {
        client_free(as->clients[i]);
    }
    free(as->clients);
    for (size_t i = 0; i < as->ncodes; i++) {
        code_free(as->codes[i]);
    }
    free(as->codes);
    json_decref(as->scopes);
    json_decref(as->jtis);
    json_decref(as->pending);
    free(as->md_text[0]);
    free(as->md_text[1]);
    mo_keys_free(as->keys);
    free(as->id);
    free(as->path);
    free(as->issuer);
    free(as);
}
