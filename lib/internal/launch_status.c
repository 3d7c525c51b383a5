/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Status for supervisors, in bubblewrap's formats (bubblewrap.c 0.8,
 * namespace_ids_write and report_child_exit_status), so that a program
 * written for `bwrap --info-fd/--json-status-fd` reads clonekit the same:
 *   info fd:        {\n    "child-pid": N,\n    "mnt-namespace": I ...\n}\n
 *   json-status fd: { "child-pid": N, "mnt-namespace": I ... }\n
 *                   then, once the program ran and ended, { "exit-code": N }\n
 * The namespaces are cgroup, ipc, mnt, net, pid and uts in that order: mnt
 * always (the child's mount namespace), the others when the child got a new
 * one. bwrap leaves the user namespace out too (not final when it writes).
 */
#include <clonekit/flags.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/spawn.h"
#include "internal/util.h"

static const struct {
	const char *name;
	uint64_t flag; /* 0: always */
} ns_order[] = {
	{ "cgroup", CK_CLONE_NEWCGROUP }, { "ipc", CK_CLONE_NEWIPC }, { "mnt", 0 },
	{ "net", CK_CLONE_NEWNET },       { "pid", CK_CLONE_NEWPID }, { "uts", CK_CLONE_NEWUTS },
};

bool ck__status_wanted(const struct ck_spawn_attr *a)
{
	return a->info_fd != -1 || a->json_status_fd >= 0 || a->userns_block_fd >= 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One document: head, then the namespace members joined by sep, then tail. */
static void document(char *buf, size_t len, const struct ck_spawn_attr *a, pid_t pid, const char *head,
		     const char *sep, const char *tail)
{
	size_t pos = 0;
	char path[64];
	struct stat st;

	ck__buf_append(buf, len, &pos, "%s\"child-pid\": %d", head, (int)pid);
	for (size_t i = 0; i < CK_ARRAY_SIZE(ns_order); i++) {
		if (ns_order[i].flag && !(a->namespaces & ns_order[i].flag))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_order[i].name);
		/* as bwrap: what cannot be read is left out */
		if (stat(path, &st) < 0)
			continue;
		ck__buf_append(buf, len, &pos, ",%s\"%s-namespace\": %ju", sep, ns_order[i].name,
			       (uintmax_t)st.st_ino);
	}
	ck__buf_append(buf, len, &pos, "%s", tail);
}

int ck__status_started(struct ck_spawn_attr *a, pid_t pid, enum ck__step *step)
{
	char buf[512];
	int r;

	if (a->info_fd == CK__INFO_FD_USED) {
		*step = CK__STEP_INFO_FD;
		return -EBADF;
	}
	if (a->info_fd >= 0) {
		*step = CK__STEP_INFO_FD;
		document(buf, sizeof(buf), a, pid, "{\n    ", "\n    ", "\n}\n");
		r = write_all(a->info_fd, buf, strlen(buf));
		/* as bwrap: closed once written, so that its reader sees the end before the child goes on */
		close(a->info_fd);
		a->info_fd = CK__INFO_FD_USED;
		if (r < 0)
			return r;
	}
	if (a->json_status_fd >= 0) {
		*step = CK__STEP_JSON_STATUS_FD;
		document(buf, sizeof(buf), a, pid, "{ ", " ", " }\n");
		if ((r = write_all(a->json_status_fd, buf, strlen(buf))) < 0)
			return r;
	}
	if (a->userns_block_fd >= 0) {
		/* as bwrap: any outcome of the read (data, EOF, an error) lets the child go on */
		char b;
		while (read(a->userns_block_fd, &b, 1) < 0 && errno == EINTR)
			;
	}
	return 0;
}

void ck__status_exited(int fd, int status)
{
	char buf[64];
	/* bash's convention, as bwrap's propagate_exit_status */
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	snprintf(buf, sizeof(buf), "{ \"exit-code\": %d }\n", code);
	/* as bwrap: a reader that went away does not change the command's status */
	(void)write_all(fd, buf, strlen(buf));
}
