/* virtio-blk (virtio 1.x, section 5.2) on a raw image file: read, write,
 * flush, get-id, discard and write-zeroes, one request at a time on the
 * I/O thread. A write is in the file (the page cache, or the disk with
 * cache = none) before the guest is told it is done; a flush is an
 * fdatasync before the guest is told, so what the guest flushed survives
 * a host crash, SIGTERM or power off. Two token buckets, as Firecracker's
 * block rate limiter: data bytes per second (reads and writes) and
 * requests per second (every request); a request waits in the ring, on a
 * timer, until both allow it. */
#ifndef SPRIG_VIRTIO_BLK_H
#define SPRIG_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "io_thread.h"
#include "mmio.h"
#include "rate_limit.h"

#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_BLK_QUEUE_SIZE 256u
#define VIRTIO_BLK_SERIAL_MAX 20u        /* VIRTIO_BLK_ID_BYTES */
#define VIRTIO_BLK_BOUNCE_BYTES (256u * 1024u)  /* cache = none: aligned copies */
#define VIRTIO_BLK_CONFIG_BYTES 60u

struct virtio_blk_config {
	const char *path;
	bool read_only;
	bool direct;                     /* cache = none: O_DIRECT */
	const char *serial;              /* at most 20 bytes; "" for none */
	uint64_t rate, ops;              /* bytes and requests per second; 0: no limit */
};

struct virtio_blk {
	struct virtio_mmio transport;
	struct virtio_device_ops ops;    /* its features depend on the image */
	uint8_t config[VIRTIO_BLK_CONFIG_BYTES];
	int fd;                          /* the image */
	uint64_t sectors;                /* its size in 512-byte sectors */
	bool read_only, direct, discard;
	char serial[VIRTIO_BLK_SERIAL_MAX];
	int kick_fd, irq_fd, timer_fd;
	struct rate_limit bytes, requests;
	uint64_t throttled;              /* times a request waited for tokens */
	uint8_t *bounce;                 /* direct only */
	struct virtq_chain chain;
};

/* Open the image (before any filter): 0, or -errno with `why` naming the
 * file and the problem. `irq_fd` is the caller's. */
int virtio_blk_init(struct virtio_blk *blk, const struct guest_mem *mem,
		    const struct virtio_blk_config *config, int irq_fd, char *why, size_t why_size);

int virtio_blk_watch(struct virtio_blk *blk, struct io_thread *io);

/* What one kick (or the limiter's timer) does: every available request
 * served, in order, while the buckets allow; the first that must wait
 * stays in the ring and the timer is set for it. With the transport's
 * lock held and the device live; the I/O thread calls it, and
 * tests/fuzz/fuzz_virtio_blk.c does directly. */
void virtio_blk_serve(struct virtio_blk *blk);

void virtio_blk_close(struct virtio_blk *blk);

#endif
