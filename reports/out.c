/* The text writer behind junit.xml, report.md and report.html: a capped
 * buffer with a sticky error, the escaping of hostile text for XML, HTML
 * and Markdown, atomic file writes, and small helpers over the results
 * model that several renderers share.
 *
 * Escaping is the one place that decides what untrusted text (an
 * error_description, a header, a tool's output, the client's stderr) may
 * look like in a report, so every renderer goes through rp_put_esc. */
#include "reports/reports_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "common/io.h"
#include "common/json.h"

/* A report holds every transcript of the run (bodies capped by the
 * recorder); this cap only stops a runaway. */
#define RP_OUT_MAX (256u * 1024u * 1024u)

void rp_out_init(struct rp_out *o)
{
    memset(o, 0, sizeof *o);
    ac_buf_init(&o->buf, RP_OUT_MAX);
}

static void put_n(struct rp_out *o, const char *s, size_t n)
{
    if (!o->failed && !ac_buf_append(&o->buf, s, n, &o->err)) {
        o->failed = true;
    }
}

void rp_puts(struct rp_out *o, const char *s)
{
    if (s != NULL) {
        put_n(o, s, strlen(s));
    }
}

void rp_printf(struct rp_out *o, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    int n;

    if (o->failed) {
        return;
    }
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        AC_ERR(&o->err, AC_ERR_NOMEM, "out of memory");
        o->failed = true;
        return;
    }
    put_n(o, s, (size_t)n);
    free(s);
}

/* Decode one UTF-8 character (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF). Returns its length, or 0 when `s` does not start a valid
 * sequence. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    size_t n, i;
    uint32_t c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        n = 2, c = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, c = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        return 0;
    }
    *cp = c;
    return n;
}

/* The escape of one ASCII character in `mode`, or NULL to copy it. */
static const char *ascii_escape(unsigned char ch, enum rp_esc mode,
                                const unsigned char *next)
{
    switch (ch) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    default:
        break;
    }
    switch (mode) {
    case RP_ESC_XML_TEXT:
        return ch == '\r' ? "&#13;" : NULL;
    case RP_ESC_XML_ATTR:
        return ch == '"'    ? "&quot;"
               : ch == '\'' ? "&apos;"
               : ch == '\t' ? "&#9;"
               : ch == '\n' ? "&#10;"
               : ch == '\r' ? "&#13;"
                            : NULL;
    case RP_ESC_HTML:
        if (ch == '\r') {
            /* A CR before LF is line-ending noise; a lone one is shown. */
            return *next == '\n' ? "" : "\\x0D";
        }
        return ch == '"' ? "&quot;" : ch == '\'' ? "&#39;" : NULL;
    case RP_ESC_MD:
        /* One table cell: whitespace breaks become spaces, and every
         * character with inline meaning (code spans, emphasis, links,
         * cell borders, strike-through, escapes) is backslash-escaped. */
        if (ch == '\n' || ch == '\r' || ch == '\t') {
            return " ";
        }
        switch (ch) {
        case '\\':
            return "\\\\";
        case '|':
            return "\\|";
        case '`':
            return "\\`";
        case '*':
            return "\\*";
        case '_':
            return "\\_";
        case '[':
            return "\\[";
        case ']':
            return "\\]";
        case '~':
            return "\\~";
        default:
            return NULL;
        }
    }
    return NULL;
}

/* Append one character made safe: invalid UTF-8 as U+FFFD, forbidden or
 * discouraged characters as visible escapes. Returns the bytes consumed. */
static size_t put_char(struct rp_out *o, const unsigned char *s,
                       enum rp_esc mode)
{
    uint32_t cp = 0;
    size_t n = utf8_decode(s, &cp);
    const char *e;

    if (n == 0) {
        rp_puts(o, "\xEF\xBF\xBD");
        return 1;
    }
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) {
        rp_printf(o, "\\x%02X", (unsigned)cp);
    } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
        rp_printf(o, "\\u%04X", (unsigned)cp);
    } else if (cp < 0x80 && (e = ascii_escape(s[0], mode, s + 1)) != NULL) {
        rp_puts(o, e);
    } else {
        put_n(o, (const char *)s, n);
    }
    return n;
}

void rp_put_esc(struct rp_out *o, const char *s, enum rp_esc mode)
{
    const unsigned char *p = (const unsigned char *)s;

    while (p != NULL && *p != '\0' && !o->failed) {
        p += put_char(o, p, mode);
    }
}

void rp_put_esc_cut(struct rp_out *o, const char *s, size_t max,
                    enum rp_esc mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;

    while (p != NULL && *p != '\0' && !o->failed) {
        if (count++ == max) {
            rp_puts(o, "...");
            return;
        }
        p += put_char(o, p, mode);
    }
}

/* The stdio buffer of a streamed report. */
#define WRITE_BUF ((size_t)64 * 1024)

bool rp_write_json(const json_t *v, const char *path, struct ac_err *err)
{
    char *tmp = NULL, *vbuf = NULL;
    FILE *f = NULL;
    int fd = -1;
    bool ok = false;

    if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
        tmp = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        AC_ERR(err, AC_ERR_IO, "creating %s: %s", tmp, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fchmod(fd, 0644) != 0 || (f = fdopen(fd, "w")) == NULL) {
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1; /* f owns it */
    /* stdio's default buffer is the file system's block (4 KiB): a full
     * run's results.json took ~1100 write(2) calls. glibc ignores the
     * size when setvbuf is given no buffer, so it gets one. */
    if ((vbuf = malloc(WRITE_BUF)) != NULL) {
        (void)setvbuf(f, vbuf, _IOFBF, WRITE_BUF);
    }
    if (json_dumpf(v, f, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) !=
            0 ||
        fputc('\n', f) == EOF) {
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        AC_ERR(err, AC_ERR_IO, "renaming to %s: %s", path, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (f != NULL) {
        fclose(f);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (!ok && tmp != NULL) {
        unlink(tmp);
    }
    free(tmp);
    free(vbuf); /* after fclose: the stream used it */
    return ok;
}

bool rp_out_finish(struct rp_out *o, const char *out_dir, const char *name,
                   struct ac_err *err)
{
    char *path = NULL, *tmp = NULL;
    int fd = -1;
    bool ok = false;

    if (o->failed) {
        if (err != NULL) {
            *err = o->err;
        }
        ac_err_prefix(err, "rendering %s", name);
        goto out;
    }
    if (asprintf(&path, "%s/%s", out_dir, name) < 0 ||
        asprintf(&tmp, "%s/.%s.XXXXXX", out_dir, name) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        AC_ERR(err, AC_ERR_IO, "creating %s: %s", tmp, strerror(errno));
        goto out;
    }
    /* Atomic by the rename, not fsync'd: see rp_write_json. */
    if (!ac_write_all(fd, o->buf.data != NULL ? o->buf.data : "", o->buf.len) ||
        fchmod(fd, 0644) != 0) {
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        AC_ERR(err, AC_ERR_IO, "writing %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        AC_ERR(err, AC_ERR_IO, "renaming to %s: %s", path, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (!ok && tmp != NULL) {
        unlink(tmp);
    }
    free(path);
    free(tmp);
    ac_buf_free(&o->buf);
    return ok;
}

bool rp_gzip(const char *data, size_t n, unsigned char **out, size_t *outlen)
{
    z_stream z;
    unsigned char *buf = NULL;
    bool ok = false;

    memset(&z, 0, sizeof z);
    *out = NULL;
    /* windowBits 15 + 16: a gzip wrapper with no name and mtime 0, so the
     * same input gives the same bytes. */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
    }
    buf = malloc(deflateBound(&z, (uLong)n));
    if (buf == NULL) {
        goto out;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)deflateBound(&z, (uLong)n);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        goto out;
    }
    *out = buf;
    *outlen = z.total_out;
    buf = NULL;
    ok = true;
out:
    deflateEnd(&z);
    free(buf);
    return ok;
}

/* --- model helpers ------------------------------------------------------ */

const char *rp_family(const json_t *sc, char *buf, size_t n)
{
    const char *fam = ac_json_str(sc, "family");
    const char *id = ac_json_str(sc, "id");
    const char *slash;

    if (fam != NULL && fam[0] != '\0') {
        return fam;
    }
    if (id != NULL && (slash = strchr(id, '/')) != NULL && slash != id) {
        snprintf(buf, n, "%.*s", (int)(slash - id), id);
        return buf;
    }
    return "(none)";
}

bool rp_is_http_url(const char *url)
{
    return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
                           strncasecmp(url, "https://", 8) == 0);
}

char *rp_spec_label(const char *spec, const char *url)
{
    const char *p, *sec, *frag;
    char *out = NULL;
    int rc;

    if (url != NULL && (p = strstr(url, "/rfc/rfc")) != NULL) {
        int digits = (int)strspn(p + 8, "0123456789");
        sec = strstr(url, "#section-");
        rc = asprintf(&out, "RFC %.*s%s%.*s", digits, p + 8,
                      sec != NULL ? " \xC2\xA7" : "",
                      sec != NULL ? (int)strcspn(sec + 9, "&?") : 0,
                      sec != NULL ? sec + 9 : "");
    } else if (url != NULL &&
               (p = strstr(url, "modelcontextprotocol.io/specification/")) !=
                   NULL) {
        const char *rev = p + strlen("modelcontextprotocol.io/specification/");
        frag = strchr(url, '#');
        rc = asprintf(&out, "MCP %.*s%s%s", (int)strcspn(rev, "/#"), rev,
                      frag != NULL ? " #" : "", frag != NULL ? frag + 1 : "");
    } else if (url != NULL && strstr(url, "github.com/") != NULL) {
        rc = asprintf(&out, "%s", url + (strstr(url, "github.com/") - url));
    } else {
        rc = asprintf(&out, "%s", spec != NULL ? spec : "spec");
    }
    return rc < 0 ? NULL : out;
}

bool rp_is_expected(const json_t *check)
{
    const char *st = ac_json_str(check, "status");

    return st != NULL && strcmp(st, "FAILURE") == 0 &&
           json_is_true(json_object_get(check, "expected_failure"));
}

void rp_count_checks(const json_t *sc, struct rp_counts *c)
{
    const json_t *ch;
    size_t i;

    memset(c, 0, sizeof *c);
    json_array_foreach(json_object_get(sc, "checks"), i, ch)
    {
        const char *st = ac_json_str(ch, "status");
        c->total++;
        if (st == NULL) {
            continue;
        } else if (rp_is_expected(ch)) {
            c->expected++;
        } else if (strcmp(st, "SUCCESS") == 0) {
            c->success++;
        } else if (strcmp(st, "FAILURE") == 0) {
            c->failure++;
        } else if (strcmp(st, "WARNING") == 0) {
            c->warning++;
        } else if (strcmp(st, "SKIPPED") == 0) {
            c->skipped++;
        } else if (strcmp(st, "INFO") == 0) {
            c->info++;
        }
    }
}

void rp_add_counts(struct rp_counts *to, const struct rp_counts *c)
{
    to->success += c->success;
    to->failure += c->failure;
    to->warning += c->warning;
    to->skipped += c->skipped;
    to->info += c->info;
    to->expected += c->expected;
    to->total += c->total;
}

bool rp_status_is(const json_t *sc, const char *status)
{
    const char *st = ac_json_str(sc, "status");

    return st != NULL && strcmp(st, status) == 0;
}

void rp_count_run(const json_t *model, struct rp_totals *t)
{
    const json_t *scs = json_object_get(model, "scenarios");
    const json_t *sc;
    struct rp_counts c;
    size_t i;

    memset(t, 0, sizeof *t);
    json_array_foreach(scs, i, sc)
    {
        /* Not applicable: counted apart, its checks neither pass nor
         * fail the run. */
        if (rp_status_is(sc, "not_applicable")) {
            t->not_applicable++;
            continue;
        }
        rp_count_checks(sc, &c);
        rp_add_counts(&t->checks, &c);
        t->failed += rp_status_is(sc, "failed");
        t->errors += rp_status_is(sc, "error");
        t->skipped += rp_status_is(sc, "skipped");
    }
    t->scenarios = json_array_size(scs);
    t->stale = json_array_size(
        json_object_get(json_object_get(model, "baseline"), "stale"));
    t->fail = t->checks.failure > 0 || t->errors > 0 || t->stale > 0;
}

void rp_put_totals(struct rp_out *o, const struct rp_totals *t,
                   const char *errors_label)
{
    rp_printf(o,
              "%zu of %zu scenarios failed, %zu %s; %zu failing checks, %zu "
              "warnings",
              t->failed, t->scenarios, t->errors, errors_label,
              t->checks.failure, t->checks.warning);
    if (t->checks.expected > 0) {
        rp_printf(o, ", %zu expected failures (baseline)", t->checks.expected);
    }
    if (t->skipped > 0) {
        rp_printf(o, ", %zu scenarios skipped (pending)", t->skipped);
    }
    if (t->not_applicable > 0) {
        rp_printf(o, ", %zu scenarios not applicable", t->not_applicable);
    }
}

void rp_put_features(struct rp_out *o, const json_t *feats, const char *open,
                     const char *close, enum rp_esc mode)
{
    size_t i;
    const json_t *f;

    if (!json_is_array(feats)) {
        rp_puts(o, "not declared (every scenario applies)");
    } else if (json_array_size(feats) == 0) {
        rp_puts(o, "none");
    }
    json_array_foreach(feats, i, f)
    {
        rp_printf(o, "%s%s", i > 0 ? ", " : "", open);
        rp_put_esc(o, json_string_value(f), mode);
        rp_puts(o, close);
    }
}

void rp_put_fields(struct rp_out *o, const json_t *model,
                   const struct rp_field *f, enum rp_esc mode)
{
    for (; f->before != NULL; f++) {
        rp_puts(o, f->before);
        if (f->key != NULL && f->integer) {
            rp_printf(o, "%lld", (long long)rp_int(model, f->key));
        } else if (f->key != NULL) {
            rp_put_esc(o, ac_json_str(model, f->key), mode);
        }
    }
}

bool rp_is_key(const json_t *check)
{
    return json_is_true(json_object_get(check, "key"));
}

const char *rp_na_reason(const json_t *sc)
{
    const char *r = ac_json_str(sc, "skip_reason");

    return r != NULL && r[0] != '\0'
               ? r
               : "the client does not claim the feature this scenario tests";
}

void rp_put_exchange_line(struct rp_out *o, const json_t *sc, json_int_t seq,
                          enum rp_esc mode)
{
    const json_t *ex = rp_exchange(sc, seq);
    const char *path;

    rp_printf(o, "#%lld ", (long long)seq);
    if (ex == NULL) {
        rp_puts(o, "(not in the transcript)");
        return;
    }
    path = ac_json_str(ex, "path");
    rp_put_esc(o, ac_json_str(ex, "method"), mode);
    rp_puts(o, " ");
    rp_put_esc_cut(o, path != NULL ? path : ac_json_str(ex, "url"), 80, mode);
    rp_printf(o, " \xE2\x86\x92 %lld",
              (long long)rp_int(json_object_get(ex, "response"), "status"));
}

json_int_t rp_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    if (json_is_integer(v)) {
        return json_integer_value(v);
    }
    return json_is_real(v) ? (json_int_t)json_real_value(v) : 0;
}

const json_t *rp_exchange(const json_t *sc, json_int_t seq)
{
    const json_t *ex;
    size_t i;

    json_array_foreach(json_object_get(sc, "transcript"), i, ex)
    {
        if (json_is_integer(json_object_get(ex, "seq")) &&
            rp_int(ex, "seq") == seq) {
            return ex;
        }
    }
    return NULL;
}
