/* Signing keys of one mock authorization server: the current key signs
 * JWT access tokens (RFC 9068, typ "at+jwt"); the JWK Set published at
 * jwks_uri holds the current key and, after a rotation, the previous one.
 * Callers hold mo_shared.lock. */
#ifndef MO_KEYS_H
#define MO_KEYS_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"
#include "common/jwk.h"

struct mo_keys;

/* Generate a first key for `alg` (AC_JWS_RS256 or AC_JWS_ES256). On
 * success *out is new (mo_keys_free). */
bool mo_keys_new(enum ac_jws_alg alg, struct mo_keys **out, struct ac_err *err);

/* A reference of its own to the current key (ac_jwk_free), so it can sign
 * while a rotation replaces it. NULL when out of memory. */
struct ac_jwk *mo_keys_current(const struct mo_keys *k);

/* The public JWK Set {"keys": [...]}: a new reference. */
json_t *mo_keys_jwks(const struct mo_keys *k);

/* Generate a new current key; the old current one stays published as the
 * previous key (the one before it is dropped). */
bool mo_keys_rotate(struct mo_keys *k, struct ac_err *err);

/* NULL-safe. */
void mo_keys_free(struct mo_keys *k);

#endif
