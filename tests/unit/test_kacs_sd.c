/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Security descriptors in the self-relative form (K20 3-security-descriptors/):
 * vectors that parse and the bytes they give back, malformed inputs refused
 * with the exact errno and offset, hand-made SDs, and a seeded round trip.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <clonekit/kacs.h>

#include "kacs_gen.h"

#define STRUCT "K20 3-security-descriptors/1-structure.md"
#define ACLF "K20 3-security-descriptors/2-acl-format.md"
#define MASKS "K20 3-security-descriptors/3-access-masks.md"
#define ACES "K20 3-security-descriptors/4-ace-types.md"
#define MIC "K20 10-access-check/3-integrity.md"
#define PIP "K20 10-access-check/7-pip.md"
#define DESIGN "KACS-SUPERVISOR.md §7.1"

/* ---- a byte assembler, apart from the library's writer ---- */

struct bytes {
	uint8_t b[70000];
	size_t n;
};

static void put8(struct bytes *o, uint8_t v)
{
	o->b[o->n++] = v;
}
static void put16(struct bytes *o, uint16_t v)
{
	put8(o, (uint8_t)v);
	put8(o, (uint8_t)(v >> 8));
}
static void put32(struct bytes *o, uint32_t v)
{
	put16(o, (uint16_t)v);
	put16(o, (uint16_t)(v >> 16));
}
static void set32(struct bytes *o, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o->b[at + i] = (uint8_t)(v >> (8 * i));
}
/* S-1-auth-subs... */
static void put_sid(struct bytes *o, uint8_t auth, unsigned n, const uint32_t *subs)
{
	put8(o, 1);
	put8(o, (uint8_t)n);
	for (int i = 0; i < 5; i++)
		put8(o, 0);
	put8(o, auth);
	for (unsigned i = 0; i < n; i++)
		put32(o, subs[i]);
}
static void put_ace(struct bytes *o, uint8_t type, uint8_t flags, uint32_t mask, uint8_t auth, unsigned n,
		    const uint32_t *subs)
{
	put8(o, type);
	put8(o, flags);
	put16(o, (uint16_t)(16 + 4 * n));
	put32(o, mask);
	put_sid(o, auth, n, subs);
}
static void put_acl_header(struct bytes *o, uint8_t rev, uint16_t size, uint16_t count)
{
	put8(o, rev);
	put8(o, 0);
	put16(o, size);
	put16(o, count);
	put16(o, 0);
}

static const uint32_t USER[] = { 21, 1, 2, 3, 1001 }, GROUP[] = { 21, 1, 2, 3, 513 }, SYSTEM[] = { 18 },
		      ADMINS[] = { 32, 544 }, EVERYONE[] = { 0 }, MEDIUM[] = { 8192 };

/*
 * The base of the malformed vectors (canonical layout, 152 bytes):
 *   0 header: control SR|SP|DP|DD|GD|OD, owner 20, group 48, SACL 76, DACL 104
 *  20 owner S-1-5-21-1-2-3-1001        48 group S-1-5-21-1-2-3-513
 *  76 SACL rev 2, 28 bytes: 84 ML NO_WRITE_UP S-1-16-8192
 * 104 DACL rev 2, 48 bytes: 112 ALLOW GA SY, 132 ALLOW QL WD
 */
static void base_sd(struct bytes *o)
{
	o->n = 0;
	put8(o, 1);
	put8(o, 0);
	put16(o, 0x803F);
	put32(o, 20);
	put32(o, 48);
	put32(o, 76);
	put32(o, 104);
	put_sid(o, 5, 5, USER);
	put_sid(o, 5, 5, GROUP);
	put_acl_header(o, 2, 28, 1);
	put_ace(o, CK_KACS_ACE_MANDATORY_LABEL, 0, CK_KACS_LABEL_NO_WRITE_UP, 16, 1, MEDIUM);
	put_acl_header(o, 2, 48, 2);
	put_ace(o, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_ALL, 5, 1, SYSTEM);
	put_ace(o, CK_KACS_ACE_ALLOW, 0, CK_KACS_PROCESS_QUERY_LIMITED, 1, 1, EVERYONE);
	cr_assert_eq(o->n, 152u);
}

static struct ck_kacs_error new_err(void)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	return e;
}

static struct ck_kacs_sd *parse_ok(const struct bytes *o, const char *what)
{
	struct ck_kacs_sd *sd = NULL;
	struct ck_kacs_error e = new_err();
	int r = ck_kacs_sd_parse(o->b, o->n, &sd, &e);
	cr_assert_eq(r, 0, "%s: %d %s", what, r, e.message);
	cr_assert_not_null(sd);
	return sd;
}

static void assert_bytes_back(const struct ck_kacs_sd *sd, const struct bytes *o, const char *what)
{
	uint8_t *b;
	size_t n;
	cr_assert_eq(ck_kacs_sd_to_bytes(sd, &b, &n), 0, "%s", what);
	cr_assert_eq(n, o->n, "%s: %zu bytes back, %zu in", what, n, o->n);
	cr_assert_arr_eq(b, o->b, n, "%s: bytes differ", what);
	free(b);
}

Test(kacs_sd, the_default_process_sd_parses_and_gives_back_its_bytes)
{
	/* K20 5-psb/3-process-sd.md, design §7.1: control 0x800F, owner, group, DACL GA user, GA BA, GA SY, QL WD */
	struct bytes o = { .n = 0 };
	put8(&o, 1);
	put8(&o, 0);
	put16(&o, 0x800F);
	put32(&o, 20);
	put32(&o, 48);
	put32(&o, 0);
	put32(&o, 76);
	put_sid(&o, 5, 5, USER);
	put_sid(&o, 5, 5, GROUP);
	put_acl_header(&o, 2, 8 + 36 + 24 + 20 + 20, 4);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_ALL, 5, 5, USER);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_ALL, 5, 2, ADMINS);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_ALL, 5, 1, SYSTEM);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_PROCESS_QUERY_LIMITED, 1, 1, EVERYONE);

	struct ck_kacs_sd *sd = parse_ok(&o, "default process SD");
	cr_assert_eq(sd->control, 0x800F);
	cr_assert(sd->has_owner && sd->has_group && sd->dacl_present && !sd->sacl_present);
	cr_assert_not(sd->dacl_null || sd->sacl_null);
	cr_assert_eq(sd->dacl.count, 4);
	cr_assert_eq(sd->dacl.revision, 2);
	struct ck_kacs_sid want;
	ck_kacs_sid_parse("S-1-5-21-1-2-3-1001", &want, NULL);
	cr_assert(ck_kacs_sid_equal(&sd->owner, &want));
	cr_assert(ck_kacs_sid_equal(&sd->dacl.aces[0].sid, &want));
	ck_kacs_sid_parse("BA", &want, NULL);
	cr_assert(ck_kacs_sid_equal(&sd->dacl.aces[1].sid, &want));
	cr_assert_eq(sd->dacl.aces[1].size, 24);
	cr_assert_eq(sd->dacl.aces[3].mask, CK_KACS_PROCESS_QUERY_LIMITED);
	assert_bytes_back(sd, &o, "default process SD");

	/* the same SD made with the builders gives the same bytes */
	struct ck_kacs_sd *b = ck_kacs_sd_new();
	cr_assert_not_null(b);
	b->control = 0x800F;
	b->has_owner = b->has_group = b->dacl_present = true;
	ck_kacs_sid_parse("S-1-5-21-1-2-3-1001", &b->owner, NULL);
	ck_kacs_sid_parse("S-1-5-21-1-2-3-513", &b->group, NULL);
	const char *sids[] = { "S-1-5-21-1-2-3-1001", "BA", "SY", "WD" };
	for (int i = 0; i < 4; i++) {
		struct ck_kacs_sid s;
		cr_assert_eq(ck_kacs_sid_parse(sids[i], &s, NULL), 0);
		cr_assert_eq(ck_kacs_acl_append(&b->dacl, CK_KACS_ACE_ALLOW, 0,
						i == 3 ? CK_KACS_PROCESS_QUERY_LIMITED : CK_KACS_GENERIC_ALL, &s), 0);
	}
	cr_assert(ck_kacs_sd_equal(sd, b));
	assert_bytes_back(b, &o, "built default process SD");
	ck_kacs_sd_free(b);
	ck_kacs_sd_free(sd);
}

Test(kacs_sd, the_base_vector_parses_and_gives_back_its_bytes)
{
	struct bytes o;
	base_sd(&o);
	struct ck_kacs_sd *sd = parse_ok(&o, "base");
	cr_assert_eq(sd->sacl.count, 1);
	cr_assert_eq(sd->sacl.aces[0].type, CK_KACS_ACE_MANDATORY_LABEL);
	cr_assert_eq(sd->sacl.aces[0].mask, CK_KACS_LABEL_NO_WRITE_UP);
	assert_bytes_back(sd, &o, "base");
	ck_kacs_sd_free(sd);
}

/* A change to the base: bytes set, a length cut or grown. */
struct patch {
	uint16_t at;
	uint8_t v;
	bool used;
};
#define P(a, b) { (a), (b), true }

static const struct bad {
	const char *name;
	size_t len; /* 0: the base's */
	struct patch p[6];
	int err;
	size_t offset;
	const char *why, *spec;
} bad[] = {
	{ "header cut", 19, { { 0 } }, EINVAL, 19, "header needs 20 bytes", STRUCT " 20-byte header" },
	{ "empty", 0xFFFF + 2, { { 0 } }, EINVAL, 65535, "more than the 65535", STRUCT " at most 65,535 bytes" },
	{ "revision 2", 0, { P(0, 2) }, EINVAL, 0, "SD revision 2, must be 1", STRUCT " Revision MUST be 1" },
	{ "revision 0", 0, { P(0, 0) }, EINVAL, 0, "SD revision 0, must be 1", STRUCT " Revision MUST be 1" },
	{ "not self-relative", 0, { P(3, 0x00) }, EINVAL, 2, "lacks SE_SELF_RELATIVE", STRUCT " SR MUST be set" },
	{ "owner in header", 0, { P(4, 4) }, EINVAL, 4, "owner offset 4 points into the 20-byte header",
	  STRUCT " offsets lie past the header" },
	{ "owner offset 19", 0, { P(4, 19) }, EINVAL, 4, "points into the 20-byte header", STRUCT },
	{ "owner past end", 0, { P(4, 152) }, EINVAL, 4, "owner offset 152 is past the end of the SD (152 bytes)",
	  STRUCT " offsets lie in the buffer" },
	{ "owner offset huge", 0, { P(7, 0x80) }, EINVAL, 4, "is past the end", STRUCT },
	{ "owner cut short", 0, { P(4, 148) }, EINVAL, 148, "owner SID needs 8 bytes, 4 left", "K20 2-sids/1-format.md" },
	{ "owner SID revision", 0, { P(20, 2) }, EINVAL, 20, "owner SID revision 2, must be 1",
	  "K20 2-sids/1-format.md Revision MUST be 1" },
	{ "owner SID 16 subs", 0, { P(21, 16) }, EINVAL, 21, "owner SID SubAuthorityCount 16, at most 15",
	  "K20 2-sids/1-format.md count 0..15" },
	{ "group SID runs over", 0, { P(8, 140), P(141, 2) }, EINVAL, 140, "group SID of 2 sub-authorities needs 16 bytes, 12 left",
	  STRUCT },
	{ "owner and group the same bytes", 0, { P(8, 20) }, EINVAL, 20, "overlaps",
	  STRUCT " components do not overlap (PKM)" },
	{ "owner inside the DACL", 0, { P(4, 140) }, EINVAL, 140, "the owner (bytes 140..152) overlaps the DACL (bytes 104..152)",
	  STRUCT " components do not overlap (PKM)" },
	{ "DACL on the SACL (both empty)", 0, { P(78, 8), P(80, 0), P(16, 76) }, EINVAL, 76,
	  "the SACL (bytes 76..84) overlaps the DACL (bytes 76..84)", STRUCT " components do not overlap (PKM)" },
	{ "SACL offset without SP", 0, { P(2, 0x2F) }, EINVAL, 12, "SACL offset 76 but SE_SACL_PRESENT is clear",
	  "K20 13-appendix-a/6-abi-reference.md: absent = offset 0, PRESENT bit clear" },
	{ "DP with offset 0", 0, { P(16, 0) }, EINVAL, 16, "SE_DACL_PRESENT is set but the DACL offset is 0",
	  STRUCT " null DACL is DP clear, offset 0" },
	{ "DACL offset without DP", 0, { P(2, 0x3B) }, EINVAL, 16, "but SE_DACL_PRESENT is clear", STRUCT },
	{ "DACL header cut", 0, { P(16, 148) }, EINVAL, 148, "DACL header needs 8 bytes, 4 left", ACLF " 8-byte header" },
	{ "DACL revision 3", 0, { P(104, 3) }, EINVAL, 104, "DACL revision 3, must be 2 or 4", ACES " ACL revision" },
	{ "DACL revision 0", 0, { P(104, 0) }, EINVAL, 104, "must be 2 or 4", ACES " ACL revision" },
	{ "AclSize 7", 0, { P(106, 7) }, EINVAL, 106, "AclSize 7 is below its 8-byte header", ACLF " AclSize >= 8" },
	{ "AclSize past the buffer", 0, { P(106, 52) }, EINVAL, 106, "AclSize 52 runs past the end of the input (48 bytes left)",
	  ACLF " AclSize MUST NOT exceed the buffer" },
	{ "AceCount cannot fit", 0, { P(108, 3) }, EINVAL, 108, "AceCount 3 cannot fit in AclSize 48", ACLF " exactly AceCount ACEs" },
	{ "AceCount too small: leftover", 0, { P(108, 1) }, EINVAL, 132, "20 bytes after its 1 ACEs within AclSize 48",
	  ACLF " leftover bytes are malformed" },
	{ "AceCount 0 with ACEs", 0, { P(108, 0) }, EINVAL, 112, "40 bytes after its 0 ACEs", ACLF " leftover bytes are malformed" },
	{ "ACE runs over AclSize", 0, { P(106, 40), P(108, 2) }, EINVAL, 134, "AceSize 20 runs past the end of the ACL (12 bytes left)",
	  ACLF " no ACE overrun" },
	{ "AceSize 18", 0, { P(114, 18) }, EINVAL, 114, "AceSize 18 is not a multiple of 4", ACES " AceSize multiple of 4" },
	{ "AceSize 12", 0, { P(114, 12) }, EINVAL, 114, "AceSize 12 is below 16", ACES " AceSize >= 16" },
	{ "AceSize 0", 0, { P(114, 0) }, EINVAL, 114, "AceSize 0 is below 16", ACES " AceSize >= 16" },
	{ "SID shorter than the ACE", 0, { P(114, 24) }, EINVAL, 114, "AceSize 24 but its SID ends after 20 bytes",
	  ACES " the SID consumes the remainder exactly" },
	{ "SID longer than the ACE", 0, { P(121, 2) }, EINVAL, 120, "DACL SID of 2 sub-authorities needs 16 bytes, 12 left",
	  ACES " the SID fits the ACE" },
	{ "ACE SID revision", 0, { P(120, 0) }, EINVAL, 120, "DACL SID revision 0, must be 1", "K20 2-sids/1-format.md" },
	{ "MAXIMUM_ALLOWED in an ACE", 0, { P(119, 0x12) }, EINVAL, 116, "holds MAXIMUM_ALLOWED",
	  MASKS " MAXIMUM_ALLOWED MUST NOT appear in an ACE" },
	{ "reserved bit 21", 0, { P(118, 0x20) }, EINVAL, 116, "reserved bits 0x00200000", MASKS " bits 21-23 MUST NOT be used" },
	{ "reserved bit 27", 0, { P(139, 0x08) }, EINVAL, 136, "reserved bits 0x08000000", MASKS " bits 26-27 MUST NOT be used" },
	{ "label in the DACL", 0, { P(112, 0x11) }, EINVAL, 112, "type 0x11 is a SACL ACE type", DESIGN " DACL: ALLOW, DENY" },
	{ "audit in the DACL", 0, { P(132, 0x02) }, EINVAL, 132, "DACL ACE 1: type 0x02 is a SACL ACE type", DESIGN },
	{ "allow in the SACL", 0, { P(84, 0x00) }, EINVAL, 84, "SACL ACE 0: type 0x00 is a DACL ACE type", DESIGN " SACL types" },
	{ "label SID not a level", 0, { P(96, 0x01) }, EINVAL, 92, "a mandatory label's SID must be S-1-16-",
	  MIC " label SID validity" },
	{ "label SID of authority 5", 0, { P(99, 5) }, EINVAL, 92, "S-1-16-", MIC " label SID validity" },
	{ "trust label with a level SID", 0, { P(84, 0x14) }, EINVAL, 92, "a trust label's SID must be S-1-19-type-trust",
	  PIP " trust-label SID validity" },
	{ "object ACE", 0, { P(112, 0x05) }, EOPNOTSUPP, 112, "type 0x05 is an object ACE", DESIGN " object ACEs refused" },
	{ "object audit ACE", 0, { P(84, 0x07) }, EOPNOTSUPP, 84, "is an object ACE", DESIGN " object ACEs refused" },
	{ "callback ACE", 0, { P(112, 0x09) }, EOPNOTSUPP, 112, "is a callback (conditional) ACE", DESIGN " callback ACEs refused" },
	{ "callback object ACE", 0, { P(132, 0x0C) }, EOPNOTSUPP, 132, "callback", DESIGN " callback ACEs refused" },
	{ "alarm callback ACE", 0, { P(84, 0x10) }, EOPNOTSUPP, 84, "callback", DESIGN " callback ACEs refused" },
	{ "resource attribute ACE", 0, { P(84, 0x12) }, EOPNOTSUPP, 84, "resource-attribute", DESIGN " refused" },
	{ "scoped policy ACE", 0, { P(84, 0x13) }, EOPNOTSUPP, 84, "scoped-policy-ID", ACES " scoped policy (no CAAP here)" },
	{ "compound ACE", 0, { P(112, 0x04) }, EOPNOTSUPP, 112, "not a type this library keeps", ACES " reserved 0x04" },
	{ "unknown ACE type", 0, { P(112, 0x15) }, EOPNOTSUPP, 112, "not a type this library keeps", ACES " unknown types" },
	{ "unknown ACE type 0xff", 0, { P(84, 0xff) }, EOPNOTSUPP, 84, "not a type this library keeps", ACES " unknown types" },
	{ "unsupported ACE with a bad size", 0, { P(112, 0x05), P(114, 6) }, EINVAL, 114, "not a multiple of 4",
	  ACES " AceSize is checked first" },
};

Test(kacs_sd, malformed_inputs_are_refused_with_the_errno_and_the_offset)
{
	static struct bytes o;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base_sd(&o);
		if (bad[i].len) {
			if (bad[i].len > o.n)
				memset(o.b + o.n, 0, bad[i].len - o.n);
			o.n = bad[i].len;
		}
		for (int j = 0; j < 6 && bad[i].p[j].used; j++)
			o.b[bad[i].p[j].at] = bad[i].p[j].v;
		struct ck_kacs_sd *sd = (void *)1;
		struct ck_kacs_error e = new_err();
		int r = ck_kacs_sd_parse(o.b, o.n, &sd, &e);
		cr_assert_eq(r, -bad[i].err, "%s (%s): %d, want %d: %s", bad[i].name, bad[i].spec, r, -bad[i].err, e.message);
		cr_assert_null(sd, "%s", bad[i].name);
		cr_assert_eq(e.offset, bad[i].offset, "%s: offset %zu, want %zu: %s", bad[i].name, e.offset, bad[i].offset,
			     e.message);
		char head[40];
		snprintf(head, sizeof(head), "offset %zu: ", bad[i].offset);
		cr_assert(strncmp(e.message, head, strlen(head)) == 0, "%s: %s", bad[i].name, e.message);
		cr_assert(strstr(e.message, bad[i].why), "%s: '%s' lacks '%s'", bad[i].name, e.message, bad[i].why);
	}
}

/* Valid inputs K20 allows that are not in the canonical layout, or carry what is kept as it came. */
Test(kacs_sd, reserved_bytes_unknown_label_bits_and_revision_4_are_kept)
{
	struct bytes o;
	base_sd(&o);
	o.b[1] = 0x5A;         /* Sbz1 (K20 1-structure.md: preserved) */
	o.b[3] |= 0x40;        /* SE_RM_CONTROL_VALID */
	o.b[2] |= 0xC0;        /* SE_DACL_TRUSTED, SE_SERVER_SECURITY: stored (the latter refused only at creation) */
	o.b[77] = 0x11;        /* SACL Sbz1 (K20 2-acl-format.md: preserved) */
	o.b[110] = 0x22;       /* DACL Sbz2 */
	o.b[111] = 0x33;
	o.b[104] = 4;          /* ACL_REVISION_DS: K20 4-ace-types.md, not rejected for its ACE types */
	o.b[91] = 0xFF;        /* unknown label policy bits: K20 3-integrity.md, ignored (kept) */
	o.b[113] = 0xFF;       /* every ACE flag bit */
	struct ck_kacs_sd *sd = parse_ok(&o, "kept fields");
	cr_assert_eq(sd->sbz1, 0x5A);
	cr_assert_eq(sd->control, 0xC0FF);
	cr_assert_eq(sd->sacl.sbz1, 0x11);
	cr_assert_eq(sd->dacl.sbz2, 0x3322);
	cr_assert_eq(sd->dacl.revision, 4);
	cr_assert_eq(sd->sacl.aces[0].mask, 0xFF000002u);
	cr_assert_eq(sd->dacl.aces[0].flags, 0xFF);
	assert_bytes_back(sd, &o, "kept fields");
	ck_kacs_sd_free(sd);
}

Test(kacs_sd, any_order_gaps_and_trailing_bytes_parse_and_come_back_canonical)
{
	struct bytes o, canon;
	base_sd(&canon);
	/* header, 4 bytes of gap, DACL, SACL, group, owner, 8 trailing bytes */
	o.n = 0;
	memcpy(o.b, canon.b, 20);
	o.n = 24;
	memset(o.b + 20, 0xEE, 4);
	set32(&o, 16, 24);
	memcpy(o.b + o.n, canon.b + 104, 48), o.n += 48;
	set32(&o, 12, (uint32_t)o.n);
	memcpy(o.b + o.n, canon.b + 76, 28), o.n += 28;
	set32(&o, 8, (uint32_t)o.n);
	memcpy(o.b + o.n, canon.b + 48, 28), o.n += 28;
	set32(&o, 4, (uint32_t)o.n);
	memcpy(o.b + o.n, canon.b + 20, 28), o.n += 28;
	memset(o.b + o.n, 0xEE, 8), o.n += 8;
	struct ck_kacs_sd *sd = parse_ok(&o, "reordered"), *c = parse_ok(&canon, "canonical");
	cr_assert(ck_kacs_sd_equal(sd, c));
	assert_bytes_back(sd, &canon, "reordered, written canonically");
	ck_kacs_sd_free(sd);
	ck_kacs_sd_free(c);
}

Test(kacs_sd, an_acl_that_ends_before_its_acecount_is_refused)
{
	/* K20 2-acl-format.md: exactly AceCount ACEs within AclSize; one 36-byte ACE where AceCount says 2 */
	struct bytes o = { .n = 0 };
	put8(&o, 1);
	put8(&o, 0);
	put16(&o, 0x8004);
	put32(&o, 0);
	put32(&o, 0);
	put32(&o, 0);
	put32(&o, 20);
	put_acl_header(&o, 2, 8 + 36, 2);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, 1, 5, 5, USER);
	struct ck_kacs_sd *sd;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_sd_parse(o.b, o.n, &sd, &e), -EINVAL);
	cr_assert_eq(e.offset, 24u, "%s", e.message);
	cr_assert_str_eq(e.message, "offset 24: DACL AceCount 2 but the ACL ends after 1 ACEs (AclSize 44)");
}

Test(kacs_sd, a_non_canonical_dacl_is_accepted_and_keeps_its_order)
{
	/* K20 3-security-descriptors/5-ace-ordering.md: MUST NOT reject non-canonical DACLs, MUST preserve the order */
	struct bytes o = { .n = 0 };
	put8(&o, 1);
	put8(&o, 0);
	put16(&o, 0x8004);
	put32(&o, 0);
	put32(&o, 0);
	put32(&o, 0);
	put32(&o, 20);
	put_acl_header(&o, 2, 8 + 3 * 20, 3);
	put_ace(&o, CK_KACS_ACE_ALLOW, CK_KACS_ACE_INHERITED, CK_KACS_GENERIC_ALL, 1, 1, EVERYONE); /* inherited first */
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_PROCESS_TERMINATE, 5, 1, SYSTEM);             /* allow before deny */
	put_ace(&o, CK_KACS_ACE_DENY, 0, CK_KACS_PROCESS_TERMINATE, 5, 1, SYSTEM);
	struct ck_kacs_sd *sd = parse_ok(&o, "non-canonical DACL");
	cr_assert_eq(sd->dacl.count, 3);
	cr_assert_eq(sd->dacl.aces[0].flags, CK_KACS_ACE_INHERITED);
	cr_assert_eq(sd->dacl.aces[1].type, CK_KACS_ACE_ALLOW);
	cr_assert_eq(sd->dacl.aces[2].type, CK_KACS_ACE_DENY);
	assert_bytes_back(sd, &o, "non-canonical DACL");
	ck_kacs_sd_free(sd);
}

Test(kacs_sd, the_smallest_sds)
{
	/* no owner, no group, no DACL (the NULL DACL: K20 1-structure.md), no SACL */
	struct bytes o = { .n = 20 };
	memset(o.b, 0, 20);
	o.b[0] = 1;
	o.b[3] = 0x80;
	struct ck_kacs_sd *sd = parse_ok(&o, "header only");
	cr_assert_not(sd->has_owner || sd->has_group || sd->dacl_present || sd->sacl_present);
	assert_bytes_back(sd, &o, "header only");
	ck_kacs_sd_free(sd);
	/* an empty DACL: present, no ACE (denies all but the owner's implicit rights) */
	o.b[2] = CK_KACS_SE_DACL_PRESENT;
	set32(&o, 16, 20);
	put_acl_header(&o, 2, 8, 0);
	sd = parse_ok(&o, "empty DACL");
	cr_assert(sd->dacl_present);
	cr_assert_eq(sd->dacl.count, 0);
	cr_assert_null(sd->dacl.aces);
	assert_bytes_back(sd, &o, "empty DACL");
	ck_kacs_sd_free(sd);
}

Test(kacs_sd, the_largest_sd_is_65535_bytes)
{
	/* K20 1-structure.md: the architectural maximum is 65,535 bytes */
	static struct bytes o;
	o.n = 0;
	put8(&o, 1);
	put8(&o, 0);
	put16(&o, 0x8004);
	put32(&o, 0);
	put32(&o, 0);
	put32(&o, 0);
	put32(&o, 20);
	/* 65535 - 20 = 65515 = 8 + 4094 * 16 + 3: 4094 ACEs of S-1-1 (16 bytes) then 3 trailing bytes */
	put_acl_header(&o, 2, 8 + 4094 * 16, 4094);
	for (int i = 0; i < 4094; i++)
		put_ace(&o, CK_KACS_ACE_DENY, 0, 1, 1, 0, NULL);
	memset(o.b + o.n, 0, 3);
	o.n += 3;
	cr_assert_eq(o.n, 65535u);
	struct ck_kacs_sd *sd = parse_ok(&o, "65535 bytes");
	cr_assert_eq(sd->dacl.count, 4094);
	ck_kacs_sd_free(sd);
	o.n = 65536;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_sd_parse(o.b, o.n, &sd, &e), -EINVAL);
	cr_assert_eq(e.offset, 65535u);
}

Test(kacs_sd, hand_made_sds_are_validated_before_they_are_written)
{
	struct bytes o;
	base_sd(&o);
	struct ck_kacs_sd *good = parse_ok(&o, "base");
	uint8_t *b;
	size_t n;
	struct ck_kacs_error e = new_err();
	struct ck_kacs_sd *sd;

	/* each break is checked alone on a fresh copy */
#define BROKEN(stmt, errv, off, text)                                                           \
	do {                                                                                   \
		sd = ck_kacs_sd_dup(good);                                                     \
		cr_assert_not_null(sd);                                                        \
		stmt;                                                                          \
		e = new_err();                                                                 \
		cr_assert_eq(ck_kacs_sd_validate(sd, &e), -(errv), #stmt ": %s", e.message);   \
		cr_assert_eq(e.offset, (size_t)(off), #stmt ": %s", e.message);                 \
		cr_assert(strstr(e.message, text), #stmt ": '%s' lacks '%s'", e.message, text); \
		cr_assert_eq(ck_kacs_sd_to_bytes(sd, &b, &n), -(errv), #stmt);                 \
		ck_kacs_sd_free(sd);                                                           \
	} while (0)

	BROKEN(sd->revision = 2, EINVAL, 0, "SD revision 2");
	BROKEN(sd->control &= ~CK_KACS_SE_SELF_RELATIVE, EINVAL, 2, "lacks SE_SELF_RELATIVE");
	BROKEN(sd->control &= ~CK_KACS_SE_DACL_PRESENT, EINVAL, 2, "SE_DACL_PRESENT clear but dacl_present is true");
	BROKEN(sd->sacl_present = false, EINVAL, 2, "SE_SACL_PRESENT set but sacl_present is false");
	BROKEN(sd->dacl_null = true, EINVAL, 16, "no present NULL DACL");
	BROKEN((sd->control &= ~CK_KACS_SE_SACL_PRESENT, sd->sacl_present = false, sd->sacl_null = true), EINVAL, 12,
	       "no present NULL SACL");
	BROKEN(sd->owner.sub_count = 16, EINVAL, 20, "owner SID revision 1, 16 sub-authorities");
	BROKEN(sd->dacl.revision = 3, EINVAL, 104, "DACL revision 3");
	BROKEN(sd->dacl.aces[1].size = 24, EINVAL, 134, "DACL ACE 1: size 24, its SID makes it 20");
	BROKEN(sd->dacl.aces[1].mask |= CK_KACS_MAXIMUM_ALLOWED, EINVAL, 136, "MAXIMUM_ALLOWED");
	BROKEN(sd->dacl.aces[0].type = CK_KACS_ACE_MANDATORY_LABEL, EINVAL, 112, "is a SACL ACE type");
	BROKEN(sd->dacl.aces[0].type = 0x05, EOPNOTSUPP, 112, "object ACE");
	BROKEN(sd->sacl.aces[0].sid.sub[0] = 8193, EINVAL, 92, "S-1-16-");
	BROKEN((sd->control &= ~CK_KACS_SE_DACL_PRESENT, sd->dacl_present = false), EINVAL, 16,
	       "DACL has 2 ACEs but is not present");

	/* larger than 65535 once written: E2BIG */
	sd = ck_kacs_sd_dup(good);
	struct ck_kacs_sid big;
	uint32_t subs[15] = { 0 };
	ck_kacs_sid_make(&big, 5, 15, subs);
	int r = 0;
	for (int i = 0; i < 65535 / 76 + 1 && r == 0; i++)
		r = ck_kacs_acl_append(&sd->dacl, CK_KACS_ACE_ALLOW, 0, 1, &big);
	cr_assert_eq(r, 0);
	e = new_err();
	cr_assert_eq(ck_kacs_sd_validate(sd, &e), -E2BIG, "%s", e.message);
	cr_assert_eq(ck_kacs_sd_to_bytes(sd, &b, &n), -E2BIG);
	ck_kacs_sd_free(sd);
	ck_kacs_sd_free(good);
	cr_assert_eq(ck_kacs_sd_validate(NULL, NULL), -EINVAL);
}

Test(kacs_sd, a_standalone_acl_is_a_default_dacl)
{
	/* K20 13-appendix-a/6-abi-reference.md: TOKEN_CLASS_DEFAULT_DACL is a binary ACL (2-acl-format.md) */
	struct bytes o = { .n = 0 };
	put_acl_header(&o, 2, 8 + 20 + 20, 2);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_ALL, 5, 1, SYSTEM);
	put_ace(&o, CK_KACS_ACE_ALLOW, 0, CK_KACS_GENERIC_READ | CK_KACS_GENERIC_EXECUTE, 1, 1, EVERYONE);
	struct ck_kacs_acl acl;
	struct ck_kacs_error e = new_err();
	cr_assert_eq(ck_kacs_acl_parse(o.b, o.n, false, &acl, &e), 0, "%s", e.message);
	cr_assert_eq(acl.count, 2);
	cr_assert_eq(ck_kacs_acl_size(&acl), o.n);
	uint8_t back[64];
	cr_assert_eq(ck_kacs_acl_write(&acl, false, back, sizeof(back)), (ssize_t)o.n);
	cr_assert_arr_eq(back, o.b, o.n);
	cr_assert_eq(ck_kacs_acl_write(&acl, false, back, o.n - 1), -ENOSPC);
	cr_assert_eq(ck_kacs_acl_write(&acl, true, back, sizeof(back)), -EINVAL, "ALLOW does not belong in a SACL");
	/* moved into an SD, which then owns it */
	struct ck_kacs_sd *sd = ck_kacs_sd_new();
	sd->dacl = acl;
	sd->dacl_present = true;
	sd->control |= CK_KACS_SE_DACL_PRESENT;
	cr_assert_eq(ck_kacs_sd_validate(sd, NULL), 0);
	ck_kacs_sd_free(sd);

	/* the ACL must fill exactly the bytes given */
	o.b[o.n++] = 0;
	o.b[o.n++] = 0;
	o.b[o.n++] = 0;
	o.b[o.n++] = 0;
	e = new_err();
	cr_assert_eq(ck_kacs_acl_parse(o.b, o.n, false, &acl, &e), -EINVAL);
	cr_assert_eq(e.offset, 2u);
	cr_assert(strstr(e.message, "AclSize 48 but the ACL given is 52 bytes"), "%s", e.message);
	cr_assert_null(acl.aces);
}

Test(kacs_sd, seeded_random_sds_round_trip_through_bytes)
{
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 20000; i++) {
		struct ck_kacs_sd *sd = kg_sd(&seed), *back = NULL, *copy;
		struct ck_kacs_error e = new_err();
		cr_assert_eq(ck_kacs_sd_validate(sd, &e), 0, "#%d: %s", i, e.message);
		uint8_t *b, *b2;
		size_t n, n2;
		cr_assert_eq(ck_kacs_sd_to_bytes(sd, &b, &n), 0, "#%d", i);
		cr_assert_eq(ck_kacs_sd_parse(b, n, &back, &e), 0, "#%d: %s", i, e.message);
		cr_assert(ck_kacs_sd_equal(sd, back), "#%d: parse(to_bytes(sd)) differs", i);
		cr_assert_eq(ck_kacs_sd_to_bytes(back, &b2, &n2), 0);
		cr_assert(n == n2 && memcmp(b, b2, n) == 0, "#%d: to_bytes(parse(x)) != x for canonical x", i);
		copy = ck_kacs_sd_dup(back);
		cr_assert(ck_kacs_sd_equal(copy, sd));
		/* every byte flipped alone: parse refuses it or gives an SD that writes and parses back equal */
		for (size_t k = 0; k < n && i % 50 == 0; k++) {
			struct ck_kacs_sd *m = NULL;
			b[k] ^= (uint8_t)(1u << (k % 8));
			int r = ck_kacs_sd_parse(b, n, &m, NULL);
			cr_assert(r == 0 || r == -EINVAL || r == -EOPNOTSUPP, "#%d byte %zu: %d", i, k, r);
			if (r == 0) {
				uint8_t *mb;
				size_t mn;
				struct ck_kacs_sd *m2 = NULL;
				cr_assert_eq(ck_kacs_sd_to_bytes(m, &mb, &mn), 0);
				cr_assert_eq(ck_kacs_sd_parse(mb, mn, &m2, NULL), 0);
				cr_assert(ck_kacs_sd_equal(m, m2));
				free(mb);
				ck_kacs_sd_free(m2);
			}
			ck_kacs_sd_free(m);
			b[k] ^= (uint8_t)(1u << (k % 8));
		}
		free(b);
		free(b2);
		ck_kacs_sd_free(sd);
		ck_kacs_sd_free(back);
		ck_kacs_sd_free(copy);
	}
}

Test(kacs_sd, equality_sees_every_field)
{
	struct bytes o;
	base_sd(&o);
	struct ck_kacs_sd *a = parse_ok(&o, "base"), *b;
#define DIFFERS(stmt)                                                  \
	do {                                                           \
		b = ck_kacs_sd_dup(a);                                 \
		stmt;                                                  \
		cr_assert_not(ck_kacs_sd_equal(a, b), #stmt);          \
		ck_kacs_sd_free(b);                                    \
	} while (0)
	DIFFERS(b->control ^= CK_KACS_SE_DACL_PROTECTED);
	DIFFERS(b->sbz1 = 1);
	DIFFERS(b->has_group = false);
	DIFFERS(b->owner.sub[4] = 1002);
	DIFFERS(b->dacl.sbz1 = 1);
	DIFFERS(b->sacl.sbz2 = 1);
	DIFFERS(b->dacl.revision = 4);
	DIFFERS(b->dacl.count = 1);
	DIFFERS(b->dacl.aces[1].flags = CK_KACS_ACE_INHERITED);
	DIFFERS(b->dacl.aces[1].mask = 1);
	DIFFERS(b->dacl.aces[1].type = CK_KACS_ACE_DENY);
	DIFFERS(b->sacl.aces[0].sid.sub[0] = 4096);
	/* an absent component's leftover contents do not count */
	b = ck_kacs_sd_dup(a);
	b->has_owner = false;
	struct ck_kacs_sd *c = ck_kacs_sd_dup(b);
	c->owner.sub[0] = 77;
	cr_assert(ck_kacs_sd_equal(b, c));
	ck_kacs_sd_free(b);
	ck_kacs_sd_free(c);
	ck_kacs_sd_free(a);
}
