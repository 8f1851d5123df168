/* Baselines (expected failures): a strict line parser for the subset of
 * YAML documented in baseline.h, and the comparison of a run with it. */
#include "reports/baseline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"

/* A baseline file is a short list; anything larger is a mistake. */
#define BASELINE_MAX (1024u * 1024u)

struct entry {
    char *scenario;
    char *check; /* NULL: the whole scenario */
    int line;
    enum rp_baseline_side side;
};

struct rp_baseline {
    struct entry *e;
    size_t n, cap;
};

void rp_baseline_free(struct rp_baseline *b)
{
    if (b == NULL) {
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        free(b->e[i].scenario);
        free(b->e[i].check);
    }
    free(b->e);
    free(b);
}

size_t rp_baseline_count(const struct rp_baseline *b,
                         enum rp_baseline_side side)
{
    size_t n = 0;

    for (size_t i = 0; b != NULL && i < b->n; i++) {
        n += b->e[i].side == side;
    }
    return n;
}

/* --- parsing ----------------------------------------------------------- */

struct parser {
    const char *name;
    int line;
    bool seen_content;
    bool have_key[2];
    bool in_key, key_empty; /* inside a key; that key was `[]` */
    enum rp_baseline_side side;
    long indent; /* entry indentation of the current key, -1 unknown */
    struct rp_baseline *b;
    struct ac_err *err;
};

#define PERR(p, ...)                                                           \
    do {                                                                       \
        AC_ERR((p)->err, AC_ERR_INVALID, __VA_ARGS__);                         \
        ac_err_prefix((p)->err, "%s:%d", (p)->name, (p)->line);                \
    } while (0)

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* The rest of a line after a value: blanks, then nothing or a comment. */
static bool only_comment(const char *s, const char *end)
{
    while (s < end && is_ws(*s)) {
        s++;
    }
    return s == end || *s == '#';
}

static bool key_line(struct parser *p, const char *s, const char *end)
{
    size_t n = (size_t)(end - s), klen = strcspn(s, ":");
    const char *rest, *r;
    int side;

    if (klen >= n) {
        PERR(p, "expected \"client:\", \"server:\", a \"- entry\" or a "
                "comment");
        return false;
    }
    if (klen == 6 && strncmp(s, "client", 6) == 0) {
        side = RP_BASELINE_CLIENT;
    } else if (klen == 6 && strncmp(s, "server", 6) == 0) {
        side = RP_BASELINE_SERVER;
    } else {
        PERR(p, "unknown top-level key \"%.*s\" (expected client or server)",
             (int)(klen > 40 ? 40 : klen), s);
        return false;
    }
    if (p->have_key[side]) {
        PERR(p, "key \"%.6s\" appears twice", s);
        return false;
    }
    rest = s + klen + 1;
    r = rest;
    while (r < end && is_ws(*r)) {
        r++;
    }
    p->key_empty = false;
    if (end - r >= 2 && r[0] == '[' && r[1] == ']') {
        p->key_empty = true;
        r += 2;
    }
    while (r < end && is_ws(*r)) {
        r++;
    }
    /* Only a comment may follow, and YAML wants a blank before "#". */
    if (r < end && !(*r == '#' && r > rest && is_ws(r[-1]))) {
        PERR(p,
             "\"%.6s:\" must be followed by a list of \"- entry\" "
             "lines (or [])",
             s);
        return false;
    }
    p->have_key[side] = true;
    p->side = (enum rp_baseline_side)side;
    p->in_key = true;
    p->indent = -1;
    return true;
}

static size_t span_of(const char *s, const char *end, const char *set)
{
    size_t n = 0;

    while (s + n < end && s[n] != '\0' && strchr(set, s[n]) != NULL) {
        n++;
    }
    return n;
}

#define ID_CHARS                                                               \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* Split and validate "scenario[:check]" in [v, v + n). */
static bool parse_value(struct parser *p, const char *v, size_t n,
                        struct entry *e)
{
    size_t sn = span_of(v, v + n, ID_CHARS "/"), cn = 0;

    if (sn == 0) {
        PERR(p, "empty or malformed entry");
        return false;
    }
    if (sn < n && v[sn] == ':') {
        cn = span_of(v + sn + 1, v + n, ID_CHARS);
        if (cn == 0 || sn + 1 + cn != n) {
            PERR(p,
                 "malformed entry \"%.*s\": expected scenario-id or "
                 "scenario-id:check-id (a \"key: value\" mapping is not "
                 "an entry)",
                 (int)(n > 80 ? 80 : n), v);
            return false;
        }
    } else if (sn != n) {
        PERR(p,
             "malformed entry \"%.*s\": expected scenario-id or "
             "scenario-id:check-id",
             (int)(n > 80 ? 80 : n), v);
        return false;
    }
    e->scenario = strndup(v, sn);
    e->check = cn > 0 ? strndup(v + sn + 1, cn) : NULL;
    if (e->scenario == NULL || (cn > 0 && e->check == NULL)) {
        AC_ERR(p->err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    return true;
}

/* Is `e` already listed (or covered by a whole-scenario entry)? */
static const struct entry *duplicate(const struct rp_baseline *b,
                                     const struct entry *e)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct entry *o = &b->e[i];
        if (o->side != e->side || strcmp(o->scenario, e->scenario) != 0) {
            continue;
        }
        if (o->check == NULL || e->check == NULL ||
            strcmp(o->check, e->check) == 0) {
            return o;
        }
    }
    return NULL;
}

static bool add_entry(struct parser *p, struct entry *e)
{
    const struct entry *dup = duplicate(p->b, e);

    if (dup != NULL) {
        PERR(p, "duplicate entry \"%s%s%s\" (already covered on line %d)",
             e->scenario, e->check != NULL ? ":" : "",
             e->check != NULL ? e->check : "", dup->line);
        return false;
    }
    if (p->b->n == p->b->cap) {
        size_t cap = p->b->cap ? 2 * p->b->cap : 16;
        struct entry *ne = realloc(p->b->e, cap * sizeof *ne);
        if (ne == NULL) {
            AC_ERR(p->err, AC_ERR_NOMEM, "out of memory");
            return false;
        }
        p->b->e = ne;
        p->b->cap = cap;
    }
    p->b->e[p->b->n++] = *e;
    memset(e, 0, sizeof *e);
    return true;
}

static bool entry_line(struct parser *p, long indent, const char *s,
                       const char *end)
{
    struct entry e = {0};
    const char *v = s + 1, *vend;
    bool ok = false;

    if (!p->in_key || p->key_empty) {
        PERR(p, p->in_key ? "entry under a key declared empty ([])"
                          : "entry before \"client:\" or \"server:\"");
        return false;
    }
    if (p->indent >= 0 && indent != p->indent) {
        PERR(p,
             "inconsistent indentation: %ld spaces, the key's first "
             "entry has %ld",
             indent, p->indent);
        return false;
    }
    p->indent = indent;
    if (v < end && !is_ws(*v)) {
        PERR(p, "expected a blank after \"-\"");
        return false;
    }
    while (v < end && is_ws(*v)) {
        v++;
    }
    if (v < end && (*v == '"' || *v == '\'')) {
        const char *q = memchr(v + 1, *v, (size_t)(end - v - 1));
        if (q == NULL || !only_comment(q + 1, end) ||
            (q + 1 < end && !is_ws(q[1]))) {
            PERR(p, "unterminated or malformed quoted entry");
            return false;
        }
        v++;
        vend = q;
    } else {
        vend = v;
        while (vend < end && !(*vend == '#' && is_ws(vend[-1]))) {
            vend++;
        }
        while (vend > v && is_ws(vend[-1])) {
            vend--;
        }
    }
    e.line = p->line;
    e.side = p->side;
    ok = parse_value(p, v, (size_t)(vend - v), &e) && add_entry(p, &e);
    free(e.scenario);
    free(e.check);
    return ok;
}

static bool parse_line(struct parser *p, const char *s, const char *end)
{
    const char *t = s;

    while (end > s && (end[-1] == '\r' || is_ws(end[-1]))) {
        end--;
    }
    while (t < end && *t == ' ') {
        t++;
    }
    if (t < end && *t == '\t') {
        PERR(p, "tab in indentation (YAML allows spaces only)");
        return false;
    }
    if (memchr(s, '\0', (size_t)(end - s)) != NULL) {
        PERR(p, "NUL byte");
        return false;
    }
    if (t == end || *t == '#') {
        return true;
    }
    if (!p->seen_content && t == s && end - t == 3 &&
        strncmp(t, "---", 3) == 0) {
        p->seen_content = true;
        return true;
    }
    p->seen_content = true;
    if (*t == '-') {
        return entry_line(p, (long)(t - s), t, end);
    }
    if (t != s) {
        PERR(p, "expected \"- entry\" (indented lines are list entries)");
        return false;
    }
    return key_line(p, s, end);
}

struct rp_baseline *rp_baseline_parse(const char *text, size_t len,
                                      const char *name, struct ac_err *err)
{
    struct parser p = {0};
    const char *s = text, *end = text + len;

    p.name = name != NULL ? name : "baseline";
    p.err = err;
    p.b = calloc(1, sizeof *p.b);
    if (p.b == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (text == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "no baseline text");
        goto fail;
    }
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
    }
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl != NULL ? nl : end;
        p.line++;
        if (!parse_line(&p, s, le)) {
            goto fail;
        }
        s = nl != NULL ? nl + 1 : end;
    }
    return p.b;
fail:
    rp_baseline_free(p.b);
    return NULL;
}

struct rp_baseline *rp_baseline_load(const char *path, struct ac_err *err)
{
    FILE *f = fopen(path != NULL ? path : "", "rb");
    struct ac_buf buf;
    struct rp_baseline *b = NULL;
    char chunk[4096];
    size_t n;

    ac_buf_init(&buf, BASELINE_MAX);
    if (f == NULL) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path != NULL ? path : "(null)",
               strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (!ac_buf_append(&buf, chunk, n, err)) {
            ac_err_prefix(err, "%s", path);
            goto out;
        }
    }
    if (ferror(f)) {
        AC_ERR(err, AC_ERR_IO, "%s: read error", path);
        goto out;
    }
    b = rp_baseline_parse(buf.data != NULL ? buf.data : "", buf.len, path, err);
out:
    fclose(f);
    ac_buf_free(&buf);
    return b;
}

/* --- applying ---------------------------------------------------------- */

static json_t *find_by_id(const json_t *arr, const char *id)
{
    json_t *v;
    size_t i;

    json_array_foreach(arr, i, v)
    {
        const char *vid = ac_json_str(v, "id");
        if (vid != NULL && strcmp(vid, id) == 0) {
            return v;
        }
    }
    return NULL;
}

/* A scenario that was not judged: a harness error, pending (skipped), or
 * not applicable to the client's declared features. */
static bool not_judged(const char *status)
{
    return status != NULL &&
           (strcmp(status, "error") == 0 || strcmp(status, "skipped") == 0 ||
            strcmp(status, "not_applicable") == 0);
}

/* A failing check: FAILURE, and WARNING too when the run was --strict
 * (results "mode": {"strict": true}, docs/RESULTS.md). */
static bool is_failure(const json_t *c, bool strict)
{
    const char *st = ac_json_str(c, "status");
    return st != NULL && (strcmp(st, "FAILURE") == 0 ||
                          (strict && strcmp(st, "WARNING") == 0));
}

/* Remove earlier annotations. */
static void clear_marks(json_t *results)
{
    json_t *sc, *c;
    size_t i, j;

    json_object_del(results, "baseline");
    json_array_foreach(json_object_get(results, "scenarios"), i, sc)
    {
        json_object_del(sc, "expected_failure");
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            json_object_del(c, "expected_failure");
        }
    }
}

static bool add_stale(json_t *stale, const struct entry *e, const char *kind,
                      const char *reason)
{
    char *text = NULL;
    int rc = asprintf(&text, "%s%s%s", e->scenario, e->check ? ":" : "",
                      e->check ? e->check : "");
    bool ok = rc >= 0 && json_array_append_new(
                             stale, json_pack("{s:s, s:i, s:s, s:s}", "entry",
                                              text, "line", e->line, "kind",
                                              kind, "reason", reason)) == 0;

    free(rc >= 0 ? text : NULL);
    return ok;
}

/* Match one entry; counts into *o and appends to `stale`. */
static bool apply_entry(json_t *results, const struct entry *e, unsigned flags,
                        json_t *stale, struct rp_baseline_outcome *o)
{
    bool strict = json_is_true(
        json_object_get(json_object_get(results, "mode"), "strict"));
    json_t *sc = find_by_id(json_object_get(results, "scenarios"), e->scenario);
    json_t *c, *checks = json_object_get(sc, "checks");
    const char *st = ac_json_str(sc, "status");
    bool any = false;
    size_t i;

    if (sc == NULL) {
        if (flags & RP_BASELINE_SUBSET) {
            return true;
        }
        o->unknown++;
        return add_stale(stale, e, "unknown", "no such scenario in this run");
    }
    if (e->check != NULL) {
        c = find_by_id(checks, e->check);
        if (c == NULL) {
            o->unknown++;
            return add_stale(stale, e, "unknown",
                             "the scenario has no such check");
        }
        if (!is_failure(c, strict) && !not_judged(st)) {
            o->stale++;
            return add_stale(stale, e, "passes", "the check no longer fails");
        }
        return !is_failure(c, strict) ||
               json_object_set_new(c, "expected_failure", json_true()) == 0;
    }
    json_array_foreach(checks, i, c)
    {
        if (is_failure(c, strict)) {
            any = true;
            if (json_object_set_new(c, "expected_failure", json_true()) != 0) {
                return false;
            }
        }
    }
    if (any) {
        return json_object_set_new(sc, "expected_failure", json_true()) == 0;
    }
    if (not_judged(st)) {
        return true; /* neither stale nor confirmed */
    }
    o->stale++;
    return add_stale(stale, e, "passes", "no check of the scenario fails");
}

/* Count FAILUREs left uncovered, listing them in `unexpected`. */
static bool collect_unexpected(const json_t *results, json_t *unexpected,
                               struct rp_baseline_outcome *o)
{
    const json_t *sc, *c;
    size_t i, j;
    bool strict = json_is_true(
        json_object_get(json_object_get(results, "mode"), "strict"));

    json_array_foreach(json_object_get(results, "scenarios"), i, sc)
    {
        json_array_foreach(json_object_get(sc, "checks"), j, c)
        {
            if (!is_failure(c, strict)) {
                continue;
            }
            if (json_is_true(json_object_get(c, "expected_failure"))) {
                o->expected++;
                continue;
            }
            o->unexpected++;
            if (json_array_append_new(unexpected,
                                      json_pack("{s:s?, s:s?}", "scenario",
                                                ac_json_str(sc, "id"), "check",
                                                ac_json_str(c, "id"))) != 0) {
                return false;
            }
        }
    }
    return true;
}

bool rp_baseline_apply(json_t *results, const struct rp_baseline *b,
                       enum rp_baseline_side side, unsigned flags,
                       struct rp_baseline_outcome *out, struct ac_err *err)
{
    struct rp_baseline_outcome o = {0};
    json_t *stale = json_array(), *unexpected = json_array();
    bool ok = false;

    if (!json_is_object(results) || b == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "rp_baseline_apply: no results or baseline");
        goto out;
    }
    clear_marks(results);
    if (stale == NULL || unexpected == NULL) {
        goto nomem;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (b->e[i].side == side &&
            !apply_entry(results, &b->e[i], flags, stale, &o)) {
            goto nomem;
        }
    }
    if (!collect_unexpected(results, unexpected, &o)) {
        goto nomem;
    }
    o.exit_code = o.unknown > 0 ? 2 : o.unexpected > 0 || o.stale > 0 ? 1 : 0;
    if (json_object_set_new(
            results, "baseline",
            json_pack("{s:s, s:I, s:O, s:O}", "side",
                      side == RP_BASELINE_CLIENT ? "client" : "server",
                      "expected", (json_int_t)o.expected, "unexpected",
                      unexpected, "stale", stale)) != 0) {
        goto nomem;
    }
    if (out != NULL) {
        *out = o;
    }
    ok = true;
    goto out;
nomem:
    AC_ERR(err, AC_ERR_NOMEM, "out of memory applying the baseline");
out:
    json_decref(stale);
    json_decref(unexpected);
    return ok;
}
