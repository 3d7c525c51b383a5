/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AccessCheck, the two-check rule, the PSB and the process SD as vectors
 * from the spec (K20 = peios/learn specs/psd-004--kacs/v0.20, K22 = v0.22)
 * and from the design (KACS-SUPERVISOR.md): each vector names its source.
 * Then a randomized comparison with a reference evaluator written here,
 * bit by bit, apart from lib/kacs/access.c.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clonekit/kacs.h>

/* ---- Tokens, built as structs ---------------------------------------------------- */

#define ALICE_SID "S-1-5-21-1-2-3-1001"
#define BOB_SID "S-1-5-21-1-2-3-1002"
#define CAROL_SID "S-1-5-21-1-2-3-1003"

enum { IL_MEDIUM = 0, IL_UNTRUSTED, IL_LOW, IL_HIGH, IL_SYSTEM };
static const uint32_t il_rid[] = { CK_KACS_IL_MEDIUM, CK_KACS_IL_UNTRUSTED, CK_KACS_IL_LOW, CK_KACS_IL_HIGH,
				   CK_KACS_IL_SYSTEM };

#define P(luid) CK_KACS_PRIV(CK_KACS_SE_##luid)

struct tspec {
	const char *user;
	const char *groups;     /* "WD,AU,BU" (attributes 7) or "BA:6,WD" */
	int il;                 /* IL_* */
	uint64_t present, enabled;
	const char *restricted; /* restricting SIDs, "SID[:attrs],..."; NULL: none */
	bool write_restricted, user_deny_only, no_mic;
	int level;              /* 0 primary; else an impersonation token at level-1 */
};

#define USER_GROUPS "WD,AU,BU"
/* privileges present (disabled); each token says which it has enabled */
#define ALICE .user = ALICE_SID, .groups = USER_GROUPS, .present = P(DEBUG) | P(INCREASE_BASE_PRIORITY) | P(CHANGE_NOTIFY)
#define BOB .user = BOB_SID, .groups = USER_GROUPS, .present = P(DEBUG) | P(CHANGE_NOTIFY)
#define SYSTEM .user = "SY", .groups = "BA,WD,AU", .il = IL_SYSTEM, .present = ~UINT64_C(3), .enabled = ~UINT64_C(3)

/* The tokens of design §13. */
static const struct tspec alice = { ALICE };
static const struct tspec alice_low = { ALICE, .il = IL_LOW };
static const struct tspec alice_affinity = { ALICE, .enabled = P(INCREASE_BASE_PRIORITY) | P(CHANGE_NOTIFY) };
static const struct tspec alice_ident_debug = { ALICE, .enabled = P(DEBUG), .level = 1 + CK_KACS_IDENTIFICATION };
static const struct tspec bob = { BOB };
static const struct tspec bob_debug = { BOB, .enabled = P(DEBUG) | P(CHANGE_NOTIFY) };
static const struct tspec bob_imp = { BOB, .level = 1 + CK_KACS_IMPERSONATION };
static const struct tspec carol = { .user = CAROL_SID, .groups = USER_GROUPS ",BA:6" };
static const struct tspec carol_no_ba = { .user = CAROL_SID, .groups = USER_GROUPS ",BA:2" };
static const struct tspec sys = { SYSTEM };
static const struct tspec bob_restore = { BOB, .enabled = P(RESTORE) };
/* alice's impersonation token held by an unprotected process (the token says nothing of PIP) */
static const struct tspec alice_imp_signed_owner = { ALICE, .level = 1 + CK_KACS_IMPERSONATION };

static void sid_of(const char *text, struct ck_kacs_sid *sid)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	int r = ck_kacs_sid_parse(text, sid, &err);
	cr_assert_eq(r, 0, "SID %s: %s", text, err.message);
}

/* "A:7,B" into up to 64 entries. */
static uint32_t sid_list(const char *text, struct ck_kacs_sid_attr *out)
{
	uint32_t n = 0;
	char buf[1024], *save = NULL;
	if (!text || !*text)
		return 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(w, ':');
		out[n].attributes = CK_KACS_GROUP_MANDATORY | CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED;
		if (colon) {
			*colon = '\0';
			out[n].attributes = (uint32_t)strtoul(colon + 1, NULL, 16);
		}
		sid_of(w, &out[n].sid);
		n++;
	}
	return n;
}

static void tok_build(const struct tspec *s, struct ck_kacs_token *t)
{
	memset(t, 0, sizeof(*t));
	sid_of(s->user, &t->user);
	t->user_deny_only = s->user_deny_only;
	t->group_count = sid_list(s->groups, t->groups);
	if (s->restricted) {
		t->restricted = true;
		t->restricted_count = sid_list(s->restricted, t->restricted_sids);
	}
	t->write_restricted = s->write_restricted;
	t->privileges_present = s->present | s->enabled;
	t->privileges_enabled = s->enabled;
	t->type = s->level ? CK_KACS_TOKEN_IMPERSONATION : CK_KACS_TOKEN_PRIMARY;
	t->impersonation_level = s->level ? (enum ck_kacs_imp_level)(s->level - 1) : CK_KACS_ANONYMOUS;
	t->integrity_rid = il_rid[s->il];
	t->mandatory_policy = s->no_mic ? 0 : CK_KACS_POLICY_NO_WRITE_UP;
	t->elevation_type = 1;
}

static struct ck_kacs_sd *sddl(const char *text)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_sd *sd = NULL;
	int r = ck_kacs_sddl_parse(text, &sd, &err);
	cr_assert_eq(r, 0, "SDDL %s: %s", text, err.message);
	return sd;
}

/* ---- AccessCheck vectors ------------------------------------------------------------- */

#define K20_ALGO "K20 10-access-check/10-algorithm.md"
#define K20_WALK "K20 10-access-check/2-dacl-walk.md"
#define K20_MIC "K20 10-access-check/3-integrity.md"
#define K22_MIC "K22 10-access-check/3-integrity.md"
#define K20_RESTRICTED "K20 10-access-check/4-restricted-tokens.md"
#define K20_OBJPIP "K20 10-access-check/7-pip.md"
#define K20_OWNER "K20 3-security-descriptors/7-ownership.md"
#define K20_PSD "K20 5-psb/3-process-sd.md"
#define K20_TOKEN_RIGHTS "K20 4-tokens/8-access-rights.md"
#define K20_ENFORCE "K20 8-pip/2-enforcement-points.md"
#define K20_PROTECT "K20 8-pip/1-process-protection.md"
#define DESIGN "design KACS-SUPERVISOR.md"

/* Process rights by their short names. */
#define TERM CK_KACS_PROCESS_TERMINATE
#define SIG CK_KACS_PROCESS_SIGNAL
#define VMR CK_KACS_PROCESS_VM_READ
#define VMW CK_KACS_PROCESS_VM_WRITE
#define DUP CK_KACS_PROCESS_DUP_HANDLE
#define SI CK_KACS_PROCESS_SET_INFORMATION
#define QI CK_KACS_PROCESS_QUERY_INFORMATION
#define SR CK_KACS_PROCESS_SUSPEND_RESUME
#define QL CK_KACS_PROCESS_QUERY_LIMITED
#define RC CK_KACS_READ_CONTROL
#define WDAC CK_KACS_WRITE_DAC
#define WO CK_KACS_WRITE_OWNER
#define ASS CK_KACS_ACCESS_SYSTEM_SECURITY
#define MAX CK_KACS_MAXIMUM_ALLOWED
#define GA CK_KACS_GENERIC_ALL
#define GR CK_KACS_GENERIC_READ
#define GW CK_KACS_GENERIC_WRITE
#define GX CK_KACS_GENERIC_EXECUTE
#define P_GR 0x20410u
#define P_GW 0x40220u
#define P_GX 0x1801u
#define P_GA 0xE1E73u

/* What one bit's reason must be. */
struct reason {
	uint32_t bit;
	uint8_t why, acl;
	uint16_t ace, priv;
};

struct vec {
	const char *where, *what;
	const struct tspec *tok;
	const char *sd;                /* SDDL */
	uint32_t desired;
	enum ck_kacs_profile profile;
	uint32_t pip_type, pip_trust;  /* the caller's, for trust labels */
	unsigned intent;
	bool token_object;             /* the token mapping, not the process one */
	const char *label_sid;         /* after parsing, the SACL's ACE 0 gets this SID (one the strict SD parser refuses) */
	int error;
	uint32_t granted;
	uint64_t used;
	struct reason why[3];
};

#define OWNER_ALICE "O:" ALICE_SID "G:" ALICE_SID
#define ANYONE_GA "O:SYG:SYD:(A;;GA;;;WD)"

/* tokens for the vectors that need a twist */
static const struct tspec alice_ident = { ALICE, .level = 1 + CK_KACS_IDENTIFICATION };
static const struct tspec alice_anon = { ALICE, .level = 1 + CK_KACS_ANONYMOUS };
static const struct tspec alice_sec = { ALICE, .enabled = P(SECURITY) };
static const struct tspec alice_backup = { ALICE, .enabled = P(BACKUP) };
static const struct tspec alice_restore = { ALICE, .enabled = P(RESTORE) };
static const struct tspec alice_takeown = { ALICE, .enabled = P(TAKE_OWNERSHIP) };
static const struct tspec alice_low_takeown = { ALICE, .il = IL_LOW, .enabled = P(TAKE_OWNERSHIP) };
static const struct tspec alice_low_relabel = { ALICE, .il = IL_LOW, .enabled = P(TAKE_OWNERSHIP) | P(RELABEL) };
static const struct tspec alice_low_restore = { ALICE, .il = IL_LOW, .enabled = P(RESTORE) };
static const struct tspec alice_low_sec = { ALICE, .il = IL_LOW, .enabled = P(SECURITY) };
static const struct tspec alice_low_nomic = { ALICE, .il = IL_LOW, .no_mic = true };
static const struct tspec alice_r_wd = { ALICE, .restricted = "WD" };
static const struct tspec alice_r_wd0 = { ALICE, .restricted = "WD:0" };
static const struct tspec alice_r_restricted_wd = { ALICE, .restricted = "S-1-5-12,WD" };
static const struct tspec alice_r_restricted_backup = { ALICE, .restricted = "S-1-5-12", .enabled = P(BACKUP) };
static const struct tspec alice_wr_wd = { ALICE, .restricted = "WD", .write_restricted = true,
					  .user_deny_only = true };
static const struct tspec alice_r_self = { ALICE, .restricted = ALICE_SID };
static const struct tspec alice_r_empty = { ALICE, .restricted = "" };
static const struct tspec alice_bu_disabled = { .user = ALICE_SID, .groups = "WD,BU:0" };
static const struct tspec alice_bu_denyonly = { .user = ALICE_SID, .groups = "WD,BU:14" };
static const struct tspec alice_bu_denyonly_off = { .user = ALICE_SID, .groups = "WD,BU:10" };
static const struct tspec alice_user_denyonly = { ALICE, .user_deny_only = true };
static const struct tspec alice_high_token = { ALICE, .il = IL_HIGH };
static const struct tspec alice_backup_sec = { ALICE, .enabled = P(BACKUP) | P(SECURITY) | P(TAKE_OWNERSHIP) };
static const struct tspec owner_group_only = { .user = BOB_SID, .groups = ALICE_SID ":0,WD" };
static const struct tspec owner_group_denyonly = { .user = BOB_SID, .groups = ALICE_SID ":10,WD" };

#define W(b, y, a, i) { (b), CK_KACS_WHY_##y, (a), (i), 0 }
#define WP(b, y, p) { (b), CK_KACS_WHY_##y, 0, 0, CK_KACS_SE_##p }

static const struct vec vecs[] = {
	/* ---- the pipeline (10-algorithm.md) ---- */
	{ K20_ALGO " \"Pipeline overview\" step 0 (impersonation level gate)", "an Identification-level token is refused before anything",
	  &alice_ident, ANYONE_GA, QL, .error = -EACCES, .why = { W(QL, IDENTIFICATION, 0, 0) } },
	{ K20_ALGO " step 0", "an Anonymous-level token goes through the pipeline", &alice_anon, ANYONE_GA, QL,
	  .granted = QL, .why = { W(QL, ALLOW_ACE, 'D', 0) } },
	{ K20_ALGO " step 1 \"Input validation\"", "an SD without an owner is invalid", &alice, "D:(A;;GA;;;WD)", QL,
	  .error = -EINVAL },
	{ K20_ALGO " step 2 \"Generic mapping\"", "GENERIC_READ asks for QI|VM_READ|RC", &alice,
	  "O:SYD:(A;;GR;;;WD)", GR, .granted = P_GR, .why = { W(VMR, ALLOW_ACE, 'D', 0) } },
	{ K20_ALGO " step 2", "GENERIC_ALL against a GR-only DACL is refused", &alice, "O:SYD:(A;;GR;;;WD)", GA,
	  .error = -EACCES, .why = { W(VMW, NONE, 0, 0), W(VMR, ALLOW_ACE, 'D', 0) } },
	{ K20_WALK " \"MAXIMUM_ALLOWED\"", "the whole walk's grant", &alice,
	  "O:SYD:(A;;0x1000;;;WD)(A;;GR;;;AU)", MAX, .granted = QL | P_GR,
	  .why = { W(QL, ALLOW_ACE, 'D', 0), W(QI, ALLOW_ACE, 'D', 1) } },
	{ K20_WALK " \"MAXIMUM_ALLOWED\"", "a pure MAXIMUM_ALLOWED request always succeeds", &alice, "O:SYD:", MAX,
	  .granted = 0 },
	{ K20_WALK " \"MAXIMUM_ALLOWED\"", "MAXIMUM_ALLOWED|READ_CONTROL still asks READ_CONTROL", &alice, "O:SYD:",
	  MAX | RC, .error = -EACCES },
	{ K20_ALGO " step 4", "ACCESS_SYSTEM_SECURITY only by privilege, never by an ACE", &alice,
	  "O:SYD:(A;;0x1000000;;;WD)", ASS, .error = -EACCES, .why = { WP(ASS, NONE, SECURITY) } },
	{ K20_ALGO " step 4", "SeSecurityPrivilege grants ACCESS_SYSTEM_SECURITY and is used", &alice_sec,
	  "O:SYD:", ASS, .granted = ASS, .used = P(SECURITY), .why = { WP(ASS, PRIVILEGE, SECURITY) } },
	{ K20_ALGO " step 3 \"Effective privileges\"", "SeBackupPrivilege without BACKUP intent does nothing",
	  &alice_backup, "O:SYD:(A;;GA;;;SY)", GR, .error = -EACCES },
	{ K20_ALGO " step 4", "SeBackupPrivilege with intent grants the read-mapped bits", &alice_backup,
	  "O:SYD:(A;;GA;;;SY)", GR, .intent = CK_KACS_INTENT_BACKUP, .granted = P_GR, .used = P(BACKUP),
	  .why = { WP(QI, PRIVILEGE, BACKUP) } },
	{ K20_ALGO " step 4", "SeBackupPrivilege grants no write bit", &alice_backup, "O:SYD:(A;;GA;;;SY)", VMW,
	  .intent = CK_KACS_INTENT_BACKUP, .error = -EACCES },
	{ K20_ALGO " step 4", "SeRestorePrivilege with intent: GW|WD|WO|DELETE|ASS", &alice_restore,
	  "O:SYD:(A;;GA;;;SY)", GW | WO | CK_KACS_DELETE | ASS, .intent = CK_KACS_INTENT_RESTORE,
	  .granted = P_GW | WO | CK_KACS_DELETE | ASS, .used = P(RESTORE), .why = { WP(WO, PRIVILEGE, RESTORE) } },
	{ K20_ALGO " step 3", "SeRestorePrivilege without RESTORE intent does nothing", &alice_restore,
	  "O:SYD:(A;;GA;;;SY)", WO, .error = -EACCES },
	{ K20_ALGO " step 9", "SeTakeOwnershipPrivilege is deny-proof", &alice_takeown,
	  "O:SYD:(D;;WO;;;WD)(A;;GA;;;WD)", WO, .granted = WO, .used = P(TAKE_OWNERSHIP),
	  .why = { WP(WO, PRIVILEGE, TAKE_OWNERSHIP) } },
	{ K20_ALGO " step 9", "without it the deny ACE decides", &alice, "O:SYD:(D;;WO;;;WD)(A;;GA;;;WD)", WO,
	  .error = -EACCES, .why = { W(WO, DENY_ACE, 'D', 0) } },
	{ K20_ALGO " step 9", "SeTakeOwnershipPrivilege is not used when the DACL grants WRITE_OWNER",
	  &alice_takeown, "O:SYD:(A;;WO;;;WD)", WO, .granted = WO, .why = { W(WO, ALLOW_ACE, 'D', 0) } },
	{ K20_ALGO " step 9", "SeTakeOwnershipPrivilege does not pass MIC", &alice_low_takeown, ANYONE_GA, WO,
	  .error = -EACCES, .why = { W(WO, INTEGRITY, 0, 0) } },
	{ K20_MIC " \"SeRelabelPrivilege\"", "SeRelabelPrivilege lets the DACL grant WRITE_OWNER through MIC",
	  &alice_low_relabel, ANYONE_GA, WO, .granted = WO, .used = CK_KACS_PRIV(CK_KACS_SE_RELABEL),
	  .why = { W(WO, ALLOW_ACE, 'D', 0) } },
	{ K20_OBJPIP " \"Privilege revocation\"", "SeTakeOwnershipPrivilege does not pass a trust label",
	  &alice_takeown, ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", WO, .error = -EACCES,
	  .why = { W(WO, TRUST_LABEL, 'S', 0) } },

	/* ---- the restricted pass (4-restricted-tokens.md) ---- */
	{ K20_RESTRICTED " (its opening: the two passes)", "access is the intersection of both passes", &alice_r_wd,
	  "O:SYD:(A;;GA;;;" ALICE_SID ")(A;;0x1000;;;WD)", MAX, .granted = QL, .why = { W(QL, ALLOW_ACE, 'D', 0) } },
	{ K20_RESTRICTED " (its opening: the two passes)", "a right only the normal pass grants is refused", &alice_r_wd,
	  "O:SYD:(A;;GA;;;" ALICE_SID ")(A;;0x1000;;;WD)", TERM, .error = -EACCES,
	  .why = { W(TERM, RESTRICTED, 0, 0) } },
	{ K20_RESTRICTED " (its opening: the two passes)", "restricting SIDs are presence-based: attributes 0 still match", &alice_r_wd0,
	  "O:SYD:(A;;GA;;;" ALICE_SID ")(A;;0x1000;;;WD)", QL, .granted = QL },
	{ K20_RESTRICTED " (its opening: the two passes)", "a deny ACE of the restricted pass", &alice_r_restricted_wd,
	  "O:SYD:(D;;0x1;;;S-1-5-12)(A;;GA;;;WD)", TERM, .error = -EACCES, .why = { W(TERM, RESTRICTED, 'R', 0) } },
	{ K20_RESTRICTED " \"Privileges bypass the restricted pass\"", "backup's bits survive the intersection",
	  &alice_r_restricted_backup, ANYONE_GA, GR, .intent = CK_KACS_INTENT_BACKUP, .granted = P_GR,
	  .used = P(BACKUP) },
	{ K20_RESTRICTED " \"Privileges bypass the restricted pass\"", "but nothing else does",
	  &alice_r_restricted_backup, ANYONE_GA, GR | TERM, .intent = CK_KACS_INTENT_BACKUP, .error = -EACCES,
	  .used = P(BACKUP), .why = { W(TERM, RESTRICTED, 0, 0), WP(QI, PRIVILEGE, BACKUP) } },
	{ K20_RESTRICTED " \"Write-restricted tokens\"", "only the write bits are intersected", &alice_wr_wd,
	  "O:SYD:(A;;GA;;;AU)(A;;GR;;;WD)", MAX, .granted = P_GA & ~P_GW },
	{ K20_RESTRICTED " \"Owner implicit rights in the restricted pass\"", "not when the owner is no restricting SID",
	  &alice_r_wd, OWNER_ALICE "D:", RC, .error = -EACCES, .why = { W(RC, RESTRICTED, 0, 0) } },
	{ K20_RESTRICTED " \"Owner implicit rights in the restricted pass\"", "granted when the owner is one",
	  &alice_r_self, OWNER_ALICE "D:", RC | WDAC, .granted = RC | WDAC, .why = { W(RC, OWNER, 0, 0) } },
	{ K20_RESTRICTED " \"Virtual groups in the restricted pass\"", "OWNER RIGHTS matches in the restricted pass",
	  &alice_r_self, OWNER_ALICE "D:(A;;0x1;;;OW)", TERM, .granted = TERM },
	{ K20_ALGO " step 10 (\"is not empty\")", "an empty restricting list has no restricted pass", &alice_r_empty,
	  ANYONE_GA, TERM, .granted = TERM },

	/* ---- the DACL walk (2-dacl-walk.md) ---- */
	{ K20_WALK " first-writer-wins", "an allow before a deny grants", &alice, "O:SYD:(A;;0x1;;;WD)(D;;0x1;;;WD)",
	  TERM, .granted = TERM, .why = { W(TERM, ALLOW_ACE, 'D', 0) } },
	{ K20_WALK " first-writer-wins", "a deny before an allow refuses", &alice, "O:SYD:(D;;0x1;;;WD)(A;;0x1;;;WD)",
	  TERM, .error = -EACCES, .why = { W(TERM, DENY_ACE, 'D', 0) } },
	{ K20_WALK " \"SID matching\"", "a disabled group matches no allow ACE", &alice_bu_disabled,
	  "O:SYD:(A;;GA;;;BU)", TERM, .error = -EACCES, .why = { W(TERM, NONE, 0, 0) } },
	{ K20_WALK " \"SID matching\"", "a disabled group matches no deny ACE either", &alice_bu_disabled,
	  "O:SYD:(D;;0x1;;;BU)(A;;0x1;;;WD)", TERM, .granted = TERM, .why = { W(TERM, ALLOW_ACE, 'D', 1) } },
	{ K20_WALK " \"SID matching\"", "a deny-only group matches no allow ACE", &alice_bu_denyonly,
	  "O:SYD:(A;;GA;;;BU)", TERM, .error = -EACCES },
	{ K20_WALK " \"SID matching\"", "a deny-only group matches deny ACEs", &alice_bu_denyonly,
	  "O:SYD:(D;;0x1;;;BU)(A;;0x1;;;WD)", TERM, .error = -EACCES, .why = { W(TERM, DENY_ACE, 'D', 0) } },
	{ K20_WALK " \"SID matching\"", "deny-only matches deny whatever its enabled bit", &alice_bu_denyonly_off,
	  "O:SYD:(D;;0x1;;;BU)(A;;0x1;;;WD)", TERM, .error = -EACCES, .why = { W(TERM, DENY_ACE, 'D', 0) } },
	{ K20_WALK " \"SID matching\"", "user_deny_only: the user SID matches no allow ACE", &alice_user_denyonly,
	  "O:SYD:(A;;GA;;;" ALICE_SID ")", TERM, .error = -EACCES },
	{ K20_WALK " \"SID matching\"", "user_deny_only: the user SID matches deny ACEs", &alice_user_denyonly,
	  "O:SYD:(D;;0x1;;;" ALICE_SID ")(A;;0x1;;;WD)", TERM, .error = -EACCES,
	  .why = { W(TERM, DENY_ACE, 'D', 0) } },
	{ K20_WALK " \"Inherit-only ACEs\"", "an inherit-only allow is skipped", &alice, "O:SYD:(A;IO;GA;;;WD)", TERM,
	  .error = -EACCES },
	{ K20_WALK " \"Inherit-only ACEs\"", "an inherit-only deny is skipped", &alice,
	  "O:SYD:(D;IO;0x1;;;WD)(A;;0x1;;;WD)", TERM, .granted = TERM, .why = { W(TERM, ALLOW_ACE, 'D', 1) } },
	{ K20_WALK " \"ACE mask mapping\"", "an ACE's GX grants TERMINATE|SUSPEND_RESUME|QL", &alice,
	  "O:SYD:(A;;GX;;;WD)", TERM | SR | QL, .granted = TERM | SR | QL },
	{ K20_WALK " \"NULL DACL\"", "no DACL grants MapGenericBits(GENERIC_ALL)", &alice, "O:SYG:SY", MAX,
	  .granted = P_GA, .why = { W(VMW, NULL_DACL, 0, 0) } },
	{ K20_WALK " \"NULL DACL\"", "but no bit outside it", &alice, "O:SYG:SY", CK_KACS_SYNCHRONIZE,
	  .error = -EACCES },
	{ K20_WALK " \"Empty DACL\"", "an empty DACL grants a non-owner nothing", &alice, "O:SYD:", MAX, .granted = 0 },
	{ K20_WALK " \"Empty DACL\"", "the owner gets only READ_CONTROL|WRITE_DAC", &alice, OWNER_ALICE "D:", MAX,
	  .granted = RC | WDAC, .why = { W(RC, OWNER, 0, 0), W(WDAC, OWNER, 0, 0) } },
	{ K20_WALK " \"Owner implicit rights\"", "granted before the walk: a deny ACE does not take them", &alice,
	  OWNER_ALICE "D:(D;;RC;;;WD)", RC, .granted = RC, .why = { W(RC, OWNER, 0, 0) } },
	{ K20_OWNER " \"OWNER RIGHTS\"", "an OWNER RIGHTS ACE suppresses the implicit grant", &alice,
	  OWNER_ALICE "D:(A;;RC;;;OW)", WDAC, .error = -EACCES },
	{ K20_OWNER " \"OWNER RIGHTS\"", "and S-1-3-4 matches the owner", &alice, OWNER_ALICE "D:(A;;RC;;;OW)", RC,
	  .granted = RC, .why = { W(RC, ALLOW_ACE, 'D', 0) } },
	{ K20_OWNER " \"OWNER RIGHTS\"", "a deny for OWNER RIGHTS: suppress owner rights", &alice,
	  OWNER_ALICE "D:(D;;RC;;;OW)(A;;GA;;;WD)", RC, .error = -EACCES, .why = { W(RC, DENY_ACE, 'D', 0) } },
	{ K20_OWNER " \"OWNER RIGHTS\"", "an inherit-only OWNER RIGHTS ACE does not suppress", &alice,
	  OWNER_ALICE "D:(A;IO;0x1;;;OW)", RC | WDAC, .granted = RC | WDAC },
	{ K20_OWNER " \"OWNER RIGHTS\"", "S-1-3-4 does not match a non-owner", &bob, OWNER_ALICE "D:(A;;GA;;;OW)",
	  TERM, .error = -EACCES },
	{ K20_OWNER " (ownership by SID equality)", "an owner group, even disabled, gets the implicit rights",
	  &owner_group_only, OWNER_ALICE "D:", RC | WDAC, .granted = RC | WDAC },
	{ K20_ALGO " \"EnrichToken\"", "S-1-3-4 needs the owner to match for allow (a deny-only owner group: no)",
	  &owner_group_denyonly, OWNER_ALICE "D:(A;;0x1;;;OW)", TERM, .error = -EACCES },

	/* ---- MIC (3-integrity.md) ---- */
	{ K20_MIC " \"Default label\"", "unlabelled: Medium NO_WRITE_UP; Low gets read and execute", &alice_low,
	  ANYONE_GA, MAX, .granted = P_GR | P_GX, .why = { W(VMW, INTEGRITY, 0, 0), W(SIG, INTEGRITY, 0, 0) } },
	{ K20_MIC " \"Default label\"", "Low cannot write an unlabelled object", &alice_low, ANYONE_GA, VMW,
	  .error = -EACCES, .why = { W(VMW, INTEGRITY, 0, 0) } },
	{ K20_MIC " \"MIC and privileges\"", "privilege grants are not constrained by MIC", &alice_low_restore,
	  ANYONE_GA, VMW, .intent = CK_KACS_INTENT_RESTORE, .granted = VMW, .used = P(RESTORE),
	  .why = { WP(VMW, PRIVILEGE, RESTORE) } },
	{ K20_MIC " \"MIC and privileges\"", "MIC does not block ACCESS_SYSTEM_SECURITY", &alice_low_sec, ANYONE_GA,
	  ASS, .granted = ASS, .used = P(SECURITY) },
	{ K20_MIC " \"Token integrity policy\"", "without NO_WRITE_UP in the token's policy MIC is off",
	  &alice_low_nomic, ANYONE_GA, VMW, .granted = VMW },
	{ K20_MIC " \"Dominant callers\"", "an equal level decides nothing", &alice, ANYONE_GA "S:(ML;;NW;;;ME)", VMW,
	  .granted = VMW },
	{ K20_MIC " \"Dominant callers\"", "Medium below a High label cannot write", &alice,
	  ANYONE_GA "S:(ML;;NW;;;HI)", VMW, .error = -EACCES, .why = { W(VMW, INTEGRITY, 'S', 0) } },
	{ K20_MIC " \"Multiple labels\"", "the first non-inherit-only label counts", &alice_low,
	  ANYONE_GA "S:(ML;IO;NW;;;HI)(ML;;NW;;;LW)", VMW, .granted = VMW },
	{ K20_MIC " \"Label SID validity\"", "S-1-16-8448 is no v0.20 level", &alice, ANYONE_GA "S:(ML;;NW;;;ME)",
	  QL, .label_sid = "S-1-16-8448", .error = -EINVAL },
	{ K22_MIC " \"Label SID validity\"", "under v0.22 S-1-16-8448 is a level, above Medium", &alice,
	  ANYONE_GA "S:(ML;;NW;;;ME)", VMW, .label_sid = "S-1-16-8448", .profile = CK_KACS_V0_22, .error = -EACCES,
	  .why = { W(VMW, INTEGRITY, 'S', 0) } },
	{ K22_MIC " \"Label SID validity\"", "and compared numerically: 8192 < 8448 < 12288", &alice_high_token,
	  ANYONE_GA "S:(ML;;NW;;;ME)", VMW, .label_sid = "S-1-16-8448", .profile = CK_KACS_V0_22, .granted = VMW },
	{ K20_MIC " \"Label SID validity\"", "a label outside S-1-16 is malformed", &alice, ANYONE_GA "S:(ML;;NW;;;ME)",
	  QL, .label_sid = "SY", .error = -EINVAL },
	{ K22_MIC " \"Label SID validity\"", "also under v0.22 (two sub-authorities)", &alice,
	  ANYONE_GA "S:(ML;;NW;;;ME)", QL, .label_sid = "S-1-16-8192-1", .profile = CK_KACS_V0_22, .error = -EINVAL },
	{ K20_MIC " \"Label policy bits\"", "NO_READ_UP takes the read bits", &alice_low,
	  ANYONE_GA "S:(ML;;0x3;;;ME)", VMR, .error = -EACCES, .why = { W(VMR, INTEGRITY, 'S', 0) } },
	{ K20_MIC " \"Label policy bits\"", "NO_READ_UP leaves execute", &alice_low, ANYONE_GA "S:(ML;;0x3;;;ME)",
	  TERM, .granted = TERM },
	{ K20_MIC " \"Label policy bits\"", "NO_EXECUTE_UP takes the execute bits", &alice_low,
	  ANYONE_GA "S:(ML;;0x6;;;ME)", TERM, .error = -EACCES },
	{ K20_MIC " \"Label policy bits\"", "NO_EXECUTE_UP leaves read", &alice_low, ANYONE_GA "S:(ML;;0x6;;;ME)",
	  VMR | QI, .granted = VMR | QI },
	{ K20_MIC " \"Label policy bits\"", "unknown bits are ignored", &alice_low, ANYONE_GA "S:(ML;;0x8;;;ME)",
	  MAX, .granted = P_GR | P_GX },
	{ K20_MIC " \"Label policy bits\"", "0x1 is NO_READ_UP, not Windows' NO_WRITE_UP", &alice_low,
	  ANYONE_GA "S:(ML;;0x1;;;ME)", MAX, .granted = P_GX },
	{ K22_MIC " \"MIC enforcement algorithm\"", "READ_CONTROL stays allowed under NO_READ_UP", &alice_low,
	  ANYONE_GA "S:(ML;;0x3;;;ME)", RC, .profile = CK_KACS_V0_22, .granted = RC },
	{ K20_MIC " \"MIC enforcement algorithm\"", "not under v0.20", &alice_low, ANYONE_GA "S:(ML;;0x3;;;ME)", RC,
	  .error = -EACCES, .why = { W(RC, INTEGRITY, 'S', 0) } },

	/* ---- object PIP (7-pip.md) ---- */
	{ K20_OBJPIP " \"PIP enforcement algorithm\"", "a non-dominant caller gets only the trust label's mask", &alice,
	  ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", MAX, .granted = QL },
	{ K20_OBJPIP " \"PIP enforcement algorithm\"", "the rest is refused by the label", &alice, ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", TERM,
	  .error = -EACCES, .why = { W(TERM, TRUST_LABEL, 'S', 0) } },
	{ K20_OBJPIP " \"PIP enforcement algorithm\"", "a dominant caller is not restricted", &alice, ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)",
	  MAX, .pip_type = 512, .pip_trust = 8192, .granted = P_GA },
	{ K20_OBJPIP " \"PIP enforcement algorithm\"", "dominance needs both axes: a higher type with a lower trust does not dominate", &alice,
	  ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", TERM, .pip_type = 1024, .pip_trust = 4096,
	  .error = -EACCES },
	{ K20_OBJPIP " \"Trust-label SID validity\"", "other numeric types compare numerically", &alice,
	  ANYONE_GA "S:(TL;;0x0;;;S-1-19-700-1)", TERM, .pip_type = 800, .pip_trust = 1, .granted = TERM },
	{ K20_OBJPIP " \"Trust-label SID validity\"", "and below them do not dominate", &alice,
	  ANYONE_GA "S:(TL;;0x0;;;S-1-19-700-1)", TERM, .pip_type = 600, .pip_trust = 5, .error = -EACCES },
	{ K20_OBJPIP " \"Trust-label SID validity\"", "S-1-19-512 (one sub-authority) is malformed", &alice,
	  ANYONE_GA "S:(TL;;0x0;;;S-1-19-512-1)", QL, .label_sid = "S-1-19-512", .error = -EINVAL },
	{ K20_OBJPIP " \"Trust-label SID validity\"", "a trust label outside S-1-19 is malformed", &alice,
	  ANYONE_GA "S:(TL;;0x0;;;S-1-19-512-1)", QL, .label_sid = "S-1-16-8192", .error = -EINVAL },
	{ K20_OBJPIP " \"Privilege revocation\"", "PIP takes back ACCESS_SYSTEM_SECURITY", &alice_sec,
	  ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", ASS, .error = -EACCES,
	  .why = { W(ASS, TRUST_LABEL, 'S', 0) } },
	{ K20_OBJPIP " \"Privilege revocation\"", "PIP takes back backup's bits, and the privilege is not used",
	  &alice_backup, ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", VMR, .intent = CK_KACS_INTENT_BACKUP,
	  .error = -EACCES, .why = { W(VMR, TRUST_LABEL, 'S', 0) } },
	{ K20_OBJPIP " \"Multiple trust labels\"", "the first non-inherit-only trust label counts", &alice,
	  ANYONE_GA "S:(TL;IO;0x0;;;S-1-19-1024-9)(TL;;0x1000;;;S-1-19-512-8192)", MAX, .granted = QL },
	{ K20_OBJPIP " \"No default\"", "no trust label: no PIP restriction", &alice, ANYONE_GA, MAX,
	  .granted = P_GA },
	{ K20_ALGO " step 13", "a privilege whose bits do not survive is not marked used", &alice_backup_sec,
	  ANYONE_GA "S:(TL;;0x1000;;;S-1-19-512-8192)", MAX | VMR, .intent = CK_KACS_INTENT_BACKUP,
	  .error = -EACCES },

	/* ---- the default token SD against the token mapping ---- */
	{ K20_TOKEN_RIGHTS " \"Default token SD\", \"Generic mapping\"", "the token's user may query it", &alice,
	  "O:SYD:(A;;0xE8;;;" ALICE_SID ")(A;;0xF01FF;;;SY)", CK_KACS_TOKEN_QUERY, .token_object = true,
	  .granted = CK_KACS_TOKEN_QUERY },
	{ K20_TOKEN_RIGHTS " \"Default token SD\", \"Generic mapping\"", "but not duplicate it", &alice, "O:SYD:(A;;0xE8;;;" ALICE_SID ")(A;;0xF01FF;;;SY)",
	  CK_KACS_TOKEN_DUPLICATE, .token_object = true, .error = -EACCES },
	{ K20_TOKEN_RIGHTS " \"Default token SD\", \"Generic mapping\"", "token GENERIC_READ maps to 0x20008", &sys,
	  "O:SYD:(A;;0xE8;;;" ALICE_SID ")(A;;0xF01FF;;;SY)", GR, .token_object = true, .granted = 0x20008 },
};

static void run_vec(const struct vec *v)
{
	struct ck_kacs_token t;
	struct ck_kacs_sd *sd = sddl(v->sd);
	struct ck_kacs_access_request req = {
		.size = sizeof(req),
		.desired = v->desired,
		.map = v->token_object ? ck_kacs_token_mapping() : NULL,
		.pip_type = v->pip_type,
		.pip_trust = v->pip_trust,
		.intent = v->intent,
		.profile = v->profile,
	};
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	char why[1024];

	tok_build(v->tok, &t);
	if (v->label_sid)
		sid_of(v->label_sid, &sd->sacl.aces[0].sid);
	int r = ck_kacs_access_check(&t, sd, &req, &res);
	ck_kacs_access_explain(&res, sd, req.map, why, sizeof(why));
	cr_expect_eq(r, v->error, "%s: %s: returned %d, expected %d (%s)", v->where, v->what, r, v->error, why);
	cr_expect_eq(res.error, r, "%s: %s: res.error %d", v->where, v->what, res.error);
	cr_expect_eq(res.granted, v->granted, "%s: %s: granted %#x, expected %#x (%s)", v->where, v->what,
		     res.granted, v->granted, why);
	if (v->error != -EINVAL)
		cr_expect_eq(res.privileges_used, v->used, "%s: %s: privileges used %#llx, expected %#llx", v->where,
			     v->what, (unsigned long long)res.privileges_used, (unsigned long long)v->used);
	for (size_t i = 0; i < 3 && v->why[i].bit; i++) {
		unsigned b = (unsigned)__builtin_ctz(v->why[i].bit);
		cr_expect(res.bit[b].why == v->why[i].why && res.bit[b].acl == v->why[i].acl &&
				  res.bit[b].ace == v->why[i].ace && res.bit[b].privilege == v->why[i].priv,
			  "%s: %s: bit %#x: why %u acl %c ace %u priv %u, expected why %u acl %c ace %u priv %u (%s)",
			  v->where, v->what, v->why[i].bit, res.bit[b].why, res.bit[b].acl ? res.bit[b].acl : '0',
			  res.bit[b].ace, res.bit[b].privilege, v->why[i].why, v->why[i].acl ? v->why[i].acl : '0',
			  v->why[i].ace, v->why[i].priv, why);
	}
	ck_kacs_sd_free(sd);
}

Test(kacs_access, spec_vectors)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		run_vec(&vecs[i]);
}

/* ---- The two-check rule and the operations (design §9, §13; K20 8-pip/) ---------------- */

static const struct ck_kacs_psb psb_none = { 0 };
static const struct ck_kacs_psb psb_signed = { .pip_type = CK_KACS_PIP_PROTECTED, .pip_trust = 8192 };

struct ovec {
	const char *where, *what;
	const struct tspec *subject;
	const struct ck_kacs_psb *caller;
	const struct tspec *target_owner; /* the target's SD: the default one made from this token */
	const char *target_sddl;          /* or this */
	const struct ck_kacs_psb *target;
	enum ck_kacs_process_op op;
	long arg;
	bool same;
	enum ck_kacs_profile profile;
	int error;
	uint64_t used;
	uint8_t why; /* of the right's lowest bit, when not 0 */
};

#define C13(n) DESIGN " §13 case " #n
#define WHY(w) CK_KACS_WHY_##w
#define ALICE_SD "O:" ALICE_SID "G:" ALICE_SID

static const struct ovec ovecs[] = {
	{ C13(5), "bob's impersonation token sends SIGTERM to alice", &bob_imp, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM, .error = -EACCES, .why = WHY(NONE) },
	{ C13(5), "after kacs_revert the SYSTEM primary token sends it", &sys, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM, .why = WHY(ALLOW_ACE) },
	{ C13(8), "alice-low SIGSTOP to alice: SUSPEND_RESUME is in GE", &alice_low, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGSTOP },
	{ C13(8), "alice-low kill(p, 0): QUERY_LIMITED is in GE", &alice_low, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_SIGNAL, .arg = 0 },
	{ C13(8), "alice-low SIGWINCH to alice: PROCESS_SIGNAL is write-up", &alice_low, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGWINCH, .error = -EACCES, .why = WHY(INTEGRITY) },
	{ C13(8), "alice-low process_vm_readv: VM_READ is in GR", &alice_low, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_VM_READV },
	{ C13(8), "alice-low process_vm_writev: EPERM", &alice_low, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_VM_WRITEV,
	  .error = -EPERM, .why = WHY(INTEGRITY) },
	{ C13(8), "alice-low PTRACE_ATTACH: EACCES", &alice_low, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES, .why = WHY(INTEGRITY) },
	{ C13(8), "alice-low SIGKILL: TERMINATE is in GE", &alice_low, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL,
	  SIGKILL },
	{ C13(8), "alice-low SIGWINCH to itself under v0.20: the unlabelled SD counts as Medium", &alice_low,
	  &psb_none, &alice_low, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGWINCH, .same = true, .error = -EACCES,
	  .why = WHY(INTEGRITY) },
	{ C13(8), "alice-low SIGWINCH to itself under v0.22: labelled Low", &alice_low, &psb_none, &alice_low, NULL,
	  &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGWINCH, .same = true, .profile = CK_KACS_V0_22, .why = WHY(ALLOW_ACE) },
	{ C13(9), "bob kill(p, 0): Everyone has QL", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = 0,
	  .why = WHY(ALLOW_ACE) },
	{ C13(9), "bob pidfd_open", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_PIDFD_OPEN },
	{ C13(9), "bob getpgid", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_GETPGID },
	{ C13(9), "bob SIGTERM", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM, .error = -EACCES },
	{ C13(9), "bob SIGCONT", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGCONT, .error = -EACCES },
	{ C13(9), "bob SIGCHLD", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGCHLD, .error = -EACCES },
	{ C13(9), "bob setpriority", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SCHED_SET, .error = -EACCES },
	{ C13(9), "bob prlimit64 read", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_PRLIMIT_GET, .error = -EACCES },
	{ C13(9), "bob sched_getaffinity", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SCHED_GET, .error = -EACCES },
	{ C13(9), "bob open_process_token(QUERY)", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_OPEN_PROCESS_TOKEN,
	  .error = -EACCES },
	{ C13(10), "carol (BA) sends SIGTERM to alice", &carol, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL,
	  SIGTERM },
	{ C13(10), "carol with BA disabled", &carol_no_ba, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM,
	  .error = -EACCES },
	{ C13(11), "bob PTRACE_ATTACH with SeDebug present but disabled", &bob, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES, .why = WHY(NONE) },
	{ C13(11), "bob with SeDebug enabled: attached, SeDebug used", &bob_debug, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_PTRACE_ATTACH, .used = P(DEBUG), .why = WHY(DEBUG) },
	{ C13(12), "bob+SeDebug attaches a protected alice: PIP", &bob_debug, &psb_none, &alice, NULL, &psb_signed,
	  .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES, .used = P(DEBUG), .why = WHY(PIP) },
	{ C13(12), "bob+SeDebug SIGTERM", &bob_debug, &psb_none, &alice, NULL, &psb_signed, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM,
	  .error = -EACCES, .used = P(DEBUG), .why = WHY(PIP) },
	{ C13(12), "bob+SeDebug kill(p, 0)", &bob_debug, &psb_none, &alice, NULL, &psb_signed, .op = CK_KACS_OP_SIGNAL, .arg = 0,
	  .error = -EACCES, .why = WHY(PIP) },
	{ C13(12), "bob+SeDebug pidfd_open", &bob_debug, &psb_none, &alice, NULL, &psb_signed, .op = CK_KACS_OP_PIDFD_OPEN,
	  .error = -EACCES, .why = WHY(PIP) },
	{ C13(12), "bob+SeDebug process_vm_readv: EPERM, PIP is never bypassed", &bob_debug, &psb_none, &alice, NULL,
	  &psb_signed, .op = CK_KACS_OP_VM_READV, .error = -EPERM, .used = P(DEBUG), .why = WHY(PIP) },
	{ C13(12), "SYSTEM (unsigned) attaches the protected process", &sys, &psb_none, &alice, NULL, &psb_signed,
	  .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES, .why = WHY(PIP) },
	{ C13(13), "a second signed alice process dominates the first (512>=512, 8192>=8192)", &alice, &psb_signed,
	  &alice, NULL, &psb_signed, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM },
	{ C13(14), "after an unsigned exec PIP is None and bob+SeDebug attaches", &bob_debug, &psb_none, &alice,
	  NULL, &psb_none, .op = CK_KACS_OP_PTRACE_ATTACH, .used = P(DEBUG) },
	{ C13(16), "pidfd_open of a child that execed a signed binary", &alice, &psb_none, &alice, NULL, &psb_signed,
	  .op = CK_KACS_OP_PIDFD_OPEN, .error = -EACCES, .why = WHY(PIP) },
	{ C13(16), "open_process_token of it", &alice, &psb_none, &alice, NULL, &psb_signed, .op = CK_KACS_OP_OPEN_PROCESS_TOKEN,
	  .error = -EACCES, .why = WHY(PIP) },
	{ C13(18), "alice sets NO_CHILD on another alice process", &alice, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_SET_PSB },
	{ C13(18), "bob does the same", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SET_PSB, .error = -EACCES },
	{ C13(19), "alice attaches her own CLONE_UNTRACED child (owner GA)", &alice, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_PTRACE_ATTACH, .why = WHY(ALLOW_ACE) },
	{ C13(19), "alice-low attaches such a child", &alice_low, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES },
	{ C13(20), "P (bob) signals the CLONE_PARENT child whose SD came from A (alice)", &bob, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM, .error = -EACCES },
	{ C13(20), "A (alice) signals it", &alice, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM },
	{ C13(20), "P reads its SD owner: no READ_CONTROL", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_GET_SD,
	  CK_KACS_SECINFO_OWNER, .error = -EACCES },
	{ C13(20), "A reads it", &alice, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_GET_SD, .arg = CK_KACS_SECINFO_OWNER },
	{ C13(21), "C sets its own DACL (WRITE_DAC through GA)", &alice, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_SET_SD, .arg = CK_KACS_SECINFO_DACL, .same = true, .why = WHY(OWNER) },
	{ C13(21), "then PTRACE_TRACEME with P's token: the owner's implicit rights are only RC|WD", &alice,
	  &psb_none, NULL, ALICE_SD "D:(A;;GA;;;SY)", &psb_none, .op = CK_KACS_OP_PTRACE_TRACEME, .error = -EACCES,
	  .why = WHY(NONE) },
	{ C13(21), "bob sets alice's DACL", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SET_SD, .arg = CK_KACS_SECINFO_DACL,
	  .error = -EACCES },
	{ C13(21), "bob with SeDebug: no bypass for the SD", &bob_debug, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SET_SD,
	  CK_KACS_SECINFO_DACL, .error = -EACCES },
	{ C13(22), "SYSTEM reads the regenerated SD's owner", &sys, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_GET_SD,
	  CK_KACS_SECINFO_OWNER },
	{ C13(23), "bob pidfd_getfd on alice: EPERM", &bob, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_PIDFD_GETFD,
	  .error = -EPERM },
	{ C13(23), "alice on her own child", &alice, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_PIDFD_GETFD },
	{ C13(24), "sched_setaffinity of another alice without SeIncreaseBasePriority", &alice, &psb_none, &alice,
	  NULL, &psb_none, .op = CK_KACS_OP_SETAFFINITY, .error = -EACCES, .why = WHY(NONE) },
	{ C13(24), "with it enabled", &alice_affinity, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SETAFFINITY,
	  .used = P(INCREASE_BASE_PRIORITY) },
	{ C13(24), "perf_event_open(pid=0) without SeProfileSingleProcess: EPERM", &alice, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_PERF_EVENT_OPEN, .same = true, .error = -EPERM, .why = WHY(NONE) },

	/* K20 8-pip/2-enforcement-points.md */
	{ K20_ENFORCE " \"CPU affinity\"", "SeDebugPrivilege does not stand in for SeIncreaseBasePriorityPrivilege",
	  &bob_debug, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SETAFFINITY, .error = -EACCES, .used = P(DEBUG) },
	{ K20_ENFORCE " \"CPU affinity\"", "the same process is no boundary", &alice, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_SETAFFINITY, .same = true, .why = WHY(SAME_PROCESS) },
	{ K20_ENFORCE " \"Performance monitoring\"", "across processes QUERY_INFORMATION too", &bob, &psb_none,
	  &alice, NULL, &psb_none, .op = CK_KACS_OP_PERF_EVENT_OPEN, .error = -EPERM },
	{ K20_ENFORCE " \"ptrace\"", "PTRACE_TRACEME: VM_WRITE on the caller's SD plus PIP", &alice, &psb_none,
	  &alice, NULL, &psb_signed, .op = CK_KACS_OP_PTRACE_TRACEME, .error = -EACCES, .why = WHY(PIP) },
	{ K20_ENFORCE " \"Signal delivery\"", "a probe with signal 0 needs PIP dominance", &alice, &psb_none, &alice,
	  NULL, &psb_signed, .op = CK_KACS_OP_SIGNAL, .arg = 0, .error = -EACCES, .why = WHY(PIP) },
	{ K20_ENFORCE " \"Resource limits\"", "changing a limit needs SET_INFORMATION", &alice_low, &psb_none, &alice,
	  NULL, &psb_none, .op = CK_KACS_OP_PRLIMIT_SET, .error = -EACCES, .why = WHY(INTEGRITY) },
	{ K20_ENFORCE " \"Resource limits\"", "reading one needs QUERY_INFORMATION", &alice_low, &psb_none, &alice,
	  NULL, &psb_none, .op = CK_KACS_OP_PRLIMIT_GET },
	{ K20_ENFORCE " \"Process attribute tail\"", "setpgid needs SET_INFORMATION", &alice_low, &psb_none, &alice,
	  NULL, &psb_none, .op = CK_KACS_OP_SETPGID, .error = -EACCES },
	{ K20_ENFORCE " \"Process attribute tail\"", "getsid needs QUERY_LIMITED", &bob, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_GETSID },
	{ K20_ENFORCE " \"Token open operations\"", "QUERY_INFORMATION plus PIP", &alice_low, &psb_none, &alice, NULL,
	  &psb_none, .op = CK_KACS_OP_OPEN_THREAD_TOKEN },
	{ "K20 8-pip/3-limitations.md \"Impersonation interaction\"", "PIP comes from the PSB, not the token",
	  &alice_imp_signed_owner, &psb_none, &alice, NULL, &psb_signed, .op = CK_KACS_OP_SIGNAL, .arg = SIGTERM, .error = -EACCES,
	  .why = WHY(PIP) },
	{ DESIGN " §16", "an Identification-level token with SeDebug enabled is refused", &alice_ident_debug,
	  &psb_none, &bob, NULL, &psb_none, .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES, .why = WHY(IDENTIFICATION) },
	{ DESIGN " §7.3", "kacs_get_sd takes no SeDebug bypass", &bob_debug, &psb_none, &alice, NULL, &psb_none,
	  .op = CK_KACS_OP_GET_SD, .arg = CK_KACS_SECINFO_OWNER, .error = -EACCES },
	{ "K20 11-facs/6-set-security.md \"SeRestorePrivilege bypass\"", "set_sd on a pidfd runs with restore intent",
	  &bob_restore, &psb_none, &alice, NULL, &psb_none, .op = CK_KACS_OP_SET_SD, .arg = CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_DACL,
	  .used = P(RESTORE), .why = WHY(PRIVILEGE) },
	{ K20_OBJPIP " \"PIP enforcement algorithm\"", "SeDebug does not pass a trust label in the process SD", &bob_debug, &psb_none, NULL,
	  "O:SYD:(A;;GA;;;SY)S:(TL;;0x1000;;;S-1-19-512-8192)", &psb_none, .op = CK_KACS_OP_PTRACE_ATTACH, .error = -EACCES,
	  .why = WHY(TRUST_LABEL) },
};

static struct ck_kacs_sd *target_sd(const struct ovec *v)
{
	struct ck_kacs_token owner;
	if (!v->target_owner)
		return sddl(v->target_sddl);
	tok_build(v->target_owner, &owner);
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(&owner, v->profile);
	cr_assert_not_null(sd, "%s: the default process SD: %s", v->where, strerror(errno));
	return sd;
}

static void run_ovec(const struct ovec *v)
{
	struct ck_kacs_token t;
	struct ck_kacs_sd *sd = target_sd(v);
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	char why[1024];

	tok_build(v->subject, &t);
	cr_assert_eq(ck_kacs_op_right(v->op, v->arg, &rule), 0);
	int r = ck_kacs_op_authorize(v->op, v->arg, &t, v->caller, sd, v->target, v->same, v->profile, &res);
	ck_kacs_access_explain(&res, sd, NULL, why, sizeof(why));
	cr_expect_eq(r, v->error, "%s: %s: %s returned %d, expected %d (%s)", v->where, v->what, rule.name, r,
		     v->error, why);
	cr_expect_eq(res.error, r);
	cr_expect_eq(res.granted, r ? 0 : rule.right, "%s: %s: granted %#x (%s)", v->where, v->what, res.granted, why);
	cr_expect_eq(res.privileges_used, v->used, "%s: %s: privileges used %#llx, expected %#llx (%s)", v->where,
		     v->what, (unsigned long long)res.privileges_used, (unsigned long long)v->used, why);
	if (v->why) {
		unsigned b = (unsigned)__builtin_ctz(rule.right);
		cr_expect_eq(res.bit[b].why, v->why, "%s: %s: why %u, expected %u (%s)", v->where, v->what,
			     res.bit[b].why, v->why, why);
	}
	ck_kacs_sd_free(sd);
}

Test(kacs_access, operation_vectors)
{
	for (size_t i = 0; i < sizeof(ovecs) / sizeof(ovecs[0]); i++)
		run_ovec(&ovecs[i]);
}

/* ---- Consequences the design derives -------------------------------------------------- */

static int authorize(const struct tspec *subject, const struct ck_kacs_psb *caller, const struct tspec *owner,
		     const struct ck_kacs_psb *target, uint32_t right, enum ck_kacs_profile p,
		     struct ck_kacs_access_result *res)
{
	struct ck_kacs_token s, o;
	tok_build(subject, &s);
	tok_build(owner, &o);
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(&o, p);
	cr_assert_not_null(sd);
	res->size = sizeof(*res);
	int r = ck_kacs_process_authorize(&s, caller, sd, target, right, p, 0, res);
	ck_kacs_sd_free(sd);
	return r;
}

Test(kacs_access, low_il_gets_terminate_and_ql_never_signal_or_vm_write_under_v020)
{
	/* DESIGN §16 "Low IL under v0.20"; K20 3-integrity.md "Default label" over K20 5-psb/3-process-sd.md */
	static const struct tspec low_tokens[] = {
		{ ALICE, .il = IL_LOW },
		{ ALICE, .il = IL_UNTRUSTED },
		{ .user = "SY", .groups = "BA,WD,AU", .il = IL_LOW },
		{ .user = BOB_SID, .groups = "BA,WD", .il = IL_LOW },
	};
	static const struct tspec *owners[] = { &alice, &alice_low, &sys, &bob };
	for (size_t i = 0; i < sizeof(low_tokens) / sizeof(low_tokens[0]); i++) {
		for (size_t j = 0; j < sizeof(owners) / sizeof(owners[0]); j++) {
			struct ck_kacs_access_result res;
			/* the default DACL gives GA to the SD's user, BA and SY, and QL to everyone */
			bool ga = strcmp(low_tokens[i].user, owners[j]->user) == 0 || strstr(low_tokens[i].groups, "BA") ||
				  strcmp(low_tokens[i].user, "SY") == 0;
			uint32_t expect = ga ? (P_GR | P_GX) : QL;
			authorize(&low_tokens[i], &psb_none, owners[j], &psb_none, MAX, CK_KACS_V0_20, &res);
			cr_expect_eq(res.granted & (SIG | VMW), 0, "token %zu owner %zu: granted %#x", i, j,
				     res.granted);
			cr_expect_eq(res.granted, expect, "token %zu owner %zu: granted %#x, expected %#x", i, j,
				     res.granted, expect);
			cr_expect_eq(authorize(&low_tokens[i], &psb_none, owners[j], &psb_none, SIG, CK_KACS_V0_20,
					       &res),
				     -EACCES);
			cr_expect_eq(authorize(&low_tokens[i], &psb_none, owners[j], &psb_none, VMW, CK_KACS_V0_20,
					       &res),
				     -EACCES);
		}
	}
}

Test(kacs_access, sedebug_never_passes_pip)
{
	/* K20 8-pip/1-process-protection.md: SeDebugPrivilege MUST NOT bypass check 2 */
	static const struct tspec debuggers[] = { { BOB, .enabled = P(DEBUG) }, { SYSTEM } };
	for (size_t d = 0; d < 2; d++)
		for (unsigned op = 0; op < CK_KACS_OP__COUNT; op++) {
			struct ck_kacs_token t, o;
			struct ck_kacs_access_result res = { .size = sizeof(res) };
			struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
			long arg = op == CK_KACS_OP_SIGNAL ? SIGKILL :
				   (op == CK_KACS_OP_GET_SD || op == CK_KACS_OP_SET_SD) ? CK_KACS_SECINFO_DACL : 0;
			tok_build(&debuggers[d], &t);
			tok_build(&alice, &o);
			struct ck_kacs_sd *sd = ck_kacs_process_sd_default(&o, CK_KACS_V0_20);
			cr_assert_eq(ck_kacs_op_right(op, arg, &rule), 0);
			int r = ck_kacs_op_authorize(op, arg, &t, &psb_none, sd, &psb_signed, false, CK_KACS_V0_20,
						     &res);
			bool lacks = (rule.flags & CK_KACS_OP_PRIVILEGE_FIRST) &&
				     !(t.privileges_enabled & CK_KACS_PRIV(rule.privilege));
			cr_expect_eq(r, lacks ? -rule.privilege_errno : -rule.deny_errno, "%s by token %zu: %d", rule.name,
				     d, r);
			cr_expect_eq(res.granted, 0);
			ck_kacs_sd_free(sd);
		}
}

Test(kacs_access, sedebug_disabled_does_nothing)
{
	/* K20 7-privileges/1-model.md: only an enabled privilege acts */
	struct ck_kacs_access_result res;
	cr_expect_eq(authorize(&bob, &psb_none, &alice, &psb_none, VMW, CK_KACS_V0_20, &res), -EACCES);
	cr_expect_eq(res.privileges_used, 0);
	cr_expect_eq(authorize(&bob_debug, &psb_none, &alice, &psb_none, VMW, CK_KACS_V0_20, &res), 0);
	cr_expect_eq(res.privileges_used, P(DEBUG));
	cr_expect_eq(res.bit[5].why, CK_KACS_WHY_DEBUG);
}

Test(kacs_access, identification_refused_everywhere)
{
	/* K20 9-impersonation/1-levels.md: an Identification-level token MUST NOT be used for AccessCheck */
	static const struct tspec ident_sys = { SYSTEM, .level = 1 + CK_KACS_IDENTIFICATION };
	struct ck_kacs_access_result res;
	for (uint32_t right = 1; right <= QL; right <<= 1) {
		cr_expect_eq(authorize(&ident_sys, &psb_none, &alice, &psb_none, right, CK_KACS_V0_20, &res), -EACCES);
		cr_expect_eq(authorize(&alice_ident_debug, &psb_none, &alice, &psb_none, right, CK_KACS_V0_22, &res),
			     -EACCES);
		cr_expect_eq(res.privileges_used, 0);
	}
	cr_expect_eq(authorize(&alice_ident_debug, &psb_none, &alice, &psb_none, MAX, CK_KACS_V0_20, &res), -EACCES);
}

/* ---- Signals (K20 5-psb/3-process-sd.md "Signal classification") --------------------------- */

Test(kacs_access, signal_table)
{
	static const struct {
		int sig;
		uint32_t right;
	} table[] = {
		{ 0, QL },        { SIGHUP, TERM },   { SIGINT, TERM },   { SIGQUIT, TERM },   { SIGILL, TERM },
		{ SIGTRAP, TERM }, { SIGABRT, TERM },  { SIGBUS, TERM },   { SIGFPE, TERM },    { SIGKILL, TERM },
		{ SIGUSR1, TERM }, { SIGSEGV, TERM },  { SIGUSR2, TERM },  { SIGPIPE, TERM },   { SIGALRM, TERM },
		{ SIGTERM, TERM }, { SIGSTKFLT, TERM }, { SIGXCPU, TERM }, { SIGXFSZ, TERM },   { SIGVTALRM, TERM },
		{ SIGPROF, TERM }, { SIGIO, TERM },    { SIGPWR, TERM },   { SIGSYS, TERM },    { SIGSTOP, SR },
		{ SIGTSTP, SR },   { SIGTTIN, SR },    { SIGTTOU, SR },    { SIGCONT, SR },     { SIGCHLD, SIG },
		{ SIGURG, SIG },   { SIGWINCH, SIG },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		cr_expect_eq(ck_kacs_signal_right(table[i].sig), table[i].right, "signal %d: %#x", table[i].sig,
			     ck_kacs_signal_right(table[i].sig));
	/* the real-time signals terminate by default: TERMINATE */
	for (int s = 32; s <= 64; s++)
		cr_expect_eq(ck_kacs_signal_right(s), TERM, "signal %d", s);
	/* x86 numbers as the spec's table gives them */
	cr_expect_eq(ck_kacs_signal_right(17), SIG);
	cr_expect_eq(ck_kacs_signal_right(23), SIG);
	cr_expect_eq(ck_kacs_signal_right(28), SIG);
	for (int s = 18; s <= 22; s++)
		cr_expect_eq(ck_kacs_signal_right(s), SR);
	cr_expect_eq(ck_kacs_signal_right(-1), 0);
	cr_expect_eq(ck_kacs_signal_right(65), 0);
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP_SIGNAL, 65, &rule), -EINVAL);
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP_SIGNAL, -1, &rule), -EINVAL);
}

/* ---- The table of operations (design §9) ------------------------------------------------------ */

Test(kacs_access, operation_table)
{
	static const struct {
		enum ck_kacs_process_op op;
		long arg;
		uint32_t right;
		unsigned privilege;
		int deny, priv_errno;
	} table[] = {
		{ CK_KACS_OP_PTRACE_ATTACH, 0, VMW, 0, EACCES, 0 },
		{ CK_KACS_OP_PTRACE_SEIZE, 0, VMW, 0, EACCES, 0 },
		{ CK_KACS_OP_PTRACE_TRACEME, 0, VMW, 0, EACCES, 0 },
		{ CK_KACS_OP_VM_READV, 0, VMR, 0, EPERM, 0 },
		{ CK_KACS_OP_VM_WRITEV, 0, VMW, 0, EPERM, 0 },
		{ CK_KACS_OP_PIDFD_OPEN, 0, QL, 0, EACCES, 0 },
		{ CK_KACS_OP_PIDFD_GETFD, 0, DUP, 0, EPERM, 0 },
		{ CK_KACS_OP_SCHED_SET, 0, SI, 0, EACCES, 0 },
		{ CK_KACS_OP_SCHED_GET, 0, QI, 0, EACCES, 0 },
		{ CK_KACS_OP_SETAFFINITY, 0, SI, CK_KACS_SE_INCREASE_BASE_PRIORITY, EACCES, EACCES },
		{ CK_KACS_OP_PRLIMIT_GET, 0, QI, 0, EACCES, 0 },
		{ CK_KACS_OP_PRLIMIT_SET, 0, SI, 0, EACCES, 0 },
		{ CK_KACS_OP_SETPGID, 0, SI, 0, EACCES, 0 },
		{ CK_KACS_OP_GETPGID, 0, QL, 0, EACCES, 0 },
		{ CK_KACS_OP_GETSID, 0, QL, 0, EACCES, 0 },
		{ CK_KACS_OP_PERF_EVENT_OPEN, 0, QI, CK_KACS_SE_PROFILE_SINGLE_PROCESS, EACCES, EPERM },
		{ CK_KACS_OP_KCMP, 0, VMR, 0, EPERM, 0 },
		{ CK_KACS_OP_SET_PSB, 0, SI, 0, EACCES, 0 },
		{ CK_KACS_OP_GET_SD, CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_DACL, RC, 0, EACCES, 0 },
		{ CK_KACS_OP_GET_SD, CK_KACS_SECINFO_SACL, ASS, 0, EACCES, 0 },
		{ CK_KACS_OP_GET_SD, CK_KACS_SECINFO_LABEL | CK_KACS_SECINFO_GROUP, RC, 0, EACCES, 0 },
		{ CK_KACS_OP_SET_SD, CK_KACS_SECINFO_OWNER, WO, 0, EACCES, 0 },
		{ CK_KACS_OP_SET_SD, CK_KACS_SECINFO_LABEL, WO, 0, EACCES, 0 },
		{ CK_KACS_OP_SET_SD, CK_KACS_SECINFO_DACL | CK_KACS_SECINFO_SACL, WDAC | ASS, 0, EACCES, 0 },
		{ CK_KACS_OP_OPEN_PROCESS_TOKEN, 0, QI, 0, EACCES, 0 },
		{ CK_KACS_OP_OPEN_THREAD_TOKEN, 0, QI, 0, EACCES, 0 },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct ck_kacs_op_rule r = { .size = sizeof(r) };
		cr_assert_eq(ck_kacs_op_right(table[i].op, table[i].arg, &r), 0);
		cr_expect_eq(r.right, table[i].right, "%s: right %#x", r.name, r.right);
		cr_expect_eq(r.privilege, table[i].privilege, "%s", r.name);
		cr_expect_eq(r.deny_errno, table[i].deny, "%s", r.name);
		cr_expect_eq(r.privilege_errno, table[i].priv_errno, "%s", r.name);
		enum ck_kacs_process_op back;
		cr_expect_eq(ck_kacs_op_parse(r.name, &back), 0, "%s", r.name);
		cr_expect_eq(back, table[i].op);
	}
	struct ck_kacs_op_rule r = { .size = sizeof(r) };
	/* K20 13-appendix-a/6-abi-reference.md: SACL and LABEL together are EINVAL; 0 is no request */
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP_GET_SD, CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL, &r), -EINVAL);
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP_SET_SD, 0, &r), -EINVAL);
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP_SET_SD, 0x20, &r), -EINVAL);
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP__COUNT, 0, &r), -EINVAL);
	cr_expect_null(ck_kacs_op_name(CK_KACS_OP__COUNT));
	enum ck_kacs_process_op op;
	cr_expect_eq(ck_kacs_op_parse("PTRACE-ATTACH", &op), 0);
	cr_expect_eq(op, CK_KACS_OP_PTRACE_ATTACH);
	cr_expect_eq(ck_kacs_op_parse("ptrace", &op), -EINVAL);
	cr_expect_eq(ck_kacs_op_parse("ptrace_attachx", &op), -EINVAL);
	/* every op has a name and calls */
	for (unsigned i = 0; i < CK_KACS_OP__COUNT; i++) {
		long arg = (i == CK_KACS_OP_GET_SD || i == CK_KACS_OP_SET_SD) ? CK_KACS_SECINFO_DACL : 0;
		cr_assert_eq(ck_kacs_op_right(i, arg, &r), 0);
		cr_expect(r.name && r.calls && *r.calls);
		cr_expect(r.deny_errno == EACCES || r.deny_errno == EPERM);
	}
}

/* ---- The PSB (K20 5-psb/2-fields.md, design §10.2) ------------------------------------------- */

#define SUPPORTED (CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE | CK_KACS_PSB_UI_ACCESS)

Test(kacs_access, psb_set_is_one_way_and_fails_closed)
{
	struct ck_kacs_psb psb = { 0 };
	/* design §13 case 17: set NO_CHILD, then 0x400 (past ALL), then NO_CHILD again */
	cr_expect_eq(ck_kacs_psb_set(&psb, CK_KACS_PSB_NO_CHILD, SUPPORTED), 0);
	cr_expect_eq(psb.mitigations, CK_KACS_PSB_NO_CHILD);
	cr_expect_eq(ck_kacs_psb_set(&psb, 0x400, SUPPORTED), -EINVAL);
	cr_expect_eq(ck_kacs_psb_set(&psb, CK_KACS_PSB_NO_CHILD, SUPPORTED), 0, "re-setting a bit returns 0");
	/* one-way: 0 clears nothing */
	cr_expect_eq(ck_kacs_psb_set(&psb, 0, SUPPORTED), 0);
	cr_expect_eq(psb.mitigations, CK_KACS_PSB_NO_CHILD);
	/* design §13 case 18: LSV cannot be activated: ENODEV with no bit changed, even with PIE beside it */
	cr_expect_eq(ck_kacs_psb_set(&psb, CK_KACS_PSB_LSV | CK_KACS_PSB_PIE, SUPPORTED), -ENODEV);
	cr_expect_eq(psb.mitigations, CK_KACS_PSB_NO_CHILD);
	cr_expect_eq(ck_kacs_psb_set(&psb, CK_KACS_PSB_PIE | CK_KACS_PSB_UI_ACCESS, SUPPORTED), 0);
	cr_expect_eq(psb.mitigations, CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE | CK_KACS_PSB_UI_ACCESS);
	/* past ALL is EINVAL before ENODEV is considered */
	cr_expect_eq(ck_kacs_psb_set(&psb, CK_KACS_PSB_LSV | 0x800, SUPPORTED), -EINVAL);
	/* K20 6-abi-reference.md: CFI is CFIF|CFIB, and the alias is not kept */
	struct ck_kacs_psb cfi = { 0 };
	cr_expect_eq(ck_kacs_psb_set(&cfi, CK_KACS_PSB_CFI, SUPPORTED), -ENODEV);
	cr_expect_eq(cfi.mitigations, 0);
	cr_expect_eq(ck_kacs_psb_set(&cfi, CK_KACS_PSB_CFI, CK_KACS_PSB_CFIF | CK_KACS_PSB_CFIB), 0);
	cr_expect_eq(cfi.mitigations, CK_KACS_PSB_CFIF | CK_KACS_PSB_CFIB);
	cr_expect_eq(ck_kacs_psb_set(&cfi, CK_KACS_PSB_CFI, CK_KACS_PSB_CFIF), 0,
		     "bits already set need no activation");
	struct ck_kacs_psb half = { 0 };
	cr_expect_eq(ck_kacs_psb_set(&half, CK_KACS_PSB_CFI, CK_KACS_PSB_CFIF), -ENODEV);
	cr_expect_eq(half.mitigations, 0);
	/* every bit under ALL, when supported */
	struct ck_kacs_psb all = { 0 };
	cr_expect_eq(ck_kacs_psb_set(&all, CK_KACS_PSB_ALL, CK_KACS_PSB_ALL), 0);
	cr_expect_eq(all.mitigations, CK_KACS_PSB_ALL & ~CK_KACS_PSB_CFI);
	cr_expect_eq(ck_kacs_psb_set(NULL, 0, 0), -EINVAL);
}

Test(kacs_access, psb_text)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	uint32_t bits = 0;
	char buf[128];
	cr_expect_eq(ck_kacs_psb_parse("nochild,pie", &bits, &err), 0);
	cr_expect_eq(bits, CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE);
	cr_expect_eq(ck_kacs_psb_parse("0x120", &bits, &err), 0);
	cr_expect_eq(bits, CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE);
	cr_expect_eq(ck_kacs_psb_parse("NO_CHILD|WXP|ui_access", &bits, &err), 0);
	cr_expect_eq(bits, CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_WXP | CK_KACS_PSB_UI_ACCESS);
	cr_expect_eq(ck_kacs_psb_parse("none", &bits, &err), 0);
	cr_expect_eq(bits, 0);
	cr_expect_eq(ck_kacs_psb_parse("all", &bits, &err), 0);
	cr_expect_eq(bits, CK_KACS_PSB_ALL);
	cr_expect_eq(ck_kacs_psb_parse("pie,nokids", &bits, &err), -EINVAL);
	cr_expect_eq(err.offset, 4);
	cr_expect_str_eq(err.message,
			 "column 4: 'nokids' is no PSB bit (wxp tlp lsv cfi ui_access nochild cfif cfib pie sml, all, none, or a number)");
	cr_expect_eq(ck_kacs_psb_parse("0x400", &bits, &err), -EINVAL);
	cr_expect_str_eq(err.message, "column 0: 0x400 has bits past ALL (0x3ff)");
	cr_expect_eq(ck_kacs_psb_parse("pie,\x1b[2J", &bits, &err), -EINVAL);
	cr_expect_str_eq(err.message, "column 4: this word is no PSB bit (wxp tlp lsv cfi ui_access nochild cfif cfib pie "
				      "sml, all, none, or a number)");
	cr_expect_eq(ck_kacs_psb_parse("pie,", &bits, &err), -EINVAL);
	cr_expect_eq(err.offset, 4);
	cr_expect_eq(ck_kacs_psb_format(CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE, buf, sizeof(buf)), 11);
	cr_expect_str_eq(buf, "nochild,pie");
	ck_kacs_psb_format(0, buf, sizeof(buf));
	cr_expect_str_eq(buf, "none");
	ck_kacs_psb_format(CK_KACS_PSB_SML | 0x400, buf, sizeof(buf));
	cr_expect_str_eq(buf, "sml,0x400");
	/* format(parse(x)) for every bit set */
	for (uint32_t b = 0; b <= CK_KACS_PSB_ALL; b++) {
		ck_kacs_psb_format(b, buf, sizeof(buf));
		cr_assert_eq(ck_kacs_psb_parse(buf, &bits, &err), 0, "%s: %s", buf, err.message);
		cr_assert_eq(bits, b, "%s", buf);
	}
}

Test(kacs_access, pip_dominance)
{
	/* K20 8-pip/1-process-protection.md "The dominance check" */
	static const struct {
		uint32_t ct, cr, tt, tr;
		bool dominates;
	} table[] = {
		{ 0, 0, 0, 0, true },           { 0, 0, 0, 99999, true },         /* None target: anyone */
		{ 0, 0, 512, 0, false },        { 512, 8192, 512, 8192, true },
		{ 1024, 4096, 512, 8192, false }, { 512, 16384, 1024, 0, false },
		{ 1024, 8192, 512, 8192, true }, { 700, 3, 600, 3, true }, /* numeric tiers beyond the named */
		{ 512, 8191, 512, 8192, false },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct ck_kacs_psb c = { .pip_type = table[i].ct, .pip_trust = table[i].cr };
		struct ck_kacs_psb t = { .pip_type = table[i].tt, .pip_trust = table[i].tr };
		cr_expect_eq(ck_kacs_pip_dominates(&c, &t), table[i].dominates, "row %zu", i);
	}
}

/* ---- The process SD at fork (K20 5-psb/3-process-sd.md, design §7.1) ----------------------- */

static size_t put_sid(uint8_t *p, const char *text)
{
	struct ck_kacs_sid sid;
	sid_of(text, &sid);
	return (size_t)ck_kacs_sid_write(&sid, p, 68);
}

static size_t put_ace(uint8_t *p, uint8_t type, uint32_t mask, const char *sid)
{
	size_t n = put_sid(p + 8, sid) + 8;
	p[0] = type;
	p[1] = 0;
	p[2] = (uint8_t)n;
	p[3] = (uint8_t)(n >> 8);
	memcpy(p + 4, &mask, 4); /* little-endian: this test runs on little-endian hosts only */
	return n;
}

static size_t put_acl(uint8_t *p, unsigned count, size_t body)
{
	p[0] = 2;
	p[1] = 0;
	p[2] = (uint8_t)(body + 8);
	p[3] = (uint8_t)((body + 8) >> 8);
	p[4] = (uint8_t)count;
	p[5] = p[6] = p[7] = 0;
	return body + 8;
}

/* The bytes design §7.1 gives, written here byte by byte. */
static size_t expected_default_sd(uint8_t *b, const char *user, const char *group, const char *label)
{
	size_t at = 20;
	memset(b, 0, 20);
	b[0] = 1;
	uint16_t control = 0x800F | (label ? 0x30 : 0);
	b[2] = (uint8_t)control;
	b[3] = (uint8_t)(control >> 8);
	uint32_t off = (uint32_t)at;
	memcpy(b + 4, &off, 4);
	at += put_sid(b + at, user);
	off = (uint32_t)at;
	memcpy(b + 8, &off, 4);
	at += put_sid(b + at, group);
	if (label) {
		off = (uint32_t)at;
		memcpy(b + 12, &off, 4);
		size_t body = put_ace(b + at + 8, CK_KACS_ACE_MANDATORY_LABEL, CK_KACS_LABEL_NO_WRITE_UP, label);
		at += put_acl(b + at, 1, body);
	}
	off = (uint32_t)at;
	memcpy(b + 16, &off, 4);
	size_t body = 0, acl = at;
	body += put_ace(b + acl + 8 + body, CK_KACS_ACE_ALLOW, GA, user);
	body += put_ace(b + acl + 8 + body, CK_KACS_ACE_ALLOW, GA, "BA");
	body += put_ace(b + acl + 8 + body, CK_KACS_ACE_ALLOW, GA, "SY");
	body += put_ace(b + acl + 8 + body, CK_KACS_ACE_ALLOW, QL, "WD");
	at += put_acl(b + acl, 4, body);
	return at;
}

Test(kacs_access, default_process_sd_bytes)
{
	struct ck_kacs_token t;
	static const struct tspec with_group = { ALICE };
	uint8_t want[512], *got = NULL;
	size_t len = 0;

	tok_build(&with_group, &t);
	t.primary_group_index = 3; /* BU */
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(&t, CK_KACS_V0_20);
	cr_assert_not_null(sd);
	cr_assert_eq(ck_kacs_sd_to_bytes(sd, &got, &len), 0);
	size_t n = expected_default_sd(want, ALICE_SID, "BU", NULL);
	cr_expect_eq(len, n, "%zu bytes, expected %zu", len, n);
	cr_expect_eq(memcmp(got, want, n < len ? n : len), 0, "the bytes of design §7.1");
	free(got);
	ck_kacs_sd_free(sd);

	/* K22: the SACL label NO_WRITE_UP at the token's level */
	t.integrity_rid = CK_KACS_IL_LOW;
	sd = ck_kacs_process_sd_default(&t, CK_KACS_V0_22);
	cr_assert_not_null(sd);
	cr_assert_eq(ck_kacs_sd_to_bytes(sd, &got, &len), 0);
	n = expected_default_sd(want, ALICE_SID, "BU", "S-1-16-4096");
	cr_expect_eq(len, n);
	cr_expect_eq(memcmp(got, want, n < len ? n : len), 0, "K22 5-psb/3-process-sd.md with the label");
	free(got);
	ck_kacs_sd_free(sd);

	/* group index 0 is the user (K20 4-tokens/2-structure.md); past the groups is EINVAL */
	t.primary_group_index = 0;
	sd = ck_kacs_process_sd_default(&t, CK_KACS_V0_20);
	cr_assert_not_null(sd);
	cr_expect(ck_kacs_sid_equal(&sd->group, &t.user));
	ck_kacs_sd_free(sd);
	t.primary_group_index = t.group_count + 1;
	errno = 0;
	cr_expect_null(ck_kacs_process_sd_default(&t, CK_KACS_V0_20));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(ck_kacs_process_sd_default(NULL, CK_KACS_V0_20));
}

Test(kacs_access, default_process_sd_means_what_the_spec_says)
{
	/* K20 5-psb/3-process-sd.md "This means:" */
	struct ck_kacs_access_result res;
	/* the process can do anything to itself */
	cr_expect_eq(authorize(&alice, &psb_none, &alice, &psb_none, MAX, CK_KACS_V0_20, &res), 0);
	cr_expect_eq(res.granted, P_GA, "granted %#x", res.granted);
	/* administrators and SYSTEM have full control */
	cr_expect_eq(authorize(&carol, &psb_none, &alice, &psb_none, MAX, CK_KACS_V0_20, &res), 0);
	cr_expect_eq(res.granted, P_GA, "granted %#x", res.granted);
	cr_expect_eq(authorize(&sys, &psb_none, &alice, &psb_none, MAX, CK_KACS_V0_20, &res), 0);
	cr_expect_eq(res.granted, P_GA | ASS, "granted %#x (and SeSecurityPrivilege's right)", res.granted);
	/* everyone else sees basic information only */
	cr_expect_eq(authorize(&bob, &psb_none, &alice, &psb_none, MAX, CK_KACS_V0_20, &res), 0);
	cr_expect_eq(res.granted, QL);
	/* kacs_set_sd on itself needs WRITE_DAC, which the default SD gives the process */
	cr_expect_eq(authorize(&alice, &psb_none, &alice, &psb_none, WDAC, CK_KACS_V0_20, &res), 0);
	/* K22: a lower-integrity process of the same user cannot write an elevated one */
	static const struct tspec alice_high = { ALICE, .il = IL_HIGH };
	cr_expect_eq(authorize(&alice, &psb_none, &alice_high, &psb_none, VMW, CK_KACS_V0_22, &res), -EACCES);
	cr_expect_eq(res.bit[5].why, CK_KACS_WHY_INTEGRITY);
	cr_expect_eq(res.bit[5].acl, 'S');
	cr_expect_eq(authorize(&alice, &psb_none, &alice_high, &psb_none, VMW, CK_KACS_V0_20, &res), 0,
		     "v0.20 has no label: High's process counts as Medium");
}

/* ---- A reference evaluator, bit by bit, and random cases ---------------------------------------- */

/*
 * Written from the spec's prose for one bit at a time (K20 10-access-check/,
 * K22 for the profile's changes), sharing nothing with lib/kacs/access.c but
 * the types: what MAXIMUM_ALLOWED yields.
 */
static bool ref_sid_eq(const struct ck_kacs_sid *a, const struct ck_kacs_sid *b)
{
	if (a->revision != b->revision || a->sub_count != b->sub_count ||
	    memcmp(a->authority, b->authority, 6) != 0)
		return false;
	for (unsigned i = 0; i < a->sub_count; i++)
		if (a->sub[i] != b->sub[i])
			return false;
	return true;
}

static uint32_t ref_map(uint32_t m, const struct ck_kacs_generic_mapping *map)
{
	uint32_t out = m & 0x0FFFFFFFu;
	if (m & GR)
		out |= map->read;
	if (m & GW)
		out |= map->write;
	if (m & GX)
		out |= map->execute;
	if (m & GA)
		out |= map->all;
	return out;
}

/* May an ACE naming sid with this polarity match the caller, in the normal or the restricted view? */
static bool ref_matches(const struct ck_kacs_token *t, const struct ck_kacs_sd *sd, const struct ck_kacs_sid *sid,
			bool allow, bool restricted)
{
	struct ck_kacs_sid ow, ps;
	sid_of("S-1-3-4", &ow);
	sid_of("S-1-5-10", &ps);
	if (ref_sid_eq(sid, &ps))
		return false;
	if (ref_sid_eq(sid, &ow)) /* OWNER RIGHTS: a virtual group when the owner matches (for allow) */
		return ref_matches(t, sd, &sd->owner, true, restricted);
	if (restricted) {
		for (uint32_t i = 0; i < t->restricted_count; i++)
			if (ref_sid_eq(sid, &t->restricted_sids[i].sid))
				return true;
		return false;
	}
	if (ref_sid_eq(sid, &t->user))
		return !allow || !t->user_deny_only;
	for (uint32_t i = 0; i < t->group_count; i++) {
		if (!ref_sid_eq(sid, &t->groups[i].sid))
			continue;
		uint32_t a = t->groups[i].attributes;
		if (allow && (a & CK_KACS_GROUP_ENABLED) && !(a & CK_KACS_GROUP_USE_FOR_DENY_ONLY))
			return true;
		if (!allow && (a & (CK_KACS_GROUP_ENABLED | CK_KACS_GROUP_USE_FOR_DENY_ONLY)))
			return true;
	}
	return false;
}

/* EvaluateDACL for one bit from a starting state. */
static void ref_dacl_bit(const struct ck_kacs_token *t, const struct ck_kacs_sd *sd, uint32_t bit,
			 const struct ck_kacs_generic_mapping *map, enum ck_kacs_profile p, bool restricted,
			 bool *decided, bool *granted)
{
	bool owner;
	if (restricted) {
		owner = false;
		for (uint32_t i = 0; i < t->restricted_count; i++)
			owner |= ref_sid_eq(&sd->owner, &t->restricted_sids[i].sid);
	} else {
		owner = ref_sid_eq(&sd->owner, &t->user);
		for (uint32_t i = 0; i < t->group_count; i++)
			owner |= ref_sid_eq(&sd->owner, &t->groups[i].sid);
	}
	bool null_dacl = !sd->dacl_present || sd->dacl_null;
	bool suppressed = false;
	struct ck_kacs_sid ow;
	sid_of("S-1-3-4", &ow);
	for (unsigned i = 0; !null_dacl && i < sd->dacl.count; i++) {
		const struct ck_kacs_ace *a = &sd->dacl.aces[i];
		if (!(a->flags & CK_KACS_ACE_INHERIT_ONLY) && a->type <= CK_KACS_ACE_DENY && ref_sid_eq(&a->sid, &ow))
			suppressed = true;
	}
	if (owner && !suppressed && (bit & (RC | WDAC)) && !*decided)
		*decided = *granted = true;
	if (null_dacl) {
		if ((bit & map->all) && !*decided) {
			*granted = true;
			if (p >= CK_KACS_V0_22)
				*decided = true;
		}
		return;
	}
	for (unsigned i = 0; i < sd->dacl.count && !*decided; i++) {
		const struct ck_kacs_ace *a = &sd->dacl.aces[i];
		if ((a->flags & CK_KACS_ACE_INHERIT_ONLY) || a->type > CK_KACS_ACE_DENY)
			continue;
		if (!(ref_map(a->mask, map) & bit))
			continue;
		bool allow = a->type == CK_KACS_ACE_ALLOW;
		if (!ref_matches(t, sd, &a->sid, allow, restricted))
			continue;
		*decided = true;
		*granted = allow;
	}
}

static uint32_t ref_max(const struct ck_kacs_token *t, const struct ck_kacs_sd *sd, uint32_t pip_type,
			uint32_t pip_trust, unsigned intent, enum ck_kacs_profile p,
			const struct ck_kacs_generic_mapping *map)
{
	uint64_t priv = t->privileges_enabled;
	bool security = priv & P(SECURITY), takeown = priv & P(TAKE_OWNERSHIP), relabel = priv & P(RELABEL);
	bool backup = (priv & P(BACKUP)) && (intent & CK_KACS_INTENT_BACKUP);
	bool restore = (priv & P(RESTORE)) && (intent & CK_KACS_INTENT_RESTORE);
	const struct ck_kacs_ace *label = NULL, *trust = NULL;
	for (unsigned i = 0; sd->sacl_present && i < sd->sacl.count; i++) {
		const struct ck_kacs_ace *a = &sd->sacl.aces[i];
		if (a->flags & CK_KACS_ACE_INHERIT_ONLY)
			continue;
		if (a->type == CK_KACS_ACE_MANDATORY_LABEL && !label)
			label = a;
		if (a->type == CK_KACS_ACE_PROCESS_TRUST_LABEL && !trust)
			trust = a;
	}
	uint32_t label_il = label ? label->sid.sub[0] : CK_KACS_IL_MEDIUM;
	uint32_t policy = label ? label->mask : CK_KACS_LABEL_NO_WRITE_UP;
	bool mic = (t->mandatory_policy & CK_KACS_POLICY_NO_WRITE_UP) && t->integrity_rid < label_il;
	bool pip_bites = trust && !(pip_type >= trust->sid.sub[0] && pip_trust >= trust->sid.sub[1]);
	uint32_t out = 0;

	for (unsigned b = 0; b < 32; b++) {
		uint32_t bit = 1u << b;
		bool decided = false, granted = false, by_priv = false, mandatory = false;
		if (bit == ASS) {
			decided = true;
			granted = by_priv = security;
		}
		if (backup && (bit & map->read))
			decided = granted = by_priv = true;
		if (restore && (bit & (map->write | WDAC | WO | CK_KACS_DELETE | ASS)))
			decided = granted = by_priv = true;
		if (mic && (bit & map->all)) {
			/* a non-dominant caller keeps read and execute, less what the label's policy takes */
			bool ok = (bit & (map->read | map->execute)) &&
				  !((policy & CK_KACS_LABEL_NO_READ_UP) && (bit & map->read)) &&
				  !((policy & CK_KACS_LABEL_NO_WRITE_UP) && (bit & map->write)) &&
				  !((policy & CK_KACS_LABEL_NO_EXECUTE_UP) && (bit & map->execute));
			if (relabel && bit == WO)
				ok = true;
			if (p >= CK_KACS_V0_22 && (bit & (RC | CK_KACS_SYNCHRONIZE)))
				ok = true;
			if (!ok)
				decided = mandatory = true;
		}
		if (pip_bites && (bit & (map->all | ASS)) && !(ref_map(trust->mask, map) & bit)) {
			decided = mandatory = true;
			granted = by_priv = false;
		}
		ref_dacl_bit(t, sd, bit, map, p, false, &decided, &granted);
		if (bit == WO && takeown && !mandatory && !granted)
			granted = by_priv = true;
		if (t->restricted_count) {
			bool rd = false, rg = false;
			ref_dacl_bit(t, sd, bit, map, p, true, &rd, &rg);
			bool intersect = !t->write_restricted || (bit & map->write);
			if (intersect && !rg)
				granted = false;
			if (by_priv)
				granted = true;
		}
		if (granted)
			out |= bit;
	}
	return out;
}

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static const char *const pool[] = { ALICE_SID, BOB_SID, "WD", "AU", "BU", "BA", "SY", "S-1-5-12", "OW", "PS" };
#define POOL_NAMED 8 /* the first 8 can be token SIDs; OW and PS only in ACEs */

static uint32_t rnd_mask(void)
{
	static const uint32_t picks[] = { GA, GR, GW, GX, RC, WDAC, WO, ASS, CK_KACS_SYNCHRONIZE, CK_KACS_DELETE,
					  QL, TERM | SIG, VMW, P_GA, MAX };
	if (rnd(3) == 0)
		return (uint32_t)rnd_state & (0xF11F1E73u | ASS);
	return picks[rnd(sizeof(picks) / sizeof(picks[0]))] | (rnd(4) == 0 ? picks[rnd(13)] : 0);
}

struct rnd_case {
	struct ck_kacs_token tok;
	struct ck_kacs_sd sd;
	struct ck_kacs_ace dacl[8], sacl[4];
	uint32_t pip_type, pip_trust;
	unsigned intent;
	enum ck_kacs_profile profile;
	const struct ck_kacs_generic_mapping *map;
};

static void rnd_build(struct rnd_case *c)
{
	static const uint32_t attrs[] = { 7, 7, 7, 0, 0x10, 0x14, 0x4, 0x2 };
	static const uint32_t types[] = { 0, 512, 1024, 700 }, trusts[] = { 0, 4096, 8192, 1 };
	memset(c, 0, sizeof(*c));
	struct ck_kacs_token *t = &c->tok;
	sid_of(pool[rnd(3)], &t->user);
	t->user_deny_only = rnd(8) == 0;
	for (unsigned i = 0; i < POOL_NAMED; i++)
		if (rnd(2)) {
			sid_of(pool[i], &t->groups[t->group_count].sid);
			t->groups[t->group_count++].attributes = attrs[rnd(8)];
		}
	if (rnd(4) == 0) {
		t->restricted = true;
		unsigned n = rnd(4);
		for (unsigned i = 0; i < n; i++) {
			sid_of(pool[rnd(POOL_NAMED)], &t->restricted_sids[t->restricted_count].sid);
			t->restricted_sids[t->restricted_count++].attributes = attrs[rnd(8)];
		}
		t->write_restricted = rnd(3) == 0;
	}
	static const uint64_t privs[] = { P(SECURITY), P(BACKUP), P(RESTORE), P(TAKE_OWNERSHIP),
					  CK_KACS_PRIV(CK_KACS_SE_RELABEL), P(DEBUG) };
	for (unsigned i = 0; i < 6; i++)
		if (rnd(4) == 0)
			t->privileges_enabled |= privs[i];
	t->privileges_present = t->privileges_enabled;
	t->type = rnd(3) ? CK_KACS_TOKEN_PRIMARY : CK_KACS_TOKEN_IMPERSONATION;
	t->impersonation_level = t->type == CK_KACS_TOKEN_PRIMARY ? CK_KACS_ANONYMOUS :
				 (enum ck_kacs_imp_level)(rnd(2) ? CK_KACS_IMPERSONATION + rnd(2) : CK_KACS_ANONYMOUS);
	t->integrity_rid = il_rid[rnd(5)];
	t->mandatory_policy = rnd(8) ? CK_KACS_POLICY_NO_WRITE_UP : 0;

	struct ck_kacs_sd *sd = &c->sd;
	sd->revision = 1;
	sd->control = CK_KACS_SE_SELF_RELATIVE;
	sd->has_owner = true;
	sid_of(pool[rnd(POOL_NAMED)], &sd->owner);
	if (rnd(10)) {
		sd->dacl_present = true;
		sd->control |= CK_KACS_SE_DACL_PRESENT;
		sd->dacl.revision = 2;
		sd->dacl.aces = c->dacl;
		sd->dacl.count = (uint16_t)rnd(7);
		for (unsigned i = 0; i < sd->dacl.count; i++) {
			c->dacl[i].type = rnd(3) ? CK_KACS_ACE_ALLOW : CK_KACS_ACE_DENY;
			c->dacl[i].flags = rnd(8) == 0 ? CK_KACS_ACE_INHERIT_ONLY : 0;
			c->dacl[i].mask = rnd_mask() & ~MAX;
			sid_of(pool[rnd(sizeof(pool) / sizeof(pool[0]))], &c->dacl[i].sid);
		}
	}
	if (rnd(2)) {
		sd->sacl_present = true;
		sd->control |= CK_KACS_SE_SACL_PRESENT;
		sd->sacl.revision = 2;
		sd->sacl.aces = c->sacl;
		for (unsigned i = 0; i < 3; i++) {
			struct ck_kacs_ace *a = &c->sacl[sd->sacl.count];
			uint32_t subs[2] = { types[rnd(4)], trusts[rnd(4)] };
			switch (rnd(4)) {
			case 0:
				a->type = CK_KACS_ACE_MANDATORY_LABEL;
				a->mask = rnd(8);
				subs[0] = il_rid[rnd(5)];
				ck_kacs_sid_make(&a->sid, 16, 1, subs);
				break;
			case 1:
				a->type = CK_KACS_ACE_PROCESS_TRUST_LABEL;
				a->mask = rnd_mask() & ~MAX;
				ck_kacs_sid_make(&a->sid, 19, 2, subs);
				break;
			case 2:
				a->type = CK_KACS_ACE_AUDIT;
				a->flags = CK_KACS_ACE_FAILED_ACCESS;
				a->mask = GA;
				sid_of("WD", &a->sid);
				break;
			default:
				continue;
			}
			if (rnd(6) == 0)
				a->flags |= CK_KACS_ACE_INHERIT_ONLY;
			sd->sacl.count++;
		}
	}
	c->pip_type = types[rnd(4)];
	c->pip_trust = trusts[rnd(4)];
	c->intent = rnd(4);
	c->profile = rnd(2) ? CK_KACS_V0_20 : CK_KACS_V0_22;
	c->map = rnd(4) ? ck_kacs_process_mapping() : ck_kacs_token_mapping();
}

static int rnd_check(const struct rnd_case *c, uint32_t desired, struct ck_kacs_access_result *res)
{
	struct ck_kacs_access_request req = { .size = sizeof(req), .desired = desired, .map = c->map,
					      .pip_type = c->pip_type, .pip_trust = c->pip_trust,
					      .intent = c->intent, .profile = c->profile };
	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	return ck_kacs_access_check(&c->tok, &c->sd, &req, res);
}

Test(kacs_access, random_cases_against_the_reference)
{
	const char *env = getenv("CK_KACS_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed1234abcdULL;
	rnd_state = seed;
	for (unsigned n = 0; n < 20000; n++) {
		struct rnd_case c;
		struct ck_kacs_access_result res;
		uint64_t at = rnd_state;
		rnd_build(&c);
		uint32_t want = ref_max(&c.tok, &c.sd, c.pip_type, c.pip_trust, c.intent, c.profile, c.map);
		int r = rnd_check(&c, MAX, &res);
		cr_assert_eq(r, 0, "case %u (state %#llx): pure MAXIMUM_ALLOWED gave %d", n, (unsigned long long)at, r);
		cr_assert_eq(res.granted, want, "case %u (state %#llx): MAXIMUM_ALLOWED gave %#x, the reference %#x", n,
			     (unsigned long long)at, res.granted, want);
		/* every single right: granted exactly when MAXIMUM_ALLOWED holds it */
		for (unsigned b = 0; b < 28; b++) { /* the generic bits are many rights each: below */
			uint32_t bit = 1u << b;
			if (bit == MAX)
				continue;
			r = rnd_check(&c, bit, &res);
			bool in = want & bit;
			cr_assert_eq(r, in ? 0 : -EACCES, "case %u (state %#llx): bit %#x gave %d", n,
				     (unsigned long long)at, bit, r);
			cr_assert_eq(res.granted, in ? bit : 0);
			cr_assert(in ? res.bit[b].why != CK_KACS_WHY_NONE : true, "a granted bit has a reason");
		}
		/* a random request: all or nothing */
		uint32_t d = rnd_mask();
		uint32_t md = ref_map(d, c.map) & ~MAX;
		r = rnd_check(&c, d, &res);
		bool ok = (want & md) == md;
		cr_assert_eq(r, ok ? 0 : -EACCES, "case %u (state %#llx): %#x gave %d", n, (unsigned long long)at, d, r);
		cr_assert_eq(res.granted, ok ? ((d & MAX) ? want : md) : 0);
	}
}

Test(kacs_access, random_deny_first_always_wins)
{
	/* K20 2-dacl-walk.md first-writer-wins: a matching deny ACE before everything leaves only what privileges and ownership give */
	rnd_state = 0xde11f1257ULL;
	for (unsigned n = 0; n < 5000; n++) {
		struct rnd_case c;
		struct ck_kacs_access_result res;
		rnd_build(&c);
		c.tok.type = CK_KACS_TOKEN_PRIMARY;
		if (!c.sd.dacl_present) {
			c.sd.dacl_present = true;
			c.sd.dacl.aces = c.dacl;
			c.sd.dacl.revision = 2;
		}
		if (c.sd.dacl.count == 8)
			c.sd.dacl.count--;
		memmove(&c.dacl[1], &c.dacl[0], c.sd.dacl.count * sizeof(c.dacl[0]));
		c.sd.dacl.count++;
		c.dacl[0] = (struct ck_kacs_ace){ .type = CK_KACS_ACE_DENY, .mask = 0xFFFFFFFFu & ~MAX, .sid = c.tok.user };
		uint64_t pv = c.tok.privileges_enabled;
		uint32_t may = 0;
		if (pv & P(SECURITY))
			may |= ASS;
		if ((pv & P(BACKUP)) && (c.intent & CK_KACS_INTENT_BACKUP))
			may |= c.map->read;
		if ((pv & P(RESTORE)) && (c.intent & CK_KACS_INTENT_RESTORE))
			may |= c.map->write | WDAC | WO | CK_KACS_DELETE | ASS;
		if (pv & P(TAKE_OWNERSHIP))
			may |= WO;
		may |= RC | WDAC; /* the owner's implicit rights come before the walk */
		cr_assert_eq(rnd_check(&c, MAX, &res), 0);
		cr_assert_eq(res.granted & ~may, 0, "case %u: %#x granted past a leading deny", n, res.granted);
	}
}

/* ---- The sentence ------------------------------------------------------------------------------ */

static void explain_of(const struct tspec *who, const char *text, uint32_t desired, enum ck_kacs_profile p,
		       char *buf, size_t len)
{
	struct ck_kacs_token t;
	struct ck_kacs_sd *sd = sddl(text);
	struct ck_kacs_access_request req = { .size = sizeof(req), .desired = desired, .profile = p };
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	tok_build(who, &t);
	ck_kacs_access_check(&t, sd, &req, &res);
	int n = ck_kacs_access_explain(&res, sd, NULL, buf, len);
	cr_expect_eq((size_t)n, strlen(buf), "the whole sentence fits");
	ck_kacs_sd_free(sd);
}

#define DEFAULT_ALICE "O:" ALICE_SID "G:" ALICE_SID "D:(A;;GA;;;" ALICE_SID ")(A;;GA;;;BA)(A;;GA;;;SY)(A;;0x1000;;;WD)"

Test(kacs_access, explain_sentences)
{
	char buf[1024];
	explain_of(&alice_low, DEFAULT_ALICE, TERM | QL, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "granted 0x1001 (TERMINATE,QUERY_LIMITED): TERMINATE,QUERY_LIMITED by DACL ACE 0 (allow GA to "
			      ALICE_SID ")");
	explain_of(&alice_low, DEFAULT_ALICE, SIG | VMW, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "SIGNAL,VM_WRITE refused: the caller's integrity (Low) is below the default label of an "
			      "unlabelled object (Medium, NO_WRITE_UP)");
	explain_of(&alice_low, DEFAULT_ALICE "S:(ML;;NW;;;ME)", VMW, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "VM_WRITE refused: the caller's integrity (Low) is below the object's label (Medium, "
			      "NO_WRITE_UP, SACL ACE 0)");
	explain_of(&alice, "O:SYD:(A;;0x1000;;;WD)(D;;0x2;;;WD)", TERM | SIG | QL, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "TERMINATE refused: no ACE grants it; SIGNAL refused: DACL ACE 1 (deny SIGNAL to WD) denies it");
	explain_of(&alice, "O:SYD:(A;;GA;;;WD)S:(TL;;0x1000;;;S-1-19-512-8192)", TERM, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "TERMINATE refused: the caller's PIP (None/0) does not dominate the object's trust label "
			      "(Protected/8192, SACL ACE 0, which allows QUERY_LIMITED)");
	explain_of(&alice_sec, "O:SYG:SY", VMW | ASS, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "granted 0x1000020 (VM_WRITE,ACCESS_SYSTEM_SECURITY): VM_WRITE by the NULL DACL; "
			      "ACCESS_SYSTEM_SECURITY by SeSecurityPrivilege");
	explain_of(&alice, "O:SYD:", ASS, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "ACCESS_SYSTEM_SECURITY refused: it needs SeSecurityPrivilege, which is not enabled");
	explain_of(&alice, OWNER_ALICE "D:", RC | WDAC, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "granted 0x60000 (READ_CONTROL,WRITE_DAC): READ_CONTROL,WRITE_DAC as the owner's implicit right");
	explain_of(&alice_r_restricted_wd, "O:SYD:(D;;0x1;;;S-1-5-12)(A;;GA;;;WD)", TERM, CK_KACS_V0_20, buf,
		   sizeof(buf));
	cr_expect_str_eq(buf, "TERMINATE refused: in the restricted pass DACL ACE 0 (deny TERMINATE to RC) denies it");
	explain_of(&alice_r_wd, "O:SYD:(A;;GA;;;" ALICE_SID ")", TERM, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "TERMINATE refused: no ACE grants it to the restricting SIDs");
	explain_of(&alice_ident, ANYONE_GA, QL, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "QUERY_LIMITED refused: an Identification-level token takes no access decision");
	explain_of(&alice, "D:(A;;GA;;;WD)", QL, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "invalid: the security descriptor has no owner, a label SID is not S-1-16-X or "
			      "S-1-19-TYPE-TRUST, or the token or request is out of range");
	explain_of(&alice, "O:SYD:", MAX, CK_KACS_V0_20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "granted 0 (nothing)");
	/* snprintf-shaped: the length it would need, a cut and terminated buffer */
	char small[10];
	explain_of(&alice_ident, ANYONE_GA, QL, CK_KACS_V0_20, buf, sizeof(buf));
	struct ck_kacs_access_result res = { .size = sizeof(res), .error = -EACCES, .desired = QL };
	res.bit[12].why = CK_KACS_WHY_IDENTIFICATION;
	cr_expect_eq(ck_kacs_access_explain(&res, NULL, NULL, small, sizeof(small)), (int)strlen(buf));
	cr_expect_str_eq(small, "QUERY_LIM");
	cr_expect_eq(ck_kacs_access_explain(&res, NULL, NULL, NULL, 0), (int)strlen(buf));
}

Test(kacs_access, explain_the_two_check_rule)
{
	struct ck_kacs_token a, b;
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	char buf[512];
	tok_build(&alice, &a);
	tok_build(&bob_debug, &b);
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(&a, CK_KACS_V0_20);
	ck_kacs_op_authorize(CK_KACS_OP_PTRACE_ATTACH, 0, &a, &psb_none, sd, &psb_signed, false, CK_KACS_V0_20, &res);
	ck_kacs_access_explain(&res, sd, NULL, buf, sizeof(buf));
	cr_expect_str_eq(buf, "VM_WRITE refused: the caller's PIP (None/0) does not dominate the target's (Protected/8192)");
	ck_kacs_op_authorize(CK_KACS_OP_PTRACE_ATTACH, 0, &b, &psb_none, sd, &psb_none, false, CK_KACS_V0_20, &res);
	ck_kacs_access_explain(&res, sd, NULL, buf, sizeof(buf));
	cr_expect_str_eq(buf, "granted 0x20 (VM_WRITE): VM_WRITE by SeDebugPrivilege over the process SD");
	ck_kacs_op_authorize(CK_KACS_OP_SETAFFINITY, 0, &b, &psb_none, sd, &psb_none, false, CK_KACS_V0_20, &res);
	ck_kacs_access_explain(&res, sd, NULL, buf, sizeof(buf));
	cr_expect_str_eq(buf, "SET_INFORMATION refused: it needs SeIncreaseBasePriorityPrivilege, which is not enabled");
	ck_kacs_op_authorize(CK_KACS_OP_SETAFFINITY, 0, &a, &psb_none, sd, &psb_none, true, CK_KACS_V0_20, &res);
	ck_kacs_access_explain(&res, sd, NULL, buf, sizeof(buf));
	cr_expect_str_eq(buf, "granted 0x200 (SET_INFORMATION): SET_INFORMATION within the same process, which crosses no "
			      "process boundary");
	ck_kacs_op_authorize(CK_KACS_OP_PERF_EVENT_OPEN, 0, &a, &psb_none, sd, &psb_none, true, CK_KACS_V0_20, &res);
	ck_kacs_access_explain(&res, sd, NULL, buf, sizeof(buf));
	cr_expect_eq(res.error, -EPERM);
	cr_expect_str_eq(buf, "QUERY_INFORMATION refused: it needs SeProfileSingleProcessPrivilege, which is not enabled");
	ck_kacs_sd_free(sd);
}

/* ---- Bad input ------------------------------------------------------------------------------------- */

Test(kacs_access, bad_input)
{
	struct ck_kacs_token t;
	struct ck_kacs_sd *sd = sddl(ANYONE_GA);
	struct ck_kacs_access_request req = { .size = sizeof(req), .desired = QL };
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	tok_build(&alice, &t);
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &res), 0);
	cr_expect_eq(ck_kacs_access_check(NULL, sd, &req, &res), -EINVAL);
	cr_expect_eq(res.error, -EINVAL);
	cr_expect_eq(ck_kacs_access_check(&t, NULL, &req, &res), -EINVAL);
	cr_expect_eq(ck_kacs_access_check(&t, sd, NULL, &res), -EINVAL);
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, NULL), -EINVAL);
	/* size-first structs: too small, or a larger one with a nonzero unknown tail */
	req.size = sizeof(req) - 1;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &res), -EINVAL);
	struct {
		struct ck_kacs_access_request r;
		uint64_t tail;
	} big = { .r = { .size = sizeof(big), .desired = QL }, .tail = 1 };
	cr_expect_eq(ck_kacs_access_check(&t, sd, &big.r, &res), -EINVAL);
	big.tail = 0;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &big.r, &res), 0);
	req.size = sizeof(req);
	res.size = 8;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &res), -EINVAL);
	/* an older caller's result without the explain fields still gets the answer */
	struct ck_kacs_access_result old = { .size = offsetof(struct ck_kacs_access_result, integrity_rid) };
	old.integrity_rid = 0xdead;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &old), 0);
	cr_expect_eq(old.granted, QL);
	cr_expect_eq(old.integrity_rid, 0xdead, "nothing past the caller's size is written");
	res.size = sizeof(res);
	req.profile = (enum ck_kacs_profile)7;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &res), -EINVAL);
	req.profile = CK_KACS_V0_20;
	req.intent = 4;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &res), -EINVAL);
	req.intent = 0;
	t.group_count = CK_KACS_GROUPS_MAX + 1;
	cr_expect_eq(ck_kacs_access_check(&t, sd, &req, &res), -EINVAL);
	tok_build(&alice, &t);
	/* the two-check rule */
	cr_expect_eq(ck_kacs_process_authorize(&t, NULL, sd, &psb_none, QL, CK_KACS_V0_20, 0, &res), -EINVAL);
	cr_expect_eq(ck_kacs_process_authorize(&t, &psb_none, sd, NULL, QL, CK_KACS_V0_20, 0, &res), -EINVAL);
	cr_expect_eq(ck_kacs_process_authorize(&t, &psb_none, sd, &psb_none, QL, CK_KACS_V0_20, 0x4, &res), -EINVAL);
	cr_expect_eq(ck_kacs_process_authorize(&t, &psb_none, sd, &psb_none, QL, CK_KACS_V0_20, 0, NULL), -EINVAL);
	cr_expect_eq(ck_kacs_op_authorize(CK_KACS_OP__COUNT, 0, &t, &psb_none, sd, &psb_none, false, CK_KACS_V0_20,
					  &res),
		     -EINVAL);
	cr_expect_eq(ck_kacs_op_authorize(CK_KACS_OP_SIGNAL, 99, &t, &psb_none, sd, &psb_none, false, CK_KACS_V0_20,
					  &res),
		     -EINVAL);
	struct ck_kacs_op_rule small_rule = { .size = 8 };
	cr_expect_eq(ck_kacs_op_right(CK_KACS_OP_KCMP, 0, &small_rule), -EINVAL);
	ck_kacs_sd_free(sd);
}

/* ---- The notes `clonekit explain` prints (seed 002's Peios notes, the model's side) ---------------- */

#include <clonekit/flags.h>

Test(kacs_access, clone_notes)
{
	char buf[1024];
	cr_expect_gt(ck_kacs_clone_note(CK_CLONE_THREAD, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "a thread shares its process's primary token (one object: what one thread enables, all see) "
			      "and its PSB, and starts without impersonation; without CLONE_THREAD the child gets a deep "
			      "copy of the creating thread's primary token as of the clone (a new token_id, the used "
			      "privileges kept), a copy of the PSB and a new default process SD; no_child_process refuses "
			      "new processes (EACCES), never threads");
	ck_kacs_clone_note(CK_CLONE_PIDFD, buf, sizeof(buf));
	cr_expect_str_eq(buf, "the pidfd is issued without an AccessCheck, while pidfd_open of the same child would need "
			      "QUERY_LIMITED on the child's process SD plus PIP dominance (EACCES otherwise)");
	ck_kacs_clone_note(CK_CLONE_PARENT, buf, sizeof(buf));
	cr_expect_str_eq(buf, "the child's process SD is built from the creating thread's primary token, though its parent "
			      "is the creator's parent; that parent gains nothing by it: to send SIGTERM it needs TERMINATE "
			      "on the child's process SD plus PIP dominance (EACCES otherwise), to read its SD's owner "
			      "READ_CONTROL; waitpid takes no check");
	ck_kacs_clone_note(CK_CLONE_UNTRACED, buf, sizeof(buf));
	cr_expect_str_eq(buf, "only the tracer's auto-attach is stopped; a later PTRACE_ATTACH needs VM_WRITE on the child's "
			      "process SD plus PIP dominance (EACCES otherwise), and SeDebugPrivilege waives only the SD half");
	/* the sentences follow the table: the rights named are the ones the operations are decided on */
	struct ck_kacs_op_rule r = { .size = sizeof(r) };
	ck_kacs_op_right(CK_KACS_OP_PIDFD_OPEN, 0, &r);
	cr_expect_eq(r.right, QL);
	ck_kacs_op_right(CK_KACS_OP_PTRACE_ATTACH, 0, &r);
	cr_expect_eq(r.right, VMW);
	/* the other flags: nothing to say */
	for (size_t i = 0; i < ck_flag_count(); i++) {
		uint64_t f = ck_flag_at(i)->value;
		if (f == CK_CLONE_THREAD || f == CK_CLONE_PIDFD || f == CK_CLONE_PARENT || f == CK_CLONE_UNTRACED)
			continue;
		cr_expect_eq(ck_kacs_clone_note(f, buf, sizeof(buf)), -ENOENT, "%s", ck_flag_at(i)->name);
	}
	cr_expect_eq(ck_kacs_clone_note(CK_CLONE_THREAD | CK_CLONE_PIDFD, buf, sizeof(buf)), -ENOENT);
	/* snprintf-shaped */
	int n = ck_kacs_clone_note(CK_CLONE_PIDFD, NULL, 0);
	char small[8];
	cr_expect_eq(ck_kacs_clone_note(CK_CLONE_PIDFD, small, sizeof(small)), n);
	cr_expect_str_eq(small, "the pid");
}
