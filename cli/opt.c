/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one option parser of every subcommand: getopt_long's contract, except
 * that a long option matches only when spelled in full. getopt_long takes a
 * unique prefix, which turned `run --json` into `--json-status FILE`.
 */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

#include "../lib/internal/util.h"

/* A short-option cluster being read ("-vx"): where, and the next letter. */
static struct {
	char **argv;
	int index;
	const char *next;
} cluster;

/* What the last failed cli_getopt call found wrong, for cli_option_error. */
static char problem[512];

static void set_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void set_problem(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
}

static bool is_option(const char *s)
{
	return s[0] == '-' && s[1] != '\0';
}

/* The long option named exactly name[0..n), or NULL. */
static const struct option *long_exact(const struct option *longopts, const char *name, size_t n)
{
	for (const struct option *o = longopts; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

/* Does letter c take an argument in optstring? -1 when it is no option at all. */
static int short_has_arg(const char *optstring, char c)
{
	const char *p = c != ':' ? strchr(optstring, c) : NULL;
	if (!p)
		return -1;
	return p[1] == ':';
}

/* optstring without its leading '+' (stop at the first operand). */
static const char *letters(const char *optstring, bool *in_order)
{
	*in_order = *optstring == '+';
	return *in_order ? optstring + 1 : optstring;
}

/* A separate option argument: the next element, unless it is missing or the "--" marker. */
static bool takes_next(int argc, char **argv, int i)
{
	return i + 1 < argc && strcmp(argv[i + 1], "--") != 0;
}

/*
 * Moves the k elements at argv[i] (an option and its separate argument) to
 * argv[optind], before the operands skipped on the way, and past them optind:
 * "check vm --json" reads as "check --json vm", as with getopt_long.
 */
static void take(char **argv, int i, int k)
{
	char *moved[2] = { argv[i], k == 2 ? argv[i + 1] : NULL };

	memmove(argv + optind + k, argv + optind, (size_t)(i - optind) * sizeof(*argv));
	for (int j = 0; j < k; j++)
		argv[optind + j] = moved[j];
	optind += k;
}

/*
 * The option names nearest to what was typed, as "'--a'" or "'--a' or '--b'":
 * every option the text abbreviates, else the closest spelling.
 */
static void nearest_options(const struct option *longopts, const char *typed, size_t n,
			    char *buf, size_t len)
{
	const char *names[64];
	size_t count = 0, pos = 0;
	char word[64];

	buf[0] = '\0';
	if (n == 0 || n >= sizeof(word))
		return;
	memcpy(word, typed, n);
	word[n] = '\0';
	for (const struct option *o = longopts; o && o->name && count < CK_ARRAY_SIZE(names); o++)
		if (strncmp(o->name, word, n) == 0)
			names[count++] = o->name;
	if (count == 0) {
		const char *all[64];
		size_t m = 0;
		for (const struct option *o = longopts; o && o->name && m < CK_ARRAY_SIZE(all); o++)
			all[m++] = o->name;
		const char *best = cli_nearest(word, all, m);
		if (best)
			names[count++] = best;
	}
	for (size_t i = 0; i < count; i++)
		ck__buf_append(buf, len, &pos, "%s'--%s'", i == 0 ? "" : i + 1 == count ? " or " : ", ",
			      names[i]);
}

/* The long option at argv[i]; *used: how many elements it took. */
static int long_option(int argc, char **argv, int i, const struct option *longopts, int *used)
{
	const char *s = argv[i] + 2;
	size_t n = strcspn(s, "=");
	const struct option *o = long_exact(longopts, s, n);
	char hint[256];

	*used = 1;
	if (!o) {
		nearest_options(longopts, s, n, hint, sizeof(hint));
		set_problem("unknown option '--%.*s'%s%s%s", (int)n, s, hint[0] ? "; did you mean " : "",
			    hint, hint[0] ? "?" : "");
		return '?';
	}
	if (s[n] == '=') {
		if (o->has_arg == no_argument) {
			set_problem("option '--%s' takes no argument (given '%s')", o->name, s + n + 1);
			return '?';
		}
		optarg = (char *)s + n + 1;
	} else if (o->has_arg == required_argument) {
		if (!takes_next(argc, argv, i)) {
			set_problem("option '--%s' needs an argument", o->name);
			return ':';
		}
		optarg = argv[i + 1];
		*used = 2;
	}
	if (o->flag) {
		*o->flag = o->val;
		return 0;
	}
	return o->val;
}

/* The next letter of the cluster at argv[i]; *used: 0 while the cluster goes on. */
static int short_option(int argc, char **argv, int i, const char *opts,
			const struct option *longopts, int *used)
{
	const char *word = argv[i] + 1, *rest = cluster.next + 1;
	char c = *cluster.next;
	int a = short_has_arg(opts, c);

	*used = 0;
	cluster.next = rest;
	if (a == 0 && *rest)
		return c;
	cluster.next = NULL;
	*used = 1;
	if (a < 0) {
		/* "-json" meant "--json" */
		if (long_exact(longopts, word, strlen(word)))
			set_problem("unknown option '-%c'; did you mean '--%s'?", c, word);
		else
			set_problem("unknown option '-%c'", c);
		return '?';
	}
	if (a == 0)
		return c;
	if (*rest) {
		optarg = (char *)rest;
	} else if (takes_next(argc, argv, i)) {
		optarg = argv[i + 1];
		*used = 2;
	} else {
		set_problem("option '-%c' needs an argument", c);
		return ':';
	}
	return c;
}

int cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts)
{
	bool in_order;
	const char *opts = letters(optstring, &in_order);
	int i, c, used;

	optarg = NULL;
	/* 0 starts over, even on the argv of a parse left inside "-abc" (as glibc's getopt) */
	if (optind < 1) {
		optind = 1;
		cluster.next = NULL;
	}
	if (cluster.next && (cluster.argv != argv || cluster.index < optind))
		cluster.next = NULL;
	if (cluster.next) {
		i = cluster.index;
	} else {
		/* the next option, past the operands unless told to stop at the first */
		for (i = optind; i < argc && !is_option(argv[i]); i++)
			if (in_order)
				return -1;
		if (i >= argc)
			return -1;
		if (strcmp(argv[i], "--") == 0) {
			take(argv, i, 1);
			return -1;
		}
		if (argv[i][1] == '-') {
			c = long_option(argc, argv, i, longopts, &used);
			take(argv, i, used);
			return c;
		}
		cluster.argv = argv;
		cluster.index = i;
		cluster.next = argv[i] + 1;
	}
	c = short_option(argc, argv, i, opts, longopts, &used);
	if (used)
		take(argv, i, used);
	return c;
}

int cli_option_error(const char *cmd)
{
	return cli_usage_error(cmd, "%s", problem);
}

const char *cli_nearest(const char *word, const char *const names[], size_t n)
{
	size_t len = strlen(word);
	unsigned cap = len <= 3 ? 1 : 2, best_d = cap + 1;
	const char *best = NULL;

	for (size_t i = 0; i < n; i++) {
		unsigned d = ck__edit_distance(word, names[i], cap);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

const struct cli_command *cli_find_command(const char *cmd, const char *what, const struct cli_command *table,
					   size_t n, const char *name)
{
	const char *names[64];

	for (size_t i = 0; i < n && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, table[i].name) == 0)
			return &table[i];
		names[i] = table[i].name;
	}
	const char *near = cli_nearest(name, names, n < 64 ? n : 64);
	if (near)
		cli_usage_error(cmd, "unknown %s '%s'; did you mean '%s'?", what, name, near);
	else
		cli_usage_error(cmd, "unknown %s '%s'", what, name);
	return NULL;
}
