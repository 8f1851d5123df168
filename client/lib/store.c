/* The token store: files under a private directory (0700), one record per
 * (MCP resource, issuer), each written atomically (temp file, fsync,
 * rename; common/json.h) with mode 0600, and a lock file per record taken
 * with flock(2) around every refresh so processes sharing the store spend
 * a rotating refresh token once (OAuth 2.1 §4.3.1: a reused rotated token
 * may revoke the whole grant). A writer killed mid-save leaves the old
 * record whole and a temporary file, swept by a later save once stale. A record
 * that cannot be read is reported and ignored: the caller logs in afresh and
 * overwrites it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/mutations_int.h"
#include "client/lib/store_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"

#define REC_SUFFIX ".json"
#define LOCK_SUFFIX ".lock"
#define KEY_HEX_LEN 64
#define TMP_INFIX ".json.tmp."
/* A temporary file this old is no save in progress (a save takes
 * milliseconds, fsync included) but the remains of a writer that was
 * killed or lost power between mkstemp and rename. */
#define STALE_TMP_S 60

char *store_default_dir(void)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char *dir = NULL;
    /* XDG Base Directory: a relative XDG_STATE_HOME is invalid, ignore. */
    if (xdg != NULL && xdg[0] == '/') {
        return asprintf(&dir, "%s/mcp-oauth", xdg) < 0 ? NULL : dir;
    }
    if (home == NULL || *home == '\0') {
        return NULL;
    }
    return asprintf(&dir, "%s/.local/state/mcp-oauth", home) < 0 ? NULL : dir;
}

/* mkdir -p with `mode` for every directory created. */
static bool mkdirs(char *path, mode_t mode, struct ac_err *err)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        int rc = mkdir(path, mode);
        *p = '/';
        if (rc != 0 && errno != EEXIST) {
            AC_ERR(err, AC_ERR_IO, "creating %s: %s", path, strerror(errno));
            return false;
        }
    }
    if (mkdir(path, mode) != 0 && errno != EEXIST) {
        AC_ERR(err, AC_ERR_IO, "creating %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

bool store_prepare_dir(const char *dir, struct ac_err *err)
{
    char *copy = strdup(dir);
    struct stat st;
    bool ok = false;

    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    if (!mkdirs(copy, 0700, err)) {
        goto out;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        AC_ERR(err, AC_ERR_IO, "token store %s is not a directory", dir);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        /* Our own directory grown too open: tighten it; a foreign one is
         * refused rather than trusted with tokens. */
        if (st.st_uid != getuid() || chmod(dir, 0700) != 0) {
            AC_ERR(err, AC_ERR_IO,
                   "token store %s is accessible to other users (mode %03o); "
                   "refusing to keep tokens there",
                   dir, (unsigned)(st.st_mode & 0777));
            goto out;
        }
    }
    ok = true;
out:
    free(copy);
    return ok;
}

char *store_path(const char *dir, const char *resource, const char *issuer,
                 const char *suffix)
{
    char *key = NULL, *hex = NULL, *path = NULL;
    if (asprintf(&key, "%s\n%s", resource, issuer) < 0) {
        return NULL;
    }
    hex = ac_sha256_hex(key);
    if (hex == NULL || asprintf(&path, "%s/%s%s", dir, hex, suffix) < 0) {
        path = NULL;
    }
    free(key);
    free(hex);
    return path;
}

/* Is `rec` a record we can use? */
static bool record_valid(const json_t *rec)
{
    const json_t *v = json_object_get(rec, "version");
    return json_is_integer(v) && json_integer_value(v) == STORE_VERSION &&
           ac_json_str(rec, "resource") != NULL &&
           ac_json_str(rec, "issuer") != NULL;
}

/* Read one record file; NULL (reported on stderr) when corrupt. */
static json_t *read_record(const char *path, bool report_missing)
{
    struct ac_err e;
    json_t *rec = NULL;
    if (access(path, F_OK) != 0 && !report_missing) {
        return NULL;
    }
    rec = ac_json_load_file(path, &e);
    if (rec != NULL && !record_valid(rec)) {
        AC_ERR(&e, AC_ERR_INVALID, "not a version %d token store record",
               STORE_VERSION);
        json_decref(rec);
        rec = NULL;
    }
    if (rec == NULL) {
        fprintf(stderr,
                "mcp-oauth: ignoring unreadable token store file %s (%s); "
                "a fresh login follows\n",
                path, e.msg);
    }
    return rec;
}

bool store_load(const char *dir, const char *resource, const char *issuer,
                json_t **rec, struct ac_err *err)
{
    char *path = store_path(dir, resource, issuer, REC_SUFFIX);
    *rec = NULL;
    if (path == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    *rec = read_record(path, false);
    free(path);
    return true;
}

/* Is `name` "<64 hex><suffix>"? */
static bool is_store_file(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    if (n != KEY_HEX_LEN + s || strcmp(name + KEY_HEX_LEN, suffix) != 0) {
        return false;
    }
    return strspn(name, "0123456789abcdef") == KEY_HEX_LEN;
}

json_t *store_list(const char *dir, struct ac_err *err)
{
    json_t *all = json_array();
    DIR *d = opendir(dir);
    struct dirent *de;
    if (all == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    while (d != NULL && (de = readdir(d)) != NULL) {
        char *path = NULL;
        if (!is_store_file(de->d_name, REC_SUFFIX) ||
            asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
            continue;
        }
        json_t *rec = read_record(path, true);
        if (rec != NULL) {
            json_array_append_new(all, rec);
        }
        free(path);
    }
out:
    if (d != NULL) {
        closedir(d);
    }
    return all;
}

/* Wall clock in nanoseconds since the epoch: orders records saved within
 * the same second (updated_at comes from ac_now(), which tests pin). */
static json_int_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool store_find(const char *dir, const char *resource, json_t **rec,
                struct ac_err *err)
{
    json_t *all = store_list(dir, err);
    json_int_t best = -1, best_ns = -1;
    size_t i;
    json_t *r;

    *rec = NULL;
    if (all == NULL) {
        return false;
    }
    json_array_foreach(all, i, r)
    {
        json_int_t at = json_integer_value(json_object_get(r, "updated_at"));
        /* Saves within one second (an AS migration saves the old and the
         * new record back to back) are ordered by the wall clock in ns. */
        json_int_t ns = json_integer_value(json_object_get(r, "updated_ns"));
        /* A record (and its tokens) belongs to one resource: a token
         * issued for another MCP server is never presented to this one
         * (RFC 8707, MCP "Token Audience Binding"). */
        bool mine = strcmp(ac_json_str(r, "resource"), resource) == 0 ||
                    MUTATED("ignore-token-audience");
        if (mine && (at > best || (at == best && ns > best_ns))) {
            json_decref(*rec);
            *rec = json_incref(r);
            best = at;
            best_ns = ns;
        }
    }
    json_decref(all);
    return true;
}

/* Is `name` "<64 hex>.json.tmp.XXXXXX" (common/json.c's temporary)? */
static bool is_temp_file(const char *name)
{
    return strspn(name, "0123456789abcdef") == KEY_HEX_LEN &&
           strncmp(name + KEY_HEX_LEN, TMP_INFIX, strlen(TMP_INFIX)) == 0 &&
           strlen(name + KEY_HEX_LEN + strlen(TMP_INFIX)) == 6;
}

/* Remove the temporary files that writers killed mid-save left behind:
 * they may hold tokens, and repeated crashes would pile them up. Best
 * effort: a failure here never fails the save. */
static void sweep_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    time_t now = time(NULL);
    struct stat st;

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (is_temp_file(de->d_name) &&
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && now - st.st_mtime > STALE_TMP_S) {
            unlinkat(dirfd(d), de->d_name, 0);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
}

bool store_save(const char *dir, json_t *rec, struct ac_err *err)
{
    const char *res = ac_json_str(rec, "resource");
    const char *iss = ac_json_str(rec, "issuer");
    char *path = NULL;
    bool ok = false;

    if (res == NULL || iss == NULL) {
        AC_ERR(err, AC_ERR_STATE, "a store record needs resource and issuer");
        return false;
    }
    if (!store_prepare_dir(dir, err)) {
        return false;
    }
    path = store_path(dir, res, iss, REC_SUFFIX);
    if (path == NULL ||
        json_object_set_new(rec, "version", json_integer(STORE_VERSION)) ||
        json_object_set_new(rec, "updated_at", json_integer(ac_now())) ||
        json_object_set_new(rec, "updated_ns", json_integer(wall_ns()))) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    sweep_stale_temps(dir);
    ok = ac_json_write_file(rec, path, 0600, err);
out:
    free(path);
    return ok;
}

static bool unlink_quiet(const char *path, struct ac_err *err)
{
    if (path == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        AC_ERR(err, AC_ERR_IO, "removing %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

bool store_remove(const char *dir, const char *resource, const char *issuer,
                  struct ac_err *err)
{
    char *rec = store_path(dir, resource, issuer, REC_SUFFIX);
    bool ok = unlink_quiet(rec, err);
    /* The lock file stays: a process waiting on it keeps a valid lock. */
    free(rec);
    return ok;
}

bool store_clear_all(const char *dir, struct ac_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    bool ok = true;
    if (d == NULL) {
        return true; /* nothing stored */
    }
    while ((de = readdir(d)) != NULL) {
        char *path = NULL;
        if (!is_store_file(de->d_name, REC_SUFFIX) &&
            !is_store_file(de->d_name, LOCK_SUFFIX)) {
            continue;
        }
        if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
            path = NULL;
        }
        ok = unlink_quiet(path, err) && ok;
        free(path);
    }
    closedir(d);
    return ok;
}

bool store_lock(const char *dir, const char *resource, const char *issuer,
                int timeout_ms, int *fd, struct ac_err *err)
{
    char *path = NULL;
    bool ok = false;

    *fd = -1;
    if (!store_prepare_dir(dir, err)) {
        return false;
    }
    path = store_path(dir, resource, issuer, LOCK_SUFFIX);
    if (path == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    for (int waited = 0;; waited += 20) {
        if (flock(*fd, LOCK_EX | LOCK_NB) == 0) {
            ok = true;
            goto out;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            break;
        }
        if (waited >= timeout_ms) {
            errno = ETIMEDOUT;
            break;
        }
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    AC_ERR(err, AC_ERR_IO, "locking %s: %s", path, strerror(errno));
    close(*fd);
    *fd = -1;
out:
    free(path);
    return ok;
}

void store_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}
