/* Discovery checks: where the client looked for the Protected Resource
 * Metadata (RFC 9728) and the authorization server metadata (RFC 8414,
 * OpenID Connect Discovery), in what order, and whether it refused
 * metadata that fails validation (issuer mismatch, no S256, a PRM for
 * another resource). Legacy 2025-03-26 fallbacks too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

#define PRM_WK "/.well-known/oauth-protected-resource"
#define OAUTH_WK "/.well-known/oauth-authorization-server"
#define OIDC_WK "/.well-known/openid-configuration"

static void free_cands(char *c[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i]);
    }
}

static bool starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool is_prm_request(const json_t *ex)
{
    return strcmp(tq_method(ex), "GET") == 0 &&
           starts_with(tq_path(ex), PRM_WK);
}

static bool is_metadata_request(const json_t *ex)
{
    const char *p = tq_path(ex);
    return strcmp(tq_method(ex), "GET") == 0 &&
           (strstr(p, OAUTH_WK) != NULL || strstr(p, OIDC_WK) != NULL);
}

/* Did a metadata / PRM attempt fail (not 200 with a JSON object)? */
static bool attempt_failed(const json_t *ex)
{
    json_t *doc = tq_status(ex) == 200 ? tq_resp_json(ex) : NULL;
    bool failed = doc == NULL;

    json_decref(doc);
    return failed;
}

/* Index of the first 401 from the MCP server carrying a Bearer challenge,
 * or TQ_NONE. */
static size_t first_challenge(const json_t *tr)
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

/* Does any MCP challenge name a resource_metadata URL? */
static bool any_challenge_names_prm(const json_t *tr)
{
    for (size_t i = tq_next(tr, 0, "mcp", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", NULL)) {
        char *u = tq_challenge_param(tq_at(tr, i), "resource_metadata");
        bool has = u != NULL;
        free(u);
        if (has) {
            return true;
        }
    }
    return false;
}

void hc_check_prm_header_url_used(const struct hc_input *in,
                                  struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t c = first_challenge(tr);
    char *url = c != TQ_NONE
                    ? tq_challenge_param(tq_at(tr, c), "resource_metadata")
                    : NULL;

    if (url == NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "no 401 challenge named a resource_metadata URL");
        return;
    }
    hc_evidence(out, tr, c);
    for (size_t i = c + 1; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        /* A custom PRM location is only recognisable by its URL. */
        if (!is_prm_request(ex) && !tq_is(ex, "prm", "GET") &&
            strcmp(tq_url(ex), url) != 0) {
            continue;
        }
        hc_evidence(out, tr, i);
        if (strcmp(tq_url(ex), url) == 0) {
            hc_verdict(out, HC_SUCCESS,
                       "the first PRM request (seq %zu) used the "
                       "resource_metadata URL of the challenge (seq %zu)",
                       hc_seq_of(tr, i), hc_seq_of(tr, c));
        } else {
            hc_verdict(out, HC_FAILURE,
                       "the first PRM request (seq %zu) went to %.150s, not "
                       "to the challenge's resource_metadata %.150s",
                       hc_seq_of(tr, i), tq_url(ex), url);
        }
        free(url);
        return;
    }
    free(url);
    hc_missing_fact(in, out,
                    "the client never requested the Protected Resource "
                    "Metadata named by the challenge");
}

/* The path of the path-inserted PRM URL of the MCP endpoint `mcp_url`
 * (common/url.c builds it for the client too): a new string, or NULL when
 * the endpoint has no path (root is the path form) or is unparsable. */
static char *prm_inserted_path(const char *mcp_url)
{
    char *urls[AC_URL_PRM_MAX] = {NULL};
    size_t n = mcp_url != NULL ? ac_url_prm_urls(mcp_url, urls, NULL) : 0;
    struct ac_url u;
    char *path = NULL;

    if (n == 2 && ac_url_parse(urls[0], &u, NULL)) {
        path = u.path;
        u.path = NULL;
        ac_url_free(&u);
    }
    free_cands(urls, n);
    return path;
}

void hc_check_prm_path_before_root(const struct hc_input *in,
                                   struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t m = tq_next(tr, 0, "mcp", NULL);
    char *want = NULL;
    bool path_tried = false;
    size_t n = 0;

    if (any_challenge_names_prm(tr)) {
        hc_verdict(out, HC_SKIPPED,
                   "a challenge named the PRM URL; the well-known fallback "
                   "does not apply");
        return;
    }
    /* RFC 9728 §3.1: insert the well-known segment before the path. */
    want = prm_inserted_path(m != TQ_NONE ? tq_url(tq_at(tr, m)) : NULL);
    if (want == NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "the MCP endpoint has no path: root is the path form");
        return;
    }
    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        if (!is_prm_request(ex)) {
            continue;
        }
        n++;
        hc_evidence(out, tr, i);
        if (strcmp(tq_path(ex), want) == 0) {
            path_tried = true;
        } else if (strcmp(tq_path(ex), PRM_WK) == 0 && !path_tried) {
            hc_verdict(out, HC_FAILURE,
                       "PRM request (seq %zu) went to the root %s before the "
                       "path-inserted %.200s",
                       hc_seq_of(tr, i), PRM_WK, want);
            free(want);
            return;
        }
    }
    free(want);
    if (n == 0) {
        hc_missing_fact(in, out,
                        "the client never requested the Protected Resource "
                        "Metadata at a well-known URL");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu PRM request(s); the path-inserted URL was tried first", n);
}

/* --- authorization server metadata order ------------------------------ */

/* The URL of an exchange without its query. */
static bool url_is(const json_t *ex, const char *want)
{
    const char *u = tq_url(ex);
    size_t n = strcspn(u, "?#");
    return strlen(want) == n && strncmp(u, want, n) == 0;
}

/* Judge the metadata attempts for one issuer. Returns false with `out`
 * set on a violation; *attempts counts them. */
static bool judge_issuer_order(const json_t *tr, const char *issuer,
                               struct hc_result *out, size_t *attempts)
{
    char *cand[AC_URL_AS_MAX];
    /* The order the client must follow: the one common/url.c gives it. */
    size_t nc = ac_url_as_metadata_urls(issuer, cand, NULL);
    char *origin = ac_url_origin(issuer);
    int prev = -1;
    bool prev_failed = false, ok = true;

    for (size_t i = 0; ok && origin != NULL && i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        int rank = -1;
        if (!is_metadata_request(ex) || !starts_with(tq_url(ex), origin)) {
            continue;
        }
        for (size_t k = 0; k < nc; k++) {
            rank = url_is(ex, cand[k]) ? (int)k : rank;
        }
        (*attempts)++;
        hc_evidence(out, tr, i);
        if (rank < 0) {
            hc_verdict(out, HC_FAILURE,
                       "metadata request (seq %zu) to %.150s is not one of the "
                       "discovery URLs of issuer %.150s",
                       hc_seq_of(tr, i), tq_url(ex), issuer);
            ok = false;
        } else if (rank > 0 && !(prev == rank - 1 && prev_failed)) {
            hc_verdict(out, HC_FAILURE,
                       "metadata request (seq %zu) tried discovery URL #%d of "
                       "issuer %.150s without a failed attempt at #%d first",
                       hc_seq_of(tr, i), rank + 1, issuer, rank);
            ok = false;
        }
        prev = rank;
        prev_failed = attempt_failed(ex);
    }
    free_cands(cand, nc);
    free(origin);
    return ok;
}

void hc_check_as_metadata_order(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    json_t *prm = hc_prm_doc(tr);
    const json_t *ases = json_object_get(prm, "authorization_servers");
    size_t i, attempts = 0;
    const json_t *as;

    if (!json_is_array(ases) || json_array_size(ases) == 0) {
        hc_verdict(out, HC_SKIPPED,
                   "no PRM with authorization_servers was received");
        json_decref(prm);
        return;
    }
    json_array_foreach(ases, i, as)
    {
        if (json_is_string(as) &&
            !judge_issuer_order(tr, json_string_value(as), out, &attempts)) {
            json_decref(prm);
            return;
        }
    }
    json_decref(prm);
    if (attempts == 0) {
        hc_missing_fact(in, out,
                        "the client requested no authorization server "
                        "metadata");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "%zu metadata request(s), in the RFC 8414 / OIDC discovery "
               "order, each later URL only after the previous one failed",
               attempts);
}

/* After a failed attempt at discovery URL #k, the client tried #k+1 (or
 * already had metadata from that server). */
void hc_check_as_metadata_fallback(const struct hc_input *in,
                                   struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t failures = 0;

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        bool later = false;
        /* Only authorization servers' answers: a guess at the MCP
         * server's origin is the legacy checks' business. */
        if (!is_metadata_request(ex) || !attempt_failed(ex) ||
            strcmp(tq_server(ex), "mcp") == 0 ||
            strcmp(tq_server(ex), "browser") == 0) {
            continue;
        }
        failures++;
        hc_evidence(out, tr, i);
        for (size_t j = i + 1; j < tq_count(tr) && !later; j++) {
            const json_t *e2 = tq_at(tr, j);
            later = is_metadata_request(e2) &&
                    strcmp(tq_server(e2), tq_server(ex)) == 0;
        }
        json_t *doc = hc_as_metadata(tr, tq_server(ex), i);
        if (!later && doc == NULL) {
            hc_verdict(out, HC_FAILURE,
                       "metadata request (seq %zu) answered %d without "
                       "usable metadata, and the client tried no further "
                       "discovery URL of server %.40s",
                       hc_seq_of(tr, i), tq_status(ex), tq_server(ex));
            return;
        }
        json_decref(doc);
    }
    if (failures == 0) {
        hc_verdict(out, HC_SKIPPED, "no metadata request failed");
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "after each of %zu failed metadata request(s) the client tried "
               "the next discovery URL",
               failures);
}

/* The issuer a metadata URL was built from (RFC 8414 §3.1 reversed), a new
 * string, or NULL. */
static char *issuer_of_url(const char *url)
{
    struct ac_url u;
    char *origin = ac_url_origin(url);
    char *iss = NULL;
    const char *p;

    if (origin == NULL || !ac_url_parse(url, &u, NULL)) {
        free(origin);
        return NULL;
    }
    p = u.path;
    if (starts_with(p, OAUTH_WK)) {
        iss = asprintf(&iss, "%s%s", origin, p + strlen(OAUTH_WK)) >= 0 ? iss
                                                                        : NULL;
    } else if (starts_with(p, OIDC_WK)) {
        iss = asprintf(&iss, "%s%s", origin, p + strlen(OIDC_WK)) >= 0 ? iss
                                                                       : NULL;
    } else if (strstr(p, OIDC_WK) != NULL) {
        int n = (int)(strstr(p, OIDC_WK) - p);
        iss = asprintf(&iss, "%s%.*s", origin, n, p) >= 0 ? iss : NULL;
    }
    ac_url_free(&u);
    free(origin);
    return iss;
}

/* Does server `s` get an authorize / token / register request in
 * [from, to)? Returns its index or TQ_NONE. */
static size_t flow_request_at(const json_t *tr, const char *s, size_t from,
                              size_t to)
{
    for (size_t i = from; i < to && i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        if (strcmp(tq_server(ex), s) == 0 &&
            (tq_is(ex, "authorize", NULL) || tq_is(ex, "token", NULL) ||
             tq_is(ex, "register", NULL))) {
            return i;
        }
    }
    return TQ_NONE;
}

/* A predicate on one metadata document: is it unusable? Writes why. */
typedef bool (*bad_doc_fn)(const json_t *ex, const json_t *doc, char *why,
                           size_t n);

/* Shared shape: after a metadata response `bad` rejects, the client makes
 * no flow request to that server until a later metadata response from it
 * is acceptable. */
static void refused_after_bad_doc(const struct hc_input *in,
                                  struct hc_result *out, bad_doc_fn bad,
                                  const char *none_msg, const char *ok_msg)
{
    const json_t *tr = in->transcript;
    size_t seen = 0;
    char why[300];

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        json_t *doc;
        size_t until = tq_count(tr), hit;
        if (!is_metadata_request(ex) || tq_status(ex) != 200 ||
            (doc = tq_resp_json(ex)) == NULL) {
            continue;
        }
        why[0] = '\0';
        if (!bad(ex, doc, why, sizeof why)) {
            json_decref(doc);
            continue;
        }
        json_decref(doc);
        seen++;
        hc_evidence(out, tr, i);
        for (size_t j = i + 1; j < tq_count(tr); j++) {
            const json_t *e2 = tq_at(tr, j);
            json_t *d2;
            char w2[300];
            if (!is_metadata_request(e2) ||
                strcmp(tq_server(e2), tq_server(ex)) != 0 ||
                tq_status(e2) != 200 || (d2 = tq_resp_json(e2)) == NULL) {
                continue;
            }
            bool good = !bad(e2, d2, w2, sizeof w2);
            json_decref(d2);
            if (good) {
                until = j;
                break;
            }
        }
        hit = flow_request_at(tr, tq_server(ex), i + 1, until);
        if (hit != TQ_NONE) {
            hc_evidence(out, tr, hit);
            hc_verdict(out, HC_FAILURE,
                       "metadata (seq %zu): %s; the client still sent a %s "
                       "request to that server (seq %zu)",
                       hc_seq_of(tr, i), why, tq_endpoint(tq_at(tr, hit)),
                       hc_seq_of(tr, hit));
            return;
        }
    }
    if (seen == 0) {
        hc_verdict(out, HC_SKIPPED, "%s", none_msg);
        return;
    }
    hc_verdict(out, HC_SUCCESS, "%s", ok_msg);
}

static bool issuer_bad(const json_t *ex, const json_t *doc, char *why, size_t n)
{
    char *want = issuer_of_url(tq_url(ex));
    const char *got = ac_json_str(doc, "issuer");
    bool bad = want != NULL && (got == NULL || strcmp(got, want) != 0);

    if (bad) {
        snprintf(why, n, "issuer \"%.100s\" does not match \"%.100s\"",
                 got != NULL ? got : "(absent)", want);
    }
    free(want);
    return bad;
}

void hc_check_issuer_mismatch_rejected(const struct hc_input *in,
                                       struct hc_result *out)
{
    refused_after_bad_doc(in, out, issuer_bad,
                          "every metadata document's issuer matched its URL",
                          "the client made no request to an authorization "
                          "server whose metadata issuer did not match "
                          "(RFC 8414 §3.3)");
}

static bool no_s256(const json_t *ex, const json_t *doc, char *why, size_t n)
{
    const json_t *m = json_object_get(doc, "code_challenge_methods_supported");

    (void)ex;
    if (!ac_json_array_has_str(m, "S256")) {
        snprintf(why, n, "code_challenge_methods_supported %s",
                 m == NULL ? "is absent" : "lacks S256");
        return true;
    }
    return false;
}

void hc_check_s256_support_required(const struct hc_input *in,
                                    struct hc_result *out)
{
    /* A workload or an enterprise IdP's user gets tokens with the JWT
     * bearer grant only: no authorization code, so no PKCE to require. */
    if (json_object_get(in->scenario, "workload_issuer") != NULL ||
        json_object_get(in->scenario, "enterprise_idp") != NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "the scenario's client uses the JWT bearer grant (no "
                   "authorization code, no PKCE)");
        return;
    }
    refused_after_bad_doc(in, out, no_s256,
                          "every metadata document listed S256 in "
                          "code_challenge_methods_supported",
                          "the client refused authorization servers without "
                          "S256 in code_challenge_methods_supported");
}

/* The first MCP request to server `server`, or TQ_NONE. */
static size_t first_mcp_of(const json_t *tr, const char *server)
{
    for (size_t i = tq_next(tr, 0, "mcp", NULL); i != TQ_NONE;
         i = tq_next(tr, i + 1, "mcp", NULL)) {
        if (strcmp(tq_server(tq_at(tr, i)), server) == 0) {
            return i;
        }
    }
    return TQ_NONE;
}

/* RFC 9728 §3.3: the resource a PRM must name is the identifier "into
 * which the well-known resource metadata URI path suffix was inserted":
 * the PRM URL with /.well-known/oauth-protected-resource removed (the
 * origin for the root document). A new string, or NULL when the URL is not
 * of that form (a custom resource_metadata URL). */
static char *resource_of_prm_url(const char *url)
{
    static const char wk[] = "/.well-known/oauth-protected-resource";
    const char *auth = url != NULL ? strstr(url, "://") : NULL;
    const char *path = auth != NULL ? strchr(auth + 3, '/') : NULL;
    char *res = NULL;

    if (path == NULL || strncmp(path, wk, sizeof wk - 1) != 0 ||
        (path[sizeof wk - 1] != '\0' && path[sizeof wk - 1] != '/')) {
        return NULL;
    }
    if (asprintf(&res, "%.*s%s", (int)(path - url), url, path + sizeof wk - 1) <
        0) {
        return NULL;
    }
    res[strcspn(res, "?#")] = '\0';
    return res;
}

/* Does the PRM's `resource` fit: the MCP server the client contacted
 * (canonical or as used), or the identifier its well-known URL was built
 * from (RFC 9728 §3.3; an origin-named root document, official
 * auth/metadata-var2)? */
static bool prm_resource_fits(const char *r, const char *canon,
                              const char *mcp_url, const char *prm_url)
{
    char *derived = NULL;
    bool ok;

    if (r == NULL) {
        return false;
    }
    if (strcmp(r, canon) == 0 || strcmp(r, mcp_url) == 0) {
        return true;
    }
    derived = resource_of_prm_url(prm_url);
    ok = derived != NULL && ac_url_same_resource(r, derived);
    free(derived);
    return ok;
}

void hc_check_prm_resource_mismatch_rejected(const struct hc_input *in,
                                             struct hc_result *out)
{
    const json_t *tr = in->transcript;
    char *canon = NULL;

    for (size_t i = tq_next(tr, 0, "prm", "GET"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "prm", "GET")) {
        /* The MCP URL the client used at the server that served this PRM
         * (a world may have several MCP servers). */
        size_t m = first_mcp_of(tr, tq_server(tq_at(tr, i)));
        const char *mcp_url = m != TQ_NONE ? tq_url(tq_at(tr, m)) : "";
        json_t *doc =
            tq_status(tq_at(tr, i)) == 200 ? tq_resp_json(tq_at(tr, i)) : NULL;
        const char *r = ac_json_str(doc, "resource");
        bool bad;
        free(canon);
        canon = m != TQ_NONE ? ac_url_canonical_resource(mcp_url) : NULL;
        bad = doc != NULL && canon != NULL &&
              !prm_resource_fits(r, canon, mcp_url, tq_url(tq_at(tr, i)));
        json_decref(doc);
        if (!bad) {
            continue;
        }
        hc_evidence(out, tr, i);
        size_t a = tq_next(tr, i + 1, "authorize", NULL);
        free(canon);
        if (a != TQ_NONE) {
            hc_evidence(out, tr, a);
            hc_verdict(out, HC_FAILURE,
                       "the PRM (seq %zu) names another resource, yet the "
                       "client sent an authorization request (seq %zu)",
                       hc_seq_of(tr, i), hc_seq_of(tr, a));
        } else {
            hc_verdict(out, HC_SUCCESS,
                       "the PRM (seq %zu) names another resource and the "
                       "client did not authorize (RFC 9728 §3.3)",
                       hc_seq_of(tr, i));
        }
        return;
    }
    free(canon);
    hc_verdict(out, HC_SKIPPED, "no PRM naming another resource was received");
}

/* --- 2025-03-26 fallbacks ------------------------------------------------ */

static bool legacy_applies(const struct hc_input *in, struct hc_result *out)
{
    json_t *prm = hc_prm_doc(in->transcript);
    bool legacy = ac_json_array_has_str(json_object_get(in->scenario, "spec"),
                                        "2025-03-26");

    json_decref(prm);
    if (!legacy) {
        hc_verdict(out, HC_SKIPPED, "the scenario does not cover 2025-03-26");
        return false;
    }
    if (prm != NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "Protected Resource Metadata was available");
        return false;
    }
    return true;
}

void hc_check_legacy_root_metadata(const struct hc_input *in,
                                   struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t m = tq_next(tr, 0, "mcp", NULL);
    char *want = NULL;

    if (!legacy_applies(in, out)) {
        return;
    }
    /* 2025-03-26: the metadata at the MCP server's root. */
    if (m != TQ_NONE) {
        want = ac_url_wellknown(tq_url(tq_at(tr, m)),
                                "oauth-authorization-server", AC_WK_ROOT, NULL);
    }
    for (size_t i = 0; want != NULL && i < tq_count(tr); i++) {
        if (strcmp(tq_method(tq_at(tr, i)), "GET") == 0 &&
            url_is(tq_at(tr, i), want)) {
            hc_evidence(out, tr, i);
            hc_verdict(out, HC_SUCCESS,
                       "without PRM the client fetched %.200s (seq %zu)", want,
                       hc_seq_of(tr, i));
            free(want);
            return;
        }
    }
    free(want);
    hc_required_fact(in, out,
                     "without PRM the client never fetched the metadata at the "
                     "MCP server's root (2025-03-26 discovery)");
}

void hc_check_legacy_default_endpoints(const struct hc_input *in,
                                       struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t m = tq_next(tr, 0, "mcp", NULL);
    char *origin = m != TQ_NONE ? ac_url_origin(tq_url(tq_at(tr, m))) : NULL;
    size_t a = tq_next(tr, 0, "authorize", NULL);
    char want[300];

    if (!legacy_applies(in, out)) {
        free(origin);
        return;
    }
    for (size_t i = 0; i < tq_count(tr); i++) {
        if (is_metadata_request(tq_at(tr, i)) &&
            !attempt_failed(tq_at(tr, i))) {
            hc_verdict(out, HC_SKIPPED,
                       "authorization server metadata was available");
            free(origin);
            return;
        }
    }
    snprintf(want, sizeof want, "%s/authorize", origin ? origin : "");
    free(origin);
    if (a == TQ_NONE) {
        hc_missing(in, out, "authorization request");
        return;
    }
    hc_evidence(out, tr, a);
    if (!url_is(tq_at(tr, a), want)) {
        hc_verdict(out, HC_FAILURE,
                   "without metadata the authorization request (seq %zu) went "
                   "to %.150s, not the default %.150s",
                   hc_seq_of(tr, a), tq_url(tq_at(tr, a)), want);
        return;
    }
    hc_verdict(out, HC_SUCCESS,
               "without metadata the client used the default /authorize "
               "endpoint at the MCP server's origin (seq %zu)",
               hc_seq_of(tr, a));
}

/* --- PRM and metadata fetched --------------------------------------- */

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
