/* Time behind one function, so tests and mocks can pin it. */
#ifndef AC_CLOCK_H
#define AC_CLOCK_H

#include <stdint.h>

/* Seconds since the epoch (real time unless overridden). */
int64_t ac_now(void);

/* Monotonic nanoseconds, comparable across processes on one machine
 * (CLOCK_MONOTONIC): used to order transcript entries. */
int64_t ac_mono_ns(void);

/* Override ac_now() (tests): a non-zero value pins it; 0 restores. */
void ac_clock_pin_for_tests(int64_t now);

#endif
