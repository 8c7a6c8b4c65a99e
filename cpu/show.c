/* Printing models and tables. The cpuid/msr line format is a contract with
 * guest/cpuid.c: tests compare the two line by line. */
#include "show.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid_walk.h"
#include "msr.h"

static const char *const base_names[] = { "fixed", "host", "max" };

void cpu_list(FILE *out)
{
	for (size_t i = 0; i < cpu_models_count; i++)
		fprintf(out, "%-10s %-5s %s\n", cpu_models[i].name, base_names[cpu_models[i].base],
			cpu_models[i].summary);
}

struct show_walk {
	const struct kvm_cpuid2 *table;
	FILE *out;
};

static void table_query(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	cpuid_table_lookup(((struct show_walk *)ctx)->table, leaf, subleaf, regs);
}

static void print_line(void *ctx, uint32_t leaf, uint32_t subleaf, const uint32_t r[4])
{
	fprintf(((struct show_walk *)ctx)->out, "cpuid 0x%08x.%02x eax=%08x ebx=%08x ecx=%08x edx=%08x\n", leaf, subleaf,
		r[0], r[1], r[2], r[3]);
}

static void print_features(FILE *out, const char *label, const feature_set set)
{
	fprintf(out, "%s:", label);
	for (size_t i = 0; i < cpu_features_count; i++)
		if (feature_has(set, &cpu_features[i]))
			fprintf(out, " %s", cpu_features[i].name);
	fputc('\n', out);
}

static void print_header(FILE *out, const struct cpu_template *t, const struct cpu_host *host,
			 const struct cpu_spec *spec, const struct cpu_topology *topo,
			 unsigned vcpu)
{
	fprintf(out, "# model %s: %s\n", spec->model->name, spec->model->summary);
	fprintf(out, "# %u vCPUs: %u package(s) x %u core(s) x %u thread(s); vCPU %u, APIC id %u\n",
		topo->cpus, topo->packages, topo->cores, topo->threads, vcpu,
		cpu_topology_apic_id(topo, vcpu));
	fprintf(out, "# filtered against %s\n", host->from_kvm ? "KVM_GET_SUPPORTED_CPUID" :
		"this CPU's own CPUID (no /dev/kvm): not what a VM would get");
	fprintf(out, "# pmu %s, xcr0 0x%llx, xss 0x%llx\n", t->pmu ? "exposed" : "hidden",
		(unsigned long long)t->xcr0, (unsigned long long)t->xss);
}

int cpu_show(FILE *out, const struct cpu_template *t, const struct cpu_host *host,
	     const struct cpu_spec *spec, const struct cpu_topology *topology, unsigned vcpu)
{
	struct kvm_cpuid2 *table = cpuid_model_for_vcpu(t, topology, vcpu);
	if (!table)
		return -ENOMEM;
	print_header(out, t, host, spec, topology, vcpu);
	struct show_walk walk = { table, out };
	cpuid_walk(table_query, print_line, &walk);
	free(table);
	struct kvm_msr_entry msrs[MSR_BOOT_MAX];
	unsigned n = cpu_boot_msrs(t, msrs);
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "msr 0x%08x = 0x%016llx\n", msrs[i].index,
			(unsigned long long)msrs[i].data);
	print_features(out, "features", t->features);
	print_features(out, "filtered", t->filtered);
	return 0;
}
