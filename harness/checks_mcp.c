/* MCP transport checks: the 2025-11-25 lifecycle (initialize first, the
 * initialized notification, the session id echoed, the negotiated
 * MCP-Protocol-Version on every request), the Accept header, and the
 * 2026-07-28 stateless wire's request metadata headers (Mcp-Method,
 * Mcp-Name, and the Mcp-Param-{Name} headers of x-mcp-header arguments). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/mcphdr.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

static bool stateless(const struct hc_input *in)
{
    return strcmp(hc_wire(in), "2026-07-28") == 0;
}

/* The method of the first JSON-RPC message of a request body, borrowed
 * from `*msgs` (a new array the caller frees), or NULL. */
static const char *first_method(const json_t *ex, json_t **msgs)
{
    *msgs = tq_jsonrpc_messages(tq_req_body(ex));
    return ac_json_str(json_array_get(*msgs, 0), "method");
}

static bool auth_rejected(const json_t *ex)
{
    return tq_status(ex) == 401 || tq_status(ex) == 403;
}

/* A dual-era client may probe with server/discover before falling back
 * to initialize (2026-07-28 versioning, "Backward compatibility"). */
static bool is_probe(const char *method)
{
    return method != NULL && strcmp(method, "server/discover") == 0;
}

/* Did any MCP request of the transcript begin with initialize? */
static bool any_initialize(const json_t *tr)
{
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        json_t *msgs;
        const char *m = first_method(tq_at(tr, i), &msgs);
        bool hit = m != NULL && strcmp(m, "initialize") == 0;
        json_decref(msgs);
        if (hit) {
            return true;
        }
    }
    return false;
}

/* The 2025-11-25 lifecycle checks do not apply on the stateless wire,
 * nor on the dual-era wire when the client chose its stateless era
 * (never initialize), nor across several MCP servers (each has its own
 * session; these checks follow one). Baseline checks: they run in every
 * scenario. */
static bool skip_stateless(const struct hc_input *in, struct hc_result *out)
{
    if (stateless(in)) {
        hc_verdict(out, HC_SKIPPED,
                   "the 2026-07-28 wire is stateless: no initialize");
        return true;
    }
    if (strcmp(hc_wire(in), "both") == 0 && !any_initialize(in->transcript)) {
        hc_verdict(out, HC_SKIPPED,
                   "on the dual-era wire the client spoke the stateless "
                   "2026-07-28 era: no initialize");
        return true;
    }
    if (json_object_get(in->scenario, "mcp_servers_extra") != NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "several MCP servers, each with its own session: the "
                   "session lifecycle is judged in single-server scenarios");
        return true;
    }
    return false;
}

void hc_check_mcp_initialize_first(const struct hc_input *in,
                                   struct hc_result *out)
{
    const json_t *tr = in->transcript;

    if (skip_stateless(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        json_t *msgs;
        const char *m;
        bool ok;
        if (auth_rejected(tq_at(tr, i))) {
            continue;
        }
        m = first_method(tq_at(tr, i), &msgs);
        if (is_probe(m)) {
            json_decref(msgs);
            continue;
        }
        hc_evidence(out, tr, i);
        ok = m != NULL && strcmp(m, "initialize") == 0;
        if (ok) {
            hc_verdict(out, HC_SUCCESS,
                       "the first authorized MCP request (seq %zu) was "
                       "initialize",
                       hc_seq_of(tr, i));
        } else {
            hc_verdict(out, HC_FAILURE,
                       "the first authorized MCP request (seq %zu) was "
                       "\"%.40s\", not initialize",
                       hc_seq_of(tr, i), m != NULL ? m : "(no method)");
        }
        json_decref(msgs);
        return;
    }
    hc_missing(in, out, "authorized MCP request");
}

/* Index of the first initialize answered 200, or TQ_NONE. */
static size_t initialized_at(const json_t *tr, size_t from)
{
    for (size_t i = tq_next(tr, from, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        json_t *msgs;
        const char *m = first_method(tq_at(tr, i), &msgs);
        bool hit = m != NULL && strcmp(m, "initialize") == 0 &&
                   tq_status(tq_at(tr, i)) == 200;
        json_decref(msgs);
        if (hit) {
            return i;
        }
    }
    return TQ_NONE;
}

void hc_check_mcp_initialized_notification(const struct hc_input *in,
                                           struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t k;

    if (skip_stateless(in, out)) {
        return;
    }
    if ((k = initialized_at(tr, 0)) == TQ_NONE) {
        hc_missing(in, out, "successful initialize request");
        return;
    }
    hc_evidence(out, tr, k);
    for (size_t i = tq_next(tr, k + 1, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        json_t *msgs;
        const char *m = first_method(tq_at(tr, i), &msgs);
        bool note = m != NULL && strcmp(m, "notifications/initialized") == 0;
        bool ping = m != NULL && (strcmp(m, "ping") == 0 || is_probe(m));
        hc_evidence(out, tr, i);
        if (!note && !ping) {
            hc_verdict(out, HC_FAILURE,
                       "after initialize (seq %zu) the client sent \"%.40s\" "
                       "(seq %zu) before notifications/initialized",
                       hc_seq_of(tr, k), m ? m : "(no method)",
                       hc_seq_of(tr, i));
        } else if (note) {
            hc_verdict(out, HC_SUCCESS,
                       "notifications/initialized (seq %zu) followed "
                       "initialize",
                       hc_seq_of(tr, i));
        }
        json_decref(msgs);
        if (!ping) {
            return;
        }
    }
    hc_required_fact(in, out,
                     "the client never sent notifications/initialized");
}

void hc_check_mcp_session_id_echoed(const struct hc_input *in,
                                    struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *sid = NULL;
    size_t n = 0;

    if (skip_stateless(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        const json_t *ex = tq_at(tr, i);
        json_t *msgs;
        const char *m = first_method(ex, &msgs);
        bool init = m != NULL && strcmp(m, "initialize") == 0;
        const char *got = tq_req_header(ex, "Mcp-Session-Id");
        json_decref(msgs);
        if (init) {
            if (tq_status(ex) == 200) {
                sid = tq_resp_header(ex, "Mcp-Session-Id");
            }
            continue;
        }
        if (sid == NULL) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        if (got == NULL || strcmp(got, sid) != 0) {
            hc_verdict(out, HC_FAILURE,
                       "MCP request (seq %zu) %s the session id the server "
                       "assigned",
                       hc_seq_of(tr, i), got == NULL ? "omitted" : "changed");
            return;
        }
        if (tq_status(ex) == 404) {
            sid = NULL; /* the session ended; a new initialize follows */
        }
    }
    if (n == 0) {
        hc_missing_fact(in, out,
                        "no MCP request followed a session-creating "
                        "initialize");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu MCP request(s) after initialize echoed Mcp-Session-Id",
               n);
}

void hc_check_mcp_protocol_version_header(const struct hc_input *in,
                                          struct hc_result *out)
{
    const json_t *tr = in->transcript;
    char want[40] = "";
    size_t n = 0;
    bool sl = stateless(in);

    if (json_object_get(in->scenario, "mcp_servers_extra") != NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "several MCP servers, each negotiating its own version: "
                   "judged in single-server scenarios");
        return;
    }
    if (sl) {
        snprintf(want, sizeof want, "2026-07-28");
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        const json_t *ex = tq_at(tr, i);
        json_t *msgs;
        const char *m = first_method(ex, &msgs);
        const char *got = tq_req_header(ex, "MCP-Protocol-Version");
        bool init = m != NULL && strcmp(m, "initialize") == 0;
        if (!sl && init) {
            json_t *r = tq_jsonrpc_messages(tq_resp_body(ex));
            const char *v =
                ac_json_str(json_object_get(json_array_get(r, 0), "result"),
                            "protocolVersion");
            if (v != NULL && tq_status(ex) == 200) {
                snprintf(want, sizeof want, "%s", v);
            }
            json_decref(r);
        }
        json_decref(msgs);
        if (want[0] == '\0' || (!sl && init)) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        if (got == NULL || strcmp(got, want) != 0) {
            hc_verdict(out, HC_FAILURE,
                       "MCP request (seq %zu): MCP-Protocol-Version %s%.40s%s, "
                       "expected \"%s\"",
                       hc_seq_of(tr, i), got ? "\"" : "", got ? got : "absent",
                       got ? "\"" : "", want);
            return;
        }
    }
    if (n == 0) {
        hc_missing_fact(in, out, "no MCP request followed version negotiation");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu MCP request(s) carried MCP-Protocol-Version: %s", n,
               want);
}

void hc_check_mcp_accept_header(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        const char *a = tq_req_header(tq_at(tr, i), "Accept");
        n++;
        hc_evidence(out, tr, i);
        if (a == NULL || strstr(a, "application/json") == NULL ||
            strstr(a, "text/event-stream") == NULL) {
            hc_verdict(out, HC_FAILURE,
                       "MCP request (seq %zu): Accept %s does not list both "
                       "application/json and text/event-stream",
                       hc_seq_of(tr, i),
                       a != NULL ? "header" : "absent, so it");
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "MCP POST request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu MCP POST(s) accepted application/json and "
               "text/event-stream",
               n);
}

/* --- Mcp-Param-{Name} (2026-07-28 transports §custom headers) ---------- */

#define PARAM_MAX_DEPTH 32

/* The inputSchema of tool `name` in the last tools/list answer of server
 * `server` before exchange `upto`: a new reference, or NULL. */
static json_t *listed_schema(const json_t *tr, size_t upto, const char *server,
                             const char *name)
{
    json_t *found = NULL;

    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE && i < upto;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        const json_t *ex = tq_at(tr, i);
        const char *srv = tq_server(ex);
        json_t *msgs;
        json_t *answers;
        const char *m = first_method(ex, &msgs);
        size_t k;
        const json_t *t;

        bool is_list = m != NULL && strcmp(m, "tools/list") == 0;

        json_decref(msgs); /* m is borrowed from msgs */
        if (!is_list ||
            (srv != NULL && server != NULL && strcmp(srv, server) != 0)) {
            continue;
        }
        answers = tq_jsonrpc_messages(tq_resp_body(ex));
        json_array_foreach(
            json_object_get(
                json_object_get(json_array_get(answers, 0), "result"), "tools"),
            k, t)
        {
            const char *tn = ac_json_str(t, "name");

            if (tn != NULL && strcmp(tn, name) == 0) {
                json_decref(found);
                found = json_incref(json_object_get(t, "inputSchema"));
            }
        }
        json_decref(answers);
    }
    return found;
}

/* Walk `node`'s properties chain (x-mcp-header is only valid there) with
 * `args` the instance at the same path; on the first annotated argument
 * whose header is wrong, describe it in `why` and return false. */
static bool params_ok(const json_t *ex, const json_t *node, const json_t *args,
                      int depth, char *why, size_t n)
{
    const char *key;
    const json_t *prop;

    if (depth > PARAM_MAX_DEPTH) {
        return true;
    }
    json_object_foreach(json_object_get(node, "properties"), key, prop)
    {
        const char *hn = ac_json_str(prop, "x-mcp-header");
        const json_t *v = json_object_get(args, key);
        bool expected =
            json_is_string(v) || json_is_integer(v) || json_is_boolean(v);
        char name[160];
        const char *hv;
        char *dv;
        bool same;

        if (hn != NULL) {
            snprintf(name, sizeof(name), "Mcp-Param-%.140s", hn);
            hv = tq_req_header(ex, name);
            if (hv != NULL && !expected) {
                snprintf(why, n,
                         "%.100s sent though argument '%.40s' is absent "
                         "or null",
                         name, key);
                return false;
            }
            if (hv == NULL && expected) {
                snprintf(why, n, "%.100s missing for argument '%.40s'", name,
                         key);
                return false;
            }
            dv = hv != NULL ? ac_mcphdr_decode(hv) : NULL;
            same = hv == NULL || (dv != NULL && ac_mcphdr_matches(dv, v));
            free(dv);
            if (!same) {
                snprintf(why, n, "%.100s does not match argument '%.40s'", name,
                         key);
                return false;
            }
        }
        if (json_is_object(v) && !params_ok(ex, prop, v, depth + 1, why, n)) {
            return false;
        }
    }
    return true;
}

/* MCP request `i` of a 2026-07-28 session: do Mcp-Method and Mcp-Name
 * mirror the body, and for tools/call do the Mcp-Param-* headers carry the
 * x-mcp-header arguments of the listed inputSchema? False with a FAILURE
 * verdict set; *counted when the body held a JSON-RPC request. */
static bool metadata_headers_ok(const json_t *tr, size_t i,
                                struct hc_result *out, bool *counted)
{
    const json_t *ex = tq_at(tr, i);
    json_t *msgs;
    const char *m = first_method(ex, &msgs);
    const json_t *params = json_object_get(json_array_get(msgs, 0), "params");
    const char *name = ac_json_str(params, "name");
    const char *hm = tq_req_header(ex, "Mcp-Method");
    const char *hn = tq_req_header(ex, "Mcp-Name");
    bool ok =
        m == NULL || (hm != NULL && strcmp(hm, m) == 0 &&
                      (strcmp(m, "tools/call") != 0 ||
                       (name != NULL && hn != NULL && strcmp(hn, name) == 0)));

    *counted = m != NULL;
    if (m != NULL) {
        hc_evidence(out, tr, i);
    }
    if (!ok) {
        hc_verdict(out, HC_FAILURE,
                   "MCP request (seq %zu, method %.40s): Mcp-Method / "
                   "Mcp-Name headers missing or not mirroring the body",
                   hc_seq_of(tr, i), m);
    } else if (m != NULL && strcmp(m, "tools/call") == 0) {
        json_t *schema = listed_schema(tr, i, tq_server(ex), name);
        char why[256];

        ok = params_ok(ex, schema, json_object_get(params, "arguments"), 0, why,
                       sizeof(why));
        json_decref(schema);
        if (!ok) {
            hc_verdict(out, HC_FAILURE,
                       "tools/call (seq %zu, tool %.40s): %s "
                       "(x-mcp-header of the listed inputSchema)",
                       hc_seq_of(tr, i), name, why);
        }
    }
    json_decref(msgs);
    return ok;
}

void hc_check_mcp_request_metadata_headers(const struct hc_input *in,
                                           struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (!stateless(in)) {
        hc_verdict(out, HC_SKIPPED,
                   "request metadata headers belong to the 2026-07-28 wire");
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        bool counted;

        if (!metadata_headers_ok(tr, i, out, &counted)) {
            return;
        }
        n += counted;
    }
    if (n == 0) {
        hc_missing(in, out, "MCP request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu MCP request(s) mirrored method (and tool name, "
               "x-mcp-header arguments) in Mcp-Method / Mcp-Name / "
               "Mcp-Param-*",
               n);
}

/* --- MCP use -------------------------------------------------------- */

/* The id of the tools/call for `tool` in a request body, or NULL. The
 * returned id is borrowed from `msgs`. */
static const json_t *tools_call_id(const json_t *msgs, const char *tool)
{
    size_t i;
    const json_t *m;

    json_array_foreach(msgs, i, m)
    {
        const char *method = ac_json_str(m, "method");
        const char *name = ac_json_str(json_object_get(m, "params"), "name");
        if (method != NULL && strcmp(method, "tools/call") == 0 &&
            name != NULL && strcmp(name, tool) == 0 &&
            json_object_get(m, "id") != NULL) {
            return json_object_get(m, "id");
        }
    }
    return NULL;
}

/* Judge one tools/call exchange: true on a JSON-RPC result without
 * isError; else writes why. */
static bool call_ok(const json_t *ex, const json_t *id, char *why, size_t n)
{
    json_t *msgs = tq_jsonrpc_messages(tq_resp_body(ex));
    const json_t *resp = NULL, *m, *res, *err;
    size_t i;
    bool ok = false;

    if (tq_status(ex) != 200) {
        snprintf(why, n, "answered HTTP %d", tq_status(ex));
        goto out;
    }
    json_array_foreach(msgs, i, m)
    {
        if (json_equal(json_object_get(m, "id"), id) &&
            json_object_get(m, "method") == NULL) {
            resp = m;
        }
    }
    res = json_object_get(resp, "result");
    err = json_object_get(resp, "error");
    if (resp == NULL) {
        snprintf(why, n, "no JSON-RPC response with the request's id");
    } else if (err != NULL) {
        snprintf(why, n, "JSON-RPC error %lld",
                 (long long)json_integer_value(json_object_get(err, "code")));
    } else if (!json_is_object(res)) {
        snprintf(why, n, "the JSON-RPC response has no result object");
    } else if (json_is_true(json_object_get(res, "isError"))) {
        snprintf(why, n, "the tool result has isError: true");
    } else {
        ok = true;
    }
out:
    json_decref(msgs);
    return ok;
}

void hc_check_mcp_call_succeeded(const struct hc_input *in,
                                 struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *tool = ac_json_str(hc_scenario_client(in), "tool");
    size_t calls = 0, last = TQ_NONE;
    char why[400] = "";

    if (tool == NULL) {
        hc_verdict(out, HC_SKIPPED, "the scenario names no tool to call");
        return;
    }
    if (hc_expects_refusal(in)) {
        hc_verdict(
            out, HC_SKIPPED,
            "the scenario expects the client to refuse, not to call tools");
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        json_t *msgs = tq_jsonrpc_messages(tq_req_body(tq_at(tr, i)));
        const json_t *id = tools_call_id(msgs, tool);
        bool ok = id != NULL && call_ok(tq_at(tr, i), id, why, sizeof why);
        if (id != NULL) {
            calls++;
            last = i;
            hc_evidence(out, tr, i);
        }
        json_decref(msgs);
        if (ok) {
            hc_verdict(
                out, HC_SUCCESS,
                "tools/call \"%.60s\" answered 200 with a JSON-RPC result "
                "(seq %zu)",
                tool, hc_seq_of(tr, i));
            return;
        }
    }
    if (calls == 0) {
        hc_verdict(out, HC_FAILURE, "the client never called tool \"%.60s\"",
                   tool);
        return;
    }
    hc_verdict(out, HC_FAILURE,
               "%zu tools/call \"%.60s\" request(s), none succeeded (last, seq "
               "%zu: %s)",
               calls, tool, hc_seq_of(tr, last), why);
}

/* Does the MCP request `ex` carry one of the `issued` access tokens in
 * its Authorization: Bearer header? */
static bool carries_issued(const json_t *ex, const json_t *issued)
{
    size_t len = 0;
    const char *tok = tq_bearer_token(tq_req_header(ex, "Authorization"), &len);
    char *copy = tok != NULL ? strndup(tok, len) : NULL;
    bool yes = copy != NULL && ac_json_array_has_str(issued, copy);

    free(copy);
    return yes;
}

/* Was the MCP exchange `ex` answered 200 with a JSON-RPC result for one
 * of the requests (messages with a method and an id) of its body? Else
 * writes why. */
static bool request_answered(const json_t *ex, char *why, size_t n)
{
    json_t *req = tq_jsonrpc_messages(tq_req_body(ex));
    json_t *resp = tq_jsonrpc_messages(tq_resp_body(ex));
    const json_t *m, *r;
    size_t i, k;
    bool ok = false, asked = false;

    snprintf(why, n, "answered HTTP %d", tq_status(ex));
    json_array_foreach(req, i, m)
    {
        const json_t *id = json_object_get(m, "id");
        if (ac_json_str(m, "method") == NULL || id == NULL) {
            continue; /* a notification or a response */
        }
        asked = true;
        json_array_foreach(resp, k, r)
        {
            ok = ok || (tq_status(ex) == 200 &&
                        json_equal(json_object_get(r, "id"), id) &&
                        json_is_object(json_object_get(r, "result")));
        }
    }
    if (!asked) {
        snprintf(why, n, "carried no JSON-RPC request");
    } else if (!ok && tq_status(ex) == 200) {
        snprintf(why, n, "no JSON-RPC result for its request");
    }
    json_decref(req);
    json_decref(resp);
    return ok;
}

/* The point of client-credentials and token-endpoint scenarios: the
 * token the authorization server issued works at the MCP server, for
 * any method (initialize, tools/list, server/discover, ...). */
void hc_check_mcp_authenticated_request(const struct hc_input *in,
                                        struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *issued = json_array();
    size_t tried = 0, last = TQ_NONE;
    char why[200] = "";

    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        if (tq_is(ex, "token", "POST")) {
            hc_collect_token(ex, issued);
        } else if (tq_is(ex, "mcp", "POST") && carries_issued(ex, issued)) {
            tried++;
            last = i;
            hc_evidence(out, tr, i);
            if (request_answered(ex, why, sizeof why)) {
                hc_verdict(out, HC_SUCCESS,
                           "an MCP request with an issued access token was "
                           "answered with a JSON-RPC result (seq %zu)",
                           hc_seq_of(tr, i));
                goto out;
            }
        }
    }
    if (json_array_size(issued) == 0) {
        hc_missing_fact(in, out,
                        "the authorization server issued no access "
                        "token");
    } else if (tried == 0) {
        hc_missing_fact(in, out,
                        "no MCP request carried an issued access "
                        "token");
    } else if (hc_expects_refusal(in)) {
        hc_verdict(out, HC_SKIPPED,
                   "the scenario expects the client to refuse; its "
                   "authenticated MCP requests are not judged");
    } else {
        hc_verdict(out, HC_FAILURE,
                   "%zu MCP request(s) carried an issued access token, none "
                   "succeeded (last, seq %zu: %s)",
                   tried, hc_seq_of(tr, last), why);
    }
out:
    json_decref(issued);
}
