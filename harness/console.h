/* What `authcheck run` prints, from the results model (docs/RESULTS.md).
 *
 * On a terminal a live progress line ("[done/total] N failed, N errors,
 * T s") is redrawn with \r, failing scenarios (every one with -v) printed
 * above it; otherwise one headline per finished scenario:
 *     PASS id (n/m checks[, warnings], T s)
 *     FAIL id (n/m checks[, warnings], T s)
 *     ERROR id: why
 *     SKIP id: pending: why
 *     N/A id: not applicable: why
 * With verbosity 1 each headline is followed by every check and each
 * client run with its output (secrets redacted); -1 prints nothing until
 * the failures and the summary. */
#ifndef HCON_CONSOLE_H
#define HCON_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct hcon_progress {
    bool tty;      /* stdout is a terminal */
    bool drawn;    /* the live line is on screen */
    int verbosity; /* -1 quiet, 0 normal, 1 verbose */
    size_t total, done, failed, errors;
    int64_t start_ns;
};

/* Count a scenario's checks by status: SUCCESS, FAILURE, WARNING,
 * SKIPPED, INFO (added to counts[0..4]). */
void hcon_count_checks(const json_t *res, json_int_t counts[5]);

void hcon_progress_init(struct hcon_progress *p, size_t total, int verbosity);
/* Redraw the live line (terminal and not quiet only). */
void hcon_progress_draw(struct hcon_progress *p);
/* Erase the live line, if drawn. */
void hcon_progress_clear(struct hcon_progress *p);
/* Count a finished scenario and print it as the mode wants. */
void hcon_progress_done(struct hcon_progress *p, const json_t *res,
                        const json_t *secrets);

/* The failures grouped by first cause (reports/causes.h), one block per
 * cause, most scenarios first:
 *     failures by first cause (N failed scenarios, M causes):
 *     CAUSE check-id [stage, LEVEL] in N scenarios (K failing checks): msg
 *       scenarios: a, b, ... and N more (report.md lists them)
 *       then also failed: check (n), ...
 * then "ERROR id: why" per harness error and one "EXPECTED ..." line for
 * the failures the baseline expects; nothing when all passed. */
void hcon_failures(const json_t *results);

/* The baseline's stale entries ("STALE ...": it passes now) and unknown
 * ones ("UNKNOWN ...": not in this run), one line each. */
void hcon_stale(const json_t *results);

/* The closing summary line. */
void hcon_summary(const json_t *results, const char *out);

#endif
