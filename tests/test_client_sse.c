/* Unit tests of the SSE response parsing of the Streamable HTTP client:
 * line endings, multi-line data, comments and other fields, messages that
 * are not our response, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/client_int.h"

struct sse_case {
    const char *name;
    const char *body;
    json_int_t id;
    bool ok;
    const char *want_result_key; /* a member of "result" to expect */
};

static const struct sse_case cases[] = {
    {"plain",
     "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,"
     "\"result\":{\"a\":1}}\n\n",
     3, true, "a"},
    {"crlf",
     "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"b\":1}}\r\n\r\n", 3,
     true, "b"},
    {"cr only", "data:{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"c\":1}}\r\r",
     3, true, "c"},
    {"split data",
     "data: {\"jsonrpc\":\"2.0\",\ndata: \"id\":3,\n"
     "data: \"result\":{\"d\":1}}\n\n",
     3, true, "d"},
    {"notification first",
     ": keep-alive\nid: 1\nevent: message\ndata: {\"jsonrpc\":\"2.0\","
     "\"method\":\"notifications/progress\",\"params\":{}}\n\n"
     "retry: 100\ndata: "
     "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"e\":1}}\n\n",
     3, true, "e"},
    {"server request with same id is not a response",
     "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n\n", 3, false,
     NULL},
    {"other id", "data: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n\n", 3,
     false, NULL},
    {"no final blank line",
     "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"f\":1}}", 3, true, "f"},
    {"error response",
     "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"error\":"
     "{\"code\":-1,\"message\":\"x\"}}\n\n",
     3, true, NULL},
    {"garbage then response",
     "data: {not json\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
     "{\"g\":1}}\n\n",
     3, true, "g"},
    {"empty", "", 3, false, NULL},
    {"only blank lines", "\n\n\r\n\r\r", 3, false, NULL},
    {"data without colon", "data\n\n", 3, false, NULL},
    {"duplicate keys rejected",
     "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"id\":3,\"result\":{}}\n\n", 3,
     false, NULL},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct sse_case *c = &cases[i];
        json_t *msg = NULL;
        struct ac_err err;
        ac_err_clear(&err);
        bool ok =
            sse_find_response(c->body, strlen(c->body), c->id, &msg, &err);
        if (ok != c->ok) {
            fail_msg("%s: ok=%d (%s)", c->name, ok, err.msg);
        }
        if (!ok) {
            assert_null(msg);
            assert_int_equal(err.code, AC_ERR_PROTOCOL);
        }
        if (c->want_result_key != NULL) {
            assert_non_null(json_object_get(json_object_get(msg, "result"),
                                            c->want_result_key));
        }
        json_decref(msg);
    }
}

/* Embedded NUL bytes and a body that is only "data:" lines must not crash
 * or read past the given length. */
static void test_hostile(void **state)
{
    static const char nul[] = "data: {\"id\":3,\0\"result\":{}}\n\n";
    json_t *msg = NULL;
    (void)state;
    assert_false(sse_find_response(nul, sizeof nul - 1, 3, &msg, NULL));
    char big[4096];
    memset(big, '\n', sizeof big);
    memcpy(big, "data:", 5);
    assert_false(sse_find_response(big, sizeof big, 3, &msg, NULL));
    /* Length shorter than the text: only the prefix is read. */
    const char *t = "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n\n";
    assert_false(sse_find_response(t, 10, 3, &msg, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
