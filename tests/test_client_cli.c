/* End-to-end tests of the mcp-oauth command (and its mutation build)
 * against the mocks: the conformance mode's exit statuses, the context
 * (tool, arguments), a $BROWSER user agent, usage errors, and the
 * mutations, judged on the mocks' transcript. */
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/httpc.h"
#include "common/json.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"
#include "tests/support/transcript.h"
#include "tests/support/env.h"

struct fixture {
    json_t *scenario;
    struct mo_world *world;
    json_t *transcript;
    char store[256]; /* XDG_STATE_HOME of the commands */
    char out[65536]; /* the command's stdout and stderr */
};

static int setup(void **state)
{
    struct ac_err err;
    struct fixture *f = calloc(1, sizeof *f);
    f->scenario = ts_scenario_load("core/dcr-happy-path.json", &err);
    if (f->scenario == NULL || !mo_world_start(f->scenario, &f->world, &err)) {
        print_error("%s\n", err.msg);
        return -1;
    }
    /* Each test its own token store: runs do not see each other's. */
    if (!ts_mkdtemp(f->store, sizeof f->store, "cli")) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mo_world_stop(f->world);
    json_decref(f->scenario);
    json_decref(f->transcript);
    free(f);
    return 0;
}

/* Run `prog [args...] URL` with extra environment "K=V" strings (NULL
 * values unset), capture stdout and stderr, snapshot the transcript; return the
 * exit status. */
static int run(struct fixture *f, const char *prog, const char *const *args,
               const char *const *env)
{
    char tmpl[] = "/tmp/mcpo-cli-XXXXXX";
    int fd = mkstemp(tmpl), status;
    assert_int_cmp(fd, >=, 0);
    unlink(tmpl);
    pid_t pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        const char *argv[16];
        size_t n = 0;
        argv[n++] = prog;
        for (size_t i = 0; args[i] != NULL && n < 14; i++) {
            argv[n++] = args[i];
        }
        argv[n++] = mo_world_mcp_url(f->world);
        argv[n] = NULL;
        unsetenv("BROWSER");
        unsetenv("MCP_CONFORMANCE_CONTEXT");
        unsetenv("MCP_OAUTH_MUTATION");
        setenv("XDG_STATE_HOME", f->store, 1);
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            putenv((char *)env[i]);
        }
        dup2(fd, 1);
        dup2(fd, 2);
        execv(prog, (char **)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    memset(f->out, 0, sizeof f->out);
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, f->out, sizeof f->out - 1);
    (void)got;
    close(fd);
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const char *mut_bin(void)
{
    return ts_env_or("AUTHCHECK_MUT_CLIENT", "build/tests/mcp-oauth-mut");
}

/* Parameter `name` of the last exchange at `endpoint` (query for GET,
 * form body for POST); a new string or NULL. *found says whether the
 * exchange exists. */
static char *param(struct fixture *f, const char *endpoint, const char *name,
                   bool *found)
{
    *found = false;
    for (size_t i = json_array_size(f->transcript); i-- > 0;) {
        const json_t *x = json_array_get(f->transcript, i);
        const char *ep = ac_json_str(x, "endpoint");
        if (ep == NULL || strcmp(ep, endpoint) != 0) {
            continue;
        }
        *found = true;
        return ts_req_param(x, name);
    }
    return NULL;
}

static const char *const conformance[] = {"conformance", NULL};

static void test_conformance_clean(void **state)
{
    struct fixture *f = *state;
    bool found;
    assert_int_equal(run(f, ts_client_bin(), conformance, NULL), 0);
    assert_non_null(strstr(f->out, "authcheck")); /* default arguments */
    char *m = param(f, "authorize", "code_challenge_method", &found);
    assert_true(found);
    assert_string_equal(m, "S256");
    free(m);
    char *r = param(f, "token", "resource", &found);
    assert_string_equal(r, mo_world_mcp_url(f->world));
    free(r);
}

static void test_conformance_context(void **state)
{
    struct fixture *f = *state;
    const char *const env[] = {
        "MCP_CONFORMANCE_CONTEXT={\"name\":\"x\",\"tool\":\"echo\","
        "\"arguments\":{\"text\":\"from-context\"}}",
        "MCP_CONFORMANCE_SCENARIO=core/dcr-happy-path", NULL};
    assert_int_equal(run(f, ts_client_bin(), conformance, env), 0);
    assert_non_null(strstr(f->out, "from-context"));
    assert_int_equal(
        run(f, ts_client_bin(), conformance,
            (const char *const[]){"MCP_CONFORMANCE_CONTEXT=[1", NULL}),
        2);
}

static size_t count_endpoint(const struct fixture *f, const char *endpoint)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(f->transcript); i++) {
        const char *ep =
            ac_json_str(json_array_get(f->transcript, i), "endpoint");
        n += ep != NULL && strcmp(ep, endpoint) == 0;
    }
    return n;
}

/* Conformance runs never reuse the account's own token store: a runner
 * that keeps the user's HOME and reuses ports (the official suite) gets
 * a fresh login each run; a private XDG_STATE_HOME (the harness's
 * per-scenario HOME) persists, as the restart scenarios need. */
static void test_conformance_store(void **state)
{
    struct fixture *f = *state;
    const struct passwd *pw = getpwuid(getuid());
    char home[600];
    assert_non_null(pw);
    snprintf(home, sizeof home, "HOME=%s", pw->pw_dir);
    const char *const shared[] = {home, "XDG_STATE_HOME=", NULL};
    assert_int_equal(run(f, ts_client_bin(), conformance, shared), 0);
    assert_int_equal(run(f, ts_client_bin(), conformance, shared), 0);
    assert_int_equal(count_endpoint(f, "authorize"), 2);
    assert_int_equal(run(f, ts_client_bin(), conformance, NULL), 0);
    assert_int_equal(run(f, ts_client_bin(), conformance, NULL), 0);
    assert_int_equal(count_endpoint(f, "authorize"), 3);
}

/* Without a URL in the context or --client-metadata-url, conformance mode
 * presents the official suite's fixed CIMD URL to a CIMD server. */
static void test_conformance_official_cimd_url(void **state)
{
    struct fixture *f = *state;
    struct ac_err err;
    json_t *as = json_array_get(
        json_object_get(f->scenario, "authorization_servers"), 0);
    bool found;
    mo_world_stop(f->world);
    f->world = NULL;
    json_object_set_new(as, "registration", json_pack("[s, s]", "cimd", "dcr"));
    if (!mo_world_start(f->scenario, &f->world, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
    run(f, ts_client_bin(), conformance, NULL);
    char *id = param(f, "authorize", "client_id", &found);
    assert_true(found);
    assert_string_equal(id,
                        "https://conformance-test.local/client-metadata.json");
    free(id);
    assert_int_equal(count_endpoint(f, "register"), 0);
}

/* $BROWSER as a user agent that follows one redirect with curl. */
static void test_browser_env(void **state)
{
    struct fixture *f = *state;
    const char *const env[] = {
        "BROWSER=nonexistent-browser-xyz:b() { loc=$(curl -s -o /dev/null "
        "-w '%{redirect_url}' \"$1\") && curl -s -o /dev/null \"$loc\"; }; b",
        NULL};
    assert_int_equal(run(f, ts_client_bin(), conformance, env), 0);
}

/* A blocking $BROWSER (like `authcheck browse`) that fails on the AS's
 * error page: the client probes the authorization URL, finds its fresh
 * registration forgotten and registers once more, without waiting for
 * the callback timeout. */
static void test_browser_error_page_stale(void **state)
{
    struct fixture *f = *state;
    mo_world_stop(f->world);
    json_object_set_new(f->scenario, "rules",
                        json_pack("[{s:{s:s, s:i}, s:{s:s}}]", "match",
                                  "endpoint", "authorize", "times", 1, "do",
                                  "forget", "clients"));
    struct ac_err err;
    assert_true(mo_world_start(f->scenario, &f->world, &err));
    const char *const env[] = {
        "BROWSER=b() { loc=$(curl -sf -o /dev/null -w '%{redirect_url}' "
        "\"$1\") && [ -n \"$loc\" ] && curl -sf -o /dev/null \"$loc\"; }; b",
        "MCP_CONFORMANCE_CONTEXT={\"name\":\"stale\"}", NULL};
    if (run(f, ts_client_bin(), conformance, env) != 0) {
        fail_msg("%s", f->out);
    }
    size_t i, regs = 0;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        regs += ep != NULL && strcmp(ep, "register") == 0;
    }
    assert_int_equal(regs, 2);
}

/* Context "logout": true: after the call, both tokens are revoked. */
static void test_conformance_logout(void **state)
{
    struct fixture *f = *state;
    const char *const env[] = {
        "MCP_CONFORMANCE_CONTEXT={\"name\":\"x\",\"logout\":true}", NULL};
    assert_int_equal(run(f, ts_client_bin(), conformance, env), 0);
    bool found;
    char *hint = param(f, "revoke", "token_type_hint", &found);
    assert_true(found);
    assert_string_equal(hint, "access_token"); /* the last of the two */
    free(hint);
}

static void test_usage(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(run(f, ts_client_bin(), (const char *const[]){NULL}, NULL),
                     2);
    assert_int_equal(
        run(f, ts_client_bin(), (const char *const[]){"call", NULL}, NULL), 2);
    assert_int_equal(run(f, ts_client_bin(),
                         (const char *const[]){"frobnicate", NULL}, NULL),
                     2);
    assert_int_equal(
        run(f, mut_bin(), conformance,
            (const char *const[]){"MCP_OAUTH_MUTATION=no-such", NULL}),
        2);
}

static void test_tools_and_call(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(run(f, ts_client_bin(),
                         (const char *const[]){"--headless", "tools", NULL},
                         NULL),
                     0);
    assert_non_null(strstr(f->out, "echo"));
}

/* -v traces every exchange, yet no secret the mocks issued or received
 * (code, verifier, tokens) appears in the output. */
static void test_trace_redacts(void **state)
{
    struct fixture *f = *state;
    size_t i;
    json_t *v;
    assert_int_equal(run(f, ts_client_bin(),
                         (const char *const[]){"-v", "conformance", NULL},
                         NULL),
                     0);
    assert_non_null(strstr(f->out, "> POST"));
    assert_non_null(strstr(f->out, "Authorization: Bearer [redacted:"));
    json_t *secrets = mo_world_secrets(f->world);
    assert_int_cmp(json_array_size(secrets), >=, 3);
    json_array_foreach(secrets, i, v)
    {
        if (strstr(f->out, json_string_value(v)) != NULL) {
            fail_msg("secret %zu leaked into the -v trace", i);
        }
    }
    json_decref(secrets);
}

/* Each mutation changes what the mocks see. */
static void test_mutations(void **state)
{
    struct fixture *f = *state;
    bool found;
    char *v;

    run(f, mut_bin(), conformance,
        (const char *const[]){"MCP_OAUTH_MUTATION=no-pkce", NULL});
    v = param(f, "authorize", "code_challenge", &found);
    assert_true(found);
    assert_null(v);

    run(f, mut_bin(), conformance,
        (const char *const[]){"MCP_OAUTH_MUTATION=pkce-plain", NULL});
    v = param(f, "authorize", "code_challenge_method", &found);
    assert_string_equal(v, "plain");
    free(v);

    run(f, mut_bin(), conformance,
        (const char *const[]){"MCP_OAUTH_MUTATION=no-resource", NULL});
    v = param(f, "authorize", "resource", &found);
    assert_true(found);
    assert_null(v);

    /* The clean mutation binary behaves like the real one. */
    assert_int_equal(run(f, mut_bin(), conformance, NULL), 0);
}

/* The Location of GET `url` (not followed): a new string or NULL. */
static char *location_of(const char *url)
{
    struct ac_http_request req = {.method = "GET", .url = url};
    struct ac_http_response resp;
    struct ac_err err;
    char *loc = NULL;
    assert_true(ac_http_global_init(&err));
    if (ac_http_do(&req, &resp, &err)) {
        const char *l = ac_http_header_get(&resp, "Location");
        loc = l != NULL ? strdup(l) : NULL;
        ac_http_response_free(&resp);
    }
    ac_http_global_cleanup();
    return loc;
}

/* --no-browser: the URL is printed; the redirect URL pasted on stdin is
 * judged like a callback (a wrong state is ignored with a message, the
 * right one completes the flow) without any request to the listener. */
static void test_no_browser_paste(void **state)
{
    struct fixture *f = *state;
    int in[2], out[2], status;
    char line[8192], *url = NULL;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        setenv("XDG_STATE_HOME", f->store, 1);
        unsetenv("BROWSER");
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(in[1]);
        close(out[0]);
        execl(ts_client_bin(), ts_client_bin(), "--no-browser", "--timeout",
              "20", "tools", mo_world_mcp_url(f->world), (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    FILE *rd = fdopen(out[0], "r");
    while (url == NULL && fgets(line, sizeof line, rd) != NULL) {
        if (strncmp(line, "http", 4) == 0 && strstr(line, "/authorize?")) {
            line[strcspn(line, "\r\n")] = '\0';
            url = strdup(line);
        }
    }
    assert_non_null(url);
    char *loc = location_of(url);
    assert_non_null(loc);
    assert_non_null(strstr(loc, "state="));
    /* A foreign redirect first: other state, then not our redirect URI. */
    char wrong[8192];
    snprintf(wrong, sizeof wrong, "%s", loc);
    char *st = strstr(wrong, "state=") + 6;
    *st = *st == 'A' ? 'B' : 'A';
    dprintf(in[1], "%s\nhttp://127.0.0.1:1/elsewhere?code=x&state=y\n\n",
            wrong);
    dprintf(in[1], "  %s\r\n", loc);
    close(in[1]);
    size_t n = 0;
    memset(f->out, 0, sizeof f->out);
    while (n < sizeof f->out - 1 &&
           fgets(f->out + n, (int)(sizeof f->out - n), rd) != NULL) {
        n += strlen(f->out + n);
    }
    fclose(rd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("exit %d: %s", status, f->out);
    }
    assert_non_null(strstr(f->out, "state does not match"));
    assert_non_null(strstr(f->out, "not a redirect to"));
    assert_non_null(strstr(f->out, "echo"));
    free(loc);
    free(url);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_conformance_clean),
        T(test_conformance_context),
        T(test_conformance_store),
        T(test_conformance_official_cimd_url),
        T(test_browser_env),
        T(test_usage),
        T(test_browser_error_page_stale),
        T(test_conformance_logout),
        T(test_tools_and_call),
        T(test_trace_redacts),
        T(test_mutations),
        T(test_no_browser_paste),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
