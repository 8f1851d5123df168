/* junit.xml: the run as JUnit XML for CI systems (Jenkins, GitLab, GitHub
 * test reporters), valid against the common Jenkins/Ant schema
 * (tests/data/reports/junit.xsd).
 *
 * <testsuites> holds one <testsuite> per scenario (name = scenario id) and
 * one <testcase> per check (classname = scenario id, name = check id):
 *   FAILURE           -> <failure message=... type="MUST">details</failure>
 *   FAILURE expected  -> <skipped message="expected failure (baseline) ..."/>
 *   WARNING, INFO     -> a passing testcase whose <system-out> says so (a
 *                        SHOULD does not fail a build; CI still shows it)
 *   SKIPPED           -> <skipped message=.../>
 *   scenario "error"  -> an extra testcase "harness-error" with <error>;
 *   scenario "not_applicable" -> every testcase (or one named
 *                        "not-applicable") <skipped message="not
 *                        applicable: <reason>"/>.
 * Text goes through RP_ESC_XML_TEXT / RP_ESC_XML_ATTR (docs/REPORTS.md). */
#include "reports/reports_int.h"

#include <string.h>

#include "common/json.h"

struct totals {
    size_t tests, failures, errors, skipped;
};

static void suite_totals(const json_t *sc, struct totals *t)
{
    struct rp_counts c;
    const char *status = ac_json_str(sc, "status");

    rp_count_checks(sc, &c);
    t->tests = c.total;
    t->failures = c.failure;
    t->skipped = c.skipped + c.expected;
    t->errors = 0;
    /* Not applicable: every check (or one placeholder) skipped. */
    if (status != NULL && strcmp(status, "not_applicable") == 0) {
        t->tests = c.total > 0 ? c.total : 1;
        t->failures = 0;
        t->skipped = t->tests;
        return;
    }
    if (status != NULL && strcmp(status, "error") == 0) {
        t->tests++;
        t->errors = 1;
    }
}

static void put_seconds(struct rp_out *o, const json_t *obj)
{
    json_int_t ms = rp_int(obj, "duration_ms");

    rp_printf(o, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* "#4 GET http://... -> 302" for each evidence exchange. */
static void put_evidence(struct rp_out *o, const json_t *sc, const json_t *c)
{
    const json_t *seq;
    size_t i;

    json_array_foreach(json_object_get(c, "evidence"), i, seq)
    {
        const json_t *ex = rp_exchange(sc, json_integer_value(seq));
        rp_printf(o, "\nevidence #%lld: ", (long long)json_integer_value(seq));
        if (ex == NULL) {
            rp_puts(o, "(not in the transcript)");
            continue;
        }
        rp_put_esc(o, ac_json_str(ex, "method"), RP_ESC_XML_TEXT);
        rp_puts(o, " ");
        rp_put_esc(o, ac_json_str(ex, "url"), RP_ESC_XML_TEXT);
        rp_printf(o, " -> %lld",
                  (long long)rp_int(json_object_get(ex, "response"), "status"));
    }
}

/* The body of <failure> / <system-out>: what, why, where in the spec. */
static void put_details(struct rp_out *o, const json_t *sc, const json_t *c)
{
    rp_put_esc(o, ac_json_str(c, "status"), RP_ESC_XML_TEXT);
    rp_puts(o, " (");
    rp_put_esc(o, ac_json_str(c, "level"), RP_ESC_XML_TEXT);
    rp_puts(o, "): ");
    rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_XML_TEXT);
    rp_puts(o, "\nrequirement: ");
    rp_put_esc(o, ac_json_str(c, "summary"), RP_ESC_XML_TEXT);
    rp_puts(o, "\nspec: ");
    rp_put_esc(o, ac_json_str(c, "spec"), RP_ESC_XML_TEXT);
    rp_puts(o, " ");
    rp_put_esc(o, ac_json_str(c, "spec_url"), RP_ESC_XML_TEXT);
    put_evidence(o, sc, c);
    rp_puts(o, "\n");
}

/* A testcase of a not_applicable scenario: skipped, with the reason. */
static void put_na_testcase(struct rp_out *o, const json_t *sc,
                            const char *name)
{
    rp_puts(o, "    <testcase classname=\"");
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_XML_ATTR);
    rp_puts(o, "\" name=\"");
    rp_put_esc(o, name, RP_ESC_XML_ATTR);
    rp_puts(o, "\">\n      <skipped message=\"not applicable: ");
    rp_put_esc(o, rp_na_reason(sc), RP_ESC_XML_ATTR);
    rp_puts(o, "\"/>\n    </testcase>\n");
}

static void put_testcase(struct rp_out *o, const json_t *sc, const json_t *c)
{
    const char *st = ac_json_str(c, "status");

    if (rp_status_is(sc, "not_applicable")) {
        put_na_testcase(o, sc, ac_json_str(c, "id"));
        return;
    }
    rp_puts(o, "    <testcase classname=\"");
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_XML_ATTR);
    rp_puts(o, "\" name=\"");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_XML_ATTR);
    if (st == NULL) {
        st = "";
    }
    if (strcmp(st, "SUCCESS") == 0) {
        rp_puts(o, "\"/>\n");
        return;
    }
    rp_puts(o, "\">\n");
    if (rp_is_expected(c)) {
        rp_puts(o, "      <skipped message=\"expected failure (baseline): ");
        rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_XML_ATTR);
        rp_puts(o, "\"/>\n      <system-out>");
        put_details(o, sc, c);
        rp_puts(o, "</system-out>\n");
    } else if (strcmp(st, "FAILURE") == 0) {
        rp_puts(o, "      <failure message=\"");
        rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_XML_ATTR);
        rp_puts(o, "\" type=\"");
        rp_put_esc(o, ac_json_str(c, "level"), RP_ESC_XML_ATTR);
        rp_puts(o, "\">");
        put_details(o, sc, c);
        rp_puts(o, "</failure>\n");
    } else if (strcmp(st, "SKIPPED") == 0) {
        rp_puts(o, "      <skipped message=\"");
        rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_XML_ATTR);
        rp_puts(o, "\"/>\n");
    } else {
        /* WARNING and INFO pass, with the finding visible in CI. */
        rp_puts(o, "      <system-out>");
        put_details(o, sc, c);
        rp_puts(o, "</system-out>\n");
    }
    rp_puts(o, "    </testcase>\n");
}

/* The client's runs, as the suite's <system-out>. */
static void put_runs(struct rp_out *o, const json_t *sc)
{
    const json_t *run;
    size_t i;

    if (json_array_size(json_object_get(sc, "runs")) == 0) {
        return;
    }
    rp_puts(o, "    <system-out>");
    json_array_foreach(json_object_get(sc, "runs"), i, run)
    {
        rp_printf(o, "client run %zu: exit %lld, signal %lld%s, %lld ms\n",
                  i + 1, (long long)rp_int(run, "exit_code"),
                  (long long)rp_int(run, "signal"),
                  json_is_true(json_object_get(run, "timed_out"))
                      ? ", timed out"
                      : "",
                  (long long)rp_int(run, "duration_ms"));
        rp_put_esc(o, ac_json_str(run, "output"), RP_ESC_XML_TEXT);
        rp_puts(o, "\n");
    }
    rp_puts(o, "</system-out>\n");
}

static void put_properties(struct rp_out *o, const json_t *sc, char *fam,
                           size_t n)
{
    const json_t *rev;
    size_t i;

    rp_puts(o, "    <properties>\n      <property name=\"title\" value=\"");
    rp_put_esc(o, ac_json_str(sc, "title"), RP_ESC_XML_ATTR);
    rp_puts(o, "\"/>\n      <property name=\"family\" value=\"");
    rp_put_esc(o, rp_family(sc, fam, n), RP_ESC_XML_ATTR);
    rp_puts(o, "\"/>\n");
    json_array_foreach(json_object_get(sc, "spec"), i, rev)
    {
        rp_puts(o, "      <property name=\"spec\" value=\"");
        rp_put_esc(o, json_string_value(rev), RP_ESC_XML_ATTR);
        rp_puts(o, "\"/>\n");
    }
    rp_puts(o, "    </properties>\n");
}

static void put_suite(struct rp_out *o, const json_t *model, const json_t *sc)
{
    struct totals t;
    const json_t *c;
    const char *status = ac_json_str(sc, "status");
    char fam[128];
    size_t i;

    suite_totals(sc, &t);
    rp_puts(o, "  <testsuite name=\"");
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_XML_ATTR);
    rp_printf(o,
              "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
              "skipped=\"%zu\" time=\"",
              t.tests, t.failures, t.errors, t.skipped);
    put_seconds(o, sc);
    rp_puts(o, "\"");
    if (ac_json_str(model, "started_at") != NULL) {
        rp_puts(o, " timestamp=\"");
        rp_put_esc(o, ac_json_str(model, "started_at"), RP_ESC_XML_ATTR);
        rp_puts(o, "\"");
    }
    rp_puts(o, ">\n");
    put_properties(o, sc, fam, sizeof fam);
    if (status != NULL && strcmp(status, "error") == 0) {
        rp_puts(o, "    <testcase classname=\"");
        rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_XML_ATTR);
        rp_puts(o, "\" name=\"harness-error\">\n      <error message=\"");
        rp_put_esc(o, ac_json_str(sc, "error"), RP_ESC_XML_ATTR);
        rp_puts(o, "\" type=\"harness\">");
        rp_put_esc(o, ac_json_str(sc, "error"), RP_ESC_XML_TEXT);
        rp_puts(o, "</error>\n    </testcase>\n");
    }
    json_array_foreach(json_object_get(sc, "checks"), i, c)
    {
        put_testcase(o, sc, c);
    }
    if (rp_status_is(sc, "not_applicable") &&
        json_array_size(json_object_get(sc, "checks")) == 0) {
        put_na_testcase(o, sc, "not-applicable");
    }
    put_runs(o, sc);
    rp_puts(o, "  </testsuite>\n");
}

bool rp_write_junit(const json_t *model, const char *out_dir,
                    struct ac_err *err)
{
    struct rp_out o;
    struct totals all = {0}, t;
    const json_t *sc;
    size_t i;

    rp_out_init(&o);
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        suite_totals(sc, &t);
        all.tests += t.tests;
        all.failures += t.failures;
        all.errors += t.errors;
        all.skipped += t.skipped;
    }
    rp_puts(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    rp_printf(&o,
              "<testsuites name=\"authcheck\" tests=\"%zu\" failures=\"%zu\" "
              "errors=\"%zu\" skipped=\"%zu\" time=\"",
              all.tests, all.failures, all.errors, all.skipped);
    put_seconds(&o, model);
    rp_puts(&o, "\">\n");
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        put_suite(&o, model, sc);
    }
    rp_puts(&o, "</testsuites>\n");
    return rp_out_finish(&o, out_dir, "junit.xml", err);
}
