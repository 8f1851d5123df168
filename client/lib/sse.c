/* Server-Sent Events parsing for the Streamable HTTP transport: the
 * response to a POST may be a text/event-stream whose events carry
 * JSON-RPC messages in their data field (WHATWG HTML "event stream
 * interpretation": lines end in CRLF, LF or CR; "data:" lines are joined
 * with LF; a blank line dispatches the event; ":" starts a comment). */
#include <stdlib.h>
#include <string.h>

#include "client/lib/client_int.h"
#include "common/buf.h"
#include "common/json.h"

/* Is `msg` the JSON-RPC response to request `id`? */
static bool is_response_to(const json_t *msg, json_int_t id)
{
    const json_t *jid = json_object_get(msg, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) != id) {
        return false;
    }
    return json_object_get(msg, "result") != NULL ||
           json_object_get(msg, "error") != NULL;
}

/* Length of the line starting at p (without its terminator) and the
 * offset of the next line. */
static size_t line_len(const char *p, const char *end, const char **next)
{
    const char *q = p;
    while (q < end && *q != '\r' && *q != '\n') {
        q++;
    }
    size_t n = (size_t)(q - p);
    if (q < end && *q == '\r') {
        q++;
        if (q < end && *q == '\n') {
            q++;
        }
    } else if (q < end) {
        q++;
    }
    *next = q;
    return n;
}

/* Dispatch one event's data: true and *msg set when it is our response. */
static bool dispatch(struct ac_buf *data, json_int_t id, json_t **msg,
                     struct ac_err *err)
{
    if (data->len == 0) {
        return false;
    }
    json_t *m = ac_json_parse_object(data->data, data->len, err);
    ac_buf_reset(data);
    if (m != NULL && is_response_to(m, id)) {
        *msg = m;
        return true;
    }
    json_decref(m);
    return false;
}

/* Append the value of a "data" field (one leading space removed). */
static bool add_data(struct ac_buf *data, const char *v, size_t n,
                     struct ac_err *err)
{
    if (n > 0 && *v == ' ') {
        v++;
        n--;
    }
    if (data->len > 0 && !ac_buf_append(data, "\n", 1, err)) {
        return false;
    }
    return n == 0 || ac_buf_append(data, v, n, err);
}

bool sse_find_response(const char *body, size_t len, json_int_t id,
                       json_t **msg, struct ac_err *err)
{
    struct ac_buf data;
    const char *p = body, *end = body + len, *next;
    struct ac_err perr;
    bool ok = false;

    *msg = NULL;
    ac_buf_init(&data, 0);
    ac_err_clear(&perr);
    while (p < end) {
        size_t n = line_len(p, end, &next);
        if (n == 0) {
            if (dispatch(&data, id, msg, &perr)) {
                ok = true;
                goto out;
            }
        } else if (n >= 5 && strncmp(p, "data:", 5) == 0) {
            if (!add_data(&data, p + 5, n - 5, err)) {
                goto out;
            }
        } else if (n == 4 && strncmp(p, "data", 4) == 0) {
            if (!add_data(&data, "", 0, err)) {
                goto out;
            }
        }
        /* event:, id:, retry: and comments do not matter here. */
        p = next;
    }
    /* A stream that ends without a blank line still carries its last
     * event's data; be lenient and look at it. */
    if (dispatch(&data, id, msg, &perr)) {
        ok = true;
        goto out;
    }
    AC_ERR(err, AC_ERR_PROTOCOL,
           "the SSE stream ended without the JSON-RPC response to request "
           "%lld%s%s (MCP 2025-11-25 transports: Sending Messages)",
           (long long)id, perr.code != AC_OK ? "; last bad event: " : "",
           perr.code != AC_OK ? perr.msg : "");
out:
    ac_buf_free(&data);
    return ok;
}
