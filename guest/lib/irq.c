/* Enough interrupt controller to take one ISA interrupt the way Linux
 * does on a microVM: the 8259s masked, the local APIC enabled, the
 * IOAPIC pin routed (edge, active high, as ISA lines are) to a vector on
 * this CPU. */
#include "guest.h"

#define LAPIC_BASE 0xfee00000ull
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define IOAPIC_BASE 0xfec00000ull
#define VECTOR_SPURIOUS 0xff

static volatile uint32_t *lapic_reg(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(LAPIC_BASE + offset);
}

static void ioapic_write(unsigned index, uint32_t value)
{
	volatile uint32_t *ioapic = (volatile uint32_t *)(uintptr_t)IOAPIC_BASE;
	ioapic[0] = index;
	ioapic[4] = value;  /* the data window at +0x10 */
}

static void on_spurious(unsigned vector, uint64_t error_code, struct idt_frame *frame)
{
	(void)vector, (void)error_code, (void)frame;  /* no EOI for a spurious one */
}

void irq_route_isa(unsigned pin, unsigned vector)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	idt_set_handler(VECTOR_SPURIOUS, on_spurious);
	*lapic_reg(LAPIC_SVR) = 0x100 | VECTOR_SPURIOUS;
	*lapic_reg(LAPIC_TPR) = 0;
	ioapic_write(0x11 + 2 * pin, this_apic_id() << 24);
	ioapic_write(0x10 + 2 * pin, vector);  /* fixed, physical, edge, high, unmasked */
}

void irq_eoi(void)
{
	*lapic_reg(LAPIC_EOI) = 0;
}

/* Interrupts come in only inside "sti; hlt" (sti's one-instruction shadow),
 * so a check and the hlt after it cannot race the interrupt it waits for. */
void halt_until(bool (*ready)(void))
{
	for (;;) {
		irq_disable();
		if (ready()) {
			irq_enable();
			return;
		}
		__asm__ volatile("sti; hlt");
	}
}
