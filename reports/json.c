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
    ok = rp_write_json(model, path, err);
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

/* Write one scenario's checks.json (rp_write_json: atomic, streamed). */
static bool write_scenario_checks(const json_t *sc, const char *out_dir,
                                  const char *timestamp, struct ac_err *err)
{
    const char *id = ac_json_str(sc, "id");
    json_t *arr = json_array();
    char *dir = NULL, *path = NULL;
    const json_t *c;
    size_t i;
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
    if (asprintf(&dir, "%s/%s", out_dir, id) < 0) {
        dir = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (asprintf(&path, "%s/checks.json", dir) < 0) {
        path = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    ok = rp_mkdirs(dir, err) && rp_write_json(arr, path, err);
out:
    free(path);
    free(dir);
    json_decref(arr);
    return ok;
}

/* Every scenario's file in turn, each atomic by its rename. (They used to
 * be staged and made durable by one syncfs(2) before the renames; on a
 * busy machine that flush of the whole file system was most of a short
 * run's time, and a report is re-made by running again.) */
bool rp_write_checks_json(const json_t *model, const char *out_dir,
                          struct ac_err *err)
{
    const char *ts = ac_json_str(model, "started_at");
    const json_t *sc;
    size_t i;

    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        if (!write_scenario_checks(sc, out_dir, ts, err)) {
            return false;
        }
    }
    return true;
}
