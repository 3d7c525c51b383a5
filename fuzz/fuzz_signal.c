/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_signal_parse and ck_signal_name (flags.h), and ck_syscall_parse. Any
 * text in; promises held: a parsed signal is 0..255, its name parses back to
 * it, and a number the text spells in decimal is that number; the syscall
 * names are exactly "clone", "clone3" and "unshare".
 */
#include <clonekit/flags.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), name[16];
	unsigned sig = 999, back = 999;
	enum ck_syscall sc;

	if (ck_signal_parse(text, &sig) == 0) {
		FUZZ_CHECK(sig <= 255, text, "signal %u", sig);
		ck_signal_name(sig, name, sizeof(name));
		FUZZ_CHECK(ck_signal_parse(name, &back) == 0 && back == sig, text,
			   "signal %u is named '%s', which parses to %u", sig, name, back);
		if (text[0] >= '0' && text[0] <= '9')
			FUZZ_CHECK(strtoul(text, NULL, 10) == sig && strspn(text, "0123456789") == strlen(text),
				   text, "a number read as signal %u", sig);
	}
	if (ck_syscall_parse(text, &sc) == 0)
		FUZZ_CHECK(strcmp(ck_syscall_name(sc), text) == 0, text, "parsed as %s", ck_syscall_name(sc));
	free(text);
	return 0;
}
