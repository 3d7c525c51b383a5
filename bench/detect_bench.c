/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cost of detection rules: compiling rule texts of growing size, and
 * judging events against rate rules with many keys.
 *
 *   detect-bench parse [--rounds R] [--shape defaults|small] SIZE_KIB...
 *       compiles SIZE_KIB of rules with ck_detect_add_rules(): copies of the
 *       default rules, renamed, or one-line conditions ("rule r7 / when
 *       uid == 7 / end"); prints the median CPU time and ns per byte
 *   detect-bench feed [--rounds R] [--events N] KEYS...
 *       judges N fork events by KEYS uids in turn (10 us apart) against the
 *       default rules plus a rate rule by uid; prints the median CPU ns per event
 *   detect-bench windows KEYS...
 *       "rate 1 per 1s by pid", every key twice in turn within the window:
 *       prints how many of the KEYS expected alerts were raised
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clonekit/detect.h>
#include <clonekit/event.h>
#include <clonekit/flags.h>

#define T0 UINT64_C(1795978423000000000)

/* CPU time of this thread: the work is all CPU, and other processes' load does not count. */
static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void *must(void *p)
{
	if (!p) {
		perror("detect-bench");
		exit(2);
	}
	return p;
}

/*
 * At least size bytes of rules: the default set again and again, each copy's
 * names suffixed, or (small) many rules of one short condition each.
 */
static char *rules_text(size_t size, bool small, size_t *rules)
{
	const char *def = ck_detect_default_rules();
	size_t cap = size + strlen(def) * 2 + 64, len = 0;
	char *out = must(malloc(cap));

	*rules = 0;
	if (small) {
		for (unsigned i = 0; len < size; i++, (*rules)++)
			len += (size_t)sprintf(out + len, "rule r%u\n  when uid == %u\nend\n", i, i);
		return out;
	}
	for (unsigned copy = 0; len < size; copy++) {
		for (const char *p = def; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (len + n + 32 > cap) {
				cap *= 2;
				out = must(realloc(out, cap));
			}
			memcpy(out + len, p, n);
			len += n;
			if (n > 5 && strncmp(p, "rule ", 5) == 0) {
				len += (size_t)sprintf(out + len, "-%u", copy);
				(*rules)++;
			}
			out[len++] = '\n';
			p += n + (nl != NULL);
		}
	}
	out[len] = '\0';
	return out;
}

static int parse_bench(int rounds, bool small, char **sizes, int n)
{
	printf("%10s %8s %12s %10s\n", "bytes", "rules", "median ms", "ns/byte");
	for (int i = 0; i < n; i++) {
		size_t kib = strtoul(sizes[i], NULL, 10), nrules;
		char *text = rules_text(kib * 1024, small, &nrules);
		double *t = must(calloc((size_t)rounds, sizeof(*t)));
		size_t len = strlen(text);

		for (int r = 0; r < rounds; r++) {
			struct ck_detect *d = must(ck_detect_new());
			struct ck_rule_error err = { .size = sizeof(err) };
			double t0 = now_ns();
			int rc = ck_detect_add_rules(d, text, &err);
			t[r] = now_ns() - t0;
			if (rc) {
				fprintf(stderr, "detect-bench: %s\n", err.message);
				return 2;
			}
			if (ck_detect_rule_count(d) != nrules) {
				fprintf(stderr, "detect-bench: %zu rules, expected %zu\n", ck_detect_rule_count(d), nrules);
				return 2;
			}
			ck_detect_free(d);
		}
		double m = median(t, rounds);
		printf("%10zu %8zu %12.1f %10.1f\n", len, nrules, m / 1e6, m / (double)len);
		free(t);
		free(text);
	}
	return 0;
}

static struct ck_event fork_event(void)
{
	struct ck_event e;
	ck_event_init(&e);
	e.source = CK_SOURCE_WATCH;
	e.time_ns = T0;
	e.pid = e.tid = 4101;
	e.ppid = 4100;
	strcpy(e.comm, "bash");
	strcpy(e.exe, "/usr/bin/bash");
	e.call = CK_CALL_CLONE;
	e.flags = UINT64_C(0x1200011); /* glibc's fork(): CHILD_CLEARTID|CHILD_SETTID|SIGCHLD */
	e.has_result = true;
	e.result = 4102;
	ck_event_classify(&e);
	return e;
}

static int feed_bench(int rounds, long events, char **keys, int n)
{
	static const char rate_rule[] = "rule per-uid\n"
					"  when kinds has process\n"
					"  rate 1000000 per 1s by uid\n"
					"end\n";

	printf("%8s %10s %16s %8s\n", "keys", "events", "median ns/event", "alerts");
	for (int i = 0; i < n; i++) {
		long k = strtol(keys[i], NULL, 10);
		double *t = must(calloc((size_t)rounds, sizeof(*t)));
		long alerts = 0;

		for (int r = 0; r < rounds; r++) {
			struct ck_detect *d = must(ck_detect_new());
			struct ck_event e = fork_event();
			if (ck_detect_add_defaults(d) || ck_detect_add_rules(d, rate_rule, NULL)) {
				fprintf(stderr, "detect-bench: the rules do not compile\n");
				return 2;
			}
			alerts = 0;
			double t0 = now_ns();
			for (long j = 0; j < events; j++) {
				e.uid = (uint32_t)(1000 + j % k);
				e.time_ns += 10000;
				alerts += ck_detect_feed(d, &e, NULL, NULL);
			}
			t[r] = (now_ns() - t0) / (double)events;
			ck_detect_free(d);
		}
		printf("%8ld %10ld %16.1f %8ld\n", k, events, median(t, rounds), alerts);
		free(t);
	}
	return 0;
}

static int windows_bench(char **keys, int n)
{
	printf("%8s %16s %8s\n", "keys", "expected alerts", "raised");
	for (int i = 0; i < n; i++) {
		long k = strtol(keys[i], NULL, 10), alerts = 0;
		struct ck_detect *d = must(ck_detect_new());
		struct ck_event e = fork_event();
		if (ck_detect_add_rules(d, "rule per-pid\n when kinds has process\n rate 1 per 1s by pid\nend\n", NULL)) {
			fprintf(stderr, "detect-bench: the rule does not compile\n");
			return 2;
		}
		for (int round = 0; round < 2; round++) {
			for (long pid = 0; pid < k; pid++) {
				e.pid = e.tid = (int)(10000 + pid);
				e.time_ns++;
				alerts += ck_detect_feed(d, &e, NULL, NULL);
			}
		}
		printf("%8ld %16ld %8ld\n", k, k, alerts);
		ck_detect_free(d);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = 5, i = 2;
	long events = 2000000;
	bool small = false;

	if (argc < 3) {
		fprintf(stderr, "usage: detect-bench parse|feed|windows [--rounds R] [--events N] [--shape defaults|small] ARG...\n");
		return 2;
	}
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--events") == 0)
			events = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--shape") == 0)
			small = strcmp(argv[i + 1], "small") == 0;
		else
			break;
	}
	if (rounds < 1 || events < 1 || i >= argc) {
		fprintf(stderr, "detect-bench: bad arguments\n");
		return 2;
	}
	if (strcmp(argv[1], "parse") == 0)
		return parse_bench(rounds, small, argv + i, argc - i);
	if (strcmp(argv[1], "feed") == 0)
		return feed_bench(rounds, events, argv + i, argc - i);
	if (strcmp(argv[1], "windows") == 0)
		return windows_bench(argv + i, argc - i);
	fprintf(stderr, "detect-bench: unknown mode '%s'\n", argv[1]);
	return 2;
}
