/* The driver side of sprig's virtio-mmio windows, as small as the test
 * guests need: find a device, negotiate, set up a queue. */
#include "guest.h"

#define FIRST_WINDOW 0xd0001000ull
#define MAGIC_VALUE 0x74726976u  /* "virt" */

uint32_t virtio_rd(uint64_t window, uint32_t reg)
{
	return *(volatile uint32_t *)(window + reg);
}

void virtio_wr(uint64_t window, uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(window + reg) = value;
}

static void wr64(uint64_t window, uint32_t reg, uint64_t value)
{
	virtio_wr(window, reg, (uint32_t)value);
	virtio_wr(window, reg + 4, (uint32_t)(value >> 32));
}

uint64_t virtio_find(uint32_t device_id, unsigned nth)
{
	for (unsigned i = 0; i < VIRTIO_WINDOWS; i++) {
		uint64_t window = FIRST_WINDOW + 0x1000ull * i;
		if (virtio_rd(window, VIRTIO_MAGIC) == MAGIC_VALUE && virtio_rd(window, VIRTIO_VERSION) == 2 &&
		    virtio_rd(window, VIRTIO_DEVICE_ID) == device_id && nth-- == 0)
			return window;
	}
	return 0;
}

bool virtio_negotiate(uint64_t window, uint32_t features)
{
	virtio_wr(window, VIRTIO_STATUS, 0);
	virtio_wr(window, VIRTIO_STATUS, 1);
	virtio_wr(window, VIRTIO_STATUS, 1 | 2);
	virtio_wr(window, VIRTIO_DEVICE_FEATURES_SEL, 1);
	if (!(virtio_rd(window, VIRTIO_DEVICE_FEATURES) & 1))
		return false;  /* no VIRTIO_F_VERSION_1 */
	virtio_wr(window, VIRTIO_DEVICE_FEATURES_SEL, 0);
	features &= virtio_rd(window, VIRTIO_DEVICE_FEATURES);
	virtio_wr(window, VIRTIO_DRIVER_FEATURES_SEL, 0);
	virtio_wr(window, VIRTIO_DRIVER_FEATURES, features);
	virtio_wr(window, VIRTIO_DRIVER_FEATURES_SEL, 1);
	virtio_wr(window, VIRTIO_DRIVER_FEATURES, 1);
	virtio_wr(window, VIRTIO_STATUS, 1 | 2 | 8);
	return virtio_rd(window, VIRTIO_STATUS) & 8;
}

bool virtio_queue(uint64_t window, unsigned index, unsigned size, uint64_t desc, uint64_t avail, uint64_t used)
{
	virtio_wr(window, VIRTIO_QUEUE_SEL, index);
	if (virtio_rd(window, VIRTIO_QUEUE_NUM_MAX) < size)
		return false;
	virtio_wr(window, VIRTIO_QUEUE_NUM, size);
	wr64(window, VIRTIO_QUEUE_DESC, desc);
	wr64(window, VIRTIO_QUEUE_DRIVER, avail);
	wr64(window, VIRTIO_QUEUE_DEVICE, used);
	virtio_wr(window, VIRTIO_QUEUE_READY, 1);
	return true;
}

bool virtio_driver_ok(uint64_t window)
{
	virtio_wr(window, VIRTIO_STATUS, 1 | 2 | 8 | 4);
	return !(virtio_rd(window, VIRTIO_STATUS) & 0x40);
}
