/* Give one vCPU its CPUID and boot MSRs: the VM's model template with
 * this vCPU's APIC ids (cpu/cpuid_model.c builds the template). */
#include "cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "msr.h"

int vcpu_set_cpuid(struct vcpu *v)
{
	/* Setup time, not the run loop: allocating here is fine. */
	struct kvm_cpuid2 *c = cpuid_model_for_vcpu(&v->vm->cpu, &v->vm->topology, v->index);
	if (!c)
		return -ENOMEM;
	int err = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return err;
}

int vcpu_set_boot_msrs(struct vcpu *v, uint32_t *refused)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entries[MSR_BOOT_MAX];
	} msrs = { { 0 }, { { 0 } } };
	msrs.head.nmsrs = cpu_boot_msrs(&v->vm->cpu, msrs.entries);
	int set = ioctl(v->fd, KVM_SET_MSRS, &msrs);
	if (set < 0)
		return -errno;
	/* KVM stops at the first MSR it refuses and says how many it took. */
	if ((unsigned)set == msrs.head.nmsrs)
		return 0;
	*refused = msrs.entries[set].index;
	return -EINVAL;
}
