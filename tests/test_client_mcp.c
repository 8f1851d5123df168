/* The MCP wires of libmcpoauth (the 2026-07-28 request metadata headers
 * themselves are tests/test_common_mcphdr.c's): the library against the
 * mock MCP server
 * speaking the 2026-07-28 stateless wire, the 2025-11-25 session wire, or
 * both (era detection: server/discover first, initialize as the fallback;
 * the era remembered in the token store). */
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

#include "client/lib/client_int.h"
#include "common/json.h"
#include "mcpoauth.h"
#include "mocks/world.h"
#include "tests/support/transcript.h"
#include "tests/support/client_fx.h"

/* --- against the mock ------------------------------------------------------
 */

static int setup(void **state)
{
    return client_fx_setup(state, "mcp");
}

static void start_world(struct client_fx *f, const char *wire)
{
    struct ac_err err;
    json_object_set_new(json_object_get(f->scenario, "mcp_server"), "wire",
                        json_string(wire));
    if (!mo_world_start(f->scenario, &f->world, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
}

/* A new headless client using the fixture's store. */
static void new_client(struct client_fx *f)
{
    struct mcpo_err merr;
    mcpo_client_free(f->client);
    if (!mcpo_client_new(mo_world_mcp_url(f->world), &f->client, &merr)) {
        fail_msg("mcpo_client_new: %s", merr.msg);
    }
    mcpo_client_set_browser(f->client, MCPO_BROWSER_HEADLESS);
    mcpo_client_set_store_dir(f->client, f->store, NULL);
    mcpo_client_set_callback_timeout(f->client, 5);
    if (getenv("MCPO_TEST_TRACE") != NULL) {
        mcpo_client_set_trace(f->client, true);
    }
}

static void call_echo(struct client_fx *f)
{
    struct mcpo_err err;
    char *out = NULL;
    if (!mcpo_call_tool(f->client, "echo", "{\"text\":\"hi there\"}", &out,
                        &err)) {
        fail_msg("%s", err.msg);
    }
    assert_non_null(strstr(out, "hi there"));
    mcpo_free(out);
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
}

static const char *req_method(const json_t *x, json_t **msg)
{
    *msg = json_loads(ac_json_str(json_object_get(x, "request"), "body") != NULL
                          ? ac_json_str(json_object_get(x, "request"), "body")
                          : "",
                      0, NULL);
    return ac_json_str(*msg, "method");
}

/* How many MCP POSTs carried `method` (and were answered `status`, or any
 * when 0). */
static int count(struct client_fx *f, const char *method, long status)
{
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        json_t *msg;
        const char *ep = ac_json_str(x, "endpoint");
        const char *m = ep != NULL && strcmp(ep, "mcp") == 0
                            ? req_method(x, &msg)
                            : (msg = NULL, NULL);
        long st = (long)json_integer_value(
            json_object_get(json_object_get(x, "response"), "status"));
        if (m != NULL && strcmp(m, method) == 0 &&
            (status == 0 || st == status)) {
            n++;
        }
        json_decref(msg);
    }
    return n;
}

/* Every authorized modern request: the metadata headers match the body,
 * `_meta` has the required fields, and no session id is sent. */
static void check_modern_requests(struct client_fx *f)
{
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        json_t *msg;
        const char *ep = ac_json_str(x, "endpoint");
        if (ep == NULL || strcmp(ep, "mcp") != 0 ||
            strcmp(ac_json_str(x, "method"), "POST") != 0) {
            continue;
        }
        const char *m = req_method(x, &msg);
        assert_non_null(m);
        assert_string_equal(ts_req_header(x, "Mcp-Method"), m);
        assert_string_equal(ts_req_header(x, "MCP-Protocol-Version"),
                            "2026-07-28");
        assert_null(ts_req_header(x, "Mcp-Session-Id"));
        const json_t *meta =
            json_object_get(json_object_get(msg, "params"), "_meta");
        assert_string_equal(
            ac_json_str(meta, "io.modelcontextprotocol/protocolVersion"),
            "2026-07-28");
        assert_true(json_is_object(json_object_get(
            meta, "io.modelcontextprotocol/clientCapabilities")));
        if (strcmp(m, "tools/call") == 0) {
            assert_string_equal(ts_req_header(x, "Mcp-Name"), "echo");
        }
        json_decref(msg);
    }
}

/* 2026-07-28 only: server/discover, then tools/list and tools/call, no
 * initialize, no DELETE. */
static void test_modern_wire(void **state)
{
    struct client_fx *f = *state;
    start_world(f, "2026-07-28");
    new_client(f);
    call_echo(f);
    assert_int_equal(count(f, "initialize", 0), 0);
    assert_int_equal(count(f, "server/discover", 200), 1);
    assert_int_equal(count(f, "tools/call", 200), 1);
    check_modern_requests(f);
}

/* 2025-11-25 only: the probe is refused without a modern error, the client
 * falls back to initialize and a session. */
static void test_legacy_fallback(void **state)
{
    struct client_fx *f = *state;
    start_world(f, "2025-11-25");
    new_client(f);
    call_echo(f);
    assert_int_equal(count(f, "initialize", 200), 1);
    assert_int_equal(count(f, "notifications/initialized", 202), 1);
    assert_int_equal(count(f, "tools/call", 200), 1);
}

/* Both wires: the modern one is chosen. */
static void test_both_prefers_modern(void **state)
{
    struct client_fx *f = *state;
    start_world(f, "both");
    new_client(f);
    call_echo(f);
    assert_int_equal(count(f, "initialize", 0), 0);
    assert_int_equal(count(f, "tools/call", 200), 1);
    check_modern_requests(f);
}

/* The era is kept in the token store: a restarted client sends its call
 * at once, without server/discover (modern) or a failing probe (legacy). */
static void test_era_remembered(void **state)
{
    struct client_fx *f = *state;
    start_world(f, "2026-07-28");
    new_client(f);
    call_echo(f);
    new_client(f);
    call_echo(f);
    assert_int_equal(count(f, "server/discover", 0), 2); /* 401 + 200 */
    assert_int_equal(count(f, "tools/call", 200), 2);
}

static void test_era_remembered_legacy(void **state)
{
    struct client_fx *f = *state;
    start_world(f, "2025-11-25");
    new_client(f);
    call_echo(f);
    int probes = count(f, "server/discover", 0);
    new_client(f);
    call_echo(f);
    assert_int_equal(count(f, "server/discover", 0), probes);
    assert_int_equal(count(f, "initialize", 200), 2);
}

/* 2025-11-25: the server ended the session (404 to its Mcp-Session-Id):
 * a new initialize without the old id, then the call is retried. */
static void test_legacy_session_expired(void **state)
{
    struct client_fx *f = *state;
    json_t *rule = json_loads(
        "{\"match\":{\"endpoint\":\"mcp\",\"json\":{\"method\":"
        "\"tools/call\"},\"times\":1},\"do\":{\"forget\":\"sessions\"}}",
        0, NULL);
    json_object_set_new(f->scenario, "rules", json_pack("[o]", rule));
    start_world(f, "2025-11-25");
    new_client(f);
    call_echo(f);
    assert_int_equal(count(f, "initialize", 200), 2);
    assert_int_equal(count(f, "tools/call", 404), 1);
    assert_int_equal(count(f, "tools/call", 200), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, client_fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_modern_wire),           T(test_legacy_fallback),
        T(test_both_prefers_modern),   T(test_era_remembered),
        T(test_era_remembered_legacy), T(test_legacy_session_expired),
    };
    return cmocka_run_group_tests(tests, client_fx_group_setup,
                                  client_fx_group_teardown);
}
