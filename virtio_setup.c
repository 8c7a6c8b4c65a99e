/* The config's virtio devices (virtio_setup.h). */
#include "virtio_setup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "devices/virtio/tap.h"

#include "seccomp/seccomp_filters.h"

_Static_assert(CONFIG_VIRTIO_MAX <= DEVICES_VIRTIO_MAX, "a window for every device config allows");

/* The order is the windows': rng, the disks, the nets, each as given,
 * then vsock. config_check
 * bounds the count; a window past the last is never handed out. */
static void add_window(struct boot_mmio_device *out, unsigned *n)
{
	if (*n >= DEVICES_VIRTIO_MAX)
		return;
	out[*n] = (struct boot_mmio_device){ VIRTIO_MMIO_BASE + *n * VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE,
					     VIRTIO_MMIO_IRQ_BASE + *n };
	++*n;
}

unsigned virtio_setup_windows(const struct config *c, struct boot_mmio_device *out)
{
	unsigned n = 0;
	if (c->rng)
		add_window(out, &n);
	for (unsigned i = 0; i < c->block_count + c->net_count + (c->vsock_path[0] ? 1u : 0u); i++)
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

/* The device's kicks (queue i's notification is kick_fds[i]) and the
 * device on the bus. */
static int wire(struct vm *vm, struct devices *devices, const struct boot_mmio_device *w,
		struct virtio_mmio *t, const int *kick_fds, unsigned kicks, const char *name, char *why,
		size_t why_size)
{
	int err = 0;
	for (unsigned i = 0; i < kicks && !err; i++)
		err = vm_ioeventfd(vm, w->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, i, kick_fds[i]);
	/* Without an ioeventfd the kick still works, through a VM exit. */
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
	return wire(vm, devices, w, &s->rng.transport, &s->rng.kick_fd, 1, "rng", why, why_size);
}

static int create_blk(struct virtio_setup *s, const struct config_block *c, struct vm *vm,
		      struct devices *devices, const struct boot_mmio_device *w, char *why, size_t why_size)
{
	struct virtio_blk_config bc = { c->path, c->read_only, c->cache_none, c->serial, c->rate, c->ops };
	struct virtio_blk *blk = &s->blks[s->blk_count];
	char problem[CONFIG_PATH_MAX + 128];
	int irq = make_irq(vm, w, "blk", why, why_size), err;
	if (irq < 0)
		return irq;
	if ((err = virtio_blk_init(blk, &vm->mem, &bc, irq, problem, sizeof(problem)))) {
		virtio_blk_close(blk);
		close(irq);
		snprintf(why, why_size, "block: %s", problem);
		return err == -ENOMEM ? err : VIRTIO_SETUP_BAD_INPUT;
	}
	s->blk_count++;
	if ((err = virtio_blk_watch(blk, &s->io)))
		return snprintf(why, why_size, "virtio-blk: %s", strerror(-err)), err;
	return wire(vm, devices, w, &blk->transport, &blk->kick_fd, 1, "blk", why, why_size);
}

/* A MAC the user did not give: locally administered, unicast, random. */
static void pick_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		memset(mac, 0x5a, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

static int open_tap(const struct config_net *c, char *why, size_t why_size)
{
	if (strncmp(c->tap, "fd:", 3))
		return tap_open(c->tap, why, why_size);
	int fd = atoi(c->tap + 3), err = tap_adopt(fd, why, why_size);
	return err ? err : fd;
}

static int create_net(struct virtio_setup *s, const struct config_net *c, struct vm *vm,
		      struct devices *devices, const struct boot_mmio_device *w, char *why, size_t why_size)
{
	struct virtio_net *net = &s->nets[s->net_count];
	char problem[256];
	int tap = open_tap(c, problem, sizeof(problem)), err;
	if (tap < 0)
		return snprintf(why, why_size, "net: %s", problem), VIRTIO_SETUP_BAD_INPUT;
	int irq = make_irq(vm, w, "net", why, why_size);
	if (irq < 0) {
		close(tap);
		return irq;
	}
	uint8_t mac[6];
	memcpy(mac, c->mac, 6);
	if (!memcmp(mac, "\0\0\0\0\0\0", 6))
		pick_mac(mac);
	struct virtio_net_limits limits = { c->rx_rate, c->rx_ops, c->tx_rate, c->tx_ops };
	if ((err = virtio_net_init(net, &vm->mem, tap, mac, &limits, irq))) {
		virtio_net_close(net);
		close(irq);
		return snprintf(why, why_size, "virtio-net: %s", strerror(-err)), err;
	}
	s->net_count++;
	if ((err = virtio_net_watch(net, &s->io)))
		return snprintf(why, why_size, "virtio-net: %s", strerror(-err)), err;
	int kicks[2] = { net->rx_kick_fd, net->tx_kick_fd };
	return wire(vm, devices, w, &net->transport, kicks, 2, "net", why, why_size);
}

static int create_vsock(struct virtio_setup *s, const struct config *c, struct vm *vm,
			struct devices *devices, const struct boot_mmio_device *w, char *why, size_t why_size)
{
	char problem[CONFIG_PATH_MAX + 64];
	int irq = make_irq(vm, w, "vsock", why, why_size), err;
	if (irq < 0)
		return irq;
	if ((err = virtio_vsock_init(&s->vsock, &vm->mem, c->vsock_cid ? c->vsock_cid : 3, c->vsock_path, irq,
				     problem, sizeof(problem)))) {
		virtio_vsock_close(&s->vsock);
		close(irq);
		snprintf(why, why_size, "vsock: %s", problem);
		return err == -ENOMEM ? err : VIRTIO_SETUP_BAD_INPUT;
	}
	s->has_vsock = true;
	if ((err = virtio_vsock_watch(&s->vsock, &s->io)))
		return snprintf(why, why_size, "virtio-vsock: %s", strerror(-err)), err;
	int kicks[3] = { s->vsock.rx_kick_fd, s->vsock.tx_kick_fd, s->vsock.event_kick_fd };
	return wire(vm, devices, w, &s->vsock.transport, kicks, 3, "vsock", why, why_size);
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
	for (unsigned i = 0; i < c->block_count && next < count; i++)
		if ((err = create_blk(s, &c->blocks[i], vm, devices, &windows[next++], why, why_size)))
			return err;
	for (unsigned i = 0; i < c->net_count && next < count; i++)
		if ((err = create_net(s, &c->nets[i], vm, devices, &windows[next++], why, why_size)))
			return err;
	if (c->vsock_path[0] && next < count && (err = create_vsock(s, c, vm, devices, &windows[next++], why, why_size)))
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
	for (unsigned i = 0; i < s->blk_count; i++) {
		virtio_blk_close(&s->blks[i]);
		close(s->blks[i].irq_fd);
	}
	for (unsigned i = 0; i < s->net_count; i++) {
		virtio_net_close(&s->nets[i]);
		close(s->nets[i].irq_fd);
	}
	if (s->has_vsock) {
		virtio_vsock_close(&s->vsock);
		close(s->vsock.irq_fd);
	}
	s->has_rng = s->has_vsock = false;
	s->blk_count = s->net_count = 0;
}

unsigned virtio_setup_blocks(const struct virtio_setup *s, const struct config *c, struct control_block *out)
{
	for (unsigned i = 0; i < s->blk_count; i++) {
		out[i] = (struct control_block){ .file = c->blocks[i].path, .serial = c->blocks[i].serial,
						 .read_only = c->blocks[i].read_only,
						 .direct = c->blocks[i].cache_none, .size = s->blks[i].sectors * 512,
						 .bps = c->blocks[i].rate, .iops = c->blocks[i].ops };
		snprintf(out[i].device, sizeof(out[i].device), "virtio%u", i);
	}
	return s->blk_count;
}

void virtio_setup_describe(void *devices, unsigned index, struct control_virtio *out)
{
	const struct devices *d = devices;
	struct virtio_mmio *t = d->virtio[index].transport;
	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "/machine/virtio-mmio@%llx/virtio-backend",
		 (unsigned long long)d->virtio[index].base);
	snprintf(out->name, sizeof(out->name), "virtio-%s", t->ops->name);
	out->device_id = t->ops->device_id;
	out->queues = t->ops->queue_count;
	pthread_mutex_lock(&t->lock);
	out->host_features = virtio_mmio_offered(t);
	out->guest_features = t->driver_features;
	out->status = t->status;
	out->queue_sel = t->queue_sel;
	out->broken = t->status & VIRTIO_STATUS_NEEDS_RESET;
	out->error = out->broken ? t->error : NULL;
	pthread_mutex_unlock(&t->lock);
	out->isr = atomic_load(&t->interrupt_status);
}
