/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit run: start a command through ck_spawn, in new namespaces if asked, and become its status. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/seccomp.h>

#include "cli.h"

/* Like env(1) and podman: the command's own status, else these. */
enum { RUN_FAILED = 125, RUN_NOT_EXECUTABLE = 126, RUN_NOT_FOUND = 127 };

static const char usage[] =
	"Usage: clonekit run [OPTIONS] -- CMD [ARGS...]\n\n"
	"Starts CMD through ck_spawn and exits with its status (128+N when a signal\n"
	"N killed it). SIGINT, SIGTERM and SIGHUP are forwarded to it; a second\n"
	"SIGINT or SIGTERM sends SIGKILL (PID 1 of a new PID namespace ignores\n"
	"signals it has no handler for).\n"
	"Own failures exit 125, a command that cannot be executed 126, one that is\n"
	"not found 127 (ENOENT: the command, or the interpreter its #! line names),\n"
	"as bash and env(1) do; the failing step is printed with what to change.\n\n"
	"Options:\n"
	"  --new NS[,NS...]      new namespaces: user, pid, net, mnt, uts, ipc, cgroup,\n"
	"                        time, or all\n"
	"  --share WHAT[,...]    keep sharing after execve: fs, io, sysvsem; vm asks for\n"
	"                        the CLONE_VM|CLONE_VFORK path (files and sighand end at\n"
	"                        execve, so they are refused)\n"
	"  --map-root            map your uid/gid to 0 in the new user namespace\n"
	"  --map-user            map your uid/gid to themselves\n"
	"  --uid-map IN:OUT:N    a uid range (repeatable); --gid-map likewise\n"
	"  --hostname NAME       hostname in the new UTS namespace (implies --new uts)\n"
	"  --mount-proc          a fresh /proc (implies --new mnt; needs --new pid)\n"
	"  --monotonic SECONDS   CLOCK_MONOTONIC offset (implies --new time)\n"
	"  --boottime SECONDS    CLOCK_BOOTTIME offset (implies --new time)\n"
	"  --cgroup DIR          start in this cgroup v2 directory (CLONE_INTO_CGROUP)\n"
	"  --cwd DIR             working directory\n"
	"  --die-with-parent     SIGKILL the command if clonekit dies\n"
	"  --exit-signal SIG     the child's exit signal; execve resets it to SIGCHLD,\n"
	"                        so it is seen only if the child ends before execve\n"
	"  --pidfd-wait          wait through a pidfd (the default)\n"
	"  --no-pidfd-wait       wait with waitpid() on the PID\n"
	"  --seccomp POLICY      load a seccomp policy just before execve, with\n"
	"                        no_new_privs: deny-namespaces, deny-userns or\n"
	"                        no-child-process (see clonekit seccomp --list)\n"
	"  --json                print how it ended (or failed) as one JSON line on\n"
	"                        stderr instead of messages; stdout stays the command's\n"
	"  --json-status FILE    write the same JSON line to FILE\n"
	"  -h, --help            this text\n";

static volatile sig_atomic_t child_pidfd = -1;
static volatile sig_atomic_t child_pid = -1;
static volatile sig_atomic_t pending_signal;
static volatile sig_atomic_t forwarded;

/*
 * Forwards sig to the command. PID 1 of a new PID namespace ignores signals
 * it has no handler for, so a second SIGINT or SIGTERM becomes SIGKILL.
 */
static void forward(int sig)
{
	int saved = errno;
	if ((sig == SIGINT || sig == SIGTERM) && forwarded++ > 0)
		sig = SIGKILL;
	if (child_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, (int)child_pidfd, sig, NULL, 0);
	else if (child_pid > 0)
		kill((pid_t)child_pid, sig);
	else
		pending_signal = sig;
	errno = saved;
}

/* unshare(1)'s names, in the order --new lists them and --json prints them. */
static const char *const ns_names[] = { "user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time" };

static int parse_namespaces(const char *arg, uint64_t *out)
{
	char *copy = strdup(arg), *save = NULL;
	int r = 0;
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct ck_flag *f;
		if (strcmp(t, "all") == 0) {
			*out |= CK_CLONE_NEWNS_ALL;
			continue;
		}
		f = ck_flag_by_name(t);
		if (!f || !(f->value & CK_CLONE_NEWNS_ALL)) {
			r = cli_usage_error("run", "--new '%s': expected user, pid, net, mnt, uts, ipc, cgroup, time or all",
					    t);
			break;
		}
		*out |= f->value;
	}
	free(copy);
	return r;
}

static int parse_share(const char *arg, uint64_t *out)
{
	char *copy = strdup(arg), *save = NULL;
	int r = 0;
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct ck_flag *f = ck_flag_by_name(t);
		uint64_t ok = CK_CLONE_VM | CK_CLONE_FS | CK_CLONE_IO | CK_CLONE_SYSVSEM;
		if (f && (f->value & (CK_CLONE_FILES | CK_CLONE_SIGHAND))) {
			r = cli_usage_error("run", "--share %s: execve gives the program its own %s, so nothing would stay shared",
					    t, f->value == CK_CLONE_FILES ? "file descriptor table" : "signal handlers");
			break;
		}
		if (!f || !(f->value & ok)) {
			r = cli_usage_error("run", "--share '%s': expected vm, fs, io or sysvsem", t);
			break;
		}
		*out |= f->value;
	}
	free(copy);
	return r;
}

static int parse_map(const char *opt, const char *arg, uint32_t v[3])
{
	unsigned long long x[3];
	char tail;
	if (sscanf(arg, "%llu:%llu:%llu%c", &x[0], &x[1], &x[2], &tail) != 3 ||
	    x[0] > UINT32_MAX || x[1] > UINT32_MAX || x[2] == 0 || x[2] > UINT32_MAX)
		return cli_usage_error("run", "%s '%s': expected INSIDE:OUTSIDE:COUNT", opt, arg);
	for (int i = 0; i < 3; i++)
		v[i] = (uint32_t)x[i];
	return 0;
}

/* Seconds with an optional sign and up to nine decimals: "3600", "-1.5". */
static int parse_offset(const char *opt, const char *arg, int64_t *sec, long *nsec)
{
	const char *p = arg;
	bool neg = *p == '-';
	uint64_t whole = 0;
	long frac = 0, scale = 100000000L;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > UINT64_C(1000000000000))
			goto bad;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			if (scale == 0)
				goto bad;
			else
				frac += (*p - '0') * scale;
	}
	if (*p)
		goto bad;
	/* the kernel wants a whole part and 0 <= nsec < 1e9 */
	*sec = neg ? -(int64_t)whole - (frac ? 1 : 0) : (int64_t)whole;
	*nsec = neg && frac ? 1000000000L - frac : frac;
	return 0;
bad:
	return cli_usage_error("run", "%s '%s': expected seconds, e.g. 3600 or -1.5", opt, arg);
}

/* How the run ended or failed, for a program: --json and --json-status. */
struct run_status {
	uint64_t namespaces;
	const struct ck_child *child;       /* NULL when the spawn failed */
	int status;                         /* waitpid()'s */
	const struct ck_spawn_error *err;   /* the spawn failed */
	int exit_code;
	double elapsed;
};

static void json_status(FILE *f, const struct run_status *st)
{
	struct jw w;
	jw_init(&w, f);
	jw_obj_begin(&w, NULL);
	if (st->child)
		jw_int(&w, "pid", ck_spawn_pid(st->child));
	else
		jw_null(&w, "pid");
	jw_arr_begin(&w, "namespaces");
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (st->namespaces & ck_flag_by_name(ns_names[i])->value)
			jw_str(&w, NULL, ns_names[i]);
	jw_arr_end(&w);
	if (!st->child) {
		jw_obj_begin(&w, "error");
		jw_str(&w, "step", st->err->step);
		jw_str(&w, "errno", ck_errno_name(st->err->err));
		jw_bool(&w, "in_child", st->err->in_child);
		jw_str(&w, "message", st->err->message);
		jw_str(&w, "rule", st->err->rule);
		jw_obj_end(&w);
		jw_int(&w, "exit_code", st->exit_code);
	} else {
		int status = st->status;
		jw_bool(&w, "vfork", ck_spawn_used_vfork(st->child));
		jw_int(&w, "status", status);
		jw_bool(&w, "exited", WIFEXITED(status));
		jw_int(&w, "exit_code", st->exit_code);
		if (WIFSIGNALED(status)) {
			char sig[16];
			jw_str(&w, "signal", ck_signal_name((unsigned)WTERMSIG(status), sig, sizeof(sig)));
			jw_bool(&w, "core_dumped", WCOREDUMP(status));
		} else {
			jw_null(&w, "signal");
		}
		jw_int(&w, "elapsed_us", (long long)(st->elapsed * 1e6));
		jw_null(&w, "error");
	}
	jw_obj_end(&w);
	jw_end_line(&w);
}

/* The JSON line in one write, so that it is not split among the command's own output. */
static void print_json(int fd, const struct run_status *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	json_status(m, st);
	if (fclose(m) == 0) {
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fd, buf + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	free(buf);
}

static void write_json_status(const char *path, const struct run_status *st)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		fprintf(stderr, "clonekit run: --json-status %s: %s\n", path, strerror(errno));
		return;
	}
	print_json(fd, st);
	close(fd);
}

/* What the user can change on this command line for a validator rule, if clonekit knows. */
static const struct {
	const char *rule;
	const char *fix;
} fixes[] = {
	{ "namespace-needs-cap-sys-admin",
	  "add --new user --map-root to create them inside a new user namespace, where you have CAP_SYS_ADMIN" },
};

static void print_error(const struct ck_spawn_error *err, int r)
{
	if (!err->step) {
		fprintf(stderr, "clonekit run: %s\n", strerror(-r));
		return;
	}
	fprintf(stderr, "clonekit run: %s", err->message);
	for (size_t i = 0; err->rule && i < sizeof(fixes) / sizeof(fixes[0]); i++)
		if (strcmp(err->rule, fixes[i].rule) == 0)
			fprintf(stderr, "; %s", fixes[i].fix);
	fputc('\n', stderr);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_run(int argc, char **argv)
{
	enum {
		OPT_NEW = 0x200, OPT_SHARE, OPT_MAP_ROOT, OPT_MAP_USER, OPT_UID_MAP, OPT_GID_MAP,
		OPT_HOSTNAME, OPT_MOUNT_PROC, OPT_MONO, OPT_BOOT, OPT_CGROUP, OPT_CWD, OPT_DWP,
		OPT_EXIT_SIGNAL, OPT_PIDFD, OPT_NO_PIDFD, OPT_JSON_STATUS, OPT_SECCOMP, OPT_JSON,
	};
	static const struct option longopts[] = {
		{ "new", required_argument, NULL, OPT_NEW },
		{ "share", required_argument, NULL, OPT_SHARE },
		{ "map-root", no_argument, NULL, OPT_MAP_ROOT },
		{ "map-user", no_argument, NULL, OPT_MAP_USER },
		{ "uid-map", required_argument, NULL, OPT_UID_MAP },
		{ "gid-map", required_argument, NULL, OPT_GID_MAP },
		{ "hostname", required_argument, NULL, OPT_HOSTNAME },
		{ "mount-proc", no_argument, NULL, OPT_MOUNT_PROC },
		{ "monotonic", required_argument, NULL, OPT_MONO },
		{ "boottime", required_argument, NULL, OPT_BOOT },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "die-with-parent", no_argument, NULL, OPT_DWP },
		{ "exit-signal", required_argument, NULL, OPT_EXIT_SIGNAL },
		{ "pidfd-wait", no_argument, NULL, OPT_PIDFD },
		{ "no-pidfd-wait", no_argument, NULL, OPT_NO_PIDFD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "json-status", required_argument, NULL, OPT_JSON_STATUS },
		{ "seccomp", required_argument, NULL, OPT_SECCOMP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t namespaces = 0, share = 0;
	bool pidfd_wait = true, json = false;
	const char *json_status = NULL;
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *child = NULL;
	uint32_t map[3] = { 0, 0, 0 };
	int64_t sec = 0;
	long nsec = 0;
	unsigned sig;
	int c, r = 0, status = 0;

	struct ck_spawn_attr *attr = ck_spawn_attr_new();
	if (!attr) {
		fprintf(stderr, "clonekit run: %s\n", strerror(errno));
		return RUN_FAILED;
	}
	optind = 1;
	while (r == 0 && (c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NEW: r = parse_namespaces(optarg, &namespaces); break;
		case OPT_SHARE: r = parse_share(optarg, &share); break;
		case OPT_MAP_ROOT: r = ck_spawn_attr_map_root(attr); namespaces |= CK_CLONE_NEWUSER; break;
		case OPT_MAP_USER: r = ck_spawn_attr_map_user(attr); namespaces |= CK_CLONE_NEWUSER; break;
		case OPT_UID_MAP:
		case OPT_GID_MAP:
			r = parse_map(c == OPT_UID_MAP ? "--uid-map" : "--gid-map", optarg, map);
			if (r == 0)
				r = (c == OPT_UID_MAP ? ck_spawn_attr_add_uid_map : ck_spawn_attr_add_gid_map)(
					attr, map[0], map[1], map[2]);
			if (r < 0)
				r = cli_usage_error("run", "%s '%s': a range that ends past 4294967294, or more than 340 ranges",
						    c == OPT_UID_MAP ? "--uid-map" : "--gid-map", optarg);
			namespaces |= CK_CLONE_NEWUSER;
			break;
		case OPT_HOSTNAME:
			if (ck_spawn_attr_set_hostname(attr, optarg) < 0)
				r = cli_usage_error("run", "--hostname '%s': at most 64 bytes", optarg);
			namespaces |= CK_CLONE_NEWUTS;
			break;
		case OPT_MOUNT_PROC:
			r = ck_spawn_attr_set_mount_proc(attr, true);
			namespaces |= CK_CLONE_NEWNS;
			break;
		case OPT_MONO:
		case OPT_BOOT:
			r = parse_offset(c == OPT_MONO ? "--monotonic" : "--boottime", optarg, &sec, &nsec);
			if (r == 0)
				r = ck_spawn_attr_set_time_offset(attr, c == OPT_MONO ? CLOCK_MONOTONIC : CLOCK_BOOTTIME,
								  sec, nsec);
			namespaces |= CK_CLONE_NEWTIME;
			break;
		case OPT_CGROUP:
			if (ck_spawn_attr_set_cgroup(attr, optarg) < 0)
				r = cli_usage_error("run", "--cgroup '%s': %s", optarg, strerror(errno ? errno : ENOENT));
			break;
		case OPT_CWD: r = ck_spawn_attr_set_cwd(attr, optarg); break;
		case OPT_DWP: r = ck_spawn_attr_set_die_with_parent(attr, SIGKILL); break;
		case OPT_EXIT_SIGNAL:
			if (ck_signal_parse(optarg, &sig) < 0 || sig > 64)
				r = cli_usage_error("run", "--exit-signal '%s': not a signal name or number 0-64", optarg);
			else
				r = ck_spawn_attr_set_exit_signal(attr, (int)sig);
			break;
		case OPT_PIDFD: pidfd_wait = true; break;
		case OPT_NO_PIDFD: pidfd_wait = false; break;
		case OPT_JSON: json = true; break;
		case OPT_JSON_STATUS: json_status = optarg; break;
		case OPT_SECCOMP: {
			struct ck_seccomp_policy *p = ck_seccomp_policy_named(optarg);
			if (!p) {
				r = cli_usage_error("run", "--seccomp '%s': expected deny-namespaces, deny-userns or no-child-process",
						    optarg);
				break;
			}
			int e = ck_spawn_attr_set_seccomp(attr, p);
			ck_seccomp_policy_free(p);
			if (e < 0) {
				fprintf(stderr, "clonekit run: --seccomp %s: cannot compile the filter: %s\n", optarg,
					strerror(-e));
				r = RUN_FAILED;
			}
			break;
		}
		case 'h':
			fputs(usage, stdout);
			ck_spawn_attr_free(attr);
			return CK_EXIT_OK;
		default:
			r = cli_option_error("run", c, argv);
		}
	}
	if (r == 0 && optind >= argc)
		r = cli_usage_error("run", "no command given (clonekit run [OPTIONS] -- CMD [ARGS])");
	if (r == 0)
		r = ck_spawn_attr_set_namespaces(attr, namespaces);
	if (r == 0)
		r = ck_spawn_attr_set_share(attr, share);
	if (r != 0) {
		ck_spawn_attr_free(attr);
		return RUN_FAILED; /* usage errors too, as env(1) and podman do */
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	double t0 = now();
	struct run_status st = { .namespaces = namespaces, .err = &err };
	r = ck_spawn(&child, argv[optind], argv + optind, NULL, attr, &err);
	ck_spawn_attr_free(attr);
	if (r < 0) {
		st.exit_code = RUN_FAILED;
		if (err.step && strcmp(err.step, "execve") == 0)
			st.exit_code = err.err == ENOENT ? RUN_NOT_FOUND : RUN_NOT_EXECUTABLE;
		if (!err.step) /* no step: ck_spawn could not even start (ENOMEM) */
			snprintf(err.message, sizeof(err.message), "%s", strerror(-r));
		if (json)
			print_json(STDERR_FILENO, &st);
		else
			print_error(&err, r);
		if (json_status)
			write_json_status(json_status, &st);
		return st.exit_code;
	}
	child_pid = ck_spawn_pid(child);
	child_pidfd = ck_spawn_pidfd(child);
	if (pending_signal) {
		forwarded = 0;
		forward(pending_signal);
	}

	if (pidfd_wait) {
		r = ck_spawn_wait(child, &status);
	} else {
		while ((r = waitpid(ck_spawn_pid(child), &status, __WALL)) < 0 && errno == EINTR)
			;
		r = r < 0 ? -errno : 0;
	}
	st.elapsed = now() - t0;
	if (r < 0) {
		fprintf(stderr, "clonekit run: wait: %s\n", strerror(-r));
		ck_spawn_free(child);
		return RUN_FAILED;
	}
	st.child = child;
	st.status = status;
	st.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (json)
		print_json(STDERR_FILENO, &st);
	if (json_status)
		write_json_status(json_status, &st);
	child_pidfd = -1;
	child_pid = -1;
	ck_spawn_free(child);
	return st.exit_code;
}
