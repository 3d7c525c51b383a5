/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SIDs: text, binary, aliases (K20 2-sids/1-format.md, 2-sids/2-well-known.md). */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <clonekit/kacs.h>

#define K20_FORMAT "K20 2-sids/1-format.md"
#define K20_WELL_KNOWN "K20 2-sids/2-well-known.md"

static struct ck_kacs_error new_err(void)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	return e;
}

/* Text that parses, and its canonical form (the same unless an alias). */
static const struct {
	const char *text, *canonical, *spec;
	uint64_t authority;
	unsigned n;
	uint32_t sub[15];
} good[] = {
	{ "S-1-5-18", NULL, K20_FORMAT " example (Local System)", 5, 1, { 18 } },
	{ "S-1-5-32-544", NULL, K20_FORMAT " example (BUILTIN\\Administrators)", 5, 2, { 32, 544 } },
	{ "S-1-5-21-3623811015-3361044348-30300820-1013", NULL, K20_FORMAT " example (a domain user)", 5, 5,
	  { 21, 3623811015u, 3361044348u, 30300820, 1013 } },
	{ "S-1-0-0", NULL, K20_WELL_KNOWN " Nobody", 0, 1, { 0 } },
	{ "S-1-5", NULL, K20_FORMAT " minimum: zero sub-authorities", 5, 0, { 0 } },
	{ "S-1-0", NULL, K20_FORMAT " zero sub-authorities, authority 0", 0, 0, { 0 } },
	{ "S-1-4294967295-4294967295", NULL, K20_FORMAT " decimal authority up to 2^32-1, u32 subs", 0xFFFFFFFFu, 1,
	  { 0xFFFFFFFFu } },
	{ "S-1-0x000100000000-7", NULL, K20_FORMAT " authority 2^32: 0x and 12 hex digits", 0x100000000ull, 1, { 7 } },
	{ "S-1-0xffffffffffff", NULL, K20_FORMAT " largest authority", 0xFFFFFFFFFFFFull, 0, { 0 } },
	{ "S-1-0xabcdef012345", NULL, K20_FORMAT " hex digits are lowercase", 0xABCDEF012345ull, 0, { 0 } },
	{ "S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", NULL, K20_FORMAT " 15 sub-authorities, the maximum", 1, 15,
	  { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 } },
	{ "S-1-19-512-1024", NULL, K20_WELL_KNOWN " trust label Protected, Authenticode", 19, 2, { 512, 1024 } },
	{ "S-1-19-1024-8192", NULL, K20_WELL_KNOWN " trust label Isolated, PeiosTcb", 19, 2, { 1024, 8192 } },
	{ "S-1-5-5-7-42", NULL, K20_WELL_KNOWN " logon SID", 5, 3, { 5, 7, 42 } },
	{ "SY", "S-1-5-18", K20_WELL_KNOWN " Local System", 5, 1, { 18 } },
	{ "BA", "S-1-5-32-544", K20_WELL_KNOWN " BUILTIN\\Administrators", 5, 2, { 32, 544 } },
	{ "BU", "S-1-5-32-545", K20_WELL_KNOWN " BUILTIN\\Users", 5, 2, { 32, 545 } },
	{ "BG", "S-1-5-32-546", K20_WELL_KNOWN " BUILTIN\\Guests", 5, 2, { 32, 546 } },
	{ "BO", "S-1-5-32-551", K20_WELL_KNOWN " BUILTIN\\Backup Operators", 5, 2, { 32, 551 } },
	{ "AO", "S-1-5-32-548", "K22 2-sids/2-well-known.md BUILTIN\\Account Operators", 5, 2, { 32, 548 } },
	{ "SO", "S-1-5-32-549", "K22 2-sids/2-well-known.md BUILTIN\\Server Operators", 5, 2, { 32, 549 } },
	{ "PO", "S-1-5-32-550", "K22 2-sids/2-well-known.md BUILTIN\\Print Operators", 5, 2, { 32, 550 } },
	{ "RE", "S-1-5-32-552", "K22 2-sids/2-well-known.md BUILTIN\\Replicators", 5, 2, { 32, 552 } },
	{ "ED", "S-1-5-9", "K22 2-sids/2-well-known.md Enterprise Domain Controllers", 5, 1, { 9 } },
	{ "RC", "S-1-5-12", "K22 2-sids/2-well-known.md Restricted Code", 5, 1, { 12 } },
	{ "WD", "S-1-1-0", K20_WELL_KNOWN " Everyone", 1, 1, { 0 } },
	{ "AU", "S-1-5-11", K20_WELL_KNOWN " Authenticated Users", 5, 1, { 11 } },
	{ "AN", "S-1-5-7", K20_WELL_KNOWN " Anonymous", 5, 1, { 7 } },
	{ "OW", "S-1-3-4", K20_WELL_KNOWN " Owner Rights", 3, 1, { 4 } },
	{ "CO", "S-1-3-0", K20_WELL_KNOWN " Creator Owner", 3, 1, { 0 } },
	{ "CG", "S-1-3-1", K20_WELL_KNOWN " Creator Group", 3, 1, { 1 } },
	{ "PS", "S-1-5-10", K20_WELL_KNOWN " Principal Self", 5, 1, { 10 } },
	{ "NU", "S-1-5-2", K20_WELL_KNOWN " Network", 5, 1, { 2 } },
	{ "IU", "S-1-5-4", K20_WELL_KNOWN " Interactive", 5, 1, { 4 } },
	{ "SU", "S-1-5-6", K20_WELL_KNOWN " Service", 5, 1, { 6 } },
	{ "LS", "S-1-5-19", K20_WELL_KNOWN " Local Service", 5, 1, { 19 } },
	{ "NS", "S-1-5-20", K20_WELL_KNOWN " Network Service", 5, 1, { 20 } },
	{ "AC", "S-1-15-2-1", K20_WELL_KNOWN " ALL_APPLICATION_PACKAGES", 15, 2, { 2, 1 } },
	{ "UT", "S-1-16-0", K20_WELL_KNOWN " integrity Untrusted", 16, 1, { 0 } },
	{ "LW", "S-1-16-4096", K20_WELL_KNOWN " integrity Low", 16, 1, { 4096 } },
	{ "ME", "S-1-16-8192", K20_WELL_KNOWN " integrity Medium", 16, 1, { 8192 } },
	{ "HI", "S-1-16-12288", K20_WELL_KNOWN " integrity High", 16, 1, { 12288 } },
	{ "SI", "S-1-16-16384", K20_WELL_KNOWN " integrity System", 16, 1, { 16384 } },
};

Test(kacs_sid, text_vectors_parse_and_format_canonically)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct ck_kacs_sid sid, want;
		struct ck_kacs_error e = new_err();
		char buf[200];
		cr_assert_eq(ck_kacs_sid_parse(good[i].text, &sid, &e), 0, "%s (%s): %s", good[i].text, good[i].spec,
			     e.message);
		cr_assert_eq(ck_kacs_sid_make(&want, good[i].authority, good[i].n, good[i].sub), 0);
		cr_assert(ck_kacs_sid_equal(&sid, &want), "%s (%s)", good[i].text, good[i].spec);
		const char *canon = good[i].canonical ? good[i].canonical : good[i].text;
		int n = ck_kacs_sid_format(&sid, buf, sizeof(buf));
		cr_assert_eq(n, (int)strlen(canon), "%s", good[i].text);
		cr_assert_str_eq(buf, canon, "%s (%s)", good[i].text, good[i].spec);
		/* the canonical text parses back to the same SID */
		struct ck_kacs_sid again;
		cr_assert_eq(ck_kacs_sid_parse(buf, &again, NULL), 0);
		cr_assert(ck_kacs_sid_equal(&sid, &again));
	}
}

Test(kacs_sid, every_alias_names_the_sid_it_parses_to)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!good[i].canonical || good[i].text[0] == 'S')
			continue;
		struct ck_kacs_sid sid;
		cr_assert_eq(ck_kacs_sid_parse(good[i].canonical, &sid, NULL), 0);
		cr_assert_str_eq(ck_kacs_sid_alias(&sid), good[i].text);
	}
	struct ck_kacs_sid sid;
	cr_assert_eq(ck_kacs_sid_parse("S-1-19-512-1024", &sid, NULL), 0);
	cr_assert_null(ck_kacs_sid_alias(&sid), "trust labels have no alias");
	cr_assert_eq(ck_kacs_sid_parse("S-1-5-32", &sid, NULL), 0);
	cr_assert_null(ck_kacs_sid_alias(&sid));
}

/* Text that must be refused: the errno is EINVAL and the column is where the fault starts. */
static const struct {
	const char *text;
	size_t column;
	const char *why, *spec;
} bad[] = {
	{ "", 0, "starts with 'S-'", K20_FORMAT " string format" },
	{ "S", 0, "starts with 'S-'", K20_FORMAT " string format" },
	{ "s-1-5-18", 0, "starts with 'S-'", K20_FORMAT " 'S' is a literal prefix" },
	{ "S-2-5-18", 2, "revision 2, must be 1", K20_FORMAT " revision is 1" },
	{ "S-01-5-18", 2, "leading zero", K20_FORMAT " revision is 1" },
	{ "S-1", 3, "authority expected", K20_FORMAT " authority is required" },
	{ "S-1-", 4, "authority is empty", K20_FORMAT " authority is required" },
	{ "S-1--5", 4, "authority is empty", K20_FORMAT " authority is required" },
	{ "S-1-05-18", 4, "leading zero", K20_FORMAT " decimal authority" },
	{ "S-1-4294967296", 4, "larger than 4294967295", K20_FORMAT " decimal only when the upper 2 bytes are zero" },
	{ "S-1-0x00000000000f", 4, "below 2^32", K20_FORMAT " hex only when the upper 2 bytes are non-zero" },
	{ "S-1-0x1000000000", 4, "needs 12 digits", K20_FORMAT " zero-padded to 12 hex digits" },
	{ "S-1-0x0001000000000", 4, "more than 12 digits", K20_FORMAT " 6-byte authority" },
	{ "S-1-0x", 4, "needs 12 digits", K20_FORMAT " zero-padded to 12 hex digits" },
	{ "S-1-0xABCDEF012345", 6, "written lowercase", K20_FORMAT " lowercase hexadecimal" },
	{ "S-1-0xabcdeF012345", 11, "written lowercase", K20_FORMAT " lowercase hexadecimal" },
	{ "S-1-0X000100000000", 5, "unexpected 'X'", K20_FORMAT " prefixed with 0x" },
	{ "S-1-5-", 6, "sub-authority is empty", K20_FORMAT " each sub is a decimal u32" },
	{ "S-1-5--18", 6, "sub-authority is empty", K20_FORMAT " each sub is a decimal u32" },
	{ "S-1-5-018", 6, "leading zero", K20_FORMAT " decimal sub-authority" },
	{ "S-1-5-4294967296", 6, "larger than 4294967295", K20_FORMAT " sub-authority is a u32" },
	{ "S-1-5-99999999999999999999999", 6, "larger than", K20_FORMAT " sub-authority is a u32" },
	{ "S-1-5-+18", 6, "sub-authority is empty", K20_FORMAT " decimal sub-authority" },
	{ "S-1-5-18 ", 8, "unexpected ' '", K20_FORMAT " nothing after the SID" },
	{ "S-1-5-18x", 8, "unexpected 'x'", K20_FORMAT " nothing after the SID" },
	{ "S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", 42, "more than 15", K20_FORMAT " at most 15 sub-authorities" },
	{ "XX", 0, "no SID alias", K20_WELL_KNOWN },
	{ "sy", 0, "starts with 'S-'", K20_WELL_KNOWN " aliases are upper case" },
	{ "SYS", 2, "unexpected 'S'", K20_WELL_KNOWN },
	{ "S-1-5-18\n", 8, "unexpected byte 0x0a", K20_FORMAT " nothing after the SID" },
};

Test(kacs_sid, malformed_text_is_einval_naming_the_column)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ck_kacs_sid sid;
		struct ck_kacs_error e = new_err();
		e.offset = 9999;
		cr_assert_eq(ck_kacs_sid_parse(bad[i].text, &sid, &e), -EINVAL, "'%s' (%s)", bad[i].text, bad[i].spec);
		cr_assert_eq(e.offset, bad[i].column, "'%s': column %zu, want %zu: %s", bad[i].text, e.offset,
			     bad[i].column, e.message);
		char col[32];
		snprintf(col, sizeof(col), "column %zu: ", bad[i].column);
		cr_assert(strncmp(e.message, col, strlen(col)) == 0, "'%s': %s", bad[i].text, e.message);
		cr_assert(strstr(e.message, bad[i].why), "'%s': '%s' lacks '%s'", bad[i].text, e.message, bad[i].why);
	}
}

Test(kacs_sid, binary_form_is_revision_count_bigendian_authority_littleendian_subs)
{
	/* K20 2-sids/1-format.md "Binary format" */
	struct ck_kacs_sid sid;
	cr_assert_eq(ck_kacs_sid_parse("S-1-0x010203040506-1-258", &sid, NULL), 0);
	uint8_t buf[16];
	cr_assert_eq(ck_kacs_sid_size(&sid), 16u);
	cr_assert_eq(ck_kacs_sid_write(&sid, buf, sizeof(buf)), 16);
	const uint8_t want[16] = { 1, 2, 1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 2, 1, 0, 0 };
	cr_assert_arr_eq(buf, want, 16);
	struct ck_kacs_sid back;
	cr_assert_eq(ck_kacs_sid_read(buf, sizeof(buf), &back, NULL), 16);
	cr_assert(ck_kacs_sid_equal(&sid, &back));
	cr_assert_eq(ck_kacs_sid_write(&sid, buf, 15), -ENOSPC);
	/* the read takes only its own bytes from a longer buffer */
	uint8_t longer[40] = { 1, 0, 0, 0, 0, 0, 0, 1 };
	cr_assert_eq(ck_kacs_sid_read(longer, sizeof(longer), &back, NULL), 8);
	cr_assert_eq(ck_kacs_sid_size(&back), 8u);
}

Test(kacs_sid, sizes_are_8_plus_4_per_sub_from_8_to_68)
{
	/* K20 2-sids/1-format.md: minimum 8 bytes, maximum 68 */
	uint32_t subs[15] = { 0 };
	struct ck_kacs_sid sid;
	for (size_t n = 0; n <= 15; n++) {
		cr_assert_eq(ck_kacs_sid_make(&sid, 5, n, subs), 0);
		cr_assert_eq(ck_kacs_sid_size(&sid), 8 + 4 * n);
	}
	cr_assert_eq(ck_kacs_sid_make(&sid, 5, 16, subs), -EINVAL);
	cr_assert_eq(ck_kacs_sid_make(&sid, 1ull << 48, 0, NULL), -EINVAL);
}

static const struct {
	uint8_t bytes[12];
	size_t len, offset;
	const char *why, *spec;
} bad_bin[] = {
	{ { 1, 0, 0, 0, 0, 0, 0 }, 7, 0, "needs 8 bytes", K20_FORMAT " minimum size is 8" },
	{ { 2, 0, 0, 0, 0, 0, 0, 5 }, 8, 0, "revision 2, must be 1", K20_FORMAT " Revision MUST be 1" },
	{ { 0, 0, 0, 0, 0, 0, 0, 5 }, 8, 0, "revision 0, must be 1", K20_FORMAT " Revision MUST be 1" },
	{ { 1, 16, 0, 0, 0, 0, 0, 5 }, 8, 1, "SubAuthorityCount 16, at most 15", K20_FORMAT " count MUST be 0..15" },
	{ { 1, 255, 0, 0, 0, 0, 0, 5 }, 8, 1, "SubAuthorityCount 255", K20_FORMAT " count MUST be 0..15" },
	{ { 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0 }, 11, 0, "needs 12 bytes, 11 left", K20_FORMAT " size 8 + 4n" },
	{ { 1, 2, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0 }, 12, 0, "needs 16 bytes, 12 left", K20_FORMAT " size 8 + 4n" },
};

Test(kacs_sid, malformed_binary_is_einval_naming_the_offset)
{
	for (size_t i = 0; i < sizeof(bad_bin) / sizeof(bad_bin[0]); i++) {
		struct ck_kacs_sid sid;
		struct ck_kacs_error e = new_err();
		cr_assert_eq(ck_kacs_sid_read(bad_bin[i].bytes, bad_bin[i].len, &sid, &e), -EINVAL, "%zu (%s)", i,
			     bad_bin[i].spec);
		cr_assert_eq(e.offset, bad_bin[i].offset, "%zu: %s", i, e.message);
		cr_assert(strstr(e.message, bad_bin[i].why), "%zu: '%s' lacks '%s'", i, e.message, bad_bin[i].why);
	}
}

Test(kacs_sid, equality_is_exact_binary_match)
{
	/* K20 2-sids/1-format.md "Comparison" */
	struct ck_kacs_sid a, b;
	cr_assert_eq(ck_kacs_sid_parse("S-1-5-32-544", &a, NULL), 0);
	cr_assert_eq(ck_kacs_sid_parse("BA", &b, NULL), 0);
	cr_assert(ck_kacs_sid_equal(&a, &b));
	cr_assert_eq(ck_kacs_sid_parse("S-1-5-32", &b, NULL), 0);
	cr_assert_not(ck_kacs_sid_equal(&a, &b), "a prefix is another SID");
	cr_assert_eq(ck_kacs_sid_parse("S-1-0x000500000000-32-544", &b, NULL), 0);
	cr_assert_not(ck_kacs_sid_equal(&a, &b), "the whole authority counts");
	/* bytes past sub_count do not count */
	b = a;
	b.sub_count = 1;
	a.sub_count = 1;
	a.sub[1] = 7;
	cr_assert(ck_kacs_sid_equal(&a, &b));
}

Test(kacs_sid, format_is_snprintf_shaped)
{
	struct ck_kacs_sid sid;
	cr_assert_eq(ck_kacs_sid_parse("S-1-5-32-544", &sid, NULL), 0);
	char buf[6];
	cr_assert_eq(ck_kacs_sid_format(&sid, buf, sizeof(buf)), 12);
	cr_assert_str_eq(buf, "S-1-5");
	cr_assert_eq(ck_kacs_sid_format(&sid, NULL, 0), 12);
	sid.revision = 2;
	cr_assert_eq(ck_kacs_sid_format(&sid, buf, sizeof(buf)), -EINVAL);
	sid.revision = 1;
	sid.sub_count = 16;
	cr_assert_eq(ck_kacs_sid_format(&sid, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(ck_kacs_sid_write(&sid, buf, sizeof(buf)), -EINVAL);
}

Test(kacs_sid, an_error_struct_of_an_older_caller_is_filled_only_as_far_as_it_reaches)
{
	struct {
		struct ck_kacs_error e;
		char guard[8];
	} s;
	memset(&s, 0x5a, sizeof(s));
	s.e.size = offsetof(struct ck_kacs_error, message) + 10;
	struct ck_kacs_sid sid;
	cr_assert_eq(ck_kacs_sid_parse("S-1-5-x", &sid, &s.e), -EINVAL);
	cr_assert_eq(s.e.offset, 6u);
	cr_assert_str_eq(s.e.message, "column 6:");
	cr_assert_eq((unsigned char)s.e.message[10], 0x5a);
}
