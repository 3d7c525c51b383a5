/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Security descriptors in the self-relative form (K20
 * 3-security-descriptors/1-structure.md, 2-acl-format.md, 4-ace-types.md),
 * validated strictly, and written back.
 *
 * Layout choice: parse accepts every layout K20 allows (components in any
 * order, with gaps or trailing bytes, never overlapping each other or the
 * header); to_bytes writes one canonical layout, PKM's: header, owner,
 * group, SACL, DACL, packed. So parse(to_bytes(sd)) equals sd always, and
 * to_bytes(parse(x)) == x exactly when x is already canonical (the bytes
 * that carry meaning, reserved ones included, always survive). ACEs need no
 * padding choice: K20 4-ace-types.md makes a single-SID ACE's SID fill it
 * exactly, and 2-acl-format.md makes the ACEs fill AclSize exactly.
 *
 * What this library keeps (the design, KACS-SUPERVISOR.md §7.1): in a DACL,
 * ALLOW and DENY; in a SACL, MANDATORY_LABEL, PROCESS_TRUST_LABEL and the
 * audit and alarm ACEs (stored, ignored). Object, callback,
 * resource-attribute, scoped-policy and unknown types are valid K20 that
 * this library cannot keep: -EOPNOTSUPP, never silently dropped.
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal/util.h"
#include "kacs/internal.h"

#define SD_HEADER 20u
#define ACL_HEADER 8u
#define ACE_FIXED 8u   /* type, flags, size, mask */
#define ACE_MIN 16u    /* K20 4-ace-types.md: header + mask + a SID of no sub-authority */
#define ACL_REVISION 2
#define ACL_REVISION_DS 4

/* K20 3-access-masks.md: bits 21-23 and 26-27 are reserved and MUST NOT be used. */
#define MASK_RESERVED 0x0CE00000u

static const char *acl_name(bool sacl)
{
	return sacl ? "SACL" : "DACL";
}

/* Whether the type is one a DACL (sacl false) or a SACL keeps here; else the errno that refuses it. */
static int type_refusal(uint8_t type, bool sacl, const char **why)
{
	switch (type) {
	case CK_KACS_ACE_ALLOW:
	case CK_KACS_ACE_DENY:
		*why = "is a DACL ACE type, not one of a SACL";
		return sacl ? EINVAL : 0;
	case CK_KACS_ACE_AUDIT:
	case CK_KACS_ACE_ALARM:
	case CK_KACS_ACE_MANDATORY_LABEL:
	case CK_KACS_ACE_PROCESS_TRUST_LABEL:
		*why = "is a SACL ACE type, not one of a DACL";
		return sacl ? 0 : EINVAL;
	case 0x05: case 0x06: case 0x07: case 0x08:
		*why = "is an object ACE (GUID-scoped), which this library does not keep";
		return EOPNOTSUPP;
	case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x0E: case 0x0F: case 0x10:
		*why = "is a callback (conditional) ACE, which this library does not keep";
		return EOPNOTSUPP;
	case 0x12:
		*why = "is a resource-attribute ACE, which this library does not keep";
		return EOPNOTSUPP;
	case 0x13:
		*why = "is a scoped-policy-ID ACE (central access policy), which this library does not keep";
		return EOPNOTSUPP;
	default:
		/* K20 4-ace-types.md: unknown types are preserved by KACS; we cannot keep their bytes */
		*why = "is not a type this library keeps (K20 preserves unknown ACEs; this library refuses them)";
		return EOPNOTSUPP;
	}
}

static bool is_label_sid(const struct ck_kacs_sid *s)
{
	static const uint8_t auth16[6] = { 0, 0, 0, 0, 0, 16 };
	if (s->sub_count != 1 || memcmp(s->authority, auth16, 6) != 0)
		return false;
	switch (s->sub[0]) {
	case CK_KACS_IL_UNTRUSTED: case CK_KACS_IL_LOW: case CK_KACS_IL_MEDIUM:
	case CK_KACS_IL_HIGH: case CK_KACS_IL_SYSTEM:
		return true;
	}
	return false;
}

static bool is_trust_sid(const struct ck_kacs_sid *s)
{
	static const uint8_t auth19[6] = { 0, 0, 0, 0, 0, 19 };
	return s->sub_count == 2 && memcmp(s->authority, auth19, 6) == 0;
}

/*
 * The rules an ACE obeys beyond its bytes' shape: its type belongs in this
 * ACL, its mask, its SID. at says where each part sits in the input.
 */
int ck__kacs_ace_check(const struct ck_kacs_ace *a, bool sacl, unsigned idx, const struct ck__kacs_ace_at *at,
		       struct ck_kacs_error *err)
{
	const char *why, *name = acl_name(sacl);
	int e = type_refusal(a->type, sacl, &why);
	if (e)
		return ck__kacs_fail(err, e, at->what, at->type, "%s ACE %u: type 0x%02x %s", name, idx, a->type, why);
	if (a->type == CK_KACS_ACE_MANDATORY_LABEL) {
		/* K20 10-access-check/3-integrity.md: any other SID makes the SD malformed; unknown policy bits are ignored */
		if (!is_label_sid(&a->sid))
			return ck__kacs_fail(err, EINVAL, at->what, at->sid,
					     "SACL ACE %u: a mandatory label's SID must be S-1-16-{0,4096,8192,12288,16384} "
					     "(K20 10-access-check/3-integrity.md)", idx);
		return 0;
	}
	/* K20 3-access-masks.md: MAXIMUM_ALLOWED MUST NOT appear in an ACE; reserved bits MUST NOT be used */
	if (a->mask & CK_KACS_MAXIMUM_ALLOWED)
		return ck__kacs_fail(err, EINVAL, at->what, at->mask,
				     "%s ACE %u: mask 0x%08x holds MAXIMUM_ALLOWED, which no ACE may", name, idx, a->mask);
	if (a->mask & MASK_RESERVED)
		return ck__kacs_fail(err, EINVAL, at->what, at->mask, "%s ACE %u: mask 0x%08x uses reserved bits 0x%08x",
				     name, idx, a->mask, a->mask & MASK_RESERVED);
	/* K20 10-access-check/7-pip.md: S-1-19-{type}-{trust}, any other shape is malformed */
	if (a->type == CK_KACS_ACE_PROCESS_TRUST_LABEL && !is_trust_sid(&a->sid))
		return ck__kacs_fail(err, EINVAL, at->what, at->sid,
				     "SACL ACE %u: a trust label's SID must be S-1-19-type-trust (K20 10-access-check/7-pip.md)",
				     idx);
	return 0;
}

static int ace_check(const struct ck_kacs_ace *a, bool sacl, unsigned idx, size_t off, struct ck_kacs_error *err)
{
	const struct ck__kacs_ace_at at = { "offset", off, off + 4, off + ACE_FIXED };
	return ck__kacs_ace_check(a, sacl, idx, &at, err);
}

/* One ACE at p, with avail bytes left in its ACL; off is p's offset in the input. */
static int ace_read(const uint8_t *p, size_t avail, size_t off, bool sacl, unsigned idx, struct ck_kacs_ace *a,
		    size_t *used, struct ck_kacs_error *err)
{
	const char *name = acl_name(sacl);
	if (avail < 4)
		return CK__KACS_BIN(err, off, "%s ACE %u: its 4-byte header does not fit in the %zu bytes left of AclSize",
				    name, idx, avail);
	uint16_t size = ck__le16(p + 2);
	/* K20 4-ace-types.md: AceSize MUST be a multiple of 4 */
	if (size % 4)
		return CK__KACS_BIN(err, off + 2, "%s ACE %u: AceSize %u is not a multiple of 4", name, idx, size);
	if (size > avail)
		return CK__KACS_BIN(err, off + 2, "%s ACE %u: AceSize %u runs past the end of the ACL (%zu bytes left)",
				    name, idx, size, avail);
	const char *why;
	int e = type_refusal(p[0], sacl, &why);
	if (e)
		return ck__kacs_fail(err, e, "offset", off, "%s ACE %u: type 0x%02x %s", name, idx, p[0], why);
	if (size < ACE_MIN)
		return CK__KACS_BIN(err, off + 2, "%s ACE %u: AceSize %u is below 16, the least a single-SID ACE takes",
				    name, idx, size);
	a->type = p[0];
	a->flags = p[1];
	a->size = size;
	a->mask = ck__le32(p + 4);
	ssize_t sid = ck__kacs_sid_read_at(p + ACE_FIXED, size - ACE_FIXED, off + ACE_FIXED, name, &a->sid, err);
	if (sid < 0)
		return (int)sid;
	/* K20 4-ace-types.md: the SID MUST consume the remainder of the ACE exactly */
	if ((size_t)sid != size - ACE_FIXED)
		return CK__KACS_BIN(err, off + 2, "%s ACE %u: AceSize %u but its SID ends after %zd bytes: the SID must fill the ACE",
				    name, idx, size, (ssize_t)ACE_FIXED + sid);
	*used = size;
	return ace_check(a, sacl, idx, off, err);
}

/* An ACL at b, with avail bytes of input from there; base is b's offset. */
static int acl_read(const uint8_t *b, size_t avail, size_t base, bool sacl, struct ck_kacs_acl *out, size_t *acl_size,
		    struct ck_kacs_error *err)
{
	const char *name = acl_name(sacl);
	memset(out, 0, sizeof(*out));
	if (avail < ACL_HEADER)
		return CK__KACS_BIN(err, base, "the %s header needs 8 bytes, %zu left", name, avail);
	/* K20 4-ace-types.md "ACL revision": ACL_REVISION 2 and ACL_REVISION_DS 4 are the only ones */
	if (b[0] != ACL_REVISION && b[0] != ACL_REVISION_DS)
		return CK__KACS_BIN(err, base, "%s revision %u, must be 2 or 4", name, b[0]);
	uint16_t size = ck__le16(b + 2), count = ck__le16(b + 4);
	if (size < ACL_HEADER)
		return CK__KACS_BIN(err, base + 2, "%s AclSize %u is below its 8-byte header", name, size);
	if (size > avail)
		return CK__KACS_BIN(err, base + 2, "%s AclSize %u runs past the end of the input (%zu bytes left)", name, size,
				    avail);
	if (count > (size - ACL_HEADER) / ACE_MIN)
		return CK__KACS_BIN(err, base + 4, "%s AceCount %u cannot fit in AclSize %u (an ACE takes at least 16 bytes)",
				    name, count, size);
	struct ck_kacs_ace *aces = NULL;
	if (count && !(aces = malloc(count * sizeof(*aces))))
		return -ENOMEM;
	size_t pos = ACL_HEADER;
	for (unsigned i = 0; i < count; i++) {
		size_t used = 0;
		if (pos == size) {
			free(aces);
			return CK__KACS_BIN(err, base + 4, "%s AceCount %u but the ACL ends after %u ACEs (AclSize %u)", name,
					    count, i, size);
		}
		int r = ace_read(b + pos, size - pos, base + pos, sacl, i, &aces[i], &used, err);
		if (r < 0) {
			free(aces);
			return r;
		}
		pos += used;
	}
	/* K20 2-acl-format.md: leftover bytes within AclSize are malformed */
	if (pos != size) {
		free(aces);
		return CK__KACS_BIN(err, base + pos, "%s has %zu bytes after its %u ACEs within AclSize %u", name,
				    size - pos, count, size);
	}
	out->revision = b[0];
	out->sbz1 = b[1];
	out->count = count;
	out->sbz2 = ck__le16(b + 6);
	out->aces = aces;
	*acl_size = size;
	return 0;
}

struct region {
	const char *name;
	size_t start, end;
};

/* A component's offset at header field `field`: 0 when absent, else inside the input past the header. */
static int component_offset(const uint8_t *b, size_t len, size_t field, const char *name, uint32_t *off,
			    struct ck_kacs_error *err)
{
	*off = ck__le32(b + field);
	if (*off == 0)
		return 0;
	if (*off < SD_HEADER)
		return CK__KACS_BIN(err, field, "%s offset %u points into the 20-byte header", name, *off);
	if (*off >= len)
		return CK__KACS_BIN(err, field, "%s offset %u is past the end of the SD (%zu bytes)", name, *off, len);
	return 0;
}

static int read_acl_component(const uint8_t *b, size_t len, bool sacl, uint16_t control, struct ck_kacs_sd *sd,
			      struct region *reg, struct ck_kacs_error *err)
{
	size_t field = sacl ? 12 : 16;
	uint16_t bit = sacl ? CK_KACS_SE_SACL_PRESENT : CK_KACS_SE_DACL_PRESENT;
	const char *name = acl_name(sacl);
	uint32_t off;
	int r;

	if ((r = component_offset(b, len, field, name, &off, err)) < 0)
		return r;
	/* K20 1-structure.md and 6-abi-reference.md: present means the bit set and an offset, absent means neither */
	if ((control & bit) && off == 0)
		return CK__KACS_BIN(err, field, "SE_%s_PRESENT is set but the %s offset is 0", name, name);
	if (!(control & bit) && off != 0)
		return CK__KACS_BIN(err, field, "%s offset %u but SE_%s_PRESENT is clear", name, off, name);
	if (!off)
		return 0;
	size_t size;
	struct ck_kacs_acl *acl = sacl ? &sd->sacl : &sd->dacl;
	if ((r = acl_read(b + off, len - off, off, sacl, acl, &size, err)) < 0)
		return r;
	if (sacl)
		sd->sacl_present = true;
	else
		sd->dacl_present = true;
	*reg = (struct region){ name, off, off + size };
	return 0;
}

static int read_sid_component(const uint8_t *b, size_t len, size_t field, const char *name, bool *has,
			      struct ck_kacs_sid *sid, struct region *reg, struct ck_kacs_error *err)
{
	uint32_t off;
	int r;
	if ((r = component_offset(b, len, field, name, &off, err)) < 0 || !off)
		return r;
	ssize_t n = ck__kacs_sid_read_at(b + off, len - off, off, name, sid, err);
	if (n < 0)
		return (int)n;
	*has = true;
	*reg = (struct region){ name, off, off + (size_t)n };
	return 0;
}

void ck_kacs_sd_free(struct ck_kacs_sd *sd)
{
	if (!sd)
		return;
	free(sd->dacl.aces);
	free(sd->sacl.aces);
	free(sd);
}

static int sd_parse(const uint8_t *b, size_t len, struct ck_kacs_sd *sd, struct ck_kacs_error *err)
{
	struct region reg[4] = { { 0 } };
	int r;

	/* K20 1-structure.md: at most 65,535 bytes; revision MUST be 1; SE_SELF_RELATIVE MUST be set */
	if (len > CK_KACS_SD_MAX)
		return CK__KACS_BIN(err, CK_KACS_SD_MAX, "the SD is %zu bytes, more than the 65535 K20 allows", len);
	if (len < SD_HEADER)
		return CK__KACS_BIN(err, len, "the SD header needs 20 bytes, the input has %zu", len);
	if (b[0] != 1)
		return CK__KACS_BIN(err, 0, "SD revision %u, must be 1", b[0]);
	uint16_t control = ck__le16(b + 2);
	if (!(control & CK_KACS_SE_SELF_RELATIVE))
		return CK__KACS_BIN(err, 2, "control 0x%04x lacks SE_SELF_RELATIVE (0x8000), which a stored SD must have",
				    control);
	sd->revision = 1;
	sd->sbz1 = b[1];
	sd->control = control;
	if ((r = read_sid_component(b, len, 4, "owner", &sd->has_owner, &sd->owner, &reg[0], err)) < 0 ||
	    (r = read_sid_component(b, len, 8, "group", &sd->has_group, &sd->group, &reg[1], err)) < 0 ||
	    (r = read_acl_component(b, len, true, control, sd, &reg[2], err)) < 0 ||
	    (r = read_acl_component(b, len, false, control, sd, &reg[3], err)) < 0)
		return r;
	/* no byte belongs to two components (PKM validate_component_overlap; K20 is silent) */
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++) {
			const struct region *x = &reg[i], *y = &reg[j];
			if (!x->name || !y->name || !(x->start < y->end && y->start < x->end))
				continue;
			const struct region *later = x->start >= y->start ? x : y, *other = later == x ? y : x;
			return CK__KACS_BIN(err, later->start, "the %s (bytes %zu..%zu) overlaps the %s (bytes %zu..%zu)",
					    later->name, later->start, later->end, other->name, other->start, other->end);
		}
	return 0;
}

int ck_kacs_sd_parse(const void *buf, size_t len, struct ck_kacs_sd **out, struct ck_kacs_error *err)
{
	if (!out || (!buf && len))
		return -EINVAL;
	*out = NULL;
	struct ck_kacs_sd *sd = calloc(1, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	int r = sd_parse(buf, len, sd, err);
	if (r < 0) {
		ck_kacs_sd_free(sd);
		return r;
	}
	*out = sd;
	return 0;
}

int ck_kacs_acl_parse(const void *buf, size_t len, bool sacl, struct ck_kacs_acl *out, struct ck_kacs_error *err)
{
	size_t size;
	if (!out || (!buf && len))
		return -EINVAL;
	int r = acl_read(buf, len, 0, sacl, out, &size, err);
	if (r < 0)
		return r;
	if (size != len) {
		free(out->aces);
		memset(out, 0, sizeof(*out));
		return CK__KACS_BIN(err, 2, "%s AclSize %zu but the ACL given is %zu bytes", acl_name(sacl), size, len);
	}
	return 0;
}

/* ---- the other way: check a parsed (or hand-made) SD, then write it ---- */

/* An ACL as to_bytes would write it at base: its size in *size. */
static int acl_check(const struct ck_kacs_acl *acl, bool sacl, size_t base, size_t *size, struct ck_kacs_error *err)
{
	const char *name = acl_name(sacl);
	if (acl->revision != ACL_REVISION && acl->revision != ACL_REVISION_DS)
		return CK__KACS_BIN(err, base, "%s revision %u, must be 2 or 4", name, acl->revision);
	if (acl->count && !acl->aces)
		return CK__KACS_BIN(err, base + 4, "%s count %u but no ACE array", name, acl->count);
	size_t pos = ACL_HEADER;
	for (unsigned i = 0; i < acl->count; i++) {
		const struct ck_kacs_ace *a = &acl->aces[i];
		if (!ck__kacs_sid_valid(&a->sid))
			return CK__KACS_BIN(err, base + pos + ACE_FIXED, "%s ACE %u: SID revision %u, %u sub-authorities", name,
					    i, a->sid.revision, a->sid.sub_count);
		size_t want = ACE_FIXED + ck_kacs_sid_size(&a->sid);
		if (a->size != want)
			return CK__KACS_BIN(err, base + pos + 2, "%s ACE %u: size %u, its SID makes it %zu", name, i, a->size,
					    want);
		int r = ace_check(a, sacl, i, base + pos, err);
		if (r < 0)
			return r;
		pos += want;
	}
	if (pos > UINT16_MAX)
		return ck__kacs_fail(err, E2BIG, "offset", base + 2, "%s of %zu bytes, more than AclSize can say (65535)",
				     name, pos);
	*size = pos;
	return 0;
}

static int sd_check(const struct ck_kacs_sd *sd, size_t *total, struct ck_kacs_error *err)
{
	size_t pos = SD_HEADER, n;
	int r;

	if (!sd)
		return -EINVAL;
	if (sd->revision != 1)
		return CK__KACS_BIN(err, 0, "SD revision %u, must be 1", sd->revision);
	if (!(sd->control & CK_KACS_SE_SELF_RELATIVE))
		return CK__KACS_BIN(err, 2, "control 0x%04x lacks SE_SELF_RELATIVE (0x8000), which a stored SD must have",
				    sd->control);
	for (int s = 0; s < 2; s++) {
		bool sacl = s == 0, present = sacl ? sd->sacl_present : sd->dacl_present;
		bool null = sacl ? sd->sacl_null : sd->dacl_null;
		uint16_t bit = sacl ? CK_KACS_SE_SACL_PRESENT : CK_KACS_SE_DACL_PRESENT;
		const struct ck_kacs_acl *acl = sacl ? &sd->sacl : &sd->dacl;
		if (!!(sd->control & bit) != present)
			return CK__KACS_BIN(err, 2, "control 0x%04x has SE_%s_PRESENT %s but %s_present is %s", sd->control,
					    acl_name(sacl), sd->control & bit ? "set" : "clear", sacl ? "sacl" : "dacl",
					    present ? "true" : "false");
		if (null)
			return CK__KACS_BIN(err, sacl ? 12 : 16, "K20 has no present NULL %s: an absent %s (%s_present false) is the NULL one",
					    acl_name(sacl), acl_name(sacl), sacl ? "sacl" : "dacl");
		if (!present && acl->count)
			return CK__KACS_BIN(err, sacl ? 12 : 16, "%s has %u ACEs but is not present", acl_name(sacl), acl->count);
	}
	for (int s = 0; s < 2; s++) {
		const struct ck_kacs_sid *sid = s ? &sd->group : &sd->owner;
		if (!(s ? sd->has_group : sd->has_owner))
			continue;
		if (!ck__kacs_sid_valid(sid))
			return CK__KACS_BIN(err, pos, "%s SID revision %u, %u sub-authorities", s ? "group" : "owner",
					    sid->revision, sid->sub_count);
		pos += ck_kacs_sid_size(sid);
	}
	if (sd->sacl_present) {
		if ((r = acl_check(&sd->sacl, true, pos, &n, err)) < 0)
			return r;
		pos += n;
	}
	if (sd->dacl_present) {
		if ((r = acl_check(&sd->dacl, false, pos, &n, err)) < 0)
			return r;
		pos += n;
	}
	if (pos > CK_KACS_SD_MAX)
		return ck__kacs_fail(err, E2BIG, "offset", 0, "the SD would be %zu bytes, more than the 65535 K20 allows", pos);
	*total = pos;
	return 0;
}

int ck_kacs_sd_validate(const struct ck_kacs_sd *sd, struct ck_kacs_error *err)
{
	size_t total;
	return sd_check(sd, &total, err);
}

static size_t acl_put(const struct ck_kacs_acl *acl, uint8_t *p)
{
	size_t pos = ACL_HEADER;
	for (unsigned i = 0; i < acl->count; i++) {
		const struct ck_kacs_ace *a = &acl->aces[i];
		p[pos] = a->type;
		p[pos + 1] = a->flags;
		ck__put16(p + pos + 2, a->size);
		ck__put32(p + pos + 4, a->mask);
		pos += ACE_FIXED + ck__kacs_sid_put(&a->sid, p + pos + ACE_FIXED);
	}
	p[0] = acl->revision;
	p[1] = acl->sbz1;
	ck__put16(p + 2, (uint16_t)pos);
	ck__put16(p + 4, acl->count);
	ck__put16(p + 6, acl->sbz2);
	return pos;
}

int ck_kacs_sd_to_bytes(const struct ck_kacs_sd *sd, uint8_t **buf, size_t *len)
{
	size_t total, pos = SD_HEADER;
	if (!buf || !len)
		return -EINVAL;
	int r = sd_check(sd, &total, NULL);
	if (r < 0)
		return r;
	uint8_t *b = calloc(1, total);
	if (!b)
		return -ENOMEM;
	b[0] = sd->revision;
	b[1] = sd->sbz1;
	ck__put16(b + 2, sd->control);
	if (sd->has_owner) {
		ck__put32(b + 4, (uint32_t)pos);
		pos += ck__kacs_sid_put(&sd->owner, b + pos);
	}
	if (sd->has_group) {
		ck__put32(b + 8, (uint32_t)pos);
		pos += ck__kacs_sid_put(&sd->group, b + pos);
	}
	if (sd->sacl_present) {
		ck__put32(b + 12, (uint32_t)pos);
		pos += acl_put(&sd->sacl, b + pos);
	}
	if (sd->dacl_present) {
		ck__put32(b + 16, (uint32_t)pos);
		pos += acl_put(&sd->dacl, b + pos);
	}
	*buf = b;
	*len = pos;
	return 0;
}

size_t ck_kacs_acl_size(const struct ck_kacs_acl *acl)
{
	size_t n = ACL_HEADER;
	for (unsigned i = 0; i < acl->count; i++)
		n += ACE_FIXED + ck_kacs_sid_size(&acl->aces[i].sid);
	return n;
}

ssize_t ck_kacs_acl_write(const struct ck_kacs_acl *acl, bool sacl, void *buf, size_t len)
{
	size_t size;
	if (!acl)
		return -EINVAL;
	int r = acl_check(acl, sacl, 0, &size, NULL);
	if (r < 0)
		return r;
	if (len < size)
		return -ENOSPC;
	return (ssize_t)acl_put(acl, buf);
}

/* ---- copies, comparison, builders ---- */

static int acl_copy(struct ck_kacs_acl *dst, const struct ck_kacs_acl *src)
{
	*dst = *src;
	dst->aces = NULL;
	if (!src->count)
		return 0;
	if (!(dst->aces = malloc(src->count * sizeof(*src->aces))))
		return -ENOMEM;
	memcpy(dst->aces, src->aces, src->count * sizeof(*src->aces));
	return 0;
}

struct ck_kacs_sd *ck_kacs_sd_dup(const struct ck_kacs_sd *sd)
{
	if (!sd) {
		errno = EINVAL;
		return NULL;
	}
	struct ck_kacs_sd *c = malloc(sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	*c = *sd;
	c->dacl.aces = c->sacl.aces = NULL;
	if (acl_copy(&c->dacl, &sd->dacl) < 0 || acl_copy(&c->sacl, &sd->sacl) < 0) {
		ck_kacs_sd_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

static bool ace_equal(const struct ck_kacs_ace *a, const struct ck_kacs_ace *b)
{
	return a->type == b->type && a->flags == b->flags && a->size == b->size && a->mask == b->mask &&
	       ck_kacs_sid_equal(&a->sid, &b->sid);
}

static bool acl_equal(const struct ck_kacs_acl *a, const struct ck_kacs_acl *b)
{
	if (a->revision != b->revision || a->count != b->count || a->sbz1 != b->sbz1 || a->sbz2 != b->sbz2)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (!ace_equal(&a->aces[i], &b->aces[i]))
			return false;
	return true;
}

bool ck_kacs_sd_equal(const struct ck_kacs_sd *a, const struct ck_kacs_sd *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (a->revision != b->revision || a->control != b->control || a->sbz1 != b->sbz1 ||
	    a->has_owner != b->has_owner || a->has_group != b->has_group || a->dacl_present != b->dacl_present ||
	    a->dacl_null != b->dacl_null || a->sacl_present != b->sacl_present || a->sacl_null != b->sacl_null)
		return false;
	if (a->has_owner && !ck_kacs_sid_equal(&a->owner, &b->owner))
		return false;
	if (a->has_group && !ck_kacs_sid_equal(&a->group, &b->group))
		return false;
	if (a->dacl_present && !acl_equal(&a->dacl, &b->dacl))
		return false;
	if (a->sacl_present && !acl_equal(&a->sacl, &b->sacl))
		return false;
	return true;
}

struct ck_kacs_sd *ck_kacs_sd_new(void)
{
	struct ck_kacs_sd *sd = calloc(1, sizeof(*sd));
	if (!sd) {
		errno = ENOMEM;
		return NULL;
	}
	sd->revision = 1;
	sd->control = CK_KACS_SE_SELF_RELATIVE;
	sd->dacl.revision = sd->sacl.revision = ACL_REVISION;
	return sd;
}

int ck_kacs_acl_append(struct ck_kacs_acl *acl, uint8_t type, uint8_t flags, uint32_t mask,
		       const struct ck_kacs_sid *sid)
{
	if (!acl || !ck__kacs_sid_valid(sid) || acl->count == UINT16_MAX)
		return -EINVAL;
	struct ck_kacs_ace *aces = realloc(acl->aces, (acl->count + 1u) * sizeof(*aces));
	if (!aces)
		return -ENOMEM;
	aces[acl->count] = (struct ck_kacs_ace){
		.type = type, .flags = flags, .size = (uint16_t)(ACE_FIXED + ck_kacs_sid_size(sid)), .mask = mask,
		.sid = *sid,
	};
	acl->aces = aces;
	acl->count++;
	if (!acl->revision)
		acl->revision = ACL_REVISION;
	return 0;
}
