/* Tests of the control API (mocks/control.c): index, state operations,
 * the virtual clock, reset, and the redacted transcript as JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/support/asserts.h"
#include "tests/support/mock_http.h"

static int setup(void **state)
{
    *state = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"tokens\":"
        "{\"access_ttl\":100}},{\"id\":\"b\",\"issuer_path\":\"/b\"}],"
        "\"mcp_server\":{\"path\":\"/mcp\"}}");
    return 0;
}

static int teardown(void **state)
{
    mo_world_stop(*state);
    return 0;
}

static long control(struct mo_world *w, const char *method, const char *path,
                    const char *body, struct th_resp *r)
{
    char *url = th_fmt("%s%s", mo_world_control_url(w), path);
    const char *h[] = {"Content-Type: application/json", NULL};
    long st = th_http(method, url, body != NULL ? h : NULL, body, 0, r);

    free(url);
    return st;
}

static void test_index(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    json_t *doc;

    assert_non_null(mo_world_control_url(w));
    assert_int_equal(control(w, "GET", "/", NULL, &r), 200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "mcp"), mo_world_resource(w));
    assert_int_equal(
        json_array_size(json_object_get(doc, "authorization_servers")), 2);
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(control(w, "GET", "/nope", NULL, &r), 404);
    th_resp_free(&r);
    assert_int_equal(control(w, "DELETE", "/reset", NULL, &r), 405);
    th_resp_free(&r);
}

static void test_ops_expire_and_reset(void **state)
{
    struct mo_world *w = *state;
    char *access = NULL;
    struct th_resp r;

    assert_true(th_login(w, NULL, &access, NULL));
    assert_int_equal(th_mcp_init(w, access), 200);
    assert_int_equal(control(w, "POST", "/ops", "{\"expire\":\"access\"}", &r),
                     200);
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, access), 401);
    free(access);
    /* Bad operations are refused with the validator's message. */
    assert_int_equal(control(w, "POST", "/ops", "{\"expire\":\"x\"}", &r), 400);
    assert_non_null(strstr(r.body, "/rules/0/do/expire"));
    th_resp_free(&r);
    assert_int_equal(control(w, "POST", "/ops", "{\"drop\":true}", &r), 400);
    th_resp_free(&r);
    assert_int_equal(control(w, "POST", "/ops", "[1", &r), 400);
    th_resp_free(&r);
    /* Reset forgets clients and tokens. */
    assert_true(th_login(w, NULL, &access, NULL));
    assert_int_equal(control(w, "POST", "/reset", "", &r), 200);
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, access), 401);
    free(access);
}

static void test_ops_revoke_with_context(void **state)
{
    struct mo_world *w = *state;
    char *access = NULL, *body;
    struct th_resp r;

    assert_true(th_login(w, NULL, &access, NULL));
    body =
        th_fmt("{\"revoke\":\"token\",\"context\":{\"token\":\"%s\"}}", access);
    assert_int_equal(control(w, "POST", "/ops", body, &r), 200);
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, access), 401);
    free(body);
    free(access);
}

static void test_ops_switch_as(void **state)
{
    struct mo_world *w = *state;
    struct th_resp r;
    json_t *doc;

    assert_int_equal(control(w, "POST", "/ops", "{\"switch_as\":\"b\"}", &r),
                     200);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", mo_world_prm_url(w), NULL, NULL, 0, &r),
                     200);
    doc = th_json(&r);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(doc, "authorization_servers"), 0)),
                        mo_world_issuer(w, 1));
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(control(w, "POST", "/reset", "", &r), 200);
    th_resp_free(&r);
}

static void test_clock(void **state)
{
    struct mo_world *w = *state;
    char *access = NULL;
    struct th_resp r;
    json_t *doc;
    json_int_t now0;

    assert_int_equal(control(w, "GET", "/clock", NULL, &r), 200);
    doc = th_json(&r);
    now0 = json_integer_value(json_object_get(doc, "now"));
    json_decref(doc);
    th_resp_free(&r);
    assert_true(th_login(w, NULL, &access, NULL));
    assert_int_equal(control(w, "POST", "/clock", "{\"advance\":99}", &r), 200);
    doc = th_json(&r);
    assert_int_cmp(json_integer_value(json_object_get(doc, "now")), >=,
                   now0 + 99);
    assert_int_equal(json_integer_value(json_object_get(doc, "clock_offset")),
                     99);
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, access), 200);
    assert_int_equal(control(w, "POST", "/ops", "{\"advance_clock\":2}", &r),
                     200);
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, access), 401); /* 101 s > access_ttl */
    assert_int_equal(control(w, "POST", "/clock", "{\"advance\":-1}", &r), 400);
    th_resp_free(&r);
    assert_int_equal(control(w, "POST", "/reset", "", &r), 200);
    th_resp_free(&r);
    free(access);
}

static void test_transcript_redacted(void **state)
{
    struct mo_world *w = *state;
    char *access = NULL;
    struct th_resp r;
    json_t *secrets;
    size_t i, lines = 0;
    json_t *s;

    assert_true(th_login(w, NULL, &access, NULL));
    assert_int_equal(th_mcp_init(w, access), 200);
    assert_int_equal(control(w, "GET", "/transcript", NULL, &r), 200);
    assert_string_equal(th_header(&r, "Content-Type"), "application/x-ndjson");
    secrets = mo_world_secrets(w);
    assert_int_cmp(json_array_size(secrets), >, 2);
    json_array_foreach(secrets, i, s)
    {
        if (strstr(r.body, json_string_value(s)) != NULL) {
            fail_msg("secret %zu leaked", i);
        }
    }
    assert_null(strstr(r.body, access));
    assert_non_null(strstr(r.body, "[redacted:"));
    for (char *p = r.body; (p = strchr(p, '\n')) != NULL; p++) {
        lines++;
    }
    assert_int_cmp(lines, >=, 5);
    {
        char *first = strndup(r.body, strcspn(r.body, "\n"));
        json_t *ex = json_loads(first, 0, NULL);

        assert_non_null(ex);
        assert_non_null(ac_json_str(ex, "endpoint"));
        json_decref(ex);
        free(first);
    }
    json_decref(secrets);
    th_resp_free(&r);
    free(access);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_ops_expire_and_reset),
        cmocka_unit_test(test_ops_revoke_with_context),
        cmocka_unit_test(test_ops_switch_as),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_transcript_redacted),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
