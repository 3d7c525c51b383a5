/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the tests: run a program, read what it prints, stop it at a deadline. */
#ifndef CK_TEST_RUN_H
#define CK_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>

/* The unprivileged identity the tests drop to (uid and gid), nobody on Debian. */
#define CK_TEST_NOBODY 65534

struct ck_test_run_opts {
	bool merge_stderr;   /* the program's stderr goes where its stdout goes */
	bool capture_stderr; /* else its stderr is read into err; with neither it is inherited */
	unsigned timeout_s;  /* 0: wait for as long as it runs */
	int tee_fd;          /* >= 0: everything read is also written here as it arrives */
	char *const *envp;   /* NULL: the caller's environment */
	const char *stdin_text; /* NULL: stdin is /dev/null; else these bytes, then EOF */
	bool as_nobody;      /* run as uid and gid CK_TEST_NOBODY without groups (the caller is root) */
	bool new_session;    /* it leads a session of its own (so a group too), else only a group */
};

struct ck_test_run {
	char *out;      /* what it printed, NUL-terminated */
	size_t len;
	char *err;      /* with capture_stderr, what it printed on stderr, NUL-terminated; else NULL */
	size_t err_len;
	int status;     /* its wait status */
	bool timed_out; /* its process group was killed at the deadline */
};

/*
 * Runs argv[0] (a path, not searched) with argv, the environment of opts
 * (the caller's by default) and stdin from /dev/null (or opts' text), in a process group of its own, and waits for it.
 * At the deadline, and when it exits, the whole group is killed with SIGKILL;
 * the program is reaped. Returns 0, or the errno of the spawn (nothing ran
 * then and r holds nothing) or of reading its output (it was killed then).
 */
int ck_test_run(char *const argv[], const struct ck_test_run_opts *opts, struct ck_test_run *r);

/*
 * The same for a function: a forked child runs fn(arg) and exits with what
 * it returns, after flushing stdout.
 */
int ck_test_run_fn(int (*fn)(void *), void *arg, const struct ck_test_run_opts *opts, struct ck_test_run *r);
void ck_test_run_free(struct ck_test_run *r);

/*
 * Fails the test unless the run ended by exit(code) before any deadline;
 * the message names what ran (what) and holds its status and output.
 */
void ck_test_assert_exit(const struct ck_test_run *r, int code, const char *what);

/* `/bin/sh -c` of the formatted command (60 s at most): its output, which the caller frees; it must exit 0. */
char *ck_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads fd until EOF, an error, or len - 1 bytes; NUL-terminates buf and returns the count. */
size_t ck_test_read_all(int fd, char *buf, size_t len);

/* The fds open in this process, the one reading /proc/self/fd not counted; -1 (errno set) when it cannot be read. */
int ck_test_fd_count(void);

/* Fails the test when this process has a child left, running or a zombie, whatever its exit signal. */
void ck_test_assert_no_children(void);

#endif
