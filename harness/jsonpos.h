/* Source positions of JSON values, by JSON pointer.
 *
 * Jansson forgets where members were once a document is parsed, but the
 * scenario validator must say "FILE:LINE:COL" for an unknown key deep in a
 * file. This module makes a second, tiny tokenizer pass over the same text
 * and records, for every value, its JSON pointer (RFC 6901: "" for the root,
 * "/mcp_server/tools/0/name", with "~0" for "~" and "~1" for "/"), the
 * position of its member key (objects only) and of the value itself.
 *
 * Lines and columns start at 1; a column counts characters (UTF-8 code
 * points), as Jansson's error columns do. */
#ifndef HJP_JSONPOS_H
#define HJP_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct hjp_index;

struct hjp_pos {
    int line; /* 1-based; 0 when unknown */
    int col;  /* 1-based */
};

/* Index `len` bytes of JSON text. Fails (AC_ERR_INVALID, err->msg starting
 * "LINE:COL: ") on a syntax error, or AC_ERR_NOMEM. A duplicate member key
 * is not an error here: the first occurrence is indexed and the first
 * duplicate is remembered (hjp_first_duplicate). On success *out is a new
 * index (hjp_free). */
bool hjp_build(const char *text, size_t len, struct hjp_index **out,
               struct ac_err *err);

/* Free an index. NULL-safe. */
void hjp_free(struct hjp_index *ix);

/* Position of the value at `pointer` (exact match). false if not indexed. */
bool hjp_value(const struct hjp_index *ix, const char *pointer,
               struct hjp_pos *out);

/* Position of the member key of the value at `pointer` (the opening quote);
 * for array elements and the root, the value's position. */
bool hjp_key(const struct hjp_index *ix, const char *pointer,
             struct hjp_pos *out);

/* Best position for a message about `pointer`: its key (want_key) or value
 * position, else that of the nearest indexed ancestor, else 1:1. */
struct hjp_pos hjp_locate(const struct hjp_index *ix, const char *pointer,
                          bool want_key);

/* The first duplicate member key found: its pointer (borrowed, valid until
 * hjp_free) and key position. false when there was none. */
bool hjp_first_duplicate(const struct hjp_index *ix, const char **pointer,
                         struct hjp_pos *out);

/* Number of indexed values (the root counts). */
size_t hjp_count(const struct hjp_index *ix);

/* Append the RFC 6901 escape of `key` to the pointer `base`: a new string
 * (free()), or NULL on allocation failure. */
char *hjp_pointer_join(const char *base, const char *key);

/* Same for an array index. */
char *hjp_pointer_index(const char *base, size_t i);

#endif
