/* Editing a struct kvm_cpuid2 in place, and reading it the way KVM does
 * (arch/x86/kvm/cpuid.c: kvm_find_cpuid_entry_index, kvm_cpuid). */
#include "cpuid_model.h"

#include <string.h>

#include "cpuid_walk.h"

static bool indexed(uint32_t leaf)
{
	return cpuid_subleaf_rule(leaf) != SUBLEAF_NONE;
}

struct kvm_cpuid_entry2 *cpuid_table_find(const struct kvm_cpuid2 *table, uint32_t leaf,
					  uint32_t subleaf)
{
	for (uint32_t i = 0; table && i < table->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &table->entries[i];
		if (e->function != leaf)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == subleaf)
			return (struct kvm_cpuid_entry2 *)e;
	}
	return NULL;
}

struct kvm_cpuid_entry2 *cpuid_table_get(struct kvm_cpuid2 *table, size_t capacity,
					 uint32_t leaf, uint32_t subleaf)
{
	struct kvm_cpuid_entry2 *e = cpuid_table_find(table, leaf, subleaf);
	if (e || table->nent >= capacity)
		return e;
	e = &table->entries[table->nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = indexed(leaf) ? subleaf : 0;
	e->flags = indexed(leaf) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

void cpuid_table_drop_if(struct kvm_cpuid2 *table, cpuid_entry_pred *drop, const void *ctx)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < table->nent; i++)
		if (!drop(&table->entries[i], ctx))
			table->entries[kept++] = table->entries[i];
	table->nent = kept;
}

uint32_t *cpuid_entry_reg(struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	switch (reg) {
	case CPUID_EAX: return &e->eax;
	case CPUID_EBX: return &e->ebx;
	case CPUID_ECX: return &e->ecx;
	default: return &e->edx;
	}
}

void cpuid_table_lookup(const struct kvm_cpuid2 *table, uint32_t leaf, uint32_t subleaf,
			uint32_t regs[4])
{
	const struct kvm_cpuid_entry2 *e = cpuid_table_find(table, leaf, subleaf);
	if (e) {
		regs[0] = e->eax, regs[1] = e->ebx, regs[2] = e->ecx, regs[3] = e->edx;
		return;
	}
	regs[0] = regs[1] = regs[2] = regs[3] = 0;
	/* KVM: for 0xb/0x1f, CL passes through and EDX is the x2APIC id on
	 * every subleaf, as long as subleaf 1 exists. */
	if (leaf == 0xb || leaf == 0x1f) {
		e = cpuid_table_find(table, leaf, 1);
		if (e) {
			regs[2] = subleaf & 0xff;
			regs[3] = e->edx;
		}
	}
}
