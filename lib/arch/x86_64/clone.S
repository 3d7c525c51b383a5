/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x86_64 clone and clone3 trampolines.
 *
 *   long ck__clone(int (*fn)(void *), void *stack, unsigned long flags,
 *                  void *arg, pid_t *ptid, void *tls, pid_t *ctid);
 *   long ck__clone3(struct ck_clone_args *args, size_t size,
 *                   int (*fn)(void *), void *arg);
 *
 * Both return the child's TID or -errno in the parent. In the child, fn(arg)
 * runs on the (16-byte aligned) stack and its result goes to the exit
 * syscall; with fn NULL the child returns 0, like fork().
 *
 * The kernel takes clone's arguments as flags, stack, ptid, ctid, tls
 * (rdi, rsi, rdx, r10, r8). fn stays in rbx and arg in r9, which the syscall
 * preserves in both tasks; rbx is the caller's, so the parent restores it.
 */
	.text

	.globl	ck__clone
	.hidden	ck__clone
	.type	ck__clone, @function
	.p2align 4
ck__clone:
	.cfi_startproc
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	movq	%rdi, %rbx		/* fn */
	movq	%rdx, %rdi		/* flags */
	movq	%r8, %rdx		/* ptid */
	movq	%r9, %r8		/* tls */
	movq	%rcx, %r9		/* arg */
	movq	16(%rsp), %r10		/* ctid, the 7th argument */
	testq	%rsi, %rsi
	jz	1f
	andq	$-16, %rsi
1:	movl	$56, %eax		/* __NR_clone */
	syscall
	testq	%rax, %rax
	jnz	2f			/* the parent, or an error */
	testq	%rbx, %rbx
	jnz	ck__child_start
2:	popq	%rbx			/* the parent, or a fork-like child */
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size	ck__clone, .-ck__clone

	.globl	ck__clone3
	.hidden	ck__clone3
	.type	ck__clone3, @function
	.p2align 4
ck__clone3:
	.cfi_startproc
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	movq	%rdx, %rbx		/* fn */
	movq	%rcx, %r9		/* arg */
	movl	$435, %eax		/* __NR_clone3; args and size are in rdi, rsi */
	syscall
	testq	%rax, %rax
	jnz	2f
	testq	%rbx, %rbx
	jnz	ck__child_start
2:	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size	ck__clone3, .-ck__clone3

/* The child on its new stack: the outermost frame, so unwinders stop here. */
	.type	ck__child_start, @function
	.p2align 4
ck__child_start:
	.cfi_startproc
	.cfi_undefined %rip
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	movq	%r9, %rdi		/* arg */
	call	*%rbx
	movl	%eax, %edi		/* fn's result is the exit status */
	movl	$60, %eax		/* __NR_exit: this task only, not the group */
	syscall
	hlt
	.cfi_endproc
	.size	ck__child_start, .-ck__child_start

	.section .note.GNU-stack, "", @progbits
