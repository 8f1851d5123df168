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
#include "common/mcphdr.h"
#include "common/scope.h"
#include "common/url.h"
#include "mocks/defects.h"
#include "mocks/httpd.h"
#include "mocks/rules.h"
#include "mocks/schema.h"
#include "mocks/world_int.h"
/* after the others: DPoP (RFC 9449) resource access */
#include "mocks/dpop.h"

#define LATEST_VERSION "2025-11-25"
#define STATELESS_VERSION "2026-07-28"
#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define PRM_SUFFIX "/.well-known/oauth-protected-resource"

/* JSON-RPC 2.0 error codes. */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_HEADER_MISMATCH = -32020,     /* 2026-07-28 transports */
    RPC_UNSUPPORTED_VERSION = -32022, /* 2026-07-28 versioning */
};

/* Which MCP wire(s) the server speaks (scenario mcp_server.wire). */
enum wire { WIRE_SESSION = 1, WIRE_STATELESS = 2, WIRE_BOTH = 3 };

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                       NULL};

/* The tool the official suite's mock MCP server lists. */
#define OFFICIAL_TOOL "test-tool"

struct tool {
    char *name;
    char *scope;        /* required scope, NULL for none */
    json_t *hdr_params; /* argument -> x-mcp-header name (2026-07-28
                           transports §custom headers), NULL for none */
};

struct mo_mcp {
    struct mo_shared *sh;
    char *id;       /* server name in the transcript: "mcp", or an extra's */
    char *resource; /* canonical resource URI (RFC 8707): the audience */
    char *prm_url;  /* where its PRM is served */
    char *path;
    bool prm_root;
    bool resource_origin; /* resource "origin": the identifier is the
                             origin, as a root PRM describes it */
    bool prm_none;        /* prm "none": no PRM at all (2025-03-26 servers) */
    char *prm_custom;     /* prm "custom": the path, advertised only in the
                             challenge */
    enum wire wire;
    bool sse;              /* answer requests as text/event-stream */
    bool hierarchy;        /* scope "a" covers "a:b" */
    json_t *method_scopes; /* method -> scope, NULL for none */
    json_t *scopes;        /* scopes_supported, NULL when not defined */
    bool challenge_rm;     /* resource_metadata in challenges */
    bool step_up_held;     /* step_up_scope "held": a 403 names the token's
                              scopes and the needed one (2025-11-25's
                              recommended approach), not only the needed */
    unsigned defects;      /* mocks/defects.h flags */
    char *challenge_scope; /* scope in 401 challenges, NULL for none */
    struct tool *tools;
    size_t ntools;
    char **sessions;
    size_t nsessions, scap;
    struct mo_httpd *httpd;
    char *url;
    struct mo_dpop dpop; /* RFC 9449 resource access (scenario "dpop") */
};

/* --- challenges (RFC 6750 §3, RFC 9728 §5.1) ------------------------ */

/* Reply `status` with a Bearer challenge. `error` may be NULL (no token was
 * sent: RFC 6750 §3.1 says no error code then); `scope` may be NULL. A
 * server that requires DPoP challenges with the DPoP scheme only (RFC 9449
 * §7.1), with the same resource_metadata (RFC 9728 §5.1: any scheme) and
 * scope, and its algs: a Bearer challenge would ask for what it refuses
 * (the official auth/dpop server answers `DPoP resource_metadata=...`). */
static bool challenge(const struct mo_mcp *m, struct mo_reply *rep, int status,
                      const char *error, const char *desc, const char *scope)
{
    char hdr[2048], safe[MO_OAUTH_TEXT_MAX];
    size_t n = 0;
    const char *sep = " ";
    json_t *body;
    bool ok;
    bool dpop = m->dpop.on && m->dpop.required;

    n += (size_t)snprintf(hdr, sizeof(hdr), "%s", dpop ? "DPoP" : "Bearer");
    if (error != NULL) {
        n += (size_t)snprintf(hdr + n, sizeof(hdr) - n, "%serror=\"%s\"", sep,
                              error);
        sep = ", ";
    }
    if (m->challenge_rm && n < sizeof(hdr)) {
        n += (size_t)snprintf(hdr + n, sizeof(hdr) - n,
                              "%sresource_metadata=\"%s\"", sep, m->prm_url);
        sep = ", ";
    }
    if (scope != NULL && n < sizeof(hdr)) {
        n += (size_t)snprintf(hdr + n, sizeof(hdr) - n, "%sscope=\"%s\"", sep,
                              scope);
        sep = ", ";
    }
    if (dpop && n < sizeof(hdr)) {
        snprintf(hdr + n, sizeof(hdr) - n, "%salgs=\"%s\"", sep,
                 mo_dpop_algs_text(&m->dpop));
    }
    mo_oauth_text(safe, sizeof safe, desc);
    body =
        json_pack("{s:s, s:s}", "error", error != NULL ? error : "unauthorized",
                  "error_description", safe);
    ok = body != NULL && mo_reply_header(rep, "WWW-Authenticate", hdr) &&
         mo_reply_json(rep, status, body);
    json_decref(body);
    return ok;
}

static bool issuer_trusted(const struct mo_mcp *m, const char *issuer)
{
    return ac_json_array_has_str(m->sh->issuers, issuer);
}

/* Defect profile mcp-query-token: "Bearer " + the access_token query
 * parameter, kept in a static buffer (handlers run under the world lock,
 * one at a time). NULL when absent. */
static const char *query_token(const struct mo_req *req)
{
    static char hdr[4096];
    const char *q = req->query;
    const char *p = q != NULL ? strstr(q, "access_token=") : NULL;

    if (p == NULL || (p != q && p[-1] != '&')) {
        return NULL;
    }
    p += strlen("access_token=");
    snprintf(hdr, sizeof(hdr), "Bearer %.*s", (int)strcspn(p, "&"), p);
    return hdr;
}

/* Not revoked, rotated or expired; defect profile mcp-ignores-revocation
 * only looks at expiry. */
static bool token_usable(const struct mo_mcp *m, const struct mo_token *t)
{
    int64_t now = mo_world_now(m->sh);

    if (m->defects & MO_DEF_MCP_IGNORE_REVOKED) {
        return t->expires_at == 0 || now < t->expires_at;
    }
    if (m->defects & MO_DEF_MCP_ACCEPT_EXPIRED) {
        return mo_tokens_active(t, 0); /* defect profile mcp-accepts-expired */
    }
    return mo_tokens_active(t, now);
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
    if (hdr == NULL && (m->defects & MO_DEF_MCP_QUERY_TOKEN)) {
        hdr = query_token(req); /* defect profile mcp-query-token */
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
    if (t == NULL || !token_usable(m, t) ||
        (strcmp(t->resource, m->resource) != 0 &&
         !(m->defects & MO_DEF_MCP_ANY_AUDIENCE)) ||
        !issuer_trusted(m, t->issuer)) {
        /* RFC 6750 §3.1 / MCP: unknown, expired, revoked or issued for
         * another audience or by an untrusted issuer. */
        mo_rules_emit(m->sh, "rs.rejected", m->id, tok,
                      t != NULL ? t->client_id : NULL);
        return challenge(m, rep, 401, "invalid_token",
                         "the access token is not valid for this resource",
                         m->challenge_scope);
    }
    *out = t;
    return true;
}

/* --- DPoP (RFC 9449 §7, ext-auth dpop-extension) -------------------- */

/* Add "WWW-Authenticate: DPoP [error=..., ]algs=..." (RFC 9449 §7.1) and
 * the nonce; with `error`, the status and body too. */
static bool dpop_challenge(struct mo_mcp *m, struct mo_reply *rep,
                           const char *error, const char *desc)
{
    char hdr[1024];
    json_t *body = NULL;
    bool ok;

    if (error != NULL) {
        char safe[300];

        mo_oauth_text(safe, sizeof safe, desc);
        snprintf(hdr, sizeof hdr,
                 "DPoP error=\"%s\", error_description=\"%s\", algs=\"%s\""
                 "%s%s%s",
                 error, safe, mo_dpop_algs_text(&m->dpop),
                 m->challenge_rm ? ", resource_metadata=\"" : "",
                 m->challenge_rm ? m->prm_url : "",
                 m->challenge_rm ? "\"" : "");
        body =
            json_pack("{s:s, s:s}", "error", error, "error_description", safe);
        if (body == NULL || !mo_reply_json(rep, 401, body)) {
            json_decref(body);
            return false;
        }
        json_decref(body);
    } else {
        snprintf(hdr, sizeof hdr, "DPoP algs=\"%s\"",
                 mo_dpop_algs_text(&m->dpop));
    }
    ok = mo_reply_header(rep, "WWW-Authenticate", hdr) &&
         mo_dpop_nonce_header(&m->dpop, rep);
    return ok;
}

/* The token of "Authorization: DPoP <token>" when valid for us, checked
 * like a bearer token. Borrowed, or NULL (a challenge was made). */
static struct mo_token *dpop_token(struct mo_mcp *m, const char *tok,
                                   struct mo_reply *rep, bool *ok)
{
    struct mo_token *t;

    *ok = mo_transcript_add_secret(m->sh->transcript, tok);
    t = mo_tokens_find(&m->sh->tokens, tok, MO_TOKEN_ACCESS);
    if (t == NULL || !token_usable(m, t) ||
        strcmp(t->resource, m->resource) != 0 ||
        !issuer_trusted(m, t->issuer) || t->jkt == NULL) {
        mo_rules_emit(m->sh, "rs.rejected", m->id, tok,
                      t != NULL ? t->client_id : NULL);
        *ok = *ok && dpop_challenge(m, rep, "invalid_token",
                                    "the access token is not a valid "
                                    "DPoP-bound token for this resource");
        return NULL;
    }
    return t;
}

/* RFC 9449 §7.1: "Authorization: DPoP <token>" plus a proof whose key is
 * the token's cnf.jkt, with ath and (MCP profile) content_digest. */
static bool check_dpop_scheme(struct mo_mcp *m, const struct mo_req *req,
                              const char *tok, struct mo_reply *rep,
                              struct mo_token **out)
{
    char why[300] = "", *jkt = NULL;
    bool ok = true;
    struct mo_token *t = dpop_token(m, tok, rep, &ok);

    if (t == NULL) {
        return ok;
    }
    /* Defect profile dpop-ath-unchecked: no access token, no ath check. */
    switch (mo_dpop_check(
        &m->dpop, req, (m->defects & MO_DEF_DPOP_ATH_UNCHECKED) ? NULL : tok,
        m->dpop.content_digest, mo_world_now(m->sh), &jkt, why, sizeof why)) {
    case MO_DPOP_OK:
        if (strcmp(jkt, t->jkt) == 0) {
            *out = t;
            ok = mo_dpop_nonce_header(&m->dpop, rep);
        } else {
            ok = dpop_challenge(m, rep, "invalid_dpop_proof",
                                "the proof key is not the token's cnf.jkt");
        }
        break;
    case MO_DPOP_ABSENT:
        ok = dpop_challenge(m, rep, "invalid_dpop_proof",
                            "a DPoP proof is required with the DPoP scheme");
        break;
    case MO_DPOP_INVALID:
        ok = dpop_challenge(m, rep, "invalid_dpop_proof", why);
        break;
    case MO_DPOP_USE_NONCE:
        /* RFC 9449 §9: 401 use_dpop_nonce with a DPoP-Nonce header. */
        ok = dpop_challenge(m, rep, "use_dpop_nonce", why);
        break;
    case MO_DPOP_ERROR:
        ok = false;
        break;
    }
    free(jkt);
    return ok;
}

/* The DPoP-aware access check. A Bearer presentation of a DPoP-bound
 * token is refused (RFC 9449 §7.2); unbound Bearer tokens pass unless the
 * scenario requires DPoP. */
static bool check_access(struct mo_mcp *m, const struct mo_req *req,
                         struct mo_reply *rep, struct mo_token **out)
{
    const char *hdr = mo_req_header(req, "Authorization");

    *out = NULL;
    if (!m->dpop.on) {
        return check_bearer(m, req, rep, out);
    }
    if (hdr != NULL && strncasecmp(hdr, "DPoP ", 5) == 0 &&
        mo_req_header_count(req, "Authorization") == 1) {
        const char *tok = hdr + 5 + strspn(hdr + 5, " ");

        if (*tok == '\0' || strchr(tok, ' ') != NULL) {
            return dpop_challenge(m, rep, "invalid_request",
                                  "malformed DPoP credentials");
        }
        return check_dpop_scheme(m, req, tok, rep, out);
    }
    if (!check_bearer(m, req, rep, out)) {
        return false;
    }
    if (*out == NULL) {
        /* Offer DPoP next to the Bearer challenge (RFC 9449 §7.1); a
         * server requiring DPoP made a DPoP challenge already. */
        return rep->status != 401 || m->dpop.required ||
               dpop_challenge(m, rep, NULL, NULL);
    }
    if (((*out)->jkt != NULL && !(m->defects & MO_DEF_DPOP_BEARER_OK)) ||
        m->dpop.required) {
        bool bound = (*out)->jkt != NULL;

        mo_rules_emit(m->sh, "rs.rejected", m->id, (*out)->value,
                      (*out)->client_id);
        *out = NULL;
        return dpop_challenge(m, rep, "invalid_token",
                              bound ? "a DPoP-bound token presented as a "
                                      "Bearer token (RFC 9449 section 7.2)"
                                    : "this resource requires DPoP");
    }
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

/* The scope an operation needs, or NULL: the called tool's own scope,
 * else the method's entry in method_scopes. */
static const char *required_scope(const struct mo_mcp *m, const char *method,
                                  const json_t *params)
{
    const struct tool *t;
    const char *per_method = ac_json_str(m->method_scopes, method);

    if (strcmp(method, "tools/call") != 0) {
        return per_method;
    }
    t = tool_find(m, ac_json_str(params, "name"));
    return t != NULL && t->scope != NULL ? t->scope : per_method;
}

/* Does the granted scope string cover every scope of `need`? Exact match,
 * or with the hierarchy option a granted "a" covers "a:b" (and "a:b:c"):
 * the needed scope starts with the granted one followed by ':'. */
static bool scope_covers(const struct mo_mcp *m, const char *need,
                         const char *have)
{
    const char *cur = need, *t, *hc, *h;
    size_t len, hl;

    while (ac_scope_next(&cur, &t, &len)) {
        bool found = ac_scope_has_n(have, t, len);

        for (hc = have;
             m->hierarchy && !found && ac_scope_next(&hc, &h, &hl);) {
            found = hl < len && memcmp(t, h, hl) == 0 && t[hl] == ':';
        }
        if (!found) {
            return false;
        }
    }
    return true;
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

/* A new tool definition. On the 2026-07-28 wire (`stateless`) each
 * header-mirrored argument carries its x-mcp-header annotation; one the
 * schema does not have yet is added as a string property. */
static json_t *tool_json(const struct tool *t, bool stateless)
{
    json_t *doc;
    json_t *props;
    const char *arg;
    json_t *hdr;

    if (strcmp(t->name, "echo") == 0) {
        doc = json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}", "name",
                        t->name, "description", "Echo the text argument",
                        "inputSchema", "type", "object", "properties", "text",
                        "type", "string", "required", "text");
    } else if (strcmp(t->name, OFFICIAL_TOOL) == 0 && t->hdr_params == NULL) {
        /* The official suite's tool, exactly as its mock lists it. */
        doc = json_pack("{s:s, s:{s:s}}", "name", t->name, "inputSchema",
                        "type", "object");
    } else {
        doc = json_pack("{s:s, s:s, s:{s:s, s:{}}}", "name", t->name,
                        "description", "A mock tool", "inputSchema", "type",
                        "object", "properties");
    }
    props = json_object_get(json_object_get(doc, "inputSchema"), "properties");
    if (!stateless || props == NULL) {
        return doc;
    }
    json_object_foreach(t->hdr_params, arg, hdr)
    {
        json_t *p = json_object_get(props, arg);

        if (p == NULL) {
            p = json_pack("{s:s}", "type", "string");
            if (p == NULL || json_object_set_new(props, arg, p) != 0) {
                json_decref(doc);
                return NULL;
            }
        }
        if (json_object_set(p, "x-mcp-header", hdr) != 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

static bool do_tools_list(const struct mo_mcp *m, const json_t *id,
                          bool stateless, struct mo_reply *rep)
{
    json_t *tools = json_array();

    for (size_t i = 0; tools != NULL && i < m->ntools; i++) {
        if (json_array_append_new(tools, tool_json(&m->tools[i], stateless)) !=
            0) {
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
    if (strcmp(t->name, "echo") == 0 && json_object_get(args, "text") != NULL) {
        text = ac_json_str(args, "text");
        if (text == NULL) {
            return rpc_error(rep, 200, id, RPC_INVALID_PARAMS,
                             "echo's argument 'text' must be a string");
        }
    } else if (strcmp(t->name, "echo") == 0) {
        /* Any listed tool answers a call: a generic conformance client
         * may call each tool with no arguments. */
        text = "";
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

static bool do_discover(const json_t *id, struct mo_reply *rep, enum wire wire);

static bool dispatch_request(struct mo_mcp *m, const struct mo_token *tok,
                             const json_t *msg, bool stateless,
                             struct mo_reply *rep)
{
    const char *method = ac_json_str(msg, "method");
    const json_t *id = json_object_get(msg, "id");
    const json_t *params = json_object_get(msg, "params");
    const char *need = required_scope(m, method, params);

    if (need != NULL && !scope_covers(m, need, tok->scope)) {
        /* RFC 6750 §3.1 + MCP step-up: 403 naming the needed scope, and
         * with step_up_scope "held" the token's own too (2025-11-25
         * "Server Scope Management", recommended approach), so a client
         * asking for exactly the challenge loses nothing. */
        char *both = NULL;
        bool ok;
        mo_rules_emit(m->sh, "rs.rejected", m->id, tok->value, tok->client_id);
        if (m->step_up_held && tok->scope != NULL && tok->scope[0] != '\0') {
            both = ac_scope_union(tok->scope, need);
        }
        ok = challenge(m, rep, 403, "insufficient_scope",
                       "the token lacks the scope this operation needs",
                       both != NULL ? both : need);
        free(both);
        return ok;
    }
    mo_rules_emit(m->sh, "rs.authorized", m->id, tok->value, tok->client_id);
    if (stateless && strcmp(method, "server/discover") == 0) {
        return do_discover(id, rep, m->wire);
    }
    if (stateless) {
        /* 2026-07-28: no initialize, no ping. */
    } else if (strcmp(method, "initialize") == 0) {
        return do_initialize(m, id, params, rep);
    } else if (strcmp(method, "ping") == 0) {
        return rpc_result(rep, id, json_object());
    }
    if (strcmp(method, "tools/list") == 0) {
        return do_tools_list(m, id, stateless, rep);
    }
    if (strcmp(method, "tools/call") == 0) {
        return do_tools_call(m, id, params, rep);
    }
    /* 2026-07-28 transports: an unimplemented method is a 404. */
    return rpc_error(rep, stateless ? 404 : 200, id, RPC_METHOD_NOT_FOUND,
                     "Method not found");
}

/* --- the stateless wire (2026-07-28) --------------------------------- */

static const char *const stateless_versions[] = {STATELESS_VERSION, NULL};

static json_t *supported_versions(enum wire wire)
{
    json_t *arr = json_array();

    if (wire & WIRE_STATELESS) {
        json_array_append_new(arr, json_string(STATELESS_VERSION));
    }
    for (size_t i = 0; (wire & WIRE_SESSION) && versions[i] != NULL; i++) {
        json_array_append_new(arr, json_string(versions[i]));
    }
    return arr;
}

static bool do_discover(const json_t *id, struct mo_reply *rep, enum wire wire)
{
    return rpc_result(rep, id,
                      json_pack("{s:o, s:{s:{}}, s:{s:s, s:s}}",
                                "supportedVersions", supported_versions(wire),
                                "capabilities", "tools", "serverInfo", "name",
                                "authcheck-mock-mcp", "version", "0.1.0"));
}

static bool header_mismatch(struct mo_reply *rep, const json_t *id,
                            const char *what)
{
    char msg[256];

    snprintf(msg, sizeof(msg), "Header mismatch: %s", what);
    return rpc_error(rep, 400, id, RPC_HEADER_MISMATCH, msg);
}

/* Transports §custom headers / §server validation: every header-mirrored
 * argument of the called tool with a string, integer or boolean value
 * needs exactly one Mcp-Param-{Name} header carrying it (decoded from the
 * base64 sentinel form); an absent or null argument needs no header, and
 * a header for it does not match the body. Returns false on our failure;
 * *replied when the request was refused. */
static bool param_check(const struct mo_mcp *m, const struct mo_req *req,
                        const json_t *id, const json_t *params,
                        struct mo_reply *rep, bool *replied)
{
    const struct tool *t = tool_find(m, ac_json_str(params, "name"));
    const json_t *args = json_object_get(params, "arguments");
    const char *arg;
    const json_t *hdr;
    char name[256];
    char what[200];

    *replied = true;
    json_object_foreach(t != NULL ? t->hdr_params : NULL, arg, hdr)
    {
        const json_t *v = json_object_get(args, arg);
        bool expected =
            json_is_string(v) || json_is_integer(v) || json_is_boolean(v);
        const char *hv;
        char *dv;
        bool same;

        snprintf(name, sizeof(name), "Mcp-Param-%s", json_string_value(hdr));
        hv = mo_req_header(req, name);
        if (hv == NULL && !expected) {
            continue;
        }
        if (hv == NULL || !expected || mo_req_header_count(req, name) > 1 ||
            !ac_mcphdr_chars_ok(hv)) {
            snprintf(what, sizeof(what), "%.80s %s for argument '%.60s'", name,
                     hv == NULL  ? "missing"
                     : !expected ? "sent without a value in the body"
                                 : "repeated or with invalid characters",
                     arg);
            return header_mismatch(rep, id, what);
        }
        dv = ac_mcphdr_decode(hv);
        same = dv != NULL && ac_mcphdr_matches(dv, v);
        free(dv);
        if (!same) {
            snprintf(what, sizeof(what),
                     "%.80s does not match the body's argument '%.60s'", name,
                     arg);
            return header_mismatch(rep, id, what);
        }
    }
    *replied = false;
    return true;
}

static bool version_supported(const char *v)
{
    for (size_t i = 0; stateless_versions[i] != NULL; i++) {
        if (strcmp(v, stateless_versions[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* 400 with the versions we speak: MCP-Protocol-Version names another. */
static bool unsupported_version(const struct mo_mcp *m, struct mo_reply *rep,
                                const json_t *id, const char *requested)
{
    json_t *doc =
        json_pack("{s:s, s:O?, s:{s:i, s:s, s:{s:o, s:o}}}", "jsonrpc", "2.0",
                  "id", id, "error", "code", RPC_UNSUPPORTED_VERSION, "message",
                  "Unsupported protocol version", "data", "supported",
                  supported_versions(m->wire), "requested",
                  mo_json_text(requested, strlen(requested)));
    bool ok = doc != NULL && mo_reply_json(rep, 400, doc);

    json_decref(doc);
    return ok;
}

/* For the methods that name something (a tool, a resource, a prompt):
 * does Mcp-Name, decoded, equal the body's name (or uri)? */
static bool name_header_ok(const struct mo_req *req, const char *method,
                           const json_t *params)
{
    const char *hn = mo_req_header(req, "Mcp-Name");
    const char *name = ac_json_str(params, "name");
    char *dn;
    bool same;

    if (strcmp(method, "tools/call") != 0 &&
        strcmp(method, "resources/read") != 0 &&
        strcmp(method, "prompts/get") != 0) {
        return true;
    }
    if (name == NULL) {
        name = ac_json_str(params, "uri");
    }
    dn = hn != NULL ? ac_mcphdr_decode(hn) : NULL;
    same = dn != NULL && name != NULL && strcmp(dn, name) == 0;
    free(dn);
    return same;
}

/* The 2026-07-28 request checks (transports §request metadata, §server
 * validation; versioning §negotiation). Returns false on our failure;
 * *replied when the request was refused. */
static bool stateless_check(const struct mo_mcp *m, const struct mo_req *req,
                            const json_t *msg, struct mo_reply *rep,
                            bool *replied)
{
    const json_t *id = json_object_get(msg, "id");
    const char *method = ac_json_str(msg, "method");
    const json_t *params = json_object_get(msg, "params");
    const char *hv = mo_req_header(req, "MCP-Protocol-Version");
    const char *bv =
        ac_json_str(json_object_get(params, "_meta"), META_VERSION);
    const char *hm = mo_req_header(req, "Mcp-Method");

    *replied = true;
    if (hv == NULL) {
        return header_mismatch(rep, id, "MCP-Protocol-Version is required");
    }
    if (!version_supported(hv)) {
        return unsupported_version(m, rep, id, hv);
    }
    if (bv == NULL || strcmp(bv, hv) != 0) {
        return header_mismatch(
            rep, id, "MCP-Protocol-Version does not match _meta " META_VERSION);
    }
    if (hm == NULL || strcmp(hm, method) != 0) {
        return header_mismatch(rep, id,
                               "Mcp-Method missing or different "
                               "from the body's method");
    }
    if (!name_header_ok(req, method, params)) {
        return header_mismatch(rep, id,
                               "Mcp-Name missing or different "
                               "from the body");
    }
    if (strcmp(method, "tools/call") == 0) {
        return param_check(m, req, id, params, rep, replied);
    }
    *replied = false;
    return true;
}

/* 2026-07-28 basic: every result carries resultType, and names the server
 * in _meta; cacheable list results carry ttlMs and cacheScope. */
static void stateless_decorate(struct mo_reply *rep, const char *method)
{
    json_t *doc;
    json_t *result;
    char *text;

    if (rep->status != 200 || rep->body == NULL) {
        return;
    }
    doc = json_loadb(rep->body, rep->body_len, 0, NULL);
    result = json_object_get(doc, "result");
    if (json_is_object(result)) {
        json_object_set_new(result, "resultType", json_string("complete"));
        json_object_set_new(
            result, "_meta",
            json_pack("{s:{s:s, s:s}}", "io.modelcontextprotocol/serverInfo",
                      "name", "authcheck-mock-mcp", "version", "0.1.0"));
        if (strcmp(method, "tools/list") == 0) {
            json_object_set_new(result, "ttlMs", json_integer(0));
            json_object_set_new(result, "cacheScope", json_string("private"));
        }
        text = json_dumps(doc, JSON_COMPACT);
        if (text != NULL) {
            free(rep->body);
            rep->body = text;
            rep->body_len = strlen(text);
        }
    }
    json_decref(doc);
}

/* Is this request for the stateless wire? A 2026-07-28-only server takes
 * every request so; a dual server when the version header or _meta names
 * 2026-07-28 (an initialize is always the session wire). */
static bool is_stateless(const struct mo_mcp *m, const struct mo_req *req,
                         const json_t *msg)
{
    const char *hv = mo_req_header(req, "MCP-Protocol-Version");
    const char *bv = ac_json_str(
        json_object_get(json_object_get(msg, "params"), "_meta"), META_VERSION);
    const char *method = ac_json_str(msg, "method");

    if (m->wire == WIRE_STATELESS) {
        return true;
    }
    if (m->wire == WIRE_SESSION ||
        (method != NULL && strcmp(method, "initialize") == 0)) {
        return false;
    }
    return (hv != NULL && strcmp(hv, STATELESS_VERSION) == 0) ||
           (bv != NULL && strcmp(bv, STATELESS_VERSION) == 0);
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
    } else if (is_stateless(m, req, msg)) {
        if (!is_request) {
            ok = mo_reply_empty(rep, 202);
        } else if ((ok = stateless_check(m, req, msg, rep, &replied)) &&
                   !replied) {
            ok = dispatch_request(m, tok, msg, true, rep);
            stateless_decorate(rep, ac_json_str(msg, "method"));
        }
    } else if (!(ok = transport_check(m, req, ac_json_str(msg, "method"), rep,
                                      &replied)) ||
               replied) {
        /* refused, or our failure */
    } else if (!is_request) {
        /* Transports §sending: notifications and responses get 202. */
        ok = mo_reply_empty(rep, 202);
    } else {
        ok = dispatch_request(m, tok, msg, false, rep);
    }
    json_decref(msg);
    return ok;
}

/* Turn a JSON answer to a request into one SSE event (transports §sending:
 * the server may answer with text/event-stream). */
static bool to_sse(struct mo_reply *rep)
{
    size_t n;
    char *body;

    for (size_t i = 0; i < rep->nheaders; i++) {
        if (strcasecmp(rep->headers[i].name, "Content-Type") == 0 &&
            strcmp(rep->headers[i].value, "application/json") == 0) {
            char *v = strdup("text/event-stream");

            if (v == NULL) {
                return false;
            }
            free(rep->headers[i].value);
            rep->headers[i].value = v;
            n = rep->body_len + 32;
            body = malloc(n);
            if (body == NULL) {
                return false;
            }
            snprintf(body, n, "event: message\ndata: %s\n\n", rep->body);
            free(rep->body);
            rep->body = body;
            rep->body_len = strlen(body);
            return mo_reply_header(rep, "Cache-Control", "no-cache");
        }
    }
    return true;
}

static bool handle_mcp(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep)
{
    struct mo_mcp *m = ctx;
    struct mo_token *tok = NULL;

    if (!check_access(m, req, rep, &tok)) {
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
    if (!handle_message(m, req, tok, rep)) {
        return false;
    }
    if (m->sse && rep->status == 200 && rep->body != NULL) {
        const char *a = mo_req_header(req, "Accept");

        if (a != NULL && strcasestr(a, "text/event-stream") != NULL) {
            return to_sse(rep);
        }
    }
    return true;
}

/* --- Protected Resource Metadata (RFC 9728 §2-3) --------------------- */

static bool handle_prm(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep)
{
    struct mo_mcp *m = ctx;
    json_t *doc = json_pack("{s:s, s:O, s:[s]}", "resource", m->resource,
                            "authorization_servers", m->sh->issuers,
                            "bearer_methods_supported", "header");
    bool ok = doc != NULL;

    (void)req;
    if (ok && m->scopes != NULL) {
        ok = json_object_set(doc, "scopes_supported", m->scopes) == 0;
    }
    if (ok && m->dpop.on) {
        /* RFC 9728 §2: the resource's DPoP algorithms and whether it
         * only accepts DPoP-bound tokens. */
        ok = json_object_set_new(doc, "dpop_signing_alg_values_supported",
                                 mo_dpop_algs_json(&m->dpop)) == 0 &&
             json_object_set_new(doc, "dpop_bound_access_tokens_required",
                                 json_boolean(m->dpop.required)) == 0;
    }
    ok = ok && mo_reply_json(rep, 200, doc);
    json_decref(doc);
    return ok;
}

/* --- construction --------------------------------------------------- */

/* The official conformance suite's clients call "test-tool" (input schema
 * {"type":"object"}, no arguments), so every server offers it: a scenario
 * that lists tools without it gets it appended, gated by the first listed
 * tool's scope so a scope-gated world stays gated. The array has room for
 * it (tools_configure allocates one slot more). */
static bool add_official_tool(struct mo_mcp *m)
{
    struct tool *t = &m->tools[m->ntools];

    if (tool_find(m, OFFICIAL_TOOL) != NULL) {
        return true;
    }
    t->name = strdup(OFFICIAL_TOOL);
    t->scope = m->ntools > 0 && m->tools[0].scope != NULL
                   ? strdup(m->tools[0].scope)
                   : NULL;
    if (t->name == NULL ||
        (m->ntools > 0 && m->tools[0].scope != NULL && t->scope == NULL)) {
        free(t->name);
        free(t->scope);
        t->name = t->scope = NULL;
        return false;
    }
    m->ntools++;
    return true;
}

static bool tools_configure(struct mo_mcp *m, const json_t *arr)
{
    size_t i;
    const json_t *t;

    m->tools = calloc(json_array_size(arr) + 1, sizeof(*m->tools));
    if (m->tools == NULL) {
        return false;
    }
    json_array_foreach(arr, i, t)
    {
        const char *name = ac_json_str(t, "name");
        const char *scope = ac_json_str(t, "scope");
        const json_t *hp = json_object_get(t, "header_params");

        m->tools[i].name = strdup(name != NULL ? name : "echo");
        m->tools[i].scope = scope != NULL ? strdup(scope) : NULL;
        m->tools[i].hdr_params = json_is_object(hp) ? json_deep_copy(hp) : NULL;
        m->ntools++;
        if (m->tools[i].name == NULL || (scope != NULL && !m->tools[i].scope) ||
            (json_is_object(hp) && m->tools[i].hdr_params == NULL)) {
            return false;
        }
    }
    return add_official_tool(m);
}

static bool mcp_configure(struct mo_mcp *m, const json_t *conf)
{
    const struct mo_schema_field *f = mo_schema_mcp;
    const json_t *ch = json_object_get(conf, "challenge");
    const char *scope = ac_json_str(ch, "scope");
    const char *custom = ac_json_str(conf, "prm_path");
    json_t *tools;
    bool ok;

    m->path = mo_schema_strdup(conf, f, "path");
    m->prm_root = mo_schema_str_is(conf, f, "prm", "root");
    m->resource_origin = mo_schema_str_is(conf, f, "resource", "origin");
    m->prm_none = mo_schema_str_is(conf, f, "prm", "none");
    if (mo_schema_str_is(conf, f, "prm", "custom")) {
        m->prm_custom = strdup(custom != NULL ? custom : "/prm");
        if (m->prm_custom == NULL) {
            return false;
        }
    }
    m->wire = mo_schema_str_is(conf, f, "wire", STATELESS_VERSION)
                  ? WIRE_STATELESS
              : mo_schema_str_is(conf, f, "wire", "both") ? WIRE_BOTH
                                                          : WIRE_SESSION;
    m->sse = mo_schema_str_is(conf, f, "response", "sse");
    m->hierarchy = mo_schema_bool(conf, f, "scope_hierarchy");
    m->defects = mo_defect_flags(conf);
    m->method_scopes = json_deep_copy(json_object_get(conf, "method_scopes"));
    m->step_up_held = mo_schema_str_is(conf, f, "step_up_scope", "held");
    /* Without a PRM there is nothing for resource_metadata to name. */
    m->challenge_rm = !m->prm_none && mo_schema_bool(ch, mo_schema_challenge,
                                                     "resource_metadata");
    m->challenge_scope = scope != NULL ? strdup(scope) : NULL;
    m->scopes = json_deep_copy(json_object_get(conf, "scopes_supported"));
    tools = mo_schema_value(conf, f, "tools");
    ok = mo_dpop_configure(&m->dpop, json_object_get(conf, "dpop")) &&
         m->path != NULL && (scope == NULL || m->challenge_scope != NULL) &&
         tools != NULL && tools_configure(m, tools);
    json_decref(tools);
    return ok;
}

static char *prm_path(const struct mo_mcp *m)
{
    size_t n = strlen(PRM_SUFFIX) + strlen(m->path) + 1;
    char *p = malloc(n);

    if (m->prm_custom != NULL) {
        /* A URL known only from the challenge's resource_metadata. */
        free(p);
        return strdup(m->prm_custom);
    }
    /* RFC 9728 §3.1: insert the well-known segment before the path. */
    if (p != NULL) {
        snprintf(p, n, "%s%s", PRM_SUFFIX, m->prm_root ? "" : m->path);
    }
    return p;
}

/* Fill m->url, m->resource and m->prm_url once the port is known; add
 * the resource to sh->resources, and the primary server ("mcp") fills
 * sh->resource and sh->prm_url. */
static bool mcp_urls(struct mo_mcp *m, const char *prm, struct ac_err *err)
{
    const char *origin = mo_httpd_origin(m->httpd);
    bool primary = strcmp(m->id, "mcp") == 0;

    if (asprintf(&m->url, "%s%s", origin, m->path) < 0) {
        m->url = NULL;
    }
    if (asprintf(&m->prm_url, "%s%s", origin, prm) < 0) {
        m->prm_url = NULL;
    }
    if (m->url == NULL || m->prm_url == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for MCP URLs");
        return false;
    }
    /* RFC 9728 §3.3: a PRM at the root well-known URL describes the
     * resource identified by the origin; with resource "origin" that is
     * this server's identifier (PRM, audience, challenges alike). */
    m->resource =
        ac_url_canonical_resource(m->resource_origin ? origin : m->url);
    if (m->resource == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "cannot canonicalise %s", m->url);
        return false;
    }
    if (m->sh->resources == NULL) {
        m->sh->resources = json_array();
    }
    if (m->sh->resources == NULL ||
        json_array_append_new(m->sh->resources, json_string(m->resource)) ||
        (primary && ((m->sh->resource = strdup(m->resource)) == NULL ||
                     (m->sh->prm_url = strdup(m->prm_url)) == NULL))) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for MCP URLs");
        return false;
    }
    return true;
}

bool mo_mcp_start(const json_t *conf, struct mo_shared *sh, struct mo_mcp **out,
                  struct ac_err *err)
{
    return mo_mcp_start_as(conf, "mcp", sh, out, err);
}

bool mo_mcp_start_as(const json_t *conf, const char *id, struct mo_shared *sh,
                     struct mo_mcp **out, struct ac_err *err)
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
    if ((m->id = strdup(id)) == NULL || !mcp_configure(m, conf) ||
        (prm = prm_path(m)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the MCP server");
        goto out;
    }
    ok = mo_httpd_new(m->id, sh->transcript, &sh->lock, &m->httpd, err) &&
         mo_world_tls_apply(sh, m->httpd, NULL, err);
    if (ok) {
        mo_httpd_set_threads(m->httpd, sh->threads);
    }
    if (ok && sh->rules != NULL) {
        mo_httpd_set_hooks(m->httpd, mo_rules_before, mo_rules_after, sh);
    }
    /* Bound, not serving: the world may add an AS's routes (2025-03-26
     * topology) before mo_mcp_serve. */
    ok = ok &&
         mo_httpd_route(m->httpd, "POST", m->path, "mcp", handle_mcp, m, err) &&
         (m->prm_none ||
          mo_httpd_route(m->httpd, "GET", prm, "prm", handle_prm, m, err)) &&
         mo_httpd_listen(m->httpd, err) && mcp_urls(m, prm, err);
out:
    free(prm);
    if (!ok) {
        mo_mcp_free(m);
        return false;
    }
    *out = m;
    return true;
}

bool mo_mcp_serve(struct mo_mcp *m, struct ac_err *err)
{
    return mo_httpd_start(m->httpd, err);
}

struct mo_httpd *mo_mcp_httpd(struct mo_mcp *m)
{
    return m->httpd;
}

const char *mo_mcp_url(const struct mo_mcp *m)
{
    return m->url;
}

const char *mo_mcp_id(const struct mo_mcp *m)
{
    return m->id;
}

void mo_mcp_forget_sessions(struct mo_mcp *m)
{
    for (size_t i = 0; i < m->nsessions; i++) {
        free(m->sessions[i]);
    }
    m->nsessions = 0;
}

void mo_mcp_free(struct mo_mcp *m)
{
    if (m == NULL) {
        return;
    }
    mo_httpd_free(m->httpd);
    mo_dpop_free(&m->dpop);
    for (size_t i = 0; i < m->ntools; i++) {
        free(m->tools[i].name);
        free(m->tools[i].scope);
        json_decref(m->tools[i].hdr_params);
    }
    free(m->tools);
    for (size_t i = 0; i < m->nsessions; i++) {
        free(m->sessions[i]);
    }
    free(m->sessions);
    json_decref(m->scopes);
    json_decref(m->method_scopes);
    free(m->prm_custom);
    free(m->path);
    free(m->challenge_scope);
    free(m->url);
    free(m->resource);
    free(m->prm_url);
    free(m->id);
    free(m);
}
