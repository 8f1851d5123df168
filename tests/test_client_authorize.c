/* Unit tests of the authorization request and response handling of
 * libmcpoauth: URL composition (PKCE S256, state, resource, scope), the
 * callback verdict table (state, RFC 9207 iss, errors, including the MCP
 * table applied to error responses), the loopback listener ignoring stray
 * callbacks, token response validation and private_key_jwt client
 * assertions. Only the client's own loopback listener is started. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/authorize_int.h"
#include "client/lib/callback_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/httpc.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "tests/support/asserts.h"

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
    assert_strn_equal(r.url, "https://as.example/authorize?", 29);
    parse_query(r.url, &f);
    assert_string_equal(ac_form_get(&f, "response_type"), "code");
    assert_string_equal(ac_form_get(&f, "client_id"), "cid");
    assert_string_equal(ac_form_get(&f, "redirect_uri"), p.redirect_uri);
    assert_string_equal(ac_form_get(&f, "scope"), p.scope);
    assert_string_equal(ac_form_get(&f, "resource"), p.resource);
    assert_string_equal(ac_form_get(&f, "code_challenge_method"), "S256");
    assert_string_equal(ac_form_get(&f, "state"), r.state);
    /* >= 128 bits of state: 43 base64url characters for 32 bytes. */
    assert_int_cmp(strlen(r.state), >=, 22);
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
    const char *why;    /* substring of the reason, or NULL */
    const char *hidden; /* must not appear in the reason, or NULL */
};

#define ERR_Q "error=access_denied&error_description=DESCTEXT&error_uri=URITEXT"
#define GOOD_ISS "iss=https%3A%2F%2Fas.example"
#define EVIL_ISS "iss=https%3A%2F%2Fevil.example"

static const struct judge_case judge_cases[] = {
    /* RFC 9207 table, supported = true */
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example", true, CB_ACCEPT, NULL,
     NULL},
    {"code=c1&state=S", true, CB_FAIL, "no iss", NULL},
    {"code=c1&state=S&iss=https%3A%2F%2Fevil.example", true, CB_FAIL, "mix-up",
     NULL},
    /* supported = false/absent */
    {"code=c1&state=S", false, CB_ACCEPT, NULL, NULL},
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example", false, CB_ACCEPT, NULL,
     NULL},
    {"code=c1&state=S&iss=https%3A%2F%2Fevil.example", false, CB_FAIL, "mix-up",
     NULL},
    /* no normalisation before comparison (MCP authorization) */
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example%2F", true, CB_FAIL, "mix-up",
     NULL},
    {"code=c1&state=S&iss=HTTPS%3A%2F%2Fas.example", true, CB_FAIL, "mix-up",
     NULL},
    {"code=c1&state=S&iss=https%3A%2F%2Fas.example%3A443", true, CB_FAIL,
     "mix-up", NULL},
    /* state: stray callbacks are ignored, not fatal */
    {"code=c1&state=T&iss=https%3A%2F%2Fas.example", true, CB_IGNORE,
     "state does not match", NULL},
    {"code=c1&iss=https%3A%2F%2Fas.example", true, CB_IGNORE, "without state",
     NULL},
    {"code=c1&state=S&state=S", true, CB_IGNORE, "malformed", NULL},
    {"", false, CB_IGNORE, "without state", NULL},
    /* error responses, after iss validation */
    {"error=access_denied&error_description=no%20way&state=S&iss="
     "https%3A%2F%2Fas.example",
     true, CB_FAIL, "access_denied", NULL},
    {"error=access_denied&state=S&iss=https%3A%2F%2Fevil.example", true,
     CB_FAIL, "mix-up", NULL},
    {"state=S&iss=https%3A%2F%2Fas.example", true, CB_FAIL,
     "neither code nor error", NULL},
    {"code=&state=S", false, CB_FAIL, "neither code nor error", NULL},
    /* The MCP table applies to error responses too: the error is acted
     * on only after iss passed; on mismatch (or a required iss absent)
     * error, error_description and error_uri are not shown. */
    {ERR_Q "&state=S&" GOOD_ISS, true, CB_FAIL, "access_denied", NULL},
    {ERR_Q "&state=S", true, CB_FAIL, "no iss", "DESCTEXT"},
    {ERR_Q "&state=S&" EVIL_ISS, true, CB_FAIL, "mix-up", "DESCTEXT"},
    {ERR_Q "&state=S&" GOOD_ISS, false, CB_FAIL, "DESCTEXT", NULL},
    {ERR_Q "&state=S&" EVIL_ISS, false, CB_FAIL, "mix-up", "access_denied"},
    {ERR_Q "&state=S", false, CB_FAIL, "access_denied", NULL},
    {ERR_Q "&state=S&iss=https%3A%2F%2FAS.example", false, CB_FAIL, "mix-up",
     "URITEXT"},
    /* an error with a foreign state is somebody else's: ignored */
    {ERR_Q "&state=X&" GOOD_ISS, true, CB_IGNORE, "state does not match",
     "DESCTEXT"},
    {ERR_Q "&" EVIL_ISS, false, CB_IGNORE, "without state", NULL},
    /* a present but empty iss is not the issuer */
    {"code=c1&state=S&iss=", false, CB_FAIL, "mix-up", NULL},
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
        if (jc->hidden != NULL && strstr(why.msg, jc->hidden) != NULL) {
            fail_msg("case %zu: reason \"%s\" shows \"%s\"", i, why.msg,
                     jc->hidden);
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

/* --- the listener: stray callbacks ---------------------------------------- */

/* GET `url`; the HTTP status (0 on a network failure). */
static long get(const char *url)
{
    struct ac_http_request req = {.method = "GET", .url = url};
    struct ac_http_response resp;
    struct ac_err err;
    long status = 0;
    if (ac_http_do(&req, &resp, &err)) {
        status = resp.status;
        ac_http_response_free(&resp);
    }
    return status;
}

static void get_cb(const char *redirect_uri, const char *query)
{
    char url[512];
    snprintf(url, sizeof url, "%s?%s", redirect_uri, query);
    assert_int_not_equal(get(url), 0);
}

/* Callbacks before the request is armed, with another state, without
 * state, or malformed are answered with an error page and ignored; the
 * client keeps waiting and accepts the real one. */
static void test_listener_ignores_strays(void **state)
{
    struct cb_listener *l = NULL;
    struct cb_expect e = {"S", ISS, true};
    struct ac_err err, why;
    char *code = NULL;
    (void)state;
    assert_true(ac_http_global_init(&err));
    if (!cb_listener_start(0, &l, &err)) {
        fail_msg("%s", err.msg);
    }
    const char *ru = cb_listener_redirect_uri(l);
    get_cb(ru, "code=early&state=S&" GOOD_ISS); /* not armed yet */
    assert_true(cb_listener_arm(l, &e, &err));
    assert_int_equal(cb_listener_wait(l, 50, &code, &err), CBW_PENDING);
    get_cb(ru, "code=c0&state=OTHER&" GOOD_ISS);
    get_cb(ru, "code=c0&" GOOD_ISS);
    get_cb(ru, "code=c0&state=S&state=S");
    get_cb(ru, ERR_Q "&state=OTHER&" EVIL_ISS);
    assert_int_equal(cb_listener_wait(l, 50, &code, &err), CBW_PENDING);
    assert_null(code);
    assert_int_cmp(cb_listener_ignored(l, &why), >=, 4);
    assert_non_null(strstr(why.msg, "ignored"));
    get_cb(ru, "code=c1&state=S&" GOOD_ISS);
    assert_int_equal(cb_listener_wait(l, 2000, &code, &err), CBW_DONE);
    assert_string_equal(code, "c1");
    ac_secret_free(code);
    cb_listener_stop(l);
    ac_http_global_cleanup();
}

/* A mismatched iss on our own state is fatal, not ignored. */
static void test_listener_iss_mismatch_fatal(void **state)
{
    struct cb_listener *l = NULL;
    struct cb_expect e = {"S", ISS, false};
    struct ac_err err;
    char *code = NULL;
    (void)state;
    assert_true(ac_http_global_init(&err));
    assert_true(cb_listener_start(0, &l, &err));
    assert_true(cb_listener_arm(l, &e, &err));
    get_cb(cb_listener_redirect_uri(l), ERR_Q "&state=S&" EVIL_ISS);
    assert_int_equal(cb_listener_wait(l, 2000, &code, &err), CBW_FAILED);
    assert_non_null(strstr(err.msg, "mix-up"));
    assert_null(strstr(err.msg, "DESCTEXT"));
    cb_listener_stop(l);
    ac_http_global_cleanup();
}

struct fetch {
    char url[512];
    long status;
};

static void *fetch_thread(void *arg)
{
    struct fetch *f = arg;
    f->status = get(f->url);
    return NULL;
}

/* The page of the callback that ended the wait reaches the browser even
 * when the client stops its listener the moment the wait returns (as it
 * does before exiting on a refused callback): the browser shows why, not
 * an empty reply. Repeated, since stopping used to race the page. */
static void test_listener_stop_sends_the_page(void **state)
{
    struct ac_err err;
    (void)state;
    assert_true(ac_http_global_init(&err));
    for (int k = 0; k < 30; k++) {
        struct cb_listener *l = NULL;
        struct cb_expect e = {"S", ISS, false};
        struct fetch f = {.status = -1};
        char *code = NULL;
        pthread_t t;
        assert_true(cb_listener_start(0, &l, &err));
        assert_true(cb_listener_arm(l, &e, &err));
        snprintf(f.url, sizeof f.url, "%s?%s&state=S&%s",
                 cb_listener_redirect_uri(l), ERR_Q, EVIL_ISS);
        pthread_create(&t, NULL, fetch_thread, &f);
        assert_int_equal(cb_listener_wait(l, 5000, &code, &err), CBW_FAILED);
        cb_listener_stop(l);
        pthread_join(t, NULL);
        assert_int_equal(f.status, 400);
    }
    ac_http_global_cleanup();
}

/* --- --no-browser: a pasted redirect URL ---------------------------------- */

struct paste_case {
    const char *pasted;
    enum cb_verdict want;
    const char *why;
};

#define RU "http://127.0.0.1:5555/callback"

static const struct paste_case paste_cases[] = {
    {RU "?code=c1&state=S&" GOOD_ISS, CB_ACCEPT, NULL},
    {"  " RU "?code=c1&state=S&" GOOD_ISS "\r", CB_ACCEPT, NULL},
    {RU "?code=c1&state=S&" GOOD_ISS "#frag", CB_ACCEPT, NULL},
    {RU "?code=c1&state=T&" GOOD_ISS, CB_IGNORE, "state does not match"},
    {"http://127.0.0.1:5556/callback?code=c1&state=S", CB_IGNORE,
     "not a redirect"},
    {RU "x?code=c1&state=S", CB_IGNORE, "not a redirect"},
    {"code=c1&state=S", CB_IGNORE, "not a redirect"},
    {RU "?code=c1&state=S&" EVIL_ISS, CB_FAIL, "mix-up"},
    {RU "?" ERR_Q "&state=S", CB_FAIL, "no iss"},
};

static void test_paste_judge(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof paste_cases / sizeof paste_cases[0]; i++) {
        const struct paste_case *pc = &paste_cases[i];
        struct cb_expect e = {"S", ISS, true};
        struct ac_err why;
        char *code = NULL;
        ac_err_clear(&why);
        enum cb_verdict v = paste_judge(pc->pasted, RU, &e, &code, &why);
        if (v != pc->want) {
            fail_msg("case %zu: verdict %d, want %d (%s)", i, (int)v,
                     (int)pc->want, why.msg);
        }
        if (v == CB_ACCEPT) {
            assert_string_equal(code, "c1");
        }
        if (pc->why != NULL && strstr(why.msg, pc->why) == NULL) {
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why.msg,
                     pc->why);
        }
        ac_secret_free(code);
    }
}

/* --- private_key_jwt ------------------------------------------------------ */

/* RFC 7523 §3: iss = sub = client_id, aud = the issuer, exp after iat,
 * a unique jti; signed with the key's algorithm; verifiable with the
 * public key. */
static void check_assertion(enum ac_jws_alg alg)
{
    struct ac_err err;
    struct ac_jwk *key = ac_jwk_generate(alg, &err);
    json_t *hdr = NULL;
    assert_non_null(key);
    char *a = assertion_new(key, "client-1", ISS, &err);
    char *b = assertion_new(key, "client-1", ISS, &err);
    assert_non_null(a);
    assert_non_null(b);
    struct ac_jws_verify_params vp = {.algs = alg, .key = key};
    json_t *claims = ac_jwt_verify(a, &vp, &hdr, &err);
    if (claims == NULL) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")),
                        ac_jws_alg_name(alg));
    struct ac_jwt_claims_params cp = {
        .iss = "client-1",
        .aud = ISS,
        .now = ac_now(),
        .leeway = 0,
        .require_exp = true,
        .required = (const char *const[]){"sub", "iat", "jti", NULL},
    };
    if (!ac_jwt_validate_claims(claims, &cp, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(json_string_value(json_object_get(claims, "sub")),
                        "client-1");
    json_int_t iat = json_integer_value(json_object_get(claims, "iat"));
    json_int_t exp = json_integer_value(json_object_get(claims, "exp"));
    assert_int_cmp(exp, >, iat);
    assert_int_cmp(exp - iat, <=, 300);
    json_t *claims_b = ac_jwt_verify(b, &vp, NULL, &err);
    assert_non_null(claims_b);
    assert_string_not_equal(
        json_string_value(json_object_get(claims, "jti")),
        json_string_value(json_object_get(claims_b, "jti")));
    json_decref(claims_b);
    json_decref(claims);
    json_decref(hdr);
    ac_secret_free(a);
    ac_secret_free(b);
    ac_jwk_free(key);
}

static void test_assertion_es256(void **state)
{
    (void)state;
    check_assertion(AC_JWS_ES256);
}

static void test_assertion_rs256(void **state)
{
    (void)state;
    check_assertion(AC_JWS_RS256);
}

/* A public key cannot sign. */
static void test_assertion_needs_private_key(void **state)
{
    struct ac_err err;
    (void)state;
    struct ac_jwk *key = ac_jwk_generate(AC_JWS_ES256, &err);
    char *pem = ac_jwk_to_pem(key, false, &err);
    struct ac_jwk *pub = ac_jwk_from_pem(pem, strlen(pem), &err);
    assert_non_null(pub);
    assert_null(assertion_new(pub, "c", ISS, &err));
    free(pem);
    ac_jwk_free(pub);
    ac_jwk_free(key);
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
        cmocka_unit_test(test_listener_ignores_strays),
        cmocka_unit_test(test_listener_iss_mismatch_fatal),
        cmocka_unit_test(test_listener_stop_sends_the_page),
        cmocka_unit_test(test_paste_judge),
        cmocka_unit_test(test_assertion_es256),
        cmocka_unit_test(test_assertion_rs256),
        cmocka_unit_test(test_assertion_needs_private_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
