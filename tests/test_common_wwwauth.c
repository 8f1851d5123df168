/* Tests for common/wwwauth: the RFC 9110 §11 challenge grammar, including
 * the comma ambiguity, token68, quoted strings and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wwwauth.h"

#define MAXC 4
#define MAXP 5

struct want_param {
    const char *name, *value;
};

struct want_challenge {
    const char *scheme;
    const char *token68;
    bool dup;
    struct want_param params[MAXP];
};

struct vec {
    const char *lines[3];
    size_t nlines;
    size_t n;
    struct want_challenge c[MAXC];
};

static const struct vec ok_vec[] = {
    {{"Bearer"}, 1, 1, {{"Bearer", NULL, false, {{0}}}}},
    {{"Bearer realm=\"example\""},
     1,
     1,
     {{"Bearer", NULL, false, {{"realm", "example"}}}}},
    /* The MCP shape: resource_metadata and scope. */
    {{"Bearer resource_metadata=\"https://mcp.example.com/.well-known/"
      "oauth-protected-resource\", scope=\"mcp:tools files:read\""},
     1,
     1,
     {{"Bearer",
       NULL,
       false,
       {{"resource_metadata",
         "https://mcp.example.com/.well-known/oauth-protected-resource"},
        {"scope", "mcp:tools files:read"}}}}},
    /* Two challenges on one line: the comma ambiguity. */
    {{"Bearer realm=\"x\", Basic realm=\"y\""},
     1,
     2,
     {{"Bearer", NULL, false, {{"realm", "x"}}},
      {"Basic", NULL, false, {{"realm", "y"}}}}},
    /* Escaped quotes and commas inside a quoted string. */
    {{"Bearer error=\"invalid_token\", error_description=\"say \\\"hi\\\", "
      "then, \\\\bye\""},
     1,
     1,
     {{"Bearer",
       NULL,
       false,
       {{"error", "invalid_token"},
        {"error_description", "say \"hi\", then, \\bye"}}}}},
    /* token68 with padding, then a challenge with params. */
    {{"Basic dXNlcjpwYXNz==, Bearer realm=\"r\""},
     1,
     2,
     {{"Basic", "dXNlcjpwYXNz==", false, {{0}}},
      {"Bearer", NULL, false, {{"realm", "r"}}}}},
    {{"Negotiate abc="}, 1, 1, {{"Negotiate", "abc=", false, {{0}}}}},
    {{"Negotiate a+b/c.d~e_f-g"},
     1,
     1,
     {{"Negotiate", "a+b/c.d~e_f-g", false, {{0}}}}},
    /* Case-insensitive names, lower-cased on output; schemes kept as sent. */
    {{"bEARER Realm=\"x\", SCOPE=read"},
     1,
     1,
     {{"bEARER", NULL, false, {{"realm", "x"}, {"scope", "read"}}}}},
    /* Empty quoted value, BWS around '=', empty list elements. */
    {{" , Bearer scope=\"\" , realm = \"r\" ,, error =\ttoken , "},
     1,
     1,
     {{"Bearer",
       NULL,
       false,
       {{"scope", ""}, {"realm", "r"}, {"error", "token"}}}}},
    /* Decoy names are separate parameters, never "scope". */
    {{"Bearer error_scope=\"admin\", scopes=\"x\", scope=\"mcp\""},
     1,
     1,
     {{"Bearer",
       NULL,
       false,
       {{"error_scope", "admin"}, {"scopes", "x"}, {"scope", "mcp"}}}}},
    /* Duplicate parameter flagged, first value kept by the getter. */
    {{"Bearer scope=\"a\", Scope=\"b\""},
     1,
     1,
     {{"Bearer", NULL, true, {{"scope", "a"}, {"scope", "b"}}}}},
    /* Across lines. */
    {{"Basic realm=\"y\"", "Bearer error=\"insufficient_scope\", "
                           "scope=\"x\", DPoP algs=\"ES256 RS256\""},
     2,
     3,
     {{"Basic", NULL, false, {{"realm", "y"}}},
      {"Bearer",
       NULL,
       false,
       {{"error", "insufficient_scope"}, {"scope", "x"}}},
      {"DPoP", NULL, false, {{"algs", "ES256 RS256"}}}}},
    /* Scheme-only challenges separated by commas. */
    {{"Basic, Bearer,Negotiate"},
     1,
     3,
     {{"Basic", NULL, false, {{0}}},
      {"Bearer", NULL, false, {{0}}},
      {"Negotiate", NULL, false, {{0}}}}},
    /* A token68 that looks like a name: only "=" padding follows. */
    {{"Bearer realm=, Basic"},
     1,
     2,
     {{"Bearer", "realm=", false, {{0}}}, {"Basic", NULL, false, {{0}}}}},
    /* A token68 challenge after a challenge with parameters. */
    {{"Bearer a=b, Basic Zm9v"},
     1,
     2,
     {{"Bearer", NULL, false, {{"a", "b"}}}, {"Basic", "Zm9v", false, {{0}}}}},
    /* A bare token after a comma is a new (scheme-only) challenge, as the
     * grammar says, not a parameter without a value. */
    {{"Bearer realm=\"x\", scope"},
     1,
     2,
     {{"Bearer", NULL, false, {{"realm", "x"}}},
      {"scope", NULL, false, {{0}}}}},
    /* obs-text inside a quoted string is kept as bytes. */
    {{"Bearer realm=\"caf\xc3\xa9\""},
     1,
     1,
     {{"Bearer", NULL, false, {{"realm", "caf\xc3\xa9"}}}}},
};

static void check_challenge(const struct ac_challenge *got,
                            const struct want_challenge *want)
{
    size_t k, np = 0;

    assert_string_equal(got->scheme, want->scheme);
    if (want->token68 == NULL) {
        assert_null(got->token68);
    } else {
        assert_non_null(got->token68);
        assert_string_equal(got->token68, want->token68);
    }
    assert_int_equal(got->has_duplicate, want->dup);
    while (np < MAXP && want->params[np].name != NULL) {
        np++;
    }
    assert_int_equal(got->nparams, np);
    for (k = 0; k < np; k++) {
        assert_string_equal(got->params[k].name, want->params[k].name);
        assert_string_equal(got->params[k].value, want->params[k].value);
    }
}

static void test_parse_ok(void **state)
{
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(ok_vec) / sizeof(ok_vec[0]); i++) {
        const struct vec *v = &ok_vec[i];
        struct ac_challenges cs;
        struct ac_err err = {0};

        if (!ac_wwwauth_parse(v->lines, v->nlines, &cs, &err)) {
            fail_msg("vector %zu (%s): %s", i, v->lines[0], err.msg);
        }
        if (cs.n != v->n) {
            fail_msg("vector %zu (%s): %zu challenges, want %zu", i,
                     v->lines[0], cs.n, v->n);
        }
        for (k = 0; k < cs.n; k++) {
            check_challenge(&cs.items[k], &v->c[k]);
        }
        ac_challenges_free(&cs);
    }
}

static void test_find_and_param(void **state)
{
    const char *lines[] = {
        "Basic realm=\"b\", Bearer error_scope=\"evil\", "
        "resource_metadata=\"https://r/prm\", scope=\"a\", SCOPE=\"b\""};
    const struct ac_challenge *c;
    struct ac_challenges cs;

    (void)state;
    assert_true(ac_wwwauth_parse(lines, 1, &cs, NULL));
    c = ac_wwwauth_find(&cs, "bearer");
    assert_non_null(c);
    assert_string_equal(c->scheme, "Bearer");
    assert_string_equal(ac_challenge_param(c, "scope"), "a");
    assert_string_equal(ac_challenge_param(c, "Resource_Metadata"),
                        "https://r/prm");
    assert_true(c->has_duplicate);
    assert_null(ac_challenge_param(c, "realm"));
    assert_null(ac_challenge_param(c, "error"));
    assert_null(ac_challenge_param(c, "sco"));
    assert_null(ac_wwwauth_find(&cs, "DPoP"));
    assert_null(ac_wwwauth_find(NULL, "Bearer"));
    assert_null(ac_challenge_param(NULL, "scope"));
    ac_challenges_free(&cs);
    ac_challenges_free(NULL);
}

static const char *const bad_vec[] = {
    "",
    "   ",
    ",,,",
    "=",
    "\"Bearer\"",
    "Bearer realm=\"unterminated",
    "Bearer realm=\"ends in escape\\",
    "Bearer realm=\"x\" scope=\"y\"",
    "Bearer realm=\"x\" junk",
    "Bearer realm=\"x\", =\"y\"",
    "Bearer =x",
    "Bearer realm=x=y",
    "Bearer realm=\"x\"\"y\"",
    "Bearer realm=\"a\x01b\"",
    "Bearer realm=\"a\nb\"",
    "Bearer realm=@",
    "Bear{er realm=x",
    "Bearer=x",
    "Bearer a=b, Basic Zm9v Zm9v",
    "Basic dXNlcg== extra",
    "Bearer realm=\"x\",, ;",
    "\x80\xff",
};

static void test_parse_rejects(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_vec) / sizeof(bad_vec[0]); i++) {
        const char *lines[1] = {bad_vec[i]};
        struct ac_challenges cs = {(void *)1, 99};
        struct ac_err err = {0};

        if (ac_wwwauth_parse(lines, 1, &cs, &err)) {
            fail_msg("accepted \"%s\"", bad_vec[i]);
        }
        assert_int_equal(err.code, AC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "offset"));
        assert_null(cs.items);
        assert_int_equal(cs.n, 0);
    }
}

static void test_bad_second_line_frees_first(void **state)
{
    const char *lines[] = {"Bearer realm=\"a\"", "Basic realm=\"b", NULL};
    struct ac_challenges cs;
    struct ac_err err = {0};

    (void)state;
    assert_false(ac_wwwauth_parse(lines, 2, &cs, &err));
    assert_non_null(strstr(err.msg, "line 2"));
    assert_int_equal(cs.n, 0);
    assert_false(ac_wwwauth_parse(lines, 3, &cs, &err));
    lines[1] = "Basic";
    assert_false(ac_wwwauth_parse(lines, 3, &cs, &err)); /* NULL line */
    assert_true(ac_wwwauth_parse(lines, 0, &cs, &err));
    assert_int_equal(cs.n, 0);
}

/* Every prefix and every single-byte corruption of a valid header either
 * parses or fails cleanly: never a crash (run under ASan). */
static void test_mutations_never_crash(void **state)
{
    static const char base[] =
        "Bearer realm=\"a\\\"b,c\", scope=\"\", error = x, Basic "
        "dXNlcjpwYXNz==, Negotiate abc=";
    static const char subst[] = "\",=\\ \t;x\x01";
    char buf[sizeof(base) + 1]; /* stays terminated if base's NUL is hit */
    size_t i, k;

    (void)state;
    for (i = 0; i <= strlen(base); i++) {
        for (k = 0; k < sizeof(subst); k++) {
            const char *lines[1] = {buf};
            struct ac_challenges cs;
            bool ok;

            memcpy(buf, base, sizeof(base));
            buf[sizeof(base)] = '\0';
            if (k < sizeof(subst) - 1) {
                buf[i] = subst[k];
            } else {
                buf[i] = '\0'; /* prefix */
            }
            ok = ac_wwwauth_parse(lines, 1, &cs, NULL);
            if (!ok) {
                assert_int_equal(cs.n, 0);
            }
            ac_challenges_free(&cs);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_find_and_param),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_bad_second_line_frees_first),
        cmocka_unit_test(test_mutations_never_crash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
