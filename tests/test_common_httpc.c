/* Tests for common/httpc against a one-shot HTTP server on a loopback
 * socket (port 0), run in a thread: header order and repetition, 1xx
 * reset, methods and bodies, no redirect following, body cap, timeout,
 * refused connection and refused schemes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/httpc.h"
#include "tests/support/asserts.h"
#include "tests/support/net.h"

/* A server that accepts one connection, records the request and sends a
 * canned response (or, with hang, waits for the client to give up). */
struct srv {
    int lfd;
    int port;
    pthread_t th;
    const char *response;
    bool hang;
    char req[16384];
    size_t req_len;
};

static size_t content_length(const char *req)
{
    const char *p = strcasestr(req, "\r\nContent-Length:");

    return p != NULL ? (size_t)strtoul(p + 17, NULL, 10) : 0;
}

static void read_request(struct srv *s, int fd)
{
    const char *end = NULL;
    ssize_t n;

    while (s->req_len < sizeof(s->req) - 1) {
        n = recv(fd, s->req + s->req_len, sizeof(s->req) - 1 - s->req_len, 0);
        if (n <= 0) {
            break;
        }
        s->req_len += (size_t)n;
        s->req[s->req_len] = '\0';
        end = strstr(s->req, "\r\n\r\n");
        if (end != NULL &&
            s->req_len >= (size_t)(end + 4 - s->req) + content_length(s->req)) {
            break;
        }
    }
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    char sink[256];
    int fd = accept(s->lfd, NULL, NULL);

    if (fd < 0) {
        return NULL;
    }
    read_request(s, fd);
    if (s->hang) {
        /* Returns when the client closes the connection on its timeout. */
        while (recv(fd, sink, sizeof(sink), 0) > 0) {
        }
    } else {
        /* MSG_NOSIGNAL: a client that hung up must not kill the test. */
        (void)!send(fd, s->response, strlen(s->response), MSG_NOSIGNAL);
    }
    close(fd);
    return NULL;
}

static void srv_start(struct srv *s, const char *response)
{
    memset(s, 0, sizeof(*s));
    s->response = response;
    s->hang = response == NULL;
    s->lfd = ts_listen_loopback(&s->port);
    assert_int_cmp(s->lfd, >=, 0);
    assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

/* One request to `path` on a fresh server that answers `response` (NULL:
 * hangs until the client gives up): what ac_http_do returned. Afterwards
 * s->req holds what the server saw; req->url is reset to NULL. */
static bool exchange(struct srv *s, const char *response, const char *path,
                     struct ac_http_request *req, struct ac_http_response *resp,
                     struct ac_err *err)
{
    char *url = NULL;
    bool ok;

    srv_start(s, response);
    assert_int_cmp(asprintf(&url, "http://127.0.0.1:%d%s", s->port, path), >,
                   0);
    req->url = url;
    ok = ac_http_do(req, resp, err);
    pthread_join(s->th, NULL);
    close(s->lfd);
    req->url = NULL;
    free(url);
    return ok;
}

static int group_setup(void **state)
{
    (void)state;
    return ac_http_global_init(NULL) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ac_http_global_cleanup();
    return 0;
}

static void test_get_headers_in_order(void **state)
{
    static const char resp_text[] =
        "HTTP/1.1 401 Unauthorized\r\n"
        "WWW-Authenticate: Bearer realm=\"a\"\r\n"
        "Content-Type: text/plain\r\n"
        "X-Folded: a,\r\n"
        " \tb\r\n"
        "www-authenticate:   Basic realm=\"b\"  \r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "hello";
    const char *hdrs[] = {"Accept: application/json", "X-Test: 1", NULL};
    const char *all[4];
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct ac_err err = {0};
    struct srv s;

    (void)state;
    req.headers = hdrs;
    if (!exchange(&s, resp_text, "/mcp?x=1", &req, &resp, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(resp.status, 401);
    assert_string_equal(resp.body, "hello");
    assert_int_equal(resp.body_len, 5);
    assert_int_equal(resp.nheaders, 5);
    assert_string_equal(resp.headers[0].name, "WWW-Authenticate");
    assert_string_equal(resp.headers[3].name, "www-authenticate");
    /* RFC 9112 §5.2 obs-fold joined with one space. */
    assert_string_equal(ac_http_header_get(&resp, "X-Folded"), "a, b");
    assert_string_equal(ac_http_header_get(&resp, "content-type"),
                        "text/plain");
    assert_int_equal(ac_http_header_all(&resp, "WWW-Authenticate", all, 4), 2);
    assert_string_equal(all[0], "Bearer realm=\"a\"");
    assert_string_equal(all[1], "Basic realm=\"b\"");
    assert_int_equal(ac_http_header_all(&resp, "WWW-Authenticate", all, 1), 1);
    assert_null(ac_http_header_get(&resp, "X-Missing"));
    /* What the server saw. */
    assert_strn_equal(s.req, "GET /mcp?x=1 HTTP/1.1\r\n", 23);
    assert_non_null(strstr(s.req, "\r\nX-Test: 1\r\n"));
    assert_non_null(strstr(s.req, "\r\nAccept: application/json\r\n"));
    ac_http_response_free(&resp);
    ac_http_response_free(NULL);
}

static void test_interim_response_resets_headers(void **state)
{
    static const char resp_text[] = "HTTP/1.1 100 Continue\r\n"
                                    "X-Interim: 1\r\n"
                                    "\r\n"
                                    "HTTP/1.1 200 OK\r\n"
                                    "X-Final: 1\r\n"
                                    "Content-Length: 2\r\n"
                                    "\r\n"
                                    "ok";
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct ac_err err = {0};
    struct srv s;

    (void)state;
    req.method = "POST";
    req.body = "grant_type=client_credentials";
    if (!exchange(&s, resp_text, "/token", &req, &resp, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(resp.status, 200);
    assert_null(ac_http_header_get(&resp, "X-Interim"));
    assert_string_equal(ac_http_header_get(&resp, "X-Final"), "1");
    assert_string_equal(resp.body, "ok");
    assert_strn_equal(s.req, "POST /token HTTP/1.1\r\n", 22);
    /* No Expect: 100-continue handshake; the body went in full. */
    assert_null(strcasestr(s.req, "\r\nExpect:"));
    assert_non_null(strstr(s.req, "\r\n\r\ngrant_type=client_credentials"));
    ac_http_response_free(&resp);
}

static void test_custom_method_and_binary_body(void **state)
{
    static const char resp_text[] =
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct srv s;

    (void)state;
    req.method = "PUT";
    req.headers = hdrs;
    req.body = "{\"a\":1}IGNORED";
    req.body_len = 7;
    assert_true(exchange(&s, resp_text, "/register/1", &req, &resp, NULL));
    assert_int_equal(resp.status, 204);
    assert_string_equal(resp.body, "");
    assert_int_equal(resp.body_len, 0);
    assert_strn_equal(s.req, "PUT /register/1 HTTP/1.1\r\n", 26);
    assert_non_null(strstr(s.req, "Content-Length: 7\r\n"));
    assert_non_null(strstr(s.req, "\r\n\r\n{\"a\":1}"));
    assert_null(strstr(s.req, "IGNORED"));
    ac_http_response_free(&resp);
}

static void test_delete_without_body(void **state)
{
    static const char resp_text[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct srv s;

    (void)state;
    req.method = "DELETE";
    assert_true(exchange(&s, resp_text, "/mcp", &req, &resp, NULL));
    assert_strn_equal(s.req, "DELETE /mcp HTTP/1.1\r\n", 22);
    ac_http_response_free(&resp);
}

static void test_redirect_not_followed(void **state)
{
    static const char resp_text[] =
        "HTTP/1.1 302 Found\r\n"
        "Location: http://127.0.0.1:1/cb?code=abc&state=x\r\n"
        "Content-Length: 0\r\n\r\n";
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct srv s;

    (void)state;
    assert_true(exchange(&s, resp_text, "/authorize", &req, &resp, NULL));
    assert_int_equal(resp.status, 302);
    assert_string_equal(ac_http_header_get(&resp, "location"),
                        "http://127.0.0.1:1/cb?code=abc&state=x");
    ac_http_response_free(&resp);
}

static void test_body_over_cap(void **state)
{
    static const char resp_text[] = "HTTP/1.1 200 OK\r\n"
                                    "Content-Length: 26\r\n\r\n"
                                    "abcdefghijklmnopqrstuvwxyz";
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct ac_err err = {0};
    struct srv s;

    (void)state;
    req.max_body = 10;
    assert_false(exchange(&s, resp_text, "/big", &req, &resp, &err));
    assert_int_equal(err.code, AC_ERR_TOOBIG);
    assert_null(resp.body);
    assert_int_equal(resp.nheaders, 0);
}

static void test_timeout(void **state)
{
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct ac_err err = {0};
    struct srv s;

    (void)state;
    req.timeout_ms = 300;
    assert_false(exchange(&s, NULL, "/slow", &req, &resp, &err));
    assert_int_equal(err.code, AC_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "/slow"));
}

static void test_connection_refused(void **state)
{
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct ac_err err = {0};
    char url[64];
    int port = 0;
    int fd = ts_listen_loopback(&port);

    (void)state;
    /* A port that was just ours and is now closed. */
    assert_int_cmp(fd, >=, 0);
    close(fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    req.url = url;
    assert_false(ac_http_do(&req, &resp, &err));
    assert_int_equal(err.code, AC_ERR_NET);
    assert_int_not_equal(err.msg[0], '\0');
    assert_null(resp.body);
}

static void test_scheme_refused(void **state)
{
    static const char *const urls[] = {"ftp://127.0.0.1/", "file:///etc/passwd",
                                       "gopher://127.0.0.1/", "127.0.0.1:80",
                                       NULL};
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        struct ac_err err = {0};

        req.url = urls[i];
        assert_false(ac_http_do(&req, &resp, &err));
        assert_int_equal(err.code, AC_ERR_INVALID);
    }
}

struct trace_seen {
    int calls;
    int with_resp;
    long last_status;
};

static void trace(const struct ac_http_request *req,
                  const struct ac_http_response *resp, void *arg)
{
    struct trace_seen *t = arg;

    assert_non_null(req);
    t->calls++;
    if (resp != NULL) {
        t->with_resp++;
        t->last_status = resp->status;
    }
}

static void test_trace_hook(void **state)
{
    static const char resp_text[] =
        "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n";
    struct trace_seen seen = {0};
    struct ac_http_request req = {0};
    struct ac_http_response resp;
    struct srv s;

    (void)state;
    ac_http_set_trace(trace, &seen);
    assert_true(exchange(&s, resp_text, "/", &req, &resp, NULL));
    ac_http_response_free(&resp);
    req.url = "ftp://x/";
    assert_false(ac_http_do(&req, &resp, NULL));
    ac_http_set_trace(NULL, NULL);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.with_resp, 1);
    assert_int_equal(seen.last_status, 418);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_headers_in_order),
        cmocka_unit_test(test_interim_response_resets_headers),
        cmocka_unit_test(test_custom_method_and_binary_body),
        cmocka_unit_test(test_delete_without_body),
        cmocka_unit_test(test_redirect_not_followed),
        cmocka_unit_test(test_body_over_cap),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_scheme_refused),
        cmocka_unit_test(test_trace_hook),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
