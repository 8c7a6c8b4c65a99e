/* The control socket's view of the VM: control_ops over cpu/, and VM
 * events turned into QMP events. Main thread only. */
#include "vm_ops.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../devices/virtio/io_thread.h"
#include "../seccomp/seccomp_filters.h"
#include "../vmm.h"

static const char *status(void *opaque)
{
	static const char *const names[] = { "running", "paused", "shutdown" };
	return names[vm_run_state(opaque)];
}

static void stop(void *opaque)
{
	vm_stop(opaque);
}

static void cont(void *opaque)
{
	vm_resume(opaque);
}

static void quit(void *opaque)
{
	vm_request_stop(opaque, SPRIG_EXIT_OK, "host-qmp-quit");
}

static void reset(void *opaque)
{
	struct vm *vm = opaque;
	vm->on_reset(vm->reset_opaque, false);
}

static unsigned cpu_count(void *opaque)
{
	return ((struct vm *)opaque)->nr_vcpus;
}

/* vCPU indexes run threads fastest, then cores, then packages. */
static void cpu_info(void *opaque, unsigned index, struct control_cpu *out)
{
	struct vm *vm = opaque;
	const struct cpu_topology *t = &vm->topology;
	out->index = index;
	out->thread_id = atomic_load(&vm->vcpus[index].tid);
	out->thread_in_core = index % t->threads;
	out->core_id = index / t->threads % t->cores;
	out->socket_id = index / (t->threads * t->cores);
}

static int fault(void *opaque, unsigned index, uint64_t gpa, enum control_fault kind)
{
	static const enum vcpu_fault kinds[] = { VCPU_FAULT_SIGBUS_AR, VCPU_FAULT_SIGBUS_AO,
						 VCPU_FAULT_HWPOISON };
	return vcpu_request_fault(opaque, index, gpa, kinds[kind]);
}

static struct io_thread *io_thread;

static int forbidden_call(void *opaque)
{
	(void)opaque;
	return filter_forbidden_call();
}

void control_vm_set_io_thread(struct io_thread *io)
{
	io_thread = io;
}

static int forbidden_syscall(void *opaque, enum control_thread thread, unsigned index)
{
	if (thread == CONTROL_THREAD_VMM)
		return filter_forbidden_call();
	if (thread == CONTROL_THREAD_IO)
		return io_thread ? io_thread_call(io_thread, forbidden_call, NULL) : -ENOENT;
	return vcpu_request_fault(opaque, index, 0, VCPU_FAULT_FORBIDDEN_SYSCALL);
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* One kick, timed from pthread_kill to the vCPU seeing KVM_RUN return. */
static int time_one_kick(struct vcpu *v, uint64_t *ns)
{
	uint64_t sent = devices_now_ns();
	atomic_store(&v->kick_ns, sent);
	vcpu_kick(v);
	while (atomic_load(&v->kick_seen_ns) < sent) {
		if (devices_now_ns() - sent > 1000000000u)
			return -ETIMEDOUT;
		struct timespec nap = { 0, 1000 };
		nanosleep(&nap, NULL);
	}
	*ns = atomic_load(&v->kick_seen_ns) - sent;
	return 0;
}

static int kick_latency(void *opaque, unsigned index, unsigned count, struct control_latency *out)
{
	struct vm *vm = opaque;
	if (vm_run_state(vm) != VM_RUNNING || !vm->vcpus[index].thread_started)
		return -EAGAIN;
	uint64_t *samples = malloc(count * sizeof(*samples));
	if (!samples)
		return -ENOMEM;
	int err = 0;
	for (unsigned i = 0; i < count && !err; i++)
		err = time_one_kick(&vm->vcpus[index], &samples[i]);
	atomic_store(&vm->vcpus[index].kick_ns, 0);
	if (!err) {
		qsort(samples, count, sizeof(*samples), compare_u64);
		*out = (struct control_latency){ count, samples[0], samples[count / 2],
						 samples[count * 99 / 100],
						 samples[count - 1] };
	}
	free(samples);
	return err;
}

static int send_ctrl_alt_del(void *opaque)
{
	struct vm *vm = opaque;
	return devices_send_ctrl_alt_del(vm->devices);
}

/* The disks are the VMM's, not cpu/'s: vmm.c hands them over once made. */
static const struct control_block *disks;
static unsigned disk_count;

void control_vm_set_blocks(const struct control_block *blocks, unsigned count)
{
	disks = blocks;
	disk_count = count;
}

static unsigned block_count(void *opaque)
{
	(void)opaque;
	return disk_count;
}

static void block_info(void *opaque, unsigned index, struct control_block *out)
{
	(void)opaque;
	*out = disks[index];
}

static unsigned virtio_devices;
static void (*virtio_describe)(void *opaque, unsigned index, struct control_virtio *out);
static void *virtio_opaque;

void control_vm_set_virtio(unsigned count, void (*describe)(void *opaque, unsigned index, struct control_virtio *out),
			   void *opaque)
{
	virtio_devices = count;
	virtio_describe = describe;
	virtio_opaque = opaque;
}

static unsigned virtio_count(void *opaque)
{
	(void)opaque;
	return virtio_devices;
}

static void virtio_info(void *opaque, unsigned index, struct control_virtio *out)
{
	(void)opaque;
	virtio_describe(virtio_opaque, index, out);
}

static int (*snapshot_saver)(void *opaque, const char *path, char *why);
static void *snapshot_opaque;

void control_vm_set_snapshot(int (*save)(void *opaque, const char *path, char *why), void *opaque)
{
	snapshot_saver = save;
	snapshot_opaque = opaque;
}

static int snapshot_save(void *opaque, const char *path, char *why)
{
	(void)opaque;
	if (!snapshot_saver)
		return snprintf(why, CONTROL_WHY_SIZE, "not available"), -ENOTSUP;
	return snapshot_saver(snapshot_opaque, path, why);
}

const struct control_ops control_vm_ops = {
	status, stop, cont, quit, reset, cpu_count, cpu_info, fault, forbidden_syscall, kick_latency,
	send_ctrl_alt_del, block_count, block_info, virtio_count, virtio_info, snapshot_save,
};

void control_on_vm_event(void *opaque, const struct vm_event *e)
{
	static const char *const names[] = { "STOP", "RESUME", "SHUTDOWN", "MEMORY_FAILURE", "RESET" };
	char data[256];
	const char *payload = NULL;
	if (e->kind == VM_EVENT_SHUTDOWN || e->kind == VM_EVENT_RESET) {
		snprintf(data, sizeof(data), "{\"guest\": %s, \"reason\": \"%s\"}", e->guest ? "true" : "false",
			 e->reason);
		payload = data;
	} else if (e->kind == VM_EVENT_MEMORY_FAILURE) {
		snprintf(data, sizeof(data), "{\"recipient\": \"%s\", \"action\": \"%s\", \"flags\": "
			 "{\"action-required\": %s, \"recursive\": %s}}", e->recipient, e->action,
			 e->action_required ? "true" : "false", e->recursive ? "true" : "false");
		payload = data;
	}
	control_broadcast_event(opaque, names[e->kind], payload);
}
