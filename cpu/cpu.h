/* The KVM VM and its vCPUs: creation, CPUID, boot registers, one thread per
 * vCPU running KVM_RUN, signal-based kicks, stopping. */
#ifndef SPRIG_CPU_H
#define SPRIG_CPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
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

/* Machine checks waiting to be injected into one vCPU, by that vCPU's own
 * thread (KVM_X86_SET_MCE is a vCPU ioctl). `ar` is written by the SIGBUS
 * handler in that thread; the AO queue by the main thread, under `lock`. */
#define VCPU_MCE_QUEUE 16
struct vcpu_mce {
	volatile sig_atomic_t ar_pending;
	uint64_t ar_gpa;
	pthread_mutex_t lock;
	atomic_uint queued;              /* nonzero: look under the lock */
	unsigned ao_count;
	uint64_t queue[VCPU_MCE_QUEUE];  /* AO pages: guest-physical addresses */
	uint64_t broadcast;              /* bank 1 signals owed by others' errors */
};

struct vcpu {
	struct vm *vm;
	unsigned index;
	uint32_t apic_id;       /* also its KVM vCPU id */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	_Atomic pid_t tid;
	struct vcpu_mce mce;
	/* Test-only faults (x-sigbus, x-hwpoison), raised by the vCPU thread on
	 * itself: the kernel lets a thread queue machine-check siginfo only
	 * to itself, and MADV_HWPOISON signals the thread that calls it. */
	_Atomic unsigned fault_seq, fault_done;
	unsigned fault_kind;         /* enum vcpu_fault */
	uint64_t fault_addr;         /* host address */
	_Atomic int fault_result;
	_Atomic uint64_t kick_ns;    /* bench: when the last measured kick was sent */
	_Atomic uint64_t kick_seen_ns;  /* and when KVM_RUN returned after it */
};

/* Run states, as QMP's query-status names them. */
enum vm_run_state { VM_RUNNING, VM_PAUSED, VM_SHUTDOWN };

/* What the main thread tells the control socket. */
enum vm_event_kind { VM_EVENT_STOP, VM_EVENT_RESUME, VM_EVENT_SHUTDOWN, VM_EVENT_MEMORY_FAILURE,
		     VM_EVENT_RESET };
struct vm_event {
	enum vm_event_kind kind;
	const char *reason;          /* SHUTDOWN, RESET: a QMP ShutdownCause word */
	bool guest;                  /* SHUTDOWN, RESET: the guest asked for it */
	const char *recipient;       /* MEMORY_FAILURE: "guest" or "hypervisor" */
	const char *action;          /* "inject", "ignore", "fatal", "reset" */
	bool action_required, recursive;
};
typedef void vm_event_fn(void *opaque, const struct vm_event *event);

/* Devices learn about stop and resume here (the block layer drains on
 * stop). Called on the main thread with every vCPU paused (running false)
 * or about to resume (running true). */
typedef void vm_state_fn(void *opaque, bool running);
#define VM_NOTIFIERS_MAX 16

/* Main thread, every vCPU paused or about to be: boot the guest again in
 * place. `guest`: the guest asked (else the host, QMP system_reset). */
typedef void vm_reset_fn(void *opaque, bool guest);

#define VM_POISON_MAX 4096
#define VM_IRQFDS_MAX 8

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
	int mailbox[2];             /* pipe: records for the main thread */
	struct kvm_pit_state2 pit_at_power_on;  /* what a reset in place restores */
	struct { int fd; unsigned gsi; } irqfds[VM_IRQFDS_MAX];  /* undone first at teardown */
	unsigned irqfd_count;
	_Atomic uint64_t first_run_ns;
	uint32_t *msr_indices;      /* KVM_GET_MSR_INDEX_LIST, for snapshots */
	unsigned msr_index_count;
	uint32_t xsave_size;        /* a vCPU's XSAVE area: 4 KiB or KVM_CAP_XSAVE2's */

	/* Pausing (cpu/run_state.c). `lock` guards the counts and the state. */
	pthread_mutex_t lock;
	pthread_cond_t paused_cond;   /* a vCPU parked or left */
	pthread_cond_t resume_cond;   /* parked vCPUs wait here */
	atomic_bool pause_requested;
	unsigned paused_count, live_threads;
	enum vm_run_state run_state;
	struct { vm_state_fn *fn; void *opaque; } notifiers[VM_NOTIFIERS_MAX];
	unsigned notifier_count;
	vm_event_fn *on_event;
	void *event_opaque;
	bool restart_on_reset;      /* on-reboot = restart */
	vm_reset_fn *on_reset;      /* main thread: reload and reset the guest */
	void *reset_opaque;

	/* Machine checks (cpu/mce.c). */
	uint64_t mcg_cap;           /* 0: the model has no MCE/MCA, none set up */
	bool mce_broadcast;         /* Intel: an AR reaches every vCPU */
	bool amd_mce;               /* AMD bank encoding */
	unsigned poisoned_count;
	uint64_t poisoned[VM_POISON_MAX];  /* guest-physical pages, under `lock` */
};

struct vm_cpu_config {
	unsigned cpus, threads_per_core, cores;  /* 0: not given */
	const char *model;                       /* `cpu = ...`, already checked */
	bool enforce;                            /* cpu-check = enforce */
	bool quiet;                              /* no warning per feature removed (a restore checks itself) */
};

/* Open /dev/kvm, check the capabilities sprig relies on, create the VM,
 * register vm->mem (guest_mem_init done) as its memory slots, create the
 * in-kernel irqchip and vCPU 0, build the CPU model (warnings to stderr).
 * Sets `why` on failure; -ERANGE and -EINVAL mean the user's input
 * (too many vCPUs, a topology that does not add up, enforce failed). */
int vm_create(struct vm *vm, const struct vm_cpu_config *config, char *why);

/* Create the vCPUs and put vCPU 0 at the kernel's entry; the others wait
 * for INIT/SIPI from the guest, as on a PC. */
int vm_create_vcpus(struct vm *vm, const struct boot_kernel *kernel, char *why);

/* Start one thread per vCPU. */
int vm_start_vcpus(struct vm *vm);

/* Ask the VM to stop with this exit status; safe from any thread and from
 * a vCPU thread (the main thread completes the stop). First caller wins.
 * A "guest-reset" under on-reboot = restart becomes vm_request_reset. */
void vm_request_stop(void *vm, int exit_status, const char *reason);

/* From a vCPU thread: the guest reset itself. Under on-reboot = restart
 * this vCPU parks and the main thread restarts the guest (true); false
 * when sprig is to exit instead. */
bool vm_request_reset(struct vm *vm);

/* Main thread, every vCPU paused: power-on state for every vCPU and the
 * interrupt chips, the BSP at `kernel`'s entry (cpu/reset.c). */
int vm_reset(struct vm *vm, const struct boot_kernel *kernel);

/* Run control (cpu/run_state.c), QEMU's semantics. pause_all and
 * resume_all may be called from any thread but a vCPU's; vm_stop from a
 * vCPU thread is a request the main thread completes, elsewhere it pauses
 * every vCPU, runs the notifiers and emits STOP. vm_resume undoes it and
 * emits RESUME. Both do nothing when the VM is already in that state. */
void vm_pause_all(struct vm *vm);
void vm_resume_all(struct vm *vm);
void vm_stop(struct vm *vm);
void vm_resume(struct vm *vm);
enum vm_run_state vm_run_state(struct vm *vm);
int vm_add_state_notifier(struct vm *vm, vm_state_fn *fn, void *opaque);
void vm_set_event_handler(struct vm *vm, vm_event_fn *fn, void *opaque);
void vm_emit(struct vm *vm, const struct vm_event *event);

/* The main thread's mailbox: fixed-size records through a pipe, written
 * from any thread and from signal handlers (one write under PIPE_BUF is
 * atomic and async-signal-safe). */
enum vm_message_kind {
	VM_MESSAGE_WAKE,            /* look at stop_requested */
	VM_MESSAGE_STOP,            /* a vCPU asked for vm_stop */
	VM_MESSAGE_MEMORY_FAILURE,  /* emit the event: flags below */
	VM_MESSAGE_SIGBUS_AO,       /* action-optional poison at `addr` (host) */
	VM_MESSAGE_RESET,           /* the guest reset itself: restart it */
};
#define VM_MF_GUEST 1u       /* recipient guest (else hypervisor) */
#define VM_MF_REQUIRED 2u    /* action required */
#define VM_MF_RECURSIVE 4u
#define VM_MF_ACTION_SHIFT 4 /* then the action: enum mce_action */
enum mce_action { MCE_ACTION_INJECT, MCE_ACTION_IGNORE, MCE_ACTION_FATAL, MCE_ACTION_RESET };
struct vm_message {
	uint32_t kind;
	uint32_t flags;
	uint64_t addr;
};
int vm_mailbox_init(struct vm *vm);
void vm_post(struct vm *vm, uint32_t kind, uint32_t flags, uint64_t addr);
/* Main thread: handle every waiting record. */
void vm_mailbox_drain(struct vm *vm);

/* Machine checks (cpu/mce.c). mce_process_init before any guest code
 * runs: early kill and the SIGBUS handler. */
int mce_process_init(struct vm *vm);
int vcpu_setup_mce(struct vcpu *vcpu);
/* vCPU thread, before KVM_RUN: inject what is pending. */
void vcpu_inject_pending_mce(struct vcpu *vcpu);
/* Main thread: action-optional poison at host address `addr`. */
void mce_handle_ao(struct vm *vm, uint64_t addr);
/* Main thread, guest reset: fresh pages for the poisoned ones. */
int mce_replace_poisoned(struct vm *vm);
/* Test-only: vCPU `index` raises a real SIGBUS with machine-check siginfo
 * on itself (a gpa outside guest RAM is reported against a host address
 * outside it), or poisons the page with MADV_HWPOISON. Waits up to 2 s
 * for the vCPU; -EAGAIN while it is paused. */
/* Test-only faults (cpu/test_fault.c): the vCPU thread raises them on
 * itself. Returns the thread's result, -EAGAIN while paused. */
enum vcpu_fault { VCPU_FAULT_SIGBUS_AR, VCPU_FAULT_SIGBUS_AO, VCPU_FAULT_HWPOISON,
		  VCPU_FAULT_FORBIDDEN_SYSCALL };
int vcpu_request_fault(struct vm *vm, unsigned index, uint64_t gpa, enum vcpu_fault kind);
/* vCPU thread, at the top of its loop. */
void vcpu_raise_requested_fault(struct vcpu *vcpu);

/* From the main thread: make every vCPU thread return and join it. */
void vm_stop_vcpus(struct vm *vm);

/* Main thread, once a stop was requested: the SHUTDOWN event, every vCPU
 * thread joined, the notifiers told. */
void vm_shutdown(struct vm *vm);

/* /dev/kvm itself is needed only to set the VM up: close it before the
 * guest runs, so no thread the guest drives holds it. */
void vm_close_kvm(struct vm *vm);

/* An eventfd bound to interrupt line `gsi` (KVM_IRQFD): each write is one
 * edge. Returns the fd or -errno; the caller closes it, after vm_destroy. */
int vm_irqfd(struct vm *vm, unsigned gsi);

/* Bind eventfd `fd` to guest writes of `len` bytes of `datamatch` at
 * `gpa` (KVM_IOEVENTFD): KVM signals it in the kernel, the vCPU thread
 * never sees the write. 0 or -errno. */
int vm_ioeventfd(struct vm *vm, uint64_t gpa, unsigned len, uint64_t datamatch, int fd);

/* Main thread, after vm_shutdown. Takes the PIT's and the irqfds' hooks
 * out of the interrupt path before the VM fd is closed (cpu/teardown.c:
 * the kernel's own order costs a grace period more per hook). */
void vm_destroy(struct vm *vm);

/* Snapshots (cpu/state.c, cpu/state_load.c): what KVM holds for a vCPU
 * and for the VM, read and written in the orders KVM needs. Main thread,
 * every vCPU parked (or not started yet). `why` says which step failed. */
struct vcpu_state {
	struct kvm_mp_state mp_state;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	uint32_t tsc_khz;                 /* 0: KVM did not say */
	uint32_t xsave_size;
	void *xsave;
	unsigned msr_count;
	struct kvm_msr_entry *msrs;
	unsigned cpuid_count;
	struct kvm_cpuid_entry2 *cpuid;
};
int vcpu_state_save(struct vcpu *vcpu, struct vcpu_state *state, char *why);
int vcpu_state_load(struct vcpu *vcpu, const struct vcpu_state *state, char *why);
void vcpu_state_free(struct vcpu_state *state);

#define VM_IRQCHIPS 3  /* PIC master, PIC slave, IOAPIC: KVM's chip ids */
struct vm_state {
	struct kvm_clock_data clock;
	struct kvm_pit_state2 pit;
	struct kvm_irqchip irqchips[VM_IRQCHIPS];
};
int vm_state_save(struct vm *vm, struct vm_state *state, char *why);
int vm_state_load(struct vm *vm, const struct vm_state *state, char *why);

/* Install the SIG_IPI handler. Call once before any vCPU thread starts. */
int cpu_signals_init(void);

/* Make the vCPU leave KVM_RUN promptly, also when halted or spinning. */
void vcpu_kick(struct vcpu *vcpu);

/* Register and segment dump of a vCPU, after `what` went wrong. */
void vcpu_dump(struct vcpu *vcpu, const char *what);

/* Private to cpu/, shared between its files. */
int vcpu_set_cpuid(struct vcpu *vcpu);
int vcpu_set_boot_msrs(struct vcpu *vcpu, uint32_t *refused);
int vcpu_set_boot_regs(struct vcpu *vcpu, const struct boot_kernel *kernel);
int vcpu_set_lapic_lint(struct vcpu *vcpu);
int vcpu_set_fpu(struct vcpu *vcpu);
void *vcpu_thread(void *arg);
void vcpu_kick_arm(struct vcpu *vcpu);
/* The vCPU of the calling thread, NULL elsewhere. */
struct vcpu *vcpu_current(void);
/* vCPU thread, at the top of its loop: park while a pause is requested. */
void vcpu_wait_while_paused(struct vcpu *vcpu);
/* vCPU thread, leaving its loop for good. */
void vcpu_thread_exiting(struct vcpu *vcpu);

#endif
