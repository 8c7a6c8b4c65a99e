/* vCPU creation and the vCPU thread: KVM_RUN, exits dispatched to devices/,
 * everything fatal ends the VM with a register dump. No allocation here. */
#include "cpu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../seccomp/seccomp_filters.h"
#include "../vmm.h"

static int create_vcpu(struct vm *vm, unsigned index, const struct boot_kernel *kernel, char *why)
{
	struct vcpu *v = &vm->vcpus[index];
	v->vm = vm;
	v->index = index;
	v->apic_id = cpu_topology_apic_id(&vm->topology, index);
	/* vm_create made vCPU 0 already, to learn what the host allows. */
	if (v->fd < 0)
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->apic_id);
	const char *step = "KVM_CREATE_VCPU";
	char msr_step[48];
	uint32_t refused = 0;
	int err = v->fd < 0 ? -errno : 0;
	if (!err) {
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			err = -errno, step = "mmap kvm_run";
		}
	}
	/* Before KVM_SET_CPUID2, as QEMU does. */
	if (!err && (err = vcpu_setup_mce(v)))
		step = "KVM_X86_SETUP_MCE";
	if (!err && (err = vcpu_set_cpuid(v)))
		step = "KVM_SET_CPUID2";
	if (!err && (err = vcpu_set_boot_msrs(v, &refused))) {
		snprintf(msr_step, sizeof(msr_step), "KVM_SET_MSRS (boot MSR %#x)", refused);
		step = msr_step;
	}
	if (!err && (err = vcpu_set_lapic_lint(v)))
		step = "KVM_SET_LAPIC";
	if (!err && (err = vcpu_set_fpu(v)))
		step = "KVM_SET_FPU";
	/* Only the BSP starts at the kernel; APs wait in-kernel for SIPI. */
	if (!err && index == 0 && (err = vcpu_set_boot_regs(v, kernel)))
		step = "boot registers";
	if (err)
		snprintf(why, CPU_WHY_SIZE, "vCPU %u: %s: %s", index, step, strerror(-err));
	return err;
}

int vm_create_vcpus(struct vm *vm, const struct boot_kernel *kernel, char *why)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int err = create_vcpu(vm, i, kernel, why);
		if (err)
			return err;
	}
	return 0;
}

static void fatal_exit(struct vcpu *v, const char *what, int status)
{
	devices_flush(v->vm->devices);  /* the guest's last words first */
	vcpu_dump(v, what);
	vm_request_stop(v->vm, status, "guest-panic");
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	/* KVM put the data inside the shared kvm_run page; check anyway, the
	 * offset comes from a structure the guest's actions shape. */
	size_t bytes = (size_t)run->io.size * run->io.count;
	if (run->io.data_offset > v->vm->run_size || bytes > v->vm->run_size - run->io.data_offset)
		return;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	for (uint32_t i = 0; i < run->io.count; i++)
		devices_pio(v->vm->devices, run->io.port, data + i * run->io.size, run->io.size, write);
}

/* Returns false when this vCPU must stop running. */
static bool handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(v->vm, SPRIG_EXIT_OK, "guest-shutdown");
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		if (vm_request_reset(v->vm))
			return true;
		vm_request_stop(v->vm, SPRIG_EXIT_OK, "guest-reset");
		return false;
	default:
		fatal_exit(v, "guest crash (KVM_SYSTEM_EVENT_CRASH)", SPRIG_EXIT_KVM_ERROR);
		return false;
	}
}

/* Returns false when this vCPU must stop running. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[96];
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		devices_mmio(v->vm->devices, run->mmio.phys_addr, run->mmio.data,
			     run->mmio.len > 8 ? 8 : run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		fatal_exit(v, "triple fault (KVM_EXIT_SHUTDOWN)", SPRIG_EXIT_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(v);
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error, suberror %u%s", run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "");
		fatal_exit(v, what, SPRIG_EXIT_KVM_ERROR);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		fatal_exit(v, what, SPRIG_EXIT_KVM_ERROR);
		return false;
	default:
		snprintf(what, sizeof(what), "unhandled KVM exit reason %u", run->exit_reason);
		fatal_exit(v, what, SPRIG_EXIT_KVM_ERROR);
		return false;
	}
}

/* A kick made KVM_RUN return: note when, for the kick-latency bench. */
static void note_kick_seen(struct vcpu *v)
{
	uint64_t sent = atomic_load(&v->kick_ns);
	if (sent && atomic_load(&v->kick_seen_ns) < sent)
		atomic_store(&v->kick_seen_ns, devices_now_ns());
}

static bool vcpu_may_run(struct vm *vm)
{
	/* Once a stop is requested (a reset, say) the guest must not run on. */
	return !atomic_load(&vm->stopping) && !atomic_load(&vm->stop_requested);
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	atomic_store(&v->tid, (pid_t)syscall(SYS_gettid));
	vcpu_kick_arm(v);
	/* Before the first KVM_RUN: from here on the guest drives this thread. */
	int err = filter_install(FILTER_VCPU);
	if (err) {
		fprintf(stderr, "sprig: vCPU %u: loading its seccomp filter: %s\n", v->index, strerror(-err));
		vm_request_stop(vm, SPRIG_EXIT_HOST, "host-error");
	}
	while (!err && vcpu_may_run(vm)) {
		vcpu_wait_while_paused(v);
		if (!vcpu_may_run(vm))
			break;
		vcpu_raise_requested_fault(v);
		vcpu_inject_pending_mce(v);
		if (v->index == 0 && !atomic_load(&vm->first_run_ns))
			atomic_store(&vm->first_run_ns, devices_now_ns());
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				note_kick_seen(v);
				v->run->immediate_exit = 0;
				continue;
			}
			char what[96];
			snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(errno));
			fatal_exit(v, what, SPRIG_EXIT_KVM_ERROR);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	vcpu_thread_exiting(v);
	return NULL;
}

int vm_start_vcpus(struct vm *vm)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	/* vCPU threads need little stack; keep the VMM's footprint small. */
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->live_threads++;  /* before it runs: a pause must wait for it */
		pthread_mutex_unlock(&vm->lock);
		int err = pthread_create(&vm->vcpus[i].thread, &attr, vcpu_thread, &vm->vcpus[i]);
		if (err) {
			pthread_mutex_lock(&vm->lock);
			vm->live_threads--;
			pthread_mutex_unlock(&vm->lock);
			pthread_attr_destroy(&attr);
			return -err;
		}
		vm->vcpus[i].thread_started = true;
	}
	pthread_attr_destroy(&attr);
	return 0;
}
