/* The default guest: says what it sees, wakes every vCPU, and resets. */
#include "lib/guest.h"

struct feature {
	uint32_t leaf, sub;
	uint8_t reg;  /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint8_t bit;
	const char *name;
};

static const struct feature features[] = {
	{ 1, 0, 3, 0, "fpu" }, { 1, 0, 3, 4, "tsc" }, { 1, 0, 3, 5, "msr" }, { 1, 0, 3, 6, "pae" },
	{ 1, 0, 3, 8, "cx8" }, { 1, 0, 3, 9, "apic" }, { 1, 0, 3, 15, "cmov" }, { 1, 0, 3, 19, "clflush" },
	{ 1, 0, 3, 24, "fxsr" }, { 1, 0, 3, 25, "sse" }, { 1, 0, 3, 26, "sse2" }, { 1, 0, 3, 28, "ht" },
	{ 1, 0, 2, 0, "pni" }, { 1, 0, 2, 9, "ssse3" }, { 1, 0, 2, 13, "cx16" }, { 1, 0, 2, 19, "sse4_1" },
	{ 1, 0, 2, 20, "sse4_2" }, { 1, 0, 2, 21, "x2apic" }, { 1, 0, 2, 23, "popcnt" },
	{ 1, 0, 2, 24, "tsc_deadline_timer" }, { 1, 0, 2, 26, "xsave" }, { 1, 0, 2, 28, "avx" },
	{ 1, 0, 2, 30, "rdrand" }, { 1, 0, 2, 31, "hypervisor" },
	{ 7, 0, 1, 0, "fsgsbase" }, { 7, 0, 1, 3, "bmi1" }, { 7, 0, 1, 5, "avx2" }, { 7, 0, 1, 8, "bmi2" },
	{ 7, 0, 1, 9, "erms" }, { 7, 0, 1, 16, "avx512f" }, { 7, 0, 1, 18, "rdseed" },
	{ 7, 0, 2, 2, "umip" }, { 7, 0, 3, 29, "arch_capabilities" },
	{ 0x80000001, 0, 3, 11, "syscall" }, { 0x80000001, 0, 3, 20, "nx" },
	{ 0x80000001, 0, 3, 26, "pdpe1gb" }, { 0x80000001, 0, 3, 27, "rdtscp" },
	{ 0x80000001, 0, 3, 29, "lm" }, { 0x80000001, 0, 2, 0, "lahf_lm" }, { 0x80000001, 0, 2, 2, "svm" },
};

static void print_identity(void)
{
	uint32_t r[4], max_ext[4];
	char vendor[13];
	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	memcpy(vendor, &r[1], 4), memcpy(vendor + 4, &r[3], 4), memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	print("vendor: %s\n", vendor);
	cpuid(0x80000000, 0, max_ext);
	char brand[49] = "(none)";
	if (max_ext[0] >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			cpuid(0x80000002 + i, 0, r);
			memcpy(brand + 16 * i, r, 16);
		}
		brand[48] = 0;
	}
	const char *b = brand;
	while (*b == ' ')
		b++;
	print("brand: %s\n", b);
	cpuid(1, 0, r);
	uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((r[0] >> 16) & 0xf) << 4;
	print("signature: family 0x%x model 0x%x stepping %u\n", family, model, r[0] & 0xf);
	console_lock();
	console_write("features:", 9);
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct feature *f = &features[i];
		if ((f->leaf < 0x80000000 && f->leaf > max_leaf) || (f->leaf >= 0x80000000 && f->leaf > max_ext[0]))
			continue;
		cpuid(f->leaf, f->sub, r);
		if (r[f->reg] & (1u << f->bit)) {
			console_write(" ", 1);
			console_write(f->name, strlen(f->name));
		}
	}
	console_write("\n", 1);
	console_unlock();
	char sig[13] = "none";
	cpuid(1, 0, r);
	if (r[2] & (1u << 31)) {
		cpuid(0x40000000, 0, r);
		memcpy(sig, &r[1], 4), memcpy(sig + 4, &r[2], 4), memcpy(sig + 8, &r[3], 4);
		sig[12] = 0;
	}
	print("hypervisor: %s\n", sig);
}

void ap_main(uint32_t apic_id)
{
	static uint32_t next_number = 1;
	print("cpu %u (apic %u) up\n", __atomic_fetch_add(&next_number, 1, __ATOMIC_SEQ_CST), apic_id);
}

void guest_main(void)
{
	outb(0x3f0, 123);  /* Firecracker's boot timer: "the guest is up" */
	print("sprig hello guest\n");
	print_identity();
	print("memory: %lu MiB\n", (boot_info.ram_bytes + (1 << 20) - 1) >> 20);
	boot_info_print_memmap();
	print("cmdline: %s\n", boot_info.cmdline && *boot_info.cmdline ? boot_info.cmdline : "(none)");
	print("boot: %s\n", boot_info.linux ? "linux boot_params (64-bit boot protocol)" : "hvm_start_info");
	if (boot_info.initrd_size)
		print("initrd: %lu bytes at 0x%lx, cksum %u\n", boot_info.initrd_size, boot_info.initrd,
		      posix_cksum((const uint8_t *)boot_info.initrd, boot_info.initrd_size));
	else
		print("initrd: none\n");
	static uint32_t ids[MAX_CPUS];
	uint64_t lapic;
	unsigned cpus = acpi_find_cpus(ids, MAX_CPUS, &lapic);
	unsigned up = 1 + smp_start_aps(ids, cpus, lapic);
	print("cpus: %u of %u up\n", up, cpus);
	print("bye\n");
	/* exit=debug: end through isa-debug-exit (status 1) rather than the
	 * i8042, which not every VMM has (bench/ boots it in QEMU too). */
	const char *how = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "exit") : NULL;
	if (how && !strncmp(how, "debug", 5))
		debug_exit(0);
}
