/* What this host's KVM can give a guest, read once from /dev/kvm with
 * system ioctls (no VM needed, so `sprig cpu show` stays cheap). */
#include "host.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpuid_walk.h"

static int get_cpuid(int kvm_fd, unsigned long request, struct kvm_cpuid2 **out)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(kvm_fd, request, c) == 0) {
			*out = c;
			return 0;
		}
		int err = errno;
		free(c);
		if (err != E2BIG)
			return -err;
	}
	return -E2BIG;
}

static bool has_feature_msr(int kvm_fd, uint32_t msr)
{
	struct { struct kvm_msr_list list; uint32_t indices[1024]; } l = { { 1024 }, { 0 } };
	if (ioctl(kvm_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &l) < 0)
		return false;
	for (uint32_t i = 0; i < l.list.nmsrs && i < 1024; i++)
		if (l.indices[i] == msr)
			return true;
	return false;
}

static void read_arch_capabilities(int kvm_fd, struct cpu_host *h)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES) <= 0 ||
	    !has_feature_msr(kvm_fd, MSR_IA32_ARCH_CAPABILITIES))
		return;
	struct { struct kvm_msrs head; struct kvm_msr_entry entry; } m;
	memset(&m, 0, sizeof(m));
	m.head.nmsrs = 1;
	m.entry.index = MSR_IA32_ARCH_CAPABILITIES;
	if (ioctl(kvm_fd, KVM_GET_MSRS, &m) == 1) {
		h->arch_cap_msr = true;
		h->arch_cap = m.entry.data;
	}
}

static void read_brand(char brand[49])
{
	uint32_t r[12] = { 0 };
	if (__get_cpuid_max(0x80000000, NULL) >= 0x80000004)
		for (unsigned i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
	memcpy(brand, r, 48);
	brand[48] = 0;
	/* Brand strings are right-justified on some CPUs. */
	size_t lead = strspn(brand, " ");
	memmove(brand, brand + lead, 49 - lead);
}

int cpu_host_probe(int kvm_fd, struct cpu_host *h)
{
	memset(h, 0, sizeof(*h));
	int err = get_cpuid(kvm_fd, KVM_GET_SUPPORTED_CPUID, &h->supported);
	if (err)
		return err;
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXT_EMUL_CPUID) > 0 &&
	    get_cpuid(kvm_fd, KVM_GET_EMULATED_CPUID, &h->emulated))
		h->emulated = NULL;  /* max then equals host: not worth failing for */
	read_arch_capabilities(kvm_fd, h);
	h->tsc_deadline = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	read_brand(h->brand);
	h->from_kvm = true;
	return 0;
}

/* KVM_FEATURE_CLOCKSOURCE .. MIGRATION_CONTROL and CLOCKSOURCE_STABLE_BIT */
#define KVM_NATIVE_PV_FEATURES 0x0103ffffu

struct native_table {
	struct kvm_cpuid2 *table;
	uint32_t capacity;
};

static void native_query(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	(void)ctx;
	__cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

static void native_collect(void *ctx, uint32_t leaf, uint32_t subleaf, const uint32_t r[4])
{
	struct native_table *n = ctx;
	if (n->table->nent >= n->capacity)
		return;
	struct kvm_cpuid_entry2 *e = &n->table->entries[n->table->nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf, e->index = subleaf;
	e->flags = cpuid_subleaf_rule(leaf) != SUBLEAF_NONE ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = r[0], e->ebx = r[1], e->ecx = r[2], e->edx = r[3];
}

int cpu_host_probe_native(struct cpu_host *h)
{
	memset(h, 0, sizeof(*h));
	struct native_table n = { NULL, 1024 };
	n.table = calloc(1, sizeof(*n.table) + n.capacity * sizeof(n.table->entries[0]));
	if (!n.table)
		return -ENOMEM;
	cpuid_walk(native_query, native_collect, &n);
	h->supported = n.table;
	/* What every KVM offers whatever the CPU: x2APIC, the TSC-deadline
	 * timer and the paravirtual features of the 0x40000001 leaf. */
	for (uint32_t i = 0; i < n.table->nent; i++)
		if (n.table->entries[i].function == 1)
			n.table->entries[i].ecx |= 1u << 21;
	native_collect(&n, 0x40000001, 0, (const uint32_t[4]){ KVM_NATIVE_PV_FEATURES, 0, 0, 0 });
	h->tsc_deadline = true;
	read_brand(h->brand);
	return 0;
}

/* Some KVMs list IA32_ARCH_CAPABILITIES among the feature MSRs, yet refuse
 * any non-zero value for a vCPU that has the CPUID bit (kvm-pvm does:
 * docs/host-notes.md). Only a vCPU can tell; it has not run, so its
 * CPUID and the MSR are set again for real afterwards. */
void cpu_host_check_vcpu(struct cpu_host *h, int vcpu_fd)
{
	if (!h->arch_cap_msr || !h->arch_cap)
		return;
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[2];
	} cpuid;
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.head.nent = 2;
	cpuid.entries[0].eax = 7;
	cpuid.entries[1].function = 7;
	cpuid.entries[1].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	cpuid.entries[1].edx = 1u << 29;  /* arch_capabilities */
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid) < 0)
		return;  /* cannot tell: the real CPUID decides */
	struct { struct kvm_msrs head; struct kvm_msr_entry entry; } m;
	memset(&m, 0, sizeof(m));
	m.head.nmsrs = 1;
	m.entry.index = MSR_IA32_ARCH_CAPABILITIES;
	m.entry.data = h->arch_cap;
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &m) == 0)
		h->arch_cap_msr = false;
}

void cpu_host_free(struct cpu_host *h)
{
	free(h->supported);
	free(h->emulated);
	h->supported = h->emulated = NULL;
}
