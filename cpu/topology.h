/* vCPU topology: packages x cores x threads, and the APIC ids that encode
 * it the way Intel's SDM and AMD's APM describe (each level a field of
 * the id, each field as wide as its count rounded up to a power of two). */
#ifndef SPRIG_CPU_TOPOLOGY_H
#define SPRIG_CPU_TOPOLOGY_H

#include <stdint.h>

struct cpu_topology {
	unsigned cpus;
	unsigned threads;       /* per core */
	unsigned cores;         /* per package */
	unsigned packages;
	unsigned smt_bits;      /* APIC id bits for the thread */
	unsigned core_bits;     /* APIC id bits for the core, above smt_bits */
};

/* threads or cores 0 means "not given": threads defaults to 1 and cores
 * to all vCPUs in one package. Returns -EINVAL when cpus is not a whole
 * number of packages of cores x threads. */
int cpu_topology_init(struct cpu_topology *t, unsigned cpus, unsigned threads, unsigned cores);

uint32_t cpu_topology_apic_id(const struct cpu_topology *t, unsigned index);

/* Bits needed to number `count` things: 1 -> 0, 2 -> 1, 3 -> 2. */
unsigned cpu_topology_bits(unsigned count);

#endif
