/* The rules engine: scripted faults and state changes of a scenario's
 * mock world (docs/MOCKS.md "Rules", scenarios/SCHEMA.md "Rules").
 *
 * A rule either matches requests ("match") and then answers itself,
 * patches the correct answer, delays, drops or hangs it and/or changes
 * state, or reacts to an event ("on") and changes state. The engine hooks
 * into every mock server through the httpd wrapper (mo_httpd_set_hooks);
 * every function here runs with mo_shared.lock held.
 *
 * String values of response actions may hold ${...} placeholders
 * (${issuer}, ${issuer:ID}, ${resource}, ${mcp_url}, ${prm_url}),
 * substituted from the world's runtime values when the rule fires; a
 * response header given as an array is sent as one line per value.
 *
 * The validator (mo_rules_check) is the one definition of the JSON shape:
 * the harness calls it to report errors with their position. */
#ifndef MO_RULES_H
#define MO_RULES_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"
#include "mocks/httpd.h"

struct mo_rules;
struct mo_shared;

/* Report one violation: `ptr` is a JSON pointer into the scenario
 * ("/rules/0/do/respond/status"), `key` true when it names a member key
 * (an unknown key) rather than a value, `msg` the message (it already
 * names the pointer). */
typedef void (*mo_rules_violation_fn)(void *ctx, const char *ptr, bool key,
                                      const char *msg);

/* Validate the `rules` array of `scenario` (both borrowed; `scenario` is
 * used to resolve authorization server ids, also in ${issuer:ID}). Every
 * violation is reported through `fn`; an unknown placeholder is reported
 * at its string, the message naming the character. Returns true when
 * there was none. */
bool mo_rules_check(const json_t *rules, const json_t *scenario,
                    mo_rules_violation_fn fn, void *ctx);

/* A new engine for `rules` (a JSON array, deep-copied; NULL or [] gives an
 * engine that never fires). Rules are assumed valid (mo_rules_check);
 * members of the wrong type are ignored, never a crash. */
bool mo_rules_new(const json_t *rules, struct mo_rules **out,
                  struct ac_err *err);

/* Forget every counter (nth, times, after): the control API's reset. */
void mo_rules_reset(struct mo_rules *rules);

/* NULL-safe. */
void mo_rules_free(struct mo_rules *rules);

/* The httpd hooks (mo_before_fn / mo_after_fn); `ctx` is the world's
 * struct mo_shared. `before` runs matching rules' state operations and
 * "respond"; `after` applies their patches and byte-level faults, then
 * hands queued events to the "on" rules. */
bool mo_rules_before(void *ctx, const struct mo_req *req, struct mo_reply *rep,
                     struct mo_fx *fx);
void mo_rules_after(void *ctx, const struct mo_req *req, struct mo_reply *rep,
                    struct mo_fx *fx);

#endif
