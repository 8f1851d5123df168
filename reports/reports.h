/* Conformance reports, rendered from one results model.
 *
 * The model is a JSON document (docs/RESULTS.md) built by the harness; each
 * renderer is a pure function from it to a file, so `authcheck report DIR`
 * can re-render saved results. Everything written goes through redaction:
 * the model itself holds real values only where checks needed them, and
 * the writer redacts secret members and every known secret string. */
#ifndef RP_REPORTS_H
#define RP_REPORTS_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

/* Output formats, as a bit set. */
enum rp_format {
    RP_JSON = 1 << 0,     /* out/results.json */
    RP_CHECKS = 1 << 1,   /* out/<scenario>/checks.json (official shape) */
    RP_JUNIT = 1 << 2,    /* out/junit.xml */
    RP_MARKDOWN = 1 << 3, /* out/report.md */
    RP_HTML = 1 << 4,     /* out/report.html */
};

/* Write the selected formats of `results` under `out_dir` (created 0755 if
 * missing). `secrets` (array of strings, may be NULL) lists every secret the
 * run saw: each is replaced wherever it appears. Both borrowed. Returns
 * false only on a harness error (I/O, memory). */
bool rp_write(const json_t *results, const json_t *secrets, const char *out_dir,
              unsigned formats, struct ac_err *err);

/* One scenario's result (an element of the model's "scenarios") with its
 * secret-named members and its transcript redacted: the part of
 * rp_write's redaction that needs no other scenario, and most of its
 * cost. A new reference that shares nothing with `sc`; NULL when out of
 * memory. */
json_t *rp_redact_scenario(const json_t *sc);

/* rp_write for a model whose every scenario is an rp_redact_scenario
 * result (one that is not has its secret-named members and transcript
 * written as they are): the scenarios are not redacted and copied again,
 * only swept for the known secrets, in place. Writes the same files as
 * rp_write. `results` stays the caller's reference (borrowed) but is
 * modified: its scenarios hold the swept strings afterwards. A model
 * without a "scenarios" array is written as rp_write writes it. The
 * harness's workers redact each scenario as it ends, so that after the
 * last one only the sweep and the rendering are left
 * (docs/PERFORMANCE.md). */
bool rp_write_in_place(json_t *results, const json_t *secrets,
                       const char *out_dir, unsigned formats,
                       struct ac_err *err);

/* Re-render saved results: load `out_dir`/results.json (as written by
 * rp_write with RP_JSON, hence already redacted; it is not redacted again,
 * which would change the [redacted:...] tags) and write the selected
 * formats into `out_dir`, replacing earlier files. Backs `authcheck report
 * OUT_DIR --format html,md,junit,json`. False with err: AC_ERR_IO when
 * results.json is missing or unreadable, AC_ERR_INVALID when it is not
 * JSON or has no "scenarios" array, or any rp_write error. */
bool rp_render_dir(const char *out_dir, unsigned formats, struct ac_err *err);

/* Parse a comma-separated list ("html,md,junit,json,checks") into a format
 * set; false with err on an unknown name. */
bool rp_parse_formats(const char *list, unsigned *out, struct ac_err *err);

#endif
