/* The rules engine (rules.h): the rules and their counters (nth, times,
 * after), the request and event hooks, the event queue, the ${...}
 * placeholder scanner, and the hand-off of state operations to the world
 * (mo_world_apply_ops). Owns a deep copy of the scenario's rules.
 * Validation is rules_check.c, request matching rules_match.c, response
 * actions (respond, patch, delay, drop, hang, truncate, malformed)
 * rules_act.c. */
#include "mocks/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/json.h"
#include "mocks/rules_int.h"

/* --- placeholders ---------------------------------------------------- */

static bool buf_add(struct ac_buf *b, const char *p, size_t n)
{
    return b == NULL || ac_buf_append(b, p, n, NULL);
}

bool mo_rules_ph_expand(const char *s, mo_rules_ph_lookup_fn look, void *ctx,
                        bool strict, struct ac_buf *out, size_t *at)
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

bool mo_rules_ph_name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncmp(name, want, len) == 0;
}

/* The ID of "issuer:ID" copied into `id` (cut to its size), or false
 * when `name` is not of that form. */
bool mo_rules_ph_issuer_id(const char *name, size_t len, char *id, size_t n)
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

/* --- the engine ------------------------------------------------------ */

json_int_t mo_rules_int_or(const json_t *o, const char *k, json_int_t dflt)
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
        x->nth = mo_rules_int_or(m, "nth", 1);
        /* An "nth" alone fires once; without it, every time. */
        x->times =
            mo_rules_int_or(m, "times", json_object_get(m, "nth") ? 1 : 0);
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

        if (x->match == NULL || !mo_rules_request_matches(x->match, &w) ||
            !occurrence_fires(x)) {
            continue;
        }
        note_fired(&fx->fired, i);
        {
            struct mo_opctx oc = {req->server, mo_rules_view_token(&w),
                                  mo_rules_view_client(&w)};
            struct ac_err err;

            if (!mo_world_apply_ops(sh, x->act, &oc, &err)) {
                ac_err_print(&err, "rule state operation");
            }
        }
        if ((r = json_object_get(x->act, "respond")) != NULL && !answered) {
            json_t *a = mo_rules_action_for(x, r, sh, req->server);

            if (a != NULL) {
                mo_rules_respond(rep, a);
                answered = true;
            }
            json_decref(a);
        }
        fx->delay_ms += (int)mo_rules_int_or(x->act, "delay_ms", 0);
        fx->drop = fx->drop || json_is_true(json_object_get(x->act, "drop"));
        fx->hang = fx->hang || json_is_true(json_object_get(x->act, "hang"));
    }
    mo_rules_view_free(&w);
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
            json_t *a = mo_rules_action_for(x, p, sh, req->server);

            if (a != NULL) {
                mo_rules_patch(rep, a);
            }
            json_decref(a);
        }
        if (json_object_get(x->act, "truncate") != NULL) {
            mo_rules_truncate_body(rep, mo_rules_int_or(x->act, "truncate", 0));
        }
        if (json_is_true(json_object_get(x->act, "malformed"))) {
            mo_rules_malform(rep);
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
        !mo_rules_str_match(s, ev->client_id)) {
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

void mo_rules_emit(struct mo_shared *sh, const char *name, const char *server,
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
