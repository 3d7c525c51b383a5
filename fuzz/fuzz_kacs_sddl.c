/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SDDL (ck_kacs_sddl_parse, the text of --sd and `clonekit kacs sddl`) and
 * rights lists (ck_kacs_rights_parse, --desired). Promises held: a refusal
 * is -EINVAL or -EOPNOTSUPP with "column N: " inside the text; a parsed SD
 * validates, formats to text that parses to an equal SD and formats the
 * same again, and its bytes parse to an equal SD; a parsed rights list
 * formats to names that parse to the same mask, for either object kind.
 */
#include <errno.h>

#include <clonekit/kacs.h>

#include "fuzz.h"

static void check_column(int r, const struct ck_kacs_error *e, const char *text)
{
	char head[40];
	snprintf(head, sizeof(head), "column %zu: ", e->offset);
	FUZZ_CHECK(r == -EINVAL || r == -EOPNOTSUPP, text, "gave %d", r);
	FUZZ_CHECK(e->offset <= strlen(text), text, "column %zu past the text", e->offset);
	FUZZ_CHECK(strncmp(e->message, head, strlen(head)) == 0, text, "message '%s'", e->message);
}

static void check_rights(const char *text, const struct ck_kacs_generic_mapping *kind)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	uint32_t mask, back;
	char names[1024];
	int r = ck_kacs_rights_parse(text, kind, &mask, &e);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL, text, "rights_parse gave %d", r);
		check_column(r, &e, text);
		return;
	}
	int n = ck_kacs_rights_format(mask, kind, names, sizeof(names));
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(names), text, "format gave %d", n);
	FUZZ_CHECK(ck_kacs_rights_parse(names, kind, &back, NULL) == 0 && back == mask, text,
		   "'%s' (of 0x%x) parses to 0x%x", names, mask, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct ck_kacs_sd *sd = NULL, *back = NULL, *from_bytes = NULL;
	struct ck_kacs_error e = { .size = sizeof(e) };

	int r = ck_kacs_sddl_parse(text, &sd, &e);
	if (r < 0) {
		check_column(r, &e, text);
	} else {
		FUZZ_CHECK(ck_kacs_sd_validate(sd, &e) == 0, text, "parsed SD does not validate: %s", e.message);
		int len = ck_kacs_sddl_format(sd, NULL, 0);
		FUZZ_CHECK(len >= 0, text, "format gave %d", len);
		char *out = malloc((size_t)len + 1), *again = malloc((size_t)len + 1);
		FUZZ_CHECK(out && again, text, "out of memory");
		ck_kacs_sddl_format(sd, out, (size_t)len + 1);
		FUZZ_CHECK(ck_kacs_sddl_parse(out, &back, &e) == 0, text, "'%s' does not parse: %s", out, e.message);
		FUZZ_CHECK(ck_kacs_sd_equal(sd, back), text, "'%s' parses to another SD", out);
		FUZZ_CHECK(ck_kacs_sddl_format(back, again, (size_t)len + 1) == len && strcmp(out, again) == 0, text,
			   "'%s' formats as '%s'", out, again);
		uint8_t *b;
		size_t n;
		FUZZ_CHECK(ck_kacs_sd_to_bytes(sd, &b, &n) == 0, text, "to_bytes failed");
		FUZZ_CHECK(ck_kacs_sd_parse(b, n, &from_bytes, &e) == 0 && ck_kacs_sd_equal(sd, from_bytes), text,
			   "its bytes parse to another SD");
		free(b);
		free(out);
		free(again);
	}
	check_rights(text, ck_kacs_process_mapping());
	check_rights(text, ck_kacs_token_mapping());
	ck_kacs_sd_free(sd);
	ck_kacs_sd_free(back);
	ck_kacs_sd_free(from_bytes);
	free(text);
	return 0;
}
