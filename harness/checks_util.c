/* Queries shared by the check families (checks_int.h): the PRM and
 * authorization server metadata a client received, token request bodies, client
 * identification, bearer tokens and authorization responses. Pure functions
 * over the transcript, like the checks. */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

json_t *hc_prm_doc(const json_t *tr)
{
    for (size_t i = tq_next(tr, 0, "prm", "GET"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "prm", "GET")) {
        if (tq_status(tq_at(tr, i)) == 200) {
            json_t *doc = tq_resp_json(tq_at(tr, i));
            if (doc != NULL) {
                return doc;
            }
        }
    }
    return NULL;
}

json_t *hc_as_metadata(const json_t *tr, const char *server, size_t before)
{
    json_t *doc = NULL;

    for (size_t i = 0; i < tq_count(tr) && i < before; i++) {
        const json_t *ex = tq_at(tr, i);
        if ((tq_is(ex, "metadata", "GET") || tq_is(ex, "oidc", "GET")) &&
            strcmp(tq_server(ex), server) == 0 && tq_status(ex) == 200) {
            json_t *d = tq_resp_json(ex);
            if (d != NULL) {
                json_decref(doc);
                doc = d;
            }
        }
    }
    return doc;
}

bool hc_token_form(const json_t *tr, size_t i, struct ac_form *f)
{
    return tq_body_form(tq_at(tr, i), f, NULL);
}

char *hc_resp_member(const json_t *ex, const char *key)
{
    json_t *doc = tq_resp_json(ex);
    const char *v = ac_json_str(doc, key);
    char *out = v != NULL ? strdup(v) : NULL;

    json_decref(doc);
    return out;
}

char *hc_request_client_id(const json_t *ex, const struct ac_form *body)
{
    const char *id = body != NULL ? ac_form_get(body, "client_id") : NULL;
    char *user = NULL, *secret = NULL;

    if (id != NULL) {
        return strdup(id);
    }
    if (tq_basic_credentials(tq_req_header(ex, "Authorization"), &user,
                             &secret)) {
        free(secret);
        return user;
    }
    return NULL;
}

char *hc_bearer_of(const json_t *ex)
{
    size_t len = 0;
    const char *t = tq_bearer_token(tq_req_header(ex, "Authorization"), &len);

    return t != NULL ? strndup(t, len) : NULL;
}

bool hc_authz_response(const json_t *ex, struct ac_form *loc)
{
    int st = tq_status(ex);

    if (st < 300 || st > 399 || tq_resp_header(ex, "Location") == NULL) {
        ac_form_init(loc);
        return false;
    }
    return tq_location_form(ex, loc, NULL);
}

size_t hc_issued_by(const json_t *tr, const char *code)
{
    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form loc;
        const char *c = hc_authz_response(tq_at(tr, i), &loc)
                            ? ac_form_get(&loc, "code")
                            : NULL;
        bool hit = c != NULL && code != NULL && strcmp(c, code) == 0;
        ac_form_free(&loc);
        if (hit) {
            return i;
        }
    }
    return TQ_NONE;
}

size_t hc_redeemed_at(const json_t *tr, size_t from, const char *code)
{
    for (size_t i = tq_next(tr, from, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        bool hit = false;
        if (hc_token_form(tr, i, &f)) {
            const char *c = ac_form_get(&f, "code");
            hit = c != NULL && code != NULL && strcmp(c, code) == 0;
        }
        ac_form_free(&f);
        if (hit) {
            return i;
        }
    }
    return TQ_NONE;
}

size_t hc_count(const json_t *tr, const char *endpoint, const char *method)
{
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, endpoint, method); i != TQ_NONE;
         i = tq_next(tr, i + 1, endpoint, method)) {
        n++;
    }
    return n;
}

bool hc_client_revision(const json_t *tr, char *buf, size_t n)
{
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        const json_t *ex = tq_at(tr, i);
        json_t *msgs = tq_jsonrpc_messages(tq_req_body(ex));
        const json_t *m = json_array_get(msgs, 0);
        const char *method = ac_json_str(m, "method");
        const char *v = NULL;
        if (method != NULL && strcmp(method, "initialize") == 0) {
            v = ac_json_str(json_object_get(m, "params"), "protocolVersion");
        }
        if (v == NULL) {
            v = tq_req_header(ex, "MCP-Protocol-Version");
        }
        if (v != NULL) {
            snprintf(buf, n, "%s", v);
        }
        json_decref(msgs);
        if (v != NULL) {
            return true;
        }
    }
    return false;
}

const char *hc_wire(const struct hc_input *in)
{
    const char *w =
        ac_json_str(json_object_get(in->scenario, "mcp_server"), "wire");
    return w != NULL ? w : "2025-11-25";
}

/* Apply `pred` to every authorization request; the first violation fails
 * the check. `what` completes "all N authorization request(s) ...". */
void hc_every_authz(const struct hc_input *in, struct hc_result *out,
                    hc_authz_pred_fn pred, const char *what)
{
    const json_t *tr = in->transcript;
    size_t n = 0;
    char why[400];

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form q;
        struct ac_err e = {0};
        bool ok;

        n++;
        hc_evidence(out, tr, i);
        if (!tq_query_form(tq_at(tr, i), &q, &e)) {
            ac_form_free(&q);
            hc_malformed(out, "the authorization request", hc_seq_of(tr, i),
                         &e);
            return;
        }
        why[0] = '\0';
        ok = pred(in, i, &q, why, sizeof why);
        ac_form_free(&q);
        if (!ok) {
            hc_verdict(out, HC_FAILURE, "authorization request (seq %zu): %s",
                       hc_seq_of(tr, i), why);
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "authorization request");
        return;
    }
    hc_verdict(out, HC_SUCCESS, "all %zu authorization request(s) %s", n, what);
}

/* Append the access token of a successful token response to `issued`. */
void hc_collect_token(const json_t *ex, json_t *issued)
{
    json_t *doc = tq_status(ex) == 200 ? tq_resp_json(ex) : NULL;
    const char *at = ac_json_str(doc, "access_token");

    if (at != NULL) {
        json_array_append_new(issued, json_string(at));
    }
    json_decref(doc);
}
