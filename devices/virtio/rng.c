/* virtio-rng (rng.h): runs on the I/O thread, under the transport's lock. */
#include "rng.h"
#include "../bus.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

static void rng_activate(void *device)
{
	struct virtio_rng *rng = device;
	device_signal(rng->kick_fd);  /* buffers may be waiting since before DRIVER_OK */
}

static void rng_notify(void *device, unsigned index)
{
	(void)index;
	device_signal(((struct virtio_rng *)device)->kick_fd);
}

static void rng_reset(void *device)
{
	((struct virtio_rng *)device)->held = false;  /* the chain was the old driver's */
}

/* A snapshot must not lose the chain waiting for tokens: back to the ring. */
static void rng_quiesce(void *device)
{
	struct virtio_rng *rng = device;
	if (rng->held)
		virtq_unpop(&rng->transport.queues[0], 1);
	rng->held = false;
}

static const struct virtio_device_ops rng_ops = {
	.name = "rng", .device_id = VIRTIO_ID_ENTROPY, .queue_count = 1,
	.queue_size_max = VIRTIO_RNG_QUEUE_SIZE, .activate = rng_activate, .notify = rng_notify,
	.reset = rng_reset, .quiesce = rng_quiesce,
};

/* Random bytes into the chain's writable buffers, `budget` at most. */
static uint32_t fill(const struct virtq_chain *chain, uint64_t budget)
{
	uint32_t written = 0;
	for (unsigned i = 0; i < chain->count && budget; i++) {
		const struct virtq_buffer *b = &chain->buffers[i];
		if (!b->writable)
			continue;
		uint32_t want = b->len < budget ? b->len : (uint32_t)budget;
		ssize_t got = getrandom(b->hva, want, 0);
		if (got <= 0)
			break;
		written += (uint32_t)got;
		budget -= (uint64_t)got;
		if ((uint32_t)got < want)
			break;
	}
	return written;
}

/* Wake again when the bucket holds `want` bytes. */
static void wait_for_tokens(struct virtio_rng *rng, uint64_t want, uint64_t now)
{
	io_timer_set(rng->timer_fd, rate_limit_wait_ns(&rng->limit, want, now));
}

/* Answer the chain in rng->chain in full (up to the chain limit and one
 * burst), or keep it for the timer: false then. */
static bool answer(struct virtio_rng *rng, uint64_t now)
{
	uint64_t want = rng->chain.writable_bytes < VIRTIO_RNG_CHAIN_BYTES
		? rng->chain.writable_bytes : VIRTIO_RNG_CHAIN_BYTES;
	if (want && rate_limit_wait_ns(&rng->limit, want, now)) {
		rng->held = true;
		wait_for_tokens(rng, want, now);
		return false;
	}
	uint64_t budget = rate_limit_take(&rng->limit, want, now);
	virtq_push(&rng->transport.queues[0], rng->chain.head, fill(&rng->chain, budget));
	rng->held = false;
	return true;
}

static void serve(struct virtio_rng *rng)
{
	struct virtio_mmio *t = &rng->transport;
	struct virtq *q = &t->queues[0];
	if (rng->held && !answer(rng, devices_now_ns()))
		return;
	do {
		for (;;) {
			int got = virtq_pop(q, t->mem, &rng->chain);
			if (got < 0) {
				virtio_mmio_needs_reset(t, q->error);
				goto done;
			}
			if (!got)
				break;
			if (!answer(rng, devices_now_ns()))
				goto done;  /* the rest waits in the ring */
		}
	} while (virtq_arm_notify(q));
done:
	virtio_mmio_used(t, 0);
}

static void on_kick(void *opaque)
{
	struct virtio_rng *rng = opaque;
	io_drain(rng->kick_fd);
	pthread_mutex_lock(&rng->transport.lock);
	if (virtio_mmio_live(&rng->transport))
		serve(rng);
	pthread_mutex_unlock(&rng->transport.lock);
}

static void on_timer(void *opaque)
{
	struct virtio_rng *rng = opaque;
	io_drain(rng->timer_fd);
	device_signal(rng->kick_fd);
}

int virtio_rng_init(struct virtio_rng *rng, const struct guest_mem *mem, int irq_fd,
		    uint64_t bytes_per_second)
{
	memset(rng, 0, sizeof(*rng));
	rng->irq_fd = irq_fd;
	rng->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rng->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (rng->kick_fd < 0 || rng->timer_fd < 0) {
		int err = -errno;
		virtio_rng_close(rng);
		return err;
	}
	rate_limit_init(&rng->limit, bytes_per_second, bytes_per_second, devices_now_ns());
	virtio_mmio_init(&rng->transport, &rng_ops, rng, mem, device_signal_irqfd, &rng->irq_fd);
	return 0;
}

int virtio_rng_watch(struct virtio_rng *rng, struct io_thread *io)
{
	int err = io_thread_watch(io, rng->kick_fd, on_kick, rng);
	return err ? err : io_thread_watch(io, rng->timer_fd, on_timer, rng);
}

void virtio_rng_close(struct virtio_rng *rng)
{
	if (rng->kick_fd > 0)
		close(rng->kick_fd);
	if (rng->timer_fd > 0)
		close(rng->timer_fd);
	rng->kick_fd = rng->timer_fd = -1;
}
