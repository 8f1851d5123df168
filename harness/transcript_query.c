/* Read-only transcript queries for the checks (see transcript_query.h).
 * Owns no state; every function is pure and tolerant of malformed input. */
#include "harness/transcript_query.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64url.h"
#include "common/form.h"
#include "common/json.h"
#include "common/wwwauth.h"

size_t tq_count(const json_t *tr)
{
    return json_is_array(tr) ? json_array_size(tr) : 0;
}

const json_t *tq_at(const json_t *tr, size_t i)
{
    const json_t *ex = json_is_array(tr) ? json_array_get(tr, i) : NULL;
    return json_is_object(ex) ? ex : NULL;
}

size_t tq_seq(const json_t *ex, size_t fallback)
{
    const json_t *s = json_object_get(ex, "seq");
    if (!json_is_integer(s) || json_integer_value(s) < 0) {
        return fallback;
    }
    return (size_t)json_integer_value(s);
}

static const char *str_or_empty(const json_t *ex, const char *key)
{
    const char *s = ac_json_str(ex, key);
    return s != NULL ? s : "";
}

const char *tq_endpoint(const json_t *ex)
{
    return str_or_empty(ex, "endpoint");
}

const char *tq_method(const json_t *ex)
{
    return str_or_empty(ex, "method");
}

const char *tq_server(const json_t *ex)
{
    return str_or_empty(ex, "server");
}

int tq_status(const json_t *ex)
{
    const json_t *st =
        json_object_get(json_object_get(ex, "response"), "status");
    return json_is_integer(st) ? (int)json_integer_value(st) : 0;
}

bool tq_is(const json_t *ex, const char *endpoint, const char *method)
{
    if (ex == NULL || strcmp(tq_endpoint(ex), endpoint) != 0) {
        return false;
    }
    return method == NULL || strcmp(tq_method(ex), method) == 0;
}

size_t tq_next(const json_t *tr, size_t from, const char *endpoint,
               const char *method)
{
    size_t n = tq_count(tr);
    for (size_t i = from; i < n; i++) {
        if (tq_is(tq_at(tr, i), endpoint, method)) {
            return i;
        }
    }
    return TQ_NONE;
}

/* Headers are [name, value] pairs; the first match wins. */
static const char *header_in(const json_t *msg, const char *name)
{
    const json_t *hs = json_object_get(msg, "headers");
    size_t i;
    const json_t *h;

    if (!json_is_array(hs)) {
        return NULL;
    }
    json_array_foreach(hs, i, h)
    {
        const char *n = json_string_value(json_array_get(h, 0));
        const char *v = json_string_value(json_array_get(h, 1));
        if (n != NULL && v != NULL && strcasecmp(n, name) == 0) {
            return v;
        }
    }
    return NULL;
}

const char *tq_req_header(const json_t *ex, const char *name)
{
    return header_in(json_object_get(ex, "request"), name);
}

const char *tq_resp_header(const json_t *ex, const char *name)
{
    return header_in(json_object_get(ex, "response"), name);
}

const char *tq_req_body(const json_t *ex)
{
    return ac_json_str(json_object_get(ex, "request"), "body");
}

const char *tq_resp_body(const json_t *ex)
{
    return ac_json_str(json_object_get(ex, "response"), "body");
}

/* Parse the query part of `uri` (between "?" and "#"), any scheme. */
static bool parse_uri_query(const char *uri, struct ac_form *out,
                            struct ac_err *err)
{
    const char *q = uri != NULL ? strchr(uri, '?') : NULL;
    char *copy = NULL;
    bool ok;

    ac_form_init(out);
    if (q == NULL) {
        return true;
    }
    q++;
    copy = strndup(q, strcspn(q, "#"));
    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    ok = ac_form_parse(copy, out, err);
    free(copy);
    return ok;
}

bool tq_query_form(const json_t *ex, struct ac_form *out, struct ac_err *err)
{
    const char *q = ac_json_str(ex, "query");

    if (q != NULL) {
        ac_form_init(out);
        return ac_form_parse(q, out, err);
    }
    return parse_uri_query(ac_json_str(ex, "url"), out, err);
}

bool tq_body_form(const json_t *ex, struct ac_form *out, struct ac_err *err)
{
    ac_form_init(out);
    return ac_form_parse(tq_req_body(ex), out, err);
}

bool tq_location_form(const json_t *ex, struct ac_form *out, struct ac_err *err)
{
    return parse_uri_query(tq_resp_header(ex, "Location"), out, err);
}

json_t *tq_resp_json(const json_t *ex)
{
    const char *body = tq_resp_body(ex);
    json_t *v;

    if (body == NULL) {
        return NULL;
    }
    v = ac_json_parse(body, strlen(body), NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Append the message(s) of one JSON text: an object, or a batch array. */
static void add_messages(json_t *msgs, const char *text, size_t len)
{
    json_t *v = ac_json_parse(text, len, NULL);
    size_t i;
    json_t *m;

    if (json_is_object(v)) {
        json_array_append(msgs, v);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            if (json_is_object(m)) {
                json_array_append(msgs, m);
            }
        }
    }
    json_decref(v);
}

/* Length of the line at `p` without its terminator, and the start of the
 * next line in *next (SSE lines end in CRLF, LF or CR). */
static size_t line_len(const char *p, const char **next)
{
    size_t n = strcspn(p, "\r\n");
    const char *q = p + n;
    if (*q == '\r' && q[1] == '\n') {
        q += 2;
    } else if (*q != '\0') {
        q++;
    }
    *next = q;
    return n;
}

/* text/event-stream: gather each event's data lines, dispatch on a blank
 * line (or the end of the body). */
static void add_sse_messages(json_t *msgs, const char *body)
{
    char *data = calloc(1, strlen(body) + 1);
    size_t dlen = 0;
    bool have = false;
    const char *p = body;

    if (data == NULL) {
        return;
    }
    while (*p != '\0' || have) {
        const char *next;
        size_t n = line_len(p, &next);
        if (n == 0) {
            if (have) {
                add_messages(msgs, data, dlen);
            }
            dlen = 0;
            have = false;
            if (*p == '\0') {
                break;
            }
        } else if (n >= 5 && strncmp(p, "data:", 5) == 0) {
            size_t skip = (n > 5 && p[5] == ' ') ? 6 : 5;
            if (have) {
                data[dlen++] = '\n';
            }
            memcpy(data + dlen, p + skip, n - skip);
            dlen += n - skip;
            have = true;
        }
        p = next;
    }
    free(data);
}

json_t *tq_jsonrpc_messages(const char *body)
{
    json_t *msgs = json_array();
    const char *p = body;

    if (msgs == NULL || body == NULL) {
        return msgs;
    }
    p += strspn(p, " \t\r\n");
    if (*p == '{' || *p == '[') {
        add_messages(msgs, body, strlen(body));
    } else {
        add_sse_messages(msgs, body);
    }
    return msgs;
}

const char *tq_bearer_token(const char *value, size_t *len)
{
    const char *t;

    if (value == NULL || strncasecmp(value, "Bearer ", 7) != 0) {
        return NULL;
    }
    t = value + 7;
    t += strspn(t, " ");
    *len = strcspn(t, " \t");
    if (*len == 0 || t[*len] != '\0') {
        /* Empty, or trailing junk after the token (b64token has no
         * spaces, RFC 6750 §2.1). */
        return NULL;
    }
    return t;
}

/* --- additions for the check families ------------------------------- */

const char *tq_url(const json_t *ex)
{
    return str_or_empty(ex, "url");
}

const char *tq_path(const json_t *ex)
{
    return str_or_empty(ex, "path");
}

json_t *tq_req_json(const json_t *ex)
{
    const char *body = tq_req_body(ex);

    if (body == NULL) {
        return NULL;
    }
    return ac_json_parse_object(body, strlen(body), NULL);
}

/* Parse every WWW-Authenticate line of the response into `cs`. */
static bool challenges_of(const json_t *ex, struct ac_challenges *cs)
{
    const json_t *hs =
        json_object_get(json_object_get(ex, "response"), "headers");
    const char *lines[16];
    size_t n = 0, i;
    const json_t *h;

    memset(cs, 0, sizeof *cs);
    json_array_foreach(hs, i, h)
    {
        const char *name = json_string_value(json_array_get(h, 0));
        const char *v = json_string_value(json_array_get(h, 1));
        if (name != NULL && v != NULL &&
            strcasecmp(name, "WWW-Authenticate") == 0 && n < 16) {
            lines[n++] = v;
        }
    }
    if (n == 0) {
        return false;
    }
    return ac_wwwauth_parse(lines, n, cs, NULL);
}

char *tq_challenge_param(const json_t *ex, const char *name)
{
    struct ac_challenges cs;
    const struct ac_challenge *b;
    const char *v;
    char *out = NULL;

    if (!challenges_of(ex, &cs)) {
        ac_challenges_free(&cs);
        return NULL;
    }
    b = ac_wwwauth_find(&cs, "Bearer");
    if (b == NULL) {
        /* a server requiring DPoP challenges with DPoP only (RFC 9449
         * §7.1); its parameters mean the same */
        b = ac_wwwauth_find(&cs, "DPoP");
    }
    v = b != NULL ? ac_challenge_param(b, name) : NULL;
    if (v != NULL) {
        out = strdup(v);
    }
    ac_challenges_free(&cs);
    return out;
}

bool tq_has_bearer_challenge(const json_t *ex)
{
    struct ac_challenges cs;
    bool has = challenges_of(ex, &cs) &&
               (ac_wwwauth_find(&cs, "Bearer") || ac_wwwauth_find(&cs, "DPoP"));

    ac_challenges_free(&cs);
    return has;
}

bool tq_basic_credentials(const char *value, char **id, char **secret)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    char *colon;
    bool ok = false;

    *id = NULL;
    *secret = NULL;
    if (value == NULL || strncasecmp(value, "Basic ", 6) != 0) {
        return false;
    }
    value += 6;
    while (*value == ' ') {
        value++;
    }
    if (!ac_b64_decode(value, strlen(value), &raw, &n, NULL) ||
        memchr(raw, '\0', n) != NULL) {
        goto out;
    }
    /* Both halves are decoded by length: no terminator is needed, so the
     * decoded credentials are never copied (and never leaked by a failed
     * resize). */
    colon = memchr(raw, ':', n);
    if (colon == NULL) {
        goto out;
    }
    *id = ac_pct_decode((char *)raw, (size_t)(colon - (char *)raw), true, NULL);
    *secret = ac_pct_decode(colon + 1, n - (size_t)(colon + 1 - (char *)raw),
                            true, NULL);
    ok = *id != NULL && *secret != NULL;
    if (!ok) {
        free(*id);
        free(*secret);
        *id = *secret = NULL;
    }
out:
    free(raw);
    return ok;
}
