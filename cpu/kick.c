/* Kicks: pthread_kill(SIG_IPI) plus kvm_run->immediate_exit. The handler
 * sets immediate_exit for the vCPU of the thread it interrupts, so a kick
 * that lands just before KVM_RUN still makes KVM_RUN return at once; no
 * KVM_SET_SIGNAL_MASK dance, no window for a lost wakeup. */
#include "cpu.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static _Thread_local struct kvm_run *thread_run;

static void on_sig_ipi(int sig)
{
	(void)sig;
	if (thread_run)
		thread_run->immediate_exit = 1;
}

int cpu_signals_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig_ipi;  /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_IPI, &sa, NULL) ? -errno : 0;
}

/* Called by a vCPU thread before its first KVM_RUN. */
void vcpu_kick_arm(struct vcpu *vcpu)
{
	thread_run = vcpu->run;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIG_IPI);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void vcpu_kick(struct vcpu *vcpu)
{
	pthread_kill(vcpu->thread, SIG_IPI);
}
