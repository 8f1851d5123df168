/* The one libcurl wrapper, shared by the reference client and the harness
 * (headless browser, server-side checks).
 *
 * It lives in common/ rather than client/ so that libcurl is wrapped exactly
 * once (STYLE.md §9); see docs/ARCHITECTURE.md. Every transfer has an error
 * buffer, CURLOPT_NOSIGNAL, connect and total timeouts, a capped body, a
 * header callback, protocols limited to http/https and NO automatic redirect
 * following: the flows must see each 302. */
#ifndef AC_HTTPC_H
#define AC_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct ac_http_header {
    char *name; /* as received */
    char *value;
};

struct ac_http_request {
    const char *method; /* "GET" when NULL */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated;
                                   may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;            /* strlen(body) when 0 and body != NULL */
    long connect_timeout_ms;    /* 0: 5000 */
    long timeout_ms;            /* 0: 30000 */
    size_t max_body;            /* 0: AC_BUF_DEFAULT_MAX */
    /* TLS is always verified (peer certificate and host name), against
     * the CA bundle named by $CURL_CA_BUNDLE or $SSL_CERT_FILE (and the
     * directory $SSL_CERT_DIR) when set, else libcurl's built-in bundle.
     * The two members below exist for the reference client's mutation
     * build only (client/lib/mutations.c: a client that skips
     * verification, one that follows redirects anywhere); nothing else
     * sets them. */
    bool mutant_no_tls_verify;
    bool mutant_follow_redirects;
    /* The CA bundle (PEM file) to trust instead of $CURL_CA_BUNDLE /
     * $SSL_CERT_FILE, or NULL (the harness's in-process user agent: the
     * per-run CA its client gets in those variables). */
    const char *ca_file;
    /* Asked while the transfer runs (libcurl's progress callback: at
     * least about once a second, more often while data flows); true
     * aborts it. NULL: never. The harness's in-process user agent reads
     * its client's output and gives up on a gone client from it. */
    bool (*stop)(void *arg);
    void *stop_arg;
};

struct ac_http_response {
    long status;
    struct ac_http_header *headers; /* in order; repeated names kept */
    size_t nheaders;
    char *body; /* NUL-terminated, "" when empty */
    size_t body_len;
};

/* Called after every transfer (success or not) when set; used for -v
 * traces. `resp` is NULL when the transfer failed. */
typedef void (*ac_http_trace_fn)(const struct ac_http_request *req,
                                 const struct ac_http_response *resp,
                                 void *arg);
void ac_http_set_trace(ac_http_trace_fn fn, void *arg);

/* Call once per process before any transfer (curl_global_init). */
bool ac_http_global_init(struct ac_err *err);
void ac_http_global_cleanup(void);

/* Perform one request. Returns false only when no HTTP response was had
 * (connect refused, timeout, body over cap: AC_ERR_NET / AC_ERR_TIMEOUT /
 * AC_ERR_TOOBIG); any HTTP status is a success here. `resp` owns its data
 * (ac_http_response_free). */
bool ac_http_do(const struct ac_http_request *req,
                struct ac_http_response *resp, struct ac_err *err);

/* First header value with this name (case-insensitive), borrowed, or NULL. */
const char *ac_http_header_get(const struct ac_http_response *resp,
                               const char *name);

/* All values of a header (borrowed pointers into resp) into `out` (up to
 * `max`); returns the count. For WWW-Authenticate across lines. */
size_t ac_http_header_all(const struct ac_http_response *resp, const char *name,
                          const char **out, size_t max);

void ac_http_response_free(struct ac_http_response *resp);

#endif
