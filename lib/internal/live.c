/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal/live.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal/arch.h"
#include "internal/util.h"

#define CK_CGROUP2_SUPER_MAGIC 0x63677270

uint64_t ck_user_addr_max(void)
{
	return ck__user_addr_max(); /* one limit for the validator and ck_clone3's fallback */
}

bool ck_arch_native_is_x86_64(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return true;
#else
	return false;
#endif
}

bool ck_pid_in_use(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The last (innermost) PID of an NSpid line in a status file, 0 if none. */
static int innermost_pid(const char *status_path)
{
	char buf[4096];
	if (ck_read_small_file(status_path, buf, sizeof(buf)) < 0)
		return 0;
	char *line = strstr(buf, "\nNSpid:");
	if (!line)
		return 0;
	line += 7;
	char *end = strchr(line, '\n');
	if (end)
		*end = '\0';
	char *last = strrchr(line, '\t');
	return last ? atoi(last + 1) : atoi(line + 1);
}

bool ck_pid_in_use_in_pidns(const char *ns_link, int pid)
{
	struct stat want, st;
	char path[300];
	bool found = false;

	if (pid < 0 || stat(ns_link, &want) < 0)
		return false;
	DIR *d = opendir("/proc");
	if (!d)
		return false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
		if (stat(path, &st) < 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		found = pid == 0 || innermost_pid(path) == pid;
	}
	closedir(d);
	return found;
}

enum ck_cgroup_fd_kind ck_cgroup_fd_probe(int fd)
{
	struct statfs sfs;
	struct stat st;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return CK_CGROUP_FD_BAD;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != CK_CGROUP2_SUPER_MAGIC)
		return CK_CGROUP_FD_NOT_CGROUP2;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return CK_CGROUP_FD_NOT_CGROUP2;
	return CK_CGROUP_FD_OK;
}

bool ck_cgroup_fd_writable(int fd)
{
	return faccessat(fd, "cgroup.procs", W_OK, AT_EACCESS) == 0;
}

/* Reads a small file relative to a directory fd; -errno on failure. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	return ck_read_small_file(path, buf, len);
}

bool ck_cgroup_fd_domain_invalid(int fd)
{
	char type[64];
	return read_at(fd, "cgroup.type", type, sizeof(type)) >= 0 &&
	       strcmp(type, "domain invalid") == 0;
}

bool ck_cgroup_fd_has_domain_controllers(int fd)
{
	static const char *const threaded[] = { "cpu", "cpuset", "perf_event", "pids" };
	char type[64], ctl[512];
	char *save = NULL;

	/* the root cgroup has no cgroup.type and may hold processes */
	if (read_at(fd, "cgroup.type", type, sizeof(type)) < 0)
		return false;
	if (strcmp(type, "domain") != 0)
		return false;
	if (read_at(fd, "cgroup.subtree_control", ctl, sizeof(ctl)) < 0)
		return false;
	for (char *w = strtok_r(ctl, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		bool is_threaded = false;
		for (size_t i = 0; i < CK_ARRAY_SIZE(threaded); i++)
			if (strcmp(w, threaded[i]) == 0)
				is_threaded = true;
		if (!is_threaded)
			return true;
	}
	return false;
}

int ck_cgroup2_mount(char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		char *dash = strstr(line, " - ");
		char mnt[1024];
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1) {
			snprintf(buf, len, "%s", mnt);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

bool ck_cgroup_fd_is_own(int fd)
{
	char mnt[1024], self[2048], path[4096];
	struct stat a, b;

	if (ck_cgroup2_mount(mnt, sizeof(mnt)) < 0)
		return false;
	if (ck_read_small_file("/proc/self/cgroup", self, sizeof(self)) < 0)
		return false;
	char *p = strncmp(self, "0::", 3) == 0 ? self : strstr(self, "\n0::");
	if (!p)
		return false;
	p += p == self ? 3 : 4;
	char *nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	snprintf(path, sizeof(path), "%s%s", mnt, p);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}
