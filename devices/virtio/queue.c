/* Split virtqueues (queue.h). The driver writes the rings while sprig
 * reads them, from another CPU: indexes are read once with acquire
 * semantics, descriptors are copied out before they are checked, and the
 * used index is published with release semantics after its element. */
#include "queue.h"

#include <errno.h>
#include <string.h>

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

_Static_assert(sizeof(struct desc) == 16, "a split-ring descriptor is 16 bytes");

/* Ring sizes with the event fields, which the spec counts whether or not
 * EVENT_IDX is negotiated. */
#define AVAIL_BYTES(size) (6u + 2u * (uint64_t)(size))
#define USED_BYTES(size) (6u + 8u * (uint64_t)(size))

static int broken(struct virtq *q, const char *why)
{
	q->broken = true;
	q->error = why;
	return -EINVAL;
}

static uint16_t load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELEASE);
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/* Check the configuration and find the rings; nothing written yet. */
static int map_rings(struct virtq *q, const struct guest_mem *mem, const struct virtq_config *config,
		     uint16_t size_max)
{
	virtq_reset(q);
	q->config = *config;
	uint16_t size = config->size;
	if (size == 0 || size > size_max || (size & (size - 1)))
		return broken(q, "queue size is not a power of 2 within the device's maximum");
	if (config->desc_gpa % 16 || config->avail_gpa % 2 || config->used_gpa % 4)
		return broken(q, "queue rings are misaligned");
	q->desc = guest_mem_ptr(mem, config->desc_gpa, 16u * (uint64_t)size);
	q->avail = guest_mem_ptr(mem, config->avail_gpa, AVAIL_BYTES(size));
	q->used = guest_mem_ptr(mem, config->used_gpa, USED_BYTES(size));
	if (!q->desc || !q->avail || !q->used)
		return broken(q, "queue rings are not in guest RAM");
	return 0;
}

int virtq_start(struct virtq *q, const struct guest_mem *mem, const struct virtq_config *config,
		uint16_t size_max)
{
	int err = map_rings(q, mem, config, size_max);
	if (err)
		return err;
	store16(q->used, 0);      /* flags: notifications wanted */
	store16(q->used + 2, 0);  /* idx */
	q->ready = true;
	return 0;
}

int virtq_restore(struct virtq *q, const struct guest_mem *mem, const struct virtq_config *config,
		  uint16_t size_max, uint16_t last_avail, uint16_t used_idx, uint16_t signalled_used)
{
	int err = map_rings(q, mem, config, size_max);
	if (err)
		return err;
	q->last_avail = last_avail;
	q->used_idx = used_idx;
	q->signalled_used = signalled_used;
	q->ready = true;
	return 0;
}

/* Head of the next available chain, or -1 when there is none; the avail
 * index may run at most one queue's worth ahead. */
static int next_head(struct virtq *q, uint16_t *head)
{
	uint16_t size = q->config.size;
	uint16_t pending = (uint16_t)(load16(q->avail + 2) - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > size)
		return broken(q, "the driver made more buffers available than the queue holds");
	*head = load16(q->avail + 4 + 2u * (q->last_avail & (size - 1)));
	if (*head >= size)
		return broken(q, "available ring names a descriptor beyond the queue");
	return 1;
}

static int add_buffer(struct virtq *q, const struct guest_mem *mem, const struct desc *d,
		      struct virtq_chain *chain)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	if (!writable && chain->writable_bytes)
		return broken(q, "a readable buffer follows a writable one");
	if (d->len == 0)
		return 0;  /* nothing to read or write */
	if (chain->count == VIRTQ_CHAIN_MAX)
		return broken(q, "descriptor chain longer than the device takes");
	uint8_t *hva = guest_mem_ptr(mem, d->addr, d->len);
	if (!hva)
		return broken(q, "buffer is not in guest RAM");
	chain->buffers[chain->count++] = (struct virtq_buffer){ hva, d->len, writable };
	if (writable)
		chain->writable_bytes += d->len;
	else
		chain->readable_bytes += d->len;
	return 0;
}

/* An indirect descriptor stands for the whole chain: it must be the head
 * and alone, and its table holds only direct descriptors. */
static int enter_indirect(struct virtq *q, const struct guest_mem *mem, const struct desc *d,
			  const uint8_t **table, uint32_t *table_size)
{
	if (!q->config.indirect)
		return broken(q, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return broken(q, "indirect descriptor with NEXT set");
	if (d->len == 0 || d->len % sizeof(struct desc) || d->len / sizeof(struct desc) > VIRTQ_CHAIN_MAX)
		return broken(q, "indirect table length is not a whole number of descriptors within the limit");
	*table = guest_mem_ptr(mem, d->addr, d->len);
	if (!*table)
		return broken(q, "indirect table is not in guest RAM");
	*table_size = d->len / sizeof(struct desc);
	return 0;
}

static int walk_chain(struct virtq *q, const struct guest_mem *mem, uint16_t head,
		      struct virtq_chain *chain)
{
	const uint8_t *table = q->desc;
	uint32_t table_size = q->config.size, index = head, steps = 0;
	bool indirect = false;
	for (;;) {
		struct desc d;
		memcpy(&d, table + (uint64_t)index * sizeof(d), sizeof(d));  /* read once */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return broken(q, "indirect table inside an indirect table");
			if (steps)
				return broken(q, "indirect descriptor after direct ones");
			int err = enter_indirect(q, mem, &d, &table, &table_size);
			if (err)
				return err;
			indirect = true;
			index = 0;
			continue;
		}
		/* No descriptor can appear twice in a chain that ends. */
		if (++steps > table_size)
			return broken(q, "descriptor chain loops");
		int err = add_buffer(q, mem, &d, chain);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= table_size)
			return broken(q, "descriptor chain runs past its table");
		index = d.next;
	}
}

int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *chain)
{
	if (q->broken)
		return -EINVAL;
	if (!q->ready)
		return 0;
	uint16_t head;
	int found = next_head(q, &head);
	if (found <= 0)
		return found;
	chain->head = head;
	chain->count = 0;
	chain->readable_bytes = chain->writable_bytes = 0;
	int err = walk_chain(q, mem, head, chain);
	if (err)
		return err;
	q->last_avail++;
	return 1;
}

void virtq_fill(struct virtq *q, unsigned offset, uint16_t head, uint32_t written)
{
	uint8_t *element = q->used + 4 + 8u * ((uint16_t)(q->used_idx + offset) & (q->config.size - 1));
	uint32_t fields[2] = { head, written };
	memcpy(element, fields, sizeof(fields));
}

void virtq_flush(struct virtq *q, unsigned count)
{
	q->used_idx = (uint16_t)(q->used_idx + count);
	store16(q->used + 2, q->used_idx);  /* after the elements: release */
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	virtq_fill(q, 0, head, written);
	virtq_flush(q, 1);
}

void virtq_unpop(struct virtq *q, unsigned count)
{
	q->last_avail = (uint16_t)(q->last_avail - count);
}

bool virtq_should_interrupt(struct virtq *q)
{
	if (!q->ready)
		return false;
	/* The used index must be visible before the driver's event is read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = q->signalled_used, now = q->used_idx;
	q->signalled_used = now;
	if (q->config.event_idx) {
		uint16_t event = load16(q->avail + 4 + 2u * q->config.size);
		return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	}
	return now != old && !(load16(q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_arm_notify_more(struct virtq *q)
{
	if (!q->ready || q->broken)
		return false;
	uint16_t seen = load16(q->avail + 2);
	if (q->config.event_idx)
		store16(q->used + 4 + 8u * q->config.size, seen);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(q->avail + 2) != seen;
}

bool virtq_arm_notify(struct virtq *q)
{
	if (!q->ready || q->broken)
		return false;
	if (q->config.event_idx)
		store16(q->used + 4 + 8u * q->config.size, q->last_avail);
	/* The event must be visible before the avail index is read again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(q->avail + 2) != q->last_avail;
}
