/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Built as an i386 program (tests/arch/meson.build): calls number 1000
 * (kacs_open_self_token(0, TOKEN_QUERY) on x86_64) through int $0x80, the
 * i386 entry, and exits with the errno it got (0 when it got an fd). The
 * design (KACS-SUPERVISOR.md §5.1) registers KACS for the 64-bit table only,
 * so the answer expected is ENOSYS, as PKM gives it.
 */
int main(void);

int main(void)
{
	long r;
#if defined(__i386__)
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(1000L), "b"(0L), "c"(8L) : "memory");
#else
	r = -38; /* not an i386 build: nothing to ask (the test runs only the i386 one) */
#endif
	return r < 0 ? (int)-r : 0;
}
