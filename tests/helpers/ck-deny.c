/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck-deny [--tmpfile] [SYSCALL...] -- PROGRAM [ARGS...]
 * Runs PROGRAM (searched in PATH) under tests/deny.h's filter: each SYSCALL
 * fails with EPERM, and with --tmpfile an open of O_TMPFILE fails with
 * EOPNOTSUPP. Exits 126 when the filter cannot be loaded, 127 when PROGRAM
 * cannot be run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../deny.h"

int main(int argc, char **argv)
{
	bool tmpfile = false;
	int i = 1, r;

	if (i < argc && strcmp(argv[i], "--tmpfile") == 0) {
		tmpfile = true;
		i++;
	}
	int first = i;
	while (i < argc && strcmp(argv[i], "--") != 0)
		i++;
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: ck-deny [--tmpfile] [SYSCALL...] -- PROGRAM [ARGS...]\n");
		return 2;
	}
	argv[i] = NULL; /* the syscall names end here */
	r = ck_test_deny(argv + first, tmpfile);
	if (r < 0) {
		fprintf(stderr, "ck-deny: loading the filter: %s\n", strerror(-r));
		return 126;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "ck-deny: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
