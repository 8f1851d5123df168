/* Request metadata headers of the 2026-07-28 Streamable HTTP transport:
 * the value encoding of Mcp-Name and Mcp-Param-{Name} (plain ASCII, else
 * the "=?base64?...?=" sentinel form) both ways, how a value carries a
 * JSON argument, and the x-mcp-header annotations of a tool's inputSchema:
 * their validation (an invalid tool is dropped from tools/list) and the
 * headers they ask for in a tools/call. See common/mcphdr.h. */
#include "common/mcphdr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64url.h"

#define MAX_DEPTH 32
#define SENTINEL_PREFIX "=?base64?"
#define SENTINEL_SUFFIX "?="

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z') || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool is_token(const char *s)
{
    if (s == NULL || *s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!is_tchar((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

bool ac_mcphdr_chars_ok(const char *v)
{
    for (; *v != '\0'; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch != '\t' && (ch < 0x20 || ch > 0x7e)) {
            return false;
        }
    }
    return true;
}

/* Does `v` (length n) have the sentinel form "=?base64?...?="? */
static bool is_sentinel(const char *v, size_t n)
{
    size_t lp = strlen(SENTINEL_PREFIX), ls = strlen(SENTINEL_SUFFIX);
    return n >= lp + ls && strncmp(v, SENTINEL_PREFIX, lp) == 0 &&
           strcmp(v + n - ls, SENTINEL_SUFFIX) == 0;
}

/* Can `v` travel as a plain header value? Visible ASCII, space and tab
 * (RFC 9110 §5.5), no leading/trailing whitespace, and not looking like
 * the sentinel form. */
static bool plain_ok(const char *v)
{
    size_t n = strlen(v);
    if (n > 0 &&
        (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')) {
        return false;
    }
    return ac_mcphdr_chars_ok(v) && !is_sentinel(v, n);
}

char *ac_mcphdr_decode(const char *value)
{
    size_t n = strlen(value);
    size_t lp = strlen(SENTINEL_PREFIX), ls = strlen(SENTINEL_SUFFIX);
    uint8_t *raw = NULL;
    size_t rl = 0;
    char *out;

    if (!is_sentinel(value, n)) {
        return strdup(value);
    }
    if (!ac_b64_decode(value + lp, n - lp - ls, &raw, &rl, NULL)) {
        return NULL;
    }
    out = strndup((const char *)raw, rl);
    free(raw);
    return out;
}

bool ac_mcphdr_matches(const char *h, const json_t *v)
{
    char *end;
    double d;

    if (json_is_string(v)) {
        return strcmp(h, json_string_value(v)) == 0;
    }
    if (json_is_boolean(v)) {
        return strcmp(h, json_is_true(v) ? "true" : "false") == 0;
    }
    d = strtod(h, &end);
    return *h != '\0' && *end == '\0' && d == (double)json_integer_value(v);
}

char *ac_mcphdr_encode(const char *value)
{
    char *b64 = NULL, *out = NULL;
    if (plain_ok(value)) {
        return strdup(value);
    }
    /* Streamable HTTP "Value Encoding": Base64 of the UTF-8 bytes. */
    b64 = ac_b64_encode(value, strlen(value));
    if (b64 != NULL &&
        asprintf(&out, SENTINEL_PREFIX "%s" SENTINEL_SUFFIX, b64) < 0) {
        out = NULL;
    }
    free(b64);
    return out;
}

/* --- x-mcp-header --------------------------------------------------------- */

/* One annotated property: {"name": H, "path": [keys...]}. */
static bool note_header(json_t *found, const char *name, const json_t *path,
                        const char **why)
{
    size_t i;
    const json_t *f;
    json_array_foreach(found, i, f)
    {
        const char *other = json_string_value(json_object_get(f, "name"));
        if (strcasecmp(other, name) == 0) {
            *why = "x-mcp-header names are not unique (case-insensitive)";
            return false;
        }
    }
    json_t *copy = json_copy((json_t *)path);
    if (copy == NULL ||
        json_array_append_new(
            found, json_pack("{s:s, s:o}", "name", name, "path", copy)) != 0) {
        *why = "out of memory";
        return false;
    }
    return true;
}

/* Is the annotated schema `node` of one primitive type (not number)? */
static bool primitive(const json_t *node)
{
    const char *t = json_string_value(json_object_get(node, "type"));
    return t != NULL &&
           (strcmp(t, "string") == 0 || strcmp(t, "integer") == 0 ||
            strcmp(t, "boolean") == 0);
}

static bool walk(const json_t *node, bool reachable, json_t *path, int depth,
                 json_t *found, const char **why);

/* Members whose values are data, not subschemas. */
static bool data_keyword(const char *k)
{
    return strcmp(k, "const") == 0 || strcmp(k, "default") == 0 ||
           strcmp(k, "enum") == 0 || strcmp(k, "examples") == 0;
}

static bool walk_properties(const json_t *props, bool reachable, json_t *path,
                            int depth, json_t *found, const char **why)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        if (json_array_append_new(path, json_string(k)) != 0) {
            *why = "out of memory";
            return false;
        }
        bool ok = walk(v, reachable, path, depth + 1, found, why);
        json_array_remove(path, json_array_size(path) - 1);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Walk a schema: an annotation is valid only on a primitive property
 * statically reachable from the root through `properties` keys alone. */
static bool walk(const json_t *node, bool reachable, json_t *path, int depth,
                 json_t *found, const char **why)
{
    const char *k;
    const json_t *v;
    size_t i;

    if (depth > MAX_DEPTH) {
        *why = "inputSchema nested too deeply";
        return false;
    }
    if (json_is_array(node)) {
        json_array_foreach((json_t *)node, i, v)
        {
            if (!walk(v, false, path, depth + 1, found, why)) {
                return false;
            }
        }
        return true;
    }
    if (!json_is_object(node)) {
        return true;
    }
    const json_t *h = json_object_get(node, "x-mcp-header");
    if (h != NULL) {
        const char *name = json_string_value(h);
        if (!reachable || json_array_size(path) == 0) {
            *why = "x-mcp-header on a property not reachable through "
                   "\"properties\" alone";
            return false;
        }
        if (!is_token(name)) {
            *why = "x-mcp-header is not an HTTP field-name token";
            return false;
        }
        if (!primitive(node)) {
            *why = "x-mcp-header on a property that is not a string, integer "
                   "or boolean";
            return false;
        }
        if (!note_header(found, name, path, why)) {
            return false;
        }
    }
    json_object_foreach((json_t *)node, k, v)
    {
        bool ok = true;
        if (strcmp(k, "properties") == 0 && json_is_object(v)) {
            ok = walk_properties(v, reachable, path, depth, found, why);
        } else if (!data_keyword(k) && strcmp(k, "x-mcp-header") != 0) {
            ok = walk(v, false, path, depth + 1, found, why);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

json_t *ac_mcphdr_annotations(const json_t *tool, const char **why)
{
    json_t *found = json_array(), *path = json_array();
    *why = NULL;
    if (found == NULL || path == NULL) {
        *why = "out of memory";
    } else {
        walk(json_object_get(tool, "inputSchema"), true, path, 0, found, why);
    }
    json_decref(path);
    if (*why != NULL) {
        json_decref(found);
        return NULL;
    }
    return found;
}

/* The value at `path` in `args` as header text (new), or NULL when absent,
 * null or not a primitive. JavaScript-safe integers only. */
static char *value_at(const json_t *args, const json_t *path)
{
    size_t i;
    const json_t *k;
    const json_t *v = args;
    char buf[32];
    json_array_foreach((json_t *)path, i, k)
    {
        v = json_object_get(v, json_string_value(k));
    }
    if (json_is_string(v)) {
        return ac_mcphdr_encode(json_string_value(v));
    }
    if (json_is_boolean(v)) {
        return strdup(json_is_true(v) ? "true" : "false");
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return strdup(buf);
    }
    return NULL;
}

json_t *ac_mcphdr_params(const json_t *tool, const json_t *args)
{
    const char *why;
    json_t *ann = ac_mcphdr_annotations(tool, &why), *out = json_array();
    size_t i;
    const json_t *a;
    if (ann == NULL || out == NULL) {
        json_decref(ann);
        json_decref(out);
        return NULL;
    }
    json_array_foreach(ann, i, a)
    {
        char *val = value_at(args, json_object_get(a, "path"));
        char *line = NULL;
        if (val != NULL &&
            asprintf(&line, "Mcp-Param-%s: %s",
                     json_string_value(json_object_get(a, "name")), val) >= 0) {
            json_array_append_new(out, json_string(line));
            free(line);
        }
        free(val);
    }
    json_decref(ann);
    return out;
}
