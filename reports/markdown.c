/* report.md: the run in GitHub-flavoured Markdown, short enough for a CI
 * job summary ($GITHUB_STEP_SUMMARY): the verdict, one summary row per
 * scenario family, then the failing checks, the warnings, expected
 * failures, harness errors and baseline problems, each check with its
 * scenario, id, level, spec rule link and one-line reason, and last the
 * list of scenarios folded in a <details>.
 *
 * Every value from the model goes through RP_ESC_MD (never inside a code
 * span, where a backtick or pipe could not be escaped); links are written
 * only for http(s) URLs, with the characters that would end the link or
 * the table cell percent-encoded. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* "[label](url)" for an http(s) URL, else the label as text. */
static void put_link(struct rp_out *o, const char *label, const char *url)
{
    if (!rp_is_http_url(url)) {
        rp_put_esc(o, label, RP_ESC_MD);
        return;
    }
    rp_puts(o, "[");
    rp_put_esc(o, label, RP_ESC_MD);
    rp_puts(o, "](");
    for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7F || strchr("()<>|`\\\"'[]", *p) != NULL) {
            rp_printf(o, "%%%02X", *p);
        } else {
            rp_printf(o, "%c", *p);
        }
    }
    rp_puts(o, ")");
}

static void put_spec_link(struct rp_out *o, const json_t *c)
{
    char *label =
        rp_spec_label(ac_json_str(c, "spec"), ac_json_str(c, "spec_url"));

    put_link(o, label != NULL ? label : "spec", ac_json_str(c, "spec_url"));
    free(label);
}

/* --- the family summary --------------------------------------------------
 */

struct fam_row {
    char name[128];
    size_t scenarios, passed, failed, errors;
    struct rp_counts checks;
};

/* Find or append the row of `name` (rows in order of first appearance). */
static struct fam_row *fam_row(struct fam_row *rows, size_t *n,
                               const char *name)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            return &rows[i];
        }
    }
    memset(&rows[*n], 0, sizeof rows[*n]);
    snprintf(rows[*n].name, sizeof rows[*n].name, "%s", name);
    return &rows[(*n)++];
}

static void put_family_row(struct rp_out *o, const struct fam_row *r)
{
    rp_puts(o, "| ");
    rp_put_esc(o, r->name, RP_ESC_MD);
    rp_printf(o, " | %zu | %zu | %zu | %zu | %zu | %zu | %zu |\n", r->scenarios,
              r->passed, r->failed, r->errors, r->checks.success,
              r->checks.failure, r->checks.warning);
}

static void put_families(struct rp_out *o, const json_t *model)
{
    const json_t *scs = json_object_get(model, "scenarios");
    size_t n = 0, nsc = json_array_size(scs), i;
    struct fam_row *rows = calloc(nsc + 1, sizeof *rows), total = {0};
    const json_t *sc;

    if (rows == NULL) {
        AC_ERR(&o->err, AC_ERR_NOMEM, "out of memory");
        o->failed = true;
        return;
    }
    snprintf(total.name, sizeof total.name, "all");
    json_array_foreach(scs, i, sc)
    {
        char buf[128];
        struct fam_row *r = fam_row(rows, &n, rp_family(sc, buf, sizeof buf));
        struct rp_counts c;
        rp_count_checks(sc, &c);
        for (struct fam_row *t = r; t != NULL; t = t == r ? &total : NULL) {
            t->scenarios++;
            t->passed += rp_status_is(sc, "passed");
            t->failed += rp_status_is(sc, "failed");
            t->errors += rp_status_is(sc, "error");
            rp_add_counts(&t->checks, &c);
        }
    }
    rp_puts(o, "## Summary by family\n\n"
               "| Family | Scenarios | Passed | Failed | Errors "
               "| Checks passed | Checks failed | Warnings |\n"
               "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < n; i++) {
        put_family_row(o, &rows[i]);
    }
    if (n > 1) {
        put_family_row(o, &total);
    }
    rp_puts(o, "\n");
    free(rows);
}

/* --- check lists ---------------------------------------------------------
 */

enum pick { PICK_FAILURE, PICK_WARNING, PICK_EXPECTED };

static bool picked(const json_t *c, enum pick which)
{
    const char *st = ac_json_str(c, "status");

    if (st == NULL) {
        return false;
    }
    switch (which) {
    case PICK_FAILURE:
        return strcmp(st, "FAILURE") == 0 && !rp_is_expected(c);
    case PICK_WARNING:
        return strcmp(st, "WARNING") == 0;
    case PICK_EXPECTED:
        return rp_is_expected(c);
    }
    return false;
}

static void put_check_row(struct rp_out *o, const json_t *sc, const json_t *c)
{
    rp_puts(o, "| ");
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_MD);
    rp_puts(o, " | ");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_MD);
    rp_puts(o, " | ");
    rp_put_esc(o, ac_json_str(c, "level"), RP_ESC_MD);
    rp_puts(o, " | ");
    put_spec_link(o, c);
    rp_puts(o, " | ");
    rp_put_esc_cut(o, ac_json_str(c, "message"), 300, RP_ESC_MD);
    rp_puts(o, " |\n");
}

static void put_checks(struct rp_out *o, const json_t *model, enum pick which,
                       const char *heading)
{
    const json_t *sc, *c;
    size_t i, j, n = 0;

    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            if (!picked(c, which)) {
                continue;
            }
            if (n++ == 0) {
                rp_printf(o,
                          "## %s\n\n| Scenario | Check | Level | Spec rule "
                          "| Reason |\n|---|---|---|---|---|\n",
                          heading);
            }
            put_check_row(o, sc, c);
        }
    }
    if (n > 0) {
        rp_puts(o, "\n");
    }
}

/* One table of the scenarios with this status: id and the model member
 * `why` (cut to 300 characters); nothing when there are none. */
static void put_status_table(struct rp_out *o, const json_t *model,
                             const char *status, const char *intro,
                             const char *why)
{
    const json_t *sc;
    size_t i, n = 0;

    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        if (!rp_status_is(sc, status)) {
            continue;
        }
        if (n++ == 0) {
            rp_puts(o, intro);
        }
        rp_puts(o, "| ");
        rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_MD);
        rp_puts(o, " | ");
        rp_put_esc_cut(o, ac_json_str(sc, why), 300, RP_ESC_MD);
        rp_puts(o, " |\n");
    }
    if (n > 0) {
        rp_puts(o, "\n");
    }
}

static void put_errors(struct rp_out *o, const json_t *model)
{
    put_status_table(o, model, "error",
                     "## Harness errors\n\nThese scenarios could not be "
                     "run; they say nothing about the client.\n\n"
                     "| Scenario | Error |\n|---|---|\n",
                     "error");
}

/* Pending scenarios: not run, every check SKIPPED; listed with the reason
 * so a reader knows what the library still cannot exercise. */
static void put_skipped(struct rp_out *o, const json_t *model)
{
    put_status_table(o, model, "skipped",
                     "## Skipped scenarios\n\nThese scenarios are pending "
                     "(a feature they need is missing); they were not "
                     "run.\n\n| Scenario | Why |\n|---|---|\n",
                     "skip_reason");
}

/* Baseline entries that no longer match (rp_baseline_apply). */
static void put_baseline(struct rp_out *o, const json_t *model)
{
    const json_t *bl = json_object_get(model, "baseline");
    const json_t *e;
    size_t i;

    if (json_array_size(json_object_get(bl, "stale")) == 0) {
        return;
    }
    rp_puts(o, "## Stale baseline entries\n\nRemove these from the "
               "expected-failures file.\n\n| Entry | Line | Why |\n"
               "|---|---:|---|\n");
    json_array_foreach(json_object_get(bl, "stale"), i, e)
    {
        rp_puts(o, "| ");
        rp_put_esc(o, ac_json_str(e, "entry"), RP_ESC_MD);
        rp_printf(o, " | %lld | ", (long long)rp_int(e, "line"));
        rp_put_esc(o, ac_json_str(e, "reason"), RP_ESC_MD);
        rp_puts(o, " |\n");
    }
    rp_puts(o, "\n");
}

static void put_scenario_list(struct rp_out *o, const json_t *model)
{
    const json_t *sc;
    size_t i;

    rp_puts(o, "<details><summary>All scenarios</summary>\n\n"
               "| Scenario | Status | Passed | Failed | Warnings | Skipped "
               "|\n|---|---|---:|---:|---:|---:|\n");
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        struct rp_counts c;
        rp_count_checks(sc, &c);
        rp_puts(o, "| ");
        rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_MD);
        rp_puts(o, " | ");
        rp_put_esc(o, ac_json_str(sc, "status"), RP_ESC_MD);
        rp_printf(o, " | %zu | %zu | %zu | %zu |\n", c.success, c.failure,
                  c.warning, c.skipped + c.expected);
    }
    rp_puts(o, "\n</details>\n");
}

static void put_header(struct rp_out *o, const json_t *model)
{
    struct rp_totals t;

    rp_count_run(model, &t);
    rp_puts(o, "# authcheck conformance report\n\n");
    rp_printf(o,
              "**%s**: %zu of %zu scenarios failed, %zu with harness "
              "errors; %zu failing checks, %zu warnings",
              t.fail ? "FAIL" : "PASS", t.failed, t.scenarios, t.errors,
              t.checks.failure, t.checks.warning);
    if (t.checks.expected > 0) {
        rp_printf(o, ", %zu expected failures (baseline)", t.checks.expected);
    }
    if (t.skipped > 0) {
        rp_printf(o, ", %zu scenarios skipped (pending)", t.skipped);
    }
    rp_puts(o, ".\n\nClient: ");
    rp_put_esc(o, ac_json_str(model, "client_command"), RP_ESC_MD);
    rp_puts(o, " · spec ");
    rp_put_esc(o, ac_json_str(model, "spec"), RP_ESC_MD);
    rp_puts(o, " · started ");
    rp_put_esc(o, ac_json_str(model, "started_at"), RP_ESC_MD);
    rp_printf(o, " · %lld ms · authcheck ",
              (long long)rp_int(model, "duration_ms"));
    rp_put_esc(o, ac_json_str(model, "version"), RP_ESC_MD);
    rp_puts(o, "\n\n");
}

bool rp_write_markdown(const json_t *model, const char *out_dir,
                       struct ac_err *err)
{
    struct rp_out o;

    rp_out_init(&o);
    put_header(&o, model);
    put_families(&o, model);
    put_checks(&o, model, PICK_FAILURE, "Failing checks");
    put_checks(&o, model, PICK_WARNING, "Warnings");
    put_checks(&o, model, PICK_EXPECTED, "Expected failures (baseline)");
    put_errors(&o, model);
    put_skipped(&o, model);
    put_baseline(&o, model);
    put_scenario_list(&o, model);
    return rp_out_finish(&o, out_dir, "report.md", err);
}
