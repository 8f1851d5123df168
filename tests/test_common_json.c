/* Tests for common/json: strict parsing (duplicates, trailing garbage,
 * line/column messages), files, dumping and atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/json.h"
#include "tests/support/asserts.h"
#include "tests/support/env.h"

static const struct {
    const char *text;
    const char *msg_part;
} bad_vec[] = {
    {"{\"a\":1,\"a\":2}", "line 1 column"},
    {"{\"a\":1,\n \"a\":2}", "line 2 column"},
    {"{\"a\":{\"b\":1,\"b\":1}}", "duplicate"},
    {"{\"a\":1} x", "line 1 column"},
    {"{\"a\":1}{}", "end of file expected"},
    {"{\"a\":", "line 1 column"},
    {"", "line"},
    {"[1,]", "line 1"},
    {"{'a':1}", "line 1"},
    {"{\"a\":NaN}", "line 1"},
    {"\"a\\u0000b\"", "line 1"},
    {"{\"a\":\"\xff\"}", "line 1"},
};

static void test_parse_rejects(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_vec) / sizeof(bad_vec[0]); i++) {
        struct ac_err err = {0};
        json_t *v =
            ac_json_parse(bad_vec[i].text, strlen(bad_vec[i].text), &err);
        if (v != NULL) {
            fail_msg("accepted %s", bad_vec[i].text);
        }
        assert_int_equal(err.code, AC_ERR_INVALID);
        if (strstr(err.msg, bad_vec[i].msg_part) == NULL) {
            fail_msg("%s: \"%s\" lacks \"%s\"", bad_vec[i].text, err.msg,
                     bad_vec[i].msg_part);
        }
    }
}

static void test_parse_ok(void **state)
{
    struct ac_err err = {0};
    const char *text = "{\"s\":\"x\",\"n\":1,\"arr\":[\"a\",2,\"b\"]} trailing";
    json_t *v;

    (void)state;
    /* `len` bounds the text: the trailing garbage is outside it. */
    v = ac_json_parse(text, strlen(text) - strlen(" trailing"), &err);
    assert_non_null(v);
    assert_string_equal(ac_json_str(v, "s"), "x");
    assert_null(ac_json_str(v, "n"));
    assert_null(ac_json_str(v, "missing"));
    assert_null(ac_json_str(json_object_get(v, "arr"), "s"));
    assert_true(ac_json_array_has_str(json_object_get(v, "arr"), "b"));
    assert_false(ac_json_array_has_str(json_object_get(v, "arr"), "2"));
    assert_false(ac_json_array_has_str(v, "s"));
    json_decref(v);
    v = ac_json_parse("42", 2, &err);
    assert_true(json_is_integer(v));
    json_decref(v);
    assert_null(ac_json_parse(NULL, 0, &err));
}

static void test_parse_object(void **state)
{
    struct ac_err err = {0};
    json_t *v;

    (void)state;
    v = ac_json_parse_object("{}", 2, &err);
    assert_true(json_is_object(v));
    json_decref(v);
    assert_null(ac_json_parse_object("[]", 2, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "object"));
    assert_null(ac_json_parse_object("\"s\"", 3, &err));
}

static void test_dump_sorted_compact(void **state)
{
    json_t *v =
        json_pack("{s:i, s:[s, n], s:{s:b}}", "z", 1, "a", "x", "m", "k", 1);
    char *s = ac_json_dump(v);

    (void)state;
    assert_string_equal(s, "{\"a\":[\"x\",null],\"m\":{\"k\":true},\"z\":1}");
    free(s);
    json_decref(v);
    assert_null(ac_json_dump(NULL));
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_files(void **state)
{
    char dir[1024], *path = NULL, *bad = NULL, *nodir = NULL;
    struct ac_err err = {0};
    json_t *v = json_pack("{s:s, s:i}", "b", "x", "a", 1), *back;
    struct stat st;
    FILE *f;

    (void)state;
    assert_true(ts_mkdtemp(dir, sizeof(dir), "test_common_json"));
    assert_int_cmp(asprintf(&path, "%s/out.json", dir), >, 0);
    assert_int_cmp(asprintf(&bad, "%s/bad.json", dir), >, 0);
    assert_int_cmp(asprintf(&nodir, "%s/missing/out.json", dir), >, 0);
    if (!ac_json_write_file(v, path, 0600, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Overwrite in place with another mode; no temp file left behind. */
    assert_true(ac_json_write_file(v, path, 0644, &err));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(dir), 1);
    back = ac_json_load_file(path, &err);
    assert_non_null(back);
    assert_true(json_equal(back, v));
    json_decref(back);
    /* A strict load names the file, line and column. */
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\n  \"a\": 1,\n  \"a\": 2\n}\n", f);
    fclose(f);
    assert_null(ac_json_load_file(bad, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_non_null(strstr(err.msg, bad));
    assert_non_null(strstr(err.msg, "line 3 column"));
    assert_null(ac_json_load_file(nodir, &err));
    assert_int_equal(err.code, AC_ERR_IO);
    assert_non_null(strstr(err.msg, nodir));
    assert_false(ac_json_write_file(v, nodir, 0600, &err));
    assert_int_equal(err.code, AC_ERR_IO);
    unlink(path);
    unlink(bad);
    assert_int_equal(rmdir(dir), 0);
    json_decref(v);
    free(path);
    free(bad);
    free(nodir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_object),
        cmocka_unit_test(test_dump_sorted_compact),
        cmocka_unit_test(test_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
