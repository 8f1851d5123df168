/* Time behind one function (ac_now) so tests can pin it, and the monotonic
 * clock used to order transcript entries. */
#include "common/clock.h"

#include <stdatomic.h>
#include <time.h>

/* Atomic: mocks run in their own threads and read the pinned time. */
static _Atomic int64_t pinned_now;

int64_t ac_now(void)
{
    int64_t p = atomic_load(&pinned_now);

    if (p != 0) {
        return p;
    }
    return (int64_t)time(NULL);
}

int64_t ac_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ac_clock_pin_for_tests(int64_t now)
{
    atomic_store(&pinned_now, now);
}
