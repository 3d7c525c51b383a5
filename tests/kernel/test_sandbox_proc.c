/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process state in ck_spawn (issue 14): capabilities beside the real bwrap's
 * for the same options, no_new_privs, ids in the user namespace, the
 * environment, a new session (TIOCSTI into the caller's terminal), the init
 * as PID 1 (zombies, signals, exit status), loopback in a new network
 * namespace, resource limits, --disable-userns, and subordinate id ranges
 * through newuidmap. As root and as uid 65534.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>
#include <clonekit/trace.h>

#include "../run.h"
#include "../support.h"
#include "../../lib/internal/spawn.h"
#include "../../lib/sandbox/proc.h"

#define UNPRIV_ID 65534
#define OUT_MAX 16384
#define BWRAP "/usr/bin/bwrap"
#define BIT(cap) (UINT64_C(1) << (cap))

/* What one run printed (stdout and stderr) and how it ended. */
struct out {
	char text[OUT_MAX];
	int status;      /* the runner's exit status: the command's code, 128+N, or 200+ */
};

/* ---- running as root or as uid 65534 ---- */

static void need_root(void)
{
	if (geteuid() != 0)
		ck_skip_or_fail("these tests become uid %d and compare with bwrap as root", UNPRIV_ID);
}

/*
 * A forked runner (tests/run.c), leading a session of its own: drops to uid
 * 65534 when asked, then runs fn, whose exit status ends it.
 */
static void in_runner(bool unpriv, int (*fn)(void *), void *arg, struct out *o)
{
	struct ck_test_run_opts ro = { .merge_stderr = true, .timeout_s = CK_PATIENCE_MS / 1000, .tee_fd = -1,
				       .as_nobody = unpriv, .new_session = true };
	struct ck_test_run r;
	int e = ck_test_run_fn(fn, arg, &ro, &r);

	cr_assert_eq(e, 0, "the runner%s: %s", unpriv ? " as uid 65534" : "", strerror(e));
	snprintf(o->text, sizeof(o->text), "%s", r.out);
	int st = r.status;
	bool hung = r.timed_out;
	ck_test_run_free(&r);
	cr_assert_not(hung, "the runner hung; it wrote: %s", o->text);
	cr_assert(WIFEXITED(st), "runner: status 0x%x: %s", st, o->text);
	o->status = WEXITSTATUS(st);
}

/* fn's runner as root, then as uid 65534: each exits with status, having written text. */
static void runs_as_both(int (*fn)(void *), int status, const char *text)
{
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out o;
		in_runner(unpriv, fn, NULL, &o);
		cr_assert_eq(o.status, status, "status %d: %s", o.status, o.text);
		cr_assert_str_eq(o.text, text);
	}
}

/* The shell's status of a waitpid() status. */
static int code_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* One spawn: argv with attr (NULL: defaults), stdout/stderr the runner's. */
struct spawn_job {
	char *const *argv;
	void (*setup)(struct ck_spawn_attr *a, void *data); /* builds the attribute set in the runner */
	void *data;
	uint64_t namespaces;
	char *const *envp;
};

static int spawn_job_run(void *arg)
{
	struct spawn_job *j = arg;
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int st;

	/* a runner killed at the deadline takes its command (and the namespace) with it */
	if (!a || ck_spawn_attr_set_namespaces(a, j->namespaces) < 0 ||
	    ck_spawn_attr_set_die_with_parent(a, SIGKILL) < 0)
		return 203;
	if (j->setup)
		j->setup(a, j->data);
	fflush(stdout);
	int r = ck_spawn(&c, j->argv[0], j->argv, j->envp, a, &err);
	ck_spawn_attr_free(a);
	if (r < 0) {
		printf("ck_spawn: %s: step %s: %s\n", strerrorname_np(-r), err.step, err.message);
		return 204;
	}
	if (ck_spawn_wait(c, &st) < 0)
		return 205;
	ck_spawn_free(c);
	return code_of(st);
}

static void spawn_as(bool unpriv, struct spawn_job *j, struct out *o)
{
	in_runner(unpriv, spawn_job_run, j, o);
}

/* The command through the real bwrap, with the host's root bound. */
static int bwrap_run(void *arg)
{
	char **argv = arg;
	fflush(stdout);
	execv(BWRAP, argv);
	printf("execv %s: %s\n", BWRAP, strerror(errno));
	return 206;
}

static void bwrap_as(bool unpriv, const char *opts, const char *script, struct out *o)
{
	char *argv[64], buf[512];
	size_t n = 0;

	if (access(BWRAP, X_OK) < 0)
		ck_skip_or_fail("%s is not installed (Debian: bubblewrap)", BWRAP);
	snprintf(buf, sizeof(buf), "%s", opts);
	argv[n++] = BWRAP;
	argv[n++] = "--bind";
	argv[n++] = "/";
	argv[n++] = "/";
	for (char *save, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = (char *)script;
	argv[n] = NULL;
	in_runner(unpriv, bwrap_run, argv, o);
}

static void sh_as(bool unpriv, uint64_t ns, void (*setup)(struct ck_spawn_attr *, void *), void *data,
		  const char *script, struct out *o)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct spawn_job j = { .argv = argv, .setup = setup, .data = data, .namespaces = ns };
	spawn_as(unpriv, &j, o);
}

/* ---- capabilities: the same /proc/self/status lines as bwrap's ---- */

#define STATUS_LINES "grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status"

/* What a front end gives ck_spawn for one bwrap invocation. */
struct caps_case {
	const char *bwrap;      /* bwrap's options */
	bool userns;
	bool map_ids;           /* uid/gid below */
	uid_t uid;
	gid_t gid;
	bool set_caps;
	uint64_t keep;          /* CK_KEEP_EFFECTIVE: the caller's effective set, then minus drop */
	uint64_t drop;
	bool bounding_only;     /* root without --cap-add/--cap-drop in a user namespace */
};
#define CK_KEEP_EFFECTIVE UINT64_C(0x8000000000000000)

static void caps_setup(struct ck_spawn_attr *a, void *data)
{
	const struct caps_case *k = data;
	uint64_t eff = 0, keep = k->keep;

	ck_caps_effective(&eff);
	if (keep == CK_KEEP_EFFECTIVE)
		keep = eff & ~k->drop;
	if (k->userns) {
		if (k->map_ids)
			ck_spawn_attr_map_ids(a, k->uid, k->gid);
		else
			ck_spawn_attr_map_user(a);
	}
	if (k->bounding_only)
		ck_spawn_attr_set_cap_bounding(a, eff);
	if (k->set_caps)
		ck_spawn_attr_set_caps(a, keep);
	ck_spawn_attr_set_no_new_privs(a, true);
}

static void check_caps_like_bwrap(bool unpriv, const struct caps_case *k)
{
	struct out ours, theirs;
	uint64_t ns = CK_CLONE_NEWNS | (k->userns ? CK_CLONE_NEWUSER : 0);

	bwrap_as(unpriv, k->bwrap, STATUS_LINES, &theirs);
	sh_as(unpriv, ns, caps_setup, (void *)k, STATUS_LINES, &ours);
	cr_assert_eq(theirs.status, 0, "bwrap %s: %s", k->bwrap, theirs.text);
	cr_assert_eq(ours.status, 0, "ck_spawn for bwrap %s: %s", k->bwrap, ours.text);
	cr_assert_str_eq(ours.text, theirs.text, "bwrap %s:\nbwrap:\n%s\nck_spawn:\n%s", k->bwrap,
			 theirs.text, ours.text);
	cr_assert_not_null(strstr(ours.text, "NoNewPrivs:\t1\n"));
}

static const struct caps_case root_cases[] = {
	{ "--cap-drop ALL", .set_caps = true, .keep = 0 },
	{ "--cap-drop ALL --cap-add CAP_NET_BIND_SERVICE", .set_caps = true,
	  .keep = BIT(CAP_NET_BIND_SERVICE) },
	{ "--cap-drop CAP_SYS_ADMIN", .set_caps = true, .keep = CK_KEEP_EFFECTIVE,
	  .drop = BIT(CAP_SYS_ADMIN) },
	{ "--unshare-user", .userns = true, .bounding_only = true },
	{ "--unshare-user --cap-drop ALL", .userns = true, .set_caps = true, .keep = 0 },
	{ "--unshare-user --cap-drop ALL --cap-add CAP_CHOWN", .userns = true, .set_caps = true,
	  .keep = BIT(CAP_CHOWN) },
	{ "--unshare-user --uid 1000 --gid 1000", .userns = true, .map_ids = true, .uid = 1000,
	  .gid = 1000, .bounding_only = true },
	{ "--unshare-user --uid 1000 --gid 1000 --cap-drop ALL --cap-add CAP_KILL", .userns = true,
	  .map_ids = true, .uid = 1000, .gid = 1000, .set_caps = true, .keep = BIT(CAP_KILL) },
};

static const struct caps_case unpriv_cases[] = {
	{ "--unshare-user", .userns = true, .set_caps = true, .keep = 0 },
	{ "--unshare-user --uid 0 --gid 0", .userns = true, .map_ids = true, .set_caps = true },
	{ "--unshare-user --uid 0 --cap-add CAP_SYS_ADMIN", .userns = true, .map_ids = true,
	  .uid = 0, .gid = UNPRIV_ID, .set_caps = true, .keep = BIT(CAP_SYS_ADMIN) },
	{ "--unshare-user --uid 5 --gid 6 --cap-add CAP_CHOWN", .userns = true, .map_ids = true,
	  .uid = 5, .gid = 6, .set_caps = true, .keep = BIT(CAP_CHOWN) },
	{ "--unshare-user --cap-add ALL", .userns = true, .set_caps = true, .keep = UINT64_MAX },
};

Test(sandbox_proc, capabilities_match_bwrap_as_root)
{
	need_root();
	for (size_t i = 0; i < sizeof(root_cases) / sizeof(root_cases[0]); i++)
		check_caps_like_bwrap(false, &root_cases[i]);
}

Test(sandbox_proc, capabilities_match_bwrap_as_uid_65534)
{
	need_root();
	for (size_t i = 0; i < sizeof(unpriv_cases) / sizeof(unpriv_cases[0]); i++)
		check_caps_like_bwrap(true, &unpriv_cases[i]);
}

/* capset raising CAP_SYS_ADMIN, then PR_CAP_AMBIENT_RAISE of it: each errno's name. */
#define REGAIN_PY                                                                                  \
	"import ctypes, os\n"                                                                      \
	"libc = ctypes.CDLL(None, use_errno=True)\n"                                               \
	"hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)\n"                                             \
	"data = (ctypes.c_uint32 * 6)(1 << 21, 1 << 21, 1 << 21, 0, 0, 0)\n"                      \
	"r = libc.capset(hdr, data)\n"                                                             \
	"print('capset', r, os.strerror(ctypes.get_errno()) if r else 'ok')\n"                     \
	"r = libc.prctl(47, 2, 21, 0, 0)\n"                                                        \
	"print('ambient', r, os.strerror(ctypes.get_errno()) if r else 'ok')\n"

static void keep_chown(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_map_root(a);
	ck_spawn_attr_set_caps(a, BIT(CAP_CHOWN));
	ck_spawn_attr_set_no_new_privs(a, true);
}

static void drop_all(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_set_caps(a, 0);
	ck_spawn_attr_set_no_new_privs(a, true);
}

static void check_regain_fails(bool unpriv)
{
	char *argv[] = { "/usr/bin/python3", "-c", REGAIN_PY, NULL };
	struct out o;
	struct spawn_job j = { .argv = argv };

	if (access(argv[0], X_OK) < 0)
		ck_skip_or_fail("%s is missing", argv[0]);
	if (unpriv) {
		j.namespaces = CK_CLONE_NEWUSER;
		j.setup = keep_chown;
	} else {
		j.setup = drop_all;
	}
	spawn_as(unpriv, &j, &o);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_str_eq(o.text, "capset -1 Operation not permitted\nambient -1 Operation not permitted\n");
}

Test(sandbox_proc, a_dropped_capability_cannot_be_regained_as_root)
{
	need_root();
	check_regain_fails(false);
}

Test(sandbox_proc, a_dropped_capability_cannot_be_regained_in_a_user_namespace_as_uid_65534)
{
	need_root();
	check_regain_fails(true);
}

Test(sandbox_proc, capability_names_both_ways)
{
	cr_assert_eq(ck_cap_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
	cr_assert_eq(ck_cap_from_name("cap_net_bind_service"), CAP_NET_BIND_SERVICE);
	cr_assert_eq(ck_cap_from_name("chown"), CAP_CHOWN);
	cr_assert_eq(ck_cap_from_name("40"), CAP_CHECKPOINT_RESTORE);
	cr_assert_eq(ck_cap_from_name("CAP_NOPE"), -EINVAL);
	cr_assert_eq(ck_cap_from_name("64"), -EINVAL);
	cr_assert_eq(ck_cap_from_name(""), -EINVAL);
	cr_assert_str_eq(ck_cap_name(CAP_SETGID), "CAP_SETGID");
	cr_assert_null(ck_cap_name(63));
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		cr_assert_eq(ck_cap_from_name(ck_cap_name(cap)), cap);
}

/* The kernel's last capability, read once from the file and once through the one the launcher asks. */
static int cap_last_cap_file(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = -1;
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%d", &last), 1);
	fclose(f);
	return last;
}

/* ck__cap_last() under a seccomp filter failing prctl with EPERM (as some container profiles do). */
static int cap_last_without_prctl(void *unused)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 0) < 0 || seccomp_load(ctx) < 0)
		return 255;
	seccomp_release(ctx);
	if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 254;
	return ck__cap_last();
}

/* The launcher finds the last capability by PR_CAPBSET_READ, with /proc's file when prctl is refused. */
Test(sandbox_proc, the_kernels_last_capability_is_procs_with_or_without_prctl)
{
	int want = cap_last_cap_file();
	cr_assert_eq(ck__cap_last(), want);
	struct ck_test_run_opts o = { .tee_fd = -1 };
	struct ck_test_run r;
	cr_assert_eq(ck_test_run_fn(cap_last_without_prctl, NULL, &o, &r), 0);
	ck_test_assert_exit(&r, want, "ck__cap_last under a filter failing prctl");
	ck_test_run_free(&r);
}

/* ---- the environment ---- */

static void env_ops(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_setenv(a, "A", "1");
	ck_spawn_attr_unsetenv(a, "KEEP_ME_NOT");
	ck_spawn_attr_setenv(a, "B", "x=y");
	ck_spawn_attr_setenv(a, "A", "2");
}

static void env_clear(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_setenv(a, "GONE", "1");
	ck_spawn_attr_clear_env(a);
	ck_spawn_attr_setenv(a, "ONLY", "this");
}

Test(sandbox_proc, environment_operations_apply_in_order)
{
	char *argv[] = { "/usr/bin/env", NULL };
	char *envp[] = { "KEEP_ME_NOT=0", "HOME=/h", "A=0", NULL };
	struct out o;
	struct spawn_job j = { .argv = argv, .envp = envp };

	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		j.setup = env_ops;
		spawn_as(unpriv, &j, &o);
		cr_assert_eq(o.status, 0, "%s", o.text);
		cr_assert_str_eq(o.text, "HOME=/h\nB=x=y\nA=2\n");
		j.setup = env_clear;
		spawn_as(unpriv, &j, &o);
		cr_assert_eq(o.status, 0, "%s", o.text);
		cr_assert_str_eq(o.text, "ONLY=this\n");
	}
}

Test(sandbox_proc, bad_environment_names_are_einval)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_setenv(a, "A=B", "1"), -EINVAL);
	cr_assert_eq(ck_spawn_attr_setenv(a, "", "1"), -EINVAL);
	cr_assert_eq(ck_spawn_attr_setenv(a, NULL, "1"), -EINVAL);
	cr_assert_eq(ck_spawn_attr_setenv(a, "A", NULL), -EINVAL);
	cr_assert_eq(ck_spawn_attr_unsetenv(a, "A=B"), -EINVAL);
	ck_spawn_attr_free(a);
}

/* ---- a new session: TIOCSTI into the caller's terminal ---- */

#define TIOCSTI_PY                                                                                 \
	"import fcntl, os, termios\n"                                                              \
	"s = os.getsid(0) == os.getpid()\n"                                                        \
	"try:\n"                                                                                   \
	"    fcntl.ioctl(0, termios.TIOCSTI, b'#')\n"                                              \
	"    print('leader', s, 'TIOCSTI ok')\n"                                                   \
	"except OSError as e:\n"                                                                   \
	"    print('leader', s, 'TIOCSTI', os.strerror(e.errno))\n"

struct tty_job {
	bool new_session;
};

static void tty_setup(struct ck_spawn_attr *a, void *data)
{
	const struct tty_job *t = data;
	ck_spawn_attr_set_caps(a, 0); /* CAP_SYS_ADMIN would allow TIOCSTI into any terminal */
	ck_spawn_attr_set_no_new_privs(a, true);
	ck_spawn_attr_set_new_session(a, t->new_session);
}

/* In the runner: a pty of its own as controlling terminal and stdin, then the program. */
static int tty_run(void *arg)
{
	char *argv[] = { "/usr/bin/python3", "-c", TIOCSTI_PY, NULL };
	struct spawn_job j = { .argv = argv, .setup = tty_setup, .data = arg };
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	/* the runner leads its own session already: the pty becomes its controlling terminal */
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || getsid(0) != getpid())
		return 210;
	int s = open(ptsname(m), O_RDWR | O_CLOEXEC);
	if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0 || dup2(s, 0) < 0)
		return 211;
	return spawn_job_run(&j);
}

static void check_tiocsti(bool unpriv, bool new_session, const char *want)
{
	struct tty_job t = { new_session };
	struct out o;
	in_runner(unpriv, tty_run, &t, &o);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_str_eq(o.text, want);
}

Test(sandbox_proc, a_new_session_cannot_push_input_into_the_callers_terminal)
{
	need_root();
	if (access("/usr/bin/python3", X_OK) < 0)
		ck_skip_or_fail("/usr/bin/python3 is missing");
	/* the control: in the caller's session the same program can */
	check_tiocsti(false, false, "leader False TIOCSTI ok\n");
	check_tiocsti(false, true, "leader True TIOCSTI Operation not permitted\n");
	check_tiocsti(true, false, "leader False TIOCSTI ok\n");
	check_tiocsti(true, true, "leader True TIOCSTI Operation not permitted\n");
}

/* ---- the init as PID 1 ---- */

static void with_init(struct ck_spawn_attr *a, void *data)
{
	bool *init = data;
	ck_spawn_attr_map_root(a);
	ck_spawn_attr_set_mount_proc(a, true);
	ck_spawn_attr_set_init(a, *init);
}

#define PID_NS (CK_CLONE_NEWUSER | CK_CLONE_NEWPID | CK_CLONE_NEWNS)

/*
 * An orphan ends in the namespace (it waits until its parent is reaped, so
 * that the parent cannot reap it): the init reaps it; python as PID 1 (which
 * waits only for its own children) leaves it a zombie. A stat file opened
 * just before the orphan is reaped reads as ESRCH (ProcessLookupError):
 * gone too.
 */
#define ORPHAN_PY                                                                                  \
	"import os, subprocess, time\n"                                                             \
	"orphan = 'sh -c \"while kill -0 $$ 2>/dev/null; do sleep 0.01; done\" >/dev/null 2>&1 & echo $!'\n" \
	"p = int(subprocess.run(['sh', '-c', orphan], capture_output=True).stdout)\n"              \
	"print('pid', os.getpid())\n"                                                              \
	"def state():\n"                                                                           \
	"    try:\n"                                                                               \
	"        return open('/proc/%d/stat' % p).read().split(')')[1].split()[0]\n"              \
	"    except (FileNotFoundError, ProcessLookupError):\n"                                     \
	"        return 'gone'\n"                                                                  \
	"while state() not in WANT:\n"                                                             \
	"    time.sleep(0.01)\n"                                                                   \
	"print(state())\n"

static void run_orphan(bool unpriv, bool init, const char *want, struct out *o)
{
	char prog[2048];
	snprintf(prog, sizeof(prog), "WANT = %s\n%s", want, ORPHAN_PY);
	char *argv[] = { "/usr/bin/python3", "-c", prog, NULL };
	struct spawn_job j = { .argv = argv, .setup = with_init, .data = &init, .namespaces = PID_NS };
	spawn_as(unpriv, &j, o);
	cr_assert_eq(o->status, 0, "%s", o->text);
}

static void check_orphans(bool unpriv)
{
	struct out o;
	if (access("/usr/bin/python3", X_OK) < 0)
		ck_skip_or_fail("/usr/bin/python3 is missing");
	/* the init reaps it (the loop waits until it is gone) */
	run_orphan(unpriv, true, "('gone',)", &o);
	cr_assert_str_eq(o.text, "pid 2\ngone\n");
	/* the control: the command as PID 1 leaves it a zombie */
	run_orphan(unpriv, false, "('gone', 'Z')", &o);
	cr_assert_str_eq(o.text, "pid 1\nZ\n");
}

Test(sandbox_proc, the_init_reaps_orphans_as_root)
{
	need_root();
	check_orphans(false);
}

Test(sandbox_proc, the_init_reaps_orphans_as_uid_65534)
{
	need_root();
	check_orphans(true);
}

static void check_exit_status(bool unpriv, const char *script, int want)
{
	bool init = true;
	struct out o;
	sh_as(unpriv, PID_NS, with_init, &init, script, &o);
	cr_assert_eq(o.status, want, "%s: %d, want %d: %s", script, o.status, want, o.text);
}

Test(sandbox_proc, the_init_exits_with_the_commands_status)
{
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		check_exit_status(unpriv, "exit 42", 42);
		check_exit_status(unpriv, "exit 0", 0);
		check_exit_status(unpriv, "kill -SEGV $$", 128 + SIGSEGV);
		/* a background process does not keep it: the namespace ends with the command */
		check_exit_status(unpriv, "sleep 600 & exit 3", 3);
	}
}

/* In a runner: spawns argv with a (freed) and its stdout the pipe p (whose write end is closed); 0, or fail. */
static int spawn_to_pipe(struct ck_spawn_attr *a, char *const argv[], int p[2], struct ck_child **c, int fail)
{
	struct ck_spawn_error err = { .size = sizeof(err) };

	ck_spawn_attr_add_fd(a, p[1], 1);
	if (ck_spawn(c, argv[0], argv, NULL, a, &err) < 0) {
		printf("ck_spawn: %s\n", err.message);
		return fail;
	}
	ck_spawn_attr_free(a);
	close(p[1]);
	return 0;
}

/* In a runner: prints what one read of fd gives, closes it, waits for c; its shell status, or fail. */
static int print_then_wait(struct ck_child *c, int fd, int fail)
{
	char buf[64];
	int st;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	printf("%s", buf);
	close(fd);
	if (ck_spawn_wait(c, &st) < 0)
		return fail;
	ck_spawn_free(c);
	return code_of(st);
}

/* In the runner: spawn with the init, wait for "ready", SIGTERM the init, report the status. */
static int forward_run(void *arg)
{
	(void)arg;
	char *argv[] = { "/bin/sh", "-c",
			 "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.01; done", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c;
	bool init = true;
	char buf[64];
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return 220;
	ck_spawn_attr_set_namespaces(a, PID_NS);
	with_init(a, &init);
	ck_spawn_attr_add_fd(a, 2, 2);
	if (spawn_to_pipe(a, argv, p, &c, 221))
		return 221;
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	if (n != 6 || memcmp(buf, "ready\n", 6) != 0)
		return 222;
	if (ck_spawn_signal(c, SIGTERM) < 0)
		return 223;
	return print_then_wait(c, p[0], 224);
}

Test(sandbox_proc, the_init_forwards_signals_to_the_command)
{
	need_root();
	runs_as_both(forward_run, 7, "got TERM\n");
}

/*
 * In the runner: the program's status as the init reports it before its exit
 * (ck__spawn_wait_program, what `clonekit bwrap` waits for), then the init
 * reaped by hand -- its own status must be the one reported. arg: the script,
 * or NULL to SIGKILL the init before it can report (the wait falls back to
 * reaping it).
 */
static int report_run(void *arg)
{
	char *argv[] = { "/bin/sh", "-c", arg ? arg : "sleep 600", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c;
	bool init = true, reaped;
	int st, init_st;

	ck_spawn_attr_set_namespaces(a, PID_NS);
	with_init(a, &init);
	if (ck_spawn(&c, argv[0], argv, NULL, a, &err) < 0) {
		printf("ck_spawn: %s\n", err.message);
		return 221;
	}
	ck_spawn_attr_free(a);
	pid_t pid = ck_spawn_pid(c);
	if (!arg && kill(pid, SIGKILL) < 0)
		return 222;
	if (ck__spawn_wait_program(c, &st, &reaped) < 0)
		return 223;
	if (reaped != !arg) {
		printf("reaped %d\n", reaped);
		return 224;
	}
	if (arg) {
		while (waitpid(pid, &init_st, __WALL) < 0)
			if (errno != EINTR)
				return 225;
		if (init_st != st) {
			printf("reported %#x, the init's status %#x\n", st, init_st);
			return 226;
		}
	} else if (waitpid(pid, &init_st, __WALL | WNOHANG) != -1 || errno != ECHILD) {
		return 227; /* the fallback reaped it */
	}
	ck__spawn_child_forget(c);
	return code_of(st);
}

Test(sandbox_proc, the_init_reports_the_commands_status_before_it_exits)
{
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out o;
		in_runner(unpriv, report_run, "exit 42", &o);
		cr_assert_eq(o.status, 42, "status %d: %s", o.status, o.text);
		in_runner(unpriv, report_run, "kill -SEGV $$", &o);
		cr_assert_eq(o.status, 128 + SIGSEGV, "status %d: %s", o.status, o.text);
		/* killed before its report: the status is the init's own, reaped */
		in_runner(unpriv, report_run, NULL, &o);
		cr_assert_eq(o.status, 128 + SIGKILL, "status %d: %s", o.status, o.text);
	}
}

Test(sandbox_proc, an_init_without_a_pid_namespace_is_einval)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	char *argv[] = { "/bin/true", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_init(a, true);
	cr_assert_eq(ck_spawn(&c, argv[0], argv, NULL, a, &err), -EINVAL);
	cr_assert_str_eq(err.message, "an init as PID 1 needs a new PID namespace (CLONE_NEWPID)");
	ck_spawn_attr_free(a);
}

/* ---- loopback ---- */

static void net_setup(struct ck_spawn_attr *a, void *data)
{
	bool *up = data;
	ck_spawn_attr_map_root(a);
	ck_spawn_attr_set_loopback(a, *up);
}

#define LO_SH "ip -o -4 addr show dev lo | awk '{print $2, $3, $4, $5, $6}'; ip -o link show lo | grep -o 'state [A-Z]*'"

static void check_loopback(bool unpriv)
{
	struct out ours, theirs, down;
	bool up = true;

	if (access("/usr/sbin/ip", X_OK) < 0 && access("/sbin/ip", X_OK) < 0)
		ck_skip_or_fail("ip (iproute2) is missing");
	sh_as(unpriv, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, net_setup, &up, LO_SH, &ours);
	cr_assert_eq(ours.status, 0, "%s", ours.text);
	cr_assert_str_eq(ours.text, "lo inet 127.0.0.1/8 scope host\nstate UNKNOWN\n");
	bwrap_as(unpriv, "--unshare-user --unshare-net", LO_SH, &theirs);
	cr_assert_str_eq(ours.text, theirs.text);
	up = false;
	sh_as(unpriv, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, net_setup, &up, LO_SH, &down);
	cr_assert_str_eq(down.text, "state DOWN\n");
}

Test(sandbox_proc, loopback_is_up_in_a_new_network_namespace_as_root)
{
	need_root();
	check_loopback(false);
}

Test(sandbox_proc, loopback_is_up_in_a_new_network_namespace_as_uid_65534)
{
	need_root();
	check_loopback(true);
}

/* ---- the network namespace made beside the child (lib/internal/launch.c launch_net) ---- */

/*
 * The command's network namespace: not the caller's, owned by the command's
 * own user namespace (NS_GET_USERNS), lo up. "%lu": the caller's inode.
 */
#define NETNS_SH                                                                                   \
	"python3 -c 'import fcntl, os\n"                                                           \
	"fd = os.open(\"/proc/self/ns/net\", os.O_RDONLY)\n"                                         \
	"owner = fcntl.ioctl(fd, 0xb701)\n" /* NS_GET_USERNS */                                     \
	"print(\"new\", os.fstat(fd).st_ino != %lu, \"owned by its user namespace\",\n"               \
	"      os.fstat(owner).st_ino == os.stat(\"/proc/self/ns/user\").st_ino)'; "                  \
	"ip -o link show lo | grep -o 'state [A-Z]*'"

/* In the runner: no_new_privs and the filter f of n instructions, or exit 209. */
static void runner_filter(struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = { n, f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		_exit(209);
}

/* setns(2) refused with EPERM in the runner: the helper cannot enter the child's user namespace */
static void net_setup_no_setns(struct ck_spawn_attr *a, void *data)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	net_setup(a, data);
	runner_filter(f, sizeof(f) / sizeof(f[0]));
	/* the filter holds: EPERM, not the EBADF of a bad fd */
	if (syscall(SYS_setns, -1, CLONE_NEWNET) != -1 || errno != EPERM)
		_exit(209);
}

/* setns(fd, CLONE_NEWNET) refused with EPERM in the runner (and so in the child it spawns) */
static void net_setup_no_join(struct ck_spawn_attr *a, void *data)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_NEWNET, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	net_setup(a, data);
	runner_filter(f, sizeof(f) / sizeof(f[0]));
}

/* The child joins what the helper made (it never makes its own then): a refused setns is its failure. */
Test(sandbox_proc, the_child_joins_the_network_namespace_the_helper_made)
{
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out o;
		bool up = true;
		sh_as(unpriv, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, net_setup_no_join, &up, "true", &o);
		cr_assert_eq(o.status, 204, "%s", o.text);
		cr_assert_str_eq(o.text, "ck_spawn: EPERM: step network namespace: a new network namespace (unshare "
					 "CLONE_NEWNET, or setns to the one made beside the child): Operation not permitted\n");
	}
}

/* SIGSYS for setns(2) in the runner, with a handler of its own that counts */
static volatile sig_atomic_t sigsys_seen;

static void count_sigsys(int sig)
{
	(void)sig;
	sigsys_seen++;
}

static void net_setup_trap_setns(struct ck_spawn_attr *a, void *data)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	net_setup(a, data);
	if (signal(SIGSYS, count_sigsys) == SIG_ERR)
		_exit(209);
	runner_filter(f, sizeof(f) / sizeof(f[0]));
}

/* In the runner: the spawn under net_setup_trap_setns; then whether its SIGSYS handler ran. */
static int trap_setns_run(void *arg)
{
	char *argv[] = { "/bin/sh", "-c", "ip -o link show lo | grep -o 'state [A-Z]*'", NULL };
	bool up = true;
	struct spawn_job j = { .argv = argv, .setup = net_setup_trap_setns, .data = &up,
			       .namespaces = CK_CLONE_NEWUSER | CK_CLONE_NEWNET };
	(void)arg;
	int r = spawn_job_run(&j);
	printf("handler ran %d times\n", (int)sigsys_seen);
	return r;
}

/*
 * A helper a filter kills (SIGSYS at setns) leaves the child to make its
 * namespace; the caller's SIGSYS handler never runs in the helper, which
 * shares its memory (every signal is blocked there, so the kernel's forced
 * SIGSYS takes the default action).
 */
Test(sandbox_proc, a_network_helper_killed_by_a_filter_leaves_the_child_to_make_its_namespace)
{
	need_root();
	runs_as_both(trap_setns_run, 0, "state UNKNOWN\nhandler ran 0 times\n");
}

static void check_netns(bool unpriv, void (*setup)(struct ck_spawn_attr *, void *))
{
	struct stat host;
	struct out o;
	char script[1024];
	bool up = true;

	if (access("/usr/bin/python3", X_OK) < 0)
		ck_skip_or_fail("/usr/bin/python3 is missing");
	cr_assert_eq(stat("/proc/self/ns/net", &host), 0);
	snprintf(script, sizeof(script), NETNS_SH, (unsigned long)host.st_ino);
	sh_as(unpriv, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, setup, &up, script, &o);
	cr_assert_eq(o.status, 0, "[%s] %s", unpriv ? "uid 65534" : "root", o.text);
	cr_assert_str_eq(o.text, "new True owned by its user namespace True\nstate UNKNOWN\n", "[%s]",
			 unpriv ? "uid 65534" : "root");
}

Test(sandbox_proc, the_network_namespace_made_beside_the_child_is_its_own)
{
	need_root();
	check_netns(false, net_setup);
	check_netns(true, net_setup);
}

/* A helper that cannot enter the user namespace leaves the child to make its own: the same result. */
Test(sandbox_proc, without_the_helper_the_child_makes_its_network_namespace)
{
	need_root();
	check_netns(false, net_setup_no_setns);
	check_netns(true, net_setup_no_setns);
}

/* In a user namespace of the runner's whose limit of network namespaces is 0: ENOSPC, named, nothing left. */
static int netns_limit_run(void *arg)
{
	(void)arg;
	char map[32];
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "/bin/true", NULL };
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) < 0)
		return 250;
	int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "deny", 4) != 4)
		return 251;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if ((fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, strlen(map)) < 0)
		return 252;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if ((fd = open("/proc/self/gid_map", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, strlen(map)) < 0)
		return 253;
	close(fd);
	if ((fd = open("/proc/sys/user/max_net_namespaces", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, "0", 1) != 1)
		return 254;
	close(fd);
	int before = ck_test_fd_count();
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER | CK_CLONE_NEWNET);
	ck_spawn_attr_map_root(a);
	int r = ck_spawn(&c, argv[0], argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	if (r == 0) {
		ck_spawn_free(c);
		printf("the spawn succeeded\n");
		return 255;
	}
	printf("%s: step %s: %s\n", strerrorname_np(-r), err.step, err.message);
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		printf("a child was left\n");
	if (ck_test_fd_count() != before)
		printf("fds: %d before, %d after\n", before, ck_test_fd_count());
	return 204;
}

/*
 * sendto(2) with an address (rtnetlink's requests; send(2) has none) refused
 * with EPERM in the runner: lo cannot come up, in the helper nor in the
 * child. The spawn fails at that step and leaves no child and no fd -- the
 * helper's netlink socket lived in the runner's own fd table.
 */
static int no_rtnetlink_run(void *arg)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "/bin/true", NULL };
	(void)arg;
	runner_filter(f, sizeof(f) / sizeof(f[0]));
	int before = ck_test_fd_count();
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER | CK_CLONE_NEWNET);
	ck_spawn_attr_map_root(a);
	int r = ck_spawn(&c, argv[0], argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	if (r == 0) {
		ck_spawn_free(c);
		printf("the spawn succeeded\n");
		return 255;
	}
	printf("%s: step %s\n", strerrorname_np(-r), err.step);
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		printf("a child was left\n");
	if (ck_test_fd_count() != before)
		printf("fds: %d before, %d after\n", before, ck_test_fd_count());
	return 204;
}

Test(sandbox_proc, loopback_that_cannot_come_up_fails_the_spawn_and_leaves_no_fd)
{
	need_root();
	runs_as_both(no_rtnetlink_run, 204, "EPERM: step bring up loopback\n");
}

Test(sandbox_proc, a_network_namespace_over_the_users_limit_is_enospc)
{
	need_root();
	runs_as_both(netns_limit_run, 204,
		     "ENOSPC: step network namespace: unshare CLONE_NEWNET: No space left on device: "
		     "the user's network namespaces reached user.max_net_namespaces (here or in an "
		     "enclosing user namespace)\n");
}

/* ---- resource limits ---- */

static void limits(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_set_rlimit(a, RLIMIT_NOFILE, 100, 200);
	ck_spawn_attr_set_rlimit(a, RLIMIT_CORE, 0, 0);
	ck_spawn_attr_set_rlimit(a, RLIMIT_NOFILE, 64, 128); /* replaces the first */
}

static void raise_hard(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_map_root(a);
	ck_spawn_attr_set_rlimit(a, RLIMIT_NOFILE, 64, CK_RLIM_INFINITY);
}

Test(sandbox_proc, rlimits_are_visible_to_the_command)
{
	struct out o;
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		sh_as(unpriv, 0, limits, NULL, "ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -Hc", &o);
		cr_assert_eq(o.status, 0, "%s", o.text);
		cr_assert_str_eq(o.text, "64\n128\n0\n0\n");
	}
	/* raising a hard limit needs CAP_SYS_RESOURCE in the initial namespace */
	sh_as(true, CK_CLONE_NEWUSER, raise_hard, NULL, "true", &o);
	cr_assert_eq(o.status, 204, "%s", o.text);
	cr_assert_str_eq(o.text, "ck_spawn: EPERM: step rlimit: setrlimit RLIMIT_NOFILE: Operation not permitted: raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace\n");
}

Test(sandbox_proc, rlimit_text_is_parsed_as_prlimit_reads_it)
{
	int res;
	uint64_t soft, hard;
	char why[256];

	cr_assert_eq(ck_rlimit_parse("NOFILE=1024:4096", &res, &soft, &hard, why, sizeof(why)), 0);
	cr_assert(res == RLIMIT_NOFILE && soft == 1024 && hard == 4096);
	cr_assert_eq(ck_rlimit_parse("rlimit_core=0", &res, &soft, &hard, why, sizeof(why)), 0);
	cr_assert(res == RLIMIT_CORE && soft == 0 && hard == 0);
	cr_assert_eq(ck_rlimit_parse("as=unlimited:infinity", &res, &soft, &hard, NULL, 0), 0);
	cr_assert(res == RLIMIT_AS && soft == CK_RLIM_INFINITY && hard == CK_RLIM_INFINITY);
	cr_assert_eq(ck_rlimit_parse("NOFILE=10:5", &res, &soft, &hard, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "'10:5': the soft limit is above the hard limit");
	cr_assert_eq(ck_rlimit_parse("FILES=1", &res, &soft, &hard, why, sizeof(why)), -EINVAL);
	cr_assert_eq(strncmp(why, "'FILES': no such resource limit", 31), 0, "%s", why);
	cr_assert_eq(ck_rlimit_parse("NOFILE", &res, &soft, &hard, why, sizeof(why)), -EINVAL);
	cr_assert_eq(ck_rlimit_parse("NOFILE=1x", &res, &soft, &hard, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "'1x': a limit is a number or 'unlimited'");
	cr_assert_eq(ck_rlimit_parse("NOFILE=", &res, &soft, &hard, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(ck_rlimit_name(RLIMIT_NPROC), "NPROC");
	cr_assert_null(ck_rlimit_name(99));
}

/* ---- user namespaces disabled ---- */

static void no_userns(struct ck_spawn_attr *a, void *data)
{
	bool *disable = data;
	ck_spawn_attr_map_user(a);
	ck_spawn_attr_set_disable_userns(a, *disable);
	ck_spawn_attr_set_assert_userns_disabled(a, true);
}

#define USERNS_SH "id -u; unshare -U true 2>&1; echo $?"

Test(sandbox_proc, disabled_user_namespaces_cannot_be_created_like_bwrap)
{
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out ours, theirs;
		bool disable = true;
		sh_as(unpriv, CK_CLONE_NEWUSER, no_userns, &disable, USERNS_SH, &ours);
		cr_assert_eq(ours.status, 0, "%s", ours.text);
		cr_assert_str_eq(ours.text, unpriv ? "65534\nunshare: unshare failed: No space left on device\n1\n"
						   : "0\nunshare: unshare failed: No space left on device\n1\n");
		bwrap_as(unpriv, "--unshare-user --disable-userns", USERNS_SH, &theirs);
		cr_assert_str_eq(ours.text, theirs.text);
		/* asserted but not disabled: the spawn fails */
		disable = false;
		sh_as(unpriv, CK_CLONE_NEWUSER, no_userns, &disable, "true", &ours);
		cr_assert_eq(ours.status, 204, "%s", ours.text);
		cr_assert_str_eq(ours.text, "ck_spawn: EEXIST: step assert user namespaces disabled: creation of new user namespaces was not disabled as requested: the child could still create one\n");
	}
}

/* ---- subordinate ranges through newuidmap ---- */

#define SUBID_USER "ck-sbxproc"

static int subids_run(void *arg)
{
	(void)arg;
	char *argv[] = { "/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u", NULL };
	struct spawn_job j = { .argv = argv, .namespaces = CK_CLONE_NEWUSER };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int r = ck_spawn_attr_map_subids(a);
	ck_spawn_attr_free(a);
	if (r < 0) {
		printf("map_subids: %s\n", strerrorname_np(-r));
		return 230;
	}
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, j.namespaces);
	ck_spawn_attr_map_subids(a);
	fflush(stdout);
	if ((r = ck_spawn(&c, argv[0], argv, NULL, a, &err)) < 0) {
		printf("ck_spawn: %s: %s: %s\n", strerrorname_np(-r), err.step, err.message);
		return 231;
	}
	ck_spawn_attr_free(a);
	int st;
	ck_spawn_wait(c, &st);
	ck_spawn_free(c);
	return code_of(st);
}

/* The runner as the test user (with subordinate ranges), not root. */
static int as_subid_user(void *arg)
{
	struct passwd *pw = getpwnam(SUBID_USER);
	if (!pw || setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0 || prctl(PR_SET_DUMPABLE, 1) < 0)
		return 232;
	return subids_run(arg);
}

/* The first range of name in path ("NAME:START:COUNT"), for the expected maps. */
static bool first_range(const char *path, const char *name, unsigned long *start, unsigned long *count)
{
	char line[256];
	FILE *f = fopen(path, "re");
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char who[64];
		found = sscanf(line, "%63[^:]:%lu:%lu", who, start, count) == 3 && strcmp(who, name) == 0;
	}
	if (f)
		fclose(f);
	return found;
}

Test(sandbox_proc, subordinate_ranges_are_mapped_through_newuidmap_for_an_unprivileged_user)
{
	unsigned long us, uc, gs, gc;
	struct out o;
	char want[512];

	need_root();
	if (access("/usr/bin/newuidmap", X_OK) < 0)
		ck_skip_or_fail("newuidmap is missing (Debian: uidmap; scripts/deps.sh installs it)");
	/*
	 * A user of this test's own, with the ranges useradd gives (login.defs
	 * SUB_UID_*), and a uid no other case of this file uses: on a host whose
	 * first free uid is 1000, useradd's choice would be the uid the run --uid
	 * cases run as, in parallel, and userdel refuses a user with processes.
	 */
	if (!getpwnam(SUBID_USER)) {
		uid_t free_uid = 47000;
		char cmd[256];
		while (getpwuid(free_uid) || getgrgid(free_uid))
			free_uid++;
		snprintf(cmd, sizeof(cmd), "useradd --no-create-home --shell /usr/sbin/nologin --uid %u --user-group " SUBID_USER " 2>&1",
			 (unsigned)free_uid);
		if (system(cmd) != 0)
			ck_skip_or_fail("useradd %s failed: no user with subordinate ranges", SUBID_USER);
	}
	struct passwd *pw = getpwnam(SUBID_USER);
	cr_assert_not_null(pw);
	if (!first_range("/etc/subuid", SUBID_USER, &us, &uc) ||
	    !first_range("/etc/subgid", SUBID_USER, &gs, &gc))
		ck_skip_or_fail("%s has no range in /etc/subuid or /etc/subgid", SUBID_USER);
	in_runner(false, as_subid_user, NULL, &o);
	snprintf(want, sizeof(want),
		 "%10u %10u %10u\n%10u %10lu %10lu\n%10u %10u %10u\n%10u %10lu %10lu\n0\n", 0u,
		 (unsigned)pw->pw_uid, 1u, 1u, us, uc, 0u, (unsigned)pw->pw_gid, 1u, 1u, gs, gc);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_str_eq(o.text, want);
	/* the user itself: without subordinate ranges the helper says so */
	cr_assert_eq(system("userdel " SUBID_USER), 0);
}

/* Without ranges in the files, map_subids is ENOENT before any spawn. */
Test(sandbox_proc, map_subids_without_ranges_is_enoent)
{
	need_root();
	struct out o;
	in_runner(true, subids_run, NULL, &o);
	cr_assert_eq(o.status, 230, "%s", o.text);
	cr_assert_str_eq(o.text, "map_subids: ENOENT\n");
}

/* ---- the tracer and the init ---- */

Test(sandbox_proc, tracing_a_command_under_an_init_is_einval)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_tracer *t = NULL;
	char *argv[] = { "/bin/true", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER | CK_CLONE_NEWPID), 0);
	cr_assert_eq(ck_spawn_attr_map_root(a), 0);
	cr_assert_eq(ck_spawn_attr_set_init(a, true), 0);
	cr_assert_eq(ck_trace_spawn(&t, argv, NULL, a, NULL, &err), -EINVAL);
	cr_assert_null(t);
	cr_assert_str_eq(err.step, "attributes");
	cr_assert_str_eq(err.message, "the tracer follows the child clonekit starts, which with an init is the init and not the command: trace with the command as PID 1");
	ck_spawn_attr_free(a);
}

/* ---- failures leave nothing behind ---- */

static int count_fds(void)
{
	int n = ck_test_fd_count();
	cr_assert_geq(n, 0, "/proc/self/fd: %s", strerror(errno));
	return n;
}

/* A step of the program's process (after the init forked it) fails: no init, no zombie, no fd left. */
Test(sandbox_proc, a_failure_under_the_init_leaves_no_process_and_no_fd)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[] = { "/bin/true", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int before = count_fds();

	cr_assert_eq(ck_spawn_attr_set_namespaces(a, PID_NS), 0);
	cr_assert_eq(ck_spawn_attr_map_root(a), 0);
	cr_assert_eq(ck_spawn_attr_set_init(a, true), 0);
	/* root of a user namespace has no CAP_SYS_RESOURCE over the initial one */
	cr_assert_eq(ck_spawn_attr_set_rlimit(a, RLIMIT_NOFILE, 64, CK_RLIM_INFINITY), 0);
	int r = ck_spawn(&c, argv[0], argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	if (r == 0) {
		ck_spawn_free(c);
		cr_assert_fail("the spawn succeeded: RLIMIT_NOFILE's hard limit was already infinite?");
	}
	cr_assert_eq(r, -EPERM, "%s", err.message);
	cr_assert_str_eq(err.step, "rlimit");
	cr_assert(err.in_child);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child was left");
	cr_assert_eq(errno, ECHILD);
	cr_assert_eq(count_fds(), before);
}

/*
 * A step of the program's process fails after the init made it (with CLONE_VM|CLONE_VFORK, on a
 * stack of its own, unless a hold, a block fd or a hook needs the fork): the report names that
 * step, and no process (the runner is a subreaper: an orphan would be its child), zombie or fd
 * is left.
 */
struct program_failure {
	const char *name;
	bool root_only;     /* needs the real root (no user namespace) */
	uint64_t namespaces;
	const char *file;
	void (*setup)(struct ck_spawn_attr *a);
	int (*before)(void); /* in the runner before the spawn: 0, or the runner's failure */
	const char *want;    /* what the runner prints: "step errno-name" */
};

static void fail_init_only(struct ck_spawn_attr *a)
{
	ck_spawn_attr_set_init(a, true);
}

static void fail_init_map_root(struct ck_spawn_attr *a)
{
	ck_spawn_attr_map_root(a);
	ck_spawn_attr_set_init(a, true);
}

/* the caller's policy, which the program's process cannot load (fail_prctl_seccomp) */
static void fail_seccomp_policy(struct ck_spawn_attr *a)
{
	struct ck_seccomp_policy *p = ck_seccomp_policy_named("deny-userns");
	fail_init_map_root(a);
	if (!p || ck_spawn_attr_set_seccomp(a, p) < 0)
		_exit(209);
	ck_seccomp_policy_free(p);
}

/* keeping CAP_CHOWN, which the runner gives up (fail_drop_chown) */
static void fail_keep_chown(struct ck_spawn_attr *a)
{
	fail_init_only(a);
	ck_spawn_attr_set_caps(a, BIT(CAP_CHOWN));
}

/* one process of the caller's uid in the namespace: the init's, and no program */
static void fail_one_process(struct ck_spawn_attr *a)
{
	fail_init_map_root(a);
	ck_spawn_attr_set_rlimit(a, RLIMIT_NPROC, 1, 1);
}

/* The runner (and its copies, the init and the program) cannot load a filter: EXFULL, a mark of ours. */
static int fail_prctl_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EXFULL), SCMP_SYS(prctl), 1,
				       SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP))
		    : -ENOMEM;
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? 230 : 0;
}

/* The runner holds CAP_CHOWN no more (its children neither). */
static int fail_drop_chown(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 231;
	d[0].effective &= ~BIT(CAP_CHOWN);
	d[0].permitted &= ~BIT(CAP_CHOWN);
	d[0].inheritable &= ~BIT(CAP_CHOWN);
	return syscall(SYS_capset, &h, d) < 0 ? 231 : 0;
}

static const struct program_failure program_failures[] = {
	{ "a missing program", false, PID_NS, "/nonexistent/ck-program", fail_init_map_root, NULL,
	  "execve ENOENT" },
	{ "a filter the program cannot load", false, PID_NS, "/bin/true", fail_seccomp_policy,
	  fail_prctl_seccomp, "seccomp filter EXFULL" },
	{ "a capability the program cannot keep", true, CK_CLONE_NEWPID, "/bin/true", fail_keep_chown,
	  fail_drop_chown, "capabilities EPERM" },
};

static int program_failure_run(void *arg)
{
	const struct program_failure *f = arg;
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c = NULL;
	char *argv[] = { (char *)f->file, NULL };
	int r;

	if (!a || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return 220;
	int before = ck_test_fd_count();
	if (f->before && (r = f->before()) != 0)
		return r;
	ck_spawn_attr_set_namespaces(a, f->namespaces);
	f->setup(a);
	r = ck_spawn(&c, argv[0], argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	if (r == 0) {
		ck_spawn_free(c);
		printf("the spawn succeeded\n");
		return 221;
	}
	printf("%s %s\n", err.step, ck_errno_name(-r));
	if (r != -err.err || !err.in_child) {
		printf("returned %d, err %d, in_child %d: %s\n", r, err.err, err.in_child, err.message);
		return 222;
	}
	if (waitpid(-1, NULL, __WALL | WNOHANG) != -1 || errno != ECHILD) {
		printf("a process or a zombie was left\n");
		return 223;
	}
	if (ck_test_fd_count() != before) {
		printf("%d fds, %d before\n", ck_test_fd_count(), before);
		return 224;
	}
	return 0;
}

Test(sandbox_proc, a_failure_in_the_program_under_the_init_names_its_step_and_leaves_nothing)
{
	need_root();
	for (size_t i = 0; i < sizeof(program_failures) / sizeof(program_failures[0]); i++) {
		const struct program_failure *f = &program_failures[i];
		for (int unpriv = 0; unpriv < (f->root_only ? 1 : 2); unpriv++) {
			struct out o;
			char want[128];
			in_runner(unpriv, program_failure_run, (void *)f, &o);
			snprintf(want, sizeof(want), "%s\n", f->want);
			cr_assert_eq(o.status, 0, "%s [%s]: %d: %s", f->name, unpriv ? "uid 65534" : "root",
				     o.status, o.text);
			cr_assert_str_eq(o.text, want, "%s [%s]", f->name, unpriv ? "uid 65534" : "root");
		}
	}
}

/* The init cannot make the program's process (RLIMIT_NPROC 1 in the namespace): step init, EAGAIN, nothing left. */
Test(sandbox_proc, an_init_that_cannot_make_the_program_fails_at_its_step_and_leaves_nothing)
{
	/* uid 65534: root's processes are not counted against RLIMIT_NPROC */
	static const struct program_failure f = { "no process left", false, PID_NS, "/bin/true",
						  fail_one_process, NULL, "start the init (PID 1) EAGAIN" };
	struct out o;
	need_root();
	in_runner(true, program_failure_run, (void *)&f, &o);
	cr_assert_eq(o.status, 0, "%d: %s", o.status, o.text);
	cr_assert_str_eq(o.text, "start the init (PID 1) EAGAIN\n");
}

/* ---- the init and a hold before execve ---- */

/* Held before execve, the program (under its init) has not run; released, it runs and its status comes back. */
static int held_run(void *arg)
{
	(void)arg;
	char *argv[] = { "/bin/sh", "-c", "echo ran; exit 5", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c;
	bool init = true;
	char buf[64];
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return 240;
	ck_spawn_attr_set_namespaces(a, PID_NS);
	with_init(a, &init);
	ck_spawn_attr_set_hold(a, true);
	if (spawn_to_pipe(a, argv, p, &c, 241))
		return 241;
	if (read(p[0], buf, sizeof(buf)) != -1 || errno != EAGAIN)
		return 242; /* it ran (or ended) while held */
	if (ck_spawn_release(c) < 0 || ck_spawn_wait_exec(c, &err) < 0)
		return 243;
	struct pollfd pfd = { p[0], POLLIN, 0 };
	poll(&pfd, 1, CK_PATIENCE_MS);
	return print_then_wait(c, p[0], 244);
}

Test(sandbox_proc, a_held_command_under_the_init_runs_when_released)
{
	need_root();
	runs_as_both(held_run, 5, "ran\n");
}

/*
 * In the runner: a SIGTERM to the init of a held program ends both (the init forwards it, as it
 * must while the program waits: why the init forks a program that is held). The init's status.
 */
static int held_term_run(void *arg)
{
	(void)arg;
	char *argv[] = { "/bin/true", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c;
	bool init = true;
	int st;

	ck_spawn_attr_set_namespaces(a, PID_NS);
	with_init(a, &init);
	ck_spawn_attr_set_hold(a, true);
	if (ck_spawn(&c, argv[0], argv, NULL, a, &err) < 0) {
		printf("ck_spawn: %s\n", err.message);
		return 241;
	}
	ck_spawn_attr_free(a);
	if (ck_spawn_signal(c, SIGTERM) < 0)
		return 242;
	struct pollfd pfd = { ck_spawn_pidfd(c), POLLIN, 0 };
	if (poll(&pfd, 1, CK_PATIENCE_MS / 2) != 1) {
		printf("the init did not end\n");
		ck_spawn_signal(c, SIGKILL);
	}
	if (waitpid(ck_spawn_pid(c), &st, __WALL) < 0)
		return 243;
	ck__spawn_child_reaped(c);
	ck__spawn_child_forget(c);
	return code_of(st);
}

Test(sandbox_proc, a_held_command_under_the_init_ends_with_a_sigterm_to_the_init)
{
	need_root();
	runs_as_both(held_term_run, 128 + SIGTERM, "");
}

/* ---- a capability the child does not hold ---- */

static void keep_chown_only(struct ck_spawn_attr *a, void *data)
{
	(void)data;
	ck_spawn_attr_set_caps(a, BIT(CAP_CHOWN));
}

/* Refused, where bwrap as root ignores capset's EPERM and keeps every capability. */
Test(sandbox_proc, keeping_a_capability_the_child_lacks_fails_with_eperm)
{
	struct out o;
	need_root();
	sh_as(true, 0, keep_chown_only, NULL, "true", &o);
	cr_assert_eq(o.status, 204, "%s", o.text);
	cr_assert_str_eq(o.text, "ck_spawn: EPERM: step capabilities: capabilities: Operation not permitted: the child cannot keep a capability it does not hold (in a new user namespace it holds all of them)\n");
}

/* ---- the ids step, the init under the caller's filters, set_user with set_caps (sbx-fix) ---- */

/*
 * PID 1's uid and seccomp lines on one line: "Uid: 0 0 0 0 Seccomp: 2 Seccomp_filters: 1 ".
 * The init loads its filters after it forks the command, in bwrap as in clonekit, so the
 * command waits (up to 5 s) for PID 1 to show N filters before it prints what it shows.
 */
#define PID1_LINES(n)                                                                               \
	"i=0; while [ $i -lt 500 ] && ! grep -q '^Seccomp_filters:.*" #n "' /proc/1/status; do"          \
	" sleep 0.01; i=$((i+1)); done; grep -E '^(Uid|Seccomp|Seccomp_filters):' /proc/1/status |"       \
	" tr '\\t\\n' '  '; echo"

static void init_under_policy(struct ck_spawn_attr *a, void *data)
{
	bool init = true;
	struct ck_seccomp_policy *p = ck_seccomp_policy_named(data);
	with_init(a, &init);
	if (!p || ck_spawn_attr_set_seccomp(a, p) < 0)
		_exit(209);
	ck_seccomp_policy_free(p);
}

/* bwrap's init loads the filters too (do_init): a filter confines every process of the namespace. */
Test(sandbox_proc, the_init_is_confined_by_the_callers_seccomp_policy)
{
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out o;
		sh_as(unpriv, PID_NS, init_under_policy, "deny-userns",
		      PID1_LINES(1) "; unshare -U true 2>/dev/null; echo \"unshare $?\"", &o);
		cr_assert_eq(o.status, 0, "%s", o.text);
		cr_assert_str_eq(o.text, "Uid: 0 0 0 0 Seccomp: 2 Seccomp_filters: 1 \nunshare 1\n",
				 "[%s]", unpriv ? "uid 65534" : "root");
	}
}

/*
 * Under its init the program holds the caller's filter once (the init loads its own after it
 * made the program), is PID 2, and reads, as PID 1 does, one filter in the init.
 */
Test(sandbox_proc, the_program_under_the_init_is_pid_2_with_the_callers_filter_once)
{
	need_root();
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out o;
		sh_as(unpriv, PID_NS, init_under_policy, "deny-userns",
		      PID1_LINES(1) "; echo \"pid $$\"; grep -E '^Seccomp(_filters)?:' /proc/self/status | tr '\\t\\n' '  '; echo",
		      &o);
		cr_assert_eq(o.status, 0, "%s", o.text);
		cr_assert_str_eq(o.text, "Uid: 0 0 0 0 Seccomp: 2 Seccomp_filters: 1 \npid 2\nSeccomp: 2 Seccomp_filters: 1 \n",
				 "[%s]", unpriv ? "uid 65534" : "root");
	}
}

/* fds 20 and 21: the deny-userns policy as raw BPF, as bwrap --add-seccomp-fd reads it */
static int bpf_runner(void *arg)
{
	char **argv = arg;
	struct ck_seccomp_policy *p = ck_seccomp_policy_named("deny-userns");
	void *bpf;
	size_t len;
	if (!p || ck_seccomp_export_bpf(p, &bpf, &len) < 0)
		return 207;
	ck_seccomp_policy_free(p);
	for (int fd = 20; fd <= 21; fd++) {
		int m = memfd_create("ck-bpf", 0);
		if (m < 0 || write(m, bpf, len) != (ssize_t)len || lseek(m, 0, SEEK_SET) != 0 ||
		    dup2(m, fd) < 0)
			return 208;
		close(m);
	}
	free(bpf);
	fflush(stdout);
	execv(argv[0], argv);
	printf("execv %s: %s\n", argv[0], strerror(errno));
	return 206;
}

/* bin is the real bwrap, or clonekit run as "clonekit bwrap" */
static void bwrap_bpf(bool unpriv, const char *bin, bool subcommand, struct out *o)
{
	char *argv[] = { (char *)bin, "bwrap", "--bind", "/", "/", "--unshare-pid", "--proc", "/proc",
			 "--dev", "/dev", "--add-seccomp-fd", "20", "--add-seccomp-fd", "21",
			 "/bin/sh", "-c", PID1_LINES(2), NULL };
	if (!subcommand)
		argv[1] = (char *)bin;
	in_runner(unpriv, bpf_runner, subcommand ? argv : argv + 1, o);
}

Test(sandbox_proc, stacked_bwrap_filters_confine_the_init_as_bwraps_do)
{
	const char *ck = getenv("CLONEKIT_BIN");
	need_root();
	if (access(BWRAP, X_OK) < 0)
		ck_skip_or_fail("%s is not installed (Debian: bubblewrap)", BWRAP);
	cr_assert_not_null(ck, "CLONEKIT_BIN is not set (meson sets it)");
	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct out theirs, ours;
		bwrap_bpf(unpriv, BWRAP, false, &theirs);
		bwrap_bpf(unpriv, ck, true, &ours);
		cr_assert_eq(theirs.status, 0, "bwrap: %s", theirs.text);
		cr_assert(strstr(theirs.text, " Seccomp: 2 Seccomp_filters: 2 \n"), "bwrap: %s", theirs.text);
		cr_assert_eq(ours.status, 0, "clonekit bwrap: %s", ours.text);
		cr_assert_str_eq(ours.text, theirs.text, "[%s]", unpriv ? "uid 65534" : "root");
	}
}

#define ALL_SETS "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb):' /proc/self/status | tr '\\t\\n' '  '; echo"

/* set_user 65534 keeping CAP_NET_BIND_SERVICE, with (data true) or without a user namespace mapping 0 and 65534 */
static void user_with_caps(struct ck_spawn_attr *a, void *data)
{
	if (*(bool *)data &&
	    (ck_spawn_attr_add_uid_map(a, 0, 0, 1) < 0 || ck_spawn_attr_add_uid_map(a, UNPRIV_ID, UNPRIV_ID, 1) < 0 ||
	     ck_spawn_attr_add_gid_map(a, 0, 0, 1) < 0 || ck_spawn_attr_add_gid_map(a, UNPRIV_ID, UNPRIV_ID, 1) < 0))
		_exit(209);
	if (ck_spawn_attr_set_user(a, UNPRIV_ID, UNPRIV_ID) < 0 ||
	    ck_spawn_attr_set_caps(a, BIT(CAP_NET_BIND_SERVICE)) < 0 || ck_spawn_attr_set_no_new_privs(a, true) < 0)
		_exit(209);
}

/* The uid switch took the permitted set away before the capabilities were set: both are usable together now. */
Test(sandbox_proc, set_user_and_set_caps_work_together)
{
	char bnd[64];
	uint64_t host_bnd = 0;
	need_root();
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			host_bnd |= BIT(cap);
	for (int userns = 0; userns < 2; userns++) {
		struct out o;
		bool in_userns = userns;
		sh_as(false, userns ? CK_CLONE_NEWUSER : 0, user_with_caps, &in_userns, ALL_SETS, &o);
		cr_assert_eq(o.status, 0, "[%s] %s", userns ? "user namespace" : "no namespace", o.text);
		/* outside a user namespace the bounding set is left as it is (bwrap's rule) */
		snprintf(bnd, sizeof(bnd), "%016llx", (unsigned long long)(userns ? BIT(CAP_NET_BIND_SERVICE) : host_bnd));
		char want[512];
		snprintf(want, sizeof(want),
			 "Uid: 65534 65534 65534 65534 Gid: 65534 65534 65534 65534 Groups:   "
			 "CapInh: 0000000000000400 CapPrm: 0000000000000400 CapEff: 0000000000000400 "
			 "CapBnd: %s CapAmb: 0000000000000400 \n", bnd);
		cr_assert_str_eq(o.text, want, "[%s] %s", userns ? "user namespace" : "no namespace", o.text);
	}
}

/* clonekit run as root: argv after "run", the script last */
static int ck_run_runner(void *arg)
{
	char **argv = arg;
	fflush(stdout);
	execv(argv[0], argv);
	printf("execv %s: %s\n", argv[0], strerror(errno));
	return 206;
}

/*
 * What a demanding user tries under `clonekit run --uid 1000` as root, in a
 * cgroup of its own: the command is uid 1000 on the host too (0 and 1000
 * map to themselves; it becomes 1000 before execve), so it can write
 * neither the host's files nor the cgroup tree's, cannot get 0 back through
 * setuid(2) or a setuid-root program (no_new_privs), and its init runs as
 * 1000 as well, not dumpable (it changed ids), so the command cannot attach to it. bwrap's one-line map ("1000 0 1") left it the host's kuid 0.
 */
/* what the test below leaves on the host, removed even when an assertion ends it early */
static char uid_dir[32], uid_suid[64], uid_cg[128];

static void uid_test_cleanup(void)
{
	unlink("/etc/ck-uid-test");
	if (uid_suid[0])
		unlink(uid_suid);
	if (uid_dir[0])
		rmdir(uid_dir);
	/* the sandbox dies with clonekit (--die-with-parent); its group empties a moment later */
	if (uid_cg[0])
		ck_wait_until(rmdir(uid_cg) == 0 || errno == ENOENT, CK_PATIENCE_MS);
}

Test(sandbox_proc, run_uid_as_root_leaves_the_command_no_way_back_to_root, .fini = uid_test_cleanup)
{
	const char *ck = getenv("CLONEKIT_BIN");
	char *dir = uid_dir, *suid = uid_suid, *cg = uid_cg, script[2048];
	need_root();
	cr_assert_not_null(ck, "CLONEKIT_BIN is not set (meson sets it)");
	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) < 0 && access("/sys/fs/cgroup/cgroup.procs", F_OK) < 0)
		ck_skip_or_fail("no cgroup v2 tree at /sys/fs/cgroup/unified or /sys/fs/cgroup");
	const char *v2 = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
	snprintf(dir, sizeof(uid_dir), "/tmp/ck-uid-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(suid, sizeof(uid_suid), "%s/id", dir);
	/* a setuid-root copy of id(1) */
	int from = open("/usr/bin/id", O_RDONLY | O_CLOEXEC), to = open(suid, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	char buf[65536];
	ssize_t k;
	cr_assert(from >= 0 && to >= 0);
	while ((k = read(from, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(to, buf, (size_t)k), k);
	close(from);
	close(to);
	cr_assert_eq(chmod(suid, 04755), 0);
	snprintf(cg, sizeof(uid_cg), "%s/ck-uid-test-%d", v2, (int)getpid());
	cr_assert_eq(mkdir(cg, 0755), 0, "%s: %s", cg, strerror(errno));
	snprintf(script, sizeof(script),
		 "awk '{print $1, $2, $3}' /proc/self/uid_map | tr '\\n' ';'; echo\n"
		 "grep ^Uid /proc/1/status /proc/self/status | tr '\\t' ' '\n"
		 "touch /etc/ck-uid-test 2>/dev/null && echo 'wrote /etc' || echo 'cannot write /etc'\n"
		 "echo $$ 2>/dev/null >%s/cgroup.procs && echo 'left its cgroup' || echo 'cannot leave its cgroup'\n"
		 "grep -c '^0::/ck-uid-test-' /proc/self/cgroup\n"
		 "python3 -c 'import os\ntry:\n os.setuid(0); print(\"setuid 0\")\nexcept OSError as e: print(\"setuid\", e.strerror)'\n"
		 "%s -u\n"
		 "python3 -c 'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
		 "r = libc.ptrace(16, 1, None, None)\nprint(\"attach to the init\", os.strerror(ctypes.get_errno()) if r else \"ok\")'\n",
		 v2, suid);
	char *argv[] = { (char *)ck, "run", "--cgroup", cg, "--uid", "1000", "--gid", "1000", "--new", "pid",
			 "--mount-proc", "--init", "--die-with-parent", "--", "/bin/sh", "-c", script, NULL };
	struct out o;
	in_runner(false, ck_run_runner, argv, &o);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_str_eq(o.text, "0 0 1;1000 1000 1;\n"
				 "/proc/1/status:Uid: 1000 1000 1000 1000\n"
				 "/proc/self/status:Uid: 1000 1000 1000 1000\n"
				 "cannot write /etc\n"
				 "cannot leave its cgroup\n"
				 "1\n"
				 "setuid Operation not permitted\n"
				 "1000\n"
				 "attach to the init Operation not permitted\n");
}

/* The same under clonekit run's own limits (cgroup v1 fallback or v2, as the host gives): the pids group holds. */
Test(sandbox_proc, run_uid_as_root_cannot_leave_its_limit_groups)
{
	const char *ck = getenv("CLONEKIT_BIN");
	char script[1024];
	need_root();
	cr_assert_not_null(ck, "CLONEKIT_BIN is not set (meson sets it)");
	int mode = ck_cgroup_mode("pids", NULL);
	if (mode != CK_CGROUP_V1 && mode != CK_CGROUP_V2)
		ck_skip_or_fail("no cgroup hierarchy holds the pids controller here (ck_cgroup_mode: %d)", mode);
	/* the hierarchy's root: v1's own mount, or the unified tree */
	const char *root = mode == CK_CGROUP_V1 ? "/sys/fs/cgroup/pids"
			   : access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 ? "/sys/fs/cgroup/unified"
										   : "/sys/fs/cgroup";
	snprintf(script, sizeof(script),
		 "echo $$ 2>/dev/null >%s/cgroup.procs && echo 'left its pids group' || echo 'cannot leave its pids group'\n"
		 "grep -c 'pids:/.*clonekit-spawn-\\|^0::/.*clonekit-spawn-' /proc/self/cgroup\n"
		 "cat /proc/self/status | grep ^Uid | tr '\\t' ' '\n",
		 root);
	char *argv[] = { (char *)ck, "run", "--pids-max", "64", "--uid", "1000", "--gid", "1000", "--die-with-parent", "--",
			 "/bin/sh", "-c", script, NULL };
	struct out o;
	in_runner(false, ck_run_runner, argv, &o);
	cr_assert_eq(o.status, 0, "%s", o.text);
	cr_assert_str_eq(o.text, "cannot leave its pids group\n1\nUid: 1000 1000 1000 1000\n");
}

/* A step the child runs says so (in_child), the init's own copy of the filters included. */
Test(sandbox_proc, a_failure_in_the_child_or_its_init_is_in_the_child)
{
	static const struct {
		enum ck__step step;
		bool in_child;
	} cases[] = {
		{ CK__STEP_INIT, true },    { CK__STEP_INIT_SECCOMP, true }, { CK__STEP_NETNS, true },
		{ CK__STEP_EXECVE, true },  { CK__STEP_CLONE, false },       { CK__STEP_CGROUP, false },
		{ CK__STEP_UID_MAP, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_spawn_error err = { .size = sizeof(err) };
		struct ck__failure f = { .step = cases[i].step, .err = EINVAL, .file = "/bin/true" };
		ck__spawn_error_set(&err, &f);
		cr_assert_eq(err.in_child, cases[i].in_child, "step %s", err.step);
	}
}
