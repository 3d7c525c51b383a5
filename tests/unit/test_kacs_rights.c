/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Generic mappings, rights as names and back, profile names. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include <clonekit/kacs.h>

Test(kacs_rights, the_process_mapping_is_k20s)
{
	/* K20 5-psb/3-process-sd.md "Generic mapping"; design §5.3 */
	const struct ck_kacs_generic_mapping *m = ck_kacs_process_mapping();
	cr_assert_eq(m->read, 0x20410u);
	cr_assert_eq(m->write, 0x40220u);
	cr_assert_eq(m->execute, 0x1801u);
	cr_assert_eq(m->all, 0xE1E73u);
}

Test(kacs_rights, the_token_mapping_is_k20s)
{
	/* K20 4-tokens/8-access-rights.md "Generic mapping", 13-appendix-a/6-abi-reference.md */
	const struct ck_kacs_generic_mapping *m = ck_kacs_token_mapping();
	cr_assert_eq(m->read, 0x20008u);
	cr_assert_eq(m->write, 0x400E0u);
	cr_assert_eq(m->execute, 0x4u);
	cr_assert_eq(m->all, 0xF01FFu);
}

Test(kacs_rights, mapping_replaces_the_generic_bits_and_keeps_the_rest)
{
	/* K20 3-access-masks.md: map the generic bits, then clear them */
	const struct ck_kacs_generic_mapping *p = ck_kacs_process_mapping();
	cr_assert_eq(ck_kacs_map_generic(CK_KACS_GENERIC_ALL, p), 0xE1E73u);
	cr_assert_eq(ck_kacs_map_generic(CK_KACS_GENERIC_READ | CK_KACS_GENERIC_EXECUTE, p), 0x20410u | 0x1801u);
	cr_assert_eq(ck_kacs_map_generic(CK_KACS_GENERIC_WRITE | CK_KACS_MAXIMUM_ALLOWED | CK_KACS_SYNCHRONIZE, p),
		     0x40220u | CK_KACS_MAXIMUM_ALLOWED | CK_KACS_SYNCHRONIZE);
	cr_assert_eq(ck_kacs_map_generic(CK_KACS_PROCESS_TERMINATE, p), CK_KACS_PROCESS_TERMINATE);
	cr_assert_eq(ck_kacs_map_generic(CK_KACS_GENERIC_ALL, ck_kacs_token_mapping()), 0xF01FFu);
	cr_assert_eq(ck_kacs_map_generic(CK_KACS_GENERIC_ALL, NULL), 0xE1E73u, "NULL is the process mapping");
}

static const struct {
	uint32_t mask;
	int kind; /* 0 process, 1 token, 2 none */
	const char *text;
} formats[] = {
	{ 0x1001, 0, "TERMINATE,QUERY_LIMITED" },
	{ 0xE1E73, 0, "TERMINATE,SIGNAL,VM_READ,VM_WRITE,DUP_HANDLE,SET_INFORMATION,QUERY_INFORMATION,SUSPEND_RESUME,"
		      "QUERY_LIMITED,READ_CONTROL,WRITE_DAC,WRITE_OWNER" },
	{ 0x10000000, 0, "GA" },
	{ 0xF0000000, 0, "GA,GX,GW,GR" },
	{ CK_KACS_MAXIMUM_ALLOWED | 0x20, 0, "VM_WRITE,MAXIMUM_ALLOWED" },
	{ 0x0000000C, 0, "0xc" },
	{ 0x0000100C, 0, "QUERY_LIMITED,0xc" },
	{ 0, 0, "0" },
	{ 0xF01FF, 1, "ASSIGN_PRIMARY,DUPLICATE,IMPERSONATE,QUERY,QUERY_SOURCE,ADJUST_PRIVILEGES,ADJUST_GROUPS,"
		      "ADJUST_DEFAULT,ADJUST_SESSIONID,DELETE,READ_CONTROL,WRITE_DAC,WRITE_OWNER" },
	{ 0x1001, 2, "0x1001" },
	{ 0x01120000, 2, "READ_CONTROL,SYNCHRONIZE,ACCESS_SYSTEM_SECURITY" },
	{ 0x0CE00000, 2, "0xce00000" },
};

static const struct ck_kacs_generic_mapping *kind_of(int k)
{
	return k == 0 ? ck_kacs_process_mapping() : k == 1 ? ck_kacs_token_mapping() : NULL;
}

Test(kacs_rights, masks_format_as_names_and_parse_back)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char buf[512];
		int n = ck_kacs_rights_format(formats[i].mask, kind_of(formats[i].kind), buf, sizeof(buf));
		cr_assert_eq(n, (int)strlen(formats[i].text), "%#x", formats[i].mask);
		cr_assert_str_eq(buf, formats[i].text);
		uint32_t back = 1;
		cr_assert_eq(ck_kacs_rights_parse(buf, kind_of(formats[i].kind), &back, NULL), 0, "%s", buf);
		cr_assert_eq(back, formats[i].mask, "%s", buf);
	}
	char small[5];
	cr_assert_eq(ck_kacs_rights_format(0x1001, ck_kacs_process_mapping(), small, sizeof(small)), 23);
	cr_assert_str_eq(small, "TERM");
}

static const struct {
	const char *text;
	int kind;
	uint32_t mask;
} parses[] = {
	{ "terminate|vm_write", 0, 0x21 },
	{ "PROCESS_TERMINATE,process_query_limited", 0, 0x1001 },
	{ "TOKEN_QUERY", 1, 0x8 },
	{ "GENERIC_READ,GW,GX,GA", 0, 0xF0000000 },
	{ "RC|SD|WD|WO", 0, 0xF0000 },
	{ "MAXIMUM_ALLOWED", 0, CK_KACS_MAXIMUM_ALLOWED },
	{ "0x1000,16", 0, 0x1010 },
	{ "4294967295", 2, 0xFFFFFFFF },
	{ "0XFF", 2, 0xFF },
};

Test(kacs_rights, parse_takes_names_in_any_case_sddl_letters_and_numbers)
{
	for (size_t i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		uint32_t m;
		struct ck_kacs_error e = { .size = sizeof(e) };
		cr_assert_eq(ck_kacs_rights_parse(parses[i].text, kind_of(parses[i].kind), &m, &e), 0, "%s: %s",
			     parses[i].text, e.message);
		cr_assert_eq(m, parses[i].mask, "%s: %#x", parses[i].text, m);
	}
}

static const struct {
	const char *text;
	int kind;
	size_t column;
	const char *why;
} refused[] = {
	{ "", 0, 0, "no rights given" },
	{ "TERMINATE,", 0, 10, "empty right" },
	{ ",TERMINATE", 0, 0, "empty right" },
	{ "TERMINATE,,SIGNAL", 0, 10, "empty right" },
	{ "QUERY", 0, 0, "'QUERY' is no process right" },
	{ "TERMINATE", 1, 0, "'TERMINATE' is no token right" },
	{ "TERMINATE", 2, 0, "no standard right" },
	{ "TOKEN_QUERY", 0, 0, "no process right" },
	{ "0x100000000", 0, 0, "larger than 32 bits" },
	{ "4294967296", 0, 0, "larger than 32 bits" },
	{ "0xg", 0, 0, "not a number" },
	{ "12ab", 0, 0, "not a number" },
	{ "SIGNAL, VM_READ", 0, 7, "unexpected ' '" },
};

Test(kacs_rights, bad_lists_are_einval_naming_the_column)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uint32_t m = 7;
		struct ck_kacs_error e = { .size = sizeof(e) };
		cr_assert_eq(ck_kacs_rights_parse(refused[i].text, kind_of(refused[i].kind), &m, &e), -EINVAL, "'%s'",
			     refused[i].text);
		cr_assert_eq(m, 7u, "nothing written on error");
		cr_assert_eq(e.offset, refused[i].column, "'%s': %s", refused[i].text, e.message);
		cr_assert(strstr(e.message, refused[i].why), "'%s': '%s' lacks '%s'", refused[i].text, e.message,
			  refused[i].why);
	}
}

Test(kacs_rights, profiles_have_names)
{
	enum ck_kacs_profile p;
	cr_assert_str_eq(ck_kacs_profile_name(CK_KACS_V0_20), "v0.20");
	cr_assert_str_eq(ck_kacs_profile_name(CK_KACS_V0_22), "v0.22");
	cr_assert_null(ck_kacs_profile_name((enum ck_kacs_profile)7));
	cr_assert_eq(ck_kacs_profile_parse("v0.22", &p), 0);
	cr_assert_eq(p, CK_KACS_V0_22);
	cr_assert_eq(ck_kacs_profile_parse("0.20", &p), 0);
	cr_assert_eq(p, CK_KACS_V0_20);
	cr_assert_eq(ck_kacs_profile_parse("v0.21", &p), -EINVAL);
	cr_assert_eq(ck_kacs_profile_parse("V0.20", &p), -EINVAL);
	cr_assert_eq(ck_kacs_profile_parse("", &p), -EINVAL);
	cr_assert_eq(ck_kacs_profile_parse(NULL, &p), -EINVAL);
}
