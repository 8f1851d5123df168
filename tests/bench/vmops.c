/* Two kinds of memory work for `make bench`'s "-j ceiling"
 * (scripts/bench_suite.sh), each a loop in one process so that one stream
 * and two at once can be compared without process starts in the way:
 *
 *   vmops faults N   touch N fresh pages of one anonymous mapping (N page
 *                    faults, no change to the address space's layout)
 *   vmops maps N     N times: map 64 KiB, touch a page, make it read-only,
 *                    unmap (what a program start, a thread start and
 *                    malloc's heap growth do to the address space)
 *
 * A program start is mostly the second kind (the loader maps and protects
 * every object, exit unmaps them) plus page faults. Where two streams of
 * `faults` run at twice the throughput of one and two streams of `maps`
 * do not, the address-space changes are what keeps process starts, and so
 * a suite at -j 2, from scaling on the machine (docs/PERFORMANCE.md).
 *
 * Prints nothing; exits 0, or 1 with a message when a call fails. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAP_BYTES (64u * 1024u)

static int faults(long n, long page)
{
    char *p = mmap(NULL, (size_t)(n * page), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("vmops: mmap");
        return 1;
    }
    for (long i = 0; i < n; i++)
        p[i * page] = 1;
    munmap(p, (size_t)(n * page));
    return 0;
}

static int maps(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("vmops: mmap");
            return 1;
        }
        p[0] = 1;
        if (mprotect(p, MAP_BYTES, PROT_READ) != 0 ||
            munmap(p, MAP_BYTES) != 0) {
            perror("vmops: mprotect/munmap");
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long n = argc == 3 ? strtol(argv[2], &end, 10) : 0;
    bool ok_n = argc == 3 && *end == '\0' && n > 0 && n <= 10000000;

    if (ok_n && strcmp(argv[1], "faults") == 0)
        return faults(n, sysconf(_SC_PAGESIZE));
    if (ok_n && strcmp(argv[1], "maps") == 0)
        return maps(n);
    fputs("usage: vmops faults|maps N (1 <= N <= 10000000)\n", stderr);
    return 2;
}
