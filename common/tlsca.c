/* The run's TLS certificate authority (tlsca.h): two CAs (the trusted one
 * and a stranger) and four server certificates, built with OpenSSL once per
 * process and kept as PEM text in memory. The private keys never leave
 * this module's memory; only the trusted CA's certificate is written out
 * (ac_tls_write_ca), for the client under test to trust. */
#include "common/tlsca.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAY (24L * 3600L)

struct pems {
    char *key;
    char *cert;
};

static struct {
    pthread_once_t once;
    bool ok;
    char why[200];
    char *ca_pem;
    struct pems server[AC_TLS_NCERTS];
} run = {PTHREAD_ONCE_INIT, false, "", NULL, {{NULL, NULL}}};

static const char *const names[AC_TLS_NCERTS] = {"valid", "wrong-name",
                                                 "expired", "untrusted-ca"};

const char *ac_tls_cert_name(enum ac_tls_cert which)
{
    return which < AC_TLS_NCERTS ? names[which] : "?";
}

bool ac_tls_cert_parse(const char *name, enum ac_tls_cert *out)
{
    for (int i = 0; name != NULL && i < AC_TLS_NCERTS; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum ac_tls_cert)i;
            return true;
        }
    }
    return false;
}

/* --- building ------------------------------------------------------------ */

/* The contents of a memory BIO as a new string, NULL on failure. */
static char *bio_text(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);

    return n > 0 ? strndup(data, (size_t)n) : NULL;
}

static char *cert_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = b != NULL && PEM_write_bio_X509(b, x) == 1 ? bio_text(b) : NULL;

    BIO_free(b);
    return s;
}

static char *key_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = b != NULL && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
                                                    NULL) == 1
                  ? bio_text(b)
                  : NULL;

    BIO_free(b);
    return s;
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    bool ok;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = e != NULL && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

/* A certificate for `key` named `cn`, valid from now + `from` to now +
 * `to` seconds, signed by `ca_key` as `ca` (NULL: self-signed). `san`
 * (NULL for a CA) is the subjectAltName list. A new certificate or NULL. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long from, long to,
                       X509 *ca, EVP_PKEY *ca_key, const char *san)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    bool ok =
        x != NULL && name != NULL && RAND_bytes(serial, sizeof(serial)) == 1;

    serial[0] &= 0x7f; /* a positive serial number (RFC 5280 §4.1.2.2) */
    ok =
        ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) != NULL &&
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
        X509_set_version(x, 2) == 1 &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"authcheck", -1, -1,
                                   0) == 1 &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0) == 1 &&
        X509_set_subject_name(x, name) == 1 &&
        X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca)
                                           : name) == 1 &&
        X509_gmtime_adj(X509_getm_notBefore(x), from) != NULL &&
        X509_gmtime_adj(X509_getm_notAfter(x), to) != NULL &&
        X509_set_pubkey(x, key) == 1;
    if (ok && san == NULL) {
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_ext(x, x, NID_subject_key_identifier, "hash");
    } else if (ok) {
        ok = add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, ca, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, ca, NID_ext_key_usage, "serverAuth") &&
             add_ext(x, ca, NID_subject_alt_name, san) &&
             add_ext(x, ca, NID_subject_key_identifier, "hash") &&
             add_ext(x, ca, NID_authority_key_identifier, "keyid:always");
    }
    ok = ok && X509_sign(x, ca_key != NULL ? ca_key : key, EVP_sha256()) > 0;
    BN_free(bn);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

#define LOCAL_SAN "IP:127.0.0.1,DNS:localhost"

/* One server certificate with a fresh key, into run.server[which]. */
static bool make_server(enum ac_tls_cert which, X509 *ca, EVP_PKEY *ca_key)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    long from = -3600, to = 2 * DAY;
    const char *san = LOCAL_SAN;
    X509 *x = NULL;
    bool ok;

    if (which == AC_TLS_EXPIRED) {
        from = -30 * DAY;
        to = -DAY;
    } else if (which == AC_TLS_WRONG_NAME) {
        san = "DNS:wrong-name.authcheck.invalid";
    }
    x = key != NULL
            ? make_cert(key, "authcheck mock server", from, to, ca, ca_key, san)
            : NULL;
    run.server[which].key = x != NULL ? key_pem(key) : NULL;
    run.server[which].cert = x != NULL ? cert_pem(x) : NULL;
    ok = run.server[which].key != NULL && run.server[which].cert != NULL;
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

static void generate(void)
{
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *other_key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *other = NULL;
    bool ok;

    ok = ca_key != NULL && other_key != NULL &&
         (ca = make_cert(ca_key, "authcheck run CA", -3600, 2 * DAY, NULL, NULL,
                         NULL)) != NULL &&
         (other = make_cert(other_key, "authcheck untrusted CA", -3600, 2 * DAY,
                            NULL, NULL, NULL)) != NULL &&
         (run.ca_pem = cert_pem(ca)) != NULL &&
         make_server(AC_TLS_VALID, ca, ca_key) &&
         make_server(AC_TLS_WRONG_NAME, ca, ca_key) &&
         make_server(AC_TLS_EXPIRED, ca, ca_key) &&
         make_server(AC_TLS_UNTRUSTED, other, other_key);
    if (!ok) {
        snprintf(run.why, sizeof(run.why),
                 "cannot generate the run's TLS certificates (OpenSSL)");
    }
    run.ok = ok;
    X509_free(ca);
    X509_free(other);
    EVP_PKEY_free(ca_key); /* the CA keys die here: no later signing */
    EVP_PKEY_free(other_key);
}

static bool ready(struct ac_err *err)
{
    pthread_once(&run.once, generate);
    if (!run.ok) {
        AC_ERR(err, AC_ERR_CRYPTO, "%s", run.why);
    }
    return run.ok;
}

bool ac_tls_server_pems(enum ac_tls_cert which, const char **key,
                        const char **cert, struct ac_err *err)
{
    if (which >= AC_TLS_NCERTS) {
        AC_ERR(err, AC_ERR_USAGE, "unknown TLS certificate kind %d",
               (int)which);
        return false;
    }
    if (!ready(err)) {
        return false;
    }
    *key = run.server[which].key;
    *cert = run.server[which].cert;
    return true;
}

const char *ac_tls_ca_pem(struct ac_err *err)
{
    return ready(err) ? run.ca_pem : NULL;
}

bool ac_tls_write_ca(const char *path, struct ac_err *err)
{
    const char *pem = ac_tls_ca_pem(err);
    size_t n = pem != NULL ? strlen(pem) : 0;
    int fd;
    bool ok;

    if (pem == NULL) {
        return false;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ok = fd >= 0 && write(fd, pem, n) == (ssize_t)n;
    if (fd < 0 || close(fd) != 0 || !ok) {
        AC_ERR(err, AC_ERR_IO, "cannot write the CA certificate %s: %s", path,
               strerror(errno));
        return false;
    }
    return true;
}
