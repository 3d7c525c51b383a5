/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The `clonekit check -` line reader (check_line_read, cli/check.c): the
 * input is what standard input would hold, cut into lines as getline() cuts
 * it. Promises held, per line: a line holding a NUL byte or a control
 * character other than tab (past its "\n" or "\r\n") is refused; a blank
 * line is skipped; a call has a known syscall, a FLAGS word that parses to
 * the value returned, an exit signal 0..255 and none for unshare; a refusal
 * says why in one line without control characters, so that the output keeps
 * one line per input line.
 */
#include "cli.h"

#include "fuzz.h"

/* What the reader must refuse, by the documented rule alone. */
static bool unusable(const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

static bool blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\n' && line[i] != '\r')
			return false;
	return true;
}

static void one_line(const uint8_t *data, size_t len)
{
	char *line = fuzz_cstr(data, len), *copy = fuzz_cstr(data, len), why[256];
	struct check_line cl;
	bool refuse = unusable(copy, len), skip = !refuse && blank(copy, len);

	memset(why, 0x5a, sizeof(why));
	int r = check_line_read(line, len, &cl, why, sizeof(why));
	/* the input as a string for messages: its first NUL ends it */
	FUZZ_CHECK(r >= -1 && r <= 1, copy, "returned %d", r);
	if (refuse)
		FUZZ_CHECK(r == -1, copy, "a line with a NUL or control byte was read (%d)", r);
	if (skip)
		FUZZ_CHECK(r == 0, copy, "a blank line was read (%d)", r);
	if (r == 0)
		FUZZ_CHECK(skip, copy, "a line that is not blank was skipped");
	if (r < 0) {
		FUZZ_CHECK(memchr(why, '\0', sizeof(why)) && why[0], copy, "no reason given");
		for (const char *p = why; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, copy, "reason '%s' holds a control byte",
				   why);
	}
	if (r == 1) {
		uint64_t v = ~cl.flags;
		FUZZ_CHECK((unsigned)cl.sc < CK_SYSCALL__COUNT, copy, "syscall %d", (int)cl.sc);
		FUZZ_CHECK(cl.flags_text >= line && cl.flags_text < line + len && cl.flags_text[0] &&
				   !strpbrk(cl.flags_text, " \t\r\n"),
			   copy, "FLAGS word '%s'", cl.flags_text);
		FUZZ_CHECK(ck_flags_parse(cl.flags_text, cl.sc, &v, NULL) == 0 && v == cl.flags, copy,
			   "FLAGS '%s' read as %#llx", cl.flags_text, (unsigned long long)cl.flags);
		FUZZ_CHECK(!cl.exit_signal_set || (cl.exit_signal <= 255 && cl.sc != CK_SYSCALL_UNSHARE), copy,
			   "exit signal %u for %s", cl.exit_signal, ck_syscall_name(cl.sc));
	}
	free(line);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n') {
			one_line(data + start, i + 1 - start);
			start = i + 1;
		}
	}
	if (start < size)
		one_line(data + start, size - start);
	return 0;
}
