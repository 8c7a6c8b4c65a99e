/* The control socket wired to a struct vm (cpu/). */
#ifndef SPRIG_CONTROL_VM_OPS_H
#define SPRIG_CONTROL_VM_OPS_H

#include "../cpu/cpu.h"
#include "control.h"

extern const struct control_ops control_vm_ops;

/* The disks query-block lists (`count` of them, kept by the caller). */
void control_vm_set_blocks(const struct control_block *blocks, unsigned count);

/* The virtio devices for x-query-virtio: `count` of them, each described
 * at the moment asked by `describe` (which takes the device's lock). */
void control_vm_set_virtio(unsigned count, void (*describe)(void *opaque, unsigned index, struct control_virtio *out),
			   void *opaque);

/* snapshot-save: `save` writes the paused VM into folder `path`, 0 or
 * -errno with `why` (CONTROL_WHY_SIZE bytes). */
void control_vm_set_snapshot(int (*save)(void *opaque, const char *path, char *why), void *opaque);

/* The I/O thread, for x-seccomp-violation's "io" (test-only). */
struct io_thread;
void control_vm_set_io_thread(struct io_thread *io);

/* A vm_event_fn: `opaque` is the struct control. */
void control_on_vm_event(void *opaque, const struct vm_event *event);

#endif
