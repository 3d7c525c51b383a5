/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit probe: which process-creation features this process can use on
 * the running kernel, measured by trying each one (never by version
 * numbers). Tries that need a process run in a disposable child that exits
 * at once; a filter or a namespace that cannot be undone is only ever made
 * in such a child. Every child is reaped and every fd closed before
 * ck_probe() returns.
 */
#ifndef CLONEKIT_PROBE_H
#define CLONEKIT_PROBE_H

#include <stddef.h>

#include <clonekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ck_probe_result {
	CK_PROBE_UNKNOWN = 0, /* could not be tried (or this library does not know the feature) */
	CK_PROBE_YES,         /* tried, and it worked */
	CK_PROBE_NO,          /* the kernel lacks it: ENOSYS, EINVAL for an unknown flag, E2BIG */
	CK_PROBE_DENIED,      /* the kernel has it but refuses this caller: EPERM, EACCES,
			       * ENOSPC (a namespace limit), EUSERS, EBUSY */
};

/* What one try found. */
struct ck_probe_answer {
	enum ck_probe_result result;
	/*
	 * The errno the try ended with: 0 when it worked, except for clone3,
	 * whose deliberately invalid call proves the syscall by EINVAL.
	 */
	int err;
	/* For no, denied and unknown: why, in a few words (sysctl values where they decide). */
	char why[128];
};

/*
 * Every answer. Extensible: set size to sizeof(struct ck_probe); answers
 * are only ever appended. ck_probe() writes the answers that fit in size and
 * zeroes the rest of the size bytes, so answers a newer header knows and
 * this library does not read CK_PROBE_UNKNOWN.
 */
struct ck_probe {
	size_t size;
	struct ck_probe_answer clone3;              /* the syscall exists */
	struct ck_probe_answer clone_pidfd;
	struct ck_probe_answer clone_clear_sighand;
	struct ck_probe_answer set_tid;
	struct ck_probe_answer clone_into_cgroup;   /* into the caller's own cgroup v2 directory */
	struct ck_probe_answer clone_newtime;       /* the clone3 flag */
	struct ck_probe_answer user_namespace;      /* unshare() by this process now */
	struct ck_probe_answer pid_namespace;
	struct ck_probe_answer net_namespace;
	struct ck_probe_answer mount_namespace;
	struct ck_probe_answer uts_namespace;
	struct ck_probe_answer ipc_namespace;
	struct ck_probe_answer cgroup_namespace;
	struct ck_probe_answer time_namespace;
	struct ck_probe_answer unprivileged_user_namespace; /* as uid 65534 without capabilities */
	struct ck_probe_answer seccomp_filter;
	struct ck_probe_answer seccomp_user_notif;
	struct ck_probe_answer no_new_privs;        /* yes: set on this process */
	/*
	 * ck_watcher_open() can work here: kernel BTF, and a tracepoint program
	 * and a ring buffer this process may load. No (ENOSYS) when this
	 * library was built without the watcher (CK_HAVE_WATCHER 0).
	 */
	struct ck_probe_answer watcher;
};

/* One feature of the probe table, in the order ck_probe() tries them. */
struct ck_probe_feature {
	const char *name;    /* "clone3": stable, the field of struct ck_probe */
	const char *title;   /* "clone3 syscall": for people */
	const char *tries;   /* what the probe does, in one line */
	size_t offset;       /* of its struct ck_probe_answer in struct ck_probe */
};

/*
 * Tries every feature and fills out (out->size set by the caller). Returns 0,
 * or a negative errno:
 *   -EINVAL  out is NULL, or out->size holds no answer at all;
 *   -ENOMEM  the page the children report through cannot be mapped.
 * A feature that cannot be tried is CK_PROBE_UNKNOWN, not an error.
 *
 * The children borrow the caller's memory (CLONE_VM | CLONE_VFORK, with
 * every signal blocked in the calling thread while one lives), so the cost
 * does not grow with the caller's size; only the unprivileged user namespace
 * try, which changes credentials, gets a copy of its own. They exit with no
 * signal to the parent, so a SIGCHLD handler of the caller never sees them;
 * a caller that reaps with waitpid(-1, ..., __WALL) in another thread while
 * ck_probe() runs can take one away (that answer is then unknown, ECHILD).
 * Safe to call from several threads at once.
 */
CK_API int ck_probe(struct ck_probe *out);

/* "yes", "no", "denied", "unknown"; "?" for any other value. */
CK_API const char *ck_probe_result_name(enum ck_probe_result r);

CK_API size_t ck_probe_feature_count(void);
/* The i-th feature, NULL past the end. */
CK_API const struct ck_probe_feature *ck_probe_feature_at(size_t i);
/* By exact name; NULL (errno ENOENT) when unknown. */
CK_API const struct ck_probe_feature *ck_probe_feature_by_name(const char *name);
/*
 * The answer for f in p; NULL (errno EINVAL) when f or p is NULL or the
 * answer lies beyond p->size.
 */
CK_API const struct ck_probe_answer *ck_probe_answer_of(const struct ck_probe *p,
							 const struct ck_probe_feature *f);

#ifdef __cplusplus
}
#endif

#endif
