/* MSR values each vCPU starts with, consistent with its CPU model. */
#ifndef SPRIG_CPU_MSR_H
#define SPRIG_CPU_MSR_H

#include <linux/kvm.h>

#include "cpuid_model.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_BOOT_MAX 8

/* Fills `out` (MSR_BOOT_MAX entries) and returns how many. The same list
 * is set on every vCPU and shown by `sprig cpu show`. */
unsigned cpu_boot_msrs(const struct cpu_template *t, struct kvm_msr_entry *out);

#endif
