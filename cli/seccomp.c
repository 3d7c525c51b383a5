/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit seccomp: list the named policies, export one as BPF, PFC or an OCI profile. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clonekit/seccomp.h>

#include "cli.h"
#include "../lib/internal/outfile.h"

static const char CMD[] = "seccomp";

static const char usage[] =
	"Usage: clonekit seccomp --list [--json]\n"
	"       clonekit seccomp --policy NAME --format bpf|pfc|oci [-o FILE]\n"
	"       clonekit seccomp --deny FLAGS [--errno E] [--action A] --format bpf|pfc|oci [-o FILE]\n\n"
	"Lists the named seccomp policies for process creation, or exports one, or a\n"
	"custom policy, compiled for every ABI this host can execute.\n\n"
	"Options:\n"
	"  --list             the named policies, their instruction counts per ABI\n"
	"                     and what each denies\n"
	"  --policy NAME      deny-namespaces, deny-userns or no-child-process\n"
	"  --deny FLAGS       a custom policy refusing clone and unshare with any of\n"
	"                     FLAGS (newuser,newnet or CLONE_NEWUSER|CLONE_NEWNET);\n"
	"                     namespace flags refuse setns too, clone3 gets ENOSYS\n"
	"  --errno E          what a refused call fails with: EPERM (default),\n"
	"                     EACCES ... or a number 1-4095\n"
	"  --action A         errno (default), kill (SIGSYS to the process),\n"
	"                     kill-thread (to the thread), trap (a SIGSYS the thread\n"
	"                     may handle), log (allowed and logged), trace (ptrace\n"
	"                     tracer told) or\n"
	"                     notify (the call waits for a seccomp listener's\n"
	"                     answer; this command makes none: an OCI runtime\n"
	"                     hands one to the agent at linux.seccomp.listenerPath,\n"
	"                     which you add to the oci export; loaded without one,\n"
	"                     as bwrap --seccomp loads it, the call fails with ENOSYS)\n"
	"  --format F         bpf: raw struct sock_filter[], as bwrap --seccomp FD reads;\n"
	"                     pfc: libseccomp's pseudo filter code;\n"
	"                     oci: a runtime-spec linux.seccomp object (crun, runc)\n"
	"  -o, --output FILE  write FILE instead of standard output (bpf needs it on a\n"
	"                     terminal): whole or not at all, through a temporary\n"
	"                     beside it; mode 0644, or the mode of the file of yours\n"
	"                     it replaces; written straight into a FIFO, a character\n"
	"                     device or /dev/stdout; never through a symlink another\n"
	"                     user left in a sticky directory (clonekit(1), FILES)\n"
	"  --json             with --list: one JSON document on one line:\n"
	"                       {\"policies\":[{\"name\":..., \"summary\":...,\n"
	"                       \"instructions\":{\"x86_64\":N,...}}]}\n"
	"  -h, --help         this text\n\n"
	"Exit status: 0 when written, 1 when the export failed, 2 for a usage error.\n";

enum format { FMT_NONE, FMT_BPF, FMT_PFC, FMT_OCI };

static const char *const format_names[] = {
	[FMT_BPF] = "bpf",
	[FMT_PFC] = "pfc",
	[FMT_OCI] = "oci",
};

static enum format parse_format(const char *s)
{
	for (size_t i = FMT_BPF; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcmp(s, format_names[i]) == 0)
			return (enum format)i;
	return FMT_NONE;
}

static const char *errno_text(int err, char *buf, size_t len)
{
	const char *name = ck_errno_name(err);

	snprintf(buf, len, "%s (%s)", name ? name : "errno", strerror(err));
	return buf;
}

static int list(bool json)
{
	enum ck_arch arches[4];
	size_t na = ck_seccomp_arches(arches, 4);
	struct jw w;
	char ebuf[128];

	if (json) {
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_arr_begin(&w, "policies");
	}
	for (size_t i = 0; ck_seccomp_policy_name_at(i); i++) {
		const char *name = ck_seccomp_policy_name_at(i);
		struct ck_seccomp_policy *p = ck_seccomp_policy_named(name);
		int counts[4];

		if (!p) {
			fprintf(stderr, "clonekit seccomp: %s: %s\n", name,
				errno_text(errno, ebuf, sizeof(ebuf)));
			if (json)
				jw_release(&w);
			return CK_EXIT_NO;
		}
		for (size_t a = 0; a < na; a++) {
			counts[a] = ck_seccomp_instruction_count(p, arches[a]);
			if (counts[a] < 0) {
				fprintf(stderr, "clonekit seccomp: compiling %s for %s: %s\n", name,
					ck_arch_at(arches[a])->name, errno_text(-counts[a], ebuf, sizeof(ebuf)));
				ck_seccomp_policy_free(p);
				if (json)
					jw_release(&w);
				return CK_EXIT_NO;
			}
		}
		if (json) {
			jw_obj_begin(&w, NULL);
			jw_str(&w, "name", name);
			jw_str(&w, "summary", ck_seccomp_policy_summary(p));
			jw_obj_begin(&w, "instructions");
			for (size_t a = 0; a < na; a++)
				jw_int(&w, ck_arch_at(arches[a])->name, counts[a]);
			jw_obj_end(&w);
			jw_obj_end(&w);
		} else {
			printf("%-18s instructions:", name);
			for (size_t a = 0; a < na; a++)
				printf("%s %s %d", a ? "," : "", ck_arch_at(arches[a])->name, counts[a]);
			printf("\n    %s\n", ck_seccomp_policy_summary(p));
		}
		ck_seccomp_policy_free(p);
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_end_line(&w);
	}
	return CK_EXIT_OK;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies a staged export to fd from its start. */
static int copy_out(int from, int fd)
{
	char chunk[65536];
	off_t off = 0;
	ssize_t n;
	int r;

	while ((n = pread(from, chunk, sizeof(chunk), off)) > 0) {
		r = write_all(fd, chunk, (size_t)n);
		if (r)
			return r;
		off += n;
	}
	return n < 0 ? -errno : 0;
}

/*
 * libseccomp writes PFC through a stdio stream whose write errors it drops,
 * so text formats are staged in memory and written here, where a full disk
 * or a closed pipe is seen.
 */
static int export_to(const struct ck_seccomp_policy *p, enum format fmt, int fd)
{
	void *buf;
	size_t len;
	int mem, r;

	if (fmt == FMT_BPF) {
		r = ck_seccomp_export_bpf(p, &buf, &len);
		if (r)
			return r;
		r = write_all(fd, buf, len);
		free(buf);
		return r;
	}
	mem = memfd_create("clonekit-seccomp", MFD_CLOEXEC);
	if (mem < 0)
		return -errno;
	r = fmt == FMT_PFC ? ck_seccomp_export_pfc(p, mem) : ck_seccomp_export_oci(p, mem);
	if (!r)
		r = copy_out(mem, fd);
	close(mem);
	return r;
}

/*
 * Writes path whole or not at all, through no symlink another user planted
 * and never over a device (lib/internal/outfile.h); *msg says what failed.
 */
static int export_file(const struct ck_seccomp_policy *p, enum format fmt, const char *path,
		       char *msg, size_t len)
{
	struct ck__outfile o;
	int r = ck__outfile_open(&o, path, 0644, 0);

	if (r < 0) {
		snprintf(msg, len, "%s", o.error);
		return r;
	}
	if (fmt == FMT_BPF && isatty(o.fd)) {
		ck__outfile_discard(&o);
		snprintf(msg, len, "a terminal: refusing to write binary BPF to it");
		return -ENOTTY;
	}
	r = export_to(p, fmt, o.fd);
	r = r < 0 ? ck__outfile_abandon(&o, -r, "export") : ck__outfile_commit(&o);
	if (r < 0)
		snprintf(msg, len, "%s", o.error);
	return r;
}

int cmd_seccomp(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "policy", required_argument, NULL, 'p' },
		{ "deny", required_argument, NULL, 'd' },
		{ "errno", required_argument, NULL, 'e' },
		{ "action", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL, *deny = NULL, *errno_arg = NULL, *output = NULL;
	bool do_list = false, json = false, action_set = false;
	enum ck_seccomp_action action = CK_SECCOMP_ERRNO;
	enum format fmt = FMT_NONE;
	struct ck_seccomp_policy *p;
	int c, err = EPERM, r;
	char ebuf[128], msg[1200];

	optind = 1;
	while ((c = cli_getopt(argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case 'l': do_list = true; break;
		case 'p': policy = optarg; break;
		case 'd': deny = optarg; break;
		case 'e':
			errno_arg = optarg;
			err = cli_parse_errno(optarg);
			if (!err)
				return cli_usage_error(CMD, "--errno '%s': expected an errno name such as EPERM or EACCES, or a number 1-4095",
						       optarg);
			break;
		case 'a':
			/* a deny list's action: every one but allow (which would deny nothing) */
			if (ck_seccomp_action_parse(optarg, &action) < 0 || action == CK_SECCOMP_ALLOW)
				return cli_usage_error(CMD, "--action '%s': expected errno, kill, kill-thread, trap, log, trace or notify",
						       optarg);
			action_set = true;
			break;
		case 'f':
			fmt = parse_format(optarg);
			if (fmt == FMT_NONE)
				return cli_usage_error(CMD, "--format '%s': expected bpf, pfc or oci", optarg);
			break;
		case 'o': output = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage, stdout); return CK_EXIT_OK;
		default: return cli_option_error(CMD);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

	if (do_list) {
		if (policy || deny || fmt != FMT_NONE || output || errno_arg || action_set)
			return cli_usage_error(CMD, "--list takes no other option than --json");
		return list(json);
	}
	if (json)
		return cli_usage_error(CMD, "--json goes with --list; the exports are their own formats");
	if (!policy && !deny)
		return cli_usage_error(CMD, "expected --list, --policy NAME or --deny FLAGS");
	if (policy && deny)
		return cli_usage_error(CMD, "--policy and --deny exclude each other");
	if (policy && (errno_arg || action_set))
		return cli_usage_error(CMD, "--errno and --action go with --deny; a named policy has its own");
	if (errno_arg && action != CK_SECCOMP_ERRNO && action != CK_SECCOMP_TRACE)
		return cli_usage_error(CMD, "--errno has no meaning with --action %s",
				       ck_seccomp_action_name(action));
	if (fmt == FMT_NONE)
		return cli_usage_error(CMD, "--format bpf, pfc or oci is required");
	if (fmt == FMT_BPF && !output && isatty(STDOUT_FILENO))
		return cli_usage_error(CMD, "refusing to write binary BPF to a terminal: give -o FILE or redirect standard output");

	if (policy) {
		p = ck_seccomp_policy_named(policy);
		if (!p && errno == ENOENT)
			return cli_usage_error(CMD, "--policy '%s': expected deny-namespaces, deny-userns or no-child-process",
					       policy);
	} else {
		struct ck_parse_error perr;
		uint64_t flags;

		if (ck_flags_parse(deny, CK_SYSCALL_UNSHARE, &flags, &perr) < 0)
			return cli_usage_error(CMD, "--deny '%s': %s", deny, perr.message);
		if (flags >> 32)
			return cli_usage_error(CMD, "--deny '%s': flags above bit 31 are clone3-only, and a filter cannot read clone3's flags (they are in memory)",
					       deny);
		p = ck_seccomp_policy_deny(flags, action, err);
		if (!p && errno == EINVAL)
			return cli_usage_error(CMD, "--deny '%s': no flag a filter can see in clone or unshare",
					       deny);
	}
	if (!p) {
		fprintf(stderr, "clonekit seccomp: %s\n", errno_text(errno, ebuf, sizeof(ebuf)));
		return CK_EXIT_NO;
	}

	if (output)
		r = export_file(p, fmt, output, msg, sizeof(msg));
	else
		r = export_to(p, fmt, STDOUT_FILENO);
	if (r) {
		if (output)
			fprintf(stderr, "clonekit seccomp: writing %s as %s: %s\n", output,
				format_names[fmt], msg);
		else
			fprintf(stderr, "clonekit seccomp: exporting %s as %s: %s\n",
				ck_seccomp_policy_name(p), format_names[fmt],
				errno_text(-r, ebuf, sizeof(ebuf)));
	}
	ck_seccomp_policy_free(p);
	return r ? CK_EXIT_NO : CK_EXIT_OK;
}
