/* The machine-readable reports: results.json (the redacted model itself)
 * and per-scenario checks.json in the official MCP conformance suite's
 * shape (an array of ConformanceCheck: id, name, description, status,
 * timestamp, specReferences, details, errorMessage). docs/REPORTS.md maps
 * each member. */
#include "reports/reports_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/json.h"

bool rp_write_results_json(const json_t *model, const char *out_dir,
                           struct ac_err *err)
{
    char *path = NULL;
    bool ok;

    if (asprintf(&path, "%s/results.json", out_dir) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    ok = ac_json_write_file(model, path, 0644, err);
    free(path);
    return ok;
}

/* A stable specReferences id from the check's section URL: "RFC-7636" for
 * an RFC, "MCP-<rev>-<anchor>" for the MCP spec, else "<spec>". A new
 * string. */
static char *spec_ref_id(const char *spec, const char *url)
{
    const char *p;
    char *id = NULL;
    int rc = -1;

    if (url != NULL && (p = strstr(url, "/rfc/rfc")) != NULL) {
        rc = asprintf(&id, "RFC-%.*s", (int)strspn(p + 8, "0123456789"), p + 8);
    } else if (url != NULL &&
               (p = strstr(url, "modelcontextprotocol.io/specification/")) !=
                   NULL) {
        const char *rev = p + strlen("modelcontextprotocol.io/specification/");
        const char *frag = strchr(url, '#');
        rc = asprintf(&id, "MCP-%.*s%s%s", (int)strcspn(rev, "/#"), rev,
                      frag != NULL ? "-" : "", frag != NULL ? frag + 1 : "");
    } else {
        rc = asprintf(&id, "%s", spec != NULL ? spec : "authcheck");
    }
    return rc < 0 ? NULL : id;
}

static bool is_violation(const char *status)
{
    return status != NULL &&
           (strcmp(status, "FAILURE") == 0 || strcmp(status, "WARNING") == 0);
}

/* One ConformanceCheck from a model check object. New reference. */
static json_t *official_check(const json_t *c, const char *timestamp)
{
    const char *url = ac_json_str(c, "spec_url");
    const char *status = ac_json_str(c, "status");
    const char *msg = ac_json_str(c, "message");
    const char *summary = ac_json_str(c, "summary");
    char *ref = spec_ref_id(ac_json_str(c, "spec"), url);
    json_t *out = NULL;

    if (ref == NULL) {
        return NULL;
    }
    out = json_pack(
        "{s:s?, s:s?, s:s?, s:s?, s:s?, s:[{s:s, s:s?}], "
        "s:{s:s?, s:s?, s:s?, s:O?}}",
        "id", ac_json_str(c, "id"), "name", ac_json_str(c, "id"), "description",
        msg != NULL && msg[0] != '\0' ? msg : summary, "status", status,
        "timestamp", timestamp, "specReferences", "id", ref, "url", url,
        "details", "level", ac_json_str(c, "level"), "summary", summary, "spec",
        ac_json_str(c, "spec"), "evidence", json_object_get(c, "evidence"));
    if (out != NULL && is_violation(status) && msg != NULL) {
        json_object_set_new(out, "errorMessage", json_string(msg));
    }
    free(ref);
    return out;
}

/* One checks.json waiting for its rename: written to `tmp` (same
 * directory as `path`), not yet synced. */
struct pending {
    char *tmp, *path;
};

/* Serialise the scenario's checks.json into a temporary file next to its
 * final path; `p` receives both names (freed by the caller). */
static bool stage_scenario_checks(const json_t *sc, const char *out_dir,
                                  const char *timestamp, struct pending *p,
                                  struct ac_err *err)
{
    const char *id = ac_json_str(sc, "id");
    json_t *arr = json_array();
    char *dir = NULL, *text = NULL;
    const json_t *c;
    size_t i;
    int fd = -1;
    bool ok = false;

    if (!rp_safe_relpath(id)) {
        AC_ERR(err, AC_ERR_INVALID,
               "scenario id \"%.80s\" is not a safe relative path",
               id != NULL ? id : "(none)");
        goto out;
    }
    json_array_foreach(json_object_get(sc, "checks"), i, c)
    {
        if (arr == NULL ||
            json_array_append_new(arr, official_check(c, timestamp)) != 0) {
            AC_ERR(err, AC_ERR_NOMEM, "building checks.json for %s", id);
            goto out;
        }
    }
    /* The same bytes as ac_json_write_file (sorted keys, 2 spaces, LF). */
    text = json_dumps(arr, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text == NULL || asprintf(&dir, "%s/%s", out_dir, id) < 0 ||
        asprintf(&p->path, "%s/checks.json", dir) < 0 ||
        asprintf(&p->tmp, "%s/.checks.json.XXXXXX", dir) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!rp_mkdirs(dir, err)) {
        goto out;
    }
    fd = mkstemp(p->tmp);
    if (fd < 0) {
        AC_ERR(err, AC_ERR_IO, "creating %s: %s", p->tmp, strerror(errno));
        free(p->tmp);
        p->tmp = NULL;
        goto out;
    }
    if (!ac_write_all(fd, text, strlen(text)) || !ac_write_all(fd, "\n", 1) ||
        fchmod(fd, 0644) != 0) {
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", p->tmp, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fd >= 0 && close(fd) != 0 && ok) {
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", p->tmp, strerror(errno));
        ok = false;
    }
    free(text);
    free(dir);
    json_decref(arr);
    return ok;
}

/* Every scenario's file is staged first, then one syncfs(2) makes them
 * all durable and only then are they renamed into place: the same
 * guarantee as a temporary file, fsync and rename per file (a reader
 * sees the old file or the whole new one, also after a crash), but one
 * flush instead of one per scenario, which was most of the time `rp_write`
 * spent on a full run. */
bool rp_write_checks_json(const json_t *model, const char *out_dir,
                          struct ac_err *err)
{
    const char *ts = ac_json_str(model, "started_at");
    const json_t *scs = json_object_get(model, "scenarios"), *sc;
    size_t n = json_array_size(scs), i, staged = 0;
    struct pending *p = calloc(n + 1, sizeof *p);
    bool ok = false;
    int dfd = -1;

    if (p == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    json_array_foreach(scs, i, sc)
    {
        bool good = stage_scenario_checks(sc, out_dir, ts, &p[i], err);
        staged = i + 1;
        if (!good) {
            goto out;
        }
    }
    dfd = open(out_dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || syncfs(dfd) != 0) {
        AC_ERR(err, AC_ERR_IO, "syncing %s: %s", out_dir, strerror(errno));
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (rename(p[i].tmp, p[i].path) != 0) {
            AC_ERR(err, AC_ERR_IO, "renaming to %s: %s", p[i].path,
                   strerror(errno));
            goto out;
        }
        free(p[i].tmp);
        p[i].tmp = NULL;
    }
    ok = true;
out:
    if (dfd >= 0) {
        close(dfd);
    }
    for (i = 0; i < staged; i++) {
        if (p[i].tmp != NULL) {
            unlink(p[i].tmp);
        }
        free(p[i].tmp);
        free(p[i].path);
    }
    free(p);
    return ok;
}
