/* Shared by the guests' C and assembly. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define GDT_CODE32 0x08
#define GDT_DATA 0x10
#define GDT_CODE64 0x18
#define BOOT_STACK_SIZE 16384
#define AP_STACK_SIZE 8192
#define MAX_CPUS 64
/* The VMM leaves [0x1000, 0x5000) to us; SIPI vectors are page numbers below 1 MiB. */
#define TRAMPOLINE_BASE 0x1000

#ifdef __ASSEMBLER__
/* Already in long mode on the VMM's page tables (the plain ELF64 and the
 * bzImage entries): load our GDT, our boot stack (boot_stack_top, in the
 * entry file's .bss) and our segments. Clobbers %rax. */
.macro switch_to_guest_gdt
	lgdt gdt_descriptor(%rip)
	lea boot_stack_top(%rip), %rsp
	pushq $GDT_CODE64
	lea 100f(%rip), %rax
	pushq %rax
	lretq
100:	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
.endm
#endif

#endif
