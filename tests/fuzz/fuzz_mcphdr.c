/* libFuzzer target: the Mcp-Param codec (common/mcphdr.c,
 * MCP 2026-07-28 Streamable HTTP request metadata headers). The input is
 * "VALUE\nJSON": VALUE is encoded as a header value; JSON is
 * {"tool": <tool definition>, "arguments": {...}} as a hostile server's
 * tools/list and a caller's arguments give them. Properties: an encoded
 * value is visible ASCII and decodes (plain, or "=?base64?...?=") to
 * VALUE; an invalid tool gives a reason; header lines are
 * "Mcp-Param-NAME: value" with a visible-ASCII value; ac_mcphdr_decode
 * gives VALUE back. */
#include "tests/fuzz/fuzz.h"

#include "common/mcphdr.h"
#include "common/b64url.h"

static bool visible(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && (*s < 0x21 || *s > 0x7e)) {
            return false;
        }
    }
    return true;
}

static void check_encode(const char *value)
{
    char *enc = ac_mcphdr_encode(value), *dec;
    size_t n;
    uint8_t *raw = NULL;
    size_t rl = 0;

    FZ_ASSERT(enc != NULL && visible(enc));
    n = strlen(enc);
    if (strcmp(enc, value) != 0) {
        FZ_ASSERT(n >= 11 && strncmp(enc, "=?base64?", 9) == 0 &&
                  strcmp(enc + n - 2, "?=") == 0);
        FZ_ASSERT(ac_b64_decode(enc + 9, n - 11, &raw, &rl, NULL));
        FZ_ASSERT(rl == strlen(value) && memcmp(raw, value, rl) == 0);
    }
    /* The receiving side's decoder (mocks, checks) gives the value back,
     * up to its first NUL, as a C string carries it. */
    dec = ac_mcphdr_decode(enc);
    FZ_ASSERT(dec != NULL && strcmp(dec, value) == 0);
    free(dec);
    free(raw);
    free(enc);
}

static void check_tool(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    const json_t *tool = json_object_get(doc, "tool");
    const char *why = NULL;
    json_t *ann, *lines;
    size_t i;
    const json_t *l;

    if (doc == NULL) {
        return;
    }
    ann = ac_mcphdr_annotations(tool, &why);
    FZ_ASSERT(ann != NULL || why != NULL);
    lines = ac_mcphdr_params(tool, json_object_get(doc, "arguments"));
    FZ_ASSERT((ann == NULL) == (lines == NULL));
    json_array_foreach(lines, i, l)
    {
        const char *s = json_string_value(l);

        FZ_ASSERT(s != NULL && strncmp(s, "Mcp-Param-", 10) == 0);
    }
    json_decref(lines);
    json_decref(ann);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size);
    char *lines[2];
    size_t n = fz_lines(text, lines, 2);

    check_encode(lines[0]);
    if (n > 1) {
        check_tool(lines[1]);
    }
    free(text);
    return 0;
}
