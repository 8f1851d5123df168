/* The MCP Streamable HTTP client, on both wires:
 *
 * - 2026-07-28 ("modern"): stateless. Every request is a POST carrying
 *   MCP-Protocol-Version, Mcp-Method (and Mcp-Name, Mcp-Param-* for
 *   tools/call) headers and `_meta` with the protocol version, client info
 *   and client capabilities; no initialize, no session, no DELETE. The
 *   conversation opens with server/discover.
 * - 2025-11-25 and earlier ("legacy"): initialize, the MCP-Session-Id of
 *   its answer on every later request, MCP-Protocol-Version after it,
 *   DELETE at the end.
 *
 * Which one: 2026-07-28 versioning "Backward Compatibility": try the modern
 * request first; a 4xx without a recognized modern JSON-RPC error means a
 * legacy server (initialize follows); UnsupportedProtocolVersion names the
 * versions to use instead. The answer is cached in the client (and the
 * token store), and probed again when the cached assumption fails.
 *
 * Both: `Accept: application/json, text/event-stream`, JSON or SSE
 * answers, the bearer token in the Authorization header (never the URL). */
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
#include "common/mcphdr.h"
#include "common/wwwauth.h"

#define MODERN_VERSION "2026-07-28"
#define LEGACY_VERSION "2025-11-25"
#define MCP_MAX_HEADERS 32
#define MAX_PARAM_HEADERS 16

/* JSON-RPC error codes (MCP 2026-07-28 basic, "Error Codes"). */
#define ERR_METHOD_NOT_FOUND (-32601)
#define ERR_HEADER_MISMATCH (-32020)
#define ERR_MISSING_CAPABILITY (-32021)
#define ERR_UNSUPPORTED_VERSION (-32022)

/* Legacy protocol versions we speak, newest first. */
static const char *const legacy_versions[] = {LEGACY_VERSION, "2025-06-18",
                                              "2025-03-26", NULL};

const char *mcp_era_name(enum mcp_era era)
{
    return era == ERA_MODERN   ? MODERN_VERSION
           : era == ERA_LEGACY ? LEGACY_VERSION
                               : NULL;
}

enum mcp_era mcp_era_parse(const char *name)
{
    if (name != NULL && strcmp(name, MODERN_VERSION) == 0) {
        return ERA_MODERN;
    }
    if (name != NULL && strcmp(name, LEGACY_VERSION) == 0) {
        return ERA_LEGACY;
    }
    return ERA_UNKNOWN;
}

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

/* Content type, Accept and Authorization: every POST of both wires. */
static bool base_headers(struct mcpo_client *c, bool with_body, struct hdrs *h,
                         struct ac_err *err)
{
    memset(h, 0, sizeof *h);
    if (with_body &&
        (!hdr_add(h, err, "Content-Type: %s", "application/json") ||
         (!MUTATED("no-accept-header") &&
          !hdr_add(h, err, "Accept: %s",
                   "application/json, text/event-stream")))) {
        return false;
    }
    /* RFC 9449 §7.1: a bound token travels with the DPoP scheme. */
    return c->access_token == NULL ||
           hdr_add(h, err,
                   c->dpop_bound && !MUTATED("dpop-bearer")
                       ? "Authorization: DPoP %s"
                       : "Authorization: Bearer %s",
                   c->access_token);
}

/* The DPoP header of an MCP POST (RFC 9449 §7.1 + content_digest). */
static bool dpop_header(struct mcpo_client *c, const char *url,
                        const char *body, struct hdrs *h, struct ac_err *err)
{
    char *proof;
    bool ok;

    if (c->access_token == NULL || !c->dpop_bound || MUTATED("dpop-bearer")) {
        return true;
    }
    proof = dpop_proof_for(c, "POST", url, c->access_token, body,
                           c->dpop_nonce_rs, err);
    ok = proof != NULL && hdr_add(h, err, "DPoP: %s", proof);
    free(proof);
    return ok;
}

/* Legacy: the session and, after initialize, the negotiated version. */
static bool legacy_headers(struct mcpo_client *c, bool initialize,
                           bool with_body, struct hdrs *h, struct ac_err *err)
{
    if (!base_headers(c, with_body, h, err)) {
        return false;
    }
    if (c->session_id != NULL && !MUTATED("no-session-id") &&
        !hdr_add(h, err, "MCP-Session-Id: %s", c->session_id)) {
        return false;
    }
    return initialize || c->protocol_version == NULL ||
           MUTATED("no-protocol-version-header") ||
           hdr_add(h, err, "MCP-Protocol-Version: %s", c->protocol_version);
}

/* The cached definition of tool `name` (borrowed), or NULL. */
static const json_t *find_tool(const struct mcpo_client *c, const char *name)
{
    size_t i;
    const json_t *t;
    json_array_foreach(c->tools, i, t)
    {
        const char *n = json_string_value(json_object_get(t, "name"));
        if (n != NULL && strcmp(n, name) == 0) {
            return t;
        }
    }
    return NULL;
}

/* Mcp-Name (Streamable HTTP "Standard Request Headers") and, for
 * tools/call, the Mcp-Param-* headers its x-mcp-header annotations ask
 * for. */
static bool name_headers(struct mcpo_client *c, const char *method,
                         const json_t *params, struct hdrs *h,
                         struct ac_err *err)
{
    bool call = strcmp(method, "tools/call") == 0;
    const char *name = NULL;
    if (call || strcmp(method, "prompts/get") == 0) {
        name = ac_json_str(params, "name");
    } else if (strcmp(method, "resources/read") == 0) {
        name = ac_json_str(params, "uri");
    }
    if (name == NULL) {
        return true;
    }
    char *enc = ac_mcphdr_encode(name);
    bool ok = enc != NULL && hdr_add(h, err, "Mcp-Name: %s", enc);
    free(enc);
    const json_t *tool = call ? find_tool(c, name) : NULL;
    json_t *lines =
        tool != NULL
            ? ac_mcphdr_params(tool, json_object_get(params, "arguments"))
            : NULL;
    size_t i;
    const json_t *l;
    json_array_foreach(lines, i, l)
    {
        if (ok && i < MAX_PARAM_HEADERS) {
            ok = hdr_add(h, err, "%s", json_string_value(l));
        }
    }
    json_decref(lines);
    if (enc == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building Mcp-Name");
    }
    return ok;
}

/* Modern: MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Param-*. */
static bool modern_headers(struct mcpo_client *c, const char *method,
                           const json_t *params, struct hdrs *h,
                           struct ac_err *err)
{
    return base_headers(c, true, h, err) &&
           (MUTATED("no-protocol-version-header") ||
            hdr_add(h, err, "MCP-Protocol-Version: %s", MODERN_VERSION)) &&
           (MUTATED("no-mcp-method-header") ||
            hdr_add(h, err, "Mcp-Method: %s", method)) &&
           name_headers(c, method, params, h, err);
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

/* 2026-07-28 basic "ResultType": absent means complete (earlier servers);
 * input_required is a multi round-trip request we cannot serve; any other
 * value is invalid. */
static bool result_type_ok(const json_t *res, const char *method,
                           struct ac_err *err)
{
    const char *rt = ac_json_str(res, "resultType");
    if (rt == NULL || strcmp(rt, "complete") == 0) {
        return true;
    }
    if (strcmp(rt, "input_required") == 0) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "%s: the server asks for input (resultType input_required, "
               "MRTR), which this client does not provide",
               method);
    } else {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "%s: unknown resultType \"%.60s\" (MCP basic: MUST be "
               "considered invalid)",
               method, rt);
    }
    return false;
}

/* Take the `result` of a JSON-RPC response, or report its `error` (then
 * *rpc_err is a new reference to it). */
static bool take_result(json_t *msg, const char *method, json_t **result,
                        json_t **rpc_err, struct ac_err *err)
{
    json_t *e = json_object_get(msg, "error");
    if (e != NULL) {
        *rpc_err = json_incref(e);
        const char *m = ac_json_str(e, "message");
        AC_ERR(err, AC_ERR_PROTOCOL, "%s failed: JSON-RPC error %lld: %.120s",
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
    if (!result_type_ok(res, method, err)) {
        return false;
    }
    *result = json_incref(res);
    return true;
}

/* Interpret a non-401 answer. A JSON-RPC error is a failure with
 * *rpc_err a new reference to it. */
static bool handle_answer(const char *method, json_int_t id,
                          const struct ac_http_response *r, json_t **result,
                          json_t **rpc_err, struct ac_err *err)
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
        !take_result(msg, method, result, rpc_err, err)) {
        goto out;
    }
    ok = true;
out:
    json_decref(msg);
    return ok;
}

/* `params` with the 2026-07-28 per-request `_meta` fields (basic, "_meta":
 * protocolVersion and clientCapabilities required, clientInfo SHOULD). A
 * new reference (a shallow copy: the caller's object is not changed). */
static json_t *modern_params(const json_t *params)
{
    json_t *p = params != NULL ? json_copy((json_t *)params) : json_object();
    json_t *meta = json_pack(
        "{s:s, s:{s:s, s:s}, s:{}}", "io.modelcontextprotocol/protocolVersion",
        MODERN_VERSION, "io.modelcontextprotocol/clientInfo", "name",
        "mcp-oauth", "version", "0.1.0",
        "io.modelcontextprotocol/clientCapabilities");
    if (p == NULL || meta == NULL) {
        json_decref(p);
        json_decref(meta);
        return NULL;
    }
    json_t *old = json_object_get(p, "_meta");
    if (json_is_object(old)) {
        json_object_update_missing(meta, old);
    }
    json_object_set_new(p, "_meta", meta);
    return p;
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

/* --- era detection ------------------------------------------------------- */

/* The JSON-RPC error of a non-2xx answer, if its body is one (borrowed
 * from *doc, a new reference the caller frees). */
static const json_t *rpc_error(const struct ac_http_response *r, json_t **doc)
{
    const char *ct = ac_http_header_get(r, "Content-Type");
    *doc = NULL;
    if (r->body_len == 0 || ct == NULL ||
        strncasecmp(ct, "application/json", 16) != 0) {
        return NULL;
    }
    *doc = ac_json_parse_object(r->body, r->body_len, NULL);
    const json_t *e = json_object_get(*doc, "error");
    return json_is_integer(json_object_get(e, "code")) ? e : NULL;
}

/* A legacy version from an UnsupportedProtocolVersion `supported` list,
 * newest first; NULL when there is none we speak. Borrowed constant. */
static const char *pick_legacy(const json_t *supported)
{
    for (size_t i = 0; legacy_versions[i] != NULL; i++) {
        if (ac_json_array_has_str(supported, legacy_versions[i])) {
            return legacy_versions[i];
        }
    }
    return NULL;
}

/* The server said which versions it supports: stay modern when ours is
 * among them, else fall back to the newest legacy one we speak. */
static bool adopt_versions(struct mcpo_client *c, const json_t *supported,
                           struct ac_err *err)
{
    const char *legacy = pick_legacy(supported);
    if (ac_json_array_has_str(supported, MODERN_VERSION)) {
        c->era = ERA_MODERN;
        return str_set(&c->protocol_version, MODERN_VERSION, err);
    }
    if (legacy == NULL) {
        char *list = json_dumps(supported, JSON_COMPACT);
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the MCP server supports none of our protocol versions "
               "(it lists %.120s)",
               list != NULL ? list : "nothing");
        free(list);
        return false;
    }
    http_trace_note("the MCP server supports %s: using the initialize "
                    "handshake",
                    legacy);
    c->era = ERA_LEGACY;
    return str_set(&c->legacy_version, legacy, err);
}

/* A modern request was answered with an HTTP error. Decide: a recognized
 * modern error (HeaderMismatch, MissingRequiredClientCapability,
 * UnsupportedProtocolVersion; -32601 with a 404) means a modern server;
 * anything else a legacy one (Streamable HTTP "Backward Compatibility").
 * *status is MCP_REOPEN when the caller should open again and retry,
 * MCP_RELIST for a header mismatch. */
static bool modern_http_error(struct mcpo_client *c, const char *method,
                              const struct ac_http_response *r,
                              enum mcp_status *status, struct ac_err *err)
{
    json_t *doc = NULL;
    const json_t *e = rpc_error(r, &doc);
    json_int_t code = json_integer_value(json_object_get(e, "code"));
    const char *m = ac_json_str(e, "message");
    bool ok = false;

    if (e != NULL && code == ERR_UNSUPPORTED_VERSION) {
        const json_t *data = json_object_get(e, "data");
        if (!adopt_versions(c, json_object_get(data, "supported"), err)) {
            goto out;
        }
        if (c->era == ERA_MODERN) {
            AC_ERR(err, AC_ERR_PROTOCOL,
                   "%s: the MCP server rejects protocol version %s although "
                   "it lists it as supported",
                   method, MODERN_VERSION);
            goto out;
        }
        *status = MCP_REOPEN;
        ok = true;
    } else if (e != NULL && code == ERR_HEADER_MISMATCH &&
               strcmp(method, "tools/call") == 0) {
        *status = MCP_RELIST;
        ok = true;
    } else if (e != NULL &&
               (code == ERR_HEADER_MISMATCH || code == ERR_MISSING_CAPABILITY ||
                (code == ERR_METHOD_NOT_FOUND && r->status == 404))) {
        c->era = ERA_MODERN;
        AC_ERR(err, AC_ERR_PROTOCOL,
               "%s: MCP server answered HTTP %ld, JSON-RPC error %lld: %.120s",
               method, r->status, (long long)code, m != NULL ? m : "");
    } else if (r->status >= 400 && r->status < 500) {
        http_trace_note("HTTP %ld without a 2026-07-28 error: a legacy MCP "
                        "server, using initialize",
                        r->status);
        c->era = ERA_LEGACY;
        *status = MCP_REOPEN;
        ok = true;
    } else {
        AC_ERR(err, AC_ERR_PROTOCOL, "%s: MCP server answered HTTP %ld", method,
               r->status);
    }
out:
    json_decref(doc);
    return ok;
}

/* A modern request answered 200 with a JSON-RPC error: an unsupported
 * version names the ones to use; any error to server/discover (which a
 * 2026-07-28 server MUST implement) means a legacy server. */
static bool modern_rpc_error(struct mcpo_client *c, const char *method,
                             const json_t *e, enum mcp_status *status,
                             struct ac_err *err)
{
    json_int_t code = json_integer_value(json_object_get(e, "code"));
    if (code == ERR_UNSUPPORTED_VERSION) {
        const json_t *data = json_object_get(e, "data");
        if (!adopt_versions(c, json_object_get(data, "supported"), err) ||
            c->era != ERA_LEGACY) {
            return false;
        }
    } else if (strcmp(method, "server/discover") == 0) {
        http_trace_note("server/discover answered JSON-RPC error %lld: a "
                        "legacy MCP server, using initialize",
                        (long long)code);
        c->era = ERA_LEGACY;
    } else {
        return false;
    }
    *status = MCP_REOPEN;
    return true;
}

/* --- one request --------------------------------------------------------- */

/* Keep the valid tools of a modern tools/list (their x-mcp-header
 * annotations are used for tools/call) and drop the invalid ones from the
 * result (Streamable HTTP "Custom Headers from Tool Parameters": MUST
 * exclude, SHOULD warn). */
static bool keep_tools(struct mcpo_client *c, json_t *result,
                       struct ac_err *err)
{
    json_t *valid = json_array();
    size_t i;
    json_t *t;
    if (valid == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    json_array_foreach(json_object_get(result, "tools"), i, t)
    {
        const char *why = NULL;
        json_t *ann = ac_mcphdr_annotations(t, &why);
        if (ann == NULL) {
            const char *n = json_string_value(json_object_get(t, "name"));
            fprintf(stderr, "mcp-oauth: warning: ignoring tool \"%.60s\": %s\n",
                    n != NULL ? n : "?", why);
            continue;
        }
        json_decref(ann);
        json_array_append(valid, t);
    }
    if (json_is_array(json_object_get(result, "tools"))) {
        json_object_set(result, "tools", valid);
    }
    json_decref(c->tools);
    c->tools = valid;
    return true;
}

/* POST `body` with the headers of the era in use. */
static bool post(struct mcpo_client *c, const char *method,
                 const json_t *params, const char *body,
                 struct ac_http_response *resp, struct ac_err *err)
{
    struct hdrs h = {0};
    char *url = post_url(c);
    bool initialize = strcmp(method, "initialize") == 0;
    bool ok = false;

    if (url == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    if (c->era == ERA_LEGACY ? !legacy_headers(c, initialize, true, &h, err)
                             : !modern_headers(c, method, params, &h, err)) {
        goto out;
    }
    if (!dpop_header(c, url, body, &h, err)) {
        goto out;
    }
    ok =
        http_request(c, "POST", url, (const char *const *)h.v, body, resp, err);
out:
    hdrs_free(&h);
    ac_secret_free(url);
    return ok;
}

/* 401 and 403 insufficient_scope: the caller recovers. *done when the
 * answer was one of them. */
static bool auth_status(struct mcpo_client *c, const struct ac_http_response *r,
                        bool request, enum mcp_status *status, bool *done,
                        struct ac_err *err)
{
    *done = false;
    if (r->status == 401) {
        *status = MCP_UNAUTHORIZED;
        *done = true;
        return take_401(c, r, err);
    }
    if (r->status == 403 && request) {
        /* RFC 6750 §3.1 / MCP scope step-up: insufficient_scope names the
         * scope needed; anything else stays a plain failure. */
        if (!take_401(c, r, err)) {
            return false;
        }
        if (c->chal.error != NULL &&
            strcmp(c->chal.error, "insufficient_scope") == 0) {
            *status = MCP_FORBIDDEN;
            *done = true;
        }
    }
    return true;
}

/* The proof of a session DELETE: no body, so no content_digest. */
static bool dpop_delete_header(struct mcpo_client *c, struct hdrs *h)
{
    char *proof;
    bool ok;

    if (c->access_token == NULL || !c->dpop_bound || MUTATED("dpop-bearer")) {
        return true;
    }
    proof = dpop_proof_for(c, "DELETE", c->mcp_url, c->access_token, NULL,
                           c->dpop_nonce_rs, NULL);
    ok = proof != NULL && hdr_add(h, NULL, "DPoP: %s", proof);
    free(proof);
    return ok;
}

/* RFC 9449 §9: keep the MCP server's DPoP-Nonce; after a 401 with a
 * DPoP challenge use_dpop_nonce, send the request once more with it. */
static bool dpop_rs_nonce(struct mcpo_client *c, const char *method,
                          const json_t *params, const char *body,
                          struct ac_http_response *resp, struct ac_err *err)
{
    const char *lines[16];
    size_t n;
    bool again = false;

    if (!c->dpop_bound || MUTATED("dpop-ignore-rs-nonce")) {
        return true;
    }
    if (!dpop_take_nonce(&c->dpop_nonce_rs, resp, err)) {
        return false;
    }
    n = resp->status == 401
            ? ac_http_header_all(resp, "WWW-Authenticate", lines, 16)
            : 0;
    if (n > 0) {
        struct ac_challenges cs;
        const struct ac_challenge *d;
        struct ac_err perr = {0};

        if (ac_wwwauth_parse(lines, n, &cs, &perr)) {
            d = ac_wwwauth_find(&cs, "DPoP");
            again =
                d != NULL && ac_challenge_param(d, "error") != NULL &&
                strcmp(ac_challenge_param(d, "error"), "use_dpop_nonce") == 0;
            ac_challenges_free(&cs);
        }
    }
    if (!again || ac_http_header_get(resp, "DPoP-Nonce") == NULL) {
        return true;
    }
    http_trace_note("%s: MCP server asked for a DPoP nonce: retrying", method);
    ac_http_response_free(resp);
    return post(c, method, params, body, resp, err) &&
           dpop_take_nonce(&c->dpop_nonce_rs, resp, err);
}

/* 2025-11-25 transports: a 404 to a request with a session id means the
 * session ended; the client MUST start a new one with a fresh initialize,
 * then retry. True (and *status MCP_REOPEN) when that is the answer. */
static bool session_ended(struct mcpo_client *c, const char *method,
                          const struct ac_http_response *resp,
                          enum mcp_status *status)
{
    if (resp->status != 404 || c->session_id == NULL ||
        strcmp(method, "initialize") == 0) {
        return false;
    }
    http_trace_note("%s: HTTP 404 for session %s: starting a new session",
                    method, c->session_id);
    free(c->session_id);
    c->session_id = NULL;
    c->initialized = false;
    *status = MCP_REOPEN;
    return true;
}

/* The answer to request `id` once authorization is settled: its result,
 * or an error the caller acts on through *status. */
static bool take_answer(struct mcpo_client *c, const char *method,
                        json_int_t id, const struct ac_http_response *resp,
                        json_t **result, enum mcp_status *status,
                        struct ac_err *err)
{
    bool modern = c->era != ERA_LEGACY;
    json_t *rpc_err = NULL;
    bool ok;

    if (modern && resp->status != 200 && resp->status != 403) {
        return modern_http_error(c, method, resp, status, err);
    }
    if (!handle_answer(method, id, resp, result, &rpc_err, err)) {
        ok = modern && rpc_err != NULL &&
             modern_rpc_error(c, method, rpc_err, status, err);
        json_decref(rpc_err);
        return ok;
    }
    if (modern && strcmp(method, "tools/list") == 0) {
        return keep_tools(c, *result, err);
    }
    if (!modern && strcmp(method, "initialize") == 0) {
        return str_set(&c->session_id,
                       ac_http_header_get(resp, "MCP-Session-Id"), err);
    }
    return true;
}

bool mcp_rpc(struct mcpo_client *c, const char *method, json_t *params,
             json_t **result, enum mcp_status *status, struct ac_err *err)
{
    bool modern = c->era != ERA_LEGACY;
    json_int_t id = ++c->next_id;
    struct ac_http_response resp = {0};
    json_t *p = modern ? modern_params(params) : json_incref(params);
    char *body = NULL;
    bool done, ok = false;

    *status = MCP_OK;
    /* Modern params always exist (they carry _meta); legacy ones may be
     * absent. */
    body = !modern || p != NULL ? build_message(method, p, id, result == NULL)
                                : NULL;
    if (body == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building the %s request", method);
        goto out;
    }
    if (!post(c, method, params, body, &resp, err) ||
        !dpop_rs_nonce(c, method, params, body, &resp, err) ||
        !auth_status(c, &resp, result != NULL, status, &done, err)) {
        goto out;
    }
    ok = done || (!modern && session_ended(c, method, &resp, status)) ||
         take_answer(c, method, id, &resp, result, status, err);
out:
    json_decref(p);
    free(body);
    ac_http_response_free(&resp);
    return ok;
}

/* initialize + notifications/initialized; *status as for mcp_rpc. */
static bool mcp_initialize(struct mcpo_client *c, enum mcp_status *status,
                           struct ac_err *err)
{
    const char *v =
        c->legacy_version != NULL ? c->legacy_version : LEGACY_VERSION;
    json_t *params = json_pack("{s:s, s:{}, s:{s:s, s:s}}", "protocolVersion",
                               v, "capabilities", "clientInfo", "name",
                               "mcp-oauth", "version", "0.1.0");
    json_t *result = NULL;
    bool ok = false;

    if (params == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building initialize");
        goto out;
    }
    c->era = ERA_LEGACY;
    free(c->session_id);
    c->session_id = NULL;
    if (MUTATED("skip-initialize")) {
        *status = MCP_OK;
        c->initialized = true;
        ok = str_set(&c->protocol_version, v, err);
        goto out;
    }
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
        (!MUTATED("no-initialized-notification") &&
         !mcp_rpc(c, "notifications/initialized", NULL, NULL, status, err))) {
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

/* server/discover (2026-07-28): the versions the server supports. */
static bool discover(struct mcpo_client *c, enum mcp_status *status,
                     struct ac_err *err)
{
    json_t *result = NULL;
    bool ok = false;

    c->era = ERA_MODERN;
    if (!mcp_rpc(c, "server/discover", NULL, &result, status, err) ||
        *status != MCP_OK) {
        ok = *status != MCP_OK;
        goto out;
    }
    const json_t *sv = json_object_get(result, "supportedVersions");
    if (sv != NULL && !adopt_versions(c, sv, err)) {
        goto out;
    }
    if (c->era == ERA_LEGACY) {
        *status = MCP_REOPEN;
    } else {
        c->initialized = true;
        ok = str_set(&c->protocol_version, MODERN_VERSION, err);
        goto out;
    }
    ok = true;
out:
    json_decref(result);
    return ok;
}

bool mcp_open(struct mcpo_client *c, enum mcp_status *status,
              struct ac_err *err)
{
    if (c->era == ERA_MODERN && c->era_cached) {
        /* Known modern (token store): server/discover is optional
         * (2026-07-28 versioning); a failing request probes again. */
        *status = MCP_OK;
        c->initialized = true;
        return str_set(&c->protocol_version, MODERN_VERSION, err);
    }
    for (int i = 0; i < 3; i++) {
        bool legacy = c->era == ERA_LEGACY;
        if (!(legacy ? mcp_initialize(c, status, err)
                     : discover(c, status, err))) {
            if (!c->era_cached || !legacy) {
                return false;
            }
            /* The stored assumption failed: probe again (2026-07-28
             * versioning: "re-probing if the cached assumption later
             * fails"). */
            http_trace_note("initialize failed; probing the MCP wire again");
            c->era_cached = false;
            c->era = ERA_UNKNOWN;
            continue;
        }
        if (*status != MCP_REOPEN) {
            return true;
        }
    }
    AC_ERR(err, AC_ERR_PROTOCOL,
           "the MCP server's wire could not be determined (server/discover "
           "and initialize both refused)");
    return false;
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
    if (legacy_headers(c, false, false, &h, NULL) &&
        dpop_delete_header(c, &h) &&
        http_request(c, "DELETE", c->mcp_url, (const char *const *)h.v, NULL,
                     &resp, NULL)) {
        ac_http_response_free(&resp);
    }
    hdrs_free(&h);
    free(c->session_id);
    c->session_id = NULL;
    c->initialized = false;
}
