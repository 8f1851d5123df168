/* Tests of the runner (harness/runner.h): process supervision on its own
 * (timeout and kill, output cap, exit status, leftovers in the process
 * group), then whole scenarios against the mock world with a fake client
 * (tests/data/harness/fake-client.sh). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "common/clock.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/wrapper.h"
#include "tests/support/asserts.h"

static bool sh(const char *script, long timeout_ms, size_t cap,
               struct hr_exec_result *r)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    const char *env[] = {"HR_TEST_VAR=from-test", NULL};
    struct hr_exec x = {argv, env, timeout_ms, cap, NULL};
    struct ac_err err;

    if (!hr_exec_run(&x, r, &err)) {
        fail_msg("hr_exec_run: %s", err.msg);
    }
    return true;
}

static void test_exec_exit_code(void **state)
{
    struct hr_exec_result r;

    (void)state;
    sh("echo out; echo err >&2; echo $HR_TEST_VAR; exit 3", 5000, 0, &r);
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(r.signal, 0);
    assert_false(r.timed_out);
    assert_string_equal(r.output, "out\nerr\nfrom-test\n");
    assert_int_equal(r.dropped, 0);
    hr_exec_result_free(&r);
}

static void test_exec_timeout(void **state)
{
    struct hr_exec_result r;
    int64_t t0 = ac_mono_ns();

    (void)state;
    sh("echo started; exec sleep 30", 300, 0, &r);
    assert_true(r.timed_out);
    assert_int_equal(r.signal, SIGTERM);
    assert_string_equal(r.output, "started\n");
    assert_int_cmp(r.duration_ms, >=, 300);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 2000);
    hr_exec_result_free(&r);
}

/* SIGTERM ignored: SIGKILL follows after the grace period. (The timeout
 * leaves the shell ample time to set its trap, even on a loaded machine.) */
static void test_exec_stubborn(void **state)
{
    struct hr_exec_result r;
    int64_t t0 = ac_mono_ns();

    (void)state;
    sh("trap '' TERM; echo trapped; sleep 30; sleep 30", 1000, 0, &r);
    assert_true(r.timed_out);
    assert_string_equal(r.output, "trapped\n");
    assert_int_equal(r.signal, SIGKILL);
    /* The runner's deadlines are in whole milliseconds: allow for the
     * truncation of both. */
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, >=,
                   1000 + HR_KILL_GRACE_MS - 3);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 4000);
    hr_exec_result_free(&r);
}

static void test_exec_flood_is_capped(void **state)
{
    struct hr_exec_result r;

    (void)state;
    sh("head -c 8388608 /dev/zero | tr '\\0' x; echo; exit 0", 20000, 4096, &r);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.output_len, 4096);
    assert_int_equal(strlen(r.output), 4096);
    assert_int_equal(r.dropped, 8388608 + 1 - 4096);
    hr_exec_result_free(&r);
}

/* A background process holding the pipe does not keep us waiting: the
 * group is killed when the client exits. */
static void test_exec_leftovers_killed(void **state)
{
    struct hr_exec_result r;
    int64_t t0 = ac_mono_ns();

    (void)state;
    sh("sleep 30 & echo bye", 10000, 0, &r);
    assert_int_equal(r.exit_code, 0);
    assert_false(r.timed_out);
    assert_string_equal(r.output, "bye\n");
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 2000);
    hr_exec_result_free(&r);
}

static void test_exec_spawn_failure(void **state)
{
    const char *argv[] = {"/nonexistent/program", NULL};
    struct hr_exec x = {argv, NULL, 1000, 0, NULL};
    struct hr_exec_result r;
    struct ac_err err;

    (void)state;
    assert_false(hr_exec_run(&x, &r, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/program"));
}

static void test_shell_quote(void **state)
{
    char *q = hr_shell_quote("a b'c");
    char *c = hr_default_client_cmd("/opt/my dir/authcheck");

    (void)state;
    assert_string_equal(q, "'a b'\\''c'");
    assert_string_equal(c, "'/opt/my dir/mcp-oauth' conformance");
    free(q);
    free(c);
}

/* Which commands run without a shell, and as which arguments ("|"
 * between them; NULL: the shell runs it). */
static void test_plain_argv(void **state)
{
    static const struct {
        const char *cmd, *want;
    } cases[] = {
        {"/bin/mcp-oauth conformance", "/bin/mcp-oauth|conformance|URL"},
        {"'/opt/my dir/client' --x=1 'a b'c ''",
         "/opt/my dir/client|--x=1|a bc||URL"},
        {"  ./client\t-v  ", "./client|-v|URL"},
        {"./c a\\ b", NULL}, /* a backslash: the shell's business */
        {" ./c ", "./c|URL"},
        {"./c a,b+c@d%e:f", "./c|a,b+c@d%e:f|URL"},
        {"client conformance", NULL}, /* PATH search, maybe a builtin */
        {"true", NULL},
        {"A=/x ./c", NULL},  /* an assignment */
        {"/x=y/c", NULL},    /* could be one */
        {"./c $HOME", NULL}, /* expansions, operators, globs, comments */
        {"./c \"a\"", NULL},
        {"./c `id`", NULL},
        {"./c ~/x", NULL},
        {"./c *", NULL},
        {"./c a;b", NULL},
        {"./c a|b", NULL},
        {"./c >out", NULL},
        {"./c #x", NULL},
        {"./c\nrm", NULL},
        {"./c 'open", NULL},
        {"", NULL},
        {"   ", NULL},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        char **argv = hr_plain_argv(cases[k].cmd, "URL");
        char got[256] = "";
        if (argv != NULL) {
            for (size_t i = 0; argv[i] != NULL; i++) {
                strncat(got, i ? "|" : "", sizeof(got) - strlen(got) - 1);
                strncat(got, argv[i], sizeof(got) - strlen(got) - 1);
            }
        }
        if (cases[k].want == NULL ? argv != NULL
                                  : strcmp(got, cases[k].want) != 0) {
            fail_msg("[%s]: got [%s], want [%s]", cases[k].cmd,
                     argv ? got : "(shell)",
                     cases[k].want ? cases[k].want : "(shell)");
        }
        free(argv);
    }
}

/* --- whole scenarios -------------------------------------------------- */

static const char scenario_text[] =
    "{\"id\": \"t/runner\", \"title\": \"runner test\","
    " \"spec\": [\"2025-11-25\", \"2025-06-18\"],"
    " \"authorization_servers\": [{\"id\": \"as\"}],"
    " \"mcp_server\": {\"path\": \"/mcp\", \"tools\": [{\"name\": \"echo\"}]},"
    " \"client\": {\"runs\": %d, \"timeout_ms\": %d,"
    " \"arguments\": {\"text\": \"hi\"}},"
    " \"checks\": [\"prm-fetched\", \"client-exit-status\"]}";

struct fixture {
    char tmp[512]; /* TMPDIR of the scenarios' work directories */
    char exe[512];
    char cmd[1024];
    bool keep;
};

static int setup(void **state)
{
    const char *tmp = getenv("AUTHCHECK_TMP");
    const char *bin = getenv("AUTHCHECK_BINDIR");
    struct fixture *f = calloc(1, sizeof(*f));

    if (tmp == NULL || getenv("AUTHCHECK_TESTDATA") == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->tmp, sizeof(f->tmp), "%s/runner-tmp", tmp);
    if (mkdir(f->tmp, 0700) != 0 && access(f->tmp, W_OK) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->exe, sizeof(f->exe), "%s/authcheck", bin ? bin : "bin");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The scenario with f->cmd as the client command. */
static json_t *run_cmd(struct fixture *f, int runs, int timeout_ms,
                       json_t *secrets)
{
    char text[sizeof(scenario_text) + 32];
    struct hs_scenario *s = NULL;
    struct hr_options o = {f->cmd, f->exe, f->tmp, false, f->keep,
                           NULL,   0,      false,  NULL};
    struct ac_err err;
    json_t *res;

    snprintf(text, sizeof(text), scenario_text, runs, timeout_ms);
    if (!hs_parse(text, strlen(text), "t/runner.json", "t/runner", &s, &err)) {
        fail_msg("%s", err.msg);
    }
    res = hr_run_scenario(s, &o, secrets);
    assert_non_null(res);
    hs_free(s);
    return res;
}

/* The scenario with the fake client in `mode`. */
static json_t *run(struct fixture *f, const char *mode, int runs,
                   int timeout_ms, json_t *secrets)
{
    snprintf(f->cmd, sizeof(f->cmd), "'%s/harness/fake-client.sh' %s",
             getenv("AUTHCHECK_TESTDATA"), mode);
    return run_cmd(f, runs, timeout_ms, secrets);
}

/* No entries but "." and "..". */
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

static const json_t *check_named(const json_t *res, const char *id)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(res, "checks"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0) {
            return c;
        }
    }
    fail_msg("no check %s in the results", id);
    return NULL;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_int_t num(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void test_scenario_hung_client(void **state)
{
    struct fixture *f = *state;
    json_t *res = run(f, "hang", 1, 400, NULL);
    const json_t *r0 = json_array_get(json_object_get(res, "runs"), 0);

    assert_string_equal(str(res, "status"), "failed");
    assert_true(json_is_null(json_object_get(res, "error")));
    assert_int_equal(json_array_size(json_object_get(res, "runs")), 1);
    assert_true(json_is_true(json_object_get(r0, "timed_out")));
    assert_int_equal(num(r0, "signal"), SIGTERM);
    assert_int_cmp(num(res, "duration_ms"), <, 3000);
    assert_string_equal(str(check_named(res, "client-exit-status"), "status"),
                        "FAILURE");
    assert_string_equal(str(check_named(res, "prm-fetched"), "status"),
                        "FAILURE");
    json_decref(res);
}

static void test_scenario_flooding_client(void **state)
{
    struct fixture *f = *state;
    json_t *res = run(f, "flood", 1, 20000, NULL);
    const json_t *r0 = json_array_get(json_object_get(res, "runs"), 0);
    const char *out = str(r0, "output");

    assert_false(json_is_true(json_object_get(r0, "timed_out")));
    assert_int_equal(num(r0, "exit_code"), 0);
    assert_int_cmp(strlen(out), <, HR_OUTPUT_CAP + 100);
    assert_non_null(strstr(out, "more bytes of output dropped"));
    json_decref(res);
}

static void test_scenario_exit3_recorded(void **state)
{
    struct fixture *f = *state;
    json_t *res = run(f, "exit3", 2, 5000, NULL);
    const json_t *runs = json_object_get(res, "runs");

    assert_int_equal(json_array_size(runs), 2);
    for (size_t k = 0; k < 2; k++) {
        const json_t *r = json_array_get(runs, k);
        assert_int_equal(num(r, "exit_code"), 3);
        assert_false(json_is_true(json_object_get(r, "timed_out")));
        assert_string_equal(str(r, "output"), "giving up\n");
    }
    assert_string_equal(str(res, "status"), "failed");
    assert_string_equal(str(check_named(res, "client-exit-status"), "status"),
                        "FAILURE");
    json_decref(res);
}

/* A plain command whose program cannot run still gets the shell's answer
 * (exit 127, its message), as the client's failure, not a harness error;
 * a command with an expansion still runs through the shell. */
static void test_scenario_command_forms(void **state)
{
    struct fixture *f = *state;
    json_t *res;
    const json_t *r0;

    snprintf(f->cmd, sizeof(f->cmd), "/nonexistent/client --flag");
    res = run_cmd(f, 1, 5000, NULL);
    r0 = json_array_get(json_object_get(res, "runs"), 0);
    assert_true(json_is_null(json_object_get(res, "error")));
    assert_string_equal(str(res, "status"), "failed");
    assert_int_equal(num(r0, "exit_code"), 127);
    assert_non_null(strstr(str(r0, "output"), "/nonexistent/client"));
    json_decref(res);

    snprintf(f->cmd, sizeof(f->cmd),
             "'%s/harness/fake-client.sh' ${AUTHCHECK_NO_SUCH_VAR:-exit3}",
             getenv("AUTHCHECK_TESTDATA"));
    res = run_cmd(f, 1, 5000, NULL);
    r0 = json_array_get(json_object_get(res, "runs"), 0);
    assert_int_equal(num(r0, "exit_code"), 3);
    assert_string_equal(str(r0, "output"), "giving up\n");
    json_decref(res);
}

static void test_scenario_environment(void **state)
{
    struct fixture *f = *state;
    json_t *res = run(f, "env", 1, 5000, NULL);
    const char *out =
        str(json_array_get(json_object_get(res, "runs"), 0), "output");
    char want[1200];

    assert_non_null(strstr(out, "argc=2 url=http://127.0.0.1:"));
    assert_non_null(strstr(out, "MCP_CONFORMANCE_SCENARIO=t/runner\n"));
    assert_non_null(
        strstr(out, "MCP_CONFORMANCE_PROTOCOL_VERSION=2025-11-25\n"));
    assert_non_null(strstr(out, "MCP_CONFORMANCE_CONTEXT={\"arguments\":"
                                "{\"text\":\"hi\"},\"name\":\"t/runner\","
                                "\"retry_backoff_ms\":1,"
                                "\"retry_max_wait_ms\":20,"
                                "\"tool\":\"echo\"}\n"));
    /* HOME and the wrapper are in a private work directory under the
     * TMPDIR given, which is gone after the scenario. */
    snprintf(want, sizeof(want), "BROWSER=%s/authcheck-", f->tmp);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof(want), "HOME=%s/authcheck-", f->tmp);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "/home/.local/state\n"));
    assert_non_null(strstr(out, "/browser\n"));
    assert_true(dir_empty(f->tmp));
    /* The client exited 0, but never fetched the PRM. */
    assert_string_equal(str(check_named(res, "prm-fetched"), "status"),
                        "FAILURE");
    json_decref(res);
}

/* The wrapper runs `authcheck browse`; its hop joins the transcript next
 * to the mock's record of the same request. */
static void test_scenario_browser_hop(void **state)
{
    struct fixture *f = *state;
    json_t *secrets = json_array();
    json_t *res;
    const json_t *ex, *tr;
    size_t i, hops = 0, mcp = 0;
    char rec[600];

    if (access(f->exe, X_OK) != 0) {
        skip(); /* bin/authcheck not built */
    }
    res = run(f, "browse", 1, 10000, secrets);
    tr = json_object_get(res, "transcript");
    json_array_foreach(tr, i, ex)
    {
        if (strcmp(str(ex, "server"), "browser") == 0) {
            hops++;
            assert_string_equal(str(ex, "endpoint"), "hop");
            /* a GET of the MCP endpoint: 401 or 405, never 2xx */
            assert_int_cmp(num(json_object_get(ex, "response"), "status"), >=,
                           400);
        }
        mcp += strcmp(str(ex, "server"), "mcp") == 0;
    }
    assert_int_equal(hops, 1);
    assert_int_equal(mcp, 1);
    assert_non_null(
        strstr(str(json_array_get(json_object_get(res, "runs"), 0), "output"),
               "browser exit 1"));
    (void)rec;
    assert_true(dir_empty(f->tmp)); /* record and wrapper gone */
    assert_true(json_is_array(secrets));
    json_decref(secrets);
    json_decref(res);
}

/* The first line of the wrapper the harness writes: the client prints
 * it (fake-client.sh interp). */
static void expect_interpreter(struct fixture *f, const char *want)
{
    json_t *res = run(f, "interp", 1, 5000, NULL);
    const char *out =
        str(json_array_get(json_object_get(res, "runs"), 0), "output");
    char line[600];

    snprintf(line, sizeof(line), "#!%s\n", want);
    assert_string_equal(out, line);
    json_decref(res);
}

/* The wrapper's two ways: a URL is walked in the harness (two at once,
 * then in turn) until its eight slots are used, then by `authcheck
 * browse`; odd calls (no URL, two, a newline) go to `authcheck browse`
 * too and fail as it does. Every walk is in the transcript. */
static void expect_browse_many(struct fixture *f)
{
    json_t *res;
    const json_t *ex;
    const char *out;
    size_t i, hops = 0, exits = 0;

    res = run(f, "browsemany", 1, 20000, NULL);
    json_array_foreach(json_object_get(res, "transcript"), i, ex)
    {
        if (strcmp(str(ex, "server"), "browser") == 0 &&
            num(json_object_get(ex, "response"), "status") >= 400) {
            hops++;
        }
    }
    out = str(json_array_get(json_object_get(res, "runs"), 0), "output");
    for (const char *p = out; (p = strstr(p, "browser exit 1\n")) != NULL;
         p++) {
        exits++;
    }
    assert_int_equal(exits, 10);
    assert_int_equal(hops, 10);
    assert_non_null(strstr(out, "no url exit 2\n"));
    assert_non_null(strstr(out, "two urls exit 2\n"));
    assert_null(strstr(out, "newline exit 0\n"));
    assert_non_null(strstr(out, "newline exit "));
    assert_true(dir_empty(f->tmp));
    json_decref(res);
}

/* "<dir of exe>/name". */
static void beside(const char *exe, const char *name, char *out, size_t n)
{
    const char *slash = strrchr(exe, '/');

    assert_non_null(slash);
    assert_int_cmp(snprintf(out, n, "%.*s/%s", (int)(slash - exe), exe, name),
                   <, (int)n);
}

/* Next to authcheck, authcheck-browser runs the wrapper (tests of its
 * own: test_browser_helper.c). */
static void test_scenario_browser_many(void **state)
{
    struct fixture *f = *state;
    char helper[600];

    if (access(f->exe, X_OK) != 0 || f->exe[0] != '/') {
        skip(); /* bin/authcheck not built, or a path "#!" cannot take */
    }
    beside(f->exe, HB_HELPER_NAME, helper, sizeof(helper));
    assert_int_equal(access(helper, X_OK), 0);
    expect_interpreter(f, helper);
    expect_browse_many(f);
}

/* Runs `body` with f->exe naming an authcheck linked into `dir` (made
 * here), with authcheck-browser linked beside it when `helper`; then
 * removes both links and the directory and restores f->exe. */
static void with_authcheck_in(struct fixture *f, const char *dir, bool helper,
                              void (*body)(struct fixture *, const char *))
{
    char real[512], real_helper[600], link_helper[600];
    char saved[sizeof(f->exe)];

    memcpy(saved, f->exe, sizeof(saved));
    assert_non_null(realpath(f->exe, real));
    beside(real, HB_HELPER_NAME, real_helper, sizeof(real_helper));
    assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
    assert_int_cmp(snprintf(f->exe, sizeof(f->exe), "%s/authcheck", dir), <,
                   (int)sizeof(f->exe));
    beside(f->exe, HB_HELPER_NAME, link_helper, sizeof(link_helper));
    unlink(f->exe);
    unlink(link_helper);
    assert_int_equal(symlink(real, f->exe), 0);
    if (helper) {
        assert_int_equal(symlink(real_helper, link_helper), 0);
    }
    body(f, link_helper);
    unlink(link_helper);
    unlink(f->exe);
    assert_int_equal(rmdir(dir), 0);
    memcpy(f->exe, saved, sizeof(saved));
}

static void sh_runs_browse_many(struct fixture *f, const char *helper)
{
    (void)helper;
    expect_interpreter(f, "/bin/sh");
    expect_browse_many(f);
}

/* Without authcheck-browser next to authcheck (here: an authcheck linked
 * into a directory of its own), /bin/sh runs the same wrapper, with the
 * same outcome for every kind of call. */
static void test_scenario_browser_many_sh(void **state)
{
    struct fixture *f = *state;
    char dir[sizeof(f->tmp) + 8];

    if (access(f->exe, X_OK) != 0) {
        skip(); /* bin/authcheck not built */
    }
    snprintf(dir, sizeof(dir), "%s-bin", f->tmp);
    with_authcheck_in(f, dir, false, sh_runs_browse_many);
}

static void helper_named(struct fixture *f, const char *helper)
{
    expect_interpreter(f, helper);
}

static void sh_named(struct fixture *f, const char *helper)
{
    (void)helper;
    expect_interpreter(f, "/bin/sh");
}

/* authcheck-browser beside authcheck, but at a path a "#!" line cannot
 * carry (a blank splits the line; Linux before 5.1 read 127 bytes of
 * it): the wrapper names /bin/sh. The same links in a plain directory
 * name the helper, so the links themselves are not what is refused. */
static void test_wrapper_interpreter_path_limits(void **state)
{
    struct fixture *f = *state;
    char dir[sizeof(f->tmp) + 160];

    if (access(f->exe, X_OK) != 0 || f->exe[0] != '/') {
        skip(); /* bin/authcheck not built */
    }
    snprintf(dir, sizeof(dir), "%s-plain", f->tmp);
    with_authcheck_in(f, dir, true, helper_named);
    snprintf(dir, sizeof(dir), "%s-a blank", f->tmp);
    with_authcheck_in(f, dir, true, sh_named);
    snprintf(dir, sizeof(dir), "%s-%0120d", f->tmp, 0);
    with_authcheck_in(f, dir, true, sh_named);
}

/* The client's token store lives in the work directory, which is deleted
 * after the scenario; with keep_homes it stays (mode 0700) and the result
 * says where. */
static void test_scenario_home_deleted_or_kept(void **state)
{
    struct fixture *f = *state;
    json_t *res = run(f, "store", 1, 5000, NULL);
    const char *dir;
    char p[900];
    struct stat st;

    assert_non_null(
        strstr(str(json_array_get(json_object_get(res, "runs"), 0), "output"),
               "stored in "));
    assert_null(json_object_get(res, "work_dir"));
    assert_true(dir_empty(f->tmp));
    json_decref(res);

    f->keep = true;
    res = run(f, "store", 1, 5000, NULL);
    f->keep = false;
    dir = str(res, "work_dir");
    assert_non_null(dir);
    assert_int_equal(strncmp(dir, f->tmp, strlen(f->tmp)), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(p, sizeof(p), "%s/home/.config/fake/tokens.json", dir);
    assert_int_equal(access(p, R_OK), 0);
    snprintf(p, sizeof(p), "rm -rf '%s'", dir);
    assert_int_equal(system(p), 0);
    json_decref(res);
}

/* MCP_CONFORMANCE_CONTEXT: the official suite's shapes come from
 * client.context (pre-registration: client_id + client_secret; client
 * credentials with a key: client_id + private_key_pem +
 * signing_algorithm; CIMD: a metadata URL), with ${...} replaced. */
static void test_context_shapes(void **state)
{
    static const char text[] =
        "{\"id\": \"auth/pre-registration\", \"title\": \"t\","
        " \"spec\": [\"2025-11-25\"],"
        " \"authorization_servers\": [{\"id\": \"as\"}, {\"id\": \"b\"}],"
        " \"mcp_server\": {\"tools\": [{\"name\": \"echo\"}]},"
        " \"client\": {\"context\": {\"client_id\": \"pre-registered-client\","
        " \"client_secret\": \"pre-registered-secret\", \"name\": \"x\","
        " \"nested\": {\"url\": \"${issuer:b}/cimd.json\"},"
        " \"client_metadata_url\": \"${issuer}/client.json\","
        " \"keep\": \"${unknown} and ${mcp_url\"}},"
        " \"checks\": [\"client-exit-status\"]}";
    static const char official[] =
        "{\"id\": \"auth/pre-registration\", \"title\": \"t\","
        " \"spec\": [\"2025-11-25\"], \"suites\": [\"official\"],"
        " \"authorization_servers\": [{\"id\": \"as\"}],"
        " \"mcp_server\": {\"tools\": [{\"name\": \"test-tool\"}]},"
        " \"client\": {\"tool\": \"test-tool\", \"context\": {\"client_id\":"
        " \"pre-registered-client\", \"client_secret\":"
        " \"pre-registered-secret\", \"issuer\": \"${issuer}\"}},"
        " \"checks\": [\"client-exit-status\"]}";
    const char *vars[] = {"mcp_url",    "http://h:1/mcp", "issuer",
                          "http://h:2", "issuer:as",      "http://h:2",
                          "issuer:b",   "http://h:3",     NULL};
    struct hs_scenario *s = NULL;
    struct ac_err err;
    json_t *ctx;
    char *dump;

    (void)state;
    if (!hs_parse(text, strlen(text), "auth/pre-registration.json",
                  "auth/pre-registration", &s, &err)) {
        fail_msg("%s", err.msg);
    }
    ctx = hr_context(s, vars);
    assert_non_null(ctx);
    dump = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(dump,
                        "{\"arguments\":{\"text\":\"hello from authcheck\"},"
                        "\"client_id\":\"pre-registered-client\","
                        "\"client_metadata_url\":\"http://h:2/client.json\","
                        "\"client_secret\":\"pre-registered-secret\","
                        "\"keep\":\"${unknown} and ${mcp_url\","
                        "\"name\":\"auth/pre-registration\","
                        "\"nested\":{\"url\":\"http://h:3/cimd.json\"},"
                        "\"retry_backoff_ms\":1,\"retry_max_wait_ms\":20,"
                        "\"tool\":\"echo\"}");
    free(dump);
    json_decref(ctx);
    hs_free(s);
    /* An official id carries exactly the official keys: no tool, no
     * arguments. */
    if (!hs_parse(official, strlen(official), "auth/pre-registration.json",
                  "auth/pre-registration", &s, &err)) {
        fail_msg("%s", err.msg);
    }
    ctx = hr_context(s, vars);
    assert_non_null(ctx);
    dump = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(dump, "{\"client_id\":\"pre-registered-client\","
                              "\"client_secret\":\"pre-registered-secret\","
                              "\"issuer\":\"http://h:2\","
                              "\"name\":\"auth/pre-registration\"}");
    free(dump);
    json_decref(ctx);
    hs_free(s);
}

/* The output directory cannot be made: the scenario is an error. */
static void test_scenario_harness_error(void **state)
{
    struct fixture *f = *state;
    char saved[512];
    json_t *res;

    memcpy(saved, f->tmp, sizeof(saved));
    snprintf(f->tmp, sizeof(f->tmp), "/proc/no-such-dir/out");
    res = run(f, "exit3", 1, 5000, NULL);
    assert_string_equal(str(res, "status"), "error");
    assert_non_null(strstr(str(res, "error"), "/proc/no-such-dir"));
    assert_int_equal(json_array_size(json_object_get(res, "checks")), 0);
    memcpy(f->tmp, saved, sizeof(saved));
    json_decref(res);
}

/* A pending scenario is not run: no work directory, no client, status
 * "skipped" with the reason, every listed check SKIPPED. */
static void test_scenario_pending_skipped(void **state)
{
    static const char text[] =
        "{\"id\": \"t/pending\", \"title\": \"t\", \"spec\": [\"2025-11-25\"],"
        " \"pending\": \"needs a feature\","
        " \"authorization_servers\": [{\"id\": \"as\"}],"
        " \"mcp_server\": {\"tools\": [{\"name\": \"echo\"}]},"
        " \"checks\": [\"prm-fetched\", \"client-exit-status\"]}";
    struct fixture *f = *state;
    struct hs_scenario *s = NULL;
    struct ac_err err;
    char marker[600], cmd[1300];
    struct hr_options o = {cmd,  f->exe, f->tmp, false, false,
                           NULL, 0,      false,  NULL};
    json_t *res;
    const json_t *c;
    size_t i;

    snprintf(marker, sizeof(marker), "%s/client-ran", f->tmp);
    snprintf(cmd, sizeof(cmd), "touch '%s'; true", marker);
    if (!hs_parse(text, strlen(text), "t/pending.json", "t/pending", &s,
                  &err)) {
        fail_msg("%s", err.msg);
    }
    res = hr_run_scenario(s, &o, NULL);
    assert_non_null(res);
    assert_string_equal(str(res, "status"), "skipped");
    assert_string_equal(str(res, "skip_reason"), "needs a feature");
    assert_true(json_is_null(json_object_get(res, "error")));
    assert_int_equal(json_array_size(json_object_get(res, "runs")), 0);
    assert_int_equal(json_array_size(json_object_get(res, "transcript")), 0);
    assert_int_equal(json_array_size(json_object_get(res, "checks")), 2);
    json_array_foreach(json_object_get(res, "checks"), i, c)
    {
        assert_string_equal(str(c, "status"), "SKIPPED");
        assert_string_equal(str(c, "message"),
                            "scenario pending: needs a feature");
    }
    assert_int_not_equal(access(marker, F_OK), 0);
    assert_true(dir_empty(f->tmp));
    json_decref(res);
    hs_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_exit_code),
        cmocka_unit_test(test_exec_timeout),
        cmocka_unit_test(test_exec_stubborn),
        cmocka_unit_test(test_exec_flood_is_capped),
        cmocka_unit_test(test_exec_leftovers_killed),
        cmocka_unit_test(test_exec_spawn_failure),
        cmocka_unit_test(test_shell_quote),
        cmocka_unit_test(test_plain_argv),
        cmocka_unit_test(test_scenario_hung_client),
        cmocka_unit_test(test_scenario_flooding_client),
        cmocka_unit_test(test_scenario_exit3_recorded),
        cmocka_unit_test(test_scenario_command_forms),
        cmocka_unit_test(test_scenario_environment),
        cmocka_unit_test(test_scenario_browser_hop),
        cmocka_unit_test(test_scenario_browser_many),
        cmocka_unit_test(test_scenario_browser_many_sh),
        cmocka_unit_test(test_wrapper_interpreter_path_limits),
        cmocka_unit_test(test_scenario_home_deleted_or_kept),
        cmocka_unit_test(test_scenario_harness_error),
        cmocka_unit_test(test_scenario_pending_skipped),
        cmocka_unit_test(test_context_shapes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
