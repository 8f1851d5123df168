/* Errors and logging: fills struct ac_err, keeps the process-wide log level
 * and prints messages to stderr. */
#include "common/err.h"

#include <stdio.h>
#include <string.h>

static enum ac_log_level log_level = AC_LOG_WARN;

void ac_err_set(struct ac_err *err, int code, const char *func,
                const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return;
    }
    err->code = code;
    err->func = func;
    err->file = file;
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

void ac_err_prefix(struct ac_err *err, const char *fmt, ...)
{
    char old[sizeof(err->msg)];
    char pre[sizeof(err->msg)];
    size_t len, olen, rest;
    va_list ap;

    if (err == NULL) {
        return;
    }
    memcpy(old, err->msg, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    /* Built by hand rather than "%s: %s" so truncation (acceptable: the
     * newest context comes first) does not trip -Wformat-truncation. */
    len = strlen(pre);
    if (len > sizeof(err->msg) - 3) {
        len = sizeof(err->msg) - 3;
    }
    memcpy(err->msg, pre, len);
    memcpy(err->msg + len, ": ", 2);
    len += 2;
    rest = sizeof(err->msg) - 1 - len;
    olen = strlen(old);
    if (olen > rest) {
        olen = rest;
    }
    memcpy(err->msg + len, old, olen);
    err->msg[len + olen] = '\0';
}

void ac_err_clear(struct ac_err *err)
{
    if (err == NULL) {
        return;
    }
    err->code = AC_OK;
    err->msg[0] = '\0';
    err->func = NULL;
    err->file = NULL;
    err->line = 0;
}

const char *ac_err_code_name(int code)
{
    static const char *const names[] = {
        [AC_OK] = "ok",
        [AC_ERR_NOMEM] = "nomem",
        [AC_ERR_INVALID] = "invalid",
        [AC_ERR_TOOBIG] = "toobig",
        [AC_ERR_IO] = "io",
        [AC_ERR_NET] = "net",
        [AC_ERR_PROTOCOL] = "protocol",
        [AC_ERR_CRYPTO] = "crypto",
        [AC_ERR_TIMEOUT] = "timeout",
        [AC_ERR_STATE] = "state",
        [AC_ERR_USAGE] = "usage",
    };

    if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]) ||
        names[code] == NULL) {
        return "unknown";
    }
    return names[code];
}

void ac_log_set_level(enum ac_log_level level)
{
    log_level = level;
}

enum ac_log_level ac_log_get_level(void)
{
    return log_level;
}

static const char *level_name(enum ac_log_level level)
{
    switch (level) {
    case AC_LOG_ERROR:
        return "error";
    case AC_LOG_WARN:
        return "warning";
    case AC_LOG_INFO:
        return "info";
    case AC_LOG_DEBUG:
        return "debug";
    }
    return "log";
}

void ac_log(enum ac_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (level > log_level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf per message so concurrent threads do not interleave. */
    fprintf(stderr, "%s: %s\n", level_name(level), line);
}

void ac_err_print(const struct ac_err *err, const char *prefix)
{
    const char *msg;

    if (err == NULL) {
        return;
    }
    msg = err->msg[0] != '\0' ? err->msg : ac_err_code_name(err->code);
    if (prefix == NULL) {
        prefix = "error";
    }
    if (log_level >= AC_LOG_DEBUG && err->file != NULL) {
        fprintf(stderr, "%s: %s (%s, %s:%d)\n", prefix, msg,
                err->func != NULL ? err->func : "?", err->file, err->line);
    } else {
        fprintf(stderr, "%s: %s\n", prefix, msg);
    }
}
