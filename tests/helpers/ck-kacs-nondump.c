/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run by tests/kernel/test_kacs_nondump.c inside a KACS tree, from a copy
 * the tree may execute but not read (or after making its euid differ from
 * its uid): the exec that started it made it non-dumpable, and Linux took
 * its perf events. It reports, on one line, what the supervisor let it do:
 *
 *   probe [redump]   euid=N kill=E dumpable=N fork=E child=E
 *                    then execs /bin/true; "exec=E" and exit 3 if refused
 *   euid UID PATH    seteuid(UID), then exec PATH probe
 *
 * E is 0 or the errno's name; child is what the forked child's
 * kill(getppid(), 0) got ("-" without a child). redump first calls
 * prctl(PR_SET_DUMPABLE, 1).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err_text(int e)
{
	return e ? strerrorname_np(e) : "0";
}

static int probe(int redump)
{
	if (redump && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return 10;
	int k = kill(getpid(), 0) == 0 ? 0 : errno;
	int d = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	char child[32] = "-";
	int f = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(kill(getppid(), 0) == 0 ? 0 : errno);
	if (pid < 0) {
		f = errno;
	} else {
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			return 11;
		snprintf(child, sizeof(child), "%s", err_text(WEXITSTATUS(st)));
	}
	dprintf(1, "euid=%d kill=%s dumpable=%d fork=%s child=%s\n", (int)geteuid(), err_text(k), d, err_text(f),
		child);
	execl("/bin/true", "true", (char *)NULL);
	dprintf(1, "exec=%s\n", err_text(errno));
	return 3;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return probe(argc >= 3 && strcmp(argv[2], "redump") == 0);
	if (argc == 4 && strcmp(argv[1], "euid") == 0) {
		if (setresuid((uid_t)-1, (uid_t)atoi(argv[2]), (uid_t)-1) != 0)
			return 12;
		execl(argv[3], argv[3], "probe", (char *)NULL);
		return 13;
	}
	fprintf(stderr, "usage: ck-kacs-nondump probe [redump] | euid UID PATH\n");
	return 2;
}
