/* Unit tests of discovery: the authorization server metadata URL order of
 * MCP 2026-07-28 and the validation of a metadata document (issuer
 * identity, PKCE S256, required endpoints). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "client/lib/client_int.h"

static void expect_urls(const char *issuer, const char *const *want)
{
    char **v = NULL;
    struct ac_err err;
    if (!discovery_as_urls(issuer, &v, &err)) {
        fail_msg("%s: %s", issuer, err.msg);
    }
    size_t i = 0;
    for (; want[i] != NULL; i++) {
        assert_non_null(v[i]);
        assert_string_equal(v[i], want[i]);
    }
    assert_null(v[i]);
    strv_free(v);
}

static void test_as_url_order(void **state)
{
    static const char *const with_path[] = {
        "https://auth.example.com/.well-known/oauth-authorization-server/"
        "tenant1",
        "https://auth.example.com/.well-known/openid-configuration/tenant1",
        "https://auth.example.com/tenant1/.well-known/openid-configuration",
        NULL};
    static const char *const root[] = {
        "https://auth.example.com/.well-known/oauth-authorization-server",
        "https://auth.example.com/.well-known/openid-configuration", NULL};
    (void)state;
    expect_urls("https://auth.example.com/tenant1", with_path);
    expect_urls("https://auth.example.com/tenant1/", with_path);
    expect_urls("https://auth.example.com", root);
    expect_urls("https://auth.example.com/", root);
}

struct meta_case {
    const char *doc;
    bool ok;
    const char *why;
};

#define EP                                                                     \
    "\"authorization_endpoint\":\"https://as.example/a\","                     \
    "\"token_endpoint\":\"https://as.example/t\""

static const struct meta_case meta_cases[] = {
    {"{\"issuer\":\"https://as.example\"," EP
     ",\"code_challenge_methods_supported\":[\"S256\"]}",
     true, NULL},
    {"{\"issuer\":\"https://as.example/\"," EP
     ",\"code_challenge_methods_supported\":[\"S256\"]}",
     false, "RFC 8414 §3.3"},
    {"{\"issuer\":\"https://honest.example\"," EP
     ",\"code_challenge_methods_supported\":[\"S256\"]}",
     false, "honest.example"},
    {"{" EP ",\"code_challenge_methods_supported\":[\"S256\"]}", false,
     "(missing)"},
    {"{\"issuer\":\"https://as.example\"," EP "}", false,
     "has no code_challenge_methods_supported"},
    {"{\"issuer\":\"https://as.example\"," EP
     ",\"code_challenge_methods_supported\":[\"plain\"]}",
     false, "lacks S256"},
    {"{\"issuer\":\"https://as.example\","
     "\"token_endpoint\":\"https://as.example/t\","
     "\"code_challenge_methods_supported\":[\"S256\"]}",
     false, "authorization_endpoint"},
    {"{\"issuer\":\"https://as.example\",\"authorization_endpoint\":\"x\","
     "\"token_endpoint\":\"https://as.example/t\","
     "\"code_challenge_methods_supported\":[\"S256\"]}",
     false, "not an http(s) URL"},
    {"{\"issuer\":\"https://as.example\"," EP
     ",\"code_challenge_methods_supported\":[\"S256\"],"
     "\"response_types_supported\":[\"token\"]}",
     false, "response_types_supported"},
};

static void test_check_meta(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof meta_cases / sizeof meta_cases[0]; i++) {
        struct ac_err err;
        json_t *doc = json_loads(meta_cases[i].doc, 0, NULL);
        assert_non_null(doc);
        ac_err_clear(&err);
        bool ok = discovery_check_as_meta(doc, "https://as.example", &err);
        if (ok != meta_cases[i].ok) {
            fail_msg("case %zu: ok=%d (%s)", i, ok, err.msg);
        }
        if (meta_cases[i].why != NULL &&
            strstr(err.msg, meta_cases[i].why) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg,
                     meta_cases[i].why);
        }
        json_decref(doc);
    }
}

/* RFC 9728 §3.3: the PRM's resource against the URL it came from. */
struct prm_case {
    const char *url; /* the PRM URL used */
    const char *got; /* its "resource" */
    bool ok;
};

#define MCPR "https://mcp.example.com:8443/public/mcp"
#define ROOT "https://mcp.example.com:8443/.well-known/oauth-protected-resource"
#define PATHI ROOT "/public/mcp"

static const struct prm_case prm_cases[] = {
    /* path-inserted: only the MCP server's URI */
    {PATHI, MCPR, true},
    {PATHI, "https://mcp.example.com:8443", false},
    {PATHI, MCPR "/", false},
    /* root fallback: the origin it was built from, or the MCP URI */
    {ROOT, MCPR, true},
    {ROOT, "https://mcp.example.com:8443", true},
    {ROOT, "https://mcp.example.com:8443/", true},
    /* simple string comparison: no case, port or path games */
    {ROOT, "https://MCP.example.com:8443", false},
    {ROOT, "https://mcp.example.com", false},
    {ROOT, "https://mcp.example.com:8443/public", false},
    {ROOT, "https://mcp.example.com:84431", false},
    {ROOT, "https://other.example.com:8443", false},
    /* a challenge URL elsewhere: the MCP server's URI only */
    {"https://mcp.example.com:8443/meta.json", "https://mcp.example.com:8443",
     false},
    {"https://mcp.example.com:8443/meta.json", MCPR, true},
    {ROOT, NULL, false},
};

static void test_prm_resource(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof prm_cases / sizeof prm_cases[0]; i++) {
        const struct prm_case *pc = &prm_cases[i];
        if (discovery_prm_resource_ok(MCPR, pc->url, ROOT, pc->got) != pc->ok) {
            fail_msg("case %zu: %s from %s should be %s", i,
                     pc->got != NULL ? pc->got : "(none)", pc->url,
                     pc->ok ? "accepted" : "rejected");
        }
    }
}

/* --- the PRM root fallback on the wire -------------------------------- */

/* A resource server whose PRM is only at the root, naming `root_resource`
 * (the origin: NULL; else the text). */
struct prm_server {
    struct MHD_Daemon *d;
    int port;
    char origin[64];
    const char *root_resource;
};

static enum MHD_Result prm_handler(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload,
                                   size_t *upload_size, void **req_cls)
{
    struct prm_server *s = cls;
    char body[512];
    unsigned code = 404;
    struct MHD_Response *r;
    enum MHD_Result ret;
    (void)method, (void)version, (void)upload, (void)upload_size;
    (void)req_cls;
    snprintf(body, sizeof body, "{}");
    if (strcmp(url, "/.well-known/oauth-protected-resource") == 0) {
        code = 200;
        snprintf(body, sizeof body,
                 "{\"resource\":\"%s\",\"authorization_servers\":"
                 "[\"%s/as\"]}",
                 s->root_resource != NULL ? s->root_resource : s->origin,
                 s->origin);
    }
    r = MHD_create_response_from_buffer(strlen(body), body,
                                        MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Run discovery_prm against the server; the resource parameter chosen
 * in *param (a new string) when it succeeds. */
static bool discover_root(struct prm_server *s, char **param)
{
    struct mcpo_client *c = NULL;
    struct mcpo_err merr;
    struct ac_err err;
    char url[128];
    bool ok;

    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                            prm_handler, s, MHD_OPTION_END);
    assert_non_null(s->d);
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(s->origin, sizeof s->origin, "http://127.0.0.1:%d", s->port);
    snprintf(url, sizeof url, "%s/mcp", s->origin);
    assert_true(mcpo_client_new(url, &c, &merr));
    ac_err_clear(&err);
    ok = discovery_prm(c, &err);
    *param = ok ? strdup(discovery_resource_param(c)) : NULL;
    mcpo_client_free(c);
    MHD_stop_daemon(s->d);
    return ok;
}

/* RFC 9728 §3.3 after the fallback to the root well-known URL: the
 * origin is the resource identifier that URL was built from (the official
 * auth/metadata-var2), and then the resource parameter; another path is
 * still a mismatch. */
static void test_prm_root_fallback(void **state)
{
    struct prm_server s = {0};
    char *param = NULL;
    char other[128];
    (void)state;
    assert_true(discover_root(&s, &param));
    assert_string_equal(param, s.origin);
    free(param);

    snprintf(other, sizeof other, "http://127.0.0.1:1/mcp");
    s.root_resource = other;
    assert_false(discover_root(&s, &param));
    assert_null(param);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_url_order),
        cmocka_unit_test(test_check_meta),
        cmocka_unit_test(test_prm_resource),
        cmocka_unit_test(test_prm_root_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
