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
#include "../lib/internal/outfile.h"
#include "../lib/internal/util.h"

/* Like env(1) and podman: the command's own status, else 125 (126 and 127: cli_spawn_exit_code). */
enum { RUN_FAILED = 125 };

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
ATTR_OPTIONS_HELP
	"  --pidfd-wait          wait through a pidfd (the default)\n"
	"  --no-pidfd-wait       wait with waitpid() on the PID\n"
	"  --json                print how it ended (or failed) as one JSON line on\n"
	"                        stderr instead of messages; stdout stays the command's\n"
	"  --json-status FILE    write the same JSON line to FILE, whole or not at all\n"
	"                        (clonekit(1), FILES)\n"
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
	if (child_pid > 0)
		ck__signal_child((pid_t)child_pid, (int)child_pidfd, sig);
	else
		pending_signal = sig;
	errno = saved;
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
	jw_namespaces(&w, "namespaces", st->namespaces);
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

/* The JSON line in one write, so that it is not split among the command's own output: 0 or -errno. */
static int print_json(int fd, const struct run_status *st)
{
	char *buf = NULL;
	size_t len = 0;
	int r = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -errno;
	json_status(m, st);
	if (fclose(m) != 0)
		r = -ENOMEM;
	for (size_t off = 0; r == 0 && off < len;) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	free(buf);
	return r;
}

/* --json-status FILE, written whole or not at all (lib/internal/outfile.h). */
static void write_json_status(const char *path, const struct run_status *st)
{
	struct ck__outfile o;
	int r = ck__outfile_open(&o, path, 0666, CK__OUTFILE_UMASK);

	if (r == 0) {
		r = print_json(o.fd, st);
		r = r < 0 ? ck__outfile_abandon(&o, -r, "write") : ck__outfile_commit(&o);
	}
	if (r < 0)
		fprintf(stderr, "clonekit run: --json-status %s: %s\n", path, o.error);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_PIDFD = 0x200, OPT_NO_PIDFD, OPT_JSON_STATUS, OPT_JSON };
	static const struct option longopts[] = {
		ATTR_LONG_OPTIONS,
		{ "pidfd-wait", no_argument, NULL, OPT_PIDFD },
		{ "no-pidfd-wait", no_argument, NULL, OPT_NO_PIDFD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "json-status", required_argument, NULL, OPT_JSON_STATUS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool pidfd_wait = true, json = false;
	const char *json_status = NULL;
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *child = NULL;
	struct attr_opts ao;
	struct sbx sb;
	unsigned words = (unsigned)argc;
	int c, n, r = 0, status = 0;

	if (attr_opts_init(&ao) < 0) {
		fprintf(stderr, "clonekit run: %s\n", strerror(ENOMEM));
		return RUN_FAILED;
	}
	sbx_init(&sb, SBX_OWN, "run");
	optind = 1;
	while (r == 0 && optind < argc) {
		/* the sandbox options first (cli/sandbox_opts.c), then run's own */
		if ((n = sbx_own_option(&sb, argc - optind, argv + optind, &words)) != 0) {
			if (n < 0)
				r = RUN_FAILED;
			else
				optind += n;
			continue;
		}
		if ((c = cli_getopt(argc, argv, "+h", longopts)) == -1)
			break;
		switch (c) {
		case OPT_PIDFD: pidfd_wait = true; break;
		case OPT_NO_PIDFD: pidfd_wait = false; break;
		case OPT_JSON: json = true; break;
		case OPT_JSON_STATUS: json_status = optarg; break;
		case 'h':
			fputs(usage, stdout);
			fputs("\nSandbox options (bwrap's, with clonekit's names; clonekit bwrap --help):\n", stdout);
			sbx_own_usage(stdout);
			sbx_release(&sb);
			attr_opts_release(&ao);
			return CK_EXIT_OK;
		default:
			if (c >= ATTR_OPT_FIRST && c < ATTR_OPT_END)
				r = attr_opts_apply(&ao, "run", c, optarg);
			else
				r = cli_option_error("run");
		}
	}
	if (r == 0 && optind >= argc)
		r = cli_usage_error("run", "no command given (clonekit run [OPTIONS] -- CMD [ARGS])");
	/* the sandbox options' namespaces (a mount namespace for mounts, a user namespace for --uid) */
	ao.namespaces |= sbx_namespaces(&sb);
	if (r == 0)
		r = attr_opts_finish(&ao);
	if (r == 0 && sbx_used(&sb) && sbx_apply(&sb, ao.attr) < 0)
		r = RUN_FAILED;
	if (r != 0) {
		sbx_release(&sb);
		attr_opts_release(&ao);
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
	struct run_status st = { .namespaces = ao.namespaces, .err = &err };
	r = ck_spawn(&child, argv[optind], argv + optind, NULL, ao.attr, &err);
	attr_opts_release(&ao);
	sbx_close_status_fds(&sb);
	sbx_release(&sb);
	if (r < 0) {
		st.exit_code = cli_spawn_exit_code(&err);
		if (!err.step) /* no step: ck_spawn could not even start (ENOMEM) */
			snprintf(err.message, sizeof(err.message), "%s", strerror(-r));
		if (json)
			print_json(STDERR_FILENO, &st);
		else
			cli_spawn_error("run", &err, r);
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
