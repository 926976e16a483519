#ifndef SD_CLOCK_H
#define SD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock, read at its tick (CLOCK_MONOTONIC_COARSE: 4 ms here).
 * For deadlines, idle times and cache ages, counted in seconds and read a dozen times a
 * request: the precise clock costs 27 ns a read on this machine, the coarse one 4-6
 * (bench/README.md, "The request path, thirteenth step"). It lags the precise clock by up to
 * about two ticks (more while the CPU keeping time is held up), so a wait until such a deadline
 * may end early and then waits again for the rest; nothing here needs finer than that.
 * Durations that are reported (the access line, metrics) keep CLOCK_MONOTONIC. */
static inline int64_t clock_coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
