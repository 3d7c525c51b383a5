/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit kacs token: a token (a preset, or a binary v2 spec as
 * kacs_create_token takes it) printed as a person reads it, or written as
 * a spec. Also the --token PRESET|@FILE loader the other kacs commands use.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/kacs.h>

#include "cli.h"
#include "../lib/internal/outfile.h"

static const char CMD[] = "kacs token";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit kacs token [--profile v0.20|v0.22] [--json] PRESET|@FILE\n"
		"       clonekit kacs token [--profile P] --wire -o FILE PRESET|@FILE\n"
		"\n"
		"A Peios token as a person reads it: the user, the groups with their\n"
		"attributes, the restricting SIDs, each privilege with its states (present,\n"
		"enabled, enabled by default, used), type and impersonation level, integrity\n"
		"level and mandatory policy, the ids and the logon session, owner and primary\n"
		"group, the default DACL and the token's own SD (K20 4-tokens/).\n"
		"\n"
		"  PRESET            system, admin, user or low:\n"
		"                      system  S-1-5-18 as K20's boot token (groups BA WD AU LOCAL,\n"
		"                              every privilege enabled, System), session 0\n"
		"                      user    S-1-5-21-1-2-3-1001, groups WD AU BU, SeChangeNotify\n"
		"                              and SeCreateSymbolicLink enabled, Medium, session 1000\n"
		"                      low     user at Low;  admin  user plus BA, at High\n"
		"                    each with mandatory policy NO_WRITE_UP and SYSTEM as creator,\n"
		"                    minted as a supervisor mints them (token_id 0x10000)\n"
		"  @FILE             a binary v2 token spec (@- reads standard input), as\n"
		"                    kacs_create_token takes it (K20\n"
		"                    13-appendix-a/6-abi-reference.md §5), validated as the kernel\n"
		"                    validates it, then minted as it would be for a SYSTEM caller\n"
		"                    (token_id 0x10000; no session table here, so session_id is not\n"
		"                    looked up)\n"
		"      --profile P   v0.20 (default) or v0.22 (any integrity number, token GUIDs,\n"
		"                    modified_id from 0)\n"
		"      --wire        write the token's v2 spec to -o FILE instead of printing it\n"
		"  -o, --output FILE where --wire writes (replaced whole; never a terminal)\n"
		"      --json        the same as one JSON document on one line\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit status: 0 printed (or written); 1 the spec is refused, with the errno\n"
		"name, the offset and the rule it breaks; 2 usage (an unknown preset, a file\n"
		"that cannot be read or is longer than 65536 bytes, an unknown option).\n");
}

/* ---- Loading --token PRESET|@FILE ---- */

int cli_kacs_token_load(const char *cmd, const char *arg, enum ck_kacs_profile p, struct ck_kacs_token **out,
			struct ck_kacs_error *err)
{
	static const struct ck_kacs_sid system = { .revision = 1, .sub_count = 1, .authority = { 0, 0, 0, 0, 0, 5 },
						   .sub = { 18 } };
	uint64_t next_id = CK_KACS_TOKEN_ID_FIRST;
	char names[64] = "";

	if (err)
		err->message[0] = '\0';
	if (arg[0] != '@') {
		int r = ck_kacs_token_preset(arg, p, &next_id, out);
		if (r == -EINVAL) {
			for (size_t i = 0; ck_kacs_token_preset_name(i); i++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
					 ck_kacs_token_preset_name(i));
			cli_usage_error(cmd, "unknown token preset '%s'; choose from %s, or @FILE for a v2 spec", arg, names);
		} else if (r < 0) {
			fprintf(stderr, "clonekit %s: preset %s: %s\n", cmd, arg, strerror(-r));
		}
		return r;
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	/* the reader says why it cannot (cli/kacs.c); a longer file than a spec may be is one of those */
	if (kacs_read_input(cmd, arg + 1, CK_KACS_TOKEN_SPEC_MAX, &buf, &len) != 0)
		return -EIO;
	struct ck_kacs_error e = { .size = sizeof(e) };
	int r = ck_kacs_token_create(NULL, buf, len, &system, p, &next_id, out, &e);
	free(buf);
	if (r < 0) {
		fprintf(stderr, "clonekit %s: %s: %s: %s\n", cmd, strcmp(arg, "@-") == 0 ? "standard input" : arg + 1,
			ck_errno_name(-r),
			e.message[0] ? e.message : strerror(-r));
		if (err)
			*err = e;
	}
	return r;
}

/* ---- Names ---- */

static const struct {
	uint32_t bits;
	const char *name;
} group_flags[] = {
	{ CK_KACS_GROUP_MANDATORY, "MANDATORY" },
	{ CK_KACS_GROUP_ENABLED_BY_DEFAULT, "ENABLED_BY_DEFAULT" },
	{ CK_KACS_GROUP_ENABLED, "ENABLED" },
	{ CK_KACS_GROUP_OWNER, "OWNER" },
	{ CK_KACS_GROUP_USE_FOR_DENY_ONLY, "USE_FOR_DENY_ONLY" },
	{ CK_KACS_GROUP_INTEGRITY, "INTEGRITY" },
	{ CK_KACS_GROUP_INTEGRITY_ENABLED, "INTEGRITY_ENABLED" },
	{ CK_KACS_GROUP_RESOURCE, "RESOURCE" },
	{ CK_KACS_GROUP_LOGON_ID, "LOGON_ID" },
};

/* "MANDATORY,ENABLED" and any bits without a name in hex; "none" for 0. */
static void attr_text(uint32_t a, char *buf, size_t len)
{
	size_t n = 0;
	uint32_t rest = a;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(group_flags) / sizeof(group_flags[0]); i++) {
		if ((a & group_flags[i].bits) == group_flags[i].bits) {
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", group_flags[i].name);
			rest &= ~group_flags[i].bits;
		}
	}
	if (rest)
		n += (size_t)snprintf(buf + n, len - n, "%s%#x", n ? "," : "", rest);
	if (!n)
		snprintf(buf, len, "none");
}

static const char *il_name(uint32_t rid)
{
	switch (rid) {
	case CK_KACS_IL_UNTRUSTED: return "Untrusted";
	case CK_KACS_IL_LOW: return "Low";
	case CK_KACS_IL_MEDIUM: return "Medium";
	case CK_KACS_IL_HIGH: return "High";
	case CK_KACS_IL_SYSTEM: return "System";
	}
	return NULL;
}

static const char *type_name(enum ck_kacs_token_type t)
{
	return t == CK_KACS_TOKEN_PRIMARY ? "Primary" : t == CK_KACS_TOKEN_IMPERSONATION ? "Impersonation" : "?";
}

static const char *level_name(enum ck_kacs_imp_level l)
{
	static const char *const names[] = { "Anonymous", "Identification", "Impersonation", "Delegation" };
	return (unsigned)l < 4 ? names[l] : "?";
}

static const char *elevation_name(uint32_t e)
{
	return e == 1 ? "Default" : e == 2 ? "Full" : e == 3 ? "Limited" : "?";
}

static void policy_text(uint32_t p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", p & CK_KACS_POLICY_NO_WRITE_UP ? "NO_WRITE_UP" : "",
		 (p & 3) == 3 ? "," : "", p & CK_KACS_POLICY_NEW_PROCESS_MIN ? "NEW_PROCESS_MIN" : "",
		 (p & 3) == 0 ? "none" : "");
}

/* The SID, and its alias (or "logon SID") in brackets. */
static void sid_text(const struct ck_kacs_sid *s, bool logon, char *buf, size_t len)
{
	char sid[200];
	const char *alias = ck_kacs_sid_alias(s);

	ck_kacs_sid_format(s, sid, sizeof(sid));
	if (logon)
		snprintf(buf, len, "%s (logon SID)", sid);
	else if (alias)
		snprintf(buf, len, "%s (%s)", sid, alias);
	else
		snprintf(buf, len, "%s", sid);
}

/* An SD as SDDL (malloc'd), or NULL. */
static char *sd_text(const struct ck_kacs_sd *sd)
{
	int n = ck_kacs_sddl_format(sd, NULL, 0);
	char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;

	if (text && ck_kacs_sddl_format(sd, text, (size_t)n + 1) != n) {
		free(text);
		return NULL;
	}
	return text;
}

/* The SID owner_index or primary_group_index names. */
static const struct ck_kacs_sid *indexed_sid(const struct ck_kacs_token *t, uint32_t i)
{
	return i == 0 ? &t->user : i <= t->group_count ? &t->groups[i - 1].sid : NULL;
}

static void time_text(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	if (!gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRId64 " ns", ns);
}

static void guid_text(const uint8_t g[16], char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[0], g[1], g[2],
		 g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static bool guid_set(const uint8_t g[16])
{
	for (int i = 0; i < 16; i++)
		if (g[i])
			return true;
	return false;
}

/* ---- Text ---- */

#define ROW "%-17s"

static void print_sid_attrs(const char *label, const struct ck_kacs_sid_attr *v, uint32_t n)
{
	char sid[240], attrs[200];

	if (!n)
		printf(ROW "none\n", label);
	for (uint32_t i = 0; i < n; i++) {
		sid_text(&v[i].sid, (v[i].attributes & CK_KACS_GROUP_LOGON_ID) == CK_KACS_GROUP_LOGON_ID, sid,
			 sizeof(sid));
		attr_text(v[i].attributes, attrs, sizeof(attrs));
		printf(ROW "%-36s %s\n", i ? "" : label, sid, attrs);
	}
}

static void print_text(const struct ck_kacs_token *t)
{
	char a[240], b[240];
	uint64_t all = t->privileges_present | t->privileges_enabled | t->privileges_enabled_by_default |
		       t->privileges_used;

	sid_text(&t->user, false, a, sizeof(a));
	printf(ROW "%s%s\n", "user", a, t->user_deny_only ? " (deny-only: matches deny ACEs only)" : "");
	print_sid_attrs("groups", t->groups, t->group_count);
	if (t->restricted)
		print_sid_attrs(t->write_restricted ? "restricted SIDs" : "restricted SIDs", t->restricted_sids,
				t->restricted_count);
	else
		printf(ROW "none (not a restricted token)\n", "restricted SIDs");
	if (t->write_restricted)
		printf(ROW "yes: the restricting SIDs are checked for write access only\n", "write-restricted");
	bool first = true;
	for (unsigned l = 0; l < 64; l++) {
		if (!(all & CK_KACS_PRIV(l)))
			continue;
		const char *name = ck_kacs_privilege_name(l);
		char unnamed[32];
		snprintf(unnamed, sizeof(unnamed), "privilege %u", l);
		snprintf(a, sizeof(a), "%s%s%s%s", t->privileges_present & CK_KACS_PRIV(l) ? "present" : "absent",
			 t->privileges_enabled & CK_KACS_PRIV(l) ? ", enabled" : ", disabled",
			 t->privileges_enabled_by_default & CK_KACS_PRIV(l) ? ", enabled by default" : "",
			 t->privileges_used & CK_KACS_PRIV(l) ? ", used" : "");
		printf(ROW "%-33s %s\n", first ? "privileges" : "", name ? name : unnamed, a);
		first = false;
	}
	if (first)
		printf(ROW "none\n", "privileges");
	printf(ROW "%s, impersonation level %s\n", "type", type_name(t->type), level_name(t->impersonation_level));
	policy_text(t->mandatory_policy, a, sizeof(a));
	const char *il = il_name(t->integrity_rid);
	printf(ROW "%s (S-1-16-%u), mandatory policy %s\n", "integrity", il ? il : "custom", t->integrity_rid, a);
	printf(ROW "%s\n", "elevation", elevation_name(t->elevation_type));
	printf(ROW "token %#" PRIx64 ", modified %#" PRIx64 ", logon session %" PRIu64 ", origin %" PRIu64 "\n", "ids",
	       t->token_id, t->modified_id, t->auth_id, t->origin);
	if (guid_set(t->token_guid)) {
		guid_text(t->token_guid, a, sizeof(a));
		printf(ROW "%s\n", "token GUID", a);
	}
	time_text(t->created_at, a, sizeof(a));
	if (t->expiration)
		time_text(t->expiration, b, sizeof(b));
	printf(ROW "%s, expires %s\n", "created", a, t->expiration ? b : "never");
	printf(ROW "%.8s (luid %" PRIu64 ")\n", "source", t->source_name, t->source_luid);
	printf(ROW "%u\n", "session id", t->interactive_session_id);
	for (int which = 0; which < 2; which++) {
		uint32_t i = which ? t->primary_group_index : t->owner_index;
		const struct ck_kacs_sid *s = indexed_sid(t, i);
		if (s)
			sid_text(s, false, a, sizeof(a));
		printf(ROW "%s (index %u%s)\n", which ? "primary group" : "owner", s ? a : "?", i, i ? "" : ", the user");
	}
	char *d = t->default_dacl_holder ? sd_text(t->default_dacl_holder) : NULL;
	printf(ROW "%s\n", "default DACL", d ? d : "none");
	free(d);
	char *sd = t->sd ? sd_text(t->sd) : NULL;
	printf(ROW "%s\n", "token SD", sd ? sd : "none");
	free(sd);
	/* the token SD's ACEs with the token rights they grant (K20 4-tokens/8-access-rights.md) */
	for (unsigned i = 0; t->sd && t->sd->dacl_present && i < t->sd->dacl.count; i++) {
		const struct ck_kacs_ace *ace = &t->sd->dacl.aces[i];
		char rights[400];
		if (ace->mask == CK_KACS_TOKEN_ALL_ACCESS)
			snprintf(rights, sizeof(rights), "TOKEN_ALL_ACCESS");
		else
			ck_kacs_rights_format(ace->mask, ck_kacs_token_mapping(), rights, sizeof(rights));
		sid_text(&ace->sid, false, a, sizeof(a));
		printf(ROW "  %-5s %-30s %s\n", "", ace->type == CK_KACS_ACE_ALLOW ? "allow" : ace->type == CK_KACS_ACE_DENY ? "deny" : "ace",
		       a, rights);
	}
	printf(ROW "uid %u, gid %u, supplementary", "projected", t->projected_uid, t->projected_gid);
	for (uint32_t i = 0; i < t->projected_supp_gid_count; i++)
		printf("%s%u", i ? "," : " ", t->projected_supp_gids[i]);
	printf("%s\n", t->projected_supp_gid_count ? "" : " none");
	printf(ROW "%#x\n", "audit policy", t->audit_policy);
}

/* ---- JSON ---- */

static void jw_sid(struct jw *w, const char *key, const struct ck_kacs_sid *s)
{
	char sid[200];
	ck_kacs_sid_format(s, sid, sizeof(sid));
	jw_str(w, key, sid);
}

static void jw_sid_attrs(struct jw *w, const char *key, const struct ck_kacs_sid_attr *v, uint32_t n)
{
	jw_arr_begin(w, key);
	for (uint32_t i = 0; i < n; i++) {
		jw_obj_begin(w, NULL);
		jw_sid(w, "sid", &v[i].sid);
		jw_str(w, "alias", ck_kacs_sid_alias(&v[i].sid));
		jw_hex(w, "attributes", v[i].attributes);
		jw_arr_begin(w, "flags");
		uint32_t rest = v[i].attributes;
		for (size_t k = 0; k < sizeof(group_flags) / sizeof(group_flags[0]); k++) {
			if ((v[i].attributes & group_flags[k].bits) == group_flags[k].bits) {
				jw_str(w, NULL, group_flags[k].name);
				rest &= ~group_flags[k].bits;
			}
		}
		jw_arr_end(w);
		if (rest)
			jw_hex(w, "unknown_bits", rest);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void jw_index(struct jw *w, const char *key, const struct ck_kacs_token *t, uint32_t i)
{
	const struct ck_kacs_sid *s = indexed_sid(t, i);
	jw_obj_begin(w, key);
	jw_uint(w, "index", i);
	if (s)
		jw_sid(w, "sid", s);
	else
		jw_null(w, "sid");
	jw_obj_end(w);
}

static void print_json(const struct ck_kacs_token *t)
{
	struct jw w;
	char buf[64];
	uint64_t all = t->privileges_present | t->privileges_enabled | t->privileges_enabled_by_default |
		       t->privileges_used;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_obj_begin(&w, "user");
	jw_sid(&w, "sid", &t->user);
	jw_str(&w, "alias", ck_kacs_sid_alias(&t->user));
	jw_bool(&w, "deny_only", t->user_deny_only);
	jw_obj_end(&w);
	jw_sid_attrs(&w, "groups", t->groups, t->group_count);
	jw_bool(&w, "restricted", t->restricted);
	jw_sid_attrs(&w, "restricted_sids", t->restricted_sids, t->restricted ? t->restricted_count : 0);
	jw_bool(&w, "write_restricted", t->write_restricted);
	jw_arr_begin(&w, "privileges");
	for (unsigned l = 0; l < 64; l++) {
		if (!(all & CK_KACS_PRIV(l)))
			continue;
		jw_obj_begin(&w, NULL);
		jw_str(&w, "name", ck_kacs_privilege_name(l));
		jw_uint(&w, "luid", l);
		jw_bool(&w, "present", t->privileges_present & CK_KACS_PRIV(l));
		jw_bool(&w, "enabled", t->privileges_enabled & CK_KACS_PRIV(l));
		jw_bool(&w, "enabled_by_default", t->privileges_enabled_by_default & CK_KACS_PRIV(l));
		jw_bool(&w, "used", t->privileges_used & CK_KACS_PRIV(l));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_begin(&w, "privilege_masks");
	jw_hex(&w, "present", t->privileges_present);
	jw_hex(&w, "enabled", t->privileges_enabled);
	jw_hex(&w, "enabled_by_default", t->privileges_enabled_by_default);
	jw_hex(&w, "used", t->privileges_used);
	jw_obj_end(&w);
	jw_str(&w, "type", type_name(t->type));
	jw_str(&w, "impersonation_level", level_name(t->impersonation_level));
	jw_obj_begin(&w, "integrity");
	jw_uint(&w, "rid", t->integrity_rid);
	jw_str(&w, "name", il_name(t->integrity_rid));
	snprintf(buf, sizeof(buf), "S-1-16-%u", t->integrity_rid);
	jw_str(&w, "sid", buf);
	jw_obj_end(&w);
	jw_obj_begin(&w, "mandatory_policy");
	jw_hex(&w, "value", t->mandatory_policy);
	jw_bool(&w, "no_write_up", t->mandatory_policy & CK_KACS_POLICY_NO_WRITE_UP);
	jw_bool(&w, "new_process_min", t->mandatory_policy & CK_KACS_POLICY_NEW_PROCESS_MIN);
	jw_obj_end(&w);
	jw_str(&w, "elevation_type", elevation_name(t->elevation_type));
	jw_hex(&w, "token_id", t->token_id);
	jw_hex(&w, "modified_id", t->modified_id);
	if (guid_set(t->token_guid)) {
		guid_text(t->token_guid, buf, sizeof(buf));
		jw_str(&w, "token_guid", buf);
	} else {
		jw_null(&w, "token_guid");
	}
	jw_uint(&w, "auth_id", t->auth_id);
	jw_uint(&w, "origin", t->origin);
	jw_int(&w, "created_at_ns", t->created_at);
	jw_int(&w, "expiration", t->expiration);
	jw_obj_begin(&w, "source");
	snprintf(buf, sizeof(buf), "%.8s", t->source_name);
	jw_str(&w, "name", buf);
	jw_uint(&w, "luid", t->source_luid);
	jw_obj_end(&w);
	jw_uint(&w, "interactive_session_id", t->interactive_session_id);
	jw_index(&w, "owner", t, t->owner_index);
	jw_index(&w, "primary_group", t, t->primary_group_index);
	char *d = t->default_dacl_holder ? sd_text(t->default_dacl_holder) : NULL;
	jw_str(&w, "default_dacl", d);
	free(d);
	char *sd = t->sd ? sd_text(t->sd) : NULL;
	jw_str(&w, "token_sd", sd);
	free(sd);
	jw_uint(&w, "projected_uid", t->projected_uid);
	jw_uint(&w, "projected_gid", t->projected_gid);
	jw_arr_begin(&w, "projected_supplementary_gids");
	for (uint32_t i = 0; i < t->projected_supp_gid_count; i++)
		jw_uint(&w, NULL, t->projected_supp_gids[i]);
	jw_arr_end(&w);
	jw_hex(&w, "audit_policy", t->audit_policy);
	jw_obj_end(&w);
	jw_end_line(&w);
}

/* --wire -o FILE: the spec, whole or not at all (lib/internal/outfile.h). */
static int write_wire(const struct ck_kacs_token *t, const char *path)
{
	struct ck__outfile o;
	uint8_t *b;
	size_t n;
	int r = ck_kacs_token_to_wire(t, &b, &n);

	if (r < 0) {
		fprintf(stderr, "clonekit %s: the token has no v2 spec: %s\n", CMD, strerror(-r));
		return CK_EXIT_NO;
	}
	r = ck__outfile_open(&o, path, 0644, 0);
	if (r == 0 && isatty(o.fd)) {
		ck__outfile_discard(&o);
		free(b);
		return cli_usage_error(CMD, "-o %s is a terminal: refusing to write a binary spec to it", path);
	}
	for (size_t off = 0; r == 0 && off < n;) {
		ssize_t w = write(o.fd, b + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			r = ck__outfile_abandon(&o, errno, "write");
		else
			off += (size_t)w;
	}
	if (r == 0)
		r = ck__outfile_commit(&o);
	free(b);
	if (r < 0) {
		fprintf(stderr, "clonekit %s: -o %s: %s\n", CMD, path, o.error);
		return CK_EXIT_USAGE;
	}
	return CK_EXIT_OK;
}

int cmd_kacs_token(int argc, char **argv)
{
	enum { OPT_PROFILE = 0x100, OPT_WIRE, OPT_JSON };
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "wire", no_argument, NULL, OPT_WIRE },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ck_kacs_profile profile = CK_KACS_V0_20;
	const char *output = NULL;
	bool wire = false, json = false;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:h", longopts)) != -1) {
		switch (c) {
		case OPT_PROFILE:
			if (ck_kacs_profile_parse(optarg, &profile) < 0)
				return cli_usage_error(CMD, "unknown profile '%s'; choose v0.20 or v0.22", optarg);
			break;
		case OPT_WIRE:
			wire = true;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		default:
			return cli_option_error(CMD);
		}
	}
	if (optind == argc)
		return cli_usage_error(CMD, "a PRESET or @FILE is needed");
	if (argc - optind > 1)
		return cli_usage_error(CMD, "one token at a time, got '%s' and '%s'", argv[optind], argv[optind + 1]);
	if (wire && !output)
		return cli_usage_error(CMD, "--wire writes to -o FILE");
	if (output && !wire)
		return cli_usage_error(CMD, "-o goes with --wire");
	if (wire && json)
		return cli_usage_error(CMD, "--wire and --json exclude each other");

	struct ck_kacs_token *t;
	struct ck_kacs_error err = { .size = sizeof(err) };
	int r = cli_kacs_token_load(CMD, argv[optind], profile, &t, &err);
	if (r < 0 && err.message[0] && json) {
		/* the refusal is the answer: one JSON line on stdout too */
		struct jw w;
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "input", argv[optind]);
		jw_str(&w, "error", ck_errno_name(-r));
		jw_uint(&w, "offset", err.offset);
		jw_str(&w, "message", err.message);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	if (r < 0)
		return err.message[0] || r == -ENOMEM ? CK_EXIT_NO : CK_EXIT_USAGE;
	int rc = CK_EXIT_OK;
	if (wire)
		rc = write_wire(t, output);
	else if (json)
		print_json(t);
	else
		print_text(t);
	ck_kacs_token_free(t);
	return rc;
}
