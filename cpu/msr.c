/* Boot-time MSRs, as a PC's firmware leaves them and as Firecracker and
 * QEMU set them: fast strings on (and no BTS/PEBS, the PMU being ours to
 * hide), MTRRs enabled with write-back default (Linux disables PAT
 * otherwise), and IA32_ARCH_CAPABILITIES exactly when the model offers it.
 * Set after KVM_SET_CPUID2: newer KVMs check MSRs against guest CPUID. */
#include "msr.h"

#include <string.h>

#define MISC_ENABLE_FAST_STRING (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAILABLE (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAILABLE (1ull << 12)
#define MTRR_ENABLE (1ull << 11)
#define MTRR_TYPE_WRITE_BACK 6ull

unsigned cpu_boot_msrs(const struct cpu_template *t, struct kvm_msr_entry *out)
{
	unsigned n = 0;
	memset(out, 0, MSR_BOOT_MAX * sizeof(*out));
	out[n].index = MSR_IA32_MISC_ENABLE;
	out[n++].data = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAILABLE |
			MISC_ENABLE_PEBS_UNAVAILABLE;
	const struct cpu_feature *mtrr = cpu_feature_find("mtrr", 4);
	if (mtrr && feature_has(t->features, mtrr)) {
		out[n].index = MSR_MTRR_DEF_TYPE;
		out[n++].data = MTRR_ENABLE | MTRR_TYPE_WRITE_BACK;
	}
	if (t->arch_cap_msr) {
		out[n].index = MSR_IA32_ARCH_CAPABILITIES;
		out[n++].data = t->arch_cap;
	}
	return n;
}
