/* Strict JSON helpers on Jansson.
 *
 * Anything that came from an implementation under test is parsed with
 * JSON_REJECT_DUPLICATES and a size cap, and errors carry line and column. */
#ifndef AC_JSON_H
#define AC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/* Parse `len` bytes as one JSON value, rejecting duplicate keys and
 * trailing garbage. Returns a new reference or NULL with err set
 * ("line L column C: reason"). */
json_t *ac_json_parse(const char *text, size_t len, struct ac_err *err);

/* As ac_json_parse, but the value must be an object. */
json_t *ac_json_parse_object(const char *text, size_t len, struct ac_err *err);

/* Parse a file (strict). Errors name the file, line and column. */
json_t *ac_json_load_file(const char *path, struct ac_err *err);

/* Borrowed string member of an object, NULL if absent or not a string. */
const char *ac_json_str(const json_t *obj, const char *key);

/* Does array `arr` contain the string `s`? false if arr is not an array. */
bool ac_json_array_has_str(const json_t *arr, const char *s);

/* Compact, key-sorted serialisation: a new string (free()). */
char *ac_json_dump(const json_t *v);

/* Write `v` to `path` atomically (temp file, fsync, rename), mode `mode`. */
bool ac_json_write_file(const json_t *v, const char *path, int mode,
                        struct ac_err *err);

#endif
