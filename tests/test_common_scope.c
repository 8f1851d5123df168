/* Tests for common/scope: scope lists as sets (RFC 6749 §3.3), the one copy
 * the client, the mocks and the checks share. Table-driven, with odd
 * spacing, prefixes, NULL and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/scope.h"
#include "tests/support/asserts.h"

static void test_next(void **state)
{
    const char *cur = "  a  bb c ", *t;
    size_t n;
    const char *want[] = {"a", "bb", "c"};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        assert_true(ac_scope_next(&cur, &t, &n));
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(t, want[i], n);
    }
    assert_false(ac_scope_next(&cur, &t, &n));
    assert_false(ac_scope_next(&cur, &t, &n)); /* stays at the end */
    cur = NULL;
    assert_false(ac_scope_next(&cur, &t, &n));
    cur = "   ";
    assert_false(ac_scope_next(&cur, &t, &n));
    cur = "";
    assert_false(ac_scope_next(&cur, &t, &n));
}

static const struct {
    const char *list, *s;
    bool has;
} has_vec[] = {
    {"a b c", "b", true},        {"a b c", "a", true},
    {"a b c", "c", true},        {" a  b ", "b", true},
    {"a b c", "d", false},       {"ab", "a", false}, /* a token, not a prefix */
    {"a", "ab", false},                              /* nor a longer one */
    {"mcp:tools", "mcp", false}, {"A", "a", false},  /* case-sensitive */
    {"a\tb", "a", false},                            /* only %x20 separates */
    {"a b", "", false}, /* the empty scope is never a member */
    {"  ", "", false},           {NULL, "a", false},
    {"a", NULL, false},          {"offline_access", "offline_access", true},
};

static void test_has(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof has_vec / sizeof has_vec[0]; i++) {
        bool got = ac_scope_has(has_vec[i].list, has_vec[i].s);
        if (got != has_vec[i].has) {
            fail_msg("ac_scope_has(\"%s\", \"%s\") = %d, want %d",
                     has_vec[i].list ? has_vec[i].list : "(null)",
                     has_vec[i].s ? has_vec[i].s : "(null)", got,
                     has_vec[i].has);
        }
    }
    assert_true(ac_scope_has_n("x yz", "yzq", 2));
    assert_false(ac_scope_has_n("x yz", "y", 0));
}

static const struct {
    const char *want, *have;
    bool subset;
} subset_vec[] = {
    {"a", "a b", true},    {"b a", "a b", true},
    {"a a", "a", true},    {"  ", "a", true},
    {"", NULL, true},      {NULL, NULL, true},
    {"a c", "a b", false}, {"a", NULL, false},
    {"a", "", false},      {"mcp:tools:read", "mcp:tools", false},
};

static void test_subset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof subset_vec / sizeof subset_vec[0]; i++) {
        bool got = ac_scope_subset(subset_vec[i].want, subset_vec[i].have);
        if (got != subset_vec[i].subset) {
            fail_msg("ac_scope_subset(\"%s\", \"%s\") = %d, want %d",
                     subset_vec[i].want ? subset_vec[i].want : "(null)",
                     subset_vec[i].have ? subset_vec[i].have : "(null)", got,
                     subset_vec[i].subset);
        }
    }
}

static void test_subset_of_array(void **state)
{
    json_t *arr = json_pack("[s, s, i, s]", "a", "b c", 7, "");

    (void)state;
    assert_non_null(arr);
    assert_true(ac_scope_subset_of_array("a", arr));
    assert_true(ac_scope_subset_of_array("  a a ", arr));
    assert_true(ac_scope_subset_of_array(NULL, arr));
    assert_false(ac_scope_subset_of_array("b", arr)); /* "b c" is one */
    assert_false(ac_scope_subset_of_array("7", arr));
    assert_false(ac_scope_subset_of_array("a d", arr));
    assert_false(ac_scope_subset_of_array("a", NULL));
    json_decref(arr);
}

static const struct {
    const char *a, *b, *want;
} union_vec[] = {
    {"a b", "b c", "a b c"},
    {"a", NULL, "a"},
    {NULL, "a", "a"},
    {NULL, NULL, ""},
    {"", "  ", ""},
    {" a  a ", "a", "a"},
    {"x", "offline_access", "x offline_access"},
    {"c b", "a b c d", "c b a d"}, /* the held scopes first, in order */
};

static void test_union(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof union_vec / sizeof union_vec[0]; i++) {
        char *got = ac_scope_union(union_vec[i].a, union_vec[i].b);
        assert_non_null(got);
        assert_string_equal(got, union_vec[i].want);
        free(got);
    }
}

static void test_join_array(void **state)
{
    static const struct {
        const char *json, *want;
    } vec[] = {
        {"[\"mcp:tools\", \"mcp:admin\"]", "mcp:tools mcp:admin"},
        {"[]", ""},
        {"[\"\", 3, null, \"a\", \"a\"]", "a"},
        {"[\"a b\", \"b\"]", "a b"},
        {"{\"a\": \"b\"}", ""},
    };
    char *got;

    (void)state;
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        json_t *arr = json_loads(vec[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(arr);
        got = ac_scope_join_array(arr);
        assert_non_null(got);
        assert_string_equal(got, vec[i].want);
        free(got);
        json_decref(arr);
    }
    got = ac_scope_join_array(NULL);
    assert_non_null(got);
    assert_string_equal(got, "");
    free(got);
}

/* A long list: no fixed buffer in the way (the harness's refresh check
 * once dropped scopes past 2 KiB). Two lists of 1000 scopes each (over
 * 10 KiB together), overlapping by half, unite to the 1500 distinct ones
 * (nearly 8 KiB, well past the old 2 KiB buffer). */
static void test_long(void **state)
{
    struct ac_buf a, b;
    char one[16], *u;

    (void)state;
    ac_buf_init(&a, 0);
    ac_buf_init(&b, 0);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(one, sizeof one, "%ss%d", i ? " " : "", i);
        assert_true(ac_buf_append(&a, one, (size_t)n, NULL));
        n = snprintf(one, sizeof one, "%ss%d", i ? " " : "", i + 500);
        assert_true(ac_buf_append(&b, one, (size_t)n, NULL));
    }
    u = ac_scope_union(a.data, b.data);
    assert_non_null(u);
    assert_int_cmp(strlen(u), >, 4096);
    assert_true(ac_scope_has(u, "s0"));
    assert_true(ac_scope_has(u, "s1499"));
    assert_false(ac_scope_has(u, "s1500"));
    assert_true(ac_scope_subset(a.data, u));
    assert_true(ac_scope_subset(b.data, u));
    assert_true(ac_scope_subset("s0 s1000 s1499", u));
    {
        size_t count = 0, len;
        const char *cur = u, *t;
        while (ac_scope_next(&cur, &t, &len)) {
            count++;
        }
        assert_int_equal(count, 1500);
    }
    free(u);
    ac_buf_free(&a);
    ac_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next),   cmocka_unit_test(test_has),
        cmocka_unit_test(test_subset), cmocka_unit_test(test_subset_of_array),
        cmocka_unit_test(test_union),  cmocka_unit_test(test_join_array),
        cmocka_unit_test(test_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
