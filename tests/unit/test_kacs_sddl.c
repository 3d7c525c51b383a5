/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SDDL (the design's subset, KACS-SUPERVISOR.md §7.1, with clonekit's C:
 * and {} for what Windows' SDDL has no place for): vectors, errors naming
 * the column, and seeded random SDs through format and parse.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clonekit/kacs.h>

#include "kacs_gen.h"

static struct ck_kacs_error new_err(void)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	return e;
}

static char *format(const struct ck_kacs_sd *sd)
{
	int n = ck_kacs_sddl_format(sd, NULL, 0);
	cr_assert_geq(n, 0, "format: %d", n);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(ck_kacs_sddl_format(sd, buf, (size_t)n + 1), n);
	cr_assert_eq(strlen(buf), (size_t)n);
	return buf;
}

static struct ck_kacs_sd *parse_ok(const char *text)
{
	struct ck_kacs_sd *sd = NULL;
	struct ck_kacs_error e = new_err();
	int r = ck_kacs_sddl_parse(text, &sd, &e);
	cr_assert_eq(r, 0, "'%s': %d %s", text, r, e.message);
	return sd;
}

/* Text that parses and formats back to itself (format's own spelling). */
static const struct {
	const char *text, *spec;
} canonical[] = {
	{ "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;BA)(A;;GA;;;SY)(A;;0x1000;;;WD)"
	  "C:OD|GD|DD",
	  "K20 5-psb/3-process-sd.md: the default process SD, control 0x800F" },
	{ "O:SYG:SYD:(A;;GA;;;SY)", "design §7.1 O: G: D:" },
	{ "D:", "an empty DACL: present, no ACE" },
	{ "", "nothing: no owner, no group, the NULL DACL (K20 1-structure.md)" },
	{ "D:P(D;;WDWO;;;WD)(A;OICI;GRGX;;;AU)", "Windows' P, OI CI, rights letters" },
	{ "D:PAIAR(A;ID;RCSD;;;BU)", "P AI AR and the inherited flag" },
	{ "S:(ML;;NW;;;ME)", "K22 process SD label: NO_WRITE_UP at Medium (K20 3-integrity.md values)" },
	{ "S:(ML;;NRNWNX;;;LW)(ML;IO;NW;;;HI)", "every label policy bit" },
	{ "S:(ML;;0x0;;;UT)", "a label with no policy bit" },
	{ "S:(ML;;0xfffffff8;;;SI)", "unknown label policy bits are kept (K20 3-integrity.md)" },
	{ "S:(TL;;0x1001;;;S-1-19-512-1024)", "a process trust label (K20 10-access-check/7-pip.md)" },
	{ "S:(AU;SAFA;GA;;;WD)(AL;SA;0x20;;;SY)", "audit and alarm ACEs are stored" },
	{ "D:(A;OICINPIOIDCRSAFA;0x0;;;AN)", "every ACE flag, mask 0" },
	{ "D:{rev=4}(D;;0x1000000;;;OW)", "ACL revision 4; ACCESS_SYSTEM_SECURITY as hex" },
	{ "D:P{rev=4,sbz1=0x1,sbz2=0xffff}S:{sbz2=0x2}", "an ACL's reserved bytes" },
	{ "C:PD|PS", "the PROTECTED bits of absent ACLs" },
	{ "C:OD|GD|DD|SD|DT|SS|AR|DI|SI|PD|PS|RM|0x200|Sbz1=0xff", "every control bit SDDL has no place for" },
	{ "O:S-1-0x000100000000-1G:S-1-0D:(A;;GAGRGWGX;;;S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15)",
	  "hex authority, no sub-authority, 15 sub-authorities" },
	{ "D:(A;;0xf0000000;;;S-1-5-32)", "all four generic rights: written GAGRGWGX?" },
};

Test(kacs_sddl, vectors_parse_and_format_back_to_themselves)
{
	for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
		const char *text = canonical[i].text;
		struct ck_kacs_sd *sd = parse_ok(text);
		char *back = format(sd);
		/* the last vector is written by its codes; every other one as given */
		if (i == sizeof(canonical) / sizeof(canonical[0]) - 1)
			cr_assert_str_eq(back, "D:(A;;GAGRGWGX;;;S-1-5-32)");
		else
			cr_assert_str_eq(back, text, "%s", canonical[i].spec);
		struct ck_kacs_sd *again = parse_ok(back);
		cr_assert(ck_kacs_sd_equal(sd, again), "%s", text);
		free(back);
		ck_kacs_sd_free(sd);
		ck_kacs_sd_free(again);
	}
}

Test(kacs_sddl, the_default_process_sd_gives_the_bytes_of_k20)
{
	struct ck_kacs_sd *sd = parse_ok(canonical[0].text);
	cr_assert_eq(sd->control, 0x800F);
	cr_assert_eq(sd->dacl.count, 4);
	cr_assert_eq(sd->dacl.aces[3].mask, CK_KACS_PROCESS_QUERY_LIMITED);
	uint8_t *b;
	size_t n;
	cr_assert_eq(ck_kacs_sd_to_bytes(sd, &b, &n), 0);
	/* 20 header + 2 * 28 SIDs + 8 ACL header + 36 + 24 + 20 + 20 */
	cr_assert_eq(n, 184u);
	cr_assert_eq(b[2], 0x0F);
	cr_assert_eq(b[3], 0x80);
	free(b);
	ck_kacs_sd_free(sd);
}

Test(kacs_sddl, what_windows_writes_otherwise_parses_to_the_same_sd)
{
	static const struct {
		const char *in, *out;
	} same[] = {
		{ "G:BAO:SY", "O:SYG:BA" },                                       /* any order */
		{ "D:(A;;GA;;;S-1-5-18)", "D:(A;;GA;;;SY)" },                      /* aliases win */
		{ "D:(A;;0X1F0000;;;SY)", "D:(A;;0x1f0000;;;SY)" },                /* hex in any case */
		{ "D:(A;;0x00000001;;;SY)", "D:(A;;0x1;;;SY)" },
		{ "D:(A;;0x10000000;;;SY)", "D:(A;;GA;;;SY)" },
		{ "D:(A;;WOGA;;;SY)", "D:(A;;GAWO;;;SY)" },
		{ "D:(A;CIOI;GA;;;SY)", "D:(A;OICI;GA;;;SY)" },
		{ "D:AIP", "D:PAI" },
		{ "S:(ML;;0x2;;;ME)", "S:(ML;;NW;;;ME)" },
		{ "D:{rev=2}", "D:" },
		{ "D:{sbz2=0x2,rev=4}", "D:{rev=4,sbz2=0x2}" },
		{ "D:C:PD", "D:P" },                                              /* C: may say P of a present ACL */
		{ "C:GD|OD|0x1", "C:OD|GD" },
		{ "C:Sbz1=0x0", "" },
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct ck_kacs_sd *sd = parse_ok(same[i].in);
		char *back = format(sd);
		cr_assert_str_eq(back, same[i].out, "%s", same[i].in);
		free(back);
		ck_kacs_sd_free(sd);
	}
}

static const struct {
	const char *text;
	int err;
	size_t column;
	const char *why;
} bad[] = {
	{ "X:SY", EINVAL, 0, "where O:, G:, D:, S: or C: starts" },
	{ "O:SYO:BA", EINVAL, 4, "a second O: part" },
	{ "O:", EINVAL, 2, "starts with 'S-'" },
	{ "O:SY ", EINVAL, 4, "unexpected ' ' after the owner SID" },
	{ "O:S-1-5-018", EINVAL, 8, "leading zero" },
	{ "O:XX", EINVAL, 2, "'XX' is no SID alias" },
	{ "G:S-1-5-21-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", EINVAL, 44, "more than 15 sub-authorities" },
	{ "D:(A;;GA;;;SY", EINVAL, 13, "the text ends after the ACE's SID" },
	{ "D:(A;;GA;;SY)", EINVAL, 12, "an ACE has six fields" },
	{ "D:(A;;GA)", EINVAL, 8, "after the rights (';' expected)" },
	{ "D:(A;;GA;;;SY;)", EINVAL, 13, "after the ACE's SID (')' expected)" },
	{ "D:(Q;;GA;;;SY)", EINVAL, 3, "'Q' is no ACE type" },
	{ "D:(;;GA;;;SY)", EINVAL, 3, "'' is no ACE type" },
	{ "D:(OA;;GA;;;SY)", EOPNOTSUPP, 3, "is not one this library keeps" },
	{ "D:(XA;;GA;;;SY)", EOPNOTSUPP, 3, "is not one this library keeps" },
	{ "S:(RA;;GA;;;WD)", EOPNOTSUPP, 3, "is not one this library keeps" },
	{ "D:(A;;GA;bf967aba-0de6-11d0-a285-00aa003049e2;;SY)", EOPNOTSUPP, 9, "object ACEs" },
	{ "D:(A;;GA;;bf967aba-0de6-11d0-a285-00aa003049e2;SY)", EOPNOTSUPP, 10, "object ACEs" },
	{ "D:(A;XX;GA;;;SY)", EINVAL, 5, "'XX' is no ACE flag" },
	{ "D:(A;OIOI;GA;;;SY)", EINVAL, 7, "'OI' given twice" },
	{ "D:(A;O;GA;;;SY)", EINVAL, 5, "two-letter codes" },
	{ "D:(A;;;;;SY)", EINVAL, 6, "rights are empty" },
	{ "D:(A;;GZ;;;SY)", EINVAL, 6, "'GZ' is no right" },
	{ "D:(A;;GAG;;;SY)", EINVAL, 8, "two-letter codes" },
	{ "D:(A;;NW;;;SY)", EINVAL, 6, "'NW' is no right" },
	{ "S:(ML;;GA;;;ME)", EINVAL, 7, "'GA' is no label policy" },
	{ "D:(A;;0x;;;SY)", EINVAL, 6, "\"0x\" and hex digits expected" },
	{ "D:(A;;0x100000000;;;SY)", EINVAL, 6, "larger than 0xffffffff" },
	{ "D:(A;;0x1g;;;SY)", EINVAL, 9, "unexpected 'g' in the rights" },
	{ "D:(A;;0x2000000;;;SY)", EINVAL, 6, "MAXIMUM_ALLOWED" },
	{ "D:(A;;0x200000;;;SY)", EINVAL, 6, "reserved bits" },
	{ "D:(ML;;NW;;;ME)", EINVAL, 3, "is a SACL ACE type" },
	{ "D:(AU;SA;GA;;;WD)", EINVAL, 3, "is a SACL ACE type" },
	{ "S:(A;;GA;;;SY)", EINVAL, 3, "is a DACL ACE type" },
	{ "S:(ML;;NW;;;SY)", EINVAL, 12, "a mandatory label's SID must be S-1-16-" },
	{ "S:(ML;;NW;;;S-1-16-8193)", EINVAL, 12, "S-1-16-" },
	{ "S:(TL;;0x1;;;S-1-19-512)", EINVAL, 13, "a trust label's SID must be S-1-19-type-trust" },
	{ "S:(TL;;0x1;;;ME)", EINVAL, 13, "S-1-19-type-trust" },
	{ "D:(A;;GA;;;SY)x", EINVAL, 14, "unexpected 'x' in the DACL" },
	{ "D:PP", EINVAL, 3, "'P' given twice" },
	{ "D:Q", EINVAL, 2, "unexpected 'Q' in the DACL" },
	{ "D:{rev=3}", EINVAL, 7, "revision is 2 or 4" },
	{ "D:{sbz1=0x100}", EINVAL, 8, "larger than 0xff" },
	{ "D:{sbz2=0x10000}", EINVAL, 8, "larger than 0xffff" },
	{ "D:{rev=4,rev=2}", EINVAL, 9, "rev given twice" },
	{ "D:{x=1}", EINVAL, 3, "rev=, sbz1= or sbz2= expected" },
	{ "D:{rev=4", EINVAL, 8, "the text ends in an ACL's {}" },
	{ "C:", EINVAL, 2, "control bit name" },
	{ "C:DP", EINVAL, 2, "'DP' is implied" },
	{ "C:SR", EINVAL, 2, "is implied" },
	{ "C:0x8000", EINVAL, 2, "control bits 0x8000 are implied" },
	{ "C:0x10000", EINVAL, 2, "larger than 0xffff" },
	{ "C:OD|", EINVAL, 5, "control bit name" },
	{ "C:OD,GD", EINVAL, 4, "unexpected ',' in C:" },
	{ "C:Sbz1=0x100", EINVAL, 7, "larger than 0xff" },
	{ "D:(A;;GA;;;SY\x01)", EINVAL, 13, "unexpected byte 0x01" },
	{ "D:(A;\x01;GA;;;SY)", EINVAL, 5, "unexpected byte 0x01" },
};

Test(kacs_sddl, bad_text_is_refused_naming_the_column)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ck_kacs_sd *sd = (void *)1;
		struct ck_kacs_error e = new_err();
		int r = ck_kacs_sddl_parse(bad[i].text, &sd, &e);
		cr_assert_eq(r, -bad[i].err, "'%s': %d: %s", bad[i].text, r, e.message);
		cr_assert_null(sd);
		cr_assert_eq(e.offset, bad[i].column, "'%s': column %zu, want %zu: %s", bad[i].text, e.offset, bad[i].column,
			     e.message);
		char head[32];
		snprintf(head, sizeof(head), "column %zu: ", bad[i].column);
		cr_assert(strncmp(e.message, head, strlen(head)) == 0, "'%s': %s", bad[i].text, e.message);
		cr_assert(strstr(e.message, bad[i].why), "'%s': '%s' lacks '%s'", bad[i].text, e.message, bad[i].why);
	}
}

Test(kacs_sddl, a_text_whose_sd_passes_65535_bytes_is_refused)
{
	/* K20 1-structure.md: no SD over 65,535 bytes; 4095 ACEs of 16 bytes + 20 + 8 = 65548 */
	size_t cap = 4096 * 16 + 16;
	char *text = malloc(cap);
	size_t pos = 0;
	pos += (size_t)sprintf(text, "D:");
	for (int i = 0; i < 4095; i++)
		pos += (size_t)sprintf(text + pos, "(A;;0x1;;;S-1-1)");
	struct ck_kacs_sd *sd;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_sddl_parse(text, &sd, &e), -EINVAL);
	/* the ACE that crosses the limit: 20 + 8 + 16 * 4094 = 65532, the 4095th adds 16 */
	cr_assert_eq(e.offset, 2 + 16 * 4094u, "%s", e.message);
	cr_assert(strstr(e.message, "65535"), "%s", e.message);
	text[2 + 16 * 4094] = '\0';
	cr_assert_eq(ck_kacs_sddl_parse(text, &sd, &e), 0, "%s", e.message);
	cr_assert_eq(sd->dacl.count, 4094);
	ck_kacs_sd_free(sd);
	free(text);
}

Test(kacs_sddl, format_is_snprintf_shaped_and_refuses_an_invalid_sd)
{
	struct ck_kacs_sd *sd = parse_ok("O:SYD:(A;;GA;;;SY)");
	char small[8];
	cr_assert_eq(ck_kacs_sddl_format(sd, small, sizeof(small)), 18);
	cr_assert_str_eq(small, "O:SYD:(");
	sd->dacl.aces[0].mask |= CK_KACS_MAXIMUM_ALLOWED;
	cr_assert_eq(ck_kacs_sddl_format(sd, small, sizeof(small)), -EINVAL);
	cr_assert_str_eq(small, "");
	cr_assert_eq(ck_kacs_sddl_format(NULL, small, sizeof(small)), -EINVAL);
	ck_kacs_sd_free(sd);
}

Test(kacs_sddl, seeded_random_sds_round_trip_through_text)
{
	uint64_t seed = 0xC0FFEE1234567ull;
	for (int i = 0; i < 20000; i++) {
		struct ck_kacs_sd *sd = kg_sd(&seed), *back = NULL;
		char *text = format(sd);
		struct ck_kacs_error e = new_err();
		cr_assert_eq(ck_kacs_sddl_parse(text, &back, &e), 0, "#%d '%s': %s", i, text, e.message);
		cr_assert(ck_kacs_sd_equal(sd, back), "#%d: parse(format(sd)) differs: '%s'", i, text);
		char *again = format(back);
		cr_assert_str_eq(again, text, "#%d: format(parse(x)) != x", i);
		/* and through the bytes too */
		uint8_t *b;
		size_t n;
		struct ck_kacs_sd *fromb = NULL;
		cr_assert_eq(ck_kacs_sd_to_bytes(back, &b, &n), 0);
		cr_assert_eq(ck_kacs_sd_parse(b, n, &fromb, NULL), 0);
		char *third = format(fromb);
		cr_assert_str_eq(third, text, "#%d", i);
		free(b);
		free(text);
		free(again);
		free(third);
		ck_kacs_sd_free(sd);
		ck_kacs_sd_free(back);
		ck_kacs_sd_free(fromb);
	}
}
