/* The CPUID table itself: feature words written into their registers,
 * leaves a model does not describe removed, XSAVE sizes recomputed for
 * what the guest may enable, hypervisor leaves and brand set. */
#include "cpuid_model.h"

#include <errno.h>
#include <string.h>

#define XSAVE_LEGACY_SIZE 576   /* legacy area + header: XCR0 = x87 at reset */

struct leaf_gate {
	uint32_t leaf;
	const char *feature;    /* the leaf exists only with this feature */
};

/* Leaves that describe one feature's machinery. */
static const struct leaf_gate gated_leaves[] = {
	{ 0x5, "monitor" }, { 0xa, NULL /* PMU */ }, { 0x12, "sgx" }, { 0x14, "intel_pt" },
	{ 0x1b, "pconfig" }, { 0x1c, "arch_lbr" }, { 0x1d, "amx_tile" }, { 0x1e, "amx_tile" },
	{ 0x8000000a, "svm" }, { 0x80000022, NULL /* PMU */ },
};

/* Fixed models keep only leaves that hold no features of their own:
 * identification, caches, topology, TSC frequency, address sizes. */
static const uint32_t fixed_model_leaves[] = {
	0x0, 0x1, 0x2, 0x4, 0x6, 0x7, 0xb, 0xd, 0x15, 0x16, 0x1f, 0x40000000, 0x40000001,
	0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000005, 0x80000006,
	0x80000007, 0x80000008, 0x8000001d, 0x8000001e,
};

struct leaf_policy {
	const struct cpu_template *t;
	const struct cpu_spec *spec;
};

static bool has(const feature_set set, const char *name)
{
	const struct cpu_feature *f = cpu_feature_find(name, strlen(name));
	return f && feature_has(set, f);
}

static bool leaf_unwanted(const struct kvm_cpuid_entry2 *e, const void *ctx)
{
	const struct leaf_policy *p = ctx;
	for (size_t i = 0; i < sizeof(gated_leaves) / sizeof(gated_leaves[0]); i++)
		if (e->function == gated_leaves[i].leaf)
			return gated_leaves[i].feature ? !has(p->t->features, gated_leaves[i].feature)
						       : !p->t->pmu;
	/* Other hypervisors' leaves never come from KVM's table; be sure. */
	if (e->function >= 0x40000002 && e->function < 0x50000000)
		return true;
	if (p->spec->model->base != MODEL_FIXED)
		return false;
	if (e->function == 0x7 && e->index > 1)
		return true;
	for (size_t i = 0; i < sizeof(fixed_model_leaves) / sizeof(fixed_model_leaves[0]); i++)
		if (e->function == fixed_model_leaves[i])
			return false;
	return true;
}

static void write_words(struct cpu_template *t, size_t capacity, bool fixed)
{
	for (unsigned w = 0; w < FW_COUNT; w++) {
		const struct feature_word_info *info = &feature_words[w];
		if (info->msr)
			continue;
		struct kvm_cpuid_entry2 *e = cpuid_table_get(t->cpuid, capacity, info->leaf,
							     info->subleaf);
		if (e)
			*cpuid_entry_reg(e, info->reg) = t->features[w];
	}
	/* OSXSAVE and OSPKE mirror the guest's CR4; KVM keeps them current. */
	struct kvm_cpuid_entry2 *e = cpuid_table_find(t->cpuid, 1, 0);
	if (e)
		e->ecx &= ~(1u << 27);
	if ((e = cpuid_table_find(t->cpuid, 7, 0)))
		e->ecx &= ~(1u << 4);
	if (!fixed)
		return;
	/* A fixed model says nothing about the rest of these feature leaves. */
	if ((e = cpuid_table_find(t->cpuid, 6, 0)))
		e->ebx = e->ecx = e->edx = 0;
	if ((e = cpuid_table_find(t->cpuid, 7, 0)))
		e->eax = t->features[FW_7_1_EAX] || t->features[FW_7_1_EDX];
	if ((e = cpuid_table_find(t->cpuid, 7, 1)))
		e->ebx = e->ecx = 0;
	if ((e = cpuid_table_find(t->cpuid, 0x80000007, 0)))
		e->eax = e->ebx = e->ecx = 0;
	if ((e = cpuid_table_find(t->cpuid, 0x80000008, 0)))
		e->edx = 0;
}

static uint64_t lookup64(const struct kvm_cpuid2 *table, uint32_t leaf, uint32_t sub,
			 enum cpuid_reg low, enum cpuid_reg high)
{
	uint32_t r[4];
	cpuid_table_lookup(table, leaf, sub, r);
	return (uint64_t)r[high] << 32 | r[low];
}

/* XCR0 components and the feature that brings each. */
static uint64_t allowed_xcr0(const struct cpu_template *t, bool fixed, uint64_t supported)
{
	static const struct { uint64_t bits; const char *feature; } components[] = {
		{ 0x1, "fpu" }, { 0x2, "sse" }, { 0x4, "avx" }, { 0x18, "mpx" },
		{ 0xe0, "avx512f" }, { 0x200, "pku" }, { 0x60000, "amx_tile" },
	};
	uint64_t known = 0, mask = 0;
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		known |= components[i].bits;
		if (has(t->features, components[i].feature))
			mask |= components[i].bits;
	}
	if (!fixed)
		mask |= supported & ~known;  /* host models: components sprig does not name */
	/* XCR0 without x87 is invalid, and SSE state comes with any XSAVE user. */
	return (mask | 0x3) & supported;
}

static uint64_t allowed_xss(const struct cpu_template *t, bool fixed, uint64_t supported)
{
	if (fixed || !has(t->features, "xsaves"))
		return 0;
	uint64_t mask = supported;
	if (!has(t->features, "intel_pt"))
		mask &= ~(1ull << 8);
	if (!has(t->features, "arch_lbr"))
		mask &= ~(1ull << 15);
	return mask;
}

static bool xsave_subleaf_unwanted(const struct kvm_cpuid_entry2 *e, const void *ctx)
{
	const struct cpu_template *t = ctx;
	return e->function == 0xd && e->index >= 2 &&
	       (e->index >= 64 || !((t->xcr0 | t->xss) >> e->index & 1));
}

static bool is_xsave_leaf(const struct kvm_cpuid_entry2 *e, const void *ctx)
{
	(void)ctx;
	return e->function == 0xd;
}

static void set_xsave_leaf(struct cpu_template *t, size_t capacity, const struct cpu_host *host,
			   bool fixed)
{
	if (!has(t->features, "xsave")) {
		cpuid_table_drop_if(t->cpuid, is_xsave_leaf, NULL);
		return;
	}
	t->xcr0 = allowed_xcr0(t, fixed, lookup64(host->supported, 0xd, 0, CPUID_EAX, CPUID_EDX));
	t->xss = allowed_xss(t, fixed, lookup64(host->supported, 0xd, 1, CPUID_ECX, CPUID_EDX));
	cpuid_table_drop_if(t->cpuid, xsave_subleaf_unwanted, t);
	uint32_t max_size = XSAVE_LEGACY_SIZE;
	for (uint32_t i = 0; i < t->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *c = &t->cpuid->entries[i];
		if (c->function == 0xd && c->index >= 2 && (t->xcr0 >> c->index & 1) &&
		    c->eax + c->ebx > max_size)
			max_size = c->eax + c->ebx;
	}
	struct kvm_cpuid_entry2 *e = cpuid_table_get(t->cpuid, capacity, 0xd, 0);
	if (e) {
		e->eax = (uint32_t)t->xcr0, e->edx = (uint32_t)(t->xcr0 >> 32);
		e->ebx = XSAVE_LEGACY_SIZE, e->ecx = max_size;
	}
	if ((e = cpuid_table_get(t->cpuid, capacity, 0xd, 1))) {
		bool compacted = has(t->features, "xsaves") || has(t->features, "xsavec");
		e->ebx = compacted ? XSAVE_LEGACY_SIZE : 0;
		e->ecx = (uint32_t)t->xss, e->edx = (uint32_t)(t->xss >> 32);
	}
}

static void set_hypervisor_leaves(struct cpu_template *t, size_t capacity)
{
	struct kvm_cpuid_entry2 *e = cpuid_table_get(t->cpuid, capacity, 0x40000000, 0);
	if (e) {
		e->eax = 0x40000001;
		memcpy(&e->ebx, "KVMK", 4), memcpy(&e->ecx, "VMKV", 4), memcpy(&e->edx, "M\0\0\0", 4);
	}
	if ((e = cpuid_table_get(t->cpuid, capacity, 0x40000001, 0)))
		e->ebx = e->ecx = 0;
}

static void set_brand(struct cpu_template *t, size_t capacity, const char *brand)
{
	char text[48] = { 0 };
	strncpy(text, brand, sizeof(text) - 1);  /* the last byte stays NUL */
	for (uint32_t i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_table_get(t->cpuid, capacity, 0x80000002 + i, 0);
		if (e) {
			memcpy(&e->eax, text + 16 * i, 4), memcpy(&e->ebx, text + 16 * i + 4, 4);
			memcpy(&e->ecx, text + 16 * i + 8, 4), memcpy(&e->edx, text + 16 * i + 12, 4);
		}
	}
}

/* Leaf 0 and 0x80000000 name the highest leaf of their range. */
static void set_max_leaves(struct cpu_template *t, size_t capacity)
{
	uint32_t max_basic = 0, max_extended = 0x80000000;
	for (uint32_t i = 0; i < t->cpuid->nent; i++) {
		uint32_t f = t->cpuid->entries[i].function;
		if (f < 0x40000000 && f > max_basic)
			max_basic = f;
		if (f >= 0x80000000 && f < 0x80000100 && f > max_extended)
			max_extended = f;
	}
	struct kvm_cpuid_entry2 *e = cpuid_table_get(t->cpuid, capacity, 0, 0);
	if (e)
		e->eax = max_basic;
	if ((e = cpuid_table_get(t->cpuid, capacity, 0x80000000, 0)))
		e->eax = max_extended;
}

int cpuid_model_set_leaves(struct cpu_template *t, size_t capacity, const struct cpu_host *host,
			   const struct cpu_spec *spec)
{
	bool fixed = spec->model->base == MODEL_FIXED;
	struct leaf_policy policy = { t, spec };
	cpuid_table_drop_if(t->cpuid, leaf_unwanted, &policy);
	write_words(t, capacity, fixed);
	set_xsave_leaf(t, capacity, host, fixed);
	set_hypervisor_leaves(t, capacity);
	set_brand(t, capacity, spec->model->brand ? spec->model->brand : host->brand);
	set_max_leaves(t, capacity);
	t->arch_cap_msr = host->arch_cap_msr && has(t->features, "arch_capabilities");
	if (t->arch_cap_msr)
		t->arch_cap = (fixed ? 0 : host->arch_cap & ~0xffffffffull) | t->features[FW_ARCH_CAP];
	/* Every cpuid_table_get above found or made its entry unless full. */
	return t->cpuid->nent < capacity ? 0 : -ENOSPC;
}
