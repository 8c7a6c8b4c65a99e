/* virtio-rng (virtio 1.x, section 5.4): one queue of device-writable
 * buffers, filled from the host's getrandom(2), at most
 * `bytes_per_second` when that is not 0 (a token bucket with a one-second
 * burst, as Firecracker's entropy device limits). A request waits until
 * it can be answered in full (at most a burst): no short reads. */
#ifndef SPRIG_VIRTIO_RNG_H
#define SPRIG_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>

#include "io_thread.h"
#include "mmio.h"
#include "rate_limit.h"

#define VIRTIO_ID_ENTROPY 4u
#define VIRTIO_RNG_QUEUE_SIZE 256u
#define VIRTIO_RNG_CHAIN_BYTES 65536u  /* at most this much per request: the I/O thread stays responsive */

struct virtio_rng {
	struct virtio_mmio transport;
	int kick_fd;       /* eventfd: the ioeventfd on QueueNotify, or notify() */
	int irq_fd;        /* eventfd bound to the device's interrupt line */
	int timer_fd;      /* timerfd: the rate limiter's wake-up */
	struct rate_limit limit;
	struct virtq_chain chain;
	bool held;         /* `chain` was taken but waits for the rate limiter */
};

/* 0 or -errno. `irq_fd` is written for each interrupt; the caller owns it. */
int virtio_rng_init(struct virtio_rng *rng, const struct guest_mem *mem, int irq_fd,
		    uint64_t bytes_per_second);

/* Its kick and timer on the I/O thread. */
int virtio_rng_watch(struct virtio_rng *rng, struct io_thread *io);

void virtio_rng_close(struct virtio_rng *rng);

#endif
