/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers of the token modules (token.c, token_wire.c, token_preset.c). */
#ifndef CK_KACS_TOKEN_H
#define CK_KACS_TOKEN_H

#include <clonekit/kacs.h>

#include "kacs/internal.h"

/* Group attributes K20 2-sids/1-format.md defines: any other bit is refused. */
#define CK__KACS_GROUP_KNOWN                                                                             \
	(CK_KACS_GROUP_MANDATORY | CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED |             \
	 CK_KACS_GROUP_OWNER | CK_KACS_GROUP_USE_FOR_DENY_ONLY | CK_KACS_GROUP_INTEGRITY |                \
	 CK_KACS_GROUP_INTEGRITY_ENABLED | CK_KACS_GROUP_RESOURCE | CK_KACS_GROUP_LOGON_ID)
/* The logon SID's attributes (K20 4-tokens/4-creation.md). */
#define CK__KACS_LOGON_ATTRS                                                                             \
	(CK_KACS_GROUP_MANDATORY | CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED |             \
	 CK_KACS_GROUP_LOGON_ID)
/* The default token SD's self-access (K20 4-tokens/8-access-rights.md): QUERY|ADJUST_PRIVILEGES|ADJUST_GROUPS|ADJUST_DEFAULT. */
#define CK__KACS_TOKEN_SELF_ACCESS                                                                       \
	(CK_KACS_TOKEN_QUERY | CK_KACS_TOKEN_ADJUST_PRIVILEGES | CK_KACS_TOKEN_ADJUST_GROUPS |             \
	 CK_KACS_TOKEN_ADJUST_DEFAULT)
/* The largest default DACL (K20 6-abi-reference.md kacs_adjust_default_args). */
#define CK__KACS_DACL_MAX 65536u

/* A well-known SID by its SDDL alias (sid.c's table): "SY", "OW", "AN", "WD", "AU", "BA", "BU". */
#define CK__KACS_SID(alias) ck__kacs_alias_sid(alias)

/* A group's creation-time state (PKM): enabled exactly when enabled by default. */
static inline uint32_t ck__kacs_group_default_state(uint32_t a)
{
	return (a & CK_KACS_GROUP_ENABLED_BY_DEFAULT) ? a | CK_KACS_GROUP_ENABLED : a & ~CK_KACS_GROUP_ENABLED;
}

/* Appends the logon SID of t's session (S-1-5-5-hi-lo, 0xC0000007) as the kernel does at creation. */
void ck__kacs_token_append_logon(struct ck_kacs_token *t);

/* A zeroed token, or NULL (ENOMEM). */
struct ck_kacs_token *ck__kacs_token_new(void);
/* Every field of t, its SDs and gids copied; NULL with errno ENOMEM. */
struct ck_kacs_token *ck__kacs_token_clone(const struct ck_kacs_token *t);
/* A new identity: token_id from *next_id, then modified_id and token_guid as profile p says. 0 or -errno. */
int ck__kacs_token_new_id(struct ck_kacs_token *t, enum ck_kacs_profile p, uint64_t *next_id);
/*
 * The default DACL of len bytes at acl (whose first byte is at base of the
 * whole input), parsed strictly: exactly len bytes. 0 and *out (an SD with
 * only that DACL), or -EINVAL with err, or -ENOMEM.
 */
int ck__kacs_dacl_parse(const uint8_t *acl, size_t len, size_t base, struct ck_kacs_sd **out,
			struct ck_kacs_error *err);
/* The binary ACL of a holder SD's DACL, malloc'd into *buf, *len: 0 or -errno. */
int ck__kacs_dacl_bytes(const struct ck_kacs_sd *holder, uint8_t **buf, size_t *len);
/* An SD made of these parts (DACL ACEs of one revision-2 ACL), as ck_kacs_sd_dup makes SDs. NULL with errno. */
struct ck_kacs_sd *ck__kacs_sd_build(uint16_t control, const struct ck_kacs_sid *owner, const struct ck_kacs_sid *group,
				     const struct ck_kacs_ace *aces, uint16_t count);
/* An ALLOW ACE of mask for sid, its size set. */
struct ck_kacs_ace ck__kacs_allow(uint32_t mask, const struct ck_kacs_sid *sid);
/* Whether groups[i] is t's logon SID: SE_GROUP_LOGON_ID set. */
bool ck__kacs_is_logon_group(uint32_t attributes);

#endif
