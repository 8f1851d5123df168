/* Workload identity federation checks (MCP authorization extension
 * "Workload Identity Federation", RFC 7523 §2.1): the JWT bearer grant
 * with one assertion for the AS it is sent to, not expired, no blind
 * retry after an error, no fallback to a user's authorization code grant.
 * Each applies only when the scenario has a "workload_issuer". Assertions
 * are read without verifying signatures (the mocks did). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/json.h"
#include "common/jwt.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

#define GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* Skip outside workload identity federation scenarios. True when skipped. */
static bool skip_unless_wif(const struct hc_input *in, struct hc_result *out)
{
    if (json_is_object(json_object_get(in->scenario, "workload_issuer"))) {
        return false;
    }
    hc_verdict(out, HC_SKIPPED, "the scenario has no workload issuer");
    return true;
}

/* The grant_type and a copy of the assertion of token request `i` (new
 * strings, NULL when absent). False when the body does not parse. */
static bool token_params(const json_t *tr, size_t i, char **gt, char **asrt)
{
    struct ac_form f;
    bool ok = hc_token_form(tr, i, &f);
    const char *g = ok ? ac_form_get(&f, "grant_type") : NULL;
    const char *a = ok ? ac_form_get(&f, "assertion") : NULL;

    *gt = g != NULL ? strdup(g) : NULL;
    *asrt = a != NULL ? strdup(a) : NULL;
    ac_form_free(&f);
    return ok;
}

static bool is_jwt_bearer(const char *gt)
{
    return gt != NULL && strcmp(gt, GRANT_JWT_BEARER) == 0;
}

void hc_check_wif_grant_type(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (skip_unless_wif(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        char *gt = NULL, *a = NULL;
        bool parsed = token_params(tr, i, &gt, &a);
        bool good = parsed && is_jwt_bearer(gt) && a != NULL;

        n++;
        hc_evidence(out, tr, i);
        if (!good) {
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu) has grant_type %.120s%s, not "
                       "urn:ietf:params:oauth:grant-type:jwt-bearer with an "
                       "assertion",
                       hc_seq_of(tr, i), gt != NULL ? gt : "(none)",
                       a == NULL ? " and no assertion" : "");
        }
        free(gt);
        free(a);
        if (!good) {
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu token request(s) used the JWT bearer grant with an "
               "assertion",
               n);
}

/* Does `aud` (string or array) name `want`? */
static bool aud_has(const json_t *aud, const char *want)
{
    return (json_is_string(aud) && strcmp(json_string_value(aud), want) == 0) ||
           ac_json_array_has_str(aud, want);
}

/* The issuer the AS that served exchange `i` published (metadata seen
 * before it), or NULL: a new string. */
static char *issuer_of(const json_t *tr, size_t i)
{
    json_t *md = hc_as_metadata(tr, tq_server(tq_at(tr, i)), i);
    const char *iss = ac_json_str(md, "issuer");
    char *s = iss != NULL ? strdup(iss) : NULL;

    json_decref(md);
    return s;
}

/* RFC 7523 §3 item 3 / WIF "JWT Format": does the assertion's aud name
 * the AS it was sent to (its token endpoint URL, or its issuer with or
 * without a trailing "/", as the official suite's AS accepts)? */
bool hc_assertion_aud_ok(const json_t *tr, size_t i, const char *assertion)
{
    json_t *hdr = NULL, *claims = NULL;
    char *iss = issuer_of(tr, i), *slash = NULL;
    const char *url = tq_url(tq_at(tr, i));
    bool ok = false;

    if (assertion != NULL &&
        ac_jwt_peek_unverified(assertion, &hdr, &claims, NULL)) {
        const json_t *aud = json_object_get(claims, "aud");
        ok = aud_has(aud, url) ||
             (iss != NULL &&
              (aud_has(aud, iss) ||
               (asprintf(&slash, "%s/", iss) >= 0 && aud_has(aud, slash))));
    }
    json_decref(hdr);
    json_decref(claims);
    free(iss);
    free(slash);
    return ok;
}

void hc_check_wif_assertion_audience(const struct hc_input *in,
                                     struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (skip_unless_wif(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        char *gt = NULL, *a = NULL;
        bool bad;

        token_params(tr, i, &gt, &a);
        bad = is_jwt_bearer(gt) && !hc_assertion_aud_ok(tr, i, a);
        n += is_jwt_bearer(gt);
        free(gt);
        free(a);
        hc_evidence(out, tr, i);
        if (bad) {
            hc_verdict(out, HC_FAILURE,
                       "the assertion of token request (seq %zu) is not a "
                       "JWT whose aud names that authorization server (its "
                       "token endpoint or issuer)",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "JWT bearer token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "the %zu assertion(s) named the authorization server they "
               "were sent to",
               n);
}

/* Was exchange `ex` an error answer whose description says the
 * assertion had expired (the mocks' RFC 7523 §3 item 4 verdict)? */
bool hc_answer_says_expired(const json_t *ex)
{
    char *desc = hc_resp_member(ex, "error_description");
    char *code = hc_resp_member(ex, "error");
    bool expired = tq_status(ex) == 400 && code != NULL &&
                   strcmp(code, "invalid_grant") == 0 && desc != NULL &&
                   strstr(desc, "expired") != NULL;

    free(desc);
    free(code);
    return expired;
}

void hc_check_wif_assertion_fresh(const struct hc_input *in,
                                  struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (skip_unless_wif(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        char *gt = NULL, *a = NULL;

        token_params(tr, i, &gt, &a);
        if (is_jwt_bearer(gt)) {
            n++;
            hc_evidence(out, tr, i);
        }
        free(gt);
        free(a);
        if (hc_answer_says_expired(tq_at(tr, i))) {
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu) presented an expired "
                       "assertion (the authorization server answered "
                       "invalid_grant: expired); the workload's token "
                       "source must be read again",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "JWT bearer token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "none of the %zu JWT bearer grant(s) presented an expired "
               "assertion",
               n);
}

void hc_check_wif_no_blind_retry(const struct hc_input *in,
                                 struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *refused = json_array(); /* assertions answered with an error */
    size_t errors = 0;
    bool failed = false;

    if (skip_unless_wif(in, out) || refused == NULL) {
        json_decref(refused);
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE && !failed;
         i = tq_next(tr, i + 1, "token", "POST")) {
        char *gt = NULL, *a = NULL;
        int st = tq_status(tq_at(tr, i));

        token_params(tr, i, &gt, &a);
        if (is_jwt_bearer(gt) && a != NULL) {
            if (ac_json_array_has_str(refused, a)) {
                hc_evidence(out, tr, i);
                hc_verdict(out, HC_FAILURE,
                           "token request (seq %zu) sent again an assertion "
                           "the authorization server had refused: a blind "
                           "retry (RFC 6749 §5.2 errors are final for that "
                           "request)",
                           hc_seq_of(tr, i));
                failed = true;
            } else if (st == 400 || st == 401) {
                hc_evidence(out, tr, i);
                errors++;
                json_array_append_new(refused, json_string(a));
            }
        }
        free(gt);
        free(a);
    }
    json_decref(refused);
    if (failed) {
        return;
    }
    if (errors == 0) {
        hc_missing_fact(in, out,
                        "no JWT bearer grant was answered with an error");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after %zu refused JWT bearer grant(s) the client did not "
               "send the same assertion again",
               errors);
}

/* Was a user-facing grant started: a registration, an authorization
 * request or an authorization_code token request? The index, or TQ_NONE. */
size_t hc_user_grant_at(const json_t *tr)
{
    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        char *gt = NULL, *a = NULL;
        bool code = false;

        if (tq_is(ex, "authorize", NULL) || tq_is(ex, "register", "POST")) {
            return i;
        }
        if (tq_is(ex, "token", "POST")) {
            token_params(tr, i, &gt, &a);
            code = gt != NULL && strcmp(gt, "authorization_code") == 0;
            free(gt);
            free(a);
        }
        if (code) {
            return i;
        }
    }
    return TQ_NONE;
}

void hc_check_wif_no_code_fallback(const struct hc_input *in,
                                   struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t at;

    if (skip_unless_wif(in, out)) {
        return;
    }
    at = hc_user_grant_at(tr);
    if (at != TQ_NONE) {
        hc_evidence(out, tr, at);
        hc_verdict(out, HC_FAILURE,
                   "a client configured with a workload identity started a "
                   "user's grant (%s at seq %zu): no fallback to the "
                   "authorization code grant",
                   tq_endpoint(tq_at(tr, at)), hc_seq_of(tr, at));
        return;
    }
    if (tq_next(tr, 0, "token", "POST") == TQ_NONE) {
        hc_missing(in, out, "token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "no registration, authorization request or authorization "
               "code grant: the workload stayed with its JWT bearer grant");
}
