/* Running many scenarios, several at a time (`authcheck run -j N`).
 *
 * Worker threads take the scenarios in order; each scenario runs with its
 * own mock world, ports, work directory and secrets list (runner.h), so
 * they share nothing but the process. The caller's thread waits for
 * finished scenarios one by one (in completion order) and may redraw a
 * progress line between them; the results keep the input order. */
#ifndef HPOOL_H
#define HPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "harness/runner.h"
#include "harness/scenario.h"

struct hr_pool;

/* The default number of jobs: the online CPUs, at least 1, at most
 * HPOOL_MAX_DEFAULT. */
#define HPOOL_MAX_DEFAULT 8
int hpool_default_jobs(void);

/* Start running `n` scenarios with at most `jobs` at once. `v` and `opt`
 * are borrowed until hpool_free. Returns a new pool, or NULL with err
 * set (no thread could be started). */
struct hr_pool *hpool_start(struct hs_scenario *const *v, size_t n,
                            const struct hr_options *opt, int jobs,
                            struct ac_err *err);

/* Wait up to `timeout_ms` (< 0: forever) for the next finished scenario.
 * Returns its index in `v` and sets *res to its results (borrowed, valid
 * until hpool_free; NULL when out of memory), already redacted by
 * rp_redact_scenario, so a model of them goes to rp_write_in_place; returns -1
 * on timeout and -2 when every scenario has been returned, or, after
 * hr_cancel(), every one that was started. Its secrets are appended to
 * `secrets` (may be NULL). Call from one thread only. */
long hpool_next(struct hr_pool *p, int timeout_ms, const json_t **res,
                json_t *secrets);

/* Join the workers (after every scenario was returned) and move the
 * results, in input order, into the array `out` (NULL entries skipped).
 * Frees the pool. NULL-safe. */
void hpool_finish(struct hr_pool *p, json_t *out);

#endif
