/* Private to the rules engine (rules.h), shared by its files: rules.c
 * (the engine: rules, counters, hooks, events, placeholders),
 * rules_check.c (validation), rules_match.c (request matching) and
 * rules_act.c (response actions). Not for use outside mocks/rules*.c. */
#ifndef MO_RULES_INT_H
#define MO_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/form.h"
#include "mocks/rules.h"
#include "mocks/world_int.h"

struct rule {
    const json_t *match; /* borrowed from mo_rules.doc; NULL for "on" */
    const json_t *on;    /* NULL for "match" */
    const json_t *act;   /* "do" */
    json_int_t nth;      /* first firing occurrence, 1-based */
    json_int_t times;    /* most firings, 0 = unlimited */
    const char *after;   /* event that arms the rule, NULL: armed */
    json_int_t count;    /* matching occurrences while armed */
    json_int_t fired;
    bool armed;
    bool dynamic; /* "do" has ${...} placeholders: expand when firing */
};

struct mo_rules {
    json_t *doc; /* owned deep copy */
    struct rule *v;
    size_t n;
};

/* The request as the matcher sees it, parsed lazily. */
struct view {
    const struct mo_req *req;
    struct mo_shared *sh;
    struct ac_form form, query;
    bool form_done, query_done;
    json_t *json;
    bool json_done;
    char *basic_id; /* client id from Basic credentials */
    bool basic_done;
};

/* --- placeholders (rules.c) ---------------------------------------------- */

/* The value of the placeholder `name` (`len` bytes, not NUL-terminated):
 * borrowed, or NULL when unknown. */
typedef const char *(*mo_rules_ph_lookup_fn)(void *ctx, const char *name,
                                             size_t len);

/* Copy `s` into `out` (NULL: only scan it) with each ${name} replaced by
 * its value and each "$${" by a literal "${". An unknown or unterminated
 * placeholder is copied as written, or, when `strict`, ends the scan:
 * false with *at its byte offset. Also false when `out` is full. */
bool mo_rules_ph_expand(const char *s, mo_rules_ph_lookup_fn look, void *ctx,
                        bool strict, struct ac_buf *out, size_t *at);

/* Is `name` (`len` bytes) exactly `want`? */
bool mo_rules_ph_name_is(const char *name, size_t len, const char *want);

/* The ID of "issuer:ID" copied into `id` (cut to its size), or false
 * when `name` is not of that form. */
bool mo_rules_ph_issuer_id(const char *name, size_t len, char *id, size_t n);

/* Member `k` of `o` when it is an integer, else `dflt`. */
json_int_t mo_rules_int_or(const json_t *o, const char *k, json_int_t dflt);

/* --- request matching (rules_match.c) ------------------------------------ */

/* Does the request `w` meet the "match" object `m` (occurrence counters
 * aside)? */
bool mo_rules_request_matches(const json_t *m, struct view *w);

/* A pattern: exact, or a prefix when it ends in '*'. */
bool mo_rules_str_match(const char *pat, const char *s);

/* The member of `doc` at the dotted `path` (borrowed), or NULL. */
const json_t *mo_rules_json_at(const json_t *doc, const char *path);

/* The request's token and client id as the matcher sees them, and the
 * view's release. */
const char *mo_rules_view_token(struct view *w);
const char *mo_rules_view_client(struct view *w);
void mo_rules_view_free(struct view *w);

/* --- response actions (rules_act.c) -------------------------------------- */

/* The action `a` of rule `x` with its placeholders filled in for a
 * request to `server`: a new reference (json_decref), or NULL when out
 * of memory (logged; the action is then skipped). */
json_t *mo_rules_action_for(const struct rule *x, const json_t *a,
                            struct mo_shared *sh, const char *server);
void mo_rules_respond(struct mo_reply *rep, const json_t *r);
void mo_rules_patch(struct mo_reply *rep, const json_t *p);
void mo_rules_malform(struct mo_reply *rep);
void mo_rules_truncate_body(struct mo_reply *rep, json_int_t n);

#endif
