/* Errors and logging shared by every module.
 *
 * A harness or library error (out of memory, port in use, bad input to our
 * own API) travels as a caller-allocated struct ac_err filled by AC_ERR().
 * Functions return bool (or a status enum) and take the error pointer last;
 * NULL is allowed and means "the caller does not care". */
#ifndef AC_ERR_H
#define AC_ERR_H

#include <stdarg.h>
#include <stdbool.h>

enum ac_err_code {
    AC_OK = 0,
    AC_ERR_NOMEM,    /* allocation failed */
    AC_ERR_INVALID,  /* malformed input (JSON, URL, header, form, ...) */
    AC_ERR_TOOBIG,   /* input exceeded a size cap */
    AC_ERR_IO,       /* file or socket error */
    AC_ERR_NET,      /* network transfer failed */
    AC_ERR_PROTOCOL, /* peer answered against the protocol */
    AC_ERR_CRYPTO,   /* OpenSSL failure */
    AC_ERR_TIMEOUT,  /* a bounded wait ran out */
    AC_ERR_STATE,    /* operation not valid in the current state */
    AC_ERR_USAGE,    /* bad command line or API use */
};

struct ac_err {
    int code;
    char msg[256];
    const char *func;
    const char *file;
    int line;
};

/* Fill `err` (may be NULL) with a code, a printf-style message and the
 * location of the macro's use. */
#define AC_ERR(err, code, ...)                                                 \
    ac_err_set((err), (code), __func__, __FILE__, __LINE__, __VA_ARGS__)

void ac_err_set(struct ac_err *err, int code, const char *func,
                const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Prefix the existing message with more context ("loading x: <old msg>"). */
void ac_err_prefix(struct ac_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset to AC_OK with an empty message. */
void ac_err_clear(struct ac_err *err);

/* A short constant name for a code, e.g. "invalid". */
const char *ac_err_code_name(int code);

enum ac_log_level { AC_LOG_ERROR, AC_LOG_WARN, AC_LOG_INFO, AC_LOG_DEBUG };

/* Messages at or below `level` are written to stderr. Default AC_LOG_WARN.
 * Callers must never pass secrets: redact them first (common/redact.h). */
void ac_log_set_level(enum ac_log_level level);
enum ac_log_level ac_log_get_level(void);
void ac_log(enum ac_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "<prefix>: <msg>" to stderr; location added at AC_LOG_DEBUG. */
void ac_err_print(const struct ac_err *err, const char *prefix);

#endif
