/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-syscall cost of what is attached to the system-call path: N
 * getppid calls, best of ROUNDS, in ns per call. bench/observe_bench.sh runs
 * it with and without watchers attached.
 * Usage: syscall-loop [N] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double best = 0;

	if (n <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: syscall-loop [N] [ROUNDS]\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		double per = (now_ns() - t0) / (double)n;
		if (r == 0 || per < best)
			best = per;
	}
	printf("%.1f\n", best);
	return 0;
}
