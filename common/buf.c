/* The capped byte buffer every network body goes through (see buf.h). */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static size_t buf_max(const struct ac_buf *b)
{
    return b->max != 0 ? b->max : AC_BUF_DEFAULT_MAX;
}

void ac_buf_init(struct ac_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/* Make room for `need` bytes of data plus the NUL terminator. */
static bool buf_reserve(struct ac_buf *b, size_t need, struct ac_err *err)
{
    size_t ncap;
    char *p;

    if (need + 1 <= b->cap) {
        return true;
    }
    ncap = b->cap != 0 ? b->cap : 256;
    while (ncap < need + 1) {
        ncap *= 2;
    }
    if (ncap > buf_max(b) + 1) {
        ncap = buf_max(b) + 1;
    }
    p = realloc(b->data, ncap);
    if (p == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory growing buffer to %zu", ncap);
        return false;
    }
    b->data = p;
    b->cap = ncap;
    return true;
}

bool ac_buf_append(struct ac_buf *b, const void *p, size_t n,
                   struct ac_err *err)
{
    if (n > buf_max(b) || b->len > buf_max(b) - n) {
        AC_ERR(err, AC_ERR_TOOBIG, "buffer cap of %zu bytes exceeded",
               buf_max(b));
        return false;
    }
    if (!buf_reserve(b, b->len + n, err)) {
        return false;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool ac_buf_append_str(struct ac_buf *b, const char *s, struct ac_err *err)
{
    return ac_buf_append(b, s, strlen(s), err);
}

bool ac_buf_printf(struct ac_buf *b, struct ac_err *err, const char *fmt, ...)
{
    bool ok = false;
    char small[256];
    char *big = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        AC_ERR(err, AC_ERR_INVALID, "bad format string");
        goto out;
    }
    if ((size_t)n < sizeof(small)) {
        ok = ac_buf_append(b, small, (size_t)n, err);
        goto out;
    }
    big = malloc((size_t)n + 1);
    if (big == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ok = ac_buf_append(b, big, (size_t)n, err);
out:
    free(big);
    return ok;
}

char *ac_buf_steal(struct ac_buf *b)
{
    char *s = b->data;

    if (s == NULL) {
        s = calloc(1, 1);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return s;
}

void ac_buf_reset(struct ac_buf *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->len);
        b->data[0] = '\0';
    }
    b->len = 0;
}

void ac_buf_free(struct ac_buf *b)
{
    if (b == NULL) {
        return;
    }
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
    }
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
