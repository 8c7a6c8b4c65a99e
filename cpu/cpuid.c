/* CPUID for one vCPU: what KVM supports, with the topology made consistent
 * with `cpus` (one package, one thread per core) and this vCPU's APIC id.
 * Named CPU models and feature filtering build on this (docs/cpu-models.md). */
#include "cpu.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)

static unsigned bits_for(unsigned count)
{
	unsigned bits = 0;
	while ((1u << bits) < count)
		bits++;
	return bits;
}

/* Leaves 0xb and 0x1f: level 0 = SMT (1 thread), level 1 = core. */
static void set_extended_topology(struct kvm_cpuid_entry2 *e, unsigned cpus, unsigned apic_id)
{
	e->edx = apic_id;
	if (e->index == 0) {
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
	} else if (e->index == 1) {
		e->eax = bits_for(cpus);
		e->ebx = cpus;
		e->ecx = (2u << 8) | 1;
	} else {
		e->eax = e->ebx = 0;
		e->ecx = e->index;
	}
}

static void set_topology(struct kvm_cpuid_entry2 *e, unsigned cpus, unsigned apic_id)
{
	unsigned logical = cpus > 255 ? 255 : cpus;
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffffu) | (logical << 16) | ((apic_id & 0xff) << 24);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		e->edx = cpus > 1 ? e->edx | CPUID_1_EDX_HTT : e->edx & ~CPUID_1_EDX_HTT;
		break;
	case 4:  /* Intel cache leaves: cores per package - 1 in EAX[31:26] */
		if (e->eax & 0x1f)
			e->eax = (e->eax & 0x03ffffffu) | (((1u << bits_for(cpus)) - 1) << 26 & 0xfc000000u);
		break;
	case 0xb:
	case 0x1f:
		set_extended_topology(e, cpus, apic_id);
		break;
	case 0x80000008:  /* AMD: cores per package - 1, and the APIC id width */
		e->ecx = (e->ecx & ~0xf0ffu) | (bits_for(cpus) << 12) | ((cpus - 1) & 0xff);
		break;
	}
}

/* KVM leaves the brand string to userspace (QEMU fills it from its CPU
 * model); until models exist, the host's brand is the honest answer. */
static void set_brand(struct kvm_cpuid_entry2 *e)
{
	if (e->function >= 0x80000002 && e->function <= 0x80000004)
		__cpuid(e->function, e->eax, e->ebx, e->ecx, e->edx);
}

int vcpu_set_cpuid(struct vcpu *v)
{
	const struct kvm_cpuid2 *supported = v->vm->cpuid;
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	/* Setup time, not the run loop: allocating here is fine. */
	struct kvm_cpuid2 *c = malloc(size);
	if (!c)
		return -ENOMEM;
	memcpy(c, supported, size);
	for (unsigned i = 0; i < c->nent; i++) {
		set_topology(&c->entries[i], v->vm->nr_vcpus, v->index);
		set_brand(&c->entries[i]);
	}
	int err = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return err;
}
