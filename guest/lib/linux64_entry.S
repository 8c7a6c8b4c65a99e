/* The bzImage build's entry: Linux's 64-bit boot protocol. The VMM loads
 * this payload at its preferred address and enters it at +0x200 in long
 * mode (identity mapped, CS = 0x10, DS = 0x18) with %rsi = boot_params and
 * no stack. Zero our own .bss (the loader copies only the file, and RAM
 * survives a reset in place), then switch to our GDT and stack. */
#include "layout.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:			/* the 32-bit entry, which this guest does not offer */
	ud2
	.org 0x200, 0xf4
startup_64:
	cli
	cld
	mov %rsi, %rbx
	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	sub %rdi, %rcx
	shr $3, %rcx		/* 8 bytes a step: emulating hosts take each step apart */
	xor %eax, %eax
	rep stosq
	switch_to_guest_gdt
	mov %rbx, %rdi
	call guest_start_linux
2:	cli
	hlt
	jmp 2b

	.section .bss
	.p2align 4
	.skip BOOT_STACK_SIZE
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
