/* Plain ELF64 entry: long mode, identity mapped, %rdi = hvm_start_info.
 * Switch to our GDT and stack; keep the VMM's page tables (CR3 is what APs
 * will load too). */
#include "layout.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	lgdt gdt_descriptor(%rip)
	lea boot_stack_top(%rip), %rsp
	pushq $GDT_CODE64
	lea 1f(%rip), %rax
	pushq %rax
	lretq
1:	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	call guest_start
2:	cli
	hlt
	jmp 2b

	.section .bss
	.p2align 4
	.skip BOOT_STACK_SIZE
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
