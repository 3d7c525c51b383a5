/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_kernel_version_parse, _format and _upstream (flags.h). The input is up
 * to three strings split at NUL bytes: a release (uname -r), a version
 * (uname -v) and a signature (/proc/version_signature); an absent one is
 * NULL. Promises held: a parsed release is in range (major and minor up to
 * 255, patch up to 65535) and formats to a text that parses to it; the
 * upstream release parses exactly when the release does, and stays on its
 * branch (same major and minor).
 */
#include <clonekit/flags.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all = fuzz_cstr(data, size), *part[3] = { NULL, NULL, NULL }, text[32];
	size_t n = fuzz_split(all, size, part, 3);
	uint32_t v = 0, back = 0, up = 0;

	int r = ck_kernel_version_parse(part[0], &v);
	if (r == 0) {
		FUZZ_CHECK(CK_KERNEL_VERSION(CK_KERNEL_VERSION_MAJOR(v), CK_KERNEL_VERSION_MINOR(v),
					     CK_KERNEL_VERSION_PATCH(v)) == v,
			   part[0], "%#x is no CK_KERNEL_VERSION", v);
		ck_kernel_version_format(v, text, sizeof(text));
		FUZZ_CHECK(ck_kernel_version_parse(text, &back) == 0 && back == v, part[0],
			   "%#x formats as '%s', which parses to %#x", v, text, back);
		/* the release starts with its major number, as uname -r prints it */
		FUZZ_CHECK(strtoul(part[0], NULL, 10) == CK_KERNEL_VERSION_MAJOR(v) && part[0][0] >= '0' &&
				   part[0][0] <= '9',
			   part[0], "major %u", CK_KERNEL_VERSION_MAJOR(v));
	}
	int u = ck_kernel_version_upstream(part[0], n > 1 ? part[1] : NULL, n > 2 ? part[2] : NULL, &up);
	FUZZ_CHECK((u == 0) == (r == 0), part[0], "parse %d, upstream %d", r, u);
	if (u == 0)
		FUZZ_CHECK(up >> 16 == v >> 16, part[0], "upstream %#x is not on the branch of %#x", up, v);
	free(all);
	return 0;
}
