/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The peer of `clonekit run --memory-max --pids-max --cpu-max` where
 * systemd-run --scope cannot run (no systemd as PID 1): a cgroup made by
 * hand, as a launcher without CLONE_INTO_CGROUP does it (nsjail's way) —
 * mkdir a group in each parent directory, write the limits, fork, the child
 * writes its pid to each cgroup.procs and execs, the parent waits and
 * removes the groups. No libclonekit.
 *
 *   cgroup-hand [--v2] MEMORY_PARENT PIDS_PARENT CPU_PARENT -- CMD ARGS...
 *
 * v1 (default): the three parents are the caller's groups in the memory,
 * pids and cpu hierarchies; limits memory.limit_in_bytes 256 MiB, pids.max
 * 64, cpu.cfs_quota_us 50000. --v2: one parent (give it three times), one
 * group with memory.max, pids.max and cpu.max "50000 100000".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *dir, const char *file, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fprintf(stderr, "cgroup-hand: %s: %s\n", path, strerror(errno));
		exit(125);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	int i = 1, n;
	char groups[3][4096], pid[32];
	int st;

	int v2 = argc > 1 && strcmp(argv[1], "--v2") == 0;
	i += v2;
	if (argc < i + 5 || strcmp(argv[i + 3], "--") != 0) {
		fprintf(stderr, "usage: cgroup-hand [--v2] MEMORY_PARENT PIDS_PARENT CPU_PARENT -- CMD ARGS...\n");
		return 2;
	}
	n = v2 ? 1 : 3;
	for (int k = 0; k < n; k++) {
		snprintf(groups[k], sizeof(groups[k]), "%s/cgroup-hand-%d", argv[i + k], (int)getpid());
		if (mkdir(groups[k], 0755) < 0) {
			fprintf(stderr, "cgroup-hand: mkdir %s: %s\n", groups[k], strerror(errno));
			return 125;
		}
	}
	if (v2) {
		put(groups[0], "memory.max", "268435456");
		put(groups[0], "pids.max", "64");
		put(groups[0], "cpu.max", "50000 100000");
	} else {
		put(groups[0], "memory.limit_in_bytes", "268435456");
		put(groups[1], "pids.max", "64");
		put(groups[2], "cpu.cfs_quota_us", "50000");
	}
	pid_t child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		for (int k = 0; k < n; k++)
			put(groups[k], "cgroup.procs", pid);
		execvp(argv[i + 4], argv + i + 4);
		_exit(127);
	}
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	for (int k = 0; k < n; k++) {
		/* a namespace's last tasks may still be leaving the group: EBUSY until they have */
		int r, tries = 0;
		while ((r = rmdir(groups[k])) < 0 && errno == EBUSY && tries++ < 1000)
			usleep(100);
		if (r < 0)
			fprintf(stderr, "cgroup-hand: rmdir %s: %s\n", groups[k], strerror(errno));
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
