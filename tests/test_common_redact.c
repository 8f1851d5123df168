/* Tests for common/redact: tags, secret names, forms, URLs, headers, JSON,
 * bodies by content type, known-secret replacement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/redact.h"

/* First 8 hex of SHA-256 of the value (checked with Python's hashlib). */
#define TAG_ABC "[redacted:ba7816bf]"

static char *s3cret_tag;

static int setup(void **state)
{
    (void)state;
    s3cret_tag = ac_redact_value("s3cret");
    return s3cret_tag == NULL;
}

static int teardown(void **state)
{
    (void)state;
    free(s3cret_tag);
    return 0;
}

static void expect_str(char *got, const char *want)
{
    assert_non_null(got);
    if (strcmp(got, want) != 0) {
        fail_msg("got  %s\nwant %s", got, want);
    }
    free(got);
}

static void test_value(void **state)
{
    char *a = ac_redact_value("abc"), *b = ac_redact_value("abc");

    (void)state;
    assert_string_equal(a, TAG_ABC);
    assert_string_equal(a, b); /* stable: a value can be followed */
    assert_string_not_equal(a, s3cret_tag);
    assert_int_equal(strlen(s3cret_tag), strlen("[redacted:12345678]"));
    free(a);
    free(b);
}

static void test_secret_names(void **state)
{
    static const char *const yes[] = {
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "code_verifier",
        "client_secret",
        "client_assertion",
        "assertion",
        "token",
        "password",
        "registration_access_token",
        "device_code",
        "ACCESS_TOKEN",
        "Client_Secret",
    };
    static const char *const no[] = {
        "code_challenge", "state",      "client_id", "scope",
        "token_type",     "expires_in", "codes",     "xcode",
        "redirect_uri",   "",           "d",         "error",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!ac_redact_is_secret_name(yes[i])) {
            fail_msg("%s should be secret", yes[i]);
        }
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (ac_redact_is_secret_name(no[i])) {
            fail_msg("%s should not be secret", no[i]);
        }
    }
    assert_false(ac_redact_is_secret_name(NULL));
}

static void test_form(void **state)
{
    char want[256];

    (void)state;
    snprintf(want, sizeof(want),
             "grant_type=authorization_code&code=%s&code_challenge=x&"
             "client_secret=%s&flag",
             TAG_ABC, s3cret_tag);
    expect_str(ac_redact_form("grant_type=authorization_code&code=abc&"
                              "code_challenge=x&client_secret=s3cret&flag"),
               want);
    /* The tag is of the decoded value; escaped names are recognised; bad
     * escapes and duplicates never make redaction fail. */
    snprintf(want, sizeof(want), "c%%6fde=%s&code=%s&x=%%zz", TAG_ABC, TAG_ABC);
    expect_str(ac_redact_form("c%6fde=%61bc&code=abc&x=%zz"), want);
    /* An undecodable value is tagged as sent. */
    expect_str(ac_redact_form("code=s3cret%"), "code=[redacted:99ef2708]");
    expect_str(ac_redact_form(""), "");
    assert_null(ac_redact_form(NULL));
}

static void test_url(void **state)
{
    char want[256];

    (void)state;
    snprintf(want, sizeof(want),
             "http://127.0.0.1:5/cb?code=%s&state=xyz#access_token=%s", TAG_ABC,
             s3cret_tag);
    expect_str(ac_redact_url("http://127.0.0.1:5/cb?code=abc&state=xyz"
                             "#access_token=s3cret"),
               want);
    snprintf(want, sizeof(want), "https://user:%s@h/p?q=1", s3cret_tag);
    expect_str(ac_redact_url("https://user:s3cret@h/p?q=1"), want);
    expect_str(ac_redact_url("https://h/code=abc"), "https://h/code=abc");
    expect_str(ac_redact_url("https://h/p#frag"), "https://h/p#frag");
    expect_str(ac_redact_url("garbage?token=abc"), "garbage?token=" TAG_ABC);
    assert_null(ac_redact_url(NULL));
}

static void test_header(void **state)
{
    char want[256];

    (void)state;
    snprintf(want, sizeof(want), "Bearer %s", s3cret_tag);
    expect_str(ac_redact_header("Authorization", "Bearer s3cret"), want);
    snprintf(want, sizeof(want), "DPoP %s", s3cret_tag);
    expect_str(ac_redact_header("authorization", "DPoP s3cret"), want);
    expect_str(ac_redact_header("Proxy-Authorization", "abc"), TAG_ABC);
    snprintf(want, sizeof(want), "sid=%s; theme=" TAG_ABC, s3cret_tag);
    expect_str(ac_redact_header("Cookie", "sid=s3cret; theme=abc"), want);
    snprintf(want, sizeof(want), "sid=%s; Path=/; HttpOnly", s3cret_tag);
    expect_str(ac_redact_header("Set-Cookie", "sid=s3cret; Path=/; HttpOnly"),
               want);
    expect_str(ac_redact_header("Location", "http://l/cb?code=abc&state=s"),
               "http://l/cb?code=" TAG_ABC "&state=s");
    expect_str(ac_redact_header("Content-Type", "application/json"),
               "application/json");
    expect_str(ac_redact_header("WWW-Authenticate", "Bearer scope=\"code\""),
               "Bearer scope=\"code\"");
}

static void test_json(void **state)
{
    json_t *in = json_pack(
        "{s:s, s:s, s:i, s:[{s:s}], s:{s:s, s:s, s:s}, s:{s:s, s:s}, "
        "s:{s:s}}",
        "access_token", "s3cret", "token_type", "Bearer", "expires_in", 3600,
        "list", "refresh_token", "abc", "jwk", "kty", "EC", "d", "abc", "x",
        "pub", "nested", "client_secret", "abc", "client_id", "c1", "plain",
        "d", "kept");
    json_t *out = ac_redact_json(in);
    json_t *jwk;

    (void)state;
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "access_token")),
                        s3cret_tag);
    assert_string_equal(json_string_value(json_object_get(out, "token_type")),
                        "Bearer");
    assert_int_equal(json_integer_value(json_object_get(out, "expires_in")),
                     3600);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(out, "list"), 0), "refresh_token")),
        TAG_ABC);
    jwk = json_object_get(out, "jwk");
    assert_string_equal(json_string_value(json_object_get(jwk, "d")), TAG_ABC);
    assert_string_equal(json_string_value(json_object_get(jwk, "x")), "pub");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(out, "nested"), "client_secret")),
                        TAG_ABC);
    /* "d" outside a JWK is an ordinary name. */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(out, "plain"), "d")),
        "kept");
    /* The input is untouched: a deep copy. */
    assert_string_equal(json_string_value(json_object_get(in, "access_token")),
                        "s3cret");
    json_decref(in);
    json_decref(out);
    assert_null(ac_redact_json(NULL));
}

static void test_body(void **state)
{
    json_t *extra = json_pack("[s, s]", "s3cret", "");
    char want[256];

    (void)state;
    snprintf(want, sizeof(want),
             "{\"access_token\":\"%s\",\"error_description\":\"bad %s\"}",
             TAG_ABC, s3cret_tag);
    expect_str(ac_redact_body("application/json; charset=utf-8",
                              "{\"access_token\":\"abc\","
                              "\"error_description\":\"bad s3cret\"}",
                              extra),
               want);
    expect_str(ac_redact_body("application/jwk-set+json",
                              "{\"keys\":[{\"kty\":\"oct\",\"k\":\"abc\"}]}",
                              NULL),
               "{\"keys\":[{\"kty\":\"oct\",\"k\":\"" TAG_ABC "\"}]}");
    expect_str(ac_redact_body("Application/X-WWW-Form-Urlencoded",
                              "code=abc&state=1", NULL),
               "code=" TAG_ABC "&state=1");
    /* Unparsable JSON falls back to known-secret replacement. */
    snprintf(want, sizeof(want), "{\"access_token\": \"%s\"", s3cret_tag);
    expect_str(ac_redact_body("application/json",
                              "{\"access_token\": \"s3cret\"", extra),
               want);
    snprintf(want, sizeof(want), "<p>%s</p>", s3cret_tag);
    expect_str(ac_redact_body("text/html", "<p>s3cret</p>", extra), want);
    expect_str(ac_redact_body(NULL, "code=abc", NULL), "code=abc");
    assert_null(ac_redact_body("text/plain", NULL, extra));
    json_decref(extra);
}

static void test_known(void **state)
{
    json_t *secrets = json_pack("[s, s, s, i]", "abc", "abcdef", "", 7);
    char want[256];

    (void)state;
    /* Longest match first; the empty string and non-strings are skipped. */
    snprintf(want, sizeof(want), "x %s y [redacted:ba7816bf] z",
             "[redacted:bef57ec7]");
    expect_str(ac_redact_known("x abcdef y abc z", secrets), want);
    expect_str(ac_redact_known("nothing here", secrets), "nothing here");
    expect_str(ac_redact_known("abc", NULL), "abc");
    expect_str(ac_redact_known("", secrets), "");
    assert_null(ac_redact_known(NULL, secrets));
    json_decref(secrets);
    /* A secret that occurs inside a tag is not re-redacted. */
    secrets = json_pack("[s, s]", "abc", "redacted");
    expect_str(ac_redact_known("abc", secrets), TAG_ABC);
    json_decref(secrets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value),  cmocka_unit_test(test_secret_names),
        cmocka_unit_test(test_form),   cmocka_unit_test(test_url),
        cmocka_unit_test(test_header), cmocka_unit_test(test_json),
        cmocka_unit_test(test_body),   cmocka_unit_test(test_known),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
