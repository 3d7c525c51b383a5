/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What printing one event costs: ck_event_format_json and
 * ck_event_format_strace on the events watch prints most (a fork, a
 * pthread_create clone3 with its struct and namespaces), and on one whose
 * comm and exe a hostile process chose (control bytes, bytes not UTF-8).
 *
 *   event-format-bench [--rounds R] [--iterations N]
 *
 * Each round formats every event N times per printer, the printers taking
 * turns; prints the median over rounds of ns per event, and the quartiles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clonekit/event.h>
#include <clonekit/flags.h>

enum { EV_FORK, EV_THREAD, EV_HOSTILE, EV_COUNT };
static const char *const ev_names[EV_COUNT] = { "fork", "clone3 thread", "hostile comm+exe" };

static void make(struct ck_event *e, int which)
{
	ck_event_init(e);
	e->source = CK_SOURCE_WATCH;
	e->time_ns = 1795978423000000000ull;
	e->pid = e->tid = 4101;
	e->ppid = 4100;
	e->cgroup_id = 7351;
	e->has_result = true;
	e->result = 4102;
	for (int i = 0; i < CK_NS__COUNT; i++)
		e->ns_before[i] = e->ns_after[i] = 4026531834u + (unsigned)i;
	switch (which) {
	case EV_FORK:
		strcpy(e->comm, "bash");
		strcpy(e->exe, "/usr/bin/bash");
		e->call = CK_CALL_CLONE;
		e->flags = 0x1200011;
		e->child_tid = 0x7f2d5c1e5a10;
		break;
	case EV_THREAD:
		strcpy(e->comm, "gmain");
		strcpy(e->exe, "/usr/lib/x86_64-linux-gnu/libexec/some-daemon");
		e->call = CK_CALL_CLONE3;
		e->has_args = true;
		e->args_size = 88;
		e->args.flags = 0x3d0f00;
		e->args.child_tid = e->args.parent_tid = 0x7f5d3b1fe990;
		e->args.stack = 0x7f5d3a9fe000;
		e->args.stack_size = 0x7ff880;
		e->args.tls = 0x7f5d3b1fe6c0;
		break;
	case EV_HOSTILE:
		memcpy(e->comm, "x\nALERT \xff\xfe z\\\"", 15);
		snprintf(e->exe, sizeof(e->exe), "/tmp/bad\xff\xfe\n\"\\%s", "\xc3\xa9t\xc3\xa9/\x80\x81\xf0\x9f\x98\x80");
		e->call = CK_CALL_UNSHARE;
		e->flags = 0x50000000;
		e->result = 0;
		break;
	}
	ck_event_classify(e);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int (*const printers[2])(const struct ck_event *, char *, size_t) = {
		ck_event_format_json, ck_event_format_strace,
	};
	static const char *const printer_names[2] = { "json", "strace" };
	long rounds = 21, iterations = 20000;
	struct ck_event ev[EV_COUNT];
	static char buf[8192];
	volatile size_t sink = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--iterations") == 0)
			iterations = atol(argv[i + 1]);
	}
	if (rounds < 1 || iterations < 1) {
		fprintf(stderr, "usage: event-format-bench [--rounds R] [--iterations N]\n");
		return 2;
	}
	double *t = calloc((size_t)rounds * 2 * EV_COUNT, sizeof(double));
	if (!t)
		return 1;
	for (int k = 0; k < EV_COUNT; k++)
		make(&ev[k], k);
	for (long r = 0; r < rounds; r++) {
		for (int p = 0; p < 2; p++) {
			for (int k = 0; k < EV_COUNT; k++) {
				double t0 = now_ns();
				for (long i = 0; i < iterations; i++)
					sink += (size_t)printers[p](&ev[k], buf, sizeof(buf));
				t[(p * EV_COUNT + k) * rounds + r] = (now_ns() - t0) / (double)iterations;
			}
		}
	}
	printf("%-8s %-18s %10s %10s %10s %8s\n", "printer", "event", "median ns", "q1", "q3", "bytes");
	for (int p = 0; p < 2; p++) {
		for (int k = 0; k < EV_COUNT; k++) {
			double *s = &t[(p * EV_COUNT + k) * rounds];
			qsort(s, (size_t)rounds, sizeof(double), cmp);
			int n = printers[p](&ev[k], buf, sizeof(buf));
			printf("%-8s %-18s %10.1f %10.1f %10.1f %8d\n", printer_names[p], ev_names[k],
			       s[rounds / 2], s[rounds / 4], s[(3 * rounds) / 4], n);
		}
	}
	free(t);
	return sink == 0;
}
