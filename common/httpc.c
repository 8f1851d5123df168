/* The one libcurl wrapper (STYLE.md §9): error buffer, NOSIGNAL, connect and
 * total timeouts, capped body and headers, every header kept in order,
 * http/https only, no proxy from the environment and no redirect
 * following, so the flows see every 302. */
#include "common/httpc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/buf.h"

/* Response headers beyond this (in bytes, all lines together) abort the
 * transfer: a hostile peer must not make us allocate without bound. */
#define HEADERS_MAX (256u * 1024u)

static ac_http_trace_fn trace_fn;
static void *trace_arg;

/* State shared with the libcurl callbacks during one transfer. */
struct transfer {
    struct ac_buf body;
    struct ac_http_header *headers;
    size_t nheaders;
    size_t header_bytes;
    bool too_big;
    bool nomem;
};

void ac_http_set_trace(ac_http_trace_fn fn, void *arg)
{
    trace_fn = fn;
    trace_arg = arg;
}

bool ac_http_global_init(struct ac_err *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (rc != CURLE_OK) {
        AC_ERR(err, AC_ERR_NET, "curl_global_init: %s", curl_easy_strerror(rc));
        return false;
    }
    return true;
}

void ac_http_global_cleanup(void)
{
    curl_global_cleanup();
}

static void free_headers(struct ac_http_header *h, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

void ac_http_response_free(struct ac_http_response *resp)
{
    if (resp == NULL) {
        return;
    }
    free_headers(resp->headers, resp->nheaders);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    struct ac_err e;

    if (!ac_buf_append(&t->body, p, size * nmemb, &e)) {
        t->too_big = e.code == AC_ERR_TOOBIG;
        t->nomem = e.code == AC_ERR_NOMEM;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return size * nmemb;
}

/* Trim OWS at both ends of [p, p+n) in place; returns the new start. */
static const char *trim(const char *p, size_t *n)
{
    while (*n > 0 && (p[0] == ' ' || p[0] == '\t')) {
        p++;
        (*n)--;
    }
    while (*n > 0 && (p[*n - 1] == ' ' || p[*n - 1] == '\t' ||
                      p[*n - 1] == '\r' || p[*n - 1] == '\n')) {
        (*n)--;
    }
    return p;
}

/* RFC 9112 §5.2 obs-fold: a continuation line joins the previous value. */
static bool fold_header(struct transfer *t, const char *p, size_t n)
{
    struct ac_http_header *h = &t->headers[t->nheaders - 1];
    size_t old = strlen(h->value);
    char *v = realloc(h->value, old + 1 + n + 1);

    if (v == NULL) {
        return false;
    }
    v[old] = ' ';
    memcpy(v + old + 1, p, n);
    v[old + 1 + n] = '\0';
    h->value = v;
    return true;
}

static bool add_header(struct transfer *t, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n), *v;
    struct ac_http_header *nh;
    size_t vlen;

    if (colon == NULL || colon == line) {
        return true; /* not a header field: ignored */
    }
    nh = realloc(t->headers, (t->nheaders + 1) * sizeof(*nh));
    if (nh == NULL) {
        return false;
    }
    t->headers = nh;
    vlen = n - (size_t)(colon + 1 - line);
    v = trim(colon + 1, &vlen);
    nh[t->nheaders].name = strndup(line, (size_t)(colon - line));
    nh[t->nheaders].value = strndup(v, vlen);
    t->nheaders++;
    return nh[t->nheaders - 1].name != NULL &&
           nh[t->nheaders - 1].value != NULL;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    size_t n = size * nmemb, len = n;
    bool ok = true;

    t->header_bytes += n;
    if (t->header_bytes > HEADERS_MAX) {
        t->too_big = true;
        return 0;
    }
    /* A status line starts a new response (after 1xx interim responses
     * such as 100 Continue): only the final response's headers count. */
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        free_headers(t->headers, t->nheaders);
        t->headers = NULL;
        t->nheaders = 0;
        return n;
    }
    if (len > 0 && (p[0] == ' ' || p[0] == '\t') && t->nheaders > 0) {
        const char *v = trim(p, &len);
        ok = fold_header(t, v, len);
    } else {
        trim(p, &len);
        if (len > 0) {
            ok = add_header(t, p, len);
        }
    }
    if (!ok) {
        t->nomem = true;
        return 0;
    }
    return n;
}

static bool has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);

    for (; headers != NULL && *headers != NULL; headers++) {
        if (strncasecmp(*headers, name, n) == 0 && (*headers)[n] == ':') {
            return true;
        }
    }
    return false;
}

/* The caller's headers, plus "Expect:" so that libcurl never waits for a
 * 100 Continue on larger bodies: mocks see plain requests. */
static struct curl_slist *build_headers(const struct ac_http_request *req,
                                        bool *ok)
{
    struct curl_slist *list = NULL, *nl;
    const char *const *h;

    *ok = true;
    for (h = req->headers; h != NULL && *h != NULL; h++) {
        nl = curl_slist_append(list, *h);
        if (nl == NULL) {
            *ok = false;
            return list;
        }
        list = nl;
    }
    if (!has_header(req->headers, "Expect")) {
        nl = curl_slist_append(list, "Expect:");
        *ok = nl != NULL;
        list = nl != NULL ? nl : list;
    }
    return list;
}

/* Method and body. libcurl's POSTFIELDS makes a POST; any other method with
 * a body, or without one, goes through CUSTOMREQUEST. */
static void set_method(CURL *c, const struct ac_http_request *req)
{
    const char *m = req->method != NULL ? req->method : "GET";
    size_t blen;

    if (req->body != NULL) {
        blen = req->body_len != 0 ? req->body_len : strlen(req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        if (strcmp(m, "POST") != 0) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
        }
    } else if (strcmp(m, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
    }
}

/* The environment's trust anchors, as curl(1), OpenSSL and most TLS
 * stacks read them: a per-run CA for authcheck's HTTPS mocks. libcurl
 * itself reads none of these variables, so we do. */
static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

static bool set_tls(CURL *c, const struct ac_http_request *req)
{
    const char *file = req->ca_file != NULL && *req->ca_file != '\0'
                           ? req->ca_file
                           : env_nonempty("CURL_CA_BUNDLE");
    const char *dir = env_nonempty("SSL_CERT_DIR");
    long verify = req->mutant_no_tls_verify ? 0L : 1L;
    bool ok = true;

    if (file == NULL) {
        file = env_nonempty("SSL_CERT_FILE");
    }
    if (file != NULL) {
        ok &= curl_easy_setopt(c, CURLOPT_CAINFO, file) == CURLE_OK;
    }
    if (dir != NULL) {
        ok &= curl_easy_setopt(c, CURLOPT_CAPATH, dir) == CURLE_OK;
    }
    ok &= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify * 2) == CURLE_OK;
    return ok;
}

/* CURLOPT_XFERINFOFUNCTION: non-zero aborts the transfer. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    const struct ac_http_request *req = arg;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return req->stop(req->stop_arg) ? 1 : 0;
}

static bool setup(CURL *c, const struct ac_http_request *req,
                  struct transfer *t, char *errbuf, struct curl_slist *hdrs)
{
    long cto = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000;
    long to = req->timeout_ms > 0 ? req->timeout_ms : 30000;
    bool ok = true;

    ok &= curl_easy_setopt(c, CURLOPT_URL, req->url) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cto) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, to) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500 /* CURLOPT_PROTOCOLS_STR: 7.85.0 */
    ok &= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
    ok &=
        curl_easy_setopt(c, CURLOPT_PROTOCOLS,
                         (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
    ok &= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION,
                           req->mutant_follow_redirects ? 1L : 0L) == CURLE_OK;
    ok &= set_tls(c, req);
    /* The mocks are on loopback: an http_proxy in the environment must
     * not capture their traffic. */
    ok &= curl_easy_setopt(c, CURLOPT_PROXY, "") == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_WRITEDATA, t) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_HEADERDATA, t) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK;
    if (req->stop != NULL) {
        ok &= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) ==
              CURLE_OK;
        ok &= curl_easy_setopt(c, CURLOPT_XFERINFODATA, req) == CURLE_OK;
        ok &= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    }
    set_method(c, req);
    return ok;
}

static bool url_scheme_ok(const char *url)
{
    return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
                           strncasecmp(url, "https://", 8) == 0);
}

/* Map a failed transfer to our error codes. */
static void transfer_error(CURLcode rc, const struct transfer *t,
                           const char *errbuf, const char *url,
                           struct ac_err *err)
{
    const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);

    if (t->too_big) {
        AC_ERR(err, AC_ERR_TOOBIG, "%.120s: response over the size cap", url);
    } else if (t->nomem || rc == CURLE_OUT_OF_MEMORY) {
        AC_ERR(err, AC_ERR_NOMEM, "%.120s: out of memory", url);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        AC_ERR(err, AC_ERR_TIMEOUT, "%.120s: %s", url, why);
    } else {
        AC_ERR(err, AC_ERR_NET, "%.120s: %s", url, why);
    }
}

bool ac_http_do(const struct ac_http_request *req,
                struct ac_http_response *resp, struct ac_err *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct transfer t = {0};
    struct curl_slist *hdrs = NULL;
    CURL *c = NULL;
    CURLcode rc;
    bool ok = false, built;

    memset(resp, 0, sizeof(*resp));
    ac_buf_init(&t.body, req->max_body);
    if (!url_scheme_ok(req->url)) {
        AC_ERR(err, AC_ERR_INVALID, "not an http(s) URL: %.120s",
               req->url != NULL ? req->url : "(null)");
        goto out;
    }
    c = curl_easy_init();
    hdrs = build_headers(req, &built);
    if (c == NULL || !built || !setup(c, req, &t, errbuf, hdrs)) {
        AC_ERR(err, AC_ERR_NOMEM, "setting up a transfer failed");
        goto out;
    }
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        transfer_error(rc, &t, errbuf, req->url, err);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->body_len = t.body.len;
    resp->body = ac_buf_steal(&t.body);
    resp->headers = t.headers;
    resp->nheaders = t.nheaders;
    t.headers = NULL;
    t.nheaders = 0;
    ok = resp->body != NULL;
    if (!ok) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        ac_http_response_free(resp);
    }
out:
    if (trace_fn != NULL) {
        trace_fn(req, ok ? resp : NULL, trace_arg);
    }
    free_headers(t.headers, t.nheaders);
    ac_buf_free(&t.body);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return ok;
}

const char *ac_http_header_get(const struct ac_http_response *resp,
                               const char *name)
{
    size_t i;

    if (resp == NULL || name == NULL) {
        return NULL;
    }
    for (i = 0; i < resp->nheaders; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0) {
            return resp->headers[i].value;
        }
    }
    return NULL;
}

size_t ac_http_header_all(const struct ac_http_response *resp, const char *name,
                          const char **out, size_t max)
{
    size_t i, n = 0;

    if (resp == NULL || name == NULL) {
        return 0;
    }
    for (i = 0; i < resp->nheaders && n < max; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0) {
            out[n++] = resp->headers[i].value;
        }
    }
    return n;
}
