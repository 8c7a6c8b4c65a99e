/* libFuzzer target: the split-virtqueue walker as a hostile driver feeds
 * it. The input's first bytes choose the queue (size, EVENT_IDX, indirect
 * descriptors) and up to four later avail indexes; the rest is laid over
 * the start of guest RAM, where the
 * descriptor table (0x0), avail ring (0x1000), used ring (0x2000) and any
 * indirect tables and buffers the input points at live. Then the device
 * takes and gives back chains for a few rounds, the input's tail moving
 * the avail index between them. Besides crashes and sanitizer reports it
 * checks that popping always ends, every buffer lies inside guest RAM,
 * chains stay within their limit with their byte counts right, and a
 * broken queue stays broken. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../devices/virtio/queue.h"

#define RAM_SIZE (4 * MEM_MiB)
#define LAYOUT_BYTES (64 * 1024)  /* how much of RAM the input may cover */
#define ROUNDS 4

static struct guest_mem mem;
static struct virtq_chain chain;

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t readable = 0, writable = 0;
	if (c->count > VIRTQ_CHAIN_MAX || c->head >= q->config.size)
		abort();
	for (unsigned i = 0; i < c->count; i++) {
		const struct virtq_buffer *b = &c->buffers[i];
		if (b->len == 0 || b->hva < mem.hva || b->hva - mem.hva > (ptrdiff_t)mem.size ||
		    b->len > mem.size - (uint64_t)(b->hva - mem.hva))
			abort();
		if (i > 0 && c->buffers[i - 1].writable && !b->writable)
			abort();  /* readable after writable must have been refused */
		*(b->writable ? &writable : &readable) += b->len;
		volatile uint8_t touch = b->hva[b->len - 1];  /* ASan: really there */
		(void)touch;
	}
	if (readable != c->readable_bytes || writable != c->writable_bytes)
		abort();
}

/* Take everything available, give it back; returns whether the queue broke. */
static int drain(struct virtq *q)
{
	/* Each chain advances last_avail, which may run at most a queue's
	 * worth ahead: more pops than that means the walker did not stop. */
	for (unsigned pops = 0;; pops++) {
		if (pops > q->config.size)
			abort();
		int got = virtq_pop(q, &mem, &chain);
		if (got < 0) {
			if (!q->broken || !q->error || virtq_pop(q, &mem, &chain) != -EINVAL)
				abort();
			return 1;
		}
		if (got == 0)
			return 0;
		check_chain(q, &chain);
		virtq_push(q, chain.head, (uint32_t)(chain.writable_bytes & 0xffffffffu));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva && guest_mem_init(&mem, RAM_SIZE))
		abort();
	if (size < 3)
		return 0;
	struct virtq_config config = {
		.size = (uint16_t)(1u << (data[0] % 9)), /* 1 .. 256 */
		.desc_gpa = 0, .avail_gpa = 0x1000, .used_gpa = 0x2000,
		.event_idx = data[1] & 1, .indirect = data[1] & 2,
	};
	/* Then up to ROUNDS new avail indexes, then guest RAM's first bytes. */
	size_t move_count = data[2] % (ROUNDS + 1);
	data += 3, size -= 3;
	if (size < 2 * move_count)
		return 0;
	const uint8_t *moves = data;
	data += 2 * move_count, size -= 2 * move_count;
	size_t layout = size < LAYOUT_BYTES ? size : LAYOUT_BYTES;
	memset(mem.hva, 0, LAYOUT_BYTES);
	memcpy(mem.hva, data, layout);
	static struct virtq q;
	if (virtq_start(&q, &mem, &config, 256))
		abort();  /* this layout is always valid */
	/* virtq_start zeroed used->flags and idx; the input's ring still rules. */
	for (unsigned round = 0; round < ROUNDS; round++) {
		if (drain(&q))
			return 0;
		virtq_should_interrupt(&q);
		virtq_arm_notify(&q);
		if (round < move_count) {
			uint16_t idx;
			memcpy(&idx, moves + 2 * round, 2);
			memcpy(mem.hva + 0x1000 + 2, &idx, 2);  /* the driver moves avail->idx */
		}
	}
	return 0;
}
