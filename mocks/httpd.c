/* The libmicrohttpd wrapper (see httpd.h). Owns the daemon, the route
 * table and every in-flight request; turns finished exchanges into
 * transcript entries. */
#include "mocks/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "common/b64url.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "mocks/transcript.h"

/* Bodies larger than this are cut in the transcript (the handler saw them
 * whole). */
#define TRANSCRIPT_BODY_MAX (64u * 1024u)

/* libmicrohttpd's per-connection memory pool (request line, headers, read
 * and write buffers; bodies go to our own capped buffer in chunks). The
 * default 32 KiB is zeroed again for every keep-alive request; 16 KiB
 * still holds 12+ KiB of request headers (more gets 431). */
#define CONN_MEMORY (16u * 1024u)

/* Stack of libmicrohttpd's threads: handlers use a few KiB of buffers
 * (consent page 4 KiB, paths 1 KiB) and OpenSSL signing; 256 KiB is ample
 * where the default would reserve 8 MiB per thread. */
#define THREAD_STACK (256u * 1024u)
#define TIMER_STACK (64u * 1024u)
/* A declared oversized body up to this size is read (and dropped) before
 * the 413; a larger one is refused unread (refuse_unread). */
#define DISCARD_MAX (4u * MO_HTTPD_BODY_MAX)

struct route {
    char *method;
    char *path;
    char *endpoint;
    char *server; /* the transcript's server name, NULL: the httpd's */
    mo_handler_fn fn;
    void *ctx;
};

/* A suspended request waiting for the timer thread (delay) or for the
 * server to stop (hang). */
struct held {
    struct request *r;
    struct MHD_Connection *conn;
    int64_t due_ns; /* INT64_MAX: hang */
};

struct mo_httpd {
    char *server;
    mo_before_fn before; /* hooks, may be NULL */
    mo_after_fn after;
    void *hook_ctx;
    /* Suspended requests; the timer thread resumes them when due. */
    pthread_mutex_t tlock;
    pthread_cond_t tcond;
    pthread_t timer;
    bool timer_running;
    bool stopping;
    struct held *held;
    size_t nheld, heldcap;
    struct mo_transcript *transcript; /* borrowed */
    pthread_mutex_t *lock;            /* borrowed, may be NULL */
    struct route *routes;
    size_t nroutes;
    size_t body_max;
    unsigned threads; /* > 1: an epoll thread pool of that size */
    struct MHD_Daemon *daemon;
    int listen_fd; /* ours until libmicrohttpd takes it; -1 otherwise */
    uint16_t port;
    char origin[64];
    const char *host;     /* the origin's host; NULL: 127.0.0.1 */
    const char *tls_key;  /* borrowed PEM; NULL: plain http */
    const char *tls_cert; /* borrowed PEM */
};

/* A TLS connection's socket context: did a request arrive on it? Until
 * one does (or it closes) the connection holds the transcript
 * (mo_transcript_hold): a client that gave up after a failed handshake has
 * exited before this server's thread saw the close, and the snapshot the
 * harness takes then must still find the "tls" exchange it records. */
struct conn {
    int64_t t_ns;
    size_t requests;
    bool held;
};

/* One request from its request line to the completion callback. */
struct request {
    struct mo_httpd *h;
    int64_t t_ns;
    char *target; /* raw request target as received */
    char *path;
    char *query;
    char *method;
    struct mo_header *headers;
    size_t nheaders;
    size_t hcap;
    struct ac_buf body;
    bool started;
    bool too_big;
    bool queued;
    const struct route *route; /* NULL: no route for this method + path */
    bool path_known;           /* some route has this path */
    bool built;                /* rep is final (after hooks) */
    bool dropped;              /* a rule closed the connection */
    bool recorded;             /* already in the transcript (a hang) */
    struct mo_fx fx;
    struct mo_reply rep;
};

/* --- request accessors ---------------------------------------------- */

/* The first header `name` of `v` (n entries), or NULL. */
static const char *find_header(const struct mo_header *v, size_t n,
                               const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(v[i].name, name) == 0) {
            return v[i].value;
        }
    }
    return NULL;
}

const char *mo_req_header(const struct mo_req *req, const char *name)
{
    return find_header(req->headers, req->nheaders, name);
}

size_t mo_req_header_count(const struct mo_req *req, const char *name)
{
    size_t n = 0;

    for (size_t i = 0; i < req->nheaders; i++) {
        n += strcasecmp(req->headers[i].name, name) == 0;
    }
    return n;
}

bool mo_req_content_type_is(const struct mo_req *req, const char *type)
{
    const char *ct = mo_req_header(req, "Content-Type");
    size_t n = strlen(type);

    if (ct == NULL) {
        return false;
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    if (strncasecmp(ct, type, n) != 0) {
        return false;
    }
    ct += n;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

bool mo_req_basic(const struct mo_req *req, char **id, char **secret)
{
    const char *hdr = mo_req_header(req, "Authorization");
    uint8_t *raw = NULL;
    size_t n = 0;
    char *colon, *sec = NULL;
    bool ok = false;

    *id = NULL;
    if (hdr == NULL || strncasecmp(hdr, "Basic ", 6) != 0) {
        goto out;
    }
    hdr += 6 + strspn(hdr + 6, " ");
    if (!ac_b64_decode(hdr, strlen(hdr), &raw, &n, NULL)) {
        goto out;
    }
    colon = memchr(raw, ':', n);
    if (colon != NULL && memchr(raw, '\0', n) == NULL) {
        *id = ac_pct_decode((char *)raw, (size_t)(colon - (char *)raw), true,
                            NULL);
        sec = ac_pct_decode(colon + 1, n - (size_t)(colon + 1 - (char *)raw),
                            true, NULL);
        ok = *id != NULL && sec != NULL;
    }
out:
    ac_secret_free((char *)raw);
    if (!ok) {
        free(*id);
        *id = NULL;
        ac_secret_free(sec);
        sec = NULL;
    }
    if (secret != NULL) {
        *secret = sec;
    } else {
        ac_secret_free(sec);
    }
    return ok;
}

/* --- replies -------------------------------------------------------- */

static void reply_init(struct mo_reply *rep)
{
    memset(rep, 0, sizeof(*rep));
}

void mo_reply_clear(struct mo_reply *rep)
{
    for (size_t i = 0; i < rep->nheaders; i++) {
        free(rep->headers[i].name);
        free(rep->headers[i].value);
    }
    free(rep->headers);
    free(rep->body);
    reply_init(rep);
}

static bool header_push(struct mo_header **arr, size_t *n, size_t *cap,
                        const char *name, const char *value)
{
    char *nm;
    char *val;

    if (*n == *cap) {
        size_t ncap = *cap != 0 ? *cap * 2 : 8;
        struct mo_header *p = realloc(*arr, ncap * sizeof(*p));

        if (p == NULL) {
            return false;
        }
        *arr = p;
        *cap = ncap;
    }
    nm = strdup(name);
    val = strdup(value != NULL ? value : "");
    if (nm == NULL || val == NULL) {
        free(nm);
        free(val);
        return false;
    }
    (*arr)[*n].name = nm;
    (*arr)[*n].value = val;
    (*n)++;
    return true;
}

bool mo_reply_header(struct mo_reply *rep, const char *name, const char *value)
{
    return header_push(&rep->headers, &rep->nheaders, &rep->cap, name, value);
}

bool mo_reply_body(struct mo_reply *rep, int status, const char *ctype,
                   const char *body, size_t len)
{
    char *copy = NULL;

    if (body != NULL && len > 0) {
        copy = malloc(len + 1);
        if (copy == NULL) {
            return false;
        }
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    if (ctype != NULL && !mo_reply_header(rep, "Content-Type", ctype)) {
        free(copy);
        return false;
    }
    free(rep->body);
    rep->body = copy;
    rep->body_len = copy != NULL ? len : 0;
    rep->status = status;
    return true;
}

bool mo_reply_json(struct mo_reply *rep, int status, const json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    bool ok;

    if (text == NULL) {
        return false;
    }
    ok = mo_reply_body(rep, status, "application/json", text, strlen(text));
    free(text);
    return ok;
}

void mo_oauth_text(char *dst, size_t n, const char *src)
{
    size_t i = 0;

    if (src == NULL) {
        src = "";
    }
    for (; n > 0 && i < n - 1 && src[i] != '\0'; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c == '"' || c == '\\'  ? '\''
                 : c < 0x20 || c > 0x7e ? '?'
                                        : (char)c;
    }
    if (n > 0) {
        dst[i] = '\0';
    }
}

bool mo_reply_oauth_error(struct mo_reply *rep, int status, const char *code,
                          const char *description)
{
    char desc[MO_OAUTH_TEXT_MAX];
    json_t *doc;
    bool ok;

    if (description != NULL) {
        mo_oauth_text(desc, sizeof desc, description);
    }
    doc = json_pack("{s:s, s:s*}", "error", code, "error_description",
                    description != NULL ? desc : NULL);
    if (doc == NULL) {
        return false;
    }
    /* RFC 6749 §5.1/§5.2: token endpoint answers are not cacheable. */
    ok = mo_reply_json(rep, status, doc) &&
         mo_reply_header(rep, "Cache-Control", "no-store") &&
         mo_reply_header(rep, "Pragma", "no-cache");
    json_decref(doc);
    return ok;
}

bool mo_reply_redirect(struct mo_reply *rep, const char *location)
{
    return mo_reply_header(rep, "Location", location) &&
           mo_reply_body(rep, 302, NULL, NULL, 0);
}

bool mo_reply_html(struct mo_reply *rep, int status, const char *html)
{
    return mo_reply_body(rep, status, "text/html; charset=utf-8", html,
                         strlen(html));
}

bool mo_reply_empty(struct mo_reply *rep, int status)
{
    return mo_reply_body(rep, status, NULL, NULL, 0);
}

/* --- server lifecycle ----------------------------------------------- */

bool mo_httpd_new(const char *server, struct mo_transcript *transcript,
                  pthread_mutex_t *lock, struct mo_httpd **out,
                  struct ac_err *err)
{
    struct mo_httpd *h = calloc(1, sizeof(*h));

    *out = NULL;
    if (h == NULL || (h->server = strdup(server)) == NULL) {
        free(h);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for server %s", server);
        return false;
    }
    h->transcript = transcript;
    h->lock = lock;
    h->body_max = MO_HTTPD_BODY_MAX;
    h->listen_fd = -1;
    pthread_mutex_init(&h->tlock, NULL);
    pthread_cond_init(&h->tcond, NULL);
    *out = h;
    return true;
}

static const struct route *route_find(const struct mo_httpd *h,
                                      const char *method, const char *path,
                                      bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < h->nroutes; i++) {
        if (strcmp(h->routes[i].path, path) != 0) {
            continue;
        }
        *path_known = true;
        if (strcmp(h->routes[i].method, method) == 0) {
            return &h->routes[i];
        }
    }
    return NULL;
}

static void route_clear(struct route *p)
{
    free(p->method);
    free(p->path);
    free(p->endpoint);
    free(p->server);
}

bool mo_httpd_route_for(struct mo_httpd *h, const char *server,
                        const char *method, const char *path,
                        const char *endpoint, mo_handler_fn fn, void *ctx,
                        struct ac_err *err)
{
    struct route *p;
    bool known;

    if (h->daemon != NULL) {
        AC_ERR(err, AC_ERR_STATE, "routes must be added before start");
        return false;
    }
    if (route_find(h, method, path, &known) != NULL) {
        return true;
    }
    p = realloc(h->routes, (h->nroutes + 1) * sizeof(*p));
    if (p == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory adding a route");
        return false;
    }
    h->routes = p;
    p = &h->routes[h->nroutes];
    p->method = strdup(method);
    p->path = strdup(path);
    p->endpoint = strdup(endpoint);
    p->server = server != NULL ? strdup(server) : NULL;
    p->fn = fn;
    p->ctx = ctx;
    if (p->method == NULL || p->path == NULL || p->endpoint == NULL ||
        (server != NULL && p->server == NULL)) {
        route_clear(p);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory adding a route");
        return false;
    }
    h->nroutes++;
    return true;
}

bool mo_httpd_route(struct mo_httpd *h, const char *method, const char *path,
                    const char *endpoint, mo_handler_fn fn, void *ctx,
                    struct ac_err *err)
{
    return mo_httpd_route_for(h, NULL, method, path, endpoint, fn, ctx, err);
}

void mo_httpd_set_hooks(struct mo_httpd *h, mo_before_fn before,
                        mo_after_fn after, void *ctx)
{
    h->before = before;
    h->after = after;
    h->hook_ctx = ctx;
}

void mo_httpd_set_threads(struct mo_httpd *h, unsigned n)
{
    h->threads = n;
}

void mo_httpd_set_host(struct mo_httpd *h, const char *host)
{
    h->host = host;
}

void mo_httpd_set_tls(struct mo_httpd *h, const char *key_pem,
                      const char *cert_pem)
{
    h->tls_key = key_pem;
    h->tls_cert = cert_pem;
}

const char *mo_httpd_origin(const struct mo_httpd *h)
{
    return h->port != 0 ? h->origin : NULL;
}

/* --- per-request plumbing ------------------------------------------- */

static void request_free(struct request *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->target);
    free(r->path);
    free(r->query);
    free(r->method);
    ac_buf_free(&r->body);
    mo_reply_clear(&r->rep);
    json_decref(r->fx.fired);
    free(r);
}

/* origin + raw target: a new string. */
static char *absolute_url(const struct request *r)
{
    size_t n = strlen(r->h->origin) + strlen(r->target) + 1;
    char *url = malloc(n);

    if (url != NULL) {
        snprintf(url, n, "%s%s", r->h->origin, r->target);
    }
    return url;
}

/* --- TLS connections ------------------------------------------------ */

static void count_request(struct mo_httpd *h, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = ci != NULL ? ci->socket_context : NULL;

    if (c != NULL) {
        c->requests++;
        if (c->held) {
            c->held = false;
            mo_transcript_release(h->transcript);
        }
    }
}

/* A TLS connection that closes before any request: the handshake failed
 * (the client refused our certificate, the usual case) or the client sent
 * nothing. Recorded as an exchange of endpoint "tls" (docs/TRANSCRIPT.md)
 * so that checks can tell a refusal from a client that never came. */
static void record_tls_refusal(struct mo_httpd *h, int64_t t_ns)
{
    struct ac_err err;
    json_t *ex = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:n, s:{s:[], s:n}, s:{s:i, s:[], "
        "s:n}, s:s}",
        "t_ns", (json_int_t)t_ns, "server", h->server, "endpoint", "tls",
        "method", "", "url", h->origin, "path", "", "query", "request",
        "headers", "body", "response", "status", 0, "headers", "body", "error",
        "TLS connection closed before any request");

    if (ex == NULL) {
        ac_log(AC_LOG_ERROR, "%s: cannot record a TLS refusal", h->server);
    } else if (!mo_transcript_append_take(h->transcript, ex, &err)) {
        ac_err_print(&err, "recording a TLS refusal");
    }
}

static bool stopping(struct mo_httpd *h)
{
    bool s;

    pthread_mutex_lock(&h->tlock);
    s = h->stopping;
    pthread_mutex_unlock(&h->tlock);
    return s;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct mo_httpd *h = cls;
    struct conn *c = *socket_context;

    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        c = calloc(1, sizeof(*c));
        if (c != NULL) {
            c->t_ns = ac_mono_ns();
            c->held = true;
            mo_transcript_hold(h->transcript);
        }
        *socket_context = c;
        return;
    }
    if (c != NULL && c->requests == 0 && !stopping(h)) {
        record_tls_refusal(h, c->t_ns);
    }
    if (c != NULL && c->held) {
        mo_transcript_release(h->transcript);
    }
    free(c);
    *socket_context = NULL;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the first sight of a request, with the raw
 * target (MHD hands the access handler a decoded path without the query).
 * The return value becomes *req_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct mo_httpd *h = cls;
    struct request *r = calloc(1, sizeof(*r));
    const char *q;

    if (r == NULL) {
        return NULL;
    }
    if (h->tls_key != NULL) {
        count_request(h, conn);
    }
    r->h = h;
    r->t_ns = ac_mono_ns();
    ac_buf_init(&r->body, h->body_max);
    reply_init(&r->rep);
    q = strchr(uri, '?');
    r->target = strdup(uri);
    r->path = q != NULL ? strndup(uri, (size_t)(q - uri)) : strdup(uri);
    r->query = q != NULL ? strdup(q + 1) : NULL;
    if (r->target == NULL || r->path == NULL || (q != NULL && !r->query)) {
        request_free(r);
        return NULL;
    }
    return r;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value)
{
    struct request *r = cls;

    (void)kind;
    if (!header_push(&r->headers, &r->nheaders, &r->hcap, key, value)) {
        return MHD_NO;
    }
    return MHD_YES;
}

/* First call of the access handler: headers are complete. */
static bool request_begin(struct request *r, struct MHD_Connection *conn,
                          const char *method)
{
    r->started = true;
    r->method = strdup(method);
    if (r->method == NULL) {
        return false;
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, r);
    r->route = route_find(r->h, r->method, r->path, &r->path_known);
    return true;
}

/* The declared body length (Content-Length), 0 when none. */
static unsigned long long declared_length(const struct request *r)
{
    const char *cl = find_header(r->headers, r->nheaders, "Content-Length");

    return cl != NULL ? strtoull(cl, NULL, 10) : 0;
}

/* Answer a declared oversized body before reading it? Yes when the client
 * waits for 100-continue (it has sent nothing yet) or the body is too
 * large to be worth reading. Otherwise it is read and discarded first:
 * a client that sends the whole body before reading would otherwise meet
 * a connection closed with its data unread, which the kernel resets, and
 * may lose the 413 with it. */
static bool refuse_unread(const struct request *r)
{
    const char *expect = find_header(r->headers, r->nheaders, "Expect");

    return (expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
           declared_length(r) > DISCARD_MAX;
}

static bool reply_not_found(struct mo_reply *rep)
{
    return mo_reply_oauth_error(rep, 404, "not_found",
                                "no resource at this path");
}

static bool reply_bad_method(const struct mo_httpd *h, const char *path,
                             struct mo_reply *rep)
{
    struct ac_buf allow;
    bool ok = true;

    ac_buf_init(&allow, 0);
    for (size_t i = 0; i < h->nroutes && ok; i++) {
        if (strcmp(h->routes[i].path, path) == 0) {
            ok = ac_buf_printf(&allow, NULL, "%s%s", allow.len ? ", " : "",
                               h->routes[i].method);
        }
    }
    ok = ok &&
         mo_reply_header(rep, "Allow", allow.data != NULL ? allow.data : "") &&
         mo_reply_oauth_error(rep, 405, "method_not_allowed",
                              "method not allowed at this path");
    ac_buf_free(&allow);
    return ok;
}

static const char *endpoint_name(const struct request *r);
static const char *server_name(const struct request *r);

/* The default answer when no route serves the request. */
static bool reply_unrouted(struct request *r)
{
    if (!r->path_known) {
        return reply_not_found(&r->rep);
    }
    return reply_bad_method(r->h, r->path, &r->rep);
}

/* Run the hooks and the route's handler (under the shared lock) into
 * r->rep. */
static void dispatch(struct request *r)
{
    struct mo_httpd *h = r->h;
    struct mo_req req = {
        .method = r->method,
        .path = r->path,
        .query = r->query,
        .url = NULL,
        .headers = r->headers,
        .nheaders = r->nheaders,
        .body = r->body.data != NULL ? r->body.data : "",
        .body_len = r->body.len,
        .endpoint = endpoint_name(r),
        .t_ns = r->t_ns,
        .server = server_name(r),
    };
    char *url = absolute_url(r);
    bool ok = false;
    bool answered = false;

    req.url = url;
    if (url == NULL) {
        goto out;
    }
    if (h->lock != NULL) {
        pthread_mutex_lock(h->lock);
    }
    if (h->before != NULL) {
        answered = h->before(h->hook_ctx, &req, &r->rep, &r->fx);
    }
    ok = answered ||
         (r->route != NULL ? r->route->fn(r->route->ctx, &req, &r->rep)
                           : reply_unrouted(r));
    if (ok && r->rep.status == 0) {
        ok = false;
    }
    if (!ok) {
        mo_reply_clear(&r->rep);
        ac_log(AC_LOG_ERROR, "%s: handler for %s %s failed", h->server,
               r->method, r->path);
        ok = mo_reply_oauth_error(&r->rep, 500, "server_error",
                                  "the mock failed internally");
    }
    if (h->after != NULL) {
        h->after(h->hook_ctx, &req, &r->rep, &r->fx);
    }
    if (h->lock != NULL) {
        pthread_mutex_unlock(h->lock);
    }
out:
    free(url);
    if (!ok || r->rep.status == 0) {
        mo_reply_clear(&r->rep);
        mo_reply_oauth_error(&r->rep, 500, "server_error",
                             "the mock failed internally");
    }
}

static void build_reply(struct request *r)
{
    if (r->too_big) {
        if (!mo_reply_oauth_error(&r->rep, 413, "invalid_request",
                                  "request body too large")) {
            mo_reply_clear(&r->rep);
            r->rep.status = 500;
        }
    } else {
        dispatch(r);
    }
    r->built = true;
}

/* --- delays and hangs (suspend/resume, never sleep) ------------------ */

static void *timer_main(void *arg)
{
    struct mo_httpd *h = arg;

    pthread_mutex_lock(&h->tlock);
    while (!h->stopping) {
        int64_t now = ac_mono_ns();
        int64_t next = INT64_MAX;
        size_t i = 0;

        while (i < h->nheld) {
            if (h->held[i].due_ns <= now) {
                MHD_resume_connection(h->held[i].conn);
                h->held[i] = h->held[--h->nheld];
                continue;
            }
            if (h->held[i].due_ns < next) {
                next = h->held[i].due_ns;
            }
            i++;
        }
        if (next == INT64_MAX) {
            pthread_cond_wait(&h->tcond, &h->tlock);
        } else {
            struct timespec ts;
            int64_t wait = next - now;

            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (time_t)(wait / 1000000000);
            ts.tv_nsec += (long)(wait % 1000000000);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&h->tcond, &h->tlock, &ts);
        }
    }
    pthread_mutex_unlock(&h->tlock);
    return NULL;
}

/* The timer thread, started (under tlock) by the first request a rule
 * delays or hangs: most servers never hold one, and a thread per server
 * and scenario was a measurable part of a scenario's start. Its stack is
 * small: timer_main has a few locals. */
static void start_timer(struct mo_httpd *h)
{
    pthread_attr_t at;

    if (pthread_attr_init(&at) != 0) {
        return;
    }
    pthread_attr_setstacksize(&at, TIMER_STACK);
    h->timer_running = pthread_create(&h->timer, &at, timer_main, h) == 0;
    pthread_attr_destroy(&at);
    if (!h->timer_running) {
        ac_log(AC_LOG_WARN, "%s: no timer thread: delays answer at once",
               h->server);
    }
}

/* Suspend the connection until `due_ns` (INT64_MAX: until stop). False
 * when it cannot be held (out of memory, stopping): answer at once. */
static bool hold(struct request *r, struct MHD_Connection *conn, int64_t due_ns)
{
    struct mo_httpd *h = r->h;
    bool ok = false;

    pthread_mutex_lock(&h->tlock);
    if (!h->stopping && !h->timer_running) {
        start_timer(h);
    }
    if (!h->stopping && h->timer_running) {
        if (h->nheld == h->heldcap) {
            size_t ncap = h->heldcap != 0 ? h->heldcap * 2 : 8;
            struct held *p = realloc(h->held, ncap * sizeof(*p));

            if (p != NULL) {
                h->held = p;
                h->heldcap = ncap;
            }
        }
        if (h->nheld < h->heldcap) {
            MHD_suspend_connection(conn);
            h->held[h->nheld++] = (struct held){r, conn, due_ns};
            pthread_cond_signal(&h->tcond);
            ok = true;
        }
    }
    pthread_mutex_unlock(&h->tlock);
    return ok;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn,
                                  struct request *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (!r->built) {
        build_reply(r);
    }
    resp = MHD_create_response_from_buffer(
        r->rep.body_len, r->rep.body != NULL ? r->rep.body : (void *)"",
        MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return MHD_NO;
    }
    for (size_t i = 0; i < r->rep.nheaders; i++) {
        if (MHD_add_response_header(resp, r->rep.headers[i].name,
                                    r->rep.headers[i].value) != MHD_YES) {
            ac_log(AC_LOG_WARN, "%s: MHD refused header %s", r->h->server,
                   r->rep.headers[i].name);
        }
    }
    ret = MHD_queue_response(conn, (unsigned int)r->rep.status, resp);
    MHD_destroy_response(resp);
    r->queued = ret == MHD_YES;
    if (r->queued) {
        /* The client may read the answer before on_completed records it:
         * snapshots wait for held exchanges. */
        mo_transcript_hold(r->h->transcript);
    }
    return ret;
}

static json_t *exchange_json(const struct request *r,
                             enum MHD_RequestTerminationCode toe);

/* A hung request is recorded when it is suspended: it completes only when
 * the server stops, after the harness has read the transcript. */
static void record_hang(struct request *r)
{
    struct ac_err err;
    json_t *ex;

    r->dropped = true;
    ex = exchange_json(r, MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (ex != NULL && mo_transcript_append_take(r->h->transcript, ex, &err)) {
        r->recorded = true;
    }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    struct request *r = *req_cls;

    (void)cls;
    (void)url;
    (void)version;
    if (r == NULL) {
        return MHD_NO;
    }
    if (!r->started) {
        if (!request_begin(r, conn, method)) {
            return MHD_NO;
        }
        /* A declared body over the cap gets 413, before it is read or
         * after it was discarded (refuse_unread). */
        if (declared_length(r) > r->h->body_max) {
            r->too_big = true;
            if (refuse_unread(r)) {
                return send_reply(conn, r);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!r->too_big && !r->queued &&
            !ac_buf_append(&r->body, upload_data, *upload_data_size, NULL)) {
            r->too_big = true; /* keep reading, answer 413 at the end */
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->queued) {
        return MHD_YES;
    }
    if (!r->built) {
        build_reply(r);
        if (r->fx.drop) {
            r->dropped = true;
            return MHD_NO;
        }
        if ((r->fx.hang || r->fx.delay_ms > 0) &&
            hold(r, conn,
                 r->fx.hang
                     ? INT64_MAX
                     : ac_mono_ns() + (int64_t)r->fx.delay_ms * 1000000)) {
            if (r->fx.hang) {
                record_hang(r);
            }
            return MHD_YES;
        }
    }
    if (r->fx.hang) {
        /* Resumed because the server stops: a hung request never gets
         * an answer. */
        r->dropped = true;
        return MHD_NO;
    }
    return send_reply(conn, r);
}

/* --- transcript entries --------------------------------------------- */

json_t *mo_json_text(const char *data, size_t len)
{
    json_t *s = json_stringn(data, len);
    char *copy;

    if (s != NULL || (copy = malloc(len + 1)) == NULL) {
        return s;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];

        copy[i] = c < 0x80 ? (char)c : '?';
    }
    s = json_stringn(copy, len);
    free(copy);
    return s;
}

/* A JSON string for a body or header value, capped (mo_json_text). An
 * empty or NULL body is null when `null_if_empty`. */
static json_t *text_value(const char *data, size_t len, bool null_if_empty)
{
    if (data == NULL || len == 0) {
        return null_if_empty ? json_null() : json_string("");
    }
    return mo_json_text(data,
                        len < TRANSCRIPT_BODY_MAX ? len : TRANSCRIPT_BODY_MAX);
}

static json_t *headers_json(const struct mo_header *hs, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *pair =
            json_pack("[s, o]", hs[i].name,
                      text_value(hs[i].value, strlen(hs[i].value), false));

        if (pair == NULL || json_array_append_new(arr, pair) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The route that names a request in the transcript: its own, or for a
 * 405 the one living at that path, or NULL (404: "unknown"). */
static const struct route *naming_route(const struct request *r)
{
    if (r->route != NULL) {
        return r->route;
    }
    for (size_t i = 0; r->path_known && i < r->h->nroutes; i++) {
        if (strcmp(r->h->routes[i].path, r->path) == 0) {
            return &r->h->routes[i];
        }
    }
    return NULL;
}

static const char *endpoint_name(const struct request *r)
{
    const struct route *rt = naming_route(r);

    return rt != NULL ? rt->endpoint : "unknown";
}

/* The server recorded for a request: a route may be served on behalf of
 * another server (an AS on the MCP server's origin). */
static const char *server_name(const struct request *r)
{
    const struct route *rt = naming_route(r);

    return rt != NULL && rt->server != NULL ? rt->server : r->h->server;
}

static const char *termination_reason(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return NULL;
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "server shut down";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client closed the connection";
    default:
        return "connection error";
    }
}

static json_t *exchange_json(const struct request *r,
                             enum MHD_RequestTerminationCode toe)
{
    const char *why = termination_reason(toe);
    char *url = absolute_url(r);
    json_t *ex = NULL;

    if (url == NULL) {
        return NULL;
    }
    ex = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:{s:o?, s:o?},"
                   " s:{s:i, s:o?, s:o?}}",
                   "t_ns", (json_int_t)r->t_ns, "server", server_name(r),
                   "endpoint", endpoint_name(r), "method",
                   r->method != NULL ? r->method : "", "url", url, "path",
                   r->path, "query", r->query, "request", "headers",
                   headers_json(r->headers, r->nheaders), "body",
                   text_value(r->body.data, r->body.len, true), "response",
                   "status", r->queued ? r->rep.status : 0, "headers",
                   headers_json(r->rep.headers, r->rep.nheaders), "body",
                   text_value(r->rep.body, r->rep.body_len, true));
    free(url);
    if (ex != NULL && r->dropped) {
        why = r->fx.hang ? "hung by a rule" : "dropped by a rule";
    }
    if (ex != NULL && (why != NULL || !r->queued)) {
        json_object_set_new(ex, "error",
                            json_string(why != NULL ? why : "no response"));
    }
    if (ex != NULL && r->fx.fired != NULL) {
        json_object_set(ex, "rules", r->fx.fired);
    }
    return ex;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *r = *req_cls;
    struct ac_err err;
    json_t *ex;

    (void)cls;
    (void)conn;
    if (r == NULL) {
        return;
    }
    *req_cls = NULL;
    if (r->recorded) {
        request_free(r);
        return;
    }
    ex = exchange_json(r, toe);
    if (ex == NULL) {
        ac_log(AC_LOG_ERROR, "%s: cannot record an exchange (out of memory)",
               r->h->server);
    } else if (!mo_transcript_append_take(r->h->transcript, ex, &err)) {
        ac_err_print(&err, "recording an exchange");
    }
    if (r->queued) {
        mo_transcript_release(r->h->transcript);
    }
    request_free(r);
}

/* --- in-process requests (mo_httpd_serve) ---------------------------- */

/* A request as on_uri and request_begin would have built it. */
static struct request *request_from(struct mo_httpd *h, const char *method,
                                    const char *target,
                                    const struct mo_header *headers,
                                    size_t nheaders)
{
    struct request *r = on_uri(h, target, NULL);
    bool ok = r != NULL && (r->method = strdup(method)) != NULL;

    for (size_t i = 0; ok && i < nheaders; i++) {
        ok = header_push(&r->headers, &r->nheaders, &r->hcap, headers[i].name,
                         headers[i].value);
    }
    if (!ok) {
        request_free(r);
        return NULL;
    }
    r->started = true;
    r->route = route_find(h, r->method, r->path, &r->path_known);
    return r;
}

bool mo_httpd_serve(struct mo_httpd *h, const char *method, const char *target,
                    const struct mo_header *headers, size_t nheaders,
                    const char *body, size_t body_len, struct mo_reply *rep,
                    bool *dropped, struct ac_err *err)
{
    struct request *r = request_from(h, method, target, headers, nheaders);
    json_t *ex = NULL;
    bool ok = false;

    reply_init(rep);
    if (r == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "%s: out of memory for a request", h->server);
        return false;
    }
    r->too_big =
        declared_length(r) > h->body_max ||
        (body_len > 0 && !ac_buf_append(&r->body, body, body_len, NULL));
    build_reply(r);
    r->dropped = r->fx.drop || r->fx.hang;
    r->queued = !r->dropped;
    ex = exchange_json(r, MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (ex == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "%s: cannot record an exchange", h->server);
        goto out;
    }
    if (!mo_transcript_append_take(h->transcript, ex, err)) {
        goto out;
    }
    if (!r->dropped) {
        *rep = r->rep; /* hand the reply over */
        reply_init(&r->rep);
    }
    ok = true;
out:
    if (dropped != NULL) {
        *dropped = r->dropped;
    }
    request_free(r);
    return ok;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct mo_httpd *h = cls;
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    ac_log(AC_LOG_DEBUG, "%s: libmicrohttpd: %s", h->server, msg);
}

/* Bind a listening socket on 127.0.0.1:0 and read its port back. */
static bool bind_loopback(struct mo_httpd *h, struct ac_err *err)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
        ntohs(sa.sin_port) == 0) {
        AC_ERR(err, AC_ERR_IO, "%s: cannot listen on 127.0.0.1: %s", h->server,
               strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    h->listen_fd = fd;
    h->port = ntohs(sa.sin_port);
    snprintf(h->origin, sizeof(h->origin), "%s://%s:%u",
             h->tls_key != NULL ? "https" : "http",
             h->host != NULL ? h->host : "127.0.0.1", (unsigned)h->port);
    return true;
}

bool mo_tls_library_acquire(struct ac_err *err)
{
    int rc = gnutls_global_init();

    if (rc < 0) {
        AC_ERR(err, AC_ERR_IO, "cannot initialise GnuTLS: %s",
               gnutls_strerror(rc));
        return false;
    }
    return true;
}

void mo_tls_library_release(void)
{
    gnutls_global_deinit();
}

bool mo_httpd_listen(struct mo_httpd *h, struct ac_err *err)
{
    return h->listen_fd >= 0 || bind_loopback(h, err);
}

/* Everything a request reads (origin, port, routes; the timer thread is
 * started under tlock by the first hold) is in place before
 * libmicrohttpd's threads exist: they are created by
 * MHD_start_daemon, which happens-after these writes. */
bool mo_httpd_start(struct mo_httpd *h, struct ac_err *err)
{
    if (h->daemon != NULL) {
        AC_ERR(err, AC_ERR_STATE, "%s: already started", h->server);
        return false;
    }
    if (!mo_httpd_listen(h, err) ||
        (h->tls_key != NULL && !mo_tls_library_acquire(err))) {
        return false;
    }
    /* One internal polling thread by default; a pool of epoll threads when
     * asked (authcheck serve, benchmarks). */
    h->daemon = MHD_start_daemon(
        (h->threads > 1 ? MHD_USE_EPOLL_INTERNAL_THREAD
                        : MHD_USE_AUTO_INTERNAL_THREAD) |
            MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
            (h->tls_key != NULL ? MHD_USE_TLS : 0),
        0, NULL, NULL, on_access, h,
        /* Plain http: the TLS options are skipped (an option list ends at
         * the first MHD_OPTION_END). */
        MHD_OPTION_LISTEN_SOCKET, h->listen_fd, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
        MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)(h->threads > 1 ? h->threads : 0),
        h->tls_key != NULL ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END,
        h->tls_key, MHD_OPTION_HTTPS_MEM_CERT, h->tls_cert,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
    if (h->daemon == NULL) {
        if (h->tls_key != NULL) {
            mo_tls_library_release();
        }
        AC_ERR(err, AC_ERR_IO, "%s: cannot start HTTP server on 127.0.0.1",
               h->server);
        return false;
    }
    h->listen_fd = -1; /* libmicrohttpd owns it now, closes it at stop */
    return true;
}

/* Resume every held request (a hung one then closes) and end the timer
 * thread: libmicrohttpd must not be stopped with suspended connections. */
static void release_held(struct mo_httpd *h)
{
    bool running;

    pthread_mutex_lock(&h->tlock);
    h->stopping = true;
    for (size_t i = 0; i < h->nheld; i++) {
        MHD_resume_connection(h->held[i].conn);
    }
    h->nheld = 0;
    pthread_cond_signal(&h->tcond);
    /* Read under the lock: hold() starts the thread from a libmicrohttpd
     * thread; once `stopping` is set it starts none. */
    running = h->timer_running;
    pthread_mutex_unlock(&h->tlock);
    if (running) {
        pthread_join(h->timer, NULL);
        h->timer_running = false;
    }
}

void mo_httpd_free(struct mo_httpd *h)
{
    if (h == NULL) {
        return;
    }
    release_held(h);
    if (h->daemon != NULL) {
        MHD_stop_daemon(h->daemon);
        if (h->tls_key != NULL) {
            mo_tls_library_release();
        }
    }
    if (h->listen_fd >= 0) {
        close(h->listen_fd);
    }
    free(h->held);
    pthread_mutex_destroy(&h->tlock);
    pthread_cond_destroy(&h->tcond);
    for (size_t i = 0; i < h->nroutes; i++) {
        route_clear(&h->routes[i]);
    }
    free(h->routes);
    free(h->server);
    free(h);
}
