/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every fuzz target shares. A target is one LLVMFuzzerTestOneInput,
 * linked either with libFuzzer (-Dfuzz=true, make fuzz) or with replay.c,
 * which feeds it the corpus in the tree (meson test, make check).
 */
#ifndef CK_FUZZ_H
#define CK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Reports go straight to file descriptor 2, as the sanitizers' do: a target
 * may point stderr (the FILE) at /dev/null to keep a command's own usage
 * errors out of a run of millions of inputs.
 */
#define fuzz_report(...) dprintf(STDERR_FILENO, __VA_ARGS__)

/* Writes s[0..n) quoted, with every byte outside printable ASCII as \xNN. */
static inline void fuzz_show(const char *s, size_t n)
{
	fuzz_report("'");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			fuzz_report("\\x%02x", c);
		else
			fuzz_report("%c", c);
	}
	fuzz_report("'");
}

/* Sends what the code under test prints on stderr to /dev/null, once. */
static inline void fuzz_quiet_stderr(void)
{
	static FILE *null;
	if (!null && (null = fopen("/dev/null", "we")))
		stderr = null;
}

/*
 * A broken promise is a crash: libFuzzer keeps the input, the replay fails.
 * The message says which promise, for which input.
 */
#define FUZZ_CHECK(cond, input, ...)                                               \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fuzz_report("fuzz: %s:%d: broken: %s\n  input ", __FILE__, \
				    __LINE__, #cond);                              \
			fuzz_show((input), strlen(input));                         \
			fuzz_report("\n  ");                                       \
			fuzz_report(__VA_ARGS__);                                  \
			fuzz_report("\n");                                         \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* data as a C string, cut at its first NUL as argv and C callers cut it (free it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* data with every NUL byte ended there: the n strings it holds, for argv-like inputs. */
static inline size_t fuzz_split(char *s, size_t size, char **out, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= size && n < max; i++) {
		if (i == size || s[i] == '\0') {
			s[i] = '\0';
			out[n++] = s + start;
			start = i + 1;
		}
	}
	return n;
}

/* A cursor over the input, for targets that read a program from it; past the end, zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in, size_t bytes)
{
	uint64_t v = 0;
	for (size_t i = 0; i < bytes; i++)
		v |= (uint64_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* Up to n bytes of the input (fewer at its end); their count. */
static inline size_t fuzz_bytes(struct fuzz_in *in, void *out, size_t n)
{
	if (n > in->n)
		n = in->n;
	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

#endif
