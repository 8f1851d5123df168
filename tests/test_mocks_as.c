/* Tests of the mock authorization server (mocks/as.c) and the httpd
 * wrapper, over loopback with libcurl: metadata, registration, authorize,
 * token, revocation, every error answer, and the transcript. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/b64url.h"
#include "common/clock.h"
#include "tests/support/asserts.h"
#include "tests/support/mock_http.h"
#include "tests/support/oauth_chars.h"

static const char *const scenario_text =
    "{\"id\":\"t/as\",\"authorization_servers\":[{\"id\":\"as\","
    "\"issuer_path\":\"\",\"discovery\":[\"oauth\"],\"registration\":"
    "[\"dcr\"],\"scopes_supported\":[\"mcp:tools\",\"mcp:admin\"],"
    "\"tokens\":{\"access_ttl\":3600,\"refresh\":\"rotate\"}}],"
    "\"mcp_server\":{\"path\":\"/mcp\",\"wire\":\"2025-11-25\",\"prm\":"
    "\"path\",\"scopes_supported\":[\"mcp:tools\"],\"challenge\":"
    "{\"resource_metadata\":true,\"scope\":\"mcp:tools\"},\"tools\":"
    "[{\"name\":\"echo\",\"scope\":\"mcp:tools\"}]},\"rules\":[],"
    "\"checks\":[]}";

static int group_setup(void **state)
{
    *state = th_group_world(scenario_text);
    return 0;
}

/* --- metadata ------------------------------------------------------- */

static void test_metadata(void **state)
{
    struct mo_world *w = *state;
    char *url = th_fmt("%s/.well-known/oauth-authorization-server",
                       mo_world_issuer(w, 0));
    struct th_resp r;
    json_t *doc;
    char *want;

    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 200);
    doc = th_json(&r);
    assert_non_null(doc);
    assert_string_equal(ac_json_str(doc, "issuer"), mo_world_issuer(w, 0));
    want = th_url(w, "/token");
    assert_string_equal(ac_json_str(doc, "token_endpoint"), want);
    free(want);
    want = th_url(w, "/register");
    assert_string_equal(ac_json_str(doc, "registration_endpoint"), want);
    free(want);
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "code_challenge_methods_supported"), "S256"));
    assert_true(ac_json_array_has_str(json_object_get(doc, "scopes_supported"),
                                      "mcp:admin"));
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "token_endpoint_auth_methods_supported"),
        "client_secret_post"));
    assert_true(json_is_true(json_object_get(
        doc, "authorization_response_iss_parameter_supported")));
    assert_non_null(ac_json_str(doc, "revocation_endpoint"));
    assert_string_equal(th_header(&r, "Content-Type"), "application/json");
    json_decref(doc);
    th_resp_free(&r);
    free(url);
}

static void test_discovery_variants(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"t1\",\"issuer_path\":"
        "\"/tenant1\",\"discovery\":[\"oauth\",\"oidc\"]}],"
        "\"mcp_server\":{\"path\":\"/mcp\"}}");
    char *origin = strndup(mo_world_issuer(w, 0),
                           strlen(mo_world_issuer(w, 0)) - strlen("/tenant1"));
    static const struct {
        const char *path;
        long status;
    } cases[] = {
        {"/.well-known/oauth-authorization-server/tenant1", 200},
        {"/.well-known/openid-configuration/tenant1", 200},
        {"/tenant1/.well-known/openid-configuration", 200},
        {"/.well-known/oauth-authorization-server", 404},
        {"/.well-known/openid-configuration", 404},
    };

    (void)state;
    assert_non_null(strstr(mo_world_issuer(w, 0), "/tenant1"));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *url = th_fmt("%s%s", origin, cases[i].path);
        struct th_resp r;

        assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r),
                         cases[i].status);
        if (cases[i].status == 200) {
            json_t *doc = th_json(&r);

            assert_string_equal(ac_json_str(doc, "issuer"),
                                mo_world_issuer(w, 0));
            json_decref(doc);
        }
        th_resp_free(&r);
        free(url);
    }
    assert_int_equal(th_count(w, "t1", "metadata"), 1);
    assert_int_equal(th_count(w, "t1", "oidc"), 2);
    assert_int_equal(th_count(w, "t1", "unknown"), 2);
    free(origin);
    mo_world_stop(w);
}

/* --- the wrapper: 404, 405, 413 ------------------------------------- */

static void test_wrapper_errors(void **state)
{
    struct mo_world *w = *state;
    char *url = th_url(w, "/nowhere");
    char *tok = th_url(w, "/token");
    struct th_resp r;
    size_t big = 300 * 1024;
    char *body = malloc(big + 1);

    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 404);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", tok, NULL, NULL, 0, &r), 405);
    assert_string_equal(th_header(&r, "Allow"), "POST");
    th_resp_free(&r);
    memset(body, 'a', big);
    body[big] = '\0';
    assert_int_equal(th_post_form(tok, NULL, body, &r), 413);
    th_resp_free(&r);
    assert_int_cmp(th_count(w, "as", "unknown"), >=, 1);
    free(body);
    free(url);
    free(tok);
}

/* --- registration --------------------------------------------------- */

static void test_register_ok(void **state)
{
    struct mo_world *w = *state;
    char *url = th_url(w, "/register");
    struct th_resp r;
    json_t *doc;

    assert_int_equal(th_post_json(url,
                                  "{\"redirect_uris\":[\"" TH_REDIRECT "\"],"
                                  "\"client_name\":\"x\"}",
                                  &r),
                     201);
    doc = th_json(&r);
    /* RFC 7591 §2 default method is client_secret_basic: a secret. */
    assert_non_null(ac_json_str(doc, "client_id"));
    assert_non_null(ac_json_str(doc, "client_secret"));
    assert_string_equal(ac_json_str(doc, "token_endpoint_auth_method"),
                        "client_secret_basic");
    assert_string_equal(ac_json_str(doc, "client_name"), "x");
    assert_int_equal(
        json_integer_value(json_object_get(doc, "client_secret_expires_at")),
        0);
    assert_true(json_is_integer(json_object_get(doc, "client_id_issued_at")));
    assert_true(ac_json_array_has_str(json_object_get(doc, "grant_types"),
                                      "authorization_code"));
    assert_string_equal(th_header(&r, "Cache-Control"), "no-store");
    json_decref(doc);
    th_resp_free(&r);

    assert_int_equal(
        th_post_json(url,
                     "{\"redirect_uris\":[\"https://app.example/cb\","
                     "\"com.example.app:/cb\"],"
                     "\"token_endpoint_auth_method\":\"none\"}",
                     &r),
        201);
    doc = th_json(&r);
    assert_null(json_object_get(doc, "client_secret"));
    json_decref(doc);
    th_resp_free(&r);
    free(url);
}

/* A world advertising only client_secret_post: a registration without a
 * method, or asking for one not advertised, gets client_secret_post, and
 * the token endpoint accepts exactly that. */
static void test_register_assigns_advertised(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\","
        "\"token_endpoint_auth_methods\":[\"client_secret_post\"]}],"
        "\"mcp_server\":{}}");
    char *url = th_url(w, "/register");
    char *md_url = th_fmt("%s/.well-known/oauth-authorization-server",
                          mo_world_issuer(w, 0));
    static const char *const asks[] = {
        "", ",\"token_endpoint_auth_method\":\"none\"", NULL};
    struct th_resp r;
    json_t *doc;

    (void)state;
    assert_int_equal(th_http("GET", md_url, NULL, NULL, 0, &r), 200);
    doc = th_json(&r);
    assert_int_equal(json_array_size(json_object_get(
                         doc, "token_endpoint_auth_methods_supported")),
                     1);
    json_decref(doc);
    th_resp_free(&r);
    for (size_t i = 0; asks[i] != NULL; i++) {
        char *body =
            th_fmt("{\"redirect_uris\":[\"" TH_REDIRECT "\"]%s}", asks[i]);
        char *id, *code, *form, *tok = th_url(w, "/token");

        assert_int_equal(th_post_json(url, body, &r), 201);
        doc = th_json(&r);
        th_resp_free(&r);
        assert_string_equal(ac_json_str(doc, "token_endpoint_auth_method"),
                            "client_secret_post");
        assert_non_null(ac_json_str(doc, "client_secret"));
        id = strdup(ac_json_str(doc, "client_id"));
        code = th_code(w, id, NULL);
        assert_non_null(code);
        form = th_code_body(w, id, code, TH_VERIFIER);
        free(code);
        code = th_fmt("%s&client_secret=%s", form,
                      ac_json_str(doc, "client_secret"));
        assert_int_equal(th_post_form(tok, NULL, code, &r), 200);
        th_resp_free(&r);
        free(code);
        free(form);
        free(id);
        free(tok);
        free(body);
        json_decref(doc);
    }
    free(md_url);
    free(url);
    mo_world_stop(w);
}

/* GET /authorize for client `id` with redirect URI `redirect` (else a
 * correct query). Returns the status. */
static long authorize_with(struct mo_world *w, const char *id,
                           const char *redirect)
{
    char *chal = ac_pkce_s256(TH_VERIFIER, NULL);
    char *res = ac_pct_encode(mo_world_resource(w));
    char *cid = ac_pct_encode(id);
    char *redir = ac_pct_encode(redirect);
    char *q = th_fmt("response_type=code&client_id=%s&redirect_uri=%s&"
                     "code_challenge=%s&code_challenge_method=S256&"
                     "resource=%s&state=st",
                     cid, redir, chal, res);
    struct th_resp r;
    long st = th_authorize_raw(w, q, &r);

    th_resp_free(&r);
    free(q);
    free(redir);
    free(cid);
    free(res);
    free(chal);
    return st;
}

/* The official suite's conventions: its fixed client ID metadata URL is
 * a client without any fetch that may use any http loopback redirect URI
 * (mcp-remote's /oauth/callback too), as may a pre-registered client with
 * any_loopback_redirect; other pre-registered clients' loopback URIs match
 * in either spelling (localhost, 127.0.0.1) on any port under
 * loopback_any_port; other URIs still need an exact match (a 400 page, no
 * redirect). */
static void test_official_clients(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"pre\",\"cimd\"],\"loopback_any_port\":true,\"clients\":"
        "[{\"client_id\":\"pre-registered-client\",\"client_secret\":"
        "\"pre-registered-secret\",\"redirect_uris\":["
        "\"http://127.0.0.1/callback\",\"http://localhost/callback\"]},"
        "{\"client_id\":\"any\",\"any_loopback_redirect\":true}]}],"
        "\"mcp_server\":{}}");
    static const char cimd[] =
        "https://conformance-test.local/client-metadata.json";
    static const struct {
        const char *id, *redirect;
        long status;
    } cases[] = {
        {cimd, "http://localhost:3000/callback", 302},
        {cimd, "http://127.0.0.1:41234/callback", 302},
        {cimd, "http://localhost:3000/oauth/callback", 302},
        {cimd, "https://app.example/callback", 400},
        {"any", "http://localhost:5123/oauth/callback", 302},
        {"any", "http://[::1]:5123/x", 302},
        {"any", "https://localhost/callback", 400},
        {"any", "http://app.example/callback", 400},
        {"pre-registered-client", "http://localhost:3000/callback", 302},
        {"pre-registered-client", "http://127.0.0.1:8080/callback", 302},
        {"pre-registered-client", "http://127.0.0.1/callback", 302},
        {"pre-registered-client", "http://localhost:3000/cb", 400},
        {"pre-registered-client", "https://localhost/callback", 400},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long st = authorize_with(w, cases[i].id, cases[i].redirect);

        if (st != cases[i].status) {
            fail_msg("%s with %s: %ld, want %ld", cases[i].id,
                     cases[i].redirect, st, cases[i].status);
        }
    }
    /* Resolved without a request to conformance-test.local. */
    assert_int_equal(th_count(w, "cimd", "cimd"), 0);
    mo_world_stop(w);
    /* Without loopback_any_port the built-in document still takes any
     * port (it names none of its own); a registered URI does not. */
    w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"dcr\",\"cimd\"]}],\"mcp_server\":{}}");
    assert_int_equal(authorize_with(w, cimd, "http://127.0.0.1:41234/callback"),
                     302);
    mo_world_stop(w);
}

static void test_register_errors(void **state)
{
    static const struct {
        const char *ctype;
        const char *body;
        const char *error;
    } cases[] = {
        {"application/json", "{", "invalid_client_metadata"},
        {"application/json", "[]", "invalid_client_metadata"},
        {"application/json",
         "{\"redirect_uris\":[\"https://a.example/cb\"],"
         "\"redirect_uris\":[\"https://b.example/cb\"]}",
         "invalid_client_metadata"},
        {"text/plain", "{\"redirect_uris\":[\"https://a.example/cb\"]}",
         "invalid_client_metadata"},
        {"application/json", "{}", "invalid_redirect_uri"},
        {"application/json", "{\"redirect_uris\":[]}", "invalid_redirect_uri"},
        {"application/json", "{\"redirect_uris\":[\"http://evil.example/cb\"]}",
         "invalid_redirect_uri"},
        {"application/json", "{\"redirect_uris\":[\"/relative\"]}",
         "invalid_redirect_uri"},
        {"application/json",
         "{\"redirect_uris\":[\"https://a.example/cb#frag\"]}",
         "invalid_redirect_uri"},
        {"application/json",
         "{\"redirect_uris\":[\"https://a.example/cb\"],"
         "\"token_endpoint_auth_method\":\"private_key_jwt\"}",
         "invalid_client_metadata"},
        {"application/json",
         "{\"redirect_uris\":[\"https://a.example/cb\"],"
         "\"grant_types\":[\"password\"]}",
         "invalid_client_metadata"},
        {"application/json",
         "{\"redirect_uris\":[\"https://a.example/cb\"],"
         "\"response_types\":[\"token\"]}",
         "invalid_client_metadata"},
        {"application/json",
         "{\"redirect_uris\":[\"https://a.example/cb\"],"
         "\"grant_types\":[\"refresh_token\"]}",
         "invalid_client_metadata"},
    };
    struct mo_world *w = *state;
    char *url = th_url(w, "/register");

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *ct = th_fmt("Content-Type: %s", cases[i].ctype);
        const char *h[] = {ct, NULL};
        struct th_resp r;

        th_http("POST", url, h, cases[i].body, 0, &r);
        th_assert_error(&r, 400, cases[i].error);
        th_resp_free(&r);
        free(ct);
    }
    free(url);
}

/* --- authorization endpoint ----------------------------------------- */

static void test_authorize_no_redirect(void **state)
{
    struct mo_world *w = *state;
    struct th_client c;
    char *q;
    struct th_resp r;
    const char *queries[3];

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    q = th_fmt("response_type=code&client_id=%s&redirect_uri="
               "http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fother",
               c.id);
    queries[0] = "response_type=code&client_id=nobody";
    queries[1] = "response_type=code";
    queries[2] = q;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(th_authorize_raw(w, queries[i], &r), 400);
        assert_null(th_header(&r, "Location"));
        assert_non_null(strstr(th_header(&r, "Content-Type"), "text/html"));
        th_resp_free(&r);
    }
    free(q);
    th_client_free(&c);
}

/* Build an authorization query from the correct one, dropping `omit` and
 * setting `name` to `value` (both may be NULL), then `extra`. */
static char *query_with(struct mo_world *w, const char *id, const char *omit,
                        const char *name, const char *value, const char *extra)
{
    char *base = th_authz_query(w, id, NULL, "");
    struct ac_form f, out;
    char *q, *enc;

    assert_true(ac_form_parse(base, &f, NULL));
    ac_form_init(&out);
    for (size_t i = 0; i < f.n; i++) {
        const char *n = f.pairs[i].name;

        if ((omit != NULL && strcmp(n, omit) == 0) ||
            (name != NULL && strcmp(n, name) == 0)) {
            continue;
        }
        ac_form_add(&out, n, f.pairs[i].value, NULL);
    }
    if (name != NULL) {
        ac_form_add(&out, name, value, NULL);
    }
    enc = ac_form_encode(&out);
    q = th_fmt("%s%s", enc, extra != NULL ? extra : "");
    free(enc);
    free(base);
    ac_form_free(&f);
    ac_form_free(&out);
    return q;
}

static void test_authorize_errors(void **state)
{
    static const struct {
        const char *omit, *name, *value, *extra, *error;
    } cases[] = {
        {"response_type", NULL, NULL, NULL, "invalid_request"},
        {NULL, "response_type", "token", NULL, "unsupported_response_type"},
        {"code_challenge", NULL, NULL, NULL, "invalid_request"},
        {"code_challenge_method", NULL, NULL, NULL, "invalid_request"},
        {NULL, "code_challenge_method", "plain", NULL, "invalid_request"},
        {NULL, "code_challenge", "tooshort", NULL, "invalid_request"},
        {"resource", NULL, NULL, NULL, "invalid_target"},
        {NULL, "resource", "http://127.0.0.1:1/other", NULL, "invalid_target"},
        {NULL, "scope", "mcp:tools unknown:scope", NULL, "invalid_scope"},
        {NULL, NULL, NULL, "&state=again", "invalid_request"},
        {NULL, NULL, NULL, "&resource=x", "invalid_target"},
        {NULL, NULL, NULL, "&bad=%zz", "invalid_request"},
    };
    struct mo_world *w = *state;
    struct th_client c;

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *q = query_with(w, c.id, cases[i].omit, cases[i].name,
                             cases[i].value, cases[i].extra);
        struct th_resp r;
        const char *loc;
        char *err, *st, *iss;

        assert_int_equal(th_authorize_raw(w, q, &r), 302);
        loc = th_header(&r, "Location");
        assert_non_null(loc);
        assert_strn_equal(loc, TH_REDIRECT "?", strlen(TH_REDIRECT) + 1);
        err = th_query_param(loc, "error");
        st = th_query_param(loc, "state");
        iss = th_query_param(loc, "iss");
        if (err == NULL || strcmp(err, cases[i].error) != 0) {
            fail_msg("case %zu: want %s, got %s", i, cases[i].error, loc);
        }
        assert_null(th_query_param(loc, "code"));
        assert_string_equal(st, "st");
        assert_string_equal(iss, mo_world_issuer(w, 0));
        free(err);
        free(st);
        free(iss);
        th_resp_free(&r);
        free(q);
    }
    th_client_free(&c);
}

static void test_authorize_success(void **state)
{
    struct mo_world *w = *state;
    struct th_client c;
    char *q;
    struct th_resp r;
    const char *loc;
    char *v;

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    q = th_authz_query(w, c.id, "mcp:tools", "");
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    loc = th_header(&r, "Location");
    v = th_query_param(loc, "code");
    assert_non_null(v);
    assert_int_cmp(strlen(v), >=, 32);
    free(v);
    v = th_query_param(loc, "state");
    assert_string_equal(v, "st");
    free(v);
    v = th_query_param(loc, "iss");
    assert_string_equal(v, mo_world_issuer(w, 0));
    free(v);
    th_resp_free(&r);
    free(q);

    /* No state sent: none returned; redirect_uri omitted: the only one. */
    q = query_with(w, c.id, "state", NULL, NULL, NULL);
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    assert_null(th_query_param(th_header(&r, "Location"), "state"));
    th_resp_free(&r);
    free(q);
    q = query_with(w, c.id, "redirect_uri", NULL, NULL, NULL);
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    v = th_query_param(th_header(&r, "Location"), "code");
    assert_non_null(v);
    free(v);
    th_resp_free(&r);
    free(q);
    th_client_free(&c);
}

/* --- token endpoint ------------------------------------------------- */

/* A public client registered for the code grant, and a fresh code of it. */
static char *public_client_code(struct mo_world *w, struct th_client *c)
{
    char *code;

    assert_true(th_register(w, "none", "[\"authorization_code\"]", c));
    code = th_code(w, c->id, "mcp:tools");
    assert_non_null(code);
    return code;
}

static void test_token_errors(void **state)
{
    struct mo_world *w = *state;
    struct th_client c;
    char *code = public_client_code(w, &c), *good, *url = th_url(w, "/token");
    char *res = ac_pct_encode(mo_world_resource(w));
    char *redir = ac_pct_encode(TH_REDIRECT);
    struct th_resp r;

    good = th_code_body(w, c.id, code, TH_VERIFIER);
    {
        char *b[] = {
            th_fmt("%s&grant_type=authorization_code", good),
            th_fmt("code=%s&client_id=%s", code, c.id),
            th_fmt("grant_type=password&client_id=%s", c.id),
            th_fmt("grant_type=authorization_code&client_id=nobody"),
            th_fmt("grant_type=authorization_code&code=%s", code),
            th_fmt("grant_type=authorization_code&client_id=%s", c.id),
            th_fmt("grant_type=authorization_code&client_id=%s&code=nope&"
                   "redirect_uri=%s&code_verifier=%s&resource=%s",
                   c.id, redir, TH_VERIFIER, res),
            th_code_body(w, c.id, code,
                         "wrongwrongwrongwrongwrongwrongwrongwrong123"),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "redirect_uri=%s&resource=%s",
                   c.id, code, redir, res),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fx&"
                   "code_verifier=%s&resource=%s",
                   c.id, code, TH_VERIFIER, res),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "code_verifier=%s&resource=%s",
                   c.id, code, TH_VERIFIER, res),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "redirect_uri=%s&code_verifier=%s",
                   c.id, code, redir, TH_VERIFIER),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "redirect_uri=%s&code_verifier=%s&resource=http%%3A%%2F"
                   "%%2Fother.example%%2Fmcp",
                   c.id, code, redir, TH_VERIFIER),
            th_fmt("grant_type=refresh_token&client_id=%s&refresh_token=x",
                   c.id),
        };
        static const struct {
            long status;
            const char *error;
        } want[] = {
            {400, "invalid_request"},        {400, "invalid_request"},
            {400, "unsupported_grant_type"}, {401, "invalid_client"},
            {401, "invalid_client"},         {400, "invalid_request"},
            {400, "invalid_grant"},          {400, "invalid_grant"},
            {400, "invalid_grant"},          {400, "invalid_grant"},
            {400, "invalid_grant"},          {400, "invalid_target"},
            {400, "invalid_target"},         {400, "unauthorized_client"},
        };

        for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
            th_post_form(url, NULL, b[i], &r);
            if (r.status != want[i].status ||
                strstr(r.body, want[i].error) == NULL) {
                fail_msg("case %zu: want %ld %s, got %ld %s", i, want[i].status,
                         want[i].error, r.status, r.body);
            }
            assert_string_equal(th_header(&r, "Cache-Control"), "no-store");
            th_resp_free(&r);
            free(b[i]);
        }
    }
    /* Wrong Content-Type. */
    {
        const char *h[] = {"Content-Type: application/json", NULL};

        th_http("POST", url, h, good, 0, &r);
        th_assert_error(&r, 400, "invalid_request");
        th_resp_free(&r);
    }
    /* The failures did not consume the code. */
    assert_int_equal(th_post_form(url, NULL, good, &r), 200);
    th_resp_free(&r);
    free(code);
    free(good);
    free(url);
    free(res);
    free(redir);
    th_client_free(&c);
}

/* A client may send any bytes; bytes that are not UTF-8 in any member of
 * a token request get the same OAuth error as any other wrong value,
 * never the mocks' own 500 (the fuzzer found every secret-bearing member
 * doing that: the secrets list is JSON). */
static void test_token_bytes_not_utf8(void **state)
{
    struct mo_world *w = *state;
    struct th_client c;
    char *code = public_client_code(w, &c), *url = th_url(w, "/token");
    char *res = ac_pct_encode(mo_world_resource(w));
    char *redir = ac_pct_encode(TH_REDIRECT);
    struct th_resp r;

    {
        char *b[] = {
            /* ASCII but malformed: the mocks' own description. */
            th_code_body(w, c.id, code, "short"),
            th_code_body(w, c.id, code, TH_VERIFIER "%FF"),
            th_code_body(w, c.id, "%FF%FE", TH_VERIFIER),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "redirect_uri=%s%%FF&code_verifier=%s&resource=%s",
                   c.id, code, redir, TH_VERIFIER, res),
            th_fmt("grant_type=authorization_code&client_id=%s&code=%s&"
                   "redirect_uri=%s&code_verifier=%s&resource=%s%%FF",
                   c.id, code, redir, TH_VERIFIER, res),
            th_fmt("grant_type=authorization_%%FFcode&client_id=%s&code=%s",
                   c.id, code),
            th_fmt("grant_type=authorization_code&client_id=%s%%FF&code=%s",
                   c.id, code),
            th_fmt("grant_type=refresh_token&client_id=%s&"
                   "refresh_token=%%FF%%FE",
                   c.id),
        };

        for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
            json_t *doc;
            const char *d;

            th_post_form(url, NULL, b[i], &r);
            doc = json_loads(r.body, 0, NULL);
            d = json_string_value(json_object_get(doc, "error_description"));
            if (r.status < 400 || r.status >= 500 ||
                json_object_get(doc, "error") == NULL) {
                fail_msg("case %zu: want a 4xx OAuth error, got %ld %s", i,
                         r.status, r.body);
            }
            /* RFC 6749 §5.2's characters only, even when the description
             * echoes what the client sent. */
            size_t bad = d != NULL ? th_oauth_text_bad(d, strlen(d)) : 0;
            if (d != NULL && d[bad] != '\0') {
                fail_msg("case %zu: error_description byte 0x%02x: %s", i,
                         (unsigned char)d[bad], d);
            }
            json_decref(doc);
            th_resp_free(&r);
            free(b[i]);
        }
    }
    free(code);
    free(url);
    free(res);
    free(redir);
    th_client_free(&c);
}

static void test_token_success_and_replay(void **state)
{
    struct mo_world *w = *state;
    struct th_client c;
    char *code, *body, *url = th_url(w, "/token");
    char *bearer, *mcp_auth;
    struct th_resp r;
    json_t *doc;
    const char *mh[4];

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    code = th_code(w, c.id, "mcp:tools");
    body = th_code_body(w, c.id, code, TH_VERIFIER);
    assert_int_equal(th_post_form(url, NULL, body, &r), 200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "token_type"), "Bearer");
    assert_int_equal(json_integer_value(json_object_get(doc, "expires_in")),
                     3600);
    assert_string_equal(ac_json_str(doc, "scope"), "mcp:tools");
    /* The client did not register refresh_token: no refresh token. */
    assert_null(json_object_get(doc, "refresh_token"));
    assert_string_equal(th_header(&r, "Cache-Control"), "no-store");
    assert_string_equal(th_header(&r, "Pragma"), "no-cache");
    bearer = strdup(ac_json_str(doc, "access_token"));
    json_decref(doc);
    th_resp_free(&r);

    /* The token works at the MCP server... */
    mcp_auth = th_fmt("Authorization: Bearer %s", bearer);
    mh[0] = mcp_auth;
    mh[1] = "Accept: application/json, text/event-stream";
    mh[2] = "Content-Type: application/json";
    mh[3] = NULL;
    assert_int_equal(th_http("POST", mo_world_mcp_url(w), mh,
                             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                             "\"initialize\",\"params\":{}}",
                             0, &r),
                     200);
    th_resp_free(&r);
    /* ...until the code is replayed (RFC 6749 §4.1.2). */
    th_post_form(url, NULL, body, &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    assert_int_equal(th_http("POST", mo_world_mcp_url(w), mh,
                             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                             "\"initialize\",\"params\":{}}",
                             0, &r),
                     401);
    assert_non_null(
        strstr(th_header(&r, "WWW-Authenticate"), "error=\"invalid_token\""));
    th_resp_free(&r);
    free(mcp_auth);
    free(bearer);
    free(code);
    free(body);
    free(url);
    th_client_free(&c);
}

static char *basic_header(const char *id, const char *secret)
{
    char *raw = th_fmt("%s:%s", id, secret);
    char *b64 = ac_b64_encode(raw, strlen(raw));
    char *h = th_fmt("Authorization: Basic %s", b64);

    free(raw);
    free(b64);
    return h;
}

static void test_token_client_auth(void **state)
{
    struct mo_world *w = *state;
    struct th_client basic, post;
    char *url = th_url(w, "/token");
    struct th_resp r;
    char *code, *body, *auth, *with_secret;

    assert_true(th_register(w, "client_secret_basic",
                            "[\"authorization_code\"]", &basic));
    assert_true(th_register(w, "client_secret_post", "[\"authorization_code\"]",
                            &post));
    assert_non_null(basic.secret);

    /* Basic with a wrong secret: 401 + WWW-Authenticate: Basic. */
    code = th_code(w, basic.id, NULL);
    body = th_code_body(w, basic.id, code, TH_VERIFIER);
    auth = basic_header(basic.id, "wrong");
    th_post_form(url, auth, body, &r);
    th_assert_error(&r, 401, "invalid_client");
    assert_non_null(th_header(&r, "WWW-Authenticate"));
    assert_strn_equal(th_header(&r, "WWW-Authenticate"), "Basic", 5);
    th_resp_free(&r);
    free(auth);
    /* client_secret_basic client using the body: 401, no Basic header. */
    with_secret = th_fmt("%s&client_secret=%s", body, basic.secret);
    th_post_form(url, NULL, with_secret, &r);
    th_assert_error(&r, 401, "invalid_client");
    assert_null(th_header(&r, "WWW-Authenticate"));
    th_resp_free(&r);
    /* Both methods at once: invalid_request (RFC 6749 §2.3). */
    auth = basic_header(basic.id, basic.secret);
    th_post_form(url, auth, with_secret, &r);
    th_assert_error(&r, 400, "invalid_request");
    th_resp_free(&r);
    free(with_secret);
    /* Right: 200. */
    assert_int_equal(th_post_form(url, auth, body, &r), 200);
    th_resp_free(&r);
    free(auth);
    free(code);
    free(body);

    /* client_secret_post: via the body works, via Basic does not. */
    code = th_code(w, post.id, NULL);
    body = th_code_body(w, post.id, code, TH_VERIFIER);
    auth = basic_header(post.id, post.secret);
    th_post_form(url, auth, body, &r);
    th_assert_error(&r, 401, "invalid_client");
    th_resp_free(&r);
    free(auth);
    with_secret = th_fmt("%s&client_secret=%s", body, post.secret);
    assert_int_equal(th_post_form(url, NULL, with_secret, &r), 200);
    th_resp_free(&r);
    free(with_secret);
    free(code);
    free(body);
    free(url);
    th_client_free(&basic);
    th_client_free(&post);
}

static void test_code_expiry(void **state)
{
    struct mo_world *w = *state;
    struct th_client c;
    char *url = th_url(w, "/token");
    char *code, *body;
    struct th_resp r;
    int64_t now = ac_now();

    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    ac_clock_pin_for_tests(now);
    code = th_code(w, c.id, NULL);
    body = th_code_body(w, c.id, code, TH_VERIFIER);
    ac_clock_pin_for_tests(now + 61);
    th_post_form(url, NULL, body, &r);
    ac_clock_pin_for_tests(0);
    th_assert_error(&r, 400, "invalid_grant");
    assert_non_null(strstr(r.body, "expired"));
    th_resp_free(&r);
    free(code);
    free(body);
    free(url);
    th_client_free(&c);
}

/* --- refresh -------------------------------------------------------- */

static long refresh(struct mo_world *w, const char *client_id, const char *rt,
                    const char *extra, struct th_resp *r)
{
    char *url = th_url(w, "/token");
    char *body = th_fmt("grant_type=refresh_token&client_id=%s&"
                        "refresh_token=%s%s",
                        client_id, rt, extra);
    long st = th_post_form(url, NULL, body, r);

    free(url);
    free(body);
    return st;
}

/* The client_id a refresh token was issued to, via the transcript is
 * overkill: th_login registers a fresh client, so read it from the last
 * registration response. */
static char *last_client_id(struct mo_world *w)
{
    json_t *t = mo_world_transcript(w);
    size_t i;
    json_t *e;
    char *id = NULL;

    json_array_foreach(t, i, e)
    {
        if (strcmp(ac_json_str(e, "endpoint"), "register") == 0) {
            json_t *resp = json_object_get(e, "response");
            json_t *doc = json_loads(ac_json_str(resp, "body"), 0, NULL);

            if (ac_json_str(doc, "client_id") != NULL) {
                free(id);
                id = strdup(ac_json_str(doc, "client_id"));
            }
            json_decref(doc);
        }
    }
    json_decref(t);
    return id;
}

static void test_refresh_rotation(void **state)
{
    struct mo_world *w = *state;
    char *access, *rt, *id, *rt2;
    struct th_resp r;
    json_t *doc;

    assert_true(th_login(w, "mcp:tools", &access, &rt));
    assert_non_null(rt);
    id = last_client_id(w);
    refresh(w, id, rt, "&scope=mcp:admin", &r);
    th_assert_error(&r, 400, "invalid_scope");
    th_resp_free(&r);
    assert_int_equal(refresh(w, id, rt, "", &r), 200);
    doc = th_json(&r);
    rt2 = strdup(ac_json_str(doc, "refresh_token"));
    assert_string_not_equal(rt2, rt);
    assert_string_not_equal(ac_json_str(doc, "access_token"), access);
    json_decref(doc);
    th_resp_free(&r);
    /* Reusing the rotated one fails and revokes the grant. */
    refresh(w, id, rt, "", &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    refresh(w, id, rt2, "", &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    refresh(w, "someone-else", rt2, "", &r);
    th_assert_error(&r, 401, "invalid_client");
    th_resp_free(&r);
    free(access);
    free(rt);
    free(rt2);
    free(id);
}

static void test_refresh_modes(void **state)
{
    static const char *const fmt =
        "{\"authorization_servers\":[{\"id\":\"as\",\"tokens\":"
        "{\"access_ttl\":60,\"refresh\":\"%s\"}}],\"mcp_server\":{}}";
    char *text = th_fmt(fmt, "reuse");
    struct mo_world *w = th_world_start(text);
    char *access, *rt, *id;
    struct th_resp r;
    json_t *doc;

    (void)state;
    assert_true(th_login(w, NULL, &access, &rt));
    id = last_client_id(w);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(refresh(w, id, rt, "", &r), 200);
        doc = th_json(&r);
        assert_null(json_object_get(doc, "refresh_token"));
        assert_int_equal(json_integer_value(json_object_get(doc, "expires_in")),
                         60);
        json_decref(doc);
        th_resp_free(&r);
    }
    free(access);
    free(rt);
    free(id);
    free(text);
    mo_world_stop(w);

    text = th_fmt(fmt, "none");
    w = th_world_start(text);
    assert_true(th_login(w, NULL, &access, &rt));
    assert_null(rt);
    free(access);
    free(text);
    mo_world_stop(w);
}

/* --- revocation ----------------------------------------------------- */

static void test_revoke(void **state)
{
    struct mo_world *w = *state;
    char *access, *rt, *id, *url = th_url(w, "/revoke");
    char *body;
    struct th_resp r;

    assert_true(th_login(w, "mcp:tools", &access, &rt));
    id = last_client_id(w);
    body = th_fmt("token=%s&client_id=%s", rt, id);
    assert_int_equal(th_post_form(url, NULL, body, &r), 200);
    th_resp_free(&r);
    free(body);
    /* The grant is gone: refresh fails. */
    refresh(w, id, rt, "", &r);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    /* Unknown tokens: still 200. Unknown client: 401. No token: 400. */
    body = th_fmt("token=unknown&client_id=%s", id);
    assert_int_equal(th_post_form(url, NULL, body, &r), 200);
    th_resp_free(&r);
    free(body);
    th_post_form(url, NULL, "token=x&client_id=nobody", &r);
    th_assert_error(&r, 401, "invalid_client");
    th_resp_free(&r);
    body = th_fmt("client_id=%s", id);
    th_post_form(url, NULL, body, &r);
    th_assert_error(&r, 400, "invalid_request");
    th_resp_free(&r);
    free(body);
    free(access);
    free(rt);
    free(id);
    free(url);
}

/* --- the transcript ------------------------------------------------- */

static void test_transcript(void **state)
{
    struct mo_world *w = *state;
    json_t *t = mo_world_transcript(w);
    json_t *secrets = mo_world_secrets(w);
    size_t i;
    json_t *e;
    json_int_t prev = 0;

    assert_int_cmp(json_array_size(t), >, 20);
    json_array_foreach(t, i, e)
    {
        json_t *req = json_object_get(e, "request");
        json_t *resp = json_object_get(e, "response");

        assert_int_equal(json_integer_value(json_object_get(e, "seq")), i);
        assert_int_cmp(json_integer_value(json_object_get(e, "t_ns")), >=,
                       prev);
        prev = json_integer_value(json_object_get(e, "t_ns"));
        assert_true(json_is_array(json_object_get(req, "headers")));
        assert_true(json_is_integer(json_object_get(resp, "status")));
        assert_non_null(ac_json_str(e, "url"));
        assert_strn_equal(ac_json_str(e, "url"), "http://127.0.0.1:", 17);
    }
    assert_int_cmp(th_count(w, "as", "register"), >, 5);
    assert_int_cmp(th_count(w, "as", "authorize"), >, 5);
    assert_int_cmp(th_count(w, "as", "token"), >, 5);
    assert_int_cmp(th_count(w, "as", "revoke"), >, 0);
    assert_int_cmp(th_count(w, "as", "metadata"), >, 0);
    /* The verifier the tests sent is a secret the mocks saw. */
    assert_true(ac_json_array_has_str(secrets, TH_VERIFIER));
    assert_int_cmp(json_array_size(secrets), >, 10);
    json_decref(secrets);
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_discovery_variants),
        cmocka_unit_test(test_wrapper_errors),
        cmocka_unit_test(test_register_ok),
        cmocka_unit_test(test_register_assigns_advertised),
        cmocka_unit_test(test_official_clients),
        cmocka_unit_test(test_register_errors),
        cmocka_unit_test(test_authorize_no_redirect),
        cmocka_unit_test(test_authorize_errors),
        cmocka_unit_test(test_authorize_success),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_token_bytes_not_utf8),
        cmocka_unit_test(test_token_success_and_replay),
        cmocka_unit_test(test_token_client_auth),
        cmocka_unit_test(test_code_expiry),
        cmocka_unit_test(test_refresh_rotation),
        cmocka_unit_test(test_refresh_modes),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_transcript),
    };

    return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
