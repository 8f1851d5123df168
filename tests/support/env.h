/* What `make run-tests` tells the test programs through the environment
 * (AUTHCHECK_SCENARIOS, AUTHCHECK_TMP, AUTHCHECK_BINDIR, ...), with the
 * defaults for a run from the top of the tree. Only common/: every test
 * program links it. */
#ifndef TEST_SUPPORT_ENV_H
#define TEST_SUPPORT_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/* $name, or `dflt` when it is unset or empty; borrowed. */
const char *ts_env_or(const char *name, const char *dflt);

/* The scenario file `rel` below $AUTHCHECK_SCENARIOS ("scenarios"): a new
 * reference, or NULL with *err filled. */
json_t *ts_scenario_load(const char *rel, struct ac_err *err);

/* Creates a fresh directory "$AUTHCHECK_TMP/<prefix>-XXXXXX" (AUTHCHECK_TMP
 * defaults to /tmp) and writes its path into buf[n]. False on failure. */
bool ts_mkdtemp(char *buf, size_t n, const char *prefix);

/* The path of the mcp-oauth command in $AUTHCHECK_BINDIR ("bin"), in a
 * static buffer. */
const char *ts_client_bin(void);

#endif
