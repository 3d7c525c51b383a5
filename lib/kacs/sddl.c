/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SDDL, the subset of the design (KACS-SUPERVISOR.md §7.1 "SDDL for
 * humans"), with what it needs to carry every valid SD both ways:
 *
 *   sddl    := [O:sid] [G:sid] [D:acl] [S:acl] [C:control]   (each once, any order)
 *   acl     := ("P" | "AI" | "AR")* ["{" attr ("," attr)* "}"] ace*
 *   attr    := "rev=" (2|4) | "sbz1=" hex | "sbz2=" hex        (the ACL header's other bytes)
 *   ace     := "(" type ";" flags ";" rights ";" ";" ";" sid ")"
 *   type    := A | D | AU | AL | ML | TL
 *   flags   := (OI | CI | NP | IO | ID | CR | SA | FA)*
 *   rights  := (GA | GR | GW | GX | RC | SD | WD | WO)+ | (NR | NW | NX)+ for ML | "0x" hex
 *   control := item ("|" item)*, item := OD GD DD SD DT SS AR DI SI PD PS RM | "0x" hex | "Sbz1=0x" hex
 *   sid     := an alias (SY BA ...) | S-1-...
 *
 * As in Windows' SDDL, D: present means a DACL (none after it: an empty
 * one) and no D: means no DACL, which K20 makes the NULL DACL; P, AI, AR
 * before the ACEs are the ACL's PROTECTED, AUTO_INHERITED and
 * AUTO_INHERIT_REQ control bits. The rest is clonekit's: C: holds the
 * control bits SDDL has no place for (the spec's abbreviations,
 * K20 1-structure.md; those of an absent ACL too) and the header's Sbz1;
 * "{...}" an ACL's revision 4 and reserved bytes; TL, NR/NW/NX (K20's label
 * policy values, not Windows'), CR (ACE flag 0x20). format writes each of
 * them only when it is not the default, so common SDs read as Windows'.
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal/util.h"
#include "kacs/internal.h"

struct code {
	char name[3];
	uint32_t value;
};

static const struct code ace_types[] = {
	{ "A", CK_KACS_ACE_ALLOW },
	{ "D", CK_KACS_ACE_DENY },
	{ "AU", CK_KACS_ACE_AUDIT },
	{ "AL", CK_KACS_ACE_ALARM },
	{ "ML", CK_KACS_ACE_MANDATORY_LABEL },
	{ "TL", CK_KACS_ACE_PROCESS_TRUST_LABEL },
};

/* Windows' names of the ACE types this library does not keep (sd.c refuses their bytes alike). */
static const char *const unkept_types[] = { "OA", "OD", "OU", "OL", "XA", "XD", "XU", "ZA", "RA", "SP" };

static const struct code ace_flags[] = {
	{ "OI", CK_KACS_ACE_OBJECT_INHERIT },
	{ "CI", CK_KACS_ACE_CONTAINER_INHERIT },
	{ "NP", CK_KACS_ACE_NO_PROPAGATE_INHERIT },
	{ "IO", CK_KACS_ACE_INHERIT_ONLY },
	{ "ID", CK_KACS_ACE_INHERITED },
	{ "CR", 0x20 }, /* K20 names no 0x20 flag; kept under Windows' CRITICAL name */
	{ "SA", CK_KACS_ACE_SUCCESSFUL_ACCESS },
	{ "FA", CK_KACS_ACE_FAILED_ACCESS },
};

static const struct code rights[] = {
	{ "GA", CK_KACS_GENERIC_ALL },
	{ "GR", CK_KACS_GENERIC_READ },
	{ "GW", CK_KACS_GENERIC_WRITE },
	{ "GX", CK_KACS_GENERIC_EXECUTE },
	{ "RC", CK_KACS_READ_CONTROL },
	{ "SD", CK_KACS_DELETE },
	{ "WD", CK_KACS_WRITE_DAC },
	{ "WO", CK_KACS_WRITE_OWNER },
};

/* K20 10-access-check/3-integrity.md's values (Windows has NW 0x1, NR 0x2). */
static const struct code label_policy[] = {
	{ "NR", CK_KACS_LABEL_NO_READ_UP },
	{ "NW", CK_KACS_LABEL_NO_WRITE_UP },
	{ "NX", CK_KACS_LABEL_NO_EXECUTE_UP },
};

/* K20 1-structure.md's abbreviations of the control bits SDDL has no other place for. */
static const struct code control_names[] = {
	{ "OD", CK_KACS_SE_OWNER_DEFAULTED },
	{ "GD", CK_KACS_SE_GROUP_DEFAULTED },
	{ "DD", CK_KACS_SE_DACL_DEFAULTED },
	{ "SD", CK_KACS_SE_SACL_DEFAULTED },
	{ "DT", CK_KACS_SE_DACL_TRUSTED },
	{ "SS", CK_KACS_SE_SERVER_SECURITY },
	{ "AR", CK_KACS_SE_DACL_AUTO_INHERIT_REQ },
	{ "DI", CK_KACS_SE_DACL_AUTO_INHERITED },
	{ "SI", CK_KACS_SE_SACL_AUTO_INHERITED },
	{ "PD", CK_KACS_SE_DACL_PROTECTED },
	{ "PS", CK_KACS_SE_SACL_PROTECTED },
	{ "RM", CK_KACS_SE_RM_CONTROL_VALID },
};

/* The P, AI, AR letters of an ACL and the control bits they stand for. */
static const struct {
	const char *name;
	uint16_t dacl, sacl;
} acl_flags[] = {
	{ "P", CK_KACS_SE_DACL_PROTECTED, CK_KACS_SE_SACL_PROTECTED },
	{ "AI", CK_KACS_SE_DACL_AUTO_INHERITED, CK_KACS_SE_SACL_AUTO_INHERITED },
	{ "AR", CK_KACS_SE_DACL_AUTO_INHERIT_REQ, CK_KACS_SE_SACL_AUTO_INHERIT_REQ },
};

#define SD_FIXED_BITS (CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_SACL_PRESENT)

struct in {
	const char *s;
	size_t n, i;
	size_t total; /* the binary size so far: the SD's 65535-byte limit */
	struct ck_kacs_error *err;
};

static const struct code *find_code(const struct code *t, size_t count, const char *s, size_t n)
{
	for (size_t k = 0; k < count; k++)
		if (strlen(t[k].name) == n && memcmp(t[k].name, s, n) == 0)
			return &t[k];
	return NULL;
}

static bool printable(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] <= ' ' || (unsigned char)s[k] >= 0x7f)
			return false;
	return true;
}

static bool at_component(const struct in *in, size_t i)
{
	return i + 1 < in->n && strchr("OGDSC", in->s[i]) && in->s[i] != '\0' && in->s[i + 1] == ':';
}

static int unexpected(struct in *in, size_t i, const char *where)
{
	char shown[16];
	if (i >= in->n)
		return CK__KACS_TXT(in->err, i, "the text ends %s", where);
	return CK__KACS_TXT(in->err, i, "unexpected %s %s", ck__kacs_shown(in->s[i], shown), where);
}

/* "0x" and 1..max_digits hex digits at in->i, at most max. */
static int parse_hex(struct in *in, uint32_t max, const char *what, uint32_t *out)
{
	size_t start = in->i, j = start + 2;
	uint64_t v = 0;
	if (in->n - start < 3 || in->s[start] != '0' || (in->s[start + 1] | 0x20) != 'x')
		return CK__KACS_TXT(in->err, start, "%s: \"0x\" and hex digits expected", what);
	for (; j < in->n; j++) {
		char c = in->s[j];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (unsigned)((c | 0x20) - 'a' + 10);
		else
			break;
		v = v << 4 | d;
		if (v > max)
			return CK__KACS_TXT(in->err, start, "%s: larger than 0x%" PRIx32, what, max);
	}
	if (j == start + 2)
		return CK__KACS_TXT(in->err, start, "%s: \"0x\" and hex digits expected", what);
	in->i = j;
	*out = (uint32_t)v;
	return 0;
}

static int grow(struct in *in, size_t bytes, size_t col)
{
	in->total += bytes;
	if (in->total > CK_KACS_SD_MAX)
		return CK__KACS_TXT(in->err, col, "the SD would pass 65535 bytes here, the most K20 allows");
	return 0;
}

static int parse_sid(struct in *in, struct ck_kacs_sid *sid)
{
	size_t used;
	int r = ck__kacs_sid_scan(in->s + in->i, in->n - in->i, in->i, sid, &used, in->err);
	if (r < 0)
		return r;
	in->i += used;
	return 0;
}

/* A field of an ACE: from in->i to the next ';' (or ')' for the last): its length. */
static size_t field_len(const struct in *in, char end)
{
	size_t j = in->i;
	while (j < in->n && in->s[j] != end && in->s[j] != ')' && in->s[j] != '(')
		j++;
	return j - in->i;
}

static int expect(struct in *in, char c, const char *where)
{
	if (in->i >= in->n || in->s[in->i] != c)
		return unexpected(in, in->i, where);
	in->i++;
	return 0;
}

/* Two-letter codes of table t back to back in [in->i, in->i + len): their OR. */
static int parse_codes(struct in *in, size_t len, const struct code *t, size_t count, const char *what, uint32_t *out)
{
	uint32_t v = 0;
	for (size_t k = 0; k < len; k++)
		if (!printable(in->s + in->i + k, 1))
			return unexpected(in, in->i + k, "where two-letter codes go");
	if (len % 2)
		return CK__KACS_TXT(in->err, in->i + len - 1, "%s: two-letter codes expected", what);
	for (size_t k = 0; k < len; k += 2) {
		const struct code *c = find_code(t, count, in->s + in->i + k, 2);
		if (!c)
			return CK__KACS_TXT(in->err, in->i + k, "'%.2s' is no %s", in->s + in->i + k, what);
		if (v & c->value)
			return CK__KACS_TXT(in->err, in->i + k, "'%.2s' given twice", in->s + in->i + k);
		v |= c->value;
	}
	in->i += len;
	*out = v;
	return 0;
}

static int parse_ace(struct in *in, bool sacl, struct ck_kacs_acl *acl)
{
	struct ck_kacs_ace a = { 0 };
	struct ck__kacs_ace_at at = { "column", 0, 0, 0 };
	size_t open = in->i, len;
	uint32_t v;
	int r;

	in->i++; /* ( */
	at.type = in->i;
	len = field_len(in, ';');
	const struct code *type = find_code(ace_types, CK_ARRAY_SIZE(ace_types), in->s + in->i, len);
	if (!type) {
		for (size_t k = 0; k < CK_ARRAY_SIZE(unkept_types); k++)
			if (len == 2 && memcmp(in->s + in->i, unkept_types[k], 2) == 0)
				return ck__kacs_fail(in->err, EOPNOTSUPP, "column", in->i,
						     "ACE type '%s' (object, callback, resource-attribute or scoped-policy) is not one this library keeps",
						     unkept_types[k]);
		if (!printable(in->s + in->i, len))
			return CK__KACS_TXT(in->err, in->i, "no ACE type (A D AU AL ML TL) here");
		return CK__KACS_TXT(in->err, in->i, "'%.*s' is no ACE type (A D AU AL ML TL)", (int)(len > 8 ? 8 : len),
				    in->s + in->i);
	}
	a.type = (uint8_t)type->value;
	in->i += len;
	if ((r = expect(in, ';', "after the ACE type (';' expected)")) < 0)
		return r;
	if ((r = parse_codes(in, field_len(in, ';'), ace_flags, CK_ARRAY_SIZE(ace_flags), "ACE flag (OI CI NP IO ID CR SA FA)",
			     &v)) < 0)
		return r;
	a.flags = (uint8_t)v;
	if ((r = expect(in, ';', "after the ACE flags (';' expected)")) < 0)
		return r;
	at.mask = in->i;
	len = field_len(in, ';');
	if (len == 0)
		return CK__KACS_TXT(in->err, in->i, "the ACE's rights are empty (0x0 for none)");
	if (in->s[in->i] == '0') {
		if ((r = parse_hex(in, UINT32_MAX, "rights", &a.mask)) < 0)
			return r;
		if (in->i != at.mask + len)
			return unexpected(in, in->i, "in the rights");
	} else if (a.type == CK_KACS_ACE_MANDATORY_LABEL) {
		if ((r = parse_codes(in, len, label_policy, CK_ARRAY_SIZE(label_policy), "label policy (NR NW NX, or 0x hex)",
				     &a.mask)) < 0)
			return r;
	} else if ((r = parse_codes(in, len, rights, CK_ARRAY_SIZE(rights), "right (GA GR GW GX RC SD WD WO, or 0x hex)",
				    &a.mask)) < 0) {
		return r;
	}
	if ((r = expect(in, ';', "after the rights (';' expected)")) < 0)
		return r;
	for (int g = 0; g < 2; g++) {
		len = field_len(in, ';');
		if (in->i + len < in->n && in->s[in->i + len] != ';')
			return CK__KACS_TXT(in->err, in->i + len, "an ACE has six fields: (type;flags;rights;;;sid)");
		if (len)
			return ck__kacs_fail(in->err, EOPNOTSUPP, "column", in->i,
					     "object ACEs (an object GUID) are not ones this library keeps");
		if ((r = expect(in, ';', "after an empty object GUID field (';' expected)")) < 0)
			return r;
	}
	at.sid = in->i;
	if ((r = parse_sid(in, &a.sid)) < 0)
		return r;
	if ((r = expect(in, ')', "after the ACE's SID (')' expected)")) < 0)
		return r;
	a.size = (uint16_t)(8 + ck_kacs_sid_size(&a.sid));
	if ((r = ck__kacs_ace_check(&a, sacl, acl->count, &at, in->err)) < 0)
		return r;
	if ((r = grow(in, a.size, open)) < 0)
		return r;
	if ((r = ck_kacs_acl_append(acl, a.type, a.flags, a.mask, &a.sid)) < 0)
		return r;
	return 0;
}

static int parse_acl_attrs(struct in *in, struct ck_kacs_acl *acl)
{
	bool seen[3] = { false };
	static const char *const keys[] = { "rev=", "sbz1=", "sbz2=" };
	int r;

	in->i++; /* { */
	for (;;) {
		size_t k = 0, start = in->i;
		while (k < 3 && strncmp(in->s + in->i, keys[k], strlen(keys[k])) != 0)
			k++;
		if (k == 3)
			return CK__KACS_TXT(in->err, start, "rev=, sbz1= or sbz2= expected in an ACL's {}");
		if (seen[k])
			return CK__KACS_TXT(in->err, start, "%.*s given twice", (int)strlen(keys[k]) - 1, keys[k]);
		seen[k] = true;
		in->i += strlen(keys[k]);
		if (k == 0) {
			char c = in->i < in->n ? in->s[in->i] : '\0';
			if (c != '2' && c != '4')
				return CK__KACS_TXT(in->err, in->i, "an ACL's revision is 2 or 4");
			acl->revision = (uint8_t)(c - '0');
			in->i++;
		} else {
			uint32_t v;
			if ((r = parse_hex(in, k == 1 ? 0xFF : 0xFFFF, keys[k], &v)) < 0)
				return r;
			if (k == 1)
				acl->sbz1 = (uint8_t)v;
			else
				acl->sbz2 = (uint16_t)v;
		}
		if (in->i < in->n && in->s[in->i] == ',') {
			in->i++;
			continue;
		}
		return expect(in, '}', "in an ACL's {} (',' or '}' expected)");
	}
}

static int parse_acl(struct in *in, bool sacl, struct ck_kacs_acl *acl, uint16_t *control)
{
	int r;
	acl->revision = 2;
	for (bool more = true; more && in->i < in->n;) {
		more = false;
		for (size_t k = 0; k < CK_ARRAY_SIZE(acl_flags); k++) {
			size_t l = strlen(acl_flags[k].name);
			uint16_t bit = sacl ? acl_flags[k].sacl : acl_flags[k].dacl;
			if (in->n - in->i >= l && memcmp(in->s + in->i, acl_flags[k].name, l) == 0 && !at_component(in, in->i)) {
				if (*control & bit)
					return CK__KACS_TXT(in->err, in->i, "'%s' given twice", acl_flags[k].name);
				*control |= bit;
				in->i += l;
				more = true;
				break;
			}
		}
	}
	if (in->i < in->n && in->s[in->i] == '{' && (r = parse_acl_attrs(in, acl)) < 0)
		return r;
	if ((r = grow(in, 8, in->i)) < 0)
		return r;
	while (in->i < in->n && in->s[in->i] == '(')
		if ((r = parse_ace(in, sacl, acl)) < 0)
			return r;
	if (in->i < in->n && !at_component(in, in->i))
		return unexpected(in, in->i, sacl ? "in the SACL (an ACE starts with '(')" : "in the DACL (an ACE starts with '(')");
	return 0;
}

static int parse_control(struct in *in, uint16_t *control, uint8_t *sbz1)
{
	int r;
	for (;;) {
		size_t start = in->i;
		uint32_t v;
		if (in->n - in->i >= 5 && memcmp(in->s + in->i, "Sbz1=", 5) == 0) {
			in->i += 5;
			if ((r = parse_hex(in, 0xFF, "Sbz1", &v)) < 0)
				return r;
			*sbz1 = (uint8_t)v;
			v = 0;
		} else if (in->i < in->n && in->s[in->i] == '0') {
			if ((r = parse_hex(in, 0xFFFF, "control bits", &v)) < 0)
				return r;
		} else {
			const struct code *c = in->n - in->i >= 2 ? find_code(control_names, CK_ARRAY_SIZE(control_names),
									     in->s + in->i, 2) : NULL;
			if (!c) {
				if (in->n - in->i >= 2 && (!memcmp(in->s + in->i, "DP", 2) || !memcmp(in->s + in->i, "SP", 2) ||
							   !memcmp(in->s + in->i, "SR", 2)))
					return CK__KACS_TXT(in->err, start, "'%.2s' is implied (D: and S: say what is present; "
							    "SR is always set)", in->s + in->i);
				return CK__KACS_TXT(in->err, start,
						    "control bit name (OD GD DD SD DT SS AR DI SI PD PS RM), 0x hex or Sbz1=0x.. expected");
			}
			v = c->value;
			in->i += 2;
		}
		if (v & SD_FIXED_BITS)
			return CK__KACS_TXT(in->err, start, "control bits 0x%04x are implied (D:, S:, SR)", v & SD_FIXED_BITS);
		*control |= (uint16_t)v;
		if (in->i < in->n && in->s[in->i] == '|') {
			in->i++;
			continue;
		}
		if (in->i < in->n && !at_component(in, in->i))
			return unexpected(in, in->i, "in C: ('|' or the end expected)");
		return 0;
	}
}

static int sddl_parse(struct in *in, struct ck_kacs_sd *sd)
{
	uint16_t control = CK_KACS_SE_SELF_RELATIVE;
	unsigned seen = 0;
	int r;

	in->total = 20;
	while (in->i < in->n) {
		if (!at_component(in, in->i))
			return unexpected(in, in->i, "where O:, G:, D:, S: or C: starts");
		char c = in->s[in->i];
		unsigned bit = 1u << (strchr("OGDSC", c) - "OGDSC");
		if (seen & bit)
			return CK__KACS_TXT(in->err, in->i, "a second %c: part", c);
		seen |= bit;
		in->i += 2;
		switch (c) {
		case 'O':
		case 'G': {
			struct ck_kacs_sid *sid = c == 'O' ? &sd->owner : &sd->group;
			size_t at = in->i;
			if ((r = parse_sid(in, sid)) < 0)
				return r;
			if (in->i < in->n && !at_component(in, in->i))
				return unexpected(in, in->i, c == 'O' ? "after the owner SID" : "after the group SID");
			if ((r = grow(in, ck_kacs_sid_size(sid), at)) < 0)
				return r;
			*(c == 'O' ? &sd->has_owner : &sd->has_group) = true;
			break;
		}
		case 'D':
			sd->dacl_present = true;
			control |= CK_KACS_SE_DACL_PRESENT;
			if ((r = parse_acl(in, false, &sd->dacl, &control)) < 0)
				return r;
			break;
		case 'S':
			sd->sacl_present = true;
			control |= CK_KACS_SE_SACL_PRESENT;
			if ((r = parse_acl(in, true, &sd->sacl, &control)) < 0)
				return r;
			break;
		default:
			if ((r = parse_control(in, &control, &sd->sbz1)) < 0)
				return r;
		}
	}
	sd->control = control;
	return 0;
}

int ck_kacs_sddl_parse(const char *text, struct ck_kacs_sd **out, struct ck_kacs_error *err)
{
	if (!text || !out)
		return -EINVAL;
	*out = NULL;
	struct ck_kacs_sd *sd = ck_kacs_sd_new();
	if (!sd)
		return -ENOMEM;
	struct in in = { .s = text, .n = strlen(text), .err = err };
	int r = sddl_parse(&in, sd);
	if (r == 0 && (r = ck_kacs_sd_validate(sd, NULL)) < 0)
		r = CK__KACS_TXT(err, 0, "the SD it gives is not valid (%d): a bug of this parser", r);
	if (r < 0) {
		ck_kacs_sd_free(sd);
		return r;
	}
	*out = sd;
	return 0;
}

/* ---- format ---- */

static void put_sid(char *buf, size_t len, size_t *pos, const struct ck_kacs_sid *sid)
{
	const char *alias = ck_kacs_sid_alias(sid);
	if (alias) {
		ck__buf_append(buf, len, pos, "%s", alias);
		return;
	}
	char text[200];
	ck_kacs_sid_format(sid, text, sizeof(text));
	ck__buf_append(buf, len, pos, "%s", text);
}

/* The codes of t that make up v exactly, or false. */
static bool put_codes(char *buf, size_t len, size_t *pos, uint32_t v, const struct code *t, size_t count)
{
	uint32_t all = 0;
	for (size_t k = 0; k < count; k++)
		all |= t[k].value;
	if (v & ~all)
		return false;
	for (size_t k = 0; k < count; k++)
		if (v & t[k].value)
			ck__buf_append(buf, len, pos, "%s", t[k].name);
	return true;
}

static void put_acl(char *buf, size_t len, size_t *pos, const struct ck_kacs_acl *acl, bool sacl, uint16_t control)
{
	for (size_t k = 0; k < CK_ARRAY_SIZE(acl_flags); k++)
		if (control & (sacl ? acl_flags[k].sacl : acl_flags[k].dacl))
			ck__buf_append(buf, len, pos, "%s", acl_flags[k].name);
	if (acl->revision != 2 || acl->sbz1 || acl->sbz2) {
		const char *sep = "{";
		if (acl->revision != 2) {
			ck__buf_append(buf, len, pos, "%srev=%u", sep, acl->revision);
			sep = ",";
		}
		if (acl->sbz1) {
			ck__buf_append(buf, len, pos, "%ssbz1=0x%x", sep, acl->sbz1);
			sep = ",";
		}
		if (acl->sbz2)
			ck__buf_append(buf, len, pos, "%ssbz2=0x%x", sep, acl->sbz2);
		ck__buf_append(buf, len, pos, "}");
	}
	for (unsigned i = 0; i < acl->count; i++) {
		const struct ck_kacs_ace *a = &acl->aces[i];
		const char *type = "";
		for (size_t k = 0; k < CK_ARRAY_SIZE(ace_types); k++)
			if (ace_types[k].value == a->type)
				type = ace_types[k].name;
		ck__buf_append(buf, len, pos, "(%s;", type);
		put_codes(buf, len, pos, a->flags, ace_flags, CK_ARRAY_SIZE(ace_flags));
		ck__buf_append(buf, len, pos, ";");
		bool named = a->mask != 0 &&
			     (a->type == CK_KACS_ACE_MANDATORY_LABEL
				      ? put_codes(buf, len, pos, a->mask, label_policy, CK_ARRAY_SIZE(label_policy))
				      : put_codes(buf, len, pos, a->mask, rights, CK_ARRAY_SIZE(rights)));
		if (!named)
			ck__buf_append(buf, len, pos, "0x%" PRIx32, a->mask);
		ck__buf_append(buf, len, pos, ";;;");
		put_sid(buf, len, pos, &a->sid);
		ck__buf_append(buf, len, pos, ")");
	}
}

int ck_kacs_sddl_format(const struct ck_kacs_sd *sd, char *buf, size_t len)
{
	size_t pos = 0;
	if (len)
		buf[0] = '\0';
	int r = ck_kacs_sd_validate(sd, NULL);
	if (r < 0)
		return r;
	if (sd->has_owner) {
		ck__buf_append(buf, len, &pos, "O:");
		put_sid(buf, len, &pos, &sd->owner);
	}
	if (sd->has_group) {
		ck__buf_append(buf, len, &pos, "G:");
		put_sid(buf, len, &pos, &sd->group);
	}
	/* the control bits the parts above do not say go to C: */
	uint16_t rest = (uint16_t)(sd->control & ~SD_FIXED_BITS);
	for (int s = 0; s < 2; s++) {
		bool sacl = s == 1;
		if (!(sacl ? sd->sacl_present : sd->dacl_present))
			continue;
		ck__buf_append(buf, len, &pos, sacl ? "S:" : "D:");
		put_acl(buf, len, &pos, sacl ? &sd->sacl : &sd->dacl, sacl, sd->control);
		for (size_t k = 0; k < CK_ARRAY_SIZE(acl_flags); k++)
			rest &= (uint16_t)~(sacl ? acl_flags[k].sacl : acl_flags[k].dacl);
	}
	if (rest || sd->sbz1) {
		const char *sep = "C:";
		for (size_t k = 0; k < CK_ARRAY_SIZE(control_names); k++)
			if (rest & control_names[k].value) {
				ck__buf_append(buf, len, &pos, "%s%s", sep, control_names[k].name);
				rest &= (uint16_t)~control_names[k].value;
				sep = "|";
			}
		if (rest) {
			ck__buf_append(buf, len, &pos, "%s0x%x", sep, rest);
			sep = "|";
		}
		if (sd->sbz1)
			ck__buf_append(buf, len, &pos, "%sSbz1=0x%x", sep, sd->sbz1);
	}
	return pos > INT32_MAX ? -EOVERFLOW : (int)pos;
}
