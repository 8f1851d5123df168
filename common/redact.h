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
 * strings, may be NULL) within `text`. A new string. */
char *ac_redact_known(const char *text, const json_t *secrets);

#endif
