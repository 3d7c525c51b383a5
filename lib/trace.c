/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ptrace tracer. Every task is seized with the fork, vfork, clone, exec
 * and seccomp events, so descendants are attached by the kernel; a
 * CLONE_UNTRACED child too, since the tracer takes the flag out of the call.
 * Tasks are stopped at every syscall entry and exit; with CK_TRACE_SECCOMP a
 * started command carries a filter that turns only the process-creation
 * calls into PTRACE_EVENT_SECCOMP stops, and dies with the tracer
 * (PTRACE_O_EXITKILL), since without one the filter fails those calls. A
 * call is read at its entry (PTRACE_GET_SYSCALL_INFO gives the ABI, so i386
 * calls are told apart), and its result taken at the
 * PTRACE_EVENT_FORK/VFORK/CLONE stop when it made a traced child (the exit
 * stop is then skipped), or at the syscall-exit stop otherwise.
 */
#include <clonekit/abi.h>
#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/trace.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal/live.h"
#include "internal/seccomp.h"
#include "internal/spawn.h"
#include "internal/util.h"

#define TRACE_OPTIONS                                                                   \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |             \
	 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP)
#define KNOWN_FLAGS (CK_TRACE_NO_SECCOMP | CK_TRACE_SECCOMP)

/* The kernel's restart codes: the call is entered again once the signal is handled. */
#define ERESTART_FIRST 512
#define ERESTART_LAST 516

#define HASH_MIN 64
#define FIX_MAX 64 /* calls changed to follow a CLONE_UNTRACED child, at once */

/* A call changed to follow its CLONE_UNTRACED child (follow_untraced), until put back in both. */
struct untraced_fix {
	pid_t caller;
	pid_t child;                /* as the caller's event stop named it; 0 not yet */
	unsigned long nr, ip, mark; /* the call, where, and the marker: a child's registers show all three */
	size_t reg[2];              /* the marker's register, then the flags' or clone3 pointer's */
	unsigned long saved[2];     /* what they held */
	size_t nregs;
	uint64_t mem;               /* where clone3's flags were changed in place; 0 not */
	uint64_t mem_saved;
	bool mem_shared, mem_put;   /* CLONE_VM: one put back in memory serves both */
	bool caller_done, child_done;
};

struct tracee {
	struct tracee *next;        /* hash chain */
	pid_t tid;
	bool in_call;               /* entered one of the six calls, result not yet known */
	pid_t child;                /* the traced task the call made (its event stop), 0 none */
	/* what the task is, kept between calls (namespaces are per thread) */
	const struct ck_arch_info *abi; /* of the call in progress */
	bool ns_loaded;
	bool children_ns_differ;    /* pid_for_children or time_for_children is not its own */
	bool announced;             /* its parent's fork/vfork/clone event stop was seen */
	bool exe_loaded, cgroup_loaded;
	bool started;               /* a stop of its own was seen */
	uint64_t ns[CK_NS__COUNT];
	uint64_t cgroup_id;
	char exe[256];
	struct ck_event ev;         /* the call in progress */
};

struct ck_tracer {
	pid_t root;
	bool seccomp;               /* the tasks carry the filter: resumed with PTRACE_CONT */
	bool detaching;
	bool ended;                 /* ck_trace_run returned: nothing is traced */
	bool have_status;
	int status;
	volatile sig_atomic_t stop;
	struct ck_child *command;   /* the command ck_trace_spawn started, NULL when attached */
	/* a held child never released: ck_trace_stop kills it to wake waitpid() */
	struct ck_child *sentinel;
	pid_t sentinel_pid;
	int sentinel_fd;
	struct tracee **buckets;
	size_t nbuckets, count;
	/* tasks whose end was reported before their parent's event stop named them */
	pid_t *early;
	size_t nearly, early_cap;
	struct untraced_fix fixes[FIX_MAX];
	size_t nfixes;
	unsigned long next_mark;
	uint64_t own_pidns;
	char cgroup_mnt[512];       /* "" unknown */
	void (*cb)(const struct ck_event *e, void *data);
	void *data;
};

/* What handling one stop decided, done once the task is resumed or detached. */
struct outcome {
	int sig;                    /* the signal to deliver */
	bool listen;                /* a group-stop: stay stopped (PTRACE_LISTEN) */
	bool entered;               /* a call was entered: read the caller from /proc after resuming */
	bool have_event;
	struct ck_event event;
};

static const char *const ns_names[CK_NS__COUNT] = {
	[CK_NS_USER] = "user", [CK_NS_PID] = "pid", [CK_NS_NET] = "net", [CK_NS_MNT] = "mnt",
	[CK_NS_UTS] = "uts", [CK_NS_IPC] = "ipc", [CK_NS_CGROUP] = "cgroup", [CK_NS_TIME] = "time",
};

/* include/linux/proc_ns.h: the inode numbers of the initial user and PID namespaces */
#define PROC_USER_INIT_INO 0xEFFFFFFDu
#define PROC_PID_INIT_INO 0xEFFFFFFCu

/* ---- the task table ---- */

static struct tracee *find(const struct ck_tracer *t, pid_t tid)
{
	struct tracee *tr = t->buckets[(size_t)tid & (t->nbuckets - 1)];
	while (tr && tr->tid != tid)
		tr = tr->next;
	return tr;
}

static void rehash(struct ck_tracer *t)
{
	size_t n = t->nbuckets * 4;
	struct tracee **b = calloc(n, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		for (struct tracee *tr = t->buckets[i], *next; tr; tr = next) {
			next = tr->next;
			tr->next = b[(size_t)tr->tid & (n - 1)];
			b[(size_t)tr->tid & (n - 1)] = tr;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static struct tracee *add(struct ck_tracer *t, pid_t tid)
{
	struct tracee *tr = calloc(1, sizeof(*tr));
	if (!tr)
		return NULL;
	tr->tid = tid;
	if (t->count >= t->nbuckets * 2)
		rehash(t);
	size_t i = (size_t)tid & (t->nbuckets - 1);
	tr->next = t->buckets[i];
	t->buckets[i] = tr;
	t->count++;
	return tr;
}

static void drop(struct ck_tracer *t, struct tracee *tr)
{
	struct tracee **p = &t->buckets[(size_t)tr->tid & (t->nbuckets - 1)];
	while (*p != tr)
		p = &(*p)->next;
	*p = tr->next;
	t->count--;
	free(tr);
}

static void drop_all(struct ck_tracer *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		while (t->buckets[i])
			drop(t, t->buckets[i]);
	}
}

/*
 * A new task can stop, be resumed, run and end before its parent's fork,
 * vfork or clone event stop is seen (the two run on different CPUs), or even
 * end before its first stop is seen. The end of a task no event stop has
 * named is remembered here, so that the late event does not add a task that
 * will never report again (the tracer would wait for it forever).
 */
static void early_add(struct ck_tracer *t, pid_t tid)
{
	if (t->nearly == t->early_cap) {
		size_t cap = t->early_cap ? t->early_cap * 2 : 16;
		pid_t *p = cap <= 65536 ? realloc(t->early, cap * sizeof(*p)) : NULL;
		if (!p) {
			if (t->nearly == 0)
				return;
			/* bounded: forget the oldest (its event stop is long overdue) */
			memmove(t->early, t->early + 1, (t->nearly - 1) * sizeof(*t->early));
			t->nearly--;
		} else {
			t->early = p;
			t->early_cap = cap;
		}
	}
	t->early[t->nearly++] = tid;
}

/* Whether tid was remembered by early_add; it is forgotten either way. */
static bool early_take(struct ck_tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nearly; i++) {
		if (t->early[i] == tid) {
			t->early[i] = t->early[--t->nearly];
			return true;
		}
	}
	return false;
}

/* ---- reading a task ---- */

static uint64_t inode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void load_ns(pid_t tid, uint64_t ns[CK_NS__COUNT], bool *children_differ)
{
	char path[64];
	for (int i = 0; i < CK_NS__COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)tid, ns_names[i]);
		ns[i] = inode_of(path);
	}
	if (!children_differ)
		return;
	/* after unshare(CLONE_NEWPID or CLONE_NEWTIME) children get other namespaces than the caller */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", (int)tid);
	uint64_t pid_children = inode_of(path);
	snprintf(path, sizeof(path), "/proc/%d/ns/time_for_children", (int)tid);
	uint64_t time_children = inode_of(path);
	*children_differ = pid_children != ns[CK_NS_PID] || time_children != ns[CK_NS_TIME];
}

static void load_task_ns(struct tracee *tr)
{
	load_ns(tr->tid, tr->ns, &tr->children_ns_differ);
	tr->ns_loaded = tr->ns[CK_NS_PID] != 0;
}

static void read_status(pid_t tid, struct ck_event *e)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (ck__read_small_file(path, buf, sizeof(buf)) < 0)
		return;
	for (char *line = buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, "Tgid:", 5) == 0)
			e->pid = (int32_t)strtol(line + 5, NULL, 10);
		else if (strncmp(line, "PPid:", 5) == 0)
			e->ppid = (int32_t)strtol(line + 5, NULL, 10);
		else if (strncmp(line, "Uid:", 4) == 0)
			e->uid = (uint32_t)strtoul(line + 4, NULL, 10);
	}
}

static uint64_t cgroup_id_of(struct ck_tracer *t, pid_t tid)
{
	char path[64], buf[4096], dir[4700];
	if (!t->cgroup_mnt[0] && ck__cgroup2_mount(t->cgroup_mnt, sizeof(t->cgroup_mnt)) < 0)
		snprintf(t->cgroup_mnt, sizeof(t->cgroup_mnt), "-");
	if (t->cgroup_mnt[0] == '-')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)tid);
	if (ck__read_small_file(path, buf, sizeof(buf)) < 0)
		return 0;
	char *p = strncmp(buf, "0::", 3) == 0 ? buf : strstr(buf, "\n0::");
	if (!p)
		return 0;
	p += p == buf ? 3 : 4;
	p[strcspn(p, "\n")] = '\0';
	snprintf(dir, sizeof(dir), "%s%s", t->cgroup_mnt, p);
	return inode_of(dir); /* a cgroup v2 directory's inode number is its id */
}

/* Who the caller is; read while the call runs (it changes none of this). */
static void fill_caller(struct ck_tracer *t, struct tracee *tr)
{
	struct ck_event *e = &tr->ev;
	char path[64];
	ssize_t n;

	read_status(tr->tid, e);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tr->tid);
	if (ck__read_small_file(path, e->comm, sizeof(e->comm)) < 0)
		e->comm[0] = '\0';
	if (!tr->exe_loaded) {
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)tr->tid);
		n = readlink(path, tr->exe, sizeof(tr->exe) - 1);
		tr->exe[n > 0 ? n : 0] = '\0';
		tr->exe_loaded = n > 0;
	}
	memcpy(e->exe, tr->exe, sizeof(tr->exe));
	if (!tr->cgroup_loaded) {
		tr->cgroup_id = cgroup_id_of(t, tr->tid);
		tr->cgroup_loaded = tr->cgroup_id != 0;
	}
	e->cgroup_id = tr->cgroup_id;
	if (!tr->ns_loaded)
		load_task_ns(tr);
	memcpy(e->ns_before, tr->ns, sizeof(e->ns_before));
	e->in_container = (tr->ns[CK_NS_USER] && tr->ns[CK_NS_USER] != PROC_USER_INIT_INO) ||
			  (tr->ns[CK_NS_PID] && tr->ns[CK_NS_PID] != PROC_PID_INIT_INO);
}

static int read_mem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	/* without process_vm_readv (or across a page it refused), word by word */
	const uint64_t w = sizeof(long);
	for (uint64_t a = addr & ~(w - 1); a < addr + len; a += w) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)a, NULL);
		if (errno)
			return -errno;
		for (uint64_t i = 0; i < w; i++)
			if (a + i >= addr && a + i < addr + len)
				((unsigned char *)buf)[a + i - addr] = ((unsigned char *)&v)[i];
	}
	return 0;
}

/* ---- decoding a call ---- */

/* x32 shares x86_64's AUDIT_ARCH and is told apart by a bit in the number. */
static const struct ck_arch_info *arch_of(uint32_t audit, uint64_t nr)
{
	const struct ck_arch_info *best = NULL;
	for (size_t i = 0; i < ck_arch_count(); i++) {
		const struct ck_arch_info *a = ck_arch_at(i);
		if (a->audit_arch != audit || (nr & a->syscall_bit) != a->syscall_bit)
			continue;
		if (!best || a->syscall_bit > best->syscall_bit)
			best = a;
	}
	return best;
}

static uint64_t clone_arg(const struct ck_arch_info *a, const uint64_t *args, enum ck_clone_arg which,
			  uint64_t mask)
{
	int i = ck_clone_arg_index(a->clone_order, which);
	return i >= 0 ? args[i] & mask : 0;
}

/* Fills tr->ev from an entry or seccomp stop; false when the call is none of the six. */
static bool decode(struct tracee *tr, uint32_t audit, uint64_t nr, const uint64_t *args)
{
	static const enum ck_event_call calls[CK_NR__COUNT] = {
		[CK_NR_CLONE] = CK_CALL_CLONE, [CK_NR_CLONE3] = CK_CALL_CLONE3,
		[CK_NR_FORK] = CK_CALL_FORK, [CK_NR_VFORK] = CK_CALL_VFORK,
		[CK_NR_UNSHARE] = CK_CALL_UNSHARE, [CK_NR_SETNS] = CK_CALL_SETNS,
	};
	const struct ck_arch_info *a = arch_of(audit, nr);
	struct ck_event *e = &tr->ev;
	struct timespec ts;
	enum ck_nr which;

	if (!a || ck_sysno_lookup(a->arch, (long)nr, &which) < 0)
		return false;
	uint64_t mask = a->bits == 32 ? UINT32_MAX : UINT64_MAX;
	tr->abi = a;
	ck_event_init(e);
	e->source = CK_SOURCE_TRACE;
	e->traced = true;
	e->arch = a->arch;
	e->tid = tr->tid;
	e->call = calls[which];
	clock_gettime(CLOCK_REALTIME, &ts);
	e->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	switch (which) {
	case CK_NR_CLONE:
		e->flags = clone_arg(a, args, CK_CLONE_ARG_FLAGS, mask);
		e->stack = clone_arg(a, args, CK_CLONE_ARG_STACK, mask);
		e->parent_tid = clone_arg(a, args, CK_CLONE_ARG_PARENT_TID, mask);
		e->child_tid = clone_arg(a, args, CK_CLONE_ARG_CHILD_TID, mask);
		e->tls = clone_arg(a, args, CK_CLONE_ARG_TLS, mask);
		break;
	case CK_NR_CLONE3:
		e->args_addr = args[0] & mask;
		e->args_size = args[1] & mask;
		if (e->args_size >= CK_CLONE3_SIZE_VER0) {
			size_t n = e->args_size < sizeof(e->args) ? (size_t)e->args_size : sizeof(e->args);
			e->has_args = read_mem(tr->tid, e->args_addr, &e->args, n) == 0;
			if (!e->has_args)
				memset(&e->args, 0, sizeof(e->args));
		}
		if (e->has_args)
			e->flags = e->args.flags;
		break;
	case CK_NR_UNSHARE:
		e->flags = args[0] & mask;
		break;
	case CK_NR_SETNS:
		e->fd = (int32_t)args[0];
		e->flags = (uint32_t)args[1];
		break;
	default:
		break;
	}
	tr->in_call = true;
	tr->child = 0;
	return true;
}

static bool same_pidns(const struct ck_tracer *t, const struct tracee *tr)
{
	return t->own_pidns && tr->ns_loaded && tr->ns[CK_NS_PID] == t->own_pidns;
}

/* The namespaces of the child the call made; c (if traced) inherits them. */
static void child_ns(struct tracee *tr, pid_t child, struct tracee *c)
{
	struct ck_event *e = &tr->ev;
	if (!(ck_event_flags(e) & CK_CLONE_NEWNS_ALL) && !tr->children_ns_differ && tr->ns_loaded) {
		memcpy(e->ns_after, tr->ns, sizeof(e->ns_after));
		if (c && !c->ns_loaded) {
			memcpy(c->ns, tr->ns, sizeof(c->ns));
			c->ns_loaded = true;
			c->children_ns_differ = false;
		}
		return;
	}
	if (c) {
		load_task_ns(c);
		memcpy(e->ns_after, c->ns, sizeof(e->ns_after));
	} else {
		load_ns(child, e->ns_after, NULL);
	}
}

static void read_pidfd(struct tracee *tr)
{
	struct ck_event *e = &tr->ev;
	uint64_t f = ck_event_flags(e), where = 0;
	int32_t fd;
	if (!(f & CK_CLONE_PIDFD))
		return;
	if (e->call == CK_CALL_CLONE)
		where = e->parent_tid;
	else if (e->call == CK_CALL_CLONE3 && e->has_args)
		where = e->args.pidfd;
	if (where && read_mem(tr->tid, where, &fd, sizeof(fd)) == 0)
		e->pidfd = fd;
}

/* The call is over (or will not be seen again): hand it out. */
static void finish(struct tracee *tr, struct outcome *o)
{
	ck_event_classify(&tr->ev);
	o->event = tr->ev;
	o->have_event = true;
	tr->in_call = false;
}

/* A call whose end will not be seen: the caller died, left the trace, or exec'd. */
static void finish_unfinished(const struct ck_tracer *t, struct tracee *tr, struct outcome *o)
{
	if (tr->child > 0 && same_pidns(t, tr)) {
		tr->ev.has_result = true;
		tr->ev.result = tr->child;
	}
	finish(tr, o);
}

/* ---- following CLONE_UNTRACED children ---- */

/*
 * CLONE_UNTRACED makes a child that ptrace does not attach: it would leave
 * the trace (seed 002: the flag is no protection), and with the filter it
 * would carry a SECCOMP_RET_TRACE that no tracer answers, so that its own
 * calls failed with ENOSYS. At the call's entry or seccomp stop the flag is
 * taken out of the call (the flags register, or clone3's pointer moved to a
 * copy of its struct below the red zone of the caller's stack), so the
 * kernel attaches the child as any other, and a marker goes into the unused
 * sixth argument. What was changed is put back in the caller at its event or
 * exit stop, and in the child, known by the marker, at its first stop:
 * before either runs an instruction of its own.
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#define CAN_CHANGE_CALLS 1
#define REG(name) offsetof(struct user_regs_struct, name)
static const size_t native_args[6] = { REG(rdi), REG(rsi), REG(rdx), REG(r10), REG(r8), REG(r9) };
static const size_t i386_args[6] = { REG(rbx), REG(rcx), REG(rdx), REG(rsi), REG(rdi), REG(rbp) };
#define REG_NR REG(orig_rax)
#define REG_IP REG(rip)
#define REG_SP REG(rsp)
#define RED_ZONE 128 /* the x86_64 ABI's: a leaf function may keep data there */
#elif defined(__i386__)
#define CAN_CHANGE_CALLS 1
#define REG(name) offsetof(struct user_regs_struct, name)
static const size_t native_args[6] = { REG(ebx), REG(ecx), REG(edx), REG(esi), REG(edi), REG(ebp) };
#define i386_args native_args
#define REG_NR REG(orig_eax)
#define REG_IP REG(eip)
#define REG_SP REG(esp)
#define RED_ZONE 0
#else
#define CAN_CHANGE_CALLS 0 /* no code here changes another architecture's registers */
#endif

#define MARK_BASE 0x434b0000ul /* "CK", in 32 bits for i386's registers */

#if CAN_CHANGE_CALLS
/* PTRACE_POKEUSER's offsets are into struct user, which starts with the registers */
_Static_assert(offsetof(struct user, regs) == 0, "struct user starts with its registers");

static int write_mem_plain(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)(uintptr_t)addr, len };
	/* not PTRACE_POKEDATA, which writes even where the task itself could not read */
	return process_vm_writev(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* Writes len bytes at addr a word at a time (PTRACE_POKEDATA), keeping the words' other bytes. */
static int poke_mem(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	const uint64_t w = sizeof(long);
	for (uint64_t a = addr & ~(w - 1); a < addr + len; a += w) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)a, NULL);
		if (errno)
			return -errno;
		for (uint64_t i = 0; i < w; i++)
			if (a + i >= addr && a + i < addr + len)
				((unsigned char *)&v)[i] = ((const unsigned char *)buf)[a + i - addr];
		if (ptrace(PTRACE_POKEDATA, tid, (void *)(uintptr_t)a, (void *)v) < 0)
			return -errno;
	}
	return 0;
}

static unsigned long reg_at(const struct user_regs_struct *r, size_t off)
{
	unsigned long v;
	memcpy(&v, (const char *)r + off, sizeof(v));
	return v;
}

static int set_reg(pid_t tid, size_t off, unsigned long v)
{
	return ptrace(PTRACE_POKEUSER, tid, (void *)off, (void *)v) < 0 ? -errno : 0;
}

static void put_back(pid_t tid, struct untraced_fix *f)
{
	for (size_t i = 0; i < f->nregs; i++)
		set_reg(tid, f->reg[i], f->saved[i]);
	/* once only in memory the child shares, which it may be using by now */
	if (f->mem && !(f->mem_shared && f->mem_put))
		poke_mem(tid, f->mem, &f->mem_saved, sizeof(f->mem_saved));
	f->mem_put = true;
}

/*
 * Copies clone3's struct without CLONE_UNTRACED below the caller's red zone:
 * its address, or 0 when there is no room there (*in_place then says where
 * the flags are, to change them in place) or nothing to change.
 */
static uint64_t clone3_copy(const struct tracee *tr, const struct user_regs_struct *regs, uint64_t *in_place)
{
	uint64_t size = tr->ev.args_size, addr = tr->ev.args_addr, sp = reg_at(regs, REG_SP), flags;
	uint64_t limit = tr->abi->bits == 32 ? UINT32_MAX : UINT64_MAX;
	unsigned char *buf;

	*in_place = 0;
	/* the kernel refuses other sizes before it reads, and EFAULTs what it cannot read */
	if (size < CK_CLONE3_SIZE_VER0 || size > (uint64_t)sysconf(_SC_PAGESIZE) || !(buf = malloc(size)))
		return 0;
	if (read_mem(tr->tid, addr, buf, size) < 0) {
		free(buf);
		return 0;
	}
	memcpy(&flags, buf, sizeof(flags));
	flags &= ~CK_CLONE_UNTRACED;
	memcpy(buf, &flags, sizeof(flags));
	uint64_t dst = (sp - RED_ZONE - size) & ~(uint64_t)15;
	bool room = sp > RED_ZONE + size + 15 && dst + size <= limit && (dst >= addr + size || dst + size <= addr) &&
		    write_mem_plain(tr->tid, dst, buf, size) == 0;
	free(buf);
	*in_place = room ? 0 : addr;
	return room ? dst : 0;
}

/* A marker no call in flight has, so that each child is matched to its own. */
static unsigned long new_mark(struct ck_tracer *t)
{
	for (;;) {
		unsigned long mark = MARK_BASE | (t->next_mark++ & 0xffff);
		size_t i = 0;
		while (i < t->nfixes && t->fixes[i].mark != mark)
			i++;
		if (i == t->nfixes)
			return mark;
	}
}

/* Takes CLONE_UNTRACED out of the call tr has entered; false when it cannot. */
static bool follow_untraced(struct ck_tracer *t, struct tracee *tr)
{
	const size_t *arg = tr->ev.arch == CK_ARCH_I386 ? i386_args : native_args;
	int flags_arg = ck_clone_arg_index(tr->abi->clone_order, CK_CLONE_ARG_FLAGS);
	struct untraced_fix f = { .caller = tr->tid };
	struct user_regs_struct regs;
	unsigned long value = 0;

	if (flags_arg < 0 || ptrace(PTRACE_GETREGS, tr->tid, NULL, &regs) < 0)
		return false;
	if (t->nfixes == FIX_MAX) /* the oldest: its caller died before naming a child that never stopped */
		memmove(t->fixes, t->fixes + 1, --t->nfixes * sizeof(*t->fixes));
	f.nr = reg_at(&regs, REG_NR);
	f.ip = reg_at(&regs, REG_IP);
	f.mark = new_mark(t);
	f.reg[f.nregs++] = arg[5];
	if (tr->ev.call == CK_CALL_CLONE) {
		f.reg[f.nregs++] = arg[flags_arg];
		value = reg_at(&regs, f.reg[1]) & ~(unsigned long)CK_CLONE_UNTRACED;
	} else if ((value = clone3_copy(tr, &regs, &f.mem)) != 0) {
		f.reg[f.nregs++] = arg[0];
	} else if (f.mem) {
		uint64_t flags = tr->ev.args.flags & ~CK_CLONE_UNTRACED;
		f.mem_saved = tr->ev.args.flags;
		f.mem_shared = (flags & CK_CLONE_VM) != 0;
		if (poke_mem(tr->tid, f.mem, &flags, sizeof(flags)) < 0)
			return false;
	} else {
		return false;
	}
	for (size_t i = 0; i < f.nregs; i++)
		f.saved[i] = reg_at(&regs, f.reg[i]);
	if (set_reg(tr->tid, f.reg[0], f.mark) < 0 || (f.nregs == 2 && set_reg(tr->tid, f.reg[1], value) < 0)) {
		put_back(tr->tid, &f);
		return false;
	}
	t->fixes[t->nfixes++] = f;
	return true;
}

/* Its first stop: if a changed call made tid, put back in it what the call had. */
static void untraced_child_start(struct ck_tracer *t, pid_t tid)
{
	struct user_regs_struct regs;
	if (t->nfixes == 0 || ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0)
		return;
	for (size_t i = 0; i < t->nfixes; i++) {
		struct untraced_fix *f = &t->fixes[i];
		if (f->child_done || (f->child && f->child != tid) || reg_at(&regs, REG_NR) != f->nr ||
		    reg_at(&regs, REG_IP) != f->ip || reg_at(&regs, f->reg[0]) != f->mark)
			continue;
		put_back(tid, f);
		f->child_done = true;
		break;
	}
}
#else
static bool follow_untraced(struct ck_tracer *t, struct tracee *tr)
{
	return false;
}

static void put_back(pid_t tid, struct untraced_fix *f)
{
}

static void untraced_child_start(struct ck_tracer *t, pid_t tid)
{
}
#endif

static void fixes_collect(struct ck_tracer *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nfixes; i++)
		if (!t->fixes[i].caller_done || !t->fixes[i].child_done)
			t->fixes[n++] = t->fixes[i];
	t->nfixes = n;
}

/*
 * The caller's changed call is over (child: the child it made, 0 none, -1
 * not known): put back what was changed in it, unless it is gone.
 */
static void untraced_caller_done(struct ck_tracer *t, pid_t tid, pid_t child, bool alive)
{
	for (size_t i = 0; i < t->nfixes; i++) {
		struct untraced_fix *f = &t->fixes[i];
		if (f->caller != tid || f->caller_done)
			continue;
		if (alive)
			put_back(tid, f);
		f->caller_done = true;
		if (child > 0)
			f->child = child;
		else if (child == 0)
			f->child_done = true;
	}
	fixes_collect(t);
}

/* A task ended before its first stop: no fix waits for it any more. */
static void untraced_child_gone(struct ck_tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nfixes; i++)
		if (t->fixes[i].child == tid)
			t->fixes[i].child_done = true;
	fixes_collect(t);
}

/* ---- the stops ---- */

static bool syscall_info(pid_t tid, struct __ptrace_syscall_info *si)
{
	memset(si, 0, sizeof(*si));
	return ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(*si), si) > 0;
}

static void enter(struct ck_tracer *t, struct tracee *tr, uint32_t audit, uint64_t nr, const uint64_t *args,
		  struct outcome *o)
{
	if (!decode(tr, audit, nr, args))
		return;
	/* unshare and setns change the caller's namespaces as soon as it runs */
	if ((tr->ev.call == CK_CALL_UNSHARE || tr->ev.call == CK_CALL_SETNS) && !tr->ns_loaded)
		load_task_ns(tr);
	/* CLONE_PTRACE attaches the child anyway */
	if ((tr->ev.call == CK_CALL_CLONE || tr->ev.call == CK_CALL_CLONE3) &&
	    (ck_event_flags(&tr->ev) & (CK_CLONE_UNTRACED | CK_CLONE_PTRACE)) == CK_CLONE_UNTRACED)
		follow_untraced(t, tr);
	o->entered = true;
}

static void leave(struct ck_tracer *t, struct tracee *tr, const struct __ptrace_syscall_info *si,
		  struct outcome *o)
{
	struct ck_event *e = &tr->ev;
	int64_t rv = si->exit.rval;

	untraced_caller_done(t, tr->tid, rv <= 0 ? 0 : tr->child ? tr->child : -1, true);
	if (si->exit.is_error && rv <= -ERESTART_FIRST && rv >= -ERESTART_LAST) {
		tr->in_call = false; /* it is entered again: reported then */
		return;
	}
	e->has_result = true;
	e->result = rv;
	switch (e->call) {
	case CK_CALL_UNSHARE:
	case CK_CALL_SETNS:
		if (rv == 0)
			load_task_ns(tr);
		memcpy(e->ns_after, tr->ns, sizeof(e->ns_after));
		break;
	default:
		if (rv <= 0 || tr->child)
			break;
		/* a child without an event stop was not attached: follow_untraced could not change the call */
		if ((ck_event_flags(e) & CK_CLONE_UNTRACED) && !(ck_event_flags(e) & CK_CLONE_PTRACE))
			e->kinds |= CK_EVENT_ESCAPED;
		if (same_pidns(t, tr))
			child_ns(tr, (pid_t)rv, NULL);
		read_pidfd(tr);
	}
	finish(tr, o);
}

static void syscall_stop(struct ck_tracer *t, struct tracee *tr, struct outcome *o)
{
	struct __ptrace_syscall_info si;
	if (!syscall_info(tr->tid, &si))
		return;
	if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
		if (tr->in_call)
			finish_unfinished(t, tr, o);
		/* with the filter a seccomp stop follows for the calls that matter */
		if (!t->seccomp)
			enter(t, tr, si.arch, si.entry.nr, si.entry.args, o);
	} else if (si.op == PTRACE_SYSCALL_INFO_EXIT && tr->in_call) {
		leave(t, tr, &si, o);
	}
}

static void seccomp_stop(struct ck_tracer *t, struct tracee *tr, struct outcome *o)
{
	struct __ptrace_syscall_info si;
	/* in_call: a task's own RET_TRACE filter, after its entry stop was seen */
	if (tr->in_call || !syscall_info(tr->tid, &si) || si.op != PTRACE_SYSCALL_INFO_SECCOMP)
		return;
	enter(t, tr, si.arch, si.seccomp.nr, si.seccomp.args, o);
}

static void child_stop(struct ck_tracer *t, struct tracee *tr, struct outcome *o)
{
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, tr->tid, NULL, &msg) < 0 || msg == 0)
		return;
	pid_t child = (pid_t)msg;
	untraced_caller_done(t, tr->tid, child, true);
	struct tracee *c = find(t, child);
	if (!c && !early_take(t, child))
		c = add(t, child);
	if (c)
		c->announced = true;
	uint64_t f = tr->in_call ? ck_event_flags(&tr->ev) : 0;
	if (c && !c->exe_loaded && tr->exe_loaded) {
		memcpy(c->exe, tr->exe, sizeof(c->exe));
		c->exe_loaded = true;
	}
	if (c && !c->cgroup_loaded && tr->cgroup_loaded && !(f & CK_CLONE_INTO_CGROUP)) {
		c->cgroup_id = tr->cgroup_id;
		c->cgroup_loaded = true;
	}
	if (!tr->in_call)
		return; /* attached in the middle of the call */
	tr->child = child;
	child_ns(tr, child, c);
	read_pidfd(tr);
	/* the result is the child's PID as the caller sees it: ours only in our PID namespace */
	if (same_pidns(t, tr)) {
		tr->ev.has_result = true;
		tr->ev.result = child;
		finish(tr, o);
	}
}

static void exec_stop(struct ck_tracer *t, struct tracee *tr, struct outcome *o)
{
	unsigned long former = 0;
	if (tr->in_call)
		finish_unfinished(t, tr, o);
	/* a thread other than the leader exec'd: it now has the leader's TID */
	if (ptrace(PTRACE_GETEVENTMSG, tr->tid, NULL, &former) == 0 && former &&
	    (pid_t)former != tr->tid) {
		struct tracee *old = find(t, (pid_t)former);
		if (old) {
			tr->ns_loaded = old->ns_loaded;
			tr->children_ns_differ = old->children_ns_differ;
			memcpy(tr->ns, old->ns, sizeof(tr->ns));
			drop(t, old);
		}
	}
	tr->exe_loaded = false;
	/* execve enters time_for_children */
	if (tr->children_ns_differ)
		tr->ns_loaded = false;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void emit(struct ck_tracer *t, const struct ck_event *e)
{
	if (t->cb)
		t->cb(e, t->data);
}

static void resume(const struct ck_tracer *t, const struct tracee *tr, int sig)
{
	enum __ptrace_request req = tr->in_call || !t->seccomp ? PTRACE_SYSCALL : PTRACE_CONT;
	/* ESRCH: killed meanwhile, its end is reported by waitpid */
	ptrace(req, tr->tid, NULL, (void *)(long)sig);
}

static void handle(struct ck_tracer *t, pid_t pid, int st)
{
	struct tracee *tr = find(t, pid);
	struct outcome o;

	o.sig = 0;
	o.listen = o.entered = o.have_event = false;
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		if (pid == t->sentinel_pid) {
			ck__spawn_child_reaped(t->sentinel);
			return;
		}
		if (pid == t->root) {
			t->status = st;
			t->have_status = true;
			if (t->command)
				ck__spawn_child_reaped(t->command);
		}
		if (!tr || !tr->started)
			untraced_child_gone(t, pid);
		if (!tr) {
			early_add(t, pid);
			return;
		}
		untraced_caller_done(t, pid, -1, false);
		if (tr->in_call)
			finish_unfinished(t, tr, &o);
		if (!tr->announced)
			early_add(t, pid);
		drop(t, tr);
		if (o.have_event)
			emit(t, &o.event);
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	if (!tr && t->nearly)
		early_take(t, pid); /* a TID used again */
	if (!tr && !(tr = add(t, pid))) {
		/* no memory to follow it; with the filter it must not run on untraced */
		if (t->seccomp)
			syscall(SYS_tkill, pid, SIGKILL);
		else
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return;
	}
	if (!tr->started) {
		tr->started = true;
		untraced_child_start(t, pid);
	}
	int sig = WSTOPSIG(st);
	switch ((unsigned)st >> 16) {
	case 0:
		if (sig == (SIGTRAP | 0x80))
			syscall_stop(t, tr, &o);
		else
			o.sig = sig;
		break;
	case PTRACE_EVENT_SECCOMP:
		seccomp_stop(t, tr, &o);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		child_stop(t, tr, &o);
		break;
	case PTRACE_EVENT_EXEC:
		exec_stop(t, tr, &o);
		break;
	case PTRACE_EVENT_STOP:
		o.listen = is_stop_signal(sig);
		break;
	default:
		break;
	}
	if (t->detaching && t->seccomp) {
		if (o.entered)
			fill_caller(t, tr);
		if (tr->in_call && !o.have_event)
			finish_unfinished(t, tr, &o);
		/* the filter cannot be removed: ended, not left crippled; its end is reported */
		syscall(SYS_tkill, pid, SIGKILL);
	} else if (t->detaching) {
		if (o.entered)
			fill_caller(t, tr);
		if (tr->in_call && !o.have_event)
			finish_unfinished(t, tr, &o);
		/* a call changed at this stop has not run yet: it runs as the caller made it */
		untraced_caller_done(t, pid, o.entered ? 0 : -1, true);
		ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)o.sig);
		drop(t, tr);
	} else {
		if (o.listen)
			ptrace(PTRACE_LISTEN, pid, NULL, NULL);
		else
			resume(t, tr, o.sig);
		if (o.entered)
			fill_caller(t, tr);
	}
	if (o.have_event)
		emit(t, &o.event);
}

static void detach_all(struct ck_tracer *t)
{
	int st;
	t->detaching = true;
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct tracee *tr = t->buckets[i]; tr; tr = tr->next)
			ptrace(PTRACE_INTERRUPT, tr->tid, NULL, NULL);
	while (t->count > 0) {
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing is left to wait for */
		}
		handle(t, pid, st);
	}
	drop_all(t);
	t->ended = true;
}

/* ---- the tracer ---- */

/* Fails a start at a tracer step with errno e, as the launcher's own steps fail. */
static int start_fail(struct ck_spawn_error *err, enum ck__step step, int e, const char *why)
{
	struct ck__failure f = { .step = step, .err = e, .why = why };
	ck__spawn_error_set(err, &f);
	return -e;
}

/* The sentinel: a child held before execve, so it waits until killed (or until we exit). */
static int sentinel_start(struct ck_tracer *t, struct ck_spawn_error *err)
{
	static char *const argv[] = { "clonekit-trace-sentinel", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int r;

	if (!a)
		return -ENOMEM;
	r = ck_spawn_attr_set_die_with_parent(a, SIGKILL);
	if (r == 0)
		r = ck_spawn_attr_set_hold(a, true);
	if (r == 0) {
		struct ck__launch l = { .attr = a, .file = argv[0], .argv = argv };
		r = ck__launch(&l, &t->sentinel, err);
	}
	ck_spawn_attr_free(a);
	if (r < 0)
		return r;
	t->sentinel_pid = ck_spawn_pid(t->sentinel);
	t->sentinel_fd = ck_spawn_pidfd(t->sentinel);
	if (t->sentinel_fd < 0) {
		ck_spawn_free(t->sentinel);
		t->sentinel = NULL;
		return start_fail(err, CK__STEP_TRACER, ENOSYS, "no pidfd for the tracer's sentinel (CLONE_PIDFD, Linux 5.2)");
	}
	return 0;
}

/* A new tracer, or -errno with *err (the sentinel's launch says its own step). */
static int tracer_new(struct ck_tracer **out, const struct ck_trace_opts *opts,
		      struct ck_spawn_error *err)
{
	if (opts && (!ck__opts_valid(opts, opts->size, offsetof(struct ck_trace_opts, flags) +
						   sizeof(opts->flags), sizeof(*opts)) ||
		     (opts->flags & ~KNOWN_FLAGS)))
		return start_fail(err, CK__STEP_ARGUMENTS, EINVAL,
				  "struct ck_trace_opts: a size this library cannot read, or unknown flags");
	if (opts && (opts->flags & CK_TRACE_SECCOMP) && (opts->flags & CK_TRACE_NO_SECCOMP))
		return start_fail(err, CK__STEP_ARGUMENTS, EINVAL,
				  "struct ck_trace_opts: CK_TRACE_SECCOMP and CK_TRACE_NO_SECCOMP exclude each other");
	struct ck_tracer *t = calloc(1, sizeof(*t));
	if (!t)
		return start_fail(err, CK__STEP_TRACER, ENOMEM, NULL);
	t->nbuckets = HASH_MIN;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->sentinel_pid = -1;
	t->sentinel_fd = -1;
	t->root = -1;
	if (!t->buckets) {
		free(t);
		return start_fail(err, CK__STEP_TRACER, ENOMEM, NULL);
	}
	int r = sentinel_start(t, err);
	if (r < 0) {
		free(t->buckets);
		free(t);
		return r;
	}
	t->own_pidns = inode_of("/proc/self/ns/pid");
	*out = t;
	return 0;
}

void ck_trace_free(struct ck_tracer *t)
{
	if (!t)
		return;
	if (!t->ended && t->count > 0) {
		t->cb = NULL;
		detach_all(t);
	}
	drop_all(t);
	ck_spawn_free(t->sentinel);             /* killed and reaped unless seen already */
	ck__spawn_child_forget(t->command);     /* still the caller's child: not killed */
	free(t->buckets);
	free(t->early);
	free(t);
}

void ck_trace_stop(struct ck_tracer *t)
{
	if (!t || t->stop)
		return;
	t->stop = 1;
	if (t->sentinel_fd >= 0)
		ck__signal_child(t->sentinel_pid, t->sentinel_fd, SIGKILL);
}

int ck_trace_run(struct ck_tracer *t, void (*cb)(const struct ck_event *e, void *data), void *data)
{
	int st;
	if (!t || t->ended)
		return -EINVAL;
	t->cb = cb;
	t->data = data;
	for (;;) {
		if (t->stop) {
			detach_all(t);
			return -ECANCELED;
		}
		if (t->count == 0) {
			/* a child whose parent died before its event stop is known only by its own stop */
			pid_t pid = waitpid(-1, &st, __WALL | WNOHANG);
			if (pid > 0) {
				handle(t, pid, st);
				continue;
			}
			t->ended = true;
			return 0;
		}
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD) {
				drop_all(t);
				continue;
			}
			return -errno;
		}
		handle(t, pid, st);
	}
}

int ck_trace_status(const struct ck_tracer *t, int *status)
{
	if (!t)
		return -EINVAL;
	if (!t->have_status)
		return -ECHILD;
	if (status)
		*status = t->status;
	return 0;
}

pid_t ck_trace_pid(const struct ck_tracer *t)
{
	return t ? t->root : -1;
}

bool ck_trace_uses_seccomp(const struct ck_tracer *t)
{
	return t && t->seccomp;
}

/* ---- attaching ---- */

static bool traced_by_us(pid_t tid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (ck__read_small_file(path, buf, sizeof(buf)) < 0)
		return false;
	const char *p = strstr(buf, "\nTracerPid:");
	return p && strtol(p + 11, NULL, 10) == getpid();
}

/* Seizes every thread of pid not yet seized; how many were new, or -errno. */
static int seize_threads(struct ck_tracer *t, pid_t pid)
{
	char path[64];
	int added = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	for (struct dirent *de; (de = readdir(d));) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);
		if (tid <= 0 || find(t, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)TRACE_OPTIONS) < 0) {
			if (errno == ESRCH)
				continue; /* it exited */
			/* made by a seized thread: the kernel attached it already */
			if (errno != EPERM || !traced_by_us(tid)) {
				int e = -errno;
				closedir(d);
				return e;
			}
		} else {
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		}
		if (!add(t, tid)) {
			closedir(d);
			return -ENOMEM;
		}
		added++;
	}
	closedir(d);
	return added;
}

int ck_trace_attach(struct ck_tracer **out, pid_t pid, const struct ck_trace_opts *opts)
{
	struct ck_tracer *t;
	int r;

	if (!out || pid <= 0)
		return -EINVAL;
	*out = NULL;
	/* a running process cannot be given the filter */
	if (opts && opts->size > offsetof(struct ck_trace_opts, flags) && (opts->flags & CK_TRACE_SECCOMP))
		return -EINVAL;
	if ((r = tracer_new(&t, opts, NULL)) < 0)
		return r;
	t->root = pid;
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)TRACE_OPTIONS) < 0) {
		r = -errno;
		ck_trace_free(t);
		return r;
	}
	/* the first stop starts the syscall stops */
	ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
	if (!add(t, pid)) {
		ck_trace_free(t);
		return -ENOMEM;
	}
	while ((r = seize_threads(t, pid)) > 0)
		;
	if (r < 0) {
		ck_trace_free(t);
		return r;
	}
	*out = t;
	return 0;
}

/* ---- starting a command ---- */

/*
 * Lets the seized command run to its execve: 0 at the PTRACE_EVENT_EXEC stop
 * (the command is resumed), or -errno with *err once it has ended without
 * executing the program (reaped).
 */
static int run_to_exec(struct ck_tracer *t, struct ck_spawn_error *err)
{
	pid_t pid = t->root;
	int st;
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return start_fail(err, CK__STEP_WAIT_EXEC, errno, NULL);
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			ck__spawn_child_reaped(t->command);
			int r = ck__launch_outcome(t->command, err);
			if (r < 0)
				return r;
			return start_fail(err, CK__STEP_WAIT_EXEC, WIFSIGNALED(st) ? EINTR : ECHILD, NULL);
		}
		unsigned event = (unsigned)st >> 16;
		int sig = WSTOPSIG(st);
		if (event == PTRACE_EVENT_EXEC) {
			ptrace(t->seccomp ? PTRACE_CONT : PTRACE_SYSCALL, pid, NULL, NULL);
			return ck__launch_outcome(t->command, err); /* at once: execve closed its end */
		}
		if (event == PTRACE_EVENT_STOP && is_stop_signal(sig))
			ptrace(PTRACE_LISTEN, pid, NULL, NULL);
		else
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)(event == 0 && sig != (SIGTRAP | 0x80) ? sig : 0));
	}
}

/* The tracer's filter as the kernel takes it: *bpf NULL when the tracer stops at every call. */
static int trace_filter(const struct ck_tracer *t, void **bpf, size_t *len)
{
	*bpf = NULL;
	*len = 0;
	if (!t->seccomp)
		return 0;
	struct ck_seccomp_policy *p = ck__seccomp_policy_trace();
	if (!p)
		return -ENOMEM;
	int r = ck_seccomp_export_bpf(p, bpf, len);
	ck_seccomp_policy_free(p);
	return r;
}

/* Seizes the held command, then lets it go on to execve. */
static int seize_and_release(struct ck_tracer *t, struct ck_spawn_error *err)
{
	int r;
	/* with the filter the tasks must not outlive their tracer: untraced, it fails their calls */
	long options = TRACE_OPTIONS | (t->seccomp ? PTRACE_O_EXITKILL : 0);
	if (ptrace(PTRACE_SEIZE, t->root, NULL, (void *)options) < 0)
		return start_fail(err, CK__STEP_SEIZE, errno, NULL);
	if (!add(t, t->root))
		return start_fail(err, CK__STEP_TRACER, ENOMEM, NULL);
	if ((r = ck__launch_release(t->command)) < 0)
		return start_fail(err, CK__STEP_RELEASE, -r, NULL);
	return run_to_exec(t, err);
}

int ck_trace_spawn(struct ck_tracer **out, char *const argv[], char *const envp[],
		   const struct ck_spawn_attr *attr, const struct ck_trace_opts *opts,
		   struct ck_spawn_error *err)
{
	struct ck_spawn_attr *fallback = NULL;
	struct ck_tracer *t = NULL;
	void *bpf = NULL;
	size_t len = 0;
	int r;

	if (!out || !argv || !argv[0])
		return start_fail(err, CK__STEP_ARGUMENTS, EINVAL,
				  !out ? "tracer is NULL" : "no command to run (argv or argv[0] is NULL)");
	*out = NULL;
	if (attr && (attr->hold || attr->listener.bpf))
		return start_fail(err, CK__STEP_ATTRIBUTES, EINVAL,
				  "ck_trace_spawn holds and releases the command itself: an attribute set with a hold or a seccomp listener cannot be traced");
	bool filter = opts && opts->size > offsetof(struct ck_trace_opts, flags) && (opts->flags & CK_TRACE_SECCOMP);
	if (filter && attr && attr->filter.bpf)
		return start_fail(err, CK__STEP_ATTRIBUTES, EINVAL,
				  "CK_TRACE_SECCOMP with a seccomp policy in the attribute set: the policy's refusals would come before the tracer's stop");
	if (filter && !CAN_CHANGE_CALLS)
		return start_fail(err, CK__STEP_ARGUMENTS, EOPNOTSUPP,
				  "CK_TRACE_SECCOMP: on this architecture the tracer cannot take CLONE_UNTRACED out of a call, so a child could escape with the filter");
	if (!attr && !(attr = fallback = ck_spawn_attr_new()))
		return start_fail(err, CK__STEP_TRACER, ENOMEM, NULL);
	if ((r = tracer_new(&t, opts, err)) < 0) {
		ck_spawn_attr_free(fallback);
		return r;
	}
	t->seccomp = filter;
	if ((r = trace_filter(t, &bpf, &len)) < 0) {
		r = start_fail(err, CK__STEP_TRACER, -r, NULL);
		goto fail;
	}
	struct ck__launch l = { .attr = attr, .file = argv[0], .argv = argv, .envp = envp,
				.extra = { bpf, len }, .hold = true };
	r = ck__launch(&l, &t->command, err);
	free(bpf);
	if (r < 0)
		goto fail;
	t->root = ck_spawn_pid(t->command);
	r = seize_and_release(t, err);
	if (r < 0)
		goto fail;
	ck_spawn_attr_free(fallback);
	*out = t;
	return 0;

fail:
	/* a command not yet reaped is killed and reaped, traced or not */
	ck_spawn_free(t->command);
	t->command = NULL;
	drop_all(t);
	t->ended = true;
	ck_trace_free(t);
	ck_spawn_attr_free(fallback);
	return r;
}
