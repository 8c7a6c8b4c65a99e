/* The guests' one GDT: the BSP's entry stubs and the APs' trampoline all
 * load it (the selectors are in layout.h). */
#include "layout.h"

	.section .rodata
	.p2align 3
	.globl gdt, gdt_descriptor, gdt_limit
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* GDT_CODE32 */
	.quad 0x00cf92000000ffff	/* GDT_DATA */
	.quad 0x00af9a000000ffff	/* GDT_CODE64 */
gdt_end:
	.set gdt_limit, gdt_end - gdt - 1
gdt_descriptor:
	.word gdt_limit
	.quad gdt
	.section .note.GNU-stack, "", @progbits
