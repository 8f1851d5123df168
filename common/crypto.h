/* Hashing, randomness and secret handling (OpenSSL EVP and RAND_bytes).
 *
 * Randomness goes through one function, ac_random_bytes(), so tests can pin
 * it with ac_random_seed_for_tests(). */
#ifndef AC_CRYPTO_H
#define AC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/rand.h>

#include "common/err.h"

#define AC_SHA256_LEN 32

/* SHA-256 of `n` bytes into out[32]. */
bool ac_sha256(const void *data, size_t n, uint8_t out[AC_SHA256_LEN],
               struct ac_err *err);

/* Lower-case hex SHA-256 of a NUL-terminated string: a new string (free()). */
char *ac_sha256_hex(const char *s);

/* For a program's main(), before anything else uses OpenSSL: make the
 * DRBG behind RAND_bytes SHA-256's Hash_DRBG (NIST SP 800-90A) instead of
 * OpenSSL's default CTR_DRBG over AES-256. Both are approved DRBGs; the
 * default one costs ~0.9 ms of every process that draws a random byte
 * without otherwise needing a cipher (its first use makes OpenSSL build
 * every cipher of the provider), and our programs hash with SHA-256
 * anyway. A [random] section of the OpenSSL configuration, loaded later,
 * still decides. Not for libmcpoauth: a library does not choose its host
 * program's DRBG. Returns false if OpenSSL refused (nothing changed).
 * Inline so that mcp-oauth, which links only libmcpoauth's public
 * symbols, makes the same choice from this one copy. */
static inline bool ac_crypto_prefer_hash_drbg(void)
{
    return RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256") == 1;
}

/* Fill `out` with `n` cryptographically strong random bytes (RAND_bytes),
 * or, after ac_random_seed_for_tests(), with a deterministic stream. */
bool ac_random_bytes(void *out, size_t n, struct ac_err *err);

/* Make ac_random_bytes() deterministic from `seed` (tests and seeded mocks
 * only). Pass 0 to return to RAND_bytes. */
void ac_random_seed_for_tests(uint64_t seed);

/* A new base64url string of `nbytes` random bytes (free()), or NULL. Used for
 * state (16+ bytes), PKCE verifiers (32 bytes), codes and tokens. */
char *ac_random_token(size_t nbytes, struct ac_err *err);

/* RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(verifier))). A new string. */
char *ac_pkce_s256(const char *verifier, struct ac_err *err);

/* Is `verifier` a valid RFC 7636 §4.1 code_verifier (43-128 unreserved)? */
bool ac_pkce_verifier_valid(const char *verifier);

/* Constant-time equality of two NUL-terminated secrets (CRYPTO_memcmp);
 * false if either is NULL. Lengths are compared first (length is not
 * considered secret). */
bool ac_secret_eq(const char *a, const char *b);

/* OPENSSL_cleanse then free a NUL-terminated secret. NULL-safe. */
void ac_secret_free(char *s);

#endif
