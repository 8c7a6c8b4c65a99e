/* The guests' one IDT: 256 interrupt gates to the stubs in idt_stubs.S,
 * built at run time (a gate splits its handler's address in three, which
 * the linker cannot do for us) and loaded by every CPU that calls
 * idt_load(). Handlers run on the interrupted stack: there is no TSS and
 * no IST, as every guest runs at CPL 0 on stacks with room to spare. */
#include "guest.h"

#define GATE_INTERRUPT 0x8e  /* present, DPL 0, 64-bit interrupt gate (clears IF) */
#define STUB_SIZE 16         /* idt_stubs.S pads every stub to this */

struct __attribute__((packed)) gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
};

extern const char idt_stubs[];
static struct gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static idt_handler handlers[IDT_VECTORS];
static int idt_state;  /* 0 unbuilt, 1 being built, 2 built */

static void build(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		uint64_t stub = (uint64_t)(uintptr_t)(idt_stubs + v * STUB_SIZE);
		idt[v] = (struct gate){
			.offset_low = (uint16_t)stub,
			.selector = GDT_CODE64,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_high = (uint32_t)(stub >> 32),
		};
	}
}

void idt_load(void)
{
	int unbuilt = 0;
	if (__atomic_compare_exchange_n(&idt_state, &unbuilt, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		build();
		__atomic_store_n(&idt_state, 2, __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(&idt_state, __ATOMIC_ACQUIRE) != 2)
		cpu_relax();
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } descriptor = {
		sizeof(idt) - 1, (uint64_t)(uintptr_t)idt
	};
	__asm__ volatile("lidt %0" ::"m"(descriptor));
}

void idt_set_handler(unsigned vector, idt_handler fn)
{
	if (vector < IDT_VECTORS)
		__atomic_store_n(&handlers[vector], fn, __ATOMIC_RELEASE);
}

/* Called by idt_stubs.S with every general register saved in *frame;
 * returning resumes the interrupted code (iretq). */
void idt_dispatch(uint64_t vector, uint64_t error_code, struct idt_frame *frame);
void idt_dispatch(uint64_t vector, uint64_t error_code, struct idt_frame *frame)
{
	idt_handler fn = __atomic_load_n(&handlers[vector % IDT_VECTORS], __ATOMIC_ACQUIRE);
	if (fn) {
		fn((unsigned)vector, error_code, frame);
		return;
	}
	print("guest: exception %u at rip 0x%lx\n", (unsigned)vector, frame->rip);
	console_abandon();
	halt_forever();
}
