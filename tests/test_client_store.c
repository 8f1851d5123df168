/* The token store and what it makes possible, against the mocks on
 * loopback: file permissions and atomic records, a corrupt record giving
 * a fresh login, a restart reusing the store (no discovery, no browser),
 * proactive and reactive refresh, several processes refreshing a rotating
 * refresh token exactly once per expiry (eight mcp-oauth processes, three
 * expiries, no rotated token reused), invalid_grant leading to a new
 * authorization, scope step-up with the union of scopes, and logout
 * revoking. The mcp-oauth command runs as separate processes sharing one
 * XDG_STATE_HOME; the mocks' transcript is counted afterwards. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "client/lib/store_int.h"
#include "common/clock.h"
#include "common/json.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"
#include "tests/support/transcript.h"
#include "tests/support/env.h"

#define NPROC 8

struct fixture {
    json_t *scenario;
    struct mo_world *world;
    json_t *transcript;
    char xdg[256];   /* XDG_STATE_HOME of the commands */
    char dir[300];   /* the store: xdg/mcp-oauth */
    char out[16384]; /* last command's stdout + stderr */
};

static int setup(void **state)
{
    struct ac_err err;
    struct fixture *f = calloc(1, sizeof *f);
    f->scenario = ts_scenario_load("core/dcr-happy-path.json", &err);
    if (f->scenario == NULL || !ts_mkdtemp(f->xdg, sizeof f->xdg, "store")) {
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/mcp-oauth", f->xdg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ac_clock_pin_for_tests(0);
    mo_world_stop(f->world);
    json_decref(f->scenario);
    json_decref(f->transcript);
    free(f);
    return 0;
}

static void start(struct fixture *f)
{
    struct ac_err err;
    if (!mo_world_start(f->scenario, &f->world, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
}

/* Start `mcp-oauth --headless CMD URL [extra]` with output to `fd`. */
static pid_t spawn(struct fixture *f, const char *cmd, const char *extra,
                   const char *extra2, int fd)
{
    pid_t pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        const char *argv[] = {
            ts_client_bin(), "--headless", cmd, mo_world_mcp_url(f->world),
            extra,           extra2,       NULL};
        if (strcmp(cmd, "status") == 0) {
            argv[3] = NULL;
        }
        unsetenv("BROWSER");
        unsetenv("MCP_CONFORMANCE_CONTEXT");
        setenv("XDG_STATE_HOME", f->xdg, 1);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char **)argv);
        _exit(127);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void snapshot(struct fixture *f)
{
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
}

static int run2(struct fixture *f, const char *cmd, const char *a,
                const char *b)
{
    char tmpl[] = "/tmp/mcpo-store-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_int_cmp(fd, >=, 0);
    unlink(tmpl);
    int rc = wait_status(spawn(f, cmd, a, b, fd));
    memset(f->out, 0, sizeof f->out);
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, f->out, sizeof f->out - 1);
    (void)got;
    close(fd);
    snapshot(f);
    return rc;
}

static int run(struct fixture *f, const char *cmd)
{
    return run2(f, cmd, NULL, NULL);
}

/* Exchanges at `endpoint` whose form/query has name=value (value NULL:
 * any exchange at the endpoint). */
static size_t count(struct fixture *f, const char *endpoint, const char *name,
                    const char *value)
{
    size_t n = 0, i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        if (ep == NULL || strcmp(ep, endpoint) != 0) {
            continue;
        }
        if (name == NULL) {
            n++;
            continue;
        }
        char *v = ts_req_param(x, name);
        n += v != NULL && (value == NULL || strcmp(v, value) == 0);
        free(v);
    }
    return n;
}

static json_t *load_record(struct fixture *f)
{
    json_t *rec = NULL;
    assert_true(store_find(f->dir, mo_world_resource(f->world), &rec, NULL));
    assert_non_null(rec);
    return rec;
}

static void save_record(struct fixture *f, json_t *rec)
{
    assert_true(store_save(f->dir, rec, NULL));
    json_decref(rec);
}

static char *record_path(struct fixture *f)
{
    return store_path(f->dir, mo_world_resource(f->world),
                      mo_world_issuer(f->world, 0), ".json");
}

/* --- the store module alone ---------------------------------------------- */

static void test_store_perms_and_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    json_t *rec = json_pack(
        "{s:s, s:s, s:{s:s}}", "resource", "https://mcp.example/mcp", "issuer",
        "https://as.example", "tokens", "access_token", "secret-at");
    json_t *back = NULL;
    assert_true(store_save(f->dir, rec, NULL));
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char *p = store_path(f->dir, "https://mcp.example/mcp",
                         "https://as.example", ".json");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(store_load(f->dir, "https://mcp.example/mcp",
                           "https://as.example", &back, NULL));
    assert_string_equal(
        ac_json_str(json_object_get(back, "tokens"), "access_token"),
        "secret-at");
    json_decref(back);
    /* Another issuer is another record. */
    assert_true(store_load(f->dir, "https://mcp.example/mcp",
                           "https://other.example", &back, NULL));
    assert_null(back);
    /* No temporary file is left beside the record (atomic write). */
    json_t *all = store_list(f->dir, NULL);
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
    assert_true(store_clear_all(f->dir, NULL));
    assert_int_not_equal(stat(p, &st), 0);
    free(p);
    json_decref(rec);
}

static void test_store_corrupt_is_absent(void **state)
{
    struct fixture *f = *state;
    json_t *back = (json_t *)1;
    assert_true(store_prepare_dir(f->dir, NULL));
    char *p = store_path(f->dir, "r", "i", ".json");
    FILE *fp = fopen(p, "w");
    fputs("{\"version\": 1, \"resource\": ", fp); /* truncated */
    fclose(fp);
    assert_true(store_load(f->dir, "r", "i", &back, NULL));
    assert_null(back);
    free(p);
}

/* --- the client with the store ------------------------------------------- */

/* A second process reuses the store: no discovery, no registration, no
 * authorization. */
static void test_restart_reuses_store(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(run(f, "tools"), 0);
    size_t prm = count(f, "prm", NULL, NULL);
    assert_int_equal(count(f, "register", NULL, NULL), 1);
    assert_int_equal(count(f, "authorize", NULL, NULL), 1);
    assert_int_equal(run(f, "tools"), 0);
    assert_non_null(strstr(f->out, "echo"));
    assert_int_equal(count(f, "prm", NULL, NULL), prm);
    assert_int_equal(count(f, "register", NULL, NULL), 1);
    assert_int_equal(count(f, "authorize", NULL, NULL), 1);
    assert_int_equal(count(f, "metadata", NULL, NULL), 1);
}

/* A corrupt record: a clear message, then a fresh login. */
static void test_corrupt_record_fresh_login(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(run(f, "tools"), 0);
    char *p = record_path(f);
    FILE *fp = fopen(p, "w");
    fputs("not json at all", fp);
    fclose(fp);
    free(p);
    assert_int_equal(run(f, "tools"), 0);
    assert_non_null(strstr(f->out, "ignoring unreadable token store file"));
    assert_int_equal(count(f, "authorize", NULL, NULL), 2);
}

/* An access token about to expire is refreshed before use. */
static void test_proactive_refresh(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(run(f, "tools"), 0);
    json_t *rec = load_record(f);
    json_object_set_new(json_object_get(rec, "tokens"), "expires_at",
                        json_integer(ac_now() + 5));
    save_record(f, rec);
    size_t mcp401 = count(f, "mcp", NULL, NULL);
    assert_int_equal(run(f, "tools"), 0);
    assert_int_equal(count(f, "token", "grant_type", "refresh_token"), 1);
    assert_int_equal(count(f, "authorize", NULL, NULL), 1);
    assert_int_cmp(count(f, "mcp", NULL, NULL), >, mcp401);
}

/* The refresh_token values of every refresh request so far, in order: a
 * new array of strings. */
static json_t *refresh_tokens_sent(struct fixture *f)
{
    json_t *out = json_array();
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        char *gt = ep != NULL && strcmp(ep, "token") == 0
                       ? ts_req_param(x, "grant_type")
                       : NULL;
        char *rt = gt != NULL && strcmp(gt, "refresh_token") == 0
                       ? ts_req_param(x, "refresh_token")
                       : NULL;
        if (rt != NULL) {
            json_array_append_new(out, json_string(rt));
        }
        free(rt);
        free(gt);
    }
    return out;
}

/* Token endpoint answers that were not 200 (a reused rotated refresh
 * token gets invalid_grant and revokes the grant). */
static size_t token_errors(struct fixture *f)
{
    size_t n = 0, i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        json_int_t st = json_integer_value(
            json_object_get(json_object_get(x, "response"), "status"));
        n += ep != NULL && strcmp(ep, "token") == 0 && st != 200;
    }
    return n;
}

/* NPROC processes of the real CLI find the access token expired on the
 * AS's clock at once, ROUNDS times over (one expiry per round): every
 * round exactly one refresh reaches the AS, no rotated refresh token is
 * ever presented twice (OAuth 2.1 §4.3.1: reuse may revoke the grant),
 * every process gets a valid token and its tool call through, and nobody
 * re-authorizes. The store's flock(2) is what serialises them. */
#define ROUNDS 3
static void test_concurrent_rotating_refresh(void **state)
{
    struct fixture *f = *state;
    pid_t pids[NPROC];
    int64_t t0 = ac_now();
    start(f);
    assert_int_equal(run(f, "tools"), 0);
    int fd = open("/dev/null", O_WRONLY);
    for (int round = 1; round <= ROUNDS; round++) {
        size_t calls = count(f, "mcp", NULL, NULL);
        ac_clock_pin_for_tests(t0 + round * 7200); /* the mocks' clock */
        for (int i = 0; i < NPROC; i++) {
            pids[i] = spawn(f, "tools", NULL, NULL, fd);
        }
        for (int i = 0; i < NPROC; i++) {
            assert_int_equal(wait_status(pids[i]), 0);
        }
        snapshot(f);
        assert_int_equal(count(f, "token", "grant_type", "refresh_token"),
                         round);
        assert_int_cmp(count(f, "mcp", NULL, NULL), >=, calls + NPROC);
    }
    close(fd);
    json_t *sent = refresh_tokens_sent(f);
    for (size_t i = 0; i < json_array_size(sent); i++) {
        for (size_t k = 0; k < i; k++) {
            assert_string_not_equal(json_string_value(json_array_get(sent, i)),
                                    json_string_value(json_array_get(sent, k)));
        }
    }
    json_decref(sent);
    assert_int_equal(token_errors(f), 0);
    assert_int_equal(count(f, "authorize", NULL, NULL), 1);
}

/* invalid_grant on refresh: the tokens are dropped and the client
 * authorizes again, once, with the stored registration. */
static void test_invalid_grant_reauthorizes(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(run(f, "tools"), 0);
    json_t *rec = load_record(f);
    json_t *t = json_object_get(rec, "tokens");
    json_object_set_new(t, "refresh_token", json_string("bogus"));
    json_object_set_new(t, "expires_at", json_integer(ac_now() - 1));
    save_record(f, rec);
    assert_int_equal(run(f, "tools"), 0);
    assert_int_equal(count(f, "token", "grant_type", "refresh_token"), 1);
    /* 1 (first login) + the stale-client pre-flight GET of the stored
     * registration + the authorization itself. */
    assert_int_equal(count(f, "authorize", NULL, NULL), 3);
    assert_int_equal(count(f, "register", NULL, NULL), 1);
}

/* 403 insufficient_scope: authorize again for the union, then succeed. */
static void test_step_up_union(void **state)
{
    struct fixture *f = *state;
    json_t *as = json_array_get(
        json_object_get(f->scenario, "authorization_servers"), 0);
    json_t *mcp = json_object_get(f->scenario, "mcp_server");
    json_object_set_new(as, "scopes_supported",
                        json_pack("[s, s]", "mcp:tools", "mcp:admin"));
    json_object_set_new(mcp, "scopes_supported",
                        json_pack("[s, s]", "mcp:tools", "mcp:admin"));
    json_array_append_new(
        json_object_get(mcp, "tools"),
        json_pack("{s:s, s:s}", "name", "admin", "scope", "mcp:admin"));
    start(f);
    assert_int_equal(run2(f, "call", "admin", "{}"), 0);
    assert_int_equal(count(f, "authorize", NULL, NULL), 2);
    assert_int_equal(count(f, "authorize", "scope", "mcp:tools mcp:admin"), 1);
}

/* logout revokes the refresh then the access token and forgets. */
static void test_logout_revokes(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    start(f);
    assert_int_equal(run(f, "login"), 0);
    assert_int_equal(run(f, "status"), 0);
    assert_non_null(strstr(f->out, mo_world_mcp_url(f->world)));
    assert_int_equal(run(f, "logout"), 0);
    assert_int_equal(count(f, "revoke", "token_type_hint", "refresh_token"), 1);
    assert_int_equal(count(f, "revoke", "token_type_hint", "access_token"), 1);
    char *p = record_path(f);
    assert_int_not_equal(stat(p, &st), 0);
    free(p);
    assert_int_equal(run(f, "status"), 0);
    assert_non_null(strstr(f->out, "no stored servers"));
}

/* `token` prints the stored access token, and status never does. */
static void test_token_and_status(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(run(f, "token"), 0);
    json_t *rec = load_record(f);
    const char *at =
        ac_json_str(json_object_get(rec, "tokens"), "access_token");
    assert_non_null(strstr(f->out, at));
    assert_int_equal(run(f, "status"), 0);
    assert_null(strstr(f->out, at));
    json_decref(rec);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_store_perms_and_roundtrip),
        T(test_store_corrupt_is_absent),
        T(test_restart_reuses_store),
        T(test_corrupt_record_fresh_login),
        T(test_proactive_refresh),
        T(test_concurrent_rotating_refresh),
        T(test_invalid_grant_reauthorizes),
        T(test_step_up_union),
        T(test_logout_revokes),
        T(test_token_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
