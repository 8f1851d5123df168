/* Tests of DPoP at the mocks (mocks/dpop.c, as_dpop.c, mcp.c): the
 * metadata, use_dpop_nonce at the token endpoint, token_type DPoP bound to
 * the proof's key, the refresh token of a public client bound too, and at
 * the MCP server: the DPoP scheme with ath and content_digest, a Bearer
 * presentation of a bound token refused, a foreign key refused, a replayed
 * jti refused, and the DPoP algs challenge. */
#include "tests/support/mock_http.h"

#include "common/clock.h"
#include "common/dpop.h"
#include "common/jwk.h"

static const char *const scenario_text =
    "{\"id\":\"t/dpop\",\"authorization_servers\":[{\"id\":\"as\","
    "\"issuer_path\":\"\",\"discovery\":[\"oauth\"],\"registration\":"
    "[\"dcr\"],\"scopes_supported\":[\"mcp:tools\"],"
    "\"tokens\":{\"access_ttl\":3600,\"refresh\":\"rotate\"},"
    "\"dpop\":{\"algs\":[\"ES256\"],\"nonce\":true}}],"
    "\"mcp_server\":{\"path\":\"/mcp\",\"wire\":\"2025-11-25\",\"prm\":"
    "\"path\",\"scopes_supported\":[\"mcp:tools\"],\"challenge\":"
    "{\"resource_metadata\":true,\"scope\":\"mcp:tools\"},\"tools\":"
    "[{\"name\":\"echo\",\"scope\":\"mcp:tools\"}],"
    "\"dpop\":{\"required\":true,\"algs\":[\"ES256\"]}},"
    "\"rules\":[],\"client\":{\"runs\":1},\"checks\":[]}";

struct fx {
    struct mo_world *w;
    struct ac_jwk *key, *other;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    f->w = th_world_start(scenario_text);
    f->key = ac_jwk_generate(AC_JWS_ES256, NULL);
    f->other = ac_jwk_generate(AC_JWS_ES256, NULL);
    *state = f;
    return f->w != NULL && f->key != NULL && f->other != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    mo_world_stop(f->w);
    ac_jwk_free(f->key);
    ac_jwk_free(f->other);
    free(f);
    return 0;
}

/* "DPoP: <proof>" for a request; a new string. */
static char *proof_hdr(const struct ac_jwk *k, const char *url,
                       const char *token, const char *body, const char *nonce)
{
    struct ac_dpop_claims c = {.htm = "POST",
                               .htu = url,
                               .access_token = token,
                               .nonce = nonce,
                               .body = body,
                               .body_len = body != NULL ? strlen(body) : 0,
                               .iat = ac_now()};
    char *p = ac_dpop_proof(k, &c, NULL);
    char *h = th_fmt("DPoP: %s", p);

    free(p);
    return h;
}

static long token_req(struct fx *f, const char *body, const char *dpop,
                      struct th_resp *r)
{
    char *url = th_url(f->w, "/token");
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", dpop,
                       NULL};
    long st = th_http("POST", url, h, body, 0, r);

    free(url);
    return st;
}

static long mcp_req(struct fx *f, const char *auth, const char *dpop,
                    struct th_resp *r)
{
    const char *h[] = {TH_ACCEPT, "Content-Type: application/json", auth, dpop,
                       NULL};

    return th_http("POST", mo_world_mcp_url(f->w), h, TH_INIT, 0, r);
}

/* Token request with the nonce dance: the first proof has none, the AS
 * answers use_dpop_nonce, the second carries it. Returns the JSON. */
static json_t *token_with_nonce(struct fx *f, const struct ac_jwk *k,
                                const char *body, long want)
{
    char *url = th_url(f->w, "/token");
    char *h = proof_hdr(k, url, NULL, NULL, NULL);
    struct th_resp r;
    char *nonce;
    json_t *doc;

    assert_int_equal(token_req(f, body, h, &r), 400);
    th_assert_error(&r, 400, "use_dpop_nonce");
    nonce = strdup(th_header(&r, "DPoP-Nonce"));
    th_resp_free(&r);
    free(h);
    h = proof_hdr(k, url, NULL, NULL, nonce);
    assert_int_equal(token_req(f, body, h, &r), want);
    doc = th_json(&r);
    th_resp_free(&r);
    free(h);
    free(nonce);
    free(url);
    return doc;
}

/* Does some WWW-Authenticate line contain `text`? */
static bool challenge_has(const struct th_resp *r, const char *text)
{
    for (size_t i = 0; i < r->nh; i++) {
        if (strncasecmp(r->hdrs[i], "WWW-Authenticate:", 17) == 0 &&
            strstr(r->hdrs[i], text) != NULL) {
            return true;
        }
    }
    return false;
}

static void test_dpop_flow(void **state)
{
    struct fx *f = *state;
    struct th_client c;
    struct th_resp r;
    json_t *tok, *md, *bad, *again;
    char *code, *auth, *mcp_auth, *bearer, *p, *rt_body, *code_body;
    const char *mcp = mo_world_mcp_url(f->w);

    /* RFC 9449 §5.1: the metadata lists the algorithms. */
    p = th_url(f->w, "/.well-known/oauth-authorization-server");
    assert_int_equal(th_http("GET", p, NULL, NULL, 0, &r), 200);
    md = th_json(&r);
    th_resp_free(&r);
    free(p);
    assert_true(ac_json_array_has_str(
        json_object_get(md, "dpop_signing_alg_values_supported"), "ES256"));
    json_decref(md);

    assert_true(th_register(f->w, "none",
                            "[\"authorization_code\",\"refresh_token\"]", &c));
    code = th_code(f->w, c.id, "mcp:tools");
    code_body = th_code_body(f->w, c.id, code, TH_VERIFIER);
    tok = token_with_nonce(f, f->key, code_body, 200);
    free(code_body);
    assert_string_equal(ac_json_str(tok, "token_type"), "DPoP");
    auth = th_fmt("Authorization: DPoP %s", ac_json_str(tok, "access_token"));
    bearer =
        th_fmt("Authorization: Bearer %s", ac_json_str(tok, "access_token"));
    mcp_auth = (char *)ac_json_str(tok, "access_token");

    /* No credentials: a server requiring DPoP challenges with DPoP only
     * (RFC 9449 §7.1), naming its PRM (RFC 9728 §5.1) and algs, as the
     * official auth/dpop server does. */
    assert_int_equal(mcp_req(f, NULL, NULL, &r), 401);
    assert_int_equal(strncmp(th_header(&r, "WWW-Authenticate"), "DPoP ", 5), 0);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "resource_metadata=\""));
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "algs=\"ES256\""));
    assert_false(challenge_has(&r, "Bearer"));
    th_resp_free(&r);
    /* RFC 9449 §7.2: a bound token as Bearer is refused. */
    assert_int_equal(mcp_req(f, bearer, NULL, &r), 401);
    assert_non_null(strstr(th_header(&r, "WWW-Authenticate"), "invalid_token"));
    th_resp_free(&r);
    /* The DPoP scheme without a proof. */
    assert_int_equal(mcp_req(f, auth, NULL, &r), 401);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "invalid_dpop_proof"));
    th_resp_free(&r);
    /* A proof by another key than cnf.jkt. */
    p = proof_hdr(f->other, mcp, mcp_auth, TH_INIT, NULL);
    assert_int_equal(mcp_req(f, auth, p, &r), 401);
    th_resp_free(&r);
    free(p);
    /* A proof for another body (content_digest). */
    p = proof_hdr(f->key, mcp, mcp_auth, "{}", NULL);
    assert_int_equal(mcp_req(f, auth, p, &r), 401);
    th_resp_free(&r);
    free(p);
    /* The right proof passes once; its replay is refused (jti). */
    p = proof_hdr(f->key, mcp, mcp_auth, TH_INIT, NULL);
    assert_int_equal(mcp_req(f, auth, p, &r), 200);
    th_resp_free(&r);
    assert_int_equal(mcp_req(f, auth, p, &r), 401);
    assert_non_null(strstr(th_header(&r, "WWW-Authenticate"), "jti"));
    th_resp_free(&r);
    free(p);

    /* RFC 9449 §5: the public client's refresh token is bound. */
    rt_body = th_fmt("grant_type=refresh_token&client_id=%s&refresh_token=%s",
                     c.id, ac_json_str(tok, "refresh_token"));
    bad = token_with_nonce(f, f->other, rt_body, 400);
    assert_string_equal(ac_json_str(bad, "error"), "invalid_grant");
    again = token_with_nonce(f, f->key, rt_body, 200);
    assert_string_equal(ac_json_str(again, "token_type"), "DPoP");

    json_decref(bad);
    json_decref(again);
    free(rt_body);
    free(auth);
    free(bearer);
    free(code);
    json_decref(tok);
    th_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dpop_flow, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
