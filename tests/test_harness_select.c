/* Tests of scenario selection (harness/select.h) on loaded scenarios, and
 * of the scenario keys it reads ("suites", "client.context") in the
 * validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/scenario.h"
#include "harness/select.h"

static struct hs_scenario *parse(const char *id, const char *spec,
                                 const char *suites)
{
    char text[1024];
    struct hs_scenario *s = NULL;
    struct ac_err err;

    snprintf(text, sizeof(text),
             "{\"id\": \"%s\", \"title\": \"t\", \"spec\": %s,"
             " \"suites\": %s, \"authorization_servers\": [{\"id\": \"as\"}],"
             " \"mcp_server\": {}, \"checks\": [\"client-exit-status\"]}",
             id, spec, suites);
    if (!hs_parse(text, strlen(text), "t.json", id, &s, &err)) {
        fail_msg("%s", err.msg);
    }
    return s;
}

static void test_known_names(void **state)
{
    char *const ids[] = {"auth/a.json", "tokens/b", "toplevel", NULL};

    (void)state;
    assert_true(hsel_spec_known("2025-03-26"));
    assert_true(hsel_spec_known("2026-07-28"));
    assert_false(hsel_spec_known("2025-01-01"));
    assert_false(hsel_spec_known(NULL));
    assert_true(hsel_suite_known("auth", ids));
    assert_true(hsel_suite_known("tokens", ids));
    assert_true(hsel_suite_known("official", ids));
    assert_true(hsel_suite_known("lifecycle", ids));
    assert_true(hsel_suite_known("backcompat", ids));
    assert_true(hsel_suite_known("2025-06-18", ids));
    assert_false(hsel_suite_known("toplevel", ids)); /* no family segment */
    assert_false(hsel_suite_known("aut", ids));
    assert_false(hsel_suite_known("auth/a", ids));
}

struct match_case {
    const char *patterns[3];
    const char *suites[3];
    const char *spec;
    bool want;
};

static void test_match_table(void **state)
{
    static const struct match_case cases[] = {
        {{NULL}, {NULL}, NULL, true},
        {{"auth/*"}, {NULL}, NULL, true},
        {{"auth/iss-*"}, {NULL}, NULL, true},
        {{"auth/iss-?ong"}, {NULL}, NULL, true},
        {{"auth/iss"}, {NULL}, NULL, false},
        {{"*"}, {NULL}, NULL, true},
        {{"tokens/*"}, {NULL}, NULL, false},
        {{"tokens/*", "auth/iss-long"}, {NULL}, NULL, true},
        {{NULL}, {"auth"}, NULL, true},
        {{NULL}, {"tokens"}, NULL, false},
        {{NULL}, {"official"}, NULL, true},
        {{NULL}, {"lifecycle"}, NULL, false},
        {{NULL}, {"2025-11-25"}, NULL, true},
        {{NULL}, {"2025-03-26"}, NULL, false},
        {{NULL}, {"tokens", "backcompat"}, NULL, false},
        {{NULL}, {NULL}, "2025-11-25", true},
        {{NULL}, {NULL}, "2026-07-28", false},
        {{"auth/*"}, {NULL}, "2025-06-18", true},
        {{"auth/*"}, {NULL}, "2025-03-26", false},
        {{NULL}, {"official"}, "2025-03-26", false},
    };
    struct hs_scenario *s = parse(
        "auth/iss-long", "[\"2025-06-18\", \"2025-11-25\"]", "[\"official\"]");

    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        const struct match_case *c = &cases[k];
        size_t np = 0, ns = 0;
        bool phit[3] = {0}, shit[3] = {0};
        while (np < 3 && c->patterns[np] != NULL) {
            np++;
        }
        while (ns < 3 && c->suites[ns] != NULL) {
            ns++;
        }
        struct hsel sel = {c->patterns, np, c->suites, ns, c->spec, phit, shit};
        if (hsel_match(&sel, s) != c->want) {
            fail_msg("case %zu: expected %s", k, c->want ? "a match" : "none");
        }
        /* whatever may match must be loaded */
        if (c->want && !hsel_maybe(&sel, "auth/iss-long.json")) {
            fail_msg("case %zu: hsel_maybe refused a match", k);
        }
    }
    hs_free(s);
}

/* The id alone rules out what no pattern or family names. */
static void test_maybe_skips_loading(void **state)
{
    const char *pat[] = {"auth/*"};
    const char *fam[] = {"tokens"};
    const char *named[] = {"lifecycle"};
    struct hsel by_pat = {pat, 1, NULL, 0, NULL, NULL, NULL};
    struct hsel by_fam = {NULL, 0, fam, 1, NULL, NULL, NULL};
    struct hsel by_named = {NULL, 0, named, 1, NULL, NULL, NULL};

    (void)state;
    assert_true(hsel_maybe(&by_pat, "auth/x.json"));
    assert_false(hsel_maybe(&by_pat, "tokens/x.json"));
    assert_true(hsel_maybe(&by_fam, "tokens/x.json"));
    assert_false(hsel_maybe(&by_fam, "auth/x.json"));
    assert_true(hsel_maybe(&by_named, "auth/x.json")); /* must look inside */
}

/* The pattern and suite hit flags drive "no scenario matches" errors. */
static void test_hits_marked(void **state)
{
    const char *pat[] = {"auth/*", "nothing/*"};
    const char *suites[] = {"official", "lifecycle"};
    bool phit[2] = {0}, shit[2] = {0};
    struct hsel sel = {pat, 2, suites, 2, NULL, phit, shit};
    struct hs_scenario *s =
        parse("auth/x", "[\"2025-11-25\"]", "[\"official\", \"backcompat\"]");

    (void)state;
    assert_true(hsel_match(&sel, s));
    assert_true(phit[0]);
    assert_false(phit[1]);
    assert_true(shit[0]);
    assert_false(shit[1]);
    hs_free(s);
}

struct bad_case {
    const char *suites;
    const char *client;
    const char *message;
};

static void test_schema_keys(void **state)
{
    static const struct bad_case bad[] = {
        {"[\"offical\"]", "{}", "\"offical\" is not one of"},
        {"[\"official\", \"official\"]", "{}", "duplicate value"},
        {"\"official\"", "{}", "expected array"},
        {"[]", "{\"context\": []}", "expected object"},
        {"[]", "{\"context\": \"x\"}", "expected object"},
    };
    struct hs_scenario *s = NULL;
    struct ac_err err;
    char text[1024];

    (void)state;
    for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
        snprintf(text, sizeof(text),
                 "{\"id\": \"a/b\", \"title\": \"t\", \"spec\": "
                 "[\"2025-11-25\"], \"suites\": %s, \"client\": %s,"
                 " \"authorization_servers\": [{\"id\": \"as\"}],"
                 " \"mcp_server\": {}, \"checks\": [\"client-exit-status\"]}",
                 bad[k].suites, bad[k].client);
        assert_false(hs_parse(text, strlen(text), "a/b.json", "a/b", &s, &err));
        if (strstr(err.msg, bad[k].message) == NULL) {
            fail_msg("case %zu: %s", k, err.msg);
        }
    }
    /* defaults: no suites, an empty context */
    s = parse("a/b", "[\"2025-11-25\"]", "[]");
    assert_int_equal(json_array_size(json_object_get(s->doc, "suites")), 0);
    assert_true(json_is_object(
        json_object_get(json_object_get(s->doc, "client"), "context")));
    hs_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_names),
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_maybe_skips_loading),
        cmocka_unit_test(test_hits_marked),
        cmocka_unit_test(test_schema_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
