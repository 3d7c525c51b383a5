/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_clone3 held against the kernel's clone3. Random argument structs (sizes
 * 0-8192; random fields, PIDs, stacks and bytes past the 88 known ones;
 * NULL, unaligned, partly mapped and unmapped pointers, PROT_NONE pages, the
 * last page of user space, kernel addresses) are given to the raw syscall,
 * to ck_clone3 with clone3 available, and to ck_clone3 under a seccomp filter
 * that answers clone3 with ENOSYS, so that it falls back to clone. Each
 * struct is rebuilt byte for byte before each call.
 *
 * The raw call's child exits in assembly without touching memory
 * (rawcall.h), so the kernel may accept anything. ck_clone3's children run a
 * function that touches nothing but their stack, which the generator keeps
 * inside mapped memory whenever the child would be a thread of the helper.
 *
 * Where ck_clone3 may differ, and the only places: clonekit's preconditions
 * (CLONE_VM without a stack, a stack without fn) give EINVAL for a struct
 * clone3's argument checks accept; without clone3, a struct that needs it
 * gives ENOSYS and ck_clone_args_need_clone3() names why. What clone3's
 * argument checks answer is read off the struct's bytes and the pages' known
 * protections by this test's own model, which is held against the kernel
 * too. CLONEKIT_SEED fixes the seed, CLONEKIT_DIFF_N the count.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/clonekit.h>

#include "../support.h"
#include "../clone/deny_clone3.h"
#include "internal/arch.h"
#include "internal/live.h"
#include "rawcall.h"

#define DEFAULT_N 10000
#define BATCH 500
#define PAGE 4096u
#define KNOWN sizeof(struct ck_clone_args)
#define SET_TID_SLOTS 40
#define STACK_SLICES 64
#define STACK_SLICE (16 * 1024)
#define SIG_MAX 64 /* _NSIG */

/*
 * The arena, one page each: 0 scratch (TIDs, pidfds, set_tid arrays),
 * 1-3 read-write, 4 PROT_NONE, 5 read-write, 6 unmapped, 7 read-write.
 * Structs lie in pages 1-7 and in the last page of user space.
 */
enum { SCRATCH, RW1, RW2, RW3, NONE4, RW5, HOLE6, RW7, ARENA_PAGES };

struct layout {
	uint64_t arena;      /* page 0 */
	uint64_t top_page;   /* the last page of user space, read-write, or 0 when it cannot be mapped */
	uint64_t limit;      /* the first address above user space */
	uint64_t stacks;     /* STACK_SLICES slices of STACK_SLICE bytes */
	int cgroup_fd, notcg_fd;
	int32_t pids[4];     /* PIDs in use for the whole test: 1, the test's own, its parent's */
};

/* One struct and what came of it. */
struct dcase {
	uint64_t addr, size;
	struct ck_clone_args a; /* the 88 bytes written at addr (those below size) */
	uint64_t tail_at;       /* a nonzero byte at addr + tail_at, or 0 for none */
	uint8_t tail_byte;
	int32_t tids[SET_TID_SLOTS]; /* written at a.set_tid */
	bool no_fn;
	/* NOT_RUN, 0 when a child was made, the errno, or CRASHED - the signal that killed the caller */
	int raw, ck, fb;
	const char *need; /* ck_clone_args_need_clone3() when fb is ENOSYS */
};

#define NOT_RUN (-1)
#define CRASHED (-100)

struct shared {
	struct layout L;
	size_t current;  /* the case a helper is at */
	enum who { RAW, CK, FALLBACK } current_who;
	struct dcase cases[];
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static unsigned pct(void)
{
	return (unsigned)(rnd() % 100);
}

static uint64_t page_at(const struct layout *L, unsigned i)
{
	return L->arena + (uint64_t)i * PAGE;
}

/* Read-write, so readable: the arena's pages but 4 and 6, and the top page. */
static bool rw(const struct layout *L, uint64_t addr)
{
	if (L->top_page && addr >= L->top_page && addr - L->top_page < PAGE)
		return true;
	if (addr < L->arena || addr >= page_at(L, ARENA_PAGES))
		return false;
	unsigned i = (unsigned)((addr - L->arena) / PAGE);
	return i != NONE4 && i != HOLE6;
}

/* ---- generation ---- */

static uint64_t random_flags(void)
{
	static const uint64_t bases[] = {
		0,
		CK_CLONE_VM | CK_CLONE_VFORK,
		CK_CLONE_VM | CK_CLONE_FS | CK_CLONE_FILES | CK_CLONE_SIGHAND | CK_CLONE_THREAD |
			CK_CLONE_SYSVSEM | CK_CLONE_SETTLS | CK_CLONE_PARENT_SETTID |
			CK_CLONE_CHILD_CLEARTID,
		CK_CLONE_NEWUSER | CK_CLONE_NEWNS | CK_CLONE_NEWPID | CK_CLONE_NEWUTS | CK_CLONE_NEWIPC,
		CK_CLONE_PIDFD,
		CK_CLONE_VM,
	};
	uint64_t f = bases[rnd() % (sizeof(bases) / sizeof(bases[0]))];
	unsigned p = pct() < 50 ? 3 : 10;

	for (size_t i = 0; i < ck_flag_count(); i++)
		if (pct() < p)
			f ^= ck_flag_at(i)->value;
	if (pct() < 4)
		f |= UINT64_C(1) << (rnd() % 64);
	/* network namespaces are slow to make and to free: few of them */
	if (pct() < 80)
		f &= ~CK_CLONE_NEWNET;
	return f;
}

static uint64_t random_size(void)
{
	static const uint64_t common[] = { 64, 72, 80, 96, 104, 4088, 4096, 4097, PAGE + 8, 8192 };
	unsigned p = pct();

	if (p < 60)
		return KNOWN;
	if (p < 80)
		return common[rnd() % (sizeof(common) / sizeof(common[0]))];
	if (p < 85)
		return rnd() % 64;
	if (p < 95)
		return KNOWN + rnd() % (PAGE - KNOWN + 1);
	return rnd() % 8193;
}

/* Where the struct starts, relative to the arena's protections. */
static uint64_t random_addr(const struct layout *L, uint64_t size)
{
	uint64_t d = 1 + rnd() % (size + 16);
	unsigned p = pct();

	if (p < 60) /* inside, aligned or not, running on as far as size takes it */
		return page_at(L, RW1) + (pct() < 70 ? 8 * (rnd() % 64) : rnd() % PAGE);
	if (p < 67)
		return page_at(L, NONE4) - d; /* into PROT_NONE */
	if (p < 69)
		return page_at(L, NONE4) + rnd() % PAGE; /* in PROT_NONE */
	if (p < 72)
		return page_at(L, RW5) - d % PAGE - 1; /* from PROT_NONE into read-write */
	if (p < 77)
		return page_at(L, HOLE6) - d; /* into unmapped */
	if (p < 79)
		return page_at(L, RW7) - d % PAGE - 1; /* from unmapped into read-write */
	if (p < 85 && L->top_page)
		return L->top_page + PAGE - d % (2 * PAGE); /* past the end of user space */
	if (p < 89)
		return 0;
	if (p < 92)
		return 1 + rnd() % 0x10000; /* the unmappable low pages */
	if (p < 95)
		return UINT64_C(0xffff800000000000) + rnd() % PAGE; /* the kernel's */
	if (p < 97)
		return UINT64_C(0x800000000000) - PAGE / 2; /* non-canonical with 4-level paging */
	return rnd();
}

/* A pointer field: the scratch page, NULL, or memory the kernel cannot write. */
static uint64_t random_ptr(const struct layout *L, unsigned slot)
{
	unsigned p = pct();

	if (p < 80)
		return page_at(L, SCRATCH) + 16 * slot;
	if (p < 88)
		return 0;
	if (p < 92)
		return page_at(L, NONE4) + 64;
	if (p < 96)
		return page_at(L, HOLE6) + 64;
	return UINT64_C(0xffff800000000000);
}

/* A stack the kernel refuses, one a child can run on, or one whose top is not mapped. */
static void random_stack(const struct layout *L, unsigned slice, struct ck_clone_args *a)
{
	uint64_t top = L->stacks + (uint64_t)(slice + 1) * STACK_SLICE;
	unsigned p = pct();

	a->stack = a->stack_size = 0;
	if (p < 45)
		return;
	if (p < 65) {
		a->stack_size = pct() < 50 ? STACK_SLICE : 1 + (rnd() % (UINT64_C(1) << (rnd() % 48)));
		a->stack = top - a->stack_size; /* wraps, and is refused, when the size is above top */
		return;
	}
	if (p < 70) {
		a->stack_size = 4096;
		return;
	}
	if (p < 75) {
		a->stack = top - STACK_SLICE;
		return;
	}
	if (p < 82 && L->top_page) {
		/* ends exactly at the end of user space, or one byte past it */
		a->stack = L->top_page;
		a->stack_size = PAGE + (pct() < 50);
		return;
	}
	if (p < 87) {
		a->stack = UINT64_MAX - 100;
		a->stack_size = 4096;
		return;
	}
	if (p < 92) {
		a->stack = UINT64_C(0xffff800000000000);
		a->stack_size = 4096;
		return;
	}
	/* accepted by the kernel, but its top is not mapped: the child faults */
	a->stack = page_at(L, HOLE6) - PAGE;
	a->stack_size = 2 * PAGE;
	if (pct() < 50) {
		a->stack = rnd();
		a->stack_size = rnd() % (UINT64_C(1) << (rnd() % 64));
	}
}

/* Whether a child ck_clone3 starts on this stack can run: none (its own copy), or a mapped top. */
static bool stack_runnable(const struct layout *L, const struct ck_clone_args *a)
{
	uint64_t top = a->stack + a->stack_size;

	if (!a->stack)
		return true;
	if (top < a->stack)
		return false;
	if (L->top_page && top == L->top_page + PAGE)
		return true;
	return top >= L->stacks + 256 && top <= L->stacks + STACK_SLICES * STACK_SLICE;
}

static void random_set_tid(const struct layout *L, struct dcase *c)
{
	unsigned kind = (unsigned)(rnd() % 8);
	struct ck_clone_args *a = &c->a;

	/* PIDs in the caller's namespace are ones that stay in use, so every call sees the same */
	a->set_tid_size = 1;
	switch (kind) {
	case 0: c->tids[0] = 1; break;
	case 1: c->tids[0] = 2; break;
	case 2: c->tids[0] = 1; c->tids[1] = L->pids[rnd() % 4]; a->set_tid_size = 2; break;
	case 3: c->tids[0] = L->pids[rnd() % 4]; break;
	case 4: c->tids[0] = INT32_MAX; break;
	case 5: c->tids[0] = 0; break;
	case 6: c->tids[0] = -1; break;
	default: c->tids[0] = 1; a->set_tid_size = 30 + rnd() % 6; break;
	}
	if (pct() < 10)
		a->set_tid_size = rnd() % 40;
	unsigned p = pct();
	if (p < 70)
		a->set_tid = page_at(L, SCRATCH) + 1024;
	else if (p < 80)
		a->set_tid = 0;
	else if (p < 88)
		a->set_tid = page_at(L, HOLE6) - 4 * (1 + rnd() % 4); /* runs into unmapped */
	else if (p < 94)
		a->set_tid = page_at(L, NONE4) + 8;
	else
		a->set_tid = UINT64_C(0xffff800000000000);
	if (pct() < 30)
		a->flags |= CK_CLONE_NEWPID;
}

/*
 * A struct clone3's argument checks would accept: known flags, an exit signal
 * that fits them, a stack for CLONE_VM, 64 to 96 bytes (nothing past 88) in
 * readable memory. These reach copy_process and the fallback's clone.
 */
static void make_plausible(struct dcase *c, const struct layout *L, unsigned index)
{
	static const uint64_t sizes[] = { 64, 72, 80, 96, 4096 };
	struct ck_clone_args *a = &c->a;
	uint64_t top = L->stacks + (uint64_t)(index % STACK_SLICES + 1) * STACK_SLICE;

	a->flags &= UINT64_C(0xffffffff) | CK_CLONE_CLEAR_SIGHAND | CK_CLONE_INTO_CGROUP;
	a->flags &= ~(CK_CLONE_DETACHED | (CK_CSIGNAL & ~CK_CLONE_NEWTIME));
	if (a->flags & CK_CLONE_SIGHAND)
		a->flags &= ~CK_CLONE_CLEAR_SIGHAND;
	if (a->flags & (CK_CLONE_THREAD | CK_CLONE_PARENT))
		a->exit_signal = 0;
	else
		a->exit_signal = pct() < 80 ? SIGCHLD : 1 + rnd() % SIG_MAX;
	a->stack = a->stack_size = 0;
	if ((a->flags & CK_CLONE_VM) || pct() < 30) {
		a->stack = top - STACK_SLICE;
		a->stack_size = STACK_SLICE;
	}
	c->size = pct() < 70 ? KNOWN : sizes[rnd() % (sizeof(sizes) / sizeof(sizes[0]))];
	c->addr = page_at(L, RW1) + (pct() < 80 ? 8 * (rnd() % 64) : rnd() % 512);
	c->tail_at = 0;
}

static void generate(struct dcase *c, const struct layout *L, unsigned index)
{
	struct ck_clone_args *a = &c->a;
	bool plausible = pct() < 40;

	memset(c, 0, sizeof(*c));
	c->raw = c->ck = c->fb = NOT_RUN;
	a->flags = random_flags();
	unsigned s = pct();
	a->exit_signal = s < 40 ? SIGCHLD : s < 70 ? 0 : s < 85 ? 1 + rnd() % SIG_MAX
			 : s < 95 ? SIG_MAX + 1 + rnd() % 191 : (UINT64_C(1) << (32 + rnd() % 32)) | SIGCHLD;
	a->parent_tid = random_ptr(L, 0);
	a->child_tid = random_ptr(L, 1);
	a->pidfd = pct() < 10 ? a->parent_tid : random_ptr(L, 2);
	if (a->flags & CK_CLONE_SETTLS) {
		static const uint64_t tls[] = { 0, 0x10000, UINT64_C(0x7ffffffff000),
						UINT64_C(0x7fffffffefff), UINT64_C(0xffff800000000000) };
		a->tls = tls[rnd() % 5];
	}
	random_stack(L, index % STACK_SLICES, a);
	if (pct() < 12)
		random_set_tid(L, c);
	if ((a->flags & CK_CLONE_INTO_CGROUP) || pct() < 6) {
		static const uint64_t bogus[] = { 900, UINT64_C(1) << 31, UINT64_MAX };
		a->flags |= CK_CLONE_INTO_CGROUP;
		unsigned k = pct();
		a->cgroup = k < 70 ? (uint64_t)L->cgroup_fd : k < 80 ? (uint64_t)L->notcg_fd : bogus[rnd() % 3];
	}
	c->no_fn = pct() < 10;
	c->size = random_size();
	c->addr = random_addr(L, c->size);
	if (c->size > KNOWN && pct() < 35) {
		c->tail_at = KNOWN + rnd() % (c->size - KNOWN);
		c->tail_byte = (uint8_t)(1 + rnd() % 255);
	}
	if (plausible) {
		make_plausible(c, L, index);
	} else {
		/* now and then a field of pure noise */
		for (unsigned i = 0; i < KNOWN / 8; i++)
			if (pct() < 1)
				((uint64_t *)a)[i] = rnd();
	}
	/* a child that faults must not be a thread of the helper, whose whole group the fault kills */
	if (!stack_runnable(L, a))
		a->flags &= ~CK_CLONE_THREAD;
}

/* ---- the memory each call sees ---- */

static void put_bytes(const struct layout *L, uint64_t at, const void *src, size_t n)
{
	const uint8_t *s = src;
	for (size_t i = 0; i < n; i++, at++)
		if (rw(L, at))
			*(volatile uint8_t *)(uintptr_t)at = s[i];
}

/* Writes c's bytes, and nothing else, into the arena's readable pages. */
static void image(const struct layout *L, const struct dcase *c)
{
	static const unsigned pages[] = { SCRATCH, RW1, RW2, RW3, RW5, RW7 };

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		memset((void *)(uintptr_t)page_at(L, pages[i]), 0, PAGE);
	if (L->top_page)
		memset((void *)(uintptr_t)L->top_page, 0, PAGE);
	if (c->a.set_tid)
		put_bytes(L, c->a.set_tid, c->tids, sizeof(c->tids));
	put_bytes(L, c->addr, &c->a, c->size < KNOWN ? c->size : KNOWN);
	if (c->tail_at)
		put_bytes(L, c->addr + c->tail_at, &c->tail_byte, 1);
}

/* ---- this test's own model of clone3's argument checks ---- */

static bool readable(const struct layout *L, uint64_t at, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (at + i < at || !rw(L, at + i))
			return false;
	return true;
}

/*
 * What copy_clone_args_from_user(), clone3_args_valid() and kernel_clone()'s
 * pidfd check answer for the imaged struct (0: they accept it); *k gets the
 * fields as the kernel reads them.
 */
static int model_refusal(const struct layout *L, const struct dcase *c, struct ck_clone_args *k)
{
	const uint64_t n = c->size < KNOWN ? c->size : KNOWN;
	const uint64_t csignal_refused = CK_CSIGNAL & ~CK_CLONE_NEWTIME;

	memset(k, 0, sizeof(*k));
	if (c->size > PAGE)
		return E2BIG;
	if (c->size < CK_CLONE_ARGS_SIZE_VER0)
		return EINVAL;
	if (c->size > KNOWN) {
		uint64_t from = c->addr + KNOWN, end = c->addr + c->size;
		if (end < from || end > L->limit)
			return EFAULT; /* access_ok() on the whole tail first */
		for (uint64_t at = from; at < end; at++) {
			if (!rw(L, at))
				return EFAULT;
			if (*(volatile uint8_t *)(uintptr_t)at)
				return E2BIG;
		}
	}
	if (!readable(L, c->addr, n))
		return EFAULT;
	memcpy(k, (void *)(uintptr_t)c->addr, n);
	if (k->set_tid_size > CK_SET_TID_MAX || (!k->set_tid) != (!k->set_tid_size))
		return EINVAL;
	if (k->exit_signal > SIG_MAX)
		return EINVAL;
	if ((k->flags & CK_CLONE_INTO_CGROUP) && (k->cgroup > INT_MAX || c->size < CK_CLONE_ARGS_SIZE_VER2))
		return EINVAL;
	if (k->set_tid && !readable(L, k->set_tid, 4 * k->set_tid_size))
		return EFAULT;
	if (k->flags & ~(UINT64_C(0xffffffff) | CK_CLONE_CLEAR_SIGHAND | CK_CLONE_INTO_CGROUP))
		return EINVAL;
	if (k->flags & (CK_CLONE_DETACHED | csignal_refused))
		return EINVAL;
	if ((k->flags & CK_CLONE_SIGHAND) && (k->flags & CK_CLONE_CLEAR_SIGHAND))
		return EINVAL;
	if ((k->flags & (CK_CLONE_THREAD | CK_CLONE_PARENT)) && k->exit_signal)
		return EINVAL;
	if (!k->stack != !k->stack_size)
		return EINVAL;
	if (k->stack && (k->stack + k->stack_size < k->stack || k->stack + k->stack_size > L->limit))
		return EINVAL;
	if ((k->flags & CK_CLONE_PIDFD) && (k->flags & CK_CLONE_PARENT_SETTID) && k->pidfd == k->parent_tid)
		return EINVAL;
	return 0;
}

/* clonekit's own rules, which ck_clone3 documents. */
static bool precondition_fails(const struct ck_clone_args *k, bool no_fn)
{
	return ((k->flags & CK_CLONE_VM) && !k->stack) || (no_fn && k->stack);
}

/* What legacy clone cannot express, in this test's words. */
static bool needs_clone3(const struct ck_clone_args *k)
{
	return (k->flags & (CK_CLONE_INTO_CGROUP | CK_CLONE_CLEAR_SIGHAND | CK_CLONE_NEWTIME)) ||
	       k->set_tid_size ||
	       ((k->flags & CK_CLONE_PIDFD) && (k->flags & CK_CLONE_PARENT_SETTID) && k->pidfd != k->parent_tid);
}

/* ---- the calls ---- */

/* The child ck_clone3 starts: it touches its stack and nothing else (its TLS may be anything). */
__attribute__((no_sanitize("address"), noinline)) static int child_fn(void *arg)
{
	return 0;
}

/* A fork-like child leaves at once, before any code that might use its TLS. */
__attribute__((noreturn)) static void exit_now(void)
{
	__asm__ volatile("mov $60, %%eax\n\txor %%edi, %%edi\n\tsyscall\n\thlt" ::: "memory");
	__builtin_unreachable();
}

static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void block_all_signals(void)
{
	uint64_t all = ~UINT64_C(0);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
}

/* One call in this helper; 0 when a child was made, else the errno. Leaves no child, thread or fd. */
static int call(const struct layout *L, const struct dcase *c, enum who w, int first_free_fd,
		const char **need)
{
	long r;

	image(L, c);
	if (w == RAW) {
		r = raw_clone3_exit((void *)(uintptr_t)c->addr, c->size);
	} else {
		r = ck_clone3((struct ck_clone_args *)(uintptr_t)c->addr, c->size, c->no_fn ? NULL : child_fn, NULL);
		if (r == 0)
			exit_now();
		if (r == -ENOSYS && need)
			*need = ck_clone_args_need_clone3((struct ck_clone_args *)(uintptr_t)c->addr, c->size);
	}
	if (r > 0) {
		while (waitpid(-1, NULL, __WALL) > 0)
			;
		for (int i = 0; i < 5000 && task_count() > 1; i++)
			usleep(1000);
	}
	syscall(SYS_close_range, first_free_fd, ~0U, 0); /* pidfds */
	return r < 0 ? (int)-r : 0;
}

/*
 * Starts a sub-helper, fork-like, whose exit signal is 0 rather than SIGCHLD:
 * the kernel auto-reaps a SIGCHLD child whose parent ignores SIGCHLD, and a
 * CLONE_PARENT|CLONE_SIGHAND|CLONE_NEWPID child of an earlier call (a sibling
 * of this helper, which it cannot wait for) sets SIGCHLD to SIG_IGN in the
 * table it shares with this helper whenever it exits. Its pid, 0 in the
 * sub-helper, or -1.
 */
static pid_t start_subhelper(void)
{
	return (pid_t)syscall(SYS_clone, 0UL, NULL, NULL, NULL, NULL);
}

/* Waits for a sub-helper to die or stop (__WALL: its exit signal is not SIGCHLD); its wait status, or -1. */
static int wait_subhelper(pid_t p)
{
	int st = 0;

	if (waitpid(p, &st, WUNTRACED | __WALL) != p)
		return -1;
	return st;
}

/*
 * A child whose exit signal is SIGKILL or SIGSTOP kills or stops its parent:
 * the call is made in a sub-helper, whose death by that signal says a child
 * was made.
 */
static int call_guarded(const struct layout *L, const struct dcase *c, enum who w, int first_free_fd,
			int *slot, const char **need)
{
	/* the calls are made with SIGCHLD's default, whatever a sharer of the table left */
	signal(SIGCHLD, SIG_DFL);
	if (c->a.exit_signal != SIGKILL && c->a.exit_signal != SIGSTOP)
		return *slot = call(L, c, w, first_free_fd, need);
	*slot = -1;
	pid_t p = start_subhelper();
	if (p == 0) {
		int e = call(L, c, w, first_free_fd, need);
		*slot = e;
		while (e == 0)
			pause(); /* the child's exit signal ends this */
		_exit(0);
	}
	int st = p < 0 ? -1 : wait_subhelper(p);
	if (st == -1)
		_exit(5);
	if (WIFSTOPPED(st)) {
		kill(p, SIGKILL);
		waitpid(p, &st, __WALL);
		*slot = 0;
	} else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && *slot == -1) {
		*slot = 0;
	}
	return *slot;
}

/* The highest fd open in this process, or -1. */
static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int max = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) > max)
			max = atoi(e->d_name);
	closedir(d);
	return max;
}

static void helper(struct shared *sh, size_t from, size_t to, bool without_clone3)
{
	block_all_signals();
	if (without_clone3) {
		if (deny_clone3() < 0 || syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
			_exit(3);
	}
	int first_free_fd = highest_fd() + 1;
	if (first_free_fd <= 0)
		_exit(4);
	for (size_t i = from; i < to; i++) {
		struct dcase *c = &sh->cases[i];
		sh->current = i;
		if (without_clone3) {
			sh->current_who = FALLBACK;
			call_guarded(&sh->L, c, FALLBACK, first_free_fd, &c->fb, &c->need);
		} else {
			sh->current_who = RAW;
			call_guarded(&sh->L, c, RAW, first_free_fd, &c->raw, NULL);
			sh->current_who = CK;
			call_guarded(&sh->L, c, CK, first_free_fd, &c->ck, NULL);
		}
	}
	_exit(0);
}

/*
 * Runs the cases in batches of helpers. A helper killed by a signal was
 * killed by the call it was making (the raw call's child touches nothing):
 * that call's result is CRASHED - the signal, and the next helper goes on.
 */
static void run_helpers(struct shared *sh, size_t n, bool without_clone3, uint64_t seed)
{
	for (size_t from = 0; from < n;) {
		size_t to = from + BATCH < n ? from + BATCH : n;
		sh->current = from;
		pid_t h = fork();
		cr_assert(h >= 0);
		if (h == 0)
			helper(sh, from, to, without_clone3);
		int st;
		while (waitpid(h, &st, 0) < 0 && errno == EINTR)
			;
		/* CLONE_PARENT children, and those a sub-helper left, are this process's */
		while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
			;
		if (WIFSIGNALED(st)) {
			struct dcase *c = &sh->cases[sh->current];
			int *slot = sh->current_who == RAW ? &c->raw : sh->current_who == CK ? &c->ck : &c->fb;
			*slot = CRASHED - WTERMSIG(st);
			from = sh->current + 1;
			continue;
		}
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "helper (%s) failed at cases %zu-%zu: status %#x (seed %#" PRIx64 ")",
			  without_clone3 ? "without clone3" : "with clone3", from, to, st, seed);
		from = to;
	}
}

/* ---- the verdicts ---- */

static const char *errname(int e)
{
	static char buf[4][32];
	static unsigned next;

	if (e <= CRASHED) {
		char *b = buf[next++ % 4];
		snprintf(b, sizeof(buf[0]), "killed by SIG%s", sigabbrev_np(CRASHED - e) ? sigabbrev_np(CRASHED - e) : "?");
		return b;
	}
	return e == 0 ? "a child" : e < 0 ? "nothing" : ck_errno_name(e) ? ck_errno_name(e) : "E?";
}

static void describe(const struct dcase *c, char *buf, size_t len)
{
	const struct ck_clone_args *a = &c->a;
	snprintf(buf, len,
		 "addr=%#" PRIx64 " size=%" PRIu64 " flags=%#" PRIx64 " exit_signal=%#" PRIx64
		 " stack=%#" PRIx64 "/%#" PRIx64 " tls=%#" PRIx64 " pidfd=%#" PRIx64 " ptid=%#" PRIx64
		 " set_tid=%#" PRIx64 "x%" PRIu64 " cgroup=%#" PRIx64 " tail=%" PRIu64 ":%u%s",
		 c->addr, c->size, a->flags, a->exit_signal, a->stack, a->stack_size, a->tls, a->pidfd,
		 a->parent_tid, a->set_tid, a->set_tid_size, a->cgroup, c->tail_at, c->tail_byte,
		 c->no_fn ? " fn=NULL" : "");
}

enum kind { SAME, PRECONDITION, NEEDS_CLONE3, KINDS };

/* The outcome classes of the summary: the kernel's answer. */
struct tally {
	int err;
	size_t n, ck_agree, fb_agree;
};

static struct tally *tally_for(struct tally *t, size_t *nt, int err)
{
	for (size_t i = 0; i < *nt; i++)
		if (t[i].err == err)
			return &t[i];
	memset(&t[*nt], 0, sizeof(t[*nt]));
	t[*nt].err = err;
	return &t[(*nt)++];
}

static void set_up(struct layout *L)
{
	char mnt[200], cgdir[256];
	void *arena = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(arena, MAP_FAILED);
	L->arena = (uintptr_t)arena;
	cr_assert_eq(mprotect((void *)(uintptr_t)page_at(L, NONE4), PAGE, PROT_NONE), 0);
	cr_assert_eq(munmap((void *)(uintptr_t)page_at(L, HOLE6), PAGE), 0);
	L->limit = ck__user_addr_max();
	void *top = mmap((void *)(uintptr_t)(L->limit - PAGE), PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	L->top_page = top == MAP_FAILED ? 0 : (uintptr_t)top;
	if (!L->top_page)
		fprintf(stderr, "clone3 differential: the last page of user space (%#" PRIx64 ") is taken (%s); no struct or stack lies there\n",
			L->limit - PAGE, strerror(errno));
	void *stacks = mmap(NULL, STACK_SLICES * STACK_SLICE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	cr_assert_neq(stacks, MAP_FAILED);
	L->stacks = (uintptr_t)stacks;

	cr_assert_eq(ck__cgroup2_mount(mnt, sizeof(mnt)), 0, "no cgroup v2 hierarchy mounted");
	snprintf(cgdir, sizeof(cgdir), "%s/clonekit-c3diff-%d", mnt, getpid());
	cr_assert_eq(mkdir(cgdir, 0755), 0, "mkdir %s: %s", cgdir, strerror(errno));
	L->cgroup_fd = open(cgdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	L->notcg_fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert(L->cgroup_fd >= 0 && L->notcg_fd >= 0);
	L->pids[0] = 1;
	L->pids[1] = getpid();
	L->pids[2] = getppid();
	L->pids[3] = 1;
}

static void tear_down(struct layout *L)
{
	char mnt[200], cgdir[256];

	close(L->cgroup_fd);
	close(L->notcg_fd);
	if (ck__cgroup2_mount(mnt, sizeof(mnt)) == 0) {
		snprintf(cgdir, sizeof(cgdir), "%s/clonekit-c3diff-%d", mnt, getpid());
		for (int tries = 0; rmdir(cgdir) < 0 && errno == EBUSY && tries < 50; tries++)
			usleep(10000);
	}
	munmap((void *)(uintptr_t)L->arena, ARENA_PAGES * PAGE);
	munmap((void *)(uintptr_t)L->stacks, STACK_SLICES * STACK_SLICE);
	if (L->top_page)
		munmap((void *)(uintptr_t)L->top_page, PAGE);
}

static size_t count(size_t dflt)
{
	const char *n = getenv("CLONEKIT_DIFF_N");
	return n ? strtoull(n, NULL, 0) : dflt;
}

Test(clone3_differential, ck_clone3_answers_as_the_kernels_clone3_with_and_without_it, .timeout = 900)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	size_t n = count(DEFAULT_N);

	if (!CK_HAVE_RAWCALL)
		ck_skip_or_fail("the clone3 differential executes raw clone3 only on x86_64");
	if (geteuid() != 0)
		ck_skip_or_fail("the clone3 differential needs root (namespaces, set_tid, cgroups)");
	if (getenv("CLONEKIT_SEED"))
		seed = strtoull(getenv("CLONEKIT_SEED"), NULL, 0);
	rng_state = seed ? seed : 1;

	size_t bytes = sizeof(struct shared) + n * sizeof(struct dcase);
	struct shared *sh = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(sh, MAP_FAILED);
	set_up(&sh->L);
	for (size_t i = 0; i < n; i++)
		generate(&sh->cases[i], &sh->L, (unsigned)i);

	/* children made with CLONE_PARENT by a helper become this process's */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	run_helpers(sh, n, false, seed);
	run_helpers(sh, n, true, seed);
	while (waitpid(-1, NULL, __WALL) > 0)
		;

	struct tally t[64];
	size_t nt = 0, ck_agree = 0, fb_agree = 0, model_wrong = 0, shown = 0;
	size_t ck_kind[KINDS] = { 0 }, fb_kind[KINDS] = { 0 };
	size_t passed_checks = 0, made[5] = { 0 }; /* children: all, CLONE_VM, CLONE_THREAD, CLONE_VFORK, no fn */
	const char *reasons[32];
	size_t reason_n[32], nreasons = 0;

	for (size_t i = 0; i < n; i++) {
		struct dcase *c = &sh->cases[i];
		struct ck_clone_args k;

		image(&sh->L, c);
		int stage = model_refusal(&sh->L, c, &k);
		bool pre = !stage && precondition_fails(&k, c->no_fn);
		bool needs = !stage && !pre && needs_clone3(&k);
		int want_ck = stage ? stage : pre ? EINVAL : c->raw;
		int want_fb = stage ? stage : pre ? EINVAL : needs ? ENOSYS : c->raw;
		enum kind ck_k = pre ? PRECONDITION : SAME;
		enum kind fb_k = pre ? PRECONDITION : needs ? NEEDS_CLONE3 : SAME;
		struct tally *tl = tally_for(t, &nt, c->raw);
		bool ran = c->raw != NOT_RUN && c->ck != NOT_RUN && c->fb != NOT_RUN;
		bool ok_ck = ran && c->ck == want_ck;
		bool ok_fb = ran && c->fb == want_fb && (fb_k != NEEDS_CLONE3 || c->need);
		bool ok_model = !stage || c->raw == stage;

		passed_checks += !stage;
		if (c->raw == 0 && c->fb == 0) {
			made[0]++;
			made[1] += !!(k.flags & CK_CLONE_VM);
			made[2] += !!(k.flags & CK_CLONE_THREAD);
			made[3] += !!(k.flags & CK_CLONE_VFORK);
			made[4] += c->no_fn;
		}
		tl->n++;
		tl->ck_agree += ok_ck;
		tl->fb_agree += ok_fb;
		ck_agree += ok_ck;
		fb_agree += ok_fb;
		ck_kind[ck_k] += ok_ck;
		fb_kind[fb_k] += ok_fb;
		model_wrong += !ok_model;
		if (ok_fb && fb_k == NEEDS_CLONE3) {
			size_t r;
			for (r = 0; r < nreasons && strcmp(reasons[r], c->need) != 0; r++)
				;
			if (r == nreasons && nreasons < 32) {
				reasons[nreasons] = c->need;
				reason_n[nreasons++] = 0;
			}
			if (r < nreasons)
				reason_n[r]++;
		}
		if ((!ok_ck || !ok_fb || !ok_model) && shown++ < 25) {
			char d[512];
			describe(c, d, sizeof(d));
			fprintf(stderr,
				"DIFFER #%zu kernel=%s ck_clone3=%s (want %s) without clone3=%s (want %s%s%s)%s\n    %s\n",
				i, errname(c->raw), errname(c->ck), errname(want_ck), errname(c->fb),
				errname(want_fb), c->need ? ", " : "", c->need ? c->need : "",
				ok_model ? "" : " [this test's model said otherwise]", d);
		}
	}

	fprintf(stderr,
		"clone3 differential: %zu structs, seed %#" PRIx64 " (rerun: CLONEKIT_SEED=%#" PRIx64
		"); with clone3 %zu agree (%zu same answer, %zu clonekit precondition EINVAL); without clone3 %zu agree (%zu same answer, %zu precondition EINVAL, %zu needs clone3 ENOSYS)\n",
		n, seed, seed, ck_agree, ck_kind[SAME], ck_kind[PRECONDITION], fb_agree, fb_kind[SAME],
		fb_kind[PRECONDITION], fb_kind[NEEDS_CLONE3]);
	fprintf(stderr,
		"  %zu passed clone3's argument checks; %zu made a child with clone3 and without it (CLONE_VM %zu, CLONE_THREAD %zu, CLONE_VFORK %zu, fork-like %zu)\n",
		passed_checks, made[0], made[1], made[2], made[3], made[4]);
	for (size_t i = 0; i < nt; i++)
		fprintf(stderr, "  kernel %-7s %5zu structs: with clone3 %5zu agree, without clone3 %5zu agree\n",
			errname(t[i].err), t[i].n, t[i].ck_agree, t[i].fb_agree);
	for (size_t r = 0; r < nreasons; r++)
		fprintf(stderr, "  needs clone3 %5zu: %s\n", reason_n[r], reasons[r]);

	tear_down(&sh->L);
	munmap(sh, bytes);
	cr_assert_eq(model_wrong, 0, "this test's model of clone3's argument checks is wrong for %zu structs (seed %#" PRIx64 ")",
		     model_wrong, seed);
	cr_assert_eq(ck_agree, n, "with clone3, ck_clone3 differs from the kernel for %zu of %zu structs (rerun with CLONEKIT_SEED=%#" PRIx64 ")",
		     n - ck_agree, n, seed);
	cr_assert_eq(fb_agree, n, "without clone3, ck_clone3 differs from the kernel for %zu of %zu structs (rerun with CLONEKIT_SEED=%#" PRIx64 ")",
		     n - fb_agree, n, seed);
}

/* ---- the exit-signal guard, against the sibling that once made it fail ---- */

static volatile int sibling_go;

/* A sibling sharing the helper's memory and signal table: it waits for its cue on its own stack, then exits. */
__attribute__((no_sanitize("address"), noinline)) static int sibling_fn(void *arg)
{
	while (!__atomic_load_n(&sibling_go, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	return 0;
}

/*
 * What a helper met now and then under load ("helper exit 5"): a
 * CLONE_PARENT|CLONE_VM|CLONE_SIGHAND|CLONE_NEWPID child of an earlier call,
 * a sibling the helper cannot wait for, exits as the init of its PID
 * namespace after call_guarded has started a sub-helper, and so sets SIGCHLD
 * to SIG_IGN in the table the helper shares with it; the sub-helper, killed
 * by its own child's exit signal, must still be there to be waited for. The
 * sibling's exit is placed in that window here, not left to the scheduler.
 */
Test(clone3_differential, the_exit_signal_guard_survives_a_sibling_that_leaves_sigchld_ignored)
{
	if (!CK_HAVE_RAWCALL)
		ck_skip_or_fail("the clone3 differential's helpers exist only on x86_64");
	if (geteuid() != 0)
		ck_skip_or_fail("a child in a new PID namespace needs root");
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int go[2];
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid_t h = fork();
	cr_assert(h >= 0);
	if (h == 0) { /* the helper: its exit status names the step that failed */
		struct ck_clone_args a = {
			.flags = CK_CLONE_PARENT | CK_CLONE_VM | CK_CLONE_SIGHAND | CK_CLONE_NEWPID,
			.stack = (uintptr_t)stack,
			.stack_size = sizeof(stack),
		};
		signal(SIGCHLD, SIG_DFL);
		long sib = ck_clone3(&a, sizeof(a), sibling_fn, NULL);
		if (sib <= 0)
			_exit(10);
		int sib_fd = (int)syscall(SYS_pidfd_open, (pid_t)sib, 0);
		if (sib_fd < 0)
			_exit(11);
		pid_t p = start_subhelper();
		if (p == 0) { /* the sub-helper: killed as a child's SIGKILL exit signal kills it */
			char b;
			while (read(go[0], &b, 1) < 0 && errno == EINTR)
				;
			kill(getpid(), SIGKILL);
			_exit(12);
		}
		if (p < 0)
			_exit(13);
		__atomic_store_n(&sibling_go, 1, __ATOMIC_RELEASE);
		struct pollfd pf = { .fd = sib_fd, .events = POLLIN };
		while (poll(&pf, 1, -1) < 0 && errno == EINTR)
			;
		struct sigaction now;
		if (sigaction(SIGCHLD, NULL, &now) < 0 || now.sa_handler != SIG_IGN)
			_exit(14); /* the premise: the sibling's exit left SIGCHLD ignored */
		if (write(go[1], "x", 1) != 1)
			_exit(15);
		int st = wait_subhelper(p);
		if (st == -1)
			_exit(5); /* what call_guarded exits with */
		_exit(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : 16);
	}
	close(go[0]);
	close(go[1]);
	int st;
	cr_assert_eq(waitpid(h, &st, 0), h);
	/* the sibling was made with CLONE_PARENT: it is this process's child */
	while (waitpid(-1, NULL, __WALL) > 0)
		;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the helper's status %#x (exit 5: the sub-helper was reaped by the kernel, not waited for)", st);
}
