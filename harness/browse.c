/* The headless user agent (browse.h). A client under test opens the
 * authorization URL with $BROWSER; this follows the redirects a browser
 * would (the mock /authorize approves at once with a 302 to the client's
 * loopback callback) and records each hop for the transcript, with the
 * monotonic start time taken before the request so the harness can merge
 * the hops with the mocks' exchanges in order.
 *
 * With --forge-callback-first it also plays the other tab / the attacker
 * of scenario authorization/wrong-state-first: before following the
 * redirect to the client's callback it GETs that callback once with a
 * wrong state and a made-up code (recorded with "forged": true).
 *
 * A client's loopback callback may not listen yet when the browser gets
 * there (mcp-remote 0.15.1 opens the browser first). A person's browser
 * would show an error and the person would reload; so, for a loopback
 * target only, a refused connection is retried for a few seconds
 * (--connect-retry MS). `localhost` is tried on 127.0.0.1 and ::1 both. */
#include "harness/browse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/form.h"
#include "common/httpc.h"
#include "common/redact.h"
#include "common/url.h"

/* Per hop: a loopback callback answers at once; a hung one must not hang
 * the client under test for longer than its own timeout would. */
#define HOP_TIMEOUT_MS 10000
#define HOP_MAX_BODY (1024u * 1024u)

/* A refused loopback callback is retried every RETRY_STEP_MS for this
 * long (--connect-retry): long enough for a client that opens the browser
 * before its listener, short enough not to eat the client's timeout. */
#define RETRY_DEFAULT_MS HB_RETRY_DEFAULT_MS
#define RETRY_MAX_MS 60000
#define RETRY_STEP_MS 50
#define PROBE_TIMEOUT_MS 500

/* What the forged callback carries instead of the real state and code:
 * fixed (deterministic runs), long enough to look real, never issued. */
#define FORGED_STATE "authcheck-forged-state-5f0c2a9e71d4b836"
#define FORGED_CODE "authcheck-forged-code-c3e1a07b94d25f68"

struct walk {
    const struct hb_options *o; /* record, forge, retry, CA, hooks */
    char *redirect_uri; /* the start URL's redirect_uri parameter, or NULL */
    bool forged;        /* the forged callback was delivered */
};

/* A line for the person or the client's log: to o->print when set (the
 * harness's in-process user agent puts it in the client's output, where
 * the stand-alone command's stdout and stderr went), else to stdout
 * (`out`) or stderr. */
static void note(const struct hb_options *o, bool out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(const struct hb_options *o, bool out, const char *fmt, ...)
{
    char *line = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0) {
        line = NULL;
    }
    va_end(ap);
    if (line == NULL) {
        return;
    }
    if (o != NULL && o->print != NULL) {
        o->print(o->print_arg, line);
    } else if (out) {
        fputs(line, stdout);
        fflush(stdout);
    } else {
        fputs(line, stderr);
    }
    free(line);
}

/* Has the harness given up on this walk (its client is gone)? */
static bool stopped(const struct walk *w)
{
    return w->o->stop != NULL && w->o->stop(w->o->stop_arg);
}

void hb_usage(FILE *f)
{
    fprintf(f,
            "usage: authcheck browse [--record FILE] [--forge-callback-first]\n"
            "                        [--connect-retry MS] URL\n"
            "\n"
            "The headless user agent the harness gives clients as $BROWSER.\n"
            "GETs URL and follows 3xx redirects (Location, http and https\n"
            "only, relative references resolved), at most %d redirects.\n"
            "Each hop is appended to FILE as one JSON line (a transcript\n"
            "exchange: server \"browser\", endpoint \"hop\").\n"
            "Prints the final status and URL (secrets redacted).\n"
            "\n"
            "--forge-callback-first: before following the redirect to the\n"
            "client's callback (URL's redirect_uri; without one, the first\n"
            "redirect carrying code or state), GET that callback once with\n"
            "a wrong state and a made-up code (the hop is recorded with\n"
            "\"forged\": true), then follow the real redirect.\n"
            "\n"
            "--connect-retry MS: a request to a loopback address (localhost,\n"
            "127.0.0.0/8, ::1) whose connection is refused is retried for up\n"
            "to MS milliseconds (default %d, at most %d; 0: never), as a\n"
            "person reloads a page whose server is not up yet. localhost is\n"
            "tried on both 127.0.0.1 and ::1.\n"
            "\n"
            "exit status: 0 final response 2xx; 1 any other final status, a\n"
            "failed request, or too many redirects; 2 usage error\n",
            HB_MAX_HOPS, RETRY_DEFAULT_MS, RETRY_MAX_MS);
}

/* A body as a JSON string: cut to HB_BODY_CAP, non-UTF-8 made ASCII. */
static json_t *body_json(const char *body, size_t len)
{
    char *copy;
    json_t *v;

    if (body == NULL || len == 0) {
        return json_null();
    }
    if (len > HB_BODY_CAP) {
        len = HB_BODY_CAP;
    }
    v = json_stringn(body, len);
    if (v != NULL) {
        return v;
    }
    copy = malloc(len);
    if (copy == NULL) {
        return NULL;
    }
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)body[k];
        copy[k] = (c >= 0x80 || c == 0) ? '?' : (char)c;
    }
    v = json_stringn(copy, len);
    free(copy);
    return v;
}

static json_t *headers_json(const struct ac_http_response *resp)
{
    json_t *a = json_array();

    for (size_t k = 0; a != NULL && resp != NULL && k < resp->nheaders; k++) {
        json_array_append_new(a, json_pack("[s, s]", resp->headers[k].name,
                                           resp->headers[k].value));
    }
    return a;
}

static json_t *hop_json(int64_t t_ns, const char *url,
                        const struct ac_http_response *resp, const char *error,
                        bool forged)
{
    struct ac_url u;
    json_t *ex;

    memset(&u, 0, sizeof(u));
    if (!ac_url_parse(url, &u, NULL)) {
        memset(&u, 0, sizeof(u));
    }
    ex = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?,"
        " s:{s:[], s:n}, s:{s:i, s:o, s:o}}",
        "t_ns", (json_int_t)t_ns, "server", "browser", "endpoint", "hop",
        "method", "GET", "url", url, "path", u.path ? u.path : NULL, "query",
        u.query, "request", "headers", "body", "response", "status",
        resp ? (int)resp->status : 0, "headers", headers_json(resp), "body",
        resp ? body_json(resp->body, resp->body_len) : json_null());
    if (ex != NULL && error != NULL) {
        json_object_set_new(ex, "error", json_string(error));
    }
    if (ex != NULL && forged) {
        json_object_set_new(ex, "forged", json_true());
    }
    ac_url_free(&u);
    return ex;
}

/* One write per line with O_APPEND: lines from concurrent browsers never
 * interleave. */
static void record(const struct walk *w, const json_t *ex)
{
    const char *path = w->o->record;
    char *line;
    size_t n;
    int fd;

    if (path == NULL || ex == NULL) {
        return;
    }
    line = json_dumps(ex, JSON_COMPACT);
    if (line == NULL) {
        return;
    }
    n = strlen(line);
    line[n] = '\n'; /* replaces the terminator; written by length */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, line, n + 1) != (ssize_t)(n + 1)) {
        note(w->o, false, "authcheck browse: cannot record to %s: %s\n", path,
             strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    free(line);
}

static bool is_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

/* Does a Location reference leave http(s)? (a custom-scheme callback) */
static bool foreign_scheme(const char *ref)
{
    size_t n = strcspn(ref, ":/?#");

    return ref[n] == ':' && n > 0 && !is_http(ref);
}

static void say(const struct walk *w, const char *what, long status,
                const char *url, int hops)
{
    char *safe = ac_redact_url(url);

    note(w->o, true,
         "authcheck browse: %s: HTTP %ld at %s after %d redirect%s\n", what,
         status, safe ? safe : "(url)", hops, hops == 1 ? "" : "s");
    free(safe);
}

/* --- a refused loopback callback ----------------------------------------- */

/* PROBE_ABSENT: the address does not exist here (no IPv6 loopback). */
enum probe { PROBE_OPEN, PROBE_REFUSED, PROBE_ABSENT, PROBE_OTHER };

static bool absent_errno(int e)
{
    return e == EAFNOSUPPORT || e == EADDRNOTAVAIL || e == ENETUNREACH;
}

/* One TCP connect, closed at once, nothing sent. */
static enum probe probe_addr(const struct sockaddr *sa, socklen_t len)
{
    struct pollfd p = {.events = POLLOUT};
    int fd =
        socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int e = 0;
    socklen_t elen = sizeof(e);
    enum probe r = PROBE_OTHER;

    if (fd < 0) {
        return absent_errno(errno) ? PROBE_ABSENT : PROBE_OTHER;
    }
    if (connect(fd, sa, len) == 0) {
        r = PROBE_OPEN;
    } else if (errno == ECONNREFUSED) {
        r = PROBE_REFUSED;
    } else if (absent_errno(errno)) {
        r = PROBE_ABSENT;
    } else if (errno == EINPROGRESS) {
        p.fd = fd;
        if (poll(&p, 1, PROBE_TIMEOUT_MS) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0) {
            r = e == 0 ? PROBE_OPEN
                       : (e == ECONNREFUSED ? PROBE_REFUSED : PROBE_OTHER);
        }
    }
    close(fd);
    return r;
}

/* The loopback addresses `host` stands for: 1 or 2 (localhost is both
 * 127.0.0.1 and ::1, whatever /etc/hosts says), 0 when it is not a
 * loopback host. */
static int loopback_addrs(const char *host, int port,
                          struct sockaddr_storage out[2], socklen_t len[2])
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out[0];
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out[1];
    bool local = strcasecmp(host, "localhost") == 0;
    int n = 0;

    memset(out, 0, 2 * sizeof(*out));
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    len[0] = sizeof(*v4);
    len[1] = sizeof(*v6);
    if (local || inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        if (local) {
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
        n = (ntohl(v4->sin_addr.s_addr) >> 24) == 127 ? 1 : 0;
    }
    if (local || (n == 0 && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 &&
                  IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))) {
        v6->sin6_addr = in6addr_loopback;
        if (n == 0) {
            out[0] = out[1];
            len[0] = len[1];
        }
        n++;
    }
    return n;
}

/* libcurl's wording for a transfer that never got a connection
 * (CURLE_COULDNT_CONNECT, with and without its error buffer). */
static bool never_connected(const struct ac_err *err)
{
    return strstr(err->msg, "Failed to connect") != NULL ||
           strstr(err->msg, "Couldn't connect") != NULL;
}

/* Should a failed request to `url` be tried again? Only for a loopback
 * target and only when nothing was listening: every address refuses now
 * (or does not exist on this machine, as ::1 without IPv6), or the
 * transfer never connected and a listener has just come up.
 * Never when the request may have reached a server (a reset, a timeout):
 * the callback must not see the code twice. */
static bool refused_loopback(const char *url, const struct ac_err *err)
{
    struct sockaddr_storage sa[2];
    socklen_t len[2];
    struct ac_url u;
    int n = 0, refused = 0, absent = 0, open = 0;

    memset(&u, 0, sizeof(u));
    if (err->code == AC_ERR_NET && ac_url_parse(url, &u, NULL)) {
        n = loopback_addrs(u.host, u.port, sa, len);
    }
    ac_url_free(&u);
    for (int k = 0; k < n; k++) {
        enum probe p = probe_addr((struct sockaddr *)&sa[k], len[k]);
        refused += p == PROBE_REFUSED;
        absent += p == PROBE_ABSENT;
        open += p == PROBE_OPEN;
    }
    /* Refusing now is not enough: a client that read the callback and
     * exited without answering refuses now too, and must not get the code
     * again (nor the walk wait out the window for nothing). */
    return never_connected(err) &&
           ((refused > 0 && refused + absent == n) || open > 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The first refused attempt is recorded at once, marked "retrying": if
 * the client exits while we retry, the harness kills us with its process
 * group and the transcript still shows that the browser got there. */
static void record_refused(const struct walk *w, int64_t t_ns, const char *url,
                           const struct ac_err *err)
{
    json_t *ex = hop_json(t_ns, url, NULL, err->msg, false);

    if (ex != NULL) {
        json_object_set_new(ex, "retrying", json_true());
    }
    record(w, ex);
    json_decref(ex);
}

/* ac_http_do, with a refused loopback target retried for up to
 * `retry_ms`; *tries counts the retries, *t_ns is the start of the last
 * attempt. */
static bool request(const struct walk *w, const struct ac_http_request *req,
                    struct ac_http_response *resp, long retry_ms, int *tries,
                    int64_t *t_ns, struct ac_err *err)
{
    int64_t until = ac_mono_ns() + (int64_t)retry_ms * 1000000;

    *tries = 0;
    for (;;) {
        ac_err_clear(err);
        if (stopped(w)) {
            AC_ERR(err, AC_ERR_IO, "stopped by the harness");
            return false;
        }
        *t_ns = ac_mono_ns();
        if (ac_http_do(req, resp, err)) {
            return true;
        }
        if (retry_ms <= 0 || ac_mono_ns() >= until ||
            !refused_loopback(req->url, err) || stopped(w)) {
            return false;
        }
        if (*tries == 0) {
            record_refused(w, *t_ns, req->url, err);
        }
        sleep_ms(RETRY_STEP_MS);
        (*tries)++;
    }
}

/* A hop's timeout: HOP_TIMEOUT_MS, cut to the caller's deadline. */
static long hop_timeout(const struct walk *w)
{
    int64_t left;

    if (w->o->deadline_ns == 0) {
        return HOP_TIMEOUT_MS;
    }
    left = (w->o->deadline_ns - ac_mono_ns()) / 1000000;
    return left < 1 ? 1 : (left < HOP_TIMEOUT_MS ? (long)left : HOP_TIMEOUT_MS);
}

/* One request: records the hop; *next is the resolved redirect target
 * (new string) or NULL when this hop ends the walk (always NULL for a
 * forged hop, whose answer is not followed). */
static bool hop(const char *url, const struct walk *w, bool forged,
                long *status, char **next)
{
    struct ac_http_request req = {0};
    struct ac_http_response resp = {0};
    struct ac_err err;
    const char *loc;
    int64_t t_ns = 0;
    json_t *ex;
    int tries = 0;
    bool ok;

    *next = NULL;
    req.url = url;
    req.timeout_ms = hop_timeout(w);
    req.max_body = HOP_MAX_BODY;
    req.ca_file = w->o->ca_file;
    req.stop = w->o->stop;
    req.stop_arg = w->o->stop_arg;
    /* A forged callback is a single shot: the attacker does not reload. */
    ok = request(w, &req, &resp, forged ? 0 : w->o->connect_retry_ms, &tries,
                 &t_ns, &err);
    if (!ok && stopped(w)) {
        /* The harness gave up on the client (as it kills the stand-alone
         * command with the client's process group): nothing more is
         * recorded. */
        *status = 0;
        return false;
    }
    ex = hop_json(t_ns, url, ok ? &resp : NULL, ok ? NULL : err.msg, forged);
    if (ex != NULL && tries > 0) {
        json_object_set_new(ex, "refused_retries", json_integer(tries));
    }
    record(w, ex);
    json_decref(ex);
    if (tries > 0) {
        note(w->o, false,
             "authcheck browse: connection refused, retried %d time%s\n", tries,
             tries == 1 ? "" : "s");
    }
    if (!ok) {
        note(w->o, false, "authcheck browse: request failed: %s\n", err.msg);
        *status = 0;
        return false;
    }
    *status = resp.status;
    loc = ac_http_header_get(&resp, "Location");
    if (!forged && resp.status >= 300 && resp.status < 400 && loc != NULL) {
        if (foreign_scheme(loc)) {
            note(w->o, false,
                 "authcheck browse: not following a redirect to "
                 "a non-http URL\n");
        } else if ((*next = ac_url_resolve(url, loc, &err)) == NULL) {
            note(w->o, false, "authcheck browse: bad Location: %s\n", err.msg);
        }
    }
    ac_http_response_free(&resp);
    return true;
}

/* The query parameter `name` of `url`, decoded: a new string or NULL. */
static char *query_param(const char *url, const char *name)
{
    struct ac_url u;
    struct ac_form f;
    char *v = NULL;

    memset(&u, 0, sizeof(u));
    ac_form_init(&f);
    if (ac_url_parse(url, &u, NULL) && ac_form_parse(u.query, &f, NULL) &&
        ac_form_get(&f, name) != NULL) {
        v = strdup(ac_form_get(&f, name));
    }
    ac_form_free(&f);
    ac_url_free(&u);
    return v;
}

/* Same scheme, host, port and path (the query aside)? */
static bool same_endpoint(const char *a, const char *b)
{
    struct ac_url ua, ub;
    bool same;

    memset(&ua, 0, sizeof(ua));
    memset(&ub, 0, sizeof(ub));
    same = ac_url_parse(a, &ua, NULL) && ac_url_parse(b, &ub, NULL) &&
           strcmp(ua.scheme, ub.scheme) == 0 && strcmp(ua.host, ub.host) == 0 &&
           ua.port == ub.port && strcmp(ua.path, ub.path) == 0;
    ac_url_free(&ua);
    ac_url_free(&ub);
    return same;
}

/* Is `url` the client's callback? */
static bool is_callback(const struct walk *w, const char *url)
{
    char *code, *state;
    bool yes;

    if (w->redirect_uri != NULL) {
        return same_endpoint(w->redirect_uri, url);
    }
    code = query_param(url, "code");
    state = query_param(url, "state");
    yes = code != NULL || state != NULL;
    free(code);
    free(state);
    return yes;
}

/* The callback `url` with its state and code replaced (added when
 * absent), every other parameter (iss, ...) kept: a new string or NULL. */
static char *forge(const char *url)
{
    struct ac_url u;
    struct ac_form in, out;
    char *q = NULL, *text = NULL;
    bool ok;

    memset(&u, 0, sizeof(u));
    ac_form_init(&in);
    ac_form_init(&out);
    ok = ac_url_parse(url, &u, NULL) && ac_form_parse(u.query, &in, NULL);
    for (size_t k = 0; ok && k < in.n; k++) {
        const char *name = in.pairs[k].name;
        if (strcmp(name, "state") != 0 && strcmp(name, "code") != 0) {
            ok = ac_form_add(&out, name, in.pairs[k].value, NULL);
        }
    }
    ok = ok && ac_form_add(&out, "code", FORGED_CODE, NULL) &&
         ac_form_add(&out, "state", FORGED_STATE, NULL) &&
         (q = ac_form_encode(&out)) != NULL;
    if (ok) {
        free(u.query);
        u.query = q;
        q = NULL;
        text = ac_url_format(&u);
    }
    free(q);
    ac_form_free(&in);
    ac_form_free(&out);
    ac_url_free(&u);
    return text;
}

/* With --forge-callback-first, before the first request to the callback:
 * deliver the forged one. Its answer (an error page, a refused
 * connection) does not change the walk. */
static void maybe_forge(struct walk *w, const char *url)
{
    char *fake;
    long status = 0;
    char *none = NULL;

    if (!w->o->forge_callback_first || w->forged || !is_callback(w, url)) {
        return;
    }
    w->forged = true;
    fake = forge(url);
    if (fake == NULL) {
        note(w->o, false, "authcheck browse: cannot forge a callback\n");
        return;
    }
    if (hop(fake, w, true, &status, &none)) {
        say(w, "forged callback answered", status, fake, 0);
    }
    free(none);
    free(fake);
}

static int browse(const char *start, struct walk *w)
{
    char *url = strdup(start);
    long status = 0;
    int hops = 0;

    w->redirect_uri = query_param(start, "redirect_uri");
    while (url != NULL) {
        char *next = NULL;
        maybe_forge(w, url);
        if (!hop(url, w, false, &status, &next)) {
            if (!stopped(w)) {
                say(w, "failed", 0, url, hops);
            }
            free(url);
            return 1;
        }
        if (next == NULL) {
            break;
        }
        if (hops == HB_MAX_HOPS) {
            say(w, "too many redirects", status, url, hops);
            free(next);
            free(url);
            return 1;
        }
        hops++;
        free(url);
        url = next;
    }
    if (url == NULL) {
        note(w->o, false, "authcheck browse: out of memory\n");
        return 1;
    }
    say(w, "ended", status, url, hops);
    free(url);
    return status >= 200 && status < 300 ? 0 : 1;
}

int hb_browse(const char *url, const struct hb_options *o)
{
    struct walk w = {o, NULL, false};
    int rc;

    if (url == NULL || !is_http(url)) {
        note(o, false, "authcheck browse: %s\n",
             url ? "URL must be http or https" : "missing URL");
        return 2;
    }
    rc = browse(url, &w);
    free(w.redirect_uri);
    return rc;
}

/* A --connect-retry value: 0 to RETRY_MAX_MS, digits only. */
static bool parse_ms(const char *s, long *out)
{
    char *end = NULL;
    long v;

    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > RETRY_MAX_MS) {
        return false;
    }
    *out = v;
    return true;
}

int hb_main(int argc, char **argv)
{
    const char *url = NULL;
    struct hb_options o = {.connect_retry_ms = RETRY_DEFAULT_MS};
    struct ac_err err;
    int rc;

    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            hb_usage(stdout);
            return 0;
        } else if (strcmp(argv[k], "--record") == 0 && k + 1 < argc) {
            o.record = argv[++k];
        } else if (strncmp(argv[k], "--record=", 9) == 0) {
            o.record = argv[k] + 9;
        } else if (strcmp(argv[k], "--forge-callback-first") == 0) {
            o.forge_callback_first = true;
        } else if (strcmp(argv[k], "--connect-retry") == 0 && k + 1 < argc) {
            if (!parse_ms(argv[++k], &o.connect_retry_ms)) {
                fprintf(stderr,
                        "authcheck browse: --connect-retry: 0 to %d "
                        "milliseconds\n",
                        RETRY_MAX_MS);
                return 2;
            }
        } else if (argv[k][0] == '-' && argv[k][1] != '\0') {
            fprintf(stderr, "authcheck browse: unknown option %s\n", argv[k]);
            hb_usage(stderr);
            return 2;
        } else if (url == NULL) {
            url = argv[k];
        } else {
            fprintf(stderr, "authcheck browse: one URL only\n");
            return 2;
        }
    }
    if (url == NULL || !is_http(url)) {
        fprintf(stderr, "authcheck browse: %s\n",
                url ? "URL must be http or https" : "missing URL");
        hb_usage(stderr);
        return 2;
    }
    /* Held until we exit: the harness waits for it after the client has
     * exited, so the last hop's record is not lost (runner.c settle). */
    int lock =
        o.record != NULL
            ? open(o.record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)
            : -1;
    if (lock >= 0) {
        flock(lock, LOCK_SH);
    }
    if (!ac_http_global_init(&err)) {
        fprintf(stderr, "authcheck browse: %s\n", err.msg);
        if (lock >= 0) {
            close(lock);
        }
        return 1;
    }
    rc = hb_browse(url, &o);
    ac_http_global_cleanup();
    if (lock >= 0) {
        close(lock);
    }
    return rc;
}
