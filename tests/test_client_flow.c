/* End-to-end tests of libmcpoauth against the project's mocks on loopback:
 * the happy path through the public API step by step, the whole flow in
 * one call, and refusals the client must make. The mock world is started
 * from a scenario document (scenarios/core/dcr-happy-path.json, patched
 * per test); the client meets it only on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/json.h"
#include "mcpoauth.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"
#include "tests/support/client_fx.h"

struct fixture {
    json_t *scenario;
    struct mo_world *world;
    struct mcpo_client *client;
};

static int setup(void **state)
{
    struct ac_err err;
    struct fixture *f = calloc(1, sizeof *f);
    f->scenario = ts_scenario_load("core/dcr-happy-path.json", &err);
    if (f->scenario == NULL) {
        print_error("%s\n", err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mcpo_client_free(f->client);
    mo_world_stop(f->world);
    json_decref(f->scenario);
    free(f);
    return 0;
}

/* Start the world and a headless client for its MCP URL. */
static void start(struct fixture *f)
{
    struct ac_err err;
    struct mcpo_err merr;
    if (!mo_world_start(f->scenario, &f->world, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
    if (!mcpo_client_new(mo_world_mcp_url(f->world), &f->client, &merr)) {
        fail_msg("mcpo_client_new: %s", merr.msg);
    }
    mcpo_client_set_browser(f->client, MCPO_BROWSER_HEADLESS);
    /* These tests are about one flow: no token store (test_client_store
     * covers it). */
    mcpo_client_set_store_dir(f->client, "", NULL);
    mcpo_client_set_callback_timeout(f->client, 5);
    if (getenv("MCPO_TEST_TRACE") != NULL) {
        mcpo_client_set_trace(f->client, true);
    }
}

static void test_steps(void **state)
{
    struct fixture *f = *state;
    struct mcpo_err err;
    bool required = false;
    char *out = NULL;

    start(f);
    assert_true(mcpo_check_auth(f->client, &required, &err));
    assert_true(required);
    if (!mcpo_discover_prm(f->client, &err) ||
        !mcpo_discover_as(f->client, &err) || !mcpo_register(f->client, &err) ||
        !mcpo_authorize(f->client, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(mcpo_client_issuer(f->client),
                        mo_world_issuer(f->world, 0));
    assert_non_null(mcpo_client_client_id(f->client));
    assert_string_equal(mcpo_client_requested_scope(f->client), "mcp:tools");
    assert_true(mcpo_client_has_token(f->client));
    if (!mcpo_list_tools(f->client, &out, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_non_null(strstr(out, "\"echo\""));
    mcpo_free(out);
    if (!mcpo_call_tool(f->client, "echo", "{\"text\":\"hi there\"}", &out,
                        &err)) {
        fail_msg("%s", err.msg);
    }
    assert_non_null(strstr(out, "hi there"));
    mcpo_free(out);
}

/* mcpo_call_tool alone runs the whole flow. */
static void test_one_call(void **state)
{
    struct fixture *f = *state;
    struct mcpo_err err;
    char *out = NULL;
    start(f);
    if (!mcpo_call_tool(f->client, "echo", "{\"text\":\"x\"}", &out, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_non_null(strstr(out, "\"isError\":false"));
    mcpo_free(out);
}

static json_t *mcp_conf(struct fixture *f)
{
    return json_object_get(f->scenario, "mcp_server");
}

static json_t *as_conf(struct fixture *f)
{
    return json_array_get(json_object_get(f->scenario, "authorization_servers"),
                          0);
}

/* Run the whole flow; return the requested scope (borrowed). */
static const char *login(struct fixture *f)
{
    struct mcpo_err err;
    start(f);
    if (!mcpo_connect(f->client, &err)) {
        fail_msg("%s", err.msg);
    }
    return mcpo_client_requested_scope(f->client);
}

/* No resource_metadata in the challenge: the path-inserted well-known PRM
 * URL is used (RFC 9728 §3.1). */
static void test_prm_wellknown_path(void **state)
{
    struct fixture *f = *state;
    json_object_set_new(json_object_get(mcp_conf(f), "challenge"),
                        "resource_metadata", json_false());
    login(f);
    assert_non_null(strstr(mcpo_client_prm_url(f->client),
                           "/.well-known/oauth-protected-resource/mcp"));
}

/* PRM only at the root: path-inserted 404, then the root. */
static void test_prm_wellknown_root(void **state)
{
    struct fixture *f = *state;
    json_object_set_new(json_object_get(mcp_conf(f), "challenge"),
                        "resource_metadata", json_false());
    json_object_set_new(mcp_conf(f), "prm", json_string("root"));
    login(f);
    const char *u = mcpo_client_prm_url(f->client);
    size_t n = strlen(u), k = strlen("/.well-known/oauth-protected-resource");
    assert_int_cmp(n, >, k);
    assert_string_equal(u + n - k, "/.well-known/oauth-protected-resource");
}

/* An issuer with a path, OIDC discovery only: RFC 8414 path-inserted
 * fails, OIDC path-inserted is used; the issuer is the one with the path. */
static void test_as_oidc_with_path(void **state)
{
    struct fixture *f = *state;
    json_object_set_new(as_conf(f), "issuer_path", json_string("/tenant1"));
    json_object_set_new(as_conf(f), "discovery", json_pack("[s]", "oidc"));
    login(f);
    const char *iss = mcpo_client_issuer(f->client);
    assert_non_null(iss);
    assert_string_equal(iss + strlen(iss) - strlen("/tenant1"), "/tenant1");
}

/* No scope in the challenge: the PRM's scopes_supported. */
static void test_scope_from_prm(void **state)
{
    struct fixture *f = *state;
    json_object_del(json_object_get(mcp_conf(f), "challenge"), "scope");
    assert_string_equal(login(f), "mcp:tools");
}

/* Neither: the scope parameter is omitted. */
static void test_scope_omitted(void **state)
{
    struct fixture *f = *state;
    json_object_del(json_object_get(mcp_conf(f), "challenge"), "scope");
    json_object_del(mcp_conf(f), "scopes_supported");
    json_object_set_new(
        json_array_get(json_object_get(mcp_conf(f), "tools"), 0), "scope",
        json_null());
    assert_null(login(f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prm_wellknown_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prm_wellknown_root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_as_oidc_with_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_scope_from_prm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_omitted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, client_fx_group_setup,
                                  client_fx_group_teardown);
}
