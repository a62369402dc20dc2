/* The rehearsal's clock: an LD_PRELOAD library that shifts the wall clock (CLOCK_REALTIME, gettimeofday, time) of a
 * container by REHEARSAL_CLOCK_OFFSET_SECONDS, so that a CronJob run sees the cron time of the day it rehearses.
 * Monotonic clocks are left alone, so every timeout, sleep and timed wait stays exact. (libfaketime shifts the wall
 * clock too, but its clock_nanosleep and timed-wait handling breaks Python 3.11's time.sleep and threading waits.)
 * Built by rehearsal/clock.py with the machine's C compiler; never part of the image. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long offset;

__attribute__((constructor)) static void read_offset(void) {
    const char *value = getenv("REHEARSAL_CLOCK_OFFSET_SECONDS");
    offset = value ? strtoll(value, NULL, 10) : 0;
}

int clock_gettime(clockid_t clock, struct timespec *now) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int result = real(clock, now);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) now->tv_sec += offset;
    return result;
}

int gettimeofday(struct timeval *restrict now, void *restrict zone) {
    struct timespec spec;
    int result = clock_gettime(CLOCK_REALTIME, &spec);
    if (result == 0) {
        now->tv_sec = spec.tv_sec;
        now->tv_usec = spec.tv_nsec / 1000;
    }
    (void)zone;
    return result;
}

time_t time(time_t *now) {
    struct timespec spec;
    clock_gettime(CLOCK_REALTIME, &spec);
    if (now) *now = spec.tv_sec;
    return spec.tv_sec;
}
