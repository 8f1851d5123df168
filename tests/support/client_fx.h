/* The CMocka fixture of libmcpoauth tests against the mocks: the library's
 * global state per group, and per test a scenario (core/dcr-happy-path),
 * the world started from it, a client, the last transcript and a fresh
 * token store directory. Static functions in a header because they need
 * libmcpoauth and mocks/world.h, which test_common_* programs (that link
 * every tests/support/ .c file) do not link. Include after <cmocka.h>. */
#ifndef TEST_SUPPORT_CLIENT_FX_H
#define TEST_SUPPORT_CLIENT_FX_H

#include <stdlib.h>

#include <jansson.h>

#include "mcpoauth.h"
#include "mocks/world.h"
#include "tests/support/env.h"

/* Not every test uses every helper. */
#define CLIENT_FX_FN static __attribute__((unused))

struct client_fx {
    json_t *scenario;
    struct mo_world *world;     /* started by the test */
    struct mcpo_client *client; /* made by the test */
    json_t *transcript;         /* the test's last snapshot */
    char store[256];
};

CLIENT_FX_FN int client_fx_group_setup(void **state)
{
    struct mcpo_err err;

    (void)state;
    return mcpo_global_init(&err) ? 0 : -1;
}

CLIENT_FX_FN int client_fx_group_teardown(void **state)
{
    (void)state;
    mcpo_global_cleanup();
    return 0;
}

/* A test's setup: the store directory is "<prefix>-XXXXXX" in the tests'
 * temporary directory. */
CLIENT_FX_FN int client_fx_setup(void **state, const char *prefix)
{
    struct ac_err err;
    struct client_fx *f = calloc(1, sizeof *f);

    f->scenario = ts_scenario_load("core/dcr-happy-path.json", &err);
    if (f->scenario == NULL || !ts_mkdtemp(f->store, sizeof f->store, prefix)) {
        return -1;
    }
    *state = f;
    return 0;
}

CLIENT_FX_FN int client_fx_teardown(void **state)
{
    struct client_fx *f = *state;

    mcpo_client_free(f->client);
    mo_world_stop(f->world);
    json_decref(f->scenario);
    json_decref(f->transcript);
    free(f);
    return 0;
}

#endif
