/* Scope selection checks (MCP "Scope Selection Strategy", SEP-835 and
 * SEP-2207): the scope of the first authorization request (from the
 * challenge, else the PRM's scopes_supported, else none), step-up on
 * insufficient_scope with the union of scopes, a bound on retries, and
 * offline_access only where the authorization server lists it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/scope.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

/* The first 401 with a Bearer challenge from the MCP server. */
static size_t first_401(const json_t *tr)
{
    for (size_t i = tq_next(tr, 0, "mcp", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", NULL)) {
        if (tq_status(tq_at(tr, i)) == 401 &&
            tq_has_bearer_challenge(tq_at(tr, i))) {
            return i;
        }
    }
    return TQ_NONE;
}

/* The scope parameter of the authorization request at `i` (new string or
 * NULL); *ok false when the query does not parse. */
static char *authz_scope(const json_t *tr, size_t i)
{
    struct ac_form q;
    char *s = NULL;

    if (tq_query_form(tq_at(tr, i), &q, NULL) && ac_form_get(&q, "scope")) {
        s = strdup(ac_form_get(&q, "scope"));
    }
    ac_form_free(&q);
    return s;
}

/* The scope of the first authorization request after index `from`, with
 * its index in *at. False (verdict set) when there is none. */
static bool first_authz_scope(const struct hc_input *in, struct hc_result *out,
                              size_t from, char **scope, size_t *at)
{
    const json_t *tr = in->transcript;

    *at = tq_next(tr, from, "authorize", NULL);
    if (*at == TQ_NONE) {
        hc_missing(in, out, "authorization request");
        return false;
    }
    hc_evidence(out, tr, *at);
    *scope = authz_scope(tr, *at);
    return true;
}

/* Is every scope of `got` other than offline_access in `want`? */
static bool covers_but_offline(const char *want, const char *got)
{
    const char *cur = got, *t;
    size_t n;

    while (ac_scope_next(&cur, &t, &n)) {
        if (!ac_scope_has_n("offline_access", t, n) &&
            !ac_scope_has_n(want, t, n)) {
            return false;
        }
    }
    return true;
}

void hc_check_scope_from_challenge(const struct hc_input *in,
                                   struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t c = first_401(tr), a;
    char *want =
        c != TQ_NONE ? tq_challenge_param(tq_at(tr, c), "scope") : NULL;
    char *got = NULL;

    if (want == NULL || want[0] == '\0') {
        hc_verdict(out, HC_SKIPPED, "the first challenge carried no scope");
        free(want);
        return;
    }
    hc_evidence(out, tr, c);
    if (first_authz_scope(in, out, c, &got, &a)) {
        /* The challenge's scope, no more (least privilege); SEP-2207 lets
         * a client add offline_access. */
        if (ac_scope_subset(want, got) && covers_but_offline(want, got)) {
            hc_verdict(out, HC_SUCCESS,
                       "the authorization request (seq %zu) asked for the "
                       "challenge's scope \"%.100s\"",
                       hc_seq_of(tr, a), want);
        } else {
            hc_verdict(out, HC_FAILURE,
                       "the authorization request (seq %zu) asked for scope "
                       "\"%.100s\", not the challenge's \"%.100s\"",
                       hc_seq_of(tr, a), got != NULL ? got : "(none)", want);
        }
    }
    free(want);
    free(got);
}

/* The first challenge has no scope; returns the PRM's scopes_supported as
 * a space-separated new string ("" when absent), or NULL with `out` set:
 * SKIPPED when a challenge scope exists, FAILURE naming the harness error
 * when the list could not be joined (out of memory, past the buffer cap). */
static char *prm_scopes_when_no_challenge(const struct hc_input *in,
                                          struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t c = first_401(tr);
    char *cs = c != TQ_NONE ? tq_challenge_param(tq_at(tr, c), "scope") : NULL;
    json_t *prm = NULL;
    char *joined = NULL;

    if (cs != NULL && cs[0] != '\0') {
        hc_verdict(out, HC_SKIPPED, "the challenge carried a scope");
        goto out;
    }
    prm = hc_prm_doc(tr);
    joined = ac_scope_join_array(json_object_get(prm, "scopes_supported"));
    if (joined == NULL) {
        hc_verdict(out, HC_FAILURE, "harness error: out of memory");
    }
out:
    free(cs);
    json_decref(prm);
    return joined;
}

void hc_check_scope_from_scopes_supported(const struct hc_input *in,
                                          struct hc_result *out)
{
    char *want = prm_scopes_when_no_challenge(in, out);
    char *got = NULL;
    size_t a;

    if (want == NULL) {
        return;
    }
    if (want[0] == '\0') {
        hc_verdict(out, HC_SKIPPED, "the PRM lists no scopes_supported");
    } else if (first_authz_scope(in, out, 0, &got, &a)) {
        if (ac_scope_subset(want, got)) {
            hc_verdict(out, HC_SUCCESS,
                       "the authorization request (seq %zu) asked for all of "
                       "scopes_supported",
                       hc_seq_of(in->transcript, a));
        } else {
            hc_verdict(out, HC_FAILURE,
                       "the authorization request (seq %zu) asked for "
                       "\"%.100s\", not all of scopes_supported \"%.100s\"",
                       hc_seq_of(in->transcript, a), got ? got : "(none)",
                       want);
        }
    }
    free(want);
    free(got);
}

void hc_check_scope_omitted_when_undefined(const struct hc_input *in,
                                           struct hc_result *out)
{
    char *prm = prm_scopes_when_no_challenge(in, out);
    char *got = NULL;
    size_t a;

    if (prm == NULL) {
        return;
    }
    if (prm[0] != '\0') {
        hc_verdict(out, HC_SKIPPED, "the PRM lists scopes_supported");
    } else if (first_authz_scope(in, out, 0, &got, &a)) {
        /* SEP-2207 lets a client add offline_access on its own. */
        bool only_offline = got != NULL && strcmp(got, "offline_access") == 0;
        if (got == NULL || got[0] == '\0' || only_offline) {
            hc_verdict(out, HC_SUCCESS,
                       "the authorization request (seq %zu) omitted scope",
                       hc_seq_of(in->transcript, a));
        } else {
            hc_verdict(out, HC_FAILURE,
                       "the authorization request (seq %zu) asked for scope "
                       "\"%.100s\" although none was defined",
                       hc_seq_of(in->transcript, a), got);
        }
    }
    free(prm);
    free(got);
}

/* Is the response a 403 insufficient_scope challenge? Its scope (new
 * string) in *scope. */
static bool insufficient_scope(const json_t *ex, char **scope)
{
    char *err;
    bool is;

    *scope = NULL;
    if (!tq_is(ex, "mcp", NULL) || tq_status(ex) != 403) {
        return false;
    }
    err = tq_challenge_param(ex, "error");
    is = err != NULL && strcmp(err, "insufficient_scope") == 0;
    free(err);
    if (is) {
        *scope = tq_challenge_param(ex, "scope");
    }
    return is;
}

void hc_check_scope_step_up_escalation(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = 0; i < tq_count(tr); i++) {
        char *need = NULL, *prev = NULL, *got = NULL;
        size_t a, p = TQ_NONE;
        bool ok = true;
        if (!insufficient_scope(tq_at(tr, i), &need)) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        for (size_t k = tq_next(tr, 0, "authorize", NULL);
             k != TQ_NONE && k < i; k = tq_next(tr, k + 1, "authorize", NULL)) {
            p = k;
        }
        prev = p != TQ_NONE ? authz_scope(tr, p) : NULL;
        a = tq_next(tr, i + 1, "authorize", NULL);
        if (a == TQ_NONE) {
            free(need);
            free(prev);
            hc_required_fact(in, out,
                             "the client did not authorize again after the "
                             "insufficient_scope challenge");
            return;
        }
        hc_evidence(out, tr, a);
        got = authz_scope(tr, a);
        ok = ac_scope_subset(need, got) && ac_scope_subset(prev, got);
        if (!ok) {
            hc_verdict(out, HC_FAILURE,
                       "step-up authorization request (seq %zu) asked for "
                       "\"%.100s\"; the union of the earlier \"%.80s\" and the "
                       "challenge's \"%.80s\" was needed",
                       hc_seq_of(tr, a), got ? got : "(none)", prev ? prev : "",
                       need ? need : "");
        }
        free(need);
        free(prev);
        free(got);
        if (!ok) {
            return;
        }
        i = a;
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "no insufficient_scope challenge was sent");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after each of %zu insufficient_scope challenge(s) the client "
               "asked for the union of its scopes and the challenge's",
               n);
}

/* One initial authorization and at most three step-ups per run. */
#define MAX_AUTHZ_PER_RUN 4

/* Was some MCP request answered 403 with error="insufficient_scope"? */
static bool insufficient_scope_seen(const json_t *tr)
{
    for (size_t i = tq_next(tr, 0, "mcp", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", NULL)) {
        char *e = tq_status(tq_at(tr, i)) == 403
                      ? tq_challenge_param(tq_at(tr, i), "error")
                      : NULL;
        bool hit = e != NULL && strcmp(e, "insufficient_scope") == 0;
        free(e);
        if (hit) {
            return true;
        }
    }
    return false;
}

/* The JSON-RPC method of an MCP request: a new string, or NULL. */
static char *rpc_method_of(const json_t *ex)
{
    json_t *msg = tq_req_json(ex);
    const char *m = ac_json_str(msg, "method");
    char *out = m != NULL ? strdup(m) : NULL;

    json_decref(msg);
    return out;
}

/* Was the client still answering insufficient_scope with authorizations
 * when the harness killed it? A run timed out, the client had stepped up
 * at least once, and the request refused last (at *last) never got a
 * 2xx afterwards. A client that loops without a limit but slowly (a
 * browser round trip per try) may be killed before it exceeds the count:
 * it has shown no limit, and that is the finding. */
static bool killed_while_stepping_up(const struct hc_input *in, size_t *last)
{
    const json_t *tr = in->transcript;
    bool timed_out = false, stepped = false;
    size_t first = TQ_NONE;
    char *method = NULL, *scope = NULL;

    *last = TQ_NONE;
    for (size_t k = 0; k < in->nruns; k++) {
        timed_out = timed_out || in->runs[k].timed_out;
    }
    for (size_t i = 0; timed_out && i < tq_count(tr); i++) {
        if (insufficient_scope(tq_at(tr, i), &scope)) {
            first = first == TQ_NONE ? i : first;
            *last = i;
        } else if (first != TQ_NONE && tq_is(tq_at(tr, i), "authorize", NULL)) {
            stepped = true;
        }
        free(scope);
        scope = NULL;
    }
    if (!stepped || *last == TQ_NONE) {
        return false;
    }
    method = rpc_method_of(tq_at(tr, *last));
    for (size_t i = *last + 1; i < tq_count(tr) && method != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        char *m = tq_is(ex, "mcp", NULL) && tq_status(ex) / 100 == 2
                      ? rpc_method_of(ex)
                      : NULL;
        bool done = m != NULL && strcmp(m, method) == 0;
        free(m);
        if (done) {
            free(method);
            return false; /* the step-up worked; the hang is elsewhere */
        }
    }
    free(method);
    return true;
}

void hc_check_scope_retry_limit(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t runs = in->nruns > 0 ? in->nruns : 1;
    size_t n = hc_count(tr, "authorize", NULL), last;

    if (n == 0) {
        hc_missing(in, out, "authorization request");
        return;
    }
    if (!insufficient_scope_seen(tr)) {
        /* Nothing to retry: the limit was not exercised. */
        hc_missing_fact(in, out,
                        "no MCP request was answered 403 insufficient_scope");
        return;
    }
    if (n > MAX_AUTHZ_PER_RUN * runs) {
        hc_verdict(out, HC_FAILURE,
                   "%zu authorization requests in %zu run(s): the client keeps "
                   "retrying (limit %d per run)",
                   n, runs, MAX_AUTHZ_PER_RUN);
        return;
    }
    if (killed_while_stepping_up(in, &last)) {
        hc_evidence(out, tr, last);
        hc_verdict(out, HC_FAILURE,
                   "the client was still stepping up when the harness killed "
                   "it (%zu authorization requests; insufficient_scope at seq "
                   "%zu never followed by a success): it keeps retrying, no "
                   "retry limit shown",
                   n, hc_seq_of(tr, last));
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu authorization request(s) in %zu run(s), within the retry "
               "limit of %d per run",
               n, runs, MAX_AUTHZ_PER_RUN);
}

/* Does the authorization server that got request `i` list offline_access? */
static bool as_lists_offline(const json_t *tr, size_t i)
{
    json_t *md = hc_as_metadata(tr, tq_server(tq_at(tr, i)), i);
    bool has = ac_json_array_has_str(json_object_get(md, "scopes_supported"),
                                     "offline_access");
    json_decref(md);
    return has;
}

void hc_check_offline_access_not_requested(const struct hc_input *in,
                                           struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        char *s = authz_scope(tr, i);
        bool bad =
            ac_scope_has(s, "offline_access") && !as_lists_offline(tr, i);
        free(s);
        n++;
        hc_evidence(out, tr, i);
        if (bad) {
            hc_verdict(out, HC_FAILURE,
                       "authorization request (seq %zu) asked for "
                       "offline_access, which the server does not list in "
                       "scopes_supported",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "authorization request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "offline_access was requested only where the server lists it");
}

void hc_check_offline_access_requested(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        char *s;
        bool has;
        if (!as_lists_offline(tr, i)) {
            continue;
        }
        s = authz_scope(tr, i);
        has = ac_scope_has(s, "offline_access");
        free(s);
        n++;
        hc_evidence(out, tr, i);
        if (!has) {
            hc_verdict(out, HC_FAILURE,
                       "authorization request (seq %zu) did not ask for "
                       "offline_access, which the server lists",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization server lists offline_access");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "the client asked for offline_access where the server lists it");
}
