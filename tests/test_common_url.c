/* Tests for common/url: parsing, composition, canonical resource URIs,
 * loopback detection, resolution and the well-known URL forms of RFC 8414
 * §3.1, RFC 9728 §3.1 and OIDC Discovery §4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/url.h"

struct parse_vec {
    const char *in;
    const char *scheme, *userinfo, *host;
    int port;
    bool port_explicit;
    const char *path, *query, *fragment;
};

static const struct parse_vec parse_ok[] = {
    {"https://example.com", "https", NULL, "example.com", 443, false, "", NULL,
     NULL},
    {"HTTP://Example.COM:8080/A/b?x=1&y=2#Frag", "http", NULL, "example.com",
     8080, true, "/A/b", "x=1&y=2", "Frag"},
    {"https://u:p@h/", "https", "u:p", "h", 443, false, "/", NULL, NULL},
    {"http://[::1]:3000/mcp", "http", NULL, "::1", 3000, true, "/mcp", NULL,
     NULL},
    {"http://[::1]", "http", NULL, "::1", 80, false, "", NULL, NULL},
    {"http://127.0.0.1:65535?", "http", NULL, "127.0.0.1", 65535, true, "", "",
     NULL},
    {"https://h#", "https", NULL, "h", 443, false, "", NULL, ""},
    {"https://h:443/x", "https", NULL, "h", 443, true, "/x", NULL, NULL},
    {"https://a@b@h/p", "https", "a@b", "h", 443, false, "/p", NULL, NULL},
    {"https://h/p?q=/a?b#f?g", "https", NULL, "h", 443, false, "/p", "q=/a?b",
     "f?g"},
};

static void check_str(const char *got, const char *want)
{
    if (want == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

static void test_parse_ok(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
        const struct parse_vec *v = &parse_ok[i];
        struct ac_url u;
        struct ac_err err = {0};

        if (!ac_url_parse(v->in, &u, &err)) {
            fail_msg("%s: %s", v->in, err.msg);
        }
        check_str(u.scheme, v->scheme);
        check_str(u.userinfo, v->userinfo);
        check_str(u.host, v->host);
        assert_int_equal(u.port, v->port);
        assert_int_equal(u.port_explicit, v->port_explicit);
        check_str(u.path, v->path);
        check_str(u.query, v->query);
        check_str(u.fragment, v->fragment);
        ac_url_free(&u);
    }
}

static const char *const parse_bad[] = {
    "",
    "example.com/path",
    "ftp://example.com/",
    "javascript:alert(1)",
    "https:/example.com",
    "https:example.com",
    "://example.com",
    "https://",
    "https:///path",
    "https://:443/",
    "https://h:/",
    "https://h:0/",
    "https://h:65536/",
    "https://h:99999999999/",
    "https://h:12a/",
    "https://h:-1/",
    "https://exa mple.com/",
    "https://h/a b",
    "https://h/\r\nX-Injected: 1",
    "https://h/\t",
    "https://h/\x7f",
    "https://h/\xc3\xa9",
    "https://h\\evil.com/",
    "https://[::1/",
    "https://[::1]x/",
    "https://[zz::1]/",
    "https://h%41/",
    "https://h!/",
};

static void test_parse_rejects(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
        struct ac_url u;
        struct ac_err err = {0};

        if (ac_url_parse(parse_bad[i], &u, &err)) {
            fail_msg("accepted \"%s\"", parse_bad[i]);
        }
        assert_int_equal(err.code, AC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "URL"));
        assert_null(u.scheme);
        assert_null(u.host);
    }
    assert_false(ac_url_parse(NULL, &(struct ac_url){0}, NULL));
}

static const struct {
    const char *in, *out;
} format_vec[] = {
    {"HTTPS://Example.com:443/a?b#c", "https://example.com/a?b#c"},
    {"http://h:80", "http://h"},
    {"http://h:443/", "http://h:443/"},
    {"https://h:80/", "https://h:80/"},
    {"http://[::1]:8080/x", "http://[::1]:8080/x"},
    {"https://u:p@h/x", "https://u:p@h/x"},
};

static void test_format(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(format_vec) / sizeof(format_vec[0]); i++) {
        struct ac_url u;
        char *s;

        assert_true(ac_url_parse(format_vec[i].in, &u, NULL));
        s = ac_url_format(&u);
        assert_string_equal(s, format_vec[i].out);
        free(s);
        ac_url_free(&u);
    }
}

static const struct {
    const char *in, *out;
} origin_vec[] = {
    {"https://u:p@Example.com:443/a?b#c", "https://example.com"},
    {"http://127.0.0.1:9000/mcp", "http://127.0.0.1:9000"},
    {"http://[::1]/", "http://[::1]"},
    {"not a url", NULL},
};

static void test_origin(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(origin_vec) / sizeof(origin_vec[0]); i++) {
        char *s = ac_url_origin(origin_vec[i].in);
        check_str(s, origin_vec[i].out);
        free(s);
    }
}

static const struct {
    const char *in, *out;
} canon_vec[] = {
    {"HTTPS://MCP.Example.COM:443/", "https://mcp.example.com"},
    {"https://mcp.example.com/mcp#frag", "https://mcp.example.com/mcp"},
    {"https://mcp.example.com:8443/server/mcp",
     "https://mcp.example.com:8443/server/mcp"},
    {"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp/"},
    {"http://127.0.0.1:8080/mcp?x=1", "http://127.0.0.1:8080/mcp?x=1"},
    {"mcp.example.com", NULL},
};

/* RFC 3986 §6.2.3: an empty path and "/" are the same for http(s); no
 * other normalisation (RFC 8707 / RFC 9728 compare strings). */
static void test_same_resource(void **state)
{
    static const struct {
        const char *a, *b;
        bool same;
    } cases[] = {
        {"http://h:1", "http://h:1", true},
        {"http://h:1/", "http://h:1", true},
        {"http://h:1", "http://h:1/", true},
        {"http://h:1/mcp", "http://h:1/mcp/", false},
        {"http://h:1/mcp", "http://h:1/mcp", true},
        {"http://h:1?", "http://h:1?/", false},
        {"HTTP://h:1", "http://h:1", false},
        {"http://h:1//", "http://h:1/", false},
        {"http://h:12", "http://h:1/", false},
        {NULL, "http://h:1", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (ac_url_same_resource(cases[i].a, cases[i].b) != cases[i].same) {
            fail_msg("case %zu: \"%s\" vs \"%s\": want %s", i,
                     cases[i].a ? cases[i].a : "(null)", cases[i].b,
                     cases[i].same ? "same" : "different");
        }
    }
}

static void test_canonical_resource(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(canon_vec) / sizeof(canon_vec[0]); i++) {
        char *s = ac_url_canonical_resource(canon_vec[i].in);
        check_str(s, canon_vec[i].out);
        free(s);
    }
}

static const struct {
    const char *in;
    bool loopback;
} loop_vec[] = {
    {"http://localhost:1/", true},
    {"http://LOCALHOST/", true},
    {"http://app.localhost/", true},
    {"http://127.0.0.1/", true},
    {"http://127.255.3.4/", true},
    {"http://[::1]:8080/", true},
    {"http://[::ffff:127.0.0.1]/", true},
    {"http://128.0.0.1/", false},
    {"http://10.0.0.1/", false},
    {"http://localhost.evil.com/", false},
    {"http://127.0.0.1.evil.com/", false},
    {"http://evillocalhost/", false},
    {"http://[::2]/", false},
    {"https://example.com/", false},
};

static void test_loopback(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(loop_vec) / sizeof(loop_vec[0]); i++) {
        struct ac_url u;

        assert_true(ac_url_parse(loop_vec[i].in, &u, NULL));
        if (ac_url_is_loopback(&u) != loop_vec[i].loopback) {
            fail_msg("%s: expected %d", loop_vec[i].in, loop_vec[i].loopback);
        }
        ac_url_free(&u);
    }
    assert_false(ac_url_is_loopback(NULL));
}

static const struct {
    const char *base, *suffix;
    enum ac_wellknown_form form;
    const char *out;
} wk_vec[] = {
    /* RFC 8414 §3.1 example and its trailing-slash rule. */
    {"https://h/tenant1", "oauth-authorization-server", AC_WK_INSERT,
     "https://h/.well-known/oauth-authorization-server/tenant1"},
    {"https://h/tenant1/", "oauth-authorization-server", AC_WK_INSERT,
     "https://h/.well-known/oauth-authorization-server/tenant1"},
    {"https://h", "oauth-authorization-server", AC_WK_INSERT,
     "https://h/.well-known/oauth-authorization-server"},
    {"https://h/", "oauth-authorization-server", AC_WK_INSERT,
     "https://h/.well-known/oauth-authorization-server"},
    /* RFC 9728 §3.1: protected resource metadata. */
    {"https://mcp.example.com:8443/a/mcp?x=1#f", "oauth-protected-resource",
     AC_WK_INSERT,
     "https://mcp.example.com:8443/.well-known/oauth-protected-resource/a/"
     "mcp"},
    /* OIDC Discovery §4: appended. */
    {"https://h/tenant1", "openid-configuration", AC_WK_APPEND,
     "https://h/tenant1/.well-known/openid-configuration"},
    {"https://h/tenant1/", "openid-configuration", AC_WK_APPEND,
     "https://h/tenant1/.well-known/openid-configuration"},
    {"https://h", "openid-configuration", AC_WK_APPEND,
     "https://h/.well-known/openid-configuration"},
    /* Root form ignores the path. */
    {"https://h/tenant1", "oauth-authorization-server", AC_WK_ROOT,
     "https://h/.well-known/oauth-authorization-server"},
    {"http://127.0.0.1:5555/x/y/", "oauth-protected-resource", AC_WK_ROOT,
     "http://127.0.0.1:5555/.well-known/oauth-protected-resource"},
    {"HTTPS://U:P@H:443/T", "openid-configuration", AC_WK_INSERT,
     "https://h/.well-known/openid-configuration/T"},
};

static void test_wellknown(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(wk_vec) / sizeof(wk_vec[0]); i++) {
        struct ac_err err = {0};
        char *s = ac_url_wellknown(wk_vec[i].base, wk_vec[i].suffix,
                                   wk_vec[i].form, &err);
        if (s == NULL) {
            fail_msg("%s: %s", wk_vec[i].base, err.msg);
        }
        assert_string_equal(s, wk_vec[i].out);
        free(s);
    }
}

static void test_wellknown_rejects(void **state)
{
    struct ac_err err = {0};

    (void)state;
    assert_null(ac_url_wellknown("ftp://h/", "x", AC_WK_INSERT, &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_null(ac_url_wellknown("https://h/", "", AC_WK_INSERT, &err));
    assert_int_equal(err.code, AC_ERR_USAGE);
    assert_null(ac_url_wellknown("https://h/", "a/../b", AC_WK_INSERT, &err));
    assert_null(ac_url_wellknown("https://h/", NULL, AC_WK_ROOT, &err));
}

/* The discovery orders the client follows and the checks expect. */
static const struct {
    const char *base;
    bool as; /* authorization server metadata, else PRM */
    const char *out[3];
} order_vec[] = {
    {"https://h/mcp",
     false,
     {"https://h/.well-known/oauth-protected-resource/mcp",
      "https://h/.well-known/oauth-protected-resource"}},
    {"https://h/", false, {"https://h/.well-known/oauth-protected-resource"}},
    {"https://h", false, {"https://h/.well-known/oauth-protected-resource"}},
    {"http://127.0.0.1:8/a/b/?q",
     false,
     {"http://127.0.0.1:8/.well-known/oauth-protected-resource/a/b",
      "http://127.0.0.1:8/.well-known/oauth-protected-resource"}},
    {"https://as.example/tenant1",
     true,
     {"https://as.example/.well-known/oauth-authorization-server/tenant1",
      "https://as.example/.well-known/openid-configuration/tenant1",
      "https://as.example/tenant1/.well-known/openid-configuration"}},
    {"https://as.example/tenant1/",
     true,
     {"https://as.example/.well-known/oauth-authorization-server/tenant1",
      "https://as.example/.well-known/openid-configuration/tenant1",
      "https://as.example/tenant1/.well-known/openid-configuration"}},
    {"https://as.example",
     true,
     {"https://as.example/.well-known/oauth-authorization-server",
      "https://as.example/.well-known/openid-configuration"}},
    {"https://as.example/",
     true,
     {"https://as.example/.well-known/oauth-authorization-server",
      "https://as.example/.well-known/openid-configuration"}},
};

static void test_discovery_orders(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof order_vec / sizeof order_vec[0]; i++) {
        char *got[3] = {NULL, NULL, NULL};
        struct ac_err err = {0};
        size_t want_n = 0, n;

        while (want_n < 3 && order_vec[i].out[want_n] != NULL) {
            want_n++;
        }
        n = order_vec[i].as
                ? ac_url_as_metadata_urls(order_vec[i].base, got, &err)
                : ac_url_prm_urls(order_vec[i].base, got, &err);
        if (n != want_n) {
            fail_msg("%s: %zu URLs, want %zu (%s)", order_vec[i].base, n,
                     want_n, err.msg);
        }
        for (size_t k = 0; k < n; k++) {
            assert_string_equal(got[k], order_vec[i].out[k]);
            free(got[k]);
        }
    }
}

static void test_discovery_orders_reject(void **state)
{
    char *got[3] = {NULL, NULL, NULL};
    struct ac_err err = {0};

    (void)state;
    assert_int_equal(ac_url_prm_urls("ftp://h/x", got, &err), 0);
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_null(got[0]);
    assert_int_equal(ac_url_as_metadata_urls("not a url", got, &err), 0);
    assert_null(got[0]);
}

static const struct {
    const char *base, *ref, *out;
} resolve_vec[] = {
    {"https://h/a/b?q#f", "https://other/x", "https://other/x"},
    {"https://h:8443/a/b", "/cb?code=1", "https://h:8443/cb?code=1"},
    {"https://h/a/b", "//o.example/p", "https://o.example/p"},
    {"https://h/a/b", "c", "https://h/a/c"},
    {"https://h/a/b", "../c", "https://h/c"},
    {"https://h/a/b", "../../../c", "https://h/c"},
    {"https://h/a/b/", "./c/./d/../e", "https://h/a/b/c/e"},
    {"https://h/a/b?q", "?r", "https://h/a/b?r"},
    {"https://h/a/b?q#f", "#g", "https://h/a/b?q#g"},
    {"https://h/a/b?q#f", "", "https://h/a/b?q"},
    {"https://h", "x", "https://h/x"},
    {"https://h/a", "/b/../c/.", "https://h/c/"},
    {"https://h/a", "HTTP://X:80/y", "http://x/y"},
};

static void test_resolve(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(resolve_vec) / sizeof(resolve_vec[0]); i++) {
        struct ac_err err = {0};
        char *s = ac_url_resolve(resolve_vec[i].base, resolve_vec[i].ref, &err);
        if (s == NULL) {
            fail_msg("%s + %s: %s", resolve_vec[i].base, resolve_vec[i].ref,
                     err.msg);
        }
        if (strcmp(s, resolve_vec[i].out) != 0) {
            fail_msg("%s + %s = %s, want %s", resolve_vec[i].base,
                     resolve_vec[i].ref, s, resolve_vec[i].out);
        }
        free(s);
    }
}

static void test_resolve_rejects(void **state)
{
    struct ac_err err = {0};

    (void)state;
    assert_null(ac_url_resolve("https://h/", "javascript:alert(1)", &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_null(ac_url_resolve("https://h/", "myapp://cb?code=x", &err));
    assert_null(ac_url_resolve("https://h/", "/a\r\nSet-Cookie: x", &err));
    assert_int_equal(err.code, AC_ERR_INVALID);
    assert_null(ac_url_resolve("not a url", "/x", &err));
    assert_null(ac_url_resolve("https://h/", NULL, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_canonical_resource),
        cmocka_unit_test(test_same_resource),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_wellknown),
        cmocka_unit_test(test_wellknown_rejects),
        cmocka_unit_test(test_discovery_orders),
        cmocka_unit_test(test_discovery_orders_reject),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_resolve_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
