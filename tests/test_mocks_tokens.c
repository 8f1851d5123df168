/* Tests of the token side of the mock authorization server: pre-registered
 * clients, each client authentication method (none, client_secret_basic,
 * client_secret_post, private_key_jwt) held to the registered one,
 * client_credentials, JWT access tokens (RS256, ES256) and jwks_uri, key
 * rotation, introspection (RFC 7662), revocation (RFC 7009), refresh token
 * lifetimes, the RFC 8252 loopback port rule and the consent page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/b64url.h"
#include "common/clock.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "tests/support/mock_http.h"

/* Basic czE6c2VjcmV0MQ== is "s1:secret1". */
#define BASIC_S1 "Authorization: Basic czE6c2VjcmV0MQ=="

/* One AS with pre-registered clients: s1 (basic), p1 (post), pub (none),
 * and `extra` members of the AS object (",..." or ""). */
static struct mo_world *world_pre(const char *extra, const char *more_clients)
{
    char *text = th_fmt(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"pre\",\"dcr\"],\"scopes_supported\":[\"mcp:tools\",\"admin\"],"
        "\"clients\":[{\"client_id\":\"s1\",\"client_secret\":\"secret1\","
        "\"grant_types\":[\"client_credentials\",\"authorization_code\"],"
        "\"redirect_uris\":[\"" TH_REDIRECT "\"]},"
        "{\"client_id\":\"p1\",\"client_secret\":\"secret2\","
        "\"token_endpoint_auth_method\":\"client_secret_post\","
        "\"grant_types\":[\"client_credentials\"]},"
        "{\"client_id\":\"pub\",\"client_name\":\"Pub <App>\","
        "\"redirect_uris\":[\"http://127.0.0.1/cb\"]}%s]%s}],"
        "\"mcp_server\":{\"path\":\"/mcp\"}}",
        more_clients, extra);
    struct mo_world *w = th_world_start(text);

    free(text);
    return w;
}

static long post(struct mo_world *w, const char *path, const char *auth,
                 const char *body, struct th_resp *r)
{
    char *url = th_url(w, path);
    long st = th_post_form(url, auth, body, r);

    free(url);
    return st;
}

/* --- client_credentials and client authentication -------------------- */

static void test_client_credentials_basic(void **state)
{
    struct mo_world *w = world_pre("", "");
    struct th_resp r;
    char *tok;
    json_t *doc;

    (void)state;
    assert_int_equal(post(w, "/token", BASIC_S1,
                          "grant_type=client_credentials&scope=mcp%3Atools",
                          &r),
                     200);
    doc = th_json(&r);
    assert_null(json_object_get(doc, "refresh_token"));
    assert_string_equal(ac_json_str(doc, "scope"), "mcp:tools");
    assert_string_equal(th_header(&r, "Cache-Control"), "no-store");
    json_decref(doc);
    tok = th_json_member(&r, "access_token");
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, tok), 200);
    free(tok);
    mo_world_stop(w);
}

static void test_client_credentials_errors(void **state)
{
    struct mo_world *w = world_pre("", "");
    struct th_resp r;

    (void)state;
    /* Basic client using post: held to its registered method. */
    assert_int_equal(post(w, "/token", NULL,
                          "grant_type=client_credentials&client_id=s1&"
                          "client_secret=secret1",
                          &r),
                     401);
    th_assert_error(&r, 401, "invalid_client");
    assert_null(th_header(&r, "WWW-Authenticate"));
    th_resp_free(&r);
    /* Post client using Basic: 401 with a Basic challenge. */
    assert_int_equal(post(w, "/token", "Authorization: Basic cDE6c2VjcmV0Mg==",
                          "grant_type=client_credentials", &r),
                     401);
    assert_non_null(th_header(&r, "WWW-Authenticate"));
    th_resp_free(&r);
    /* Wrong secret. */
    assert_int_equal(post(w, "/token", "Authorization: Basic czE6eA==",
                          "grant_type=client_credentials", &r),
                     401);
    th_assert_error(&r, 401, "invalid_client");
    th_resp_free(&r);
    /* A post client works with post. */
    assert_int_equal(post(w, "/token", NULL,
                          "grant_type=client_credentials&client_id=p1&"
                          "client_secret=secret2",
                          &r),
                     200);
    th_resp_free(&r);
    /* A public client may not use client_credentials. */
    assert_int_equal(post(w, "/token", NULL,
                          "grant_type=client_credentials&client_id=pub", &r),
                     400);
    th_assert_error(&r, 400, "unauthorized_client");
    th_resp_free(&r);
    /* Bad scope, bad resource. */
    assert_int_equal(post(w, "/token", BASIC_S1,
                          "grant_type=client_credentials&scope=nope", &r),
                     400);
    th_assert_error(&r, 400, "invalid_scope");
    th_resp_free(&r);
    assert_int_equal(post(w, "/token", BASIC_S1,
                          "grant_type=client_credentials&resource=http%3A%2F%2F"
                          "x%2F",
                          &r),
                     400);
    th_assert_error(&r, 400, "invalid_target");
    th_resp_free(&r);
    /* A client that did not register the grant. */
    assert_int_equal(post(w, "/token", NULL,
                          "grant_type=client_credentials&client_id=pub&x=1",
                          &r),
                     400);
    th_resp_free(&r);
    mo_world_stop(w);
}

/* A private_key_jwt client assertion signed by `key`. */
static char *assertion(const struct ac_jwk *key, const char *sub,
                       const char *aud, const char *jti)
{
    json_t *c =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "iss", sub, "sub", sub, "aud",
                  aud, "jti", jti, "exp", (json_int_t)(ac_now() + 60));
    char *jwt = ac_jwt_sign(key, NULL, c, NULL);

    json_decref(c);
    return jwt;
}

static void test_private_key_jwt(void **state)
{
    struct ac_jwk *key = ac_jwk_generate(AC_JWS_ES256, NULL);
    struct ac_jwk *other = ac_jwk_generate(AC_JWS_ES256, NULL);
    json_t *pub = ac_jwk_export(key, false, NULL);
    char *pubtxt = json_dumps(pub, JSON_COMPACT);
    char *cl = th_fmt(",{\"client_id\":\"k1\",\"token_endpoint_auth_method\":"
                      "\"private_key_jwt\",\"grant_types\":"
                      "[\"client_credentials\"],\"jwks\":{\"keys\":[%s]}}",
                      pubtxt);
    struct mo_world *w = world_pre("", cl);
    char *aud = th_url(w, "/token");
    char *a = assertion(key, "k1", aud, "j1");
    char *bad = assertion(other, "k1", aud, "j2");
    char *wrong_aud = assertion(key, "k1", "https://elsewhere", "j3");
    char *body;
    struct th_resp r;

    (void)state;
    body = th_fmt("grant_type=client_credentials&client_assertion_type="
                  "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3A"
                  "jwt-bearer&client_assertion=%s",
                  a);
    assert_int_equal(post(w, "/token", NULL, body, &r), 200);
    th_resp_free(&r);
    /* Replayed jti. */
    assert_int_equal(post(w, "/token", NULL, body, &r), 401);
    th_assert_error(&r, 401, "invalid_client");
    th_resp_free(&r);
    free(body);
    body = th_fmt("grant_type=client_credentials&client_assertion_type="
                  "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3A"
                  "jwt-bearer&client_assertion=%s",
                  bad);
    assert_int_equal(post(w, "/token", NULL, body, &r), 401);
    th_resp_free(&r);
    free(body);
    body = th_fmt("grant_type=client_credentials&client_assertion_type="
                  "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3A"
                  "jwt-bearer&client_assertion=%s",
                  wrong_aud);
    assert_int_equal(post(w, "/token", NULL, body, &r), 401);
    th_resp_free(&r);
    free(body);
    /* Wrong assertion type; and a secret client may not use assertions. */
    assert_int_equal(post(w, "/token", NULL,
                          "grant_type=client_credentials&client_assertion_type="
                          "x&client_assertion=y",
                          &r),
                     400);
    th_assert_error(&r, 400, "invalid_request");
    th_resp_free(&r);
    /* k1 held to private_key_jwt: no secret-based auth. */
    assert_int_equal(post(w, "/token", NULL,
                          "grant_type=client_credentials&client_id=k1&"
                          "client_secret=x",
                          &r),
                     401);
    th_resp_free(&r);
    free(a);
    free(bad);
    free(wrong_aud);
    free(aud);
    free(cl);
    free(pubtxt);
    json_decref(pub);
    ac_jwk_free(key);
    ac_jwk_free(other);
    mo_world_stop(w);
}

/* --- JWT access tokens ----------------------------------------------- */

static void jwt_case(const char *alg, unsigned bit)
{
    char *extra = th_fmt(",\"tokens\":{\"format\":\"jwt\",\"alg\":\"%s\","
                         "\"access_ttl\":300}",
                         alg);
    struct mo_world *w = world_pre(extra, "");
    struct th_resp r;
    char *tok, *jwks_url = th_url(w, "/jwks");
    json_t *md, *claims, *jdoc;
    struct ac_jwks *set;
    struct ac_jws_verify_params vp = {.algs = bit, .typ = "at+jwt"};
    struct ac_err err;

    assert_int_equal(
        post(w, "/token", BASIC_S1, "grant_type=client_credentials", &r), 200);
    tok = th_json_member(&r, "access_token");
    th_resp_free(&r);
    /* Published keys verify it. */
    assert_int_equal(th_http("GET", jwks_url, NULL, NULL, 0, &r), 200);
    jdoc = th_json(&r);
    th_resp_free(&r);
    set = ac_jwks_import(jdoc, NULL, NULL);
    assert_non_null(set);
    vp.jwks = set;
    claims = ac_jwt_verify(tok, &vp, NULL, &err);
    if (claims == NULL) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(ac_json_str(claims, "aud"), mo_world_resource(w));
    assert_string_equal(ac_json_str(claims, "iss"), mo_world_issuer(w, 0));
    assert_string_equal(ac_json_str(claims, "client_id"), "s1");
    assert_non_null(json_object_get(claims, "exp"));
    json_decref(claims);
    assert_int_equal(th_mcp_init(w, tok), 200);
    /* Metadata names jwks_uri. */
    {
        char *u = th_url(w, "/.well-known/oauth-authorization-server");

        assert_int_equal(th_http("GET", u, NULL, NULL, 0, &r), 200);
        md = th_json(&r);
        assert_string_equal(ac_json_str(md, "jwks_uri"), jwks_url);
        json_decref(md);
        th_resp_free(&r);
        free(u);
    }
    ac_jwks_free(set);
    json_decref(jdoc);
    free(tok);
    free(jwks_url);
    free(extra);
    mo_world_stop(w);
}

static void test_jwt_rs256(void **state)
{
    (void)state;
    jwt_case("RS256", AC_JWS_RS256);
}

static void test_jwt_es256(void **state)
{
    (void)state;
    jwt_case("ES256", AC_JWS_ES256);
}

static void test_rotate_keys(void **state)
{
    struct mo_world *w =
        world_pre(",\"tokens\":{\"format\":\"jwt\",\"alg\":\"ES256\"}", "");
    char *jwks_url = th_url(w, "/jwks");
    char *ctl = th_fmt("%s/ops", mo_world_control_url(w));
    const char *h[] = {"Content-Type: application/json", NULL};
    struct th_resp r;
    json_t *a, *b;

    (void)state;
    assert_int_equal(th_http("GET", jwks_url, NULL, NULL, 0, &r), 200);
    a = th_json(&r);
    th_resp_free(&r);
    assert_int_equal(th_http("POST", ctl, h, "{\"rotate_keys\":true}", 0, &r),
                     200);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", jwks_url, NULL, NULL, 0, &r), 200);
    b = th_json(&r);
    th_resp_free(&r);
    assert_int_equal(json_array_size(json_object_get(a, "keys")), 1);
    assert_int_equal(json_array_size(json_object_get(b, "keys")), 2);
    assert_true(json_equal(json_array_get(json_object_get(a, "keys"), 0),
                           json_array_get(json_object_get(b, "keys"), 1)));
    json_decref(a);
    json_decref(b);
    free(ctl);
    free(jwks_url);
    mo_world_stop(w);
}

/* --- introspection and revocation ------------------------------------ */

static void test_introspect(void **state)
{
    struct mo_world *w = world_pre("", "");
    struct th_resp r;
    char *tok, *body;
    json_t *doc;

    (void)state;
    assert_int_equal(post(w, "/token", BASIC_S1,
                          "grant_type=client_credentials&scope=admin", &r),
                     200);
    tok = th_json_member(&r, "access_token");
    th_resp_free(&r);
    body = th_fmt("token=%s", tok);
    assert_int_equal(post(w, "/introspect", BASIC_S1, body, &r), 200);
    doc = th_json(&r);
    assert_true(json_is_true(json_object_get(doc, "active")));
    assert_string_equal(ac_json_str(doc, "scope"), "admin");
    assert_string_equal(ac_json_str(doc, "client_id"), "s1");
    assert_string_equal(ac_json_str(doc, "aud"), mo_world_resource(w));
    json_decref(doc);
    th_resp_free(&r);
    /* Unauthenticated callers are refused; missing token is invalid. */
    assert_int_equal(post(w, "/introspect", NULL, body, &r), 401);
    th_resp_free(&r);
    assert_int_equal(post(w, "/introspect", BASIC_S1, "x=1", &r), 400);
    th_assert_error(&r, 400, "invalid_request");
    th_resp_free(&r);
    /* After revocation: inactive, and the MCP server refuses it. */
    assert_int_equal(post(w, "/revoke", BASIC_S1, body, &r), 200);
    th_resp_free(&r);
    assert_int_equal(post(w, "/introspect", BASIC_S1, body, &r), 200);
    doc = th_json(&r);
    assert_true(json_is_false(json_object_get(doc, "active")));
    assert_int_equal(json_object_size(doc), 1);
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, tok), 401);
    assert_int_equal(post(w, "/introspect", BASIC_S1, "token=unknown", &r),
                     200);
    assert_non_null(strstr(r.body, "false"));
    th_resp_free(&r);
    free(body);
    free(tok);
    mo_world_stop(w);
}

static void test_refresh_ttl(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"authorization_servers\":[{\"id\":\"as\",\"tokens\":"
        "{\"refresh_ttl\":100}}],\"mcp_server\":{\"path\":\"/mcp\"},"
        "\"rules\":[{\"on\":{\"event\":\"token.issued\",\"nth\":1},"
        "\"do\":{\"advance_clock\":101}}]}");
    char *access = NULL, *rt = NULL, *body;
    struct th_resp r;

    (void)state;
    assert_true(th_login(w, NULL, &access, &rt));
    assert_non_null(rt);
    body = th_fmt("grant_type=refresh_token&refresh_token=%s&client_id=x", rt);
    /* client_id is wrong on purpose first: unknown client. */
    assert_int_equal(post(w, "/token", NULL, body, &r), 401);
    th_resp_free(&r);
    free(body);
    {
        json_t *t = mo_world_transcript(w);
        /* Find the registered client id from the register response. */
        size_t i;
        json_t *e;
        const char *id = NULL;

        json_array_foreach(t, i, e)
        {
            if (strcmp(ac_json_str(e, "endpoint"), "register") == 0) {
                json_t *b = json_loads(
                    ac_json_str(json_object_get(e, "response"), "body"), 0,
                    NULL);

                id = ac_json_str(b, "client_id");
                body = th_fmt("grant_type=refresh_token&refresh_token=%s&"
                              "client_id=%s",
                              rt, id);
                json_decref(b);
            }
        }
        json_decref(t);
    }
    assert_int_equal(post(w, "/token", NULL, body, &r), 400);
    th_assert_error(&r, 400, "invalid_grant");
    th_resp_free(&r);
    free(body);
    free(access);
    free(rt);
    mo_world_stop(w);
}

/* --- redirect URIs and the consent page ------------------------------ */

static char *authz_for(struct mo_world *w, const char *client,
                       const char *redirect)
{
    char *chal = ac_pkce_s256(TH_VERIFIER, NULL);
    char *res = ac_pct_encode(mo_world_resource(w));
    char *redir = ac_pct_encode(redirect);
    char *q = th_fmt("response_type=code&client_id=%s&redirect_uri=%s&"
                     "code_challenge=%s&code_challenge_method=S256&"
                     "resource=%s&state=st",
                     client, redir, chal, res);

    free(chal);
    free(res);
    free(redir);
    return q;
}

static void test_loopback_port_rule(void **state)
{
    struct mo_world *strict = world_pre("", "");
    struct mo_world *loose = world_pre(",\"loopback_any_port\":true", "");
    char *q1 = authz_for(strict, "pub", "http://127.0.0.1:5555/cb");
    char *q2 = authz_for(loose, "pub", "http://127.0.0.1:5555/cb");
    char *q3 = authz_for(loose, "pub", "http://127.0.0.1:5555/other");
    struct th_resp r;

    (void)state;
    assert_int_equal(th_authorize_raw(strict, q1, &r), 400);
    th_resp_free(&r);
    assert_int_equal(th_authorize_raw(loose, q2, &r), 302);
    assert_non_null(
        strstr(th_header(&r, "Location"), "http://127.0.0.1:5555/cb?code="));
    th_resp_free(&r);
    assert_int_equal(th_authorize_raw(loose, q3, &r), 400);
    th_resp_free(&r);
    free(q1);
    free(q2);
    free(q3);
    mo_world_stop(strict);
    mo_world_stop(loose);
}

/* GET /authorize with `q`, which must show the consent page; the
 * transaction id of its form (a new string). The body stays in *r. */
static char *consent_txn(struct mo_world *w, const char *q, struct th_resp *r)
{
    static const char field[] = "name=\"txn\" value=\"";
    const char *p;

    assert_int_equal(th_authorize_raw(w, q, r), 200);
    p = strstr(r->body, field);
    assert_non_null(p);
    p += strlen(field);
    return strndup(p, strcspn(p, "\""));
}

static void test_consent_page(void **state)
{
    json_t *doc = json_loads(
        "{\"authorization_servers\":[{\"id\":\"as\",\"registration\":"
        "[\"pre\"],\"clients\":[{\"client_id\":\"pub\",\"client_name\":"
        "\"Pub <App>\",\"redirect_uris\":[\"" TH_REDIRECT "\"]}]}],"
        "\"mcp_server\":{\"path\":\"/mcp\"}}",
        0, NULL);
    struct mo_world_options opts = {.interactive = true};
    struct mo_world *w = NULL;
    char *q, *txn, *url, *v;
    struct th_resp r;

    (void)state;
    assert_true(mo_world_start_with(doc, &opts, &w, NULL));
    json_decref(doc);
    q = th_authz_query(w, "pub", NULL, "");
    txn = consent_txn(w, q, &r);
    assert_non_null(strstr(r.body, "Pub &lt;App&gt;"));
    assert_non_null(strstr(r.body, "127.0.0.1"));
    th_resp_free(&r);
    /* Approve: the code redirect. */
    url = th_fmt("%s/consent?txn=%s&decision=approve", mo_world_issuer(w, 0),
                 txn);
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 302);
    v = th_query_param(th_header(&r, "Location"), "code");
    assert_non_null(v);
    free(v);
    th_resp_free(&r);
    /* A used transaction is gone. */
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 400);
    th_resp_free(&r);
    free(url);
    free(txn);
    /* Deny: access_denied with state and iss. */
    txn = consent_txn(w, q, &r);
    th_resp_free(&r);
    url = th_fmt("%s/consent?txn=%s&decision=deny", mo_world_issuer(w, 0), txn);
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 302);
    v = th_query_param(th_header(&r, "Location"), "error");
    assert_string_equal(v, "access_denied");
    free(v);
    v = th_query_param(th_header(&r, "Location"), "state");
    assert_string_equal(v, "st");
    free(v);
    assert_non_null(strstr(th_header(&r, "Location"), "iss="));
    th_resp_free(&r);
    free(url);
    free(txn);
    free(q);
    mo_world_stop(w);
}

/* --- profiles -------------------------------------------------------- */

static void test_profile_lenient(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"profile\":\"lenient\",\"authorization_servers\":[{\"id\":\"as\","
        "\"registration\":[\"pre\"],\"clients\":[{\"client_id\":\"pub\","
        "\"redirect_uris\":[\"https://a.example/cb\"]}]}],"
        "\"mcp_server\":{\"path\":\"/mcp\"}}");
    struct th_resp r;
    char *code, *url, *tok;

    (void)state;
    /* No PKCE, unregistered redirect URI, no resource: all accepted. */
    assert_int_equal(th_authorize_raw(w,
                                      "response_type=code&client_id=pub&"
                                      "redirect_uri=https%3A%2F%2Fevil.example"
                                      "%2Fcb&state=s",
                                      &r),
                     302);
    code = th_query_param(th_header(&r, "Location"), "code");
    th_resp_free(&r);
    url = th_fmt("grant_type=authorization_code&code=%s&client_id=pub", code);
    assert_int_equal(post(w, "/token", NULL, url, &r), 200);
    tok = th_json_member(&r, "access_token");
    th_resp_free(&r);
    assert_int_equal(th_mcp_init(w, tok), 200);
    free(tok);
    free(url);
    free(code);
    mo_world_stop(w);
}

static void test_profile_github_like(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"profile\":\"github-like\",\"authorization_servers\":[{\"id\":"
        "\"as\",\"registration\":[\"pre\"],\"clients\":[{\"client_id\":"
        "\"s1\",\"client_secret\":\"secret1\",\"grant_types\":"
        "[\"client_credentials\"]}]}],\"mcp_server\":{\"path\":\"/mcp\"}}");
    struct th_resp r;
    char *md = th_url(w, "/.well-known/oauth-authorization-server");
    json_t *doc;

    (void)state;
    /* Errors with 200. */
    assert_int_equal(
        post(w, "/token", NULL, "grant_type=client_credentials", &r), 200);
    assert_non_null(strstr(r.body, "invalid_client"));
    th_resp_free(&r);
    /* Success without expires_in. */
    assert_int_equal(
        post(w, "/token", BASIC_S1, "grant_type=client_credentials", &r), 200);
    doc = th_json(&r);
    assert_non_null(ac_json_str(doc, "access_token"));
    assert_null(json_object_get(doc, "expires_in"));
    json_decref(doc);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", md, NULL, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "registration_endpoint"));
    th_resp_free(&r);
    free(md);
    mo_world_stop(w);
}

/* RFC 7591 rows added with this AS: application_type and private_key_jwt
 * without keys. */
static void test_register_rows(void **state)
{
    struct mo_world *w = world_pre("", "");
    char *url = th_url(w, "/register");
    static const struct {
        const char *body;
        long status;
    } cases[] = {
        {"{\"redirect_uris\":[\"http://127.0.0.1/cb\"],"
         "\"application_type\":\"native\",\"token_endpoint_auth_method\":"
         "\"none\"}",
         201},
        {"{\"redirect_uris\":[\"http://127.0.0.1/cb\"],"
         "\"application_type\":\"desktop\"}",
         400},
        {"{\"redirect_uris\":[\"http://127.0.0.1/cb\"],"
         "\"application_type\":1}",
         400},
        {"{\"redirect_uris\":[\"http://127.0.0.1/cb\"],"
         "\"token_endpoint_auth_method\":\"private_key_jwt\"}",
         400},
        {"{\"redirect_uris\":[\"http://127.0.0.1/cb\"],"
         "\"token_endpoint_auth_method\":\"private_key_jwt\",\"jwks\":"
         "{\"keys\":[]}}",
         201},
    };
    struct th_resp r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (th_post_json(url, cases[i].body, &r) != cases[i].status) {
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        }
        if (cases[i].status == 400) {
            th_assert_error(&r, 400, "invalid_client_metadata");
        }
        th_resp_free(&r);
    }
    free(url);
    mo_world_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_credentials_basic),
        cmocka_unit_test(test_client_credentials_errors),
        cmocka_unit_test(test_private_key_jwt),
        cmocka_unit_test(test_jwt_rs256),
        cmocka_unit_test(test_jwt_es256),
        cmocka_unit_test(test_rotate_keys),
        cmocka_unit_test(test_introspect),
        cmocka_unit_test(test_refresh_ttl),
        cmocka_unit_test(test_loopback_port_rule),
        cmocka_unit_test(test_consent_page),
        cmocka_unit_test(test_profile_lenient),
        cmocka_unit_test(test_profile_github_like),
        cmocka_unit_test(test_register_rows),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
