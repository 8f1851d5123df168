/* Redaction of the whole results model before any renderer sees it.
 *
 * Three passes, from most to least structured, so the short hashes of
 * ac_redact_value are taken over real values wherever the structure is
 * known:
 *   1. ac_redact_json: members with secret names anywhere in the model;
 *   2. each transcript exchange: header values (ac_redact_header, which
 *      also treats Location as a URL), request/response bodies by content
 *      type (ac_redact_body), the URL (ac_redact_url) and the raw query
 *      (ac_redact_form);
 *   3. every known secret, raw and percent-encoded, in every string and key
 *      (ac_redact_known): catches a token echoed in a client's output, a
 *      tool result, an SSE body or an error_description. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/form.h"
#include "common/redact.h"

/* The secrets plus their percent-encoded forms (a secret with reserved
 * characters appears encoded in URLs and form bodies). Empty and
 * non-string entries are dropped. A new array. */
static json_t *secret_variants(const json_t *secrets)
{
    json_t *out = json_array();
    size_t i;
    const json_t *s;

    json_array_foreach(secrets, i, s)
    {
        const char *v = json_string_value(s);
        char *enc;
        if (out == NULL || v == NULL || v[0] == '\0') {
            continue;
        }
        json_array_append_new(out, json_string(v));
        enc = ac_pct_encode(v);
        if (enc != NULL && strcmp(enc, v) != 0) {
            json_array_append_new(out, json_string(enc));
        }
        free(enc);
    }
    return out;
}

/* Replace `parent[key]` with the redacted text `s` (taken). When the
 * redactor failed (s == NULL) a marker goes in: never fall back to the
 * unredacted text. */
static void set_redacted(json_t *parent, const char *key, char *s)
{
    json_object_set_new(parent, key,
                        json_string(s != NULL ? s : "[redaction failed]"));
    free(s);
}

static const char *header_value(const json_t *msg, const char *name)
{
    size_t i;
    const json_t *h;

    json_array_foreach(json_object_get(msg, "headers"), i, h)
    {
        const char *n = json_string_value(json_array_get(h, 0));
        if (n != NULL && strcasecmp(n, name) == 0) {
            return json_string_value(json_array_get(h, 1));
        }
    }
    return NULL;
}

/* Headers and body of a request or response object. */
static void redact_message(json_t *msg)
{
    size_t i;
    json_t *h;
    const char *body = json_string_value(json_object_get(msg, "body"));

    json_array_foreach(json_object_get(msg, "headers"), i, h)
    {
        const char *n = json_string_value(json_array_get(h, 0));
        const char *v = json_string_value(json_array_get(h, 1));
        if (v != NULL) {
            char *r = ac_redact_header(n, v);
            json_array_set_new(
                h, 1, json_string(r != NULL ? r : "[redaction failed]"));
            free(r);
        }
    }
    if (body != NULL) {
        set_redacted(
            msg, "body",
            ac_redact_body(header_value(msg, "Content-Type"), body, NULL));
    }
}

static void redact_exchange(json_t *ex)
{
    const char *url = json_string_value(json_object_get(ex, "url"));
    const char *q = json_string_value(json_object_get(ex, "query"));

    if (!json_is_object(ex)) {
        return;
    }
    if (url != NULL) {
        set_redacted(ex, "url", ac_redact_url(url));
    }
    if (q != NULL) {
        set_redacted(ex, "query", ac_redact_form(q));
    }
    redact_message(json_object_get(ex, "request"));
    redact_message(json_object_get(ex, "response"));
}

/* `obj` with known secrets replaced in its keys, in the same key order
 * (a key is never renamed in place). False when out of memory. */
static bool rekey(json_t *obj, struct ac_redact_index *known)
{
    json_t *out = json_object(), *x;
    const char *k;
    bool ok = out != NULL;

    json_object_foreach(obj, k, x)
    {
        char *s = ok ? ac_redact_index_apply(known, k) : NULL;
        ok = s != NULL && json_object_set(out, s, x) == 0;
        free(s);
    }
    ok = ok && json_object_clear(obj) == 0 && json_object_update(obj, out) == 0;
    json_decref(out);
    return ok;
}

/* Replace known secrets in every string and key of `v`, in place: `v` is
 * rp_redact_model's own copy, in which no node is shared, so no string is
 * seen twice (a second pass would tag a tag). The strings without a
 * secret, nearly all, are scanned but not copied. False when out of
 * memory. */
static bool sweep(json_t *v, struct ac_redact_index *known)
{
    json_t *x;
    const char *k;
    size_t i;
    char *s;
    bool keys = false;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        json_object_foreach(v, k, x)
        {
            if (!sweep(x, known)) {
                return false;
            }
            keys = keys || ac_redact_index_hit(known, k);
        }
        return !keys || rekey(v, known);
    case JSON_ARRAY:
        json_array_foreach(v, i, x)
        {
            if (!sweep(x, known)) {
                return false;
            }
        }
        return true;
    case JSON_STRING:
        if (!ac_redact_index_hit(known, json_string_value(v))) {
            return true;
        }
        s = ac_redact_index_apply(known, json_string_value(v));
        /* A replacement never breaks UTF-8 unless a secret was a partial
         * sequence; even then, never fall back to the original. */
        if (s == NULL || json_string_set(v, s) != 0) {
            json_string_set(v, "[redaction failed]");
        }
        free(s);
        return true;
    default:
        return true;
    }
}

json_t *rp_redact_model(const json_t *results, const json_t *secrets,
                        struct ac_err *err)
{
    json_t *known = secret_variants(secrets);
    json_t *copy = known != NULL ? ac_redact_json(results) : NULL;
    struct ac_redact_index *ix = NULL;
    json_t *sc;
    size_t i, j;
    json_t *ex;

    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "redacting the results model failed");
        goto out;
    }
    json_array_foreach(json_object_get(copy, "scenarios"), i, sc)
    {
        json_array_foreach(json_object_get(sc, "transcript"), j, ex)
        {
            redact_exchange(ex);
        }
    }
    /* One index for the whole sweep: building it per string made this
     * pass quadratic in the run's size (every string times every
     * secret's length). */
    ix = ac_redact_index_new(known);
    if (ix == NULL || !sweep(copy, ix)) {
        AC_ERR(err, AC_ERR_NOMEM, "redacting the results model failed");
        json_decref(copy);
        copy = NULL;
    }
out:
    ac_redact_index_free(ix);
    json_decref(known);
    return copy;
}
