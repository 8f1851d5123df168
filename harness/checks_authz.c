/* Authorization response checks: RFC 9207 `iss` validation (SEP-2468),
 * state verification of the callback, redirect URI consistency and
 * form, and single use of authorization codes. A code the client must
 * reject is judged by whether it was redeemed at the token endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

enum iss_case {
    ISS_NA,              /* not the situation this check judges */
    ISS_MUST_REDEEM,     /* the response is valid: proceed */
    ISS_MUST_NOT_REDEEM, /* the response must be rejected */
};

/* Classify one authorization response; writes what was seen. */
typedef enum iss_case (*iss_classify_fn)(bool advertised, const char *issuer,
                                         const char *iss, char *what, size_t n);

static void judge_iss(const struct hc_input *in, struct hc_result *out,
                      iss_classify_fn classify, const char *none_msg)
{
    const json_t *tr = in->transcript;
    size_t n = 0;
    char what[300];

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form loc;
        json_t *md;
        const char *code;
        enum iss_case c = ISS_NA;
        size_t r;
        if (hc_authz_response(tq_at(tr, i), &loc) &&
            (code = ac_form_get(&loc, "code")) != NULL) {
            md = hc_as_metadata(tr, tq_server(tq_at(tr, i)), i);
            c = classify(json_is_true(json_object_get(
                             md, "authorization_response_iss_parameter_"
                                 "supported")),
                         ac_json_str(md, "issuer"), ac_form_get(&loc, "iss"),
                         what, sizeof what);
            json_decref(md);
            r = c != ISS_NA ? hc_redeemed_at(tr, i + 1, code) : TQ_NONE;
            if (c != ISS_NA) {
                n++;
                hc_evidence(out, tr, i);
            }
            if (c == ISS_MUST_NOT_REDEEM && r != TQ_NONE) {
                hc_evidence(out, tr, r);
                hc_verdict(out, HC_FAILURE,
                           "authorization response (seq %zu): %s; the client "
                           "redeemed the code anyway (seq %zu)",
                           hc_seq_of(tr, i), what, hc_seq_of(tr, r));
            } else if (c == ISS_MUST_REDEEM && r == TQ_NONE) {
                hc_verdict(out, HC_FAILURE,
                           "authorization response (seq %zu): %s; the client "
                           "never redeemed the code",
                           hc_seq_of(tr, i), what);
            } else {
                c = ISS_NA;
            }
        }
        ac_form_free(&loc);
        if (c != ISS_NA) {
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "%s", none_msg);
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu authorization response(s) handled as RFC 9207 requires", n);
}

static bool iss_matches(const char *issuer, const char *iss)
{
    /* RFC 9207 §2.4: simple string comparison, no normalization. */
    return issuer != NULL && iss != NULL && strcmp(issuer, iss) == 0;
}

static enum iss_case cls_supported(bool adv, const char *issuer,
                                   const char *iss, char *what, size_t n)
{
    if (!adv || iss == NULL) {
        return ISS_NA;
    }
    if (iss_matches(issuer, iss)) {
        snprintf(what, n, "iss matched the advertised issuer");
        return ISS_MUST_REDEEM;
    }
    snprintf(what, n, "iss \"%.100s\" is not the issuer \"%.100s\"", iss,
             issuer != NULL ? issuer : "(unknown)");
    return ISS_MUST_NOT_REDEEM;
}

void hc_check_iss_compare_supported(const struct hc_input *in,
                                    struct hc_result *out)
{
    judge_iss(in, out, cls_supported,
              "no authorization response carried iss from a server "
              "advertising authorization_response_iss_parameter_supported");
}

static enum iss_case cls_missing(bool adv, const char *issuer, const char *iss,
                                 char *what, size_t n)
{
    (void)issuer;
    if (!adv || iss != NULL) {
        return ISS_NA;
    }
    snprintf(what, n, "the server advertised iss support but sent no iss");
    return ISS_MUST_NOT_REDEEM;
}

void hc_check_iss_reject_missing(const struct hc_input *in,
                                 struct hc_result *out)
{
    judge_iss(in, out, cls_missing,
              "no authorization response lacked an advertised iss");
}

static enum iss_case cls_unadvertised(bool adv, const char *issuer,
                                      const char *iss, char *what, size_t n)
{
    if (adv || iss == NULL || iss_matches(issuer, iss)) {
        return ISS_NA;
    }
    snprintf(what, n,
             "iss \"%.100s\" (not advertised) is not the issuer \"%.100s\"",
             iss, issuer != NULL ? issuer : "(unknown)");
    return ISS_MUST_NOT_REDEEM;
}

void hc_check_iss_compare_unadvertised(const struct hc_input *in,
                                       struct hc_result *out)
{
    judge_iss(in, out, cls_unadvertised,
              "no authorization response carried an unadvertised, "
              "mismatched iss");
}

static enum iss_case cls_absent(bool adv, const char *issuer, const char *iss,
                                char *what, size_t n)
{
    (void)issuer;
    if (adv || iss != NULL) {
        return ISS_NA;
    }
    snprintf(what, n, "neither advertised nor sent, iss is not required");
    return ISS_MUST_REDEEM;
}

void hc_check_iss_proceed_absent(const struct hc_input *in,
                                 struct hc_result *out)
{
    judge_iss(in, out, cls_absent,
              "every authorization server advertised or sent iss");
}

/* --- state --------------------------------------------------------------- */

typedef bool (*form_of_fn)(const json_t *ex, struct ac_form *out,
                           struct ac_err *err);

/* Parameter `name` of the form `parse` reads from `ex` (tq_query_form,
 * tq_location_form): a new string, or NULL when absent or the form does
 * not parse. */
static char *form_param(form_of_fn parse, const json_t *ex, const char *name)
{
    struct ac_form f;
    char *v = NULL;

    if (parse(ex, &f, NULL) && ac_form_get(&f, name) != NULL) {
        v = strdup(ac_form_get(&f, name));
    }
    ac_form_free(&f);
    return v;
}

/* Was `code` (arriving with `state`) forged: its state is none the client
 * sent? `sent` is the array of states sent so far. */
static bool forged(const json_t *sent, const char *state)
{
    return json_array_size(sent) > 0 &&
           (state == NULL || !ac_json_array_has_str(sent, state));
}

void hc_check_state_mismatch_rejected(const struct hc_input *in,
                                      struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *sent = json_array();
    size_t bad = 0;

    for (size_t i = 0; i < tq_count(tr) && sent != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        char *code = NULL, *state = NULL;
        size_t r = TQ_NONE;
        if (tq_is(ex, "authorize", NULL)) {
            char *s = form_param(tq_query_form, ex, "state");
            if (s != NULL) {
                json_array_append_new(sent, json_string(s));
            }
            free(s);
            code = form_param(tq_location_form, ex, "code");
            state = form_param(tq_location_form, ex, "state");
        } else if (strcmp(tq_server(ex), "browser") == 0) {
            code = form_param(tq_query_form, ex, "code");
            state = form_param(tq_query_form, ex, "state");
        }
        if (code != NULL && forged(sent, state)) {
            bad++;
            hc_evidence(out, tr, i);
            r = hc_redeemed_at(tr, i + 1, code);
        }
        free(code);
        free(state);
        if (r != TQ_NONE) {
            hc_evidence(out, tr, r);
            hc_verdict(out, HC_FAILURE,
                       "a callback (seq %zu) carried a state the client never "
                       "sent, yet its code was redeemed (seq %zu)",
                       hc_seq_of(tr, i), hc_seq_of(tr, r));
            json_decref(sent);
            return;
        }
    }
    json_decref(sent);
    if (bad == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no callback carried a state the client had not sent");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "none of %zu callback(s) with a foreign state was redeemed",
               bad);
}

/* --- redirect URI and code ------------------------------------------------ */

void hc_check_redirect_uri_consistent(const struct hc_input *in,
                                      struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f, q;
        const char *code, *want, *got;
        size_t a;
        bool ok = true;
        ac_form_init(&q);
        if (hc_token_form(tr, i, &f) &&
            (code = ac_form_get(&f, "code")) != NULL &&
            (a = hc_issued_by(tr, code)) != TQ_NONE &&
            tq_query_form(tq_at(tr, a), &q, NULL) &&
            (want = ac_form_get(&q, "redirect_uri")) != NULL) {
            n++;
            hc_evidence(out, tr, i);
            got = ac_form_get(&f, "redirect_uri");
            ok = got != NULL && strcmp(got, want) == 0;
            if (!ok) {
                hc_evidence(out, tr, a);
                hc_verdict(out, HC_FAILURE,
                           "token request (seq %zu) %s the redirect_uri of the "
                           "authorization request (seq %zu)",
                           hc_seq_of(tr, i),
                           got == NULL ? "omitted" : "changed",
                           hc_seq_of(tr, a));
            }
        }
        ac_form_free(&f);
        ac_form_free(&q);
        if (!ok) {
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token request redeeming an issued code");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu code redemption(s) repeated the authorization "
               "request's redirect_uri (RFC 6749 §4.1.3)",
               n);
}

void hc_check_redirect_uri_loopback_ip(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        char *ru = form_param(tq_query_form, tq_at(tr, i), "redirect_uri");
        struct ac_url u;
        bool bad = false;
        if (ru != NULL && ac_url_parse(ru, &u, NULL)) {
            /* RFC 8252 §8.3: "localhost" is NOT RECOMMENDED; §7.3 wants
             * the loopback IP literal. */
            bad = strcmp(u.scheme, "http") == 0 &&
                  strcmp(u.host, "127.0.0.1") != 0 &&
                  strcmp(u.host, "::1") != 0;
            ac_url_free(&u);
        }
        n++;
        hc_evidence(out, tr, i);
        free(ru);
        if (bad) {
            hc_verdict(out, HC_FAILURE,
                       "authorization request (seq %zu): an http redirect_uri "
                       "not on the loopback IP literal 127.0.0.1 or [::1]",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "authorization request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu authorization request(s) used a loopback IP literal "
               "(or https / private-use) redirect URI",
               n);
}

/* Was this token request answered 400 use_dpop_nonce? */
static bool nonce_demanded(const json_t *ex)
{
    json_t *body = tq_status(ex) == 400 ? tq_resp_json(ex) : NULL;
    const char *e = ac_json_str(body, "error");
    bool yes = e != NULL && strcmp(e, "use_dpop_nonce") == 0;

    json_decref(body);
    return yes;
}

void hc_check_code_single_use(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *seen = json_array();
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE && seen;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        const char *code;
        bool dup = false;
        if (hc_token_form(tr, i, &f) &&
            (code = ac_form_get(&f, "code")) != NULL) {
            n++;
            hc_evidence(out, tr, i);
            dup = ac_json_array_has_str(seen, code);
            /* RFC 9449 §8: a request answered use_dpop_nonce did not use
             * the code; the client must retry it with the nonce. */
            if (!nonce_demanded(tq_at(tr, i))) {
                json_array_append_new(seen, json_string(code));
            }
        }
        ac_form_free(&f);
        if (dup) {
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu) redeemed an authorization code "
                       "a second time",
                       hc_seq_of(tr, i));
            json_decref(seen);
            return;
        }
    }
    json_decref(seen);
    if (n == 0) {
        hc_missing(in, out, "authorization_code token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "each of %zu authorization code(s) was "
               "redeemed once",
               n);
}

/* The redirect_uris registered for `client_id` at server `s` before index
 * `at` (the last registration response naming it), borrowed from `*doc`
 * (a new reference the caller frees), or NULL when unknown. */
static const json_t *registered_uris(const json_t *tr, const char *s,
                                     const char *client_id, size_t at,
                                     json_t **doc)
{
    const json_t *uris = NULL;

    *doc = NULL;
    for (size_t i = tq_next(tr, 0, "register", "POST"); i != TQ_NONE && i < at;
         i = tq_next(tr, i + 1, "register", "POST")) {
        const json_t *ex = tq_at(tr, i);
        json_t *d;
        if (strcmp(tq_server(ex), s) != 0 || tq_status(ex) != 201 ||
            (d = tq_resp_json(ex)) == NULL) {
            continue;
        }
        if (ac_json_str(d, "client_id") != NULL &&
            strcmp(ac_json_str(d, "client_id"), client_id) == 0) {
            json_decref(*doc);
            *doc = d;
            uris = json_object_get(d, "redirect_uris");
        } else {
            json_decref(d);
        }
    }
    return uris;
}

void hc_check_redirect_uri_registered(const struct hc_input *in,
                                      struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        char *cid = form_param(tq_query_form, tq_at(tr, i), "client_id");
        char *ru = form_param(tq_query_form, tq_at(tr, i), "redirect_uri");
        json_t *doc = NULL;
        const json_t *uris =
            cid != NULL
                ? registered_uris(tr, tq_server(tq_at(tr, i)), cid, i, &doc)
                : NULL;
        bool bad =
            uris != NULL && (ru == NULL || !ac_json_array_has_str(uris, ru));
        if (uris != NULL) {
            n++;
            hc_evidence(out, tr, i);
        }
        json_decref(doc);
        free(cid);
        free(ru);
        if (bad) {
            hc_verdict(out, HC_FAILURE,
                       "authorization request (seq %zu) used a redirect_uri "
                       "its registration does not list (RFC 6749 §3.1.2.2)",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization request by a dynamically registered "
                   "client");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu authorization request(s) used a redirect_uri their "
               "registration lists",
               n);
}

/* --- authorization error responses ------------------------------------- */

/* The error_description of callback hop `ex` (the browser delivering an
 * authorization response to the client) when it carries `error`: a new
 * string ("" without a description), NULL when the hop carries no error. */
static char *hop_error(const json_t *ex)
{
    struct ac_form q;
    char *desc = NULL;

    if (tq_query_form(ex, &q, NULL) && ac_form_get(&q, "error") != NULL) {
        const char *d = ac_form_get(&q, "error_description");
        desc = strdup(d != NULL ? d : "");
    }
    ac_form_free(&q);
    return desc;
}

/* Is the first authorization_code token request after index `from`
 * earlier than the next authorization request (one redeeming the code of
 * a response that was an error)? Its index, else TQ_NONE. */
static size_t token_before_next_authz(const json_t *tr, size_t from)
{
    for (size_t i = from; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        struct ac_form f;
        bool code_grant;
        if (tq_is(ex, "authorize", NULL)) {
            return TQ_NONE;
        }
        if (!tq_is(ex, "token", "POST")) {
            continue;
        }
        code_grant =
            hc_token_form(tr, i, &f) && ac_form_get(&f, "grant_type") != NULL &&
            strcmp(ac_form_get(&f, "grant_type"), "authorization_code") == 0;
        ac_form_free(&f);
        if (code_grant) {
            return i;
        }
    }
    return TQ_NONE;
}

/* RFC 6749 §4.1.2.1: an error response ends the authorization. Judged on
 * what reached the client's callback (browser hops): no code redemption
 * follows before a new authorization request, and the client's callback
 * page does not echo an error_description holding markup verbatim
 * (RFC 6749 §10.14 treats it as attacker-influenced text). */
void hc_check_authorization_error_handled(const struct hc_input *in,
                                          struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "hop", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "hop", NULL)) {
        const json_t *ex = tq_at(tr, i);
        char *desc = hop_error(ex);
        const char *page = tq_resp_body(ex);
        size_t t;
        bool bad = false;
        if (desc == NULL) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        t = token_before_next_authz(tr, i + 1);
        if (t != TQ_NONE) {
            bad = true;
            hc_evidence(out, tr, t);
            hc_verdict(out, HC_FAILURE,
                       "after the error response delivered at seq %zu the "
                       "client still sent a code redemption (seq %zu)",
                       hc_seq_of(tr, i), hc_seq_of(tr, t));
        } else if (strchr(desc, '<') != NULL && page != NULL &&
                   strstr(page, desc) != NULL) {
            bad = true;
            hc_verdict(out, HC_FAILURE,
                       "the client's callback page (seq %zu) echoes the "
                       "error_description's markup unescaped",
                       hc_seq_of(tr, i));
        }
        free(desc);
        if (bad) {
            return;
        }
    }
    if (n == 0) {
        hc_missing_fact(in, out,
                        "no authorization error response reached the "
                        "client's callback");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu authorization error response(s) reached the client: no "
               "code redemption followed, no markup echoed",
               n);
}

/* --- state sent and round-tripped ----------------------------------- */

/* state: present, at least STATE_MIN_CHARS long, not reused. The length
 * rule is a proxy for entropy we cannot measure: 16 random bytes (128
 * bits, RFC 6749 §10.10 asks for a guess probability <= 2^-128 for
 * credentials, and state binds the browser session) are 22 base64url
 * characters. A hex-encoded 16 bytes (32 chars) passes too. */
#define STATE_MIN_CHARS 22

static bool state_ok(const struct hc_input *in, size_t i,
                     const struct ac_form *q, char *why, size_t n)
{
    (void)i;
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

    hc_every_authz(in, out, state_ok,
                   "carried a state of at least 22 characters");
    if (out->status != HC_SUCCESS || seen == NULL) {
        goto out;
    }
    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form q;
        const char *s;

        if (!tq_query_form(tq_at(tr, i), &q, NULL)) {
            ac_form_free(&q);
            continue; /* cannot happen: hc_every_authz parsed it */
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
