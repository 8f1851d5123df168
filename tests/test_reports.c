/* Tests for reports/: golden output of the JSON renderers on a fixed model
 * (tests/data/reports/model.json), secrets planted everywhere never reaching
 * a written file, and rp_parse_formats.
 *
 * Goldens live in tests/data/reports/golden/; after an intended change,
 * run with AUTHCHECK_UPDATE_GOLDEN=1 to rewrite them and review the diff. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/json.h"
#include "reports/reports.h"
#include "reports/reports_int.h"

/* --- helpers ------------------------------------------------------------ */

static const char *testdata(void)
{
    const char *d = getenv("AUTHCHECK_TESTDATA");
    return d != NULL ? d : "tests/data";
}

static json_t *load(const char *rel)
{
    char *path = NULL;
    struct ac_err err = {0};
    json_t *v;

    assert_true(asprintf(&path, "%s/reports/%s", testdata(), rel) >= 0);
    v = ac_json_load_file(path, &err);
    if (v == NULL) {
        fail_msg("%s: %s", path, err.msg);
    }
    free(path);
    return v;
}

/* A fresh temporary directory under $AUTHCHECK_TMP (or /tmp). */
static char *make_tmpdir(void)
{
    const char *base = getenv("AUTHCHECK_TMP");
    char *tmpl = NULL;

    assert_true(asprintf(&tmpl, "%s/reports-XXXXXX",
                         base != NULL ? base : "/tmp") >= 0);
    mkdir(base != NULL ? base : "/tmp", 0755);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Compare out_dir/rel with golden/rel byte for byte (or rewrite it). */
static void assert_golden(const char *out_dir, const char *rel)
{
    char *got_path = NULL, *want_path = NULL, *got, *want;

    assert_true(asprintf(&got_path, "%s/%s", out_dir, rel) >= 0);
    assert_true(asprintf(&want_path, "%s/reports/golden/%s", testdata(), rel) >=
                0);
    got = read_file(got_path);
    assert_non_null(got);
    if (getenv("AUTHCHECK_UPDATE_GOLDEN") != NULL) {
        char *dir = strdup(want_path);
        *strrchr(dir, '/') = '\0';
        assert_true(rp_mkdirs(dir, NULL));
        write_text(want_path, got);
        free(dir);
    }
    want = read_file(want_path);
    if (want == NULL) {
        fail_msg("missing golden %s (AUTHCHECK_UPDATE_GOLDEN=1 writes it)",
                 want_path);
    }
    if (strcmp(got, want) != 0) {
        fail_msg("%s differs from %s", got_path, want_path);
    }
    free(got);
    free(want);
    free(got_path);
    free(want_path);
}

/* Call fn(path, ctx) for every regular file under dir, recursively. */
static void each_file(const char *dir, void (*fn)(const char *, void *),
                      void *ctx)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char *p = NULL;
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        assert_true(asprintf(&p, "%s/%s", dir, e->d_name) >= 0);
        assert_int_equal(stat(p, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            each_file(p, fn, ctx);
        } else {
            fn(p, ctx);
        }
        free(p);
    }
    closedir(d);
}

static void remove_one(const char *path, void *ctx)
{
    (void)ctx;
    unlink(path);
}

static void remove_dirs(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char *p = NULL;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (asprintf(&p, "%s/%s", dir, e->d_name) >= 0) {
            remove_dirs(p);
            rmdir(p);
            free(p);
        }
    }
    closedir(d);
}

static void remove_tree(const char *dir)
{
    each_file(dir, remove_one, NULL);
    remove_dirs(dir);
    rmdir(dir);
}

/* --- golden output ------------------------------------------------------- */

static void test_golden_json_and_checks(void **state)
{
    json_t *model = load("model.json");
    json_t *secrets = load("secrets.json");
    char *dir = make_tmpdir();
    struct ac_err err = {0};

    (void)state;
    if (!rp_write(model, secrets, dir, RP_JSON | RP_CHECKS, &err)) {
        fail_msg("rp_write: %s", err.msg);
    }
    assert_golden(dir, "results.json");
    assert_golden(dir, "core/dcr-happy-path/checks.json");
    assert_golden(dir, "authorization/pkce-plain/checks.json");
    remove_tree(dir);
    free(dir);
    json_decref(model);
    json_decref(secrets);
}

/* The caller's model is not modified (rp_write works on a copy). */
static void test_model_untouched(void **state)
{
    json_t *model = load("model.json");
    json_t *before = json_deep_copy(model);
    json_t *secrets = load("secrets.json");
    char *dir = make_tmpdir();

    (void)state;
    assert_true(rp_write(model, secrets, dir, RP_JSON, NULL));
    assert_true(json_equal(model, before));
    remove_tree(dir);
    free(dir);
    json_decref(model);
    json_decref(before);
    json_decref(secrets);
}

/* The official shape: every entry has the members the suite reads. */
static void test_checks_json_shape(void **state)
{
    json_t *model = load("model.json");
    char *dir = make_tmpdir(), *path = NULL;
    json_t *arr, *c;
    size_t i;

    (void)state;
    assert_true(rp_write(model, NULL, dir, RP_CHECKS, NULL));
    assert_true(
        asprintf(&path, "%s/authorization/pkce-plain/checks.json", dir) >= 0);
    arr = ac_json_load_file(path, NULL);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), 2);
    json_array_foreach(arr, i, c)
    {
        const json_t *ref =
            json_array_get(json_object_get(c, "specReferences"), 0);
        assert_non_null(ac_json_str(c, "id"));
        assert_non_null(ac_json_str(c, "name"));
        assert_non_null(ac_json_str(c, "description"));
        assert_non_null(ac_json_str(c, "status"));
        assert_string_equal(ac_json_str(c, "timestamp"),
                            "2026-11-25T18:00:00Z");
        assert_non_null(ac_json_str(ref, "id"));
        assert_non_null(ac_json_str(ref, "url"));
        assert_true(json_is_object(json_object_get(c, "details")));
    }
    /* The spec reference id is derived from the section URL; FAILURE
     * carries errorMessage, SKIPPED does not. */
    c = json_array_get(arr, 0);
    assert_string_equal(
        ac_json_str(json_array_get(json_object_get(c, "specReferences"), 0),
                    "id"),
        "MCP-2026-07-28-authorization-code-protection");
    assert_non_null(ac_json_str(json_array_get(arr, 0), "errorMessage"));
    assert_null(json_object_get(json_array_get(arr, 1), "errorMessage"));
    json_decref(arr);
    free(path);
    remove_tree(dir);
    free(dir);
    json_decref(model);
}

/* A scenario id that would escape the output directory is refused. */
static void test_unsafe_scenario_id(void **state)
{
    json_t *model = load("model.json");
    char *dir = make_tmpdir();
    struct ac_err err = {0};

    (void)state;
    json_object_set_new(json_array_get(json_object_get(model, "scenarios"), 0),
                        "id", json_string("../escape"));
    assert_false(rp_write(model, NULL, dir, RP_CHECKS, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_true(rp_safe_relpath("core/dcr-happy-path"));
    assert_false(rp_safe_relpath("/abs"));
    assert_false(rp_safe_relpath("a//b"));
    assert_false(rp_safe_relpath("a/./b"));
    assert_false(rp_safe_relpath("a/"));
    assert_false(rp_safe_relpath("a b"));
    assert_false(rp_safe_relpath(""));
    remove_tree(dir);
    free(dir);
    json_decref(model);
}

/* --- redaction ----------------------------------------------------------- */

struct scan {
    const json_t *planted;
    size_t files;
    size_t tags;
};

static void scan_file(const char *path, void *ctx)
{
    struct scan *s = ctx;
    char *text = read_file(path);
    size_t i;
    const json_t *p;

    assert_non_null(text);
    s->files++;
    json_array_foreach(s->planted, i, p)
    {
        if (strstr(text, json_string_value(p)) != NULL) {
            fail_msg("%s contains the planted secret %s", path,
                     json_string_value(p));
        }
    }
    for (const char *t = text; (t = strstr(t, "[redacted:")) != NULL; t++) {
        s->tags++;
    }
    free(text);
}

static void test_planted_secrets_never_written(void **state)
{
    json_t *doc = load("planted.json");
    char *dir = make_tmpdir();
    struct scan s = {json_object_get(doc, "planted"), 0, 0};
    struct ac_err err = {0};

    (void)state;
    if (!rp_write(json_object_get(doc, "results"),
                  json_object_get(doc, "secrets"), dir, RP_JSON | RP_CHECKS,
                  &err)) {
        fail_msg("rp_write: %s", err.msg);
    }
    each_file(dir, scan_file, &s);
    assert_int_equal(s.files, 3); /* results.json + two checks.json */
    assert_true(s.tags >= 12);
    remove_tree(dir);
    free(dir);
    json_decref(doc);
}

/* Without a secrets list, what has a known place (headers, secret form
 * parameters and JSON members, URL queries, Location, model members) is
 * still redacted. */
static void test_structural_redaction_without_list(void **state)
{
    static const char *const structural[] = {
        "PLANTED-HEADER-TOKEN-0001",  "PLANTED-FORM-CODE-0002",
        "PLANTED-FORM-VERIFIER-0003", "PLANTED-FORM-CLIENT-SECRET-0004",
        "PLANTED-JSON-ACCESS-0006",   "PLANTED-JSON-REFRESH-0007",
        "PLANTED-URL-CODE-0008",      "PLANTED-LOCATION-CODE-0009",
        "PLANTED-MODEL-MEMBER-0011",  NULL,
    };
    json_t *doc = load("planted.json");
    json_t *list = json_array();
    char *dir = make_tmpdir();
    struct scan s = {list, 0, 0};

    (void)state;
    for (size_t i = 0; structural[i] != NULL; i++) {
        json_array_append_new(list, json_string(structural[i]));
    }
    assert_true(
        rp_write(json_object_get(doc, "results"), NULL, dir, RP_JSON, NULL));
    each_file(dir, scan_file, &s);
    assert_int_equal(s.files, 1);
    remove_tree(dir);
    free(dir);
    json_decref(list);
    json_decref(doc);
}

/* The same secret redacts to the same tag wherever it is found, so a reader
 * can follow it through the flow. */
static void test_redaction_is_followable(void **state)
{
    json_t *model = load("model.json");
    json_t *secrets = load("secrets.json");
    json_t *red = rp_redact_model(model, secrets, NULL);
    json_t *sc = json_array_get(json_object_get(red, "scenarios"), 0);
    json_t *tr = json_object_get(sc, "transcript");
    const char *loc = json_string_value(json_array_get(
        json_array_get(
            json_object_get(json_object_get(json_array_get(tr, 4), "response"),
                            "headers"),
            0),
        1));
    const char *body = json_string_value(json_object_get(
        json_object_get(json_array_get(tr, 6), "request"), "body"));
    const char *tag;

    (void)state;
    assert_non_null(loc);
    assert_non_null(body);
    tag = strstr(loc, "code=[redacted:");
    assert_non_null(tag);
    /* "code=[redacted:xxxxxxxx]" is 24 characters; the token request
     * redeems the same code, so the same tag appears in its body. */
    {
        char want[32];
        snprintf(want, sizeof want, "%.24s", tag);
        assert_non_null(strstr(body, want));
    }
    json_decref(red);
    json_decref(model);
    json_decref(secrets);
}

/* --- formats ---------------------------------------------------------------
 */

static void test_parse_formats(void **state)
{
    unsigned f = 0;
    struct ac_err err = {0};

    (void)state;
    assert_true(rp_parse_formats("json", &f, &err));
    assert_int_equal(f, RP_JSON);
    assert_true(rp_parse_formats("json,checks", &f, &err));
    assert_int_equal(f, RP_JSON | RP_CHECKS);
    assert_true(rp_parse_formats("html,md,junit,json,checks", &f, &err));
    assert_int_equal(f, RP_HTML | RP_MARKDOWN | RP_JUNIT | RP_JSON | RP_CHECKS);
    assert_true(rp_parse_formats(" markdown , HTML", &f, &err));
    assert_int_equal(f, RP_MARKDOWN | RP_HTML);
    assert_true(rp_parse_formats("all", &f, &err));
    assert_int_equal(f, RP_HTML | RP_MARKDOWN | RP_JUNIT | RP_JSON | RP_CHECKS);

    f = 77;
    assert_false(rp_parse_formats("xml", &f, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
    assert_non_null(strstr(err.msg, "\"xml\""));
    assert_int_equal(f, 77); /* untouched on failure */
    assert_false(rp_parse_formats("", &f, &err));
    assert_false(rp_parse_formats("json,", &f, &err));
    assert_false(rp_parse_formats("json,,md", &f, &err));
    assert_false(rp_parse_formats(",json", &f, &err));
    assert_false(rp_parse_formats(NULL, &f, &err));
}

static void test_bad_arguments(void **state)
{
    json_t *arr = json_array();
    json_t *obj = json_object();
    struct ac_err err = {0};

    (void)state;
    assert_false(rp_write(arr, NULL, "/tmp", RP_JSON, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
    assert_false(rp_write(NULL, NULL, "/tmp", RP_JSON, &err));
    assert_false(rp_write(obj, NULL, NULL, RP_JSON, &err));
    /* An output directory under a regular file cannot be created. */
    assert_false(rp_write(obj, NULL, "/dev/null/x", RP_JSON, &err));
    assert_int_equal(err.code, AC_ERR_IO);
    json_decref(arr);
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_json_and_checks),
        cmocka_unit_test(test_model_untouched),
        cmocka_unit_test(test_checks_json_shape),
        cmocka_unit_test(test_unsafe_scenario_id),
        cmocka_unit_test(test_planted_secrets_never_written),
        cmocka_unit_test(test_structural_redaction_without_list),
        cmocka_unit_test(test_redaction_is_followable),
        cmocka_unit_test(test_parse_formats),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
