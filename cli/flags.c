/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit flags: the flag table. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: clonekit flags [OPTIONS]\n\n"
	"Lists every CLONE_* flag the kernel defines: value, group, which of\n"
	"clone, clone3 and unshare accept it, the first kernel with its meaning,\n"
	"and its purpose. -v adds the Peios note and the bit's history.\n\n"
	"Options:\n"
	"  --group G       only this group: sharing, namespace, tracking, structure,\n"
	"                  tracing, historical\n"
	"  --syscall S     only flags that clone, clone3 or unshare accepts\n"
	"  -v, --verbose   Peios notes and history\n"
	"  --json          one JSON object: {\"flags\":[{name, value, short_name, group,\n"
	"                  clone, clone3, unshare, since, unshare_since, purpose,\n"
	"                  peios, history}]}\n"
	"  -h, --help      this text\n";

static int parse_group(const char *s, int *g)
{
	for (int i = 0; i < CK_GROUP__COUNT; i++) {
		if (strcmp(s, ck_flag_group_name((enum ck_flag_group)i)) == 0) {
			*g = i;
			return 0;
		}
	}
	return -1;
}

int cmd_flags(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "syscall", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int group = -1, c;
	bool json = false, verbose = false, have_sc = false;
	enum ck_syscall sc = CK_SYSCALL_CLONE;
	struct jw w;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "hv", longopts)) != -1) {
		switch (c) {
		case 'g':
			if (parse_group(optarg, &group) < 0)
				return cli_usage_error("flags", "--group '%s': expected sharing, namespace, tracking, structure, tracing or historical",
						       optarg);
			break;
		case 's':
			if (ck_syscall_parse(optarg, &sc) < 0)
				return cli_usage_error("flags", "--syscall '%s': expected clone, clone3 or unshare",
						       optarg);
			have_sc = true;
			break;
		case 'v': verbose = true; break;
		case 'j': json = true; break;
		case 'h': fputs(usage, stdout); return CK_EXIT_OK;
		default: return cli_option_error("flags");
		}
	}
	if (optind < argc)
		return cli_usage_error("flags", "unexpected argument '%s'", argv[optind]);

	if (json) {
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_arr_begin(&w, "flags");
	} else {
		printf("%-21s %-10s  %-10s  %-5s %-6s %-7s  %-7s  %s\n", "FLAG", "VALUE", "GROUP",
		       "clone", "clone3", "unshare", "SINCE", "PURPOSE");
	}
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		char since[16], usince[16];
		if (group >= 0 && (int)f->group != group)
			continue;
		if (have_sc && !(f->accepted_by & CK_SYSCALL_BIT(sc)))
			continue;
		bool in_c = f->accepted_by & CK_SYSCALL_BIT(CK_SYSCALL_CLONE);
		bool in_c3 = f->accepted_by & CK_SYSCALL_BIT(CK_SYSCALL_CLONE3);
		bool in_u = f->accepted_by & CK_SYSCALL_BIT(CK_SYSCALL_UNSHARE);
		ck_kernel_version_format(f->since, since, sizeof(since));
		if (json) {
			jw_obj_begin(&w, NULL);
			jw_str(&w, "name", f->name);
			jw_hex(&w, "value", f->value);
			jw_str(&w, "short_name", f->short_name);
			jw_str(&w, "group", ck_flag_group_name(f->group));
			jw_bool(&w, "clone", in_c);
			jw_bool(&w, "clone3", in_c3);
			jw_bool(&w, "unshare", in_u);
			jw_str(&w, "since", since);
			if (f->unshare_since)
				jw_str(&w, "unshare_since",
				       ck_kernel_version_format(f->unshare_since, usince, sizeof(usince)));
			else
				jw_null(&w, "unshare_since");
			jw_str(&w, "purpose", f->purpose);
			jw_str(&w, "peios", f->peios);
			jw_str(&w, "history", f->history);
			jw_obj_end(&w);
			continue;
		}
		printf("%-21s 0x%08" PRIx64 "  %-10s  %-5s %-6s %-7s  %-7s  %s\n", f->name, f->value,
		       ck_flag_group_name(f->group), in_c ? "yes" : "-", in_c3 ? "yes" : "-",
		       in_u ? "yes" : "-", since, f->purpose);
		if (verbose && f->peios)
			printf("%-21s Peios: %s\n", "", f->peios);
		if (verbose && f->history)
			printf("%-21s History: %s\n", "", f->history);
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	return CK_EXIT_OK;
}
