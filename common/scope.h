/* OAuth scope strings (RFC 6749 §3.3): a list of space-delimited,
 * case-sensitive scope tokens, read as a set. One copy of these rules for
 * the client (scope selection, step-up), the mocks (what a token covers)
 * and the checks (what a client asked for).
 *
 * A NULL list is the empty set. Only %x20 separates tokens; runs of spaces
 * and leading or trailing spaces delimit nothing (no empty tokens). */
#ifndef AC_SCOPE_H
#define AC_SCOPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parse: the next token of `*cursor` (NULL or at its end: none). On true
 * *tok points into the list (not NUL-terminated), *len is its length and
 * *cursor moves past it. Use:
 *     const char *cur = list, *t; size_t n;
 *     while (ac_scope_next(&cur, &t, &n)) { ... } */
bool ac_scope_next(const char **cursor, const char **tok, size_t *len);

/* Contains: is the token `s` of length `n` (n > 0) in `list`? */
bool ac_scope_has_n(const char *list, const char *s, size_t n);

/* Contains: is the token `s` (a NUL-terminated, non-empty string) in
 * `list`? False for an empty or NULL `s`. */
bool ac_scope_has(const char *list, const char *s);

/* Subset: is every token of `want` in `have` (true when `want` is NULL or
 * empty)? */
bool ac_scope_subset(const char *want, const char *have);

/* Subset of a JSON array of strings (e.g. metadata scopes_supported): is
 * every token of `want` one of the array's strings? */
bool ac_scope_subset_of_array(const char *want, const json_t *arr);

/* Union, order kept: the tokens of `a`, then each token of `b` that is not
 * among them, one space apart (duplicates within `a` are dropped too).
 * Either may be NULL. Returns a new string ("" for two empty sets), or
 * NULL when out of memory. */
char *ac_scope_union(const char *a, const char *b);

/* Format: the strings of the JSON array `arr` as one scope list, in array
 * order, duplicates and empty or non-string members skipped. Returns a new
 * string ("" when there are none, also for a non-array), or NULL when out
 * of memory. */
char *ac_scope_join_array(const json_t *arr);

#endif
