/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aarch64 clone and clone3 trampolines.
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
 * The kernel takes clone's arguments as flags, stack, ptid, tls, ctid
 * (x0-x4: CLONE_BACKWARDS). fn stays in x10 and arg in x11, which the
 * syscall preserves in both tasks; neither is callee-saved, so the parent
 * has nothing to restore.
 */
	.text

	.globl	ck__clone
	.hidden	ck__clone
	.type	ck__clone, %function
	.p2align 4
ck__clone:
	.cfi_startproc
	mov	x10, x0			/* fn */
	mov	x11, x3			/* arg */
	mov	x0, x2			/* flags */
	and	x1, x1, #-16		/* stack; 0 stays 0 */
	mov	x2, x4			/* ptid */
	mov	x3, x5			/* tls */
	mov	x4, x6			/* ctid */
	mov	x8, #220		/* __NR_clone */
	svc	#0
	cbnz	x0, 1f			/* the parent, or an error */
	cbnz	x10, ck__child_start
1:	ret				/* the parent, or a fork-like child */
	.cfi_endproc
	.size	ck__clone, .-ck__clone

	.globl	ck__clone3
	.hidden	ck__clone3
	.type	ck__clone3, %function
	.p2align 4
ck__clone3:
	.cfi_startproc
	mov	x10, x2			/* fn */
	mov	x11, x3			/* arg */
	mov	x8, #435		/* __NR_clone3; args and size are in x0, x1 */
	svc	#0
	cbnz	x0, 1f
	cbnz	x10, ck__child_start
1:	ret
	.cfi_endproc
	.size	ck__clone3, .-ck__clone3

/* The child on its new stack: the outermost frame, so unwinders stop here. */
	.type	ck__child_start, %function
	.p2align 4
ck__child_start:
	.cfi_startproc
	.cfi_undefined x30
	mov	x29, #0
	mov	x30, #0
	mov	x9, sp
	and	sp, x9, #-16
	mov	x0, x11			/* arg */
	blr	x10
	mov	x8, #93			/* __NR_exit: this task only, not the group; status in w0 */
	svc	#0
	brk	#0
	.cfi_endproc
	.size	ck__child_start, .-ck__child_start

	.section .note.GNU-stack, "", %progbits
