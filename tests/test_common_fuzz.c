/* Bounded, deterministic fuzz tests of the common/ parsers: hostile input
 * must never crash, hang or leak (ASan and UBSan in `make check-asan`), and
 * every call must either succeed with sane output or fail with a message.
 *
 * Inputs come from tests/support/fuzz.h (seeds fixed and printed, so a
 * failure is reproducible) as random byte strings and as mutations of
 * valid seeds.
 * A few real properties are checked too: encode/decode round trips for
 * base64url, percent-encoding and forms, idempotent URL canonicalisation,
 * and known-secret redaction against a naive reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/b64url.h"
#include "common/form.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "common/redact.h"
#include "common/url.h"
#include "common/wwwauth.h"
#include "tests/support/asserts.h"
#include "tests/support/fuzz.h"

/* Iterations per target: enough to reach the odd corners, few enough that
 * the whole program stays well under a second (a few under ASan). */
#define ITERS 3000

/* The mutator's taste: the delimiters of the formats fuzzed here. */
static const struct ts_fuzz_cfg CFG = {
    .specials = "\"\\,=%&;:/?#[]@{} \t+'()<>\x01\x1f\x7f\x80\xff~.-_!*",
    .run = 'a',
    .max_len = 8192,
    .max_random = 200,
};

#define NSEEDS(a) (sizeof(a) / sizeof((a)[0]))

/* A failure must say why. */
static void assert_failed_with_msg(const struct ac_err *err, const char *what,
                                   const char *input)
{
    if (err->msg[0] == '\0') {
        fail_msg("%s failed without a message on \"%.200s\"", what, input);
    }
}

/* --- WWW-Authenticate ----------------------------------------------------- */

static const char *const WWWAUTH_SEEDS[] = {
    "Bearer realm=\"mcp\", "
    "resource_metadata=\"https://mcp.example/.well-known/"
    "oauth-protected-resource\", scope=\"mcp:tools files:read\"",
    "Bearer error=\"insufficient_scope\", scope=\"a b\", "
    "error_description=\"needs \\\"a\\\", and b\"",
    "Basic realm=\"x\", Bearer realm=\"y\", DPoP algs=\"ES256 RS256\"",
    "Basic dXNlcjpwYXNz",
    "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaAD==",
    "Bearer",
    "bearer Scope=mcp:tools, Error=invalid_token",
    "Bearer realm=\"a\\\\b\", error_scope=\"decoy\", scope=\"real\"",
    "Digest realm=\"x\", nonce=\"abc\", qop=\"auth,auth-int\", Bearer",
    "Bearer realm = \"spaced\" ,  scope = token , ,",
};

static void check_challenges(const struct ac_challenges *cs, const char *in)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct ac_challenge *c = &cs->items[i];
        if (c->scheme == NULL || c->scheme[0] == '\0') {
            fail_msg("empty scheme from \"%.200s\"", in);
        }
        for (size_t k = 0; k < c->nparams; k++) {
            if (c->params[k].name == NULL || c->params[k].name[0] == '\0' ||
                c->params[k].value == NULL) {
                fail_msg("bad parameter from \"%.200s\"", in);
            }
            /* Every indexed parameter must be findable by its name. */
            assert_non_null(ac_challenge_param(c, c->params[k].name));
        }
        assert_non_null(ac_wwwauth_find(cs, c->scheme));
    }
}

static void test_fuzz_wwwauth(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x5741555448u, "wwwauth", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in[3];
        const char *lines[3];
        size_t nlines = 1 + ts_fuzz_below(&r, 3);
        struct ac_challenges cs = {0};
        struct ac_err err = {0};

        for (size_t l = 0; l < nlines; l++) {
            in[l] =
                ts_fuzz_input(&r, WWWAUTH_SEEDS, NSEEDS(WWWAUTH_SEEDS), true);
            lines[l] = in[l].p;
        }
        if (ac_wwwauth_parse(lines, nlines, &cs, &err)) {
            check_challenges(&cs, lines[0]);
        } else {
            assert_failed_with_msg(&err, "ac_wwwauth_parse", lines[0]);
            assert_int_equal(cs.n, 0);
        }
        ac_challenges_free(&cs);
        for (size_t l = 0; l < nlines; l++) {
            free(in[l].p);
        }
    }
}

/* --- forms and percent-encoding ------------------------------------------- */

static const char *const FORM_SEEDS[] = {
    "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&"
    "redirect_uri=https%3A%2F%2Fclient%2Eexample%2Fcb&code_verifier=abc",
    "a=1&&b=2&",
    "x",
    "name=a+b%20c%2B&empty=&flag",
    "scope=mcp%3Atools+files%3Aread&state=xyz%7E",
    "client_id=%E2%82%AC&client_secret=s3cr%25t",
    "error=access_denied&error_description=User+said+%22no%22",
};

/* Pairs must be non-empty-named, NUL-free and free of duplicates; encoding
 * and parsing again must give the same pairs. */
static void check_form(const struct ac_form *f, const char *in)
{
    struct ac_form again;
    struct ac_err err = {0};
    char *enc;

    for (size_t i = 0; i < f->n; i++) {
        assert_int_not_equal(f->pairs[i].name[0], '\0');
        assert_non_null(f->pairs[i].value);
        for (size_t k = 0; k < i; k++) {
            if (strcmp(f->pairs[i].name, f->pairs[k].name) == 0) {
                fail_msg("duplicate \"%s\" accepted in \"%.200s\"",
                         f->pairs[i].name, in);
            }
        }
    }
    enc = ac_form_encode(f);
    assert_non_null(enc);
    if (!ac_form_parse(enc, &again, &err)) {
        fail_msg("re-parse of \"%.200s\" failed: %s", enc, err.msg);
    }
    assert_int_equal(again.n, f->n);
    for (size_t i = 0; i < f->n; i++) {
        assert_string_equal(again.pairs[i].name, f->pairs[i].name);
        assert_string_equal(again.pairs[i].value, f->pairs[i].value);
    }
    ac_form_free(&again);
    free(enc);
}

static void test_fuzz_form(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x464f524du, "form+pct", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in =
            ts_fuzz_input(&r, FORM_SEEDS, NSEEDS(FORM_SEEDS), true);
        struct ts_bytes raw =
            ts_fuzz_input(&r, FORM_SEEDS, NSEEDS(FORM_SEEDS), false);
        struct ac_form f;
        struct ac_err err = {0};
        char *dec;

        if (ac_form_parse(in.p, &f, &err)) {
            check_form(&f, in.p);
        } else {
            assert_failed_with_msg(&err, "ac_form_parse", in.p);
            assert_int_equal(f.n, 0);
        }
        ac_form_free(&f);

        /* Length-bounded decoding of bytes that may hold NULs. */
        memset(&err, 0, sizeof(err));
        dec = ac_pct_decode(raw.p, raw.len, it & 1, &err);
        if (dec != NULL) {
            assert_int_cmp(strlen(dec), <=, raw.len);
        } else {
            assert_failed_with_msg(&err, "ac_pct_decode", raw.p);
        }
        free(dec);
        free(in.p);
        free(raw.p);
    }
}

/* A random NUL-free string of up to `max` bytes over all byte values. */
static char *random_cstr(struct ts_fuzz *r, size_t max)
{
    size_t n = ts_fuzz_below(r, max + 1);
    char *s = malloc(n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        s[i] = (char)(1 + ts_fuzz_below(r, 255));
    }
    s[n] = '\0';
    return s;
}

static void test_prop_pct_roundtrip(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x504354u, "pct encode->decode", ITERS);
    for (int it = 0; it < ITERS; it++) {
        char *s = random_cstr(&r, 64);
        char *enc = ac_pct_encode(s);
        struct ac_err err = {0};
        char *dec;

        assert_non_null(enc);
        /* Space is %20 and '+' is %2B, so both decodings agree. */
        dec = ac_pct_decode(enc, strlen(enc), it & 1, &err);
        if (dec == NULL) {
            fail_msg("decoding \"%s\": %s", enc, err.msg);
        }
        assert_string_equal(dec, s);
        free(dec);
        free(enc);
        free(s);
    }
}

static void test_prop_form_roundtrip(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x464f524d32u, "form encode->parse", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ac_form f, back;
        struct ac_err err = {0};
        size_t n = ts_fuzz_below(&r, 6);
        char *enc;

        ac_form_init(&f);
        for (size_t i = 0; i < n; i++) {
            char *name = random_cstr(&r, 12);
            char *value = random_cstr(&r, 24);
            /* Names must be non-empty and distinct. */
            if (name[0] != '\0' && ac_form_get(&f, name) == NULL) {
                assert_true(ac_form_add(&f, name, value, NULL));
            }
            free(name);
            free(value);
        }
        enc = ac_form_encode(&f);
        assert_non_null(enc);
        if (!ac_form_parse(enc, &back, &err)) {
            fail_msg("parsing \"%s\": %s", enc, err.msg);
        }
        assert_int_equal(back.n, f.n);
        for (size_t i = 0; i < f.n; i++) {
            assert_string_equal(back.pairs[i].name, f.pairs[i].name);
            assert_string_equal(back.pairs[i].value, f.pairs[i].value);
        }
        ac_form_free(&back);
        ac_form_free(&f);
        free(enc);
    }
}

/* --- URLs ----------------------------------------------------------------- */

static const char *const URL_SEEDS[] = {
    "https://mcp.example.com/mcp",
    "https://user:pw@as.example:8443/tenant1/?a=b&c=d#frag",
    "http://127.0.0.1:34567/.well-known/oauth-protected-resource/mcp",
    "https://[::1]:443/",
    "HTTPS://Example.COM:443/a/b/../c?x#y",
    "http://[fe80::1%25eth0]/p",
    "/callback?code=abc&state=xyz",
    "https://as.example",
    "//other.example/x",
    "http://h:0/",
    "https://h:/",
};

static const char *const WK_SUFFIX[] = {"oauth-authorization-server",
                                        "openid-configuration",
                                        "oauth-protected-resource"};

static void check_url(const struct ac_url *u, const char *in)
{
    char *text;
    struct ac_url again;
    struct ac_err err = {0};

    if (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0) {
        fail_msg("scheme \"%s\" from \"%.200s\"", u->scheme, in);
    }
    assert_int_not_equal(u->host[0], '\0');
    assert_in_range(u->port, 1, 65535);
    if (u->path[0] != '\0' && u->path[0] != '/') {
        fail_msg("path \"%s\" is neither empty nor absolute", u->path);
    }
    /* What we format, we parse back to the same text. */
    text = ac_url_format(u);
    assert_non_null(text);
    if (!ac_url_parse(text, &again, &err)) {
        fail_msg("\"%.200s\" -> \"%.200s\" does not parse: %s", in, text,
                 err.msg);
    }
    ac_url_free(&again);
    free(text);
}

static void test_fuzz_url(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x55524cu, "url", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes a =
            ts_fuzz_input(&r, URL_SEEDS, NSEEDS(URL_SEEDS), true);
        struct ts_bytes b =
            ts_fuzz_input(&r, URL_SEEDS, NSEEDS(URL_SEEDS), true);
        struct ac_url u;
        struct ac_err err = {0};
        char *s, *c2;

        if (ac_url_parse(a.p, &u, &err)) {
            check_url(&u, a.p);
            ac_url_free(&u);
        } else {
            assert_failed_with_msg(&err, "ac_url_parse", a.p);
        }

        memset(&err, 0, sizeof(err));
        s = ac_url_resolve(a.p, b.p, &err);
        if (s == NULL) {
            assert_failed_with_msg(&err, "ac_url_resolve", b.p);
        }
        free(s);

        memset(&err, 0, sizeof(err));
        s = ac_url_wellknown(a.p, WK_SUFFIX[ts_fuzz_below(&r, 3)],
                             (enum ac_wellknown_form)ts_fuzz_below(&r, 3),
                             &err);
        if (s == NULL) {
            assert_failed_with_msg(&err, "ac_url_wellknown", a.p);
        }
        free(s);

        /* Canonicalisation is idempotent. */
        s = ac_url_canonical_resource(a.p);
        if (s != NULL) {
            c2 = ac_url_canonical_resource(s);
            if (c2 == NULL || strcmp(c2, s) != 0) {
                fail_msg("canonical(\"%.200s\") = \"%.200s\" -> \"%.200s\"",
                         a.p, s, c2 != NULL ? c2 : "(null)");
            }
            free(c2);
        }
        free(s);
        free(ac_url_origin(a.p));
        free(a.p);
        free(b.p);
    }
}

/* --- JSON ----------------------------------------------------------------- */

static const char *const JSON_SEEDS[] = {
    "{\"issuer\":\"https://as.example\",\"token_endpoint\":\"https://"
    "as.example/token\",\"code_challenge_methods_supported\":[\"S256\"]}",
    "[1, -2.5e10, true, false, null, \"\\u00e9\\ud83d\\ude00\", {}]",
    "{\"a\":{\"b\":{\"c\":[[[[\"deep\"]]]]}}}",
    "\"\\\"\\\\\\/\\b\\f\\n\"",
    "{\"a\":1,\"a\":2}",
    "123456789012345678901234567890",
    "{}",
};

static void test_fuzz_json(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x4a534f4eu, "json", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in =
            ts_fuzz_input(&r, JSON_SEEDS, NSEEDS(JSON_SEEDS), false);
        struct ac_err err = {0};
        json_t *v = ac_json_parse(in.p, in.len, &err);

        if (v != NULL) {
            /* What parsed, dumps and parses back to an equal value. */
            char *text = ac_json_dump(v);
            json_t *back;

            assert_non_null(text);
            back = ac_json_parse(text, strlen(text), &err);
            if (back == NULL || !json_equal(back, v)) {
                fail_msg("round trip of \"%.200s\" failed", text);
            }
            json_decref(back);
            free(text);
        } else {
            assert_failed_with_msg(&err, "ac_json_parse", in.p);
        }
        json_decref(v);
        memset(&err, 0, sizeof(err));
        v = ac_json_parse_object(in.p, in.len, &err);
        if (v != NULL) {
            assert_true(json_is_object(v));
        } else {
            assert_int_not_equal(err.msg[0], '\0');
        }
        json_decref(v);
        free(in.p);
    }
}

/* --- base64 --------------------------------------------------------------- */

static const char *const B64_SEEDS[] = {
    "",         "Zg",       "Zm8",  "Zm9v", "Zm9vYg",   "Zm9vYmE",
    "Zm9vYmFy", "_-_-AAEC", "Zg==", "Zm8=", "Zm9vYmFy", "dXNlcjpwYXNz",
};

/* A successful decode re-encodes to the very same text: the decoders are
 * canonical (no padding in base64url, zero trailing bits in both). */
static void test_fuzz_b64(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x423634u, "b64", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in =
            ts_fuzz_input(&r, B64_SEEDS, NSEEDS(B64_SEEDS), false);
        struct ac_err err = {0};
        uint8_t *out = NULL;
        size_t n = 0;
        char *enc;

        if (ac_b64url_decode(in.p, in.len, &out, &n, &err)) {
            enc = ac_b64url_encode(out, n);
            assert_non_null(enc);
            assert_int_equal(strlen(enc), in.len);
            assert_memory_equal(enc, in.p, in.len);
            free(enc);
        } else {
            assert_failed_with_msg(&err, "ac_b64url_decode", in.p);
        }
        free(out);
        out = NULL;
        memset(&err, 0, sizeof(err));
        if (ac_b64_decode(in.p, in.len, &out, &n, &err)) {
            enc = ac_b64_encode(out, n);
            assert_non_null(enc);
            assert_int_equal(strlen(enc), in.len);
            assert_memory_equal(enc, in.p, in.len);
            free(enc);
        } else {
            assert_failed_with_msg(&err, "ac_b64_decode", in.p);
        }
        free(out);
        free(in.p);
    }
}

static void test_prop_b64url_roundtrip(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x423634u ^ 0xffu, "b64url encode->decode", ITERS);
    for (int it = 0; it < ITERS; it++) {
        uint8_t data[96];
        size_t n = ts_fuzz_below(&r, sizeof(data) + 1);
        uint8_t *out = NULL;
        size_t outlen = 0;
        struct ac_err err = {0};
        char *enc;

        for (size_t i = 0; i < n; i++) {
            data[i] = (uint8_t)ts_fuzz_rnd(&r);
        }
        enc = ac_b64url_encode(data, n);
        assert_non_null(enc);
        if (!ac_b64url_decode(enc, strlen(enc), &out, &outlen, &err)) {
            fail_msg("decoding \"%s\": %s", enc, err.msg);
        }
        assert_int_equal(outlen, n);
        assert_memory_equal(out, data, n);
        free(out);
        free(enc);
        /* Same for the padded alphabet. */
        enc = ac_b64_encode(data, n);
        assert_non_null(enc);
        out = NULL;
        assert_true(ac_b64_decode(enc, strlen(enc), &out, &outlen, &err));
        assert_int_equal(outlen, n);
        assert_memory_equal(out, data, n);
        free(out);
        free(enc);
    }
}

/* --- JWS ------------------------------------------------------------------ */

static void test_fuzz_jws(void **state)
{
    struct ac_jwk *key = ac_jwk_generate(AC_JWS_ES256, NULL);
    json_t *claims =
        json_pack("{s:s, s:s, s:I, s:[s]}", "iss", "https://as.example", "sub",
                  "c1", "exp", (json_int_t)1700000300, "aud", "https://m/mcp");
    char *tok;
    const char *seeds[4];
    struct ts_fuzz r;

    (void)state;
    assert_non_null(key);
    assert_non_null(claims);
    tok = ac_jwt_sign(key, "at+jwt", claims, NULL);
    assert_non_null(tok);
    seeds[0] = tok;
    seeds[1] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    seeds[2] = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
    seeds[3] = "eyJhbGciOiJFUzI1NiIsImNyaXQiOlsiYiJdfQ.e30.AA";
    ts_fuzz_seed(&r, &CFG, 0x4a5753u, "jws", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in = ts_fuzz_input(&r, seeds, 4, true);
        struct ac_jws_verify_params p = {
            .algs = AC_JWS_ES256 | AC_JWS_RS256, .key = key, .typ = "at+jwt"};
        struct ac_err err = {0};
        json_t *h = NULL, *c = NULL;
        uint8_t *payload = NULL;
        size_t plen = 0;

        if (ac_jws_verify(in.p, &p, &h, &payload, &plen, &err)) {
            /* Only the genuine token verifies: mutations of the payload or
             * header are caught by the signature, and base64url is
             * canonical, so no other spelling decodes to the same bytes. */
            if (strcmp(in.p, tok) != 0) {
                fail_msg("forged token verified: \"%.300s\"", in.p);
            }
            assert_true(json_is_object(h));
        } else {
            assert_failed_with_msg(&err, "ac_jws_verify", in.p);
        }
        json_decref(h);
        free(payload);
        h = NULL;
        memset(&err, 0, sizeof(err));
        if (ac_jwt_peek_unverified(in.p, &h, &c, &err)) {
            assert_true(json_is_object(h));
            assert_true(json_is_object(c));
        } else {
            assert_failed_with_msg(&err, "ac_jwt_peek_unverified", in.p);
        }
        json_decref(h);
        json_decref(c);
        free(in.p);
    }
    free(tok);
    json_decref(claims);
    ac_jwk_free(key);
}

/* --- redaction ------------------------------------------------------------ */

static const char *const REDACT_SEEDS[] = {
    "grant_type=refresh_token&refresh_token=RTOKENVALUE&client_id=c",
    "https://c.example/cb?code=CODEVALUE&state=S#access_token=ATOKEN&x=1",
    "https://user:PASSWORD@h.example:8443/p?q=1",
    "{\"access_token\":\"ATOKEN\",\"nested\":{\"client_secret\":\"CS\"},"
    "\"list\":[{\"code\":\"C\"}]}",
    "code=a%ZZ&Code=x&CODE&code_verifier=%41%42",
    "error_description=token+ATOKEN+is+bad",
};

static const char *const CONTENT_TYPES[] = {
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/problem+json; charset=utf-8",
    "APPLICATION/X-WWW-FORM-URLENCODED;charset=UTF-8",
};

/* If the input is a valid form, so is the output, with the same names and
 * every non-empty secret-named value replaced by a tag. */
static void check_redacted_form(const char *in, const char *out)
{
    struct ac_form a, b;
    struct ac_err err = {0};

    if (!ac_form_parse(in, &a, NULL)) {
        return;
    }
    if (!ac_form_parse(out, &b, &err)) {
        fail_msg("redacting \"%.200s\" gave unparsable \"%.200s\": %s", in, out,
                 err.msg);
    }
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.pairs[i].name, b.pairs[i].name);
        /* A bare name ("code", no "=") has nothing to hide. */
        if (ac_redact_is_secret_name(a.pairs[i].name) &&
            a.pairs[i].value[0] != '\0') {
            if (strncmp(b.pairs[i].value, "[redacted:", 10) != 0) {
                fail_msg("\"%s\" leaked in \"%.200s\"", a.pairs[i].name, out);
            }
        } else {
            assert_string_equal(a.pairs[i].value, b.pairs[i].value);
        }
    }
    ac_form_free(&a);
    ac_form_free(&b);
}

static void test_fuzz_redact(void **state)
{
    struct ts_fuzz r;
    json_t *extra = json_pack("[s, s, s]", "ATOKEN", "RTOKENVALUE", "CS");

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x524544u, "redact", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in =
            ts_fuzz_input(&r, REDACT_SEEDS, NSEEDS(REDACT_SEEDS), true);
        char *s;

        s = ac_redact_form(in.p);
        assert_non_null(s);
        check_redacted_form(in.p, s);
        free(s);
        s = ac_redact_url(in.p);
        assert_non_null(s);
        free(s);
        s = ac_redact_body(
            CONTENT_TYPES[ts_fuzz_below(&r, NSEEDS(CONTENT_TYPES))], in.p,
            extra);
        assert_non_null(s);
        /* Known secrets never survive, whatever the body's shape. */
        if (strstr(s, "ATOKEN") != NULL || strstr(s, "RTOKENVALUE") != NULL) {
            fail_msg("known secret survived in \"%.300s\"", s);
        }
        free(s);
        s = ac_redact_known(in.p, extra);
        assert_non_null(s);
        free(s);
        free(in.p);
    }
    json_decref(extra);
}

/* The plain definition of ac_redact_known: leftmost, longest match first,
 * one pass. The index must give exactly this. */
static char *naive_redact(const char *text, char *const *secrets, size_t n)
{
    size_t cap = strlen(text) * 24 + 1, o = 0;
    char *out = malloc(cap);

    assert_non_null(out);
    while (*text != '\0') {
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(secrets[i]);
            if (l > best && strncmp(text, secrets[i], l) == 0) {
                best = l;
                bi = i;
            }
        }
        if (best > 0) {
            char *tag = ac_redact_value(secrets[bi]);
            assert_non_null(tag);
            o += (size_t)snprintf(out + o, cap - o, "%s", tag);
            free(tag);
            text += best;
        } else {
            out[o++] = *text++;
        }
    }
    out[o] = '\0';
    return out;
}

static void test_prop_redact_known(void **state)
{
    struct ts_fuzz r;

    (void)state;
    ts_fuzz_seed(&r, &CFG, 0x4b4e4f574eu, "redact_known vs naive", ITERS);
    for (int it = 0; it < ITERS; it++) {
        /* Secrets over a small alphabet, so they overlap and share
         * prefixes often; uppercase, so no tag can contain one. */
        char *secrets[8];
        size_t n = 1 + ts_fuzz_below(&r, 8), tlen = ts_fuzz_below(&r, 300);
        json_t *arr = json_array();
        char *text = malloc(tlen + 1), *got, *want;

        for (size_t i = 0; i < n; i++) {
            size_t l = 1 + ts_fuzz_below(&r, 12);
            secrets[i] = malloc(l + 1);
            for (size_t k = 0; k < l; k++) {
                secrets[i][k] = (char)('W' + ts_fuzz_below(&r, 4));
            }
            secrets[i][l] = '\0';
            json_array_append_new(arr, json_string(secrets[i]));
        }
        for (size_t k = 0; k < tlen; k++) {
            text[k] = ts_fuzz_below(&r, 6) == 0
                          ? 'x'
                          : (char)('W' + ts_fuzz_below(&r, 4));
        }
        text[tlen] = '\0';
        got = ac_redact_known(text, arr);
        want = naive_redact(text, secrets, n);
        assert_non_null(got);
        if (strcmp(got, want) != 0) {
            fail_msg("text \"%s\": got \"%.300s\", want \"%.300s\"", text, got,
                     want);
        }
        free(got);
        free(want);
        free(text);
        for (size_t i = 0; i < n; i++) {
            free(secrets[i]);
        }
        json_decref(arr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_wwwauth),
        cmocka_unit_test(test_fuzz_form),
        cmocka_unit_test(test_prop_pct_roundtrip),
        cmocka_unit_test(test_prop_form_roundtrip),
        cmocka_unit_test(test_fuzz_url),
        cmocka_unit_test(test_fuzz_json),
        cmocka_unit_test(test_fuzz_b64),
        cmocka_unit_test(test_prop_b64url_roundtrip),
        cmocka_unit_test(test_fuzz_jws),
        cmocka_unit_test(test_fuzz_redact),
        cmocka_unit_test(test_prop_redact_known),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
