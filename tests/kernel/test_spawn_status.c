/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Status for supervisors on the real kernel: the info and json-status
 * documents byte for byte (bubblewrap 0.8's formats) with the child's real
 * PID and namespace inodes, the exit document, none after a failed launch,
 * the block fd and the userns block fd holding the child where bwrap does,
 * and the attribute checks. Root for the namespaces; the userns block fd as
 * uid 65534 too.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include "../run.h"
#include "../support.h"

#define UNPRIV_ID 65534

static unsigned long long ns_inode(pid_t pid, const char *name)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return (unsigned long long)st.st_ino;
}

static void need_root(void)
{
	if (geteuid() != 0)
		ck_skip_or_fail_printed("needs root (new namespaces without a user namespace)");
}

/* A child that stays alive until its stdin (the write end we keep) is closed. */
struct held {
	struct ck_child *child;
	int stdin_w;
};

static void spawn_cat(struct ck_spawn_attr *a, struct held *h)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	char *argv[] = { "cat", NULL };
	int in[2];
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, in[0], 0), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 1, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 2, 2), 0);
	int r = ck_spawn(&h->child, "cat", argv, NULL, a, &err);
	cr_assert_eq(r, 0, "spawn: %s", err.message);
	close(in[0]);
	h->stdin_w = in[1];
}

static int end_cat(struct held *h)
{
	int status = -1;
	close(h->stdin_w);
	cr_assert_eq(ck_spawn_wait(h->child, &status), 0);
	ck_spawn_free(h->child);
	return status;
}

Test(status, info_fd_is_bwraps_document_with_the_childs_pid_and_namespaces)
{
	need_root();
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct held h;
	char got[1024], want[1024];
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNS | CK_CLONE_NEWPID | CK_CLONE_NEWNET |
							 CK_CLONE_NEWUTS | CK_CLONE_NEWIPC | CK_CLONE_NEWCGROUP),
		     0);
	cr_assert_eq(ck_spawn_attr_set_info_fd(a, p[1]), 0);
	spawn_cat(a, &h);
	ck_spawn_attr_free(a);
	ck_test_read_all(p[0], got, sizeof(got)); /* EOF: the child closed its copy, the launcher the set's */
	close(p[0]);
	pid_t pid = ck_spawn_pid(h.child);
	snprintf(want, sizeof(want),
		 "{\n    \"child-pid\": %d,\n    \"cgroup-namespace\": %llu,\n    \"ipc-namespace\": %llu,\n"
		 "    \"mnt-namespace\": %llu,\n    \"net-namespace\": %llu,\n    \"pid-namespace\": %llu,\n"
		 "    \"uts-namespace\": %llu\n}\n",
		 (int)pid, ns_inode(pid, "cgroup"), ns_inode(pid, "ipc"), ns_inode(pid, "mnt"),
		 ns_inode(pid, "net"), ns_inode(pid, "pid"), ns_inode(pid, "uts"));
	cr_assert_str_eq(got, want);
	cr_assert_neq(ns_inode(pid, "pid"), ns_inode(getpid(), "pid"), "a new PID namespace");
	int st = end_cat(&h);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(status, without_new_namespaces_info_fd_names_the_mount_namespace_only)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct held h;
	char got[512], want[512];
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_info_fd(a, p[1]), 0);
	spawn_cat(a, &h);
	ck_spawn_attr_free(a);
	ck_test_read_all(p[0], got, sizeof(got));
	close(p[0]);
	pid_t pid = ck_spawn_pid(h.child);
	snprintf(want, sizeof(want), "{\n    \"child-pid\": %d,\n    \"mnt-namespace\": %llu\n}\n", (int)pid,
		 ns_inode(getpid(), "mnt"));
	cr_assert_str_eq(got, want);
	cr_assert_not(ck_spawn_used_vfork(h.child), "a status fd needs the path where the child waits");
	end_cat(&h);
}

/* The json-status documents of `sh -c CODE`: the first line, then what ck_spawn_wait adds. */
static void json_status_of(const char *code, int *status, char *first, size_t len, char *rest, size_t rlen)
{
	need_root();
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "sh", "-c", (char *)code, NULL };
	char all[1024];
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWPID | CK_CLONE_NEWNS), 0);
	cr_assert_eq(ck_spawn_attr_set_json_status_fd(a, p[1]), 0);
	/* held before execve: a command that ends at once would take its /proc/PID/ns links with it */
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	cr_assert_eq(ck_spawn(&c, "sh", argv, NULL, a, &err), 0, "%s", err.message);
	ck_spawn_attr_free(a);
	close(p[1]); /* the child handle keeps its own copy until the exit document */
	snprintf(first, len, "{ \"child-pid\": %d, \"mnt-namespace\": %llu, \"pid-namespace\": %llu }\n",
		 (int)ck_spawn_pid(c), ns_inode(ck_spawn_pid(c), "mnt"), ns_inode(ck_spawn_pid(c), "pid"));
	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_wait_exec(c, &err), 0, "%s", err.message);
	cr_assert_eq(ck_spawn_wait(c, status), 0);
	ck_spawn_free(c);
	ck_test_read_all(p[0], all, sizeof(all));
	close(p[0]);
	cr_assert_eq(strncmp(all, first, strlen(first)), 0, "first document: got '%s', want '%s'", all, first);
	snprintf(rest, rlen, "%s", all + strlen(first));
}

Test(status, json_status_ends_with_the_exit_code)
{
	char first[256], rest[256];
	int st;
	json_status_of("exit 3", &st, first, sizeof(first), rest, sizeof(rest));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	cr_assert_str_eq(rest, "{ \"exit-code\": 3 }\n");
}

Test(status, json_status_of_sigkill_from_outside_is_137)
{
	need_root();
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct held h;
	char all[1024];
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_json_status_fd(a, p[1]), 0);
	spawn_cat(a, &h);
	ck_spawn_attr_free(a);
	close(p[1]);
	cr_assert_eq(ck_spawn_signal(h.child, SIGKILL), 0);
	int st = end_cat(&h);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_test_read_all(p[0], all, sizeof(all));
	close(p[0]);
	const char *second = strchr(all, '\n');
	cr_assert_not_null(second);
	cr_assert_str_eq(second + 1, "{ \"exit-code\": 137 }\n");
}

Test(status, a_failed_execve_writes_no_exit_document)
{
	need_root();
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "/nonexistent/prog", NULL };
	char all[1024];
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_json_status_fd(a, p[1]), 0);
	cr_assert_eq(ck_spawn(&c, argv[0], argv, NULL, a, &err), -ENOENT);
	cr_assert_str_eq(err.step, "execve");
	cr_assert_null(c);
	ck_spawn_attr_free(a);
	close(p[1]);
	ck_test_read_all(p[0], all, sizeof(all));
	close(p[0]);
	/* as bwrap: the start document, and nothing for an end the program never had */
	cr_assert_eq(strncmp(all, "{ \"child-pid\": ", 15), 0, "got '%s'", all);
	cr_assert_eq(strchr(all, '\n') - all + 1, (long)strlen(all), "one document only: '%s'", all);
}

Test(status, a_closed_info_fd_fails_the_spawn_and_leaves_no_child)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "true", NULL };
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[0]); /* no reader: EPIPE */
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(ck_spawn_attr_set_info_fd(a, p[1]), 0);
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EPIPE);
	cr_assert_str_eq(err.step, "write the info fd");
	cr_assert_not(err.in_child);
	cr_assert_null(c);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "no child left");
	cr_assert_eq(errno, ECHILD);
	cr_assert_eq(fcntl(p[1], F_GETFD), -1, "the set's info fd is closed once used");
	/* one info fd serves one spawn */
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EBADF);
	cr_assert_str_eq(err.step, "write the info fd");
	ck_spawn_attr_free(a);
}

/* The thread that plays a supervisor: reads the info document, checks the child is held, unblocks it. */
struct supervisor {
	int info_r, block_w;
	bool write_maps;
	pid_t pid;
	bool still_ours;      /* the child had not executed the program when it was unblocked */
	char uid_map[128];
};

static void *supervise(void *arg)
{
	struct supervisor *s = arg;
	char doc[512], path[64], comm[32] = "";
	ck_test_read_all(s->info_r, doc, sizeof(doc));
	const char *p = strstr(doc, "\"child-pid\": ");
	s->pid = p ? atoi(p + 13) : -1;
	/* comm, readable by anyone (exe is not, for a child with caps in its own user namespace) */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)s->pid);
	int cfd = open(path, O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		ck_test_read_all(cfd, comm, sizeof(comm));
		close(cfd);
	}
	/* it cannot have executed cat: that needs the byte below */
	s->still_ours = strcmp(comm, "test_spawn_stat\n") == 0;
	if (s->write_maps) {
		char map[64];
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)s->pid);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, "deny", 4);
			close(fd);
		}
		snprintf(map, sizeof(map), "0 %d 1\n", (int)geteuid());
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)s->pid);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, map, strlen(map));
			close(fd);
		}
		snprintf(map, sizeof(map), "0 %d 1\n", (int)getegid());
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)s->pid);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, map, strlen(map));
			close(fd);
		}
	}
	(void)!write(s->block_w, "x", 1);
	return NULL;
}

/*
 * The child runs `cat /proc/self/uid_map` held by a block fd (or, with
 * userns, a userns block fd) that the supervisor thread writes once it has
 * read the info document. Plain checks, no Criterion assertion: the
 * unprivileged variant runs it in a forked child. NULL, or what went wrong.
 */
static const char *run_supervised(bool userns, char *out, size_t len)
{
	static char why[600];
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	struct supervisor s = { .write_maps = userns };
	char *argv[] = { "cat", "/proc/self/uid_map", NULL };
	int info[2], block[2], o[2], st = -1;
	pthread_t t;

	if (!a || pipe2(info, O_CLOEXEC) < 0 || pipe2(block, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0)
		return "setup";
	ck_spawn_attr_set_info_fd(a, info[1]);
	if (userns) {
		ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
		ck_spawn_attr_set_userns_block_fd(a, block[0]);
	} else {
		ck_spawn_attr_set_block_fd(a, block[0]);
	}
	ck_spawn_attr_add_fd(a, o[1], 1);
	ck_spawn_attr_add_fd(a, 2, 2);
	s.info_r = info[0];
	s.block_w = block[1];
	if (pthread_create(&t, NULL, supervise, &s) != 0)
		return "pthread_create";
	int r = ck_spawn(&c, "cat", argv, NULL, a, &err);
	pthread_join(t, NULL);
	ck_spawn_attr_free(a);
	close(o[1]);
	if (r < 0) {
		snprintf(why, sizeof(why), "spawn: %s", err.message);
		return why;
	}
	ck_test_read_all(o[0], out, len);
	if (ck_spawn_wait(c, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return "cat did not exit 0";
	if (s.pid != ck_spawn_pid(c))
		return "the info document's child-pid is not the child";
	if (!s.still_ours)
		return "the child ran the program before it was unblocked";
	ck_spawn_free(c);
	close(block[0]);
	close(block[1]);
	close(info[0]);
	close(o[0]);
	return NULL;
}

Test(status, block_fd_holds_the_child_before_execve)
{
	char out[256];
	const char *why = run_supervised(false, out, sizeof(out));
	cr_assert_null(why, "%s", why);
	cr_assert_str_eq(out, "         0          0 4294967295\n");
}

Test(status, userns_block_fd_lets_the_supervisor_write_the_maps)
{
	char out[256], want[128];
	const char *why = run_supervised(true, out, sizeof(out));
	cr_assert_null(why, "%s", why);
	snprintf(want, sizeof(want), "%10d %10d %10d\n", 0, (int)geteuid(), 1);
	cr_assert_str_eq(out, want);
}

Test(status, userns_block_fd_as_uid_65534)
{
	int p[2];
	char msg[512] = "";
	need_root();
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	/* as an unprivileged user, in a forked child so that the test keeps its ids */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char out[256], want[128];
		const char *why;
		/* dumpable again after setuid, as after an exec: else /proc/PID of our children is root's */
		if (setgroups(0, NULL) < 0 || setgid(UNPRIV_ID) < 0 || setuid(UNPRIV_ID) < 0 ||
		    prctl(PR_SET_DUMPABLE, 1) < 0)
			why = "setuid";
		else if (!(why = run_supervised(true, out, sizeof(out)))) {
			snprintf(want, sizeof(want), "%10d %10d %10d\n", 0, UNPRIV_ID, 1);
			if (strcmp(out, want) != 0)
				why = "the uid map is not 0 65534 1";
		}
		if (why)
			(void)!write(p[1], why, strlen(why));
		_exit(why ? 1 : 0);
	}
	close(p[1]);
	ck_test_read_all(p[0], msg, sizeof(msg));
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", msg);
}

Test(status, attribute_checks_are_einval)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "true", NULL };

	cr_assert_eq(ck_spawn_attr_set_info_fd(a, -2), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_block_fd(NULL, 3), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_userns_block_fd(a, 0), 0);
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EINVAL);
	cr_assert_str_eq(err.message, "a userns block fd needs a new user namespace (CLONE_NEWUSER)");
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER), 0);
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EINVAL);
	cr_assert_str_eq(err.message, "a userns block fd needs an info fd, which tells its writer the child's PID");
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_info_fd(a, p[1]), 0);
	cr_assert_eq(ck_spawn_attr_map_root(a), 0);
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EINVAL);
	cr_assert_str_eq(err.message,
			 "with a userns block fd the id maps are written by whoever unblocks it, not by the launcher");
	ck_spawn_attr_free(a);
	cr_assert_eq(fcntl(p[1], F_GETFD), -1, "ck_spawn_attr_free closes an info fd no spawn used");
	close(p[0]);

	a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_VM), 0);
	cr_assert_eq(ck_spawn_attr_set_json_status_fd(a, 1), 0);
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EINVAL);
	cr_assert_str_eq(err.step, "attributes");
	ck_spawn_attr_free(a);
}
