/* The null guest: the smallest thing sprig boots. Its first instruction
 * ends the VM through isa-debug-exit (port 0xf4, value 0: exit status 1),
 * so a run measures the VMM and nothing of the guest (bench/vmm-time).
 * It carries the PVH note, so QEMU's microvm boots the same file; the same
 * bytes mean the same in 32-bit protected mode and in long mode. */
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
	mov $0xf4, %dx
	xor %eax, %eax
	out %al, %dx
1:	hlt			/* no isa-debug-exit: wait, do not run off */
	jmp 1b
	.section .note.GNU-stack, "", @progbits
