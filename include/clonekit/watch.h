/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit watch: every clone, clone3, fork, vfork, unshare and setns on the
 * host, seen by eBPF programs (lib/bpf/watch.bpf.c) and delivered as
 * struct ck_event (source CK_SOURCE_WATCH), one per call, with its result.
 *
 * Events carry what the kernel saw at the call: the caller's PIDs (in the
 * initial PID namespace), real uid, comm, cgroup v2 id, executable, the
 * arguments (the clone3 struct as read at entry), the result, and the
 * namespace inodes before and after. The executable is the path of the
 * caller's mm->exe_file, walked by the program at the call's exit and named
 * from the caller's own root, as readlink("/proc/self/exe") shows it to the
 * caller (for a process in a container: the path inside the container; the
 * event's ns_before[CK_NS_MNT] says which mount namespace). A path longer
 * than CK_EXE_MAX - 1 bytes, or deeper than 4096 steps (components and
 * mounts crossed), keeps its first 1024 bytes of components (none when the
 * walk did not reach a root) and its last 3070, joined by an empty
 * component, with CK_EXE_TRUNCATED; a deleted file keeps its path with
 * CK_EXE_DELETED; a file outside the caller's root is named from the root
 * of its mount namespace with CK_EXE_OUTSIDE_ROOT (event.h).
 *
 * Two programs, on the raw sys_enter and sys_exit tracepoints, run on every
 * system call of every task and leave at once unless its number is one of
 * the six calls' (docs/clonekit.1 has what that costs). On x86_64 they also
 * see compat system calls (int $0x80, sysenter, -m32 programs), whose
 * events have arch CK_ARCH_I386; opts->no_compat leaves those unseen. A
 * raw tracepoint comes off at once: ck_watcher_close takes milliseconds,
 * where the syscalls:* tracepoints it used before took 0.7 s.
 */
#ifndef CLONEKIT_WATCH_H
#define CLONEKIT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/common.h>
#include <clonekit/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The loaded, attached programs and their ring buffer. */
struct ck_watcher;

struct ck_watch_opts {
	size_t size;          /* sizeof(struct ck_watch_opts) */
	const char *cgroup;   /* a cgroup v2 directory: only calls of tasks in it or
				 below it; NULL: every task */
	size_t ring_bytes;    /* ring buffer size, a power of two of at least a page;
				 0: 4 MiB (about 10000 events) */
	bool no_exe;          /* leave ck_event.exe empty: the programs do not walk it */
	bool no_compat;       /* leave i386 calls unseen, and every system call
				 without the two raw_syscalls programs */
};

/* Why the watch could not start. */
struct ck_watch_error {
	size_t size;          /* sizeof(struct ck_watch_error), set by the caller */
	const char *step;     /* "options", "cgroup", "load", "attach", "ring buffer" */
	int err;              /* the step's errno */
	char message[256];    /* "attach tracepoint/syscalls/sys_enter_clone3: No such file or directory" */
};

/*
 * Loads and attaches the programs (BTF and raw tracepoints: no tracefs is
 * needed, and none is mounted). Returns 0 and *w, or a negative errno with
 * *err (if not NULL) naming the step: -EPERM without CAP_BPF and
 * CAP_PERFMON, -EINVAL for options it does not understand or a ring size
 * that is not a power of two, -ENOTDIR or -EMEDIUMTYPE when opts->cgroup is
 * not a cgroup v2 directory, -ENOENT when a tracepoint is missing. libbpf's
 * own log is silenced meanwhile (its print function is swapped and
 * restored: do not load other BPF objects from another thread at the same
 * time); CLONEKIT_DEBUG=1 passes it through.
 */
CK_API int ck_watcher_open(struct ck_watcher **w, const struct ck_watch_opts *opts,
			   struct ck_watch_error *err);

/* The most events one ck_watcher_poll delivers. */
#define CK_WATCH_POLL_MAX 1024

/*
 * Waits up to timeout_ms (-1: forever, 0: not at all) for events, then
 * delivers those that have arrived to cb, in the order the calls ended: at
 * most CK_WATCH_POLL_MAX, and none once timeout_ms has passed (it returns
 * then, however fast events arrive; a callback that takes longer delays it
 * by that much). Call it again for the rest: events it has not delivered
 * wait in the ring buffer, and those that find it full are counted by
 * ck_watcher_drops. Returns the number delivered, -EINTR when a signal
 * interrupted the wait (none delivered), or another negative errno.
 */
CK_API int ck_watcher_poll(struct ck_watcher *w, int timeout_ms,
			   void (*cb)(const struct ck_event *e, void *data), void *data);

/* An fd that polls readable when events may be waiting (for the caller's own loop). */
CK_API int ck_watcher_fd(const struct ck_watcher *w);

/*
 * Calls lost so far: the ring buffer was full, or no room was left to hold
 * a call between its entry and its exit.
 */
CK_API uint64_t ck_watcher_drops(const struct ck_watcher *w);

/*
 * Calls the programs have put in the ring buffer that no ck_watcher_poll has
 * delivered yet (a count read a moment ago: a poll, or another call ending,
 * changes it). A caller that stops polling with some waiting has lost them.
 */
CK_API uint64_t ck_watcher_pending(const struct ck_watcher *w);

/* Detaches and unloads everything; NULL is accepted. */
CK_API void ck_watcher_close(struct ck_watcher *w);

#ifdef __cplusplus
}
#endif

#endif
