/* The virtio-mmio transport, version 2 (virtio 1.x, section 4.2): the
 * register window a driver programs, for one device behind it. Modern
 * only: a driver that does not accept VIRTIO_F_VERSION_1 never gets
 * FEATURES_OK. Register accesses arrive on vCPU threads; queue work runs
 * on the I/O thread; `lock` keeps the two apart. */
#ifndef SPRIG_VIRTIO_MMIO_H
#define SPRIG_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "queue.h"

#define VIRTIO_MMIO_SIZE 0x1000u
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050u
#define VIRTIO_MMIO_CONFIG 0x100u
#define VIRTIO_QUEUES_MAX 4u

#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_RING_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

#define VIRTIO_INT_USED_BUFFER 1u
#define VIRTIO_INT_CONFIG_CHANGE 2u

struct virtio_mmio;

/* What a device is to its transport. */
struct virtio_device_ops {
	const char *name;            /* "rng", for messages */
	uint32_t device_id;          /* virtio device type: 4 = entropy */
	uint64_t features;           /* offered besides VERSION_1 and the ring features */
	uint16_t queue_count;        /* <= VIRTIO_QUEUES_MAX */
	uint16_t queue_size_max;
	uint32_t config_size;        /* bytes of device config space */
	/* Config space, within config_size; may be NULL when it is empty. */
	void (*config_read)(void *device, uint32_t offset, uint8_t *data, uint32_t size);
	void (*config_write)(void *device, uint32_t offset, const uint8_t *data, uint32_t size);
	/* The driver set DRIVER_OK: the queues it made ready may be used. */
	void (*activate)(void *device);
	/* The driver wrote QueueNotify and no ioeventfd took it: the device's
	 * own wake-up for queue `index`. Called without `lock`. */
	void (*notify)(void *device, unsigned index);
	/* The driver wrote 0 to status: forget everything. */
	void (*reset)(void *device);
	/* Before a snapshot, on the I/O thread with `lock` held: a chain
	 * popped and not answered goes back to its ring (NULL: none kept). */
	void (*quiesce)(void *device);
	/* After a snapshot's state is loaded into a live device, before the
	 * I/O thread starts (NULL: nothing to do); activate has run. */
	void (*restored)(void *device);
};

struct virtio_mmio {
	const struct virtio_device_ops *ops;
	void *device;
	const struct guest_mem *mem;
	/* Raises the device's interrupt line (an irqfd write, or a test's). */
	void (*interrupt)(void *opaque);
	void *interrupt_opaque;

	pthread_mutex_t lock;
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t config_generation;
	atomic_uint interrupt_status;
	struct virtq_config pending[VIRTIO_QUEUES_MAX];  /* what the driver wrote so far */
	struct virtq queues[VIRTIO_QUEUES_MAX];
	const char *error;           /* the first driver error, once reported */
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *device,
		      const struct guest_mem *mem, void (*interrupt)(void *), void *interrupt_opaque);

/* Power-on state (a guest reset in place), as the driver's write of 0. */
void virtio_mmio_reset(struct virtio_mmio *t);

/* A vCPU's access at `offset` into the window. Registers take aligned
 * 32-bit accesses only (others read 0 and write nothing, as QEMU does);
 * config space any width within it. */
void virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, uint8_t *data, unsigned size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, const uint8_t *data, unsigned size);

/* The features the device offers: its own and the transport's. */
uint64_t virtio_mmio_offered(const struct virtio_mmio *t);

/* Snapshots (mmio_state.c): the registers and each queue's configuration
 * and indexes, in a fixed layout for the state file. */
struct virtio_queue_state {
	uint16_t size;             /* the queue as made ready (if ready) */
	uint8_t ready, broken, event_idx, indirect, reserved[2];
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx, signalled_used, pending_size;
	uint8_t pending_event_idx, pending_indirect, reserved2[6];
	uint64_t pending_desc, pending_avail, pending_used;  /* what the driver wrote so far */
};
struct virtio_mmio_state {
	uint32_t device_id, queue_count, status, device_features_sel, driver_features_sel, queue_sel;
	uint32_t config_generation, interrupt_status;
	uint64_t driver_features;
	struct virtio_queue_state queues[VIRTIO_QUEUES_MAX];
};
/* On the I/O thread (or with it stopped): the device's quiesce hook, then
 * the state. */
void virtio_mmio_state_save(struct virtio_mmio *t, struct virtio_mmio_state *state);
/* Before the I/O thread starts: 0, or -EINVAL with `why` when the state
 * is not one this device could be in (another device type, a queue whose
 * rings are not in guest RAM). A live device is activated, its `restored`
 * hook run and each ready queue notified, so what waits is served. */
int virtio_mmio_state_load(struct virtio_mmio *t, const struct virtio_mmio_state *state, const char **why);

/* For the device, with `lock` held: is the device running (DRIVER_OK,
 * not NEEDS_RESET)? */
bool virtio_mmio_live(const struct virtio_mmio *t);

/* For the device, with `lock` held, after pushing used buffers on queue
 * `index`: interrupt the driver if the queue asks for it. */
void virtio_mmio_used(struct virtio_mmio *t, unsigned index);

/* For the device, with `lock` held: the driver broke the rules (a broken
 * queue says how): DEVICE_NEEDS_RESET and a config-change interrupt; the
 * device stops until the driver resets it. Reported once on stderr. */
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *why);

#endif
