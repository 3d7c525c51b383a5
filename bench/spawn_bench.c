/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Spawn + exec + wait of a program, from a parent with SIZE MiB of touched
 * memory: ck_spawn against fork+execve, vfork+execve and glibc's
 * posix_spawn, measured in the same process, rounds interleaved.
 *
 *   spawn-bench [--program /bin/true] [--rounds R] [--iterations N] SIZE_MIB...
 *
 * Prints, per size, the median microseconds per spawn of each method and the
 * ratios the goals are stated in.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/spawn.h>

extern char **environ;

enum method { M_CK_SPAWN, M_POSIX_SPAWN, M_VFORK, M_FORK, M_COUNT };
static const char *const names[M_COUNT] = { "ck_spawn", "posix_spawn", "vfork+exec", "fork+exec" };

static const char *program = "/bin/true";

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void must_exit_zero(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			exit(2);
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s did not exit 0 (status %#x)\n", program, st);
		exit(2);
	}
}

static void once(enum method m, struct ck_spawn_attr *attr)
{
	char *argv[] = { (char *)program, NULL };
	pid_t pid;

	switch (m) {
	case M_CK_SPAWN: {
		struct ck_child *c;
		struct ck_spawn_error e = { .size = sizeof(e) };
		int st, r = ck_spawn(&c, program, argv, environ, attr, &e);
		if (r < 0) {
			fprintf(stderr, "ck_spawn: %s\n", e.message);
			exit(2);
		}
		if (ck_spawn_wait(c, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "ck_spawn child failed\n");
			exit(2);
		}
		ck_spawn_free(c);
		return;
	}
	case M_POSIX_SPAWN:
		if (posix_spawn(&pid, program, NULL, NULL, argv, environ) != 0) {
			perror("posix_spawn");
			exit(2);
		}
		break;
	case M_VFORK:
		pid = vfork();
		if (pid == 0) {
			execve(program, argv, environ);
			_exit(127);
		}
		break;
	default:
		pid = fork();
		if (pid == 0) {
			execve(program, argv, environ);
			_exit(127);
		}
		break;
	}
	if (pid < 0) {
		perror("spawn");
		exit(2);
	}
	must_exit_zero(pid);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int rounds = 15, iterations = 40;
	int first = 1;

	for (; first < argc && argv[first][0] == '-'; first += 2) {
		if (first + 1 >= argc)
			goto usage;
		if (strcmp(argv[first], "--program") == 0)
			program = argv[first + 1];
		else if (strcmp(argv[first], "--rounds") == 0)
			rounds = atoi(argv[first + 1]);
		else if (strcmp(argv[first], "--iterations") == 0)
			iterations = atoi(argv[first + 1]);
		else
			goto usage;
	}
	if (first >= argc || rounds < 1 || iterations < 1)
		goto usage;

	struct ck_spawn_attr *attr = ck_spawn_attr_new();
	printf("%-8s %-12s %12s %12s %12s %12s   %s\n", "MiB", "", names[0], names[1], names[2],
	       names[3], "ck_spawn/posix_spawn  fork/ck_spawn");
	for (int a = first; a < argc; a++) {
		size_t mib = strtoul(argv[a], NULL, 10);
		size_t bytes = mib << 20;
		char *mem = bytes ? mmap(NULL, bytes, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : NULL;
		if (mem == MAP_FAILED) {
			perror("mmap");
			return 2;
		}
		for (size_t off = 0; off < bytes; off += 4096)
			mem[off] = 1; /* touched: every page is mapped and must be copied or shared */

		double *samples[M_COUNT];
		for (int m = 0; m < M_COUNT; m++)
			samples[m] = calloc((size_t)rounds, sizeof(double));
		for (int r = 0; r < rounds; r++) {
			for (int m = 0; m < M_COUNT; m++) {
				/* fork copies the page tables: fewer iterations keep big sizes bearable */
				int n = m == M_FORK && mib >= 1024 ? (iterations + 7) / 8 : iterations;
				double t0 = now_us();
				for (int i = 0; i < n; i++)
					once((enum method)m, attr);
				samples[m][r] = (now_us() - t0) / n;
			}
		}
		double med[M_COUNT];
		for (int m = 0; m < M_COUNT; m++) {
			qsort(samples[m], (size_t)rounds, sizeof(double), cmp_double);
			med[m] = samples[m][rounds / 2];
			free(samples[m]);
		}
		printf("%-8zu %-12s %10.1fus %10.1fus %10.1fus %10.1fus   %.3fx  %.1fx\n", mib, "median",
		       med[M_CK_SPAWN], med[M_POSIX_SPAWN], med[M_VFORK], med[M_FORK],
		       med[M_CK_SPAWN] / med[M_POSIX_SPAWN], med[M_FORK] / med[M_CK_SPAWN]);
		fflush(stdout);
		if (mem)
			munmap(mem, bytes);
	}
	ck_spawn_attr_free(attr);
	return 0;

usage:
	fprintf(stderr, "usage: spawn-bench [--program P] [--rounds R] [--iterations N] SIZE_MIB...\n");
	return 2;
}
