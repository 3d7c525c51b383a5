/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program to sign (tests/unit/test_kacs_pip.c): it carries an unsigned
 * 65-byte .peios.sig section (left out with -DCK_PIP_NO_SECTION, for
 * objcopy --add-section), prints "ready" and waits for its stdin to close,
 * so that a test can read /proc/PID/exe while it runs, also as the
 * interpreter of a script.
 */
#include <stdio.h>
#include <unistd.h>

#ifndef CK_PIP_NO_SECTION
/* the version byte set: a zero-filled array could be placed as SHT_NOBITS */
__attribute__((section(".peios.sig"), used)) const unsigned char peios_sig[65] = { 0x01 };
#endif

int main(void)
{
	char c;

	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
