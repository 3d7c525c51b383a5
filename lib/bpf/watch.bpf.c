/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The eBPF side of ck_watcher (lib/watch.c): clone, clone3, fork, vfork,
 * unshare and setns, host-wide. A call's entry is held per thread until its
 * exit, so that one record carries the arguments, the result and the
 * namespaces before and after; sched_process_fork, which runs in the caller
 * between the two, adds the child's namespaces.
 *
 * On x86_64 the syscalls:* events skip compat (i386) calls, so two
 * raw_syscalls programs catch those: they leave at once unless the number
 * is one of the i386 numbers lib/watch.c writes into compat_nr and the
 * thread is in a compat call.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "watch_record.h"

/*
 * bpf_probe_read_user and bpf_get_current_task_btf are GPL-only; LGPL-2.1
 * section 3 lets this object be used under the GPL.
 */
char LICENSE[] SEC("license") = "GPL";

/* Set by lib/watch.c before loading. */
const volatile bool filter_cgroup;
const volatile __s32 compat_nr[WATCH_NR_COUNT];  /* i386 numbers; -1 where absent */
const volatile __u64 pidfd_flag;                 /* CLONE_PIDFD */
const volatile __u32 clone_ptid_arg;             /* where clone takes parent_tid */
const volatile __u64 wakeup_bytes;               /* wake the reader once this much waits */

/* arch/x86/include/asm/thread_info.h: thread_info.status during a compat call */
#define TS_COMPAT 0x0002

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Calls between entry and exit, by thread. LRU: a thread that dies inside one never exits it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct watch_record);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_record);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WATCH_DROP_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* --cgroup: the directory, for bpf_current_task_under_cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* The syscalls:sys_enter_* and sys_exit_* records (events/syscalls/.../format). */
struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u64 args[6];
};

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__s64 ret;
};

static __always_inline void count_drop(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &slot);
	if (n)
		(*n)++;
}

static __always_inline bool wanted(void)
{
	return !filter_cgroup || bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1;
}

static __always_inline __u64 pid_ns_inum(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &p->numbers[level]);
	return BPF_CORE_READ(up.ns, ns.inum);
}

/*
 * The namespaces of t. For unshare and setns, whose effect on PID and time
 * namespaces is on the children, pid and time are the *_for_children ones.
 */
static __always_inline void read_ns(struct task_struct *t, __u64 *ns, bool for_children)
{
	struct nsproxy *nsp = BPF_CORE_READ(t, nsproxy);

	ns[WATCH_NS_USER] = BPF_CORE_READ(t, real_cred, user_ns, ns.inum);
	if (!nsp)
		return;
	ns[WATCH_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	ns[WATCH_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	ns[WATCH_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	ns[WATCH_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	ns[WATCH_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	if (for_children) {
		ns[WATCH_NS_PID] = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
		ns[WATCH_NS_TIME] = BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
	} else {
		ns[WATCH_NS_PID] = pid_ns_inum(t);
		ns[WATCH_NS_TIME] = BPF_CORE_READ(nsp, time_ns, ns.inum);
	}
}

static __always_inline bool changes_caller(__u8 call)
{
	return call == WATCH_NR_UNSHARE || call == WATCH_NR_SETNS;
}

/* A zeroed record for the calling thread, on this CPU. */
static __always_inline struct watch_record *fresh(void)
{
	__u32 zero = 0;
	struct watch_record *r = bpf_map_lookup_elem(&scratch, &zero);

	if (r)
		__builtin_memset(r, 0, sizeof(*r));
	return r;
}

/* Fills in the caller and holds r until the call's exit. */
static __always_inline int hold(struct watch_record *r)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;

	r->time_ns = bpf_ktime_get_ns();
	r->pid = id >> 32;
	r->tid = tid;
	r->uid = (__u32)bpf_get_current_uid_gid();
	r->cgroup_id = bpf_get_current_cgroup_id();
	r->pidfd = -1;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	r->exe_key = (__u64)(unsigned long)BPF_CORE_READ(t, mm, exe_file);
	r->traced = BPF_CORE_READ(t, ptrace) != 0;
	r->in_container = BPF_CORE_READ(t, real_cred, user_ns, level) > 0 ||
			  BPF_CORE_READ(t, thread_pid, level) > 0;
	read_ns(t, r->ns_before, changes_caller(r->call));

	if (r->call == WATCH_NR_CLONE3) {
		__u64 size = r->args[1];
		const void *uargs = (const void *)r->args[0];

		if (size > sizeof(r->clone3))
			size = sizeof(r->clone3);
		size &= 0xff;
		if (size && bpf_probe_read_user(r->clone3, size, uargs) == 0)
			r->clone3_read = size;
	}
	if (bpf_map_update_elem(&pending, &tid, r, BPF_ANY) != 0)
		count_drop(WATCH_DROP_PENDING);
	return 0;
}

static __always_inline int nargs(int call)
{
	switch (call) {
	case WATCH_NR_CLONE: return 5;
	case WATCH_NR_CLONE3: case WATCH_NR_SETNS: return 2;
	case WATCH_NR_UNSHARE: return 1;
	default: return 0;
	}
}

static __always_inline int enter(struct sys_enter_ctx *ctx, __u8 call)
{
	struct watch_record *r;

	if (!wanted())
		return 0;
	r = fresh();
	if (!r)
		return 0;
	r->call = call;
	r->nr = ctx->nr;
	for (int i = 0; i < 6; i++)
		if (i < nargs(call))
			r->args[i] = ctx->args[i];
	return hold(r);
}

/* Completes the thread's held call with its result and sends it. */
static __always_inline int leave(__s32 nr, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct watch_record *r = bpf_map_lookup_elem(&pending, &tid);

	if (!r)
		return 0;
	if (r->nr != nr) {
		/* left over from a call whose exit was never seen */
		bpf_map_delete_elem(&pending, &tid);
		return 0;
	}
	r->result = ret;
	if (ret == 0 && changes_caller(r->call)) {
		read_ns((struct task_struct *)bpf_get_current_task(), r->ns_after, true);
		r->has_after = 1;
	}
	if (ret > 0) {
		__u64 flags = 0;
		const void *where = NULL;
		__s32 fd = -1;

		if (r->call == WATCH_NR_CLONE) {
			__u32 i = clone_ptid_arg;
			flags = r->args[0];
			if (i < 6)
				where = (const void *)r->args[i];
		} else if (r->call == WATCH_NR_CLONE3 &&
			   r->clone3_read >= 2 * sizeof(__u64)) {
			flags = r->clone3[0];
			where = (const void *)r->clone3[1];
		}
		if ((flags & pidfd_flag) && where &&
		    bpf_probe_read_user(&fd, sizeof(fd), where) == 0)
			r->pidfd = fd;
	}
	/* a wakeup per event would cost the caller more than the call; the reader also polls on a timer */
	__u64 wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
			     BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, r, sizeof(*r), wake) != 0)
		count_drop(WATCH_DROP_RING);
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

#define WATCH_CALL(name, call)                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                             \
	int enter_##name(struct sys_enter_ctx *ctx)                             \
	{                                                                       \
		return enter(ctx, call);                                        \
	}                                                                       \
	SEC("tracepoint/syscalls/sys_exit_" #name)                              \
	int exit_##name(struct sys_exit_ctx *ctx)                               \
	{                                                                       \
		return leave(ctx->nr, ctx->ret);                                \
	}

WATCH_CALL(clone, WATCH_NR_CLONE)
WATCH_CALL(clone3, WATCH_NR_CLONE3)
WATCH_CALL(fork, WATCH_NR_FORK)
WATCH_CALL(vfork, WATCH_NR_VFORK)
WATCH_CALL(unshare, WATCH_NR_UNSHARE)
WATCH_CALL(setns, WATCH_NR_SETNS)

/* sched_process_fork runs in the caller, between its entry and its exit. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct watch_record *r = bpf_map_lookup_elem(&pending, &tid);

	if (!r)
		return 0;
	r->child_tid = BPF_CORE_READ(child, pid);
	read_ns(child, r->ns_after, false);
	r->has_after = 1;
	return 0;
}

#if defined(__TARGET_ARCH_x86)
static __always_inline bool in_compat_call(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->thread_info.status & TS_COMPAT;
}

static __always_inline int compat_call(long nr)
{
	for (int i = 0; i < WATCH_NR_COUNT; i++)
		if (compat_nr[i] == nr)
			return i;
	return -1;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(compat_enter, struct pt_regs *regs, long nr)
{
	struct watch_record *r;
	struct pt_regs g;
	int call = compat_call(nr);

	if (call < 0 || !in_compat_call() || !wanted())
		return 0;
	r = fresh();
	if (!r || bpf_probe_read_kernel(&g, sizeof(g), regs) != 0)
		return 0;
	r->call = call;
	r->nr = nr;
	r->compat = 1;
	/* i386 passes arguments in ebx, ecx, edx, esi, edi, ebp */
	__u64 a[6] = { g.bx, g.cx, g.dx, g.si, g.di, g.bp };
	for (int i = 0; i < 6; i++)
		if (i < nargs(call))
			r->args[i] = (__u32)a[i];
	return hold(r);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(compat_exit, struct pt_regs *regs, long ret)
{
	if (!in_compat_call())
		return 0;
	return leave((__s32)BPF_CORE_READ(regs, orig_ax), ret);
}
#endif
