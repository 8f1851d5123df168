/* Tests of scenario loading and validation (harness/scenario.h): a table of
 * bad scenario texts with the position and message each must produce, the
 * defaults a valid one gets, discovery, and the shipped scenario files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/scenario.h"
#include "tests/support/asserts.h"

/* A valid scenario; each bad case replaces one line of it. */
static const char *const base[] = {
    "{",
    "  \"id\": \"t/x\",",
    "  \"title\": \"T\",",
    "  \"spec\": [\"2025-06-18\", \"2025-11-25\"],",
    "  \"authorization_servers\": [{\"id\": \"as\"}],",
    "  \"mcp_server\": {\"path\": \"/mcp\", \"tools\": [{\"name\": "
    "\"echo\"}]},",
    "  \"client\": {\"runs\": 2},",
    "  \"checks\": [\"prm-fetched\", \"client-exit-status\"]",
    "}",
    NULL,
};

/* The base text with line `line` (1-based; 0 for none) replaced. */
static char *variant(int line, const char *with)
{
    size_t n = 1, used = 0;
    char *out;

    for (int k = 0; base[k]; k++) {
        n += strlen(base[k]) + 1;
    }
    n += with ? strlen(with) : 0;
    out = calloc(1, n);
    assert_non_null(out);
    for (int k = 0; base[k]; k++) {
        used += (size_t)snprintf(out + used, n - used, "%s\n",
                                 k + 1 == line ? with : base[k]);
    }
    return out;
}

struct bad {
    int line;
    const char *with;
    const char *pos;  /* "LINE:COL" */
    const char *frag; /* in the message */
};

static const struct bad cases[] = {
    /* unknown keys, top level and nested */
    {3, "  \"bogus\": 1, \"title\": \"T\",", "3:3",
     "unknown key \"bogus\" in the top level"},
    {6, "  \"mcp_server\": {\"path\": \"/mcp\", \"colour\": \"red\"},", "6:34",
     "unknown key \"colour\" in /mcp_server"},
    {6,
     "  \"mcp_server\": {\"tools\": [{\"name\": \"echo\", \"scop\": \"a\"}]},",
     "6:45", "unknown key \"scop\" in /mcp_server/tools/0"},
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"tokens\": {\"ttl\": "
     "1}}],",
     "5:53", "unknown key \"ttl\" in /authorization_servers/0/tokens"},
    /* wrong types */
    {7, "  \"client\": {\"runs\": \"2\"},", "7:22",
     "/client/runs: expected integer, got string"},
    {7, "  \"client\": {\"runs\": 1.5},", "7:22",
     "/client/runs: expected integer, got number"},
    {3, "  \"title\": null,", "3:12", "/title: expected string, got null"},
    {6, "  \"mcp_server\": [],", "6:17",
     "/mcp_server: expected object, got array"},
    {7, "  \"client\": {\"arguments\": [1]},", "7:27",
     "/client/arguments: expected object, got array"},
    {6, "  \"mcp_server\": {\"challenge\": {\"resource_metadata\": \"yes\"}},",
     "6:53", "/mcp_server/challenge/resource_metadata: expected boolean"},
    /* duplicate keys */
    {3, "  \"title\": \"T\", \"title\": \"U\",", "3:17",
     "duplicate key \"title\" in the top level"},
    {7, "  \"client\": {\"runs\": 1, \"runs\": 2},", "7:25",
     "duplicate key \"runs\" in /client"},
    /* bad enum values and ranges */
    {4, "  \"spec\": [\"2025-11-25\", \"2024-01-01\"],", "4:26",
     "/spec/1: \"2024-01-01\" is not one of \"2025-03-26\""},
    {6, "  \"mcp_server\": {\"prm\": \"header\"},", "6:25",
     "/mcp_server/prm: \"header\" is not one of \"path\", \"root\""},
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"discovery\": "
     "[\"oauth\", \"oauth\"]}],",
     "5:65", "/authorization_servers/0/discovery/1: duplicate value"},
    {7, "  \"client\": {\"runs\": 9},", "7:22",
     "/client/runs: 9 is out of range 1..5"},
    {7, "  \"client\": {\"expect\": \"maybe\"},", "7:24",
     "/client/expect: \"maybe\" is not one of \"success\", \"refuse\""},
    {4, "  \"spec\": [],", "4:11", "/spec: needs at least 1 item"},
    /* unknown check id */
    {8, "  \"checks\": [\"prm-fetched\", \"no-such-check\"]", "8:29",
     "/checks/1: unknown check id \"no-such-check\""},
    /* trailing garbage, syntax */
    {9, "} x", "9:3", "end of file expected"},
    {8, "  \"checks\": [\"prm-fetched\",]", "8:28", "unexpected token"},
    /* required keys, ids, cross-member rules */
    {3, "", "1:1", "missing required key \"title\" in the top level"},
    {2, "  \"id\": \"t/y\",", "2:9",
     "/id: \"t/y\" must equal the file's path under the scenario directory, "
     "\"t/x\""},
    {2, "  \"id\": \"t/../x\",", "2:9", "is not a scenario id"},
    {5, "  \"authorization_servers\": [{\"id\": \"as\"}, {\"id\": \"as\"}],",
     "5:50", "authorization server id \"as\" is already used"},
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"issuer_path\": \"x\"}],",
     "5:57", "/authorization_servers/0/issuer_path: must be \"\""},
    {6, "  \"mcp_server\": {\"path\": \"mcp\"},", "6:26",
     "/mcp_server/path: \"mcp\" must start with '/'"},
    /* header_params: the 2026-07-28 wire, HTTP-token names unique
     * case-insensitively within the tool */
    {6,
     "  \"mcp_server\": {\"tools\": [{\"name\": \"echo\", "
     "\"header_params\": {\"text\": \"Text\"}}]},",
     "6:62", "needs /mcp_server/wire \"2026-07-28\" or \"both\""},
    {6,
     "  \"mcp_server\": {\"wire\": \"2026-07-28\", \"tools\": [{\"name\": "
     "\"echo\", \"header_params\": {\"text\": \"Te xt\"}}]},",
     "6:84", "\"text\" must map to a header name that is an HTTP token"},
    {6,
     "  \"mcp_server\": {\"wire\": \"both\", \"tools\": [{\"name\": "
     "\"echo\", \"header_params\": {\"a\": \"X\", \"b\": \"x\"}}]},",
     "6:78", "\"b\" must map to a header name that is an HTTP token, unique"},
    {7, "  \"client\": {\"tool\": \"add\"},", "7:22",
     "/client/tool: \"add\" is not one of /mcp_server/tools"},
    /* rules (their shape is mocks/rules.c's mo_rules_check) */
    {7, "  \"rules\": [{\"on\": {}}], \"client\": {},", "7:13",
     "/rules/0: missing required key \"do\""},
    {7,
     "  \"rules\": [{\"match\": {\"endpoint\": \"tokn\"}, \"do\": "
     "{\"drop\": true}}], \"client\": {},",
     "7:36", "/rules/0/match/endpoint: \"tokn\" is not an endpoint name"},
    {7,
     "  \"rules\": [{\"match\": {}, \"do\": {\"dorp\": true}}], "
     "\"client\": {},",
     "7:34", "unknown key \"dorp\" in a rule's do"},
    {7,
     "  \"rules\": [{\"on\": {\"event\": \"rs.authorized\"}, \"do\": "
     "{\"switch_as\": \"as9\"}}], \"client\": {},",
     "7:68", "/rules/0/do/switch_as: expected an authorization server id"},
    {7,
     "  \"rules\": [{\"on\": {\"event\": \"rs.authorized\"}, \"do\": "
     "{\"drop\": true}}], \"client\": {},",
     "7:55", "only state operations may follow an event"},
    {5, "  \"authorization_servers\": [],", "5:28",
     "/authorization_servers: needs at least 1 item"},
    /* the headless browser's options */
    {7, "  \"browser\": {\"forge_callback_first\": 1}, \"client\": {},", "7:39",
     "/browser/forge_callback_first: expected boolean, got integer"},
    {7, "  \"browser\": {\"forge\": true}, \"client\": {},", "7:15",
     "unknown key \"forge\" in /browser"},
    /* the 2025-03-26 topology: legacy profile, on_mcp_origin,
     * resource_required, prm "none" (docs/MOCKS.md "Profiles") */
    {6, "  \"mcp_server\": {\"prm\": \"header\"},", "6:25",
     "/mcp_server/prm: \"header\" is not one of \"path\", \"root\", "
     "\"custom\", \"none\""},
    {7, "  \"profile\": \"legacy\", \"client\": {},", "7:14",
     "/profile: \"legacy\" is not one of \"strict\", \"lenient\", "
     "\"github-like\", \"legacy-2025-03-26\""},
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"on_mcp_origin\": 1}],",
     "5:59",
     "/authorization_servers/0/on_mcp_origin: expected boolean, got integer"},
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"resource_required\": "
     "\"no\"}],",
     "5:63",
     "/authorization_servers/0/resource_required: expected boolean, got "
     "string"},
    {5,
     "  \"authorization_servers\": [{\"id\": \"a\", \"on_mcp_origin\": true}, "
     "{\"id\": \"b\", \"on_mcp_origin\": true}],",
     "5:94",
     "/authorization_servers/1/on_mcp_origin: only one authorization server "
     "can be on the MCP server's origin; /authorization_servers/0 is"},
    {5,
     "  \"profile\": \"legacy-2025-03-26\", \"authorization_servers\": "
     "[{\"id\": \"a\"}, {\"id\": \"b\", \"on_mcp_origin\": true}],",
     "5:103",
     "/authorization_servers/1/on_mcp_origin: only one authorization server"},
    {5,
     "  \"profile\": \"legacy-2025-03-26\", \"authorization_servers\": "
     "[{\"id\": \"a\", \"on_mcp_origin\": false}],",
     "5:90",
     "/authorization_servers/0/on_mcp_origin: the legacy-2025-03-26 profile "
     "puts the first"},
    {5,
     "  \"profile\": \"legacy-2025-03-26\", \"authorization_servers\": "
     "[{\"id\": \"a\", \"resource_required\": true}],",
     "5:94",
     "/authorization_servers/0/resource_required: the legacy-2025-03-26 "
     "profile does not require"},
    {5,
     "  \"profile\": \"legacy-2025-03-26\", \"authorization_servers\": "
     "[{\"id\": \"a\", \"issuer_path\": \"/t\"}],",
     "5:88",
     "/authorization_servers/0/issuer_path: must be \"\" with the "
     "legacy-2025-03-26 profile"},
    {6,
     "  \"profile\": \"legacy-2025-03-26\", \"mcp_server\": {\"prm\": "
     "\"path\"},",
     "6:57",
     "/mcp_server/prm: \"path\": the legacy-2025-03-26 profile has no "
     "Protected Resource Metadata"},
    {6,
     "  \"mcp_server\": {\"prm\": \"none\", \"challenge\": "
     "{\"resource_metadata\": true}},",
     "6:68",
     "/mcp_server/challenge/resource_metadata: there is no Protected Resource "
     "Metadata to name"},
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"discovery\": "
     "[\"oauth\", \"oidc\", \"oauth\"]}],",
     "5:55", "/authorization_servers/0/discovery: allows at most 2 items"},
    /* a second MCP server and one server per run */
    {7, "  \"client\": {\"runs\": 2, \"urls\": [\"mcp\"]},", "7:33",
     "/client/urls: 1 item(s), but /client/runs is 2"},
    {7, "  \"client\": {\"runs\": 2, \"urls\": [\"mcp\", \"mcp3\"]},", "7:41",
     "/client/urls/1: \"mcp3\" is not \"mcp\" or an id of /mcp_servers_extra"},
    {6, "  \"mcp_server\": {}, \"mcp_servers_extra\": [{\"id\": \"as\"}],",
     "6:50",
     "/mcp_servers_extra/0/id: server id \"as\" is already used in this world"},
    {6,
     "  \"mcp_server\": {}, \"mcp_servers_extra\": [{\"id\": \"m2\", "
     "\"path\": \"mcp\"}],",
     "6:64", "/mcp_servers_extra/0/path: \"mcp\" must start with '/'"},
    {6, "  \"mcp_server\": {}, \"mcp_servers_extra\": [{\"path\": \"/m\"}],",
     "6:43", "missing required key \"id\" in /mcp_servers_extra/0"},
    /* a certificate without HTTPS would be ignored: refused */
    {5,
     "  \"authorization_servers\": [{\"id\": \"as\", \"tls_certificate\": "
     "\"expired\"}],",
     "5:61", "/authorization_servers/0/tls_certificate: needs \"tls\": true"},
};

static void test_bad_scenarios(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        char *text = variant(cases[k].line, cases[k].with);
        struct hs_scenario *s = NULL;
        struct ac_err err;
        char prefix[64];
        ac_err_clear(&err);
        if (hs_parse(text, strlen(text), "t/x.json", "t/x", &s, &err)) {
            fail_msg("case %zu accepted:\n%s", k, text);
        }
        snprintf(prefix, sizeof(prefix), "t/x.json:%s: ", cases[k].pos);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
            strstr(err.msg, cases[k].frag) == NULL) {
            fail_msg("case %zu: got\n  %s\nexpected\n  %s...%s...", k, err.msg,
                     prefix, cases[k].frag);
        }
        assert_int_equal(err.code, AC_ERR_INVALID);
        assert_null(s);
        free(text);
    }
}

/* Several violations: the first in the file is reported, with a count. */
static void test_first_of_many(void **state)
{
    const char *text = "{\"id\": \"t/x\", \"title\": 1, \"spec\": [\"x\"],"
                       " \"zzz\": 0, \"authorization_servers\": [{\"id\":"
                       " \"as\"}], \"mcp_server\": {}, \"checks\": [\"a\"]}";
    struct hs_scenario *s = NULL;
    struct ac_err err;

    (void)state;
    assert_false(hs_parse(text, strlen(text), "f", NULL, &s, &err));
    assert_string_equal(err.msg, "f:1:24: /title: expected string, got integer "
                                 "(and 2 more)");
}

/* A scenario with rules of every kind loads, rules kept as written. */
static void test_rules_valid(void **state)
{
    char *text = variant(
        7, "  \"rules\": [{\"match\": {\"endpoint\": \"token\", \"form\": "
           "{\"grant_type\": \"refresh_token\"}, \"nth\": 2}, \"do\": "
           "{\"respond\": {\"status\": 400, \"body\": {\"error\": "
           "\"invalid_grant\"}}}}, {\"on\": {\"event\": \"rs.authorized\", "
           "\"nth\": 1}, \"do\": {\"expire\": \"access\", \"as\": \"as\"}}], "
           "\"client\": {},");
    struct hs_scenario *s = NULL;
    struct ac_err err;

    (void)state;
    if (!hs_parse(text, strlen(text), "t/x.json", "t/x", &s, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(json_array_size(json_object_get(s->doc, "rules")), 2);
    hs_free(s);
    free(text);
}

static void test_defaults(void **state)
{
    char *text = variant(0, NULL);
    struct hs_scenario *s = NULL;
    struct ac_err err;
    const json_t *as, *mcp, *client;

    (void)state;
    if (!hs_parse(text, strlen(text), "t/x.json", "t/x", &s, &err)) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(s->id, "t/x");
    assert_string_equal(s->title, "T");
    assert_string_equal(s->family, "t");
    assert_string_equal(s->newest_spec, "2025-11-25");
    assert_int_equal(s->runs, 2);
    assert_int_equal(s->timeout_ms, 30000);
    as = json_array_get(json_object_get(s->doc, "authorization_servers"), 0);
    assert_string_equal(json_string_value(json_object_get(as, "issuer_path")),
                        "");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(as, "tokens"), "access_ttl")),
                     3600);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(as, "tokens"), "refresh")),
                        "rotate");
    mcp = json_object_get(s->doc, "mcp_server");
    assert_string_equal(json_string_value(json_object_get(mcp, "prm")), "path");
    assert_string_equal(json_string_value(json_object_get(mcp, "wire")),
                        "2025-11-25");
    assert_true(json_is_true(json_object_get(json_object_get(mcp, "challenge"),
                                             "resource_metadata")));
    assert_null(json_object_get(mcp, "scopes_supported"));
    client = json_object_get(s->doc, "client");
    assert_string_equal(json_string_value(json_object_get(client, "tool")),
                        "echo");
    assert_string_equal(json_string_value(json_object_get(client, "expect")),
                        "success");
    assert_true(json_is_object(json_object_get(client, "arguments")));
    assert_int_equal(json_array_size(json_object_get(s->doc, "rules")), 0);
    assert_true(json_is_false(json_object_get(
        json_object_get(s->doc, "browser"), "forge_callback_first")));
    assert_true(json_is_false(json_object_get(as, "on_mcp_origin")));
    assert_true(json_is_true(json_object_get(as, "resource_required")));
    assert_string_equal(json_string_value(json_object_get(s->doc, "profile")),
                        "strict");
    hs_free(s);
    free(text);
}

static struct hs_scenario *load_variant(int line, const char *with);

/* mcp_servers_extra and client.urls (audience/token-for-other-resource). */
static void test_extra_mcp_servers(void **state)
{
    struct hs_scenario *s = load_variant(
        7, "  \"mcp_servers_extra\": [{\"id\": \"mcp2\"}], \"client\": "
           "{\"runs\": 2, \"urls\": [\"mcp\", \"mcp2\"]},");
    const json_t *e =
        json_array_get(json_object_get(s->doc, "mcp_servers_extra"), 0);

    (void)state;
    assert_string_equal(json_string_value(json_object_get(e, "path")), "/mcp");
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(s->doc, "client"), "urls")),
                     2);
    hs_free(s);
}

/* The base with one line replaced; the loaded scenario, which must be valid. */
static struct hs_scenario *load_variant(int line, const char *with)
{
    char *text = variant(line, with);
    struct hs_scenario *s = NULL;
    struct ac_err err;

    if (!hs_parse(text, strlen(text), "t/x.json", "t/x", &s, &err)) {
        fail_msg("%s\n%s", err.msg, text);
    }
    free(text);
    return s;
}

static const json_t *as_at(const struct hs_scenario *s, size_t i)
{
    return json_array_get(json_object_get(s->doc, "authorization_servers"), i);
}

/* The legacy-2025-03-26 profile's defaults are filled in, so the loaded
 * scenario says what the mocks do: the first AS on the MCP origin without
 * a required resource, no PRM and no resource_metadata; other ASes keep
 * the plain defaults. Explicit values that agree are accepted, as is an
 * empty discovery (the "no metadata at all" fallback). */
static void test_legacy_profile(void **state)
{
    struct hs_scenario *s;
    const json_t *mcp;

    (void)state;
    s = load_variant(5, "  \"profile\": \"legacy-2025-03-26\", "
                        "\"authorization_servers\": [{\"id\": \"a\"}, "
                        "{\"id\": \"b\"}],");
    assert_true(json_is_true(json_object_get(as_at(s, 0), "on_mcp_origin")));
    assert_true(
        json_is_false(json_object_get(as_at(s, 0), "resource_required")));
    assert_true(json_is_false(json_object_get(as_at(s, 1), "on_mcp_origin")));
    assert_true(
        json_is_true(json_object_get(as_at(s, 1), "resource_required")));
    mcp = json_object_get(s->doc, "mcp_server");
    assert_string_equal(json_string_value(json_object_get(mcp, "prm")), "none");
    assert_true(json_is_false(json_object_get(json_object_get(mcp, "challenge"),
                                              "resource_metadata")));
    hs_free(s);

    s = load_variant(5, "  \"profile\": \"legacy-2025-03-26\", "
                        "\"authorization_servers\": [{\"id\": \"as\", "
                        "\"on_mcp_origin\": true, \"resource_required\": "
                        "false, \"issuer_path\": \"\", \"discovery\": []}],");
    assert_int_equal(json_array_size(json_object_get(as_at(s, 0), "discovery")),
                     0);
    hs_free(s);

    /* The keys without the profile: an AS on the MCP origin beside a
     * second one on its own port, and prm "none" on its own. */
    s = load_variant(5, "  \"authorization_servers\": [{\"id\": \"a\"}, "
                        "{\"id\": \"b\", \"on_mcp_origin\": true, "
                        "\"resource_required\": false}],");
    assert_true(json_is_false(json_object_get(as_at(s, 0), "on_mcp_origin")));
    assert_true(json_is_true(json_object_get(as_at(s, 1), "on_mcp_origin")));
    hs_free(s);
    s = load_variant(6, "  \"mcp_server\": {\"prm\": \"none\"},");
    mcp = json_object_get(s->doc, "mcp_server");
    assert_true(json_is_false(json_object_get(json_object_get(mcp, "challenge"),
                                              "resource_metadata")));
    hs_free(s);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_discover(void **state)
{
    const char *tmp = getenv("AUTHCHECK_TMP");
    char root[512], p[600];
    char **list = NULL;
    size_t n = 0;
    struct ac_err err;
    char *text = variant(2, "  \"id\": \"b/z\",");
    struct hs_scenario *s = NULL;

    (void)state;
    if (tmp == NULL) {
        skip();
    }
    snprintf(root, sizeof(root), "%s/harness-discover", tmp);
    mkdir(root, 0755);
    snprintf(p, sizeof(p), "%s/b", root);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/a", root);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/.hidden", root);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/b/z.json", root);
    write_file(p, text);
    snprintf(p, sizeof(p), "%s/a/y.json", root);
    write_file(p, "{}");
    snprintf(p, sizeof(p), "%s/top.json", root);
    write_file(p, "{}");
    snprintf(p, sizeof(p), "%s/notes.md", root);
    write_file(p, "#");
    snprintf(p, sizeof(p), "%s/.hidden/h.json", root);
    write_file(p, "{}");
    /* Symbolic links are followed: to a directory, walked; to a file,
     * listed (the walk asks stat(2) where the entry's type is a link). */
    snprintf(p, sizeof(p), "%s/c", root);
    (void)symlink("a", p);
    snprintf(p, sizeof(p), "%s/link.json", root);
    (void)symlink("top.json", p);

    assert_true(hs_discover(root, &list, &n, &err));
    assert_int_equal(n, 5);
    assert_string_equal(list[0], "a/y.json");
    assert_string_equal(list[1], "b/z.json");
    assert_string_equal(list[2], "c/y.json");
    assert_string_equal(list[3], "link.json");
    assert_string_equal(list[4], "top.json");
    assert_null(list[5]);
    hs_list_free(list);

    assert_true(hs_load(root, "b/z.json", &s, &err));
    assert_string_equal(s->id, "b/z");
    hs_free(s);
    assert_false(hs_load(root, "a/y.json", &s, &err));
    assert_non_null(strstr(err.msg, "a/y.json:1:1: missing required key"));
    assert_false(hs_load(root, "a/none.json", &s, &err));
    assert_int_equal(err.code, AC_ERR_IO);
    snprintf(p, sizeof(p), "%s/empty", root);
    mkdir(p, 0755);
    assert_true(hs_discover(p, &list, &n, &err));
    assert_int_equal(n, 0);
    assert_null(list[0]);
    hs_list_free(list);
    assert_false(hs_discover("/nonexistent/dir", &list, &n, &err));
    free(text);
}

/* Every shipped scenario file loads. */
static void test_shipped_scenarios(void **state)
{
    const char *dir = getenv("AUTHCHECK_SCENARIOS");
    char **list = NULL;
    size_t n = 0;
    struct ac_err err;

    (void)state;
    if (dir == NULL) {
        skip();
    }
    assert_true(hs_discover(dir, &list, &n, &err));
    /* the library the project promises: at least 60 scenarios */
    assert_int_cmp(n, >=, 60);
    for (size_t k = 0; k < n; k++) {
        struct hs_scenario *s = NULL;
        if (!hs_load(dir, list[k], &s, &err)) {
            fail_msg("%s", err.msg);
        }
        hs_free(s);
    }
    hs_list_free(list);
}

static void test_scenario_dir(void **state)
{
    char *d;

    (void)state;
    d = hs_scenario_dir("/x/y", "/bin");
    assert_string_equal(d, "/x/y");
    free(d);
    setenv("AUTHCHECK_SCENARIOS", "/from/env", 1);
    d = hs_scenario_dir(NULL, "/bin");
    assert_string_equal(d, "/from/env");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_scenarios),
        cmocka_unit_test(test_first_of_many),
        cmocka_unit_test(test_rules_valid),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_legacy_profile),
        cmocka_unit_test(test_extra_mcp_servers),
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_shipped_scenarios),
        cmocka_unit_test(test_scenario_dir), /* last: it sets the env */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
