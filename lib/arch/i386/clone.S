/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * i386 clone and clone3 trampolines.
 *
 *   long ck__clone(int (*fn)(void *), void *stack, unsigned long flags,
 *                  void *arg, pid_t *ptid, void *tls, pid_t *ctid);
 *   long ck__clone3(struct ck_clone_args *args, size_t size,
 *                   int (*fn)(void *), void *arg);
 *
 * Both return the child's TID or -errno in the parent. In the child, fn(arg)
 * runs on the stack (16-byte aligned at the call, as the i386 psABI wants)
 * and its result goes to the exit syscall; with fn NULL the child returns 0,
 * like fork().
 *
 * The kernel takes clone's arguments as flags, stack, ptid, tls, ctid
 * (ebx, ecx, edx, esi, edi: CLONE_BACKWARDS), which leaves only ebp free
 * across int $0x80: fn goes there, and arg is stored at the top of the stack
 * the child starts on. ebx, esi, edi and ebp are the caller's, so the parent
 * restores them; the child never pops from its new stack.
 */
	.text

	.globl	ck__clone
	.hidden	ck__clone
	.type	ck__clone, @function
	.p2align 4
ck__clone:
	.cfi_startproc
	pushl	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebp, 0
	pushl	%ebx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebx, 0
	pushl	%esi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %esi, 0
	pushl	%edi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %edi, 0
	movl	20(%esp), %ebp		/* fn */
	movl	24(%esp), %ecx		/* stack */
	movl	28(%esp), %ebx		/* flags */
	movl	32(%esp), %eax		/* arg */
	movl	36(%esp), %edx		/* ptid */
	movl	40(%esp), %esi		/* tls */
	movl	44(%esp), %edi		/* ctid */
	testl	%ecx, %ecx
	jz	1f
	andl	$-16, %ecx
	subl	$16, %ecx
	movl	%eax, (%ecx)		/* arg, for a child on the new stack */
1:	pushl	%eax			/* arg, for a child on its copy of this one */
	.cfi_adjust_cfa_offset 4
	movl	$120, %eax		/* __NR_clone */
	int	$0x80
	testl	%eax, %eax
	jnz	2f			/* the parent, or an error */
	testl	%ebp, %ebp
	jz	2f
	movl	(%esp), %edi		/* arg, on whichever stack this child has */
	jmp	ck__child_start
2:	addl	$4, %esp		/* the parent, or a fork-like child */
	.cfi_adjust_cfa_offset -4
	popl	%edi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %edi
	popl	%esi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %esi
	popl	%ebx
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebx
	popl	%ebp
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebp
	ret
	.cfi_endproc
	.size	ck__clone, .-ck__clone

	.globl	ck__clone3
	.hidden	ck__clone3
	.type	ck__clone3, @function
	.p2align 4
ck__clone3:
	.cfi_startproc
	pushl	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebp, 0
	pushl	%ebx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebx, 0
	pushl	%edi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %edi, 0
	movl	16(%esp), %ebx		/* args */
	movl	20(%esp), %ecx		/* size */
	movl	24(%esp), %ebp		/* fn */
	movl	28(%esp), %edi		/* arg */
	movl	$435, %eax		/* __NR_clone3 */
	int	$0x80
	testl	%eax, %eax
	jnz	2f
	testl	%ebp, %ebp
	jnz	ck__child_start
2:	popl	%edi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %edi
	popl	%ebx
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebx
	popl	%ebp
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebp
	ret
	.cfi_endproc
	.size	ck__clone3, .-ck__clone3

/*
 * The child, with fn in ebp and arg in edi: the outermost frame, so
 * unwinders stop here.
 */
	.type	ck__child_start, @function
	.p2align 4
ck__child_start:
	.cfi_startproc
	.cfi_undefined %eip
	movl	%ebp, %eax
	xorl	%ebp, %ebp
	andl	$-16, %esp
	subl	$12, %esp
	pushl	%edi			/* esp is 16-byte aligned at the call */
	call	*%eax
	movl	%eax, %ebx		/* fn's result is the exit status */
	movl	$1, %eax		/* __NR_exit: this task only, not the group */
	int	$0x80
	hlt
	.cfi_endproc
	.size	ck__child_start, .-ck__child_start

	.section .note.GNU-stack, "", @progbits
