/* Test helpers shared by tests/test_mocks_*.c: a bare libcurl client (no
 * redirect following, as libmicrohttpd's own tests do) and the steps of an
 * OAuth flow against a mock world, done by hand.
 *
 * It is a header of static functions only because tests/support/ belongs
 * to another module's engineer; it can move there unchanged. */
#ifndef TEST_MOCK_HTTP_H
#define TEST_MOCK_HTTP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "mocks/world.h"

/* Not every test uses every helper. */
#define TH_FN static __attribute__((unused))

/* A fixed RFC 7636 verifier (43 unreserved characters). */
#define TH_VERIFIER "dBjftJeZ4CVP-mJ92ZRIFtomaMz-sHoRQ8sMmLCy1fVw"
#define TH_REDIRECT "http://127.0.0.1:9/callback"

struct th_resp {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char *hdrs[64]; /* "Name: value" lines, CRLF stripped */
    size_t nh;
};

TH_FN size_t th_on_body(char *p, size_t size, size_t n, void *arg)
{
    struct th_resp *r = arg;
    size_t add = size * n;
    char *b = realloc(r->body, r->len + add + 1);

    if (b == NULL) {
        return 0;
    }
    memcpy(b + r->len, p, add);
    r->len += add;
    b[r->len] = '\0';
    r->body = b;
    return add;
}

TH_FN size_t th_on_header(char *p, size_t size, size_t n, void *arg)
{
    struct th_resp *r = arg;
    size_t len = size * n;

    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n')) {
        len--;
    }
    if (memchr(p, ':', len) != NULL && r->nh < 64) {
        r->hdrs[r->nh++] = strndup(p, len);
    }
    return size * n;
}

TH_FN void th_resp_free(struct th_resp *r)
{
    free(r->body);
    for (size_t i = 0; i < r->nh; i++) {
        free(r->hdrs[i]);
    }
    memset(r, 0, sizeof(*r));
}

/* One request. `headers`: NULL-terminated "Name: value" list or NULL;
 * `body` may be NULL. Returns the HTTP status, 0 on transport failure. */
TH_FN long th_http(const char *method, const char *url,
                   const char *const *headers, const char *body,
                   size_t body_len, struct th_resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;

    memset(r, 0, sizeof(*r));
    if (c == NULL) {
        return 0;
    }
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        hl = curl_slist_append(hl, headers[i]);
    }
    /* Keep bodies exact: no "Expect: 100-continue" round trip. */
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, th_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                         (long)(body_len != 0 ? body_len : strlen(body)));
    }
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (r->body == NULL) {
        r->body = strdup("");
    }
    return r->status;
}

/* First value of a response header (case-insensitive), borrowed. */
TH_FN const char *th_header(const struct th_resp *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nh; i++) {
        if (strncasecmp(r->hdrs[i], name, n) == 0 && r->hdrs[i][n] == ':') {
            const char *v = r->hdrs[i] + n + 1;

            return v + strspn(v, " ");
        }
    }
    return NULL;
}

TH_FN json_t *th_json(const struct th_resp *r)
{
    return json_loads(r->body, 0, NULL);
}

/* The "error" member of a JSON response body: a new string or NULL. */
TH_FN char *th_error(const struct th_resp *r)
{
    json_t *doc = th_json(r);
    const char *e = json_string_value(json_object_get(doc, "error"));
    char *out = e != NULL ? strdup(e) : NULL;

    json_decref(doc);
    return out;
}

/* A query parameter of a URL (e.g. a Location): a new string or NULL. */
TH_FN char *th_query_param(const char *url, const char *name)
{
    const char *q = url != NULL ? strchr(url, '?') : NULL;
    struct ac_form f;
    const char *v;
    char *out = NULL;

    if (q == NULL || !ac_form_parse(q + 1, &f, NULL)) {
        return NULL;
    }
    v = ac_form_get(&f, name);
    out = v != NULL ? strdup(v) : NULL;
    ac_form_free(&f);
    return out;
}

/* printf into a new string. */
__attribute__((format(printf, 1, 2))) TH_FN char *th_fmt(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
    }
    va_end(ap);
    return s;
}

TH_FN long th_post_form(const char *url, const char *auth, const char *body,
                        struct th_resp *r)
{
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", auth,
                       NULL};

    return th_http("POST", url, h, body, 0, r);
}

TH_FN long th_post_json(const char *url, const char *body, struct th_resp *r)
{
    const char *h[] = {"Content-Type: application/json", NULL};

    return th_http("POST", url, h, body, 0, r);
}

struct th_client {
    char *id;
    char *secret; /* NULL for a public client */
};

TH_FN void th_client_free(struct th_client *c)
{
    free(c->id);
    free(c->secret);
    memset(c, 0, sizeof(*c));
}

/* DCR with the given auth method and grant types (JSON array text). */
TH_FN bool th_register(struct mo_world *w, const char *method,
                       const char *grants, struct th_client *c)
{
    char *url = th_fmt("%s/register", mo_world_issuer(w, 0));
    char *body = th_fmt("{\"redirect_uris\":[\"%s\"],"
                        "\"token_endpoint_auth_method\":\"%s\","
                        "\"grant_types\":%s,\"client_name\":\"t\"}",
                        TH_REDIRECT, method, grants);
    struct th_resp r;
    json_t *doc;
    bool ok;

    memset(c, 0, sizeof(*c));
    ok = th_post_json(url, body, &r) == 201;
    doc = th_json(&r);
    if (ok) {
        const char *s = ac_json_str(doc, "client_secret");

        c->id = strdup(ac_json_str(doc, "client_id"));
        c->secret = s != NULL ? strdup(s) : NULL;
    }
    json_decref(doc);
    th_resp_free(&r);
    free(url);
    free(body);
    return ok;
}

/* GET /authorize with `extra` appended to a correct query (client_id,
 * redirect_uri, response_type, challenge, method, resource, state "st");
 * `base` replaces those defaults when non-NULL. Returns the status; the
 * response is in *r. */
TH_FN long th_authorize_raw(struct mo_world *w, const char *query,
                            struct th_resp *r)
{
    char *url = th_fmt("%s/authorize?%s", mo_world_issuer(w, 0), query);
    long st = th_http("GET", url, NULL, NULL, 0, r);

    free(url);
    return st;
}

/* A correct authorization query for client `id` with `scope` (NULL: none)
 * followed by `extra` ("" for none). A new string. */
TH_FN char *th_authz_query(struct mo_world *w, const char *id,
                           const char *scope, const char *extra)
{
    char *chal = ac_pkce_s256(TH_VERIFIER, NULL);
    char *res = ac_pct_encode(mo_world_resource(w));
    char *redir = ac_pct_encode(TH_REDIRECT);
    char *sc = scope != NULL ? ac_pct_encode(scope) : NULL;
    char *q = th_fmt("response_type=code&client_id=%s&redirect_uri=%s&"
                     "code_challenge=%s&code_challenge_method=S256&"
                     "resource=%s&state=st%s%s%s",
                     id, redir, chal, res, sc != NULL ? "&scope=" : "",
                     sc != NULL ? sc : "", extra);

    free(chal);
    free(res);
    free(redir);
    free(sc);
    return q;
}

/* Authorize and return the code (a new string) or NULL. */
TH_FN char *th_code(struct mo_world *w, const char *id, const char *scope)
{
    char *q = th_authz_query(w, id, scope, "");
    struct th_resp r;
    char *code = NULL;

    if (th_authorize_raw(w, q, &r) == 302) {
        code = th_query_param(th_header(&r, "Location"), "code");
    }
    th_resp_free(&r);
    free(q);
    return code;
}

/* The token request body for a code (public client). A new string. */
TH_FN char *th_code_body(struct mo_world *w, const char *id, const char *code,
                         const char *verifier)
{
    char *res = ac_pct_encode(mo_world_resource(w));
    char *redir = ac_pct_encode(TH_REDIRECT);
    char *b = th_fmt("grant_type=authorization_code&code=%s&client_id=%s&"
                     "redirect_uri=%s&code_verifier=%s&resource=%s",
                     code, id, redir, verifier, res);

    free(res);
    free(redir);
    return b;
}

/* Full flow for a public client: register, authorize, token. *access and
 * *refresh (may be NULL) are new strings. */
TH_FN bool th_login(struct mo_world *w, const char *scope, char **access,
                    char **refresh)
{
    struct th_client c;
    char *code = NULL, *body = NULL, *url = NULL;
    struct th_resp r;
    json_t *doc = NULL;
    bool ok = false;

    memset(&r, 0, sizeof(r));
    *access = NULL;
    if (refresh != NULL) {
        *refresh = NULL;
    }
    if (!th_register(w, "none", "[\"authorization_code\",\"refresh_token\"]",
                     &c)) {
        return false;
    }
    code = th_code(w, c.id, scope);
    if (code == NULL) {
        goto out;
    }
    body = th_code_body(w, c.id, code, TH_VERIFIER);
    url = th_fmt("%s/token", mo_world_issuer(w, 0));
    if (th_post_form(url, NULL, body, &r) != 200) {
        goto out;
    }
    doc = th_json(&r);
    *access = strdup(ac_json_str(doc, "access_token"));
    if (refresh != NULL && ac_json_str(doc, "refresh_token") != NULL) {
        *refresh = strdup(ac_json_str(doc, "refresh_token"));
    }
    ok = true;
out:
    json_decref(doc);
    th_resp_free(&r);
    th_client_free(&c);
    free(code);
    free(body);
    free(url);
    return ok;
}

/* Count transcript entries with this server and endpoint. */
TH_FN size_t th_count(struct mo_world *w, const char *server,
                      const char *endpoint)
{
    json_t *t = mo_world_transcript(w);
    size_t i, n = 0;
    json_t *e;

    json_array_foreach(t, i, e)
    {
        const char *s = ac_json_str(e, "server");
        const char *ep = ac_json_str(e, "endpoint");

        n += (server == NULL || (s != NULL && strcmp(s, server) == 0)) &&
             ep != NULL && strcmp(ep, endpoint) == 0;
    }
    json_decref(t);
    return n;
}

#endif
