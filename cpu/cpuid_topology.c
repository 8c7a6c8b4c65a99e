/* Topology in CPUID, consistent with the APIC ids of cpu/topology.c:
 * leaf 1 (logical count, HTT), 4 and 0x8000001d (cache sharing), 0xb and
 * 0x1f (x2APIC levels), 0x80000008 ECX and 0x8000001e (AMD). */
#include "cpuid_model.h"

#include <stdlib.h>
#include <string.h>

static uint32_t field_max(uint64_t value, uint32_t max)
{
	return value > max ? max : (uint32_t)value;
}

/* Caches at level 1 and 2 belong to a core, level 3 to the package. */
static void set_cache_sharing(struct kvm_cpuid_entry2 *e, const struct cpu_topology *t,
			      bool intel_cores_field)
{
	if (!(e->eax & 0x1f))
		return;
	unsigned level = e->eax >> 5 & 7;
	unsigned bits = level >= 3 ? t->smt_bits + t->core_bits : t->smt_bits;
	e->eax = (e->eax & ~(0xfffu << 14)) | field_max((1ull << bits) - 1, 0xfff) << 14;
	if (intel_cores_field)
		e->eax = (e->eax & 0x03ffffffu) | field_max((1ull << t->core_bits) - 1, 0x3f) << 26;
}

static void set_level(struct kvm_cpuid_entry2 *e, const struct cpu_topology *t)
{
	e->edx = 0;  /* per vCPU */
	if (e->index == 0) {
		e->eax = t->smt_bits;
		e->ebx = t->threads;
		e->ecx = 1u << 8;
	} else if (e->index == 1) {
		e->eax = t->smt_bits + t->core_bits;
		e->ebx = field_max((uint64_t)t->threads * t->cores, 0xffff);
		e->ecx = 2u << 8 | 1;
	} else {
		e->eax = e->ebx = 0;
		e->ecx = e->index & 0xff;
	}
}

/* x2APIC topology: SMT and core levels, then the terminating level. */
static void set_extended_topology(struct kvm_cpuid2 *table, size_t capacity, uint32_t leaf,
				  const struct cpu_topology *t)
{
	uint32_t r[4];
	cpuid_table_lookup(table, 0, 0, r);
	if (r[0] < leaf || (leaf == 0x1f && !cpuid_table_find(table, 0x1f, 0)))
		return;
	for (uint32_t sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 *e = cpuid_table_get(table, capacity, leaf, sub);
		if (e)
			set_level(e, t);
	}
	for (uint32_t i = 0; i < table->nent; i++)
		if (table->entries[i].function == leaf && table->entries[i].index >= 3)
			set_level(&table->entries[i], t);
}

void cpuid_model_set_topology(struct kvm_cpuid2 *table, size_t capacity,
			      const struct cpu_topology *t)
{
	unsigned bits = t->smt_bits + t->core_bits;
	for (uint32_t i = 0; i < table->nent; i++) {
		struct kvm_cpuid_entry2 *e = &table->entries[i];
		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0xffff) | field_max(1ull << bits, 0xff) << 16;
			e->edx = bits ? e->edx | 1u << 28 : e->edx & ~(1u << 28);
			break;
		case 4:
			set_cache_sharing(e, t, true);
			break;
		case 0x8000001d:
			set_cache_sharing(e, t, false);
			break;
		case 0x80000008:
			e->ecx = (e->ecx & ~0xf0ffu) | (bits > 15 ? 15 : bits) << 12 |
				 field_max((uint64_t)t->threads * t->cores - 1, 0xff);
			break;
		}
	}
	set_extended_topology(table, capacity, 0xb, t);
	set_extended_topology(table, capacity, 0x1f, t);
}

struct kvm_cpuid2 *cpuid_model_for_vcpu(const struct cpu_template *tmpl,
					const struct cpu_topology *t, unsigned index)
{
	size_t size = sizeof(*tmpl->cpuid) + tmpl->cpuid->nent * sizeof(tmpl->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	if (!c)
		return NULL;
	memcpy(c, tmpl->cpuid, size);
	uint32_t apic_id = cpu_topology_apic_id(t, index);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (apic_id & 0xff) << 24;
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = apic_id;
		else if (e->function == 0x8000001e) {
			e->eax = apic_id;
			e->ebx = (e->ebx & ~0xffffu) | (t->threads - 1) << 8 |
				 (index / t->threads % t->cores & 0xff);
			e->ecx = (e->ecx & ~0x7ffu) | (index / t->threads / t->cores & 0xff);
		}
	}
	return c;
}
