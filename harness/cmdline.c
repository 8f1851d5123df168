/* The client command line (cmdline.h). Every client run used to start
 * `/bin/sh -c` first; on a machine where a process start costs milliseconds
 * that is a measurable share of a scenario (docs/PERFORMANCE.md), so a
 * command the shell would pass through unchanged is run directly. Anything
 * else keeps the shell: the check here errs towards it. */
#include "harness/cmdline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

char *hr_shell_quote(const char *s)
{
    struct ac_buf b;

    ac_buf_init(&b, 0);
    if (!ac_buf_append_str(&b, "'", NULL)) {
        goto fail;
    }
    for (const char *p = s; *p; p++) {
        bool ok = *p == '\'' ? ac_buf_append_str(&b, "'\\''", NULL)
                             : ac_buf_append(&b, p, 1, NULL);
        if (!ok) {
            goto fail;
        }
    }
    if (!ac_buf_append_str(&b, "'", NULL)) {
        goto fail;
    }
    return ac_buf_steal(&b);
fail:
    ac_buf_free(&b);
    return NULL;
}

/* Characters no shell treats specially anywhere in a word. */
static bool plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("_./:=,+@%-", c) != NULL;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One word of `p` (not at a blank), unquoted into `out` when not NULL:
 * the end of the word, NULL if the shell would do more than unquote it. */
static const char *word(const char *p, char *out, size_t *len)
{
    *len = 0;
    while (*p != '\0' && !blank(*p)) {
        if (*p == '\'') {
            const char *close = strchr(p + 1, '\'');
            size_t n;
            if (close == NULL) {
                return NULL;
            }
            n = (size_t)(close - p - 1);
            if (out != NULL) {
                memcpy(out + *len, p + 1, n);
            }
            *len += n;
            p = close + 1;
        } else if (plain_char(*p)) {
            if (out != NULL) {
                out[*len] = *p;
            }
            ++*len;
            p++;
        } else {
            return NULL;
        }
    }
    return p;
}

/* Splits `cmd` into `argv` and `text` (both may be NULL to only count):
 * the number of words, 0 if `cmd` is not a plain word list. */
static size_t split(const char *cmd, char **argv, char *text)
{
    size_t n = 0, used = 0;
    const char *p = cmd;

    for (;;) {
        const char *end;
        size_t len;
        while (blank(*p)) {
            p++;
        }
        if (*p == '\0') {
            return n;
        }
        if (n == 0) {
            /* The first word, raw: an assignment, or a name the shell would
             * look up (builtin, function, PATH), needs the shell. */
            size_t raw = strcspn(p, " \t");
            if (memchr(p, '/', raw) == NULL || memchr(p, '=', raw) != NULL) {
                return 0;
            }
        }
        end = word(p, text != NULL ? text + used : NULL, &len);
        if (end == NULL) {
            return 0;
        }
        if (argv != NULL) {
            argv[n] = text + used;
            text[used + len] = '\0';
        }
        used += len + 1;
        n++;
        p = end;
    }
}

char **hr_plain_argv(const char *cmd, const char *last)
{
    size_t n = split(cmd, NULL, NULL);
    size_t ptrs, size;
    char **argv;
    char *text;

    if (n == 0) {
        return NULL;
    }
    /* The words take at most strlen(cmd) bytes and one NUL each. */
    ptrs = (n + 2) * sizeof(char *);
    size = ptrs + strlen(cmd) + n + strlen(last) + 1;
    argv = malloc(size);
    if (argv == NULL) {
        return NULL;
    }
    text = (char *)argv + ptrs;
    split(cmd, argv, text);
    text = argv[n - 1] + strlen(argv[n - 1]) + 1;
    memcpy(text, last, strlen(last) + 1);
    argv[n] = text;
    argv[n + 1] = NULL;
    return argv;
}
