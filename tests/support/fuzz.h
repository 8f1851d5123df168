/* The fuzz tests' input generator: a seeded xorshift64* and a mutator that
 * turns valid seeds into hostile input (bit flips, byte insertion, deletion
 * and duplication, splicing with another seed, truncation, special
 * characters and long runs). Deterministic: the same seed gives the same
 * inputs. Only libc: every test program links it. */
#ifndef TEST_SUPPORT_FUZZ_H
#define TEST_SUPPORT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a fuzz target wants from the mutator. */
struct ts_fuzz_cfg {
    const char *specials; /* bytes worth inserting: the target's syntax */
    char run;             /* a long run is of this byte or of a special */
    size_t max_len;       /* no input grows past this many bytes */
    size_t max_random;    /* random byte strings are shorter than this */
};

/* One generator; `cfg` is borrowed for its lifetime. */
struct ts_fuzz {
    uint64_t s;
    const struct ts_fuzz_cfg *cfg;
};

/* A fuzz input: `len` bytes at `p` (which may hold NULs), NUL-terminated
 * past `len`. The caller frees `p`. */
struct ts_bytes {
    char *p;
    size_t len;
};

/* Seeds `f` (0 is replaced: xorshift would stay at 0) and prints the seed,
 * so a failure can be reproduced. */
void ts_fuzz_seed(struct ts_fuzz *f, const struct ts_fuzz_cfg *cfg,
                  uint64_t seed, const char *target, int iters);

/* The next 64 random bits. */
uint64_t ts_fuzz_rnd(struct ts_fuzz *f);

/* A random number in [0, n), or 0 when n is 0. */
size_t ts_fuzz_below(struct ts_fuzz *f, size_t n);

/* A new buffer (cfg->max_len + 1 bytes) holding one of `seeds` mutated 1-4
 * times or, one time in eight, a random byte string. `nul_free` replaces
 * NULs by 0x01 for C-string APIs. Aborts when out of memory. */
struct ts_bytes ts_fuzz_input(struct ts_fuzz *f, const char *const *seeds,
                              size_t nseeds, bool nul_free);

#endif
