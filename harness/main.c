/* The `authcheck` command line: list scenarios and checks, run scenarios
 * against a client under test and write the results, and the headless
 * browser. Exit status: 0 all scenarios passed, 1 a required check failed,
 * 2 usage or harness error. */
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
#include "common/err.h"
#include "common/redact.h"
#include "harness/browse.h"
#include "harness/checks.h"
#include "harness/runner.h"
#include "harness/scenario.h"
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
            "  browse [--record FILE] URL\n"
            "                      the headless user agent given to clients\n"
            "                      as $BROWSER; see `authcheck browse --help`\n"
            "  help [COMMAND]      this text, or a command's\n"
            "\n"
            "options:\n"
            "  -h, --help          this text\n"
            "  --version           print the version\n"
            "\n"
            "exit status: 0 success (run: every scenario passed); 1 run: a\n"
            "required check failed; 2 usage or harness error\n");
}

static void run_usage(FILE *f)
{
    fprintf(
        f,
        "usage: authcheck run [--scenario ID]... [--client-cmd CMD]\n"
        "                     [--out DIR] [--scenarios DIR] [-q] [-v]\n"
        "\n"
        "Runs each scenario: starts its mock servers on 127.0.0.1, runs the\n"
        "client as `/bin/sh -c 'CMD \"$1\"' sh MCP_URL` (so CMD may carry\n"
        "arguments and gets the MCP server URL as its last argument) with\n"
        "MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_PROTOCOL_VERSION,\n"
        "MCP_CONFORMANCE_CONTEXT, BROWSER, HOME and XDG_*_HOME set, then\n"
        "evaluates the scenario's checks on the recorded exchanges.\n"
        "Prints one line per scenario and a summary; writes\n"
        "DIR/results.json (secrets redacted). Each scenario gets\n"
        "DIR/<id>/ holding the client's HOME (fresh each run) and the\n"
        "$BROWSER wrapper.\n"
        "\n"
        "options:\n"
        "  --scenario ID     run only this scenario (repeatable; default\n"
        "                    all, in id order)\n"
        "  --client-cmd CMD  the client under test, a shell command\n"
        "                    (default: '<dir of authcheck>/mcp-oauth\n"
        "                    conformance', the reference client)\n"
        "  --out DIR         output directory (default: out)\n"
        "  --scenarios DIR   scenario directory (default: "
        "$AUTHCHECK_SCENARIOS,\n"
        "                    else <dir of authcheck>/../scenarios, else\n"
        "                    ./scenarios, else PREFIX/share/authcheck/"
        "scenarios)\n"
        "  -q, --quiet       print only failing scenarios and the summary\n"
        "  -v, --verbose     print every check, each client run and the\n"
        "                    client's output (secrets redacted); log progress\n"
        "  -h, --help        this text\n"
        "\n"
        "exit status: 0 every scenario passed; 1 a required (MUST) check\n"
        "failed; 2 usage error, an invalid scenario file, or a harness error\n"
        "(a scenario could not be run, results could not be written)\n");
}

static void list_usage(FILE *f)
{
    fprintf(f, "usage: authcheck list [--checks] [--scenarios DIR]\n"
               "\n"
               "Lists the scenarios (id, spec revisions, title), validating\n"
               "each file; with --checks, lists the check registry (id,\n"
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

static bool wanted(const char *rel, char **ids, size_t nids, bool *seen)
{
    size_t rl = strlen(rel) - 5; /* without ".json" */

    if (nids == 0) {
        return true;
    }
    for (size_t k = 0; k < nids; k++) {
        if (strlen(ids[k]) == rl && strncmp(ids[k], rel, rl) == 0) {
            seen[k] = true;
            return true;
        }
    }
    return false;
}

/* Load the scenarios (all, or those named); every invalid file is
 * reported. Returns false when any was invalid or named one is missing. */
static bool load_all(const char *dir, char **ids, size_t nids,
                     struct loaded *out)
{
    char **files = NULL;
    size_t n = 0;
    bool *seen = calloc(nids + 1, sizeof(*seen));
    bool ok = seen != NULL;
    struct ac_err err;

    memset(out, 0, sizeof(*out));
    if (!ok || !hs_discover(dir, &files, &n, &err)) {
        fprintf(stderr, "authcheck: scenarios: %s\n",
                ok ? err.msg : "out of memory");
        free(seen);
        return false;
    }
    out->v = calloc(n + 1, sizeof(*out->v));
    for (size_t k = 0; out->v != NULL && k < n; k++) {
        struct hs_scenario *s;
        if (!wanted(files[k], ids, nids, seen)) {
            continue;
        }
        if (!hs_load(dir, files[k], &s, &err)) {
            fprintf(stderr, "authcheck: %s\n", err.msg);
            ok = false;
            continue;
        }
        out->v[out->n++] = s;
    }
    for (size_t k = 0; k < nids; k++) {
        if (!seen[k]) {
            fprintf(stderr,
                    "authcheck: no scenario \"%s\" in %s (see authcheck "
                    "list)\n",
                    ids[k], dir);
            ok = false;
        }
    }
    if (out->v == NULL) {
        fprintf(stderr, "authcheck: out of memory\n");
        ok = false;
    }
    if (ok && out->n == 0) {
        fprintf(stderr, "authcheck: no scenarios in %s\n", dir);
        ok = false;
    }
    hs_list_free(files);
    free(seen);
    return ok;
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

static int cmd_list(int argc, char **argv, const struct self *self)
{
    static const struct option opts[] = {
        {"checks", no_argument, NULL, 'c'},
        {"scenarios", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *sdir = NULL;
    bool checks = false;
    struct loaded l;
    char *dir;
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'c') {
            checks = true;
        } else if (c == 's') {
            sdir = optarg;
        } else if (c == 'h') {
            list_usage(stdout);
            return EXIT_PASS;
        } else {
            list_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "authcheck list: unexpected argument %s\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (checks) {
        size_t n;
        const struct hc_check *reg = hc_registry(&n);
        for (size_t k = 0; k < n; k++) {
            printf("%-40s %-6s %-10s %s\n", reg[k].id,
                   hc_level_name(reg[k].level), reg[k].spec, reg[k].summary);
        }
        return EXIT_PASS;
    }
    dir = hs_scenario_dir(sdir, self->dir);
    if (dir == NULL || !load_all(dir, NULL, 0, &l)) {
        free(dir);
        return EXIT_USAGE;
    }
    for (size_t k = 0; k < l.n; k++) {
        printf("%-40s ", l.v[k]->id);
        print_specs(l.v[k]);
        printf(" %s\n", l.v[k]->title);
    }
    loaded_free(&l);
    free(dir);
    return EXIT_PASS;
}

/* --- run ------------------------------------------------------------------ */

struct run_opts {
    char **ids;
    size_t nids;
    const char *client_cmd;
    const char *out;
    const char *sdir;
    int verbosity; /* -1 quiet, 0 normal, 1 verbose */
};

static const char *const status_names[] = {"SUCCESS", "FAILURE", "WARNING",
                                           "SKIPPED", "INFO"};

static void count_checks(const json_t *res, json_int_t counts[5])
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
        printf("  %-7s %s: %s\n", st,
               json_string_value(json_object_get(c, "id")),
               json_string_value(json_object_get(c, "message")));
    }
}

static void print_scenario(const json_t *res, const struct run_opts *o,
                           const json_t *secrets)
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
    } else {
        bool passed = strcmp(st, "passed") == 0;
        if (passed && o->verbosity < 0) {
            return;
        }
        count_checks(res, counts);
        printf("%s %s (%lld/%zu checks%s, %.2f s)\n", passed ? "PASS" : "FAIL",
               id, (long long)counts[0],
               json_array_size(json_object_get(res, "checks")),
               counts[2] ? ", warnings" : "", secs);
        print_checks(res, o->verbosity > 0);
    }
    if (o->verbosity > 0 || strcmp(st, "passed") != 0) {
        if (o->verbosity > 0) {
            print_runs(res, secrets);
        }
    }
    fflush(stdout);
}

static char *iso_time(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];

    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return strdup(buf);
}

/* Fill in the summary and the newest spec revision of the run. */
static void summarize(json_t *results, int *worst)
{
    json_int_t counts[5] = {0}, passed = 0, failed = 0, errors = 0;
    const char *newest = NULL;
    const json_t *res;
    size_t i;

    json_array_foreach(json_object_get(results, "scenarios"), i, res)
    {
        const char *st = json_string_value(json_object_get(res, "status"));
        const json_t *spec = json_object_get(res, "spec");
        const char *last =
            json_string_value(json_array_get(spec, json_array_size(spec) - 1));
        count_checks(res, counts);
        passed += strcmp(st, "passed") == 0;
        failed += strcmp(st, "failed") == 0;
        errors += strcmp(st, "error") == 0;
        for (size_t k = 0; k < json_array_size(spec); k++) {
            last = json_string_value(json_array_get(spec, k));
            if (last && (newest == NULL || strcmp(last, newest) > 0)) {
                newest = last;
            }
        }
    }
    json_object_set_new(results, "spec",
                        newest ? json_string(newest) : json_null());
    json_object_set_new(
        results, "summary",
        json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}}",
                  "scenarios", passed + failed + errors, "passed", passed,
                  "failed", failed, "errors", errors, "checks", "SUCCESS",
                  counts[0], "FAILURE", counts[1], "WARNING", counts[2],
                  "SKIPPED", counts[3], "INFO", counts[4]));
    *worst = errors ? EXIT_USAGE : failed ? EXIT_FAIL : EXIT_PASS;
}

static void print_summary(const json_t *results, const char *out)
{
    const json_t *s = json_object_get(results, "summary");
    const json_t *c = json_object_get(s, "checks");

#define N(o, k) ((long long)json_integer_value(json_object_get((o), (k))))
    printf("%lld scenario%s: %lld passed, %lld failed, %lld error%s; "
           "checks: %lld SUCCESS, %lld FAILURE, %lld WARNING, %lld SKIPPED, "
           "%lld INFO; %.2f s; results in %s/results.json\n",
           N(s, "scenarios"), N(s, "scenarios") == 1 ? "" : "s", N(s, "passed"),
           N(s, "failed"), N(s, "errors"), N(s, "errors") == 1 ? "" : "s",
           N(c, "SUCCESS"), N(c, "FAILURE"), N(c, "WARNING"), N(c, "SKIPPED"),
           N(c, "INFO"), (double)N(results, "duration_ms") / 1000.0, out);
#undef N
}

static bool parse_run(int argc, char **argv, struct run_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"scenario", required_argument, NULL, 'S'},
        {"client-cmd", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"scenarios", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    o->ids = calloc((size_t)argc + 1, sizeof(*o->ids));
    o->out = "out";
    while (o->ids != NULL &&
           (c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'S':
            o->ids[o->nids++] = optarg;
            break;
        case 'c':
            o->client_cmd = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 's':
            o->sdir = optarg;
            break;
        case 'q':
            o->verbosity = -1;
            break;
        case 'v':
            o->verbosity = 1;
            break;
        case 'h':
            run_usage(stdout);
            *rc = EXIT_PASS;
            return false;
        default:
            run_usage(stderr);
            *rc = EXIT_USAGE;
            return false;
        }
    }
    *rc = EXIT_USAGE;
    if (o->ids == NULL) {
        fprintf(stderr, "authcheck: out of memory\n");
        return false;
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
    return true;
}

static json_t *new_results(const char *cmd)
{
    char *started = iso_time(ac_now());
    json_t *r = json_pack("{s:s, s:s, s:n, s:s, s:s?, s:I, s:[]}", "tool",
                          "authcheck", "version", AUTHCHECK_VERSION, "spec",
                          "client_command", cmd, "started_at", started,
                          "duration_ms", (json_int_t)0, "scenarios");
    free(started);
    return r;
}

static int run_all(const struct run_opts *o, const struct loaded *l,
                   const struct self *self)
{
    struct hr_options ho = {o->client_cmd, self->exe, o->out, o->verbosity > 0};
    char *def = o->client_cmd ? NULL : hr_default_client_cmd(self->exe);
    json_t *results = new_results(o->client_cmd ? o->client_cmd : def);
    json_t *secrets = json_array();
    int64_t start = ac_mono_ns();
    struct ac_err err;
    int rc = EXIT_USAGE;

    if (results == NULL || secrets == NULL) {
        fprintf(stderr, "authcheck: out of memory\n");
        goto out;
    }
    for (size_t k = 0; k < l->n; k++) {
        json_t *res = hr_run_scenario(l->v[k], &ho, secrets);
        if (res == NULL) {
            fprintf(stderr, "authcheck: out of memory\n");
            goto out;
        }
        print_scenario(res, o, secrets);
        json_array_append_new(json_object_get(results, "scenarios"), res);
    }
    json_object_set_new(results, "duration_ms",
                        json_integer((ac_mono_ns() - start) / 1000000));
    summarize(results, &rc);
    print_summary(results, o->out);
    if (!rp_write(results, secrets, o->out, RP_JSON, &err)) {
        fprintf(stderr, "authcheck: writing results: %s\n", err.msg);
        rc = EXIT_USAGE;
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
    char *dir = NULL;
    int rc;

    if (!parse_run(argc, argv, &o, &rc)) {
        free(o.ids);
        return rc;
    }
    if (o.verbosity > 0) {
        ac_log_set_level(AC_LOG_INFO);
    }
    dir = hs_scenario_dir(o.sdir, self->dir);
    if (dir == NULL || !load_all(dir, o.ids, o.nids, &l)) {
        rc = EXIT_USAGE;
    } else {
        rc = run_all(&o, &l, self);
    }
    loaded_free(&l);
    free(dir);
    free(o.ids);
    return rc;
}

/* --- main ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct self self;
    const char *cmd = argc > 1 ? argv[1] : NULL;

    /* A client closing its end early must not kill the harness; children
     * get SIGPIPE back at its default (runner.c). */
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
        } else if (topic != NULL && strcmp(topic, "browse") == 0) {
            hb_usage(stdout);
        } else {
            usage(stdout);
        }
        return EXIT_PASS;
    }
    if (strcmp(cmd, "list") == 0) {
        return cmd_list(argc - 1, argv + 1, &self);
    }
    if (strcmp(cmd, "run") == 0) {
        return cmd_run(argc - 1, argv + 1, &self);
    }
    if (strcmp(cmd, "browse") == 0) {
        return hb_main(argc - 1, argv + 1);
    }
    fprintf(stderr, "authcheck: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
