/* The KVM VM: capabilities, in-kernel irqchip, and stopping. */
#include "cpu.h"

#include "host.h"
#include "../timings.h"

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
	{ KVM_CAP_PIT2, "in-kernel PIT" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit (for kicks)" },
	{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	{ KVM_CAP_EXT_CPUID, "KVM_GET_SUPPORTED_CPUID" },
	{ KVM_CAP_IRQFD, "irqfd (device interrupts)" },
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

static int check_cpus(struct vm *vm, unsigned cpus, char *why)
{
	int max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && cpus > (unsigned)max) {
		snprintf(why, CPU_WHY_SIZE, "cpus = %u: KVM allows at most %d vCPUs", cpus, max);
		return -ERANGE;  /* the user's input, not a host failure */
	}
	/* Sparse topologies use APIC ids beyond cpus - 1; KVM caps those too. */
	uint32_t top_apic_id = cpu_topology_apic_id(&vm->topology, cpus - 1);
	int max_id = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	if (max_id > 0 && top_apic_id >= (unsigned)max_id) {
		snprintf(why, CPU_WHY_SIZE, "cpus = %u: APIC id %u is beyond KVM's limit %d",
			 cpus, top_apic_id, max_id - 1);
		return -ERANGE;
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

static void print_warning(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "sprig: warning: %s\n", message);
}

/* Before KVM_CREATE_VM: a spec that cannot parse fails fast. */
static int parse_cpu_config(struct vm *vm, const struct vm_cpu_config *c, struct cpu_spec *spec,
			    char *why)
{
	char error[CPUID_MODEL_ERROR_SIZE];
	if (cpu_topology_init(&vm->topology, c->cpus, c->threads_per_core, c->cores)) {
		snprintf(why, CPU_WHY_SIZE, "cpus = %u is not a whole number of packages of %u "
			 "cores x %u threads", c->cpus, c->cores ? c->cores : c->cpus,
			 c->threads_per_core ? c->threads_per_core : 1);
		return -EINVAL;
	}
	if (cpu_spec_parse(spec, c->model, error, sizeof(error))) {
		snprintf(why, CPU_WHY_SIZE, "%s", error);
		return -EINVAL;
	}
	int err = cpu_host_probe(vm->kvm_fd, &vm->host);
	if (err) {
		snprintf(why, CPU_WHY_SIZE, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-err));
		return err == -EINVAL ? -EIO : err;
	}
	return 0;
}

/* vCPU 0 exists but has not run: what it showed (cpu/host.c) is known. */
static int build_cpu_model(struct vm *vm, const struct cpu_spec *spec, const struct vm_cpu_config *c, char *why)
{
	char error[CPUID_MODEL_ERROR_SIZE];
	int err = cpuid_model_build(&vm->cpu, &vm->host, spec, &vm->topology, c->enforce,
				    c->quiet ? NULL : print_warning, NULL, error);
	if (err)
		snprintf(why, CPU_WHY_SIZE, "%s", err == -ENOMEM ? "out of memory" : error);
	return err;
}

/* The model hides the PMU from CPUID; where KVM can, switch it off too so
 * the guest cannot reach it through MSRs it was never told about. Before
 * any vCPU exists, as KVM requires. */
static void disable_pmu(struct vm *vm, const struct cpu_spec *spec)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PMU_CAPABILITY };
	cap.args[0] = KVM_PMU_CAP_DISABLE;
	if (!cpu_spec_pmu(spec) && ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PMU_CAPABILITY) > 0 &&
	    ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		/* Best effort: CPUID already hides it. */
	}
}

static int alloc_vcpus(struct vm *vm, unsigned cpus, char *why)
{
	vm->nr_vcpus = cpus;
	vm->vcpus = calloc(cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		snprintf(why, CPU_WHY_SIZE, "out of memory for %u vCPUs", cpus);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cpus; i++) {
		vm->vcpus[i].fd = -1;
		pthread_mutex_init(&vm->vcpus[i].mce.lock, NULL);
	}
	return 0;
}

/* Guest memory is registered before the irqchip and any vCPU exist: KVM
 * then has no vCPU or irqchip state to update for the new slots, and on
 * some hosts the call costs a tenth (REFERENCE: 0.15-0.7 ms against
 * 4.6-7.7 ms on kvm-pvm), as Firecracker orders it too. */
static int create_vm_and_memory(struct vm *vm, unsigned cpus, char *why)
{
	TRY(vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
	int err = check_cpus(vm, cpus, why);
	if (err)
		return err;
	timings_mark("KVM_CREATE_VM");
	if ((err = guest_mem_register(&vm->mem, vm->vm_fd))) {
		snprintf(why, CPU_WHY_SIZE, "guest memory: KVM_SET_USER_MEMORY_REGION: %s", strerror(-err));
		return err == -EINVAL || err == -ERANGE ? -EIO : err;  /* the host's, not the user's */
	}
	timings_mark("memory slots");
	return 0;
}

static int create_irqchip(struct vm *vm, const struct cpu_spec *spec, char *why)
{
	/* Before any vCPU exists, as KVM requires. */
	TRY(ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_GPA), "KVM_SET_TSS_ADDR");
	uint64_t identity = IDENTITY_MAP_GPA;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
		TRY(ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity), "KVM_SET_IDENTITY_MAP_ADDR");
	TRY(ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	/* The PC's timer, in the kernel as the irqchip is: Linux checks that
	 * IRQ0 reaches the IOAPIC before it trusts it. The speaker port stays
	 * a dummy, as in Firecracker. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	TRY(ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2");
	TRY(ioctl(vm->vm_fd, KVM_GET_PIT2, &vm->pit_at_power_on), "KVM_GET_PIT2");
	disable_pmu(vm, spec);
	timings_mark("irqchip");
	return 0;
}

/* What a snapshot needs later from /dev/kvm, which closes before the
 * guest runs: the MSRs KVM saves and the XSAVE area's size. */
static int read_snapshot_facts(struct vm *vm, char *why)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		TRY(-1, "KVM_GET_MSR_INDEX_LIST");
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + (probe.nmsrs + 1) * sizeof(uint32_t));
	if (!list) {
		snprintf(why, CPU_WHY_SIZE, "out of memory for the MSR list");
		return -ENOMEM;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		TRY(-1, "KVM_GET_MSR_INDEX_LIST");
	}
	vm->msr_indices = malloc((list->nmsrs + 1) * sizeof(uint32_t));
	if (vm->msr_indices)
		memcpy(vm->msr_indices, list->indices, list->nmsrs * sizeof(uint32_t));
	vm->msr_index_count = vm->msr_indices ? list->nmsrs : 0;
	free(list);
	int xsave2 = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	vm->xsave_size = xsave2 > (int)sizeof(struct kvm_xsave) ? (uint32_t)xsave2 : sizeof(struct kvm_xsave);
	return 0;
}

int vm_create(struct vm *vm, const struct vm_cpu_config *c, char *why)
{
	unsigned cpus = c->cpus;
	struct cpu_spec spec;
	vm->kvm_fd = vm->vm_fd = vm->mailbox[0] = vm->mailbox[1] = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->paused_cond, NULL);
	pthread_cond_init(&vm->resume_cond, NULL);
	vm->run_state = VM_RUNNING;
	TRY(vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), "/dev/kvm");
	int err = check_kvm(vm, why);
	if (!err)
		err = parse_cpu_config(vm, c, &spec, why);
	if (err)
		return err;
	timings_mark("host CPUID");
	if ((err = create_vm_and_memory(vm, cpus, why)) || (err = create_irqchip(vm, &spec, why)))
		return err;
	TRY(vm_mailbox_init(vm), "pipe");
	if ((err = read_snapshot_facts(vm, why)))
		return err;
	if ((err = alloc_vcpus(vm, cpus, why)))
		return err;
	/* vCPU 0's APIC id is 0 in every topology. */
	TRY(vm->vcpus[0].fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0ul), "vCPU 0: KVM_CREATE_VCPU");
	cpu_host_check_vcpu(&vm->host, vm->vcpus[0].fd);
	timings_mark("vCPU 0");
	err = build_cpu_model(vm, &spec, c, why);
	timings_mark("CPU model");
	return err;
}

/* Device interrupts are eventfds the kernel turns into a pulse on `gsi`
 * (edge-triggered ISA lines), so a vCPU thread raising one makes a write,
 * not an ioctl on the VM. */
int vm_irqfd(struct vm *vm, unsigned gsi)
{
	if (vm->irqfd_count == VM_IRQFDS_MAX)
		return -ENOSPC;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	vm->irqfds[vm->irqfd_count].fd = fd;
	vm->irqfds[vm->irqfd_count++].gsi = gsi;
	return fd;
}

int vm_ioeventfd(struct vm *vm, uint64_t gpa, unsigned len, uint64_t datamatch, int fd)
{
	struct kvm_ioeventfd e = { .datamatch = datamatch, .addr = gpa, .len = len, .fd = fd,
				   .flags = KVM_IOEVENTFD_FLAG_DATAMATCH };
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

bool vm_request_reset(struct vm *vm)
{
	if (!vm->restart_on_reset || atomic_load(&vm->stop_requested))
		return false;
	atomic_store(&vm->pause_requested, true);  /* this vCPU parks at once */
	vm_post(vm, VM_MESSAGE_RESET, 0, 0);
	return true;
}

void vm_request_stop(void *opaque, int exit_status, const char *reason)
{
	struct vm *vm = opaque;
	if (!strcmp(reason, "guest-reset") && vm_request_reset(vm))
		return;
	if (atomic_exchange(&vm->stop_requested, true))
		return;
	vm->exit_status = exit_status;
	vm->stop_reason = reason;
	/* The main thread owns the stop: a vCPU thread must not join itself. */
	vm_post(vm, VM_MESSAGE_WAKE, 0, 0);
}

void vm_close_kvm(struct vm *vm)
{
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->kvm_fd = -1;
}
