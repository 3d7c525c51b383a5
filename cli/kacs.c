/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit kacs SUB: the Peios security model's commands, one file each (cli/kacs_SUB.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char CMD[] = "kacs";

static const struct cli_command subs[] = {
	{ "sddl", cmd_kacs_sddl, "SDDL to a binary security descriptor (hex or a file), and back" },
	{ "token", cmd_kacs_token, "a token (a preset or a v2 wire spec) as a person reads it, or its spec" },
	{ "check", cmd_kacs_check, "AccessCheck or the process two-check rule, granted or why not" },
	{ "sign", cmd_kacs_sign, "sign a file for PIP: its .peios.sig section, or its security.peios.sig xattr" },
	{ "verify", cmd_kacs_verify, "the PIP type and trust a file would get at exec, or unsigned and why" },
	{ "run", cmd_kacs_run, "run a command under the supervisor: tokens, SDs and PIP enforced on its tree" },
};

#define NSUBS (sizeof(subs) / sizeof(subs[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: clonekit kacs SUBCOMMAND [OPTIONS] [ARGS]\n"
		   "       clonekit kacs [--json]\n\n"
		   "The Peios security model (KACS, peios/learn psd-004 v0.20): SIDs, security\n"
		   "descriptors and SDDL, tokens, AccessCheck, PIP.\n\nSubcommands:\n");
	for (size_t i = 0; i < NSUBS; i++)
		fprintf(f, "  %-9s %s\n", subs[i].name, subs[i].summary);
	fprintf(f, "\n'clonekit kacs SUBCOMMAND --help' lists its options; each takes --json.\n"
		   "--json here lists the subcommands as one JSON line. See clonekit(1), KACS.\n");
}

static void list_json(void)
{
	struct jw w;
	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "subcommands");
	for (size_t i = 0; i < NSUBS; i++) {
		jw_obj_begin(&w, NULL);
		jw_str(&w, "name", subs[i].name);
		jw_str(&w, "summary", subs[i].summary);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_end_line(&w);
}

int cmd_kacs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;

	/* '+': the options after SUBCOMMAND are its own */
	optind = 1;
	while ((c = cli_getopt(argc, argv, "+h", longopts)) != -1) {
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
	if (optind == argc) {
		if (json) {
			list_json();
			return CK_EXIT_OK;
		}
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	const struct cli_command *sub = cli_find_command(CMD, "subcommand", subs, NSUBS, argv[optind]);
	return sub ? sub->run(argc - optind, argv + optind) : CK_EXIT_USAGE;
}

int kacs_read_input(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	uint8_t *buf = NULL;
	size_t got = 0, cap = 0;
	int err = 0;

	if (fd < 0) {
		fprintf(stderr, "clonekit %s: %s: %s\n", cmd, path, strerror(errno));
		return CK_EXIT_USAGE;
	}
	for (;;) {
		if (got == cap) {
			/* one byte past max tells a too-long input apart */
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > max + 1)
				ncap = max + 1;
			uint8_t *n = got == max + 1 ? NULL : realloc(buf, ncap);
			if (!n) {
				err = got == max + 1 ? EFBIG : ENOMEM;
				break;
			}
			buf = n;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (!is_stdin)
		close(fd);
	if (err) {
		free(buf);
		if (err == EFBIG)
			fprintf(stderr, "clonekit %s: %s: longer than %zu bytes\n", cmd, is_stdin ? "standard input" : path,
				max);
		else
			fprintf(stderr, "clonekit %s: %s: %s\n", cmd, is_stdin ? "standard input" : path, strerror(err));
		return CK_EXIT_USAGE;
	}
	*out = buf;
	*len = got;
	return CK_EXIT_OK;
}
