/* Private cross-file declarations of the reports module. */
#ifndef RP_REPORTS_INT_H
#define RP_REPORTS_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

/* The results model made safe to write: a deep copy in which secret
 * members are redacted (ac_redact_json), every transcript exchange's
 * header values, bodies, URL and query are redacted structurally, and then
 * every known secret (and its percent-encoded form) is replaced in every
 * string and object key. `secrets` may be NULL. A new reference, or NULL
 * with err set when out of memory. Every renderer starts from this. */
json_t *rp_redact_model(const json_t *results, const json_t *secrets,
                        struct ac_err *err);

/* Renderers: each takes the redacted model (borrowed) and writes its file(s)
 * under `out_dir`, which exists. False with err on I/O failure. */
bool rp_write_results_json(const json_t *model, const char *out_dir,
                           struct ac_err *err);
bool rp_write_checks_json(const json_t *model, const char *out_dir,
                          struct ac_err *err);

/* mkdir -p with mode 0755. */
bool rp_mkdirs(const char *path, struct ac_err *err);

/* Is `id` safe as a relative path under the output directory? Segments
 * separated by "/", each non-empty, not "." or "..", made of
 * [A-Za-z0-9._-]. */
bool rp_safe_relpath(const char *id);

#endif
