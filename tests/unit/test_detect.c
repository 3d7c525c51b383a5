/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Detection rules: the language, the default rules, rates; pure logic over synthetic events. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/detect.h>
#include <clonekit/event.h>
#include <clonekit/flags.h>

#include "internal/siphash.h"

#define T0 UINT64_C(1795978423000000000)
#define SECOND UINT64_C(1000000000)

/* glibc's fingerprints, as strace shows them (seed 000). */
#define FORK_FLAGS   UINT64_C(0x1200011) /* CHILD_CLEARTID|CHILD_SETTID|SIGCHLD */
#define THREAD_FLAGS UINT64_C(0x3d0f00)  /* pthread_create */
#define SPAWN_FLAGS  (CK_CLONE_VM | CK_CLONE_VFORK)

struct seen {
	int n;
	char rules[16][64];
	char messages[16][256];
	enum ck_priority priorities[16];
	const struct ck_event *events[16];
};

static void collect(const struct ck_alert *a, void *data)
{
	struct seen *s = data;
	cr_assert_lt(s->n, 16);
	snprintf(s->rules[s->n], sizeof(s->rules[0]), "%s", a->rule);
	snprintf(s->messages[s->n], sizeof(s->messages[0]), "%s", a->message);
	s->priorities[s->n] = a->priority;
	s->events[s->n] = a->event;
	s->n++;
}

/* A successful call by bash (4101, child of 4100), classified as the tracers classify it. */
static struct ck_event call(enum ck_event_call c, uint64_t flags, uint32_t uid)
{
	struct ck_event e;
	ck_event_init(&e);
	e.source = CK_SOURCE_WATCH;
	e.time_ns = T0;
	e.pid = e.tid = 4101;
	e.ppid = 4100;
	e.uid = uid;
	strcpy(e.comm, "bash");
	strcpy(e.exe, "/usr/bin/bash");
	e.call = c;
	e.has_result = true;
	e.result = c == CK_CALL_UNSHARE || c == CK_CALL_SETNS ? 0 : 4102;
	if (c == CK_CALL_CLONE3) {
		e.has_args = true;
		e.args_size = 88;
		e.args.flags = flags;
		e.args.exit_signal = flags & CK_CLONE_THREAD ? 0 : SIGCHLD;
		e.flags = flags;
	} else {
		e.flags = flags;
	}
	if (c == CK_CALL_SETNS)
		e.fd = 3;
	ck_event_classify(&e);
	return e;
}

static struct ck_detect *defaults(void)
{
	struct ck_detect *d = ck_detect_new();
	cr_assert_not_null(d);
	cr_assert_eq(ck_detect_add_defaults(d), 0);
	return d;
}

/* The names of the rules that fired, comma-separated ("" for none). */
static const char *fired(struct ck_detect *d, const struct ck_event *e)
{
	static char out[512];
	struct seen s = { 0 };
	size_t pos = 0;
	int n = ck_detect_feed(d, e, collect, &s);

	cr_assert_eq(n, s.n);
	out[0] = '\0';
	for (int i = 0; i < s.n; i++)
		pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%s%s", i ? "," : "", s.rules[i]);
	return out;
}

/* The one alert e raises; fails unless exactly one rule fires. */
static struct seen one(struct ck_detect *d, const struct ck_event *e)
{
	struct seen s = { 0 };
	cr_assert_eq(ck_detect_feed(d, e, collect, &s), 1, "alerts: %s", fired(d, e));
	return s;
}

static struct ck_detect *rules(const char *text)
{
	struct ck_detect *d = ck_detect_new();
	struct ck_rule_error err = { .size = sizeof(err) };
	cr_assert_not_null(d);
	cr_assert_eq(ck_detect_add_rules(d, text, &err), 0, "%s", err.message);
	return d;
}

/* The message a text is refused with (and its line). */
static const char *refusal(const char *text, unsigned *line)
{
	static struct ck_rule_error err;
	struct ck_detect *d = ck_detect_new();
	memset(&err, 0, sizeof(err));
	err.size = sizeof(err);
	cr_assert_eq(ck_detect_add_rules(d, text, &err), -EINVAL, "accepted: %s", text);
	cr_assert_eq(ck_detect_rule_count(d), 0);
	ck_detect_free(d);
	if (line)
		*line = err.line;
	return err.message;
}

/* ---- the default set ---- */

Test(detect, default_rules_in_order_with_priorities)
{
	static const struct { const char *name; enum ck_priority p; } want[] = {
		{ "userns-with-other-namespaces", CK_PRIORITY_CRITICAL },
		{ "untraced-child", CK_PRIORITY_CRITICAL },
		{ "namespace-in-container", CK_PRIORITY_WARNING },
		{ "namespace-by-non-root", CK_PRIORITY_NOTICE },
		{ "shared-fd-process", CK_PRIORITY_WARNING },
		{ "clone-parent", CK_PRIORITY_NOTICE },
		{ "unusual-exit-signal", CK_PRIORITY_NOTICE },
		{ "fork-burst", CK_PRIORITY_WARNING },
	};
	struct ck_detect *d = defaults();

	cr_assert_eq(ck_detect_rule_count(d), 8);
	for (size_t i = 0; i < 8; i++) {
		cr_assert_str_eq(ck_detect_rule_name(d, i), want[i].name);
		cr_assert_eq(ck_detect_rule_priority(d, i), want[i].p, "%s", want[i].name);
	}
	cr_assert_null(ck_detect_rule_name(d, 8));
	cr_assert_eq(ck_detect_rule_priority(d, 8), CK_PRIORITY_INFO);
	/* adding them again replaces each one in place */
	cr_assert_eq(ck_detect_add_defaults(d), 0);
	cr_assert_eq(ck_detect_rule_count(d), 8);
	cr_assert_str_eq(ck_detect_rule_name(d, 7), "fork-burst");
	cr_assert_not_null(strstr(ck_detect_default_rules(), "rule fork-burst\n"));
	ck_detect_free(d);
}

Test(detect, ordinary_fingerprints_raise_nothing)
{
	struct ck_detect *d = defaults();
	struct ck_event e;

	for (uint32_t uid = 0; uid <= 1000; uid += 1000) {
		e = call(CK_CALL_CLONE, FORK_FLAGS, uid);           /* fork() */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE3, THREAD_FLAGS, uid);        /* pthread_create, glibc >= 2.34 */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE, THREAD_FLAGS, uid);         /* pthread_create, older glibc */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE, SPAWN_FLAGS | SIGCHLD, uid); /* posix_spawn */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE3, SPAWN_FLAGS, uid);         /* posix_spawn through clone3 */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_FORK, 0, uid);
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_VFORK, 0, uid);
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE, SIGCHLD, uid);              /* clone with nothing shared */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE, FORK_FLAGS & ~CK_CSIGNAL, uid); /* no exit signal at all */
		cr_assert_str_eq(fired(d, &e), "");
		e = call(CK_CALL_CLONE, FORK_FLAGS, uid);           /* fork under a tracer */
		e.traced = true;
		cr_assert_str_eq(fired(d, &e), "");
	}
	/* root outside a container: unshare(1), ip netns, systemd's PrivateNetwork= */
	e = call(CK_CALL_UNSHARE, CK_CLONE_NEWNS, 0);
	cr_assert_str_eq(fired(d, &e), "");
	e = call(CK_CALL_UNSHARE, CK_CLONE_NEWNET | CK_CLONE_NEWNS, 0);
	cr_assert_str_eq(fired(d, &e), "");
	e = call(CK_CALL_SETNS, CK_CLONE_NEWNET, 0);
	cr_assert_str_eq(fired(d, &e), "");
	/* root gains nothing from a user namespace */
	e = call(CK_CALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_NEWNS | CK_CLONE_NEWPID | SIGCHLD, 0);
	cr_assert_str_eq(fired(d, &e), "");
	/* unshare() of sharing flags creates nothing */
	e = call(CK_CALL_UNSHARE, CK_CLONE_FILES | CK_CLONE_FS, 1000);
	cr_assert_str_eq(fired(d, &e), "");
	ck_detect_free(d);
}

Test(detect, userns_with_other_namespaces_by_a_user)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_UNSHARE, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, 1000);
	struct seen s = { 0 };

	strcpy(e.comm, "exploit");
	cr_assert_eq(ck_detect_feed(d, &e, collect, &s), 2);
	cr_assert_str_eq(s.rules[0], "userns-with-other-namespaces");
	cr_assert_eq(s.priorities[0], CK_PRIORITY_CRITICAL);
	cr_assert_str_eq(s.messages[0],
			 "exploit (4101, uid 1000) created a user namespace with other namespaces, becoming their root: unshare(CLONE_NEWUSER|CLONE_NEWNET)");
	cr_assert_eq(s.events[0], &e);
	cr_assert_str_eq(s.rules[1], "namespace-by-non-root");
	cr_assert_eq(s.priorities[1], CK_PRIORITY_NOTICE);
	cr_assert_str_eq(s.messages[1],
			 "exploit (4101, uid 1000) created or entered a namespace without being root: unshare(CLONE_NEWUSER|CLONE_NEWNET)");

	e = call(CK_CALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_NEWNS | CK_CLONE_NEWPID | SIGCHLD, 1000);
	cr_assert_str_eq(fired(d, &e), "userns-with-other-namespaces,namespace-by-non-root");
	e = call(CK_CALL_CLONE3, CK_CLONE_NEWUSER | CK_CLONE_NEWTIME, 1000);
	cr_assert_str_eq(fired(d, &e), "userns-with-other-namespaces,namespace-by-non-root");
	/* a user namespace alone (a rootless sandbox's first step) is only a notice */
	e = call(CK_CALL_UNSHARE, CK_CLONE_NEWUSER, 1000);
	cr_assert_str_eq(fired(d, &e), "namespace-by-non-root");
	/* refused by the kernel (unprivileged_userns_clone=0): nothing was created */
	e = call(CK_CALL_UNSHARE, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, 1000);
	e.result = -EPERM;
	cr_assert_str_eq(fired(d, &e), "");
	/* seen on entry only (no result yet): judged as if it succeeded */
	e = call(CK_CALL_UNSHARE, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, 1000);
	e.has_result = false;
	cr_assert_str_eq(fired(d, &e), "userns-with-other-namespaces,namespace-by-non-root");
	/* entering namespaces (setns with a pidfd and several types) creates none */
	e = call(CK_CALL_SETNS, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, 1000);
	cr_assert_str_eq(fired(d, &e), "namespace-by-non-root");
	ck_detect_free(d);
}

Test(detect, namespace_entry_by_a_user)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_SETNS, CK_CLONE_NEWNET, 1000);
	struct seen s = one(d, &e);

	cr_assert_str_eq(s.rules[0], "namespace-by-non-root");
	cr_assert_str_eq(s.messages[0],
			 "bash (4101, uid 1000) created or entered a namespace without being root: setns(CLONE_NEWNET)");
	ck_detect_free(d);
}

Test(detect, namespace_created_inside_a_container)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_UNSHARE, CK_CLONE_NEWNS, 0);
	struct seen s;

	e.in_container = true;
	s = one(d, &e);
	cr_assert_str_eq(s.rules[0], "namespace-in-container");
	cr_assert_eq(s.priorities[0], CK_PRIORITY_WARNING);
	cr_assert_str_eq(s.messages[0],
			 "bash (4101, uid 0) created a namespace inside a container: unshare(CLONE_NEWNS)");
	/* container root making a user namespace with more: the seed's escape path */
	e = call(CK_CALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_NEWPID | SIGCHLD, 0);
	e.in_container = true;
	cr_assert_str_eq(fired(d, &e), "namespace-in-container");
	/* entering one, or a plain fork, inside a container is ordinary */
	e = call(CK_CALL_SETNS, CK_CLONE_NEWNET, 0);
	e.in_container = true;
	cr_assert_str_eq(fired(d, &e), "");
	e = call(CK_CALL_CLONE, FORK_FLAGS, 0);
	e.in_container = true;
	cr_assert_str_eq(fired(d, &e), "");
	ck_detect_free(d);
}

Test(detect, shared_fd_table_without_shared_memory)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_CLONE, CK_CLONE_FILES | SIGCHLD, 0);
	struct seen s = one(d, &e);

	cr_assert_str_eq(s.rules[0], "shared-fd-process");
	cr_assert_eq(s.priorities[0], CK_PRIORITY_WARNING);
	cr_assert_str_eq(s.messages[0],
			 "bash (4101) created a process that shares its file descriptor table but not its memory: clone(CLONE_FILES|SIGCHLD)");
	e = call(CK_CALL_CLONE3, CK_CLONE_FILES | CK_CLONE_FS, 1000);
	cr_assert_str_eq(fired(d, &e), "shared-fd-process");
	/* threads share both; fork shares neither; CLONE_VM|CLONE_FILES is a thread-like helper */
	e = call(CK_CALL_CLONE3, THREAD_FLAGS, 0);
	cr_assert_str_eq(fired(d, &e), "");
	e = call(CK_CALL_CLONE, CK_CLONE_VM | CK_CLONE_FILES | SIGCHLD, 0);
	cr_assert_str_eq(fired(d, &e), "");
	ck_detect_free(d);
}

Test(detect, untraced_child_of_a_traced_caller)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_CLONE, CK_CLONE_UNTRACED | SIGCHLD, 1000);
	struct seen s;

	e.traced = true;
	s = one(d, &e);
	cr_assert_str_eq(s.rules[0], "untraced-child");
	cr_assert_eq(s.priorities[0], CK_PRIORITY_CRITICAL);
	cr_assert_str_eq(s.messages[0],
			 "bash (4101) is traced and created a child its tracer cannot follow: clone(CLONE_UNTRACED|SIGCHLD)");
	/* nobody was tracing: nothing escaped */
	e = call(CK_CALL_CLONE, CK_CLONE_UNTRACED | SIGCHLD, 1000);
	cr_assert_str_eq(fired(d, &e), "");
	/* the tracer saw the child leave */
	e = call(CK_CALL_CLONE, FORK_FLAGS, 1000);
	e.kinds |= CK_EVENT_ESCAPED;
	ck_event_classify(&e);
	cr_assert_str_eq(fired(d, &e), "untraced-child");
	ck_detect_free(d);
}

Test(detect, clone_parent_makes_a_sibling)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_CLONE, CK_CLONE_PARENT | SIGCHLD, 0);
	struct seen s = one(d, &e);

	cr_assert_str_eq(s.rules[0], "clone-parent");
	cr_assert_eq(s.priorities[0], CK_PRIORITY_NOTICE);
	cr_assert_str_eq(s.messages[0],
			 "bash (4101) created a process whose parent is 4100, not itself: clone(CLONE_PARENT|SIGCHLD)");
	ck_detect_free(d);
}

Test(detect, exit_signal_other_than_sigchld)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_CLONE, FORK_FLAGS - SIGCHLD + SIGUSR1, 1000);
	struct seen s = one(d, &e);

	cr_assert_str_eq(s.rules[0], "unusual-exit-signal");
	cr_assert_str_eq(s.messages[0],
			 "bash (4101) created a process that will signal its parent with SIGUSR1 on exit: clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGUSR1)");
	e = call(CK_CALL_CLONE3, 0, 1000);
	e.args.exit_signal = 34; /* the kernel's SIGRTMIN + 2 */
	s = one(d, &e);
	cr_assert_str_eq(s.messages[0],
			 "bash (4101) created a process that will signal its parent with SIGRT_2 on exit: clone3(0)");
	/* clone3 seen without its struct: the watcher's exit_signal */
	e = call(CK_CALL_CLONE3, 0, 1000);
	e.has_args = false;
	e.exit_signal = SIGTERM;
	cr_assert_str_eq(fired(d, &e), "unusual-exit-signal");
	e.exit_signal = SIGCHLD;
	cr_assert_str_eq(fired(d, &e), "");
	/* a thread's exit signal means nothing */
	e = call(CK_CALL_CLONE, THREAD_FLAGS | SIGUSR1, 1000);
	cr_assert_str_eq(fired(d, &e), "");
	ck_detect_free(d);
}

static int feed_n(struct ck_detect *d, struct ck_event *e, int n, uint64_t step, struct seen *s)
{
	int alerts = 0;
	for (int i = 0; i < n; i++) {
		alerts += ck_detect_feed(d, e, collect, s);
		e->time_ns += step;
	}
	return alerts;
}

Test(detect, fork_burst_fires_once_per_window_at_the_2001st_process)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_CLONE, FORK_FLAGS, 1000);
	struct seen s = { 0 };

	/* 2000 forks within 0.8 s are within the limit; the 2001st at 0.8 s is not */
	cr_assert_eq(feed_n(d, &e, 2000, 400000, &s), 0);
	cr_assert_eq(ck_detect_feed(d, &e, collect, &s), 1);
	cr_assert_str_eq(s.rules[0], "fork-burst");
	cr_assert_eq(s.priorities[0], CK_PRIORITY_WARNING);
	cr_assert_str_eq(s.messages[0],
			 "uid 1000 created more than 2000 processes within 1s (a fork bomb?); the last by bash (4101) with clone");
	/* the rest of the window stays quiet */
	e.time_ns += 1;
	cr_assert_eq(feed_n(d, &e, 3000, 0, &s), 0);
	/* another uid has its own window; failing forks (EAGAIN at RLIMIT_NPROC) count too */
	struct ck_event other = call(CK_CALL_FORK, 0, 1001);
	other.time_ns = e.time_ns;
	other.result = -EAGAIN;
	cr_assert_eq(feed_n(d, &other, 2000, 0, &s), 0);
	cr_assert_eq(feed_n(d, &other, 1, 0, &s), 1);
	/* threads are not processes */
	struct ck_event thread = call(CK_CALL_CLONE3, THREAD_FLAGS, 1002);
	cr_assert_eq(feed_n(d, &thread, 5000, 0, &s), 0);
	/* a new window for uid 1000 one second after its first event */
	e.time_ns = T0 + SECOND;
	cr_assert_eq(feed_n(d, &e, 2000, 0, &s), 0);
	cr_assert_eq(feed_n(d, &e, 1, 0, &s), 1);
	cr_assert_eq(s.n, 3);
	ck_detect_free(d);
}

Test(detect, rate_counts_per_key_and_resets)
{
	struct ck_detect *d = rules("rule burst\n"
				    "  when kinds has process\n"
				    "  rate 3 per 100ms by comm\n"
				    "  message \"{comm}: {count} in a window\"\n"
				    "end\n");
	struct ck_event a = call(CK_CALL_FORK, 0, 0), b = call(CK_CALL_FORK, 0, 0);
	struct seen s = { 0 };

	strcpy(b.comm, "make");
	cr_assert_eq(feed_n(d, &a, 3, 1000, &s), 0);
	cr_assert_eq(feed_n(d, &b, 3, 1000, &s), 0);
	cr_assert_eq(feed_n(d, &a, 1, 1000, &s), 1);
	cr_assert_str_eq(s.messages[0], "bash: 4 in a window");
	cr_assert_eq(feed_n(d, &a, 10, 1000, &s), 0);
	cr_assert_eq(feed_n(d, &b, 1, 1000, &s), 1);
	cr_assert_str_eq(s.messages[1], "make: 4 in a window");
	/* 100 ms after bash's window opened, a new one */
	a.time_ns = T0 + 100000000;
	cr_assert_eq(feed_n(d, &a, 3, 0, &s), 0);
	cr_assert_eq(feed_n(d, &a, 1, 0, &s), 1);
	cr_assert_str_eq(s.messages[2], "bash: 4 in a window");
	/* an event from slightly earlier (out of order) stays in the window */
	a.time_ns -= 5;
	cr_assert_eq(feed_n(d, &a, 1, 0, &s), 0);
	/* clearing forgets the rules and their state */
	ck_detect_clear(d);
	cr_assert_eq(ck_detect_rule_count(d), 0);
	cr_assert_eq(ck_detect_feed(d, &a, collect, &s), 0);
	ck_detect_free(d);
}

Test(detect, rate_without_by_counts_every_event)
{
	struct ck_detect *d = rules("rule any\n when syscall == fork\n rate 2 per 1s\nend\n");
	struct ck_event a = call(CK_CALL_FORK, 0, 0), b = call(CK_CALL_FORK, 0, 1000);
	struct seen s = { 0 };

	b.pid = 77;
	cr_assert_eq(feed_n(d, &a, 1, 0, &s), 0);
	cr_assert_eq(feed_n(d, &b, 1, 0, &s), 0);
	cr_assert_eq(feed_n(d, &a, 1, 0, &s), 1);
	ck_detect_free(d);
}

/* ---- rate windows: 1024 keys per rule, and what happens past them ---- */

#define RATE_KEYS 1024
#define MS UINT64_C(1000000)

/* Alerts of keys' own windows ("key K"), and of the window keys past the limit share. */
struct tally {
	int own, overflow;
	unsigned char fired[4 * RATE_KEYS]; /* own alerts by key */
	char overflow_message[256];
};

static void tally_alert(const struct ck_alert *a, void *data)
{
	struct tally *t = data;
	unsigned k;

	if (sscanf(a->message, "key %u", &k) == 1) {
		cr_assert_lt(k - 10000, sizeof(t->fired), "%s", a->message);
		t->fired[k - 10000]++;
		t->own++;
		return;
	}
	t->overflow++;
	snprintf(t->overflow_message, sizeof(t->overflow_message), "%s", a->message);
}

/* Key k's fork: every field a rate can be keyed by differs from the other keys'. */
static void keyed(struct ck_event *e, unsigned k)
{
	e->pid = e->tid = (int)(10000 + k);
	e->ppid = (int)(20000 + k);
	e->uid = 30000 + k;
	snprintf(e->comm, sizeof(e->comm), "k%u", k);
	snprintf(e->exe, sizeof(e->exe), "/tmp/k%u", k);
	e->cgroup_id = 40000 + k;
}

/* Events of keys first..first+n-1 in turn, rounds times, 1 us apart. */
static void feed_keys(struct ck_detect *d, struct ck_event *e, unsigned first, unsigned n, int rounds,
		      struct tally *t)
{
	for (int r = 0; r < rounds; r++) {
		for (unsigned k = first; k < first + n; k++) {
			keyed(e, k);
			e->time_ns += 1000;
			cr_assert_geq(ck_detect_feed(d, e, tally_alert, t), 0);
		}
	}
}

static struct ck_detect *rate_rule(const char *rate)
{
	char text[256];
	snprintf(text, sizeof(text), "rule r\n when kinds has process\n %s\n message \"key {pid}\"\nend\n", rate);
	return rules(text);
}

Test(detect, rate_keeps_a_window_for_each_of_1024_keys_by_every_field)
{
	static const char *const by[] = { "pid", "ppid", "uid", "comm", "exe", "cgroup_id" };

	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++) {
		char rate[64];
		snprintf(rate, sizeof(rate), "rate 2 per 1s by %s", by[i]);
		struct ck_detect *d = rate_rule(rate);
		struct ck_event e = call(CK_CALL_FORK, 0, 0);
		struct tally t = { 0 };

		/* three events per key within one second: each key fires once, on its third */
		feed_keys(d, &e, 0, RATE_KEYS, 3, &t);
		cr_assert_eq(t.own, RATE_KEYS, "by %s: %d of %d keys fired", by[i], t.own, RATE_KEYS);
		cr_assert_eq(t.overflow, 0, "by %s: %s", by[i], t.overflow_message);
		for (unsigned k = 0; k < RATE_KEYS; k++)
			cr_assert_eq(t.fired[k], 1, "by %s: key %u fired %d times", by[i], k, t.fired[k]);
		ck_detect_free(d);
	}
}

Test(detect, rate_windows_of_the_issue_500_and_2000_keys)
{
	struct ck_detect *d = rate_rule("rate 1 per 1s by pid");
	struct ck_event e = call(CK_CALL_FORK, 0, 0);
	struct tally t = { 0 };

	/* issue 11: 459 of 500 alerts */
	feed_keys(d, &e, 0, 500, 2, &t);
	cr_assert_eq(t.own, 500);
	cr_assert_eq(t.overflow, 0);
	ck_detect_free(d);

	/*
	 * issue 11: 0 of 2000. The first 1024 keys have windows of their own; the
	 * other 976 are counted in one shared window, which fires once, on its
	 * second event (key 1025), naming what it is.
	 */
	d = rate_rule("rate 1 per 1s by pid");
	memset(&t, 0, sizeof(t));
	feed_keys(d, &e, 0, 2000, 2, &t);
	cr_assert_eq(t.own, RATE_KEYS);
	for (unsigned k = 0; k < RATE_KEYS; k++)
		cr_assert_eq(t.fired[k], 1, "key %u", k);
	cr_assert_eq(t.overflow, 1);
	cr_assert_str_eq(t.overflow_message,
			 "r: 2 events within 1s from pid values past the 1024 the rule keeps a window for, "
			 "counted together; the last: fork by pid 11025, uid 31025");
	ck_detect_free(d);
}

Test(detect, a_flood_of_new_keys_cannot_evict_an_open_window)
{
	struct ck_detect *d = rate_rule("rate 5 per 1s by uid");
	struct ck_event victim = call(CK_CALL_FORK, 0, 0), flood = victim;
	struct tally t = { 0 };

	/* the victim forks 5 times, the limit ... */
	keyed(&victim, 0);
	for (int i = 0; i < 5; i++) {
		victim.time_ns += 1000;
		ck_detect_feed(d, &victim, tally_alert, &t);
	}
	/* ... then 100,000 other uids (a user's subordinate ids) fork once each ... */
	for (unsigned i = 0; i < 100000; i++) {
		flood.uid = 100000 + i;
		flood.time_ns = victim.time_ns + i;
		ck_detect_feed(d, &flood, tally_alert, &t);
	}
	/* ... and the victim's sixth fork within the second still fires its own alert */
	victim.time_ns += 500 * MS;
	ck_detect_feed(d, &victim, tally_alert, &t);
	cr_assert_eq(t.own, 1, "the victim's window was evicted");
	cr_assert_eq(t.fired[0], 1);
	/* the flood past 1024 uids was counted together, and fired once */
	cr_assert_eq(t.overflow, 1);
	ck_detect_free(d);
}

Test(detect, a_key_that_finds_every_window_open_is_counted_together)
{
	struct ck_detect *d = rate_rule("rate 5 per 1s by uid");
	struct ck_event e = call(CK_CALL_FORK, 0, 0);
	struct tally t = { 0 };

	/* 1024 uids fork once each: every window is open ... */
	feed_keys(d, &e, 0, RATE_KEYS, 1, &t);
	/* ... so uid 32000's 6 forks share the window of keys past the limit, and it fires */
	keyed(&e, 2000);
	for (int i = 0; i < 6; i++) {
		e.time_ns += 1000;
		cr_assert_eq(ck_detect_feed(d, &e, tally_alert, &t), i == 5);
	}
	cr_assert_eq(t.own, 0);
	cr_assert_eq(t.overflow, 1);
	cr_assert_str_eq(t.overflow_message,
			 "r: 6 events within 1s from uid values past the 1024 the rule keeps a window for, "
			 "counted together; the last: fork by pid 12000, uid 32000");
	ck_detect_free(d);
}

Test(detect, closed_windows_make_room_and_the_shared_window_keeps_its_keys)
{
	struct ck_detect *d = rate_rule("rate 1 per 1s by pid");
	struct ck_event e = call(CK_CALL_FORK, 0, 0);
	struct tally t = { 0 };

	/* 1024 keys open windows at T0 (to T0 + 1.02 ms) */
	feed_keys(d, &e, 0, RATE_KEYS, 1, &t);
	/* at T0 + 0.5 s key 1024 finds every window open: the shared window opens */
	e.time_ns = T0 + 500 * MS;
	keyed(&e, 1024);
	cr_assert_eq(ck_detect_feed(d, &e, tally_alert, &t), 0);
	/* at T0 + 1.2 s the 1024 windows have closed, but the shared one lasts to T0 + 1.5 s:
	 * a new key is counted in it, and is its second event */
	e.time_ns = T0 + 1200 * MS;
	keyed(&e, 1025);
	cr_assert_eq(ck_detect_feed(d, &e, tally_alert, &t), 1);
	cr_assert_eq(t.overflow, 1);
	cr_assert_str_eq(t.overflow_message,
			 "r: 2 events within 1s from pid values past the 1024 the rule keeps a window for, "
			 "counted together; the last: fork by pid 11025, uid 31025");
	/* after it closes, new keys get the closed windows: 1024 of them, each its own */
	e.time_ns = T0 + 1600 * MS;
	feed_keys(d, &e, 2000, RATE_KEYS, 2, &t);
	cr_assert_eq(t.own, RATE_KEYS);
	cr_assert_eq(t.overflow, 1);
	for (unsigned k = 2000; k < 2000 + RATE_KEYS; k++)
		cr_assert_eq(t.fired[k], 1, "key %u", k);
	ck_detect_free(d);
}

Test(detect, rate_windows_survive_a_clock_stepped_back)
{
	struct ck_detect *d = rate_rule("rate 1 per 1s by pid");
	struct ck_event e = call(CK_CALL_FORK, 0, 0);
	struct tally t = { 0 };

	/* CLOCK_REALTIME (the tracer's time_ns) stepped back an hour after 1024 keys */
	e.time_ns = T0 + 3600 * SECOND;
	feed_keys(d, &e, 0, RATE_KEYS, 1, &t);
	e.time_ns = T0;
	feed_keys(d, &e, 2000, RATE_KEYS, 2, &t);
	cr_assert_eq(t.own, RATE_KEYS);
	cr_assert_eq(t.overflow, 0, "%s", t.overflow_message);
	ck_detect_free(d);
}

/* The keyed hash of the rate tables is SipHash-2-4: the paper's and the reference code's vectors. */
Test(detect, rate_keys_are_hashed_with_siphash_2_4)
{
	const uint64_t key[2] = { UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908) };
	unsigned char m[64];

	for (int i = 0; i < 64; i++)
		m[i] = (unsigned char)i;
	cr_assert_eq(ck__siphash(key, m, 0), UINT64_C(0x726fdb47dd0e0e31));
	cr_assert_eq(ck__siphash(key, m, 15), UINT64_C(0xa129ca6149be45e5));
	cr_assert_eq(ck__siphash(key, m, 63), UINT64_C(0x958a324ceb064572));
	cr_assert_eq(ck__siphash_u64(key, UINT64_C(0x0706050403020100)), ck__siphash(key, m, 8));
}

/* Allocations made by this binary's code (the library's included) while counting is on. */
static _Thread_local volatile bool counting; /* volatile: the compiler assumes malloc reads no global */
static _Thread_local volatile long allocations;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
	allocations += counting;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	allocations += counting;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocations += counting;
	return __real_realloc(p, n);
}

Test(detect, rate_memory_stays_fixed_whatever_the_number_of_keys)
{
	struct ck_detect *d = rules("rule per-comm\n when kinds has process\n rate 3 per 1m by comm\nend\n"
				    "rule per-exe\n when kinds has process\n rate 3 per 1m by exe\nend\n");
	struct ck_event e = call(CK_CALL_FORK, 0, 0);
	struct tally t = { 0 };
	long before = allocations;

	/* 200,000 distinct comms and executables within a minute: no allocation at all */
	counting = true;
	feed_keys(d, &e, 0, 200000, 1, &t);
	counting = false;
	cr_assert_eq(allocations, before, "%ld allocations while judging", allocations - before);
	cr_assert_eq(t.overflow, 2);
	/* while the allocator itself is counted (this is not a test that passes by default) */
	counting = true;
	void *volatile p = malloc(16);
	counting = false;
	free(p);
	cr_assert_eq(allocations, before + 1);
	ck_detect_free(d);
}

/* ---- the language ---- */

Test(detect, fields_and_operators)
{
	struct ck_detect *d = rules(
		"rule a\n when syscall in (clone, clone3) and uid >= 1000 and uid < 2000\nend\n"
		"rule b\n when comm == \"bash\" and exe matches \"/usr/*/bash\" and pid != 1\nend\n"
		"rule c\n when comm not in (\"bash\", \"sh\") or ppid <= 1\nend\n"
		"rule d\n when flags has_all (child_cleartid, CLONE_CHILD_SETTID) and flags lacks (vm, NEWUSER)\nend\n"
		"rule e\n when exit_signal == SIGCHLD and exit_signal == 17 and arch == x86_64 and source == watch\nend\n"
		"rule f\n when result > 4000 and error == 0 and not failed and traced == false\nend\n"
		"rule g\n when cgroup_id == 0 or cgroup_id != 0\nend\n"
		"rule h\n when tid == 4101 and kinds == process and kinds has_any (thread, process)\nend\n"
		"rule i\n when flags == 0x1200000 and syscall != fork\nend\n");
	struct ck_event e = call(CK_CALL_CLONE, FORK_FLAGS, 1000);

	e.arch = CK_ARCH_X86_64;
	cr_assert_str_eq(fired(d, &e), "a,b,d,e,f,h,i");
	strcpy(e.comm, "sh");
	e.ppid = 1;
	e.uid = 2000;
	cr_assert_str_eq(fired(d, &e), "c,d,e,f,h,i");
	e.cgroup_id = 9;
	cr_assert_str_eq(fired(d, &e), "c,d,e,f,g,h,i");
	ck_detect_free(d);
}

Test(detect, unknown_values_compare_false)
{
	struct ck_detect *d = rules(
		"rule ok\n when result >= 0\nend\n"
		"rule bad\n when result < 0\nend\n"
		"rule eperm\n when error == EPERM\nend\n"
		"rule not-eperm\n when error != EPERM\nend\n"
		"rule not-ok\n when not (result >= 0)\nend\n"
		"rule exe\n when exe != \"/bin/sh\"\nend\n"
		"rule sig\n when exit_signal != SIGCHLD\nend\n");
	struct ck_event e = call(CK_CALL_UNSHARE, CK_CLONE_NEWNS, 0);

	cr_assert_str_eq(fired(d, &e), "ok,not-eperm,exe");
	e.result = -EPERM;
	cr_assert_str_eq(fired(d, &e), "bad,eperm,not-ok,exe");
	e.has_result = false;
	e.exe[0] = '\0';
	cr_assert_str_eq(fired(d, &e), "not-ok");
	ck_detect_free(d);
}

Test(detect, precedence_and_continuation_lines)
{
	/* not > and > or; a condition continues on lines starting with and/or, or inside ( ) */
	struct ck_detect *d = rules("rule p\n"
				    "  when uid == 1 or uid == 2 and not traced\n"
				    "end\n"
				    "rule q\n"
				    "  when (uid == 1 or uid == 2)\n"
				    "    and not traced\n"
				    "end\n"
				    "rule r\n"
				    "  when uid in (1,\n"
				    "               2) and\n"
				    "       traced\n"
				    "end\n");
	struct ck_event e = call(CK_CALL_FORK, 0, 1);

	e.traced = true;
	cr_assert_str_eq(fired(d, &e), "p,r");
	e.uid = 2;
	cr_assert_str_eq(fired(d, &e), "r");
	e.traced = false;
	cr_assert_str_eq(fired(d, &e), "p,q");
	ck_detect_free(d);
}

Test(detect, placeholders)
{
	struct ck_detect *d = rules(
		"rule m\n"
		"  when syscall != setns\n"
		"  message \"{rule}: {comm} {pid}/{tid} ppid {ppid} uid {uid} exe {exe} \"\n"
		"          \"{syscall}({flags}) = {result} error {error} sig {exit_signal} \"\n"
		"          \"{arch} cg {cgroup_id} #{count} {{literal}}\"\n"
		"end\n");
	struct ck_event e = call(CK_CALL_FORK, 0, 7);
	struct seen s = one(d, &e);

	cr_assert_str_eq(s.messages[0],
			 "m: bash 4101/4101 ppid 4100 uid 7 exe /usr/bin/bash fork(SIGCHLD) = 4102 error none sig SIGCHLD x86_64 cg 0 #1 {literal}");
	e = call(CK_CALL_VFORK, 0, 7);
	e.exe[0] = '\0';
	e.has_result = false;
	e.cgroup_id = 12;
	s = one(d, &e);
	cr_assert_str_eq(s.messages[0],
			 "m: bash 4101/4101 ppid 4100 uid 7 exe ? vfork(CLONE_VM|CLONE_VFORK|SIGCHLD) = ? error none sig SIGCHLD x86_64 cg 12 #1 {literal}");
	e = call(CK_CALL_UNSHARE, CK_CLONE_NEWUSER, 7);
	e.result = -EPERM;
	s = one(d, &e);
	cr_assert_str_eq(s.messages[0],
			 "m: bash 4101/4101 ppid 4100 uid 7 exe /usr/bin/bash unshare(CLONE_NEWUSER) = -EPERM error EPERM sig none x86_64 cg 0 #1 {literal}");
	e = call(CK_CALL_CLONE3, THREAD_FLAGS, 7);
	s = one(d, &e);
	cr_assert_str_eq(s.messages[0],
			 "m: bash 4101/4101 ppid 4100 uid 7 exe /usr/bin/bash clone3(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID) = 4102 error none sig 0 x86_64 cg 0 #1 {literal}");
	ck_detect_free(d);
}

Test(detect, defaults_for_priority_and_message)
{
	struct ck_detect *d = rules("rule bare\n  when flags has newpid\nend\n");
	struct ck_event e = call(CK_CALL_UNSHARE, CK_CLONE_NEWPID, 0);
	struct seen s = one(d, &e);

	cr_assert_eq(ck_detect_rule_priority(d, 0), CK_PRIORITY_WARNING);
	cr_assert_str_eq(s.messages[0], "bash (4101) matched rule bare: unshare(CLONE_NEWPID)");
	ck_detect_free(d);
}

Test(detect, messages_longer_than_the_alert_are_cut)
{
	char text[1024] = "rule long\n when traced or not traced\n message \"";
	struct ck_detect *d;
	struct seen s;
	struct ck_event e = call(CK_CALL_FORK, 0, 0);

	for (int i = 0; i < 40; i++)
		strcat(text, "{comm}{pid}");
	strcat(text, "\"\nend\n");
	d = rules(text);
	s = one(d, &e);
	cr_assert_eq(strlen(s.messages[0]), 255);
	cr_assert_eq(strncmp(s.messages[0], "bash4101bash4101", 16), 0);
	ck_detect_free(d);
}

/* ---- errors ---- */

Test(detect, parse_errors_name_the_line_and_the_token)
{
	static const struct { const char *text; unsigned line; const char *message; } cases[] = {
		{ "rule a\n  when flgs has vm\nend\n", 2,
		  "line 2: unknown field 'flgs' (did you mean 'flags'?)" },
		{ "rule a\n  when xyzzyq == 1\nend\n", 2,
		  "line 2: unknown field 'xyzzyq' (fields: syscall, pid, tid, ppid, uid, comm, exe, flags, exit_signal, result, error, kinds, in_container, traced, failed, arch, cgroup_id, source)" },
		{ "# comment\n\nrule a\n  when flags has CLONE_NEWUSR\nend\n", 4,
		  "line 4: unknown flag 'CLONE_NEWUSR' (did you mean 'CLONE_NEWUSER'?)" },
		{ "rule a\n  when flags has_any (vm, newusr)\nend\n", 2,
		  "line 2: unknown flag 'newusr' (did you mean 'newuser'?)" },
		{ "rule a\n  when flags lacks NEWPIDD\nend\n", 2,
		  "line 2: unknown flag 'NEWPIDD' (did you mean 'NEWPID'?)" },
		{ "rule a\n  when (syscall == clone and pid == 1\n  message \"x\"\nend\n", 2,
		  "line 2: unclosed '(': expected ')' before 'message' on line 3" },
		{ "rule a\n  when pid in (1, 2\nend\n", 2,
		  "line 2: unclosed '(': expected ')' before 'end' on line 3" },
		{ "rule a\n  when traced)\nend\n", 2, "line 2: ')' without a matching '('" },
		{ "rule a\n  when syscall == clone\n", 1, "line 1: rule 'a' has no 'end'" },
		{ "rule a\n  when traced\nrule b\n  when traced\nend\n", 3,
		  "line 3: expected 'end' before the next 'rule' (rule 'a' from line 1 is still open)" },
		{ "rule a\n  when traced\nend\n\nrule a\n  when failed\nend\n", 5,
		  "line 5: rule 'a' is defined twice (first on line 1)" },
		{ "rule a\n  priority critcal\n  when traced\nend\n", 2,
		  "line 2: unknown priority 'critcal' (did you mean 'critical'?)" },
		{ "rule a\n  priority urgent\n  when traced\nend\n", 2,
		  "line 2: unknown priority 'urgent' (expected info, notice, warning or critical)" },
		{ "rule a\n  priority\n  when traced\nend\n", 2,
		  "line 2: expected a priority after 'priority' (info, notice, warning or critical), found the end of the line" },
		{ "rule a\n  priority info\n  message \"x\"\nend\n", 1, "line 1: rule 'a' has no 'when'" },
		{ "rule a\n  when traced\n  when failed\nend\n", 3,
		  "line 3: second 'when' in rule 'a' (the first is on line 2)" },
		{ "rule a\n  prority info\nend\n", 2,
		  "line 2: expected priority, when, rate, message or end in rule 'a', found 'prority' (did you mean 'priority'?)" },
		{ "foo\n", 1, "line 1: expected 'rule', found 'foo'" },
		{ "rule\n  when traced\nend\n", 1, "line 1: expected a rule name after 'rule', found the end of the line" },
		{ "rule a b\n  when traced\nend\n", 1, "line 1: unexpected 'b' after the rule name" },
		{ "rule a\n  when traced\nend x\n", 3, "line 3: unexpected 'x' after 'end'" },
		{ "rule a\n  when pid ==\n  message \"x\"\nend\n", 2,
		  "line 2: expected a value after 'pid ==', found 'message' on line 3" },
		{ "rule a\n  when pid == 1 foo\nend\n", 2,
		  "line 2: expected 'and', 'or' or the end of the line after '1', found 'foo'" },
		{ "rule a\n  when pid foo\nend\n", 2,
		  "line 2: expected an operator after 'pid' (==, !=, <, <=, >, >=, in or not in), found 'foo'" },
		{ "rule a\n  when traced and\nend\n", 2,
		  "line 2: expected a condition after 'and', found 'end' on line 3" },
		{ "rule a\n  when pid = 1\nend\n", 2, "line 2: '=' is not an operator (did you mean '=='?)" },
		{ "rule a\n  when comm == bash\nend\n", 2,
		  "line 2: expected a quoted string after 'comm ==', found 'bash'" },
		{ "rule a\n  when comm < \"bash\"\nend\n", 2,
		  "line 2: operator '<' does not apply to comm (use ==, !=, in, not in or matches)" },
		{ "rule a\n  when kinds in (process)\nend\n", 2,
		  "line 2: operator 'in' does not apply to kinds (use has, has_any, has_all, lacks, == or !=)" },
		{ "rule a\n  when flags has (vm, fs)\nend\n", 2,
		  "line 2: 'has' takes one name; use has_any or has_all for a list" },
		{ "rule a\n  when kinds has proces\nend\n", 2,
		  "line 2: unknown kind 'proces' (did you mean 'process'?)" },
		{ "rule a\n  when syscall == clnoe\nend\n", 2,
		  "line 2: unknown syscall 'clnoe' (did you mean 'clone'?)" },
		{ "rule a\n  when error == EPREM\nend\n", 2,
		  "line 2: unknown errno name 'EPREM' (did you mean 'EPERM'?)" },
		{ "rule a\n  when exit_signal == SIGFOO\nend\n", 2, "line 2: unknown signal 'SIGFOO'" },
		{ "rule a\n  when exit_signal == -1\nend\n", 2,
		  "line 2: -1 is out of range for exit_signal (it is never negative)" },
		{ "rule a\n  when pid == 12x\nend\n", 2, "line 2: '12x' is not a number" },
		/* "negative where the field can be": not a uid or an errno (found by fuzz_rules) */
		{ "rule a\n  when uid != -1\nend\n", 2, "line 2: -1 is out of range for uid (it is never negative)" },
		{ "rule a\n  when error in (0, -1)\nend\n", 2, "line 2: -1 is out of range for error (it is never negative)" },
		{ "rule a\n  when in_container == maybe\nend\n", 2,
		  "line 2: expected true or false after 'in_container ==', found 'maybe'" },
		{ "rule a\n  when pid in (1 2)\nend\n", 2, "line 2: expected ',' or ')' after '1', found '2'" },
		{ "rule a\n  when traced\n  message \"{comm} {pdi}\"\nend\n", 3,
		  "line 3: unknown placeholder '{pdi}' in the message (did you mean '{pid}'?)" },
		{ "rule a\n  when traced\n  message \"{comm\"\nend\n", 3,
		  "line 3: unclosed '{' in the message (write '{{' for a brace)" },
		{ "rule a\n  when traced\n  message \"unterminated\nend\n", 3,
		  "line 3: unterminated string (a string ends on the line it starts)" },
		{ "rule a\n  when traced\n  rate 0 per 1s\nend\n", 3,
		  "line 3: expected a count from 1 to 1000000000 after 'rate', found '0'" },
		{ "rule a\n  when traced\n  rate 10 per 1 by uid\nend\n", 3,
		  "line 3: expected a duration after 'per' (such as 1s, 500ms, 2m or 1h), found '1'" },
		{ "rule a\n  when traced\n  rate 10 per 1s by flags\nend\n", 3,
		  "line 3: expected uid, pid, ppid, comm, exe or cgroup_id after 'by', found 'flags'" },
		{ "rule a\n  when traced @\nend\n", 2, "line 2: unexpected character '@'" },
		/* the first error is named, even before a character that starts no token (found by fuzz_rules) */
		{ "relu a\n  when traced\n  rate 5 per 1\x9c\nend\n", 1, "line 1: expected 'rule', found 'relu'" },
		{ "rule a\nend\n@\n", 1, "line 1: rule 'a' has no 'when'" },
		{ "rule a\n  when traced and\n  @\nend\n", 3, "line 3: unexpected character '@'" },
		{ "rule a\n  when traced\nend\n@", 4, "line 4: unexpected character '@'" },
		/* a condition continues after an operator, not before one, and starts on its 'when' line (found by fuzz_rules) */
		{ "rule a\n  when comm\n    == \"x\"\nend\n", 2,
		  "line 2: expected an operator after 'comm' (==, !=, in, not in or matches), found the end of the line" },
		{ "rule a\n  when traced\n    == false\nend\n", 3,
		  "line 3: expected priority, when, rate, message or end in rule 'a', found '=='" },
		{ "rule a\n  when flags\n    has vm\nend\n", 2,
		  "line 2: expected an operator after 'flags' (has, has_any, has_all, lacks, == or !=), found the end of the line" },
		{ "rule a\n  when\n    traced\nend\n", 2, "line 2: expected a condition after 'when', found the end of the line" },
		/* a refusal is one line of printable ASCII, whatever bytes the text quotes (found by fuzz_rules) */
		{ "rule a\n  when pid == \"\x1b[2J\r\xff\"\nend\n", 2,
		  "line 2: expected a number after 'pid ==', found '\"\\033[2J\\015\\377\"'" },
		{ "rule a\n  when traced\n  message \"{a\\nb}\"\nend\n", 3,
		  "line 3: unknown placeholder '{a\\012b}' in the message (write '{{' for a brace)" },
		{ "rule a\n  when comm == \"\\\x1b\"\nend\n", 2,
		  "line 2: unknown escape, a backslash and byte 0x1b, in a string (use \\\" \\\\ \\n or \\t)" },
	};

	char terms[8192] = "rule a\n  when failed";

	/* 513 tests and 512 ors: the 1025th term is on line 2, however far the text goes on */
	for (int i = 1; i < 513; i++)
		strcat(terms, " or failed");
	strcat(terms, "\nend\n");
	cr_expect_str_eq(refusal(terms, &(unsigned){ 0 }), "line 2: condition of rule 'a' has more than 1024 terms");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned line = 0;
		const char *msg = refusal(cases[i].text, &line);
		cr_expect_str_eq(msg, cases[i].message, "case %zu", i);
		cr_expect_eq(line, cases[i].line, "case %zu: line %u", i, line);
	}
}

/* Found by fuzz_rules: strtoull's base 0 read 010 as octal 8, and a number or duration past 31 characters was refused. */
Test(detect, numbers_are_decimal_or_0x_hexadecimal_of_any_length)
{
	struct ck_detect *d = rules("rule a\n  when uid == 010 and pid == 0x1005\nend\n"
				    "rule b\n  when uid == 00000000000000000000000000000000000010\n"
				    "  rate 1 per 00000000000000000000000000000001s by uid\n  message \"{count}\"\nend\n");
	struct ck_event e = call(CK_CALL_CLONE, FORK_FLAGS, 10);
	struct seen s = { 0 };

	e.pid = 0x1005;
	cr_assert_str_eq(fired(d, &e), "a");
	e.time_ns += SECOND / 2;
	cr_assert_eq(ck_detect_feed(d, &e, collect, &s), 2);
	cr_assert_str_eq(s.rules[1], "b");
	cr_assert_str_eq(s.messages[1], "2");
	e.uid = 8;
	cr_assert_str_eq(fired(d, &e), "");
	ck_detect_free(d);
}

/* Found by fuzz_rules: each string was split alone, so "{co" "mm}" was refused and "}" "}" printed two braces. */
Test(detect, placeholders_and_braces_span_the_joined_strings_of_a_message)
{
	struct ck_detect *d = rules("rule a\n  when traced\n  message \"{co\"\n          \"mm} {\"\n          \"{ }\"\n"
				    "          \"}{p\"\n          \"id}\"\nend\n");
	struct ck_event e = call(CK_CALL_CLONE, FORK_FLAGS, 1000);
	unsigned line;

	e.traced = true;
	cr_assert_str_eq(one(d, &e).messages[0], "bash { }4101");
	ck_detect_free(d);
	cr_assert_str_eq(refusal("rule a\n  when traced\n  message \"ok \"\n    \"{pdi}\"\nend\n", &line),
			 "line 4: unknown placeholder '{pdi}' in the message (did you mean '{pid}'?)");
	/* the line of the string that holds the '{', counting escapes as the bytes they are */
	cr_assert_str_eq(refusal("rule a\n  when traced\n  message \"\\\"\\\"\"\n    \"{zzz}\"\nend\n", &line),
			 "line 4: unknown placeholder '{zzz}' in the message (write '{{' for a brace)");
}

Test(detect, a_refused_text_adds_nothing)
{
	struct ck_detect *d = defaults();
	struct ck_rule_error err = { .size = sizeof(err) };
	struct ck_event e = call(CK_CALL_CLONE, CK_CLONE_PARENT | SIGCHLD, 0);

	cr_assert_eq(ck_detect_add_rules(d,
					 "rule clone-parent\n  priority info\n  when traced\nend\n"
					 "rule extra\n  when traced\nend\n"
					 "rule broken\n  when tracd\nend\n",
					 &err),
		     -EINVAL);
	cr_assert_eq(err.line, 9);
	cr_assert_str_eq(err.message, "line 9: unknown field 'tracd' (did you mean 'traced'?)");
	cr_assert_eq(ck_detect_rule_count(d), 8);
	cr_assert_eq(ck_detect_rule_priority(d, 5), CK_PRIORITY_NOTICE);
	cr_assert_str_eq(fired(d, &e), "clone-parent");
	/* err may be NULL, and a caller's smaller struct is only filled as far as it goes */
	cr_assert_eq(ck_detect_add_rules(d, "rule x\n", NULL), -EINVAL);
	struct ck_rule_error small = { .size = offsetof(struct ck_rule_error, message), .message = "untouched" };
	cr_assert_eq(ck_detect_add_rules(d, "rule x\n", &small), -EINVAL);
	cr_assert_eq(small.line, 1);
	cr_assert_str_eq(small.message, "untouched");
	cr_assert_eq(ck_detect_rule_count(d), 8);
	ck_detect_free(d);
}

Test(detect, a_rule_with_a_known_name_replaces_it_in_place)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_CLONE, CK_CLONE_PARENT | SIGCHLD, 0);
	struct seen s;

	cr_assert_eq(ck_detect_add_rules(d,
					 "rule clone-parent\n"
					 "  priority info\n"
					 "  when flags has CLONE_PARENT and comm != \"runc:[1:CHILD]\"\n"
					 "  message \"{comm} used CLONE_PARENT\"\n"
					 "end\n",
					 NULL),
		     0);
	cr_assert_eq(ck_detect_rule_count(d), 8);
	cr_assert_str_eq(ck_detect_rule_name(d, 5), "clone-parent");
	cr_assert_eq(ck_detect_rule_priority(d, 5), CK_PRIORITY_INFO);
	s = one(d, &e);
	cr_assert_str_eq(s.messages[0], "bash used CLONE_PARENT");
	strcpy(e.comm, "runc:[1:CHILD]");
	cr_assert_str_eq(fired(d, &e), "");
	ck_detect_free(d);
}

Test(detect, rules_from_a_file)
{
	char path[] = "/tmp/ck-detect-XXXXXX";
	struct ck_detect *d = ck_detect_new();
	struct ck_rule_error err = { .size = sizeof(err) };
	int fd = mkstemp(path);
	static const char text[] = "rule from-file\n  priority critical\n  when uid == 4242\nend\n"
				   "rule second\n  when uid == 4243\nend\n";

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cr_assert_eq(ck_detect_add_file(d, path, &err), 0, "%s", err.message);
	cr_assert_eq(ck_detect_rule_count(d), 2);
	cr_assert_str_eq(ck_detect_rule_name(d, 0), "from-file");
	cr_assert_eq(ck_detect_rule_priority(d, 0), CK_PRIORITY_CRITICAL);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "rule bad\n  when uid == x\nend\n", 29), 29);
	close(fd);
	cr_assert_eq(ck_detect_add_file(d, path, &err), -EINVAL);
	cr_assert_str_eq(err.message, "line 2: expected a number after 'uid ==', found 'x'");
	cr_assert_eq(ck_detect_rule_count(d), 2);
	unlink(path);

	cr_assert_eq(ck_detect_add_file(d, "/nonexistent/clonekit.rules", &err), -ENOENT);
	cr_assert_eq(ck_detect_add_file(d, "/", &err), -EISDIR);
	cr_assert_eq(ck_detect_rule_count(d), 2);
	ck_detect_free(d);
}

/* size bytes exactly: rules named PREFIX0, PREFIX1, ... of one short condition each, then blank lines. */
static char *many_rules(size_t size, char prefix, unsigned *count)
{
	char *text = malloc(size + 1);
	size_t len = 0;
	char rule[64];

	cr_assert_not_null(text);
	*count = 0;
	for (;;) {
		int n = snprintf(rule, sizeof(rule), "rule %c%u\n  when uid == %u\nend\n", prefix, *count, *count);
		if (len + (size_t)n > size)
			break;
		memcpy(text + len, rule, (size_t)n);
		len += (size_t)n;
		(*count)++;
	}
	memset(text + len, '\n', size - len);
	text[size] = '\0';
	return text;
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *write_temp(const char *text, size_t len)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/ck-detect-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static double min_of(double a, double b)
{
	return a < b ? a : b;
}

/*
 * issue 11: a 1 MiB rules file took 5.8 s, and 4 times the text took 16
 * times as long; adding rules to a large set cost time for every rule in it.
 * Times are this thread's CPU time, the best of three rounds.
 */
Test(detect, rules_compile_in_linear_time_up_to_the_file_limit, .timeout = 100)
{
	unsigned small_n, big_n, other_n;
	char *small = many_rules(64 * 1024, 'r', &small_n);
	char *big = many_rules((1u << 20) - 1, 'r', &big_n); /* the largest file ck_detect_add_file reads */
	char *other = many_rules(64 * 1024, 's', &other_n);  /* as small, with names the set lacks */
	char *path = write_temp(big, strlen(big));
	double t_small = 1e9, t_big = 1e9, t_onto = 1e9, t_again = 1e9;
	char last[16];

	for (int round = 0; round < 3; round++) {
		struct ck_detect *d = ck_detect_new();
		struct ck_rule_error err = { .size = sizeof(err) };
		double t0 = cpu_ms();
		cr_assert_eq(ck_detect_add_rules(d, small, &err), 0, "%s", err.message);
		double t1 = cpu_ms();
		cr_assert_eq(ck_detect_rule_count(d), small_n);
		ck_detect_clear(d);
		double t2 = cpu_ms();
		cr_assert_eq(ck_detect_add_file(d, path, &err), 0, "%s", err.message);
		double t3 = cpu_ms();
		cr_assert_eq(ck_detect_rule_count(d), big_n);
		cr_assert_eq(ck_detect_add_rules(d, other, &err), 0, "%s", err.message);
		double t4 = cpu_ms();
		cr_assert_eq(ck_detect_rule_count(d), big_n + other_n);
		/* the same names again: every rule replaces its namesake, in place */
		cr_assert_eq(ck_detect_add_file(d, path, &err), 0, "%s", err.message);
		double t5 = cpu_ms();
		cr_assert_eq(ck_detect_rule_count(d), big_n + other_n);
		snprintf(last, sizeof(last), "r%u", big_n - 1);
		cr_assert_str_eq(ck_detect_rule_name(d, big_n - 1), last);
		snprintf(last, sizeof(last), "s%u", other_n - 1);
		cr_assert_str_eq(ck_detect_rule_name(d, big_n + other_n - 1), last);
		t_small = min_of(t_small, t1 - t0);
		t_big = min_of(t_big, t3 - t2);
		t_onto = min_of(t_onto, t4 - t3);
		t_again = min_of(t_again, t5 - t4);
		ck_detect_free(d);
	}
	printf("compile: %u rules (64 KiB) %.1f ms; %u rules (1 MiB - 1) %.1f ms; %u more onto them %.1f ms; "
	       "replacing them %.1f ms\n", small_n, t_small, big_n, t_big, other_n, t_onto, t_again);
	/* 16 times the text: linear is 16 times the time; allow twice that */
	cr_assert_lt(t_big, 32 * t_small, "%.1f ms for 16 times the text of %.1f ms", t_big, t_small);
	/* the rules already in the set cost nothing: as the same text into an empty set, or 4 times that */
	cr_assert_lt(t_onto, 4 * t_small, "%.1f ms onto %u rules, %.1f ms into none", t_onto, big_n, t_small);
	unlink(path);

	/* one byte more is past the documented limit */
	char *over = many_rules(1u << 20, 'r', &big_n);
	path = write_temp(over, strlen(over));
	struct ck_detect *d = ck_detect_new();
	cr_assert_eq(ck_detect_add_file(d, path, NULL), -EFBIG);
	cr_assert_eq(ck_detect_rule_count(d), 0);
	ck_detect_free(d);
	unlink(path);
	free(over);
	free(other);
	free(big);
	free(small);
}

Test(detect, an_empty_text_adds_nothing)
{
	struct ck_detect *d = ck_detect_new();
	cr_assert_eq(ck_detect_add_rules(d, "", NULL), 0);
	cr_assert_eq(ck_detect_add_rules(d, "# only a comment\n\n   \n", NULL), 0);
	cr_assert_eq(ck_detect_rule_count(d), 0);
	ck_detect_free(d);
}

Test(detect, bad_arguments)
{
	struct ck_detect *d = defaults();
	struct ck_event e = call(CK_CALL_FORK, 0, 0);
	struct ck_event old = e;

	old.size = sizeof(old) - 8;
	cr_assert_eq(ck_detect_feed(NULL, &e, NULL, NULL), -EINVAL);
	cr_assert_eq(ck_detect_feed(d, NULL, NULL, NULL), -EINVAL);
	cr_assert_eq(ck_detect_feed(d, &old, NULL, NULL), -EINVAL);
	cr_assert_eq(ck_detect_add_rules(NULL, "", NULL), -EINVAL);
	cr_assert_eq(ck_detect_add_rules(d, NULL, NULL), -EINVAL);
	cr_assert_eq(ck_detect_add_file(d, NULL, NULL), -EINVAL);
	cr_assert_eq(ck_detect_add_defaults(NULL), -EINVAL);
	cr_assert_eq(ck_detect_rule_count(NULL), 0);
	ck_detect_free(NULL);
	ck_detect_clear(NULL);
	ck_detect_free(d);
}

Test(detect, priority_names)
{
	enum ck_priority p;
	cr_assert_str_eq(ck_priority_name(CK_PRIORITY_INFO), "info");
	cr_assert_str_eq(ck_priority_name(CK_PRIORITY_NOTICE), "notice");
	cr_assert_str_eq(ck_priority_name(CK_PRIORITY_WARNING), "warning");
	cr_assert_str_eq(ck_priority_name(CK_PRIORITY_CRITICAL), "critical");
	cr_assert_eq(ck_priority_parse("Critical", &p), 0);
	cr_assert_eq(p, CK_PRIORITY_CRITICAL);
	cr_assert_eq(ck_priority_parse("urgent", &p), -EINVAL);
	cr_assert_eq(ck_priority_parse(NULL, &p), -EINVAL);
}
