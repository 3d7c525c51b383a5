/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit: a thin front end over libclonekit; one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include <clonekit/common.h>

#include "cli.h"

static int help(int argc, char **argv);

static const struct cli_command commands[] = {
	{ "flags", cmd_flags, "list every CLONE_* flag: value, group, syscalls, kernel, purpose" },
	{ "explain", cmd_explain, "decode a flag set as strace prints it, flag by flag, with the verdict" },
	{ "check", cmd_check, "predict whether the kernel accepts a flag set, and its errno if not" },
	{ "sysno", cmd_sysno, "syscall numbers of clone, clone3, fork, vfork, unshare, setns per arch" },
	{ "probe", cmd_probe, "which process-creation features work here, found by trying each" },
	{ "run", cmd_run, "start a command in new namespaces and exit with its status" },
	{ "bwrap", cmd_bwrap, "bubblewrap 0.8's command line: a sandbox with bwrap's options (clonekit bwrap --help)" },
	{ "audit", cmd_audit, "a hardening report on process creation; exit 1 when advice is unmet" },
	{ "seccomp", cmd_seccomp, "list the seccomp policies, export one as BPF, PFC or an OCI profile" },
	{ "trace", cmd_trace, "follow a command or process with ptrace, printing its creation calls as strace does" },
	{ "watch", cmd_watch, "every process-creation call on the host, through eBPF, with alerts" },
	{ "kacs", cmd_kacs, "the Peios security model: security descriptors and SDDL (clonekit kacs --help)" },
	{ "help", help, "this text, or with a COMMAND, that command's --help" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: clonekit COMMAND [OPTIONS] [ARGS]\n\n"
		   "Linux process creation, complete and safe.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'clonekit help COMMAND' or 'clonekit COMMAND --help' lists its options;\n"
		   "every command but help takes --json. See clonekit(1).\n");
}

/* The command named name; NULL after saying so, with the nearest name, as cmd. */
static int (*find_command(const char *cmd, const char *name))(int, char **)
{
	const struct cli_command *c = cli_find_command(cmd, "command", commands, NCOMMANDS, name);
	return c ? c->run : NULL;
}

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* clonekit help [COMMAND]: the usage, or COMMAND's own --help. */
static int help(int argc, char **argv)
{
	static char help_opt[] = "--help";
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", help_only)) != -1) {
		if (c != 'h')
			return cli_option_error("help");
		usage(stdout);
		return CK_EXIT_OK;
	}
	if (optind == argc) {
		usage(stdout);
		return CK_EXIT_OK;
	}
	if (argc - optind > 1)
		return cli_usage_error("help", "one COMMAND at a time, got '%s' and '%s'", argv[optind],
				       argv[optind + 1]);
	int (*run)(int, char **) = find_command("help", argv[optind]);
	if (!run)
		return CK_EXIT_USAGE;
	char *args[] = { argv[optind], help_opt, NULL };
	return run(2, args);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* called as "bwrap" (a symlink): bubblewrap's command line, bwrap's exit statuses */
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	if (argc > 0 && strcmp(base ? base + 1 : argv[0], "bwrap") == 0)
		return bwrap_main(argv[0], argc - 1, argv + 1);
	/* a bwrap sandbox starting bwrap again through /proc/self/exe, where the name is lost */
	if (argc > 1 && strcmp(argv[0], "/proc/self/exe") == 0 && sbx_is_bwrap_option(argv[1]))
		return bwrap_main(argv[0], argc - 1, argv + 1);
	if (argc < 2) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	optind = 1;
	while ((c = cli_getopt(argc, argv, "+h", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		case 'V':
			printf("clonekit %s\n%s\n", CK_VERSION_STRING, CK_CLI_LINKAGE);
			return CK_EXIT_OK;
		default:
			return cli_option_error(NULL);
		}
	}
	if (optind >= argc)
		return cli_usage_error(NULL, "no COMMAND given");
	int (*run)(int, char **) = find_command(NULL, argv[optind]);
	return run ? run(argc - optind, argv + optind) : CK_EXIT_USAGE;
}
