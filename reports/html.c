/* report.html: one self-contained page (inline CSS and script, no external
 * resources; a Content-Security-Policy forbids them) for a person who has
 * never seen authcheck.
 *
 * Order, most useful first:
 *   1. the verdict and what was run;
 *   2. "Failing requirements": every FAILURE, then every WARNING, then
 *      the failures the baseline expects, each with the requirement, what
 *      was seen, the spec link, and its evidence exchanges inline (open);
 *   3. the overview matrix of scenarios by status, with filters (failing
 *      only, family, level) run by a small inline script;
 *   4. per scenario (error, failed, passed, then skipped, i.e. pending
 *      and not run; run order within each):
 *      its checks (failures first), the client runs, a sequence diagram
 *      (html_seq.c) and every exchange with request and response in
 *      <details>.
 *
 * Stable hooks for browser tests (docs/REPORTS.md): sections
 * `.scenario[data-status][data-family]`, rows `.check[data-status]
 * [data-level]`, `.finding`, `.matrix-row`, `.exchange[data-seq]`, and the
 * filters `#filter-failing`, `#filter-family`, `#filter-level`.
 *
 * The model is the redacted copy (rp_write); every value from it goes
 * through RP_ESC_HTML, and only http(s) URLs become links. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* A status or level as a CSS class: known words only. */
static const char *word_class(const char *s)
{
    static const char *const known[] = {
        "SUCCESS", "FAILURE", "WARNING", "SKIPPED", "INFO",    "MUST", "SHOULD",
        "MAY",     "passed",  "failed",  "error",   "skipped", NULL,
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
    rp_put_esc(o, word != NULL ? word : "?", RP_ESC_HTML);
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

/* --- exchanges ------------------------------------------------------------
 */

static void put_headers(struct rp_out *o, const json_t *msg)
{
    const json_t *h;
    size_t i;

    if (json_array_size(json_object_get(msg, "headers")) == 0) {
        rp_puts(o, "<p class=\"none\">no headers recorded</p>\n");
        return;
    }
    rp_puts(o, "<table class=\"headers\">");
    json_array_foreach(json_object_get(msg, "headers"), i, h)
    {
        rp_puts(o, "<tr><th>");
        rp_put_esc(o, json_string_value(json_array_get(h, 0)), RP_ESC_HTML);
        rp_puts(o, "</th><td>");
        rp_put_esc(o, json_string_value(json_array_get(h, 1)), RP_ESC_HTML);
        rp_puts(o, "</td></tr>");
    }
    rp_puts(o, "</table>\n");
}

/* A body, pretty-printed when it is JSON. */
static void put_body(struct rp_out *o, const json_t *msg)
{
    const char *body = ac_json_str(msg, "body");
    json_t *doc = NULL;
    char *pretty = NULL;

    if (body == NULL || body[0] == '\0') {
        rp_puts(o, "<p class=\"none\">no body</p>\n");
        return;
    }
    doc = ac_json_parse(body, strlen(body), NULL);
    if (doc != NULL && (json_is_object(doc) || json_is_array(doc))) {
        pretty = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    }
    rp_puts(o, "<pre class=\"body\">");
    rp_put_esc(o, pretty != NULL ? pretty : body, RP_ESC_HTML);
    rp_puts(o, "</pre>\n");
    free(pretty);
    json_decref(doc);
}

static void put_exchange(struct rp_out *o, const json_t *sc, const json_t *ex,
                         const char *prefix, bool open)
{
    const json_t *resp = json_object_get(ex, "response");
    json_int_t status = rp_int(resp, "status");
    long long seq = (long long)rp_int(ex, "seq");

    rp_printf(o, "<div class=\"exchange\" id=\"%s-ex-%lld\" data-seq=\"%lld\"",
              prefix, seq, seq);
    put_attr(o, "data-server", ac_json_str(ex, "server"));
    rp_printf(o, " data-http-status=\"%lld\">\n<div class=\"ex-head\">",
              (long long)status);
    rp_printf(o, "<span class=\"ex-seq\">#%lld</span> <span class=\"route\">",
              seq);
    rp_put_esc(o, rp_exchange_from(sc, ex), RP_ESC_HTML);
    rp_puts(o, " &#8594; ");
    rp_put_esc(o, rp_exchange_to(sc, ex), RP_ESC_HTML);
    rp_puts(o, "</span> <code class=\"line\">");
    rp_put_esc(o, ac_json_str(ex, "method"), RP_ESC_HTML);
    rp_puts(o, " ");
    rp_put_esc(o, ac_json_str(ex, "path"), RP_ESC_HTML);
    rp_printf(o, "</code> <span class=\"http%s\">%lld</span></div>\n",
              status == 0 || status >= 400 ? " bad" : "", (long long)status);
    rp_printf(o, "<details class=\"request\"%s><summary>Request</summary>\n",
              open ? " open" : "");
    rp_puts(o, "<pre class=\"reqline\">");
    rp_put_esc(o, ac_json_str(ex, "method"), RP_ESC_HTML);
    rp_puts(o, " ");
    rp_put_esc(o, ac_json_str(ex, "url"), RP_ESC_HTML);
    rp_puts(o, "</pre>\n");
    put_headers(o, json_object_get(ex, "request"));
    put_body(o, json_object_get(ex, "request"));
    rp_printf(o,
              "</details>\n<details class=\"response\"%s><summary>Response "
              "%lld</summary>\n",
              open ? " open" : "", (long long)status);
    if (ac_json_str(ex, "error") != NULL) {
        rp_puts(o, "<p class=\"ex-error\">");
        rp_put_esc(o, ac_json_str(ex, "error"), RP_ESC_HTML);
        rp_puts(o, "</p>\n");
    }
    put_headers(o, resp);
    put_body(o, resp);
    rp_puts(o, "</details>\n</div>\n");
}

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

/* --- failing requirements -------------------------------------------------
 */

enum pick { PICK_FAILURE, PICK_WARNING, PICK_EXPECTED };

static bool picked(const json_t *c, enum pick which)
{
    const char *st = ac_json_str(c, "status");

    if (st == NULL) {
        return false;
    }
    if (which == PICK_FAILURE) {
        return strcmp(st, "FAILURE") == 0 && !rp_is_expected(c);
    }
    return which == PICK_WARNING ? strcmp(st, "WARNING") == 0
                                 : rp_is_expected(c);
}

static void put_finding(struct rp_out *o, const json_t *sc, size_t k,
                        const json_t *c, size_t n)
{
    char fam[128], prefix[32];
    const json_t *seq;
    size_t i;

    snprintf(prefix, sizeof prefix, "f%zu", n);
    rp_printf(o, "<article class=\"finding\" id=\"%s\"", prefix);
    put_attr(o, "data-status", ac_json_str(c, "status"));
    put_attr(o, "data-level", ac_json_str(c, "level"));
    put_attr(o, "data-family", rp_family(sc, fam, sizeof fam));
    put_attr(o, "data-scenario", ac_json_str(sc, "id"));
    put_attr(o, "data-check", ac_json_str(c, "id"));
    rp_puts(o, ">\n<h3>");
    put_badge(o, ac_json_str(c, "status"));
    rp_puts(o, " ");
    put_badge(o, ac_json_str(c, "level"));
    if (rp_is_expected(c)) {
        rp_puts(o,
                " <span class=\"badge expected\">expected (baseline)</span>");
    }
    rp_puts(o, " <code>");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_HTML);
    rp_puts(o, "</code></h3>\n<dl class=\"finding-facts\"><dt>Requirement</dt>"
               "<dd>");
    rp_put_esc(o, ac_json_str(c, "summary"), RP_ESC_HTML);
    rp_puts(o, "</dd><dt>What was seen</dt><dd class=\"message\">");
    rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_HTML);
    rp_puts(o, "</dd><dt>Spec</dt><dd>");
    put_spec_link(o, c);
    rp_printf(o, "</dd><dt>Scenario</dt><dd><a href=\"#s%zu\">", k);
    rp_put_esc(o, ac_json_str(sc, "id"), RP_ESC_HTML);
    rp_puts(o, "</a> &#8212; ");
    rp_put_esc(o, ac_json_str(sc, "title"), RP_ESC_HTML);
    rp_puts(o, "</dd></dl>\n");
    if (json_array_size(json_object_get(c, "evidence")) > 0) {
        rp_puts(o, "<div class=\"evidence\"><h4>Evidence: what was sent and "
                   "answered</h4>\n");
    }
    json_array_foreach(json_object_get(c, "evidence"), i, seq)
    {
        const json_t *ex = rp_exchange(sc, json_integer_value(seq));
        if (ex != NULL) {
            put_exchange(o, sc, ex, prefix, true);
        }
    }
    if (json_array_size(json_object_get(c, "evidence")) > 0) {
        rp_puts(o, "</div>\n");
    }
    rp_puts(o, "</article>\n");
}

static void put_findings(struct rp_out *o, const json_t *model)
{
    static const enum pick order[] = {PICK_FAILURE, PICK_WARNING,
                                      PICK_EXPECTED};
    const json_t *sc, *c;
    size_t i, j, n = 0;

    rp_puts(o, "<section id=\"findings\">\n<h2>Failing requirements</h2>\n");
    for (size_t p = 0; p < sizeof order / sizeof order[0]; p++) {
        json_array_foreach(json_object_get(model, "scenarios"), i, sc)
        {
            json_array_foreach(json_object_get(sc, "checks"), j, c)
            {
                if (picked(c, order[p])) {
                    put_finding(o, sc, i + 1, c, ++n);
                }
            }
        }
    }
    if (n == 0) {
        rp_puts(o, "<p class=\"all-good\">No check failed or warned.</p>\n");
    }
    rp_puts(o, "</section>\n");
}

/* --- overview -------------------------------------------------------------
 */

/* Scenario indexes in report order: error, failed, anything else
 * (passed), skipped (stable). */
static size_t *scenario_order(const json_t *scs)
{
    static const char *const rank[] = {"error", "failed", NULL, "skipped"};
    size_t n = json_array_size(scs), k = 0, *idx = calloc(n + 1, sizeof *idx);

    for (size_t r = 0; idx != NULL && r < 4; r++) {
        for (size_t i = 0; i < n; i++) {
            const json_t *sc = json_array_get(scs, i);
            bool ranked = rp_status_is(sc, "error") ||
                          rp_status_is(sc, "failed") ||
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

/* --- per scenario -----------------------------------------------------------
 */

static void put_check_row(struct rp_out *o, const json_t *c, const char *prefix,
                          size_t j)
{
    rp_printf(o, "<tr class=\"check\" id=\"%s-check-%zu\"", prefix, j);
    put_attr(o, "data-status", ac_json_str(c, "status"));
    put_attr(o, "data-level", ac_json_str(c, "level"));
    put_attr(o, "data-check", ac_json_str(c, "id"));
    if (rp_is_expected(c)) {
        rp_puts(o, " data-expected-failure=\"true\"");
    }
    rp_puts(o, "><td>");
    put_badge(o, ac_json_str(c, "status"));
    if (rp_is_expected(c)) {
        rp_puts(o, " <span class=\"badge expected\">expected</span>");
    }
    rp_puts(o, "</td><td>");
    put_badge(o, ac_json_str(c, "level"));
    rp_puts(o, "</td><td><code>");
    rp_put_esc(o, ac_json_str(c, "id"), RP_ESC_HTML);
    rp_puts(o, "</code><div class=\"summary\">");
    rp_put_esc(o, ac_json_str(c, "summary"), RP_ESC_HTML);
    rp_puts(o, "</div></td><td class=\"message\">");
    rp_put_esc(o, ac_json_str(c, "message"), RP_ESC_HTML);
    rp_puts(o, "</td><td>");
    put_spec_link(o, c);
    rp_puts(o, "</td><td class=\"ev\">");
    put_evidence_links(o, c, prefix);
    rp_puts(o, "</td></tr>\n");
}

/* Failures first, then warnings, then the rest in registry order. */
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
    for (int pass = 0; pass < 3; pass++) {
        json_array_foreach(checks, j, c)
        {
            const char *st = ac_json_str(c, "status");
            int rank = st == NULL                   ? 2
                       : strcmp(st, "FAILURE") == 0 ? 0
                       : strcmp(st, "WARNING") == 0 ? 1
                                                    : 2;
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
    const json_t *tr = json_object_get(sc, "transcript"), *ex, *rev;
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
    if (ac_json_str(sc, "skip_reason") != NULL) {
        rp_puts(o, "<p class=\"sc-skipped\">Pending, not run: ");
        rp_put_esc(o, ac_json_str(sc, "skip_reason"), RP_ESC_HTML);
        rp_puts(o, "</p>\n");
    }
    put_checks(o, sc, prefix);
    put_runs(o, sc);
    if (json_array_size(tr) > 0) {
        rp_printf(o, "<h4>Exchanges (%zu)</h4>\n", json_array_size(tr));
        rp_html_sequence(o, sc, prefix);
        json_array_foreach(tr, i, ex)
        {
            put_exchange(o, sc, ex, prefix, false);
        }
    }
    rp_puts(o, "</section>\n");
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
    ".badge.expected{background:#8250df;color:#fff}\n"
    ".badge.skipped{background:#8c959f;color:#fff}.sc-skipped{"
    "color:#57606a;font-style:italic}\n"
    ".finding{border:1px solid #d0d7de;border-left:6px solid #cf222e;"
    "border-radius:6px;padding:.6rem .9rem;margin:1rem 0}\n"
    ".finding[data-status=WARNING]{border-left-color:#bf8700}\n"
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
    "max-width:100%;height:auto}.finding{break-inside:avoid}"
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
    "function apply(){var f=ff.checked,fv=fam.value,lv=lvl.value,n=0,"
    "all=$('.scenario').length;\n"
    "$('.scenario,.matrix-row').forEach(function(e){"
    "var h=(f&&(e.dataset.status==='passed'||"
    "e.dataset.status==='skipped'))||(fv!==''&&"
    "e.dataset.family!==fv);e.hidden=h;"
    "if(!h&&e.classList.contains('scenario'))n++;});\n"
    "$('.check').forEach(function(e){e.hidden=(f&&!bad(e.dataset.status))||"
    "(lv!==''&&e.dataset.level!==lv);});\n"
    "$('.finding').forEach(function(e){e.hidden=(fv!==''&&"
    "e.dataset.family!==fv)||(lv!==''&&e.dataset.level!==lv);});\n"
    "cnt.textContent=n+' of '+all+' scenarios shown';}\n"
    "[ff,fam,lvl].forEach(function(e){e.addEventListener('change',apply);});"
    "\n"
    "function reveal(){var id=decodeURIComponent(location.hash.slice(1)),"
    "t=id&&document.getElementById(id);if(!t)return;"
    "for(var e=t;e;e=e.parentElement){if(e.tagName==='DETAILS')e.open=true;"
    "if(e.hidden)e.hidden=false;}"
    "if(t.classList.contains('exchange'))t.querySelectorAll('details')"
    ".forEach(function(d){d.open=true;});}\n"
    "window.addEventListener('hashchange',reveal);\n"
    "var shut=[];window.addEventListener('beforeprint',function(){"
    "shut=$('details:not([open])');shut.forEach(function(d){d.open=true;});"
    "});\n"
    "window.addEventListener('afterprint',function(){shut.forEach("
    "function(d){d.open=false;});shut=[];});\n"
    /* ?failing=1&family=F&level=L preselects the filters, so a filtered
     * view can be linked to (and tested headless without clicks). */
    "var q=new URLSearchParams(location.search);"
    "if(q.get('failing')==='1')ff.checked=true;"
    "if(q.has('family'))fam.value=q.get('family');"
    "if(q.has('level'))lvl.value=q.get('level');\n"
    "document.getElementById('filters').hidden=false;apply();reveal();\n"
    "})();\n";

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
              "%s: %zu of %zu scenarios failed, %zu harness errors; "
              "%zu failing checks, %zu warnings",
              t.fail ? "fail" : "pass", t.fail ? "fail" : "pass",
              t.fail ? "FAIL" : "PASS", t.failed, t.scenarios, t.errors,
              t.checks.failure, t.checks.warning);
    if (t.checks.expected > 0) {
        rp_printf(o, ", %zu expected failures (baseline)", t.checks.expected);
    }
    if (t.skipped > 0) {
        rp_printf(o, ", %zu scenarios skipped (pending)", t.skipped);
    }
    rp_puts(o, "</p>\n<dl class=\"meta\"><dt>Client command</dt><dd><code>");
    rp_put_esc(o, ac_json_str(model, "client_command"), RP_ESC_HTML);
    rp_puts(o, "</code></dd><dt>Spec revision</dt><dd>");
    rp_put_esc(o, ac_json_str(model, "spec"), RP_ESC_HTML);
    rp_puts(o, "</dd><dt>Started</dt><dd>");
    rp_put_esc(o, ac_json_str(model, "started_at"), RP_ESC_HTML);
    rp_printf(o, " (%lld ms)</dd><dt>Tool</dt><dd>",
              (long long)rp_int(model, "duration_ms"));
    rp_put_esc(o, ac_json_str(model, "tool"), RP_ESC_HTML);
    rp_puts(o, " ");
    rp_put_esc(o, ac_json_str(model, "version"), RP_ESC_HTML);
    rp_puts(o, "</dd></dl>\n<p>Each check tests one requirement of the MCP "
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
    put_findings(&o, model);
    put_baseline(&o, model);
    if (order != NULL) {
        put_overview(&o, model, order);
        rp_puts(&o, "<section id=\"details\">\n<h2>Scenario details</h2>\n");
        for (size_t i = 0; i < json_array_size(scs); i++) {
            put_scenario(&o, json_array_get(scs, order[i]), order[i] + 1);
        }
        rp_puts(&o, "</section>\n");
    }
    rp_puts(&o, "</main>\n<footer><p>Generated by authcheck from "
                "results.json; <code>authcheck report DIR --format html"
                "</code> renders it again.</p></footer>\n<script>\n");
    rp_puts(&o, SCRIPT);
    rp_puts(&o, "</script>\n</body>\n</html>\n");
    free(order);
    return rp_out_finish(&o, out_dir, "report.html", err);
}
