/* Snapshots: everything KVM holds for a paused VM and its vCPUs, read out
 * and written back in the orders KVM needs (the comments say which).
 * Main thread, every vCPU parked outside KVM_RUN. Allocates: this is
 * setup and snapshot work, never the vCPU loop. */
#include "cpu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mce_bits.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define APIC_LVT_TIMER 0x320
#define CPUID_ENTRIES_MAX 256

/* KVM's list, read at setup (vm_create: /dev/kvm closes before the guest
 * runs), and the machine-check banks, which KVM keeps but does not list. */
static unsigned msr_candidates(const struct vm *vm, struct kvm_msr_entry *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < vm->msr_index_count && n < max; i++)
		out[n++].index = vm->msr_indices[i];
	for (unsigned bank = 0; bank < (vm->mcg_cap & 0xff); bank++)
		for (unsigned reg = 0; reg < 4 && n < max; reg++)
			out[n++].index = 0x400 + 4 * bank + reg;
	return n;
}

/* Read every candidate KVM will give; one it refuses (a PMU MSR with the
 * PMU hidden) is left out. KVM_GET_MSRS stops at the first refusal and
 * says how many it read. */
static int save_msrs(struct vcpu *v, struct vcpu_state *s)
{
	unsigned max = v->vm->msr_index_count + 4 * 32;
	struct kvm_msrs *m = calloc(1, sizeof(*m) + max * sizeof(struct kvm_msr_entry));
	struct kvm_msr_entry *candidates = calloc(max, sizeof(*candidates));
	s->msrs = calloc(max, sizeof(*s->msrs));
	int err = m && candidates && s->msrs ? 0 : -ENOMEM;
	unsigned total = err ? 0 : msr_candidates(v->vm, candidates, max);
	for (unsigned at = 0; at < total && !err;) {
		m->nmsrs = total - at;
		memcpy(m->entries, candidates + at, m->nmsrs * sizeof(m->entries[0]));
		int got = ioctl(v->fd, KVM_GET_MSRS, m);
		if (got < 0) {
			err = -errno;
			break;
		}
		memcpy(s->msrs + s->msr_count, m->entries, (size_t)got * sizeof(m->entries[0]));
		s->msr_count += (unsigned)got;
		at += (unsigned)got + 1;  /* past the one refused */
	}
	free(m);
	free(candidates);
	return err;
}

/* A TSC-deadline timer that fired reads 0, and 0 restored would leave
 * the guest waiting for an interrupt that never comes: make it due now,
 * as Firecracker does. Only when the LVT timer is in deadline mode. */
static void fix_tsc_deadline(struct vcpu_state *s)
{
	uint32_t lvt;
	memcpy(&lvt, s->lapic.regs + APIC_LVT_TIMER, 4);
	if (((lvt >> 17) & 3) != 2)
		return;
	uint64_t tsc = 0;
	for (unsigned i = 0; i < s->msr_count; i++)
		if (s->msrs[i].index == MSR_IA32_TSC)
			tsc = s->msrs[i].data;
	for (unsigned i = 0; i < s->msr_count; i++)
		if (s->msrs[i].index == MSR_IA32_TSC_DEADLINE && !s->msrs[i].data)
			s->msrs[i].data = tsc;
}

static int save_xsave(struct vcpu *v, struct vcpu_state *s)
{
	s->xsave_size = v->vm->xsave_size;
	s->xsave = calloc(1, s->xsave_size);
	if (!s->xsave)
		return -ENOMEM;
	unsigned long request = s->xsave_size > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
	return ioctl(v->fd, request, s->xsave) < 0 ? -errno : 0;
}

static int save_cpuid(struct vcpu *v, struct vcpu_state *s)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_ENTRIES_MAX * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_ENTRIES_MAX;
	if (ioctl(v->fd, KVM_GET_CPUID2, c) < 0) {
		int err = -errno;
		free(c);
		return err;
	}
	s->cpuid_count = c->nent;
	s->cpuid = malloc(c->nent * sizeof(c->entries[0]) + 1);
	if (s->cpuid)
		memcpy(s->cpuid, c->entries, c->nent * sizeof(c->entries[0]));
	free(c);
	return s->cpuid ? 0 : -ENOMEM;
}

#define GET(request, field, what)                     \
	do {                                          \
		if (ioctl(v->fd, request, field) < 0) \
			return *step = what, -errno;  \
	} while (0)

/* KVM_GET_MP_STATE first: it lets the local APIC take pending INIT/SIPI,
 * which changes what the rest reads. KVM_GET_VCPU_EVENTS last. */
static int save_vcpu(struct vcpu *v, struct vcpu_state *s, const char **step)
{
	GET(KVM_GET_MP_STATE, &s->mp_state, "KVM_GET_MP_STATE");
	GET(KVM_GET_REGS, &s->regs, "KVM_GET_REGS");
	GET(KVM_GET_SREGS, &s->sregs, "KVM_GET_SREGS");
	int err = save_xsave(v, s);
	if (err)
		return *step = "KVM_GET_XSAVE", err;
	/* Without XSAVE on the host (or KVM_CAP_XCRS) there are no XCRs. */
	if (ioctl(v->fd, KVM_GET_XCRS, &s->xcrs) < 0)
		memset(&s->xcrs, 0, sizeof(s->xcrs));
	GET(KVM_GET_DEBUGREGS, &s->debugregs, "KVM_GET_DEBUGREGS");
	GET(KVM_GET_LAPIC, &s->lapic, "KVM_GET_LAPIC");
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	s->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	if ((err = save_cpuid(v, s)))
		return *step = "KVM_GET_CPUID2", err;
	if ((err = save_msrs(v, s)))
		return *step = "KVM_GET_MSRS", err;
	fix_tsc_deadline(s);
	GET(KVM_GET_VCPU_EVENTS, &s->events, "KVM_GET_VCPU_EVENTS");
	return 0;
}

int vcpu_state_save(struct vcpu *v, struct vcpu_state *s, char *why)
{
	const char *step = "";
	memset(s, 0, sizeof(*s));
	int err = save_vcpu(v, s, &step);
	if (err) {
		snprintf(why, CPU_WHY_SIZE, "vCPU %u: %s: %s", v->index, step, strerror(-err));
		vcpu_state_free(s);
	}
	return err;
}

void vcpu_state_free(struct vcpu_state *s)
{
	free(s->xsave);
	free(s->msrs);
	free(s->cpuid);
	memset(s, 0, sizeof(*s));
}
