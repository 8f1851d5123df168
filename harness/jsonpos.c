/* The JSON position index (jsonpos.h): a small recursive-descent tokenizer
 * that walks RFC 8259 text, builds the JSON pointer of every value and
 * stores its key and value positions in an open-addressing hash table. It
 * validates syntax only as far as it must to stay in step; Jansson remains
 * the parser of record. */
#include "harness/jsonpos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* Deeper than any scenario needs; bounds the recursion on hostile input. */
#define MAX_DEPTH 256

struct entry {
    char *ptr;
    struct hjp_pos key;
    struct hjp_pos val;
};

struct hjp_index {
    struct entry *v; /* in document order */
    size_t n, cap;
    size_t *slots; /* hash table of index+1 into v; 0 = empty */
    size_t nslots;
    char *dup_ptr;
    struct hjp_pos dup_pos;
};

struct lexer {
    const char *s;
    size_t len, i;
    int line, col;
    struct hjp_index *ix;
    struct ac_err *err;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static ssize_t find_slot(const struct hjp_index *ix, const char *ptr)
{
    size_t mask = ix->nslots - 1;
    size_t h;

    if (ix->nslots == 0) {
        return -1;
    }
    h = (size_t)hash_str(ptr) & mask;
    while (ix->slots[h] != 0) {
        if (strcmp(ix->v[ix->slots[h] - 1].ptr, ptr) == 0) {
            return (ssize_t)h;
        }
        h = (h + 1) & mask;
    }
    return -1;
}

static bool rehash(struct hjp_index *ix)
{
    size_t n = ix->nslots ? ix->nslots * 2 : 64;
    size_t *slots = calloc(n, sizeof(*slots));

    if (slots == NULL) {
        return false;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->nslots = n;
    for (size_t k = 0; k < ix->n; k++) {
        size_t h = (size_t)hash_str(ix->v[k].ptr) & (n - 1);
        while (slots[h] != 0) {
            h = (h + 1) & (n - 1);
        }
        slots[h] = k + 1;
    }
    return true;
}

/* Add an entry; takes `ptr`. A pointer already present is a duplicate key:
 * remembered once, not indexed again. */
static bool add_entry(struct lexer *lx, char *ptr, struct hjp_pos key,
                      struct hjp_pos val)
{
    struct hjp_index *ix = lx->ix;

    if (find_slot(ix, ptr) >= 0) {
        if (ix->dup_ptr == NULL) {
            ix->dup_ptr = ptr;
            ix->dup_pos = key;
        } else {
            free(ptr);
        }
        return true;
    }
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 32;
        struct entry *v = realloc(ix->v, cap * sizeof(*v));
        if (v == NULL) {
            goto nomem;
        }
        ix->v = v;
        ix->cap = cap;
    }
    ix->v[ix->n++] = (struct entry){ptr, key, val};
    if (ix->n * 2 > ix->nslots) {
        if (!rehash(ix)) {
            return false; /* ptr is owned by the index now */
        }
    } else {
        size_t h = (size_t)hash_str(ptr) & (ix->nslots - 1);
        while (ix->slots[h] != 0) {
            h = (h + 1) & (ix->nslots - 1);
        }
        ix->slots[h] = ix->n;
    }
    return true;
nomem:
    free(ptr);
    return false;
}

static struct hjp_pos here(const struct lexer *lx)
{
    return (struct hjp_pos){lx->line, lx->col};
}

static bool fail(struct lexer *lx, const char *what)
{
    if (lx->i >= lx->len) {
        AC_ERR(lx->err, AC_ERR_INVALID, "%d:%d: %s (at end of input)", lx->line,
               lx->col, what);
    } else {
        AC_ERR(lx->err, AC_ERR_INVALID, "%d:%d: %s", lx->line, lx->col, what);
    }
    return false;
}

static bool nomem(struct lexer *lx)
{
    AC_ERR(lx->err, AC_ERR_NOMEM, "out of memory indexing JSON");
    return false;
}

/* Consume one byte, keeping line and column (columns count code points:
 * UTF-8 continuation bytes do not advance them). */
static void advance(struct lexer *lx)
{
    unsigned char c = (unsigned char)lx->s[lx->i++];

    if (c == '\n') {
        lx->line++;
        lx->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;
    }
}

static int peek(const struct lexer *lx)
{
    return lx->i < lx->len ? (unsigned char)lx->s[lx->i] : -1;
}

static void skip_ws(struct lexer *lx)
{
    for (;;) {
        int c = peek(lx);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }
        advance(lx);
    }
}

static int hexval(int c)
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

static bool read_hex4(struct lexer *lx, unsigned *out)
{
    unsigned v = 0;

    for (int k = 0; k < 4; k++) {
        int h = hexval(peek(lx));
        if (h < 0) {
            return fail(lx, "invalid \\u escape");
        }
        v = v * 16 + (unsigned)h;
        advance(lx);
    }
    *out = v;
    return true;
}

static bool put_utf8(struct ac_buf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return ac_buf_append(b, u, n, NULL);
}

static bool read_escape(struct lexer *lx, struct ac_buf *b)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    int c = peek(lx);
    const char *p = c > 0 ? strchr(from, c) : NULL;
    unsigned cp, lo;

    if (p != NULL && c != 0) {
        advance(lx);
        return b == NULL || ac_buf_append(b, &to[p - from], 1, NULL) ||
               nomem(lx);
    }
    if (c != 'u') {
        return fail(lx, "invalid escape in string");
    }
    advance(lx);
    if (!read_hex4(lx, &cp)) {
        return false;
    }
    if (cp >= 0xD800 && cp < 0xDC00) {
        /* RFC 8259 §7: a surrogate pair spells one code point. */
        if (peek(lx) != '\\') {
            return fail(lx, "lone surrogate in string");
        }
        advance(lx);
        if (peek(lx) != 'u') {
            return fail(lx, "lone surrogate in string");
        }
        advance(lx);
        if (!read_hex4(lx, &lo)) {
            return false;
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
            return fail(lx, "invalid surrogate pair in string");
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(lx, "lone surrogate in string");
    }
    return b == NULL || put_utf8(b, cp) || nomem(lx);
}

/* A string token; its decoded text goes to `b` when not NULL. */
static bool read_string(struct lexer *lx, struct ac_buf *b)
{
    advance(lx); /* the opening quote */
    for (;;) {
        int c = peek(lx);
        if (c < 0) {
            return fail(lx, "unterminated string");
        }
        if (c == '"') {
            advance(lx);
            return true;
        }
        if (c < 0x20) {
            return fail(lx, "control character in string");
        }
        if (c == '\\') {
            advance(lx);
            if (!read_escape(lx, b)) {
                return false;
            }
            continue;
        }
        if (b != NULL && !ac_buf_append(b, &lx->s[lx->i], 1, NULL)) {
            return nomem(lx);
        }
        advance(lx);
    }
}

static bool read_digits(struct lexer *lx)
{
    int c = peek(lx);

    if (c < '0' || c > '9') {
        return fail(lx, "invalid number");
    }
    while (c >= '0' && c <= '9') {
        advance(lx);
        c = peek(lx);
    }
    return true;
}

static bool read_number(struct lexer *lx)
{
    if (peek(lx) == '-') {
        advance(lx);
    }
    if (peek(lx) == '0') {
        advance(lx);
    } else if (!read_digits(lx)) {
        return false;
    }
    if (peek(lx) == '.') {
        advance(lx);
        if (!read_digits(lx)) {
            return false;
        }
    }
    if (peek(lx) == 'e' || peek(lx) == 'E') {
        advance(lx);
        if (peek(lx) == '+' || peek(lx) == '-') {
            advance(lx);
        }
        if (!read_digits(lx)) {
            return false;
        }
    }
    return true;
}

static bool read_literal(struct lexer *lx)
{
    static const char *const words[] = {"true", "false", "null"};

    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(words[k]);
        if (lx->len - lx->i >= n && memcmp(lx->s + lx->i, words[k], n) == 0) {
            for (size_t j = 0; j < n; j++) {
                advance(lx);
            }
            return true;
        }
    }
    return fail(lx, "unexpected character");
}

static bool read_value(struct lexer *lx, char *ptr, struct hjp_pos key,
                       int depth);

static bool read_member(struct lexer *lx, const char *base, int depth)
{
    struct ac_buf name;
    struct hjp_pos key = here(lx);
    char *ptr = NULL;
    bool ok = false;

    ac_buf_init(&name, 0);
    if (peek(lx) != '"') {
        fail(lx, "expected a member name");
        goto out;
    }
    if (!read_string(lx, &name)) {
        goto out;
    }
    ptr = hjp_pointer_join(base, name.data ? name.data : "");
    if (ptr == NULL) {
        nomem(lx);
        goto out;
    }
    skip_ws(lx);
    if (peek(lx) != ':') {
        fail(lx, "expected ':'");
        goto out;
    }
    advance(lx);
    skip_ws(lx);
    ok = read_value(lx, ptr, key, depth + 1);
    ptr = NULL; /* taken */
out:
    free(ptr);
    ac_buf_free(&name);
    return ok;
}

static bool read_object(struct lexer *lx, const char *ptr, int depth)
{
    advance(lx);
    skip_ws(lx);
    if (peek(lx) == '}') {
        advance(lx);
        return true;
    }
    for (;;) {
        if (!read_member(lx, ptr, depth)) {
            return false;
        }
        skip_ws(lx);
        if (peek(lx) == ',') {
            advance(lx);
            skip_ws(lx);
            continue;
        }
        if (peek(lx) == '}') {
            advance(lx);
            return true;
        }
        return fail(lx, "expected ',' or '}'");
    }
}

static bool read_array(struct lexer *lx, const char *ptr, int depth)
{
    advance(lx);
    skip_ws(lx);
    if (peek(lx) == ']') {
        advance(lx);
        return true;
    }
    for (size_t k = 0;; k++) {
        char *child = hjp_pointer_index(ptr, k);
        if (child == NULL) {
            return nomem(lx);
        }
        if (!read_value(lx, child, here(lx), depth + 1)) {
            return false;
        }
        skip_ws(lx);
        if (peek(lx) == ',') {
            advance(lx);
            skip_ws(lx);
            continue;
        }
        if (peek(lx) == ']') {
            advance(lx);
            return true;
        }
        return fail(lx, "expected ',' or ']'");
    }
}

/* Index and read one value at the current position; takes `ptr`. */
static bool read_value(struct lexer *lx, char *ptr, struct hjp_pos key,
                       int depth)
{
    struct hjp_pos val = here(lx);
    int c = peek(lx);
    char *copy = NULL;
    bool ok;

    if (depth > MAX_DEPTH) {
        free(ptr);
        return fail(lx, "nesting too deep");
    }
    /* Containers need their own pointer while children are added; the
     * index takes `ptr` (or drops it, for a duplicate key). */
    if ((c == '{' || c == '[') && (copy = strdup(ptr)) == NULL) {
        free(ptr);
        return nomem(lx);
    }
    if (!add_entry(lx, ptr, key, val)) {
        free(copy);
        return nomem(lx);
    }
    if (c == '{') {
        ok = read_object(lx, copy, depth);
    } else if (c == '[') {
        ok = read_array(lx, copy, depth);
    } else if (c == '"') {
        ok = read_string(lx, NULL);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        ok = read_number(lx);
    } else {
        ok = read_literal(lx);
    }
    free(copy);
    return ok;
}

bool hjp_build(const char *text, size_t len, struct hjp_index **out,
               struct ac_err *err)
{
    struct lexer lx = {text, len, 0, 1, 1, NULL, err};
    char *root = strdup("");
    bool ok = false;

    *out = NULL;
    lx.ix = calloc(1, sizeof(*lx.ix));
    if (lx.ix == NULL || root == NULL) {
        free(root);
        nomem(&lx);
        goto out;
    }
    skip_ws(&lx);
    if (!read_value(&lx, root, here(&lx), 0)) {
        goto out;
    }
    skip_ws(&lx);
    if (lx.i < lx.len) {
        fail(&lx, "trailing characters after the JSON value");
        goto out;
    }
    *out = lx.ix;
    lx.ix = NULL;
    ok = true;
out:
    hjp_free(lx.ix);
    return ok;
}

void hjp_free(struct hjp_index *ix)
{
    if (ix == NULL) {
        return;
    }
    for (size_t k = 0; k < ix->n; k++) {
        free(ix->v[k].ptr);
    }
    free(ix->v);
    free(ix->slots);
    free(ix->dup_ptr);
    free(ix);
}

static const struct entry *lookup(const struct hjp_index *ix, const char *p)
{
    ssize_t s = ix != NULL && p != NULL ? find_slot(ix, p) : -1;

    return s < 0 ? NULL : &ix->v[ix->slots[s] - 1];
}

bool hjp_value(const struct hjp_index *ix, const char *pointer,
               struct hjp_pos *out)
{
    const struct entry *e = lookup(ix, pointer);

    if (e == NULL) {
        return false;
    }
    *out = e->val;
    return true;
}

bool hjp_key(const struct hjp_index *ix, const char *pointer,
             struct hjp_pos *out)
{
    const struct entry *e = lookup(ix, pointer);

    if (e == NULL) {
        return false;
    }
    *out = e->key;
    return true;
}

struct hjp_pos hjp_locate(const struct hjp_index *ix, const char *pointer,
                          bool want_key)
{
    struct hjp_pos pos = {1, 1};
    char *p = pointer != NULL ? strdup(pointer) : NULL;

    while (p != NULL) {
        bool found = want_key ? hjp_key(ix, p, &pos) : hjp_value(ix, p, &pos);
        char *slash = strrchr(p, '/');
        if (found) {
            break;
        }
        if (slash == NULL) {
            break;
        }
        *slash = '\0';
        want_key = false; /* an ancestor: point at its value */
    }
    free(p);
    return pos;
}

bool hjp_first_duplicate(const struct hjp_index *ix, const char **pointer,
                         struct hjp_pos *out)
{
    if (ix == NULL || ix->dup_ptr == NULL) {
        return false;
    }
    *pointer = ix->dup_ptr;
    *out = ix->dup_pos;
    return true;
}

size_t hjp_count(const struct hjp_index *ix)
{
    return ix != NULL ? ix->n : 0;
}

char *hjp_pointer_join(const char *base, const char *key)
{
    size_t n = strlen(base) + 2;
    char *out, *w;

    for (const char *k = key; *k; k++) {
        n += (*k == '~' || *k == '/') ? 2 : 1;
    }
    out = malloc(n);
    if (out == NULL) {
        return NULL;
    }
    w = out + strlen(base);
    memcpy(out, base, strlen(base));
    *w++ = '/';
    for (const char *k = key; *k; k++) {
        if (*k == '~' || *k == '/') {
            *w++ = '~';
            *w++ = *k == '~' ? '0' : '1';
        } else {
            *w++ = *k;
        }
    }
    *w = '\0';
    return out;
}

char *hjp_pointer_index(const char *base, size_t i)
{
    size_t n = strlen(base) + 24;
    char *out = malloc(n);

    if (out != NULL) {
        snprintf(out, n, "%s/%zu", base, i);
    }
    return out;
}
