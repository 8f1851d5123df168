/* Private cross-file declarations of the reports module. */
#ifndef RP_REPORTS_INT_H
#define RP_REPORTS_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"

/* The results model made safe to write: a deep copy in which secret
 * members are redacted (ac_redact_json), every transcript exchange's
 * header values, bodies, URL and query are redacted structurally, and then
 * every known secret (and its percent-encoded form) is replaced in every
 * string and object key. `secrets` may be NULL. A new reference, or NULL
 * with err set when out of memory. Every renderer starts from this. */
json_t *rp_redact_model(const json_t *results, const json_t *secrets,
                        struct ac_err *err);

/* The same for a model whose every scenario is an rp_redact_scenario
 * result (rp_write_in_place): only the members around the scenarios are
 * copied and redacted; the scenarios are shared with `results`
 * (borrowed, modified) and swept in place. A new reference, or NULL with
 * err set when out of memory. */
json_t *rp_redact_model_in_place(json_t *results, const json_t *secrets,
                                 struct ac_err *err);

/* Renderers: each takes the redacted model (borrowed) and writes its file(s)
 * under `out_dir`, which exists. False with err on I/O failure. */
bool rp_write_results_json(const json_t *model, const char *out_dir,
                           struct ac_err *err);
bool rp_write_checks_json(const json_t *model, const char *out_dir,
                          struct ac_err *err);

bool rp_write_junit(const json_t *model, const char *out_dir,
                    struct ac_err *err);
bool rp_write_markdown(const json_t *model, const char *out_dir,
                       struct ac_err *err);
bool rp_write_html(const json_t *model, const char *out_dir,
                   struct ac_err *err);

/* --- the text writer shared by junit.xml, report.md and report.html ---
 *
 * A buffer with a sticky error: the first failure (memory, the size cap)
 * is kept and every later call is a no-op, so renderers write straight-line
 * code and check once, in rp_out_finish. */
struct rp_out {
    struct ac_buf buf;
    bool failed;
    struct ac_err err;
};

/* How rp_put_esc escapes. Every mode first makes the text safe as
 * characters: a byte that is not valid UTF-8 becomes U+FFFD, and a
 * character XML 1.0 forbids or discourages becomes a visible escape:
 * C0 controls other than tab, LF and CR and DEL as "\xNN", C1 controls
 * and U+FFFE / U+FFFF as "\uNNNN". */
enum rp_esc {
    RP_ESC_XML_TEXT, /* & < > escaped, CR as &#13; */
    RP_ESC_XML_ATTR, /* also " ' and tab, LF, CR as character references */
    RP_ESC_HTML,     /* & < > " ' escaped; CR before LF dropped, else \x0D */
    RP_ESC_MD,       /* a Markdown table cell: one line, markup escaped */
};

void rp_out_init(struct rp_out *o);
void rp_puts(struct rp_out *o, const char *s);
void rp_printf(struct rp_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append `s` (NULL is the empty string) escaped for `mode`. */
void rp_put_esc(struct rp_out *o, const char *s, enum rp_esc mode);
/* Append at most `max` characters of `s` escaped, then "..." if cut. */
void rp_put_esc_cut(struct rp_out *o, const char *s, size_t max,
                    enum rp_esc mode);
/* Write the text to out_dir/name atomically (temporary file, rename;
 * mode 0644; not fsync'd, as rp_write_json) and free the buffer, also on
 * failure. */
bool rp_out_finish(struct rp_out *o, const char *out_dir, const char *name,
                   struct ac_err *err);

/* Write `v` to `path` as ac_json_write_file's bytes (sorted keys, two
 * spaces, LF), streamed through a stdio buffer into a temporary file in
 * the same directory, then renamed: a reader sees the old file or the
 * whole new one. Not fsync'd: a report is re-made by running again, and a
 * flush per file (or a syncfs of a shared disk) was most of a short run's
 * fixed cost. */
bool rp_write_json(const json_t *v, const char *path, struct ac_err *err);

/* Compress `n` bytes of `data` as gzip (RFC 1952, zlib's default level;
 * deterministic: no file name, mtime 0). *out is a new buffer (free())
 * of *outlen bytes. False when out of memory. */
bool rp_gzip(const char *data, size_t n, unsigned char **out, size_t *outlen);

/* --- model helpers --------------------------------------------------------
 */

/* The scenario's family: its "family" member, else the id before the first
 * "/", else "(none)". Borrowed from `sc`, or a static string; the id prefix
 * is copied into `buf` (size n). */
const char *rp_family(const json_t *sc, char *buf, size_t n);

/* Is `url` an absolute http(s) URL (the only kind rendered as a link)? */
bool rp_is_http_url(const char *url);

/* A short label for a spec section URL: "RFC 7636 §4.2", "MCP 2026-07-28
 * #authorization-code-protection", else the spec revision. A new string
 * (free()), NULL when out of memory. */
char *rp_spec_label(const char *spec, const char *url);

/* Counts of a scenario's check statuses; expected failures (baseline) are
 * counted apart from FAILURE. */
struct rp_counts {
    size_t success, failure, warning, skipped, info, expected, total;
};
void rp_count_checks(const json_t *sc, struct rp_counts *c);
/* Add `c` to `to`, field by field. */
void rp_add_counts(struct rp_counts *to, const struct rp_counts *c);

/* Is the scenario's "status" `status` ("passed", "failed", "error",
 * "skipped")? */
bool rp_status_is(const json_t *sc, const char *status);

/* The whole run at a glance, as the report headers show it: check counts
 * summed over every scenario, scenarios per status, stale baseline
 * entries, and the verdict (fail: a failing check, a harness error or a
 * stale baseline entry). */
struct rp_totals {
    struct rp_counts checks; /* not_applicable scenarios' checks left out */
    size_t scenarios, failed, errors, skipped, not_applicable, stale;
    bool fail;
};
void rp_count_run(const json_t *model, struct rp_totals *t);

/* The run's totals as the HTML and Markdown headers say them: "N of M
 * scenarios failed, E <errors_label>; F failing checks, W warnings" and
 * the expected failures, pending and not applicable scenarios when there
 * are any. Plain text: no escaping needed. */
void rp_put_totals(struct rp_out *o, const struct rp_totals *t,
                   const char *errors_label);

/* The run's declared client features (the model's mode.client_features)
 * as a list: "not declared (every scenario applies)" when it is not an
 * array, "none" when empty, else each feature escaped for `mode` between
 * `open` and `close`, ", " apart. */
void rp_put_features(struct rp_out *o, const json_t *feats, const char *open,
                     const char *close, enum rp_esc mode);

/* One run-metadata field of a report header: the literal markup `before`,
 * then the model's member `key` (a string escaped for the report's mode,
 * or an integer when `integer`; NULL: none). */
struct rp_field {
    const char *before, *key;
    bool integer;
};

/* Write the fields of `f` (ended by one whose `before` is NULL) from the
 * run model `model`. */
void rp_put_fields(struct rp_out *o, const json_t *model,
                   const struct rp_field *f, enum rp_esc mode);

/* Is this check a FAILURE the baseline expects ("expected_failure")? */
bool rp_is_expected(const json_t *check);

/* Is this check one of its scenario's key checks, the point under test
 * ("key": true, set by the harness; absent in older results)? */
bool rp_is_key(const json_t *check);

/* Why a "not_applicable" scenario was not judged: its "skip_reason", else
 * a generic sentence. Borrowed or static. */
const char *rp_na_reason(const json_t *sc);

/* One line for the transcript exchange `seq` of `sc`:
 * "#4 GET /authorize -> 302" (the path cut at 80 characters, an arrow),
 * or "#4 (not in the transcript)". Escaped for `mode`. */
void rp_put_exchange_line(struct rp_out *o, const json_t *sc, json_int_t seq,
                          enum rp_esc mode);

/* Integer member or 0. */
json_int_t rp_int(const json_t *obj, const char *key);

/* The transcript exchange with this seq, or NULL. Borrowed. */
const json_t *rp_exchange(const json_t *sc, json_int_t seq);

/* --- report.html's sequence diagram (html_seq.c) --- */

/* The lifeline that sent / served a transcript exchange (inference rules
 * in html_seq.c). Borrowed from the model, or a static string. */
const char *rp_exchange_from(const json_t *sc, const json_t *ex);
const char *rp_exchange_to(const json_t *sc, const json_t *ex);

/* Append the scenario's transcript as an inline SVG sequence diagram;
 * each arrow links to "#<prefix>-ex-<seq>". Nothing for an empty
 * transcript. */
void rp_html_sequence(struct rp_out *o, const json_t *sc, const char *prefix);

/* mkdir -p with mode 0755. */
bool rp_mkdirs(const char *path, struct ac_err *err);

/* Is `id` safe as a relative path under the output directory? Segments
 * separated by "/", each non-empty, not "." or "..", made of
 * [A-Za-z0-9._-]. */
bool rp_safe_relpath(const char *id);

#endif
