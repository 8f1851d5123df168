/* base64url without padding (RFC 4648 §5, as used by RFC 7636 and JWS). */
#ifndef AC_B64URL_H
#define AC_B64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Encode `n` bytes. Returns a new NUL-terminated string (free()), or NULL
 * when out of memory. */
char *ac_b64url_encode(const void *data, size_t n);

/* Decode unpadded base64url text of length `len`. Rejects padding, characters
 * outside the URL-safe alphabet, impossible lengths (len % 4 == 1) and
 * non-zero trailing bits. On success *out is a new buffer (free()) of *outlen
 * bytes plus a NUL terminator not counted in *outlen. */
bool ac_b64url_decode(const char *text, size_t len, uint8_t **out,
                      size_t *outlen, struct ac_err *err);

/* Standard base64 with padding (RFC 4648 §4), for HTTP Basic credentials. */
char *ac_b64_encode(const void *data, size_t n);
bool ac_b64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen,
                   struct ac_err *err);

#endif
