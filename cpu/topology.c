/* Topology is pure arithmetic so that unit tests can cover every count. */
#include "topology.h"

#include <errno.h>

unsigned cpu_topology_bits(unsigned count)
{
	unsigned bits = 0;
	while (bits < 32 && (1ull << bits) < count)
		bits++;
	return bits;
}

int cpu_topology_init(struct cpu_topology *t, unsigned cpus, unsigned threads, unsigned cores)
{
	if (!cpus)
		return -EINVAL;
	if (!threads)
		threads = 1;
	if (!cores)
		cores = cpus / threads ? cpus / threads : 1;
	unsigned long long per_package = (unsigned long long)threads * cores;
	if (per_package > cpus || cpus % per_package)
		return -EINVAL;
	t->cpus = cpus;
	t->threads = threads;
	t->cores = cores;
	t->packages = cpus / (unsigned)per_package;
	t->smt_bits = cpu_topology_bits(threads);
	t->core_bits = cpu_topology_bits(cores);
	return 0;
}

uint32_t cpu_topology_apic_id(const struct cpu_topology *t, unsigned index)
{
	unsigned thread = index % t->threads;
	unsigned core = index / t->threads % t->cores;
	unsigned package = index / t->threads / t->cores;
	return package << (t->smt_bits + t->core_bits) | core << t->smt_bits | thread;
}
