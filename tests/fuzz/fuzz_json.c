/* libFuzzer target: the JSON helpers (common/json.c: strict parsing with
 * duplicate keys refused, the object variant, dumping), base64 and
 * base64url decoding (common/b64url.c) and JSON redaction
 * (common/redact.c). Properties: what parses dumps and parses back to an
 * equal value; the object parser returns objects only; the base64 decoders
 * are canonical (a success re-encodes to the very input); failures say
 * why. */
#include "tests/fuzz/fuzz.h"

#include "common/b64url.h"
#include "common/json.h"
#include "common/redact.h"

static void check_json(const char *text, size_t size)
{
    struct ac_err err = {0};
    json_t *v = ac_json_parse(text, size, &err), *back, *red;
    char *dump;

    if (v == NULL) {
        FZ_ASSERT(err.msg[0] != '\0');
    } else {
        dump = ac_json_dump(v);
        FZ_ASSERT(dump != NULL);
        back = ac_json_parse(dump, strlen(dump), &err);
        FZ_ASSERT(back != NULL && json_equal(back, v));
        red = ac_redact_json(v);
        FZ_ASSERT(red != NULL);
        json_decref(red);
        json_decref(back);
        free(dump);
    }
    json_decref(v);
    memset(&err, 0, sizeof(err));
    v = ac_json_parse_object(text, size, &err);
    FZ_ASSERT(v != NULL ? json_is_object(v) : err.msg[0] != '\0');
    (void)ac_json_str(v, "issuer");
    json_decref(v);
}

static void check_b64(const char *text, size_t size, bool url)
{
    struct ac_err err = {0};
    uint8_t *out = NULL;
    size_t n = 0;
    bool ok = url ? ac_b64url_decode(text, size, &out, &n, &err)
                  : ac_b64_decode(text, size, &out, &n, &err);
    char *enc;

    if (ok) {
        enc = url ? ac_b64url_encode(out, n) : ac_b64_encode(out, n);
        FZ_ASSERT(enc != NULL && strlen(enc) == size &&
                  memcmp(enc, text, size) == 0);
        free(enc);
    } else {
        FZ_ASSERT(err.msg[0] != '\0');
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size);

    check_json(text, size);
    check_b64(text, size, true);
    check_b64(text, size, false);
    free(text);
    return 0;
}
