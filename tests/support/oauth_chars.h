/* The test side's own statement of RFC 6749 §5.2 / RFC 6750 §3: an
 * error_description holds only %x20-21 / %x23-5B / %x5D-7E. Written apart
 * from mocks/httpd.c's mo_oauth_text, which it checks (test_mocks_as,
 * fuzz_mocks). Header only: the fuzzers link no test support objects. */
#ifndef TEST_OAUTH_CHARS_H
#define TEST_OAUTH_CHARS_H

#include <stddef.h>

/* The index of the first of `n` bytes outside that set, or `n`. */
static inline size_t th_oauth_text_bad(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            return i;
        }
    }
    return n;
}

#endif
