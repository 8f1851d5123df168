/* Scenario files: strict loading, validation and discovery.
 *
 * A scenario is one JSON file under the scenario directory; its schema is
 * documented in scenarios/SCHEMA.md. Loading rejects duplicate keys,
 * unknown keys, wrong types and values, and check ids the registry does not
 * know, each with a "FILE:LINE:COL: message" error. Defaults are filled in,
 * so the mocks and the checks see every member explicitly. */
#ifndef HS_SCENARIO_H
#define HS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/* Largest scenario file accepted. */
#define HS_MAX_FILE (1024u * 1024u)

/* The spec revisions a scenario may name, oldest first. */
extern const char *const *const hs_spec_revisions;
extern const size_t hs_nspec_revisions;

/* The named suites a scenario may declare in "suites" (NULL-terminated):
 * "official", "lifecycle", "backcompat". */
extern const char *const *const hs_suite_names;

/* Client features a scenario may need (its "features"), NULL-terminated:
 * `authcheck run --client-features` accepts these names. */
extern const char *const *const hs_feature_names;

struct hs_scenario {
    char *path;     /* owned: the file it came from (or the display name) */
    json_t *doc;    /* owned: validated, defaults filled in */
    const char *id; /* borrowed from doc */
    const char *title;
    char *family;            /* owned: the id's first path segment ("core") */
    const char *newest_spec; /* borrowed from doc: the latest revision */
    int runs;                /* client.runs */
    long timeout_ms;         /* client.timeout_ms */
};

/* Parse and validate scenario text. `name` is used in messages (the file
 * name). `expect_id`, when not NULL, is the id the file must declare (its
 * path under the scenario directory without ".json"). On success *out is a
 * new scenario (hs_free). On failure err->msg is "NAME:LINE:COL: message"
 * (AC_ERR_INVALID) and *out is NULL. */
bool hs_parse(const char *text, size_t len, const char *name,
              const char *expect_id, struct hs_scenario **out,
              struct ac_err *err);

/* Load `dir`/`rel` (rel like "core/dcr-happy-path.json"): the id must be
 * rel without ".json". Errors as hs_parse, naming the full path. */
bool hs_load(const char *dir, const char *rel, struct hs_scenario **out,
             struct ac_err *err);

void hs_free(struct hs_scenario *s);

/* The scenario files under `dir`, recursively: a new NULL-terminated array
 * of paths relative to `dir` ("core/x.json"), sorted bytewise; free with
 * hs_list_free. Hidden entries (".x") are skipped. */
bool hs_discover(const char *dir, char ***out, size_t *n, struct ac_err *err);
void hs_list_free(char **list);

/* The scenario directory to use: `opt` (--scenarios) when set, else
 * $AUTHCHECK_SCENARIOS, else <exe_dir>/../scenarios, else
 * <exe_dir>/../share/authcheck/scenarios, else ./scenarios, else
 * PREFIX/share/authcheck/scenarios (the first that is a directory,
 * after the explicit ones, which are taken as given). `exe_dir` may be
 * NULL. A new string (free()). */
char *hs_scenario_dir(const char *opt, const char *exe_dir);

#endif
