/* Telling the guest: each vCPU thread injects its own machine checks
 * (KVM_X86_SET_MCE is a vCPU ioctl and would wait for KVM_RUN to return
 * if another thread called it). The main thread only queues AO errors on
 * vCPU 0 and kicks it. Every outcome is a MEMORY_FAILURE event. */
#include "cpu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../vmm.h"
#include "mce_bits.h"

static void post_failure(struct vm *vm, bool guest, bool required, bool recursive,
			 enum mce_action action)
{
	uint32_t flags = (guest ? VM_MF_GUEST : 0) | (required ? VM_MF_REQUIRED : 0) |
			 (recursive ? VM_MF_RECURSIVE : 0) | (uint32_t)action << VM_MF_ACTION_SHIFT;
	vm_post(vm, VM_MESSAGE_MEMORY_FAILURE, flags, 0);
}

static void record_poisoned(struct vm *vm, uint64_t page)
{
	pthread_mutex_lock(&vm->lock);
	bool known = false;
	for (unsigned i = 0; i < vm->poisoned_count && !known; i++)
		known = vm->poisoned[i] == page;
	if (!known && vm->poisoned_count < VM_POISON_MAX)
		vm->poisoned[vm->poisoned_count++] = page;
	pthread_mutex_unlock(&vm->lock);
}

/* KVM turns a machine check into a triple fault when the guest cannot
 * take one (CR4.MCE clear) or is still handling the last (MCG_STATUS.MCIP):
 * say so first, so the register dump that follows is understood. */
static bool guest_can_take_mce(struct vcpu *v, bool *recursive)
{
	struct { struct kvm_msrs head; struct kvm_msr_entry entry; } msrs;
	memset(&msrs, 0, sizeof(msrs));
	msrs.head.nmsrs = 1;
	msrs.entry.index = MSR_IA32_MCG_STATUS;
	struct kvm_sregs sregs;
	*recursive = ioctl(v->fd, KVM_GET_MSRS, &msrs) == 1 && (msrs.entry.data & MCG_STATUS_MCIP);
	bool cr4_mce = ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0 && (sregs.cr4 & (1u << 6));
	if (*recursive || !cr4_mce)
		fprintf(stderr, "sprig: vCPU %u: machine check while %s: the guest CPU shuts down "
			"(triple fault), as a real one does\n", v->index,
			*recursive ? "the previous one is still being handled (MCG_STATUS.MCIP)"
				   : "the guest has not enabled machine checks (CR4.MCE clear)");
	return !*recursive && cr4_mce;
}

static void fatal_no_mce(struct vcpu *v, uint64_t gpa)
{
	struct vm *vm = v->vm;
	fprintf(stderr, "sprig: vCPU %u: action-required memory error at guest page 0x%llx, and the "
		"CPU model %s: the guest cannot be told, so it stops\n", v->index, (unsigned long long)gpa,
		vm->mcg_cap ? "lacks MCG_SER_P (recoverable errors)" : "has no machine checks (mce, mca)");
	post_failure(vm, false, true, false, MCE_ACTION_FATAL);
	vm_request_stop(vm, SPRIG_EXIT_MEMORY_ERROR, "host-error");
}

static void inject(struct vcpu *v, uint64_t gpa, bool action_required)
{
	struct vm *vm = v->vm;
	record_poisoned(vm, gpa);
	/* SER_P is Intel's flag for recoverable errors; AMD CPUs never set it
	 * (nor does KVM on AMD) and mark recoverable errors with POISON in
	 * the bank instead, so an AMD model takes them without it. */
	if (!vm->mcg_cap || (!vm->amd_mce && !(vm->mcg_cap & MCG_SER_P))) {
		if (action_required)
			fatal_no_mce(v, gpa);
		else
			post_failure(vm, false, false, false, MCE_ACTION_IGNORE);
		return;
	}
	bool recursive;
	bool ok = guest_can_take_mce(v, &recursive);
	struct kvm_x86_mce error = mce_memory_error(vm->amd_mce, action_required, gpa);
	if (ioctl(v->fd, KVM_X86_SET_MCE, &error) < 0) {
		fprintf(stderr, "sprig: vCPU %u: KVM_X86_SET_MCE: %s\n", v->index, strerror(errno));
		post_failure(vm, false, action_required, recursive, MCE_ACTION_FATAL);
		vm_request_stop(vm, SPRIG_EXIT_MEMORY_ERROR, "host-error");
		return;
	}
	post_failure(vm, true, action_required, recursive, ok ? MCE_ACTION_INJECT : MCE_ACTION_RESET);
	if (!vm->mce_broadcast)
		return;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *other = &vm->vcpus[i];
		if (other == v || !other->thread_started)
			continue;
		pthread_mutex_lock(&other->mce.lock);
		other->mce.broadcast++;
		atomic_fetch_add(&other->mce.queued, 1);
		pthread_mutex_unlock(&other->mce.lock);
		vcpu_kick(other);
	}
}

static void inject_broadcast(struct vcpu *v)
{
	struct kvm_x86_mce error = mce_broadcast_error();
	bool recursive;
	if (guest_can_take_mce(v, &recursive) && ioctl(v->fd, KVM_X86_SET_MCE, &error) < 0)
		fprintf(stderr, "sprig: vCPU %u: KVM_X86_SET_MCE (broadcast): %s\n", v->index,
			strerror(errno));
}

void vcpu_inject_pending_mce(struct vcpu *v)
{
	if (v->mce.ar_pending) {
		uint64_t gpa = v->mce.ar_gpa;
		v->mce.ar_pending = 0;
		inject(v, gpa, true);
	}
	if (!atomic_load(&v->mce.queued))
		return;
	uint64_t pages[VCPU_MCE_QUEUE];
	pthread_mutex_lock(&v->mce.lock);
	unsigned count = v->mce.ao_count, broadcasts = (unsigned)v->mce.broadcast;
	memcpy(pages, v->mce.queue, count * sizeof(pages[0]));
	v->mce.ao_count = 0;
	v->mce.broadcast = 0;
	atomic_store(&v->mce.queued, 0);
	pthread_mutex_unlock(&v->mce.lock);
	for (unsigned i = 0; i < broadcasts; i++)
		inject_broadcast(v);
	for (unsigned i = 0; i < count; i++)
		inject(v, pages[i], false);
}

/* Main thread: an action-optional error. Guest RAM goes to vCPU 0, as in
 * QEMU; sprig's own memory cannot be fixed, but nothing touched it yet,
 * so the stop is clean. */
void mce_handle_ao(struct vm *vm, uint64_t addr)
{
	int64_t gpa = guest_mem_gpa(&vm->mem, (const void *)(uintptr_t)addr);
	if (gpa < 0) {
		fprintf(stderr, "sprig: action-optional memory error at host address 0x%llx outside guest "
			"RAM: sprig's own memory is poisoned, stopping\n", (unsigned long long)addr);
		post_failure(vm, false, false, false, MCE_ACTION_FATAL);
		vm_request_stop(vm, SPRIG_EXIT_MEMORY_ERROR, "host-error");
		return;
	}
	struct vcpu *v = &vm->vcpus[0];
	uint64_t page = (uint64_t)gpa & ~(MCE_PAGE_SIZE - 1);
	pthread_mutex_lock(&v->mce.lock);
	bool queued = v->mce.ao_count < VCPU_MCE_QUEUE;
	if (queued) {
		v->mce.queue[v->mce.ao_count++] = page;
		atomic_fetch_add(&v->mce.queued, 1);
	}
	pthread_mutex_unlock(&v->mce.lock);
	if (!queued) {
		/* The guest has not run to take the last sixteen: it learns of
		 * this page when it touches it (an AR error). */
		record_poisoned(vm, page);
		post_failure(vm, false, false, false, MCE_ACTION_IGNORE);
		return;
	}
	if (v->thread_started)
		vcpu_kick(v);
}

int mce_replace_poisoned(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	int err = 0;
	for (unsigned i = 0; i < vm->poisoned_count && !err; i++)
		err = guest_mem_replace_page(&vm->mem, vm->poisoned[i]);
	if (!err)
		vm->poisoned_count = 0;
	pthread_mutex_unlock(&vm->lock);
	return err;
}
