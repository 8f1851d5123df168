/* Which scenarios a run selects: `--scenario PATTERN` (fnmatch globs on
 * the id), `--suite NAME` (a family, a named suite a scenario declares in
 * "suites", or a spec revision) and `--spec REV` (a filter on the
 * scenario's "spec" list).
 *
 * Selection happens in two steps so that only the files a run may need are
 * loaded and validated: hsel_maybe() on the id alone (the file's path)
 * decides whether a file must be loaded; hsel_match() on the loaded
 * scenario decides. */
#ifndef HSEL_SELECT_H
#define HSEL_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "harness/scenario.h"

struct hsel {
    const char *const *patterns; /* borrowed; --scenario values */
    size_t npatterns;
    const char *const *suites; /* borrowed; --suite values */
    size_t nsuites;
    const char *spec; /* borrowed; --spec, NULL for any revision */
    /* Which patterns and suites selected something (hsel_match sets them;
     * caller-allocated arrays of npatterns / nsuites, zeroed; may be NULL
     * when the count is 0). */
    bool *pattern_hit;
    bool *suite_hit;
};

/* Is `rev` one of hs_spec_revisions? */
bool hsel_spec_known(const char *rev);

/* Is `name` a suite: a family among `ids` (scenario ids or relative file
 * paths; the first path segment counts), one of hs_suite_names, or a spec
 * revision? `ids` is NULL-terminated. */
bool hsel_suite_known(const char *name, char *const *ids);

/* Could the scenario with this id be selected? False only when neither a
 * pattern, a family suite nor any other suite can select it. */
bool hsel_maybe(const struct hsel *s, const char *id);

/* Is the loaded scenario selected? Marks the patterns and suites that
 * selected it (before the --spec filter: a pattern that names a scenario
 * of another revision still "matched"). */
bool hsel_match(const struct hsel *s, const struct hs_scenario *sc);

#endif
