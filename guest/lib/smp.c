/* Wake the APs the way Linux does: INIT, wait, SIPI, SIPI, through the
 * local APIC (xAPIC MMIO, or x2APIC MSRs when an id does not fit 8 bits). */
#include "guest.h"

#define APIC_BASE_MSR 0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_BASE_X2APIC (1u << 10)
#define REG_ID 0x20
#define REG_SVR 0xf0
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define ICR_INIT 0x00004500u
#define ICR_SIPI 0x00004600u
#define ICR_BUSY (1u << 12)

extern const char trampoline_start[], trampoline_end[];
extern uint32_t trampoline_cr3;
uint32_t ap_next_stack;
uint8_t ap_stacks[MAX_CPUS * AP_STACK_SIZE] __attribute__((aligned(16)));
static volatile uint32_t aps_up;
static bool x2apic;
static volatile uint32_t *xapic;

uint32_t this_apic_id(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (x2apic)
		return (uint32_t)rdmsr(0x802);
	return r[1] >> 24;
}

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		xapic[reg / 4] = v;
}

static void send_ipi(uint32_t apic_id, uint32_t command)
{
	if (x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | command);
		return;
	}
	xapic[REG_ICR_HIGH / 4] = apic_id << 24;
	xapic[REG_ICR_LOW / 4] = command;
	for (int i = 0; i < 1000000 && (xapic[REG_ICR_LOW / 4] & ICR_BUSY); i++)
		cpu_relax();
}

/* TSC ticks are not calibrated: the waits only need to be "long enough". */
static void wait_ticks(uint64_t ticks)
{
	uint64_t start = rdtsc();
	while (rdtsc() - start < ticks)
		cpu_relax();
}

/* Called on each AP, in long mode, on its own stack. */
void ap_start(void)
{
	/* Each CPU has its own APIC base MSR: this_apic_id() reads the x2APIC
	 * id register, which faults until this CPU is in x2APIC mode too. */
	if (x2apic)
		wrmsr(APIC_BASE_MSR, rdmsr(APIC_BASE_MSR) | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	uint32_t id = this_apic_id();
	__atomic_add_fetch(&aps_up, 1, __ATOMIC_SEQ_CST);
	ap_main(id);
	halt_forever();
}

static bool wait_for_ap(uint32_t target)
{
	uint64_t start = rdtsc();
	/* Up to ~2 s at 2 GHz: nested or overcommitted hosts are slow. */
	while (__atomic_load_n(&aps_up, __ATOMIC_SEQ_CST) < target)
		if (rdtsc() - start > 4000000000ull)
			return false;
	return true;
}

unsigned smp_start_aps(const uint32_t *ids, unsigned count, uint64_t lapic_base)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	bool has_x2apic = r[2] & (1u << 21);
	uint32_t self = this_apic_id();
	for (unsigned i = 0; i < count; i++)
		if (ids[i] > 254 && has_x2apic)
			x2apic = true;
	uint64_t base = rdmsr(APIC_BASE_MSR) | APIC_BASE_ENABLE;
	wrmsr(APIC_BASE_MSR, x2apic ? base | APIC_BASE_X2APIC : base);
	xapic = (volatile uint32_t *)(lapic_base ? lapic_base : 0xfee00000);
	apic_write(REG_SVR, 0x1ff);  /* software enable, spurious vector 0xff */
	if (boot_info_overlaps(TRAMPOLINE_BASE, TRAMPOLINE_BASE + 0x1000)) {
		print("smp: boot data overlaps the trampoline at 0x%x; APs left down\n", TRAMPOLINE_BASE);
		return 0;
	}
	memcpy((void *)TRAMPOLINE_BASE, trampoline_start, (size_t)(trampoline_end - trampoline_start));
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*(volatile uint32_t *)(TRAMPOLINE_BASE + ((const char *)&trampoline_cr3 - trampoline_start)) =
		(uint32_t)cr3;
	unsigned started = 0;
	for (unsigned i = 0; i < count; i++) {
		if (ids[i] == self || (ids[i] > 254 && !x2apic) || started + 1 >= MAX_CPUS)
			continue;
		send_ipi(ids[i], ICR_INIT);
		wait_ticks(20000000);
		send_ipi(ids[i], ICR_SIPI | (TRAMPOLINE_BASE >> 12));
		wait_ticks(400000);
		if (__atomic_load_n(&aps_up, __ATOMIC_SEQ_CST) < started + 1)
			send_ipi(ids[i], ICR_SIPI | (TRAMPOLINE_BASE >> 12));
		if (wait_for_ap(started + 1))
			started++;
	}
	return started;
}
