/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit watch: every process-creation call on the host, through eBPF, judged by the rules. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/detect.h>
#include <clonekit/watch.h>

#include "cli.h"
#include "../lib/internal/escape.h"

#define CMD "watch"

static const char usage[] =
	"Usage: clonekit watch [--json] [--rules FILE] [--duration S] [--cgroup DIR]\n"
	"                      [--no-compat]\n\n"
	"Watches every clone, clone3, fork, vfork, unshare and setns on the host with\n"
	"eBPF and prints each call as strace does, once it has returned, prefixed by\n"
	"[pid N comm] (PIDs of the initial PID namespace; the result is the caller's\n"
	"view); with --json, one JSON object per line (docs/event-schema.md), whose\n"
	"exe is the caller's executable, named by the eBPF program at the call.\n"
	"The detection rules judge every call; an alert prints as\n"
	"'ALERT <priority> <rule>: <message>' on stderr, or with --json as an\n"
	"{\"alert\":...} line among the events.\n\n"
	"The watch ends within a second of --duration elapsing, SIGINT, SIGTERM or\n"
	"SIGHUP, however fast calls come and however slowly its output is read, and\n"
	"prints a summary: the events judged, those lost (in the kernel: the ring\n"
	"buffer was full, or still held them at the end; not printed: the output\n"
	"was blocked) and the alerts. Its output never waits: lines that find its\n"
	"1 MiB queue full are not printed, and counted (once a second on stderr as\n"
	"they happen); the rules still judge their events. A reader that closes\n"
	"stdout ends the watch.\n\n"
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
	stop = sig;
}

/*
 * Output that never blocks the watch: whole lines wait in a queue of at most
 * QUEUE_BYTES and go out as the fd takes them. A line that finds no room is
 * not printed, and counted; the watch goes on judging every event.
 */
#define QUEUE_BYTES (1u << 20)

struct outq {
	int fd;           /* where the lines go */
	int wfd;          /* what is written: a non-blocking open of fd where it has one */
	bool sock;        /* fd is a socket: send() with MSG_DONTWAIT */
	bool pipe;        /* a pipe, FIFO or terminal: whole lines, PIPE_BUF at a time */
	bool blocking;    /* wfd blocks: written only when poll says it has room */
	bool closed;      /* writing failed: nothing more goes out */
	bool gone;        /* ... because its reader is gone (EPIPE) */
	char *buf;
	size_t head, len; /* the queued bytes: buf[head, head + len) */
};

/*
 * A pipe, FIFO or terminal is opened again through /proc/self/fd with
 * O_NONBLOCK: a file description of its own, so the flag reaches no other
 * process sharing fd. A socket takes MSG_DONTWAIT per call. A regular file
 * does not block.
 */
static int outq_init(struct outq *q, int fd)
{
	struct stat st;

	*q = (struct outq){ .fd = fd, .wfd = fd };
	q->buf = malloc(QUEUE_BYTES);
	if (!q->buf)
		return -ENOMEM;
	if (fstat(fd, &st) < 0) {
		q->closed = true;
		return 0;
	}
	if (S_ISSOCK(st.st_mode)) {
		q->sock = true;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		char path[64];
		q->pipe = true;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		q->wfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (q->wfd < 0 && errno == ENXIO) {
			q->closed = q->gone = true; /* a FIFO nobody reads */
			q->wfd = fd;
		} else if (q->wfd < 0) {
			q->wfd = fd;
			q->blocking = true;
		}
	}
	return 0;
}

static void outq_release(struct outq *q)
{
	if (q->wfd != q->fd)
		close(q->wfd);
	free(q->buf);
}

/* Appends the line vsnprintf makes, whole or not at all. */
static bool outq_vprintf(struct outq *q, const char *fmt, va_list ap)
{
	for (int tries = 0; !q->closed && tries < 2; tries++) {
		size_t room = QUEUE_BYTES - q->head - q->len;
		va_list copy;
		int n;

		va_copy(copy, ap);
		n = vsnprintf(q->buf + q->head + q->len, room, fmt, copy);
		va_end(copy);
		if (n >= 0 && (size_t)n < room) {
			q->len += (size_t)n;
			return true;
		}
		if (n < 0 || q->head == 0)
			return false;
		memmove(q->buf, q->buf + q->head, q->len);
		q->head = 0;
	}
	return false;
}

static bool outq_printf(struct outq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outq_flush(struct outq *q);

static bool outq_printf(struct outq *q, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	/* a batch of events can outgrow the queue: what the fd takes now goes first */
	if (q->len > QUEUE_BYTES / 2)
		outq_flush(q);
	va_start(ap, fmt);
	ok = outq_vprintf(q, fmt, ap);
	va_end(ap);
	return ok;
}

/*
 * How much of the queue one write takes. A pipe writes up to PIPE_BUF
 * bytes whole, so whole lines within it stay whole when stdout and stderr
 * share a pipe; a longer line goes alone.
 */
static size_t outq_chunk(const struct outq *q)
{
	const char *b = q->buf + q->head, *nl;
	size_t n = q->len < PIPE_BUF ? q->len : PIPE_BUF;

	if (!q->pipe)
		return q->len;
	if ((nl = memrchr(b, '\n', n)))
		return (size_t)(nl - b) + 1;
	nl = memchr(b + n, '\n', q->len - n);
	return nl ? (size_t)(nl - b) + 1 : q->len;
}

/* Writes what the fd takes without waiting. */
static void outq_flush(struct outq *q)
{
	while (q->len > 0 && !q->closed) {
		struct pollfd p = { .fd = q->wfd, .events = POLLOUT };
		size_t n = outq_chunk(q);
		ssize_t w;

		if (q->blocking && poll(&p, 1, 0) != 1)
			return;
		w = q->sock ? send(q->wfd, q->buf + q->head, n, MSG_DONTWAIT | MSG_NOSIGNAL)
			    : write(q->wfd, q->buf + q->head, q->blocking && n > PIPE_BUF ? PIPE_BUF : n);
		if (w > 0) {
			q->head += (size_t)w;
			q->len -= (size_t)w;
			if (q->len == 0)
				q->head = 0;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		q->closed = true; /* an error no retry mends: the rest is not printed */
		q->gone = w < 0 && errno == EPIPE;
	}
}

/*
 * Polls for room in q's fd when q has lines, and for a pipe's reader going
 * away (POLLERR) even when it has none.
 */
static struct pollfd outq_pollfd(const struct outq *q)
{
	bool lines = q->len > 0 && !q->closed;

	return (struct pollfd){ .fd = lines || (q->pipe && !q->closed) ? q->wfd : -1,
				.events = lines ? POLLOUT : 0 };
}

static void outq_polled(struct outq *q, const struct pollfd *p)
{
	if (q->pipe && (p->revents & POLLERR))
		q->closed = q->gone = true;
}

struct watch_state {
	bool json;
	struct ck_detect *rules;
	const struct ck_arch_info *native;
	struct outq out, err;
	uint64_t events, unprinted;          /* judged; of which not printed */
	uint64_t alerts, alerts_unprinted;
};

/* A whole line that f's printer makes (a memory stream) onto q; false when it cannot. */
static bool outq_put_stream(struct outq *q, void (*print)(FILE *f, void *arg), void *arg)
{
	char *text = NULL;
	size_t len = 0;
	bool ok = false;
	FILE *f = open_memstream(&text, &len);

	if (f) {
		print(f, arg);
		if (fclose(f) == 0)
			ok = outq_printf(q, "%.*s", (int)len, text);
	}
	free(text);
	return ok;
}

struct alert_line {
	const struct ck_alert *a;
	bool json;
};

static void print_alert(FILE *f, void *arg)
{
	const struct alert_line *l = arg;
	cli_fprint_alert(f, l->json, l->a);
}

static void on_alert(const struct ck_alert *a, void *data)
{
	struct watch_state *s = data;
	struct alert_line l = { a, s->json };

	s->alerts++;
	if (!outq_put_stream(s->json ? &s->out : &s->err, print_alert, &l))
		s->alerts_unprinted++;
}

static void on_event(const struct ck_event *e, void *data)
{
	struct watch_state *s = data;
	char buf[8192], *text;
	bool ok;

	s->events++;
	if (s->json) {
		text = cli_event_text(ck_event_format_json, e, buf, sizeof(buf));
		ok = outq_printf(&s->out, "%s\n", text);
	} else {
		const struct ck_arch_info *arch = ck_arch_at((size_t)e->arch);
		char comm[4 * sizeof(e->comm)];
		/* the process chose its name: one word that cannot end the line or the brackets */
		ck__escape(comm, sizeof(comm), e->comm, strnlen(e->comm, sizeof(e->comm)), CK__ESCAPE_WORD);
		text = cli_event_text(ck_event_format_strace, e, buf, sizeof(buf));
		if (arch && arch != s->native)
			ok = outq_printf(&s->out, "[pid %d %s %s] %s\n", e->tid, comm, arch->name, text);
		else
			ok = outq_printf(&s->out, "[pid %d %s] %s\n", e->tid, comm, text);
	}
	if (text != buf)
		free(text);
	if (!ok)
		s->unprinted++;
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

struct summary {
	const struct watch_state *s;
	uint64_t drops;
	double seconds;
};

static void print_json_summary(FILE *f, void *arg)
{
	const struct summary *m = arg;
	struct jw w;

	jw_init(&w, f);
	jw_obj_begin(&w, NULL);
	jw_obj_begin(&w, "summary");
	jw_uint(&w, "events", m->s->events);
	jw_uint(&w, "drops", m->drops);
	jw_uint(&w, "unprinted", m->s->unprinted);
	jw_uint(&w, "alerts", m->s->alerts);
	jw_uint(&w, "alerts_unprinted", m->s->alerts_unprinted);
	jw_int(&w, "elapsed_ms", (long long)(m->seconds * 1e3));
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_end_line(&w);
}

/* "N events, L lost (K in the kernel, U not printed), A alerts (B not printed) in S s" */
static void summary(struct watch_state *s, uint64_t drops, double seconds)
{
	struct summary m = { s, drops, seconds };
	uint64_t lost = drops + s->unprinted;
	char how[96] = "", alerts_how[48] = "";

	if (s->json)
		outq_put_stream(&s->out, print_json_summary, &m);
	if (lost)
		snprintf(how, sizeof(how), " (%" PRIu64 " in the kernel, %" PRIu64 " not printed)", drops,
			 s->unprinted);
	if (s->alerts_unprinted)
		snprintf(alerts_how, sizeof(alerts_how), " (%" PRIu64 " not printed)", s->alerts_unprinted);
	outq_printf(&s->err, "clonekit watch: %" PRIu64 " event%s, %" PRIu64 " lost%s, %" PRIu64 " alert%s%s in %.1f s\n",
		    s->events, s->events == 1 ? "" : "s", lost, how, s->alerts, s->alerts == 1 ? "" : "s",
		    alerts_how, seconds);
}

/* Once a second, when calls were lost since the last notice: who sees the output learns it as it happens. */
static void notice_losses(struct watch_state *s, uint64_t drops, uint64_t *last_drops, uint64_t *last_unprinted)
{
	uint64_t k = drops - *last_drops, u = s->unprinted - *last_unprinted;

	if (k)
		outq_printf(&s->err, "clonekit watch: %" PRIu64 " calls lost in the kernel (the ring buffer was full)\n", k);
	if (u)
		outq_printf(&s->err, "clonekit watch: %" PRIu64 " events not printed (output blocked)\n", u);
	*last_drops = drops;
	*last_unprinted = s->unprinted;
}

/* Sleeps until events or room for output, a signal, the deadline (0: none) or WAIT_MS. */
#define WAIT_MS 100

static void wait_for_work(struct watch_state *s, struct ck_watcher *w, double deadline)
{
	struct pollfd p[3] = {
		{ .fd = ck_watcher_fd(w), .events = POLLIN },
		outq_pollfd(&s->out),
		outq_pollfd(&s->err),
	};
	int ms = WAIT_MS;

	if (deadline > 0) {
		double left = (deadline - now()) * 1e3;
		ms = left <= 0 ? 0 : left < ms ? (int)left + 1 : ms;
	}
	if (poll(p, 3, ms) > 0) {
		outq_polled(&s->out, &p[1]);
		outq_polled(&s->err, &p[2]);
	}
}

/* The output still queued, for at most until (CLOCK_MONOTONIC seconds). */
static void drain(struct watch_state *s, double until)
{
	for (;;) {
		outq_flush(&s->out);
		outq_flush(&s->err);
		struct pollfd p[2] = { outq_pollfd(&s->out), outq_pollfd(&s->err) };
		double left = (until - now()) * 1e3;
		if ((s->out.len == 0 || s->out.closed) && (s->err.len == 0 || s->err.closed))
			return;
		if (left <= 0)
			return;
		if (poll(p, 2, (int)left + 1) > 0) {
			outq_polled(&s->out, &p[0]);
			outq_polled(&s->err, &p[1]);
		}
	}
}

/*
 * Once the watch ends, counted from the end, so that it exits within a
 * second: how long the events still in the ring buffer may take to be read,
 * the output queued to be written, and the summary after it.
 */
#define RING_DRAIN_S 0.2
#define DRAIN_S 0.4
#define SUMMARY_S 0.5

/* The lines q could not write: counted as not printed, and dropped. */
static void outq_abandon(struct outq *q, struct watch_state *s)
{
	const char *l = q->buf + q->head, *end = l + q->len;

	while (l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		if (strncmp(l, "{\"alert\":", 9) == 0 || strncmp(l, "ALERT ", 6) == 0)
			s->alerts_unprinted++;
		else if (q == &s->out)
			s->unprinted++;
		l = nl ? nl + 1 : end;
	}
	q->head = q->len = 0;
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
	static const int endings[] = { SIGINT, SIGTERM, SIGHUP };
	struct watch_state s = { .native = ck_arch_native() };
	struct ck_watch_opts opts = { .size = sizeof(opts) };
	struct ck_watch_error err = { .size = sizeof(err) };
	struct ck_watcher *w = NULL;
	const char *rules_file = NULL;
	double duration = 0, start, end, next_notice, stopped;
	uint64_t drops, left, last_drops = 0, last_unprinted = 0;
	struct sigaction sa;
	int c, r = 0;

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
			if (cli_parse_seconds(optarg, &duration) < 0)
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

	/* no SA_RESTART: a signal ends the wait it arrives in */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++)
		sigaction(endings[i], &sa, NULL);
	/* a reader that went away is seen as EPIPE, and ends the watch */
	signal(SIGPIPE, SIG_IGN);

	r = ck_watcher_open(&w, &opts, &err);
	if (r < 0) {
		fprintf(stderr, "clonekit watch: %s\n", err.message);
		if (r == -EPERM || r == -EACCES)
			fprintf(stderr, "clonekit watch: run it as root\n");
		ck_detect_free(s.rules);
		return CK_EXIT_NO;
	}
	if (outq_init(&s.out, STDOUT_FILENO) < 0 || outq_init(&s.err, STDERR_FILENO) < 0) {
		fprintf(stderr, "clonekit watch: %s\n", strerror(ENOMEM));
		r = -ENOMEM;
		goto out;
	}
	outq_printf(&s.err, "clonekit watch: watching clone, clone3, fork, vfork, unshare and setns%s%s%s%s\n",
		    opts.cgroup ? " in " : " host-wide", opts.cgroup ? opts.cgroup : "",
		    opts.no_compat ? ", not i386 calls" : "", duration > 0 ? "" : "; Ctrl-C stops");
	outq_flush(&s.err);

	start = now();
	end = duration > 0 ? start + duration : 0;
	next_notice = start + 1;
	while (!stop && !s.out.gone && !(end > 0 && now() >= end)) {
		r = ck_watcher_poll(w, 0, on_event, &s);
		if (r < 0 && r != -EINTR) {
			outq_printf(&s.err, "clonekit watch: %s\n", strerror(-r));
			break;
		}
		outq_flush(&s.out);
		outq_flush(&s.err);
		if (now() >= next_notice) {
			notice_losses(&s, ck_watcher_drops(w), &last_drops, &last_unprinted);
			next_notice = now() + 1;
		}
		/* a full batch means more are waiting: no sleep */
		if (r < CK_WATCH_POLL_MAX)
			wait_for_work(&s, w, end);
	}
	stopped = now();
	/* the calls made before the end, for a moment; those left never reached the rules */
	left = ck_watcher_pending(w);
	while ((r >= 0 || r == -EINTR) && left > 0 && now() < stopped + RING_DRAIN_S) {
		r = ck_watcher_poll(w, 0, on_event, &s);
		left -= r > 0 ? ((uint64_t)r < left ? (uint64_t)r : left) : 0;
		outq_flush(&s.out);
		outq_flush(&s.err);
	}
	drops = ck_watcher_drops(w) + left;
	/* the programs come off before the output, however slow its reader */
	ck_watcher_close(w);
	w = NULL;
	if (s.out.gone && !stop)
		outq_printf(&s.err, "clonekit watch: stdout was closed; stopped\n");
	drain(&s, stopped + DRAIN_S);
	outq_abandon(&s.out, &s);
	outq_abandon(&s.err, &s);
	summary(&s, drops, stopped - start);
	drain(&s, stopped + SUMMARY_S);
out:
	ck_watcher_close(w);
	ck_detect_free(s.rules);
	outq_release(&s.out);
	outq_release(&s.err);
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
