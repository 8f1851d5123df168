/* Tests of discovery in the mock world: RFC 8414 metadata at the root and
 * path-inserted URL, OpenID configuration path-inserted and path-appended,
 * the metadata members, PRM at path-inserted, root and custom URLs, and
 * Client ID Metadata Documents served by the client metadata host and
 * fetched, validated and cached by the AS (also when another server of
 * the world serves them), and the legacy-2025-03-26 profile (the AS on the
 * MCP server's origin, no PRM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/clock.h"
#include "tests/support/asserts.h"
#include "tests/support/mock_http.h"

#define INIT                                                                   \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"      \
    "{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},"                 \
    "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"

/* The origin of a URL (scheme://host:port), a new string. */
static char *origin_of(const char *url)
{
    const char *p = strchr(url + strlen("http://"), '/');

    return p != NULL ? strndup(url, (size_t)(p - url)) : strdup(url);
}

static long get(const char *origin, const char *path, struct th_resp *r)
{
    char *url = th_fmt("%s%s", origin, path);
    long st = th_http("GET", url, NULL, NULL, 0, r);

    free(url);
    return st;
}

static void expect(const char *origin, const char *path, long status)
{
    struct th_resp r;

    if (get(origin, path, &r) != status) {
        fail_msg("GET %s: want %ld, got %ld", path, status, r.status);
    }
    th_resp_free(&r);
}

static void test_rfc8414_root(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":{}}");
    char *o = origin_of(mo_world_issuer(w, 0));

    (void)state;
    expect(o, "/.well-known/oauth-authorization-server", 200);
    expect(o, "/.well-known/openid-configuration", 404);
    free(o);
    mo_world_stop(w);
}

static void test_path_forms(void **state)
{
    /* oauth only: path-inserted RFC 8414; OIDC forms absent. */
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"issuer_path\":"
        "\"/t1\"}],\"mcp_server\":{}}");
    char *o = origin_of(mo_world_issuer(w, 0));

    (void)state;
    expect(o, "/.well-known/oauth-authorization-server/t1", 200);
    expect(o, "/.well-known/oauth-authorization-server", 404);
    expect(o, "/t1/.well-known/oauth-authorization-server", 404);
    expect(o, "/.well-known/openid-configuration/t1", 404);
    expect(o, "/t1/.well-known/openid-configuration", 404);
    free(o);
    mo_world_stop(w);
}

static void test_oidc_forms(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"issuer_path\":"
        "\"/t1\",\"discovery\":[\"oidc\"]}],\"mcp_server\":{}}");
    char *o = origin_of(mo_world_issuer(w, 0));
    struct th_resp r;
    json_t *doc;

    (void)state;
    expect(o, "/.well-known/oauth-authorization-server/t1", 404);
    expect(o, "/.well-known/openid-configuration/t1", 200); /* inserted */
    assert_int_equal(get(o, "/t1/.well-known/openid-configuration", &r), 200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "issuer"), mo_world_issuer(w, 0));
    /* OpenID Connect Discovery 1.0 §3: the REQUIRED members. */
    assert_non_null(json_object_get(doc, "subject_types_supported"));
    assert_non_null(json_object_get(doc, "response_types_supported"));
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "id_token_signing_alg_values_supported"),
        "RS256"));
    {
        /* jwks_uri names a JWK Set that exists (empty: opaque tokens). */
        char *jwks = strdup(ac_json_str(doc, "jwks_uri"));
        json_t *set;

        json_decref(doc);
        th_resp_free(&r);
        assert_int_equal(th_http("GET", jwks, NULL, NULL, 0, &r), 200);
        set = th_json(&r);
        assert_true(json_is_array(json_object_get(set, "keys")));
        json_decref(set);
        free(jwks);
    }
    th_resp_free(&r);
    free(o);
    mo_world_stop(w);
}

static void test_metadata_members(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"dcr\",\"cimd\"],\"tokens\":{\"format\":\"jwt\",\"alg\":"
        "\"ES256\"}},{\"id\":\"b\",\"issuer_path\":\"/b\",\"registration\":"
        "[\"pre\"]}],\"mcp_server\":{}}");
    char *u = th_fmt("%s/.well-known/oauth-authorization-server",
                     mo_world_issuer(w, 0));
    struct th_resp r;
    json_t *doc;
    static const char *const members[] = {
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "jwks_uri",
        "token_endpoint_auth_methods_supported",
        "code_challenge_methods_supported",
        "grant_types_supported",
        "client_id_metadata_document_supported",
        "authorization_response_iss_parameter_supported",
        NULL};

    (void)state;
    assert_int_equal(th_http("GET", u, NULL, NULL, 0, &r), 200);
    doc = th_json(&r);
    for (size_t i = 0; members[i] != NULL; i++) {
        if (json_object_get(doc, members[i]) == NULL) {
            fail_msg("metadata lacks %s", members[i]);
        }
    }
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "grant_types_supported"), "client_credentials"));
    assert_true(ac_json_array_has_str(
        json_object_get(doc, "token_endpoint_auth_methods_supported"),
        "private_key_jwt"));
    json_decref(doc);
    th_resp_free(&r);
    free(u);
    /* The second AS: no DCR, no CIMD, opaque tokens. */
    {
        char *o = origin_of(mo_world_issuer(w, 1));

        u = th_fmt("%s/.well-known/oauth-authorization-server/b", o);
        free(o);
    }
    assert_int_equal(th_http("GET", u, NULL, NULL, 0, &r), 200);
    doc = th_json(&r);
    assert_null(json_object_get(doc, "registration_endpoint"));
    assert_null(json_object_get(doc, "jwks_uri"));
    assert_null(json_object_get(doc, "client_id_metadata_document_supported"));
    json_decref(doc);
    th_resp_free(&r);
    free(u);
    mo_world_stop(w);
}

static void test_prm_custom(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":"
        "{\"path\":\"/mcp\",\"prm\":\"custom\",\"prm_path\":\"/meta/"
        "prm.json\"}}");
    char *o = origin_of(mo_world_mcp_url(w));
    const char *h[] = {"Accept: application/json, text/event-stream",
                       "Content-Type: application/json", NULL};
    struct th_resp r;
    char *want = th_fmt("%s/meta/prm.json", o);

    (void)state;
    assert_string_equal(mo_world_prm_url(w), want);
    expect(o, "/meta/prm.json", 200);
    expect(o, "/.well-known/oauth-protected-resource/mcp", 404);
    expect(o, "/.well-known/oauth-protected-resource", 404);
    /* Only the challenge tells where it is. */
    assert_int_equal(th_http("POST", mo_world_mcp_url(w), h, "{}", 0, &r), 401);
    assert_non_null(strstr(th_header(&r, "WWW-Authenticate"), want));
    th_resp_free(&r);
    free(want);
    free(o);
    mo_world_stop(w);
}

/* resource "origin" (the official metadata-var2 world): the root PRM
 * names the origin, and that is the identifier tokens are bound to. */
static void test_prm_root_origin(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":"
        "{\"path\":\"/mcp\",\"prm\":\"root\",\"resource\":\"origin\"}}");
    char *o = origin_of(mo_world_mcp_url(w));
    struct th_resp r;
    json_t *doc;

    (void)state;
    expect(o, "/.well-known/oauth-protected-resource/mcp", 404);
    assert_int_equal(get(o, "/.well-known/oauth-protected-resource", &r), 200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "resource"), o);
    assert_string_equal(mo_world_resource(w), o);
    json_decref(doc);
    th_resp_free(&r);
    free(o);
    mo_world_stop(w);
}

/* --- CIMD ------------------------------------------------------------ */

static struct mo_world *cimd_world(void)
{
    return th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"cimd\"],\"loopback_any_port\":true}],\"mcp_server\":{},"
        "\"client_metadata_documents\":["
        "{\"path\":\"/good.json\",\"document\":{\"client_name\":\"Good\","
        "\"redirect_uris\":[\"http://127.0.0.1/callback\"]}},"
        "{\"path\":\"/wrong-id.json\",\"document\":{\"client_id\":"
        "\"https://other.example/c.json\",\"redirect_uris\":"
        "[\"http://127.0.0.1/callback\"]}},"
        "{\"path\":\"/secret.json\",\"document\":{\"redirect_uris\":"
        "[\"http://127.0.0.1/callback\"],\"token_endpoint_auth_method\":"
        "\"client_secret_basic\"}}]}");
}

static char *authz(struct mo_world *w, const char *client_id)
{
    char *chal = ac_pkce_s256(TH_VERIFIER, NULL);
    char *res = ac_pct_encode(mo_world_resource(w));
    char *cid = ac_pct_encode(client_id);
    char *q = th_fmt("response_type=code&client_id=%s&redirect_uri="
                     "http%%3A%%2F%%2F127.0.0.1%%3A4242%%2Fcallback&"
                     "code_challenge=%s&code_challenge_method=S256&"
                     "resource=%s&state=s",
                     cid, chal, res);

    free(chal);
    free(res);
    free(cid);
    return q;
}

static void test_cimd_fetch_validate_cache(void **state)
{
    struct mo_world *w = cimd_world();
    const char *good = mo_world_client_metadata_url(w, 0);
    char *q = authz(w, good);
    struct th_resp r;
    char *code, *body, *url;

    (void)state;
    assert_non_null(good);
    assert_null(mo_world_client_metadata_url(w, 3));
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    code = th_query_param(th_header(&r, "Location"), "code");
    assert_non_null(code);
    th_resp_free(&r);
    /* Cached: a second authorization does not fetch again. */
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    th_resp_free(&r);
    assert_int_equal(th_count(w, "cimd", "cimd"), 1);
    /* The code is redeemed by the URL client (public). */
    {
        char *res = ac_pct_encode(mo_world_resource(w));
        char *cid = ac_pct_encode(good);

        body = th_fmt("grant_type=authorization_code&code=%s&client_id=%s&"
                      "redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A4242%%2F"
                      "callback&code_verifier=%s&resource=%s",
                      code, cid, TH_VERIFIER, res);
        free(res);
        free(cid);
    }
    url = th_fmt("%s/token", mo_world_issuer(w, 0));
    assert_int_equal(th_post_form(url, NULL, body, &r), 200);
    th_resp_free(&r);
    free(url);
    free(body);
    free(code);
    free(q);
    mo_world_stop(w);
}

static void test_cimd_invalid_documents(void **state)
{
    struct mo_world *w = cimd_world();
    struct th_resp r;

    (void)state;
    for (size_t i = 1; i <= 2; i++) {
        char *q = authz(w, mo_world_client_metadata_url(w, i));

        /* An invalid document leaves the client unknown: 400 page. */
        assert_int_equal(th_authorize_raw(w, q, &r), 400);
        th_resp_free(&r);
        free(q);
    }
    {
        char *q = authz(w, "http://127.0.0.1:1/none.json");

        assert_int_equal(th_authorize_raw(w, q, &r), 400);
        th_resp_free(&r);
        free(q);
    }
    mo_world_stop(w);
}

/* A client metadata document served by a server of the same world whose
 * handler takes the world lock (here the MCP server, through a rule): the
 * AS fetches it with the lock released, so the fetch is answered at once
 * instead of stalling until the 2 s timeout. The document has no
 * client_id (a rule body cannot name the port), so it is refused. */
static void test_cimd_on_locked_server(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"cimd\"]}],\"mcp_server\":{},\"rules\":[{\"match\":"
        "{\"server\":\"mcp\",\"path\":\"/client.json\"},\"do\":"
        "{\"respond\":{\"status\":200,\"body\":{\"redirect_uris\":"
        "[\"http://127.0.0.1/callback\"]}}}}]}");
    char *origin = origin_of(mo_world_mcp_url(w));
    char *url = th_fmt("%s/client.json", origin);
    char *q = authz(w, url);
    struct th_resp r;
    int64_t t0 = ac_mono_ns();

    (void)state;
    assert_int_equal(th_authorize_raw(w, q, &r), 400);
    th_resp_free(&r);
    assert_int_cmp(ac_mono_ns() - t0, <, 1000000000LL);
    /* The fetch is in the transcript, answered by the MCP server. */
    assert_int_equal(th_count(w, "mcp", "unknown"), 1);
    free(q);
    free(url);
    free(origin);
    mo_world_stop(w);
}

/* Profile legacy-2025-03-26: the MCP server's origin is the
 * authorization server (metadata at its root, /authorize, /token,
 * /register), there is no PRM, challenges carry no resource_metadata, and
 * `resource` may be omitted (it predates RFC 8707 in MCP). */
static void test_legacy_2025_03_26(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"profile\":\"legacy-2025-03-26\",\"authorization_servers\":"
        "[{\"id\":\"as\"}],\"mcp_server\":{\"path\":\"/v1/mcp\"}}");
    char *origin = origin_of(mo_world_mcp_url(w));
    const char *hdrs[] = {"Accept: application/json, text/event-stream",
                          "Content-Type: application/json", NULL, NULL};
    struct th_client c;
    struct th_resp r;
    json_t *doc;
    char *q, *code, *body, *url, *auth;

    (void)state;
    assert_string_equal(mo_world_issuer(w, 0), origin);
    assert_int_equal(get(origin, "/.well-known/oauth-authorization-server", &r),
                     200);
    doc = th_json(&r);
    assert_string_equal(ac_json_str(doc, "issuer"), origin);
    url = th_fmt("%s/token", origin);
    assert_string_equal(ac_json_str(doc, "token_endpoint"), url);
    free(url);
    json_decref(doc);
    th_resp_free(&r);
    /* No PRM anywhere, and the challenge does not point at one. */
    assert_int_equal(th_http("GET", mo_world_prm_url(w), NULL, NULL, 0, &r),
                     404);
    th_resp_free(&r);
    assert_int_equal(th_http("POST", mo_world_mcp_url(w), hdrs, "{}", 2, &r),
                     401);
    assert_string_equal(th_header(&r, "WWW-Authenticate"), "Bearer");
    th_resp_free(&r);
    /* A 2025-03-26 flow: no `resource` at /authorize nor /token. */
    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    q = th_authz_query(w, c.id, NULL, "");
    *strstr(q, "&resource=") = '\0';
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    code = th_query_param(th_header(&r, "Location"), "code");
    th_resp_free(&r);
    body = th_code_body(w, c.id, code, TH_VERIFIER);
    *strstr(body, "&resource=") = '\0';
    url = th_fmt("%s/token", origin);
    assert_int_equal(th_post_form(url, NULL, body, &r), 200);
    doc = th_json(&r);
    auth = th_fmt("Authorization: Bearer %s", ac_json_str(doc, "access_token"));
    json_decref(doc);
    th_resp_free(&r);
    hdrs[2] = auth;
    assert_int_equal(
        th_http("POST", mo_world_mcp_url(w), hdrs, INIT, strlen(INIT), &r),
        200);
    th_resp_free(&r);
    /* AS exchanges keep the AS's name although the MCP server served them. */
    assert_int_equal(th_count(w, "as", "authorize"), 1);
    assert_int_equal(th_count(w, "as", "token"), 1);
    assert_int_equal(th_count(w, "mcp", "mcp"), 2);
    free(auth);
    free(url);
    free(body);
    free(code);
    free(q);
    th_client_free(&c);
    free(origin);
    mo_world_stop(w);
}

/* The strict default still requires `resource` (RFC 8707). */
static void test_strict_requires_resource(void **state)
{
    struct mo_world *w = th_world_start("{\"authorization_servers\":[{\"id\":"
                                        "\"as\"}],\"mcp_server\":{}}");
    struct th_client c;
    struct th_resp r;
    char *q, *err;

    (void)state;
    assert_true(th_register(w, "none", "[\"authorization_code\"]", &c));
    q = th_authz_query(w, c.id, NULL, "");
    *strstr(q, "&resource=") = '\0';
    assert_int_equal(th_authorize_raw(w, q, &r), 302);
    err = th_query_param(th_header(&r, "Location"), "error");
    assert_string_equal(err, "invalid_target");
    free(err);
    th_resp_free(&r);
    free(q);
    th_client_free(&c);
    mo_world_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8414_root),
        cmocka_unit_test(test_path_forms),
        cmocka_unit_test(test_oidc_forms),
        cmocka_unit_test(test_metadata_members),
        cmocka_unit_test(test_prm_custom),
        cmocka_unit_test(test_prm_root_origin),
        cmocka_unit_test(test_cimd_fetch_validate_cache),
        cmocka_unit_test(test_cimd_invalid_documents),
        cmocka_unit_test(test_cimd_on_locked_server),
        cmocka_unit_test(test_legacy_2025_03_26),
        cmocka_unit_test(test_strict_requires_resource),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
