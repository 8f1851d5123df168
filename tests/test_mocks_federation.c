/* Tests of the federation grants at the mocks (mocks/issuers.c,
 * as_jwtbearer.c): workload identity federation's JWT bearer grant with
 * the world's workload JWTs (valid, wrong audience, expired, anonymous,
 * a forged one), and enterprise-managed authorization: the IdP's token
 * exchange (parameters, ID token, audience) and the ID-JAG at the AS
 * (client authentication, jti replay). */
#include "tests/support/mock_http.h"
#include "common/form.h"
#include "common/jwk.h"
#include "common/jwt.h"

static const char *const scenario_text =
    "{\"id\":\"t/fed\",\"authorization_servers\":[{\"id\":\"as\","
    "\"issuer_path\":\"\",\"discovery\":[\"oauth\"],\"registration\":"
    "[\"pre\"],\"tokens\":{\"access_ttl\":3600,\"refresh\":\"rotate\"},"
    "\"clients\":[{\"client_id\":\"xaa\",\"client_secret\":\"xaa-secret\","
    "\"token_endpoint_auth_method\":\"client_secret_basic\",\"grant_types\":"
    "[\"urn:ietf:params:oauth:grant-type:jwt-bearer\"]},"
    "{\"client_id\":\"wl\",\"token_endpoint_auth_method\":\"none\","
    "\"grant_types\":[\"authorization_code\"]}]}],"
    "\"mcp_server\":{\"path\":\"/mcp\",\"wire\":\"2025-11-25\",\"prm\":"
    "\"path\",\"tools\":[{\"name\":\"echo\"}]},"
    "\"workload_issuer\":{},\"enterprise_idp\":{\"as_client_id\":\"xaa\"},"
    "\"rules\":[],\"client\":{\"runs\":1},\"checks\":[]}";

#define JB "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define BASIC "Authorization: Basic eGFhOnhhYS1zZWNyZXQ=" /* xaa:xaa-secret */

struct fx {
    struct mo_world *w;
    json_t *vars;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    f->w = th_world_start(scenario_text);
    f->vars = mo_world_ext_vars(f->w);
    *state = f;
    return f->vars != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    json_decref(f->vars);
    mo_world_stop(f->w);
    curl_global_cleanup();
    free(f);
    return 0;
}

static const char *var(const struct fx *f, const char *name)
{
    const char *v = ac_json_str(f->vars, name);

    assert_non_null(v);
    return v;
}

/* A JWT bearer grant with `assertion` and an optional extra header. */
static long bearer_grant(struct fx *f, const char *assertion, const char *hdr,
                         struct th_resp *r)
{
    struct ac_form form;
    char *url = th_url(f->w, "/token"), *body;
    long st;

    ac_form_init(&form);
    assert_true(ac_form_add(&form, "grant_type", JB, NULL));
    assert_true(ac_form_add(&form, "assertion", assertion, NULL));
    body = ac_form_encode(&form);
    st = th_post_form(url, hdr, body, r);
    ac_form_free(&form);
    free(body);
    free(url);
    return st;
}

static void test_wif(void **state)
{
    struct fx *f = *state;
    struct th_resp r;
    struct ac_jwk *forger = ac_jwk_generate(AC_JWS_ES256, NULL);
    json_t *claims = NULL, *hdr = NULL;
    char *forged, *rt;

    /* anonymous (RFC 7523 §3.1): a Bearer token and no refresh token */
    assert_int_equal(bearer_grant(f, var(f, "wif_valid_jwt"), NULL, &r), 200);
    rt = th_json_member(&r, "refresh_token");
    assert_null(rt);
    th_resp_free(&r);
    bearer_grant(f, var(f, "wif_wrong_audience_jwt"), NULL, &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    bearer_grant(f, var(f, "wif_expired_jwt"), NULL, &r);
    th_assert_error(&r, 400, "invalid_grant");
    assert_non_null(strstr(r.body, "expired"));
    th_resp_free(&r);
    /* the same claims signed by another key */
    assert_true(
        ac_jwt_peek_unverified(var(f, "wif_valid_jwt"), &hdr, &claims, NULL));
    forged = ac_jwt_sign(forger, "JWT", claims, NULL);
    bearer_grant(f, forged, NULL, &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    free(forged);
    json_decref(claims);
    json_decref(hdr);
    ac_jwk_free(forger);
}

static long exchange(struct fx *f, const char *subject_type,
                     const char *audience, struct th_resp *r)
{
    struct ac_form form;
    char *url = th_fmt("%s", var(f, "idp_token_endpoint")), *body;
    long st;

    ac_form_init(&form);
    assert_true(ac_form_add(&form, "grant_type",
                            "urn:ietf:params:oauth:grant-type:token-exchange",
                            NULL));
    assert_true(ac_form_add(&form, "requested_token_type",
                            "urn:ietf:params:oauth:token-type:id-jag", NULL));
    assert_true(ac_form_add(&form, "audience", audience, NULL));
    assert_true(ac_form_add(&form, "resource", mo_world_resource(f->w), NULL));
    assert_true(
        ac_form_add(&form, "subject_token", var(f, "idp_id_token"), NULL));
    assert_true(ac_form_add(&form, "subject_token_type", subject_type, NULL));
    assert_true(
        ac_form_add(&form, "client_id", "conformance-test-idp-client", NULL));
    body = ac_form_encode(&form);
    st = th_post_form(url, NULL, body, r);
    ac_form_free(&form);
    free(body);
    free(url);
    return st;
}

static void test_ema(void **state)
{
    struct fx *f = *state;
    struct th_resp r;
    const char *iss = mo_world_issuer(f->w, 0);
    char *jag, *itt;

    exchange(f, "urn:ietf:params:oauth:token-type:access_token", iss, &r);
    th_assert_error(&r, 400, "invalid_request");
    th_resp_free(&r);
    exchange(f, "urn:ietf:params:oauth:token-type:id_token",
             "https://elsewhere.example", &r);
    th_assert_error(&r, 400, "invalid_target");
    th_resp_free(&r);
    assert_int_equal(
        exchange(f, "urn:ietf:params:oauth:token-type:id_token", iss, &r), 200);
    jag = th_json_member(&r, "access_token");
    itt = th_json_member(&r, "issued_token_type");
    assert_string_equal(itt, "urn:ietf:params:oauth:token-type:id-jag");
    th_resp_free(&r);
    /* the ID-JAG needs the client that it names */
    bearer_grant(f, jag, NULL, &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    assert_int_equal(bearer_grant(f, jag, BASIC, &r), 200);
    th_resp_free(&r);
    /* jti replay (EMA security considerations) */
    bearer_grant(f, jag, BASIC, &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    free(jag);
    free(itt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wif, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ema, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
