/* Enterprise-managed authorization checks (MCP authorization extension
 * "Enterprise-Managed Authorization", SEP-990; RFC 8693 token exchange
 * at the enterprise IdP, the ID-JAG presented with the RFC 7523 JWT
 * bearer grant): the exchange's parameters, the ID-JAG used only at the
 * authorization server it names and only while valid, and no fallback
 * when the IdP refuses. Each applies only when the scenario has an
 * "enterprise_idp". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/json.h"
#include "common/jwt.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

#define GRANT_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define TT_ID_JAG "urn:ietf:params:oauth:token-type:id-jag"
#define TT_ID_TOKEN "urn:ietf:params:oauth:token-type:id_token"
#define IDP_TOKEN "idp-token"

static bool skip_unless_ema(const struct hc_input *in, struct hc_result *out)
{
    if (json_is_object(json_object_get(in->scenario, "enterprise_idp"))) {
        return false;
    }
    hc_verdict(out, HC_SKIPPED, "the scenario has no enterprise IdP");
    return true;
}

static bool str_is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* Is `aud` the issuer of some AS whose metadata the client read (with or
 * without a trailing "/", ID-JAG draft §4.3 example)? */
static bool is_as_issuer(const json_t *tr, const char *aud)
{
    static const char *const eps[] = {"metadata", "oidc", NULL};

    for (size_t k = 0; eps[k] != NULL && aud != NULL; k++) {
        for (size_t i = tq_next(tr, 0, eps[k], "GET"); i != TQ_NONE;
             i = tq_next(tr, i + 1, eps[k], "GET")) {
            json_t *md = tq_resp_json(tq_at(tr, i));
            const char *iss = ac_json_str(md, "issuer");
            size_t n = iss != NULL ? strlen(iss) : 0;
            bool same = iss != NULL && strncmp(aud, iss, n) == 0 &&
                        (aud[n] == '\0' || strcmp(aud + n, "/") == 0);

            json_decref(md);
            if (same) {
                return true;
            }
        }
    }
    return false;
}

/* What is wrong with the token exchange of exchange `i`, or NULL. */
static const char *exchange_fault(const json_t *tr, size_t i)
{
    struct ac_form f;
    json_t *prm = hc_prm_doc(tr);
    const char *res = ac_json_str(prm, "resource");
    const char *why = NULL;

    if (!tq_body_form(tq_at(tr, i), &f, NULL)) {
        why = "has a body that is not a form";
    } else if (!str_is(ac_form_get(&f, "grant_type"), GRANT_TOKEN_EXCHANGE)) {
        why = "does not use grant_type "
              "urn:ietf:params:oauth:grant-type:token-exchange";
    } else if (!str_is(ac_form_get(&f, "requested_token_type"), TT_ID_JAG)) {
        why = "does not ask for requested_token_type "
              "urn:ietf:params:oauth:token-type:id-jag";
    } else if (!str_is(ac_form_get(&f, "subject_token_type"), TT_ID_TOKEN) ||
               ac_form_get(&f, "subject_token") == NULL) {
        why = "does not carry an ID token as subject_token (subject_token_type "
              "urn:ietf:params:oauth:token-type:id_token)";
    } else if (!is_as_issuer(tr, ac_form_get(&f, "audience"))) {
        why = "has an audience that is not the issuer of the MCP server's "
              "authorization server";
    } else if (ac_form_get(&f, "resource") != NULL && res != NULL &&
               strcmp(ac_form_get(&f, "resource"), res) != 0) {
        why = "has a resource that is not the MCP server's resource "
              "identifier (RFC 9728)";
    }
    ac_form_free(&f);
    json_decref(prm);
    return why;
}

void hc_check_ema_token_exchange(const struct hc_input *in,
                                 struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (skip_unless_ema(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, IDP_TOKEN, "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, IDP_TOKEN, "POST")) {
        const char *why = exchange_fault(tr, i);

        n++;
        hc_evidence(out, tr, i);
        if (why != NULL) {
            hc_verdict(out, HC_FAILURE,
                       "the token exchange at the IdP (seq %zu) %s",
                       hc_seq_of(tr, i), why);
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token exchange at the enterprise IdP");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu token exchange(s): ID token for an ID-JAG, audience the "
               "authorization server's issuer",
               n);
}

/* The ID-JAGs the IdP issued (access_token of its 200 answers): a new
 * array of strings. */
static json_t *issued_jags(const json_t *tr)
{
    json_t *jags = json_array();

    for (size_t i = tq_next(tr, 0, IDP_TOKEN, "POST");
         jags != NULL && i != TQ_NONE;
         i = tq_next(tr, i + 1, IDP_TOKEN, "POST")) {
        char *jag = tq_status(tq_at(tr, i)) == 200
                        ? hc_resp_member(tq_at(tr, i), "access_token")
                        : NULL;
        if (jag != NULL) {
            json_array_append_new(jags, json_string(jag));
        }
        free(jag);
    }
    return jags;
}

/* The jwt-bearer assertion of AS token request `i`, new string or NULL. */
static char *bearer_assertion(const json_t *tr, size_t i)
{
    struct ac_form f;
    char *a = NULL;

    if (hc_token_form(tr, i, &f) &&
        str_is(ac_form_get(&f, "grant_type"), GRANT_JWT_BEARER) &&
        ac_form_get(&f, "assertion") != NULL) {
        a = strdup(ac_form_get(&f, "assertion"));
    }
    ac_form_free(&f);
    return a;
}

/* Does exchange `ex`'s request (headers or body) carry `s`? */
static bool request_carries(const json_t *ex, const char *s)
{
    const char *body = tq_req_body(ex);
    const char *auth = tq_req_header(ex, "Authorization");
    const char *url = tq_url(ex);

    return (body != NULL && strstr(body, s) != NULL) ||
           (auth != NULL && strstr(auth, s) != NULL) || strstr(url, s) != NULL;
}

/* The first exchange, other than an AS token request, whose request
 * carries one of `jags`, or TQ_NONE. */
static size_t jag_leak(const json_t *tr, const json_t *jags)
{
    size_t k;
    const json_t *j;

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        if (tq_is(ex, "token", "POST") || tq_is(ex, IDP_TOKEN, NULL)) {
            continue;
        }
        json_array_foreach(jags, k, j)
        {
            if (request_carries(ex, json_string_value(j))) {
                return i;
            }
        }
    }
    return TQ_NONE;
}

void hc_check_ema_jag_audience(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *jags;
    size_t sent = 0, leak;

    if (skip_unless_ema(in, out)) {
        return;
    }
    jags = issued_jags(tr);
    if (json_array_size(jags) == 0) {
        json_decref(jags);
        hc_missing_fact(in, out, "the IdP issued no ID-JAG");
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        char *a = bearer_assertion(tr, i);
        bool bad = a != NULL && !hc_assertion_aud_ok(tr, i, a);

        sent += a != NULL;
        free(a);
        if (bad) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu) presented an ID-JAG whose aud "
                       "is not that authorization server: aud and resource "
                       "are a bound pair naming where it may be used",
                       hc_seq_of(tr, i));
            json_decref(jags);
            return;
        }
    }
    leak = jag_leak(tr, jags);
    json_decref(jags);
    if (leak != TQ_NONE) {
        hc_evidence(out, tr, leak);
        hc_verdict(out, HC_FAILURE,
                   "an ID-JAG was sent to %s (%s, seq %zu), not to the "
                   "authorization server's token endpoint",
                   tq_server(tq_at(tr, leak)), tq_endpoint(tq_at(tr, leak)),
                   hc_seq_of(tr, leak));
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu ID-JAG presentation(s), each to the authorization server "
               "its aud names, and nowhere else",
               sent);
}

/* Is `jwt` expired by its own claims (exp not after iat)? */
static bool born_expired(const char *jwt)
{
    json_t *hdr = NULL, *cl = NULL;
    bool bad = false;

    if (ac_jwt_peek_unverified(jwt, &hdr, &cl, NULL)) {
        const json_t *exp = json_object_get(cl, "exp");
        const json_t *iat = json_object_get(cl, "iat");
        bad = !json_is_integer(exp) ||
              (json_is_integer(iat) &&
               json_integer_value(exp) <= json_integer_value(iat));
    }
    json_decref(hdr);
    json_decref(cl);
    return bad;
}

void hc_check_ema_jag_expiry(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *jags;
    size_t sent = 0;

    if (skip_unless_ema(in, out)) {
        return;
    }
    jags = issued_jags(tr);
    if (json_array_size(jags) == 0) {
        json_decref(jags);
        hc_missing_fact(in, out, "the IdP issued no ID-JAG");
        return;
    }
    json_decref(jags);
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        char *a = bearer_assertion(tr, i);
        bool bad = a != NULL &&
                   (born_expired(a) || hc_answer_says_expired(tq_at(tr, i)));

        sent += a != NULL;
        free(a);
        if (bad) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu) presented an ID-JAG outside "
                       "its validity window (exp)",
                       hc_seq_of(tr, i));
            return;
        }
    }
    hc_verdict(out, HC_SUCCESS, "%zu ID-JAG presentation(s), none expired",
               sent);
}

/* The first refused exchange at the IdP, or TQ_NONE. */
static size_t idp_refusal(const json_t *tr)
{
    for (size_t i = tq_next(tr, 0, IDP_TOKEN, "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, IDP_TOKEN, "POST")) {
        if (tq_status(tq_at(tr, i)) >= 400) {
            return i;
        }
    }
    return TQ_NONE;
}

/* After the refusal at `r`: a JWT bearer grant, a user's grant, or the
 * same exchange again? The index, or TQ_NONE; *what says which. */
static size_t after_refusal(const json_t *tr, size_t r, const char **what)
{
    const char *body = tq_req_body(tq_at(tr, r));
    size_t user = hc_user_grant_at(tr);

    if (user != TQ_NONE) {
        *what = "started a user's grant (registration, authorization "
                "request or code)";
        return user;
    }
    for (size_t i = r + 1; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        char *a = tq_is(ex, "token", "POST") ? bearer_assertion(tr, i) : NULL;
        bool bearer = a != NULL;

        free(a);
        if (bearer) {
            *what = "sent a JWT bearer grant without an ID-JAG from the IdP";
            return i;
        }
        if (tq_is(ex, IDP_TOKEN, "POST") && body != NULL &&
            ac_json_str(ex, "url") != NULL && tq_req_body(ex) != NULL &&
            strcmp(tq_req_body(ex), body) == 0) {
            *what = "sent the refused token exchange again unchanged";
            return i;
        }
    }
    return TQ_NONE;
}

void hc_check_ema_no_fallback(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *what = NULL;
    size_t r, at;

    if (skip_unless_ema(in, out)) {
        return;
    }
    r = idp_refusal(tr);
    if (r == TQ_NONE) {
        hc_missing_fact(in, out, "the IdP refused no token exchange");
        return;
    }
    hc_evidence(out, tr, r);
    at = after_refusal(tr, r, &what);
    if (at != TQ_NONE) {
        hc_evidence(out, tr, at);
        hc_verdict(out, HC_FAILURE,
                   "after the IdP refused the exchange (seq %zu) the client "
                   "%s (seq %zu)",
                   hc_seq_of(tr, r), what, hc_seq_of(tr, at));
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after the IdP refused the exchange (seq %zu) the client "
               "stopped: no retry, no other grant",
               hc_seq_of(tr, r));
}
