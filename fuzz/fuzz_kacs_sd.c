/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The binary SD parser (ck_kacs_sd_parse, K20 3-security-descriptors/), the
 * bytes a process hands kacs_set_sd, and the standalone ACL parser of a
 * token's default DACL (ck_kacs_acl_parse). Promises held: a refusal is
 * -EINVAL or -EOPNOTSUPP with "offset N: " naming a byte of the input (or
 * the 65535 limit); an SD that parses validates, writes its bytes, and
 * those parse to an equal SD and are written again identically; its SDDL
 * parses to an equal SD and formats to the same text; an ACL that parses
 * writes exactly the input back.
 */
#include <errno.h>

#include <clonekit/kacs.h>

#include "fuzz.h"

static void check_refusal(int r, const struct ck_kacs_error *e, size_t size, const char *what)
{
	char head[40];
	snprintf(head, sizeof(head), "offset %zu: ", e->offset);
	FUZZ_CHECK(r == -EINVAL || r == -EOPNOTSUPP, what, "gave %d", r);
	FUZZ_CHECK(e->offset <= (size > CK_KACS_SD_MAX ? CK_KACS_SD_MAX : size), what, "offset %zu past %zu bytes",
		   e->offset, size);
	FUZZ_CHECK(strncmp(e->message, head, strlen(head)) == 0, what, "message '%s'", e->message);
}

static void check_sd(const struct ck_kacs_sd *sd)
{
	struct ck_kacs_sd *back = NULL, *from_text = NULL;
	struct ck_kacs_error e = { .size = sizeof(e) };
	uint8_t *b, *b2;
	size_t n, n2;

	FUZZ_CHECK(ck_kacs_sd_validate(sd, &e) == 0, "sd", "a parsed SD does not validate: %s", e.message);
	FUZZ_CHECK(ck_kacs_sd_to_bytes(sd, &b, &n) == 0, "sd", "to_bytes failed");
	FUZZ_CHECK(ck_kacs_sd_parse(b, n, &back, &e) == 0, "sd", "its bytes do not parse: %s", e.message);
	FUZZ_CHECK(ck_kacs_sd_equal(sd, back), "sd", "parse(to_bytes(sd)) differs");
	FUZZ_CHECK(ck_kacs_sd_to_bytes(back, &b2, &n2) == 0 && n2 == n && memcmp(b, b2, n) == 0, "sd",
		   "written twice, the bytes differ");

	int len = ck_kacs_sddl_format(sd, NULL, 0);
	FUZZ_CHECK(len >= 0, "sd", "sddl_format gave %d", len);
	char *text = malloc((size_t)len + 1), *again = malloc((size_t)len + 1);
	FUZZ_CHECK(text && again, "sd", "out of memory");
	ck_kacs_sddl_format(sd, text, (size_t)len + 1);
	FUZZ_CHECK(ck_kacs_sddl_parse(text, &from_text, &e) == 0, text, "its SDDL does not parse: %s", e.message);
	FUZZ_CHECK(ck_kacs_sd_equal(sd, from_text), text, "parse(format(sd)) differs");
	FUZZ_CHECK(ck_kacs_sddl_format(from_text, again, (size_t)len + 1) == len && strcmp(text, again) == 0, text,
		   "format(parse(x)) is '%s'", again);
	free(text);
	free(again);
	free(b);
	free(b2);
	ck_kacs_sd_free(back);
	ck_kacs_sd_free(from_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_kacs_sd *sd = NULL;
	struct ck_kacs_error e = { .size = sizeof(e) };

	int r = ck_kacs_sd_parse(data, size, &sd, &e);
	if (r == 0)
		check_sd(sd);
	else
		check_refusal(r, &e, size, "sd_parse");
	ck_kacs_sd_free(sd);

	for (int sacl = 0; sacl < 2; sacl++) {
		struct ck_kacs_acl acl;
		r = ck_kacs_acl_parse(data, size, sacl, &acl, &e);
		if (r < 0) {
			check_refusal(r, &e, size, "acl_parse");
			continue;
		}
		uint8_t *back = malloc(size ? size : 1);
		FUZZ_CHECK(back, "acl", "out of memory");
		FUZZ_CHECK(ck_kacs_acl_size(&acl) == size, "acl", "size %zu of %zu bytes", ck_kacs_acl_size(&acl), size);
		FUZZ_CHECK(ck_kacs_acl_write(&acl, sacl, back, size) == (ssize_t)size && memcmp(back, data, size) == 0,
			   "acl", "an ACL does not write back its own bytes");
		free(back);
		free(acl.aces);
	}
	return 0;
}
