/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the tests: run a program, read what it prints, stop it at a deadline. */
#ifndef CK_TEST_RUN_H
#define CK_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct ck_test_run_opts {
	bool merge_stderr; /* the program's stderr goes where its stdout goes, else it is inherited */
	unsigned timeout_s; /* 0: wait for as long as it runs */
	int tee_fd;         /* >= 0: everything read is also written here as it arrives */
	char *const *envp;  /* NULL: the caller's environment */
};

struct ck_test_run {
	char *out;      /* what it printed, NUL-terminated */
	size_t len;
	int status;     /* its wait status */
	bool timed_out; /* its process group was killed at the deadline */
};

/*
 * Runs argv[0] (a path, not searched) with argv, the environment of opts
 * (the caller's by default) and stdin from /dev/null, in a process group of its own, and waits for it.
 * At the deadline, and when it exits, the whole group is killed with SIGKILL;
 * the program is reaped. Returns 0, or the errno of the spawn (nothing ran
 * then and r holds nothing) or of reading its output (it was killed then).
 */
int ck_test_run(char *const argv[], const struct ck_test_run_opts *opts, struct ck_test_run *r);
void ck_test_run_free(struct ck_test_run *r);

#endif
