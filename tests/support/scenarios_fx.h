/* Loading the whole scenario library, for the tests that run every
 * scenario (test_matrix, test_verdict, test_no_secrets). A static function
 * in a header, like client_fx.h: it needs harness/scenario.h, which the
 * test_common_* programs (linking every tests/support/ .c file) do not
 * link. */
#ifndef TEST_SUPPORT_SCENARIOS_FX_H
#define TEST_SUPPORT_SCENARIOS_FX_H

#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "harness/scenario.h"

/* Every scenario file under `dir`, loaded: a new array of *n scenarios
 * plus a NULL (free each with hs_free, then the array), or NULL with the
 * reason on stderr, prefixed by `who`. */
static __attribute__((unused)) struct hs_scenario **
ts_load_scenarios(const char *dir, size_t *n, const char *who)
{
    char **list = NULL;
    struct hs_scenario **v = NULL;
    size_t count = 0;
    struct ac_err err;

    *n = 0;
    if (!hs_discover(dir, &list, &count, &err)) {
        fprintf(stderr, "%s: %s\n", who, err.msg);
        return NULL;
    }
    v = calloc(count + 1, sizeof *v);
    for (size_t i = 0; v != NULL && i < count; i++) {
        if (!hs_load(dir, list[i], &v[i], &err)) {
            fprintf(stderr, "%s: %s\n", who, err.msg);
            for (size_t k = 0; k < i; k++) {
                hs_free(v[k]);
            }
            free(v);
            v = NULL;
        }
    }
    hs_list_free(list);
    if (v != NULL) {
        *n = count;
    }
    return v;
}

#endif
