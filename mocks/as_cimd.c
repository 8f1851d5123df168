/* Client ID Metadata Documents: a URL client_id is fetched, validated and
 * cached as a client. The fetch runs with the world lock released, so a
 * document served by another server of the same world (whose handler
 * takes the lock) answers instead of stalling until the timeout. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/httpc.h"
#include "common/json.h"
#include "common/url.h"
#include "mocks/as_int.h"
#include "mocks/defects.h"
#include "mocks/world_int.h"

static bool is_url_id(const char *id)
{
    return id != NULL &&
           (strncmp(id, "https://", 8) == 0 || strncmp(id, "http://", 7) == 0);
}

/* Validate a fetched client metadata document for `url`; NULL when good.
 * Defaults as for DCR, but the method defaults to "none" and must not use
 * a shared secret (there is no one to issue it). */
static const char *cimd_verdict(json_t *doc, const char *url, unsigned defects)
{
    const char *m;

    if (ac_json_str(doc, "client_id") == NULL ||
        (strcmp(ac_json_str(doc, "client_id"), url) != 0 &&
         !(defects & MO_DEF_CIMD_ID_UNCHECKED))) {
        return "client_id must equal the document URL";
    }
    if (mo_as_check_redirect_uris(json_object_get(doc, "redirect_uris")) !=
        NULL) {
        return "redirect_uris missing or invalid";
    }
    if (json_object_get(doc, "token_endpoint_auth_method") == NULL) {
        json_object_set_new(doc, "token_endpoint_auth_method",
                            json_string("none"));
    }
    if (json_object_get(doc, "grant_types") == NULL) {
        json_object_set_new(
            doc, "grant_types",
            json_pack("[s, s]", "authorization_code", "refresh_token"));
    }
    if (mo_as_check_metadata(doc) != NULL) {
        return "invalid client metadata";
    }
    m = ac_json_str(doc, "token_endpoint_auth_method");
    if (strcmp(m, "none") != 0 && strcmp(m, "private_key_jwt") != 0) {
        return "a metadata document client cannot use a client secret";
    }
    return NULL;
}

/* Is `host` an IP literal of a special-use range (RFC 6890) other than
 * loopback? The mock always runs on loopback, where fetching a loopback
 * document is allowed (the CIMD draft's exception for an authorization
 * server on the same loopback interface); 0.0.0.0, private, link-local
 * (cloud metadata) and documentation ranges are refused (SSRF). */
static bool special_use(const char *host)
{
    static const unsigned char lo[16] = {[15] = 1};
    unsigned char a[16];

    if (inet_pton(AF_INET6, host, a) == 1) {
        return memcmp(a, lo, 16) != 0; /* ::, fc00::/7, mapped v4, ... */
    }
    if (inet_pton(AF_INET, host, a) != 1) {
        return false; /* a name */
    }
    return a[0] == 0 || a[0] == 10 || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
           (a[0] == 169 && a[1] == 254) ||
           (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 0) ||
           (a[0] == 192 && a[1] == 168) ||
           (a[0] == 198 && (a[1] & 0xfe) == 18) ||
           (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
           (a[0] == 203 && a[1] == 0 && a[2] == 113) || a[0] >= 224;
}

static bool url_special_use(const char *url)
{
    struct ac_url u;
    bool bad;

    if (!ac_url_parse(url, &u, NULL)) {
        return true;
    }
    bad = special_use(u.host);
    ac_url_free(&u);
    return bad;
}

/* One GET of the document. The draft (-01 §4) forbids following
 * redirects; defect profile cimd-ssrf follows one. */
static bool cimd_get(const struct mo_as *as, const char *url,
                     struct ac_http_response *rs)
{
    struct ac_http_request rq = {
        .url = url,
        .connect_timeout_ms = 1000,
        .timeout_ms = 2000,
        .max_body = 64 * 1024,
    };
    struct ac_err err;
    const char *loc;
    char *next;
    bool ok;

    memset(rs, 0, sizeof(*rs));
    ok = ac_http_do(&rq, rs, &err);
    if (ok && (as->defects & MO_DEF_CIMD_SSRF) && rs->status >= 300 &&
        rs->status < 400 && (loc = ac_http_header_get(rs, "Location")) &&
        (next = ac_url_resolve(url, loc, NULL)) != NULL) {
        ac_http_response_free(rs);
        rq.url = next;
        ok = ac_http_do(&rq, rs, &err);
        free(next);
    }
    return ok;
}

/* GET `url` and validate it as the client metadata document of `url`.
 * Called with the world lock RELEASED: it touches nothing of the AS but
 * immutable configuration (as->id, as->defects). A new reference, or
 * NULL when the fetch failed or the document is invalid (logged). */
static json_t *cimd_fetch_unlocked(const struct mo_as *as, const char *url)
{
    struct ac_http_response rs;
    struct ac_err err;
    json_t *doc = NULL;
    const char *why = "fetch failed";

    memset(&rs, 0, sizeof(rs));
    if (url_special_use(url) && !(as->defects & MO_DEF_CIMD_SSRF)) {
        why = "special-use address (SSRF)";
    } else if (cimd_get(as, url, &rs) && rs.status == 200 &&
               (doc = ac_json_parse_object(rs.body, rs.body_len, &err)) !=
                   NULL &&
               (why = cimd_verdict(doc, url, as->defects)) != NULL) {
        json_decref(doc);
        doc = NULL;
    } else if (doc != NULL && (as->defects & MO_DEF_CIMD_BROKEN)) {
        why = "defect profile cimd-broken";
        json_decref(doc);
        doc = NULL;
    }
    if (doc == NULL) {
        ac_log(AC_LOG_INFO, "%s: client metadata %s refused: %s", as->id, url,
               why != NULL ? why : "invalid");
    }
    ac_http_response_free(&rs);
    return doc;
}

/* The official conformance suite's fixed client ID metadata URL. Its
 * clients use it as client_id without publishing anything there (the
 * official mock "accepts it as-is and uses hardcoded metadata"), so this
 * AS resolves it to a document of its own instead of fetching it: the
 * redirect URI the official example clients use,
 * http://localhost:3000/callback, in both loopback spellings (RFC 8252
 * §8.3). Since no document says which redirect URI a client may use, any
 * http loopback URI is accepted, as the official mock does (mcp-remote
 * uses http://localhost:PORT/oauth/callback and passes there). */
#define OFFICIAL_CIMD_URL "https://conformance-test.local/client-metadata.json"

static struct client *cimd_builtin(struct mo_as *as, const char *id)
{
    struct client *c;
    json_t *doc = json_pack(
        "{s:s, s:s, s:[s, s], s:[s, s], s:[s], s:s}", "client_id", id,
        "client_name", "MCP conformance test client", "redirect_uris",
        "http://localhost:3000/callback", "http://127.0.0.1:3000/callback",
        "grant_types", "authorization_code", "refresh_token", "response_types",
        "code", "token_endpoint_auth_method", "none");
    const char *why = doc != NULL ? cimd_verdict(doc, id, 0) : "out of memory";

    if (why != NULL) {
        ac_log(AC_LOG_ERROR, "%s: built-in client metadata: %s", as->id, why);
        json_decref(doc);
        return NULL;
    }
    ac_log(AC_LOG_INFO, "%s: client %s resolved to the built-in document",
           as->id, id);
    c = mo_as_client_push(as, doc, id, NULL, false);
    if (c != NULL) {
        c->loopback_any = true;
        c->any_loopback_redirect = true;
    }
    return c;
}

/* Fetch, validate and cache the document of a URL client_id. NULL when
 * it cannot be had or is invalid (the client is then unknown).
 *
 * The world lock is released for the fetch: the document may be served
 * by a server of this world whose handler needs the lock (a rule on the
 * MCP server, another AS), which would otherwise stall until the
 * timeout. Nothing borrowed from shared state is used across it (the URL
 * is copied), and the state is looked at afresh once the lock is back:
 * a concurrent request may have cached the same client meanwhile. */
static struct client *cimd_fetch(struct mo_as *as, const char *id)
{
    char *url = strdup(id);
    json_t *doc = NULL;
    struct client *c = NULL;

    if (url == NULL) {
        return NULL;
    }
    pthread_mutex_unlock(&as->sh->lock);
    doc = cimd_fetch_unlocked(as, url);
    pthread_mutex_lock(&as->sh->lock);
    if (doc != NULL) {
        c = mo_as_client_find(as, url);
        if (c == NULL) {
            c = mo_as_client_push(as, doc, url, NULL, false);
            doc = NULL; /* taken */
        }
    }
    json_decref(doc);
    free(url);
    return c;
}

/* A known client, or for a URL client_id with CIMD enabled, the fetched
 * and cached one. */
struct client *mo_as_client_lookup(struct mo_as *as, const char *id)
{
    struct client *c = mo_as_client_find(as, id);

    if (c == NULL && as->cimd && id != NULL &&
        strcmp(id, OFFICIAL_CIMD_URL) == 0) {
        c = cimd_builtin(as, id);
    } else if (c == NULL && as->cimd && is_url_id(id)) {
        c = cimd_fetch(as, id);
    }
    return c;
}
