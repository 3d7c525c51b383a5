/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KACS supervisor S (design §2): starts a tree through ck_spawn with a
 * seccomp listener and a hold, opens the lineage rings on the held root,
 * gives the root its state, then serves the tree from one epoll loop on one
 * thread: every ring is drained before every notification is received, so
 * every task a notification can involve is in the table (§3).
 */
#include <clonekit/kacs.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>
#include <clonekit/validate.h>
#include <clonekit/abi.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/json.h"
#include "kacs/sup_internal.h"

#define DEFER_NS 1000000000ull /* §3: a newborn's FORK record is waited for 1 s, then ESRCH */
#define EXTERNAL_SD "O:SYG:SYD:(A;;GA;;;SY)"

/* The epoll tags: what an event's data.u64 names (a handle socket's is its fd, >= 0). */
/* ring i is TAG_RING - i */
/* a blind process's pidfd f is TAG_BLIND - f */
enum { TAG_LISTENER = -1, TAG_SIGNAL = -2, TAG_EXEC = -3, TAG_RING = -16, TAG_BLIND = -(1 << 30) };

struct ck_kacs_supervisor {
	struct ck__kacs_sup s;
};

static void kill_tree(struct ck__kacs_sup *s);

static int fail(struct ck_kacs_error *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ck_kacs_error *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->offset = 0;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return rc;
}

const struct ck__kacs_config *ck__kacs_config(const struct ck__kacs_sup *s)
{
	return &s->cfg;
}

uint64_t *ck__kacs_next_token_id(struct ck__kacs_sup *s)
{
	return &s->next_token_id;
}

struct ck_kacs_sessions *ck__kacs_sessions(struct ck__kacs_sup *s)
{
	return s->sessions;
}

struct ck__kacs_handles **ck__kacs_handles_slot(struct ck__kacs_sup *s)
{
	return &s->handles;
}

/* ---- new / free ------------------------------------------------------------------ */

/* The root token's logon session must be in S's table (the presets' user session is 1000). */
static int root_session(struct ck__kacs_sup *s, struct ck_kacs_error *err)
{
	struct ck_kacs_session_info info = { .size = sizeof(info) };
	uint64_t want = s->root_token->auth_id, id;
	if (ck_kacs_session_get(s->sessions, want, &info) == 0)
		return 0;
	if (want != CK_KACS_SESSION_FIRST_DYNAMIC)
		return fail(err, -EINVAL, "the root token's logon session %#llx does not exist (S makes only %#llx)",
			    (unsigned long long)want, (unsigned long long)CK_KACS_SESSION_FIRST_DYNAMIC);
	int rc = ck_kacs_session_add(s->sessions, CK_KACS_LOGON_INTERACTIVE, "Negotiate", 9, &s->root_token->user,
				     &id);
	if (rc)
		return fail(err, rc, "the root token's logon session: %s", strerror(-rc));
	return id == want ? 0 : fail(err, -EINVAL, "the root token's logon session %#llx", (unsigned long long)want);
}

void ck_kacs_supervisor_free(struct ck_kacs_supervisor *sv)
{
	if (!sv)
		return;
	struct ck__kacs_sup *s = &sv->s;
	ck__kacs_set_current(s);
	if (s->started && !s->ended && !s->killed)
		kill_tree(s); /* a tree still running ends with its supervisor */
	if (s->root) {
		ck_spawn_free(s->root); /* kills and reaps a root not yet waited for */
		s->root = NULL;
	}
	if (s->started && !s->ended) {
		/* the killed tree's other tasks came back to S (subreaper): reap them */
		siginfo_t si;
		while (waitid(P_ALL, 0, &si, WEXITED) == 0 || errno == EINTR)
			;
	}
	while (s->deferred) {
		struct ck__kacs_deferred *d = s->deferred;
		s->deferred = d->next;
		free(d);
	}
	while (s->retry) {
		struct ck__kacs_retry *r = s->retry;
		s->retry = r->next;
		free(r);
	}
	ck__kacs_handles_free(s);
	ck__kacs_tasks_clear(s);
	ck__kacs_set_current(NULL);
	ck__lineage_free(s->lin);
	if (s->listener >= 0)
		close(s->listener);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->thread_pidfd >= 0)
		close(s->thread_pidfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->mask_set)
		sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	ck__pip_cache_free(s->pip);
	ck_kacs_sessions_free(s->sessions);
	ck_kacs_token_free(s->root_token);
	ck_kacs_sd_free(s->root_sd);
	ck_kacs_sd_free(s->external_sd);
	free(s->keys);
	free(sv);
}

int ck_kacs_supervisor_new(struct ck_kacs_supervisor **out, const struct ck_kacs_supervisor_opts *o,
			   struct ck_kacs_error *err)
{
	if (!out)
		return fail(err, -EINVAL, "no place for the supervisor");
	*out = NULL;
	if (!o || o->size < offsetof(struct ck_kacs_supervisor_opts, decisions_fd) + sizeof(int))
		return fail(err, -EINVAL, "opts: size %zu is too small", o ? o->size : 0);
	if (o->size > sizeof(*o)) {
		for (size_t i = sizeof(*o); i < o->size; i++)
			if (((const uint8_t *)o)[i])
				return fail(err, -EINVAL, "opts: a field this library does not know is set (byte %zu)", i);
	}
	if (o->profile != CK_KACS_V0_20 && o->profile != CK_KACS_V0_22)
		return fail(err, -EINVAL, "profile %d: not v0.20 or v0.22", (int)o->profile);
	if (o->perf_pages & (o->perf_pages - 1))
		return fail(err, -EINVAL, "perf_pages %u: not a power of two", o->perf_pages);
	if (o->n_pip_keys && !o->pip_keys)
		return fail(err, -EINVAL, "pip_keys: NULL with %zu keys", o->n_pip_keys);
	struct ck_kacs_psb check = { 0 };
	int rc = ck_kacs_psb_set(&check, o->psb, CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE | CK_KACS_PSB_UI_ACCESS);
	if (rc == -ENODEV)
		return fail(err, rc, "psb %#x: the supervisor cannot activate %#x (only nochild, pie, ui_access)",
			    o->psb, o->psb & ~(CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE | CK_KACS_PSB_UI_ACCESS));
	if (rc)
		return fail(err, rc, "psb %#x: bits past %#x", o->psb, CK_KACS_PSB_ALL);
	if (o->token && o->token->type != CK_KACS_TOKEN_PRIMARY)
		return fail(err, -EINVAL, "token: the root's token must be a primary token");

	struct ck_kacs_supervisor *sv = calloc(1, sizeof(*sv));
	if (!sv)
		return fail(err, -ENOMEM, "out of memory");
	struct ck__kacs_sup *s = &sv->s;
	s->listener = s->epfd = s->sigfd = s->root_pidfd = s->exec_fd = s->thread_pidfd = -1;
	s->cfg.profile = o->profile;
	s->root_psb = check.mitigations;
	s->perf_pages = o->perf_pages ? o->perf_pages : 32;
	s->on_decision = o->on_decision;
	s->data = o->data;
	s->decisions_fd = o->decisions_fd;
	s->next_token_id = CK_KACS_TOKEN_ID_FIRST;
	s->self.external = true;
	s->self.psb.pip_type = s->self.psb.pip_trust = 0xFFFFFFFFu; /* §7.4: nothing in the tree dominates S */

	if (o->token)
		s->root_token = ck_kacs_token_copy(o->token, o->profile, &s->next_token_id);
	else if (ck_kacs_token_preset("system", o->profile, &s->next_token_id, &s->root_token))
		s->root_token = NULL;
	s->sessions = ck_kacs_sessions_new();
	if (!s->root_token || !s->sessions)
		goto nomem;
	if (o->sd && !(s->root_sd = ck_kacs_sd_dup(o->sd)))
		goto nomem;
	if (o->external_sd)
		s->external_sd = ck_kacs_sd_dup(o->external_sd);
	else if ((rc = ck_kacs_sddl_parse(EXTERNAL_SD, &s->external_sd, NULL)))
		s->external_sd = NULL;
	if (!s->external_sd)
		goto nomem;
	s->self.sd = s->external_sd;
	if (o->n_pip_keys) {
		if (!(s->keys = malloc(o->n_pip_keys * sizeof(*s->keys))))
			goto nomem;
		memcpy(s->keys, o->pip_keys, o->n_pip_keys * sizeof(*s->keys));
	}
	s->cfg.pip_keys = s->keys;
	s->cfg.n_pip_keys = o->n_pip_keys;
	s->cfg.external_sd = s->external_sd;
	if (o->n_pip_keys && !(s->pip = ck__pip_cache_new(s->keys, o->n_pip_keys, 256)))
		goto nomem;
	if ((rc = root_session(s, err))) {
		ck_kacs_supervisor_free(sv);
		return rc;
	}
	*out = sv;
	return 0;
nomem:
	ck_kacs_supervisor_free(sv);
	return fail(err, -ENOMEM, "out of memory");
}

/* ---- the decision log ---------------------------------------------------------------- */

static const char *user_text(const struct ck__kacs_tok *k, char *buf, size_t len)
{
	if (!k)
		return NULL;
	ck_kacs_sid_format(&k->t->user, buf, len);
	return buf;
}

static void decision_json(int fd, const struct ck_kacs_decision *d)
{
	struct ck__json w;
	char hex[16];
	ck__json_init(&w);
	ck__json_obj_begin(&w, NULL);
	ck__json_str(&w, "source", "kacs");
	ck__json_uint(&w, "time_ns", d->time_ns);
	ck__json_int(&w, "pid", d->caller_pid);
	ck__json_int(&w, "tid", d->caller_tid);
	ck__json_str(&w, "caller_user", d->caller_user);
	if (d->target_pid)
		ck__json_int(&w, "target_pid", d->target_pid);
	else
		ck__json_null(&w, "target_pid");
	if (d->target_user)
		ck__json_str(&w, "target_user", d->target_user);
	else
		ck__json_null(&w, "target_user");
	ck__json_str(&w, "syscall", d->syscall);
	ck__json_str(&w, "op", d->op);
	snprintf(hex, sizeof(hex), "0x%x", d->right);
	ck__json_str(&w, "right", hex);
	snprintf(hex, sizeof(hex), "0x%x", d->granted);
	ck__json_str(&w, "granted", hex);
	ck__json_int(&w, "result", d->verdict ? -d->verdict : 0);
	if (d->verdict) {
		const char *name = ck_errno_name(d->verdict);
		ck__json_str(&w, "error", name ? name : "?");
		ck__json_str(&w, "reason", d->reason ? d->reason : "?");
	} else {
		ck__json_null(&w, "error");
		ck__json_null(&w, "reason");
	}
	ck__json_uint(&w, "caller_pip_type", d->caller_pip_type);
	ck__json_uint(&w, "caller_pip_trust", d->caller_pip_trust);
	ck__json_uint(&w, "target_pip_type", d->target_pip_type);
	ck__json_uint(&w, "target_pip_trust", d->target_pip_trust);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)d->privileges_used);
	ck__json_str(&w, "privileges_used", hex);
	ck__json_obj_end(&w);
	ck__json_write_line(&w, fd);
	ck__json_release(&w);
}

static void decision_emit(struct ck__kacs_sup *s, const struct ck_kacs_decision *d)
{
	if (s->on_decision)
		s->on_decision(d, s->data);
	if (s->decisions_fd >= 0)
		decision_json(s->decisions_fd, d);
}

void ck__kacs_decided(struct ck__kacs_sup *s, const struct ck__kacs_call *c, const char *op,
		      const struct ck__kacs_process *target, uint32_t right,
		      const struct ck_kacs_access_result *res, int verdict, const char *reason)
{
	char cu[192], tu[192], sysname[48];
	s->st.decisions++;
	if (!s->on_decision && s->decisions_fd < 0)
		return;
	struct ck_kacs_decision d = { .size = sizeof(d) };
	d.time_ns = ck__kacs_now_ns(CLOCK_REALTIME);
	d.caller_tid = (pid_t)c->req->pid;
	d.caller_pid = c->caller ? c->caller->proc->tgid : d.caller_tid;
	d.caller_user = c->caller ? user_text(ck__kacs_effective(c->caller), cu, sizeof(cu)) : NULL;
	d.syscall = c->syscall;
	if (!d.syscall) {
		char *n = seccomp_syscall_resolve_num_arch(c->req->data.arch, c->req->data.nr);
		snprintf(sysname, sizeof(sysname), "%s", n ? n : "?");
		free(n);
		d.syscall = sysname;
	}
	d.op = op;
	d.right = right;
	d.granted = res ? res->granted : 0;
	d.verdict = verdict;
	d.reason = verdict ? reason : NULL;
	d.privileges_used = res ? res->privileges_used : 0;
	if (c->caller) {
		d.caller_pip_type = c->caller->proc->psb.pip_type;
		d.caller_pip_trust = c->caller->proc->psb.pip_trust;
	}
	if (target) {
		d.target_pid = target->tgid;
		d.target_user = user_text(target->primary, tu, sizeof(tu));
		d.target_pip_type = target->psb.pip_type;
		d.target_pip_trust = target->psb.pip_trust;
	}
	decision_emit(s, &d);
}

/* ---- lineage ------------------------------------------------------------------------ */

static int on_record(void *data, const struct ck__lin_rec *r)
{
	struct ck__kacs_sup *s = data;
	int rc = ck__kacs_tasks_apply(s, r);
	if (rc == -EAGAIN) {
		/* its creator's record sorted after it (clocks of two CPUs): retried at the end of the pass */
		struct ck__kacs_retry *x = malloc(sizeof(*x));
		if (!x)
			return -ENOMEM;
		x->rec = *r;
		x->next = s->retry;
		s->retry = x;
		return 0;
	}
	if (rc == -EIO) {
		s->st.lost += r->lost ? r->lost : 1;
		return rc;
	}
	s->st.records++;
	s->records_pass++;
	return rc;
}

struct pp {
	pid_t pid, ppid;
};

static int by_pid(const void *a, const void *b)
{
	const struct pp *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every process whose ancestry reaches self, from /proc (the slow path): the count, up to max into out. */
static size_t descendants(pid_t self, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct pp *all = NULL;
	size_t n = 0, cap = 0, found = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		char path[64], line[256];
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		char *rp;
		int ppid;
		if (fgets(line, sizeof(line), f) && (rp = strrchr(line, ')')) && sscanf(rp + 1, " %*c %d", &ppid) == 1) {
			if (n == cap) {
				struct pp *m = realloc(all, (cap = cap ? cap * 2 : 1024) * sizeof(*all));
				if (!m) {
					fclose(f);
					break;
				}
				all = m;
			}
			all[n++] = (struct pp){ pid, (pid_t)ppid };
		}
		fclose(f);
	}
	closedir(d);
	if (all)
		qsort(all, n, sizeof(*all), by_pid);
	for (size_t i = 0; i < n; i++) {
		pid_t up = all[i].ppid;
		for (size_t depth = 0; up > 1 && depth < n; depth++) {
			if (up == self) {
				if (found < max)
					out[found] = all[i].pid;
				found++;
				break;
			}
			struct pp key = { up, 0 }, *at = bsearch(&key, all, n, sizeof(*all), by_pid);
			up = at ? at->ppid : 0;
		}
	}
	free(all);
	return found;
}

/*
 * Kills the tree (design §3: a lost record fails closed): every task S knows,
 * then every descendant of S in /proc, since S may no longer know them all.
 */
static void kill_tree(struct ck__kacs_sup *s)
{
	static pid_t pids[4096];
	size_t n = ck__kacs_tasks_list(s, pids, sizeof(pids) / sizeof(pids[0]));
	for (size_t i = 0; i < n && i < sizeof(pids) / sizeof(pids[0]); i++) {
		struct ck__kacs_thread *t = ck__kacs_thread_find(s, pids[i]);
		if (t && t->tid == t->proc->tgid)
			kill(t->tid, SIGKILL);
	}
	if (s->root && !s->root_done)
		ck_spawn_signal(s->root, SIGKILL);
	for (int round = 0; round < 64; round++) {
		n = descendants(s->self_pid, pids, sizeof(pids) / sizeof(pids[0]));
		if (n == 0)
			break;
		for (size_t i = 0; i < n && i < sizeof(pids) / sizeof(pids[0]); i++)
			kill(pids[i], SIGKILL);
		usleep(1000);
	}
	s->killed = true;
}

/*
 * Fails closed (§3): the tree is killed, step reports -EIO. The advice to
 * grow the rings only when perf says records were dropped: a task can also
 * go unnamed without a loss (one S could not follow), and that is no ring's fault.
 */
static int lineage_lost(struct ck__kacs_sup *s, const char *why)
{
	if (!s->lost) {
		s->lost = true;
		int64_t dropped = s->st.lost ? (int64_t)s->st.lost : s->lin ? ck__lineage_lost(s->lin) : 0;
		if (!s->st.lost)
			s->st.lost = 1;
		snprintf(s->message, sizeof(s->message), "lineage lost%s%s: %s; the tree was killed", *why ? ": " : "", why,
			 dropped != 0 ? "task records were dropped (try a larger --perf-pages)"
				      : "no task record was dropped, the kernel reported no such task to the supervisor");
		kill_tree(s);
	}
	return -EIO;
}

static int drain(struct ck__kacs_sup *s)
{
	if (!s->lin || s->lost)
		return s->lost ? -EIO : 0;
	s->records_pass = 0;
	int rc = ck__lineage_drain(s->lin, on_record, s);
	/* records whose creator came later in the pass, in their own order */
	struct ck__kacs_retry *list = NULL;
	while (s->retry) {
		struct ck__kacs_retry *x = s->retry;
		s->retry = x->next;
		x->next = list;
		list = x;
	}
	for (bool progress = true; list && progress && rc >= 0;) {
		progress = false;
		for (struct ck__kacs_retry **pp = &list; *pp;) {
			int r = ck__kacs_tasks_apply(s, &(*pp)->rec);
			if (r == -EAGAIN) {
				pp = &(*pp)->next;
				continue;
			}
			struct ck__kacs_retry *x = *pp;
			*pp = x->next;
			free(x);
			progress = true;
			s->records_pass++;
			if (r < 0) {
				rc = r;
				break;
			}
		}
	}
	while (list) {
		/* a creator that is no task of the tree: nothing in a ring can explain that */
		struct ck__kacs_retry *x = list;
		list = x->next;
		free(x);
		if (rc >= 0)
			rc = -EIO;
	}
	if (rc == -EIO)
		return lineage_lost(s, "");
	return rc < 0 ? rc : 0;
}

/* ---- a non-dumpable exec (§3) ---------------------------------------------------------- */

/* A decision about p taken with no call of p's in hand: its exec, seen in its records. */
static void noted(struct ck__kacs_sup *s, const struct ck__kacs_process *p, const char *op, int verdict,
		  const char *reason)
{
	char cu[192];
	s->st.decisions++;
	if (!s->on_decision && s->decisions_fd < 0)
		return;
	struct ck_kacs_decision d = { .size = sizeof(d) };
	d.time_ns = ck__kacs_now_ns(CLOCK_REALTIME);
	d.caller_pid = d.caller_tid = p->tgid;
	d.caller_user = user_text(p->primary, cu, sizeof(cu));
	d.syscall = "execve";
	d.op = op;
	d.verdict = verdict;
	d.reason = verdict ? reason : NULL;
	d.caller_pip_type = p->psb.pip_type;
	d.caller_pip_trust = p->psb.pip_trust;
	decision_emit(s, &d);
}

/* fs.suid_dumpable: what a non-dumpable exec leaves in the flag (0, or 2 for root-only cores). */
static uint8_t suid_dumpable(void)
{
	FILE *f = fopen("/proc/sys/fs/suid_dumpable", "re");
	int v = 0;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return (uint8_t)(v == 2 ? 2 : 0);
}

/* p's events opened again (a gen) while its pidfd says it was alive throughout: 0, or -errno. */
static int reattach(struct ck__kacs_sup *s, struct ck__kacs_process *p)
{
	struct ck__lin_gen *g;
	if (!s->lin)
		return -ENODEV;
	int rc = ck__lineage_attach(s->lin, p->tgid, &g);
	struct pollfd pfd = { .fd = p->exec_pidfd, .events = POLLIN };
	if (rc == 0 && poll(&pfd, 1, 0) != 0) {
		ck__lineage_gen_put(s->lin, g); /* it ended meanwhile: the pid may name another task now */
		rc = -ESRCH;
	}
	if (rc)
		return rc;
	ck__lineage_gen_put(s->lin, p->gen); /* the exec took its copies of those */
	p->gen = g;
	return 0;
}

int ck__kacs_lineage_exec_lost(struct ck__kacs_sup *s, struct ck__kacs_process *p)
{
	p->dumpable = suid_dumpable();
	int rc = reattach(s, p);
	if (rc == 0) {
		s->st.reattached++;
		noted(s, p, "reattach", 0, NULL);
		return 0;
	}
	if (rc == -ESRCH)
		return 1;
	if (rc == -ENOMEM)
		return rc;
	/* S may not trace it (unprivileged): its own calls are served, no task of its can be followed */
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(TAG_BLIND - p->exec_pidfd) };
	noted(s, p, "reattach", -rc, "lineage");
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, p->exec_pidfd, &ev) < 0) {
		/* its end could not be seen, so its entry could outlive its pid: it ends now */
		syscall(SYS_pidfd_send_signal, p->exec_pidfd, SIGKILL, NULL, 0);
		return 1;
	}
	p->blind = true;
	s->st.blind++;
	return 0;
}

int ck__kacs_blind_gate(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	struct ck__kacs_process *p = c->caller->proc;
	if (!p->blind)
		return 1;
	/* it may be dumpable again (PR_SET_DUMPABLE): it waits in this call, so the pid is its own */
	if (reattach(s, p) == 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, p->exec_pidfd, NULL);
		p->blind = false;
		s->st.reattached++;
		ck__kacs_decided(s, c, "reattach", p, 0, NULL, 0, NULL);
		return 1;
	}
	ck__kacs_decided(s, c, "no_lineage", p, 0, NULL, EPERM, "lineage");
	ck__kacs_reply_error(c, EPERM);
	return 0;
}

struct blind_find {
	int fd;
	struct ck__kacs_process *p;
};

static int blind_match(struct ck__kacs_process *p, void *data)
{
	struct blind_find *f = data;
	if (!p->blind || p->exec_pidfd != f->fd)
		return 0;
	f->p = p;
	return 1;
}

/* A blind process's pidfd is readable: it ended, and no EXIT record will say so. */
static void blind_ended(struct ck__kacs_sup *s, int fd)
{
	struct blind_find f = { fd, NULL };
	ck__kacs_process_each(s, blind_match, &f);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (f.p && poll(&pfd, 1, 0) == 1)
		ck__kacs_process_gone(s, f.p);
}

/* ---- notifications ----------------------------------------------------------------- */

static struct seccomp_notif_sizes sizes;

static bool is_creation(const struct seccomp_notif *req, uint64_t *flags)
{
	const struct ck_arch_info *a = ck_arch_by_audit(req->data.arch);
	if (!a)
		return false;
	int nr = req->data.nr;
	if (nr == a->nr[CK_NR_CLONE]) {
		*flags = req->data.args[0];
		return true;
	}
	if (nr == a->nr[CK_NR_FORK]) {
		*flags = SIGCHLD;
		return true;
	}
	if (nr == a->nr[CK_NR_VFORK]) {
		*flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
		return true;
	}
	return false;
}

/* One notification through its handler: 0 answered, 1 deferred, -errno S failed (answered EIO). */
static int dispatch(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	const struct seccomp_notif *req = c->req;
	uint64_t flags;
	c->caller = ck__kacs_thread_find(s, (pid_t)req->pid);
	if (!c->caller && !s->lost && drain(s) >= 0) {
		/* born after the drain before RECV: its FORK record was in a ring before its call */
		c->caller = ck__kacs_thread_find(s, (pid_t)req->pid);
	}
	if (!c->caller) {
		/* every task's FORK record is in a ring before it runs (§3), and drained: it was lost */
		char why[64];
		snprintf(why, sizeof(why), "a call from tid %d, which no record named", (int)req->pid);
		ck__kacs_reply_error(c, EPERM);
		lineage_lost(s, why);
		return 0;
	}
	if (req->data.arch == AUDIT_ARCH_X86_64 && ck__kacs_emulated(req->data.nr))
		return ck__kacs_emulate(s, c);
	if (is_creation(req, &flags)) {
		/* the FORK record that follows tells its creator's flags (CLONE_PARENT) */
		c->caller->in_clone = true;
		c->caller->clone_flags = flags;
	}
	return ck__kacs_enforce(s, c);
}

static int answer(struct ck__kacs_sup *s, struct ck__kacs_call *c, int rc)
{
	if (rc < 0)
		ck__kacs_reply_error(c, EIO);
	int r = ck__kacs_call_send(s, c);
	ck__kacs_call_done(c);
	if (r == 0)
		s->st.notifications++;
	return 0;
}

static int defer(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	struct ck__kacs_deferred *d = malloc(sizeof(*d));
	if (!d) {
		ck__kacs_reply_error(c, EAGAIN);
		return answer(s, c, 0);
	}
	memcpy(&d->req, c->req, sizeof(d->req));
	d->deadline_ns = ck__kacs_now_ns(CLOCK_MONOTONIC) + DEFER_NS;
	d->next = s->deferred;
	s->deferred = d;
	s->st.deferred++;
	ck__kacs_call_done(c);
	return 0;
}

/* The deferred notifications again (after new records), or ESRCH past their deadline. */
static void retry_deferred(struct ck__kacs_sup *s, bool records)
{
	uint64_t now = ck__kacs_now_ns(CLOCK_MONOTONIC);
	struct ck__kacs_deferred **pp = &s->deferred;
	while (*pp) {
		struct ck__kacs_deferred *d = *pp;
		struct seccomp_notif_resp resp;
		struct ck__kacs_call c;
		ck__kacs_call_init(&c, &d->req, &resp);
		int rc = 1;
		if (records)
			rc = dispatch(s, &c);
		if (rc == 1 && now >= d->deadline_ns) {
			ck__kacs_reply_error(&c, ESRCH);
			rc = 0;
		}
		if (rc == 1) {
			ck__kacs_call_done(&c);
			pp = &d->next;
			continue;
		}
		answer(s, &c, rc);
		*pp = d->next;
		free(d);
	}
}

static int serve_one(struct ck__kacs_sup *s)
{
	union {
		struct seccomp_notif req;
		uint8_t raw[512];
	} u;
	union {
		struct seccomp_notif_resp resp;
		uint8_t raw[512];
	} v;
	struct ck__kacs_call c;

	int rc = drain(s);
	if (rc == -EIO)
		return rc;
	if (s->records_pass && s->deferred)
		retry_deferred(s, true);
	memset(&u, 0, sizeof(u) < sizes.seccomp_notif ? sizeof(u) : sizes.seccomp_notif);
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &u.req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -errno; /* ENOENT: the caller died meanwhile */
	ck__kacs_call_init(&c, &u.req, &v.resp);
	/* records written before the call was made (a FORK, an exec's EXIT) may have come after the drain above */
	if (drain(s) == -EIO) {
		ck__kacs_reply_error(&c, EPERM);
		answer(s, &c, 0);
		return -EIO;
	}
	if (s->records_pass && s->deferred)
		retry_deferred(s, true); /* a newborn's record may be among them: the step's own retry came before */
	rc = dispatch(s, &c);
	if (rc == 1)
		return defer(s, &c);
	answer(s, &c, rc);
	return s->lost ? -EIO : 0;
}

/* ---- children, signals, the end ------------------------------------------------------ */

static void root_reaped(struct ck__kacs_sup *s, int status)
{
	s->root_done = true;
	s->root_status = status;
}

/* Reaps every child of S that has ended: the root through its ck_spawn handle, orphans of the tree by pid. */
static int reap(struct ck__kacs_sup *s)
{
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			return errno == ECHILD ? 1 : -errno;
		if (si.si_pid == 0)
			return 0;
		if (si.si_pid == s->root_pid && s->root && !s->root_done) {
			int st;
			if (s->exec_pending) {
				s->need_reap = true; /* again once execve's outcome is in */
				return 0; /* ck_spawn_wait_exec collects it with execve's outcome */
			}
			if (ck_spawn_wait(s->root, &st) == 0)
				root_reaped(s, st);
			continue;
		}
		waitid(P_PID, (id_t)si.si_pid, &si, WEXITED);
	}
}

static void on_exec_outcome(struct ck__kacs_sup *s)
{
	struct ck_spawn_error e = { .size = sizeof(e) };
	int rc = ck_spawn_wait_exec(s->root, &e);
	s->exec_pending = false;
	s->need_reap = true;
	if (rc < 0) {
		s->exec_err = rc;
		snprintf(s->message, sizeof(s->message), "%s", e.message);
		/* the child was reaped by ck_spawn_wait_exec: exit status as run's */
		root_reaped(s, (rc == -ENOENT ? 127 : 126) << 8);
	}
	if (s->exec_fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->exec_fd, NULL);
		s->exec_fd = -1;
	}
}

static void on_signal(struct ck__kacs_sup *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			s->need_reap = true; /* reap() below: not on every step, it is a system call */
			continue;
		}
		if (s->root && !s->root_done)
			ck_spawn_signal(s->root, (int)si.ssi_signo);
	}
}

/*
 * Whether the tree has ended: the root reaped and no child of S left. Every
 * live task of the tree has an ancestor that is S's child, since S is a
 * subreaper (§3), so no child means no task, and the zombies are reaped.
 */
static bool tree_ended(struct ck__kacs_sup *s, int reaped_all)
{
	if (!s->root_done || s->exec_pending || reaped_all != 1)
		return false;
	ck__kacs_tasks_clear(s); /* EXIT records still in a ring name tasks that are gone */
	return true;
}

int ck__kacs_watch_fd(struct ck__kacs_sup *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLHUP, .data.u64 = (uint64_t)fd };
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int watch(struct ck__kacs_sup *s, int fd, int64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)tag };
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int next_timeout(struct ck__kacs_sup *s, int timeout_ms)
{
	int t = timeout_ms;
	if (s->deferred) {
		uint64_t now = ck__kacs_now_ns(CLOCK_MONOTONIC), first = UINT64_MAX;
		for (struct ck__kacs_deferred *d = s->deferred; d; d = d->next)
			if (d->deadline_ns < first)
				first = d->deadline_ns;
		int ms = first <= now ? 0 : (int)((first - now) / 1000000u) + 1;
		if (t < 0 || ms < t)
			t = ms;
	}
	return t;
}

int ck_kacs_supervisor_step(struct ck_kacs_supervisor *sv, int timeout_ms)
{
	if (!sv)
		return -EINVAL;
	struct ck__kacs_sup *s = &sv->s;
	if (!s->started)
		return -EINVAL;
	if (s->ended)
		return s->lost ? -EIO : 0;
	ck__kacs_set_current(s);
	struct epoll_event evs[16];
	int n = epoll_wait(s->epfd, evs, 16, next_timeout(s, timeout_ms));
	if (n < 0 && errno != EINTR)
		return -errno;
	int rc = drain(s);
	if (rc == -EIO)
		goto lost;
	bool records = s->records_pass != 0;
	for (int i = 0; i < n; i++) {
		int64_t tag = (int64_t)evs[i].data.u64;
		if (tag == TAG_LISTENER) {
			if (evs[i].events & EPOLLIN) {
				if (serve_one(s) == -EIO)
					goto lost;
			} else if (evs[i].events & EPOLLHUP) {
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->listener, NULL); /* no task holds the filter any more */
			}
		} else if (tag == TAG_SIGNAL) {
			on_signal(s);
		} else if (tag == TAG_EXEC) {
			on_exec_outcome(s);
		} else if (tag <= TAG_BLIND) {
			blind_ended(s, (int)(TAG_BLIND - tag));
		} else if (tag <= TAG_RING) {
			/* readable: drained above; HUP: the event's tasks are all gone, the ring stays readable */
			if (evs[i].events & EPOLLHUP)
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, ck__lineage_fd(s->lin, (size_t)(TAG_RING - tag)), NULL);
		} else if (tag >= 0 && !ck__kacs_handle_hup(s, (int)tag)) {
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, (int)tag, NULL); /* a handle's own close removes it */
		}
	}
	if (s->deferred)
		retry_deferred(s, records);
	int reaped = 0;
	if (s->need_reap) {
		s->need_reap = false;
		if ((reaped = reap(s)) < 0)
			return reaped;
	}
	if (tree_ended(s, reaped)) {
		s->ended = true;
		/* a loss with no record after it leaves no PERF_RECORD_LOST in a ring: ask perf */
		int64_t lost = s->lin ? ck__lineage_lost(s->lin) : 0;
		if (lost != 0) {
			s->st.lost = lost > 0 ? (uint64_t)lost : 1;
			s->ended = false;
			lineage_lost(s, "");
			goto lost;
		}
		return 0;
	}
	return 1;
lost:
	/* the tree was killed: reap what is ours, then report */
	while (!s->root_done && s->root) {
		int st;
		if (s->exec_pending) {
			on_exec_outcome(s);
			continue;
		}
		if (ck_spawn_wait(s->root, &st) == 0)
			root_reaped(s, st);
		else
			break;
	}
	for (siginfo_t si; reap(s) == 0 && waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0;)
		; /* every killed child of S, until none is left */
	s->ended = true;
	return -EIO;
}

/* ---- start ------------------------------------------------------------------------ */

static bool have_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* The held child becomes dumpable again, so that an unprivileged S may open perf events on it. */
static int child_dumpable(void *data)
{
	(void)data;
	return syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ? -errno : 0;
}

void ck__kacs_supervisor_set_policy(struct ck_kacs_supervisor *sv, const struct ck_seccomp_policy *p)
{
	sv->s.policy_override = p;
}

static int start_fail(struct ck__kacs_sup *s, int rc)
{
	if (s->root) {
		ck_spawn_free(s->root);
		s->root = NULL;
	}
	ck__kacs_tasks_clear(s);
	ck__lineage_free(s->lin);
	s->lin = NULL;
	if (s->listener >= 0)
		close(s->listener);
	s->listener = -1;
	return rc;
}

int ck_kacs_supervisor_start(struct ck_kacs_supervisor *sv, const char *file, char *const argv[],
			     char *const envp[], struct ck_spawn_attr *attr, struct ck_kacs_error *err)
{
	if (!sv || !file || !argv)
		return fail(err, -EINVAL, "no supervisor, file or argv");
	struct ck__kacs_sup *s = &sv->s;
	if (s->started)
		return fail(err, -EBUSY, "this supervisor has started its tree already");
	int rc;
	if (!sizes.seccomp_notif && syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return fail(err, -errno, "seccomp(SECCOMP_GET_NOTIF_SIZES): %s", strerror(errno));
	if (sizes.seccomp_notif > 512 || sizes.seccomp_notif_resp > 512)
		return fail(err, -EOPNOTSUPP, "this kernel's notifications are larger than the supervisor knows");
	s->self_pid = getpid();
	s->cfg.privileged = have_cap(CAP_SYS_PTRACE);
	ck__kacs_set_current(s);

	struct ck_seccomp_policy *own = NULL;
	const struct ck_seccomp_policy *policy = s->policy_override;
	if (!policy && !(policy = own = ck__kacs_filter_policy()))
		return fail(err, -errno, "the supervisor's seccomp filter: %s", strerror(errno));
	struct ck_spawn_attr *a = attr ? attr : ck_spawn_attr_new();
	struct ck_seccomp_listener_opts lo = { .size = sizeof(lo), .flags = CK_SECCOMP_LISTENER_WAIT_KILLABLE };
	rc = a ? ck_spawn_attr_set_seccomp_listener(a, policy, &lo) : -ENOMEM;
	ck_seccomp_policy_free(own);
	if (rc == 0 && !s->cfg.privileged && prctl(PR_GET_DUMPABLE) != 1)
		rc = ck_spawn_attr_set_pre_exec(a, child_dumpable, NULL);
	if (rc) {
		if (!attr)
			ck_spawn_attr_free(a);
		return fail(err, rc, "the spawn attributes: %s", strerror(-rc));
	}
	/* orphans of the tree come back to S, so that S stays an ancestor of every task (§3) */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		rc = -errno;
		if (!attr)
			ck_spawn_attr_free(a);
		return fail(err, rc, "epoll: %s", strerror(-rc));
	}

	struct ck_spawn_error se = { .size = sizeof(se) };
	rc = ck_spawn(&s->root, file, argv, envp, a, &se);
	if (!attr)
		ck_spawn_attr_free(a);
	if (rc) {
		s->root = NULL;
		return fail(err, rc, "%s", se.message);
	}
	s->root_pid = ck_spawn_pid(s->root);
	s->listener = ck_spawn_take_listener(s->root);
	if (s->listener < 0)
		return start_fail(s, fail(err, s->listener, "the listener: %s", strerror(-s->listener)));
	if ((rc = ck__lineage_open(s->root_pid, s->perf_pages, &s->lin, err)))
		return start_fail(s, rc);
	/*
	 * SIGCHLD (and what run forwards) through a signalfd, blocked from now on:
	 * after the spawn, so that the child starts with the caller's mask, and
	 * before the release, so that no SIGCHLD of the tree is missed.
	 */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (s->forward) {
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
	}
	if (sigprocmask(SIG_BLOCK, &set, &s->old_mask) == 0)
		s->mask_set = true;
	if ((s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return start_fail(s, fail(err, -errno, "signalfd: %s", strerror(errno)));
	if ((rc = ck__kacs_tasks_root(s, s->root_pid)))
		return start_fail(s, fail(err, rc, "the root's state: %s", strerror(-rc)));
	if ((rc = watch(s, s->listener, TAG_LISTENER)) || (rc = watch(s, s->sigfd, TAG_SIGNAL)))
		return start_fail(s, fail(err, rc, "epoll: %s", strerror(-rc)));
	for (size_t i = 0; i < ck__lineage_nfds(s->lin); i++)
		if ((rc = watch(s, ck__lineage_fd(s->lin, i), TAG_RING - (int64_t)i)))
			return start_fail(s, fail(err, rc, "epoll: %s", strerror(-rc)));
	/* the tree may not read S's memory or attach to it: S holds every decision */
	prctl(PR_SET_DUMPABLE, 0);
	/* one fd per live token handle (§6): as many as S may have, after the spawn so the tree keeps its own */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if ((rc = ck_spawn_release(s->root)))
		return start_fail(s, fail(err, rc, "release: %s", strerror(-rc)));
	s->exec_fd = ck_spawn_exec_fd(s->root);
	s->exec_pending = s->exec_fd >= 0;
	if (s->exec_pending && (rc = watch(s, s->exec_fd, TAG_EXEC)))
		return start_fail(s, fail(err, rc, "epoll: %s", strerror(-rc)));
	s->started = true;
	/* serve the tree until execve's outcome is known (the filter may trap execve itself) */
	while (s->exec_pending) {
		rc = ck_kacs_supervisor_step(sv, -1);
		if (rc < 0 && rc != -EIO)
			return fail(err, rc, "serving the root's execve: %s", strerror(-rc));
		if (rc == -EIO)
			return fail(err, rc, "%s", s->message);
	}
	if (s->exec_err)
		return fail(err, s->exec_err, "%s", s->message);
	return 0;
}

/* ---- the rest of the API ------------------------------------------------------------- */

int ck_kacs_supervisor_fd(const struct ck_kacs_supervisor *sv)
{
	return sv && sv->s.epfd >= 0 ? sv->s.epfd : -EINVAL;
}

int ck_kacs_supervisor_status(const struct ck_kacs_supervisor *sv, int *status)
{
	if (!sv || !status)
		return -EINVAL;
	if (!sv->s.root_done)
		return -EBUSY;
	*status = sv->s.root_status;
	return 0;
}

int ck_kacs_supervisor_signal(struct ck_kacs_supervisor *sv, int sig)
{
	if (!sv || !sv->s.root)
		return -EINVAL;
	if (sv->s.root_done)
		return -ESRCH;
	return ck_spawn_signal(sv->s.root, sig);
}

size_t ck_kacs_supervisor_tasks(struct ck_kacs_supervisor *sv, pid_t *out, size_t max)
{
	if (!sv)
		return 0;
	ck__kacs_set_current(&sv->s);
	drain(&sv->s);
	return ck__kacs_tasks_list(&sv->s, out, max);
}

int ck_kacs_supervisor_stats(const struct ck_kacs_supervisor *sv, struct ck_kacs_supervisor_stats *st)
{
	if (!sv || !st || st->size < sizeof(size_t))
		return -EINVAL;
	struct ck_kacs_supervisor_stats t = sv->s.st;
	size_t procs;
	t.tasks = ck__kacs_tasks_count(&sv->s, &procs);
	t.processes = procs;
	t.handles = ck__kacs_handles_count((struct ck__kacs_sup *)&sv->s);
	t.size = st->size < sizeof(t) ? st->size : sizeof(t);
	memcpy(st, &t, t.size);
	return 0;
}

const char *ck_kacs_supervisor_message(const struct ck_kacs_supervisor *sv)
{
	return sv ? sv->s.message : "";
}

int ck_kacs_supervisor_run(struct ck_kacs_supervisor *sv, const char *file, char *const argv[], char *const envp[],
			   struct ck_spawn_attr *attr, int *status, struct ck_kacs_error *err)
{
	if (!sv)
		return fail(err, -EINVAL, "no supervisor");
	struct ck__kacs_sup *s = &sv->s;
	s->forward = true; /* SIGINT, SIGTERM, SIGHUP go to the root, as `clonekit run` does */
	int rc = ck_kacs_supervisor_start(sv, file, argv, envp, attr, err);
	if (rc == 0) {
		while ((rc = ck_kacs_supervisor_step(sv, -1)) == 1)
			;
		if (rc == -EIO)
			fail(err, rc, "%s", s->message);
		else if (rc < 0)
			fail(err, rc, "serving the tree: %s", strerror(-rc));
	}
	if (s->mask_set) {
		sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
		s->mask_set = false;
	}
	if (status && s->root_done)
		*status = s->root_status;
	return rc;
}
