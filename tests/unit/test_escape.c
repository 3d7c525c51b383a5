/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Untrusted bytes as text (lib/internal/escape.c): strace's escapes, one
 * word, and alert messages that quote what a process chose.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <clonekit/detect.h>
#include <clonekit/event.h>

#include "internal/escape.h"

struct esc_case {
	const char *in;
	size_t n;
	const char *extra;
	const char *out;
};
#define B(s) s, sizeof(s) - 1

static const struct esc_case esc_cases[] = {
	{ B(""), NULL, "" },
	{ B("plain text, even 'quotes' ~"), NULL, "plain text, even 'quotes' ~" },
	{ B("\"\\"), NULL, "\\\"\\\\" },
	{ B("\t\n\v\f\r"), NULL, "\\t\\n\\v\\f\\r" },
	{ B("\a\b\x1b"), NULL, "\\7\\10\\33" },
	/* shortened octal unless an octal digit follows */
	{ B("\0"), NULL, "\\0" },
	{ B("\0" "1"), NULL, "\\0001" },
	{ B("\x01" "7"), NULL, "\\0017" },
	{ B("\x01" "8"), NULL, "\\18" },
	{ B("\x1b[31m"), NULL, "\\33[31m" },
	{ B("\x7f\x80\xff"), NULL, "\\177\\200\\377" },
	{ B("\xc3\xa9"), NULL, "\\303\\251" },             /* UTF-8 too: no bidi or C1 control reaches a terminal */
	{ B("\xe2\x80\xae"), NULL, "\\342\\200\\256" },    /* U+202E, right-to-left override */
	/* one word: a space and brackets too */
	{ B("a b[c]"), NULL, "a b[c]" },
	{ B("a b[c]"), CK__ESCAPE_WORD, "a\\40b\\133c\\135" },
	{ B(" 7"), CK__ESCAPE_WORD, "\\0407" },
	{ B("\x1b[31m"), CK__ESCAPE_WORD, "\\33\\13331m" },
	{ B("x\nALERT info z"), CK__ESCAPE_WORD, "x\\nALERT\\40info\\40z" },
};

Test(escape, every_byte_class_is_escaped_as_strace_escapes_it)
{
	char out[256];

	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *c = &esc_cases[i];
		size_t n = ck__escape(out, sizeof(out), c->in, c->n, c->extra);
		cr_assert_str_eq(out, c->out, "case %zu", i);
		cr_assert_eq(n, strlen(c->out), "case %zu", i);
	}
}

Test(escape, no_byte_survives_as_a_control_or_non_ascii_character)
{
	char in[256], out[4 * 256 + 1];

	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	ck__escape(out, sizeof(out), in, sizeof(in), CK__ESCAPE_WORD);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		cr_assert(*p > 0x20 && *p < 0x7f && *p != '[' && *p != ']', "byte %#x in %s", *p, out);
}

Test(escape, a_cut_keeps_whole_escapes_and_says_so)
{
	char out[16];

	cr_assert_eq(ck__escape(out, 7, "abcdef", 6, NULL), 6);
	cr_assert_str_eq(out, "abcdef");
	cr_assert_eq(ck__escape(out, 6, "abcdef", 6, NULL), 6);
	cr_assert_str_eq(out, "ab...");
	cr_assert_eq(ck__escape(out, 8, "\xff\xff\xff", 3, NULL), 12);
	cr_assert_str_eq(out, "\\377...");
	cr_assert_eq(ck__escape(out, 7, "\xff\xff\xff", 3, NULL), 12);
	cr_assert_str_eq(out, "...");
	cr_assert_eq(ck__escape(out, 2, "abc", 3, NULL), 3);
	cr_assert_str_eq(out, ".");
	memset(out, 'z', sizeof(out));
	cr_assert_eq(ck__escape(out, 0, "abc", 3, NULL), 3);
	cr_assert_eq(out[0], 'z');
}

static void on_alert(const struct ck_alert *a, void *data)
{
	snprintf(data, sizeof(((struct ck_alert *)0)->message), "%s", a->message);
}

Test(escape, alert_placeholders_print_comm_and_exe_as_one_escaped_word)
{
	struct ck_detect *d = ck_detect_new();
	char message[256];
	struct ck_event e;

	cr_assert_not_null(d);
	cr_assert_eq(ck_detect_add_rules(d, "rule r\n  priority info\n  when syscall in (fork)\n"
					    "  message \"{comm} ran {exe}: {pid}\"\nend\n", NULL), 0);
	ck_event_init(&e);
	e.call = CK_CALL_FORK;
	e.pid = 7;
	memcpy(e.comm, "x\nALERT info z", 15);
	strcpy(e.exe, "/tmp/a b\xff");
	ck_event_classify(&e);
	cr_assert_eq(ck_detect_feed(d, &e, on_alert, message), 1);
	cr_assert_str_eq(message, "x\\nALERT\\40info\\40z ran /tmp/a\\40b\\377: 7");

	/* a long executable is cut to 128 characters, and the message goes on after it */
	memset(e.exe, '\n', sizeof(e.exe) - 1);
	e.exe[sizeof(e.exe) - 1] = '\0';
	cr_assert_eq(ck_detect_feed(d, &e, on_alert, message), 1);
	cr_assert(strstr(message, " ran \\n\\n"), "%s", message);
	cr_assert(strstr(message, "\\n...: 7"), "%s", message);
	cr_assert_eq(strlen(strstr(message, " ran ") + 5), 128 - 1 + strlen(": 7"), "%s", message);
	ck_detect_free(d);
}
