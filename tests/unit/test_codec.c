/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The flag codec: strace's text, parsing what people type, round trips. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clonekit/flags.h>

static const char *fmt(uint64_t v, enum ck_syscall sc)
{
	static char buf[512];
	cr_assert_lt(ck_flags_format(v, sc, buf, sizeof(buf)), (int)sizeof(buf));
	return buf;
}

Test(codec, fork_fingerprint_prints_as_strace_does)
{
	cr_assert_str_eq(fmt(0x1200011, CK_SYSCALL_CLONE),
			 "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
}

Test(codec, pthread_create_fingerprint_prints_as_strace_does)
{
	cr_assert_str_eq(fmt(0x3d0f00, CK_SYSCALL_CLONE),
			 "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
			 "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID");
	cr_assert_str_eq(fmt(0x3d0f00, CK_SYSCALL_CLONE3),
			 "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
			 "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID");
}

/* Each expectation below was read off strace 6.1 on this kernel. */
Test(codec, edge_cases_match_strace_6_1)
{
	cr_assert_str_eq(fmt(0, CK_SYSCALL_CLONE), "0");
	cr_assert_str_eq(fmt(0x11, CK_SYSCALL_CLONE), "SIGCHLD");
	cr_assert_str_eq(fmt(0x20, CK_SYSCALL_CLONE), "SIGRTMIN");
	cr_assert_str_eq(fmt(0x40, CK_SYSCALL_CLONE), "SIGRT_32");
	cr_assert_str_eq(fmt(0x41, CK_SYSCALL_CLONE), "65");
	cr_assert_str_eq(fmt(0x80, CK_SYSCALL_CLONE), "128");
	cr_assert_str_eq(fmt(0x80000000, CK_SYSCALL_CLONE), "CLONE_IO");
	cr_assert_str_eq(fmt(0x400011, CK_SYSCALL_CLONE), "0x400000 /* CLONE_??? */|SIGCHLD");
	cr_assert_str_eq(fmt(0x400111, CK_SYSCALL_CLONE), "CLONE_VM|0x400000|SIGCHLD");
	cr_assert_str_eq(fmt(0x100000011, CK_SYSCALL_CLONE), "0x100000000 /* CLONE_??? */|SIGCHLD");
	cr_assert_str_eq(fmt(0x4000000000000111, CK_SYSCALL_CLONE), "CLONE_VM|0x4000000000000000|SIGCHLD");
	cr_assert_str_eq(fmt(0x80, CK_SYSCALL_CLONE3), "CLONE_NEWTIME");
	cr_assert_str_eq(fmt(0x80000080, CK_SYSCALL_CLONE3), "CLONE_IO|CLONE_NEWTIME");
	cr_assert_str_eq(fmt(0x300000000, CK_SYSCALL_CLONE3), "CLONE_CLEAR_SIGHAND|CLONE_INTO_CGROUP");
	cr_assert_str_eq(fmt(0x400000000, CK_SYSCALL_CLONE3), "0x400000000 /* CLONE_??? */");
	cr_assert_str_eq(fmt(0x400000, CK_SYSCALL_CLONE3), "0x400000 /* CLONE_??? */");
	cr_assert_str_eq(fmt(0, CK_SYSCALL_CLONE3), "0");
	cr_assert_str_eq(fmt(0x80, CK_SYSCALL_UNSHARE), "CLONE_NEWTIME");
	cr_assert_str_eq(fmt(0x10000080, CK_SYSCALL_UNSHARE), "CLONE_NEWTIME|CLONE_NEWUSER");
	cr_assert_str_eq(fmt(0x1000, CK_SYSCALL_UNSHARE), "0x1000 /* CLONE_??? */");
	cr_assert_str_eq(fmt(0x80000000, CK_SYSCALL_UNSHARE), "0x80000000 /* CLONE_??? */");
	cr_assert_str_eq(fmt(0, CK_SYSCALL_UNSHARE), "0");
}

Test(codec, format_reports_the_length_it_needs)
{
	char small[8];
	int n = ck_flags_format(0x1200011, CK_SYSCALL_CLONE, small, sizeof(small));
	cr_assert_eq(n, (int)strlen("CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"));
	cr_assert_eq(small[sizeof(small) - 1], '\0');
	cr_assert_eq(ck_flags_format(0, CK_SYSCALL__COUNT, small, sizeof(small)), -EINVAL);
}

static uint64_t parse_ok(const char *s, enum ck_syscall sc)
{
	uint64_t v = 0;
	struct ck_parse_error e;
	cr_assert_eq(ck_flags_parse(s, sc, &v, &e), 0, "'%s': %s", s, e.message);
	return v;
}

Test(codec, parses_names_short_names_and_numbers)
{
	cr_assert_eq(parse_ok("CLONE_VM|CLONE_FS|SIGCHLD", CK_SYSCALL_CLONE), 0x311);
	cr_assert_eq(parse_ok("vm,fs,newuser", CK_SYSCALL_CLONE3), 0x10000300);
	cr_assert_eq(parse_ok(" vm | FS ,  clone_files ", CK_SYSCALL_CLONE), 0x700);
	cr_assert_eq(parse_ok("0x1200011", CK_SYSCALL_CLONE), 0x1200011);
	cr_assert_eq(parse_ok("18874385", CK_SYSCALL_CLONE), 0x1200011);
	cr_assert_eq(parse_ok("0", CK_SYSCALL_UNSHARE), 0);
	cr_assert_eq(parse_ok("user,mnt,pid", CK_SYSCALL_UNSHARE), 0x30020000);
	cr_assert_eq(parse_ok("0x400000 /* CLONE_??? */|SIGCHLD", CK_SYSCALL_CLONE), 0x400011);
	cr_assert_eq(parse_ok("CLONE_VM|SIGRTMIN+1", CK_SYSCALL_CLONE), 0x121);
	cr_assert_eq(parse_ok("newtime", CK_SYSCALL_CLONE3), 0x80);
	cr_assert_eq(parse_ok("CLONE_VM|0x11", CK_SYSCALL_CLONE), 0x111);
}

static void parse_fails(const char *s, enum ck_syscall sc, const char *token, size_t offset,
			const char *fragment)
{
	uint64_t v = 0xdead;
	struct ck_parse_error e;
	cr_assert_eq(ck_flags_parse(s, sc, &v, &e), -EINVAL, "'%s' was accepted", s);
	cr_assert_eq(v, 0xdead, "'%s' wrote a value", s);
	cr_assert_str_eq(e.token, token, "'%s'", s);
	cr_assert_eq(e.offset, offset, "'%s'", s);
	cr_assert(strstr(e.message, fragment), "'%s': message '%s' lacks '%s'", s, e.message, fragment);
}

Test(codec, bad_input_names_the_offending_token)
{
	parse_fails("CLONE_VM|CLONE_BOGUS", CK_SYSCALL_CLONE, "CLONE_BOGUS", 9, "unknown flag 'CLONE_BOGUS'");
	parse_fails("vm,newusr", CK_SYSCALL_CLONE, "newusr", 3, "did you mean 'newuser'");
	parse_fails("0xZZ", CK_SYSCALL_CLONE, "0xZZ", 0, "not a hex or decimal number");
	parse_fails("123456789012345678901234", CK_SYSCALL_CLONE, "123456789012345678901234", 0,
		    "does not fit in 64 bits");
	parse_fails("vm|SIGCHLD", CK_SYSCALL_CLONE3, "SIGCHLD", 3, "--exit-signal");
	parse_fails("SIGCHLD", CK_SYSCALL_UNSHARE, "SIGCHLD", 0, "unshare takes no signal");
	parse_fails("CLONE_NEWTIME", CK_SYSCALL_CLONE, "CLONE_NEWTIME", 0, "use clone3");
	parse_fails("SIGCHLD|SIGINT", CK_SYSCALL_CLONE, "SIGINT", 8, "second exit signal");
	parse_fails("SIGINT|SIGCHLD", CK_SYSCALL_CLONE, "SIGCHLD", 7, "second exit signal");
	parse_fails("SIGCHLD|2", CK_SYSCALL_CLONE, "2", 8,
		    "'2' sets the exit signal byte to 2, but 'SIGCHLD' names exit signal 17");
	parse_fails("2|SIGCHLD", CK_SYSCALL_CLONE, "2", 0,
		    "'2' sets the exit signal byte to 2, but 'SIGCHLD' names exit signal 17");
	parse_fails("vm|SIGCHLD|0x1200001", CK_SYSCALL_CLONE, "0x1200001", 11, "write one exit signal");
	parse_fails("", CK_SYSCALL_CLONE, "", 0, "no flags given");
	parse_fails("vm /* open", CK_SYSCALL_CLONE, "/* open", 3, "unterminated comment");
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Values shaped like real flag words as well as arbitrary 64-bit noise. */
static uint64_t random_value(void)
{
	switch (next() % 4) {
	case 0:
		return next();
	case 1:
		return next() & 0xffffffff;
	case 2: {
		uint64_t v = 0;
		for (size_t i = 0; i < ck_flag_count(); i++)
			if (next() % 4 == 0)
				v |= ck_flag_at(i)->value;
		return v | (next() & 0xff);
	}
	default:
		return (next() & 0xff) | (next() % 3 == 0 ? UINT64_C(1) << (next() % 64) : 0);
	}
}

Test(codec, parse_of_format_round_trips_a_million_values_per_syscall, .timeout = 120)
{
	const size_t n = 1000000;
	char buf[512];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int sc = 0; sc < CK_SYSCALL__COUNT; sc++) {
		for (size_t i = 0; i < n; i++) {
			uint64_t v = random_value(), back = ~v;
			struct ck_parse_error e;
			ck_flags_format(v, (enum ck_syscall)sc, buf, sizeof(buf));
			int r = ck_flags_parse(buf, (enum ck_syscall)sc, &back, &e);
			if (r != 0 || back != v)
				cr_assert_fail("%s: %#" PRIx64 " -> '%s' -> %#" PRIx64 " (%s)",
					ck_syscall_name((enum ck_syscall)sc), v, buf, back,
					r ? e.message : "value differs");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "codec round trip: %zu values per syscall x 3 syscalls, all equal (%.2f s)\n", n,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

Test(codec, every_low_byte_round_trips_for_clone)
{
	char buf[512];
	for (uint64_t sig = 0; sig < 256; sig++) {
		uint64_t v = 0x1200000 | sig, back;
		ck_flags_format(v, CK_SYSCALL_CLONE, buf, sizeof(buf));
		cr_assert_eq(ck_flags_parse(buf, CK_SYSCALL_CLONE, &back, NULL), 0, "%s", buf);
		cr_assert_eq(back, v, "%s", buf);
	}
}

/*
 * For clone, a number whose low byte is an exit signal other than the one a
 * name gives is refused, and everything else is the bitwise OR, whichever
 * comes first: every low byte against every signal name, in both orders.
 */
Test(codec, a_number_and_a_signal_name_mix_the_same_way_in_either_order)
{
	static const uint64_t high[] = { 0, 0x1200000, UINT64_C(0x4000000000000000) };
	char name[16], a[64], b[64];
	size_t refused = 0, accepted = 0;

	for (unsigned sig = 1; sig <= 64; sig++) {
		ck_signal_name(sig, name, sizeof(name));
		for (uint64_t low = 0; low < 256; low++) {
			for (size_t h = 0; h < sizeof(high) / sizeof(high[0]); h++) {
				uint64_t num = high[h] | low, va = 0xdead, vb = 0xbeef;
				struct ck_parse_error ea, eb;
				snprintf(a, sizeof(a), "%s|%#" PRIx64, name, num);
				snprintf(b, sizeof(b), "%#" PRIx64 "|%s", num, name);
				int ra = ck_flags_parse(a, CK_SYSCALL_CLONE, &va, &ea);
				int rb = ck_flags_parse(b, CK_SYSCALL_CLONE, &vb, &eb);
				bool agree = low == 0 || low == sig;
				cr_assert_eq(ra, agree ? 0 : -EINVAL, "'%s'", a);
				cr_assert_eq(rb, ra, "'%s' and '%s' differ", a, b);
				if (agree) {
					cr_assert_eq(va, num | sig, "'%s'", a);
					cr_assert_eq(vb, va, "'%s' and '%s' differ", a, b);
					accepted++;
				} else {
					cr_assert_eq(va, 0xdead, "'%s' wrote a value", a);
					cr_assert_str_eq(ea.message, eb.message);
					cr_assert_str_eq(ea.token, eb.token);
					cr_assert_eq(ea.offset, strlen(name) + 1, "'%s'", a);
					cr_assert_eq(eb.offset, 0, "'%s'", b);
					refused++;
				}
			}
		}
	}
	cr_assert_eq(accepted, 64 * 2 * 3);
	cr_assert_eq(refused, 64 * 254 * 3);
}

/* Numbers alone are a raw word: their low bytes combine, in any order. */
Test(codec, numbers_without_a_signal_name_are_one_raw_word)
{
	cr_assert_eq(parse_ok("16|1", CK_SYSCALL_CLONE), 0x11);
	cr_assert_eq(parse_ok("1|16", CK_SYSCALL_CLONE), 0x11);
	cr_assert_eq(parse_ok("0x1200000|17", CK_SYSCALL_CLONE), 0x1200011);
	/* the low byte holds flags, not a signal, for clone3 and unshare */
	cr_assert_eq(parse_ok("newtime|0x1", CK_SYSCALL_CLONE3), 0x81);
}
