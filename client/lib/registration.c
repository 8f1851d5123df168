/* Client registration: pre-registered credentials, else OAuth 2.0 Dynamic
 * Client Registration (RFC 7591) as a native public client
 * (MCP 2026-07-28 client registration: application_type "native"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/authorize_int.h"
#include "client/lib/callback_int.h"
#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/url.h"

/* The token_endpoint_auth_method to register (RFC 7591 §2), from the
 * AS's token_endpoint_auth_methods_supported: private_key_jwt with a key
 * (the public key sent inline as jwks, RFC 7523 §2.2); else a public
 * client ("none") when the AS takes one or says nothing; else the secret
 * methods it lists (the AS then issues a secret). */
static const char *dcr_method(const struct mcpo_client *c)
{
    const json_t *m =
        json_object_get(c->as_meta, "token_endpoint_auth_methods_supported");
    if (c->signing_key != NULL && ac_json_array_has_str(m, "private_key_jwt")) {
        return "private_key_jwt";
    }
    if (!json_is_array(m) || ac_json_array_has_str(m, "none") ||
        MUTATED("register-public-client")) {
        return "none";
    }
    if (ac_json_array_has_str(m, "client_secret_basic")) {
        return "client_secret_basic";
    }
    if (ac_json_array_has_str(m, "client_secret_post")) {
        return "client_secret_post";
    }
    return "none";
}

static json_t *dcr_body(const struct mcpo_client *c)
{
    const char *method = dcr_method(c);
    json_t *b = json_pack(
        "{s:s, s:s, s:[s], s:[s, s], s:[s], s:s}", "client_name",
        c->client_name, "application_type", "native", "redirect_uris",
        c->redirect_uri, "grant_types", "authorization_code", "refresh_token",
        "response_types", "code", "token_endpoint_auth_method", method);
    if (b != NULL && MUTATED("no-application-type")) {
        json_object_del(b, "application_type");
    }
    if (b != NULL && MUTATED("no-refresh-grant")) {
        json_object_set_new(b, "grant_types",
                            json_pack("[s]", "authorization_code"));
    }
    if (b != NULL && MUTATED("non-loopback-redirect")) {
        json_object_set_new(b, "redirect_uris",
                            json_pack("[s]", "http://mcp-oauth.example/cb"));
    }
    if (b != NULL && strcmp(method, "private_key_jwt") == 0) {
        json_t *k = ac_jwk_export(c->signing_key, false, NULL);
        if (k == NULL ||
            json_object_set_new(b, "jwks", json_pack("{s:[o]}", "keys", k))) {
            json_decref(b);
            return NULL;
        }
    }
    /* Extra metadata (logo_uri, software_id, ...) never overrides the
     * members the flow depends on. */
    if (b != NULL && c->extra_client_metadata != NULL) {
        json_object_update_missing(b, c->extra_client_metadata);
    }
    return b;
}

/* RFC 7591 §3.2.2: an error response carries error / error_description. */
static void dcr_error(const struct ac_http_response *r, struct ac_err *err)
{
    json_t *doc = ac_json_parse_object(r->body, r->body_len, NULL);
    const char *e = ac_json_str(doc, "error");
    const char *d = ac_json_str(doc, "error_description");
    AC_ERR(err, AC_ERR_PROTOCOL,
           "dynamic client registration answered HTTP %ld%s%s%s%s", r->status,
           e != NULL ? ": " : "", e != NULL ? e : "", d != NULL ? ": " : "",
           d != NULL ? d : "");
    json_decref(doc);
}

/* RFC 7591 §3.2.1: the response must give a client_id, may change the
 * metadata, and must then be usable: our redirect URI kept, an auth
 * method we implement, a secret when that method needs one, not already
 * expired. */
static bool dcr_validate(const struct mcpo_client *c, const json_t *doc,
                         struct ac_err *err)
{
    const char *id = ac_json_str(doc, "client_id");
    const char *m = ac_json_str(doc, "token_endpoint_auth_method");
    const json_t *ru = json_object_get(doc, "redirect_uris");
    const json_t *exp = json_object_get(doc, "client_secret_expires_at");
    const char *why = NULL;

    if (id == NULL || *id == '\0') {
        why = "has no client_id";
    } else if (ru != NULL && !ac_json_array_has_str(ru, c->redirect_uri)) {
        why = "does not keep our redirect URI";
    } else if (m != NULL && strcmp(m, "none") != 0 &&
               strcmp(m, "client_secret_basic") != 0 &&
               strcmp(m, "client_secret_post") != 0 &&
               (strcmp(m, "private_key_jwt") != 0 || c->signing_key == NULL)) {
        why = "names a token_endpoint_auth_method we do not implement";
    } else if (m != NULL && strcmp(m, "none") != 0 &&
               strcmp(m, "private_key_jwt") != 0 &&
               ac_json_str(doc, "client_secret") == NULL) {
        why = "requires a client secret but issued none";
    } else if (json_integer_value(exp) != 0 &&
               json_integer_value(exp) <= ac_now()) {
        why = "issued a client secret that has already expired";
    }
    if (why != NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "registration response %s (RFC 7591 "
               "§3.2.1)",
               why);
        return false;
    }
    return true;
}

/* RFC 7591 §3.2.1: 201 Created with client_id (client_secret optional). */
bool registration_take(struct mcpo_client *c, const struct ac_http_response *r,
                       struct ac_err *err)
{
    json_t *doc = NULL;
    bool ok = false;

    if (r->status != 201 && r->status != 200) {
        dcr_error(r, err);
        goto out;
    }
    doc = ac_json_parse_object(r->body, r->body_len, err);
    if (doc == NULL) {
        ac_err_prefix(err, "registration response (RFC 7591 §3.2.1)");
        goto out;
    }
    if (!dcr_validate(c, doc, err)) {
        goto out;
    }
    const char *id = ac_json_str(doc, "client_id");
    c->client_cached = false;
    c->secret_expires_at =
        json_integer_value(json_object_get(doc, "client_secret_expires_at"));
    ok =
        str_set(&c->client_source, "dcr", err) &&
        str_set(&c->client_issuer, c->issuer, err) &&
        str_set(&c->client_id, id, err) &&
        secret_set(&c->client_secret, ac_json_str(doc, "client_secret"), err) &&
        str_set(&c->token_auth_method,
                ac_json_str(doc, "token_endpoint_auth_method"), err);
out:
    json_decref(doc);
    return ok;
}

/* The port of a stored loopback redirect URI, 0 when unusable (then the
 * registration cannot be reused: RFC 8252 §7.3 port relaxation is not
 * something every AS does). */
static int stored_port(const char *redirect_uri)
{
    struct ac_url u = {0};
    int port = 0;
    if (redirect_uri != NULL && ac_url_parse(redirect_uri, &u, NULL)) {
        /* RFC 8252 §7.3 / §8.3: http on a loopback IP literal only. */
        if (strcmp(u.scheme, "http") == 0 && ac_url_is_loopback(&u) &&
            u.port_explicit) {
            port = u.port;
        }
        ac_url_free(&u);
    }
    return port;
}

bool registration_ensure_listener(struct mcpo_client *c, struct ac_err *err)
{
    if (c->listener != NULL) {
        return true;
    }
    int port =
        MUTATED("new-port-old-registration") ? 0 : stored_port(c->redirect_uri);
    if (MUTATED("new-port-old-registration") && c->client_id != NULL &&
        !c->preregistered && stored_port(c->redirect_uri) != 0) {
        /* Keep the stored client, listen on a new port anyway. */
        if (!cb_listener_start(0, &c->listener, err)) {
            return false;
        }
    }
    if (port != 0 && c->client_id != NULL && !c->preregistered &&
        !cb_listener_start(port, &c->listener, NULL)) {
        /* The registered port is taken: this registration is unusable. */
        http_trace_note("stored redirect port %d busy: registering again",
                        port);
        if (!str_set(&c->client_id, NULL, err)) {
            return false;
        }
    }
    if (c->listener == NULL &&
        !cb_listener_start(c->callback_port, &c->listener, err)) {
        return false;
    }
    if (!str_set(&c->redirect_uri, cb_listener_redirect_uri(c->listener),
                 err)) {
        return false;
    }
    if (MUTATED("redirect-localhost")) {
        /* RFC 8252 §8.3: NOT RECOMMENDED. */
        char *p = strstr(c->redirect_uri, "127.0.0.1"), *u = NULL;
        if (p != NULL &&
            asprintf(&u, "%.*slocalhost%s", (int)(p - c->redirect_uri),
                     c->redirect_uri, p + strlen("127.0.0.1")) >= 0) {
            free(c->redirect_uri);
            c->redirect_uri = u;
        }
    }
    return true;
}

/* Client ID Metadata Document: the client_id is an https URL the AS
 * fetches (MCP 2026-07-28 client registration), when the AS says it
 * supports them. */
static bool use_cimd(const struct mcpo_client *c)
{
    return c->client_metadata_url != NULL &&
           json_is_true(json_object_get(
               c->as_meta, "client_id_metadata_document_supported")) &&
           !MUTATED("dcr-despite-cimd");
}

/* CIMD: the client's metadata document URL is its client_id; no
 * registration request is made. */
static bool cimd_identity(struct mcpo_client *c, struct ac_err *err)
{
    return str_set(&c->client_id, c->client_metadata_url, err) &&
           secret_set(&c->client_secret, NULL, err) &&
           /* The document names the method; with a key it is
            * private_key_jwt (its jwks / jwks_uri hold our public key). */
           str_set(&c->token_auth_method,
                   c->signing_key != NULL ? "private_key_jwt" : "none", err) &&
           str_set(&c->client_source, "cimd", err) &&
           str_set(&c->client_issuer, c->issuer, err);
}

/* RFC 7591 §3.1: register at the authorization server's
 * registration_endpoint. */
static bool dcr_register(struct mcpo_client *c, struct ac_err *err)
{
    static const char *const hdrs[] = {"Content-Type: application/json",
                                       "Accept: application/json", NULL};
    const char *ep = ac_json_str(c->as_meta, "registration_endpoint");
    struct ac_http_response resp = {0};
    json_t *body = NULL;
    char *text = NULL;
    bool ok = false;

    if (ep == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server %s offers no registration_endpoint and "
               "no client_id is configured (MCP client registration: "
               "pre-register or use DCR)",
               c->issuer);
        return false;
    }
    body = dcr_body(c);
    text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building the registration request");
    } else {
        ok = http_request(c, "POST", ep, hdrs, text, &resp, err) &&
             registration_take(c, &resp, err);
    }
    ac_http_response_free(&resp);
    json_decref(body);
    free(text);
    return ok;
}

bool registration_run(struct mcpo_client *c, struct ac_err *err)
{
    if (!registration_ensure_listener(c, err)) {
        return false;
    }
    if (c->client_id == NULL && MUTATED("skip-registration")) {
        return str_set(&c->client_id, "mcp-oauth-unregistered", err) &&
               str_set(&c->client_source, "dcr", err) &&
               str_set(&c->client_issuer, c->issuer, err);
    }
    if (c->preregistered && !MUTATED("dcr-despite-cimd")) {
        return true;
    }
    if (c->client_id != NULL && !c->preregistered && c->secret_expires_at &&
        c->client_secret != NULL && c->secret_expires_at <= ac_now()) {
        /* RFC 7591 §3.2.1: the secret has expired; the client must
         * register again rather than present it. */
        http_trace_note("the client secret of %s expired: registering again",
                        c->client_id);
        if (!persist_drop(c, true, err)) {
            return false;
        }
    }
    if (c->client_id != NULL && !c->preregistered) {
        return true; /* a stored registration of this issuer */
    }
    return use_cimd(c) ? cimd_identity(c, err) : dcr_register(c, err);
}
