/* Restoring a snapshot's KVM state (cpu/state.c reads it). The values come
 * from a file: KVM checks what it takes, and a refusal is reported with
 * the step, never trusted past. Main thread, before any vCPU thread runs. */
#include "cpu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static int load_cpuid(struct vcpu *v, const struct vcpu_state *s)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + s->cpuid_count * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = s->cpuid_count;
	memcpy(c->entries, s->cpuid, s->cpuid_count * sizeof(c->entries[0]));
	int err = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return err;
}

/* All or nothing: KVM_SET_MSRS stops at the first MSR it refuses, which
 * is then named. */
static int load_msrs(struct vcpu *v, const struct vcpu_state *s, uint32_t *refused)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + s->msr_count * sizeof(m->entries[0]));
	if (!m)
		return -ENOMEM;
	m->nmsrs = s->msr_count;
	memcpy(m->entries, s->msrs, s->msr_count * sizeof(m->entries[0]));
	int set = ioctl(v->fd, KVM_SET_MSRS, m);
	int err = set < 0 ? -errno : (unsigned)set < s->msr_count ? -EINVAL : 0;
	if (set >= 0 && (unsigned)set < s->msr_count)
		*refused = s->msrs[set].index;
	free(m);
	return err;
}

static int load_xsave(struct vcpu *v, const struct vcpu_state *s)
{
	/* KVM_SET_XSAVE takes the larger KVM_CAP_XSAVE2 area as it is. */
	if (s->xsave_size > v->vm->xsave_size)
		return -E2BIG;
	void *area = calloc(1, v->vm->xsave_size);
	if (!area)
		return -ENOMEM;
	memcpy(area, s->xsave, s->xsave_size);
	int err = ioctl(v->fd, KVM_SET_XSAVE, area) < 0 ? -errno : 0;
	free(area);
	return err;
}

#define SET(request, field, what)                     \
	do {                                          \
		if (ioctl(v->fd, request, field) < 0) \
			return *step = what, -errno;  \
	} while (0)

/* CPUID first (the rest may depend on it); REGS before VCPU_EVENTS, which
 * restores the pending exception REGS clears; SREGS before LAPIC, which
 * needs the APIC base; LAPIC before MSRS, whose TSC deadline needs the
 * LAPIC in deadline mode; VCPU_EVENTS last. */
static int load_vcpu(struct vcpu *v, const struct vcpu_state *s, const char **step, uint32_t *refused)
{
	int err = load_cpuid(v, s);
	if (err)
		return *step = "KVM_SET_CPUID2", err;
	SET(KVM_SET_MP_STATE, &s->mp_state, "KVM_SET_MP_STATE");
	SET(KVM_SET_REGS, &s->regs, "KVM_SET_REGS");
	SET(KVM_SET_SREGS, &s->sregs, "KVM_SET_SREGS");
	if ((err = load_xsave(v, s)))
		return *step = err == -E2BIG ? "XSAVE area larger than this host's" : "KVM_SET_XSAVE", err;
	/* A host without XSAVE has no XCRs to give (nr_xcrs 0) or take. */
	if (s->xcrs.nr_xcrs)
		SET(KVM_SET_XCRS, &s->xcrs, "KVM_SET_XCRS");
	SET(KVM_SET_DEBUGREGS, &s->debugregs, "KVM_SET_DEBUGREGS");
	SET(KVM_SET_LAPIC, &s->lapic, "KVM_SET_LAPIC");
	/* The guest's TSC runs at the saved rate: where this host's differs,
	 * KVM scales it if the CPU can (TSC scaling), before the TSC is set. */
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (s->tsc_khz && khz > 0 && (uint32_t)khz != s->tsc_khz && ioctl(v->fd, KVM_SET_TSC_KHZ, s->tsc_khz) < 0)
		return *step = "KVM_SET_TSC_KHZ (the snapshot's TSC rate)", -errno;
	if ((err = load_msrs(v, s, refused)))
		return *step = "KVM_SET_MSRS", err;
	SET(KVM_SET_VCPU_EVENTS, &s->events, "KVM_SET_VCPU_EVENTS");
	/* Tell a kvmclock guest it was stopped, so its watchdogs do not bark. */
	ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0);
	return 0;
}

/* What the saved CPUID lets XCR0 hold: leaf 0xd.0's EDX:EAX. */
static uint64_t xcr0_offered(const struct vcpu_state *s)
{
	for (unsigned i = 0; i < s->cpuid_count; i++)
		if (s->cpuid[i].function == 0xd && s->cpuid[i].index == 0)
			return (uint64_t)s->cpuid[i].edx << 32 | s->cpuid[i].eax;
	return 0;
}

static uint64_t msr_value(const struct vcpu_state *s, uint32_t index)
{
	for (unsigned i = 0; i < s->msr_count; i++)
		if (s->msrs[i].index == index)
			return s->msrs[i].data;
	return 0;
}

int vcpu_state_load(struct vcpu *v, const struct vcpu_state *s, char *why)
{
	const char *step = "";
	uint32_t refused = 0;
	int err = load_vcpu(v, s, &step, &refused);
	if (err == -EINVAL && refused)
		snprintf(why, CPU_WHY_SIZE, "vCPU %u: this host's KVM refuses MSR %#x = %#llx", v->index, refused,
			 (unsigned long long)msr_value(s, refused));
	else if (err && !strcmp(step, "KVM_SET_XCRS"))
		snprintf(why, CPU_WHY_SIZE, "vCPU %u: KVM_SET_XCRS: %s (XCR0 %#llx, %u XCRs; CPUID 0xd.0 offers %#llx)",
			 v->index, strerror(-err), (unsigned long long)s->xcrs.xcrs[0].value, s->xcrs.nr_xcrs,
			 (unsigned long long)xcr0_offered(s));
	else if (err)
		snprintf(why, CPU_WHY_SIZE, "vCPU %u: %s: %s", v->index, step, strerror(-err));
	return err;
}

int vm_state_save(struct vm *vm, struct vm_state *s, char *why)
{
	memset(s, 0, sizeof(*s));
	const char *step = "KVM_GET_CLOCK";
	int ok = ioctl(vm->vm_fd, KVM_GET_CLOCK, &s->clock) == 0;
	if (ok && (step = "KVM_GET_PIT2"))
		ok = ioctl(vm->vm_fd, KVM_GET_PIT2, &s->pit) == 0;
	for (uint32_t chip = 0; ok && chip < VM_IRQCHIPS; chip++) {
		s->irqchips[chip].chip_id = chip;
		step = "KVM_GET_IRQCHIP";
		ok = ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &s->irqchips[chip]) == 0;
	}
	if (!ok)
		snprintf(why, CPU_WHY_SIZE, "%s: %s", step, strerror(errno));
	return ok ? 0 : -errno;
}

/* The PIT, then the clock (its flags cleared: only the value is ours to
 * set), then the PICs and the IOAPIC, as Firecracker orders them. */
int vm_state_load(struct vm *vm, const struct vm_state *s, char *why)
{
	struct kvm_clock_data clock = { .clock = s->clock.clock };
	const char *step = "KVM_SET_PIT2";
	int ok = ioctl(vm->vm_fd, KVM_SET_PIT2, &s->pit) == 0;
	if (ok && (step = "KVM_SET_CLOCK"))
		ok = ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) == 0;
	for (uint32_t chip = 0; ok && chip < VM_IRQCHIPS; chip++) {
		struct kvm_irqchip c = s->irqchips[chip];
		c.chip_id = chip;  /* whatever the file says */
		step = "KVM_SET_IRQCHIP";
		ok = ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) == 0;
	}
	if (!ok)
		snprintf(why, CPU_WHY_SIZE, "%s: %s", step, strerror(errno));
	return ok ? 0 : -errno;
}
