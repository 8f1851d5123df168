/* Server checks beyond the base profile (server_int.h hsv_p_*): expired
 * tokens at the MCP server, DPoP-bound tokens (RFC 9449 §7) when the MCP
 * server advertises DPoP, Client ID Metadata Documents when the AS
 * advertises them (the documents are served by the harness's loopback
 * listener), and the client credentials extension when advertised. Same
 * conventions as server_checks.c: FAILURE for a violation whatever the
 * level (hsv_run maps SHOULD to WARNING), SKIPPED with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/crypto.h"
#include "common/dpop.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/url.h"
#include "common/wwwauth.h"
#include "harness/server_int.h"

#define WHY 256

/* The initialize request of the DPoP presentations (its bytes are what
 * the proof's content_digest covers). */
static const char INIT[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
    "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
    "\"clientInfo\":{\"name\":\"authcheck\",\"version\":\"1\"}}}";

/* --- expired tokens ------------------------------------------------------ */

static void judge_expired(struct hc_result *r, long st, const char *how)
{
    if (st == 401) {
        hsv_set(r, HC_SUCCESS, "%s: refused with 401", how);
    } else {
        hsv_set(r, HC_FAILURE, "%s: HTTP %ld, not 401 (RFC 6750 §3.1)", how,
                st);
    }
}

/* Let a token of `ttl` seconds expire: the test hook moves the server's
 * clock, else we wait when --wait-expiry allows. */
static bool let_expire(struct hsv_ctx *x, struct hc_result *r, long ttl)
{
    struct timespec ts = {ttl + 1, 0};

    if (x->o->advance_clock != NULL) {
        return x->o->advance_clock(x->o->advance_ctx, ttl + 1);
    }
    if (ttl > x->o->wait_expiry) {
        hsv_set(r, HC_SKIPPED,
                "the access token lives %ld s, longer than --wait-expiry "
                "(%d s): give --expired-token TOKEN or --wait-expiry %ld",
                ttl, x->o->wait_expiry, ttl + 1);
        return false;
    }
    nanosleep(&ts, NULL);
    return true;
}

void hsv_p_mcp_expired(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_grant g = {0};
    struct hsv_client *c;
    long st;

    if (!hsv_need_mcp(x, r)) {
        return;
    }
    if (x->o->expired_token != NULL) {
        judge_expired(r, hsv_mcp_bearer(x, x->o->expired_token),
                      "the --expired-token");
        return;
    }
    if ((c = hsv_need_pub(x, r)) == NULL) {
        snprintf(r->message + strlen(r->message),
                 sizeof(r->message) - strlen(r->message),
                 " (or give --expired-token)");
        return;
    }
    hsv_new_grant(x, c, NULL, &g);
    if (!g.ok) {
        hsv_set(r, HC_SKIPPED,
                "could not obtain a token: %s (or give --expired-token)",
                g.why);
    } else if (!hsv_ok2xx(hsv_mcp_bearer(x, g.access))) {
        hsv_set(r, HC_SKIPPED,
                "a fresh token is not accepted either "
                "(mcp-accepts-valid-token)");
    } else if (g.expires_in <= 0) {
        hsv_set(r, HC_SKIPPED,
                "the token response has no expires_in: give "
                "--expired-token TOKEN");
    } else if (let_expire(x, r, g.expires_in)) {
        st = hsv_mcp_bearer(x, g.access);
        judge_expired(r, st, "a token past its expires_in");
    } else if (r->status != HC_SKIPPED) {
        hsv_set(r, HC_SKIPPED, "could not make the server's clock advance");
    }
    hsv_grant_free(&g);
}

/* --- DPoP (RFC 9449) ----------------------------------------------------- */

/* Does the MCP server advertise DPoP (RFC 9728 §2 PRM fields)? */
static bool dpop_advertised(const struct hsv_ctx *x)
{
    return json_is_array(
               json_object_get(x->prm, "dpop_signing_alg_values_supported")) ||
           json_is_true(
               json_object_get(x->prm, "dpop_bound_access_tokens_required"));
}

struct dpop_tok {
    struct ac_jwk *key;
    char *access;
    char *as_nonce, *rs_nonce;
};

static void dpop_tok_free(struct dpop_tok *t)
{
    ac_jwk_free(t->key);
    ac_secret_free(t->access);
    free(t->as_nonce);
    free(t->rs_nonce);
    memset(t, 0, sizeof(*t));
}

/* "DPoP: <proof>" for method/url, with ath of `token` when non-NULL and
 * content_digest of `body` when non-NULL. A new string or NULL. */
static char *proof_header(const struct ac_jwk *key, const char *url,
                          const char *token, const char *nonce,
                          const char *body)
{
    size_t n = strcspn(url, "?#");
    char *htu = strndup(url, n), *p = NULL, *h = NULL;
    struct ac_dpop_claims c = {
        .htm = "POST",
        .htu = htu,
        .access_token = token,
        .nonce = nonce,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .iat = (int64_t)time(NULL),
    };

    if (htu != NULL && (p = ac_dpop_proof(key, &c, NULL)) != NULL &&
        asprintf(&h, "DPoP: %s", p) < 0) {
        h = NULL;
    }
    free(htu);
    free(p);
    return h;
}

/* The DPoP-Nonce of a use_dpop_nonce answer (RFC 9449 §8, §9), new or
 * NULL. */
static char *wants_nonce(const struct ac_http_response *resp)
{
    const char *n = ac_http_header_get(resp, "DPoP-Nonce");
    const char *body = resp->body != NULL ? resp->body : "";
    const char *www = ac_http_header_get(resp, "WWW-Authenticate");

    if (n == NULL || (strstr(body, "use_dpop_nonce") == NULL &&
                      (www == NULL || strstr(www, "use_dpop_nonce") == NULL))) {
        return NULL;
    }
    return strdup(n);
}

/* Redeem `a`'s code with a DPoP proof (one retry with the AS's nonce). */
static bool dpop_redeem(struct hsv_ctx *x, const struct hsv_client *c,
                        const struct hsv_authz *a, struct dpop_tok *t,
                        struct ac_http_response *resp, char *why)
{
    const char *ep = hsv_endpoint(x, "token_endpoint");
    char *form = hsv_code_form(x, c, a->code, a->verifier, NULL, NULL);
    bool ok = false;

    for (int i = 0; i < 2 && form != NULL && ep != NULL; i++) {
        char *h = proof_header(t->key, ep, NULL, t->as_nonce, NULL);
        x->extra_hdr = h;
        ok = h != NULL && hsv_token(x, c, form, resp, why, WHY);
        x->extra_hdr = NULL;
        free(h);
        if (!ok || resp->status == 200 || i == 1 ||
            (t->as_nonce = wants_nonce(resp)) == NULL) {
            break;
        }
        ac_http_response_free(resp);
    }
    free(form);
    return ok;
}

/* A DPoP-bound access token for the MCP server, or r set. */
static bool dpop_token(struct hsv_ctx *x, struct hc_result *r,
                       struct dpop_tok *t)
{
    struct hsv_client *c;
    struct hsv_authz a = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char why[WHY] = "";
    bool ok = false;

    if (!hsv_need_mcp(x, r)) {
        return false;
    }
    if (!dpop_advertised(x)) {
        hsv_set(r, HC_SKIPPED,
                "the MCP server does not advertise DPoP (no "
                "dpop_signing_alg_values_supported in its PRM)");
        return false;
    }
    if ((c = hsv_need_pub(x, r)) == NULL || !hsv_get_code(x, r, c, NULL, &a)) {
        goto out;
    }
    t->key = ac_jwk_generate(AC_JWS_ES256, NULL);
    if (t->key == NULL || !dpop_redeem(x, c, &a, t, &resp, why)) {
        hsv_set(r, HC_SKIPPED, "no DPoP token request: %s", why);
        goto out;
    }
    doc = hsv_json_body(&resp);
    if (resp.status != 200 || ac_json_str(doc, "access_token") == NULL) {
        hsv_set(r, HC_SKIPPED, "no DPoP-bound token: HTTP %ld %s %.120s",
                resp.status, hsv_err_code(doc),
                ac_json_str(doc, "error_description")
                    ? ac_json_str(doc, "error_description")
                    : "");
    } else if (ac_json_str(doc, "token_type") == NULL ||
               strcasecmp(ac_json_str(doc, "token_type"), "DPoP") != 0) {
        hsv_secret(x, ac_json_str(doc, "access_token"));
        hsv_set(r, HC_SKIPPED,
                "the AS issued a %s token, not a DPoP-bound one (RFC 9449 "
                "§5)",
                ac_json_str(doc, "token_type") ? ac_json_str(doc, "token_type")
                                               : "(typeless)");
    } else {
        t->access = strdup(ac_json_str(doc, "access_token"));
        hsv_secret(x, t->access);
        hsv_secret(x, ac_json_str(doc, "refresh_token"));
        ok = t->access != NULL;
    }
out:
    json_decref(doc);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
    return ok;
}

/* Present t's token to the MCP server as "DPoP" with a proof (`ath`:
 * with the access token hash); one retry with the server's nonce. The
 * status, and the WWW-Authenticate error in err (may be empty). */
static long dpop_present(struct hsv_ctx *x, struct dpop_tok *t, bool ath,
                         char *err, size_t errlen)
{
    struct ac_http_response resp;
    char *auth = NULL, why[WHY];
    long st = 0;

    err[0] = '\0';
    if (asprintf(&auth, "DPoP %s", t->access) < 0) {
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        char *h = proof_header(t->key, x->mcp_url, ath ? t->access : NULL,
                               t->rs_nonce, INIT);
        bool got;
        x->extra_hdr = h;
        got = h != NULL &&
              hsv_mcp_post(x, auth, NULL, NULL, INIT, &resp, why, sizeof(why));
        x->extra_hdr = NULL;
        free(h);
        if (!got) {
            break;
        }
        st = resp.status;
        snprintf(err, errlen, "%s",
                 ac_http_header_get(&resp, "WWW-Authenticate")
                     ? ac_http_header_get(&resp, "WWW-Authenticate")
                     : "");
        if (st == 401 && i == 0 && (t->rs_nonce = wants_nonce(&resp)) != NULL) {
            ac_http_response_free(&resp);
            continue;
        }
        ac_http_response_free(&resp);
        break;
    }
    free(auth);
    return st;
}

void hsv_p_dpop_bearer(struct hsv_ctx *x, struct hc_result *r)
{
    struct dpop_tok t = {0};
    long st;

    if (dpop_token(x, r, &t)) {
        st = hsv_mcp_bearer(x, t.access);
        hsv_set(r, st == 401 ? HC_SUCCESS : HC_FAILURE,
                "a DPoP-bound token presented as Bearer: HTTP %ld%s", st,
                st == 401 ? "" : ", not 401 (RFC 9449 §7.2)");
    }
    dpop_tok_free(&t);
}

void hsv_p_dpop_ath(struct hsv_ctx *x, struct hc_result *r)
{
    struct dpop_tok t = {0};
    char err[512];
    long st;

    if (dpop_token(x, r, &t)) {
        st = dpop_present(x, &t, false, err, sizeof(err));
        hsv_set(r, st == 401 ? HC_SUCCESS : HC_FAILURE,
                "a DPoP proof without ath: HTTP %ld%s", st,
                st == 401 ? "" : ", not 401 (RFC 9449 §4.3, §7.1)");
    }
    dpop_tok_free(&t);
}

void hsv_p_dpop_valid(struct hsv_ctx *x, struct hc_result *r)
{
    struct dpop_tok t = {0};
    char err[512];
    long st;

    if (dpop_token(x, r, &t)) {
        st = dpop_present(x, &t, true, err, sizeof(err));
        if (hsv_ok2xx(st)) {
            hsv_set(r, HC_SUCCESS,
                    "a DPoP-bound token with a valid proof: HTTP %ld", st);
        } else {
            hsv_set(r, HC_FAILURE,
                    "a DPoP-bound token with a valid proof (ath, "
                    "content_digest): HTTP %ld %.300s",
                    st, err);
        }
    }
    dpop_tok_free(&t);
}

/* --- Client ID Metadata Documents --------------------------------------- */

#define CIMD_DRAFT                                                             \
    "draft-ietf-oauth-client-id-metadata-document (MCP 2026-07-28 client "     \
    "registration)"

/* Our documents, served once per run under a random path (an AS may
 * cache by URL). False with r set. */
static bool cimd_setup(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_listener *l;
    char why[WHY], *rnd = NULL, *doc = NULL;
    bool ok = true;
    static const char *const names[] = {"client", "mismatch", "target", NULL};

    if (!hsv_need_md(x, r)) {
        return false;
    }
    if (!json_is_true(
            json_object_get(x->md, "client_id_metadata_document_supported"))) {
        hsv_set(r, HC_SKIPPED,
                "the AS does not advertise "
                "client_id_metadata_document_supported");
        return false;
    }
    if (x->cimd_base != NULL) {
        return true;
    }
    l = x->o->cimd_https
            ? (hsv_listen_start_tls(0, true, &x->docs, why, sizeof(why))
                   ? x->docs
                   : NULL)
            : (x->docs = hsv_listener(x, why, sizeof(why)));
    if (l == NULL || (rnd = ac_random_token(9, NULL)) == NULL ||
        asprintf(&x->cimd_base, "%s://127.0.0.1:%d/cimd/%s",
                 x->o->cimd_https ? "https" : "http", hsv_listen_port(l),
                 rnd) < 0) {
        x->cimd_base = NULL;
        free(rnd);
        hsv_set(r, HC_SKIPPED, "no loopback listener for the documents: %s",
                why);
        return false;
    }
    for (size_t i = 0; ok && names[i] != NULL; i++) {
        /* mismatch.json names another URL; target.json (reached only by
         * following moved.json's redirect) names moved.json. */
        const char *idn = i == 1 ? "other" : i == 2 ? "moved" : names[i];
        json_t *d =
            json_pack("{s:s+++, s:s, s:[s], s:[s], s:[s], s:s}", "client_id",
                      x->cimd_base, "/", idn, ".json", "client_name",
                      "authcheck server", "redirect_uris", x->redirect_uri,
                      "grant_types", "authorization_code", "response_types",
                      "code", "token_endpoint_auth_method", "none");
        char *path = NULL;
        doc = d ? json_dumps(d, JSON_COMPACT) : NULL;
        ok = doc != NULL &&
             asprintf(&path, "/cimd/%s/%s.json", rnd, names[i]) >= 0 &&
             hsv_listen_doc(l, path, doc);
        json_decref(d);
        free(doc);
        free(path);
    }
    if (ok) {
        char *from = NULL, *to = NULL;
        ok = asprintf(&from, "/cimd/%s/moved.json", rnd) >= 0 &&
             asprintf(&to, "%s/target.json", x->cimd_base) >= 0 &&
             hsv_listen_redirect(l, from, to);
        free(from);
        free(to);
    }
    free(rnd);
    if (!ok) {
        hsv_set(r, HC_SKIPPED, "out of memory serving the documents");
    }
    return ok;
}

/* The listener path of document `name` ("/cimd/<rnd>/<name>.json"). */
static char *cimd_path(const struct hsv_ctx *x, const char *name)
{
    const char *p = strstr(x->cimd_base, "/cimd/");
    char *out = NULL;

    if (p == NULL || asprintf(&out, "%s/%s.json", p, name) < 0) {
        return NULL;
    }
    return out;
}

/* Authorize with client_id = our document `name`; *hits how often the
 * AS fetched `watch` (a path name) meanwhile. */
static void cimd_authorize(struct hsv_ctx *x, const char *name,
                           const char *watch, struct hsv_authz *a, int *hits)
{
    struct hsv_client c = {0};
    struct hsv_authz_opts ao = {0};
    char *path = cimd_path(x, watch);
    int before = path ? hsv_listen_hits(x->docs, path) : 0;

    if (asprintf(&c.id, "%s/%s.json", x->cimd_base, name) < 0) {
        c.id = NULL;
        a->kind = AZ_NET;
        snprintf(a->why, sizeof(a->why), "out of memory");
    } else {
        hsv_authorize(x, &c, &ao, a);
    }
    *hits = path ? hsv_listen_hits(x->docs, path) - before : 0;
    free(path);
    free(c.id);
}

void hsv_p_cimd_fetch(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_authz a = {0};
    struct hsv_client c = {0};
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    char *form = NULL, why[WHY];
    int hits;

    if (!cimd_setup(x, r)) {
        return;
    }
    cimd_authorize(x, "client", "client", &a, &hits);
    if (a.kind != AZ_CODE) {
        if (hits == 0 && a.kind != AZ_USER) {
            hsv_set(r, HC_SKIPPED,
                    "the AS did not fetch %s/client.json (an AS may refuse "
                    "%sloopback client_id URLs; the harness serves its "
                    "documents on 127.0.0.1 only%s)",
                    x->cimd_base, x->o->cimd_https ? "" : "http or ",
                    x->o->cimd_https ? ", with a self-signed certificate"
                                     : ": try --cimd-https");
        } else if (a.kind == AZ_USER || a.kind == AZ_NET) {
            hsv_set(r, HC_SKIPPED, "could not get an authorization code: %s",
                    a.why);
        } else {
            hsv_set(r, HC_FAILURE,
                    "the AS fetched a valid client metadata document and "
                    "refused the authorization request (%s)",
                    a.error    ? a.error
                    : a.why[0] ? a.why
                               : "error page");
        }
        goto out;
    }
    c.id = NULL;
    if (asprintf(&c.id, "%s/client.json", x->cimd_base) < 0) {
        c.id = NULL;
        goto out;
    }
    form = hsv_code_form(x, &c, a.code, a.verifier, NULL, NULL);
    if (form == NULL || !hsv_token(x, &c, form, &resp, why, sizeof(why))) {
        hsv_set(r, HC_FAILURE, "token endpoint: %s", form ? why : "no memory");
        goto out;
    }
    doc = hsv_json_body(&resp);
    hsv_secret(x, ac_json_str(doc, "access_token"));
    hsv_secret(x, ac_json_str(doc, "refresh_token"));
    if (resp.status == 200 && ac_json_str(doc, "access_token") != NULL) {
        hsv_set(r, HC_SUCCESS,
                "the AS fetched the document (%d request%s), issued a code "
                "and tokens to the URL client_id",
                hits, hits == 1 ? "" : "s");
    } else {
        hsv_set(r, HC_FAILURE,
                "the code of a metadata-document client was not redeemed: "
                "HTTP %ld %s",
                resp.status, hsv_err_code(doc));
    }
out:
    json_decref(doc);
    free(form);
    free(c.id);
    ac_http_response_free(&resp);
    hsv_authz_free(&a);
}

void hsv_p_cimd_mismatch(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_authz a = {0};
    int hits;

    if (!cimd_setup(x, r)) {
        return;
    }
    cimd_authorize(x, "mismatch", "mismatch", &a, &hits);
    if (a.kind == AZ_CODE) {
        hsv_set(r, HC_FAILURE,
                "a code was issued for %s/mismatch.json, whose document names "
                "client_id %s/other.json (" CIMD_DRAFT ": MUST match)",
                x->cimd_base, x->cimd_base);
    } else if (a.kind == AZ_ELSEWHERE) {
        hsv_set(r, HC_FAILURE, "redirected to %s", a.location);
    } else if (hits == 0) {
        hsv_set(r, HC_SKIPPED, "the AS did not fetch the document");
    } else if (a.kind == AZ_USER || a.kind == AZ_NET) {
        hsv_set(r, HC_SKIPPED, "the outcome needs a login: %s", a.why);
    } else {
        hsv_set(r, HC_SUCCESS,
                "a document whose client_id is not its URL was refused (%s)",
                a.error    ? a.error
                : a.why[0] ? a.why
                           : "error page");
    }
    hsv_authz_free(&a);
}

/* Is the AS's issuer on loopback? */
static bool as_on_loopback(const struct hsv_ctx *x)
{
    struct ac_url u;
    bool lo = false;

    if (x->issuer != NULL && ac_url_parse(x->issuer, &u, NULL)) {
        lo = ac_url_is_loopback(&u);
        ac_url_free(&u);
    }
    return lo;
}

void hsv_p_cimd_ssrf(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_authz a = {0}, b = {0};
    int moved, target;
    char *path;

    if (!cimd_setup(x, r)) {
        return;
    }
    path = cimd_path(x, "target");
    target = path ? hsv_listen_hits(x->docs, path) : 0;
    cimd_authorize(x, "moved", "moved", &a, &moved);
    target = (path ? hsv_listen_hits(x->docs, path) : 0) - target;
    free(path);
    if (target > 0 || a.kind == AZ_CODE) {
        hsv_set(r, HC_FAILURE,
                "the AS %s the redirect of %s/moved.json%s (" CIMD_DRAFT
                " -01 §4: MUST NOT follow redirects; SSRF)",
                target > 0 ? "followed" : "accepted", x->cimd_base,
                a.kind == AZ_CODE ? " and issued a code" : "");
    } else if (!as_on_loopback(x)) {
        /* A remote AS must not fetch a loopback address at all: a code
         * for it means it fetched its own loopback or did not look. */
        cimd_authorize(x, "client", "client", &b, &moved);
        hsv_set(r, b.kind == AZ_CODE ? HC_FAILURE : HC_SUCCESS,
                "redirect not followed; a client_id on 127.0.0.1 (special-use, "
                "RFC 6890) %s",
                b.kind == AZ_CODE ? "got a code" : "was refused");
    } else {
        hsv_set(r, HC_SUCCESS,
                "a document behind a redirect was refused%s (special-use "
                "addresses: not probed, the AS is on loopback where the "
                "loopback exception applies)",
                moved > 0 ? " after one fetch" : "");
    }
    hsv_authz_free(&a);
    hsv_authz_free(&b);
}

/* --- client credentials (ext-auth oauth-client-credentials) ------------ */

/* The client for the grant: --client-id/--client-secret, else one
 * registered (RFC 7591) for client_credentials only. */
static struct hsv_client *cc_client(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = &x->cc;
    struct ac_http_response resp = {0};
    json_t *md = NULL, *doc = NULL;
    const json_t *m;

    if (!hsv_need_md(x, r)) {
        return NULL;
    }
    if (!ac_json_array_has_str(json_object_get(x->md, "grant_types_supported"),
                               "client_credentials")) {
        hsv_set(r, HC_SKIPPED,
                "the AS does not advertise client_credentials in "
                "grant_types_supported");
        return NULL;
    }
    m = json_object_get(x->md, "token_endpoint_auth_methods_supported");
    if (!c->tried) {
        c->tried = true;
        c->post = json_is_array(m) &&
                  !ac_json_array_has_str(m, "client_secret_basic") &&
                  ac_json_array_has_str(m, "client_secret_post");
        if (x->o->client_id != NULL && x->o->client_secret != NULL) {
            c->id = strdup(x->o->client_id);
            c->secret = strdup(x->o->client_secret);
        } else if ((md = json_pack(
                        "{s:s, s:[s], s:[s], s:[], s:s}", "client_name",
                        "authcheck server (cc)", "redirect_uris",
                        x->redirect_uri, "grant_types", "client_credentials",
                        "response_types", "token_endpoint_auth_method",
                        c->post ? "client_secret_post"
                                : "client_secret_basic")) != NULL &&
                   hsv_register(x, md, &resp, c->why, sizeof(c->why)) &&
                   (doc = hsv_json_body(&resp)) != NULL &&
                   ac_json_str(doc, "client_secret") != NULL) {
            c->id = strdup(ac_json_str(doc, "client_id"));
            c->secret = strdup(ac_json_str(doc, "client_secret"));
            hsv_secret(x, c->secret);
        } else if (c->why[0] == '\0') {
            snprintf(c->why, sizeof(c->why),
                     "registration for client_credentials failed (HTTP %ld)",
                     resp.status);
        }
    }
    json_decref(md);
    json_decref(doc);
    ac_http_response_free(&resp);
    if (c->id == NULL) {
        hsv_set(r, HC_SKIPPED,
                "no confidential client: %s (give --client-id and "
                "--client-secret of a client allowed client_credentials)",
                c->why);
    }
    return c->id != NULL ? c : NULL;
}

/* POST grant_type=client_credentials as `c`; *doc the JSON (new). */
static bool cc_call(struct hsv_ctx *x, struct hc_result *r,
                    const struct hsv_client *c, struct ac_http_response *resp,
                    json_t **doc)
{
    char why[WHY];
    char *form = hsv_form("grant_type", "client_credentials", "resource",
                          x->resource, NULL);
    bool ok = form != NULL && hsv_token(x, c, form, resp, why, sizeof(why));

    free(form);
    *doc = ok ? hsv_json_body(resp) : NULL;
    if (!ok) {
        hsv_set(r, HC_FAILURE, "token endpoint: %s", why);
    }
    hsv_secret(x, ac_json_str(*doc, "access_token"));
    hsv_secret(x, ac_json_str(*doc, "refresh_token"));
    return ok;
}

void hsv_p_cc_grant(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = cc_client(x, r);
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    const char *tt;
    long st = -1;

    if (c == NULL || !cc_call(x, r, c, &resp, &doc)) {
        goto out;
    }
    tt = ac_json_str(doc, "token_type");
    if (resp.status != 200 || ac_json_str(doc, "access_token") == NULL) {
        hsv_set(r, HC_FAILURE,
                "client_credentials with a valid client: HTTP %ld %s",
                resp.status, hsv_err_code(doc));
        goto out;
    }
    if (tt == NULL || (strcasecmp(tt, "Bearer") && strcasecmp(tt, "DPoP"))) {
        hsv_set(r, HC_FAILURE, "token_type %s", tt ? tt : "missing");
        goto out;
    }
    if (x->mcp_url != NULL && strcasecmp(tt, "Bearer") == 0) {
        st = hsv_mcp_bearer(x, ac_json_str(doc, "access_token"));
    }
    if (st >= 0) {
        hsv_set(r, HC_SUCCESS,
                "client_credentials issued a %s token; the MCP server "
                "answered it with HTTP %ld",
                tt, st);
    } else {
        hsv_set(r, HC_SUCCESS, "client_credentials issued a %s token", tt);
    }
out:
    json_decref(doc);
    ac_http_response_free(&resp);
}

void hsv_p_cc_auth(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = cc_client(x, r);
    struct hsv_client bad;
    struct ac_http_response resp = {0};
    json_t *doc = NULL;
    const char *www;

    if (c == NULL) {
        return;
    }
    bad = *c;
    bad.secret = "authcheck-wrong-secret";
    if (cc_call(x, r, &bad, &resp, &doc)) {
        www = ac_http_header_get(&resp, "WWW-Authenticate");
        if (ac_json_str(doc, "error") == NULL ||
            strcmp(ac_json_str(doc, "error"), "invalid_client") != 0 ||
            (resp.status != 401 && (resp.status != 400 || !c->post))) {
            hsv_set(r, HC_FAILURE,
                    "a wrong client secret: HTTP %ld %s, not %s invalid_client "
                    "(RFC 6749 §5.2)",
                    resp.status, hsv_err_code(doc),
                    c->post ? "400/401" : "401");
        } else if (!c->post && www == NULL) {
            hsv_set(r, HC_FAILURE,
                    "a wrong client secret over Basic: 401 without "
                    "WWW-Authenticate (RFC 6749 §5.2)");
        } else {
            hsv_set(r, HC_SUCCESS,
                    "a wrong client secret: HTTP %ld "
                    "invalid_client%s",
                    resp.status, www ? " with WWW-Authenticate" : "");
        }
    }
    json_decref(doc);
    ac_http_response_free(&resp);
}

void hsv_p_cc_no_refresh(struct hsv_ctx *x, struct hc_result *r)
{
    struct hsv_client *c = cc_client(x, r);
    struct ac_http_response resp = {0};
    json_t *doc = NULL;

    if (c != NULL && cc_call(x, r, c, &resp, &doc)) {
        if (resp.status != 200 || ac_json_str(doc, "access_token") == NULL) {
            hsv_set(r, HC_SKIPPED, "no client_credentials token: HTTP %ld %s",
                    resp.status, hsv_err_code(doc));
        } else if (ac_json_str(doc, "refresh_token") != NULL) {
            hsv_set(r, HC_FAILURE,
                    "the client_credentials response carries a refresh_token "
                    "(OAuth 2.1 §4.2.2: SHOULD NOT)");
        } else {
            hsv_set(r, HC_SUCCESS, "no refresh_token");
        }
    }
    json_decref(doc);
    ac_http_response_free(&resp);
}
