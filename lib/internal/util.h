/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers shared by the library's modules. */
#ifndef CK_INTERNAL_UTIL_H
#define CK_INTERNAL_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define CK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup attributes: ownership ends with the scope unless taken with ck_take_*. */
static inline void ck__closep(int *fd)
{
	if (*fd >= 0)
		close(*fd); /* never retried: Linux frees the fd even on EINTR */
}
static inline void ck__freep(void *p)
{
	free(*(void **)p);
}
#define CK_AUTO_CLOSE __attribute__((cleanup(ck__closep)))
#define CK_AUTO_FREE __attribute__((cleanup(ck__freep)))

static inline int ck__take_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/*
 * A caller's size-first struct (libbpf's OPTS_VALID): size covers at least
 * min bytes, and every byte past the known ones is zero (a newer caller's
 * field this library would ignore).
 */
static inline bool ck__opts_valid(const void *opts, size_t size, size_t min, size_t known)
{
	if (size < min)
		return false;
	for (size_t i = known; i < size; i++)
		if (((const unsigned char *)opts)[i])
			return false;
	return true;
}

/*
 * A caller's size-first input struct (src, its size field says size bytes)
 * into the library's own (dst, known bytes): fields an older caller lacks
 * are zero. -EINVAL under ck__opts_valid's rule.
 */
static inline int ck__opts_copy_in(void *dst, size_t known, const void *src, size_t size, size_t min)
{
	if (!ck__opts_valid(src, size, min, known))
		return -EINVAL;
	memset(dst, 0, known);
	memcpy(dst, src, size < known ? size : known);
	return 0;
}

/*
 * The library's size-first output struct (src, known bytes) into a caller's
 * of size bytes: an older caller gets the fields that fit, a newer one zero
 * past them; its size field keeps what the caller set. -EINVAL below min.
 */
static inline int ck__opts_copy_out(void *dst, size_t size, const void *src, size_t known, size_t min)
{
	if (size < min || size < sizeof(size_t))
		return -EINVAL;
	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       (size < known ? size : known) - sizeof(size_t));
	if (size > known)
		memset((char *)dst + known, 0, size - known);
	return 0;
}

/* Appends to a bounded buffer, snprintf-style; *pos keeps the full length. */
void ck__buf_append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Case-insensitive equality of a and the first n bytes of b (b has no NUL there). */
bool ck__strn_ieq(const char *a, const char *b, size_t n);

/* Edit distance between a and b, capped at cap+1 (cheap early exit). */
unsigned ck__edit_distance(const char *a, const char *b, unsigned cap);

/*
 * Reads s[0..n) as one unsigned number of at most max: decimal, or with base
 * 0 also hex after "0x" or "0X"; no sign, space or other byte. -ERANGE above
 * max, -EINVAL when it is no such number.
 */
int ck__parse_u64n(const char *s, size_t n, unsigned base, uint64_t max, uint64_t *out);

/* The errno ck_errno_name() names name, in any case ("EPERM", "eperm"); 0 for none. */
int ck__errno_parse(const char *name);

/* The numbers errnos can take: the kernel returns -1..-4095 (MAX_ERRNO). */
#define CK_ERRNO_MAX 4095

/* The errno a system call's result stands for: -result when it is -1..-CK_ERRNO_MAX, else 0. */
static inline int ck__result_errno(int64_t result)
{
	return result < 0 && result >= -CK_ERRNO_MAX ? (int)-result : 0;
}

/*
 * Reads a small text file (procfs, sysfs) into buf, NUL-terminated, trailing
 * newline removed. Returns the length or -errno.
 */
ssize_t ck__read_small_file(const char *path, char *buf, size_t len);
/* The same for path relative to dirfd (openat). */
ssize_t ck__read_small_file_at(int dirfd, const char *path, char *buf, size_t len);
/* Reads one integer from a small file; -errno when absent or not a number. */
int ck__read_ll(const char *path, long long *out);
/* The value of a "Key:\tvalue" line of a /proc/PID/status text (after the ':'), or NULL. */
const char *ck__status_field(const char *status, const char *key);

/* Code that runs in a CLONE_VM child, on a stack AddressSanitizer does not know. */
#if defined(__SANITIZE_ADDRESS__)
#define CK_CHILD_CODE __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CK_CHILD_CODE __attribute__((no_sanitize_address))
#endif
#endif
#ifndef CK_CHILD_CODE
#define CK_CHILD_CODE
#endif

/*
 * Sends sig to a child of ours that is not reaped yet: through its pidfd, and
 * with kill() when it has none or pidfd_send_signal fails (a seccomp profile
 * that refuses it, valgrind, a kernel before 5.1), once waitid(WNOWAIT) shows
 * the pid still names our unreaped child (-ESRCH when it does not).
 * Async-signal-safe; errno is kept. 0 or -errno.
 */
int ck__signal_child(pid_t pid, int pidfd, int sig);

/*
 * Waits for and reaps that child: through its pidfd, and with waitpid()
 * when it has none or waitid(P_PIDFD) fails otherwise than ECHILD (a kernel
 * before 5.4, a filter that refuses waitid). 0 with *status as waitpid()
 * gives it, or -errno.
 */
int ck__wait_child(pid_t pid, int pidfd, int *status);

/* $PATH, or execvp's default when it is unset. */
const char *ck__path_env(void);

/*
 * execve(file) when it holds a '/' or path_env is NULL; otherwise each entry
 * of path_env in turn, as execvpe does (an empty entry is the cwd; ENOENT,
 * ENOTDIR, ESTALE, ENODEV and ETIMEDOUT go on to the next, EACCES too but is
 * remembered, any other errno stops the search). Returns only on failure:
 * the errno to report. No allocation, async-signal-safe: for vfork and
 * CLONE_VM children.
 */
CK_CHILD_CODE int ck__exec_search(const char *file, const char *path_env, char *const argv[],
				 char *const envp[]);


#endif
