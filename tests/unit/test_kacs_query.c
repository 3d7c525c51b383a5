/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the KACS ABI (lib/kacs/token_query.c, sd_info.c): QUERY's
 * payloads byte for byte (K20 13-appendix-a/6-abi-reference.md §3), its
 * buffer protocol (size query, ERANGE, overlap), the token-open mask, the
 * impersonation gates (K20 9-impersonation/2-gates.md), the ioctl headers,
 * and kacs_get_sd / kacs_set_sd by security information.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <clonekit/kacs.h>
#include <clonekit/kacs_abi.h>

#include "kacs/token_query.h"

static uint64_t next_id = CK_KACS_TOKEN_ID_FIRST;

static struct ck_kacs_token *preset(const char *name)
{
	struct ck_kacs_token *t = NULL;
	cr_assert_eq(ck_kacs_token_preset(name, CK_KACS_V0_20, &next_id, &t), 0, "preset %s", name);
	return t;
}

static struct ck_kacs_sid sid_of(const char *text)
{
	struct ck_kacs_sid s;
	struct ck_kacs_error e = { .size = sizeof(e) };
	cr_assert_eq(ck_kacs_sid_parse(text, &s, &e), 0, "%s: %s", text, e.message);
	return s;
}

static size_t sid_bytes(const char *text, uint8_t *buf)
{
	struct ck_kacs_sid s = sid_of(text);
	ssize_t n = ck_kacs_sid_write(&s, buf, 80);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The payload of cls, which must succeed. */
static size_t query(const struct ck_kacs_token *t, const struct ck_kacs_sessions *s, uint32_t cls, uint8_t **out)
{
	size_t len = 12345;
	int r = ck__kacs_query_payload(t, s, cls, out, &len);
	cr_assert_eq(r, 0, "class %u: %d", cls, r);
	return len;
}

/* ---- the classes, byte for byte ------------------------------------------- */

Test(kacs_query, user_class_is_the_binary_sid)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t want[80], *p;
	size_t n = sid_bytes("S-1-5-21-1-2-3-1001", want);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_USER, &p), n);
	cr_assert_eq(n, 8 + 4 * 5);
	cr_assert_arr_eq(p, want, n);
	free(p);
	ck_kacs_token_free(t);
}

Test(kacs_query, groups_class_is_count_then_len_sid_attrs)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t *p, want[80];
	size_t n = query(t, NULL, CK_KACS_TOKEN_CLASS_GROUPS, &p);
	cr_assert_eq(le32(p), t->group_count);
	size_t at = 4;
	for (uint32_t i = 0; i < t->group_count; i++) {
		size_t sl = (size_t)ck_kacs_sid_write(&t->groups[i].sid, want, sizeof(want));
		cr_assert_eq(le32(p + at), sl, "group %u sid_len", i);
		cr_assert_arr_eq(p + at + 4, want, sl);
		cr_assert_eq(le32(p + at + 4 + sl), t->groups[i].attributes, "group %u attrs", i);
		at += 8 + sl;
	}
	cr_assert_eq(at, n);
	/* the last group is the logon SID of session 1000, attrs 0xC0000007 (K20 §5 "Groups array") */
	sid_bytes("S-1-5-5-0-1000", want);
	cr_assert_arr_eq(p + n - 4 - 20, want, 20);
	cr_assert_eq(le32(p + n - 4), 0xC0000007u);
	free(p);
	ck_kacs_token_free(t);
}

Test(kacs_query, fixed_size_classes)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t *p;
	t->privileges_used = CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY);
	t->expiration = 77;
	t->origin = 0x1122334455667788u;
	t->source_luid = 0xAABBCCDDu;
	t->interactive_session_id = 3;

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_PRIVILEGES, &p), 32);
	cr_assert_eq(le64(p), t->privileges_present);
	cr_assert_eq(le64(p + 8), t->privileges_enabled);
	cr_assert_eq(le64(p + 16), t->privileges_enabled_by_default);
	cr_assert_eq(le64(p + 24), CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY));
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_TYPE, &p), 4);
	cr_assert_eq(le32(p), 1);
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_STATISTICS, &p), 40);
	cr_assert_eq(le64(p), t->token_id);
	cr_assert_eq(le64(p + 8), 1000);
	cr_assert_eq(le64(p + 16), t->modified_id);
	cr_assert_eq(le32(p + 24), 1);
	cr_assert_eq(le32(p + 28), 0);
	cr_assert_eq(le64(p + 32), 77);
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_SOURCE, &p), 16);
	cr_assert_arr_eq(p, "clonekit", 8);
	cr_assert_eq(le64(p + 8), 0xAABBCCDDu);
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_ORIGIN, &p), 8);
	cr_assert_eq(le64(p), 0x1122334455667788u);
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_SESSION_ID, &p), 4);
	cr_assert_eq(le32(p), 3);
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_ELEVATION_TYPE, &p), 4);
	cr_assert_eq(le32(p), 1);
	free(p);

	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_MANDATORY_POLICY, &p), 4);
	cr_assert_eq(le32(p), CK_KACS_POLICY_NO_WRITE_UP);
	free(p);

	/* K20 §3: Primary tokens always return Anonymous */
	t->impersonation_level = CK_KACS_DELEGATION;
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL, &p), 4);
	cr_assert_eq(le32(p), 0);
	free(p);
	ck_kacs_token_free(t);
}

Test(kacs_query, sid_classes)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t *p, want[80];
	size_t n;

	n = sid_bytes("S-1-16-8192", want);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_INTEGRITY_LEVEL, &p), n);
	cr_assert_arr_eq(p, want, n);
	free(p);

	n = sid_bytes("S-1-5-5-0-1000", want);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_LOGON_SID, &p), n);
	cr_assert_arr_eq(p, want, n);
	free(p);

	/* owner_index 0: the user; primary_group_index 2: groups[1] */
	n = sid_bytes("S-1-5-21-1-2-3-1001", want);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_OWNER, &p), n);
	cr_assert_arr_eq(p, want, n);
	free(p);
	t->primary_group_index = 2;
	n = (size_t)ck_kacs_sid_write(&t->groups[1].sid, want, sizeof(want));
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_PRIMARY_GROUP, &p), n);
	cr_assert_arr_eq(p, want, n);
	free(p);
	t->primary_group_index = t->group_count + 1;
	size_t len;
	cr_assert_eq(ck__kacs_query_payload(t, NULL, CK_KACS_TOKEN_CLASS_PRIMARY_GROUP, &p, &len), -EINVAL);
	ck_kacs_token_free(t);
}

Test(kacs_query, empty_and_absent_classes)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t *p;
	/* K20 §10 "Empty query results": an absent SID is 0 bytes, an absent SID array [count=0] */
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_APPCONTAINER_SID, &p), 0);
	cr_assert_null(p);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_USER_CLAIMS, &p), 0);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_DEVICE_CLAIMS, &p), 0);
	uint32_t arrays[] = { CK_KACS_TOKEN_CLASS_RESTRICTED_SIDS, CK_KACS_TOKEN_CLASS_DEVICE_GROUPS,
			      CK_KACS_TOKEN_CLASS_CAPABILITIES };
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(query(t, NULL, arrays[i], &p), 4, "class %u", arrays[i]);
		cr_assert_eq(le32(p), 0);
		free(p);
	}
	/* the default DACL as a binary ACL, and 0 bytes once there is none */
	size_t n = query(t, NULL, CK_KACS_TOKEN_CLASS_DEFAULT_DACL, &p);
	cr_assert_eq(n, ck_kacs_acl_size(&t->default_dacl_holder->dacl));
	cr_assert_eq(p[0], 2);
	cr_assert_eq(p[2] | p[3] << 8, n);
	cr_assert_eq(p[4] | p[5] << 8, 2);
	free(p);
	struct ck_kacs_adjust_default_args a = { .dacl_ptr = 0x1000, .dacl_len = 0, .owner_index = 0xFFFF,
						 .group_index = 0xFFFF };
	cr_assert_eq(ck__kacs_ioc_adjust_default(t, &a, NULL, NULL), 0);
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_DEFAULT_DACL, &p), 0);
	ck_kacs_token_free(t);
}

Test(kacs_query, restricted_sids_and_supplementary_gids)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t *p, want[80];
	t->restricted = true;
	t->restricted_count = 1;
	t->restricted_sids[0].sid = sid_of("S-1-1-0");
	t->restricted_sids[0].attributes = CK_KACS_GROUP_ENABLED;
	size_t n = query(t, NULL, CK_KACS_TOKEN_CLASS_RESTRICTED_SIDS, &p);
	size_t sl = sid_bytes("S-1-1-0", want);
	cr_assert_eq(n, 4 + 4 + sl + 4);
	cr_assert_eq(le32(p), 1);
	cr_assert_eq(le32(p + 4), sl);
	cr_assert_arr_eq(p + 8, want, sl);
	cr_assert_eq(le32(p + 8 + sl), CK_KACS_GROUP_ENABLED);
	free(p);

	uint32_t gids[] = { 10, 20, 65534 };
	t->projected_supp_gids = malloc(sizeof(gids));
	memcpy(t->projected_supp_gids, gids, sizeof(gids));
	t->projected_supp_gid_count = 3;
	cr_assert_eq(query(t, NULL, CK_KACS_TOKEN_CLASS_PROJECTED_SUPPLEMENTARY_GIDS, &p), 16);
	cr_assert_eq(le32(p), 3);
	cr_assert_eq(le32(p + 4), 10);
	cr_assert_eq(le32(p + 12), 65534);
	free(p);
	ck_kacs_token_free(t);
}

Test(kacs_query, logon_type_comes_from_the_session_of_auth_id)
{
	struct ck_kacs_sessions *s = ck_kacs_sessions_new();
	struct ck_kacs_token *t = preset("user");
	uint8_t *p;
	size_t len;
	cr_assert_not_null(s);
	/* no session 1000 yet: PKM answers EINVAL */
	cr_assert_eq(ck__kacs_query_payload(t, s, CK_KACS_TOKEN_CLASS_LOGON_TYPE, &p, &len), -EINVAL);
	cr_assert_eq(ck__kacs_query_payload(t, NULL, CK_KACS_TOKEN_CLASS_LOGON_TYPE, &p, &len), -EINVAL);
	struct ck_kacs_sid u = sid_of("S-1-5-21-1-2-3-1001");
	uint64_t id;
	cr_assert_eq(ck_kacs_session_add(s, CK_KACS_LOGON_BATCH, "x", 1, &u, &id), 0);
	cr_assert_eq(id, 1000);
	cr_assert_eq(query(t, s, CK_KACS_TOKEN_CLASS_LOGON_TYPE, &p), 4);
	cr_assert_eq(le32(p), CK_KACS_LOGON_BATCH);
	free(p);
	ck_kacs_token_free(t);
	ck_kacs_sessions_free(s);
}

Test(kacs_query, unknown_classes_are_einval)
{
	struct ck_kacs_token *t = preset("user");
	uint8_t *p;
	size_t len;
	uint32_t bad[] = { 0, 25, 0x100, 0xFFFFFFFF };
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(ck__kacs_query_payload(t, NULL, bad[i], &p, &len), -EINVAL, "class %u", bad[i]);
	ck_kacs_token_free(t);
}

/* ---- the buffer protocol (K20 §3) ---------------------------------------- */

Test(kacs_query, size_query_erange_and_fit)
{
	bool w;
	struct ck_kacs_query_args a = { .token_class = 1, .buf_len = 0, .buf_ptr = 0x5000 };
	cr_assert_eq(ck__kacs_query_answer(&a, 0x1000, 28, &w), 0);
	cr_assert_eq(a.buf_len, 28);
	cr_assert_not(w);

	a = (struct ck_kacs_query_args){ .token_class = 1, .buf_len = 100, .buf_ptr = 0 };
	cr_assert_eq(ck__kacs_query_answer(&a, 0x1000, 28, &w), 0);
	cr_assert_eq(a.buf_len, 28);
	cr_assert_not(w);

	a = (struct ck_kacs_query_args){ .token_class = 1, .buf_len = 27, .buf_ptr = 0x5000 };
	cr_assert_eq(ck__kacs_query_answer(&a, 0x1000, 28, &w), -ERANGE);
	cr_assert_eq(a.buf_len, 28, "ERANGE writes the needed size");
	cr_assert_not(w);

	a = (struct ck_kacs_query_args){ .token_class = 1, .buf_len = 4096, .buf_ptr = 0x5000 };
	cr_assert_eq(ck__kacs_query_answer(&a, 0x1000, 28, &w), 0);
	cr_assert_eq(a.buf_len, 28, "the actual payload size");
	cr_assert(w);

	/* an empty payload into a real buffer writes nothing */
	a = (struct ck_kacs_query_args){ .token_class = 15, .buf_len = 64, .buf_ptr = 0x1000 };
	cr_assert_eq(ck__kacs_query_answer(&a, 0x1000, 0, &w), 0);
	cr_assert_eq(a.buf_len, 0);
	cr_assert_not(w);
}

Test(kacs_query, payload_overlapping_the_args_is_einval)
{
	bool w;
	struct {
		uint64_t buf, args;
		size_t required;
		int want;
	} cases[] = {
		{ 0x1000, 0x1000, 4, -EINVAL },             /* the same address */
		{ 0x0FF0, 0x1000, 17, -EINVAL },            /* ends one byte into the struct */
		{ 0x0FF0, 0x1000, 16, 0 },                  /* ends right before it */
		{ 0x1010, 0x1000, 40, 0 },                  /* starts right after it */
		{ 0x100F, 0x1000, 4, -EINVAL },             /* starts in its last byte */
		{ UINT64_MAX - 3, 0x1000, 8, -EINVAL },     /* wraps: overflow-safe means refused */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_kacs_query_args a = { .token_class = 1, .buf_len = 4096, .buf_ptr = cases[i].buf };
		cr_assert_eq(ck__kacs_query_answer(&a, cases[i].args, cases[i].required, &w), cases[i].want, "case %zu",
			     i);
	}
}

/* ---- token opens ----------------------------------------------------------- */

Test(kacs_query, open_masks)
{
	cr_assert_eq(ck__kacs_token_open_mask(0), -EINVAL);
	cr_assert_eq(ck__kacs_token_open_mask(0x200), -EINVAL, "bit 9 is outside TOKEN_ALL_ACCESS");
	cr_assert_eq(ck__kacs_token_open_mask(CK_KACS_SYNCHRONIZE), -EINVAL);
	cr_assert_eq(ck__kacs_token_open_mask(CK_KACS_TOKEN_QUERY), 0);
	cr_assert_eq(ck__kacs_token_open_mask(CK_KACS_MAXIMUM_ALLOWED), 0);
	cr_assert_eq(ck__kacs_token_open_mask(CK_KACS_GENERIC_ALL | CK_KACS_ACCESS_SYSTEM_SECURITY), 0);
	cr_assert_eq(ck__kacs_token_open_mask(CK_KACS_TOKEN_ALL_ACCESS), 0);
}

Test(kacs_query, open_check_against_the_token_sd)
{
	struct ck_kacs_token *u = preset("user"), *sys = preset("system");
	uint32_t g = 0;
	/* K20 4-tokens/8-access-rights.md: the token's user gets QUERY|ADJUST_PRIVS|ADJUST_GROUPS|ADJUST_DEFAULT */
	cr_assert_eq(ck__kacs_token_open_check(u, u, CK_KACS_TOKEN_QUERY, 0, 0, CK_KACS_V0_20, &g, NULL), 0);
	cr_assert_eq(g, CK_KACS_TOKEN_QUERY);
	cr_assert_eq(ck__kacs_token_open_check(u, u, CK_KACS_MAXIMUM_ALLOWED, 0, 0, CK_KACS_V0_20, &g, NULL), 0);
	cr_assert_eq(g, 0xE8);
	cr_assert_eq(ck__kacs_token_open_check(u, u, CK_KACS_TOKEN_DUPLICATE, 0, 0, CK_KACS_V0_20, &g, NULL), -EACCES);
	/* GENERIC_READ maps to QUERY|READ_CONTROL; the user lacks READ_CONTROL (SYSTEM made the token) */
	cr_assert_eq(ck__kacs_token_open_check(u, u, CK_KACS_GENERIC_READ, 0, 0, CK_KACS_V0_20, &g, NULL), -EACCES);
	cr_assert_eq(ck__kacs_token_open_check(sys, u, CK_KACS_GENERIC_ALL, 0, 0, CK_KACS_V0_20, &g, NULL), 0);
	cr_assert_eq(g, CK_KACS_TOKEN_ALL_ACCESS);
	cr_assert_eq(ck__kacs_token_open_check(u, u, 0, 0, 0, CK_KACS_V0_20, &g, NULL), -EINVAL);
	ck_kacs_token_free(u);
	ck_kacs_token_free(sys);
}

/* ---- impersonation gates (K20 9-impersonation/2-gates.md) ----------------- */

static struct ck_kacs_token *imp_of(const struct ck_kacs_token *t, enum ck_kacs_imp_level level)
{
	struct ck_kacs_token *c = NULL;
	cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_IMPERSONATION, level, &t->user, CK_KACS_V0_20, &next_id,
					     &c, NULL),
		     0);
	return c;
}

Test(kacs_query, gates)
{
	struct ck_kacs_token *sys = preset("system"), *user = preset("user"), *admin = preset("admin");
	struct ck_kacs_token *other = preset("user");
	other->user = sid_of("S-1-5-21-1-2-3-1002");
	struct ck_kacs_token *cu = imp_of(user, CK_KACS_IMPERSONATION), *co = imp_of(other, CK_KACS_DELEGATION);
	struct ck_kacs_token *ca = imp_of(admin, CK_KACS_IMPERSONATION), *can = imp_of(other, CK_KACS_ANONYMOUS);
	enum ck_kacs_imp_level l;
	uint64_t used;
	const uint64_t imp = CK_KACS_PRIV(CK_KACS_SE_IMPERSONATE);

	/* SYSTEM holds SeImpersonate (enabled): the identity gate passes by the privilege */
	cr_assert_eq(ck__kacs_imp_gate(sys, cu, &l, &used), 0);
	cr_assert_eq(l, CK_KACS_IMPERSONATION);
	cr_assert_eq(used, imp);
	/* the same user, both unrestricted: no privilege needed */
	cr_assert_eq(ck__kacs_imp_gate(user, cu, &l, &used), 0);
	cr_assert_eq(l, CK_KACS_IMPERSONATION);
	cr_assert_eq(used, 0);
	/* another user without the privilege: capped to Identification, not refused */
	cr_assert_eq(ck__kacs_imp_gate(user, co, &l, &used), 0);
	cr_assert_eq(l, CK_KACS_IDENTIFICATION);
	/* the integrity ceiling: a High client for a Medium server, even with SeImpersonate */
	user->privileges_present |= imp;
	user->privileges_enabled |= imp;
	cr_assert_eq(ck__kacs_imp_gate(user, ca, &l, &used), 0);
	cr_assert_eq(l, CK_KACS_IDENTIFICATION);
	/* Anonymous stays Anonymous and needs nothing */
	cr_assert_eq(ck__kacs_imp_gate(user, can, &l, &used), 0);
	cr_assert_eq(l, CK_KACS_ANONYMOUS);
	cr_assert_eq(used, 0);
	/* a restricted server taking its own user's unrestricted token: EPERM, even with the privilege */
	user->restricted = true;
	cr_assert_eq(ck__kacs_imp_gate(user, cu, &l, &used), -EPERM);
	/* a primary token cannot be impersonated */
	cr_assert_eq(ck__kacs_imp_gate(sys, user, &l, &used), -EINVAL);
	struct ck_kacs_token *all[] = { sys, user, admin, other, cu, co, ca, can };
	for (size_t i = 0; i < 8; i++)
		ck_kacs_token_free(all[i]);
}

/* ---- ioctl headers ---------------------------------------------------------- */

Test(kacs_query, ioctl_headers)
{
	cr_assert_eq(ck__kacs_ioc_count(1, 0), 0);
	cr_assert_eq(ck__kacs_ioc_count(64, 0), 0);
	cr_assert_eq(ck__kacs_ioc_count(0, 0), -EINVAL);
	cr_assert_eq(ck__kacs_ioc_count(65, 0), -EINVAL);
	cr_assert_eq(ck__kacs_ioc_count(1, 1), -EINVAL, "_pad must be 0");

	struct ck_kacs_adjust_default_args d = { .dacl_ptr = 0, .dacl_len = 8 };
	cr_assert_eq(ck__kacs_ioc_adjust_default_check(&d), -EINVAL);
	d = (struct ck_kacs_adjust_default_args){ .dacl_ptr = 0x1000, .dacl_len = 65537 };
	cr_assert_eq(ck__kacs_ioc_adjust_default_check(&d), -EINVAL);
	d.dacl_len = 65536;
	cr_assert_eq(ck__kacs_ioc_adjust_default_check(&d), 0);

	struct ck_kacs_abi_restrict_args r = { .flags = 2 };
	cr_assert_eq(ck__kacs_ioc_restrict_check(&r), -EINVAL);
	r = (struct ck_kacs_abi_restrict_args){ .flags = CK_KACS_RESTRICT_WRITE_RESTRICTED, .data_len = 65537 };
	cr_assert_eq(ck__kacs_ioc_restrict_check(&r), -EINVAL);
	r.data_len = 8;
	r.num_deny_indices = 2;
	r.privs_to_delete = 4;
	cr_assert_eq(ck__kacs_ioc_restrict_check(&r), 0);
	struct ck_kacs_restrict_args m;
	uint32_t payload[2] = { 0, 1 };
	ck__kacs_ioc_restrict_req(&r, payload, &m);
	cr_assert_eq(m.privs_to_delete, 4);
	cr_assert_eq(m.num_deny_indices, 2);
	cr_assert_eq(m.data, payload);
	cr_assert_eq(m.data_len, 8);
	cr_assert_eq(m.flags, CK_KACS_RESTRICT_WRITE_RESTRICTED);
}

Test(kacs_query, adjust_default_keeps_or_replaces)
{
	struct ck_kacs_token *t = preset("admin");
	uint64_t mod = t->modified_id;
	/* (0, 0) with indices: the owner becomes BA (groups[i] with SE_GROUP_OWNER) */
	uint16_t ba = 0;
	for (uint32_t i = 0; i < t->group_count; i++)
		if (t->groups[i].attributes & CK_KACS_GROUP_OWNER)
			ba = (uint16_t)(i + 1);
	cr_assert_neq(ba, 0);
	struct ck_kacs_adjust_default_args a = { .owner_index = ba, .group_index = 0xFFFF };
	cr_assert_eq(ck__kacs_ioc_adjust_default(t, &a, NULL, NULL), 0);
	cr_assert_eq(t->owner_index, ba);
	cr_assert_neq(t->modified_id, mod, "every mutation bumps modified_id");
	cr_assert(t->default_dacl_holder && t->default_dacl_holder->dacl_present, "the DACL is kept");
	/* an owner without SE_GROUP_OWNER: nothing changes */
	a.owner_index = 1;
	cr_assert_eq(ck__kacs_ioc_adjust_default(t, &a, NULL, NULL), -EINVAL);
	cr_assert_eq(t->owner_index, ba);
	ck_kacs_token_free(t);
}

/* ---- kacs_get_sd / kacs_set_sd by security information ------------------- */

static struct ck_kacs_sd *sddl(const char *text)
{
	struct ck_kacs_sd *sd = NULL;
	struct ck_kacs_error e = { .size = sizeof(e) };
	cr_assert_eq(ck_kacs_sddl_parse(text, &sd, &e), 0, "%s: %s", text, e.message);
	return sd;
}

static void assert_sd_is(const struct ck_kacs_sd *sd, const char *text)
{
	struct ck_kacs_sd *want = sddl(text);
	char got[512], w[512];
	ck_kacs_sddl_format(sd, got, sizeof(got));
	ck_kacs_sddl_format(want, w, sizeof(w));
	cr_assert(ck_kacs_sd_equal(sd, want), "got %s, want %s", got, w);
	ck_kacs_sd_free(want);
}

Test(kacs_query, subsets_of_the_default_process_sd)
{
	struct ck_kacs_token *t = preset("user");
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(t, CK_KACS_V0_22), *s = NULL;
	cr_assert_not_null(sd);
	uint8_t *b;
	size_t n;

	cr_assert_eq(ck__kacs_sd_subset(sd, CK_KACS_SECINFO_OWNER, &s), 0);
	cr_assert(s->has_owner && !s->has_group && !s->dacl_present && !s->sacl_present);
	cr_assert(ck_kacs_sid_equal(&s->owner, &t->user));
	cr_assert_eq(ck_kacs_sd_to_bytes(s, &b, &n), 0);
	/* 20-byte header, owner at 20, nothing else: control SR|OD of 0x800F+SP is 0x8001 */
	cr_assert_eq(n, 20 + 28);
	cr_assert_eq(b[2] | b[3] << 8, 0x8001);
	free(b);
	ck_kacs_sd_free(s);

	cr_assert_eq(ck__kacs_sd_subset(sd, CK_KACS_SECINFO_DACL, &s), 0);
	cr_assert(!s->has_owner && s->dacl_present && s->dacl.count == 4 && !s->sacl_present);
	cr_assert_eq(s->control, CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_DACL_DEFAULTED);
	ck_kacs_sd_free(s);

	/* v0.22's label: LABEL gives exactly it */
	cr_assert_eq(ck__kacs_sd_subset(sd, CK_KACS_SECINFO_LABEL, &s), 0);
	cr_assert(s->sacl_present && s->sacl.count == 1 && s->sacl.aces[0].type == CK_KACS_ACE_MANDATORY_LABEL);
	ck_kacs_sd_free(s);
	ck_kacs_sd_free(sd);

	/* no label (v0.20): LABEL gives no SACL, only the header */
	sd = ck_kacs_process_sd_default(t, CK_KACS_V0_20);
	cr_assert_eq(ck__kacs_sd_subset(sd, CK_KACS_SECINFO_LABEL, &s), 0);
	cr_assert(!s->has_owner && !s->has_group && !s->dacl_present && !s->sacl_present);
	cr_assert_eq(ck_kacs_sd_to_bytes(s, &b, &n), 0);
	cr_assert_eq(n, 20);
	free(b);
	ck_kacs_sd_free(s);
	cr_assert_eq(ck__kacs_sd_subset(sd, 0, &s), -EINVAL);
	cr_assert_eq(ck__kacs_sd_subset(sd, CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL, &s), -EINVAL);
	cr_assert_eq(ck__kacs_sd_subset(sd, 0x20, &s), -EINVAL);
	ck_kacs_sd_free(sd);
	ck_kacs_token_free(t);
}

Test(kacs_query, merge_replaces_only_what_info_names)
{
	struct ck_kacs_token *t = preset("user");
	struct ck_kacs_sd *cur = sddl("O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;SY)");
	struct ck_kacs_sd *in = sddl("O:SYD:(A;;GA;;;SY)"), *out = NULL;
	uint64_t used = 0;

	cr_assert_eq(ck__kacs_sd_merge(cur, in, CK_KACS_SECINFO_DACL, t, &out, &used), 0);
	assert_sd_is(out, "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:(A;;GA;;;SY)");
	cr_assert_eq(used, 0);
	ck_kacs_sd_free(out);

	/* an owner that is neither the user nor an owner group: EACCES, unless SeRestore is enabled */
	cr_assert_eq(ck__kacs_sd_merge(cur, in, CK_KACS_SECINFO_OWNER, t, &out, &used), -EACCES);
	t->privileges_present |= CK_KACS_PRIV(CK_KACS_SE_RESTORE);
	cr_assert_eq(ck__kacs_sd_merge(cur, in, CK_KACS_SECINFO_OWNER, t, &out, &used), -EACCES,
		     "present but disabled does not count");
	t->privileges_enabled |= CK_KACS_PRIV(CK_KACS_SE_RESTORE);
	cr_assert_eq(ck__kacs_sd_merge(cur, in, CK_KACS_SECINFO_OWNER, t, &out, &used), 0);
	cr_assert_eq(used, CK_KACS_PRIV(CK_KACS_SE_RESTORE));
	assert_sd_is(out, "O:SYG:S-1-5-21-1-2-3-1001D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;SY)");
	ck_kacs_sd_free(out);

	/* OWNER from an input without one: EINVAL; GROUP from one without: the group goes */
	struct ck_kacs_sd *none = sddl("D:(A;;GA;;;SY)");
	cr_assert_eq(ck__kacs_sd_merge(cur, none, CK_KACS_SECINFO_OWNER, t, &out, &used), -EINVAL);
	cr_assert_eq(ck__kacs_sd_merge(cur, none, CK_KACS_SECINFO_GROUP, t, &out, &used), 0);
	cr_assert_not(out->has_group);
	ck_kacs_sd_free(out);
	cr_assert_eq(ck__kacs_sd_merge(cur, none, CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL, t, &out, &used),
		     -EINVAL);
	ck_kacs_sd_free(none);
	ck_kacs_sd_free(cur);
	ck_kacs_sd_free(in);
	ck_kacs_token_free(t);
}

Test(kacs_query, merge_labels)
{
	struct ck_kacs_token *t = preset("user"); /* Medium */
	struct ck_kacs_sd *cur = sddl("O:SYD:(A;;GA;;;SY)S:(AU;SA;GA;;;WD)(ML;;NW;;;HI)"), *out = NULL;
	struct ck_kacs_sd *low = sddl("S:(ML;;NW;;;LW)"), *high = sddl("S:(ML;;NW;;;HI)");
	struct ck_kacs_sd *two = sddl("S:(ML;;NW;;;LW)(ML;;NW;;;LW)"), *io = sddl("S:(ML;IO;NW;;;LW)");
	struct ck_kacs_sd *empty = sddl("D:(A;;GA;;;SY)");
	uint64_t used = 0;

	/* the label is replaced, the audit ACE kept */
	cr_assert_eq(ck__kacs_sd_merge(cur, low, CK_KACS_SECINFO_LABEL, t, &out, &used), 0);
	cr_assert_eq(out->sacl.count, 2);
	cr_assert_eq(out->sacl.aces[0].type, CK_KACS_ACE_MANDATORY_LABEL);
	cr_assert_eq(out->sacl.aces[0].sid.sub[0], CK_KACS_IL_LOW);
	cr_assert_eq(out->sacl.aces[1].type, CK_KACS_ACE_AUDIT);
	ck_kacs_sd_free(out);
	/* no SACL component: the explicit label goes */
	cr_assert_eq(ck__kacs_sd_merge(cur, empty, CK_KACS_SECINFO_LABEL, t, &out, &used), 0);
	cr_assert_eq(out->sacl.count, 1);
	cr_assert_eq(out->sacl.aces[0].type, CK_KACS_ACE_AUDIT);
	ck_kacs_sd_free(out);
	/* above the caller's integrity: EACCES without SeRelabel, also through a whole SACL */
	cr_assert_eq(ck__kacs_sd_merge(cur, high, CK_KACS_SECINFO_LABEL, t, &out, &used), -EACCES);
	cr_assert_eq(ck__kacs_sd_merge(cur, high, CK_KACS_SECINFO_SACL, t, &out, &used), -EACCES);
	t->privileges_present |= CK_KACS_PRIV(CK_KACS_SE_RELABEL);
	t->privileges_enabled |= CK_KACS_PRIV(CK_KACS_SE_RELABEL);
	cr_assert_eq(ck__kacs_sd_merge(cur, high, CK_KACS_SECINFO_LABEL, t, &out, &used), 0);
	cr_assert_eq(used, CK_KACS_PRIV(CK_KACS_SE_RELABEL));
	ck_kacs_sd_free(out);
	/* the label subset is exactly one non-inherit-only label */
	cr_assert_eq(ck__kacs_sd_merge(cur, two, CK_KACS_SECINFO_LABEL, t, &out, &used), -EINVAL);
	cr_assert_eq(ck__kacs_sd_merge(cur, io, CK_KACS_SECINFO_LABEL, t, &out, &used), -EINVAL);
	struct ck_kacs_sd *all[] = { cur, low, high, two, io, empty };
	for (size_t i = 0; i < 6; i++)
		ck_kacs_sd_free(all[i]);
	ck_kacs_token_free(t);
}
