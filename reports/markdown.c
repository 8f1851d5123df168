/* report.md: the run in GitHub-flavoured Markdown, short enough for a CI
 * job summary ($GITHUB_STEP_SUMMARY): the verdict and mode, the root
 * causes (causes.h) with their scenarios and downstream failures, one
 * summary row per scenario family, warnings and expected failures grouped
 * by check and message, harness errors, not-applicable and skipped
 * scenarios, baseline problems, then folded: every failing check with its
 * evidence exchanges as one line each, and every scenario with its key
 * checks' verdicts.
 *
 * Every value from the model goes through RP_ESC_MD (never inside a code
 * span, where a backtick or pipe could not be escaped); links are written
 * only for http(s) URLs, with the characters that would end the link or
 * the table cell percent-encoded. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "reports/causes.h"

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
    size_t scenarios, passed, failed, errors, na;
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
    rp_printf(o, " | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu |\n",
              r->scenarios, r->passed, r->failed, r->errors, r->na,
              r->checks.success, r->checks.failure, r->checks.warning);
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
        bool na = rp_status_is(sc, "not_applicable");
        rp_count_checks(sc, &c);
        for (struct fam_row *t = r; t != NULL; t = t == r ? &total : NULL) {
            t->scenarios++;
            t->passed += rp_status_is(sc, "passed");
            t->failed += rp_status_is(sc, "failed");
            t->errors += rp_status_is(sc, "error");
            t->na += na;
            if (!na) {
                rp_add_counts(&t->checks, &c);
            }
        }
    }
    rp_puts(o, "## Summary by family\n\n"
               "| Family | Scenarios | Passed | Failed | Errors "
               "| Not applicable | Checks passed | Checks failed | Warnings "
               "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < n; i++) {
        put_family_row(o, &rows[i]);
    }
    if (n > 1) {
        put_family_row(o, &total);
    }
    rp_puts(o, "\n");
    free(rows);
}

/* --- root causes ----------------------------------------------------------
 */

/* "#4 GET /authorize -> 302; #5 ..." for the check's evidence. */
static void put_evidence(struct rp_out *o, const json_t *sc, const json_t *c)
{
    const json_t *seq;
    size_t i;

    json_array_foreach(json_object_get(c, "evidence"), i, seq)
    {
        if (i > 0) {
            rp_puts(o, "; ");
        }
        rp_put_exchange_line(o, sc, json_integer_value(seq), RP_ESC_MD);
    }
}

static void put_cause(struct rp_out *o, const json_t *model, size_t n,
                      const struct rp_cause *k)
{
    const json_t *scs = json_object_get(model, "scenarios");
    const json_t *sc0 = json_array_get(scs, k->scenario[0]);
    const json_t *c0 =
        json_array_get(json_object_get(sc0, "checks"), k->check_at[0]);
    size_t i;

    rp_printf(o, "### %zu. ", n);
    rp_put_esc(o, k->check, RP_ESC_MD);
    rp_printf(o, " (%s, ", rp_stage_name(k->stage));
    rp_put_esc(o, k->level, RP_ESC_MD);
    rp_printf(o, "): %zu scenario%s, %zu failing check%s\n\n", k->nscenarios,
              k->nscenarios == 1 ? "" : "s", k->nchecks,
              k->nchecks == 1 ? "" : "s");
    rp_puts(o, "What was seen: ");
    rp_put_esc_cut(o, k->message, 300, RP_ESC_MD);
    rp_puts(o, "  \nRequirement: ");
    rp_put_esc(o, ac_json_str(c0, "summary"), RP_ESC_MD);
    rp_puts(o, " (");
    put_spec_link(o, c0);
    rp_puts(o, ")  \n");
    if (json_array_size(json_object_get(c0, "evidence")) > 0) {
        rp_puts(o, "Evidence in ");
        rp_put_esc(o, ac_json_str(sc0, "id"), RP_ESC_MD);
        rp_puts(o, ": ");
        put_evidence(o, sc0, c0);
        rp_puts(o, "  \n");
    }
    rp_puts(o, "Scenarios: ");
    for (i = 0; i < k->nscenarios; i++) {
        rp_puts(o, i > 0 ? ", " : "");
        rp_put_esc(o, ac_json_str(json_array_get(scs, k->scenario[i]), "id"),
                   RP_ESC_MD);
    }
    for (i = 0; i < k->ndown; i++) {
        rp_puts(o, i > 0 ? ", " : "  \nThen also failed (downstream): ");
        rp_put_esc(o, k->down[i].check, RP_ESC_MD);
        rp_printf(o, " (%zu)", k->down[i].count);
    }
    rp_puts(o, "\n\n");
}

static void put_causes(struct rp_out *o, const json_t *model,
                       const struct rp_causes *cs)
{
    if (cs->n == 0) {
        return;
    }
    rp_printf(o,
              "## Root causes\n\n%zu failed scenario%s, %zu cause%s. Each "
              "failed scenario is listed under its first failure in flow "
              "order (discovery, registration, authorization, token, MCP "
              "use, lifecycle, outcome); its other failures are listed as "
              "downstream, most of them consequences of the first.\n\n",
              cs->nscenarios, cs->nscenarios == 1 ? "" : "s", cs->n,
              cs->n == 1 ? "" : "s");
    for (size_t i = 0; i < cs->n; i++) {
        put_cause(o, model, i + 1, &cs->v[i]);
    }
}

/* Warnings or expected failures, one row per check id and message. */
static void put_grouped(struct rp_out *o, const json_t *model,
                        const struct rp_causes *cs, const char *heading)
{
    const json_t *scs = json_object_get(model, "scenarios");

    if (cs->n == 0) {
        return;
    }
    rp_printf(o,
              "## %s\n\n| Check | Level | Scenarios | Spec rule | What was "
              "seen (first scenario) |\n|---|---|---:|---|---|\n",
              heading);
    for (size_t i = 0; i < cs->n; i++) {
        const struct rp_cause *k = &cs->v[i];
        const json_t *c0 = json_array_get(
            json_object_get(json_array_get(scs, k->scenario[0]), "checks"),
            k->check_at[0]);
        rp_puts(o, "| ");
        rp_put_esc(o, k->check, RP_ESC_MD);
        rp_puts(o, " | ");
        rp_put_esc(o, k->level, RP_ESC_MD);
        rp_printf(o, " | %zu | ", k->nscenarios);
        put_spec_link(o, c0);
        rp_puts(o, " | ");
        rp_put_esc_cut(o, k->message, 300, RP_ESC_MD);
        rp_puts(o, " |\n");
    }
    rp_puts(o, "\n");
}

/* --- every failing check, folded -------------------------------------------
 */

static void put_check_row(struct rp_out *o, const json_t *sc, const json_t *c)
{
    rp_puts(o, "| ");
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_MD);
    rp_puts(o, " | ");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_MD);
    rp_puts(o, rp_is_key(c) ? " (key)" : "");
    rp_puts(o, " | ");
    rp_put_esc(o, ac_json_str(c, "level"), RP_ESC_MD);
    rp_puts(o, " | ");
    put_spec_link(o, c);
    rp_puts(o, " | ");
    rp_put_esc_cut(o, ac_json_str(c, "message"), 300, RP_ESC_MD);
    rp_puts(o, " | ");
    put_evidence(o, sc, c);
    rp_puts(o, " |\n");
}

static void put_failing(struct rp_out *o, const json_t *model, size_t n)
{
    const json_t *sc, *c;
    size_t i, j;

    if (n == 0) {
        return;
    }
    rp_printf(o,
              "<details><summary>Every failing check (%zu)</summary>\n\n"
              "| Scenario | Check | Level | Spec rule | Reason | Evidence "
              "|\n|---|---|---|---|---|---|\n",
              n);
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            const char *st = ac_json_str(c, "status");
            if (rp_status_is(sc, "failed") && st != NULL &&
                strcmp(st, "FAILURE") == 0 && !rp_is_expected(c)) {
                put_check_row(o, sc, c);
            }
        }
    }
    rp_puts(o, "\n</details>\n\n");
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

/* Scenarios for a feature the client does not claim: not judged. */
static void put_not_applicable(struct rp_out *o, const json_t *model)
{
    const json_t *sc;
    size_t i, n = 0;

    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        if (!rp_status_is(sc, "not_applicable")) {
            continue;
        }
        if (n++ == 0) {
            rp_puts(o, "## Not applicable\n\nThese scenarios test a "
                       "feature the client does not claim; they were not "
                       "judged.\n\n| Scenario | Why |\n|---|---|\n");
        }
        rp_puts(o, "| ");
        rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_MD);
        rp_puts(o, " | ");
        rp_put_esc_cut(o, rp_na_reason(sc), 300, RP_ESC_MD);
        rp_puts(o, " |\n");
    }
    if (n > 0) {
        rp_puts(o, "\n");
    }
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

/* The key checks' verdicts, "scope-step-up-escalation: FAILURE", or a
 * dash when the model marks none (results from before "key"). */
static void put_key_verdicts(struct rp_out *o, const json_t *sc)
{
    const json_t *c;
    size_t j, n = 0;

    json_array_foreach(json_object_get(sc, "checks"), j, c)
    {
        if (rp_is_key(c)) {
            rp_puts(o, n++ > 0 ? ", " : "");
            rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_MD);
            rp_puts(o, ": ");
            rp_put_esc(o, ac_json_str(c, "status"), RP_ESC_MD);
        }
    }
    rp_puts(o, n == 0 ? "\xE2\x80\x94" : "");
}

static void put_scenario_list(struct rp_out *o, const json_t *model)
{
    const json_t *sc;
    size_t i;

    rp_puts(o, "<details><summary>All scenarios</summary>\n\n"
               "| Scenario | Status | Point under test | Passed | Failed "
               "| Warnings | Skipped |\n|---|---|---|---:|---:|---:|---:|\n");
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        struct rp_counts c;
        rp_count_checks(sc, &c);
        rp_puts(o, "| ");
        rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_MD);
        rp_puts(o, " | ");
        rp_put_esc(o, ac_json_str(sc, "status"), RP_ESC_MD);
        rp_puts(o, " | ");
        put_key_verdicts(o, sc);
        rp_printf(o, " | %zu | %zu | %zu | %zu |\n", c.success, c.failure,
                  c.warning, c.skipped + c.expected);
    }
    rp_puts(o, "\n</details>\n");
}

/* "Mode: strict; client features: a, b" (the run's "mode", absent in
 * older results: nothing). */
static void put_mode(struct rp_out *o, const json_t *model)
{
    const json_t *mode = json_object_get(model, "mode");

    if (!json_is_object(mode)) {
        return;
    }
    rp_printf(o, "Mode: %s; client features: ",
              json_is_true(json_object_get(mode, "strict")) ? "strict"
                                                            : "not strict");
    rp_put_features(o, json_object_get(mode, "client_features"), "", "",
                    RP_ESC_MD);
    rp_puts(o, "\n\n");
}

/* The run's metadata under the verdict line. */
static const struct rp_field HEADER_FIELDS[] = {
    {".\n\nClient: ", "client_command", false},
    {" · spec ", "spec", false},
    {" · started ", "started_at", false},
    {" · ", "duration_ms", true},
    {" ms · authcheck ", "version", false},
    {"\n\n", NULL, false},
    {NULL, NULL, false},
};

static void put_header(struct rp_out *o, const json_t *model)
{
    struct rp_totals t;

    rp_count_run(model, &t);
    rp_puts(o, "# authcheck conformance report\n\n");
    rp_printf(o, "**%s**: ", t.fail ? "FAIL" : "PASS");
    rp_put_totals(o, &t, "with harness errors");
    rp_put_fields(o, model, HEADER_FIELDS, RP_ESC_MD);
    put_mode(o, model);
}

bool rp_write_markdown(const json_t *model, const char *out_dir,
                       struct ac_err *err)
{
    struct rp_causes fail = {0}, warn = {0}, exp = {0};
    struct rp_out o;
    bool ok = false;

    rp_out_init(&o);
    if (!rp_causes_find(model, RP_CAUSE_FAILURE, &fail, err) ||
        !rp_causes_find(model, RP_CAUSE_WARNING, &warn, err) ||
        !rp_causes_find(model, RP_CAUSE_EXPECTED, &exp, err)) {
        ac_buf_free(&o.buf);
        goto out;
    }
    put_header(&o, model);
    put_causes(&o, model, &fail);
    put_families(&o, model);
    put_grouped(&o, model, &warn, "Warnings");
    put_grouped(&o, model, &exp, "Expected failures (baseline)");
    put_errors(&o, model);
    put_not_applicable(&o, model);
    put_skipped(&o, model);
    put_baseline(&o, model);
    put_failing(&o, model, fail.nchecks);
    put_scenario_list(&o, model);
    ok = rp_out_finish(&o, out_dir, "report.md", err);
out:
    rp_causes_free(&fail);
    rp_causes_free(&warn);
    rp_causes_free(&exp);
    return ok;
}
