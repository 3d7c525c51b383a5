/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit audit: a hardening report on process creation; exit 1 when a recommendation is unmet. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char CMD[] = "audit";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit audit [--json] [-v]\n"
		"\n"
		"Reports how this host is hardened around process creation, as this process\n"
		"sees it, and changes nothing. One line per check: its status, its title and\n"
		"what was found. ok meets the recommendation, warn does not, info is worth\n"
		"knowing and never counts as unmet, unknown could not be read. Under a warn\n"
		"(and an info that carries advice) follow why it matters for clone() and the\n"
		"setting to make. The last line counts the unmet recommendations.\n"
		"\n"
		"Checks (* the ones that can be unmet):\n");
	for (size_t i = 0; i < ck_audit_check_count(); i++) {
		const struct ck_audit_check *c = ck_audit_check_at(i);
		fprintf(f, "  %c %-38s %s\n", c->can_warn ? '*' : ' ', c->id, c->title);
	}
	fprintf(f,
		"\n"
		"Options:\n"
		"  --json         one JSON document on one line:\n"
		"                   {\"items\":[{\"id\":\"yama_ptrace_scope\",\"title\":...,\"value\":\"1\",\n"
		"                   \"status\":\"ok\",\"why\":...,\"recommendation\":null},...],\"unmet\":0}\n"
		"  -v, --verbose  why it matters, under every item\n"
		"  -h, --help     this text\n"
		"\n"
		"Exit status: 0 when every recommendation is met, 1 when one or more is unmet\n"
		"(a warn), 2 for a usage error or when the audit could not run.\n");
}

static void print_text(const struct ck_audit_report *r, bool verbose)
{
	size_t unmet = ck_audit_report_unmet(r), listed = 0;

	for (size_t i = 0; i < ck_audit_report_count(r); i++) {
		const struct ck_audit_item *it = ck_audit_report_at(r, i);

		printf("%-7s %-44s %s\n", ck_audit_status_name(it->status), it->title, it->value);
		if (verbose || it->recommendation)
			printf("        why: %s\n", it->why);
		if (it->recommendation)
			printf("        fix: %s\n", it->recommendation);
	}
	if (!unmet) {
		printf("every recommendation is met\n");
		return;
	}
	printf("%zu recommendation%s unmet:", unmet, unmet == 1 ? "" : "s");
	for (size_t i = 0; i < ck_audit_report_count(r); i++) {
		const struct ck_audit_item *it = ck_audit_report_at(r, i);
		if (it->status == CK_AUDIT_WARN)
			printf("%s %s", listed++ ? "," : "", it->id);
	}
	putchar('\n');
}

static void print_json(const struct ck_audit_report *r)
{
	struct jw w;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "items");
	for (size_t i = 0; i < ck_audit_report_count(r); i++) {
		const struct ck_audit_item *it = ck_audit_report_at(r, i);

		jw_obj_begin(&w, NULL);
		jw_str(&w, "id", it->id);
		jw_str(&w, "title", it->title);
		jw_str(&w, "value", it->value);
		jw_str(&w, "status", ck_audit_status_name(it->status));
		jw_str(&w, "why", it->why);
		jw_str(&w, "recommendation", it->recommendation);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_uint(&w, "unmet", ck_audit_report_unmet(r));
	jw_obj_end(&w);
	jw_end_line(&w);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_audit_report *r;
	bool json = false, verbose = false;
	int c, ret;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "hv", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			return cli_option_error(CMD);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

	ret = ck_audit(&r);
	if (ret < 0) {
		fprintf(stderr, "clonekit audit: %s\n", strerror(-ret));
		return CK_EXIT_USAGE;
	}
	if (json)
		print_json(r);
	else
		print_text(r, verbose);
	ret = ck_audit_report_unmet(r) ? CK_EXIT_NO : CK_EXIT_OK;
	ck_audit_report_free(r);
	return ret;
}
