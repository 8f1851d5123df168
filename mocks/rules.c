/* The rules engine (rules.h): validation of the "rules" JSON shape,
 * matching of requests and events, counters (nth, times, after), response
 * actions (respond, patch, delay, drop, hang, truncate, malformed) with
 * their ${...} placeholders and repeated header lines, and the hand-off of
 * state operations to the world (mo_world_apply_ops). Owns a deep copy of
 * the scenario's rules and their counters. */
#include "mocks/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "mocks/world_int.h"

struct rule {
    const json_t *match; /* borrowed from mo_rules.doc; NULL for "on" */
    const json_t *on;    /* NULL for "match" */
    const json_t *act;   /* "do" */
    json_int_t nth;      /* first firing occurrence, 1-based */
    json_int_t times;    /* most firings, 0 = unlimited */
    const char *after;   /* event that arms the rule, NULL: armed */
    json_int_t count;    /* matching occurrences while armed */
    json_int_t fired;
    bool armed;
    bool dynamic; /* "do" has ${...} placeholders: expand when firing */
};

struct mo_rules {
    json_t *doc; /* owned deep copy */
    struct rule *v;
    size_t n;
};

static const char *const endpoints[] = {
    "metadata", "oidc",   "register",   "authorize", "consent",
    "token",    "revoke", "introspect", "jwks",      "prm",
    "mcp",      "cimd",   "unknown",    NULL};
static const char *const events[] = {
    "client.registered", "authorization.completed",
    "code.redeemed",     "token.issued",
    "token.refreshed",   "refresh.reused",
    "token.revoked",     "rs.authorized",
    "rs.rejected",       NULL};
static const char *const forget_enum[] = {"clients", "codes", "sessions", NULL};
static const char *const expire_enum[] = {"access",         "refresh", "codes",
                                          "client_secrets", "token",   NULL};
static const char *const revoke_enum[] = {"token",  "family",  "client", "all",
                                          "access", "refresh", NULL};
/* The ${...} placeholders of rule values, besides ${issuer:ID}. */
static const char *const placeholders[] = {
    "issuer", "resource", "mcp_url", "prm_url", "insecure_origin", NULL};

/* --- placeholders ---------------------------------------------------- */

/* The value of the placeholder `name` (`len` bytes, not NUL-terminated):
 * borrowed, or NULL when unknown. */
typedef const char *(*ph_lookup_fn)(void *ctx, const char *name, size_t len);

static bool buf_add(struct ac_buf *b, const char *p, size_t n)
{
    return b == NULL || ac_buf_append(b, p, n, NULL);
}

/* Copy `s` into `out` (NULL: only scan it) with each ${name} replaced by
 * its value and each "$${" by a literal "${". An unknown or unterminated
 * placeholder is copied as written, or, when `strict`, ends the scan:
 * false with *at its byte offset. Also false when `out` is full. */
static bool ph_expand(const char *s, ph_lookup_fn look, void *ctx, bool strict,
                      struct ac_buf *out, size_t *at)
{
    const char *p = s;

    while (*p != '\0') {
        const char *d = strstr(p, "${");
        const char *end = d != NULL ? strchr(d + 2, '}') : NULL;
        const char *val;
        bool ok;

        if (d == NULL) {
            return buf_add(out, p, strlen(p));
        }
        if (d > p && d[-1] == '$') {
            ok = buf_add(out, p, (size_t)(d - 1 - p)) && buf_add(out, "${", 2);
            p = d + 2;
        } else if ((val = end != NULL ? look(ctx, d + 2, (size_t)(end - d - 2))
                                      : NULL) != NULL) {
            ok = buf_add(out, p, (size_t)(d - p)) &&
                 buf_add(out, val, strlen(val));
            p = end + 1;
        } else if (strict) {
            *at = (size_t)(d - s);
            return false;
        } else {
            const char *stop = end != NULL ? end + 1 : d + 2;

            ok = buf_add(out, p, (size_t)(stop - p));
            p = stop;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncmp(name, want, len) == 0;
}

/* The ID of "issuer:ID" copied into `id` (cut to its size), or false
 * when `name` is not of that form. */
static bool issuer_id(const char *name, size_t len, char *id, size_t n)
{
    if (len <= 7 || strncmp(name, "issuer:", 7) != 0) {
        return false;
    }
    snprintf(id, n, "%.*s", (int)(len - 7), name + 7);
    return true;
}

/* Does any string in `v` (recursively, keys aside) contain "${"? */
static bool has_placeholder(const json_t *v)
{
    const char *k;
    const json_t *x;
    size_t i;

    if (json_is_string(v)) {
        return strstr(json_string_value(v), "${") != NULL;
    }
    json_object_foreach((json_t *)v, k, x)
    {
        if (has_placeholder(x)) {
            return true;
        }
    }
    json_array_foreach(v, i, x)
    {
        if (has_placeholder(x)) {
            return true;
        }
    }
    return false;
}

/* --- validation ------------------------------------------------------ */

struct vck {
    mo_rules_violation_fn fn;
    void *ctx;
    const json_t *scenario;
    bool ok;
};

static void bad(struct vck *v, bool key, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void bad(struct vck *v, bool key, const char *ptr, const char *fmt, ...)
{
    char msg[240];
    int n = snprintf(msg, sizeof(msg), "%s: ", ptr);
    va_list ap;

    /* snprintf returns the untruncated length: a pointer of 238+ bytes
     * (a long hostile key) would put msg + n past the buffer and make the
     * size below wrap, a stack overflow. Append after what fitted. */
    if (n < 0 || (size_t)n >= sizeof(msg)) {
        n = (int)sizeof(msg) - 1;
    }
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    v->ok = false;
    v->fn(v->ctx, ptr, key, msg);
}

/* JSON pointer children (RFC 6901: "~" and "/" in a key escaped as "~0"
 * and "~1"); a pointer too long for the buffer is cut (it is only used
 * in messages). */
static void ptr_key(char *out, size_t n, const char *ptr, const char *key)
{
    size_t j = (size_t)snprintf(out, n, "%s/", ptr);

    for (; *key != '\0' && j + 3 < n; key++) {
        if (*key == '~' || *key == '/') {
            out[j++] = '~';
            out[j++] = *key == '~' ? '0' : '1';
        } else {
            out[j++] = *key;
        }
    }
    out[j < n ? j : n - 1] = '\0';
}

static void ptr_index(char *out, size_t n, const char *ptr, size_t i)
{
    if (snprintf(out, n, "%s/%zu", ptr, i) >= (int)n) {
        out[n - 1] = '\0';
    }
}

static bool in_enum(const char *s, const char *const *e)
{
    for (size_t i = 0; s != NULL && e[i] != NULL; i++) {
        if (strcmp(s, e[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool as_known(const json_t *scenario, const char *id)
{
    const json_t *ases = json_object_get(scenario, "authorization_servers");
    const json_t *as;
    size_t i;

    json_array_foreach(ases, i, as)
    {
        const char *x = ac_json_str(as, "id");

        if (x != NULL && id != NULL && strcmp(x, id) == 0) {
            return true;
        }
    }
    return false;
}

static void check_enum(struct vck *v, const json_t *val, const char *ptr,
                       const char *const *e, const char *what)
{
    if (!json_is_string(val)) {
        bad(v, false, ptr, "expected a string (%s)", what);
    } else if (!in_enum(json_string_value(val), e)) {
        bad(v, false, ptr, "\"%s\" is not %s", json_string_value(val), what);
    }
}

static void check_int(struct vck *v, const json_t *val, const char *ptr,
                      json_int_t lo, json_int_t hi)
{
    if (!json_is_integer(val)) {
        bad(v, false, ptr, "expected an integer");
    } else if (json_integer_value(val) < lo || json_integer_value(val) > hi) {
        bad(v, false, ptr, "%lld is out of range %lld..%lld",
            (long long)json_integer_value(val), (long long)lo, (long long)hi);
    }
}

static void check_true(struct vck *v, const json_t *val, const char *ptr)
{
    if (!json_is_true(val)) {
        bad(v, false, ptr, "expected true");
    }
}

/* An object whose values are strings (or booleans when `bools`, or null
 * when `nulls`). */
static void check_str_map(struct vck *v, const json_t *val, const char *ptr,
                          bool bools, bool nulls)
{
    const char *k;
    const json_t *x;
    char p[256];

    if (!json_is_object(val)) {
        bad(v, false, ptr, "expected an object");
        return;
    }
    json_object_foreach((json_t *)val, k, x)
    {
        ptr_key(p, sizeof(p), ptr, k);
        if (!json_is_string(x) && !(bools && json_is_boolean(x)) &&
            !(nulls && json_is_null(x))) {
            bad(v, false, p, "expected a string%s%s",
                bools ? " or boolean" : "", nulls ? " or null" : "");
        }
    }
}

/* Validation's placeholder lookup: a known name is worth "". */
static const char *ph_known(void *ctx, const char *name, size_t len)
{
    const struct vck *v = ctx;
    char id[128];

    if (issuer_id(name, len, id, sizeof(id))) {
        return len - 7 < sizeof(id) && as_known(v->scenario, id) ? "" : NULL;
    }
    for (size_t i = 0; placeholders[i] != NULL; i++) {
        if (name_is(name, len, placeholders[i])) {
            return "";
        }
    }
    return NULL;
}

/* 1-based character (not byte) position of byte `at` of UTF-8 `s`. */
static size_t char_pos(const char *s, size_t at)
{
    size_t n = 1;

    for (size_t i = 0; i < at; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

/* Every string in `val` (recursively; member names are not expanded)
 * names known placeholders only. */
static void check_placeholders(struct vck *v, const json_t *val,
                               const char *ptr)
{
    const char *k;
    const json_t *x;
    size_t i, at = 0;
    char p[256];

    if (json_is_string(val)) {
        const char *s = json_string_value(val);
        const char *end;

        if (ph_expand(s, ph_known, v, true, NULL, &at)) {
            return;
        }
        end = strchr(s + at + 2, '}');
        if (end == NULL) {
            bad(v, false, ptr, "unterminated placeholder at character %zu",
                char_pos(s, at));
        } else {
            bad(v, false, ptr,
                "unknown placeholder \"%.*s\" at character %zu (known: "
                "${issuer}, ${issuer:ID}, ${resource}, ${mcp_url}, "
                "${prm_url}; $${ is a literal ${)",
                (int)(end + 1 - (s + at)) > 40 ? 40 : (int)(end + 1 - (s + at)),
                s + at, char_pos(s, at));
        }
        return;
    }
    json_object_foreach((json_t *)val, k, x)
    {
        ptr_key(p, sizeof(p), ptr, k);
        check_placeholders(v, x, p);
    }
    json_array_foreach(val, i, x)
    {
        ptr_index(p, sizeof(p), ptr, i);
        check_placeholders(v, x, p);
    }
}

/* Response headers: name -> a string, a non-empty array of strings (one
 * header line each) or, when `nulls`, null (delete). */
static void check_headers(struct vck *v, const json_t *val, const char *ptr,
                          bool nulls)
{
    const char *k;
    const json_t *x, *e;
    size_t i;
    char p[256];

    if (!json_is_object(val)) {
        bad(v, false, ptr, "expected an object");
        return;
    }
    json_object_foreach((json_t *)val, k, x)
    {
        bool strings = json_is_array(x) && json_array_size(x) > 0;

        ptr_key(p, sizeof(p), ptr, k);
        json_array_foreach(x, i, e)
        {
            strings = strings && json_is_string(e);
        }
        if (!json_is_string(x) && !strings && !(nulls && json_is_null(x))) {
            bad(v, false, p,
                "expected a string, a non-empty array of strings (one "
                "header line each)%s",
                nulls ? " or null" : "");
        } else {
            check_placeholders(v, x, p);
        }
    }
}

static void check_server(struct vck *v, const json_t *val, const char *ptr)
{
    const char *s = json_string_value(val);

    if (s == NULL) {
        bad(v, false, ptr, "expected a string");
    } else if (strcmp(s, "mcp") != 0 && strcmp(s, "cimd") != 0 &&
               !as_known(v->scenario, s)) {
        bad(v, false, ptr,
            "\"%s\" is not \"mcp\", \"cimd\" or an authorization server id", s);
    }
}

static void check_endpoint(struct vck *v, const json_t *val, const char *ptr)
{
    size_t i;
    const json_t *e;
    char p[256];

    if (!json_is_array(val)) {
        check_enum(v, val, ptr, endpoints, "an endpoint name");
        return;
    }
    if (json_array_size(val) == 0) {
        bad(v, false, ptr, "needs at least 1 item");
    }
    json_array_foreach(val, i, e)
    {
        ptr_index(p, sizeof(p), ptr, i);
        check_enum(v, e, p, endpoints, "an endpoint name");
    }
}

/* Keys shared by "match" and "on": nth, times, after, server, client. */
static bool check_common_key(struct vck *v, const char *k, const json_t *x,
                             const char *p)
{
    if (strcmp(k, "nth") == 0 || strcmp(k, "times") == 0) {
        check_int(v, x, p, 1, 1000000);
    } else if (strcmp(k, "after") == 0) {
        check_enum(v, x, p, events, "an event name");
    } else if (strcmp(k, "server") == 0) {
        check_server(v, x, p);
    } else if (strcmp(k, "client") == 0) {
        if (!json_is_string(x)) {
            bad(v, false, p, "expected a string");
        }
    } else {
        return false;
    }
    return true;
}

/* Checks one member `k` = `x` (at `p`) of the object `obj`; false for a key
 * it does not know. */
typedef bool (*member_check_fn)(struct vck *v, const json_t *obj, const char *k,
                                const json_t *x, const char *p);

/* Reports `val` unless it is an object (a non-empty one if `nonempty`). */
static bool want_object(struct vck *v, const json_t *val, const char *ptr,
                        bool nonempty)
{
    if (!json_is_object(val) || (nonempty && json_object_size(val) == 0)) {
        bad(v, false, ptr, "expected %s",
            nonempty ? "a non-empty object" : "an object");
        return false;
    }
    return true;
}

/* Checks each member of the object `obj` with `fn`, reporting the keys it
 * does not know as unknown "in <where>". */
static void check_members(struct vck *v, const json_t *obj, const char *ptr,
                          member_check_fn fn, const char *where)
{
    const char *k;
    const json_t *x;
    char p[256];

    json_object_foreach((json_t *)obj, k, x)
    {
        ptr_key(p, sizeof(p), ptr, k);
        if (!fn(v, obj, k, x, p)) {
            bad(v, true, p, "unknown key \"%s\" in %s", k, where);
        }
    }
}

static bool match_key(struct vck *v, const json_t *obj, const char *k,
                      const json_t *x, const char *p)
{
    (void)obj;
    if (check_common_key(v, k, x, p)) {
        return true;
    }
    if (strcmp(k, "endpoint") == 0) {
        check_endpoint(v, x, p);
    } else if (strcmp(k, "method") == 0 || strcmp(k, "path") == 0) {
        const char *s = json_string_value(x);

        if (s == NULL || s[0] == '\0' || (k[0] == 'p' && s[0] != '/')) {
            bad(v, false, p, "expected a non-empty string%s",
                k[0] == 'p' ? " starting with '/'" : "");
        }
    } else if (strcmp(k, "form") == 0 || strcmp(k, "query") == 0 ||
               strcmp(k, "header") == 0) {
        check_str_map(v, x, p, true, false);
    } else if (strcmp(k, "json") == 0) {
        want_object(v, x, p, false);
    } else {
        return false;
    }
    return true;
}

static void check_match(struct vck *v, const json_t *m, const char *ptr)
{
    if (want_object(v, m, ptr, false)) {
        check_members(v, m, ptr, match_key, "a rule's match");
    }
}

static bool on_key(struct vck *v, const json_t *obj, const char *k,
                   const json_t *x, const char *p)
{
    (void)obj;
    if (strcmp(k, "event") == 0) {
        check_enum(v, x, p, events, "an event name");
        return true;
    }
    return check_common_key(v, k, x, p);
}

static void check_on(struct vck *v, const json_t *m, const char *ptr)
{
    if (!want_object(v, m, ptr, false)) {
        return;
    }
    check_members(v, m, ptr, on_key, "a rule's on");
    if (json_object_get(m, "event") == NULL) {
        bad(v, false, ptr, "missing required key \"event\"");
    }
}

static bool respond_key(struct vck *v, const json_t *obj, const char *k,
                        const json_t *x, const char *p)
{
    (void)obj;
    if (strcmp(k, "status") == 0) {
        check_int(v, x, p, 100, 599);
    } else if (strcmp(k, "headers") == 0) {
        check_headers(v, x, p, false);
    } else if (strcmp(k, "body") == 0) {
        check_placeholders(v, x, p);
    } else {
        return false;
    }
    return true;
}

static void check_respond(struct vck *v, const json_t *r, const char *ptr)
{
    if (!want_object(v, r, ptr, false)) {
        return;
    }
    check_members(v, r, ptr, respond_key, "respond");
    if (json_object_get(r, "status") == NULL) {
        bad(v, false, ptr, "missing required key \"status\"");
    }
}

static void check_str_array(struct vck *v, const json_t *x, const char *p)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(x)) {
        bad(v, false, p, "expected an array of strings");
    }
    json_array_foreach(x, i, e)
    {
        if (!json_is_string(e)) {
            bad(v, false, p, "expected an array of strings");
            break;
        }
    }
}

static bool patch_key(struct vck *v, const json_t *obj, const char *k,
                      const json_t *x, const char *p)
{
    (void)obj;
    if (strcmp(k, "status") == 0) {
        check_int(v, x, p, 100, 599);
    } else if (strcmp(k, "set") == 0) {
        want_object(v, x, p, false);
        check_placeholders(v, x, p);
    } else if (strcmp(k, "remove") == 0) {
        check_str_array(v, x, p);
    } else if (strcmp(k, "headers") == 0) {
        check_headers(v, x, p, true);
    } else if (strcmp(k, "location") == 0) {
        check_str_map(v, x, p, false, true);
        check_placeholders(v, x, p);
    } else {
        return false;
    }
    return true;
}

static void check_patch(struct vck *v, const json_t *r, const char *ptr)
{
    if (want_object(v, r, ptr, true)) {
        check_members(v, r, ptr, patch_key, "patch");
    }
}

static void check_expire(struct vck *v, const json_t *x, const char *p)
{
    size_t i;
    const json_t *e;
    char q[256];

    if (!json_is_array(x)) {
        check_enum(v, x, p, expire_enum, "a kind of thing to expire");
        return;
    }
    json_array_foreach(x, i, e)
    {
        ptr_index(q, sizeof(q), p, i);
        check_enum(v, e, q, expire_enum, "a kind of thing to expire");
    }
}

/* One member of "do". Sets *response for response actions. */
static void check_do_key(struct vck *v, const char *k, const json_t *x,
                         const char *p, bool *response)
{
    *response = true;
    if (strcmp(k, "respond") == 0) {
        check_respond(v, x, p);
    } else if (strcmp(k, "patch") == 0) {
        check_patch(v, x, p);
    } else if (strcmp(k, "delay_ms") == 0) {
        check_int(v, x, p, 1, 600000);
    } else if (strcmp(k, "truncate") == 0) {
        check_int(v, x, p, 0, 1 << 20);
    } else if (strcmp(k, "drop") == 0 || strcmp(k, "hang") == 0 ||
               strcmp(k, "malformed") == 0) {
        check_true(v, x, p);
    } else {
        *response = false;
        if (strcmp(k, "forget") == 0) {
            check_enum(v, x, p, forget_enum,
                       "\"clients\", \"codes\" or "
                       "\"sessions\"");
        } else if (strcmp(k, "expire") == 0) {
            check_expire(v, x, p);
        } else if (strcmp(k, "revoke") == 0) {
            check_enum(v, x, p, revoke_enum, "a revocation kind");
        } else if (strcmp(k, "switch_as") == 0 || strcmp(k, "as") == 0) {
            if (!json_is_string(x) ||
                !as_known(v->scenario, json_string_value(x))) {
                bad(v, false, p, "expected an authorization server id");
            }
        } else if (strcmp(k, "rotate_keys") == 0) {
            check_true(v, x, p);
        } else if (strcmp(k, "advance_clock") == 0) {
            check_int(v, x, p, 1, 315360000);
        } else {
            bad(v, true, p, "unknown key \"%s\" in a rule's do", k);
        }
    }
}

static bool has(const json_t *o, const char *k)
{
    return json_object_get(o, k) != NULL;
}

static void check_do(struct vck *v, const json_t *d, const char *ptr,
                     bool on_event)
{
    const char *k;
    const json_t *x;
    char p[256];
    bool response;
    bool any_response = false;

    if (!want_object(v, d, ptr, true)) {
        return;
    }
    json_object_foreach((json_t *)d, k, x)
    {
        ptr_key(p, sizeof(p), ptr, k);
        check_do_key(v, k, x, p, &response);
        if (response && on_event) {
            bad(v, true, p,
                "\"%s\" acts on a response: only state operations may "
                "follow an event",
                k);
        }
        any_response = any_response || response;
    }
    if (has(d, "respond") && has(d, "patch")) {
        bad(v, false, ptr, "\"respond\" and \"patch\" exclude each other");
    }
    if ((has(d, "drop") && has(d, "hang")) ||
        ((has(d, "drop") || has(d, "hang")) &&
         (has(d, "respond") || has(d, "patch") || has(d, "delay_ms") ||
          has(d, "truncate") || has(d, "malformed")))) {
        bad(v, false, ptr,
            "\"drop\" and \"hang\" send nothing: they exclude each other "
            "and every other response action");
    }
    if (has(d, "as") && !has(d, "forget") && !has(d, "expire") &&
        !has(d, "revoke") && !has(d, "rotate_keys")) {
        bad(v, false, ptr,
            "\"as\" selects the server of forget, expire, revoke or "
            "rotate_keys");
    }
    (void)any_response;
}

static bool rule_key(struct vck *v, const json_t *obj, const char *k,
                     const json_t *x, const char *p)
{
    if (strcmp(k, "match") == 0) {
        check_match(v, x, p);
    } else if (strcmp(k, "on") == 0) {
        check_on(v, x, p);
    } else if (strcmp(k, "do") == 0) {
        check_do(v, x, p, has(obj, "on"));
    } else if (strcmp(k, "comment") == 0) {
        if (!json_is_string(x)) {
            bad(v, false, p, "expected a string");
        }
    } else {
        return false;
    }
    return true;
}

static void check_rule(struct vck *v, const json_t *r, const char *ptr)
{
    if (!want_object(v, r, ptr, false)) {
        return;
    }
    if (has(r, "match") == has(r, "on")) {
        bad(v, false, ptr, "a rule needs exactly one of \"match\" and \"on\"");
        return;
    }
    check_members(v, r, ptr, rule_key, "a rule");
    if (!has(r, "do")) {
        bad(v, false, ptr, "missing required key \"do\"");
    }
}

bool mo_rules_check(const json_t *rules, const json_t *scenario,
                    mo_rules_violation_fn fn, void *ctx)
{
    struct vck v = {fn, ctx, scenario, true};
    size_t i;
    const json_t *r;
    char p[64];

    if (rules == NULL) {
        return true;
    }
    if (!json_is_array(rules)) {
        bad(&v, false, "/rules", "expected an array");
        return false;
    }
    json_array_foreach(rules, i, r)
    {
        snprintf(p, sizeof(p), "/rules/%zu", i);
        check_rule(&v, r, p);
    }
    return v.ok;
}

/* --- the engine ------------------------------------------------------ */

static json_int_t int_or(const json_t *o, const char *k, json_int_t dflt)
{
    const json_t *x = json_object_get(o, k);

    return json_is_integer(x) ? json_integer_value(x) : dflt;
}

bool mo_rules_new(const json_t *rules, struct mo_rules **out,
                  struct ac_err *err)
{
    struct mo_rules *e = calloc(1, sizeof(*e));
    size_t i;
    const json_t *r;

    *out = NULL;
    if (e == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the rules");
        return false;
    }
    e->doc = json_is_array(rules) ? json_deep_copy(rules) : json_array();
    e->v = calloc(json_array_size(e->doc) + 1, sizeof(*e->v));
    if (e->doc == NULL || e->v == NULL) {
        mo_rules_free(e);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the rules");
        return false;
    }
    json_array_foreach(e->doc, i, r)
    {
        struct rule *x = &e->v[e->n++];
        const json_t *m;

        x->match = json_object_get(r, "match");
        x->on = json_object_get(r, "on");
        x->act = json_object_get(r, "do");
        m = x->match != NULL ? x->match : x->on;
        x->nth = int_or(m, "nth", 1);
        /* An "nth" alone fires once; without it, every time. */
        x->times = int_or(m, "times", json_object_get(m, "nth") ? 1 : 0);
        x->after = ac_json_str(m, "after");
        x->dynamic = has_placeholder(x->act);
    }
    mo_rules_reset(e);
    *out = e;
    return true;
}

void mo_rules_reset(struct mo_rules *e)
{
    for (size_t i = 0; e != NULL && i < e->n; i++) {
        e->v[i].count = 0;
        e->v[i].fired = 0;
        e->v[i].armed = e->v[i].after == NULL;
    }
}

void mo_rules_free(struct mo_rules *e)
{
    if (e == NULL) {
        return;
    }
    json_decref(e->doc);
    free(e->v);
    free(e);
}

/* Count one occurrence; does the rule fire on it? */
static bool occurrence_fires(struct rule *x)
{
    if (!x->armed) {
        return false;
    }
    x->count++;
    if (x->count < x->nth || (x->times > 0 && x->fired >= x->times)) {
        return false;
    }
    x->fired++;
    return true;
}

static void note_fired(json_t **fired, size_t i)
{
    if (fired == NULL) {
        return;
    }
    if (*fired == NULL) {
        *fired = json_array();
    }
    if (*fired != NULL) {
        json_array_append_new(*fired, json_integer((json_int_t)i));
    }
}

/* --- request matching ------------------------------------------------ */

/* The request as the matcher sees it, parsed lazily. */
struct view {
    const struct mo_req *req;
    struct mo_shared *sh;
    struct ac_form form, query;
    bool form_done, query_done;
    json_t *json;
    bool json_done;
    char *basic_id; /* client id from Basic credentials */
    bool basic_done;
};

static const struct ac_form *view_form(struct view *w)
{
    if (!w->form_done) {
        w->form_done = true;
        ac_form_init(&w->form);
        if (mo_req_content_type_is(w->req,
                                   "application/x-www-form-urlencoded") &&
            !ac_form_parse(w->req->body, &w->form, NULL)) {
            ac_form_init(&w->form);
        }
    }
    return &w->form;
}

static const struct ac_form *view_query(struct view *w)
{
    if (!w->query_done) {
        w->query_done = true;
        ac_form_init(&w->query);
        if (w->req->query != NULL &&
            !ac_form_parse(w->req->query, &w->query, NULL)) {
            ac_form_init(&w->query);
        }
    }
    return &w->query;
}

static const json_t *view_json(struct view *w)
{
    if (!w->json_done) {
        w->json_done = true;
        w->json = json_loadb(w->req->body, w->req->body_len, 0, NULL);
    }
    return w->json;
}

static const char *view_basic_id(struct view *w)
{
    if (!w->basic_done) {
        w->basic_done = true;
        mo_req_basic(w->req, &w->basic_id, NULL);
    }
    return w->basic_id;
}

static const char *view_bearer(struct view *w)
{
    const char *h = mo_req_header(w->req, "Authorization");

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        return NULL;
    }
    return h + 7 + strspn(h + 7, " ");
}

/* The token a request is about: the bearer token, else the form's
 * refresh_token or token. Borrowed. */
static const char *view_token(struct view *w)
{
    const char *t = view_bearer(w);

    if (t == NULL) {
        t = ac_form_get(view_form(w), "refresh_token");
    }
    if (t == NULL) {
        t = ac_form_get(view_form(w), "token");
    }
    return t;
}

/* The client a request is from: Basic user, form or query client_id, or
 * the owner of the bearer token. Borrowed. */
static const char *view_client(struct view *w)
{
    const char *c = view_basic_id(w);
    const char *bearer;
    const struct mo_token *t;

    if (c == NULL) {
        c = ac_form_get(view_form(w), "client_id");
    }
    if (c == NULL) {
        c = ac_form_get(view_query(w), "client_id");
    }
    if (c == NULL && (bearer = view_bearer(w)) != NULL &&
        (t = mo_tokens_find(&w->sh->tokens, bearer, MO_TOKEN_ACCESS)) != NULL) {
        c = t->client_id;
    }
    return c;
}

static void view_free(struct view *w)
{
    if (w->form_done) {
        ac_form_free(&w->form);
    }
    if (w->query_done) {
        ac_form_free(&w->query);
    }
    json_decref(w->json);
    free(w->basic_id);
}

/* A pattern: exact, or a prefix when it ends in '*'. */
static bool str_match(const char *pat, const char *s)
{
    size_t n = strlen(pat);

    if (s == NULL) {
        return false;
    }
    if (n > 0 && pat[n - 1] == '*') {
        return strncmp(pat, s, n - 1) == 0;
    }
    return strcmp(pat, s) == 0;
}

/* A value condition: a string pattern, true (present) or false (absent). */
static bool cond_match(const json_t *cond, const char *actual)
{
    if (json_is_boolean(cond)) {
        return json_is_true(cond) == (actual != NULL);
    }
    return json_is_string(cond) && str_match(json_string_value(cond), actual);
}

static bool map_match(const json_t *conds, const struct ac_form *f)
{
    const char *k;
    const json_t *c;

    json_object_foreach((json_t *)conds, k, c)
    {
        if (!cond_match(c, ac_form_get(f, k))) {
            return false;
        }
    }
    return true;
}

static bool header_match(const json_t *conds, const struct mo_req *req)
{
    const char *k;
    const json_t *c;

    json_object_foreach((json_t *)conds, k, c)
    {
        if (!cond_match(c, mo_req_header(req, k))) {
            return false;
        }
    }
    return true;
}

/* Member at a dotted path ("params.name"), borrowed or NULL. */
static const json_t *json_at(const json_t *doc, const char *path)
{
    char buf[256];
    char *save = NULL;
    const json_t *cur = doc;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = strtok_r(buf, ".", &save); p != NULL && cur != NULL;
         p = strtok_r(NULL, ".", &save)) {
        cur = json_object_get(cur, p);
    }
    return cur;
}

static bool json_match(const json_t *conds, const json_t *doc)
{
    const char *k;
    const json_t *c;

    if (!json_is_object(doc)) {
        return false;
    }
    json_object_foreach((json_t *)conds, k, c)
    {
        const json_t *a = json_at(doc, k);

        if (a == NULL ||
            !(json_equal(c, a) ||
              (json_is_string(c) && json_is_string(a) &&
               str_match(json_string_value(c), json_string_value(a))))) {
            return false;
        }
    }
    return true;
}

static bool endpoint_match(const json_t *e, const char *endpoint)
{
    size_t i;
    const json_t *x;

    if (json_is_string(e)) {
        return strcmp(json_string_value(e), endpoint) == 0;
    }
    json_array_foreach(e, i, x)
    {
        if (json_is_string(x) && strcmp(json_string_value(x), endpoint) == 0) {
            return true;
        }
    }
    return false;
}

static bool request_matches(const json_t *m, struct view *w)
{
    const struct mo_req *req = w->req;
    const json_t *x;
    const char *s;

    if ((s = ac_json_str(m, "server")) != NULL && strcmp(s, req->server) != 0) {
        return false;
    }
    if ((x = json_object_get(m, "endpoint")) != NULL &&
        !endpoint_match(x, req->endpoint)) {
        return false;
    }
    if ((s = ac_json_str(m, "method")) != NULL &&
        strcasecmp(s, req->method) != 0) {
        return false;
    }
    if ((s = ac_json_str(m, "path")) != NULL && !str_match(s, req->path)) {
        return false;
    }
    if ((x = json_object_get(m, "header")) != NULL && !header_match(x, req)) {
        return false;
    }
    if ((x = json_object_get(m, "query")) != NULL &&
        !map_match(x, view_query(w))) {
        return false;
    }
    if ((x = json_object_get(m, "form")) != NULL &&
        !map_match(x, view_form(w))) {
        return false;
    }
    if ((x = json_object_get(m, "json")) != NULL &&
        !json_match(x, view_json(w))) {
        return false;
    }
    if ((s = ac_json_str(m, "client")) != NULL &&
        !str_match(s, view_client(w))) {
        return false;
    }
    return true;
}

/* --- placeholders at run time ---------------------------------------- */

/* What ${...} stands for when a rule fires on a request to `server`. */
struct ph_rt {
    struct mo_shared *sh;
    const char *server;
};

static const char *ph_value(void *ctx, const char *name, size_t len)
{
    const struct ph_rt *rt = ctx;
    char id[128];

    if (name_is(name, len, "issuer")) {
        /* The AS the request hit; elsewhere (MCP server, CIMD host) the
         * first one. */
        const char *iss = mo_world_issuer_of(rt->sh, rt->server);

        return iss != NULL ? iss : mo_world_issuer_of(rt->sh, NULL);
    }
    if (issuer_id(name, len, id, sizeof(id))) {
        return mo_world_issuer_of(rt->sh, id);
    }
    if (name_is(name, len, "resource")) {
        return rt->sh->resource;
    }
    if (name_is(name, len, "prm_url")) {
        return rt->sh->prm_url;
    }
    if (name_is(name, len, "insecure_origin")) {
        return rt->sh->insecure_origin; /* NULL (kept as written) w/o tls */
    }
    if (name_is(name, len, "mcp_url")) {
        return mo_world_mcp_url_of(rt->sh);
    }
    return NULL;
}

/* A deep copy of `v` with every string expanded (member names as they
 * are): a new reference, NULL when out of memory. */
static json_t *expand_json(const json_t *v, struct ph_rt *rt)
{
    const char *k;
    const json_t *x;
    size_t i;
    json_t *out = NULL;

    if (json_is_string(v)) {
        struct ac_buf b;

        ac_buf_init(&b, 0);
        if (ph_expand(json_string_value(v), ph_value, rt, false, &b, NULL)) {
            out = json_stringn(b.data != NULL ? b.data : "", b.len);
        }
        ac_buf_free(&b);
        return out;
    }
    if (!json_is_object(v) && !json_is_array(v)) {
        return json_deep_copy(v);
    }
    out = json_is_object(v) ? json_object() : json_array();
    json_object_foreach((json_t *)v, k, x)
    {
        if (out != NULL && json_object_set_new(out, k, expand_json(x, rt))) {
            json_decref(out);
            out = NULL;
        }
    }
    json_array_foreach(v, i, x)
    {
        if (out != NULL && json_array_append_new(out, expand_json(x, rt))) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* The action `a` of rule `x` with its placeholders filled in for a
 * request to `server`: a new reference (json_decref), or NULL when out
 * of memory (logged; the action is then skipped). */
static json_t *action_for(const struct rule *x, const json_t *a,
                          struct mo_shared *sh, const char *server)
{
    struct ph_rt rt = {sh, server};
    json_t *out = x->dynamic ? expand_json(a, &rt) : json_incref((json_t *)a);

    if (out == NULL) {
        ac_log(AC_LOG_ERROR, "rule action dropped: out of memory");
    }
    return out;
}

/* --- response actions ------------------------------------------------ */

static void reply_headers_del(struct mo_reply *rep, const char *name)
{
    size_t j = 0;

    for (size_t i = 0; i < rep->nheaders; i++) {
        if (strcasecmp(rep->headers[i].name, name) == 0) {
            free(rep->headers[i].name);
            free(rep->headers[i].value);
            continue;
        }
        rep->headers[j++] = rep->headers[i];
    }
    rep->nheaders = j;
}

static const char *reply_header(const struct mo_reply *rep, const char *name)
{
    for (size_t i = 0; i < rep->nheaders; i++) {
        if (strcasecmp(rep->headers[i].name, name) == 0) {
            return rep->headers[i].value;
        }
    }
    return NULL;
}

/* Replace (a string; an array: one header line per string) or remove
 * (null) headers. */
static void headers_apply(struct mo_reply *rep, const json_t *hs)
{
    const char *k;
    const json_t *v, *e;
    size_t i;

    json_object_foreach((json_t *)hs, k, v)
    {
        reply_headers_del(rep, k);
        if (json_is_string(v)) {
            mo_reply_header(rep, k, json_string_value(v));
        }
        json_array_foreach(v, i, e)
        {
            if (json_is_string(e)) {
                mo_reply_header(rep, k, json_string_value(e));
            }
        }
    }
}

static void respond(struct mo_reply *rep, const json_t *r)
{
    const json_t *body = json_object_get(r, "body");
    const json_t *hs = json_object_get(r, "headers");
    int status = (int)int_or(r, "status", 200);
    char *text = NULL;

    mo_reply_clear(rep);
    if (body != NULL && !json_is_string(body)) {
        text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    if (json_is_string(body) || text != NULL) {
        const char *b = text != NULL ? text : json_string_value(body);
        size_t n = text != NULL ? strlen(text) : json_string_length(body);

        mo_reply_body(rep, status, "application/json", b, n);
    } else {
        mo_reply_empty(rep, status);
    }
    free(text);
    headers_apply(rep, hs);
    if (rep->status == 0) {
        rep->status = status;
    }
}

/* Set `v` at the dotted path of `doc`, creating objects on the way. */
static void json_set_at(json_t *doc, const char *path, const json_t *v)
{
    char buf[256];
    char *dot;
    json_t *cur = doc;
    char *p = buf;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(p, '.')) != NULL) {
        json_t *next;

        *dot = '\0';
        next = json_object_get(cur, p);
        if (!json_is_object(next)) {
            next = json_object();
            if (next == NULL || json_object_set_new(cur, p, next) != 0) {
                return;
            }
        }
        cur = next;
        p = dot + 1;
    }
    json_object_set_new(cur, p, json_deep_copy(v));
}

static void json_del_at(json_t *doc, const char *path)
{
    char buf[256];
    char *dot;

    snprintf(buf, sizeof(buf), "%s", path);
    dot = strrchr(buf, '.');
    if (dot == NULL) {
        json_object_del(doc, buf);
        return;
    }
    *dot = '\0';
    json_object_del((json_t *)json_at(doc, buf), dot + 1);
}

static void patch_body(struct mo_reply *rep, const json_t *set,
                       const json_t *remove)
{
    json_t *doc;
    const char *k;
    const json_t *v;
    size_t i;
    char *text;

    if (rep->body == NULL) {
        return;
    }
    doc = json_loadb(rep->body, rep->body_len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return;
    }
    json_object_foreach((json_t *)set, k, v)
    {
        json_set_at(doc, k, v);
    }
    json_array_foreach(remove, i, v)
    {
        json_del_at(doc, json_string_value(v));
    }
    text = json_dumps(doc, JSON_COMPACT);
    if (text != NULL) {
        free(rep->body);
        rep->body = text;
        rep->body_len = strlen(text);
    }
    json_decref(doc);
}

/* Rewrite the query of the Location header: each parameter set (string)
 * or removed (null); others kept in order. */
static void patch_location(struct mo_reply *rep, const json_t *params)
{
    const char *loc = reply_header(rep, "Location");
    const char *q;
    struct ac_form in, out;
    char *base = NULL, *enc = NULL, *nloc = NULL;
    const char *k;
    const json_t *v;

    if (loc == NULL) {
        return;
    }
    q = strchr(loc, '?');
    ac_form_init(&in);
    ac_form_init(&out);
    if (q != NULL && !ac_form_parse(q + 1, &in, NULL)) {
        ac_form_init(&in);
    }
    base = strndup(loc, q != NULL ? (size_t)(q - loc) : strlen(loc));
    for (size_t i = 0; i < in.n; i++) {
        const json_t *p = json_object_get(params, in.pairs[i].name);

        if (p == NULL) {
            ac_form_add(&out, in.pairs[i].name, in.pairs[i].value, NULL);
        }
    }
    json_object_foreach((json_t *)params, k, v)
    {
        if (json_is_string(v)) {
            ac_form_add(&out, k, json_string_value(v), NULL);
        }
    }
    enc = ac_form_encode(&out);
    if (base != NULL && enc != NULL &&
        asprintf(&nloc, "%s%s%s", base, enc[0] ? "?" : "", enc) >= 0) {
        reply_headers_del(rep, "Location");
        mo_reply_header(rep, "Location", nloc);
        free(nloc);
    }
    free(base);
    ac_secret_free(enc);
    ac_form_free(&in);
    ac_form_free(&out);
}

static void patch(struct mo_reply *rep, const json_t *p)
{
    const json_t *st = json_object_get(p, "status");

    if (json_is_integer(st)) {
        rep->status = (int)json_integer_value(st);
    }
    patch_body(rep, json_object_get(p, "set"), json_object_get(p, "remove"));
    headers_apply(rep, json_object_get(p, "headers"));
    patch_location(rep, json_object_get(p, "location"));
}

/* The correct body with a syntax error: its last byte replaced by ",}" (a
 * trailing comma), or "{" when empty. */
static void malform(struct mo_reply *rep)
{
    size_t n = rep->body_len > 0 ? rep->body_len - 1 : 0;
    char *b = malloc(n + 3);

    if (b == NULL) {
        return;
    }
    if (n > 0) {
        memcpy(b, rep->body, n);
        memcpy(b + n, ",}", 3);
        rep->body_len = n + 2;
    } else {
        memcpy(b, "{", 2);
        rep->body_len = 1;
    }
    free(rep->body);
    rep->body = b;
}

static void truncate_body(struct mo_reply *rep, json_int_t n)
{
    if (rep->body != NULL && (size_t)n < rep->body_len) {
        rep->body_len = (size_t)n;
        rep->body[n] = '\0';
    }
}

/* --- hooks ----------------------------------------------------------- */

/* Hand queued events (sh->events) to the "on" rules and empty the queue.
 * Indexes of fired rules are appended to *fired (created when NULL; may
 * be NULL itself to not collect them). */
static void run_events(struct mo_shared *sh, json_t **fired);

bool mo_rules_before(void *ctx, const struct mo_req *req, struct mo_reply *rep,
                     struct mo_fx *fx)
{
    struct mo_shared *sh = ctx;
    struct mo_rules *e = sh->rules;
    struct view w = {.req = req, .sh = sh};
    bool answered = false;

    for (size_t i = 0; e != NULL && i < e->n; i++) {
        struct rule *x = &e->v[i];
        const json_t *r;

        if (x->match == NULL || !request_matches(x->match, &w) ||
            !occurrence_fires(x)) {
            continue;
        }
        note_fired(&fx->fired, i);
        {
            struct mo_opctx oc = {req->server, view_token(&w), view_client(&w)};
            struct ac_err err;

            if (!mo_world_apply_ops(sh, x->act, &oc, &err)) {
                ac_err_print(&err, "rule state operation");
            }
        }
        if ((r = json_object_get(x->act, "respond")) != NULL && !answered) {
            json_t *a = action_for(x, r, sh, req->server);

            if (a != NULL) {
                respond(rep, a);
                answered = true;
            }
            json_decref(a);
        }
        fx->delay_ms += (int)int_or(x->act, "delay_ms", 0);
        fx->drop = fx->drop || json_is_true(json_object_get(x->act, "drop"));
        fx->hang = fx->hang || json_is_true(json_object_get(x->act, "hang"));
    }
    view_free(&w);
    return answered;
}

void mo_rules_after(void *ctx, const struct mo_req *req, struct mo_reply *rep,
                    struct mo_fx *fx)
{
    struct mo_shared *sh = ctx;
    struct mo_rules *e = sh->rules;
    size_t i;
    const json_t *ix;

    /* Only the rules that fired before the handler act on the reply. */
    json_array_foreach(fx->fired, i, ix)
    {
        const struct rule *x = &e->v[json_integer_value(ix)];
        const json_t *p = json_object_get(x->act, "patch");

        if (p != NULL) {
            json_t *a = action_for(x, p, sh, req->server);

            if (a != NULL) {
                patch(rep, a);
            }
            json_decref(a);
        }
        if (json_object_get(x->act, "truncate") != NULL) {
            truncate_body(rep, int_or(x->act, "truncate", 0));
        }
        if (json_is_true(json_object_get(x->act, "malformed"))) {
            malform(rep);
        }
    }
    run_events(sh, &fx->fired);
}

static bool event_matches(const json_t *on, const struct mo_event *ev)
{
    const char *s;

    if ((s = ac_json_str(on, "event")) == NULL || strcmp(s, ev->name) != 0) {
        return false;
    }
    if ((s = ac_json_str(on, "server")) != NULL &&
        (ev->server == NULL || strcmp(s, ev->server) != 0)) {
        return false;
    }
    if ((s = ac_json_str(on, "client")) != NULL &&
        !str_match(s, ev->client_id)) {
        return false;
    }
    return true;
}

static void event_free(struct mo_event *ev)
{
    free(ev->name);
    free(ev->server);
    ac_secret_free(ev->token);
    free(ev->client_id);
}

static void run_events(struct mo_shared *sh, json_t **fired)
{
    struct mo_rules *e = sh->rules;

    /* State operations emit no events, so this loop ends. */
    for (size_t k = 0; k < sh->events.n; k++) {
        const struct mo_event *ev = &sh->events.items[k];

        for (size_t i = 0; e != NULL && i < e->n; i++) {
            struct rule *x = &e->v[i];
            struct mo_opctx oc = {ev->server, ev->token, ev->client_id};
            struct ac_err err;

            if (x->on == NULL || !event_matches(x->on, ev) ||
                !occurrence_fires(x)) {
                continue;
            }
            note_fired(fired, i);
            if (!mo_world_apply_ops(sh, x->act, &oc, &err)) {
                ac_err_print(&err, "rule state operation");
            }
        }
        /* "after" arms rules for the requests and events that follow. */
        for (size_t i = 0; e != NULL && i < e->n; i++) {
            if (e->v[i].after != NULL && strcmp(e->v[i].after, ev->name) == 0) {
                e->v[i].armed = true;
            }
        }
    }
    for (size_t k = 0; k < sh->events.n; k++) {
        event_free(&sh->events.items[k]);
    }
    sh->events.n = 0;
}

void mo_emit(struct mo_shared *sh, const char *name, const char *server,
             const char *token, const char *client_id)
{
    struct mo_events *q = &sh->events;
    struct mo_event ev;

    if (sh->rules == NULL) {
        return; /* nobody listens: keep the hot path free */
    }
    if (q->n == q->cap) {
        size_t ncap = q->cap != 0 ? q->cap * 2 : 8;
        struct mo_event *p = realloc(q->items, ncap * sizeof(*p));

        if (p == NULL) {
            ac_log(AC_LOG_ERROR, "event %s dropped: out of memory", name);
            return;
        }
        q->items = p;
        q->cap = ncap;
    }
    ev.name = strdup(name);
    ev.server = server != NULL ? strdup(server) : NULL;
    ev.token = token != NULL ? strdup(token) : NULL;
    ev.client_id = client_id != NULL ? strdup(client_id) : NULL;
    if (ev.name == NULL) {
        event_free(&ev);
        return;
    }
    q->items[q->n++] = ev;
}
