/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit probe: which process-creation features work here, found by trying each one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char CMD[] = "probe";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit probe [--json]\n"
		"\n"
		"Tries each process-creation feature on the running kernel, as this process,\n"
		"and prints one line per feature: its name, then yes, no (the kernel lacks it),\n"
		"denied (it has it, but refuses this caller) or unknown (it could not be\n"
		"tried), and for the last three the errno and why. Children made for the tries\n"
		"exit at once and are reaped; filters and namespaces live only in them.\n"
		"\n"
		"Features, and what is tried:\n");
	for (size_t i = 0; i < ck_probe_feature_count(); i++) {
		const struct ck_probe_feature *pf = ck_probe_feature_at(i);
		fprintf(f, "  %-28s %s\n", pf->title, pf->tries);
	}
	fprintf(f,
		"\n"
		"Options:\n"
		"  --json       one JSON document on one line:\n"
		"                 {\"features\":[{\"name\":\"clone3\",\"title\":\"clone3 syscall\",\n"
		"                 \"result\":\"yes\",\"errno\":\"EINVAL\",\"why\":null},...]}\n"
		"               (errno is what the try ended with, null for none)\n"
		"  -h, --help   this text\n"
		"\n"
		"Exit status: 0 when the probe ran (a no is an answer, not a failure);\n"
		"2 for a usage error or when the probe could not run.\n");
}

static const char *errno_text(int err, char *buf, size_t len)
{
	const char *name = ck_errno_name(err);

	if (name)
		return name;
	snprintf(buf, len, "errno %d", err);
	return buf;
}

static void print_text(const struct ck_probe *p)
{
	char num[32];

	for (size_t i = 0; i < ck_probe_feature_count(); i++) {
		const struct ck_probe_feature *pf = ck_probe_feature_at(i);
		const struct ck_probe_answer *a = ck_probe_answer_of(p, pf);
		const char *result = ck_probe_result_name(a->result);

		if (a->result == CK_PROBE_YES) {
			printf("%-29s %s\n", pf->title, result);
			continue;
		}
		printf("%-29s %-7s", pf->title, result);
		if (a->err)
			printf(" %s", errno_text(a->err, num, sizeof(num)));
		if (a->why[0])
			printf(" (%s)", a->why);
		putchar('\n');
	}
}

static void print_json(const struct ck_probe *p)
{
	struct jw w;
	char num[32];

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "features");
	for (size_t i = 0; i < ck_probe_feature_count(); i++) {
		const struct ck_probe_feature *pf = ck_probe_feature_at(i);
		const struct ck_probe_answer *a = ck_probe_answer_of(p, pf);

		jw_obj_begin(&w, NULL);
		jw_str(&w, "name", pf->name);
		jw_str(&w, "title", pf->title);
		jw_str(&w, "result", ck_probe_result_name(a->result));
		jw_str(&w, "errno", a->err ? errno_text(a->err, num, sizeof(num)) : NULL);
		jw_str(&w, "why", a->why[0] ? a->why : NULL);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_end_line(&w);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_probe p = { .size = sizeof(p) };
	bool json = false;
	int c, r;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		case 'j':
			json = true;
			break;
		default:
			return cli_option_error(CMD);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

	r = ck_probe(&p);
	if (r < 0) {
		fprintf(stderr, "clonekit probe: %s\n", strerror(-r));
		return CK_EXIT_USAGE;
	}
	if (json)
		print_json(&p);
	else
		print_text(&p);
	return CK_EXIT_OK;
}
