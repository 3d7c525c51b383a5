/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit explain: the strace line, each flag with its purpose, Peios note and KACS note, the verdict. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <clonekit/kacs.h>

#include "cli.h"

static const char usage[] =
	"Usage: clonekit explain [OPTIONS] FLAGS...\n\n"
	"Decodes a flag set: first the call as strace prints it (without the\n"
	"pointer arguments, which depend on the call), then each flag with its\n"
	"value, group, purpose, Peios note and, for CLONE_THREAD, CLONE_PIDFD,\n"
	"CLONE_PARENT and CLONE_UNTRACED, what the KACS model does (clonekit kacs),\n"
	"then the kernel's verdict for the calling process (errors in the order the\n"
	"kernel finds them, warnings, notes). Exit 0 when the kernel would accept\n"
	"the call, 1 when not.\n\n"
	"Options:\n" CALL_OPTIONS_HELP
	"  --json               the same as one JSON object\n"
	"  -h, --help           this text\n";

/* The call as strace prints it on entry, pointer arguments left out. */
static void strace_line(const struct ck_clone_request *req, char *buf, size_t len)
{
	char flags[512], sig[24];
	ck_flags_format(req->flags, req->syscall, flags, sizeof(flags));
	switch (req->syscall) {
	case CK_SYSCALL_CLONE:
		if (req->stack)
			snprintf(buf, len, "clone(child_stack=%#" PRIx64 ", flags=%s)", req->stack, flags);
		else
			snprintf(buf, len, "clone(child_stack=NULL, flags=%s)", flags);
		break;
	case CK_SYSCALL_CLONE3: {
		char stack[32];
		if (req->stack)
			snprintf(stack, sizeof(stack), "%#" PRIx64, req->stack);
		else
			snprintf(stack, sizeof(stack), "NULL");
		if (req->exit_signal < 0x7fffffff)
			ck_signal_name((unsigned)req->exit_signal, sig, sizeof(sig));
		else
			snprintf(sig, sizeof(sig), "%" PRIu64, req->exit_signal);
		snprintf(buf, len, "clone3({flags=%s, exit_signal=%s, stack=%s, stack_size=%#" PRIx64 "}, %" PRIu64 ")",
			 flags, sig, stack, req->stack_size,
			 req->args_size);
		break;
	}
	default:
		snprintf(buf, len, "unshare(%s)", flags);
	}
}

static const char *syscalls_accepting(const struct ck_flag *f, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (int s = 0; s < CK_SYSCALL__COUNT; s++) {
		if (!(f->accepted_by & CK_SYSCALL_BIT(s)))
			continue;
		pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0, "%s%s", pos ? "," : "",
					ck_syscall_name((enum ck_syscall)s));
	}
	return buf;
}

static uint64_t flag_bits(const struct ck_clone_request *req)
{
	return req->syscall == CK_SYSCALL_CLONE ? req->flags & ~CK_CSIGNAL : req->flags;
}

static void print_text(const struct ck_clone_request *req, const struct ck_context *ctx,
		       const struct ck_verdict *v)
{
	char line[768], kv[16], sig[16], acc[32], note[1024];
	uint64_t bits = flag_bits(req), unknown = bits;
	int err = ck_verdict_errno(v);

	strace_line(req, line, sizeof(line));
	printf("%s\n\n", line);
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		char since[16];
		if (!(bits & f->value))
			continue;
		unknown &= ~f->value;
		printf("%-21s %#010" PRIx64 "  %-10s  since %-7s  (%s)\n", f->name, f->value,
		       ck_flag_group_name(f->group),
		       ck_kernel_version_format(f->since, since, sizeof(since)),
		       syscalls_accepting(f, acc, sizeof(acc)));
		printf("    %s\n", f->purpose);
		if (f->peios)
			printf("    Peios: %s\n", f->peios);
		if (ck_kacs_clone_note(f->value, note, sizeof(note)) >= 0)
			printf("    KACS: %s\n", note);
		if (f->history)
			printf("    History: %s\n", f->history);
	}
	if (unknown)
		printf("%#" PRIx64 "  bits no CLONE_* flag uses\n", unknown);
	if (req->syscall == CK_SYSCALL_CLONE || req->syscall == CK_SYSCALL_CLONE3) {
		uint64_t s = req->syscall == CK_SYSCALL_CLONE ? req->flags & CK_CSIGNAL : req->exit_signal;
		if (s)
			printf("%-21s exit signal: sent to the parent when the child exits\n",
			       s < 0x7fffffff ? ck_signal_name((unsigned)s, sig, sizeof(sig)) : "?");
		else
			printf("%-21s no exit signal\n", "0");
	}
	ck_kernel_version_format(ctx->kernel, kv, sizeof(kv));
	if (err)
		printf("\nverdict: %s on Linux %s: the kernel refuses this %s\n", ck_errno_name(err), kv,
		       ck_syscall_name(req->syscall));
	else
		printf("\nverdict: accepted by Linux %s\n", kv);
	for (size_t i = 0; i < ck_verdict_count(v); i++) {
		const struct ck_finding *fi = ck_verdict_at(v, i);
		printf("  ");
		print_finding(stdout, fi);
		printf("      (%s, rule %s)\n", fi->source, fi->rule);
	}
}

static void print_json(const struct ck_clone_request *req, const struct ck_context *ctx,
		       const struct ck_verdict *v)
{
	struct jw w;
	char line[768], kv[16], acc[32], note[1024];
	uint64_t bits = flag_bits(req), unknown = bits;
	int err = ck_verdict_errno(v);

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	strace_line(req, line, sizeof(line));
	jw_str(&w, "strace", line);
	jw_str(&w, "syscall", ck_syscall_name(req->syscall));
	jw_hex(&w, "value", req->flags);
	jw_arr_begin(&w, "flags");
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		char since[16];
		if (!(bits & f->value))
			continue;
		unknown &= ~f->value;
		jw_obj_begin(&w, NULL);
		jw_str(&w, "name", f->name);
		jw_hex(&w, "value", f->value);
		jw_str(&w, "group", ck_flag_group_name(f->group));
		jw_str(&w, "since", ck_kernel_version_format(f->since, since, sizeof(since)));
		jw_str(&w, "syscalls", syscalls_accepting(f, acc, sizeof(acc)));
		jw_str(&w, "purpose", f->purpose);
		jw_str(&w, "peios", f->peios);
		jw_str(&w, "kacs", ck_kacs_clone_note(f->value, note, sizeof(note)) >= 0 ? note : NULL);
		jw_str(&w, "history", f->history);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_hex(&w, "unknown_bits", unknown);
	if (req->syscall == CK_SYSCALL_CLONE)
		jw_uint(&w, "exit_signal", req->flags & CK_CSIGNAL);
	else if (req->syscall == CK_SYSCALL_CLONE3)
		jw_uint(&w, "exit_signal", req->exit_signal);
	jw_str(&w, "kernel", ck_kernel_version_format(ctx->kernel, kv, sizeof(kv)));
	jw_bool(&w, "accepted", err == 0);
	if (err)
		jw_str(&w, "errno", ck_errno_name(err));
	else
		jw_null(&w, "errno");
	jw_findings(&w, "findings", v);
	jw_obj_end(&w);
	jw_end_line(&w);
}

int cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		CALL_LONG_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct call_opts o;
	struct ck_clone_request req;
	struct ck_context ctx = { .size = sizeof(ctx) };
	bool json = false;
	int c, r;

	call_opts_init(&o);
	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			call_opts_release(&o);
			return CK_EXIT_OK;
		case 'j':
			json = true;
			break;
		case '?':
		case ':':
			call_opts_release(&o);
			return cli_option_error("explain");
		default:
			r = call_opts_apply(&o, "explain", c, optarg);
			if (r) {
				call_opts_release(&o);
				return r;
			}
		}
	}
	r = call_build(&o, "explain", argc - optind, argv + optind, &req, &ctx);
	if (r) {
		call_opts_release(&o);
		return r;
	}
	struct ck_verdict *v = ck_validate(&req, &ctx);
	if (!v) {
		fprintf(stderr, "clonekit explain: %s\n", strerror(errno));
		call_opts_release(&o);
		return CK_EXIT_USAGE;
	}
	if (json)
		print_json(&req, &ctx, v);
	else
		print_text(&req, &ctx, v);
	r = ck_verdict_errno(v) ? CK_EXIT_NO : CK_EXIT_OK;
	ck_verdict_free(v);
	call_opts_release(&o);
	return r;
}
