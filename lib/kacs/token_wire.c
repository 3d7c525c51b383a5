/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The v2 wire format of kacs_create_token (K20 13-appendix-a/6-abi-reference.md
 * §5): a 192-byte header whose offsets point at variable sections, parsed
 * and validated as K20 4-tokens/4-creation.md lists, and written back.
 *
 * Rules the spec leaves open are decided here, each beside its check:
 * sections lie after the header, inside the buffer, and never overlap; gaps
 * and trailing bytes are allowed (the spec says sections "may appear in any
 * order" and nothing more; PKM wants each SID and array to end where the
 * next section starts).
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/util.h"
#include "kacs/internal.h"
#include "kacs/token.h"

#define HDR CK_KACS_TOKEN_SPEC_HEADER
#define BIN(err, off, ...) CK__KACS_BIN((err), (off), __VA_ARGS__)

/* ---- The default DACL: a binary ACL held in an SD of its own ---- */

int ck__kacs_dacl_parse(const uint8_t *acl, size_t len, size_t base, struct ck_kacs_sd **out, struct ck_kacs_error *err)
{
	struct ck_kacs_error inner = { .size = sizeof(inner) };
	struct ck_kacs_acl dacl;

	/* sd.c's rules for a DACL (K20 3-security-descriptors/2-acl-format.md), exactly len bytes */
	int r = ck_kacs_acl_parse(acl, len, false, &dacl, &inner);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* its message names the offset in the ACL: say it again at ours */
		const char *why = strstr(inner.message, ": ");
		return ck__kacs_fail(err, -r, "offset", base + inner.offset, "default DACL: %s",
				     why ? why + 2 : inner.message);
	}
	struct ck_kacs_sd *sd = ck_kacs_sd_new();
	if (!sd) {
		free(dacl.aces);
		return -ENOMEM;
	}
	sd->dacl = dacl;
	sd->dacl_present = true;
	sd->control |= CK_KACS_SE_DACL_PRESENT;
	*out = sd;
	return 0;
}

int ck__kacs_dacl_bytes(const struct ck_kacs_sd *holder, uint8_t **buf, size_t *len)
{
	if (!holder->dacl_present)
		return -EINVAL;
	size_t n = ck_kacs_acl_size(&holder->dacl);
	uint8_t *b = malloc(n);
	if (!b)
		return -ENOMEM;
	ssize_t w = ck_kacs_acl_write(&holder->dacl, false, b, n);
	if (w < 0) {
		free(b);
		return (int)w;
	}
	*buf = b;
	*len = (size_t)w;
	return 0;
}

/* ---- The header's scalar rules, as a table ---- */

enum rule_kind { R_EQ, R_RANGE, R_MASK, R_BOOL, R_IL };
static const struct rule {
	uint16_t off;
	uint8_t size;
	enum rule_kind kind;
	uint64_t a, b;
	const char *field, *why;
} header_rules[] = {
	{ 0, 4, R_EQ, CK_KACS_TOKEN_SPEC_VERSION, 0, "version", "must be 2, TOKEN_SPEC_VERSION (K20 6-abi-reference.md §5)" },
	{ 4, 1, R_RANGE, CK_KACS_TOKEN_PRIMARY, CK_KACS_TOKEN_IMPERSONATION, "token_type",
	  "must be 1 (Primary) or 2 (Impersonation) (K20 6-abi-reference.md §5)" },
	{ 5, 1, R_RANGE, CK_KACS_ANONYMOUS, CK_KACS_DELEGATION, "impersonation_level",
	  "must be 0 (Anonymous) to 3 (Delegation) (K20 6-abi-reference.md §5)" },
	{ 6, 2, R_EQ, 0, 0, "_reserved0", "must be 0 (K20 6-abi-reference.md §5)" },
	{ 8, 4, R_IL, 0, 0, "integrity_rid",
	  "must be 0, 4096, 8192, 12288 or 16384 (K20 4-tokens/2-structure.md: an enum of five levels)" },
	{ 12, 4, R_MASK, CK_KACS_POLICY_NO_WRITE_UP | CK_KACS_POLICY_NEW_PROCESS_MIN, 0, "mandatory_policy",
	  "has bits other than NO_WRITE_UP (0x1) and NEW_PROCESS_MIN (0x2) (K20 4-tokens/2-structure.md)" },
	{ 16, 8, R_MASK, CK_KACS_PRIV_CATALOG, 0, "privs_present",
	  "names bits that are no privilege: the catalog is LUIDs 2-35, 62 and 63 (K20 7-privileges/2-catalog.md)" },
	{ 24, 8, R_MASK, CK_KACS_PRIV_CATALOG, 0, "privs_enabled",
	  "names bits that are no privilege: the catalog is LUIDs 2-35, 62 and 63 (K20 7-privileges/2-catalog.md)" },
	{ 32, 4, R_EQ, 0, 0, "_reserved1",
	  "(elevation_type) must be 0: the kernel always sets Default (K20 4-tokens/4-creation.md rule 9)" },
	{ 44, 4, R_MASK, 0xF, 0, "audit_policy",
	  "has bits other than the four audit flags 0x1-0x8 (K20 4-tokens/2-structure.md)" },
	{ 156, 1, R_BOOL, 0, 0, "confinement_exempt", "must be 0 or 1 (K20 6-abi-reference.md §5)" },
	{ 157, 1, R_BOOL, 0, 0, "write_restricted", "must be 0 or 1 (K20 6-abi-reference.md §5)" },
	{ 158, 1, R_BOOL, 0, 0, "user_deny_only", "must be 0 or 1 (K20 6-abi-reference.md §5)" },
	{ 159, 1, R_BOOL, 0, 0, "isolation_boundary", "must be 0 or 1 (K20 6-abi-reference.md §5)" },
	{ 188, 4, R_EQ, 0, 0, "_reserved3",
	  "must be 0 (K20 6-abi-reference.md §5; PKM's lcs_credentials_offset there is not part of v0.20)" },
};

static uint64_t read_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static bool il_standard(uint64_t v)
{
	return v == CK_KACS_IL_UNTRUSTED || v == CK_KACS_IL_LOW || v == CK_KACS_IL_MEDIUM || v == CK_KACS_IL_HIGH ||
	       v == CK_KACS_IL_SYSTEM;
}

static int check_header(const uint8_t *b, enum ck_kacs_profile p, struct ck_kacs_error *err)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(header_rules); i++) {
		const struct rule *r = &header_rules[i];
		uint64_t v = read_le(b + r->off, r->size);
		bool ok;
		switch (r->kind) {
		case R_EQ:
			ok = v == r->a;
			break;
		case R_RANGE:
			ok = v >= r->a && v <= r->b;
			break;
		case R_MASK:
			ok = (v & ~r->a) == 0;
			break;
		case R_BOOL:
			ok = v <= 1;
			break;
		default: /* R_IL: any number under v0.22 (K22 4-tokens/2-structure.md) */
			ok = p == CK_KACS_V0_22 || il_standard(v);
			break;
		}
		if (!ok && r->kind == R_MASK)
			return BIN(err, r->off, "%s %#llx %s", r->field, (unsigned long long)v, r->why);
		if (!ok)
			return BIN(err, r->off, "%s %llu %s", r->field, (unsigned long long)v, r->why);
	}
	uint64_t present = read_le(b + 16, 8), enabled = read_le(b + 24, 8);
	if (enabled & ~present)
		return BIN(err, 24, "privs_enabled %#llx enables privileges privs_present %#llx lacks: only present "
			   "privileges may be enabled (K20 4-tokens/2-structure.md)",
			   (unsigned long long)enabled, (unsigned long long)present);
	if (b[4] == CK_KACS_TOKEN_PRIMARY && b[5] != CK_KACS_ANONYMOUS)
		return BIN(err, 5, "impersonation_level %u on a Primary token: Primary tokens are Anonymous "
			   "(K20 4-tokens/4-creation.md rule 6)", b[5]);
	if (b[157] && !b[158])
		return BIN(err, 157, "write_restricted without user_deny_only (K20 4-tokens/4-creation.md rule 7)");
	return 0;
}

/* ---- The sections ---- */

enum section_kind { S_SID, S_BYTES, S_SIDS, S_GIDS };
enum section_id {
	SEC_USER, SEC_GROUPS, SEC_DACL, SEC_USER_CLAIMS, SEC_DEVICE_CLAIMS, SEC_DEVICE_GROUPS, SEC_RESTRICTED,
	SEC_CONF_SID, SEC_CONF_CAPS, SEC_GIDS, SEC_RDEVICE_GROUPS, SEC_COUNT
};
static const struct section {
	const char *name, *off_field, *len_field;
	uint16_t off_at, len_at; /* len_at 0: none (the user SID) */
	enum section_kind kind;
	uint32_t max;            /* most entries (S_SIDS), 0: as many as fit */
} sections[SEC_COUNT] = {
	[SEC_USER] = { "user SID", "user_sid_offset", NULL, 88, 0, S_SID, 0 },
	/* rule 10: 63 caller groups and the logon SID fill the 64 a token holds */
	[SEC_GROUPS] = { "groups", "groups_offset", "groups_count", 92, 96, S_SIDS, CK_KACS_GROUPS_MAX - 1 },
	[SEC_DACL] = { "default DACL", "default_dacl_offset", "default_dacl_len", 100, 104, S_BYTES, 0 },
	[SEC_USER_CLAIMS] = { "user claims", "user_claims_offset", "user_claims_len", 108, 112, S_BYTES, 0 },
	[SEC_DEVICE_CLAIMS] = { "device claims", "device_claims_offset", "device_claims_len", 116, 120, S_BYTES, 0 },
	[SEC_DEVICE_GROUPS] = { "device groups", "device_groups_offset", "device_groups_count", 124, 128, S_SIDS, 0 },
	/* the spec sets no limit; a token here holds 64 */
	[SEC_RESTRICTED] = { "restricted SIDs", "restricted_sids_offset", "restricted_sids_count", 132, 136, S_SIDS,
			     CK_KACS_GROUPS_MAX },
	[SEC_CONF_SID] = { "confinement SID", "confinement_sid_offset", "confinement_sid_len", 140, 144, S_BYTES, 0 },
	[SEC_CONF_CAPS] = { "confinement capabilities", "confinement_caps_offset", "confinement_caps_count", 148, 152,
			    S_SIDS, 0 },
	[SEC_GIDS] = { "supplementary GIDs", "supp_gids_offset", "supp_gids_count", 160, 164, S_GIDS, 0 },
	[SEC_RDEVICE_GROUPS] = { "restricted device groups", "restricted_device_groups_offset",
				 "restricted_device_groups_count", 168, 172, S_SIDS, 0 },
};

/* What the sections hold once read. */
struct parsed {
	size_t start[SEC_COUNT], end[SEC_COUNT]; /* end 0: absent */
	uint32_t count[SEC_COUNT];               /* entries (S_SIDS, S_GIDS) or bytes (S_BYTES) */
	size_t attr_at[CK_KACS_GROUPS_MAX];      /* offset of each group's attributes, for messages */
	size_t rattr_at[CK_KACS_GROUPS_MAX];
};

/* Reads count SID_AND_ATTRIBUTES entries at off (6-abi-reference.md §5 "Groups array"). */
static int read_sid_array(const uint8_t *b, size_t len, const struct section *s, size_t off, uint32_t count,
			  struct ck_kacs_sid_attr *out, size_t *attr_at, size_t *end, struct ck_kacs_error *err)
{
	size_t at = off;

	/* each entry is at least 4 + 8 + 4 bytes: a count the buffer cannot hold is refused before any read */
	if ((uint64_t)count * 16 > len - off)
		return BIN(err, s->len_at, "%s %u: %u entries of at least 16 bytes do not fit in the %zu bytes after "
			   "offset %zu", s->len_field, count, count, len - off, off);
	for (uint32_t i = 0; i < count; i++) {
		struct ck_kacs_sid_attr e = { 0 };
		/* the offsets named lie inside the input: the count, or where the short entry starts */
		if (len - at < 4)
			return BIN(err, s->len_at, "%s %u but the spec ends after %u entries", s->len_field, count, i);
		uint32_t sid_len = ck__le32(b + at);
		if (sid_len < 8 || sid_len > len - at - 4)
			return BIN(err, at, "%s entry %u: sid_len %u is not the size of a SID within the spec", s->name, i,
				   sid_len);
		ssize_t n = ck__kacs_sid_read_at(b + at + 4, sid_len, at + 4, s->name, &e.sid, err);
		if (n < 0)
			return (int)n;
		if ((size_t)n != sid_len)
			return BIN(err, at, "%s entry %u: sid_len %u but the SID is %zd bytes", s->name, i, sid_len, n);
		if (len - (at + 4 + sid_len) < 4)
			return BIN(err, at, "%s entry %u: its attributes run past the end of the spec", s->name, i);
		at += 4 + sid_len;
		e.attributes = ck__le32(b + at);
		if (out) {
			out[i] = e;
			attr_at[i] = at;
		}
		at += 4;
	}
	*end = at;
	return 0;
}

/* Reads section id into t (what t holds) and into ps (its extent). */
static int read_section(const uint8_t *b, size_t len, enum section_id id, struct ck_kacs_token *t, struct parsed *ps,
			struct ck_kacs_error *err)
{
	const struct section *s = &sections[id];
	uint32_t off = ck__le32(b + s->off_at), n = s->len_at ? ck__le32(b + s->len_at) : 0;
	size_t end = 0;
	int r;

	ps->end[id] = 0;
	if (id == SEC_USER && off == 0)
		return BIN(err, s->off_at, "user_sid_offset is 0: the user SID is required (K20 4-tokens/4-creation.md)");
	/* "offset=0 AND length=0 means absent" (6-abi-reference.md §5): one without the other is an error */
	if (s->len_at && (off == 0) != (n == 0))
		return BIN(err, off ? s->len_at : s->off_at, "%s %u with %s %u: both are 0 (absent) or both are set "
			   "(K20 6-abi-reference.md §5)", s->off_field, off, s->len_field, n);
	if (off == 0)
		return 0;
	if (off < HDR || off >= len)
		return BIN(err, s->off_at, "%s %u is %s: a section lies after the 192-byte header, inside the %zu-byte spec",
			   s->off_field, off, off < HDR ? "inside the header" : "past the end", len);
	if (s->max && n > s->max)
		return BIN(err, s->len_at, "%s %u is more than %u%s", s->len_field, n, s->max,
			   id == SEC_GROUPS ? ": with the logon SID the kernel appends, a token holds 64 groups "
					      "(K20 4-tokens/4-creation.md rule 10)"
					    : ", the most a token holds here");
	switch (s->kind) {
	case S_SID: {
		ssize_t k = ck__kacs_sid_read_at(b + off, len - off, off, "user", &t->user, err);
		if (k < 0)
			return (int)k;
		end = off + (size_t)k;
		break;
	}
	case S_BYTES:
		if (n > len - off)
			return BIN(err, s->len_at, "%s %u at offset %u runs past the end of the %zu-byte spec", s->len_field,
				   n, off, len);
		end = off + n;
		break;
	case S_GIDS:
		if ((uint64_t)n * 4 > len - off)
			return BIN(err, s->len_at, "%s %u: %llu bytes at offset %u run past the end of the %zu-byte spec",
				   s->len_field, n, (unsigned long long)n * 4, off, len);
		end = off + (size_t)n * 4;
		break;
	default:
		r = read_sid_array(b, len, s, off, n,
				   id == SEC_GROUPS ? t->groups : id == SEC_RESTRICTED ? t->restricted_sids : NULL,
				   id == SEC_GROUPS ? ps->attr_at : ps->rattr_at, &end, err);
		if (r < 0)
			return r;
		break;
	}
	ps->start[id] = off;
	ps->end[id] = end;
	ps->count[id] = n;
	return 0;
}

/* Sections may come in any order (6-abi-reference.md §5) but never share a byte. */
static int check_overlaps(const struct parsed *ps, struct ck_kacs_error *err)
{
	for (int i = 0; i < SEC_COUNT; i++) {
		for (int j = 0; j < SEC_COUNT; j++) {
			if (i == j || !ps->end[i] || !ps->end[j])
				continue;
			/* report the later-starting one, at its offset field */
			if (ps->start[j] >= ps->start[i] && ps->start[j] < ps->end[i] &&
			    (ps->start[j] > ps->start[i] || j > i))
				return BIN(err, sections[j].off_at, "the %s at [%zu, %zu) overlaps the %s at [%zu, %zu): "
					   "sections never share bytes", sections[j].name, ps->start[j], ps->end[j],
					   sections[i].name, ps->start[i], ps->end[i]);
		}
	}
	return 0;
}

/* The attributes and SIDs of the groups and restricted SIDs. */
static int check_groups(const struct ck_kacs_token *t, const struct parsed *ps, uint64_t session,
			struct ck_kacs_error *err)
{
	struct ck_kacs_sid logon;

	ck_kacs_logon_sid(session, &logon);
	for (uint32_t i = 0; i < ps->count[SEC_GROUPS] && ps->end[SEC_GROUPS]; i++) {
		uint32_t a = t->groups[i].attributes;
		if (a & ~CK__KACS_GROUP_KNOWN)
			return BIN(err, ps->attr_at[i], "group %u attributes %#x has bits no SE_GROUP_* flag defines "
				   "(K20 2-sids/1-format.md)", i, a);
		if (a & CK_KACS_GROUP_LOGON_ID)
			return BIN(err, ps->attr_at[i], "group %u has SE_GROUP_LOGON_ID: the logon SID is the kernel's "
				   "to append (K20 4-tokens/4-creation.md)", i);
		if (ck_kacs_sid_equal(&t->groups[i].sid, &logon))
			return BIN(err, ps->attr_at[i] - ck_kacs_sid_size(&logon), "group %u is the logon SID of session "
				   "%llu: callers MUST NOT include it (K20 4-tokens/4-creation.md)", i,
				   (unsigned long long)session);
	}
	for (uint32_t i = 0; i < ps->count[SEC_RESTRICTED] && ps->end[SEC_RESTRICTED]; i++) {
		uint32_t a = t->restricted_sids[i].attributes;
		if (a & ~CK__KACS_GROUP_KNOWN)
			return BIN(err, ps->rattr_at[i], "restricted SID %u attributes %#x has bits no SE_GROUP_* flag "
				   "defines (K20 2-sids/1-format.md)", i, a);
	}
	return 0;
}

static int check_indices(const uint8_t *b, const struct ck_kacs_token *t, uint32_t ngroups, struct ck_kacs_error *err)
{
	uint32_t owner = ck__le32(b + 64), group = ck__le32(b + 68);

	/* rules 3 and 4, relative to the caller's groups (not the logon SID) */
	if (owner != 0 && (owner > ngroups || !(t->groups[owner - 1].attributes & CK_KACS_GROUP_OWNER)))
		return BIN(err, 64, "owner_sid_index %u names neither the user SID (0) nor one of the %u groups with "
			   "SE_GROUP_OWNER (K20 4-tokens/4-creation.md rule 3)", owner, ngroups);
	if (group > ngroups)
		return BIN(err, 68, "primary_group_index %u is past the %u groups (K20 4-tokens/4-creation.md rule 4)",
			   group, ngroups);
	return 0;
}

int ck_kacs_token_from_wire(const void *buf, size_t len, enum ck_kacs_profile p, struct ck_kacs_token **out,
			    struct ck_kacs_error *err)
{
	const uint8_t *b = buf;
	struct parsed ps = { 0 };
	struct ck_kacs_token *t;
	int r;

	if (!out || (!buf && len))
		return -EINVAL;
	*out = NULL;
	if (len < HDR || len > CK_KACS_TOKEN_SPEC_MAX)
		return BIN(err, 0, "a token spec is %u to %u bytes, this one %zu (K20 6-abi-reference.md §5)", HDR,
			   CK_KACS_TOKEN_SPEC_MAX, len);
	if ((r = check_header(b, p, err)) < 0)
		return r;
	if (!(t = ck__kacs_token_new()))
		return -ENOMEM;
	for (int id = 0; id < SEC_COUNT; id++)
		if ((r = read_section(b, len, (enum section_id)id, t, &ps, err)) < 0)
			goto fail;
	if ((r = check_overlaps(&ps, err)) < 0)
		goto fail;
	uint64_t session = read_le(b + 56, 8);
	uint32_t ngroups = ps.end[SEC_GROUPS] ? ps.count[SEC_GROUPS] : 0;
	if ((r = check_groups(t, &ps, session, err)) < 0 || (r = check_indices(b, t, ngroups, err)) < 0)
		goto fail;
	uint32_t projected_uid = ck__le32(b + 36);
	if (projected_uid == 0 && !ck_kacs_sid_equal(&t->user, CK__KACS_SID("SY"))) {
		/* PKM create_from_spec: uid 0 is SYSTEM's alone (the spec is silent) */
		r = BIN(err, 36, "projected_uid 0 for a user other than SYSTEM (S-1-5-18)");
		goto fail;
	}
	if (ps.end[SEC_DACL] &&
	    (r = ck__kacs_dacl_parse(b + ps.start[SEC_DACL], ps.count[SEC_DACL], ps.start[SEC_DACL],
				     &t->default_dacl_holder, err)) < 0)
		goto fail;
	if (b[159] && !ps.end[SEC_CONF_SID]) {
		r = BIN(err, 159, "isolation_boundary without a confinement SID (K20 4-tokens/4-creation.md rule 8)");
		goto fail;
	}
	if (ps.end[SEC_CONF_SID]) {
		struct ck_kacs_sid conf;
		ssize_t k = ck__kacs_sid_read_at(b + ps.start[SEC_CONF_SID], ps.count[SEC_CONF_SID],
						 ps.start[SEC_CONF_SID], "confinement", &conf, err);
		if (k < 0 || (size_t)k != ps.count[SEC_CONF_SID]) {
			r = k < 0 ? (int)k : BIN(err, 144, "confinement_sid_len %u but the SID is %zd bytes",
						 ps.count[SEC_CONF_SID], k);
			goto fail;
		}
	}
	/* valid, but what clonekit cannot evaluate is refused rather than ignored (design §4) */
	static const struct {
		enum section_id id;
		const char *what;
	} unsupported[] = {
		{ SEC_CONF_SID, "confinement" },
		{ SEC_CONF_CAPS, "confinement" },
		{ SEC_USER_CLAIMS, "claims (conditional ACEs are not evaluated)" },
		{ SEC_DEVICE_CLAIMS, "claims (conditional ACEs are not evaluated)" },
		{ SEC_DEVICE_GROUPS, "device groups (compound identity is not evaluated)" },
		{ SEC_RDEVICE_GROUPS, "device groups (compound identity is not evaluated)" },
	};
	for (size_t i = 0; i < CK_ARRAY_SIZE(unsupported); i++) {
		if (ps.end[unsupported[i].id]) {
			r = ck__kacs_fail(err, EOPNOTSUPP, "offset", sections[unsupported[i].id].off_at,
					  "the spec has %s, which clonekit does not implement: refused, not ignored",
					  unsupported[i].what);
			goto fail;
		}
	}
	if (b[156] || b[159]) {
		r = ck__kacs_fail(err, EOPNOTSUPP, "offset", b[156] ? 156 : 159,
				  "the spec sets %s, which clonekit does not implement", b[156] ? "confinement_exempt"
											: "isolation_boundary");
		goto fail;
	}

	/* the token the spec describes */
	t->type = b[4];
	t->impersonation_level = b[5];
	t->integrity_rid = ck__le32(b + 8);
	t->mandatory_policy = ck__le32(b + 12);
	t->privileges_present = read_le(b + 16, 8);
	t->privileges_enabled = t->privileges_enabled_by_default = read_le(b + 24, 8);
	t->projected_uid = projected_uid;
	t->projected_gid = ck__le32(b + 40);
	t->audit_policy = ck__le32(b + 44);
	t->expiration = (int64_t)read_le(b + 48, 8);
	t->auth_id = session;
	t->owner_index = ck__le32(b + 64);
	t->primary_group_index = ck__le32(b + 68);
	memcpy(t->source_name, b + 72, 8);
	t->source_luid = read_le(b + 80, 8);
	t->write_restricted = b[157];
	t->user_deny_only = b[158];
	t->origin = read_le(b + 176, 8);
	t->interactive_session_id = ck__le32(b + 184);
	t->elevation_type = CK_KACS_ELEVATION_DEFAULT;
	/* PKM: a group is enabled at creation exactly when it is enabled by default */
	for (uint32_t i = 0; i < ngroups; i++)
		t->groups[i].attributes = ck__kacs_group_default_state(t->groups[i].attributes);
	t->group_count = ngroups;
	ck__kacs_token_append_logon(t);
	if (ps.end[SEC_RESTRICTED]) {
		t->restricted = true;
		t->restricted_count = ps.count[SEC_RESTRICTED];
	}
	if (ps.end[SEC_GIDS]) {
		t->projected_supp_gid_count = ps.count[SEC_GIDS];
		if (!(t->projected_supp_gids = malloc(ps.count[SEC_GIDS] * sizeof(uint32_t)))) {
			r = -ENOMEM;
			goto fail;
		}
		for (uint32_t i = 0; i < ps.count[SEC_GIDS]; i++)
			t->projected_supp_gids[i] = ck__le32(b + ps.start[SEC_GIDS] + 4 * i);
	}
	*out = t;
	return 0;
fail:
	ck_kacs_token_free(t);
	return r;
}

/* ---- Writing a spec ---- */

static size_t array_size(const struct ck_kacs_sid_attr *v, uint32_t n)
{
	size_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += 8 + ck_kacs_sid_size(&v[i].sid);
	return s;
}

static size_t put_array(uint8_t *p, const struct ck_kacs_sid_attr *v, uint32_t n, bool defaults)
{
	size_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = defaults ? ck__kacs_group_default_state(v[i].attributes) : v[i].attributes;
		ck__put32(p + at, (uint32_t)ck_kacs_sid_size(&v[i].sid));
		at += 4 + ck__kacs_sid_put(&v[i].sid, p + at + 4);
		ck__put32(p + at, a);
		at += 4;
	}
	return at;
}

static void put64(uint8_t *p, uint64_t v)
{
	ck__put32(p, (uint32_t)v);
	ck__put32(p + 4, (uint32_t)(v >> 32));
}

int ck_kacs_token_to_wire(const struct ck_kacs_token *t, uint8_t **buf, size_t *len)
{
	struct ck_kacs_sid logon;
	uint8_t *dacl = NULL;
	size_t dacl_len = 0;

	if (!t || !buf || !len || t->group_count == 0 || t->group_count > CK_KACS_GROUPS_MAX ||
	    t->restricted_count > CK_KACS_GROUPS_MAX)
		return -EINVAL;
	/* the kernel appends the logon SID: it must be t's last group, and nothing the spec names */
	uint32_t n = t->group_count - 1;
	ck_kacs_logon_sid(t->auth_id, &logon);
	if (!ck_kacs_sid_equal(&t->groups[n].sid, &logon) || t->groups[n].attributes != CK__KACS_LOGON_ATTRS ||
	    t->owner_index > n || t->primary_group_index > n || (t->restricted && t->restricted_count == 0))
		return -EINVAL;
	if (t->default_dacl_holder) {
		int r = ck__kacs_dacl_bytes(t->default_dacl_holder, &dacl, &dacl_len);
		if (r < 0)
			return r;
	}
	size_t user_at = HDR, groups_at = user_at + ck_kacs_sid_size(&t->user);
	size_t dacl_at = groups_at + array_size(t->groups, n);
	size_t restricted_at = dacl_at + dacl_len;
	size_t gids_at = restricted_at + array_size(t->restricted_sids, t->restricted_count);
	size_t total = gids_at + 4 * (size_t)t->projected_supp_gid_count;
	if (total > CK_KACS_TOKEN_SPEC_MAX) {
		free(dacl);
		return -E2BIG;
	}
	uint8_t *b = calloc(1, total);
	if (!b) {
		free(dacl);
		return -ENOMEM;
	}
	ck__put32(b + 0, CK_KACS_TOKEN_SPEC_VERSION);
	b[4] = (uint8_t)t->type;
	b[5] = (uint8_t)t->impersonation_level;
	ck__put32(b + 8, t->integrity_rid);
	ck__put32(b + 12, t->mandatory_policy);
	put64(b + 16, t->privileges_present);
	put64(b + 24, t->privileges_enabled_by_default);
	ck__put32(b + 36, t->projected_uid);
	ck__put32(b + 40, t->projected_gid);
	ck__put32(b + 44, t->audit_policy);
	put64(b + 48, (uint64_t)t->expiration);
	put64(b + 56, t->auth_id);
	ck__put32(b + 64, t->owner_index);
	ck__put32(b + 68, t->primary_group_index);
	memcpy(b + 72, t->source_name, 8);
	put64(b + 80, t->source_luid);
	ck__put32(b + 88, (uint32_t)user_at);
	ck__kacs_sid_put(&t->user, b + user_at);
	if (n) {
		ck__put32(b + 92, (uint32_t)groups_at);
		ck__put32(b + 96, n);
		put_array(b + groups_at, t->groups, n, true);
	}
	if (dacl) {
		ck__put32(b + 100, (uint32_t)dacl_at);
		ck__put32(b + 104, (uint32_t)dacl_len);
		memcpy(b + dacl_at, dacl, dacl_len);
		free(dacl);
	}
	if (t->restricted_count) {
		ck__put32(b + 132, (uint32_t)restricted_at);
		ck__put32(b + 136, t->restricted_count);
		put_array(b + restricted_at, t->restricted_sids, t->restricted_count, false);
	}
	b[157] = t->write_restricted;
	b[158] = t->user_deny_only;
	if (t->projected_supp_gid_count) {
		ck__put32(b + 160, (uint32_t)gids_at);
		ck__put32(b + 164, t->projected_supp_gid_count);
		for (uint32_t i = 0; i < t->projected_supp_gid_count; i++)
			ck__put32(b + gids_at + 4 * i, t->projected_supp_gids[i]);
	}
	put64(b + 176, t->origin);
	ck__put32(b + 184, t->interactive_session_id);
	*buf = b;
	*len = total;
	return 0;
}

/* ---- kacs_create_token ---- */

int ck_kacs_token_create(const struct ck_kacs_sessions *s, const void *buf, size_t len,
			 const struct ck_kacs_sid *creator, enum ck_kacs_profile p, uint64_t *next_id,
			 struct ck_kacs_token **out, struct ck_kacs_error *err)
{
	struct ck_kacs_session_info info = { .size = sizeof(info) };
	struct ck_kacs_token *t;
	struct timespec ts;

	if (!creator || !next_id || !out)
		return -EINVAL;
	*out = NULL;
	int r = ck_kacs_token_from_wire(buf, len, p, &t, err);
	if (r < 0)
		return r;
	/* rule 5 (PKM: EINVAL); without a table there is nothing to check against */
	if (s && ck_kacs_session_get(s, t->auth_id, &info) < 0) {
		unsigned long long session = t->auth_id;
		ck_kacs_token_free(t);
		return BIN(err, 56, "session_id %llu names no logon session (K20 4-tokens/4-creation.md rule 5)", session);
	}
	if ((r = ck__kacs_token_new_id(t, p, next_id)) < 0) {
		ck_kacs_token_free(t);
		return r;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t->created_at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (!(t->sd = ck_kacs_token_sd_default(t, creator))) {
		ck_kacs_token_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}
