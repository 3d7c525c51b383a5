/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit kacs check: AccessCheck of a token against an SD, or the process two-check rule, explained. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <clonekit/kacs.h>

#include "cli.h"
#include "../lib/internal/util.h"

static const char CMD[] = "kacs check";

/* A token spec file (@FILE): at most the wire format's largest. */
#define TOKEN_FILE_MAX 65536u

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit kacs check --token PRESET|@FILE --sd SDDL --desired RIGHTS\n"
		"                           [--profile v0.20|v0.22] [--pip TYPE:TRUST]\n"
		"                           [--target-pip TYPE:TRUST] [--enable PRIV,...]\n"
		"                           [--intent backup|restore] [--object process|token] [--json]\n"
		"\n"
		"Asks whether a token gets RIGHTS on an object whose security descriptor is\n"
		"SDDL: AccessCheck of K20 10-access-check (peios/learn psd-004 v0.20), or, with\n"
		"--target-pip, the process two-check rule (the process SD, SeDebugPrivilege\n"
		"when enabled, then PIP dominance, which nothing waives). Prints 'granted\n"
		"0x...' with the rights' names and what granted each, or the errno and the\n"
		"sentence that says why not.\n"
		"\n"
		"Options:\n"
		"  --token PRESET|@FILE  system, admin, user or low (the design's presets), or\n"
		"                        a kacs_create_token v2 spec in FILE\n"
		"  --sd SDDL             the object's SD (see clonekit kacs sddl --help)\n"
		"  --desired RIGHTS      hex, or names joined by ',': TERMINATE, VM_WRITE,\n"
		"                        QUERY_LIMITED, READ_CONTROL, GA, MAXIMUM_ALLOWED...\n"
		"  --profile P           v0.20 (the default) or v0.22\n"
		"  --pip TYPE:TRUST      the caller's PIP (TYPE none, protected, isolated or a\n"
		"                        number); it meets the SD's trust label, and the target's\n"
		"  --target-pip TYPE:TRUST  the target process's PIP: the two-check rule\n"
		"  --enable PRIV,...     enable privileges the token holds (SeDebugPrivilege or\n"
		"                        Debug, ...) before the check\n"
		"  --intent I            backup or restore: SeBackup/SeRestorePrivilege count\n"
		"  --object KIND         process (the default) or token: the generic mapping\n"
		"  --json                one JSON line\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 granted; 1 refused (EACCES, EPERM, or EINVAL for an SD that\n"
		"AccessCheck cannot judge); 2 a usage error or an input that does not parse.\n");
}

/* "protected:8192", "512:8192", "none:0". */
static int parse_pip(const char *text, struct ck_kacs_psb *out)
{
	static const struct {
		const char *name;
		uint32_t type;
	} types[] = { { "none", CK_KACS_PIP_NONE }, { "protected", CK_KACS_PIP_PROTECTED },
		      { "isolated", CK_KACS_PIP_ISOLATED } };
	const char *colon = strchr(text, ':');
	uint64_t v;
	bool named = false;

	if (!colon)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == (size_t)(colon - text) &&
		    strncasecmp(types[i].name, text, (size_t)(colon - text)) == 0) {
			out->pip_type = types[i].type;
			named = true;
		}
	if (!named) {
		if (ck__parse_u64n(text, (size_t)(colon - text), 0, UINT32_MAX, &v))
			return -EINVAL;
		out->pip_type = (uint32_t)v;
	}
	if (ck__parse_u64n(colon + 1, strlen(colon + 1), 0, UINT32_MAX, &v))
		return -EINVAL;
	out->pip_trust = (uint32_t)v;
	return 0;
}

/* The token: a preset, or a v2 spec read from a file. 0 or CK_EXIT_USAGE said. */
static int load_token(const char *spec, enum ck_kacs_profile p, struct ck_kacs_token **out)
{
	if (spec[0] != '@') {
		if (ck_kacs_token_preset(spec, p, NULL, out) == 0)
			return 0;
		char names[128];
		size_t pos = 0;
		for (size_t i = 0; ck_kacs_token_preset_name(i); i++)
			pos += (size_t)snprintf(names + pos, sizeof(names) - pos, "%s%s", i ? ", " : "",
						ck_kacs_token_preset_name(i));
		return cli_usage_error(CMD, "--token '%s' is no preset (%s) nor @FILE", spec, names);
	}
	uint8_t *buf;
	size_t len;
	int rc = kacs_read_input(CMD, spec + 1, TOKEN_FILE_MAX, &buf, &len);
	if (rc)
		return rc;
	struct ck_kacs_error e = { .size = sizeof(e) };
	int r = ck_kacs_token_from_wire(buf, len, p, out, &e);
	free(buf);
	if (r) {
		fprintf(stderr, "clonekit %s: --token %s: %s: %s\n", CMD, spec, ck_errno_name(-r), e.message);
		return CK_EXIT_USAGE;
	}
	return 0;
}

/* --enable: every name a privilege the token holds; all or none (AdjustPrivileges). */
static int enable(struct ck_kacs_token *t, const char *list)
{
	struct ck_kacs_priv_entry e[CK_KACS_ADJUST_MAX];
	uint32_t n = 0;
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return cli_usage_error(CMD, "--enable: %s", strerror(ENOMEM));
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		unsigned luid;
		if (ck_kacs_privilege_parse(w, &luid)) {
			int rc = cli_usage_error(CMD, "--enable: '%s' is no privilege of the catalog", w);
			free(copy);
			return rc;
		}
		if (n == CK_KACS_ADJUST_MAX) {
			free(copy);
			return cli_usage_error(CMD, "--enable: more than %u privileges", CK_KACS_ADJUST_MAX);
		}
		e[n].luid = luid;
		e[n++].attributes = CK_KACS_PRIV_ENABLED;
	}
	free(copy);
	if (!n)
		return cli_usage_error(CMD, "--enable: no privilege named");
	struct ck_kacs_error err = { .size = sizeof(err) };
	int r = ck_kacs_token_adjust_privileges(t, e, n, NULL, &err);
	if (r)
		return cli_usage_error(CMD, "--enable: %s", err.message);
	return 0;
}

static const char *const why_names[] = {
	[CK_KACS_WHY_NONE] = "none",
	[CK_KACS_WHY_ALLOW_ACE] = "allow_ace",
	[CK_KACS_WHY_DENY_ACE] = "deny_ace",
	[CK_KACS_WHY_NULL_DACL] = "null_dacl",
	[CK_KACS_WHY_OWNER] = "owner",
	[CK_KACS_WHY_PRIVILEGE] = "privilege",
	[CK_KACS_WHY_INTEGRITY] = "integrity",
	[CK_KACS_WHY_TRUST_LABEL] = "trust_label",
	[CK_KACS_WHY_RESTRICTED] = "restricted",
	[CK_KACS_WHY_PIP] = "pip",
	[CK_KACS_WHY_IDENTIFICATION] = "identification",
	[CK_KACS_WHY_DEBUG] = "debug",
	[CK_KACS_WHY_SAME_PROCESS] = "same_process",
};

static void print_json(const struct ck_kacs_access_result *res, const struct ck_kacs_generic_mapping *kind,
		       bool two_check, const char *sentence)
{
	struct jw w;
	char names[512];
	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "check", two_check ? "two-check" : "access");
	jw_bool(&w, "granted", res->error == 0);
	if (res->error)
		jw_str(&w, "errno", ck_errno_name(-res->error));
	else
		jw_null(&w, "errno");
	jw_hex(&w, "desired", res->desired);
	jw_hex(&w, "mask", res->granted);
	ck_kacs_rights_format(res->granted, kind, names, sizeof(names));
	jw_str(&w, "rights", res->granted ? names : "");
	jw_arr_begin(&w, "privileges_used");
	for (unsigned l = 0; l < 64; l++)
		if (res->privileges_used & CK_KACS_PRIV(l))
			jw_str(&w, NULL, ck_kacs_privilege_name(l));
	jw_arr_end(&w);
	jw_arr_begin(&w, "bits");
	for (unsigned b = 0; b < 32; b++) {
		if (!((res->desired | res->granted) & (1u << b)))
			continue;
		char right[64];
		ck_kacs_rights_format(1u << b, kind, right, sizeof(right));
		jw_obj_begin(&w, NULL);
		jw_str(&w, "right", right);
		jw_bool(&w, "granted", (res->granted >> b) & 1);
		jw_str(&w, "why", res->bit[b].why < sizeof(why_names) / sizeof(why_names[0]) ? why_names[res->bit[b].why]
											      : "unknown");
		if (res->bit[b].acl) {
			char acl[2] = { (char)res->bit[b].acl, '\0' };
			jw_str(&w, "acl", acl);
			jw_uint(&w, "ace", res->bit[b].ace);
		}
		if (res->bit[b].privilege)
			jw_str(&w, "privilege", ck_kacs_privilege_name(res->bit[b].privilege));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_str(&w, "explain", sentence);
	jw_obj_end(&w);
	jw_end_line(&w);
}

struct opts {
	const char *token, *sd, *desired, *enable;
	enum ck_kacs_profile profile;
	struct ck_kacs_psb caller, target;
	bool two_check, json, token_object;
	unsigned intent;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "token", required_argument, NULL, 't' },   { "sd", required_argument, NULL, 's' },
		{ "desired", required_argument, NULL, 'd' }, { "profile", required_argument, NULL, 'p' },
		{ "pip", required_argument, NULL, 'P' },     { "target-pip", required_argument, NULL, 'T' },
		{ "enable", required_argument, NULL, 'e' },  { "intent", required_argument, NULL, 'i' },
		{ "object", required_argument, NULL, 'o' },  { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return -1;
		case 't':
			o->token = optarg;
			break;
		case 's':
			o->sd = optarg;
			break;
		case 'd':
			o->desired = optarg;
			break;
		case 'p':
			if (ck_kacs_profile_parse(optarg, &o->profile))
				return cli_usage_error(CMD, "--profile '%s': v0.20 or v0.22", optarg);
			break;
		case 'P':
			if (parse_pip(optarg, &o->caller))
				return cli_usage_error(CMD, "--pip '%s': TYPE:TRUST, TYPE none, protected, isolated or a number",
						       optarg);
			break;
		case 'T':
			if (parse_pip(optarg, &o->target))
				return cli_usage_error(CMD,
						       "--target-pip '%s': TYPE:TRUST, TYPE none, protected, isolated or a number",
						       optarg);
			o->two_check = true;
			break;
		case 'e':
			o->enable = optarg;
			break;
		case 'i':
			if (strcmp(optarg, "backup") == 0)
				o->intent = CK_KACS_INTENT_BACKUP;
			else if (strcmp(optarg, "restore") == 0)
				o->intent = CK_KACS_INTENT_RESTORE;
			else
				return cli_usage_error(CMD, "--intent '%s': backup or restore", optarg);
			break;
		case 'o':
			if (strcmp(optarg, "token") == 0)
				o->token_object = true;
			else if (strcmp(optarg, "process") != 0)
				return cli_usage_error(CMD, "--object '%s': process or token", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		default:
			return cli_option_error(CMD);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!o->token || !o->sd || !o->desired)
		return cli_usage_error(CMD, "--token, --sd and --desired are needed (missing %s)",
				       !o->token ? "--token" : !o->sd ? "--sd" : "--desired");
	if (o->two_check && o->token_object)
		return cli_usage_error(CMD, "--target-pip is the process two-check rule; --object token has none");
	if (o->two_check && o->intent)
		return cli_usage_error(CMD, "--intent is AccessCheck's; the two-check rule takes none");
	return 0;
}

int cmd_kacs_check(int argc, char **argv)
{
	struct opts o = { 0 };
	struct ck_kacs_token *tok = NULL;
	struct ck_kacs_sd *sd = NULL;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? CK_EXIT_OK : rc;

	const struct ck_kacs_generic_mapping *kind = o.token_object ? ck_kacs_token_mapping() : ck_kacs_process_mapping();
	struct ck_kacs_error e = { .size = sizeof(e) };
	uint32_t desired;
	if (ck_kacs_rights_parse(o.desired, kind, &desired, &e))
		return cli_usage_error(CMD, "--desired: %s", e.message);
	if (ck_kacs_sddl_parse(o.sd, &sd, &e))
		return cli_usage_error(CMD, "--sd: %s", e.message);
	if ((rc = load_token(o.token, o.profile, &tok)) != 0)
		goto out;
	if (o.enable && (rc = enable(tok, o.enable)) != 0)
		goto out;

	struct ck_kacs_access_result res = { .size = sizeof(res) };
	if (o.two_check) {
		ck_kacs_process_authorize(tok, &o.caller, sd, &o.target, desired, o.profile, 0, &res);
	} else {
		struct ck_kacs_access_request req = { .size = sizeof(req), .desired = desired, .map = kind,
						      .pip_type = o.caller.pip_type, .pip_trust = o.caller.pip_trust,
						      .intent = o.intent, .profile = o.profile };
		ck_kacs_access_check(tok, sd, &req, &res);
	}
	int n = ck_kacs_access_explain(&res, sd, kind, NULL, 0);
	char *sentence = malloc((size_t)n + 1);
	if (!sentence) {
		rc = cli_usage_error(CMD, "%s", strerror(ENOMEM));
		goto out;
	}
	ck_kacs_access_explain(&res, sd, kind, sentence, (size_t)n + 1);
	if (o.json)
		print_json(&res, kind, o.two_check, sentence);
	else if (res.error)
		printf("%s: %s\n", ck_errno_name(-res.error), sentence);
	else
		printf("%s\n", sentence);
	free(sentence);
	rc = res.error ? CK_EXIT_NO : CK_EXIT_OK;
out:
	ck_kacs_token_free(tok);
	ck_kacs_sd_free(sd);
	return rc;
}
