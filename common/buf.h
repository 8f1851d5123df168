/* A growable byte buffer that always has a size cap.
 *
 * Every body read from the network goes through one of these, so a hostile
 * peer can never make us allocate without bound. The data is always kept
 * NUL-terminated (the terminator is not counted in len). */
#ifndef AC_BUF_H
#define AC_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct ac_buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len; 0 means AC_BUF_DEFAULT_MAX */
};

#define AC_BUF_DEFAULT_MAX (1024u * 1024u)

/* Initialise an empty buffer with the given cap (0: default). */
void ac_buf_init(struct ac_buf *b, size_t max);

/* Append `n` bytes. Fails with AC_ERR_TOOBIG past the cap (buffer unchanged)
 * or AC_ERR_NOMEM. */
bool ac_buf_append(struct ac_buf *b, const void *p, size_t n,
                   struct ac_err *err);
bool ac_buf_append_str(struct ac_buf *b, const char *s, struct ac_err *err);
bool ac_buf_printf(struct ac_buf *b, struct ac_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hand the data to the caller (a new string, freed with free(); never NULL
 * on success: an empty buffer gives ""). The buffer is left empty. */
char *ac_buf_steal(struct ac_buf *b);

/* Empty the buffer, keeping the allocation. */
void ac_buf_reset(struct ac_buf *b);

/* Free the data (cleansed first, as buffers may hold secrets). NULL-safe. */
void ac_buf_free(struct ac_buf *b);

#endif
