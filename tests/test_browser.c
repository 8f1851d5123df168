/* The HTML report in a real browser: headless Chromium (Debian's
 * `chromium`, installed by `make deps-browser`, which CI runs) opens the
 * report.html of a real run once, with the failing filter preselected,
 * every transcript opened and an evidence link followed
 * (report.html?failing=1&open=all#s<N>-ex-<seq>), and the
 * tests read the rendered DOM back (--dump-dom, after the page's script
 * and its asynchronous transcript decoding ran):
 *   - the root-cause section names the failed scenario's first failure
 *     and its counts add up to results.json;
 *   - the scenario sections, matrix rows and check rows by status equal
 *     results.json;
 *   - the followed evidence link reached its exchange, rendered from the
 *     compressed transcripts and opened;
 *   - with ?open=all, every exchange of results.json is rendered;
 *   - the key check comes first in each scenario (when the model marks
 *     key checks);
 *   - the failing filter hides every passed scenario and no failed one.
 * With AUTHCHECK_SCREENSHOT=1 a screenshot is also written, as an
 * artifact for a person (not a test). The run mixes outcomes on purpose:
 * a client wrapper applies the no-pkce mutation to one scenario only.
 * Skipped when Chromium is not installed. */
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
#include "tests/support/asserts.h"

#define FAILING_SCENARIO "core/dcr-happy-path"

struct fixture {
    char chromium[256];
    char out[600];     /* the run's output directory */
    char profile[600]; /* Chromium's throwaway user data dir */
    json_t *results;
    char target[64]; /* the evidence exchange followed: "s<N>-ex-<seq>" */
    char *dom;       /* report.html?failing=1&open=all#target, rendered */
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
    struct hr_exec x = {argv, NULL, timeout_ms, 0, NULL};
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

static char *dump_dom(const struct fixture *f, const char *query);

/* The first FAILURE with evidence in the failing scenario: its exchange
 * is the link the page follows. */
static void pick_target(struct fixture *f)
{
    const json_t *sc, *c;
    size_t i, j;

    json_array_foreach(json_object_get(f->results, "scenarios"), i, sc)
    {
        if (strcmp(json_string_value(json_object_get(sc, "id")),
                   FAILING_SCENARIO) != 0) {
            continue;
        }
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            const json_t *ev = json_object_get(c, "evidence");
            if (strcmp(json_string_value(json_object_get(c, "status")),
                       "FAILURE") == 0 &&
                json_array_size(ev) > 0) {
                snprintf(f->target, sizeof f->target, "s%zu-ex-%lld", i + 1,
                         (long long)json_integer_value(json_array_get(ev, 0)));
                return;
            }
        }
    }
    fail_msg("%s has no FAILURE with evidence", FAILING_SCENARIO);
}

/* One authcheck run over a mix of scenarios with the wrapper client, then
 * one Chromium start that renders its report. */
static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *mut = getenv("AUTHCHECK_MUT_CLIENT");
    const char *tmp = getenv("AUTHCHECK_TMP");
    const char *chromium = find_chromium();
    struct fixture *f = calloc(1, sizeof(*f));
    char script[4096], path[700], query[128];
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
    /* The client under test: the mutation build, broken in one scenario;
     * a few families are enough for every kind of element. */
    snprintf(script, sizeof(script),
             "rm -rf '%s' && '%s/authcheck' run -q -j 2 --out '%s' "
             "--scenario 'core/*' --scenario 'discovery/*' "
             "--scenario 'tokens/refresh-*' --client-cmd "
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
    pick_target(f);
    snprintf(query, sizeof query, "?failing=1&open=all#%s", f->target);
    f->dom = dump_dom(f, query);
    if (getenv("AUTHCHECK_SCREENSHOT") != NULL) {
        snprintf(script, sizeof(script),
                 "'%s' --headless --no-sandbox --disable-gpu "
                 "--no-first-run --hide-scrollbars --user-data-dir='%s' "
                 "--window-size=1280,1600 --screenshot='%s/report.png' "
                 "'file://%s/report.html' >/dev/null 2>&1",
                 f->chromium, f->profile, f->out, f->out);
        if (sh(script, 90000) == 0) {
            fprintf(stderr, "screenshot: %s/report.png\n", f->out);
        }
    }
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    json_decref(f->results);
    free(f->dom);
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

/* The DOM of report.html (with `query` appended) after its script ran;
 * the virtual time budget lets the asynchronous decoding of the
 * transcripts finish before the dump. */
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
             "--user-data-dir='%s' --virtual-time-budget=10000 "
             "--dump-dom 'file://%s/report.html%s' "
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

/* The start tag of the element with this id, or NULL. */
static const char *by_id(const char *dom, const char *id)
{
    char needle[128];
    const char *p;

    snprintf(needle, sizeof needle, " id=\"%s\"", id);
    p = strstr(dom, needle);
    while (p != NULL && p > dom && *p != '<') {
        p--;
    }
    return p;
}

static json_int_t summary(const json_t *results, const char *key)
{
    return json_integer_value(
        json_object_get(json_object_get(results, "summary"), key));
}

/* Sum the integer attribute `attr="N"` over the start tags of `<tag`
 * with class `cls` and `filter` in the tag. */
static size_t sum_attr(const char *dom, const char *tag, const char *cls,
                       const char *filter, const char *attr)
{
    char open[32], klass[64], want[64], buf[4096];
    size_t sum = 0;

    snprintf(open, sizeof(open), "<%s ", tag);
    snprintf(klass, sizeof(klass), "class=\"%s\"", cls);
    snprintf(want, sizeof(want), " %s=\"", attr);
    for (const char *p = strstr(dom, open); p; p = strstr(p + 1, open)) {
        const char *v;
        start_tag(p, buf, sizeof(buf));
        if (strstr(buf, klass) == NULL || strstr(buf, filter) == NULL ||
            (v = strstr(buf, want)) == NULL) {
            continue;
        }
        sum += strtoul(v + strlen(want), NULL, 10);
    }
    return sum;
}

static void test_check_counts_match_results(void **state)
{
    struct fixture *f = *state;
    static const char *const statuses[] = {"SUCCESS", "FAILURE", "WARNING",
                                           "SKIPPED", "INFO"};
    char attr[64];

    SKIP_WITHOUT_CHROMIUM(f);
    assert_int_cmp(results_count(f->results, "FAILURE"), >, 0);
    assert_int_cmp(results_count(f->results, "SUCCESS"), >, 0);
    for (size_t i = 0; i < sizeof(statuses) / sizeof(*statuses); i++) {
        snprintf(attr, sizeof(attr), "data-status=\"%s\"", statuses[i]);
        assert_int_equal(count_tags(f->dom, "tr", "check", attr, -1),
                         results_count(f->results, statuses[i]));
    }
    assert_int_equal(count_tags(f->dom, "section", "scenario", "", -1),
                     (size_t)summary(f->results, "scenarios"));
    assert_int_equal(count_tags(f->dom, "tr", "matrix-row", "", -1),
                     (size_t)summary(f->results, "scenarios"));
}

/* The root causes: the failed scenario's first failure (the run has one
 * failed scenario), and the counts add up to results.json. */
static void test_root_causes(void **state)
{
    struct fixture *f = *state;
    const char *sec, *end, *card;
    char tag[4096];

    SKIP_WITHOUT_CHROMIUM(f);
    sec = strstr(f->dom, "<section id=\"causes\">");
    assert_non_null(sec);
    assert_ptr_cmp(sec, <, strstr(f->dom, "<section id=\"overview\">"));
    end = strstr(sec, "</section>");
    assert_non_null(end);
    card = strstr(sec, "<article class=\"cause\"");
    assert_non_null(card);
    assert_ptr_cmp(card, <, end);
    start_tag(card, tag, sizeof tag);
    assert_non_null(strstr(tag, "data-status=\"FAILURE\""));
    /* no-pkce: the first failure is in the authorization request */
    assert_non_null(strstr(tag, "data-check=\"pkce-code-challenge-sent\""));
    assert_non_null(strstr(tag, "data-stage=\"authorization\""));
    assert_non_null(strstr(card, FAILING_SCENARIO));
    assert_ptr_cmp(strstr(card, FAILING_SCENARIO), <, end);
    /* every failed scenario under exactly one cause; every failing check
     * counted once */
    assert_int_equal(sum_attr(f->dom, "article", "cause",
                              "data-status=\"FAILURE\"", "data-scenarios"),
                     (size_t)summary(f->results, "failed"));
    assert_int_equal(sum_attr(f->dom, "article", "cause",
                              "data-status=\"FAILURE\"", "data-checks"),
                     results_count(f->results, "FAILURE"));
}

/* The followed evidence link: the exchange was rendered from the
 * compressed transcripts, with its request and response open, and the
 * cause and the check row link to it. */
static void test_evidence_link_reaches_exchange(void **state)
{
    struct fixture *f = *state;
    const char *ex, *close;
    char href[80], tag[1024];

    SKIP_WITHOUT_CHROMIUM(f);
    ex = by_id(f->dom, f->target);
    if (ex == NULL) {
        fail_msg("exchange #%s not rendered", f->target);
    }
    start_tag(ex, tag, sizeof tag);
    assert_non_null(strstr(tag, "class=\"exchange\""));
    close = strstr(ex, "</details><details class=\"response\" open=\"\">");
    assert_non_null(strstr(ex, "<details class=\"request\" open=\"\">"));
    assert_non_null(close);
    assert_null(strstr(f->dom, "<div class=\"ex-list\">The exchanges cannot"));
    snprintf(href, sizeof href, "href=\"#%s\"", f->target);
    /* the failed check's row links to it */
    assert_non_null(strstr(f->dom, href));
    /* the link opened this exchange only; the others stay folded */
    assert_non_null(strstr(f->dom, "<details class=\"request\"><summary>"));
}

/* ?open=all rendered every scenario's transcript: one exchange element
 * per exchange of results.json, one diagram per non-empty transcript. */
static void test_every_exchange_rendered(void **state)
{
    struct fixture *f = *state;
    const json_t *sc;
    size_t i, exchanges = 0, diagrams = 0;

    SKIP_WITHOUT_CHROMIUM(f);
    json_array_foreach(json_object_get(f->results, "scenarios"), i, sc)
    {
        size_t n = json_array_size(json_object_get(sc, "transcript"));
        exchanges += n;
        diagrams += n > 0;
    }
    assert_int_cmp(exchanges, >, 0);
    assert_int_equal(count_tags(f->dom, "div", "exchange", "", -1), exchanges);
    assert_int_equal(count_tags(f->dom, "svg", "seq", "", -1), diagrams);
    assert_int_equal(count_tags(f->dom, "details", "transcript", "open", -1),
                     diagrams);
}

/* The point under test first: when the model marks key checks, each
 * scenario's first check row is a key one and the key verdict line comes
 * before the table. */
static void test_key_check_first(void **state)
{
    struct fixture *f = *state;
    const json_t *sc, *c;
    size_t i, j, keyed = 0;

    SKIP_WITHOUT_CHROMIUM(f);
    json_array_foreach(json_object_get(f->results, "scenarios"), i, sc)
    {
        char id[32], tag[2048];
        const char *sec, *row;
        bool key = false;
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            key = key || json_is_true(json_object_get(c, "key"));
        }
        snprintf(id, sizeof id, "s%zu", i + 1);
        sec = by_id(f->dom, id);
        assert_non_null(sec);
        row = strstr(sec, "<tr class=\"check\"");
        assert_non_null(row);
        start_tag(row, tag, sizeof tag);
        if (!key) {
            assert_null(strstr(tag, "data-key"));
            continue;
        }
        keyed++;
        assert_non_null(strstr(tag, "data-key=\"true\""));
        assert_ptr_cmp(strstr(sec, "<p class=\"key-verdict\">"), <, row);
    }
    if (keyed == 0) {
        fprintf(stderr, "no key checks in this results.json: the key-first "
                        "order checked as absent\n");
    }
}

static void test_failing_filter_hides_passing(void **state)
{
    struct fixture *f = *state;
    size_t passed, failed;

    SKIP_WITHOUT_CHROMIUM(f);
    passed =
        count_tags(f->dom, "section", "scenario", "data-status=\"passed\"", -1);
    failed =
        count_tags(f->dom, "section", "scenario", "data-status=\"failed\"", -1);
    assert_int_cmp(failed, >=, 1);
    assert_int_cmp(passed, >=, 1);
    assert_int_equal(failed, (size_t)summary(f->results, "failed"));
    /* every passed scenario hidden, every failed one visible */
    assert_int_equal(
        count_tags(f->dom, "section", "scenario", "data-status=\"passed\"", 1),
        passed);
    assert_int_equal(
        count_tags(f->dom, "section", "scenario", "data-status=\"failed\"", 0),
        failed);
    assert_non_null(strstr(f->dom, FAILING_SCENARIO));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_counts_match_results),
        cmocka_unit_test(test_root_causes),
        cmocka_unit_test(test_evidence_link_reaches_exchange),
        cmocka_unit_test(test_every_exchange_rendered),
        cmocka_unit_test(test_key_check_first),
        cmocka_unit_test(test_failing_filter_hides_passing),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
