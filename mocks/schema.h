/* The scenario schema: one table of every scenario key with its type,
 * limits, allowed values and default (scenarios/SCHEMA.md; the two change
 * together). The harness's loader (harness/scenario.c) validates scenario
 * files against it and fills in the defaults; the mocks read typed values
 * through it (mo_schema_int, mo_schema_bool, ...), so a block handed to
 * them without the loader (the client tests start the mocks from a file
 * directly) gets the same defaults. A new key is added here only.
 *
 * The `rules` array is validated by the rules engine (mo_rules_check). */
#ifndef MO_SCHEMA_H
#define MO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum mo_schema_kind {
    MO_T_STRING,
    MO_T_BOOL,
    MO_T_INT,
    MO_T_OBJECT,
    MO_T_ARRAY,
    MO_T_ANY_OBJECT,
    MO_T_ANY
};

/* One key of an object (or the element of an array when `key` is NULL). */
struct mo_schema_field {
    const char *key;
    enum mo_schema_kind kind;
    bool required;
    const char *const *enums; /* MO_T_STRING: allowed values */
    long long min, max;       /* MO_T_INT: range; MO_T_ARRAY: min..max items */
    const struct mo_schema_field
        *members;                        /* MO_T_OBJECT: NULL-key terminated */
    const struct mo_schema_field *items; /* MO_T_ARRAY: the element */
    bool unique;                         /* MO_T_ARRAY of strings: no repeats */
    const char *def;                     /* JSON text filled in when absent */
};

/* "min, max" of a field without limits. */
#define MO_SCHEMA_NOLIMIT 0, 0

/* The default world (scenarios/SCHEMA.md "Defaults"): what a scenario
 * gets for a block it leaves out, so a file says only what differs. One
 * DCR-only authorization server publishing RFC 8414 metadata with scope
 * mcp:tools, an MCP server whose 401 challenge names that scope and whose
 * one tool, echo, needs it, and the arguments the client passes to it.
 * Member defaults below fill in the rest (path /mcp, PRM at the
 * path-inserted location, rotating refresh tokens, ...). A block that is
 * given is taken as written: these are not merged into it. */
#define MO_SCHEMA_DEFAULT_AS                                                   \
    "[{\"id\": \"as\", \"scopes_supported\": [\"mcp:tools\"]}]"
#define MO_SCHEMA_DEFAULT_MCP                                                  \
    "{\"scopes_supported\": [\"mcp:tools\"],"                                  \
    " \"challenge\": {\"scope\": \"mcp:tools\"},"                              \
    " \"tools\": [{\"name\": \"echo\", \"scope\": \"mcp:tools\"}]}"
#define MO_SCHEMA_DEFAULT_ARGUMENTS "{\"text\": \"hello from authcheck\"}"

#define MO_SCHEMA_LEGACY_PROFILE "legacy-2025-03-26"

/* The spec revisions a scenario may name, oldest first; the named suites
 * of "suites"; the client features of "features" (NULL-terminated). */
#define MO_SCHEMA_NSPEC 4
extern const char *const mo_schema_spec_revisions[];
extern const char *const mo_schema_suite_names[];
extern const char *const mo_schema_feature_names[];

/* The whole scenario document, its top-level members, and the member
 * tables of the blocks the mocks read. */
extern const struct mo_schema_field mo_schema_scenario;
extern const struct mo_schema_field mo_schema_top[];
extern const struct mo_schema_field mo_schema_as[];
extern const struct mo_schema_field mo_schema_tokens[];
extern const struct mo_schema_field mo_schema_dpop[];
extern const struct mo_schema_field mo_schema_mcp[];
extern const struct mo_schema_field mo_schema_challenge[];
extern const struct mo_schema_field mo_schema_tool[];
extern const struct mo_schema_field mo_schema_extra_mcp[];
extern const struct mo_schema_field mo_schema_client[];
extern const struct mo_schema_field mo_schema_workload[];
extern const struct mo_schema_field mo_schema_idp[];

/* The field `key` of the member table `fields`, or NULL. */
const struct mo_schema_field *
mo_schema_field(const struct mo_schema_field *fields, const char *key);

/* Member `key` of `obj` (an object described by `fields`) as a new
 * reference: the member when present, else the schema default, else
 * NULL. */
json_t *mo_schema_value(const json_t *obj, const struct mo_schema_field *fields,
                        const char *key);

/* Set every member of `fields` that `obj` lacks and that has a default
 * to that default (one level: what a block handed over raw, as in tests
 * and fuzzing, would have got from the loader). False when out of
 * memory. */
bool mo_schema_fill(json_t *obj, const struct mo_schema_field *fields);

/* Typed reads with the schema default: an integer member (0 when it has
 * neither value nor default), a boolean (false likewise), whether a
 * string member equals `want`, whether an array-of-strings member holds
 * `want`, and a string member as a new string (free(); NULL without
 * value and default, or out of memory). */
long long mo_schema_int(const json_t *obj, const struct mo_schema_field *fields,
                        const char *key);
bool mo_schema_bool(const json_t *obj, const struct mo_schema_field *fields,
                    const char *key);
bool mo_schema_str_is(const json_t *obj, const struct mo_schema_field *fields,
                      const char *key, const char *want);
bool mo_schema_has(const json_t *obj, const struct mo_schema_field *fields,
                   const char *key, const char *want);
char *mo_schema_strdup(const json_t *obj, const struct mo_schema_field *fields,
                       const char *key);

#endif
