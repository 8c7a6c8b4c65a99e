/* Test-only faults (QMP x-sigbus, x-hwpoison, x-seccomp-violation), each
 * raised by the chosen vCPU thread on itself at the top of its loop: the
 * kernel lets a thread queue machine-check siginfo only to itself,
 * MADV_HWPOISON signals the thread that calls it, and a seccomp filter is
 * the calling thread's own. */
#include "cpu.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../seccomp/seccomp_filters.h"
#include "mce_bits.h"

static char outside_ram;  /* x-sigbus: a host address that is not guest RAM */

static int raise_sigbus(struct vcpu *v)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGBUS;
	info.si_code = v->fault_kind == VCPU_FAULT_SIGBUS_AR ? BUS_MCEERR_AR : BUS_MCEERR_AO;
	info.si_addr = (void *)(uintptr_t)v->fault_addr;
	info.si_addr_lsb = 12;
	/* Delivered before the call returns: the handler runs right here. */
	return syscall(SYS_rt_tgsigqueueinfo, getpid(), v->tid, SIGBUS, &info) ? -errno : 0;
}

void vcpu_raise_requested_fault(struct vcpu *v)
{
	unsigned seq = atomic_load(&v->fault_seq);
	if (seq == atomic_load(&v->fault_done))
		return;
	int err = 0;
	if (v->fault_kind == VCPU_FAULT_HWPOISON) {
		/* Own the page first: an untouched one is the shared zero page. */
		volatile uint8_t *page = (volatile uint8_t *)(uintptr_t)v->fault_addr;
		*page = *page;
		if (madvise((void *)(uintptr_t)v->fault_addr, MCE_PAGE_SIZE, MADV_HWPOISON))
			err = -errno;
	} else if (v->fault_kind == VCPU_FAULT_FORBIDDEN_SYSCALL) {
		err = filter_forbidden_call();
	} else {
		err = raise_sigbus(v);
	}
	atomic_store(&v->fault_result, err);
	atomic_store(&v->fault_done, seq);
}

int vcpu_request_fault(struct vm *vm, unsigned index, uint64_t gpa, enum vcpu_fault kind)
{
	if (index >= vm->nr_vcpus || !vm->vcpus[index].thread_started)
		return -ENOENT;
	if (vm_run_state(vm) != VM_RUNNING)
		return -EAGAIN;
	struct vcpu *v = &vm->vcpus[index];
	void *hva = guest_mem_ptr(&vm->mem, gpa, 1);
	if (!hva && kind == VCPU_FAULT_HWPOISON)
		return -EFAULT;  /* never poison sprig's own memory */
	v->fault_kind = kind;
	v->fault_addr = (uint64_t)(uintptr_t)(hva ? hva : &outside_ram);
	unsigned seq = atomic_load(&v->fault_seq) + 1;
	atomic_store(&v->fault_seq, seq);
	vcpu_kick(v);
	for (int waited = 0; atomic_load(&v->fault_done) != seq; waited++) {
		if (waited == 2000)
			return -ETIMEDOUT;
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
	return atomic_load(&v->fault_result);
}
