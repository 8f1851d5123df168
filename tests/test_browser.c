/* The HTML report in a real browser: headless Chromium (Debian's
 * `chromium`, installed by `make deps-browser`, which CI runs) opens the
 * report.html of a real run and the test reads the rendered DOM back
 * (--dump-dom, after the page's own script has run):
 *   - the check rows by status equal the counts in results.json;
 *   - with the "failing only" filter (preselected by ?failing=1) every
 *     passed scenario is hidden and every failed one shown;
 *   - a screenshot is taken and is a PNG.
 * The run mixes outcomes on purpose: a client wrapper applies the no-pkce
 * mutation to one scenario only. Skipped when Chromium is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/json.h"
#include "harness/runner.h"

#define FAILING_SCENARIO "core/dcr-happy-path"

struct fixture {
    char chromium[256];
    char out[600];     /* the run's output directory */
    char profile[600]; /* Chromium's throwaway user data dir */
    json_t *results;
};

static const char *find_chromium(void)
{
    static const char *const candidates[] = {"/usr/bin/chromium",
                                             "/usr/bin/chromium-browser",
                                             "/usr/bin/google-chrome", NULL};
    const char *env = getenv("AUTHCHECK_CHROMIUM");

    if (env != NULL && access(env, X_OK) == 0) {
        return env;
    }
    for (size_t i = 0; candidates[i] != NULL; i++) {
        if (access(candidates[i], X_OK) == 0) {
            return candidates[i];
        }
    }
    return NULL;
}

/* Run `sh -c script` with a timeout; returns the exit status. */
static int sh(const char *script, long timeout_ms)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct hr_exec x = {argv, NULL, timeout_ms, 0};
    struct hr_exec_result r;
    struct ac_err err;
    int rc;

    if (!hr_exec_run(&x, &r, &err)) {
        fail_msg("spawning /bin/sh: %s", err.msg);
    }
    if (r.exit_code != 0 || r.timed_out) {
        fprintf(stderr, "sh: %s\n%s\n", script, r.output);
    }
    rc = r.timed_out ? -1 : r.exit_code;
    hr_exec_result_free(&r);
    return rc;
}

/* One authcheck run over the whole suite with the wrapper client. */
static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *mut = getenv("AUTHCHECK_MUT_CLIENT");
    const char *tmp = getenv("AUTHCHECK_TMP");
    const char *chromium = find_chromium();
    struct fixture *f = calloc(1, sizeof(*f));
    char script[4096], path[700];
    struct ac_err err;

    if (f == NULL || bin == NULL || mut == NULL || tmp == NULL) {
        free(f);
        fprintf(stderr, "test_browser: run through `make run-tests`\n");
        return -1;
    }
    *state = f;
    if (chromium == NULL) {
        return 0; /* each test skips */
    }
    snprintf(f->chromium, sizeof(f->chromium), "%s", chromium);
    snprintf(f->out, sizeof(f->out), "%s/browser-run", tmp);
    snprintf(f->profile, sizeof(f->profile), "%s/browser-profile", tmp);
    /* The client under test: the mutation build, broken in one scenario. */
    snprintf(script, sizeof(script),
             "rm -rf '%s' && '%s/authcheck' run -q --out '%s' --client-cmd "
             "'if [ \"$MCP_CONFORMANCE_SCENARIO\" = " FAILING_SCENARIO
             " ]; then export MCP_OAUTH_MUTATION=no-pkce; fi; "
             "exec %s conformance'; test $? -eq 1",
             f->out, bin, f->out, mut);
    assert_int_equal(sh(script, 120000), 0);
    snprintf(path, sizeof(path), "%s/results.json", f->out);
    f->results = ac_json_load_file(path, &err);
    if (f->results == NULL) {
        fail_msg("%s", err.msg);
    }
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    json_decref(f->results);
    free(f);
    return 0;
}

#define SKIP_WITHOUT_CHROMIUM(f)                                               \
    do {                                                                       \
        if ((f)->chromium[0] == '\0') {                                        \
            fprintf(stderr, "chromium not installed (make deps-browser): "     \
                            "skipping\n");                                     \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* The DOM of report.html (with `query` appended) after its script ran. */
static char *dump_dom(const struct fixture *f, const char *query)
{
    char script[4096], path[700];
    FILE *fp;
    char *dom = NULL;
    long n;

    snprintf(path, sizeof(path), "%s/dom.html", f->out);
    snprintf(script, sizeof(script),
             "'%s' --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking "
             "--disable-component-update --disable-sync "
             "--user-data-dir='%s' --dump-dom 'file://%s/report.html%s' "
             "> '%s' 2>/dev/null",
             f->chromium, f->profile, f->out, query, path);
    assert_int_equal(sh(script, 90000), 0);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    dom = malloc((size_t)n + 1);
    assert_non_null(dom);
    assert_int_equal(fread(dom, 1, (size_t)n, fp), (size_t)n);
    dom[n] = '\0';
    fclose(fp);
    assert_non_null(strstr(dom, "</html>"));
    return dom;
}

/* Copy the start tag beginning at `p` ("<tr ...>") into buf. */
static void start_tag(const char *p, char *buf, size_t size)
{
    const char *end = strchr(p, '>');
    size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

    if (n >= size) {
        n = size - 1;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
}

/* Count start tags `<tag` having class `cls` and, when given, the
 * attribute text `attr` (e.g. `data-status="FAILURE"`); with `hidden`
 * 1/0 also require the hidden attribute to be present/absent. */
static size_t count_tags(const char *dom, const char *tag, const char *cls,
                         const char *attr, int hidden)
{
    char open[32], klass[64], buf[2048];
    size_t count = 0;

    snprintf(open, sizeof(open), "<%s ", tag);
    snprintf(klass, sizeof(klass), "class=\"%s\"", cls);
    for (const char *p = strstr(dom, open); p; p = strstr(p + 1, open)) {
        start_tag(p, buf, sizeof(buf));
        if (strstr(buf, klass) == NULL ||
            (attr != NULL && strstr(buf, attr) == NULL)) {
            continue;
        }
        if (hidden >= 0 && (strstr(buf, " hidden") != NULL) != hidden) {
            continue;
        }
        count++;
    }
    return count;
}

static size_t results_count(const json_t *results, const char *status)
{
    const json_t *checks =
        json_object_get(json_object_get(results, "summary"), "checks");

    return (size_t)json_integer_value(json_object_get(checks, status));
}

static void test_check_counts_match_results(void **state)
{
    struct fixture *f = *state;
    static const char *const statuses[] = {"SUCCESS", "FAILURE", "WARNING",
                                           "SKIPPED", "INFO"};
    char attr[64];
    char *dom;

    SKIP_WITHOUT_CHROMIUM(f);
    dom = dump_dom(f, "");
    assert_true(results_count(f->results, "FAILURE") > 0);
    assert_true(results_count(f->results, "SUCCESS") > 0);
    for (size_t i = 0; i < sizeof(statuses) / sizeof(*statuses); i++) {
        snprintf(attr, sizeof(attr), "data-status=\"%s\"", statuses[i]);
        assert_int_equal(count_tags(dom, "tr", "check", attr, -1),
                         results_count(f->results, statuses[i]));
    }
    free(dom);
}

static void test_failing_filter_hides_passing(void **state)
{
    struct fixture *f = *state;
    size_t passed, failed;
    char *dom;

    SKIP_WITHOUT_CHROMIUM(f);
    dom = dump_dom(f, "?failing=1");
    passed =
        count_tags(dom, "section", "scenario", "data-status=\"passed\"", -1);
    failed =
        count_tags(dom, "section", "scenario", "data-status=\"failed\"", -1);
    assert_true(failed >= 1);
    /* every passed scenario hidden, every failed one visible */
    assert_int_equal(
        count_tags(dom, "section", "scenario", "data-status=\"passed\"", 1),
        passed);
    assert_int_equal(
        count_tags(dom, "section", "scenario", "data-status=\"failed\"", 0),
        failed);
    assert_non_null(strstr(dom, FAILING_SCENARIO));
    free(dom);
}

static void test_screenshot(void **state)
{
    struct fixture *f = *state;
    static const unsigned char png_magic[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    char script[4096], path[700];
    FILE *fp;

    SKIP_WITHOUT_CHROMIUM(f);
    snprintf(path, sizeof(path), "%s/report.png", f->out);
    snprintf(script, sizeof(script),
             "'%s' --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking "
             "--disable-component-update --disable-sync --hide-scrollbars "
             "--user-data-dir='%s' --window-size=1280,1600 "
             "--screenshot='%s' 'file://%s/report.html' >/dev/null 2>&1",
             f->chromium, f->profile, path, f->out);
    assert_int_equal(sh(script, 90000), 0);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
    fclose(fp);
    assert_memory_equal(head, png_magic, sizeof(head));
    fprintf(stderr, "screenshot: %s\n", path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_counts_match_results),
        cmocka_unit_test(test_failing_filter_hides_passing),
        cmocka_unit_test(test_screenshot),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
