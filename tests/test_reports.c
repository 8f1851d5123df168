/* Tests for reports/: golden output of every renderer on a fixed model
 * (tests/data/reports/model.json), secrets planted everywhere never reaching
 * a written file, hostile text escaped in junit.xml, report.md and
 * report.html (hostile.json), junit.xml valid against junit.xsd (xmllint),
 * the structure report.html promises to browser tests, rp_render_dir,
 * baselines, and rp_parse_formats.
 *
 * Goldens live in tests/data/reports/golden/; after an intended change,
 * run with AUTHCHECK_UPDATE_GOLDEN=1 to rewrite them and review the diff. */
#include <ctype.h>
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
#include <zlib.h>

#include "common/b64url.h"
#include "common/json.h"
#include "harness/checks.h"
#include "reports/baseline.h"
#include "reports/causes.h"
#include "reports/reports.h"
#include "reports/reports_int.h"
#include "tests/support/asserts.h"

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

    assert_int_cmp(asprintf(&path, "%s/reports/%s", testdata(), rel), >=, 0);
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

    assert_int_cmp(
        asprintf(&tmpl, "%s/reports-XXXXXX", base != NULL ? base : "/tmp"), >=,
        0);
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

    assert_int_cmp(asprintf(&got_path, "%s/%s", out_dir, rel), >=, 0);
    assert_int_cmp(
        asprintf(&want_path, "%s/reports/golden/%s", testdata(), rel), >=, 0);
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
        assert_int_cmp(asprintf(&p, "%s/%s", dir, e->d_name), >=, 0);
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
    assert_int_cmp(
        asprintf(&path, "%s/authorization/pkce-plain/checks.json", dir), >=, 0);
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

/* The transcripts data of a report.html, decoded: the text inside
 * <script id="transcripts"> is base64 of gzip of a JSON array. A new
 * string, "" when the page has none. */
static char *html_data(const char *html)
{
    const char *start = strstr(html, "id=\"transcripts\"");
    const char *end;
    uint8_t *gz = NULL;
    size_t gzlen = 0;
    char *b64, *out, *grown;
    z_stream z;
    size_t cap = 1 << 20;

    if (start == NULL) {
        return strdup("");
    }
    start = strchr(start, '>') + 1;
    end = strstr(start, "</script>");
    assert_non_null(end);
    b64 = calloc(1, (size_t)(end - start) + 1);
    assert_non_null(b64);
    for (const char *p = start, *q; p < end; p = q) {
        q = p + 1;
        if (*p != '\n') {
            b64[strlen(b64)] = *p;
        }
    }
    assert_true(ac_b64_decode(b64, strlen(b64), &gz, &gzlen, NULL));
    out = malloc(cap);
    assert_non_null(out);
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = gz;
    z.avail_in = (uInt)gzlen;
    for (;;) {
        int rc;
        z.next_out = (Bytef *)out + z.total_out;
        z.avail_out = (uInt)(cap - 1 - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            break;
        }
        assert_int_equal(rc, Z_OK);
        cap *= 2;
        grown = realloc(out, cap);
        assert_non_null(grown);
        out = grown;
    }
    out[z.total_out] = '\0';
    inflateEnd(&z);
    free(gz);
    free(b64);
    return out;
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
    /* report.html carries the transcripts compressed: scan them too. */
    if (strstr(path, "report.html") != NULL) {
        char *data = html_data(text);
        json_array_foreach(s->planted, i, p)
        {
            if (strstr(data, json_string_value(p)) != NULL) {
                fail_msg("%s's transcripts contain the planted secret %s", path,
                         json_string_value(p));
            }
        }
        free(data);
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
                  json_object_get(doc, "secrets"), dir,
                  RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML,
                  &err)) {
        fail_msg("rp_write: %s", err.msg);
    }
    each_file(dir, scan_file, &s);
    /* results.json, two checks.json, junit.xml, report.md, report.html */
    assert_int_equal(s.files, 6);
    assert_int_cmp(s.tags, >=, 12);
    remove_tree(dir);
    free(dir);
    json_decref(doc);
}

#define ALL_FORMATS (RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML)

/* each_file callback: the file under `other` with the same path
 * relative to `base` holds the same bytes. */
struct same_as {
    const char *base;
    const char *other;
    size_t files;
};

static void assert_same_file(const char *path, void *ctx)
{
    struct same_as *c = ctx;
    char *twin = NULL, *a = read_file(path), *b;

    assert_int_cmp(asprintf(&twin, "%s%s", c->other, path + strlen(c->base)),
                   >=, 0);
    b = read_file(twin);
    if (a == NULL || b == NULL || strcmp(a, b) != 0) {
        fail_msg("%s and %s differ", path, twin);
    }
    c->files++;
    free(twin);
    free(a);
    free(b);
}

/* The harness's way (each scenario redacted by its worker with
 * rp_redact_scenario, the model then handed to rp_write_in_place) writes
 * byte for byte what rp_write writes from the plain model, for a model
 * with a secret in every place redaction knows and a known-secret list,
 * and for the golden model. */
static void test_in_place_writes_the_same(void **state)
{
    static const char *const models[] = {"planted.json", "model.json"};

    (void)state;
    for (size_t m = 0; m < 2; m++) {
        json_t *doc = load(models[m]);
        bool planted = m == 0;
        json_t *plain = planted ? json_object_get(doc, "results") : doc;
        json_t *secrets =
            planted ? json_object_get(doc, "secrets") : load("secrets.json");
        json_t *redacted, *scs = json_array(), *sc;
        char *a = make_tmpdir(), *b = make_tmpdir();
        struct same_as same = {a, b, 0};
        struct scan s = {json_object_get(doc, "planted"), 0, 0};
        size_t i;

        /* A secret member outside the scenarios: rp_write_in_place redacts
         * the model's top level itself. */
        json_object_set_new(plain, "access_token",
                            json_string("PLANTED-TOP-LEVEL-0100"));
        redacted = json_copy(plain);
        json_array_foreach(json_object_get(plain, "scenarios"), i, sc)
        {
            json_array_append_new(scs, rp_redact_scenario(sc));
        }
        assert_int_equal(json_object_set_new(redacted, "scenarios", scs), 0);
        assert_true(rp_write(plain, secrets, a, ALL_FORMATS, NULL));
        assert_true(rp_write_in_place(redacted, secrets, b, ALL_FORMATS, NULL));
        each_file(a, assert_same_file, &same);
        assert_int_cmp(same.files, >=, 6);
        if (planted) {
            json_array_append_new(json_object_get(doc, "planted"),
                                  json_string("PLANTED-TOP-LEVEL-0100"));
            each_file(b, scan_file, &s);
            assert_int_equal(s.files, same.files);
        } else {
            json_decref(secrets);
        }
        remove_tree(a);
        remove_tree(b);
        free(a);
        free(b);
        json_decref(redacted);
        json_decref(doc);
    }
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
    assert_true(rp_write(json_object_get(doc, "results"), NULL, dir,
                         RP_JSON | RP_JUNIT | RP_MARKDOWN | RP_HTML, NULL));
    each_file(dir, scan_file, &s);
    assert_int_equal(s.files, 4);
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

/* The known-secret sweep: in keys (same key order), strings anywhere, a
 * node the caller shares between two places tagged once in each (not a
 * tag of a tag), and everything else left as it was. */
static void test_known_secret_sweep(void **state)
{
    const char *secret = "tok-SWEEP-0123456789";
    json_t *shared = json_string("Bearer tok-SWEEP-0123456789");
    json_t *model = json_pack(
        "{s:[], s:{s:s, s:i, s:s, s:s}, s:[O, O, s, b]}", "scenarios", "obj",
        "first", "plain", "tok-SWEEP-0123456789", 7, "mid tok-SWEEP-0123456789",
        "x", "last", "y", "arr", shared, shared, "untouched", 1);
    json_t *secrets = json_pack("[s]", secret);
    json_t *red = rp_redact_model(model, secrets, NULL);
    json_t *obj = json_object_get(red, "obj"),
           *arr = json_object_get(red, "arr");
    char *text = json_dumps(red, 0);
    const char *keys[4], *k,
        *tagged = json_string_value(json_array_get(arr, 0));
    json_t *v;
    size_t n = 0;

    (void)state;
    assert_non_null(text);
    assert_null(strstr(text, secret));
    json_object_foreach(obj, k, v)
    {
        keys[n++] = k;
    }
    assert_int_equal(n, 4);
    assert_string_equal(keys[0], "first");
    assert_non_null(strstr(keys[1], "[redacted:"));
    assert_string_equal(keys[3], "last");
    assert_int_equal(json_integer_value(json_object_get(obj, keys[1])), 7);
    assert_string_equal(json_string_value(json_object_get(obj, "first")),
                        "plain");
    assert_non_null(strstr(keys[2], "mid [redacted:"));
    assert_non_null(strstr(tagged, "Bearer [redacted:"));
    assert_string_equal(tagged, json_string_value(json_array_get(arr, 1)));
    assert_string_equal(json_string_value(json_array_get(arr, 2)), "untouched");
    assert_true(json_is_true(json_array_get(arr, 3)));
    /* The caller's model is not touched. */
    assert_string_equal(json_string_value(shared),
                        "Bearer tok-SWEEP-0123456789");
    free(text);
    json_decref(red);
    json_decref(model);
    json_decref(secrets);
    json_decref(shared);
}

/* --- human and CI formats ------------------------------------------------ */

#define HUMAN (RP_JUNIT | RP_MARKDOWN | RP_HTML)

/* Render `model_rel` with `formats` into a new temporary directory. */
static char *render(const char *model_rel, unsigned formats)
{
    json_t *model = load(model_rel);
    json_t *secrets = load("secrets.json");
    char *dir = make_tmpdir();
    struct ac_err err = {0};

    if (!rp_write(model, secrets, dir, formats, &err)) {
        fail_msg("rp_write %s: %s", model_rel, err.msg);
    }
    json_decref(model);
    json_decref(secrets);
    return dir;
}

static char *read_out(const char *dir, const char *rel)
{
    char *path = NULL, *text;

    assert_int_cmp(asprintf(&path, "%s/%s", dir, rel), >=, 0);
    text = read_file(path);
    if (text == NULL) {
        fail_msg("%s was not written", path);
    }
    free(path);
    return text;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

static bool have_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* xmllint --schema junit.xsd, asserting validity. */
static void assert_junit_valid(const char *dir)
{
    char *cmd = NULL;

    if (!have_xmllint()) {
        print_message("xmllint not found: junit.xml not validated\n");
        return;
    }
    assert_int_cmp(asprintf(&cmd,
                            "xmllint --noout --schema %s/reports/junit.xsd "
                            "%s/junit.xml",
                            testdata(), dir),
                   >=, 0);
    if (system(cmd) != 0) {
        fail_msg("junit.xml does not validate: %s", cmd);
    }
    free(cmd);
}

static void test_golden_human(void **state)
{
    char *dir = render("model.json", HUMAN);

    (void)state;
    assert_golden(dir, "junit.xml");
    assert_golden(dir, "report.md");
    assert_golden(dir, "report.html");
    assert_junit_valid(dir);
    remove_tree(dir);
    free(dir);
}

/* The promises made to a browser test and to a first-time reader. */
static void test_html_structure(void **state)
{
    char *dir = render("model.json", RP_HTML);
    char *html = read_out(dir, "report.html");
    char *data = html_data(html);
    json_t *doc = ac_json_parse(data, strlen(data), NULL);
    const json_t *s1 = json_array_get(doc, 0), *ex;
    const char *causes, *overview, *fail_row, *ok_row;
    size_t i;
    bool seq6 = false;

    (void)state;
    /* Self-contained: our script and the transcripts data block, no
     * external resource. */
    assert_int_equal(count(html, "<script"), 2);
    assert_int_equal(count(html, "<script type=\"application/octet-stream\" "
                                 "id=\"transcripts\""),
                     1);
    assert_int_equal(count(html, "<script src"), 0);
    assert_int_equal(count(html, "<link"), 0);
    assert_int_equal(count(html, "@import"), 0);
    assert_int_equal(count(html, "url("), 0);
    assert_non_null(strstr(html, "default-src 'none'"));
    /* Hooks: 6 checks, 2 scenarios, filters. */
    assert_int_equal(count(html, "<tr class=\"check\""), 6);
    assert_int_equal(count(html, "class=\"check\" id=\"s2-check-0\" "
                                 "data-status=\"FAILURE\" data-level=\"MUST\""),
                     1);
    assert_int_equal(count(html, "<tr class=\"check\" id=\"s1-check-0\" "
                                 "data-status=\"SUCCESS\""),
                     1);
    assert_int_equal(count(html, "<section class=\"scenario\""), 2);
    assert_int_equal(count(html, "<tr class=\"matrix-row\""), 2);
    /* One root cause (the failure) and one warning group. */
    assert_int_equal(count(html, "<article class=\"cause\""), 2);
    assert_int_equal(count(html, "<article class=\"cause\" id=\"c1\" "
                                 "data-status=\"FAILURE\""),
                     1);
    assert_non_null(strstr(html, "<input type=\"checkbox\" "
                                 "id=\"filter-failing\">"));
    assert_non_null(strstr(html, "id=\"filter-family\""));
    assert_non_null(strstr(html, "id=\"filter-level\""));
    assert_non_null(strstr(html, "@media print"));
    assert_non_null(strstr(html, "@media (max-width:"));
    /* Failing first: the causes come before the overview, the failed
     * scenario's section before the passed one, and the cause carries
     * its spec link and a link to its scenario's evidence exchange. */
    causes = strstr(html, "<section id=\"causes\"");
    overview = strstr(html, "id=\"overview\"");
    assert_non_null(causes);
    assert_ptr_cmp(causes, <, overview);
    assert_ptr_cmp(strstr(html, "id=\"s2\""), <, strstr(html, "id=\"s1\""));
    fail_row = strstr(html, "data-check=\"pkce-s256-method-used\"");
    assert_non_null(fail_row);
    assert_ptr_cmp(fail_row, <, overview);
    assert_ptr_cmp(strstr(fail_row, "href=\"https://modelcontextprotocol.io/"
                                    "specification/2026-07-28/"),
                   <, overview);
    assert_ptr_cmp(strstr(fail_row, "href=\"#s2-check-0\""), <, overview);
    assert_ptr_cmp(strstr(fail_row, "href=\"#s2-ex-0\""), <, overview);
    /* Every check id once in #requirements, linked from the rows. */
    assert_non_null(strstr(html, "<tr class=\"requirement\" "
                                 "id=\"req-pkce-s256-method-used\">"));
    assert_non_null(strstr(html, "href=\"#req-pkce-s256-method-used\""));
    /* A check row links to its evidence exchange, which is in the
     * transcripts data (rendered by the script when opened). */
    ok_row = strstr(html, "data-check=\"pkce-verifier-matches-challenge\"");
    assert_non_null(ok_row);
    assert_non_null(strstr(ok_row, "href=\"#s1-ex-6\""));
    assert_non_null(doc);
    assert_int_equal(json_array_size(doc), 2);
    json_array_foreach(json_object_get(s1, "transcript"), i, ex)
    {
        seq6 = seq6 || json_integer_value(json_object_get(ex, "seq")) == 6;
    }
    assert_true(seq6);
    assert_int_equal(json_array_size(json_object_get(s1, "routes")),
                     json_array_size(json_object_get(s1, "transcript")));
    assert_int_equal(count(html, "<details class=\"transcript\">"), 2);
    /* No exchange is rendered in the page itself any more. */
    assert_int_equal(count(html, "<div class=\"exchange\""), 0);
    /* The sequence diagram, in the data: 4 lifelines, one request + one
     * return arrow per exchange, the browser hop to the client's
     * callback. */
    assert_int_equal(count(data, "<svg class=\\\"seq\\\""), 2);
    assert_int_equal(count(data, "class=\\\"lifeline\\\""), 8);
    assert_int_equal(count(data, "<line class=\\\"req\\\""), 12);
    assert_int_equal(count(data, "<line class=\\\"ret\\\""), 12);
    assert_non_null(strstr(data, "[\"browser\",\"client\"]"));
    assert_non_null(strstr(data, "[\"browser\",\"as\"]"));
    /* Redacted: the code in the redirect is a tag, never the value. */
    assert_null(strstr(html, "SplxlOBeZQQYbYS6WxSbIA"));
    assert_null(strstr(data, "SplxlOBeZQQYbYS6WxSbIA"));
    assert_non_null(strstr(data, "code=[redacted:"));
    json_decref(doc);
    free(data);
    free(html);
    remove_tree(dir);
    free(dir);
}

/* Fail on a byte XML 1.0 forbids, or a discouraged character, anywhere. */
static void assert_clean_chars(const char *name, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') ||
            *p == 0x7F) {
            fail_msg("%s: control byte 0x%02X at offset %zu", name, *p,
                     (size_t)(p - (const unsigned char *)text));
        }
    }
    assert_null(strstr(text, "\xC2\x85"));     /* U+0085 */
    assert_null(strstr(text, "\xEF\xBF\xBE")); /* U+FFFE */
}

/* Every table row of report.md has as many cell borders as its header. */
static void assert_md_tables(const char *md)
{
    size_t want = 0;
    const char *line = md;

    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        size_t pipes = 0;
        for (size_t i = 0; i < len; i++) {
            if (line[i] == '\\') {
                i++;
            } else if (line[i] == '|') {
                pipes++;
            }
        }
        if (len == 0 || line[0] != '|') {
            want = 0;
        } else if (want == 0) {
            want = pipes;
        } else if (pipes != want) {
            fail_msg("report.md row has %zu cell borders, header %zu: %.*s",
                     pipes, want, (int)len, line);
        }
        line += len + (end != NULL);
    }
}

/* The failure message as an XML parser reads it back. */
static char *junit_attr(const char *dir, const char *xpath)
{
    char *cmd = NULL, *out = calloc(1, 4096);
    FILE *p;
    size_t n;

    assert_int_cmp(
        asprintf(&cmd, "xmllint --xpath '%s' %s/junit.xml", xpath, dir), >=, 0);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, 4095, p);
    out[n] = '\0';
    pclose(p);
    free(cmd);
    return out;
}

static void test_hostile_escaping(void **state)
{
    char *dir = render("hostile.json", HUMAN);
    char *xml = read_out(dir, "junit.xml");
    char *md = read_out(dir, "report.md");
    char *html = read_out(dir, "report.html");
    char *data = html_data(html);
    json_t *doc;
    const json_t *sc;
    size_t i;

    (void)state;
    assert_clean_chars("junit.xml", xml);
    assert_clean_chars("report.md", md);
    assert_clean_chars("report.html", html);
    /* Visible escapes instead of the control characters. */
    assert_non_null(strstr(html, "\\x01\\x07\\x1B[31m\\x7F\\u0085\\uFFFE"));
    assert_non_null(strstr(xml, "\\x01\\x07\\x1B[31m\\x7F\\u0085\\uFFFE"));
    assert_non_null(strstr(md, "\\x01\\x07\\x1B\\[31m\\x7F\\u0085\\uFFFE"));

    /* XML: no markup from the model; valid; attributes read back. */
    assert_null(strstr(xml, "<script"));
    assert_null(strstr(xml, "<b>"));
    assert_null(strstr(xml, "<!--"));
    assert_non_null(strstr(xml, "name=\"evil&lt;id&gt;&amp;&quot;&apos;\""));
    assert_non_null(strstr(xml, "<error message=\"client could not be"));
    assert_junit_valid(dir);
    if (have_xmllint()) {
        char *msg = junit_attr(
            dir, "string(//testcase[@name=\"evil-failure\"]/failure/@message)");
        assert_non_null(strstr(msg, "error_description was <script>alert(1)"
                                    "</script> \"q\" 'a' & | `"));
        assert_non_null(strstr(msg, "--> <!-- \r\nline2"));
        free(msg);
        msg = junit_attr(dir, "string(/testsuites/@errors)");
        assert_string_equal(msg, "1\n"); /* xmllint ends it with LF */
        free(msg);
    }

    /* HTML: exactly our script and data block, no injected tag or
     * attribute, and no javascript: link (the hostile spec URL is shown
     * as text). */
    assert_int_equal(count(html, "<script"), 2);
    assert_null(strstr(html, "<svg onload"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<b>"));
    assert_null(strstr(html, "href=\"javascript"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; "
                                 "&quot;q&quot; &#39;a&#39; &amp;"));
    assert_non_null(strstr(html, "data-check=\"evil&lt;id&gt;&amp;&quot;"
                                 "&#39;\""));
    assert_non_null(
        strstr(html, "href=\"https://example.com/x?a=1&amp;b=&quot;&lt;"));
    /* The transcripts data: the diagram's markup escaped by us (the
     * hostile server id as a lifeline label), the exchanges raw JSON
     * that the script puts in the page as text only. */
    doc = ac_json_parse(data, strlen(data), NULL);
    assert_non_null(doc);
    json_array_foreach(doc, i, sc)
    {
        const char *svg = json_string_value(json_object_get(sc, "svg"));
        assert_non_null(svg);
        assert_null(strstr(svg, "<svg onload"));
        assert_null(strstr(svg, "<script"));
    }
    assert_non_null(strstr(data, "as&quot;&gt;&lt;svg onload=aler"));
    assert_non_null(strstr(data, "tool said <script>"));
    json_decref(doc);
    assert_non_null(strstr(html, "stderr: &lt;script&gt;"));
    assert_int_equal(count(html, "<section class=\"scenario\""), 3);
    assert_int_equal(
        count(html, "<section class=\"scenario\" id=\"s3\" data-status=\"error"
                    "\""),
        1);

    /* Markdown: no raw markup, cells intact, no javascript: link. */
    assert_null(strstr(md, "<script"));
    /* "[x](javascript:...)" only ever appears with its brackets escaped */
    assert_int_equal(count(md, "](javascript"), count(md, "\\](javascript"));
    assert_int_cmp(count(md, "\\](javascript"), >, 0);
    assert_non_null(strstr(md, "&lt;script&gt;alert(1)&lt;/script&gt; "
                               "\"q\" 'a' &amp; \\| \\` \\* \\_ \\~ \\[x\\]"));
    assert_non_null(strstr(md, "(https://example.com/x?a=1&b=%22%3C%3E%7C"
                               "%28%29)"));
    assert_md_tables(md);
    free(data);
    free(xml);
    free(md);
    free(html);
    remove_tree(dir);
    free(dir);
}

/* rp_put_esc, table-driven over the modes, including invalid UTF-8. */
static void test_escape_table(void **state)
{
    static const struct {
        enum rp_esc mode;
        const char *in, *want;
    } cases[] = {
        {RP_ESC_XML_TEXT, "a<b>&\"'", "a&lt;b&gt;&amp;\"'"},
        {RP_ESC_XML_TEXT, "x]]>y", "x]]&gt;y"},
        {RP_ESC_XML_TEXT, "l1\r\nl2\tt", "l1&#13;\nl2\tt"},
        {RP_ESC_XML_ATTR, "a\"b'c\td\ne", "a&quot;b&apos;c&#9;d&#10;e"},
        {RP_ESC_XML_ATTR, "\x01\x1f\x7f", "\\x01\\x1F\\x7F"},
        {RP_ESC_XML_TEXT, "\xC2\x85|\xEF\xBF\xBF", "\\u0085|\\uFFFF"},
        {RP_ESC_XML_TEXT, "ok \xC3\xA9 \xE2\x9C\x93",
         "ok \xC3\xA9 \xE2\x9C\x93"},
        /* invalid UTF-8: a lone continuation, a truncated sequence, an
         * overlong "/", an encoded surrogate */
        {RP_ESC_HTML, "\x80", "\xEF\xBF\xBD"},
        {RP_ESC_HTML, "\xE2\x9C", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {RP_ESC_HTML, "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {RP_ESC_HTML, "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {RP_ESC_HTML, "<a href='x'>&</a>",
         "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"},
        {RP_ESC_HTML, "a\r\nb\rc", "a\nb\\x0Dc"},
        {RP_ESC_MD, "a|b`c*d_e[f]g~h\\i", "a\\|b\\`c\\*d\\_e\\[f\\]g\\~h\\\\i"},
        {RP_ESC_MD, "l1\r\nl2\tx", "l1  l2 x"},
        {RP_ESC_MD, "<b>&", "&lt;b&gt;&amp;"},
        {RP_ESC_MD, NULL, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rp_out o;
        char *got;
        rp_out_init(&o);
        rp_put_esc(&o, cases[i].in, cases[i].mode);
        assert_false(o.failed);
        got = ac_buf_steal(&o.buf);
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got,
                     cases[i].want);
        }
        free(got);
        ac_buf_free(&o.buf);
    }
}

/* report.md opens with the root causes, summarises per family, groups
 * the warnings and folds the list of every failing check, each with its
 * evidence exchange in one line. */
static void test_markdown_content(void **state)
{
    char *dir = render("hostile.json", RP_MARKDOWN);
    char *md = read_out(dir, "report.md");

    (void)state;
    assert_non_null(strstr(md, "| core | 1 | 1 | 0 | 0 | 0 | 3 | 0 | 1 |"));
    assert_non_null(strstr(md, "| hostile | 2 | 0 | 1 | 1 | 0 | 0 | 1 | 1 |"));
    assert_non_null(strstr(md, "| all | 3 | 1 | 1 | 1 | 0 | 3 | 1 | 2 |"));
    assert_non_null(strstr(md, "## Root causes"));
    assert_non_null(strstr(md, "### 1. evil-failure (other, MUST): 1 "
                               "scenario, 1 failing check"));
    assert_non_null(strstr(md, "## Warnings"));
    assert_non_null(strstr(md, "## Harness errors"));
    assert_non_null(strstr(md, "<details><summary>Every failing check (1)"));
    assert_ptr_cmp(strstr(md, "## Root causes"), <, strstr(md, "## Warnings"));
    /* The evidence column: seq, method, path (escaped), status. */
    assert_non_null(strstr(md, "#0 POST /token \xE2\x86\x92 400; #1 POST "
                               "/mcp \xE2\x86\x92 200; #2 POST "
                               "/mcp&lt;img src=x onerror=alert(1)&gt; "
                               "\xE2\x86\x92 0 |"));
    free(md);
    remove_tree(dir);
    free(dir);
}

/* --- root causes ------------------------------------------------------ */

/* A check object as the harness writes it. */
static json_t *check(const char *id, const char *status, const char *msg)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "id", id,
                     "level", "MUST", "status", status, "spec", "2026-07-28",
                     "spec_url", "https://example.com/", "summary", "s",
                     "message", msg, "evidence");
}

/* One scenario shape of the grouping table: `copies` scenarios with
 * these checks (id, status, message; %d in a message is the copy's
 * number, so messages differ in ports and such as real ones do). */
struct shape {
    size_t copies;
    const char *status;
    const char *checks[6][3];
};

struct want_cause {
    const char *check;
    size_t nscenarios, nchecks, ndown;
};

static json_t *shape_model(const struct shape *shapes, size_t n)
{
    json_t *model = json_pack("{s:[]}", "scenarios");
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < shapes[i].copies; c++, k++) {
            json_t *checks = json_array();
            char id[64];
            snprintf(id, sizeof id, "fam%zu/s%03zu", i, k);
            for (size_t j = 0; j < 6 && shapes[i].checks[j][0] != NULL; j++) {
                char msg[256];
                snprintf(msg, sizeof msg, shapes[i].checks[j][2],
                         (int)(40000 + k));
                json_array_append_new(
                    checks,
                    check(shapes[i].checks[j][0], shapes[i].checks[j][1], msg));
            }
            json_array_append_new(json_object_get(model, "scenarios"),
                                  json_pack("{s:s, s:s, s:o, s:[]}", "id", id,
                                            "status", shapes[i].status,
                                            "checks", checks, "transcript"));
        }
    }
    return model;
}

/* The grouping is right, not cosmetic: 27 scenarios that never fetched
 * the PRM are one cause whatever else failed after; a check earlier in
 * the flow wins over one earlier in the array; messages that differ only
 * in ports, quoted values and redaction tags group; expected failures,
 * passed and not-applicable scenarios are no cause. */
static void test_causes_grouping(void **state)
{
    static const struct shape shapes[] = {
        {27,
         "failed",
         {{"client-exit-status", "FAILURE", "run 1 of 1 exited 1"},
          {"prm-fetched", "FAILURE",
           "the client never requested the Protected Resource Metadata"},
          {"as-metadata-fetched", "FAILURE",
           "the client never requested the authorization server metadata"},
          {"mcp-call-succeeded", "FAILURE", "the client never called tool"},
          {"state-roundtrip", "WARNING", "no authorization request"}}},
        {3,
         "failed",
         {{"prm-fetched", "SUCCESS", "fetched"},
          {"pkce-s256-method-used", "FAILURE",
           "request to http://127.0.0.1:%d/authorize: code_challenge_method "
           "was \"plain\", token [redacted:0123abcd]"},
          {"mcp-call-succeeded", "FAILURE", "tool call failed"}}},
        {1,
         "failed",
         {{"prm-fetched", "SUCCESS", "fetched"},
          {"mcp-call-succeeded", "FAILURE", "tool call failed"},
          {"scope-step-up-escalation", "FAILURE",
           "the point under test was not exercised: no 403"}}},
        {2, "passed", {{"prm-fetched", "SUCCESS", "fetched"}}},
        {1,
         "not_applicable",
         {{"prm-fetched", "FAILURE",
           "the client never requested the Protected Resource Metadata"}}},
    };
    static const struct want_cause want[] = {
        {"prm-fetched", 27, 27 * 4, 3},
        {"pkce-s256-method-used", 3, 6, 1},
        {"scope-step-up-escalation", 1, 2, 1},
    };
    json_t *model = shape_model(shapes, sizeof shapes / sizeof shapes[0]);
    struct rp_causes cs, warn;
    struct ac_err err = {0};

    (void)state;
    assert_true(rp_causes_find(model, RP_CAUSE_FAILURE, &cs, &err));
    assert_int_equal(cs.n, sizeof want / sizeof want[0]);
    assert_int_equal(cs.nscenarios, 31);
    for (size_t i = 0; i < cs.n; i++) {
        assert_string_equal(cs.v[i].check, want[i].check);
        assert_int_equal(cs.v[i].nscenarios, want[i].nscenarios);
        assert_int_equal(cs.v[i].nchecks, want[i].nchecks);
        assert_int_equal(cs.v[i].ndown, want[i].ndown);
    }
    /* the cause is the second check of each of the 27, not the first */
    assert_int_equal(cs.v[0].check_at[0], 1);
    assert_int_equal(cs.v[0].stage, RP_STAGE_DISCOVERY);
    assert_int_equal(cs.v[0].down[0].count, 27);
    assert_string_equal(cs.v[0].message,
                        "the client never requested the Protected Resource "
                        "Metadata");
    assert_string_equal(cs.v[2].down[0].check, "mcp-call-succeeded");
    /* warnings: every one, grouped, from any judged scenario */
    assert_true(rp_causes_find(model, RP_CAUSE_WARNING, &warn, &err));
    assert_int_equal(warn.n, 1);
    assert_int_equal(warn.v[0].nscenarios, 27);
    assert_int_equal(warn.v[0].ndown, 0);
    rp_causes_free(&warn);
    rp_causes_free(&cs);
    /* an expected failure is no cause; the baseline's grouping lists it */
    json_object_set_new(
        json_array_get(
            json_object_get(
                json_array_get(json_object_get(model, "scenarios"), 30),
                "checks"),
            2),
        "expected_failure", json_true());
    json_object_set_new(
        json_array_get(
            json_object_get(
                json_array_get(json_object_get(model, "scenarios"), 30),
                "checks"),
            1),
        "expected_failure", json_true());
    assert_true(rp_causes_find(model, RP_CAUSE_FAILURE, &cs, &err));
    assert_int_equal(cs.n, 2);
    assert_int_equal(cs.nscenarios, 30);
    rp_causes_free(&cs);
    assert_true(rp_causes_find(model, RP_CAUSE_EXPECTED, &cs, &err));
    assert_int_equal(cs.n, 2);
    assert_int_equal(cs.nchecks, 2);
    rp_causes_free(&cs);
    json_decref(model);
}

static void test_cause_key(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain text", "plain text"},
        {"run 1 of 2 exited 17", "run N of N exited N"},
        {"GET http://127.0.0.1:41234/mcp?x=1 answered 401",
         "GET <url> answered N"},
        {"tool \"echo\" failed", "tool \"...\" failed"},
        {"token [redacted:0a1b2c3d] reused", "token [redacted] reused"},
        {"unterminated \"quote", "unterminated \"quote"},
        {"", ""},
        {NULL, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = rp_cause_key(cases[i].in);
        assert_non_null(got);
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got,
                     cases[i].want);
        }
        free(got);
    }
}

/* Every registered check has a stage, and the stages follow the flow. */
static void test_every_check_has_a_stage(void **state)
{
    static const char *const flow[] = {
        "prm-fetched",
        "client-registered",
        "pkce-code-challenge-sent",
        "pkce-code-verifier-sent",
        "bearer-header-used",
        "refresh-token-rotation",
        "mcp-call-succeeded",
    };
    size_t n = 0;
    const struct hc_check *reg = hc_registry(&n);

    (void)state;
    assert_int_cmp(n, >, 0);
    for (size_t i = 0; i < n; i++) {
        if (rp_check_stage(reg[i].id) == RP_STAGE_OTHER) {
            fail_msg("check %s has no stage in reports/causes.c", reg[i].id);
        }
    }
    for (size_t i = 1; i < sizeof flow / sizeof flow[0]; i++) {
        assert_int_cmp(rp_check_stage(flow[i - 1]), <, rp_check_stage(flow[i]));
    }
    assert_int_equal(rp_check_stage("no-such-check"), RP_STAGE_OTHER);
}

/* The members the harness adds (docs/RESULTS.md): "key" on checks, the
 * scenario status "not_applicable", the run's "mode". */
static void test_key_not_applicable_mode(void **state)
{
    json_t *model = load("model.json");
    json_t *secrets = load("secrets.json");
    json_t *scs = json_object_get(model, "scenarios");
    char *dir = make_tmpdir(), *md, *html, *junit;
    const char *sec;
    struct ac_err err = {0};
    json_t *na = json_pack(
        "{s:s, s:s, s:s, s:[s], s:s, s:s, s:i, s:[], s:[o], s:[]}", "id",
        "registration/cimd-only", "title", "CIMD", "family", "registration",
        "spec", "2026-07-28", "status", "not_applicable", "skip_reason",
        "client does not claim <cimd>", "duration_ms", 0, "runs", "checks",
        check("prm-fetched", "FAILURE", "never fetched"), "transcript");

    (void)state;
    json_object_set_new(model, "mode",
                        json_pack("{s:b, s:[ss]}", "strict", 1,
                                  "client_features", "dcr", "refresh"));
    /* the failing check of authorization/pkce-plain is its key check */
    json_object_set_new(
        json_array_get(json_object_get(json_array_get(scs, 1), "checks"), 0),
        "key", json_true());
    json_array_append_new(scs, na);
    if (!rp_write(model, secrets, dir, HUMAN, &err)) {
        fail_msg("rp_write: %s", err.msg);
    }
    md = read_out(dir, "report.md");
    html = read_out(dir, "report.html");
    junit = read_out(dir, "junit.xml");
    /* counted apart: its FAILURE fails nothing */
    assert_non_null(strstr(md, "**FAIL**: 1 of 3 scenarios failed, 0 with "
                               "harness errors; 1 failing checks, 1 "
                               "warnings, 1 scenarios not applicable."));
    assert_non_null(strstr(md, "Mode: strict; client features: dcr, "
                               "refresh\n"));
    assert_non_null(strstr(md, "## Not applicable"));
    assert_non_null(strstr(md, "| registration/cimd-only | client does not "
                               "claim &lt;cimd&gt; |"));
    assert_non_null(strstr(md, "| authorization/pkce-plain | failed | "
                               "pkce-s256-method-used: FAILURE |"));
    assert_non_null(strstr(md, "| registration | 1 | 0 | 0 | 0 | 1 | 0 | "
                               "0 | 0 |"));
    assert_md_tables(md);
    /* html: key verdict before the check table, key row first */
    sec = strstr(html, "<section class=\"scenario\" id=\"s2\"");
    assert_non_null(sec);
    assert_non_null(strstr(sec, "<p class=\"key-verdict\">Point under "
                                "test: <a href=\"#s2-check-0\">"));
    assert_ptr_cmp(strstr(sec, "class=\"key-verdict\""), <,
                   strstr(sec, "<table class=\"checks\""));
    assert_non_null(strstr(html, "data-check=\"pkce-s256-method-used\" "
                                 "data-key=\"true\""));
    assert_non_null(strstr(html, "<dd id=\"mode\" data-strict=\"true\">"
                                 "strict</dd>"));
    assert_non_null(strstr(html, "<code>dcr</code>, <code>refresh</code>"));
    assert_non_null(strstr(html, "<span class=\"badge not_applicable\">not "
                                 "applicable</span>"));
    assert_non_null(strstr(html, "Not applicable, not judged: client does "
                                 "not claim &lt;cimd&gt;"));
    assert_non_null(strstr(html, ", 1 scenarios not applicable</p>"));
    assert_ptr_cmp(strstr(html, "data-scenario=\"core/dcr-happy-path\""), <,
                   strstr(html, "data-scenario=\"registration/cimd-only\""));
    assert_int_equal(count(html, "<article class=\"cause\""), 2);
    /* junit: skipped with the reason, not a failure */
    assert_non_null(strstr(junit, "<testsuite name=\"registration/cimd-only\" "
                                  "tests=\"1\" failures=\"0\" errors=\"0\" "
                                  "skipped=\"1\""));
    assert_non_null(strstr(junit, "<skipped message=\"not applicable: client "
                                  "does not claim &lt;cimd&gt;\"/>"));
    assert_non_null(strstr(junit, "<testsuites name=\"authcheck\" tests=\"7\" "
                                  "failures=\"1\" errors=\"0\" skipped=\"2\""));
    assert_junit_valid(dir);
    free(md);
    free(html);
    free(junit);
    remove_tree(dir);
    free(dir);
    json_decref(model);
    json_decref(secrets);
}

static struct rp_baseline *parse(const char *text, struct ac_err *err);

/* A pending scenario the runner skipped: every format says "skipped" and
 * the reason, and it neither fails the verdict nor is a harness error. */
static void test_skipped_scenario(void **state)
{
    json_t *model = load("model.json");
    json_t *secrets = load("secrets.json");
    char *dir = make_tmpdir(), *md, *html, *junit;
    struct ac_err err = {0};
    struct rp_baseline *b;
    struct rp_baseline_outcome o;
    json_t *sc = json_pack(
        "{s:s, s:s, s:s, s:[s], s:s, s:n, s:s, s:i, s:[], s:[{s:s, s:s, "
        "s:s, s:s, s:s, s:s, s:s, s:[]}], s:[]}",
        "id", "tokens/later", "title", "Not yet", "family", "tokens", "spec",
        "2026-07-28", "status", "skipped", "error", "skip_reason",
        "needs <a> feature", "duration_ms", 0, "runs", "checks", "id",
        "prm-fetched", "level", "MUST", "status", "SKIPPED", "spec",
        "2026-07-28", "spec_url", "https://example.com/", "summary", "s",
        "message", "scenario pending: needs <a> feature", "evidence",
        "transcript");

    (void)state;
    assert_non_null(sc);
    json_array_insert_new(json_object_get(model, "scenarios"), 0, sc);
    if (!rp_write(model, secrets, dir, HUMAN, &err)) {
        fail_msg("rp_write: %s", err.msg);
    }
    md = read_out(dir, "report.md");
    html = read_out(dir, "report.html");
    junit = read_out(dir, "junit.xml");
    assert_non_null(strstr(md, ", 1 scenarios skipped (pending)."));
    assert_non_null(strstr(md, "## Skipped scenarios"));
    assert_non_null(strstr(md, "| tokens/later | needs"));
    assert_null(strstr(md, "## Harness errors"));
    assert_non_null(strstr(
        md, "| tokens/later | skipped | \xE2\x80\x94 | 0 | 0 | 0 | 1 |"));
    assert_non_null(strstr(html, "<span class=\"badge skipped\">skipped"));
    assert_non_null(strstr(html, "Pending, not run: needs &lt;a&gt; feature"));
    assert_null(strstr(html, "badge unknown"));
    /* Skipped scenarios come last, after the passed one. */
    assert_ptr_cmp(strstr(html, "data-scenario=\"core/dcr-happy-path\""), <,
                   strstr(html, "data-scenario=\"tokens/later\""));
    assert_non_null(strstr(junit, "<testsuite name=\"tokens/later\" "
                                  "tests=\"1\" failures=\"0\" "
                                  "errors=\"0\" skipped=\"1\""));
    assert_junit_valid(dir);
    /* A baseline entry for a skipped scenario is neither stale nor
     * confirmed: the scenario was not judged. */
    b = parse("client:\n  - tokens/later\n  - authorization/pkce-plain\n",
              &err);
    if (b == NULL) {
        fail_msg("%s", err.msg);
    }
    assert_true(rp_baseline_apply(model, b, RP_BASELINE_CLIENT, 0, &o, &err));
    assert_int_equal(o.stale, 0);
    assert_int_equal(o.unknown, 0);
    assert_int_equal(o.exit_code, 0);
    rp_baseline_free(b);
    b = parse("client:\n  - tokens/later:prm-fetched\n"
              "  - authorization/pkce-plain\n",
              &err);
    assert_non_null(b);
    assert_true(rp_baseline_apply(model, b, RP_BASELINE_CLIENT, 0, &o, &err));
    assert_int_equal(o.stale, 0);
    assert_int_equal(o.exit_code, 0);
    rp_baseline_free(b);
    free(md);
    free(html);
    free(junit);
    json_decref(model);
    json_decref(secrets);
    remove_tree(dir);
    free(dir);
}

/* --- rp_render_dir -------------------------------------------------------- */

static void test_render_dir(void **state)
{
    char *dir = render("model.json", RP_JSON);
    char *empty = make_tmpdir(), *path = NULL;
    struct ac_err err = {0};

    (void)state;
    if (!rp_render_dir(dir, HUMAN | RP_CHECKS, &err)) {
        fail_msg("rp_render_dir: %s", err.msg);
    }
    /* Same bytes as rendering the model directly. */
    assert_golden(dir, "junit.xml");
    assert_golden(dir, "report.md");
    assert_golden(dir, "report.html");
    assert_golden(dir, "core/dcr-happy-path/checks.json");
    assert_golden(dir, "results.json");

    assert_false(rp_render_dir(empty, RP_HTML, &err));
    assert_int_equal(err.code, AC_ERR_IO);
    assert_int_cmp(asprintf(&path, "%s/results.json", empty), >=, 0);
    write_text(path, "{\"scenarios\": 3}");
    assert_false(rp_render_dir(empty, RP_HTML, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    write_text(path, "{not json");
    assert_false(rp_render_dir(empty, RP_HTML, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_false(rp_render_dir(NULL, RP_HTML, &err));
    free(path);
    remove_tree(empty);
    free(empty);
    remove_tree(dir);
    free(dir);
}

/* --- baselines ------------------------------------------------------------ */

static struct rp_baseline *parse(const char *text, struct ac_err *err)
{
    return rp_baseline_parse(text, strlen(text), "b.yml", err);
}

static void test_baseline_parse_good(void **state)
{
    static const struct {
        const char *text;
        size_t client, server;
    } cases[] = {
        {"", 0, 0},
        {"# only a comment\n\n", 0, 0},
        {"client:\n  - auth/metadata-default\n", 1, 0},
        {"client:\n- a/b\n- a/c:check-1\n", 2, 0},
        {"client: # c\n    - 'a/b'\n    - \"a/c:x.y_z\"  # note\n", 2, 0},
        {"---\nclient: []\nserver:\n  - s/one\n", 0, 1},
        {"\xEF\xBB\xBF"
         "client:\r\n  - a/b   \r\n\r\n",
         1, 0},
        {"server:\n  - s/x\nclient:\n  - s/x\n", 1, 1},
        {"client:\n  - a/b # c:d\n  # - ignored/entry\n", 1, 0},
        /* prefixes are not duplicates */
        {"client:\n  - a/b\n  - a/bc:c\n  - a/bcd\n  - a/bc:c2\n", 4, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ac_err err = {0};
        struct rp_baseline *b = parse(cases[i].text, &err);
        if (b == NULL) {
            fail_msg("case %zu: %s", i, err.msg);
        }
        assert_int_equal(rp_baseline_count(b, RP_BASELINE_CLIENT),
                         cases[i].client);
        assert_int_equal(rp_baseline_count(b, RP_BASELINE_SERVER),
                         cases[i].server);
        rp_baseline_free(b);
    }
}

static void test_baseline_parse_bad(void **state)
{
    static const struct {
        const char *text, *want; /* want: in the message, with the line */
    } cases[] = {
        {"client:\n\t- a/b\n", "b.yml:2: tab in indentation"},
        {"client:\n  - a/b\n \t- a/c\n", "b.yml:3: tab in indentation"},
        {"clients:\n  - a/b\n", "b.yml:1: unknown top-level key \"clients\""},
        {"- a/b\n", "b.yml:1: entry before"},
        {"client:\n  - a/b\nclient:\n", "b.yml:3: key \"client\" appears"},
        {"client:\n  - a/b\n  - a/b\n", "b.yml:3: duplicate entry \"a/b\" "
                                        "(already covered on line 2)"},
        {"client:\n  - a/b\n  - a/b:c\n", "b.yml:3: duplicate entry \"a/b:c\""},
        {"client:\n  - a/b:c\n  - a/b\n", "b.yml:3: duplicate entry"},
        {"client:\n  - a/b: c\n", "b.yml:2: malformed entry"},
        {"client:\n  - a/b:c:d\n", "b.yml:2: malformed entry"},
        {"client:\n  - a b\n", "b.yml:2: malformed entry"},
        {"client:\n  - \n", "b.yml:2: empty or malformed entry"},
        {"client:\n  -a/b\n", "b.yml:2: expected a blank after"},
        {"client:\n  - 'a/b\n", "b.yml:2: unterminated"},
        {"client:\n  - a/b\n    - a/c\n", "b.yml:3: inconsistent indentation"},
        {"client: a/b\n", "b.yml:1: \"client:\" must be followed"},
        {"client:#x\n", "b.yml:1: \"client:\" must be followed"},
        {"client: []\n  - a/b\n", "b.yml:2: entry under a key declared empty"},
        {"client\n", "b.yml:1: expected \"client:\""},
        {"client:\n  key: value\n", "b.yml:2: expected \"- entry\""},
        {"# ok\nclient:\n  - a/../b:\n", "b.yml:3: malformed entry"},
        {"client:\n  - a/b\n---\n", "b.yml:3:"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ac_err err = {0};
        struct rp_baseline *b = parse(cases[i].text, &err);
        if (b != NULL) {
            fail_msg("case %zu parsed: %s", i, cases[i].text);
        }
        assert_int_equal(err.code, AC_ERR_INVALID);
        if (strstr(err.msg, cases[i].want) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg,
                     cases[i].want);
        }
    }
}

static struct rp_baseline *load_baseline(const char *rel, struct ac_err *err)
{
    char *path = NULL;
    struct rp_baseline *b;

    assert_int_cmp(asprintf(&path, "%s/reports/baseline/%s", testdata(), rel),
                   >=, 0);
    b = rp_baseline_load(path, err);
    free(path);
    return b;
}

static void test_baseline_files(void **state)
{
    struct ac_err err = {0};
    struct rp_baseline *b = load_baseline("good.yml", &err);
    json_t *model = load("model.json");
    struct rp_baseline_outcome o;

    (void)state;
    if (b == NULL) {
        fail_msg("good.yml: %s", err.msg);
    }
    assert_int_equal(rp_baseline_count(b, RP_BASELINE_CLIENT), 1);
    assert_int_equal(rp_baseline_count(b, RP_BASELINE_SERVER), 1);
    assert_true(rp_baseline_apply(model, b, RP_BASELINE_CLIENT, 0, &o, &err));
    assert_int_equal(o.expected, 1);
    assert_int_equal(o.unexpected, 0);
    assert_int_equal(o.stale + o.unknown, 0);
    assert_int_equal(o.exit_code, 0);
    /* The server side names a scenario this (client) run does not have. */
    assert_true(rp_baseline_apply(model, b, RP_BASELINE_SERVER, 0, &o, &err));
    assert_int_equal(o.unknown, 1);
    assert_int_equal(o.exit_code, 2);
    rp_baseline_free(b);

    assert_null(load_baseline("bad-tab.yml", &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "bad-tab.yml:3: tab in indentation"));
    assert_null(load_baseline("missing.yml", &err));
    assert_int_equal(err.code, AC_ERR_IO);
    json_decref(model);
}

/* Apply `text` to model.json; returns the annotated model. */
static json_t *apply(const char *text, unsigned flags,
                     struct rp_baseline_outcome *o)
{
    struct ac_err err = {0};
    struct rp_baseline *b = parse(text, &err);
    json_t *model = load("model.json");

    if (b == NULL) {
        fail_msg("%s", err.msg);
    }
    if (!rp_baseline_apply(model, b, RP_BASELINE_CLIENT, flags, o, &err)) {
        fail_msg("apply: %s", err.msg);
    }
    rp_baseline_free(b);
    return model;
}

static const json_t *model_check(const json_t *model, size_t sc, size_t c)
{
    return json_array_get(
        json_object_get(json_array_get(json_object_get(model, "scenarios"), sc),
                        "checks"),
        c);
}

static void test_baseline_apply(void **state)
{
    struct rp_baseline_outcome o;
    json_t *m;
    const json_t *stale;

    (void)state;
    /* No baseline entries: the one FAILURE is unexpected. */
    m = apply("client: []\n", 0, &o);
    assert_int_equal(o.unexpected, 1);
    assert_int_equal(o.exit_code, 1);
    assert_string_equal(
        ac_json_str(
            json_array_get(
                json_object_get(json_object_get(m, "baseline"), "unexpected"),
                0),
            "check"),
        "pkce-s256-method-used");
    json_decref(m);

    /* The whole scenario expected: check and scenario annotated. */
    m = apply("client:\n  - authorization/pkce-plain\n", 0, &o);
    assert_int_equal(o.expected, 1);
    assert_int_equal(o.exit_code, 0);
    assert_true(json_is_true(
        json_object_get(model_check(m, 1, 0), "expected_failure")));
    assert_null(json_object_get(model_check(m, 1, 1), "expected_failure"));
    assert_true(json_is_true(
        json_object_get(json_array_get(json_object_get(m, "scenarios"), 1),
                        "expected_failure")));
    json_decref(m);

    /* Stale: a passing (WARNING) check, a passing check. */
    m = apply("client:\n  - core/dcr-happy-path:state-roundtrip\n"
              "  - core/dcr-happy-path:prm-fetched\n"
              "  - authorization/pkce-plain:pkce-s256-method-used\n",
              0, &o);
    assert_int_equal(o.stale, 2);
    assert_int_equal(o.expected, 1);
    assert_int_equal(o.unexpected, 0);
    assert_int_equal(o.exit_code, 1);
    stale = json_object_get(json_object_get(m, "baseline"), "stale");
    assert_int_equal(json_array_size(stale), 2);
    assert_string_equal(ac_json_str(json_array_get(stale, 0), "entry"),
                        "core/dcr-happy-path:state-roundtrip");
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(stale, 0), "line")),
        2);
    assert_string_equal(ac_json_str(json_array_get(stale, 1), "kind"),
                        "passes");
    json_decref(m);

    /* Unknown scenario / check: exit 2; a subset run ignores the absent
     * scenario but not an absent check of a present scenario. */
    m = apply("client:\n  - nope/missing\n"
              "  - authorization/pkce-plain:pkce-s256-method-used\n",
              0, &o);
    assert_int_equal(o.unknown, 1);
    assert_int_equal(o.exit_code, 2);
    json_decref(m);
    m = apply("client:\n  - nope/missing\n"
              "  - authorization/pkce-plain:pkce-s256-method-used\n",
              RP_BASELINE_SUBSET, &o);
    assert_int_equal(o.unknown, 0);
    assert_int_equal(o.exit_code, 0);
    json_decref(m);
    m = apply("client:\n  - authorization/pkce-plain:no-such-check\n",
              RP_BASELINE_SUBSET, &o);
    assert_int_equal(o.unknown, 1);
    assert_int_equal(o.unexpected, 1);
    assert_int_equal(o.exit_code, 2);
    json_decref(m);
}

/* Expected failures and stale entries show in every human format. */
static void test_baseline_in_reports(void **state)
{
    struct rp_baseline_outcome o;
    json_t *m = apply("client:\n  - authorization/pkce-plain\n"
                      "  - core/dcr-happy-path:prm-fetched\n",
                      0, &o);
    char *dir = make_tmpdir();
    char *xml, *md, *html;

    (void)state;
    assert_true(rp_write(m, NULL, dir, HUMAN, NULL));
    xml = read_out(dir, "junit.xml");
    md = read_out(dir, "report.md");
    html = read_out(dir, "report.html");
    assert_non_null(strstr(xml, "<skipped message=\"expected failure "
                                "(baseline): "));
    assert_non_null(strstr(xml, "failures=\"0\" errors=\"0\" skipped=\"2\""));
    assert_junit_valid(dir);
    assert_non_null(strstr(md, "## Expected failures (baseline)"));
    assert_null(strstr(md, "## Failing checks"));
    assert_non_null(strstr(md, "## Stale baseline entries"));
    assert_non_null(strstr(md, "| core/dcr-happy-path:prm-fetched | 3 |"));
    assert_non_null(strstr(html, "data-expected-failure=\"true\""));
    assert_non_null(strstr(html, "class=\"stale\""));
    assert_non_null(strstr(html, "data-verdict=\"fail\""));
    free(xml);
    free(md);
    free(html);
    remove_tree(dir);
    free(dir);
    json_decref(m);
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
    assert_false(rp_write_in_place(arr, NULL, "/tmp", RP_JSON, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
    assert_false(rp_write_in_place(NULL, NULL, "/tmp", RP_JSON, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
    json_decref(arr);
    json_decref(obj);
}

/* A model without a "scenarios" array has nothing to take: rp_write_in_place
 * redacts and writes it as rp_write does. */
static void test_in_place_without_scenarios(void **state)
{
    json_t *m = json_pack("{s:s, s:s}", "tool", "authcheck", "access_token",
                          "PLANTED-NO-SCENARIOS-0200");
    char *dir = make_tmpdir();
    char *text;

    (void)state;
    assert_true(rp_write_in_place(m, NULL, dir, RP_JSON, NULL));
    text = read_out(dir, "results.json");
    assert_null(strstr(text, "PLANTED-NO-SCENARIOS-0200"));
    assert_non_null(strstr(text, "[redacted:"));
    free(text);
    remove_tree(dir);
    free(dir);
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_json_and_checks),
        cmocka_unit_test(test_model_untouched),
        cmocka_unit_test(test_checks_json_shape),
        cmocka_unit_test(test_unsafe_scenario_id),
        cmocka_unit_test(test_planted_secrets_never_written),
        cmocka_unit_test(test_in_place_writes_the_same),
        cmocka_unit_test(test_structural_redaction_without_list),
        cmocka_unit_test(test_redaction_is_followable),
        cmocka_unit_test(test_known_secret_sweep),
        cmocka_unit_test(test_golden_human),
        cmocka_unit_test(test_html_structure),
        cmocka_unit_test(test_hostile_escaping),
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_markdown_content),
        cmocka_unit_test(test_skipped_scenario),
        cmocka_unit_test(test_causes_grouping),
        cmocka_unit_test(test_cause_key),
        cmocka_unit_test(test_every_check_has_a_stage),
        cmocka_unit_test(test_key_not_applicable_mode),
        cmocka_unit_test(test_render_dir),
        cmocka_unit_test(test_baseline_parse_good),
        cmocka_unit_test(test_baseline_parse_bad),
        cmocka_unit_test(test_baseline_files),
        cmocka_unit_test(test_baseline_apply),
        cmocka_unit_test(test_baseline_in_reports),
        cmocka_unit_test(test_parse_formats),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_in_place_without_scenarios),
    };
    return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
