/* application/x-www-form-urlencoded (WHATWG URL §5, RFC 6749 Appendix B)
 * and percent-encoding (RFC 3986 §2.1). Decoding is strict: duplicate
 * names (RFC 6749 §3.1), bad escapes and embedded NULs are errors. */
#include "common/form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/buf.h"

void ac_form_init(struct ac_form *f)
{
    f->pairs = NULL;
    f->n = 0;
    f->cap = 0;
}

static void secret_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
    }
    free(s);
}

void ac_form_free(struct ac_form *f)
{
    size_t i;

    if (f == NULL) {
        return;
    }
    for (i = 0; i < f->n; i++) {
        free(f->pairs[i].name);
        secret_free(f->pairs[i].value);
    }
    free(f->pairs);
    ac_form_init(f);
}

/* Append a pair, taking ownership of both strings even on failure. */
static bool form_add_take(struct ac_form *f, char *name, char *value,
                          struct ac_err *err)
{
    struct ac_form_pair *np;
    size_t ncap;

    if (f->n == f->cap) {
        ncap = f->cap != 0 ? f->cap * 2 : 8;
        np = realloc(f->pairs, ncap * sizeof(*np));
        if (np == NULL) {
            free(name);
            secret_free(value);
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            return false;
        }
        f->pairs = np;
        f->cap = ncap;
    }
    f->pairs[f->n].name = name;
    f->pairs[f->n].value = value;
    f->n++;
    return true;
}

bool ac_form_add(struct ac_form *f, const char *name, const char *value,
                 struct ac_err *err)
{
    char *n = strdup(name);
    char *v = strdup(value != NULL ? value : "");

    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    return form_add_take(f, n, v, err);
}

const char *ac_form_get(const struct ac_form *f, const char *name)
{
    size_t i;

    if (f == NULL || name == NULL) {
        return NULL;
    }
    for (i = 0; i < f->n; i++) {
        if (strcmp(f->pairs[i].name, name) == 0) {
            return f->pairs[i].value;
        }
    }
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

char *ac_pct_decode(const char *s, size_t len, bool plus_is_space,
                    struct ac_err *err)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;

    if (out == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                AC_ERR(err, AC_ERR_INVALID, "bad %%-escape at offset %zu", i);
                goto fail;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') {
            AC_ERR(err, AC_ERR_INVALID, "embedded NUL at offset %zu", i);
            goto fail;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
fail:
    OPENSSL_cleanse(out, len + 1);
    free(out);
    return NULL;
}

/* Decode one "name=value" (or "name") segment and append it, refusing a
 * name that is already present (RFC 6749 §3.1, §3.2). */
static bool parse_pair(const char *p, size_t n, struct ac_form *out,
                       struct ac_err *err)
{
    const char *eq = memchr(p, '=', n);
    size_t nlen = eq != NULL ? (size_t)(eq - p) : n;
    char *name = NULL, *value = NULL;

    name = ac_pct_decode(p, nlen, true, err);
    if (name == NULL) {
        goto fail;
    }
    if (name[0] == '\0') {
        AC_ERR(err, AC_ERR_INVALID, "form: empty parameter name");
        goto fail;
    }
    if (ac_form_get(out, name) != NULL) {
        AC_ERR(err, AC_ERR_INVALID, "form: duplicate parameter \"%.100s\"",
               name);
        goto fail;
    }
    value = eq != NULL ? ac_pct_decode(eq + 1, n - nlen - 1, true, err)
                       : strdup("");
    if (value == NULL) {
        if (eq == NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        }
        goto fail;
    }
    return form_add_take(out, name, value, err);
fail:
    free(name);
    return false;
}

bool ac_form_parse(const char *text, struct ac_form *out, struct ac_err *err)
{
    const char *p = text;
    bool ok = false;

    ac_form_init(out);
    if (text == NULL) {
        return true;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, "&");
        /* Empty segments ("a=1&&b=2", a trailing '&') carry nothing and
         * are skipped, as the WHATWG parser does. */
        if (n > 0 && !parse_pair(p, n, out, err)) {
            goto out;
        }
        p += n;
        if (*p == '&') {
            p++;
        }
    }
    ok = true;
out:
    if (!ok) {
        ac_form_free(out);
    }
    return ok;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* Percent-encode `s` into `b`; `plus_for_space` for form bodies. */
static bool pct_append(struct ac_buf *b, const char *s, bool plus_for_space)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;
    char esc[3];

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (is_unreserved(*p)) {
            if (!ac_buf_append(b, p, 1, NULL)) {
                return false;
            }
        } else if (*p == ' ' && plus_for_space) {
            if (!ac_buf_append(b, "+", 1, NULL)) {
                return false;
            }
        } else {
            esc[0] = '%';
            esc[1] = hex[*p >> 4];
            esc[2] = hex[*p & 15];
            if (!ac_buf_append(b, esc, 3, NULL)) {
                return false;
            }
        }
    }
    return true;
}

char *ac_pct_encode(const char *s)
{
    struct ac_buf b;

    if (s == NULL) {
        return NULL;
    }
    /* Each byte grows to at most three. */
    ac_buf_init(&b, strlen(s) * 3 + 1);
    if (!pct_append(&b, s, false)) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

char *ac_form_encode(const struct ac_form *f)
{
    struct ac_buf b;
    size_t i;

    ac_buf_init(&b, SIZE_MAX / 2);
    for (i = 0; i < f->n; i++) {
        if ((i > 0 && !ac_buf_append(&b, "&", 1, NULL)) ||
            !pct_append(&b, f->pairs[i].name, true) ||
            !ac_buf_append(&b, "=", 1, NULL) ||
            !pct_append(&b, f->pairs[i].value, true)) {
            ac_buf_free(&b);
            return NULL;
        }
    }
    return ac_buf_steal(&b);
}
