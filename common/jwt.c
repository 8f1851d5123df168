/* JWS compact serialization and JWTs: owns signing (RS256, ES256), strict
 * parsing and verification of compact tokens against an allow-list of
 * algorithms and a key or JWK Set, and validation of registered claims.
 * Keys come from common/jwk: they are parsed once and shared, so a
 * signature costs one EVP_MD_CTX and the private-key operation. */
#include "common/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/b64url.h"
#include "common/json.h"

/* Tokens we parse are capped: access tokens and client assertions are a
 * few KiB at most, and a hostile peer must not make us decode megabytes. */
#define JWS_MAX_LEN (64u * 1024u)
/* Largest signature: RSA-8192 (common/jwk.c's cap). */
#define SIG_MAX 1024
/* ES256: R and S are 32 octets each (RFC 7518 §3.4). */
#define ES256_HALF 32
#define ES256_LEN (2 * ES256_HALF)
/* A DER ECDSA-Sig-Value for P-256 fits in 72 octets. */
#define ECDSA_DER_MAX 80
/* Unpadded base64url length of n octets. */
#define B64_LEN(n) (((n)*4 + 2) / 3)

#define OSSL_FAIL(err, what)                                                   \
    ossl_fail((err), __func__, __FILE__, __LINE__, (what))

/* Record an OpenSSL failure with its newest queued reason and empty the
 * thread's queue so it cannot leak into a later, unrelated call. */
static void ossl_fail(struct ac_err *err, const char *func, const char *file,
                      int line, const char *what)
{
    char detail[160] = "no detail from OpenSSL";
    unsigned long e = ERR_peek_last_error();

    if (e != 0) {
        ERR_error_string_n(e, detail, sizeof(detail));
    }
    ERR_clear_error();
    ac_err_set(err, AC_ERR_CRYPTO, func, file, line, "%s: %s", what, detail);
}

/* --- signing ------------------------------------------------------------- */

/* RFC 7518 §3.4: the JWS signature is R || S, each left-padded to 32
 * octets, where OpenSSL produces a DER ECDSA-Sig-Value (SEC 1 / RFC 3279). */
static bool ecdsa_der_to_raw(const uint8_t *der, size_t len,
                             uint8_t raw[ES256_LEN], struct ac_err *err)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r = NULL, *s = NULL;
    bool ok = false;

    if (sig == NULL) {
        OSSL_FAIL(err, "decoding an ECDSA signature");
        goto out;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, raw, ES256_HALF) != ES256_HALF ||
        BN_bn2binpad(s, raw + ES256_HALF, ES256_HALF) != ES256_HALF) {
        OSSL_FAIL(err, "ECDSA signature does not fit P-256");
        goto out;
    }
    ok = true;
out:
    ECDSA_SIG_free(sig);
    return ok;
}

/* Sign `n` bytes with SHA-256 and the key's scheme into sig (SIG_MAX). */
static bool sign_bytes(const struct ac_jwk *key, const char *in, size_t n,
                       uint8_t *sig, size_t *siglen, struct ac_err *err)
{
    uint8_t der[ECDSA_DER_MAX];
    bool es = ac_jwk_alg(key) == AC_JWS_ES256;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len = es ? sizeof(der) : SIG_MAX;
    bool ok = false;

    /* RSA keys default to PKCS #1 v1.5 padding: RS256 (RFC 7518 §3.3). */
    if (md == NULL ||
        EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ac_jwk_pkey(key),
                              NULL) != 1 ||
        EVP_DigestSign(md, es ? der : sig, &len, (const uint8_t *)in, n) != 1) {
        OSSL_FAIL(err, "signing");
        goto out;
    }
    if (es) {
        ok = ecdsa_der_to_raw(der, len, sig, err);
        *siglen = ES256_LEN;
    } else {
        *siglen = len;
        ok = true;
    }
out:
    EVP_MD_CTX_free(md);
    return ok;
}

static char *header_b64(const struct ac_jwk *key, const char *typ,
                        struct ac_err *err)
{
    json_t *h =
        json_pack("{s:s, s:s*, s:s}", "alg", ac_jws_alg_name(ac_jwk_alg(key)),
                  "typ", typ, "kid", ac_jwk_kid(key));
    char *text = h != NULL ? json_dumps(h, JSON_COMPACT) : NULL;
    char *b64 = text != NULL ? ac_b64url_encode(text, strlen(text)) : NULL;

    if (b64 == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building a JWS header");
    }
    json_decref(h);
    free(text);
    return b64;
}

/* Sign `payload` under the base64url header `h` (taken). */
static char *sign_compact(const struct ac_jwk *key, char *h,
                          const void *payload, size_t len, struct ac_err *err);

char *ac_jws_sign(const struct ac_jwk *key, const char *typ,
                  const void *payload, size_t len, struct ac_err *err)
{
    char *h;

    if (!ac_jwk_has_private(key)) {
        AC_ERR(err, AC_ERR_USAGE, "key %s has no private part to sign with",
               ac_jwk_kid(key));
        return NULL;
    }
    h = header_b64(key, typ, err);
    return h != NULL ? sign_compact(key, h, payload, len, err) : NULL;
}

char *ac_jwt_sign_with_header(const struct ac_jwk *key, const json_t *header,
                              const json_t *claims, struct ac_err *err)
{
    char *htext = NULL, *ctext = NULL, *h = NULL, *jws = NULL;

    if (!ac_jwk_has_private(key) || !json_is_object(header) ||
        !json_is_object(claims)) {
        AC_ERR(err, AC_ERR_USAGE, "need a private key, header and claims");
        return NULL;
    }
    htext = json_dumps(header, JSON_COMPACT);
    ctext = json_dumps(claims, JSON_COMPACT);
    h = htext != NULL ? ac_b64url_encode(htext, strlen(htext)) : NULL;
    if (h == NULL || ctext == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building a JWS");
        free(h);
        goto out;
    }
    jws = sign_compact(key, h, ctext, strlen(ctext), err);
out:
    free(htext);
    free(ctext);
    return jws;
}

static char *sign_compact(const struct ac_jwk *key, char *h,
                          const void *payload, size_t len, struct ac_err *err)
{
    uint8_t sig[SIG_MAX];
    size_t siglen = 0, hlen, plen;
    char *pl = NULL, *s = NULL, *jws = NULL;

    pl = ac_b64url_encode(payload, len);
    /* Room for header '.' payload '.' and the largest signature. */
    jws = pl != NULL ? malloc(strlen(h) + strlen(pl) + 3 + B64_LEN(SIG_MAX))
                     : NULL;
    if (jws == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* RFC 7515 §5.1: the signing input is ASCII(header '.' payload). */
    hlen = strlen(h);
    plen = strlen(pl);
    memcpy(jws, h, hlen);
    jws[hlen] = '.';
    memcpy(jws + hlen + 1, pl, plen);
    if (!sign_bytes(key, jws, hlen + 1 + plen, sig, &siglen, err)) {
        goto fail;
    }
    s = ac_b64url_encode(sig, siglen);
    if (s == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    jws[hlen + 1 + plen] = '.';
    memcpy(jws + hlen + 2 + plen, s, strlen(s) + 1);
    goto out;
fail:
    free(jws);
    jws = NULL;
out:
    free(h);
    free(pl);
    free(s);
    return jws;
}

char *ac_jwt_sign(const struct ac_jwk *key, const char *typ,
                  const json_t *claims, struct ac_err *err)
{
    char *text, *jws;

    /* RFC 7519 §7.1: the claims set is a JSON object. */
    if (!json_is_object(claims)) {
        AC_ERR(err, AC_ERR_USAGE, "JWT claims must be a JSON object");
        return NULL;
    }
    text = json_dumps(claims, JSON_COMPACT);
    if (text == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory serialising claims");
        return NULL;
    }
    jws = ac_jws_sign(key, typ, text, strlen(text), err);
    free(text);
    return jws;
}

/* --- parsing ------------------------------------------------------------- */

/* The three parts of a compact JWS (RFC 7515 §7.1), as offsets. */
struct parts {
    size_t h_len; /* header: token[0, h_len) */
    size_t p_off; /* payload: token[p_off, p_off + p_len) */
    size_t p_len;
    size_t s_off; /* signature: token[s_off, s_off + s_len) */
    size_t s_len;
};

static bool split_token(const char *token, struct parts *pt, struct ac_err *err)
{
    const char *d1, *d2;
    size_t len;

    if (token == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "no token");
        return false;
    }
    len = strnlen(token, JWS_MAX_LEN + 1);
    if (len > JWS_MAX_LEN) {
        AC_ERR(err, AC_ERR_TOOBIG, "token over %u bytes", JWS_MAX_LEN);
        return false;
    }
    d1 = memchr(token, '.', len);
    d2 =
        d1 != NULL ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        AC_ERR(err, AC_ERR_INVALID,
               "a compact JWS has exactly three dot-separated parts "
               "(RFC 7515 §7.1)");
        return false;
    }
    pt->h_len = (size_t)(d1 - token);
    pt->p_off = pt->h_len + 1;
    pt->p_len = (size_t)(d2 - d1 - 1);
    pt->s_off = (size_t)(d2 + 1 - token);
    pt->s_len = len - pt->s_off;
    /* An empty signature ("alg":"none") is refused after the header, so
     * the error can name the alg. */
    if (pt->h_len == 0) {
        AC_ERR(err, AC_ERR_INVALID, "JWS header is empty");
        return false;
    }
    return true;
}

static bool decode_part(const char *text, size_t len, const char *what,
                        uint8_t **out, size_t *outlen, struct ac_err *err)
{
    if (!ac_b64url_decode(text, len, out, outlen, err)) {
        ac_err_prefix(err, "JWS %s", what);
        return false;
    }
    return true;
}

static json_t *parse_json_part(const char *text, size_t len, const char *what,
                               struct ac_err *err)
{
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    json_t *v = NULL;

    if (!decode_part(text, len, what, &raw, &rawlen, err)) {
        return NULL;
    }
    /* Strict: a duplicate "alg" or "aud" would let two parsers disagree. */
    v = ac_json_parse_object((const char *)raw, rawlen, err);
    if (v == NULL) {
        ac_err_prefix(err, "JWS %s is not a JSON object", what);
    }
    free(raw);
    return v;
}

bool ac_jwt_peek_unverified(const char *token, json_t **header, json_t **claims,
                            struct ac_err *err)
{
    struct parts pt;
    json_t *h = NULL, *c = NULL;

    if (!split_token(token, &pt, err) ||
        (h = parse_json_part(token, pt.h_len, "header", err)) == NULL ||
        (c = parse_json_part(token + pt.p_off, pt.p_len, "payload", err)) ==
            NULL) {
        json_decref(h);
        return false;
    }
    *header = h;
    *claims = c;
    return true;
}

/* --- verification -------------------------------------------------------- */

/* RFC 7515 §4.1.9: media types compare case-insensitively, and the
 * "application/" prefix may be left out. */
static const char *strip_application(const char *typ)
{
    return strncasecmp(typ, "application/", 12) == 0 ? typ + 12 : typ;
}

static bool check_alg(const char *name, unsigned allowed, enum ac_jws_alg *alg,
                      struct ac_err *err)
{
    if (strcasecmp(name, "none") == 0) {
        /* RFC 8725 §3.2: an unsecured JWS is never acceptable here. */
        AC_ERR(err, AC_ERR_INVALID, "alg \"%s\" not allowed", name);
        return false;
    }
    if (strcmp(name, "RS256") == 0) {
        *alg = AC_JWS_RS256;
    } else if (strcmp(name, "ES256") == 0) {
        *alg = AC_JWS_ES256;
    } else if (strncmp(name, "HS", 2) == 0) {
        /* RFC 8725 §2.1: never use a public key as an HMAC secret. */
        AC_ERR(err, AC_ERR_INVALID,
               "alg \"%s\" not allowed: HMAC with a public key", name);
        return false;
    } else {
        AC_ERR(err, AC_ERR_INVALID, "alg \"%s\" not supported", name);
        return false;
    }
    if ((allowed & *alg) == 0) {
        AC_ERR(err, AC_ERR_INVALID, "alg \"%s\" not allowed here", name);
        return false;
    }
    return true;
}

/* alg, crit, kid and typ of a parsed protected header. */
static bool check_header(const json_t *h, const struct ac_jws_verify_params *p,
                         enum ac_jws_alg *alg, const char **kid,
                         struct ac_err *err)
{
    const char *name = ac_json_str(h, "alg");
    const json_t *jkid = json_object_get(h, "kid");
    const char *typ = ac_json_str(h, "typ");

    if (name == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "JWS header has no \"alg\" string");
        return false;
    }
    if (!check_alg(name, p->algs, alg, err)) {
        return false;
    }
    /* RFC 7515 §4.1.11: we implement no extension, so any "crit" is one
     * we do not understand and the JWS must be rejected. */
    if (json_object_get(h, "crit") != NULL) {
        AC_ERR(err, AC_ERR_INVALID,
               "JWS header has \"crit\" (RFC 7515 §4.1.11: no extensions "
               "are understood)");
        return false;
    }
    if (jkid != NULL && !json_is_string(jkid)) {
        AC_ERR(err, AC_ERR_INVALID, "JWS header \"kid\" is not a string");
        return false;
    }
    *kid = json_string_value(jkid);
    if (p->typ != NULL &&
        (typ == NULL ||
         strcasecmp(strip_application(typ), strip_application(p->typ)) != 0)) {
        AC_ERR(err, AC_ERR_INVALID, "JWS typ %s%s%s is not \"%s\"",
               typ != NULL ? "\"" : "", typ != NULL ? typ : "(none)",
               typ != NULL ? "\"" : "", p->typ);
        return false;
    }
    return true;
}

/* The inverse of ecdsa_der_to_raw, for EVP_DigestVerify. */
static bool ecdsa_raw_to_der(const uint8_t *raw, uint8_t *der, size_t *len,
                             struct ac_err *err)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, ES256_HALF, NULL);
    BIGNUM *s = BN_bin2bn(raw + ES256_HALF, ES256_HALF, NULL);
    unsigned char *p = der;
    bool ok = false;
    int n;

    if (sig == NULL || r == NULL || s == NULL ||
        ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        OSSL_FAIL(err, "building an ECDSA signature");
        goto out;
    }
    /* set0 took r and s. */
    n = i2d_ECDSA_SIG(sig, NULL);
    if (n <= 0 || n > ECDSA_DER_MAX || i2d_ECDSA_SIG(sig, &p) != n) {
        OSSL_FAIL(err, "encoding an ECDSA signature");
        goto out;
    }
    *len = (size_t)n;
    ok = true;
out:
    ECDSA_SIG_free(sig);
    return ok;
}

/* 1 verified, 0 not verified, -1 OpenSSL failure (err set). `sig` is the
 * DER form for ES256. */
static int verify_with(const struct ac_jwk *key, const char *in, size_t n,
                       const uint8_t *sig, size_t siglen, struct ac_err *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc;

    if (md == NULL || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL,
                                              ac_jwk_pkey(key), NULL) != 1) {
        OSSL_FAIL(err, "starting verification");
        EVP_MD_CTX_free(md);
        return -1;
    }
    rc = EVP_DigestVerify(md, sig, siglen, (const uint8_t *)in, n) == 1;
    /* A mismatch leaves reasons on the queue: not ours to keep. */
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    return rc;
}

/* Does `key` fit a header with this alg and kid (NULL: any kid)? */
static bool key_fits(const struct ac_jwk *key, enum ac_jws_alg alg,
                     const char *kid)
{
    return ac_jwk_alg(key) == alg &&
           (kid == NULL || strcmp(ac_jwk_kid(key), kid) == 0);
}

/* Try the candidate keys; true only if one verifies the signature. */
static bool verify_keys(const struct ac_jws_verify_params *p,
                        enum ac_jws_alg alg, const char *kid, const char *in,
                        size_t n, const uint8_t *sig, size_t siglen,
                        struct ac_err *err)
{
    size_t i, tried = 0;
    int rc = 0;

    if (p->key != NULL) {
        if (ac_jwk_alg(p->key) != alg) {
            AC_ERR(err, AC_ERR_INVALID, "alg \"%s\" does not fit the %s key",
                   ac_jws_alg_name(alg), ac_jws_alg_name(ac_jwk_alg(p->key)));
            return false;
        }
        rc = verify_with(p->key, in, n, sig, siglen, err);
        tried = 1;
    }
    for (i = 0; p->key == NULL && rc == 0 && i < ac_jwks_count(p->jwks); i++) {
        const struct ac_jwk *key = ac_jwks_get(p->jwks, i);
        if (key_fits(key, alg, kid)) {
            tried++;
            rc = verify_with(key, in, n, sig, siglen, err);
        }
    }
    if (rc == 0 && tried == 0) {
        if (kid != NULL) {
            AC_ERR(err, AC_ERR_INVALID, "kid \"%s\" not found in the JWKS%s",
                   kid,
                   ac_jwks_find(p->jwks, kid) != NULL ? " for this alg" : "");
        } else {
            AC_ERR(err, AC_ERR_INVALID, "no %s key in the JWKS",
                   ac_jws_alg_name(alg));
        }
    } else if (rc == 0) {
        AC_ERR(err, AC_ERR_INVALID, "signature does not verify");
    }
    return rc == 1;
}

/* Decode the signature into the form EVP_DigestVerify takes. */
static bool signature_bytes(const char *text, size_t len, enum ac_jws_alg alg,
                            uint8_t *out, size_t *outlen, struct ac_err *err)
{
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    bool ok = false;

    if (len == 0) {
        AC_ERR(err, AC_ERR_INVALID, "JWS signature is empty");
        return false;
    }
    if (!decode_part(text, len, "signature", &raw, &rawlen, err)) {
        return false;
    }
    if (alg == AC_JWS_ES256 && rawlen != ES256_LEN) {
        AC_ERR(err, AC_ERR_INVALID,
               "ES256 signature is %zu octets, not R||S of %d (RFC 7518 §3.4)",
               rawlen, ES256_LEN);
    } else if (alg == AC_JWS_ES256) {
        ok = ecdsa_raw_to_der(raw, out, outlen, err);
    } else if (rawlen > SIG_MAX) {
        AC_ERR(err, AC_ERR_INVALID, "RS256 signature of %zu octets", rawlen);
    } else {
        memcpy(out, raw, rawlen);
        *outlen = rawlen;
        ok = true;
    }
    free(raw);
    return ok;
}

bool ac_jws_verify(const char *token, const struct ac_jws_verify_params *p,
                   json_t **header, uint8_t **payload, size_t *payload_len,
                   struct ac_err *err)
{
    uint8_t sig[SIG_MAX];
    size_t siglen = 0;
    struct parts pt;
    json_t *h = NULL;
    const char *kid = NULL;
    enum ac_jws_alg alg;
    bool ok = false;

    if (p == NULL || (p->key == NULL) == (p->jwks == NULL)) {
        AC_ERR(err, AC_ERR_USAGE, "verify needs exactly one of key and jwks");
        return false;
    }
    if (!split_token(token, &pt, err) ||
        (h = parse_json_part(token, pt.h_len, "header", err)) == NULL ||
        !check_header(h, p, &alg, &kid, err) ||
        !signature_bytes(token + pt.s_off, pt.s_len, alg, sig, &siglen, err) ||
        !verify_keys(p, alg, kid, token, pt.s_off - 1, sig, siglen, err) ||
        !decode_part(token + pt.p_off, pt.p_len, "payload", payload,
                     payload_len, err)) {
        goto out;
    }
    if (header != NULL) {
        *header = json_incref(h);
    }
    ok = true;
out:
    json_decref(h);
    return ok;
}

json_t *ac_jwt_verify(const char *token, const struct ac_jws_verify_params *p,
                      json_t **header, struct ac_err *err)
{
    uint8_t *payload = NULL;
    size_t len = 0;
    json_t *h = NULL, *claims = NULL;

    if (!ac_jws_verify(token, p, &h, &payload, &len, err)) {
        return NULL;
    }
    claims = ac_json_parse_object((const char *)payload, len, err);
    if (claims == NULL) {
        ac_err_prefix(err, "JWT claims are not a JSON object");
    } else if (header != NULL) {
        *header = json_incref(h);
    }
    json_decref(h);
    free(payload);
    return claims;
}

/* --- claims -------------------------------------------------------------- */

/* RFC 3339 UTC text of a NumericDate, or the bare number out of range. */
static const char *fmt_time(double t, char *buf, size_t n)
{
    struct tm tm;
    time_t tt;

    /* Years 1970..9999 only: a hostile exp must not overflow time_t. */
    if (!(t >= 0 && t < 253402300800.0)) {
        snprintf(buf, n, "%g", t);
        return buf;
    }
    tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, n, "%.0f", t);
    }
    return buf;
}

/* A NumericDate claim (RFC 7519 §2: a JSON number, possibly non-integer).
 * Absent: true with *present false. */
static bool numeric_date(const json_t *claims, const char *name, bool *present,
                         double *v, struct ac_err *err)
{
    const json_t *j = json_object_get(claims, name);

    *present = j != NULL;
    if (j == NULL) {
        return true;
    }
    if (!json_is_number(j)) {
        AC_ERR(err, AC_ERR_INVALID, "claim \"%s\" is not a NumericDate", name);
        return false;
    }
    *v = json_number_value(j);
    return true;
}

/* RFC 7519 §4.1.4, §4.1.5, and iat (§4.1.6) not in the future. */
static bool check_times(const json_t *claims,
                        const struct ac_jwt_claims_params *p,
                        struct ac_err *err)
{
    double now = (double)p->now, leeway = (double)p->leeway, v = 0;
    char t1[40], t2[40];
    bool present;

    if (!numeric_date(claims, "exp", &present, &v, err)) {
        return false;
    }
    if (!present && p->require_exp) {
        AC_ERR(err, AC_ERR_INVALID, "token has no \"exp\"");
        return false;
    }
    if (present && now >= v + leeway) {
        AC_ERR(err, AC_ERR_INVALID,
               "token expired at %s (now %s, leeway %lld s)",
               fmt_time(v, t1, sizeof(t1)), fmt_time(now, t2, sizeof(t2)),
               (long long)p->leeway);
        return false;
    }
    if (!numeric_date(claims, "nbf", &present, &v, err)) {
        return false;
    }
    if (present && now + leeway < v) {
        AC_ERR(err, AC_ERR_INVALID,
               "token not valid before %s (now %s, leeway %lld s)",
               fmt_time(v, t1, sizeof(t1)), fmt_time(now, t2, sizeof(t2)),
               (long long)p->leeway);
        return false;
    }
    if (!numeric_date(claims, "iat", &present, &v, err)) {
        return false;
    }
    if (present && v > now + leeway) {
        AC_ERR(err, AC_ERR_INVALID,
               "token issued in the future at %s (now %s, leeway %lld s)",
               fmt_time(v, t1, sizeof(t1)), fmt_time(now, t2, sizeof(t2)),
               (long long)p->leeway);
        return false;
    }
    return true;
}

/* RFC 7519 §4.1.3: "aud" is a string or an array of strings, compared
 * case-sensitively. */
static bool check_aud(const json_t *claims, const char *want,
                      struct ac_err *err)
{
    const json_t *aud = json_object_get(claims, "aud");
    const json_t *v;
    size_t i;
    bool found = false;

    if (aud == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "token has no \"aud\"");
        return false;
    }
    if (json_is_string(aud)) {
        found = strcmp(json_string_value(aud), want) == 0;
    } else if (json_is_array(aud)) {
        json_array_foreach(aud, i, v)
        {
            if (!json_is_string(v)) {
                AC_ERR(err, AC_ERR_INVALID, "\"aud\" array holds a non-string");
                return false;
            }
            found = found || strcmp(json_string_value(v), want) == 0;
        }
    } else {
        AC_ERR(err, AC_ERR_INVALID,
               "\"aud\" is neither a string nor an array of strings");
        return false;
    }
    if (!found) {
        AC_ERR(err, AC_ERR_INVALID, "\"aud\" does not include \"%s\"", want);
    }
    return found;
}

static bool check_iss(const json_t *claims, const char *want,
                      struct ac_err *err)
{
    const json_t *iss = json_object_get(claims, "iss");

    if (!json_is_string(iss)) {
        AC_ERR(err, AC_ERR_INVALID, "token has no \"iss\" string");
        return false;
    }
    /* RFC 7519 §4.1.1: StringOrURI values compare as exact strings. */
    if (strcmp(json_string_value(iss), want) != 0) {
        AC_ERR(err, AC_ERR_INVALID, "\"iss\" is \"%s\", not \"%s\"",
               json_string_value(iss), want);
        return false;
    }
    return true;
}

bool ac_jwt_validate_claims(const json_t *claims,
                            const struct ac_jwt_claims_params *p,
                            struct ac_err *err)
{
    size_t i;

    if (!json_is_object(claims) || p == NULL || p->leeway < 0) {
        AC_ERR(err, AC_ERR_USAGE, "claims must be an object, leeway >= 0");
        return false;
    }
    for (i = 0; p->required != NULL && p->required[i] != NULL; i++) {
        if (json_object_get(claims, p->required[i]) == NULL) {
            AC_ERR(err, AC_ERR_INVALID, "token lacks required claim \"%s\"",
                   p->required[i]);
            return false;
        }
    }
    return (p->iss == NULL || check_iss(claims, p->iss, err)) &&
           (p->aud == NULL || check_aud(claims, p->aud, err)) &&
           check_times(claims, p, err);
}
