/* The machine-check test guest. Every vCPU enables machine checks as a
 * kernel does (MCG_CTL, each bank's CTL, CR4.MCE) and spins; a #MC prints
 * the banks with VAL set, clears them, and returns when MCG_STATUS.RIPV
 * says the interrupted code may go on (else that CPU halts). The BSP also
 * polls bank 9, where a VMM leaves AMD deferred errors without a #MC.
 * `cr4mce=off` leaves CR4.MCE clear: a machine check must then end the VM
 * (shutdown), as it does on hardware. */
#include "lib/guest.h"

#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MCG_CTL 0x17b
#define MSR_MC_CTL(i) (0x400u + 4 * (i))
#define MSR_MC_STATUS(i) (0x401u + 4 * (i))
#define MSR_MC_ADDR(i) (0x402u + 4 * (i))
#define MSR_MC_MISC(i) (0x403u + 4 * (i))
#define MCG_CTL_P (1ull << 8)
#define MCG_SER_P (1ull << 24)
#define MCG_STATUS_RIPV 1ull
#define MCI_STATUS_VAL (1ull << 63)
#define MCI_STATUS_MISCV (1ull << 59)
#define MCI_STATUS_ADDRV (1ull << 58)
#define CR4_MCE (1ull << 6)
/* Bank MSRs end at 0x47f (0x480 is VMX's): a VMM claiming more banks is
 * not believed. */
#define MAX_BANKS 32
#define POLL_BANK 9
#define POLL_TICKS (1ull << 25)  /* ~10 ms at 3 GHz; uncalibrated, as in smp.c */

static bool machine_checks;  /* CPUID.1:EDX has MCE and MCA: the MSRs exist */
static bool cr4_mce = true;
/* Per CPU, found by APIC id: id + 1 (0 while the slot fills), #MCs
 * handled, and how many of them reported the polled bank. */
struct cpu {
	uint32_t id_plus_1;
	uint32_t handled;
	uint32_t polled_bank_reports;
};
static struct cpu cpus[MAX_CPUS];
static uint32_t cpus_known, cpus_ready;

static unsigned bank_count(uint64_t mcg_cap)
{
	unsigned n = mcg_cap & 0xff;
	return n < MAX_BANKS ? n : MAX_BANKS;
}

/* A CPU's slot; NULL only if more CPUs came up than MAX_CPUS. */
static struct cpu *find_cpu(uint32_t apic_id)
{
	unsigned n = __atomic_load_n(&cpus_known, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n && i < MAX_CPUS; i++)
		if (__atomic_load_n(&cpus[i].id_plus_1, __ATOMIC_RELAXED) == apic_id + 1)
			return &cpus[i];
	return NULL;
}

struct bank {
	uint64_t status, addr, misc;
};

/* Read bank i and clear it, if it holds an error. ADDR and MISC are read
 * only where the status says they are valid. */
static bool take_bank(unsigned i, struct bank *b)
{
	b->status = rdmsr(MSR_MC_STATUS(i));
	if (!(b->status & MCI_STATUS_VAL))
		return false;
	b->addr = b->status & MCI_STATUS_ADDRV ? rdmsr(MSR_MC_ADDR(i)) : 0;
	b->misc = b->status & MCI_STATUS_MISCV ? rdmsr(MSR_MC_MISC(i)) : 0;
	wrmsr(MSR_MC_STATUS(i), 0);
	return true;
}

/* Vector 18, on whichever CPU got it. Its prints may interrupt the BSP's
 * poll loop in the middle of a print: console.c defers them to the end of
 * that line, and console_abandon() lets go of the console before a halt. */
static void machine_check(unsigned vector, uint64_t error_code, struct idt_frame *frame)
{
	(void)vector, (void)error_code, (void)frame;
	uint32_t id = this_apic_id();
	uint64_t mcg_status = machine_checks ? rdmsr(MSR_MCG_STATUS) : 0;
	print("mce: #MC apic %u mcg_status 0x%lx\n", id, mcg_status);
	struct cpu *cpu = find_cpu(id);
	unsigned banks = machine_checks ? bank_count(rdmsr(MSR_MCG_CAP)) : 0;
	for (unsigned i = 0; i < banks; i++) {
		struct bank b;
		if (!take_bank(i, &b))
			continue;
		print("mce: apic %u bank %u status 0x%lx addr 0x%lx misc 0x%lx\n", id, i, b.status,
		      b.addr, b.misc);
		if (i == POLL_BANK && cpu)
			__atomic_add_fetch(&cpu->polled_bank_reports, 1, __ATOMIC_SEQ_CST);
	}
	print("mce: handled apic %u count %u\n", id,
	      cpu ? __atomic_add_fetch(&cpu->handled, 1, __ATOMIC_SEQ_CST) : 0);
	if (mcg_status & MCG_STATUS_RIPV) {
		wrmsr(MSR_MCG_STATUS, 0);
		return;
	}
	print("mce: not restartable apic %u\n", id);
	console_abandon();
	halt_forever();
}

static void setup_this_cpu(void)
{
	unsigned slot = __atomic_fetch_add(&cpus_known, 1, __ATOMIC_SEQ_CST);
	if (slot < MAX_CPUS)
		__atomic_store_n(&cpus[slot].id_plus_1, this_apic_id() + 1, __ATOMIC_RELEASE);
	idt_load();
	if (machine_checks) {
		uint64_t cap = rdmsr(MSR_MCG_CAP);
		if (cap & MCG_CTL_P)
			wrmsr(MSR_MCG_CTL, ~0ull);
		for (unsigned i = 0; i < bank_count(cap); i++) {
			wrmsr(MSR_MC_CTL(i), ~0ull);
			wrmsr(MSR_MC_STATUS(i), 0);
		}
		if (cr4_mce) {
			uint64_t cr4;
			__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
			__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_MCE));
		}
	}
	__atomic_add_fetch(&cpus_ready, 1, __ATOMIC_SEQ_CST);
}

void ap_main(uint32_t apic_id)
{
	(void)apic_id;
	setup_this_cpu();
	for (;;)
		cpu_relax();
}

/* The BSP's idle loop. A #MC on this CPU may come between our reading
 * bank 9 and clearing it: if its handler reported bank 9, we do not. */
static void spin_and_poll(uint64_t mcg_cap)
{
	bool poll = machine_checks && (mcg_cap & 0xff) > POLL_BANK;
	uint32_t id = this_apic_id();
	struct cpu *cpu = find_cpu(id);
	uint64_t last = rdtsc();
	for (;;) {
		cpu_relax();
		if (!poll || rdtsc() - last < POLL_TICKS)
			continue;
		last = rdtsc();
		uint32_t before = cpu ? __atomic_load_n(&cpu->polled_bank_reports, __ATOMIC_SEQ_CST) : 0;
		struct bank b;
		if (take_bank(POLL_BANK, &b) &&
		    (!cpu || __atomic_load_n(&cpu->polled_bank_reports, __ATOMIC_SEQ_CST) == before))
			print("mce: polled apic %u bank %u status 0x%lx addr 0x%lx misc 0x%lx\n", id, POLL_BANK,
			      b.status, b.addr, b.misc);
	}
}

void guest_main(void)
{
	const char *v = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "cr4mce") : NULL;
	if (v && !strncmp(v, "off", 3) && (v[3] == 0 || v[3] == ' '))
		cr4_mce = false;
	uint32_t r[4];
	cpuid(1, 0, r);
	unsigned mce = (r[3] >> 7) & 1, mca = (r[3] >> 14) & 1;
	print("mce: cpuid mce=%u mca=%u\n", mce, mca);
	machine_checks = mce && mca;
	uint64_t mcg_cap = 0;
	if (machine_checks) {
		mcg_cap = rdmsr(MSR_MCG_CAP);
		print("mce: mcg_cap 0x%lx banks %u ser_p %u\n", mcg_cap, (unsigned)(mcg_cap & 0xff),
		      (unsigned)((mcg_cap & MCG_SER_P) >> 24));
	} else {
		print("mce: no machine check support\n");
	}
	idt_set_handler(VECTOR_MC, machine_check);
	setup_this_cpu();
	static uint32_t ids[MAX_CPUS];
	uint64_t lapic;
	unsigned cpus = acpi_find_cpus(ids, MAX_CPUS, &lapic);
	unsigned up = 1 + smp_start_aps(ids, cpus, lapic);
	/* APs set up right after checking in; bounded all the same. */
	uint64_t start = rdtsc();
	while (__atomic_load_n(&cpus_ready, __ATOMIC_SEQ_CST) < up && rdtsc() - start < (1ull << 34))
		cpu_relax();
	print("mce: ready cpus %u\n", __atomic_load_n(&cpus_ready, __ATOMIC_SEQ_CST));
	spin_and_poll(mcg_cap);
}
