/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit bwrap, and clonekit called "bwrap": bubblewrap 0.8's command
 * line over ck_spawn. Its own failures exit 1 with "bwrap: " messages, as
 * bwrap's die() does; otherwise it exits with the command's status
 * (128+N when signal N killed it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

enum { BWRAP_FAILED = 1 };

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* bwrap's die(): "bwrap: " and the message on stderr, exit status 1. */
static int die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bwrap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return BWRAP_FAILED;
}

static void version(void)
{
	/* "bubblewrap 0.8.0" first, as tools that parse it expect */
	printf("bubblewrap 0.8.0 (clonekit %s)\n", CK_VERSION_STRING);
}

/* The checks bwrap's main() makes after parsing, in its order and words. */
static int check(struct sbx *s)
{
	if (s->userns_block_fd != -1 && !s->unshare_user)
		return die("%s", "--userns-block-fd requires --unshare-user");
	if (s->userns_block_fd != -1 && s->info_fd == -1)
		return die("%s", "--userns-block-fd requires --info-fd");
	if (s->userns_fd != -1 && s->unshare_user)
		return die("%s", "--userns not compatible --unshare-user");
	if (s->userns_fd != -1 && s->unshare_user_try)
		return die("%s", "--userns not compatible --unshare-user-try");
	if (s->disable_userns && !s->unshare_user)
		return die("%s", "--disable-userns requires --unshare-user");
	if (s->disable_userns && s->userns_block_fd != -1)
		return die("%s", "--disable-userns is not compatible with  --userns-block-fd");
	/* not setuid: a caller other than root always gets a user namespace */
	if (getuid() != 0 && s->userns_fd == -1)
		s->unshare_user = true;
	if (s->unshare_user_try && sbx_userns_available())
		s->unshare_user = true;
	return 0;
}

/* After the command is known: bwrap's checks that depend on the ids and namespaces. */
static int check_late(const struct sbx *s)
{
	bool own_user = s->unshare_user || s->userns_fd != -1;

	if (!own_user && s->uid != -1 && (uid_t)s->uid != getuid())
		return die("%s", "Specifying --uid requires --unshare-user or --userns");
	if (!own_user && s->gid != -1 && (gid_t)s->gid != getgid())
		return die("%s", "Specifying --gid requires --unshare-user or --userns");
	if (!s->unshare_uts && s->hostname)
		return die("%s", "Specifying --hostname requires --unshare-uts");
	if (s->as_pid_1 && !s->unshare_pid)
		return die("%s", "Specifying --as-pid-1 requires --unshare-pid");
	if (s->as_pid_1 && s->nlock_files)
		return die("%s", "Specifying --as-pid-1 and --lock-file is not permitted");
	if (s->unshare_cgroup && sbx_ns_stat("/proc/self/ns/cgroup") < 0)
		return errno == ENOENT
			       ? die("%s", "Cannot create new cgroup namespace because the kernel does not support it")
			       : die("stat on /proc/self/ns/cgroup failed: %s", strerror(errno));
	return 0;
}

int bwrap_main(const char *argv0, int argc, char **argv)
{
	struct sbx s;
	unsigned total = (unsigned)argc;
	int consumed = 0, r, status;

	if (argc == 1 && strcmp(argv[0], "--version") == 0) {
		version();
		return CK_EXIT_OK;
	}
	if (argc <= 0) {
		sbx_bwrap_usage(stderr, argv0);
		return BWRAP_FAILED;
	}
	sbx_init(&s, SBX_BWRAP, "bwrap");
	r = sbx_parse_bwrap_words(&s, argc, argv, &total, &consumed);
	if (r == 1) {
		/* as bwrap: --help and --version act where they stand, after the options before them */
		if (s.want_help)
			sbx_bwrap_usage(stdout, argv0);
		else
			version();
		sbx_release(&s);
		return CK_EXIT_OK;
	}
	if (r < 0 || (r = check(&s)) != 0) {
		sbx_release(&s);
		return BWRAP_FAILED;
	}
	if (consumed >= argc) {
		sbx_release(&s);
		sbx_bwrap_usage(stderr, argv0);
		return BWRAP_FAILED;
	}
	if ((r = check_late(&s)) != 0) {
		sbx_release(&s);
		return r;
	}
	r = sbx_run(&s, argc - consumed, argv + consumed, &status);
	sbx_release(&s);
	return r;
}

int cmd_bwrap(int argc, char **argv)
{
	/* argv[0] is "bwrap" (the command's name); bwrap's usage names it "clonekit bwrap" */
	return bwrap_main("clonekit bwrap", argc - 1, argv + 1);
}
