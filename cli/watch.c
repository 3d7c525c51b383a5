/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit watch: every process-creation call on the host, through eBPF, judged by the rules. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clonekit/detect.h>
#include <clonekit/watch.h>

#include "cli.h"

#define CMD "watch"

static const char usage[] =
	"Usage: clonekit watch [--json] [--rules FILE] [--duration S] [--cgroup DIR]\n"
	"                      [--no-compat]\n\n"
	"Watches every clone, clone3, fork, vfork, unshare and setns on the host with\n"
	"eBPF and prints each call as strace does, once it has returned, prefixed by\n"
	"[pid N comm] (PIDs of the initial PID namespace; the result is the caller's\n"
	"view); with --json, one JSON object per line (docs/event-schema.md).\n"
	"The detection rules judge every call; an alert prints as\n"
	"'ALERT <priority> <rule>: <message>' on stderr, or with --json as an\n"
	"{\"alert\":...} line among the events. At the end (--duration elapsed, or\n"
	"SIGINT/SIGTERM) a summary gives the events seen, the events lost and the\n"
	"alerts.\n\n"
	"Needs root (CAP_BPF and CAP_PERFMON).\n\n"
	"Two programs, on the raw sys_enter and sys_exit tracepoints, run on every\n"
	"system call of every task and return at once unless it is one of the six\n"
	"(clonekit(1) has the cost). On x86_64 they see i386 calls too (-m32\n"
	"programs, int $0x80 from any program; the syscalls:* tracepoints skip\n"
	"those): such calls print with 'i386' after the command name, and have\n"
	"\"arch\":\"i386\" in JSON.\n\n"
	"Options:\n"
	"  --json           JSON Lines: events, alerts and the summary\n"
	"  --rules FILE     add the rules in FILE to the defaults (docs/rules.md); a\n"
	"                   rule named like a default replaces it\n"
	"  --duration S     stop after S seconds (decimals allowed)\n"
	"  --cgroup DIR     only calls by tasks in this cgroup v2 directory or below\n"
	"  --no-compat      do not report i386 calls\n"
	"  -h, --help       this text\n\n"
	"Exit status: 0 after a watch, 1 when the watch cannot start, 2 for usage\n"
	"errors and rule files that do not parse.\n";

#if CK_HAVE_WATCHER
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct watch_state {
	bool json;
	struct ck_detect *rules;
	const struct ck_arch_info *native;
	uint64_t events;
	uint64_t alerts;
};

static void on_alert(const struct ck_alert *a, void *data)
{
	struct watch_state *s = data;

	s->alerts++;
	cli_print_alert(s->json ? stdout : NULL, a);
}

static void on_event(const struct ck_event *e, void *data)
{
	struct watch_state *s = data;
	char buf[4096], *text;

	s->events++;
	if (s->json) {
		text = cli_event_text(ck_event_format_json, e, buf, sizeof(buf));
		fprintf(stdout, "%s\n", text);
	} else {
		const struct ck_arch_info *arch = ck_arch_at((size_t)e->arch);
		text = cli_event_text(ck_event_format_strace, e, buf, sizeof(buf));
		if (arch && arch != s->native)
			fprintf(stdout, "[pid %d %s %s] %s\n", e->tid, e->comm, arch->name, text);
		else
			fprintf(stdout, "[pid %d %s] %s\n", e->tid, e->comm, text);
	}
	if (text != buf)
		free(text);
	ck_detect_feed(s->rules, e, on_alert, s);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_rules(struct watch_state *s, const char *file)
{
	return cli_load_rules("watch", file, CK_EXIT_NO, &s->rules);
}

static void summary(const struct watch_state *s, uint64_t drops, double seconds)
{
	if (s->json) {
		struct jw w;

		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_obj_begin(&w, "summary");
		jw_uint(&w, "events", s->events);
		jw_uint(&w, "drops", drops);
		jw_uint(&w, "alerts", s->alerts);
		jw_int(&w, "elapsed_ms", (long long)(seconds * 1e3));
		jw_obj_end(&w);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	fflush(stdout);
	fprintf(stderr, "clonekit watch: %" PRIu64 " event%s, %" PRIu64 " lost, %" PRIu64 " alert%s in %.1f s\n",
		s->events, s->events == 1 ? "" : "s", drops, s->alerts, s->alerts == 1 ? "" : "s", seconds);
}

int cmd_watch(int argc, char **argv)
{
	enum { OPT_JSON = 0x200, OPT_RULES, OPT_DURATION, OPT_CGROUP, OPT_NO_COMPAT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "no-compat", no_argument, NULL, OPT_NO_COMPAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_state s = { .native = ck_arch_native() };
	struct ck_watch_opts opts = { .size = sizeof(opts) };
	struct ck_watch_error err = { .size = sizeof(err) };
	struct ck_watcher *w = NULL;
	const char *rules_file = NULL;
	double duration = 0, start, end;
	struct sigaction sa;
	char *tail;
	int c, r;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case OPT_JSON:
			s.json = true;
			break;
		case OPT_RULES:
			rules_file = optarg;
			break;
		case OPT_DURATION:
			errno = 0;
			duration = strtod(optarg, &tail);
			if (errno || tail == optarg || *tail || !isfinite(duration) || duration <= 0)
				return cli_usage_error(CMD, "--duration '%s': expected seconds above 0, e.g. 10 or 0.5",
						       optarg);
			break;
		case OPT_CGROUP:
			opts.cgroup = optarg;
			break;
		case OPT_NO_COMPAT:
			opts.no_compat = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return CK_EXIT_OK;
		default:
			return cli_option_error(CMD);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

	r = load_rules(&s, rules_file);
	if (r != 0) {
		ck_detect_free(s.rules);
		return r;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	r = ck_watcher_open(&w, &opts, &err);
	if (r < 0) {
		fprintf(stderr, "clonekit watch: %s\n", err.message);
		if (r == -EPERM || r == -EACCES)
			fprintf(stderr, "clonekit watch: run it as root\n");
		ck_detect_free(s.rules);
		return CK_EXIT_NO;
	}
	fprintf(stderr, "clonekit watch: watching clone, clone3, fork, vfork, unshare and setns%s%s%s%s\n",
		opts.cgroup ? " in " : " host-wide", opts.cgroup ? opts.cgroup : "",
		opts.no_compat ? ", not i386 calls" : "", duration > 0 ? "" : "; Ctrl-C stops");

	start = now();
	end = start + duration;
	while (!stop) {
		int timeout = 1000;
		if (duration > 0) {
			double left = end - now();
			if (left <= 0)
				break;
			if (left * 1e3 < timeout)
				timeout = (int)(left * 1e3) + 1;
		}
		r = ck_watcher_poll(w, timeout, on_event, &s);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "clonekit watch: %s\n", strerror(-r));
			break;
		}
		fflush(stdout);
	}
	ck_watcher_poll(w, 0, on_event, &s);
	summary(&s, ck_watcher_drops(w), now() - start);
	ck_watcher_close(w);
	ck_detect_free(s.rules);
	return r < 0 && r != -EINTR ? CK_EXIT_NO : CK_EXIT_OK;
}
#else
/* Built without the watcher (meson -Dwatch): the command stays, and says so. */
int cmd_watch(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			fputs("\nThis clonekit was built without the eBPF watcher.\n", stdout);
			return CK_EXIT_OK;
		}
	}
	fprintf(stderr, "clonekit watch: this clonekit was built without the eBPF watcher "
			"(meson -Dwatch=disabled, or no clang, bpftool, libbpf or kernel BTF at build time)\n");
	return CK_EXIT_NO;
}
#endif
