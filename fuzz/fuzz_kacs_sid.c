/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIDs (kacs.h, K20 2-sids/): ck_kacs_sid_parse on the input as text, and
 * ck_kacs_sid_read on it as bytes. Promises held: a parsed SID formats to
 * text that parses back to it, in S-1- form or as its alias, and formats
 * the same again; a refusal is -EINVAL naming a column inside the text;
 * read takes 8 + 4n bytes of the input, and writing the SID gives exactly
 * them back; the bytes format to text that parses to the same SID.
 */
#include <errno.h>

#include <clonekit/kacs.h>

#include "fuzz.h"

static void check_text_round_trip(const struct ck_kacs_sid *sid, const char *input)
{
	char text[256], again[256];
	struct ck_kacs_sid back;

	int n = ck_kacs_sid_format(sid, text, sizeof(text));
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text), input, "format gave %d", n);
	FUZZ_CHECK(ck_kacs_sid_parse(text, &back, NULL) == 0, input, "'%s' does not parse", text);
	FUZZ_CHECK(ck_kacs_sid_equal(sid, &back), input, "'%s' parses to another SID", text);
	FUZZ_CHECK(ck_kacs_sid_format(&back, again, sizeof(again)) == n && strcmp(text, again) == 0, input,
		   "'%s' formats as '%s'", text, again);
	const char *alias = ck_kacs_sid_alias(sid);
	if (alias) {
		FUZZ_CHECK(ck_kacs_sid_parse(alias, &back, NULL) == 0 && ck_kacs_sid_equal(sid, &back), input,
			   "alias %s is another SID", alias);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct ck_kacs_sid sid;
	struct ck_kacs_error e = { .size = sizeof(e) };

	int r = ck_kacs_sid_parse(text, &sid, &e);
	if (r == 0) {
		check_text_round_trip(&sid, text);
	} else {
		char head[40];
		snprintf(head, sizeof(head), "column %zu: ", e.offset);
		FUZZ_CHECK(r == -EINVAL, text, "parse gave %d", r);
		FUZZ_CHECK(e.offset <= strlen(text), text, "column %zu past the text", e.offset);
		FUZZ_CHECK(strncmp(e.message, head, strlen(head)) == 0, text, "message '%s'", e.message);
	}

	ssize_t n = ck_kacs_sid_read(data, size, &sid, &e);
	if (n >= 0) {
		uint8_t back[68];
		FUZZ_CHECK(n >= 8 && (size_t)n <= size && n == (ssize_t)ck_kacs_sid_size(&sid), text, "read %zd", n);
		FUZZ_CHECK(ck_kacs_sid_write(&sid, back, sizeof(back)) == n && memcmp(back, data, (size_t)n) == 0, text,
			   "written bytes differ from the %zd read", n);
		check_text_round_trip(&sid, text);
	} else {
		FUZZ_CHECK(n == -EINVAL && e.offset <= 1, text, "read gave %zd at offset %zu", n, e.offset);
	}
	free(text);
	return 0;
}
