/* End to end: `authcheck run` against the reference client passes every
 * check of core/dcr-happy-path; the `no-pkce` mutation of the client fails
 * the four PKCE checks (and, since the strict mock refuses an authorization
 * request without PKCE, everything after the authorization step). Also the
 * CLI's exit statuses. Runs the built binaries from $AUTHCHECK_BINDIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/runner.h"
#include "tests/support/asserts.h"

struct fixture {
    char authcheck[512];
    char mut[512];
    char scenarios[512];
    char tmp[512];
};

static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *mut = getenv("AUTHCHECK_MUT_CLIENT");
    const char *sc = getenv("AUTHCHECK_SCENARIOS");
    const char *tmp = getenv("AUTHCHECK_TMP");
    struct fixture *f;

    if (bin == NULL || mut == NULL || sc == NULL || tmp == NULL) {
        fprintf(stderr, "test_e2e: run through `make run-tests`\n");
        return -1;
    }
    f = calloc(1, sizeof(*f));
    snprintf(f->authcheck, sizeof(f->authcheck), "%s/authcheck", bin);
    snprintf(f->mut, sizeof(f->mut), "%s", mut);
    snprintf(f->scenarios, sizeof(f->scenarios), "%s", sc);
    snprintf(f->tmp, sizeof(f->tmp), "%s", tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Run authcheck with the given arguments; returns its exit status. */
static int authcheck(const struct fixture *f, const char *const *args,
                     char **output)
{
    const char *argv[16] = {f->authcheck};
    struct hr_exec x = {argv, NULL, 60000, 0, NULL};
    struct hr_exec_result r;
    struct ac_err err;
    size_t n = 1;

    for (; args[n - 1] != NULL && n < 15; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    if (!hr_exec_run(&x, &r, &err)) {
        fail_msg("running authcheck: %s", err.msg);
    }
    assert_false(r.timed_out);
    assert_int_equal(r.signal, 0);
    if (output != NULL) {
        *output = r.output;
    } else {
        hr_exec_result_free(&r);
    }
    return r.exit_code;
}

static json_t *load_results(const char *out)
{
    char path[600];
    json_error_t jerr;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/results.json", out);
    doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        fail_msg("%s: %s", path, jerr.text);
    }
    return doc;
}

struct expect {
    const char *id;
    const char *status;
};

/* Each wanted check is in the scenario's results with that status; the
 * scenario's key checks (its file's "checks") come first, "key": true,
 * then the baseline checks, "key": false. */
static void assert_checks(const json_t *results, const struct expect *want,
                          size_t n, size_t nkey)
{
    const json_t *sc = json_array_get(json_object_get(results, "scenarios"), 0);
    const json_t *checks = json_object_get(sc, "checks");
    size_t i;
    const json_t *c;

    assert_int_cmp(json_array_size(checks), >=, n);
    json_array_foreach(checks, i, c)
    {
        assert_int_equal(json_is_true(json_object_get(c, "key")), i < nkey);
    }
    for (size_t k = 0; k < n; k++) {
        const char *st = NULL;
        json_array_foreach(checks, i, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "id")),
                       want[k].id) == 0) {
                st = json_string_value(json_object_get(c, "status"));
            }
        }
        if (st == NULL || strcmp(st, want[k].status) != 0) {
            fail_msg("check %s: %s, expected %s", want[k].id,
                     st != NULL ? st : "absent", want[k].status);
        }
    }
}

static void test_reference_client_passes(void **state)
{
    static const char *const ids[] = {
        "prm-fetched",
        "as-metadata-fetched",
        "client-registered",
        "pkce-code-challenge-sent",
        "pkce-s256-method-used",
        "pkce-code-verifier-sent",
        "pkce-verifier-matches-challenge",
        "state-roundtrip",
        "resource-parameter-in-authorization",
        "resource-parameter-in-token",
        "bearer-header-used",
        "mcp-call-succeeded",
        "client-exit-status",
    };
    struct fixture *f = *state;
    struct expect want[13];
    char out[600];
    char *text = NULL;
    json_t *res;
    const json_t *sc;

    snprintf(out, sizeof(out), "%s/e2e-reference", f->tmp);
    const char *args[] = {"run", "--scenario",  "core/dcr-happy-path", "--out",
                          out,   "--scenarios", f->scenarios,          NULL};
    assert_int_equal(authcheck(f, args, &text), 0);
    assert_non_null(strstr(text, "PASS core/dcr-happy-path ("));
    free(text);
    for (size_t k = 0; k < 13; k++) {
        want[k] = (struct expect){ids[k], "SUCCESS"};
    }
    res = load_results(out);
    sc = json_array_get(json_object_get(res, "scenarios"), 0);
    assert_string_equal(json_string_value(json_object_get(sc, "status")),
                        "passed");
    assert_checks(res, want, 13, 12); /* all but client-exit-status are key */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(res, "summary"), "passed")),
                     1);
    json_decref(res);
}

static void test_no_pkce_mutation_fails(void **state)
{
    static const struct expect want[] = {
        {"prm-fetched", "SUCCESS"},
        {"as-metadata-fetched", "SUCCESS"},
        {"client-registered", "SUCCESS"},
        {"pkce-code-challenge-sent", "FAILURE"},
        {"pkce-s256-method-used", "FAILURE"},
        {"pkce-code-verifier-sent", "FAILURE"},
        {"pkce-verifier-matches-challenge", "FAILURE"},
        {"state-roundtrip", "SUCCESS"},
        {"resource-parameter-in-authorization", "SUCCESS"},
        /* the mock refuses the authorization request: no code, no token */
        {"resource-parameter-in-token", "FAILURE"},
        {"bearer-header-used", "FAILURE"},
        {"mcp-call-succeeded", "FAILURE"},
        {"client-exit-status", "FAILURE"},
    };
    struct fixture *f = *state;
    char out[600], cmd[1200];
    char *text = NULL;
    json_t *res;
    const json_t *sc;

    snprintf(out, sizeof(out), "%s/e2e-no-pkce", f->tmp);
    snprintf(cmd, sizeof(cmd), "MCP_OAUTH_MUTATION=no-pkce '%s' conformance",
             f->mut);
    const char *args[] = {
        "run",         "--scenario", "core/dcr-happy-path", "--out", out,
        "--scenarios", f->scenarios, "--client-cmd",        cmd,     "-q",
        NULL};
    assert_int_equal(authcheck(f, args, &text), 1);
    /* -q: the recap, grouped by first cause (reports/causes.h): no PKCE
     * is first seen in the authorization request */
    assert_non_null(strstr(text, "CAUSE pkce-code-challenge-sent "
                                 "[authorization, MUST] in 1 scenario "));
    assert_non_null(strstr(text, "\n  scenario: core/dcr-happy-path\n"));
    assert_non_null(strstr(text, " pkce-s256-method-used (1)"));
    free(text);
    res = load_results(out);
    sc = json_array_get(json_object_get(res, "scenarios"), 0);
    assert_string_equal(json_string_value(json_object_get(sc, "status")),
                        "failed");
    assert_checks(res, want, sizeof(want) / sizeof(*want), 12);
    json_decref(res);
}

static void test_cli_exit_statuses(void **state)
{
    struct fixture *f = *state;
    char *text = NULL;
    const char *version[] = {"--version", NULL};
    const char *help[] = {"run", "--help", NULL};
    const char *bad_opt[] = {"run", "--bogus", NULL};
    const char *bad_cmd[] = {"frobnicate", NULL};
    const char *no_such[] = {"run",         "--scenario", "core/none",
                             "--scenarios", f->scenarios, NULL};
    const char *list[] = {"list", "--scenarios", f->scenarios, NULL};
    const char *browse[] = {"browse", NULL};

    assert_int_equal(authcheck(f, version, &text), 0);
    assert_string_equal(text, "authcheck " AUTHCHECK_VERSION "\n");
    free(text);
    assert_int_equal(authcheck(f, help, &text), 0);
    assert_non_null(strstr(text, "exit status"));
    free(text);
    assert_int_equal(authcheck(f, bad_opt, NULL), 2);
    assert_int_equal(authcheck(f, bad_cmd, NULL), 2);
    assert_int_equal(authcheck(f, no_such, &text), 2);
    assert_non_null(strstr(text, "no scenario \"core/none\""));
    free(text);
    assert_int_equal(authcheck(f, list, &text), 0);
    assert_non_null(strstr(text, "core/dcr-happy-path"));
    free(text);
    assert_int_equal(authcheck(f, browse, NULL), 2);
}

/* An invalid scenario file stops the run before anything starts. */
static void test_cli_invalid_scenario(void **state)
{
    struct fixture *f = *state;
    char dir[600], path[700];
    char *text = NULL;
    FILE *fp;

    snprintf(dir, sizeof(dir), "%s/e2e-bad-scenarios", f->tmp);
    snprintf(path, sizeof(path), "mkdir -p '%s/x'", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof(path), "%s/x/bad.json", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\n  \"id\": \"x/bad\",\n  \"titel\": \"typo\"\n}\n", fp);
    fclose(fp);
    const char *args[] = {"run", "--scenarios", dir, NULL};
    assert_int_equal(authcheck(f, args, &text), 2);
    assert_non_null(strstr(text, "x/bad.json:3:3: unknown key \"titel\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_client_passes),
        cmocka_unit_test(test_no_pkce_mutation_fails),
        cmocka_unit_test(test_cli_exit_statuses),
        cmocka_unit_test(test_cli_invalid_scenario),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
