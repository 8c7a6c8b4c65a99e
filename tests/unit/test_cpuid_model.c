/* CPU model logic on a synthetic host: feature selection and filtering,
 * dependencies, the leaf policy, leaf 0xd, topology for 1..256 vCPUs,
 * per-vCPU ids, the KVM-style lookup and the leaf walk, boot MSRs, the
 * model string parser and the model table itself. No KVM needed. */
#include "helpers.h"

#include <errno.h>

#include "../../cpu/cpuid_model.h"
#include "../../cpu/cpuid_walk.h"
#include "../../cpu/msr.h"

#define HOST_ENTRIES 64

static struct {
	struct kvm_cpuid2 head;
	struct kvm_cpuid_entry2 entries[HOST_ENTRIES];
} host_table;
static struct cpu_host host;
static char error[CPUID_MODEL_ERROR_SIZE];
static char warnings[8192];
static unsigned warning_count;

static void add(uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct kvm_cpuid_entry2 *e = &host_table.entries[host_table.head.nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf, e->index = sub;
	e->flags = cpuid_subleaf_rule(leaf) != SUBLEAF_NONE ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = a, e->ebx = b, e->ecx = c, e->edx = d;
}

static uint32_t bits(const char *names)
{
	/* All names of one register; the word is checked by the caller. */
	uint32_t v = 0;
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, " ");
		const struct cpu_feature *f = cpu_feature_find(p, len);
		if (!f)
			fail_msg("unknown feature %.*s", (int)len, p);
		v |= 1u << f->bit;
		p += len + (p[len] == ' ');
	}
	return v;
}

/* An Intel-like host without AVX-512, with a PMU and XSAVE (x87/SSE/AVX). */
static int make_host(void **state)
{
	(void)state;
	memset(&host_table, 0, sizeof(host_table));
	add(0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(1, 0, 0x000906ea, 0x00010800,
	    bits("pni pclmulqdq ssse3 fma cx16 pdcm sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx "
		 "f16c rdrand vmx monitor") | 1u << 27,
	    bits("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
		 "mmx fxsr sse sse2 ss ht"));
	add(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);
	add(4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0);
	add(4, 2, 0x1c004143, 0x00c0003f, 0x3ff, 0);
	add(4, 3, 0x1c03c163, 0x03c0003f, 0x2fff, 6);
	add(4, 4, 0, 0, 0, 0);
	add(5, 0, 0x40, 0x40, 3, 0x11142120);
	add(6, 0, bits("arat"), 0, 1, 0);
	add(7, 0, 1, bits("fsgsbase bmi1 avx2 smep bmi2 erms invpcid rtm hle mpx"), bits("waitpkg"),
	    bits("md_clear arch_capabilities"));
	add(7, 1, bits("avx_vnni"), 0, 0, 0);
	add(0xa, 0, 0x07300404, 0, 0, 0x603);
	add(0xb, 0, 1, 2, 0x100, 0);
	add(0xb, 1, 4, 8, 0x201, 0);
	add(0xd, 0, 0x1f, 0x240, 0x440, 0);
	add(0xd, 1, bits("xsaveopt xsavec xgetbv1"), 0x240, 0, 0);
	add(0xd, 2, 0x100, 0x240, 0, 0);
	add(0xd, 3, 0x40, 0x3c0, 0, 0);
	add(0xd, 4, 0x40, 0x400, 0, 0);
	add(0x14, 0, 1, 0, 0, 0);
	add(0x1f, 0, 1, 2, 0x100, 0);
	add(0x1f, 1, 4, 8, 0x201, 0);
	add(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(0x40000001, 0, bits("kvmclock-old kvm-nopiodelay kvmclock kvm-asyncpf kvm-steal-time "
				"kvm-pv-eoi kvm-pv-unhalt kvmclock-stable-bit"), 0, 0, 0);
	add(0x80000000, 0, 0x80000008, 0, 0, 0);
	add(0x80000001, 0, 0, 0, bits("lahf_lm abm 3dnowprefetch"),
	    bits("syscall nx pdpe1gb rdtscp lm"));
	add(0x80000006, 0, 0, 0, 0x01006040, 0);
	add(0x80000007, 0, 0, 0, 0, bits("invtsc"));
	add(0x80000008, 0, 0x3027, 0, 0, 0);
	memset(&host, 0, sizeof(host));
	host.supported = &host_table.head;
	host.arch_cap_msr = true;
	host.arch_cap = 0x10000000ull << 32 | bits("rdcl_no ibrs_all skip_vmentry_l1dflush mds_no");
	host.tsc_deadline = true;
	strcpy(host.brand, "Test CPU @ 1.00GHz");
	host.from_kvm = true;
	warnings[0] = 0;
	warning_count = 0;
	return 0;
}

static void collect(void *ctx, const char *message)
{
	(void)ctx;
	warning_count++;
	strncat(warnings, message, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static int build(struct cpu_template *t, const char *model, unsigned cpus, bool enforce)
{
	struct cpu_spec spec;
	struct cpu_topology topology;
	char why[256];
	if (cpu_spec_parse(&spec, model, why, sizeof(why)))
		fail_msg("%s: %s", model, why);
	assert_int_equal(cpu_topology_init(&topology, cpus, 0, 0), 0);
	return cpuid_model_build(t, &host, &spec, &topology, enforce, collect, NULL, error);
}

static uint32_t reg(const struct cpu_template *t, uint32_t leaf, uint32_t sub, int r)
{
	uint32_t regs[4];
	cpuid_table_lookup(t->cpuid, leaf, sub, regs);
	return regs[r];
}

static bool has(const struct cpu_template *t, const char *name)
{
	const struct cpu_feature *f = cpu_feature_find(name, strlen(name));
	assert_non_null(f);
	const struct feature_word_info *w = &feature_words[f->word];
	bool in_set = feature_has(t->features, f);
	if (!w->msr && t->cpuid && cpuid_table_find(t->cpuid, w->leaf, w->subleaf))
		assert_int_equal(in_set, reg(t, w->leaf, w->subleaf, w->reg) >> f->bit & 1);
	return in_set;
}

static void host_model_passes_the_host_through(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "host", 1, false), 0);
	const char *offered[] = { "pni", "cx16", "sse4_2", "avx", "xsave", "avx2", "bmi2", "rtm",
				  "lahf_lm", "lm", "pdpe1gb", "invtsc", "kvmclock", "x2apic",
				  "tsc_deadline_timer", "arch_capabilities", "avx_vnni", "xsaveopt" };
	for (size_t i = 0; i < ARRAY_SIZE(offered); i++)
		if (!has(&t, offered[i]))
			fail_msg("host lacks %s", offered[i]);
	assert_true(has(&t, "hypervisor"));
	assert_false(has(&t, "pdcm"));          /* PMU hidden by default */
	assert_int_equal(reg(&t, 1, 0, 2) >> 27 & 1, 0);  /* OSXSAVE is the guest's CR4 */
	assert_null(cpuid_table_find(t.cpuid, 0xa, 0));
	assert_int_equal(reg(&t, 0x40000000, 0, 0), 0x40000001);
	assert_int_equal(reg(&t, 0x40000000, 0, 1), 0x4b4d564b);
	char brand[49] = { 0 };
	for (uint32_t i = 0; i < 3; i++)
		for (int r = 0; r < 4; r++) {
			uint32_t v = reg(&t, 0x80000002 + i, 0, r);
			memcpy(brand + 16 * i + 4 * r, &v, 4);
		}
	assert_string_equal(brand, "Test CPU @ 1.00GHz");
	assert_true(t.arch_cap_msr);
	assert_int_equal(t.arch_cap, host.arch_cap);  /* host models keep KVM's value */
	assert_int_equal(warning_count, 0);
	cpuid_model_free(&t);
}

static void pmu_on_request(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "host,+pmu", 1, false), 0);
	assert_true(t.pmu);
	assert_true(has(&t, "pdcm"));
	assert_non_null(cpuid_table_find(t.cpuid, 0xa, 0));
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "x86-64-v2,+pdcm", 1, false), 0);
	assert_false(has(&t, "pdcm"));
	assert_contains(warnings, "pdcm needs the PMU");
	cpuid_model_free(&t);
}

static void missing_features_warn_once_each(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "x86-64-v4", 1, false), 0);
	const char *avx512[] = { "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl" };
	for (size_t i = 0; i < ARRAY_SIZE(avx512); i++) {
		char line[128];
		snprintf(line, sizeof(line), "cpu x86-64-v4: %s is not offered by this host's KVM; removed",
			 avx512[i]);
		assert_contains(warnings, line);
		assert_false(has(&t, avx512[i]));
		assert_true(feature_has(t.filtered, cpu_feature_find(avx512[i], strlen(avx512[i]))));
	}
	assert_int_equal(warning_count, 5);
	assert_true(has(&t, "avx2"));
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "x86-64-v4", 1, true), -EINVAL);
	assert_contains(error, "cpu x86-64-v4 (cpu-check = enforce):");
	assert_contains(error, "avx512f is not offered");
	assert_null(t.cpuid);
}

static void host_models_never_warn_about_what_they_inherit(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "microvm", 1, true), 0);
	assert_int_equal(warning_count, 0);
	assert_false(has(&t, "vmx"));
	assert_false(has(&t, "monitor"));
	assert_false(has(&t, "rtm"));
	assert_false(has(&t, "invtsc"));
	assert_null(cpuid_table_find(t.cpuid, 5, 0));     /* MONITOR leaf goes with monitor */
	assert_null(cpuid_table_find(t.cpuid, 0x14, 0));  /* and PT's with intel_pt */
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "pvm-safe", 1, true), 0);
	assert_int_equal(warning_count, 0);
	assert_false(has(&t, "cx16"));
	assert_false(has(&t, "xsave"));
	assert_false(has(&t, "avx"));
	assert_false(has(&t, "avx2"));
	assert_null(cpuid_table_find(t.cpuid, 0xd, 0));
	cpuid_model_free(&t);
}

static void minus_and_off_remove(void **state)
{
	(void)state;
	const char *specs[] = { "x86-64-v2,-popcnt", "x86-64-v2,popcnt=off", "host,-popcnt" };
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct cpu_template t;
		assert_int_equal(build(&t, specs[i], 1, true), 0);
		assert_false(has(&t, "popcnt"));
		assert_int_equal(reg(&t, 1, 0, 2) >> 23 & 1, 0);
		assert_true(has(&t, "sse4_2"));
		cpuid_model_free(&t);
	}
}

static void dependencies_follow(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "x86-64-v3,-xsave", 1, false), 0);
	const char *gone[] = { "avx", "avx2", "fma", "f16c" };
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
		char line[128];
		assert_false(has(&t, gone[i]));
		snprintf(line, sizeof(line), "%s needs ", gone[i]);
		assert_contains(warnings, line);
	}
	assert_null(cpuid_table_find(t.cpuid, 0xd, 0));
	assert_int_equal(t.xcr0, 0);
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "x86-64-v3,-xsave", 1, true), -EINVAL);
	assert_contains(error, "avx needs xsave");
}

static void xsave_leaf_is_recomputed(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "host", 1, false), 0);
	assert_int_equal(t.xcr0, 0x1f);             /* x87, SSE, AVX, MPX bounds and CSR */
	assert_int_equal(reg(&t, 0xd, 0, 0), 0x1f);
	assert_int_equal(reg(&t, 0xd, 0, 1), 576);  /* XCR0 = x87 at reset */
	assert_int_equal(reg(&t, 0xd, 0, 2), 0x400 + 0x40);
	assert_non_null(cpuid_table_find(t.cpuid, 0xd, 4));
	assert_int_equal(reg(&t, 0xd, 1, 1), 576);  /* xsavec: compacted size at reset */
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "host,-mpx", 1, false), 0);
	assert_int_equal(t.xcr0, 0x7);
	assert_int_equal(reg(&t, 0xd, 0, 2), 576 + 256);
	assert_null(cpuid_table_find(t.cpuid, 0xd, 3));
	assert_null(cpuid_table_find(t.cpuid, 0xd, 4));
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "host,-mpx,-avx", 1, false), 0);
	assert_int_equal(t.xcr0, 0x3);
	assert_int_equal(reg(&t, 0xd, 0, 2), 576);
	assert_null(cpuid_table_find(t.cpuid, 0xd, 2));
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "x86-64-v3", 1, false), 0);
	assert_int_equal(t.xcr0, 0x7);
	assert_int_equal(reg(&t, 0xd, 1, 0), 0);    /* v3 names no XSAVE variants */
	assert_int_equal(reg(&t, 0xd, 1, 1), 0);
	cpuid_model_free(&t);
}

static void fixed_models_keep_only_plain_leaves(void **state)
{
	(void)state;
	struct cpu_template t;
	assert_int_equal(build(&t, "base", 1, true), 0);
	assert_int_equal(warning_count, 0);
	assert_null(cpuid_table_find(t.cpuid, 0xa, 0));
	assert_null(cpuid_table_find(t.cpuid, 0x14, 0));
	assert_null(cpuid_table_find(t.cpuid, 0xd, 0));
	assert_null(cpuid_table_find(t.cpuid, 5, 0));
	assert_non_null(cpuid_table_find(t.cpuid, 4, 3));
	assert_int_equal(reg(&t, 7, 0, 0), 0);      /* no 7.1 features: one subleaf */
	assert_int_equal(reg(&t, 7, 0, 1), 0);
	assert_int_equal(reg(&t, 0, 0, 0), 0x1f);
	assert_int_equal(reg(&t, 0x80000000, 0, 0), 0x80000008);
	assert_int_equal(reg(&t, 6, 0, 2), 0);      /* leaf 6 ECX says nothing for fixed models */
	assert_false(has(&t, "mtrr"));
	assert_false(has(&t, "kvmclock"));
	assert_false(t.arch_cap_msr);
	cpuid_model_free(&t);
}

static void topology_for_1_to_256_vcpus(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 256; n++) {
		struct cpu_template t;
		struct cpu_topology topology;
		assert_int_equal(build(&t, "host", n, false), 0);
		assert_int_equal(cpu_topology_init(&topology, n, 0, 0), 0);
		unsigned width = cpu_topology_bits(n);
		assert_int_equal(reg(&t, 0xb, 1, 1), n);
		assert_int_equal(reg(&t, 0xb, 1, 0), width);
		assert_int_equal(reg(&t, 0xb, 0, 1), 1);
		assert_int_equal(reg(&t, 0xb, 2, 2) & 0xff00, 0);
		uint32_t logical = (1u << width) > 255 ? 255 : 1u << width;
		assert_int_equal(reg(&t, 1, 0, 1) >> 16 & 0xff, logical);
		assert_int_equal(reg(&t, 1, 0, 3) >> 28 & 1, n > 1);
		assert_int_equal(reg(&t, 4, 0, 0) >> 26, width > 6 ? 63 : (1u << width) - 1);
		assert_int_equal(reg(&t, 4, 3, 0) >> 14 & 0xfff, (1u << width) - 1);  /* L3 */
		assert_int_equal(reg(&t, 4, 0, 0) >> 14 & 0xfff, 0);                 /* L1 */
		for (unsigned i = 0; i < n; i += (n > 16 ? 7 : 1)) {
			struct kvm_cpuid2 *v = cpuid_model_for_vcpu(&t, &topology, i);
			uint32_t r[4];
			assert_non_null(v);
			assert_int_equal(cpu_topology_apic_id(&topology, i), i);
			cpuid_table_lookup(v, 1, 0, r);
			assert_int_equal(r[1] >> 24, i & 0xff);
			cpuid_table_lookup(v, 0xb, 0, r);
			assert_int_equal(r[3], i);
			cpuid_table_lookup(v, 0x1f, 1, r);
			assert_int_equal(r[3], i);
			free(v);
		}
		cpuid_model_free(&t);
	}
}

static void topology_with_gaps(void **state)
{
	(void)state;
	struct cpu_topology t;
	assert_int_equal(cpu_topology_init(&t, 6, 0, 3), 0);
	assert_int_equal(t.packages, 2);
	const uint32_t ids[] = { 0, 1, 2, 4, 5, 6 };
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(cpu_topology_apic_id(&t, i), ids[i]);
	assert_int_equal(cpu_topology_init(&t, 4, 2, 0), 0);
	assert_int_equal(t.cores, 2);
	assert_int_equal(t.smt_bits, 1);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(cpu_topology_apic_id(&t, i), i);
	assert_int_equal(cpu_topology_init(&t, 12, 3, 0), 0);  /* threads use 2 bits */
	assert_int_equal(cpu_topology_apic_id(&t, 3), 4);
	assert_int_equal(cpu_topology_init(&t, 5, 0, 2), -EINVAL);
	assert_int_equal(cpu_topology_init(&t, 3, 2, 0), -EINVAL);
	assert_int_equal(cpu_topology_init(&t, 0, 0, 0), -EINVAL);
	assert_int_equal(cpu_topology_init(&t, 2, 0, 4), -EINVAL);
}

static void smt_in_cpuid(void **state)
{
	(void)state;
	struct cpu_template t;
	struct cpu_spec spec;
	struct cpu_topology topology;
	assert_int_equal(cpu_spec_parse(&spec, "host", error, sizeof(error)), 0);
	assert_int_equal(cpu_topology_init(&topology, 8, 2, 2), 0);  /* 2 packages */
	assert_int_equal(cpuid_model_build(&t, &host, &spec, &topology, false, collect, NULL, error), 0);
	assert_int_equal(reg(&t, 0xb, 0, 0), 1);
	assert_int_equal(reg(&t, 0xb, 0, 1), 2);
	assert_int_equal(reg(&t, 0xb, 1, 0), 2);
	assert_int_equal(reg(&t, 0xb, 1, 1), 4);
	assert_int_equal(reg(&t, 4, 0, 0) >> 14 & 0xfff, 1);  /* L1 shared by 2 threads */
	assert_int_equal(reg(&t, 4, 3, 0) >> 14 & 0xfff, 3);  /* L3 by the package */
	struct kvm_cpuid2 *v = cpuid_model_for_vcpu(&t, &topology, 5);
	uint32_t r[4];
	cpuid_table_lookup(v, 0xb, 1, r);
	assert_int_equal(r[3], 5);  /* package 1, core 0, thread 1 */
	free(v);
	cpuid_model_free(&t);
}

static void lookup_as_kvm_does(void **state)
{
	(void)state;
	uint32_t r[4];
	cpuid_table_lookup(host.supported, 1, 7, r);      /* leaf 1 ignores the subleaf */
	assert_int_equal(r[0], 0x000906ea);
	cpuid_table_lookup(host.supported, 0x13, 0, r);   /* missing: zeros */
	assert_true(cpuid_regs_zero(r));
	cpuid_table_lookup(host.supported, 4, 9, r);
	assert_true(cpuid_regs_zero(r));
	host_table.entries[13].edx = 42;                  /* 0xb.1 */
	assert_int_equal(host_table.entries[13].function, 0xb);
	cpuid_table_lookup(host.supported, 0xb, 5, r);    /* 0xb: CL echoed, EDX = x2APIC id */
	assert_int_equal(r[0], 0);
	assert_int_equal(r[2], 5);
	assert_int_equal(r[3], 42);
}

struct walk_log {
	const struct kvm_cpuid2 *table;
	uint32_t leaves[512], subleaves[512];
	unsigned n;
};

static void walk_query(void *ctx, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	cpuid_table_lookup(((struct walk_log *)ctx)->table, leaf, sub, r);
}

static void walk_emit(void *ctx, uint32_t leaf, uint32_t sub, const uint32_t r[4])
{
	struct walk_log *log = ctx;
	(void)r;
	assert_true(log->n < 512);
	log->leaves[log->n] = leaf;
	log->subleaves[log->n++] = sub;
}

static unsigned subleaves_of(const struct walk_log *log, uint32_t leaf)
{
	unsigned count = 0;
	for (unsigned i = 0; i < log->n; i++)
		count += log->leaves[i] == leaf;
	return count;
}

static void walk_follows_the_enumeration_rules(void **state)
{
	(void)state;
	static struct walk_log log;
	memset(&log, 0, sizeof(log));
	log.table = host.supported;
	cpuid_walk(walk_query, walk_emit, &log);
	assert_int_equal(subleaves_of(&log, 4), 4);      /* until the type-0 subleaf */
	assert_int_equal(subleaves_of(&log, 0xb), 2);    /* until level type 0 */
	assert_int_equal(subleaves_of(&log, 7), 2);      /* 0..EAX of subleaf 0 */
	assert_int_equal(subleaves_of(&log, 0xd), 5);    /* the non-zero ones */
	assert_int_equal(subleaves_of(&log, 0x1e), 1);   /* missing: one line of zeros */
	assert_int_equal(subleaves_of(&log, 0x40000001), 1);
	assert_int_equal(subleaves_of(&log, 0x80000008), 1);
	assert_int_equal(subleaves_of(&log, 0x80000009), 0);
	/* A hostile table: leaf 0 claims every leaf, leaf 7 every subleaf. */
	host_table.entries[0].eax = 0xffffffff;
	host_table.entries[9].eax = 0xffffffff;
	assert_int_equal(host_table.entries[9].function, 7);
	memset(&log, 0, sizeof(log));
	log.table = host.supported;
	cpuid_walk(walk_query, walk_emit, &log);
	assert_int_equal(subleaves_of(&log, 7), 0);      /* out of range: not walked */
	host_table.entries[0].eax = 0x1f;
	memset(&log, 0, sizeof(log));
	log.table = host.supported;
	cpuid_walk(walk_query, walk_emit, &log);
	assert_int_equal(subleaves_of(&log, 7), CPUID_WALK_SUBLEAVES_MAX);
}

static void boot_msrs_follow_the_model(void **state)
{
	(void)state;
	struct cpu_template t;
	struct kvm_msr_entry msrs[MSR_BOOT_MAX];
	assert_int_equal(build(&t, "host", 1, false), 0);
	assert_int_equal(cpu_boot_msrs(&t, msrs), 3);
	assert_int_equal(msrs[0].index, MSR_IA32_MISC_ENABLE);
	assert_int_equal(msrs[0].data, 0x1801);
	assert_int_equal(msrs[1].index, MSR_MTRR_DEF_TYPE);
	assert_int_equal(msrs[1].data, 0x806);
	assert_int_equal(msrs[2].index, MSR_IA32_ARCH_CAPABILITIES);
	assert_int_equal(msrs[2].data, host.arch_cap);
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "base", 1, false), 0);
	assert_int_equal(cpu_boot_msrs(&t, msrs), 1);
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "x86-64-v1,+arch_capabilities,+mds_no,-mtrr", 1, false), 0);
	assert_int_equal(cpu_boot_msrs(&t, msrs), 2);
	assert_int_equal(msrs[1].index, MSR_IA32_ARCH_CAPABILITIES);
	assert_int_equal(msrs[1].data, 1u << 5);         /* only what the model names */
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "host,-arch_capabilities", 1, false), 0);
	assert_false(t.arch_cap_msr);
	assert_int_equal(t.features[FW_ARCH_CAP], 0);
	cpuid_model_free(&t);
}

/* A KVM that lists IA32_ARCH_CAPABILITIES but refuses it to vCPUs
 * (kvm-pvm): no model offers the CPUID bit that promises the MSR; host
 * models drop it quietly, a user who names it is told. */
static void refused_arch_capabilities_are_not_offered(void **state)
{
	(void)state;
	struct cpu_template t;
	host.arch_cap_msr = false;  /* what cpu_host_check_vcpu concludes */
	assert_int_equal(build(&t, "host", 1, false), 0);
	assert_false(has(&t, "arch_capabilities"));
	assert_false(t.arch_cap_msr);
	assert_int_equal(t.features[FW_ARCH_CAP], 0);
	assert_int_equal(reg(&t, 7, 0, CPUID_EDX) >> 29 & 1, 0);
	assert_string_equal(warnings, "");
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "x86-64-v1,+arch_capabilities,+mds_no", 1, false), 0);
	assert_contains(warnings, "arch_capabilities is not offered by this host's KVM");
	assert_false(t.arch_cap_msr);
	cpuid_model_free(&t);
	assert_int_equal(build(&t, "host,+arch_capabilities", 1, true), -EINVAL);
	assert_contains(error, "arch_capabilities is not offered");
}

struct spec_case {
	const char *name, *text, *message;  /* message NULL: accepted */
};

static const struct spec_case spec_cases[] = {
	{ "spec: model only", "x86-64-v2", NULL },
	{ "spec: plus and minus", "host,+avx2,-sse4_2", NULL },
	{ "spec: on and off", "host,avx2=on,sse4-2=off", NULL },
	{ "spec: pmu", "microvm,+pmu", NULL },
	{ "spec: empty", "", "cpu: no model name" },
	{ "spec: no model", ",+sse", "cpu: no model name" },
	{ "spec: unknown model", "nosuch", "cpu: unknown model 'nosuch'" },
	{ "spec: empty item", "host,,+sse", "cpu: empty feature after ','" },
	{ "spec: trailing comma", "host,", "cpu: empty feature after ','" },
	{ "spec: bare name", "host,avx2", "cpu: 'avx2': write +feature, -feature" },
	{ "spec: bare plus", "host,+", "cpu: '+': write +feature" },
	{ "spec: unknown feature", "host,+nosuch", "cpu: unknown feature 'nosuch'" },
	{ "spec: both ways", "host,+sse2,-sse2", "cpu: sse2 is both added and removed" },
	{ "spec: both ways, spelled differently", "host,sse4_2=off,+sse4-2",
	  "cpu: sse4_2 is both added and removed" },
	{ "spec: empty name", "host,=on", "cpu: '=on': write +feature" },
	{ "spec: bad switch", "host,sse2=maybe", "cpu: 'sse2=maybe': write +feature" },
	{ "spec: model name case", "HOST", "cpu: unknown model 'HOST'" },
};

static void spec_case(void **state)
{
	const struct spec_case *c = *state;
	struct cpu_spec spec;
	char message[256] = "";
	int err = cpu_spec_parse(&spec, c->text, message, sizeof(message));
	if (!c->message) {
		if (err)
			fail_msg("%s refused: %s", c->text, message);
		return;
	}
	assert_int_equal(err, -EINVAL);
	assert_contains(message, c->message);
}

static void spec_results(void **state)
{
	(void)state;
	struct cpu_spec spec;
	char message[256];
	assert_int_equal(cpu_spec_parse(&spec, "x86-64-v3,+aes,avx2=off,-pmu", message, sizeof(message)), 0);
	assert_string_equal(spec.model->name, "x86-64-v3");
	assert_true(feature_has(spec.plus, cpu_feature_find("aes", 3)));
	assert_true(feature_has(spec.minus, cpu_feature_find("avx2", 4)));
	assert_int_equal(spec.pmu, 0);
	assert_int_equal(cpu_spec_parse(&spec, "host", message, sizeof(message)), 0);
	assert_int_equal(spec.pmu, -1);
	/* Long and hostile input: a bounded message, never an overflow. */
	static char long_spec[4096];
	memset(long_spec, 'a', sizeof(long_spec) - 1);
	memcpy(long_spec, "host,+", 6);
	char small[24];
	assert_int_equal(cpu_spec_parse(&spec, long_spec, small, sizeof(small)), -EINVAL);
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(cpu_spec_parse(&spec, long_spec + 6, message, sizeof(message)), -EINVAL);
	assert_true(strlen(message) < 200);
}

static void resolve_flag(void *ctx, const struct cpu_feature *f)
{
	(void)ctx, (void)f;
}

static void model_table_is_consistent(void **state)
{
	(void)state;
	const char *bad = NULL;
	for (size_t i = 0; i < cpu_models_count; i++) {
		const struct cpu_model *m = &cpu_models[i];
		feature_set add, remove;
		if (cpu_model_resolve(m, add, remove, &bad))
			fail_msg("model %s names an unknown feature near '%.20s'", m->name, bad);
		assert_true(cpu_model_find(m->name, strlen(m->name)) == m);
		if (m->parent)
			assert_non_null(cpu_model_find(m->parent, strlen(m->parent)));
		assert_int_equal(m->parent != NULL, m->base == MODEL_FIXED && strcmp(m->name, "base"));
		assert_null(strpbrk(m->name, ", +="));
	}
	for (size_t i = 0; i < feature_dependencies_count; i++) {
		const char *a = feature_dependencies[i].feature, *b = feature_dependencies[i].needs;
		if (!cpu_feature_find(a, strlen(a)) || !cpu_feature_find(b, strlen(b)))
			fail_msg("dependency %s -> %s names an unknown feature", a, b);
	}
	assert_int_equal(feature_list_each(pmu_features, resolve_flag, NULL, &bad), 0);
	/* Each psABI level contains the one below it. */
	const char *levels[] = { "base", "x86-64-v1", "x86-64-v2", "x86-64-v3", "x86-64-v4" };
	feature_set below = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		feature_set add, remove;
		assert_int_equal(cpu_model_resolve(cpu_model_find(levels[i], strlen(levels[i])), add,
						   remove, &bad), 0);
		for (unsigned w = 0; w < FW_COUNT; w++)
			assert_int_equal(add[w] & below[w], below[w]);
		memcpy(below, add, sizeof(below));
	}
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup(host_model_passes_the_host_through, make_host),
		cmocka_unit_test_setup(pmu_on_request, make_host),
		cmocka_unit_test_setup(missing_features_warn_once_each, make_host),
		cmocka_unit_test_setup(host_models_never_warn_about_what_they_inherit, make_host),
		cmocka_unit_test_setup(minus_and_off_remove, make_host),
		cmocka_unit_test_setup(dependencies_follow, make_host),
		cmocka_unit_test_setup(xsave_leaf_is_recomputed, make_host),
		cmocka_unit_test_setup(fixed_models_keep_only_plain_leaves, make_host),
		cmocka_unit_test_setup(topology_for_1_to_256_vcpus, make_host),
		cmocka_unit_test(topology_with_gaps),
		cmocka_unit_test_setup(smt_in_cpuid, make_host),
		cmocka_unit_test_setup(lookup_as_kvm_does, make_host),
		cmocka_unit_test_setup(walk_follows_the_enumeration_rules, make_host),
		cmocka_unit_test_setup(boot_msrs_follow_the_model, make_host),
		cmocka_unit_test_setup(refused_arch_capabilities_are_not_offered, make_host),
		cmocka_unit_test(spec_results),
		cmocka_unit_test(model_table_is_consistent),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(spec_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, spec_cases, spec_case, NULL, NULL);
	return run_group("test_cpuid_model", tests, n);
}
