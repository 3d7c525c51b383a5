/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_getopt (cli/opt.c), the option parser of every subcommand, with any
 * argv. The first byte picks in-order mode ('+') and after how many options
 * the caller stops, as a command does at --help; the rest is argv[1..]
 * split at NUL bytes. Long options that prefix one another are declared,
 * as run and trace have them. Promises held (cli.h):
 *   - it returns -1, '?', ':', 0 for a flag option, a letter of optstring or
 *     a long option's val; 1 <= optind <= argc; argv stays a permutation;
 *   - a long option is returned only when spelled in full ("--name" or
 *     "--name=..."), never for a prefix;
 *   - an option that takes an argument has one, never the element "--";
 *   - at the end the operands follow optind in their order, and each is an
 *     operand or came after "--" (in '+' mode: from the first operand on);
 *   - optind = 0 starts over: a parse stopped inside "-abc" leaves nothing
 *     behind for the next one.
 */
#include "cli.h"

#include "fuzz.h"

static int flag;

static const struct option longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "json-status", required_argument, NULL, 0x200 },
	{ "mount", required_argument, NULL, 0x201 },
	{ "mount-proc", no_argument, NULL, 0x202 },
	{ "new", required_argument, NULL, 0x203 },
	{ "no-seccomp", no_argument, &flag, 7 },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};
static const char letters[] = "hvo:p:x";

enum { MAX_ARGS = 64, MAX_STEPS = 3 * MAX_ARGS };

struct step {
	int ret;
	const char *optarg;
};

static bool is_option(const char *s)
{
	return s[0] == '-' && s[1] != '\0';
}

static const struct option *long_named(int val)
{
	for (const struct option *o = longopts; o->name; o++)
		if ((o->flag ? 0 : o->val) == val && !(o->flag && val != 0))
			return o;
	return NULL;
}

static bool in_argv(char **argv, int argc, const char *p)
{
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

/* Is p a whole element "--" (the end of the options), rather than "-o--" or "--output=--"? */
static bool is_dashdash_element(char **argv, int argc, const char *p)
{
	for (int i = 0; i < argc; i++)
		if (p == argv[i] && strcmp(p, "--") == 0)
			return true;
	return false;
}

static int by_address(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	return x < y ? -1 : x > y;
}

/* One parse of argv; stops after stop options (0: never). The steps taken go to steps. */
static size_t parse(int argc, char **argv, const char *optstring, size_t stop, struct step *steps,
		    const char *input)
{
	char *orig[MAX_ARGS + 1], *sorted_before[MAX_ARGS + 1], *sorted_after[MAX_ARGS + 1];
	bool in_order = optstring[0] == '+';
	size_t n = 0;
	int c;

	memcpy(orig, argv, sizeof(*argv) * (size_t)argc);
	memcpy(sorted_before, argv, sizeof(*argv) * (size_t)argc);
	qsort(sorted_before, (size_t)argc, sizeof(char *), by_address);
	while (n < MAX_STEPS && (c = cli_getopt(argc, argv, optstring, longopts)) != -1) {
		steps[n++] = (struct step){ c, optarg };
		FUZZ_CHECK(optind >= 1 && optind <= argc, input, "optind %d of %d", optind, argc);
		memcpy(sorted_after, argv, sizeof(*argv) * (size_t)argc);
		qsort(sorted_after, (size_t)argc, sizeof(char *), by_address);
		FUZZ_CHECK(!memcmp(sorted_before, sorted_after, sizeof(*argv) * (size_t)argc), input,
			   "argv is no longer a permutation of itself");
		if (c == '?' || c == ':') {
			fuzz_quiet_stderr();
			cli_option_error("fuzz");
			return n;
		}
		const struct option *o = NULL;
		if (c == 0) {
			FUZZ_CHECK(flag == 7, input, "0 returned, flag %d", flag);
			o = long_named(0);
		} else if (c < 0x100 && c != ':' && strchr(letters, c)) {
			o = NULL;
		} else {
			o = long_named(c);
			FUZZ_CHECK(o != NULL, input, "returned %d, no option of ours", c);
		}
		bool wants_arg = o ? o->has_arg == required_argument : strchr(letters, c)[1] == ':';
		if (o && c != 'o' && c != 'h' && c != 'v') {
			/* only a long option spelled in full returns it */
			size_t len = strlen(o->name);
			bool spelled = false;
			for (int i = 0; i < optind; i++)
				spelled |= !strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, o->name, len) &&
					   (argv[i][2 + len] == '\0' || argv[i][2 + len] == '=');
			FUZZ_CHECK(spelled, input, "'--%s' returned, but no element spells it", o->name);
		}
		if (wants_arg) {
			FUZZ_CHECK(optarg && in_argv(argv, argc, optarg) && !is_dashdash_element(argv, argc, optarg), input,
				   "option %d: argument %s", c, optarg ? optarg : "(none)");
		} else {
			FUZZ_CHECK(!optarg, input, "option %d without argument got '%s'", c, optarg);
		}
		if (stop && n == stop)
			return n;
	}
	if (n == MAX_STEPS)
		return n;
	/* the operands, in their order, after optind */
	int k = optind;
	bool after_dashdash = false;
	for (int i = 1; i < argc; i++) {
		bool consumed = true;
		for (int j = optind; j < argc; j++)
			consumed &= argv[j] != orig[i];
		if (consumed)
			continue;
		FUZZ_CHECK(k < argc && argv[k] == orig[i], input, "operand '%s' out of order", orig[i]);
		k++;
	}
	FUZZ_CHECK(k == argc, input, "%d elements after optind %d are not operands", argc - k, optind);
	for (int i = 1, first_operand = 0; i < argc; i++) {
		if (strcmp(orig[i], "--") == 0 && !after_dashdash) {
			/* "--" ends the options (it is never an argument) */
			bool taken = true;
			for (int j = optind; j < argc; j++)
				taken &= argv[j] != orig[i];
			after_dashdash = taken;
			continue;
		}
		bool left = false;
		for (int j = optind; j < argc; j++)
			left |= argv[j] == orig[i];
		if (left && !is_option(orig[i]))
			first_operand = first_operand ? first_operand : i;
		if (left && is_option(orig[i]))
			FUZZ_CHECK(after_dashdash || (in_order && first_operand && i > first_operand), input,
				   "option '%s' left among the operands", orig[i]);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *all = fuzz_cstr(data + 1, size - 1), *argv[MAX_ARGS + 1], *again[MAX_ARGS + 1];
	static char name[] = "clonekit";
	const char *optstring = data[0] & 1 ? "+hvo:p:x" : "hvo:p:x";
	size_t stop = (data[0] >> 1) % 4;
	struct step first[MAX_STEPS], second[MAX_STEPS];

	argv[0] = name;
	int argc = 1 + (int)fuzz_split(all, size - 1, argv + 1, MAX_ARGS - 1);
	argv[argc] = NULL;
	flag = 0;
	optind = 0;
	parse(argc, argv, optstring, stop, first, all);

	/* starting over on the same argv must not see what the stopped parse left */
	memcpy(again, argv, sizeof(argv));
	optind = 0;
	flag = 0;
	size_t n1 = parse(argc, argv, optstring, 0, first, all);
	optind = 0;
	flag = 0;
	size_t n2 = parse(argc, again, optstring, 0, second, all);
	FUZZ_CHECK(n1 == n2, all, "%zu options, then %zu from a fresh array", n1, n2);
	for (size_t i = 0; i < n1; i++)
		FUZZ_CHECK(first[i].ret == second[i].ret &&
				   (first[i].optarg == NULL) == (second[i].optarg == NULL) &&
				   (!first[i].optarg || !strcmp(first[i].optarg, second[i].optarg)),
			   all, "option %zu: %d then %d", i, first[i].ret, second[i].ret);
	free(all);
	return 0;
}
