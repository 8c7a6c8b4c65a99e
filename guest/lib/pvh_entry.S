/* PVH entry: 32-bit protected mode, paging off, %ebx = hvm_start_info.
 * Build identity page tables for the first 4 GiB (2 MiB pages), enter long
 * mode and call guest_start(start_info) on the boot stack. */
#include "layout.h"

	.section .note.Xen, "a"
	.p2align 2
	.long 4			/* name size */
	.long 4			/* desc size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov %ebx, %edi			/* kept across the switch */
	/* PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs, PD entries map 2 MiB each */
	mov $page_tables, %edx
	lea 0x1003(%edx), %eax
	mov %eax, (%edx)
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	lea 0x2003(%edx, %eax), %eax
	mov %eax, 0x1000(%edx, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, 0x2000(%edx, %ecx, 8)
	mov %ecx, %eax
	shr $11, %eax			/* high half of the 2 MiB page address */
	mov %eax, 0x2004(%edx, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b
	mov %edx, %cr3
	/* CR4 = PAE, written whole: the PVH ABI starts with CR4 clear, and a
	 * read-modify-write would carry whatever a nested emulator lets the
	 * guest read (QEMU 10's SVM shows L1's MCE bit; docs/host-notes.md). */
	mov $0x20, %eax
	mov %eax, %cr4
	mov $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	lgdt gdt_descriptor
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG | PE */
	mov %eax, %cr0
	ljmp $GDT_CODE64, $long_mode

	.code64
long_mode:
	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	lea boot_stack_top(%rip), %rsp
	/* %rdi: start_info (zero-extended by the 32-bit mov) */
	call guest_start
3:	cli
	hlt
	jmp 3b

	.section .bss
	.p2align 12
	.globl page_tables
page_tables:
	.skip 6 * 4096
	.p2align 4
	.skip BOOT_STACK_SIZE
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
