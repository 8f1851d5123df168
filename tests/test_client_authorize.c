/* Unit tests of the authorization request and response handling of
 * libmcpoauth: URL composition (PKCE S256, state, resource, scope), the
 * callback verdict table (state, RFC 9207 iss, errors) and token response
 * validation. No servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/authorize_int.h"
#include "client/lib/callback_int.h"
#include "common/crypto.h"
#include "common/form.h"

static void parse_query(const char *url, struct ac_form *f)
{
    struct ac_err err;
    const char *q = strchr(url, '?');
    assert_non_null(q);
    ac_form_init(f);
    if (!ac_form_parse(q + 1, f, &err)) {
        fail_msg("%s", err.msg);
    }
}

static void test_url_has_every_parameter(void **state)
{
    struct authz_params p = {
        .endpoint = "https://as.example/authorize",
        .client_id = "cid",
        .redirect_uri = "http://127.0.0.1:5555/callback",
        .scope = "mcp:tools files:read",
        .resource = "https://mcp.example/mcp",
    };
    struct authz_request r;
    struct ac_form f;
    struct ac_err err;
    (void)state;
    assert_true(authz_request_build(&p, &r, &err));
    assert_true(strncmp(r.url, "https://as.example/authorize?", 29) == 0);
    parse_query(r.url, &f);
    assert_string_equal(ac_form_get(&f, "response_type"), "code");
    assert_string_equal(ac_form_get(&f, "client_id"), "cid");
    assert_string_equal(ac_form_get(&f, "redirect_uri"), p.redirect_uri);
    assert_string_equal(ac_form_get(&f, "scope"), p.scope);
    assert_string_equal(ac_form_get(&f, "resource"), p.resource);
    assert_string_equal(ac_form_get(&f, "code_challenge_method"), "S256");
    assert_string_equal(ac_form_get(&f, "state"), r.state);
    /* >= 128 bits of state: 43 base64url characters for 32 bytes. */
    assert_true(strlen(r.state) >= 22);
    assert_true(ac_pkce_verifier_valid(r.verifier));
    char *s256 = ac_pkce_s256(r.verifier, &err);
    assert_string_equal(ac_form_get(&f, "code_challenge"), s256);
    free(s256);
    ac_form_free(&f);
    authz_request_free(&r);
}

static void test_url_keeps_endpoint_query_and_omits_scope(void **state)
{
    struct authz_params p = {
        .endpoint = "https://as.example/authorize?tenant=a",
        .client_id = "cid",
        .redirect_uri = "http://127.0.0.1:1/callback",
    };
    struct authz_request r;
    struct ac_form f;
    struct ac_err err;
    (void)state;
    assert_true(authz_request_build(&p, &r, &err));
    parse_query(r.url, &f);
    assert_string_equal(ac_form_get(&f, "tenant"), "a");
    assert_null(ac_form_get(&f, "scope"));
    assert_null(ac_form_get(&f, "resource"));
    ac_form_free(&f);
    authz_request_free(&r);
}

static void test_url_refuses_fragment(void **state)
{
    struct authz_params p = {.endpoint = "https://as.example/a#x",
                             .client_id = "c",
                             .redirect_uri = "http://127.0.0.1:1/callback"};
    struct authz_request r;
    struct ac_err err;
    (void)state;
    assert_false(authz_request_build(&p, &r, &err));
    assert_int_equal(err.code, AC_ERR_PROTOCOL);
}

static void test_states_differ(void **state)
{
    struct authz_params p = {.endpoint = "https://as.example/a",
                             .client_id = "c",
                             .redirect_uri = "http://127.0.0.1:1/callback"};
    struct authz_request a, b;
    (void)state;
    assert_true(authz_request_build(&p, &a, NULL));
    assert_true(authz_request_build(&p, &b, NULL));
    assert_string_not_equal(a.state, b.state);
    assert_string_not_equal(a.verifier, b.verifier);
    authz_request_free(&a);
    authz_request_free(&b);
}

/* --- the callback verdict table ------------------------------------------ */

#define ISS "https://as.example"

struct judge_case {
    const char *query;
    bool iss_supported;
    enum cb_verdict want;
    const char *why; /* substring of the reason, or NULL */
};

static const struct judge_case judge_cases[] = {
    /* RFC 9207 table, supported = true */
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example", true, CB_ACCEPT, NULL},
    {"code=c1&state=S", true, CB_FAIL, "no iss"},
    {"code=c1&state=S&iss=https%3A%2F%2Fevil.example", true, CB_FAIL, "mix-up"},
    /* supported = false/absent */
    {"code=c1&state=S", false, CB_ACCEPT, NULL},
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example", false, CB_ACCEPT, NULL},
    {"code=c1&state=S&iss=https%3A%2F%2Fevil.example", false, CB_FAIL,
     "mix-up"},
    /* no normalisation before comparison (MCP authorization) */
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example%2F", true, CB_FAIL,
     "mix-up"},
    {"code=c1&state=S&iss=HTTPS%3A%2F%2Fas.example", true, CB_FAIL, "mix-up"},
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example%3A443", true, CB_FAIL,
     "mix-up"},
    /* state: stray callbacks are ignored, not fatal */
    {"code=c1&state=T&iss=https%3A%2F%2Fas.example", true, CB_IGNORE,
     "state does not match"},
    {"code=c1&iss=https%3A%2F%2Fas.example", true, CB_IGNORE, "without state"},
    {"code=c1&state=S&state=S", true, CB_IGNORE, "malformed"},
    {"", false, CB_IGNORE, "without state"},
    /* error responses, after iss validation */
    {"error=access_denied&error_description=no%20way&state=S&iss="
     "https%3A%2F%2Fas.example",
     true, CB_FAIL, "access_denied"},
    {"error=access_denied&state=S&iss=https%3A%2F%2Fevil.example", true,
     CB_FAIL, "mix-up"},
    {"state=S&iss=https%3A%2F%2Fas.example", true, CB_FAIL,
     "neither code nor error"},
    {"code=&state=S", false, CB_FAIL, "neither code nor error"},
};

static void test_judge_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof judge_cases / sizeof judge_cases[0]; i++) {
        const struct judge_case *jc = &judge_cases[i];
        struct cb_expect e = {"S", ISS, jc->iss_supported};
        struct ac_err why;
        char *code = NULL;
        ac_err_clear(&why);
        enum cb_verdict v = cb_judge(jc->query, &e, &code, &why);
        if (v != jc->want) {
            fail_msg("case %zu (%s): verdict %d, want %d (%s)", i, jc->query,
                     (int)v, (int)jc->want, why.msg);
        }
        if (v == CB_ACCEPT) {
            assert_string_equal(code, "c1");
        } else {
            assert_null(code);
        }
        if (jc->why != NULL && strstr(why.msg, jc->why) == NULL) {
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why.msg,
                     jc->why);
        }
        ac_secret_free(code);
    }
}

/* MCP: on iss mismatch, error members are neither acted on nor shown. */
static void test_judge_hides_error_on_mismatch(void **state)
{
    struct cb_expect e = {"S", ISS, false};
    struct ac_err why;
    char *code = NULL;
    (void)state;
    assert_int_equal(
        cb_judge("error=server_error&error_description=SECRETTEXT&state=S&"
                 "iss=https%3A%2F%2Fevil.example",
                 &e, &code, &why),
        CB_FAIL);
    assert_null(strstr(why.msg, "SECRETTEXT"));
    assert_null(strstr(why.msg, "server_error"));
}

/* --- token responses ------------------------------------------------------ */

struct token_case {
    long status;
    const char *body;
    bool ok;
    const char *why;
};

static const struct token_case token_cases[] = {
    {200, "{\"access_token\":\"a\",\"token_type\":\"Bearer\"}", true, NULL},
    {200,
     "{\"access_token\":\"a\",\"token_type\":\"bearer\","
     "\"expires_in\":60,\"refresh_token\":\"r\"}",
     true, NULL},
    {200, "{\"access_token\":\"a\",\"token_type\":\"mac\"}", false,
     "not Bearer"},
    {200, "{\"access_token\":\"a\"}", false, "missing"},
    {200, "{\"token_type\":\"Bearer\"}", false, "no access_token"},
    {200,
     "{\"error\":\"invalid_grant\",\"access_token\":\"a\","
     "\"token_type\":\"Bearer\"}",
     false, "200"},
    {400, "{\"error\":\"invalid_grant\",\"error_description\":\"used\"}", false,
     "invalid_grant"},
    {500, "oops", false, "HTTP 500"},
    {200, "not json", false, "token response"},
    {200,
     "{\"access_token\":\"a\",\"access_token\":\"b\","
     "\"token_type\":\"Bearer\"}",
     false, NULL},
};

static void test_token_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof token_cases / sizeof token_cases[0]; i++) {
        const struct token_case *tc = &token_cases[i];
        struct token_set t;
        struct ac_err err;
        ac_err_clear(&err);
        bool ok = token_parse(tc->status, tc->body, strlen(tc->body), &t, &err);
        if (ok != tc->ok) {
            fail_msg("case %zu: ok=%d (%s)", i, ok, err.msg);
        }
        if (tc->why != NULL && strstr(err.msg, tc->why) == NULL) {
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, err.msg,
                     tc->why);
        }
        if (ok) {
            assert_string_equal(t.access_token, "a");
        }
        token_set_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_has_every_parameter),
        cmocka_unit_test(test_url_keeps_endpoint_query_and_omits_scope),
        cmocka_unit_test(test_url_refuses_fragment),
        cmocka_unit_test(test_states_differ),
        cmocka_unit_test(test_judge_table),
        cmocka_unit_test(test_judge_hides_error_on_mismatch),
        cmocka_unit_test(test_token_parse_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
