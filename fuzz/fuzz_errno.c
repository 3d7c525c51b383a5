/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The errno names: ck_errno_name (validate.h) for any int, and
 * ck__errno_parse, the one reverse lookup behind `seccomp --errno` and the
 * rules' result field. Promises held: a name is a non-empty upper-case
 * identifier starting with 'E' and parses back to its number in any case; a
 * parsed name is one ck_errno_name gives for the number it returns.
 */
#include <ctype.h>

#include <clonekit/validate.h>

#include "internal/util.h"

#include "fuzz.h"

static bool is_errno_name(const char *s)
{
	if (s[0] != 'E' || !s[1])
		return false;
	for (const char *p = s; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), lower[64];
	int n = 0;

	memcpy(&n, data, size < sizeof(n) ? size : sizeof(n));
	const char *name = ck_errno_name(n);
	if (name) {
		FUZZ_CHECK(n > 0 && is_errno_name(name), text, "errno %d named '%s'", n, name);
		FUZZ_CHECK(ck__errno_parse(name) == n, text, "'%s' parses to %d, not %d", name,
			   ck__errno_parse(name), n);
		size_t len = strlen(name);
		FUZZ_CHECK(len < sizeof(lower), text, "name '%s' too long", name);
		for (size_t i = 0; i <= len; i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		FUZZ_CHECK(ck__errno_parse(lower) == n, text, "'%s' parses to %d", lower, ck__errno_parse(lower));
	}
	int e = ck__errno_parse(text);
	if (e != 0) {
		FUZZ_CHECK(e > 0 && ck_errno_name(e) && strcasecmp(ck_errno_name(e), text) == 0, text,
			   "parsed as %d (%s)", e, ck_errno_name(e) ? ck_errno_name(e) : "no name");
	}
	free(text);
	return 0;
}
