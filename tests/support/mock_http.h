/* Test helpers shared by tests/test_mocks_*.c: the steps of an OAuth flow
 * against a mock world, done by hand, over the libcurl client of
 * tests/support/http.h. Static functions in a header because they need
 * mocks/world.h, which test_common_* programs (that link tests/support/)
 * do not link. Include it after <cmocka.h>'s prerequisites. */
#ifndef TEST_MOCK_HTTP_H
#define TEST_MOCK_HTTP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "mocks/world.h"
#include "tests/support/http.h"

/* Not every test uses every helper. */
#define TH_FN static __attribute__((unused))

/* A fixed RFC 7636 verifier (43 unreserved characters). */
#define TH_VERIFIER "dBjftJeZ4CVP-mJ92ZRIFtomaMz-sHoRQ8sMmLCy1fVw"
#define TH_REDIRECT "http://127.0.0.1:9/callback"

/* The Accept header and initialize request of the 2025-11-25 wire. */
#define TH_ACCEPT "Accept: application/json, text/event-stream"
#define TH_INIT                                                                \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"      \
    "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"                 \
    "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"

/* Start a world from scenario JSON text, failing the test when it does not
 * start. The caller stops it with mo_world_stop. */
TH_FN struct mo_world *th_world_start(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    struct mo_world *w = NULL;
    struct ac_err err;

    assert_non_null(doc);
    if (!mo_world_start(doc, &w, &err)) {
        fail_msg("mo_world_start: %s", err.msg);
    }
    json_decref(doc);
    return w;
}

/* A CMocka group setup's work: libcurl's global state and a world from
 * scenario JSON text for the whole group, undone by th_group_teardown. */
TH_FN struct mo_world *th_group_world(const char *text)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return th_world_start(text);
}

/* A CMocka group teardown: stops the world in *state, after
 * th_group_world. */
TH_FN int th_group_teardown(void **state)
{
    mo_world_stop(*state);
    curl_global_cleanup();
    return 0;
}

/* The first AS's issuer followed by `path`: a new string. */
TH_FN char *th_url(struct mo_world *w, const char *path)
{
    return th_fmt("%s%s", mo_world_issuer(w, 0), path);
}

/* Fail the test unless *r is `status` with OAuth error `code`. */
TH_FN void th_assert_error(const struct th_resp *r, long status,
                           const char *code)
{
    char *e = th_error(r);

    if (r->status != status || e == NULL || strcmp(e, code) != 0) {
        fail_msg("want %ld %s, got %ld %s", status, code, r->status, r->body);
    }
    free(e);
}

/* POST a JSON-RPC `body` to the MCP endpoint with a Bearer `token`. */
TH_FN long th_mcp_post(struct mo_world *w, const char *token, const char *body,
                       struct th_resp *r)
{
    char *auth = th_fmt("Authorization: Bearer %s", token);
    const char *h[] = {TH_ACCEPT, "Content-Type: application/json", auth, NULL};
    long st = th_http("POST", mo_world_mcp_url(w), h, body, 0, r);

    free(auth);
    return st;
}

/* The status of an initialize request with a Bearer `token`. */
TH_FN long th_mcp_init(struct mo_world *w, const char *token)
{
    struct th_resp r;
    long st = th_mcp_post(w, token, TH_INIT, &r);

    th_resp_free(&r);
    return st;
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

/* POST the form `body` (freed here) to the first AS's token endpoint
 * without client authentication. Returns the status; the response is in
 * *r. */
TH_FN long th_token_post(struct mo_world *w, char *body, struct th_resp *r)
{
    char *url = th_url(w, "/token");
    long st = th_post_form(url, NULL, body, r);

    free(body);
    free(url);
    return st;
}

/* Redeem `code` of public client `id` with TH_VERIFIER at the first AS's
 * token endpoint. Returns the status; the response is in *r. */
TH_FN long th_redeem(struct mo_world *w, const char *id, const char *code,
                     struct th_resp *r)
{
    return th_token_post(w, th_code_body(w, id, code, TH_VERIFIER), r);
}

/* Full flow for a public client: register, authorize, token. *access and
 * *refresh (may be NULL) are new strings. */
TH_FN bool th_login(struct mo_world *w, const char *scope, char **access,
                    char **refresh)
{
    struct th_client c;
    char *code = NULL;
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
    if (th_redeem(w, c.id, code, &r) != 200) {
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
