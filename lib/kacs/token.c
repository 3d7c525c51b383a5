/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens as objects (K20 4-tokens/): the deep copy of a fork, DuplicateToken,
 * FilterToken, NEW_PROCESS_MIN, the four adjustments with their
 * all-or-nothing validation, and the default token SD.
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal/util.h"
#include "kacs/internal.h"
#include "kacs/token.h"

#define ENTRY_FAIL(err, i, ...) ck__kacs_fail((err), EINVAL, "entry", (i), __VA_ARGS__)


void ck__kacs_token_append_logon(struct ck_kacs_token *t)
{
	ck_kacs_logon_sid(t->auth_id, &t->groups[t->group_count].sid);
	t->groups[t->group_count++].attributes = CK__KACS_LOGON_ATTRS;
}

bool ck__kacs_is_logon_group(uint32_t attributes)
{
	return (attributes & CK_KACS_GROUP_LOGON_ID) == CK_KACS_GROUP_LOGON_ID;
}

struct ck_kacs_token *ck__kacs_token_new(void)
{
	struct ck_kacs_token *t = calloc(1, sizeof(*t));
	if (!t)
		errno = ENOMEM;
	return t;
}

void ck_kacs_token_free(struct ck_kacs_token *t)
{
	if (!t)
		return;
	ck_kacs_sd_free(t->default_dacl_holder);
	ck_kacs_sd_free(t->sd);
	free(t->projected_supp_gids);
	free(t);
}

struct ck_kacs_token *ck__kacs_token_clone(const struct ck_kacs_token *t)
{
	/* every byte is copied: no need to zero the 10 KB first (a fork makes one) */
	struct ck_kacs_token *c = malloc(sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(c, t, sizeof(*c));
	c->default_dacl_holder = NULL;
	c->sd = NULL;
	c->projected_supp_gids = NULL;
	if ((t->default_dacl_holder && !(c->default_dacl_holder = ck_kacs_sd_dup(t->default_dacl_holder))) ||
	    (t->sd && !(c->sd = ck_kacs_sd_dup(t->sd))))
		goto nomem;
	if (t->projected_supp_gid_count) {
		c->projected_supp_gids = malloc(t->projected_supp_gid_count * sizeof(uint32_t));
		if (!c->projected_supp_gids)
			goto nomem;
		memcpy(c->projected_supp_gids, t->projected_supp_gids, t->projected_supp_gid_count * sizeof(uint32_t));
	}
	return c;
nomem:
	ck_kacs_token_free(c);
	errno = ENOMEM;
	return NULL;
}

int ck__kacs_token_new_id(struct ck_kacs_token *t, enum ck_kacs_profile p, uint64_t *next_id)
{
	t->token_id = next_id ? (*next_id)++ : 0;
	memset(t->token_guid, 0, sizeof(t->token_guid));
	if (p != CK_KACS_V0_22) {
		/* K20 4-tokens/4-creation.md: modified_id initialized to the new token_id */
		t->modified_id = t->token_id;
		return 0;
	}
	/* K22 4-tokens/2-structure.md: a UUIDv4 (RFC 4122) and modified_id 0 */
	t->modified_id = 0;
	if (getrandom(t->token_guid, sizeof(t->token_guid), 0) != (ssize_t)sizeof(t->token_guid))
		return errno ? -errno : -EIO;
	t->token_guid[6] = (uint8_t)((t->token_guid[6] & 0x0f) | 0x40);
	t->token_guid[8] = (uint8_t)((t->token_guid[8] & 0x3f) | 0x80);
	return 0;
}

struct ck_kacs_token *ck_kacs_token_copy(const struct ck_kacs_token *t, enum ck_kacs_profile p, uint64_t *next_id)
{
	if (!t || !next_id) {
		errno = EINVAL;
		return NULL;
	}
	/* K20 4-tokens/3-lifecycle.md: an independent deep copy; the ids as design §10.1 (PKM deep_copy) */
	struct ck_kacs_token *c = ck__kacs_token_clone(t);
	if (!c)
		return NULL;
	int r = ck__kacs_token_new_id(c, p, next_id);
	if (r < 0) {
		ck_kacs_token_free(c);
		errno = -r;
		return NULL;
	}
	return c;
}

int ck_kacs_token_new_process_min(const struct ck_kacs_token *t, uint32_t file_il, enum ck_kacs_profile p,
				  uint64_t *next_id, struct ck_kacs_token **out)
{
	if (!t || !out || !next_id)
		return -EINVAL;
	*out = NULL;
	if (t->type != CK_KACS_TOKEN_PRIMARY)
		return -EINVAL;
	/* K20 4-tokens/3-lifecycle.md "NEW_PROCESS_MIN": only ever lowers */
	if (!(t->mandatory_policy & CK_KACS_POLICY_NEW_PROCESS_MIN) || file_il >= t->integrity_rid)
		return 0;
	struct ck_kacs_token *c = ck__kacs_token_clone(t);
	if (!c)
		return -ENOMEM;
	int r = ck__kacs_token_new_id(c, p, next_id);
	if (r < 0) {
		ck_kacs_token_free(c);
		return r;
	}
	c->integrity_rid = file_il;
	c->elevation_type = CK_KACS_ELEVATION_DEFAULT;
	*out = c;
	return 0;
}

/* ---- The default token SD (K20 4-tokens/8-access-rights.md) ---- */

struct ck_kacs_ace ck__kacs_allow(uint32_t mask, const struct ck_kacs_sid *sid)
{
	return (struct ck_kacs_ace){
		.type = CK_KACS_ACE_ALLOW, .mask = mask, .sid = *sid, .size = (uint16_t)(8 + ck_kacs_sid_size(sid)),
	};
}

struct ck_kacs_sd *ck__kacs_sd_build(uint16_t control, const struct ck_kacs_sid *owner, const struct ck_kacs_sid *group,
				     const struct ck_kacs_ace *aces, uint16_t count)
{
	struct ck_kacs_sd sd = { .revision = 1, .control = control };

	if (owner) {
		sd.has_owner = true;
		sd.owner = *owner;
	}
	if (group) {
		sd.has_group = true;
		sd.group = *group;
	}
	sd.dacl_present = true;
	sd.dacl = (struct ck_kacs_acl){ .revision = 2, .count = count, .aces = (struct ck_kacs_ace *)aces };
	/* sd.c's copy owns its ACEs as ck_kacs_sd_free expects */
	return ck_kacs_sd_dup(&sd);
}

struct ck_kacs_sd *ck_kacs_token_sd_default(const struct ck_kacs_token *token, const struct ck_kacs_sid *creator)
{
	struct ck_kacs_ace aces[3];
	uint16_t n = 0;

	if (!token || !creator) {
		errno = EINVAL;
		return NULL;
	}
	/*
	 * The ACEs in the order of PKM's build_token_sd_bytes (OWNER RIGHTS first);
	 * owner and group the creator, control SR|DP|DD|GD|OD as PKM writes it.
	 */
	bool self = ck_kacs_sid_equal(creator, &token->user);
	if (self) /* the creator ACE left out, OWNER RIGHTS keeps RC and takes WRITE_DAC away */
		aces[n++] = ck__kacs_allow(CK_KACS_READ_CONTROL, CK__KACS_SID("OW"));
	aces[n++] = ck__kacs_allow(CK__KACS_TOKEN_SELF_ACCESS, &token->user);
	if (!self)
		aces[n++] = ck__kacs_allow(CK_KACS_TOKEN_ALL_ACCESS, creator);
	aces[n++] = ck__kacs_allow(CK_KACS_TOKEN_ALL_ACCESS, CK__KACS_SID("SY"));
	return ck__kacs_sd_build(CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_DACL_DEFAULTED |
					 CK_KACS_SE_GROUP_DEFAULTED | CK_KACS_SE_OWNER_DEFAULTED,
				 creator, creator, aces, n);
}

/* A new token object derived from t (duplicate, restrict): new ids, elevation Default, a fresh SD. */
static int derive(const struct ck_kacs_token *t, const struct ck_kacs_sid *creator, enum ck_kacs_profile p,
		  uint64_t *next_id, struct ck_kacs_token **out)
{
	struct ck_kacs_token *c = ck__kacs_token_clone(t);

	if (!c)
		return -ENOMEM;
	int r = ck__kacs_token_new_id(c, p, next_id);
	if (r < 0) {
		ck_kacs_token_free(c);
		return r;
	}
	c->elevation_type = CK_KACS_ELEVATION_DEFAULT;
	ck_kacs_sd_free(c->sd);
	c->sd = ck_kacs_token_sd_default(c, creator);
	if (!c->sd) {
		ck_kacs_token_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

/* K22 9-impersonation/3-lifecycle.md: Anonymous is an identity boundary, not a flag. */
static void make_anonymous(struct ck_kacs_token *c)
{
	c->user = *CK__KACS_SID("AN");
	c->user_deny_only = false;
	/* "Default (secure): excluded": no Everyone (K22 1-levels.md says otherwise; the policy section wins) */
	c->group_count = 0;
	c->restricted = false;
	c->restricted_count = 0;
	c->write_restricted = false;
	c->privileges_present = c->privileges_enabled = c->privileges_enabled_by_default = 0;
	c->privileges_used = 0;
	c->integrity_rid = CK_KACS_IL_UNTRUSTED;
	c->mandatory_policy = CK_KACS_POLICY_NO_WRITE_UP | CK_KACS_POLICY_NEW_PROCESS_MIN;
	c->auth_id = CK_KACS_SESSION_ANONYMOUS;
	c->origin = 0;
	memcpy(c->source_name, "PeiosKrn", 8);
	c->source_luid = 0;
	c->owner_index = c->primary_group_index = 0;
	ck_kacs_sd_free(c->default_dacl_holder);
	c->default_dacl_holder = NULL;
	c->projected_uid = c->projected_gid = 65534;
	c->projected_supp_gid_count = 0;
	free(c->projected_supp_gids);
	c->projected_supp_gids = NULL;
}

int ck_kacs_token_duplicate(const struct ck_kacs_token *t, enum ck_kacs_token_type type, enum ck_kacs_imp_level level,
			    const struct ck_kacs_sid *creator, enum ck_kacs_profile p, uint64_t *next_id,
			    struct ck_kacs_token **out, struct ck_kacs_error *err)
{
	if (!t || !creator || !next_id || !out)
		return -EINVAL;
	*out = NULL;
	/* K20 6-abi-reference.md kacs_duplicate_args: 1 Primary, 2 Impersonation; levels 0-3 */
	if (type != CK_KACS_TOKEN_PRIMARY && type != CK_KACS_TOKEN_IMPERSONATION)
		return ck__kacs_fail(err, EINVAL, "token_type", (size_t)(unsigned)type, "is neither 1 (Primary) nor 2 (Impersonation)");
	if ((unsigned)level > CK_KACS_DELEGATION)
		return ck__kacs_fail(err, EINVAL, "impersonation_level", (size_t)(unsigned)level, "is past 3 (Delegation)");
	/* K20 4-tokens/4-creation.md: no escalation from an impersonation token */
	if (type == CK_KACS_TOKEN_IMPERSONATION && t->type == CK_KACS_TOKEN_IMPERSONATION &&
	    level > t->impersonation_level)
		return ck__kacs_fail(err, EINVAL, "impersonation_level", (size_t)level,
				     "is above the source impersonation token's level %u: duplication cannot raise it",
				     (unsigned)t->impersonation_level);
	struct ck_kacs_token *c;
	int r = derive(t, creator, p, next_id, &c);
	if (r < 0)
		return r;
	c->type = type;
	/* a Primary duplicate is at Anonymous, whatever level was asked (PKM does not refuse it) */
	c->impersonation_level = type == CK_KACS_TOKEN_PRIMARY ? CK_KACS_ANONYMOUS : level;
	if (p == CK_KACS_V0_22 && type == CK_KACS_TOKEN_IMPERSONATION && level == CK_KACS_ANONYMOUS) {
		make_anonymous(c);
		/* the SD's self ACE names the token's (new) user */
		ck_kacs_sd_free(c->sd);
		if (!(c->sd = ck_kacs_token_sd_default(c, creator))) {
			ck_kacs_token_free(c);
			return -ENOMEM;
		}
	}
	*out = c;
	return 0;
}

/* ---- FilterToken ---- */

static bool sid_listed(const struct ck_kacs_sid *sid, const struct ck_kacs_sid *list, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (ck_kacs_sid_equal(sid, &list[i]))
			return true;
	return false;
}

int ck_kacs_token_restrict(const struct ck_kacs_token *t, const struct ck_kacs_restrict_args *a,
			   const struct ck_kacs_sid *creator, enum ck_kacs_profile p, uint64_t *next_id,
			   struct ck_kacs_token **out, struct ck_kacs_error *err)
{
	struct ck_kacs_sid sids[CK_KACS_GROUPS_MAX];
	const uint8_t *d = a ? a->data : NULL;
	uint64_t deny = 0;

	if (!t || !a || !creator || !next_id || !out || (a->data_len && !d))
		return -EINVAL;
	*out = NULL;
	/* K20 6-abi-reference.md kacs_restrict_args: flags other than bit 0 reserved */
	if (a->flags & ~CK_KACS_RESTRICT_WRITE_RESTRICTED)
		return ck__kacs_fail(err, EINVAL, "flags", a->flags,
				     "bits other than WRITE_RESTRICTED (0x1) are reserved (K20 6-abi-reference.md §4)");
	if (a->data_len > CK__KACS_DACL_MAX)
		return CK__KACS_BIN(err, 0, "data_len %zu is above the 65536 a payload may hold", a->data_len);
	if (a->num_restrict_sids > CK_KACS_GROUPS_MAX)
		return CK__KACS_BIN(err, 0, "%u restricting SIDs, at most %u", a->num_restrict_sids, CK_KACS_GROUPS_MAX);
	/* K20 2-ioctls.md KACS_IOC_RESTRICT: u32 deny indices, then packed SIDs, exactly data_len bytes */
	if ((uint64_t)a->num_deny_indices * 4 > a->data_len)
		return CK__KACS_BIN(err, 0, "%u deny indices need %llu bytes, data_len is %zu", a->num_deny_indices,
				    (unsigned long long)a->num_deny_indices * 4, a->data_len);
	for (uint32_t i = 0; i < a->num_deny_indices; i++) {
		uint32_t g = ck__le32(d + 4 * i);
		if (g >= t->group_count)
			return CK__KACS_BIN(err, 4 * (size_t)i, "deny index %u is past the token's %u groups (K20 4-tokens/4-creation.md)",
					    g, t->group_count);
		if (deny & (UINT64_C(1) << g))
			return CK__KACS_BIN(err, 4 * (size_t)i, "deny index %u is given twice (K20 4-tokens/4-creation.md)", g);
		deny |= UINT64_C(1) << g;
	}
	size_t at = 4 * (size_t)a->num_deny_indices;
	for (uint32_t i = 0; i < a->num_restrict_sids; i++) {
		memset(&sids[i], 0, sizeof(sids[i]));
		ssize_t n = ck__kacs_sid_read_at(d + at, a->data_len - at, at, "restricting", &sids[i], err);
		if (n < 0)
			return (int)n;
		at += (size_t)n;
	}
	if (at != a->data_len)
		return CK__KACS_BIN(err, at, "%zu bytes past the %u indices and %u SIDs declared: data_len must match exactly",
				    a->data_len - at, a->num_deny_indices, a->num_restrict_sids);

	struct ck_kacs_sid_attr restricted[CK_KACS_GROUPS_MAX];
	uint32_t nr = 0;
	if (t->restricted) {
		/* K20 4-tokens/4-creation.md: the intersection with the source's list, which must not be empty */
		for (uint32_t i = 0; i < t->restricted_count; i++)
			if (sid_listed(&t->restricted_sids[i].sid, sids, a->num_restrict_sids))
				restricted[nr++] = t->restricted_sids[i];
		if (nr == 0)
			return ck__kacs_fail(err, EINVAL, "num_restrict_sids", a->num_restrict_sids,
					     "none of these SIDs is among the source's restricting SIDs: the intersection is empty");
	} else {
		for (uint32_t i = 0; i < a->num_restrict_sids; i++)
			restricted[nr++] = (struct ck_kacs_sid_attr){ .sid = sids[i], .attributes = CK_KACS_GROUP_ENABLED };
	}

	struct ck_kacs_token *c;
	int r = derive(t, creator, p, next_id, &c);
	if (r < 0)
		return r;
	for (uint32_t g = 0; g < c->group_count; g++)
		if (deny & (UINT64_C(1) << g))
			c->groups[g].attributes |= CK_KACS_GROUP_USE_FOR_DENY_ONLY;
	c->privileges_present &= ~a->privs_to_delete;
	c->privileges_enabled &= ~a->privs_to_delete;
	c->privileges_enabled_by_default &= ~a->privs_to_delete;
	c->privileges_used = 0;
	memcpy(c->restricted_sids, restricted, nr * sizeof(restricted[0]));
	c->restricted_count = nr;
	c->restricted = nr > 0;
	c->write_restricted = t->write_restricted || (a->flags & CK_KACS_RESTRICT_WRITE_RESTRICTED);
	/* K20: user_deny_only exactly when write-restricted; K22: else copied from the source */
	c->user_deny_only = c->write_restricted || (p == CK_KACS_V0_22 && t->user_deny_only);
	*out = c;
	return 0;
}

/* ---- The adjustments (K20 4-tokens/5-adjustment.md, 13-appendix-a/2-ioctls.md) ---- */

void ck_kacs_token_mark_used(struct ck_kacs_token *t, uint64_t privileges)
{
	if (t)
		t->privileges_used |= privileges;
}

int ck_kacs_token_set_session_id(struct ck_kacs_token *t, uint32_t id)
{
	if (!t)
		return -EINVAL;
	t->interactive_session_id = id;
	t->modified_id++;
	return 0;
}

int ck_kacs_token_adjust_privileges(struct ck_kacs_token *t, const struct ck_kacs_priv_entry *e, uint32_t count,
				    uint64_t *previous_enabled, struct ck_kacs_error *err)
{
	const uint32_t known = CK_KACS_PRIV_ENABLED | CK_KACS_PRIV_REMOVED | CK_KACS_PRIV_RESET_ALL_DEFAULTS;
	uint64_t seen = 0, present, enabled, by_default;

	if (!t || (count && !e))
		return -EINVAL;
	if (count == 0 || count > CK_KACS_ADJUST_MAX)
		return ck__kacs_fail(err, EINVAL, "count", count, "an adjustment has 1 to 64 entries (K20 6-abi-reference.md §4)");
	present = t->privileges_present;
	enabled = t->privileges_enabled;
	by_default = t->privileges_enabled_by_default;
	/* first every entry is checked, then all are applied */
	for (uint32_t i = 0; i < count; i++) {
		uint32_t luid = e[i].luid, at = e[i].attributes;
		if (at & CK_KACS_PRIV_RESET_ALL_DEFAULTS) {
			if (count != 1 || luid != 0 || at != CK_KACS_PRIV_RESET_ALL_DEFAULTS)
				return ENTRY_FAIL(err, i, "RESET_ALL_DEFAULTS is valid only alone, as the one entry, with luid 0 "
						  "(K20 6-abi-reference.md kacs_priv_entry)");
			continue;
		}
		if (luid > 63)
			return ENTRY_FAIL(err, i, "luid %u is past 63", luid);
		if (at & ~known)
			return ENTRY_FAIL(err, i, "attributes %#x has bits that are not ENABLED (0x2) or REMOVED (0x4)", at);
		if (at == (CK_KACS_PRIV_ENABLED | CK_KACS_PRIV_REMOVED))
			return ENTRY_FAIL(err, i, "ENABLED and REMOVED together are invalid");
		if (seen & CK_KACS_PRIV(luid))
			return ENTRY_FAIL(err, i, "luid %u is given twice (K20 4-tokens/5-adjustment.md)", luid);
		seen |= CK_KACS_PRIV(luid);
		if (at == CK_KACS_PRIV_ENABLED && !(present & CK_KACS_PRIV(luid)))
			return ENTRY_FAIL(err, i, "%s (luid %u) is not present on the token: it cannot be enabled",
					  ck_kacs_privilege_name(luid) ? ck_kacs_privilege_name(luid) : "this privilege",
					  luid);
	}
	if (previous_enabled)
		*previous_enabled = enabled;
	if (e[0].attributes == CK_KACS_PRIV_RESET_ALL_DEFAULTS) {
		/* never restores what was removed (2-ioctls.md) */
		enabled = by_default & present;
	} else {
		for (uint32_t i = 0; i < count; i++) {
			uint64_t bit = CK_KACS_PRIV(e[i].luid);
			if (e[i].attributes == CK_KACS_PRIV_ENABLED) {
				enabled |= bit;
			} else if (e[i].attributes == CK_KACS_PRIV_REMOVED) {
				present &= ~bit;
				enabled &= ~bit;
				by_default &= ~bit;
			} else {
				enabled &= ~bit;
			}
		}
	}
	t->privileges_present = present;
	t->privileges_enabled = enabled;
	t->privileges_enabled_by_default = by_default;
	t->modified_id++;
	return 0;
}

static uint64_t enabled_groups(const struct ck_kacs_token *t)
{
	uint64_t m = 0;
	for (uint32_t g = 0; g < t->group_count; g++)
		if (t->groups[g].attributes & CK_KACS_GROUP_ENABLED)
			m |= UINT64_C(1) << g;
	return m;
}

int ck_kacs_token_adjust_groups(struct ck_kacs_token *t, const struct ck_kacs_group_entry *e, uint32_t count,
				uint64_t *previous_state, struct ck_kacs_error *err)
{
	uint64_t seen = 0;

	if (!t || (count && !e))
		return -EINVAL;
	if (count == 0 || count > CK_KACS_ADJUST_MAX)
		return ck__kacs_fail(err, EINVAL, "count", count, "an adjustment has 1 to 64 entries (K20 6-abi-reference.md §4)");
	if (e[0].index == CK_KACS_GROUPS_RESET) {
		if (count != 1 || e[0].enable != 0)
			return ENTRY_FAIL(err, 0, "the reset (index 0xFFFFFFFF) must be the only entry, with enable 0 "
					  "(K20 2-ioctls.md KACS_IOC_ADJUST_GROUPS)");
		if (previous_state)
			*previous_state = enabled_groups(t);
		/* creation-time state is ENABLED_BY_DEFAULT; deny-only stays deny-only (the bit is untouched) */
		for (uint32_t g = 0; g < t->group_count; g++)
			t->groups[g].attributes = ck__kacs_group_default_state(t->groups[g].attributes);
		t->modified_id++;
		return 0;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t g = e[i].index;
		if (g == CK_KACS_GROUPS_RESET)
			return ENTRY_FAIL(err, i, "the reset (index 0xFFFFFFFF) must be the only entry");
		if (g >= t->group_count)
			return ENTRY_FAIL(err, i, "index %u is past the token's %u groups", g, t->group_count);
		if (e[i].enable > 1)
			return ENTRY_FAIL(err, i, "enable %u is neither 0 nor 1", e[i].enable);
		if (seen & (UINT64_C(1) << g))
			return ENTRY_FAIL(err, i, "index %u is given twice (K20 2-ioctls.md)", g);
		seen |= UINT64_C(1) << g;
		uint32_t a = t->groups[g].attributes;
		/* K20 2-ioctls.md: an entry that targets a mandatory, deny-only or logon-SID group fails the call */
		if (ck__kacs_is_logon_group(a))
			return ENTRY_FAIL(err, i, "group %u is the logon SID, which cannot be adjusted", g);
		if (a & CK_KACS_GROUP_MANDATORY)
			return ENTRY_FAIL(err, i, "group %u is SE_GROUP_MANDATORY, which cannot be adjusted", g);
		if (a & CK_KACS_GROUP_USE_FOR_DENY_ONLY)
			return ENTRY_FAIL(err, i, "group %u is SE_GROUP_USE_FOR_DENY_ONLY, which cannot be adjusted", g);
		if (!e[i].enable && ck_kacs_sid_equal(&t->groups[g].sid, &t->user))
			return ENTRY_FAIL(err, i, "group %u is the user SID, which cannot be disabled (K20 4-tokens/5-adjustment.md)", g);
	}
	if (previous_state)
		*previous_state = enabled_groups(t);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t *a = &t->groups[e[i].index].attributes;
		*a = e[i].enable ? *a | CK_KACS_GROUP_ENABLED : *a & ~CK_KACS_GROUP_ENABLED;
	}
	t->modified_id++;
	return 0;
}

int ck_kacs_token_adjust_default(struct ck_kacs_token *t, const void *dacl, uint32_t dacl_len, uint16_t owner_index,
				 uint16_t group_index, struct ck_kacs_error *err)
{
	struct ck_kacs_sd *holder = NULL;

	if (!t)
		return -EINVAL;
	/* K20 6-abi-reference.md kacs_adjust_default_args: the three-way encoding, at most 65536 bytes */
	if (!dacl && dacl_len)
		return ck__kacs_fail(err, EINVAL, "dacl_len", dacl_len, "without a DACL pointer");
	if (dacl_len > CK__KACS_DACL_MAX)
		return ck__kacs_fail(err, EINVAL, "dacl_len", dacl_len, "is above 65536");
	if (owner_index != CK_KACS_INDEX_NO_CHANGE &&
	    owner_index != 0 && (owner_index > t->group_count ||
				 !(t->groups[owner_index - 1].attributes & CK_KACS_GROUP_OWNER)))
		return ck__kacs_fail(err, EINVAL, "owner_index", owner_index,
				     "names neither the user SID (0) nor a group with SE_GROUP_OWNER (K20 4-tokens/5-adjustment.md)");
	if (group_index != CK_KACS_INDEX_NO_CHANGE && group_index > t->group_count)
		return ck__kacs_fail(err, EINVAL, "group_index", group_index, "is past the token's %u groups", t->group_count);
	if (dacl && dacl_len) {
		int r = ck__kacs_dacl_parse(dacl, dacl_len, 0, &holder, err);
		if (r < 0)
			return r;
	}
	if (dacl) {
		ck_kacs_sd_free(t->default_dacl_holder);
		t->default_dacl_holder = holder;
	}
	if (owner_index != CK_KACS_INDEX_NO_CHANGE)
		t->owner_index = owner_index;
	if (group_index != CK_KACS_INDEX_NO_CHANGE)
		t->primary_group_index = group_index;
	t->modified_id++;
	return 0;
}
