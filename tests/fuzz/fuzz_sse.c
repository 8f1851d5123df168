/* libFuzzer target: the client's Server-Sent Events parser
 * (client/lib/sse.c), which reads a hostile MCP server's
 * text/event-stream response looking for the JSON-RPC response to request
 * 1. Properties: a success is an object answering id 1; a failure says
 * why. */
#include "tests/fuzz/fuzz.h"

#include "client/lib/client_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size);
    struct ac_err err = {0};
    json_t *msg = NULL;

    if (sse_find_response(text, size, 1, &msg, &err)) {
        FZ_ASSERT(json_is_object(msg));
        FZ_ASSERT(json_integer_value(json_object_get(msg, "id")) == 1);
    } else {
        FZ_ASSERT(msg == NULL && err.msg[0] != '\0');
    }
    json_decref(msg);
    free(text);
    return 0;
}
