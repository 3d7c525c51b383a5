/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kacs_get_sd's subsets and kacs_set_sd's merge by security information (K20 1-syscalls.md, 11-facs/6-set-security.md). */
#include "kacs/token_query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kacs/internal.h"

#define INFO_ALL                                                                                       \
	(CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_GROUP | CK_KACS_SECINFO_DACL | CK_KACS_SECINFO_SACL |    \
	 CK_KACS_SECINFO_LABEL)
#define DACL_CONTROL                                                                                   \
	(CK_KACS_SE_DACL_DEFAULTED | CK_KACS_SE_DACL_TRUSTED | CK_KACS_SE_DACL_AUTO_INHERIT_REQ |         \
	 CK_KACS_SE_DACL_AUTO_INHERITED | CK_KACS_SE_DACL_PROTECTED)
#define SACL_CONTROL                                                                                   \
	(CK_KACS_SE_SACL_DEFAULTED | CK_KACS_SE_SACL_AUTO_INHERIT_REQ | CK_KACS_SE_SACL_AUTO_INHERITED |  \
	 CK_KACS_SE_SACL_PROTECTED)

/* 1-syscalls.md: a nonzero subset of the five, never SACL with LABEL. */
static bool info_valid(uint32_t info)
{
	return info && !(info & ~INFO_ALL) &&
	       (info & (CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL)) != (CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL);
}

static void acl_clear(struct ck_kacs_acl *acl)
{
	free(acl->aces);
	memset(acl, 0, sizeof(*acl));
}

/* dst (cleared first) becomes a copy of src: 0 or -ENOMEM. */
static int acl_set(struct ck_kacs_acl *dst, const struct ck_kacs_acl *src)
{
	struct ck_kacs_ace *a = NULL;
	if (src->count) {
		a = malloc(sizeof(*a) * src->count);
		if (!a)
			return -ENOMEM;
		memcpy(a, src->aces, sizeof(*a) * src->count);
	}
	acl_clear(dst);
	*dst = *src;
	dst->aces = a;
	return 0;
}

/* The explicit label: the first non-inherit-only mandatory-label ACE (K20 10-access-check/3-integrity.md). */
static const struct ck_kacs_ace *label_of(const struct ck_kacs_sd *sd)
{
	if (!sd->sacl_present)
		return NULL;
	for (uint16_t i = 0; i < sd->sacl.count; i++) {
		const struct ck_kacs_ace *a = &sd->sacl.aces[i];
		if (a->type == CK_KACS_ACE_MANDATORY_LABEL && !(a->flags & CK_KACS_ACE_INHERIT_ONLY))
			return a;
	}
	return NULL;
}

/* The present bits of control follow the components. */
static void fix_present(struct ck_kacs_sd *sd)
{
	sd->control &= (uint16_t) ~(CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_SACL_PRESENT);
	sd->control |= CK_KACS_SE_SELF_RELATIVE;
	if (sd->dacl_present)
		sd->control |= CK_KACS_SE_DACL_PRESENT;
	if (sd->sacl_present)
		sd->control |= CK_KACS_SE_SACL_PRESENT;
}

/* sacl becomes only `label` (absent when NULL), keeping the ACL header of `hdr`. */
static int sacl_only(struct ck_kacs_sd *sd, const struct ck_kacs_acl *hdr, const struct ck_kacs_ace *label)
{
	struct ck_kacs_acl one = { .revision = hdr && hdr->revision ? hdr->revision : 2 };
	if (hdr) {
		one.sbz1 = hdr->sbz1;
		one.sbz2 = hdr->sbz2;
	}
	if (!label) {
		acl_clear(&sd->sacl);
		sd->sacl_present = false;
		return 0;
	}
	one.count = 1;
	one.aces = (struct ck_kacs_ace *)label;
	int r = acl_set(&sd->sacl, &one);
	sd->sacl_present = r == 0;
	return r;
}

int ck__kacs_sd_subset(const struct ck_kacs_sd *sd, uint32_t info, struct ck_kacs_sd **out)
{
	if (!sd || !out || !info_valid(info))
		return -EINVAL;
	struct ck_kacs_sd *c = ck_kacs_sd_dup(sd);
	if (!c)
		return -ENOMEM;
	uint16_t control = sd->control & CK_KACS_SE_RM_CONTROL_VALID;
	if (info & CK_KACS_SECINFO_OWNER)
		control |= sd->control & CK_KACS_SE_OWNER_DEFAULTED;
	else
		c->has_owner = false;
	if (info & CK_KACS_SECINFO_GROUP)
		control |= sd->control & CK_KACS_SE_GROUP_DEFAULTED;
	else
		c->has_group = false;
	if (info & CK_KACS_SECINFO_DACL) {
		control |= sd->control & DACL_CONTROL;
	} else {
		acl_clear(&c->dacl);
		c->dacl_present = false;
	}
	if (info & (CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL))
		control |= sd->control & SACL_CONTROL;
	if (info & CK_KACS_SECINFO_LABEL) {
		/* 1-syscalls.md: exactly the explicit label, or no SACL component */
		struct ck_kacs_ace label;
		const struct ck_kacs_ace *l = label_of(sd);
		if (l)
			label = *l;
		if (sacl_only(c, &sd->sacl, l ? &label : NULL)) {
			ck_kacs_sd_free(c);
			return -ENOMEM;
		}
	} else if (!(info & CK_KACS_SECINFO_SACL)) {
		acl_clear(&c->sacl);
		c->sacl_present = false;
	}
	c->control = control;
	fix_present(c);
	*out = c;
	return 0;
}

static bool priv_enabled(const struct ck_kacs_token *t, unsigned luid)
{
	uint64_t b = CK_KACS_PRIV(luid);
	return (t->privileges_present & t->privileges_enabled & b) == b;
}

/* 6-set-security.md "Ownership constraints" (PKM: EACCES; SeRestore for any SID). */
static int owner_allowed(const struct ck_kacs_token *t, const struct ck_kacs_sid *owner, uint64_t *used)
{
	if (ck_kacs_sid_equal(owner, &t->user))
		return 0;
	for (uint32_t i = 0; i < t->group_count; i++)
		if ((t->groups[i].attributes & CK_KACS_GROUP_OWNER) && ck_kacs_sid_equal(owner, &t->groups[i].sid))
			return 0;
	if (priv_enabled(t, CK_KACS_SE_RESTORE)) {
		*used |= CK_KACS_PRIV(CK_KACS_SE_RESTORE);
		return 0;
	}
	return -EACCES;
}

/* 6-set-security.md "Integrity label constraints": above the caller's own level needs SeRelabel. */
static int label_allowed(const struct ck_kacs_token *t, const struct ck_kacs_ace *label, uint64_t *used)
{
	if (!label)
		return 0;
	uint32_t rid = label->sid.sub_count ? label->sid.sub[label->sid.sub_count - 1] : 0;
	if (rid <= t->integrity_rid)
		return 0;
	if (priv_enabled(t, CK_KACS_SE_RELABEL)) {
		*used |= CK_KACS_PRIV(CK_KACS_SE_RELABEL);
		return 0;
	}
	return -EACCES;
}

/* LABEL's input: no SACL, or a SACL of exactly one non-inherit-only label. */
static int label_subset(const struct ck_kacs_sd *in, const struct ck_kacs_ace **label)
{
	*label = NULL;
	if (!in->sacl_present)
		return 0;
	if (in->sacl.count != 1 || in->sacl.aces[0].type != CK_KACS_ACE_MANDATORY_LABEL ||
	    (in->sacl.aces[0].flags & CK_KACS_ACE_INHERIT_ONLY))
		return -EINVAL;
	*label = &in->sacl.aces[0];
	return 0;
}

/* cur's SACL with its labels replaced by `label` (first), the other ACEs kept in order. */
static int relabel(struct ck_kacs_sd *c, const struct ck_kacs_sd *cur, const struct ck_kacs_ace *label)
{
	struct ck_kacs_acl n = { .revision = 2 };
	if (cur->sacl_present) {
		n.revision = cur->sacl.revision;
		n.sbz1 = cur->sacl.sbz1;
		n.sbz2 = cur->sacl.sbz2;
	}
	struct ck_kacs_ace *a = malloc(sizeof(*a) * ((size_t)cur->sacl.count + 1));
	if (!a)
		return -ENOMEM;
	uint16_t k = 0;
	if (label)
		a[k++] = *label;
	for (uint16_t i = 0; cur->sacl_present && i < cur->sacl.count; i++)
		if (cur->sacl.aces[i].type != CK_KACS_ACE_MANDATORY_LABEL)
			a[k++] = cur->sacl.aces[i];
	acl_clear(&c->sacl);
	if (!k && !cur->sacl_present) {
		free(a);
		c->sacl_present = false;
		return 0;
	}
	n.count = k;
	n.aces = a;
	c->sacl = n;
	c->sacl_present = true;
	return 0;
}

static void take_control(uint16_t *control, uint16_t in, uint16_t bits)
{
	*control = (uint16_t)((*control & ~bits) | (in & bits));
}

static int merge(struct ck_kacs_sd *c, const struct ck_kacs_sd *cur, const struct ck_kacs_sd *in, uint32_t info,
		 const struct ck_kacs_token *subject, uint64_t *used)
{
	int r;
	if (info & CK_KACS_SECINFO_OWNER) {
		if (!in->has_owner)
			return -EINVAL;
		if ((r = owner_allowed(subject, &in->owner, used)))
			return r;
		c->owner = in->owner;
		c->has_owner = true;
		take_control(&c->control, in->control, CK_KACS_SE_OWNER_DEFAULTED);
	}
	if (info & CK_KACS_SECINFO_GROUP) {
		c->has_group = in->has_group;
		c->group = in->group;
		take_control(&c->control, in->control, CK_KACS_SE_GROUP_DEFAULTED);
	}
	if (info & CK_KACS_SECINFO_DACL) {
		if ((r = acl_set(&c->dacl, &in->dacl)))
			return r;
		c->dacl_present = in->dacl_present;
		c->dacl_null = in->dacl_null;
		take_control(&c->control, in->control, DACL_CONTROL);
	}
	if (info & CK_KACS_SECINFO_SACL) {
		/* a whole SACL can carry a label too: the same constraint (PKM KC-13) */
		if ((r = label_allowed(subject, label_of(in), used)))
			return r;
		if ((r = acl_set(&c->sacl, &in->sacl)))
			return r;
		c->sacl_present = in->sacl_present;
		c->sacl_null = in->sacl_null;
		take_control(&c->control, in->control, SACL_CONTROL);
	} else if (info & CK_KACS_SECINFO_LABEL) {
		const struct ck_kacs_ace *label;
		if ((r = label_subset(in, &label)) || (r = label_allowed(subject, label, used)))
			return r;
		if ((r = relabel(c, cur, label)))
			return r;
	}
	if (!c->has_owner) /* 6-set-security.md: the result keeps an owner */
		return -EINVAL;
	fix_present(c);
	return ck_kacs_sd_validate(c, NULL) ? -EINVAL : 0;
}

int ck__kacs_sd_merge(const struct ck_kacs_sd *cur, const struct ck_kacs_sd *in, uint32_t info,
		      const struct ck_kacs_token *subject, struct ck_kacs_sd **out, uint64_t *used)
{
	uint64_t u = 0;
	if (!cur || !in || !subject || !out || !info_valid(info))
		return -EINVAL;
	struct ck_kacs_sd *c = ck_kacs_sd_dup(cur);
	if (!c)
		return -ENOMEM;
	int r = merge(c, cur, in, info, subject, &u);
	if (r) {
		ck_kacs_sd_free(c);
		return r;
	}
	if (used)
		*used |= u;
	*out = c;
	return 0;
}
