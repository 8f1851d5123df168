/* Small file-descriptor helpers shared by the atomic file writers of
 * common/ (JSON documents, PEM keys) and the report writers. */
#ifndef AC_IO_H
#define AC_IO_H

#include <stdbool.h>
#include <stddef.h>

/* Write all `n` bytes of `p` to `fd`, retrying short writes and EINTR.
 * False (errno set by write) when a write fails or writes nothing. */
bool ac_write_all(int fd, const void *p, size_t n);

#endif
