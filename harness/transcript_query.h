/* Small read-only queries over a transcript (docs/TRANSCRIPT.md), so each
 * check stays a few lines: find exchanges by endpoint, read a request's
 * query or form body, look a header up, parse a redirect's Location, and
 * pull a JSON-RPC response out of a JSON or SSE body.
 *
 * Everything here is pure: no I/O, no clock. Exchanges are borrowed from
 * the transcript; a malformed member (wrong type, missing) reads as absent
 * rather than crashing, since a transcript may come from a file. */
#ifndef HC_TRANSCRIPT_QUERY_H
#define HC_TRANSCRIPT_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "common/form.h"

/* Number of exchanges; 0 when `tr` is NULL or not an array. */
size_t tq_count(const json_t *tr);

/* Exchange at index `i` (borrowed), NULL when out of range or not an
 * object. */
const json_t *tq_at(const json_t *tr, size_t i);

/* The exchange's `seq`, or `fallback` when absent (the array index is a
 * good fallback: snapshots number seq from 0 in order). */
size_t tq_seq(const json_t *ex, size_t fallback);

/* Borrowed `endpoint`, `method`, `server` members ("" when absent). */
const char *tq_endpoint(const json_t *ex);
const char *tq_method(const json_t *ex);
const char *tq_server(const json_t *ex);

/* The response status, 0 when absent (dropped connection). */
int tq_status(const json_t *ex);

/* Does the exchange match `endpoint` and, when `method` is non-NULL, the
 * method (case-sensitive, as HTTP methods are)? */
bool tq_is(const json_t *ex, const char *endpoint, const char *method);

/* Index of the first exchange at index >= `from` that matches
 * tq_is(endpoint, method), or (size_t)-1 when none. Iterate with
 * `for (i = tq_next(tr, 0, ...); i != TQ_NONE; i = tq_next(tr, i + 1, ...))`.
 */
#define TQ_NONE ((size_t)-1)
size_t tq_next(const json_t *tr, size_t from, const char *endpoint,
               const char *method);

/* First value of header `name` (case-insensitive, RFC 9110 §5.1) in the
 * request or the response; borrowed, NULL when absent. */
const char *tq_req_header(const json_t *ex, const char *name);
const char *tq_resp_header(const json_t *ex, const char *name);

/* Borrowed request / response body text, NULL when absent or null. */
const char *tq_req_body(const json_t *ex);
const char *tq_resp_body(const json_t *ex);

/* Parse the request's query string (the `query` member, or else the part
 * of `url` between "?" and "#") into `out` (initialised here; free with
 * ac_form_free even on failure). An absent query is an empty form.
 * False with err set when the query is malformed (bad escape, duplicate
 * parameter): a finding for the caller to report. */
bool tq_query_form(const json_t *ex, struct ac_form *out, struct ac_err *err);

/* Parse the request body as application/x-www-form-urlencoded, as
 * tq_query_form. An absent body is an empty form. */
bool tq_body_form(const json_t *ex, struct ac_form *out, struct ac_err *err);

/* Parse the query of the response's Location header (the authorization
 * response of RFC 6749 §4.1.2 is carried there), as tq_query_form. Works
 * for any scheme, including private-use redirect URIs. An absent Location
 * is an empty form. */
bool tq_location_form(const json_t *ex, struct ac_form *out,
                      struct ac_err *err);

/* Parse the response body as a JSON object (strict). A new reference, or
 * NULL when the body is absent or not a JSON object. */
json_t *tq_resp_json(const json_t *ex);

/* The JSON-RPC messages in a body: a JSON object, a JSON array (batch), or
 * a text/event-stream whose events carry JSON in `data:` lines (several
 * data lines of one event are joined with "\n", per the SSE spec).
 * Returns a new array of the messages that parsed (possibly empty); never
 * NULL unless out of memory. */
json_t *tq_jsonrpc_messages(const char *body);

/* Is `value` the access token of `Authorization: Bearer <token>`? Returns
 * the borrowed token inside `value` and its length via *len, or NULL when
 * the scheme is not Bearer (case-insensitive, RFC 7235 §2.1) or the token
 * is empty. */
const char *tq_bearer_token(const char *value, size_t *len);

/* --- additions for the check families ------------------------------- */

/* Borrowed `url` and `path` members ("" when absent). */
const char *tq_url(const json_t *ex);
const char *tq_path(const json_t *ex);

/* Parse the request body as a JSON object (strict, duplicates rejected).
 * A new reference, or NULL when absent or not an object. */
json_t *tq_req_json(const json_t *ex);

/* Parameter `name` of the first Bearer challenge in the response's
 * WWW-Authenticate header lines (all of them, RFC 9110 §11.6.1: several
 * lines are one comma-separated list). A new string (free()), or NULL
 * when there is no Bearer challenge (nor, failing one, a DPoP challenge:
 * what a server requiring DPoP sends), no such parameter, or the header
 * does not parse. */
char *tq_challenge_param(const json_t *ex, const char *name);

/* Is there a Bearer (or DPoP) challenge in the response's WWW-Authenticate? */
bool tq_has_bearer_challenge(const json_t *ex);

/* Decode `Authorization: Basic` credentials (RFC 6749 §2.3.1: the id and
 * secret are form-urlencoded before base64). On success *id and *secret
 * are new strings (free()); false when `value` is not Basic or does not
 * decode to "id:secret". */
bool tq_basic_credentials(const char *value, char **id, char **secret);

#endif
