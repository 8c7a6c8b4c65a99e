/* The model table. Feature names are Linux's /proc/cpuinfo names
 * (cpu/features.c); docs/cpu-models.md explains each model's choices. */
#include "models.h"

#include <errno.h>
#include <string.h>

/* KVM's paravirtual features a modern guest expects, as QEMU's named
 * models enable them under KVM (kvmclock, async PF, steal time, PV EOI). */
#define KVM_PV "kvmclock kvmclock-old kvm-nopiodelay kvm-asyncpf kvm-steal-time kvm-pv-eoi " \
	"kvm-pv-unhalt kvmclock-stable-bit "

/* What a sandbox has no business seeing: nested virtualization, host
 * power and performance monitoring, debug stores and tracing, SGX and TSX
 * (long histories of side channels), MONITOR/MWAIT (guest idle would
 * park host cores), supervisor XSAVE state, and invariant TSC, which ties
 * a guest to one host's clock. Firecracker's T2 templates hide these too. */
#define SANDBOX_HIDDEN "vmx smx svm monitor mwaitx dtes64 ds_cpl est tm2 xtpr pdcm dca " \
	"acpi tm pbe dts sgx sgx_lc intel_pt hle rtm mpx waitpkg pconfig arch_lbr tme " \
	"enqcmd ibs lwp skinit wdt perfctr_core perfctr_nb perfctr_llc xsaves invtsc " \
	"tsx_ctrl_msr "

const struct cpu_model cpu_models[] = {
	{ "host", "everything this host's KVM supports (KVM_GET_SUPPORTED_CPUID)",
	  MODEL_HOST, NULL, "hypervisor", NULL, NULL, false },
	{ "max", "host plus what KVM can emulate (KVM_GET_EMULATED_CPUID, e.g. movbe, rdpid)",
	  MODEL_MAX, NULL, "hypervisor", NULL, NULL, false },
	{ "base", "minimal x86-64: what a 64-bit kernel cannot boot without",
	  MODEL_FIXED, NULL,
	  "fpu de pse tsc msr pae cx8 apic sep pge cmov pat clflush mmx fxsr sse sse2 "
	  "syscall nx lm hypervisor",
	  NULL, "sprig base x86-64 CPU", false },
	{ "x86-64-v1", "x86-64 psABI level 1 (baseline) with KVM paravirtual features",
	  MODEL_FIXED, "base",
	  "vme mce mtrr mca pse36 x2apic tsc_deadline_timer " KVM_PV,
	  NULL, "sprig x86-64-v1 CPU", false },
	{ "x86-64-v2", "x86-64 psABI level 2: v1 + cx16 lahf_lm popcnt sse3 sse4.1 sse4.2 ssse3",
	  MODEL_FIXED, "x86-64-v1",
	  "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3",
	  NULL, "sprig x86-64-v2 CPU", false },
	{ "x86-64-v3", "x86-64 psABI level 3: v2 + avx avx2 bmi1 bmi2 f16c fma lzcnt movbe xsave",
	  MODEL_FIXED, "x86-64-v2",
	  "avx avx2 bmi1 bmi2 f16c fma abm movbe xsave",
	  NULL, "sprig x86-64-v3 CPU", false },
	{ "x86-64-v4", "x86-64 psABI level 4: v3 + avx512f avx512bw avx512cd avx512dq avx512vl",
	  MODEL_FIXED, "x86-64-v3",
	  "avx512f avx512bw avx512cd avx512dq avx512vl",
	  NULL, "sprig x86-64-v4 CPU", false },
	{ "microvm", "host minus what a sandbox should not expose (like Firecracker's T2)",
	  MODEL_HOST, NULL, "hypervisor x2apic tsc_deadline_timer", SANDBOX_HIDDEN,
	  NULL, false },
	{ "pvm-safe", "microvm minus cx16 and XSAVE, which this project's kvm-pvm hosts "
	  "cannot emulate (docs/host-notes.md)",
	  MODEL_HOST, NULL, "hypervisor x2apic tsc_deadline_timer", SANDBOX_HIDDEN "cx16 xsave",
	  NULL, false },
};
const size_t cpu_models_count = sizeof(cpu_models) / sizeof(cpu_models[0]);

/* After QEMU's feature_dependencies: a feature whose prerequisite is
 * gone cannot work, so it goes too. Only what guests actually rely on. */
const struct feature_dependency feature_dependencies[] = {
	{ "sse2", "sse" }, { "pni", "sse2" }, { "ssse3", "pni" }, { "sse4_1", "ssse3" },
	{ "sse4_2", "sse4_1" }, { "avx", "xsave" }, { "avx", "sse4_2" },
	{ "xsaveopt", "xsave" }, { "xsavec", "xsave" }, { "xgetbv1", "xsave" },
	{ "xsaves", "xsave" }, { "xfd", "xsave" }, { "avx2", "avx" }, { "fma", "avx" },
	{ "f16c", "avx" }, { "vaes", "avx" }, { "vpclmulqdq", "avx" }, { "avx_vnni", "avx" },
	{ "avx512f", "avx" }, { "avx512dq", "avx512f" }, { "avx512ifma", "avx512f" },
	{ "avx512pf", "avx512f" }, { "avx512er", "avx512f" }, { "avx512cd", "avx512f" },
	{ "avx512bw", "avx512f" }, { "avx512vl", "avx512f" }, { "avx512vbmi", "avx512f" },
	{ "avx512_vbmi2", "avx512f" }, { "avx512_vnni", "avx512f" },
	{ "avx512_bitalg", "avx512f" }, { "avx512_vpopcntdq", "avx512f" },
	{ "avx512_bf16", "avx512f" }, { "avx512_fp16", "avx512f" },
	{ "avx512_vp2intersect", "avx512f" }, { "amx_tile", "xsave" },
	{ "amx_bf16", "amx_tile" }, { "amx_int8", "amx_tile" }, { "x2apic", "apic" },
	{ "tsc_deadline_timer", "apic" }, { "rdtscp", "tsc" }, { "pku", "pae" },
	{ "rdcl_no", "arch_capabilities" }, { "mds_no", "arch_capabilities" },
	{ "taa_no", "arch_capabilities" }, { "tsx_ctrl_msr", "arch_capabilities" },
};
const size_t feature_dependencies_count =
	sizeof(feature_dependencies) / sizeof(feature_dependencies[0]);

const char *const pmu_features = "pdcm perfctr_core perfctr_nb perfctr_llc arch_perfmon_ext";

const struct cpu_model *cpu_model_find(const char *name, size_t len)
{
	for (size_t i = 0; i < cpu_models_count; i++)
		if (strlen(cpu_models[i].name) == len && !memcmp(cpu_models[i].name, name, len))
			return &cpu_models[i];
	return NULL;
}

int feature_list_each(const char *list, void (*fn)(void *ctx, const struct cpu_feature *f),
		      void *ctx, const char **bad)
{
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, " ");
		if (len) {
			const struct cpu_feature *f = cpu_feature_find(p, len);
			if (!f) {
				*bad = p;
				return -ENOENT;
			}
			fn(ctx, f);
		}
		p += len + (p[len] == ' ');
	}
	return 0;
}

static void add_to(void *set, const struct cpu_feature *f)
{
	feature_add(set, f);
}

int cpu_model_resolve(const struct cpu_model *model, feature_set add, feature_set remove,
		      const char **bad)
{
	memset(add, 0, sizeof(feature_set));
	memset(remove, 0, sizeof(feature_set));
	/* Parents first; the table is small and acyclic (unit-tested). */
	const struct cpu_model *chain[8];
	unsigned depth = 0;
	for (const struct cpu_model *m = model; m && depth < 8; depth++) {
		chain[depth] = m;
		m = m->parent ? cpu_model_find(m->parent, strlen(m->parent)) : NULL;
	}
	while (depth--) {
		int err = feature_list_each(chain[depth]->features, add_to, add, bad);
		if (!err)
			err = feature_list_each(chain[depth]->removed, add_to, remove, bad);
		if (err)
			return err;
	}
	for (unsigned w = 0; w < FW_COUNT; w++)
		add[w] &= ~remove[w];
	return 0;
}
