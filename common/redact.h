/* Redaction of secrets in anything written out.
 *
 * A secret is replaced by "[redacted:<8 hex of SHA-256>]" so a reader can
 * follow one value through a flow without learning it. Which names are
 * secret is decided here, once, for form parameters, JSON members, query
 * parameters and headers. */
#ifndef AC_REDACT_H
#define AC_REDACT_H

#include <stdbool.h>

#include <jansson.h>

/* "[redacted:1a2b3c4d]" for a secret value. A new string (free()). */
char *ac_redact_value(const char *secret);

/* Is a parameter or JSON member with this name a secret? (access_token,
 * refresh_token, id_token, code, code_verifier, client_secret,
 * client_assertion, assertion, token, password, registration_access_token,
 * private key members ...) Case-insensitive. */
bool ac_redact_is_secret_name(const char *name);

/* Redact secret parameters of a form or query string. A new string. */
char *ac_redact_form(const char *form);

/* Redact the query string of a URL. A new string. */
char *ac_redact_url(const char *url);

/* Redact a header value: Authorization / Proxy-Authorization keep the scheme
 * ("Bearer [redacted:..]"), Cookie/Set-Cookie values are redacted, Location
 * is redacted as a URL (a redirect carries the code), others are returned
 * unchanged. A new string. */
char *ac_redact_header(const char *name, const char *value);

/* Deep copy of a JSON value with secret members redacted. New reference. */
json_t *ac_redact_json(const json_t *v);

/* Redact a body given its content type: JSON bodies member-wise, form
 * bodies parameter-wise; anything that fails to parse is scanned for the
 * known secrets in `extra` (may be NULL: an array of strings) and returned
 * with them replaced. A new string. */
char *ac_redact_body(const char *content_type, const char *body,
                     const json_t *extra);

/* Replace every occurrence of each string in `secrets` (a JSON array of
 * strings, may be NULL; empty strings and non-strings are skipped) within
 * `text` by its tag, in one left-to-right pass taking the longest secret
 * that matches at each position. A new string (free()); NULL for a NULL
 * text or out of memory. Builds an index per call (linear in the secrets'
 * total length); a caller redacting many texts against one set can build
 * it once with ac_redact_index_new. */
char *ac_redact_known(const char *text, const json_t *secrets);

/* An index of known secrets for repeated ac_redact_index_apply calls. */
struct ac_redact_index;

/* Index the non-empty strings of `secrets` (a JSON array, may be NULL or
 * empty). The strings are *borrowed*: `secrets` must outlive the index and
 * not change meanwhile. A new index (ac_redact_index_free), NULL when out
 * of memory. */
struct ac_redact_index *ac_redact_index_new(const json_t *secrets);

/* Same result as ac_redact_known(text, secrets) for the indexed secrets.
 * A new string (free()); NULL for a NULL text or out of memory. A NULL
 * index copies the text. The index caches tags as it goes, so one index is
 * used by one thread at a time. */
char *ac_redact_index_apply(struct ac_redact_index *ix, const char *text);

/* Whether any indexed secret occurs in `text`: when false,
 * ac_redact_index_apply would return a copy of `text`, so a caller with
 * many texts (nearly all without a secret) copies only the others. False
 * for a NULL text or index. */
bool ac_redact_index_hit(const struct ac_redact_index *ix, const char *text);

/* Free an index (its tables cleansed first). NULL-safe. */
void ac_redact_index_free(struct ac_redact_index *ix);

#endif
