/* base64url without padding (RFC 4648 §5) for PKCE and JWS, and standard
 * padded base64 (RFC 4648 §4) for HTTP Basic credentials. Decoders are
 * strict: one canonical text per byte string. */
#include "common/b64url.h"

#include <stdlib.h>
#include <string.h>

static const char URL_ALPHA[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char STD_ALPHA[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *encode(const void *data, size_t n, const char *alpha, bool pad)
{
    const uint8_t *p = data;
    size_t outlen = (n / 3) * 4 + 4 + 1;
    size_t i, o = 0;
    char *out;

    if (n > (SIZE_MAX / 4) * 3 - 3) {
        return NULL;
    }
    out = malloc(outlen);
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        if (pad) {
            out[o++] = '=';
        }
    }
    out[o] = '\0';
    return out;
}

char *ac_b64url_encode(const void *data, size_t n)
{
    return encode(data, n, URL_ALPHA, false);
}

char *ac_b64_encode(const void *data, size_t n)
{
    return encode(data, n, STD_ALPHA, true);
}

static int sextet(const char *alpha, char c)
{
    const char *p;

    if (c == '\0') {
        return -1;
    }
    p = strchr(alpha, c);
    return p != NULL ? (int)(p - alpha) : -1;
}

/* Decode `len` characters of unpadded text in `alpha`. */
static bool decode(const char *text, size_t len, const char *alpha,
                   uint8_t **out, size_t *outlen, struct ac_err *err)
{
    bool ok = false;
    uint8_t *buf = NULL;
    uint32_t acc = 0;
    size_t i, o = 0;
    int bits = 0;

    *out = NULL;
    *outlen = 0;
    if (len % 4 == 1) {
        AC_ERR(err, AC_ERR_INVALID, "base64: impossible length %zu", len);
        goto out;
    }
    buf = malloc(len / 4 * 3 + 3 + 1);
    if (buf == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < len; i++) {
        int v = sextet(alpha, text[i]);
        if (v < 0) {
            AC_ERR(err, AC_ERR_INVALID,
                   "base64: invalid character 0x%02x at offset %zu",
                   (unsigned char)text[i], i);
            goto out;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* RFC 4648 §3.5: the pad bits must be zero, so that each byte string
     * has exactly one encoding. */
    if ((acc & ((1u << bits) - 1)) != 0) {
        AC_ERR(err, AC_ERR_INVALID, "base64: non-zero trailing bits");
        goto out;
    }
    buf[o] = 0;
    *out = buf;
    *outlen = o;
    buf = NULL;
    ok = true;
out:
    free(buf);
    return ok;
}

bool ac_b64url_decode(const char *text, size_t len, uint8_t **out,
                      size_t *outlen, struct ac_err *err)
{
    return decode(text, len, URL_ALPHA, out, outlen, err);
}

bool ac_b64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen,
                   struct ac_err *err)
{
    size_t body = len;

    /* RFC 4648 §4: padded to a multiple of 4 with at most two '='. */
    if (len % 4 != 0) {
        *out = NULL;
        *outlen = 0;
        AC_ERR(err, AC_ERR_INVALID, "base64: length %zu not a multiple of 4",
               len);
        return false;
    }
    while (body > 0 && len - body < 2 && text[body - 1] == '=') {
        body--;
    }
    return decode(text, body, STD_ALPHA, out, outlen, err);
}
