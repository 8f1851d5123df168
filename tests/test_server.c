/* authcheck server against the project's own mocks: the server mutation
 * matrix (docs/SERVER.md).
 *
 * The strict mocks must pass every server check (SUCCESS, or SKIPPED with
 * a reason); each defect profile (mocks/defects.h) must make the check it
 * proves come out FAILURE (MUST) or WARNING (SHOULD). Every server check
 * must have a proving profile and every profile must prove a check: a
 * check without one fails the test. Runs in-process through hsv_run
 * against worlds on 127.0.0.1 port 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/httpc.h"
#include "common/url.h"
#include "harness/server.h"
#include "harness/server_int.h"
#include "mocks/defects.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"

/* defect profile -> the check it proves. */
static const struct {
    const char *defect;
    const char *check;
} MATRIX[] = {
    {"metadata-content-type", "authorization-server-metadata-endpoint"},
    {"metadata-wrong-issuer", "as-metadata-issuer"},
    {"metadata-no-s256", "as-metadata-pkce-s256"},
    {"metadata-insecure-endpoint", "as-metadata-endpoints-secure"},
    {"token-cacheable", "authorization-code-grant"},
    {"pkce-optional", "as-pkce-required"},
    {"pkce-plain", "as-pkce-plain-rejected"},
    {"verifier-unchecked", "as-pkce-verifier-checked"},
    {"redirect-prefix", "as-redirect-uri-exact"},
    {"code-reusable", "as-code-single-use"},
    {"replay-keeps-tokens", "as-code-replay-revokes"},
    {"code-unbound", "as-code-bound-client"},
    {"code-unbound", "as-code-bound-redirect"},
    {"state-dropped", "as-state-echoed"},
    {"iss-wrong", "as-iss-parameter"},
    {"resource-unchecked", "as-resource-invalid-target"},
    {"token-cacheable", "as-token-response"},
    {"token-error-200", "as-token-error-response"},
    {"client-auth-no-challenge", "as-client-auth-failure"},
    {"refresh-not-rotated", "as-refresh-rotation"},
    {"refresh-reuse-undetected", "as-refresh-reuse-rejected"},
    {"refresh-reuse-no-revoke", "as-refresh-reuse-revokes-family"},
    {"refresh-scope-widen", "as-refresh-scope-not-widened"},
    {"dcr-lax", "as-dcr-redirect-uri-validated"},
    {"dcr-lax", "as-dcr-metadata-validated"},
    {"revoke-broken", "as-revocation-unknown-token"},
    {"revoke-noop", "as-revocation-effective"},
    {"introspect-always-active", "as-introspection"},
    {"mcp-no-challenge", "mcp-401-challenge"},
    {"prm-missing", "mcp-401-challenge"},
    {"prm-wrong-resource", "prm-valid"},
    {"mcp-rejects-all", "mcp-accepts-valid-token"},
    {"mcp-ignores-revocation", "mcp-rejects-invalid-token"},
    {"mcp-query-token", "mcp-rejects-query-token"},
    {"mcp-any-audience", "mcp-rejects-wrong-audience"},
    {"scope-challenge-no-scope", "mcp-insufficient-scope"},
    {"mcp-accepts-expired", "mcp-rejects-expired-token"},
    {"dpop-bearer-accepted", "mcp-dpop-bearer-rejected"},
    {"dpop-ath-unchecked", "mcp-dpop-ath-required"},
    {"dpop-rejects-all", "mcp-dpop-valid-proof"},
    {"cimd-broken", "as-cimd-fetch"},
    {"cimd-id-unchecked", "as-cimd-client-id-mismatch"},
    {"cimd-ssrf", "as-cimd-ssrf"},
    {"cc-broken", "as-client-credentials"},
    {"client-auth-no-challenge", "as-client-credentials-auth"},
    {"cc-refresh-issued", "as-client-credentials-no-refresh"},
};
#define NMATRIX (sizeof MATRIX / sizeof MATRIX[0])

/* The world every run starts from: one AS with two scopes (for the
 * scope-widening check), DCR and client ID metadata documents, DPoP at
 * the AS and the MCP server (optional: Bearer tokens still work), and a
 * second MCP server whose resource the AS also serves (for the
 * wrong-audience check). */
static const char BASE[] =
    "{\"id\": \"server/strict\", \"authorization_servers\": [{\"id\": "
    "\"as\", \"scopes_supported\": [\"mcp:tools\", \"mcp:admin\"], "
    "\"registration\": [\"dcr\", \"cimd\"], \"dpop\": {}}], "
    "\"mcp_server\": {\"path\": \"/mcp\", \"dpop\": {}, \"tools\": "
    "[{\"name\": \"echo\"}, {\"name\": \"admin\", \"scope\": "
    "\"mcp:admin\"}]}, "
    "\"mcp_servers_extra\": "
    "[{\"id\": \"mcp2\", \"path\": \"/mcp2\"}]}";

/* How the user gets past /authorize: the mocks' consent page
 * (interactive) and --auto-consent / --login. */
struct login {
    bool interactive;
    bool auto_consent;
    const char *login_cmd;
    bool login_form; /* the consent page asks for a password */
    const char *username, *password;
};

/* hsv_options.advance_clock: the mocks' control API moves the world's
 * clock (mcp-rejects-expired-token without waiting). */
static bool advance(void *ctx, long seconds)
{
    struct mo_world *w = ctx;
    char url[512], body[64];
    struct ac_http_request rq = {0};
    struct ac_http_response rs;
    struct ac_err err;
    const char *h[] = {"Content-Type: application/json", NULL};
    bool ok;

    snprintf(url, sizeof(url), "%s/clock", mo_world_control_url(w));
    snprintf(body, sizeof(body), "{\"advance\": %ld}", seconds);
    rq.method = "POST";
    rq.url = url;
    rq.headers = h;
    rq.body = body;
    rq.timeout_ms = 5000;
    ok = ac_http_do(&rq, &rs, &err) && rs.status == 200;
    ac_http_response_free(&rs);
    return ok;
}

/* Run the server checks (`glob`, NULL: all) against the mocks with
 * `defect` (NULL: strict). A new results document. */
static json_t *run_login(const char *defect, const char *glob,
                         const struct login *lg)
{
    json_t *base = json_loads(BASE, 0, NULL);
    json_t *doc = NULL, *results = NULL, *secrets = json_array();
    struct mo_world *w = NULL;
    struct ac_err err;
    const char *globs[2] = {glob, NULL};
    struct hsv_options o = {0};
    struct mo_world_options wo = {0};
    char *other;

    assert_non_null(base);
    doc = defect ? mo_defect_apply(base, defect, &err) : json_incref(base);
    assert_non_null(doc);
    wo.interactive = lg != NULL && lg->interactive;
    wo.interactive_login = lg != NULL && lg->login_form;
    o.username = lg != NULL ? lg->username : NULL;
    o.password = lg != NULL ? lg->password : NULL;
    o.auto_consent = lg != NULL && lg->auto_consent;
    o.login_cmd = lg != NULL ? lg->login_cmd : NULL;
    if (!mo_world_start_with(doc, &wo, &w, &err)) {
        fail_msg("world: %s", err.msg);
    }
    other = ac_url_canonical_resource(mo_world_mcp_url_by_id(w, "mcp2"));
    o.mcp_url = mo_world_mcp_url(w);
    o.other_resource = other;
    o.advance_clock = advance;
    o.advance_ctx = w;
    o.checks = glob ? globs : NULL;
    o.verbosity = -2;
    if (!hsv_run(&o, &results, secrets, &err)) {
        fail_msg("hsv_run: %s", err.msg);
    }
    mo_world_stop(w);
    free(other);
    json_decref(doc);
    json_decref(base);
    json_decref(secrets);
    return results;
}

static json_t *run(const char *defect, const char *glob)
{
    return run_login(defect, glob, NULL);
}

static const json_t *check_of(const json_t *results, const char *id)
{
    const json_t *sc = json_array_get(json_object_get(results, "scenarios"), 0);
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(sc, "checks"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0) {
            return c;
        }
    }
    return NULL;
}

static const char *status_of(const json_t *c)
{
    return json_string_value(json_object_get(c, "status"));
}

/* Strict mocks: every check SUCCESS or SKIPPED with a reason; the ones
 * the matrix proves must actually have run (SUCCESS). */
static void test_strict_passes(void **state)
{
    json_t *results = run(NULL, NULL);
    size_t n;
    const struct hc_check *reg = hsv_registry(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = check_of(results, reg[i].id);
        const char *msg;
        assert_non_null(c);
        msg = json_string_value(json_object_get(c, "message"));
        if (strcmp(status_of(c), "SUCCESS") != 0) {
            fail_msg("strict mocks: %s is %s: %s", reg[i].id, status_of(c),
                     msg);
        }
    }
    json_decref(results);
}

/* Each defect makes its check fail; the strict run made it SUCCESS. */
static void test_defects_fail(void **state)
{
    (void)state;
    for (size_t k = 0; k < NMATRIX; k++) {
        json_t *results = run(MATRIX[k].defect, MATRIX[k].check);
        const json_t *c = check_of(results, MATRIX[k].check);
        assert_non_null(c);
        if (strcmp(status_of(c), "FAILURE") != 0 &&
            strcmp(status_of(c), "WARNING") != 0) {
            fail_msg("defect %s: %s is %s (%s), expected it to fail",
                     MATRIX[k].defect, MATRIX[k].check, status_of(c),
                     json_string_value(json_object_get(c, "message")));
        }
        json_decref(results);
    }
}

/* Every check has a proving defect, every defect proves a check. */
static void test_matrix_complete(void **state)
{
    size_t n;
    const struct hc_check *reg = hsv_registry(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < NMATRIX; k++) {
            found = found || strcmp(MATRIX[k].check, reg[i].id) == 0;
        }
        if (!found) {
            fail_msg("server check %s has no defect profile proving it",
                     reg[i].id);
        }
    }
    for (size_t d = 0; d < mo_defect_count(); d++) {
        bool found = false;
        for (size_t k = 0; k < NMATRIX; k++) {
            found = found || strcmp(MATRIX[k].defect, mo_defect_name(d)) == 0;
        }
        if (!found) {
            fail_msg("defect profile %s proves no check", mo_defect_name(d));
        }
    }
    assert_true(mo_defect_known("pkce-optional"));
    assert_false(mo_defect_known("no-such-defect"));
    {
        json_t *doc = json_loads(BASE, 0, NULL);
        struct ac_err err;
        assert_null(mo_defect_apply(doc, "no-such-defect", &err));
        assert_int_equal(err.code, AC_ERR_INVALID);
        json_decref(doc);
    }
}

/* No target is a usage error; a check needing what was not given is
 * SKIPPED with the reason, never failed. */
static void test_usage_and_skips(void **state)
{
    struct hsv_options o = {0};
    json_t *results = NULL, *secrets = json_array();
    struct ac_err err;
    const json_t *c;

    (void)state;
    o.verbosity = -2;
    assert_false(hsv_run(&o, &results, secrets, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
    /* Nothing listens there: discovery fails, MCP checks are skipped. */
    o.issuer = "http://127.0.0.1:1";
    assert_true(hsv_run(&o, &results, secrets, &err));
    c = check_of(results, "mcp-accepts-valid-token");
    assert_string_equal(status_of(c), "SKIPPED");
    assert_non_null(
        strstr(json_string_value(json_object_get(c, "message")), "--mcp"));
    c = check_of(results, "authorization-server-metadata-endpoint");
    assert_string_equal(status_of(c), "FAILURE");
    json_decref(results);
    json_decref(secrets);
}

/* Secrets seen during a run end up in the redaction list; messages
 * carry none. */
static void test_no_secret_in_messages(void **state)
{
    json_t *results = run(NULL, "as-*");
    const json_t *sc = json_array_get(json_object_get(results, "scenarios"), 0);
    const json_t *c;
    size_t i;

    (void)state;
    json_array_foreach(json_object_get(sc, "checks"), i, c)
    {
        const char *m = json_string_value(json_object_get(c, "message"));
        assert_null(strstr(m, "access_token="));
        assert_null(strstr(m, "code="));
    }
    json_decref(results);
}

/* A consent page: SKIPPED with the way out, unless --auto-consent
 * submits its form (the default, first button: approve). --login gets
 * the code from a command that prints the redirect. */
static void test_getting_past_consent(void **state)
{
    static const struct login page = {true, false, NULL, false, NULL, NULL};
    static const struct login autoc = {true, true, NULL, false, NULL, NULL};
    static const struct login cmd = {
        false, false, "curl -s -o /dev/null -w '%{redirect_url}\\n'",
        false, NULL,  NULL};
    static const struct login follow = {false, false, "curl -s -L -o /dev/null",
                                        false, NULL,  NULL};
    static const struct login form = {true, true, NULL, true, NULL, NULL};
    static const struct login user = {true, true,  NULL,
                                      true, "ann", "authcheck"};
    const char *id = "authorization-code-grant";
    json_t *r;
    const json_t *c;

    (void)state;
    r = run_login(NULL, id, &page);
    c = check_of(r, id);
    assert_string_equal(status_of(c), "SKIPPED");
    assert_non_null(strstr(json_string_value(json_object_get(c, "message")),
                           "--auto-consent"));
    json_decref(r);
    r = run_login(NULL, id, &autoc);
    assert_string_equal(status_of(check_of(r, id)), "SUCCESS");
    json_decref(r);
    r = run_login(NULL, id, &cmd);
    assert_string_equal(status_of(check_of(r, id)), "SUCCESS");
    json_decref(r);
    /* A command that follows the redirect to the harness's listener. */
    r = run_login(NULL, id, &follow);
    assert_string_equal(status_of(check_of(r, id)), "SUCCESS");
    json_decref(r);
    /* A login form: SKIPPED without credentials; filled with them, its
     * session cookie kept. */
    r = run_login(NULL, id, &form);
    c = check_of(r, id);
    assert_string_equal(status_of(c), "SKIPPED");
    assert_non_null(strstr(json_string_value(json_object_get(c, "message")),
                           "--username/--password"));
    json_decref(r);
    r = run_login(NULL, id, &user);
    assert_string_equal(status_of(check_of(r, id)), "SUCCESS");
    json_decref(r);
}

/* Discovery names a plain-http revocation endpoint on another origin:
 * it is reported, never contacted (every exchange stays on loopback),
 * and the checks that would need it are SKIPPED. */
static void test_never_leaves_the_servers(void **state)
{
    json_t *r = run("metadata-insecure-endpoint", "as-revocation-*");
    const json_t *sc = json_array_get(json_object_get(r, "scenarios"), 0);
    const json_t *e;
    size_t i;

    (void)state;
    assert_int_cmp(json_array_size(json_object_get(sc, "transcript")), >, 0);
    json_array_foreach(json_object_get(sc, "transcript"), i, e)
    {
        const char *url = json_string_value(json_object_get(e, "url"));
        if (strncmp(url, "http://127.0.0.1:", 17) != 0) {
            fail_msg("a request left the servers: %s", url);
        }
    }
    assert_string_equal(status_of(check_of(r, "as-revocation-effective")),
                        "SKIPPED");
    json_decref(r);
}

/* --cimd-https: the listener serves its documents over TLS with a
 * self-signed certificate for 127.0.0.1 (curl -k: the AS under test must
 * be told to accept it) and counts the fetches. */
static void test_https_listener(void **state)
{
    struct hsv_listener *l = NULL;
    char why[256], cmd[256], out[256] = "";
    FILE *p;

    (void)state;
    assert_true(hsv_listen_start_tls(0, true, &l, why, sizeof(why)));
    assert_true(hsv_listen_doc(l, "/cimd/x/client.json", "{\"a\":1}"));
    snprintf(cmd, sizeof(cmd),
             "curl -sk https://127.0.0.1:%d/cimd/x/client.json",
             hsv_listen_port(l));
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof(out), p));
    pclose(p);
    assert_string_equal(out, "{\"a\":1}");
    assert_int_equal(hsv_listen_hits(l, "/cimd/x/client.json"), 1);
    hsv_listen_stop(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_complete),
        cmocka_unit_test(test_usage_and_skips),
        cmocka_unit_test(test_strict_passes),
        cmocka_unit_test(test_defects_fail),
        cmocka_unit_test(test_no_secret_in_messages),
        cmocka_unit_test(test_getting_past_consent),
        cmocka_unit_test(test_never_leaves_the_servers),
        cmocka_unit_test(test_https_listener),
    };
    struct ac_err err;

    if (!ac_http_global_init(&err)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
