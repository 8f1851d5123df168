/* Bounded, deterministic fuzz tests of the harness's input parsers:
 * mutated scenario files through hs_parse (success, or an error of the form
 * "NAME:LINE:COL: ..."), and harness/jsonpos on random and mutated text
 * (success, or "LINE:COL: ..."; and it accepts whatever Jansson accepts).
 *
 * The generator is a seeded xorshift (seeds fixed and printed); mutations
 * are bit flips, byte insertion, deletion and duplication, splicing,
 * truncation, special characters and long runs. The seeds are real
 * scenario files read from $AUTHCHECK_SCENARIOS. */
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
#include "tests/support/env.h"

#define ITERS 3000
#define MAX_LEN 16384

/* --- generator (as in test_common_fuzz.c) --------------------------------- */

struct rng {
    uint64_t s;
};

static void rng_seed(struct rng *r, uint64_t seed, const char *target)
{
    r->s = seed;
    print_message("fuzz %s: seed 0x%016llx, %d iterations\n", target,
                  (unsigned long long)seed, ITERS);
}

/* xorshift64* (Vigna). */
static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1du;
}

static size_t below(struct rng *r, size_t n)
{
    return n != 0 ? (size_t)(rnd(r) % n) : 0;
}

struct bytes {
    char *p;
    size_t len;
};

static const char SPECIALS[] = "\"\\,:{}[]0-1.e+ \t\n\r/\x01\x1f\x7f\x80\xc3"
                               "\xff~tnfu";

static char special(struct rng *r)
{
    return SPECIALS[below(r, sizeof(SPECIALS) - 1)];
}

static void insert(struct bytes *b, size_t at, const char *src, size_t n,
                   char c)
{
    if (b->len + n > MAX_LEN) {
        n = MAX_LEN - b->len;
    }
    memmove(b->p + at + n, b->p + at, b->len - at);
    for (size_t i = 0; i < n; i++) {
        b->p[at + i] = src != NULL ? src[i] : c;
    }
    b->len += n;
    b->p[b->len] = '\0';
}

static void mutate_once(struct rng *r, struct bytes *b, const char *other)
{
    size_t at = below(r, b->len + 1), n;
    char tmp[64];

    switch (below(r, 10)) {
    case 0: /* bit flip */
        if (b->len > 0) {
            b->p[below(r, b->len)] ^= (char)(1u << below(r, 8));
        }
        break;
    case 1: /* random byte */
        tmp[0] = (char)rnd(r);
        insert(b, at, tmp, 1, 0);
        break;
    case 2: /* delete a short range */
        n = at < b->len ? 1 + below(r, b->len - at < 8 ? b->len - at : 8) : 0;
        memmove(b->p + at, b->p + at + n, b->len - at - n + 1);
        b->len -= n;
        break;
    case 3: /* duplicate a chunk */
        n = at < b->len ? 1 + below(r, b->len - at < 64 ? b->len - at : 64) : 0;
        memcpy(tmp, b->p + at, n);
        insert(b, below(r, b->len + 1), tmp, n, 0);
        break;
    case 4: /* splice: the tail of another seed replaces our tail */
        n = strlen(other);
        b->len = at;
        b->p[at] = '\0';
        at = below(r, n + 1);
        insert(b, b->len, other + at, n - at, 0);
        break;
    case 5: /* truncate */
        b->len = at;
        b->p[at] = '\0';
        break;
    case 6: /* a special character */
    case 7:
        tmp[0] = special(r);
        insert(b, at, tmp, 1, 0);
        break;
    case 8: /* overwrite with a special character */
        if (b->len > 0) {
            b->p[below(r, b->len)] = special(r);
        }
        break;
    default: /* a long run */
        insert(b, at, NULL, 1 + below(r, 2000), below(r, 2) ? special(r) : '[');
        break;
    }
}

/* A seed mutated 1-4 times or (one time in eight) random bytes. */
static struct bytes fuzz_input(struct rng *r, const char *const *seeds,
                               size_t nseeds)
{
    struct bytes b;

    b.p = malloc(MAX_LEN + 1);
    assert_non_null(b.p);
    b.len = 0;
    b.p[0] = '\0';
    if (below(r, 8) == 0) {
        size_t n = below(r, 300);
        for (size_t i = 0; i < n; i++) {
            b.p[i] = (char)rnd(r);
        }
        b.len = n;
        b.p[n] = '\0';
    } else {
        const char *s = seeds[below(r, nseeds)];
        size_t rounds = 1 + below(r, 4);

        insert(&b, 0, s, strlen(s), 0);
        for (size_t i = 0; i < rounds; i++) {
            mutate_once(r, &b, seeds[below(r, nseeds)]);
        }
    }
    return b;
}

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
    struct rng r;
    int nok = 0;

    rng_seed(&r, 0x5343454eu, "hs_parse");
    for (int it = 0; it < ITERS; it++) {
        /* Only the scenario files as seeds: the small JSON is for jsonpos. */
        struct bytes in = fuzz_input(&r, (const char *const *)fx->text, NFILES);
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
    struct rng r;

    rng_seed(&r, 0x4a504f53u, "jsonpos");
    for (int it = 0; it < ITERS; it++) {
        struct bytes in = fuzz_input(&r, (const char *const *)fx->text, fx->n);
        struct hp_index *ix = NULL;
        struct ac_err err = {0};
        json_error_t jerr;
        json_t *v = json_loadb(in.p, in.len, JSON_DECODE_ANY, &jerr);
        bool ok = hp_build(in.p, in.len, &ix, &err);

        if (ok) {
            struct hp_pos pos;
            const char *dup;

            assert_true(hp_count(ix) >= 1);
            assert_true(hp_value(ix, "", &pos));
            assert_true(pos.line >= 1 && pos.col >= 1);
            pos = hp_locate(ix, "/no/such/member", true);
            assert_true(pos.line >= 1 && pos.col >= 1);
            if (hp_first_duplicate(ix, &dup, &pos)) {
                assert_non_null(dup);
                assert_true(pos.line >= 1 && pos.col >= 1);
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
        hp_free(ix);
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
    assert_true(asprintf(&text, "%.*s\"%s\": 1, %s", (int)(at - fx->text[1]),
                         fx->text[1], key, at) > 0);
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
