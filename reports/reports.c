/* The reports entry points: format selection, the output directory, and
 * dispatch to the renderers. Every renderer receives the redacted model
 * (rp_redact_model), never the caller's document, so no format can forget
 * redaction. */
#include "reports/reports.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/json.h"
#include "reports/reports_int.h"

struct format_name {
    const char *name;
    unsigned bits;
};

static const struct format_name FORMATS[] = {
    {"json", RP_JSON},
    {"checks", RP_CHECKS},
    {"junit", RP_JUNIT},
    {"md", RP_MARKDOWN},
    {"markdown", RP_MARKDOWN},
    {"html", RP_HTML},
    {"all", RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML},
};

/* Look one trimmed name up; 0 when unknown. */
static unsigned format_bits(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++) {
        if (strlen(FORMATS[i].name) == n &&
            strncasecmp(FORMATS[i].name, name, n) == 0) {
            return FORMATS[i].bits;
        }
    }
    return 0;
}

bool rp_parse_formats(const char *list, unsigned *out, struct ac_err *err)
{
    unsigned set = 0;
    const char *p = list;

    if (list == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "no report format given");
        return false;
    }
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        size_t len = n;
        unsigned bits;
        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
            len--;
        }
        bits = format_bits(s, len);
        if (bits == 0) {
            AC_ERR(err, AC_ERR_USAGE,
                   "unknown report format \"%.*s\" (known: json, checks, "
                   "junit, md, html, all)",
                   (int)(len > 40 ? 40 : len), s);
            return false;
        }
        set |= bits;
        if (p[n] == '\0') {
            break;
        }
        p += n + 1;
    }
    *out = set;
    return true;
}

bool rp_mkdirs(const char *path, struct ac_err *err)
{
    char *p = strdup(path);
    bool ok = false;
    struct stat st;

    if (p == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s != '/') {
            continue;
        }
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            AC_ERR(err, AC_ERR_IO, "creating %s: %s", p, strerror(errno));
            goto out;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        AC_ERR(err, AC_ERR_IO, "creating %s: %s", p, strerror(errno));
        goto out;
    }
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        AC_ERR(err, AC_ERR_IO, "%s exists and is not a directory", p);
        goto out;
    }
    ok = true;
out:
    free(p);
    return ok;
}

bool rp_safe_relpath(const char *id)
{
    const char *p = id;

    if (id == NULL || *id == '\0') {
        return false;
    }
    while (*p != '\0') {
        size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                             "vwxyz0123456789._-");
        if (n == 0 || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.')) {
            return false;
        }
        p += n;
        if (*p == '/') {
            p++;
            if (*p == '\0') {
                return false;
            }
        } else if (*p != '\0') {
            return false;
        }
    }
    return true;
}

/* The formats one renderer thread writes. */
struct render_job {
    const json_t *model;
    const char *out_dir;
    unsigned formats;
    bool ok;
    struct ac_err err;
};

static bool render_some(const json_t *model, const char *out_dir,
                        unsigned formats, struct ac_err *err)
{
    return (!(formats & RP_JSON) ||
            rp_write_results_json(model, out_dir, err)) &&
           (!(formats & RP_CHECKS) ||
            rp_write_checks_json(model, out_dir, err)) &&
           (!(formats & RP_JUNIT) || rp_write_junit(model, out_dir, err)) &&
           (!(formats & RP_MARKDOWN) ||
            rp_write_markdown(model, out_dir, err)) &&
           (!(formats & RP_HTML) || rp_write_html(model, out_dir, err));
}

static void *render_thread(void *arg)
{
    struct render_job *j = arg;

    ac_err_clear(&j->err);
    j->ok = render_some(j->model, j->out_dir, j->formats, &j->err);
    return NULL;
}

/* Dispatch to the renderers. `model` is redacted: rp_write's copy, or a
 * results.json that rp_write wrote. The HTML report (the largest: every
 * transcript, compressed) is written by a second thread while this one
 * writes the others, so that on a machine with two cores the reports of
 * a full run take about half the time after the last scenario. The
 * renderers only read the model (Jansson's reference counts are atomic,
 * see jansson_config.h) and each writes its own files. */
static bool render(const json_t *model, const char *out_dir, unsigned formats,
                   struct ac_err *err)
{
    struct render_job html = {model, out_dir, formats & RP_HTML, true, {0}};
    pthread_t t;
    bool threaded, ok;

    threaded = html.formats != 0 && (formats & ~RP_HTML) != 0 &&
               pthread_create(&t, NULL, render_thread, &html) == 0;
    ok = render_some(model, out_dir, threaded ? formats & ~RP_HTML : formats,
                     err);
    if (threaded) {
        pthread_join(t, NULL);
        if (ok && !html.ok) {
            if (err != NULL) {
                *err = html.err;
            }
            ok = false;
        }
    }
    return ok;
}

/* The checks rp_write and rp_write_in_place make before redacting. */
static bool can_write(const json_t *results, const char *out_dir,
                      struct ac_err *err)
{
    if (!json_is_object(results) || out_dir == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "rp_write: no results model or directory");
        return false;
    }
    return rp_mkdirs(out_dir, err);
}

/* Render the redacted `model` (taken; NULL: redaction failed, err set). */
static bool render_taken(json_t *model, const char *out_dir, unsigned formats,
                         struct ac_err *err)
{
    bool ok = model != NULL && render(model, out_dir, formats, err);

    json_decref(model);
    return ok;
}

bool rp_write(const json_t *results, const json_t *secrets, const char *out_dir,
              unsigned formats, struct ac_err *err)
{
    return can_write(results, out_dir, err) &&
           render_taken(rp_redact_model(results, secrets, err), out_dir,
                        formats, err);
}

bool rp_write_in_place(json_t *results, const json_t *secrets,
                       const char *out_dir, unsigned formats,
                       struct ac_err *err)
{
    return can_write(results, out_dir, err) &&
           render_taken(rp_redact_model_in_place(results, secrets, err),
                        out_dir, formats, err);
}

bool rp_render_dir(const char *out_dir, unsigned formats, struct ac_err *err)
{
    char *path = NULL;
    json_t *model = NULL;
    bool ok = false;

    if (out_dir == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "rp_render_dir: no directory");
        return false;
    }
    if (asprintf(&path, "%s/results.json", out_dir) < 0) {
        path = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    model = ac_json_load_file(path, err);
    if (model == NULL) {
        goto out;
    }
    if (!json_is_object(model) ||
        !json_is_array(json_object_get(model, "scenarios"))) {
        AC_ERR(err, AC_ERR_INVALID,
               "%s is not an authcheck results model (no \"scenarios\" "
               "array)",
               path);
        goto out;
    }
    /* Not redacted again: results.json is rp_write's redacted copy, and a
     * second pass would re-hash the [redacted:...] tags, so the re-rendered
     * reports would no longer match results.json. */
    ok = render(model, out_dir, formats, err);
out:
    json_decref(model);
    free(path);
    return ok;
}
