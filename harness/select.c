/* Scenario selection (select.h): glob patterns on ids, suites (families,
 * named suites, spec revisions) and the spec revision filter. Pure
 * functions of the options and the scenario. */
#include "harness/select.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

static bool in_list(const char *s, const char *const *list)
{
    for (size_t k = 0; list[k] != NULL; k++) {
        if (strcmp(list[k], s) == 0) {
            return true;
        }
    }
    return false;
}

bool hsel_spec_known(const char *rev)
{
    return rev != NULL && in_list(rev, hs_spec_revisions);
}

static bool is_family(const char *name, const char *id)
{
    size_t len = strcspn(id, "/");

    /* An id without '/' has no family segment to match. */
    return id[len] == '/' && strlen(name) == len && strncmp(name, id, len) == 0;
}

bool hsel_suite_known(const char *name, char *const *ids)
{
    if (in_list(name, hs_suite_names) || in_list(name, hs_spec_revisions)) {
        return true;
    }
    for (size_t k = 0; ids != NULL && ids[k] != NULL; k++) {
        if (is_family(name, ids[k])) {
            return true;
        }
    }
    return false;
}

/* fnmatch without FNM_PATHNAME, so a '*' after "auth/" also matches
 * "auth/a/b": what a user asking for everything under auth/ means. */
static bool glob(const char *pattern, const char *id)
{
    return fnmatch(pattern, id, 0) == 0;
}

/* An id, possibly with ".json" (a path under the scenario directory). */
static void bare_id(const char *id, char *out, size_t n)
{
    size_t len = strlen(id);

    if (len > 5 && strcmp(id + len - 5, ".json") == 0) {
        len -= 5;
    }
    snprintf(out, n, "%.*s", (int)len, id);
}

bool hsel_maybe(const struct hsel *s, const char *id)
{
    char bare[512];

    bare_id(id, bare, sizeof(bare));
    if (s->npatterns == 0 && s->nsuites == 0) {
        return true;
    }
    for (size_t k = 0; k < s->npatterns; k++) {
        if (glob(s->patterns[k], bare)) {
            return true;
        }
    }
    for (size_t k = 0; k < s->nsuites; k++) {
        /* Named suites and revisions are in the file: load it to see. */
        if (is_family(s->suites[k], bare) ||
            in_list(s->suites[k], hs_suite_names) ||
            in_list(s->suites[k], hs_spec_revisions)) {
            return true;
        }
    }
    return false;
}

static bool has_string(const json_t *arr, const char *s)
{
    const json_t *v;
    size_t i;

    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) {
            return true;
        }
    }
    return false;
}

static bool in_suite(const char *suite, const struct hs_scenario *sc)
{
    if (in_list(suite, hs_spec_revisions)) {
        return has_string(json_object_get(sc->doc, "spec"), suite);
    }
    if (in_list(suite, hs_suite_names)) {
        return has_string(json_object_get(sc->doc, "suites"), suite);
    }
    return is_family(suite, sc->id);
}

bool hsel_match(const struct hsel *s, const struct hs_scenario *sc)
{
    bool chosen = s->npatterns == 0 && s->nsuites == 0;

    for (size_t k = 0; k < s->npatterns; k++) {
        if (glob(s->patterns[k], sc->id)) {
            chosen = true;
            if (s->pattern_hit != NULL) {
                s->pattern_hit[k] = true;
            }
        }
    }
    for (size_t k = 0; k < s->nsuites; k++) {
        if (in_suite(s->suites[k], sc)) {
            chosen = true;
            if (s->suite_hit != NULL) {
                s->suite_hit[k] = true;
            }
        }
    }
    if (chosen && s->spec != NULL) {
        chosen = has_string(json_object_get(sc->doc, "spec"), s->spec);
    }
    return chosen;
}
