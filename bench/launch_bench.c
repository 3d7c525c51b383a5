/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Times whole commands against each other, rounds interleaved so that drift
 * on a shared machine hits them alike:
 *
 *   launch-bench [--rounds N] [--warmup W] CMD ARGS... ::: CMD ARGS... [::: ...]
 *
 * Every round runs each command once (starting each round with a different
 * one), through posix_spawn and waitpid; a command that does not exit 0 stops
 * the benchmark. Prints the median and mean wall time of each command and,
 * for every command after the first, the median over rounds of its time
 * divided by the first command's time in that round.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define MAX_CMDS 8

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double run_once(char **argv)
{
	pid_t pid;
	int st;
	double t0 = now_ms();
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "launch-bench: cannot start %s\n", argv[0]);
		exit(2);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			exit(2);
	double t = now_ms() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "launch-bench: %s ended with status %#x\n", argv[0], st);
		exit(2);
	}
	return t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	char **cmds[MAX_CMDS];
	int ncmds = 0, rounds = 300, warmup = 20, i = 1;

	while (i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-') {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = atoi(argv[i + 1]);
		else
			break;
		i += 2;
	}
	cmds[ncmds++] = &argv[i];
	for (; i < argc; i++) {
		if (strcmp(argv[i], ":::") == 0) {
			argv[i] = NULL;
			if (ncmds == MAX_CMDS || i + 1 >= argc) {
				fprintf(stderr, "launch-bench: at most %d commands, none empty\n", MAX_CMDS);
				return 2;
			}
			cmds[ncmds++] = &argv[i + 1];
		}
	}
	if (!cmds[0][0] || rounds < 1) {
		fprintf(stderr, "usage: launch-bench [--rounds N] [--warmup W] CMD... ::: CMD...\n");
		return 2;
	}
	for (int w = 0; w < warmup; w++)
		for (int c = 0; c < ncmds; c++)
			run_once(cmds[c]);

	double *t[MAX_CMDS], *ratio[MAX_CMDS];
	for (int c = 0; c < ncmds; c++) {
		t[c] = calloc((size_t)rounds, sizeof(double));
		ratio[c] = calloc((size_t)rounds, sizeof(double));
	}
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < ncmds; k++) {
			int c = (r + k) % ncmds;
			t[c][r] = run_once(cmds[c]);
		}
		for (int c = 1; c < ncmds; c++)
			ratio[c][r] = t[c][r] / t[0][r];
	}
	for (int c = 0; c < ncmds; c++) {
		double sum = 0;
		for (int r = 0; r < rounds; r++)
			sum += t[c][r];
		double mean = sum / rounds;
		double med = median(t[c], rounds);
		printf("[%d] median %7.3f ms  mean %7.3f ms", c + 1, med, mean);
		if (c > 0)
			printf("  median ratio to [1]: %.2fx", median(ratio[c], rounds));
		printf("  ");
		for (char **a = cmds[c]; *a; a++)
			printf("%s%s", a == cmds[c] ? "" : " ", *a);
		printf("\n");
	}
	return 0;
}
