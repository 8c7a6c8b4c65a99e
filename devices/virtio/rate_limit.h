/* A token bucket, as Firecracker's rate limiters: `rate` units per second
 * flow into a bucket that holds at most `burst`; a device takes what it
 * spends and waits (a timer on the I/O thread) when the bucket is empty.
 * Pure: the caller passes the time, so tests need no clock. */
#ifndef SPRIG_VIRTIO_RATE_LIMIT_H
#define SPRIG_VIRTIO_RATE_LIMIT_H

#include <stdint.h>

struct rate_limit {
	uint64_t rate;            /* units per second; 0: no limit */
	uint64_t burst;           /* bucket size in units (at least 1) */
	unsigned __int128 credit; /* units x 1e9: whole nanosecond refills keep their fractions */
	unsigned __int128 debt;   /* units x 1e9 spent beyond the credit: refills repay it first */
	uint64_t last_ns;
};

/* A full bucket at `now_ns`. */
void rate_limit_init(struct rate_limit *r, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Take up to `want` units: returns how many (0 when the bucket is empty;
 * `want` when there is no limit). */
uint64_t rate_limit_take(struct rate_limit *r, uint64_t want, uint64_t now_ns);

/* Spend `cost` units whole, where the bucket holds less than that:
 * what it lacks becomes debt that refills repay before any new credit.
 * For requests that cannot be split (a disk request of 1 MiB under a
 * 64 KiB/s limit): rate_limit_wait_ns says when to send it, this charges
 * all of it, so the average rate holds. */
void rate_limit_spend(struct rate_limit *r, uint64_t cost, uint64_t now_ns);

/* Nanoseconds until `want` units (at most a burst) are there and any debt
 * is repaid; 0: now. */
uint64_t rate_limit_wait_ns(struct rate_limit *r, uint64_t want, uint64_t now_ns);

/* Firecracker's pair, a bytes bucket and an operations bucket: the
 * nanoseconds until one operation of `bytes` may go (the longer wait). */
uint64_t rate_limit_pair_wait_ns(struct rate_limit *bytes, struct rate_limit *ops, uint64_t len, uint64_t now_ns);

#endif
