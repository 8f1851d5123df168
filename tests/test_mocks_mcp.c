/* Tests of the mock MCP server (mocks/mcp.c): Protected Resource Metadata,
 * Bearer challenges, token validation, the Streamable HTTP / JSON-RPC
 * surface, a whole authorization flow done by hand, and the transcript. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/url.h"
#include "tests/support/mock_http.h"

static const char *const scenario_text =
    "{\"id\":\"t/mcp\",\"authorization_servers\":[{\"id\":\"as\","
    "\"issuer_path\":\"\",\"discovery\":[\"oauth\"],\"registration\":"
    "[\"dcr\"],\"scopes_supported\":[\"mcp:tools\"],"
    "\"tokens\":{\"access_ttl\":3600,\"refresh\":\"rotate\"}}],"
    "\"mcp_server\":{\"path\":\"/mcp\",\"wire\":\"2025-11-25\",\"prm\":"
    "\"path\",\"scopes_supported\":[\"mcp:tools\"],\"challenge\":"
    "{\"resource_metadata\":true,\"scope\":\"mcp:tools\"},\"tools\":"
    "[{\"name\":\"echo\",\"scope\":\"mcp:tools\"},{\"name\":\"open\"}]},"
    "\"rules\":[],\"client\":{\"runs\":1},\"checks\":[]}";

static int group_setup(void **state)
{
    *state = th_group_world(scenario_text);
    return 0;
}

/* POST a JSON-RPC body to the MCP endpoint. `token`, `session` may be
 * NULL; `extra` is one more header or NULL. */
static long mcp_post(struct mo_world *w, const char *token, const char *session,
                     const char *extra, const char *body, struct th_resp *r)
{
    char *auth =
        token != NULL ? th_fmt("Authorization: Bearer %s", token) : NULL;
    char *sid = session != NULL ? th_fmt("Mcp-Session-Id: %s", session) : NULL;
    const char *h[8];
    size_t n = 0;
    long st;

    h[n++] = TH_ACCEPT;
    h[n++] = "Content-Type: application/json";
    if (auth != NULL) {
        h[n++] = auth;
    }
    if (sid != NULL) {
        h[n++] = sid;
        if (extra == NULL ||
            strncasecmp(extra, "MCP-Protocol-Version", 20) != 0) {
            h[n++] = "MCP-Protocol-Version: 2025-11-25";
        }
    }
    if (extra != NULL) {
        h[n++] = extra;
    }
    h[n] = NULL;
    st = th_http("POST", mo_world_mcp_url(w), h, body, 0, r);
    free(auth);
    free(sid);
    return st;
}

/* initialize and return the session id (a new string). */
static char *initialize(struct mo_world *w, const char *token)
{
    struct th_resp r;
    char *sid = NULL;

    assert_int_equal(mcp_post(w, token, NULL, NULL, TH_INIT, &r), 200);
    if (th_header(&r, "Mcp-Session-Id") != NULL) {
        sid = strdup(th_header(&r, "Mcp-Session-Id"));
    }
    th_resp_free(&r);
    assert_non_null(sid);
    return sid;
}

/* --- Protected Resource Metadata ------------------------------------ */

static void test_prm_path(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    json_t *doc;
    char *want = th_fmt("%s", mo_world_mcp_url(w));

    assert_non_null(strstr(mo_world_prm_url(w),
                           "/.well-known/oauth-protected-resource/mcp"));
    assert_int_equal(th_http("GET", mo_world_prm_url(w), NULL, NULL, 0, &r),
                     200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "resource"), want);
    assert_string_equal(ac_json_str(doc, "resource"), mo_world_resource(w));
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "authorization_servers"), mo_world_issuer(w, 0)));
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "bearer_methods_supported"), "header"));
    assert_true(ac_json_array_has_str(json_object_get(doc, "scopes_supported"),
                                      "mcp:tools"));
    json_decref(doc);
    th_resp_free(&r);
    free(want);
}

static void test_prm_root_and_plain_challenge(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
        "\"mcp_server\":{\"path\":\"/v1/mcp\",\"prm\":\"root\","
        "\"challenge\":{\"resource_metadata\":false}}}");
    char *origin = strndup(mo_world_mcp_url(w),
                           strlen(mo_world_mcp_url(w)) - strlen("/v1/mcp"));
    char *url = th_fmt("%s/.well-known/oauth-protected-resource", origin);
    struct th_resp r;
    json_t *doc;

    (void)state;
    assert_string_equal(mo_world_prm_url(w), url);
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 200);
    doc = th_json(&r);
    assert_int_equal(
        json_array_size(json_object_get(doc, "authorization_servers")), 2);
    assert_null(json_object_get(doc, "scopes_supported"));
    json_decref(doc);
    th_resp_free(&r);
    free(url);
    url = th_fmt("%s/.well-known/oauth-protected-resource/v1/mcp", origin);
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 404);
    th_resp_free(&r);
    /* No resource_metadata, no scope: a bare Bearer challenge. */
    assert_int_equal(mcp_post(w, NULL, NULL, NULL, TH_INIT, &r), 401);
    assert_string_equal(th_header(&r, "WWW-Authenticate"), "Bearer");
    th_resp_free(&r);
    assert_int_equal(mo_world_as_count(w), 2);
    assert_string_equal(mo_world_as_id(w, 1), "b");
    assert_null(mo_world_as_id(w, 2));
    assert_string_not_equal(mo_world_issuer(w, 0), mo_world_issuer(w, 1));
    free(url);
    free(origin);
    mo_world_stop(w);
}

/* --- challenges and token validation -------------------------------- */

static void test_401_no_token(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    char *want = th_fmt("Bearer resource_metadata=\"%s\", scope=\"mcp:tools\"",
                        mo_world_prm_url(w));
    char *url = th_fmt("%s?access_token=x", mo_world_mcp_url(w));
    const char *h[] = {TH_ACCEPT, "Content-Type: application/json", NULL};

    assert_int_equal(mcp_post(w, NULL, NULL, NULL, TH_INIT, &r), 401);
    assert_string_equal(th_header(&r, "WWW-Authenticate"), want);
    th_resp_free(&r);
    /* A token in the query is never accepted (RFC 6750 §2.3 not offered). */
    assert_int_equal(th_http("POST", url, h, TH_INIT, 0, &r), 401);
    assert_string_equal(th_header(&r, "WWW-Authenticate"), want);
    th_resp_free(&r);
    /* Another scheme is no bearer token either. */
    assert_int_equal(
        mcp_post(w, NULL, NULL, "Authorization: Basic eDp5", TH_INIT, &r), 401);
    assert_string_equal(th_header(&r, "WWW-Authenticate"), want);
    th_resp_free(&r);
    free(want);
    free(url);
}

static void test_401_invalid_token(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    const char *ch;
    char *access;
    int64_t now = ac_now();

    assert_int_equal(mcp_post(w, "bogus", NULL, NULL, TH_INIT, &r), 401);
    ch = th_header(&r, "WWW-Authenticate");
    assert_non_null(strstr(ch, "Bearer error=\"invalid_token\""));
    assert_non_null(strstr(ch, "resource_metadata=\""));
    assert_non_null(strstr(ch, "scope=\"mcp:tools\""));
    th_resp_free(&r);
    /* Malformed credentials: 400 invalid_request. */
    assert_int_equal(
        mcp_post(w, NULL, NULL, "Authorization: Bearer a b", TH_INIT, &r), 400);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "invalid_request"));
    th_resp_free(&r);
    /* Expired (access_ttl 3600). */
    assert_true(th_login(w, "mcp:tools", &access, NULL));
    ac_clock_pin_for_tests(now + 3601);
    assert_int_equal(mcp_post(w, access, NULL, NULL, TH_INIT, &r), 401);
    ac_clock_pin_for_tests(0);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "error=\"invalid_token\""));
    th_resp_free(&r);
    free(access);
}

static void test_403_insufficient_scope(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    char *access, *sid;
    char *want;

    /* No scope requested: the token carries none. */
    assert_true(th_login(w, NULL, &access, NULL));
    sid = initialize(w, access);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                              "\"tools/list\"}",
                              &r),
                     200);
    th_resp_free(&r);
    /* The open tool needs no scope. */
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
                              "\"tools/call\",\"params\":{\"name\":\"open\"}}",
                              &r),
                     200);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":"
                              "\"tools/call\",\"params\":{\"name\":\"echo\","
                              "\"arguments\":{\"text\":\"hi\"}}}",
                              &r),
                     403);
    want = th_fmt("Bearer error=\"insufficient_scope\", resource_metadata="
                  "\"%s\", scope=\"mcp:tools\"",
                  mo_world_prm_url(w));
    assert_string_equal(th_header(&r, "WWW-Authenticate"), want);
    th_resp_free(&r);
    free(want);
    free(sid);
    free(access);
}

/* --- transport and JSON-RPC ----------------------------------------- */

static void test_transport_errors(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    char *access, *sid, *auth;

    assert_true(th_login(w, "mcp:tools", &access, NULL));
    sid = initialize(w, access);
    auth = th_fmt("Authorization: Bearer %s", access);
    /* GET is not offered (no SSE stream): 405 with Allow. */
    assert_int_equal(th_http("GET", mo_world_mcp_url(w), NULL, NULL, 0, &r),
                     405);
    assert_string_equal(th_header(&r, "Allow"), "POST");
    th_resp_free(&r);
    {
        const char *h[] = {auth, "Content-Type: application/json",
                           "Accept: text/html", NULL};

        assert_int_equal(
            th_http("POST", mo_world_mcp_url(w), h, TH_INIT, 0, &r), 406);
        th_resp_free(&r);
    }
    {
        const char *h[] = {auth, TH_ACCEPT, "Content-Type: text/plain", NULL};

        assert_int_equal(
            th_http("POST", mo_world_mcp_url(w), h, TH_INIT, 0, &r), 415);
        th_resp_free(&r);
    }
    assert_int_equal(mcp_post(w, access, sid, NULL, "{\"jsonrpc\":", &r), 400);
    assert_int_equal(th_rpc_code(&r), -32700);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,"
                              "\"method\":\"ping\"}",
                              &r),
                     400);
    assert_int_equal(th_rpc_code(&r), -32700);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL, "[]", &r), 400);
    assert_int_equal(th_rpc_code(&r), -32600);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":"
                              "\"no/such\"}",
                              &r),
                     200);
    assert_int_equal(th_rpc_code(&r), -32601);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":"
                              "\"tools/call\",\"params\":{\"name\":\"nope\"}}",
                              &r),
                     200);
    assert_int_equal(th_rpc_code(&r), -32602);
    th_resp_free(&r);
    /* Sessions: required after initialize, unknown ones are 404. */
    assert_int_equal(mcp_post(w, access, NULL, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
                              "\"ping\"}",
                              &r),
                     400);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, "unknown-session", NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":"
                              "\"ping\"}",
                              &r),
                     404);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, "MCP-Protocol-Version: 1999",
                              "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":"
                              "\"ping\"}",
                              &r),
                     400);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":"
                              "\"ping\"}",
                              &r),
                     200);
    assert_string_equal(r.body, "{\"jsonrpc\":\"2.0\",\"id\":10,"
                                "\"result\":{}}");
    th_resp_free(&r);
    free(auth);
    free(sid);
    free(access);
}

/* --- the whole flow, by hand ---------------------------------------- */

/* Follow resource_metadata from the 401, then the AS metadata. Returns the
 * AS metadata document. */
static json_t *discover(struct mo_world *w)
{
    struct th_resp r;
    char *prm, *issuer, *md_url;
    json_t *md;
    const char *ch;

    assert_int_equal(mcp_post(w, NULL, NULL, NULL, TH_INIT, &r), 401);
    ch = strstr(th_header(&r, "WWW-Authenticate"), "resource_metadata=\"");
    assert_non_null(ch);
    prm = strndup(ch + 19, strcspn(ch + 19, "\""));
    th_resp_free(&r);
    assert_int_equal(th_http("GET", prm, NULL, NULL, 0, &r), 200);
    {
        json_t *doc = th_json(&r);

        issuer = strdup(json_string_value(
            json_array_get(json_object_get(doc, "authorization_servers"), 0)));
        json_decref(doc);
    }
    th_resp_free(&r);
    md_url = th_fmt("%s/.well-known/oauth-authorization-server", issuer);
    assert_int_equal(th_http("GET", md_url, NULL, NULL, 0, &r), 200);
    md = th_json(&r);
    assert_string_equal(ac_json_str(md, "issuer"), issuer);
    th_resp_free(&r);
    free(prm);
    free(issuer);
    free(md_url);
    return md;
}

static char *authorize_code(struct mo_world *w, const json_t *md,
                            const char *client_id)
{
    char *q = th_authz_query(w, client_id, "mcp:tools", "");
    char *url = th_fmt("%s?%s", ac_json_str(md, "authorization_endpoint"), q);
    struct th_resp r;
    char *code, *st, *iss;

    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 302);
    code = th_query_param(th_header(&r, "Location"), "code");
    st = th_query_param(th_header(&r, "Location"), "state");
    iss = th_query_param(th_header(&r, "Location"), "iss");
    assert_string_equal(st, "st");
    assert_string_equal(iss, ac_json_str(md, "issuer"));
    th_resp_free(&r);
    free(st);
    free(iss);
    free(q);
    free(url);
    return code;
}

static void check_flow_transcript(struct mo_world *w)
{
    static const char *const want[][2] = {
        {"mcp", "mcp"},     {"mcp", "prm"},      {"as", "metadata"},
        {"as", "register"}, {"as", "authorize"}, {"as", "token"},
        {"mcp", "mcp"},     {"mcp", "mcp"},      {"mcp", "mcp"},
        {"mcp", "mcp"},     {"mcp", "mcp"},      {"mcp", "mcp"},
        {"browser", "hop"},
    };
    json_t *t = mo_world_transcript(w);
    size_t n = sizeof(want) / sizeof(want[0]);

    assert_int_equal(json_array_size(t), n);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(t, i);

        assert_string_equal(ac_json_str(e, "server"), want[i][0]);
        assert_string_equal(ac_json_str(e, "endpoint"), want[i][1]);
        assert_int_equal(json_integer_value(json_object_get(e, "seq")), i);
    }
    /* The first exchange: a 401 with the challenge, headers in order. */
    {
        json_t *resp = json_object_get(json_array_get(t, 0), "response");
        json_t *h0 = json_array_get(json_object_get(resp, "headers"), 0);

        assert_int_equal(json_integer_value(json_object_get(resp, "status")),
                         401);
        assert_string_equal(json_string_value(json_array_get(h0, 0)),
                            "WWW-Authenticate");
    }
    json_decref(t);
}

static void test_happy_path(void **state)
{
    struct mo_world *w = th_world_start(scenario_text);
    json_t *md, *hop;
    struct th_resp r;
    char *reg_body, *code, *tok_body, *access, *sid;
    struct ac_err err;
    json_t *doc;

    (void)state;
    md = discover(w);
    reg_body = th_fmt("{\"redirect_uris\":[\"%s\"],\"grant_types\":"
                      "[\"authorization_code\",\"refresh_token\"],"
                      "\"token_endpoint_auth_method\":\"none\"}",
                      TH_REDIRECT);
    assert_int_equal(
        th_post_json(ac_json_str(md, "registration_endpoint"), reg_body, &r),
        201);
    {
        char *id = th_json_member(&r, "client_id");

        th_resp_free(&r);
        code = authorize_code(w, md, id);
        tok_body = th_code_body(w, id, code, TH_VERIFIER);
        free(id);
    }
    assert_int_equal(
        th_post_form(ac_json_str(md, "token_endpoint"), NULL, tok_body, &r),
        200);
    access = th_json_member(&r, "access_token");
    th_resp_free(&r);

    sid = initialize(w, access);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
                              "initialized\"}",
                              &r),
                     202);
    assert_int_equal(r.len, 0);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                              "\"tools/list\"}",
                              &r),
                     200);
    doc = th_json(&r);
    {
        json_t *tools =
            json_object_get(json_object_get(doc, "result"), "tools");
        json_t *echo = json_array_get(tools, 0);

        json_t *official = json_array_get(tools, 2);

        /* echo, open, and the official suite's test-tool appended. */
        assert_int_equal(json_array_size(tools), 3);
        assert_string_equal(ac_json_str(echo, "name"), "echo");
        assert_string_equal(
            ac_json_str(json_object_get(echo, "inputSchema"), "type"),
            "object");
        assert_string_equal(ac_json_str(official, "name"), "test-tool");
        json_t *schema = json_pack("{s:s}", "type", "object");
        bool same =
            json_equal(json_object_get(official, "inputSchema"), schema);

        json_decref(schema);
        assert_true(same);
    }
    json_decref(doc);
    th_resp_free(&r);
    /* Every listed tool answers a call without arguments. */
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":"
                              "\"tools/call\",\"params\":{\"name\":"
                              "\"test-tool\",\"arguments\":{}}}",
                              &r),
                     200);
    doc = th_json(&r);
    assert_non_null(json_object_get(doc, "result"));
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":"
                              "\"tools/call\",\"params\":{\"name\":"
                              "\"echo\"}}",
                              &r),
                     200);
    doc = th_json(&r);
    assert_non_null(json_object_get(doc, "result"));
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(mcp_post(w, access, sid, NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
                              "\"tools/call\",\"params\":{\"name\":\"echo\","
                              "\"arguments\":{\"text\":\"hello\"}}}",
                              &r),
                     200);
    doc = th_json(&r);
    {
        json_t *c0 = json_array_get(
            json_object_get(json_object_get(doc, "result"), "content"), 0);

        assert_string_equal(ac_json_str(c0, "type"), "text");
        assert_string_equal(ac_json_str(c0, "text"), "hello");
    }
    json_decref(doc);
    th_resp_free(&r);

    /* A browser hop recorded from outside, started now. */
    hop = json_pack("{s:s, s:s, s:s, s:s, s:{s:i}}", "server", "browser",
                    "endpoint", "hop", "method", "GET", "url", TH_REDIRECT,
                    "response", "status", 0);
    assert_true(mo_world_record(w, hop, &err));
    json_decref(hop);
    check_flow_transcript(w);
    {
        json_t *secrets = mo_world_secrets(w);

        assert_true(ac_json_array_has_str(secrets, access));
        assert_true(ac_json_array_has_str(secrets, code));
        assert_true(ac_json_array_has_str(secrets, TH_VERIFIER));
        json_decref(secrets);
    }
    json_decref(md);
    free(reg_body);
    free(code);
    free(tok_body);
    free(access);
    free(sid);
    mo_world_stop(w);
}

/* --- a second MCP server (scenario mcp_servers_extra) ---------------- */

/* POST initialize to `url` with `token` (may be NULL). The status; the
 * response is freed. */
static long init_at(const char *url, const char *token)
{
    char *auth =
        token != NULL ? th_fmt("Authorization: Bearer %s", token) : NULL;
    const char *h[] = {TH_ACCEPT, "Content-Type: application/json", auth, NULL};
    struct th_resp r;
    long st = th_http("POST", url, h, TH_INIT, 0, &r);

    th_resp_free(&r);
    free(auth);
    return st;
}

/* A token for `resource` (a public client, authorization code). */
static char *token_for(struct mo_world *w, const char *resource)
{
    struct th_client c;
    char *chal = ac_pkce_s256(TH_VERIFIER, NULL);
    char *res = ac_pct_encode(resource);
    char *redir = ac_pct_encode(TH_REDIRECT);
    char *q, *code, *body, *url, *access;
    struct th_resp r;

    assert_true(th_register(w, "none",
                            "[\"authorization_code\",\"refresh_token\"]", &c));
    q = th_fmt("response_type=code&client_id=%s&redirect_uri=%s&"
               "code_challenge=%s&code_challenge_method=S256&resource=%s&"
               "state=st",
               c.id, redir, chal, res);
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    code = th_query_param(th_header(&r, "Location"), "code");
    th_resp_free(&r);
    body = th_fmt("grant_type=authorization_code&code=%s&client_id=%s&"
                  "redirect_uri=%s&code_verifier=%s&resource=%s",
                  code, c.id, redir, TH_VERIFIER, res);
    url = th_fmt("%s/token", mo_world_issuer(w, 0));
    assert_int_equal(th_post_form(url, NULL, body, &r), 200);
    access = th_json_member(&r, "access_token");
    assert_non_null(access);
    th_resp_free(&r);
    th_client_free(&c);
    free(chal);
    free(res);
    free(redir);
    free(q);
    free(code);
    free(body);
    free(url);
    return access;
}

/* A second MCP server: its own origin and resource, the same AS; each
 * accepts only tokens issued for its own resource. */
static void test_extra_mcp_server(void **state)
{
    json_t *doc = json_loads(scenario_text, 0, NULL);
    char *text;
    struct mo_world *w;
    const char *url2;
    char *res2, *a1, *a2;
    struct th_resp r;
    json_t *prm, *t;
    size_t i, n2 = 0;
    const json_t *e;

    (void)state;
    json_object_set_new(doc, "mcp_servers_extra",
                        json_pack("[{s:s, s:s}]", "id", "mcp2", "path", "/m2"));
    text = json_dumps(doc, 0);
    json_decref(doc);
    w = th_world_start(text);
    free(text);
    url2 = mo_world_mcp_url_by_id(w, "mcp2");
    assert_non_null(url2);
    assert_null(mo_world_mcp_url_by_id(w, "mcp3"));
    assert_string_equal(mo_world_mcp_url_by_id(w, "mcp"), mo_world_mcp_url(w));
    res2 = ac_url_canonical_resource(url2);
    assert_string_not_equal(res2, mo_world_resource(w));

    /* Its PRM (path-inserted, like the first one's): its own resource. */
    {
        char *origin = strndup(url2, strlen(url2) - strlen("/m2"));
        char *u = th_fmt("%s/.well-known/oauth-protected-resource/m2", origin);

        assert_int_equal(th_http("GET", u, NULL, NULL, 0, &r), 200);
        prm = th_json(&r);
        assert_string_equal(ac_json_str(prm, "resource"), res2);
        assert_string_equal(
            json_string_value(json_array_get(
                json_object_get(prm, "authorization_servers"), 0)),
            mo_world_issuer(w, 0));
        json_decref(prm);
        th_resp_free(&r);
        free(u);
        free(origin);
    }
    a1 = token_for(w, mo_world_resource(w));
    a2 = token_for(w, res2);
    assert_int_equal(init_at(url2, NULL), 401);
    assert_int_equal(init_at(url2, a1), 401); /* issued for the first */
    assert_int_equal(init_at(url2, a2), 200);
    assert_int_equal(init_at(mo_world_mcp_url(w), a2), 401);
    assert_int_equal(init_at(mo_world_mcp_url(w), a1), 200);

    /* Its exchanges are recorded as server "mcp2", endpoints as usual. */
    t = mo_world_transcript(w);
    json_array_foreach(t, i, e)
    {
        if (strcmp(ac_json_str(e, "server"), "mcp2") == 0) {
            const char *ep = ac_json_str(e, "endpoint");
            if (strcmp(ep, "mcp") != 0 && strcmp(ep, "prm") != 0) {
                fail_msg("endpoint \"%s\", want mcp or prm", ep);
            }
            n2++;
        }
    }
    assert_int_equal(n2, 4);
    json_decref(t);
    free(a1);
    free(a2);
    free(res2);
    mo_world_stop(w);
}

static void test_record_orders_by_time(void **state)
{
    struct mo_world *w = *state;
    json_t *early = json_pack("{s:I, s:s, s:s}", "t_ns", (json_int_t)1,
                              "server", "browser", "endpoint", "hop");
    struct ac_err err;
    json_t *t;

    assert_true(mo_world_record(w, early, &err));
    assert_false(mo_world_record(w, json_array_get(early, 0), &err));
    json_decref(early);
    t = mo_world_transcript(w);
    assert_string_equal(ac_json_str(json_array_get(t, 0), "server"), "browser");
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(t, 0), "seq")), 0);
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prm_path),
        cmocka_unit_test(test_prm_root_and_plain_challenge),
        cmocka_unit_test(test_401_no_token),
        cmocka_unit_test(test_401_invalid_token),
        cmocka_unit_test(test_403_insufficient_scope),
        cmocka_unit_test(test_transport_errors),
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_extra_mcp_server),
        cmocka_unit_test(test_record_orders_by_time),
    };

    return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
