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
