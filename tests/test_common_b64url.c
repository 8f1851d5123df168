/* Tests for common/b64url: RFC 4648 §10 vectors and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/b64url.h"

struct vec {
    const char *plain;
    const char *url; /* unpadded base64url */
    const char *std; /* padded base64 */
};

/* RFC 4648 §10. */
static const struct vec vectors[] = {
    {"", "", ""},
    {"f", "Zg", "Zg=="},
    {"fo", "Zm8", "Zm8="},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg", "Zm9vYg=="},
    {"fooba", "Zm9vYmE", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vec *v = &vectors[i];
        char *u = ac_b64url_encode(v->plain, strlen(v->plain));
        char *s = ac_b64_encode(v->plain, strlen(v->plain));
        uint8_t *d = NULL;
        size_t dl = 0;
        struct ac_err err = {0};

        assert_non_null(u);
        assert_non_null(s);
        assert_string_equal(u, v->url);
        assert_string_equal(s, v->std);
        assert_true(ac_b64url_decode(v->url, strlen(v->url), &d, &dl, &err));
        assert_int_equal(dl, strlen(v->plain));
        assert_memory_equal(d, v->plain, dl);
        assert_int_equal(d[dl], 0);
        free(d);
        assert_true(ac_b64_decode(v->std, strlen(v->std), &d, &dl, &err));
        assert_int_equal(dl, strlen(v->plain));
        assert_memory_equal(d, v->plain, dl);
        free(d);
        free(u);
        free(s);
    }
}

static void test_url_safe_alphabet(void **state)
{
    static const uint8_t bin[] = {0xfb, 0xff, 0xbf};
    char *u = ac_b64url_encode(bin, sizeof(bin));
    char *s = ac_b64_encode(bin, sizeof(bin));
    uint8_t *d = NULL;
    size_t dl = 0;

    (void)state;
    assert_string_equal(u, "-_-_");
    assert_string_equal(s, "+/+/");
    assert_true(ac_b64url_decode(u, strlen(u), &d, &dl, NULL));
    assert_int_equal(dl, 3);
    assert_memory_equal(d, bin, 3);
    free(d);
    free(u);
    free(s);
}

struct bad {
    const char *text;
    size_t len; /* 0: strlen */
};

static const struct bad bad_url[] = {
    {"Zg==", 0},         /* padding is not base64url as used by RFC 7636 */
    {"Zm8=", 0},         /* padding */
    {"Z", 0},            /* len % 4 == 1 can never be produced */
    {"Zm9vY", 0},        /* len % 4 == 1 */
    {"Zh", 0},           /* non-zero trailing bits ("Zg" is canonical) */
    {"Zm9", 0},          /* non-zero trailing bits ("Zm8" is canonical) */
    {"Zm9v+w", 0},       /* standard alphabet '+' */
    {"Zm9v/w", 0},       /* standard alphabet '/' */
    {"Zm 9v", 0},        /* space */
    {"Zm9v\n", 0},       /* newline */
    {"Zm\0v", 4},        /* embedded NUL */
    {"Zm9v\xc3\xa9", 0}, /* non-ASCII */
};

static void test_url_decode_rejects(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
        const struct bad *b = &bad_url[i];
        size_t len = b->len != 0 ? b->len : strlen(b->text);
        uint8_t *d = (uint8_t *)"sentinel";
        size_t dl = 99;
        struct ac_err err = {0};

        assert_false(ac_b64url_decode(b->text, len, &d, &dl, &err));
        assert_null(d);
        assert_int_equal(dl, 0);
        assert_int_equal(err.code, AC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "base64"));
    }
}

static const char *const bad_std[] = {
    "Zg=",      /* not a multiple of 4 */
    "Zg",       /* unpadded */
    "Z===",     /* three pad characters */
    "Zg==Zg==", /* padding in the middle */
    "=Zg=",     /* padding first */
    "Zh==",     /* non-zero trailing bits */
    "-_-_",     /* URL-safe alphabet */
    "Zm9v\r\n", /* line break */
};

static void test_std_decode_rejects(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
        uint8_t *d = NULL;
        size_t dl = 0;
        struct ac_err err = {0};

        assert_false(
            ac_b64_decode(bad_std[i], strlen(bad_std[i]), &d, &dl, &err));
        assert_null(d);
        assert_int_equal(err.code, AC_ERR_INVALID);
    }
}

static void test_basic_credentials(void **state)
{
    const char *cred = "user:pass";
    char *s = ac_b64_encode(cred, strlen(cred));
    uint8_t *d = NULL;
    size_t dl = 0;

    (void)state;
    assert_string_equal(s, "dXNlcjpwYXNz");
    assert_true(ac_b64_decode(s, strlen(s), &d, &dl, NULL));
    assert_string_equal((char *)d, cred);
    free(d);
    free(s);
}

static void test_roundtrip_all_lengths(void **state)
{
    uint8_t data[300];
    size_t n, i;

    (void)state;
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 37 + 11);
    }
    for (n = 0; n < sizeof(data); n++) {
        char *u = ac_b64url_encode(data, n);
        uint8_t *d = NULL;
        size_t dl = 0;

        assert_non_null(u);
        assert_null(strchr(u, '='));
        assert_true(ac_b64url_decode(u, strlen(u), &d, &dl, NULL));
        assert_int_equal(dl, n);
        assert_memory_equal(d, data, n);
        free(d);
        free(u);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_url_safe_alphabet),
        cmocka_unit_test(test_url_decode_rejects),
        cmocka_unit_test(test_std_decode_rejects),
        cmocka_unit_test(test_basic_credentials),
        cmocka_unit_test(test_roundtrip_all_lengths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
