/* report.html: one self-contained page (inline CSS and script, no external
 * resources; a Content-Security-Policy forbids them) for a person who has
 * never seen authcheck.
 *
 * Order, most useful first:
 *   1. the verdict and what was run (mode, client features);
 *   2. the root causes (causes.h): one card per first cause of failure,
 *      with its scenarios, downstream checks and evidence links; then
 *      warnings and expected failures grouped by check and message;
 *   3. the overview matrix of scenarios by status, with filters (failing
 *      only, family, level) run by a small inline script;
 *   4. per scenario (error, failed, passed, not applicable, skipped; run
 *      order within each): the key checks' verdicts, its checks (key
 *      first, then failures, warnings, the rest), the client runs, and
 *      folded, its exchanges and sequence diagram (html_seq.c);
 *   5. every requirement checked, once.
 *
 * Transcripts on demand: the exchanges and diagrams are one gzip+base64
 * JSON block (#transcripts) that the script decodes and renders, as text,
 * when a scenario's exchanges are opened or an evidence link followed; a
 * full passing run's page went from 3.9 MB to 1 MB.
 *
 * Stable hooks for browser tests (docs/REPORTS.md): sections
 * `.scenario[data-status][data-family]`, rows `.check[data-status]
 * [data-level][data-key]`, `.cause`, `.matrix-row`, `.exchange[data-seq]`
 * once rendered, and the filters `#filter-failing`, `#filter-family`,
 * `#filter-level`.
 *
 * The model is the redacted copy (rp_write); every value from it goes
 * through RP_ESC_HTML, and only http(s) URLs become links. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/b64url.h"
#include "common/json.h"
#include "reports/causes.h"

/* A status or level as a CSS class: known words only. */
static const char *word_class(const char *s)
{
    static const char *const known[] = {
        "SUCCESS",        "FAILURE", "WARNING", "SKIPPED", "INFO",  "MUST",
        "SHOULD",         "MAY",     "passed",  "failed",  "error", "skipped",
        "not_applicable", NULL,
    };

    for (size_t i = 0; s != NULL && known[i] != NULL; i++) {
        if (strcmp(s, known[i]) == 0) {
            return known[i];
        }
    }
    return "unknown";
}

static void put_attr(struct rp_out *o, const char *name, const char *value)
{
    rp_printf(o, " %s=\"", name);
    rp_put_esc(o, value, RP_ESC_HTML);
    rp_puts(o, "\"");
}

static void put_badge(struct rp_out *o, const char *word)
{
    rp_printf(o, "<span class=\"badge %s\">", word_class(word));
    rp_put_esc(o,
               word == NULL                          ? "?"
               : strcmp(word, "not_applicable") == 0 ? "not applicable"
                                                     : word,
               RP_ESC_HTML);
    rp_puts(o, "</span>");
}

static void put_spec_link(struct rp_out *o, const json_t *c)
{
    const char *url = ac_json_str(c, "spec_url");
    char *label = rp_spec_label(ac_json_str(c, "spec"), url);

    if (rp_is_http_url(url)) {
        rp_puts(o, "<a class=\"spec-link\"");
        put_attr(o, "href", url);
        rp_puts(o, " rel=\"noreferrer\">");
        rp_put_esc(o, label != NULL ? label : url, RP_ESC_HTML);
        rp_puts(o, "</a>");
    } else {
        rp_put_esc(o, label, RP_ESC_HTML);
    }
    free(label);
}

/* --- evidence -------------------------------------------------------------
 */

static void put_evidence_links(struct rp_out *o, const json_t *c,
                               const char *prefix)
{
    const json_t *seq;
    size_t i;

    json_array_foreach(json_object_get(c, "evidence"), i, seq)
    {
        long long n = (long long)json_integer_value(seq);
        rp_printf(o, "%s<a href=\"#%s-ex-%lld\">#%lld</a>", i > 0 ? " " : "",
                  prefix, n, n);
    }
}

/* --- root causes ------------------------------------------------------------
 *
 * One card per cause (reports/causes.h): the failures grouped by each
 * failed scenario's first failure, then the warnings and the expected
 * failures grouped by check and message. A card links to each
 * scenario's check row and to the exchanges that decided it. */

/* The families of the cause's scenarios, space-separated, each once (the
 * Family filter matches a cause when any of its scenarios is in it). */
static void put_families_attr(struct rp_out *o, const json_t *scs,
                              const struct rp_cause *k)
{
    char fam[128], other[128];

    rp_puts(o, " data-families=\"");
    for (size_t i = 0, n = 0; i < k->nscenarios; i++) {
        const char *f =
            rp_family(json_array_get(scs, k->scenario[i]), fam, sizeof fam);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = strcmp(rp_family(json_array_get(scs, k->scenario[j]), other,
                                    sizeof other),
                          f) == 0;
        }
        if (!seen) {
            rp_puts(o, n++ > 0 ? " " : "");
            rp_put_esc(o, f, RP_ESC_HTML);
        }
    }
    rp_puts(o, "\"");
}

static void put_cause_scenarios(struct rp_out *o, const json_t *scs,
                                const struct rp_cause *k)
{
    rp_printf(o,
              "<details class=\"cause-scenarios\"%s><summary>%zu "
              "scenario%s</summary><ul>\n",
              k->nscenarios <= 5 ? " open" : "", k->nscenarios,
              k->nscenarios == 1 ? "" : "s");
    for (size_t i = 0; i < k->nscenarios; i++) {
        const json_t *sc = json_array_get(scs, k->scenario[i]);
        const json_t *c =
            json_array_get(json_object_get(sc, "checks"), k->check_at[i]);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "s%zu", k->scenario[i] + 1);
        rp_printf(o, "<li><a href=\"#%s-check-%zu\">", prefix, k->check_at[i]);
        rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_HTML);
        rp_puts(o, "</a>");
        if (json_array_size(json_object_get(c, "evidence")) > 0) {
            rp_puts(o, " <span class=\"ev\">evidence ");
            put_evidence_links(o, c, prefix);
            rp_puts(o, "</span>");
        }
        rp_puts(o, "</li>\n");
    }
    rp_puts(o, "</ul></details>\n");
}

static void put_cause(struct rp_out *o, const json_t *model,
                      const struct rp_cause *k, const char *status, size_t n)
{
    const json_t *scs = json_object_get(model, "scenarios");
    const json_t *c0 = json_array_get(
        json_object_get(json_array_get(scs, k->scenario[0]), "checks"),
        k->check_at[0]);

    rp_printf(o, "<article class=\"cause\" id=\"c%zu\"", n);
    put_attr(o, "data-status", status);
    put_attr(o, "data-level", k->level);
    put_attr(o, "data-check", k->check);
    put_attr(o, "data-stage", rp_stage_name(k->stage));
    rp_printf(o, " data-scenarios=\"%zu\" data-checks=\"%zu\"", k->nscenarios,
              k->nchecks);
    put_families_attr(o, scs, k);
    rp_puts(o, ">\n<h3>");
    put_badge(o, ac_json_str(c0, "status"));
    rp_puts(o, " ");
    put_badge(o, k->level);
    if (rp_is_expected(c0)) {
        rp_puts(o,
                " <span class=\"badge expected\">expected (baseline)</span>");
    }
    rp_puts(o, " <code>");
    rp_put_esc(o, k->check, RP_ESC_HTML);
    rp_printf(o,
              "</code> <span class=\"cause-count\">%zu scenario%s &#183; "
              "%zu %s check%s</span></h3>\n",
              k->nscenarios, k->nscenarios == 1 ? "" : "s", k->nchecks,
              strcmp(status, "WARNING") == 0 ? "warning" : "failing",
              k->nchecks == 1 ? "" : "s");
    rp_puts(o, "<dl class=\"finding-facts\"><dt>What was seen</dt>"
               "<dd class=\"message\">");
    rp_put_esc(o, k->message, RP_ESC_HTML);
    rp_puts(o, "</dd><dt>Requirement</dt><dd>");
    rp_put_esc(o, ac_json_str(c0, "summary"), RP_ESC_HTML);
    rp_printf(o, "</dd><dt>Stage</dt><dd>%s</dd><dt>Spec</dt><dd>",
              rp_stage_name(k->stage));
    put_spec_link(o, c0);
    rp_puts(o, "</dd>");
    if (k->ndown > 0) {
        rp_puts(o, "<dt>Then also failed</dt><dd class=\"downstream\">");
        for (size_t i = 0; i < k->ndown; i++) {
            rp_puts(o, i > 0 ? ", <code>" : "<code>");
            rp_put_esc(o, k->down[i].check, RP_ESC_HTML);
            rp_printf(o, "</code> (%zu)", k->down[i].count);
        }
        rp_puts(o, "</dd>");
    }
    rp_puts(o, "</dl>\n");
    put_cause_scenarios(o, scs, k);
    rp_puts(o, "</article>\n");
}

/* The three groupings, in one numbering of the cards (c1, c2, ...). */
static bool put_causes(struct rp_out *o, const json_t *model,
                       struct ac_err *err)
{
    static const struct {
        enum rp_cause_pick pick;
        const char *id, *heading, *status, *intro;
    } parts[] = {
        {RP_CAUSE_FAILURE, "causes", "Root causes", "FAILURE",
         "Each failed scenario is listed under its first failure in flow "
         "order (discovery, registration, authorization, token, MCP use, "
         "lifecycle, outcome); its other failures are downstream, most of "
         "them consequences of the first."},
        {RP_CAUSE_WARNING, "warnings", "Warnings", "WARNING",
         "SHOULD requirements not met, grouped by check and message; they "
         "do not fail a scenario."},
        {RP_CAUSE_EXPECTED, "expected", "Expected failures (baseline)",
         "FAILURE",
         "Failures the baseline file expects, grouped by check and "
         "message."},
    };
    struct rp_causes cs;
    size_t n = 0;

    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
        if (!rp_causes_find(model, parts[p].pick, &cs, err)) {
            rp_causes_free(&cs);
            return false;
        }
        if (cs.n == 0 && p > 0) {
            rp_causes_free(&cs);
            continue;
        }
        rp_printf(o, "<section id=\"%s\">\n<h2>%s</h2>\n", parts[p].id,
                  parts[p].heading);
        if (cs.n == 0) {
            rp_puts(o, "<p class=\"all-good\">No check failed.</p>\n");
        } else {
            bool f = parts[p].pick == RP_CAUSE_FAILURE;
            rp_printf(o,
                      "<p class=\"intro\">%zu %sscenario%s, %zu %s%s. %s"
                      "</p>\n",
                      cs.nscenarios, f ? "failed " : "",
                      cs.nscenarios == 1 ? "" : "s", cs.n,
                      f ? "cause" : "group", cs.n == 1 ? "" : "s",
                      parts[p].intro);
        }
        for (size_t i = 0; i < cs.n; i++) {
            put_cause(o, model, &cs.v[i], parts[p].status, ++n);
        }
        rp_puts(o, "</section>\n");
        rp_causes_free(&cs);
    }
    return true;
}

/* --- overview -------------------------------------------------------------
 */

/* Scenario indexes in report order: error, failed, anything else
 * (passed), not applicable, skipped (stable). */
static size_t *scenario_order(const json_t *scs)
{
    static const char *const rank[] = {"error", "failed", NULL,
                                       "not_applicable", "skipped"};
    size_t n = json_array_size(scs), k = 0, *idx = calloc(n + 1, sizeof *idx);

    for (size_t r = 0; idx != NULL && r < 5; r++) {
        for (size_t i = 0; i < n; i++) {
            const json_t *sc = json_array_get(scs, i);
            bool ranked = rp_status_is(sc, "error") ||
                          rp_status_is(sc, "failed") ||
                          rp_status_is(sc, "not_applicable") ||
                          rp_status_is(sc, "skipped");
            if (rank[r] != NULL ? rp_status_is(sc, rank[r]) : !ranked) {
                idx[k++] = i;
            }
        }
    }
    return idx;
}

static void put_filters(struct rp_out *o, const json_t *model)
{
    const json_t *sc;
    size_t i, j;
    char fam[128], other[128];

    rp_puts(o, "<form class=\"filters\" id=\"filters\" hidden>"
               "<label><input type=\"checkbox\" id=\"filter-failing\"> "
               "Failing only</label> <label>Family <select "
               "id=\"filter-family\"><option value=\"\">all</option>");
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        const char *f = rp_family(sc, fam, sizeof fam);
        bool seen = false;
        for (j = 0; j < i && !seen; j++) {
            seen = strcmp(rp_family(json_array_get(
                                        json_object_get(model, "scenarios"), j),
                                    other, sizeof other),
                          f) == 0;
        }
        if (!seen) {
            rp_puts(o, "<option");
            put_attr(o, "value", f);
            rp_puts(o, ">");
            rp_put_esc(o, f, RP_ESC_HTML);
            rp_puts(o, "</option>");
        }
    }
    rp_puts(o, "</select></label> <label>Level <select id=\"filter-level\">"
               "<option value=\"\">all</option><option>MUST</option>"
               "<option>SHOULD</option><option>MAY</option></select></label> "
               "<output id=\"filter-count\"></output></form>\n");
}

static void put_matrix_row(struct rp_out *o, const json_t *sc, size_t k)
{
    struct rp_counts c;
    char fam[128];

    rp_count_checks(sc, &c);
    rp_puts(o, "<tr class=\"matrix-row\"");
    put_attr(o, "data-status", ac_json_str(sc, "status"));
    put_attr(o, "data-family", rp_family(sc, fam, sizeof fam));
    put_attr(o, "data-scenario", ac_json_str(sc, "id"));
    rp_printf(o, "><td><a href=\"#s%zu\">", k);
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_HTML);
    rp_puts(o, "</a><div class=\"title\">");
    rp_put_esc(o, ac_json_str(sc, "title"), RP_ESC_HTML);
    rp_puts(o, "</div></td><td>");
    rp_put_esc(o, rp_family(sc, fam, sizeof fam), RP_ESC_HTML);
    rp_puts(o, "</td><td>");
    put_badge(o, ac_json_str(sc, "status"));
    rp_printf(o,
              "</td><td class=\"n\">%zu</td><td class=\"n%s\">%zu</td>"
              "<td class=\"n%s\">%zu</td><td class=\"n\">%zu</td>"
              "<td class=\"n\">%zu</td></tr>\n",
              c.success, c.failure > 0 ? " nz-fail" : "", c.failure,
              c.warning > 0 ? " nz-warn" : "", c.warning,
              c.skipped + c.expected, c.info);
}

static void put_overview(struct rp_out *o, const json_t *model,
                         const size_t *order)
{
    const json_t *scs = json_object_get(model, "scenarios");

    rp_puts(o, "<section id=\"overview\">\n<h2>Scenarios</h2>\n");
    put_filters(o, model);
    rp_puts(o, "<div class=\"scroll\"><table class=\"matrix\" id=\"matrix\">"
               "<thead><tr><th>Scenario</th><th>Family</th><th>Status</th>"
               "<th>Passed</th><th>Failed</th><th>Warnings</th>"
               "<th>Skipped</th><th>Info</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < json_array_size(scs); i++) {
        put_matrix_row(o, json_array_get(scs, order[i]), order[i] + 1);
    }
    rp_puts(o, "</tbody></table></div>\n</section>\n");
}

/* A verdict that needs no explanation next to the key check's name. */
static bool picked_ok(const json_t *c)
{
    const char *st = ac_json_str(c, "status");

    return st != NULL && strcmp(st, "SUCCESS") == 0;
}

/* --- per scenario -----------------------------------------------------------
 */

static void put_check_row(struct rp_out *o, const json_t *c, const char *prefix,
                          size_t j)
{
    const char *st = ac_json_str(c, "status");
    bool verbose = rp_is_key(c) || (st != NULL && (strcmp(st, "FAILURE") == 0 ||
                                                   strcmp(st, "WARNING") == 0));

    rp_printf(o, "<tr class=\"check\" id=\"%s-check-%zu\"", prefix, j);
    put_attr(o, "data-status", ac_json_str(c, "status"));
    put_attr(o, "data-level", ac_json_str(c, "level"));
    put_attr(o, "data-check", ac_json_str(c, "id"));
    if (rp_is_expected(c)) {
        rp_puts(o, " data-expected-failure=\"true\"");
    }
    if (rp_is_key(c)) {
        rp_puts(o, " data-key=\"true\"");
    }
    rp_puts(o, "><td>");
    put_badge(o, ac_json_str(c, "status"));
    if (rp_is_expected(c)) {
        rp_puts(o, " <span class=\"badge expected\">expected</span>");
    }
    if (rp_is_key(c)) {
        rp_puts(o, " <span class=\"badge key\">key</span>");
    }
    rp_puts(o, "</td><td>");
    put_badge(o, ac_json_str(c, "level"));
    rp_puts(o, "</td><td><a class=\"req\" href=\"#req-");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_HTML);
    rp_puts(o, "\"><code>");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_HTML);
    rp_puts(o, "</code></a>");
    /* The requirement and its spec link are in #requirements once per
     * check; repeated here only where a reader needs them at hand. */
    if (verbose) {
        rp_puts(o, "<div class=\"summary\">");
        rp_put_esc(o, ac_json_str(c, "summary"), RP_ESC_HTML);
        rp_puts(o, "</div>");
    }
    rp_puts(o, "</td><td class=\"message\">");
    rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_HTML);
    rp_puts(o, "</td><td>");
    if (verbose) {
        put_spec_link(o, c);
    }
    rp_puts(o, "</td><td class=\"ev\">");
    put_evidence_links(o, c, prefix);
    rp_puts(o, "</td></tr>\n");
}

/* The point under test first: "Point under test: <id> STATUS, ...", for
 * the checks the model marks "key" (none in older results: nothing). */
static void put_key_verdict(struct rp_out *o, const json_t *sc,
                            const char *prefix)
{
    const json_t *c;
    size_t j, n = 0;

    json_array_foreach(json_object_get(sc, "checks"), j, c)
    {
        if (!rp_is_key(c)) {
            continue;
        }
        rp_puts(o, n++ == 0 ? "<p class=\"key-verdict\">Point under test: "
                            : "; ");
        rp_printf(o, "<a href=\"#%s-check-%zu\"><code>", prefix, j);
        rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_HTML);
        rp_puts(o, "</code></a> ");
        put_badge(o, ac_json_str(c, "status"));
        if (!picked_ok(c)) {
            rp_puts(o, " <span class=\"message\">");
            rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_HTML);
            rp_puts(o, "</span>");
        }
    }
    if (n > 0) {
        rp_puts(o, "</p>\n");
    }
}

/* Key checks first, then failures, then warnings, then the rest in
 * registry order. */
static void put_checks(struct rp_out *o, const json_t *sc, const char *prefix)
{
    const json_t *checks = json_object_get(sc, "checks"), *c;
    size_t j;

    if (json_array_size(checks) == 0) {
        rp_puts(o, "<p class=\"none\">No checks were evaluated.</p>\n");
        return;
    }
    rp_puts(o, "<table class=\"checks\"><thead><tr><th>Status</th>"
               "<th>Level</th><th>Check</th><th>What was seen</th>"
               "<th>Spec</th><th>Evidence</th></tr></thead><tbody>\n");
    for (int pass = 0; pass < 4; pass++) {
        json_array_foreach(checks, j, c)
        {
            const char *st = ac_json_str(c, "status");
            int rank = rp_is_key(c)                 ? 0
                       : st == NULL                 ? 3
                       : strcmp(st, "FAILURE") == 0 ? 1
                       : strcmp(st, "WARNING") == 0 ? 2
                                                    : 3;
            if (rank == pass) {
                put_check_row(o, c, prefix, j);
            }
        }
    }
    rp_puts(o, "</tbody></table>\n");
}

static void put_runs(struct rp_out *o, const json_t *sc)
{
    const json_t *run;
    size_t i;

    if (json_array_size(json_object_get(sc, "runs")) == 0) {
        return;
    }
    rp_puts(o, "<h4>Client runs</h4>\n<ol class=\"runs\">\n");
    json_array_foreach(json_object_get(sc, "runs"), i, run)
    {
        const char *out = ac_json_str(run, "output");
        rp_printf(o, "<li>exit code %lld", (long long)rp_int(run, "exit_code"));
        if (rp_int(run, "signal") != 0) {
            rp_printf(o, ", killed by signal %lld",
                      (long long)rp_int(run, "signal"));
        }
        if (json_is_true(json_object_get(run, "timed_out"))) {
            rp_puts(o, ", <strong>timed out</strong>");
        }
        rp_printf(o, ", %lld ms", (long long)rp_int(run, "duration_ms"));
        if (out != NULL && out[0] != '\0') {
            rp_puts(o, "<details class=\"output\"><summary>output</summary>"
                       "<pre>");
            rp_put_esc(o, out, RP_ESC_HTML);
            rp_puts(o, "</pre></details>");
        }
        rp_puts(o, "</li>\n");
    }
    rp_puts(o, "</ol>\n");
}

static void put_scenario(struct rp_out *o, const json_t *sc, size_t k)
{
    const json_t *tr = json_object_get(sc, "transcript"), *rev;
    char fam[128], prefix[32];
    size_t i;

    snprintf(prefix, sizeof prefix, "s%zu", k);
    rp_printf(o, "<section class=\"scenario\" id=\"%s\"", prefix);
    put_attr(o, "data-status", ac_json_str(sc, "status"));
    put_attr(o, "data-family", rp_family(sc, fam, sizeof fam));
    put_attr(o, "data-scenario", ac_json_str(sc, "id"));
    rp_puts(o, ">\n<h3>");
    put_badge(o, ac_json_str(sc, "status"));
    rp_puts(o, " ");
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_HTML);
    rp_puts(o, "</h3>\n<p class=\"sc-meta\">");
    rp_put_esc(o, ac_json_str(sc, "title"), RP_ESC_HTML);
    rp_puts(o, " &#183; spec");
    json_array_foreach(json_object_get(sc, "spec"), i, rev)
    {
        rp_puts(o, " ");
        rp_put_esc(o, json_string_value(rev), RP_ESC_HTML);
    }
    rp_printf(o, " &#183; %lld ms</p>\n", (long long)rp_int(sc, "duration_ms"));
    if (ac_json_str(sc, "error") != NULL) {
        rp_puts(o, "<p class=\"sc-error\">Harness error (not a finding "
                   "about the client): ");
        rp_put_esc(o, ac_json_str(sc, "error"), RP_ESC_HTML);
        rp_puts(o, "</p>\n");
    }
    if (rp_status_is(sc, "not_applicable")) {
        rp_puts(o, "<p class=\"sc-skipped\">Not applicable, not judged: ");
        rp_put_esc(o, rp_na_reason(sc), RP_ESC_HTML);
        rp_puts(o, "</p>\n");
    } else if (ac_json_str(sc, "skip_reason") != NULL) {
        rp_puts(o, "<p class=\"sc-skipped\">Pending, not run: ");
        rp_put_esc(o, ac_json_str(sc, "skip_reason"), RP_ESC_HTML);
        rp_puts(o, "</p>\n");
    }
    put_key_verdict(o, sc, prefix);
    put_checks(o, sc, prefix);
    put_runs(o, sc);
    if (json_array_size(tr) > 0) {
        /* Rendered by the script from the #transcripts data when opened
         * (or when a link to one of its exchanges is followed). */
        rp_printf(o,
                  "<details class=\"transcript\"><summary>Exchanges (%zu) "
                  "and sequence diagram</summary><div class=\"ex-list\">"
                  "<p class=\"none\">Shown by the page's script; with "
                  "scripts off, read the transcript in results.json.</p>"
                  "</div></details>\n",
                  json_array_size(tr));
    }
    rp_puts(o, "</section>\n");
}

/* Every check of the run once: id, level, requirement, spec link; the
 * check rows link here (#req-<id>). */
static void put_requirements(struct rp_out *o, const json_t *model)
{
    json_t *seen = json_object();
    const json_t *sc, *c;
    size_t i, j;

    rp_puts(o, "<section id=\"requirements\">\n<h2>Requirements checked"
               "</h2>\n<div class=\"scroll\"><table class=\"requirements\">"
               "<thead><tr><th>Check</th><th>Level</th><th>Requirement</th>"
               "<th>Spec</th></tr></thead><tbody>\n");
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            const char *id = ac_json_str(c, "id");
            if (seen == NULL || id == NULL ||
                json_object_get(seen, id) != NULL ||
                json_object_set_new(seen, id, json_true()) != 0) {
                continue;
            }
            rp_puts(o, "<tr class=\"requirement\" id=\"req-");
            rp_put_esc(o, id, RP_ESC_HTML);
            rp_puts(o, "\"><td><code>");
            rp_put_esc(o, id, RP_ESC_HTML);
            rp_puts(o, "</code></td><td>");
            put_badge(o, ac_json_str(c, "level"));
            rp_puts(o, "</td><td>");
            rp_put_esc(o, ac_json_str(c, "summary"), RP_ESC_HTML);
            rp_puts(o, "</td><td>");
            put_spec_link(o, c);
            rp_puts(o, "</td></tr>\n");
        }
    }
    rp_puts(o, "</tbody></table></div>\n</section>\n");
    json_decref(seen);
}

/* --- the page ---------------------------------------------------------------
 */

static const char CSS[] =
    "[hidden]{display:none!important}\n"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "margin:0 auto;padding:1rem 1.5rem;max-width:1200px;color:#1b1f24;"
    "background:#fff}\n"
    "h1{font-size:1.6rem;margin:.2rem 0}h2{border-bottom:2px solid #d0d7de;"
    "padding-bottom:.2rem;margin-top:2rem}h3{margin:.3rem 0}\n"
    "code,pre,.line{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
    "monospace;font-size:.85rem}\n"
    "pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;"
    "padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0}"
    "\n"
    "a{color:#0550ae}\n"
    ".verdict{font-size:1.15rem;font-weight:600;padding:.5rem .8rem;"
    "border-radius:6px;display:inline-block}\n"
    ".verdict.fail{background:#ffebe9;color:#82071e}.verdict.pass{"
    "background:#dafbe1;color:#116329}\n"
    ".meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;"
    "margin:.6rem 0}.meta dt{font-weight:600}.meta dd{margin:0;"
    "overflow-wrap:anywhere}\n"
    ".badge{display:inline-block;border-radius:10px;padding:0 .5rem;"
    "font-size:.75rem;font-weight:700;letter-spacing:.02em;"
    "background:#eaeef2;color:#24292f;white-space:nowrap}\n"
    ".badge.FAILURE,.badge.failed,.badge.error{background:#cf222e;"
    "color:#fff}\n"
    ".badge.WARNING{background:#bf8700;color:#fff}.badge.SUCCESS,"
    ".badge.passed{background:#1a7f37;color:#fff}\n"
    ".badge.INFO{background:#0969da;color:#fff}.badge.SKIPPED{"
    "background:#8c959f;color:#fff}.badge.MUST{background:#fff;color:#82071e;"
    "border:1px solid #cf222e}\n"
    ".badge.SHOULD{background:#fff;color:#7d4e00;border:1px solid #bf8700}"
    ".badge.MAY{background:#fff;border:1px solid #8c959f}\n"
    ".badge.expected{background:#8250df;color:#fff}.badge.key{"
    "background:#6639ba;color:#fff}.badge.not_applicable{"
    "background:#d0d7de;color:#24292f}\n"
    ".key-verdict{font-weight:600;margin:.4rem 0}.key-verdict .message{"
    "font-weight:400}.cause-count{color:#57606a;font-weight:400;"
    "font-size:.9rem}.intro{color:#57606a}\n"
    ".cause{border:1px solid #d0d7de;border-left:6px solid #cf222e;"
    "border-radius:6px;padding:.6rem .9rem;margin:1rem 0}\n"
    ".cause[data-status=WARNING]{border-left-color:#bf8700}"
    ".cause-scenarios ul{margin:.3rem 0;columns:2 22rem}\n"
    ".badge.skipped{background:#8c959f;color:#fff}.sc-skipped{"
    "color:#57606a;font-style:italic}\n"
    ".finding-facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.2rem 1rem}.finding-facts dt{font-weight:600}.finding-facts dd{"
    "margin:0;overflow-wrap:anywhere}\n"
    ".message{overflow-wrap:anywhere}\n"
    ".filters{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center;"
    "padding:.5rem;background:#f6f8fa;border-radius:6px;margin:.5rem 0}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;"
    "vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #d0d7de}"
    "\n"
    "td.n{text-align:right}.nz-fail{color:#cf222e;font-weight:700}.nz-warn{"
    "color:#9a6700;font-weight:700}\n"
    ".title,.summary{color:#57606a;font-size:.85rem}\n"
    ".scenario{border-top:1px solid #d0d7de;margin-top:1.5rem;"
    "padding-top:.5rem}\n"
    ".sc-meta{color:#57606a;margin:.2rem 0}.sc-error{color:#82071e;"
    "font-weight:600}\n"
    "tr.check[data-status=FAILURE]{background:#fff5f5}"
    "tr.check[data-status=WARNING]{background:#fff8e5}\n"
    ".exchange{border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;"
    "padding:.3rem .6rem}\n"
    ".exchange:target{outline:3px solid #0969da}\n"
    ".ex-head{overflow-wrap:anywhere}.ex-seq{font-weight:700}.route{"
    "color:#57606a}.http{font-weight:700;color:#1a7f37}.http.bad{"
    "color:#cf222e}\n"
    "details>summary{cursor:pointer;color:#0550ae}\n"
    ".headers th{width:14rem;font-weight:600;font-family:ui-monospace,"
    "monospace;font-size:.8rem}.headers td{font-family:ui-monospace,"
    "monospace;font-size:.8rem;overflow-wrap:anywhere}\n"
    ".none{color:#57606a;font-style:italic;margin:.2rem 0}\n"
    ".seq-wrap{overflow-x:auto;margin:.5rem 0}\n"
    "svg.seq{font:11px ui-monospace,monospace;background:#fff}\n"
    "svg.seq .lifeline line{stroke:#8c959f;stroke-dasharray:4 3}\n"
    "svg.seq .lifeline rect{fill:#f6f8fa;stroke:#57606a}\n"
    "svg.seq .lifeline text{font-weight:700;fill:#24292f}\n"
    "svg.seq line.req,svg.seq path.req{stroke:#24292f}svg.seq line.ret,"
    "svg.seq path.ret{stroke:#57606a;stroke-dasharray:5 3}\n"
    "svg.seq .head{fill:#24292f}svg.seq .msg text{fill:#0550ae;"
    "paint-order:stroke;stroke:#fff;stroke-width:3px}\n"
    "svg.seq .msg.bad text{fill:#cf222e}\n"
    "@media (max-width:700px){body{padding:.5rem}table.checks thead{"
    "display:none}table.checks tr,table.checks td{display:block}"
    "table.checks tr{border-bottom:2px solid #d0d7de}table.checks td{"
    "border:0;padding:.15rem .3rem}.headers th{width:auto}.finding-facts,"
    ".meta{grid-template-columns:1fr}"
    /* narrow: keep scenario, status and failed; the family is the id's
     * first segment and the other counts are in each scenario's section */
    "table.matrix th:nth-child(2),table.matrix td:nth-child(2),"
    "table.matrix th:nth-child(4),table.matrix td:nth-child(4),"
    "table.matrix th:nth-child(n+6),table.matrix td:nth-child(n+6){"
    "display:none}}\n"
    "@media print{.filters,#filters{display:none!important}body{"
    "max-width:none;font-size:11pt}.seq-wrap{overflow:visible}svg.seq{"
    "max-width:100%;height:auto}.cause{break-inside:avoid}"
    "details>summary{color:#24292f}a{color:inherit}}\n";

/* ::details-content is recent; in its own rule so an older browser drops
 * only this line. The script also opens every <details> before printing. */
static const char CSS_PRINT_DETAILS[] =
    "@media print{details::details-content{content-visibility:visible;"
    "display:block}}\n";

static const char SCRIPT[] =
    "(function(){\n"
    "var $=function(s){return Array.prototype.slice.call("
    "document.querySelectorAll(s));};\n"
    "var ff=document.getElementById('filter-failing'),"
    "fam=document.getElementById('filter-family'),"
    "lvl=document.getElementById('filter-level'),"
    "cnt=document.getElementById('filter-count');\n"
    "function bad(s){return s==='FAILURE'||s==='WARNING';}\n"
    "function quiet(s){return s==='passed'||s==='skipped'||"
    "s==='not_applicable';}\n"
    "function apply(){var f=ff.checked,fv=fam.value,lv=lvl.value,n=0,"
    "all=$('.scenario').length;\n"
    "$('.scenario,.matrix-row').forEach(function(e){"
    "var h=(f&&quiet(e.dataset.status))||(fv!==''&&"
    "e.dataset.family!==fv);e.hidden=h;"
    "if(!h&&e.classList.contains('scenario'))n++;});\n"
    "$('.check').forEach(function(e){e.hidden=(f&&!bad(e.dataset.status)&&"
    "e.dataset.key!=='true')||(lv!==''&&e.dataset.level!==lv);});\n"
    "$('.cause').forEach(function(e){e.hidden=(fv!==''&&(' '+"
    "e.dataset.families+' ').indexOf(' '+fv+' ')<0)||(lv!==''&&"
    "e.dataset.level!==lv);});\n"
    "cnt.textContent=n+' of '+all+' scenarios shown';}\n"
    "[ff,fam,lvl].forEach(function(e){e.addEventListener('change',apply);});"
    "\n"
    /* The transcripts: gzip + base64 JSON in #transcripts, decoded once,
     * on the first request (DecompressionStream: Chromium 80, Firefox
     * 113, Safari 16.4). */
    "var blob=null;\n"
    "function data(){if(blob)return blob;"
    "var el=document.getElementById('transcripts');"
    "if(!el)return blob=Promise.resolve([]);"
    "if(typeof DecompressionStream==='undefined')return blob=Promise.reject("
    "new Error('this browser cannot decompress them'));"
    "var b=atob(el.textContent.replace(/\\s+/g,'')),u=new Uint8Array("
    "b.length);for(var i=0;i<b.length;i++)u[i]=b.charCodeAt(i);"
    "return blob=new Response(new Blob([u]).stream().pipeThrough("
    "new DecompressionStream('gzip'))).text().then(JSON.parse);}\n"
    /* Text as the C escaper shows it: controls visible, never markup
     * (textContent only). */
    "function vis(s){return String(s==null?'':s).replace("
    "/[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]/g,function(c){return '\\\\x'+"
    "('0'+c.charCodeAt(0).toString(16).toUpperCase()).slice(-2);}).replace("
    "/[\\x80-\\x9f\\ufffe\\uffff]/g,function(c){return '\\\\u'+('000'+"
    "c.charCodeAt(0).toString(16).toUpperCase()).slice(-4);});}\n"
    "function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;"
    "if(x!=null)e.textContent=vis(x);return e;}\n"
    "function heads(m){var h=m&&m.headers;if(!h||!h.length)return el('p',"
    "'none','no headers recorded');var t=el('table','headers');"
    "h.forEach(function(x){var r=t.insertRow();r.appendChild(el('th',null,"
    "x[0]));r.appendChild(el('td',null,x[1]));});return t;}\n"
    "function body(m){var b=m&&m.body;if(!b)return el('p','none','no body');"
    "try{var v=JSON.parse(b);if(v&&typeof v==='object')b=JSON.stringify(v,"
    "null,2);}catch(e){}return el('pre','body',b);}\n"
    "function exch(p,x,r){var q=x.response||{},st=q.status||0,"
    "d=el('div','exchange');d.id=p+'-ex-'+x.seq;d.dataset.seq=x.seq;"
    "d.dataset.server=x.server||'';d.dataset.httpStatus=st;"
    "var h=el('div','ex-head');h.append(el('span','ex-seq','#'+x.seq),' ',"
    "el('span','route',r[0]+' \\u2192 '+r[1]),' ',el('code','line',"
    "x.method+' '+x.path),' ',el('span',st===0||st>=400?'http bad':'http',"
    "st));var a=el('details','request');a.append(el('summary',null,"
    "'Request'),el('pre','reqline',x.method+' '+x.url),heads(x.request),"
    "body(x.request));var b=el('details','response');b.append(el('summary',"
    "null,'Response '+st));if(x.error)b.append(el('p','ex-error',x.error));"
    "b.append(heads(q),body(q));d.append(h,a,b);return d;}\n"
    "var done={};\n"
    "function render(sec){if(!sec)return Promise.resolve();"
    "if(done[sec.id])return done[sec.id];"
    "var box=sec.querySelector('.ex-list');if(!box)return Promise.resolve();"
    "return done[sec.id]=data().then(function(all){"
    "var t=all[+sec.id.slice(1)-1];box.textContent='';if(!t)return;"
    /* svg: markup generated and escaped by authcheck (html_seq.c) */
    "var w=document.createElement('div');w.innerHTML=t.svg;"
    "while(w.firstChild)box.appendChild(w.firstChild);"
    "t.transcript.forEach(function(x,i){box.appendChild(exch(sec.id,x,"
    "t.routes[i]));});},function(e){box.textContent='The exchanges cannot "
    "be shown: '+e.message+'; they are in results.json.';});}\n"
    "document.addEventListener('toggle',function(e){var d=e.target;"
    "if(d.classList&&d.classList.contains('transcript')&&d.open)"
    "render(d.closest('.scenario'));},true);\n"
    "function reveal(){var id=decodeURIComponent(location.hash.slice(1));"
    "if(!id)return;var m=/^(s[0-9]+)-ex-[0-9]+$/.exec(id),"
    "sec=m&&document.getElementById(m[1]);"
    "var d=sec&&sec.querySelector('details.transcript');if(d)d.open=true;"
    "return (sec?render(sec):Promise.resolve()).then(function(){"
    "var t=document.getElementById(id);if(!t)return;"
    "for(var e=t;e;e=e.parentElement){if(e.tagName==='DETAILS')e.open=true;"
    "if(e.hidden)e.hidden=false;}"
    "if(t.classList.contains('exchange'))t.querySelectorAll('details')"
    ".forEach(function(d){d.open=true;});if(sec)t.scrollIntoView();});}\n"
    "window.addEventListener('hashchange',reveal);\n"
    /* a link to the hash already shown does not fire hashchange */
    "document.addEventListener('click',function(e){var a=e.target.closest&&"
    "e.target.closest('a[href^=\"#\"]');if(a&&a.getAttribute('href')==="
    "location.hash)setTimeout(reveal,0);});\n"
    "var shut=[];window.addEventListener('beforeprint',function(){"
    "shut=$('details:not([open])');shut.forEach(function(d){d.open=true;});"
    "});\n"
    "window.addEventListener('afterprint',function(){shut.forEach("
    "function(d){d.open=false;});shut=[];});\n"
    /* ?failing=1&family=F&level=L preselects the filters, so a filtered
     * view can be linked to (and tested headless without clicks);
     * ?open=all renders every transcript. */
    "var q=new URLSearchParams(location.search);"
    "if(q.get('failing')==='1')ff.checked=true;"
    "if(q.has('family'))fam.value=q.get('family');"
    "if(q.has('level'))lvl.value=q.get('level');"
    "if(q.get('open')==='all')$('details.transcript').forEach(function(d){"
    "d.open=true;});\n"
    "document.getElementById('filters').hidden=false;apply();reveal();\n"
    "})();\n";

/* The run's "mode" (absent in older results: nothing). */
static void put_mode(struct rp_out *o, const json_t *model)
{
    const json_t *mode = json_object_get(model, "mode");

    if (!json_is_object(mode)) {
        return;
    }
    rp_printf(o,
              "<dt>Mode</dt><dd id=\"mode\" data-strict=\"%s\">%s</dd>"
              "<dt>Client features</dt><dd id=\"client-features\">",
              json_is_true(json_object_get(mode, "strict")) ? "true" : "false",
              json_is_true(json_object_get(mode, "strict")) ? "strict"
                                                            : "not strict");
    rp_put_features(o, json_object_get(mode, "client_features"), "<code>",
                    "</code>", RP_ESC_HTML);
    rp_puts(o, "</dd>");
}

/* The run's metadata under the verdict line. */
static const struct rp_field HEADER_FIELDS[] = {
    {"</p>\n<dl class=\"meta\"><dt>Client command</dt><dd><code>",
     "client_command", false},
    {"</code></dd><dt>Spec revision</dt><dd>", "spec", false},
    {"</dd><dt>Started</dt><dd>", "started_at", false},
    {" (", "duration_ms", true},
    {" ms)</dd><dt>Tool</dt><dd>", "tool", false},
    {" ", "version", false},
    {"</dd>", NULL, false},
    {NULL, NULL, false},
};

static void put_head(struct rp_out *o, const json_t *model)
{
    struct rp_totals t;

    rp_count_run(model, &t);
    rp_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" "
               "content=\"default-src 'none'; style-src 'unsafe-inline'; "
               "script-src 'unsafe-inline'\">\n"
               "<title>authcheck conformance report</title>\n<style>\n");
    rp_puts(o, CSS);
    rp_puts(o, CSS_PRINT_DETAILS);
    rp_puts(o, "</style>\n</head>\n<body>\n<header>\n"
               "<h1>authcheck conformance report</h1>\n");
    rp_printf(o,
              "<p class=\"verdict %s\" id=\"verdict\" data-verdict=\"%s\">"
              "%s: ",
              t.fail ? "fail" : "pass", t.fail ? "fail" : "pass",
              t.fail ? "FAIL" : "PASS");
    rp_put_totals(o, &t, "harness errors");
    rp_put_fields(o, model, HEADER_FIELDS, RP_ESC_HTML);
    put_mode(o, model);
    rp_puts(o, "</dl>\n<p>Each check tests one requirement of the MCP "
               "authorization specification (or an RFC it cites) against "
               "what the client sent to the mock servers. Secrets are shown "
               "as <code>[redacted:&#8230;]</code>; the same tag means the "
               "same value.</p>\n</header>\n<main>\n");
}

static void put_baseline(struct rp_out *o, const json_t *model)
{
    const json_t *stale =
        json_object_get(json_object_get(model, "baseline"), "stale");
    const json_t *e;
    size_t i;

    if (json_array_size(stale) == 0) {
        return;
    }
    rp_puts(o, "<section id=\"baseline\"><h2>Stale baseline entries</h2>\n"
               "<p>These expected-failure entries no longer match a failing "
               "check; remove them from the baseline file.</p><ul>\n");
    json_array_foreach(stale, i, e)
    {
        rp_puts(o, "<li class=\"stale\"><code>");
        rp_put_esc(o, ac_json_str(e, "entry"), RP_ESC_HTML);
        rp_printf(o, "</code> (line %lld): ", (long long)rp_int(e, "line"));
        rp_put_esc(o, ac_json_str(e, "reason"), RP_ESC_HTML);
        rp_puts(o, "</li>\n");
    }
    rp_puts(o, "</ul></section>\n");
}

/* One scenario's entry of the transcripts data: {"svg": the sequence
 * diagram's markup, "routes": [[from, to], ...] per exchange,
 * "transcript": the exchanges}. A new reference, NULL when out of
 * memory. */
static json_t *scenario_data(const json_t *sc, size_t k)
{
    const json_t *tr = json_object_get(sc, "transcript"), *ex;
    json_t *routes = json_array(), *out = NULL;
    struct rp_out svg;
    char prefix[32];
    size_t i;

    snprintf(prefix, sizeof prefix, "s%zu", k);
    rp_out_init(&svg);
    rp_html_sequence(&svg, sc, prefix);
    json_array_foreach(tr, i, ex)
    {
        if (routes != NULL &&
            json_array_append_new(routes,
                                  json_pack("[s?s?]", rp_exchange_from(sc, ex),
                                            rp_exchange_to(sc, ex))) != 0) {
            goto out;
        }
    }
    if (routes == NULL || svg.failed) {
        goto out;
    }
    /* The model is borrowed and not changed: the transcript is only
     * referenced from `out` while it is serialised. */
    out = json_pack("{s:s%, s:O, s:O}", "svg",
                    svg.buf.data != NULL ? svg.buf.data : "", svg.buf.len,
                    "routes", routes, "transcript",
                    json_is_array(tr) ? (json_t *)tr : routes);
out:
    json_decref(routes);
    ac_buf_free(&svg.buf);
    return out;
}

/* Every scenario's transcript and diagram as the script reads them: a
 * JSON array in model order, gzip-compressed (RFC 1952) and base64-
 * encoded, in <script type="application/octet-stream" id="transcripts">.
 * Compression takes a full run's report from about 3.9 MB to a few
 * hundred KB; nothing is rendered until a scenario is opened. */
static void put_transcripts(struct rp_out *o, const json_t *model)
{
    json_t *all = json_array();
    const json_t *sc;
    char *text = NULL, *b64 = NULL;
    unsigned char *gz = NULL;
    size_t i, n = 0;

    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        if (all == NULL ||
            json_array_append_new(all, scenario_data(sc, i + 1))) {
            goto fail;
        }
    }
    text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL || !rp_gzip(text, strlen(text), &gz, &n) ||
        (b64 = ac_b64_encode(gz, n)) == NULL) {
        goto fail;
    }
    rp_puts(o, "<script type=\"application/octet-stream\" "
               "id=\"transcripts\" data-encoding=\"gzip+base64\">\n");
    for (size_t p = 0, len = strlen(b64); p < len; p += 120) {
        rp_printf(o, "%.120s\n", b64 + p);
    }
    rp_puts(o, "</script>\n");
    goto out;
fail:
    if (!o->failed) {
        AC_ERR(&o->err, AC_ERR_NOMEM, "encoding the transcripts failed");
        o->failed = true;
    }
out:
    free(b64);
    free(gz);
    free(text);
    json_decref(all);
}

bool rp_write_html(const json_t *model, const char *out_dir, struct ac_err *err)
{
    const json_t *scs = json_object_get(model, "scenarios");
    size_t *order = scenario_order(scs);
    struct rp_out o;

    rp_out_init(&o);
    if (order == NULL) {
        AC_ERR(&o.err, AC_ERR_NOMEM, "out of memory");
        o.failed = true;
    }
    put_head(&o, model);
    if (!o.failed && !put_causes(&o, model, &o.err)) {
        o.failed = true;
    }
    put_baseline(&o, model);
    if (order != NULL) {
        put_overview(&o, model, order);
        rp_puts(&o, "<section id=\"details\">\n<h2>Scenario details</h2>\n");
        for (size_t i = 0; i < json_array_size(scs); i++) {
            put_scenario(&o, json_array_get(scs, order[i]), order[i] + 1);
        }
        rp_puts(&o, "</section>\n");
    }
    put_requirements(&o, model);
    rp_puts(&o, "</main>\n<footer><p>Generated by authcheck from "
                "results.json; <code>authcheck report DIR --format html"
                "</code> renders it again.</p></footer>\n");
    put_transcripts(&o, model);
    rp_puts(&o, "<script>\n");
    rp_puts(&o, SCRIPT);
    rp_puts(&o, "</script>\n</body>\n</html>\n");
    free(order);
    return rp_out_finish(&o, out_dir, "report.html", err);
}
