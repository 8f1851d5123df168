/* libFuzzer target: every check of the registry (harness/checks*.c) on a
 * hostile transcript. Transcripts hold what the client under test sent,
 * byte for byte (headers, bodies, query strings, Mcp-Param values the
 * checks decode), so they are input from outside like any other. The
 * input is a canned case as in tests/data/transcripts/: {"scenario": ...,
 * "runs": [{"exit_code", "signal", "timed_out"}], "transcript": [...]}.
 * The scenario goes through the validator first (checks are only ever
 * given validated scenarios); when it does not validate, a fixed one is
 * used. Properties: every check gives a known status, a one-line message
 * and at most 16 pieces of evidence. */
#include "tests/fuzz/fuzz.h"

#include "harness/checks.h"
#include "harness/scenario.h"

#define MAX_RUNS 4

static struct hs_scenario *fallback;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("AUTHCHECK_SCENARIOS");

    (void)argc;
    (void)argv;
    if (!hs_load(dir != NULL ? dir : "scenarios", "core/dcr-happy-path.json",
                 &fallback, NULL)) {
        fputs("fuzz_checks: cannot load core/dcr-happy-path.json\n", stderr);
        abort();
    }
    return 0;
}

/* The case's scenario, validated; NULL when it does not validate. */
static struct hs_scenario *validated(const json_t *doc)
{
    char *text = json_dumps(json_object_get(doc, "scenario"), 0);
    struct hs_scenario *s = NULL;

    if (text != NULL && !hs_parse(text, strlen(text), "case", NULL, &s, NULL)) {
        s = NULL;
    }
    free(text);
    return s;
}

static size_t runs_of(const json_t *doc, struct hc_run *runs)
{
    size_t i, n = 0;
    const json_t *r;

    memset(runs, 0, MAX_RUNS * sizeof(*runs));
    json_array_foreach(json_object_get(doc, "runs"), i, r)
    {
        if (n == MAX_RUNS) {
            break;
        }
        runs[n].exit_code =
            (int)json_integer_value(json_object_get(r, "exit_code"));
        runs[n].signal = (int)json_integer_value(json_object_get(r, "signal"));
        runs[n].timed_out = json_is_true(json_object_get(r, "timed_out"));
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    const json_t *tr = json_object_get(doc, "transcript");
    struct hs_scenario *sc = NULL;
    struct hc_run runs[MAX_RUNS];
    struct hc_input in;
    size_t n;
    const struct hc_check *reg = hc_registry(&n);

    if (!json_is_array(tr)) {
        json_decref(doc);
        return 0;
    }
    sc = validated(doc);
    in.scenario = sc != NULL ? sc->doc : fallback->doc;
    in.transcript = tr;
    in.runs = runs;
    in.nruns = runs_of(doc, runs);
    for (size_t i = 0; i < n; i++) {
        struct hc_result r;

        memset(&r, 0, sizeof(r));
        hc_evaluate(&reg[i], &in, &r);
        if (r.status > HC_INFO || strchr(r.message, '\n') != NULL ||
            r.nevidence > 16) {
            fprintf(stderr, "check %s: status %d, %zu evidence, \"%s\"\n",
                    reg[i].id, (int)r.status, r.nevidence, r.message);
            abort();
        }
    }
    hs_free(sc);
    json_decref(doc);
    return 0;
}
