/* The `authcheck` command line: list scenarios and checks, select and run
 * scenarios (several at once) against a client under test, judge them
 * against a baseline and write every report, re-render saved results, and
 * the headless browser. Exit status: 0 every required check passed (or
 * failed as the baseline expects), 1 a required check failed or the
 * baseline is stale, 2 usage or harness error. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/httpc.h"
#include "harness/browse.h"
#include "harness/checks.h"
#include "harness/console.h"
#include "harness/pool.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "harness/select.h"
#include "harness/serve.h"
#include "harness/server.h"
#include "reports/baseline.h"
#include "reports/reports.h"

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* --- usage ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: authcheck COMMAND [OPTIONS]\n"
            "\n"
            "Conformance harness for MCP authorization: runs an MCP OAuth\n"
            "client against mock authorization and MCP servers, scenario by\n"
            "scenario, and judges the recorded exchanges.\n"
            "\n"
            "commands:\n"
            "  list [--checks] [--scenarios DIR]\n"
            "                      list scenarios (id, spec revisions, title)\n"
            "                      or, with --checks, the check registry\n"
            "  run [OPTIONS]       run scenarios; see `authcheck run --help`\n"
            "  report OUT_DIR [--format LIST]\n"
            "                      re-render saved results; see `authcheck\n"
            "                      report --help`\n"
            "  serve --scenario ID [--interactive]\n"
            "                      run one scenario's mock servers until\n"
            "                      Ctrl-C, printing their URLs as JSON; see\n"
            "                      `authcheck serve --help`\n"
            "  server [--mcp URL] [--issuer URL] [OPTIONS]\n"
            "                      check a third-party MCP server and/or\n"
            "                      authorization server; see `authcheck\n"
            "                      server --help`\n"
            "  browse [--record FILE] URL\n"
            "                      the headless user agent: the walk `run`'s\n"
            "                      $BROWSER wrapper has the harness make in\n"
            "                      its own process (or runs, for odd calls);\n"
            "                      see `authcheck browse --help`\n"
            "  help [COMMAND]      this text, or a command's\n"
            "\n"
            "options:\n"
            "  -h, --help          this text\n"
            "  --version           print the version (also `authcheck\n"
            "                      version`)\n"
            "\n"
            "exit status: 0 success (run: every required check passed, or\n"
            "failed as the baseline expects); 1 run: a required check failed\n"
            "unexpectedly or the baseline is stale; 2 usage or harness error;\n"
            "127 a library it needed could not be loaded (named on stderr)\n");
}

static void run_usage(FILE *f)
{
    fprintf(
        f,
        "usage: authcheck run [--scenario GLOB]... [--suite NAME]...\n"
        "                     [--spec REV] [--client-cmd CMD] [-j N]\n"
        "                     [--timeout MS] [--out DIR] [--baseline FILE]\n"
        "                     [--scenarios DIR] [--keep-homes] [--strict]\n"
        "                     [--client-features LIST] [-q | -v]\n"
        "\n"
        "Runs each selected scenario (all by default): starts its mock\n"
        "servers on 127.0.0.1, runs the client as\n"
        "`/bin/sh -c 'CMD \"$1\"' sh MCP_URL` (so CMD may carry arguments\n"
        "and gets the MCP server URL as its last argument; a CMD of plain\n"
        "words naming a program by its path runs without the shell) with\n"
        "MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_PROTOCOL_VERSION,\n"
        "MCP_CONFORMANCE_CONTEXT, BROWSER, HOME and XDG_*_HOME set, then\n"
        "evaluates the scenario's checks on the recorded exchanges.\n"
        "HOME is a private directory (mkdtemp under $TMPDIR, else\n"
        "/dev/shm when it is a tmpfs, else /tmp; mode 0700)\n"
        "deleted after the scenario: the client's tokens never reach DIR.\n"
        "Writes DIR/results.json, DIR/<id>/checks.json, DIR/junit.xml,\n"
        "DIR/report.md and DIR/report.html (secrets redacted).\n"
        "\n"
        "selection (--scenario and --suite add up; --spec filters):\n"
        "  --scenario GLOB   scenarios whose id matches GLOB (fnmatch:\n"
        "                    'auth/iss-*'); repeatable\n"
        "  --suite NAME      a family (first id segment: auth, tokens, ...),\n"
        "                    official (the ids shared with the official MCP\n"
        "                    conformance suite), lifecycle, backcompat,\n"
        "                    extensions, or a spec revision; repeatable\n"
        "  --spec REV        only scenarios for revision REV (2025-03-26,\n"
        "                    2025-06-18, 2025-11-25, 2026-07-28); also\n"
        "                    passed as MCP_CONFORMANCE_PROTOCOL_VERSION\n"
        "\n"
        "options:\n"
        "  --client-cmd CMD  the client under test, a shell command\n"
        "                    (default: '<dir of authcheck>/mcp-oauth\n"
        "                    conformance', the reference client)\n"
        "  -j, --jobs N      run N scenarios at once (default: the number\n"
        "                    of CPUs, at most %d); each has its own mocks,\n"
        "                    ports and HOME\n"
        "  --timeout MS      per client run, instead of each scenario's\n"
        "                    client.timeout_ms; a client still running is\n"
        "                    killed (SIGTERM, then SIGKILL)\n"
        "  --out DIR         output directory (default: out)\n"
        "  --baseline FILE   expected failures, in the official suite's\n"
        "                    YAML form (client: [- id | - id:check]); the\n"
        "                    run passes when exactly those fail\n"
        "                    (also spelled --expected-failures FILE)\n"
        "  --scenarios DIR   scenario directory (default: "
        "$AUTHCHECK_SCENARIOS,\n"
        "                    else <dir of authcheck>/../scenarios, else\n"
        "                    ./scenarios, else PREFIX/share/authcheck/"
        "scenarios)\n"
        "  --keep-homes      keep each scenario's private HOME (it holds\n"
        "                    real tokens) and print where it is\n"
        "  --strict          a violated SHOULD (WARNING) fails the scenario\n"
        "                    and the exit status, like a violated MUST\n"
        "  --client-features LIST\n"
        "                    the optional features the client has, comma-\n"
        "                    separated (client-credentials, cimd,\n"
        "                    pre-registration, token-store, logout, dpop,\n"
        "                    wif, enterprise-managed; '' for none): a\n"
        "                    scenario needing another is not run and is\n"
        "                    reported not_applicable (default: run all)\n"
        "  -q, --quiet       print only the summary (failures included)\n"
        "  -v, --verbose     print every check, each client run and the\n"
        "                    client's output (secrets redacted); log progress\n"
        "  -h, --help        this text\n"
        "\n"
        "output: on a terminal, a live progress line (done/total, failures,\n"
        "elapsed) with failing scenarios printed above it; otherwise one\n"
        "line per finished scenario (PASS/FAIL/ERROR, in completion order).\n"
        "Then the failing scenarios with their failed checks, and a summary.\n"
        "\n"
        "verdict: every check that applies runs in every scenario (the\n"
        "baseline); a scenario's own checks are its key checks, the point\n"
        "under test, and one that could not run (the client stopped before\n"
        "it) fails the scenario.\n"
        "\n"
        "exit status: 0 every required (MUST) check passed (with --strict,\n"
        "every SHOULD too), or failed as\n"
        "the baseline expects; 1 a required check failed (not in the\n"
        "baseline) or a baseline entry is stale (now passes); 2 usage error,\n"
        "unknown suite or revision, an invalid scenario or baseline file,\n"
        "or a harness error (a scenario could not be run, results could\n"
        "not be written)\n",
        HPOOL_MAX_DEFAULT);
}

static void report_usage(FILE *f)
{
    fprintf(f, "usage: authcheck report OUT_DIR [--format LIST]\n"
               "\n"
               "Re-renders OUT_DIR/results.json (as written by authcheck\n"
               "run) into OUT_DIR. LIST (--format or -f) is comma-\n"
               "separated: json, checks, junit, md, html (default: all).\n"
               "\n"
               "exit status: 0 written; 2 usage error, missing or invalid\n"
               "results.json, or a write error\n");
}

static void list_usage(FILE *f)
{
    fprintf(f, "usage: authcheck list [--checks] [--scenarios DIR]\n"
               "                      [--scenario GLOB]... [--suite NAME]...\n"
               "                      [--spec REV]\n"
               "\n"
               "Lists the scenarios (id, spec revisions, title), validating\n"
               "each file; --scenario, --suite and --spec select as for\n"
               "authcheck run. With --checks, lists the check registry (id,\n"
               "level, spec revision, summary) instead.\n"
               "\n"
               "exit status: 0 listed; 2 usage error or an invalid scenario\n");
}

/* --- where we are --------------------------------------------------------- */

struct self {
    char exe[PATH_MAX];
    char dir[PATH_MAX];
};

static void find_self(const char *argv0, struct self *s)
{
    ssize_t n = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);
    char *slash;

    if (n > 0) {
        s->exe[n] = '\0';
    } else if (realpath(argv0, s->exe) == NULL) {
        snprintf(s->exe, sizeof(s->exe), "%s", argv0);
    }
    snprintf(s->dir, sizeof(s->dir), "%s", s->exe);
    slash = strrchr(s->dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    } else {
        snprintf(s->dir, sizeof(s->dir), ".");
    }
}

/* --- loading -------------------------------------------------------------- */

struct loaded {
    struct hs_scenario **v;
    size_t n;
};

static void loaded_free(struct loaded *l)
{
    for (size_t k = 0; k < l->n; k++) {
        hs_free(l->v[k]);
    }
    free(l->v);
}

/* --- list ----------------------------------------------------------------- */

static void print_specs(const struct hs_scenario *s)
{
    const json_t *spec = json_object_get(s->doc, "spec");
    const json_t *v;
    size_t i;
    int w = 0;

    json_array_foreach(spec, i, v)
    {
        w += printf("%s%s", i ? "," : "", json_string_value(v));
    }
    printf("%*s", w < 44 ? 44 - w : 1, "");
}

/* --- run ------------------------------------------------------------------ */

struct run_opts {
    const char **patterns; /* --scenario */
    size_t npatterns;
    const char **suites; /* --suite */
    size_t nsuites;
    const char *spec; /* --spec */
    const char *client_cmd;
    const char *out;
    const char *sdir;
    const char *baseline;
    int jobs;
    long timeout_ms;
    bool keep_homes;
    int verbosity;         /* -1 quiet, 0 normal, 1 verbose */
    bool strict;           /* --strict: a WARNING fails the scenario */
    char *features_text;   /* --client-features, owned copy split in place */
    const char **features; /* NULL-terminated names in features_text;
                              NULL: the client declared none */
};

/* --- summary -------------------------------------------------------------- */

static char *iso_time(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];

    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return strdup(buf);
}

/* Fill in the summary and the run's spec revision: --spec, else the
 * newest revision among the scenarios. */
static void summarize(json_t *results, const char *spec)
{
    json_int_t counts[5] = {0}, passed = 0, failed = 0, errors = 0, skipped = 0,
               na = 0;
    const char *newest = spec;
    const json_t *res;
    size_t i;

    json_array_foreach(json_object_get(results, "scenarios"), i, res)
    {
        const char *st = json_string_value(json_object_get(res, "status"));
        const json_t *revs = json_object_get(res, "spec");
        hcon_count_checks(res, counts);
        passed += strcmp(st, "passed") == 0;
        failed += strcmp(st, "failed") == 0;
        errors += strcmp(st, "error") == 0;
        skipped += strcmp(st, "skipped") == 0;
        na += strcmp(st, "not_applicable") == 0;
        for (size_t k = 0; spec == NULL && k < json_array_size(revs); k++) {
            const char *r = json_string_value(json_array_get(revs, k));
            if (r && (newest == NULL || strcmp(r, newest) > 0)) {
                newest = r;
            }
        }
    }
    json_object_set_new(results, "spec",
                        newest ? json_string(newest) : json_null());
    json_object_set_new(
        results, "summary",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, "
                  "s:{s:I, s:I, s:I, s:I, s:I}}",
                  "scenarios", passed + failed + errors + skipped + na,
                  "passed", passed, "failed", failed, "errors", errors,
                  "skipped", skipped, "not_applicable", na, "checks", "SUCCESS",
                  counts[0], "FAILURE", counts[1], "WARNING", counts[2],
                  "SKIPPED", counts[3], "INFO", counts[4]));
}

/* Without a baseline: 2 if any scenario is an error, else 1 if any
 * failed, else 0. */
static int plain_verdict(const json_t *results)
{
    const json_t *s = json_object_get(results, "summary");

    if (json_integer_value(json_object_get(s, "errors")) > 0) {
        return EXIT_USAGE;
    }
    return json_integer_value(json_object_get(s, "failed")) > 0 ? EXIT_FAIL
                                                                : EXIT_PASS;
}

/* --- options -------------------------------------------------------------- */

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

/* --client-features LIST: comma-separated names of hs_feature_names;
 * empty items are ignored, so '' claims none. */
static bool parse_features(const char *list, struct run_opts *o)
{
    size_t n = 0;
    char *save = NULL;

    free(o->features);
    free(o->features_text);
    o->features_text = strdup(list);
    o->features = calloc(strlen(list) / 2 + 2, sizeof(*o->features));
    if (o->features_text == NULL || o->features == NULL) {
        fprintf(stderr, "authcheck: out of memory\n");
        return false;
    }
    for (char *t = strtok_r(o->features_text, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (hs_feature_names[k] != NULL &&
               strcmp(hs_feature_names[k], t) != 0) {
            k++;
        }
        if (hs_feature_names[k] == NULL) {
            fprintf(stderr,
                    "authcheck run: unknown client feature \"%s\" (one of "
                    "client-credentials, cimd, pre-registration, "
                    "token-store, logout, dpop, wif, enterprise-managed)\n",
                    t);
            return false;
        }
        o->features[n++] = t;
    }
    return true;
}

static bool run_option(int c, struct run_opts *o)
{
    long v;

    switch (c) {
    case 'S':
        o->patterns[o->npatterns++] = optarg;
        return true;
    case 'U':
        o->suites[o->nsuites++] = optarg;
        return true;
    case 'R':
        o->spec = optarg;
        return true;
    case 'c':
        o->client_cmd = optarg;
        return true;
    case 'o':
        o->out = optarg;
        return true;
    case 's':
        o->sdir = optarg;
        return true;
    case 'B':
        o->baseline = optarg;
        return true;
    case 'K':
        o->keep_homes = true;
        return true;
    case 'X':
        o->strict = true;
        return true;
    case 'F':
        return parse_features(optarg, o);
    case 'q':
        o->verbosity = -1;
        return true;
    case 'v':
        o->verbosity = 1;
        return true;
    case 'j':
        if (!parse_long(optarg, 1, 256, &v)) {
            fprintf(stderr, "authcheck run: -j wants 1..256, not %s\n", optarg);
            return false;
        }
        o->jobs = (int)v;
        return true;
    case 'T':
        if (!parse_long(optarg, 100, 3600000, &v)) {
            fprintf(stderr,
                    "authcheck run: --timeout wants 100..3600000 ms, not %s\n",
                    optarg);
            return false;
        }
        o->timeout_ms = v;
        return true;
    default:
        run_usage(stderr);
        return false;
    }
}

static bool parse_run(int argc, char **argv, struct run_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"scenario", required_argument, NULL, 'S'},
        {"suite", required_argument, NULL, 'U'},
        {"spec", required_argument, NULL, 'R'},
        {"client-cmd", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"scenarios", required_argument, NULL, 's'},
        {"baseline", required_argument, NULL, 'B'},
        {"expected-failures", required_argument, NULL, 'B'},
        {"keep-homes", no_argument, NULL, 'K'},
        {"strict", no_argument, NULL, 'X'},
        {"client-features", required_argument, NULL, 'F'},
        {"jobs", required_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    *rc = EXIT_USAGE;
    o->patterns = calloc((size_t)argc + 1, sizeof(*o->patterns));
    o->suites = calloc((size_t)argc + 1, sizeof(*o->suites));
    o->out = "out";
    o->jobs = hpool_default_jobs();
    if (o->patterns == NULL || o->suites == NULL) {
        fprintf(stderr, "authcheck: out of memory\n");
        return false;
    }
    while ((c = getopt_long(argc, argv, "qvhj:", opts, NULL)) != -1) {
        if (c == 'h') {
            run_usage(stdout);
            *rc = EXIT_PASS;
            return false;
        }
        if (!run_option(c, o)) {
            return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "authcheck run: unexpected argument %s\n",
                argv[optind]);
        run_usage(stderr);
        return false;
    }
    if (o->client_cmd != NULL && o->client_cmd[0] == '\0') {
        fprintf(stderr, "authcheck run: --client-cmd is empty\n");
        return false;
    }
    if (o->spec != NULL && !hsel_spec_known(o->spec)) {
        fprintf(stderr,
                "authcheck run: unknown spec revision \"%s\" (one of "
                "2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28)\n",
                o->spec);
        return false;
    }
    return true;
}

/* --- selection ------------------------------------------------------------ */

/* Every --suite must name a family, a named suite or a revision. */
static bool suites_known(const struct run_opts *o, char **files)
{
    bool ok = true;

    for (size_t k = 0; k < o->nsuites; k++) {
        if (!hsel_suite_known(o->suites[k], files)) {
            fprintf(stderr,
                    "authcheck: unknown suite \"%s\" (a family such as "
                    "auth, official, lifecycle, backcompat, or a spec "
                    "revision; see authcheck list)\n",
                    o->suites[k]);
            ok = false;
        }
    }
    return ok;
}

static bool report_misses(const struct run_opts *o, const struct hsel *sel,
                          const char *dir)
{
    bool ok = true;

    for (size_t k = 0; k < o->npatterns; k++) {
        if (!sel->pattern_hit[k]) {
            fprintf(stderr,
                    "authcheck: no scenario \"%s\" in %s (see authcheck "
                    "list)\n",
                    o->patterns[k], dir);
            ok = false;
        }
    }
    return ok;
}

/* Load and validate the selected scenarios (sorted by id). Only files the
 * selection may need are loaded; every invalid one is reported. False
 * when one is invalid, a pattern matches nothing, a suite is unknown or
 * nothing is selected. */
static bool load_selected(const char *dir, const struct run_opts *o,
                          struct loaded *out)
{
    char **files = NULL;
    size_t n = 0;
    struct hsel sel = {o->patterns, o->npatterns, o->suites, o->nsuites,
                       o->spec,     NULL,         NULL};
    struct ac_err err;
    bool ok;

    memset(out, 0, sizeof(*out));
    if (!hs_discover(dir, &files, &n, &err)) {
        fprintf(stderr, "authcheck: scenarios: %s\n", err.msg);
        return false;
    }
    sel.pattern_hit = calloc(o->npatterns + 1, sizeof(bool));
    sel.suite_hit = calloc(o->nsuites + 1, sizeof(bool));
    out->v = calloc(n + 1, sizeof(*out->v));
    ok = sel.pattern_hit && sel.suite_hit && out->v;
    if (!ok) {
        fprintf(stderr, "authcheck: out of memory\n");
    }
    ok = ok && suites_known(o, files);
    for (size_t k = 0; ok && k < n; k++) {
        struct hs_scenario *s;
        if (!hsel_maybe(&sel, files[k])) {
            continue;
        }
        if (!hs_load(dir, files[k], &s, &err)) {
            fprintf(stderr, "authcheck: %s\n", err.msg);
            ok = false;
            continue;
        }
        if (hsel_match(&sel, s)) {
            out->v[out->n++] = s;
        } else {
            hs_free(s);
        }
    }
    ok = ok && report_misses(o, &sel, dir);
    if (ok && out->n == 0) {
        fprintf(stderr, "authcheck: no scenarios selected in %s\n", dir);
        ok = false;
    }
    hs_list_free(files);
    free(sel.pattern_hit);
    free(sel.suite_hit);
    return ok;
}

static void run_opts_free(struct run_opts *o)
{
    free(o->patterns);
    free(o->suites);
    free(o->features);
    free(o->features_text);
}

/* --- list (selection shared with run) ------------------------------------ */

static void list_checks(void)
{
    size_t n;
    const struct hc_check *reg = hc_registry(&n);

    for (size_t k = 0; k < n; k++) {
        printf("%-40s %-6s %-10s %s\n", reg[k].id, hc_level_name(reg[k].level),
               reg[k].spec, reg[k].summary);
    }
    /* The server-side checks (authcheck server) follow. */
    reg = hsv_registry(&n);
    for (size_t k = 0; k < n; k++) {
        printf("%-40s %-6s %-10s [server] %s\n", reg[k].id,
               hc_level_name(reg[k].level), reg[k].spec, reg[k].summary);
    }
}

static int cmd_list(int argc, char **argv, const struct self *self)
{
    static const struct option opts[] = {
        {"checks", no_argument, NULL, 'c'},
        {"scenarios", required_argument, NULL, 's'},
        {"scenario", required_argument, NULL, 'S'},
        {"suite", required_argument, NULL, 'U'},
        {"spec", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct run_opts o = {0};
    bool checks = false;
    struct loaded l = {0};
    char *dir = NULL;
    int c, rc = EXIT_USAGE;

    o.patterns = calloc((size_t)argc + 1, sizeof(*o.patterns));
    o.suites = calloc((size_t)argc + 1, sizeof(*o.suites));
    if (o.patterns == NULL || o.suites == NULL) {
        goto out;
    }
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'c') {
            checks = true;
        } else if (c == 'h') {
            list_usage(stdout);
            rc = EXIT_PASS;
            goto out;
        } else if (c == '?' || !run_option(c, &o)) {
            list_usage(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "authcheck list: unexpected argument %s\n",
                argv[optind]);
        goto out;
    }
    if (o.spec != NULL && !hsel_spec_known(o.spec)) {
        fprintf(stderr, "authcheck list: unknown spec revision \"%s\"\n",
                o.spec);
        goto out;
    }
    if (checks) {
        list_checks();
        rc = EXIT_PASS;
        goto out;
    }
    dir = hs_scenario_dir(o.sdir, self->dir);
    if (dir == NULL || !load_selected(dir, &o, &l)) {
        goto out;
    }
    for (size_t k = 0; k < l.n; k++) {
        printf("%-40s ", l.v[k]->id);
        print_specs(l.v[k]);
        printf(" %s\n", l.v[k]->title);
    }
    rc = EXIT_PASS;
out:
    loaded_free(&l);
    free(dir);
    run_opts_free(&o);
    return rc;
}

/* --- running -------------------------------------------------------------- */

static json_t *string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();

    for (size_t k = 0; a != NULL && k < n; k++) {
        json_array_append_new(a, json_string(v[k]));
    }
    return a;
}

static json_t *new_results(const struct run_opts *o, const char *cmd)
{
    char *started = iso_time(ac_now());
    size_t nf = 0;
    json_t *r;

    while (o->features != NULL && o->features[nf] != NULL) {
        nf++;
    }
    /* "mode": how the verdicts were reached (docs/RESULTS.md). */
    r = json_pack("{s:s, s:s, s:n, s:s, s:s?, s:I, s:i, s:{s:o, s:o, s:s?}, "
                  "s:{s:b, s:o}, s:[]}",
                  "tool", "authcheck", "version", AUTHCHECK_VERSION, "spec",
                  "client_command", cmd, "started_at", started, "duration_ms",
                  (json_int_t)0, "jobs", o->jobs, "selection", "scenarios",
                  string_array(o->patterns, o->npatterns), "suites",
                  string_array(o->suites, o->nsuites), "spec", o->spec, "mode",
                  "strict", o->strict, "client_features",
                  o->features != NULL ? string_array(o->features, nf)
                                      : json_null(),
                  "scenarios");

    free(started);
    return r;
}

static int by_id(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

    return strcmp(json_string_value(json_object_get(x, "id")),
                  json_string_value(json_object_get(y, "id")));
}

/* Results in id order whatever the completion order was. */
static void sort_scenarios(json_t *results)
{
    json_t *arr = json_object_get(results, "scenarios");
    size_t n = json_array_size(arr);
    json_t **v = calloc(n + 1, sizeof(*v));
    json_t *sorted = json_array();

    if (v == NULL || sorted == NULL) {
        free(v);
        json_decref(sorted);
        return; /* out of memory: input order, already by file name */
    }
    for (size_t k = 0; k < n; k++) {
        v[k] = json_array_get(arr, k);
    }
    qsort(v, n, sizeof(*v), by_id);
    for (size_t k = 0; k < n; k++) {
        json_array_append(sorted, v[k]);
    }
    json_object_set_new(results, "scenarios", sorted);
    free(v);
}

static void on_interrupt(int sig)
{
    (void)sig;
    hr_cancel();
}

/* Ctrl-C (or SIGTERM, SIGHUP) stops the run cleanly: running clients are
 * killed, work directories holding tokens are removed, nothing new starts.
 * A second one kills authcheck at once (SA_RESETHAND). */
static void catch_interrupts(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Run everything through the pool, reporting progress as scenarios end. */
static bool run_pool(const struct run_opts *o, const struct loaded *l,
                     const struct hr_options *ho, json_t *results,
                     json_t *secrets)
{
    struct hcon_progress pr;
    struct ac_err err;
    struct hr_pool *pool = hpool_start(l->v, l->n, ho, o->jobs, &err);
    long idx;
    const json_t *res;

    if (pool == NULL) {
        fprintf(stderr, "authcheck: %s\n", err.msg);
        return false;
    }
    hcon_progress_init(&pr, l->n, o->verbosity);
    hcon_progress_draw(&pr);
    while ((idx = hpool_next(pool, pr.tty ? 250 : -1, &res, secrets)) != -2) {
        if (idx >= 0 && res != NULL) {
            hcon_progress_done(&pr, res, secrets);
        } else if (idx >= 0) {
            fprintf(stderr, "authcheck: %s: out of memory\n", l->v[idx]->id);
        } else {
            hcon_progress_draw(&pr);
        }
    }
    hcon_progress_clear(&pr);
    if (hr_cancelled()) {
        fprintf(stderr, "authcheck: interrupted; no results written\n");
    }
    hpool_finish(pool, json_object_get(results, "scenarios"));
    sort_scenarios(results);
    return json_array_size(json_object_get(results, "scenarios")) == l->n;
}

/* The exit status with a baseline: 2 on a harness error, else the
 * baseline's verdict (1 for an unexpected failure or a stale entry). */
static int baseline_verdict(json_t *results, const struct rp_baseline *b,
                            const struct run_opts *o)
{
    unsigned flags =
        o->npatterns || o->nsuites || o->spec ? RP_BASELINE_SUBSET : 0;
    struct rp_baseline_outcome bo;
    struct ac_err err;
    int rc = plain_verdict(results);

    if (!rp_baseline_apply(results, b, RP_BASELINE_CLIENT, flags, &bo, &err)) {
        fprintf(stderr, "authcheck: baseline: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (o->verbosity >= 0 || bo.exit_code != 0) {
        printf("baseline %s: %zu expected failure%s, %zu unexpected, %zu "
               "stale entr%s, %zu unknown\n",
               o->baseline, bo.expected, bo.expected == 1 ? "" : "s",
               bo.unexpected, bo.stale, bo.stale == 1 ? "y" : "ies",
               bo.unknown);
    }
    return rc == EXIT_USAGE ? EXIT_USAGE : bo.exit_code;
}

/* Milliseconds since `t0` (ac_mono_ns). */
static double ms_since(int64_t t0)
{
    return (double)(ac_mono_ns() - t0) / 1e6;
}

/* -v: where a run's wall time went (docs/PERFORMANCE.md): main()'s
 * start, loading the scenarios, then the runs and the reports. The
 * process start before main() (exec, dynamic linking) is not in it. */
static int64_t t_main, t_load_start, t_loaded;

static int run_all(const struct run_opts *o, const struct loaded *l,
                   const struct rp_baseline *bl, const struct self *self)
{
    struct hr_options ho = {o->client_cmd,    self->exe,     NULL,
                            o->verbosity > 0, o->keep_homes, o->spec,
                            o->timeout_ms,    o->strict,     o->features};
    char *def = o->client_cmd ? NULL : hr_default_client_cmd(self->exe);
    json_t *results = new_results(o, o->client_cmd ? o->client_cmd : def);
    json_t *secrets = json_array();
    int64_t start = ac_mono_ns();
    struct ac_err err;
    int rc = EXIT_USAGE;

    if (results == NULL || secrets == NULL) {
        fprintf(stderr, "authcheck: out of memory\n");
        goto out;
    }
    catch_interrupts();
    if (!run_pool(o, l, &ho, results, secrets) || hr_cancelled()) {
        goto out;
    }
    json_object_set_new(results, "duration_ms",
                        json_integer((ac_mono_ns() - start) / 1000000));
    summarize(results, o->spec);
    rc = bl ? baseline_verdict(results, bl, o) : plain_verdict(results);
    hcon_failures(results);
    hcon_stale(results);
    hcon_summary(results, o->out);
    for (size_t k = 0; k < l->n; k++) {
        hr_remove_legacy(o->out, l->v[k]->id);
    }
    int64_t t_reports = ac_mono_ns();
    double runs_ms = (double)(t_reports - start) / 1e6;
    /* The pool redacted each scenario as it ended (hpool_next). */
    if (!rp_write_in_place(
            results, secrets, o->out,
            RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML, &err)) {
        fprintf(stderr, "authcheck: writing results: %s\n", err.msg);
        rc = EXIT_USAGE;
    }
    if (o->verbosity > 0) {
        fprintf(stderr,
                "timing: start-up %.1f ms, loading %.1f ms, scenarios %.1f "
                "ms, reports %.1f ms, total %.1f ms (-j %d)\n",
                (double)(t_load_start - t_main) / 1e6,
                (double)(t_loaded - t_load_start) / 1e6, runs_ms,
                ms_since(t_reports), ms_since(t_main), o->jobs);
    }
out:
    json_decref(results);
    json_decref(secrets);
    free(def);
    return rc;
}

static int cmd_run(int argc, char **argv, const struct self *self)
{
    struct run_opts o = {0};
    struct loaded l = {0};
    struct rp_baseline *bl = NULL;
    struct ac_err err;
    char *dir = NULL;
    int rc;

    if (!parse_run(argc, argv, &o, &rc)) {
        run_opts_free(&o);
        return rc;
    }
    if (o.verbosity > 0) {
        ac_log_set_level(AC_LOG_INFO);
    }
    if (o.baseline != NULL &&
        (bl = rp_baseline_load(o.baseline, &err)) == NULL) {
        fprintf(stderr, "authcheck: baseline: %s\n", err.msg);
        run_opts_free(&o);
        return EXIT_USAGE;
    }
    /* Before any thread: the mocks fetch client metadata documents with
     * libcurl (mocks/as.c) from several worlds at once. */
    if (!ac_http_global_init(&err)) {
        fprintf(stderr, "authcheck: %s\n", err.msg);
        rp_baseline_free(bl);
        run_opts_free(&o);
        return EXIT_USAGE;
    }
    dir = hs_scenario_dir(o.sdir, self->dir);
    t_load_start = ac_mono_ns();
    if (dir == NULL || !load_selected(dir, &o, &l)) {
        rc = EXIT_USAGE;
    } else {
        t_loaded = ac_mono_ns();
        rc = run_all(&o, &l, bl, self);
    }
    rp_baseline_free(bl);
    loaded_free(&l);
    free(dir);
    run_opts_free(&o);
    return rc;
}

/* --- report --------------------------------------------------------------- */

static int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    unsigned formats = RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML;
    struct ac_err err;
    int c;

    while ((c = getopt_long(argc, argv, "hf:", opts, NULL)) != -1) {
        if (c == 'f') {
            if (!rp_parse_formats(optarg, &formats, &err)) {
                fprintf(stderr, "authcheck report: %s\n", err.msg);
                return EXIT_USAGE;
            }
        } else if (c == 'h') {
            report_usage(stdout);
            return EXIT_PASS;
        } else {
            report_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        report_usage(stderr);
        return EXIT_USAGE;
    }
    if (!rp_render_dir(argv[optind], formats, &err)) {
        fprintf(stderr, "authcheck report: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return EXIT_PASS;
}

/* --- main ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct self self;
    const char *cmd = argc > 1 ? argv[1] : NULL;

    /* A client closing its end early must not kill the harness; children
     * get SIGPIPE back at its default (runner.c). */
    t_main = ac_mono_ns();
    signal(SIGPIPE, SIG_IGN);
    find_self(argv[0], &self);
    if (cmd == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("authcheck %s\n", AUTHCHECK_VERSION);
        return EXIT_PASS;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        const char *topic =
            strcmp(cmd, "help") == 0 && argc > 2 ? argv[2] : NULL;
        if (topic != NULL && strcmp(topic, "run") == 0) {
            run_usage(stdout);
        } else if (topic != NULL && strcmp(topic, "list") == 0) {
            list_usage(stdout);
        } else if (topic != NULL && strcmp(topic, "report") == 0) {
            report_usage(stdout);
        } else if (topic != NULL && strcmp(topic, "browse") == 0) {
            hb_usage(stdout);
        } else if (topic != NULL && strcmp(topic, "server") == 0) {
            char *help_argv[] = {"server", "--help", NULL};
            return hsv_main(2, help_argv);
        } else if (topic != NULL && strcmp(topic, "serve") == 0) {
            char *help_argv[] = {"serve", "--help", NULL};
            return hserve_main(2, help_argv);
        } else {
            usage(stdout);
        }
        return EXIT_PASS;
    }
    /* list and report draw no random bytes, so they do not initialise
     * OpenSSL for nothing (~0.3 ms). */
    if (strcmp(cmd, "list") == 0) {
        return cmd_list(argc - 1, argv + 1, &self);
    }
    if (strcmp(cmd, "report") == 0) {
        return cmd_report(argc - 1, argv + 1);
    }
    /* Every command below may draw random bytes (the mocks' codes and
     * tokens, the server checks' states and verifiers). */
    (void)ac_crypto_prefer_hash_drbg(); /* OpenSSL's default stays if not */
    if (strcmp(cmd, "run") == 0) {
        return cmd_run(argc - 1, argv + 1, &self);
    }
    if (strcmp(cmd, "browse") == 0) {
        return hb_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "serve") == 0) {
        return hserve_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "server") == 0) {
        return hsv_main(argc - 1, argv + 1);
    }
    fprintf(stderr, "authcheck: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
