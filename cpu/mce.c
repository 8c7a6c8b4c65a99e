/* Machine checks: host memory errors in guest RAM become machine checks
 * in the guest, as QEMU's kvm_arch_on_sigbus_vcpu and kvm_mce_inject do
 * (../docs/machine-checks.md). The kernel kills early (PR_MCE_KILL_EARLY):
 * an action-required (AR) error reaches the thread that touched the page,
 * an action-optional (AO) one reaches us as soon as the page is found bad.
 * The SIGBUS handler only records and forwards; the vCPU thread injects. */
#include "cpu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../devices/console.h"
#include "../vmm.h"
#include "mce_bits.h"

static struct vm *sigbus_vm;  /* one VM per process */

/* Async-signal-safe: "text 0x<hex> text\n" to stderr, then _exit. */
static void die(const char *before, uint64_t value, const char *after)
{
	char line[256], hex[17];
	size_t n = 0;
	for (int i = 15; i >= 0; i--, value >>= 4)
		hex[i] = "0123456789abcdef"[value & 15];
	hex[16] = 0;
	const char *parts[] = { "sprig: ", before, "0x", hex, after, "\n" };
	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
		for (const char *c = parts[p]; *c && n < sizeof(line); c++)
			line[n++] = *c;
	console_restore_terminal();
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nothing left to tell anyone. */
	}
	_exit(SPRIG_EXIT_MEMORY_ERROR);
}

static void on_action_required(struct vm *vm, uint64_t addr)
{
	struct vcpu *v = vcpu_current();
	if (!v)
		die("action-required memory error at host address ", addr,
		    " in a thread that runs no vCPU: sprig's own memory is poisoned");
	int64_t gpa = guest_mem_gpa(&vm->mem, (const void *)(uintptr_t)addr);
	if (gpa < 0)
		die("action-required memory error at host address ", addr,
		    " outside guest RAM: sprig's own memory is poisoned");
	uint64_t page = (uint64_t)gpa & ~(MCE_PAGE_SIZE - 1);
	/* A second AR before the first was injected: this thread's own code
	 * is touching poisoned guest memory and would fault forever. */
	if (v->mce.ar_pending)
		die("a second action-required memory error, at guest page ", page,
		    ", before the first reached the guest: sprig touched poisoned guest memory");
	v->mce.ar_gpa = page;
	v->mce.ar_pending = 1;
	v->run->immediate_exit = 1;
}

static void on_sigbus(int sig, siginfo_t *info, void *context)
{
	(void)sig, (void)context;
	uint64_t addr = (uint64_t)(uintptr_t)info->si_addr;
	if (info->si_code == BUS_MCEERR_AR)
		on_action_required(sigbus_vm, addr);
	else if (info->si_code == BUS_MCEERR_AO)
		vm_post(sigbus_vm, VM_MESSAGE_SIGBUS_AO, 0, addr);
	else
		die("bus error (not a machine check) at host address ", addr,
		    ": a file sprig mapped shrank, or the host is out of memory");
}

int mce_process_init(struct vm *vm)
{
	sigbus_vm = vm;
	/* Early kill: be told about AO errors, not killed when touching them. */
	if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0))
		return -errno;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIG_IPI);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

/* Only models that offer both mce and mca get banks, and only family 6
 * and later (QEMU's rule); the bank count is QEMU's ten, capped by KVM. */
int vcpu_setup_mce(struct vcpu *v)
{
	struct vm *vm = v->vm;
	if (v->index == 0) {
		struct mce_model model = mce_model_of(vm->cpu.cpuid);
		vm->amd_mce = model.amd;
		vm->mce_broadcast = model.broadcast;
		vm->mcg_cap = 0;
		int banks = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MCE);
		uint64_t supported = 0;
		if (!model.usable || banks <= (int)MCE_INJECT_BANK ||
		    ioctl(vm->kvm_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &supported) < 0)
			return 0;
		vm->mcg_cap = ((MCG_CTL_P | MCG_SER_P) & supported) | MCE_BANKS;
	}
	if (!vm->mcg_cap)
		return 0;
	uint64_t cap = vm->mcg_cap;
	return ioctl(v->fd, KVM_X86_SETUP_MCE, &cap) < 0 ? -errno : 0;
}

