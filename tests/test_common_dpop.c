/* Tests for common/dpop: a proof made by ac_dpop_proof verifies, and every
 * RFC 9449 §4.3 rule (plus the MCP profile's content_digest) rejects the
 * proof that breaks it: typ, private jwk, alg allow-list, htm, htu, iat
 * window, ath, content_digest, nonce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/b64url.h"
#include "common/dpop.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"

#define NOW 1796360000
#define HTU "http://127.0.0.1:4000/mcp"
#define BODY "{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\",\"id\":1}"
#define TOKEN "at-0123456789abcdef"

static int setup(void **state)
{
    *state = ac_jwk_generate(AC_JWS_ES256, NULL);
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    ac_jwk_free(*state);
    return 0;
}

static char *make(const struct ac_jwk *k, const char *htm, const char *htu,
                  int64_t iat, const char *nonce, const char *body)
{
    struct ac_dpop_claims c = {.htm = htm,
                               .htu = htu,
                               .access_token = TOKEN,
                               .nonce = nonce,
                               .body = body,
                               .body_len = body != NULL ? strlen(body) : 0,
                               .iat = iat};
    struct ac_err err = {0};
    char *p = ac_dpop_proof(k, &c, &err);

    if (p == NULL) {
        fail_msg("ac_dpop_proof: %s", err.msg);
    }
    return p;
}

static struct ac_dpop_expect expect(void)
{
    struct ac_dpop_expect x = {.algs = AC_JWS_ES256 | AC_JWS_RS256,
                               .htm = "POST",
                               .htu = HTU,
                               .now = NOW,
                               .window = 300,
                               .ath_of = TOKEN,
                               .body = BODY,
                               .body_len = strlen(BODY),
                               .require_digest = true};
    return x;
}

static enum ac_dpop_verdict run(const char *proof,
                                const struct ac_dpop_expect *x, char *msg)
{
    struct ac_dpop_seen s;
    struct ac_err err = {0};
    enum ac_dpop_verdict v = ac_dpop_verify(proof, x, &s, &err);

    snprintf(msg, 256, "%s", err.msg);
    ac_dpop_seen_free(&s);
    return v;
}

static void test_roundtrip(void **state)
{
    char *p = make(*state, "POST", HTU, NOW, NULL, BODY);
    struct ac_dpop_expect x = expect();
    struct ac_dpop_seen s;
    struct ac_err err = {0};
    json_t *jwk = ac_jwk_export(*state, false, NULL);
    char *tp = ac_jwk_thumbprint(jwk, NULL);

    assert_int_equal(ac_dpop_verify(p, &x, &s, &err), AC_DPOP_VALID);
    assert_string_equal(s.jkt, tp); /* RFC 9449 §6.1: cnf.jkt */
    assert_int_equal(s.iat, NOW);
    assert_non_null(s.jti);
    ac_dpop_seen_free(&s);
    json_decref(jwk);
    free(tp);
    free(p);
}

/* Each mismatch is invalid_dpop_proof with the reason in the message. */
static void test_mismatches(void **state)
{
    struct {
        const char *htm, *htu;
        int64_t iat;
        const char *body;
        const char *want;
    } cases[] = {
        {"GET", HTU, NOW, BODY, "htm"},
        {"POST", HTU "x", NOW, BODY, "htu"},
        {"POST", HTU, NOW - 301, BODY, "outside"},
        {"POST", HTU, NOW + 301, BODY, "outside"},
        {"POST", HTU, NOW, "{}", "content_digest"},
        {"POST", HTU, NOW, NULL, "content_digest"},
    };
    char msg[256];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = make(*state, cases[i].htm, cases[i].htu, cases[i].iat, NULL,
                       cases[i].body);
        struct ac_dpop_expect x = expect();

        assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
        if (strstr(msg, cases[i].want) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msg, cases[i].want);
        }
        free(p);
    }
}

static void test_ath_and_alg(void **state)
{
    char *p = make(*state, "POST", HTU, NOW, NULL, BODY);
    struct ac_dpop_expect x = expect();
    char msg[256];

    x.ath_of = "another-token";
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    assert_non_null(strstr(msg, "ath"));
    x = expect();
    x.algs = AC_JWS_RS256; /* ES256 not allowed */
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    free(p);
}

static void test_nonce(void **state)
{
    char *none = make(*state, "POST", HTU, NOW, NULL, BODY);
    char *old = make(*state, "POST", HTU, NOW, "n-old", BODY);
    char *cur = make(*state, "POST", HTU, NOW, "n-cur", BODY);
    struct ac_dpop_expect x = expect();
    char msg[256];

    x.nonce = "n-cur";
    assert_int_equal(run(none, &x, msg), AC_DPOP_BAD_NONCE);
    assert_int_equal(run(old, &x, msg), AC_DPOP_BAD_NONCE);
    assert_int_equal(run(cur, &x, msg), AC_DPOP_VALID);
    free(none);
    free(old);
    free(cur);
}

/* A hand-made proof: `hdr` and `claims` signed by `k`. */
static char *forge(const struct ac_jwk *k, json_t *hdr, json_t *claims)
{
    char *p = ac_jwt_sign_with_header(k, hdr, claims, NULL);

    json_decref(hdr);
    json_decref(claims);
    assert_non_null(p);
    return p;
}

static json_t *good_claims(void)
{
    char *ath = ac_dpop_ath(TOKEN);
    char *cd = ac_dpop_content_digest(BODY, strlen(BODY));
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "jti", "j1", "htm",
                          "POST", "htu", HTU, "iat", (json_int_t)NOW, "ath",
                          ath, "content_digest", cd);
    free(ath);
    free(cd);
    return c;
}

/* A proof with the standard header carrying `jwk` and good claims,
 * signed by `signer` (not necessarily the key of `jwk`). */
static char *forge_with_jwk(const struct ac_jwk *signer, json_t *jwk)
{
    return forge(signer,
                 json_pack("{s:s, s:s, s:O}", "typ", "dpop+jwt", "alg", "ES256",
                           "jwk", jwk),
                 good_claims());
}

static void test_hostile_headers(void **state)
{
    json_t *pub = ac_jwk_export(*state, false, NULL);
    json_t *priv = ac_jwk_export(*state, true, NULL);
    struct ac_dpop_expect x = expect();
    char msg[256];
    char *p;

    /* typ must be exactly dpop+jwt. */
    p = forge(
        *state,
        json_pack("{s:s, s:s, s:O}", "typ", "JWT", "alg", "ES256", "jwk", pub),
        good_claims());
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    free(p);
    /* RFC 9449 §4.3 step 7: no private key in the header. */
    p = forge_with_jwk(*state, priv);
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    assert_non_null(strstr(msg, "private"));
    free(p);
    /* No jwk at all. */
    p = forge(*state,
              json_pack("{s:s, s:s}", "typ", "dpop+jwt", "alg", "ES256"),
              good_claims());
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    free(p);
    /* Signed by another key than the header's jwk. */
    struct ac_jwk *other = ac_jwk_generate(AC_JWS_ES256, NULL);
    p = forge_with_jwk(other, pub);
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    free(p);
    /* The same header and claims, correctly signed, pass. */
    p = forge_with_jwk(*state, pub);
    assert_int_equal(run(p, &x, msg), AC_DPOP_VALID);
    free(p);
    assert_int_equal(run("not.a.proof", &x, msg), AC_DPOP_INVALID);
    ac_jwk_free(other);
    json_decref(pub);
    json_decref(priv);
}

/* With a key cache, verdicts are those without one: the same key is
 * served from the cache (same thumbprint), a jwk that differs only outside
 * the thumbprint ("alg" of another algorithm) is still judged on its own,
 * a proof signed by another key still fails, and more keys than the cache
 * holds evict the oldest without changing any verdict. */
static void test_key_cache(void **state)
{
    struct ac_dpop_keys *keys = ac_dpop_keys_new();
    struct ac_dpop_expect x = expect();
    json_t *pub = ac_jwk_export(*state, false, NULL);
    struct ac_jwk *other = ac_jwk_generate(AC_JWS_ES256, NULL);
    struct ac_dpop_seen s1, s2;
    struct ac_err err = {0};
    char msg[256];
    char *p = make(*state, "POST", HTU, NOW, NULL, BODY);

    assert_non_null(keys);
    x.keys = keys;
    assert_int_equal(ac_dpop_verify(p, &x, &s1, &err), AC_DPOP_VALID);
    assert_int_equal(ac_dpop_verify(p, &x, &s2, &err), AC_DPOP_VALID);
    assert_string_equal(s1.jkt, s2.jkt);
    ac_dpop_seen_free(&s1);
    ac_dpop_seen_free(&s2);
    free(p);
    /* The cached key with a wrong "alg" member: refused as on first sight. */
    json_object_set_new(pub, "alg", json_string("RS256"));
    p = forge_with_jwk(*state, pub);
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    assert_non_null(strstr(msg, "alg"));
    free(p);
    /* The cached key in the header, another key's signature. */
    json_object_del(pub, "alg");
    p = forge_with_jwk(other, pub);
    assert_int_equal(run(p, &x, msg), AC_DPOP_INVALID);
    free(p);
    /* Twenty keys through a cache of eight, then the first again. */
    for (int i = 0; i < 20; i++) {
        struct ac_jwk *k = ac_jwk_generate(AC_JWS_ES256, NULL);

        p = make(k, "POST", HTU, NOW, NULL, BODY);
        assert_int_equal(run(p, &x, msg), AC_DPOP_VALID);
        free(p);
        ac_jwk_free(k);
    }
    p = make(*state, "POST", HTU, NOW, NULL, BODY);
    assert_int_equal(run(p, &x, msg), AC_DPOP_VALID);
    free(p);
    ac_jwk_free(other);
    json_decref(pub);
    ac_dpop_keys_free(keys);
}

/* The MCP profile's example format: sha-256=:<standard base64>: */
static void test_content_digest_format(void **state)
{
    char *cd = ac_dpop_content_digest("", 0);

    (void)state;
    /* SHA-256 of the empty string. */
    assert_string_equal(
        cd, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    free(cd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_ath_and_alg),
        cmocka_unit_test(test_nonce),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_content_digest_format),
        cmocka_unit_test(test_key_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
