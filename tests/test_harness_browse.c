/* Tests of the headless user agent (harness/browse.h) against a tiny
 * scripted HTTP server on 127.0.0.1 port 0: redirect following (relative
 * and absolute), the hop limit, non-http redirects, failures, the record
 * file, the exit status and the forged callback; a refused loopback
 * callback retried until a late listener comes up, and localhost reaching
 * a listener on ::1 only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/httpc.h"
#include "harness/browse.h"
#include "tests/support/asserts.h"
#include "tests/support/net.h"

struct server {
    int fd;
    int port;
    pthread_t thread;
    long listen_after_ms; /* bound at once, listening only after this */
};

static void reply(int c, const char *path, int port)
{
    char head[512];
    const char *status = "200 OK", *loc = NULL, *body = "done";
    static char big[40001];
    char abs[128];

    if (strcmp(path, "/start") == 0) {
        status = "302 Found";
        loc = "/mid";
    } else if (strcmp(path, "/mid") == 0) {
        snprintf(abs, sizeof(abs), "http://127.0.0.1:%d/end?x=1", port);
        status = "303 See Other";
        loc = abs;
    } else if (strcmp(path, "/authz") == 0) {
        status = "302 Found";
        loc = "/cb?code=real-code&state=real-state&iss=http%3A%2F%2Fas";
    } else if (strcmp(path, "/loop") == 0) {
        status = "302 Found";
        loc = "/loop";
    } else if (strcmp(path, "/custom") == 0) {
        status = "302 Found";
        loc = "myapp://cb?code=1";
    } else if (strcmp(path, "/nolocation") == 0) {
        status = "302 Found";
    } else if (strcmp(path, "/notfound") == 0) {
        status = "404 Not Found";
        body = "nope";
    } else if (strcmp(path, "/big") == 0) {
        memset(big, 'b', sizeof(big) - 1);
        body = big;
    }
    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\n%s%s%sContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             status, loc ? "Location: " : "", loc ? loc : "", loc ? "\r\n" : "",
             strlen(body));
    if (write(c, head, strlen(head)) < 0 || write(c, body, strlen(body)) < 0) {
        return;
    }
}

static void *serve(void *arg)
{
    struct server *s = arg;

    if (s->listen_after_ms > 0) {
        struct timespec ts = {0, s->listen_after_ms * 1000000L};
        nanosleep(&ts, NULL);
        if (listen(s->fd, 16) != 0) {
            return NULL;
        }
    }
    for (;;) {
        char req[4096], path[256];
        ssize_t n = 0, r;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            return NULL;
        }
        while ((size_t)n < sizeof(req) - 1 &&
               (r = read(c, req + n, sizeof(req) - 1 - (size_t)n)) > 0) {
            n += r;
            req[n] = '\0';
            if (strstr(req, "\r\n\r\n") != NULL) {
                break;
            }
        }
        req[n > 0 ? n : 0] = '\0';
        if (sscanf(req, "GET %255[^? ]", path) == 1) {
            reply(c, path, s->port);
        }
        close(c);
    }
}

static int setup(void **state)
{
    struct server *s = calloc(1, sizeof(*s));
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);

    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, serve, s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct server *s = *state;

    shutdown(s->fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(s->thread, NULL);
    close(s->fd);
    free(s);
    return 0;
}

static const char *record_path(void)
{
    static char p[512];
    const char *tmp = getenv("AUTHCHECK_TMP");

    snprintf(p, sizeof(p), "%s/browse-record.jsonl", tmp ? tmp : "/tmp");
    unlink(p);
    return p;
}

static int browse(struct server *s, const char *path, const char *rec)
{
    char url[128];
    char *argv[] = {"browse", "--record", (char *)rec, url, NULL};

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    return hb_main(4, argv);
}

/* The record as an array of exchanges. */
static json_t *read_record(const char *rec)
{
    FILE *f = fopen(rec, "r");
    json_t *all = json_array();
    char line[65536];

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t e;
        json_t *ex = json_loads(line, 0, &e);
        if (ex == NULL) {
            fail_msg("bad record line: %s", e.text);
        }
        json_array_append_new(all, ex);
    }
    fclose(f);
    return all;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_int_t status_of(const json_t *ex)
{
    return json_integer_value(
        json_object_get(json_object_get(ex, "response"), "status"));
}

static void test_follows_redirects(void **state)
{
    struct server *s = *state;
    const char *rec = record_path();
    json_t *hops;
    const json_t *h0, *h2;
    char *headers;

    assert_int_equal(browse(s, "/start", rec), 0);
    hops = read_record(rec);
    assert_int_equal(json_array_size(hops), 3);
    h0 = json_array_get(hops, 0);
    h2 = json_array_get(hops, 2);
    assert_string_equal(str(h0, "server"), "browser");
    assert_string_equal(str(h0, "endpoint"), "hop");
    assert_string_equal(str(h0, "method"), "GET");
    assert_string_equal(str(h0, "path"), "/start");
    assert_int_equal(status_of(h0), 302);
    assert_int_equal(status_of(json_array_get(hops, 1)), 303);
    assert_int_equal(status_of(h2), 200);
    assert_string_equal(str(h2, "path"), "/end");
    assert_string_equal(str(h2, "query"), "x=1");
    assert_string_equal(str(json_object_get(h2, "response"), "body"), "done");
    assert_int_cmp(json_integer_value(json_object_get(h0, "t_ns")), <,
                   json_integer_value(json_object_get(h2, "t_ns")));
    /* the Location header is kept */
    headers = json_dumps(
        json_object_get(json_object_get(h0, "response"), "headers"), 0);
    assert_non_null(strstr(headers, "[\"Location\", \"/mid\"]"));
    free(headers);
    json_decref(hops);
}

static json_t *query_of(const json_t *ex)
{
    const char *q = str(ex, "query");
    json_t *o = json_object();
    char *copy = strdup(q != NULL ? q : ""), *save = NULL;

    for (char *p = strtok_r(copy, "&", &save); p != NULL;
         p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        if (eq != NULL) {
            *eq = '\0';
            json_object_set_new(o, p, json_string(eq + 1));
        }
    }
    free(copy);
    return o;
}

/* --forge-callback-first: the callback (the start URL's redirect_uri, or
 * else the first redirect with code or state) is hit once with a wrong
 * state and a made-up code, other parameters kept, then the real one. */
static void test_forge_callback_first(void **state)
{
    struct server *s = *state;
    const char *rec = record_path();
    char url[256];
    char *argv[] = {"browse", "--record", (char *)rec, "--forge-callback-first",
                    url,      NULL};

    for (int with_uri = 1; with_uri >= 0; with_uri--) {
        json_t *hops, *fq, *rq;
        const json_t *forged, *real;
        unlink(rec);
        snprintf(url, sizeof(url),
                 with_uri ? "http://127.0.0.1:%d/authz?redirect_uri="
                            "http%%3A%%2F%%2F127.0.0.1%%3A%d%%2Fcb"
                          : "http://127.0.0.1:%d/authz",
                 s->port, s->port);
        assert_int_equal(hb_main(5, argv), 0);
        hops = read_record(rec);
        assert_int_equal(json_array_size(hops), 3);
        forged = json_array_get(hops, 1);
        real = json_array_get(hops, 2);
        assert_string_equal(str(forged, "path"), "/cb");
        assert_true(json_is_true(json_object_get(forged, "forged")));
        assert_null(json_object_get(real, "forged"));
        assert_null(json_object_get(json_array_get(hops, 0), "forged"));
        fq = query_of(forged);
        rq = query_of(real);
        assert_string_not_equal(str(fq, "state"), "real-state");
        assert_int_cmp(strlen(str(fq, "state")), >=, 22);
        assert_string_not_equal(str(fq, "code"), "real-code");
        assert_string_equal(str(fq, "iss"), "http%3A%2F%2Fas");
        assert_string_equal(str(rq, "state"), "real-state");
        assert_string_equal(str(rq, "code"), "real-code");
        assert_int_cmp(json_integer_value(json_object_get(forged, "t_ns")), <,
                       json_integer_value(json_object_get(real, "t_ns")));
        json_decref(fq);
        json_decref(rq);
        json_decref(hops);
    }
}

static void test_hop_limit(void **state)
{
    struct server *s = *state;
    const char *rec = record_path();
    json_t *hops;

    assert_int_equal(browse(s, "/loop", rec), 1);
    hops = read_record(rec);
    assert_int_equal(json_array_size(hops), HB_MAX_HOPS + 1);
    json_decref(hops);
}

static void test_not_followed(void **state)
{
    static const char *const paths[] = {"/custom", "/nolocation", "/notfound"};
    struct server *s = *state;

    for (size_t k = 0; k < 3; k++) {
        const char *rec = record_path();
        json_t *hops;
        assert_int_equal(browse(s, paths[k], rec), 1);
        hops = read_record(rec);
        assert_int_equal(json_array_size(hops), 1);
        json_decref(hops);
    }
}

static void test_body_capped(void **state)
{
    struct server *s = *state;
    const char *rec = record_path();
    json_t *hops;

    assert_int_equal(browse(s, "/big", rec), 0);
    hops = read_record(rec);
    assert_int_equal(
        strlen(
            str(json_object_get(json_array_get(hops, 0), "response"), "body")),
        HB_BODY_CAP);
    json_decref(hops);
}

/* A port where nothing listens: bound, never listening (refused). */
static int refusing_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);

    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_cmp(fd, >=, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Refused and never coming up: one failed hop, after the retry window
 * (none with --connect-retry 0). */
static void test_connection_refused(void **state)
{
    const char *rec = record_path();
    int port, fd = refusing_socket(&port);
    char url[64];
    char *argv[] = {"browse", "--record", (char *)rec, "--connect-retry",
                    NULL,     url,        NULL};
    static char *const windows[] = {"0", "300"};

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
    for (size_t k = 0; k < 2; k++) {
        double t0 = now_s(), took;
        json_t *hops;
        const json_t *h;
        unlink(rec);
        argv[4] = windows[k];
        assert_int_equal(hb_main(6, argv), 1);
        took = now_s() - t0;
        hops = read_record(rec);
        /* retried: the first refusal at once ("retrying"), then the end */
        assert_int_equal(json_array_size(hops), k == 0 ? 1 : 2);
        h = json_array_get(hops, json_array_size(hops) - 1);
        assert_int_equal(status_of(h), 0);
        assert_non_null(str(h, "error"));
        assert_null(json_object_get(h, "retrying"));
        if (k == 0) {
            assert_null(json_object_get(h, "refused_retries"));
            assert_dbl_cmp(took, <, 0.25);
        } else {
            const json_t *first = json_array_get(hops, 0);
            assert_true(json_is_true(json_object_get(first, "retrying")));
            assert_int_equal(status_of(first), 0);
            assert_int_cmp(
                json_integer_value(json_object_get(h, "refused_retries")), >,
                0);
            assert_dbl_cmp(took, >=, 0.3);
            assert_dbl_cmp(took, <, 3.0);
        }
        json_decref(hops);
    }
    close(fd);
}

/* Accepts one connection and closes it unanswered, and its listener
 * with it: a client that exits while the callback is in flight. */
static void *hang_up(void *arg)
{
    int fd = *(int *)arg, c = accept(fd, NULL, NULL);

    close(fd);
    if (c >= 0) {
        close(c);
    }
    return NULL;
}

/* A callback that got a connection is never sent again, even when
 * nothing listens any more (so refusing now): no retry, no wait. */
static void test_hang_up_not_retried(void **state)
{
    const char *rec = record_path();
    int port, fd = refusing_socket(&port);
    char url[64];
    char *argv[] = {"browse", "--record", (char *)rec, "--connect-retry",
                    "3000",   url,        NULL};
    pthread_t t;
    double t0;
    json_t *hops;
    const json_t *h;

    (void)state;
    assert_int_equal(listen(fd, 1), 0);
    pthread_create(&t, NULL, hang_up, &fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/callback?code=c", port);
    unlink(rec);
    t0 = now_s();
    assert_int_equal(hb_main(6, argv), 1);
    assert_dbl_cmp(now_s() - t0, <, 1.0);
    pthread_join(t, NULL);
    hops = read_record(rec);
    assert_int_equal(json_array_size(hops), 1);
    h = json_array_get(hops, 0);
    assert_int_equal(status_of(h), 0);
    assert_non_null(str(h, "error"));
    assert_null(json_object_get(h, "retrying"));
    assert_null(json_object_get(h, "refused_retries"));
    json_decref(hops);
}

/* A loopback callback that listens only 300 ms after the browser got
 * there (mcp-remote opens the browser first): reached by retrying, at
 * 127.0.0.1 and at localhost, with the default window. */
static void test_late_listener(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost"};

    (void)state;
    for (size_t k = 0; k < 2; k++) {
        struct server s = {0};
        const char *rec = record_path();
        char url[96];
        char *argv[] = {"browse", "--record", (char *)rec, url, NULL};
        json_t *hops;
        const json_t *h;
        s.fd = refusing_socket(&s.port);
        s.listen_after_ms = 300;
        pthread_create(&s.thread, NULL, serve, &s);
        snprintf(url, sizeof(url), "http://%s:%d/end", hosts[k], s.port);
        assert_int_equal(hb_main(4, argv), 0);
        hops = read_record(rec);
        assert_int_equal(json_array_size(hops), 2);
        assert_true(
            json_is_true(json_object_get(json_array_get(hops, 0), "retrying")));
        assert_int_equal(status_of(json_array_get(hops, 0)), 0);
        assert_int_cmp(json_integer_value(
                           json_object_get(json_array_get(hops, 0), "t_ns")),
                       <,
                       json_integer_value(
                           json_object_get(json_array_get(hops, 1), "t_ns")));
        h = json_array_get(hops, 1);
        assert_int_equal(status_of(h), 200);
        assert_int_cmp(
            json_integer_value(json_object_get(h, "refused_retries")), >, 0);
        json_decref(hops);
        shutdown(s.fd, SHUT_RDWR);
        pthread_join(s.thread, NULL);
        close(s.fd);
    }
}

/* A callback listening on ::1 only is reached at localhost (and at
 * [::1]) at once, whichever address the resolver lists first. */
static void test_localhost_ipv6_only(void **state)
{
    static const char *const hosts[] = {"localhost", "[::1]"};
    struct server s = {0};
    struct sockaddr_in6 a = {0};
    socklen_t len = sizeof(a);
    int one = 1;

    (void)state;
    s.fd = socket(AF_INET6, SOCK_STREAM, 0);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (s.fd < 0 ||
        setsockopt(s.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
        bind(s.fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (s.fd >= 0) {
            close(s.fd);
        }
        skip(); /* no IPv6 loopback on this machine */
    }
    assert_int_equal(listen(s.fd, 16), 0);
    assert_int_equal(getsockname(s.fd, (struct sockaddr *)&a, &len), 0);
    s.port = ntohs(a.sin6_port);
    pthread_create(&s.thread, NULL, serve, &s);
    for (size_t k = 0; k < 2; k++) {
        const char *rec = record_path();
        char url[96];
        char *argv[] = {"browse", "--record", (char *)rec, url, NULL};
        json_t *hops;
        snprintf(url, sizeof(url), "http://%s:%d/end", hosts[k], s.port);
        assert_int_equal(hb_main(4, argv), 0);
        hops = read_record(rec);
        assert_int_equal(json_array_size(hops), 1);
        assert_int_equal(status_of(json_array_get(hops, 0)), 200);
        json_decref(hops);
    }
    shutdown(s.fd, SHUT_RDWR);
    pthread_join(s.thread, NULL);
    close(s.fd);
}

/* hb_browse, as the harness calls it: lines go to the print hook, and a
 * stop hook that says stop ends the walk with nothing more recorded. */
struct hooks {
    char out[4096];
    int asked;
    const char *rec;
    size_t stop_after; /* stop once the record holds this many hops */
};

static void collect(void *arg, const char *line)
{
    struct hooks *h = arg;
    size_t n = strlen(h->out);

    snprintf(h->out + n, sizeof(h->out) - n, "%s", line);
}

static bool stop_late(void *arg)
{
    struct hooks *h = arg;
    FILE *f = fopen(h->rec, "r");
    size_t lines = 0;
    int c;

    h->asked++;
    while (f != NULL && (c = fgetc(f)) != EOF) {
        lines += c == '\n';
    }
    if (f != NULL) {
        fclose(f);
    }
    return lines >= h->stop_after;
}

static void test_in_process(void **state)
{
    struct server *s = *state;
    const char *rec = record_path();
    struct hooks h = {"", 0, rec, 1000};
    struct hb_options o = {.record = rec,
                           .deadline_ns = ac_mono_ns() + 5000000000LL,
                           .stop = stop_late,
                           .stop_arg = &h,
                           .print = collect,
                           .print_arg = &h};
    char url[128];
    json_t *hops;

    assert_true(ac_http_global_init(NULL));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/start", s->port);
    assert_int_equal(hb_browse(url, &o), 0);
    assert_non_null(strstr(h.out, "authcheck browse: ended: HTTP 200 at "));
    assert_int_cmp(h.asked, >=, 3); /* before each request, and during */
    hops = read_record(rec);
    assert_int_equal(json_array_size(hops), 3);
    json_decref(hops);

    /* stopped once the first hop is recorded: one hop, no "failed" line */
    rec = record_path();
    h = (struct hooks){"", 0, rec, 1};
    assert_int_equal(hb_browse(url, &o), 1);
    assert_string_equal(h.out, "");
    hops = read_record(rec);
    assert_int_equal(json_array_size(hops), 1);
    json_decref(hops);

    assert_int_equal(hb_browse("ftp://example.com/", &o), 2);
    ac_http_global_cleanup();
}

/* A stop hook that says stop after `ms` milliseconds. */
struct timer {
    int64_t until_ns;
};

static bool stop_after_time(void *arg)
{
    const struct timer *t = arg;

    return ac_mono_ns() >= t->until_ns;
}

/* The stop hook is asked during a request too: a server that accepts but
 * never answers is given up on when the hook says so, long before the
 * hop's own 10 s timeout, and nothing is recorded. */
static void test_stop_aborts_a_hop(void **state)
{
    const char *rec = record_path();
    struct timer t = {ac_mono_ns() + 300000000LL};
    struct hb_options o = {
        .record = rec, .stop = stop_after_time, .stop_arg = &t};
    char url[128];
    int port, fd = ts_listen_loopback(&port);
    int64_t start = ac_mono_ns();
    FILE *f;

    (void)state;
    assert_int_cmp(fd, >=, 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/silent", port);
    assert_true(ac_http_global_init(NULL));
    assert_int_equal(hb_browse(url, &o), 1);
    assert_int_cmp((ac_mono_ns() - start) / 1000000, <, 5000);
    f = fopen(rec, "r");
    assert_true(f == NULL || fgetc(f) == EOF);
    if (f != NULL) {
        fclose(f);
    }
    ac_http_global_cleanup();
    close(fd);
}

static void test_usage(void **state)
{
    char *none[] = {"browse", NULL};
    char *ftp[] = {"browse", "ftp://example.com/", NULL};
    char *two[] = {"browse", "http://a/", "http://b/", NULL};
    char *opt[] = {"browse", "--frob", "http://a/", NULL};
    char *help[] = {"browse", "--help", NULL};
    char *retry_bad[] = {"browse", "--connect-retry", "soon", "http://a/",
                         NULL};
    char *retry_big[] = {"browse", "--connect-retry", "600000", "http://a/",
                         NULL};
    char *retry_none[] = {"browse", "--connect-retry", NULL};

    (void)state;
    assert_int_equal(hb_main(1, none), 2);
    assert_int_equal(hb_main(2, ftp), 2);
    assert_int_equal(hb_main(3, two), 2);
    assert_int_equal(hb_main(3, opt), 2);
    assert_int_equal(hb_main(2, help), 0);
    assert_int_equal(hb_main(4, retry_bad), 2);
    assert_int_equal(hb_main(4, retry_big), 2);
    assert_int_equal(hb_main(2, retry_none), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_redirects),
        cmocka_unit_test(test_forge_callback_first),
        cmocka_unit_test(test_hop_limit),
        cmocka_unit_test(test_not_followed),
        cmocka_unit_test(test_body_capped),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_hang_up_not_retried),
        cmocka_unit_test(test_late_listener),
        cmocka_unit_test(test_localhost_ipv6_only),
        cmocka_unit_test(test_in_process),
        cmocka_unit_test(test_stop_aborts_a_hop),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
