/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit sysno: the numbers of the process-creation syscalls, per architecture. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clonekit/abi.h>

#include "cli.h"

static const char CMD[] = "sysno";

static void usage(FILE *f)
{
	const struct ck_arch_info *native = ck_arch_native();

	fprintf(f,
		"Usage: clonekit sysno [--arch ARCH] [--json] NAME|NUMBER\n"
		"       clonekit sysno --all [--json] [NAME|NUMBER]\n"
		"\n"
		"Syscall numbers of clone, clone3, fork, vfork, unshare and setns.\n"
		"\n"
		"  NAME             print its number on ARCH\n"
		"  NUMBER           print which of the six calls it is on ARCH (decimal or 0x hex)\n"
		"  -a, --arch ARCH  the architecture (default: %s):\n"
		"                   ",
		native ? native->name : "none, this build's is not in the table");
	for (size_t i = 0; i < ck_arch_count(); i++)
		fprintf(f, "%s%s", i ? ", " : "", ck_arch_at(i)->name);
	fprintf(f,
		"\n"
		"                   or a common alias such as amd64, i686, arm64, armhf, riscv,\n"
		"                   s390, ppc64el or mips64 (case does not matter)\n"
		"      --all        every architecture, one line each: the number of NAME (- where\n"
		"                   absent, and for clone the raw argument order), or the call that\n"
		"                   NUMBER is; with neither, the whole table: AUDIT_ARCH, the six\n"
		"                   numbers and the clone argument order\n"
		"      --json       the same as one JSON document on one line:\n"
		"                     NAME    {\"arch\":\"aarch64\",\"call\":\"clone\",\"nr\":220}\n"
		"                             (nr is null where the call is absent)\n"
		"                     NUMBER  {\"arch\":\"x86_64\",\"nr\":435,\"call\":\"clone3\"}\n"
		"                             (call is null where the number is none of the six)\n"
		"                     --all NAME    {\"call\":\"clone\",\"arches\":[{\"arch\":...,\"nr\":...,\n"
		"                                   \"order\":...,\"args\":[...]},...]}\n"
		"                                   (order and args only for clone)\n"
		"                     --all NUMBER  {\"nr\":435,\"arches\":[{\"arch\":...,\"call\":...},...]}\n"
		"                     --all         {\"arches\":[{\"arch\":...,\"audit_arch\":\"0x...\",\n"
		"                                   \"audit_arch_name\":...,\"bits\":...,\"syscall_bit\":\"0x...\",\n"
		"                                   \"nr\":{\"clone\":...,...},\"clone_order\":...,\n"
		"                                   \"clone_args\":[...],\"note\":...},...]}\n"
		"  -h, --help       this text\n"
		"\n"
		"Exit status: 0 found; 1 the architecture has no such call, or the number is\n"
		"none of the six; 2 usage (an unknown name, architecture or option).\n");
}

static void list_arches(char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ck_arch_count() && pos < len; i++) {
		int n = snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "", ck_arch_at(i)->name);
		if (n < 0)
			break;
		pos += (size_t)n;
	}
}

static void list_calls(char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int i = 0; i < CK_NR__COUNT && pos < len; i++) {
		int n = snprintf(buf + pos, len - pos, "%s%s",
				 i == 0 ? "" : i == CK_NR__COUNT - 1 ? " or " : ", ",
				 ck_nr_name((enum ck_nr)i));
		if (n < 0)
			break;
		pos += (size_t)n;
	}
}

/* The operand: a call name, or a number when it starts with a digit. */
struct operand {
	bool present;
	bool is_number;
	enum ck_nr call;
	long number;
};

static int parse_operand(const char *s, struct operand *op)
{
	char buf[128];

	op->present = true;
	if (s[0] >= '0' && s[0] <= '9') {
		char *end;

		errno = 0;
		op->number = strtol(s, &end, 0);
		if (errno || *end)
			return cli_usage_error(CMD, "'%s' is not a syscall number", s);
		op->is_number = true;
		return 0;
	}
	if (ck_nr_parse(s, &op->call) < 0) {
		list_calls(buf, sizeof(buf));
		return cli_usage_error(CMD, "unknown syscall '%s'; choose from %s", s, buf);
	}
	return 0;
}

static const char *absent_hint(enum ck_nr call)
{
	switch (call) {
	case CK_NR_FORK:
		return " (use clone with SIGCHLD)";
	case CK_NR_VFORK:
		return " (use clone with CLONE_VM|CLONE_VFORK|SIGCHLD)";
	default:
		return "";
	}
}

static void json_clone_order(struct jw *w, const char *order_key, const char *args_key,
			     enum ck_clone_order order)
{
	const char *by_pos[CK_CLONE_ARG__COUNT] = { 0 };

	for (int a = 0; a < CK_CLONE_ARG__COUNT; a++)
		by_pos[ck_clone_arg_index(order, (enum ck_clone_arg)a)] =
			ck_clone_arg_name((enum ck_clone_arg)a);
	jw_str(w, order_key, ck_clone_order_name(order));
	jw_arr_begin(w, args_key);
	for (int p = 0; p < CK_CLONE_ARG__COUNT; p++)
		jw_str(w, NULL, by_pos[p]);
	jw_arr_end(w);
}

static void print_clone_args(enum ck_clone_order order)
{
	const char *by_pos[CK_CLONE_ARG__COUNT] = { 0 };

	for (int a = 0; a < CK_CLONE_ARG__COUNT; a++)
		by_pos[ck_clone_arg_index(order, (enum ck_clone_arg)a)] =
			ck_clone_arg_name((enum ck_clone_arg)a);
	for (int p = 0; p < CK_CLONE_ARG__COUNT; p++)
		printf("%s%s", p ? ", " : "", by_pos[p]);
}

static int one_name(const struct ck_arch_info *arch, enum ck_nr call, bool json)
{
	int nr = ck_sysno(arch->arch, call);

	if (json) {
		struct jw w;

		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "arch", arch->name);
		jw_str(&w, "call", ck_nr_name(call));
		if (nr >= 0)
			jw_int(&w, "nr", nr);
		else
			jw_null(&w, "nr");
		jw_obj_end(&w);
		jw_end_line(&w);
	} else if (nr >= 0) {
		printf("%d\n", nr);
	}
	if (nr < 0) {
		fprintf(stderr, "clonekit %s: %s has no %s syscall%s\n", CMD, arch->name,
			ck_nr_name(call), absent_hint(call));
		return CK_EXIT_NO;
	}
	return CK_EXIT_OK;
}

static int one_number(const struct ck_arch_info *arch, long number, bool json)
{
	enum ck_nr call;
	bool found = ck_sysno_lookup(arch->arch, number, &call) == 0;

	if (json) {
		struct jw w;

		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "arch", arch->name);
		jw_int(&w, "nr", number);
		jw_str(&w, "call", found ? ck_nr_name(call) : NULL);
		jw_obj_end(&w);
		jw_end_line(&w);
	} else if (found) {
		printf("%s\n", ck_nr_name(call));
	}
	if (!found) {
		char calls[128];
		enum ck_nr with_bit;

		list_calls(calls, sizeof(calls));
		fprintf(stderr, "clonekit %s: %ld is not %s on %s", CMD, number, calls, arch->name);
		/* A common slip on x32: the number from the x86_64 table without the bit. */
		if (arch->syscall_bit && !(number & (long)arch->syscall_bit) &&
		    ck_sysno_lookup(arch->arch, number | (long)arch->syscall_bit, &with_bit) == 0)
			fprintf(stderr, " (x32 numbers include %#x: %s is %ld)", arch->syscall_bit,
				ck_nr_name(with_bit), number | (long)arch->syscall_bit);
		fputc('\n', stderr);
		return CK_EXIT_NO;
	}
	return CK_EXIT_OK;
}

static int all_name(enum ck_nr call, bool json)
{
	struct jw w;

	if (json) {
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "call", ck_nr_name(call));
		jw_arr_begin(&w, "arches");
	}
	for (size_t i = 0; i < ck_arch_count(); i++) {
		const struct ck_arch_info *a = ck_arch_at(i);
		int nr = ck_sysno(a->arch, call);

		if (json) {
			jw_obj_begin(&w, NULL);
			jw_str(&w, "arch", a->name);
			if (nr >= 0)
				jw_int(&w, "nr", nr);
			else
				jw_null(&w, "nr");
			if (call == CK_NR_CLONE)
				json_clone_order(&w, "order", "args", a->clone_order);
			jw_obj_end(&w);
			continue;
		}
		char num[16] = "-";

		if (nr >= 0)
			snprintf(num, sizeof(num), "%d", nr);
		if (call == CK_NR_CLONE) {
			printf("%-10s %-11s %-17s ", a->name, num, ck_clone_order_name(a->clone_order));
			print_clone_args(a->clone_order);
			printf("\n");
		} else {
			printf("%-10s %s\n", a->name, num);
		}
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	return CK_EXIT_OK;
}

static int all_number(long number, bool json)
{
	struct jw w;
	bool any = false;

	if (json) {
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_int(&w, "nr", number);
		jw_arr_begin(&w, "arches");
	}
	for (size_t i = 0; i < ck_arch_count(); i++) {
		const struct ck_arch_info *a = ck_arch_at(i);
		enum ck_nr call;
		bool found = ck_sysno_lookup(a->arch, number, &call) == 0;

		any |= found;
		if (json) {
			jw_obj_begin(&w, NULL);
			jw_str(&w, "arch", a->name);
			jw_str(&w, "call", found ? ck_nr_name(call) : NULL);
			jw_obj_end(&w);
		} else {
			printf("%-10s %s\n", a->name, found ? ck_nr_name(call) : "-");
		}
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	if (!any) {
		char calls[128];

		list_calls(calls, sizeof(calls));
		fprintf(stderr, "clonekit %s: %ld is not %s on any architecture\n", CMD, number,
			calls);
		return CK_EXIT_NO;
	}
	return CK_EXIT_OK;
}

static int whole_table(bool json)
{
	struct jw w;

	if (json) {
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_arr_begin(&w, "arches");
	} else {
		printf("%-10s %-10s", "arch", "audit_arch");
		for (int n = 0; n < CK_NR__COUNT; n++)
			printf(" %-10s", ck_nr_name((enum ck_nr)n));
		printf(" clone order\n");
	}
	for (size_t i = 0; i < ck_arch_count(); i++) {
		const struct ck_arch_info *a = ck_arch_at(i);

		if (json) {
			jw_obj_begin(&w, NULL);
			jw_str(&w, "arch", a->name);
			jw_hex(&w, "audit_arch", a->audit_arch);
			jw_str(&w, "audit_arch_name", a->audit_arch_name);
			jw_uint(&w, "bits", a->bits);
			jw_hex(&w, "syscall_bit", a->syscall_bit);
			jw_obj_begin(&w, "nr");
			for (int n = 0; n < CK_NR__COUNT; n++) {
				int nr = ck_sysno(a->arch, (enum ck_nr)n);
				if (nr >= 0)
					jw_int(&w, ck_nr_name((enum ck_nr)n), nr);
				else
					jw_null(&w, ck_nr_name((enum ck_nr)n));
			}
			jw_obj_end(&w);
			json_clone_order(&w, "clone_order", "clone_args", a->clone_order);
			jw_str(&w, "note", a->note);
			jw_obj_end(&w);
			continue;
		}
		printf("%-10s 0x%08x", a->name, a->audit_arch);
		for (int n = 0; n < CK_NR__COUNT; n++) {
			int nr = ck_sysno(a->arch, (enum ck_nr)n);
			if (nr >= 0)
				printf(" %-10d", nr);
			else
				printf(" %-10s", "-");
		}
		printf(" %s\n", ck_clone_order_name(a->clone_order));
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	return CK_EXIT_OK;
}

int cmd_sysno(int argc, char **argv)
{
	enum { OPT_ALL = 0x100, OPT_JSON };
	static const struct option longopts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *arch_name = NULL;
	bool all = false, json = false;
	struct operand op = { 0 };
	const struct ck_arch_info *arch;
	int c, r;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "a:h", longopts)) != -1) {
		switch (c) {
		case 'a':
			arch_name = optarg;
			break;
		case OPT_ALL:
			all = true;
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
	if (argc - optind > 1)
		return cli_usage_error(CMD, "one NAME or NUMBER at a time, got '%s' and '%s'",
				       argv[optind], argv[optind + 1]);
	if (optind < argc) {
		r = parse_operand(argv[optind], &op);
		if (r)
			return r;
	}

	if (all) {
		if (arch_name)
			return cli_usage_error(CMD, "--arch and --all exclude each other");
		if (!op.present)
			return whole_table(json);
		return op.is_number ? all_number(op.number, json) : all_name(op.call, json);
	}
	if (!op.present)
		return cli_usage_error(CMD, "a syscall NAME or NUMBER is needed (or --all)");

	if (arch_name) {
		arch = ck_arch_by_name(arch_name);
		if (!arch) {
			char buf[256];

			list_arches(buf, sizeof(buf));
			return cli_usage_error(CMD, "unknown architecture '%s'; choose from %s",
					       arch_name, buf);
		}
	} else {
		arch = ck_arch_native();
		if (!arch)
			return cli_usage_error(CMD, "this build's architecture is not in the table; "
					       "name one with --arch");
	}
	return op.is_number ? one_number(arch, op.number, json) : one_name(arch, op.call, json);
}
