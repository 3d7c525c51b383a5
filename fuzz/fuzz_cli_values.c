/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The values of the command's options (cli/value.c), and the options of run,
 * trace (attr_opts_apply) and check/explain (call_opts_apply) that read them.
 * The input is a sequence of options split at NUL bytes, each a selector
 * byte (1 + its index below) and the option's argument, applied in order to one set of options as
 * a command line would. Each value is held to the grammar its help text
 * states, by an oracle written apart from the parser: what the grammar
 * refuses is refused, what it accepts is read as the number it spells.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "cli.h"

#include "fuzz.h"

/* Reads s[0..n) as digits of base into *v: false when empty, another byte, or more than 64 bits. */
static bool spell(const char *s, size_t n, unsigned base, uint64_t *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = tolower((unsigned char)s[i]), d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		if (__builtin_mul_overflow(*v, base, v) || __builtin_add_overflow(*v, (uint64_t)d, v))
			return false;
	}
	return true;
}

/* "a hex or decimal number of 64 bits": 0x1F or 31, nothing else. */
static bool oracle_u64(const char *s, uint64_t *v)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return spell(s + 2, strlen(s + 2), 16, v);
	return spell(s, strlen(s), 10, v);
}

/* A decimal of at most max, nothing else. */
static bool oracle_decimal(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	return spell(s, n, 10, v) && *v <= max;
}

/* INSIDE:OUTSIDE:COUNT, each decimal of 32 bits, COUNT above 0. */
static bool oracle_id_map(const char *s, uint64_t v[3])
{
	const char *a = strchr(s, ':'), *b = a ? strchr(a + 1, ':') : NULL;
	return b && oracle_decimal(s, (size_t)(a - s), UINT32_MAX, &v[0]) &&
	       oracle_decimal(a + 1, (size_t)(b - a - 1), UINT32_MAX, &v[1]) &&
	       oracle_decimal(b + 1, strlen(b + 1), UINT32_MAX, &v[2]) && v[2] > 0;
}

/* [+-]SECONDS[.DIGITS], up to nine decimals and 10^12 seconds, as nanoseconds. */
static bool oracle_offset(const char *s, __int128 *ns)
{
	bool neg = s[0] == '-';
	const char *p = s + (s[0] == '-' || s[0] == '+');
	size_t whole_n = strspn(p, "0123456789");
	uint64_t whole, frac = 0;
	if (!oracle_decimal(p, whole_n, UINT64_C(1000000000000), &whole))
		return false;
	p += whole_n;
	if (*p == '.') {
		size_t n = strspn(p + 1, "0123456789");
		if (n > 9 || p[1 + n])
			return false;
		for (size_t i = 0; i < 9; i++)
			frac = frac * 10 + (i < n ? (uint64_t)(p[1 + i] - '0') : 0);
	} else if (*p) {
		return false;
	}
	*ns = ((__int128)whole * 1000000000 + frac) * (neg ? -1 : 1);
	return true;
}

/* Up to max comma-separated PIDs, each a decimal of 32 bits with an optional '-'. */
static bool oracle_set_tid(const char *s, size_t max, int32_t *tids, size_t *n)
{
	*n = 0;
	for (const char *p = s;; p++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool neg = len > 0 && p[0] == '-';
		uint64_t v;
		if (*n == max || !oracle_decimal(p + neg, len - neg, neg ? UINT64_C(2147483648) : INT32_MAX, &v))
			return false;
		tids[(*n)++] = (int32_t)(neg ? -(int64_t)v : (int64_t)v);
		if (!end)
			return true;
		p = end;
	}
}

/* An errno: the name ck_errno_name gives a number, in any case, or the number 1-4095. */
static bool oracle_errno(const char *s, int *e)
{
	uint64_t v;
	if (oracle_decimal(s, strlen(s), 4095, &v) && v > 0) {
		*e = (int)v;
		return true;
	}
	for (int i = 1; i <= 4095; i++) {
		if (ck_errno_name(i) && strcasecmp(ck_errno_name(i), s) == 0) {
			*e = i;
			return true;
		}
	}
	return false;
}

/* Seconds above 0, decimals allowed: 10, 0.5, .5; a double that is finite and above 0. */
static bool oracle_seconds(const char *s)
{
	size_t a = strspn(s, "0123456789"), b = 0;
	if (s[a] == '.')
		b = strspn(s + a + 1, "0123456789");
	if (a + b == 0 || s[a + (s[a] == '.') + b] != '\0')
		return false;
	double v = strtod(s, NULL);
	return isfinite(v) && v > 0;
}

/* A comma-separated list, no element empty, each accepted by ok(); the OR of their values. */
static bool oracle_list(const char *s, uint64_t (*value)(const char *, size_t), uint64_t *out)
{
	*out = 0;
	for (const char *p = s;; p++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		uint64_t v = len ? value(p, len) : 0;
		if (!v)
			return false;
		*out |= v;
		if (!end)
			return true;
		p = end;
	}
}

/* The flag a list element names for --new (a namespace, or all) or --share; 0 for none. */
static uint64_t element_flag(const char *p, size_t len, uint64_t allowed)
{
	char word[64];
	if (len >= sizeof(word))
		return 0;
	memcpy(word, p, len);
	word[len] = '\0';
	if (allowed == CK_CLONE_NEWNS_ALL && strcmp(word, "all") == 0)
		return CK_CLONE_NEWNS_ALL;
	const struct ck_flag *f = ck_flag_by_name(word);
	return f && (f->value & allowed) ? f->value : 0;
}
static uint64_t ns_element(const char *p, size_t len)
{
	return element_flag(p, len, CK_CLONE_NEWNS_ALL);
}
static uint64_t share_element(const char *p, size_t len)
{
	return element_flag(p, len, CK_CLONE_VM | CK_CLONE_FS | CK_CLONE_IO | CK_CLONE_SYSVSEM);
}

/* What each selector byte picks: a value parser, an ATTR_OPT_*, or a CALL_LONG_OPTIONS value. */
enum {
	V_U64, V_PID, V_SECONDS, V_ERRNO, V_ID_MAP, V_OFFSET, V_SET_TID, V__COUNT,
	ATTR_FIRST = V__COUNT,
	CALL_FIRST = ATTR_FIRST + (ATTR_OPT_END - ATTR_OPT_FIRST),
	CALL_COUNT = 0x10b - 0x100,   /* 0x10b (--cgroup) opens a path: left out */
	SELECTORS = CALL_FIRST + CALL_COUNT
};

struct state {
	struct attr_opts attr;
	struct call_opts call;
	size_t uid_maps, gid_maps;
};

static void value(int which, const char *arg)
{
	uint64_t u = 0, want[3];
	int32_t tids[CK_SET_TID_MAX + 1], want_tids[CK_SET_TID_MAX + 1];
	size_t want_n;
	uint64_t n = 0;
	pid_t pid = 0;
	double sec = 0;
	uint32_t map[3];
	int64_t s = 0;
	long ns = 0;
	__int128 want_ns;
	int e;

	switch (which) {
	case V_U64: {
		bool ok = oracle_u64(arg, want);
		int r = cli_parse_u64(arg, &u);
		FUZZ_CHECK((r == 0) == ok && (!ok || u == want[0]), arg, "%d: %#" PRIx64 ", the grammar says %s %#" PRIx64,
			   r, u, ok ? "yes" : "no", want[0]);
		break;
	}
	case V_PID: {
		bool ok = oracle_decimal(arg, strlen(arg), INT32_MAX, want) && want[0] > 0;
		int r = cli_parse_pid(arg, &pid);
		FUZZ_CHECK((r == 0) == ok && (!ok || (uint64_t)pid == want[0]), arg, "%d: pid %d", r, (int)pid);
		break;
	}
	case V_SECONDS: {
		bool ok = oracle_seconds(arg);
		int r = cli_parse_seconds(arg, &sec);
		FUZZ_CHECK((r == 0) == ok && (!ok || (isfinite(sec) && sec > 0)), arg, "%d: %g seconds", r, sec);
		if (ok)
			FUZZ_CHECK(sec == strtod(arg, NULL), arg, "%g seconds", sec);
		break;
	}
	case V_ERRNO: {
		int want_e = 0;
		bool ok = oracle_errno(arg, &want_e);
		e = cli_parse_errno(arg);
		FUZZ_CHECK(ok ? e == want_e : e == 0, arg, "errno %d, the grammar says %d", e, ok ? want_e : 0);
		break;
	}
	case V_ID_MAP: {
		bool ok = oracle_id_map(arg, want);
		int r = cli_parse_id_map(arg, map);
		FUZZ_CHECK((r == 0) == ok && (!ok || (map[0] == want[0] && map[1] == want[1] && map[2] == want[2])), arg,
			   "%d: %u:%u:%u", r, map[0], map[1], map[2]);
		break;
	}
	case V_OFFSET: {
		bool ok = oracle_offset(arg, &want_ns);
		int r = cli_parse_offset(arg, &s, &ns);
		FUZZ_CHECK((r == 0) == ok, arg, "%d, the grammar says %s", r, ok ? "yes" : "no");
		if (ok)
			FUZZ_CHECK(ns >= 0 && ns < 1000000000 && (__int128)s * 1000000000 + ns == want_ns, arg,
				   "read as %" PRId64 " s %ld ns", s, ns);
		break;
	}
	case V_SET_TID: {
		bool ok = oracle_set_tid(arg, CK_SET_TID_MAX, want_tids, &want_n);
		int r = cli_parse_set_tid(arg, tids, CK_SET_TID_MAX, &n);
		FUZZ_CHECK((r == 0) == ok, arg, "%d, the grammar says %s", r, ok ? "yes" : "no");
		FUZZ_CHECK(n <= CK_SET_TID_MAX, arg, "%" PRIu64 " PIDs", n);
		if (ok) {
			FUZZ_CHECK(n == want_n, arg, "%" PRIu64 " PIDs, not %zu", n, want_n);
			for (size_t i = 0; i < want_n; i++)
				FUZZ_CHECK(tids[i] == want_tids[i], arg, "PID %zu is %d, not %d", i, tids[i], want_tids[i]);
		}
		break;
	}
	}
}

static void attr_option(struct state *st, int opt, const char *arg)
{
	uint64_t before_ns = st->attr.namespaces, before_share = st->attr.share, want = 0, v[3];
	unsigned sig;
	__int128 ns;
	bool ok;

	switch (opt) {
	case ATTR_OPT_NEW: ok = oracle_list(arg, ns_element, &want); break;
	case ATTR_OPT_SHARE: ok = oracle_list(arg, share_element, &want); break;
	case ATTR_OPT_UID_MAP:
	case ATTR_OPT_GID_MAP:
		/* a range ends at 4294967294 at most (4294967295 is (uid_t)-1); 340 ranges at most */
		ok = oracle_id_map(arg, v) && v[0] + v[2] - 1 <= UINT32_MAX - 1 && v[1] + v[2] - 1 <= UINT32_MAX - 1 &&
		     (opt == ATTR_OPT_UID_MAP ? st->uid_maps : st->gid_maps) < 340;
		break;
	case ATTR_OPT_HOSTNAME: ok = strlen(arg) <= 64; break;
	case ATTR_OPT_MONO:
	case ATTR_OPT_BOOT: ok = oracle_offset(arg, &ns); break;
	case ATTR_OPT_EXIT_SIGNAL: ok = ck_signal_parse(arg, &sig) == 0 && sig <= 64; break;
	case ATTR_OPT_SECCOMP:
		ok = !strcmp(arg, "deny-namespaces") || !strcmp(arg, "deny-userns") || !strcmp(arg, "no-child-process");
		break;
	case ATTR_OPT_CGROUP: return;   /* opens the path */
	default: ok = true;             /* no value, or any path (--cwd) */
	}
	int r = attr_opts_apply(&st->attr, "fuzz", opt, arg);
	FUZZ_CHECK((r == 0) == ok, arg, "option %#x: %d, the grammar says %s", opt, r, ok ? "yes" : "no");
	if (r == 0 && opt == ATTR_OPT_UID_MAP)
		st->uid_maps++;
	if (r == 0 && opt == ATTR_OPT_GID_MAP)
		st->gid_maps++;
	if (opt == ATTR_OPT_NEW)
		FUZZ_CHECK(st->attr.namespaces == (ok ? before_ns | want : before_ns) || !ok, arg,
			   "--new gave %#" PRIx64, st->attr.namespaces);
	if (opt == ATTR_OPT_SHARE && ok)
		FUZZ_CHECK(st->attr.share == (before_share | want), arg, "--share gave %#" PRIx64, st->attr.share);
}

static void call_option(struct state *st, int opt, const char *arg)
{
	uint64_t v;
	uint32_t k;
	unsigned sig;
	enum ck_syscall sc;
	int32_t tids[CK_SET_TID_MAX];
	size_t n;
	bool ok;

	switch (opt) {
	case 0x100: ok = ck_syscall_parse(arg, &sc) == 0; break;
	case 0x101: ok = ck_signal_parse(arg, &sig) == 0; break;
	case 0x102: ok = ck_kernel_version_parse(arg, &k) == 0; break;
	case 0x107:
	case 0x108:
	case 0x109: ok = oracle_u64(arg, &v); break;
	case 0x10a: ok = oracle_set_tid(arg, CK_SET_TID_MAX, tids, &n); break;
	default: ok = true;
	}
	int r = call_opts_apply(&st->call, "fuzz", opt, arg);
	FUZZ_CHECK((r == 0) == ok, arg, "option %#x: %d, the grammar says %s", opt, r, ok ? "yes" : "no");
	if (ok && opt == 0x107)
		FUZZ_CHECK(st->call.stack == v, arg, "--stack %#" PRIx64, st->call.stack);
	if (ok && opt == 0x10a)
		FUZZ_CHECK(st->call.set_tid_size == n && !memcmp(st->call.set_tid, tids, n * sizeof(*tids)), arg,
			   "--set-tid: %" PRIu64 " PIDs", st->call.set_tid_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all = fuzz_cstr(data, size), *opt[64];
	size_t n = fuzz_split(all, size, opt, 64);
	struct state st = { .uid_maps = 0 };

	fuzz_quiet_stderr();
	if (attr_opts_init(&st.attr) < 0)
		abort();
	call_opts_init(&st.call);
	for (size_t i = 0; i < n; i++) {
		if (!opt[i][0])
			continue;
		/* NUL separates the options, so selector bytes start at 1 */
		int which = ((unsigned char)opt[i][0] - 1) % SELECTORS;
		const char *arg = opt[i] + 1;
		if (which < V__COUNT)
			value(which, arg);
		else if (which < CALL_FIRST)
			attr_option(&st, ATTR_OPT_FIRST + which - ATTR_FIRST, arg);
		else
			call_option(&st, 0x100 + which - CALL_FIRST, arg);
	}
	attr_opts_release(&st.attr);
	call_opts_release(&st.call);
	free(all);
	return 0;
}
