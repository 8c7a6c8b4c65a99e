/* The config's virtio devices (virtio_setup.h). */
#include "virtio_setup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp/seccomp_filters.h"

unsigned virtio_setup_windows(const struct config *c, struct boot_mmio_device *out)
{
	unsigned n = 0;
	if (c->rng) {
		out[n] = (struct boot_mmio_device){ VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE,
						    VIRTIO_MMIO_IRQ_BASE + n };
		n++;
	}
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

int virtio_setup_create(struct virtio_setup *s, const struct config *c, struct vm *vm,
			struct devices *devices, char *why, size_t why_size)
{
	struct boot_mmio_device windows[DEVICES_VIRTIO_MAX];
	unsigned count = virtio_setup_windows(c, windows);
	memset(s, 0, sizeof(*s));
	if (!count)
		return 0;
	int err = io_thread_init(&s->io, install_io_filter);
	if (err)
		return snprintf(why, why_size, "I/O thread: %s", strerror(-err)), err;
	s->io_made = true;
	const struct boot_mmio_device *w = &windows[0];
	int irq = vm_irqfd(vm, w->irq);
	if (irq < 0)
		return snprintf(why, why_size, "virtio-rng: KVM_IRQFD: %s", strerror(-irq)), irq;
	if ((err = virtio_rng_init(&s->rng, &vm->mem, irq, c->rng_rate)))
		return snprintf(why, why_size, "virtio-rng: %s", strerror(-err)), err;
	s->has_rng = true;
	/* Without an ioeventfd the kick still works, through a VM exit. */
	err = vm_ioeventfd(vm, w->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0, s->rng.kick_fd);
	if (err)
		fprintf(stderr, "sprig: warning: virtio-rng: KVM_IOEVENTFD: %s: kicks exit to user space\n",
			strerror(-err));
	if ((err = virtio_rng_watch(&s->rng, &s->io)) || (err = devices_add_virtio(devices, w->base,
										 &s->rng.transport)))
		return snprintf(why, why_size, "virtio-rng: %s", strerror(-err)), err;
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
	s->has_rng = false;
}
