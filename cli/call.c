/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The call that check and explain judge, built from their shared options. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void call_opts_init(struct call_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sc = CK_SYSCALL_CLONE;
	o->cgroup_fd = -1;
	o->args_size = CK_CLONE_ARGS_SIZE_VER2;
}

void call_opts_release(struct call_opts *o)
{
	if (o->cgroup_fd >= 0)
		close(o->cgroup_fd);
	o->cgroup_fd = -1;
}

int call_opts_apply(struct call_opts *o, const char *cmd, int opt, const char *arg)
{
	switch (opt) {
	case 0x100:
		if (ck_syscall_parse(arg, &o->sc) < 0)
			return cli_usage_error(cmd, "--syscall '%s': expected clone, clone3 or unshare", arg);
		return 0;
	case 0x101:
		if (ck_signal_parse(arg, &o->exit_signal) < 0)
			return cli_usage_error(cmd, "--exit-signal '%s': not a signal name or a number 0-255", arg);
		o->exit_signal_set = true;
		return 0;
	case 0x102:
		if (ck_kernel_version_parse(arg, &o->kernel) < 0)
			return cli_usage_error(cmd, "--kernel '%s': expected a version such as 5.10 or 6.18.2", arg);
		o->kernel_set = true;
		return 0;
	case 0x103: o->unprivileged = true; return 0;
	case 0x104: o->as_init = true; return 0;
	case 0x105: o->in_userns = true; return 0;
	case 0x106: o->chrooted = true; return 0;
	case 0x107:
		if (cli_parse_u64(arg, &o->stack) < 0)
			return cli_usage_error(cmd, "--stack '%s': not an address", arg);
		return 0;
	case 0x108:
		if (cli_parse_u64(arg, &o->stack_size) < 0)
			return cli_usage_error(cmd, "--stack-size '%s': not a size", arg);
		return 0;
	case 0x109:
		if (cli_parse_u64(arg, &o->args_size) < 0)
			return cli_usage_error(cmd, "--size '%s': not a size", arg);
		return 0;
	case 0x10a: {
		if (cli_parse_set_tid(arg, o->set_tid, CK_SET_TID_MAX, &o->set_tid_size) < 0)
			return cli_usage_error(cmd, "--set-tid '%s': expected up to %d PIDs separated by commas",
					       arg, CK_SET_TID_MAX);
		return 0;
	}
	case 0x10b:
		if (o->cgroup_fd >= 0)
			close(o->cgroup_fd);
		o->cgroup_fd = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (o->cgroup_fd < 0)
			return cli_usage_error(cmd, "--cgroup '%s': %s", arg, strerror(errno));
		return 0;
	}
	return cli_usage_error(cmd, "unknown option");
}

int call_build(const struct call_opts *o, const char *cmd, int nwords, char **words,
	       struct ck_clone_request *req, struct ck_context *ctx)
{
	struct ck_parse_error perr;
	size_t len = 1;
	uint64_t flags;

	if (nwords < 1)
		return cli_usage_error(cmd, "no FLAGS given (write 0 for none)");
	for (int i = 0; i < nwords; i++)
		len += strlen(words[i]) + 1;
	char *text = malloc(len);
	if (!text)
		return cli_usage_error(cmd, "out of memory");
	text[0] = '\0';
	for (int i = 0; i < nwords; i++) {
		if (i)
			strcat(text, "|");
		strcat(text, words[i]);
	}
	if (ck_flags_parse(text, o->sc, &flags, &perr) < 0) {
		int r = cli_usage_error(cmd, "%s (in '%s' for %s)", perr.message, text,
					ck_syscall_name(o->sc));
		free(text);
		return r;
	}
	free(text);

	if (o->sc == CK_SYSCALL_CLONE && o->exit_signal_set) {
		if ((flags & CK_CSIGNAL) && (flags & CK_CSIGNAL) != o->exit_signal)
			return cli_usage_error(cmd, "--exit-signal %u conflicts with exit signal %" PRIu64 " in FLAGS",
					       o->exit_signal, flags & CK_CSIGNAL);
		flags |= o->exit_signal;
	}
	if (o->sc == CK_SYSCALL_UNSHARE && o->exit_signal_set)
		return cli_usage_error(cmd, "--exit-signal: unshare has no exit signal");

	ck_clone_request_init(req, o->sc, flags);
	if (o->sc == CK_SYSCALL_CLONE3) {
		req->exit_signal = o->exit_signal;
		req->args_size = o->args_size;
		if (o->set_tid_size) {
			req->set_tid = (uint64_t)(uintptr_t)o->set_tid;
			req->set_tid_size = o->set_tid_size;
			req->set_tid_values = o->set_tid;
		}
		if (o->cgroup_fd >= 0)
			req->cgroup = (uint64_t)o->cgroup_fd;
	}
	req->stack = o->stack;
	req->stack_size = o->stack_size;

	int r = ck_context_current(ctx);
	if (r < 0) {
		fprintf(stderr, "clonekit %s: cannot read the calling process's context: %s\n", cmd,
			strerror(-r));
		return CK_EXIT_USAGE;
	}
	if (o->kernel_set)
		ctx->kernel = o->kernel;
	if (o->unprivileged)
		ctx->cap_effective = 0;
	if (o->as_init)
		ctx->is_init = true;
	if (o->in_userns && ctx->userns_level == 0)
		ctx->userns_level = 1;
	if (o->chrooted)
		ctx->chrooted = true;
	return 0;
}

void print_finding(FILE *f, const struct ck_finding *fi)
{
	if (fi->severity == CK_SEVERITY_ERROR)
		fprintf(f, "%s: %s\n", ck_errno_name(fi->err) ? ck_errno_name(fi->err) : "E?",
			fi->message);
	else
		fprintf(f, "%s: %s\n", ck_severity_name(fi->severity), fi->message);
}

void jw_findings(struct jw *w, const char *key, const struct ck_verdict *v)
{
	jw_arr_begin(w, key);
	for (size_t i = 0; i < ck_verdict_count(v); i++) {
		const struct ck_finding *fi = ck_verdict_at(v, i);
		jw_obj_begin(w, NULL);
		jw_str(w, "severity", ck_severity_name(fi->severity));
		if (fi->severity == CK_SEVERITY_ERROR)
			jw_str(w, "errno", ck_errno_name(fi->err));
		jw_str(w, "rule", fi->rule);
		jw_str(w, "message", fi->message);
		jw_str(w, "source", fi->source);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}
