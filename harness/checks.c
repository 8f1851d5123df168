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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/json.h"
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

/* --- evaluation ---------------------------------------------------------- */

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
