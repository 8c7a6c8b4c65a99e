/* From a model, this host's KVM and a topology to the CPUID table a guest
 * sees: pure functions over struct kvm_cpuid2, so `sprig cpu show`, the
 * vCPUs and the unit tests all use the same code. */
#ifndef SPRIG_CPUID_MODEL_H
#define SPRIG_CPUID_MODEL_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "features.h"
#include "spec.h"
#include "topology.h"

#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define CPUID_MODEL_ERROR_SIZE 512

/* What this host can give, read once from /dev/kvm (cpu/host.c). */
struct cpu_host {
	struct kvm_cpuid2 *supported;  /* KVM_GET_SUPPORTED_CPUID */
	struct kvm_cpuid2 *emulated;   /* KVM_GET_EMULATED_CPUID, or NULL */
	bool arch_cap_msr;             /* a feature MSR KVM can give */
	uint64_t arch_cap;
	bool tsc_deadline;             /* KVM_CAP_TSC_DEADLINE_TIMER */
	char brand[49];                /* this CPU's brand string */
	bool from_kvm;                 /* false: this CPU's own CPUID stood in */
};

/* What every vCPU of one VM is given; per-vCPU fields are filled by
 * cpuid_model_for_vcpu. */
struct cpu_template {
	struct kvm_cpuid2 *cpuid;
	feature_set features;          /* what the guest gets */
	feature_set filtered;          /* asked for, but not given */
	bool pmu;
	uint64_t xcr0, xss;            /* state components the guest may enable */
	bool arch_cap_msr;             /* IA32_ARCH_CAPABILITIES is offered */
	uint64_t arch_cap;
};

/* Called once per feature removed against what was asked for. */
typedef void cpu_warn_fn(void *ctx, const char *message);

/* Returns 0; -EINVAL under `enforce` when something asked for cannot be
 * given (`error` says what); -ENOMEM. */
int cpuid_model_build(struct cpu_template *t, const struct cpu_host *host,
		      const struct cpu_spec *spec, const struct cpu_topology *topology,
		      bool enforce, cpu_warn_fn *warn, void *ctx, char *error);

/* A copy of the template with vCPU `index`'s APIC ids; free() it. */
struct kvm_cpuid2 *cpuid_model_for_vcpu(const struct cpu_template *t,
					const struct cpu_topology *topology, unsigned index);

void cpuid_model_free(struct cpu_template *t);

/* CPUID as KVM answers it from a table: the entry for (leaf, subleaf),
 * subleaf ignored unless the entry says it is significant; missing ->
 * zeros, except leaves 0xb/0x1f, where ECX echoes the subleaf. */
void cpuid_table_lookup(const struct kvm_cpuid2 *table, uint32_t leaf, uint32_t subleaf,
			uint32_t regs[4]);

/* Private to cpu/: table editing shared by the builder's files. */
struct kvm_cpuid_entry2 *cpuid_table_find(const struct kvm_cpuid2 *table, uint32_t leaf,
					  uint32_t subleaf);
struct kvm_cpuid_entry2 *cpuid_table_get(struct kvm_cpuid2 *table, size_t capacity,
					 uint32_t leaf, uint32_t subleaf);
typedef bool cpuid_entry_pred(const struct kvm_cpuid_entry2 *e, const void *ctx);
void cpuid_table_drop_if(struct kvm_cpuid2 *table, cpuid_entry_pred *drop, const void *ctx);
uint32_t *cpuid_entry_reg(struct kvm_cpuid_entry2 *e, enum cpuid_reg reg);
void cpuid_model_set_topology(struct kvm_cpuid2 *table, size_t capacity,
			      const struct cpu_topology *topology);
int cpuid_model_set_leaves(struct cpu_template *t, size_t capacity, const struct cpu_host *host,
			   const struct cpu_spec *spec);

#endif
