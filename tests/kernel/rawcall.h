/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw clone/clone3 for tests that must see exactly what the kernel answers:
 * the child exits at once through the exit syscall without touching memory
 * or the stack, so any flag combination (CLONE_VM without a stack included)
 * is safe to execute.
 */
#ifndef CK_TEST_RAWCALL_H
#define CK_TEST_RAWCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define CK_HAVE_RAWCALL 1

/* Returns the child's TID or -errno; the child calls exit(0) immediately. */
static inline long raw_clone_exit(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
				  uint64_t tls)
{
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = (long)tls;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone), "D"(flags), "S"(stack), "d"(ptid), "r"(r10),
			   "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long raw_clone3_exit(void *args, size_t size)
{
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(size)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
#define CK_HAVE_RAWCALL 0
#endif

#endif
