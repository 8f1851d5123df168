/* Tests of the scenario schema module (mocks/schema.c): the typed reads
 * give a member's value when present and the table's default otherwise,
 * and the tables hold the defaults scenarios/SCHEMA.md documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mocks/schema.h"

static void test_defaults_when_absent(void **state)
{
    json_t *empty = json_object();
    char *s;

    (void)state;
    assert_int_equal(mo_schema_int(empty, mo_schema_tokens, "access_ttl"),
                     3600);
    assert_int_equal(mo_schema_int(NULL, mo_schema_tokens, "refresh_ttl"), 0);
    assert_true(mo_schema_str_is(empty, mo_schema_tokens, "refresh", "rotate"));
    assert_false(mo_schema_str_is(empty, mo_schema_tokens, "format", "jwt"));
    assert_true(mo_schema_bool(empty, mo_schema_dpop, "content_digest"));
    assert_false(mo_schema_bool(empty, mo_schema_dpop, "required"));
    assert_true(mo_schema_bool(NULL, mo_schema_challenge, "resource_metadata"));
    assert_true(mo_schema_bool(empty, mo_schema_as, "resource_required"));
    assert_true(mo_schema_has(empty, mo_schema_as, "discovery", "oauth"));
    assert_false(mo_schema_has(empty, mo_schema_as, "discovery", "oidc"));
    assert_true(mo_schema_has(empty, mo_schema_as, "registration", "dcr"));
    s = mo_schema_strdup(empty, mo_schema_mcp, "path");
    assert_string_equal(s, "/mcp");
    free(s);
    s = mo_schema_strdup(empty, mo_schema_extra_mcp, "path");
    assert_string_equal(s, "/mcp");
    free(s);
    assert_true(mo_schema_str_is(empty, mo_schema_top, "profile", "strict"));
    json_decref(empty);
}

static void test_values_win(void **state)
{
    json_t *tokens =
        json_pack("{s:i, s:s}", "access_ttl", 5, "refresh", "none");
    json_t *as =
        json_pack("{s:[s], s:b}", "discovery", "oidc", "resource_required", 0);

    (void)state;
    assert_int_equal(mo_schema_int(tokens, mo_schema_tokens, "access_ttl"), 5);
    assert_true(mo_schema_str_is(tokens, mo_schema_tokens, "refresh", "none"));
    assert_false(mo_schema_has(as, mo_schema_as, "discovery", "oauth"));
    assert_true(mo_schema_has(as, mo_schema_as, "discovery", "oidc"));
    assert_false(mo_schema_bool(as, mo_schema_as, "resource_required"));
    json_decref(tokens);
    json_decref(as);
}

static void test_no_default(void **state)
{
    json_t *empty = json_object();

    (void)state;
    /* A key without a default, and a key the table does not know. */
    assert_null(mo_schema_value(empty, mo_schema_mcp, "prm_path"));
    assert_null(mo_schema_value(empty, mo_schema_mcp, "no_such_key"));
    assert_null(mo_schema_strdup(empty, mo_schema_challenge, "scope"));
    assert_non_null(mo_schema_field(mo_schema_top, "checks"));
    assert_null(mo_schema_field(mo_schema_top, "titel"));
    json_decref(empty);
}

/* mo_schema_fill: what a raw block lacks gets its default, what it has
 * stays, and a key without a default stays absent. */
static void test_fill(void **state)
{
    json_t *idp = json_pack("{s:s}", "subject", "alice@example.com");

    (void)state;
    assert_true(mo_schema_fill(idp, mo_schema_idp));
    assert_string_equal(json_string_value(json_object_get(idp, "subject")),
                        "alice@example.com");
    assert_string_equal(json_string_value(json_object_get(idp, "client_id")),
                        "conformance-test-idp-client");
    assert_int_equal(json_integer_value(json_object_get(idp, "id_jag_ttl")),
                     300);
    assert_null(json_object_get(idp, "client_secret"));
    assert_null(json_object_get(idp, "error"));
    json_decref(idp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_when_absent),
        cmocka_unit_test(test_values_win),
        cmocka_unit_test(test_no_default),
        cmocka_unit_test(test_fill),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
