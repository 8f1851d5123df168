/* Tests for common/redact: tags, secret names, forms, URLs, headers, JSON,
 * bodies by content type, known-secret replacement (checked against a naive
 * reference on random inputs, and timed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The reference: at each character try every secret, keep the longest
 * (the first of equal ones), as ac_redact_known did before its index. */
static char *naive_known(const char *text, const json_t *secrets)
{
    size_t cap = strlen(text) * 20 + 1, len = 0, i, best, n;
    char *out = malloc(cap), *tag;
    const char *p = text, *s, *which = NULL;

    assert_non_null(out);
    while (*p != '\0') {
        best = 0;
        for (i = 0; i < json_array_size(secrets); i++) {
            s = json_string_value(json_array_get(secrets, i));
            n = s != NULL ? strlen(s) : 0;
            if (n > best && strncmp(p, s, n) == 0) {
                best = n;
                which = s;
            }
        }
        if (best == 0) {
            out[len++] = *p++;
            continue;
        }
        tag = ac_redact_value(which);
        assert_non_null(tag);
        memcpy(out + len, tag, strlen(tag));
        len += strlen(tag);
        free(tag);
        p += best;
    }
    out[len] = '\0';
    return out;
}

/* A fixed xorshift generator: the random cases are the same every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static size_t rnd(size_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (size_t)(rng_state % n);
}

/* `n` random characters from the first `alpha` of a fixed alphabet. */
static void rnd_fill(char *p, size_t n, size_t alpha)
{
    static const char ALPHABET[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    size_t i;

    for (i = 0; i < n; i++) {
        p[i] = ALPHABET[rnd(alpha)];
    }
}

/* Secrets from a small alphabet, so they overlap, repeat, and are prefixes
 * of one another; some are 1-3 bytes, some extend an earlier one. */
static json_t *rnd_secrets(size_t count, size_t alpha)
{
    json_t *a = json_array();
    char s[64];
    size_t i, n, m;
    const char *prev;

    for (i = 0; i < count; i++) {
        prev = json_string_value(json_array_get(a, rnd(i + 1)));
        if (prev != NULL && rnd(3) == 0) {
            /* A longer or a shorter secret sharing a prefix. */
            n = strlen(prev);
            memcpy(s, prev, n);
            if (rnd(2) == 0 && n > 1) {
                n = 1 + rnd(n - 1);
            } else if (n + 7 < sizeof(s)) {
                m = 1 + rnd(6);
                rnd_fill(s + n, m, alpha);
                n += m;
            }
        } else {
            n = 1 + rnd(12);
            rnd_fill(s, n, alpha);
        }
        s[n] = '\0';
        json_array_append_new(a, json_string(s));
    }
    return a;
}

/* A text of random filler with secrets pasted in, often at the start and
 * at the end. */
static char *rnd_text(const json_t *secrets, size_t alpha)
{
    size_t len = rnd(200), pos = 0, n;
    char *t = malloc(len + 64 + 1);
    const char *s;

    assert_non_null(t);
    while (pos < len) {
        s = json_string_value(
            json_array_get(secrets, rnd(json_array_size(secrets) + 1)));
        if (s != NULL && rnd(3) == 0) {
            n = strlen(s);
            memcpy(t + pos, s, n);
        } else {
            n = 1 + rnd(8);
            rnd_fill(t + pos, n, alpha);
        }
        pos += n;
    }
    t[pos] = '\0';
    return t;
}

static void expect_same(const char *text, const json_t *secrets,
                        struct ac_redact_index *ix)
{
    char *want = naive_known(text, secrets);
    char *got = ac_redact_known(text, secrets);
    char *again = ac_redact_index_apply(ix, text);

    assert_non_null(got);
    assert_non_null(again);
    if (strcmp(got, want) != 0 || strcmp(again, want) != 0) {
        fail_msg("text %s\ngot  %s\nidx  %s\nwant %s", text, got, again, want);
    }
    free(want);
    free(got);
    free(again);
}

static void test_known_equivalence(void **state)
{
    static const size_t alphas[] = {2, 3, 4, 8, 64};
    json_t *secrets;
    struct ac_redact_index *ix;
    char *text;
    size_t a, round, i;

    (void)state;
    for (a = 0; a < sizeof(alphas) / sizeof(alphas[0]); a++) {
        for (round = 0; round < 40; round++) {
            secrets = rnd_secrets(1 + rnd(40), alphas[a]);
            ix = ac_redact_index_new(secrets);
            assert_non_null(ix);
            for (i = 0; i < 20; i++) {
                text = rnd_text(secrets, alphas[a]);
                expect_same(text, secrets, ix);
                free(text);
            }
            ac_redact_index_free(ix);
            json_decref(secrets);
        }
    }
}

static void test_known_edges(void **state)
{
    json_t *secrets = json_pack("[s, s, s, s, s, s, i, s]", "ab", "abcd",
                                "abcdefgh", "b", "cdx", "abcd", 3, "");
    struct ac_redact_index *ix = ac_redact_index_new(secrets);
    static const char *const texts[] = {
        "ab",        "abc",        "abcd",     "abcdefg", "abcdefgh",
        "xabcdefgh", "abcdefghab", "bbbb",     "cdxab",   "abcdx",
        "a",         "",           "zzzzzzzz", "abcdcdx", "ababcdefghb",
    };
    size_t i;

    (void)state;
    assert_non_null(ix);
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        expect_same(texts[i], secrets, ix);
    }
    ac_redact_index_free(ix);
    json_decref(secrets);
    /* Same length, same first and last 8 bytes: told apart by memcmp. */
    secrets = json_pack("[s, s, s]", "01234567X89abcdef", "01234567Y89abcdef",
                        "01234567");
    ix = ac_redact_index_new(secrets);
    assert_non_null(ix);
    expect_same("01234567Y89abcdef01234567X89abcdef01234567Z89abcdef", secrets,
                ix);
    ac_redact_index_free(ix);
    /* No secrets, a NULL index, a NULL text. */
    ix = ac_redact_index_new(NULL);
    assert_non_null(ix);
    expect_str(ac_redact_index_apply(ix, "abc"), "abc");
    assert_null(ac_redact_index_apply(ix, NULL));
    ac_redact_index_free(ix);
    expect_str(ac_redact_index_apply(NULL, "abc"), "abc");
    ac_redact_index_free(NULL);
    json_decref(secrets);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 3000 secrets like the mocks' (43-character tokens, and JWTs sharing a
 * header) against 1 MB of text. Printed, not asserted: machines differ. */
static json_t *bench_secrets(void)
{
    static const char JWT_HEAD[] = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.";
    json_t *a = json_array();
    char s[400];
    size_t i, n, m;

    for (i = 0; i < 3000; i++) {
        if (i % 4 == 0) {
            n = strlen(JWT_HEAD);
            memcpy(s, JWT_HEAD, n);
            m = 250 + rnd(80);
            rnd_fill(s + n, m, 64);
            n += m;
        } else {
            rnd_fill(s, 43, 64);
            n = 43;
        }
        s[n] = '\0';
        json_array_append_new(a, json_string(s));
    }
    return a;
}

static char *bench_text(const json_t *secrets, size_t len)
{
    char *t = malloc(len + 1);
    size_t pos = 0, n;
    const char *s;

    assert_non_null(t);
    while (pos < len) {
        s = json_string_value(
            json_array_get(secrets, rnd(json_array_size(secrets))));
        n = rnd(10) == 0 ? strlen(s) : 1 + rnd(60);
        n = n < len - pos ? n : len - pos;
        if (n == strlen(s)) {
            memcpy(t + pos, s, n);
        } else {
            rnd_fill(t + pos, n, 64);
            t[pos] = '"';
        }
        pos += n;
    }
    t[len] = '\0';
    return t;
}

static void test_known_timing(void **state)
{
    json_t *secrets = bench_secrets();
    char *text = bench_text(secrets, 1024 * 1024), *out, *ref;
    struct ac_redact_index *ix;
    double t0 = now_s(), t1;
    size_t i;

    (void)state;
    out = ac_redact_known(text, secrets);
    t1 = now_s();
    assert_non_null(out);
    print_message("ac_redact_known: 3000 secrets x 1 MB text: %.3f s\n",
                  t1 - t0);
    /* The naive reference on 8 KB of it, for comparison and equivalence. */
    text[8192] = '\0';
    t0 = now_s();
    ref = naive_known(text, secrets);
    t1 = now_s();
    print_message("naive reference: 3000 secrets x 8 KB text: %.3f s "
                  "(~%.0f s per MB)\n",
                  t1 - t0, (t1 - t0) * 128);
    ix = ac_redact_index_new(secrets);
    expect_same(text, secrets, ix);
    ac_redact_index_free(ix);
    /* GET /transcript's shape: many short texts, an index per call. */
    text[512] = '\0';
    t0 = now_s();
    for (i = 0; i < 2000; i++) {
        free(ac_redact_known(text, secrets));
    }
    t1 = now_s();
    print_message("ac_redact_known: 3000 secrets x 2000 texts of 512 B: "
                  "%.3f s\n",
                  t1 - t0);
    free(out);
    free(ref);
    free(text);
    json_decref(secrets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_secret_names),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_known_equivalence),
        cmocka_unit_test(test_known_edges),
        cmocka_unit_test(test_known_timing),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
