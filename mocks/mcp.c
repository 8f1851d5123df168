/* The mock MCP server (see mcp.h). Owns its configuration (path, PRM form,
 * challenge, tools) and its sessions; validates bearer tokens against the
 * world's token table. Every handler runs with mo_shared.lock held. */
#include "mocks/mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/json.h"
#include "common/url.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

#define LATEST_VERSION "2025-11-25"
#define PRM_SUFFIX "/.well-known/oauth-protected-resource"

/* JSON-RPC 2.0 error codes. */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
};

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                       NULL};

struct tool {
    char *name;
    char *scope; /* required scope, NULL for none */
};

struct mo_mcp {
    struct mo_shared *sh;
    char *path;
    bool prm_root;
    json_t *scopes;        /* scopes_supported, NULL when not defined */
    bool challenge_rm;     /* resource_metadata in challenges */
    char *challenge_scope; /* scope in 401 challenges, NULL for none */
    struct tool *tools;
    size_t ntools;
    char **sessions;
    size_t nsessions, scap;
    struct mo_httpd *httpd;
    char *url;
};

/* --- challenges (RFC 6750 §3, RFC 9728 §5.1) ------------------------ */

/* Reply `status` with a Bearer challenge. `error` may be NULL (no token was
 * sent: RFC 6750 §3.1 says no error code then); `scope` may be NULL. */
static bool challenge(const struct mo_mcp *m, struct mo_reply *rep, int status,
                      const char *error, const char *desc, const char *scope)
{
    char hdr[2048];
    size_t n = 0;
    const char *sep = " ";
    json_t *body;
    bool ok;

    n += (size_t)snprintf(hdr, sizeof(hdr), "Bearer");
    if (error != NULL) {
        n += (size_t)snprintf(hdr + n, sizeof(hdr) - n, "%serror=\"%s\"", sep,
                              error);
        sep = ", ";
    }
    if (m->challenge_rm && n < sizeof(hdr)) {
        n +=
            (size_t)snprintf(hdr + n, sizeof(hdr) - n,
                             "%sresource_metadata=\"%s\"", sep, m->sh->prm_url);
        sep = ", ";
    }
    if (scope != NULL && n < sizeof(hdr)) {
        snprintf(hdr + n, sizeof(hdr) - n, "%sscope=\"%s\"", sep, scope);
    }
    body =
        json_pack("{s:s, s:s}", "error", error != NULL ? error : "unauthorized",
                  "error_description", desc);
    ok = body != NULL && mo_reply_header(rep, "WWW-Authenticate", hdr) &&
         mo_reply_json(rep, status, body);
    json_decref(body);
    return ok;
}

static bool issuer_trusted(const struct mo_mcp *m, const char *issuer)
{
    return ac_json_array_has_str(m->sh->issuers, issuer);
}

/* RFC 6750 §2.1: the token only from the Authorization header. Returns
 * false on our failure; *out is NULL when a challenge was produced. */
static bool check_bearer(struct mo_mcp *m, const struct mo_req *req,
                         struct mo_reply *rep, struct mo_token **out)
{
    const char *hdr = mo_req_header(req, "Authorization");
    const char *tok;
    struct mo_token *t;

    *out = NULL;
    if (mo_req_header_count(req, "Authorization") > 1) {
        return challenge(m, rep, 400, "invalid_request",
                         "more than one Authorization header", NULL);
    }
    if (hdr == NULL || strncasecmp(hdr, "Bearer ", 7) != 0) {
        return challenge(m, rep, 401, NULL, "a bearer token is required",
                         m->challenge_scope);
    }
    tok = hdr + 7;
    tok += strspn(tok, " ");
    if (*tok == '\0' || strchr(tok, ' ') != NULL) {
        return challenge(m, rep, 400, "invalid_request",
                         "malformed Bearer credentials", NULL);
    }
    if (!mo_transcript_add_secret(m->sh->transcript, tok)) {
        return false;
    }
    t = mo_tokens_find(&m->sh->tokens, tok, MO_TOKEN_ACCESS);
    if (t == NULL || !mo_token_active(t) ||
        strcmp(t->resource, m->sh->resource) != 0 ||
        !issuer_trusted(m, t->issuer)) {
        /* RFC 6750 §3.1 / MCP: unknown, expired, revoked or issued for
         * another audience or by an untrusted issuer. */
        return challenge(m, rep, 401, "invalid_token",
                         "the access token is not valid for this resource",
                         m->challenge_scope);
    }
    *out = t;
    return true;
}

/* --- JSON-RPC replies ----------------------------------------------- */

static bool rpc_error(struct mo_reply *rep, int status, const json_t *id,
                      int code, const char *message)
{
    json_t *doc = json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id",
                            id, "error", "code", code, "message", message);
    bool ok = doc != NULL && mo_reply_json(rep, status, doc);

    json_decref(doc);
    return ok;
}

/* Takes `result`. */
static bool rpc_result(struct mo_reply *rep, const json_t *id, json_t *result)
{
    json_t *doc = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id,
                            "result", result);
    bool ok = doc != NULL && mo_reply_json(rep, 200, doc);

    json_decref(doc);
    return ok;
}

/* --- methods -------------------------------------------------------- */

static const struct tool *tool_find(const struct mo_mcp *m, const char *name)
{
    for (size_t i = 0; name != NULL && i < m->ntools; i++) {
        if (strcmp(m->tools[i].name, name) == 0) {
            return &m->tools[i];
        }
    }
    return NULL;
}

/* The scope an operation needs, or NULL. Today only tools carry scopes;
 * this is where per-method scopes will plug in. */
static const char *required_scope(const struct mo_mcp *m, const char *method,
                                  const json_t *params)
{
    const struct tool *t;

    if (strcmp(method, "tools/call") != 0) {
        return NULL;
    }
    t = tool_find(m, ac_json_str(params, "name"));
    return t != NULL ? t->scope : NULL;
}

static bool do_initialize(struct mo_mcp *m, const json_t *id,
                          const json_t *params, struct mo_reply *rep)
{
    const char *asked = ac_json_str(params, "protocolVersion");
    const char *version = LATEST_VERSION;
    char *sid;

    /* Lifecycle §version negotiation: echo a supported version, else
     * offer our latest. */
    for (size_t i = 0; asked != NULL && versions[i] != NULL; i++) {
        if (strcmp(asked, versions[i]) == 0) {
            version = versions[i];
        }
    }
    sid = ac_random_token(16, NULL);
    if (sid == NULL) {
        return false;
    }
    if (m->nsessions == m->scap) {
        size_t ncap = m->scap != 0 ? m->scap * 2 : 8;
        char **p = realloc(m->sessions, ncap * sizeof(*p));

        if (p == NULL) {
            free(sid);
            return false;
        }
        m->sessions = p;
        m->scap = ncap;
    }
    m->sessions[m->nsessions++] = sid;
    return rpc_result(rep, id,
                      json_pack("{s:s, s:{s:{}}, s:{s:s, s:s}}",
                                "protocolVersion", version, "capabilities",
                                "tools", "serverInfo", "name",
                                "authcheck-mock-mcp", "version", "0.1.0")) &&
           mo_reply_header(rep, "Mcp-Session-Id", sid);
}

static json_t *tool_json(const struct tool *t)
{
    if (strcmp(t->name, "echo") == 0) {
        return json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}", "name",
                         t->name, "description", "Echo the text argument",
                         "inputSchema", "type", "object", "properties", "text",
                         "type", "string", "required", "text");
    }
    return json_pack("{s:s, s:s, s:{s:s, s:{}}}", "name", t->name,
                     "description", "A mock tool", "inputSchema", "type",
                     "object", "properties");
}

static bool do_tools_list(const struct mo_mcp *m, const json_t *id,
                          struct mo_reply *rep)
{
    json_t *tools = json_array();

    for (size_t i = 0; tools != NULL && i < m->ntools; i++) {
        if (json_array_append_new(tools, tool_json(&m->tools[i])) != 0) {
            json_decref(tools);
            return false;
        }
    }
    return tools != NULL &&
           rpc_result(rep, id, json_pack("{s:o}", "tools", tools));
}

static bool do_tools_call(const struct mo_mcp *m, const json_t *id,
                          const json_t *params, struct mo_reply *rep)
{
    const struct tool *t = tool_find(m, ac_json_str(params, "name"));
    const json_t *args = json_object_get(params, "arguments");
    const char *text;

    if (t == NULL) {
        return rpc_error(rep, 200, id, RPC_INVALID_PARAMS, "Unknown tool");
    }
    if (strcmp(t->name, "echo") == 0) {
        text = ac_json_str(args, "text");
        if (text == NULL) {
            return rpc_error(rep, 200, id, RPC_INVALID_PARAMS,
                             "echo needs a string argument 'text'");
        }
    } else {
        text = t->name;
    }
    return rpc_result(rep, id,
                      json_pack("{s:[{s:s, s:s}], s:b}", "content", "type",
                                "text", "text", text, "isError", 0));
}

/* --- the MCP endpoint (Streamable HTTP, 2025-11-25 transports) ------- */

static bool accept_ok(const struct mo_req *req)
{
    const char *a = mo_req_header(req, "Accept");

    return a != NULL && (strcasestr(a, "application/json") != NULL ||
                         strcasestr(a, "text/event-stream") != NULL);
}

static bool session_known(const struct mo_mcp *m, const char *sid)
{
    for (size_t i = 0; i < m->nsessions; i++) {
        if (strcmp(m->sessions[i], sid) == 0) {
            return true;
        }
    }
    return false;
}

/* Transport checks after authorization; returns false on our failure,
 * *replied when the request was refused. */
static bool transport_check(const struct mo_mcp *m, const struct mo_req *req,
                            const char *method, struct mo_reply *rep,
                            bool *replied)
{
    const char *sid = mo_req_header(req, "Mcp-Session-Id");
    const char *pv = mo_req_header(req, "MCP-Protocol-Version");
    bool pv_ok = pv == NULL;

    *replied = true;
    for (size_t i = 0; pv != NULL && versions[i] != NULL; i++) {
        pv_ok = pv_ok || strcmp(pv, versions[i]) == 0;
    }
    if (!pv_ok) {
        return rpc_error(rep, 400, NULL, RPC_INVALID_REQUEST,
                         "Unsupported MCP-Protocol-Version");
    }
    if (method == NULL || strcmp(method, "initialize") != 0) {
        if (sid == NULL) {
            return rpc_error(rep, 400, NULL, RPC_INVALID_REQUEST,
                             "Mcp-Session-Id header required");
        }
        if (!session_known(m, sid)) {
            return rpc_error(rep, 404, NULL, RPC_INVALID_REQUEST,
                             "Session not found");
        }
    }
    *replied = false;
    return true;
}

static bool dispatch_request(struct mo_mcp *m, const struct mo_token *tok,
                             const json_t *msg, struct mo_reply *rep)
{
    const char *method = ac_json_str(msg, "method");
    const json_t *id = json_object_get(msg, "id");
    const json_t *params = json_object_get(msg, "params");
    const char *need = required_scope(m, method, params);

    if (need != NULL && !mo_scope_subset(need, tok->scope, NULL)) {
        /* RFC 6750 §3.1 + MCP step-up: 403 naming the needed scope. */
        return challenge(m, rep, 403, "insufficient_scope",
                         "the token lacks the scope this operation needs",
                         need);
    }
    if (strcmp(method, "initialize") == 0) {
        return do_initialize(m, id, params, rep);
    }
    if (strcmp(method, "ping") == 0) {
        return rpc_result(rep, id, json_object());
    }
    if (strcmp(method, "tools/list") == 0) {
        return do_tools_list(m, id, rep);
    }
    if (strcmp(method, "tools/call") == 0) {
        return do_tools_call(m, id, params, rep);
    }
    return rpc_error(rep, 200, id, RPC_METHOD_NOT_FOUND, "Method not found");
}

/* A JSON-RPC message: request (method + id), notification (method, no
 * id) or response (result/error + id). NULL when valid, else why not. */
static const char *message_shape(const json_t *msg, bool *is_request)
{
    const json_t *id = json_object_get(msg, "id");
    const json_t *method = json_object_get(msg, "method");
    const char *version = ac_json_str(msg, "jsonrpc");

    if (!json_is_object(msg) || version == NULL ||
        strcmp(version, "2.0") != 0) {
        *is_request = false;
        return "not a JSON-RPC 2.0 message";
    }
    if (id != NULL && !json_is_string(id) && !json_is_integer(id)) {
        return "id must be a string or an integer";
    }
    *is_request = method != NULL && id != NULL;
    if (method != NULL) {
        return json_is_string(method) ? NULL : "method must be a string";
    }
    if (id != NULL && (json_object_get(msg, "result") != NULL ||
                       json_object_get(msg, "error") != NULL)) {
        return NULL;
    }
    return "neither a request, a notification nor a response";
}

static bool handle_message(struct mo_mcp *m, const struct mo_req *req,
                           const struct mo_token *tok, struct mo_reply *rep)
{
    struct ac_err err;
    json_t *msg = ac_json_parse(req->body, req->body_len, &err);
    const char *why;
    bool is_request, replied;
    bool ok;

    if (msg == NULL) {
        return rpc_error(rep, 400, NULL, RPC_PARSE_ERROR, "Parse error");
    }
    why = message_shape(msg, &is_request);
    if (why != NULL) {
        ok = rpc_error(rep, 400, NULL, RPC_INVALID_REQUEST, why);
    } else if (!(ok = transport_check(m, req, ac_json_str(msg, "method"), rep,
                                      &replied)) ||
               replied) {
        /* refused, or our failure */
    } else if (!is_request) {
        /* Transports §sending: notifications and responses get 202. */
        ok = mo_reply_empty(rep, 202);
    } else {
        ok = dispatch_request(m, tok, msg, rep);
    }
    json_decref(msg);
    return ok;
}

static bool handle_mcp(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep)
{
    struct mo_mcp *m = ctx;
    struct mo_token *tok = NULL;

    if (!check_bearer(m, req, rep, &tok)) {
        return false;
    }
    if (tok == NULL) {
        return true;
    }
    if (!accept_ok(req)) {
        return rpc_error(rep, 406, NULL, RPC_INVALID_REQUEST,
                         "Accept must list application/json or "
                         "text/event-stream");
    }
    if (!mo_req_content_type_is(req, "application/json")) {
        return rpc_error(rep, 415, NULL, RPC_INVALID_REQUEST,
                         "Content-Type must be application/json");
    }
    return handle_message(m, req, tok, rep);
}

/* --- Protected Resource Metadata (RFC 9728 §2-3) --------------------- */

static bool handle_prm(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep)
{
    struct mo_mcp *m = ctx;
    json_t *doc = json_pack("{s:s, s:O, s:[s]}", "resource", m->sh->resource,
                            "authorization_servers", m->sh->issuers,
                            "bearer_methods_supported", "header");
    bool ok = doc != NULL;

    (void)req;
    if (ok && m->scopes != NULL) {
        ok = json_object_set(doc, "scopes_supported", m->scopes) == 0;
    }
    ok = ok && mo_reply_json(rep, 200, doc);
    json_decref(doc);
    return ok;
}

/* --- construction --------------------------------------------------- */

static bool tools_configure(struct mo_mcp *m, const json_t *arr)
{
    size_t i;
    const json_t *t;

    if (arr == NULL) {
        m->tools = calloc(1, sizeof(*m->tools));
        if (m->tools == NULL || (m->tools[0].name = strdup("echo")) == NULL) {
            return false;
        }
        m->ntools = 1;
        return true;
    }
    m->tools = calloc(json_array_size(arr) + 1, sizeof(*m->tools));
    if (m->tools == NULL) {
        return false;
    }
    json_array_foreach(arr, i, t)
    {
        const char *name = ac_json_str(t, "name");
        const char *scope = ac_json_str(t, "scope");

        m->tools[i].name = strdup(name != NULL ? name : "echo");
        m->tools[i].scope = scope != NULL ? strdup(scope) : NULL;
        m->ntools++;
        if (m->tools[i].name == NULL || (scope != NULL && !m->tools[i].scope)) {
            return false;
        }
    }
    return true;
}

static bool mcp_configure(struct mo_mcp *m, const json_t *conf)
{
    const char *path = ac_json_str(conf, "path");
    const char *prm = ac_json_str(conf, "prm");
    const json_t *ch = json_object_get(conf, "challenge");
    const json_t *rm = json_object_get(ch, "resource_metadata");
    const char *scope = ac_json_str(ch, "scope");

    m->path = strdup(path != NULL ? path : "/mcp");
    m->prm_root = prm != NULL && strcmp(prm, "root") == 0;
    m->challenge_rm = rm == NULL || json_is_true(rm);
    m->challenge_scope = scope != NULL ? strdup(scope) : NULL;
    m->scopes = json_deep_copy(json_object_get(conf, "scopes_supported"));
    return m->path != NULL && (scope == NULL || m->challenge_scope != NULL) &&
           tools_configure(m, json_object_get(conf, "tools"));
}

static char *prm_path(const struct mo_mcp *m)
{
    size_t n = strlen(PRM_SUFFIX) + strlen(m->path) + 1;
    char *p = malloc(n);

    /* RFC 9728 §3.1: insert the well-known segment before the path. */
    if (p != NULL) {
        snprintf(p, n, "%s%s", PRM_SUFFIX, m->prm_root ? "" : m->path);
    }
    return p;
}

/* Fill m->url, sh->resource and sh->prm_url once the port is known. */
static bool mcp_urls(struct mo_mcp *m, const char *prm, struct ac_err *err)
{
    const char *origin = mo_httpd_origin(m->httpd);
    size_t n = strlen(origin) + strlen(m->path) + strlen(prm) + 1;

    m->url = malloc(n);
    m->sh->prm_url = malloc(n);
    if (m->url == NULL || m->sh->prm_url == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for MCP URLs");
        return false;
    }
    snprintf(m->url, n, "%s%s", origin, m->path);
    snprintf(m->sh->prm_url, n, "%s%s", origin, prm);
    m->sh->resource = ac_url_canonical_resource(m->url);
    if (m->sh->resource == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "cannot canonicalise %s", m->url);
        return false;
    }
    return true;
}

bool mo_mcp_start(const json_t *conf, struct mo_shared *sh, struct mo_mcp **out,
                  struct ac_err *err)
{
    struct mo_mcp *m = calloc(1, sizeof(*m));
    char *prm = NULL;
    bool ok = false;

    *out = NULL;
    if (m == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the MCP server");
        return false;
    }
    m->sh = sh;
    if (!mcp_configure(m, conf) || (prm = prm_path(m)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the MCP server");
        goto out;
    }
    ok = mo_httpd_new("mcp", sh->transcript, &sh->lock, &m->httpd, err) &&
         mo_httpd_route(m->httpd, "POST", m->path, "mcp", handle_mcp, m, err) &&
         mo_httpd_route(m->httpd, "GET", prm, "prm", handle_prm, m, err) &&
         mo_httpd_start(m->httpd, err) && mcp_urls(m, prm, err);
out:
    free(prm);
    if (!ok) {
        mo_mcp_free(m);
        return false;
    }
    *out = m;
    return true;
}

const char *mo_mcp_url(const struct mo_mcp *m)
{
    return m->url;
}

void mo_mcp_free(struct mo_mcp *m)
{
    if (m == NULL) {
        return;
    }
    mo_httpd_free(m->httpd);
    for (size_t i = 0; i < m->ntools; i++) {
        free(m->tools[i].name);
        free(m->tools[i].scope);
    }
    free(m->tools);
    for (size_t i = 0; i < m->nsessions; i++) {
        free(m->sessions[i]);
    }
    free(m->sessions);
    json_decref(m->scopes);
    free(m->path);
    free(m->challenge_scope);
    free(m->url);
    free(m);
}
