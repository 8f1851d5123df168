/* Tests for common/buf (capped buffer), common/err and common/clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "tests/support/asserts.h"

static void test_buf_append_and_terminator(void **state)
{
    struct ac_buf b;
    char *s;

    (void)state;
    ac_buf_init(&b, 0);
    assert_null(b.data);
    assert_true(ac_buf_append(&b, "abc", 3, NULL));
    assert_true(ac_buf_append_str(&b, "def", NULL));
    assert_true(ac_buf_append(&b, "", 0, NULL));
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    assert_true(ac_buf_printf(&b, NULL, "-%d-%s", 42, "x"));
    assert_string_equal(b.data, "abcdef-42-x");
    s = ac_buf_steal(&b);
    assert_string_equal(s, "abcdef-42-x");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
    ac_buf_free(&b);
}

static void test_buf_cap(void **state)
{
    struct ac_buf b;
    struct ac_err err = {0};

    (void)state;
    ac_buf_init(&b, 8);
    assert_true(ac_buf_append(&b, "12345678", 8, &err));
    assert_false(ac_buf_append(&b, "9", 1, &err));
    assert_int_equal(err.code, AC_ERR_TOOBIG);
    /* The failed append left the buffer unchanged. */
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    ac_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_false(ac_buf_append(&b, "123456789", 9, &err));
    assert_false(ac_buf_printf(&b, &err, "%s", "0123456789"));
    assert_int_equal(b.len, 0);
    /* A length that would overflow size_t arithmetic is refused. */
    assert_false(ac_buf_append(&b, "x", SIZE_MAX, &err));
    assert_int_equal(err.code, AC_ERR_TOOBIG);
    ac_buf_free(&b);
    ac_buf_free(NULL);
}

static void test_buf_default_cap_and_large_printf(void **state)
{
    struct ac_buf b;
    char *big = malloc(5000);

    (void)state;
    memset(big, 'x', 4999);
    big[4999] = '\0';
    ac_buf_init(&b, 0);
    assert_true(ac_buf_printf(&b, NULL, "<%s>", big));
    assert_int_equal(b.len, 5001);
    assert_int_equal(b.data[5000], '>');
    ac_buf_free(&b);
    free(big);
    ac_buf_init(&b, 0);
    assert_false(ac_buf_append(&b, "", AC_BUF_DEFAULT_MAX + 1, NULL));
    ac_buf_free(&b);
}

static void test_buf_steal_empty(void **state)
{
    struct ac_buf b;
    char *s;

    (void)state;
    ac_buf_init(&b, 0);
    s = ac_buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void test_err_set_prefix_clear(void **state)
{
    struct ac_err err = {0};
    char longmsg[400];

    (void)state;
    AC_ERR(&err, AC_ERR_INVALID, "bad %s at %d", "thing", 7);
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_string_equal(err.msg, "bad thing at 7");
    assert_string_equal(err.func, "test_err_set_prefix_clear");
    assert_non_null(strstr(err.file, "test_common_buf.c"));
    assert_int_cmp(err.line, >, 0);
    ac_err_prefix(&err, "loading %s", "x.json");
    assert_string_equal(err.msg, "loading x.json: bad thing at 7");
    memset(longmsg, 'a', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    ac_err_prefix(&err, "%s", longmsg);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
    ac_err_clear(&err);
    assert_int_equal(err.code, AC_OK);
    assert_string_equal(err.msg, "");
    /* NULL means "the caller does not care". */
    AC_ERR(NULL, AC_ERR_IO, "ignored");
    ac_err_prefix(NULL, "x");
    ac_err_clear(NULL);
}

static void test_err_code_names(void **state)
{
    (void)state;
    assert_string_equal(ac_err_code_name(AC_OK), "ok");
    assert_string_equal(ac_err_code_name(AC_ERR_INVALID), "invalid");
    assert_string_equal(ac_err_code_name(AC_ERR_TOOBIG), "toobig");
    assert_string_equal(ac_err_code_name(AC_ERR_USAGE), "usage");
    assert_string_equal(ac_err_code_name(-1), "unknown");
    assert_string_equal(ac_err_code_name(1000), "unknown");
}

static void test_log_level(void **state)
{
    struct ac_err err = {0};

    (void)state;
    assert_int_equal(ac_log_get_level(), AC_LOG_WARN);
    ac_log_set_level(AC_LOG_DEBUG);
    assert_int_equal(ac_log_get_level(), AC_LOG_DEBUG);
    AC_ERR(&err, AC_ERR_IO, "printed with location");
    ac_err_print(&err, "test");
    ac_log(AC_LOG_DEBUG, "debug message %d", 1);
    ac_log_set_level(AC_LOG_ERROR);
    ac_log(AC_LOG_INFO, "not shown");
    assert_int_equal(ac_log_get_level(), AC_LOG_ERROR);
    ac_log_set_level(AC_LOG_WARN);
}

static void test_clock(void **state)
{
    int64_t a, b, real;

    (void)state;
    real = (int64_t)time(NULL);
    assert_int_cmp(ac_now(), >=, real);
    assert_int_cmp(ac_now(), <=, real + 2);
    ac_clock_pin_for_tests(1700000000);
    assert_int_equal(ac_now(), 1700000000);
    ac_clock_pin_for_tests(0);
    assert_int_cmp(ac_now(), >=, real);
    a = ac_mono_ns();
    b = ac_mono_ns();
    assert_int_cmp(a, >, 0);
    assert_int_cmp(b, >=, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_terminator),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_default_cap_and_large_printf),
        cmocka_unit_test(test_buf_steal_empty),
        cmocka_unit_test(test_err_set_prefix_clear),
        cmocka_unit_test(test_err_code_names),
        cmocka_unit_test(test_log_level),
        cmocka_unit_test(test_clock),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
