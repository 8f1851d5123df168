/* PKCE checks (RFC 7636, MCP authorization "Authorization Code
 * Protection"): every authorization request carries an S256
 * code_challenge, and every code redemption the code_verifier that
 * hashes to the challenge of its authorization request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

static bool has_challenge(const struct hc_input *in, size_t i,
                          const struct ac_form *q, char *why, size_t n)
{
    (void)in;
    (void)i;
    if (ac_form_get(q, "code_challenge") == NULL) {
        snprintf(why, n, "no code_challenge parameter");
        return false;
    }
    return true;
}

void hc_check_code_challenge_sent(const struct hc_input *in,
                                  struct hc_result *out)
{
    hc_every_authz(in, out, has_challenge, "carried code_challenge");
}

static bool uses_s256(const struct hc_input *in, size_t i,
                      const struct ac_form *q, char *why, size_t n)
{
    (void)i;
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
    hc_every_authz(in, out, uses_s256, "used code_challenge_method=S256");
}

/* --- token requests and PKCE verification ---------------------------- */

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
