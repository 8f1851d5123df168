/* JSON Web Keys: owns the conversion between OpenSSL keys (EVP_PKEY) and
 * their PEM and JWK (RFC 7517/7518) forms, RFC 7638 thumbprints used as
 * kids, and JWK Sets. Only provider-based OpenSSL 3 APIs (EVP, OSSL_PARAM)
 * are used: the RSA_* and EC_KEY_* low-level calls are deprecated. */
#include "common/jwk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "common/b64url.h"
#include "common/crypto.h"
#include "common/io.h"
#include "common/json.h"

#define PEM_FILE_MAX (64u * 1024u)
/* RFC 7518 §3.3: RS256 keys MUST be 2048 bits or larger. The upper bound
 * keeps verification cost (and the signature buffers) bounded. */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define P256_LEN 32
/* OpenSSL's name for the P-256 curve (RFC 7518 §6.2.1.1 "P-256"). */
#define P256_GROUP "prime256v1"

struct ac_jwk {
    EVP_PKEY *pkey;
    enum ac_jws_alg alg;
    bool has_private;
    char *kid;
};

struct ac_jwks {
    struct ac_jwk **keys;
    size_t n;
    size_t cap;
};

/* JWK member names and OpenSSL parameter names of an RSA key, public first
 * (RFC 7518 §6.3.1 and §6.3.2). */
static const struct {
    const char *jwk;
    const char *ossl;
    bool priv;
} RSA_MEMBERS[] = {
    {"n", OSSL_PKEY_PARAM_RSA_N, false},
    {"e", OSSL_PKEY_PARAM_RSA_E, false},
    {"d", OSSL_PKEY_PARAM_RSA_D, true},
    {"p", OSSL_PKEY_PARAM_RSA_FACTOR1, true},
    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2, true},
    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, true},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, true},
    {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, true},
};
#define RSA_NMEMBERS (sizeof(RSA_MEMBERS) / sizeof(RSA_MEMBERS[0]))
/* Index of "d" and of the first CRT member "p" in RSA_MEMBERS. */
#define RSA_D 2
#define RSA_CRT 3

/* Record an OpenSSL failure with the newest queued reason, and empty the
 * thread's error queue so it does not leak into a later, unrelated call. */
#define OSSL_FAIL(err, code, what)                                             \
    ossl_fail((err), (code), __func__, __FILE__, __LINE__, (what))

static void ossl_fail(struct ac_err *err, int code, const char *func,
                      const char *file, int line, const char *what)
{
    char detail[160] = "no detail from OpenSSL";
    unsigned long e = ERR_peek_last_error();

    if (e != 0) {
        ERR_error_string_n(e, detail, sizeof(detail));
    }
    ERR_clear_error();
    ac_err_set(err, code, func, file, line, "%s: %s", what, detail);
}

const char *ac_jws_alg_name(enum ac_jws_alg alg)
{
    switch (alg) {
    case AC_JWS_RS256:
        return "RS256";
    case AC_JWS_ES256:
        return "ES256";
    }
    return NULL;
}

/* --- classification ------------------------------------------------------ */

static bool is_p256(const EVP_PKEY *pkey)
{
    char group[64];

    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), NULL) != 1) {
        ERR_clear_error();
        return false;
    }
    return strcmp(group, P256_GROUP) == 0;
}

/* Which JWS algorithm a key serves; AC_ERR_INVALID for any other key. */
static bool classify(const EVP_PKEY *pkey, enum ac_jws_alg *alg,
                     struct ac_err *err)
{
    int bits = EVP_PKEY_get_bits(pkey);

    /* EVP_PKEY_is_a(.., "RSA") is false for RSA-PSS keys: those are
     * restricted to PSS and cannot produce RS256 signatures. */
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
            AC_ERR(err, AC_ERR_INVALID,
                   "RSA key of %d bits: RFC 7518 §3.3 needs %d to %d", bits,
                   RSA_MIN_BITS, RSA_MAX_BITS);
            return false;
        }
        *alg = AC_JWS_RS256;
        return true;
    }
    if (EVP_PKEY_is_a(pkey, "EC") && is_p256(pkey)) {
        *alg = AC_JWS_ES256;
        return true;
    }
    AC_ERR(err, AC_ERR_INVALID, "unsupported key type %s%s",
           EVP_PKEY_get0_type_name(pkey) != NULL ? EVP_PKEY_get0_type_name(pkey)
                                                 : "?",
           EVP_PKEY_is_a(pkey, "EC") ? " (only curve P-256)" : "");
    return false;
}

static bool pkey_has_private(const EVP_PKEY *pkey, enum ac_jws_alg alg)
{
    const char *name =
        alg == AC_JWS_RS256 ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
    BIGNUM *bn = NULL;
    bool has = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1;

    BN_clear_free(bn);
    ERR_clear_error();
    return has;
}

/* --- members ------------------------------------------------------------- */

/* Base64url of a non-negative integer: the minimum number of octets
 * (RFC 7518 §2 Base64urlUInt) when `width` is 0, else exactly `width`
 * octets (EC coordinates and d, RFC 7518 §6.2.1.2/§6.2.2.1). */
static char *bn_b64(const BIGNUM *bn, int width)
{
    uint8_t buf[RSA_MAX_BITS / 8];
    int n = width != 0 ? width : BN_num_bytes(bn);
    char *text = NULL;

    if (n <= 0 || (size_t)n > sizeof(buf) || BN_bn2binpad(bn, buf, n) != n) {
        return NULL;
    }
    text = ac_b64url_encode(buf, (size_t)n);
    OPENSSL_cleanse(buf, sizeof(buf));
    return text;
}

/* Set obj[member] to the base64url of the key's parameter `param`. */
static bool put_param(json_t *obj, const char *member, const EVP_PKEY *pkey,
                      const char *param, int width, struct ac_err *err)
{
    BIGNUM *bn = NULL;
    char *text = NULL;
    bool ok = false;

    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
        OSSL_FAIL(err, AC_ERR_CRYPTO, "reading a key parameter");
        goto out;
    }
    text = bn_b64(bn, width);
    if (text == NULL || json_object_set_new(obj, member, json_string(text))) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    ok = true;
out:
    BN_clear_free(bn);
    if (text != NULL) {
        OPENSSL_cleanse(text, strlen(text));
    }
    free(text);
    return ok;
}

/* The key's members without kid/alg/use: the RFC 7638 input when public. */
static json_t *key_members(const EVP_PKEY *pkey, enum ac_jws_alg alg,
                           bool include_private, struct ac_err *err)
{
    json_t *obj = NULL;
    bool ok = false;
    size_t i;

    if (alg == AC_JWS_RS256) {
        obj = json_pack("{s:s}", "kty", "RSA");
    } else {
        obj = json_pack("{s:s, s:s}", "kty", "EC", "crv", "P-256");
    }
    if (obj == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (alg == AC_JWS_ES256) {
        ok = put_param(obj, "x", pkey, OSSL_PKEY_PARAM_EC_PUB_X, P256_LEN,
                       err) &&
             put_param(obj, "y", pkey, OSSL_PKEY_PARAM_EC_PUB_Y, P256_LEN,
                       err) &&
             (!include_private ||
              put_param(obj, "d", pkey, OSSL_PKEY_PARAM_PRIV_KEY, P256_LEN,
                        err));
        goto out;
    }
    for (i = 0; i < RSA_NMEMBERS; i++) {
        if (RSA_MEMBERS[i].priv && !include_private) {
            continue;
        }
        if (!put_param(obj, RSA_MEMBERS[i].jwk, pkey, RSA_MEMBERS[i].ossl, 0,
                       err)) {
            goto out;
        }
    }
    ok = true;
out:
    if (!ok) {
        json_decref(obj);
        obj = NULL;
    }
    return obj;
}

/* --- thumbprints and construction ---------------------------------------- */

static bool members_are_strings(const json_t *obj)
{
    const char *name;
    const json_t *v;

    json_object_foreach((json_t *)obj, name, v)
    {
        (void)name;
        if (!json_is_string(v)) {
            return false;
        }
    }
    return true;
}

char *ac_jwk_thumbprint(const json_t *jwk, struct ac_err *err)
{
    const char *kty = ac_json_str(jwk, "kty");
    uint8_t md[AC_SHA256_LEN];
    json_t *canon = NULL;
    char *text = NULL, *tp = NULL;

    /* RFC 7638 §3.2: only the required members, all strings here. Jansson's
     * compact, key-sorted dump is exactly the §3 canonical form for them
     * (no whitespace, lexicographic order, no escapes in base64url). */
    if (kty != NULL && strcmp(kty, "RSA") == 0) {
        canon = json_pack("{s:O, s:O, s:O}", "e", json_object_get(jwk, "e"),
                          "kty", json_object_get(jwk, "kty"), "n",
                          json_object_get(jwk, "n"));
    } else if (kty != NULL && strcmp(kty, "EC") == 0) {
        canon = json_pack(
            "{s:O, s:O, s:O, s:O}", "crv", json_object_get(jwk, "crv"), "kty",
            json_object_get(jwk, "kty"), "x", json_object_get(jwk, "x"), "y",
            json_object_get(jwk, "y"));
    } else {
        AC_ERR(err, AC_ERR_INVALID, "JWK thumbprint: unsupported kty");
        goto out;
    }
    if (canon == NULL || !members_are_strings(canon)) {
        AC_ERR(err, AC_ERR_INVALID,
               "JWK thumbprint: a required %s member is missing or not a "
               "string",
               kty);
        goto out;
    }
    text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!ac_sha256(text, strlen(text), md, err)) {
        goto out;
    }
    tp = ac_b64url_encode(md, sizeof(md));
    if (tp == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    }
out:
    json_decref(canon);
    free(text);
    return tp;
}

static char *pkey_thumbprint(const EVP_PKEY *pkey, enum ac_jws_alg alg,
                             struct ac_err *err)
{
    json_t *pub = key_members(pkey, alg, false, err);
    char *tp = pub != NULL ? ac_jwk_thumbprint(pub, err) : NULL;

    json_decref(pub);
    return tp;
}

/* Wrap `pkey` (taken, even on failure). The kid is a copy of `kid`, or the
 * RFC 7638 thumbprint when NULL. */
static struct ac_jwk *key_new_take(EVP_PKEY *pkey, const char *kid,
                                   struct ac_err *err)
{
    struct ac_jwk *key = NULL;
    enum ac_jws_alg alg;

    if (!classify(pkey, &alg, err)) {
        goto fail;
    }
    key = calloc(1, sizeof(*key));
    if (key == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    key->pkey = pkey;
    key->alg = alg;
    key->has_private = pkey_has_private(pkey, alg);
    key->kid = kid != NULL ? strdup(kid) : pkey_thumbprint(pkey, alg, err);
    if (key->kid == NULL) {
        if (kid != NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        }
        ac_jwk_free(key);
        return NULL;
    }
    return key;
fail:
    EVP_PKEY_free(pkey);
    return NULL;
}

struct ac_jwk *ac_jwk_generate(enum ac_jws_alg alg, struct ac_err *err)
{
    EVP_PKEY *pkey = NULL;

    if (alg == AC_JWS_RS256) {
        /* e = 65537 is EVP_PKEY_Q_keygen's default for RSA. */
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_MIN_BITS);
    } else if (alg == AC_JWS_ES256) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", P256_GROUP);
    } else {
        AC_ERR(err, AC_ERR_USAGE, "cannot generate a key for alg %d", (int)alg);
        return NULL;
    }
    if (pkey == NULL) {
        OSSL_FAIL(err, AC_ERR_CRYPTO, "generating a key pair");
        return NULL;
    }
    return key_new_take(pkey, NULL, err);
}

struct ac_jwk *ac_jwk_dup(const struct ac_jwk *key)
{
    struct ac_jwk *copy = calloc(1, sizeof(*copy));

    if (copy == NULL || (copy->kid = strdup(key->kid)) == NULL ||
        EVP_PKEY_up_ref(key->pkey) != 1) {
        if (copy != NULL) {
            free(copy->kid);
        }
        free(copy);
        return NULL;
    }
    copy->pkey = key->pkey;
    copy->alg = key->alg;
    copy->has_private = key->has_private;
    return copy;
}

bool ac_jwk_set_kid(struct ac_jwk *key, const char *kid, struct ac_err *err)
{
    char *copy;

    if (kid == NULL || kid[0] == '\0') {
        AC_ERR(err, AC_ERR_USAGE, "empty kid");
        return false;
    }
    copy = strdup(kid);
    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    free(key->kid);
    key->kid = copy;
    return true;
}

const char *ac_jwk_kid(const struct ac_jwk *key)
{
    return key->kid;
}

enum ac_jws_alg ac_jwk_alg(const struct ac_jwk *key)
{
    return key->alg;
}

bool ac_jwk_has_private(const struct ac_jwk *key)
{
    return key->has_private;
}

EVP_PKEY *ac_jwk_pkey(const struct ac_jwk *key)
{
    return key->pkey;
}

void ac_jwk_free(struct ac_jwk *key)
{
    if (key == NULL) {
        return;
    }
    EVP_PKEY_free(key->pkey);
    free(key->kid);
    free(key);
}

/* --- PEM ----------------------------------------------------------------- */

/* Never prompt on a terminal for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

struct ac_jwk *ac_jwk_from_pem(const char *pem, size_t len, struct ac_err *err)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;

    if (pem == NULL || len > PEM_FILE_MAX) {
        AC_ERR(err, pem == NULL ? AC_ERR_INVALID : AC_ERR_TOOBIG,
               "PEM text missing or over %u bytes", PEM_FILE_MAX);
        return NULL;
    }
    /* A private key first; PEM_read_bio_PrivateKey skips other blocks, so
     * a public key needs a second pass over a fresh BIO. */
    bio = BIO_new_mem_buf(pem, (int)len);
    pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                       : NULL;
    BIO_free(bio);
    if (pkey == NULL) {
        ERR_clear_error();
        bio = BIO_new_mem_buf(pem, (int)len);
        pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL)
                           : NULL;
        BIO_free(bio);
    }
    if (pkey == NULL) {
        ERR_clear_error();
        AC_ERR(err, AC_ERR_INVALID,
               "no unencrypted private key or public key in the PEM text");
        return NULL;
    }
    return key_new_take(pkey, NULL, err);
}

/* Read at most PEM_FILE_MAX bytes of `path` into a new buffer. */
static char *read_small_file(const char *path, size_t *len, struct ac_err *err)
{
    char *buf = NULL;
    size_t n = 0;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(PEM_FILE_MAX + 1);
    if (buf == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    while (n <= PEM_FILE_MAX &&
           (r = read(fd, buf + n, PEM_FILE_MAX + 1 - n)) != 0) {
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        n += (size_t)r;
    }
    if (n > PEM_FILE_MAX) {
        AC_ERR(err, AC_ERR_TOOBIG, "%s: over %u bytes", path, PEM_FILE_MAX);
        goto fail;
    }
    *len = n;
    goto out;
fail:
    OPENSSL_cleanse(buf, PEM_FILE_MAX + 1);
    free(buf);
    buf = NULL;
out:
    close(fd);
    return buf;
}

struct ac_jwk *ac_jwk_load_pem_file(const char *path, struct ac_err *err)
{
    struct ac_jwk *key;
    size_t len = 0;
    char *pem = read_small_file(path, &len, err);

    if (pem == NULL) {
        return NULL;
    }
    key = ac_jwk_from_pem(pem, len, err);
    if (key == NULL) {
        ac_err_prefix(err, "%s", path);
    }
    OPENSSL_cleanse(pem, len);
    free(pem);
    return key;
}

char *ac_jwk_to_pem(const struct ac_jwk *key, bool private_part,
                    struct ac_err *err)
{
    BIO *bio = NULL;
    char *data = NULL, *pem = NULL;
    long n;
    int ok;

    if (private_part && !key->has_private) {
        AC_ERR(err, AC_ERR_USAGE, "key %s has no private part", key->kid);
        return NULL;
    }
    /* A secure-memory BIO for private keys: the buffer is cleansed. */
    bio = BIO_new(private_part ? BIO_s_secmem() : BIO_s_mem());
    if (bio == NULL) {
        OSSL_FAIL(err, AC_ERR_CRYPTO, "PEM buffer");
        return NULL;
    }
    ok = private_part ? PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0,
                                                 NULL, NULL)
                      : PEM_write_bio_PUBKEY(bio, key->pkey);
    n = BIO_get_mem_data(bio, &data);
    if (ok != 1 || n <= 0) {
        OSSL_FAIL(err, AC_ERR_CRYPTO, "writing PEM");
        goto out;
    }
    pem = malloc((size_t)n + 1);
    if (pem == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(pem, data, (size_t)n);
    pem[n] = '\0';
out:
    BIO_free(bio);
    return pem;
}

bool ac_jwk_save_pem_file(const struct ac_jwk *key, const char *path,
                          bool private_part, struct ac_err *err)
{
    mode_t mode = private_part ? 0600 : 0644;
    char *pem = ac_jwk_to_pem(key, private_part, err);
    bool ok = false;
    int fd = -1;

    if (pem == NULL) {
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    /* fchmod: O_CREAT's mode does not apply to an existing file, and a
     * private key must never stay world-readable. */
    if (fd < 0 || fchmod(fd, mode) != 0 ||
        !ac_write_all(fd, pem, strlen(pem))) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    ok = true;
out:
    if (fd >= 0) {
        close(fd);
    }
    ac_secret_free(pem);
    return ok;
}

/* --- JWK import ---------------------------------------------------------- */

/* Decode the base64url string member `name`; absent leaves *buf NULL. */
static bool member_bytes(const json_t *jwk, const char *name, uint8_t **buf,
                         size_t *len, struct ac_err *err)
{
    const json_t *v = json_object_get(jwk, name);

    *buf = NULL;
    *len = 0;
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        AC_ERR(err, AC_ERR_INVALID, "JWK member \"%s\" is not a string", name);
        return false;
    }
    if (!ac_b64url_decode(json_string_value(v), json_string_length(v), buf, len,
                          err)) {
        ac_err_prefix(err, "JWK member \"%s\"", name);
        return false;
    }
    if (*len == 0) {
        free(*buf);
        *buf = NULL;
        AC_ERR(err, AC_ERR_INVALID, "JWK member \"%s\" is empty", name);
        return false;
    }
    return true;
}

/* As member_bytes, as an integer (RFC 7518 §2 Base64urlUInt). Private
 * values go to OpenSSL's secure heap and are cleansed when freed. */
static bool member_bn(const json_t *jwk, const char *name, bool secret,
                      BIGNUM **bn, struct ac_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    *bn = NULL;
    if (!member_bytes(jwk, name, &buf, &len, err)) {
        return false;
    }
    if (buf == NULL) {
        return true;
    }
    *bn = BN_bin2bn(buf, (int)len, secret ? BN_secure_new() : NULL);
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (*bn == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    return true;
}

/* EVP_PKEY_fromdata for key type `type`; a refusal means the members do not
 * form a key (an EC point off the curve, say): AC_ERR_INVALID. */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld, bool priv,
                             struct ac_err *err)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey,
                          priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) != 1) {
        OSSL_FAIL(err, AC_ERR_INVALID, "JWK does not form a key");
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *import_rsa(const json_t *jwk, bool priv, struct ac_err *err)
{
    BIGNUM *bn[RSA_NMEMBERS] = {0};
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;
    size_t i, ncrt = 0;

    if (priv && json_object_get(jwk, "oth") != NULL) {
        AC_ERR(err, AC_ERR_INVALID,
               "multi-prime RSA keys (\"oth\") are not "
               "supported");
        goto out;
    }
    for (i = 0; i < RSA_NMEMBERS; i++) {
        if (RSA_MEMBERS[i].priv && !priv) {
            continue;
        }
        if (!member_bn(jwk, RSA_MEMBERS[i].jwk, RSA_MEMBERS[i].priv, &bn[i],
                       err)) {
            goto out;
        }
        if (bn[i] == NULL && i < RSA_CRT) {
            AC_ERR(err, AC_ERR_INVALID, "RSA JWK lacks \"%s\"",
                   RSA_MEMBERS[i].jwk);
            goto out;
        }
        ncrt += i >= RSA_CRT && bn[i] != NULL;
    }
    /* RFC 7518 §6.3.2: if any of the CRT members is present, all are. */
    if (ncrt != 0 && ncrt != RSA_NMEMBERS - RSA_CRT) {
        AC_ERR(err, AC_ERR_INVALID,
               "RSA JWK has some but not all of p, q, dp, dq, qi "
               "(RFC 7518 §6.3.2)");
        goto out;
    }
    bld = OSSL_PARAM_BLD_new();
    for (i = 0; bld != NULL && i < RSA_NMEMBERS; i++) {
        if (bn[i] != NULL &&
            OSSL_PARAM_BLD_push_BN(bld, RSA_MEMBERS[i].ossl, bn[i]) != 1) {
            break;
        }
    }
    if (bld == NULL || i < RSA_NMEMBERS) {
        OSSL_FAIL(err, AC_ERR_NOMEM, "building RSA parameters");
        goto out;
    }
    pkey = from_params("RSA", bld, priv, err);
out:
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < RSA_NMEMBERS; i++) {
        BN_clear_free(bn[i]);
    }
    return pkey;
}

/* One P-256 coordinate or private scalar: exactly 32 octets (RFC 7518
 * §6.2.1.2, §6.2.1.3, §6.2.2.1). */
static bool member_p256(const json_t *jwk, const char *name, uint8_t *out,
                        struct ac_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    bool ok = false;

    if (!member_bytes(jwk, name, &buf, &len, err)) {
        return false;
    }
    if (buf == NULL || len != P256_LEN) {
        AC_ERR(err, AC_ERR_INVALID,
               "EC JWK member \"%s\" must be %d octets (RFC 7518 §6.2)", name,
               P256_LEN);
        goto out;
    }
    memcpy(out, buf, P256_LEN);
    ok = true;
out:
    if (buf != NULL) {
        OPENSSL_cleanse(buf, len);
    }
    free(buf);
    return ok;
}

static EVP_PKEY *import_ec(const json_t *jwk, bool priv, struct ac_err *err)
{
    const char *crv = ac_json_str(jwk, "crv");
    uint8_t pub[1 + 2 * P256_LEN], d[P256_LEN];
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *dbn = NULL;
    EVP_PKEY *pkey = NULL;

    if (crv == NULL || strcmp(crv, "P-256") != 0) {
        AC_ERR(err, AC_ERR_INVALID, "unsupported EC curve %s%s%s",
               crv != NULL ? "\"" : "", crv != NULL ? crv : "(none)",
               crv != NULL ? "\"" : "");
        goto out;
    }
    /* SEC 1 §2.3.3 uncompressed point: 0x04 || X || Y. */
    pub[0] = 0x04;
    if (!member_p256(jwk, "x", pub + 1, err) ||
        !member_p256(jwk, "y", pub + 1 + P256_LEN, err)) {
        goto out;
    }
    if (priv) {
        if (!member_p256(jwk, "d", d, err)) {
            goto out;
        }
        dbn = BN_bin2bn(d, P256_LEN, BN_secure_new());
        OPENSSL_cleanse(d, sizeof(d));
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || (priv && dbn == NULL) ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        P256_GROUP, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                         sizeof(pub)) != 1 ||
        (dbn != NULL &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn) != 1)) {
        OSSL_FAIL(err, AC_ERR_NOMEM, "building EC parameters");
        goto out;
    }
    pkey = from_params("EC", bld, priv, err);
out:
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(dbn);
    return pkey;
}

/* Does the private half produce signatures the public half accepts? Covers
 * both a d that belongs to another EC point and a mismatched RSA d. */
static bool pair_matches(EVP_PKEY *pkey)
{
    static const char msg[] = "authcheck JWK pairwise consistency";
    uint8_t sig[RSA_MAX_BITS / 8];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok;

    ok = md != NULL &&
         EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) ==
             1 &&
         EVP_DigestSign(md, sig, &siglen, (const uint8_t *)msg,
                        sizeof(msg) - 1) == 1 &&
         EVP_MD_CTX_reset(md) == 1 &&
         EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) ==
             1 &&
         EVP_DigestVerify(md, sig, siglen, (const uint8_t *)msg,
                          sizeof(msg) - 1) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

/* RFC 7517 §4.2 "use" and §4.4 "alg", when present, must fit a signing key
 * of algorithm `alg`; "kid" must be a string. */
static bool check_metadata(const json_t *jwk, enum ac_jws_alg alg,
                           struct ac_err *err)
{
    const json_t *use = json_object_get(jwk, "use");
    const json_t *jalg = json_object_get(jwk, "alg");
    const json_t *kid = json_object_get(jwk, "kid");

    if (use != NULL &&
        (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)) {
        AC_ERR(err, AC_ERR_INVALID, "JWK \"use\" is not \"sig\"");
        return false;
    }
    if (jalg != NULL &&
        (!json_is_string(jalg) ||
         strcmp(json_string_value(jalg), ac_jws_alg_name(alg)) != 0)) {
        AC_ERR(err, AC_ERR_INVALID, "JWK \"alg\" %s does not fit a %s key",
               json_is_string(jalg) ? json_string_value(jalg)
                                    : "(not a string)",
               ac_jws_alg_name(alg));
        return false;
    }
    if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) == 0)) {
        AC_ERR(err, AC_ERR_INVALID, "JWK \"kid\" is not a non-empty string");
        return false;
    }
    return true;
}

static struct ac_jwk *import_jwk(const json_t *jwk, bool want_private,
                                 struct ac_err *err)
{
    const char *kty = ac_json_str(jwk, "kty");
    enum ac_jws_alg alg;
    struct ac_jwk *key;
    EVP_PKEY *pkey;
    bool priv = want_private && json_object_get(jwk, "d") != NULL;

    if (!json_is_object(jwk) || kty == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "a JWK must be an object with a \"kty\"");
        return NULL;
    }
    if (strcmp(kty, "RSA") == 0) {
        alg = AC_JWS_RS256;
    } else if (strcmp(kty, "EC") == 0) {
        alg = AC_JWS_ES256;
    } else {
        AC_ERR(err, AC_ERR_INVALID, "unsupported kty \"%s\"", kty);
        return NULL;
    }
    if (!check_metadata(jwk, alg, err)) {
        return NULL;
    }
    pkey = alg == AC_JWS_RS256 ? import_rsa(jwk, priv, err)
                               : import_ec(jwk, priv, err);
    if (pkey == NULL) {
        return NULL;
    }
    /* Without a kid an EC key is named by its RFC 7638 thumbprint, taken
     * from the JSON members (x and y are exactly 32 octets, checked by
     * import_ec, so they are the canonical ones): a tenth of the cost of
     * exporting the key again, and a DPoP proof's key is imported on every
     * request. RSA keys are named from the key: their JSON n may carry
     * leading zero octets. */
    if (ac_json_str(jwk, "kid") == NULL && alg == AC_JWS_ES256) {
        char *tp = ac_jwk_thumbprint(jwk, err);

        key = tp != NULL ? key_new_take(pkey, tp, err) : NULL;
        if (tp == NULL) {
            EVP_PKEY_free(pkey);
        }
        free(tp);
    } else {
        key = key_new_take(pkey, ac_json_str(jwk, "kid"), err);
    }
    if (key != NULL && priv && !pair_matches(key->pkey)) {
        AC_ERR(err, AC_ERR_INVALID,
               "JWK private key does not match its public key");
        ac_jwk_free(key);
        key = NULL;
    }
    return key;
}

struct ac_jwk *ac_jwk_import(const json_t *jwk, struct ac_err *err)
{
    return import_jwk(jwk, true, err);
}

json_t *ac_jwk_export(const struct ac_jwk *key, bool include_private,
                      struct ac_err *err)
{
    json_t *obj;

    if (include_private && !key->has_private) {
        AC_ERR(err, AC_ERR_USAGE, "key %s has no private part", key->kid);
        return NULL;
    }
    obj = key_members(key->pkey, key->alg, include_private, err);
    if (obj == NULL) {
        return NULL;
    }
    if (json_object_set_new(obj, "kid", json_string(key->kid)) != 0 ||
        json_object_set_new(obj, "alg",
                            json_string(ac_jws_alg_name(key->alg))) != 0 ||
        json_object_set_new(obj, "use", json_string("sig")) != 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* --- JWK Sets ------------------------------------------------------------ */

struct ac_jwks *ac_jwks_new(void)
{
    return calloc(1, sizeof(struct ac_jwks));
}

/* Append `key` (taken, even on failure). */
static bool jwks_push_take(struct ac_jwks *set, struct ac_jwk *key,
                           struct ac_err *err)
{
    if (set->n == set->cap) {
        size_t cap = set->cap != 0 ? set->cap * 2 : 4;
        struct ac_jwk **keys = realloc(set->keys, cap * sizeof(*keys));
        if (keys == NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            ac_jwk_free(key);
            return false;
        }
        set->keys = keys;
        set->cap = cap;
    }
    set->keys[set->n++] = key;
    return true;
}

bool ac_jwks_add(struct ac_jwks *set, const struct ac_jwk *key,
                 struct ac_err *err)
{
    struct ac_jwk *copy;

    if (ac_jwks_find(set, key->kid) != NULL) {
        AC_ERR(err, AC_ERR_INVALID, "the JWKS already has kid \"%s\"",
               key->kid);
        return false;
    }
    copy = ac_jwk_dup(key);
    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    return jwks_push_take(set, copy, err);
}

struct ac_jwks *ac_jwks_import(const json_t *doc, size_t *skipped,
                               struct ac_err *err)
{
    const json_t *keys = json_object_get(doc, "keys");
    struct ac_jwks *set = NULL;
    const json_t *jwk;
    size_t i, nskipped = 0;

    if (!json_is_array(keys)) {
        AC_ERR(err, AC_ERR_INVALID,
               "a JWK Set needs a \"keys\" array "
               "(RFC 7517 §5.1)");
        return NULL;
    }
    set = ac_jwks_new();
    if (set == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    json_array_foreach(keys, i, jwk)
    {
        struct ac_err kerr = {0};
        struct ac_jwk *key = import_jwk(jwk, false, &kerr);

        if (key == NULL) {
            /* RFC 7517 §5: unusable members are ignored, not fatal. */
            ac_log(AC_LOG_DEBUG, "JWKS key %zu skipped: %s", i, kerr.msg);
            nskipped++;
            continue;
        }
        if (!jwks_push_take(set, key, err)) {
            ac_jwks_free(set);
            return NULL;
        }
    }
    if (skipped != NULL) {
        *skipped = nskipped;
    }
    return set;
}

json_t *ac_jwks_export(const struct ac_jwks *set, struct ac_err *err)
{
    json_t *doc = json_pack("{s:[]}", "keys");
    json_t *arr = json_object_get(doc, "keys");
    size_t i;

    if (doc == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (i = 0; i < set->n; i++) {
        json_t *jwk = ac_jwk_export(set->keys[i], false, err);
        if (jwk == NULL || json_array_append_new(arr, jwk) != 0) {
            if (jwk != NULL) {
                AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            }
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

size_t ac_jwks_count(const struct ac_jwks *set)
{
    return set->n;
}

const struct ac_jwk *ac_jwks_get(const struct ac_jwks *set, size_t i)
{
    return i < set->n ? set->keys[i] : NULL;
}

const struct ac_jwk *ac_jwks_find(const struct ac_jwks *set, const char *kid)
{
    size_t i;

    for (i = 0; kid != NULL && i < set->n; i++) {
        if (strcmp(set->keys[i]->kid, kid) == 0) {
            return set->keys[i];
        }
    }
    return NULL;
}

void ac_jwks_free(struct ac_jwks *set)
{
    size_t i;

    if (set == NULL) {
        return;
    }
    for (i = 0; i < set->n; i++) {
        ac_jwk_free(set->keys[i]);
    }
    free(set->keys);
    free(set);
}
