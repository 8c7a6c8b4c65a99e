/* The IDT's entry points (idt.c makes the gates). One stub per vector,
 * padded to 16 bytes so idt.c finds vector v at idt_stubs + 16 * v: it
 * pushes a zero where the CPU pushes no error code, then the vector, and
 * jumps to the common path, which saves every general register (struct
 * idt_frame in guest.h), calls idt_dispatch(vector, error_code, frame)
 * and returns with iretq. */

	.text
	.p2align 4
	.globl idt_stubs
idt_stubs:
	.set vector, 0
	.rept 256
	/* #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX push an error code */
	.if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30)
	pushq $0
	.endif
	pushq $vector
	jmp idt_common
	.org idt_stubs + 16 * (vector + 1), 0xcc
	.set vector, vector + 1
	.endr

idt_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov 15*8(%rsp), %rdi		/* vector */
	mov 16*8(%rsp), %rsi		/* error code */
	mov %rsp, %rdx			/* struct idt_frame * */
	mov %rsp, %rbx			/* callee-saved: the frame, for the way back */
	and $-16, %rsp			/* the ABI's alignment at a call */
	call idt_dispatch
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* vector and error code */
	iretq
	.section .note.GNU-stack, "", @progbits
