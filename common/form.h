/* application/x-www-form-urlencoded encoding and decoding (WHATWG URL
 * standard, as used by RFC 6749 Appendix B), also used for query strings.
 *
 * Decoding rejects duplicate parameter names: RFC 6749 §3.1 and §3.2 say
 * request and response parameters MUST NOT be included more than once. */
#ifndef AC_FORM_H
#define AC_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct ac_form_pair {
    char *name;
    char *value;
};

struct ac_form {
    struct ac_form_pair *pairs; /* owned */
    size_t n;
    size_t cap;
};

/* Initialise an empty form. */
void ac_form_init(struct ac_form *f);

/* Decode `text` (may be NULL or empty: an empty form). Fails with
 * AC_ERR_INVALID on a duplicate name (err->msg names it), a bad %-escape,
 * or an empty name. On failure `out` is left empty. */
bool ac_form_parse(const char *text, struct ac_form *out, struct ac_err *err);

/* Borrowed value of `name`, valid until the form is freed; NULL if absent. */
const char *ac_form_get(const struct ac_form *f, const char *name);

/* Add a pair (copies both). Does not check for duplicates. */
bool ac_form_add(struct ac_form *f, const char *name, const char *value,
                 struct ac_err *err);

/* Encode as name=value&... with '+' for space. A new string (free()). */
char *ac_form_encode(const struct ac_form *f);

/* Percent-encode one component: unreserved characters (RFC 3986 §2.3) stay,
 * everything else becomes %XX. A new string (free()), or NULL. */
char *ac_pct_encode(const char *s);

/* Decode %XX escapes and, if `plus_is_space`, '+' as space. A new string,
 * or NULL with err set on a bad escape or an embedded NUL. */
char *ac_pct_decode(const char *s, size_t len, bool plus_is_space,
                    struct ac_err *err);

/* Free all pairs (values cleansed: forms carry codes and secrets). */
void ac_form_free(struct ac_form *f);

#endif
