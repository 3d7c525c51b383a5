/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit trace: follow one process tree with ptrace and print its process-creation calls as strace does. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/detect.h>
#include <clonekit/trace.h>

#include "cli.h"
#include "../lib/internal/outfile.h"

static const char CMD[] = "trace";

/* Like env(1) and clonekit run: the command's own status, else 125 (126 and 127: cli_spawn_exit_code). */
enum { TRACE_FAILED = 125 };

static const char usage[] =
	"Usage: clonekit trace [-o FILE] [--json] [--rules FILE] [--seccomp-bpf] [LAUNCH OPTIONS]\n"
	"                      -- CMD [ARGS...]\n"
	"       clonekit trace [-o FILE] [--json] [--rules FILE] -p PID\n\n"
	"Runs CMD, or attaches to the running process PID and all its threads, and\n"
	"follows every process and thread they create (-f is implied), CLONE_UNTRACED\n"
	"children too. Each clone, clone3, fork, vfork, unshare and setns call prints\n"
	"as strace prints it, prefixed with '[pid N] ' when another task than the\n"
	"first makes it.\n\n"
	"The traced tasks are stopped at every system call (two stops each, which\n"
	"slows programs that make many), so that nothing of the tracer stays in\n"
	"them: SIGINT, SIGTERM and SIGHUP detach from every task, leaving it running\n"
	"as it would untraced, and exit with 128+N; if clonekit is killed, the\n"
	"kernel detaches them the same way.\n\n"
	"--seccomp-bpf trades that for speed, as the kernel offers no way to have\n"
	"both: CMD gets a seccomp filter that stops the tracer only at those six\n"
	"calls. A filter cannot be removed, and with no tracer it makes those calls\n"
	"fail with ENOSYS, so the traced processes end with clonekit: SIGINT,\n"
	"SIGTERM, SIGHUP or clonekit's death kill them (SIGKILL). The filter also\n"
	"needs no_new_privs: setuid programs run without their privileges.\n\n"
	"The detection rules judge every call; an alert prints as\n"
	"'ALERT <priority> <rule>: <message>' on stderr, or with --json as an\n"
	"{\"alert\":...} line among the events.\n\n"
	"Options:\n"
	"  -o, --output FILE  write the events to FILE instead of standard output: a\n"
	"                     new file, in place from the start (clonekit(1), FILES)\n"
	"  --json             JSON Lines: one object per event (docs/event-schema.md)\n"
	"                     and per alert\n"
	"  --rules FILE       add the rules in FILE to the defaults (docs/rules.md)\n"
	"  -p, --pid PID      attach to PID instead of running a command\n"
	"  -f, --follow       follow children (always on; accepted for strace's sake)\n"
	"  --seccomp-bpf      give CMD the seccomp filter (above): faster, but CMD\n"
	"                     ends with clonekit and loses setuid privileges; not\n"
	"                     with -p or --seccomp POLICY (whose refusals would come\n"
	"                     before the tracer's stop)\n"
	"  --no-seccomp       stop CMD at every system call (the default)\n"
	"  -h, --help         this text\n\n"
	"Launch options, as for clonekit run (CMD gets every other fd clonekit has\n"
	"that is not close-on-exec, as with strace):\n"
	ATTR_OPTIONS_HELP "\n"
	"Exit status: the command's (128+N when signal N killed it); 125 when clonekit\n"
	"itself fails, 126 when CMD cannot be executed, 127 when it is not found, 2 for\n"
	"a usage error or a rule that does not parse.\n";

struct trace_state {
	FILE *out;
	bool json;
	pid_t first;
	struct ck_detect *rules;
};

static struct ck_tracer *volatile the_tracer;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	int saved = errno;
	if (!got_signal)
		got_signal = sig;
	if (the_tracer)
		ck_trace_stop(the_tracer);
	errno = saved;
}

static void on_alert(const struct ck_alert *a, void *data)
{
	struct trace_state *s = data;

	cli_print_alert(s->json ? s->out : NULL, a);
}

static void on_event(const struct ck_event *e, void *data)
{
	struct trace_state *s = data;
	char buf[4096], *text;

	if (s->json) {
		text = cli_event_text(ck_event_format_json, e, buf, sizeof(buf));
		fprintf(s->out, "%s\n", text);
	} else {
		text = cli_event_text(ck_event_format_strace, e, buf, sizeof(buf));
		if (e->tid != s->first)
			fprintf(s->out, "[pid %5d] %s\n", e->tid, text);
		else
			fprintf(s->out, "%s\n", text);
	}
	if (text != buf)
		free(text);
	if (s->rules)
		ck_detect_feed(s->rules, e, on_alert, s);
}

static int load_rules(struct trace_state *s, const char *file)
{
	return cli_load_rules(CMD, file, TRACE_FAILED, &s->rules);
}

static int parse_pid(const char *arg, pid_t *pid)
{
	if (cli_parse_pid(arg, pid) < 0)
		return cli_usage_error(CMD, "-p '%s': expected a process ID", arg);
	return 0;
}

static int start(struct trace_state *s, pid_t pid, char **argv, unsigned flags,
		 const struct ck_spawn_attr *attr, struct ck_tracer **t)
{
	struct ck_trace_opts opts = { .size = sizeof(opts), .flags = flags };
	struct ck_spawn_error err = { .size = sizeof(err) };
	int r;

	if (pid > 0) {
		r = ck_trace_attach(t, pid, &opts);
		if (r < 0) {
			fprintf(stderr, "clonekit %s: attach to %d: %s\n", CMD, (int)pid, strerror(-r));
			return TRACE_FAILED;
		}
		s->first = pid;
		return 0;
	}
	r = ck_trace_spawn(t, argv, NULL, attr, &opts, &err);
	if (r < 0) {
		cli_spawn_error(CMD, &err, r);
		return cli_spawn_exit_code(&err);
	}
	s->first = ck_trace_pid(*t);
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	enum { OPT_JSON = 0x200, OPT_RULES, OPT_NO_SECCOMP, OPT_SECCOMP_BPF };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "pid", required_argument, NULL, 'p' },
		{ "follow", no_argument, NULL, 'f' },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "seccomp-bpf", no_argument, NULL, OPT_SECCOMP_BPF },
		ATTR_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace_state s = { .out = stdout };
	struct ck__outfile of;                  /* -o: its stream's write errors */
	const char *output = NULL, *rules_file = NULL;
	struct ck_tracer *t = NULL;
	struct attr_opts ao;
	bool launch_opts = false, policy = false;
	unsigned flags = 0;
	pid_t pid = 0;
	struct sbx sb;
	unsigned words = (unsigned)argc;
	int c, n, r = 0, status;

	if (attr_opts_init(&ao) < 0) {
		fprintf(stderr, "clonekit %s: %s\n", CMD, strerror(ENOMEM));
		return TRACE_FAILED;
	}

	sbx_init(&sb, SBX_OWN, CMD);
	optind = 1;
	while (r == 0 && optind < argc) {
		/* the sandbox options first (cli/sandbox_opts.c), as for run */
		if ((n = sbx_own_option(&sb, argc - optind, argv + optind, &words)) != 0) {
			if (n < 0)
				r = TRACE_FAILED;
			else
				optind += n;
			launch_opts = true;
			continue;
		}
		if ((c = cli_getopt(argc, argv, "+o:p:fh", longopts)) == -1)
			break;
		switch (c) {
		case 'o': output = optarg; break;
		case OPT_JSON: s.json = true; break;
		case OPT_RULES: rules_file = optarg; break;
		case 'p': r = parse_pid(optarg, &pid); break;
		case 'f': break;
		case OPT_NO_SECCOMP: flags |= CK_TRACE_NO_SECCOMP; break;
		case OPT_SECCOMP_BPF: flags |= CK_TRACE_SECCOMP; break;
		case 'h':
			fputs(usage, stdout);
			fputs("Sandbox options, as for clonekit run:\n", stdout);
			sbx_own_usage(stdout);
			sbx_release(&sb);
			attr_opts_release(&ao);
			return CK_EXIT_OK;
		default:
			if (c >= ATTR_OPT_FIRST && c < ATTR_OPT_END) {
				launch_opts = true;
				policy |= c == ATTR_OPT_SECCOMP;
				if ((r = attr_opts_apply(&ao, CMD, c, optarg)) != 0 && r != CK_EXIT_USAGE)
					r = TRACE_FAILED;
			} else {
				r = cli_option_error(CMD);
			}
		}
	}
	if (r == 0 && pid > 0 && optind < argc)
		r = cli_usage_error(CMD, "-p and a command exclude each other");
	if (r == 0 && pid == 0 && optind >= argc)
		r = cli_usage_error(CMD, "no command given (clonekit trace [OPTIONS] -- CMD [ARGS], or -p PID)");
	if (r == 0 && (flags & CK_TRACE_SECCOMP) && (flags & CK_TRACE_NO_SECCOMP))
		r = cli_usage_error(CMD, "--seccomp-bpf and --no-seccomp exclude each other");
	if (r == 0 && policy && (flags & CK_TRACE_SECCOMP))
		r = cli_usage_error(CMD, "--seccomp-bpf and --seccomp POLICY exclude each other: the policy's "
				    "refusals would come before the tracer's stop");
	if (r == 0 && pid > 0 && (flags & CK_TRACE_SECCOMP))
		r = cli_usage_error(CMD, "--seccomp-bpf goes with a command: a running process cannot be given a filter");
	if (r == 0 && pid > 0 && (flags & CK_TRACE_NO_SECCOMP))
		r = cli_usage_error(CMD, "--no-seccomp goes with a command: -p never installs the filter");
	if (r == 0 && pid > 0 && launch_opts)
		r = cli_usage_error(CMD, "launch options (--new, --map-root, ...) go with a command, not -p");
	ao.namespaces |= sbx_namespaces(&sb);
	if (r == 0 && (r = attr_opts_finish(&ao)) < 0)
		r = cli_usage_error(CMD, "%s", strerror(-r));
	if (r == 0 && sbx_used(&sb) && sbx_apply(&sb, ao.attr) < 0)
		r = TRACE_FAILED;
	/* like strace, the command gets every fd clonekit has that is not close-on-exec */
	if (r == 0 && (r = ck_spawn_attr_set_keep_fds(ao.attr, true)) < 0)
		r = TRACE_FAILED;
	if (r != 0) {
		sbx_release(&sb);
		attr_opts_release(&ao);
		return r;
	}
	if ((r = load_rules(&s, rules_file)) != 0) {
		ck_detect_free(s.rules);
		sbx_release(&sb);
		attr_opts_release(&ao);
		return r;
	}
	if (output) {
		/* a log: in place at once, growing as events come (lib/internal/outfile.h) */
		r = ck__outfile_open(&of, output, 0666, CK__OUTFILE_STREAM | CK__OUTFILE_UMASK);
		if (r == 0 && !(s.out = ck__outfile_fdopen(&of)))
			r = ck__outfile_abandon(&of, errno, "fdopen");
		if (r < 0) {
			fprintf(stderr, "clonekit %s: -o %s: %s\n", CMD, output, of.error);
			ck_detect_free(s.rules);
			sbx_release(&sb);
			attr_opts_release(&ao);
			return TRACE_FAILED;
		}
	}
	/* a line at a time: a reader of a pipe sees each call as it happens */
	setvbuf(s.out, NULL, _IOLBF, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	r = start(&s, pid, argv + optind, flags, ao.attr, &t);
	attr_opts_release(&ao);
	sbx_close_status_fds(&sb);
	sbx_release(&sb);
	if (r == 0) {
		the_tracer = t;
		if (got_signal)
			ck_trace_stop(t);
		r = ck_trace_run(t, on_event, &s);
		the_tracer = NULL;
		if (r == -ECANCELED) {
			if (ck_trace_uses_seccomp(t))
				fprintf(stderr, "clonekit %s: stopped; the command's processes were killed (SIGKILL): "
						"with --seccomp-bpf they carry a filter that makes their "
						"process-creation calls fail once no tracer follows them\n", CMD);
			r = 128 + got_signal;
		} else if (r < 0) {
			fprintf(stderr, "clonekit %s: %s\n", CMD, strerror(-r));
			r = TRACE_FAILED;
		} else if (ck_trace_status(t, &status) == 0) {
			r = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		} else {
			r = CK_EXIT_OK;
		}
		ck_trace_free(t);
	}
	if (s.out != stdout) {
		fclose(s.out);
		if (of.write_err && r == 0) {
			fprintf(stderr, "clonekit %s: -o %s: write: %s (%s)\n", CMD, output,
				ck_errno_name(of.write_err) ? ck_errno_name(of.write_err) : "errno",
				strerror(of.write_err));
			r = TRACE_FAILED;
		}
	}
	fflush(stdout);
	ck_detect_free(s.rules);
	return r;
}
