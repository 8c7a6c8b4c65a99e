/* Where start-up time goes: named moments since the process began, for
 * --timings (docs/config.md) and bench/vmm-time. Any part of sprig may
 * mark a moment; marking is one clock read and a store, no allocation. */
#ifndef SPRIG_TIMINGS_H
#define SPRIG_TIMINGS_H

#include <stdint.h>
#include <stdio.h>

/* CLOCK_MONOTONIC in nanoseconds (never 0 on a running system). */
uint64_t timings_now_ns(void);

/* `phase` is a string literal; it ends now, or at `ns` (0: not reached). */
void timings_mark(const char *phase);
void timings_mark_at(const char *phase, uint64_t ns);

/* The table in time order, each phase's time since the start and since
 * the phase before it; then the first KVM_RUN's clock reading, which
 * bench/vmm-time holds against the moment it called exec. */
void timings_print(FILE *out, uint64_t first_run_ns);

#endif
