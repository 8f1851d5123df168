/* Tests for common/mcphdr: the 2026-07-28 request metadata headers that
 * the client sends and the mocks and checks read back. Value encoding and
 * decoding (tables from the Streamable HTTP page, hostile sentinels), how a
 * header value carries a JSON argument, x-mcp-header validation and the
 * Mcp-Param-{Name} lines of a tools/call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/mcphdr.h"

/* --- value encoding ------------------------------------------------------ */

struct enc_case {
    const char *in, *out;
};

/* Streamable HTTP "Value Encoding" examples, plus edge cases. */
static const struct enc_case enc_cases[] = {
    {"us-west1", "us-west1"},
    {"Hello, \xe4\xb8\x96\xe7\x95\x8c", "=?base64?SGVsbG8sIOS4lueVjA==?="},
    {" padded ", "=?base64?IHBhZGRlZCA=?="},
    {"line1\nline2", "=?base64?bGluZTEKbGluZTI=?="},
    {"=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="},
    {"", ""},
    {"a\tb", "a\tb"},
    {"cr\r", "=?base64?Y3IN?="},
    {"=?base64?", "=?base64?"}, /* no suffix: not the sentinel pattern */
};

static void test_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++) {
        char *got = ac_mcphdr_encode(enc_cases[i].in);
        assert_non_null(got);
        if (strcmp(got, enc_cases[i].out) != 0) {
            fail_msg("case %zu: \"%s\", want \"%s\"", i, got, enc_cases[i].out);
        }
        free(got);
    }
}

/* --- x-mcp-header -------------------------------------------------------- */

struct ann_case {
    const char *schema; /* inputSchema */
    bool valid;
    const char *why; /* substring of the reason */
};

#define PROP(name, type, hdr)                                                  \
    "\"" name "\":{\"type\":\"" type "\",\"x-mcp-header\":\"" hdr "\"}"

static const struct ann_case ann_cases[] = {
    {"{\"type\":\"object\",\"properties\":{" PROP("region", "string",
                                                  "Region") "}}",
     true, NULL},
    {"{\"type\":\"object\"}", true, NULL},
    /* nested objects through properties only are fine */
    {"{\"properties\":{\"o\":{\"type\":\"object\",\"properties\":{" PROP(
         "n", "integer", "N") "}}}}",
     true, NULL},
    {"{\"properties\":{" PROP("a", "number", "A") "}}", false, "not a string"},
    {"{\"properties\":{" PROP("a", "string", "") "}}", false, "token"},
    {"{\"properties\":{" PROP("a", "string", "Bad Name") "}}", false, "token"},
    {"{\"properties\":{" PROP("a", "string", "X\\r\\nY") "}}", false, "token"},
    {"{\"properties\":{" PROP("a", "string", "Dup") "," PROP("b", "boolean",
                                                             "dUP") "}}",
     false, "unique"},
    {"{\"properties\":{\"l\":{\"type\":\"array\",\"items\":{\"type\":"
     "\"string\",\"x-mcp-header\":\"L\"}}}}",
     false, "reachable"},
    {"{\"oneOf\":[{\"properties\":{" PROP("a", "string", "A") "}}]}", false,
     "reachable"},
    {"{\"$defs\":{\"d\":{\"type\":\"string\",\"x-mcp-header\":\"D\"}}}", false,
     "reachable"},
    {"{\"type\":\"string\",\"x-mcp-header\":\"Root\"}", false, "reachable"},
    /* data keywords are not schemas */
    {"{\"properties\":{\"a\":{\"type\":\"object\",\"default\":{"
     "\"x-mcp-header\":\"!\"}}}}",
     true, NULL},
};

static void test_annotations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ann_cases / sizeof ann_cases[0]; i++) {
        const struct ann_case *ac = &ann_cases[i];
        json_t *tool = json_pack("{s:s, s:o}", "name", "t", "inputSchema",
                                 json_loads(ac->schema, 0, NULL));
        const char *why = NULL;
        assert_non_null(tool);
        json_t *ann = ac_mcphdr_annotations(tool, &why);
        if ((ann != NULL) != ac->valid) {
            fail_msg("case %zu: valid=%d (%s)", i, ann != NULL,
                     why != NULL ? why : "");
        }
        if (ac->why != NULL && strstr(why, ac->why) == NULL) {
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why, ac->why);
        }
        json_decref(ann);
        json_decref(tool);
    }
}

/* The spec's execute_sql example, plus types, null and absent values. */
static void test_param_headers(void **state)
{
    (void)state;
    json_t *tool = json_loads(
        "{\"name\":\"execute_sql\",\"inputSchema\":{\"type\":\"object\","
        "\"properties\":{\"region\":{\"type\":\"string\",\"x-mcp-header\":"
        "\"Region\"},\"query\":{\"type\":\"string\"},\"n\":{\"type\":"
        "\"integer\",\"x-mcp-header\":\"N\"},\"b\":{\"type\":\"boolean\","
        "\"x-mcp-header\":\"B\"},\"o\":{\"type\":\"object\",\"properties\":"
        "{\"g\":{\"type\":\"string\",\"x-mcp-header\":\"Greeting\"}}},"
        "\"z\":{\"type\":\"string\",\"x-mcp-header\":\"Z\"}}}}",
        0, NULL);
    json_t *args = json_loads(
        "{\"region\":\"us-west1\",\"query\":\"SELECT 1\",\"n\":-7,\"b\":true,"
        "\"o\":{\"g\":\"Hello, \\u4e16\\u754c\"},\"z\":null}",
        0, NULL);
    json_t *lines = ac_mcphdr_params(tool, args);
    char *text = json_dumps(lines, JSON_COMPACT);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"Mcp-Param-Region: us-west1\""));
    assert_non_null(strstr(text, "\"Mcp-Param-N: -7\""));
    assert_non_null(strstr(text, "\"Mcp-Param-B: true\""));
    assert_non_null(strstr(
        text, "\"Mcp-Param-Greeting: =?base64?SGVsbG8sIOS4lueVjA==?=\""));
    assert_null(strstr(text, "Mcp-Param-Z")); /* null: omitted */
    assert_int_equal(json_array_size(lines), 4);
    free(text);
    json_decref(lines);
    json_decref(args);
    json_decref(tool);
}

/* Every encoded case decodes back to its input: the receiving side. */
static void test_decode_roundtrip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++) {
        char *got = ac_mcphdr_decode(enc_cases[i].out);
        assert_non_null(got);
        if (strcmp(got, enc_cases[i].in) != 0) {
            fail_msg("case %zu: \"%s\" decoded to \"%s\", want \"%s\"", i,
                     enc_cases[i].out, got, enc_cases[i].in);
        }
        free(got);
    }
}

static void test_decode_hostile(void **state)
{
    char *s;

    (void)state;
    assert_null(ac_mcphdr_decode("=?base64?!!!!?=")); /* not Base64 */
    s = ac_mcphdr_decode("=?base64?"
                         "?="); /* empty payload */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    s = ac_mcphdr_decode("=?base64?="); /* prefix and suffix overlap */
    assert_non_null(s);
    assert_string_equal(s, "=?base64?=");
    free(s);
    s = ac_mcphdr_decode("=?BASE64?YQ==?="); /* case-sensitive prefix */
    assert_non_null(s);
    assert_string_equal(s, "=?BASE64?YQ==?=");
    free(s);
}

static void test_chars_ok(void **state)
{
    (void)state;
    assert_true(ac_mcphdr_chars_ok("us-west1"));
    assert_true(ac_mcphdr_chars_ok("a\tb c"));
    assert_true(ac_mcphdr_chars_ok(""));
    assert_false(ac_mcphdr_chars_ok("a\r\nX-Injected: 1"));
    assert_false(ac_mcphdr_chars_ok("\xc3\xa9"));
    assert_false(ac_mcphdr_chars_ok("del\x7f"));
}

static void test_matches(void **state)
{
    static const struct {
        const char *h, *json;
        bool same;
    } vec[] = {
        {"us-west1", "\"us-west1\"", true},
        {"US-WEST1", "\"us-west1\"", false},
        {"42", "42", true},
        {"42.0", "42", true}, /* numerically */
        {"-7", "-7", true},
        {"", "0", false},
        {"42x", "42", false},
        {"true", "true", true},
        {"True", "true", false},
        {"false", "false", true},
        {"1", "true", false},
        {"", "\"\"", true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        json_t *v = json_loads(vec[i].json, JSON_DECODE_ANY, NULL);
        bool got;
        assert_non_null(v);
        got = ac_mcphdr_matches(vec[i].h, v);
        if (got != vec[i].same) {
            fail_msg("ac_mcphdr_matches(\"%s\", %s) = %d, want %d", vec[i].h,
                     vec[i].json, got, vec[i].same);
        }
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_decode_roundtrip),
        cmocka_unit_test(test_decode_hostile),
        cmocka_unit_test(test_chars_ok),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_annotations),
        cmocka_unit_test(test_param_headers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
