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
 *      tool result, an SSE body or an error_description.
 *
 * Over a scenario, passes 1 and 2 depend on nothing but the scenario
 * itself, and they are the costly ones (a copy of every node): the
 * harness runs them in the worker that ran the scenario
 * (rp_redact_scenario), in parallel with the other scenarios, and the
 * rest at the end (rp_redact_model_in_place: pass 1 over the members
 * around the scenarios, pass 3, which needs every secret of the run).
 * rp_redact_model takes the same two steps on a copy, so there is one
 * way a model is redacted. */
#include "reports/reports_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/form.h"
#include "common/redact.h"
#include "reports/reports.h"

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

/* Pass 2 over one scenario result of the copy. */
static void redact_transcript(json_t *sc)
{
    size_t i;
    json_t *ex;

    json_array_foreach(json_object_get(sc, "transcript"), i, ex)
    {
        redact_exchange(ex);
    }
}

/* Passes 1 and 2 over one scenario result: a new model sharing nothing
 * with `sc`. */
json_t *rp_redact_scenario(const json_t *sc)
{
    json_t *copy = ac_redact_json(sc);

    redact_transcript(copy);
    return copy;
}

/* Pass 3 over `model`, in place. False when out of memory. */
static bool sweep_known(json_t *model, const json_t *secrets)
{
    json_t *known = secret_variants(secrets);
    /* One index for the whole sweep: building it per string made this
     * pass quadratic in the run's size (every string times every
     * secret's length). */
    struct ac_redact_index *ix =
        known != NULL ? ac_redact_index_new(known) : NULL;
    bool ok = ix != NULL && sweep(model, ix);

    ac_redact_index_free(ix);
    json_decref(known);
    return ok;
}

/* Pass 1 over the members of `results` around its scenarios, which are
 * replaced by `scenarios` (borrowed, already redacted): a copy of the
 * model with an empty array there, which then gets `scenarios`.
 * Replacing a member keeps its place, so results.json keeps its order.
 * A model without a scenarios array is copied whole. NULL when out of
 * memory. */
static json_t *redact_around(const json_t *results, json_t *scenarios)
{
    json_t *shallow, *top = NULL;

    if (scenarios == NULL) {
        return ac_redact_json(results);
    }
    shallow = json_copy((json_t *)results); /* json_copy only reads */
    if (shallow != NULL &&
        json_object_set_new(shallow, "scenarios", json_array()) == 0) {
        top = ac_redact_json(shallow);
    }
    json_decref(shallow);
    if (top != NULL && json_object_set(top, "scenarios", scenarios) != 0) {
        json_decref(top);
        top = NULL;
    }
    return top;
}

/* Pass 3 over `top` (taken), then the model or NULL with err set. */
static json_t *finish(json_t *top, const json_t *secrets, struct ac_err *err)
{
    if (top == NULL || !sweep_known(top, secrets)) {
        AC_ERR(err, AC_ERR_NOMEM, "redacting the results model failed");
        json_decref(top);
        return NULL;
    }
    return top;
}

/* Every scenario through rp_redact_scenario, into a new array; NULL when
 * out of memory. */
static json_t *redact_scenarios(const json_t *scenarios)
{
    json_t *out = json_array();
    const json_t *sc;
    size_t i;

    json_array_foreach(scenarios, i, sc)
    {
        if (out == NULL ||
            json_array_append_new(out, rp_redact_scenario(sc)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

json_t *rp_redact_model(const json_t *results, const json_t *secrets,
                        struct ac_err *err)
{
    const json_t *scenarios = json_object_get(results, "scenarios");
    json_t *red = json_is_array(scenarios) ? redact_scenarios(scenarios) : NULL;
    json_t *top = NULL;

    if (red != NULL || !json_is_array(scenarios)) {
        top = redact_around(results, red);
    }
    json_decref(red);
    return finish(top, secrets, err);
}

json_t *rp_redact_model_in_place(json_t *results, const json_t *secrets,
                                 struct ac_err *err)
{
    json_t *scenarios = json_object_get(results, "scenarios");

    return finish(
        redact_around(results, json_is_array(scenarios) ? scenarios : NULL),
        secrets, err);
}
