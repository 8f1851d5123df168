/* Root causes of a failing run: the failures grouped by what went wrong
 * first, so a reader sees "the client never fetched the PRM: 83 scenarios,
 * 1050 checks" instead of a thousand cards.
 *
 * The one place that computes this; the console summary (harness/
 * console.c), report.md and report.html all render its result.
 *
 * How a cause is found (docs/REPORTS.md, "Root causes"):
 *   1. every check id has a flow stage (rp_check_stage): discovery,
 *      registration, authorization, token, MCP use, lifecycle (refresh,
 *      revocation, restart, step-up after the first use), outcome (did the
 *      tool call and the exit status come out right);
 *   2. in each failed scenario, the unexpected FAILURE checks are ordered
 *      by (stage, position in the scenario's checks, which is registry
 *      order); the first one is the scenario's cause, the others its
 *      downstream failures;
 *   3. scenarios whose causes have the same check id and the same
 *      normalised message (rp_cause_key) form one cause.
 * Causes are listed by number of scenarios (most first), then stage. */
#ifndef RP_CAUSES_H
#define RP_CAUSES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/* Stages of the authorization flow, in flow order. */
enum rp_stage {
    RP_STAGE_DISCOVERY,
    RP_STAGE_REGISTRATION,
    RP_STAGE_AUTHORIZATION,
    RP_STAGE_TOKEN,
    RP_STAGE_MCP,
    RP_STAGE_LIFECYCLE,
    RP_STAGE_OUTCOME,
    RP_STAGE_OTHER, /* a check id the table does not know (placed last) */
};

/* The stage of a check id (RP_STAGE_OTHER when unknown or NULL). */
enum rp_stage rp_check_stage(const char *check_id);

/* "discovery", "registration", ... A static string. */
const char *rp_stage_name(enum rp_stage stage);

/* A check that failed after the cause, in the cause's scenarios. */
struct rp_downstream {
    const char *check; /* borrowed from the model */
    size_t count;      /* scenarios in which it failed */
};

struct rp_cause {
    const char *check;   /* check id, borrowed from the model */
    const char *level;   /* its level, borrowed */
    const char *message; /* the message in the first scenario, borrowed */
    char *key;           /* the normalised message (rp_cause_key) */
    enum rp_stage stage;
    size_t nscenarios;
    size_t *scenario; /* indexes into the model's "scenarios" */
    size_t *check_at; /* index of the cause in that scenario's "checks" */
    size_t nchecks;   /* checks of the picked kind in these scenarios,
                         the cause included */
    struct rp_downstream *down; /* most frequent first */
    size_t ndown;
};

struct rp_causes {
    struct rp_cause *v;
    size_t n;
    size_t nscenarios; /* scenarios grouped, over all causes */
    size_t nchecks;    /* checks counted, over all causes */
};

/* What to group:
 *   RP_CAUSE_FAILURE:  each failed scenario by its first unexpected
 *                      FAILURE (the root cause); the others downstream;
 *   RP_CAUSE_WARNING:  every WARNING, grouped by id and message;
 *   RP_CAUSE_EXPECTED: every FAILURE the baseline expects, likewise.
 * Only a "failed" scenario has a failure cause; warnings and expected
 * failures are taken from every scenario but a "not_applicable" one. */
enum rp_cause_pick { RP_CAUSE_FAILURE, RP_CAUSE_WARNING, RP_CAUSE_EXPECTED };

/* Group the model's checks. `out` is filled (free with rp_causes_free,
 * also after a failure); its strings are borrowed from `model`, which must
 * outlive it. False with err only when out of memory. */
bool rp_causes_find(const json_t *model, enum rp_cause_pick pick,
                    struct rp_causes *out, struct ac_err *err);

void rp_causes_free(struct rp_causes *c);

/* The grouping key of a message: redaction tags, URLs, quoted strings and
 * numbers are replaced by placeholders ("[redacted]", "<url>", "\"...\"",
 * "N") so the same failure in scenarios with other ports, tools or tokens
 * groups together. A new string (free()), NULL when out of memory. */
char *rp_cause_key(const char *message);

#endif
