/* The KVM VM: capabilities, in-kernel irqchip, and stopping. */
#include "cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Intel needs three pages for the real-mode TSS and one for the EPT
 * identity map, somewhere no RAM or device lives (QEMU's addresses). */
#define TSS_GPA 0xfeffd000ul
#define IDENTITY_MAP_GPA 0xfeffc000ull

static const struct { long cap; const char *name; } required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user memory" },
	{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit (for kicks)" },
	{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	{ KVM_CAP_EXT_CPUID, "KVM_GET_SUPPORTED_CPUID" },
};

static int check_kvm(struct vm *vm, char *why)
{
	int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(why, CPU_WHY_SIZE, "/dev/kvm: API version %d, need %d", version, KVM_API_VERSION);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(why, CPU_WHY_SIZE, "/dev/kvm: KVM lacks %s", required_caps[i].name);
			return -ENOTSUP;
		}
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run)) {
		snprintf(why, CPU_WHY_SIZE, "/dev/kvm: bad vCPU mmap size %d", run_size);
		return -ENOTSUP;
	}
	vm->run_size = (size_t)run_size;
	return 0;
}

/* Fetch the CPUID KVM can offer once; every vCPU starts from it. */
static int get_supported_cpuid(struct vm *vm)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		int err = errno;
		free(c);
		if (err != E2BIG)
			return -err;
	}
	return -E2BIG;
}

static int check_cpus(struct vm *vm, unsigned cpus, char *why)
{
	int max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && cpus > (unsigned)max) {
		snprintf(why, CPU_WHY_SIZE, "cpus = %u: KVM allows at most %d vCPUs", cpus, max);
		return -ERANGE;  /* the user's input, not a host failure */
	}
	return 0;
}

#define TRY(call, what)                                                             \
	do {                                                                        \
		if ((call) < 0) {                                                   \
			int err_ = errno;                                           \
			snprintf(why, CPU_WHY_SIZE, "%s: %s", what, strerror(err_)); \
			return -err_;                                               \
		}                                                                   \
	} while (0)

int vm_create(struct vm *vm, unsigned cpus, char *why)
{
	vm->kvm_fd = vm->vm_fd = vm->wake_fd = -1;
	TRY(vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), "/dev/kvm");
	int err = check_kvm(vm, why);
	if (err)
		return err;
	TRY(vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
	if ((err = check_cpus(vm, cpus, why)))
		return err;
	/* Before any vCPU exists, as KVM requires. */
	TRY(ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_GPA), "KVM_SET_TSS_ADDR");
	uint64_t identity = IDENTITY_MAP_GPA;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
		TRY(ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity), "KVM_SET_IDENTITY_MAP_ADDR");
	TRY(ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	if ((err = get_supported_cpuid(vm))) {
		snprintf(why, CPU_WHY_SIZE, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-err));
		return err;
	}
	TRY(vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd");
	vm->nr_vcpus = cpus;
	vm->vcpus = calloc(cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		snprintf(why, CPU_WHY_SIZE, "out of memory for %u vCPUs", cpus);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cpus; i++)
		vm->vcpus[i].fd = -1;
	return 0;
}

void vm_request_stop(void *opaque, int exit_status, const char *reason)
{
	struct vm *vm = opaque;
	if (atomic_exchange(&vm->stop_requested, true))
		return;
	vm->exit_status = exit_status;
	vm->stop_reason = reason;
	uint64_t one = 1;
	/* The main thread owns the stop: a vCPU thread must not join itself. */
	if (write(vm->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow from one write; nothing to do. */
	}
}

void vm_stop_vcpus(struct vm *vm)
{
	atomic_store(&vm->stopping, true);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
}

void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	free(vm->cpuid);
	int fds[] = { vm->kvm_fd, vm->vm_fd, vm->wake_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	guest_mem_free(&vm->mem);
}
