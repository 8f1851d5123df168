/* libmcpoauth against the mocks for the ways of being a client and the
 * ways a registration goes bad: the client credentials grant with
 * client_secret_basic, client_secret_post and private_key_jwt (RFC 7523
 * assertion checked on the wire), pre-registration, a Client ID Metadata
 * Document, private_key_jwt in the authorization code flow, a stale
 * client (the AS forgot it: invalid_client at the token endpoint, or an
 * error page at the authorization endpoint found by the pre-flight) →
 * exactly one new registration, AS migration (a new registration at the
 * new AS; the old AS's client_id never reaches it), an expired client
 * secret (pre-registered: a clean failure; stored DCR: a new
 * registration). The mocks' state changes come from scenario rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "mcpoauth.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"
#include "tests/support/transcript.h"
#include "tests/support/client_fx.h"

static int setup(void **state)
{
    return client_fx_setup(state, "recovery");
}

/* --- scenario editing ------------------------------------------------------
 */

static json_t *as_conf(struct client_fx *f, size_t i)
{
    return json_array_get(json_object_get(f->scenario, "authorization_servers"),
                          i);
}

static void add_rule(struct client_fx *f, const char *json)
{
    json_t *r = json_loads(json, 0, NULL);
    assert_non_null(r);
    json_t *rules = json_object_get(f->scenario, "rules");
    if (!json_is_array(rules)) {
        json_object_set_new(f->scenario, "rules", json_array());
        rules = json_object_get(f->scenario, "rules");
    }
    json_array_append_new(rules, r);
}

/* A pre-registered client of AS 0 (JSON object text). */
static void add_client(struct client_fx *f, const char *json)
{
    json_t *c = json_loads(json, 0, NULL);
    assert_non_null(c);
    json_t *as = as_conf(f, 0);
    if (json_object_get(as, "clients") == NULL) {
        json_object_set_new(as, "clients", json_array());
    }
    json_array_append_new(json_object_get(as, "clients"), c);
    /* Pre-registered redirect URIs name no port (RFC 8252 §7.3). */
    json_object_set_new(as, "loopback_any_port", json_true());
}

static void start(struct client_fx *f)
{
    struct ac_err err;
    if (!mo_world_start(f->scenario, &f->world, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
}

static void new_client(struct client_fx *f, bool store)
{
    struct mcpo_err merr;
    mcpo_client_free(f->client);
    if (!mcpo_client_new(mo_world_mcp_url(f->world), &f->client, &merr)) {
        fail_msg("mcpo_client_new: %s", merr.msg);
    }
    mcpo_client_set_browser(f->client, MCPO_BROWSER_HEADLESS);
    mcpo_client_set_store_dir(f->client, store ? f->store : "", NULL);
    mcpo_client_set_callback_timeout(f->client, 5);
    if (getenv("MCPO_TEST_TRACE") != NULL) {
        mcpo_client_set_trace(f->client, true);
    }
}

/* Call echo; false with *err on failure. Snapshots the transcript. */
static bool call_echo(struct client_fx *f, struct mcpo_err *err)
{
    char *out = NULL;
    bool ok = mcpo_call_tool(f->client, "echo", "{\"text\":\"hi\"}", &out, err);
    if (ok) {
        assert_non_null(strstr(out, "hi"));
    }
    mcpo_free(out);
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
    return ok;
}

static void must_call(struct client_fx *f)
{
    struct mcpo_err err;
    if (!call_echo(f, &err)) {
        fail_msg("%s", err.msg);
    }
}

/* --- transcript ------------------------------------------------------------
 */

static long status_of(const json_t *x)
{
    return (long)json_integer_value(
        json_object_get(json_object_get(x, "response"), "status"));
}

/* Exchanges at `endpoint` of `server` (NULL: any server). */
static int count(struct client_fx *f, const char *server, const char *endpoint)
{
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *e = ac_json_str(x, "endpoint");
        if (e != NULL && strcmp(e, endpoint) == 0 &&
            (server == NULL || (s != NULL && strcmp(s, server) == 0))) {
            n++;
        }
    }
    return n;
}

/* The last exchange at `endpoint` (borrowed), failing when none. */
static const json_t *last(struct client_fx *f, const char *endpoint)
{
    for (size_t i = json_array_size(f->transcript); i-- > 0;) {
        const json_t *x = json_array_get(f->transcript, i);
        const char *e = ac_json_str(x, "endpoint");
        if (e != NULL && strcmp(e, endpoint) == 0) {
            return x;
        }
    }
    fail_msg("no %s exchange", endpoint);
    return NULL;
}

/* Does any exchange at `server` mention `needle` in its query, body or
 * Authorization header? */
static bool server_saw(struct client_fx *f, const char *server,
                       const char *needle)
{
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *q = ac_json_str(x, "query");
        const char *b = ac_json_str(json_object_get(x, "request"), "body");
        const char *a = ts_req_header(x, "Authorization");
        if (s == NULL || strcmp(s, server) != 0) {
            continue;
        }
        if ((q != NULL && strstr(q, needle)) ||
            (b != NULL && strstr(b, needle)) ||
            (a != NULL && strstr(a, needle))) {
            return true;
        }
    }
    return false;
}

/* --- client credentials -----------------------------------------------------
 */

#define CC_SECRET_CLIENT(method)                                               \
    "{\"client_id\":\"cc-1\",\"client_secret\":\"cc-secret\","                 \
    "\"token_endpoint_auth_method\":\"" method "\","                           \
    "\"grant_types\":[\"client_credentials\"]}"

static void cc_client(struct client_fx *f, const char *secret)
{
    struct mcpo_err err;
    new_client(f, false);
    assert_true(
        mcpo_client_set_client_credentials(f->client, "cc-1", secret, &err));
    mcpo_client_set_client_credentials_grant(f->client, true);
}

static void test_cc_basic(void **state)
{
    struct client_fx *f = *state;
    add_client(f, CC_SECRET_CLIENT("client_secret_basic"));
    start(f);
    cc_client(f, "cc-secret");
    must_call(f);
    const json_t *t = last(f, "token");
    char *gt = ts_req_param(t, "grant_type"),
         *sec = ts_req_param(t, "client_secret");
    assert_string_equal(gt, "client_credentials");
    assert_null(sec);
    assert_non_null(ts_req_header(t, "Authorization"));
    assert_int_equal(strncmp(ts_req_header(t, "Authorization"), "Basic ", 6),
                     0);
    assert_int_equal(count(f, NULL, "authorize"), 0);
    assert_int_equal(count(f, NULL, "register"), 0);
    free(gt);
}

/* The AS offers only client_secret_post: the secret goes in the body. */
static void test_cc_post(void **state)
{
    struct client_fx *f = *state;
    add_client(f, CC_SECRET_CLIENT("client_secret_post"));
    add_rule(f, "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":{"
                "\"set\":{\"token_endpoint_auth_methods_supported\":["
                "\"client_secret_post\"]}}}}");
    start(f);
    cc_client(f, "cc-secret");
    must_call(f);
    const json_t *t = last(f, "token");
    char *sec = ts_req_param(t, "client_secret"),
         *id = ts_req_param(t, "client_id");
    assert_string_equal(sec, "cc-secret");
    assert_string_equal(id, "cc-1");
    assert_null(ts_req_header(t, "Authorization"));
    free(sec);
    free(id);
}

/* A key pair: the private PEM (new, free) and the public JWK Set text
 * (new, free) for the AS's client record. */
static void key_pair(enum ac_jws_alg alg, char **pem, char **jwks)
{
    struct ac_err err;
    struct ac_jwk *k = ac_jwk_generate(alg, &err);
    assert_non_null(k);
    *pem = ac_jwk_to_pem(k, true, &err);
    json_t *pub = ac_jwk_export(k, false, &err);
    json_t *set = json_pack("{s:[o]}", "keys", pub);
    *jwks = json_dumps(set, JSON_COMPACT);
    assert_non_null(*pem);
    assert_non_null(*jwks);
    json_decref(set);
    ac_jwk_free(k);
}

/* RFC 7523 §3 on the wire: iss = sub = client_id, aud = the issuer, exp,
 * iat, jti; signed with the configured key. */
static void check_assertion_on_wire(struct client_fx *f, const json_t *t,
                                    const char *client_id)
{
    struct ac_err err;
    json_t *hdr = NULL, *claims = NULL;
    char *type = ts_req_param(t, "client_assertion_type");
    char *jwt = ts_req_param(t, "client_assertion");
    assert_string_equal(
        type, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    assert_non_null(jwt);
    assert_true(ac_jwt_peek_unverified(jwt, &hdr, &claims, &err));
    assert_string_equal(ac_json_str(claims, "iss"), client_id);
    assert_string_equal(ac_json_str(claims, "sub"), client_id);
    assert_string_equal(ac_json_str(claims, "aud"),
                        mo_world_issuer(f->world, 0));
    assert_non_null(ac_json_str(claims, "jti"));
    assert_true(json_is_integer(json_object_get(claims, "exp")));
    assert_true(json_is_integer(json_object_get(claims, "iat")));
    assert_null(ts_req_header(t, "Authorization"));
    json_decref(hdr);
    json_decref(claims);
    free(type);
    free(jwt);
}

static void test_cc_jwt(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    char *pem, *jwks, client[4096];
    key_pair(AC_JWS_ES256, &pem, &jwks);
    snprintf(client, sizeof client,
             "{\"client_id\":\"cc-jwt\",\"token_endpoint_auth_method\":"
             "\"private_key_jwt\",\"jwks\":%s,\"grant_types\":["
             "\"client_credentials\"]}",
             jwks);
    add_client(f, client);
    start(f);
    new_client(f, false);
    assert_true(
        mcpo_client_set_client_credentials(f->client, "cc-jwt", NULL, &err));
    if (!mcpo_client_set_private_key(f->client, pem, "ES256", &err)) {
        fail_msg("%s", err.msg);
    }
    mcpo_client_set_client_credentials_grant(f->client, true);
    must_call(f);
    check_assertion_on_wire(f, last(f, "token"), "cc-jwt");
    /* A key of the wrong algorithm is a usage error. */
    assert_false(mcpo_client_set_private_key(f->client, pem, "RS256", &err));
    assert_int_equal(err.code, MCPO_ERR_USAGE);
    free(pem);
    free(jwks);
}

/* private_key_jwt in the authorization code flow of a pre-registered
 * client, and in the refresh. */
static void test_code_flow_jwt_and_refresh(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    char *pem, *jwks, client[4096];
    key_pair(AC_JWS_RS256, &pem, &jwks);
    snprintf(client, sizeof client,
             "{\"client_id\":\"code-jwt\",\"token_endpoint_auth_method\":"
             "\"private_key_jwt\",\"jwks\":%s,\"redirect_uris\":["
             "\"http://127.0.0.1/callback\"]}",
             jwks);
    add_client(f, client);
    start(f);
    new_client(f, false);
    assert_true(
        mcpo_client_set_client_credentials(f->client, "code-jwt", NULL, &err));
    assert_true(mcpo_client_set_private_key(f->client, pem, NULL, &err));
    must_call(f);
    check_assertion_on_wire(f, last(f, "token"), "code-jwt");
    if (!mcpo_refresh(f->client, &err)) {
        fail_msg("%s", err.msg);
    }
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
    const json_t *t = last(f, "token");
    char *gt = ts_req_param(t, "grant_type");
    assert_string_equal(gt, "refresh_token");
    check_assertion_on_wire(f, t, "code-jwt");
    free(gt);
    free(pem);
    free(jwks);
}

/* A refresh answered 503 with Retry-After is retried with the same
 * refresh token after max(backoff, Retry-After), never longer than the
 * cap of mcpo_client_set_retry_backoff: with a 30 ms cap two outages
 * asking for 30 s each cost milliseconds; with a 2 s cap, a Retry-After
 * of 1 s is waited for. */
static void refresh_after_outages(struct client_fx *f, int outages,
                                  const char *retry_after, long cap_ms,
                                  int64_t *elapsed_ms)
{
    struct mcpo_err err;
    char rule[512];
    for (int k = 1; k <= outages; k++) {
        snprintf(rule, sizeof rule,
                 "{\"match\":{\"endpoint\":\"token\",\"form\":"
                 "{\"grant_type\":\"refresh_token\"},\"nth\":%d},"
                 "\"do\":{\"respond\":{\"status\":503,\"headers\":"
                 "{\"Retry-After\":\"%s\"},\"body\":{\"error\":"
                 "\"temporarily_unavailable\"}}}}",
                 k, retry_after);
        add_rule(f, rule);
    }
    start(f);
    new_client(f, false);
    mcpo_client_set_retry_backoff(f->client, 1, cap_ms);
    must_call(f);
    int64_t t0 = ac_mono_ns();
    if (!mcpo_refresh(f->client, &err)) {
        fail_msg("%s", err.msg);
    }
    *elapsed_ms = (ac_mono_ns() - t0) / 1000000;
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
    assert_int_equal(count(f, NULL, "token"), 2 + outages);
    assert_int_equal(status_of(last(f, "token")), 200);
}

static void test_refresh_retry_after_capped(void **state)
{
    int64_t ms;
    refresh_after_outages(*state, 2, "30", 30, &ms);
    assert_true(ms < 3000); /* two 30 s waits capped at 30 ms */
}

static void test_refresh_retry_after_honoured(void **state)
{
    int64_t ms;
    refresh_after_outages(*state, 1, "1", 2000, &ms);
    assert_true(ms >= 1000);
}

/* --- registration kinds -----------------------------------------------------
 */

/* Pre-registered: no DCR; the secret authenticates at the token endpoint. */
static void test_preregistered(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    add_client(f, "{\"client_id\":\"pre-1\",\"client_secret\":\"pre-secret\","
                  "\"redirect_uris\":[\"http://127.0.0.1/callback\"]}");
    start(f);
    new_client(f, true);
    assert_true(mcpo_client_set_client_credentials(f->client, "pre-1",
                                                   "pre-secret", &err));
    must_call(f);
    assert_int_equal(count(f, NULL, "register"), 0);
    char *id = ts_req_param(last(f, "authorize"), "client_id");
    assert_string_equal(id, "pre-1");
    free(id);
    /* The configured secret is not written to the store. */
    char *list = NULL;
    assert_true(mcpo_store_list(f->store, &list, &err));
    assert_null(strstr(list, "pre-secret"));
    char *rec = NULL;
    assert_true(mcpo_store_get(f->store, mcpo_client_resource(f->client), NULL,
                               &rec, &err));
    assert_non_null(rec);
    assert_null(strstr(rec, "pre-secret"));
    mcpo_free(rec);
    mcpo_free(list);
}

/* CIMD: the AS fetches our metadata document; the URL is the client_id. */
static void test_cimd(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    json_t *as = as_conf(f, 0);
    json_object_set_new(as, "registration", json_pack("[s]", "cimd"));
    json_object_set_new(as, "loopback_any_port", json_true());
    json_object_set_new(
        f->scenario, "client_metadata_documents",
        json_pack("[{s:s, s:{s:s, s:[s], s:[s, s], s:[s], s:s}}]", "path",
                  "/mcp-oauth.json", "document", "client_name", "mcp-oauth",
                  "redirect_uris", "http://127.0.0.1/callback", "grant_types",
                  "authorization_code", "refresh_token", "response_types",
                  "code", "token_endpoint_auth_method", "none"));
    start(f);
    const char *url = mo_world_client_metadata_url(f->world, 0);
    assert_non_null(url);
    new_client(f, false);
    assert_true(mcpo_client_set_client_metadata_url(f->client, url, &err));
    must_call(f);
    assert_int_equal(count(f, NULL, "register"), 0);
    assert_int_cmp(count(f, NULL, "cimd"), >=, 1);
    char *id = ts_req_param(last(f, "authorize"), "client_id");
    assert_string_equal(id, url);
    free(id);
}

/* --- stale clients ----------------------------------------------------------
 */

/* The AS forgets its clients when the first code is redeemed: the token
 * endpoint answers invalid_client, the client registers once more. */
static void test_stale_client_at_token(void **state)
{
    struct client_fx *f = *state;
    add_rule(f, "{\"match\":{\"endpoint\":\"token\",\"times\":1},"
                "\"do\":{\"forget\":\"clients\"}}");
    start(f);
    new_client(f, false);
    must_call(f);
    assert_int_equal(count(f, NULL, "register"), 2);
    assert_int_equal(count(f, NULL, "token"), 2);
    assert_int_equal(count(f, NULL, "authorize"), 2);
}

/* Forgotten again and again: one new registration only, then failure. */
static void test_stale_client_once(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    add_rule(f, "{\"match\":{\"endpoint\":\"token\"},"
                "\"do\":{\"forget\":\"clients\"}}");
    start(f);
    new_client(f, false);
    assert_false(call_echo(f, &err));
    assert_non_null(strstr(err.msg, "invalid_client"));
    assert_int_equal(count(f, NULL, "register"), 2);
}

/* A stored registration the AS forgot: the pre-flight of the
 * authorization URL sees the error page (no redirect), the client
 * registers again before sending the user there. */
static void test_stale_client_at_authorize(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    char *rec = NULL;
    add_rule(f, "{\"on\":{\"event\":\"token.issued\",\"times\":1},"
                "\"do\":{\"forget\":\"clients\"}}");
    start(f);
    new_client(f, true);
    must_call(f);
    /* Keep the registration, drop the tokens: the next run must
     * authorize with the stored client. */
    assert_true(mcpo_store_get(f->store, mcpo_client_resource(f->client), NULL,
                               &rec, &err));
    json_t *doc = json_loads(rec, 0, NULL);
    json_object_set_new(doc, "tokens", json_null());
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_true(mcpo_store_put(f->store, text, &err));
    free(text);
    json_decref(doc);
    mcpo_free(rec);
    new_client(f, true);
    must_call(f);
    assert_int_equal(count(f, NULL, "register"), 2);
    /* login, pre-flight (400 page), login with the new client */
    assert_int_equal(count(f, NULL, "authorize"), 3);
    size_t i;
    const json_t *x;
    int pages = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *e = ac_json_str(x, "endpoint");
        if (e != NULL && strcmp(e, "authorize") == 0 && status_of(x) == 400) {
            pages++;
        }
    }
    assert_int_equal(pages, 1);
}

/* A fresh registration forgotten before the user gets to the AS: the
 * headless user agent sees the error page instead of a redirect, the
 * probe confirms it, the client registers once more. */
static void test_stale_fresh_client_error_page(void **state)
{
    struct client_fx *f = *state;
    add_rule(f, "{\"match\":{\"endpoint\":\"authorize\",\"times\":1},"
                "\"do\":{\"forget\":\"clients\"}}");
    start(f);
    new_client(f, false);
    must_call(f);
    assert_int_equal(count(f, NULL, "register"), 2);
    /* error page, probe (error page), then the new client's redirect */
    assert_int_equal(count(f, NULL, "authorize"), 3);
}

/* --- AS migration -----------------------------------------------------------
 */

/* Once a token was issued, the MCP server moves to another AS (its PRM
 * names only as2, it trusts only as2): the client registers at as2, and
 * nothing of as1's registration is sent to as2. */
static void test_as_migration(void **state)
{
    struct client_fx *f = *state;
    json_t *as2 = json_deep_copy(as_conf(f, 0));
    json_object_set_new(as_conf(f, 0), "id", json_string("as1"));
    json_object_set_new(as2, "id", json_string("as2"));
    json_array_append_new(json_object_get(f->scenario, "authorization_servers"),
                          as2);
    add_rule(f, "{\"on\":{\"event\":\"token.issued\",\"times\":1},"
                "\"do\":{\"switch_as\":\"as2\"}}");
    start(f);
    new_client(f, true);
    must_call(f);
    assert_int_equal(count(f, "as1", "register"), 1);
    assert_int_equal(count(f, "as2", "register"), 1);
    assert_string_equal(mcpo_client_issuer(f->client),
                        mo_world_issuer(f->world, 1));
    /* as1's client_id, from its registration answer */
    const json_t *reg = NULL;
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *e = ac_json_str(x, "endpoint");
        if (s != NULL && strcmp(s, "as1") == 0 && e != NULL &&
            strcmp(e, "register") == 0) {
            reg = x;
        }
    }
    assert_non_null(reg);
    json_t *body = json_loads(
        ac_json_str(json_object_get(reg, "response"), "body"), 0, NULL);
    const char *old_id = ac_json_str(body, "client_id");
    assert_non_null(old_id);
    assert_false(server_saw(f, "as2", old_id));
    json_decref(body);
    /* A restart uses as2's registration and tokens: no new request at
     * either AS. */
    int before = count(f, "as1", "token") + count(f, "as2", "token");
    new_client(f, true);
    must_call(f);
    assert_int_equal(count(f, "as1", "token") + count(f, "as2", "token"),
                     before);
}

/* --- expired client secrets -------------------------------------------------
 */

/* A pre-registered secret that expired: invalid_client, reported once,
 * no registration attempt, no loop. */
static void test_expired_preregistered_secret(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    add_client(f, CC_SECRET_CLIENT("client_secret_basic"));
    add_rule(f, "{\"match\":{\"endpoint\":\"token\",\"times\":1},"
                "\"do\":{\"expire\":\"client_secrets\"}}");
    start(f);
    cc_client(f, "cc-secret");
    assert_false(call_echo(f, &err));
    assert_non_null(strstr(err.msg, "invalid_client"));
    assert_int_equal(count(f, NULL, "token"), 1);
    assert_int_equal(count(f, NULL, "register"), 0);
}

/* A stored DCR registration whose secret expired (RFC 7591
 * client_secret_expires_at) is not presented: the client registers anew. */
static void test_expired_stored_secret(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    char *rec = NULL;
    start(f);
    new_client(f, true);
    must_call(f);
    assert_true(mcpo_store_get(f->store, mcpo_client_resource(f->client), NULL,
                               &rec, &err));
    json_t *doc = json_loads(rec, 0, NULL);
    json_t *cl = json_object_get(doc, "client");
    json_object_set_new(cl, "client_id", json_string("expired-client"));
    json_object_set_new(cl, "client_secret", json_string("old-secret"));
    json_object_set_new(cl, "token_endpoint_auth_method",
                        json_string("client_secret_basic"));
    json_object_set_new(cl, "client_secret_expires_at", json_integer(1000));
    json_object_set_new(doc, "tokens", json_null());
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_true(mcpo_store_put(f->store, text, &err));
    free(text);
    json_decref(doc);
    mcpo_free(rec);
    new_client(f, true);
    must_call(f);
    assert_int_equal(count(f, NULL, "register"), 2);
    assert_false(server_saw(f, "as", "expired-client"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, client_fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_cc_basic),
        T(test_cc_post),
        T(test_cc_jwt),
        T(test_code_flow_jwt_and_refresh),
        T(test_refresh_retry_after_capped),
        T(test_refresh_retry_after_honoured),
        T(test_preregistered),
        T(test_cimd),
        T(test_stale_client_at_token),
        T(test_stale_client_once),
        T(test_stale_client_at_authorize),
        T(test_stale_fresh_client_error_page),
        T(test_as_migration),
        T(test_expired_preregistered_secret),
        T(test_expired_stored_secret),
    };
    return cmocka_run_group_tests(tests, client_fx_group_setup,
                                  client_fx_group_teardown);
}
