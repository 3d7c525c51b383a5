/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The caller side of test_kacs_call: prints where its buffers are, then
 * makes notified calls (unshare(CLONE_NEWUTS), which the test's filter
 * sends to the test) and prints what each one left behind: the return
 * value, the writable buffer, and for an fd returned or named the inode
 * and whether it is close-on-exec.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char ro[] = "read-only";
static char rw[32] = "hello call";

static void report(long r)
{
	struct stat st;
	printf("ret %ld rw %s", r, rw);
	if (r >= 0 && fstat((int)r, &st) == 0)
		printf(" ino %llu cloexec %d", (unsigned long long)st.st_ino,
		       (fcntl((int)r, F_GETFD) & FD_CLOEXEC) != 0);
	printf("\n");
	fflush(stdout);
}

int main(void)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0 || dup2(pidfd, 7) != 7)
		return 1;
	printf("rw %p ro %p pid %d\n", (void *)rw, (void *)ro, (int)getpid());
	fflush(stdout);
	for (int i = 0; i < 3; i++)
		report(syscall(SYS_unshare, CLONE_NEWUTS));
	return 0;
}
