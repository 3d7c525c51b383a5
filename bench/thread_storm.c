/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread-creation-heavy workload for bench/observe_bench.sh: N threads in
 * all, created BATCH at a time (each returns at once) and joined before the
 * next batch. Every pthread_create is one clone3 (clone on old glibc).
 * Usage: thread-storm [N] [BATCH]      (defaults 20000 and 16)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *nothing(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	long batch = argc > 2 ? strtol(argv[2], NULL, 10) : 16;
	pthread_t *t;

	if (n <= 0 || batch <= 0 || batch > 4096) {
		fprintf(stderr, "usage: thread-storm [N > 0] [BATCH 1..4096]\n");
		return 2;
	}
	t = calloc((size_t)batch, sizeof(*t));
	if (!t)
		return 1;
	for (long done = 0; done < n;) {
		long k = n - done < batch ? n - done : batch;
		for (long i = 0; i < k; i++) {
			int r = pthread_create(&t[i], NULL, nothing, NULL);
			if (r) {
				fprintf(stderr, "thread-storm: pthread_create: %s\n", strerror(r));
				return 1;
			}
		}
		for (long i = 0; i < k; i++)
			pthread_join(t[i], NULL);
		done += k;
	}
	free(t);
	return 0;
}
