/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit check: would the kernel accept these flags, and if not, with which errno? */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: clonekit check [OPTIONS] FLAGS...\n"
	"       clonekit check [OPTIONS] -\n\n"
	"Predicts what the kernel answers to clone, clone3 or unshare with FLAGS,\n"
	"for the calling process on the running kernel unless told otherwise.\n"
	"FLAGS: CLONE_VM|CLONE_FS|SIGCHLD, vm,fs,newuser, 0x1200011 or 17.\n\n"
	"Exit 0 and print OK when the call would succeed; exit 1 and print the\n"
	"errno name first (\"EINVAL: CLONE_SIGHAND requires CLONE_VM\") when not.\n"
	"Further errors the kernel would find next follow as \"also EINVAL: ...\",\n"
	"then warnings about accepted but ignored arguments.\n\n"
	"With '-', reads lines \"SYSCALL FLAGS [EXIT_SIGNAL]\" from standard input\n"
	"(ending in LF or CRLF, of any length; blank lines are skipped) and prints\n"
	"one line per input line: OK, the errno and message, or \"invalid: line N:\n"
	"...\" for a line it cannot read, such as one holding a NUL byte or another\n"
	"control character than tab. Exit status: 2 if a line was invalid, else 1\n"
	"if a call would fail, else 0.\n\n"
	"Options:\n" CALL_OPTIONS_HELP
	"  --json               one JSON object per judged call\n"
	"  -h, --help           this text\n";

static void print_json(const struct ck_clone_request *req, const struct ck_context *ctx,
		       const struct ck_verdict *v)
{
	struct jw w;
	char text[512], kv[16];
	int err = ck_verdict_errno(v);

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "syscall", ck_syscall_name(req->syscall));
	jw_hex(&w, "flags", req->flags);
	ck_flags_format(req->flags, req->syscall, text, sizeof(text));
	jw_str(&w, "decoded", text);
	if (req->syscall == CK_SYSCALL_CLONE3)
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

/* Prints the verdict as check does; returns its exit code. */
static int report(const struct ck_clone_request *req, const struct ck_context *ctx,
		  const struct ck_verdict *v, bool json, bool one_line)
{
	int err = ck_verdict_errno(v);

	if (json) {
		print_json(req, ctx, v);
		return err ? CK_EXIT_NO : CK_EXIT_OK;
	}
	if (!err)
		printf("OK\n");
	for (size_t i = 0; i < ck_verdict_count(v); i++) {
		const struct ck_finding *fi = ck_verdict_at(v, i);
		if (one_line && i > 0)
			break;
		if (one_line && fi->severity != CK_SEVERITY_ERROR)
			break;
		if (i > 0 && fi->severity == CK_SEVERITY_ERROR)
			printf("also ");
		print_finding(stdout, fi);
	}
	return err ? CK_EXIT_NO : CK_EXIT_OK;
}

static int judge(const struct call_opts *o, int nwords, char **words, bool json, bool one_line)
{
	struct ck_clone_request req;
	struct ck_context ctx = { .size = sizeof(ctx) };
	int r = call_build(o, "check", nwords, words, &req, &ctx);
	if (r)
		return r;
	struct ck_verdict *v = ck_validate(&req, &ctx);
	if (!v) {
		fprintf(stderr, "clonekit check: %s\n", strerror(errno));
		return CK_EXIT_USAGE;
	}
	r = report(&req, &ctx, v, json, one_line);
	ck_verdict_free(v);
	return r;
}

static void print_invalid(unsigned long lineno, const char *why, bool json)
{
	struct jw w;

	if (!json) {
		printf("invalid: line %lu: %s\n", lineno, why);
		return;
	}
	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_uint(&w, "line", lineno);
	jw_str(&w, "invalid", why);
	jw_obj_end(&w);
	jw_end_line(&w);
}

/*
 * Ends a line read by getline at its "\n" or "\r\n" (the last line may have
 * neither). NULL when the line is usable, else why not: getline keeps a NUL
 * byte or a stray control character, which C strings would silently cut or
 * print raw.
 */
static const char *line_end(char *line, size_t len, char *why, size_t why_len)
{
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\0') {
			snprintf(why, why_len, "a NUL byte at byte %zu", i + 1);
			return why;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(why, why_len, "control character 0x%02x at byte %zu", c, i + 1);
			return why;
		}
	}
	return NULL;
}

int check_line_read(char *line, size_t len, struct check_line *out, char *why, size_t why_len)
{
	char *save = NULL, *words[3];
	int n = 0;
	const char *unusable = line_end(line, len, why, why_len);

	if (unusable)
		return -1;
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 3) {
			n = 4;
			break;
		}
		words[n++] = t;
	}
	if (n == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	const char *bad = NULL;
	if (n < 2 || n > 3)
		bad = "expected SYSCALL FLAGS [EXIT_SIGNAL]";
	else if (ck_syscall_parse(words[0], &out->sc) < 0)
		bad = "SYSCALL must be clone, clone3 or unshare";
	else if (n == 3 && out->sc == CK_SYSCALL_UNSHARE)
		bad = "unshare takes no exit signal";
	else if (n == 3 && ck_signal_parse(words[2], &out->exit_signal) < 0)
		bad = "EXIT_SIGNAL is not a signal name or a number 0-255";
	if (bad) {
		snprintf(why, why_len, "%s", bad);
		return -1;
	}
	struct ck_parse_error perr;
	if (ck_flags_parse(words[1], out->sc, &out->flags, &perr) < 0) {
		snprintf(why, why_len, "%s", perr.message);
		return -1;
	}
	out->flags_text = words[1];
	out->exit_signal_set = n == 3;
	return 1;
}

/* "SYSCALL FLAGS [EXIT_SIGNAL]" per line; one output line per input line. */
static int check_stdin(const struct call_opts *base, bool json)
{
	char *line = NULL, why[256];
	size_t cap = 0;
	ssize_t len;
	int worst = CK_EXIT_OK;
	unsigned long lineno = 0;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		struct call_opts o = *base;
		struct check_line cl;
		lineno++;
		int r = check_line_read(line, (size_t)len, &cl, why, sizeof(why));
		if (r == 0)
			continue;
		if (r < 0) {
			print_invalid(lineno, why, json);
			worst = CK_EXIT_USAGE;
			continue;
		}
		o.sc = cl.sc;
		if (cl.exit_signal_set) {
			o.exit_signal = cl.exit_signal;
			o.exit_signal_set = true;
		}
		struct ck_clone_request req;
		struct ck_context ctx = { .size = sizeof(ctx) };
		/* errors of call_build go to stderr; stdout keeps one line per input */
		r = call_build(&o, "check", 1, &cl.flags_text, &req, &ctx);
		if (r) {
			print_invalid(lineno, "see the message above", json);
			worst = CK_EXIT_USAGE;
			continue;
		}
		struct ck_verdict *v = ck_validate(&req, &ctx);
		if (!v) {
			free(line);
			fprintf(stderr, "clonekit check: %s\n", strerror(errno));
			return CK_EXIT_USAGE;
		}
		r = report(&req, &ctx, v, json, true);
		ck_verdict_free(v);
		if (r == CK_EXIT_NO && worst == CK_EXIT_OK)
			worst = CK_EXIT_NO;
		fflush(stdout);
	}
	free(line);
	return worst;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CALL_LONG_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct call_opts o;
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
			return cli_option_error("check");
		default:
			r = call_opts_apply(&o, "check", c, optarg);
			if (r) {
				call_opts_release(&o);
				return r;
			}
		}
	}
	if (optind < argc && strcmp(argv[optind], "-") == 0 && optind + 1 == argc)
		r = check_stdin(&o, json);
	else
		r = judge(&o, argc - optind, argv + optind, json, false);
	call_opts_release(&o);
	return r;
}
