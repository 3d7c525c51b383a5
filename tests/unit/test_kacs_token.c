/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens, their wire format, logon sessions and privileges (K20 4-tokens/,
 * 7-privileges/2-catalog.md, 13-appendix-a/). Each vector names the spec
 * file it comes from.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clonekit/kacs.h>

#define K20_CATALOG "K20 7-privileges/2-catalog.md"
#define K20_ABI "K20 13-appendix-a/6-abi-reference.md"
#define K20_SESSIONS "K20 4-tokens/7-sessions.md"
#define K20_BOOT "K20 13-appendix-a/5-boot.md"

static struct ck_kacs_error new_err(void)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	return e;
}

static struct ck_kacs_sid sid_of(const char *text)
{
	struct ck_kacs_sid s;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_sid_parse(text, &s, &e), 0, "%s: %s", text, e.message);
	return s;
}

/* ---- Privileges (K20 7-privileges/2-catalog.md, 6-abi-reference.md "Privilege bit positions") ---- */

static const struct {
	unsigned luid;
	const char *name;
} catalog[] = {
	{ 2, "SeCreateTokenPrivilege" }, { 3, "SeAssignPrimaryTokenPrivilege" }, { 4, "SeLockMemoryPrivilege" },
	{ 5, "SeIncreaseQuotaPrivilege" }, { 6, "SeMachineAccountPrivilege" }, { 7, "SeTcbPrivilege" },
	{ 8, "SeSecurityPrivilege" }, { 9, "SeTakeOwnershipPrivilege" }, { 10, "SeLoadDriverPrivilege" },
	{ 11, "SeSystemProfilePrivilege" }, { 12, "SeSystemtimePrivilege" },
	{ 13, "SeProfileSingleProcessPrivilege" }, { 14, "SeIncreaseBasePriorityPrivilege" },
	{ 15, "SeCreatePagefilePrivilege" }, { 16, "SeCreatePermanentPrivilege" }, { 17, "SeBackupPrivilege" },
	{ 18, "SeRestorePrivilege" }, { 19, "SeShutdownPrivilege" }, { 20, "SeDebugPrivilege" },
	{ 21, "SeAuditPrivilege" }, { 22, "SeSystemEnvironmentPrivilege" }, { 23, "SeChangeNotifyPrivilege" },
	{ 24, "SeRemoteShutdownPrivilege" }, { 25, "SeUndockPrivilege" }, { 26, "SeSyncAgentPrivilege" },
	{ 27, "SeEnableDelegationPrivilege" }, { 28, "SeManageVolumePrivilege" }, { 29, "SeImpersonatePrivilege" },
	{ 30, "SeCreateGlobalPrivilege" }, { 31, "SeTrustedCredManAccessPrivilege" }, { 32, "SeRelabelPrivilege" },
	{ 33, "SeIncreaseWorkingSetPrivilege" }, { 34, "SeTimeZonePrivilege" },
	{ 35, "SeCreateSymbolicLinkPrivilege" }, { 62, "SeCreateJobPrivilege" },
	{ 63, "SeBindPrivilegedPortPrivilege" },
};

Test(kacs_privilege, every_privilege_of_the_catalog_at_its_luid)
{
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++) {
		unsigned luid = 99;
		cr_assert_str_eq(ck_kacs_privilege_name(catalog[i].luid), catalog[i].name, K20_ABI " bit %u",
				 catalog[i].luid);
		cr_assert_eq(ck_kacs_privilege_parse(catalog[i].name, &luid), 0, "%s", catalog[i].name);
		cr_assert_eq(luid, catalog[i].luid, "%s", catalog[i].name);
		mask |= CK_KACS_PRIV(catalog[i].luid);
	}
	cr_assert_eq(mask, CK_KACS_PRIV_CATALOG, K20_CATALOG ": the catalog is LUIDs 2-35, 62, 63");
	/* nothing else has a name: 0, 1, 36..61 */
	for (unsigned luid = 0; luid < 64; luid++)
		cr_assert_eq(ck_kacs_privilege_name(luid) != NULL, (mask >> luid) & 1, "luid %u", luid);
	cr_assert_null(ck_kacs_privilege_name(64));
	cr_assert_null(ck_kacs_privilege_name(1000));
}

Test(kacs_privilege, parse_takes_any_case_short_names_and_the_luid)
{
	static const struct {
		const char *text;
		int r;
		unsigned luid;
	} v[] = {
		{ "sedebugprivilege", 0, 20 }, { "SEDEBUGPRIVILEGE", 0, 20 }, { "SeDebug", 0, 20 }, { "debug", 0, 20 },
		{ "DebugPrivilege", 0, 20 }, { "20", 0, 20 }, { "63", 0, 63 }, { "2", 0, 2 },
		{ "security", 0, 8 }, { "SeSecurity", 0, 8 }, { "ChangeNotify", 0, 23 }, { "tcb", 0, 7 },
		{ "0", -EINVAL, 0 }, { "1", -EINVAL, 0 }, { "36", -EINVAL, 0 }, { "64", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 }, { "20x", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "Se", -EINVAL, 0 },
		{ "Privilege", -EINVAL, 0 }, { "SeDebugPriv", -EINVAL, 0 }, { "SeDebugPrivilegeX", -EINVAL, 0 },
		{ "deb", -EINVAL, 0 }, { "99999999999999999999", -EINVAL, 0 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned luid = 1234;
		cr_assert_eq(ck_kacs_privilege_parse(v[i].text, &luid), v[i].r, "'%s'", v[i].text);
		if (v[i].r == 0)
			cr_assert_eq(luid, v[i].luid, "'%s'", v[i].text);
		else
			cr_assert_eq(luid, 1234, "'%s' changed the output on failure", v[i].text);
	}
	cr_assert_eq(ck_kacs_privilege_parse(NULL, NULL), -EINVAL);
}

/* ---- Logon sessions (K20 4-tokens/7-sessions.md, 13-appendix-a/5-boot.md, 6-abi-reference.md §6) ---- */

static struct ck_kacs_session_info info_of(const struct ck_kacs_sessions *s, uint64_t id)
{
	struct ck_kacs_session_info in = { .size = sizeof(in) };
	cr_assert_eq(ck_kacs_session_get(s, id, &in), 0, "session %llu", (unsigned long long)id);
	return in;
}

Test(kacs_session, the_boot_sessions_exist_and_are_never_empty)
{
	struct ck_kacs_sessions *s = ck_kacs_sessions_new();
	cr_assert_not_null(s);
	struct ck_kacs_session_info sys = info_of(s, CK_KACS_SESSION_SYSTEM);
	struct ck_kacs_sid want = sid_of("SY");
	/* K20 5-boot.md step 2: session 0, SERVICE, S-1-5-18, "Negotiate", logon SID S-1-5-5-0-0 */
	cr_assert_eq(sys.id, 0, K20_BOOT);
	cr_assert_eq(sys.logon_type, CK_KACS_LOGON_SERVICE, K20_BOOT);
	cr_assert(ck_kacs_sid_equal(&sys.user, &want), K20_BOOT);
	cr_assert_eq(sys.auth_package_len, 9);
	cr_assert_eq(memcmp(sys.auth_package, "Negotiate", 9), 0, K20_BOOT);
	want = sid_of("S-1-5-5-0-0");
	cr_assert(ck_kacs_sid_equal(&sys.logon_sid, &want), K20_BOOT ": S-1-5-5-0-0");
	/* K20 4-tokens/3-lifecycle.md: the Anonymous token's auth_id is ANONYMOUS_LOGON_LUID 998 */
	struct ck_kacs_session_info an = info_of(s, CK_KACS_SESSION_ANONYMOUS);
	want = sid_of("AN");
	cr_assert(ck_kacs_sid_equal(&an.user, &want), "K20 4-tokens/3-lifecycle.md Anonymous");
	want = sid_of("S-1-5-5-0-998");
	cr_assert(ck_kacs_sid_equal(&an.logon_sid, &want));
	/* each is held by its boot token, so the rollback refuses them */
	cr_assert_eq(ck_kacs_session_destroy_empty(s, CK_KACS_SESSION_SYSTEM), -EBUSY, K20_SESSIONS);
	cr_assert_eq(ck_kacs_session_destroy_empty(s, CK_KACS_SESSION_ANONYMOUS), -EBUSY, K20_SESSIONS);
	cr_assert_eq(ck_kacs_session_destroy_empty(s, 999), -ENOENT, K20_SESSIONS ": a nonexistent session");
	ck_kacs_sessions_free(s);
}

Test(kacs_session, dynamic_sessions_count_from_1000_and_hold_live_tokens)
{
	struct ck_kacs_sessions *s = ck_kacs_sessions_new();
	struct ck_kacs_sid user = sid_of("S-1-5-21-1-2-3-1001");
	uint64_t a = 0, b = 0, c = 0;

	cr_assert_eq(ck_kacs_session_add(s, CK_KACS_LOGON_INTERACTIVE, "Kerberos", 8, &user, &a), 0);
	cr_assert_eq(ck_kacs_session_add(s, CK_KACS_LOGON_NETWORK, "", 0, &user, &b), 0);
	cr_assert_eq(a, 1000, "design §4: dynamic sessions from 1000");
	cr_assert_eq(b, 1001);
	struct ck_kacs_session_info in = info_of(s, a);
	struct ck_kacs_sid logon = sid_of("S-1-5-5-0-1000");
	cr_assert(ck_kacs_sid_equal(&in.logon_sid, &logon), K20_ABI " \"Logon SID derivation\"");
	cr_assert_eq(in.live_tokens, 0);
	cr_assert_gt(in.created_at, 0);

	/* K20 7-sessions.md "Empty-session rollback": EBUSY with a live token, ENOENT when gone */
	cr_assert_eq(ck_kacs_session_hold(s, a), 0);
	cr_assert_eq(ck_kacs_session_hold(s, a), 0);
	cr_assert_eq(info_of(s, a).live_tokens, 2);
	cr_assert_eq(ck_kacs_session_destroy_empty(s, a), -EBUSY, K20_SESSIONS);
	cr_assert_eq(ck_kacs_session_release(s, a), 0);
	cr_assert_eq(ck_kacs_session_destroy_empty(s, a), -EBUSY, K20_SESSIONS);
	/* "Cleanup": the last token freed destroys the session */
	cr_assert_eq(ck_kacs_session_release(s, a), 0);
	struct ck_kacs_session_info gone = { .size = sizeof(gone) };
	cr_assert_eq(ck_kacs_session_get(s, a, &gone), -ENOENT, K20_SESSIONS " Cleanup");
	cr_assert_eq(ck_kacs_session_destroy_empty(s, a), -ENOENT, K20_SESSIONS);
	/* a session that never had a token is rolled back */
	cr_assert_eq(ck_kacs_session_destroy_empty(s, b), 0, K20_SESSIONS);
	cr_assert_eq(ck_kacs_session_destroy_empty(s, b), -ENOENT, K20_SESSIONS);
	/* ids are never reused */
	cr_assert_eq(ck_kacs_session_add(s, CK_KACS_LOGON_SERVICE, "x", 1, &user, &c), 0);
	cr_assert_eq(c, 1002);
	cr_assert_eq(ck_kacs_session_hold(s, 5555), -ENOENT);
	cr_assert_eq(ck_kacs_session_release(s, 5555), -ENOENT);
	cr_assert_eq(ck_kacs_session_release(s, c), -EINVAL, "a release without a hold");
	ck_kacs_sessions_free(s);
}

/* The spec bytes of a session: logon type, auth package, user SID. */
static size_t session_spec(uint8_t *buf, uint8_t type, const char *pkg, size_t pkg_len, const char *user)
{
	struct ck_kacs_sid u = sid_of(user);
	ssize_t n = ck_kacs_session_spec(type, pkg, pkg_len, &u, buf, 4096);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

Test(kacs_session, the_wire_format_round_trips)
{
	struct ck_kacs_sessions *s = ck_kacs_sessions_new();
	uint8_t buf[4096];
	uint64_t id = 0;
	struct ck_kacs_error e = new_err();

	size_t n = session_spec(buf, CK_KACS_LOGON_SERVICE, "Negotiate", 9, "S-1-5-19");
	/* K20 6-abi-reference.md §6: type, auth_pkg_len, auth_pkg, user_sid_len, user_sid */
	static const uint8_t want[] = { 5, 9, 0, 'N', 'e', 'g', 'o', 't', 'i', 'a', 't', 'e', 12, 0, 0, 0,
					1, 1, 0, 0, 0, 0, 0, 5, 19, 0, 0, 0 };
	cr_assert_eq(n, sizeof(want));
	cr_assert_eq(memcmp(buf, want, n), 0, K20_ABI " §6");
	cr_assert_eq(ck_kacs_session_create(s, buf, n, &id, &e), 0, "%s", e.message);
	struct ck_kacs_session_info in = info_of(s, id);
	struct ck_kacs_sid ls = sid_of("LS");
	cr_assert(ck_kacs_sid_equal(&in.user, &ls));
	cr_assert_eq(in.logon_type, CK_KACS_LOGON_SERVICE);
	cr_assert_eq(in.auth_package_len, 9);
	/* the smallest spec: empty auth package, SID of no sub-authority (15 bytes, §6) */
	n = session_spec(buf, CK_KACS_LOGON_BATCH, "", 0, "S-1-5");
	cr_assert_eq(n, 15, K20_ABI " §6 minimum size");
	cr_assert_eq(ck_kacs_session_create(s, buf, n, &id, &e), 0, "%s", e.message);
	/* a NUL is valid UTF-8 */
	n = session_spec(buf, CK_KACS_LOGON_NEW_CREDENTIALS, "a\0b", 3, "S-1-5-18");
	cr_assert_eq(ck_kacs_session_create(s, buf, n, &id, &e), 0, "%s", e.message);
	cr_assert_eq(info_of(s, id).auth_package_len, 3);
	cr_assert_eq(ck_kacs_session_spec(CK_KACS_LOGON_BATCH, "", 0, &ls, buf, 10), -ENOSPC);
	ck_kacs_sessions_free(s);
}

Test(kacs_session, malformed_specs_are_refused_with_the_offset)
{
	static const struct {
		const char *what;
		size_t at;
		int r;
	} expect[] = {
		{ "14 bytes (below the 15 minimum, §6)", 0, -EINVAL },
		{ "4097 bytes (above the 4096 maximum, §6)", 0, -EINVAL },
		{ "logon type 6 (not in the table, §6)", 0, -EINVAL },
		{ "logon type 0", 0, -EINVAL },
		{ "auth_pkg not UTF-8 (§6: MUST fail with EINVAL)", 3, -EINVAL },
		{ "auth_pkg_len past the end", 1, -EINVAL },
		{ "user_sid_len shorter than what follows", 12, -EINVAL },
		{ "user_sid_len 8 but a SID of 1 sub-authority", 16, -EINVAL },
		{ "SID revision 2", 16, -EINVAL },
		{ "overlong UTF-8 (0xC0 0x80)", 3, -EINVAL },
	};
	struct ck_kacs_sessions *s = ck_kacs_sessions_new();
	uint8_t good[64], b[5000];
	size_t n = session_spec(good, CK_KACS_LOGON_INTERACTIVE, "Negotiate", 9, "S-1-5-18");

	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		size_t len = n;
		memcpy(b, good, n);
		switch (i) {
		case 0:
			len = 14;
			break;
		case 1:
			memset(b, 0, sizeof(b));
			memcpy(b, good, n);
			len = 4097;
			break;
		case 2:
			b[0] = 6;
			break;
		case 3:
			b[0] = 0;
			break;
		case 4:
			b[3] = 0xff;
			break;
		case 5:
			b[1] = 200;
			break;
		case 6:
			b[12] = 11;
			break;
		case 7:
			/* a 16-byte SID region declared as 8 */
			b[12] = 8;
			len = 12 + 4 + 8;
			break;
		case 8:
			b[16] = 2;
			break;
		case 9:
			b[3] = 0xc0;
			b[4] = 0x80;
			break;
		}
		struct ck_kacs_error e = new_err();
		uint64_t id = 77;
		cr_assert_eq(ck_kacs_session_create(s, b, len, &id, &e), expect[i].r, "%s: %s", expect[i].what, e.message);
		cr_assert_eq(e.offset, expect[i].at, "%s: offset %zu (%s)", expect[i].what, e.offset, e.message);
		cr_assert_eq(id, 77, "%s: an id was given", expect[i].what);
	}
	/* nothing was added */
	struct ck_kacs_session_info in = { .size = sizeof(in) };
	cr_assert_eq(ck_kacs_session_get(s, 1000, &in), -ENOENT);
	ck_kacs_sessions_free(s);
}

/* ---- Tokens (K20 4-tokens/) ---- */

#define K20_STRUCTURE "K20 4-tokens/2-structure.md"
#define K20_LIFECYCLE "K20 4-tokens/3-lifecycle.md"
#define K20_CREATION "K20 4-tokens/4-creation.md"
#define K20_ADJUST "K20 4-tokens/5-adjustment.md"
#define K20_RIGHTS "K20 4-tokens/8-access-rights.md"
#define K20_IOCTLS "K20 13-appendix-a/2-ioctls.md"

static struct ck_kacs_token *preset(const char *name, enum ck_kacs_profile p, uint64_t *next_id)
{
	struct ck_kacs_token *t = NULL;
	cr_assert_eq(ck_kacs_token_preset(name, p, next_id, &t), 0, "preset %s", name);
	cr_assert_not_null(t);
	return t;
}

/* An ACE of an ACL, checked whole. */
static void assert_ace(const struct ck_kacs_acl *acl, unsigned i, uint8_t type, uint32_t mask, const char *sid,
		       const char *why)
{
	struct ck_kacs_sid want = sid_of(sid);
	cr_assert_lt(i, acl->count, "%s: ACE %u missing", why, i);
	cr_assert_eq(acl->aces[i].type, type, "%s: ACE %u type", why, i);
	cr_assert_eq(acl->aces[i].flags, 0, "%s: ACE %u flags", why, i);
	cr_assert_eq(acl->aces[i].mask, mask, "%s: ACE %u mask %#x, want %#x", why, i, acl->aces[i].mask, mask);
	cr_assert(ck_kacs_sid_equal(&acl->aces[i].sid, &want), "%s: ACE %u SID, want %s", why, i, sid);
	cr_assert_eq(acl->aces[i].size, 8 + ck_kacs_sid_size(&want), "%s: ACE %u AceSize", why, i);
}

static void assert_group(const struct ck_kacs_token *t, unsigned i, const char *sid, uint32_t attrs, const char *why)
{
	struct ck_kacs_sid want = sid_of(sid);
	cr_assert_lt(i, t->group_count, "%s: group %u missing", why, i);
	cr_assert(ck_kacs_sid_equal(&t->groups[i].sid, &want), "%s: group %u is not %s", why, i, sid);
	cr_assert_eq(t->groups[i].attributes, attrs, "%s: group %u (%s) attributes %#x, want %#x", why, i, sid,
		     t->groups[i].attributes, attrs);
}

Test(kacs_token, the_system_preset_is_the_boot_system_token)
{
	struct ck_kacs_token *t = preset("system", CK_KACS_V0_20, NULL);
	struct ck_kacs_sid sy = sid_of("SY");

	/* K20 13-appendix-a/5-boot.md step 3, field by field */
	cr_assert(ck_kacs_sid_equal(&t->user, &sy), K20_BOOT ": user S-1-5-18");
	cr_assert_eq(t->group_count, 5, K20_BOOT ": four groups and the logon SID");
	assert_group(t, 0, "S-1-5-32-544", 0xF, K20_BOOT " Administrators: MANDATORY|ENABLED_BY_DEFAULT|ENABLED|OWNER");
	assert_group(t, 1, "S-1-1-0", 0x7, K20_BOOT " Everyone");
	assert_group(t, 2, "S-1-5-11", 0x7, K20_BOOT " Authenticated Users");
	assert_group(t, 3, "S-1-2-0", 0x7, K20_BOOT " Local");
	assert_group(t, 4, "S-1-5-5-0-0", 0xC0000007u, K20_BOOT " the logon SID");
	cr_assert_eq(t->privileges_present, CK_KACS_PRIV_CATALOG, K20_BOOT ": every privilege of the catalog");
	cr_assert_eq(t->privileges_enabled, CK_KACS_PRIV_CATALOG, K20_BOOT ": all enabled");
	cr_assert_eq(t->privileges_enabled_by_default, CK_KACS_PRIV_CATALOG);
	cr_assert_eq(t->privileges_used, 0);
	cr_assert_eq(t->integrity_rid, CK_KACS_IL_SYSTEM, K20_BOOT);
	cr_assert_eq(t->type, CK_KACS_TOKEN_PRIMARY, K20_BOOT);
	cr_assert_eq(t->impersonation_level, CK_KACS_ANONYMOUS, K20_BOOT);
	cr_assert_eq(t->auth_id, 0, K20_BOOT ": session 0");
	cr_assert_eq(memcmp(t->source_name, "PeiosKrn", 8), 0, K20_BOOT);
	cr_assert_eq(t->source_luid, 0);
	cr_assert_eq(t->projected_uid, 0, K20_BOOT);
	cr_assert_eq(t->projected_gid, 0, K20_BOOT);
	cr_assert_eq(t->elevation_type, CK_KACS_ELEVATION_DEFAULT, K20_BOOT);
	cr_assert_eq(t->token_id, 0, K20_BOOT ": token_id 0");
	cr_assert_eq(t->modified_id, 0, K20_BOOT ": modified_id 0");
	cr_assert_eq(t->owner_index, 0, K20_BOOT ": owner the user SID");
	cr_assert_eq(t->primary_group_index, 1, K20_BOOT ": primary group Administrators");
	cr_assert(!t->restricted && !t->write_restricted && !t->user_deny_only, K20_BOOT);
	cr_assert_eq(t->interactive_session_id, 0);
	cr_assert_eq(t->expiration, 0);
	cr_assert_eq(t->audit_policy, 0);
	/* clonekit's choice (ck_kacs_token_preset(3)): NO_WRITE_UP alone, where the boot token also has NEW_PROCESS_MIN */
	cr_assert_eq(t->mandatory_policy, CK_KACS_POLICY_NO_WRITE_UP);
	/* the default DACL's exact bytes are in 5-boot.md */
	static const uint8_t dacl[] = { 0x02, 0x00, 0x34, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
					0x00, 0x00, 0x10, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00,
					0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x02, 0x00,
					0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00 };
	cr_assert_not_null(t->default_dacl_holder);
	uint8_t got[64];
	cr_assert_eq(ck_kacs_acl_write(&t->default_dacl_holder->dacl, false, got, sizeof(got)), (ssize_t)sizeof(dacl));
	cr_assert_eq(memcmp(got, dacl, sizeof(dacl)), 0, K20_BOOT ": the default DACL bytes");
	/* the explicit bootstrap SD: owner SYSTEM; SY self-access, SY all, BA all */
	const struct ck_kacs_sd *sd = t->sd;
	cr_assert_not_null(sd);
	cr_assert(sd->has_owner && ck_kacs_sid_equal(&sd->owner, &sy), K20_BOOT ": owner SYSTEM");
	cr_assert_eq(sd->dacl.count, 3, K20_BOOT);
	assert_ace(&sd->dacl, 0, CK_KACS_ACE_ALLOW, 0xE8, "SY", K20_BOOT " SD");
	assert_ace(&sd->dacl, 1, CK_KACS_ACE_ALLOW, CK_KACS_TOKEN_ALL_ACCESS, "SY", K20_BOOT " SD");
	assert_ace(&sd->dacl, 2, CK_KACS_ACE_ALLOW, CK_KACS_TOKEN_ALL_ACCESS, "BA", K20_BOOT " SD");
	ck_kacs_token_free(t);
}

Test(kacs_token, the_user_presets)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	static const struct {
		const char *name;
		uint32_t il;
		bool admin;
	} v[] = { { "user", CK_KACS_IL_MEDIUM, false }, { "low", CK_KACS_IL_LOW, false }, { "admin", CK_KACS_IL_HIGH, true } };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ck_kacs_token *t = preset(v[i].name, CK_KACS_V0_20, &next);
		struct ck_kacs_sid user = sid_of("S-1-5-21-1-2-3-1001");
		const char *n = v[i].name;
		cr_assert(ck_kacs_sid_equal(&t->user, &user), "design §12 %s", n);
		assert_group(t, 0, "WD", 0x7, n);
		assert_group(t, 1, "AU", 0x7, n);
		assert_group(t, 2, "BU", 0x7, n);
		if (v[i].admin)
			assert_group(t, 3, "BA", 0xF, "design §12 admin: user plus BA");
		assert_group(t, v[i].admin ? 4 : 3, "S-1-5-5-0-1000", 0xC0000007u, K20_CREATION ": the logon SID, last");
		cr_assert_eq(t->group_count, v[i].admin ? 5u : 4u, "%s", n);
		uint64_t privs = CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY) | CK_KACS_PRIV(35);
		cr_assert_eq(t->privileges_present, privs, K20_CATALOG " default-grant privileges (%s)", n);
		cr_assert_eq(t->privileges_enabled, privs, "%s", n);
		cr_assert_eq(t->privileges_enabled_by_default, privs, "%s", n);
		cr_assert_eq(t->integrity_rid, v[i].il, "%s", n);
		cr_assert_eq(t->mandatory_policy, CK_KACS_POLICY_NO_WRITE_UP, "%s", n);
		cr_assert_eq(t->auth_id, CK_KACS_SESSION_FIRST_DYNAMIC, "%s", n);
		cr_assert_eq(t->token_id, CK_KACS_TOKEN_ID_FIRST + i, "%s: ids from the counter", n);
		cr_assert_eq(t->modified_id, t->token_id, K20_CREATION ": modified_id = token_id (%s)", n);
		cr_assert_eq(t->projected_uid, 65534, K20_STRUCTURE ": 65534 if unmapped");
		/* the default token SD with SYSTEM as creator (K20 4-tokens/8-access-rights.md) */
		struct ck_kacs_sid sy = sid_of("SY");
		cr_assert(t->sd->has_owner && ck_kacs_sid_equal(&t->sd->owner, &sy), K20_RIGHTS ": owner the creator");
		assert_ace(&t->sd->dacl, 0, CK_KACS_ACE_ALLOW, 0xE8, "S-1-5-21-1-2-3-1001", K20_RIGHTS " self");
		assert_ace(&t->sd->dacl, 1, CK_KACS_ACE_ALLOW, 0xF01FF, "SY", K20_RIGHTS " creator");
		assert_ace(&t->sd->dacl, 2, CK_KACS_ACE_ALLOW, 0xF01FF, "SY", K20_RIGHTS " SYSTEM");
		ck_kacs_token_free(t);
	}
	cr_assert_eq(next, CK_KACS_TOKEN_ID_FIRST + 3);
	struct ck_kacs_token *t = (struct ck_kacs_token *)1;
	cr_assert_eq(ck_kacs_token_preset("root", CK_KACS_V0_20, NULL, &t), -EINVAL);
	cr_assert_null(t);
	cr_assert_str_eq(ck_kacs_token_preset_name(0), "system");
	cr_assert_null(ck_kacs_token_preset_name(4));
}

Test(kacs_token, the_default_token_sd)
{
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, NULL);
	struct ck_kacs_sid creator = sid_of("S-1-5-21-9-9-9-500");

	/* K20 4-tokens/8-access-rights.md: owner the creator; user QUERY|ADJUST_*, creator ALL, SYSTEM ALL */
	struct ck_kacs_sd *sd = ck_kacs_token_sd_default(t, &creator);
	cr_assert_not_null(sd);
	cr_assert(sd->has_owner && ck_kacs_sid_equal(&sd->owner, &creator), K20_RIGHTS);
	cr_assert(sd->dacl_present);
	cr_assert_eq(sd->dacl.count, 3);
	assert_ace(&sd->dacl, 0, CK_KACS_ACE_ALLOW,
		   CK_KACS_TOKEN_QUERY | CK_KACS_TOKEN_ADJUST_PRIVILEGES | CK_KACS_TOKEN_ADJUST_GROUPS |
			   CK_KACS_TOKEN_ADJUST_DEFAULT,
		   "S-1-5-21-1-2-3-1001", K20_RIGHTS " the token's user");
	assert_ace(&sd->dacl, 1, CK_KACS_ACE_ALLOW, CK_KACS_TOKEN_ALL_ACCESS, "S-1-5-21-9-9-9-500", K20_RIGHTS " creator");
	assert_ace(&sd->dacl, 2, CK_KACS_ACE_ALLOW, CK_KACS_TOKEN_ALL_ACCESS, "SY", K20_RIGHTS " SYSTEM");
	/* it is an SD sd.c writes and reads back */
	uint8_t *b;
	size_t n;
	cr_assert_eq(ck_kacs_sd_to_bytes(sd, &b, &n), 0);
	struct ck_kacs_sd *back;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_sd_parse(b, n, &back, &e), 0, "%s", e.message);
	cr_assert(ck_kacs_sd_equal(sd, back));
	free(b);
	ck_kacs_sd_free(back);
	ck_kacs_sd_free(sd);

	/* the creator is the user: no creator ACE, and an OWNER RIGHTS ACE keeping READ_CONTROL only */
	sd = ck_kacs_token_sd_default(t, &t->user);
	cr_assert_eq(sd->dacl.count, 3, K20_RIGHTS " same-SID creator");
	assert_ace(&sd->dacl, 0, CK_KACS_ACE_ALLOW, CK_KACS_READ_CONTROL, "OW", K20_RIGHTS " OWNER RIGHTS");
	assert_ace(&sd->dacl, 1, CK_KACS_ACE_ALLOW, 0xE8, "S-1-5-21-1-2-3-1001", K20_RIGHTS);
	assert_ace(&sd->dacl, 2, CK_KACS_ACE_ALLOW, CK_KACS_TOKEN_ALL_ACCESS, "SY", K20_RIGHTS);
	for (unsigned i = 0; i < sd->dacl.count; i++)
		cr_assert(!(sd->dacl.aces[i].flags & CK_KACS_ACE_INHERIT_ONLY), K20_RIGHTS ": non-inherit-only");
	ck_kacs_sd_free(sd);
	cr_assert_null(ck_kacs_token_sd_default(t, NULL));
	ck_kacs_token_free(t);
}

Test(kacs_token, fork_copy_is_deep_with_a_new_id)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, &next);
	struct ck_kacs_priv_entry off = { CK_KACS_SE_CHANGE_NOTIFY, 0 };

	ck_kacs_token_mark_used(t, CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY));
	struct ck_kacs_token *c = ck_kacs_token_copy(t, CK_KACS_V0_20, &next);
	cr_assert_not_null(c);
	/* design §10.1 (PKM deep_copy): a new token_id from the counter, modified_id = token_id */
	cr_assert_eq(c->token_id, CK_KACS_TOKEN_ID_FIRST + 1);
	cr_assert_eq(c->modified_id, c->token_id);
	cr_assert_eq(next, CK_KACS_TOKEN_ID_FIRST + 2);
	cr_assert_eq(c->privileges_used, CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY), "used bits are copied");
	cr_assert_eq(c->created_at, t->created_at);
	cr_assert(ck_kacs_sd_equal(c->sd, t->sd), "the token SD is copied");
	cr_assert(c->sd != t->sd && c->default_dacl_holder != t->default_dacl_holder, "deep");
	cr_assert_eq(memcmp(c->groups, t->groups, sizeof(t->groups)), 0);
	/* K20 4-tokens/3-lifecycle.md: mutations after fork are invisible across the boundary */
	cr_assert_eq(ck_kacs_token_adjust_privileges(c, &off, 1, NULL, NULL), 0);
	cr_assert_eq(t->privileges_enabled & CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY), CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY),
		     K20_LIFECYCLE);
	ck_kacs_token_free(c);

	/* K22: a fresh GUID (UUIDv4) and modified_id 0 */
	struct ck_kacs_token *c1 = ck_kacs_token_copy(t, CK_KACS_V0_22, &next);
	struct ck_kacs_token *c2 = ck_kacs_token_copy(t, CK_KACS_V0_22, &next);
	cr_assert_eq(c1->modified_id, 0, "K22 4-tokens/2-structure.md");
	cr_assert_eq(c1->token_guid[6] >> 4, 4, "UUID version 4");
	cr_assert_eq(c1->token_guid[8] >> 6, 2, "RFC 4122 variant");
	cr_assert_neq(memcmp(c1->token_guid, c2->token_guid, 16), 0, "each copy has its own GUID");
	ck_kacs_token_free(c1);
	ck_kacs_token_free(c2);
	errno = 0;
	cr_assert_null(ck_kacs_token_copy(t, CK_KACS_V0_20, NULL));
	cr_assert_eq(errno, EINVAL);
	ck_kacs_token_free(t);
}

Test(kacs_token, new_process_min_only_lowers)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	struct ck_kacs_token *t = preset("admin", CK_KACS_V0_20, &next), *out = NULL;

	/* the preset has no NEW_PROCESS_MIN: nothing happens */
	cr_assert_eq(ck_kacs_token_new_process_min(t, CK_KACS_IL_MEDIUM, CK_KACS_V0_20, &next, &out), 0);
	cr_assert_null(out, K20_LIFECYCLE ": without the flag the token survives exec");
	t->mandatory_policy |= CK_KACS_POLICY_NEW_PROCESS_MIN;
	/* a file at or above the token's level: no action */
	cr_assert_eq(ck_kacs_token_new_process_min(t, CK_KACS_IL_HIGH, CK_KACS_V0_20, &next, &out), 0);
	cr_assert_null(out, K20_LIFECYCLE " step 3");
	cr_assert_eq(ck_kacs_token_new_process_min(t, CK_KACS_IL_SYSTEM, CK_KACS_V0_20, &next, &out), 0);
	cr_assert_null(out, K20_LIFECYCLE ": it never raises");
	/* below: a DuplicateToken-like copy at the file's level */
	t->elevation_type = 2;
	cr_assert_eq(ck_kacs_token_new_process_min(t, CK_KACS_IL_MEDIUM, CK_KACS_V0_20, &next, &out), 0);
	cr_assert_not_null(out, K20_LIFECYCLE " step 2");
	cr_assert_eq(out->integrity_rid, CK_KACS_IL_MEDIUM);
	cr_assert_eq(out->token_id, next - 1);
	cr_assert_neq(out->token_id, t->token_id);
	cr_assert_eq(out->modified_id, out->token_id, K20_LIFECYCLE);
	cr_assert_eq(out->elevation_type, CK_KACS_ELEVATION_DEFAULT, K20_LIFECYCLE);
	cr_assert_eq(out->created_at, t->created_at, K20_STRUCTURE ": created_at copied");
	cr_assert_eq(out->group_count, t->group_count);
	ck_kacs_token_free(out);
	t->type = CK_KACS_TOKEN_IMPERSONATION;
	cr_assert_eq(ck_kacs_token_new_process_min(t, CK_KACS_IL_LOW, CK_KACS_V0_20, &next, &out), -EINVAL);
	ck_kacs_token_free(t);
}

/* ---- DuplicateToken (K20 4-tokens/4-creation.md, 2-ioctls.md KACS_IOC_DUPLICATE) ---- */

Test(kacs_token, duplicate_changes_type_and_level_as_the_spec_allows)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, &next), *imp = NULL, *d = NULL;
	struct ck_kacs_sid creator = sid_of("S-1-5-21-1-2-3-1002");
	struct ck_kacs_error e = new_err();

	t->elevation_type = 3;
	ck_kacs_token_mark_used(t, CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY));
	/* a Primary source may go to any impersonation level */
	for (unsigned level = CK_KACS_ANONYMOUS; level <= CK_KACS_DELEGATION; level++) {
		cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_IMPERSONATION, level, &creator, CK_KACS_V0_20, &next,
						     &d, &e), 0, "level %u: %s", level, e.message);
		cr_assert_eq(d->type, CK_KACS_TOKEN_IMPERSONATION);
		cr_assert_eq(d->impersonation_level, level, K20_CREATION ": a Primary source, any level");
		ck_kacs_token_free(d);
	}
	cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_IMPERSONATION, CK_KACS_IDENTIFICATION, &creator,
					     CK_KACS_V0_20, &next, &imp, &e), 0);
	/* fields of the new token */
	cr_assert_eq(imp->token_id, next - 1, K20_CREATION ": new token_id");
	cr_assert_eq(imp->modified_id, imp->token_id, K20_CREATION);
	cr_assert_eq(imp->elevation_type, CK_KACS_ELEVATION_DEFAULT, K20_CREATION ": elevation reset");
	cr_assert_eq(imp->privileges_used, t->privileges_used, K20_CREATION ": used copied");
	cr_assert_eq(imp->created_at, t->created_at, K20_CREATION);
	cr_assert_eq(imp->auth_id, t->auth_id);
	cr_assert_eq(memcmp(imp->groups, t->groups, sizeof(t->groups)), 0, K20_CREATION ": groups copied");
	cr_assert(ck_kacs_sd_equal(imp->default_dacl_holder, t->default_dacl_holder), K20_CREATION);
	/* a fresh default SD whose creator is the caller */
	cr_assert(ck_kacs_sid_equal(&imp->sd->owner, &creator), K20_CREATION ": new default SD");
	assert_ace(&imp->sd->dacl, 1, CK_KACS_ACE_ALLOW, CK_KACS_TOKEN_ALL_ACCESS, "S-1-5-21-1-2-3-1002", K20_CREATION);

	/* an Identification impersonation token cannot be raised (escalation forbidden) */
	uint64_t before = next;
	for (unsigned level = CK_KACS_IMPERSONATION; level <= CK_KACS_DELEGATION; level++) {
		d = (struct ck_kacs_token *)1;
		e = new_err();
		cr_assert_eq(ck_kacs_token_duplicate(imp, CK_KACS_TOKEN_IMPERSONATION, level, &creator, CK_KACS_V0_20, &next,
						     &d, &e), -EINVAL, K20_CREATION ": escalation to %u", level);
		cr_assert_null(d);
		cr_assert(strstr(e.message, "cannot raise"), "%s", e.message);
	}
	cr_assert_eq(next, before, "no id was spent on a refusal");
	cr_assert_eq(ck_kacs_token_duplicate(imp, CK_KACS_TOKEN_IMPERSONATION, CK_KACS_ANONYMOUS, &creator, CK_KACS_V0_20,
					     &next, &d, NULL), 0, K20_CREATION ": lowering is allowed");
	ck_kacs_token_free(d);
	/* to Primary: Anonymous, whatever level was asked (2-ioctls.md) */
	cr_assert_eq(ck_kacs_token_duplicate(imp, CK_KACS_TOKEN_PRIMARY, CK_KACS_DELEGATION, &creator, CK_KACS_V0_20,
					     &next, &d, NULL), 0);
	cr_assert_eq(d->type, CK_KACS_TOKEN_PRIMARY);
	cr_assert_eq(d->impersonation_level, CK_KACS_ANONYMOUS, K20_CREATION ": Primary duplicates use Anonymous");
	ck_kacs_token_free(d);
	/* values the ABI does not define */
	cr_assert_eq(ck_kacs_token_duplicate(t, (enum ck_kacs_token_type)3, 0, &creator, CK_KACS_V0_20, &next, &d, &e),
		     -EINVAL, K20_ABI " kacs_duplicate_args token_type");
	cr_assert_eq(ck_kacs_token_duplicate(t, (enum ck_kacs_token_type)0, 0, &creator, CK_KACS_V0_20, &next, &d, &e),
		     -EINVAL);
	cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_IMPERSONATION, (enum ck_kacs_imp_level)4, &creator,
					     CK_KACS_V0_20, &next, &d, &e), -EINVAL, K20_ABI " levels 0-3");
	cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_PRIMARY, (enum ck_kacs_imp_level)4, &creator,
					     CK_KACS_V0_20, &next, &d, &e), -EINVAL, "a bad level even for Primary (PKM)");
	ck_kacs_token_free(imp);
	ck_kacs_token_free(t);
}

Test(kacs_token, duplicate_to_anonymous_under_v0_22_strips_the_identity)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	struct ck_kacs_token *t = preset("admin", CK_KACS_V0_22, &next), *d;
	struct ck_kacs_sid sy = sid_of("SY"), an = sid_of("AN");

	cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_IMPERSONATION, CK_KACS_ANONYMOUS, &sy, CK_KACS_V0_22, &next,
					     &d, NULL), 0);
	/* K22 9-impersonation/3-lifecycle.md "Anonymous semantics" */
	cr_assert(ck_kacs_sid_equal(&d->user, &an), "K22: user S-1-5-7");
	cr_assert_eq(d->group_count, 0, "K22: no groups (Everyone excluded by default)");
	cr_assert_eq(d->privileges_present, 0, "K22: no privileges");
	cr_assert_eq(d->integrity_rid, CK_KACS_IL_UNTRUSTED, "K22: Untrusted");
	cr_assert_eq(d->auth_id, CK_KACS_SESSION_ANONYMOUS);
	cr_assert_eq(d->modified_id, 0, "K22: modified_id 0");
	cr_assert(ck_kacs_sid_equal(&d->sd->dacl.aces[0].sid, &an), "the SD's self ACE names the new user");
	ck_kacs_token_free(d);
	/* under v0.20 the level is only a level */
	cr_assert_eq(ck_kacs_token_duplicate(t, CK_KACS_TOKEN_IMPERSONATION, CK_KACS_ANONYMOUS, &sy, CK_KACS_V0_20, &next,
					     &d, NULL), 0);
	cr_assert(ck_kacs_sid_equal(&d->user, &t->user));
	cr_assert_eq(d->group_count, t->group_count);
	ck_kacs_token_free(d);
	ck_kacs_token_free(t);
}

/* ---- FilterToken (K20 4-tokens/4-creation.md, 2-ioctls.md KACS_IOC_RESTRICT) ---- */

/* The payload: deny indices, then the SIDs packed. */
static size_t restrict_payload(uint8_t *buf, const uint32_t *deny, size_t nd, const char *const *sids, size_t ns)
{
	size_t at = 0;
	for (size_t i = 0; i < nd; i++, at += 4)
		memcpy(buf + at, &deny[i], 4);
	for (size_t i = 0; i < ns; i++) {
		struct ck_kacs_sid s = sid_of(sids[i]);
		at += (size_t)ck_kacs_sid_write(&s, buf + at, 100);
	}
	return at;
}

Test(kacs_token, restrict_makes_a_filtered_copy)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	struct ck_kacs_token *t = preset("admin", CK_KACS_V0_20, &next), *r = NULL;
	struct ck_kacs_sid sy = sid_of("SY");
	uint8_t data[256];
	uint32_t deny[] = { 3 }; /* BA */
	const char *const rs[] = { "WD", "S-1-5-21-1-2-3-1001" };
	struct ck_kacs_error e = new_err();

	t->privileges_present |= CK_KACS_PRIV(CK_KACS_SE_DEBUG);
	ck_kacs_token_mark_used(t, CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY));
	t->elevation_type = 2;
	struct ck_kacs_restrict_args a = {
		.privs_to_delete = CK_KACS_PRIV(CK_KACS_SE_DEBUG) | CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY),
		.num_deny_indices = 1,
		.num_restrict_sids = 2,
		.data = data,
		.data_len = restrict_payload(data, deny, 1, rs, 2),
	};
	cr_assert_eq(ck_kacs_token_restrict(t, &a, &sy, CK_KACS_V0_20, &next, &r, &e), 0, "%s", e.message);
	/* K20 4-creation.md FilterToken fields */
	cr_assert_eq(r->groups[3].attributes, 0xF | CK_KACS_GROUP_USE_FOR_DENY_ONLY, K20_CREATION ": deny-only");
	cr_assert_eq(r->group_count, t->group_count, K20_CREATION ": no SIDs added or removed");
	cr_assert_eq(r->privileges_present, CK_KACS_PRIV(35), K20_CREATION ": removed from present");
	cr_assert_eq(r->privileges_enabled, CK_KACS_PRIV(35), K20_CREATION ": and enabled");
	cr_assert_eq(r->privileges_enabled_by_default, CK_KACS_PRIV(35), K20_CREATION ": and by default");
	cr_assert_eq(r->privileges_used, 0, K20_CREATION ": used reset to 0");
	cr_assert(r->restricted);
	cr_assert_eq(r->restricted_count, 2);
	struct ck_kacs_sid wd = sid_of("WD");
	cr_assert(ck_kacs_sid_equal(&r->restricted_sids[0].sid, &wd));
	cr_assert_eq(r->restricted_sids[0].attributes, CK_KACS_GROUP_ENABLED);
	cr_assert(!r->write_restricted && !r->user_deny_only, K20_CREATION ": user_deny_only false otherwise");
	cr_assert_eq(r->elevation_type, CK_KACS_ELEVATION_DEFAULT, K20_CREATION);
	cr_assert_eq(r->token_id, next - 1);
	cr_assert_eq(r->modified_id, r->token_id);
	cr_assert(ck_kacs_sid_equal(&r->sd->owner, &sy), K20_CREATION ": new default SD");
	cr_assert_eq(t->groups[3].attributes, 0xF, "the original is untouched");

	/* restricting a restricted token: the intersection; write_restricted sticky and user_deny_only with it */
	const char *const rs2[] = { "S-1-5-21-1-2-3-1001", "BU" };
	struct ck_kacs_restrict_args a2 = { .num_restrict_sids = 2, .flags = CK_KACS_RESTRICT_WRITE_RESTRICTED,
					    .data = data, .data_len = restrict_payload(data, NULL, 0, rs2, 2) };
	struct ck_kacs_token *r2 = NULL, *r3 = NULL;
	cr_assert_eq(ck_kacs_token_restrict(r, &a2, &sy, CK_KACS_V0_20, &next, &r2, &e), 0, "%s", e.message);
	cr_assert_eq(r2->restricted_count, 1, K20_CREATION ": the intersection");
	cr_assert(ck_kacs_sid_equal(&r2->restricted_sids[0].sid, &t->user));
	cr_assert(r2->write_restricted, K20_CREATION);
	cr_assert(r2->user_deny_only, K20_STRUCTURE ": user_deny_only MUST be true when write_restricted");
	struct ck_kacs_restrict_args a3 = { .num_restrict_sids = 1, .data = data,
					    .data_len = restrict_payload(data, NULL, 0, rs2, 1) };
	cr_assert_eq(ck_kacs_token_restrict(r2, &a3, &sy, CK_KACS_V0_20, &next, &r3, &e), 0);
	cr_assert(r3->write_restricted && r3->user_deny_only, K20_CREATION ": write_restricted is sticky");
	ck_kacs_token_free(r3);
	/* an empty intersection is invalid */
	const char *const rs3[] = { "BA" };
	struct ck_kacs_restrict_args a4 = { .num_restrict_sids = 1, .data = data,
					    .data_len = restrict_payload(data, NULL, 0, rs3, 1) };
	r3 = (struct ck_kacs_token *)1;
	cr_assert_eq(ck_kacs_token_restrict(r2, &a4, &sy, CK_KACS_V0_20, &next, &r3, &e), -EINVAL,
		     K20_CREATION ": an empty intersection");
	cr_assert_null(r3);
	/* an unrestricted token with no restricting SIDs stays unrestricted */
	struct ck_kacs_restrict_args a5 = { .privs_to_delete = 0 };
	cr_assert_eq(ck_kacs_token_restrict(t, &a5, &sy, CK_KACS_V0_20, &next, &r3, &e), 0);
	cr_assert(!r3->restricted);
	ck_kacs_token_free(r3);
	/* K22: user_deny_only is copied when not write-restricted */
	t->user_deny_only = true;
	cr_assert_eq(ck_kacs_token_restrict(t, &a5, &sy, CK_KACS_V0_22, &next, &r3, &e), 0);
	cr_assert(r3->user_deny_only, "K22 4-tokens/4-creation.md: otherwise copied from source");
	ck_kacs_token_free(r3);
	cr_assert_eq(ck_kacs_token_restrict(t, &a5, &sy, CK_KACS_V0_20, &next, &r3, &e), 0);
	cr_assert(!r3->user_deny_only, K20_CREATION ": false otherwise");
	ck_kacs_token_free(r3);
	ck_kacs_token_free(r2);
	ck_kacs_token_free(r);
	ck_kacs_token_free(t);
}

Test(kacs_token, restrict_validates_everything_before_making_anything)
{
	uint64_t next = CK_KACS_TOKEN_ID_FIRST;
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, &next);
	struct ck_kacs_sid sy = sid_of("SY");
	uint8_t data[8192];
	const char *const wd[] = { "WD" };
	static const struct {
		const char *what;
		uint32_t deny[4];
		uint32_t nd, ns, flags;
		int extra; /* bytes added (+) or cut (-) at the end */
		size_t at;
	} v[] = {
		{ "an index past the groups", { 4 }, 1, 0, 0, 0, 0 },
		{ "an index given twice", { 1, 2, 1 }, 3, 0, 0, 0, 8 },
		{ "a trailing byte after the SIDs", { 0 }, 1, 1, 0, 1, 16 },
		{ "a truncated SID", { 0 }, 1, 1, 0, -1, 4 },
		{ "fewer bytes than the indices", { 0, 1 }, 2, 0, 0, -5, 0 },
		{ "a reserved flag", { 0 }, 1, 0, 0x2, 0, 2 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = restrict_payload(data, v[i].deny, v[i].nd, wd, v[i].ns);
		len = (size_t)((long)len + v[i].extra);
		struct ck_kacs_restrict_args a = { .num_deny_indices = v[i].nd, .num_restrict_sids = v[i].ns,
						   .flags = v[i].flags, .data = data, .data_len = len };
		struct ck_kacs_token *r = (struct ck_kacs_token *)1;
		struct ck_kacs_error e = new_err();
		uint64_t before = next;
		cr_assert_eq(ck_kacs_token_restrict(t, &a, &sy, CK_KACS_V0_20, &next, &r, &e), -EINVAL,
			     K20_IOCTLS " KACS_IOC_RESTRICT: %s", v[i].what);
		cr_assert_null(r, "%s: no result token", v[i].what);
		cr_assert_eq(e.offset, v[i].at, "%s: %s", v[i].what, e.message);
		cr_assert_eq(next, before);
	}
	/* 65 restricting SIDs: more than a token holds here */
	const char *many[65];
	for (int i = 0; i < 65; i++)
		many[i] = "WD";
	struct ck_kacs_restrict_args a = { .num_restrict_sids = 65, .data = data,
					   .data_len = restrict_payload(data, NULL, 0, many, 65) };
	struct ck_kacs_token *r;
	cr_assert_eq(ck_kacs_token_restrict(t, &a, &sy, CK_KACS_V0_20, &next, &r, NULL), -EINVAL);
	a.num_restrict_sids = 64;
	a.data_len = restrict_payload(data, NULL, 0, many, 64);
	cr_assert_eq(ck_kacs_token_restrict(t, &a, &sy, CK_KACS_V0_20, &next, &r, NULL), 0);
	cr_assert_eq(r->restricted_count, 64);
	ck_kacs_token_free(r);
	ck_kacs_token_free(t);
}

/* ---- The adjustments: all or nothing (K20 4-tokens/5-adjustment.md, 2-ioctls.md) ---- */

/* The token's bytes before a refused call, to prove it unchanged. */
struct snap {
	struct ck_kacs_token t;
};
static struct snap snap_of(const struct ck_kacs_token *t)
{
	struct snap s;
	memcpy(&s.t, t, sizeof(*t));
	return s;
}
static void assert_unchanged(const struct snap *s, const struct ck_kacs_token *t, const char *what)
{
	cr_assert_eq(memcmp(&s->t, t, sizeof(*t)), 0, "%s: a refused batch changed the token", what);
}

Test(kacs_token, adjust_privileges_applies_all_or_nothing)
{
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, NULL);
	const uint32_t EN = CK_KACS_PRIV_ENABLED, RM = CK_KACS_PRIV_REMOVED, RESET = CK_KACS_PRIV_RESET_ALL_DEFAULTS;
	const uint32_t CN = CK_KACS_SE_CHANGE_NOTIFY, DBG = CK_KACS_SE_DEBUG, SL = 35;

	t->privileges_present |= CK_KACS_PRIV(DBG) | CK_KACS_PRIV(CK_KACS_SE_BACKUP);
	static const struct {
		const char *what;
		struct ck_kacs_priv_entry e[3];
		uint32_t n;
		size_t entry;
	} bad[] = {
		{ "enabling a privilege that is not present", { { SL, 0 }, { CK_KACS_SE_TCB, 2 } }, 2, 1 },
		{ "a luid past 63", { { CN, 0 }, { 64, 0 } }, 2, 1 },
		{ "an unknown attribute bit", { { DBG, EN }, { CN, 0x8 } }, 2, 1 },
		{ "ENABLED|REMOVED", { { DBG, EN | RM } }, 1, 0 },
		{ "the same luid twice", { { DBG, EN }, { SL, 0 }, { DBG, 0 } }, 3, 2 },
		{ "RESET with another entry", { { 0, RESET }, { DBG, EN } }, 2, 0 },
		{ "RESET not first", { { DBG, EN }, { 0, RESET } }, 2, 1 },
		{ "RESET with luid 1", { { 1, RESET } }, 1, 0 },
		{ "RESET|ENABLED", { { 0, RESET | EN } }, 1, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snap s = snap_of(t);
		struct ck_kacs_error e = new_err();
		uint64_t prev = 12345;
		cr_assert_eq(ck_kacs_token_adjust_privileges(t, bad[i].e, bad[i].n, &prev, &e), -EINVAL,
			     K20_ABI " kacs_priv_entry: %s", bad[i].what);
		cr_assert_eq(e.offset, bad[i].entry, "%s: entry %zu (%s)", bad[i].what, e.offset, e.message);
		cr_assert(strncmp(e.message, "entry ", 6) == 0, "%s", e.message);
		cr_assert_eq(prev, 12345, "%s", bad[i].what);
		assert_unchanged(&s, t, bad[i].what);
	}
	struct ck_kacs_priv_entry many[65];
	for (int i = 0; i < 65; i++)
		many[i] = (struct ck_kacs_priv_entry){ (uint32_t)(i % 64), 0 };
	struct snap s = snap_of(t);
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, many, 65, NULL, NULL), -EINVAL, K20_ABI ": count max 64");
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, many, 0, NULL, NULL), -EINVAL, K20_ABI ": count 0 is invalid");
	assert_unchanged(&s, t, "count");

	/* a good batch: enable, disable, remove, all at once */
	uint64_t m0 = t->modified_id, prev = 0;
	struct ck_kacs_priv_entry good[] = { { DBG, EN }, { CN, 0 }, { CK_KACS_SE_BACKUP, RM } };
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, good, 3, &prev, NULL), 0);
	cr_assert_eq(prev, CK_KACS_PRIV(CN) | CK_KACS_PRIV(SL), "previous_enabled");
	cr_assert_eq(t->privileges_enabled, CK_KACS_PRIV(DBG) | CK_KACS_PRIV(SL));
	cr_assert_eq(t->privileges_present & CK_KACS_PRIV(CK_KACS_SE_BACKUP), 0, K20_ADJUST ": removed");
	cr_assert_eq(t->modified_id, m0 + 1, K20_ADJUST ": bumps modified_id");
	/* removing or disabling what is absent is a no-op, and still one adjustment */
	struct ck_kacs_priv_entry noop[] = { { CK_KACS_SE_BACKUP, RM }, { CK_KACS_SE_TCB, 0 } };
	uint64_t present = t->privileges_present, enabled = t->privileges_enabled;
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, noop, 2, NULL, NULL), 0, K20_ADJUST ": no-op");
	cr_assert_eq(t->privileges_present, present);
	cr_assert_eq(t->privileges_enabled, enabled);
	/* a removed privilege cannot come back */
	struct ck_kacs_priv_entry again = { CK_KACS_SE_BACKUP, EN };
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, &again, 1, NULL, NULL), -EINVAL, K20_STRUCTURE ": never re-added");
	/* reset restores enabled-by-default, never what was removed */
	struct ck_kacs_priv_entry rm_sl = { SL, RM }, reset = { 0, RESET };
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, &rm_sl, 1, NULL, NULL), 0);
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, &reset, 1, &prev, NULL), 0);
	cr_assert_eq(prev, CK_KACS_PRIV(DBG));
	cr_assert_eq(t->privileges_enabled, CK_KACS_PRIV(CN), K20_IOCTLS ": reset does not restore removed privileges");
	cr_assert_eq(t->privileges_present & CK_KACS_PRIV(SL), 0);
	/* used is monotonic and does not bump modified_id */
	uint64_t m = t->modified_id;
	ck_kacs_token_mark_used(t, CK_KACS_PRIV(DBG));
	ck_kacs_token_mark_used(t, CK_KACS_PRIV(CN));
	cr_assert_eq(t->privileges_used, CK_KACS_PRIV(DBG) | CK_KACS_PRIV(CN), K20_STRUCTURE ": used is monotonic");
	cr_assert_eq(t->modified_id, m, K20_STRUCTURE ": marking used MUST NOT bump modified_id");
	struct ck_kacs_priv_entry dis = { DBG, 0 };
	cr_assert_eq(ck_kacs_token_adjust_privileges(t, &dis, 1, NULL, NULL), 0);
	cr_assert_eq(t->privileges_used & CK_KACS_PRIV(DBG), CK_KACS_PRIV(DBG), K20_STRUCTURE ": never cleared");
	ck_kacs_token_free(t);
}

Test(kacs_token, adjust_groups_applies_all_or_nothing)
{
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, NULL);
	/* groups: 0 WD mandatory, 1 AU mandatory, 2 BU mandatory, 3 logon; make more to adjust */
	t->groups[0].attributes = CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED;  /* adjustable, on */
	t->groups[1].attributes = 0;                                                      /* adjustable, off */
	t->groups[2].attributes = CK_KACS_GROUP_USE_FOR_DENY_ONLY;                          /* deny-only */
	t->groups[4] = t->groups[3];
	t->groups[3] = (struct ck_kacs_sid_attr){ .sid = t->user, .attributes = CK_KACS_GROUP_ENABLED }; /* the user SID */
	t->groups[5] = (struct ck_kacs_sid_attr){ .sid = sid_of("BA"), .attributes = 0x7 };              /* mandatory */
	t->group_count = 6;
	static const struct {
		const char *what;
		struct ck_kacs_group_entry e[3];
		uint32_t n;
		size_t entry;
	} bad[] = {
		{ "disabling a MANDATORY group", { { 0, 0 }, { 5, 0 } }, 2, 1 },
		{ "enabling a MANDATORY group (2-ioctls.md: any entry targeting it)", { { 5, 1 } }, 1, 0 },
		{ "enabling a USE_FOR_DENY_ONLY group", { { 1, 1 }, { 2, 1 } }, 2, 1 },
		{ "disabling the logon SID", { { 4, 0 } }, 1, 0 },
		{ "disabling the user SID", { { 0, 1 }, { 3, 0 } }, 2, 1 },
		{ "an index past the groups", { { 6, 1 } }, 1, 0 },
		{ "the same index twice", { { 0, 0 }, { 1, 1 }, { 0, 1 } }, 3, 2 },
		{ "enable 2", { { 0, 2 } }, 1, 0 },
		{ "the reset with another entry", { { CK_KACS_GROUPS_RESET, 0 }, { 0, 1 } }, 2, 0 },
		{ "the reset with enable 1", { { CK_KACS_GROUPS_RESET, 1 } }, 1, 0 },
		{ "the reset not first", { { 0, 1 }, { CK_KACS_GROUPS_RESET, 0 } }, 2, 1 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snap s = snap_of(t);
		struct ck_kacs_error e = new_err();
		cr_assert_eq(ck_kacs_token_adjust_groups(t, bad[i].e, bad[i].n, NULL, &e), -EINVAL,
			     K20_ADJUST " / " K20_IOCTLS ": %s", bad[i].what);
		cr_assert_eq(e.offset, bad[i].entry, "%s: %s", bad[i].what, e.message);
		assert_unchanged(&s, t, bad[i].what);
	}
	struct ck_kacs_group_entry z = { 0, 0 };
	cr_assert_eq(ck_kacs_token_adjust_groups(t, &z, 0, NULL, NULL), -EINVAL, K20_ADJUST ": count = 0 is invalid");
	struct ck_kacs_group_entry many[65] = { 0 };
	cr_assert_eq(ck_kacs_token_adjust_groups(t, many, 65, NULL, NULL), -EINVAL, K20_ADJUST ": count > 64 is invalid");

	/* a good batch, with the previous state of every group */
	uint64_t prev = 0, m0 = t->modified_id;
	struct ck_kacs_group_entry good[] = { { 0, 0 }, { 1, 1 }, { 3, 1 } };
	struct ck_kacs_sid_attr sids[CK_KACS_GROUPS_MAX];
	memcpy(sids, t->groups, sizeof(sids));
	cr_assert_eq(ck_kacs_token_adjust_groups(t, good, 3, &prev, NULL), 0);
	cr_assert_eq(t->group_count, 6, K20_STRUCTURE ": AdjustGroups MUST NOT add or remove SIDs");
	for (uint32_t g = 0; g < t->group_count; g++) {
		cr_assert(ck_kacs_sid_equal(&t->groups[g].sid, &sids[g].sid), K20_STRUCTURE ": the SIDs stay");
		cr_assert_eq(t->groups[g].attributes & ~CK_KACS_GROUP_ENABLED, sids[g].attributes & ~CK_KACS_GROUP_ENABLED,
			     K20_ADJUST ": only SE_GROUP_ENABLED changes");
	}
	cr_assert_eq(prev, (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5), K20_ADJUST ": previous enabled state");
	cr_assert_eq(t->groups[0].attributes & CK_KACS_GROUP_ENABLED, 0);
	cr_assert_eq(t->groups[1].attributes & CK_KACS_GROUP_ENABLED, CK_KACS_GROUP_ENABLED);
	cr_assert_eq(t->modified_id, m0 + 1, K20_ADJUST ": bumps modified_id");
	/* reset: back to ENABLED_BY_DEFAULT, deny-only stays deny-only */
	t->groups[2].attributes |= CK_KACS_GROUP_ENABLED_BY_DEFAULT;
	struct ck_kacs_group_entry reset = { CK_KACS_GROUPS_RESET, 0 };
	cr_assert_eq(ck_kacs_token_adjust_groups(t, &reset, 1, &prev, NULL), 0);
	cr_assert_eq(prev, (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5));
	cr_assert_eq(t->groups[0].attributes, CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED, K20_ADJUST);
	cr_assert_eq(t->groups[1].attributes, 0, K20_ADJUST ": back to disabled");
	cr_assert_eq(t->groups[2].attributes & CK_KACS_GROUP_USE_FOR_DENY_ONLY, CK_KACS_GROUP_USE_FOR_DENY_ONLY,
		     K20_IOCTLS ": reset does not undo deny-only");
	cr_assert_eq(t->modified_id, m0 + 2);
	ck_kacs_token_free(t);
}

Test(kacs_token, adjust_default_validates_before_changing)
{
	struct ck_kacs_token *t = preset("admin", CK_KACS_V0_20, NULL);
	/* groups: 0 WD, 1 AU, 2 BU, 3 BA (OWNER), 4 logon */
	uint8_t acl[64];
	struct ck_kacs_acl a = { .revision = 2 };
	struct ck_kacs_sid bu = sid_of("BU");
	ck_kacs_acl_append(&a, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_READ, &bu);
	ssize_t n = ck_kacs_acl_write(&a, false, acl, sizeof(acl));
	free(a.aces);
	cr_assert_gt(n, 0);

	static const struct {
		const char *what;
		bool dacl;
		int32_t len;
		uint16_t owner, group;
	} bad[] = {
		{ "owner index names a group without SE_GROUP_OWNER", true, -1, 1, CK_KACS_INDEX_NO_CHANGE },
		{ "owner index names the logon SID", false, 0, 5, CK_KACS_INDEX_NO_CHANGE },
		{ "owner index past the groups", false, 0, 6, CK_KACS_INDEX_NO_CHANGE },
		{ "primary group index past the groups", true, -1, 4, 6 },
		{ "an ACL that is not exactly its AclSize", true, -2, CK_KACS_INDEX_NO_CHANGE, CK_KACS_INDEX_NO_CHANGE },
		{ "a length above 65536", true, 65537, CK_KACS_INDEX_NO_CHANGE, CK_KACS_INDEX_NO_CHANGE },
		{ "a length without a pointer", false, 20, CK_KACS_INDEX_NO_CHANGE, CK_KACS_INDEX_NO_CHANGE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snap s = snap_of(t);
		struct ck_kacs_error e = new_err();
		uint32_t len = bad[i].len == -1 ? (uint32_t)n : bad[i].len == -2 ? (uint32_t)n - 1 : (uint32_t)bad[i].len;
		cr_assert_eq(ck_kacs_token_adjust_default(t, bad[i].dacl ? acl : NULL, len, bad[i].owner, bad[i].group, &e),
			     -EINVAL, K20_ADJUST " AdjustDefault: %s", bad[i].what);
		cr_assert_neq(e.message[0], '\0');
		assert_unchanged(&s, t, bad[i].what);
	}
	/* each part alone, and the three-way DACL encoding (6-abi-reference.md kacs_adjust_default_args) */
	uint64_t m0 = t->modified_id;
	cr_assert_eq(ck_kacs_token_adjust_default(t, NULL, 0, 4, CK_KACS_INDEX_NO_CHANGE, NULL), 0,
		     K20_ADJUST ": a group with SE_GROUP_OWNER");
	cr_assert_eq(t->owner_index, 4);
	cr_assert_eq(t->modified_id, m0 + 1);
	cr_assert_eq(ck_kacs_token_adjust_default(t, NULL, 0, CK_KACS_INDEX_NO_CHANGE, 5, NULL), 0,
		     K20_ADJUST ": any group SID on the token");
	cr_assert_eq(t->primary_group_index, 5);
	struct ck_kacs_sd *old = t->default_dacl_holder;
	cr_assert_not_null(old);
	cr_assert_eq(ck_kacs_token_adjust_default(t, acl, (uint32_t)n, CK_KACS_INDEX_NO_CHANGE, CK_KACS_INDEX_NO_CHANGE,
						  NULL), 0, "replace the DACL");
	cr_assert_eq(t->default_dacl_holder->dacl.count, 1);
	assert_ace(&t->default_dacl_holder->dacl, 0, CK_KACS_ACE_ALLOW, CK_KACS_GENERIC_READ, "BU", "the new default DACL");
	cr_assert_eq(ck_kacs_token_adjust_default(t, acl, 0, CK_KACS_INDEX_NO_CHANGE, CK_KACS_INDEX_NO_CHANGE, NULL), 0,
		     "clear the DACL");
	cr_assert_null(t->default_dacl_holder);
	cr_assert_eq(t->modified_id, m0 + 4);
	cr_assert_eq(ck_kacs_token_adjust_default(t, NULL, 0, 0, 0, NULL), 0);
	cr_assert_eq(t->owner_index, 0);
	/* AdjustSessionID: metadata, bumps modified_id, and MUST NOT change any other state (5-adjustment.md) */
	struct snap before = snap_of(t);
	cr_assert_eq(ck_kacs_token_set_session_id(t, 7), 0);
	cr_assert_eq(t->interactive_session_id, 7);
	cr_assert_eq(t->modified_id, m0 + 6);
	before.t.interactive_session_id = 7;
	before.t.modified_id = m0 + 6;
	assert_unchanged(&before, t, K20_ADJUST " AdjustSessionID changes nothing else");
	ck_kacs_token_free(t);
}

/* ---- The v2 wire format (K20 13-appendix-a/6-abi-reference.md §5, 4-tokens/4-creation.md) ---- */

#include "kacs_gen.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Every field the spec carries, compared. */
static void assert_same_spec_fields(const struct ck_kacs_token *a, const struct ck_kacs_token *b, const char *what)
{
	cr_assert(ck_kacs_sid_equal(&a->user, &b->user), "%s: user", what);
	cr_assert_eq(a->group_count, b->group_count, "%s: group_count %u vs %u", what, a->group_count, b->group_count);
	for (uint32_t i = 0; i < a->group_count; i++) {
		cr_assert(ck_kacs_sid_equal(&a->groups[i].sid, &b->groups[i].sid), "%s: group %u", what, i);
		cr_assert_eq(a->groups[i].attributes, b->groups[i].attributes, "%s: group %u attributes %#x vs %#x", what,
			     i, a->groups[i].attributes, b->groups[i].attributes);
	}
	cr_assert_eq(a->restricted, b->restricted, "%s: restricted", what);
	cr_assert_eq(a->restricted_count, b->restricted_count, "%s", what);
	for (uint32_t i = 0; i < a->restricted_count; i++) {
		cr_assert(ck_kacs_sid_equal(&a->restricted_sids[i].sid, &b->restricted_sids[i].sid), "%s: rsid %u", what, i);
		cr_assert_eq(a->restricted_sids[i].attributes, b->restricted_sids[i].attributes, "%s", what);
	}
	cr_assert_eq(a->write_restricted, b->write_restricted, "%s", what);
	cr_assert_eq(a->user_deny_only, b->user_deny_only, "%s", what);
	cr_assert_eq(a->privileges_present, b->privileges_present, "%s", what);
	cr_assert_eq(a->privileges_enabled, b->privileges_enabled, "%s", what);
	cr_assert_eq(a->privileges_enabled_by_default, b->privileges_enabled_by_default, "%s", what);
	cr_assert_eq(a->type, b->type, "%s", what);
	cr_assert_eq(a->impersonation_level, b->impersonation_level, "%s", what);
	cr_assert_eq(a->integrity_rid, b->integrity_rid, "%s", what);
	cr_assert_eq(a->mandatory_policy, b->mandatory_policy, "%s", what);
	cr_assert_eq(a->elevation_type, b->elevation_type, "%s", what);
	cr_assert_eq(a->auth_id, b->auth_id, "%s", what);
	cr_assert_eq(a->origin, b->origin, "%s", what);
	cr_assert_eq(a->expiration, b->expiration, "%s", what);
	cr_assert_eq(memcmp(a->source_name, b->source_name, 8), 0, "%s", what);
	cr_assert_eq(a->source_luid, b->source_luid, "%s", what);
	cr_assert_eq(a->interactive_session_id, b->interactive_session_id, "%s", what);
	cr_assert_eq(a->owner_index, b->owner_index, "%s", what);
	cr_assert_eq(a->primary_group_index, b->primary_group_index, "%s", what);
	cr_assert_eq(a->default_dacl_holder != NULL, b->default_dacl_holder != NULL, "%s: default DACL", what);
	if (a->default_dacl_holder)
		cr_assert(ck_kacs_sd_equal(a->default_dacl_holder, b->default_dacl_holder), "%s: default DACL", what);
	cr_assert_eq(a->audit_policy, b->audit_policy, "%s", what);
	cr_assert_eq(a->projected_uid, b->projected_uid, "%s", what);
	cr_assert_eq(a->projected_gid, b->projected_gid, "%s", what);
	cr_assert_eq(a->projected_supp_gid_count, b->projected_supp_gid_count, "%s", what);
	if (a->projected_supp_gid_count)
		cr_assert_eq(memcmp(a->projected_supp_gids, b->projected_supp_gids, 4 * a->projected_supp_gid_count), 0,
			     "%s", what);
}

static struct ck_kacs_token *from_wire_ok(const uint8_t *b, size_t n, enum ck_kacs_profile p, const char *what)
{
	struct ck_kacs_token *t = NULL;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_token_from_wire(b, n, p, &t, &e), 0, "%s: %s", what, e.message);
	return t;
}

Test(kacs_wire, presets_round_trip)
{
	for (size_t i = 0; ck_kacs_token_preset_name(i); i++) {
		struct ck_kacs_token *t = preset(ck_kacs_token_preset_name(i), CK_KACS_V0_20, NULL);
		uint8_t *b, *b2;
		size_t n, n2;
		cr_assert_eq(ck_kacs_token_to_wire(t, &b, &n), 0);
		/* K20 6-abi-reference.md §5 header: version 2, the user SID after the 192 bytes */
		cr_assert_eq(le32(b), 2);
		cr_assert_geq(le32(b + 88), 192);
		struct ck_kacs_token *back = from_wire_ok(b, n, CK_KACS_V0_20, ck_kacs_token_preset_name(i));
		assert_same_spec_fields(t, back, ck_kacs_token_preset_name(i));
		/* the kernel's fields are left for ck_kacs_token_create */
		cr_assert_eq(back->token_id, 0);
		cr_assert_null(back->sd);
		cr_assert_eq(ck_kacs_token_to_wire(back, &b2, &n2), 0);
		cr_assert_eq(n2, n);
		cr_assert_eq(memcmp(b, b2, n), 0, "%s: to_wire(from_wire(x)) == x", ck_kacs_token_preset_name(i));
		free(b);
		free(b2);
		ck_kacs_token_free(back);
		ck_kacs_token_free(t);
	}
}

/* The user preset with two restricted SIDs and three supplementary gids: every kind of section. */
static uint8_t *rich_spec(size_t *n)
{
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, NULL);
	static uint32_t gids[] = { 100, 200, 300 };
	uint8_t *b;
	t->restricted = true;
	t->restricted_count = 2;
	t->restricted_sids[0] = (struct ck_kacs_sid_attr){ sid_of("WD"), CK_KACS_GROUP_ENABLED };
	t->restricted_sids[1] = (struct ck_kacs_sid_attr){ sid_of("S-1-5-21-1-2-3-1001"), CK_KACS_GROUP_ENABLED };
	t->projected_supp_gids = malloc(sizeof(gids));
	memcpy(t->projected_supp_gids, gids, sizeof(gids));
	t->projected_supp_gid_count = 3;
	cr_assert_eq(ck_kacs_token_to_wire(t, &b, n), 0);
	ck_kacs_token_free(t);
	/* room for sections a test appends */
	uint8_t *big = calloc(1, 70000);
	memcpy(big, b, *n);
	free(b);
	return big;
}

/* Offsets of the rich spec's sections. */
#define USER_AT(b) le32((b) + 88)
#define GROUPS_AT(b) le32((b) + 92)
#define DACL_AT(b) le32((b) + 100)
#define RSIDS_AT(b) le32((b) + 132)
#define GIDS_AT(b) le32((b) + 160)

/* Appends a section of len bytes at the end; returns its offset. */
static uint32_t append(uint8_t *b, size_t *n, const void *bytes, size_t len)
{
	uint32_t at = (uint32_t)*n;
	memcpy(b + at, bytes, len);
	*n += len;
	return at;
}

/* A malformation; returns the offset the error must name. */
typedef size_t (*mutate_fn)(uint8_t *b, size_t *n);

static size_t m_short(uint8_t *b, size_t *n) { (void)b; *n = 191; return 0; }
static size_t m_long(uint8_t *b, size_t *n) { (void)b; *n = 65537; return 0; }
static size_t m_user_zero(uint8_t *b, size_t *n) { (void)n; put32(b + 88, 0); return 88; }
static size_t m_user_in_header(uint8_t *b, size_t *n) { (void)n; put32(b + 88, 100); return 88; }
static size_t m_user_past_end(uint8_t *b, size_t *n) { put32(b + 88, (uint32_t)*n); return 88; }
static size_t m_user_revision(uint8_t *b, size_t *n) { (void)n; b[USER_AT(b)] = 2; return USER_AT(b); }
static size_t m_groups_count_zero(uint8_t *b, size_t *n) { (void)n; put32(b + 96, 0); return 96; }
static size_t m_groups_offset_zero(uint8_t *b, size_t *n) { (void)n; put32(b + 92, 0); return 92; }
static size_t m_groups_64(uint8_t *b, size_t *n) { (void)n; put32(b + 96, 64); return 96; }
static size_t m_groups_in_header(uint8_t *b, size_t *n) { (void)n; put32(b + 92, 191); return 92; }
/* one entry more than there are: the fourth runs into the default DACL */
static size_t m_groups_one_more(uint8_t *b, size_t *n) { (void)n; put32(b + 96, 4); return DACL_AT(b); }
static size_t m_group_sid_len(uint8_t *b, size_t *n) { (void)n; put32(b + GROUPS_AT(b), 11); return GROUPS_AT(b) + 4; }
static size_t m_group_attr_bit(uint8_t *b, size_t *n)
{
	(void)n;
	size_t at = GROUPS_AT(b) + 4 + 12;
	put32(b + at, le32(b + at) | 0x100);
	return at;
}
static size_t m_group_logon_attr(uint8_t *b, size_t *n)
{
	(void)n;
	size_t at = GROUPS_AT(b) + 4 + 12;
	put32(b + at, le32(b + at) | CK_KACS_GROUP_LOGON_ID);
	return at;
}
static size_t m_owner_no_owner_flag(uint8_t *b, size_t *n) { (void)n; put32(b + 64, 1); return 64; }
static size_t m_owner_past(uint8_t *b, size_t *n) { (void)n; put32(b + 64, 4); return 64; }
static size_t m_group_index_past(uint8_t *b, size_t *n) { (void)n; put32(b + 68, 4); return 68; }
static size_t m_user_inside_groups(uint8_t *b, size_t *n) { (void)n; put32(b + 88, GROUPS_AT(b) + 4); return 88; }
static size_t m_dacl_on_groups(uint8_t *b, size_t *n) { (void)n; put32(b + 100, GROUPS_AT(b)); return 100; }
static size_t m_dacl_len(uint8_t *b, size_t *n) { (void)n; put32(b + 104, le32(b + 104) - 1); return DACL_AT(b) + 2; }
static size_t m_dacl_audit_ace(uint8_t *b, size_t *n) { (void)n; b[DACL_AT(b) + 8] = CK_KACS_ACE_AUDIT; return DACL_AT(b) + 8; }
static size_t m_dacl_count(uint8_t *b, size_t *n) { (void)n; b[DACL_AT(b) + 4] = 3; return DACL_AT(b) + 4; }
static size_t m_rsids_65(uint8_t *b, size_t *n) { (void)n; put32(b + 136, 65); return 136; }
static size_t m_rsid_attr(uint8_t *b, size_t *n)
{
	(void)n;
	size_t at = RSIDS_AT(b) + 4 + 12;
	put32(b + at, 0x1000);
	return at;
}
static size_t m_gids_past_end(uint8_t *b, size_t *n) { (void)n; put32(b + 164, 4); return 164; }
static size_t m_cut_in_gids(uint8_t *b, size_t *n) { (void)b; *n -= 2; return 164; }
static size_t m_uid_zero(uint8_t *b, size_t *n) { (void)n; put32(b + 36, 0); return 36; }
static size_t m_isolation(uint8_t *b, size_t *n) { (void)n; b[159] = 1; return 159; }
static size_t m_conf_sid_len(uint8_t *b, size_t *n)
{
	struct ck_kacs_sid s = sid_of("S-1-15-2-1");
	uint8_t sid[20] = { 0 };
	ck_kacs_sid_write(&s, sid, sizeof(sid));
	/* 20 bytes given for a SID of 16 */
	put32(b + 140, append(b, n, sid, 20));
	put32(b + 144, 20);
	return 144;
}
static size_t m_logon_sid_in_groups(uint8_t *b, size_t *n)
{
	/* a fourth group, the logon SID of session 1000, appended */
	struct ck_kacs_sid logon = sid_of("S-1-5-5-0-1000");
	uint8_t e[28];
	put32(e, 20);
	ck_kacs_sid_write(&logon, e + 4, 20);
	put32(e + 24, 0x7);
	/* the groups move to the end, with the new entry after them */
	uint32_t g = GROUPS_AT(b), len = DACL_AT(b) - g;
	uint8_t old[256];
	memcpy(old, b + g, len);
	uint32_t at = append(b, n, old, len);
	append(b, n, e, sizeof(e));
	put32(b + 92, at);
	put32(b + 96, 4);
	return at + len + 4;
}

/* The groups array copied to the end of the spec: returns its new offset. */
static uint32_t groups_to_end(uint8_t *b, size_t *n)
{
	uint32_t g = GROUPS_AT(b), len = DACL_AT(b) - g;
	uint8_t old[256];
	memcpy(old, b + g, len);
	uint32_t at = append(b, n, old, len);
	put32(b + 92, at);
	return at;
}
/* the spec ends right after the third of four entries: the count is at fault */
static size_t m_ends_after_entries(uint8_t *b, size_t *n) { groups_to_end(b, n); put32(b + 96, 4); return 96; }
/* the spec ends inside the last entry's attributes: that entry is at fault (fuzz regress-offset-at-the-end) */
static size_t m_ends_in_attributes(uint8_t *b, size_t *n)
{
	uint32_t at = groups_to_end(b, n);
	*n -= 2;
	return at + 20 + 20; /* WD and AU entries are 20 bytes each */
}

static const struct wire_case {
	const char *what, *spec;
	uint16_t off;   /* a header field to set... */
	uint8_t size;
	uint64_t value;
	mutate_fn fn;   /* ...or a mutation */
	int r;
	size_t at;      /* the offset the error names (fn: its return value) */
} wire_cases[] = {
	{ "191 bytes", K20_ABI " §5: minimum size 192", 0, 0, 0, m_short, -EINVAL, 0 },
	{ "65537 bytes", K20_ABI " §5: maximum size 65536", 0, 0, 0, m_long, -EINVAL, 0 },
	{ "version 1", K20_ABI " §5: must be 2", 0, 4, 1, NULL, -EINVAL, 0 },
	{ "version 3", K20_ABI " §5: must be 2", 0, 4, 3, NULL, -EINVAL, 0 },
	{ "token_type 0", K20_ABI " §5: 1 or 2", 4, 1, 0, NULL, -EINVAL, 4 },
	{ "token_type 3", K20_ABI " §5: 1 or 2", 4, 1, 3, NULL, -EINVAL, 4 },
	{ "impersonation_level 4", K20_ABI " §5: 0-3", 5, 1, 4, NULL, -EINVAL, 5 },
	{ "_reserved0 byte 6", K20_ABI " §5: must be 0", 6, 1, 1, NULL, -EINVAL, 6 },
	{ "_reserved0 byte 7", K20_ABI " §5: must be 0", 7, 1, 1, NULL, -EINVAL, 6 },
	{ "integrity_rid 100", K20_STRUCTURE ": five levels", 8, 4, 100, NULL, -EINVAL, 8 },
	{ "integrity_rid 8193", K20_STRUCTURE ": five levels", 8, 4, 8193, NULL, -EINVAL, 8 },
	{ "mandatory_policy 0x4", K20_STRUCTURE ": NO_WRITE_UP, NEW_PROCESS_MIN", 12, 4, 4, NULL, -EINVAL, 12 },
	{ "privs_present bit 0", K20_CATALOG, 16, 8, 1, NULL, -EINVAL, 16 },
	{ "privs_present bit 40", K20_CATALOG, 16, 8, UINT64_C(1) << 40 | CK_KACS_PRIV(23) | CK_KACS_PRIV(35), NULL,
	  -EINVAL, 16 },
	{ "privs_enabled beyond present", K20_STRUCTURE ": only present privileges may be enabled", 24, 8,
	  CK_KACS_PRIV(23) | CK_KACS_PRIV(35) | CK_KACS_PRIV(20), NULL, -EINVAL, 24 },
	{ "_reserved1 (elevation_type) 1", K20_CREATION " rule 9", 32, 4, 1, NULL, -EINVAL, 32 },
	{ "audit_policy 0x10", K20_STRUCTURE ": four audit flags", 44, 4, 0x10, NULL, -EINVAL, 44 },
	{ "confinement_exempt 2", K20_ABI " §5: 1 or 0", 156, 1, 2, NULL, -EINVAL, 156 },
	{ "write_restricted 2", K20_ABI " §5: 1 or 0", 157, 1, 2, NULL, -EINVAL, 157 },
	{ "user_deny_only 2", K20_ABI " §5: 1 or 0", 158, 1, 2, NULL, -EINVAL, 158 },
	{ "isolation_boundary 2", K20_ABI " §5: 1 or 0", 159, 1, 2, NULL, -EINVAL, 159 },
	{ "write_restricted without user_deny_only", K20_CREATION " rule 7", 157, 1, 1, NULL, -EINVAL, 157 },
	{ "_reserved3 1", K20_ABI " §5: must be 0 (PKM's lcs_credentials_offset)", 188, 4, 1, NULL, -EINVAL, 188 },
	{ "user_sid_offset 0", K20_CREATION ": the user SID is required", 0, 0, 0, m_user_zero, -EINVAL, 0 },
	{ "user_sid_offset inside the header", K20_ABI " §5", 0, 0, 0, m_user_in_header, -EINVAL, 0 },
	{ "user_sid_offset past the end", K20_ABI " §5: within the buffer", 0, 0, 0, m_user_past_end, -EINVAL, 0 },
	{ "a user SID of revision 2", "K20 2-sids/1-format.md", 0, 0, 0, m_user_revision, -EINVAL, 0 },
	{ "groups_offset without groups_count", K20_ABI " §5: offset=0 AND length=0 means absent", 0, 0, 0,
	  m_groups_count_zero, -EINVAL, 0 },
	{ "groups_count without groups_offset", K20_ABI " §5", 0, 0, 0, m_groups_offset_zero, -EINVAL, 0 },
	{ "groups_count 64", K20_CREATION " rule 10: at most 63 caller groups", 0, 0, 0, m_groups_64, -EINVAL, 0 },
	{ "groups_offset inside the header", K20_ABI " §5", 0, 0, 0, m_groups_in_header, -EINVAL, 0 },
	{ "groups_count one more than the entries", K20_ABI " §5 groups array", 0, 0, 0, m_groups_one_more, -EINVAL, 0 },
	{ "a group's sid_len one short", K20_ABI " §5 groups array", 0, 0, 0, m_group_sid_len, -EINVAL, 0 },
	{ "the spec ends after 3 of 4 group entries", K20_ABI " §5: within the buffer", 0, 0, 0, m_ends_after_entries,
	  -EINVAL, 0 },
	{ "the spec ends inside a group's attributes", K20_ABI " §5: within the buffer", 0, 0, 0, m_ends_in_attributes,
	  -EINVAL, 0 },
	{ "a group attribute bit no flag defines", "K20 2-sids/1-format.md", 0, 0, 0, m_group_attr_bit, -EINVAL, 0 },
	{ "a caller group with SE_GROUP_LOGON_ID", K20_CREATION ": the logon SID is kernel-generated", 0, 0, 0,
	  m_group_logon_attr, -EINVAL, 0 },
	{ "the logon SID among the caller's groups", K20_CREATION ": callers MUST NOT include it", 0, 0, 0,
	  m_logon_sid_in_groups, -EINVAL, 0 },
	{ "owner_sid_index on a group without SE_GROUP_OWNER", K20_CREATION " rule 3", 0, 0, 0, m_owner_no_owner_flag,
	  -EINVAL, 0 },
	{ "owner_sid_index past the caller's groups", K20_CREATION " rule 3", 0, 0, 0, m_owner_past, -EINVAL, 0 },
	{ "primary_group_index past the caller's groups", K20_CREATION " rule 4", 0, 0, 0, m_group_index_past, -EINVAL,
	  0 },
	{ "the user SID inside the groups array", K20_ABI " §5: sections never overlap", 0, 0, 0, m_user_inside_groups,
	  -EINVAL, 0 },
	{ "the default DACL on the groups array", K20_ABI " §5: sections never overlap", 0, 0, 0, m_dacl_on_groups,
	  -EINVAL, 0 },
	{ "default_dacl_len one short of AclSize", "K20 3-security-descriptors/2-acl-format.md", 0, 0, 0, m_dacl_len,
	  -EINVAL, 0 },
	{ "an audit ACE in the default DACL", "K20 3-security-descriptors/4-ace-types.md", 0, 0, 0, m_dacl_audit_ace,
	  -EINVAL, 0 },
	{ "a default DACL AceCount past its ACEs", "K20 3-security-descriptors/2-acl-format.md", 0, 0, 0, m_dacl_count,
	  -EINVAL, 0 },
	{ "restricted_sids_count 65", "a token holds 64 here", 0, 0, 0, m_rsids_65, -EINVAL, 0 },
	{ "a restricted SID attribute bit no flag defines", "K20 2-sids/1-format.md", 0, 0, 0, m_rsid_attr, -EINVAL, 0 },
	{ "supp_gids_count past the end", K20_ABI " §5: within the buffer", 0, 0, 0, m_gids_past_end, -EINVAL, 0 },
	{ "the spec cut inside the gids", K20_ABI " §5: within the buffer", 0, 0, 0, m_cut_in_gids, -EINVAL, 0 },
	{ "projected_uid 0 for a user other than SYSTEM", "PKM create_from_spec", 0, 0, 0, m_uid_zero, -EINVAL, 0 },
	{ "isolation_boundary without a confinement SID", K20_CREATION " rule 8", 0, 0, 0, m_isolation, -EINVAL, 0 },
	{ "confinement_sid_len not the SID's size", K20_ABI " §5", 0, 0, 0, m_conf_sid_len, -EINVAL, 0 },
	{ "Primary at Identification", K20_CREATION " rule 6", 5, 1, CK_KACS_IDENTIFICATION, NULL, -EINVAL, 5 },
};

static void apply_case(const struct wire_case *c, uint8_t *b, size_t *n, size_t *at)
{
	if (c->fn) {
		*at = c->fn(b, n);
		return;
	}
	for (unsigned i = 0; i < c->size; i++)
		b[c->off + i] = (uint8_t)(c->value >> (8 * i));
	*at = c->at;
}

Test(kacs_wire, malformed_specs_fail_with_the_errno_and_offset)
{
	for (size_t i = 0; i < sizeof(wire_cases) / sizeof(wire_cases[0]); i++) {
		const struct wire_case *c = &wire_cases[i];
		size_t n, at;
		uint8_t *b = rich_spec(&n);
		/* the spec is good before the mutation */
		ck_kacs_token_free(from_wire_ok(b, n, CK_KACS_V0_20, "the rich spec"));
		apply_case(c, b, &n, &at);
		struct ck_kacs_token *t = (struct ck_kacs_token *)1;
		struct ck_kacs_error e = new_err();
		int r = ck_kacs_token_from_wire(b, n, CK_KACS_V0_20, &t, &e);
		cr_assert_eq(r, c->r, "%s (%s): %d, want %d: %s", c->what, c->spec, r, c->r, e.message);
		cr_assert_null(t, "%s: no token on failure", c->what);
		cr_assert_eq(e.offset, at, "%s (%s): offset %zu, want %zu: %s", c->what, c->spec, e.offset, at, e.message);
		cr_assert(e.offset == 0 || e.offset < n, "%s: offset %zu is outside the %zu bytes", c->what, e.offset, n);
		char want[32];
		snprintf(want, sizeof(want), "offset %zu: ", at);
		cr_assert(strncmp(e.message, want, strlen(want)) == 0, "%s: the message names the offset: %s", c->what,
			  e.message);
		free(b);
	}
}

Test(kacs_wire, what_clonekit_cannot_evaluate_is_refused_with_eopnotsupp)
{
	struct ck_kacs_sid wd = sid_of("WD"), ac = sid_of("AC");
	uint8_t entry[20], sid[16];
	put32(entry, 12);
	ck_kacs_sid_write(&wd, entry + 4, 12);
	put32(entry + 16, 0x7);
	cr_assert_eq(ck_kacs_sid_write(&ac, sid, sizeof(sid)), 16);
	static const struct {
		const char *what;
		uint16_t off_at, len_at;
		int kind; /* 0 a groups-like array (count 1), 1 a SID (len 16), 2 claims bytes (len 20), 3 a flag byte */
	} v[] = {
		{ "a confinement SID", 140, 144, 1 },
		{ "confinement capabilities", 148, 152, 0 },
		{ "user claims", 108, 112, 2 },
		{ "device claims", 116, 120, 2 },
		{ "device groups", 124, 128, 0 },
		{ "restricted device groups", 168, 172, 0 },
		{ "confinement_exempt", 156, 0, 3 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n;
		uint8_t *b = rich_spec(&n);
		if (v[i].kind == 3) {
			b[v[i].off_at] = 1;
		} else {
			uint32_t at = append(b, &n, v[i].kind == 1 ? (const void *)sid : entry, v[i].kind == 1 ? 16 : 20);
			put32(b + v[i].off_at, at);
			put32(b + v[i].len_at, v[i].kind == 0 ? 1 : v[i].kind == 1 ? 16 : 20);
		}
		struct ck_kacs_token *t = (struct ck_kacs_token *)1;
		struct ck_kacs_error e = new_err();
		cr_assert_eq(ck_kacs_token_from_wire(b, n, CK_KACS_V0_20, &t, &e), -EOPNOTSUPP,
			     "design §4: %s is refused, not ignored: %s", v[i].what, e.message);
		cr_assert_null(t);
		cr_assert_eq(e.offset, v[i].off_at, "%s: %s", v[i].what, e.message);
		/* an invalid spec with the same section is EINVAL first */
		b[4] = 9;
		cr_assert_eq(ck_kacs_token_from_wire(b, n, CK_KACS_V0_20, &t, &e), -EINVAL, "%s", v[i].what);
		free(b);
	}
	/* isolation_boundary with a confinement SID: valid (rule 8), not implemented */
	size_t n;
	uint8_t *b = rich_spec(&n);
	put32(b + 140, append(b, &n, sid, 16));
	put32(b + 144, 16);
	b[159] = 1;
	struct ck_kacs_token *t;
	cr_assert_eq(ck_kacs_token_from_wire(b, n, CK_KACS_V0_20, &t, NULL), -EOPNOTSUPP, K20_CREATION " rule 8 holds");
	free(b);
}

Test(kacs_wire, what_the_spec_allows_is_accepted)
{
	size_t n;
	uint8_t *b = rich_spec(&n);
	struct ck_kacs_token *ref = from_wire_ok(b, n, CK_KACS_V0_20, "the rich spec"), *t;

	/* K20 6-abi-reference.md §5: the appended logon SID and its attributes */
	assert_group(ref, ref->group_count - 1, "S-1-5-5-0-1000", 0xC0000007u, K20_ABI " §5");
	cr_assert_eq(ref->privileges_enabled_by_default, ref->privileges_enabled,
		     K20_ABI " §5: enabled_by_default is privs_enabled");
	cr_assert(ref->restricted && ref->restricted_count == 2);
	cr_assert_eq(ref->projected_supp_gid_count, 3);
	cr_assert_eq(ref->projected_supp_gids[2], 300);

	/* sections in another order, with a gap and trailing bytes: the same token */
	uint8_t *c = calloc(1, 70000);
	size_t m = 200; /* 8 bytes of gap after the header */
	memcpy(c, b, 192);
	static const struct {
		uint16_t off_at;
		uint32_t len;
	} order[] = { { 160, 12 }, { 132, 0 }, { 100, 0 }, { 92, 0 }, { 88, 0 } };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint32_t from = le32(b + order[i].off_at), len = order[i].len;
		if (!len) /* up to the next section in b's layout */
			len = (order[i].off_at == 132 ? GIDS_AT(b) : order[i].off_at == 100 ? RSIDS_AT(b)
							 : order[i].off_at == 92 ? DACL_AT(b) : GROUPS_AT(b)) - from;
		memcpy(c + m, b + from, len);
		put32(c + order[i].off_at, (uint32_t)m);
		m += len + 4; /* and a gap after each */
	}
	m += 30; /* trailing bytes */
	t = from_wire_ok(c, m, CK_KACS_V0_20, "reordered, with gaps");
	assert_same_spec_fields(ref, t, K20_ABI " §5: sections may appear in any order");
	ck_kacs_token_free(t);
	free(c);

	/* under v0.22 any integrity number is valid (K22 4-tokens/2-structure.md) */
	put32(b + 8, 8193);
	struct ck_kacs_token *k22 = from_wire_ok(b, n, CK_KACS_V0_22, "integrity 8193 under v0.22");
	cr_assert_eq(k22->integrity_rid, 8193);
	ck_kacs_token_free(k22);
	put32(b + 8, CK_KACS_IL_MEDIUM);
	/* write_restricted with user_deny_only (rule 7 satisfied) */
	b[157] = b[158] = 1;
	t = from_wire_ok(b, n, CK_KACS_V0_20, "write-restricted");
	cr_assert(t->write_restricted && t->user_deny_only);
	ck_kacs_token_free(t);
	/* a group's ENABLED follows ENABLED_BY_DEFAULT (PKM): a group given as enabled-only is off */
	uint32_t at = GROUPS_AT(b) + 4 + 12;
	put32(b + at, CK_KACS_GROUP_ENABLED);
	t = from_wire_ok(b, n, CK_KACS_V0_20, "ENABLED without ENABLED_BY_DEFAULT");
	cr_assert_eq(t->groups[0].attributes, 0);
	ck_kacs_token_free(t);
	put32(b + at, CK_KACS_GROUP_ENABLED_BY_DEFAULT);
	t = from_wire_ok(b, n, CK_KACS_V0_20, "ENABLED_BY_DEFAULT alone");
	cr_assert_eq(t->groups[0].attributes, CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED);
	ck_kacs_token_free(t);
	/* projected_uid 0 for SYSTEM */
	struct ck_kacs_token *sys = preset("system", CK_KACS_V0_20, NULL);
	uint8_t *sb;
	size_t sn;
	cr_assert_eq(ck_kacs_token_to_wire(sys, &sb, &sn), 0);
	cr_assert_eq(le32(sb + 36), 0);
	ck_kacs_token_free(from_wire_ok(sb, sn, CK_KACS_V0_20, "SYSTEM with projected_uid 0"));
	free(sb);
	ck_kacs_token_free(sys);
	ck_kacs_token_free(ref);
	free(b);
}

Test(kacs_wire, create_mints_the_kernels_fields)
{
	struct ck_kacs_sessions *s = ck_kacs_sessions_new();
	struct ck_kacs_token *u = preset("user", CK_KACS_V0_20, NULL), *t = NULL;
	struct ck_kacs_sid creator = sid_of("SY");
	uint64_t next = CK_KACS_TOKEN_ID_FIRST, id;
	uint8_t *b;
	size_t n;
	struct ck_kacs_error e = new_err();

	cr_assert_eq(ck_kacs_token_to_wire(u, &b, &n), 0);
	/* rule 5: the session must exist (PKM: EINVAL) */
	cr_assert_eq(ck_kacs_token_create(s, b, n, &creator, CK_KACS_V0_20, &next, &t, &e), -EINVAL, K20_CREATION " rule 5");
	cr_assert_eq(e.offset, 56, "%s", e.message);
	cr_assert_str_eq(e.message, "offset 56: session_id 1000 names no logon session (K20 4-tokens/4-creation.md rule 5)");
	cr_assert_null(t);
	cr_assert_eq(next, CK_KACS_TOKEN_ID_FIRST);
	cr_assert_eq(ck_kacs_session_add(s, CK_KACS_LOGON_INTERACTIVE, "Negotiate", 9, &u->user, &id), 0);
	cr_assert_eq(id, u->auth_id);
	cr_assert_eq(ck_kacs_token_create(s, b, n, &creator, CK_KACS_V0_20, &next, &t, &e), 0, "%s", e.message);
	/* K20 4-tokens/4-creation.md kernel-generated fields */
	cr_assert_eq(t->token_id, CK_KACS_TOKEN_ID_FIRST, "design §4: the counter from 0x10000");
	cr_assert_eq(t->modified_id, t->token_id, K20_CREATION ": modified_id initialized to token_id");
	cr_assert_eq(t->elevation_type, CK_KACS_ELEVATION_DEFAULT, K20_CREATION);
	cr_assert_gt(t->created_at, u->created_at - 1000000000LL, K20_CREATION ": created_at now");
	cr_assert(ck_kacs_sid_equal(&t->sd->owner, &creator), K20_CREATION ": the default token SD");
	assert_same_spec_fields(u, t, "create");
	ck_kacs_token_free(t);
	/* without a table rule 5 is not checked */
	b[56] = 0x77;
	cr_assert_eq(ck_kacs_token_create(NULL, b, n, &creator, CK_KACS_V0_20, &next, &t, &e), 0, "%s", e.message);
	cr_assert_eq(t->auth_id, 0x377);
	cr_assert_eq(t->token_id, CK_KACS_TOKEN_ID_FIRST + 1);
	ck_kacs_token_free(t);
	cr_assert_eq(ck_kacs_token_create(s, b, n, &creator, CK_KACS_V0_20, &next, &t, &e), -EINVAL, "0x377 is no session");
	b[56] = 0xe8;
	/* a malformed spec fails before the session is looked at */
	b[0] = 3;
	cr_assert_eq(ck_kacs_token_create(s, b, n, &creator, CK_KACS_V0_20, &next, &t, &e), -EINVAL);
	cr_assert_eq(e.offset, 0);
	/* under v0.22: modified_id 0 and a GUID */
	b[0] = 2;
	cr_assert_eq(ck_kacs_token_create(s, b, n, &creator, CK_KACS_V0_22, &next, &t, &e), 0);
	cr_assert_eq(t->modified_id, 0, "K22 4-tokens/4-creation.md");
	cr_assert_eq(t->token_guid[6] >> 4, 4);
	ck_kacs_token_free(t);
	free(b);
	ck_kacs_token_free(u);
	ck_kacs_sessions_free(s);
}

Test(kacs_wire, to_wire_refuses_what_the_wire_cannot_say)
{
	struct ck_kacs_token *t = preset("user", CK_KACS_V0_20, NULL);
	uint8_t *b = NULL;
	size_t n;

	t->primary_group_index = t->group_count; /* the logon SID */
	cr_assert_eq(ck_kacs_token_to_wire(t, &b, &n), -EINVAL, "an index on the logon SID");
	t->primary_group_index = 0;
	t->auth_id = 1001; /* the last group is not this session's logon SID */
	cr_assert_eq(ck_kacs_token_to_wire(t, &b, &n), -EINVAL, "no logon SID of auth_id last");
	cr_assert_null(b);
	ck_kacs_token_free(t);
}

/* A random token the wire can carry, from seed s. */
static struct ck_kacs_token *random_token(uint64_t *s)
{
	static const uint32_t ils[] = { 0, 4096, 8192, 12288, 16384 };
	static const uint32_t attr_bits[] = { CK_KACS_GROUP_MANDATORY, CK_KACS_GROUP_ENABLED_BY_DEFAULT,
					      CK_KACS_GROUP_OWNER, CK_KACS_GROUP_USE_FOR_DENY_ONLY,
					      CK_KACS_GROUP_INTEGRITY, CK_KACS_GROUP_INTEGRITY_ENABLED,
					      CK_KACS_GROUP_RESOURCE, CK_KACS_GROUP_ENABLED };
	struct ck_kacs_token *t = calloc(1, sizeof(*t));
	struct ck_kacs_sid sy = sid_of("SY");

	kg_sid(s, &t->user);
	t->auth_id = kg_below(s, 3) ? kg_below(s, 5000) : kg_next(s);
	struct ck_kacs_sid logon;
	ck_kacs_logon_sid(t->auth_id, &logon);
	uint32_t n = kg_below(s, 4) ? kg_below(s, 8) : kg_below(s, 64);
	for (uint32_t i = 0; i < n; i++) {
		do
			kg_sid(s, &t->groups[i].sid);
		while (ck_kacs_sid_equal(&t->groups[i].sid, &logon));
		uint32_t a = 0;
		for (size_t k = 0; k < sizeof(attr_bits) / sizeof(attr_bits[0]); k++)
			if (kg_below(s, 3) == 0)
				a |= attr_bits[k];
		/* the creation-time state (PKM): enabled exactly when enabled by default */
		a = (a & CK_KACS_GROUP_ENABLED_BY_DEFAULT) ? a | CK_KACS_GROUP_ENABLED : a & ~CK_KACS_GROUP_ENABLED;
		t->groups[i].attributes = a;
	}
	t->groups[n] = (struct ck_kacs_sid_attr){ logon, 0xC0000007u };
	t->group_count = n + 1;
	if (kg_below(s, 3) == 0) {
		t->restricted = true;
		t->restricted_count = 1 + kg_below(s, kg_below(s, 4) ? 4 : 64);
		for (uint32_t i = 0; i < t->restricted_count; i++) {
			kg_sid(s, &t->restricted_sids[i].sid);
			t->restricted_sids[i].attributes = kg_below(s, 2) ? CK_KACS_GROUP_ENABLED : kg_below(s, 0x80);
		}
	}
	t->privileges_present = kg_next(s) & CK_KACS_PRIV_CATALOG;
	t->privileges_enabled = t->privileges_enabled_by_default = t->privileges_present & kg_next(s);
	t->type = kg_below(s, 2) ? CK_KACS_TOKEN_PRIMARY : CK_KACS_TOKEN_IMPERSONATION;
	t->impersonation_level = t->type == CK_KACS_TOKEN_PRIMARY ? 0 : kg_below(s, 4);
	t->integrity_rid = ils[kg_below(s, 5)];
	t->mandatory_policy = kg_below(s, 4);
	t->elevation_type = CK_KACS_ELEVATION_DEFAULT;
	t->origin = kg_next(s);
	t->expiration = kg_below(s, 2) ? 0 : (int64_t)kg_next(s);
	for (int i = 0; i < 8; i++)
		t->source_name[i] = (char)kg_next(s);
	t->source_luid = kg_next(s);
	t->interactive_session_id = kg_u32(s);
	/* an owner the rules allow */
	t->owner_index = 0;
	for (uint32_t i = 0; i < n; i++)
		if ((t->groups[i].attributes & CK_KACS_GROUP_OWNER) && kg_below(s, 2))
			t->owner_index = i + 1;
	t->primary_group_index = kg_below(s, n + 1);
	t->write_restricted = kg_below(s, 4) == 0;
	t->user_deny_only = t->write_restricted || kg_below(s, 4) == 0;
	t->audit_policy = kg_below(s, 16);
	t->projected_uid = ck_kacs_sid_equal(&t->user, &sy) && kg_below(s, 2) ? 0 : 1 + kg_below(s, 70000);
	t->projected_gid = kg_u32(s);
	if (kg_below(s, 3) == 0) {
		t->projected_supp_gid_count = kg_below(s, 40);
		t->projected_supp_gids = malloc(4 * (t->projected_supp_gid_count + 1));
		for (uint32_t i = 0; i < t->projected_supp_gid_count; i++)
			t->projected_supp_gids[i] = kg_u32(s);
	}
	if (kg_below(s, 3)) {
		t->default_dacl_holder = ck_kacs_sd_new();
		t->default_dacl_holder->dacl_present = true;
		t->default_dacl_holder->control |= CK_KACS_SE_DACL_PRESENT;
		kg_acl(s, &t->default_dacl_holder->dacl, false, kg_below(s, 5) ? 4 : 30);
	}
	return t;
}

Test(kacs_wire, random_tokens_round_trip)
{
	uint64_t seed = 0x6b616373746f6b65ull; /* fixed: a failure names its round */
	for (int round = 0; round < 3000; round++) {
		uint64_t s = seed + (uint64_t)round * 0x9E3779B97F4A7C15ull;
		struct ck_kacs_token *t = random_token(&s);
		uint8_t *b, *b2;
		size_t n, n2;
		char what[64];
		snprintf(what, sizeof(what), "round %d", round);
		cr_assert_eq(ck_kacs_token_to_wire(t, &b, &n), 0, "%s", what);
		struct ck_kacs_token *back = from_wire_ok(b, n, CK_KACS_V0_20, what);
		assert_same_spec_fields(t, back, what);
		cr_assert_eq(ck_kacs_token_to_wire(back, &b2, &n2), 0, "%s", what);
		cr_assert(n == n2 && memcmp(b, b2, n) == 0, "%s: the bytes differ after a round trip", what);
		/* a copy of the parsed token is the same token */
		uint64_t next = 1;
		struct ck_kacs_token *c = ck_kacs_token_copy(back, CK_KACS_V0_20, &next);
		assert_same_spec_fields(back, c, what);
		ck_kacs_token_free(c);
		free(b);
		free(b2);
		ck_kacs_token_free(back);
		ck_kacs_token_free(t);
	}
}
