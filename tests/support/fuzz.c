/* The fuzz tests' generator and mutator: see fuzz.h. */
#include "tests/support/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ts_fuzz_seed(struct ts_fuzz *f, const struct ts_fuzz_cfg *cfg,
                  uint64_t seed, const char *target, int iters)
{
    f->s = seed != 0 ? seed : 0x9e3779b97f4a7c15u;
    f->cfg = cfg;
    printf("fuzz %s: seed 0x%016llx, %d iterations\n", target,
           (unsigned long long)seed, iters);
}

/* xorshift64* (Vigna): tiny, fast and good enough to pick mutations. */
uint64_t ts_fuzz_rnd(struct ts_fuzz *f)
{
    f->s ^= f->s >> 12;
    f->s ^= f->s << 25;
    f->s ^= f->s >> 27;
    return f->s * 0x2545f4914f6cdd1du;
}

size_t ts_fuzz_below(struct ts_fuzz *f, size_t n)
{
    return n != 0 ? (size_t)(ts_fuzz_rnd(f) % n) : 0;
}

static char special(struct ts_fuzz *f)
{
    return f->cfg->specials[ts_fuzz_below(f, strlen(f->cfg->specials))];
}

/* Insert `n` bytes of `src` (NULL: `n` copies of `c`) at `at`, capped. */
static void insert(const struct ts_fuzz *f, struct ts_bytes *b, size_t at,
                   const char *src, size_t n, char c)
{
    if (b->len + n > f->cfg->max_len) {
        n = f->cfg->max_len - b->len;
    }
    memmove(b->p + at + n, b->p + at, b->len - at);
    for (size_t i = 0; i < n; i++) {
        b->p[at + i] = src != NULL ? src[i] : c;
    }
    b->len += n;
    b->p[b->len] = '\0';
}

/* One random mutation of `b`; `other` is a seed to splice from. */
static void mutate_once(struct ts_fuzz *f, struct ts_bytes *b,
                        const char *other)
{
    size_t at = ts_fuzz_below(f, b->len + 1), n;
    char tmp[64];

    switch (ts_fuzz_below(f, 10)) {
    case 0: /* bit flip */
        if (b->len > 0) {
            b->p[ts_fuzz_below(f, b->len)] ^= (char)(1u << ts_fuzz_below(f, 8));
        }
        break;
    case 1: /* random byte */
        tmp[0] = (char)ts_fuzz_rnd(f);
        insert(f, b, at, tmp, 1, 0);
        break;
    case 2: /* delete a short range */
        n = at < b->len
                ? 1 + ts_fuzz_below(f, b->len - at < 8 ? b->len - at : 8)
                : 0;
        memmove(b->p + at, b->p + at + n, b->len - at - n + 1);
        b->len -= n;
        break;
    case 3: /* duplicate a chunk */
        n = at < b->len
                ? 1 + ts_fuzz_below(f, b->len - at < 64 ? b->len - at : 64)
                : 0;
        memcpy(tmp, b->p + at, n);
        insert(f, b, ts_fuzz_below(f, b->len + 1), tmp, n, 0);
        break;
    case 4: /* splice: the tail of another seed replaces our tail */
        n = strlen(other);
        b->len = at;
        b->p[at] = '\0';
        at = ts_fuzz_below(f, n + 1);
        insert(f, b, b->len, other + at, n - at, 0);
        break;
    case 5: /* truncate */
        b->len = at;
        b->p[at] = '\0';
        break;
    case 6: /* a special character */
    case 7:
        tmp[0] = special(f);
        insert(f, b, at, tmp, 1, 0);
        break;
    case 8: /* overwrite with a special character */
        if (b->len > 0) {
            b->p[ts_fuzz_below(f, b->len)] = special(f);
        }
        break;
    default: /* a long run */
        insert(f, b, at, NULL, 1 + ts_fuzz_below(f, 2000),
               ts_fuzz_below(f, 2) ? special(f) : f->cfg->run);
        break;
    }
}

struct ts_bytes ts_fuzz_input(struct ts_fuzz *f, const char *const *seeds,
                              size_t nseeds, bool nul_free)
{
    struct ts_bytes b = {malloc(f->cfg->max_len + 1), 0};

    if (b.p == NULL) {
        fputs("ts_fuzz_input: out of memory\n", stderr);
        abort();
    }
    b.p[0] = '\0';
    if (ts_fuzz_below(f, 8) == 0) {
        b.len = ts_fuzz_below(f, f->cfg->max_random);
        for (size_t i = 0; i < b.len; i++) {
            b.p[i] = (char)ts_fuzz_rnd(f);
        }
        b.p[b.len] = '\0';
    } else {
        const char *s = seeds[ts_fuzz_below(f, nseeds)];
        size_t rounds;

        insert(f, &b, 0, s, strlen(s), 0);
        rounds = 1 + ts_fuzz_below(f, 4);
        for (size_t i = 0; i < rounds; i++) {
            mutate_once(f, &b, seeds[ts_fuzz_below(f, nseeds)]);
        }
    }
    for (size_t i = 0; nul_free && i < b.len; i++) {
        if (b.p[i] == '\0') {
            b.p[i] = '\x01';
        }
    }
    return b;
}
