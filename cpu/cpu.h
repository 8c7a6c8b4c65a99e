/* The KVM VM and its vCPUs: creation, CPUID, boot registers, one thread per
 * vCPU running KVM_RUN, signal-based kicks, stopping. */
#ifndef SPRIG_CPU_H
#define SPRIG_CPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../boot/boot.h"
#include "../devices/devices.h"
#include "../mem/mem.h"
#include "cpuid_model.h"
#include "topology.h"

/* Kicks use SIGUSR1, as QEMU's SIG_IPI does. */
#define SIG_IPI SIGUSR1
#define CPU_WHY_SIZE 768

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	uint32_t apic_id;       /* also its KVM vCPU id */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	pid_t tid;
};

struct vm {
	int kvm_fd, vm_fd;
	size_t run_size;
	struct guest_mem mem;
	struct devices *devices;
	struct cpu_host host;       /* what KVM offers, read once */
	struct cpu_template cpu;    /* what every vCPU is given */
	struct cpu_topology topology;
	unsigned nr_vcpus;
	struct vcpu *vcpus;
	atomic_bool stopping;       /* vCPU threads leave KVM_RUN and return */
	atomic_bool stop_requested; /* the first request sets exit_status */
	int exit_status;
	const char *stop_reason;
	int wake_fd;                /* eventfd: wakes the main thread */
	_Atomic uint64_t first_run_ns;
};

struct vm_cpu_config {
	unsigned cpus, threads_per_core, cores;  /* 0: not given */
	const char *model;                       /* `cpu = ...`, already checked */
	bool enforce;                            /* cpu-check = enforce */
};

/* Open /dev/kvm, check the capabilities sprig relies on, build the CPU
 * model (warnings to stderr), create the VM with its in-kernel irqchip.
 * Sets `why` on failure; -ERANGE and -EINVAL mean the user's input
 * (too many vCPUs, a topology that does not add up, enforce failed). */
int vm_create(struct vm *vm, const struct vm_cpu_config *config, char *why);

/* Create the vCPUs and put vCPU 0 at the kernel's entry; the others wait
 * for INIT/SIPI from the guest, as on a PC. */
int vm_create_vcpus(struct vm *vm, const struct boot_kernel *kernel, char *why);

/* Start one thread per vCPU. */
int vm_start_vcpus(struct vm *vm);

/* Ask the VM to stop with this exit status; safe from any thread and from
 * a vCPU thread (the main thread completes the stop). First caller wins. */
void vm_request_stop(void *vm, int exit_status, const char *reason);

/* From the main thread: make every vCPU thread return and join it. */
void vm_stop_vcpus(struct vm *vm);

void vm_destroy(struct vm *vm);

/* Install the SIG_IPI handler. Call once before any vCPU thread starts. */
int cpu_signals_init(void);

/* Make the vCPU leave KVM_RUN promptly, also when halted or spinning. */
void vcpu_kick(struct vcpu *vcpu);

/* Register and segment dump of a vCPU, after `what` went wrong. */
void vcpu_dump(struct vcpu *vcpu, const char *what);

/* Private to cpu/, shared between its files. */
int vcpu_set_cpuid(struct vcpu *vcpu);
int vcpu_set_boot_msrs(struct vcpu *vcpu);
int vcpu_set_boot_regs(struct vcpu *vcpu, const struct boot_kernel *kernel);
int vcpu_set_lapic_lint(struct vcpu *vcpu);
int vcpu_set_fpu(struct vcpu *vcpu);
void *vcpu_thread(void *arg);
void vcpu_kick_arm(struct vcpu *vcpu);

#endif
