/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The token presets of the design (§12): system, admin, user and low, as a
 * supervisor mints them for the root of its tree. Their creator is SYSTEM.
 *
 * Every preset's mandatory_policy is NO_WRITE_UP alone. K20's boot SYSTEM
 * token carries NEW_PROCESS_MIN too (13-appendix-a/5-boot.md), but a
 * supervised tree's executables have no integrity label, so that each
 * counts as Medium (4-tokens/3-lifecycle.md): with NEW_PROCESS_MIN the
 * first exec would turn system and admin into Medium tokens (design §16).
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal/util.h"
#include "kacs/internal.h"
#include "kacs/token.h"


/* LOCAL, which has no SDDL alias in sid.c's table */
static const struct ck_kacs_sid sid_local = { .revision = 1, .sub_count = 1, .authority = { 0, 0, 0, 0, 0, 2 } };
static const struct ck_kacs_sid sid_user = {
	.revision = 1, .sub_count = 5, .authority = { 0, 0, 0, 0, 0, 5 }, .sub = { 21, 1, 2, 3, 1001 },
};

#define ATTRS_STD (CK_KACS_GROUP_MANDATORY | CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED)
#define ATTRS_OWNER (ATTRS_STD | CK_KACS_GROUP_OWNER)

static const char *const names[] = { "system", "admin", "user", "low" };

const char *ck_kacs_token_preset_name(size_t i)
{
	return i < CK_ARRAY_SIZE(names) ? names[i] : NULL;
}

static void add_group(struct ck_kacs_token *t, const struct ck_kacs_sid *sid, uint32_t attributes)
{
	t->groups[t->group_count++] = (struct ck_kacs_sid_attr){ .sid = *sid, .attributes = attributes };
}

/* K20 13-appendix-a/5-boot.md step 3, but the mandatory policy (see above). */
static int make_system(struct ck_kacs_token *t)
{
	t->user = *CK__KACS_SID("SY");
	add_group(t, CK__KACS_SID("BA"), ATTRS_OWNER);
	add_group(t, CK__KACS_SID("WD"), ATTRS_STD);
	add_group(t, CK__KACS_SID("AU"), ATTRS_STD);
	add_group(t, &sid_local, ATTRS_STD);
	t->privileges_present = t->privileges_enabled = t->privileges_enabled_by_default = CK_KACS_PRIV_CATALOG;
	t->integrity_rid = CK_KACS_IL_SYSTEM;
	t->auth_id = CK_KACS_SESSION_SYSTEM;
	memcpy(t->source_name, "PeiosKrn", 8);
	t->projected_uid = t->projected_gid = 0;
	t->owner_index = 0;
	t->primary_group_index = 1;
	/* the default DACL: ALLOW SYSTEM GENERIC_ALL, ALLOW BUILTIN\Administrators GENERIC_ALL */
	struct ck_kacs_ace dacl[] = { ck__kacs_allow(CK_KACS_GENERIC_ALL, CK__KACS_SID("SY")),
				      ck__kacs_allow(CK_KACS_GENERIC_ALL, CK__KACS_SID("BA")) };
	t->default_dacl_holder = ck__kacs_sd_build(CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT, NULL, NULL, dacl, 2);
	/* the explicit bootstrap SD: owner SYSTEM; ALLOW SY self-access, ALLOW SY ALL, ALLOW BA ALL */
	struct ck_kacs_ace own[] = { ck__kacs_allow(CK__KACS_TOKEN_SELF_ACCESS, CK__KACS_SID("SY")),
				     ck__kacs_allow(CK_KACS_TOKEN_ALL_ACCESS, CK__KACS_SID("SY")),
				     ck__kacs_allow(CK_KACS_TOKEN_ALL_ACCESS, CK__KACS_SID("BA")) };
	t->sd = ck__kacs_sd_build(CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_DACL_DEFAULTED |
					  CK_KACS_SE_GROUP_DEFAULTED | CK_KACS_SE_OWNER_DEFAULTED,
				  CK__KACS_SID("SY"), CK__KACS_SID("SY"), own, 3);
	return t->default_dacl_holder && t->sd ? 0 : -ENOMEM;
}

/* The user of the design's presets; admin adds BA (and High), low is at Low. */
static int make_user(struct ck_kacs_token *t, const char *name)
{
	t->user = sid_user;
	add_group(t, CK__KACS_SID("WD"), ATTRS_STD);
	add_group(t, CK__KACS_SID("AU"), ATTRS_STD);
	add_group(t, CK__KACS_SID("BU"), ATTRS_STD);
	if (strcmp(name, "admin") == 0)
		add_group(t, CK__KACS_SID("BA"), ATTRS_OWNER);
	/* K20 7-privileges/2-catalog.md "Default-grant privileges": in every token authd makes */
	t->privileges_present = t->privileges_enabled = t->privileges_enabled_by_default =
		CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY) | CK_KACS_PRIV(35 /* SeCreateSymbolicLinkPrivilege */);
	t->integrity_rid = strcmp(name, "admin") == 0 ? CK_KACS_IL_HIGH
			   : strcmp(name, "low") == 0 ? CK_KACS_IL_LOW
						      : CK_KACS_IL_MEDIUM;
	/* the first session a fresh table gives (ck_kacs_session_add) */
	t->auth_id = CK_KACS_SESSION_FIRST_DYNAMIC;
	memcpy(t->source_name, "clonekit", 8);
	/* K20 4-tokens/2-structure.md: 65534 when unmapped (there is no directory here) */
	t->projected_uid = t->projected_gid = 65534;
	t->owner_index = 0;
	t->primary_group_index = 0;
	struct ck_kacs_ace dacl[] = { ck__kacs_allow(CK_KACS_GENERIC_ALL, &sid_user),
				      ck__kacs_allow(CK_KACS_GENERIC_ALL, CK__KACS_SID("SY")) };
	t->default_dacl_holder = ck__kacs_sd_build(CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT, NULL, NULL, dacl, 2);
	t->sd = ck_kacs_token_sd_default(t, CK__KACS_SID("SY"));
	return t->default_dacl_holder && t->sd ? 0 : -ENOMEM;
}

int ck_kacs_token_preset(const char *name, enum ck_kacs_profile p, uint64_t *next_id, struct ck_kacs_token **out)
{
	size_t i = 0;
	struct timespec ts;

	if (!name || !out)
		return -EINVAL;
	*out = NULL;
	while (i < CK_ARRAY_SIZE(names) && strcmp(name, names[i]) != 0)
		i++;
	if (i == CK_ARRAY_SIZE(names))
		return -EINVAL;
	struct ck_kacs_token *t = ck__kacs_token_new();
	if (!t)
		return -ENOMEM;
	t->type = CK_KACS_TOKEN_PRIMARY;
	t->impersonation_level = CK_KACS_ANONYMOUS;
	t->mandatory_policy = CK_KACS_POLICY_NO_WRITE_UP;
	t->elevation_type = CK_KACS_ELEVATION_DEFAULT;
	clock_gettime(CLOCK_REALTIME, &ts);
	t->created_at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	int r = ck__kacs_token_new_id(t, p, next_id);
	if (r == 0)
		r = i == 0 ? make_system(t) : make_user(t, name);
	if (r < 0) {
		ck_kacs_token_free(t);
		return r;
	}
	/* the logon SID of the session, appended as CreateToken appends it */
	ck__kacs_token_append_logon(t);
	*out = t;
	return 0;
}
