/* Tests of `authcheck run` and `authcheck report` as a user runs them:
 * scenario selection (globs, suites, --spec), -j 2 with a hanging, a
 * flooding and a crashing client next to a good one, the private HOME
 * (never under the output directory), the context and its redaction,
 * baseline exit statuses, the non-terminal progress lines, re-rendering
 * and --help / README.md covering every option.
 * Runs $AUTHCHECK_BINDIR/authcheck on a scenario directory made here, with
 * tests/data/harness/fake-client.sh as the client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "harness/runner.h"
#include "tests/support/asserts.h"

struct fixture {
    char authcheck[512];
    char fake[512];    /* the fake client script */
    char sdir[512];    /* scenarios made for these tests */
    char tmp[512];     /* TMPDIR for the runs */
    char out[512];     /* --out */
    char scratch[512]; /* baselines */
};

/* --- scenarios -------------------------------------------------------- */

/* One scenario file: `id` under the fixture's directory, with its spec
 * list and suites as JSON array texts and client.context as object text. */
static void write_scenario(const struct fixture *f, const char *id,
                           const char *spec, const char *suites,
                           const char *context)
{
    char path[800], dir[1000];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s.json", f->sdir, id);
    snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(dir), 0);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp,
            "{\"id\": \"%s\", \"title\": \"cli test %s\", \"spec\": %s,\n"
            " \"suites\": %s,\n"
            " \"authorization_servers\": [{\"id\": \"as\"}],\n"
            " \"mcp_server\": {\"tools\": [{\"name\": \"echo\"}]},\n"
            " \"client\": {\"timeout_ms\": 20000, \"context\": %s},\n"
            " \"checks\": [\"client-exit-status\"]}\n",
            id, id, spec, suites, context);
    fclose(fp);
}

static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *tmp = getenv("AUTHCHECK_TMP");
    const char *data = getenv("AUTHCHECK_TESTDATA");
    struct fixture *f;
    char cmd[2200];

    if (bin == NULL || tmp == NULL || data == NULL) {
        fprintf(stderr, "test_harness_cli: run through `make run-tests`\n");
        return -1;
    }
    f = calloc(1, sizeof(*f));
    snprintf(f->authcheck, sizeof(f->authcheck), "%s/authcheck", bin);
    snprintf(f->fake, sizeof(f->fake), "%s/harness/fake-client.sh", data);
    snprintf(f->sdir, sizeof(f->sdir), "%s/cli-scenarios", tmp);
    snprintf(f->tmp, sizeof(f->tmp), "%s/cli-tmp", tmp);
    snprintf(f->out, sizeof(f->out), "%s/cli-out", tmp);
    snprintf(f->scratch, sizeof(f->scratch), "%s/cli-scratch", tmp);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' && mkdir -p '%s' '%s'",
             f->sdir, f->tmp, f->tmp, f->scratch);
    if (system(cmd) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    write_scenario(f, "sel/a-one", "[\"2025-11-25\"]", "[\"official\"]", "{}");
    write_scenario(f, "sel/a-two", "[\"2025-03-26\"]", "[\"backcompat\"]",
                   "{}");
    write_scenario(f, "sel/b-three", "[\"2025-11-25\", \"2026-07-28\"]", "[]",
                   "{}");
    write_scenario(f, "t/hang", "[\"2025-11-25\"]", "[]", "{}");
    write_scenario(f, "t/flood", "[\"2025-11-25\"]", "[]", "{}");
    write_scenario(f, "t/crash", "[\"2025-11-25\"]", "[]", "{}");
    write_scenario(f, "t/env", "[\"2025-11-25\"]", "[]", "{}");
    write_scenario(f, "home/store", "[\"2025-11-25\"]", "[]", "{}");
    write_scenario(f, "ctx/env", "[\"2025-11-25\", \"2026-07-28\"]",
                   "[\"official\"]",
                   "{\"client_id\": \"pre-registered-client\","
                   " \"client_secret\": \"pre-registered-secret-4711\","
                   " \"client_metadata_url\": \"${issuer}/cimd.json\"}");
    write_scenario(f, "base/env", "[\"2025-11-25\"]", "[]", "{}");
    write_scenario(f, "base/exit3", "[\"2025-11-25\"]", "[]", "{}");
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* --- running authcheck ------------------------------------------------- */

/* Run authcheck with `args` (NULL-terminated) plus --scenarios and --out;
 * returns the exit status, the output in *output (free()) if wanted. */
static int authcheck(const struct fixture *f, const char *const *args,
                     char **output)
{
    const char *argv[32] = {f->authcheck};
    char tmpdir[600];
    const char *env[] = {tmpdir, NULL};
    struct hr_exec x = {argv, env, 120000, 1024 * 1024, NULL};
    struct hr_exec_result r;
    struct ac_err err;
    size_t n = 1;

    snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", f->tmp);
    for (size_t k = 0; args[k] != NULL && n < 26; k++) {
        argv[n++] = args[k];
    }
    if (strcmp(args[0], "run") == 0) {
        argv[n++] = "--scenarios";
        argv[n++] = f->sdir;
        argv[n++] = "--out";
        argv[n++] = f->out;
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

static json_t *results(const struct fixture *f)
{
    char path[600];
    json_error_t jerr;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/results.json", f->out);
    doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        fail_msg("%s: %s", path, jerr.text);
    }
    return doc;
}

/* The scenario ids of results.json, comma-separated, in order. */
static void result_ids(const struct fixture *f, char *buf, size_t n)
{
    json_t *doc = results(f);
    const json_t *sc;
    size_t i, used = 0;

    buf[0] = '\0';
    json_array_foreach(json_object_get(doc, "scenarios"), i, sc)
    {
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(sc, "id")));
    }
    json_decref(doc);
}

static const json_t *scenario_named(const json_t *doc, const char *id)
{
    const json_t *sc;
    size_t i;

    json_array_foreach(json_object_get(doc, "scenarios"), i, sc)
    {
        if (strcmp(json_string_value(json_object_get(sc, "id")), id) == 0) {
            return sc;
        }
    }
    fail_msg("no scenario %s in results.json", id);
    return NULL;
}

static const json_t *run0(const json_t *sc)
{
    return json_array_get(json_object_get(sc, "runs"), 0);
}

static json_int_t num(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static bool dir_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool empty = true;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
        }
    }
    closedir(d);
    return empty;
}

/* Does any file under `dir` contain `needle` or have it in its path? */
static bool tree_mentions(const char *dir, const char *needle)
{
    char cmd[2400];

    snprintf(cmd, sizeof(cmd),
             "grep -rqF '%s' '%s' || find '%s' | grep -qF '%s'", needle, dir,
             dir, needle);
    return system(cmd) == 0;
}

/* --- selection --------------------------------------------------------- */

struct sel_case {
    const char *args[8];
    const char *ids;
};

static void test_selection(void **state)
{
    static const struct sel_case cases[] = {
        {{"--scenario", "sel/a-*"}, "sel/a-one,sel/a-two"},
        {{"--scenario", "sel/b-three", "--scenario", "sel/a-one"},
         "sel/a-one,sel/b-three"},
        {{"--scenario", "sel/*", "--spec", "2025-03-26"}, "sel/a-two"},
        {{"--suite", "sel"}, "sel/a-one,sel/a-two,sel/b-three"},
        {{"--suite", "official"}, "ctx/env,sel/a-one"},
        {{"--suite", "backcompat", "--scenario", "sel/b-*"},
         "sel/a-two,sel/b-three"},
        {{"--suite", "2026-07-28"}, "ctx/env,sel/b-three"},
        {{"--suite", "sel", "--spec", "2025-11-25"}, "sel/a-one,sel/b-three"},
    };
    struct fixture *f = *state;
    char ids[600];

    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        const char *args[16] = {"run", "-q", "--client-cmd", "true"};
        size_t n = 4;
        for (size_t j = 0; cases[k].args[j] != NULL; j++) {
            args[n++] = cases[k].args[j];
        }
        args[n] = NULL;
        assert_int_equal(authcheck(f, args, NULL), 0);
        result_ids(f, ids, sizeof(ids));
        if (strcmp(ids, cases[k].ids) != 0) {
            fail_msg("case %zu: selected %s, expected %s", k, ids,
                     cases[k].ids);
        }
    }
}

struct err_case {
    const char *args[8];
    const char *message;
};

static void test_selection_errors(void **state)
{
    static const struct err_case cases[] = {
        {{"--suite", "nope"}, "unknown suite \"nope\""},
        {{"--spec", "1999-01-01"}, "unknown spec revision \"1999-01-01\""},
        {{"--scenario", "zzz*"}, "no scenario \"zzz*\""},
        {{"--suite", "lifecycle"}, "no scenarios selected"},
        {{"--suite", "sel", "--spec", "2025-06-18"}, "no scenarios selected"},
        {{"-j", "0"}, "-j wants 1..256"},
        {{"--timeout", "5"}, "--timeout wants"},
    };
    struct fixture *f = *state;

    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        const char *args[16] = {"run", "--client-cmd", "true"};
        size_t n = 3;
        char *text = NULL;
        for (size_t j = 0; cases[k].args[j] != NULL; j++) {
            args[n++] = cases[k].args[j];
        }
        args[n] = NULL;
        assert_int_equal(authcheck(f, args, &text), 2);
        if (strstr(text, cases[k].message) == NULL) {
            fail_msg("case %zu: no \"%s\" in: %s", k, cases[k].message, text);
        }
        free(text);
    }
}

/* --spec REV is what the client is asked to speak. */
static void test_spec_sets_protocol_version(void **state)
{
    struct fixture *f = *state;
    char cmd[700];
    const char *args[] = {"run",     "--client-cmd", cmd,          "--scenario",
                          "ctx/env", "--spec",       "2025-11-25", NULL};
    json_t *doc;
    const char *out;

    snprintf(cmd, sizeof(cmd), "'%s' env", f->fake);
    assert_int_equal(authcheck(f, args, NULL), 0);
    doc = results(f);
    out = json_string_value(
        json_object_get(run0(scenario_named(doc, "ctx/env")), "output"));
    assert_non_null(
        strstr(out, "MCP_CONFORMANCE_PROTOCOL_VERSION=2025-11-25\n"));
    assert_string_equal(json_string_value(json_object_get(doc, "spec")),
                        "2025-11-25");
    json_decref(doc);
}

/* --- misbehaving clients, two at a time ------------------------------- */

static void test_parallel_misbehaving_clients(void **state)
{
    struct fixture *f = *state;
    char cmd[700], ids[600];
    const char *args[] = {"run",          "-j", "2",       "--timeout", "1500",
                          "--client-cmd", cmd,  "--suite", "t",         NULL};
    int64_t t0 = ac_mono_ns();
    char *text = NULL;
    json_t *doc;
    const json_t *hang, *flood, *crash, *env;
    const char *flood_out;

    snprintf(cmd, sizeof(cmd), "'%s' scenario", f->fake);
    assert_int_equal(authcheck(f, args, &text), 1);
    /* hang (1.5 s + grace) overlaps the others: well under the serial sum
     * of the worst cases, however loaded the machine */
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 15000);
    result_ids(f, ids, sizeof(ids));
    assert_string_equal(ids, "t/crash,t/env,t/flood,t/hang");
    doc = results(f);
    hang = scenario_named(doc, "t/hang");
    flood = scenario_named(doc, "t/flood");
    crash = scenario_named(doc, "t/crash");
    env = scenario_named(doc, "t/env");
    assert_true(json_is_true(json_object_get(run0(hang), "timed_out")));
    assert_string_equal(json_string_value(json_object_get(hang, "status")),
                        "failed");
    flood_out = json_string_value(json_object_get(run0(flood), "output"));
    assert_int_cmp(strlen(flood_out), <, HR_OUTPUT_CAP + 100);
    assert_non_null(strstr(flood_out, "more bytes of output dropped"));
    /* killed by SIGSEGV: seen directly, or as 128+11 through the shell */
    if (num(run0(crash), "signal") != SIGSEGV &&
        num(run0(crash), "exit_code") != 128 + SIGSEGV) {
        fail_msg("crash: signal %lld, exit_code %lld; want SIGSEGV",
                 (long long)num(run0(crash), "signal"),
                 (long long)num(run0(crash), "exit_code"));
    }
    assert_string_equal(json_string_value(json_object_get(crash, "status")),
                        "failed");
    assert_int_equal(num(run0(env), "exit_code"), 0);
    assert_string_equal(json_string_value(json_object_get(env, "status")),
                        "passed");
    assert_int_equal(num(doc, "jobs"), 2);
    json_decref(doc);
    free(text);
}

/* Not a terminal: one headline per finished scenario, then the failures
 * grouped by first cause, then the summary line. -q: only the last two
 * parts. */
static void test_progress_lines(void **state)
{
    struct fixture *f = *state;
    char cmd[700];
    const char *args[] = {"run", "-j",      "2",    "--client-cmd",
                          cmd,   "--suite", "base", NULL};
    const char *quiet[] = {"run",  "-q", "--client-cmd", cmd, "--suite",
                           "base", NULL};
    char *text = NULL;
    /* n/m: SUCCESS / all checks, the baseline ones included (SKIPPED:
     * this client does nothing), so m is not fixed here. */
    const char *want = "FAIL base/exit3 (0/";
    const char *p;
    size_t pass = 0, fail = 0;

    snprintf(cmd, sizeof(cmd), "'%s' scenario", f->fake);
    assert_int_equal(authcheck(f, args, &text), 1);
    for (p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        pass += strncmp(p, "PASS base/env (1/", 17) == 0;
        fail += strncmp(p, want, strlen(want)) == 0;
    }
    assert_int_equal(pass, 1);
    assert_int_equal(fail, 1); /* as it finished; the recap groups */
    assert_non_null(strstr(text, "\nfailures by first cause (1 failed "
                                 "scenario, 1 cause):\nCAUSE "
                                 "client-exit-status [outcome, MUST] in 1 "
                                 "scenario (1 failing check): "));
    assert_non_null(strstr(text, "\n  scenario: base/exit3\n"));
    assert_non_null(strstr(text, "\n2 scenarios: 1 passed, 1 failed, 0 "
                                 "errors; checks: 1 SUCCESS, 1 FAILURE"));
    assert_null(strchr(text, '\r'));
    free(text);
    assert_int_equal(authcheck(f, quiet, &text), 1);
    assert_null(strstr(text, "PASS base/env"));
    assert_int_equal(strncmp(text, "failures by first cause (", 25), 0);
    assert_null(strstr(text, want));
    assert_non_null(strstr(text, "\n2 scenarios: 1 passed, 1 failed"));
    free(text);
}

/* --- homes ------------------------------------------------------------- */

static void test_homes_not_under_out(void **state)
{
    struct fixture *f = *state;
    char cmd[700], rm[1800];
    const char *args[] = {"run",        "--client-cmd", cmd,
                          "--scenario", "home/store",   NULL};
    const char *keep[] = {"run",        "--client-cmd", cmd, "--scenario",
                          "home/store", "--keep-homes", NULL};
    char *text = NULL;
    const char *kept, *end;
    char path[700];

    /* what an earlier authcheck left in OUT/<id>/home goes too */
    snprintf(rm, sizeof(rm),
             "mkdir -p '%s/home/store/home/.config' && echo "
             "FAKE-TOKEN-7f3a9c > '%s/home/store/home/.config/old'",
             f->out, f->out);
    assert_int_equal(system(rm), 0);
    snprintf(cmd, sizeof(cmd), "'%s' store", f->fake);
    assert_int_equal(authcheck(f, args, &text), 0);
    free(text);
    assert_false(tree_mentions(f->out, "FAKE-TOKEN-7f3a9c"));
    assert_false(tree_mentions(f->out, "fake-token"));
    assert_false(tree_mentions(f->out, "tokens.json"));
    assert_true(dir_empty(f->tmp)); /* the private HOME is gone */

    assert_int_equal(authcheck(f, keep, &text), 0);
    kept = strstr(text, "kept in ");
    assert_non_null(kept);
    kept += strlen("kept in ");
    end = strchr(kept, '\n');
    snprintf(path, sizeof(path), "%.*s/home/.fake-token", (int)(end - kept),
             kept);
    assert_int_equal(strncmp(kept, f->tmp, strlen(f->tmp)), 0);
    assert_int_equal(access(path, R_OK), 0);
    assert_false(tree_mentions(f->out, "FAKE-TOKEN-7f3a9c"));
    snprintf(rm, sizeof(rm), "rm -rf '%s'/authcheck-*", f->tmp);
    assert_int_equal(system(rm), 0);
    free(text);
}

/* --- the context ------------------------------------------------------- */

static void test_context_in_env_and_redacted(void **state)
{
    struct fixture *f = *state;
    char cmd[700], path[700];
    const char *args[] = {"run",        "--client-cmd", cmd,
                          "--scenario", "ctx/env",      NULL};
    json_t *doc;
    const char *out;

    snprintf(cmd, sizeof(cmd), "'%s' env", f->fake);
    assert_int_equal(authcheck(f, args, NULL), 0);
    doc = results(f);
    out = json_string_value(
        json_object_get(run0(scenario_named(doc, "ctx/env")), "output"));
    /* the official suite's pre-registration shape: an official id gets
     * its context keys and name, not our tool/arguments members */
    assert_non_null(strstr(out, "MCP_CONFORMANCE_CONTEXT={"
                                "\"client_id\":\"pre-registered-client\","
                                "\"client_metadata_url\":\"http://127.0.0.1:"));
    assert_non_null(strstr(out, "/cimd.json\",\"client_secret\":\"[redacted"));
    assert_non_null(strstr(out, "\"name\":\"ctx/env\"}"));
    assert_null(strstr(out, "\"tool\":"));
    assert_non_null(strstr(out, "MCP_CONFORMANCE_PROTOCOL_VERSION=2026-07-28"));
    json_decref(doc);
    assert_false(tree_mentions(f->out, "pre-registered-secret-4711"));
    snprintf(path, sizeof(path), "%s/ctx/env/checks.json", f->out);
    assert_int_equal(access(path, R_OK), 0);
}

/* --- baselines --------------------------------------------------------- */

static const char *baseline(const struct fixture *f, const char *name,
                            const char *text)
{
    static char path[700];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->scratch, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

struct base_case {
    const char *text; /* NULL: a missing file */
    int rc;
};

static void test_baseline_exit_statuses(void **state)
{
    static const struct base_case cases[] = {
        {"client:\n  - base/exit3\n", 0},
        {"# known\nclient:\n  - \"base/exit3:client-exit-status\"\n", 0},
        {"client: []\n", 1},                            /* unexpected */
        {"client:\n  - base/exit3\n  - base/env\n", 1}, /* stale */
        {"client:\n\t- base/exit3\n", 2},               /* malformed */
        {"clients:\n  - base/exit3\n", 2},              /* malformed */
        {NULL, 2},
    };
    struct fixture *f = *state;
    char cmd[700];

    snprintf(cmd, sizeof(cmd), "'%s' scenario", f->fake);
    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        const char *file = cases[k].text ? baseline(f, "b.yml", cases[k].text)
                                         : "/nonexistent/baseline.yml";
        const char *args[] = {"run",        "-q",      "--client-cmd",
                              cmd,          "--suite", "base",
                              "--baseline", file,      NULL};
        char *text = NULL;
        int rc = authcheck(f, args, &text);
        if (rc != cases[k].rc) {
            fail_msg("case %zu: exit %d, expected %d: %s", k, rc, cases[k].rc,
                     text);
        }
        free(text);
    }
}

/* --- interruption ----------------------------------------------------- */

/* SIGTERM (as Ctrl-C) during a run: the hung client is killed, its private
 * HOME removed, and authcheck exits 2 at once without writing results. */
static void test_interrupt_cleans_up(void **state)
{
    struct fixture *f = *state;
    char cmd[700], tmpdir[600], out[600];
    char *argv[] = {
        f->authcheck,  "run",   "--client-cmd", cmd, "--scenario", "t/hang",
        "--scenarios", f->sdir, "--out",        out, NULL};
    char *envp[] = {tmpdir, "PATH=/usr/bin:/bin", NULL};
    int64_t t0;
    int status = 0;
    pid_t pid;

    snprintf(cmd, sizeof(cmd), "'%s' hang", f->fake);
    snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", f->tmp);
    snprintf(out, sizeof(out), "%s-interrupted", f->out);
    posix_spawn_file_actions_t fa;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&pid, f->authcheck, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    usleep(1000 * 1000);
    assert_false(dir_empty(f->tmp)); /* the hung client's HOME */
    t0 = ac_mono_ns();
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_true(dir_empty(f->tmp));
    assert_int_not_equal(access(out, F_OK), 0);
}

/* --- report ------------------------------------------------------------ */

static void test_report_rerenders(void **state)
{
    struct fixture *f = *state;
    const char *run[] = {
        "run", "-q", "--client-cmd", "true", "--scenario", "sel/a-one", NULL};
    const char *md[] = {"report", f->out, "--format", "md", NULL};
    const char *bad_fmt[] = {"report", f->out, "--format", "pdf", NULL};
    const char *missing[] = {"report", "/nonexistent/out", NULL};
    const char *none[] = {"report", NULL};
    char path[700];

    assert_int_equal(authcheck(f, run, NULL), 0);
    snprintf(path, sizeof(path), "%s/report.md", f->out);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(authcheck(f, md, NULL), 0);
    assert_int_equal(access(path, R_OK), 0);
    assert_int_equal(authcheck(f, bad_fmt, NULL), 2);
    assert_int_equal(authcheck(f, missing, NULL), 2);
    assert_int_equal(authcheck(f, none, NULL), 2);
}

/* Every option of every command is in that command's --help and in
 * README.md, and every help says what the exit statuses are. Add a new
 * option to this table, its help and the README together. */
static void test_help_and_readme_cover_options(void **state)
{
    static const struct {
        const char *cmd;
        const char *opts[20];
    } table[] = {
        {"run",
         {"--scenario", "--suite", "--spec", "--client-cmd", "--out",
          "--scenarios", "--baseline", "--expected-failures", "--keep-homes",
          "--jobs", "--timeout", "--strict", "--client-features", "--quiet",
          "--verbose", "--help", NULL}},
        {"list",
         {"--checks", "--scenarios", "--scenario", "--suite", "--spec", NULL}},
        {"report", {"--format", NULL}},
        {"serve",
         {"--scenario", "--scenarios", "--interactive", "--threads",
          "--max-exchanges", "--max-tokens", "--defect", NULL}},
        {"server",
         {"--mcp", "--issuer", "--check", "--suite", "--client-id",
          "--client-secret", "--redirect-uri", "--auto-consent", "--login",
          "--token", "--token-file", "--scope", "--other-resource", "--out",
          "--rate", "--strict", "--list-checks", NULL}},
        {"browse",
         {"--record", "--forge-callback-first", "--connect-retry", NULL}},
    };
    const char *scen = getenv("AUTHCHECK_SCENARIOS");
    char readme_path[600];
    char *readme = NULL;
    size_t len = 0;
    FILE *fp;

    assert_non_null(scen);
    snprintf(readme_path, sizeof(readme_path), "%s/../README.md", scen);
    fp = fopen(readme_path, "r");
    assert_non_null(fp);
    assert_int_cmp(getdelim(&readme, &len, '\0', fp), >, 0);
    fclose(fp);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const char *args[] = {table[i].cmd, "--help", NULL};
        char *help = NULL;
        assert_int_equal(authcheck(*state, args, &help), 0);
        if (strstr(help, "exit status") == NULL) {
            fail_msg("authcheck %s --help: no exit status", table[i].cmd);
        }
        for (size_t k = 0; table[i].opts[k] != NULL; k++) {
            if (strstr(help, table[i].opts[k]) == NULL) {
                fail_msg("authcheck %s --help lacks %s", table[i].cmd,
                         table[i].opts[k]);
            }
            if (strcmp(table[i].opts[k], "--help") != 0 &&
                strstr(readme, table[i].opts[k]) == NULL) {
                fail_msg("README.md lacks %s %s", table[i].cmd,
                         table[i].opts[k]);
            }
        }
        free(help);
    }
    free(readme);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_selection_errors),
        cmocka_unit_test(test_spec_sets_protocol_version),
        cmocka_unit_test(test_parallel_misbehaving_clients),
        cmocka_unit_test(test_progress_lines),
        cmocka_unit_test(test_homes_not_under_out),
        cmocka_unit_test(test_context_in_env_and_redacted),
        cmocka_unit_test(test_baseline_exit_statuses),
        cmocka_unit_test(test_interrupt_cleans_up),
        cmocka_unit_test(test_report_rerenders),
        cmocka_unit_test(test_help_and_readme_cover_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
