/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit event: one process-creation event — who called which of clone,
 * clone3, fork, vfork, unshare or setns, with what, and what came of it.
 * The ptrace tracer (trace.h) and the eBPF watcher (watch.h) both produce
 * it; the detection rules (detect.h) and the printers consume it.
 */
#ifndef CLONEKIT_EVENT_H
#define CLONEKIT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/abi.h>
#include <clonekit/clone.h>
#include <clonekit/common.h>
#include <clonekit/validate.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ck_event_call {
	CK_CALL_CLONE,
	CK_CALL_CLONE3,
	CK_CALL_FORK,
	CK_CALL_VFORK,
	CK_CALL_UNSHARE,
	CK_CALL_SETNS,
	CK_CALL__COUNT
};

/* What the call was, by its flags (bits of struct ck_event.kinds). */
#define CK_EVENT_PROCESS   (1u << 0) /* a new process */
#define CK_EVENT_THREAD    (1u << 1) /* a new thread (CLONE_THREAD) */
#define CK_EVENT_SPAWN     (1u << 2) /* vfork-style: CLONE_VM|CLONE_VFORK, about to execve */
#define CK_EVENT_NS_CREATE (1u << 3) /* creates a namespace */
#define CK_EVENT_NS_ENTER  (1u << 4) /* enters an existing namespace (setns) */
#define CK_EVENT_ESCAPED   (1u << 5) /* a traced caller's child left the trace (CLONE_UNTRACED) */

/* The room for ck_event.exe: PATH_MAX, the longest path the kernel gives out. */
#define CK_EXE_MAX 4096

/*
 * What ck_event.exe is (bits of struct ck_event.exe_flags). A truncated
 * path keeps its first components and its last ones, joined by an empty
 * component ("/tmp/a//y/evil"; "//y/evil" when its first ones are unknown),
 * which no path the kernel gives contains.
 */
#define CK_EXE_TRUNCATED    (1u << 0) /* longer than CK_EXE_MAX - 1 bytes, or deeper than the watch walks */
#define CK_EXE_DELETED      (1u << 1) /* unlinked since it was executed (/proc says " (deleted)") */
#define CK_EXE_OUTSIDE_ROOT (1u << 2) /* not under the caller's root: named from its mount namespace's */

enum ck_event_source {
	CK_SOURCE_TRACE,  /* ptrace */
	CK_SOURCE_WATCH,  /* eBPF */
};

struct ck_event {
	size_t size;               /* sizeof(struct ck_event) */
	enum ck_event_source source;
	uint64_t time_ns;          /* CLOCK_REALTIME at the call */
	int32_t pid;               /* thread group of the caller */
	int32_t tid;               /* the calling thread */
	int32_t ppid;
	uint32_t uid;              /* real uid, as the initial user namespace sees it */
	char comm[16];
	char exe[CK_EXE_MAX];      /* the executable, "" when unknown (watch: from the caller's own root) */
	uint32_t exe_flags;        /* CK_EXE_* */
	uint64_t cgroup_id;        /* the caller's cgroup v2 id, 0 when unknown */
	enum ck_event_call call;
	enum ck_arch arch;         /* the ABI of the call: CK_ARCH_I386 for a compat call */
	uint64_t flags;            /* clone: the whole word (exit signal in the low byte);
				      clone3: args.flags; unshare: flags; setns: nstype */
	uint64_t exit_signal;      /* clone3 without its args read; clone's is the flags' low byte */
	uint64_t stack;            /* clone: the stack argument */
	uint64_t parent_tid, child_tid, tls; /* clone: the pointer arguments */
	bool has_args;             /* clone3: args and args_size were read */
	struct ck_clone_args args;
	uint64_t args_size;
	uint64_t args_addr;        /* clone3: where the struct is */
	int32_t fd;                /* setns: the fd */
	bool has_result;
	int64_t result;            /* the child's TID (in the caller's PID namespace) or -errno */
	int64_t pidfd;             /* CLONE_PIDFD: the fd stored for the caller, -1 unknown */
	unsigned kinds;            /* CK_EVENT_* */
	bool in_container;         /* the caller is outside the initial user or PID namespace */
	uint64_t ns_before[CK_NS__COUNT]; /* namespace inodes of the caller, 0 unknown */
	uint64_t ns_after[CK_NS__COUNT];  /* of the child, or of the caller after unshare/setns */
	bool traced;               /* the caller was being traced (trace: always) */
};

/* Sets e->size and everything to "unknown": pid -1, fd -1, pidfd -1. */
CK_API void ck_event_init(struct ck_event *e);

/* The namespace-creation flags the call carries (for clone: not the signal byte). */
CK_API uint64_t ck_event_flags(const struct ck_event *e);

/* Sets e->kinds from the call and its flags (keeps CK_EVENT_ESCAPED). */
CK_API void ck_event_classify(struct ck_event *e);

/* "clone", "clone3", "fork", "vfork", "unshare", "setns"; parse returns -EINVAL otherwise. */
CK_API const char *ck_event_call_name(enum ck_event_call call);
CK_API int ck_event_call_parse(const char *name, enum ck_event_call *out);

/*
 * The call as strace prints it, result included:
 *   clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f..) = 14982
 *   clone3({flags=..., exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = 14983
 *   unshare(CLONE_NEWUSER) = -1 EPERM (Operation not permitted)
 * Without a "[pid N] " prefix. Returns the length needed, like snprintf.
 */
CK_API int ck_event_format_strace(const struct ck_event *e, char *buf, size_t len);

/*
 * The event as one JSON object on one line (no newline), with the fields
 * docs/event-schema.md describes. Returns the length needed, like snprintf.
 */
CK_API int ck_event_format_json(const struct ck_event *e, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
