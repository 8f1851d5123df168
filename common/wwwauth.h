/* A WWW-Authenticate parser to the RFC 9110 §11.6.1 / §11.3 grammar:
 *
 *   WWW-Authenticate = 1#challenge
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 *
 * Several challenges may share one header line and several header lines may
 * each carry challenges; all are returned in order. Scheme and parameter
 * names compare case-insensitively; quoted-pair escapes are undone. A
 * parameter name is only ever matched whole, so `error_scope=` is never
 * read as `scope`. */
#ifndef AC_WWWAUTH_H
#define AC_WWWAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct ac_auth_param {
    char *name;  /* lower-cased */
    char *value; /* unescaped; "" for an empty quoted string */
};

struct ac_challenge {
    char *scheme;  /* as sent; compare with strcasecmp */
    char *token68; /* NULL unless the challenge carried a token68 */
    struct ac_auth_param *params;
    size_t nparams;
    bool has_duplicate; /* some parameter name appeared twice: RFC 9110
                           §11.2 says each MUST occur once per challenge */
};

struct ac_challenges {
    struct ac_challenge *items;
    size_t n;
};

/* Parse `nlines` header field values (one per WWW-Authenticate line). On
 * syntax error returns false with AC_ERR_INVALID and a message giving the
 * byte offset; `out` is then empty. */
bool ac_wwwauth_parse(const char *const *lines, size_t nlines,
                      struct ac_challenges *out, struct ac_err *err);

/* First challenge whose scheme equals `scheme` case-insensitively, or NULL.
 * Borrowed. */
const struct ac_challenge *ac_wwwauth_find(const struct ac_challenges *cs,
                                           const char *scheme);

/* Value of parameter `name` (case-insensitive) in a challenge, or NULL. When
 * duplicated, the first. Borrowed. */
const char *ac_challenge_param(const struct ac_challenge *c, const char *name);

void ac_challenges_free(struct ac_challenges *cs);

#endif
