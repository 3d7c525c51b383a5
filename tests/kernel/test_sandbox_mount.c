/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_spawn's mount list on the real kernel, as root and as uid 65534 in a
 * user namespace: each operation's observable result inside the new root
 * (mount options, propagation, file contents, device numbers, modes, seen
 * by ck-mountprobe, CK_MOUNTPROBE), escapes tried from inside and refused,
 * and failures that name the operation, the call, the path and the errno
 * while leaving the caller's mount table, fds and children as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <grp.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include "../run.h"
#include "../support.h"

#define UNPRIV_ID 65534
#define OUT_MAX 65536

/* What one sandboxed run gave, written by the forked runner into shared memory. */
struct outcome {
	int ret;               /* ck_spawn's */
	char step[64];
	bool in_child;
	int err;
	char message[512];
	int status;            /* the program's wait status */
	char out[OUT_MAX];     /* its stdout and stderr */
};

static const char *probe_path(void)
{
	const char *p = getenv("CK_MOUNTPROBE");
	cr_assert_not_null(p, "CK_MOUNTPROBE names the ck-mountprobe helper");
	return p;
}

static void add(struct ck_spawn_attr *a, enum ck_mount_type type, const char *source,
		const char *dest)
{
	struct ck_mount m = { .size = sizeof(m), .type = type, .source = source, .dest = dest };
	int r = ck_spawn_attr_add_mount(a, &m);
	cr_assert_eq(r, 0, "add %d %s: %s", type, dest, strerror(-r));
}

static void add_m(struct ck_spawn_attr *a, const struct ck_mount *m)
{
	int r = ck_spawn_attr_add_mount(a, m);
	cr_assert_eq(r, 0, "add %d %s: %s", m->type, m->dest, strerror(-r));
}

/*
 * A sandbox with the system read-only (/usr and its links), the probe at
 * /probe and a /proc; new mount and PID namespaces, and a user namespace
 * rootless.
 */
static struct ck_spawn_attr *box(bool rootless, uint64_t more_ns)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	uint64_t ns = CK_CLONE_NEWNS | CK_CLONE_NEWPID | more_ns;
	cr_assert_not_null(a);
	if (rootless) {
		ns |= CK_CLONE_NEWUSER;
		cr_assert_eq(ck_spawn_attr_map_user(a), 0);
	}
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, ns), 0);
	add(a, CK_MOUNT_RO_BIND, "/usr", "/usr");
	add(a, CK_MOUNT_SYMLINK, "usr/lib", "/lib");
	add(a, CK_MOUNT_SYMLINK, "usr/lib64", "/lib64");
	add(a, CK_MOUNT_SYMLINK, "usr/bin", "/bin");
	add(a, CK_MOUNT_RO_BIND, probe_path(), "/probe");
	add(a, CK_MOUNT_PROC, NULL, "/proc");
	return a;
}

static char *read_text(const char *path)
{
	static char buf[1 << 17];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t k;
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	while (n < sizeof(buf) - 1 && (k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)k;
	close(fd);
	buf[n] = '\0';
	return strdup(buf);
}

static int count_fds(void)
{
	int n = ck_test_fd_count();
	cr_assert_geq(n, 0, "/proc/self/fd: %s", strerror(errno));
	return n;
}

/* In the forked runner: a spawn of argv under a, its output and status into o. */
static void runner(struct ck_spawn_attr *a, char *const argv[], bool rootless, struct outcome *o)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	int p[2], null = open("/dev/null", O_RDONLY | O_CLOEXEC), st;
	size_t n = 0;
	ssize_t k;

	if (rootless && (setgroups(0, NULL) < 0 || setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
			 setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
			 prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0))
		_exit(3);
	if (null < 0 || pipe2(p, O_CLOEXEC) < 0 || ck_spawn_attr_add_fd(a, null, 0) < 0 ||
	    ck_spawn_attr_add_fd(a, p[1], 1) < 0 || ck_spawn_attr_add_fd(a, p[1], 2) < 0)
		_exit(4);
	o->ret = ck_spawn(&c, argv[0], argv, NULL, a, &err);
	close(p[1]);
	if (o->ret < 0) {
		snprintf(o->step, sizeof(o->step), "%s", err.step ? err.step : "-");
		o->err = err.err;
		o->in_child = err.in_child;
		snprintf(o->message, sizeof(o->message), "%s", err.message);
		_exit(0);
	}
	while (n < sizeof(o->out) - 1 && (k = read(p[0], o->out + n, sizeof(o->out) - 1 - n)) > 0)
		n += (size_t)k;
	o->out[n] = '\0';
	if (ck_spawn_wait(c, &st) < 0)
		_exit(5);
	o->status = st;
	ck_spawn_free(c);
	_exit(0);
}

/*
 * Runs argv under a (as uid 65534 when rootless) in a forked runner and
 * frees a; the caller's mount table, fd count and children must be as before.
 */
static struct outcome *sandbox(struct ck_spawn_attr *a, bool rootless, char *const argv[])
{
	struct outcome *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
	char *before = read_text("/proc/self/mountinfo");
	int st;

	cr_assert_neq(o, MAP_FAILED);
	memset(o, 0, sizeof(*o));
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		runner(a, argv, rootless, o);
	cr_assert(ck_wait_until(waitpid(pid, &st, WNOHANG) == pid, CK_PATIENCE_MS), "runner hung");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "runner status 0x%x", st);
	ck_spawn_attr_free(a);
	char *after = read_text("/proc/self/mountinfo");
	cr_assert_str_eq(after, before, "the caller's mount table changed");
	free(before);
	free(after);
	errno = 0;
	cr_assert(waitpid(-1, NULL, WNOHANG | __WALL) == -1 && errno == ECHILD, "a child is left");
	return o;
}

/* The probe's requests under a: its output (the run must succeed). */
static char *probe(struct ck_spawn_attr *a, bool rootless, ...)
{
	char *argv[64] = { "/probe" };
	int n = 1;
	va_list ap;
	va_start(ap, rootless);
	for (char *s; n < 63 && (s = va_arg(ap, char *));)
		argv[n++] = s;
	va_end(ap);
	argv[n] = NULL;
	struct outcome *o = sandbox(a, rootless, argv);
	cr_assert_eq(o->ret, 0, "ck_spawn: %s (step %s): %s", strerror(-o->ret), o->step, o->message);
	cr_assert(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0, "probe status 0x%x: %s",
		  o->status, o->out);
	char *out = strdup(o->out);
	munmap(o, sizeof(*o));
	return out;
}

/* A line of the probe's mounts listing: five fields (stat lines have four, others fewer). */
static bool is_mount_line(const char *l)
{
	int spaces = 0;
	for (; *l && *l != '\n'; l++)
		spaces += *l == ' ';
	return spaces == 4;
}

/* The mounts line for mount point mp ("MP OPTIONS FSTYPE SUPER PROPAGATION"), or NULL. */
static char *mount_line(const char *out, const char *mp)
{
	size_t n = strlen(mp);
	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0')) {
		if (strncmp(l, mp, n) == 0 && l[n] == ' ' && is_mount_line(l))
			return strndup(l, strcspn(l, "\n"));
	}
	return NULL;
}

static void assert_mount(const char *out, const char *mp, const char *want)
{
	char *l = mount_line(out, mp);
	cr_assert_not_null(l, "no mount at %s in:\n%s", mp, out);
	cr_assert_str_eq(l, want, "mount at %s:\n%s", mp, out);
	free(l);
}

static void assert_has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0'))
		if (strncmp(l, line, n) == 0 && (l[n] == '\n' || l[n] == '\0'))
			return;
	cr_assert_fail("no line '%s' in:\n%s", line, out);
}

/* The mount points of a mounts listing, space-separated, in its order. */
static char *mount_points(const char *out)
{
	char *list = calloc(1, strlen(out) + 1);
	size_t n = 0;
	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0')) {
		if (*l != '/' || !is_mount_line(l))
			continue;
		size_t k = strcspn(l, " ");
		if (n)
			list[n++] = ' ';
		memcpy(list + n, l, k);
		n += k;
	}
	return list;
}

/* A scratch directory on the host (0755, the tests' own), with file "f" holding "host data". */
static char *scratch(void)
{
	char tmpl[] = "/tmp/ck-mount-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	cr_assert_eq(chmod(tmpl, 0777), 0);
	char *dir = strdup(tmpl), path[256];
	snprintf(path, sizeof(path), "%s/f", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "host data\n", 10), 10);
	close(fd);
	cr_assert_eq(chmod(path, 0666), 0);
	return dir;
}

static void scratch_remove(char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(dir);
}

/* The host's mount line for the mount holding path (longest mount point that prefixes it). */
static char *host_mount(const char *path)
{
	char cmd[512], line[4096], *best = NULL;
	size_t best_len = 0;
	snprintf(cmd, sizeof(cmd), "%s mounts", probe_path());
	FILE *f = popen(cmd, "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " ");
		line[strcspn(line, "\n")] = '\0';
		bool prefix = strncmp(path, line, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
		if (prefix && n >= best_len) {
			free(best);
			best = strdup(line);
			best_len = n;
		}
	}
	pclose(f);
	cr_assert_not_null(best, "no host mount holds %s", path);
	return best;
}

/* "FSTYPE SUPER-OPTIONS" of a mounts line. */
static const char *fs_part(const char *line)
{
	const char *p = strchr(line, ' ');
	return p ? strchr(p + 1, ' ') + 1 : "";
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	char *out;
	va_list ap;
	va_start(ap, f);
	cr_assert_geq(vasprintf(&out, f, ap), 0);
	va_end(ap);
	return out;
}

/* ",uid=65534,gid=65534" on a tmpfs made in the user namespace of uid 65534. */
static const char *owner(bool rootless)
{
	return rootless ? ",uid=65534,gid=65534" : "";
}

/* ---- the new root ---- */

static void check_fresh_root(bool rootless)
{
	char *out = probe(box(rootless, 0), rootless, "mounts", "stat", "/", "stat", "/oldroot",
			  "stat", "/newroot", "stat", "/tmp", "read", "/etc/hostname", "cwd", NULL);
	char *want = fmt("/ rw,nosuid,nodev,relatime tmpfs rw%s private", owner(rootless));
	assert_mount(out, "/", want);
	free(want);
	char *host = host_mount("/usr");
	/* the bind keeps the source's other flags and file system; nosuid,nodev,ro are added */
	char *usr = mount_line(out, "/usr");
	cr_assert_not_null(usr);
	cr_assert(strncmp(usr, "/usr ro,nosuid,nodev,", 21) == 0, "%s", usr);
	cr_assert_str_eq(fs_part(usr), fs_part(host), "%s against the host's %s", usr, host);
	/* the new root holds what the operations made, nothing else */
	char *points = mount_points(out);
	cr_assert_str_eq(points, rootless ? "/ /usr /probe /proc" : "/ /usr /probe /proc /proc/irq /proc/bus");
	free(points);
	assert_has_line(out, "/ d 0755 0:0");
	assert_has_line(out, "/oldroot ENOENT");
	assert_has_line(out, "/newroot ENOENT");
	assert_has_line(out, "/tmp ENOENT");
	assert_has_line(out, "/etc/hostname ENOENT");
	assert_has_line(out, "/");
	free(usr);
	free(host);
	free(out);
}

Test(sandbox_mount, root_is_a_fresh_tmpfs_without_the_old_root)
{
	check_fresh_root(false);
}

Test(sandbox_mount, root_is_a_fresh_tmpfs_without_the_old_root_rootless)
{
	check_fresh_root(true);
}

Test(sandbox_mount, new_root_without_operations_is_empty)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNS), 0);
	cr_assert_eq(ck_spawn_attr_set_new_root(a, true), 0);
	char *argv[] = { "/bin/true", NULL };
	struct outcome *o = sandbox(a, false, argv);
	cr_assert_eq(o->ret, -ENOENT, "%d %s", o->ret, o->message);
	cr_assert_str_eq(o->step, "execve");
}

/* ---- binds ---- */

static void check_binds(bool rootless)
{
	char *dir = scratch(), *f = fmt("%s/f", dir);
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_BIND, dir, "/rw");
	add(a, CK_MOUNT_RO_BIND, dir, "/ro");
	add(a, CK_MOUNT_BIND, f, "/deep/er/file");
	add(a, CK_MOUNT_BIND, "/dev/null", "/null");
	add(a, CK_MOUNT_DEV_BIND, "/dev/null", "/devnull");
	char *out = probe(a, rootless, "mounts", "write", "/rw/f", "write", "/ro/f", "read",
			  "/deep/er/file", "stat", "/deep", "stat", "/deep/er/file", "write", "/null",
			  "write", "/devnull", "stat", "/devnull", NULL);
	char *host = host_mount(dir), *hnull = host_mount("/dev/null");
	char *rw = fmt("/rw rw,nosuid,nodev,relatime %s", fs_part(host));
	char *ro = fmt("/ro ro,nosuid,nodev,relatime %s", fs_part(host));
	char *file = fmt("/deep/er/file rw,nosuid,nodev,relatime %s", fs_part(host));
	char *null = fmt("/null rw,nosuid,nodev,relatime %s", fs_part(hnull));
	char *devnull = fmt("/devnull rw,nosuid,relatime %s", fs_part(hnull));
	assert_mount(out, "/rw", rw);
	assert_mount(out, "/ro", ro);
	assert_mount(out, "/deep/er/file", file);
	assert_mount(out, "/null", null);
	assert_mount(out, "/devnull", devnull);
	assert_has_line(out, "ok");
	assert_has_line(out, "/ro/f EROFS");
	assert_has_line(out, "host data");
	assert_has_line(out, "/deep d 0755 0:0");
	assert_has_line(out, "/deep/er/file f 0666 0:0");
	/* a device on a nodev bind cannot be opened; on a dev-bind it can */
	assert_has_line(out, "/null EACCES");
	assert_has_line(out, "/devnull c 0666 1:3");
	cr_assert_eq(strstr(out, "/devnull E"), NULL, "%s", out);
	/* the write through the rw bind is the host's file */
	char *data = read_text(f);
	cr_assert_str_eq(data, "host data\nx\n");
	free(data);
	free(rw), free(ro), free(file), free(null), free(devnull), free(host), free(hnull);
	free(out), free(f);
	scratch_remove(dir);
}

Test(sandbox_mount, binds_are_nosuid_nodev_and_ro_where_asked)
{
	check_binds(false);
}

Test(sandbox_mount, binds_are_nosuid_nodev_and_ro_where_asked_rootless)
{
	check_binds(true);
}

/*
 * In a mount namespace of the test's own: a shared tmpfs mounted noexec and
 * noatime with a submount. A ro-bind keeps both flags on both mounts, adds
 * nosuid,nodev,ro to each, and is a slave of the caller's mount.
 */
static void check_bind_keeps_flags(bool rootless)
{
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	char *dir = scratch(), *sub = fmt("%s/sub", dir);
	cr_assert_eq(mount("tmpfs", dir, "tmpfs", MS_NOEXEC | MS_NOATIME, "mode=0755"), 0);
	cr_assert_eq(mount(NULL, dir, NULL, MS_SHARED, NULL), 0);
	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(mount("tmpfs", sub, "tmpfs", MS_NOEXEC, "mode=0700"), 0);
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_RO_BIND, dir, "/src");
	char *out = probe(a, rootless, "mounts", NULL);
	assert_mount(out, "/src", "/src ro,nosuid,nodev,noexec,noatime tmpfs rw,mode=755 slave");
	assert_mount(out, "/src/sub", "/src/sub ro,nosuid,nodev,noexec,relatime tmpfs rw,mode=700 slave");
	free(out);
	cr_assert_eq(umount2(dir, MNT_DETACH), 0);
	free(sub);
	scratch_remove(dir);
}

Test(sandbox_mount, binds_keep_the_source_flags_on_every_submount_and_receive_its_mounts)
{
	check_bind_keeps_flags(false);
}

Test(sandbox_mount, binds_keep_the_source_flags_on_every_submount_and_receive_its_mounts_rootless)
{
	check_bind_keeps_flags(true);
}

static void check_try(bool rootless)
{
	struct ck_spawn_attr *a = box(rootless, 0);
	struct ck_mount m = { .size = sizeof(m), .type = CK_MOUNT_BIND, .flags = CK_MOUNT_TRY,
			      .source = "/nonexistent-ck", .dest = "/gone/x" };
	add_m(a, &m);
	m.type = CK_MOUNT_RO_BIND;
	m.dest = "/gone2";
	add_m(a, &m);
	m.type = CK_MOUNT_DEV_BIND;
	m.source = "/dev/zero";
	m.dest = "/zero";
	add_m(a, &m);
	char *out = probe(a, rootless, "stat", "/gone", "stat", "/gone2", "stat", "/zero", NULL);
	cr_assert_str_eq(out, "/gone ENOENT\n/gone2 ENOENT\n/zero c 0666 1:5\n");
	free(out);
}

Test(sandbox_mount, try_binds_skip_a_missing_source_and_make_nothing)
{
	check_try(false);
}

Test(sandbox_mount, try_binds_skip_a_missing_source_and_make_nothing_rootless)
{
	check_try(true);
}

static void check_bind_fd(bool rootless)
{
	char *dir = scratch();
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	int fds = count_fds();
	struct ck_spawn_attr *a = box(rootless, 0);
	struct ck_mount m = { .size = sizeof(m), .type = CK_MOUNT_BIND_FD, .fd = fd, .dest = "/fd" };
	add_m(a, &m);
	m.type = CK_MOUNT_RO_BIND_FD;
	m.dest = "/rofd";
	add_m(a, &m);
	char *out = probe(a, rootless, "read", "/fd/f", "write", "/fd/f", "write", "/rofd/f",
			  "mounts", NULL);
	cr_assert_eq(count_fds(), fds, "the attribute set's duplicates are closed with it");
	char *host = host_mount(dir);
	char *rofd = fmt("/rofd ro,nosuid,nodev,relatime %s", fs_part(host));
	assert_mount(out, "/rofd", rofd);
	assert_has_line(out, "host data");
	assert_has_line(out, "ok");
	assert_has_line(out, "/rofd/f EROFS");
	close(fd);
	free(rofd), free(host), free(out);
	scratch_remove(dir);
}

Test(sandbox_mount, bind_fd_binds_the_directory_the_fd_is_open_on)
{
	check_bind_fd(false);
}

Test(sandbox_mount, bind_fd_binds_the_directory_the_fd_is_open_on_rootless)
{
	check_bind_fd(true);
}

static void check_remount_ro(bool rootless)
{
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_TMPFS, NULL, "/t");
	add(a, CK_MOUNT_DIR, NULL, "/t/sub");
	add(a, CK_MOUNT_TMPFS, NULL, "/t/sub");
	add(a, CK_MOUNT_REMOUNT_RO, NULL, "/t");
	char *out = probe(a, rootless, "mounts", NULL);
	char *t = fmt("/t ro,nosuid,nodev,relatime tmpfs rw,mode=755%s private", owner(rootless));
	char *sub = fmt("/t/sub rw,nosuid,nodev,relatime tmpfs rw,mode=755%s private", owner(rootless));
	assert_mount(out, "/t", t);
	/* not recursive: the submount stays writable (bwrap's "does not recursively remount") */
	assert_mount(out, "/t/sub", sub);
	free(t), free(sub), free(out);
}

Test(sandbox_mount, remount_ro_makes_one_mount_read_only)
{
	check_remount_ro(false);
}

Test(sandbox_mount, remount_ro_makes_one_mount_read_only_rootless)
{
	check_remount_ro(true);
}

/* ---- proc ---- */

static void check_proc(bool rootless)
{
	struct ck_spawn_attr *a = box(rootless, 0);
	char *out = probe(a, rootless, "mounts", "read", "/proc/1/comm", "write",
			  "/proc/irq/default_smp_affinity", NULL);
	assert_mount(out, "/proc", "/proc rw,nosuid,nodev,noexec,relatime proc rw private");
	/* pid 1 of the new PID namespace is the program itself */
	assert_has_line(out, "probe");
	/* /proc/sys's root is never writable (proc_sys_permission), so it is not covered */
	cr_assert_null(mount_line(out, "/proc/sys"), "%s", out);
	bool sysrq = access("/proc/sysrq-trigger", F_OK) == 0;
	if (rootless) {
		/* nothing writable to cover: irq and bus belong to the host's root */
		cr_assert_null(mount_line(out, "/proc/irq"), "%s", out);
		cr_assert_null(mount_line(out, "/proc/bus"), "%s", out);
		cr_assert_null(mount_line(out, "/proc/sysrq-trigger"), "%s", out);
		assert_has_line(out, "/proc/irq/default_smp_affinity EACCES");
	} else {
		assert_mount(out, "/proc/irq", "/proc/irq ro,nosuid,nodev,noexec,relatime proc rw private");
		assert_mount(out, "/proc/bus", "/proc/bus ro,nosuid,nodev,noexec,relatime proc rw private");
		if (sysrq)
			assert_mount(out, "/proc/sysrq-trigger",
				     "/proc/sysrq-trigger ro,nosuid,nodev,noexec,relatime proc rw private");
		else
			cr_assert_null(mount_line(out, "/proc/sysrq-trigger"), "%s", out);
		assert_has_line(out, "/proc/irq/default_smp_affinity EROFS");
	}
	free(out);
}

Test(sandbox_mount, proc_is_new_with_the_writable_old_interfaces_covered)
{
	check_proc(false);
}

Test(sandbox_mount, proc_is_new_with_the_writable_old_interfaces_covered_rootless)
{
	check_proc(true);
}

Test(sandbox_mount, proc_without_a_new_pid_namespace_is_the_callers_bound)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNS), 0);
	add(a, CK_MOUNT_RO_BIND, "/usr", "/usr");
	add(a, CK_MOUNT_SYMLINK, "usr/lib", "/lib");
	add(a, CK_MOUNT_SYMLINK, "usr/lib64", "/lib64");
	add(a, CK_MOUNT_RO_BIND, probe_path(), "/probe");
	add(a, CK_MOUNT_PROC, NULL, "/proc");
	char *out = probe(a, false, "mounts", "read", "/proc/1/comm", NULL);
	char *comm = read_text("/proc/1/comm");
	comm[strcspn(comm, "\n")] = '\0';
	assert_has_line(out, comm);
	char *host = host_mount("/proc");
	char *want = fmt("/proc rw,nosuid,nodev,relatime %s", fs_part(host));
	assert_mount(out, "/proc", want);
	free(want), free(host), free(comm), free(out);
}

/* ---- dev ---- */

static void check_dev(bool rootless)
{
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_DEV, NULL, "/dev");
	char *out = probe(a, rootless, "stat", "/dev", "stat", "/dev/null", "stat", "/dev/zero",
			  "stat", "/dev/full", "stat", "/dev/random", "stat", "/dev/urandom", "stat",
			  "/dev/tty", "readlink", "/dev/stdin", "readlink", "/dev/stdout", "readlink",
			  "/dev/stderr", "readlink", "/dev/fd", "readlink", "/dev/core", "readlink",
			  "/dev/ptmx", "stat", "/dev/shm", "stat", "/dev/pts", "stat", "/dev/pts/ptmx",
			  "stat", "/dev/console", "write", "/dev/null", "read", "/dev/zero", NULL);
	cr_assert_str_eq(out,
			 "/dev d 0755 0:0\n"
			 "/dev/null c 0666 1:3\n"
			 "/dev/zero c 0666 1:5\n"
			 "/dev/full c 0666 1:7\n"
			 "/dev/random c 0666 1:8\n"
			 "/dev/urandom c 0666 1:9\n"
			 "/dev/tty c 0666 5:0\n"
			 "/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n/proc/self/fd\n/proc/kcore\n"
			 "pts/ptmx\n"
			 "/dev/shm d 0755 0:0\n"
			 "/dev/pts d 0755 0:0\n"
			 "/dev/pts/ptmx c 0666 5:2\n"
			 "/dev/console ENOENT\n"
			 "ok\n"
			 "\n");
	free(out);
	a = box(rootless, 0);
	add(a, CK_MOUNT_DEV, NULL, "/dev");
	out = probe(a, rootless, "mounts", NULL);
	char *dev = fmt("/dev rw,nosuid,nodev,relatime tmpfs rw,mode=755%s private", owner(rootless));
	assert_mount(out, "/dev", dev);
	/* a new devpts instance: not the host's ptys */
	assert_mount(out, "/dev/pts", "/dev/pts rw,nosuid,noexec,relatime devpts rw,mode=620,ptmxmode=666 private");
	char *host = host_mount("/dev/null");
	char *null = fmt("/dev/null rw,nosuid,relatime %s", fs_part(host));
	assert_mount(out, "/dev/null", null);
	free(null), free(host), free(dev), free(out);
}

Test(sandbox_mount, dev_has_the_minimal_nodes_links_shm_and_a_new_devpts)
{
	check_dev(false);
}

Test(sandbox_mount, dev_has_the_minimal_nodes_links_shm_and_a_new_devpts_rootless)
{
	check_dev(true);
}

/* ---- tmpfs, mqueue, dir, file, data, symlink, chmod ---- */

static void check_tmpfs(bool rootless)
{
	struct ck_spawn_attr *a = box(rootless, 0);
	struct ck_mount m = { .size = sizeof(m), .type = CK_MOUNT_TMPFS, .dest = "/big",
			      .flags = CK_MOUNT_PERMS, .perms = 01777, .tmpfs_size = 1 << 20 };
	add_m(a, &m);
	add(a, CK_MOUNT_TMPFS, NULL, "/plain");
	char *out = probe(a, rootless, "mounts", "stat", "/big", "stat", "/plain", NULL);
	/* tmpfs shows no mode= for its default, 1777 */
	char *big = fmt("/big rw,nosuid,nodev,relatime tmpfs rw,size=1024k%s private",
			owner(rootless));
	char *plain = fmt("/plain rw,nosuid,nodev,relatime tmpfs rw,mode=755%s private", owner(rootless));
	assert_mount(out, "/big", big);
	assert_mount(out, "/plain", plain);
	assert_has_line(out, "/big d 1777 0:0");
	assert_has_line(out, "/plain d 0755 0:0");
	free(big), free(plain), free(out);
}

Test(sandbox_mount, tmpfs_takes_its_size_and_mode)
{
	check_tmpfs(false);
}

Test(sandbox_mount, tmpfs_takes_its_size_and_mode_rootless)
{
	check_tmpfs(true);
}

static void check_mqueue(bool rootless)
{
	struct ck_spawn_attr *a = box(rootless, CK_CLONE_NEWIPC);
	add(a, CK_MOUNT_MQUEUE, NULL, "/dev/mqueue");
	char *out = probe(a, rootless, "mounts", NULL);
	assert_mount(out, "/dev/mqueue", "/dev/mqueue rw,relatime mqueue rw private");
	free(out);
}

Test(sandbox_mount, mqueue_mounts_the_ipc_namespaces_queues)
{
	check_mqueue(false);
}

Test(sandbox_mount, mqueue_mounts_the_ipc_namespaces_queues_rootless)
{
	check_mqueue(true);
}

/* A pipe holding text, its read end returned. */
static int data_fd(const char *text)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	return p[0];
}

static void check_files(bool rootless)
{
	int fds = count_fds();
	int file = data_fd("file data\n"), ro = data_fd("ro data\n"), rw = data_fd("rw data\n");
	struct ck_spawn_attr *a = box(rootless, 0);
	struct ck_mount m = { .size = sizeof(m), .type = CK_MOUNT_DIR, .dest = "/a/b/c",
			      .flags = CK_MOUNT_PERMS, .perms = 0700 };
	add_m(a, &m);
	add(a, CK_MOUNT_DIR, NULL, "/d");
	m = (struct ck_mount){ .size = sizeof(m), .type = CK_MOUNT_FILE, .dest = "/etc/x", .fd = file,
			       .flags = CK_MOUNT_PERMS, .perms = 0640 };
	add_m(a, &m);
	m = (struct ck_mount){ .size = sizeof(m), .type = CK_MOUNT_RO_BIND_DATA, .dest = "/rbd", .fd = ro };
	add_m(a, &m);
	m = (struct ck_mount){ .size = sizeof(m), .type = CK_MOUNT_BIND_DATA, .dest = "/wbd", .fd = rw,
			       .flags = CK_MOUNT_PERMS, .perms = 0644 };
	add_m(a, &m);
	add(a, CK_MOUNT_SYMLINK, "../etc/x", "/l/x");
	add(a, CK_MOUNT_DIR, NULL, "/cd");
	m = (struct ck_mount){ .size = sizeof(m), .type = CK_MOUNT_CHMOD, .dest = "/cd",
			       .flags = CK_MOUNT_PERMS, .perms = 0710 };
	add_m(a, &m);
	close(file), close(ro), close(rw);
	char *out = probe(a, rootless, "stat", "/a", "stat", "/a/b", "stat", "/a/b/c", "stat", "/d",
			  "stat", "/etc", "stat", "/etc/x", "read", "/etc/x", "read", "/rbd", "stat",
			  "/rbd", "write", "/rbd", "read", "/wbd", "stat", "/wbd", "write", "/wbd",
			  "readlink", "/l/x", "read", "/l/x", "stat", "/cd", "mounts", NULL);
	const char *want =
		"/a d 0700 0:0\n/a/b d 0700 0:0\n/a/b/c d 0700 0:0\n/d d 0755 0:0\n"
		"/etc d 0750 0:0\n/etc/x f 0640 0:0\nfile data\n"
		"ro data\n/rbd f 0600 0:0\n/rbd EROFS\n"
		"rw data\n/wbd f 0644 0:0\nok\n"
		"../etc/x\nfile data\n/cd d 0710 0:0\n";
	cr_assert(strncmp(out, want, strlen(want)) == 0, "got:\n%s\nwant:\n%s", out, want);
	char *rbd = fmt("/rbd ro,nosuid,nodev,relatime tmpfs rw%s private", owner(rootless));
	assert_mount(out, "/rbd", rbd);
	cr_assert_eq(count_fds(), fds);
	free(rbd), free(out);
}

Test(sandbox_mount, dir_file_data_symlink_and_chmod_make_what_they_say)
{
	check_files(false);
}

Test(sandbox_mount, dir_file_data_symlink_and_chmod_make_what_they_say_rootless)
{
	check_files(true);
}

/* ---- escapes, tried by a program without capabilities ---- */

/* Root's program runs as uid 65534 on the host, so that it has no capability. */
static int become_nobody(void *unused)
{
	(void)unused;
	if (setgroups(0, NULL) < 0 || setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
	    setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0)
		return -errno;
	return 0;
}

static void check_escapes(bool rootless)
{
	char *dir = scratch(), *f = fmt("%s/f", dir);
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_RO_BIND, dir, "/ro");
	add(a, CK_MOUNT_TMPFS, NULL, "/tmp");
	add(a, CK_MOUNT_DIR, NULL, "/tmp/mnt");
	if (!rootless)
		cr_assert_eq(ck_spawn_attr_set_pre_exec(a, become_nobody, NULL), 0);
	char *out = probe(a, rootless, "read", "/etc/passwd", "read", "/proc/1/root/etc/passwd",
			  "stat", "/oldroot", "remount-rw", "/ro", "setattr-rw", "/ro", "write",
			  "/ro/f", "umount", "/", "umount", "/ro", "bind", "/usr", "/tmp/mnt",
			  "bind", "/proc/self/root", "/tmp/mnt", NULL);
	cr_assert_str_eq(out,
			 "/etc/passwd ENOENT\n"
			 "/proc/1/root/etc/passwd ENOENT\n"
			 "/oldroot ENOENT\n"
			 "EPERM\nEPERM\n"
			 "/ro/f EROFS\n"
			 "EPERM\nEPERM\nEPERM\nEPERM\n");
	char *data = read_text(f);
	cr_assert_str_eq(data, "host data\n");
	free(data), free(out), free(f);
	scratch_remove(dir);
}

Test(sandbox_mount, escapes_from_inside_are_refused)
{
	check_escapes(false);
}

Test(sandbox_mount, escapes_from_inside_are_refused_rootless)
{
	check_escapes(true);
}

/* ---- failures: the operation, the call, the path, the errno; nothing left behind ---- */

struct failure_case {
	const char *name;
	bool rootless_only;
	uint64_t more_ns;
	struct ck_mount op;
	int err;
	const char *message;        /* rootless: the same unless message_rootless says otherwise */
	const char *message_rootless;
};

static const struct failure_case failures[] = {
	{ "missing source", false, 0, { .type = CK_MOUNT_BIND, .source = "/nonexistent-ck", .dest = "/x" },
	  ENOENT, "mounts: bind /nonexistent-ck /x: resolve the source /nonexistent-ck: No such file or directory", NULL },
	{ "remount-ro of a directory that is not a mount point", false, 0,
	  { .type = CK_MOUNT_REMOUNT_RO, .dest = "/usr/bin" }, EINVAL,
	  "mounts: remount-ro /usr/bin: mount_setattr /usr/bin: Invalid argument (it is not a mount point)", NULL },
	{ "remount-ro of nothing", false, 0, { .type = CK_MOUNT_REMOUNT_RO, .dest = "/none" }, ENOENT,
	  "mounts: remount-ro /none: mount_setattr /none: No such file or directory", NULL },
	{ "chmod of nothing", false, 0,
	  { .type = CK_MOUNT_CHMOD, .dest = "/missing", .flags = CK_MOUNT_PERMS, .perms = 0700 }, ENOENT,
	  "mounts: chmod 0700 /missing: chmod /missing: No such file or directory", NULL },
	{ "a parent that is a file", false, 0, { .type = CK_MOUNT_BIND, .source = "/usr", .dest = "/probe/x" },
	  ENOTDIR, "mounts: bind /usr /probe/x: create the parent directories of /probe: Not a directory", NULL },
	{ "a tmpfs on a file", false, 0, { .type = CK_MOUNT_TMPFS, .dest = "/probe" }, ENOTDIR,
	  "mounts: tmpfs /probe: create the directory /probe: Not a directory", NULL },
	{ "a symlink where a file is", false, 0, { .type = CK_MOUNT_SYMLINK, .source = "x", .dest = "/probe" },
	  EEXIST, "mounts: symlink x /probe: symlink /probe: File exists", NULL },
	{ "mqueue of an IPC namespace the user namespace does not own", true, 0,
	  { .type = CK_MOUNT_MQUEUE, .dest = "/mq" }, EPERM,
	  NULL, "mounts: mqueue /mq: mount /mq: Operation not permitted" },
};

static void check_failure(const struct failure_case *c, bool rootless)
{
	int fds = count_fds();
	struct ck_spawn_attr *a = box(rootless, c->more_ns);
	struct ck_mount m = c->op;
	m.size = sizeof(m);
	add_m(a, &m);
	char *argv[] = { "/probe", "cwd", NULL };
	struct outcome *o = sandbox(a, rootless, argv);
	const char *want = rootless && c->message_rootless ? c->message_rootless : c->message;
	cr_assert_eq(o->ret, -c->err, "%s: %d %s", c->name, o->ret, o->message);
	cr_assert_str_eq(o->step, "mounts", "%s", c->name);
	cr_assert_eq(o->err, c->err, "%s", c->name);
	cr_assert_str_eq(o->message, want, "%s", c->name);
	/* a source is resolved by the caller, everything else is done by the child */
	cr_assert_eq(o->in_child, strcmp(c->name, "missing source") != 0, "%s", c->name);
	cr_assert_eq(count_fds(), fds, "%s: an fd is left", c->name);
	munmap(o, sizeof(*o));
}

Test(sandbox_mount, failures_name_the_operation_the_call_the_path_and_the_errno)
{
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		if (!failures[i].rootless_only)
			check_failure(&failures[i], false);
}

Test(sandbox_mount, failures_name_the_operation_the_call_the_path_and_the_errno_rootless)
{
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		check_failure(&failures[i], true);
}

Test(sandbox_mount, bind_fd_of_a_removed_directory_fails_in_the_parent)
{
	char *dir = scratch(), *f = fmt("%s/f", dir);
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(unlink(f), 0);
	cr_assert_eq(rmdir(dir), 0);
	struct ck_spawn_attr *a = box(false, 0);
	struct ck_mount m = { .size = sizeof(m), .type = CK_MOUNT_BIND_FD, .fd = fd, .dest = "/fd" };
	add_m(a, &m);
	char *argv[] = { "/probe", "cwd", NULL };
	struct outcome *o = sandbox(a, false, argv);
	char *want = fmt("mounts: bind-fd %d /fd: resolve the source of fd %d: No such file or directory",
			 fd, fd);
	cr_assert_eq(o->ret, -ENOENT, "%s", o->message);
	cr_assert_str_eq(o->step, "mounts");
	cr_assert_eq(o->err, ENOENT);
	cr_assert_str_eq(o->message, want);
	close(fd);
	free(want), free(f), free(dir);
	munmap(o, sizeof(*o));
}

Test(sandbox_mount, a_new_root_needs_a_new_mount_namespace_and_its_own_memory)
{
	static const struct {
		uint64_t ns, share;
		const char *message;
	} cases[] = {
		{ CK_CLONE_NEWPID, 0, "a new root and mount operations need a new mount namespace (CLONE_NEWNS)" },
		{ CK_CLONE_NEWNS, CK_CLONE_VM,
		  "a new root is built by a child with its own memory, which CLONE_VM|CLONE_VFORK is not: do not share CLONE_VM" },
	};
	for (size_t i = 0; i < 2; i++) {
		struct ck_spawn_attr *a = ck_spawn_attr_new();
		cr_assert_eq(ck_spawn_attr_set_namespaces(a, cases[i].ns), 0);
		cr_assert_eq(ck_spawn_attr_set_share(a, cases[i].share), 0);
		add(a, CK_MOUNT_TMPFS, NULL, "/tmp");
		char *argv[] = { "/bin/true", NULL };
		struct outcome *o = sandbox(a, false, argv);
		cr_assert_eq(o->ret, -EINVAL);
		cr_assert_str_eq(o->step, "attributes");
		cr_assert_str_eq(o->message, cases[i].message);
		munmap(o, sizeof(*o));
	}
}

Test(sandbox_mount, add_mount_refuses_what_the_operation_does_not_take)
{
	static const struct {
		struct ck_mount m;
		int err;
	} cases[] = {
		{ { .type = CK_MOUNT_BIND, .dest = "/x" }, -EINVAL },                          /* no source */
		{ { .type = CK_MOUNT_BIND, .source = "/usr" }, -EINVAL },                      /* no dest */
		{ { .type = CK_MOUNT_BIND, .source = "/usr", .dest = "" }, -EINVAL },
		{ { .type = CK_MOUNT_TMPFS, .source = "/usr", .dest = "/x" }, -EINVAL },       /* a source it ignores */
		{ { .type = CK_MOUNT_TMPFS, .dest = "/x", .flags = CK_MOUNT_TRY }, -EINVAL },
		{ { .type = CK_MOUNT_BIND, .source = "/usr", .dest = "/x", .flags = CK_MOUNT_PERMS }, -EINVAL },
		{ { .type = CK_MOUNT_DIR, .dest = "/x", .flags = CK_MOUNT_PERMS, .perms = 010000 }, -EINVAL },
		{ { .type = CK_MOUNT_CHMOD, .dest = "/x" }, -EINVAL },                          /* chmod needs perms */
		{ { .type = CK_MOUNT_DIR, .dest = "/x", .tmpfs_size = 4096 }, -EINVAL },        /* --size only for tmpfs */
		{ { .type = CK_MOUNT_FILE, .dest = "/x", .fd = -1 }, -EINVAL },
		{ { .type = CK_MOUNT_FILE, .dest = "/x", .fd = 999 }, -EBADF },
		{ { .type = CK_MOUNT_DIR, .dest = "/x", .flags = 0x100 }, -EINVAL },
		{ { .type = (enum ck_mount_type)0, .dest = "/x" }, -EINVAL },
		{ { .type = (enum ck_mount_type)99, .dest = "/x" }, -EINVAL },
	};
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int fds = count_fds();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_mount m = cases[i].m;
		m.size = sizeof(m);
		cr_assert_eq(ck_spawn_attr_add_mount(a, &m), cases[i].err, "case %zu", i);
	}
	char longpath[PATH_MAX + 1];
	memset(longpath, 'a', PATH_MAX);
	longpath[0] = '/';
	longpath[PATH_MAX] = '\0';
	struct ck_mount m = { .size = sizeof(m), .type = CK_MOUNT_DIR, .dest = longpath };
	cr_assert_eq(ck_spawn_attr_add_mount(a, &m), -ENAMETOOLONG);
	/* a newer caller's struct is taken when its unknown tail is zero, refused otherwise */
	struct {
		struct ck_mount m;
		uint64_t newer;
	} big = { { .size = sizeof(big), .type = CK_MOUNT_DIR, .dest = "/x" }, 1 };
	cr_assert_eq(ck_spawn_attr_add_mount(a, &big.m), -EINVAL);
	big.newer = 0;
	cr_assert_eq(ck_spawn_attr_add_mount(a, &big.m), 0);
	m = (struct ck_mount){ .size = 8, .type = CK_MOUNT_DIR, .dest = "/x" };
	cr_assert_eq(ck_spawn_attr_add_mount(a, &m), -EINVAL);
	cr_assert_eq(ck_spawn_attr_add_mount(NULL, &m), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_new_root(NULL, true), -EINVAL);
	cr_assert_eq(count_fds(), fds, "a refused fd operation keeps no duplicate");
	ck_spawn_attr_free(a);
}

/* ---- where the program starts, /proc from mount-proc, /dev/console ---- */

static void check_cwd(bool rootless)
{
	char *dir = scratch(), *old = getcwd(NULL, 0);
	cr_assert_eq(chdir(dir), 0);
	/* the caller's cwd is in the new root: the program starts there */
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_BIND, dir, dir);
	char *out = probe(a, rootless, "cwd", NULL);
	char *want = fmt("%s\n", dir);
	cr_assert_str_eq(out, want);
	free(out), free(want);
	/* it is not: $HOME if the new root has it */
	setenv("HOME", "/usr", 1);
	out = probe(box(rootless, 0), rootless, "cwd", NULL);
	cr_assert_str_eq(out, "/usr\n");
	free(out);
	/* neither: / */
	setenv("HOME", "/nowhere", 1);
	out = probe(box(rootless, 0), rootless, "cwd", NULL);
	cr_assert_str_eq(out, "/\n");
	free(out);
	/* a cwd given is a path in the new root */
	a = box(rootless, 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, "/proc"), 0);
	out = probe(a, rootless, "cwd", NULL);
	cr_assert_str_eq(out, "/proc\n");
	free(out);
	cr_assert_eq(chdir(old), 0);
	free(old);
	scratch_remove(dir);
}

Test(sandbox_mount, the_program_starts_in_the_callers_cwd_else_home_else_root)
{
	check_cwd(false);
}

Test(sandbox_mount, the_program_starts_in_the_callers_cwd_else_home_else_root_rootless)
{
	check_cwd(true);
}

Test(sandbox_mount, mount_proc_mounts_proc_in_the_new_root_after_the_list)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNS | CK_CLONE_NEWPID), 0);
	add(a, CK_MOUNT_RO_BIND, "/usr", "/usr");
	add(a, CK_MOUNT_SYMLINK, "usr/lib", "/lib");
	add(a, CK_MOUNT_SYMLINK, "usr/lib64", "/lib64");
	add(a, CK_MOUNT_RO_BIND, probe_path(), "/probe");
	cr_assert_eq(ck_spawn_attr_set_mount_proc(a, true), 0);
	char *out = probe(a, false, "read", "/proc/1/comm", "mounts", NULL);
	assert_has_line(out, "probe");
	assert_mount(out, "/proc", "/proc rw,nosuid,nodev,noexec,relatime proc rw private");
	free(out);
}

/* With the program's stdout a tty, /dev/console is that tty (bwrap: ttyname() works inside). */
Test(sandbox_mount, dev_console_is_the_tty_the_program_writes_to)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(master, 0);
	cr_assert_eq(grantpt(master), 0);
	cr_assert_eq(unlockpt(master), 0);
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(tty, 0);
	struct stat st;
	cr_assert_eq(fstat(tty, &st), 0);
	int p[2], null = open("/dev/null", O_RDONLY | O_CLOEXEC), status;
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	struct ck_spawn_attr *a = box(false, 0);
	add(a, CK_MOUNT_DEV, NULL, "/dev");
	/* stdout is the tty; the probe reports on stderr */
	cr_assert_eq(ck_spawn_attr_add_fd(a, null, 0), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, tty, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 2), 0);
	char *argv[] = { "/bin/sh", "-c", "/probe stat /dev/console >&2", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	cr_assert_eq(ck_spawn(&c, argv[0], argv, NULL, a, &err), 0, "%s", err.message);
	close(p[1]);
	char buf[256] = "";
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_eq(ck_spawn_wait(c, &status), 0);
	cr_assert_eq(status, 0);
	char *want = fmt("/dev/console c %04o %u:%u\n", (unsigned)(st.st_mode & 07777),
			 major(st.st_rdev), minor(st.st_rdev));
	cr_assert_str_eq(buf, want);
	free(want);
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
	close(p[0]), close(null), close(tty), close(master);
}

/*
 * Propagation, in a mount namespace of the test's own with a shared tmpfs:
 * a mount the caller makes under a bound directory after the spawn reaches
 * the sandbox (as a slave, with its own flags: bwrap's flags are not applied
 * to it), and the sandbox's own mounts never reach the caller.
 */
static void check_late_mount(bool rootless)
{
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	char *dir = scratch(), *late = fmt("%s/late", dir);
	cr_assert_eq(mount("tmpfs", dir, "tmpfs", 0, "mode=0755"), 0);
	cr_assert_eq(mount(NULL, dir, NULL, MS_SHARED, NULL), 0);
	cr_assert_eq(mkdir(late, 0755), 0);
	char *before = read_text("/proc/self/mountinfo");
	int in[2], out[2];
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	struct ck_spawn_attr *a = box(rootless, 0);
	add(a, CK_MOUNT_RO_BIND, dir, "/src");
	add(a, CK_MOUNT_TMPFS, NULL, "/src-own");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ck_spawn_error err = { .size = sizeof(err) };
		struct ck_child *c;
		int st;
		char *argv[] = { "/bin/sh", "-c", "echo started; read x; /probe mounts", NULL };
		if (rootless && (setgroups(0, NULL) < 0 || setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
				 setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
				 prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0))
			_exit(3);
		if (ck_spawn_attr_add_fd(a, in[0], 0) < 0 || ck_spawn_attr_add_fd(a, out[1], 1) < 0 ||
		    ck_spawn_attr_add_fd(a, out[1], 2) < 0 ||
		    ck_spawn(&c, argv[0], argv, NULL, a, &err) < 0) {
			dprintf(out[1], "spawn: %s\n", err.message);
			_exit(4);
		}
		close(out[1]);
		_exit(ck_spawn_wait(c, &st) == 0 && st == 0 ? 0 : 5);
	}
	close(in[0]);
	close(out[1]);
	ck_spawn_attr_free(a);
	FILE *f = fdopen(out[0], "r");
	char line[4096], all[16384] = "";
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "started\n");
	/* the sandbox is built and running: now the caller mounts */
	cr_assert_eq(mount("tmpfs", late, "tmpfs", MS_NOSUID, "mode=0700"), 0);
	cr_assert_eq(write(in[1], "\n", 1), 1);
	close(in[1]);
	size_t n = fread(all, 1, sizeof(all) - 1, f);
	all[n] = '\0';
	fclose(f);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x: %s", st, all);
	assert_mount(all, "/src", "/src ro,nosuid,nodev,relatime tmpfs rw,mode=755 slave");
	assert_mount(all, "/src/late", "/src/late rw,nosuid,relatime tmpfs rw,mode=700 slave");
	cr_assert_eq(umount2(late, MNT_DETACH), 0);
	char *after = read_text("/proc/self/mountinfo");
	cr_assert_str_eq(after, before, "the sandbox's mounts reached the caller");
	cr_assert_eq(umount2(dir, MNT_DETACH), 0);
	free(before), free(after), free(late);
	scratch_remove(dir);
}

Test(sandbox_mount, mounts_propagate_from_the_caller_into_the_sandbox_never_back)
{
	check_late_mount(false);
}

Test(sandbox_mount, mounts_propagate_from_the_caller_into_the_sandbox_never_back_rootless)
{
	check_late_mount(true);
}
