/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one JSON writer (lib/internal/json.c): UTF-8 as RFC 3629 has it,
 * bytes that are not UTF-8 kept by the rule of docs/event-schema.md, exact
 * 64-bit numbers, snprintf's contract; and its lines, for random bytes,
 * parsed by tests/json_lines.py as strict UTF-8 and turned back into the
 * original bytes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/json.h"

#define B(s) s, sizeof(s) - 1

Test(json, utf8_validity_follows_rfc_3629)
{
	static const struct { const char *s; size_t n; bool ok; } cases[] = {
		{ B("ascii \x7f"), true },
		{ B("\xc2\x80 \xdf\xbf"), true },                  /* U+0080, U+07FF */
		{ B("\xe0\xa0\x80 \xef\xbf\xbf"), true },          /* U+0800, U+FFFF */
		{ B("\xed\x9f\xbf \xee\x80\x80"), true },          /* U+D7FF, U+E000 */
		{ B("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"), true },  /* U+10000, U+10FFFF */
		{ B("\0"), true },
		{ B("\xc0\x80"), false },                          /* overlong NUL */
		{ B("\xc1\xbf"), false },
		{ B("\xe0\x9f\xbf"), false },                      /* overlong */
		{ B("\xed\xa0\x80"), false },                      /* U+D800, a surrogate */
		{ B("\xed\xbf\xbf"), false },
		{ B("\xf0\x8f\xbf\xbf"), false },                  /* overlong */
		{ B("\xf4\x90\x80\x80"), false },                  /* past U+10FFFF */
		{ B("\xf5\x80\x80\x80"), false },
		{ B("\xff"), false },
		{ B("\x80"), false },                              /* a lone continuation */
		{ B("\xe2\x82"), false },                          /* cut short */
		{ B("a\xc3"), false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(ck__utf8_valid(cases[i].s, cases[i].n), cases[i].ok, "case %zu", i);
}

Test(json, each_maximal_ill_formed_subpart_becomes_one_replacement_character)
{
	/* the same as Python's bytes.decode("utf-8", "replace") */
	static const struct { const char *s; size_t n; const char *out; } cases[] = {
		{ B("bad\xff\xfe"), "bad\xef\xbf\xbd\xef\xbf\xbd" },
		{ B("\xf0\x9f\x98" "A"), "\xef\xbf\xbd" "A" },       /* one for a sequence cut short */
		{ B("\xe0\x80"), "\xef\xbf\xbd\xef\xbf\xbd" },       /* E0 80 is no prefix of anything */
		{ B("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ B("\xc3\xa9\xc3"), "\xc3\xa9\xef\xbf\xbd" },
		{ B("\xef\xbf\xbd"), "\xef\xbf\xbd" },               /* U+FFFD itself is valid */
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = ck__utf8_repair(out, sizeof(out), cases[i].s, cases[i].n);
		cr_assert_str_eq(out, cases[i].out, "case %zu", i);
		cr_assert_eq(n, strlen(cases[i].out), "case %zu", i);
	}
	/* cut at a whole character */
	cr_assert_eq(ck__utf8_repair(out, 5, "ab\xff\xff", 4), 8);
	cr_assert_str_eq(out, "ab");
}

/* One object {KEY: s} formatted into a static buffer. */
static const char *one(const char *key, const char *s, size_t n)
{
	static char buf[4096];
	struct ck__json w;

	ck__json_init(&w);
	ck__json_obj_begin(&w, NULL);
	ck__json_bytes(&w, key, s, n);
	ck__json_obj_end(&w);
	cr_assert_lt(ck__json_format(&w, buf, sizeof(buf)), (int)sizeof(buf));
	ck__json_release(&w);
	return buf;
}

Test(json, valid_text_is_exact_and_other_bytes_get_a_hex_field)
{
	cr_assert_str_eq(one("exe", B("/usr/bin/caf\xc3\xa9")), "{\"exe\":\"/usr/bin/caf\xc3\xa9\"}");
	cr_assert_str_eq(one("exe", B("bad\xff\xfe")),
			 "{\"exe\":\"bad\xef\xbf\xbd\xef\xbf\xbd\",\"exe_hex\":\"626164fffe\"}");
	/* JSON's own escapes for controls, quotes and backslashes; '/' as itself */
	cr_assert_str_eq(one("c", B("x\nA\t\"\\/\x01\x7f")), "{\"c\":\"x\\nA\\t\\\"\\\\/\\u0001\x7f\"}");
	cr_assert_str_eq(one("c", B("a\0b")), "{\"c\":\"a\\u0000b\"}");
	/* text that looks like an escape, or like the replacement, is exact: no hex field */
	cr_assert_str_eq(one("c", B("\\xff \xef\xbf\xbd")), "{\"c\":\"\\\\xff \xef\xbf\xbd\"}");
	/* a long one too: every byte comes back */
	char big[600], *doc;
	memset(big, 0xff, sizeof(big));
	doc = (char *)one("b", big, sizeof(big));
	cr_assert_eq(strlen(doc), strlen("{\"b\":\"\",\"b_hex\":\"\"}") + 3 * sizeof(big) + 2 * sizeof(big));
	cr_assert(strstr(doc, "\"b_hex\":\"ffffffff"), "%s", doc);
	/* in an array, only the text */
	struct ck__json w;
	char buf[64];
	ck__json_init(&w);
	ck__json_arr_begin(&w, NULL);
	ck__json_bytes(&w, "ignored", B("\xff"));
	ck__json_arr_end(&w);
	cr_assert_eq(ck__json_format(&w, buf, sizeof(buf)), 7);
	cr_assert_str_eq(buf, "[\"\xef\xbf\xbd\"]");
	ck__json_release(&w);
}

Test(json, numbers_keep_every_64_bit_value)
{
	struct ck__json w;
	char buf[256];

	ck__json_init(&w);
	ck__json_obj_begin(&w, NULL);
	ck__json_uint(&w, "u", UINT64_MAX);
	ck__json_int(&w, "i", INT64_MIN);
	ck__json_hex(&w, "h", UINT64_MAX);
	ck__json_bool(&w, "b", false);
	ck__json_null(&w, "n");
	ck__json_obj_begin(&w, "o");
	ck__json_obj_end(&w);
	ck__json_arr_begin(&w, "a");
	ck__json_arr_end(&w);
	ck__json_obj_end(&w);
	ck__json_format(&w, buf, sizeof(buf));
	cr_assert_str_eq(buf, "{\"u\":18446744073709551615,\"i\":-9223372036854775808,"
			      "\"h\":\"0xffffffffffffffff\",\"b\":false,\"n\":null,\"o\":{},\"a\":[]}");
	ck__json_release(&w);
}

Test(json, format_is_snprintf_and_misuse_is_einval)
{
	struct ck__json w;
	char buf[8];

	ck__json_init(&w);
	ck__json_obj_begin(&w, NULL);
	ck__json_str(&w, "key", "value");
	cr_assert_eq(ck__json_format(&w, buf, sizeof(buf)), -EINVAL); /* not ended */
	cr_assert_str_eq(buf, "");
	ck__json_obj_end(&w);
	cr_assert_eq(ck__json_format(&w, buf, sizeof(buf)), 15);
	cr_assert_str_eq(buf, "{\"key\":");
	cr_assert_eq(ck__json_format(&w, NULL, 0), 15);
	ck__json_obj_begin(&w, NULL); /* a second document */
	cr_assert_eq(ck__json_format(&w, buf, sizeof(buf)), -EINVAL);
	ck__json_release(&w);

	ck__json_init(&w);
	ck__json_str(&w, NULL, "a scalar is no document");
	cr_assert_eq(ck__json_format(&w, buf, sizeof(buf)), -EINVAL);
	ck__json_release(&w);

	ck__json_init(&w);
	ck__json_obj_begin(&w, NULL);
	ck__json_arr_end(&w); /* the other kind */
	cr_assert_eq(ck__json_format(&w, buf, sizeof(buf)), -EINVAL);
	ck__json_release(&w);

	ck__json_init(&w);
	for (int i = 0; i <= CK__JSON_DEPTH; i++)
		ck__json_arr_begin(&w, NULL);
	cr_assert_eq(w.err, -EINVAL);
	ck__json_release(&w);
}

/* xorshift: the same strings on every run */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes, mostly pieces of UTF-8 (whole, cut, overlong, surrogates) among others. */
static size_t random_bytes(uint64_t *seed, char *out, size_t max)
{
	static const char *const pieces[] = {
		"a", "\n", "\"", "\\", "/", "\x01", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
		"\x80", "\xef\xbf\xbd", "\\xff", "\0",
	};
	size_t n = 0, count = next(seed) % 12;

	for (size_t i = 0; i < count; i++) {
		uint64_t r = next(seed);
		if (r % 3 == 0 && n < max) {
			out[n++] = (char)(r >> 8);
			continue;
		}
		const char *p = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = p[0] ? strlen(p) : 1;
		if (n + k > max)
			break;
		memcpy(out + n, p, k);
		n += k;
	}
	return n;
}

Test(json, random_bytes_parse_as_strict_utf8_and_come_back_exactly, .timeout = 60)
{
	enum { COUNT = 3000 };
	static char in[COUNT][64];
	static size_t len[COUNT];
	const char *script = getenv("CK_JSON_LINES");
	char lines[] = "/tmp/ck-json-lines-XXXXXX", found[] = "/tmp/ck-json-found-XXXXXX";
	uint64_t seed = 0xc10ec17;
	int fd = mkstemp(lines), out = mkstemp(found), st;

	cr_assert(script && *script, "CK_JSON_LINES is not set (meson sets it)");
	cr_assert(fd >= 0 && out >= 0);
	for (size_t i = 0; i < COUNT; i++) {
		struct ck__json w;
		len[i] = random_bytes(&seed, in[i], sizeof(in[i]));
		ck__json_init(&w);
		ck__json_obj_begin(&w, NULL);
		ck__json_uint(&w, "i", i);
		ck__json_bytes(&w, "s", in[i], len[i]);
		ck__json_obj_end(&w);
		cr_assert_eq(ck__json_write_line(&w, fd), 0);
		ck__json_release(&w);
	}
	pid_t p = fork();
	cr_assert(p >= 0);
	if (p == 0) {
		if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) < 0 || dup2(out, 1) < 0)
			_exit(99);
		execlp("python3", "python3", script, "s", (char *)NULL);
		_exit(98);
	}
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_assert_eq(st, 0, "json_lines.py refused a line (status %#x)", st);

	FILE *f = fopen(found, "re");
	char line[256], want[200];
	size_t seen = 0;
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t no;
		char hex[160] = "";
		cr_assert(sscanf(line, "%zu s %159s", &no, hex) >= 1, "%s", line);
		cr_assert(no >= 1 && no <= COUNT);
		for (size_t k = 0; k < len[no - 1]; k++)
			snprintf(want + 2 * k, 3, "%02x", (unsigned char)in[no - 1][k]);
		want[2 * len[no - 1]] = '\0';
		cr_assert_str_eq(hex, want, "line %zu", no);
		seen++;
	}
	cr_assert_eq(seen, COUNT);
	fclose(f);
	close(fd);
	close(out);
	unlink(lines);
	unlink(found);
}
