/* Baselines: the failures a run is expected to have.
 *
 * The file is the official MCP conformance suite's expected-failures YAML,
 * read by a small strict parser for exactly this subset (no YAML library):
 *
 *     # comments and blank lines anywhere
 *     client:
 *       - auth/metadata-default            # a whole scenario
 *       - auth/scope-step-up:scope-union   # one check of a scenario
 *     server: []
 *
 * - top-level keys `client:` and `server:` at column 0, each at most once,
 *   followed by nothing, a comment, or `[]` (an empty list);
 * - entries `- VALUE` indented by spaces (0 or more, the same for every
 *   entry of one key), VALUE being `scenario-id` or `scenario-id:check-id`,
 *   optionally in single or double quotes (no escapes); a scenario id is
 *   made of [A-Za-z0-9._/-], a check id of [A-Za-z0-9._-];
 * - a `---` document marker on the first content line, a UTF-8 BOM and
 *   CRLF line ends are tolerated.
 * Everything else is an error naming the file and line: a tab in the
 * indentation, an unknown or repeated top-level key, an entry outside a key
 * or with inconsistent indentation, a mapping (`- a: b`), any other line,
 * and a duplicate entry (including `s:c` when `s` is listed whole). */
#ifndef RP_BASELINE_H
#define RP_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

struct rp_baseline; /* opaque */

enum rp_baseline_side { RP_BASELINE_CLIENT, RP_BASELINE_SERVER };

/* Parse `len` bytes of baseline text; `name` (a file name, may be NULL)
 * prefixes error messages ("name:LINE: reason", code AC_ERR_INVALID). A new
 * baseline (rp_baseline_free) or NULL with err set. */
struct rp_baseline *rp_baseline_parse(const char *text, size_t len,
                                      const char *name, struct ac_err *err);

/* Read and parse a file (AC_ERR_IO when it cannot be read). */
struct rp_baseline *rp_baseline_load(const char *path, struct ac_err *err);

void rp_baseline_free(struct rp_baseline *b); /* NULL-safe */

/* Number of entries under `side`. */
size_t rp_baseline_count(const struct rp_baseline *b,
                         enum rp_baseline_side side);

/* Flags of rp_baseline_apply. */
enum {
    /* The run covered only some scenarios (`--scenario`): entries naming a
     * scenario absent from the run are ignored instead of unknown. */
    RP_BASELINE_SUBSET = 1u << 0,
};

struct rp_baseline_outcome {
    size_t expected;   /* FAILURE checks an entry covers */
    size_t unexpected; /* FAILURE checks no entry covers */
    size_t stale;      /* entries whose scenario / check no longer fails */
    size_t unknown;    /* entries naming a scenario or check not in the run */
    int exit_code;     /* 0 clean; 1 unexpected failures or stale entries;
                          2 unknown entries (a usage error: a typo or a
                          baseline for another suite) */
};

/* Compare the run `results` (the results model, docs/RESULTS.md;
 * modified) with the `side` entries of `b` and annotate the model:
 *   - every covered FAILURE check gets "expected_failure": true, and a
 *     failed scenario listed whole gets "expected_failure": true;
 *   - results["baseline"] = {"side", "expected", "unexpected":
 *     [{"scenario", "check"}], "stale": [{"entry", "line", "reason",
 *     "kind": "passes"|"unknown"}]}.
 * Earlier annotations are replaced, so applying twice is harmless. A
 * scenario with status "error" never makes its entry stale (it was not
 * judged). `out` (may be NULL) receives the counts and exit code. Returns
 * false only when out of memory (err set). */
bool rp_baseline_apply(json_t *results, const struct rp_baseline *b,
                       enum rp_baseline_side side, unsigned flags,
                       struct rp_baseline_outcome *out, struct ac_err *err);

#endif
