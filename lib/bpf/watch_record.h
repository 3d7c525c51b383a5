/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the eBPF watcher (watch.bpf.c) hands to lib/watch.c through its ring
 * buffer, and the settings lib/watch.c writes into the program before
 * loading it. Shared by both sides, so only fixed-size kernel types.
 */
#ifndef CK_BPF_WATCH_RECORD_H
#define CK_BPF_WATCH_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Namespace slots, in enum ck_ns_type order (lib/watch.c checks). */
enum {
	WATCH_NS_USER, WATCH_NS_PID, WATCH_NS_NET, WATCH_NS_MNT, WATCH_NS_UTS, WATCH_NS_IPC,
	WATCH_NS_CGROUP, WATCH_NS_TIME, WATCH_NS_COUNT
};

/* The watched calls, in enum ck_nr order (lib/watch.c checks). */
enum {
	WATCH_NR_CLONE, WATCH_NR_CLONE3, WATCH_NR_FORK, WATCH_NR_VFORK, WATCH_NR_UNSHARE,
	WATCH_NR_SETNS, WATCH_NR_COUNT
};

/* Slots of the per-CPU counters: the drops first. */
enum {
	WATCH_DROP_RING,    /* the ring buffer was full */
	WATCH_DROP_PENDING, /* no room to hold a call between its entry and its exit */
	WATCH_DROP_COUNT,
	WATCH_SENT = WATCH_DROP_COUNT, /* records put in the ring buffer */
	WATCH_COUNTERS
};

/*
 * The caller's executable, walked from mm->exe_file in the programs (see
 * exe_path() in watch.bpf.c): the whole path when it has at most
 * WATCH_EXE_MAX - 1 bytes, else its first components (at most
 * WATCH_EXE_HEAD bytes; none when the walk found no root within
 * WATCH_EXE_WALK steps) and its last ones (at most WATCH_EXE_TAIL bytes)
 * joined by an empty component. The sizes follow CK_EXE_MAX (lib/watch.c checks).
 */
#define WATCH_EXE_MAX 4096
#define WATCH_EXE_HEAD 1024
#define WATCH_EXE_TAIL (WATCH_EXE_MAX - WATCH_EXE_HEAD - 2)
#define WATCH_EXE_WALK 4096   /* steps: a component or a mount crossed */
#define WATCH_EXE_TOP 512     /* topmost components remembered: WATCH_EXE_HEAD / 2 */

/* Bits of watch_event.exe_flags, as CK_EXE_* (lib/watch.c checks). */
#define WATCH_EXE_TRUNCATED 0x1
#define WATCH_EXE_DELETED 0x2
#define WATCH_EXE_OUTSIDE_ROOT 0x4

/* The clone3 struct as far as the kernel reads it today (CLONE_ARGS_SIZE_VER2). */
#define WATCH_CLONE3_WORDS 11

struct watch_record {
	__u64 time_ns;                      /* CLOCK_MONOTONIC at entry */
	__u64 cgroup_id;                    /* the caller's cgroup v2 id */
	__u64 args[6];                      /* the raw arguments, as many as the call has */
	__u64 clone3[WATCH_CLONE3_WORDS];   /* clone3: the struct, read at entry */
	__u64 ns_before[WATCH_NS_COUNT];
	__u64 ns_after[WATCH_NS_COUNT];
	__s64 result;
	__s64 pidfd;                        /* CLONE_PIDFD: the fd stored for the caller, -1 unknown */
	__u32 pid, tid, ppid, uid;          /* in the initial PID and user namespaces */
	__u32 child_tid;                    /* the new task, in the initial PID namespace; 0 none */
	__s32 nr;                           /* the syscall number, of the caller's ABI */
	__u32 clone3_read;                  /* bytes of clone3 read; 0 when not read */
	__u8 call;                          /* WATCH_NR_* */
	__u8 compat;                        /* an i386 call on x86_64 */
	__u8 in_container;                  /* user or PID namespace level > 0 */
	__u8 traced;                        /* the caller is ptraced */
	__u8 has_after;                     /* ns_after was read */
	__u8 pad[3];
	char comm[16];
};

/* One ring buffer record: the call, then the caller's executable. */
struct watch_event {
	struct watch_record rec;
	__u32 exe_len;                      /* bytes of exe before its NUL */
	__u32 exe_flags;                    /* WATCH_EXE_* */
	char exe[WATCH_EXE_MAX];            /* only exe_len + 1 bytes are sent */
};

#endif
