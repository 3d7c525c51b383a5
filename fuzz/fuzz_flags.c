/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_flags_parse and ck_flags_format (flags.h). The first byte picks the
 * syscall and the mode; the rest is either flag text (any bytes, as typed or
 * read from a `check -` line) or a 64-bit value to format. Promises held:
 *   - parse(format(v)) == v for every v, and format is snprintf-shaped (the
 *     length it returns, a NUL-terminated prefix in a short buffer);
 *   - a text that parses formats to a text that parses to the same value;
 *   - the order of '|'-separated tokens changes nothing (clone's exit-signal
 *     rule holds "wherever either stands");
 *   - a refused text gets an error that points inside the text, with a
 *     NUL-terminated token and a non-empty one-line message.
 */
#include <clonekit/flags.h>

#include "fuzz.h"

static void round_trip(uint64_t v, enum ck_syscall sc, const char *input)
{
	char text[1024], small[24];
	uint64_t back = 0;
	struct ck_parse_error err;

	int n = ck_flags_format(v, sc, text, sizeof(text));
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text) && (size_t)n == strlen(text), input,
		   "format of %#llx for %s returned %d", (unsigned long long)v, ck_syscall_name(sc), n);
	int r = ck_flags_parse(text, sc, &back, &err);
	FUZZ_CHECK(r == 0 && back == v, input, "%s: format(%#llx) = '%s' parses to %#llx (%d: %s)",
		   ck_syscall_name(sc), (unsigned long long)v, text, (unsigned long long)back, r,
		   r ? err.message : "");

	/* a short buffer gets the text's prefix, NUL-terminated, and the full length */
	size_t cut = (size_t)(v % sizeof(small)) + 1;
	int m = ck_flags_format(v, sc, small, cut);
	FUZZ_CHECK(m == n && strlen(small) == ((size_t)n < cut ? (size_t)n : cut - 1) &&
			   strncmp(small, text, strlen(small)) == 0,
		   input, "format into %zu bytes gave %d '%s' for '%s'", cut, m, small, text);
}

/*
 * The value is the OR of the tokens and clone's exit-signal rule holds
 * "wherever either stands": the tokens in reverse order give the same answer.
 * Only for texts of names, numbers and '|' (a comment could hold a '|').
 */
static void reversed(const char *text, enum ck_syscall sc, int r, uint64_t v)
{
	size_t len = strlen(text), pos = 0;
	if (len == 0 || len > 512 ||
	    strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-|") != len)
		return;
	char rev[513];
	for (size_t end = len; end > 0;) {
		size_t start = end;
		while (start > 0 && text[start - 1] != '|')
			start--;
		memcpy(rev + pos, text + start, end - start);
		pos += end - start;
		if (start > 0)
			rev[pos++] = '|';
		end = start > 0 ? start - 1 : 0;
	}
	rev[pos] = '\0';
	uint64_t w = 0;
	int q = ck_flags_parse(rev, sc, &w, NULL);
	FUZZ_CHECK(q == r && (r < 0 || w == v), text, "reversed '%s' for %s: %d %#llx, in order: %d %#llx", rev,
		   ck_syscall_name(sc), q, (unsigned long long)w, r, (unsigned long long)v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum ck_syscall sc = (enum ck_syscall)(data[0] % CK_SYSCALL__COUNT);
	bool text_mode = (data[0] / CK_SYSCALL__COUNT) % 2 == 0;
	char *text = fuzz_cstr(data + 1, size - 1);

	if (text_mode) {
		struct ck_parse_error err;
		uint64_t v = 0;
		memset(&err, 0xa5, sizeof(err));
		int r = ck_flags_parse(text, sc, &v, &err);
		reversed(text, sc, r, v);
		if (r == 0) {
			round_trip(v, sc, text);
		} else {
			size_t len = strlen(text);
			FUZZ_CHECK(err.offset <= len, text, "offset %zu past the text's %zu bytes", err.offset, len);
			FUZZ_CHECK(memchr(err.token, '\0', sizeof(err.token)) != NULL, text, "token not terminated");
			FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL, text,
				   "message not terminated");
			FUZZ_CHECK(err.message[0] && !strchr(err.message, '\n'), text, "message '%s'", err.message);
			/* the token is the text at the offset, cut to fit */
			FUZZ_CHECK(strncmp(err.token, text + err.offset, strlen(err.token)) == 0, text,
				   "token '%s' is not the text at offset %zu", err.token, err.offset);
		}
	} else {
		uint64_t v = 0;
		memcpy(&v, data + 1, size - 1 < sizeof(v) ? size - 1 : sizeof(v));
		round_trip(v, sc, text);
	}
	free(text);
	return 0;
}
