/* OAuth scope lists as sets (RFC 6749 §3.3): tokenising, membership,
 * subset, union and formatting from a JSON array. See common/scope.h. */
#include "common/scope.h"

#include <string.h>

#include "common/buf.h"

bool ac_scope_next(const char **cursor, const char **tok, size_t *len)
{
    const char *p = *cursor;

    if (p == NULL) {
        return false;
    }
    p += strspn(p, " ");
    if (*p == '\0') {
        *cursor = p;
        return false;
    }
    *tok = p;
    *len = strcspn(p, " ");
    *cursor = p + *len;
    return true;
}

bool ac_scope_has_n(const char *list, const char *s, size_t n)
{
    const char *cur = list, *t;
    size_t len;

    if (s == NULL || n == 0) {
        return false;
    }
    while (ac_scope_next(&cur, &t, &len)) {
        if (len == n && memcmp(t, s, n) == 0) {
            return true;
        }
    }
    return false;
}

bool ac_scope_has(const char *list, const char *s)
{
    return s != NULL && ac_scope_has_n(list, s, strlen(s));
}

bool ac_scope_subset(const char *want, const char *have)
{
    const char *cur = want, *t;
    size_t len;

    while (ac_scope_next(&cur, &t, &len)) {
        if (!ac_scope_has_n(have, t, len)) {
            return false;
        }
    }
    return true;
}

static bool in_array(const char *s, size_t n, const json_t *arr)
{
    size_t i;
    const json_t *v;

    json_array_foreach(arr, i, v)
    {
        const char *x = json_string_value(v);

        if (x != NULL && strlen(x) == n && memcmp(x, s, n) == 0) {
            return true;
        }
    }
    return false;
}

bool ac_scope_subset_of_array(const char *want, const json_t *arr)
{
    const char *cur = want, *t;
    size_t len;

    while (ac_scope_next(&cur, &t, &len)) {
        if (!in_array(t, len, arr)) {
            return false;
        }
    }
    return true;
}

/* Add token `t` (length n) to the list in `b` unless it is there. */
static bool add_token(struct ac_buf *b, const char *t, size_t n)
{
    if (ac_scope_has_n(b->data, t, n)) {
        return true;
    }
    return (b->len == 0 || ac_buf_append(b, " ", 1, NULL)) &&
           ac_buf_append(b, t, n, NULL);
}

static bool add_all(struct ac_buf *b, const char *list)
{
    const char *cur = list, *t;
    size_t len;

    while (ac_scope_next(&cur, &t, &len)) {
        if (!add_token(b, t, len)) {
            return false;
        }
    }
    return true;
}

char *ac_scope_union(const char *a, const char *b)
{
    struct ac_buf out;
    char *res = NULL;

    ac_buf_init(&out, 0);
    if (add_all(&out, a) && add_all(&out, b)) {
        res = ac_buf_steal(&out);
    }
    ac_buf_free(&out);
    return res;
}

char *ac_scope_join_array(const json_t *arr)
{
    struct ac_buf out;
    char *res = NULL;
    size_t i;
    const json_t *v;
    bool ok = true;

    ac_buf_init(&out, 0);
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);

        /* A member is one token: one with a space would be several. */
        ok = ok && (s == NULL || add_all(&out, s));
    }
    if (ok) {
        res = ac_buf_steal(&out);
    }
    ac_buf_free(&out);
    return res;
}
