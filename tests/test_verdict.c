/* The verdict model end to end (DESIGN.md "Baseline and key checks"): a
 * client that does nothing fails EVERY scenario of the library.
 *
 * Three do-nothing clients run against every runnable scenario through
 * the harness (hr_run_scenario, in parallel): `true` (exits 0 at once),
 * `false` (exits 1 at once: what a refusal looks like) and a client that
 * POSTs an MCP initialize to the URL once, gets the 401 and exits 1. The
 * last one is this program run again with --fetch-once (libcurl is what
 * every test links; a fresh machine need not have the curl tool). Each
 * must come out "failed" in every scenario: refusal scenarios included,
 * where the exit status alone would look right, so each of those has a
 * key check that is SKIPPED, hence FAILURE, when the client never got to
 * the bad input.
 *
 * Besides, --strict and --client-features: a WARNING fails a scenario
 * only under strict, and a scenario needing a feature the client does not
 * claim is not run ("not_applicable").
 *
 * Environment (set by `make run-tests`): AUTHCHECK_BINDIR,
 * AUTHCHECK_SCENARIOS, AUTHCHECK_TMP. AUTHCHECK_VERDICT_JOBS overrides
 * the parallelism (4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/json.h"
#include "harness/checks.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "tests/support/asserts.h"
#include "common/httpc.h"
#include "tests/support/scenarios_fx.h"
#include "tests/support/http.h"

/* --- the fetch-once client ------------------------------------------------ */

/* POST one initialize to `url`; exit 1 whatever the answer (a 401 is the
 * expected one): the client gives up after its first request. libcurl
 * (common/httpc.c), so that it speaks TLS to the tls scenarios' HTTPS
 * servers with the CA the runner names in SSL_CERT_FILE. */
static int fetch_once(const char *url)
{
    static const char *const hdrs[] = {
        "Content-Type: application/json",
        "Accept: application/json, text/event-stream", NULL};
    struct ac_http_request req = {
        .method = "POST",
        .url = url,
        .headers = hdrs,
        .body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                "\"params\":{\"protocolVersion\":\"2025-11-25\","
                "\"capabilities\":{},\"clientInfo\":{\"name\":\"once\","
                "\"version\":\"1\"}}}",
    };
    struct ac_http_response r = {0};
    struct ac_err err = {0};
    bool ok = ac_http_global_init(&err) && ac_http_do(&req, &r, &err);

    printf("fetch-once: %s answered %ld%s%s\n", url, ok ? r.status : 0L,
           ok ? "" : ": ", ok ? "" : err.msg);
    ac_http_response_free(&r);
    return 1;
}

/* --- fixture ----------------------------------------------------------------
 */

struct job {
    const struct hs_scenario *sc;
    const char *cmd; /* borrowed */
    json_t *result;  /* owned */
};

struct fixture {
    char authcheck[512];
    char self[600];
    char tmp[512];
    struct hs_scenario **sc;
    size_t nsc;
    struct job *jobs;
    size_t njobs, next;
    pthread_mutex_t lock;
};

static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *scd = getenv("AUTHCHECK_SCENARIOS");
    const char *tmp = getenv("AUTHCHECK_TMP");
    struct fixture *f;
    ssize_t len;

    if (bin == NULL || scd == NULL || tmp == NULL) {
        fprintf(stderr, "test_verdict: run through `make run-tests`\n");
        return -1;
    }
    f = calloc(1, sizeof *f);
    snprintf(f->authcheck, sizeof f->authcheck, "%s/authcheck", bin);
    snprintf(f->tmp, sizeof f->tmp, "%s", tmp);
    len = readlink("/proc/self/exe", f->self, sizeof f->self - 1);
    if (len <= 0 ||
        (f->sc = ts_load_scenarios(scd, &f->nsc, "test_verdict")) == NULL) {
        fprintf(stderr, "test_verdict: cannot find itself or the scenarios\n");
        free(f);
        return -1;
    }
    f->self[len] = '\0';
    pthread_mutex_init(&f->lock, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    if (f == NULL) {
        return 0;
    }
    for (size_t i = 0; i < f->njobs; i++) {
        json_decref(f->jobs[i].result);
    }
    for (size_t i = 0; i < f->nsc; i++) {
        hs_free(f->sc[i]);
    }
    free(f->jobs);
    free(f->sc);
    pthread_mutex_destroy(&f->lock);
    free(f);
    return 0;
}

static void *worker(void *arg)
{
    struct fixture *f = arg;

    for (;;) {
        struct hr_options o = {.authcheck_exe = f->authcheck,
                               .tmp_dir = f->tmp};
        size_t k;
        pthread_mutex_lock(&f->lock);
        k = f->next++;
        pthread_mutex_unlock(&f->lock);
        if (k >= f->njobs) {
            return NULL;
        }
        o.client_cmd = f->jobs[k].cmd;
        f->jobs[k].result = hr_run_scenario(f->jobs[k].sc, &o, NULL);
    }
}

/* Run `cmd` against every runnable scenario; results in f->jobs. */
static void run_everywhere(struct fixture *f, const char *cmd)
{
    const char *js = getenv("AUTHCHECK_VERDICT_JOBS");
    int n = js != NULL ? atoi(js) : 4;
    pthread_t th[16];
    struct job *grown;

    n = n < 1 ? 1 : n > 16 ? 16 : n;
    for (size_t i = 0; i < f->njobs; i++) {
        json_decref(f->jobs[i].result);
    }
    grown = realloc(f->jobs, (f->nsc + 1) * sizeof *f->jobs);
    assert_non_null(grown);
    f->jobs = grown;
    f->njobs = f->next = 0;
    for (size_t i = 0; i < f->nsc; i++) {
        if (ac_json_str(f->sc[i]->doc, "pending") == NULL) {
            f->jobs[f->njobs++] = (struct job){f->sc[i], cmd, NULL};
        }
    }
    for (int k = 0; k < n; k++) {
        pthread_create(&th[k], NULL, worker, f);
    }
    for (int k = 0; k < n; k++) {
        pthread_join(th[k], NULL);
    }
}

/* Every scenario came out "failed"; print the ones that did not. */
static void assert_all_failed(const struct fixture *f, const char *who)
{
    size_t bad = 0;

    for (size_t i = 0; i < f->njobs; i++) {
        const json_t *res = f->jobs[i].result;
        const char *st = res != NULL ? ac_json_str(res, "status") : NULL;
        if (st == NULL || strcmp(st, "failed") != 0) {
            printf("  %s: %s came out %s%s%s\n", who, f->jobs[i].sc->id,
                   st != NULL ? st : "(no result)",
                   res != NULL && ac_json_str(res, "error") ? ": " : "",
                   res != NULL && ac_json_str(res, "error")
                       ? ac_json_str(res, "error")
                       : "");
            bad++;
        }
    }
    printf("%s: %zu scenario(s), %zu not failed\n", who, f->njobs, bad);
    if (bad > 0 || f->njobs == 0) {
        fail_msg("a client that does nothing (%s) must fail every scenario",
                 who);
    }
}

/* --- the tests ------------------------------------------------------------ */

static void test_true_fails_everything(void **state)
{
    struct fixture *f = *state;

    run_everywhere(f, "true");
    assert_all_failed(f, "true");
}

static void test_false_fails_everything(void **state)
{
    struct fixture *f = *state;

    run_everywhere(f, "false");
    assert_all_failed(f, "false");
}

static void test_fetch_once_fails_everything(void **state)
{
    struct fixture *f = *state;
    char *q = hr_shell_quote(f->self);
    char *cmd = NULL;

    assert_non_null(q);
    assert_int_cmp(asprintf(&cmd, "%s --fetch-once", q), >, 0);
    run_everywhere(f, cmd);
    assert_all_failed(f, "fetch-once");
    /* It did reach the server: the 401 is in every transcript. */
    for (size_t i = 0; i < f->njobs; i++) {
        const json_t *tr = json_object_get(f->jobs[i].result, "transcript");
        if (json_array_size(tr) < 1) {
            fail_msg("fetch-once reached no server in %s", f->jobs[i].sc->id);
        }
    }
    free(cmd);
    free(q);
}

/* A scenario document with key check `key`, run by `cmd`. */
static json_t *run_one(struct fixture *f, const char *text, const char *cmd,
                       bool strict, const char *const *features)
{
    struct hs_scenario *s = NULL;
    struct hr_options o = {.authcheck_exe = f->authcheck,
                           .tmp_dir = f->tmp,
                           .client_cmd = cmd,
                           .strict = strict,
                           .client_features = features};
    struct ac_err err;
    json_t *res;

    if (!hs_parse(text, strlen(text), "v/one.json", "v/one", &s, &err)) {
        fail_msg("%s", err.msg);
    }
    res = hr_run_scenario(s, &o, NULL);
    hs_free(s);
    assert_non_null(res);
    return res;
}

/* --client-features: a scenario needing a feature the client does not
 * claim is not run; without a declaration, or with the feature claimed,
 * it runs. Also: the key check comes first, "key": true, then the
 * baseline checks, "key": false. */
static void test_strict_and_features(void **state)
{
    struct fixture *f = *state;
    const char *doc = "{\"id\": \"v/one\", \"title\": \"t\","
                      " \"spec\": [\"2025-11-25\"], \"features\": [\"cimd\"],"
                      " \"client\": {\"expect\": \"refuse\"},"
                      " \"checks\": [\"client-exit-status\"]}";
    const char *none[] = {NULL};
    const char *cimd[] = {"pre-registration", "cimd", NULL};
    json_t *res;
    size_t i;
    const json_t *c;

    /* No declaration: it runs; the key check is listed first. */
    res = run_one(f, doc, "false", false, NULL);
    assert_string_equal(ac_json_str(res, "status"), "passed");
    c = json_array_get(json_object_get(res, "checks"), 0);
    assert_string_equal(ac_json_str(c, "id"), "client-exit-status");
    assert_true(json_is_true(json_object_get(c, "key")));
    json_array_foreach(json_object_get(res, "checks"), i, c)
    {
        if (i > 0) {
            assert_true(json_is_false(json_object_get(c, "key")));
            assert_string_equal(ac_json_str(c, "status"), "SKIPPED");
        }
    }
    assert_int_cmp(json_array_size(json_object_get(res, "checks")), >, 1);
    json_decref(res);
    /* Declared without cimd: not run at all. */
    res = run_one(f, doc, "false", false, none);
    assert_string_equal(ac_json_str(res, "status"), "not_applicable");
    assert_non_null(strstr(ac_json_str(res, "skip_reason"), "\"cimd\""));
    assert_int_equal(json_array_size(json_object_get(res, "checks")), 0);
    assert_int_equal(json_array_size(json_object_get(res, "runs")), 0);
    json_decref(res);
    /* Declared with cimd: runs. */
    res = run_one(f, doc, "false", false, cimd);
    assert_string_equal(ac_json_str(res, "status"), "passed");
    json_decref(res);
}

/* A violated SHOULD is a WARNING: it fails the scenario only with strict.
 * state-roundtrip (SHOULD) on a client whose state is too short is the
 * cheapest: the fake client authorizes by hand with a short state. */
static void test_strict_fails_on_warning(void **state)
{
    struct fixture *f = *state;
    const char *doc =
        "{\"id\": \"v/one\", \"title\": \"t\", \"spec\": [\"2025-11-25\"],"
        " \"client\": {\"expect\": \"refuse\"},"
        " \"checks\": [\"client-exit-status\"]}";
    char *q = hr_shell_quote(f->self);
    char *cmd = NULL;
    json_t *res;

    assert_int_cmp(asprintf(&cmd, "%s --short-state", q), >, 0);
    res = run_one(f, doc, cmd, false, NULL);
    assert_string_equal(ac_json_str(res, "status"), "passed");
    json_decref(res);
    res = run_one(f, doc, cmd, true, NULL);
    assert_string_equal(ac_json_str(res, "status"), "failed");
    json_decref(res);
    free(cmd);
    free(q);
}

/* --short-state MCP_URL: an authorization request with a state of 8
 * characters (state-roundtrip warns), straight to the authorization
 * server the PRM names, then exit 1. Just enough of a client. */
/* Percent-encode `s` into `out` (unreserved characters kept). */
static const char *pct(const char *s, char *out, size_t n)
{
    size_t k = 0;

    for (; *s != '\0' && k + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
            out[k++] = (char)c;
        } else {
            k += (size_t)snprintf(out + k, n - k, "%%%02X", c);
        }
    }
    out[k] = '\0';
    return out;
}

static int short_state(const char *url)
{
    char enc[600];
    struct th_resp r = {0};
    json_t *prm = NULL, *md = NULL;
    char *prm_url = NULL, *md_url = NULL, *authz = NULL;
    const char *slash = strstr(url, "://");
    const char *as;
    int rc = 1;

    slash = slash != NULL ? strchr(slash + 3, '/') : NULL;
    if (slash == NULL ||
        asprintf(&prm_url, "%.*s/.well-known/oauth-protected-resource%s",
                 (int)(slash - url), url, slash) < 0) {
        return 1;
    }
    th_http("GET", prm_url, NULL, NULL, 0, &r);
    prm = th_json(&r);
    th_resp_free(&r);
    as = json_string_value(
        json_array_get(json_object_get(prm, "authorization_servers"), 0));
    if (as != NULL &&
        asprintf(&md_url, "%s/.well-known/oauth-authorization-server", as) >
            0) {
        th_http("GET", md_url, NULL, NULL, 0, &r);
        md = th_json(&r);
        th_resp_free(&r);
    }
    if (md != NULL &&
        asprintf(
            &authz,
            "%s?response_type=code&client_id=nobody&state=short123"
            "&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fcb"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256&resource=%s",
            json_string_value(json_object_get(md, "authorization_endpoint")),
            pct(url, enc, sizeof enc)) > 0) {
        th_http("GET", authz, NULL, NULL, 0, &r);
        th_resp_free(&r);
    }
    json_decref(prm);
    json_decref(md);
    free(prm_url);
    free(md_url);
    free(authz);
    return rc;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_true_fails_everything),
        cmocka_unit_test(test_false_fails_everything),
        cmocka_unit_test(test_fetch_once_fails_everything),
        cmocka_unit_test(test_strict_and_features),
        cmocka_unit_test(test_strict_fails_on_warning),
    };

    if (argc == 3 && strcmp(argv[1], "--fetch-once") == 0) {
        return fetch_once(argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "--short-state") == 0) {
        return short_state(argv[2]);
    }
    return cmocka_run_group_tests_name("verdict", tests, setup, teardown);
}
