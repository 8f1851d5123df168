/* What `authcheck run` prints (console.h): scenario headlines, checks and
 * client runs, the live progress line on a terminal, the closing list of
 * failures and the summary line. Reads the results model only. */
#include "harness/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/redact.h"
#include "reports/causes.h"

static const char *const status_names[] = {"SUCCESS", "FAILURE", "WARNING",
                                           "SKIPPED", "INFO"};

void hcon_count_checks(const json_t *res, json_int_t counts[5])
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(res, "checks"), i, c)
    {
        const char *st = json_string_value(json_object_get(c, "status"));
        for (size_t k = 0; st != NULL && k < 5; k++) {
            if (strcmp(st, status_names[k]) == 0) {
                counts[k]++;
            }
        }
    }
}

/* The client's output, each line prefixed "  | ". */
static void print_output(const char *text)
{
    const char *p = text;

    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("  | %.*s\n", n, p);
        p = nl ? nl + 1 : NULL;
    }
}

static void print_runs(const json_t *res, const json_t *secrets)
{
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(res, "runs"), i, r)
    {
        const char *o = json_string_value(json_object_get(r, "output"));
        char *safe = ac_redact_known(o ? o : "", secrets);
        printf("  run %zu: exit %d, signal %d%s, %.2f s\n", i + 1,
               (int)json_integer_value(json_object_get(r, "exit_code")),
               (int)json_integer_value(json_object_get(r, "signal")),
               json_is_true(json_object_get(r, "timed_out")) ? ", TIMED OUT"
                                                             : "",
               (double)json_integer_value(json_object_get(r, "duration_ms")) /
                   1000.0);
        print_output(safe);
        free(safe);
    }
}

static void print_checks(const json_t *res, bool all)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(res, "checks"), i, c)
    {
        const char *st = json_string_value(json_object_get(c, "status"));
        if (!all && strcmp(st, "FAILURE") != 0 && strcmp(st, "WARNING") != 0) {
            continue;
        }
        printf("  %-7s %s: %s%s\n", st,
               json_string_value(json_object_get(c, "id")),
               json_string_value(json_object_get(c, "message")),
               json_is_true(json_object_get(c, "expected_failure"))
                   ? " (expected: baseline)"
                   : "");
    }
}

/* "PASS id (n/m checks, 1.23 s)", "FAIL ...", "ERROR id: why",
 * "SKIP id: why" (a pending scenario, not run). */
static void print_headline(const json_t *res)
{
    const char *st = json_string_value(json_object_get(res, "status"));
    const char *id = json_string_value(json_object_get(res, "id"));
    double secs =
        (double)json_integer_value(json_object_get(res, "duration_ms")) /
        1000.0;
    json_int_t counts[5] = {0};

    if (strcmp(st, "error") == 0) {
        printf("ERROR %s: %s\n", id,
               json_string_value(json_object_get(res, "error")));
        return;
    }
    if (strcmp(st, "skipped") == 0) {
        printf("SKIP %s: pending: %s\n", id,
               json_string_value(json_object_get(res, "skip_reason")));
        return;
    }
    if (strcmp(st, "not_applicable") == 0) {
        const char *why =
            json_string_value(json_object_get(res, "skip_reason"));
        printf("N/A %s: not applicable: %s\n", id,
               why != NULL ? why
                           : "the client does not claim the feature this "
                             "scenario tests");
        return;
    }
    hcon_count_checks(res, counts);
    printf("%s %s (%lld/%zu checks%s, %.2f s)\n",
           strcmp(st, "passed") == 0 ? "PASS" : "FAIL", id,
           (long long)counts[0],
           json_array_size(json_object_get(res, "checks")),
           counts[2] ? ", warnings" : "", secs);
}

/* One finished scenario: its headline; with verbosity > 0 every check
 * and the client's runs too (output redacted with `secrets`, borrowed). */
static void print_scenario(const json_t *res, int verbosity,
                           const json_t *secrets)
{
    const char *dir = json_string_value(json_object_get(res, "work_dir"));

    print_headline(res);
    if (verbosity > 0) {
        print_checks(res, true);
        print_runs(res, secrets);
    }
    if (dir != NULL) {
        printf("  HOME and browser record kept in %s\n", dir);
    }
}

/* --- progress ------------------------------------------------------------- */

void hcon_progress_init(struct hcon_progress *p, size_t total, int verbosity)
{
    memset(p, 0, sizeof(*p));
    p->tty = isatty(STDOUT_FILENO) == 1;
    p->total = total;
    p->verbosity = verbosity;
    p->start_ns = ac_mono_ns();
}

void hcon_progress_clear(struct hcon_progress *p)
{
    if (p->drawn) {
        printf("\r\033[K");
        p->drawn = false;
    }
}

void hcon_progress_draw(struct hcon_progress *p)
{
    if (!p->tty || p->verbosity < 0) {
        return;
    }
    printf("\r\033[K[%zu/%zu] %zu failed, %zu error%s, %.1f s", p->done,
           p->total, p->failed, p->errors, p->errors == 1 ? "" : "s",
           (double)(ac_mono_ns() - p->start_ns) / 1e9);
    p->drawn = true;
    fflush(stdout);
}

void hcon_progress_done(struct hcon_progress *p, const json_t *res,
                        const json_t *secrets)
{
    const char *st = json_string_value(json_object_get(res, "status"));
    /* A skipped (pending) or not-applicable scenario is quiet on a
     * terminal, like a pass. */
    bool passed = st != NULL &&
                  (strcmp(st, "passed") == 0 || strcmp(st, "skipped") == 0 ||
                   strcmp(st, "not_applicable") == 0);

    p->done++;
    p->failed += st != NULL && strcmp(st, "failed") == 0;
    p->errors += st != NULL && strcmp(st, "error") == 0;
    if (p->verbosity >= 0 && (!p->tty || !passed || p->verbosity > 0)) {
        hcon_progress_clear(p);
        print_scenario(res, p->verbosity, secrets);
    }
    hcon_progress_draw(p);
    fflush(stdout);
}

/* At most this many scenario ids and downstream checks per cause; the
 * reports list them all. */
#define CAUSE_LIST_MAX 8

static void print_cause(const json_t *results, const struct rp_cause *k)
{
    const json_t *scs = json_object_get(results, "scenarios");
    size_t i;

    printf("CAUSE %s [%s, %s] in %zu scenario%s (%zu failing check%s): %s\n",
           k->check, rp_stage_name(k->stage), k->level ? k->level : "?",
           k->nscenarios, k->nscenarios == 1 ? "" : "s", k->nchecks,
           k->nchecks == 1 ? "" : "s", k->message ? k->message : "");
    printf("  scenario%s:", k->nscenarios == 1 ? "" : "s");
    for (i = 0; i < k->nscenarios && i < CAUSE_LIST_MAX; i++) {
        printf("%s %s", i > 0 ? "," : "",
               json_string_value(
                   json_object_get(json_array_get(scs, k->scenario[i]), "id")));
    }
    if (k->nscenarios > CAUSE_LIST_MAX) {
        printf(" and %zu more (report.md lists them)",
               k->nscenarios - CAUSE_LIST_MAX);
    }
    printf("\n");
    if (k->ndown == 0) {
        return;
    }
    printf("  then also failed:");
    for (i = 0; i < k->ndown && i < CAUSE_LIST_MAX; i++) {
        printf("%s %s (%zu)", i > 0 ? "," : "", k->down[i].check,
               k->down[i].count);
    }
    if (k->ndown > CAUSE_LIST_MAX) {
        printf(" and %zu more checks", k->ndown - CAUSE_LIST_MAX);
    }
    printf("\n");
}

/* The end of the output says what went wrong however the lines
 * interleaved: the failures grouped by first cause (reports/causes.h),
 * the harness errors, and how many failures the baseline expected. */
void hcon_failures(const json_t *results)
{
    struct rp_causes cs = {0}, ex = {0};
    struct ac_err err;
    const json_t *res;
    size_t i, errors = 0;

    if (!rp_causes_find(results, RP_CAUSE_FAILURE, &cs, &err) ||
        !rp_causes_find(results, RP_CAUSE_EXPECTED, &ex, &err)) {
        fprintf(stderr, "authcheck: %s\n", err.msg);
        goto out;
    }
    json_array_foreach(json_object_get(results, "scenarios"), i, res)
    {
        errors += json_is_string(json_object_get(res, "status")) &&
                  strcmp(json_string_value(json_object_get(res, "status")),
                         "error") == 0;
    }
    if (cs.n == 0 && errors == 0 && ex.n == 0) {
        goto out;
    }
    printf("failures by first cause (%zu failed scenario%s, %zu cause%s):\n",
           cs.nscenarios, cs.nscenarios == 1 ? "" : "s", cs.n,
           cs.n == 1 ? "" : "s");
    for (i = 0; i < cs.n; i++) {
        print_cause(results, &cs.v[i]);
    }
    json_array_foreach(json_object_get(results, "scenarios"), i, res)
    {
        const char *st = json_string_value(json_object_get(res, "status"));
        if (st != NULL && strcmp(st, "error") == 0) {
            print_headline(res);
        }
    }
    if (ex.nchecks > 0) {
        printf("EXPECTED %zu failing check%s in %zu scenario%s, as the "
               "baseline expects\n",
               ex.nchecks, ex.nchecks == 1 ? "" : "s", ex.nscenarios,
               ex.nscenarios == 1 ? "" : "s");
    }
out:
    rp_causes_free(&cs);
    rp_causes_free(&ex);
}

void hcon_summary(const json_t *results, const char *out)
{
    const json_t *s = json_object_get(results, "summary");
    const json_t *c = json_object_get(s, "checks");

#define N(o, k) ((long long)json_integer_value(json_object_get((o), (k))))
    char skipped[96] = "";
    size_t k = 0;

    /* Only when there are some, so the usual line stays as it was. */
    if (N(s, "skipped") > 0) {
        k += (size_t)snprintf(skipped, sizeof skipped,
                              " %lld skipped (pending),", N(s, "skipped"));
    }
    if (N(s, "not_applicable") > 0 && k < sizeof skipped) {
        snprintf(skipped + k, sizeof skipped - k, " %lld not applicable,",
                 N(s, "not_applicable"));
    }
    printf("%lld scenario%s: %lld passed, %lld failed,%s %lld error%s; "
           "checks: %lld SUCCESS, %lld FAILURE, %lld WARNING, %lld SKIPPED, "
           "%lld INFO; %.2f s; results in %s/results.json\n",
           N(s, "scenarios"), N(s, "scenarios") == 1 ? "" : "s", N(s, "passed"),
           N(s, "failed"), skipped, N(s, "errors"),
           N(s, "errors") == 1 ? "" : "s", N(c, "SUCCESS"), N(c, "FAILURE"),
           N(c, "WARNING"), N(c, "SKIPPED"), N(c, "INFO"),
           (double)N(results, "duration_ms") / 1000.0, out);
#undef N
}

void hcon_stale(const json_t *results)
{
    const json_t *e;
    size_t i;

    json_array_foreach(
        json_object_get(json_object_get(results, "baseline"), "stale"), i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        printf("%s baseline entry %s (line %lld): %s\n",
               kind && strcmp(kind, "unknown") == 0 ? "UNKNOWN" : "STALE",
               json_string_value(json_object_get(e, "entry")),
               (long long)json_integer_value(json_object_get(e, "line")),
               json_string_value(json_object_get(e, "reason")));
    }
}
