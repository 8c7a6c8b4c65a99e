/* Machine-check architecture values (Intel SDM vol. 3 ch. 16, AMD APM
 * vol. 2 ch. 9) and the errors sprig injects, as QEMU encodes them. Pure
 * functions, so the unit tests check every bit. Private to cpu/. */
#ifndef SPRIG_MCE_BITS_H
#define SPRIG_MCE_BITS_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define MCG_CTL_P (1ull << 8)
#define MCG_SER_P (1ull << 24)
#define MCE_BANKS 10ull        /* QEMU's default */
#define MCE_INJECT_BANK 9u     /* QEMU injects memory errors here */
#define MCE_BROADCAST_BANK 1u
#define MCE_PAGE_SIZE 4096ull
#define MCE_MISC_PHYS_4K 0x8cull  /* address mode physical, LSB 12 */

#define MCI_STATUS_VAL (1ull << 63)
#define MCI_STATUS_OVER (1ull << 62)
#define MCI_STATUS_UC (1ull << 61)
#define MCI_STATUS_EN (1ull << 60)
#define MCI_STATUS_MISCV (1ull << 59)
#define MCI_STATUS_ADDRV (1ull << 58)
#define MCI_STATUS_S (1ull << 56)
#define MCI_STATUS_AR (1ull << 55)
#define MCI_STATUS_DEFERRED (1ull << 44)  /* AMD */
#define MCI_STATUS_POISON (1ull << 43)    /* AMD */
#define MCE_CODE_SRAR_DATA 0x134ull       /* Intel: data load, action required */
#define MCE_CODE_SRAO_SCRUB 0xc0ull       /* Intel: memory scrubbing, action optional */

#define MCG_STATUS_RIPV (1ull << 0)
#define MCG_STATUS_EIPV (1ull << 1)
#define MCG_STATUS_MCIP (1ull << 2)
#define MSR_IA32_MCG_STATUS 0x17a

struct mce_model {
	bool usable;     /* CPUID offers mce and mca, family 6 or later */
	bool amd;        /* AMD or Hygon bank encoding */
	bool broadcast;  /* Intel family > 6, or 6 with model >= 14 */
};

struct mce_model mce_model_of(const struct kvm_cpuid2 *cpuid);

/* The error a poisoned guest page becomes in bank 9 of the vCPU told. */
struct kvm_x86_mce mce_memory_error(bool amd, bool action_required, uint64_t gpa);

/* What the other vCPUs see when the error is broadcast (Intel). */
struct kvm_x86_mce mce_broadcast_error(void);

#endif
