/* The harness's own loopback listener (server_int.h hsv_listen_*): where
 * `--login CMD` brings the authorization response (the redirect URI is
 * ours), and where client ID metadata documents are served to the
 * authorization server under test. It only answers: every request is
 * counted by path and the first one to each path kept (URL with query), so
 * a probe can ask afterwards whether the server fetched a document, and
 * what came back to the callback. libmicrohttpd, one polling thread, on
 * 127.0.0.1 (never another interface). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/form.h"
#include "harness/server_int.h"
#include "mocks/httpd.h"

#define MAX_ROUTES 16
#define MAX_SEEN 64

struct route {
    char *path;
    char *body;     /* JSON document, or NULL */
    char *location; /* 302 target, or NULL */
};

struct seen {
    char *path;
    char *url; /* first request: path?query */
    int hits;
};

struct hsv_listener {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    struct route routes[MAX_ROUTES];
    size_t nroutes;
    struct seen seen[MAX_SEEN];
    size_t nseen;
    char *key_pem, *cert_pem; /* https: the self-signed pair */
    bool tls;
    bool tls_ref; /* holds a mo_tls_library_acquire reference */
};

static const char DONE_PAGE[] =
    "<!doctype html><title>authcheck</title><p>authcheck has the "
    "authorization response; you can close this window.</p>";

/* Query string of the request, rebuilt from its arguments. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    char **q = cls;
    char *k = ac_pct_encode(key), *v = value ? ac_pct_encode(value) : NULL;
    char *n = NULL;

    (void)kind;
    if (k != NULL && asprintf(&n, "%s%s%s%s%s", *q ? *q : "", *q ? "&" : "", k,
                              v ? "=" : "", v ? v : "") >= 0) {
        free(*q);
        *q = n;
    }
    free(k);
    free(v);
    return MHD_YES;
}

static void note(struct hsv_listener *l, const char *path, const char *query)
{
    struct seen *s = NULL;

    for (size_t i = 0; i < l->nseen && s == NULL; i++) {
        s = strcmp(l->seen[i].path, path) == 0 ? &l->seen[i] : NULL;
    }
    if (s == NULL && l->nseen < MAX_SEEN) {
        s = &l->seen[l->nseen++];
        s->path = strdup(path);
        if (asprintf(&s->url, "%s://127.0.0.1:%d%s%s%s",
                     l->tls ? "https" : "http", l->port, path, query ? "?" : "",
                     query ? query : "") < 0) {
            s->url = NULL;
        }
    }
    if (s != NULL) {
        s->hits++;
    }
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *ctype, const char *body,
                             const char *location)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;

    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (location != NULL) {
        MHD_add_response_header(r, "Location", location);
    }
    ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    struct hsv_listener *l = cls;
    char *query = NULL;
    enum MHD_Result ok;
    const struct route *rt = NULL;

    (void)version;
    (void)upload;
    if (*req_cls == NULL) { /* first call: headers only */
        *req_cls = l;
        return MHD_YES;
    }
    if (*upload_size > 0) { /* a body is not wanted: dropped */
        *upload_size = 0;
        return MHD_YES;
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &query);
    pthread_mutex_lock(&l->lock);
    note(l, url, query);
    for (size_t i = 0; i < l->nroutes && rt == NULL; i++) {
        rt = strcmp(l->routes[i].path, url) == 0 ? &l->routes[i] : NULL;
    }
    if (strcmp(method, "GET") != 0) {
        ok = reply(c, 405, "text/plain", "method not allowed\n", NULL);
    } else if (rt != NULL && rt->location != NULL) {
        ok = reply(c, 302, "text/plain", "", rt->location);
    } else if (rt != NULL) {
        ok = reply(c, 200, "application/json", rt->body, NULL);
    } else {
        /* Anything else is a redirect-URI callback (or a stray): a page
         * the user's browser can show. */
        ok = reply(c, 200, "text/html; charset=utf-8", DONE_PAGE, NULL);
    }
    pthread_mutex_unlock(&l->lock);
    free(query);
    return ok;
}

/* PEM text of a memory BIO, a new string. */
static char *bio_text(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);

    return n > 0 ? strndup(p, (size_t)n) : NULL;
}

/* A P-256 key and a self-signed certificate for IP 127.0.0.1, valid one
 * day (the --cimd-https documents; the AS under test must be told to
 * accept it). */
static bool self_signed(struct hsv_listener *l)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *n = NULL;
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    bool ok = k != NULL && x != NULL && kb != NULL && cb != NULL;

    if (ok) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, k);
        n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                   (const unsigned char *)"127.0.0.1", -1, -1,
                                   0);
        X509_set_issuer_name(x, n);
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
                                  "IP:127.0.0.1");
        ok = ext != NULL && X509_add_ext(x, ext, -1) == 1 &&
             X509_sign(x, k, EVP_sha256()) > 0 &&
             PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) == 1 &&
             PEM_write_bio_X509(cb, x) == 1;
    }
    if (ok) {
        l->key_pem = bio_text(kb);
        l->cert_pem = bio_text(cb);
        ok = l->key_pem != NULL && l->cert_pem != NULL;
    }
    X509_EXTENSION_free(ext);
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(kb);
    BIO_free(cb);
    return ok;
}

bool hsv_listen_start(int port, struct hsv_listener **out, char *why,
                      size_t whylen)
{
    return hsv_listen_start_tls(port, false, out, why, whylen);
}

bool hsv_listen_start_tls(int port, bool tls, struct hsv_listener **out,
                          char *why, size_t whylen)
{
    struct hsv_listener *l = calloc(1, sizeof(*l));
    struct sockaddr_in sin = {0};
    const union MHD_DaemonInfo *info;

    *out = NULL;
    if (l == NULL) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    pthread_mutex_init(&l->lock, NULL);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (tls && !self_signed(l)) {
        snprintf(why, whylen, "cannot make a self-signed certificate");
        hsv_listen_stop(l);
        return false;
    }
    l->tls = tls;
    if (tls) {
        struct ac_err err = {0};

        if (!mo_tls_library_acquire(&err)) {
            snprintf(why, whylen, "%s", err.msg);
            hsv_listen_stop(l);
            return false;
        }
        l->tls_ref = true;
    }
    l->d = tls ? MHD_start_daemon(
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS,
                     (uint16_t)port, NULL, NULL, handle, l,
                     MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_CONNECTION_TIMEOUT,
                     10u, MHD_OPTION_HTTPS_MEM_KEY, l->key_pem,
                     MHD_OPTION_HTTPS_MEM_CERT, l->cert_pem, MHD_OPTION_END)
               : MHD_start_daemon(
                     MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL,
                     NULL, handle, l, MHD_OPTION_SOCK_ADDR, &sin,
                     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    info = l->d ? MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (info == NULL) {
        snprintf(why, whylen, "cannot listen on 127.0.0.1:%d", port);
        hsv_listen_stop(l);
        return false;
    }
    l->port = info->port;
    *out = l;
    return true;
}

int hsv_listen_port(const struct hsv_listener *l)
{
    return l != NULL ? l->port : 0;
}

static bool add_route(struct hsv_listener *l, const char *path,
                      const char *body, const char *location)
{
    struct route *r;
    bool ok;

    pthread_mutex_lock(&l->lock);
    ok = l->nroutes < MAX_ROUTES;
    if (ok) {
        r = &l->routes[l->nroutes];
        r->path = strdup(path);
        r->body = body ? strdup(body) : NULL;
        r->location = location ? strdup(location) : NULL;
        ok = r->path != NULL && (body == NULL || r->body != NULL) &&
             (location == NULL || r->location != NULL);
        l->nroutes += ok;
    }
    pthread_mutex_unlock(&l->lock);
    return ok;
}

bool hsv_listen_doc(struct hsv_listener *l, const char *path, const char *json)
{
    return add_route(l, path, json, NULL);
}

bool hsv_listen_redirect(struct hsv_listener *l, const char *path,
                         const char *location)
{
    return add_route(l, path, "", location);
}

int hsv_listen_hits(struct hsv_listener *l, const char *path)
{
    int n = 0;

    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->nseen; i++) {
        n += strcmp(l->seen[i].path, path) == 0 ? l->seen[i].hits : 0;
    }
    pthread_mutex_unlock(&l->lock);
    return n;
}

char *hsv_listen_first(struct hsv_listener *l, const char *path)
{
    char *u = NULL;

    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->nseen && u == NULL; i++) {
        if (strcmp(l->seen[i].path, path) == 0 && l->seen[i].url != NULL) {
            u = strdup(l->seen[i].url);
        }
    }
    pthread_mutex_unlock(&l->lock);
    return u;
}

void hsv_listen_forget(struct hsv_listener *l, const char *path)
{
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->nseen; i++) {
        if (strcmp(l->seen[i].path, path) == 0) {
            free(l->seen[i].path);
            free(l->seen[i].url);
            l->seen[i] = l->seen[--l->nseen];
            break;
        }
    }
    pthread_mutex_unlock(&l->lock);
}

void hsv_listen_stop(struct hsv_listener *l)
{
    if (l == NULL) {
        return;
    }
    if (l->d != NULL) {
        MHD_stop_daemon(l->d);
    }
    if (l->tls_ref) {
        mo_tls_library_release();
    }
    for (size_t i = 0; i < l->nroutes; i++) {
        free(l->routes[i].path);
        free(l->routes[i].body);
        free(l->routes[i].location);
    }
    for (size_t i = 0; i < l->nseen; i++) {
        free(l->seen[i].path);
        free(l->seen[i].url);
    }
    pthread_mutex_destroy(&l->lock);
    free(l->key_pem);
    free(l->cert_pem);
    free(l);
}
