/* CPU models end to end on synthetic hosts, no KVM: the model table, the
 * host model pass-through, filtering and enforce, +/- and dependencies,
 * leaf 0xd, the fixed-model leaf policy, topology and per-vCPU ids for
 * 1..256 vCPUs, the model string parser, the KVM-style lookup, the leaf
 * walk and the boot MSRs. Each expectation is what docs/cpu-models.md
 * and the SDM say, not what the code happens to do. */
#include "helpers.h"

#include <errno.h>

#include "../../cpu/cpuid_model.h"
#include "../../cpu/cpuid_walk.h"
#include "../../cpu/msr.h"

#define TABLE_MAX 96
#define OSXSAVE (1u << 27)  /* 1.ecx, mirrors CR4 */
#define OSPKE (1u << 4)     /* 7.0.ecx, mirrors CR4 */
#define XSAVE_LEGACY 576u

enum { EAX, EBX, ECX, EDX };

struct table {
	struct kvm_cpuid2 head;
	struct kvm_cpuid_entry2 entries[TABLE_MAX];
};

static struct table host_table, emulated_table;
static struct cpu_host host;
static char *error;            /* heap, exactly CPUID_MODEL_ERROR_SIZE: ASan bounds it */
static char warnings[64][256];
static unsigned warning_count;

/* --- building a host --- */

static bool indexed(uint32_t leaf)
{
	switch (leaf) {
	case 0x4: case 0x7: case 0xb: case 0xd: case 0x10: case 0x14: case 0x1f: case 0x20:
	case 0x8000001d:
		return true;
	default:
		return false;
	}
}

static struct kvm_cpuid_entry2 *put(struct table *t, uint32_t leaf, uint32_t sub, uint32_t a,
				    uint32_t b, uint32_t c, uint32_t d)
{
	assert_true(t->head.nent < TABLE_MAX);
	struct kvm_cpuid_entry2 *e = &t->entries[t->head.nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = sub;
	e->flags = indexed(leaf) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = a, e->ebx = b, e->ecx = c, e->edx = d;
	return e;
}

static void add(uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	put(&host_table, leaf, sub, a, b, c, d);
}

static const struct cpu_feature *feature(const char *name)
{
	const struct cpu_feature *f = cpu_feature_find(name, strlen(name));
	if (!f)
		fail_msg("no feature called %s", name);
	return f;
}

static uint32_t *entry_reg(struct kvm_cpuid_entry2 *e, int r)
{
	return r == EAX ? &e->eax : r == EBX ? &e->ebx : r == ECX ? &e->ecx : &e->edx;
}

/* Set (on) or clear each named feature where the feature table says it
 * lives: in table `t`'s entry, or in the host's IA32_ARCH_CAPABILITIES. */
static void set_features(struct table *t, const char *names, bool on)
{
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, " ");
		char name[64];
		assert_true(len < sizeof(name));
		memcpy(name, p, len);
		name[len] = 0;
		const struct cpu_feature *f = feature(name);
		const struct feature_word_info *w = &feature_words[f->word];
		if (w->msr) {
			host.arch_cap = on ? host.arch_cap | 1ull << f->bit : host.arch_cap & ~(1ull << f->bit);
		} else {
			struct kvm_cpuid_entry2 *e = cpuid_table_find(&t->head, w->leaf, w->subleaf);
			if (!e)
				fail_msg("%s: the host has no leaf 0x%x.%u", name, w->leaf, w->subleaf);
			uint32_t *r = entry_reg(e, w->reg);
			*r = on ? *r | 1u << f->bit : *r & ~(1u << f->bit);
		}
		p += len + (p[len] == ' ');
	}
}

static void offer(const char *names)
{
	set_features(&host_table, names, true);
}

static void withdraw(const char *names)
{
	set_features(&host_table, names, false);
}

static void reset_warnings(void)
{
	memset(warnings, 0, sizeof(warnings));
	warning_count = 0;
}

/* An Intel-like host: no AVX-512, a PMU, XSAVE with x87/SSE/AVX, leaves
 * 0x14 (PT, not offered), 0x15, 7.2, 0xb and 0x1f. */
static void make_intel_host(void)
{
	memset(&host_table, 0, sizeof(host_table));
	memset(&emulated_table, 0, sizeof(emulated_table));
	memset(&host, 0, sizeof(host));
	add(0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);  /* GenuineIntel */
	add(1, 0, 0x000906ea, 0x00100800, OSXSAVE, 0);
	add(2, 0, 0x00feff01, 0xf0, 0, 0);
	add(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);        /* L1d */
	add(4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0);        /* L1i */
	add(4, 2, 0x1c004143, 0x00c0003f, 0x3ff, 0);       /* L2 */
	add(4, 3, 0x1c03c163, 0x03c0003f, 0x2fff, 6);      /* L3 */
	add(4, 4, 0, 0, 0, 0);
	add(6, 0, 0, 2, 9, 0);
	add(7, 0, 2, 0, OSPKE, 0);
	add(7, 1, 0, 0, 0, 0);
	add(7, 2, 0, 0, 0, 0x1f);
	add(0xa, 0, 0x07300404, 0, 0, 0x603);
	add(0xb, 0, 1, 2, 0x100, 0);
	add(0xb, 1, 4, 8, 0x201, 0);
	add(0xd, 0, 0x7, XSAVE_LEGACY, XSAVE_LEGACY + 256, 0);
	add(0xd, 1, 0, XSAVE_LEGACY, 0, 0);
	add(0xd, 2, 256, XSAVE_LEGACY, 0, 0);
	add(0x14, 0, 1, 0xf, 7, 0);
	add(0x15, 0, 2, 0x11c, 0x0249f000, 0);
	add(0x1f, 0, 1, 2, 0x100, 0);
	add(0x1f, 1, 4, 8, 0x201, 0);
	add(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(0x40000001, 0, 0, 0, 0, 0);
	add(0x80000000, 0, 0x80000008, 0, 0, 0);
	add(0x80000001, 0, 0, 0, 0, 0);
	add(0x80000002, 0, 0, 0, 0, 0);
	add(0x80000003, 0, 0, 0, 0, 0);
	add(0x80000004, 0, 0, 0, 0, 0);
	add(0x80000006, 0, 0, 0, 0x01006040, 0);
	add(0x80000007, 0, 0, 0, 0, 0);
	add(0x80000008, 0, 0x3027, 0, 0, 0);
	offer("pni pclmulqdq ssse3 fma cx16 pdcm sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx "
	      "f16c rdrand");
	offer("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
	      "mmx fxsr sse sse2 ss ht");
	offer("dtherm ida arat");
	offer("fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid adx smap clflushopt");
	offer("umip pku");
	offer("md_clear spec_ctrl intel_stibp flush_l1d arch_capabilities spec_ctrl_ssbd");
	offer("avx_vnni");
	offer("xsaveopt xsavec");
	offer("kvmclock kvmclock-old kvm-nopiodelay kvm-asyncpf kvm-steal-time kvm-pv-eoi "
	      "kvm-pv-unhalt kvmclock-stable-bit kvm-pv-tlb-flush kvm-pv-ipi");
	offer("lahf_lm abm 3dnowprefetch");
	offer("syscall nx pdpe1gb rdtscp lm");
	offer("invtsc");
	offer("wbnoinvd");
	host.supported = &host_table.head;
	host.arch_cap_msr = true;
	host.arch_cap = 1ull << 33;  /* an unnamed high bit: host models keep it */
	offer("rdcl_no ibrs_all skip_vmentry_l1dflush mds_no pschange_mc_no taa_no");
	host.tsc_deadline = true;    /* KVM_CAP_TSC_DEADLINE_TIMER; not in the table */
	strcpy(host.brand, "Test CPU");
	host.from_kvm = true;
	reset_warnings();
}

static int intel_host(void **state)
{
	(void)state;
	make_intel_host();
	return 0;
}

static int alloc_error(void **state)
{
	(void)state;
	error = malloc(CPUID_MODEL_ERROR_SIZE);
	assert_non_null(error);
	error[0] = 0;
	return 0;
}

static int free_error(void **state)
{
	(void)state;
	free(error);
	error = NULL;
	return 0;
}

static void collect(void *ctx, const char *message)
{
	assert_ptr_equal(ctx, &warning_count);
	assert_true(warning_count < ARRAY_SIZE(warnings));
	assert_true(strlen(message) < sizeof(warnings[0]));
	strcpy(warnings[warning_count++], message);
}

static const char *warning_about(const char *name)
{
	for (unsigned i = 0; i < warning_count; i++) {
		/* "cpu MODEL: NAME ..." */
		const char *colon = strchr(warnings[i], ':');
		if (colon && !strncmp(colon + 2, name, strlen(name)) && colon[2 + strlen(name)] == ' ')
			return warnings[i];
	}
	return NULL;
}

/* Templates a test still holds: a failed assertion leaves them to the
 * teardown, so LeakSanitizer reports only real leaks. */
static struct kvm_cpuid2 *live[4];

static void release(struct cpu_template *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(live); i++)
		if (live[i] && live[i] == t->cpuid)
			live[i] = NULL;
	cpuid_model_free(t);
}

static int free_templates(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(live); i++) {
		free(live[i]);
		live[i] = NULL;
	}
	return 0;
}

static int build_topo(struct cpu_template *t, const char *text,
		      const struct cpu_topology *topology, bool enforce)
{
	struct cpu_spec spec;
	char why[256];
	if (cpu_spec_parse(&spec, text, why, sizeof(why)))
		fail_msg("%s: %s", text, why);
	reset_warnings();
	memset(error, 0, CPUID_MODEL_ERROR_SIZE);
	int err = cpuid_model_build(t, &host, &spec, topology, enforce, collect, &warning_count, error);
	if (t->cpuid) {
		size_t i = 0;
		while (i < ARRAY_SIZE(live) && live[i])
			i++;
		assert_true(i < ARRAY_SIZE(live));
		live[i] = t->cpuid;
	}
	return err;
}

static int build(struct cpu_template *t, const char *text, bool enforce)
{
	struct cpu_topology topology;
	assert_int_equal(cpu_topology_init(&topology, 1, 0, 0), 0);
	return build_topo(t, text, &topology, enforce);
}

static void build_ok(struct cpu_template *t, const char *text)
{
	int err = build(t, text, false);
	if (err)
		fail_msg("%s: build returned %d (%s)", text, err, error);
	assert_non_null(t->cpuid);
}

static uint32_t reg(const struct kvm_cpuid2 *table, uint32_t leaf, uint32_t sub, int r)
{
	uint32_t regs[4];
	cpuid_table_lookup(table, leaf, sub, regs);
	return regs[r];
}

static bool present(const struct cpu_template *t, uint32_t leaf, uint32_t sub)
{
	return cpuid_table_find(t->cpuid, leaf, sub) != NULL;
}

/* The feature as the guest sees it; the set and the table must agree. */
static bool has(const struct cpu_template *t, const char *name)
{
	const struct cpu_feature *f = feature(name);
	const struct feature_word_info *w = &feature_words[f->word];
	bool in_set = feature_has(t->features, f);
	if (w->msr)
		return in_set;
	bool in_table = reg(t->cpuid, w->leaf, w->subleaf, w->reg) >> f->bit & 1;
	if (in_set != in_table)
		fail_msg("%s: %s in the feature set, %s in leaf 0x%x.%u", name,
			 in_set ? "set" : "clear", in_table ? "set" : "clear", w->leaf, w->subleaf);
	return in_set;
}

static bool host_offers(const struct cpu_feature *f)
{
	const struct feature_word_info *w = &feature_words[f->word];
	if (w->msr)
		return host.arch_cap_msr && host.arch_cap >> f->bit & 1;
	return reg(host.supported, w->leaf, w->subleaf, w->reg) >> f->bit & 1;
}

/* Every feature word present in the table holds exactly the feature set
 * (OSXSAVE/OSPKE aside: KVM keeps those). */
static void table_matches_features(const struct cpu_template *t)
{
	for (unsigned w = 0; w < FW_COUNT; w++) {
		const struct feature_word_info *info = &feature_words[w];
		if (info->msr || !cpuid_table_find(t->cpuid, info->leaf, info->subleaf))
			continue;
		uint32_t mask = w == FW_1_ECX ? ~OSXSAVE : w == FW_7_0_ECX ? ~OSPKE : ~0u;
		uint32_t in_table = reg(t->cpuid, info->leaf, info->subleaf, info->reg);
		if ((in_table & mask) != (t->features[w] & mask))
			fail_msg("%s: table 0x%08x, features 0x%08x", info->name, in_table,
				 t->features[w]);
	}
}

static void brand_of(const struct kvm_cpuid2 *table, char brand[49])
{
	memset(brand, 0, 49);
	for (uint32_t i = 0; i < 3; i++)
		for (int r = 0; r < 4; r++) {
			uint32_t v = reg(table, 0x80000002 + i, 0, r);
			memcpy(brand + 16 * i + 4 * r, &v, 4);
		}
}

/* --- 1. the model table --- */

static void count_feature(void *ctx, const struct cpu_feature *f)
{
	(void)f;
	(*(unsigned *)ctx)++;
}

static void model_table_is_sound(void **state)
{
	(void)state;
	assert_true(cpu_models_count > 0);
	assert_non_null(cpu_model_find("host", 4));
	for (size_t i = 0; i < cpu_models_count; i++) {
		const struct cpu_model *m = &cpu_models[i];
		feature_set add, remove;
		const char *bad = NULL;
		if (cpu_model_resolve(m, add, remove, &bad))
			fail_msg("model %s: unknown feature near '%.24s'", m->name, bad);
		assert_non_null(m->summary);
		assert_true(*m->name);
		assert_null(strpbrk(m->name, ",+= "));
		for (size_t j = i + 1; j < cpu_models_count; j++)
			if (!strcmp(m->name, cpu_models[j].name))
				fail_msg("model %s twice", m->name);
		assert_ptr_equal(cpu_model_find(m->name, strlen(m->name)), m);
		/* The parent chain exists and ends well within resolve's depth. */
		const struct cpu_model *p = m;
		unsigned depth = 0;
		while (p->parent) {
			const struct cpu_model *parent = cpu_model_find(p->parent, strlen(p->parent));
			if (!parent)
				fail_msg("model %s: parent %s does not exist", p->name, p->parent);
			assert_int_equal(parent->base, MODEL_FIXED);
			p = parent;
			if (++depth >= 8)
				fail_msg("model %s: parent chain does not end", m->name);
		}
		if (m->base == MODEL_FIXED) {
			assert_non_null(m->brand);  /* the docs promise their own brand */
			unsigned n = 0;
			assert_int_equal(feature_list_each(m->features, count_feature, &n, &bad), 0);
			assert_true(n > 0);
		} else {
			assert_null(m->parent);
		}
		/* Every model offers the hypervisor bit. */
		assert_true(feature_has(add, feature("hypervisor")));
		for (unsigned w = 0; w < FW_COUNT; w++)
			assert_int_equal(add[w] & remove[w], 0);
	}
	for (size_t i = 0; i < feature_dependencies_count; i++) {
		const char *a = feature_dependencies[i].feature, *b = feature_dependencies[i].needs;
		if (!cpu_feature_find(a, strlen(a)))
			fail_msg("dependency names unknown feature %s", a);
		if (!cpu_feature_find(b, strlen(b)))
			fail_msg("dependency %s names unknown feature %s", a, b);
		assert_string_not_equal(a, b);
	}
	unsigned n = 0;
	const char *bad = NULL;
	if (feature_list_each(pmu_features, count_feature, &n, &bad))
		fail_msg("pmu_features names an unknown feature near '%.24s'", bad);
	assert_int_equal(n, 5);
	/* An unknown name is reported, pointing at it. */
	n = 0;
	assert_int_equal(feature_list_each("sse nosuch sse2", count_feature, &n, &bad), -ENOENT);
	assert_int_equal(n, 1);
	assert_int_equal(strncmp(bad, "nosuch", 6), 0);
}

static void psabi_levels_nest(void **state)
{
	(void)state;
	static const char *const levels[] = { "base", "x86-64-v1", "x86-64-v2", "x86-64-v3",
					      "x86-64-v4" };
	feature_set below = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		feature_set add, remove;
		const char *bad;
		assert_int_equal(cpu_model_resolve(cpu_model_find(levels[i], strlen(levels[i])), add,
						   remove, &bad), 0);
		for (unsigned w = 0; w < FW_COUNT; w++)
			assert_int_equal(add[w] & below[w], below[w]);
		memcpy(below, add, sizeof(below));
	}
	assert_true(feature_has(below, feature("avx512vl")));
	assert_true(feature_has(below, feature("popcnt")));
	assert_true(feature_has(below, feature("kvmclock")));
}

/* --- 2. host --- */

static void host_model_offers_what_the_host_offers(void **state)
{
	(void)state;
	add(0x40000010, 0, 2400000, 1000000, 0, 0);  /* another hypervisor's leaf */
	struct cpu_template t;
	build_ok(&t, "host");
	assert_int_equal(warning_count, 0);
	assert_false(present(&t, 0x40000010, 0));
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		if (!host_offers(f) || !strcmp(f->name, "pdcm") || !strcmp(f->name, "ht"))
			continue;
		if (!has(&t, f->name))
			fail_msg("the host offers %s, the host model lacks it", f->name);
	}
	table_matches_features(&t);
	assert_true(has(&t, "hypervisor"));
	assert_true(has(&t, "tsc_deadline_timer"));     /* from the capability */
	assert_false(has(&t, "pdcm"));                  /* PMU hidden */
	assert_false(has(&t, "ht"));                    /* one vCPU */
	assert_false(t.pmu);
	assert_int_equal(reg(t.cpuid, 1, 0, ECX) & OSXSAVE, 0);
	assert_int_equal(reg(t.cpuid, 7, 0, ECX) & OSPKE, 0);
	assert_false(present(&t, 0xa, 0));
	assert_false(present(&t, 0x14, 0));              /* intel_pt not offered */
	assert_true(present(&t, 7, 2));                  /* host models keep 7.2 */
	assert_int_equal(reg(t.cpuid, 7, 2, EDX), 0x1f);
	assert_int_equal(reg(t.cpuid, 0x40000000, 0, EAX), 0x40000001);
	char sig[13] = { 0 };
	uint32_t r[4];
	cpuid_table_lookup(t.cpuid, 0x40000000, 0, r);
	memcpy(sig, &r[1], 4), memcpy(sig + 4, &r[2], 4), memcpy(sig + 8, &r[3], 4);
	assert_string_equal(sig, "KVMKVMKVM");
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, EBX), 0);
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, ECX), 0);
	char brand[49];
	brand_of(t.cpuid, brand);
	assert_string_equal(brand, "Test CPU");
	/* Identification passes through. */
	assert_int_equal(reg(t.cpuid, 0, 0, EBX), 0x756e6547);
	assert_int_equal(reg(t.cpuid, 1, 0, EAX), 0x000906ea);
	assert_int_equal(reg(t.cpuid, 0, 0, EAX), 0x1f);
	assert_int_equal(reg(t.cpuid, 0x80000000, 0, EAX), 0x80000008);
	assert_int_equal(reg(t.cpuid, 0x15, 0, ECX), 0x0249f000);
	/* IA32_ARCH_CAPABILITIES: KVM's value, named bits in the set. */
	assert_true(t.arch_cap_msr);
	assert_int_equal(t.arch_cap, host.arch_cap);
	assert_int_equal(t.features[FW_ARCH_CAP], (uint32_t)host.arch_cap);
	for (unsigned w = 0; w < FW_COUNT; w++)
		assert_int_equal(t.filtered[w], 0);
	release(&t);
	assert_null(t.cpuid);
}

/* A host model is the host's features, hypervisor and the TSC-deadline
 * capability: nothing KVM did not offer, named or not. */
static void host_model_adds_nothing_the_host_lacks(void **state)
{
	(void)state;
	struct cpu_template t;
	build_ok(&t, "host");
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		if (host_offers(f) || !strcmp(f->name, "hypervisor") ||
		    !strcmp(f->name, "tsc_deadline_timer"))
			continue;
		if (has(&t, f->name))
			fail_msg("the host model offers %s, which the host does not", f->name);
	}
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, EDX), reg(host.supported, 0x40000001, 0, EDX));
	release(&t);
	/* Asking for a hint is fine: hints are the VMM's to give. */
	build_ok(&t, "host,+kvm-hint-dedicated");
	assert_int_equal(warning_count, 0);
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, EDX), 1);
	release(&t);
}

static void host_model_pmu_on_request(void **state)
{
	(void)state;
	struct cpu_template t;
	build_ok(&t, "host,+pmu");
	assert_true(t.pmu);
	assert_true(has(&t, "pdcm"));
	assert_true(present(&t, 0xa, 0));
	assert_int_equal(reg(t.cpuid, 0xa, 0, EAX), 0x07300404);
	assert_int_equal(reg(t.cpuid, 0xa, 0, EDX), 0x603);
	assert_int_equal(warning_count, 0);
	release(&t);
	build_ok(&t, "host,pmu=off");
	assert_false(t.pmu);
	assert_false(present(&t, 0xa, 0));
	release(&t);
	/* +pdcm without the PMU: named, so reported, and removed. */
	build_ok(&t, "host,+pdcm");
	assert_false(has(&t, "pdcm"));
	assert_int_equal(warning_count, 1);
	assert_non_null(warning_about("pdcm"));
	assert_contains(warning_about("pdcm"), "PMU");
	release(&t);
	assert_int_equal(build(&t, "host,+pdcm", true), -EINVAL);
	assert_contains(error, "pdcm");
	assert_null(t.cpuid);
}

static void max_model_adds_emulated(void **state)
{
	(void)state;
	put(&emulated_table, 7, 0, 0, 0, 0, 0);
	set_features(&emulated_table, "rdpid", true);
	host.emulated = &emulated_table.head;
	struct cpu_template t;
	build_ok(&t, "max");
	assert_true(has(&t, "rdpid"));
	assert_true(has(&t, "avx2"));
	assert_int_equal(warning_count, 0);
	release(&t);
	build_ok(&t, "host");
	assert_false(has(&t, "rdpid"));
	release(&t);
	build_ok(&t, "host,+rdpid");
	assert_false(has(&t, "rdpid"));
	assert_int_equal(warning_count, 1);
	assert_contains(warnings[0], "rdpid is not offered");
	release(&t);
}

/* --- 3. filtering --- */

static void missing_features_are_reported_once_each(void **state)
{
	(void)state;
	static const char *const avx512[] = { "avx512f", "avx512bw", "avx512cd", "avx512dq",
					      "avx512vl" };
	struct cpu_template t;
	build_ok(&t, "x86-64-v4");
	assert_int_equal(warning_count, ARRAY_SIZE(avx512));
	feature_set expected = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(avx512); i++) {
		const char *w = warning_about(avx512[i]);
		if (!w)
			fail_msg("no warning about %s", avx512[i]);
		char line[128];
		snprintf(line, sizeof(line), "cpu x86-64-v4: %s is not offered by this host's KVM; removed",
			 avx512[i]);
		assert_string_equal(w, line);
		assert_false(has(&t, avx512[i]));
		feature_add(expected, feature(avx512[i]));
	}
	assert_memory_equal(t.filtered, expected, sizeof(feature_set));
	assert_true(has(&t, "avx2"));
	assert_true(has(&t, "fma"));
	table_matches_features(&t);
	release(&t);

	assert_int_equal(build(&t, "x86-64-v4", true), -EINVAL);
	assert_null(t.cpuid);
	assert_contains(error, "cpu x86-64-v4 (cpu-check = enforce):");
	for (size_t i = 0; i < ARRAY_SIZE(avx512); i++)
		assert_contains(error, avx512[i]);
	assert_int_equal(warning_count, 0);             /* errors, not warnings */
	assert_int_equal(build(&t, "x86-64-v3", true), 0);
	release(&t);
}

static void host_models_never_warn_about_what_they_inherit(void **state)
{
	(void)state;
	struct cpu_template t;
	static const char *const host_models[] = { "host", "max", "microvm", "pvm-safe" };
	for (size_t i = 0; i < ARRAY_SIZE(host_models); i++) {
		assert_int_equal(build(&t, host_models[i], true), 0);
		assert_int_equal(warning_count, 0);
		release(&t);
	}
	/* Only the one thing asked for. */
	build_ok(&t, "host,+avx512f");
	assert_int_equal(warning_count, 1);
	assert_non_null(warning_about("avx512f"));
	assert_true(feature_has(t.filtered, feature("avx512f")));
	release(&t);
	/* A host whose XSAVE is gone still lists AVX: it goes quietly. */
	withdraw("xsave");
	for (size_t i = 0; i < ARRAY_SIZE(host_models); i++) {
		assert_int_equal(build(&t, host_models[i], true), 0);
		assert_int_equal(warning_count, 0);
		assert_false(has(&t, "avx"));
		assert_false(has(&t, "avx2"));
		assert_false(has(&t, "fma"));
		assert_false(has(&t, "xsaveopt"));
		assert_false(has(&t, "avx_vnni"));
		assert_false(present(&t, 0xd, 0));
		for (unsigned w = 0; w < FW_COUNT; w++)
			assert_int_equal(t.filtered[w], 0);
		release(&t);
	}
	/* Asking for what depends on it is reported. */
	build_ok(&t, "host,+avx");
	assert_int_equal(warning_count, 1);
	assert_contains(warnings[0], "avx needs xsave");
	release(&t);
}

static void microvm_hides_the_sandbox_list(void **state)
{
	(void)state;
	offer("vmx monitor est");
	add(5, 0, 0x40, 0x40, 3, 0x11142120);
	struct cpu_template t;
	build_ok(&t, "host");
	assert_true(has(&t, "vmx"));
	assert_true(has(&t, "monitor"));
	assert_true(present(&t, 5, 0));
	release(&t);
	build_ok(&t, "microvm");
	assert_int_equal(warning_count, 0);
	static const char *const hidden[] = { "vmx", "monitor", "est", "pdcm", "invtsc" };
	for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
		if (has(&t, hidden[i]))
			fail_msg("microvm shows %s", hidden[i]);
	assert_true(has(&t, "x2apic"));
	assert_true(has(&t, "avx2"));
	assert_true(has(&t, "cx16"));
	assert_false(present(&t, 5, 0));
	release(&t);
	build_ok(&t, "pvm-safe");
	assert_false(has(&t, "cx16"));
	assert_false(has(&t, "xsave"));
	assert_false(has(&t, "avx"));
	assert_false(present(&t, 0xd, 0));
	assert_int_equal(t.xcr0, 0);
	assert_true(has(&t, "sse4_2"));
	release(&t);
}

/* A big enforce failure on a bare host: the error stays in its buffer. */
static void enforce_error_is_bounded(void **state)
{
	(void)state;
	memset(&host_table, 0, sizeof(host_table));
	add(0, 0, 1, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(1, 0, 0x000906ea, 0, 0, 0);
	host.arch_cap_msr = false;
	host.tsc_deadline = false;
	struct cpu_template t;
	assert_int_equal(build(&t, "x86-64-v4,+aes,+sha_ni,+rdrand,+rdseed", true), -EINVAL);
	assert_null(t.cpuid);
	assert_true(strlen(error) < CPUID_MODEL_ERROR_SIZE);
	/* Every missing name, in feature-table order, until the buffer ends. */
	assert_contains(error, "cpu x86-64-v4 (cpu-check = enforce): pni is not offered");
	/* Without enforce: one warning per named feature, base's included. */
	build_ok(&t, "base");
	assert_int_equal(warning_count, 20);  /* base's 21 minus hypervisor */
	assert_false(has(&t, "sse2"));
	assert_true(has(&t, "hypervisor"));
	table_matches_features(&t);
	release(&t);
}

/* --- 4. minus and off --- */

static void minus_and_off_remove(void **state)
{
	(void)state;
	static const char *const specs[] = { "x86-64-v2,-popcnt", "x86-64-v2,popcnt=off",
					     "host,-popcnt", "microvm,popcnt=off" };
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct cpu_template t;
		assert_int_equal(build(&t, specs[i], true), 0);
		assert_int_equal(reg(t.cpuid, 1, 0, ECX) >> 23 & 1, 0);
		assert_false(has(&t, "popcnt"));
		assert_true(has(&t, "sse4_2"));
		assert_int_equal(warning_count, 0);
		assert_false(feature_has(t.filtered, feature("popcnt")));
		release(&t);
	}
	struct cpu_template t;
	build_ok(&t, "x86-64-v2,popcnt=on,+aes");
	assert_true(has(&t, "popcnt"));
	assert_true(has(&t, "aes"));
	assert_false(has(&t, "pclmulqdq"));  /* the model does not name it */
	release(&t);
}

/* --- 5. dependencies --- */

static void dependencies_follow(void **state)
{
	(void)state;
	static const char *const gone[] = { "avx", "avx2", "fma", "f16c" };
	struct cpu_template t;
	build_ok(&t, "x86-64-v3,-xsave");
	assert_int_equal(warning_count, ARRAY_SIZE(gone));
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
		assert_false(has(&t, gone[i]));
		const char *w = warning_about(gone[i]);
		if (!w)
			fail_msg("no warning about %s", gone[i]);
		assert_contains(w, "needs");
		assert_true(feature_has(t.filtered, feature(gone[i])));
	}
	assert_contains(warning_about("avx"), "avx needs xsave");
	assert_contains(warning_about("avx2"), "avx2 needs avx");
	assert_false(has(&t, "xsave"));
	assert_true(has(&t, "bmi2"));         /* not built on AVX */
	assert_true(has(&t, "sse4_2"));
	for (uint32_t sub = 0; sub < 4; sub++)
		assert_false(present(&t, 0xd, sub));
	assert_int_equal(t.xcr0, 0);
	table_matches_features(&t);
	release(&t);
	assert_int_equal(build(&t, "x86-64-v3,-xsave", true), -EINVAL);
	assert_contains(error, "avx needs xsave");
	/* Chains close: no sse2 leaves nothing of the SSE ladder or AVX. */
	build_ok(&t, "x86-64-v3,-sse2");
	static const char *const ladder[] = { "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2" };
	for (size_t i = 0; i < ARRAY_SIZE(ladder); i++)
		assert_false(has(&t, ladder[i]));
	assert_true(has(&t, "sse"));
	release(&t);
	/* The arch-cap bits go with arch_capabilities. */
	build_ok(&t, "host,-arch_capabilities");
	assert_int_equal(t.features[FW_ARCH_CAP], 0);
	assert_false(t.arch_cap_msr);
	assert_int_equal(warning_count, 0);
	release(&t);
}

/* --- 6. leaf 0xd --- */

static void xsave_leaf_is_recomputed(void **state)
{
	(void)state;
	struct cpu_template t;
	build_ok(&t, "host");
	assert_int_equal(t.xcr0, 0x7);
	assert_int_equal(t.xss, 0);
	assert_int_equal(reg(t.cpuid, 0xd, 0, EAX), 0x7);
	assert_int_equal(reg(t.cpuid, 0xd, 0, EDX), 0);
	assert_int_equal(reg(t.cpuid, 0xd, 0, EBX), XSAVE_LEGACY);
	assert_int_equal(reg(t.cpuid, 0xd, 0, ECX), XSAVE_LEGACY + 256);
	assert_true(present(&t, 0xd, 2));
	assert_int_equal(reg(t.cpuid, 0xd, 2, EAX), 256);
	assert_int_equal(reg(t.cpuid, 0xd, 2, EBX), XSAVE_LEGACY);
	assert_int_equal(reg(t.cpuid, 0xd, 1, EBX), XSAVE_LEGACY);  /* xsavec */
	assert_true(has(&t, "xsaveopt"));
	assert_true(has(&t, "xsavec"));
	release(&t);

	build_ok(&t, "host,-avx");
	assert_int_equal(warning_count, 0);
	assert_int_equal(t.xcr0, 0x3);
	assert_int_equal(reg(t.cpuid, 0xd, 0, EAX), 0x3);
	assert_int_equal(reg(t.cpuid, 0xd, 0, ECX), XSAVE_LEGACY);
	assert_false(present(&t, 0xd, 2));
	assert_false(has(&t, "avx2"));
	release(&t);

	/* No compacted format offered: 0xd.1 EBX says nothing. */
	build_ok(&t, "host,-xsavec");
	assert_int_equal(reg(t.cpuid, 0xd, 1, EBX), 0);
	assert_true(has(&t, "xsaveopt"));
	release(&t);

	/* Supervisor state only with xsaves: offer it, with XSS bits. */
	offer("xsaves");
	struct kvm_cpuid_entry2 *d1 = cpuid_table_find(&host_table.head, 0xd, 1);
	d1->ecx = 1u << 8 | 1u << 11;  /* PT, CET user */
	add(0xd, 8, 128, 0, 1, 0);
	add(0xd, 11, 1024, 0, 1, 0);   /* oversized, so ECX shows it is not counted */
	build_ok(&t, "host");
	assert_int_equal(t.xss, 1u << 11);            /* PT's state goes with intel_pt */
	assert_int_equal(reg(t.cpuid, 0xd, 1, ECX), 1u << 11);
	assert_int_equal(reg(t.cpuid, 0xd, 1, EBX), XSAVE_LEGACY);
	assert_true(present(&t, 0xd, 11));
	assert_false(present(&t, 0xd, 8));
	assert_int_equal(reg(t.cpuid, 0xd, 0, ECX), XSAVE_LEGACY + 256);  /* XCR0 only */
	release(&t);
	build_ok(&t, "microvm");                      /* hides xsaves */
	assert_int_equal(t.xss, 0);
	assert_false(present(&t, 0xd, 11));
	assert_int_equal(reg(t.cpuid, 0xd, 1, ECX), 0);
	assert_int_equal(reg(t.cpuid, 0xd, 1, EBX), XSAVE_LEGACY);  /* xsavec still */
	release(&t);

	/* Fixed models: only the components their features bring. */
	build_ok(&t, "x86-64-v3");
	assert_int_equal(t.xcr0, 0x7);
	assert_int_equal(reg(t.cpuid, 0xd, 0, ECX), XSAVE_LEGACY + 256);
	assert_int_equal(reg(t.cpuid, 0xd, 1, EAX), 0);  /* names no XSAVE variants */
	assert_int_equal(reg(t.cpuid, 0xd, 1, EBX), 0);
	release(&t);
	build_ok(&t, "base,+xsave");
	assert_int_equal(t.xcr0, 0x3);
	assert_int_equal(reg(t.cpuid, 0xd, 0, ECX), XSAVE_LEGACY);
	assert_false(present(&t, 0xd, 2));
	release(&t);
}

/* --- 7. fixed models' leaves --- */

static void fixed_models_keep_only_plain_leaves(void **state)
{
	(void)state;
	add(0x10, 0, 0, 0xa, 0, 0);        /* RDT: features of its own */
	add(0x20, 0, 0, 1, 0, 0);          /* above the host's own leaf 0 EAX */
	add(0x8000000a, 0, 1, 0x40, 0, 0); /* SVM, not offered */
	struct cpu_template t;
	assert_int_equal(build(&t, "base", true), 0);
	assert_int_equal(warning_count, 0);
	static const uint32_t kept[][2] = {
		{ 0, 0 }, { 1, 0 }, { 2, 0 }, { 4, 0 }, { 4, 3 }, { 6, 0 }, { 7, 0 }, { 0xb, 0 },
		{ 0xb, 1 }, { 0x15, 0 }, { 0x1f, 0 }, { 0x40000000, 0 }, { 0x40000001, 0 },
		{ 0x80000000, 0 }, { 0x80000001, 0 }, { 0x80000002, 0 }, { 0x80000006, 0 },
		{ 0x80000007, 0 }, { 0x80000008, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		if (!present(&t, kept[i][0], kept[i][1]))
			fail_msg("base lost leaf 0x%x.%u", kept[i][0], kept[i][1]);
	static const uint32_t dropped[][2] = {
		{ 7, 2 }, { 0xa, 0 }, { 0xd, 0 }, { 0xd, 1 }, { 0xd, 2 }, { 0x10, 0 }, { 0x14, 0 },
		{ 0x20, 0 }, { 0x8000000a, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(dropped); i++)
		if (present(&t, dropped[i][0], dropped[i][1]))
			fail_msg("base kept leaf 0x%x.%u", dropped[i][0], dropped[i][1]);
	/* 7.1 is not enumerated: 7.0 EAX 0, and nothing in 7.1. */
	assert_int_equal(reg(t.cpuid, 7, 0, EAX), 0);
	for (int r = 0; r < 4; r++)
		assert_int_equal(reg(t.cpuid, 7, 1, r), 0);
	assert_int_equal(reg(t.cpuid, 0, 0, EAX), 0x1f);
	assert_int_equal(reg(t.cpuid, 0x80000000, 0, EAX), 0x80000008);
	/* Feature leaves say only what the model names. */
	assert_int_equal(reg(t.cpuid, 6, 0, EAX), 0);
	assert_int_equal(reg(t.cpuid, 6, 0, ECX), 0);
	assert_int_equal(reg(t.cpuid, 7, 0, EBX), 0);
	assert_int_equal(reg(t.cpuid, 0x80000007, 0, EDX), 0);
	assert_int_equal(reg(t.cpuid, 0x80000008, 0, EBX), 0);
	assert_int_equal(reg(t.cpuid, 0x80000008, 0, EAX), 0x3027);  /* address sizes stay */
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, EAX), 0);        /* no PV features */
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, EDX), 0);
	assert_int_equal(reg(t.cpuid, 1, 0, EAX), 0x000906ea);        /* vendor, f/m/s stay */
	assert_int_equal(reg(t.cpuid, 0, 0, ECX), 0x6c65746e);
	assert_false(has(&t, "mtrr"));
	assert_false(has(&t, "x2apic"));
	assert_true(has(&t, "sse2"));
	assert_true(has(&t, "lm"));
	assert_true(has(&t, "hypervisor"));
	char brand[49];
	brand_of(t.cpuid, brand);
	assert_string_equal(brand, "sprig base x86-64 CPU");
	table_matches_features(&t);
	release(&t);

	/* The host model keeps them (but still drops ungiven features' leaves). */
	build_ok(&t, "host");
	assert_true(present(&t, 0x10, 0));
	assert_true(present(&t, 0x20, 0));
	assert_false(present(&t, 0x8000000a, 0));
	assert_int_equal(reg(t.cpuid, 0, 0, EAX), 0x20);
	assert_int_equal(reg(t.cpuid, 0x80000000, 0, EAX), 0x80000008);
	release(&t);

	/* x86-64-v1's paravirtual features; 7.1 when the model needs it. */
	build_ok(&t, "x86-64-v1");
	uint32_t pv = 0;
	static const char *const kvm_pv[] = { "kvmclock", "kvmclock-old", "kvm-nopiodelay",
					      "kvm-asyncpf", "kvm-steal-time", "kvm-pv-eoi",
					      "kvm-pv-unhalt", "kvmclock-stable-bit" };
	for (size_t i = 0; i < ARRAY_SIZE(kvm_pv); i++)
		pv |= 1u << feature(kvm_pv[i])->bit;
	assert_int_equal(reg(t.cpuid, 0x40000001, 0, EAX), pv);
	assert_true(has(&t, "mtrr"));
	assert_true(has(&t, "tsc_deadline_timer"));
	release(&t);
	build_ok(&t, "x86-64-v3,+avx_vnni");
	assert_int_equal(reg(t.cpuid, 7, 0, EAX), 1);
	assert_true(has(&t, "avx_vnni"));
	assert_int_equal(reg(t.cpuid, 7, 1, EAX), 1u << feature("avx_vnni")->bit);
	release(&t);
	/* A fixed model with the PMU keeps leaf 0xa. */
	build_ok(&t, "x86-64-v2,+pmu");
	assert_true(present(&t, 0xa, 0));
	release(&t);
}

/* --- 8. topology --- */

static unsigned next_pow2(unsigned n)
{
	unsigned p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* The per-vCPU copy: the template with only the APIC id fields changed. */
static void check_vcpu(const struct cpu_template *t, const struct cpu_topology *topo,
		       unsigned index, uint32_t apic_id)
{
	struct kvm_cpuid2 *v = cpuid_model_for_vcpu(t, topo, index);
	assert_non_null(v);
	assert_int_equal(v->nent, t->cpuid->nent);
	for (uint32_t i = 0; i < v->nent; i++) {
		struct kvm_cpuid_entry2 a = v->entries[i], b = t->cpuid->entries[i];
		if (a.function == 1) {
			assert_int_equal(a.ebx >> 24, apic_id & 0xff);
			a.ebx &= 0xffffff, b.ebx &= 0xffffff;
		} else if (a.function == 0xb || a.function == 0x1f) {
			assert_int_equal(a.edx, apic_id);
			a.edx = b.edx = 0;
		}
		assert_memory_equal(&a, &b, sizeof(a));
	}
	uint32_t r[4];
	cpuid_table_lookup(v, 0xb, 7, r);  /* beyond the last level: still the id */
	assert_int_equal(r[3], apic_id);
	free(v);
}

static void topology_for_1_to_256_vcpus(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 256; n++) {
		struct cpu_topology topo;
		assert_int_equal(cpu_topology_init(&topo, n, 1, 0), 0);
		assert_int_equal(topo.packages, 1);
		assert_int_equal(topo.cores, n);
		unsigned bits = cpu_topology_bits(n);
		assert_int_equal(1u << bits, next_pow2(n));
		bool seen[256] = { false };
		for (unsigned i = 0; i < n; i++) {
			uint32_t id = cpu_topology_apic_id(&topo, i);
			assert_true(id < n);
			assert_false(seen[id]);
			seen[id] = true;
		}
		struct cpu_template t;
		assert_int_equal(build_topo(&t, "host", &topo, false), 0);
		assert_int_equal(reg(t.cpuid, 0xb, 0, EAX), 0);
		assert_int_equal(reg(t.cpuid, 0xb, 0, EBX), 1);
		assert_int_equal(reg(t.cpuid, 0xb, 0, ECX), 0x100);
		assert_int_equal(reg(t.cpuid, 0xb, 1, EAX), bits);
		assert_int_equal(reg(t.cpuid, 0xb, 1, EBX), n);
		assert_int_equal(reg(t.cpuid, 0xb, 1, ECX), 0x201);
		assert_int_equal(reg(t.cpuid, 0xb, 2, ECX) & 0xff00, 0);
		assert_int_equal(reg(t.cpuid, 0x1f, 1, EBX), n);
		uint32_t addressable = next_pow2(n) > 255 ? 255 : next_pow2(n);
		assert_int_equal(reg(t.cpuid, 1, 0, EBX) >> 16 & 0xff, addressable);
		assert_int_equal(reg(t.cpuid, 1, 0, EBX) & 0xffff, 0x0800);  /* clflush, brand */
		assert_int_equal(reg(t.cpuid, 1, 0, EDX) >> 28 & 1, n > 1);
		assert_int_equal(has(&t, "ht"), n > 1);
		for (uint32_t sub = 0; sub < 4; sub++) {
			uint32_t eax = reg(t.cpuid, 4, sub, EAX);
			unsigned level = eax >> 5 & 7;
			uint32_t sharing = level == 3 ? next_pow2(n) - 1 : 0;
			assert_int_equal(eax >> 14 & 0xfff, sharing);
			assert_int_equal(eax >> 26, next_pow2(n) - 1 > 63 ? 63 : next_pow2(n) - 1);
			assert_int_equal(eax & 0x3fff, host_table.entries[3 + sub].eax & 0x3fff);
		}
		assert_int_equal(reg(t.cpuid, 4, 4, EAX), 0);
		assert_int_equal(reg(t.cpuid, 0x80000008, 0, ECX) & 0xff, n - 1 > 255 ? 255 : n - 1);
		assert_int_equal(reg(t.cpuid, 0x80000008, 0, ECX) >> 12 & 0xf, bits);
		for (unsigned i = 0; i < n; i++)
			check_vcpu(&t, &topo, i, cpu_topology_apic_id(&topo, i));
		release(&t);
	}
}

static void topology_with_threads_and_packages(void **state)
{
	(void)state;
	struct cpu_topology topo;
	struct cpu_template t;
	/* 4 vCPUs, 2 threads per core: 2 cores, ids 0..3. */
	assert_int_equal(cpu_topology_init(&topo, 4, 2, 0), 0);
	assert_int_equal(topo.cores, 2);
	assert_int_equal(topo.packages, 1);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(cpu_topology_apic_id(&topo, i), i);
	assert_int_equal(build_topo(&t, "host", &topo, false), 0);
	assert_int_equal(reg(t.cpuid, 0xb, 0, EBX), 2);
	assert_int_equal(reg(t.cpuid, 0xb, 0, EAX), 1);
	assert_int_equal(reg(t.cpuid, 0xb, 1, EBX), 4);
	assert_int_equal(reg(t.cpuid, 0xb, 1, EAX), 2);
	assert_int_equal(reg(t.cpuid, 4, 0, EAX) >> 14 & 0xfff, 1);  /* L1: the core's 2 threads */
	assert_int_equal(reg(t.cpuid, 4, 3, EAX) >> 14 & 0xfff, 3);  /* L3: the package */
	assert_int_equal(reg(t.cpuid, 4, 0, EAX) >> 26, 1);          /* 2 cores */
	assert_int_equal(reg(t.cpuid, 1, 0, EBX) >> 16 & 0xff, 4);
	for (unsigned i = 0; i < 4; i++)
		check_vcpu(&t, &topo, i, i);
	release(&t);

	/* 6 vCPUs of 3 cores: 2 packages, the core field 2 bits wide. */
	assert_int_equal(cpu_topology_init(&topo, 6, 0, 3), 0);
	assert_int_equal(topo.packages, 2);
	assert_int_equal(topo.threads, 1);
	static const uint32_t ids[] = { 0, 1, 2, 4, 5, 6 };
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(cpu_topology_apic_id(&topo, i), ids[i]);
	assert_int_equal(build_topo(&t, "host", &topo, false), 0);
	assert_int_equal(reg(t.cpuid, 0xb, 1, EBX), 3);              /* per package */
	assert_int_equal(reg(t.cpuid, 0xb, 1, EAX), 2);
	assert_int_equal(reg(t.cpuid, 1, 0, EBX) >> 16 & 0xff, 4);
	assert_int_equal(reg(t.cpuid, 4, 3, EAX) >> 14 & 0xfff, 3);
	assert_int_equal(reg(t.cpuid, 4, 3, EAX) >> 26, 3);
	assert_true(has(&t, "ht"));
	for (unsigned i = 0; i < 6; i++)
		check_vcpu(&t, &topo, i, ids[i]);
	release(&t);

	/* 2 packages of one: no HTT, one addressable id each. */
	assert_int_equal(cpu_topology_init(&topo, 2, 0, 1), 0);
	assert_int_equal(topo.packages, 2);
	assert_int_equal(cpu_topology_apic_id(&topo, 1), 1);
	assert_int_equal(build_topo(&t, "host", &topo, false), 0);
	assert_false(has(&t, "ht"));
	assert_int_equal(reg(t.cpuid, 1, 0, EBX) >> 16 & 0xff, 1);
	release(&t);

	/* 3 threads per core use 2 bits. */
	assert_int_equal(cpu_topology_init(&topo, 12, 3, 0), 0);
	assert_int_equal(topo.smt_bits, 2);
	assert_int_equal(cpu_topology_apic_id(&topo, 3), 4);
	assert_int_equal(cpu_topology_apic_id(&topo, 11), 14);

	assert_int_equal(cpu_topology_init(&topo, 5, 0, 2), -EINVAL);
	assert_int_equal(cpu_topology_init(&topo, 3, 2, 0), -EINVAL);
	assert_int_equal(cpu_topology_init(&topo, 0, 0, 0), -EINVAL);
	assert_int_equal(cpu_topology_init(&topo, 2, 0, 4), -EINVAL);
	assert_int_equal(cpu_topology_init(&topo, 4, 8, 0), -EINVAL);
	assert_int_equal(cpu_topology_init(&topo, 4, 0x80000000u, 2), -EINVAL);
	assert_int_equal(cpu_topology_bits(1), 0);
	assert_int_equal(cpu_topology_bits(2), 1);
	assert_int_equal(cpu_topology_bits(3), 2);
	assert_int_equal(cpu_topology_bits(256), 8);
	assert_int_equal(cpu_topology_bits(257), 9);
}

/* --- 9. the model string --- */

struct spec_case {
	const char *name, *text, *message;  /* message NULL: accepted */
};

static const struct spec_case spec_cases[] = {
	{ "spec ok: model only", "x86-64-v2", NULL },
	{ "spec ok: plus", "host,+avx2", NULL },
	{ "spec ok: minus", "host,-avx2", NULL },
	{ "spec ok: on", "base,avx2=on", NULL },
	{ "spec ok: off", "host,avx2=off", NULL },
	{ "spec ok: pmu", "microvm,+pmu", NULL },
	{ "spec ok: no pmu", "host,-pmu", NULL },
	{ "spec ok: dash spelling", "host,-sse4-2,+kvm_pv_eoi", NULL },
	{ "spec ok: repeated", "host,+sse2,+sse2", NULL },
	{ "spec bad: empty", "", "cpu: no model name" },
	{ "spec bad: no model", ",+sse", "cpu: no model name" },
	{ "spec bad: unknown model", "nosuch", "cpu: unknown model 'nosuch'" },
	{ "spec bad: model prefix", "hos", "cpu: unknown model 'hos'" },
	{ "spec bad: model with more", "hostx,+sse", "cpu: unknown model 'hostx'" },
	{ "spec bad: empty item", "host,,+sse", "cpu: empty feature after ','" },
	{ "spec bad: trailing comma", "host,+sse,", "cpu: empty feature after ','" },
	{ "spec bad: bare name", "host,avx2", "cpu: 'avx2': write +feature, -feature" },
	{ "spec bad: unknown feature", "host,+nosuch", "cpu: unknown feature 'nosuch'" },
	{ "spec bad: unknown off", "host,nosuch=off", "cpu: unknown feature 'nosuch'" },
	{ "spec bad: both ways", "host,+sse2,-sse2", "cpu: sse2 is both added and removed" },
	{ "spec bad: both ways reversed", "host,-sse2,sse2=on", "cpu: sse2 is both added and removed" },
	{ "spec bad: bare plus", "host,+", "cpu: '+': write +feature" },
	{ "spec bad: bare minus", "host,-", "cpu: '-': write +feature" },
	{ "spec bad: no name", "host,=on", "cpu: '=on': write +feature" },
	{ "spec bad: maybe", "host,sse2=maybe", "cpu: 'sse2=maybe': write +feature" },
	{ "spec bad: empty value", "host,sse2=", "cpu: 'sse2=': write +feature" },
	{ "spec bad: ON", "host,sse2=ON", "cpu: 'sse2=ON': write +feature" },
	{ "spec bad: sign and value", "host,+sse2=on", "cpu: unknown feature 'sse2=on'" },
};

static void spec_case(void **state)
{
	const struct spec_case *c = *state;
	struct cpu_spec spec;
	char message[256];
	memset(message, 0, sizeof(message));
	int err = cpu_spec_parse(&spec, c->text, message, sizeof(message));
	if (!c->message) {
		if (err)
			fail_msg("'%s' refused: %s", c->text, message);
		assert_non_null(spec.model);
		return;
	}
	assert_int_equal(err, -EINVAL);
	assert_contains(message, c->message);
	/* The same message in a small buffer: cut, terminated, never past it. */
	char small[40];
	memset(small, 'X', sizeof(small));
	assert_int_equal(cpu_spec_parse(&spec, c->text, small, 12), -EINVAL);
	assert_int_equal(strlen(small), strlen(message) < 11 ? strlen(message) : 11);
	assert_int_equal(strncmp(small, message, 11), 0);
	for (size_t i = 12; i < sizeof(small); i++)
		assert_int_equal(small[i], 'X');
	assert_int_equal(cpu_spec_parse(&spec, c->text, small, 1), -EINVAL);
	assert_int_equal(small[0], 0);
}

static void spec_results(void **state)
{
	(void)state;
	struct cpu_spec spec;
	char message[256];
	assert_int_equal(cpu_spec_parse(&spec, "x86-64-v3,+aes,avx2=off,-sse4-2,kvm_pv_eoi=on,-pmu",
					message, sizeof(message)), 0);
	assert_string_equal(spec.model->name, "x86-64-v3");
	feature_set plus = { 0 }, minus = { 0 };
	feature_add(plus, feature("aes"));
	feature_add(plus, feature("kvm-pv-eoi"));
	feature_add(minus, feature("avx2"));
	feature_add(minus, feature("sse4_2"));
	assert_memory_equal(spec.plus, plus, sizeof(plus));
	assert_memory_equal(spec.minus, minus, sizeof(minus));
	assert_int_equal(spec.pmu, 0);
	assert_int_equal(cpu_spec_parse(&spec, "host", message, sizeof(message)), 0);
	assert_ptr_equal(spec.model, cpu_model_find("host", 4));
	assert_int_equal(spec.pmu, -1);
	for (unsigned w = 0; w < FW_COUNT; w++)
		assert_int_equal(spec.plus[w] | spec.minus[w], 0);
	assert_int_equal(cpu_spec_parse(&spec, "host,+pmu", message, sizeof(message)), 0);
	assert_int_equal(spec.pmu, 1);
	assert_int_equal(cpu_spec_parse(&spec, "host,pmu=off", message, sizeof(message)), 0);
	assert_int_equal(spec.pmu, 0);
	/* A failed parse is not half-applied by a previous success. */
	assert_int_equal(cpu_spec_parse(&spec, "host,+aes,+nosuch", message, sizeof(message)),
			 -EINVAL);
	assert_int_equal(cpu_spec_parse(&spec, "base", message, sizeof(message)), 0);
	assert_false(feature_has(spec.plus, feature("aes")));
}

static void spec_long_strings(void **state)
{
	(void)state;
	struct cpu_spec spec;
	char message[256];
	char *text = malloc(2001);
	assert_non_null(text);
	/* A 2000-character model name, feature, and bad item. */
	static const char *const prefixes[] = { "", "host,+", "host," };
	static const char *const expect[] = { "cpu: unknown model '", "cpu: unknown feature '",
					      "': write +feature" };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		memset(text, 'a', 2000);
		text[2000] = 0;
		memcpy(text, prefixes[i], strlen(prefixes[i]));
		memset(message, 0, sizeof(message));
		assert_int_equal(cpu_spec_parse(&spec, text, message, sizeof(message)), -EINVAL);
		assert_contains(message, expect[i]);
		assert_true(strlen(message) < 160);         /* the name is cut */
		char tiny[8];
		assert_int_equal(cpu_spec_parse(&spec, text, tiny, sizeof(tiny)), -EINVAL);
		assert_int_equal(strlen(tiny), 7);
	}
	free(text);
}

/* --- 10. lookup --- */

static void lookup_as_kvm_does(void **state)
{
	(void)state;
	uint32_t r[4];
	cpuid_table_lookup(host.supported, 1, 0, r);
	uint32_t leaf1[4];
	memcpy(leaf1, r, sizeof(r));
	cpuid_table_lookup(host.supported, 1, 0x1234, r);  /* not indexed: subleaf ignored */
	assert_memory_equal(r, leaf1, sizeof(r));
	cpuid_table_lookup(host.supported, 0x80000006, 9, r);
	assert_int_equal(r[2], 0x01006040);
	cpuid_table_lookup(host.supported, 4, 3, r);        /* indexed: exactly that one */
	assert_int_equal(r[0], 0x1c03c163);
	cpuid_table_lookup(host.supported, 4, 9, r);        /* missing: zeros */
	assert_true(cpuid_regs_zero(r));
	cpuid_table_lookup(host.supported, 0x13, 0, r);
	assert_true(cpuid_regs_zero(r));
	cpuid_table_lookup(host.supported, 0x8000001f, 0, r);
	assert_true(cpuid_regs_zero(r));
	memset(r, 0xff, sizeof(r));
	cpuid_table_lookup(host.supported, 0xd, 5, r);
	assert_true(cpuid_regs_zero(r));
	/* 0xb/0x1f: CL echoed and EDX from subleaf 1, while subleaf 1 exists. */
	cpuid_table_find(&host_table.head, 0xb, 1)->edx = 42;
	cpuid_table_find(&host_table.head, 0x1f, 1)->edx = 43;
	cpuid_table_lookup(host.supported, 0xb, 5, r);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], 5);
	assert_int_equal(r[3], 42);
	cpuid_table_lookup(host.supported, 0x1f, 0x1ff, r);
	assert_int_equal(r[2], 0xff);
	assert_int_equal(r[3], 43);
	cpuid_table_lookup(host.supported, 0xb, 1, r);
	assert_int_equal(r[2], 0x201);
	cpuid_table_find(&host_table.head, 0xb, 1)->function = 0x99;  /* no subleaf 1 */
	cpuid_table_lookup(host.supported, 0xb, 5, r);
	assert_true(cpuid_regs_zero(r));
	/* Other leaves have no such quirk. */
	cpuid_table_lookup(host.supported, 4, 5, r);
	assert_true(cpuid_regs_zero(r));
	/* An empty table and a NULL one answer zeros. */
	struct kvm_cpuid2 empty = { 0 };
	memset(r, 0xff, sizeof(r));
	cpuid_table_lookup(&empty, 0, 0, r);
	assert_true(cpuid_regs_zero(r));
	assert_null(cpuid_table_find(NULL, 0, 0));
}

/* --- 11. the walk --- */

struct walk_log {
	const struct kvm_cpuid2 *table;
	unsigned queries, emitted;
	uint32_t leaf[4096], sub[4096];
};

static void walk_query(void *ctx, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	struct walk_log *log = ctx;
	log->queries++;
	cpuid_table_lookup(log->table, leaf, sub, r);
}

static void walk_emit(void *ctx, uint32_t leaf, uint32_t sub, const uint32_t r[4])
{
	struct walk_log *log = ctx;
	uint32_t mine[4];
	cpuid_table_lookup(log->table, leaf, sub, mine);
	assert_memory_equal(mine, r, sizeof(mine));
	assert_true(log->emitted < ARRAY_SIZE(log->leaf));
	log->leaf[log->emitted] = leaf;
	log->sub[log->emitted++] = sub;
}

static struct walk_log walk_log;

static void walk(const struct kvm_cpuid2 *table)
{
	memset(&walk_log, 0, sizeof(walk_log));
	walk_log.table = table;
	cpuid_walk(walk_query, walk_emit, &walk_log);
}

static unsigned walked(uint32_t leaf)
{
	unsigned n = 0;
	for (unsigned i = 0; i < walk_log.emitted; i++)
		n += walk_log.leaf[i] == leaf;
	return n;
}

static bool walked_sub(uint32_t leaf, uint32_t sub)
{
	for (unsigned i = 0; i < walk_log.emitted; i++)
		if (walk_log.leaf[i] == leaf && walk_log.sub[i] == sub)
			return true;
	return false;
}

static unsigned walked_in(uint32_t low, uint32_t high)
{
	unsigned n = 0;
	uint32_t last = 0xffffffff;
	for (unsigned i = 0; i < walk_log.emitted; i++)
		if (walk_log.leaf[i] >= low && walk_log.leaf[i] <= high && walk_log.leaf[i] != last)
			n++, last = walk_log.leaf[i];
	return n;
}

static void walk_follows_the_enumeration_rules(void **state)
{
	(void)state;
	add(0xd, 3, 0, 0, 0, 0);    /* present but all zero */
	add(0xd, 5, 64, 832, 0, 0);
	walk(host.supported);
	assert_int_equal(walked(4), 4);              /* 0..3, not the type-0 subleaf */
	assert_false(walked_sub(4, 4));
	assert_int_equal(walked(0xb), 2);            /* until level type 0 */
	assert_int_equal(walked(0x1f), 2);
	assert_int_equal(walked(7), 3);              /* 7.0 EAX = 2: 0, 1, 2 */
	assert_true(walked_sub(7, 2));
	assert_int_equal(walked(0xd), 4);            /* 0, 1, 2, 5 */
	assert_true(walked_sub(0xd, 5));
	assert_false(walked_sub(0xd, 3));
	assert_int_equal(walked(0x13), 1);           /* missing: one line of zeros */
	assert_int_equal(walked(0x20), 0);           /* beyond leaf 0 EAX */
	assert_int_equal(walked_in(0, 0x1f), 0x20);
	assert_int_equal(walked_in(0x40000000, 0x4fffffff), 2);
	assert_int_equal(walked_in(0x80000000, 0x8fffffff), 9);

	/* Leaf 7 claiming 5 subleaves gets exactly 6, present or not. */
	cpuid_table_find(&host_table.head, 7, 0)->eax = 5;
	walk(host.supported);
	assert_int_equal(walked(7), 6);

	/* Hostile: leaf 0 and 0x80000000 claim every leaf, leaf 7 every
	 * subleaf, leaf 4 has no significant index (every subleaf a cache). */
	cpuid_table_find(&host_table.head, 7, 0)->eax = 0xffffffff;
	struct kvm_cpuid_entry2 *l4 = cpuid_table_find(&host_table.head, 4, 0);
	l4->flags = 0;
	cpuid_table_find(&host_table.head, 0x80000000, 0)->eax = 0xffffffff;
	cpuid_table_find(&host_table.head, 0x40000000, 0)->eax = 0x4fffffff;
	cpuid_table_find(&host_table.head, 0, 0)->eax = 0xffffffff;
	walk(host.supported);
	assert_true(walked_in(0, 0x3fffffff) <= CPUID_WALK_LEAVES_MAX);
	assert_true(walked_in(0x40000000, 0x4fffffff) <= CPUID_WALK_LEAVES_MAX);
	assert_true(walked_in(0x80000000, 0xffffffff) <= CPUID_WALK_LEAVES_MAX);
	assert_true(walk_log.queries <= 3 * CPUID_WALK_LEAVES_MAX * CPUID_WALK_SUBLEAVES_MAX);
	assert_int_equal(walked(7), 0);              /* leaf 0 out of range: nothing */
	/* Just over the cap: nothing of the range. */
	cpuid_table_find(&host_table.head, 0, 0)->eax = CPUID_WALK_LEAVES_MAX;
	cpuid_table_find(&host_table.head, 0x80000000, 0)->eax = 0x80000000 + CPUID_WALK_LEAVES_MAX;
	walk(host.supported);
	assert_int_equal(walked_in(0, 0x3fffffff), 0);
	assert_int_equal(walked_in(0x80000000, 0xffffffff), 0);
	/* Just inside the cap: every leaf once, leaf 7 and 4 capped. */
	cpuid_table_find(&host_table.head, 0, 0)->eax = CPUID_WALK_LEAVES_MAX - 1;
	walk(host.supported);
	assert_int_equal(walked_in(0, 0x3fffffff), CPUID_WALK_LEAVES_MAX);
	assert_int_equal(walked(7), CPUID_WALK_SUBLEAVES_MAX);
	assert_int_equal(walked(4), CPUID_WALK_SUBLEAVES_MAX);
}

/* The walk over a built template lists exactly the leaves the docs name. */
static void walk_over_a_template(void **state)
{
	(void)state;
	struct cpu_template t;
	build_ok(&t, "x86-64-v2");
	walk(t.cpuid);
	assert_int_equal(walked(7), 1);
	assert_int_equal(walked(0xd), 1);            /* below leaf 0 EAX: one line of zeros */
	assert_false(present(&t, 0xd, 0));
	assert_int_equal(walked(0xa), 1);
	assert_int_equal(walked(4), 4);
	assert_int_equal(walked_in(0x40000000, 0x4fffffff), 2);
	/* Nothing in the table is out of the walk's sight, terminators and
	 * subleaves beyond 7.0 EAX aside. */
	uint32_t max7 = reg(t.cpuid, 7, 0, EAX);
	for (uint32_t i = 0; i < t.cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &t.cpuid->entries[i];
		if ((e->function == 4 && !(e->eax & 0x1f)) ||
		    ((e->function == 0xb || e->function == 0x1f) && !(e->ecx & 0xff00)) ||
		    (e->function == 7 && e->index > max7))
			continue;
		if (!walked_sub(e->function, e->index))
			fail_msg("leaf 0x%x.%u is in the table but not walked", e->function, e->index);
	}
	release(&t);
}

/* --- 12. boot MSRs --- */

static const struct kvm_msr_entry *msr(const struct kvm_msr_entry *m, unsigned n, uint32_t index)
{
	for (unsigned i = 0; i < n; i++)
		if (m[i].index == index)
			return &m[i];
	return NULL;
}

static void boot_msrs_follow_the_model(void **state)
{
	(void)state;
	struct cpu_template t;
	struct kvm_msr_entry m[MSR_BOOT_MAX];
	unsigned n;

	build_ok(&t, "host");
	n = cpu_boot_msrs(&t, m);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].index, MSR_IA32_MISC_ENABLE);
	assert_int_equal(m[0].data, 0x1801);
	assert_int_equal(msr(m, n, MSR_MTRR_DEF_TYPE)->data, 0x806);
	assert_int_equal(msr(m, n, MSR_IA32_ARCH_CAPABILITIES)->data, host.arch_cap);
	release(&t);

	build_ok(&t, "host,-mtrr");
	n = cpu_boot_msrs(&t, m);
	assert_int_equal(n, 2);
	assert_null(msr(m, n, MSR_MTRR_DEF_TYPE));
	assert_non_null(msr(m, n, MSR_IA32_ARCH_CAPABILITIES));
	release(&t);

	build_ok(&t, "base");
	n = cpu_boot_msrs(&t, m);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].index, MSR_IA32_MISC_ENABLE);
	assert_int_equal(m[0].data, 0x1801);
	release(&t);

	build_ok(&t, "x86-64-v1");
	n = cpu_boot_msrs(&t, m);
	assert_int_equal(n, 2);
	assert_int_equal(msr(m, n, MSR_MTRR_DEF_TYPE)->data, 0x806);
	assert_null(msr(m, n, MSR_IA32_ARCH_CAPABILITIES));
	release(&t);

	/* Fixed model with the MSR but no named bits: 0, high bits too. */
	build_ok(&t, "x86-64-v2,+arch_capabilities");
	assert_true(t.arch_cap_msr);
	n = cpu_boot_msrs(&t, m);
	assert_int_equal(n, 3);
	assert_int_equal(msr(m, n, MSR_IA32_ARCH_CAPABILITIES)->data, 0);
	release(&t);

	/* Named bits: exactly those the host has, the rest reported. */
	build_ok(&t, "x86-64-v2,+arch_capabilities,+rdcl_no,+mds_no,+rfds_no");
	n = cpu_boot_msrs(&t, m);
	uint64_t want = 1ull << feature("rdcl_no")->bit | 1ull << feature("mds_no")->bit;
	assert_int_equal(msr(m, n, MSR_IA32_ARCH_CAPABILITIES)->data, want);
	assert_int_equal(warning_count, 1);
	assert_non_null(warning_about("rfds_no"));
	release(&t);

	/* Bits without the MSR's CPUID bit: gone, reported. */
	build_ok(&t, "x86-64-v2,+rdcl_no");
	assert_false(t.arch_cap_msr);
	assert_int_equal(t.features[FW_ARCH_CAP], 0);
	assert_contains(warning_about("rdcl_no"), "needs arch_capabilities");
	release(&t);

	/* A KVM that cannot give the MSR. */
	host.arch_cap_msr = false;
	build_ok(&t, "host");
	assert_false(t.arch_cap_msr);
	assert_int_equal(t.features[FW_ARCH_CAP], 0);
	n = cpu_boot_msrs(&t, m);
	assert_int_equal(n, 2);
	assert_null(msr(m, n, MSR_IA32_ARCH_CAPABILITIES));
	release(&t);
}

int main(void)
{
#define HOST_TEST(f) cmocka_unit_test_setup_teardown(f, intel_host, free_templates)
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(model_table_is_sound),
		cmocka_unit_test(psabi_levels_nest),
		HOST_TEST(host_model_offers_what_the_host_offers),
		HOST_TEST(host_model_adds_nothing_the_host_lacks),
		HOST_TEST(host_model_pmu_on_request),
		HOST_TEST(max_model_adds_emulated),
		HOST_TEST(missing_features_are_reported_once_each),
		HOST_TEST(host_models_never_warn_about_what_they_inherit),
		HOST_TEST(microvm_hides_the_sandbox_list),
		HOST_TEST(enforce_error_is_bounded),
		HOST_TEST(minus_and_off_remove),
		HOST_TEST(dependencies_follow),
		HOST_TEST(xsave_leaf_is_recomputed),
		HOST_TEST(fixed_models_keep_only_plain_leaves),
		HOST_TEST(topology_for_1_to_256_vcpus),
		HOST_TEST(topology_with_threads_and_packages),
		cmocka_unit_test(spec_results),
		cmocka_unit_test(spec_long_strings),
		HOST_TEST(lookup_as_kvm_does),
		HOST_TEST(walk_follows_the_enumeration_rules),
		HOST_TEST(walk_over_a_template),
		HOST_TEST(boot_msrs_follow_the_model),
	};
#undef HOST_TEST
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(spec_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, spec_cases, spec_case, NULL, NULL);
	alloc_error(NULL);
	int failed = run_group("test_cpu_model", tests, n);
	free_error(NULL);
	return failed;
}
