/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit as bwrap against the real bwrap (Debian's 0.8.0, /usr/bin/bwrap):
 * the same invocation both ways, as root and as uid 65534, and the same
 * observable result — what a probe inside sees (the mount table with its
 * options, the files visible, capability sets, uid/gid, the environment,
 * session and process group, PID 1 and zombies, loopback, the working
 * directory, the hostname), the exit status, the info and json-status
 * documents, and for bad command lines the exact message and status.
 * clonekit runs through a symlink named bwrap (argv[0] == "bwrap"), as a
 * Flatpak-style caller would find it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support.h"

#define REAL_BWRAP "/usr/bin/bwrap"
#define UNPRIV_ID 65534
#define MAX_ARGS 96

static char ck_bwrap[256]; /* a symlink named bwrap to clonekit */
static char tmpdir[64];

static void setup(void)
{
	const char *bin = getenv("CLONEKIT_BIN");
	if (access(REAL_BWRAP, X_OK) != 0)
		return;
	cr_assert_not_null(bin, "CLONEKIT_BIN names the clonekit command");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ck-bwrap-diff.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(chmod(tmpdir, 0755), 0);
	snprintf(ck_bwrap, sizeof(ck_bwrap), "%s/bwrap", tmpdir);
	cr_assert_eq(symlink(bin, ck_bwrap), 0, "symlink: %s", strerror(errno));
}

static void teardown(void)
{
	if (ck_bwrap[0])
		unlink(ck_bwrap);
	if (tmpdir[0])
		rmdir(tmpdir);
}

TestSuite(bwrap_diff, .init = setup, .fini = teardown);

static void need_bwrap(void)
{
	if (access(REAL_BWRAP, X_OK) != 0)
		ck_skip_or_fail_printed("the real bwrap is not installed (%s; Debian's bubblewrap)", REAL_BWRAP);
	if (geteuid() != 0)
		ck_skip_or_fail_printed("needs root: it runs both as root and as uid %d", UNPRIV_ID);
}

/* What one run gave. */
struct result {
	int status;           /* the exit code, 128+N for signal N */
	char out[32768], err[16384];
	char info[1024], json[1024]; /* the status fds, when asked */
};

/* Extra fds for a run: data read by --file/--bind-data, and where the status fds point. */
struct fds {
	const char *data[2];  /* contents of fds 10 and 11, when not NULL */
	bool info;            /* fd 3: a file for --info-fd */
	bool json;            /* fd 4: a file for --json-status-fd */
};

static int memfd_with(const char *text)
{
	int fd = memfd_create("ck-bwrap-diff", 0);
	cr_assert_geq(fd, 0);
	if (text) {
		cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	}
	return fd;
}

static void slurp(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	lseek(fd, 0, SEEK_SET);
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

/* Splits opts on spaces ("{SP}" stands for a space inside one word). */
static int split(char *opts, char **argv, int max)
{
	int n = 0;
	for (char *t = strtok(opts, " "); t && n < max; t = strtok(NULL, " ")) {
		for (char *sp; (sp = strstr(t, "{SP}"));)
			memmove(sp + 1, sp + 4, strlen(sp + 4) + 1), *sp = ' ';
		argv[n++] = t;
	}
	return n;
}

/* Runs BWRAP OPTS sh -c SCRIPT (no command when script is NULL), as root or uid 65534, with a fixed environment. */
static void run(const char *bwrap, bool unpriv, const char *opts, const char *script, const struct fds *f,
		struct result *res)
{
	char optbuf[2048], *argv[MAX_ARGS];
	int n = 0, out = memfd_with(NULL), err = memfd_with(NULL), info = -1, json = -1, data[2] = { -1, -1 };
	char sid[32];

	snprintf(sid, sizeof(sid), "CK_CALLER_SID=%d", (int)getsid(0));
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/nonexistent", "LANG=C",
			 "CK_DIFF=1", sid, NULL };
	argv[n++] = (char *)bwrap;
	snprintf(optbuf, sizeof(optbuf), "%s", opts);
	n += split(optbuf, argv + n, MAX_ARGS - 5);
	if (script) {
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = (char *)script;
	}
	argv[n] = NULL;
	if (f && f->info)
		info = memfd_with(NULL);
	if (f && f->json)
		json = memfd_with(NULL);
	for (int i = 0; f && i < 2; i++)
		if (f->data[i])
			data[i] = memfd_with(f->data[i]);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (info >= 0)
			dup2(info, 3);
		if (json >= 0)
			dup2(json, 4);
		for (int i = 0; i < 2; i++)
			if (data[i] >= 0)
				dup2(data[i], 10 + i);
		/* a session of its own, as a launcher's child would have */
		setsid();
		if (unpriv && (setgroups(0, NULL) < 0 || setgid(UNPRIV_ID) < 0 || setuid(UNPRIV_ID) < 0))
			_exit(120);
		execve(bwrap, argv, envp);
		_exit(121);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, res->out, sizeof(res->out));
	slurp(err, res->err, sizeof(res->err));
	res->info[0] = res->json[0] = '\0';
	if (info >= 0)
		slurp(info, res->info, sizeof(res->info));
	if (json >= 0)
		slurp(json, res->json, sizeof(res->json));
	for (int i = 0; i < 2; i++)
		if (data[i] >= 0)
			close(data[i]);
}

/* Digit runs become N: PIDs and namespace inodes differ between any two runs, their places do not. */
static void numbers_out(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (*r >= '0' && *r <= '9') {
			while (*r >= '0' && *r <= '9')
				r++;
			*w++ = 'N';
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* The probe: what a program inside sees, section by section. */
static const char probe[] =
	"echo '== id'; id\n"
	"echo '== status'; grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status\n"
	"echo '== session'; read -r pid comm state ppid pgrp sid rest < /proc/self/stat\n"
	"  [ \"$pid\" -lt 10 ] && echo \"pid=$pid ppid=$ppid pgrp=$pgrp sid=$sid\"\n"
	"  echo \"session-leader=$([ $pid = $sid ] && echo y || echo n) group-leader=$([ $pid = $pgrp ] && echo y || echo n)"
	" callers-session=$([ $sid = $CK_CALLER_SID ] && echo y || echo n)\"\n"
	"  tty=$(awk '{print $7}' /proc/self/stat); echo \"tty_nr=$tty\"\n"
	"echo '== pid1'; cat /proc/1/comm 2>&1 | sed 's/^clonekit$/bwrap/'\n"
	/*
	 * A mount point stacked twice on the host (here /dev/shm, /dev/pts) is
	 * named, not detailed: bwrap remounts submounts by path, which reaches
	 * only the top one, and leaves the one beneath without nosuid; clonekit
	 * sets it on both. The file names of bind-data's deleted files differ.
	 */
	"echo '== mounts'; cut -d' ' -f4- /proc/self/mountinfo | sed 's|[^ /]*//deleted |TMPFILE//deleted |' |"
	" awk '{n[$2]++; l[NR]=$0; p[NR]=$2} END {for (i = 1; i <= NR; i++) print (n[p[i]] > 1 ? \"stacked \" p[i] : l[i])}'\n"
	/* /dev/shm's own entry only: through --dev-bind /dev or --bind / / its files are the host's,
	 * which other tests change between the two runs */
	"echo '== files'; for d in / /dev /dev/pts /tmp /proc/sys; do echo \"-- $d\";"
	" ls -la \"$d\" 2>&1 | awk 'NR>1 {print $1, $3, $4, $NF}'; done;"
	" echo '-- /dev/shm'; ls -ld /dev/shm 2>&1 | awk '{print $1, $3, $4, $NF}'\n"
	"echo '== env'; env | grep -v '^_=' | sort\n"
	"echo '== cwd'; pwd\n"
	"echo '== hostname'; cat /proc/sys/kernel/hostname\n"
	"echo '== lo'; cat /sys/class/net/lo/operstate 2>/dev/null; ip -o addr show lo 2>&1 | awk '{print $2, $3, $4}'\n"
	"echo '== zombies'; [ \"$pid\" -ge 10 ] && echo 'the host PID namespace' ||"
	" { sh -c 'sleep 0.01 & exec true'; i=0; while [ $i -lt 200 ] && grep -qs '^Name:.sleep' /proc/[0-9]*/status"
	" && ! grep -qs '^State:.Z' /proc/[0-9]*/status; do sleep 0.01; i=$((i+1)); done; sleep 0.1;"
	" grep -ls '^State:.Z' /proc/[0-9]*/status | wc -l; }\n"
	"echo '== userns'; msg=$(unshare -U true 2>&1); echo \"unshare -U: $? $msg\"\n";

/* The host's tree as Flatpak-style callers give it, with /proc inside. */
#define HOST "--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 " \
	     "--symlink usr/sbin /sbin --ro-bind /etc /etc --proc /proc "

struct diff_case {
	const char *name;
	const char *opts;
	const char *script;   /* NULL: the probe */
	struct fds fds;
	bool root_only, unpriv_only;
};

static const struct diff_case cases[] = {
	{ .name = "host tree", .opts = HOST },
	{ .name = "dev and tmp", .opts = HOST "--dev /dev --tmpfs /tmp" },
	{ .name = "unshare-all (init as PID 1, loopback up)", .opts = HOST "--dev /dev --unshare-all" },
	{ .name = "unshare-all, share-net", .opts = HOST "--unshare-all --share-net" },
	{ .name = "as-pid-1", .opts = HOST "--unshare-pid --as-pid-1" },
	{ .name = "flatpak-shaped", .opts = HOST "--dev /dev --tmpfs /tmp --unshare-all --die-with-parent --new-session --cap-drop ALL" },
	{ .name = "uid and gid in a user namespace", .opts = HOST "--unshare-user --uid 1000 --gid 1000" },
	{ .name = "uid 0 in a user namespace", .opts = HOST "--unshare-user --uid 0 --gid 0 --dev /dev" },
	{ .name = "cap-drop ALL", .opts = HOST "--cap-drop ALL" },
	{ .name = "cap-drop ALL, cap-add one", .opts = HOST "--cap-drop ALL --cap-add CAP_NET_BIND_SERVICE" },
	{ .name = "cap-drop one", .opts = HOST "--cap-drop CAP_SYS_ADMIN", .root_only = true },
	{ .name = "user namespace, cap-add", .opts = HOST "--unshare-user --cap-add CAP_CHOWN" },
	{ .name = "new session", .opts = HOST "--new-session" },
	{ .name = "environment", .opts = HOST "--clearenv --setenv FOO bar --setenv SP a{SP}b --unsetenv FOO --setenv PATH /usr/bin" },
	{ .name = "hostname", .opts = HOST "--unshare-uts --hostname box" },
	{ .name = "chdir", .opts = HOST "--chdir /usr" },
	{ .name = "made files and modes", .opts = HOST "--perms 0700 --dir /d --perms 0640 --tmpfs /t --size 1048576 --tmpfs /s "
				  "--symlink /nowhere /l --chmod 0711 /d --dir /d/e --remount-ro /t" },
	/* rootless, bwrap cannot mount mqueue without a new IPC namespace (EPERM) */
	{ .name = "mqueue", .opts = HOST "--mqueue /mq", .root_only = true },
	{ .name = "mqueue in a new IPC namespace", .opts = HOST "--unshare-ipc --mqueue /mq" },
	{ .name = "data from fds", .opts = HOST "--file 10 /f --perms 0444 --bind-data 11 /bd",
	  .fds = { .data = { "file data\n", "bound data\n" } } },
	{ .name = "ro-bind-data", .opts = HOST "--ro-bind-data 10 /rbd", .fds = { .data = { "read-only data\n" } } },
	{ .name = "try binds", .opts = HOST "--bind-try /nonexistent /x --ro-bind-try /nonexistent/y /y --dev-bind-try /dev/null /n" },
	{ .name = "dev-bind", .opts = HOST "--dev-bind /dev /dev" },
	{ .name = "bind of /", .opts = "--bind / / --tmpfs /tmp" },
	{ .name = "disable-userns", .opts = HOST "--unshare-user --disable-userns" },
	{ .name = "unshare-net alone", .opts = HOST "--unshare-net" },
	{ .name = "unshare-ipc and cgroup", .opts = HOST "--unshare-ipc --unshare-cgroup" },
};

/* A section of the probe that differs, named, for the message. */
static void first_difference(const char *a, const char *b, char *buf, size_t len)
{
	const char *sec_a = a, *pa = a, *pb = b;
	while (*pa && *pa == *pb) {
		if (pa[0] == '=' && pa[1] == '=' && (pa == a || pa[-1] == '\n'))
			sec_a = pa;
		pa++, pb++;
	}
	const char *end = strchr(sec_a, '\n');
	snprintf(buf, len, "section '%.*s', at: bwrap '%.60s' / clonekit '%.60s'",
		 (int)(end ? end - sec_a : 20), sec_a, pa, pb);
}

static void compare_case(const struct diff_case *k, bool unpriv)
{
	static struct result theirs, ours;
	char where[512];

	run(REAL_BWRAP, unpriv, k->opts, k->script ? k->script : probe, &k->fds, &theirs);
	run(ck_bwrap, unpriv, k->opts, k->script ? k->script : probe, &k->fds, &ours);
	cr_assert_eq(theirs.status, 0, "[%s] %s: the real bwrap failed (%d): %s", unpriv ? "uid 65534" : "root",
		     k->name, theirs.status, theirs.err);
	cr_expect_eq(ours.status, theirs.status, "[%s] %s: status %d, bwrap's %d: %s",
		     unpriv ? "uid 65534" : "root", k->name, ours.status, theirs.status, ours.err);
	if (strcmp(ours.out, theirs.out) != 0) {
		first_difference(theirs.out, ours.out, where, sizeof(where));
		cr_expect_fail("[%s] %s: the probe sees something else; %s\n--- bwrap:\n%s\n--- clonekit:\n%s",
			       unpriv ? "uid 65534" : "root", k->name, where, theirs.out, ours.out);
	}
	cr_expect_str_eq(ours.err, theirs.err, "[%s] %s: stderr", unpriv ? "uid 65534" : "root", k->name);
}

static void compare_all(bool unpriv)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((unpriv && cases[i].root_only) || (!unpriv && cases[i].unpriv_only))
			continue;
		compare_case(&cases[i], unpriv);
	}
}

Test(bwrap_diff, the_probe_sees_the_same_as_root, .timeout = 600)
{
	need_bwrap();
	compare_all(false);
}

Test(bwrap_diff, the_probe_sees_the_same_as_uid_65534, .timeout = 600)
{
	need_bwrap();
	compare_all(true);
}

/* ---- exit statuses ---- */

static void compare_status(bool unpriv, const char *opts, const char *script)
{
	static struct result theirs, ours;
	run(REAL_BWRAP, unpriv, opts, script, NULL, &theirs);
	run(ck_bwrap, unpriv, opts, script, NULL, &ours);
	cr_expect_eq(ours.status, theirs.status, "[%s] %s -- %s: status %d, bwrap's %d (%s)",
		     unpriv ? "uid 65534" : "root", opts, script, ours.status, theirs.status, ours.err);
	cr_expect_str_eq(ours.out, theirs.out, "%s -- %s", opts, script);
}

Test(bwrap_diff, exit_statuses_are_the_same)
{
	need_bwrap();
	for (int u = 0; u < 2; u++) {
		compare_status(u, HOST, "exit 7");
		compare_status(u, HOST "--unshare-pid", "exit 7");
		compare_status(u, HOST "--unshare-pid", "kill -9 $$");
		compare_status(u, HOST, "kill -TERM $$");
		compare_status(u, HOST "--unshare-pid --as-pid-1", "exit 3");
	}
}

Test(bwrap_diff, a_command_that_is_not_there_fails_the_same)
{
	need_bwrap();
	static struct result theirs, ours;
	for (int u = 0; u < 2; u++) {
		run(REAL_BWRAP, u, HOST "/nonexistent", NULL, NULL, &theirs);
		run(ck_bwrap, u, HOST "/nonexistent", NULL, NULL, &ours);
		cr_expect_eq(ours.status, theirs.status, "status %d, bwrap's %d", ours.status, theirs.status);
		cr_expect_str_eq(ours.err, theirs.err);
	}
}

/* ---- the status fds ---- */

Test(bwrap_diff, info_and_json_status_documents_have_bwraps_shape)
{
	need_bwrap();
	static const char *const opt_sets[] = {
		HOST "--info-fd 3 --json-status-fd 4",
		HOST "--unshare-all --info-fd 3 --json-status-fd 4",
		HOST "--unshare-pid --unshare-uts --unshare-ipc --info-fd 3 --json-status-fd 4",
	};
	struct fds f = { .info = true, .json = true };
	static struct result theirs, ours;
	for (int u = 0; u < 2; u++) {
		for (size_t i = 0; i < sizeof(opt_sets) / sizeof(opt_sets[0]); i++) {
			run(REAL_BWRAP, u, opt_sets[i], "exit 5", &f, &theirs);
			run(ck_bwrap, u, opt_sets[i], "exit 5", &f, &ours);
			cr_assert_eq(theirs.status, 5);
			cr_expect_eq(ours.status, 5, "%s: %s", opt_sets[i], ours.err);
			cr_assert_neq(ours.info[0], '\0', "%s: no info document", opt_sets[i]);
			numbers_out(theirs.info);
			numbers_out(ours.info);
			numbers_out(theirs.json);
			numbers_out(ours.json);
			cr_expect_str_eq(ours.info, theirs.info, "[%s] %s", u ? "uid 65534" : "root", opt_sets[i]);
			cr_expect_str_eq(ours.json, theirs.json, "[%s] %s", u ? "uid 65534" : "root", opt_sets[i]);
		}
	}
}

Test(bwrap_diff, info_fd_names_the_sandboxs_pid_1_and_its_namespaces)
{
	need_bwrap();
	static struct result ours;
	struct fds f = { .info = true };
	/* PID 1 prints its own namespaces and its host PID is not visible inside: compare the inodes */
	run(ck_bwrap, false, HOST "--unshare-pid --unshare-net --info-fd 3",
	    "for n in mnt net pid; do readlink /proc/1/ns/$n; done", &f, &ours);
	cr_assert_eq(ours.status, 0, "%s", ours.err);
	unsigned long long mnt, net, pid;
	cr_assert_eq(sscanf(ours.out, "mnt:[%llu]\nnet:[%llu]\npid:[%llu]", &mnt, &net, &pid), 3, "%s", ours.out);
	char want[256];
	snprintf(want, sizeof(want), "\"mnt-namespace\": %llu,\n    \"net-namespace\": %llu,\n    \"pid-namespace\": %llu\n}",
		 mnt, net, pid);
	cr_expect_not_null(strstr(ours.info, want), "info: %s\nwant: %s", ours.info, want);
}

/* ---- bad command lines: the same message and status ---- */

static const char *const bad_lines[] = {
	"--bind",
	"--bind /",
	"--ro-bind-fd 3",
	"--bind-fd x /a",
	"--perms 0755 --bind / / true",
	"--perms 0755 --perms 0700 --dir /x true",
	"--perms 8 --dir /x true",
	"--perms 0755 --chmod 0755 /x true",
	"--size 0 --tmpfs /x true",
	"--size -1 --tmpfs /x true",
	"--size 100 --dir /x true",
	"--size 100 --size 10 --tmpfs /x true",
	"--size 99999999999999999999999 --tmpfs /x true",
	"--size 9223372036854775808 --tmpfs /x true",
	"--chmod 99 /x true",
	"--foo",
	"--info-fd -1 true",
	"--info-fd 3x true",
	"--uid x true",
	"--gid -2 true",
	"--seccomp 3 --add-seccomp-fd 4 true",
	"--add-seccomp-fd 99 --seccomp 3 true",
	"--userns-block-fd 3 true",
	"--unshare-user --userns-block-fd 3 true",
	"--userns 3 --unshare-user true",
	"--userns 3 --unshare-user-try true",
	"--disable-userns true",
	"--unshare-user --disable-userns --info-fd 4 --userns-block-fd 3 true",
	"--hostname foo true",
	"--as-pid-1 true",
	"--unshare-pid --as-pid-1 --lock-file /x true",
	"--exec-label x true",
	"--file-label x true",
	"--cap-add CAP_NOPE true",
	"--cap-add sys_admin true",
	"--cap-drop 99 true",
	"--chdir",
	"--remount-ro",
	"--setenv A",
	"--unsetenv",
	"--args",
	"--args x",
	"--args 99",
	"--unshare-all",
	"--",
	"--foo --help",
	"--uid 5 true",
	"",
};

Test(bwrap_diff, bad_command_lines_get_bwraps_message_and_status)
{
	need_bwrap();
	static struct result theirs, ours;
	for (int u = 0; u < 2; u++) {
		for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
			run(REAL_BWRAP, u, bad_lines[i], NULL, NULL, &theirs);
			run(ck_bwrap, u, bad_lines[i], NULL, NULL, &ours);
			/* the usage line names argv[0] */
			char *p = strstr(ours.err, ck_bwrap);
			if (p) {
				memmove(p + strlen(REAL_BWRAP), p + strlen(ck_bwrap), strlen(p + strlen(ck_bwrap)) + 1);
				memcpy(p, REAL_BWRAP, strlen(REAL_BWRAP));
			}
			cr_expect_eq(ours.status, theirs.status, "bwrap %s: status %d, bwrap's %d", bad_lines[i],
				     ours.status, theirs.status);
			cr_expect_str_eq(ours.err, theirs.err, "[%s] bwrap %s", u ? "uid 65534" : "root", bad_lines[i]);
		}
	}
}

Test(bwrap_diff, help_is_bwraps)
{
	need_bwrap();
	static struct result theirs, ours;
	run(REAL_BWRAP, false, "--help", NULL, NULL, &theirs);
	run(ck_bwrap, false, "--help", NULL, NULL, &ours);
	cr_assert_eq(ours.status, 0);
	char *p = strstr(ours.out, ck_bwrap);
	cr_assert_not_null(p);
	cr_expect_str_eq(strchr(ours.out, '\n'), strchr(theirs.out, '\n'), "the option list");
	run(ck_bwrap, false, "--version", NULL, NULL, &ours);
	cr_expect_eq(strncmp(ours.out, "bubblewrap 0.8.0 ", 17), 0, "%s", ours.out);
}

/* --args: NUL-separated words from an fd, parsed where they stand. */
Test(bwrap_diff, args_from_an_fd_act_as_the_same_words)
{
	need_bwrap();
	static struct result theirs, ours;
	static const char words[] = "--ro-bind\0/usr\0/usr\0--symlink\0usr/bin\0/bin\0--symlink\0usr/lib\0/lib\0"
				    "--symlink\0usr/lib64\0/lib64\0--setenv\0FROM\0args fd\0";
	for (int u = 0; u < 2; u++) {
		for (int which = 0; which < 2; which++) {
			int fd = memfd_create("args", 0);
			cr_assert_eq(write(fd, words, sizeof(words) - 1), (ssize_t)sizeof(words) - 1);
			lseek(fd, 0, SEEK_SET);
			if (fd != 10) {
				cr_assert_eq(dup2(fd, 10), 10);
				close(fd);
			}
			run(which ? ck_bwrap : REAL_BWRAP, u, "--args 10", "echo $FROM; ls /", NULL, which ? &ours : &theirs);
			close(10);
		}
		cr_expect_eq(ours.status, theirs.status);
		cr_expect_str_eq(ours.out, theirs.out);
		cr_expect_str_eq(ours.err, theirs.err);
	}
}
