/* The check registry and the check functions (see checks.h).
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

static void check_prm_fetched(const struct hc_input *in, struct hc_result *out)
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
static void check_as_metadata_fetched(const struct hc_input *in,
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

static void check_client_registered(const struct hc_input *in,
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

static void check_code_challenge_sent(const struct hc_input *in,
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

static void check_s256_method_used(const struct hc_input *in,
                                   struct hc_result *out)
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

static void check_state_roundtrip(const struct hc_input *in,
                                  struct hc_result *out)
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

static void check_resource_in_authorization(const struct hc_input *in,
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
static void check_resource_in_token(const struct hc_input *in,
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

static void check_verifier_sent(const struct hc_input *in,
                                struct hc_result *out)
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

static void check_verifier_matches(const struct hc_input *in,
                                   struct hc_result *out)
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

static void check_bearer_header_used(const struct hc_input *in,
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

static void check_mcp_call_succeeded(const struct hc_input *in,
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
static void check_mcp_authenticated_request(const struct hc_input *in,
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

static void check_client_exit_status(const struct hc_input *in,
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

/* --- the registry ------------------------------------------------------- */

#define MCP_SPEC "2026-07-28"
/* The DPoP extension has no MCP revision of its own: RFC 9449 is the
 * reference, the MCP profile (content_digest) the ext-auth draft. */
#define DPOP_SPEC "RFC 9449"
#define RFC9449 "https://datatracker.ietf.org/doc/html/rfc9449"
#define DPOP_EXT                                                               \
    "https://github.com/modelcontextprotocol/ext-auth/blob/main/"              \
    "specification/draft/dpop-extension.mdx"
/* Workload identity federation and enterprise-managed authorization:
 * ext-auth drafts on RFC 7523 / RFC 8693. */
#define EXT_SPEC "ext-auth"
#define WIF_EXT                                                                \
    "https://github.com/modelcontextprotocol/ext-auth/blob/main/"              \
    "specification/draft/workload-identity-federation.mdx"
#define EMA_EXT                                                                \
    "https://github.com/modelcontextprotocol/ext-auth/blob/main/"              \
    "specification/draft/enterprise-managed-authorization.mdx"
#define RFC7523 "https://datatracker.ietf.org/doc/html/rfc7523"
#define RFC6749 "https://datatracker.ietf.org/doc/html/rfc6749"
#define MCP_AUTH                                                               \
    "https://modelcontextprotocol.io/specification/2026-07-28/basic/"          \
    "authorization"

/* Rows are written positionally and leave the last member, `baseline`,
 * out unless they set it: a row without it is simply not baseline. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct hc_check REGISTRY[] = {
    {"prm-fetched", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
     "The client fetched the Protected Resource Metadata (GET, 200).",
     check_prm_fetched},
    {"as-metadata-fetched", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#authorization-server-metadata-discovery",
     "The client fetched the authorization server metadata (RFC 8414 or "
     "OpenID discovery, GET, 200).",
     check_as_metadata_fetched, true},
    {"client-registered", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration#dynamic-client-registration",
     "Where the authorization server offers only DCR, the client registered "
     "(RFC 7591 POST answered 201).",
     check_client_registered},
    {"pkce-code-challenge-sent", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#authorization-code-protection",
     "Every authorization request carries a PKCE code_challenge.",
     check_code_challenge_sent, true},
    {"pkce-s256-method-used", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#authorization-code-protection",
     "Every authorization request uses code_challenge_method=S256.",
     check_s256_method_used, true},
    {"pkce-code-verifier-sent", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7636.html#section-4.5",
     "Every authorization_code token request carries a valid code_verifier "
     "(RFC 7636 §4.1, §4.5).",
     check_verifier_sent, true},
    {"pkce-verifier-matches-challenge", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7636.html#section-4.2",
     "S256(code_verifier) equals the code_challenge of the authorization "
     "request that issued the redeemed code.",
     check_verifier_matches, true},
    {"state-roundtrip", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/security-considerations#open-redirection",
     "Every authorization request carries a fresh state of >= 128 bits "
     "(22+ characters), echoed in the authorization response.",
     check_state_roundtrip, true},
    {"resource-parameter-in-authorization", HC_MUST, MCP_SPEC,
     MCP_AUTH "#resource-parameter-implementation",
     "Every authorization request carries resource equal to the canonical "
     "MCP server URI (RFC 8707).",
     check_resource_in_authorization, true},
    {"resource-parameter-in-token", HC_MUST, MCP_SPEC,
     MCP_AUTH "#resource-parameter-implementation",
     "Every token request carries resource equal to the canonical MCP "
     "server URI (RFC 8707).",
     check_resource_in_token, true},
    {"bearer-header-used", HC_MUST, MCP_SPEC, MCP_AUTH "#token-requirements",
     "Every MCP request after issuance carries Authorization: Bearer with an "
     "issued token; no access_token in any query.",
     check_bearer_header_used, true},
    {"mcp-call-succeeded", HC_MUST, MCP_SPEC,
     MCP_AUTH "#authorization-flow-steps",
     "A tools/call of the scenario's tool was answered 200 with a JSON-RPC "
     "result.",
     check_mcp_call_succeeded},
    {"mcp-authenticated-request", HC_MUST, MCP_SPEC,
     MCP_AUTH "#token-requirements",
     "An MCP request carrying an issued access token (any method: "
     "initialize, tools/list, server/discover, ...) was answered with a "
     "JSON-RPC result.",
     check_mcp_authenticated_request},
    {"client-exit-status", HC_MUST, MCP_SPEC,
     "https://github.com/modelcontextprotocol/conformance",
     "Every client run exited 0 when success is expected, non-zero when "
     "refusal is; no timeout or signal.",
     check_client_exit_status, true},

    /* --- discovery (checks_discovery.c) --- */
    {"prm-header-url-used", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
     "When the 401 challenge names resource_metadata, the client fetches "
     "that URL first.",
     hc_check_prm_header_url_used},
    {"prm-path-before-root", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
     "Without resource_metadata, the path-inserted PRM URL is tried before "
     "the root one (RFC 9728 §3.1).",
     hc_check_prm_path_before_root},
    {"as-metadata-discovery-order", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#authorization-server-metadata-discovery",
     "Authorization server metadata URLs are tried in the RFC 8414 / OIDC "
     "order, a later one only after the previous failed.",
     hc_check_as_metadata_order},
    {"as-metadata-fallback", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#authorization-server-metadata-discovery",
     "After a metadata URL fails (error status, invalid JSON) the client "
     "tries the next discovery URL.",
     hc_check_as_metadata_fallback},
    {"issuer-mismatch-rejected", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc8414.html#section-3.3",
     "The client sends nothing to an authorization server whose metadata "
     "issuer does not match its URL.",
     hc_check_issuer_mismatch_rejected, true},
    {"pkce-s256-support-required", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#authorization-code-protection",
     "The client refuses an authorization server whose metadata lacks S256 "
     "in code_challenge_methods_supported.",
     hc_check_s256_support_required, true},
    {"prm-resource-mismatch-rejected", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9728.html#section-3.3",
     "The client does not authorize for a PRM whose resource is not the MCP "
     "server it contacted.",
     hc_check_prm_resource_mismatch_rejected, true},
    {"legacy-2025-03-26-metadata-discovery", HC_MUST, "2025-03-26",
     "https://modelcontextprotocol.io/specification/2025-03-26/basic/"
     "authorization#2-3-server-metadata-discovery",
     "Without PRM (2025-03-26), the client fetches RFC 8414 metadata at the "
     "MCP server's origin.",
     hc_check_legacy_root_metadata},
    {"legacy-2025-03-26-default-endpoints", HC_MUST, "2025-03-26",
     "https://modelcontextprotocol.io/specification/2025-03-26/basic/"
     "authorization#2-3-3-fallbacks-for-servers-without-metadata-discovery",
     "Without any metadata (2025-03-26), the client uses /authorize, "
     "/token, /register at the MCP server's origin.",
     hc_check_legacy_default_endpoints},

    /* --- registration (checks_registration.c) --- */
    {"dcr-application-type", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration"
              "#application-type-and-redirect-uri-constraints",
     "Registration requests carry application_type, \"native\" for loopback "
     "redirect URIs.",
     hc_check_dcr_application_type, true},
    {"dcr-redirect-uris-loopback", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#open-redirection",
     "Registered redirect URIs are loopback http or https, without "
     "fragment.",
     hc_check_dcr_redirect_uris_loopback, true},
    {"sep-2207-client-metadata-grant-types", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration#dynamic-client-registration",
     "Client metadata lists refresh_token in grant_types (SEP-2207).",
     hc_check_dcr_grant_types_refresh},
    {"dcr-auth-method-supported", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc8414.html#section-2",
     "The registered token_endpoint_auth_method is one the server lists as "
     "supported.",
     hc_check_dcr_auth_method_supported},
    {"registration-priority", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration",
     "Pre-registered credentials, then a client ID metadata document, are "
     "preferred over DCR.",
     hc_check_registration_priority},
    {"cimd-client-id-used", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration#client-id-metadata-documents",
     "With client_id_metadata_document_supported, the client_id is the URL "
     "of its metadata document.",
     hc_check_cimd_client_id_used},
    {"token-endpoint-auth-method", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3",
     "Token requests authenticate with the registered method (basic, post, "
     "none, private_key_jwt), correctly encoded.",
     hc_check_token_endpoint_auth_method, true},
    {"private-key-jwt-claims", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7523.html#section-3",
     "A client_assertion is a signed JWT with iss = sub = client_id, aud, "
     "exp and jti.",
     hc_check_private_key_jwt_claims, true},
    {"client-credentials-grant-type", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/extensions/auth/client-credentials",
     "Against a client_credentials-only server, the client uses "
     "grant_type=client_credentials and never /authorize.",
     hc_check_client_credentials_grant},
    {"sep-2352-no-cross-as-credential-reuse", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration",
     "Client credentials are presented only to the authorization server "
     "that issued them.",
     hc_check_no_cross_as_credential_reuse, true},
    {"sep-2352-reregister-on-as-change", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration",
     "When the PRM moves to a new authorization server, the client "
     "registers there before authorizing.",
     hc_check_reregister_on_as_change},
    {"stale-client-reregistered", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7591.html#section-3",
     "When the server rejects a registered client (invalid_client, authorize "
     "error page), the client registers again.",
     hc_check_stale_client_reregistered},
    {"registration-reused", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration#dynamic-client-registration",
     "The client registers once per authorization server and reuses the "
     "registration (across runs too).",
     hc_check_registration_reused},

    /* --- authorization response (checks_authz.c) --- */
    {"sep-2468-client-compare-iss-supported", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "With iss advertised: a matching iss is accepted, a mismatched one "
     "rejected (code not redeemed).",
     hc_check_iss_compare_supported},
    {"sep-2468-client-reject-missing-iss", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "With iss advertised, a response without iss is rejected (code not "
     "redeemed).",
     hc_check_iss_reject_missing},
    {"sep-2468-client-compare-iss-unadvertised", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "An iss that was not advertised is still compared, and a mismatch "
     "rejected.",
     hc_check_iss_compare_unadvertised},
    {"sep-2468-client-proceed-no-iss", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "Without iss advertised or sent, the client proceeds to redeem the "
     "code.",
     hc_check_iss_proceed_absent},
    {"state-mismatch-rejected", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#open-redirection",
     "A callback whose state the client never sent is not redeemed.",
     hc_check_state_mismatch_rejected, true},
    {"redirect-uri-consistent", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.3",
     "The code redemption repeats the authorization request's redirect_uri.",
     hc_check_redirect_uri_consistent, true},
    /* RFC 8252 §8.3 calls localhost NOT RECOMMENDED, but MCP clients use
     * it widely and the official suite accepts it: INFO, so that --strict
     * (where a WARNING fails) never fails a client for it. */
    {"redirect-uri-loopback-ip", HC_MAY, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3",
     "An http redirect URI uses the loopback IP literal, not "
     "\"localhost\".",
     hc_check_redirect_uri_loopback_ip, true},
    {"redirect-uri-registered", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-3.1.2.2",
     "A registered client authorizes only with a redirect_uri its "
     "registration lists (e.g. after its loopback port changed).",
     hc_check_redirect_uri_registered},
    {"code-single-use", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2",
     "No authorization code is redeemed twice.", hc_check_code_single_use,
     true},
    {"authorization-error-handled", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2.1",
     "An authorization error response that reached the client ends that "
     "authorization: no code redemption follows, no markup from "
     "error_description is echoed on the callback page.",
     hc_check_authorization_error_handled, true},

    /* --- scopes (checks_scope.c) --- */
    {"scope-from-www-authenticate", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "The first authorization request asks for the scope of the 401 "
     "challenge.",
     hc_check_scope_from_challenge},
    {"scope-from-scopes-supported", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "Without a challenge scope, the client asks for all of the PRM's "
     "scopes_supported.",
     hc_check_scope_from_scopes_supported},
    {"scope-omitted-when-undefined", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "Without challenge scope or scopes_supported, the client omits scope.",
     hc_check_scope_omitted_when_undefined},
    {"scope-step-up-escalation", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#step-up-authorization-flow",
     "After 403 insufficient_scope, the client re-authorizes with the union "
     "of its scopes and the challenge's.",
     hc_check_scope_step_up_escalation},
    {"scope-retry-limit", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#step-up-authorization-flow",
     "The client bounds step-up retries (at most 4 authorization requests "
     "per run: the first and 3 step-ups).",
     hc_check_scope_retry_limit},
    {"sep-2207-offline-access-not-requested", HC_MUST, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "offline_access is requested only when the authorization server lists "
     "it in scopes_supported.",
     hc_check_offline_access_not_requested, true},
    {"sep-2207-offline-access-requested", HC_MAY, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "When the authorization server lists offline_access, the client asks "
     "for it.",
     hc_check_offline_access_requested},

    /* --- token lifecycle (checks_tokens.c) --- */
    {"refresh-before-reauthorization", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-6",
     "When the access token is rejected and a refresh token is held, the "
     "client refreshes before authorizing again.",
     hc_check_refresh_before_reauthorization},
    {"refresh-token-rotation", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#token-theft",
     "After a refresh rotates the refresh token, the old one is never sent "
     "again.",
     hc_check_refresh_token_rotation, true},
    {"refresh-scope-not-widened", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-6",
     "A refresh request asks for no scope beyond what was authorized.",
     hc_check_refresh_scope_not_widened, true},
    {"invalid-grant-reauthorize-once", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2",
     "After invalid_grant on refresh, the refresh token is dropped and the "
     "client authorizes once.",
     hc_check_invalid_grant_reauthorize_once},
    {"refresh-5xx-keeps-credentials", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-6",
     "After a refresh fails with a server error, the client retries with the "
     "same refresh token, not a new grant.",
     hc_check_refresh_5xx_keeps_credentials},
    {"refresh-proactive", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1",
     "A client holding a refresh token renews an access token whose "
     "expires_in has run out before sending it, not only after a 401.",
     hc_check_refresh_proactive},
    {"no-reauthorization", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-1.5",
     "One authorization lasts the whole session (refresh instead of a new "
     "browser visit).",
     hc_check_no_reauthorization},
    {"restart-reuses-tokens", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/security-considerations#token-storage",
     "A restarted client reuses its stored tokens and registration: one "
     "authorization across runs.",
     hc_check_restart_reuses_tokens},
    {"revoked-token-not-reused", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6750.html#section-3.1",
     "An access token rejected with invalid_token is not sent again.",
     hc_check_revoked_token_not_reused, true},
    {"logout-revokes", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7009.html#section-2",
     "On logout the client revokes its tokens at the revocation endpoint.",
     hc_check_logout_revokes},
    {"token-not-in-url", HC_MUST, MCP_SPEC, MCP_AUTH "#token-requirements",
     "No issued access or refresh token appears in any request URL.",
     hc_check_token_not_in_url, true},
    {"token-audience-respected", HC_MUST, MCP_SPEC,
     MCP_AUTH "#token-audience-binding-and-validation",
     "A token is sent only to the MCP server (resource) it was requested "
     "for.",
     hc_check_token_audience_respected, true},

    /* --- MCP transport (checks_mcp.c) --- */
    {"mcp-initialize-first", HC_MUST, "2025-11-25",
     "https://modelcontextprotocol.io/specification/2025-11-25/basic/"
     "lifecycle#initialization",
     "On the 2025-11-25 wire, the first authorized MCP request is "
     "initialize.",
     hc_check_mcp_initialize_first, true},
    {"mcp-initialized-notification", HC_MUST, "2025-11-25",
     "https://modelcontextprotocol.io/specification/2025-11-25/basic/"
     "lifecycle#initialization",
     "After initialize, the client sends notifications/initialized before "
     "other requests.",
     hc_check_mcp_initialized_notification, true},
    {"mcp-session-id-echoed", HC_MUST, "2025-11-25",
     "https://modelcontextprotocol.io/specification/2025-11-25/basic/"
     "transports#session-management",
     "Every request after initialize carries the Mcp-Session-Id the server "
     "assigned.",
     hc_check_mcp_session_id_echoed, true},
    {"mcp-protocol-version-header", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/specification/2026-07-28/basic/"
     "transports/streamable-http#protocol-version-header",
     "Every MCP request carries MCP-Protocol-Version with the negotiated "
     "(or 2026-07-28) version.",
     hc_check_mcp_protocol_version_header, true},
    {"mcp-accept-header", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/specification/2026-07-28/basic/"
     "transports/streamable-http#sending-messages-to-the-server",
     "Every MCP POST accepts both application/json and text/event-stream.",
     hc_check_mcp_accept_header, true},
    {"mcp-request-metadata-headers", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/specification/2026-07-28/basic/"
     "transports/streamable-http#request-metadata",
     "On the 2026-07-28 wire, Mcp-Method (and Mcp-Name for tools/call) "
     "mirror the JSON-RPC body; a tools/call carries an `Mcp-Param-{Name}` "
     "header (decoded from the base64 sentinel form) equal to each argument "
     "the tool's last listed inputSchema marks with `x-mcp-header`, and none "
     "for an absent or null one.",
     hc_check_mcp_request_metadata_headers, true},
    /* DPoP (RFC 9449; ext-auth "DPoP Profile for MCP"), checks_dpop.c */
    {"dpop-token-proof", HC_MUST, DPOP_SPEC, RFC9449 "#section-5",
     "With DPoP offered, every token request carries one DPoP proof (typ "
     "dpop+jwt, a public jwk, htm POST, htu the token endpoint).",
     hc_check_dpop_token_proof},
    {"dpop-scheme", HC_MUST, DPOP_SPEC, RFC9449 "#section-7.1",
     "A DPoP-bound access token is presented with \"Authorization: DPoP\" "
     "and a DPoP proof, never downgraded to Bearer.",
     hc_check_dpop_scheme},
    {"dpop-fresh-proof", HC_MUST, DPOP_SPEC, RFC9449 "#section-11.1",
     "Every DPoP proof has its own jti: a fresh proof per request.",
     hc_check_dpop_fresh_proof},
    {"dpop-ath", HC_MUST, DPOP_SPEC, RFC9449 "#section-4.2",
     "Every proof sent with an access token to the MCP server carries ath, "
     "the base64url SHA-256 of that token.",
     hc_check_dpop_ath},
    {"dpop-content-digest", HC_MUST, DPOP_SPEC, DPOP_EXT,
     "Every proof to the MCP server carries content_digest, "
     "sha-256=:<base64 SHA-256 of the request body>: (MCP DPoP profile).",
     hc_check_dpop_content_digest},
    {"dpop-as-nonce", HC_MUST, DPOP_SPEC, RFC9449 "#section-8",
     "After the token endpoint's use_dpop_nonce, the client retries with a "
     "proof carrying the DPoP-Nonce it was given (and keeps the latest).",
     hc_check_dpop_as_nonce},
    {"dpop-rs-nonce", HC_MUST, DPOP_SPEC, RFC9449 "#section-9",
     "After the MCP server's 401 DPoP error=\"use_dpop_nonce\", the client "
     "retries with a proof carrying the DPoP-Nonce it was given.",
     hc_check_dpop_rs_nonce},
    {"dpop-key-binding", HC_MUST, DPOP_SPEC, RFC9449 "#section-7.1",
     "Every DPoP-bound access or refresh token is presented with a proof of "
     "the key it is bound to, also after a restart (the key is kept with "
     "the tokens).",
     hc_check_dpop_key_binding},
    /* --- Workload identity federation and enterprise-managed
     * authorization (ext-auth; RFC 7523, RFC 8693, ID-JAG draft):
     * checks_wif.c, checks_ema.c. One block, kept together. --- */
    {"wif-grant-type", HC_MUST, EXT_SPEC, WIF_EXT "#token-endpoint",
     "A client with a workload identity asks for tokens with grant_type "
     "urn:ietf:params:oauth:grant-type:jwt-bearer and its workload JWT as "
     "`assertion` (RFC 7523 §2.1).",
     hc_check_wif_grant_type},
    {"wif-assertion-audience", HC_MUST, EXT_SPEC, RFC7523 "#section-3",
     "Every workload JWT presented names the authorization server it is "
     "sent to in aud (its token endpoint; the issuer is accepted too).",
     hc_check_wif_assertion_audience},
    {"wif-assertion-fresh", HC_MUST, EXT_SPEC, RFC7523 "#section-3",
     "No expired workload JWT is presented: a new grant reads the "
     "workload's token source again instead of reusing an old assertion.",
     hc_check_wif_assertion_fresh},
    {"wif-no-blind-retry", HC_SHOULD, EXT_SPEC, RFC6749 "#section-5.2",
     "After an error answer to a JWT bearer grant (unauthorized_client, "
     "invalid_grant, invalid_scope) the same assertion is not sent again.",
     hc_check_wif_no_blind_retry},
    {"wif-no-code-fallback", HC_SHOULD, EXT_SPEC, WIF_EXT "#flow-steps",
     "A client configured with a workload identity never falls back to a "
     "user's grant: no registration, authorization request or code grant.",
     hc_check_wif_no_code_fallback},
    {"ema-token-exchange", HC_MUST, EXT_SPEC, EMA_EXT,
     "The IdP token exchange (RFC 8693) has grant_type token-exchange, "
     "requested_token_type id-jag, subject_token_type id_token, audience "
     "the AS issuer, and resource (if sent) the MCP server's.",
     hc_check_ema_token_exchange},
    {"ema-jag-audience", HC_MUST, EXT_SPEC, EMA_EXT,
     "An ID-JAG is presented only to the authorization server its aud "
     "names (jwt-bearer grant), never to another server.",
     hc_check_ema_jag_audience},
    {"ema-jag-expiry", HC_MUST, EXT_SPEC, EMA_EXT,
     "No ID-JAG is presented outside its validity window (exp).",
     hc_check_ema_jag_expiry},
    {"ema-no-fallback", HC_MUST, EXT_SPEC, EMA_EXT,
     "When the IdP refuses the exchange the client stops: no JWT bearer "
     "grant without an ID-JAG, no user's grant, no identical retry.",
     hc_check_ema_no_fallback},
};
#pragma GCC diagnostic pop

const struct hc_check *hc_registry(size_t *n)
{
    *n = sizeof REGISTRY / sizeof REGISTRY[0];
    return REGISTRY;
}

const struct hc_check *hc_find(const char *id)
{
    size_t n;
    const struct hc_check *r = hc_registry(&n);

    for (size_t i = 0; id != NULL && i < n; i++) {
        if (strcmp(r[i].id, id) == 0) {
            return &r[i];
        }
    }
    return NULL;
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

char *hc_registry_markdown(void)
{
    struct ac_buf b;
    size_t n;
    const struct hc_check *r = hc_registry(&n);
    bool ok;

    ac_buf_init(&b, 0);
    ok = ac_buf_append_str(&b,
                           "| id | level | baseline | spec | summary |\n"
                           "|---|---|---|---|---|\n",
                           NULL);
    for (size_t i = 0; ok && i < n; i++) {
        ok = ac_buf_printf(&b, NULL, "| `%s` | %s | %s | [%s](%s) | %s |\n",
                           r[i].id, hc_level_name(r[i].level),
                           r[i].baseline ? "yes" : "", r[i].spec, r[i].spec_url,
                           r[i].summary);
    }
    if (!ok) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}
