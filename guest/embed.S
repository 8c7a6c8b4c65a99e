/* The default guest, built into the sprig binary so `sprig` alone boots. */
	.section .rodata
	.balign 16
	.globl sprig_hello_elf, sprig_hello_elf_end
sprig_hello_elf:
	.incbin HELLO_ELF
sprig_hello_elf_end:
	.section .note.GNU-stack,"",@progbits
