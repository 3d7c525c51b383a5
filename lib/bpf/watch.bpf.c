/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The eBPF side of ck_watcher (lib/watch.c): clone, clone3, fork, vfork,
 * unshare and setns, host-wide. A call's entry is held per thread until its
 * exit, so that one record carries the arguments, the result and the
 * namespaces before and after; sched_process_fork, which runs in the caller
 * between the two, adds the child's namespaces.
 *
 * Two BTF tracepoint programs, at the raw sys_enter and sys_exit, see every
 * system call of every task and leave at once unless its number is one of
 * the six (native_nr, or on x86_64 compat_nr during an i386 call, TS_COMPAT:
 * the syscalls:* events skip those). They replaced one syscalls:* event per
 * call and direction: taking off a perf tracepoint waits for an RCU tasks
 * trace grace period under the kernel's event_mutex (about 60 ms each here,
 * 0.7 s for the twelve), which kept a stopped watch attached and alive; a
 * raw tracepoint comes off at once.
 *
 * At the exit the caller's executable is named by walking mm->exe_file's
 * dentries and mounts (exe_path below): bpf_d_path is refused on
 * tracepoints ("program of this type cannot use helper bpf_d_path"), and
 * /proc/PID/exe, read later in user space, is gone once a short-lived
 * caller has exited.
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
const volatile __s32 native_nr[WATCH_NR_COUNT];  /* the calls' numbers; -1 where absent */
const volatile __s32 compat_nr[WATCH_NR_COUNT];  /* i386 numbers; -1 where absent or not watched */
const volatile __u64 pidfd_flag;                 /* CLONE_PIDFD */
const volatile __u32 clone_ptid_arg;             /* where clone takes parent_tid */
const volatile __u64 wakeup_bytes;               /* wake the reader once this much waits */
const volatile bool capture_exe;                 /* walk the caller's executable */

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

/* The record being sent; the slack lets the verifier see every bounded write into exe in bounds. */
struct event_out {
	struct watch_event ev;
	char slack[WATCH_EXE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_out);
} out_scratch SEC(".maps");

/* Where exe_path() builds the path: names are prepended below buf[WATCH_EXE_MAX]. */
struct exe_scratch {
	char buf[2 * WATCH_EXE_MAX];
	__u64 top_name[WATCH_EXE_TOP];   /* the topmost components seen, by depth % WATCH_EXE_TOP */
	__u32 top_len[WATCH_EXE_TOP];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exe_scratch);
} exe_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WATCH_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* --cgroup: the directory, for bpf_current_task_under_cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &slot);
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
		count(WATCH_DROP_PENDING);
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

#if defined(__TARGET_ARCH_x86)
/* arch/x86/include/asm/thread_info.h: thread_info.status during a compat call */
#define TS_COMPAT 0x0002

static __always_inline bool in_compat_call(void)
{
	return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT;
}

/* The system call's number at its exit, and its six arguments at its entry. */
#define EXIT_NR(regs) ((long)(regs)->orig_ax)

static __always_inline void syscall_args(struct pt_regs *regs, bool compat, __u64 *a)
{
	if (compat) {
		/* i386 passes arguments in ebx, ecx, edx, esi, edi, ebp */
		a[0] = (__u32)regs->bx, a[1] = (__u32)regs->cx, a[2] = (__u32)regs->dx;
		a[3] = (__u32)regs->si, a[4] = (__u32)regs->di, a[5] = (__u32)regs->bp;
	} else {
		a[0] = regs->di, a[1] = regs->si, a[2] = regs->dx;
		a[3] = regs->r10, a[4] = regs->r8, a[5] = regs->r9;
	}
}
#elif defined(__TARGET_ARCH_arm64)
static __always_inline bool in_compat_call(void)
{
	return false;
}

#define EXIT_NR(regs) ((long)(regs)->syscallno)

static __always_inline void syscall_args(struct pt_regs *regs, bool compat, __u64 *a)
{
	for (int i = 0; i < 6; i++)
		a[i] = regs->regs[i];
}
#else
#error "the watcher knows the system call registers of x86 and arm64"
#endif

static __always_inline int index_of(const volatile __s32 *nrs, long nr)
{
	for (int i = 0; i < WATCH_NR_COUNT; i++)
		if (nrs[i] == nr)
			return i;
	return -1;
}

/*
 * Which watched call nr is (WATCH_NR_*), or -1, and whether it is an i386
 * one: the numbers first, so that every other system call leaves after a
 * dozen comparisons with constants (rodata).
 */
static __always_inline int watched(long nr, bool *compat)
{
	int native = index_of(native_nr, nr), i386 = index_of(compat_nr, nr);

	if (nr < 0 || (native < 0 && i386 < 0))
		return -1;
	*compat = in_compat_call();
	return *compat ? i386 : native;
}

static __always_inline int enter(struct pt_regs *regs, long nr)
{
	bool compat = false;
	int call = watched(nr, &compat);
	struct watch_record *r;
	__u64 a[6];

	if (call < 0 || !wanted())
		return 0;
	r = fresh();
	if (!r)
		return 0;
	r->call = call;
	r->nr = nr;
	r->compat = compat;
	syscall_args(regs, compat, a);
	for (int i = 0; i < 6; i++)
		if (i < nargs(call))
			r->args[i] = a[i];
	return hold(r);
}


/*
 * The caller's executable: mm->exe_file's path, from the caller's own root
 * (fs->root), as readlink("/proc/self/exe") shows it to the caller — for a
 * process in a container, the path inside it. The walk follows
 * prepend_path() in fs/d_path.c: up through d_parent and, at the root of a
 * mount, to where that mount is mounted. A walk that ends at the root of a
 * mount namespace (or of a detached mount) without meeting the caller's
 * root names the file from there and says WATCH_EXE_OUTSIDE_ROOT (what
 * d_path calls unreachable). It reads without the kernel's rename lock: a
 * rename during the walk gives either name, as a later readlink could.
 */
struct walk {
	__u64 dentry, vfsmnt, mnt;      /* where the walk is */
	__u64 root_dentry, root_mnt;    /* the caller's root */
	__u32 bytes;                    /* pass 1: of the whole path; pass 2: written */
	__u32 depth;                    /* components seen */
	__u32 limit;                    /* pass 2: bytes it may write */
	__u8 pass;
	__u8 reached;                   /* ended at a root */
	__u8 outside;                   /* ... that is not the caller's */
	__u8 full;                      /* pass 2: the next component did not fit */
};

#define EXE_MASK (WATCH_EXE_MAX - 1)

static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct dentry *d = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent;
	__u32 zero = 0, len;
	const unsigned char *name;

	if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt) {
		w->reached = 1;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *m = (struct mount *)w->mnt;
		struct mount *up = BPF_CORE_READ(m, mnt_parent);

		if (d != mnt_root || !up || up == m) {
			w->reached = 1;
			w->outside = 1;
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (__u64)up;
		w->vfsmnt = (__u64)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	struct exe_scratch *s = bpf_map_lookup_elem(&exe_scratch, &zero);
	if (!s)
		return 1;
	if (w->pass == 1) {
		if (len > WATCH_EXE_MAX)
			len = WATCH_EXE_MAX;
		w->bytes += len + 1;
		s->top_name[w->depth % WATCH_EXE_TOP] = (__u64)name;
		s->top_len[w->depth % WATCH_EXE_TOP] = len;
	} else {
		if (len > w->limit || w->bytes + len + 1 > w->limit) {
			w->full = 1;
			return 1;
		}
		__u32 at = WATCH_EXE_MAX - w->bytes - len - 1;
		s->buf[at & EXE_MASK] = '/';
		bpf_probe_read_kernel(&s->buf[(at + 1) & EXE_MASK], len & EXE_MASK, name);
		w->bytes += len + 1;
	}
	w->depth++;
	w->dentry = (__u64)parent;
	return 0;
}

/* One walk from the executable's dentry; pass 2 prepends at most limit bytes into exe_scratch.buf. */
static __always_inline void walk_path(struct walk *w, const struct walk *start, __u8 pass, __u32 limit)
{
	*w = *start;
	w->pass = pass;
	w->limit = limit;
	bpf_loop(WATCH_EXE_WALK, walk_step, w, 0);
}

/* The topmost components, top down, into out->ev.exe: at most WATCH_EXE_HEAD bytes. */
static long head_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	__u32 zero = 0, k, len;
	struct exe_scratch *s = bpf_map_lookup_elem(&exe_scratch, &zero);
	struct event_out *out = bpf_map_lookup_elem(&out_scratch, &zero);

	if (!s || !out || i >= w->depth || i >= WATCH_EXE_TOP)
		return 1;
	k = (w->depth - 1 - i) % WATCH_EXE_TOP;
	len = s->top_len[k];
	if (len >= WATCH_EXE_HEAD || w->bytes + len + 1 > WATCH_EXE_HEAD)
		return 1;
	out->ev.exe[w->bytes & (WATCH_EXE_HEAD - 1)] = '/';
	bpf_probe_read_kernel(&out->ev.exe[(w->bytes + 1) & (WATCH_EXE_HEAD - 1)],
			      len & (WATCH_EXE_HEAD - 1), (const void *)s->top_name[k]);
	w->bytes += len + 1;
	return 0;
}

/* Fills out->ev.exe, exe_len and exe_flags for the current task. */
static __always_inline void exe_path(struct event_out *out)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *f = BPF_CORE_READ(t, mm, exe_file);
	struct walk start = {}, w1, w2, head = {};
	struct dentry *leaf;
	struct mount *m;
	__u32 zero = 0, flags = 0, tail;
	struct exe_scratch *s = bpf_map_lookup_elem(&exe_scratch, &zero);

	out->ev.exe_len = 0;
	out->ev.exe_flags = 0;
	out->ev.exe[0] = '\0';
	if (!f || !s)
		return;
	leaf = BPF_CORE_READ(f, f_path.dentry);
	start.dentry = (__u64)leaf;
	start.vfsmnt = (__u64)BPF_CORE_READ(f, f_path.mnt);
	m = (struct mount *)(start.vfsmnt - bpf_core_field_offset(struct mount, mnt));
	start.mnt = (__u64)m;
	start.root_dentry = (__u64)BPF_CORE_READ(t, fs, root.dentry);
	start.root_mnt = (__u64)BPF_CORE_READ(t, fs, root.mnt);
	/* d_unlinked(): unhashed, and not a root */
	if (!BPF_CORE_READ(leaf, d_hash.pprev) && BPF_CORE_READ(leaf, d_parent) != leaf)
		flags |= WATCH_EXE_DELETED;

	walk_path(&w1, &start, 1, 0);
	bool whole = w1.reached && w1.bytes <= WATCH_EXE_MAX - 1;
	walk_path(&w2, &start, 2, whole ? WATCH_EXE_MAX - 1 : WATCH_EXE_TAIL);
	if (w2.full && whole) {
		/* the path grew between the two walks: keep the ends */
		whole = false;
		walk_path(&w2, &start, 2, WATCH_EXE_TAIL);
	}
	if (w1.outside)
		flags |= WATCH_EXE_OUTSIDE_ROOT;
	tail = w2.bytes & EXE_MASK;
	if (whole) {
		bpf_probe_read_kernel(out->ev.exe, tail, &s->buf[(WATCH_EXE_MAX - tail) & EXE_MASK]);
		out->ev.exe_len = tail;
	} else {
		flags |= WATCH_EXE_TRUNCATED;
		if (w1.reached) {
			head.depth = w1.depth;
			bpf_loop(WATCH_EXE_TOP, head_step, &head, 0);
		}
		__u32 at = head.bytes & (WATCH_EXE_HEAD - 1);
		out->ev.exe[at] = '/';
		if (tail > WATCH_EXE_TAIL)
			tail = WATCH_EXE_TAIL;
		bpf_probe_read_kernel(&out->ev.exe[at + 1], tail, &s->buf[(WATCH_EXE_MAX - tail) & EXE_MASK]);
		out->ev.exe_len = at + 1 + tail;
	}
	out->ev.exe[out->ev.exe_len & EXE_MASK] = '\0';
	out->ev.exe_flags = flags;
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
	__u32 zero = 0;
	struct event_out *out = bpf_map_lookup_elem(&out_scratch, &zero);
	if (!out) {
		bpf_map_delete_elem(&pending, &tid);
		return 0;
	}
	bpf_probe_read_kernel(&out->ev.rec, sizeof(out->ev.rec), r);
	bpf_map_delete_elem(&pending, &tid);
	if (capture_exe) {
		exe_path(out);
	} else {
		out->ev.exe_len = 0;
		out->ev.exe_flags = 0;
		out->ev.exe[0] = '\0';
	}
	/* a wakeup per event would cost the caller more than the call; the reader also polls on a timer */
	__u64 wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
			     BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	__u64 size = __builtin_offsetof(struct watch_event, exe) + (out->ev.exe_len & EXE_MASK) + 1;
	count(bpf_ringbuf_output(&events, &out->ev, size, wake) == 0 ? WATCH_SENT : WATCH_DROP_RING);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_enter, struct pt_regs *regs, long nr)
{
	return enter(regs, nr);
}

/* Every exit, the child's return from fork included: leave() finds nothing held for it. */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_exit, struct pt_regs *regs, long ret)
{
	long nr = EXIT_NR(regs);
	bool compat;

	if (watched(nr, &compat) < 0)
		return 0;
	return leave((__s32)nr, ret);
}

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
