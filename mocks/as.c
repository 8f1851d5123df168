/* The mock authorization server (see as.h): construction from the
 * scenario, routes, the state operations and the helpers every AS module
 * shares. The endpoints live in as_metadata.c, as_register.c, as_cimd.c,
 * as_authorize.c, as_consent.c, as_clientauth.c, as_token.c and
 * as_revoke.c; their shared declarations in as_int.h. Tokens live in the
 * world's shared table so the MCP server can validate them. Every handler
 * runs with mo_shared.lock held (mocks/httpd.c). */
#include "mocks/as.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/json.h"
#include "mocks/as_int.h"
#include "mocks/defects.h"
#include "mocks/httpd.h"
#include "mocks/keys.h"
#include "mocks/rules.h"
#include "mocks/schema.h"
#include "mocks/world_int.h"

/* --- helpers shared by the AS modules (as_int.h) ---------------------- */

bool mo_as_ptr_push(void *arrp, size_t *n, size_t *cap, void *p)
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

bool mo_as_secret_note(struct mo_as *as, const char *s)
{
    return mo_transcript_add_secret(as->sh->transcript, s);
}

struct client *mo_as_client_find(const struct mo_as *as, const char *id)
{
    for (size_t i = 0; id != NULL && i < as->nclients; i++) {
        if (strcmp(as->clients[i]->id, id) == 0) {
            return as->clients[i];
        }
    }
    return NULL;
}

bool mo_as_client_has(const struct client *c, const char *member,
                      const char *value)
{
    return ac_json_array_has_str(json_object_get(c->metadata, member), value);
}

/* RFC 6749 §5.2 error from the token or revocation endpoint. */
bool mo_as_token_error(struct mo_reply *rep, const char *code, const char *desc)
{
    return mo_reply_oauth_error(rep, 400, code, desc);
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
        bool any_loopback =
            json_is_true(json_object_get(e, "any_loopback_redirect"));
        struct client *c;

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
        json_object_del(md, "any_loopback_redirect"); /* not metadata */
        c = mo_as_client_push(as, md, id, secret, true);
        if (c == NULL) {
            AC_ERR(err, AC_ERR_INVALID,
                   "clients[%zu]: cannot register (bad jwks?)", i);
            return false;
        }
        c->any_loopback_redirect = any_loopback;
    }
    return true;
}

/* The scenario's `tokens` object: format (JWT keys), lifetimes, refresh
 * mode. */
static bool tokens_configure(struct mo_as *as, const json_t *tokens,
                             struct ac_err *err)
{
    const struct mo_schema_field *f = mo_schema_tokens;

    if (mo_schema_str_is(tokens, f, "format", "jwt") &&
        !mo_keys_new(mo_schema_str_is(tokens, f, "alg", "ES256") ? AC_JWS_ES256
                                                                 : AC_JWS_RS256,
                     &as->keys, err)) {
        return false;
    }
    as->access_ttl = mo_schema_int(tokens, f, "access_ttl");
    as->refresh_ttl = mo_schema_int(tokens, f, "refresh_ttl");
    as->refresh = mo_schema_str_is(tokens, f, "refresh", "none") ? REFRESH_NONE
                  : mo_schema_str_is(tokens, f, "refresh", "reuse")
                      ? REFRESH_REUSE
                      : REFRESH_ROTATE;
    return true;
}

/* The token endpoint authentication methods advertised (RFC 8414 §2) and
 * assigned at registration: the scenario's list, else all four. */
static bool auth_methods_configure(struct mo_as *as, const json_t *list,
                                   struct ac_err *err)
{
    const char *const *known = mo_as_auth_methods;
    size_t i;
    const json_t *m;

    as->auth_methods =
        json_array_size(list) > 0
            ? json_deep_copy(list)
            : json_pack("[s, s, s, s]", known[0], known[1], known[2], known[3]);
    if (as->auth_methods == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory configuring an AS");
        return false;
    }
    json_array_foreach(as->auth_methods, i, m)
    {
        size_t k = 0;

        while (known[k] != NULL &&
               (!json_is_string(m) || strcmp(json_string_value(m), known[k]))) {
            k++;
        }
        if (known[k] == NULL) {
            AC_ERR(err, AC_ERR_INVALID,
                   "token_endpoint_auth_methods[%zu]: unknown method", i);
            return false;
        }
    }
    return true;
}

static bool as_configure(struct mo_as *as, const json_t *conf,
                         struct ac_err *err)
{
    const char *id = ac_json_str(conf, "id");
    size_t plen;

    as->id = strdup(id != NULL ? id : "as");
    as->path = mo_schema_strdup(conf, mo_schema_as, "issuer_path");
    as->jtis = json_array();
    as->pending = json_object();
    if (as->id == NULL || as->path == NULL || as->jtis == NULL ||
        as->pending == NULL ||
        !mo_dpop_configure(&as->dpop, json_object_get(conf, "dpop"))) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory configuring an AS");
        return false;
    }
    /* RFC 8414 §3.1: a trailing "/" is dropped before insertion. */
    plen = strlen(as->path);
    while (plen > 0 && as->path[plen - 1] == '/') {
        as->path[--plen] = '\0';
    }
    as->oauth_md = mo_schema_has(conf, mo_schema_as, "discovery", "oauth");
    as->oidc_md = mo_schema_has(conf, mo_schema_as, "discovery", "oidc");
    as->dcr = mo_schema_has(conf, mo_schema_as, "registration", "dcr");
    as->cimd = mo_schema_has(conf, mo_schema_as, "registration", "cimd");
    as->loopback_any = mo_schema_bool(conf, mo_schema_as, "loopback_any_port");
    as->lenient = json_is_true(json_object_get(conf, "lenient"));
    as->defects = mo_defect_flags(conf);
    as->resource_optional =
        !mo_schema_bool(conf, mo_schema_as, "resource_required");
    as->scopes = json_deep_copy(json_object_get(conf, "scopes_supported"));
    if (!auth_methods_configure(
            as, json_object_get(conf, "token_endpoint_auth_methods"), err)) {
        return false;
    }
    return tokens_configure(as, json_object_get(conf, "tokens"), err);
}

static bool add_route(struct mo_as *as, const char *method, const char *pre,
                      const char *post, const char *endpoint, mo_handler_fn fn,
                      struct ac_err *err)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s%s", pre, post);
    return mo_httpd_route_for(as->httpd, as->id, method, path, endpoint, fn, as,
                              err);
}

static bool as_routes(struct mo_as *as, struct ac_err *err)
{
    const char *p = as->path;
    bool ok = true;

    if (as->oauth_md) {
        /* RFC 8414 §3.1: well-known segment inserted before the path. */
        ok = add_route(as, "GET", "/.well-known/oauth-authorization-server", p,
                       "metadata", mo_as_handle_metadata, err);
    }
    if (ok && as->oidc_md) {
        /* OIDC Discovery §4 appends; RFC 8414 §5 also allows insertion. */
        ok = add_route(as, "GET", "/.well-known/openid-configuration", p,
                       "oidc", mo_as_handle_metadata, err) &&
             add_route(as, "GET", p, "/.well-known/openid-configuration",
                       "oidc", mo_as_handle_metadata, err);
    }
    if (ok && as->dcr) {
        ok = add_route(as, "POST", p, "/register", "register",
                       mo_as_handle_register, err);
    }
    return ok &&
           add_route(as, "GET", p, "/authorize", "authorize",
                     mo_as_handle_authorize, err) &&
           add_route(as, "POST", p, "/token", "token", mo_as_handle_token,
                     err) &&
           add_route(as, "POST", p, "/revoke", "revoke", mo_as_handle_revoke,
                     err) &&
           add_route(as, "POST", p, "/introspect", "introspect",
                     mo_as_handle_introspect, err) &&
           add_route(as, "GET", p, "/consent", "consent", mo_as_handle_consent,
                     err) &&
           add_route(as, "GET", p, "/jwks", "jwks", mo_as_handle_jwks, err);
}

/* Its own server on 127.0.0.1:0, bound (origin known) but not serving. */
static bool own_server(struct mo_as *as, const json_t *conf, struct ac_err *err)
{
    struct mo_shared *sh = as->sh;

    if (!mo_httpd_new(as->id, sh->transcript, &sh->lock, &as->httpd, err)) {
        return false;
    }
    if (!mo_world_tls_apply(sh, as->httpd, ac_json_str(conf, "tls_certificate"),
                            err)) {
        return false;
    }
    as->own_httpd = true;
    mo_httpd_set_threads(as->httpd, sh->threads);
    if (sh->rules != NULL) {
        mo_httpd_set_hooks(as->httpd, mo_rules_before, mo_rules_after, sh);
    }
    return mo_httpd_listen(as->httpd, err);
}

bool mo_as_start(const json_t *conf, struct mo_shared *sh,
                 struct mo_httpd *host, struct mo_as **out, struct ac_err *err)
{
    struct mo_as *as = calloc(1, sizeof(*as));

    *out = NULL;
    if (as == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for an AS");
        return false;
    }
    as->sh = sh;
    as->httpd = host;
    if (!as_configure(as, conf, err) ||
        !preregister(as, json_object_get(conf, "clients"), err) ||
        (host == NULL && !own_server(as, conf, err))) {
        goto fail;
    }
    /* The issuer and the metadata exist before the first request can
     * arrive: bind first, serve last. */
    as->issuer = join(mo_httpd_origin(as->httpd), as->path);
    if (as->issuer == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for an AS");
        goto fail;
    }
    if (!mo_as_metadata_build(as, err) || !as_routes(as, err) ||
        (as->own_httpd && !mo_httpd_start(as->httpd, err))) {
        goto fail;
    }
    *out = as;
    return true;
fail:
    mo_as_free(as);
    return false;
}

void mo_as_forget_clients(struct mo_as *as)
{
    size_t j = 0;

    for (size_t i = 0; i < as->nclients; i++) {
        if (as->clients[i]->preregistered) {
            as->clients[j++] = as->clients[i];
        } else {
            mo_as_client_free(as->clients[i]);
        }
    }
    as->nclients = j;
    mo_as_forget_codes(as);
}

void mo_as_forget_codes(struct mo_as *as)
{
    for (size_t i = 0; i < as->ncodes; i++) {
        mo_as_code_free(as->codes[i]);
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
    /* Stop serving before the state handlers use goes away (a host
     * server was stopped by its owner). */
    if (as->own_httpd) {
        mo_httpd_free(as->httpd);
    }
    for (size_t i = 0; i < as->nclients; i++) {
        mo_as_client_free(as->clients[i]);
    }
    free(as->clients);
    for (size_t i = 0; i < as->ncodes; i++) {
        mo_as_code_free(as->codes[i]);
    }
    free(as->codes);
    json_decref(as->scopes);
    json_decref(as->jtis);
    json_decref(as->pending);
    mo_dpop_free(&as->dpop);
    free(as->md_text[0]);
    free(as->md_text[1]);
    mo_keys_free(as->keys);
    json_decref(as->auth_methods);
    free(as->id);
    free(as->path);
    free(as->issuer);
    free(as);
}
