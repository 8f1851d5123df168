/* libFuzzer target: how the reference client takes the documents a hostile
 * server sends it: Protected Resource Metadata (client/lib/discovery.c
 * discovery_take_prm, RFC 9728), authorization server metadata
 * (discovery_check_as_meta, RFC 8414), a registration response
 * (registration.c registration_take, RFC 7591) and a token response
 * (token.c token_parse, RFC 6749 §5), and the query string of the
 * authorization response its loopback listener receives (authorize.c
 * cb_judge, RFC 6749 §4.1.2, RFC 9207). The first byte picks the handler
 * ('p', 'a', 'r', 't', 'c'), the next three digits the HTTP status for
 * 'r' and 't' (for 'c': whether the AS supports `iss`); the rest is the
 * body or query. Properties: a failure says why; an
 * accepted PRM names our resource and an authorization server; accepted
 * metadata names the issuer it was fetched for; an accepted registration
 * leaves a client_id; an accepted token response has a Bearer access
 * token; an accepted callback carries our state, our issuer when `iss` is
 * supported, and a non-empty code. */
#include "tests/fuzz/fuzz.h"

#include <strings.h>

#include "client/lib/authorize_int.h"
#include "client/lib/callback_int.h"
#include "client/lib/client_int.h"
#include "common/httpc.h"
#include "common/json.h"

#define MCP_URL "http://127.0.0.1:9/mcp"
#define ISSUER "http://127.0.0.1:8/"

static void take_prm(struct mcpo_client *c, const char *body, size_t len)
{
    struct ac_err err = {0};
    json_t *doc = ac_json_parse_object(body, len, NULL);

    if (doc == NULL) {
        return;
    }
    if (discovery_take_prm(c, MCP_URL "/prm", doc, &err)) {
        FZ_ASSERT(strcmp(ac_json_str(doc, "resource"), c->resource) == 0);
        FZ_ASSERT(c->as_url != NULL && c->prm == doc);
    } else {
        FZ_ASSERT(err.msg[0] != '\0');
    }
    json_decref(doc);
}

static void take_as_meta(const char *body, size_t len)
{
    struct ac_err err = {0};
    json_t *doc = ac_json_parse_object(body, len, NULL);

    if (doc == NULL) {
        return;
    }
    if (discovery_check_as_meta(doc, ISSUER, &err)) {
        FZ_ASSERT(strcmp(ac_json_str(doc, "issuer"), ISSUER) == 0);
    } else {
        FZ_ASSERT(err.msg[0] != '\0');
    }
    json_decref(doc);
}

static void take_registration(struct mcpo_client *c, long status, char *body,
                              size_t len)
{
    struct ac_http_response r = {
        .status = status, .body = body, .body_len = len};
    struct ac_err err = {0};

    if (str_set(&c->redirect_uri, "http://127.0.0.1:7/callback", NULL) &&
        str_set(&c->issuer, ISSUER, NULL)) {
        if (registration_take(c, &r, &err)) {
            FZ_ASSERT(c->client_id != NULL && c->client_id[0] != '\0');
        } else {
            FZ_ASSERT(err.msg[0] != '\0');
        }
    }
}

static void take_token(long status, const char *body, size_t len)
{
    struct token_set t;
    struct ac_err err = {0};

    if (token_parse(status, body, len, &t, &err)) {
        FZ_ASSERT(t.access_token != NULL && t.access_token[0] != '\0');
        FZ_ASSERT(strcasecmp(t.token_type, "Bearer") == 0);
    } else {
        FZ_ASSERT(err.msg[0] != '\0' && t.fail != TF_NONE);
    }
    token_set_free(&t);
}

static void take_callback(const char *query, bool iss_supported)
{
    struct cb_expect ex = {
        .state = "st4te", .issuer = ISSUER, .iss_supported = iss_supported};
    struct ac_err why = {0};
    char *code = NULL;

    switch (cb_judge(query, &ex, &code, &why)) {
    case CB_ACCEPT:
        FZ_ASSERT(code != NULL && code[0] != '\0');
        FZ_ASSERT(strstr(query, "st4te") != NULL);
        FZ_ASSERT(!iss_supported || strstr(query, "iss=") != NULL);
        break;
    case CB_IGNORE:
    case CB_FAIL:
        FZ_ASSERT(code == NULL && why.msg[0] != '\0');
        break;
    }
    free(code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mcpo_client *c = NULL;
    long status;
    char *body;

    if (size < 4 || !mcpo_client_new(MCP_URL, &c, NULL)) {
        return 0;
    }
    status = (data[1] % 10) * 100 + (data[2] % 10) * 10 + data[3] % 10;
    body = fz_strndup(data + 4, size - 4);
    switch (data[0]) {
    case 'p':
        take_prm(c, body, size - 4);
        break;
    case 'a':
        take_as_meta(body, size - 4);
        break;
    case 'r':
        take_registration(c, status, body, size - 4);
        break;
    case 't':
        take_token(status, body, size - 4);
        break;
    case 'c':
        take_callback(body, status % 2 == 1);
        break;
    default:
        break;
    }
    free(body);
    mcpo_client_free(c);
    return 0;
}
