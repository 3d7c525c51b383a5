/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1 of the test guests (tests/vm), built static for each guest
 * architecture. It mounts what the tests expect of a host (proc, sysfs,
 * devtmpfs with the /dev/fd and /dev/std* links udev adds, a pure cgroup v2
 * hierarchy with every controller enabled below its root, tmpfs /tmp and
 * /dev/shm), moves itself into a leaf cgroup as
 * systemd puts services in theirs, runs its arguments (the kernel passes
 * what follows "--" on its command line, and NAME=VALUE words as the
 * environment), and powers the machine off. Every line it prints starts with
 * "ck-vm: ", which the host reads from the serial console:
 *
 *   ck-vm: booted SYSNAME RELEASE MACHINE VERSION...
 *   ck-vm: cgroup2 controllers enabled below the root: cpuset cpu io memory pids
 *   ck-vm: running PROGRAM
 *   ck-vm: exit status N  |  ck-vm: killed by signal N (NAME)
 *   ck-vm: setup failed: WHAT: ERROR  (nothing is run then)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
/* the leaf the tests run in, as systemd's services run in theirs */
#define CGROUP_LEAF CGROUP_ROOT "/ck-vm.scope"

extern char **environ;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	memcpy(line, "ck-vm: ", 7);
	va_start(ap, fmt);
	n = vsnprintf(line + 7, sizeof(line) - 8, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = 7 + (n < (int)sizeof(line) - 8 ? n : (int)sizeof(line) - 9);
	line[n++] = '\n';
	/* one write, so a line is never split by another writer on the console */
	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		return;
}

static _Noreturn void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	say("reboot(RB_POWER_OFF): %s", strerror(errno));
	for (;;)
		pause();
}

static _Noreturn void setup_failed(const char *what)
{
	say("setup failed: %s: %s", what, strerror(errno));
	power_off();
}

static void mount_or_fail(const char *src, const char *dir, const char *type, const char *data)
{
	char what[128];

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(what, sizeof(what), "mkdir %s", dir);
		setup_failed(what);
	}
	if (mount(src, dir, type, MS_NOSUID | MS_NODEV, data) < 0) {
		snprintf(what, sizeof(what), "mount %s on %s", type, dir);
		setup_failed(what);
	}
}

/* Returns the bytes read (at most len - 1, NUL-terminated, trailing newline cut) or -1. */
static ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

static bool write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

/* What udev adds to devtmpfs on a host: programs open /dev/stdout by name. */
static void dev_links(void)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};
	char what[64];

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST) {
			snprintf(what, sizeof(what), "symlink %s", links[i][1]);
			setup_failed(what);
		}
}

/* Console messages below KERN_WARNING stay in the log, so they do not split the tests' lines. */
static void quiet_console(void)
{
	if (!write_text("/proc/sys/kernel/printk", "4"))
		say("warning: cannot lower the console log level: %s", strerror(errno));
}

/* Every controller the root offers is enabled for its children, then this process moves to a leaf. */
static void setup_cgroups(void)
{
	char controllers[512], enabled[512], ctl[64], *save = NULL, *c;

	mount_or_fail("cgroup2", CGROUP_ROOT, "cgroup2", NULL);
	if (read_text(CGROUP_ROOT "/cgroup.controllers", controllers, sizeof(controllers)) < 0)
		setup_failed("read " CGROUP_ROOT "/cgroup.controllers");
	for (c = strtok_r(controllers, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		snprintf(ctl, sizeof(ctl), "+%s", c);
		if (!write_text(CGROUP_ROOT "/cgroup.subtree_control", ctl))
			setup_failed(ctl);
	}
	if (read_text(CGROUP_ROOT "/cgroup.subtree_control", enabled, sizeof(enabled)) < 0)
		setup_failed("read " CGROUP_ROOT "/cgroup.subtree_control");
	say("cgroup2 controllers enabled below the root: %s", enabled);
	if (mkdir(CGROUP_LEAF, 0755) < 0)
		setup_failed("mkdir " CGROUP_LEAF);
	if (!write_text(CGROUP_LEAF "/cgroup.procs", "0"))
		setup_failed("move PID 1 into " CGROUP_LEAF);
}

/* The console as fds 0-2, when the initramfs had no /dev/console for the kernel to open. */
static void open_console(void)
{
	int fd;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		power_off(); /* nowhere to say why; the host sees no output */
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void report_status(int st)
{
	if (WIFEXITED(st))
		say("exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		say("killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		say("wait status %#x", (unsigned)st);
}

int main(int argc, char **argv)
{
	struct utsname u;
	pid_t pid, w;
	int st;

	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL) < 0 && errno != EBUSY)
		setup_failed("mount devtmpfs on /dev"); /* said only if the kernel opened a console */
	open_console();
	mount_or_fail("proc", "/proc", "proc", NULL);
	quiet_console();
	mount_or_fail("sysfs", "/sys", "sysfs", NULL);
	mount_or_fail("tmpfs", "/tmp", "tmpfs", "mode=1777");
	mount_or_fail("tmpfs", "/dev/shm", "tmpfs", "mode=1777");
	dev_links();
	if (uname(&u) < 0)
		setup_failed("uname");
	say("booted %s %s %s %s", u.sysname, u.release, u.machine, u.version);
	setup_cgroups();
	if (argc < 2) {
		errno = EINVAL;
		setup_failed("no program to run (put it after -- on the kernel command line)");
	}

	say("running %s", argv[1]);
	pid = fork();
	if (pid < 0)
		setup_failed("fork");
	if (pid == 0) {
		execve(argv[1], argv + 1, environ);
		say("execve %s: %s", argv[1], strerror(errno));
		_exit(127);
	}
	/* PID 1 reaps every orphan; the run ends when the program itself does */
	for (;;) {
		w = waitpid(-1, &st, 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			say("waitpid: %s", strerror(errno));
			power_off();
		}
	}
	report_status(st);
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	power_off();
}
