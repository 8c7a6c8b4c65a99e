/* The cpuid test guest: every vCPU prints every CPUID leaf and subleaf it
 * sees, and the boot MSRs, in exactly the format of `sprig cpu show`, so
 * tests can compare what the model promises with what the guest gets.
 * Lines start with "apic N: " because vCPUs print concurrently. */
#include "lib/guest.h"

#include "../cpu/cpuid_walk.h"

#define MSR_ARCH_CAPABILITIES 0x10a
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff

static uint32_t vcpus_done;

static char *put_hex(char *p, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		*p++ = "0123456789abcdef"[(v >> (4 * i)) & 0xf];
	return p;
}

static char *put_text(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static void query(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	(void)ctx;
	cpuid(leaf, subleaf, r);
}

static void emit(void *ctx, uint32_t leaf, uint32_t subleaf, const uint32_t r[4])
{
	char line[128], *p = put_text(line, ctx);
	static const char *const names[4] = { " eax=", " ebx=", " ecx=", " edx=" };
	p = put_text(p, "cpuid 0x");
	p = put_hex(p, leaf, 8);
	*p++ = '.';
	p = put_hex(p, subleaf, 2);
	for (int i = 0; i < 4; i++)
		p = put_hex(put_text(p, names[i]), r[i], 8);
	*p++ = '\n';
	console_lock();
	console_write(line, (size_t)(p - line));
	console_unlock();
}

static void print_msr(const char *prefix, uint32_t msr)
{
	char line[96], *p = put_text(line, prefix);
	p = put_hex(put_text(p, "msr 0x"), msr, 8);
	p = put_hex(put_text(p, " = 0x"), rdmsr(msr), 16);
	*p++ = '\n';
	console_lock();
	console_write(line, (size_t)(p - line));
	console_unlock();
}

/* The same MSRs, in the same order, as cpu/msr.c sets; each only where
 * CPUID says it exists, so no #GP (this guest has no IDT). */
static void print_msrs(const char *prefix)
{
	uint32_t r[4], max[4];
	cpuid(0, 0, max);
	print_msr(prefix, MSR_MISC_ENABLE);
	cpuid(1, 0, r);
	if (r[3] & (1u << 12))
		print_msr(prefix, MSR_MTRR_DEF_TYPE);
	cpuid(7, 0, r);
	if (max[0] >= 7 && (r[3] & (1u << 29)))
		print_msr(prefix, MSR_ARCH_CAPABILITIES);
}

static void print_this_cpu(uint32_t apic_id)
{
	char prefix[24], *p = put_text(prefix, "apic ");
	char digits[12];
	int n = 0;
	do
		digits[n++] = (char)('0' + apic_id % 10);
	while ((apic_id /= 10));
	while (n)
		*p++ = digits[--n];
	*put_text(p, ": ") = 0;
	cpuid_walk(query, emit, prefix);
	print_msrs(prefix);
}

void ap_main(uint32_t apic_id)
{
	print_this_cpu(apic_id);
	__atomic_add_fetch(&vcpus_done, 1, __ATOMIC_SEQ_CST);
}

void guest_main(void)
{
	print("sprig cpuid guest\n");
	print_this_cpu(this_apic_id());
	static uint32_t ids[MAX_CPUS];
	uint64_t lapic;
	unsigned cpus = acpi_find_cpus(ids, MAX_CPUS, &lapic);
	unsigned up = smp_start_aps(ids, cpus, lapic);
	/* APs print for a while after checking in; bounded all the same. */
	uint64_t start = rdtsc();
	while (__atomic_load_n(&vcpus_done, __ATOMIC_SEQ_CST) < up && rdtsc() - start < (1ull << 37))
		cpu_relax();
	print("cpuid: %u of %u vCPUs printed\n", 1 + __atomic_load_n(&vcpus_done, __ATOMIC_SEQ_CST),
	      cpus);
	reset_machine();
}
