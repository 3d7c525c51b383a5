/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The values of command-line options, read in one place: numbers, id-map
 * ranges, clock offsets, PIDs, errnos, durations. Each function only reads:
 * it returns 0 or -EINVAL and prints nothing; the option's own command says
 * what was wrong. fuzz/fuzz_cli_values.c holds each to its grammar.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../lib/internal/util.h"

int cli_parse_u64(const char *s, uint64_t *out)
{
	/* not strtoull: it skips spaces, negates after them (" -1") and reads 010 as octal */
	return s && ck__parse_u64n(s, strlen(s), 0, UINT64_MAX, out) == 0 ? 0 : -EINVAL;
}

int cli_parse_pid(const char *s, pid_t *out)
{
	uint64_t v;
	if (ck__parse_u64n(s, strlen(s), 10, INT32_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int cli_parse_seconds(const char *s, double *out)
{
	/* digits and one '.' first: strtod alone takes spaces, signs, 1e3, 0x10 and "inf" */
	size_t whole = strspn(s, "0123456789"), frac = 0;
	if (s[whole] == '.')
		frac = strspn(s + whole + 1, "0123456789");
	if (whole + frac == 0 || s[whole + (s[whole] == '.') + frac])
		return -EINVAL;
	double v = strtod(s, NULL);
	if (!isfinite(v) || v <= 0)   /* too many digits: infinity, or an underflow to 0 */
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_errno(const char *s)
{
	uint64_t v;

	if (*s >= '0' && *s <= '9')
		return ck__parse_u64n(s, strlen(s), 10, 4095, &v) == 0 ? (int)v : 0;
	return ck__errno_parse(s);
}

int cli_parse_id_map(const char *s, uint32_t v[3])
{
	/* not sscanf's %llu: it skips spaces and negates, so "-18446744073709551615" was 1 */
	for (int i = 0; i < 3; i++) {
		size_t n = strcspn(s, ":");
		uint64_t x;
		if ((s[n] == ':') != (i < 2) || ck__parse_u64n(s, n, 10, UINT32_MAX, &x) < 0)
			return -EINVAL;
		v[i] = (uint32_t)x;
		s += n + (i < 2);
	}
	return v[2] ? 0 : -EINVAL;
}

int cli_parse_offset(const char *s, int64_t *sec, long *nsec)
{
	const char *p = s;
	bool neg = *p == '-';
	uint64_t whole = 0;
	long frac = 0, scale = 100000000L;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > UINT64_C(1000000000000))
			return -EINVAL;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			if (scale == 0)
				return -EINVAL;
			else
				frac += (*p - '0') * scale;
	}
	if (*p)
		return -EINVAL;
	/* the kernel wants a whole part and 0 <= nsec < 1e9 */
	*sec = neg ? -(int64_t)whole - (frac ? 1 : 0) : (int64_t)whole;
	*nsec = neg && frac ? 1000000000L - frac : frac;
	return 0;
}

int cli_parse_set_tid(const char *s, int32_t *tids, size_t max, uint64_t *n)
{
	/*
	 * Negative and zero PIDs stay: the validator says what the kernel answers
	 * to them. A PID past 32 bits was cut to another by strtol and a cast, and
	 * strtok_r skipped empty elements ("1,,2", "").
	 */
	for (size_t i = 0;; i++) {
		size_t len = strcspn(s, ",");
		bool neg = s[0] == '-';
		uint64_t v;
		if (i >= max || ck__parse_u64n(s + neg, len - neg, 10,
					       neg ? (uint64_t)INT32_MAX + 1 : INT32_MAX, &v) < 0)
			return -EINVAL;
		tids[i] = (int32_t)(neg ? -(int64_t)v : (int64_t)v);
		if (!s[len]) {
			*n = i + 1;
			return 0;
		}
		s += len + 1;
	}
}
