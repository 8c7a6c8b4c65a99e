/* Plain ELF64 entry: long mode, identity mapped, %rdi = hvm_start_info,
 * %rsi = boot_params (what a Linux vmlinux reads). Switch to our GDT and
 * stack; keep the VMM's page tables (CR3 is what APs will load too). */
#include "layout.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	switch_to_guest_gdt
	call guest_start_elf64
2:	cli
	hlt
	jmp 2b

	.section .bss
	.p2align 4
	.skip BOOT_STACK_SIZE
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
