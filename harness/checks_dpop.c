/* DPoP checks (RFC 9449; MCP authorization extension "DPoP Profile for
 * MCP", ext-auth dpop-extension): proofs on token requests, the DPoP
 * scheme for bound tokens (no Bearer downgrade), a fresh proof per
 * request, ath and content_digest, and the servers' nonces honoured.
 * Each applies only when some server of the scenario has "dpop". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dpop.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "common/redact.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

/* Does the scenario turn DPoP on at an authorization server? */
static bool dpop_scenario(const struct hc_input *in)
{
    size_t i;
    const json_t *as;

    json_array_foreach(json_object_get(in->scenario, "authorization_servers"),
                       i, as)
    {
        if (json_is_object(json_object_get(as, "dpop"))) {
            return true;
        }
    }
    return false;
}

/* Skip a check outside DPoP scenarios. True when skipped. */
static bool skip_unless_dpop(const struct hc_input *in, struct hc_result *out)
{
    if (dpop_scenario(in)) {
        return false;
    }
    hc_verdict(out, HC_SKIPPED, "no server of the scenario offers DPoP");
    return true;
}

/* The claims of the request's DPoP proof (unverified: the mocks verified
 * it; the checks judge the client's intent). New reference or NULL. */
static json_t *proof_claims(const json_t *ex, json_t **hdr)
{
    const char *p = tq_req_header(ex, "DPoP");
    json_t *h = NULL, *cl = NULL;

    if (p == NULL || !ac_jwt_peek_unverified(p, &h, &cl, NULL)) {
        h = NULL;
        cl = NULL;
    }
    if (hdr != NULL) {
        *hdr = h;
    } else {
        json_decref(h);
    }
    return cl;
}

/* The token of "Authorization: DPoP <token>", new string or NULL. */
static char *dpop_token_of(const json_t *ex)
{
    const char *a = tq_req_header(ex, "Authorization");

    if (a == NULL || strncasecmp(a, "DPoP ", 5) != 0) {
        return NULL;
    }
    a += 5 + strspn(a + 5, " ");
    return *a != '\0' ? strdup(a) : NULL;
}

/* The URL without query: what htu must be (RFC 9449 §4.2). */
static bool htu_matches(const json_t *ex, const char *htu)
{
    const char *url = tq_url(ex);
    size_t n = url != NULL ? strcspn(url, "?#") : 0;

    return url != NULL && htu != NULL && strlen(htu) == n &&
           strncmp(url, htu, n) == 0;
}

/* Why the token request's proof is not a proof, or NULL when it is. */
static const char *token_proof_fault(const json_t *ex)
{
    json_t *hdr = NULL, *cl = proof_claims(ex, &hdr);
    const char *why = NULL;
    const char *typ = ac_json_str(hdr, "typ");

    if (tq_req_header(ex, "DPoP") == NULL) {
        why = "carried no DPoP header";
    } else if (cl == NULL) {
        why = "carried a DPoP header that is not a JWS";
    } else if (typ == NULL || strcmp(typ, "dpop+jwt") != 0 ||
               !json_is_object(json_object_get(hdr, "jwk"))) {
        why = "carried a proof without typ dpop+jwt and a jwk";
    } else if (ac_json_str(cl, "htm") == NULL ||
               strcmp(ac_json_str(cl, "htm"), "POST") != 0 ||
               !htu_matches(ex, ac_json_str(cl, "htu"))) {
        why = "carried a proof whose htm/htu is not POST and the token "
              "endpoint";
    }
    json_decref(hdr);
    json_decref(cl);
    return why;
}

void hc_check_dpop_token_proof(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (skip_unless_dpop(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        const char *why = token_proof_fault(tq_at(tr, i));

        n++;
        hc_evidence(out, tr, i);
        if (why != NULL) {
            hc_verdict(out, HC_FAILURE, "token request (seq %zu) %s",
                       hc_seq_of(tr, i), why);
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu token request(s) carried a DPoP proof for POST at "
               "the token endpoint",
               n);
}

/* Access tokens issued with token_type DPoP up to index `upto`. */
static void bound_tokens(const json_t *tr, size_t upto, json_t *acc)
{
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE && i < upto;
         i = tq_next(tr, i + 1, "token", "POST")) {
        json_t *doc =
            tq_status(tq_at(tr, i)) == 200 ? tq_resp_json(tq_at(tr, i)) : NULL;
        const char *tt = ac_json_str(doc, "token_type");
        const char *at = ac_json_str(doc, "access_token");

        if (tt != NULL && at != NULL && strcasecmp(tt, "DPoP") == 0 &&
            !ac_json_array_has_str(acc, at)) {
            json_array_append_new(acc, json_string(at));
        }
        json_decref(doc);
    }
}

/* The token an MCP request presents with either scheme, new or NULL. */
static char *presented_token(const json_t *ex, bool *dpop_scheme)
{
    const char *a = tq_req_header(ex, "Authorization");
    size_t len = 0;
    const char *b = tq_bearer_token(a, &len);

    *dpop_scheme = false;
    if (b != NULL) {
        return strndup(b, len);
    }
    *dpop_scheme = true;
    return dpop_token_of(ex);
}

void hc_check_dpop_scheme(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *bound = json_array();
    size_t used = 0;

    if (skip_unless_dpop(in, out) || bound == NULL) {
        json_decref(bound);
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", NULL)) {
        const json_t *ex = tq_at(tr, i);
        bool scheme;
        char *tok;

        json_array_clear(bound);
        bound_tokens(tr, i, bound);
        tok = presented_token(ex, &scheme);
        if (tok == NULL || !ac_json_array_has_str(bound, tok)) {
            free(tok);
            continue;
        }
        free(tok);
        used++;
        hc_evidence(out, tr, i);
        if (!scheme || tq_req_header(ex, "DPoP") == NULL) {
            hc_verdict(out, HC_FAILURE,
                       "MCP request (seq %zu) presented a DPoP-bound token %s",
                       hc_seq_of(tr, i),
                       scheme ? "without a DPoP proof"
                              : "with the Bearer scheme (RFC 9449 §7.1: "
                                "the DPoP scheme)");
            json_decref(bound);
            return;
        }
    }
    json_decref(bound);
    if (used == 0) {
        hc_missing_fact(in, out,
                        "no MCP request presented a DPoP-bound access token");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu MCP request(s) with a DPoP-bound token used "
               "\"Authorization: DPoP\" and a DPoP proof",
               used);
}

/* RFC 7638 thumbprint of the request's proof key, new string or NULL. */
static char *proof_jkt(const json_t *ex)
{
    json_t *hdr = NULL, *cl = proof_claims(ex, &hdr);
    const json_t *jwk = json_object_get(hdr, "jwk");
    char *jkt = json_is_object(jwk) ? ac_jwk_thumbprint(jwk, NULL) : NULL;

    json_decref(hdr);
    json_decref(cl);
    return jkt;
}

/* Remember which key the tokens of a DPoP token response are bound to. */
static void note_binding(const json_t *ex, json_t *bind)
{
    json_t *doc = tq_status(ex) == 200 ? tq_resp_json(ex) : NULL;
    const char *tt = ac_json_str(doc, "token_type");
    char *jkt =
        tt != NULL && strcasecmp(tt, "DPoP") == 0 ? proof_jkt(ex) : NULL;

    if (jkt != NULL) {
        const char *at = ac_json_str(doc, "access_token");
        const char *rt = ac_json_str(doc, "refresh_token");

        if (at != NULL) {
            json_object_set_new(bind, at, json_string(jkt));
        }
        if (rt != NULL) {
            json_object_set_new(bind, rt, json_string(jkt));
        }
    }
    free(jkt);
    json_decref(doc);
}

/* The bound token a request presents: the DPoP-scheme access token, or a
 * refresh request's refresh_token. New string or NULL. */
static char *presented_bound(const json_t *ex)
{
    struct ac_form f;
    char *rt = NULL;

    if (tq_is(ex, "mcp", NULL)) {
        return dpop_token_of(ex);
    }
    if (!tq_is(ex, "token", "POST")) {
        return NULL;
    }
    if (tq_body_form(ex, &f, NULL)) {
        const char *gt = ac_form_get(&f, "grant_type");

        if (gt != NULL && strcmp(gt, "refresh_token") == 0 &&
            ac_form_get(&f, "refresh_token") != NULL) {
            rt = strdup(ac_form_get(&f, "refresh_token"));
        }
    }
    ac_form_free(&f);
    return rt;
}

void hc_check_dpop_key_binding(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *bind = json_object();
    size_t n = 0;

    if (skip_unless_dpop(in, out) || bind == NULL) {
        json_decref(bind);
        return;
    }
    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        char *tok = presented_bound(ex);
        const char *want = tok != NULL ? ac_json_str(bind, tok) : NULL;
        char *have = want != NULL ? proof_jkt(ex) : NULL;
        bool bad = want != NULL && (have == NULL || strcmp(have, want) != 0);

        n += want != NULL;
        free(tok);
        free(have);
        if (bad) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "request (seq %zu) presented a DPoP-bound token with a "
                       "proof of another key than the one it is bound to "
                       "(RFC 9449 §7.1; a restarted client must keep its key)",
                       hc_seq_of(tr, i));
            json_decref(bind);
            return;
        }
        if (tq_is(ex, "token", "POST")) {
            note_binding(ex, bind);
        }
    }
    json_decref(bind);
    if (n == 0) {
        hc_missing_fact(in, out, "no request presented a DPoP-bound token");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu presentation(s) of DPoP-bound tokens were proven "
               "with the key they are bound to",
               n);
}

void hc_check_dpop_fresh_proof(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *seen = json_object();
    size_t n = 0;

    if (skip_unless_dpop(in, out) || seen == NULL) {
        json_decref(seen);
        return;
    }
    for (size_t i = 0; i < tq_count(tr); i++) {
        json_t *cl = proof_claims(tq_at(tr, i), NULL);
        const char *jti = ac_json_str(cl, "jti");
        const json_t *first = jti != NULL ? json_object_get(seen, jti) : NULL;

        if (cl != NULL) {
            n++;
        }
        if (first != NULL) {
            hc_evidence(out, tr, (size_t)json_integer_value(first));
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "the DPoP proof of seq %zu reuses the jti of seq %zu "
                       "(RFC 9449 §4.2, §11.1: a fresh proof per request)",
                       hc_seq_of(tr, i),
                       hc_seq_of(tr, (size_t)json_integer_value(first)));
            json_decref(cl);
            json_decref(seen);
            return;
        }
        if (jti != NULL) {
            json_object_set_new(seen, jti, json_integer((json_int_t)i));
        }
        json_decref(cl);
    }
    json_decref(seen);
    if (n == 0) {
        hc_missing(in, out, "request with a DPoP proof");
        return;
    }
    hc_verdict(out, HC_SUCCESS, "%zu DPoP proof(s), every jti unique", n);
}

/* What one MCP request's proof must bind: ath (RFC 9449 §4.2) when
 * `digest` is false, else the MCP profile's content_digest. NULL: fine. */
static const char *binding_fault(const json_t *ex, const char *tok, bool digest)
{
    json_t *cl = proof_claims(ex, NULL);
    const char *body = tq_req_body(ex);
    const char *name = digest ? "content_digest" : "ath";
    char *want =
        digest ? ac_dpop_content_digest(body, body != NULL ? strlen(body) : 0)
               : ac_dpop_ath(tok);
    const char *have = ac_json_str(cl, name);
    const char *why = NULL;

    if (cl == NULL) {
        why = "carried no readable DPoP proof";
    } else if (have == NULL) {
        why = digest ? "has a proof without content_digest"
                     : "has a proof without ath";
    } else if (want == NULL || strcmp(have, want) != 0) {
        why = digest ? "has a content_digest that is not the SHA-256 of "
                       "its body"
                     : "has an ath that is not the hash of the access token";
    }
    json_decref(cl);
    free(want);
    return why;
}

static void check_binding(const struct hc_input *in, struct hc_result *out,
                          bool digest)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    if (skip_unless_dpop(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "mcp", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", "POST")) {
        char *tok = dpop_token_of(tq_at(tr, i));
        const char *why = tok != NULL && tq_req_header(tq_at(tr, i), "DPoP")
                              ? binding_fault(tq_at(tr, i), tok, digest)
                              : NULL;

        n += tok != NULL && tq_req_header(tq_at(tr, i), "DPoP") != NULL;
        free(tok);
        if (why != NULL) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE, "MCP request (seq %zu) %s",
                       hc_seq_of(tr, i), why);
            return;
        }
    }
    if (n == 0) {
        hc_missing_fact(in, out,
                        "no MCP request presented a token with a DPoP proof");
        return;
    }
    hc_verdict(out, HC_SUCCESS, "all %zu DPoP proof(s) to the MCP server %s", n,
               digest ? "carried the content_digest of their body"
                      : "carried the ath of the presented token");
}

void hc_check_dpop_ath(const struct hc_input *in, struct hc_result *out)
{
    check_binding(in, out, false);
}

void hc_check_dpop_content_digest(const struct hc_input *in,
                                  struct hc_result *out)
{
    check_binding(in, out, true);
}

/* Did exchange `ex` ask for a DPoP nonce (RFC 9449 §8 at the token
 * endpoint: 400 use_dpop_nonce; §9 at a resource: 401 with a DPoP
 * challenge error="use_dpop_nonce")? */
static bool nonce_demanded(const json_t *ex, bool as)
{
    const char *w = tq_resp_header(ex, "WWW-Authenticate");
    char *err = NULL;
    bool yes;

    if (tq_resp_header(ex, "DPoP-Nonce") == NULL) {
        return false;
    }
    if (!as) {
        return tq_status(ex) == 401 && w != NULL &&
               strstr(w, "use_dpop_nonce") != NULL;
    }
    err = tq_status(ex) == 400 ? hc_resp_member(ex, "error") : NULL;
    yes = err != NULL && strcmp(err, "use_dpop_nonce") == 0;
    free(err);
    return yes;
}

static void check_nonce(const struct hc_input *in, struct hc_result *out,
                        bool as)
{
    const json_t *tr = in->transcript;
    const char *ep = as ? "token" : "mcp";
    const char *nonce = NULL; /* the last DPoP-Nonce the server sent */
    size_t demands = 0;

    if (skip_unless_dpop(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, ep, NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, ep, NULL)) {
        const json_t *ex = tq_at(tr, i);
        json_t *cl = nonce != NULL ? proof_claims(ex, NULL) : NULL;
        const char *have = ac_json_str(cl, "nonce");
        bool stale = cl != NULL && (have == NULL || strcmp(have, nonce) != 0);

        json_decref(cl);
        if (stale && demands > 0) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "%s request (seq %zu) after the server asked for a "
                       "DPoP nonce carried %s",
                       as ? "token" : "MCP", hc_seq_of(tr, i),
                       have == NULL ? "no nonce" : "another nonce");
            return;
        }
        if (nonce_demanded(ex, as)) {
            demands++;
            hc_evidence(out, tr, i);
            if (tq_next(tr, i + 1, ep, NULL) == TQ_NONE) {
                hc_verdict(out, HC_FAILURE,
                           "the client never retried after use_dpop_nonce "
                           "(seq %zu)",
                           hc_seq_of(tr, i));
                return;
            }
        }
        if (tq_resp_header(ex, "DPoP-Nonce") != NULL) {
            nonce = tq_resp_header(ex, "DPoP-Nonce");
        }
    }
    if (demands == 0) {
        hc_missing_fact(in, out,
                        as ? "the token endpoint never asked for a DPoP nonce"
                           : "the MCP server never asked for a DPoP nonce");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after %zu use_dpop_nonce answer(s), every proof carried the "
               "server's latest nonce",
               demands);
}

void hc_check_dpop_as_nonce(const struct hc_input *in, struct hc_result *out)
{
    check_nonce(in, out, true);
}

void hc_check_dpop_rs_nonce(const struct hc_input *in, struct hc_result *out)
{
    check_nonce(in, out, false);
}
