/* Unit tests of discovery: the authorization server metadata URL order of
 * MCP 2026-07-28 and the validation of a metadata document (issuer
 * identity, PKCE S256, required endpoints). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_url_order),
        cmocka_unit_test(test_check_meta),
        cmocka_unit_test(test_prm_resource),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
