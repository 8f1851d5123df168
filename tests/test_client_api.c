/* The public functions of libmcpoauth that neither the command line nor
 * the other tests call, as a user of the library would: mcpo_login,
 * mcpo_client_redirect_uri, mcpo_client_set_as_metadata,
 * mcpo_client_set_client_metadata, mcpo_client_set_http_timeout,
 * mcpo_client_store_dir, mcpo_store_clear, and the federation setters
 * (mcpo_client_set_workload_token*, mcpo_client_set_enterprise_idp,
 * mcpo_client_set_id_token).
 *
 * This program links the shipped archive, lib/libmcpoauth.a, next to the
 * mocks and their own copy of common/ (build/libcommon.a): the library's
 * internal names are local, so the two copies do not collide, and the
 * test reaches the client only through mcpoauth.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/json.h"
#include "mcpoauth.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"
#include "tests/support/client_fx.h"
#include "tests/support/http.h"
#include "tests/support/net.h"
#include "tests/support/transcript.h"

static int setup(void **state)
{
    return client_fx_setup(state, "api");
}

/* Start the world and a headless client for its MCP URL, with the test's
 * own token store. */
static void start(struct client_fx *f)
{
    struct ac_err err;
    struct mcpo_err merr;

    if (!mo_world_start(f->scenario, &f->world, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
    if (!mcpo_client_new(mo_world_mcp_url(f->world), &f->client, &merr) ||
        !mcpo_client_set_store_dir(f->client, f->store, &merr)) {
        fail_msg("%s", merr.msg);
    }
    mcpo_client_set_browser(f->client, MCPO_BROWSER_HEADLESS);
    mcpo_client_set_callback_timeout(f->client, 5);
}

static void snapshot(struct client_fx *f)
{
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
    assert_non_null(f->transcript);
}

/* Exchanges at `endpoint`. */
static int count(const struct client_fx *f, const char *endpoint)
{
    size_t i;
    const json_t *x;
    int n = 0;

    json_array_foreach(f->transcript, i, x)
    {
        const char *e = ac_json_str(x, "endpoint");
        n += e != NULL && strcmp(e, endpoint) == 0;
    }
    return n;
}

/* The first exchange at `endpoint` (borrowed), failing when none. */
static const json_t *first(const struct client_fx *f, const char *endpoint)
{
    size_t i;
    const json_t *x;

    json_array_foreach(f->transcript, i, x)
    {
        const char *e = ac_json_str(x, "endpoint");
        if (e != NULL && strcmp(e, endpoint) == 0) {
            return x;
        }
    }
    fail_msg("no %s exchange", endpoint);
    return NULL;
}

/* The registration request's body: a new reference. */
static json_t *registration_body(const struct client_fx *f)
{
    const json_t *req = json_object_get(first(f, "register"), "request");
    json_t *body = json_loads(ac_json_str(req, "body"), 0, NULL);

    assert_non_null(body);
    return body;
}

/* mcpo_login runs check, discovery, registration and authorization: the
 * client then holds a token and knows its redirect URI, which is the one
 * it registered and sent to the authorization endpoint. */
static void test_login_sets_redirect_uri(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    const char *uri;
    char *sent = NULL, *tools = NULL;
    json_t *reg;

    start(f);
    assert_null(mcpo_client_redirect_uri(f->client));
    assert_false(mcpo_client_has_token(f->client));
    if (!mcpo_login(f->client, &err)) {
        fail_msg("mcpo_login: %s", err.msg);
    }
    assert_true(mcpo_client_has_token(f->client));
    assert_string_equal(mcpo_client_issuer(f->client),
                        mo_world_issuer(f->world, 0));
    uri = mcpo_client_redirect_uri(f->client);
    assert_non_null(uri);
    assert_int_equal(strncmp(uri, "http://127.0.0.1:", 17), 0);
    snapshot(f);
    assert_int_equal(count(f, "token"), 1);
    sent = ts_req_param(first(f, "authorize"), "redirect_uri");
    assert_non_null(sent);
    assert_string_equal(sent, uri);
    reg = registration_body(f);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(reg, "redirect_uris"), 0)),
                        uri);
    /* Logged in: MCP needs no second authorization. */
    if (!mcpo_list_tools(f->client, &tools, &err)) {
        fail_msg("mcpo_list_tools: %s", err.msg);
    }
    assert_non_null(strstr(tools, "\"echo\""));
    snapshot(f);
    assert_int_equal(count(f, "authorize"), 1);
    mcpo_free(tools);
    json_decref(reg);
    free(sent);
}

/* The AS metadata as the mock serves it: a new string. */
static char *fetch_as_metadata(struct client_fx *f)
{
    struct th_resp r = {0};
    char *url = th_fmt("%s/.well-known/oauth-authorization-server",
                       mo_world_issuer(f->world, 0));
    char *text;

    assert_non_null(url);
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 200);
    text = strdup(r.body);
    th_resp_free(&r);
    free(url);
    return text;
}

/* Pre-configured AS metadata: neither the PRM nor the AS metadata is
 * fetched by the client, and the flow completes with it. Metadata that
 * would fail discovery's validation is refused when set. */
static void test_preset_as_metadata_skips_discovery(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    char *meta, *out = NULL;
    json_t *doc;
    int fetched;

    start(f);
    meta = fetch_as_metadata(f);
    snapshot(f);
    fetched = count(f, "metadata"); /* ours, just now */
    if (!mcpo_client_set_as_metadata(f->client, meta, &err)) {
        fail_msg("mcpo_client_set_as_metadata: %s", err.msg);
    }
    if (!mcpo_call_tool(f->client, "echo", "{\"text\":\"preset\"}", &out,
                        &err)) {
        fail_msg("mcpo_call_tool: %s", err.msg);
    }
    assert_non_null(strstr(out, "preset"));
    assert_string_equal(mcpo_client_issuer(f->client),
                        mo_world_issuer(f->world, 0));
    snapshot(f);
    assert_int_equal(count(f, "metadata"), fetched);
    assert_int_equal(count(f, "oidc"), 0);
    assert_int_equal(count(f, "prm"), 0);
    assert_int_equal(count(f, "token"), 1);

    /* Refused as discovery would refuse it: no S256 (MCP requires PKCE). */
    doc = json_loads(meta, 0, NULL);
    assert_non_null(doc);
    json_object_set_new(doc, "code_challenge_methods_supported",
                        json_pack("[s]", "plain"));
    free(meta);
    meta = json_dumps(doc, JSON_COMPACT);
    assert_false(mcpo_client_set_as_metadata(f->client, meta, &err));
    assert_int_not_equal(err.code, MCPO_OK);
    assert_false(mcpo_client_set_as_metadata(f->client, "[1]", &err));
    assert_int_equal(err.code, MCPO_ERR_USAGE);
    assert_true(mcpo_client_set_as_metadata(f->client, NULL, &err));
    json_decref(doc);
    mcpo_free(out);
    free(meta);
}

/* Workload identity federation through the API: the JWT in a file, read
 * for the grant; no registration, no authorization request, no client
 * authentication without a client id. An expired JWT from an environment
 * variable is never sent. */
static void test_workload_token(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    struct ac_err aerr;
    struct mcpo_client *c2 = NULL;
    char path[300], *out = NULL, *out2 = NULL;
    json_t *vars;
    FILE *fp;

    json_decref(f->scenario);
    f->scenario = ts_scenario_load("auth/wif-jwt-bearer.json", &aerr);
    assert_non_null(f->scenario);
    start(f);
    vars = mo_world_ext_vars(f->world);
    assert_non_null(vars);
    snprintf(path, sizeof path, "%s/workload.jwt", f->store);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%s\n", ac_json_str(vars, "wif_valid_jwt"));
    fclose(fp);
    if (!mcpo_client_set_workload_token_file(f->client, path, &err) ||
        !mcpo_call_tool(f->client, "test-tool", "{}", &out, &err)) {
        fail_msg("workload token: %s", err.msg);
    }
    snapshot(f);
    assert_int_equal(count(f, "token"), 1);
    assert_int_equal(count(f, "register") + count(f, "authorize"), 0);
    assert_null(ts_req_header(first(f, "token"), "Authorization"));

    setenv("AUTHCHECK_TEST_WORKLOAD", ac_json_str(vars, "wif_expired_jwt"), 1);
    assert_true(mcpo_client_new(mo_world_mcp_url(f->world), &c2, &err));
    assert_true(mcpo_client_set_store_dir(c2, "", &err));
    assert_true(mcpo_client_set_workload_token_env(
        c2, "AUTHCHECK_TEST_WORKLOAD", &err));
    assert_false(mcpo_call_tool(c2, "test-tool", "{}", &out2, &err));
    assert_non_null(strstr(err.msg, "expired"));
    snapshot(f);
    assert_int_equal(count(f, "token"), 1);
    unsetenv("AUTHCHECK_TEST_WORKLOAD");
    mcpo_client_free(c2);
    mcpo_free(out);
    mcpo_free(out2);
    json_decref(vars);
}

/* Enterprise-managed authorization through the API: the ID token is
 * exchanged at the IdP, the ID-JAG presented with the client's secret. */
static void test_enterprise_idp(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    struct ac_err aerr;
    char *out = NULL;
    json_t *vars;

    json_decref(f->scenario);
    f->scenario =
        ts_scenario_load("auth/enterprise-managed-authorization.json", &aerr);
    assert_non_null(f->scenario);
    start(f);
    vars = mo_world_ext_vars(f->world);
    assert_non_null(vars);
    assert_false(mcpo_client_set_enterprise_idp(
        f->client, ac_json_str(vars, "idp_token_endpoint"), NULL, NULL, &err));
    assert_int_equal(err.code, MCPO_ERR_USAGE);
    if (!mcpo_client_set_client_credentials(
            f->client, "conformance-test-xaa-client",
            "conformance-test-xaa-secret", &err) ||
        !mcpo_client_set_enterprise_idp(
            f->client, ac_json_str(vars, "idp_token_endpoint"),
            "conformance-test-idp-client", NULL, &err) ||
        !mcpo_client_set_id_token(f->client, ac_json_str(vars, "idp_id_token"),
                                  &err) ||
        !mcpo_call_tool(f->client, "test-tool", "{}", &out, &err)) {
        fail_msg("enterprise IdP: %s", err.msg);
    }
    snapshot(f);
    assert_int_equal(count(f, "idp-token"), 1);
    assert_int_equal(count(f, "token"), 1);
    assert_int_equal(count(f, "authorize"), 0);
    mcpo_free(out);
    json_decref(vars);
}

/* Extra RFC 7591 metadata reaches the registration request; members the
 * flow sets itself are not overridden. */
static void test_client_metadata_in_registration(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_err err;
    json_t *reg;
    const char *uri;

    start(f);
    assert_false(mcpo_client_set_client_metadata(f->client, "{", &err));
    assert_int_equal(err.code, MCPO_ERR_USAGE);
    assert_false(mcpo_client_set_client_metadata(f->client, "\"x\"", &err));
    if (!mcpo_client_set_client_metadata(
            f->client,
            "{\"client_uri\":\"https://app.example/\","
            "\"software_id\":\"authcheck-api-test\","
            "\"redirect_uris\":[\"https://evil.example/cb\"],"
            "\"grant_types\":[\"implicit\"]}",
            &err) ||
        !mcpo_login(f->client, &err)) {
        fail_msg("%s", err.msg);
    }
    snapshot(f);
    assert_int_equal(count(f, "register"), 1);
    reg = registration_body(f);
    assert_string_equal(ac_json_str(reg, "client_uri"), "https://app.example/");
    assert_string_equal(ac_json_str(reg, "software_id"), "authcheck-api-test");
    uri = json_string_value(
        json_array_get(json_object_get(reg, "redirect_uris"), 0));
    assert_non_null(uri);
    assert_string_equal(uri, mcpo_client_redirect_uri(f->client));
    assert_int_equal(json_array_size(json_object_get(reg, "redirect_uris")), 1);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(reg, "grant_types"), 0)),
                        "authorization_code");
    json_decref(reg);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A server that accepts the connection and never answers: the request
 * ends after the configured total timeout (the default is 30 s). */
static void test_http_timeout(void **state)
{
    struct mcpo_client *c = NULL;
    struct mcpo_err err;
    bool required = false;
    int port = 0, fd = ts_listen_loopback(&port);
    char *url = th_fmt("http://127.0.0.1:%d/mcp", port);
    double t0, took;

    (void)state;
    assert_int_cmp(fd, >=, 0);
    assert_non_null(url);
    assert_true(mcpo_client_new(url, &c, &err));
    mcpo_client_set_store_dir(c, "", NULL);
    mcpo_client_set_http_timeout(c, 300);
    t0 = now_s();
    assert_false(mcpo_check_auth(c, &required, &err));
    took = now_s() - t0;
    assert_int_equal(err.code, MCPO_ERR_TIMEOUT);
    assert_dbl_cmp(took, >=, 0.25);
    assert_dbl_cmp(took, <, 5.0);
    mcpo_client_free(c);
    close(fd);
    free(url);
}

/* The store directory in use: the one set, none when the store is off,
 * else the default under $XDG_STATE_HOME. */
static void test_store_dir(void **state)
{
    struct client_fx *f = *state;
    struct mcpo_client *c = NULL;
    struct mcpo_err err;
    char *want = th_fmt("%s/mcp-oauth", f->store);
    char *saved = getenv("XDG_STATE_HOME") != NULL
                      ? strdup(getenv("XDG_STATE_HOME"))
                      : NULL;

    assert_non_null(want);
    assert_true(mcpo_client_new("http://127.0.0.1:1/mcp", &c, &err));
    assert_true(mcpo_client_set_store_dir(c, f->store, &err));
    assert_string_equal(mcpo_client_store_dir(c), f->store);
    assert_true(mcpo_client_set_store_dir(c, "", &err));
    assert_null(mcpo_client_store_dir(c));
    assert_int_equal(setenv("XDG_STATE_HOME", f->store, 1), 0);
    assert_true(mcpo_client_set_store_dir(c, NULL, &err));
    assert_string_equal(mcpo_client_store_dir(c), want);
    if (saved != NULL) {
        setenv("XDG_STATE_HOME", saved, 1);
    } else {
        unsetenv("XDG_STATE_HOME");
    }
    mcpo_client_free(c);
    free(saved);
    free(want);
}

static void put(const char *dir, const char *resource, const char *issuer)
{
    struct mcpo_err err;
    char *rec = th_fmt("{\"resource\":\"%s\",\"issuer\":\"%s\","
                       "\"tokens\":{\"access_token\":\"at-%s\"}}",
                       resource, issuer, issuer);

    assert_non_null(rec);
    if (!mcpo_store_put(dir, rec, &err)) {
        fail_msg("mcpo_store_put: %s", err.msg);
    }
    free(rec);
}

/* Is the record of (resource, issuer) stored? */
static bool stored(const char *dir, const char *resource, const char *issuer)
{
    struct mcpo_err err;
    char *rec = NULL;
    bool found;

    if (!mcpo_store_get(dir, resource, issuer, &rec, &err)) {
        fail_msg("mcpo_store_get: %s", err.msg);
    }
    found = rec != NULL;
    mcpo_free(rec);
    return found;
}

static size_t listed(const char *dir)
{
    struct mcpo_err err;
    char *text = NULL;
    json_t *list;
    size_t n;

    if (!mcpo_store_list(dir, &text, &err)) {
        fail_msg("mcpo_store_list: %s", err.msg);
    }
    list = json_loads(text, 0, NULL);
    assert_true(json_is_array(list));
    n = json_array_size(list);
    json_decref(list);
    mcpo_free(text);
    return n;
}

/* mcpo_store_clear: one record, every record of a resource (issuer NULL,
 * as for mcpo_store_get), then everything; clearing what is not there
 * succeeds. */
static void test_store_clear(void **state)
{
    struct client_fx *f = *state;
    const char *d = f->store, *r1 = "http://127.0.0.1:1/mcp",
               *r2 = "http://127.0.0.1:2/mcp", *i1 = "http://127.0.0.1:3",
               *i2 = "http://127.0.0.1:4";
    struct mcpo_err err;

    put(d, r1, i1);
    put(d, r1, i2);
    put(d, r2, i1);
    put(d, r2, i2);
    assert_int_equal(listed(d), 4);

    assert_true(mcpo_store_clear(d, r1, i1, &err));
    assert_false(stored(d, r1, i1));
    assert_true(stored(d, r1, i2));
    assert_int_equal(listed(d), 3);
    assert_true(mcpo_store_clear(d, r1, i1, &err)); /* already gone */

    assert_true(mcpo_store_clear(d, r2, NULL, &err));
    assert_false(stored(d, r2, i1));
    assert_false(stored(d, r2, i2));
    assert_true(stored(d, r1, i2));
    assert_int_equal(listed(d), 1);

    assert_true(mcpo_store_clear(d, NULL, NULL, &err));
    assert_int_equal(listed(d), 0);
    assert_true(mcpo_store_clear(d, NULL, NULL, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_sets_redirect_uri, setup,
                                        client_fx_teardown),
        cmocka_unit_test_setup_teardown(test_preset_as_metadata_skips_discovery,
                                        setup, client_fx_teardown),
        cmocka_unit_test_setup_teardown(test_client_metadata_in_registration,
                                        setup, client_fx_teardown),
        cmocka_unit_test(test_http_timeout),
        cmocka_unit_test_setup_teardown(test_workload_token, setup,
                                        client_fx_teardown),
        cmocka_unit_test_setup_teardown(test_enterprise_idp, setup,
                                        client_fx_teardown),
        cmocka_unit_test_setup_teardown(test_store_dir, setup,
                                        client_fx_teardown),
        cmocka_unit_test_setup_teardown(test_store_clear, setup,
                                        client_fx_teardown),
    };
    return cmocka_run_group_tests(tests, client_fx_group_setup,
                                  client_fx_group_teardown);
}
