/* Tests of the JSON position index (harness/jsonpos.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/jsonpos.h"
#include "tests/support/asserts.h"

static struct hjp_index *build(const char *text)
{
    struct hjp_index *ix = NULL;
    struct ac_err err;

    if (!hjp_build(text, strlen(text), &ix, &err)) {
        fail_msg("hjp_build: %s", err.msg);
    }
    return ix;
}

static void assert_value_at(const struct hjp_index *ix, const char *ptr,
                            int line, int col)
{
    struct hjp_pos p;

    if (!hjp_value(ix, ptr, &p)) {
        fail_msg("%s: not indexed", ptr);
    }
    if (p.line != line || p.col != col) {
        fail_msg("%s: value at %d:%d, expected %d:%d", ptr, p.line, p.col, line,
                 col);
    }
}

static void assert_key_at(const struct hjp_index *ix, const char *ptr, int line,
                          int col)
{
    struct hjp_pos p;

    if (!hjp_key(ix, ptr, &p)) {
        fail_msg("%s: not indexed", ptr);
    }
    if (p.line != line || p.col != col) {
        fail_msg("%s: key at %d:%d, expected %d:%d", ptr, p.line, p.col, line,
                 col);
    }
}

static void test_nested(void **state)
{
    const char *text = "{\n"
                       "  \"a\": 1,\n"
                       "  \"b\": {\"c\": [true, {\"d\": null}]},\n"
                       "  \"e\": []\n"
                       "}\n";
    struct hjp_index *ix = build(text);

    (void)state;
    assert_value_at(ix, "", 1, 1);
    assert_key_at(ix, "/a", 2, 3);
    assert_value_at(ix, "/a", 2, 8);
    assert_key_at(ix, "/b", 3, 3);
    assert_value_at(ix, "/b", 3, 8);
    assert_key_at(ix, "/b/c", 3, 9);
    assert_value_at(ix, "/b/c", 3, 14);
    assert_value_at(ix, "/b/c/0", 3, 15);
    assert_key_at(ix, "/b/c/0", 3, 15); /* array items: the value */
    assert_value_at(ix, "/b/c/1", 3, 21);
    assert_key_at(ix, "/b/c/1/d", 3, 22);
    assert_value_at(ix, "/b/c/1/d", 3, 27);
    assert_value_at(ix, "/e", 4, 8);
    assert_int_equal(hjp_count(ix), 8);
    hjp_free(ix);
}

/* RFC 6901 escapes, decoded \u escapes and surrogate pairs in keys. */
static void test_key_escapes(void **state)
{
    const char *text = "{\"a/b\": 1, \"m~n\": 2, \"\\u00e9t\\u00e9\": 3,"
                       " \"\\ud83d\\ude00\": 4, \"q\\\"\\n\": 5, \"\": 6}";
    struct hjp_index *ix = build(text);
    struct hjp_pos p;

    (void)state;
    assert_true(hjp_value(ix, "/a~1b", &p));
    assert_true(hjp_value(ix, "/m~0n", &p));
    assert_true(hjp_value(ix, "/\xc3\xa9t\xc3\xa9", &p));
    assert_true(hjp_value(ix, "/\xf0\x9f\x98\x80", &p));
    assert_true(hjp_value(ix, "/q\"\n", &p));
    assert_true(hjp_value(ix, "/", &p)); /* the empty key */
    assert_false(hjp_value(ix, "/a/b", &p));
    hjp_free(ix);
}

/* Columns count characters, not bytes. */
static void test_utf8_columns(void **state)
{
    const char *text = "{\"t\": \"\xc3\xa9\xc3\xa9\xe2\x82\xac\", \"u\": 1}";
    struct hjp_index *ix = build(text);

    (void)state;
    assert_key_at(ix, "/u", 1, 14);
    hjp_free(ix);
}

static void test_duplicate(void **state)
{
    const char *text = "{\n  \"x\": {\"k\": 1,\n    \"k\": 2}\n}";
    struct hjp_index *ix = build(text);
    const char *ptr;
    struct hjp_pos p;

    (void)state;
    assert_true(hjp_first_duplicate(ix, &ptr, &p));
    assert_string_equal(ptr, "/x/k");
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 5);
    assert_value_at(ix, "/x/k", 2, 14); /* the first one is indexed */
    hjp_free(ix);

    ix = build("{\"a\": 1}");
    assert_false(hjp_first_duplicate(ix, &ptr, &p));
    hjp_free(ix);
}

static void test_locate_falls_back(void **state)
{
    struct hjp_index *ix = build("{\n \"a\": {\n  \"b\": 1}}");
    struct hjp_pos p;

    (void)state;
    p = hjp_locate(ix, "/a/b", true);
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 3);
    p = hjp_locate(ix, "/a/zz", true); /* missing: its parent's value */
    assert_int_equal(p.line, 2);
    assert_int_equal(p.col, 7);
    p = hjp_locate(ix, "/nope/deeper", false);
    assert_int_equal(p.line, 1);
    assert_int_equal(p.col, 1);
    hjp_free(ix);
}

struct bad {
    const char *text;
    const char *msg; /* expected prefix of err.msg */
};

static void test_syntax_errors(void **state)
{
    static const struct bad cases[] = {
        {"{\"a\": 1} x", "1:10: trailing characters"},
        {"{\"a\" 1}", "1:6: expected ':'"},
        {"{\"a\": \"x}", "1:10: unterminated string"},
        {"[1, 2", "1:6: expected ',' or ']'"},
        {"{\"a\": tru}", "1:7: unexpected character"},
        {"{\"a\": 01}", "1:8: expected ',' or '}'"},
        {"{\"a\": -}", "1:8: invalid number"},
        {"{\"\\ud800\": 1}", "1:9: lone surrogate"},
        {"{\"a\\q\": 1}", "1:5: invalid escape"},
        {"{\"a\":\n\t\"\x01\"}", "2:3: control character"},
        {"", "1:1: unexpected character (at end of input)"},
        {"{1: 2}", "1:2: expected a member name"},
    };
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        struct hjp_index *ix = NULL;
        struct ac_err err;
        ac_err_clear(&err);
        if (hjp_build(cases[k].text, strlen(cases[k].text), &ix, &err)) {
            fail_msg("case %zu: accepted", k);
        }
        if (strncmp(err.msg, cases[k].msg, strlen(cases[k].msg)) != 0) {
            fail_msg("case %zu: got \"%s\", expected \"%s...\"", k, err.msg,
                     cases[k].msg);
        }
        assert_null(ix);
    }
}

static void test_depth_limit(void **state)
{
    size_t n = 10000;
    char *text = malloc(2 * n + 1);
    struct hjp_index *ix = NULL;
    struct ac_err err;

    (void)state;
    memset(text, '[', n);
    memset(text + n, ']', n);
    text[2 * n] = '\0';
    assert_false(hjp_build(text, 2 * n, &ix, &err));
    assert_non_null(strstr(err.msg, "nesting too deep"));
    free(text);
}

/* Many members: exercises the hash table's growth. */
static void test_many_members(void **state)
{
    const size_t cap = 200000;
    char *text = malloc(cap);
    size_t used = 0;
    struct hjp_index *ix;
    char ptr[32];

    (void)state;
    assert_non_null(text);
    used += (size_t)snprintf(text, cap, "{");
    for (int k = 0; k < 5000; k++) {
        used += (size_t)snprintf(text + used, cap - used, "%s\"k%d\": [%d]",
                                 k ? "," : "", k, k);
    }
    assert_int_cmp(used + 2, <=, cap);
    snprintf(text + used, cap - used, "}");
    ix = build(text);
    assert_int_equal(hjp_count(ix), 1 + 2 * 5000);
    for (int k = 0; k < 5000; k += 499) {
        struct hjp_pos p;
        snprintf(ptr, sizeof(ptr), "/k%d/0", k);
        assert_true(hjp_value(ix, ptr, &p));
    }
    hjp_free(ix);
    free(text);
}

static void test_pointer_helpers(void **state)
{
    char *p = hjp_pointer_join("/a", "b/c~d");
    char *q = hjp_pointer_index("/a", 12);

    (void)state;
    assert_string_equal(p, "/a/b~1c~0d");
    assert_string_equal(q, "/a/12");
    free(p);
    free(q);
    hjp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_key_escapes),
        cmocka_unit_test(test_utf8_columns),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_locate_falls_back),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_many_members),
        cmocka_unit_test(test_pointer_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
