/* Token lifecycle checks: refresh instead of re-authorization, refresh
 * token rotation, scope of refresh requests, recovery from invalid_grant
 * and from a failing token endpoint, reuse of stored tokens across
 * restarts, revoked tokens, logout revocation, tokens kept out of URLs,
 * and tokens sent only to the resource they were issued for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/redact.h"
#include "common/scope.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

/* One token request and its answer. */
struct tokev {
    char grant[40];
    char *rt_sent;  /* refresh_token parameter */
    char *scope;    /* scope parameter */
    char *resource; /* resource parameter */
    int status;
    char *error;   /* error member of the answer */
    char *access;  /* access_token issued */
    char *refresh; /* refresh_token issued */
    char *granted; /* scope member of the answer */
};

static void tokev_free(struct tokev *t)
{
    free(t->rt_sent);
    free(t->scope);
    free(t->resource);
    free(t->error);
    free(t->access);
    free(t->refresh);
    free(t->granted);
    memset(t, 0, sizeof *t);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Read the token exchange at `i`; false when it is not a token request
 * (or its body does not parse). */
static bool tokev_read(const json_t *tr, size_t i, struct tokev *t)
{
    const json_t *ex = tq_at(tr, i);
    struct ac_form f;
    const char *g;
    bool ok = false;

    memset(t, 0, sizeof *t);
    if (!tq_is(ex, "token", "POST")) {
        return false;
    }
    if (hc_token_form(tr, i, &f)) {
        g = ac_form_get(&f, "grant_type");
        snprintf(t->grant, sizeof t->grant, "%s", g != NULL ? g : "");
        t->rt_sent = dup_or_null(ac_form_get(&f, "refresh_token"));
        t->scope = dup_or_null(ac_form_get(&f, "scope"));
        t->resource = dup_or_null(ac_form_get(&f, "resource"));
        t->status = tq_status(ex);
        t->error = hc_resp_member(ex, "error");
        if (t->status == 200) {
            t->access = hc_resp_member(ex, "access_token");
            t->refresh = hc_resp_member(ex, "refresh_token");
            t->granted = hc_resp_member(ex, "scope");
        }
        ok = true;
    }
    ac_form_free(&f);
    return ok;
}

static bool is_refresh(const struct tokev *t)
{
    return strcmp(t->grant, "refresh_token") == 0;
}

/* Is `u` a refresh request sending the refresh token `t` sent? */
static bool resends(const struct tokev *u, const struct tokev *t)
{
    return is_refresh(u) && u->rt_sent != NULL && t->rt_sent != NULL &&
           strcmp(u->rt_sent, t->rt_sent) == 0;
}

/* Add the scopes `add` (NULL: none) to the set `*granted`; false when
 * out of memory. */
static bool scope_add(char **granted, const char *add)
{
    char *u = ac_scope_union(*granted, add);

    free(*granted);
    *granted = u;
    return u != NULL;
}

static bool mcp_invalid_token(const json_t *ex)
{
    char *e;
    bool is;

    if (!tq_is(ex, "mcp", NULL) || tq_status(ex) != 401) {
        return false;
    }
    e = tq_challenge_param(ex, "error");
    is = e != NULL && strcmp(e, "invalid_token") == 0;
    free(e);
    return is;
}

/* Proactive vs reactive refresh. The mock clock moves, the client's does
 * not, so the judgment is on the wire: an access token the resource
 * server rejects (401 to an MCP request carrying an issued token) before
 * any refresh request means the client waited for the rejection. List it
 * where the tokens' expires_in is short enough that a refresh is due
 * before the next request (scenario tokens/proactive-refresh). */
void hc_check_refresh_proactive(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *issued = json_array();
    bool held = false;
    size_t refresh = TQ_NONE, reject = TQ_NONE;

    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        struct tokev t;
        char *bearer;
        if (tokev_read(tr, i, &t)) {
            held = held || t.refresh != NULL;
            if (is_refresh(&t) && refresh == TQ_NONE) {
                refresh = i;
            }
            if (t.access != NULL) {
                json_array_append_new(issued, json_string(t.access));
            }
            tokev_free(&t);
            continue;
        }
        if (reject != TQ_NONE || !held || !tq_is(ex, "mcp", NULL) ||
            tq_status(ex) != 401 || (bearer = hc_bearer_of(ex)) == NULL) {
            continue;
        }
        if (ac_json_array_has_str(issued, bearer)) {
            reject = i;
        }
        free(bearer);
    }
    json_decref(issued);
    if (!held) {
        hc_verdict(out, HC_SKIPPED, "no refresh token was issued");
    } else if (reject != TQ_NONE && (refresh == TQ_NONE || refresh > reject)) {
        hc_evidence(out, tr, reject);
        if (refresh != TQ_NONE) {
            hc_evidence(out, tr, refresh);
            hc_verdict(out, HC_FAILURE,
                       "the MCP server rejected an issued access token (seq "
                       "%zu) before the client's first refresh (seq %zu): "
                       "the refresh was reactive",
                       hc_seq_of(tr, reject), hc_seq_of(tr, refresh));
        } else {
            hc_verdict(out, HC_FAILURE,
                       "the MCP server rejected an issued access token (seq "
                       "%zu) and the client never refreshed",
                       hc_seq_of(tr, reject));
        }
    } else if (refresh == TQ_NONE) {
        hc_verdict(out, HC_SKIPPED,
                   "no access token was refreshed or rejected");
    } else {
        hc_evidence(out, tr, refresh);
        hc_verdict(out, HC_SUCCESS,
                   "the client refreshed (seq %zu) before the MCP server "
                   "rejected any access token",
                   hc_seq_of(tr, refresh));
    }
}

void hc_check_refresh_before_reauthorization(const struct hc_input *in,
                                             struct hc_result *out)
{
    const json_t *tr = in->transcript;
    char *held = NULL; /* the refresh token the client holds */
    size_t triggers = 0;

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        struct tokev t;
        if (tokev_read(tr, i, &t)) {
            if (t.refresh != NULL) {
                free(held);
                held = strdup(t.refresh);
            } else if (is_refresh(&t) && t.status == 400) {
                free(held);
                held = NULL;
            }
            tokev_free(&t);
            continue;
        }
        if (held == NULL || !mcp_invalid_token(ex)) {
            continue;
        }
        triggers++;
        hc_evidence(out, tr, i);
        for (size_t j = i + 1; j < tq_count(tr); j++) {
            const json_t *e2 = tq_at(tr, j);
            if (tq_is(e2, "token", "POST")) {
                break;
            }
            if (tq_is(e2, "authorize", NULL)) {
                hc_evidence(out, tr, j);
                hc_verdict(
                    out, HC_FAILURE,
                    "the access token was rejected (seq %zu); the client "
                    "held a refresh token but authorized again (seq "
                    "%zu) without refreshing",
                    hc_seq_of(tr, i), hc_seq_of(tr, j));
                free(held);
                return;
            }
        }
    }
    free(held);
    if (triggers == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no access token was rejected while the client held a "
                   "refresh token");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after each of %zu rejected access token(s) the client tried "
               "its refresh token before authorizing again",
               triggers);
}

void hc_check_refresh_token_rotation(const struct hc_input *in,
                                     struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *retired = json_array();
    size_t rotations = 0;

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE && retired;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct tokev t;
        if (!tokev_read(tr, i, &t)) {
            continue;
        }
        if (is_refresh(&t) && t.rt_sent != NULL &&
            ac_json_array_has_str(retired, t.rt_sent)) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "refresh request (seq %zu) sent a refresh token that an "
                       "earlier refresh had already replaced",
                       hc_seq_of(tr, i));
            tokev_free(&t);
            json_decref(retired);
            return;
        }
        if (is_refresh(&t) && t.refresh != NULL && t.rt_sent != NULL &&
            strcmp(t.refresh, t.rt_sent) != 0) {
            rotations++;
            hc_evidence(out, tr, i);
            json_array_append_new(retired, json_string(t.rt_sent));
        }
        tokev_free(&t);
    }
    json_decref(retired);
    if (rotations == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no refresh response rotated the refresh "
                   "token");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu rotation(s); no replaced refresh token was sent again",
               rotations);
}

void hc_check_refresh_scope_not_widened(const struct hc_input *in,
                                        struct hc_result *out)
{
    const json_t *tr = in->transcript;
    char *granted = NULL;
    size_t n = 0;
    bool ok = true;

    for (size_t i = 0; ok && i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        struct tokev t;
        struct ac_form q;
        if (tq_is(ex, "authorize", NULL)) {
            if (tq_query_form(ex, &q, NULL)) {
                ok = scope_add(&granted, ac_form_get(&q, "scope"));
            }
            ac_form_free(&q);
        }
        if (!ok || !tokev_read(tr, i, &t)) {
            continue;
        }
        if (is_refresh(&t)) {
            n++;
            hc_evidence(out, tr, i);
            if (t.scope != NULL && !ac_scope_subset(t.scope, granted)) {
                hc_verdict(out, HC_FAILURE,
                           "refresh request (seq %zu) asked for scope "
                           "\"%.100s\", beyond what was authorized",
                           hc_seq_of(tr, i), t.scope);
                tokev_free(&t);
                free(granted);
                return;
            }
        }
        ok = scope_add(&granted, t.granted);
        tokev_free(&t);
    }
    free(granted);
    if (!ok) {
        hc_verdict(out, HC_FAILURE, "harness error: out of memory");
    } else if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "the client made no refresh request");
    } else {
        hc_verdict(out, HC_SUCCESS,
                   "no refresh request asked for more scope than was "
                   "authorized (RFC 6749 §6)");
    }
}

void hc_check_invalid_grant_reauthorize_once(const struct hc_input *in,
                                             struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct tokev t;
        size_t authz = 0;
        bool reused = false, done = false;
        if (!tokev_read(tr, i, &t)) {
            continue;
        }
        if (!is_refresh(&t) || t.error == NULL ||
            strcmp(t.error, "invalid_grant") != 0) {
            tokev_free(&t);
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        for (size_t j = i + 1; j < tq_count(tr) && !reused && !done; j++) {
            struct tokev u;
            if (tq_is(tq_at(tr, j), "authorize", NULL)) {
                authz++;
                hc_evidence(out, tr, j);
            } else if (tokev_read(tr, j, &u)) {
                reused = resends(&u, &t);
                done = u.status == 200;
                tokev_free(&u);
            }
        }
        tokev_free(&t);
        if (reused) {
            hc_verdict(out, HC_FAILURE,
                       "the refresh token rejected with invalid_grant (seq "
                       "%zu) was sent again",
                       hc_seq_of(tr, i));
            return;
        }
        if (authz != 1 && !(authz == 0 && hc_expects_refusal(in))) {
            hc_verdict(out, HC_FAILURE,
                       "after invalid_grant on refresh (seq %zu) the client "
                       "authorized %zu time(s) before getting a token; once "
                       "is right",
                       hc_seq_of(tr, i), authz);
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "no refresh was answered invalid_grant");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after invalid_grant the client dropped the refresh token and "
               "authorized once");
}

void hc_check_refresh_5xx_keeps_credentials(const struct hc_input *in,
                                            struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct tokev t;
        size_t bad = TQ_NONE;
        bool retried = false;
        if (!tokev_read(tr, i, &t)) {
            continue;
        }
        if (!is_refresh(&t) || (t.status != 0 && t.status < 500)) {
            tokev_free(&t);
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        for (size_t j = i + 1; j < tq_count(tr) && !retried && bad == TQ_NONE;
             j++) {
            const json_t *ex = tq_at(tr, j);
            struct tokev u;
            if (tq_is(ex, "authorize", NULL) || tq_is(ex, "register", NULL)) {
                bad = j;
            } else if (tokev_read(tr, j, &u)) {
                retried = resends(&u, &t);
                tokev_free(&u);
            }
        }
        tokev_free(&t);
        if (bad != TQ_NONE || !retried) {
            if (bad != TQ_NONE) {
                hc_evidence(out, tr, bad);
            }
            hc_verdict(out, HC_FAILURE,
                       "refresh (seq %zu) failed with a server error; the "
                       "client %s",
                       hc_seq_of(tr, i),
                       bad != TQ_NONE ? "discarded its credentials and started "
                                        "over"
                                      : "never retried with its refresh token");
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "no refresh failed with a server error");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after each failed refresh the client retried with the same "
               "refresh token");
}

void hc_check_no_reauthorization(const struct hc_input *in,
                                 struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0, second = TQ_NONE;

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        n++;
        hc_evidence(out, tr, i);
        second = n == 2 ? i : second;
    }
    if (n == 0) {
        hc_missing(in, out, "authorization request");
    } else if (n > 1) {
        hc_verdict(out, HC_FAILURE,
                   "%zu authorization requests (the second at seq %zu); the "
                   "first grant should have lasted the whole session",
                   n, hc_seq_of(tr, second));
    } else {
        hc_verdict(out, HC_SUCCESS, "one authorization for the whole session");
    }
}

void hc_check_restart_reuses_tokens(const struct hc_input *in,
                                    struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t a = hc_count(tr, "authorize", NULL);
    size_t r = hc_count(tr, "register", "POST");

    if (in->nruns < 2) {
        hc_verdict(out, HC_SKIPPED, "the client ran once: nothing to reuse");
        return;
    }
    if (a == 0) {
        hc_missing(in, out, "authorization request");
    } else if (a > 1 || r > 1) {
        hc_verdict(out, HC_FAILURE,
                   "%zu runs made %zu authorization and %zu registration "
                   "request(s); later runs should reuse the stored tokens",
                   in->nruns, a, r);
    } else {
        hc_verdict(out, HC_SUCCESS,
                   "%zu runs, one authorization: later runs reused the stored "
                   "tokens",
                   in->nruns);
    }
}

void hc_check_revoked_token_not_reused(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "mcp", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", NULL)) {
        char *dead;
        if (!mcp_invalid_token(tq_at(tr, i)) ||
            (dead = hc_bearer_of(tq_at(tr, i))) == NULL) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        for (size_t j = tq_next(tr, i + 1, "mcp", NULL); j != TQ_NONE;
             j = tq_next(tr, j + 1, "mcp", NULL)) {
            char *b = hc_bearer_of(tq_at(tr, j));
            bool again = b != NULL && strcmp(b, dead) == 0;
            free(b);
            if (again) {
                hc_evidence(out, tr, j);
                hc_verdict(out, HC_FAILURE,
                           "the access token rejected as invalid_token (seq "
                           "%zu) was sent again (seq %zu)",
                           hc_seq_of(tr, i), hc_seq_of(tr, j));
                free(dead);
                return;
            }
        }
        free(dead);
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "no access token was rejected");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "no rejected access token was sent again (%zu rejection(s))", n);
}

/* Applies to logout scenarios: those whose id names "logout" (the client
 * under test learns it must log out from MCP_CONFORMANCE_SCENARIO). */
void hc_check_logout_revokes(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *id = ac_json_str(in->scenario, "id");
    json_t *issued;

    if (id == NULL || strstr(id, "logout") == NULL) {
        hc_verdict(out, HC_SKIPPED, "not a logout scenario");
        return;
    }
    issued = json_array();

    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        struct tokev t;
        struct ac_form f;
        const char *tok;
        bool hit = false;
        if (tokev_read(tr, i, &t)) {
            if (t.refresh) {
                json_array_append_new(issued, json_string(t.refresh));
            }
            if (t.access) {
                json_array_append_new(issued, json_string(t.access));
            }
            tokev_free(&t);
            continue;
        }
        if (!tq_is(tq_at(tr, i), "revoke", "POST")) {
            continue;
        }
        hc_evidence(out, tr, i);
        if (tq_body_form(tq_at(tr, i), &f, NULL) &&
            (tok = ac_form_get(&f, "token")) != NULL) {
            hit = ac_json_array_has_str(issued, tok) &&
                  tq_status(tq_at(tr, i)) == 200;
        }
        ac_form_free(&f);
        if (hit) {
            hc_verdict(out, HC_SUCCESS,
                       "the client revoked an issued token at the revocation "
                       "endpoint (seq %zu, RFC 7009)",
                       hc_seq_of(tr, i));
            json_decref(issued);
            return;
        }
    }
    json_decref(issued);
    hc_required_fact(in, out,
                     "the client never revoked an issued token at the "
                     "revocation endpoint");
}

void hc_check_token_not_in_url(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *issued = json_array();

    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        struct tokev t;
        const char *url = tq_url(tq_at(tr, i));
        size_t k;
        const json_t *v;
        json_array_foreach(issued, k, v)
        {
            if (strstr(url, json_string_value(v)) != NULL) {
                hc_evidence(out, tr, i);
                hc_verdict(
                    out, HC_FAILURE,
                    "request (seq %zu, endpoint %.20s) carried an issued "
                    "token in its URL",
                    hc_seq_of(tr, i), tq_endpoint(tq_at(tr, i)));
                json_decref(issued);
                return;
            }
        }
        if (tokev_read(tr, i, &t)) {
            if (t.access && strlen(t.access) >= 8) {
                json_array_append_new(issued, json_string(t.access));
            }
            if (t.refresh && strlen(t.refresh) >= 8) {
                json_array_append_new(issued, json_string(t.refresh));
            }
            tokev_free(&t);
        }
    }
    if (json_array_size(issued) == 0) {
        json_decref(issued);
        hc_missing_fact(in, out, "the authorization server issued no token");
        return;
    }
    json_decref(issued);
    hc_verdict(out, HC_SUCCESS, "no issued token appeared in any URL");
}

/* Is `r` the audience of MCP server `server` reached at `url`: its
 * canonical URI, or the resource its PRM named (a root PRM may name the
 * origin, RFC 9728 §3.3, and the client then asks for that)? */
static bool audience_of(const json_t *tr, const char *server, const char *url,
                        const char *r)
{
    char *canon = ac_url_canonical_resource(url);
    bool ok = canon != NULL && ac_url_same_resource(canon, r);

    free(canon);
    for (size_t i = tq_next(tr, 0, "prm", "GET"); !ok && i != TQ_NONE;
         i = tq_next(tr, i + 1, "prm", "GET")) {
        json_t *doc;
        if (strcmp(tq_server(tq_at(tr, i)), server) != 0 ||
            tq_status(tq_at(tr, i)) != 200) {
            continue;
        }
        doc = tq_resp_json(tq_at(tr, i));
        ok = ac_url_same_resource(ac_json_str(doc, "resource"), r);
        json_decref(doc);
    }
    return ok;
}

void hc_check_token_audience_respected(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *aud = json_object(); /* access token -> resource */
    size_t judged = 0;

    for (size_t i = 0; i < tq_count(tr) && aud != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        struct tokev t;
        char *b, *canon;
        const char *r;
        if (tokev_read(tr, i, &t)) {
            if (t.access != NULL && t.resource != NULL) {
                json_object_set_new(aud, t.access, json_string(t.resource));
            }
            tokev_free(&t);
            continue;
        }
        if (!tq_is(ex, "mcp", NULL) || (b = hc_bearer_of(ex)) == NULL) {
            continue;
        }
        r = json_string_value(json_object_get(aud, b));
        free(b);
        if (r == NULL) {
            continue;
        }
        judged++;
        if (!audience_of(tr, tq_server(ex), tq_url(ex), r)) {
            canon = ac_url_canonical_resource(tq_url(ex));
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "MCP request (seq %zu) to %.120s carried a token issued "
                       "for resource %.120s",
                       hc_seq_of(tr, i), canon ? canon : tq_url(ex), r);
            free(canon);
            json_decref(aud);
            return;
        }
    }
    json_decref(aud);
    if (judged == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no MCP request carried a token whose resource is known");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu MCP request(s) with a known-audience token went to "
               "that resource",
               judged);
}

/* --- access token usage --------------------------------------------- */

/* Does the request's query carry `name`? Falls back to a substring search
 * when the query does not parse (a hostile query must not hide a token). */
static bool query_has(const json_t *ex, const char *name)
{
    struct ac_form q;
    bool has;

    if (tq_query_form(ex, &q, NULL)) {
        has = ac_form_get(&q, name) != NULL;
    } else {
        const char *url = ac_json_str(ex, "url");
        const char *raw = ac_json_str(ex, "query");
        has = (url != NULL && strstr(url, name) != NULL) ||
              (raw != NULL && strstr(raw, name) != NULL);
    }
    ac_form_free(&q);
    return has;
}

/* Judge one MCP request made after a token was issued; false with `out`
 * set on a violation. */
static bool bearer_ok(const json_t *tr, size_t i, const json_t *issued,
                      struct hc_result *out)
{
    const char *auth = tq_req_header(tq_at(tr, i), "Authorization");
    size_t len = 0;
    const char *tok = tq_bearer_token(auth, &len);
    char *copy, *tag;
    bool known;

    /* RFC 9449 §7.1: a DPoP-bound token travels with the DPoP scheme;
     * dpop-scheme judges when that is right. */
    if (tok == NULL && auth != NULL && strncasecmp(auth, "DPoP ", 5) == 0) {
        tok = auth + 5;
        len = strlen(tok);
    }
    if (auth == NULL) {
        hc_verdict(
            out, HC_FAILURE,
            "MCP request (seq %zu) after the token was issued carried no "
            "Authorization header",
            hc_seq_of(tr, i));
        return false;
    }
    if (tok == NULL) {
        hc_verdict(out, HC_FAILURE,
                   "MCP request (seq %zu): Authorization is not \"Bearer "
                   "<token>\"",
                   hc_seq_of(tr, i));
        return false;
    }
    copy = strndup(tok, len);
    known = copy != NULL && ac_json_array_has_str(issued, copy);
    if (!known) {
        tag = ac_redact_value(copy != NULL ? copy : "");
        hc_verdict(out, HC_FAILURE,
                   "MCP request (seq %zu) sent a bearer token %s the "
                   "authorization server had not issued",
                   hc_seq_of(tr, i), tag != NULL ? tag : "");
        free(tag);
    }
    free(copy);
    return known;
}

/* May the MCP request at `idx` be judged for its bearer token? The first
 * MCP server of the transcript: once any token was issued. Another one
 * (scenario mcp_servers_extra): only once a token was issued after the
 * client first turned to it; before that it has no token for it, and
 * its unauthenticated first request is the right one. */
static bool token_for_server(const json_t *tr, size_t idx, size_t nissued)
{
    const char *server = tq_server(tq_at(tr, idx));
    size_t first = TQ_NONE, firstany = TQ_NONE;

    /* `idx` itself is an MCP request: both are found. */
    for (size_t i = 0; i <= idx && first == TQ_NONE; i++) {
        const json_t *ex = tq_at(tr, i);
        if (!tq_is(ex, "mcp", NULL) && !tq_is(ex, "prm", NULL)) {
            continue;
        }
        if (firstany == TQ_NONE) {
            firstany = i;
        }
        if (strcmp(tq_server(ex), server) == 0) {
            first = i;
        }
    }
    if (first == firstany) {
        return nissued > 0;
    }
    for (size_t i = tq_next(tr, first, "token", "POST");
         i != TQ_NONE && i < idx; i = tq_next(tr, i + 1, "token", "POST")) {
        if (tq_status(tq_at(tr, i)) == 200) {
            return true;
        }
    }
    return false;
}

void hc_check_bearer_header_used(const struct hc_input *in,
                                 struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *issued = json_array();
    size_t used = 0;

    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        if (query_has(tq_at(tr, i), "access_token")) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "request (seq %zu, endpoint %.20s) carried access_token "
                       "in its query string",
                       hc_seq_of(tr, i), tq_endpoint(tq_at(tr, i)));
            goto out;
        }
    }
    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        if (tq_is(ex, "token", "POST")) {
            hc_collect_token(ex, issued);
        } else if (tq_is(ex, "mcp", NULL) && json_array_size(issued) > 0 &&
                   token_for_server(tr, i, json_array_size(issued))) {
            used++;
            hc_evidence(out, tr, i);
            if (!bearer_ok(tr, i, issued, out)) {
                goto out;
            }
        }
    }
    if (json_array_size(issued) == 0) {
        hc_missing_fact(in, out,
                        "the authorization server issued no access "
                        "token, so bearer use cannot be judged");
    } else if (used == 0) {
        hc_missing_fact(in, out,
                        "no MCP request followed the issuance of the "
                        "access token");
    } else {
        hc_verdict(
            out, HC_SUCCESS,
            "all %zu MCP request(s) after issuance carried "
            "\"Authorization: Bearer\" with an issued token; no token in "
            "any query",
            used);
    }
out:
    json_decref(issued);
}
