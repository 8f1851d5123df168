/* Validation of the "rules" JSON shape (mo_rules_check, rules.h): the
 * one definition of what a rule may say, reported violation by violation
 * with a JSON pointer so the harness can name FILE:LINE:COL. */
#include "mocks/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "mocks/rules_int.h"

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

    if (mo_rules_ph_issuer_id(name, len, id, sizeof(id))) {
        return len - 7 < sizeof(id) && as_known(v->scenario, id) ? "" : NULL;
    }
    for (size_t i = 0; placeholders[i] != NULL; i++) {
        if (mo_rules_ph_name_is(name, len, placeholders[i])) {
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

        if (mo_rules_ph_expand(s, ph_known, v, true, NULL, &at)) {
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
