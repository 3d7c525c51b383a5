/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit kacs: the Peios security model of process creation (KACS,
 * peios/learn specs/psd-004--kacs v0.20, with v0.22 as a profile) as pure
 * logic: SIDs, self-relative security descriptors and their SDDL, tokens and
 * their v2 wire format, AccessCheck with the reason for every bit, the
 * process two-check rule (SD, then PIP), the PSB and the process SD made at
 * fork, and PIP from Ed25519-signed binaries. The supervisor that enforces it
 * on a process tree builds on this header.
 *
 * Conventions as everywhere in clonekit: 0 or -errno (NULL with errno for
 * pointers); structs whose first member is `size` are set by the caller to
 * sizeof() so that they can grow; bad input is -EINVAL with a message naming
 * the offset (binary) or column (text) and the rule broken.
 */
#ifndef CLONEKIT_KACS_H
#define CLONEKIT_KACS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clonekit/common.h>

struct ck_spawn_attr;

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions of the spec ------------------------------------------------ */

enum ck_kacs_profile {
	CK_KACS_V0_20, /* the default: K20 */
	CK_KACS_V0_22, /* K22: SACL label in the default process SD, READ_CONTROL|SYNCHRONIZE past MIC, ... */
};

/* "v0.20", "v0.22"; parse takes the same text (and "0.20", "0.22"): 0 or -EINVAL. */
CK_API const char *ck_kacs_profile_name(enum ck_kacs_profile p);
CK_API int ck_kacs_profile_parse(const char *text, enum ck_kacs_profile *out);

/* Why an input was refused. */
struct ck_kacs_error {
	size_t size;       /* sizeof(struct ck_kacs_error), set by the caller */
	size_t offset;     /* byte offset (binary input) or 0-based column (text) of the fault */
	char message[256]; /* "offset 20: DACL AceCount 3 but the ACL ends after 2 ACEs (AclSize 52)" */
};

/* ---- Access masks (K20 13-appendix-a/6-abi-reference.md §8) ------------- */

#define CK_KACS_DELETE                 0x00010000u
#define CK_KACS_READ_CONTROL           0x00020000u
#define CK_KACS_WRITE_DAC              0x00040000u
#define CK_KACS_WRITE_OWNER            0x00080000u
#define CK_KACS_SYNCHRONIZE            0x00100000u
#define CK_KACS_ACCESS_SYSTEM_SECURITY 0x01000000u
#define CK_KACS_MAXIMUM_ALLOWED        0x02000000u
#define CK_KACS_GENERIC_ALL            0x10000000u
#define CK_KACS_GENERIC_EXECUTE        0x20000000u
#define CK_KACS_GENERIC_WRITE          0x40000000u
#define CK_KACS_GENERIC_READ           0x80000000u

/* Process rights. */
#define CK_KACS_PROCESS_TERMINATE         0x0001u
#define CK_KACS_PROCESS_SIGNAL            0x0002u
#define CK_KACS_PROCESS_VM_READ           0x0010u
#define CK_KACS_PROCESS_VM_WRITE          0x0020u
#define CK_KACS_PROCESS_DUP_HANDLE        0x0040u
#define CK_KACS_PROCESS_SET_INFORMATION   0x0200u
#define CK_KACS_PROCESS_QUERY_INFORMATION 0x0400u
#define CK_KACS_PROCESS_SUSPEND_RESUME    0x0800u
#define CK_KACS_PROCESS_QUERY_LIMITED     0x1000u

/* Token rights. */
#define CK_KACS_TOKEN_ASSIGN_PRIMARY    0x0001u
#define CK_KACS_TOKEN_DUPLICATE         0x0002u
#define CK_KACS_TOKEN_IMPERSONATE       0x0004u
#define CK_KACS_TOKEN_QUERY             0x0008u
#define CK_KACS_TOKEN_QUERY_SOURCE      0x0010u
#define CK_KACS_TOKEN_ADJUST_PRIVILEGES 0x0020u
#define CK_KACS_TOKEN_ADJUST_GROUPS     0x0040u
#define CK_KACS_TOKEN_ADJUST_DEFAULT    0x0080u
#define CK_KACS_TOKEN_ADJUST_SESSIONID  0x0100u
#define CK_KACS_TOKEN_ALL_ACCESS        0x000F01FFu

/* How the four generic bits map to specific rights for one kind of object. */
struct ck_kacs_generic_mapping {
	uint32_t read, write, execute, all;
};
/* Process: R 0x20410, W 0x40220, E 0x1801, A 0xE1E73. Token: R 0x20008, W 0x400E0, E 0x4, A 0xF01FF. */
CK_API const struct ck_kacs_generic_mapping *ck_kacs_process_mapping(void);
CK_API const struct ck_kacs_generic_mapping *ck_kacs_token_mapping(void);
/* mask with its generic bits replaced by what map gives them. */
CK_API uint32_t ck_kacs_map_generic(uint32_t mask, const struct ck_kacs_generic_mapping *map);

/*
 * A mask as text and back. Names are those of the object kind (process or
 * token rights, then the standard ones, ACCESS_SYSTEM_SECURITY, GA GX GW GR
 * and MAXIMUM_ALLOWED, in bit order), joined by ','; bits without a name
 * as one hex number.
 * parse takes names (any case), SDDL's two-letter rights and hex or decimal
 * numbers, joined by ',' or '|'. format is snprintf-shaped.
 */
CK_API int ck_kacs_rights_format(uint32_t mask, const struct ck_kacs_generic_mapping *kind, char *buf, size_t len);
CK_API int ck_kacs_rights_parse(const char *text, const struct ck_kacs_generic_mapping *kind, uint32_t *out,
				struct ck_kacs_error *err);

/* ---- SIDs (K20 2-sids/) --------------------------------------------------- */

#define CK_KACS_SID_MAX_SUB 15

struct ck_kacs_sid {
	uint8_t revision;                 /* 1 */
	uint8_t sub_count;                /* 0..15 */
	uint8_t authority[6];             /* big-endian, as in the binary form */
	uint32_t sub[CK_KACS_SID_MAX_SUB]; /* sub-authorities */
};

/*
 * "S-1-5-18" or an alias of the design's SDDL (SY BA WD AU AN OW BU, the
 * integrity labels UT LW ME HI SI, ...): 0, or -EINVAL with err naming the
 * column. The authority is decimal below 2^32, else 0x and 12 hex digits.
 */
CK_API int ck_kacs_sid_parse(const char *text, struct ck_kacs_sid *out, struct ck_kacs_error *err);
/* "S-1-5-18"; snprintf-shaped. */
CK_API int ck_kacs_sid_format(const struct ck_kacs_sid *sid, char *buf, size_t len);
/* The two-letter alias ("SY"), or NULL. */
CK_API const char *ck_kacs_sid_alias(const struct ck_kacs_sid *sid);
/* The binary form: 8 + 4 * sub_count bytes. */
CK_API size_t ck_kacs_sid_size(const struct ck_kacs_sid *sid);
/* Reads a binary SID at buf (at most len bytes): its size, or -EINVAL. */
CK_API ssize_t ck_kacs_sid_read(const void *buf, size_t len, struct ck_kacs_sid *out, struct ck_kacs_error *err);
/* Writes it: its size, or -ENOSPC when len is too small. */
CK_API ssize_t ck_kacs_sid_write(const struct ck_kacs_sid *sid, void *buf, size_t len);
CK_API bool ck_kacs_sid_equal(const struct ck_kacs_sid *a, const struct ck_kacs_sid *b);
/* Builds S-1-authority-sub...; -EINVAL past 15 subs. */
CK_API int ck_kacs_sid_make(struct ck_kacs_sid *out, uint64_t authority, size_t n, const uint32_t *subs);

/* Integrity RIDs (S-1-16-RID). */
#define CK_KACS_IL_UNTRUSTED 0u
#define CK_KACS_IL_LOW       4096u
#define CK_KACS_IL_MEDIUM    8192u
#define CK_KACS_IL_HIGH      12288u
#define CK_KACS_IL_SYSTEM    16384u

/* ---- Security descriptors (K20 3-security-descriptors/) ----------------- */

/* ACE types. */
#define CK_KACS_ACE_ALLOW               0x00
#define CK_KACS_ACE_DENY                0x01
#define CK_KACS_ACE_AUDIT               0x02 /* stored, ignored */
#define CK_KACS_ACE_ALARM               0x03 /* stored, ignored */
#define CK_KACS_ACE_MANDATORY_LABEL     0x11
#define CK_KACS_ACE_PROCESS_TRUST_LABEL 0x14

/* ACE flags. */
#define CK_KACS_ACE_OBJECT_INHERIT       0x01
#define CK_KACS_ACE_CONTAINER_INHERIT    0x02
#define CK_KACS_ACE_NO_PROPAGATE_INHERIT 0x04
#define CK_KACS_ACE_INHERIT_ONLY         0x08
#define CK_KACS_ACE_INHERITED            0x10
#define CK_KACS_ACE_SUCCESSFUL_ACCESS    0x40
#define CK_KACS_ACE_FAILED_ACCESS        0x80

/* Mandatory label policy (K20 10-access-check/3-integrity.md: not Windows' values). */
#define CK_KACS_LABEL_NO_READ_UP    0x1u
#define CK_KACS_LABEL_NO_WRITE_UP   0x2u
#define CK_KACS_LABEL_NO_EXECUTE_UP 0x4u

/* SD control bits. */
#define CK_KACS_SE_OWNER_DEFAULTED 0x0001u
#define CK_KACS_SE_GROUP_DEFAULTED 0x0002u
#define CK_KACS_SE_DACL_PRESENT    0x0004u
#define CK_KACS_SE_DACL_DEFAULTED  0x0008u
#define CK_KACS_SE_SACL_PRESENT    0x0010u
#define CK_KACS_SE_SACL_DEFAULTED  0x0020u
#define CK_KACS_SE_DACL_PROTECTED  0x1000u
#define CK_KACS_SE_SACL_PROTECTED  0x2000u
#define CK_KACS_SE_SELF_RELATIVE   0x8000u

struct ck_kacs_ace {
	uint8_t type;          /* CK_KACS_ACE_* */
	uint8_t flags;         /* CK_KACS_ACE_* flags */
	uint16_t size;         /* AceSize as stored (a multiple of 4, at least 8 + the SID's size) */
	uint32_t mask;         /* rights; a label's policy bits; a trust label's allowed rights */
	struct ck_kacs_sid sid;
};

struct ck_kacs_acl {
	uint8_t revision;          /* 2 or 4 */
	uint16_t count;
	struct ck_kacs_ace *aces;  /* count of them, malloc'd, owned by the SD (NULL when count is 0) */
	uint8_t sbz1;              /* reserved header bytes: K20 2-acl-format.md keeps them as they came */
	uint16_t sbz2;
};

/*
 * A security descriptor, parsed. Made by ck_kacs_sd_parse, ck_kacs_sddl_parse
 * or the builders below; freed by ck_kacs_sd_free, which frees dacl.aces,
 * sacl.aces and the SD (each malloc'd). K20 1-structure.md: a DACL is
 * present exactly when SE_DACL_PRESENT is set and its offset is not 0; an
 * absent DACL is the NULL DACL and grants everything (an absent SACL has no
 * label). K20 has no "present but NULL" ACL (bit set, offset 0 is
 * malformed), so dacl_null and sacl_null are always false in a valid SD.
 * control's SE_DACL_PRESENT, SE_SACL_PRESENT agree with dacl_present,
 * sacl_present and SE_SELF_RELATIVE is set.
 */
struct ck_kacs_sd {
	uint8_t revision;         /* 1 */
	uint16_t control;         /* CK_KACS_SE_* */
	bool has_owner, has_group;
	struct ck_kacs_sid owner, group;
	bool dacl_present, dacl_null, sacl_present, sacl_null;
	struct ck_kacs_acl dacl, sacl;
	uint8_t sbz1;             /* header byte 1: resource-manager bits under SE_RM_CONTROL_VALID, kept as it came */
};

/* SE_* control bits beyond those above (K20 1-structure.md). */
#define CK_KACS_SE_DACL_TRUSTED          0x0040u
#define CK_KACS_SE_SERVER_SECURITY       0x0080u
#define CK_KACS_SE_DACL_AUTO_INHERIT_REQ 0x0100u
#define CK_KACS_SE_SACL_AUTO_INHERIT_REQ 0x0200u
#define CK_KACS_SE_DACL_AUTO_INHERITED   0x0400u
#define CK_KACS_SE_SACL_AUTO_INHERITED   0x0800u
#define CK_KACS_SE_RM_CONTROL_VALID      0x4000u

#define CK_KACS_SD_MAX 65535u /* K20 1-structure.md: the largest serialized SD */

/*
 * The self-relative form, validated strictly: 0 and *out, or -EINVAL
 * (malformed), -EOPNOTSUPP (a valid ACE type this library does not keep:
 * object, callback, resource-attribute, scoped-policy, unknown), -ENOMEM,
 * with err naming the byte offset and the rule.
 */
CK_API int ck_kacs_sd_parse(const void *buf, size_t len, struct ck_kacs_sd **out, struct ck_kacs_error *err);
/*
 * Whether sd (made by hand) is one that to_bytes can write and parse would
 * give back: 0, or -EINVAL/-EOPNOTSUPP with err (offset: where the fault
 * would sit in to_bytes' output).
 */
CK_API int ck_kacs_sd_validate(const struct ck_kacs_sd *sd, struct ck_kacs_error *err);
/*
 * The self-relative bytes (malloc'd into *buf, *len), laid out header,
 * owner, group, SACL, DACL: 0, -EINVAL (ck_kacs_sd_validate refuses it),
 * -E2BIG (over CK_KACS_SD_MAX), -ENOMEM. parse(to_bytes(sd)) equals sd.
 */
CK_API int ck_kacs_sd_to_bytes(const struct ck_kacs_sd *sd, uint8_t **buf, size_t *len);
/* A deep copy; NULL with errno ENOMEM (EINVAL for NULL). */
CK_API struct ck_kacs_sd *ck_kacs_sd_dup(const struct ck_kacs_sd *sd);
CK_API void ck_kacs_sd_free(struct ck_kacs_sd *sd);
/* Every field: control, Sbz bytes, owner/group when present, the ACLs ACE by ACE. */
CK_API bool ck_kacs_sd_equal(const struct ck_kacs_sd *a, const struct ck_kacs_sd *b);

/* Builders: an empty SD (revision 1, SE_SELF_RELATIVE, no component); NULL with errno ENOMEM. */
CK_API struct ck_kacs_sd *ck_kacs_sd_new(void);
/*
 * Appends an ACE (AceSize set from the SID) to acl, whose aces it reallocs:
 * 0, -EINVAL (a bad SID, 65535 ACEs), -ENOMEM (acl unchanged). For an SD's
 * ACL, also set dacl_present/sacl_present and the control bit.
 */
CK_API int ck_kacs_acl_append(struct ck_kacs_acl *acl, uint8_t type, uint8_t flags, uint32_t mask,
			      const struct ck_kacs_sid *sid);
/*
 * A standalone binary ACL (a token's default DACL) of exactly len bytes,
 * checked as a DACL or (sacl) a SACL of an SD would be: 0 with out->aces
 * malloc'd (free it, or move the ACL into an SD), or -EINVAL/-EOPNOTSUPP/
 * -ENOMEM with err.
 */
CK_API int ck_kacs_acl_parse(const void *buf, size_t len, bool sacl, struct ck_kacs_acl *out,
			     struct ck_kacs_error *err);
/* Its binary size, and the bytes: the size, -EINVAL (invalid ACL), -ENOSPC (len too small). */
CK_API size_t ck_kacs_acl_size(const struct ck_kacs_acl *acl);
CK_API ssize_t ck_kacs_acl_write(const struct ck_kacs_acl *acl, bool sacl, void *buf, size_t len);

/*
 * SDDL, the design's subset (O: G: D: S:, ACL flags P AI AR, ACE types A D
 * AU AL ML TL, rights as GA GR GW GX RC SD WD WO, NR NW NX for a label, or
 * 0xHEX, flags OI CI NP IO ID CR SA FA, the SID aliases), with C: for the
 * control bits and Sbz1 and {rev=4,sbz1=,sbz2=} for an ACL's header, which
 * Windows' SDDL cannot say: text to a parsed SD and back (docs/man3/
 * ck_kacs_sddl_parse.3). parse(format(sd)) equals sd for every valid SD,
 * format(parse(x)) == x for every x that format produced; format is
 * snprintf-shaped. parse: 0, -EINVAL or -EOPNOTSUPP with err naming the
 * column, -ENOMEM.
 */
CK_API int ck_kacs_sddl_parse(const char *text, struct ck_kacs_sd **out, struct ck_kacs_error *err);
CK_API int ck_kacs_sddl_format(const struct ck_kacs_sd *sd, char *buf, size_t len);

/* ---- Tokens (K20 4-tokens/) ----------------------------------------------- */

/* SE_GROUP_* attributes. */
#define CK_KACS_GROUP_MANDATORY          0x00000001u
#define CK_KACS_GROUP_ENABLED_BY_DEFAULT 0x00000002u
#define CK_KACS_GROUP_ENABLED            0x00000004u
#define CK_KACS_GROUP_OWNER              0x00000008u
#define CK_KACS_GROUP_USE_FOR_DENY_ONLY  0x00000010u
#define CK_KACS_GROUP_INTEGRITY          0x00000020u
#define CK_KACS_GROUP_INTEGRITY_ENABLED  0x00000040u
#define CK_KACS_GROUP_RESOURCE           0x20000000u
#define CK_KACS_GROUP_LOGON_ID           0xC0000000u

/* Privileges: bit = LUID (K20 7-privileges/2-catalog.md). */
#define CK_KACS_PRIV(luid) (UINT64_C(1) << (luid))
enum ck_kacs_privilege {
	CK_KACS_SE_CREATE_TOKEN = 2,
	CK_KACS_SE_ASSIGN_PRIMARY_TOKEN = 3,
	CK_KACS_SE_TCB = 7,
	CK_KACS_SE_SECURITY = 8,
	CK_KACS_SE_TAKE_OWNERSHIP = 9,
	CK_KACS_SE_PROFILE_SINGLE_PROCESS = 13,
	CK_KACS_SE_INCREASE_BASE_PRIORITY = 14,
	CK_KACS_SE_BACKUP = 17,
	CK_KACS_SE_RESTORE = 18,
	CK_KACS_SE_DEBUG = 20,
	CK_KACS_SE_CHANGE_NOTIFY = 23,
	CK_KACS_SE_IMPERSONATE = 29,
	CK_KACS_SE_RELABEL = 32,
};
/* "SeDebugPrivilege" for a LUID of the catalog, else NULL; parse takes the name (any case) or the LUID. */
CK_API const char *ck_kacs_privilege_name(unsigned luid);
CK_API int ck_kacs_privilege_parse(const char *text, unsigned *luid);

enum ck_kacs_token_type { CK_KACS_TOKEN_PRIMARY = 1, CK_KACS_TOKEN_IMPERSONATION = 2 };
enum ck_kacs_imp_level {
	CK_KACS_ANONYMOUS = 0,
	CK_KACS_IDENTIFICATION = 1,
	CK_KACS_IMPERSONATION = 2,
	CK_KACS_DELEGATION = 3,
};
/* mandatory_policy */
#define CK_KACS_POLICY_NO_WRITE_UP     0x1u
#define CK_KACS_POLICY_NEW_PROCESS_MIN 0x2u

#define CK_KACS_GROUPS_MAX 64

struct ck_kacs_sid_attr {
	struct ck_kacs_sid sid;
	uint32_t attributes; /* CK_KACS_GROUP_* */
};

/*
 * A token: every field of K20 4-tokens/2-structure.md that the model acts
 * on or returns. Owned by the caller; default_dacl_holder, sd and
 * projected_supp_gids are owned by the token (ck_kacs_token_free,
 * ck_kacs_token_copy).
 */
struct ck_kacs_token {
	struct ck_kacs_sid user;
	bool user_deny_only;
	uint32_t group_count; /* at most CK_KACS_GROUPS_MAX, the logon SID included */
	struct ck_kacs_sid_attr groups[CK_KACS_GROUPS_MAX];
	bool restricted;      /* has a restricted-SID list (possibly empty) */
	uint32_t restricted_count;
	struct ck_kacs_sid_attr restricted_sids[CK_KACS_GROUPS_MAX];
	bool write_restricted;
	uint64_t privileges_present, privileges_enabled, privileges_enabled_by_default, privileges_used;
	enum ck_kacs_token_type type;
	enum ck_kacs_imp_level impersonation_level;
	uint32_t integrity_rid;    /* CK_KACS_IL_* */
	uint32_t mandatory_policy; /* CK_KACS_POLICY_* */
	uint32_t elevation_type;   /* 1 Default (LINK_TOKENS is not implemented) */
	uint64_t token_id, auth_id, modified_id, origin;
	int64_t created_at, expiration; /* ns since the epoch; expiration 0 = never */
	char source_name[8];
	uint64_t source_luid;
	uint32_t interactive_session_id;
	uint32_t owner_index, primary_group_index; /* 0 = user, 1..N = groups[0..N-1] */
	struct ck_kacs_sd *default_dacl_holder; /* an SD holding only the default DACL (NULL: none) */
	struct ck_kacs_sd *sd;                  /* the token's own SD (K20 4-tokens/8-access-rights.md) */
	uint32_t audit_policy;
	uint32_t projected_uid, projected_gid;
	uint8_t token_guid[16];                 /* K22 */
	/* Stored and returned, not acted on (design §4); owned by the token. */
	uint32_t projected_supp_gid_count;
	uint32_t *projected_supp_gids;
};

/* Frees t (malloc'd: every function here that makes a token does so), its default DACL, SD and gids. */
CK_API void ck_kacs_token_free(struct ck_kacs_token *t);
/*
 * The deep copy a fork makes (K20 4-tokens/3-lifecycle.md): every field,
 * privileges' used bits included; a new token_id from *next_id (incremented)
 * and modified_id = token_id under v0.20 (a fresh GUID and modified_id 0
 * under v0.22). NULL with errno ENOMEM (EINVAL for a NULL t or next_id).
 */
CK_API struct ck_kacs_token *ck_kacs_token_copy(const struct ck_kacs_token *t, enum ck_kacs_profile p,
					       uint64_t *next_id);

/*
 * Tokens as objects (lib/kacs/token.c). Every function that makes a token
 * returns it in *out (free it with ck_kacs_token_free); those that change
 * one change it in place and bump modified_id, or change nothing and say
 * why in err (which may be NULL): all or nothing. Handle rights and the
 * privileges a caller needs (SeCreateToken, SeTcb, ...) are the caller's
 * to check: these functions see the token, not who asks.
 */

/* Every privilege of the catalog (K20 7-privileges/2-catalog.md): LUIDs 2-35, 62 and 63. */
#define CK_KACS_PRIV_CATALOG UINT64_C(0xC000000FFFFFFFFC)
/* The first token_id of a counter (design §4); a supervisor starts *next_id there. */
#define CK_KACS_TOKEN_ID_FIRST UINT64_C(0x10000)
/* elevation_type */
#define CK_KACS_ELEVATION_DEFAULT 1u

/*
 * NEW_PROCESS_MIN at exec (K20 4-tokens/3-lifecycle.md): when t's policy has
 * it and file_il (the executable's label, Medium when it has none) is below
 * t's integrity, *out is a copy of t at file_il with a new token_id
 * (modified_id per profile) and elevation Default; otherwise *out is NULL.
 * 0, -EINVAL (t is not a Primary token), -ENOMEM.
 */
CK_API int ck_kacs_token_new_process_min(const struct ck_kacs_token *t, uint32_t file_il, enum ck_kacs_profile p,
					 uint64_t *next_id, struct ck_kacs_token **out);

/*
 * DuplicateToken (K20 4-tokens/4-creation.md, 13-appendix-a/2-ioctls.md
 * KACS_IOC_DUPLICATE): a copy of type and level (Anonymous when type is
 * Primary, whatever level says), a new token_id (modified_id = token_id
 * under v0.20; a new GUID and modified_id 0 under v0.22), elevation
 * Default, and a fresh default token SD whose creator is creator (the
 * caller's primary token's user). Under v0.22 a target level of Anonymous
 * gives the minimal Anonymous token (K22 13-appendix-a/2-ioctls.md).
 * -EINVAL: type not 1 or 2, level above 3, or, both tokens being
 * Impersonation tokens, a level above t's; -ENOMEM.
 */
CK_API int ck_kacs_token_duplicate(const struct ck_kacs_token *t, enum ck_kacs_token_type type,
				   enum ck_kacs_imp_level level, const struct ck_kacs_sid *creator,
				   enum ck_kacs_profile p, uint64_t *next_id, struct ck_kacs_token **out,
				   struct ck_kacs_error *err);

/* FilterToken's request, as KACS_IOC_RESTRICT carries it (K20 13-appendix-a/6-abi-reference.md §4). */
#define CK_KACS_RESTRICT_WRITE_RESTRICTED 0x1u
struct ck_kacs_restrict_args {
	uint64_t privs_to_delete;   /* bits cleared from present, enabled and enabled-by-default */
	uint32_t num_deny_indices;  /* zero-based indices into the groups, made deny-only */
	uint32_t num_restrict_sids; /* restricting SIDs */
	uint32_t flags;             /* CK_KACS_RESTRICT_WRITE_RESTRICTED */
	const void *data;           /* u32le deny indices, then the SIDs packed: exactly data_len bytes */
	size_t data_len;            /* at most 65536 */
};
/*
 * FilterToken (K20 4-tokens/4-creation.md): a restricted copy of t with a
 * new token_id (as duplicate), elevation Default, used privileges cleared,
 * the restricting SIDs (intersected with t's when t is restricted; each
 * with SE_GROUP_ENABLED), write_restricted sticky, user_deny_only set
 * exactly when write-restricted (v0.22: else copied from t), and a fresh
 * default SD for creator. All or nothing: -EINVAL with err naming the
 * offset in data (or the field) for unknown flags, a payload that is not
 * exactly the indices and SIDs declared, an index out of range or given
 * twice, more than 64 restricting SIDs, or an empty intersection; -ENOMEM.
 */
CK_API int ck_kacs_token_restrict(const struct ck_kacs_token *t, const struct ck_kacs_restrict_args *a,
				  const struct ck_kacs_sid *creator, enum ck_kacs_profile p, uint64_t *next_id,
				  struct ck_kacs_token **out, struct ck_kacs_error *err);

/* AdjustPrivileges (K20 4-tokens/5-adjustment.md; kacs_priv_entry, 6-abi-reference.md §4). */
#define CK_KACS_PRIV_ENABLED            0x00000002u
#define CK_KACS_PRIV_REMOVED            0x00000004u
#define CK_KACS_PRIV_RESET_ALL_DEFAULTS 0x80000000u
#define CK_KACS_ADJUST_MAX 64u
struct ck_kacs_priv_entry {
	uint32_t luid;       /* 0..63 */
	uint32_t attributes; /* 0 disable, ENABLED, REMOVED; RESET_ALL_DEFAULTS alone with luid 0 */
};
/*
 * Applies count entries to t, or none: -EINVAL with err naming the entry
 * ("entry 2: ...") for count 0 or above 64, a LUID past 63, unknown or
 * combined attribute bits, RESET_ALL_DEFAULTS anywhere but alone with LUID
 * 0, a LUID given twice, or enabling a privilege t does not hold.
 * Disabling or removing an absent privilege does nothing; reset restores
 * enabled to enabled-by-default (never what was removed). *previous_enabled
 * (when not NULL) gets the enabled mask before. modified_id is bumped.
 */
CK_API int ck_kacs_token_adjust_privileges(struct ck_kacs_token *t, const struct ck_kacs_priv_entry *e,
					   uint32_t count, uint64_t *previous_enabled, struct ck_kacs_error *err);

/* AdjustGroups (K20 4-tokens/5-adjustment.md, 13-appendix-a/2-ioctls.md; kacs_group_entry). */
#define CK_KACS_GROUPS_RESET 0xFFFFFFFFu
struct ck_kacs_group_entry {
	uint32_t index;  /* zero-based into groups; CK_KACS_GROUPS_RESET alone: back to the defaults */
	uint32_t enable; /* 1 enable, 0 disable (0 for the reset) */
};
/*
 * Applies count entries to t, or none: -EINVAL with err naming the entry
 * for count 0 or above 64, an index out of range or given twice, enable
 * above 1, the reset sentinel not alone or with enable set, an entry that
 * names a MANDATORY, USE_FOR_DENY_ONLY or logon-SID group (2-ioctls.md), or
 * one that disables the user SID. The reset sets each group's ENABLED to
 * its ENABLED_BY_DEFAULT and leaves deny-only groups deny-only.
 * *previous_state (when not NULL) gets bit i = group i was enabled.
 * modified_id is bumped.
 */
CK_API int ck_kacs_token_adjust_groups(struct ck_kacs_token *t, const struct ck_kacs_group_entry *e,
				       uint32_t count, uint64_t *previous_state, struct ck_kacs_error *err);

/*
 * AdjustDefault (K20 4-tokens/5-adjustment.md; kacs_adjust_default_args):
 * dacl as the ABI encodes it, (NULL, 0) no change, (dacl, n > 0) the binary
 * ACL of exactly n bytes, (dacl, 0) no default DACL; owner_index and
 * group_index as 0 = user, 1..N = groups, CK_KACS_INDEX_NO_CHANGE to keep.
 * -EINVAL with err for a NULL dacl with a length, a length above 65536, an
 * ACL that does not parse, an owner index that names neither the user nor
 * a group with SE_GROUP_OWNER, a group index past the groups (-EOPNOTSUPP
 * for an ACE type sd.c does not keep); nothing is changed then.
 * modified_id is bumped.
 */
#define CK_KACS_INDEX_NO_CHANGE 0xFFFFu
CK_API int ck_kacs_token_adjust_default(struct ck_kacs_token *t, const void *dacl, uint32_t dacl_len,
					uint16_t owner_index, uint16_t group_index, struct ck_kacs_error *err);
/* AdjustSessionID: interactive_session_id = id, modified_id bumped. 0. */
CK_API int ck_kacs_token_set_session_id(struct ck_kacs_token *t, uint32_t id);
/* Marks privileges used (a decision's privileges_used): monotonic, modified_id unchanged (K20 2-structure.md). */
CK_API void ck_kacs_token_mark_used(struct ck_kacs_token *t, uint64_t privileges);

/*
 * The v2 wire format of kacs_create_token (K20 13-appendix-a/6-abi-reference.md
 * §5): a 192-byte header and its sections, at most 65536 bytes.
 */
#define CK_KACS_TOKEN_SPEC_VERSION 2u
#define CK_KACS_TOKEN_SPEC_HEADER  192u
#define CK_KACS_TOKEN_SPEC_MAX     65536u
/*
 * The token a spec describes, validated as K20 4-tokens/4-creation.md and
 * 6-abi-reference.md §5 say: the logon SID S-1-5-5-hi-lo of session_id is
 * appended with 0xC0000007; each group's ENABLED follows its
 * ENABLED_BY_DEFAULT and enabled-by-default = privs_enabled. What the
 * kernel generates (token_id, modified_id, created_at, the token SD) is
 * left 0/NULL: ck_kacs_token_create fills it. -EINVAL with err naming the
 * offset and the rule broken; -EOPNOTSUPP for what clonekit cannot
 * evaluate (confinement, claims, device groups), once everything else is
 * valid; -ENOMEM.
 */
CK_API int ck_kacs_token_from_wire(const void *buf, size_t len, enum ck_kacs_profile p,
				   struct ck_kacs_token **out, struct ck_kacs_error *err);
/*
 * t as a spec (malloc'd into *buf, *len) that from_wire reads back to t's
 * caller-supplied fields. -EINVAL when the wire cannot say t: its last
 * group is not the logon SID of auth_id, or an index names that logon SID;
 * -ENOMEM.
 */
CK_API int ck_kacs_token_to_wire(const struct ck_kacs_token *t, uint8_t **buf, size_t *len);

struct ck_kacs_sessions;
/*
 * kacs_create_token (K20 13-appendix-a/1-syscalls.md) but its privilege
 * check: from_wire, then session_id must name a session of s (-EINVAL,
 * 4-creation.md rule 5; s NULL: not checked, for a caller without a
 * session table), then the kernel's fields: token_id from *next_id,
 * modified_id (token_id; 0 under v0.22), created_at (now), token_guid
 * (v0.22) and the default token SD for creator (the caller's user). The
 * session's live-token count is the caller's (ck_kacs_session_hold).
 */
CK_API int ck_kacs_token_create(const struct ck_kacs_sessions *s, const void *buf, size_t len,
				const struct ck_kacs_sid *creator, enum ck_kacs_profile p, uint64_t *next_id,
				struct ck_kacs_token **out, struct ck_kacs_error *err);

/*
 * The presets of the design (§12), as a supervisor mints them for the root
 * of its tree; the creator of each is SYSTEM:
 *   system  K20 13-appendix-a/5-boot.md's SYSTEM token (session 0), but with
 *           mandatory_policy NO_WRITE_UP only (see ck_kacs_token_preset(3))
 *   user    S-1-5-21-1-2-3-1001, groups WD AU BU, SeChangeNotify and
 *           SeCreateSymbolicLink enabled, Medium, session 1000
 *   low     user at Low
 *   admin   user plus BA (with SE_GROUP_OWNER), at High
 * token_id from *next_id (0 when next_id is NULL, as the boot token's).
 * -EINVAL for another name, -ENOMEM.
 */
CK_API int ck_kacs_token_preset(const char *name, enum ck_kacs_profile p, uint64_t *next_id,
				struct ck_kacs_token **out);
/* The i-th preset's name ("system", "admin", "user", "low"), NULL past the last. */
CK_API const char *ck_kacs_token_preset_name(size_t i);

/* ---- Logon sessions (K20 4-tokens/7-sessions.md, 13-appendix-a/5-boot.md) ---- */

#define CK_KACS_SESSION_SYSTEM        UINT64_C(0)    /* 5-boot.md */
#define CK_KACS_SESSION_ANONYMOUS     UINT64_C(998)  /* ANONYMOUS_LOGON_LUID, 4-tokens/3-lifecycle.md */
#define CK_KACS_SESSION_FIRST_DYNAMIC UINT64_C(1000) /* design §4 */

/* Logon types (6-abi-reference.md §6). */
#define CK_KACS_LOGON_INTERACTIVE       2u
#define CK_KACS_LOGON_NETWORK           3u
#define CK_KACS_LOGON_BATCH             4u
#define CK_KACS_LOGON_SERVICE           5u
#define CK_KACS_LOGON_NETWORK_CLEARTEXT 8u
#define CK_KACS_LOGON_NEW_CREDENTIALS   9u

/* The session wire format (6-abi-reference.md §6): 15 to 4096 bytes. */
#define CK_KACS_SESSION_SPEC_MIN 15u
#define CK_KACS_SESSION_SPEC_MAX 4096u

struct ck_kacs_session_info {
	size_t size;              /* sizeof(struct ck_kacs_session_info), set by the caller */
	uint64_t id;
	uint32_t logon_type;      /* CK_KACS_LOGON_* */
	struct ck_kacs_sid user, logon_sid;
	const char *auth_package; /* auth_package_len bytes of UTF-8, valid while the session lives */
	size_t auth_package_len;
	int64_t created_at;       /* ns since the epoch */
	uint32_t live_tokens;
};

/*
 * A table of logon sessions: SYSTEM (0) and ANONYMOUS (998) exist from the
 * start, each held by its boot token for ever; dynamic ones are numbered
 * from 1000 and never reused. A session that has had live tokens goes
 * when its last one is released (7-sessions.md "Cleanup"). NULL with errno
 * ENOMEM.
 */
CK_API struct ck_kacs_sessions *ck_kacs_sessions_new(void);
CK_API void ck_kacs_sessions_free(struct ck_kacs_sessions *s);
/*
 * kacs_create_session without its privilege check: the spec's session into
 * s, its id in *id. -EINVAL with err naming the offset (a size outside
 * 15..4096, an unknown logon type, auth_pkg not UTF-8, a user SID that is
 * not exactly user_sid_len bytes or not the last ones); -ENOMEM.
 */
CK_API int ck_kacs_session_create(struct ck_kacs_sessions *s, const void *spec, size_t len, uint64_t *id,
				  struct ck_kacs_error *err);
/* The same from its parts (-EINVAL for an unknown logon type, bad UTF-8, or too long a spec). */
CK_API int ck_kacs_session_add(struct ck_kacs_sessions *s, uint32_t logon_type, const char *auth_package,
			       size_t auth_len, const struct ck_kacs_sid *user, uint64_t *id);
/* The spec of a session into buf (len bytes): its size, -ENOSPC when len is short, -EINVAL as add. */
CK_API ssize_t ck_kacs_session_spec(uint32_t logon_type, const char *auth_package, size_t auth_len,
				    const struct ck_kacs_sid *user, void *buf, size_t len);
/* kacs_destroy_empty_session: 0, -ENOENT (no such session), -EBUSY (it has live tokens). */
CK_API int ck_kacs_session_destroy_empty(struct ck_kacs_sessions *s, uint64_t id);
/* 0 and *out, or -ENOENT; -EINVAL for a size too small. */
CK_API int ck_kacs_session_get(const struct ck_kacs_sessions *s, uint64_t id, struct ck_kacs_session_info *out);
/* A token of session id became live (hold) or was freed (release): 0, -ENOENT, -EINVAL (a release without a hold). */
CK_API int ck_kacs_session_hold(struct ck_kacs_sessions *s, uint64_t id);
CK_API int ck_kacs_session_release(struct ck_kacs_sessions *s, uint64_t id);
/* The logon SID of a session id: S-1-5-5-{id >> 32}-{id & 0xFFFFFFFF}. */
CK_API void ck_kacs_logon_sid(uint64_t id, struct ck_kacs_sid *out);

/* ---- AccessCheck (K20 10-access-check/) ------------------------------------ */

/* Why a bit was granted or refused. */
enum ck_kacs_why {
	CK_KACS_WHY_NONE = 0,        /* not asked, or no ACE named it: refused by default */
	CK_KACS_WHY_ALLOW_ACE,       /* granted by ACE `ace` of the DACL */
	CK_KACS_WHY_DENY_ACE,        /* refused by ACE `ace` of the DACL */
	CK_KACS_WHY_NULL_DACL,       /* granted: the DACL is NULL */
	CK_KACS_WHY_OWNER,           /* granted: implicit owner rights (RC|WD) */
	CK_KACS_WHY_PRIVILEGE,       /* granted by the privilege `privilege` */
	CK_KACS_WHY_INTEGRITY,       /* refused by the mandatory label (ACE `ace` of the SACL, or the default) */
	CK_KACS_WHY_TRUST_LABEL,     /* refused by the object's trust label (ACE `ace` of the SACL) */
	CK_KACS_WHY_RESTRICTED,      /* refused by the restricted-SID pass */
	CK_KACS_WHY_PIP,             /* refused: the caller's PIP does not dominate the target's */
	CK_KACS_WHY_IDENTIFICATION,  /* refused: an Identification-level token decides nothing */
	CK_KACS_WHY_DEBUG,           /* granted by SeDebugPrivilege over the process SD */
	CK_KACS_WHY_SAME_PROCESS,    /* granted: caller and target are one process, no boundary crossed (ck_kacs_op_authorize) */
};

/* AccessCheck's question. */
struct ck_kacs_access_request {
	size_t size;                                /* sizeof(struct ck_kacs_access_request) */
	uint32_t desired;                           /* may hold generic bits and MAXIMUM_ALLOWED */
	const struct ck_kacs_generic_mapping *map;  /* NULL: the process mapping */
	uint32_t pip_type, pip_trust;               /* the caller's PIP (object trust labels) */
	unsigned intent;                            /* CK_KACS_INTENT_* */
	enum ck_kacs_profile profile;
};
#define CK_KACS_INTENT_BACKUP  0x1u
#define CK_KACS_INTENT_RESTORE 0x2u

/* Its answer. */
struct ck_kacs_access_result {
	size_t size;             /* sizeof(struct ck_kacs_access_result) */
	int error;               /* 0, -EACCES, -EINVAL (no owner, bad request) */
	uint32_t desired;        /* the request, generic bits mapped, MAXIMUM_ALLOWED cleared */
	uint32_t granted;        /* what the caller gets (0 on -EACCES) */
	uint64_t privileges_used; /* CK_KACS_PRIV() bits the decision used: the caller marks them used */
	struct {
		uint8_t why;       /* enum ck_kacs_why */
		uint8_t acl;       /* 'D' DACL, 'S' SACL, 'R' the restricted pass's DACL, 0 none */
		uint16_t ace;      /* index in that ACL */
		uint16_t privilege; /* LUID for CK_KACS_WHY_PRIVILEGE; for a refused ACCESS_SYSTEM_SECURITY (why NONE), the privilege it needs */
	} bit[32];               /* for each bit of desired and of granted (MAXIMUM_ALLOWED: every valid right too); zero elsewhere */
	/* What the sentence of ck_kacs_access_explain names (added by kacs-access). */
	uint32_t integrity_rid;                      /* the caller's integrity level (MIC) */
	uint32_t pip_type, pip_trust;                /* the caller's PIP (trust labels, the two-check rule) */
	uint32_t target_pip_type, target_pip_trust;  /* the target's PSB (ck_kacs_process_authorize) */
};

/*
 * AccessCheck of tok against sd (design §7.2, K20 10-access-check/10-algorithm.md).
 * Returns res->error. Pure: the token is not changed (privileges_used says
 * what to mark).
 */
CK_API int ck_kacs_access_check(const struct ck_kacs_token *tok, const struct ck_kacs_sd *sd,
				const struct ck_kacs_access_request *req, struct ck_kacs_access_result *res);
/*
 * One sentence that explains res: "granted 0x1001 (TERMINATE,QUERY_LIMITED)"
 * or "VM_WRITE refused: the caller's integrity (Low) is below the object's
 * label (Medium, NO_WRITE_UP); SIGNAL refused: no ACE grants it".
 * snprintf-shaped.
 */
CK_API int ck_kacs_access_explain(const struct ck_kacs_access_result *res, const struct ck_kacs_sd *sd,
				  const struct ck_kacs_generic_mapping *kind, char *buf, size_t len);

/* ---- Processes: the PSB, the process SD, the two-check rule (K20 5-psb/, 8-pip/) ---- */

/* PSB mitigation bits. */
#define CK_KACS_PSB_WXP        0x001u
#define CK_KACS_PSB_TLP        0x002u
#define CK_KACS_PSB_LSV        0x004u
#define CK_KACS_PSB_CFI        0x008u /* alias: CFIF|CFIB, not kept */
#define CK_KACS_PSB_UI_ACCESS  0x010u
#define CK_KACS_PSB_NO_CHILD   0x020u
#define CK_KACS_PSB_CFIF       0x040u
#define CK_KACS_PSB_CFIB       0x080u
#define CK_KACS_PSB_PIE        0x100u
#define CK_KACS_PSB_SML        0x200u
#define CK_KACS_PSB_ALL        0x3FFu

/* PIP types. */
#define CK_KACS_PIP_NONE      0u
#define CK_KACS_PIP_PROTECTED 512u
#define CK_KACS_PIP_ISOLATED  1024u

struct ck_kacs_psb {
	uint32_t pip_type, pip_trust;
	uint32_t mitigations; /* CK_KACS_PSB_* */
	uint8_t process_guid[16]; /* K22 */
};

/* caller dominates target: target is None, or both its type and trust are at most the caller's. */
CK_API bool ck_kacs_pip_dominates(const struct ck_kacs_psb *caller, const struct ck_kacs_psb *target);

/*
 * kacs_set_psb's rules on psb (design §10.2): -EINVAL for bits past ALL,
 * -ENODEV for bits nothing here can activate (supported: the mask given,
 * normally NO_CHILD|PIE|UI_ACCESS), nothing changed on error; bits only ever
 * added; CFI becomes CFIF|CFIB.
 */
CK_API int ck_kacs_psb_set(struct ck_kacs_psb *psb, uint32_t bits, uint32_t supported);
/* "nochild,pie" or hex to bits, and back (snprintf-shaped). */
CK_API int ck_kacs_psb_parse(const char *text, uint32_t *bits, struct ck_kacs_error *err);
CK_API int ck_kacs_psb_format(uint32_t bits, char *buf, size_t len);

/*
 * The process SD made at fork from the creating thread's primary token
 * (K20 5-psb/3-process-sd.md): owner = user, group = primary group, DACL
 * GA user, GA BA, GA SY, QL WD; v0.22 adds a SACL label NO_WRITE_UP at the
 * token's integrity level. NULL with errno.
 */
CK_API struct ck_kacs_sd *ck_kacs_process_sd_default(const struct ck_kacs_token *primary, enum ck_kacs_profile p);
/* The default SD of a new token (K20 4-tokens/8-access-rights.md), created by creator. */
CK_API struct ck_kacs_sd *ck_kacs_token_sd_default(const struct ck_kacs_token *token,
						  const struct ck_kacs_sid *creator);

/*
 * The two-check rule (design §7.3): AccessCheck of subject (the caller's
 * effective token) against the target's process SD with the caller's PIP
 * for trust labels; SeDebugPrivilege, when enabled and the token is not at
 * Identification, waives a refusal the SD made (not one of a trust label)
 * and is then in privileges_used; then PIP dominance, which nothing waives.
 * flags: CK_KACS_AUTH_NO_DEBUG where the operation takes no SeDebug bypass
 * (kacs_get_sd / kacs_set_sd).
 */
#define CK_KACS_AUTH_NO_DEBUG 0x1u
#define CK_KACS_AUTH_RESTORE  0x2u /* restore intent: SeRestorePrivilege counts (kacs_set_sd) */
CK_API int ck_kacs_process_authorize(const struct ck_kacs_token *subject, const struct ck_kacs_psb *caller,
				     const struct ck_kacs_sd *target_sd, const struct ck_kacs_psb *target,
				     uint32_t right, enum ck_kacs_profile p, unsigned flags,
				     struct ck_kacs_access_result *res);

/*
 * The right a signal asks for (design §9, K20 5-psb/3-process-sd.md): SIGCHLD,
 * SIGURG and SIGWINCH SIGNAL; SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU and SIGCONT
 * SUSPEND_RESUME; every other signal up to 64 TERMINATE; QUERY_LIMITED for 0;
 * 0 for a number outside 0..64.
 */
CK_API uint32_t ck_kacs_signal_right(int sig);

/* ---- PIP from signed binaries (K20 6-signing/1-binary-signing.md) ------------ */

#define CK_KACS_PIP_SIG_SECTION ".peios.sig"         /* the ELF section, SHT_PROGBITS */
#define CK_KACS_PIP_SIG_XATTR   "security.peios.sig" /* for files without that section */
#define CK_KACS_PIP_SIG_SIZE    65u                  /* version byte + Ed25519 signature */
#define CK_KACS_PIP_SIG_VERSION 0x01u

/* One entry of the key table: an Ed25519 public key and the PIP it gives. */
struct ck_kacs_pip_key {
	uint8_t key[32];      /* raw Ed25519 public key */
	uint32_t type, trust; /* CK_KACS_PIP_*, and the trust tier (PeiosTcb is 8192) */
};

/* How a verification ended: SIGNED, or why the file is unsigned (PIP None/0). */
enum ck_kacs_pip_status {
	CK_KACS_PIP_SIGNED = 0,     /* verified with keys[key] */
	CK_KACS_PIP_NO_SIGNATURE,   /* no .peios.sig section and no security.peios.sig xattr */
	CK_KACS_PIP_BAD_ELF,        /* \x7fELF, but its headers or section table are malformed (no xattr fallback) */
	CK_KACS_PIP_BAD_SECTION,    /* .peios.sig is not SHT_PROGBITS, not 65 bytes, or outside the file */
	CK_KACS_PIP_BAD_XATTR,      /* security.peios.sig is not 65 bytes */
	CK_KACS_PIP_BAD_VERSION,    /* the version byte is not 0x01 */
	CK_KACS_PIP_NO_MATCH,       /* the signature verifies with none of the keys */
	CK_KACS_PIP_CHANGED,        /* the file changed while it was read */
	CK_KACS_PIP_UNREADABLE,     /* not a regular file, or a read failed (err) */
};

/* Where the signature was read. */
enum ck_kacs_pip_source {
	CK_KACS_PIP_FROM_NONE = 0,
	CK_KACS_PIP_FROM_ELF,   /* the .peios.sig section: hash with its bytes as zeros */
	CK_KACS_PIP_FROM_XATTR, /* the xattr: hash of the whole file */
};

struct ck_kacs_pip_result {
	size_t size;                    /* sizeof(struct ck_kacs_pip_result), set by the caller */
	enum ck_kacs_pip_status status;
	uint32_t type, trust;           /* keys[key]'s when SIGNED, else 0 and 0 (None) */
	int key;                        /* the index of the key that verified, else -1 */
	enum ck_kacs_pip_source source; /* where the signature was, NONE when none was read */
	bool hashed;                    /* hash holds the content hash */
	uint8_t hash[32];               /* SHA-256 as the spec defines it for source */
	uint64_t file_size;             /* the size snapshot every read was held to */
	uint64_t sig_offset;            /* FROM_ELF: the section's sh_offset */
	int err;                        /* UNREADABLE: the errno of what failed, else 0 */
	char reason[192];               /* why it is unsigned; "" when SIGNED */
};

/*
 * The PIP fd's file would get at exec, as K20 6-signing/1-binary-signing.md
 * defines it: a .peios.sig section found by name in an ELF file (32- or
 * 64-bit, either byte order), else the security.peios.sig xattr; version
 * 0x01; Ed25519 (not ph) over the 32-byte SHA-256 content hash with each of
 * keys[0..n) in order, the first that verifies giving (type, trust). Every
 * read stays inside a size snapshot taken first; the size and timestamps are
 * read again at the end. Anything wrong makes the file unsigned and says why
 * in res->reason: that is an answer, not an error. Returns 0 with res
 * filled, or -EINVAL (res, or keys with n, missing; res->size too small) or
 * -EBADF (fd is not open) with res unsigned where it could be written.
 * fd is read with pread and keeps its offset.
 */
CK_API int ck_kacs_pip_verify_fd(int fd, const struct ck_kacs_pip_key *keys, size_t n,
				 struct ck_kacs_pip_result *res);
/* "signed", "no-signature", "bad-elf", ... (static storage); "?" for another value. */
CK_API const char *ck_kacs_pip_status_name(enum ck_kacs_pip_status s);

/*
 * "HEX32:TYPE:TRUST": 64 hex digits of an Ed25519 public key, a PIP type
 * (decimal, 0x hex, or none/protected/isolated in any case) above None, and a
 * 32-bit trust (a number, or PeiosTcb for 8192). 0, or -EINVAL with err
 * naming the column.
 */
CK_API int ck_kacs_pip_key_parse(const char *text, struct ck_kacs_pip_key *out, struct ck_kacs_error *err);
/* "HEX32:512:8192"; snprintf-shaped. */
CK_API int ck_kacs_pip_key_format(const struct ck_kacs_pip_key *key, char *buf, size_t len);
/* "None", "Protected", "Isolated", or NULL for another number. */
CK_API const char *ck_kacs_pip_type_name(uint32_t type);
/* A PIP type as ck_kacs_pip_key_parse reads it (any 32-bit number): 0 or -EINVAL. */
CK_API int ck_kacs_pip_type_parse(const char *text, uint32_t *out);

/*
 * Signing. seed is a 32-byte Ed25519 private key (RFC 8032's seed, what
 * `openssl genpkey -algorithm ed25519` keeps). ck_kacs_pip_sign_fd computes
 * the content hash and writes 0x01 and Ed25519(seed, hash): into the file's
 * existing 65-byte .peios.sig section (fd open for writing), or with
 * CK_KACS_PIP_SIGN_XATTR into its security.peios.sig xattr (CAP_SYS_ADMIN).
 * hash (may be NULL) gets the content hash signed. 0, or -errno with err
 * saying what and how to fix it: -ENODATA for an ELF file without the
 * section, -EEXIST for the xattr on a file that has one, -EINVAL for a
 * malformed one, -EPERM, -EAGAIN when the file changed while it was read.
 */
#define CK_KACS_PIP_SIGN_XATTR 0x1u
CK_API int ck_kacs_pip_sign_fd(int fd, const uint8_t seed[32], unsigned flags, uint8_t hash[32],
			       struct ck_kacs_error *err);
/* The public key of seed: 0 or -EINVAL (-ENOMEM). */
CK_API int ck_kacs_pip_public_key(const uint8_t seed[32], uint8_t pub[32]);
/*
 * Reads an Ed25519 key in PEM: a private key (PKCS#8, as openssl genpkey
 * writes it) gives its seed and public key; a public one (openssl pkey
 * -pubout) only pub, and -EINVAL when seed is asked for. seed may be NULL;
 * unencrypted keys only. 0 or -errno with err naming path.
 */
CK_API int ck_kacs_pip_pem_read(const char *path, uint8_t seed[32], uint8_t pub[32], struct ck_kacs_error *err);
/*
 * The process operations the model decides and what each needs (design §9,
 * K20 8-pip/2-enforcement-points.md, 5-psb/3-process-sd.md).
 */
enum ck_kacs_process_op {
	CK_KACS_OP_SIGNAL,             /* kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo: arg = the signal */
	CK_KACS_OP_PTRACE_ATTACH,      /* ptrace(PTRACE_ATTACH) */
	CK_KACS_OP_PTRACE_SEIZE,       /* ptrace(PTRACE_SEIZE) */
	CK_KACS_OP_PTRACE_TRACEME,     /* ptrace(PTRACE_TRACEME): subject = the parent (the tracer it names), target = the caller */
	CK_KACS_OP_VM_READV,           /* process_vm_readv */
	CK_KACS_OP_VM_WRITEV,          /* process_vm_writev */
	CK_KACS_OP_PIDFD_OPEN,         /* pidfd_open (a CLONE_PIDFD pidfd takes no check) */
	CK_KACS_OP_PIDFD_GETFD,        /* pidfd_getfd */
	CK_KACS_OP_SCHED_SET,          /* sched_setscheduler/setparam/setattr, setpriority, ioprio_set, migrate_pages, move_pages */
	CK_KACS_OP_SCHED_GET,          /* sched_getscheduler/getparam/getattr/getaffinity/rr_get_interval, ioprio_get */
	CK_KACS_OP_SETAFFINITY,        /* sched_setaffinity */
	CK_KACS_OP_PRLIMIT_GET,        /* prlimit64 with new == NULL */
	CK_KACS_OP_PRLIMIT_SET,        /* prlimit64 with a new limit */
	CK_KACS_OP_SETPGID,            /* setpgid */
	CK_KACS_OP_GETPGID,            /* getpgid */
	CK_KACS_OP_GETSID,             /* getsid */
	CK_KACS_OP_PERF_EVENT_OPEN,    /* perf_event_open on a process */
	CK_KACS_OP_KCMP,               /* kcmp: once for each other process */
	CK_KACS_OP_SET_PSB,            /* kacs_set_psb on a pidfd */
	CK_KACS_OP_GET_SD,             /* kacs_get_sd on a pidfd: arg = security_info */
	CK_KACS_OP_SET_SD,             /* kacs_set_sd on a pidfd: arg = security_info */
	CK_KACS_OP_OPEN_PROCESS_TOKEN, /* kacs_open_process_token */
	CK_KACS_OP_OPEN_THREAD_TOKEN,  /* kacs_open_thread_token */
	CK_KACS_OP__COUNT
};

/* kacs_get_sd / kacs_set_sd security_info (K20 11-facs/6-set-security.md). */
#define CK_KACS_SECINFO_OWNER 0x01u
#define CK_KACS_SECINFO_GROUP 0x02u
#define CK_KACS_SECINFO_DACL  0x04u
#define CK_KACS_SECINFO_SACL  0x08u
#define CK_KACS_SECINFO_LABEL 0x10u

/* What one operation needs. */
struct ck_kacs_op_rule {
	size_t size;             /* sizeof(struct ck_kacs_op_rule), set by the caller */
	const char *name;        /* "ptrace_attach" */
	const char *calls;       /* "ptrace(PTRACE_ATTACH)" */
	uint32_t right;          /* on the target's process SD */
	unsigned privilege;      /* LUID the subject must also have enabled, 0 for none */
	int deny_errno;          /* (positive) when the SD or PIP refuses: EACCES, or EPERM where Linux turns the refusal into it */
	int privilege_errno;     /* when the privilege is not enabled */
	unsigned flags;          /* CK_KACS_OP_* */
	unsigned auth_flags;     /* CK_KACS_AUTH_* for the two-check rule */
};
#define CK_KACS_OP_SAME_PROCESS_FREE 0x1u /* the same process passes both checks (not a boundary) */
#define CK_KACS_OP_PRIVILEGE_FIRST   0x2u /* the privilege is checked first, for the same process too */

/*
 * The rule of op for arg (the signal; security_info; ignored otherwise): 0,
 * or -EINVAL for an op past the table, a signal outside 0..64, or a
 * security_info that is 0, has unknown bits or both SACL and LABEL.
 */
CK_API int ck_kacs_op_right(enum ck_kacs_process_op op, long arg, struct ck_kacs_op_rule *out);
/* "signal", "ptrace_attach", ... (NULL past the table); parse takes those names (any case, '-' for '_'): 0 or -EINVAL. */
CK_API const char *ck_kacs_op_name(enum ck_kacs_process_op op);
CK_API int ck_kacs_op_parse(const char *name, enum ck_kacs_process_op *out);

/*
 * The whole decision of op: the privilege first where the rule says so, the
 * same-process exemption, ck_kacs_process_authorize with the rule's right
 * and flags, then the privilege. Returns res->error: 0, -EINVAL, or the
 * rule's errno negated (deny_errno for a refusal of the SD or PIP,
 * privilege_errno for a missing privilege).
 */
CK_API int ck_kacs_op_authorize(enum ck_kacs_process_op op, long arg, const struct ck_kacs_token *subject,
				const struct ck_kacs_psb *caller, const struct ck_kacs_sd *target_sd,
				const struct ck_kacs_psb *target, bool same_process, enum ck_kacs_profile p,
				struct ck_kacs_access_result *res);

/*
 * What the model does for one clone flag, as a sentence for `clonekit
 * explain`: CLONE_THREAD (the shared token), CLONE_PIDFD (no AccessCheck,
 * unlike pidfd_open), CLONE_PARENT (the SD comes from the creator),
 * CLONE_UNTRACED (a later PTRACE_ATTACH still meets the SD and PIP); rights
 * and errnos from ck_kacs_op_right. snprintf-shaped; -ENOENT for a flag the
 * model has nothing to say about.
 */
CK_API int ck_kacs_clone_note(uint64_t flag, char *buf, size_t len);

/* ---- The supervisor: the model enforced on a real process tree (design §2-§12) ---- */

/*
 * One decision of the supervisor: a cross-process operation of the tree
 * decided with the two-check rule, or a privilege or mitigation gate. The
 * strings are valid during the callback only.
 */
struct ck_kacs_decision {
	size_t size;               /* sizeof(struct ck_kacs_decision) as the library has it */
	uint64_t time_ns;          /* CLOCK_REALTIME */
	pid_t caller_pid, caller_tid;
	const char *caller_user;   /* the SID text of the subject token's user */
	pid_t target_pid;          /* 0 when the operation has no target process */
	const char *target_user;   /* the target's primary token user; NULL without a target */
	const char *syscall;       /* "kill", "kacs_open_process_token", "ioctl(KACS_IOC_INSTALL)" ... */
	const char *op;            /* ck_kacs_op_name(), or the gate's name ("no_child_process", "pie") */
	uint32_t right;            /* what was asked (0 for a gate without one) */
	uint32_t granted;          /* what AccessCheck granted */
	int verdict;               /* 0 allowed, or the positive errno the caller got */
	const char *reason;        /* NULL when allowed; "sd", "pip", "privilege", "mitigation" or "lineage" */
	uint32_t caller_pip_type, caller_pip_trust, target_pip_type, target_pip_trust;
	uint64_t privileges_used;  /* privileges the decision used (SeDebug's waiver, ...) */
};
typedef void (*ck_kacs_decision_fn)(const struct ck_kacs_decision *d, void *data);

struct ck_kacs_supervisor;

/* How to supervise. Extensible: set size to sizeof(struct ck_kacs_supervisor_opts). */
struct ck_kacs_supervisor_opts {
	size_t size;
	enum ck_kacs_profile profile;
	const struct ck_kacs_token *token;       /* the root's primary token (copied); NULL: the "system" preset */
	uint32_t psb;                            /* the root's mitigations (ck_kacs_psb_set rules) */
	const struct ck_kacs_sd *sd;             /* the root's process SD (copied); NULL: the default */
	const struct ck_kacs_sd *external_sd;    /* processes outside the tree; NULL: O:SYG:SYD:(A;;GA;;;SY) */
	const struct ck_kacs_pip_key *pip_keys;  /* copied */
	size_t n_pip_keys;
	unsigned perf_pages;                     /* data pages per CPU ring (power of two); 0: 32 */
	ck_kacs_decision_fn on_decision;
	void *data;
	int decisions_fd;                        /* JSON Lines of every decision, or -1 */
};

/*
 * A supervisor ready to start a tree. 0, or -EINVAL (err says which option),
 * -ENOMEM.
 */
CK_API int ck_kacs_supervisor_new(struct ck_kacs_supervisor **out, const struct ck_kacs_supervisor_opts *opts,
				  struct ck_kacs_error *err);
CK_API void ck_kacs_supervisor_free(struct ck_kacs_supervisor *s);
/*
 * Starts file (argv, envp) through ck_spawn with attr's settings (may be
 * NULL) plus the supervisor's filter and listener, held until S has the
 * listener, the perf events and the root's state. 0, or -errno with err:
 * -EACCES when perf is refused (kernel.perf_event_paranoid), execve's errno.
 */
CK_API int ck_kacs_supervisor_start(struct ck_kacs_supervisor *s, const char *file, char *const argv[],
				    char *const envp[], struct ck_spawn_attr *attr, struct ck_kacs_error *err);
/* An fd that is readable when ck_kacs_supervisor_step has work (an epoll fd). */
CK_API int ck_kacs_supervisor_fd(const struct ck_kacs_supervisor *s);
/*
 * Serves the tree for up to timeout_ms (-1: until something happened):
 * 1 while the tree lives, 0 once the root has ended and no task is left,
 * -EIO after a lost lineage record (the tree has been killed), -errno.
 */
CK_API int ck_kacs_supervisor_step(struct ck_kacs_supervisor *s, int timeout_ms);
/* The root's wait status once step returned 0 (or -EIO): 0 and *status, -EBUSY before. */
CK_API int ck_kacs_supervisor_status(const struct ck_kacs_supervisor *s, int *status);
/* start, then step until the tree has ended; SIGINT, SIGTERM, SIGHUP forwarded to the root. */
CK_API int ck_kacs_supervisor_run(struct ck_kacs_supervisor *s, const char *file, char *const argv[],
				  char *const envp[], struct ck_spawn_attr *attr, int *status,
				  struct ck_kacs_error *err);
/* Sends sig to the root (pidfd). */
CK_API int ck_kacs_supervisor_signal(struct ck_kacs_supervisor *s, int sig);
/*
 * Why the tree ended other than by itself ("lineage lost: ...", or why the
 * root's execve failed), "" otherwise. Valid until the next call on s.
 */
CK_API const char *ck_kacs_supervisor_message(const struct ck_kacs_supervisor *s);
/* Every tid the supervisor knows now, up to max into out: the count (which may exceed max). */
CK_API size_t ck_kacs_supervisor_tasks(struct ck_kacs_supervisor *s, pid_t *out, size_t max);

struct ck_kacs_supervisor_stats {
	size_t size;            /* sizeof(struct ck_kacs_supervisor_stats), set by the caller */
	uint64_t records;       /* lineage records applied */
	uint64_t lost;          /* PERF_RECORD_LOST counts (a nonzero value ended the tree) */
	uint64_t notifications; /* notifications answered */
	uint64_t deferred;      /* of which waited for a newborn's record */
	uint64_t decisions;     /* decisions logged */
	uint64_t tasks, processes, handles; /* live now */
	uint64_t reattached;    /* non-dumpable execs whose perf events S opened again */
	uint64_t blind;         /* non-dumpable execs S could not follow (their task creation and exec refused) */
};
CK_API int ck_kacs_supervisor_stats(const struct ck_kacs_supervisor *s, struct ck_kacs_supervisor_stats *st);

#ifdef __cplusplus
}
#endif

#endif
