/* Registration and client authentication checks: what a client sends to
 * the RFC 7591 registration endpoint, which registration mechanism it
 * picks (pre-registered, CIMD, DCR), how it authenticates at the token
 * endpoint, and that it keeps client credentials bound to the
 * authorization server that issued them (SEP-2352) and recovers from a
 * server that forgot it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jwt.h"
#include "common/json.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* Visit every registration request body; `fn` returns false (with out
 * set) to stop. Returns the number visited, or SIZE_MAX when stopped. */
typedef bool (*reg_fn)(const json_t *tr, size_t i, const json_t *body,
                       struct hc_result *out);

static size_t each_registration(const json_t *tr, struct hc_result *out,
                                reg_fn fn)
{
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "register", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "register", "POST")) {
        json_t *body = tq_req_json(tq_at(tr, i));
        bool go;
        n++;
        hc_evidence(out, tr, i);
        if (body == NULL) {
            hc_verdict(out, HC_FAILURE,
                       "registration request (seq %zu) has no JSON object body",
                       hc_seq_of(tr, i));
            return SIZE_MAX;
        }
        go = fn(tr, i, body, out);
        json_decref(body);
        if (!go) {
            return SIZE_MAX;
        }
    }
    return n;
}

static void finish_each(struct hc_result *out, size_t n, const char *ok)
{
    if (n == SIZE_MAX) {
        return;
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "the client made no registration request");
        return;
    }
    hc_verdict(out, HC_SUCCESS, "all %zu registration request(s) %s", n, ok);
}

/* http on a loopback host, or https (MCP: "localhost URLs or HTTPS"). */
static bool redirect_ok(const char *uri, bool *loopback)
{
    struct ac_url u;
    bool ok;

    *loopback = false;
    if (!ac_url_parse(uri, &u, NULL)) {
        return false;
    }
    *loopback = strcmp(u.scheme, "http") == 0 && ac_url_is_loopback(&u);
    ok = (*loopback || strcmp(u.scheme, "https") == 0) && u.fragment == NULL;
    ac_url_free(&u);
    return ok;
}

static bool all_loopback(const json_t *uris)
{
    size_t i;
    const json_t *u;
    bool lb = false;

    json_array_foreach(uris, i, u)
    {
        if (!json_is_string(u) || !redirect_ok(json_string_value(u), &lb) ||
            !lb) {
            return false;
        }
    }
    return json_array_size(uris) > 0;
}

static bool app_type_ok(const json_t *tr, size_t i, const json_t *body,
                        struct hc_result *out)
{
    const char *t = ac_json_str(body, "application_type");

    if (t == NULL) {
        hc_verdict(out, HC_FAILURE,
                   "registration request (seq %zu) has no application_type",
                   hc_seq_of(tr, i));
        return false;
    }
    if (all_loopback(json_object_get(body, "redirect_uris")) &&
        strcmp(t, "native") != 0) {
        hc_verdict(out, HC_FAILURE,
                   "registration request (seq %zu): application_type "
                   "\"%.20s\" with loopback redirect URIs (native expected)",
                   hc_seq_of(tr, i), t);
        return false;
    }
    return true;
}

void hc_check_dcr_application_type(const struct hc_input *in,
                                   struct hc_result *out)
{
    char rev[40];

    /* 2026-07-28 "Client Registration": "MCP clients MUST specify an
     * appropriate application_type"; earlier revisions have no such rule,
     * and a client may speak any revision the scenario covers. */
    if (hc_client_revision(in->transcript, rev, sizeof rev) &&
        strcmp(rev, "2026-07-28") < 0) {
        hc_verdict(out, HC_SKIPPED,
                   "the client speaks MCP %.20s; application_type is "
                   "required from 2026-07-28",
                   rev);
        return;
    }
    finish_each(out, each_registration(in->transcript, out, app_type_ok),
                "carried application_type (native for loopback redirects)");
}

static bool redirects_ok(const json_t *tr, size_t i, const json_t *body,
                         struct hc_result *out)
{
    const json_t *uris = json_object_get(body, "redirect_uris");
    size_t k;
    const json_t *u;
    bool lb;

    if (!json_is_array(uris) || json_array_size(uris) == 0) {
        hc_verdict(out, HC_FAILURE,
                   "registration request (seq %zu) has no redirect_uris",
                   hc_seq_of(tr, i));
        return false;
    }
    json_array_foreach(uris, k, u)
    {
        const char *s = json_string_value(u);
        if (s == NULL || !redirect_ok(s, &lb)) {
            hc_verdict(out, HC_FAILURE,
                       "registration request (seq %zu): redirect URI "
                       "\"%.120s\" is neither loopback http nor https",
                       hc_seq_of(tr, i), s != NULL ? s : "(not a string)");
            return false;
        }
    }
    return true;
}

void hc_check_dcr_redirect_uris_loopback(const struct hc_input *in,
                                         struct hc_result *out)
{
    finish_each(out, each_registration(in->transcript, out, redirects_ok),
                "registered only loopback http or https redirect URIs");
}

static bool grants_ok(const json_t *tr, size_t i, const json_t *body,
                      struct hc_result *out)
{
    if (!ac_json_array_has_str(json_object_get(body, "grant_types"),
                               "refresh_token")) {
        hc_verdict(out, HC_FAILURE,
                   "registration request (seq %zu): grant_types lacks "
                   "refresh_token",
                   hc_seq_of(tr, i));
        return false;
    }
    return true;
}

void hc_check_dcr_grant_types_refresh(const struct hc_input *in,
                                      struct hc_result *out)
{
    finish_each(out, each_registration(in->transcript, out, grants_ok),
                "listed refresh_token in grant_types");
}

static bool method_supported(const json_t *tr, size_t i, const json_t *body,
                             struct hc_result *out)
{
    json_t *md = hc_as_metadata(tr, tq_server(tq_at(tr, i)), i);
    json_t *resp = tq_resp_json(tq_at(tr, i));
    const json_t *sup =
        json_object_get(md, "token_endpoint_auth_methods_supported");
    const char *m = ac_json_str(body, "token_endpoint_auth_method");
    const char *given = ac_json_str(resp, "token_endpoint_auth_method");
    bool ok;

    /* Only a method the client names and the server kept is judged: one
     * left out, or replaced in the registration response, is the server's
     * to assign (RFC 7591 §3.2.1 lets it replace any requested value; the
     * client must then use what it was given, `token-endpoint-auth-method`
     * judges that), and the official suite accepts such clients.
     * RFC 8414 §2: no list means client_secret_basic only. */
    ok = m == NULL || (given != NULL && strcmp(given, m) != 0) ||
         (sup == NULL ? strcmp(m, "client_secret_basic") == 0
                      : ac_json_array_has_str(sup, m));
    json_decref(resp);
    json_decref(md);
    if (!ok) {
        hc_verdict(out, HC_FAILURE,
                   "registration request (seq %zu) asked for "
                   "token_endpoint_auth_method \"%.40s\", which the server "
                   "does not list as supported",
                   hc_seq_of(tr, i), m);
    }
    return ok;
}

void hc_check_dcr_auth_method_supported(const struct hc_input *in,
                                        struct hc_result *out)
{
    finish_each(out, each_registration(in->transcript, out, method_supported),
                "asked for a token endpoint auth method the server supports");
}

/* preferred_mechanism's answer for CIMD, compared by address. */
static const char CIMD_MECHANISM[] = "a client ID metadata document";

/* Does server `s` offer a registration mechanism preferred over DCR
 * (scenario `registration`, or CIMD advertised in its metadata)? */
static const char *preferred_mechanism(const struct hc_input *in, const char *s,
                                       size_t before)
{
    const json_t *ases = json_object_get(in->scenario, "authorization_servers");
    json_t *md = hc_as_metadata(in->transcript, s, before);
    bool cimd = json_is_true(
        json_object_get(md, "client_id_metadata_document_supported"));
    size_t i;
    const json_t *as;

    json_decref(md);
    json_array_foreach(ases, i, as)
    {
        const char *id = ac_json_str(as, "id");
        const json_t *reg = json_object_get(as, "registration");
        if (id == NULL || strcmp(id, s) != 0) {
            continue;
        }
        if (ac_json_array_has_str(reg, "pre") ||
            ac_json_array_has_str(reg, "pre-registration")) {
            return "pre-registration";
        }
        cimd = cimd || ac_json_array_has_str(reg, "cimd");
    }
    return cimd ? CIMD_MECHANISM : NULL;
}

/* Is `id` an http(s) URL with a path (a CIMD client_id)? */
static bool url_client_id(const char *id)
{
    struct ac_url u;
    bool ok;

    if (id == NULL || !ac_url_parse(id, &u, NULL)) {
        return false;
    }
    ok = strlen(u.path) > 1;
    ac_url_free(&u);
    return ok;
}

static bool is_cimd(const char *pref)
{
    return pref == CIMD_MECHANISM;
}

/* Where CIMD is the preferred mechanism (no pre-registration), the
 * client must also have used it: an authorization request at such a
 * server with a URL client_id. A client that registers dynamically
 * where the AS offers no DCR fails before any POST, and a client that
 * stopped before authorizing did not use CIMD either (MCP client
 * registration: pre-registered, then CIMD, then DCR). True when that
 * holds or does not apply; false with the verdict set. */
static bool cimd_was_used(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    bool wanted = false;

    for (size_t i = 0; i < tq_count(tr) && !wanted; i++) {
        const json_t *ex = tq_at(tr, i);
        wanted = (tq_is(ex, "metadata", NULL) || tq_is(ex, "oidc", NULL)) &&
                 is_cimd(preferred_mechanism(in, tq_server(ex), i + 1));
    }
    if (!wanted) {
        return true;
    }
    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        struct ac_form q;
        bool url = false;
        if (!is_cimd(preferred_mechanism(in, tq_server(tq_at(tr, i)), i))) {
            continue;
        }
        if (tq_query_form(tq_at(tr, i), &q, NULL)) {
            url = url_client_id(ac_form_get(&q, "client_id"));
        }
        ac_form_free(&q);
        hc_evidence(out, tr, i);
        if (url) {
            return true;
        }
        hc_verdict(out, HC_FAILURE,
                   "authorization request (seq %zu): the server supports "
                   "client ID metadata documents, but the client_id is not "
                   "its metadata URL",
                   hc_seq_of(tr, i));
        return false;
    }
    /* Giving up before using CIMD is the violation here, not a point
     * that was never reached: the client saw the server's support. */
    hc_required_fact(in, out,
                     "no authorization request with a client ID metadata "
                     "document URL at the server that supports CIMD was made");
    return false;
}

void hc_check_registration_priority(const struct hc_input *in,
                                    struct hc_result *out)
{
    const json_t *tr = in->transcript;
    bool applies = hc_scenario_offers(in, "pre") ||
                   hc_scenario_offers(in, "pre-registration") ||
                   hc_scenario_offers(in, "cimd");

    for (size_t i = 0; i < tq_count(tr) && !applies; i++) {
        const json_t *ex = tq_at(tr, i);
        applies = (tq_is(ex, "metadata", NULL) || tq_is(ex, "oidc", NULL)) &&
                  preferred_mechanism(in, tq_server(ex), i + 1) != NULL;
    }
    if (!applies) {
        hc_verdict(out, HC_SKIPPED,
                   "no server offers pre-registration or CIMD: DCR is the "
                   "only mechanism");
        return;
    }
    for (size_t i = tq_next(tr, 0, "register", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "register", "POST")) {
        const char *pref = preferred_mechanism(in, tq_server(tq_at(tr, i)), i);
        if (pref != NULL) {
            hc_evidence(out, tr, i);
            hc_verdict(
                out, HC_FAILURE,
                "the client used dynamic registration (seq %zu) although "
                "%s was available",
                hc_seq_of(tr, i), pref);
            return;
        }
    }
    if (!cimd_was_used(in, out)) {
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "the client did not fall back to dynamic registration where "
               "pre-registration or CIMD was available");
}

void hc_check_cimd_client_id_used(const struct hc_input *in,
                                  struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;

    for (size_t i = tq_next(tr, 0, "authorize", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "authorize", NULL)) {
        json_t *md = hc_as_metadata(tr, tq_server(tq_at(tr, i)), i);
        bool cimd = json_is_true(
            json_object_get(md, "client_id_metadata_document_supported"));
        struct ac_form q;
        bool ok = true;
        json_decref(md);
        if (!cimd) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        if (tq_query_form(tq_at(tr, i), &q, NULL)) {
            ok = url_client_id(ac_form_get(&q, "client_id"));
        }
        ac_form_free(&q);
        if (!ok) {
            hc_verdict(out, HC_FAILURE,
                       "authorization request (seq %zu): the server supports "
                       "client ID metadata documents, but client_id is not an "
                       "https URL",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization request went to a server advertising "
                   "client_id_metadata_document_supported");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu authorization request(s) to CIMD servers used a URL "
               "client_id",
               n);
}

/* --- token endpoint authentication -------------------------------------- */

/* The auth method the client should use at server `s` for a request at
 * index `at`: the last registration response's, else the only method the
 * metadata lists. A new string or NULL (unknown). *cid gets the
 * registered client_id (new string or NULL). */
static char *expected_method(const json_t *tr, const char *s, size_t at,
                             char **cid)
{
    char *m = NULL;
    json_t *md;
    const json_t *sup;

    *cid = NULL;
    for (size_t i = tq_next(tr, 0, "register", "POST"); i != TQ_NONE && i < at;
         i = tq_next(tr, i + 1, "register", "POST")) {
        const json_t *ex = tq_at(tr, i);
        if (strcmp(tq_server(ex), s) != 0 || tq_status(ex) != 201) {
            continue;
        }
        free(m);
        free(*cid);
        m = hc_resp_member(ex, "token_endpoint_auth_method");
        *cid = hc_resp_member(ex, "client_id");
        if (m == NULL) {
            m = strdup("client_secret_basic"); /* RFC 7591 §2 */
        }
    }
    if (m != NULL) {
        return m;
    }
    md = hc_as_metadata(tr, s, at);
    sup = json_object_get(md, "token_endpoint_auth_methods_supported");
    if (json_array_size(sup) == 1 && json_is_string(json_array_get(sup, 0))) {
        m = strdup(json_string_value(json_array_get(sup, 0)));
    }
    json_decref(md);
    return m;
}

/* Judge one token request against `m`; writes why on a violation. */
static bool auth_matches(const json_t *ex, const struct ac_form *f,
                         const char *m, const char *cid, char *why, size_t n)
{
    const char *authz = tq_req_header(ex, "Authorization");
    bool has_secret = ac_form_get(f, "client_secret") != NULL;
    bool has_assert = ac_form_get(f, "client_assertion") != NULL;
    char *user = NULL, *secret = NULL;
    bool basic = tq_basic_credentials(authz, &user, &secret);
    bool ok = false;

    if (strcmp(m, "client_secret_basic") == 0) {
        if (!basic) {
            snprintf(why, n, "no valid HTTP Basic credentials (%s)",
                     authz == NULL ? "no Authorization header"
                                   : "undecodable header");
        } else if (has_secret) {
            snprintf(why, n, "client_secret also sent in the body");
        } else if (cid != NULL && strcmp(user, cid) != 0) {
            snprintf(why, n, "the Basic user is not the registered client_id");
        } else {
            ok = true;
        }
    } else if (strcmp(m, "client_secret_post") == 0) {
        ok = has_secret && ac_form_get(f, "client_id") != NULL && authz == NULL;
        snprintf(why, n, "%s",
                 ok ? ""
                    : "expected client_id and client_secret in the body "
                      "and no Authorization header");
    } else if (strcmp(m, "none") == 0) {
        ok = !has_secret && !basic && ac_form_get(f, "client_id") != NULL;
        snprintf(why, n, "%s",
                 ok ? "" : "a public client sends client_id and no secret");
    } else if (strstr(m, "_jwt") != NULL) {
        const char *t = ac_form_get(f, "client_assertion_type");
        ok = has_assert && t != NULL && strcmp(t, JWT_BEARER) == 0 &&
             !has_secret && !basic;
        snprintf(why, n, "%s",
                 ok ? ""
                    : "expected a jwt-bearer client_assertion and no "
                      "secret");
    } else {
        ok = true; /* a method we do not know: not judged */
    }
    free(user);
    free(secret);
    return ok;
}

/* A jwt-bearer grant request with no client credentials at all? */
static bool anonymous_jwt_bearer(const json_t *ex)
{
    struct ac_form f;
    bool anon = tq_body_form(ex, &f, NULL) &&
                ac_form_get(&f, "grant_type") != NULL &&
                strcmp(ac_form_get(&f, "grant_type"),
                       "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0 &&
                ac_form_get(&f, "client_id") == NULL &&
                ac_form_get(&f, "client_secret") == NULL &&
                ac_form_get(&f, "client_assertion") == NULL &&
                tq_req_header(ex, "Authorization") == NULL;

    ac_form_free(&f);
    return anon;
}

void hc_check_token_endpoint_auth_method(const struct hc_input *in,
                                         struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0, judged = 0;
    char why[300];

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        const json_t *ex = tq_at(tr, i);
        char *cid = NULL;
        char *m = expected_method(tr, tq_server(ex), i, &cid);
        struct ac_form f;
        bool ok = true;
        n++;
        if (m != NULL && anonymous_jwt_bearer(ex)) {
            /* RFC 7523 §3.1: with the JWT bearer grant, client
             * authentication is optional; none at all is not a wrong
             * method (workload identity federation). */
            free(m);
            m = NULL;
        }
        if (m != NULL) {
            judged++;
            hc_evidence(out, tr, i);
            why[0] = '\0';
            ok = tq_body_form(ex, &f, NULL) &&
                 auth_matches(ex, &f, m, cid, why, sizeof why);
            ac_form_free(&f);
            if (!ok) {
                hc_verdict(out, HC_FAILURE,
                           "token request (seq %zu) should authenticate with "
                           "%.40s: %s",
                           hc_seq_of(tr, i), m, why[0] ? why : "bad body");
            }
        }
        free(m);
        free(cid);
        if (!ok) {
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token request");
    } else if (judged == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "the registered authentication method is not known from "
                   "the transcript");
    } else {
        hc_verdict(out, HC_SUCCESS,
                   "all %zu token request(s) authenticated with the registered "
                   "method",
                   judged);
    }
}

/* RFC 7523 §3 claims of one assertion; writes why on a violation. */
static bool jwt_claims_ok(const json_t *tr, size_t i, const char *jwt,
                          const char *cid, char *why, size_t n)
{
    json_t *h = NULL, *p = NULL;
    bool parsed = ac_jwt_peek_unverified(jwt, &h, &p, NULL);
    json_t *md = hc_as_metadata(tr, tq_server(tq_at(tr, i)), i);
    const char *alg = ac_json_str(h, "alg");
    const char *iss = ac_json_str(p, "iss"), *sub = ac_json_str(p, "sub");
    const json_t *aud = json_object_get(p, "aud");
    const json_t *exp = json_object_get(p, "exp");
    const char *issuer = ac_json_str(md, "issuer");
    bool aud_ok;
    bool ok = false;

    aud_ok =
        json_is_string(aud)
            ? (issuer != NULL && strcmp(json_string_value(aud), issuer) == 0) ||
                  strcmp(json_string_value(aud), tq_url(tq_at(tr, i))) == 0
            : (issuer != NULL && ac_json_array_has_str(aud, issuer)) ||
                  ac_json_array_has_str(aud, tq_url(tq_at(tr, i)));
    if (!parsed) {
        snprintf(why, n, "client_assertion is not a JWT");
    } else if (alg == NULL || strcmp(alg, "none") == 0) {
        snprintf(why, n, "the JWT is unsigned (alg %s)", alg ? alg : "absent");
    } else if (iss == NULL || sub == NULL || strcmp(iss, sub) != 0 ||
               (cid != NULL && strcmp(iss, cid) != 0)) {
        snprintf(why, n, "iss and sub must both be the client_id");
    } else if (!aud_ok) {
        snprintf(why, n, "aud names neither the issuer nor the token endpoint");
    } else if (!json_is_integer(exp)) {
        snprintf(why, n, "no numeric exp claim");
    } else if (!json_is_string(json_object_get(p, "jti"))) {
        snprintf(why, n, "no jti claim");
    } else {
        ok = true;
    }
    json_decref(h);
    json_decref(p);
    json_decref(md);
    return ok;
}

void hc_check_private_key_jwt_claims(const struct hc_input *in,
                                     struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t n = 0;
    char why[300];

    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        const char *jwt;
        bool ok = true;
        if (!hc_token_form(tr, i, &f) ||
            (jwt = ac_form_get(&f, "client_assertion")) == NULL) {
            ac_form_free(&f);
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        ok = jwt_claims_ok(tr, i, jwt, ac_form_get(&f, "client_id"), why,
                           sizeof why);
        ac_form_free(&f);
        if (!ok) {
            hc_verdict(out, HC_FAILURE, "token request (seq %zu): %s",
                       hc_seq_of(tr, i), why);
            return;
        }
    }
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no token request carried a client_assertion");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu client assertion(s) were signed JWTs with iss = sub = "
               "client_id, aud, exp and jti (RFC 7523 §3)",
               n);
}

/* The scenario is a machine-to-machine one when the metadata offers
 * client_credentials and not authorization_code. */
void hc_check_client_credentials_grant(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    bool m2m = false;
    size_t n = 0, a;

    for (size_t i = 0; i < tq_count(tr) && !m2m; i++) {
        const json_t *ex = tq_at(tr, i);
        json_t *d = (tq_is(ex, "metadata", "GET") || tq_is(ex, "oidc", "GET"))
                        ? tq_resp_json(ex)
                        : NULL;
        const json_t *g = json_object_get(d, "grant_types_supported");
        m2m = ac_json_array_has_str(g, "client_credentials") &&
              !ac_json_array_has_str(g, "authorization_code");
        json_decref(d);
    }
    if (!m2m) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization server offers only client_credentials");
        return;
    }
    if ((a = tq_next(tr, 0, "authorize", NULL)) != TQ_NONE) {
        hc_evidence(out, tr, a);
        hc_verdict(out, HC_FAILURE,
                   "the client sent an authorization request (seq %zu) to a "
                   "client_credentials-only server",
                   hc_seq_of(tr, a));
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        const char *g;
        bool ok;
        n++;
        hc_evidence(out, tr, i);
        ok = hc_token_form(tr, i, &f) &&
             (g = ac_form_get(&f, "grant_type")) != NULL &&
             strcmp(g, "client_credentials") == 0;
        ac_form_free(&f);
        if (!ok) {
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu) did not use grant_type "
                       "client_credentials",
                       hc_seq_of(tr, i));
            return;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "client_credentials token request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "all %zu token request(s) used grant_type client_credentials",
               n);
}

/* --- credentials bound to their authorization server (SEP-2352) ---------- */

/* The client_id an authorize / token / revoke request presents, or NULL. */
static char *presented_client_id(const json_t *ex)
{
    struct ac_form f;
    char *id = NULL;
    bool ok = tq_is(ex, "authorize", NULL) ? tq_query_form(ex, &f, NULL)
                                           : tq_body_form(ex, &f, NULL);

    if (ok) {
        id = hc_request_client_id(ex, &f);
    }
    ac_form_free(&f);
    return id;
}

static bool is_client_request(const json_t *ex)
{
    return tq_is(ex, "authorize", NULL) || tq_is(ex, "token", "POST") ||
           tq_is(ex, "revoke", "POST");
}

/* Number of distinct servers that got client requests. */
static size_t servers_used(const json_t *tr)
{
    json_t *seen = json_array();
    size_t n;

    for (size_t i = 0; i < tq_count(tr) && seen != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        if ((is_client_request(ex) || tq_is(ex, "register", NULL)) &&
            !ac_json_array_has_str(seen, tq_server(ex))) {
            json_array_append_new(seen, json_string(tq_server(ex)));
        }
    }
    n = json_array_size(seen);
    json_decref(seen);
    return n;
}

void hc_check_no_cross_as_credential_reuse(const struct hc_input *in,
                                           struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *owner = json_object(); /* client_id -> server that issued it */

    if (servers_used(tr) < 2) {
        hc_verdict(out, HC_SKIPPED,
                   "the client talked to fewer than two authorization servers");
        json_decref(owner);
        return;
    }
    for (size_t i = 0; i < tq_count(tr) && owner != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        char *cid;
        const char *o;
        if (tq_is(ex, "register", "POST") && tq_status(ex) == 201) {
            cid = hc_resp_member(ex, "client_id");
            if (cid != NULL) {
                json_object_set_new(owner, cid, json_string(tq_server(ex)));
            }
            free(cid);
            continue;
        }
        if (!is_client_request(ex) || (cid = presented_client_id(ex)) == NULL) {
            continue;
        }
        o = json_string_value(json_object_get(owner, cid));
        free(cid);
        if (o != NULL && strcmp(o, tq_server(ex)) != 0) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_FAILURE,
                       "%s request (seq %zu) to server %.40s presented the "
                       "client_id issued by server %.40s",
                       tq_endpoint(ex), hc_seq_of(tr, i), tq_server(ex), o);
            json_decref(owner);
            return;
        }
    }
    json_decref(owner);
    hc_verdict(out, HC_SUCCESS,
               "client credentials were only presented to the authorization "
               "server that issued them");
}

void hc_check_reregister_on_as_change(const struct hc_input *in,
                                      struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *registered = json_array();
    json_t *authorized = json_array();
    bool fail = false;

    for (size_t i = 0; i < tq_count(tr) && registered && authorized && !fail;
         i++) {
        const json_t *ex = tq_at(tr, i);
        const char *s = tq_server(ex);
        if (tq_is(ex, "register", "POST") && tq_status(ex) == 201 &&
            !ac_json_array_has_str(registered, s)) {
            json_array_append_new(registered, json_string(s));
        } else if (tq_is(ex, "authorize", NULL) &&
                   !ac_json_array_has_str(authorized, s)) {
            json_array_append_new(authorized, json_string(s));
            hc_evidence(out, tr, i);
            if (json_array_size(authorized) > 1 &&
                !ac_json_array_has_str(registered, s) &&
                preferred_mechanism(in, s, i) == NULL) {
                hc_verdict(out, HC_FAILURE,
                           "authorization request (seq %zu) to the new server "
                           "%.40s without registering with it first",
                           hc_seq_of(tr, i), s);
                fail = true;
            }
        }
    }
    if (!fail && json_array_size(authorized) < 2) {
        hc_verdict(out, HC_SKIPPED,
                   "the client authorized with fewer than two servers");
    } else if (!fail) {
        hc_verdict(out, HC_SUCCESS,
                   "the client registered with each new authorization server "
                   "before authorizing there");
    }
    json_decref(registered);
    json_decref(authorized);
}

/* --- stale clients ------------------------------------------------------- */

/* Did exchange `ex` reject the client itself (RFC 6749 §5.2 invalid_client,
 * or an authorize error page without redirect, §4.1.2.1)? */
static bool client_rejected(const json_t *ex)
{
    char *err;
    bool rej;

    if (tq_is(ex, "authorize", NULL)) {
        int st = tq_status(ex);
        return st >= 400 && st < 500;
    }
    if (!tq_is(ex, "token", "POST") && !tq_is(ex, "revoke", "POST")) {
        return false;
    }
    err = hc_resp_member(ex, "error");
    rej = err != NULL && strcmp(err, "invalid_client") == 0;
    free(err);
    return rej;
}

void hc_check_stale_client_reregistered(const struct hc_input *in,
                                        struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t triggers = 0;

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        const char *s = tq_server(ex);
        bool reg = false;
        if (!client_rejected(ex) || hc_count(tr, "register", "POST") == 0) {
            continue;
        }
        triggers++;
        hc_evidence(out, tr, i);
        for (size_t j = i + 1; j < tq_count(tr); j++) {
            const json_t *e2 = tq_at(tr, j);
            if (strcmp(tq_server(e2), s) != 0) {
                continue;
            }
            if (tq_is(e2, "register", "POST")) {
                reg = true;
                hc_evidence(out, tr, j);
                break;
            }
            if (is_client_request(e2) &&
                !(tq_is(ex, "authorize", NULL) &&
                  strcmp(tq_url(e2), tq_url(ex)) == 0)) {
                /* (The rejected authorization request fetched again, e.g.
                 * to read the error page, is the same attempt.) */
                hc_evidence(out, tr, j);
                hc_verdict(out, HC_FAILURE,
                           "server %.40s rejected the client (seq %zu); the "
                           "client sent a %s request (seq %zu) without "
                           "registering again",
                           s, hc_seq_of(tr, i), tq_endpoint(e2),
                           hc_seq_of(tr, j));
                return;
            }
        }
        if (!reg) {
            hc_verdict(out, HC_FAILURE,
                       "server %.40s rejected the client (seq %zu) and the "
                       "client never registered again",
                       s, hc_seq_of(tr, i));
            return;
        }
    }
    if (triggers == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no server rejected a dynamically registered client");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after each of %zu rejection(s) the client registered again "
               "before retrying",
               triggers);
}

void hc_check_registration_reused(const struct hc_input *in,
                                  struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *budget = json_object(); /* server -> registrations allowed */
    size_t n = 0;

    for (size_t i = 0; i < tq_count(tr) && budget != NULL; i++) {
        const json_t *ex = tq_at(tr, i);
        const char *s = tq_server(ex);
        json_int_t b = json_integer_value(json_object_get(budget, s));
        if (!json_object_get(budget, s)) {
            b = 1;
        }
        if (client_rejected(ex)) {
            b++;
        } else if (tq_is(ex, "register", "POST")) {
            n++;
            hc_evidence(out, tr, i);
            if (b <= 0) {
                hc_verdict(out, HC_FAILURE,
                           "registration request (seq %zu) to server %.40s, "
                           "which had not rejected the earlier registration",
                           hc_seq_of(tr, i), s);
                json_decref(budget);
                return;
            }
            b--;
        }
        json_object_set_new(budget, s, json_integer(b));
    }
    json_decref(budget);
    if (n == 0) {
        hc_verdict(out, HC_SKIPPED, "the client made no registration request");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu registration request(s), none without need: each server's "
               "registration was reused until it rejected the client",
               n);
}

/* --- client registered ---------------------------------------------- */

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
