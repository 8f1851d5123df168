/* JSON Web Keys (RFC 7517/7518) and key sets for JWS signing keys.
 *
 * A struct ac_jwk wraps one loaded OpenSSL key (RSA >= 2048 bits for RS256,
 * or EC P-256 for ES256) with its "kid". Keys are parsed once (PEM or JWK)
 * and then reused: signing and verifying never re-parse key material.
 *
 * Thread safety: a key is immutable once built (ac_jwk_set_kid aside), and
 * OpenSSL 3 allows concurrent read-only use of an EVP_PKEY, so one key may
 * sign or verify from many threads at once. A struct ac_jwks is read-only
 * after it is filled. */
#ifndef AC_JWK_H
#define AC_JWK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/err.h"

/* JWS algorithms we implement (RFC 7518 §3.1), as bits so a caller can pass
 * an allow-list. "none" and the HMAC algorithms are deliberately absent. */
enum ac_jws_alg {
    AC_JWS_RS256 = 1u << 0, /* RSASSA-PKCS1-v1_5 with SHA-256 */
    AC_JWS_ES256 = 1u << 1, /* ECDSA P-256 with SHA-256, R||S signature */
};

/* One key (opaque). */
struct ac_jwk;

/* A JWK Set (RFC 7517 §5), opaque. */
struct ac_jwks;

/* --- keys ---------------------------------------------------------------- */

/* Generate a key pair for `alg`: RSA-2048 (e = 65537) for AC_JWS_RS256, a
 * P-256 key for AC_JWS_ES256. The kid is the RFC 7638 thumbprint. Returns a
 * new key (ac_jwk_free) or NULL. */
struct ac_jwk *ac_jwk_generate(enum ac_jws_alg alg, struct ac_err *err);

/* Parse `len` bytes of PEM: a private key (PKCS#8 "PRIVATE KEY", or the
 * traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY") or a public key
 * ("PUBLIC KEY", SubjectPublicKeyInfo). Encrypted keys are refused (no
 * passphrase prompt). The kid is the RFC 7638 thumbprint. Returns a new key
 * (ac_jwk_free) or NULL. */
struct ac_jwk *ac_jwk_from_pem(const char *pem, size_t len, struct ac_err *err);

/* As ac_jwk_from_pem, reading the file at `path` (at most 64 KiB). */
struct ac_jwk *ac_jwk_load_pem_file(const char *path, struct ac_err *err);

/* PEM text of the key: PKCS#8 "PRIVATE KEY" when `private_part` (the key
 * must have one), else SubjectPublicKeyInfo "PUBLIC KEY". Returns a new
 * string; free a private PEM with ac_secret_free() (common/crypto.h). */
char *ac_jwk_to_pem(const struct ac_jwk *key, bool private_part,
                    struct ac_err *err);

/* Write ac_jwk_to_pem() to `path`, created or truncated with mode 0600 for a
 * private key and 0644 for a public one. */
bool ac_jwk_save_pem_file(const struct ac_jwk *key, const char *path,
                          bool private_part, struct ac_err *err);

/* Import a JWK object: kty "RSA" (n, e; private adds d and optionally all of
 * p, q, dp, dq, qi) or kty "EC" with crv "P-256" (x, y; private adds d).
 * RFC 7517 §4.2/§4.4: "use", when present, must be "sig" and "alg" must
 * match the key type. A private key must match its public part. The kid is
 * the JWK's "kid", or its RFC 7638 thumbprint when absent. `jwk` is
 * borrowed. Returns a new key (ac_jwk_free) or NULL (AC_ERR_INVALID). */
struct ac_jwk *ac_jwk_import(const json_t *jwk, struct ac_err *err);

/* Export as a JWK: {kty, n, e | crv, x, y, kid, alg, use: "sig"}, plus the
 * private members (d, p, q, dp, dq, qi for RSA; d for EC) when
 * `include_private` (the key must have them; for handing key material to
 * clients in tests only). Returns a new reference (json_decref). */
json_t *ac_jwk_export(const struct ac_jwk *key, bool include_private,
                      struct ac_err *err);

/* RFC 7638 thumbprint of a JWK object: base64url(SHA-256) of its required
 * members (RSA: e, kty, n; EC: crv, kty, x, y) in lexicographic order,
 * without whitespace. `jwk` is borrowed. Returns a new string (free()). */
char *ac_jwk_thumbprint(const json_t *jwk, struct ac_err *err);

/* A new handle sharing the same OpenSSL key (reference counted) and a copy
 * of the kid, so it can be freed independently. NULL when out of memory. */
struct ac_jwk *ac_jwk_dup(const struct ac_jwk *key);

/* Replace the kid with a copy of `kid` (non-empty). Not thread safe: do it
 * before sharing the key. */
bool ac_jwk_set_kid(struct ac_jwk *key, const char *kid, struct ac_err *err);

/* Borrowed kid, valid until the key is freed or its kid replaced. */
const char *ac_jwk_kid(const struct ac_jwk *key);

/* The one algorithm this key is used with. */
enum ac_jws_alg ac_jwk_alg(const struct ac_jwk *key);

/* Does the key hold private material (can it sign)? */
bool ac_jwk_has_private(const struct ac_jwk *key);

/* Borrowed OpenSSL key, valid until the key is freed. Use read-only. */
EVP_PKEY *ac_jwk_pkey(const struct ac_jwk *key);

/* "RS256" / "ES256", or NULL for a value that is not one algorithm. */
const char *ac_jws_alg_name(enum ac_jws_alg alg);

/* NULL-safe. */
void ac_jwk_free(struct ac_jwk *key);

/* --- key sets ------------------------------------------------------------ */

/* An empty set: a new handle (ac_jwks_free) or NULL. */
struct ac_jwks *ac_jwks_new(void);

/* Add a key (shared, as with ac_jwk_dup: the caller keeps its own handle).
 * Fails with AC_ERR_INVALID if the set already holds that kid. */
bool ac_jwks_add(struct ac_jwks *set, const struct ac_jwk *key,
                 struct ac_err *err);

/* Import {"keys": [...]} (RFC 7517 §5) for verification: only the public
 * part of each key is kept. RFC 7517 §5: members that cannot be used (other
 * kty or crv, "use" other than "sig", missing or bad members) are skipped
 * and counted in *skipped (may be NULL); duplicate kids are an error, since
 * lookup by kid would be ambiguous. `doc` is borrowed. Returns a new set
 * (ac_jwks_free) or NULL. */
struct ac_jwks *ac_jwks_import(const json_t *doc, size_t *skipped,
                               struct ac_err *err);

/* The public JWK Set document {"keys": [...]} for a jwks_uri. Returns a new
 * reference (json_decref). */
json_t *ac_jwks_export(const struct ac_jwks *set, struct ac_err *err);

/* Number of keys in the set. */
size_t ac_jwks_count(const struct ac_jwks *set);

/* The i-th key (borrowed, valid until the set is freed), NULL past the end. */
const struct ac_jwk *ac_jwks_get(const struct ac_jwks *set, size_t i);

/* The key with this kid (borrowed, valid until the set is freed), or NULL. */
const struct ac_jwk *ac_jwks_find(const struct ac_jwks *set, const char *kid);

/* NULL-safe; frees the set's handles, not the caller's. */
void ac_jwks_free(struct ac_jwks *set);

#endif
