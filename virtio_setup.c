/* The config's virtio devices (virtio_setup.h). */
#include "virtio_setup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp/seccomp_filters.h"

/* The order is the windows': rng, then block. */
static void add_window(struct boot_mmio_device *out, unsigned *n)
{
	out[*n] = (struct boot_mmio_device){ VIRTIO_MMIO_BASE + *n * VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE,
					     VIRTIO_MMIO_IRQ_BASE + *n };
	++*n;
}

unsigned virtio_setup_windows(const struct config *c, struct boot_mmio_device *out)
{
	unsigned n = 0;
	if (c->rng)
		add_window(out, &n);
	if (c->block_path[0])
		add_window(out, &n);
	return n;
}

static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = text; (p = strstr(p, word)); p += n)
		if ((p == text || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

int virtio_setup_cmdline(const struct config *c, char *out, size_t size)
{
	size_t len = (size_t)snprintf(out, size, "%s", c->cmdline);
	if (len >= size)
		return -E2BIG;
	if (!has_word(c->cmdline, "acpi=off"))
		return 0;
	struct boot_mmio_device windows[DEVICES_VIRTIO_MAX];
	unsigned count = virtio_setup_windows(c, windows);
	for (unsigned i = 0; i < count; i++) {
		len += (size_t)snprintf(out + len, size - len, "%svirtio_mmio.device=4K@0x%llx:%u",
					len ? " " : "", (unsigned long long)windows[i].base, windows[i].irq);
		if (len >= size)
			return -E2BIG;
	}
	return 0;
}

static int install_io_filter(void)
{
	return filter_install(FILTER_IO);
}

/* The device's interrupt line and its kick, and the device on the bus. */
static int wire(struct vm *vm, struct devices *devices, const struct boot_mmio_device *w,
		struct virtio_mmio *t, int kick_fd, const char *name, char *why, size_t why_size)
{
	/* Without an ioeventfd the kick still works, through a VM exit. */
	int err = vm_ioeventfd(vm, w->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0, kick_fd);
	if (err)
		fprintf(stderr, "sprig: warning: virtio-%s: KVM_IOEVENTFD: %s: kicks exit to user space\n",
			name, strerror(-err));
	if ((err = devices_add_virtio(devices, w->base, t)))
		return snprintf(why, why_size, "virtio-%s: %s", name, strerror(-err)), err;
	return 0;
}

static int make_irq(struct vm *vm, const struct boot_mmio_device *w, const char *name, char *why,
		    size_t why_size)
{
	int irq = vm_irqfd(vm, w->irq);
	if (irq < 0)
		snprintf(why, why_size, "virtio-%s: KVM_IRQFD: %s", name, strerror(-irq));
	return irq;
}

static int create_rng(struct virtio_setup *s, const struct config *c, struct vm *vm,
		      struct devices *devices, const struct boot_mmio_device *w, char *why, size_t why_size)
{
	int irq = make_irq(vm, w, "rng", why, why_size), err;
	if (irq < 0)
		return irq;
	if ((err = virtio_rng_init(&s->rng, &vm->mem, irq, c->rng_rate))) {
		close(irq);
		return snprintf(why, why_size, "virtio-rng: %s", strerror(-err)), err;
	}
	s->has_rng = true;
	if ((err = virtio_rng_watch(&s->rng, &s->io)))
		return snprintf(why, why_size, "virtio-rng: %s", strerror(-err)), err;
	return wire(vm, devices, w, &s->rng.transport, s->rng.kick_fd, "rng", why, why_size);
}

static int create_blk(struct virtio_setup *s, const struct config *c, struct vm *vm,
		      struct devices *devices, const struct boot_mmio_device *w, char *why, size_t why_size)
{
	struct virtio_blk_config bc = { c->block_path, c->block_read_only, c->block_cache_none,
					c->block_serial };
	char problem[CONFIG_PATH_MAX + 128];
	int irq = make_irq(vm, w, "blk", why, why_size), err;
	if (irq < 0)
		return irq;
	if ((err = virtio_blk_init(&s->blk, &vm->mem, &bc, irq, problem, sizeof(problem)))) {
		virtio_blk_close(&s->blk);
		close(irq);
		snprintf(why, why_size, "block: %s", problem);
		return err == -ENOMEM ? err : VIRTIO_SETUP_BAD_INPUT;
	}
	s->has_blk = true;
	if ((err = virtio_blk_watch(&s->blk, &s->io)))
		return snprintf(why, why_size, "virtio-blk: %s", strerror(-err)), err;
	return wire(vm, devices, w, &s->blk.transport, s->blk.kick_fd, "blk", why, why_size);
}

int virtio_setup_create(struct virtio_setup *s, const struct config *c, struct vm *vm,
			struct devices *devices, char *why, size_t why_size)
{
	struct boot_mmio_device windows[DEVICES_VIRTIO_MAX];
	unsigned count = virtio_setup_windows(c, windows), next = 0;
	memset(s, 0, sizeof(*s));
	if (!count)
		return 0;
	int err = io_thread_init(&s->io, install_io_filter);
	if (err)
		return snprintf(why, why_size, "I/O thread: %s", strerror(-err)), err;
	s->io_made = true;
	if (c->rng && (err = create_rng(s, c, vm, devices, &windows[next++], why, why_size)))
		return err;
	if (c->block_path[0] && (err = create_blk(s, c, vm, devices, &windows[next++], why, why_size)))
		return err;
	return 0;
}

int virtio_setup_start(struct virtio_setup *s)
{
	return s->io_made ? io_thread_start(&s->io) : 0;
}

void virtio_setup_stop(struct virtio_setup *s)
{
	if (s->io_made)
		io_thread_stop(&s->io);
	s->io_made = false;
}

void virtio_setup_close(struct virtio_setup *s)
{
	if (s->has_rng) {
		virtio_rng_close(&s->rng);
		close(s->rng.irq_fd);
	}
	if (s->has_blk) {
		virtio_blk_close(&s->blk);
		close(s->blk.irq_fd);
	}
	s->has_rng = s->has_blk = false;
}
