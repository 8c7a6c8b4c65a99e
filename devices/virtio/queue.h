/* Split virtqueues (virtio 1.x, section 2.7): the rings live in guest RAM,
 * written by a driver sprig does not trust. Every ring and buffer address
 * goes through guest_mem_ptr(); every index read from guest RAM is read
 * once, then checked. A chain that loops, runs past its table, nests
 * indirect tables or puts a readable buffer after a writable one is a
 * driver error: the queue is marked broken (the transport then sets
 * DEVICE_NEEDS_RESET) and nothing more is taken from it. */
#ifndef SPRIG_VIRTIO_QUEUE_H
#define SPRIG_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../mem/mem.h"

#define VIRTQ_SIZE_MAX 32768u   /* the spec's limit for a split queue */
#define VIRTQ_CHAIN_MAX 1024u   /* buffers in one chain, as QEMU's VIRTQUEUE_MAX_SIZE */

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* What the driver set up through the transport. */
struct virtq_config {
	uint16_t size;             /* entries, a power of 2 */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;            /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool indirect;             /* VIRTIO_F_INDIRECT_DESC negotiated */
};

struct virtq {
	struct virtq_config config;
	bool ready;
	bool broken;               /* a driver error was seen: take nothing more */
	const char *error;         /* what it was, for the one line on stderr */
	/* Where the rings are, checked once when the queue became ready. */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;       /* next avail entry the device takes */
	uint16_t used_idx;         /* the device's copy of used->idx */
	uint16_t signalled_used;   /* used_idx when the driver was last told */
};

struct virtq_buffer {
	uint8_t *hva;              /* in guest RAM, checked for `len` bytes */
	uint32_t len;
	bool writable;             /* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* One available chain: its head (to give back with virtq_push), its
 * buffers in order, readable ones first. */
struct virtq_chain {
	uint16_t head;
	unsigned count;
	uint64_t readable_bytes, writable_bytes;
	struct virtq_buffer buffers[VIRTQ_CHAIN_MAX];
};

/* Check the driver's configuration against guest RAM and the device's
 * largest size; on success the queue is ready and empty. 0 or -EINVAL,
 * with q->error saying why. */
int virtq_start(struct virtq *q, const struct guest_mem *mem, const struct virtq_config *config,
		uint16_t size_max);

/* A queue as a snapshot left it: the same checks as virtq_start, the
 * device's indexes as they were, and the rings in guest RAM untouched
 * (they are the snapshot's). 0 or -EINVAL with q->error. */
int virtq_restore(struct virtq *q, const struct guest_mem *mem, const struct virtq_config *config,
		  uint16_t size_max, uint16_t last_avail, uint16_t used_idx, uint16_t signalled_used);

/* Forget everything (device reset): not ready, not broken. */
void virtq_reset(struct virtq *q);

/* The next available chain: 1 and *chain filled, 0 when the driver has
 * made nothing more available, -EINVAL when the driver broke the rules
 * (q->broken, q->error). */
int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *chain);

/* Give chain `head` back with `written` bytes written into its buffers. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* Several chains given back as one (virtio-net's mergeable receive
 * buffers): virtq_fill writes the used element `offset` places after the
 * last pushed one, virtq_flush then shows the driver `count` of them at
 * once, so it never sees part of a frame. */
void virtq_fill(struct virtq *q, unsigned offset, uint16_t head, uint32_t written);
void virtq_flush(struct virtq *q, unsigned count);

/* The last `count` chains popped and not pushed go back to the ring, to
 * be popped again (a frame that did not fit waits for more buffers). */
void virtq_unpop(struct virtq *q, unsigned count);

/* After a batch of pushes: should the driver be interrupted? Honours
 * used_event (EVENT_IDX) or VIRTQ_AVAIL_F_NO_INTERRUPT. */
bool virtq_should_interrupt(struct virtq *q);

/* Before sleeping on the queue's notification: with EVENT_IDX, ask the
 * driver to notify at the next buffer. Returns true if buffers arrived
 * meanwhile (pop again before sleeping). */
bool virtq_arm_notify(struct virtq *q);

/* The same when the chains already available were not enough (a frame
 * larger than them, put back with virtq_unpop): notify at the next one
 * the driver adds. True if one came meanwhile. */
bool virtq_arm_notify_more(struct virtq *q);

#endif
