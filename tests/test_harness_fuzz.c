/* Bounded, deterministic fuzz tests of the harness's input parsers:
 * mutated scenario files through hs_parse (success, or an error of the form
 * "NAME:LINE:COL: ..."), and harness/jsonpos on random and mutated text
 * (success, or "LINE:COL: ..."; and it accepts whatever Jansson accepts).
 *
 * Inputs come from tests/support/fuzz.h (seeds fixed and printed), as
 * mutations of real scenario files read from $AUTHCHECK_SCENARIOS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/jsonpos.h"
#include "harness/scenario.h"
#include "tests/support/asserts.h"
#include "tests/support/env.h"
#include "tests/support/fuzz.h"

#define ITERS 3000

/* The mutator's taste: JSON's syntax and the scenario files' keywords. */
static const struct ts_fuzz_cfg CFG = {
    .specials = "\"\\,:{}[]0-1.e+ \t\n\r/\x01\x1f\x7f\x80\xc3\xff~tnfu",
    .run = '[',
    .max_len = 16384,
    .max_random = 300,
};

/* --- seeds ---------------------------------------------------------------- */

/* Real scenarios: the happy path, one with rules, one with several
 * WWW-Authenticate header lines. */
static const char *const SCENARIO_FILES[] = {
    "core/dcr-happy-path.json",
    "auth/iss-unexpected.json",
    "wwwauth/several-header-lines.json",
};
#define NFILES (sizeof(SCENARIO_FILES) / sizeof(SCENARIO_FILES[0]))

struct fixture {
    char *text[NFILES + 3];
    size_t n;
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static int group_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *dir = ts_env_or("AUTHCHECK_SCENARIOS", "scenarios");
    char path[4096];

    if (fx == NULL) {
        return -1;
    }
    for (size_t i = 0; i < NFILES; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, SCENARIO_FILES[i]);
        fx->text[fx->n] = slurp(path);
        if (fx->text[fx->n] == NULL) {
            print_error("cannot read %s\n", path);
            return -1;
        }
        fx->n++;
    }
    /* Small JSON for jsonpos, with escapes and keys needing "~0"/"~1". */
    fx->text[fx->n++] = strdup("{\"a/b\":{\"~\":[1,2.5e-3,\"\\u00e9\\\"\"]},"
                               "\"a/b\":null,\"\":[[],{}]}");
    fx->text[fx->n++] = strdup("[\"\xc3\xa9t\xc3\xa9\", true, false, null]");
    fx->text[fx->n++] = strdup("\"just a string\"");
    *state = fx;
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < fx->n; i++) {
        free(fx->text[i]);
    }
    free(fx);
    return 0;
}

/* Does `msg` start with "<prefix>LINE:COL: " (LINE, COL positive)? */
static bool has_position(const char *msg, const char *prefix)
{
    size_t n = strlen(prefix);
    const char *p = msg + n;
    long line, col;
    char *end;

    if (strncmp(msg, prefix, n) != 0) {
        return false;
    }
    line = strtol(p, &end, 10);
    if (end == p || *end != ':' || line < 1) {
        return false;
    }
    p = end + 1;
    col = strtol(p, &end, 10);
    return end != p && col >= 1 && end[0] == ':' && end[1] == ' ';
}

/* --- hs_parse ------------------------------------------------------------- */

static void test_fuzz_scenario(void **state)
{
    struct fixture *fx = *state;
    struct ts_fuzz r;
    int nok = 0;

    ts_fuzz_seed(&r, &CFG, 0x5343454eu, "hs_parse", ITERS);
    for (int it = 0; it < ITERS; it++) {
        /* Only the scenario files as seeds: the small JSON is for jsonpos. */
        struct ts_bytes in =
            ts_fuzz_input(&r, (const char *const *)fx->text, NFILES, false);
        struct hs_scenario *s = NULL;
        struct ac_err err = {0};

        if (hs_parse(in.p, in.len, "fuzz.json", NULL, &s, &err)) {
            assert_non_null(s);
            assert_non_null(s->id);
            nok++;
        } else {
            assert_null(s);
            if (!has_position(err.msg, "fuzz.json:")) {
                fail_msg("error without NAME:LINE:COL: \"%s\"", err.msg);
            }
        }
        hs_free(s);
        free(in.p);
    }
    print_message("hs_parse: %d of %d mutants accepted\n", nok, ITERS);
}

/* --- jsonpos -------------------------------------------------------------- */

static void test_fuzz_jsonpos(void **state)
{
    struct fixture *fx = *state;
    struct ts_fuzz r;

    ts_fuzz_seed(&r, &CFG, 0x4a504f53u, "jsonpos", ITERS);
    for (int it = 0; it < ITERS; it++) {
        struct ts_bytes in =
            ts_fuzz_input(&r, (const char *const *)fx->text, fx->n, false);
        struct hjp_index *ix = NULL;
        struct ac_err err = {0};
        json_error_t jerr;
        json_t *v = json_loadb(in.p, in.len, JSON_DECODE_ANY, &jerr);
        bool ok = hjp_build(in.p, in.len, &ix, &err);

        if (ok) {
            struct hjp_pos pos;
            const char *dup;

            assert_int_cmp(hjp_count(ix), >=, 1);
            assert_true(hjp_value(ix, "", &pos));
            assert_int_cmp(pos.line, >=, 1);
            assert_int_cmp(pos.col, >=, 1);
            pos = hjp_locate(ix, "/no/such/member", true);
            assert_int_cmp(pos.line, >=, 1);
            assert_int_cmp(pos.col, >=, 1);
            if (hjp_first_duplicate(ix, &dup, &pos)) {
                assert_non_null(dup);
                assert_int_cmp(pos.line, >=, 1);
                assert_int_cmp(pos.col, >=, 1);
            }
        } else if (err.code == AC_ERR_INVALID) {
            if (!has_position(err.msg, "")) {
                fail_msg("error without LINE:COL: \"%s\"", err.msg);
            }
        }
        /* The position index reads whatever the real parser reads. */
        if (v != NULL && !ok) {
            fail_msg("Jansson accepts \"%.300s\" but jsonpos says \"%s\"", in.p,
                     err.msg);
        }
        json_decref(v);
        hjp_free(ix);
        free(in.p);
    }
}

/* --- regressions found by the fuzzer -------------------------------------- */

/* An invalid UTF-8 byte first on a line: Jansson says column 0; the message
 * must still carry a 1-based position. */
static void test_regress_utf8_column(void **state)
{
    static const char text[] = "\x90{}";
    struct hs_scenario *s = NULL;
    struct ac_err err = {0};

    (void)state;
    assert_false(hs_parse(text, sizeof(text) - 1, "r.json", NULL, &s, &err));
    if (!has_position(err.msg, "r.json:")) {
        fail_msg("got \"%s\"", err.msg);
    }
}

/* A rule with an unknown key of 300 bytes: the JSON pointer in the rules
 * validator's message overflowed its 240-byte buffer (mocks/rules.c bad()),
 * smashing the stack. */
static void test_regress_long_rule_key(void **state)
{
    struct fixture *fx = *state;
    const char *at = strstr(fx->text[1], "\"match\": {");
    char key[301];
    char *text;
    struct hs_scenario *s = NULL;
    struct ac_err err = {0};

    assert_non_null(at);
    memset(key, '[', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    at += strlen("\"match\": {");
    assert_int_cmp(asprintf(&text, "%.*s\"%s\": 1, %s", (int)(at - fx->text[1]),
                            fx->text[1], key, at),
                   >, 0);
    assert_false(hs_parse(text, strlen(text), "r.json", NULL, &s, &err));
    if (!has_position(err.msg, "r.json:")) {
        fail_msg("got \"%s\"", err.msg);
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_scenario),
        cmocka_unit_test(test_fuzz_jsonpos),
        cmocka_unit_test(test_regress_utf8_column),
        cmocka_unit_test(test_regress_long_rule_key),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
