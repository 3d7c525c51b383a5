/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Access masks: the generic mappings of process and token objects, masks as
 * names and back, and the profile (spec version) names.
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal/util.h"
#include "kacs/internal.h"


/* K20 5-psb/3-process-sd.md "Generic mapping" */
static const struct ck_kacs_generic_mapping process_mapping = {
	.read = CK_KACS_PROCESS_QUERY_INFORMATION | CK_KACS_PROCESS_VM_READ | CK_KACS_READ_CONTROL,
	.write = CK_KACS_PROCESS_SET_INFORMATION | CK_KACS_PROCESS_VM_WRITE | CK_KACS_WRITE_DAC,
	.execute = CK_KACS_PROCESS_TERMINATE | CK_KACS_PROCESS_SUSPEND_RESUME | CK_KACS_PROCESS_QUERY_LIMITED,
	.all = CK_KACS_PROCESS_TERMINATE | CK_KACS_PROCESS_SIGNAL | CK_KACS_PROCESS_SUSPEND_RESUME |
	       CK_KACS_PROCESS_VM_READ | CK_KACS_PROCESS_VM_WRITE | CK_KACS_PROCESS_DUP_HANDLE |
	       CK_KACS_PROCESS_SET_INFORMATION | CK_KACS_PROCESS_QUERY_INFORMATION | CK_KACS_PROCESS_QUERY_LIMITED |
	       CK_KACS_READ_CONTROL | CK_KACS_WRITE_DAC | CK_KACS_WRITE_OWNER,
};

/* K20 4-tokens/8-access-rights.md "Generic mapping" */
static const struct ck_kacs_generic_mapping token_mapping = {
	.read = CK_KACS_TOKEN_QUERY | CK_KACS_READ_CONTROL,
	.write = CK_KACS_TOKEN_ADJUST_PRIVILEGES | CK_KACS_TOKEN_ADJUST_GROUPS | CK_KACS_TOKEN_ADJUST_DEFAULT |
		 CK_KACS_WRITE_DAC,
	.execute = CK_KACS_TOKEN_IMPERSONATE,
	.all = CK_KACS_TOKEN_ALL_ACCESS,
};

const struct ck_kacs_generic_mapping *ck_kacs_process_mapping(void)
{
	return &process_mapping;
}

const struct ck_kacs_generic_mapping *ck_kacs_token_mapping(void)
{
	return &token_mapping;
}

uint32_t ck_kacs_map_generic(uint32_t mask, const struct ck_kacs_generic_mapping *map)
{
	if (!map)
		map = &process_mapping;
	return ck__kacs_map_generic(mask, map);
}

struct right {
	uint32_t bit;
	const char *name;
};

/* K20 13-appendix-a/6-abi-reference.md §8, without the PROCESS_ prefix (the design's RIGHTS) */
static const struct right process_rights[] = {
	{ CK_KACS_PROCESS_TERMINATE, "TERMINATE" },
	{ CK_KACS_PROCESS_SIGNAL, "SIGNAL" },
	{ CK_KACS_PROCESS_VM_READ, "VM_READ" },
	{ CK_KACS_PROCESS_VM_WRITE, "VM_WRITE" },
	{ CK_KACS_PROCESS_DUP_HANDLE, "DUP_HANDLE" },
	{ CK_KACS_PROCESS_SET_INFORMATION, "SET_INFORMATION" },
	{ CK_KACS_PROCESS_QUERY_INFORMATION, "QUERY_INFORMATION" },
	{ CK_KACS_PROCESS_SUSPEND_RESUME, "SUSPEND_RESUME" },
	{ CK_KACS_PROCESS_QUERY_LIMITED, "QUERY_LIMITED" },
	{ 0, NULL },
};

/* K20 4-tokens/8-access-rights.md, without the TOKEN_ prefix */
static const struct right token_rights[] = {
	{ CK_KACS_TOKEN_ASSIGN_PRIMARY, "ASSIGN_PRIMARY" },
	{ CK_KACS_TOKEN_DUPLICATE, "DUPLICATE" },
	{ CK_KACS_TOKEN_IMPERSONATE, "IMPERSONATE" },
	{ CK_KACS_TOKEN_QUERY, "QUERY" },
	{ CK_KACS_TOKEN_QUERY_SOURCE, "QUERY_SOURCE" },
	{ CK_KACS_TOKEN_ADJUST_PRIVILEGES, "ADJUST_PRIVILEGES" },
	{ CK_KACS_TOKEN_ADJUST_GROUPS, "ADJUST_GROUPS" },
	{ CK_KACS_TOKEN_ADJUST_DEFAULT, "ADJUST_DEFAULT" },
	{ CK_KACS_TOKEN_ADJUST_SESSIONID, "ADJUST_SESSIONID" },
	{ 0, NULL },
};

/* K20 3-access-masks.md, in bit order; the generic ones by their SDDL letters */
static const struct right common_rights[] = {
	{ CK_KACS_DELETE, "DELETE" },
	{ CK_KACS_READ_CONTROL, "READ_CONTROL" },
	{ CK_KACS_WRITE_DAC, "WRITE_DAC" },
	{ CK_KACS_WRITE_OWNER, "WRITE_OWNER" },
	{ CK_KACS_SYNCHRONIZE, "SYNCHRONIZE" },
	{ CK_KACS_ACCESS_SYSTEM_SECURITY, "ACCESS_SYSTEM_SECURITY" },
	{ CK_KACS_GENERIC_ALL, "GA" },
	{ CK_KACS_GENERIC_EXECUTE, "GX" },
	{ CK_KACS_GENERIC_WRITE, "GW" },
	{ CK_KACS_GENERIC_READ, "GR" },
	{ CK_KACS_MAXIMUM_ALLOWED, "MAXIMUM_ALLOWED" },
	{ 0, NULL },
};

/* Other spellings parse takes: the long generic names and SDDL's two letters. */
static const struct right more_names[] = {
	{ CK_KACS_GENERIC_ALL, "GENERIC_ALL" },
	{ CK_KACS_GENERIC_EXECUTE, "GENERIC_EXECUTE" },
	{ CK_KACS_GENERIC_WRITE, "GENERIC_WRITE" },
	{ CK_KACS_GENERIC_READ, "GENERIC_READ" },
	{ CK_KACS_READ_CONTROL, "RC" },
	{ CK_KACS_DELETE, "SD" },
	{ CK_KACS_WRITE_DAC, "WD" },
	{ CK_KACS_WRITE_OWNER, "WO" },
	{ 0, NULL },
};

static const struct right *specific_rights(const struct ck_kacs_generic_mapping *kind)
{
	if (kind == &process_mapping)
		return process_rights;
	if (kind == &token_mapping)
		return token_rights;
	return NULL;
}

int ck_kacs_rights_format(uint32_t mask, const struct ck_kacs_generic_mapping *kind, char *buf, size_t len)
{
	const struct right *tables[] = { specific_rights(kind), common_rights };
	size_t pos = 0;
	uint32_t rest = mask;

	if (len)
		buf[0] = '\0';
	for (size_t t = 0; t < CK_ARRAY_SIZE(tables); t++)
		for (const struct right *r = tables[t]; r && r->name; r++)
			if (rest & r->bit) {
				ck__buf_append(buf, len, &pos, "%s%s", pos ? "," : "", r->name);
				rest &= ~r->bit;
			}
	if (rest || !mask)
		ck__buf_append(buf, len, &pos, "%s%#" PRIx32, pos ? "," : "", rest);
	return (int)pos;
}

static const struct right *find_name(const struct right *t, const char *s, size_t n)
{
	for (; t && t->name; t++)
		if (strlen(t->name) == n && ck__strn_ieq(t->name, s, n))
			return t;
	return NULL;
}

/* One element of a rights list: a name of kind (with or without its PROCESS_/TOKEN_ prefix) or a number. */
static int parse_right(const char *s, size_t n, size_t col, const struct ck_kacs_generic_mapping *kind, uint32_t *bit,
		       struct ck_kacs_error *err)
{
	const struct right *spec = specific_rights(kind), *r;
	const char *prefix = kind == &process_mapping ? "PROCESS_" : kind == &token_mapping ? "TOKEN_" : NULL;

	if (n == 0)
		return CK__KACS_TXT(err, col, "empty right in the list");
	if (s[0] >= '0' && s[0] <= '9') {
		uint64_t v;
		int e = ck__parse_u64n(s, n, 0, UINT32_MAX, &v);
		if (e == -ERANGE)
			return CK__KACS_TXT(err, col, "'%.*s' is larger than 32 bits", (int)n, s);
		if (e < 0)
			return CK__KACS_TXT(err, col, "'%.*s' is not a number (hex with 0x, or decimal)", (int)n, s);
		*bit = (uint32_t)v;
		return 0;
	}
	if ((r = find_name(spec, s, n)) || (r = find_name(common_rights, s, n)) || (r = find_name(more_names, s, n))) {
		*bit = r->bit;
		return 0;
	}
	size_t pl = prefix ? strlen(prefix) : 0;
	if (pl && n > pl && ck__strn_ieq(prefix, s, pl) && (r = find_name(spec, s + pl, n - pl))) {
		*bit = r->bit;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f) {
			char shown[16];
			return CK__KACS_TXT(err, col + i, "unexpected %s in a right's name", ck__kacs_shown(s[i], shown));
		}
	}
	return CK__KACS_TXT(err, col, "'%.*s' is no %s right (names, GA GR GW GX, RC SD WD WO, MAXIMUM_ALLOWED, or a number)",
			    (int)n, s, kind == &process_mapping ? "process" : kind == &token_mapping ? "token" : "standard");
}

int ck_kacs_rights_parse(const char *text, const struct ck_kacs_generic_mapping *kind, uint32_t *out,
			 struct ck_kacs_error *err)
{
	uint32_t mask = 0;
	size_t start = 0, i = 0;

	if (!text || !out)
		return -EINVAL;
	if (!*text)
		return CK__KACS_TXT(err, 0, "no rights given");
	for (;; i++) {
		if (text[i] != '\0' && text[i] != ',' && text[i] != '|')
			continue;
		uint32_t bit = 0;
		int r = parse_right(text + start, i - start, start, kind, &bit, err);
		if (r < 0)
			return r;
		mask |= bit;
		if (text[i] == '\0')
			break;
		start = i + 1;
	}
	*out = mask;
	return 0;
}

const char *ck_kacs_profile_name(enum ck_kacs_profile p)
{
	switch (p) {
	case CK_KACS_V0_20: return "v0.20";
	case CK_KACS_V0_22: return "v0.22";
	}
	return NULL;
}

int ck_kacs_profile_parse(const char *text, enum ck_kacs_profile *out)
{
	if (!text || !out)
		return -EINVAL;
	const char *v = text[0] == 'v' ? text + 1 : text;
	if (strcmp(v, "0.20") == 0)
		*out = CK_KACS_V0_20;
	else if (strcmp(v, "0.22") == 0)
		*out = CK_KACS_V0_22;
	else
		return -EINVAL;
	return 0;
}
