/* snapshot_save (snapshot.h): a paused VM's state and memory into a
 * folder. Main thread; the device state is read on the I/O thread,
 * between two of its handlers, so no request is half done. */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_TEXT_MAX (128 * 1024)

static char start_dir[PATH_MAX];

void snapshot_init(void)
{
	if (!getcwd(start_dir, sizeof(start_dir)))
		start_dir[0] = 0;
}

/* A path the restoring process can use wherever it starts. */
static int make_absolute(char *path, size_t size)
{
	if (!path[0] || path[0] == '/')
		return 0;
	char joined[CONFIG_PATH_MAX];
	int n = snprintf(joined, sizeof(joined), "%s/%s", start_dir, path);
	if (!start_dir[0] || n < 0 || (size_t)n >= sizeof(joined) || (size_t)n >= size)
		return -ENAMETOOLONG;
	memcpy(path, joined, (size_t)n + 1);
	return 0;
}

/* The config the restored VM needs: MACs and the vsock CID as the guest
 * saw them, absolute paths, and no control socket (the restoring command
 * names its own). */
static int effective_config(const struct snapshot_source *src, struct config *c)
{
	*c = *src->config;
	/* Host-side choices are the restoring command's, not the VM's. */
	c->control[0] = 0;
	c->timings = false;
	c->paused = false;
	c->seccomp = 0;
	for (unsigned i = 0; i < src->virtio->net_count && i < c->net_count; i++)
		memcpy(c->nets[i].mac, src->virtio->nets[i].config, 6);
	if (src->virtio->has_vsock)
		c->vsock_cid = src->virtio->vsock.guest_cid;
	int err = make_absolute(c->kernel, sizeof(c->kernel)) | make_absolute(c->initrd, sizeof(c->initrd)) |
		  make_absolute(c->mem_path, sizeof(c->mem_path)) | make_absolute(c->vsock_path, sizeof(c->vsock_path));
	for (unsigned i = 0; i < c->block_count; i++)
		err |= make_absolute(c->blocks[i].path, sizeof(c->blocks[i].path));
	return err ? -ENAMETOOLONG : 0;
}

static int put_config(struct snapshot_writer *w, const struct config *c)
{
	char *text = malloc(CONFIG_TEXT_MAX);
	if (!text)
		return -ENOMEM;
	int len = config_write(c, text, CONFIG_TEXT_MAX);
	if (len >= 0)
		snapshot_put(w, SNAP_CONFIG, 0, text, (uint64_t)len);
	free(text);
	return len < 0 ? len : 0;
}

static int put_vcpus(struct snapshot_writer *w, struct vm *vm, char *why)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_state s;
		int err = vcpu_state_save(&vm->vcpus[i], &s, why);
		if (err)
			return err;
		snapshot_put(w, SNAP_VCPU_CPUID, i, s.cpuid, s.cpuid_count * sizeof(s.cpuid[0]));
		snapshot_put(w, SNAP_VCPU_MP_STATE, i, &s.mp_state, sizeof(s.mp_state));
		snapshot_put(w, SNAP_VCPU_REGS, i, &s.regs, sizeof(s.regs));
		snapshot_put(w, SNAP_VCPU_SREGS, i, &s.sregs, sizeof(s.sregs));
		snapshot_put(w, SNAP_VCPU_XSAVE, i, s.xsave, s.xsave_size);
		snapshot_put(w, SNAP_VCPU_XCRS, i, &s.xcrs, sizeof(s.xcrs));
		snapshot_put(w, SNAP_VCPU_DEBUGREGS, i, &s.debugregs, sizeof(s.debugregs));
		snapshot_put(w, SNAP_VCPU_LAPIC, i, &s.lapic, sizeof(s.lapic));
		snapshot_put(w, SNAP_VCPU_MSRS, i, s.msrs, s.msr_count * sizeof(s.msrs[0]));
		snapshot_put(w, SNAP_VCPU_TSC_KHZ, i, &s.tsc_khz, sizeof(s.tsc_khz));
		snapshot_put(w, SNAP_VCPU_EVENTS, i, &s.events, sizeof(s.events));
		vcpu_state_free(&s);
	}
	return 0;
}

struct virtio_states {
	struct devices *devices;
	struct virtio_mmio_state states[DEVICES_VIRTIO_MAX];
};

static int read_virtio(void *opaque)
{
	struct virtio_states *v = opaque;
	for (unsigned i = 0; i < v->devices->virtio_count; i++)
		virtio_mmio_state_save(v->devices->virtio[i].transport, &v->states[i]);
	return 0;
}

static int put_devices(struct snapshot_writer *w, const struct snapshot_source *src, char *why)
{
	struct uart_state uart;
	struct i8042_state i8042;
	devices_state_save(src->devices, &uart, &i8042);
	snapshot_put(w, SNAP_UART, 0, &uart, sizeof(uart));
	snapshot_put(w, SNAP_I8042, 0, &i8042, sizeof(i8042));
	static struct virtio_states v;
	v.devices = src->devices;
	int err = src->virtio->io_made && src->virtio->io.running ? io_thread_call(&src->virtio->io, read_virtio, &v)
		: read_virtio(&v);
	if (err) {
		snprintf(why, SNAPSHOT_WHY_SIZE, "reading the virtio devices on the I/O thread: %s", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < src->devices->virtio_count; i++)
		snapshot_put(w, SNAP_VIRTIO, i, &v.states[i], sizeof(v.states[i]));
	return 0;
}

/* Everything but memory, into `w`. */
static int build_state(struct snapshot_writer *w, const struct snapshot_source *src, char *why)
{
	static struct config c;
	struct vm *vm = src->vm;
	if (effective_config(src, &c) || put_config(w, &c)) {
		snprintf(why, SNAPSHOT_WHY_SIZE, "the config: a path too long once made absolute");
		return -ENAMETOOLONG;
	}
	struct snapshot_memory m = { vm->mem.size, (uint32_t)c.mem_backend, c.mem_backend != MEM_BACKEND_FILE };
	snapshot_put(w, SNAP_MEMORY, 0, &m, sizeof(m));
	snapshot_put(w, SNAP_CPU_FEATURES, 0, vm->cpu.features, sizeof(vm->cpu.features));
	struct vm_state s;
	int err = vm_state_save(vm, &s, why);
	if (err)
		return err;
	snapshot_put(w, SNAP_VM_CLOCK, 0, &s.clock, sizeof(s.clock));
	snapshot_put(w, SNAP_VM_PIT, 0, &s.pit, sizeof(s.pit));
	for (uint32_t chip = 0; chip < VM_IRQCHIPS; chip++)
		snapshot_put(w, SNAP_VM_IRQCHIP, chip, &s.irqchips[chip], sizeof(s.irqchips[chip]));
	if ((err = put_vcpus(w, vm, why)) || (err = put_devices(w, src, why)))
		return err;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/* DIR/NAME.tmp written by `fill`, synced, renamed to DIR/NAME. */
static int write_file(int dir, const char *name, int (*fill)(int fd, const void *ctx), const void *ctx)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int err = fill(fd, ctx);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat(dir, tmp, dir, name))
		err = -errno;
	if (err)
		unlinkat(dir, tmp, 0);
	return err;
}

static int fill_state(int fd, const void *ctx)
{
	const struct snapshot_writer *w = ctx;
	return write_all(fd, w->buf, w->len);
}

static int fill_memory(int fd, const void *ctx)
{
	const struct vm *vm = ctx;
	return guest_mem_save(&vm->mem, fd, vm->poisoned, vm->poisoned_count);
}

static int open_folder(const char *dir, char *why)
{
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = -errno;
		snprintf(why, SNAPSHOT_WHY_SIZE, "%s: %s", dir, strerror(-err));
		return err;
	}
	/* openat, not open: musl's open adds an fcntl for O_CLOEXEC. */
	int fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(why, SNAPSHOT_WHY_SIZE, "%s: %s", dir, strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* Memory first, after the old state file is gone: a folder never pairs a
 * state file with memory from another moment. */
static int write_files(int folder, const struct snapshot_source *src, const struct snapshot_writer *w,
		       const char *dir, char *why)
{
	const char *name = SNAPSHOT_STATE_FILE;
	int err = unlinkat(folder, name, 0) && errno != ENOENT ? -errno : 0;
	const struct guest_mem *mem = &src->vm->mem;
	if (!err && mem->backend == MEM_BACKEND_FILE)
		err = fsync(mem->fd) ? -errno : 0;  /* the RAM is that file: make it last */
	else if (!err && (name = SNAPSHOT_MEMORY_FILE))
		err = write_file(folder, name, fill_memory, src->vm);
	if (!err && (name = SNAPSHOT_STATE_FILE))
		err = write_file(folder, name, fill_state, w);
	if (!err && (name = ".") && fsync(folder))
		err = -errno;
	if (err)
		snprintf(why, SNAPSHOT_WHY_SIZE, "%s/%s: %s", dir, name, strerror(-err));
	return err;
}

int snapshot_save(const struct snapshot_source *src, const char *dir, char *why)
{
	if (vm_run_state(src->vm) != VM_PAUSED) {
		snprintf(why, SNAPSHOT_WHY_SIZE, "the VM must be paused first (stop)");
		return -EBUSY;
	}
	struct snapshot_writer w;
	snapshot_writer_init(&w);
	int err = build_state(&w, src, why);
	if (!err && (err = snapshot_writer_finish(&w)))
		snprintf(why, SNAPSHOT_WHY_SIZE, "the state: %s", strerror(-err));
	int folder = err ? err : open_folder(dir, why);
	if (folder >= 0) {
		err = write_files(folder, src, &w, dir, why);
		close(folder);
	}
	snapshot_writer_free(&w);
	return folder < 0 ? folder : err;
}
