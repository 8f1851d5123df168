/* Tests for common/form: strict x-www-form-urlencoded decoding (duplicates,
 * bad escapes, NUL), encoding and percent-encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/form.h"

struct pair {
    const char *name, *value;
};

static const struct {
    const char *in;
    size_t n;
    struct pair pairs[4];
} parse_ok[] = {
    {"", 0, {{0}}},
    {"a=1", 1, {{"a", "1"}}},
    {"grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127."
     "0.0.1%3A1%2Fcb",
     3,
     {{"grant_type", "authorization_code"},
      {"code", "abc"},
      {"redirect_uri", "http://127.0.0.1:1/cb"}}},
    {"scope=mcp%3Atools+openid&x=a%2Bb",
     2,
     {{"scope", "mcp:tools openid"}, {"x", "a+b"}}},
    {"flag&empty=&eq==x", 3, {{"flag", ""}, {"empty", ""}, {"eq", "=x"}}},
    {"&&a=1&&b=2&", 2, {{"a", "1"}, {"b", "2"}}},
    {"%C3%A9=%e2%82%ac", 1, {{"\xc3\xa9", "\xe2\x82\xac"}}},
    {"A=1&a=2", 2, {{"A", "1"}, {"a", "2"}}}, /* names are case-sensitive */
};

static void test_parse_ok(void **state)
{
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
        struct ac_form f;
        struct ac_err err = {0};

        if (!ac_form_parse(parse_ok[i].in, &f, &err)) {
            fail_msg("%s: %s", parse_ok[i].in, err.msg);
        }
        assert_int_equal(f.n, parse_ok[i].n);
        for (k = 0; k < f.n; k++) {
            assert_string_equal(f.pairs[k].name, parse_ok[i].pairs[k].name);
            assert_string_equal(f.pairs[k].value, parse_ok[i].pairs[k].value);
            assert_string_equal(ac_form_get(&f, parse_ok[i].pairs[k].name),
                                parse_ok[i].pairs[k].value);
        }
        assert_null(ac_form_get(&f, "missing"));
        ac_form_free(&f);
    }
}

static const struct {
    const char *in;
    const char *msg_part;
} parse_bad[] = {
    {"code=a&code=b", "duplicate parameter \"code\""},
    {"state=1&x=2&state=1", "duplicate parameter \"state\""},
    {"c%6fde=a&code=b", "duplicate parameter \"code\""}, /* after decoding */
    {"a=1&a", "duplicate parameter \"a\""},
    {"a=%", "escape"},
    {"a=%4", "escape"},
    {"a=%4g", "escape"},
    {"a=%%41", "escape"},
    {"a%=1", "escape"},
    {"a=x%00y", "NUL"},
    {"%00=1", "NUL"},
    {"=value", "empty parameter name"},
    {"a=1&=2", "empty parameter name"},
};

static void test_parse_rejects(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
        struct ac_form f;
        struct ac_err err = {0};

        if (ac_form_parse(parse_bad[i].in, &f, &err)) {
            fail_msg("accepted \"%s\"", parse_bad[i].in);
        }
        assert_int_equal(err.code, AC_ERR_INVALID);
        if (strstr(err.msg, parse_bad[i].msg_part) == NULL) {
            fail_msg("%s: message \"%s\" lacks \"%s\"", parse_bad[i].in,
                     err.msg, parse_bad[i].msg_part);
        }
        assert_int_equal(f.n, 0);
        assert_null(f.pairs);
    }
}

static void test_parse_null(void **state)
{
    struct ac_form f;

    (void)state;
    assert_true(ac_form_parse(NULL, &f, NULL));
    assert_int_equal(f.n, 0);
    ac_form_free(&f);
    ac_form_free(NULL);
}

static void test_encode_roundtrip(void **state)
{
    struct ac_form f, g;
    char *s;

    (void)state;
    ac_form_init(&f);
    assert_true(ac_form_add(&f, "grant_type", "authorization_code", NULL));
    assert_true(
        ac_form_add(&f, "redirect_uri", "http://127.0.0.1:8/cb?x=1", NULL));
    assert_true(ac_form_add(&f, "scope", "a b+c&d=e", NULL));
    assert_true(ac_form_add(&f, "k~-._", "\xc3\xa9%", NULL));
    s = ac_form_encode(&f);
    assert_string_equal(
        s, "grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0."
           "1%3A8%2Fcb%3Fx%3D1&scope=a+b%2Bc%26d%3De&k~-._=%C3%A9%25");
    assert_true(ac_form_parse(s, &g, NULL));
    assert_int_equal(g.n, 4);
    assert_string_equal(ac_form_get(&g, "scope"), "a b+c&d=e");
    assert_string_equal(ac_form_get(&g, "k~-._"), "\xc3\xa9%");
    free(s);
    ac_form_free(&g);
    ac_form_free(&f);
    ac_form_init(&f);
    s = ac_form_encode(&f);
    assert_string_equal(s, "");
    free(s);
}

static void test_pct(void **state)
{
    struct ac_err err = {0};
    char *s;

    (void)state;
    s = ac_pct_encode("a b/c?d=e&f~g.h_i-j\xff");
    assert_string_equal(s, "a%20b%2Fc%3Fd%3De%26f~g.h_i-j%FF");
    free(s);
    assert_null(ac_pct_encode(NULL));
    s = ac_pct_decode("a+b%20c", 7, true, &err);
    assert_string_equal(s, "a b c");
    free(s);
    s = ac_pct_decode("a+b%20c", 7, false, &err);
    assert_string_equal(s, "a+b c");
    free(s);
    /* Only `len` bytes are read: the escape is cut, so it is bad. */
    assert_null(ac_pct_decode("ab%41", 4, false, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    s = ac_pct_decode("ab%41", 5, false, &err);
    assert_string_equal(s, "abA");
    free(s);
    assert_null(ac_pct_decode("%00", 3, false, &err));
    assert_non_null(strstr(err.msg, "NUL"));
    assert_null(ac_pct_decode("a\0b", 3, false, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_pct),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
