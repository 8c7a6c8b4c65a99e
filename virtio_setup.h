/* The virtio devices a config asks for: where the guest finds them (the
 * DSDT's windows), and their making, wiring (irqfd out, ioeventfd in) and
 * I/O thread. One order for both, so the guest is told what exists. */
#ifndef SPRIG_VIRTIO_SETUP_H
#define SPRIG_VIRTIO_SETUP_H

#include "boot/boot.h"
#include "config.h"
#include "control/control.h"
#include "cpu/cpu.h"
#include "devices/devices.h"
#include "devices/virtio/io_thread.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "devices/virtio/vsock.h"
#include "devices/virtio/rng.h"

struct virtio_setup {
	bool has_rng;
	struct virtio_rng rng;
	unsigned blk_count;
	struct virtio_blk blks[CONFIG_BLOCKS_MAX];
	unsigned net_count;
	struct virtio_net nets[CONFIG_NETS_MAX];
	bool has_vsock;
	struct virtio_vsock vsock;
	struct io_thread io;
	bool io_made;
};

/* The windows `c` asks for, in order, into `out` (DEVICES_VIRTIO_MAX). */
unsigned virtio_setup_windows(const struct config *c, struct boot_mmio_device *out);

/* The kernel command line: `c`'s, and when it turns ACPI off (the word
 * acpi=off), each window as virtio_mmio.device=4K@BASE:IRQ, which is how
 * Linux finds them without the DSDT. 0, or -E2BIG when that does not fit
 * in `size` bytes. */
int virtio_setup_cmdline(const struct config *c, char *out, size_t size);

/* Make the devices and put them on the bus: 0, -errno with `why` (the
 * host's failure), or VIRTIO_SETUP_BAD_INPUT with `why` (the user's: an
 * image that cannot be opened, a serial too long). */
#define VIRTIO_SETUP_BAD_INPUT 1
int virtio_setup_create(struct virtio_setup *s, const struct config *c, struct vm *vm,
			struct devices *devices, char *why, size_t why_size);

/* The disks made, for query-block (`out` holds CONFIG_BLOCKS_MAX). */
unsigned virtio_setup_blocks(const struct virtio_setup *s, const struct config *c, struct control_block *out);

/* x-query-virtio's view of the virtio device in window `index` of
 * `devices` (a struct devices), read under its transport's lock; for
 * control_vm_set_virtio. */
void virtio_setup_describe(void *devices, unsigned index, struct control_virtio *out);

/* The I/O thread, once the seccomp programs are chosen: 0 or -errno. */
int virtio_setup_start(struct virtio_setup *s);

/* After every vCPU thread is joined: the I/O thread ends. */
void virtio_setup_stop(struct virtio_setup *s);

/* After vm_destroy (which undoes the irqfds first): the devices' fds. */
void virtio_setup_close(struct virtio_setup *s);

#endif
