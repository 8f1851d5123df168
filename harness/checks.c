/* Evaluating checks (see checks.h; the registry is registry.c) and the
 * core flow checks.
 *
 * Every check is a pure function of (scenario, transcript, runs): it reads
 * exchanges through transcript_query.h and writes a verdict, a one-line
 * message saying what was seen, and the `seq` numbers of the exchanges
 * that back it. Secrets (codes, verifiers, tokens, state) are never quoted;
 * where a message must name one, it uses ac_redact_value's short hash.
 *
 * Rules shared by the flow checks (documented in docs/CHECKS.md):
 *  - a check about the authorization request, token request or MCP use
 *    applies to every such request in the transcript, not only the first;
 *  - when the request it needs is missing, the check is SKIPPED with what
 *    was missing as the reason: a baseline check (run in every scenario)
 *    has nothing to judge, and a key check (the scenario's point under
 *    test) is turned into FAILURE by hc_require_exercised, "the point
 *    under test was not exercised". */
#include "harness/checks.h"

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/redact.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

/* --- result helpers -------------------------------------------------- */

void hc_verdict(struct hc_result *out, enum hc_status st, const char *fmt, ...)
{
    va_list ap;

    out->status = st;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
}

/* Record an exchange as evidence; duplicates and overflow are dropped. */
void hc_evidence(struct hc_result *out, const json_t *tr, size_t idx)
{
    size_t seq = tq_seq(tq_at(tr, idx), idx);

    for (size_t i = 0; i < out->nevidence; i++) {
        if (out->evidence[i] == seq) {
            return;
        }
    }
    if (out->nevidence < sizeof out->evidence / sizeof out->evidence[0]) {
        out->evidence[out->nevidence++] = seq;
    }
}

size_t hc_seq_of(const json_t *tr, size_t idx)
{
    return tq_seq(tq_at(tr, idx), idx);
}

/* --- scenario helpers ------------------------------------------------ */

const json_t *hc_scenario_client(const struct hc_input *in)
{
    return json_object_get(in->scenario, "client");
}

/* client.expect: "success" (default), "refuse" or "refuse-or-wait"; both
 * of the latter expect a refusal. */
bool hc_expects_refusal(const struct hc_input *in)
{
    const char *e = ac_json_str(hc_scenario_client(in), "expect");
    return e != NULL && strncmp(e, "refuse", 6) == 0;
}

/* Something the check needs never happened (see the file comment);
 * `fact` says what, as a sentence without a final period. */
void hc_missing_fact(const struct hc_input *in, struct hc_result *out,
                     const char *fact)
{
    hc_verdict(out, HC_SKIPPED, "%s%s", fact,
               hc_expects_refusal(in)
                   ? "; the scenario expects the client to refuse"
                   : "");
}

void hc_required_fact(const struct hc_input *in, struct hc_result *out,
                      const char *fact)
{
    if (hc_expects_refusal(in)) {
        hc_verdict(out, HC_SKIPPED,
                   "%s; the scenario expects the client to refuse", fact);
    } else {
        hc_verdict(out, HC_FAILURE, "%s", fact);
    }
}

/* A request the check needs was never made. */
void hc_missing(const struct hc_input *in, struct hc_result *out,
                const char *what)
{
    char fact[200];

    snprintf(fact, sizeof fact, "no %.150s was made", what);
    hc_missing_fact(in, out, fact);
}

/* Report a malformed query or body as the finding it is. */
void hc_malformed(struct hc_result *out, const char *what, size_t seq,
                  const struct ac_err *e)
{
    hc_verdict(out, HC_FAILURE, "%s (seq %zu) could not be parsed: %s", what,
               seq, e->msg);
}

/* --- discovery and registration ------------------------------------- */

/* Shared shape of "the client fetched X": a GET to one of `endpoints`
 * answered 200. */
static void fetched(const struct hc_input *in, struct hc_result *out,
                    const char *const *endpoints, const char *what)
{
    const json_t *tr = in->transcript;
    size_t tries = 0, last = TQ_NONE;

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        bool match = false;
        for (const char *const *e = endpoints; *e != NULL; e++) {
            match = match || tq_is(ex, *e, "GET");
        }
        if (!match) {
            continue;
        }
        tries++;
        last = i;
        hc_evidence(out, tr, i);
        if (tq_status(ex) == 200) {
            hc_verdict(out, HC_SUCCESS,
                       "%s fetched with GET, answered 200 (seq %zu)", what,
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (tries == 0) {
        hc_verdict(out, HC_FAILURE, "the client never requested the %s", what);
        return;
    }
    hc_verdict(out, HC_FAILURE,
               "%zu GET request(s) for the %s, none answered 200 (last: %d at "
               "seq %zu)",
               tries, what, tq_status(tq_at(tr, last)), hc_seq_of(tr, last));
}

void hc_check_prm_fetched(const struct hc_input *in, struct hc_result *out)
{
    static const char *const eps[] = {"prm", NULL};
    fetched(in, out, eps, "Protected Resource Metadata");
}

/* Does some authorization server of the scenario publish metadata? */
static bool scenario_has_metadata(const struct hc_input *in)
{
    const json_t *ases = json_object_get(in->scenario, "authorization_servers");
    size_t i;
    const json_t *as;

    json_array_foreach(ases, i, as)
    {
        const json_t *d = json_object_get(as, "discovery");
        if (d == NULL || json_array_size(d) > 0) {
            return true;
        }
    }
    return false;
}

/* A baseline check: every client that talks to an authorization server
 * must have read its metadata first (RFC 8414), except where no server
 * publishes any (the 2025-03-26 default endpoints). */
void hc_check_as_metadata_fetched(const struct hc_input *in,
                                  struct hc_result *out)
{
    static const char *const eps[] = {"metadata", "oidc", NULL};
    static const char *const flow[] = {"authorize", "token", "register",
                                       "metadata",  "oidc",  NULL};
    bool talked = false;

    if (!scenario_has_metadata(in)) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization server of the scenario publishes "
                   "metadata");
        return;
    }
    for (size_t i = 0; i < tq_count(in->transcript) && !talked; i++) {
        for (const char *const *e = flow; *e != NULL && !talked; e++) {
            talked = tq_is(tq_at(in->transcript, i), *e, NULL);
        }
    }
    if (!talked) {
        hc_missing_fact(in, out,
                        "the client made no request to an authorization "
                        "server");
        return;
    }
    fetched(in, out, eps, "authorization server metadata");
}

/* Does any authorization server of the scenario offer registration `how`? */
bool hc_scenario_offers(const struct hc_input *in, const char *how)
{
    const json_t *ases = json_object_get(in->scenario, "authorization_servers");
    size_t i;
    const json_t *as;

    json_array_foreach(ases, i, as)
    {
        if (ac_json_array_has_str(json_object_get(as, "registration"), how)) {
            return true;
        }
    }
    return false;
}

void hc_check_client_registered(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t tries = 0, last = TQ_NONE;

    if (!hc_scenario_offers(in, "dcr")) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization server in this scenario offers dynamic "
                   "client registration");
        return;
    }
    for (size_t i = tq_next(tr, 0, "register", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "register", "POST")) {
        tries++;
        last = i;
        hc_evidence(out, tr, i);
        if (tq_status(tq_at(tr, i)) == 201) {
            hc_verdict(out, HC_SUCCESS,
                       "client registered: POST to the registration endpoint "
                       "answered 201 (seq %zu)",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (tries == 0) {
        hc_missing(in, out, "registration request (POST to register)");
        return;
    }
    hc_verdict(
        out, HC_FAILURE,
        "%zu registration request(s), none answered 201 (last: %d at seq "
        "%zu)",
        tries, tq_status(tq_at(tr, last)), hc_seq_of(tr, last));
}

/* --- authorization request checks ----------------------------------- */

/* A predicate over one authorization request's query: returns true when
 * the request meets the requirement, else writes why into `why`. */
typedef bool (*authz_pred_fn)(const struct hc_input *in,
                              const struct ac_form *q, char *why, size_t n);

/* Apply `pred` to every authorization request; the first violation fails
 * the check. `what` completes "all N authorization request(s) ...". */
static void every_authz(const struct hc_input *in, struct hc_result *out,
                        authz_pred_fn pred, const char *what)
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
        ok = pred(in, &q, why, sizeof why);
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

static bool has_challenge(const struct hc_input *in, const struct ac_form *q,
                          char *why, size_t n)
{
    (void)in;
    if (ac_form_get(q, "code_challenge") == NULL) {
        snprintf(why, n, "no code_challenge parameter");
        return false;
    }
    return true;
}

void hc_check_code_challenge_sent(const struct hc_input *in,
                                  struct hc_result *out)
{
    every_authz(in, out, has_challenge, "carried code_challenge");
}

static bool uses_s256(const struct hc_input *in, const struct ac_form *q,
                      char *why, size_t n)
{
    const char *m = ac_form_get(q, "code_challenge_method");

    (void)in;
    if (m == NULL) {
        /* RFC 7636 §4.3: an absent method means "plain". */
        snprintf(why, n,
                 "code_challenge_method was absent (which means \"plain\")");
        return false;
    }
    if (strcmp(m, "S256") != 0) {
        snprintf(why, n, "code_challenge_method was \"%.40s\"", m);
        return false;
    }
    return true;
}

void hc_check_s256_method_used(const struct hc_input *in, struct hc_result *out)
{
    every_authz(in, out, uses_s256, "used code_challenge_method=S256");
}

/* state: present, at least STATE_MIN_CHARS long, not reused. The length
 * rule is a proxy for entropy we cannot measure: 16 random bytes (128
 * bits, RFC 6749 §10.10 asks for a guess probability <= 2^-128 for
 * credentials, and state binds the browser session) are 22 base64url
 * characters. A hex-encoded 16 bytes (32 chars) passes too. */
#define STATE_MIN_CHARS 22

static bool state_ok(const struct hc_input *in, const struct ac_form *q,
                     char *why, size_t n)
{
    const char *s = ac_form_get(q, "state");

    (void)in;
    if (s == NULL || s[0] == '\0') {
        snprintf(why, n, "no state parameter");
        return false;
    }
    if (strlen(s) < STATE_MIN_CHARS) {
        snprintf(why, n,
                 "state is %zu characters, fewer than %d (128 bits as "
                 "base64url)",
                 strlen(s), STATE_MIN_CHARS);
        return false;
    }
    return true;
}

/* The authorization response (a redirect) must carry the same state. */
static bool state_echoed(const json_t *ex, const char *sent, char *why,
                         size_t n)
{
    struct ac_form loc;
    struct ac_err e = {0};
    const char *got;
    bool ok = false;
    int st = tq_status(ex);

    if (st < 300 || st > 399 || tq_resp_header(ex, "Location") == NULL) {
        /* No redirect (an error page, a dropped connection): nothing was
         * echoed, and nothing was returned to the client either. */
        return true;
    }
    if (!tq_location_form(ex, &loc, &e)) {
        snprintf(why, n, "the redirect's query could not be parsed: %.150s",
                 e.msg);
        goto out;
    }
    got = ac_form_get(&loc, "state");
    if (got == NULL || strcmp(got, sent) != 0) {
        snprintf(why, n, "the authorization response %s state",
                 got == NULL ? "did not echo" : "changed");
        goto out;
    }
    ok = true;
out:
    ac_form_free(&loc);
    return ok;
}

/* Does a rule of the scenario replace the authorization response's state
 * on purpose (authorization/forged-state)? Then the echo is the mock's
 * doing, not something to hold against the client; what the client does
 * with the forged state is state-mismatch-rejected's point. */
static bool forges_state(const struct hc_input *in)
{
    const json_t *rule;
    size_t i;

    json_array_foreach(json_object_get(in->scenario, "rules"), i, rule)
    {
        const json_t *loc = json_object_get(
            json_object_get(json_object_get(rule, "do"), "patch"), "location");
        if (json_object_get(loc, "state") != NULL) {
            return true;
        }
    }
    return false;
}

/* Is the authorization request at `i` byte-identical to an earlier one? */
static bool same_request_again(const json_t *tr, size_t i)
{
    const char *url = ac_json_str(tq_at(tr, i), "url");

    for (size_t k = tq_next(tr, 0, "authorize", NULL); k != TQ_NONE && k < i;
         k = tq_next(tr, k + 1, "authorize", NULL)) {
        const char *u = ac_json_str(tq_at(tr, k), "url");
        if (url != NULL && u != NULL && strcmp(u, url) == 0) {
            return true;
        }
    }
    return false;
}

void hc_check_state_roundtrip(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *seen = json_array();
    char why[400];

    every_authz(in, out, state_ok, "carried a state of at least 22 characters");
    if (out->status != HC_SUCCESS || seen == NULL) {
        goto out;
    }
    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form q;
        const char *s;

        if (!tq_query_form(tq_at(tr, i), &q, NULL)) {
            ac_form_free(&q);
            continue; /* cannot happen: every_authz parsed it */
        }
        s = ac_form_get(&q, "state");
        why[0] = '\0';
        if (same_request_again(tr, i)) {
            /* The same request delivered twice (a user agent retry): one
             * authorization request, not a reuse of its state. */
        } else if (ac_json_array_has_str(seen, s)) {
            snprintf(why, sizeof why, "state reused from an earlier request");
        } else {
            json_array_append_new(seen, json_string(s));
            if (!forges_state(in)) {
                state_echoed(tq_at(tr, i), s, why, sizeof why);
            }
        }
        ac_form_free(&q);
        if (why[0] != '\0') {
            hc_verdict(out, HC_FAILURE, "authorization request (seq %zu): %s",
                       hc_seq_of(tr, i), why);
            goto out;
        }
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu authorization request(s) carried a fresh state of at "
               "least %d characters, echoed by the authorization server",
               json_array_size(seen), STATE_MIN_CHARS);
out:
    json_decref(seen);
}

/* --- resource indicators (RFC 8707) ---------------------------------- */

/* The MCP server (transcript `server`) of the last exchange before `idx`
 * at an MCP server (endpoint "mcp" or "prm"): the one the client was
 * working for. NULL when there is none. Borrowed from `tr`. */
static const char *mcp_server_before(const json_t *tr, size_t idx)
{
    for (size_t i = idx < tq_count(tr) ? idx : tq_count(tr); i-- > 0;) {
        const json_t *ex = tq_at(tr, i);
        if (tq_is(ex, "mcp", NULL) || tq_is(ex, "prm", NULL)) {
            return tq_server(ex);
        }
    }
    return NULL;
}

/* The canonical MCP server URI the client should send to MCP server
 * `server` (NULL: any): the `resource` of the Protected Resource Metadata
 * it received (RFC 9728 §3.3 requires it to be identical to the URL the
 * client used), else the canonical form of the MCP URL the client
 * requested. A new string, or NULL when neither exists; *from says
 * which. */
static char *expected_resource_of(const json_t *tr, const char *server,
                                  const char **from)
{
    char *res = NULL;

    for (size_t i = tq_next(tr, 0, "prm", NULL); i != TQ_NONE && res == NULL;
         i = tq_next(tr, i + 1, "prm", NULL)) {
        json_t *doc = NULL;
        const char *r;
        if (server != NULL && strcmp(tq_server(tq_at(tr, i)), server) != 0) {
            continue;
        }
        doc =
            tq_status(tq_at(tr, i)) == 200 ? tq_resp_json(tq_at(tr, i)) : NULL;
        r = ac_json_str(doc, "resource");
        if (r != NULL) {
            res = strdup(r);
            *from = "the PRM's resource";
        }
        json_decref(doc);
    }
    for (size_t m = tq_next(tr, 0, "mcp", NULL); m != TQ_NONE && res == NULL;
         m = tq_next(tr, m + 1, "mcp", NULL)) {
        const char *url = ac_json_str(tq_at(tr, m), "url");
        if (server != NULL && strcmp(tq_server(tq_at(tr, m)), server) != 0) {
            continue;
        }
        if (url != NULL) {
            res = ac_url_canonical_resource(url);
            *from = "the canonical MCP server URI";
        }
        break;
    }
    return res;
}

/* The expected resource for a request at `idx`: in a world with several
 * MCP servers (scenario mcp_servers_extra) that of the one the client last
 * talked to before it. */
static char *expected_resource_at(const json_t *tr, size_t idx,
                                  const char **from)
{
    return expected_resource_of(tr, mcp_server_before(tr, idx), from);
}

static bool resource_matches(const char *sent, const char *expected,
                             const char *from, char *why, size_t n)
{
    if (sent == NULL) {
        snprintf(why, n, "no resource parameter");
        return false;
    }
    if (expected != NULL && !ac_url_same_resource(sent, expected)) {
        snprintf(why, n, "resource was \"%.100s\", expected \"%.100s\" (%.40s)",
                 sent, expected, from);
        return false;
    }
    return true;
}

/* Resource indicators are an MCP requirement from 2025-06-18 on; a
 * 2025-03-26 world (every authorization server with resource_required
 * false) does not ask for them. True (and `out` SKIPPED) there. */
static bool resource_not_required(const struct hc_input *in,
                                  struct hc_result *out)
{
    const json_t *ases = json_object_get(in->scenario, "authorization_servers");
    const json_t *as;
    size_t i;

    json_array_foreach(ases, i, as)
    {
        if (!json_is_false(json_object_get(as, "resource_required"))) {
            return false;
        }
    }
    if (json_array_size(ases) == 0) {
        return false;
    }
    hc_verdict(out, HC_SKIPPED,
               "the resource parameter is not required in this world "
               "(2025-03-26: RFC 8707 joined MCP in 2025-06-18)");
    return true;
}

void hc_check_resource_in_authorization(const struct hc_input *in,
                                        struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;
    char why[400];

    if (resource_not_required(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form q;
        struct ac_err e = {0};
        const char *from = "";
        char *exp;
        bool ok;

        n++;
        hc_evidence(out, tr, i);
        if (!tq_query_form(tq_at(tr, i), &q, &e)) {
            ac_form_free(&q);
            hc_malformed(out, "the authorization request", hc_seq_of(tr, i),
                         &e);
            return;
        }
        exp = expected_resource_at(tr, i, &from);
        ok = resource_matches(ac_form_get(&q, "resource"), exp, from, why,
                              sizeof why);
        free(exp);
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
    hc_verdict(out, HC_SUCCESS,
               "all %zu authorization request(s) carried resource equal to "
               "the canonical MCP server URI",
               n);
}

/* Every token request (any grant: RFC 8707 §2.2 covers refresh too, and the
 * MCP spec says "both authorization requests and token requests"). */
void hc_check_resource_in_token(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *from = "";
    char *exp = NULL;
    size_t n = 0;
    char why[400];

    if (resource_not_required(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        struct ac_err e = {0};
        bool ok;

        n++;
        free(exp);
        exp = expected_resource_at(tr, i, &from);
        hc_evidence(out, tr, i);
        if (!tq_body_form(tq_at(tr, i), &f, &e)) {
            ac_form_free(&f);
            hc_malformed(out, "the token request body", hc_seq_of(tr, i), &e);
            goto out;
        }
        ok = resource_matches(ac_form_get(&f, "resource"), exp, from, why,
                              sizeof why);
        if (!ok) {
            const char *g = ac_form_get(&f, "grant_type");
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu, grant_type "
                       "%.40s): %s",
                       hc_seq_of(tr, i), g != NULL ? g : "absent", why);
        }
        ac_form_free(&f);
        if (!ok) {
            goto out;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token request");
    } else {
        hc_verdict(out, HC_SUCCESS,
                   "all %zu token request(s) carried resource equal to the "
                   "canonical MCP server URI",
                   n);
    }
out:
    free(exp);
}

/* --- token requests and PKCE verification ----------------------------- */

/* Visit every authorization_code token request; `fn` returns false (with
 * out set) to stop. Returns the number visited. */
typedef bool (*code_req_fn)(const struct hc_input *in, size_t idx,
                            const struct ac_form *body, struct hc_result *out);

static size_t each_code_request(const struct hc_input *in,
                                struct hc_result *out, code_req_fn fn)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        struct ac_err e = {0};
        const char *g;
        bool go = true;

        if (!tq_body_form(tq_at(tr, i), &f, &e)) {
            ac_form_free(&f);
            hc_evidence(out, tr, i);
            hc_malformed(out, "the token request body", hc_seq_of(tr, i), &e);
            return SIZE_MAX;
        }
        g = ac_form_get(&f, "grant_type");
        if (g != NULL && strcmp(g, "authorization_code") == 0) {
            n++;
            hc_evidence(out, tr, i);
            go = fn(in, i, &f, out);
        }
        ac_form_free(&f);
        if (!go) {
            return SIZE_MAX;
        }
    }
    return n;
}

static bool verifier_present(const struct hc_input *in, size_t idx,
                             const struct ac_form *body, struct hc_result *out)
{
    const char *v = ac_form_get(body, "code_verifier");
    size_t seq = hc_seq_of(in->transcript, idx);

    if (v == NULL) {
        hc_verdict(out, HC_FAILURE,
                   "token request (seq %zu) had no code_verifier", seq);
        return false;
    }
    if (!ac_pkce_verifier_valid(v)) {
        /* RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~]. */
        hc_verdict(
            out, HC_FAILURE,
            "token request (seq %zu): code_verifier is %zu characters or "
            "uses characters outside RFC 7636 §4.1 (43-128 unreserved)",
            seq, strlen(v));
        return false;
    }
    return true;
}

void hc_check_verifier_sent(const struct hc_input *in, struct hc_result *out)
{
    size_t n = each_code_request(in, out, verifier_present);

    if (n == SIZE_MAX) {
        return;
    }
    if (n == 0) {
        hc_missing(in, out, "authorization_code token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu authorization_code token request(s) carried a valid "
               "code_verifier",
               n);
}

/* Does S256(verifier) equal the challenge of the authorization request that
 * issued the redeemed code? (RFC 7636 §4.2, §4.6) */
static bool verifier_matches(const struct hc_input *in, size_t idx,
                             const struct ac_form *body, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *code = ac_form_get(body, "code");
    const char *v = ac_form_get(body, "code_verifier");
    size_t seq = hc_seq_of(tr, idx), a;
    struct ac_form q;
    char *s256 = NULL;
    const char *ch;
    bool ok = false;

    ac_form_init(&q);
    if (code == NULL || v == NULL) {
        hc_verdict(out, HC_FAILURE, "token request (seq %zu) had no %s", seq,
                   code == NULL ? "code" : "code_verifier");
        goto out;
    }
    a = hc_issued_by(tr, code);
    if (a == TQ_NONE) {
        hc_verdict(
            out, HC_FAILURE,
            "token request (seq %zu) redeemed a code that no authorization "
            "response in the transcript issued",
            seq);
        goto out;
    }
    hc_evidence(out, tr, a);
    if (!tq_query_form(tq_at(tr, a), &q, NULL) ||
        (ch = ac_form_get(&q, "code_challenge")) == NULL) {
        hc_verdict(out, HC_FAILURE,
                   "the authorization request (seq %zu) that issued the code "
                   "redeemed at seq %zu carried no code_challenge",
                   hc_seq_of(tr, a), seq);
        goto out;
    }
    s256 = ac_pkce_s256(v, NULL);
    if (s256 == NULL || strcmp(s256, ch) != 0) {
        const char *m = ac_form_get(&q, "code_challenge_method");
        hc_verdict(out, HC_FAILURE,
                   "S256(code_verifier) at seq %zu does not match the "
                   "code_challenge of the authorization request at seq %zu "
                   "(code_challenge_method %.20s)",
                   seq, hc_seq_of(tr, a), m != NULL ? m : "absent");
        goto out;
    }
    ok = true;
out:
    free(s256);
    ac_form_free(&q);
    return ok;
}

void hc_check_verifier_matches(const struct hc_input *in, struct hc_result *out)
{
    size_t n = each_code_request(in, out, verifier_matches);

    if (n == SIZE_MAX) {
        return;
    }
    if (n == 0) {
        hc_missing(in, out, "authorization_code token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "S256(code_verifier) matched the code_challenge of the "
               "authorization request that issued each of %zu redeemed code(s)",
               n);
}

/* --- access token usage ------------------------------------------------ */

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

/* Append the access token of a successful token response to `issued`. */
static void collect_token(const json_t *ex, json_t *issued)
{
    json_t *doc = tq_status(ex) == 200 ? tq_resp_json(ex) : NULL;
    const char *at = ac_json_str(doc, "access_token");

    if (at != NULL) {
        json_array_append_new(issued, json_string(at));
    }
    json_decref(doc);
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
            collect_token(ex, issued);
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

/* --- MCP use ------------------------------------------------------------ */

/* The id of the tools/call for `tool` in a request body, or NULL. The
 * returned id is borrowed from `msgs`. */
static const json_t *tools_call_id(const json_t *msgs, const char *tool)
{
    size_t i;
    const json_t *m;

    json_array_foreach(msgs, i, m)
    {
        const char *method = ac_json_str(m, "method");
        const char *name = ac_json_str(json_object_get(m, "params"), "name");
        if (method != NULL && strcmp(method, "tools/call") == 0 &&
            name != NULL && strcmp(name, tool) == 0 &&
            json_object_get(m, "id") != NULL) {
            return json_object_get(m, "id");
        }
    }
    return NULL;
}

/* Judge one tools/call exchange: true on a JSON-RPC result without
 * isError; else writes why. */
static bool call_ok(const json_t *ex, const json_t *id, char *why, size_t n)
{
    json_t *msgs = tq_jsonrpc_messages(tq_resp_body(ex));
    const json_t *resp = NULL, *m, *res, *err;
    size_t i;
    bool ok = false;

    if (tq_status(ex) != 200) {
        snprintf(why, n, "answered HTTP %d", tq_status(ex));
        goto out;
    }
    json_array_foreach(msgs, i, m)
    {
        if (json_equal(json_object_get(m, "id"), id) &&
            json_object_get(m, "method") == NULL) {
            resp = m;
        }
    }
    res = json_object_get(resp, "result");
    err = json_object_get(resp, "error");
    if (resp == NULL) {
        snprintf(why, n, "no JSON-RPC response with the request's id");
    } else if (err != NULL) {
        snprintf(why, n, "JSON-RPC error %lld",
                 (long long)json_integer_value(json_object_get(err, "code")));
    } else if (!json_is_object(res)) {
        snprintf(why, n, "the JSON-RPC response has no result object");
    } else if (json_is_true(json_object_get(res, "isError"))) {
        snprintf(why, n, "the tool result has isError: true");
    } else {
        ok = true;
    }
out:
    json_decref(msgs);
    return ok;
}

void hc_check_mcp_call_succeeded(const struct hc_input *in,
                                 struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *tool = ac_json_str(hc_scenario_client(in), "tool");
    size_t calls = 0, last = TQ_NONE;
    char why[400] = "";

    if (tool == NULL) {
        hc_verdict(out, HC_SKIPPED, "the scenario names no tool to call");
        return;
    }
    if (hc_expects_refusal(in)) {
        hc_verdict(
            out, HC_SKIPPED,
            "the scenario expects the client to refuse, not to call tools");
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        json_t *msgs = tq_jsonrpc_messages(tq_req_body(tq_at(tr, i)));
        const json_t *id = tools_call_id(msgs, tool);
        bool ok = id != NULL && call_ok(tq_at(tr, i), id, why, sizeof why);
        if (id != NULL) {
            calls++;
            last = i;
            hc_evidence(out, tr, i);
        }
        json_decref(msgs);
        if (ok) {
            hc_verdict(
                out, HC_SUCCESS,
                "tools/call \"%.60s\" answered 200 with a JSON-RPC result "
                "(seq %zu)",
                tool, hc_seq_of(tr, i));
            return;
        }
    }
    if (calls == 0) {
        hc_verdict(out, HC_FAILURE, "the client never called tool \"%.60s\"",
                   tool);
        return;
    }
    hc_verdict(out, HC_FAILURE,
               "%zu tools/call \"%.60s\" request(s), none succeeded (last, seq "
               "%zu: %s)",
               calls, tool, hc_seq_of(tr, last), why);
}

/* Does the MCP request `ex` carry one of the `issued` access tokens in
 * its Authorization: Bearer header? */
static bool carries_issued(const json_t *ex, const json_t *issued)
{
    size_t len = 0;
    const char *tok = tq_bearer_token(tq_req_header(ex, "Authorization"), &len);
    char *copy = tok != NULL ? strndup(tok, len) : NULL;
    bool yes = copy != NULL && ac_json_array_has_str(issued, copy);

    free(copy);
    return yes;
}

/* Was the MCP exchange `ex` answered 200 with a JSON-RPC result for one
 * of the requests (messages with a method and an id) of its body? Else
 * writes why. */
static bool request_answered(const json_t *ex, char *why, size_t n)
{
    json_t *req = tq_jsonrpc_messages(tq_req_body(ex));
    json_t *resp = tq_jsonrpc_messages(tq_resp_body(ex));
    const json_t *m, *r;
    size_t i, k;
    bool ok = false, asked = false;

    snprintf(why, n, "answered HTTP %d", tq_status(ex));
    json_array_foreach(req, i, m)
    {
        const json_t *id = json_object_get(m, "id");
        if (ac_json_str(m, "method") == NULL || id == NULL) {
            continue; /* a notification or a response */
        }
        asked = true;
        json_array_foreach(resp, k, r)
        {
            ok = ok || (tq_status(ex) == 200 &&
                        json_equal(json_object_get(r, "id"), id) &&
                        json_is_object(json_object_get(r, "result")));
        }
    }
    if (!asked) {
        snprintf(why, n, "carried no JSON-RPC request");
    } else if (!ok && tq_status(ex) == 200) {
        snprintf(why, n, "no JSON-RPC result for its request");
    }
    json_decref(req);
    json_decref(resp);
    return ok;
}

/* The point of client-credentials and token-endpoint scenarios: the
 * token the authorization server issued works at the MCP server, for
 * any method (initialize, tools/list, server/discover, ...). */
void hc_check_mcp_authenticated_request(const struct hc_input *in,
                                        struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *issued = json_array();
    size_t tried = 0, last = TQ_NONE;
    char why[200] = "";

    for (size_t i = 0; i < tq_count(tr) && issued != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        if (tq_is(ex, "token", "POST")) {
            collect_token(ex, issued);
        } else if (tq_is(ex, "mcp", "POST") && carries_issued(ex, issued)) {
            tried++;
            last = i;
            hc_evidence(out, tr, i);
            if (request_answered(ex, why, sizeof why)) {
                hc_verdict(out, HC_SUCCESS,
                           "an MCP request with an issued access token was "
                           "answered with a JSON-RPC result (seq %zu)",
                           hc_seq_of(tr, i));
                goto out;
            }
        }
    }
    if (json_array_size(issued) == 0) {
        hc_missing_fact(in, out,
                        "the authorization server issued no access "
                        "token");
    } else if (tried == 0) {
        hc_missing_fact(in, out,
                        "no MCP request carried an issued access "
                        "token");
    } else if (hc_expects_refusal(in)) {
        hc_verdict(out, HC_SKIPPED,
                   "the scenario expects the client to refuse; its "
                   "authenticated MCP requests are not judged");
    } else {
        hc_verdict(out, HC_FAILURE,
                   "%zu MCP request(s) carried an issued access token, none "
                   "succeeded (last, seq %zu: %s)",
                   tried, hc_seq_of(tr, last), why);
    }
out:
    json_decref(issued);
}

/* --- client exit status ------------------------------------------------- */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGINT:
        return "SIGINT";
    case SIGKILL:
        return "SIGKILL";
    case SIGPIPE:
        return "SIGPIPE";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "signal";
    }
}

void hc_check_client_exit_status(const struct hc_input *in,
                                 struct hc_result *out)
{
    bool refuse = hc_expects_refusal(in);
    const char *e = ac_json_str(hc_scenario_client(in), "expect");
    bool may_wait = e != NULL && strcmp(e, "refuse-or-wait") == 0;

    if (in->nruns == 0 || in->runs == NULL) {
        hc_verdict(out, HC_FAILURE, "no client run was recorded");
        return;
    }
    for (size_t i = 0; i < in->nruns; i++) {
        const struct hc_run *r = &in->runs[i];
        if (r->timed_out && may_wait) {
            continue; /* still waiting for a valid callback: no harm */
        }
        if (r->timed_out) {
            hc_verdict(out, HC_FAILURE,
                       "run %zu of %zu timed out and was killed by the harness",
                       i + 1, in->nruns);
            return;
        }
        if (r->signal != 0) {
            hc_verdict(out, HC_FAILURE,
                       "run %zu of %zu was terminated by %s (%d)", i + 1,
                       in->nruns, signal_name(r->signal), r->signal);
            return;
        }
        if (refuse ? r->exit_code == 0 : r->exit_code != 0) {
            hc_verdict(out, HC_FAILURE,
                       "run %zu of %zu exited %d; the scenario expects %s",
                       i + 1, in->nruns, r->exit_code,
                       refuse ? "a non-zero exit (refusal)"
                              : "exit 0 (success)");
            return;
        }
    }
    hc_verdict(out, HC_SUCCESS, "all %zu run(s) %s as expected", in->nruns,
               may_wait ? "exited non-zero or were stopped while waiting"
               : refuse ? "exited non-zero"
                        : "exited 0");
}

/* Messages quote what the client sent (a scope, a header value); a
 * control character in it would break the one-line contract of
 * hc_result.message and let a client under test forge lines in the
 * console, JUnit and Markdown output. Each becomes a '?'. */
static void one_line(char *msg)
{
    for (unsigned char *p = (unsigned char *)msg; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
}

void hc_evaluate(const struct hc_check *c, const struct hc_input *in,
                 struct hc_result *out)
{
    const char *pending = ac_json_str(in->scenario, "pending");

    memset(out, 0, sizeof *out);
    if (pending != NULL) {
        /* scenarios/SCHEMA.md "pending": the scenario documents a
         * requirement the mocks or the reference client cannot exercise
         * yet; nothing it saw is judged. */
        hc_verdict(out, HC_SKIPPED, "scenario pending: %.400s", pending);
        return;
    }
    out->status = HC_FAILURE;
    c->fn(in, out);
    if (out->message[0] == '\0') {
        snprintf(out->message, sizeof out->message, "%s", c->summary);
    }
    one_line(out->message);
    if (out->status == HC_WARNING) {
        out->status = HC_FAILURE; /* a check reports violations as FAILURE */
    }
    if (out->status == HC_FAILURE && c->level == HC_SHOULD) {
        out->status = HC_WARNING;
    } else if (out->status == HC_FAILURE && c->level == HC_MAY) {
        out->status = HC_INFO;
    }
}

void hc_require_exercised(struct hc_result *r)
{
    char why[sizeof r->message];

    if (r->status != HC_SKIPPED) {
        return;
    }
    snprintf(why, sizeof why, "%s", r->message);
    hc_verdict(r, HC_FAILURE, "the point under test was not exercised: %s",
               why);
}

const char *hc_status_name(enum hc_status s)
{
    switch (s) {
    case HC_SUCCESS:
        return "SUCCESS";
    case HC_FAILURE:
        return "FAILURE";
    case HC_WARNING:
        return "WARNING";
    case HC_SKIPPED:
        return "SKIPPED";
    case HC_INFO:
        return "INFO";
    }
    return "UNKNOWN";
}

const char *hc_level_name(enum hc_level l)
{
    switch (l) {
    case HC_MUST:
        return "MUST";
    case HC_SHOULD:
        return "SHOULD";
    case HC_MAY:
        return "MAY";
    }
    return "UNKNOWN";
}

json_t *hc_result_json(const struct hc_check *c, const struct hc_result *r,
                       bool key)
{
    json_t *ev = json_array();
    json_t *obj;

    for (size_t i = 0; ev != NULL && i < r->nevidence; i++) {
        json_array_append_new(ev, json_integer((json_int_t)r->evidence[i]));
    }
    obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "id",
                    c->id, "level", hc_level_name(c->level), "status",
                    hc_status_name(r->status), "spec", c->spec, "spec_url",
                    c->spec_url, "summary", c->summary, "message", r->message,
                    "evidence", ev, "key", key);
    return obj;
}
