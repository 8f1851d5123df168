/* libFuzzer target: the scenario loader (harness/scenario.c hs_parse: JSON
 * with positions, the schema, defaults, and the rules validator of
 * mocks/rules.c it calls). Scenario files are input a user hands to
 * authcheck. Properties: a success has an id; a failure is
 * "NAME:LINE:COL: message" with positive LINE and COL. */
#include "tests/fuzz/fuzz.h"

#include "harness/scenario.h"

/* Does `msg` start with "fuzz.json:LINE:COL: " (LINE, COL positive)? */
static bool has_position(const char *msg)
{
    const char *p = msg + strlen("fuzz.json:");
    char *end;
    long line, col;

    if (strncmp(msg, "fuzz.json:", strlen("fuzz.json:")) != 0) {
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hs_scenario *s = NULL;
    struct ac_err err = {0};

    if (hs_parse((const char *)data, size, "fuzz.json", NULL, &s, &err)) {
        FZ_ASSERT(s != NULL && s->id != NULL);
    } else {
        FZ_ASSERT(s == NULL);
        if (!has_position(err.msg)) {
            fprintf(stderr, "error without a position: %s\n", err.msg);
            abort();
        }
    }
    hs_free(s);
    return 0;
}
