/* The run's TLS certificate authority: made on first use, once per process
 * (so once per `authcheck run`, however many scenarios use it), held in
 * memory only. Nothing here writes a private key anywhere; the CA
 * certificate (public) is what the client under test is told to trust.
 *
 * Keys are EC P-256: a key pair costs well under a millisecond, where
 * RSA-2048 costs tens, and every TLS stack a client may use accepts it. */
#ifndef AC_TLSCA_H
#define AC_TLSCA_H

#include <stdbool.h>

#include "common/err.h"

/* The server certificates the CA set offers. */
enum ac_tls_cert {
    AC_TLS_VALID,      /* for 127.0.0.1 and localhost, from the run's CA */
    AC_TLS_WRONG_NAME, /* from the run's CA, for wrong-name.authcheck.invalid
                          only */
    AC_TLS_EXPIRED,    /* for 127.0.0.1 and localhost, expired yesterday */
    AC_TLS_UNTRUSTED,  /* for 127.0.0.1 and localhost, from a second CA
                          the client is never told about */
    AC_TLS_NCERTS
};

/* The name of a certificate kind as scenarios write it ("valid",
 * "wrong-name", "expired", "untrusted-ca"), and back; false when unknown. */
const char *ac_tls_cert_name(enum ac_tls_cert which);
bool ac_tls_cert_parse(const char *name, enum ac_tls_cert *out);

/* The run's CA set, generated at the first call (thread-safe). On success
 * *key_pem (PKCS#8) and *cert_pem (the leaf, PEM) are borrowed strings
 * valid until the process ends. */
bool ac_tls_server_pems(enum ac_tls_cert which, const char **key_pem,
                        const char **cert_pem, struct ac_err *err);

/* The PEM certificate of the run's CA (the trust anchor a client gets),
 * borrowed until the process ends; NULL on failure (err says why). */
const char *ac_tls_ca_pem(struct ac_err *err);

/* Write the CA certificate to `path` (0644, replaced if present). */
bool ac_tls_write_ca(const char *path, struct ac_err *err);

#endif
