/* Tests of the rules engine (mocks/rules.c) over loopback: every response
 * action (respond, patch, delay, drop, hang, truncate, malformed), every
 * matcher (endpoint, method, form, query, header, json, client, nth,
 * times, after), events with "on" rules, every state operation, ${...}
 * placeholders in rule values, repeated response header lines, and the
 * validator (mo_rules_check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/clock.h"
#include "mocks/rules.h"
#include "tests/support/asserts.h"
#include "tests/support/mock_http.h"

#define PING "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"

/* A world of two ASes ("as", "as2" at /t2) and an MCP server whose echo
 * tool needs mcp:tools, with `rules` (JSON array text). */
static struct mo_world *world_with(const char *rules)
{
    char *text = th_fmt(
        "{\"authorization_servers\":[{\"id\":\"as\",\"scopes_supported\":"
        "[\"mcp:tools\"],\"tokens\":{\"access_ttl\":60}},{\"id\":\"as2\","
        "\"issuer_path\":\"/t2\"}],\"mcp_server\":{\"path\":\"/mcp\","
        "\"tools\":[{\"name\":\"echo\",\"scope\":\"mcp:tools\"}]},"
        "\"rules\":%s}",
        rules);
    struct mo_world *w = th_world_start(text);

    free(text);
    return w;
}

static char *md_url(struct mo_world *w)
{
    return th_fmt("%s/.well-known/oauth-authorization-server",
                  mo_world_issuer(w, 0));
}

static long get_md(struct mo_world *w, struct th_resp *r)
{
    char *url = md_url(w);
    long st = th_http("GET", url, NULL, NULL, 0, r);

    free(url);
    return st;
}

static long refresh(struct mo_world *w, const char *id, const char *rt,
                    struct th_resp *r)
{
    return th_token_post(w,
                         th_fmt("grant_type=refresh_token&refresh_token=%s&"
                                "client_id=%s",
                                rt, id),
                         r);
}

/* Register a public client and run the code flow; fills c, *access,
 * *refresh_token. */
static void login(struct mo_world *w, struct th_client *c, char **access,
                  char **rt)
{
    char *code;
    struct th_resp r;
    json_t *doc;

    assert_true(th_register(w, "none",
                            "[\"authorization_code\",\"refresh_token\"]", c));
    code = th_code(w, c->id, "mcp:tools");
    assert_non_null(code);
    assert_int_equal(th_redeem(w, c->id, code, &r), 200);
    doc = th_json(&r);
    *access = strdup(ac_json_str(doc, "access_token"));
    *rt = strdup(ac_json_str(doc, "refresh_token"));
    json_decref(doc);
    th_resp_free(&r);
    free(code);
}

/* Register a public client for the code grant, authorize and redeem the
 * code. Returns the token endpoint's status; its response is in *r. */
static long register_and_redeem(struct mo_world *w, struct th_resp *r)
{
    struct th_client c;
    char *code;
    long st;

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    code = th_code(w, c.id, NULL);
    st = th_redeem(w, c.id, code, r);
    free(code);
    th_client_free(&c);
    return st;
}

/* The status of a request, its response freed. */
static long http_status(const char *method, const char *url,
                        const char *const *headers, const char *body)
{
    struct th_resp r;
    long st = th_http(method, url, headers, body, 0, &r);

    th_resp_free(&r);
    return st;
}

/* The status of a form POST, its response freed. */
static long form_status(const char *url, const char *auth, const char *body)
{
    struct th_resp r;
    long st = th_post_form(url, auth, body, &r);

    th_resp_free(&r);
    return st;
}

/* The status of a JSON-RPC POST to the MCP endpoint, its response freed. */
static long mcp_status(struct mo_world *w, const char *token, const char *body)
{
    struct th_resp r;
    long st = th_mcp_post(w, token, body, &r);

    th_resp_free(&r);
    return st;
}

/* The status of a metadata GET, its response freed. */
static long md_status(struct mo_world *w)
{
    struct th_resp r;
    long st = get_md(w, &r);

    th_resp_free(&r);
    return st;
}

/* The status of a refresh, its response freed. */
static long refresh_status(struct mo_world *w, const char *id, const char *rt)
{
    struct th_resp r;
    long st = refresh(w, id, rt, &r);

    th_resp_free(&r);
    return st;
}

/* A world with `rules` and a public client logged in to it by login(). */
struct session {
    struct mo_world *w;
    struct th_client c;
    char *access;
    char *rt;
};

static void session_start(struct session *s, const char *rules)
{
    s->w = world_with(rules);
    login(s->w, &s->c, &s->access, &s->rt);
}

static void session_end(struct session *s)
{
    free(s->access);
    free(s->rt);
    th_client_free(&s->c);
    mo_world_stop(s->w);
}

/* Register a public client for the code grant and GET /authorize with a
 * correct query, which must redirect; the response is in *r. */
static void authorize_redirect(struct mo_world *w, struct th_resp *r)
{
    struct th_client c;
    char *q;

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    q = th_authz_query(w, c.id, NULL, "");
    assert_int_equal(th_authorize_raw(w, q, r), 302);
    free(q);
    th_client_free(&c);
}

/* --- response actions ------------------------------------------------ */

static void test_respond(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"respond\":"
        "{\"status\":503,\"headers\":{\"Retry-After\":\"1\"},\"body\":"
        "{\"error\":\"temporarily_unavailable\"}}}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(get_md(w, &r), 503);
    assert_string_equal(th_header(&r, "Retry-After"), "1");
    assert_string_equal(th_header(&r, "Content-Type"), "application/json");
    th_assert_error(&r, 503, "temporarily_unavailable");
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_respond_text_body(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"respond\":"
        "{\"status\":200,\"headers\":{\"Content-Type\":\"text/html\"},"
        "\"body\":\"<html>\"}}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(get_md(w, &r), 200);
    assert_string_equal(r.body, "<html>");
    assert_string_equal(th_header(&r, "Content-Type"), "text/html");
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_patch_json(void **state)
{
    struct mo_world *w =
        world_with("[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
                   "{\"set\":{\"issuer\":\"https://evil.example\",\"x.y\":1},"
                   "\"remove\":[\"code_challenge_methods_supported\"],"
                   "\"headers\":{\"Cache-Control\":\"max-age=5\"}}}}]");
    struct th_resp r;
    json_t *doc;

    (void)state;
    assert_int_equal(get_md(w, &r), 200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "issuer"), "https://evil.example");
    assert_null(json_object_get(doc, "code_challenge_methods_supported"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "x"), "y")), 1);
    assert_non_null(ac_json_str(doc, "token_endpoint"));
    assert_string_equal(th_header(&r, "Cache-Control"), "max-age=5");
    json_decref(doc);
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_patch_status(void **state)
{
    struct mo_world *w =
        world_with("[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
                   "{\"status\":201}}}]");

    (void)state;
    assert_int_equal(md_status(w), 201);
    mo_world_stop(w);
}

static void test_patch_location(void **state)
{
    struct mo_world *w =
        world_with("[{\"match\":{\"endpoint\":\"authorize\"},\"do\":{\"patch\":"
                   "{\"location\":{\"state\":\"forged\",\"iss\":null}}}}]");
    char *v;
    struct th_resp r;

    (void)state;
    authorize_redirect(w, &r);
    v = th_query_param(th_header(&r, "Location"), "state");
    assert_string_equal(v, "forged");
    free(v);
    assert_null(th_query_param(th_header(&r, "Location"), "iss"));
    v = th_query_param(th_header(&r, "Location"), "code");
    assert_non_null(v);
    assert_non_null(strstr(th_header(&r, "Location"), TH_REDIRECT "?"));
    free(v);
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_delay(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"delay_ms\":300}}]");
    struct th_resp r;
    int64_t t0 = ac_mono_ns();
    int64_t ms;
    char *url = th_fmt("%s/token", mo_world_issuer(w, 0));

    (void)state;
    assert_int_equal(get_md(w, &r), 200);
    ms = (ac_mono_ns() - t0) / 1000000;
    assert_int_cmp(ms, >=, 290);
    th_resp_free(&r);
    /* Other requests are not delayed. */
    t0 = ac_mono_ns();
    assert_int_equal(th_post_form(url, NULL, "grant_type=x", &r), 401);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 250);
    th_resp_free(&r);
    free(url);
    mo_world_stop(w);
}

/* The transcript entry of the only exchange at `endpoint`: a new ref. */
static json_t *entry_of(struct mo_world *w, const char *endpoint)
{
    json_t *t = mo_world_transcript(w);
    size_t i;
    json_t *e, *found = NULL;

    json_array_foreach(t, i, e)
    {
        if (strcmp(ac_json_str(e, "endpoint"), endpoint) == 0) {
            found = json_incref(e);
        }
    }
    json_decref(t);
    return found;
}

static void test_drop(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"drop\":true}}]");
    struct th_resp r;
    json_t *e;

    (void)state;
    assert_int_equal(get_md(w, &r), 0);
    th_resp_free(&r);
    e = entry_of(w, "metadata");
    assert_non_null(e);
    assert_string_equal(ac_json_str(e, "error"), "dropped by a rule");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(e, "response"), "status")),
                     0);
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(e, "rules"), 0)), 0);
    json_decref(e);
    mo_world_stop(w);
}

/* GET with a short client timeout: returns curl's result code. */
static CURLcode get_with_timeout(const char *url, long ms)
{
    CURL *c = curl_easy_init();
    struct th_resp r;
    CURLcode rc;

    memset(&r, 0, sizeof(r));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    th_resp_free(&r);
    return rc;
}

static void test_hang(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"hang\":true}}]");
    char *url = md_url(w);
    int64_t t0;
    json_t *e;

    (void)state;
    assert_int_equal(get_with_timeout(url, 300), CURLE_OPERATION_TIMEDOUT);
    /* A hung request never blocks the server or its stop. */
    assert_int_equal(th_count(w, "as", "metadata"), 1);
    e = entry_of(w, "metadata");
    assert_non_null(ac_json_str(e, "error"));
    json_decref(e);
    assert_int_equal(get_with_timeout(url, 300), CURLE_OPERATION_TIMEDOUT);
    t0 = ac_mono_ns();
    mo_world_stop(w);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 2000);
    free(url);
}

static void test_hang_then_stop_while_open(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"hang\":true}}]");
    char *url = md_url(w);
    CURLM *m = curl_multi_init();
    CURL *c = curl_easy_init();
    int running = 1;
    int64_t t0;

    (void)state;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_on_body);
    curl_multi_add_handle(m, c);
    /* Send the request, then stop the world with it suspended. */
    for (int i = 0; i < 20 && running; i++) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
    }
    t0 = ac_mono_ns();
    mo_world_stop(w);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 2000);
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    free(url);
}

static void test_truncate(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"truncate\":10}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(get_md(w, &r), 200);
    assert_int_equal(r.len, 10);
    assert_null(th_json(&r));
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_malformed(void **state)
{
    struct mo_world *w = world_with("[{\"match\":{\"endpoint\":\"metadata\"},"
                                    "\"do\":{\"malformed\":true}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(get_md(w, &r), 200);
    assert_int_cmp(r.len, >, 10);
    assert_null(th_json(&r));
    assert_int_equal(r.body[r.len - 1], '}');
    th_resp_free(&r);
    mo_world_stop(w);
}

/* --- matchers and counters ------------------------------------------ */

static void test_nth_and_times(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\",\"nth\":2,\"times\":2},"
        "\"do\":{\"respond\":{\"status\":500}}}]");
    static const long want[] = {200, 500, 500, 200, 200};

    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(md_status(w), want[i]);
    }
    mo_world_stop(w);
}

static void test_nth_alone_fires_once(void **state)
{
    struct mo_world *w =
        world_with("[{\"match\":{\"endpoint\":\"metadata\",\"nth\":1},"
                   "\"do\":{\"respond\":{\"status\":500}}}]");

    (void)state;
    assert_int_equal(md_status(w), 500);
    assert_int_equal(md_status(w), 200);
    mo_world_stop(w);
}

static void test_method_and_query(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"method\":\"GET\",\"endpoint\":[\"authorize\"],"
        "\"query\":{\"prompt\":\"consent\",\"state\":true,\"x\":false}},"
        "\"do\":{\"respond\":{\"status\":418}}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(th_authorize_raw(w, "prompt=consent&state=1", &r), 418);
    th_resp_free(&r);
    assert_int_equal(th_authorize_raw(w, "prompt=consent&state=1&x=1", &r),
                     400);
    th_resp_free(&r);
    assert_int_equal(th_authorize_raw(w, "prompt=consent", &r), 400);
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_form_match(void **state)
{
    struct session s;
    struct th_resp r;

    (void)state;
    /* login() succeeds: the code grant is not matched. */
    session_start(
        &s, "[{\"match\":{\"endpoint\":\"token\",\"form\":{\"grant_type\":"
            "\"refresh_token\"}},\"do\":{\"respond\":{\"status\":400,"
            "\"body\":{\"error\":\"invalid_grant\"}}}}]");
    assert_int_equal(refresh(s.w, s.c.id, s.rt, &r), 400);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    session_end(&s);
}

static void test_header_and_client_match(void **state)
{
    struct mo_world *w =
        world_with("[{\"match\":{\"header\":{\"X-Test\":\"ab*\"}},"
                   "\"do\":{\"respond\":{\"status\":299}}},"
                   "{\"match\":{\"client\":\"c-*\",\"endpoint\":\"token\"},"
                   "\"do\":{\"respond\":{\"status\":298}}}]");
    const char *h1[] = {"X-Test: abc", NULL};
    const char *h2[] = {"X-Test: xbc", NULL};
    char *url = md_url(w);
    char *tok = th_fmt("%s/token", mo_world_issuer(w, 0));

    (void)state;
    assert_int_equal(http_status("GET", url, h1, NULL), 299);
    assert_int_equal(http_status("GET", url, h2, NULL), 200);
    assert_int_equal(form_status(tok, NULL, "client_id=c-1"), 298);
    assert_int_equal(form_status(tok, "Authorization: Basic Yy0yOnM=",
                                 "grant_type=client_credentials"),
                     298);
    assert_int_equal(form_status(tok, NULL, "client_id=d-1"), 401);
    free(url);
    free(tok);
    mo_world_stop(w);
}

static void test_json_match(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"mcp\",\"json\":{\"method\":\"ping\","
        "\"params.x\":1}},\"do\":{\"respond\":{\"status\":500}}}]");

    (void)state;
    assert_int_equal(mcp_status(w, "t",
                                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                                "\"ping\",\"params\":{\"x\":1}}"),
                     500);
    assert_int_equal(mcp_status(w, "t", PING), 401);
    mo_world_stop(w);
}

static void test_unknown_path_rule(void **state)
{
    /* A rule can serve a path no route has: e.g. a custom PRM URL. */
    struct mo_world *w =
        world_with("[{\"match\":{\"server\":\"mcp\",\"path\":\"/custom-prm\"},"
                   "\"do\":{\"respond\":{\"status\":200,\"body\":{\"resource\":"
                   "\"x\"}}}}]");
    char *origin = strndup(mo_world_mcp_url(w),
                           strlen(mo_world_mcp_url(w)) - strlen("/mcp"));
    char *url = th_fmt("%s/custom-prm", origin);

    (void)state;
    assert_int_equal(http_status("GET", url, NULL, NULL), 200);
    free(url);
    url = th_fmt("%s/other", origin);
    assert_int_equal(http_status("GET", url, NULL, NULL), 404);
    free(url);
    free(origin);
    mo_world_stop(w);
}

static void test_after_event(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"metadata\",\"after\":"
        "\"client.registered\"},\"do\":{\"respond\":{\"status\":500}}}]");
    struct th_client c;

    (void)state;
    assert_int_equal(md_status(w), 200);
    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    assert_int_equal(md_status(w), 500);
    th_client_free(&c);
    mo_world_stop(w);
}

/* --- events and state operations ------------------------------------ */

static void test_on_rs_authorized_expire_access(void **state)
{
    struct session s;
    struct th_resp r;

    (void)state;
    session_start(&s, "[{\"on\":{\"event\":\"rs.authorized\",\"nth\":1},"
                      "\"do\":{\"expire\":\"access\"}}]");
    assert_int_equal(th_mcp_init(s.w, s.access), 200);
    assert_int_equal(th_mcp_post(s.w, s.access, TH_INIT, &r), 401);
    assert_non_null(strstr(th_header(&r, "WWW-Authenticate"), "invalid_token"));
    th_resp_free(&r);
    /* The refresh token still works: the client can recover. */
    assert_int_equal(refresh_status(s.w, s.c.id, s.rt), 200);
    session_end(&s);
}

static void test_on_token_refreshed_revoke_family(void **state)
{
    struct session s;
    char *rt2;
    struct th_resp r;
    json_t *doc;

    (void)state;
    session_start(&s, "[{\"on\":{\"event\":\"token.refreshed\"},"
                      "\"do\":{\"revoke\":\"family\"}}]");
    assert_int_equal(refresh(s.w, s.c.id, s.rt, &r), 200);
    doc = th_json(&r);
    rt2 = strdup(ac_json_str(doc, "refresh_token"));
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(refresh(s.w, s.c.id, rt2, &r), 400);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(s.w, s.access), 401);
    free(rt2);
    session_end(&s);
}

/* Rules of one request rule on refreshes at the token endpoint doing `op`
 * (JSON object text). A new string. */
static char *on_refresh(const char *op)
{
    return th_fmt("[{\"match\":{\"endpoint\":\"token\",\"form\":"
                  "{\"grant_type\":\"refresh_token\"}},\"do\":%s}]",
                  op);
}

/* One state operation in a request rule on the token endpoint, then a
 * refresh, which must fail with `status` / `error`. */
static void op_then_refresh(const char *op, long status, const char *error)
{
    char *rules = on_refresh(op);
    struct session s;
    struct th_resp r;

    session_start(&s, rules);
    assert_int_equal(refresh(s.w, s.c.id, s.rt, &r), status);
    th_assert_error(&r, status, error);
    th_resp_free(&r);
    free(rules);
    session_end(&s);
}

static void test_op_forget_clients(void **state)
{
    (void)state;
    op_then_refresh("{\"forget\":\"clients\"}", 401, "invalid_client");
}

static void test_op_expire_refresh(void **state)
{
    (void)state;
    op_then_refresh("{\"expire\":\"refresh\"}", 400, "invalid_grant");
}

static void test_op_expire_token(void **state)
{
    (void)state;
    op_then_refresh("{\"expire\":[\"token\"]}", 400, "invalid_grant");
}

static void test_op_revoke_kinds(void **state)
{
    (void)state;
    op_then_refresh("{\"revoke\":\"token\"}", 400, "invalid_grant");
    op_then_refresh("{\"revoke\":\"refresh\"}", 400, "invalid_grant");
    op_then_refresh("{\"revoke\":\"client\"}", 400, "invalid_grant");
    op_then_refresh("{\"revoke\":\"all\"}", 400, "invalid_grant");
    op_then_refresh("{\"revoke\":\"family\",\"as\":\"as\"}", 400,
                    "invalid_grant");
}

static void test_op_scoped_to_other_as(void **state)
{
    /* Tokens of "as" are untouched when the operation names "as2". */
    char *rules = on_refresh("{\"revoke\":\"all\",\"as\":\"as2\"}");
    struct session s;

    (void)state;
    session_start(&s, rules);
    assert_int_equal(refresh_status(s.w, s.c.id, s.rt), 200);
    free(rules);
    session_end(&s);
}

static void test_op_expire_codes(void **state)
{
    struct mo_world *w =
        world_with("[{\"on\":{\"event\":\"authorization.completed\"},"
                   "\"do\":{\"expire\":\"codes\"}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(register_and_redeem(w, &r), 400);
    th_assert_error(&r, 400, "invalid_grant");
    assert_non_null(strstr(r.body, "expired"));
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_op_forget_codes(void **state)
{
    struct mo_world *w =
        world_with("[{\"on\":{\"event\":\"authorization.completed\"},"
                   "\"do\":{\"forget\":\"codes\"}}]");
    struct th_resp r;

    (void)state;
    assert_int_equal(register_and_redeem(w, &r), 400);
    assert_non_null(strstr(r.body, "unknown"));
    th_resp_free(&r);
    mo_world_stop(w);
}

static void test_op_expire_client_secrets(void **state)
{
    struct mo_world *w =
        world_with("[{\"on\":{\"event\":\"client.registered\"},"
                   "\"do\":{\"expire\":\"client_secrets\"}}]");
    struct th_client c;
    char *url, *body;
    struct th_resp r;

    (void)state;
    assert_true(
        th_register(w, "client_secret_post", "[\"authorization_code\"]", &c));
    url = th_fmt("%s/revoke", mo_world_issuer(w, 0));
    body = th_fmt("token=x&client_id=%s&client_secret=%s", c.id, c.secret);
    assert_int_equal(th_post_form(url, NULL, body, &r), 401);
    assert_non_null(strstr(r.body, "expired"));
    th_resp_free(&r);
    free(url);
    free(body);
    th_client_free(&c);
    mo_world_stop(w);
}

static void test_op_switch_as(void **state)
{
    struct session s;
    struct th_resp r;
    json_t *doc;

    (void)state;
    session_start(&s, "[{\"on\":{\"event\":\"rs.authorized\"},"
                      "\"do\":{\"switch_as\":\"as2\"}}]");
    assert_int_equal(th_mcp_init(s.w, s.access), 200);
    assert_int_equal(th_http("GET", mo_world_prm_url(s.w), NULL, NULL, 0, &r),
                     200);
    doc = th_json(&r);
    assert_int_equal(
        json_array_size(json_object_get(doc, "authorization_servers")), 1);
    assert_true(
        ac_json_array_has_str(json_object_get(doc, "authorization_servers"),
                              mo_world_issuer(s.w, 1)));
    json_decref(doc);
    th_resp_free(&r);
    /* A token of the old AS is no longer trusted. */
    assert_int_equal(th_mcp_init(s.w, s.access), 401);
    session_end(&s);
}

static void test_op_advance_clock(void **state)
{
    struct session s;

    (void)state;
    /* access_ttl is 60 s; the clock jumps 61 s after the first call. */
    session_start(&s, "[{\"on\":{\"event\":\"rs.authorized\",\"nth\":1},"
                      "\"do\":{\"advance_clock\":61}}]");
    assert_int_equal(th_mcp_init(s.w, s.access), 200);
    assert_int_equal(th_mcp_init(s.w, s.access), 401);
    session_end(&s);
}

static void test_op_forget_sessions_and_rotate_keys(void **state)
{
    struct session s;
    char *sid, *auth;
    struct th_resp r;

    (void)state;
    session_start(&s,
                  "[{\"on\":{\"event\":\"rs.authorized\",\"nth\":1},"
                  "\"do\":{\"forget\":\"sessions\",\"rotate_keys\":true}}]");
    assert_int_equal(th_mcp_post(s.w, s.access, TH_INIT, &r), 200);
    sid = th_fmt("Mcp-Session-Id: %s", th_header(&r, "Mcp-Session-Id"));
    th_resp_free(&r);
    auth = th_fmt("Authorization: Bearer %s", s.access);
    {
        const char *h[] = {TH_ACCEPT, "Content-Type: application/json",   auth,
                           sid,       "MCP-Protocol-Version: 2025-11-25", NULL};

        assert_int_equal(http_status("POST", mo_world_mcp_url(s.w), h, PING),
                         404);
    }
    free(sid);
    free(auth);
    session_end(&s);
}

static void test_refresh_reused_event(void **state)
{
    struct session s;
    json_t *t;

    (void)state;
    session_start(&s, "[{\"on\":{\"event\":\"refresh.reused\"},"
                      "\"do\":{\"forget\":\"clients\"}},"
                      "{\"on\":{\"event\":\"token.revoked\"},"
                      "\"do\":{\"advance_clock\":1}}]");
    assert_int_equal(refresh_status(s.w, s.c.id, s.rt), 200);
    assert_int_equal(refresh_status(s.w, s.c.id, s.rt), 400);
    /* The client was forgotten after the reuse. */
    assert_int_equal(refresh_status(s.w, s.c.id, s.rt), 401);
    t = mo_world_transcript(s.w);
    assert_non_null(
        json_object_get(json_array_get(t, json_array_size(t) - 2), "rules"));
    json_decref(t);
    session_end(&s);
}

/* --- placeholders and repeated header lines ------------------------- */

/* ${issuer} is the issuer of the AS the request hit (here as2), the other
 * names the world's runtime values, in the body (nested too) and headers;
 * "$${" stays a literal "${". */
static void test_placeholders_respond(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"server\":\"as2\",\"path\":\"/t2/x\"},\"do\":"
        "{\"respond\":{\"status\":200,\"headers\":{\"X-Iss\":"
        "\"<${issuer}>\"},\"body\":{\"issuer\":\"${issuer}\",\"first\":"
        "\"${issuer:as}\",\"second\":\"${issuer:as2}\",\"nested\":"
        "[{\"resource\":\"${resource}\"}],\"mcp\":\"${mcp_url}\","
        "\"prm\":\"${prm_url}#${prm_url}\",\"literal\":\"$${issuer}\","
        "\"${issuer}\":1}}}}]");
    char *url = th_fmt("%s/x", mo_world_issuer(w, 1));
    char *want = th_fmt("%s#%s", mo_world_prm_url(w), mo_world_prm_url(w));
    char *hdr = th_fmt("<%s>", mo_world_issuer(w, 1));
    struct th_resp r;
    json_t *doc;

    (void)state;
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 200);
    doc = th_json(&r);
    assert_non_null(doc);
    assert_string_equal(ac_json_str(doc, "issuer"), mo_world_issuer(w, 1));
    assert_string_equal(ac_json_str(doc, "first"), mo_world_issuer(w, 0));
    assert_string_equal(ac_json_str(doc, "second"), mo_world_issuer(w, 1));
    assert_string_equal(
        ac_json_str(json_array_get(json_object_get(doc, "nested"), 0),
                    "resource"),
        mo_world_resource(w));
    assert_string_equal(ac_json_str(doc, "mcp"), mo_world_mcp_url(w));
    assert_string_equal(ac_json_str(doc, "prm"), want);
    assert_string_equal(ac_json_str(doc, "literal"), "${issuer}");
    /* Member names are not expanded. */
    assert_non_null(json_object_get(doc, "${issuer}"));
    assert_string_equal(th_header(&r, "X-Iss"), hdr);
    json_decref(doc);
    th_resp_free(&r);
    free(url);
    free(want);
    free(hdr);
    mo_world_stop(w);
}

/* Away from an AS (the MCP server) ${issuer} is the first AS's; patch
 * "set" values are expanded too. */
static void test_placeholders_patch_set(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"prm\"},\"do\":{\"patch\":{\"set\":"
        "{\"authorization_servers\":[\"${issuer}\",\"${issuer:as2}/\"],"
        "\"x.resource\":\"${resource}\"}}}}]");
    struct th_resp r;
    json_t *doc;
    const json_t *ases;
    char *slash = th_fmt("%s/", mo_world_issuer(w, 1));

    (void)state;
    assert_int_equal(th_http("GET", mo_world_prm_url(w), NULL, NULL, 0, &r),
                     200);
    doc = th_json(&r);
    ases = json_object_get(doc, "authorization_servers");
    assert_string_equal(json_string_value(json_array_get(ases, 0)),
                        mo_world_issuer(w, 0));
    assert_string_equal(json_string_value(json_array_get(ases, 1)), slash);
    assert_string_equal(ac_json_str(json_object_get(doc, "x"), "resource"),
                        mo_world_resource(w));
    json_decref(doc);
    th_resp_free(&r);
    free(slash);
    mo_world_stop(w);
}

/* patch.location values: the iss of the redirect becomes the issuer plus
 * a trailing slash (scenario auth/iss-normalized). */
static void test_placeholders_location(void **state)
{
    struct mo_world *w =
        world_with("[{\"match\":{\"endpoint\":\"authorize\"},\"do\":{"
                   "\"patch\":{\"location\":{\"iss\":\"${issuer}/\"}}}}]");
    char *v, *want = th_fmt("%s/", mo_world_issuer(w, 0));
    struct th_resp r;

    (void)state;
    authorize_redirect(w, &r);
    v = th_query_param(th_header(&r, "Location"), "iss");
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
    th_resp_free(&r);
    free(want);
    mo_world_stop(w);
}

/* The values of header `name` in the order libcurl's header callback saw
 * the lines, joined by "|". A new string. */
static char *header_lines(const struct th_resp *r, const char *name)
{
    size_t n = strlen(name);
    char *out = strdup("");

    for (size_t i = 0; i < r->nh; i++) {
        if (strncasecmp(r->hdrs[i], name, n) == 0 && r->hdrs[i][n] == ':') {
            const char *v = r->hdrs[i] + n + 1;
            char *next =
                th_fmt("%s%s%s", out, out[0] ? "|" : "", v + strspn(v, " "));

            free(out);
            out = next;
        }
    }
    return out;
}

/* An array of header values is sent as that many header lines; patch
 * replaces every earlier line of that name. */
static void test_repeated_header_lines(void **state)
{
    struct mo_world *w = world_with(
        "[{\"match\":{\"endpoint\":\"mcp\"},\"do\":{\"patch\":"
        "{\"headers\":{\"WWW-Authenticate\":[\"Basic realm=\\\"x\\\"\","
        "\"Bearer resource_metadata=\\\"${prm_url}\\\"\"]}}}},"
        "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"respond\":"
        "{\"status\":200,\"headers\":{\"X-A\":[\"1\",\"2\",\"3\"]},"
        "\"body\":{}}}}]");
    const char *h[] = {TH_ACCEPT, "Content-Type: application/json", NULL};
    char *want = th_fmt("Basic realm=\"x\"|Bearer resource_metadata=\"%s\"",
                        mo_world_prm_url(w));
    char *got;
    struct th_resp r;

    (void)state;
    assert_int_equal(th_http("POST", mo_world_mcp_url(w), h, TH_INIT, 0, &r),
                     401);
    got = header_lines(&r, "WWW-Authenticate");
    assert_string_equal(got, want);
    free(got);
    th_resp_free(&r);
    assert_int_equal(get_md(w, &r), 200);
    got = header_lines(&r, "X-A");
    assert_string_equal(got, "1|2|3");
    free(got);
    th_resp_free(&r);
    free(want);
    mo_world_stop(w);
}

/* --- validation ------------------------------------------------------ */

struct seen {
    char ptr[256];
    char msg[256];
    size_t n;
};

static void collect(void *ctx, const char *ptr, bool key, const char *msg)
{
    struct seen *s = ctx;

    (void)key;
    if (s->n++ == 0) {
        snprintf(s->ptr, sizeof(s->ptr), "%s", ptr);
        snprintf(s->msg, sizeof(s->msg), "%s", msg);
    }
}

/* Check case `i`, rules text `rules`, in scenario `scn`: fails the test
 * when the case should be valid (`ptr` NULL) and is not. Returns whether it
 * was valid; *s holds the first error and the count. */
static bool check_case(json_t *scn, size_t i, const char *rules,
                       const char *ptr, struct seen *s)
{
    json_t *doc = json_loads(rules, 0, NULL);
    bool ok;

    assert_non_null(doc);
    memset(s, 0, sizeof(*s));
    ok = mo_rules_check(doc, scn, collect, s);
    json_decref(doc);
    if (ptr == NULL && !ok) {
        fail_msg("case %zu: unexpected %s", i, s->msg);
    }
    return ok;
}

static void test_check(void **state)
{
    static const struct {
        const char *rules;
        const char *ptr; /* NULL: valid */
    } cases[] = {
        {"[]", NULL},
        {"[{\"match\":{\"endpoint\":\"token\",\"form\":{\"grant_type\":"
         "\"refresh_token\"},\"nth\":2,\"times\":1,\"after\":"
         "\"token.issued\",\"client\":\"x\",\"server\":\"as\"},"
         "\"do\":{\"respond\":{\"status\":500,\"body\":{}},\"expire\":"
         "[\"access\",\"codes\"],\"as\":\"as\"},\"comment\":\"c\"}]",
         NULL},
        {"[{\"on\":{\"event\":\"rs.authorized\"},\"do\":{\"switch_as\":"
         "\"as\",\"advance_clock\":5,\"revoke\":\"family\"}}]",
         NULL},
        {"[{\"match\":{},\"do\":{\"patch\":{\"location\":{\"iss\":null}},"
         "\"delay_ms\":5,\"truncate\":3,\"malformed\":true}}]",
         NULL},
        {"[1]", "/rules/0"},
        {"[{\"do\":{\"drop\":true}}]", "/rules/0"},
        {"[{\"match\":{},\"on\":{\"event\":\"token.issued\"},\"do\":"
         "{\"drop\":true}}]",
         "/rules/0"},
        {"[{\"match\":{}}]", "/rules/0"},
        {"[{\"match\":{\"endpoit\":\"token\"},\"do\":{\"drop\":true}}]",
         "/rules/0/match/endpoit"},
        {"[{\"match\":{\"endpoint\":\"tokens\"},\"do\":{\"drop\":true}}]",
         "/rules/0/match/endpoint"},
        {"[{\"match\":{\"nth\":0},\"do\":{\"drop\":true}}]",
         "/rules/0/match/nth"},
        {"[{\"match\":{\"form\":{\"a\":1}},\"do\":{\"drop\":true}}]",
         "/rules/0/match/form/a"},
        {"[{\"match\":{\"server\":\"nope\"},\"do\":{\"drop\":true}}]",
         "/rules/0/match/server"},
        {"[{\"match\":{},\"do\":{}}]", "/rules/0/do"},
        {"[{\"match\":{},\"do\":{\"drop\":false}}]", "/rules/0/do/drop"},
        {"[{\"match\":{},\"do\":{\"drop\":true,\"hang\":true}}]",
         "/rules/0/do"},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":200},"
         "\"patch\":{\"status\":201}}}]",
         "/rules/0/do"},
        {"[{\"match\":{},\"do\":{\"respond\":{}}}]", "/rules/0/do/respond"},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":99}}}]",
         "/rules/0/do/respond/status"},
        {"[{\"match\":{},\"do\":{\"patch\":{\"remove\":[1]}}}]",
         "/rules/0/do/patch/remove"},
        {"[{\"on\":{\"event\":\"token.issued\"},\"do\":{\"delay_ms\":5}}]",
         "/rules/0/do/delay_ms"},
        {"[{\"on\":{},\"do\":{\"expire\":\"access\"}}]", "/rules/0/on"},
        {"[{\"on\":{\"event\":\"token.eaten\"},\"do\":{\"expire\":"
         "\"access\"}}]",
         "/rules/0/on/event"},
        {"[{\"on\":{\"event\":\"token.issued\"},\"do\":{\"expire\":"
         "\"everything\"}}]",
         "/rules/0/do/expire"},
        {"[{\"on\":{\"event\":\"token.issued\"},\"do\":{\"switch_as\":"
         "\"zz\"}}]",
         "/rules/0/do/switch_as"},
        {"[{\"on\":{\"event\":\"token.issued\"},\"do\":{\"advance_clock\":"
         "0}}]",
         "/rules/0/do/advance_clock"},
        {"[{\"on\":{\"event\":\"token.issued\"},\"do\":{\"advance_clock\":"
         "1,\"as\":\"as\"}}]",
         "/rules/0/do"},
        {"[{\"match\":{},\"do\":{\"drop\":true},\"extra\":1}]",
         "/rules/0/extra"},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":401,\"headers\":"
         "{\"WWW-Authenticate\":[\"Basic\",\"Bearer\"]}}}}]",
         NULL},
        {"[{\"match\":{},\"do\":{\"patch\":{\"headers\":{\"A\":[\"1\"],"
         "\"B\":null,\"C\":\"3\"}}}}]",
         NULL},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":200,\"headers\":"
         "{\"A\":null}}}}]",
         "/rules/0/do/respond/headers/A"},
        {"[{\"match\":{},\"do\":{\"patch\":{\"headers\":{\"A\":[]}}}}]",
         "/rules/0/do/patch/headers/A"},
        {"[{\"match\":{},\"do\":{\"patch\":{\"headers\":{\"A\":"
         "[\"1\",2]}}}}]",
         "/rules/0/do/patch/headers/A"},
    };
    json_t *scn =
        json_loads("{\"authorization_servers\":[{\"id\":\"as\"}]}", 0, NULL);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct seen s;
        bool ok = check_case(scn, i, cases[i].rules, cases[i].ptr, &s);

        if (cases[i].ptr != NULL && (ok || strcmp(s.ptr, cases[i].ptr) != 0)) {
            fail_msg("case %zu: want an error at %s, got %s", i, cases[i].ptr,
                     ok ? "none" : s.msg);
        }
    }
    json_decref(scn);
}

/* Placeholders: known names pass, an unknown or unterminated one is an
 * error at the string, its character named in the message. */
static void test_check_placeholders(void **state)
{
    static const struct {
        const char *rules;
        const char *ptr; /* NULL: valid */
        const char *msg; /* part of the message */
    } cases[] = {
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":200,\"headers\":"
         "{\"A\":[\"${issuer}\",\"${prm_url}\"]},\"body\":{\"a\":"
         "[\"${resource}${mcp_url}\",\"${issuer:as2}\",\"$${nope}\"]}}}},"
         "{\"match\":{\"path\":\"/${nope}\"},\"do\":{\"patch\":{\"set\":"
         "{\"a\":\"${issuer:as}\"},\"location\":{\"iss\":\"${issuer}/\","
         "\"state\":null},\"headers\":{\"B\":\"${mcp_url}\"}}}}]",
         NULL, NULL},
        {"[{\"match\":{},\"do\":{\"patch\":{\"location\":{\"iss\":"
         "\"x${isuer}\"}}}}]",
         "/rules/0/do/patch/location/iss",
         "unknown placeholder \"${isuer}\" at character 2"},
        {"[{\"match\":{},\"do\":{\"patch\":{\"set\":{\"a.b\":"
         "{\"c\":[\"\u00e9${issuer:zz}\"]}}}}}]",
         "/rules/0/do/patch/set/a.b/c/0",
         "unknown placeholder \"${issuer:zz}\" at character 2"},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":200,\"body\":"
         "{\"a/b\":\"${issuer\"}}}}]",
         "/rules/0/do/respond/body/a~1b",
         "unterminated placeholder at character 1"},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":200,\"body\":"
         "\"${}\"}}}]",
         "/rules/0/do/respond/body", "unknown placeholder \"${}\""},
        {"[{\"match\":{},\"do\":{\"respond\":{\"status\":200,\"headers\":"
         "{\"A\":[\"ok\",\"${cimd_url}\"]}}}}]",
         "/rules/0/do/respond/headers/A/1", "unknown placeholder"},
        {"[{\"match\":{},\"do\":{\"patch\":{\"headers\":{\"A\":"
         "\"${Issuer}\"}}}}]",
         "/rules/0/do/patch/headers/A", "unknown placeholder"},
    };
    json_t *scn = json_loads(
        "{\"authorization_servers\":[{\"id\":\"as\"},{\"id\":\"as2\"}]}", 0,
        NULL);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct seen s;
        bool ok = check_case(scn, i, cases[i].rules, cases[i].ptr, &s);

        if (cases[i].ptr != NULL &&
            (ok || strcmp(s.ptr, cases[i].ptr) != 0 ||
             strstr(s.msg, cases[i].msg) == NULL || s.n != 1)) {
            fail_msg("case %zu: want one error at %s (%s), got %zu: %s", i,
                     cases[i].ptr, cases[i].msg, s.n, ok ? "none" : s.msg);
        }
    }
    json_decref(scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_respond),
        cmocka_unit_test(test_respond_text_body),
        cmocka_unit_test(test_patch_json),
        cmocka_unit_test(test_patch_status),
        cmocka_unit_test(test_patch_location),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_hang_then_stop_while_open),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nth_and_times),
        cmocka_unit_test(test_nth_alone_fires_once),
        cmocka_unit_test(test_method_and_query),
        cmocka_unit_test(test_form_match),
        cmocka_unit_test(test_header_and_client_match),
        cmocka_unit_test(test_json_match),
        cmocka_unit_test(test_unknown_path_rule),
        cmocka_unit_test(test_after_event),
        cmocka_unit_test(test_on_rs_authorized_expire_access),
        cmocka_unit_test(test_on_token_refreshed_revoke_family),
        cmocka_unit_test(test_op_forget_clients),
        cmocka_unit_test(test_op_expire_refresh),
        cmocka_unit_test(test_op_expire_token),
        cmocka_unit_test(test_op_revoke_kinds),
        cmocka_unit_test(test_op_scoped_to_other_as),
        cmocka_unit_test(test_op_expire_codes),
        cmocka_unit_test(test_op_forget_codes),
        cmocka_unit_test(test_op_expire_client_secrets),
        cmocka_unit_test(test_op_switch_as),
        cmocka_unit_test(test_op_advance_clock),
        cmocka_unit_test(test_op_forget_sessions_and_rotate_keys),
        cmocka_unit_test(test_refresh_reused_event),
        cmocka_unit_test(test_placeholders_respond),
        cmocka_unit_test(test_placeholders_patch_set),
        cmocka_unit_test(test_placeholders_location),
        cmocka_unit_test(test_repeated_header_lines),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_check_placeholders),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
