/* Tests of the MCP server's two wires: 2025-11-25 (initialize + session)
 * with JSON or SSE answers, and 2026-07-28 stateless (server/discover,
 * _meta protocol version, MCP-Protocol-Version / Mcp-Method / Mcp-Name
 * headers, HeaderMismatch and UnsupportedProtocolVersion errors), a dual
 * server, per-method scopes, the scope hierarchy option and the
 * Mcp-Param-{Name} check of header-mirrored tool arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/support/mock_http.h"

#define META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":"
#define V26 "2026-07-28"

struct fx {
    struct mo_world *w;
    char *token;  /* scope "mcp" */
    char *narrow; /* scope "mcp:tools" */
};

/* A world with `wire` and `response`; tools echo (mcp:tools) and admin
 * (mcp:admin); tools/list needs "mcp:list" per method; hierarchy on. */
static struct fx *fx_new(const char *wire, const char *response)
{
    struct fx *f = calloc(1, sizeof(*f));
    char *text = th_fmt(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":"
        "{\"path\":\"/mcp\",\"wire\":\"%s\",\"response\":\"%s\","
        "\"scope_hierarchy\":true,\"method_scopes\":{\"tools/list\":"
        "\"mcp:list\"},\"tools\":[{\"name\":\"echo\",\"scope\":\"mcp:tools\"},"
        "{\"name\":\"admin\",\"scope\":\"mcp:admin\"}]}}",
        wire, response);

    f->w = th_world_start(text);
    free(text);
    assert_true(th_login(f->w, "mcp", &f->token, NULL));
    assert_true(th_login(f->w, "mcp:tools", &f->narrow, NULL));
    return f;
}

static void fx_free(struct fx *f)
{
    mo_world_stop(f->w);
    free(f->token);
    free(f->narrow);
    free(f);
}

/* POST with the token and up to 4 more headers (NULL-terminated). */
static long post(struct fx *f, const char *token, const char *body,
                 const char *h1, const char *h2, const char *h3,
                 struct th_resp *r)
{
    char *auth = th_fmt("Authorization: Bearer %s", token);
    const char *h[] = {
        TH_ACCEPT, "Content-Type: application/json", auth, h1, h2, h3, NULL};
    long st = th_http("POST", mo_world_mcp_url(f->w), h, body, 0, r);

    free(auth);
    return st;
}

/* --- 2025-11-25 ------------------------------------------------------ */

static void test_session_wire_sse(void **state)
{
    struct fx *f = fx_new("2025-11-25", "sse");
    struct th_resp r;
    char *sid;

    (void)state;
    assert_int_equal(post(f, f->token, TH_INIT, NULL, NULL, NULL, &r), 200);
    assert_string_equal(th_header(&r, "Content-Type"), "text/event-stream");
    assert_non_null(strstr(r.body, "event: message\ndata: {"));
    assert_non_null(strstr(r.body, "\"protocolVersion\":\"2025-11-25\""));
    assert_int_equal(r.body[r.len - 1], '\n');
    sid = th_fmt("Mcp-Session-Id: %s", th_header(&r, "Mcp-Session-Id"));
    th_resp_free(&r);
    assert_int_equal(
        post(f, f->token,
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
             sid, "MCP-Protocol-Version: 2025-11-25", NULL, &r),
        202);
    th_resp_free(&r);
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                          "\"tools/call\",\"params\":{\"name\":\"echo\","
                          "\"arguments\":{\"text\":\"hi\"}}}",
                          sid, "MCP-Protocol-Version: 2025-11-25", NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"text\":\"hi\""));
    th_resp_free(&r);
    /* A 2026-07-28-only method is unknown here. */
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
                          "\"server/discover\"}",
                          sid, "MCP-Protocol-Version: 2025-11-25", NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "-32601"));
    th_resp_free(&r);
    free(sid);
    fx_free(f);
}

/* --- 2026-07-28 ------------------------------------------------------ */

static void test_stateless_discover_and_call(void **state)
{
    struct fx *f = fx_new(V26, "json");
    struct th_resp r;
    json_t *doc, *res;

    (void)state;
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                          "\"server/discover\",\"params\":{" META "\"" V26
                          "\"}}}",
                          "MCP-Protocol-Version: " V26,
                          "Mcp-Method: server/discover", NULL, &r),
                     200);
    doc = th_json(&r);
    res = json_object_get(doc, "result");
    assert_true(
        ac_json_array_has_str(json_object_get(res, "supportedVersions"), V26));
    assert_string_equal(ac_json_str(res, "resultType"), "complete");
    assert_null(th_header(&r, "Mcp-Session-Id"));
    json_decref(doc);
    th_resp_free(&r);
    /* tools/call with Mcp-Name, no session at all. */
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                          "\"tools/call\",\"params\":{\"name\":\"echo\","
                          "\"arguments\":{\"text\":\"yo\"}," META "\"" V26
                          "\"}}}",
                          "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/call", "Mcp-Name: echo", &r),
                     200);
    assert_non_null(strstr(r.body, "\"text\":\"yo\""));
    assert_non_null(strstr(r.body, "io.modelcontextprotocol/serverInfo"));
    th_resp_free(&r);
    /* The base64 sentinel form of Mcp-Name: "echo" = ZWNobw==. */
    assert_int_equal(
        post(f, f->token,
             "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
             "\"tools/call\",\"params\":{\"name\":\"echo\","
             "\"arguments\":{\"text\":\"yo\"}," META "\"" V26 "\"}}}",
             "MCP-Protocol-Version: " V26, "Mcp-Method: tools/call",
             "Mcp-Name: =?base64?ZWNobw==?=", &r),
        200);
    th_resp_free(&r);
    /* initialize is not a 2026-07-28 method: 404 -32601. */
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":"
                          "\"initialize\",\"params\":{" META "\"" V26 "\"}}}",
                          "MCP-Protocol-Version: " V26,
                          "Mcp-Method: initialize", NULL, &r),
                     404);
    assert_int_equal(th_rpc_code(&r), -32601);
    th_resp_free(&r);
    fx_free(f);
}

static void test_stateless_errors(void **state)
{
    struct fx *f = fx_new(V26, "json");
    struct th_resp r;
    static const char *const call =
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
        "{\"name\":\"echo\",\"arguments\":{\"text\":\"yo\"}," META "\"" V26
        "\"}}}";

    (void)state;
    /* No version header. */
    assert_int_equal(post(f, f->token, call, "Mcp-Method: tools/call",
                          "Mcp-Name: echo", NULL, &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    /* Unsupported version: -32022 listing the supported ones. */
    assert_int_equal(post(f, f->token, call, "MCP-Protocol-Version: 1900-01-01",
                          "Mcp-Method: tools/call", "Mcp-Name: echo", &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32022);
    assert_non_null(strstr(r.body, "\"requested\":\"1900-01-01\""));
    assert_non_null(strstr(r.body, V26));
    th_resp_free(&r);
    /* A version that is not UTF-8 is echoed with ? for its odd bytes,
     * not the mocks' own 500 (found by fuzz_mocks). */
    assert_int_equal(post(f, f->token, call, "MCP-Protocol-Version: 2026-\xb4",
                          "Mcp-Method: tools/call", "Mcp-Name: echo", &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32022);
    assert_non_null(strstr(r.body, "\"requested\":\"2026-?\""));
    th_resp_free(&r);
    /* Header and _meta disagree. */
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                          "\"tools/list\",\"params\":{}}",
                          "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/list", NULL, &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    /* Mcp-Method missing / different, Mcp-Name missing / different. */
    assert_int_equal(post(f, f->token, call, "MCP-Protocol-Version: " V26,
                          "Mcp-Name: echo", NULL, &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    assert_int_equal(post(f, f->token, call, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/list", "Mcp-Name: echo", &r),
                     400);
    th_resp_free(&r);
    assert_int_equal(post(f, f->token, call, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/call", NULL, &r),
                     400);
    th_resp_free(&r);
    assert_int_equal(post(f, f->token, call, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/call", "Mcp-Name: admin", &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    fx_free(f);
}

static void test_dual_wire(void **state)
{
    struct fx *f = fx_new("both", "json");
    struct th_resp r;

    (void)state;
    /* The session wire still works... */
    assert_int_equal(post(f, f->token, TH_INIT, NULL, NULL, NULL, &r), 200);
    assert_non_null(th_header(&r, "Mcp-Session-Id"));
    th_resp_free(&r);
    /* ...and so does the stateless one, without a session. */
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                          "\"server/discover\",\"params\":{" META "\"" V26
                          "\"}}}",
                          "MCP-Protocol-Version: " V26,
                          "Mcp-Method: server/discover", NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "2025-11-25"));
    assert_non_null(strstr(r.body, V26));
    th_resp_free(&r);
    fx_free(f);
}

/* --- scopes ---------------------------------------------------------- */

static void test_scopes_per_method_and_hierarchy(void **state)
{
    struct fx *f = fx_new(V26, "json");
    struct th_resp r;
    static const char *const list =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
        "{" META "\"" V26 "\"}}}";
    static const char *const admin =
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
        "{\"name\":\"admin\"," META "\"" V26 "\"}}}";

    (void)state;
    /* "mcp" covers mcp:list and mcp:admin (hierarchy on). */
    assert_int_equal(post(f, f->token, list, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/list", NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"ttlMs\""));
    th_resp_free(&r);
    assert_int_equal(post(f, f->token, admin, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/call", "Mcp-Name: admin", &r),
                     200);
    th_resp_free(&r);
    /* "mcp:tools" covers neither: 403 naming the needed scope. */
    assert_int_equal(post(f, f->narrow, list, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/list", NULL, &r),
                     403);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "scope=\"mcp:list\""));
    th_resp_free(&r);
    assert_int_equal(post(f, f->narrow, admin, "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/call", "Mcp-Name: admin", &r),
                     403);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "insufficient_scope"));
    th_resp_free(&r);
    fx_free(f);
}

/* --- Mcp-Param-{Name} (2026-07-28 transports §custom headers) -------- */

/* tools/call of echo with `args` (JSON members) and up to 3 headers
 * besides the version, method and name ones; returns the status. */
static long call_params(struct fx *f, const char *args, const char *h1,
                        const char *h2, const char *h3, struct th_resp *r)
{
    char *auth = th_fmt("Authorization: Bearer %s", f->token);
    char *body = th_fmt("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
                        "\"tools/call\",\"params\":{\"name\":\"echo\","
                        "\"arguments\":{%s}," META "\"" V26 "\"}}}",
                        args);
    const char *h[] = {TH_ACCEPT,
                       "Content-Type: application/json",
                       auth,
                       "MCP-Protocol-Version: " V26,
                       "Mcp-Method: tools/call",
                       "Mcp-Name: echo",
                       h1,
                       h2,
                       h3,
                       NULL};
    long st = th_http("POST", mo_world_mcp_url(f->w), h, body, 0, r);

    free(auth);
    free(body);
    return st;
}

static void test_stateless_header_params(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct th_resp r;
    json_t *doc, *props;

    (void)state;
    f->w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":"
        "{\"wire\":\"" V26 "\",\"tools\":[{\"name\":\"echo\",\"header_params\":"
        "{\"text\":\"Text\",\"n\":\"N\"}}]}}");
    assert_true(th_login(f->w, "mcp", &f->token, NULL));
    /* tools/list: the annotations, on an existing and an added property. */
    assert_int_equal(post(f, f->token,
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                          "\"tools/list\",\"params\":{" META "\"" V26 "\"}}}",
                          "MCP-Protocol-Version: " V26,
                          "Mcp-Method: tools/list", NULL, &r),
                     200);
    doc = th_json(&r);
    props = json_object_get(
        json_object_get(
            json_array_get(
                json_object_get(json_object_get(doc, "result"), "tools"), 0),
            "inputSchema"),
        "properties");
    assert_string_equal(
        ac_json_str(json_object_get(props, "text"), "x-mcp-header"), "Text");
    assert_string_equal(ac_json_str(json_object_get(props, "n"), "type"),
                        "string");
    assert_string_equal(
        ac_json_str(json_object_get(props, "n"), "x-mcp-header"), "N");
    json_decref(doc);
    th_resp_free(&r);
    /* Match: plain, base64 sentinel (header names case-insensitive), an
     * integer compared numerically; an absent argument needs no header. */
    assert_int_equal(
        call_params(f, "\"text\":\"hi\"", "Mcp-Param-Text: hi", NULL, NULL, &r),
        200);
    assert_non_null(strstr(r.body, "\"text\":\"hi\""));
    th_resp_free(&r);
    assert_int_equal(
        call_params(f, "\"text\":\" padded \"",
                    "mcp-param-text: =?base64?IHBhZGRlZCA=?=", NULL, NULL, &r),
        200);
    th_resp_free(&r);
    assert_int_equal(call_params(f, "\"text\":\"hi\",\"n\":42",
                                 "Mcp-Param-Text: hi", "Mcp-Param-N: 42.0",
                                 NULL, &r),
                     200);
    th_resp_free(&r);
    /* Mismatch: a different value, a different integer, a bad sentinel. */
    assert_int_equal(
        call_params(f, "\"text\":\"hi\"", "Mcp-Param-Text: ho", NULL, NULL, &r),
        400);
    assert_int_equal(th_rpc_code(&r), -32020);
    assert_non_null(strstr(r.body, "Mcp-Param-Text does not match"));
    th_resp_free(&r);
    assert_int_equal(call_params(f, "\"text\":\"hi\",\"n\":42",
                                 "Mcp-Param-Text: hi", "Mcp-Param-N: 43", NULL,
                                 &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    assert_int_equal(call_params(f, "\"text\":\"hi\"",
                                 "Mcp-Param-Text: =?base64?!!!?=", NULL, NULL,
                                 &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    /* Missing: a value in the body without its header; a header for an
     * argument the body does not have. */
    assert_int_equal(call_params(f, "\"text\":\"hi\"", NULL, NULL, NULL, &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    assert_non_null(strstr(r.body, "Mcp-Param-Text missing"));
    th_resp_free(&r);
    assert_int_equal(call_params(f, "\"text\":\"hi\"", "Mcp-Param-Text: hi",
                                 "Mcp-Param-N: 1", NULL, &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32020);
    th_resp_free(&r);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_wire_sse),
        cmocka_unit_test(test_stateless_discover_and_call),
        cmocka_unit_test(test_stateless_errors),
        cmocka_unit_test(test_dual_wire),
        cmocka_unit_test(test_scopes_per_method_and_hierarchy),
        cmocka_unit_test(test_stateless_header_params),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
