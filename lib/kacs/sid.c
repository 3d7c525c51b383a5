/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIDs (K20 2-sids/1-format.md): the binary form (revision 1, 0..15
 * sub-authorities, a 6-byte big-endian authority, little-endian subs), the
 * text form S-1-{authority}-{sub}..., and the two-letter aliases of SDDL
 * for the well-known SIDs of K20 2-sids/2-well-known.md.
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal/util.h"
#include "kacs/internal.h"

#define SID_HEADER 8u
#define AUTHORITY_MAX ((UINT64_C(1) << 48) - 1)

#define SID(auth, n, ...) { .revision = 1, .sub_count = (n), .authority = { 0, 0, 0, 0, 0, (auth) }, .sub = { __VA_ARGS__ } }

/*
 * The aliases, as Windows' SDDL spells them, of the well-known SIDs that
 * K20 2-sids/2-well-known.md lists (and those K22 adds); UT for Untrusted
 * is the design's (Windows has none). Trust labels (S-1-19-type-trust) have
 * no alias.
 */
static const struct alias {
	char name[3];
	struct ck_kacs_sid sid;
} aliases[] = {
	{ "WD", SID(1, 1, 0) },         /* Everyone */
	{ "CO", SID(3, 1, 0) },         /* Creator Owner */
	{ "CG", SID(3, 1, 1) },         /* Creator Group */
	{ "OW", SID(3, 1, 4) },         /* Owner Rights */
	{ "NU", SID(5, 1, 2) },         /* Network */
	{ "IU", SID(5, 1, 4) },         /* Interactive */
	{ "SU", SID(5, 1, 6) },         /* Service */
	{ "AN", SID(5, 1, 7) },         /* Anonymous */
	{ "ED", SID(5, 1, 9) },         /* Enterprise Domain Controllers (K22) */
	{ "PS", SID(5, 1, 10) },        /* Principal Self */
	{ "AU", SID(5, 1, 11) },        /* Authenticated Users */
	{ "RC", SID(5, 1, 12) },        /* Restricted Code (K22) */
	{ "SY", SID(5, 1, 18) },        /* Local System */
	{ "LS", SID(5, 1, 19) },        /* Local Service */
	{ "NS", SID(5, 1, 20) },        /* Network Service */
	{ "BA", SID(5, 2, 32, 544) },   /* BUILTIN\Administrators */
	{ "BU", SID(5, 2, 32, 545) },   /* BUILTIN\Users */
	{ "BG", SID(5, 2, 32, 546) },   /* BUILTIN\Guests */
	{ "AO", SID(5, 2, 32, 548) },   /* BUILTIN\Account Operators (K22) */
	{ "SO", SID(5, 2, 32, 549) },   /* BUILTIN\Server Operators (K22) */
	{ "PO", SID(5, 2, 32, 550) },   /* BUILTIN\Print Operators (K22) */
	{ "BO", SID(5, 2, 32, 551) },   /* BUILTIN\Backup Operators */
	{ "RE", SID(5, 2, 32, 552) },   /* BUILTIN\Replicators (K22) */
	{ "AC", SID(15, 2, 2, 1) },     /* ALL_APPLICATION_PACKAGES */
	{ "UT", SID(16, 1, CK_KACS_IL_UNTRUSTED) },
	{ "LW", SID(16, 1, CK_KACS_IL_LOW) },
	{ "ME", SID(16, 1, CK_KACS_IL_MEDIUM) },
	{ "HI", SID(16, 1, CK_KACS_IL_HIGH) },
	{ "SI", SID(16, 1, CK_KACS_IL_SYSTEM) },
};

bool ck__kacs_sid_valid(const struct ck_kacs_sid *sid)
{
	return sid && sid->revision == 1 && sid->sub_count <= CK_KACS_SID_MAX_SUB;
}

bool ck_kacs_sid_equal(const struct ck_kacs_sid *a, const struct ck_kacs_sid *b)
{
	/* K20 1-format.md "Comparison": byte-for-byte equality of the binary forms */
	return a->revision == b->revision && a->sub_count == b->sub_count &&
	       memcmp(a->authority, b->authority, sizeof(a->authority)) == 0 &&
	       (a->sub_count > CK_KACS_SID_MAX_SUB ||
		memcmp(a->sub, b->sub, a->sub_count * sizeof(a->sub[0])) == 0);
}

const char *ck_kacs_sid_alias(const struct ck_kacs_sid *sid)
{
	if (!ck__kacs_sid_valid(sid) || sid->sub_count == 0)
		return NULL;
	for (size_t i = 0; i < CK_ARRAY_SIZE(aliases); i++)
		if (ck_kacs_sid_equal(sid, &aliases[i].sid))
			return aliases[i].name;
	return NULL;
}

const struct ck_kacs_sid *ck__kacs_alias_sid(const char *s)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(aliases); i++)
		if (s[0] == aliases[i].name[0] && s[1] == aliases[i].name[1])
			return &aliases[i].sid;
	return NULL;
}

int ck_kacs_sid_make(struct ck_kacs_sid *out, uint64_t authority, size_t n, const uint32_t *subs)
{
	if (!out || n > CK_KACS_SID_MAX_SUB || authority > AUTHORITY_MAX || (n && !subs))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->revision = 1;
	out->sub_count = (uint8_t)n;
	for (int i = 5; i >= 0; i--, authority >>= 8)
		out->authority[i] = (uint8_t)authority;
	if (n)
		memcpy(out->sub, subs, n * sizeof(subs[0]));
	return 0;
}

static uint64_t authority_value(const struct ck_kacs_sid *sid)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | sid->authority[i];
	return v;
}

int ck_kacs_sid_format(const struct ck_kacs_sid *sid, char *buf, size_t len)
{
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	if (!ck__kacs_sid_valid(sid))
		return -EINVAL;
	uint64_t auth = authority_value(sid);
	/* K20 1-format.md "String format": decimal when the upper 2 bytes are zero, else 0x and 12 hex digits */
	if (auth >> 32)
		ck__buf_append(buf, len, &pos, "S-1-0x%012" PRIx64, auth);
	else
		ck__buf_append(buf, len, &pos, "S-1-%" PRIu64, auth);
	for (unsigned i = 0; i < sid->sub_count; i++)
		ck__buf_append(buf, len, &pos, "-%" PRIu32, sid->sub[i]);
	return pos > INT32_MAX ? -EOVERFLOW : (int)pos;
}

size_t ck_kacs_sid_size(const struct ck_kacs_sid *sid)
{
	return SID_HEADER + 4u * (sid->sub_count > CK_KACS_SID_MAX_SUB ? CK_KACS_SID_MAX_SUB : sid->sub_count);
}

size_t ck__kacs_sid_put(const struct ck_kacs_sid *sid, uint8_t *p)
{
	p[0] = sid->revision;
	p[1] = sid->sub_count;
	memcpy(p + 2, sid->authority, 6);
	for (unsigned i = 0; i < sid->sub_count; i++)
		ck__put32(p + SID_HEADER + 4 * i, sid->sub[i]);
	return SID_HEADER + 4u * sid->sub_count;
}

ssize_t ck_kacs_sid_write(const struct ck_kacs_sid *sid, void *buf, size_t len)
{
	if (!ck__kacs_sid_valid(sid) || (!buf && len))
		return -EINVAL;
	if (len < ck_kacs_sid_size(sid))
		return -ENOSPC;
	return (ssize_t)ck__kacs_sid_put(sid, buf);
}

ssize_t ck__kacs_sid_read_at(const uint8_t *buf, size_t len, size_t base, const char *what,
			     struct ck_kacs_sid *out, struct ck_kacs_error *err)
{
	if (len < SID_HEADER)
		return CK__KACS_BIN(err, base, "%s SID needs 8 bytes, %zu left", what, len);
	/* K20 1-format.md "Binary format": Revision MUST be 1, SubAuthorityCount MUST be 0..15 */
	if (buf[0] != 1)
		return CK__KACS_BIN(err, base, "%s SID revision %u, must be 1", what, buf[0]);
	if (buf[1] > CK_KACS_SID_MAX_SUB)
		return CK__KACS_BIN(err, base + 1, "%s SID SubAuthorityCount %u, at most 15", what, buf[1]);
	size_t size = SID_HEADER + 4u * buf[1];
	if (len < size)
		return CK__KACS_BIN(err, base, "%s SID of %u sub-authorities needs %zu bytes, %zu left", what, buf[1],
				    size, len);
	out->revision = 1;
	out->sub_count = buf[1];
	memcpy(out->authority, buf + 2, 6);
	for (unsigned i = 0; i < buf[1]; i++)
		out->sub[i] = ck__le32(buf + SID_HEADER + 4 * i);
	return (ssize_t)size;
}

ssize_t ck_kacs_sid_read(const void *buf, size_t len, struct ck_kacs_sid *out, struct ck_kacs_error *err)
{
	if (!buf || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ssize_t r = ck__kacs_sid_read_at(buf, len, 0, "the", out, err);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* A decimal part at s[*i..n) of at most max: strict (no sign, no leading zero, not empty). */
static int scan_decimal(const char *s, size_t n, size_t *i, size_t col0, uint64_t max, const char *what,
			uint64_t *out, struct ck_kacs_error *err)
{
	size_t start = *i, j = start;
	uint64_t v = 0;

	while (j < n && is_digit(s[j])) {
		unsigned d = (unsigned)(s[j] - '0');
		if (v > (max - d) / 10) {
			while (j < n && is_digit(s[j]))
				j++;
			return CK__KACS_TXT(err, col0 + start, "%s '%.*s' is larger than %" PRIu64, what,
					    (int)(j - start), s + start, max);
		}
		v = v * 10 + d;
		j++;
	}
	if (j == start)
		return CK__KACS_TXT(err, col0 + start, "%s is empty (a decimal number was expected)", what);
	if (s[start] == '0' && j - start > 1)
		return CK__KACS_TXT(err, col0 + start, "%s '%.*s' has a leading zero", what, (int)(j - start),
				    s + start);
	*i = j;
	*out = v;
	return 0;
}

/*
 * "0x" and exactly 12 lowercase hex digits, as K20 1-format.md writes an
 * authority of 2^32 or more (lowercase also keeps the upper-case component
 * letters of SDDL, as in "O:S-1-0x...D:", apart from the number).
 */
static int scan_hex_authority(const char *s, size_t n, size_t *i, size_t col0, uint64_t *out,
			      struct ck_kacs_error *err)
{
	size_t start = *i, j = start + 2;
	uint64_t v = 0;

	while (j < n && is_lower_hex(s[j])) {
		if (j - start - 2 == 12)
			return CK__KACS_TXT(err, col0 + start, "hex authority has more than 12 digits");
		v = v << 4 | (uint64_t)(is_digit(s[j]) ? s[j] - '0' : s[j] - 'a' + 10);
		j++;
	}
	if (j - start - 2 != 12) {
		if (j < n && s[j] >= 'A' && s[j] <= 'F')
			return CK__KACS_TXT(err, col0 + j, "the hex digits of an authority are written lowercase");
		return CK__KACS_TXT(err, col0 + start, "hex authority needs 12 digits after 0x, has %zu",
				    j - start - 2);
	}
	if (!(v >> 32))
		return CK__KACS_TXT(err, col0 + start, "authority %" PRIu64 " is below 2^32: written in decimal", v);
	*i = j;
	*out = v;
	return 0;
}

int ck__kacs_sid_scan(const char *s, size_t n, size_t col0, struct ck_kacs_sid *out, size_t *used,
		      struct ck_kacs_error *err)
{
	uint64_t v;
	size_t i = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (n >= 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && !(s[0] == 'S' && s[1] == '-')) {
		const struct ck_kacs_sid *a = ck__kacs_alias_sid(s);
		if (!a)
			return CK__KACS_TXT(err, col0, "'%.2s' is no SID alias (SY BA BU WD AU AN OW ... or S-1-...)", s);
		*out = *a;
		*used = 2;
		return 0;
	}
	if (n < 2 || s[0] != 'S' || s[1] != '-')
		return CK__KACS_TXT(err, col0, "a SID starts with 'S-' or is a two-letter alias");
	i = 2;
	if ((r = scan_decimal(s, n, &i, col0, UINT32_MAX, "SID revision", &v, err)) < 0)
		return r;
	if (v != 1)
		return CK__KACS_TXT(err, col0 + 2, "SID revision %" PRIu64 ", must be 1", v);
	if (i >= n || s[i] != '-')
		return CK__KACS_TXT(err, col0 + i, "'-' and the authority expected after the revision");
	i++;
	if (n - i >= 2 && s[i] == '0' && s[i + 1] == 'x')
		r = scan_hex_authority(s, n, &i, col0, &v, err);
	else
		r = scan_decimal(s, n, &i, col0, UINT32_MAX, "SID authority", &v, err);
	if (r < 0)
		return r;
	out->revision = 1;
	for (int b = 5; b >= 0; b--, v >>= 8)
		out->authority[b] = (uint8_t)v;
	while (i < n && s[i] == '-') {
		size_t at = i + 1;
		if (out->sub_count == CK_KACS_SID_MAX_SUB)
			return CK__KACS_TXT(err, col0 + at, "more than 15 sub-authorities");
		i = at;
		if ((r = scan_decimal(s, n, &i, col0, UINT32_MAX, "sub-authority", &v, err)) < 0)
			return r;
		out->sub[out->sub_count++] = (uint32_t)v;
	}
	*used = i;
	return 0;
}

int ck_kacs_sid_parse(const char *text, struct ck_kacs_sid *out, struct ck_kacs_error *err)
{
	struct ck_kacs_sid sid;
	size_t used, n;
	int r;

	if (!text || !out)
		return -EINVAL;
	n = strlen(text);
	if ((r = ck__kacs_sid_scan(text, n, 0, &sid, &used, err)) < 0)
		return r;
	if (used != n) {
		char shown[16];
		return CK__KACS_TXT(err, used, "unexpected %s after the SID", ck__kacs_shown(text[used], shown));
	}
	*out = sid;
	return 0;
}
