/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor's task table (design §4) and what each lineage record does
 * to it (§10.1): processes keyed by tgid and threads by tid in hash tables,
 * each with the time of the record that made it, so that a stale EXIT after
 * a pid was reused removes nothing.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "kacs/enforce.h"
#include "kacs/sup_internal.h"

/* ---- pid -> pointer ---------------------------------------------------------- */

static size_t slot(pid_t k, size_t cap)
{
	return ((uint32_t)k * 2654435761u) & (cap - 1);
}

void *ck__pidmap_get(const struct ck__pidmap *m, pid_t k)
{
	if (!m->cap || k <= 0)
		return NULL;
	for (size_t i = slot(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k)
			return m->vals[i];
		if (m->keys[i] == 0)
			return NULL;
	}
}

static int grow(struct ck__pidmap *m)
{
	size_t cap = m->cap ? (m->n * 4 > m->cap ? m->cap * 2 : m->cap) : 64;
	struct ck__pidmap t = { .cap = cap };
	t.keys = calloc(cap, sizeof(*t.keys));
	t.vals = calloc(cap, sizeof(*t.vals));
	if (!t.keys || !t.vals) {
		free(t.keys);
		free(t.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] > 0)
			ck__pidmap_put(&t, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = t;
	return 0;
}

int ck__pidmap_put(struct ck__pidmap *m, pid_t k, void *v)
{
	if (k <= 0)
		return -EINVAL;
	if ((m->used + 1) * 2 > m->cap) {
		int rc = grow(m);
		if (rc)
			return rc;
	}
	size_t tomb = SIZE_MAX;
	for (size_t i = slot(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k) {
			m->vals[i] = v;
			return 0;
		}
		if (m->keys[i] == -1 && tomb == SIZE_MAX)
			tomb = i;
		if (m->keys[i] == 0) {
			if (tomb == SIZE_MAX) {
				tomb = i;
				m->used++;
			}
			m->keys[tomb] = k;
			m->vals[tomb] = v;
			m->n++;
			return 0;
		}
	}
}

void *ck__pidmap_del(struct ck__pidmap *m, pid_t k)
{
	if (!m->cap || k <= 0)
		return NULL;
	for (size_t i = slot(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k) {
			void *v = m->vals[i];
			m->keys[i] = -1;
			m->vals[i] = NULL;
			m->n--;
			return v;
		}
		if (m->keys[i] == 0)
			return NULL;
	}
}

void ck__pidmap_free(struct ck__pidmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- token objects ------------------------------------------------------------ */

/* The supervisor of S's thread: tokens count in its session table (7-sessions.md "Cleanup"). */
static __thread struct ck__kacs_sup *current;

void ck__kacs_set_current(struct ck__kacs_sup *s)
{
	current = s;
}

struct ck__kacs_tok *ck__kacs_tok_new(struct ck_kacs_token *t)
{
	struct ck__kacs_tok *k = t ? malloc(sizeof(*k)) : NULL;
	if (!k) {
		ck_kacs_token_free(t);
		errno = ENOMEM;
		return NULL;
	}
	k->t = t;
	k->refs = 1;
	/* a session S does not know (a token of a test without a table) is not counted */
	if (current && current->sessions)
		ck_kacs_session_hold(current->sessions, t->auth_id);
	return k;
}

struct ck__kacs_tok *ck__kacs_tok_get(struct ck__kacs_tok *k)
{
	if (k)
		k->refs++;
	return k;
}

void ck__kacs_tok_put(struct ck__kacs_tok *k)
{
	if (!k || --k->refs)
		return;
	if (current && current->sessions)
		ck_kacs_session_release(current->sessions, k->t->auth_id);
	ck_kacs_token_free(k->t);
	free(k);
}

/* ---- lookups ------------------------------------------------------------------- */

struct ck__kacs_thread *ck__kacs_thread_find(struct ck__kacs_sup *s, pid_t tid)
{
	return ck__pidmap_get(&s->threads, tid);
}

struct ck__kacs_process *ck__kacs_process_find(struct ck__kacs_sup *s, pid_t tgid)
{
	return ck__pidmap_get(&s->procs, tgid);
}

struct ck__kacs_tok *ck__kacs_effective(const struct ck__kacs_thread *t)
{
	return t->imp ? t->imp : t->proc->primary;
}

int ck__kacs_process_each(struct ck__kacs_sup *s, int (*fn)(struct ck__kacs_process *p, void *data), void *data)
{
	for (size_t i = 0; i < s->procs.cap; i++) {
		if (s->procs.keys[i] <= 0)
			continue;
		int rc = fn(s->procs.vals[i], data);
		if (rc)
			return rc;
	}
	return 0;
}

size_t ck__kacs_tasks_list(struct ck__kacs_sup *s, pid_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < s->threads.cap; i++) {
		if (s->threads.keys[i] <= 0)
			continue;
		if (n < max)
			out[n] = s->threads.keys[i];
		n++;
	}
	return n;
}

size_t ck__kacs_tasks_count(const struct ck__kacs_sup *s, size_t *procs)
{
	if (procs)
		*procs = s->procs.n;
	return s->threads.n;
}

/* ---- making and dropping ------------------------------------------------------- */

static void thread_unlink(struct ck__kacs_thread *t)
{
	struct ck__kacs_process *p = t->proc;
	if (t->prev)
		t->prev->next = t->next;
	else
		p->thread_list = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	p->threads--;
}

static void process_free(struct ck__kacs_sup *s, struct ck__kacs_process *p)
{
	if (p->exec_pidfd >= 0)
		close(p->exec_pidfd); /* out of S's epoll too, where it was (blind) */
	ck__lineage_gen_put(s->lin, p->gen);
	ck__kacs_tok_put(p->primary);
	ck_kacs_sd_free(p->sd);
	free(p);
}

static void thread_drop(struct ck__kacs_sup *s, struct ck__kacs_thread *t)
{
	struct ck__kacs_process *p = t->proc;
	ck__pidmap_del(&s->threads, t->tid);
	thread_unlink(t);
	ck__kacs_tok_put(t->imp);
	free(t);
	if (p->threads == 0 && ck__pidmap_get(&s->procs, p->tgid) == p) {
		ck__pidmap_del(&s->procs, p->tgid);
		process_free(s, p);
	}
}

static struct ck__kacs_thread *thread_add(struct ck__kacs_sup *s, struct ck__kacs_process *p, pid_t tid,
					  uint64_t birth)
{
	struct ck__kacs_thread *old = ck__pidmap_get(&s->threads, tid);
	if (old)
		thread_drop(s, old); /* the tid was reused: its EXIT was not seen yet */
	struct ck__kacs_thread *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->proc = p;
	t->birth = birth;
	if (ck__pidmap_put(&s->threads, tid, t)) {
		free(t);
		return NULL;
	}
	t->next = p->thread_list;
	if (t->next)
		t->next->prev = t;
	p->thread_list = t;
	p->threads++;
	return t;
}

static void process_drop(struct ck__kacs_sup *s, struct ck__kacs_process *p)
{
	p->threads++; /* keep p alive while its threads go */
	while (p->thread_list)
		thread_drop(s, p->thread_list);
	if (ck__pidmap_get(&s->procs, p->tgid) == p)
		ck__pidmap_del(&s->procs, p->tgid);
	process_free(s, p);
}

void ck__kacs_process_gone(struct ck__kacs_sup *s, struct ck__kacs_process *p)
{
	process_drop(s, p);
}

void ck__kacs_tasks_clear(struct ck__kacs_sup *s)
{
	for (size_t i = 0; i < s->procs.cap; i++)
		if (s->procs.keys[i] > 0)
			process_drop(s, s->procs.vals[i]);
	ck__pidmap_free(&s->procs);
	ck__pidmap_free(&s->threads);
}

/* K22 5-psb/2-fields.md: a process_guid per process, a UUIDv4. */
static void new_guid(uint8_t g[16])
{
	if (getrandom(g, 16, 0) != 16)
		memset(g, 0, 16);
	g[6] = (uint8_t)((g[6] & 0x0F) | 0x40);
	g[8] = (uint8_t)((g[8] & 0x3F) | 0x80);
}

static struct ck__kacs_process *process_add(struct ck__kacs_sup *s, pid_t tgid, uint64_t birth,
					    struct ck_kacs_token *tok, const struct ck_kacs_psb *psb,
					    struct ck_kacs_sd *sd)
{
	struct ck__kacs_process *p = calloc(1, sizeof(*p));
	if (!p || !sd) {
		ck_kacs_token_free(tok);
		ck_kacs_sd_free(sd);
		free(p);
		return NULL;
	}
	if (!(p->primary = ck__kacs_tok_new(tok))) { /* tok is freed */
		ck_kacs_sd_free(sd);
		free(p);
		return NULL;
	}
	p->tgid = tgid;
	p->birth = birth;
	p->psb = *psb;
	p->sd = sd;
	p->dumpable = 1;
	p->exec_pidfd = -1;
	struct ck__kacs_process *old = ck__pidmap_get(&s->procs, tgid);
	if (old)
		process_drop(s, old); /* reused: its EXIT was not seen yet */
	if (ck__pidmap_put(&s->procs, tgid, p)) {
		process_free(s, p);
		return NULL;
	}
	if (!thread_add(s, p, tgid, birth)) {
		ck__pidmap_del(&s->procs, tgid);
		process_free(s, p);
		return NULL;
	}
	return p;
}

int ck__kacs_tasks_root(struct ck__kacs_sup *s, pid_t pid)
{
	struct ck_kacs_token *t = ck_kacs_token_copy(s->root_token, s->cfg.profile, &s->next_token_id);
	struct ck_kacs_psb psb = { 0 };
	if (!t)
		return -ENOMEM;
	/* the caller's bits were checked by ck_kacs_psb_set at new() */
	psb.mitigations = s->root_psb;
	if (s->cfg.profile == CK_KACS_V0_22)
		new_guid(psb.process_guid);
	struct ck_kacs_sd *sd = s->root_sd ? ck_kacs_sd_dup(s->root_sd) : ck_kacs_process_sd_default(t, s->cfg.profile);
	if (!process_add(s, pid, 0, t, &psb, sd))
		return -ENOMEM;
	return 0;
}

int ck__kacs_process_set_primary(struct ck__kacs_sup *s, struct ck__kacs_process *p, struct ck__kacs_tok *k)
{
	bool user_changed = !ck_kacs_sid_equal(&p->primary->t->user, &k->t->user);
	if (user_changed) {
		/* K20 5-psb/3-process-sd.md: INSTALL regenerates the SD when the user changes */
		struct ck_kacs_sd *sd = ck_kacs_process_sd_default(k->t, s->cfg.profile);
		if (!sd)
			return -ENOMEM;
		ck_kacs_sd_free(p->sd);
		p->sd = sd;
	}
	ck__kacs_tok_get(k);
	ck__kacs_tok_put(p->primary);
	p->primary = k;
	return 0;
}

#ifndef PF_EXITING
#define PF_EXITING 0x00000004 /* include/linux/sched.h: /proc/PID/stat's flags field */
#endif

/* ---- the records (§10.1) ---------------------------------------------------------- */

static int on_fork(struct ck__kacs_sup *s, const struct ck__lin_rec *r)
{
	struct ck__kacs_thread *creator = ck__kacs_thread_find(s, r->ptid);
	if (r->pid == r->ppid) {
		/* a thread: shares the process token, starts without impersonation */
		struct ck__kacs_process *p = ck__kacs_process_find(s, r->pid);
		if (!p)
			return -EAGAIN;
		if (creator && creator->proc == p)
			creator->in_clone = false;
		return thread_add(s, p, r->tid, r->time) ? 0 : -ENOMEM;
	}
	if (!creator || creator->proc->tgid != r->ppid)
		return -EAGAIN;
	/* a process: a deep copy of the creator's primary token as of now, the PSB, the default SD */
	struct ck__kacs_process *cp = creator->proc;
	struct ck_kacs_token *t = ck_kacs_token_copy(cp->primary->t, s->cfg.profile, &s->next_token_id);
	if (!t)
		return -ENOMEM;
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(cp->primary->t, s->cfg.profile);
	struct ck_kacs_psb psb = cp->psb;
	if (s->cfg.profile == CK_KACS_V0_22)
		new_guid(psb.process_guid);
	bool clone_parent = creator->in_clone && (creator->clone_flags & CLONE_PARENT);
	uint8_t dumpable = cp->dumpable; /* fork copies the mm's flag */
	struct ck__lin_gen *gen = cp->gen;
	creator->in_clone = false;
	struct ck__kacs_process *p = process_add(s, r->pid, r->time, t, &psb, sd);
	if (!p)
		return -ENOMEM;
	p->creator_tid = r->ptid;
	p->clone_parent = clone_parent;
	p->dumpable = dumpable;
	p->gen = ck__lineage_gen_get(gen); /* its record came through them: so did its events */
	return 0;
}

/*
 * Whether p's thread group, whose leader's EXIT record is being applied, has
 * not begun to exit: then the record came from an exec of a non-dumpable
 * image (begin_new_exec calls perf_event_exit_task and the task lives on).
 * A real exit sets PF_EXITING (exit_signals) before do_exit writes the record,
 * and the pidfd (taken at the execve call, so the very process) stays
 * unreadable until exit_notify: unreadable before and after /proc says "not
 * exiting" means the pid was not reused in between.
 */
static bool exec_not_exit(const struct ck__kacs_process *p)
{
	struct pollfd pfd = { .fd = p->exec_pidfd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0)
		return false; /* exited (or cannot tell: a real exit is the safe reading) */
	char path[64], line[512], *rp;
	unsigned long flags;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->tgid);
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(line, sizeof(line), f) && (rp = strrchr(line, ')')) &&
		  sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1 && !(flags & PF_EXITING);
	if (f)
		fclose(f);
	return ok && poll(&pfd, 1, 0) == 0;
}

static int on_exit_rec(struct ck__kacs_sup *s, const struct ck__lin_rec *r)
{
	struct ck__kacs_thread *t = ck__kacs_thread_find(s, r->tid);
	if (!t || t->birth > r->time)
		return 0; /* not ours, or older than the task that now has the tid */
	struct ck__kacs_process *p = t->proc;
	/* after an exec the leader is the process's one thread: only then can this be the exec's record */
	if (t->tid == p->tgid && p->threads == 1 && p->exec_pidfd >= 0 && !p->blind && exec_not_exit(p)) {
		int rc = ck__kacs_lineage_exec_lost(s, p);
		if (rc <= 0)
			return rc;
	}
	thread_drop(s, t);
	return 0;
}

/* The executable's integrity from its security.peios.sd label, Medium without one (§10.1). */
static uint32_t file_il(int fd)
{
	uint8_t buf[CK_KACS_SD_MAX];
	ssize_t n = fgetxattr(fd, "security.peios.sd", buf, sizeof(buf));
	struct ck_kacs_sd *sd;
	uint32_t il = CK_KACS_IL_MEDIUM;
	if (n <= 0 || ck_kacs_sd_parse(buf, (size_t)n, &sd, NULL))
		return il;
	for (uint16_t i = 0; sd->sacl_present && i < sd->sacl.count; i++) {
		const struct ck_kacs_ace *a = &sd->sacl.aces[i];
		if (a->type == CK_KACS_ACE_MANDATORY_LABEL && !(a->flags & CK_KACS_ACE_INHERIT_ONLY) &&
		    a->sid.sub_count == 1) {
			il = a->sid.sub[0];
			break;
		}
	}
	ck_kacs_sd_free(sd);
	return il;
}

/* Whether fd's file is an ELF executable that is not position-independent (ET_EXEC). */
static bool non_pie(int fd)
{
	unsigned char h[EI_NIDENT + 2];
	return pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && ck__kacs_elf_type(h, sizeof(h)) == ET_EXEC;
}

static void kill_pid(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	} else {
		kill(pid, SIGKILL);
	}
}

static int on_exec(struct ck__kacs_sup *s, const struct ck__lin_rec *r)
{
	struct ck__kacs_process *p = ck__kacs_process_find(s, r->pid);
	if (!p)
		return 0; /* not of the tree */
	/* only the thread that exec'd survives, as tgid, without impersonation; SD and mitigations stay */
	p->threads++; /* keep p while its threads go */
	while (p->thread_list)
		thread_drop(s, p->thread_list);
	p->threads--;
	if (!thread_add(s, p, r->pid, r->time))
		return -ENOMEM;

	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)r->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	p->psb.pip_type = p->psb.pip_trust = 0;
	p->dumpable = 1; /* exec makes a process dumpable again (begin_new_exec); an EXIT record after says not */
	if (fd >= 0 && s->pip && ck__pip_cache_verify(s->pip, fd, &res, NULL) == 0 &&
	    res.status == CK_KACS_PIP_SIGNED) {
		p->psb.pip_type = res.type;
		p->psb.pip_trust = res.trust;
	}
	if (p->psb.pip_type != CK_KACS_PIP_NONE) {
		/* §10.3: S cannot clear another process's dumpable flag; no core at least */
		struct rlimit zero = { 0, 0 };
		prlimit(r->pid, RLIMIT_CORE, &zero, NULL);
	}
	if ((p->psb.mitigations & CK_KACS_PSB_PIE) && (fd < 0 || non_pie(fd))) {
		/* §9: the post-exec check for an image that slipped past the path check */
		kill_pid(r->pid);
	}
	uint32_t il = fd >= 0 ? file_il(fd) : CK_KACS_IL_MEDIUM;
	if (fd >= 0)
		close(fd);
	struct ck_kacs_token *lowered = NULL;
	int rc = ck_kacs_token_new_process_min(p->primary->t, il, s->cfg.profile, &s->next_token_id, &lowered);
	if (rc == 0 && lowered) {
		struct ck__kacs_tok *k = ck__kacs_tok_new(lowered);
		if (!k)
			return -ENOMEM;
		rc = ck__kacs_process_set_primary(s, p, k);
		ck__kacs_tok_put(k);
	}
	return rc == -EINVAL ? 0 : rc;
}

void ck__kacs_exec_pidfd(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	struct ck__kacs_process *p = c->caller->proc;
	int fd = (int)syscall(SYS_pidfd_open, p->tgid, 0);
	if (fd < 0)
		return;
	/* the caller still waits in its call, so the tgid was its thread group's when opened */
	if (ck__kacs_mem_read(s, c, 0, NULL, 0) != 0) {
		close(fd);
		return;
	}
	if (p->exec_pidfd >= 0)
		close(p->exec_pidfd);
	p->exec_pidfd = fd;
}

int ck__kacs_tasks_apply(struct ck__kacs_sup *s, const struct ck__lin_rec *r)
{
	switch (r->kind) {
	case CK__LIN_FORK:
		return on_fork(s, r);
	case CK__LIN_EXIT:
		return on_exit_rec(s, r);
	case CK__LIN_EXEC:
		return on_exec(s, r);
	case CK__LIN_LOST:
		return -EIO;
	}
	return 0;
}
