/* Tests for common/jwk and common/jwt: RFC 7638 and RFC 7515 vectors, key
 * generation, PEM and JWK round trips, JWK Sets, signing and strict
 * verification (hostile tokens), and claim validation.
 *
 * `test_common_jwt --bench` instead prints signing and verification
 * throughput (no timed assertions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/b64url.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "tests/support/asserts.h"
#include "tests/support/env.h"

/* RFC 7638 §3.1 example key and its thumbprint. */
static const char RFC7638_N[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7"
    "aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXA"
    "rwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
    "d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
    "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char RFC7638_TP[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): public keys and tokens. */
static const char RFC7515_A2_N[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4"
    "qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2j"
    "Z47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7W"
    "TBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK"
    "-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
static const char RFC7515_A2_JWS[] =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlL"
    "mNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm"
    "4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--"
    "f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383Lc"
    "OLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUi"
    "pUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
static const char RFC7515_A3_X[] =
    "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char RFC7515_A3_Y[] =
    "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char RFC7515_A3_D[] =
    "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
static const char RFC7515_A3_JWS[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlL"
    "mNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxf"
    "KTUJqPP3-Kg6NU1Q";

#define NOW 1700000000

/* Keys are generated once per run (RSA generation takes a while). */
struct fixture {
    struct ac_jwk *rsa, *rsa2, *ec, *ec2;
};

static int group_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    f->rsa = ac_jwk_generate(AC_JWS_RS256, NULL);
    f->rsa2 = ac_jwk_generate(AC_JWS_RS256, NULL);
    f->ec = ac_jwk_generate(AC_JWS_ES256, NULL);
    f->ec2 = ac_jwk_generate(AC_JWS_ES256, NULL);
    *state = f;
    return f->rsa != NULL && f->rsa2 != NULL && f->ec != NULL && f->ec2 != NULL
               ? 0
               : -1;
}

static int group_teardown(void **state)
{
    struct fixture *f = *state;

    ac_jwk_free(f->rsa);
    ac_jwk_free(f->rsa2);
    ac_jwk_free(f->ec);
    ac_jwk_free(f->ec2);
    free(f);
    return 0;
}

/* Fail with the library's message when `ok` is false. */
#define assert_ok(ok, err)                                                     \
    do {                                                                       \
        if (!(ok)) {                                                           \
            fail_msg("%s (%s:%d)", (err).msg,                                  \
                     (err).file != NULL ? (err).file : "?", (err).line);       \
        }                                                                      \
    } while (0)

/* The error must have `code` and a message containing `part`. */
static void assert_err(const struct ac_err *err, int code, const char *part)
{
    if (err->code != code || strstr(err->msg, part) == NULL) {
        fail_msg("got %s \"%s\", want %s containing \"%s\"",
                 ac_err_code_name(err->code), err->msg, ac_err_code_name(code),
                 part);
    }
}

static json_t *sample_claims(void)
{
    return json_pack("{s:s, s:s, s:[s, s], s:I, s:I, s:s}", "iss",
                     "https://as.example", "sub", "client-1", "aud",
                     "https://mcp.example/mcp", "https://other.example", "iat",
                     (json_int_t)NOW, "exp", (json_int_t)NOW + 300, "jti",
                     "id-1");
}

/* --- vectors ------------------------------------------------------------- */

static void test_rfc7638_thumbprint(void **state)
{
    struct ac_err err = {0};
    json_t *jwk =
        json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", RFC7638_N, "e", "AQAB");
    struct ac_jwk *key;
    char *tp;

    (void)state;
    tp = ac_jwk_thumbprint(jwk, &err);
    assert_ok(tp != NULL, err);
    assert_string_equal(tp, RFC7638_TP);
    free(tp);
    /* Without a "kid" the imported key is named by its thumbprint... */
    key = ac_jwk_import(jwk, &err);
    assert_ok(key != NULL, err);
    assert_string_equal(ac_jwk_kid(key), RFC7638_TP);
    assert_false(ac_jwk_has_private(key));
    ac_jwk_free(key);
    /* ...optional members do not change the thumbprint, and a given kid
     * is kept (RFC 7638 §3.1 has "alg" and "kid" in its example). */
    json_object_set_new(jwk, "kid", json_string("2011-04-29"));
    json_object_set_new(jwk, "alg", json_string("RS256"));
    tp = ac_jwk_thumbprint(jwk, &err);
    assert_string_equal(tp, RFC7638_TP);
    free(tp);
    key = ac_jwk_import(jwk, &err);
    assert_ok(key != NULL, err);
    assert_string_equal(ac_jwk_kid(key), "2011-04-29");
    ac_jwk_free(key);
    json_object_del(jwk, "e");
    assert_null(ac_jwk_thumbprint(jwk, &err));
    assert_err(&err, AC_ERR_INVALID, "missing");
    json_decref(jwk);
}

static void test_rfc7515_examples(void **state)
{
    struct ac_err err = {0};
    json_t *rsa = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", RFC7515_A2_N,
                            "e", "AQAB");
    json_t *ec = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256",
                           "x", RFC7515_A3_X, "y", RFC7515_A3_Y);
    json_t *doc = json_pack("{s:[O, O]}", "keys", rsa, ec);
    struct ac_jwk *krsa = ac_jwk_import(rsa, &err);
    struct ac_jwk *kec = ac_jwk_import(ec, &err);
    struct ac_jwks *set = ac_jwks_import(doc, NULL, &err);
    struct ac_jws_verify_params p = {.algs = AC_JWS_RS256 | AC_JWS_ES256,
                                     .key = krsa};
    json_t *claims;

    (void)state;
    assert_non_null(krsa);
    assert_non_null(kec);
    assert_non_null(set);
    claims = ac_jwt_verify(RFC7515_A2_JWS, &p, NULL, &err);
    assert_ok(claims != NULL, err);
    assert_string_equal(ac_json_str(claims, "iss"), "joe");
    json_decref(claims);
    p.key = kec;
    claims = ac_jwt_verify(RFC7515_A3_JWS, &p, NULL, &err);
    assert_ok(claims != NULL, err);
    assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
                     1300819380);
    json_decref(claims);
    /* No kid in the header: the JWKS key that fits the alg is used. */
    p.key = NULL;
    p.jwks = set;
    claims = ac_jwt_verify(RFC7515_A2_JWS, &p, NULL, &err);
    assert_ok(claims != NULL, err);
    json_decref(claims);
    claims = ac_jwt_verify(RFC7515_A3_JWS, &p, NULL, &err);
    assert_ok(claims != NULL, err);
    json_decref(claims);
    /* The RFC's key with the wrong alg. */
    p.jwks = NULL;
    p.key = kec;
    assert_null(ac_jwt_verify(RFC7515_A2_JWS, &p, NULL, &err));
    assert_err(&err, AC_ERR_INVALID, "does not fit");
    ac_jwks_free(set);
    ac_jwk_free(krsa);
    ac_jwk_free(kec);
    json_decref(rsa);
    json_decref(ec);
    json_decref(doc);
}

/* --- round trips --------------------------------------------------------- */

static void roundtrip(const struct ac_jwk *key, const char *alg)
{
    struct ac_err err = {0};
    json_t *claims = sample_claims(), *got = NULL, *header = NULL;
    json_t *pubjwks = NULL;
    struct ac_jwks *mine = ac_jwks_new(), *theirs = NULL;
    struct ac_jws_verify_params p = {.algs = AC_JWS_RS256 | AC_JWS_ES256,
                                     .typ = "at+jwt"};
    char *tok = ac_jwt_sign(key, "at+jwt", claims, &err);

    assert_ok(tok != NULL, err);
    /* The JWKS a jwks_uri would serve, as a verifier would fetch it. */
    assert_true(ac_jwks_add(mine, key, &err));
    pubjwks = ac_jwks_export(mine, &err);
    assert_non_null(pubjwks);
    assert_null(json_object_get(
        json_array_get(json_object_get(pubjwks, "keys"), 0), "d"));
    theirs = ac_jwks_import(pubjwks, NULL, &err);
    assert_ok(theirs != NULL, err);
    p.jwks = theirs;
    got = ac_jwt_verify(tok, &p, &header, &err);
    assert_ok(got != NULL, err);
    assert_true(json_equal(got, claims));
    assert_string_equal(ac_json_str(header, "alg"), alg);
    assert_string_equal(ac_json_str(header, "typ"), "at+jwt");
    assert_string_equal(ac_json_str(header, "kid"), ac_jwk_kid(key));
    assert_int_equal(json_object_size(header), 3);
    /* RFC 9068 §4: "application/at+jwt" is the same type. */
    p.typ = "application/AT+JWT";
    json_decref(got);
    got = ac_jwt_verify(tok, &p, NULL, &err);
    assert_ok(got != NULL, err);
    json_decref(got);
    json_decref(header);
    json_decref(claims);
    json_decref(pubjwks);
    ac_jwks_free(mine);
    ac_jwks_free(theirs);
    free(tok);
}

static void test_roundtrip_rs256(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ac_jwk_alg(f->rsa), AC_JWS_RS256);
    assert_true(ac_jwk_has_private(f->rsa));
    roundtrip(f->rsa, "RS256");
}

static void test_roundtrip_es256(void **state)
{
    struct fixture *f = *state;
    struct ac_err err = {0};
    char *tok = ac_jws_sign(f->ec, NULL, "x", 1, &err);
    const char *sig;
    uint8_t *raw = NULL;
    size_t len = 0;

    assert_int_equal(ac_jwk_alg(f->ec), AC_JWS_ES256);
    roundtrip(f->ec, "ES256");
    /* RFC 7518 §3.4: the signature is R||S, 64 octets, not DER. */
    assert_non_null(tok);
    sig = strrchr(tok, '.') + 1;
    assert_true(ac_b64url_decode(sig, strlen(sig), &raw, &len, &err));
    assert_int_equal(len, 64);
    free(raw);
    free(tok);
}

static void test_private_jwk_import(void **state)
{
    struct fixture *f = *state;
    const struct ac_jwk *keys[] = {f->rsa, f->ec};
    size_t i;

    for (i = 0; i < 2; i++) {
        struct ac_err err = {0};
        json_t *priv = ac_jwk_export(keys[i], true, &err);
        json_t *pub = ac_jwk_export(keys[i], false, &err);
        struct ac_jwk *kpriv = ac_jwk_import(priv, &err);
        struct ac_jwk *kpub = ac_jwk_import(pub, &err);
        struct ac_jws_verify_params p = {.algs = ac_jwk_alg(keys[i]),
                                         .key = kpub};
        json_t *claims = sample_claims(), *got;
        char *tok;

        assert_non_null(json_object_get(priv, "d"));
        assert_null(json_object_get(pub, "d"));
        assert_ok(kpriv != NULL && kpub != NULL, err);
        assert_true(ac_jwk_has_private(kpriv));
        assert_false(ac_jwk_has_private(kpub));
        assert_string_equal(ac_jwk_kid(kpriv), ac_jwk_kid(keys[i]));
        /* Sign with the imported private JWK, verify with the public. */
        tok = ac_jwt_sign(kpriv, "JWT", claims, &err);
        assert_ok(tok != NULL, err);
        got = ac_jwt_verify(tok, &p, NULL, &err);
        assert_ok(got != NULL, err);
        assert_true(json_equal(got, claims));
        /* A public key cannot sign. */
        assert_null(ac_jwt_sign(kpub, "JWT", claims, &err));
        assert_err(&err, AC_ERR_USAGE, "no private part");
        assert_null(ac_jwk_export(kpub, true, &err));
        json_decref(got);
        json_decref(claims);
        json_decref(priv);
        json_decref(pub);
        ac_jwk_free(kpriv);
        ac_jwk_free(kpub);
        free(tok);
    }
}

static void test_rfc7515_private_ec(void **state)
{
    struct ac_err err = {0};
    json_t *jwk =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
                  RFC7515_A3_X, "y", RFC7515_A3_Y, "d", RFC7515_A3_D);
    struct ac_jwk *key = ac_jwk_import(jwk, &err);
    json_t *back;

    (void)state;
    assert_ok(key != NULL, err);
    back = ac_jwk_export(key, true, &err);
    assert_string_equal(ac_json_str(back, "x"), RFC7515_A3_X);
    assert_string_equal(ac_json_str(back, "y"), RFC7515_A3_Y);
    assert_string_equal(ac_json_str(back, "d"), RFC7515_A3_D);
    json_decref(back);
    ac_jwk_free(key);
    json_decref(jwk);
}

/* --- bad JWKs ------------------------------------------------------------ */

static void test_jwk_import_rejects(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *kty;
        const char *member; /* replaced (or deleted when value NULL) */
        const char *value;
        const char *msg_part;
    } vec[] = {
        {"EC", "crv", "P-384", "unsupported EC curve"},
        {"EC", "x", "AAAA", "must be 32 octets"},
        {"EC", "x",
         "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=", "JWK member \"x\""},
        {"EC", "y", NULL, "must be 32 octets"},
        {"EC", "y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4",
         "does not form a key"},
        {"EC", "use", "enc", "\"use\""},
        {"EC", "alg", "RS256", "does not fit"},
        {"EC", "kty", "oct", "unsupported kty"},
        {"EC", "kty", NULL, "kty"},
        {"EC", "d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
         "does not match"},
        {"RSA", "e", NULL, "lacks \"e\""},
        {"RSA", "n", "AQAB", "RFC 7518 §3.3"},
        {"RSA", "qi", NULL, "some but not all"},
        {"RSA", "oth", "x", "multi-prime"},
        {"RSA", "kid", "", "kid"},
    };
    size_t i;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        struct ac_err err = {0};
        bool ec = strcmp(vec[i].kty, "EC") == 0;
        json_t *jwk = ac_jwk_export(ec ? f->ec : f->rsa, true, &err);
        struct ac_jwk *key;

        if (vec[i].value == NULL) {
            json_object_del(jwk, vec[i].member);
        } else {
            json_object_set_new(jwk, vec[i].member, json_string(vec[i].value));
        }
        if (ec && strcmp(vec[i].member, "y") == 0 && vec[i].value != NULL) {
            /* Point off the curve: the RFC 7515 A.3 point with y's low
             * bits changed. */
            json_object_set_new(jwk, "x", json_string(RFC7515_A3_X));
            json_object_del(jwk, "d");
        }
        key = ac_jwk_import(jwk, &err);
        if (key != NULL) {
            fail_msg("vector %zu (%s %s) accepted", i, vec[i].kty,
                     vec[i].member);
        }
        assert_err(&err, AC_ERR_INVALID, vec[i].msg_part);
        json_decref(jwk);
    }
}

static void test_small_rsa_refused(void **state)
{
    struct ac_err err = {0};
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;

    (void)state;
    assert_non_null(pkey);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
    n = BIO_get_mem_data(bio, &data);
    assert_null(ac_jwk_from_pem(data, (size_t)n, &err));
    assert_err(&err, AC_ERR_INVALID, "RFC 7518 §3.3");
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    assert_null(ac_jwk_from_pem("not a pem", 9, &err));
    assert_err(&err, AC_ERR_INVALID, "no unencrypted private key");
}

/* --- PEM ----------------------------------------------------------------- */

static void test_pem_files(void **state)
{
    struct fixture *f = *state;
    const struct ac_jwk *keys[] = {f->rsa, f->ec};
    char dir[1024], *priv = NULL, *pub = NULL;
    struct stat st;
    size_t i;

    assert_true(ts_mkdtemp(dir, sizeof(dir), "jwt"));
    assert_int_cmp(asprintf(&priv, "%s/key.pem", dir), >, 0);
    assert_int_cmp(asprintf(&pub, "%s/pub.pem", dir), >, 0);
    for (i = 0; i < 2; i++) {
        struct ac_err err = {0};
        struct ac_jwk *kpriv, *kpub;
        char *tok;

        assert_ok(ac_jwk_save_pem_file(keys[i], priv, true, &err), err);
        assert_ok(ac_jwk_save_pem_file(keys[i], pub, false, &err), err);
        assert_int_equal(stat(priv, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        kpriv = ac_jwk_load_pem_file(priv, &err);
        kpub = ac_jwk_load_pem_file(pub, &err);
        assert_ok(kpriv != NULL && kpub != NULL, err);
        assert_true(ac_jwk_has_private(kpriv));
        assert_false(ac_jwk_has_private(kpub));
        assert_string_equal(ac_jwk_kid(kpriv), ac_jwk_kid(keys[i]));
        assert_string_equal(ac_jwk_kid(kpub), ac_jwk_kid(keys[i]));
        tok = ac_jws_sign(kpriv, "JWT", "{}", 2, &err);
        assert_ok(tok != NULL, err);
        {
            struct ac_jws_verify_params p = {.algs = ac_jwk_alg(kpub),
                                             .key = kpub};
            json_t *c = ac_jwt_verify(tok, &p, NULL, &err);
            assert_ok(c != NULL, err);
            json_decref(c);
        }
        assert_null(ac_jwk_to_pem(kpub, true, &err));
        assert_err(&err, AC_ERR_USAGE, "no private part");
        free(tok);
        ac_jwk_free(kpriv);
        ac_jwk_free(kpub);
    }
    {
        struct ac_err err = {0};
        assert_null(ac_jwk_load_pem_file("/nonexistent/key.pem", &err));
        assert_int_equal(err.code, AC_ERR_IO);
    }
    unlink(priv);
    unlink(pub);
    rmdir(dir);
    free(priv);
    free(pub);
}

/* --- JWK Sets ------------------------------------------------------------ */

static void test_jwks(void **state)
{
    struct fixture *f = *state;
    struct ac_err err = {0};
    struct ac_jwks *set = ac_jwks_new(), *back;
    json_t *doc, *keys;
    struct ac_jwk *renamed = ac_jwk_dup(f->ec);
    size_t skipped = 99;

    assert_true(ac_jwks_add(set, f->rsa, &err));
    assert_true(ac_jwks_add(set, f->ec, &err));
    assert_false(ac_jwks_add(set, f->ec, &err));
    assert_err(&err, AC_ERR_INVALID, "already has kid");
    assert_true(ac_jwk_set_kid(renamed, "ec-2", &err));
    assert_true(ac_jwks_add(set, renamed, &err));
    ac_jwk_free(renamed);
    assert_int_equal(ac_jwks_count(set), 3);
    assert_ptr_equal(ac_jwks_find(set, ac_jwk_kid(f->rsa)),
                     ac_jwks_get(set, 0));
    assert_string_equal(ac_jwk_kid(ac_jwks_find(set, "ec-2")), "ec-2");
    assert_null(ac_jwks_find(set, "nope"));
    assert_null(ac_jwks_get(set, 3));
    doc = ac_jwks_export(set, &err);
    keys = json_object_get(doc, "keys");
    assert_int_equal(json_array_size(keys), 3);
    /* Keys a verifier cannot use are skipped (RFC 7517 §5), not fatal. */
    json_array_append_new(keys, json_pack("{s:s, s:s}", "kty", "oct", "k",
                                          "AyM1SysPpbyDfgZld3umj1qzKObwVMko"));
    json_array_append_new(keys, json_string("not a key"));
    back = ac_jwks_import(doc, &skipped, &err);
    assert_ok(back != NULL, err);
    assert_int_equal(ac_jwks_count(back), 3);
    assert_int_equal(skipped, 2);
    assert_false(ac_jwk_has_private(ac_jwks_get(back, 0)));
    ac_jwks_free(back);
    json_decref(doc);
    doc = json_pack("{s:{}}", "keys");
    assert_null(ac_jwks_import(doc, NULL, &err));
    assert_err(&err, AC_ERR_INVALID, "\"keys\" array");
    json_decref(doc);
    ac_jwks_free(set);
    ac_jwks_free(NULL);
    ac_jwk_free(NULL);
}

/* --- hostile tokens ------------------------------------------------------ */

static char *b64(const char *s)
{
    return ac_b64url_encode(s, strlen(s));
}

/* header and payload JSON texts (base64url-encoded here) and a raw
 * signature part. */
static char *forge(const char *header, const char *payload, const char *sig)
{
    char *h = b64(header), *p = b64(payload), *tok = NULL;

    assert_int_cmp(asprintf(&tok, "%s.%s.%s", h, p, sig), >, 0);
    free(h);
    free(p);
    return tok;
}

/* Replace the part `idx` (0..2) of `tok` with `part`. */
static char *with_part(const char *tok, int idx, const char *part)
{
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    char *out = NULL;

    if (idx == 0) {
        assert_int_cmp(asprintf(&out, "%s%s", part, d1), >, 0);
    } else if (idx == 1) {
        assert_int_cmp(
            asprintf(&out, "%.*s.%s%s", (int)(d1 - tok), tok, part, d2), >, 0);
    } else {
        assert_int_cmp(asprintf(&out, "%.*s.%s", (int)(d2 - tok), tok, part), >,
                       0);
    }
    return out;
}

static void expect_reject(const char *tok, const struct ac_jws_verify_params *p,
                          int code, const char *part)
{
    struct ac_err err = {0};
    json_t *header = NULL;
    json_t *claims = ac_jwt_verify(tok, p, &header, &err);

    if (claims != NULL) {
        fail_msg("accepted %s", tok);
    }
    assert_null(header);
    assert_err(&err, code, part);
}

static void test_verify_rejects(void **state)
{
    struct fixture *f = *state;
    struct ac_err err = {0};
    json_t *claims = sample_claims();
    char *rs = ac_jwt_sign(f->rsa, "at+jwt", claims, &err);
    char *es = ac_jwt_sign(f->ec, "at+jwt", claims, &err);
    struct ac_jwks *set = ac_jwks_new(), *other = ac_jwks_new();
    struct ac_jws_verify_params p = {.algs = AC_JWS_RS256 | AC_JWS_ES256,
                                     .jwks = set};
    char *t, *s, *big;

    assert_non_null(rs);
    assert_non_null(es);
    assert_true(ac_jwks_add(set, f->rsa, &err));
    assert_true(ac_jwks_add(set, f->ec, &err));
    assert_true(ac_jwks_add(other, f->rsa2, &err));

    /* Tampered payload: a different claims set under the old signature. */
    s = b64("{\"iss\":\"https://as.example\",\"sub\":\"admin\"}");
    t = with_part(rs, 1, s);
    expect_reject(t, &p, AC_ERR_INVALID, "signature does not verify");
    free(t);
    t = with_part(es, 1, s);
    expect_reject(t, &p, AC_ERR_INVALID, "signature does not verify");
    free(t);
    free(s);
    /* Tampered signature: one character in the middle flipped. */
    t = strdup(rs);
    s = strrchr(t, '.') + 10;
    *s = *s == 'A' ? 'B' : 'A';
    expect_reject(t, &p, AC_ERR_INVALID, "signature does not verify");
    free(t);
    t = strdup(es);
    s = strrchr(t, '.') + 10;
    *s = *s == 'A' ? 'B' : 'A';
    expect_reject(t, &p, AC_ERR_INVALID, "signature does not verify");
    free(t);
    /* Wrong key: a JWKS and a key that did not sign. */
    p.key = f->rsa2;
    p.jwks = NULL;
    expect_reject(rs, &p, AC_ERR_INVALID, "signature does not verify");
    p.key = f->ec2;
    expect_reject(es, &p, AC_ERR_INVALID, "signature does not verify");
    p.key = NULL;
    p.jwks = other;
    expect_reject(rs, &p, AC_ERR_INVALID, "not found in the JWKS");
    expect_reject(es, &p, AC_ERR_INVALID, "not found in the JWKS");
    /* No kid in the header and no key of the alg's type. */
    expect_reject(RFC7515_A3_JWS, &p, AC_ERR_INVALID, "no ES256 key");
    p.jwks = set;

    /* alg "none", with and without a signature part. */
    t = forge("{\"alg\":\"none\"}", "{\"sub\":\"x\"}", "");
    expect_reject(t, &p, AC_ERR_INVALID, "alg \"none\" not allowed");
    free(t);
    t = forge("{\"alg\":\"None\",\"kid\":\"x\"}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "not allowed");
    free(t);
    /* HS256 "signed" with the public key as secret: never. */
    t = forge("{\"alg\":\"HS256\"}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "HMAC");
    free(t);
    t = forge("{\"alg\":\"PS256\"}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "not supported");
    free(t);
    /* alg not in the caller's allow-list. */
    p.algs = AC_JWS_RS256;
    expect_reject(es, &p, AC_ERR_INVALID, "alg \"ES256\" not allowed");
    p.algs = AC_JWS_RS256 | AC_JWS_ES256;
    /* kid not found. */
    t = forge("{\"alg\":\"RS256\",\"kid\":\"unknown\"}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "kid \"unknown\" not found");
    free(t);
    /* A kid that exists, but for the other key type. */
    s = NULL;
    assert_int_cmp(
        asprintf(&s, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", ac_jwk_kid(f->ec)),
        >, 0);
    t = forge(s, "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "for this alg");
    free(t);
    free(s);
    /* typ required but different. */
    p.typ = "at+jwt";
    t = ac_jwt_sign(f->rsa, "JWT", claims, &err);
    expect_reject(t, &p, AC_ERR_INVALID, "typ \"JWT\" is not \"at+jwt\"");
    free(t);
    t = ac_jwt_sign(f->rsa, NULL, claims, &err);
    expect_reject(t, &p, AC_ERR_INVALID, "typ (none)");
    free(t);
    p.typ = NULL;

    /* Malformed: part counts, base64url, JSON, duplicates, crit. */
    expect_reject("abc.def", &p, AC_ERR_INVALID, "three");
    expect_reject("a.b.c.d", &p, AC_ERR_INVALID, "three");
    expect_reject("", &p, AC_ERR_INVALID, "three");
    expect_reject(".e30.AAAA", &p, AC_ERR_INVALID, "header is empty");
    expect_reject(NULL, &p, AC_ERR_INVALID, "no token");
    t = with_part(rs, 0, "eyJhbGciOiJSUzI1NiJ9=");
    expect_reject(t, &p, AC_ERR_INVALID, "JWS header");
    free(t);
    t = with_part(rs, 0, "eyJhbGciOi*SUzI1NiJ9");
    expect_reject(t, &p, AC_ERR_INVALID, "JWS header");
    free(t);
    t = with_part(rs, 2, "AA+A");
    expect_reject(t, &p, AC_ERR_INVALID, "JWS signature");
    free(t);
    t = with_part(rs, 1, "e30*");
    /* The payload part is signed, so a bad one fails the signature first. */
    expect_reject(t, &p, AC_ERR_INVALID, "signature does not verify");
    free(t);
    t = forge("alg=RS256", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "header is not a JSON object");
    free(t);
    t = forge("[\"RS256\"]", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "header is not a JSON object");
    free(t);
    t = forge("{\"alg\":\"RS256\",\"alg\":\"none\"}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "duplicate");
    free(t);
    t = forge("{\"alg\":\"RS256\",\"crit\":[\"b64\"],\"b64\":false}", "{}",
              "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "crit");
    free(t);
    t = forge("{\"alg\":7}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "no \"alg\" string");
    free(t);
    t = forge("{\"alg\":\"RS256\",\"kid\":7}", "{}", "AAAA");
    expect_reject(t, &p, AC_ERR_INVALID, "\"kid\" is not a string");
    free(t);
    /* ES256 signatures are exactly 64 octets; a DER one is refused. */
    t = forge("{\"alg\":\"ES256\"}", "{}", "MEUCIQ");
    expect_reject(t, &p, AC_ERR_INVALID, "not R||S");
    free(t);
    /* 84 'A's: 63 octets. */
    s = calloc(1, 85);
    memset(s, 'A', 84);
    t = with_part(es, 2, s);
    expect_reject(t, &p, AC_ERR_INVALID, "not R||S");
    free(t);
    free(s);
    /* Signature fine but the payload is not a JSON object: sign "[1]". */
    t = ac_jws_sign(f->rsa, NULL, "[1]", 3, &err);
    expect_reject(t, &p, AC_ERR_INVALID, "claims are not a JSON object");
    free(t);
    t = ac_jws_sign(f->rsa, NULL, "{\"a\":1,\"a\":2}", 13, &err);
    expect_reject(t, &p, AC_ERR_INVALID, "duplicate");
    free(t);
    /* Oversized. */
    big = malloc(70000);
    memset(big, 'A', 69999);
    big[69999] = '\0';
    big[10] = '.';
    big[20] = '.';
    expect_reject(big, &p, AC_ERR_TOOBIG, "over");
    free(big);
    /* Usage: exactly one of key and jwks. */
    p.key = f->rsa;
    expect_reject(rs, &p, AC_ERR_USAGE, "exactly one");

    json_decref(claims);
    ac_jwks_free(set);
    ac_jwks_free(other);
    free(rs);
    free(es);
}

static void test_peek_unverified(void **state)
{
    struct fixture *f = *state;
    struct ac_err err = {0};
    json_t *claims = sample_claims(), *h = NULL, *c = NULL;
    char *tok = ac_jwt_sign(f->ec, "JWT", claims, &err);

    assert_true(ac_jwt_peek_unverified(tok, &h, &c, &err));
    assert_string_equal(ac_json_str(c, "sub"), "client-1");
    assert_string_equal(ac_json_str(h, "kid"), ac_jwk_kid(f->ec));
    json_decref(h);
    json_decref(c);
    assert_false(ac_jwt_peek_unverified("x.y", &h, &c, &err));
    assert_false(ac_jwt_peek_unverified("e30.W10.x", &h, &c, &err));
    assert_err(&err, AC_ERR_INVALID, "payload");
    json_decref(claims);
    free(tok);
}

/* --- claims -------------------------------------------------------------- */

static void test_claims(void **state)
{
    static const char *const req_jti[] = {"jti", NULL};
    static const char *const req_cnf[] = {"sub", "cnf", NULL};
    static const struct {
        const char *claims; /* JSON */
        const char *iss, *aud;
        int64_t now, leeway;
        bool require_exp;
        const char *const *required;
        const char *msg_part; /* NULL: valid */
    } vec[] = {
        {"{\"iss\":\"A\",\"aud\":\"R\",\"exp\":1000,\"nbf\":900,\"iat\":900}",
         "A", "R", 950, 0, true, req_jti, "required claim \"jti\""},
        {"{\"iss\":\"A\",\"aud\":\"R\",\"exp\":1000,\"nbf\":900,\"iat\":900,"
         "\"jti\":\"j\"}",
         "A", "R", 950, 0, true, req_jti, NULL},
        {"{\"exp\":1000}", NULL, NULL, 1000, 0, false, NULL,
         "token expired at 1970-01-01T00:16:40Z"},
        {"{\"exp\":1000}", NULL, NULL, 1029, 30, false, NULL, NULL},
        {"{\"exp\":1000}", NULL, NULL, 1030, 30, false, NULL, "expired"},
        {"{\"exp\":1000.5}", NULL, NULL, 1000, 0, false, NULL, NULL},
        {"{\"exp\":\"1000\"}", NULL, NULL, 1, 0, false, NULL,
         "not a NumericDate"},
        {"{\"exp\":1e300}", NULL, NULL, 1, 0, false, NULL, NULL},
        {"{}", NULL, NULL, 1, 0, true, NULL, "no \"exp\""},
        {"{\"nbf\":1000}", NULL, NULL, 999, 0, false, NULL, "not valid before"},
        {"{\"nbf\":1000}", NULL, NULL, 1000, 0, false, NULL, NULL},
        {"{\"nbf\":1000}", NULL, NULL, 990, 10, false, NULL, NULL},
        {"{\"iat\":1000}", NULL, NULL, 900, 60, false, NULL,
         "issued in the future"},
        {"{\"iat\":1000}", NULL, NULL, 950, 60, false, NULL, NULL},
        {"{\"iss\":\"https://as.example\"}", "https://as.example/", NULL, 1, 0,
         false, NULL, "not \"https://as.example/\""},
        {"{\"iss\":\"https://AS.example\"}", "https://as.example", NULL, 1, 0,
         false, NULL, "\"iss\" is"},
        {"{}", "A", NULL, 1, 0, false, NULL, "no \"iss\""},
        {"{\"aud\":\"R\"}", NULL, "S", 1, 0, false, NULL,
         "does not include \"S\""},
        {"{\"aud\":[\"Q\",\"R\"]}", NULL, "R", 1, 0, false, NULL, NULL},
        {"{\"aud\":[\"Q\",\"R\"]}", NULL, "S", 1, 0, false, NULL,
         "does not include"},
        {"{\"aud\":[]}", NULL, "S", 1, 0, false, NULL, "does not include"},
        {"{\"aud\":[\"R\",7]}", NULL, "R", 1, 0, false, NULL, "non-string"},
        {"{\"aud\":7}", NULL, "R", 1, 0, false, NULL, "neither"},
        {"{}", NULL, "R", 1, 0, false, NULL, "no \"aud\""},
        {"{\"sub\":\"s\"}", NULL, NULL, 1, 0, false, req_cnf,
         "required claim \"cnf\""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        struct ac_err err = {0};
        json_t *c = ac_json_parse(vec[i].claims, strlen(vec[i].claims), &err);
        struct ac_jwt_claims_params p = {.iss = vec[i].iss,
                                         .aud = vec[i].aud,
                                         .now = vec[i].now,
                                         .leeway = vec[i].leeway,
                                         .require_exp = vec[i].require_exp,
                                         .required = vec[i].required};
        bool ok;

        assert_non_null(c);
        ok = ac_jwt_validate_claims(c, &p, &err);
        if (vec[i].msg_part == NULL && !ok) {
            fail_msg("vector %zu %s rejected: %s", i, vec[i].claims, err.msg);
        }
        if (vec[i].msg_part != NULL) {
            if (ok) {
                fail_msg("vector %zu %s accepted", i, vec[i].claims);
            }
            assert_err(&err, AC_ERR_INVALID, vec[i].msg_part);
        }
        json_decref(c);
    }
}

/* --- benchmark (--bench) ------------------------------------------------- */

struct bench_arg {
    const struct ac_jwk *key;
    const char *tok; /* verify this when set, else sign */
    int n;
    int failures;
};

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *bench_worker(void *p)
{
    struct bench_arg *a = p;
    json_t *claims = sample_claims();
    struct ac_jws_verify_params vp = {.algs = ac_jwk_alg(a->key),
                                      .key = a->key};
    int i;

    for (i = 0; i < a->n; i++) {
        if (a->tok != NULL) {
            json_t *c = ac_jwt_verify(a->tok, &vp, NULL, NULL);
            a->failures += c == NULL;
            json_decref(c);
        } else {
            char *t = ac_jwt_sign(a->key, "at+jwt", claims, NULL);
            a->failures += t == NULL;
            free(t);
        }
    }
    json_decref(claims);
    return NULL;
}

/* Run `threads` workers of `n` operations each; print operations/s. */
static int bench_one(const char *label, const struct ac_jwk *key,
                     const char *tok, int threads, int n)
{
    struct bench_arg args[8];
    pthread_t tid[8];
    double t0 = mono_s(), dt;
    int i, failures = 0;

    for (i = 0; i < threads; i++) {
        args[i] = (struct bench_arg){.key = key, .tok = tok, .n = n};
        pthread_create(&tid[i], NULL, bench_worker, &args[i]);
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        failures += args[i].failures;
    }
    dt = mono_s() - t0;
    printf("%-28s %d thread(s) %6d ops %7.3f s %9.0f ops/s%s\n", label, threads,
           threads * n, dt, threads * n / dt,
           failures != 0 ? "  FAILURES" : "");
    return failures;
}

static int bench(void)
{
    struct ac_jwk *rsa = ac_jwk_generate(AC_JWS_RS256, NULL);
    struct ac_jwk *ec = ac_jwk_generate(AC_JWS_ES256, NULL);
    json_t *claims = sample_claims();
    char *rtok = ac_jwt_sign(rsa, "at+jwt", claims, NULL);
    char *etok = ac_jwt_sign(ec, "at+jwt", claims, NULL);
    int bad = 0;

    bad += bench_one("RS256 sign", rsa, NULL, 1, 2000);
    bad += bench_one("RS256 sign", rsa, NULL, 2, 2000);
    bad += bench_one("ES256 sign", ec, NULL, 1, 5000);
    bad += bench_one("ES256 sign", ec, NULL, 2, 5000);
    bad += bench_one("RS256 verify", rsa, rtok, 1, 10000);
    bad += bench_one("RS256 verify", rsa, rtok, 2, 10000);
    bad += bench_one("ES256 verify", ec, etok, 1, 5000);
    bad += bench_one("ES256 verify", ec, etok, 2, 5000);
    free(rtok);
    free(etok);
    json_decref(claims);
    ac_jwk_free(rsa);
    ac_jwk_free(ec);
    return bad != 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_rfc7515_examples),
        cmocka_unit_test(test_roundtrip_rs256),
        cmocka_unit_test(test_roundtrip_es256),
        cmocka_unit_test(test_private_jwk_import),
        cmocka_unit_test(test_rfc7515_private_ec),
        cmocka_unit_test(test_jwk_import_rejects),
        cmocka_unit_test(test_small_rsa_refused),
        cmocka_unit_test(test_pem_files),
        cmocka_unit_test(test_jwks),
        cmocka_unit_test(test_verify_rejects),
        cmocka_unit_test(test_peek_unverified),
        cmocka_unit_test(test_claims),
    };

    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        return bench();
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
