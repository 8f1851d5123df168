/* Strict JSON on Jansson: duplicate keys rejected, trailing garbage
 * rejected, errors with line and column; atomic file writes. */
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"

/* Parsed documents larger than this are refused: a hostile peer must not
 * make us build an unbounded tree (network bodies are capped earlier). */
#define JSON_MAX_LEN (16u * 1024u * 1024u)

/* JSON_REJECT_DUPLICATES: RFC 8259 §4 leaves duplicate names undefined, and
 * two parsers disagreeing on one is an attack surface. Jansson rejects
 * trailing garbage unless JSON_DISABLE_EOF_CHECK is given. */
#define STRICT_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

json_t *ac_json_parse(const char *text, size_t len, struct ac_err *err)
{
    json_error_t jerr;
    json_t *v;

    if (text == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "no JSON text");
        return NULL;
    }
    if (len > JSON_MAX_LEN) {
        AC_ERR(err, AC_ERR_TOOBIG, "JSON text of %zu bytes over the cap", len);
        return NULL;
    }
    v = json_loadb(text, len, STRICT_FLAGS, &jerr);
    if (v == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "line %d column %d: %s", jerr.line,
               jerr.column, jerr.text);
    }
    return v;
}

json_t *ac_json_parse_object(const char *text, size_t len, struct ac_err *err)
{
    json_t *v = ac_json_parse(text, len, err);

    if (v != NULL && !json_is_object(v)) {
        AC_ERR(err, AC_ERR_INVALID, "line 1 column 1: expected an object");
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *ac_json_load_file(const char *path, struct ac_err *err)
{
    json_error_t jerr;
    json_t *v;

    if (path == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "no file name");
        return NULL;
    }
    v = json_load_file(path, STRICT_FLAGS, &jerr);
    if (v != NULL) {
        return v;
    }
    if (json_error_code(&jerr) == json_error_cannot_open_file) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, jerr.text);
    } else {
        AC_ERR(err, AC_ERR_INVALID, "%s: line %d column %d: %s", path,
               jerr.line, jerr.column, jerr.text);
    }
    return NULL;
}

const char *ac_json_str(const json_t *obj, const char *key)
{
    const json_t *v;

    if (!json_is_object(obj) || key == NULL) {
        return NULL;
    }
    /* json_object_get takes a non-const pointer but does not modify. */
    v = json_object_get((json_t *)obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool ac_json_array_has_str(const json_t *arr, const char *s)
{
    size_t i;

    if (!json_is_array(arr) || s == NULL) {
        return false;
    }
    for (i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        if (json_is_string(e) && strcmp(json_string_value(e), s) == 0) {
            return true;
        }
    }
    return false;
}

char *ac_json_dump(const json_t *v)
{
    if (v == NULL) {
        return NULL;
    }
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* fsync the directory holding `path`, so the rename itself is durable. */
static void sync_dir(const char *path)
{
    char *dir = strdup(path);
    char *slash = dir != NULL ? strrchr(dir, '/') : NULL;
    const char *parent = dir; /* "." for a bare name (dir may be "") */
    int fd;

    if (dir == NULL) {
        return;
    }
    if (slash == NULL) {
        parent = ".";
    } else if (slash == dir) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    fd = open(parent, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

bool ac_json_write_file(const json_t *v, const char *path, int mode,
                        struct ac_err *err)
{
    bool ok = false;
    bool created = false;
    char *text = NULL, *tmp = NULL;
    int fd = -1;

    text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text == NULL || asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
        tmp = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "serialising JSON for %s failed", path);
        goto out;
    }
    /* The temporary file lives in the target's directory so rename(2) is
     * atomic: readers see the old file or the new one, never half. */
    fd = mkstemp(tmp);
    if (fd < 0) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    created = true;
    if (fchmod(fd, (mode_t)mode) != 0 ||
        !ac_write_all(fd, text, strlen(text)) || !ac_write_all(fd, "\n", 1) ||
        fsync(fd) != 0) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        AC_ERR(err, AC_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    sync_dir(path);
    ok = true;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (!ok && created) {
        unlink(tmp);
    }
    free(tmp);
    free(text);
    return ok;
}
