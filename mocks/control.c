/* The control API (control.h). Owns its httpd; every operation takes the
 * world's lock itself (the server is created without one, so fetching the
 * transcript, which may wait for in-flight exchanges, never blocks the
 * other servers). */
#include "mocks/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/redact.h"
#include "mocks/httpd.h"
#include "mocks/rules.h"
#include "mocks/transcript.h"
#include "mocks/world_int.h"

struct mo_control {
    struct mo_world *w;
    struct mo_shared *sh;
    struct mo_httpd *httpd;
    char url[64];
};

static bool ok_reply(struct mo_reply *rep, const struct mo_shared *sh)
{
    json_t *doc = json_pack("{s:b, s:I, s:I}", "ok", 1, "now",
                            (json_int_t)mo_world_now(sh), "clock_offset",
                            (json_int_t)sh->clock_offset);
    bool ok = doc != NULL && mo_reply_json(rep, 200, doc);

    json_decref(doc);
    return ok;
}

static bool handle_reset(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep)
{
    struct mo_control *c = ctx;
    struct ac_err err;
    bool ok;

    (void)req;
    pthread_mutex_lock(&c->sh->lock);
    ok = mo_world_reset_locked(c->w, &err) && ok_reply(rep, c->sh);
    pthread_mutex_unlock(&c->sh->lock);
    return ok;
}

/* Collects the first validation message. */
static void first_violation(void *ctx, const char *ptr, bool key,
                            const char *msg)
{
    char *out = ctx;

    (void)ptr;
    (void)key;
    if (out[0] == '\0') {
        snprintf(out, 256, "%s", msg);
    }
}

/* Validate a state operation object the way a rule's "do" after an event
 * is validated (state operations only). */
static bool ops_valid(struct mo_control *c, const json_t *ops, char msg[256])
{
    json_t *doc = mo_world_ids_doc(c->w);
    json_t *rules =
        json_pack("[{s:{s:s}, s:O}]", "on", "event", "token.issued", "do", ops);
    bool ok;

    msg[0] = '\0';
    ok = doc != NULL && rules != NULL &&
         mo_rules_check(rules, doc, first_violation, msg);
    if (!ok && msg[0] == '\0') {
        snprintf(msg, 256, "out of memory");
    }
    json_decref(doc);
    json_decref(rules);
    return ok;
}

/* POST /ops: {"expire": "access", ...}, with an optional "context":
 * {"token": .., "client_id": ..} naming the token/client "token",
 * "family" and "client" refer to. */
static bool handle_ops(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep)
{
    struct mo_control *c = ctx;
    struct ac_err err;
    json_t *ops = ac_json_parse_object(req->body, req->body_len, &err);
    json_t *cx = NULL;
    struct mo_opctx oc = {"control", NULL, NULL};
    char msg[256];
    bool ok;

    if (ops == NULL) {
        return mo_reply_oauth_error(rep, 400, "invalid_request", err.msg);
    }
    cx = json_incref(json_object_get(ops, "context"));
    json_object_del(ops, "context");
    oc.token = ac_json_str(cx, "token");
    oc.client_id = ac_json_str(cx, "client_id");
    if (!ops_valid(c, ops, msg)) {
        ok = mo_reply_oauth_error(rep, 400, "invalid_request", msg);
    } else {
        pthread_mutex_lock(&c->sh->lock);
        ok = mo_world_apply_ops(c->sh, ops, &oc, &err)
                 ? ok_reply(rep, c->sh)
                 : mo_reply_oauth_error(rep, 400, "invalid_request", err.msg);
        pthread_mutex_unlock(&c->sh->lock);
    }
    json_decref(cx);
    json_decref(ops);
    return ok;
}

/* POST /clock {"advance": seconds}; GET /clock reads it. */
static bool handle_clock(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep)
{
    struct mo_control *c = ctx;
    struct ac_err err;
    json_t *doc = NULL;
    const json_t *adv;
    bool ok;

    if (strcmp(req->method, "POST") == 0) {
        doc = ac_json_parse_object(req->body, req->body_len, &err);
        adv = json_object_get(doc, "advance");
        if (!json_is_integer(adv) || json_integer_value(adv) < 0) {
            json_decref(doc);
            return mo_reply_oauth_error(rep, 400, "invalid_request",
                                        "body must be {\"advance\": seconds "
                                        ">= 0}");
        }
    }
    pthread_mutex_lock(&c->sh->lock);
    if (doc != NULL) {
        c->sh->clock_offset +=
            json_integer_value(json_object_get(doc, "advance"));
    }
    ok = ok_reply(rep, c->sh);
    pthread_mutex_unlock(&c->sh->lock);
    json_decref(doc);
    return ok;
}

static const char *header_of(const json_t *pairs, const char *name)
{
    size_t i;
    const json_t *p;

    json_array_foreach(pairs, i, p)
    {
        const char *n = json_string_value(json_array_get(p, 0));

        if (n != NULL && strcasecmp(n, name) == 0) {
            return json_string_value(json_array_get(p, 1));
        }
    }
    return NULL;
}

static void redact_headers(json_t *pairs)
{
    size_t i;
    json_t *p;

    json_array_foreach(pairs, i, p)
    {
        const char *n = json_string_value(json_array_get(p, 0));
        const char *v = json_string_value(json_array_get(p, 1));
        char *r = n != NULL && v != NULL ? ac_redact_header(n, v) : NULL;

        if (r != NULL) {
            json_array_set_new(p, 1, json_string(r));
        }
        free(r);
    }
}

static void redact_part(json_t *part, const json_t *secrets)
{
    json_t *hs = json_object_get(part, "headers");
    const char *body = ac_json_str(part, "body");
    char *r = body != NULL
                  ? ac_redact_body(header_of(hs, "Content-Type"), body, secrets)
                  : NULL;

    if (r != NULL) {
        json_object_set_new(part, "body", json_string(r));
    }
    free(r);
    redact_headers(hs);
}

static void redact_str(json_t *ex, const char *key, char *(*fn)(const char *))
{
    const char *v = ac_json_str(ex, key);
    char *r = v != NULL ? fn(v) : NULL;

    if (r != NULL) {
        json_object_set_new(ex, key, json_string(r));
    }
    free(r);
}

/* One exchange as a redacted JSON line appended to `out`. */
static bool exchange_line(json_t *ex, const json_t *secrets, struct ac_buf *out)
{
    char *line, *safe;
    bool ok;

    redact_str(ex, "url", ac_redact_url);
    redact_str(ex, "query", ac_redact_form);
    redact_part(json_object_get(ex, "request"), secrets);
    redact_part(json_object_get(ex, "response"), secrets);
    line = json_dumps(ex, JSON_COMPACT);
    /* Belt and braces: any known secret left anywhere is replaced. */
    safe = line != NULL ? ac_redact_known(line, secrets) : NULL;
    ok = safe != NULL && ac_buf_printf(out, NULL, "%s\n", safe);
    free(line);
    free(safe);
    return ok;
}

/* GET /transcript: JSON lines (application/x-ndjson), secrets redacted. */
static bool handle_transcript(void *ctx, const struct mo_req *req,
                              struct mo_reply *rep)
{
    struct mo_control *c = ctx;
    json_t *t = mo_transcript_snapshot(c->sh->transcript);
    json_t *secrets = mo_transcript_secrets(c->sh->transcript);
    struct ac_buf out;
    size_t i;
    json_t *ex;
    bool ok = t != NULL && secrets != NULL;

    (void)req;
    ac_buf_init(&out, 0);
    json_array_foreach(t, i, ex)
    {
        if (ok) {
            ok = exchange_line(ex, secrets, &out);
        }
    }
    ok = ok && mo_reply_body(rep, 200, "application/x-ndjson",
                             out.data != NULL ? out.data : "", out.len);
    ac_buf_free(&out);
    json_decref(t);
    json_decref(secrets);
    return ok;
}

static bool handle_index(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep)
{
    struct mo_control *c = ctx;
    json_t *doc;
    bool ok;

    (void)req;
    pthread_mutex_lock(&c->sh->lock);
    doc = json_pack("{s:s, s:s, s:O, s:I}", "mcp", c->sh->resource, "prm",
                    c->sh->prm_url, "authorization_servers", c->sh->issuers,
                    "now", (json_int_t)mo_world_now(c->sh));
    pthread_mutex_unlock(&c->sh->lock);
    ok = doc != NULL && mo_reply_json(rep, 200, doc);
    json_decref(doc);
    return ok;
}

bool mo_control_start(struct mo_world *w, struct mo_shared *sh,
                      struct mo_control **out, struct ac_err *err)
{
    struct mo_control *c = calloc(1, sizeof(*c));
    struct mo_httpd *h = NULL;
    bool ok;

    *out = NULL;
    if (c == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the control API");
        return false;
    }
    c->w = w;
    c->sh = sh;
    ok = mo_httpd_new("control", sh->transcript, NULL, &h, err) &&
         mo_httpd_route(h, "GET", "/", "control", handle_index, c, err) &&
         mo_httpd_route(h, "POST", "/reset", "control", handle_reset, c, err) &&
         mo_httpd_route(h, "POST", "/ops", "control", handle_ops, c, err) &&
         mo_httpd_route(h, "GET", "/clock", "control", handle_clock, c, err) &&
         mo_httpd_route(h, "POST", "/clock", "control", handle_clock, c, err) &&
         mo_httpd_route(h, "GET", "/transcript", "control", handle_transcript,
                        c, err) &&
         mo_httpd_start(h, err);
    c->httpd = h;
    if (!ok) {
        mo_control_free(c);
        return false;
    }
    snprintf(c->url, sizeof(c->url), "%s", mo_httpd_origin(h));
    *out = c;
    return true;
}

const char *mo_control_url(const struct mo_control *c)
{
    return c != NULL ? c->url : NULL;
}

struct mo_httpd *mo_control_httpd(const struct mo_control *c)
{
    return c != NULL ? c->httpd : NULL;
}

void mo_control_free(struct mo_control *c)
{
    if (c == NULL) {
        return;
    }
    mo_httpd_free(c->httpd);
    free(c);
}
