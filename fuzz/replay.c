/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The corpus replay: feeds every file of the directories (or the files)
 * named on the command line to a target's LLVMFuzzerTestOneInput once, in
 * name order. It needs no libFuzzer, so make check runs it with gcc in the
 * normal and the ASan+UBSan build; a broken promise or a sanitizer report
 * aborts it, and the input at fault is named.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char current[4096];

static void say_current(void)
{
	static const char head[] = "fuzz replay: the input at fault: ";
	/* async-signal-safe: this also runs from a signal handler */
	if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0 ||
	    write(STDERR_FILENO, current, strlen(current)) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

static void on_fatal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The sanitizers' hook, present only in a sanitizer build. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* Reads the whole of path; NULL (errno set) when it cannot. */
static uint8_t *slurp(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *n = realloc(buf, cap);
			if (!n)
				goto fail;
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	/* libFuzzer hands over exactly size bytes: a copy that size keeps ASan's bounds exact */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return NULL;
	}
	memcpy(exact, buf, len);
	free(buf);
	*size = len;
	return exact;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int replay_file(const char *path, size_t *bytes)
{
	size_t size;
	uint8_t *data;

	snprintf(current, sizeof(current), "%s", path);
	data = slurp(path, &size);
	if (!data) {
		fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	*bytes += size;
	return 0;
}

static int no_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	size_t inputs = 0, bytes = 0;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", name);
		return 2;
	}
	signal(SIGABRT, on_fatal);
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGFPE, on_fatal);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(say_current);

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i], &bytes) < 0)
				return 1;
			inputs++;
			continue;
		}
		struct dirent **list;
		int n = scandir(argv[i], &list, no_dot, alphasort);
		if (n < 0) {
			fprintf(stderr, "fuzz replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], list[j]->d_name);
			if (replay_file(path, &bytes) < 0)
				return 1;
			inputs++;
			free(list[j]);
		}
		free(list);
	}
	/* a replay of nothing would prove nothing */
	if (inputs == 0) {
		fprintf(stderr, "fuzz replay: %s: no inputs in %s\n", name, argv[1]);
		return 1;
	}
	printf("fuzz replay %s: %zu inputs, %zu bytes, every promise kept\n", name, inputs, bytes);
	return 0;
}
