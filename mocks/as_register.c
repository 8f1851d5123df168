/* Client registration: RFC 7591 dynamic registration, the checks of
 * client metadata shared with pre-registered and CIMD clients, and the
 * client table's entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/json.h"
#include "common/jwt.h"
#include "common/url.h"
#include "mocks/as_int.h"
#include "mocks/defects.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

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

const char *mo_as_check_redirect_uris(const json_t *v)
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

const char *const mo_as_auth_methods[] = {"none", "client_secret_basic",
                                          "client_secret_post",
                                          "private_key_jwt", NULL};

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

/* RFC 7591 §2 defaults for members the client left out. */
static void metadata_defaults(json_t *md)
{
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
}

/* Apply RFC 7591 §2 defaults and check the metadata; NULL when valid, else
 * the error description (error code invalid_client_metadata). */
const char *mo_as_check_metadata(json_t *md)
{
    static const char *const grants[] = {"authorization_code", "refresh_token",
                                         "client_credentials", NULL};
    static const char *const rtypes[] = {"code", NULL};
    static const char *const app_types[] = {"web", "native", NULL};
    const json_t *m;
    bool code_grant, code_rt;

    metadata_defaults(md);
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
    if (!str_in(json_string_value(m), mo_as_auth_methods)) {
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
struct client *mo_as_client_push(struct mo_as *as, json_t *md, const char *id,
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
        !mo_as_ptr_push(&as->clients, &as->nclients, &as->ccap, c) ||
        !mo_as_secret_note(as, secret)) {
        mo_as_client_free(c);
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
                            json_integer(mo_world_now(as->sh))) != 0 ||
        (c->secret != NULL &&
         (json_object_set_new(md, "client_secret", json_string(c->secret)) ||
          json_object_set_new(md, "client_secret_expires_at",
                              json_integer(0)))) ||
        !mo_as_ptr_push(&as->clients, &as->nclients, &as->ccap, c)) {
        free(c->id);
        free(c->auth_method);
        ac_secret_free(c->secret);
        ac_jwks_free(c->jwks);
        json_decref(md);
        free(c);
        return false;
    }
    *out = c;
    return mo_as_secret_note(as, c->secret);
}

/* The token endpoint authentication method a registration gets: the one
 * asked for when this server advertises it; else (absent, or one it does
 * not support: RFC 7591 §3.2.1 lets the server replace a value) the RFC
 * 7591 §2 default client_secret_basic when advertised, else the first
 * advertised method; without any metadata, "none". The response echoes it and
 * the token endpoint honours it, so a client that does what it was told is
 * never refused. */
static void assign_auth_method(const struct mo_as *as, json_t *md)
{
    const json_t *asked = json_object_get(md, "token_endpoint_auth_method");
    const char *pick = "client_secret_basic";

    if (asked != NULL &&
        (!str_in(json_string_value(asked), mo_as_auth_methods) ||
         ac_json_array_has_str(as->auth_methods, json_string_value(asked)) ||
         as->lenient)) {
        /* kept (profile "lenient": whatever was asked, as popular lenient
         * mocks do), or refused by mo_as_check_metadata */
        return;
    }
    if (!as->oauth_md && !as->oidc_md && asked == NULL &&
        ac_json_array_has_str(as->auth_methods, "none")) {
        /* No metadata advertises anything (the 2025-03-26 endpoint
         * fallback), and clients then pick by themselves: the TypeScript
         * SDK uses client_secret_post when given a secret. A public client
         * has no secret to present the wrong way. */
        pick = "none";
    } else if (!ac_json_array_has_str(as->auth_methods, pick)) {
        pick = json_string_value(json_array_get(as->auth_methods, 0));
    }
    if (pick != NULL) {
        json_object_set_new(md, "token_endpoint_auth_method",
                            json_string(pick));
    }
}

bool mo_as_handle_register(void *ctx, const struct mo_req *req,
                           struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_err err;
    struct client *c = NULL;
    json_t *md = NULL;
    const char *why;

    if (!mo_req_content_type_is(req, "application/json")) {
        return mo_as_token_error(rep, "invalid_client_metadata",
                                 "Content-Type must be application/json");
    }
    md = ac_json_parse_object(req->body, req->body_len, &err);
    if (md == NULL) {
        return mo_as_token_error(rep, "invalid_client_metadata", err.msg);
    }
    why = mo_as_check_redirect_uris(json_object_get(md, "redirect_uris"));
    if (why != NULL && !(as->defects & MO_DEF_DCR_LAX)) {
        json_decref(md);
        return mo_as_token_error(rep, "invalid_redirect_uri", why);
    }
    assign_auth_method(as, md);
    why = mo_as_check_metadata(md);
    if (why != NULL && !(as->defects & MO_DEF_DCR_LAX)) {
        json_decref(md);
        return mo_as_token_error(rep, "invalid_client_metadata", why);
    }
    if (!client_add(as, md, &c)) {
        return false;
    }
    mo_rules_emit(as->sh, "client.registered", as->id, NULL, c->id);
    /* RFC 7591 §3.2.1: 201 with every registered member. */
    return mo_reply_json(rep, 201, c->metadata) &&
           mo_reply_header(rep, "Cache-Control", "no-store") &&
           mo_reply_header(rep, "Pragma", "no-cache");
}

void mo_as_client_free(struct client *c)
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
