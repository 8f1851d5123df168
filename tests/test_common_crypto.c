/* Tests for common/crypto: SHA-256 vectors, PKCE (RFC 7636 Appendix B),
 * verifier validity, randomness and its test seed, secret comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/b64url.h"
#include "common/crypto.h"

/* FIPS 180-2 examples and the empty string. */
static const struct {
    const char *in;
    const char *hex;
} sha_vectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void test_sha256_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(sha_vectors) / sizeof(sha_vectors[0]); i++) {
        char *hex = ac_sha256_hex(sha_vectors[i].in);
        uint8_t md[AC_SHA256_LEN];
        char mdhex[2 * AC_SHA256_LEN + 1];
        size_t k;

        assert_non_null(hex);
        assert_string_equal(hex, sha_vectors[i].hex);
        assert_true(
            ac_sha256(sha_vectors[i].in, strlen(sha_vectors[i].in), md, NULL));
        /* The raw digest and the hex form agree. */
        for (k = 0; k < AC_SHA256_LEN; k++) {
            snprintf(mdhex + 2 * k, 3, "%02x", md[k]);
        }
        assert_string_equal(mdhex, sha_vectors[i].hex);
        free(hex);
    }
    assert_null(ac_sha256_hex(NULL));
}

static void test_pkce_rfc7636_appendix_b(void **state)
{
    struct ac_err err = {0};
    char *c = ac_pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &err);

    (void)state;
    assert_non_null(c);
    assert_string_equal(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    free(c);
    assert_null(ac_pkce_s256(NULL, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
}

static const struct {
    const char *v;
    bool ok;
} verifiers[] = {
    {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", true}, /* 43 */
    {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX", false}, /* 42 */
    {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ.~", true},
    {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ+", false}, /* '+' */
    {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP=", false},  /* '=' */
    {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP Q", false}, /* space */
    {"", false},
};

static void test_verifier_valid(void **state)
{
    char v[130];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(verifiers) / sizeof(verifiers[0]); i++) {
        assert_int_equal(ac_pkce_verifier_valid(verifiers[i].v),
                         verifiers[i].ok);
    }
    memset(v, 'a', sizeof(v));
    v[128] = '\0';
    assert_true(ac_pkce_verifier_valid(v));
    v[128] = 'a';
    v[129] = '\0';
    assert_false(ac_pkce_verifier_valid(v)); /* 129 */
    assert_false(ac_pkce_verifier_valid(NULL));
}

static void test_random_token(void **state)
{
    char *a = ac_random_token(32, NULL);
    char *b = ac_random_token(32, NULL);
    uint8_t *raw = NULL;
    size_t rl = 0;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    /* A 32-byte token is itself a valid PKCE verifier. */
    assert_true(ac_pkce_verifier_valid(a));
    assert_true(ac_b64url_decode(a, strlen(a), &raw, &rl, NULL));
    assert_int_equal(rl, 32);
    free(raw);
    free(a);
    free(b);
}

static void test_random_seed_for_tests(void **state)
{
    uint8_t x[37], y[37], z[37];

    (void)state;
    ac_random_seed_for_tests(42);
    assert_true(ac_random_bytes(x, sizeof(x), NULL));
    ac_random_seed_for_tests(42);
    assert_true(ac_random_bytes(y, sizeof(y), NULL));
    assert_memory_equal(x, y, sizeof(x));
    ac_random_seed_for_tests(43);
    assert_true(ac_random_bytes(z, sizeof(z), NULL));
    assert_memory_not_equal(x, z, sizeof(x));
    /* Back to RAND_bytes: no longer reproducible. */
    ac_random_seed_for_tests(0);
    assert_true(ac_random_bytes(x, sizeof(x), NULL));
    assert_true(ac_random_bytes(y, sizeof(y), NULL));
    assert_memory_not_equal(x, y, sizeof(x));
}

static void test_secret_eq_and_free(void **state)
{
    char *s = strdup("s3cret");

    (void)state;
    assert_true(ac_secret_eq("abc", "abc"));
    assert_false(ac_secret_eq("abc", "abd"));
    assert_false(ac_secret_eq("abc", "abcd"));
    assert_false(ac_secret_eq("", "a"));
    assert_true(ac_secret_eq("", ""));
    assert_false(ac_secret_eq(NULL, "a"));
    assert_false(ac_secret_eq("a", NULL));
    assert_false(ac_secret_eq(NULL, NULL));
    ac_secret_free(s);
    ac_secret_free(NULL);
}

/* First in this program, before anything draws a random byte: the
 * preference takes, RAND_bytes then runs on SHA-256's Hash_DRBG, and a
 * second call (the DRBGs now exist) is refused without effect. */
static void test_prefer_hash_drbg(void **state)
{
    (void)state;
    assert_true(ac_crypto_prefer_hash_drbg());
    uint8_t b[16];
    assert_true(ac_random_bytes(b, sizeof b, NULL));
    EVP_RAND_CTX *pub = RAND_get0_public(NULL);
    assert_non_null(pub);
    assert_string_equal(EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(pub)),
                        "HASH-DRBG");
    assert_false(ac_crypto_prefer_hash_drbg());
    assert_string_equal(EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(pub)),
                        "HASH-DRBG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefer_hash_drbg),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_pkce_rfc7636_appendix_b),
        cmocka_unit_test(test_verifier_valid),
        cmocka_unit_test(test_random_token),
        cmocka_unit_test(test_random_seed_for_tests),
        cmocka_unit_test(test_secret_eq_and_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
