/* virtio-mmio version 2 registers (mmio.h). The guest drives them in any
 * order it likes: each write is checked against the status it comes in,
 * and nothing the driver writes reaches a queue before virtq_start has
 * checked it. */
#include "mmio.h"

#include <stdio.h>
#include <string.h>

#define MAGIC 0x74726976u   /* "virt" */
#define VENDOR 0x47525053u  /* "SPRG" */

enum {
	REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = VIRTIO_MMIO_QUEUE_NOTIFY,
	REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064, REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090, REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4,
	REG_CONFIG_GENERATION = 0x0fc,
};

uint64_t virtio_mmio_offered(const struct virtio_mmio *t)
{
	return t->ops->features | VIRTIO_F_VERSION_1 | VIRTIO_F_RING_EVENT_IDX | VIRTIO_F_INDIRECT_DESC;
}

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *device,
		      const struct guest_mem *mem, void (*interrupt)(void *), void *interrupt_opaque)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->device = device;
	t->mem = mem;
	t->interrupt = interrupt;
	t->interrupt_opaque = interrupt_opaque;
	pthread_mutex_init(&t->lock, NULL);
}

bool virtio_mmio_live(const struct virtio_mmio *t)
{
	return (t->status & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void raise_interrupt(struct virtio_mmio *t, unsigned reason)
{
	atomic_fetch_or(&t->interrupt_status, reason);
	t->interrupt(t->interrupt_opaque);
}

void virtio_mmio_used(struct virtio_mmio *t, unsigned index)
{
	if (index < VIRTIO_QUEUES_MAX && virtq_should_interrupt(&t->queues[index]))
		raise_interrupt(t, VIRTIO_INT_USED_BUFFER);
}

void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *why)
{
	if (t->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	if (!t->error) {
		t->error = why;
		fprintf(stderr, "sprig: virtio-%s: the guest's driver broke the rules (%s): device stopped "
			"until the driver resets it\n", t->ops->name, why);
	}
	t->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(t, VIRTIO_INT_CONFIG_CHANGE);
}

static void reset(struct virtio_mmio *t)
{
	t->status = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	atomic_store(&t->interrupt_status, 0);
	memset(t->pending, 0, sizeof(t->pending));
	for (unsigned i = 0; i < VIRTIO_QUEUES_MAX; i++)
		virtq_reset(&t->queues[i]);
	t->ops->reset(t->device);
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	reset(t);
	t->error = NULL;
	pthread_mutex_unlock(&t->lock);
}

/* The selected queue, or NULL for one the device does not have. */
static struct virtq *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->queue_count ? &t->queues[t->queue_sel] : NULL;
}

static uint32_t read_register(struct virtio_mmio *t, uint64_t offset)
{
	struct virtq *q = selected(t);
	switch (offset) {
	case REG_MAGIC: return MAGIC;
	case REG_VERSION: return 2;
	case REG_DEVICE_ID: return t->ops->device_id;
	case REG_VENDOR_ID: return VENDOR;
	case REG_DEVICE_FEATURES:
		return t->device_features_sel < 2 ? (uint32_t)(virtio_mmio_offered(t) >> (32 * t->device_features_sel)) : 0;
	case REG_QUEUE_NUM_MAX: return q ? t->ops->queue_size_max : 0;
	case REG_QUEUE_READY: return q && q->ready;
	case REG_STATUS: return t->status;
	case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH: return 0xffffffffu;  /* no shared memory */
	case REG_CONFIG_GENERATION: return t->config_generation;
	default: return 0;
	}
}

static void set_half(uint64_t *field, bool high, uint32_t value)
{
	*field = high ? (*field & 0xffffffffull) | ((uint64_t)value << 32)
		      : (*field & ~0xffffffffull) | value;
}

static void queue_ready(struct virtio_mmio *t, struct virtq *q, uint32_t value)
{
	if (!value) {
		virtq_reset(q);  /* the driver takes the queue back */
		return;
	}
	if (q->ready || !(t->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	struct virtq_config c = t->pending[t->queue_sel];
	c.event_idx = t->driver_features & VIRTIO_F_RING_EVENT_IDX;
	c.indirect = t->driver_features & VIRTIO_F_INDIRECT_DESC;
	if (virtq_start(q, t->mem, &c, t->ops->queue_size_max))
		virtio_mmio_needs_reset(t, q->error);
}

/* Queue layout registers, ignored once the queue is ready (the spec
 * forbids the driver to change a live queue). */
static void queue_layout(struct virtio_mmio *t, struct virtq *q, uint64_t offset, uint32_t value)
{
	struct virtq_config *c = &t->pending[t->queue_sel];
	if (q->ready)
		return;
	switch (offset) {
	case REG_QUEUE_NUM: c->size = value <= 0xffff ? (uint16_t)value : 0; break;
	case REG_QUEUE_DESC_LOW: case REG_QUEUE_DESC_HIGH:
		set_half(&c->desc_gpa, offset == REG_QUEUE_DESC_HIGH, value); break;
	case REG_QUEUE_DRIVER_LOW: case REG_QUEUE_DRIVER_HIGH:
		set_half(&c->avail_gpa, offset == REG_QUEUE_DRIVER_HIGH, value); break;
	case REG_QUEUE_DEVICE_LOW: case REG_QUEUE_DEVICE_HIGH:
		set_half(&c->used_gpa, offset == REG_QUEUE_DEVICE_HIGH, value); break;
	}
}

/* Status only gains bits, in the spec's order; 0 resets the device.
 * NEEDS_RESET is the device's bit: what the driver writes there is moot. */
static void write_status(struct virtio_mmio *t, uint32_t value)
{
	if (value == 0) {
		reset(t);
		return;
	}
	uint32_t current = t->status & ~VIRTIO_STATUS_NEEDS_RESET;
	value &= ~VIRTIO_STATUS_NEEDS_RESET;
	if (current & ~value)
		return;  /* a driver clears bits only by writing 0 */
	uint32_t adding = value & ~current;
	if (adding & VIRTIO_STATUS_FEATURES_OK) {
		bool acceptable = (t->driver_features & ~virtio_mmio_offered(t)) == 0 &&
				  (t->driver_features & VIRTIO_F_VERSION_1);
		if (!acceptable)
			value &= ~VIRTIO_STATUS_FEATURES_OK;  /* the driver reads it back */
	}
	if (!(value & VIRTIO_STATUS_FEATURES_OK))
		value &= ~VIRTIO_STATUS_DRIVER_OK;
	t->status = value | (t->status & VIRTIO_STATUS_NEEDS_RESET);
	if ((adding & value & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_NEEDS_RESET))
		t->ops->activate(t->device);
}

static void write_register(struct virtio_mmio *t, uint64_t offset, uint32_t value)
{
	struct virtq *q = selected(t);
	switch (offset) {
	case REG_DEVICE_FEATURES_SEL: t->device_features_sel = value; break;
	case REG_DRIVER_FEATURES_SEL: t->driver_features_sel = value; break;
	case REG_DRIVER_FEATURES:
		if (t->driver_features_sel < 2 && !(t->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&t->driver_features, t->driver_features_sel == 1, value);
		break;
	case REG_QUEUE_SEL: t->queue_sel = value; break;
	case REG_QUEUE_READY: if (q) queue_ready(t, q, value); break;
	case REG_STATUS: write_status(t, value); break;
	case REG_QUEUE_NUM: case REG_QUEUE_DESC_LOW: case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW: case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW: case REG_QUEUE_DEVICE_HIGH:
		if (q) queue_layout(t, q, offset, value);
		break;
	}
}

static bool in_config(const struct virtio_mmio *t, uint64_t offset, unsigned size)
{
	return offset >= VIRTIO_MMIO_CONFIG && offset - VIRTIO_MMIO_CONFIG <= t->ops->config_size &&
	       size <= t->ops->config_size - (offset - VIRTIO_MMIO_CONFIG);
}

void virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, uint8_t *data, unsigned size)
{
	memset(data, 0, size);
	/* The interrupt handler's read (Linux's vm_interrupt) takes no lock:
	 * the I/O thread holds it across a whole request's file I/O. */
	if (offset == REG_INTERRUPT_STATUS && size == 4) {
		uint32_t value = atomic_load(&t->interrupt_status);
		memcpy(data, &value, 4);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		if (in_config(t, offset, size) && t->ops->config_read)
			t->ops->config_read(t->device, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), data, size);
	} else if (size == 4 && offset % 4 == 0) {
		uint32_t value = read_register(t, offset);
		memcpy(data, &value, 4);
	}
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, const uint8_t *data, unsigned size)
{
	if (offset == REG_QUEUE_NOTIFY && size == 4) {
		uint32_t index;
		memcpy(&index, data, 4);
		if (index < t->ops->queue_count && t->ops->notify)
			t->ops->notify(t->device, index);
		return;
	}
	if (offset == REG_INTERRUPT_ACK && size == 4) {  /* as the read above */
		uint32_t value;
		memcpy(&value, data, 4);
		atomic_fetch_and(&t->interrupt_status, ~value);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		if (in_config(t, offset, size) && t->ops->config_write)
			t->ops->config_write(t->device, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), data, size);
	} else if (size == 4 && offset % 4 == 0) {
		uint32_t value;
		memcpy(&value, data, 4);
		write_register(t, offset, value);
	}
	pthread_mutex_unlock(&t->lock);
}
