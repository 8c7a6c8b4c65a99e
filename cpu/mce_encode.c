/* Which machine checks a CPU model can take, and how a memory error is
 * encoded for it: QEMU's kvm_mce_inject and cpu_x86_support_mca_broadcast,
 * restated from the SDM and APM bit definitions. */
#include "mce_bits.h"

#include <string.h>

#include "cpuid_model.h"

struct mce_model mce_model_of(const struct kvm_cpuid2 *cpuid)
{
	struct mce_model m = { false, false, false };
	uint32_t vendor[4], sig[4];
	cpuid_table_lookup(cpuid, 0, 0, vendor);
	cpuid_table_lookup(cpuid, 1, 0, sig);
	char name[13];
	memcpy(name, &vendor[1], 4);
	memcpy(name + 4, &vendor[3], 4);
	memcpy(name + 8, &vendor[2], 4);
	name[12] = 0;
	unsigned family = (sig[0] >> 8) & 0xf, model = (sig[0] >> 4) & 0xf;
	if (family == 0xf)
		family += (sig[0] >> 20) & 0xff;
	if (family == 6 || family == 0xf)
		model |= ((sig[0] >> 16) & 0xf) << 4;
	bool mce = sig[3] >> 7 & 1, mca = sig[3] >> 14 & 1;
	m.usable = mce && mca && family >= 6;
	m.amd = !strcmp(name, "AuthenticAMD") || !strcmp(name, "HygonGenuine");
	m.broadcast = !strcmp(name, "GenuineIntel") && (family > 6 || (family == 6 && model >= 14));
	return m;
}

struct kvm_x86_mce mce_memory_error(bool amd, bool action_required, uint64_t gpa)
{
	struct kvm_x86_mce e;
	memset(&e, 0, sizeof(e));
	e.bank = MCE_INJECT_BANK;
	e.addr = gpa & ~(MCE_PAGE_SIZE - 1);
	e.misc = MCE_MISC_PHYS_4K;
	e.status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_MISCV | MCI_STATUS_ADDRV;
	if (amd) {
		/* An AO error is deferred: KVM fills the bank, raises no #MC. */
		e.status |= action_required ? MCI_STATUS_UC | MCI_STATUS_POISON
					    : MCI_STATUS_DEFERRED | MCI_STATUS_POISON;
		e.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV | MCG_STATUS_EIPV;
		return e;
	}
	e.status |= MCI_STATUS_UC | MCI_STATUS_S;
	if (action_required) {
		e.status |= MCI_STATUS_AR | MCE_CODE_SRAR_DATA;
		e.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV | MCG_STATUS_EIPV;
	} else {
		e.status |= MCE_CODE_SRAO_SCRUB;
		e.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV;
	}
	return e;
}

struct kvm_x86_mce mce_broadcast_error(void)
{
	struct kvm_x86_mce e;
	memset(&e, 0, sizeof(e));
	e.bank = MCE_BROADCAST_BANK;
	e.status = MCI_STATUS_VAL | MCI_STATUS_UC;
	e.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV;
	return e;
}
