/* Robustness of the mock servers: garbage and half requests on the socket,
 * oversized bodies (413), unknown paths (404), wrong methods (405),
 * malformed bodies, connection churn; every one answered or closed and the
 * servers still serving; and start-up time. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "mocks/httpd.h"
#include "tests/support/asserts.h"
#include "tests/support/mock_http.h"

static int setup(void **state)
{
    *state = th_group_world(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":{}}");
    return 0;
}

static int port_of(const char *url)
{
    const char *p = strrchr(url + strlen("http://"), ':');

    return atoi(p + 1);
}

/* Send raw bytes, read whatever comes back (at most 300 ms of silence; a
 * new string). */
static char *raw(const char *url, const char *bytes, size_t n)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {0, 300000};
    char buf[4096];
    size_t got = 0;
    ssize_t k;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port_of(url));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (n > 0) {
        assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    }
    shutdown(fd, SHUT_WR);
    while (got < sizeof(buf) - 1 &&
           (k = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
        got += (size_t)k;
    }
    close(fd);
    buf[got] = '\0';
    return strdup(buf);
}

static void still_serving(struct mo_world *w)
{
    char *url = th_fmt("%s/.well-known/oauth-authorization-server",
                       mo_world_issuer(w, 0));
    struct th_resp r;

    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 200);
    th_resp_free(&r);
    free(url);
}

/* RFC 6749 §5.2's characters for an error_description: quotes and
 * backslashes become ', every other byte outside %x20-7E ?, and the copy
 * is cut to fit. */
static void test_oauth_text(void **state)
{
    char out[16];

    (void)state;
    mo_oauth_text(out, sizeof out, "plain text!");
    assert_string_equal(out, "plain text!");
    mo_oauth_text(out, sizeof out, "a \"b\" \\c");
    assert_string_equal(out, "a 'b' 'c");
    mo_oauth_text(out, sizeof out, "x\xc2\xa7y\tz\x7f");
    assert_string_equal(out, "x??y?z?");
    mo_oauth_text(out, sizeof out, "0123456789abcdefghij");
    assert_string_equal(out, "0123456789abcde");
    mo_oauth_text(out, sizeof out, NULL);
    assert_string_equal(out, "");
    mo_oauth_text(out, 1, "abc");
    assert_string_equal(out, "");
}

static void test_garbage(void **state)
{
    struct mo_world *w = *state;
    static const char *const inputs[] = {
        "\x00\x01\x02\xff\xfe garbage\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
        "POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\n",
        "",
    };

    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        size_t n = i == 0 ? 17 : strlen(inputs[i]);
        char *out = raw(mo_world_issuer(w, 0), inputs[i], n);

        /* Either an HTTP error answer or a closed connection. */
        if (out[0] != '\0' && strncmp(out, "HTTP/1.", 7) != 0) {
            fail_msg("answer \"%.60s\" is not HTTP/1.x", out);
        }
        free(out);
        out = raw(mo_world_mcp_url(w), inputs[i], n);
        free(out);
    }
    still_serving(w);
}

static void test_status_answers(void **state)
{
    struct mo_world *w = *state;
    char *url = th_fmt("%s/nope", mo_world_issuer(w, 0));
    char *tok = th_fmt("%s/token", mo_world_issuer(w, 0));
    char *big = malloc(300 * 1024 + 1);
    const char *hj[] = {"Content-Type: application/json", NULL};
    struct th_resp r;

    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &r), 404);
    assert_non_null(strstr(r.body, "not_found"));
    th_resp_free(&r);
    assert_int_equal(th_http("GET", tok, NULL, NULL, 0, &r), 405);
    assert_string_equal(th_header(&r, "Allow"), "POST");
    th_resp_free(&r);
    memset(big, 'a', 300 * 1024);
    big[300 * 1024] = '\0';
    assert_int_equal(th_post_form(tok, NULL, big, &r), 413);
    th_resp_free(&r);
    /* Malformed bodies get spec errors. */
    assert_int_equal(th_post_form(tok, NULL, "a=%zz&b", &r), 400);
    th_resp_free(&r);
    assert_int_equal(th_post_form(tok, NULL, "grant_type=a&grant_type=b", &r),
                     400);
    th_resp_free(&r);
    assert_int_equal(th_http("POST", mo_world_mcp_url(w), hj, "{{{", 0, &r),
                     401);
    th_resp_free(&r);
    free(big);
    free(url);
    free(tok);
    still_serving(w);
}

/* A declared body over the cap that is not coming yet (the client waits
 * for 100-continue) or too large to be worth reading is refused on the
 * headers alone; one a client is already sending is read and dropped
 * first, so it gets the 413 and not a reset mid-send (test_mocks_as
 * test_wrapper_errors, whose libcurl sends the body without waiting). */
static void test_oversized_refused_unread(void **state)
{
    struct mo_world *w = *state;
    static const char *const heads[] = {
        "POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
        "POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 307200\r\n"
        "Expect: 100-continue\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
    };

    for (size_t i = 0; i < sizeof(heads) / sizeof(*heads); i++) {
        char *out = raw(mo_world_issuer(w, 0), heads[i], strlen(heads[i]));
        if (strncmp(out, "HTTP/1.1 413 ", 13) != 0) {
            fail_msg("case %zu: [%.60s]", i, out);
        }
        free(out);
    }
    still_serving(w);
}

static void test_churn(void **state)
{
    struct mo_world *w = *state;

    static const char req[] =
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

    for (int i = 0; i < 100; i++) {
        char *out = raw(mo_world_issuer(w, 0), req, sizeof(req) - 1);

        assert_non_null(strstr(out, "404"));
        free(out);
    }
    still_serving(w);
    /* Every answered request is in the transcript. */
    assert_int_cmp(th_count(w, "as", "unknown"), >=, 1);
}

/* The budget is for the real build; ThreadSanitizer makes every thread
 * creation and lock several times slower (make check-tsan). */
#if defined(__SANITIZE_THREAD__)
#define START_BUDGET_MS 2000
#else
#define START_BUDGET_MS 200
#endif

static void test_start_fast(void **state)
{
    json_t *doc =
        json_loads("{\"authorization_servers\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
                   "\"mcp_server\":{}}",
                   0, NULL);
    int64_t t0 = ac_mono_ns();
    struct mo_world *w = NULL;
    int64_t ms;

    (void)state;
    assert_true(mo_world_start(doc, &w, NULL));
    ms = (ac_mono_ns() - t0) / 1000000;
    mo_world_stop(w);
    json_decref(doc);
    if (ms > START_BUDGET_MS) {
        fail_msg("the world took %lld ms to start (budget %d ms)",
                 (long long)ms, START_BUDGET_MS);
    }
}

/* The epoll thread pool (authcheck serve) with delays and hangs. */
static void test_thread_pool(void **state)
{
    json_t *doc = json_loads(
        "{\"authorization_servers\":[{\"id\":\"as\"}],\"mcp_server\":{},"
        "\"rules\":[{\"match\":{\"endpoint\":\"metadata\",\"nth\":1},"
        "\"do\":{\"delay_ms\":100}},{\"match\":{\"endpoint\":\"oidc\"},"
        "\"do\":{\"hang\":true}},{\"match\":{\"path\":\"/h\"},\"do\":"
        "{\"hang\":true}}]}",
        0, NULL);
    struct mo_world_options o = {.threads = 2, .max_exchanges = 4};
    struct mo_world *w = NULL;
    char *hang = NULL;
    int64_t t0;

    (void)state;
    assert_true(mo_world_start_with(doc, &o, &w, NULL));
    json_decref(doc);
    t0 = ac_mono_ns();
    still_serving(w);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, >=, 90);
    for (int i = 0; i < 10; i++) {
        still_serving(w);
    }
    /* Capped transcript: at most 4 entries kept. */
    {
        json_t *t = mo_world_transcript(w);

        assert_int_cmp(json_array_size(t), <=, 4);
        json_decref(t);
    }
    hang = raw(mo_world_issuer(w, 0), "GET /h HTTP/1.1\r\nHost: a\r\n\r\n", 27);
    assert_string_equal(hang, "");
    free(hang);
    t0 = ac_mono_ns();
    mo_world_stop(w);
    assert_int_cmp((ac_mono_ns() - t0) / 1000000, <, 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oauth_text),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_status_answers),
        cmocka_unit_test(test_oversized_refused_unread),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_start_fast),
        cmocka_unit_test(test_thread_pool),
    };

    return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
