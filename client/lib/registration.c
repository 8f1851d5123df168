/* Client registration: pre-registered credentials, else OAuth 2.0 Dynamic
 * Client Registration (RFC 7591) as a native public client
 * (MCP 2026-07-28 client registration: application_type "native"). */
#include <stdlib.h>
#include <string.h>

#include "client/lib/callback_int.h"
#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "common/json.h"

static json_t *dcr_body(const struct mcpo_client *c)
{
    return json_pack("{s:s, s:s, s:[s], s:[s, s], s:[s], s:s}", "client_name",
                     c->client_name, "application_type", "native",
                     "redirect_uris", c->redirect_uri, "grant_types",
                     "authorization_code", "refresh_token", "response_types",
                     "code", "token_endpoint_auth_method", "none");
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

/* RFC 7591 §3.2.1: 201 Created with client_id (client_secret optional). */
static bool dcr_take(struct mcpo_client *c, const struct ac_http_response *r,
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
    const char *id = ac_json_str(doc, "client_id");
    if (id == NULL || *id == '\0') {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "registration response has no client_id (RFC 7591 §3.2.1)");
        goto out;
    }
    ok =
        str_set(&c->client_id, id, err) &&
        secret_set(&c->client_secret, ac_json_str(doc, "client_secret"), err) &&
        str_set(&c->token_auth_method,
                ac_json_str(doc, "token_endpoint_auth_method"), err);
out:
    json_decref(doc);
    return ok;
}

bool registration_ensure_listener(struct mcpo_client *c, struct ac_err *err)
{
    if (c->listener != NULL) {
        return true;
    }
    return cb_listener_start(c->callback_port, &c->listener, err) &&
           str_set(&c->redirect_uri, cb_listener_redirect_uri(c->listener),
                   err);
}

bool registration_run(struct mcpo_client *c, struct ac_err *err)
{
    static const char *const hdrs[] = {"Content-Type: application/json",
                                       "Accept: application/json", NULL};
    struct ac_http_response resp = {0};
    json_t *body = NULL;
    char *text = NULL;
    bool ok = false;

    if (!registration_ensure_listener(c, err)) {
        goto out;
    }
    if (c->preregistered) {
        ok = true;
        goto out;
    }
    const char *ep = ac_json_str(c->as_meta, "registration_endpoint");
    if (ep == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server %s offers no registration_endpoint and "
               "no client_id is configured (MCP client registration: "
               "pre-register or use DCR)",
               c->issuer);
        goto out;
    }
    body = dcr_body(c);
    text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building the registration request");
        goto out;
    }
    if (!http_request(c, "POST", ep, hdrs, text, &resp, err) ||
        !dcr_take(c, &resp, err)) {
        goto out;
    }
    ok = true;
out:
    ac_http_response_free(&resp);
    json_decref(body);
    free(text);
    return ok;
}
