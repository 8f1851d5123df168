/* The test programs' environment: see env.h. */
#include "tests/support/env.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"

const char *ts_env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : dflt;
}

json_t *ts_scenario_load(const char *rel, struct ac_err *err)
{
    char path[1024];

    snprintf(path, sizeof path, "%s/%s",
             ts_env_or("AUTHCHECK_SCENARIOS", "scenarios"), rel);
    return ac_json_load_file(path, err);
}

bool ts_mkdtemp(char *buf, size_t n, const char *prefix)
{
    snprintf(buf, n, "%s/%s-XXXXXX", ts_env_or("AUTHCHECK_TMP", "/tmp"),
             prefix);
    return mkdtemp(buf) != NULL;
}

const char *ts_client_bin(void)
{
    static char path[1024];

    snprintf(path, sizeof path, "%s/mcp-oauth",
             ts_env_or("AUTHCHECK_BINDIR", "bin"));
    return path;
}
