/* The loopback redirect-URI listener: libmicrohttpd on 127.0.0.1 (RFC 8252
 * §7.3), one route, GET /callback. Each callback's raw query is judged by
 * cb_judge() against the armed expectation; a stray or mismatched callback
 * is answered with an error page and ignored, the first decisive one ends
 * the wait. Pages are sent with no-store and no-referrer so the code does
 * not leak from the browser. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/lib/callback_int.h"
#include "client/lib/http_int.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/redact.h"

enum result { R_NONE, R_DONE, R_FAILED };

struct cb_listener {
    struct MHD_Daemon *d;
    char *redirect_uri;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    bool armed;
    char *state; /* secret-ish: cleansed */
    char *issuer;
    bool iss_supported;
    enum result result;
    char *code; /* secret */
    struct ac_err fail;
    unsigned ignored;
    struct ac_err last_ignored;
    unsigned pages; /* judged callbacks whose page is not sent yet */
};

/* A request's closure: its raw target, and whether `pages` counts it. */
struct req {
    bool counted;
    char target[];
};

/* How long cb_listener_stop waits for the pages of judged callbacks to
 * go out: the browser of a rejected callback shows why, not an empty
 * reply; a browser that does not read does not hold the client up. */
#define PAGE_FLUSH_MS 1000

/* MHD_OPTION_URI_LOG_CALLBACK: keep the raw request target (with its
 * query, undecoded) as the request's closure, so the query is parsed once,
 * by common/form.h, which rejects duplicate parameters. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    size_t n = strlen(uri != NULL ? uri : "");
    struct req *r = malloc(sizeof(*r) + n + 1);

    (void)cls;
    (void)con;
    if (r != NULL) {
        r->counted = false;
        memcpy(r->target, uri != NULL ? uri : "", n + 1);
    }
    return r;
}

/* MHD_OPTION_NOTIFY_COMPLETED: the response is sent (or the connection
 * failed). */
static void completed(void *cls, struct MHD_Connection *con, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct cb_listener *l = cls;
    struct req *r = *req_cls;

    (void)con;
    (void)toe;
    if (r != NULL && r->counted) {
        pthread_mutex_lock(&l->mu);
        l->pages--;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
    if (r != NULL) {
        /* the target holds the code */
        OPENSSL_cleanse(r->target, strlen(r->target));
        free(r);
    }
    *req_cls = NULL;
}

static void html_escape(struct ac_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<':
            ac_buf_append_str(b, "&lt;", NULL);
            break;
        case '>':
            ac_buf_append_str(b, "&gt;", NULL);
            break;
        case '&':
            ac_buf_append_str(b, "&amp;", NULL);
            break;
        case '"':
            ac_buf_append_str(b, "&quot;", NULL);
            break;
        default:
            ac_buf_append(b, s, 1, NULL);
            break;
        }
    }
}

static enum MHD_Result page(struct MHD_Connection *con, unsigned status,
                            const char *title, const char *text)
{
    struct ac_buf b;
    ac_buf_init(&b, 0);
    ac_buf_append_str(&b, "<!doctype html><title>mcp-oauth</title><h1>", NULL);
    html_escape(&b, title);
    ac_buf_append_str(&b, "</h1><p>", NULL);
    html_escape(&b, text);
    ac_buf_append_str(&b, "</p>\n", NULL);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        b.len, b.data != NULL ? b.data : (char *)"", MHD_RESPMEM_MUST_COPY);
    ac_buf_free(&b);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    enum MHD_Result ret = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Judge one callback under the lock; returns the page to show. */
static unsigned judge_locked(struct cb_listener *l, const char *query,
                             const char **title, char *text, size_t n)
{
    struct ac_err why;
    char *code = NULL;
    ac_err_clear(&why);
    if (l->result != R_NONE) {
        *title = "Already done";
        snprintf(text, n, "This authorization has already completed.");
        return 400;
    }
    enum cb_verdict v = CB_IGNORE;
    if (!l->armed) {
        AC_ERR(&why, AC_ERR_STATE,
               "callback while no authorization was in "
               "progress");
    } else {
        struct cb_expect e = {l->state, l->issuer, l->iss_supported};
        v = cb_judge(query, &e, &code, &why);
    }
    if (v == CB_ACCEPT) {
        l->result = R_DONE;
        l->code = code;
        *title = "Authorized";
        snprintf(text, n,
                 "You can close this window and return to "
                 "mcp-oauth.");
        return 200;
    }
    if (v == CB_FAIL) {
        l->result = R_FAILED;
        l->fail = why;
        *title = "Authorization failed";
    } else {
        l->ignored++;
        l->last_ignored = why;
        *title = "Ignored";
    }
    snprintf(text, n, "%s", why.msg);
    return 400;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    struct cb_listener *l = cls;
    struct req *r = *req_cls;
    const char *target = r != NULL ? r->target : "";
    const char *q = strchr(target, '?');
    char text[300];
    const char *title;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;

    if (strcmp(url, "/callback") != 0) {
        return page(con, 404, "Not found", "mcp-oauth only serves /callback.");
    }
    if (strcmp(method, "GET") != 0) {
        return page(con, 405, "Method not allowed", "Use GET.");
    }
    char *red = ac_redact_url(target);
    http_trace_note("callback: GET %s", red != NULL ? red : "[url]");
    free(red);
    pthread_mutex_lock(&l->mu);
    unsigned status =
        judge_locked(l, q != NULL ? q + 1 : "", &title, text, sizeof text);
    if (r != NULL) {
        r->counted = true;
        l->pages++;
    }
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    http_trace_note("callback: %u %s: %s", status, title, text);
    return page(con, status, title, text);
}

static bool start_daemon(struct cb_listener *l, int port, struct ac_err *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port,
                            NULL, NULL, handle, l, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_URI_LOG_CALLBACK,
                            uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                            completed, l, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)30, MHD_OPTION_END);
    if (l->d == NULL) {
        AC_ERR(err, AC_ERR_IO,
               "cannot listen on 127.0.0.1:%d for the "
               "authorization callback",
               port);
        return false;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL || info->port == 0 ||
        asprintf(&l->redirect_uri, "http://127.0.0.1:%u/callback",
                 (unsigned)info->port) < 0) {
        l->redirect_uri = NULL;
        AC_ERR(err, AC_ERR_IO, "cannot read back the callback port");
        return false;
    }
    return true;
}

bool cb_listener_start(int port, struct cb_listener **out, struct ac_err *err)
{
    struct cb_listener *l = calloc(1, sizeof *l);
    pthread_condattr_t ca;
    *out = NULL;
    if (l == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (port < 0 || port > 65535) {
        AC_ERR(err, AC_ERR_USAGE, "bad callback port %d", port);
        cb_listener_stop(l);
        return false;
    }
    if (!start_daemon(l, port, err)) {
        cb_listener_stop(l);
        return false;
    }
    *out = l;
    return true;
}

const char *cb_listener_redirect_uri(const struct cb_listener *l)
{
    return l->redirect_uri;
}

bool cb_listener_arm(struct cb_listener *l, const struct cb_expect *e,
                     struct ac_err *err)
{
    char *state = strdup(e->state), *issuer = strdup(e->issuer);
    if (state == NULL || issuer == NULL) {
        ac_secret_free(state);
        free(issuer);
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    pthread_mutex_lock(&l->mu);
    ac_secret_free(l->state);
    free(l->issuer);
    ac_secret_free(l->code);
    l->state = state;
    l->issuer = issuer;
    l->iss_supported = e->iss_supported;
    l->code = NULL;
    l->result = R_NONE;
    l->ignored = 0;
    ac_err_clear(&l->last_ignored);
    l->armed = true;
    pthread_mutex_unlock(&l->mu);
    return true;
}

enum cb_wait cb_listener_wait(struct cb_listener *l, int ms, char **code,
                              struct ac_err *err)
{
    struct timespec until;
    enum cb_wait w = CBW_PENDING;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&l->mu);
    while (l->result == R_NONE &&
           pthread_cond_timedwait(&l->cv, &l->mu, &until) == 0) {
    }
    if (l->result == R_DONE) {
        *code = l->code;
        l->code = NULL;
        l->armed = false;
        l->result = R_NONE;
        w = CBW_DONE;
    } else if (l->result == R_FAILED) {
        if (err != NULL) {
            *err = l->fail;
        }
        l->armed = false;
        l->result = R_NONE;
        w = CBW_FAILED;
    }
    pthread_mutex_unlock(&l->mu);
    return w;
}

unsigned cb_listener_ignored(struct cb_listener *l, struct ac_err *why)
{
    pthread_mutex_lock(&l->mu);
    unsigned n = l->ignored;
    if (why != NULL) {
        *why = l->last_ignored;
    }
    pthread_mutex_unlock(&l->mu);
    return n;
}

void cb_listener_stop(struct cb_listener *l)
{
    if (l == NULL) {
        return;
    }
    if (l->d != NULL) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += PAGE_FLUSH_MS / 1000;
        pthread_mutex_lock(&l->mu);
        while (l->pages > 0 &&
               pthread_cond_timedwait(&l->cv, &l->mu, &until) == 0) {
        }
        pthread_mutex_unlock(&l->mu);
        MHD_stop_daemon(l->d);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    ac_secret_free(l->state);
    ac_secret_free(l->code);
    free(l->issuer);
    free(l->redirect_uri);
    free(l);
}
