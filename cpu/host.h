/* Reading what the host offers: from /dev/kvm, or, when there is no KVM
 * (`sprig cpu show` on a machine without it), from this CPU's own CPUID. */
#ifndef SPRIG_CPU_HOST_H
#define SPRIG_CPU_HOST_H

#include "cpuid_model.h"

int cpu_host_probe(int kvm_fd, struct cpu_host *h);
int cpu_host_probe_native(struct cpu_host *h);
/* What only a vCPU that has not run yet can show; call before building
 * the model. */
void cpu_host_check_vcpu(struct cpu_host *h, int vcpu_fd);
void cpu_host_free(struct cpu_host *h);

#endif
