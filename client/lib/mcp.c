/* The MCP Streamable HTTP client (2025-11-25 wire): JSON-RPC over POST
 * with `Accept: application/json, text/event-stream`, a JSON or SSE
 * response, the MCP-Session-Id of initialize carried on every later
 * request, MCP-Protocol-Version after initialization, and the bearer token
 * in the Authorization header of every request (never in the URL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/json.h"

#define MCP_PROTOCOL_VERSION "2025-11-25"
#define MCP_MAX_HEADERS 8

struct hdrs {
    char *v[MCP_MAX_HEADERS + 1];
    size_t n;
};

static bool hdr_add(struct hdrs *h, struct ac_err *err, const char *fmt,
                    const char *value)
{
    char *line = NULL;
    if (h->n >= MCP_MAX_HEADERS || asprintf(&line, fmt, value) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "building request headers");
        return false;
    }
    h->v[h->n++] = line;
    return true;
}

/* Headers may carry the token: cleanse them. */
static void hdrs_free(struct hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        ac_secret_free(h->v[i]);
    }
    h->n = 0;
}

/* Headers of a POST (with_body) or of the session DELETE. */
static bool build_headers(struct mcpo_client *c, bool initialize,
                          bool with_body, struct hdrs *h, struct ac_err *err)
{
    memset(h, 0, sizeof *h);
    if (with_body &&
        (!hdr_add(h, err, "Content-Type: %s", "application/json") ||
         !hdr_add(h, err, "Accept: %s",
                  "application/json, text/event-stream"))) {
        return false;
    }
    if (c->access_token != NULL &&
        !hdr_add(h, err, "Authorization: Bearer %s", c->access_token)) {
        return false;
    }
    if (c->session_id != NULL &&
        !hdr_add(h, err, "MCP-Session-Id: %s", c->session_id)) {
        return false;
    }
    if (!initialize && c->protocol_version != NULL &&
        !hdr_add(h, err, "MCP-Protocol-Version: %s", c->protocol_version)) {
        return false;
    }
    return true;
}

/* The URL to POST to: the MCP URL (the token-in-query mutation adds the
 * token, which RFC 6750 §2.3 / MCP forbid). A new string. */
static char *post_url(struct mcpo_client *c)
{
    char *url = NULL;
    if (MUTATED("token-in-query") && c->access_token != NULL) {
        if (asprintf(&url, "%s%saccess_token=%s", c->mcp_url,
                     strchr(c->mcp_url, '?') != NULL ? "&" : "?",
                     c->access_token) < 0) {
            return NULL;
        }
        return url;
    }
    return strdup(c->mcp_url);
}

/* Record the 401 challenge. */
static bool take_401(struct mcpo_client *c, const struct ac_http_response *r,
                     struct ac_err *err)
{
    const char *lines[16];
    size_t n = ac_http_header_all(r, "WWW-Authenticate", lines, 16);
    return discovery_take_challenge(c, lines, n, err);
}

/* Parse the body of a 200 answer to request `id` into the message. */
static bool parse_answer(const struct ac_http_response *r, json_int_t id,
                         json_t **msg, struct ac_err *err)
{
    const char *ct = ac_http_header_get(r, "Content-Type");
    if (ct != NULL && strncasecmp(ct, "text/event-stream", 17) == 0) {
        return sse_find_response(r->body, r->body_len, id, msg, err);
    }
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "MCP server answered 200 with Content-Type \"%s\", not "
               "application/json or text/event-stream (MCP transports)",
               ct != NULL ? ct : "(none)");
        return false;
    }
    *msg = ac_json_parse_object(r->body, r->body_len, err);
    if (*msg == NULL) {
        ac_err_prefix(err, "MCP response");
        return false;
    }
    const json_t *jid = json_object_get(*msg, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) != id) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "MCP response id does not match request id %lld (JSON-RPC 2.0)",
               (long long)id);
        json_decref(*msg);
        *msg = NULL;
        return false;
    }
    return true;
}

/* Take the `result` of a JSON-RPC response, or report its `error`. */
static bool take_result(json_t *msg, const char *method, json_t **result,
                        struct ac_err *err)
{
    const json_t *e = json_object_get(msg, "error");
    if (e != NULL) {
        const char *m = ac_json_str(e, "message");
        AC_ERR(err, AC_ERR_PROTOCOL, "%s failed: JSON-RPC error %lld: %s",
               method,
               (long long)json_integer_value(json_object_get(e, "code")),
               m != NULL ? m : "(no message)");
        return false;
    }
    json_t *res = json_object_get(msg, "result");
    if (!json_is_object(res)) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "%s: the response has no result object (JSON-RPC 2.0)", method);
        return false;
    }
    *result = json_incref(res);
    return true;
}

/* Interpret a non-401 answer. */
static bool handle_answer(const char *method, json_int_t id,
                          const struct ac_http_response *r, json_t **result,
                          struct ac_err *err)
{
    json_t *msg = NULL;
    bool ok = false;
    if (result == NULL) {
        /* MCP transports: a notification is answered 202 Accepted. */
        if (r->status < 200 || r->status > 299) {
            AC_ERR(err, AC_ERR_PROTOCOL, "%s: MCP server answered HTTP %ld",
                   method, r->status);
            return false;
        }
        return true;
    }
    if (r->status == 403) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "%s: MCP server answered 403 Forbidden (insufficient scope?)",
               method);
        return false;
    }
    if (r->status != 200) {
        AC_ERR(err, AC_ERR_PROTOCOL, "%s: MCP server answered HTTP %ld", method,
               r->status);
        return false;
    }
    if (!parse_answer(r, id, &msg, err) ||
        !take_result(msg, method, result, err)) {
        goto out;
    }
    ok = true;
out:
    json_decref(msg);
    return ok;
}

static char *build_message(const char *method, json_t *params, json_int_t id,
                           bool notification)
{
    json_t *m = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
    char *text = NULL;
    if (m == NULL) {
        return NULL;
    }
    if (!notification) {
        json_object_set_new(m, "id", json_integer(id));
    }
    if (params != NULL) {
        json_object_set(m, "params", params);
    }
    text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return text;
}

bool mcp_rpc(struct mcpo_client *c, const char *method, json_t *params,
             json_t **result, enum mcp_status *status, struct ac_err *err)
{
    bool initialize = strcmp(method, "initialize") == 0;
    json_int_t id = ++c->next_id;
    struct hdrs h = {0};
    struct ac_http_response resp = {0};
    char *body = build_message(method, params, id, result == NULL);
    char *url = post_url(c);
    bool ok = false;

    *status = MCP_OK;
    if (body == NULL || url == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building the %s request", method);
        goto out;
    }
    if (!build_headers(c, initialize, true, &h, err) ||
        !http_request(c, "POST", url, (const char *const *)h.v, body, &resp,
                      err)) {
        goto out;
    }
    if (resp.status == 401) {
        *status = MCP_UNAUTHORIZED;
        ok = take_401(c, &resp, err);
        goto out;
    }
    if (resp.status == 403 && result != NULL) {
        /* RFC 6750 §3.1 / MCP scope step-up: insufficient_scope names the
         * scope needed; anything else stays a plain failure. */
        if (!take_401(c, &resp, err)) {
            goto out;
        }
        if (c->chal.error != NULL &&
            strcmp(c->chal.error, "insufficient_scope") == 0) {
            *status = MCP_FORBIDDEN;
            ok = true;
            goto out;
        }
    }
    if (!handle_answer(method, id, &resp, result, err)) {
        goto out;
    }
    if (initialize) {
        const char *sid = ac_http_header_get(&resp, "MCP-Session-Id");
        if (!str_set(&c->session_id, sid, err)) {
            goto out;
        }
    }
    ok = true;
out:
    hdrs_free(&h);
    ac_secret_free(url);
    free(body);
    ac_http_response_free(&resp);
    return ok;
}

bool mcp_initialize(struct mcpo_client *c, enum mcp_status *status,
                    struct ac_err *err)
{
    json_t *params = json_pack(
        "{s:s, s:{}, s:{s:s, s:s}}", "protocolVersion", MCP_PROTOCOL_VERSION,
        "capabilities", "clientInfo", "name", "mcp-oauth", "version", "0.1.0");
    json_t *result = NULL;
    bool ok = false;

    if (params == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building initialize");
        goto out;
    }
    free(c->session_id);
    c->session_id = NULL;
    if (!mcp_rpc(c, "initialize", params, &result, status, err) ||
        *status != MCP_OK) {
        ok = *status == MCP_UNAUTHORIZED;
        goto out;
    }
    const char *pv = ac_json_str(result, "protocolVersion");
    if (pv == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "initialize result has no protocolVersion (MCP lifecycle)");
        goto out;
    }
    if (!str_set(&c->protocol_version, pv, err) ||
        !mcp_rpc(c, "notifications/initialized", NULL, NULL, status, err)) {
        goto out;
    }
    if (*status == MCP_OK) {
        c->initialized = true;
    }
    ok = true;
out:
    json_decref(params);
    json_decref(result);
    return ok;
}

void mcp_close(struct mcpo_client *c)
{
    struct hdrs h = {0};
    struct ac_http_response resp = {0};
    if (c->session_id == NULL) {
        return;
    }
    /* MCP transports: a client that no longer needs a session SHOULD DELETE
     * it; a 405 (not allowed) is a valid answer. */
    if (build_headers(c, false, false, &h, NULL) &&
        http_request(c, "DELETE", c->mcp_url, (const char *const *)h.v, NULL,
                     &resp, NULL)) {
        ac_http_response_free(&resp);
    }
    hdrs_free(&h);
    free(c->session_id);
    c->session_id = NULL;
    c->initialized = false;
}
