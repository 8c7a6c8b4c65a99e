/* `sprig cpu list` and `sprig cpu show`: models and the CPUID a guest
 * would get, in the format the cpuid test guest prints. */
#ifndef SPRIG_CPU_SHOW_H
#define SPRIG_CPU_SHOW_H

#include <stdio.h>

#include "cpuid_model.h"

void cpu_list(FILE *out);

/* The table vCPU `vcpu` gets: "cpuid 0xLLLLLLLL.SS eax=... ebx=... ecx=...
 * edx=..." lines, "msr 0xNNNNNNNN = 0x..." lines for boot MSRs, then the
 * feature list. Returns 0 or -ENOMEM. */
int cpu_show(FILE *out, const struct cpu_template *t, const struct cpu_host *host,
	     const struct cpu_spec *spec, const struct cpu_topology *topology, unsigned vcpu);

#endif
