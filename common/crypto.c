/* Hashing (OpenSSL EVP SHA-256), randomness (RAND_bytes, or a seeded
 * deterministic stream for tests), PKCE S256 and secret hygiene. */
#include "common/crypto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/b64url.h"

/* The test stream is shared by all threads (mocks run their own). */
static pthread_mutex_t seed_lock = PTHREAD_MUTEX_INITIALIZER;
static bool seeded;
static uint64_t seed_state;

bool ac_sha256(const void *data, size_t n, uint8_t out[AC_SHA256_LEN],
               struct ac_err *err)
{
    unsigned int outlen = 0;

    if (EVP_Digest(data, n, out, &outlen, EVP_sha256(), NULL) != 1 ||
        outlen != AC_SHA256_LEN) {
        AC_ERR(err, AC_ERR_CRYPTO, "SHA-256 failed");
        return false;
    }
    return true;
}

char *ac_sha256_hex(const char *s)
{
    uint8_t md[AC_SHA256_LEN];
    char *hex;
    size_t i;

    if (s == NULL || !ac_sha256(s, strlen(s), md, NULL)) {
        return NULL;
    }
    hex = malloc(AC_SHA256_LEN * 2 + 1);
    if (hex == NULL) {
        return NULL;
    }
    for (i = 0; i < AC_SHA256_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return hex;
}

/* splitmix64: small, well-distributed, and enough for reproducible test
 * identifiers. Never used unless a test seeded it. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool seeded_bytes(uint8_t *out, size_t n)
{
    size_t i;

    pthread_mutex_lock(&seed_lock);
    if (!seeded) {
        pthread_mutex_unlock(&seed_lock);
        return false;
    }
    for (i = 0; i < n; i += 8) {
        uint64_t v = splitmix64(&seed_state);
        size_t k = n - i < 8 ? n - i : 8;
        memcpy(out + i, &v, k);
    }
    pthread_mutex_unlock(&seed_lock);
    return true;
}

bool ac_random_bytes(void *out, size_t n, struct ac_err *err)
{
    uint8_t *p = out;

    if (seeded_bytes(p, n)) {
        return true;
    }
    /* RAND_bytes takes an int length: feed large requests in chunks. */
    while (n > 0) {
        int chunk = n > 65536 ? 65536 : (int)n;
        if (RAND_bytes(p, chunk) != 1) {
            AC_ERR(err, AC_ERR_CRYPTO, "RAND_bytes failed");
            return false;
        }
        p += chunk;
        n -= (size_t)chunk;
    }
    return true;
}

void ac_random_seed_for_tests(uint64_t seed)
{
    pthread_mutex_lock(&seed_lock);
    seeded = seed != 0;
    seed_state = seed;
    pthread_mutex_unlock(&seed_lock);
}

char *ac_random_token(size_t nbytes, struct ac_err *err)
{
    uint8_t *raw = NULL;
    char *tok = NULL;

    raw = malloc(nbytes != 0 ? nbytes : 1);
    if (raw == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!ac_random_bytes(raw, nbytes, err)) {
        goto out;
    }
    tok = ac_b64url_encode(raw, nbytes);
    if (tok == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    }
out:
    if (raw != NULL) {
        OPENSSL_cleanse(raw, nbytes);
    }
    free(raw);
    return tok;
}

char *ac_pkce_s256(const char *verifier, struct ac_err *err)
{
    uint8_t md[AC_SHA256_LEN];
    char *challenge;

    if (verifier == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "PKCE verifier is NULL");
        return NULL;
    }
    /* RFC 7636 §4.2: the verifier is ASCII, hashed as its bytes. */
    if (!ac_sha256(verifier, strlen(verifier), md, err)) {
        return NULL;
    }
    challenge = ac_b64url_encode(md, sizeof(md));
    if (challenge == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    }
    return challenge;
}

static bool is_unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

bool ac_pkce_verifier_valid(const char *verifier)
{
    size_t i, n;

    if (verifier == NULL) {
        return false;
    }
    /* RFC 7636 §4.1: code-verifier = 43*128unreserved */
    n = strlen(verifier);
    if (n < 43 || n > 128) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!is_unreserved(verifier[i])) {
            return false;
        }
    }
    return true;
}

bool ac_secret_eq(const char *a, const char *b)
{
    size_t la, lb;

    if (a == NULL || b == NULL) {
        return false;
    }
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) {
        return false;
    }
    return CRYPTO_memcmp(a, b, la) == 0;
}

void ac_secret_free(char *s)
{
    if (s == NULL) {
        return;
    }
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}
