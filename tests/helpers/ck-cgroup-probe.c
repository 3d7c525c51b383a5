/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run inside a spawn with cgroup limits; prints one line for the test.
 *   cgroup          its own /proc/self/cgroup, read first thing
 *   fork N          forks up to N children that wait; "forked=K errno=NAME"
 *   mem BYTES       touches BYTES of memory; "touched" if it survives
 *   escape FILE...  writes its pid to each cgroup.procs; "FILE=ok|NAME" each
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	char buf[4096];
	if (argc >= 2 && strcmp(argv[1], "cgroup") == 0) {
		int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (n < 0)
			return 2;
		fwrite(buf, 1, (size_t)n, stdout);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "fork") == 0) {
		int n = atoi(argv[2]), k = 0, e = 0;
		pid_t first = -1;
		for (; k < n; k++) {
			pid_t p = fork();
			if (p < 0) {
				e = errno;
				break;
			}
			if (p == 0) {
				close(0); /* the test reads the helper's stdout to its end */
				close(1);
				close(2);
				pause(); /* left for the launcher's cleanup to kill */
				_exit(0);
			}
			if (first < 0)
				first = p;
		}
		printf("forked=%d errno=%s\n", k, errname(e));
		/* one task free again (LeakSanitizer clones at exit); the others stay for the cleanup */
		if (first > 0 && kill(first, SIGKILL) == 0)
			waitpid(first, NULL, 0);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "mem") == 0) {
		size_t len = strtoull(argv[2], NULL, 0);
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 3;
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		printf("touched\n");
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "escape") == 0) {
		for (int i = 2; i < argc; i++) {
			int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
			int e = fd < 0 ? errno : (write(fd, "0", 1) == 1 ? 0 : errno);
			if (fd >= 0)
				close(fd);
			printf("%s=%s\n", argv[i], e ? errname(e) : "ok");
		}
		return 0;
	}
	return 2;
}
