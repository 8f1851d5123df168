/* The check registry: every conformance check the harness can apply.
 *
 * A check is a pure function of (scenario, transcript, client runs): no I/O,
 * no clock, no globals, so each is unit-tested on canned transcripts. The
 * registry table in registry.c is the single source of `authcheck list
 * --checks`, the docs and the reports. Statuses and levels follow the
 * official MCP conformance suite: a failed MUST is FAILURE, a failed SHOULD
 * is WARNING. */
#ifndef HC_CHECKS_H
#define HC_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum hc_status { HC_SUCCESS, HC_FAILURE, HC_WARNING, HC_SKIPPED, HC_INFO };
enum hc_level { HC_MUST, HC_SHOULD, HC_MAY };

/* One run of the client under test. */
struct hc_run {
    int exit_code;  /* valid when !signaled && !timed_out */
    int signal;     /* terminating signal, 0 if none */
    bool timed_out; /* killed by the harness after the scenario timeout */
};

/* Everything a check may look at. All borrowed. */
struct hc_input {
    const json_t *scenario;   /* the validated scenario document */
    const json_t *transcript; /* array of exchanges, docs/TRANSCRIPT.md,
                                 NOT redacted */
    const struct hc_run *runs;
    size_t nruns;
};

struct hc_result {
    enum hc_status status;
    char message[512];   /* one line, why; must not contain secrets */
    size_t evidence[16]; /* transcript `seq` numbers backing the verdict */
    size_t nevidence;
};

/* A check function sets out->status to HC_SUCCESS (requirement met),
 * HC_FAILURE (requirement violated, whatever the level), HC_SKIPPED (does
 * not apply to this scenario/transcript) or HC_INFO, and a message;
 * hc_evaluate() then maps a violation to the level's status. */
typedef void (*hc_check_fn)(const struct hc_input *in, struct hc_result *out);

struct hc_check {
    const char *id; /* reuse the official suite's id when equal */
    enum hc_level level;
    const char *spec;     /* spec revision, e.g. "2025-11-25" */
    const char *spec_url; /* section URL */
    const char *summary;  /* one line */
    hc_check_fn fn;
    /* Baseline: evaluated in every scenario whether or not the scenario
     * lists it (DESIGN.md "Baseline and key checks"). Only for checks
     * that are right for ANY scenario: they judge what happened and come
     * out SKIPPED when it did not happen. Last member, so rows written
     * positionally without it are not baseline. */
    bool baseline;
};

/* The registry: a borrowed static table of *n entries. */
const struct hc_check *hc_registry(size_t *n);

/* Look up a check by id, NULL if unknown. Borrowed. */
const struct hc_check *hc_find(const char *id);

/* Evaluate one check. Fills `out` (status, message, evidence); a violated
 * MUST stays HC_FAILURE, a violated SHOULD becomes HC_WARNING and a violated
 * MAY HC_INFO. */
void hc_evaluate(const struct hc_check *c, const struct hc_input *in,
                 struct hc_result *out);

/* A key check (one the scenario lists: the point under test) must have
 * run: a SKIPPED result becomes FAILURE, "the point under test was not
 * exercised: <skip reason>". Any other result is left as it is. */
void hc_require_exercised(struct hc_result *r);

/* Addition: one check's result as the results model's check object
 * (docs/RESULTS.md): {id, level, status, spec, spec_url, summary, message,
 * evidence, key}; `key`: the scenario lists it (a key check). A new
 * reference, NULL when out of memory. */
json_t *hc_result_json(const struct hc_check *c, const struct hc_result *r,
                       bool key);

/* Addition: the registry as a Markdown table, the one docs/CHECKS.md
 * carries verbatim (tests/test_checks.c fails when they differ). A new
 * string (free()), NULL when out of memory. */
char *hc_registry_markdown(void);

const char *hc_status_name(enum hc_status s); /* "SUCCESS", "FAILURE", ... */
const char *hc_level_name(enum hc_level l);   /* "MUST", "SHOULD", "MAY" */

#endif
