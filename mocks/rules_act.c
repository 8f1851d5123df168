/* Response actions of "match" rules: ${...} placeholders filled in when
 * a rule fires, respond, patch (status, body members, headers, Location
 * parameters), malformed and truncated bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/form.h"
#include "mocks/rules_int.h"

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

    if (mo_rules_ph_name_is(name, len, "issuer")) {
        /* The AS the request hit; elsewhere (MCP server, CIMD host) the
         * first one. */
        const char *iss = mo_world_issuer_of(rt->sh, rt->server);

        return iss != NULL ? iss : mo_world_issuer_of(rt->sh, NULL);
    }
    if (mo_rules_ph_issuer_id(name, len, id, sizeof(id))) {
        return mo_world_issuer_of(rt->sh, id);
    }
    if (mo_rules_ph_name_is(name, len, "resource")) {
        return rt->sh->resource;
    }
    if (mo_rules_ph_name_is(name, len, "prm_url")) {
        return rt->sh->prm_url;
    }
    if (mo_rules_ph_name_is(name, len, "insecure_origin")) {
        return rt->sh->insecure_origin; /* NULL (kept as written) w/o tls */
    }
    if (mo_rules_ph_name_is(name, len, "mcp_url")) {
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
        if (mo_rules_ph_expand(json_string_value(v), ph_value, rt, false, &b,
                               NULL)) {
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
json_t *mo_rules_action_for(const struct rule *x, const json_t *a,
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

void mo_rules_respond(struct mo_reply *rep, const json_t *r)
{
    const json_t *body = json_object_get(r, "body");
    const json_t *hs = json_object_get(r, "headers");
    int status = (int)mo_rules_int_or(r, "status", 200);
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
    json_object_del((json_t *)mo_rules_json_at(doc, buf), dot + 1);
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

void mo_rules_patch(struct mo_reply *rep, const json_t *p)
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
void mo_rules_malform(struct mo_reply *rep)
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

void mo_rules_truncate_body(struct mo_reply *rep, json_int_t n)
{
    if (rep->body != NULL && (size_t)n < rep->body_len) {
        rep->body_len = (size_t)n;
        rep->body[n] = '\0';
    }
}
