/* The AP start-up path, copied to TRAMPOLINE_BASE before the SIPIs: real
 * mode -> protected mode -> long mode on the BSP's page tables -> a stack
 * of its own -> ap_start(). Addresses are computed for the copy's place. */
#include "layout.h"

#define ABS(label) (TRAMPOLINE_BASE + (label) - trampoline_start)

	.section .rodata
	.globl trampoline_start, trampoline_end, trampoline_cr3
	.code16
trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl (tramp_gdt_descriptor - trampoline_start)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $GDT_CODE32, $ABS(protected)

	.code32
protected:
	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov ABS(trampoline_cr3), %eax
	mov %eax, %cr3
	mov $0x20, %eax			/* CR4 = PAE, written whole, as on the BSP */
	mov %eax, %cr4
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ljmp $GDT_CODE64, $ABS(long_mode)

	.code64
long_mode:
	/* Now in the kernel's world: take a stack by number, then C. */
	movabs $ap_next_stack, %rbx
	mov $1, %eax
	lock xadd %eax, (%rbx)
	cmp $MAX_CPUS - 1, %eax
	jae 2f
	inc %eax
	imul $AP_STACK_SIZE, %eax
	movabs $ap_stacks, %rsp
	add %rax, %rsp
	movabs $ap_start, %rax
	call *%rax
2:	cli
	hlt
	jmp 2b

	/* Real mode reaches only this copy, but the GDT it names may live
	 * anywhere in the low 4 GiB: the kernel image's own. */
tramp_gdt_descriptor:
	.word gdt_limit
	.long gdt
trampoline_cr3:
	.long 0
trampoline_end:
	.section .note.GNU-stack, "", @progbits
