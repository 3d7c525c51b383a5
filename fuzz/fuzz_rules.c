/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The detection-rule language (docs/rules.md): ck_detect_add_rules() and
 * ck_detect_add_file() on any text, then ck_detect_feed() on events made
 * from the rest of the input. The input is the rule text, then (after a
 * NUL byte, if any) a program of events; without one a few ordinary events
 * are judged. Held to rules_model.c, a reader and judge written from the
 * document alone:
 *   - the text is taken exactly when the document's grammar takes it, whole
 *     or not at all; the default rules are taken; a refusal is -EINVAL with
 *     one line of printable ASCII that begins "line L: ", L the line of the
 *     first error or of the rule it is in, and leaves the set as it was;
 *   - the set holds the default rules with the text's replacing them in
 *     place and the others after, with their priorities;
 *   - every event raises exactly the alerts the document's fields,
 *     operators, unknown values, rate windows and messages say, in rule
 *     order, each message as the document renders it; its --json line is
 *     valid JSON that gives back the event's names (json_check.c);
 *   - compiling takes CPU time in proportion to the text.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <time.h>

#include "cli.h"
#include "internal/util.h"

#include "fuzz.h"
#include "json_check.h"
#include "rules_model.h"

static char why[512];

/* Events judged per input: past a rate rule's 1024 windows, and few enough for speed. */
#define MAX_EVENTS 1600

/* The refusal's promises: "line L: " and one line of printable ASCII. */
static void check_refusal(const struct ck_rule_error *err, const struct rm_error *me, unsigned lines,
			  const char *text)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "line %u: ", err->line);

	FUZZ_CHECK(memchr(err->message, '\0', sizeof(err->message)) && strncmp(err->message, head, (size_t)n) == 0,
		   text, "message '%s' does not begin with '%s'", err->message, head);
	FUZZ_CHECK(err->line >= 1 && err->line <= lines, text, "line %u of a text of %u lines", err->line, lines);
	for (const char *p = err->message; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, text, "message '%s' holds byte 0x%02x", err->message,
			   (unsigned char)*p);
	/* the line of the first error, or an earlier one of the rule it is in (its start, an open parenthesis) */
	FUZZ_CHECK(err->line >= me->rule_line && err->line <= me->err_line, text,
		   "'%s': the document's first error is on line %u (%s), in the rule from line %u", err->message,
		   me->err_line, me->what, me->rule_line);
}

static void check_same_set(const struct ck_detect *d, const struct rm_set *m, const char *text)
{
	FUZZ_CHECK(ck_detect_rule_count(d) == m->count, text, "%zu rules, the document says %zu",
		   ck_detect_rule_count(d), m->count);
	for (size_t i = 0; i < m->count; i++) {
		FUZZ_CHECK(strcmp(ck_detect_rule_name(d, i), rm_rule_name(m->rules[i])) == 0 &&
				   ck_detect_rule_priority(d, i) == rm_rule_priority(m->rules[i]),
			   text, "rule %zu is %s (%s), the document says %s (%s)", i, ck_detect_rule_name(d, i),
			   ck_priority_name(ck_detect_rule_priority(d, i)), rm_rule_name(m->rules[i]),
			   ck_priority_name(rm_rule_priority(m->rules[i])));
	}
}

/* ---- events ---- */

struct alerts {
	size_t n;
	struct {
		char rule[80];
		enum ck_priority priority;
		char message[256];
	} a[64];
	int json_lines; /* left to check this input: each costs a parse */
	const char *text;
};

static void check_alert_json(const struct ck_alert *a, const char *text)
{
	char *line = NULL;
	size_t size = 0;
	struct jc_value v;
	FILE *f = open_memstream(&line, &size);

	if (!f)
		abort();
	cli_fprint_alert(f, true, a);
	fclose(f);
	FUZZ_CHECK(size && line[size - 1] == '\n' && jc_parse(line, size - 1, &v, why, sizeof(why)) == 0, text,
		   "the alert's JSON line (%s): %s", why, line);
	const struct jc_value *alert = jc_get(&v, "alert"), *e = alert ? jc_get(alert, "event") : NULL;
	FUZZ_CHECK(e && jc_holds_bytes(alert, "message", a->message, strlen(a->message), why, sizeof(why)) &&
			   jc_holds_bytes(e, "comm", a->event->comm, strnlen(a->event->comm, sizeof(a->event->comm)), why,
					  sizeof(why)) &&
			   jc_holds_bytes(e, "exe", a->event->exe, strnlen(a->event->exe, sizeof(a->event->exe)), why,
					  sizeof(why)),
		   text, "the alert's JSON does not give back its bytes: %s", why);
	jc_free(&v);
	free(line);
}

static void on_alert(const struct ck_alert *a, void *data)
{
	struct alerts *al = data;

	if (al->n < CK_ARRAY_SIZE(al->a)) {
		snprintf(al->a[al->n].rule, sizeof(al->a[al->n].rule), "%s", a->rule);
		al->a[al->n].priority = a->priority;
		memcpy(al->a[al->n].message, a->message, sizeof(a->message));
	}
	al->n++;
	FUZZ_CHECK(memchr(a->message, '\0', sizeof(a->message)), al->text, "an alert's message is not terminated");
	if (al->json_lines > 0) {
		al->json_lines--;
		check_alert_json(a, al->text);
	}
}

/* Feeds e to d and to the model, and holds the alerts to the model's. */
static void judge(struct ck_detect *d, struct rm_set *m, const struct ck_event *e, struct alerts *al)
{
	char want[256];
	size_t k = 0;

	al->n = 0;
	int r = ck_detect_feed(d, e, on_alert, al);
	FUZZ_CHECK(r >= 0 && (size_t)r == al->n, al->text, "feed returned %d for %zu alerts", r, al->n);
	for (size_t i = 0; i < m->count; i++) {
		if (!rm_judge(m->rules[i], e, want))
			continue;
		FUZZ_CHECK(k < al->n, al->text, "rule %s raised no alert for %s by pid %d (comm %.16s)",
			   rm_rule_name(m->rules[i]), ck_event_call_name(e->call), e->pid, e->comm);
		if (k < CK_ARRAY_SIZE(al->a)) {
			FUZZ_CHECK(strcmp(al->a[k].rule, rm_rule_name(m->rules[i])) == 0, al->text,
				   "alert %zu is rule %s, the document says %s", k, al->a[k].rule, rm_rule_name(m->rules[i]));
			FUZZ_CHECK(al->a[k].priority == rm_rule_priority(m->rules[i]), al->text, "rule %s's priority",
				   al->a[k].rule);
			FUZZ_CHECK(strcmp(al->a[k].message, want) == 0, al->text,
				   "rule %s's message is\n  '%s'\n  the document says\n  '%s'", al->a[k].rule,
				   al->a[k].message, want);
		}
		k++;
	}
	FUZZ_CHECK(k == al->n, al->text, "%zu alerts, the document says %zu (the first: %s)", al->n, k,
		   al->n ? al->a[0].rule : "");
}

/*
 * A value for an event's field: a literal of the rule text (so that events
 * meet its conditions), a small number, or -1..126.
 */
static int64_t pick(struct fuzz_in *in, const struct rm_pool *pool)
{
	uint8_t b = fuzz_u8(in);
	if ((b & 0x80) && pool->nnums)
		return pool->nums[(b & 0x7f) % pool->nnums];
	return (int64_t)(b & 0x7f) - 1;
}

static void pick_name(struct fuzz_in *in, const struct rm_pool *pool, char *out, size_t room)
{
	uint8_t b = fuzz_u8(in);
	memset(out, 0, room);
	if ((b & 0x80) && pool->nstrs) {
		/* a string of the text, a glob's stars and questions filled */
		const char *s = pool->strs[(b & 0x7f) % pool->nstrs];
		size_t n = strlen(s);
		for (size_t i = 0; i < n && i < room; i++)
			out[i] = s[i] == '*' || s[i] == '?' ? 'x' : s[i];
		return;
	}
	size_t n = b & 0x7f;
	if (n == 0x7f)
		n = room; /* all of it, without a NUL */
	fuzz_bytes(in, out, n < room ? n : room);
}

/*
 * One event of the program: 12 bytes and its names. A burst byte of 0xe0
 * to 0xff repeats it 100 to 1600 times, from 0xf0 with new keys (pid,
 * uid, comm, cgroup) each time, so that a rate rule meets its 1024 windows
 * and its shared one.
 */
static void event_program(struct ck_detect *d, struct rm_set *m, const struct rm_pool *pool, struct fuzz_in *in,
			  struct alerts *al, const char *text, size_t *fed)
{
	static struct ck_event e;
	static uint64_t now = 1700000000000000000u;
	uint64_t unit = pool->nperiods ? pool->periods[fuzz_u8(in) % pool->nperiods] / 8 : 125000000;
	uint8_t call = fuzz_u8(in), bits = fuzz_u8(in), burst = fuzz_u8(in), step = fuzz_u8(in);

	ck_event_init(&e);
	e.call = (enum ck_event_call)(call % CK_CALL__COUNT);
	e.arch = ck_arch_at((call >> 3) % ck_arch_count())->arch;
	e.source = bits & 1 ? CK_SOURCE_WATCH : CK_SOURCE_TRACE;
	e.has_result = bits & 2;
	e.has_args = bits & 4;
	e.traced = bits & 8;
	e.in_container = bits & 16;
	e.pid = (int32_t)pick(in, pool);
	e.tid = (int32_t)pick(in, pool);
	e.ppid = (int32_t)pick(in, pool);
	e.uid = (uint32_t)pick(in, pool);
	e.cgroup_id = (uint64_t)pick(in, pool);
	e.result = pick(in, pool);
	e.flags = (uint64_t)pick(in, pool) | fuzz_u64(in, 4);
	e.exit_signal = e.args.exit_signal = (uint64_t)pick(in, pool);
	e.args.flags = e.flags;
	pick_name(in, pool, e.comm, sizeof(e.comm));
	pick_name(in, pool, e.exe, (bits & 32) ? sizeof(e.exe) : 256);
	if (bits & 64)
		e.kinds = CK_EVENT_ESCAPED;
	ck_event_classify(&e);
	/* time moves by steps of an eighth of a rule's period, backwards too (several CPUs) */
	/* one byte in eight asks for a burst (the rest repeat an event up to 4 times): bursts are slow */
	size_t times = (burst & 0xe0) == 0xe0 ? (size_t)(burst & 0x0f) * 100 + 100 : 1 + (size_t)(burst & 3);
	for (size_t i = 0; i < times && *fed < MAX_EVENTS; i++, (*fed)++) {
		if (step & 0x80)
			now -= (uint64_t)(step & 0x3f) * unit / 4;
		else
			now += (uint64_t)(step & 0x7f) * unit / 4;
		e.time_ns = now;
		if ((burst & 0xf0) == 0xf0) {
			e.pid++;
			e.uid++;
			e.ppid++;
			e.cgroup_id++;
			e.comm[0] = (char)('A' + i % 26);
			e.comm[1] = (char)('A' + i / 26 % 26);
		}
		judge(d, m, &e, al);
	}
	(void)text;
}

/* The ordinary events judged when the input has no program. */
static void ordinary_events(struct ck_detect *d, struct rm_set *m, struct alerts *al)
{
	static const struct {
		enum ck_event_call call;
		uint64_t flags;
		int64_t result;
		uint32_t uid;
		const char *comm, *exe;
	} cases[] = {
		{ CK_CALL_CLONE, 0x1200011, 4102, 1000, "bash", "/usr/bin/bash" },
		{ CK_CALL_CLONE, 0x3d0f00, 4103, 1000, "firefox", "/usr/lib/firefox/firefox" },
		{ CK_CALL_UNSHARE, CK_CLONE_NEWUSER | CK_CLONE_NEWNET, 0, 65534, "x\nALERT info z", "/tmp/evil\xff" },
		{ CK_CALL_UNSHARE, CK_CLONE_NEWUSER, -1, 1000, "unshare", "" },
		{ CK_CALL_CLONE3, CK_CLONE_FILES | CK_CLONE_PARENT, 4104, 0, "runc:[1:CHILD]", "/dev/shm/r" },
		{ CK_CALL_VFORK, 0, 4105, 0, "make", "/usr/bin/make" },
		{ CK_CALL_SETNS, CK_CLONE_NEWNS, -13, 1000, "nsenter", "/usr/bin/nsenter" },
		{ CK_CALL_CLONE, CK_CLONE_UNTRACED | 10, 4106, 1000, "sneaky", "/tmp/sneaky" },
	};
	static struct ck_event e;

	for (size_t i = 0; i < CK_ARRAY_SIZE(cases); i++) {
		ck_event_init(&e);
		e.call = cases[i].call;
		e.flags = e.args.flags = cases[i].flags;
		e.has_args = true;
		e.args.exit_signal = 17;
		e.has_result = true;
		e.result = cases[i].result;
		e.uid = cases[i].uid;
		e.pid = e.tid = 4100 + (int)i;
		e.ppid = 1;
		e.traced = i & 1;
		e.time_ns = 1700000000000000000u + i;
		snprintf(e.comm, sizeof(e.comm), "%s", cases[i].comm);
		snprintf(e.exe, sizeof(e.exe), "%s", cases[i].exe);
		ck_event_classify(&e);
		judge(d, m, &e, al);
	}
}

/* ---- the whole ---- */

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ck_detect_add_file() on the input itself: a NUL byte refused on its line, else as add_rules. */
static void check_file(const uint8_t *data, size_t size, int want, const struct ck_rule_error *want_err,
		       const char *text)
{
	static int fd = -1;
	static char path[64];
	struct ck_rule_error err = { .size = sizeof(err) };

	if (fd < 0) {
		if ((fd = memfd_create("fuzz-rules", MFD_CLOEXEC)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct ck_detect *d = ck_detect_new();
	if (!d)
		abort();
	int r = ck_detect_add_file(d, path, &err);
	const uint8_t *nul = memchr(data, '\0', size);
	if (nul) {
		unsigned line = 1;
		for (const uint8_t *p = data; p < nul; p++)
			line += *p == '\n';
		FUZZ_CHECK(r == -EINVAL && err.line == line && ck_detect_rule_count(d) == 0, text,
			   "a NUL byte on line %u: %d, line %u", line, r, err.line);
	} else {
		FUZZ_CHECK(r == want && (r == 0 || (err.line == want_err->line &&
						   strcmp(err.message, want_err->message) == 0)),
			   text, "add_file %d '%s', add_rules %d '%s'", r, err.message, want, want_err->message);
	}
	ck_detect_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rm_set defaults;
	static bool defaults_read;
	char *text = fuzz_cstr(data, size);
	size_t text_len = strlen(text);
	struct fuzz_in events = { data + text_len + 1, text_len < size ? size - text_len - 1 : 0 };
	struct ck_rule_error err = { .size = sizeof(err) };
	struct rm_error me;
	struct rm_set m = { 0 }, add = { 0 };
	struct rm_pool pool = { .nnums = 0 };
	unsigned lines = 1;
	static struct alerts al;

	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	if (!defaults_read) {
		/* the default rules are written in the documented language */
		FUZZ_CHECK(rm_read(ck_detect_default_rules(), &defaults, &me, NULL) == 0, ck_detect_default_rules(),
			   "the document refuses the default rules on line %u: %s", me.err_line, me.what);
		defaults_read = true;
	}
	struct ck_detect *d = ck_detect_new();
	if (!d)
		abort();
	FUZZ_CHECK(ck_detect_add_defaults(d) == 0, text, "the default rules");
	FUZZ_CHECK(rm_read(ck_detect_default_rules(), &m, &me, NULL) == 0, text, "the default rules");

	uint64_t t0 = cpu_ns();
	int r = ck_detect_add_rules(d, text, &err);
	uint64_t spent = cpu_ns() - t0, bound = 5000000 + 20000 * (uint64_t)text_len;
	int want = rm_read(text, &add, &me, &pool);

	/*
	 * Linear: a generous 5 ms and 20 µs a byte, a hundred times what a
	 * sanitizer build needs. A page fault or a reclaim on a loaded machine
	 * counts too, once: over the bound, the best of two more compiles is
	 * what is held to it.
	 */
	for (int again = 0; again < 2 && spent >= bound; again++) {
		struct ck_detect *scratch = ck_detect_new();
		if (!scratch)
			abort();
		t0 = cpu_ns();
		ck_detect_add_rules(scratch, text, NULL);
		uint64_t t = cpu_ns() - t0;
		spent = t < spent ? t : spent;
		ck_detect_free(scratch);
	}
	FUZZ_CHECK(spent < bound, text, "%zu bytes compiled in %" PRIu64 " µs of CPU", text_len, spent / 1000);
	if (want == 0) {
		FUZZ_CHECK(r == 0, text, "refused: %s (the document takes it)", err.message);
		rm_set_merge(&m, &add);
	} else {
		FUZZ_CHECK(r == -EINVAL, text, "returned %d; the document refuses it on line %u: %s", r, me.err_line,
			   me.what);
		check_refusal(&err, &me, lines, text);
	}
	check_same_set(d, &m, text);
	check_file(data, size, r, &err, text);

	al.text = text;
	al.json_lines = 2;
	if (events.n == 0) {
		ordinary_events(d, &m, &al);
	} else {
		size_t fed = 0, half = events.n / 2;
		while (events.n && fed < MAX_EVENTS) {
			event_program(d, &m, &pool, &events, &al, text, &fed);
			/* the same text again halfway: each rule replaces itself, its windows forgotten */
			if (r == 0 && half && events.n <= half) {
				half = 0;
				FUZZ_CHECK(ck_detect_add_rules(d, text, &err) == 0, text, "added twice: %s", err.message);
				FUZZ_CHECK(rm_read(text, &add, &me, NULL) == 0, text, "the model");
				rm_set_merge(&m, &add);
				check_same_set(d, &m, text);
			}
		}
	}
	ck_detect_free(d);
	rm_set_free(&m);
	free(text);
	return 0;
}
