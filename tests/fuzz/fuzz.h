/* What every libFuzzer target (tests/fuzz/fuzz_<name>.c) shares: the entry
 * points libFuzzer calls, and turning the fuzzer's bytes into the C
 * strings and line lists the parsers take. Header-only (static inline) so
 * each target is one translation unit. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A new NUL-terminated copy of `data` (which may hold NULs). Aborts when
 * out of memory: the fuzzer's limits are far above any real input. */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

/* Split `text` (modified in place) at every '\n' into at most `max`
 * lines; returns how many. */
static inline size_t fz_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;

    while (n < max) {
        char *nl = strchr(text, '\n');

        lines[n++] = text;
        if (nl == NULL) {
            break;
        }
        *nl = '\0';
        text = nl + 1;
    }
    return n;
}

/* A property the fuzzer found broken: print and abort, so libFuzzer keeps
 * the input as a crash. */
#define FZ_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
