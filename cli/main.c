/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit: a thin front end over libclonekit; one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include <clonekit/common.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "flags", cmd_flags, "list every CLONE_* flag: value, group, syscalls, kernel, purpose" },
	{ "explain", cmd_explain, "decode a flag set as strace prints it, flag by flag, with the verdict" },
	{ "check", cmd_check, "predict whether the kernel accepts a flag set, and its errno if not" },
	{ "sysno", cmd_sysno, "syscall numbers of clone, clone3, fork, vfork, unshare, setns per arch" },
	{ "probe", cmd_probe, "which process-creation features work here, found by trying each" },
	{ "run", cmd_run, "start a command in new namespaces and exit with its status" },
	{ "audit", cmd_audit, "a hardening report on process creation; exit 1 when advice is unmet" },
	{ "seccomp", cmd_seccomp, "list the seccomp policies, export one as BPF, PFC or an OCI profile" },
	{ "trace", cmd_trace, "follow a command or process with ptrace, printing its creation calls as strace does" },
	{ "watch", cmd_watch, "every process-creation call on the host, through eBPF, with alerts" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: clonekit COMMAND [OPTIONS] [ARGS]\n\n"
		   "Linux process creation, complete and safe.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEvery command takes --help and --json. See clonekit(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CK_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("clonekit %s\n", CK_VERSION_STRING);
		return CK_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "clonekit: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return CK_EXIT_USAGE;
}
