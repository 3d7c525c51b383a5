/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KACS syscalls 1000-1027 and the token-handle ioctls, emulated by S
 * (design §5, §10.1, §10.2; K20 13-appendix-a/1-syscalls.md, 2-ioctls.md).
 * Pointer arguments are read once into S's copy and only that copy is used;
 * fd arguments are resolved once (pidfd_getfd); returned fds are installed
 * with SECCOMP_IOCTL_NOTIF_ADDFD. Errnos are the spec's, and PKM's
 * (kacs/token_fd.c, kacs/lsm.c) where the spec is silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <clonekit/kacs_abi.h>

#include "kacs/supervisor.h"
#include "kacs/token_query.h"

/* The mitigations S can activate (design §10.2): the rest is ENODEV. */
#define PSB_SUPPORTED (CK_KACS_PSB_NO_CHILD | CK_KACS_PSB_PIE | CK_KACS_PSB_UI_ACCESS)
/* K20 3-security-descriptors/1-structure.md: the largest SD kacs_set_sd takes. */
#define SD_LEN_MAX CK_KACS_SD_MAX

/* What a handler did: answered (the reply is set), or the call waits for a newborn's record. */
enum { DONE = 0, DEFER = 1 };

static int answer(struct ck__kacs_call *c, long v)
{
	if (v < 0)
		ck__kacs_reply_error(c, (int)-v);
	else
		ck__kacs_reply_value(c, v);
	return DONE;
}

static enum ck_kacs_profile profile(struct ck__kacs_sup *s)
{
	return ck__kacs_config(s)->profile;
}

static struct ck__kacs_process *caller_proc(const struct ck__kacs_call *c)
{
	return c->caller->proc;
}

static struct ck_kacs_token *effective(const struct ck__kacs_call *c)
{
	return ck__kacs_effective(c->caller)->t;
}

static struct ck_kacs_token *primary(const struct ck__kacs_call *c)
{
	return caller_proc(c)->primary->t;
}

static bool has_priv(const struct ck_kacs_token *t, unsigned luid)
{
	uint64_t b = CK_KACS_PRIV(luid);
	return (t->privileges_present & t->privileges_enabled & b) == b;
}

/*
 * A privilege gate (PKM pkm_kacs_require_enabled_privilege): marks it used
 * when t holds it enabled, else logs the refusal and answers err.
 */
static int gate(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck_kacs_token *t, unsigned luid,
		const char *op, int err)
{
	if (has_priv(t, luid)) {
		ck_kacs_token_mark_used(t, CK_KACS_PRIV(luid));
		return 0;
	}
	ck__kacs_decided(s, c, op, NULL, 0, NULL, err, "privilege");
	return -err;
}

/* "pip" when a trust label or PIP dominance refused a bit, else "sd" (design §2's reasons). */
static const char *reason_of(const struct ck_kacs_access_result *res)
{
	for (size_t i = 0; i < 32; i++)
		if (res->bit[i].why == CK_KACS_WHY_PIP || res->bit[i].why == CK_KACS_WHY_TRUST_LABEL)
			return "pip";
	return "sd";
}

/* The two-check rule on a target process (op's rule), logged; privileges it used marked on the subject. */
static int authorize(struct ck__kacs_sup *s, struct ck__kacs_call *c, enum ck_kacs_process_op op, long arg,
		     struct ck__kacs_process *target)
{
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	struct ck_kacs_token *subj = effective(c);

	int r = ck_kacs_op_right(op, arg, &rule);
	if (r)
		return r;
	r = ck_kacs_op_authorize(op, arg, subj, &caller_proc(c)->psb, target->sd, &target->psb,
				 target == caller_proc(c), profile(s), &res);
	if (r == 0)
		ck_kacs_token_mark_used(subj, res.privileges_used);
	if (r != -EINVAL)
		ck__kacs_decided(s, c, ck_kacs_op_name(op), target, rule.right, &res, -r,
				 r ? (r == -rule.privilege_errno && rule.privilege ? "privilege" : reason_of(&res))
				   : NULL);
	return r;
}

/*
 * A handle to k with granted, installed as the call's return value. The
 * entry and the watch come after the answer, off the caller's time: S is
 * one thread, so no call can name the handle before they exist.
 */
static int give_handle(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_tok *k, uint32_t granted)
{
	int sfd, tfd;
	int r = ck__kacs_handle_pair(&sfd, &tfd);
	if (r)
		return answer(c, r);
	r = ck__kacs_fd_install(s, c, tfd, true);
	if (r < 0) {
		close(sfd);
		close(tfd);
		return answer(c, r);
	}
	ck__kacs_handle_add(s, k, granted, sfd, tfd, NULL); /* failing, it leaves an inert socket, no handle */
	close(tfd);
	return DONE;
}

/* A handle installed without answering (DUPLICATE, RESTRICT): the fd number in the caller, or -errno. */
static int install_handle(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_tok *k, uint32_t granted)
{
	struct ck__kacs_handle *h;
	int tfd;
	int r = ck__kacs_handle_new(s, k, granted, &tfd, &h);
	if (r)
		return r;
	r = ck__kacs_fd_install(s, c, tfd, false);
	close(tfd);
	if (r < 0)
		ck__kacs_handle_drop(s, h);
	return r;
}

/* Opens target (a token object) for the caller with mask, checked against its SD (K20 1-syscalls.md). */
static int open_token(struct ck__kacs_sup *s, struct ck__kacs_call *c, const char *op, struct ck__kacs_tok *target,
		      uint32_t mask)
{
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	struct ck_kacs_token *subj = effective(c);
	const struct ck_kacs_psb *psb = &caller_proc(c)->psb;
	uint32_t granted;

	if (!target)
		return answer(c, -EACCES);
	int r = ck__kacs_token_open_check(subj, target->t, mask, psb->pip_type, psb->pip_trust, profile(s), &granted,
					  &res);
	if (r == -EACCES)
		ck__kacs_decided(s, c, op, NULL, mask, &res, EACCES, "sd");
	if (r)
		return answer(c, r);
	ck_kacs_token_mark_used(subj, res.privileges_used);
	return give_handle(s, c, target, granted);
}

/* A pidfd argument: 0 and *p, DEFER, or an answer already given (*p NULL). */
static int pidfd_target(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd, struct ck__kacs_process **p)
{
	*p = NULL;
	int r = ck__kacs_target_pidfd(s, c, pidfd, p);
	if (r == 1)
		return DEFER;
	if (r < 0) {
		*p = NULL;
		answer(c, r);
	}
	return DONE;
}

/* ---- syscalls -------------------------------------------------------------- */

static int open_self_token(struct ck__kacs_sup *s, struct ck__kacs_call *c, unsigned flags, uint32_t mask)
{
	if (flags & ~CK_KACS_REAL_TOKEN)
		return answer(c, -EINVAL);
	if (ck__kacs_token_open_mask(mask))
		return answer(c, -EINVAL);
	struct ck__kacs_tok *target = (flags & CK_KACS_REAL_TOKEN) ? caller_proc(c)->primary : ck__kacs_effective(c->caller);
	return open_token(s, c, "open_self_token", target, mask);
}

static int open_process_token(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd, uint32_t mask)
{
	struct ck__kacs_process *p;
	if (ck__kacs_token_open_mask(mask))
		return answer(c, -EINVAL);
	if (pidfd_target(s, c, pidfd, &p) == DEFER)
		return DEFER;
	if (!p)
		return DONE;
	int r = authorize(s, c, CK_KACS_OP_OPEN_PROCESS_TOKEN, 0, p);
	if (r)
		return answer(c, r);
	return open_token(s, c, "open_process_token", p->primary, mask);
}

static int open_thread_token(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd, int tid, uint32_t mask)
{
	struct ck__kacs_process *p;
	if (ck__kacs_token_open_mask(mask) || tid <= 0)
		return answer(c, -EINVAL);
	if (pidfd_target(s, c, pidfd, &p) == DEFER)
		return DEFER;
	if (!p)
		return DONE;
	/* PKM: a tid outside the pidfd's thread group is ESRCH, before any check */
	struct ck__kacs_thread *t = p->external ? NULL : ck__kacs_thread_find(s, tid);
	if (!t || t->proc != p)
		return answer(c, -ESRCH);
	int r = authorize(s, c, CK_KACS_OP_OPEN_THREAD_TOKEN, 0, p);
	if (r)
		return answer(c, r);
	return open_token(s, c, "open_thread_token", ck__kacs_effective(t), mask);
}

/* Reads len bytes at addr into a new buffer: 0 and *out, or -errno. */
static int read_copy(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr, size_t len, uint8_t **out)
{
	uint8_t *b = malloc(len ? len : 1);
	if (!b)
		return -ENOMEM;
	int r = len ? ck__kacs_mem_read(s, c, addr, b, len) : 0;
	if (r) {
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

static int create_token(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t spec, uint64_t len)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_token *subj = effective(c), *t = NULL;
	uint8_t *buf;

	if (!spec)
		return answer(c, -EINVAL);
	if (!has_priv(subj, CK_KACS_SE_CREATE_TOKEN)) {
		ck__kacs_decided(s, c, "create_token", NULL, 0, NULL, EPERM, "privilege");
		return answer(c, -EPERM);
	}
	/* 6-abi-reference.md §5: 192 to 65536 bytes; the bound is checked before S reads anything */
	if (len < CK_KACS_TOKEN_SPEC_HEADER || len > CK_KACS_TOKEN_SPEC_MAX)
		return answer(c, -EINVAL);
	int r = read_copy(s, c, spec, len, &buf);
	if (r)
		return answer(c, r);
	r = ck_kacs_token_create(ck__kacs_sessions(s), buf, len, &subj->user, profile(s), ck__kacs_next_token_id(s),
				 &t, &err);
	free(buf);
	if (r)
		return answer(c, r);
	struct ck__kacs_tok *k = ck__kacs_tok_new(t);
	if (!k)
		return answer(c, -ENOMEM);
	ck_kacs_token_mark_used(subj, CK_KACS_PRIV(CK_KACS_SE_CREATE_TOKEN));
	/* 1-syscalls.md: no desired access, always TOKEN_ALL_ACCESS */
	r = give_handle(s, c, k, CK_KACS_TOKEN_ALL_ACCESS);
	ck__kacs_tok_put(k);
	return r;
}

static int create_session(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t spec, uint64_t len)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	uint8_t *buf;
	uint64_t id;

	if (!spec)
		return answer(c, -EINVAL);
	int r = gate(s, c, effective(c), CK_KACS_SE_TCB, "create_session", EPERM);
	if (r)
		return answer(c, r);
	if (len < CK_KACS_SESSION_SPEC_MIN || len > CK_KACS_SESSION_SPEC_MAX)
		return answer(c, -EINVAL);
	if ((r = read_copy(s, c, spec, len, &buf)))
		return answer(c, r);
	r = ck_kacs_session_create(ck__kacs_sessions(s), buf, len, &id, &err);
	free(buf);
	return answer(c, r ? r : (long)id);
}

static int destroy_empty_session(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t id)
{
	int r = gate(s, c, effective(c), CK_KACS_SE_TCB, "destroy_empty_session", EPERM);
	return answer(c, r ? r : ck_kacs_session_destroy_empty(ck__kacs_sessions(s), id));
}

static int set_psb(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd, uint32_t bits)
{
	struct ck__kacs_process *p = caller_proc(c);

	if (pidfd != -1) {
		if (pidfd_target(s, c, pidfd, &p) == DEFER)
			return DEFER;
		if (!p)
			return DONE;
	}
	/* design §10.2: bits first (EINVAL, then ENODEV with nothing changed), then the target */
	struct ck_kacs_psb trial = p->psb;
	int r = ck_kacs_psb_set(&trial, bits, PSB_SUPPORTED);
	if (r == -ENODEV)
		ck__kacs_decided(s, c, "set_psb", p, 0, NULL, ENODEV, "mitigation");
	if (r)
		return answer(c, r);
	if (p != caller_proc(c) && (r = authorize(s, c, CK_KACS_OP_SET_PSB, 0, p)))
		return answer(c, r);
	if (p->external) { /* S keeps no PSB for a process outside the tree: nothing could enforce it */
		ck__kacs_decided(s, c, "set_psb", p, 0, NULL, ENODEV, "mitigation");
		return answer(c, -ENODEV);
	}
	p->psb = trial;
	return answer(c, 0);
}

static int revert(struct ck__kacs_call *c)
{
	if (c->caller->imp) {
		ck__kacs_tok_put(c->caller->imp);
		c->caller->imp = NULL;
	}
	return answer(c, 0);
}

/* ---- kacs_get_sd / kacs_set_sd on a pidfd or a token handle ------------------ */

struct sd_target {
	struct ck__kacs_process *proc; /* a pidfd's process, or */
	struct ck__kacs_tok *tok;      /* a token handle's token (referenced) */
};

/*
 * dirfd with AT_EMPTY_PATH and "" (PKM: NULL path is EFAULT): a token handle
 * or a pidfd. Anything else is a file, which needs FACS: EOPNOTSUPP.
 */
static int sd_target(struct ck__kacs_sup *s, struct ck__kacs_call *c, int dirfd, uint64_t path, uint32_t flags,
		     struct sd_target *t)
{
	char ch;
	memset(t, 0, sizeof(*t));
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if (!(flags & AT_EMPTY_PATH))
		return -EOPNOTSUPP;
	if (!path)
		return -EFAULT;
	int r = ck__kacs_mem_read(s, c, path, &ch, 1);
	if (r)
		return r;
	if (ch)
		return -EOPNOTSUPP;
	int fd = ck__kacs_fd_get(s, c, dirfd);
	if (fd < 0)
		return fd;
	struct ck__kacs_handle *h = ck__kacs_handle_of_fd(s, fd);
	close(fd);
	if (h) {
		t->tok = ck__kacs_tok_get(h->tok);
		return 0;
	}
	r = ck__kacs_target_pidfd(s, c, dirfd, &t->proc);
	if (r == -EBADF)
		return -EOPNOTSUPP;
	return r;
}

/* AccessCheck of the caller's effective token against a token's own SD (live, K20 1-syscalls.md). */
static int token_sd_check(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck_kacs_token *t, uint32_t right,
			  unsigned intent, const char *op)
{
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	const struct ck_kacs_psb *psb = &caller_proc(c)->psb;
	struct ck_kacs_access_request req = { .size = sizeof(req), .desired = right, .map = ck_kacs_token_mapping(),
					      .pip_type = psb->pip_type, .pip_trust = psb->pip_trust,
					      .intent = intent, .profile = profile(s) };
	struct ck_kacs_token *subj = effective(c);
	if (!t->sd)
		return -EACCES;
	int r = ck_kacs_access_check(subj, t->sd, &req, &res);
	if (r == -EACCES)
		ck__kacs_decided(s, c, op, NULL, right, &res, EACCES, reason_of(&res));
	if (!r)
		ck_kacs_token_mark_used(subj, res.privileges_used);
	return r;
}

static long get_sd(struct ck__kacs_sup *s, struct ck__kacs_call *c, const __u64 *a, struct sd_target *t)
{
	uint32_t info = (uint32_t)a[2], buf_len = (uint32_t)a[4];
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	const struct ck_kacs_sd *sd;
	struct ck_kacs_sd *sub = NULL;
	uint8_t *bytes = NULL;
	size_t n = 0;

	if (ck_kacs_op_right(CK_KACS_OP_GET_SD, info, &rule))
		return -EINVAL;
	int r = t->tok ? token_sd_check(s, c, t->tok->t, rule.right, 0, "get_sd") : authorize(s, c, CK_KACS_OP_GET_SD, info, t->proc);
	if (r)
		return r;
	sd = t->tok ? t->tok->t->sd : t->proc->sd;
	if ((r = ck__kacs_sd_subset(sd, info, &sub)) || (r = ck_kacs_sd_to_bytes(sub, &bytes, &n))) {
		ck_kacs_sd_free(sub);
		return r;
	}
	ck_kacs_sd_free(sub);
	/* 1-syscalls.md: always the size; the bytes only when they fit (buf_len 0 probes) */
	if (buf_len && n <= buf_len)
		r = a[3] ? ck__kacs_mem_write(s, c, a[3], bytes, n) : -EFAULT;
	free(bytes);
	return r ? r : (long)n;
}

static long set_sd(struct ck__kacs_sup *s, struct ck__kacs_call *c, const __u64 *a, struct sd_target *t)
{
	uint32_t info = (uint32_t)a[2], len = (uint32_t)a[4];
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_sd *in = NULL, *merged = NULL;
	uint8_t *bytes;
	uint64_t used = 0;

	if (ck_kacs_op_right(CK_KACS_OP_SET_SD, info, &rule))
		return -EINVAL;
	int r = read_copy(s, c, a[3], len, &bytes);
	if (r)
		return r;
	r = ck_kacs_sd_parse(bytes, len, &in, &err);
	free(bytes);
	if (r)
		return r;
	struct ck_kacs_sd **slot = t->tok ? &t->tok->t->sd : &t->proc->sd;
	r = t->tok ? token_sd_check(s, c, t->tok->t, rule.right, CK_KACS_INTENT_RESTORE, "set_sd")
		   : authorize(s, c, CK_KACS_OP_SET_SD, info, t->proc);
	if (!r && t->proc && t->proc->external)
		r = -EOPNOTSUPP; /* S keeps no SD for a process outside the tree */
	if (!r)
		r = ck__kacs_sd_merge(*slot, in, info, effective(c), &merged, &used);
	ck_kacs_sd_free(in);
	if (r)
		return r;
	ck_kacs_token_mark_used(effective(c), used);
	ck_kacs_sd_free(*slot);
	*slot = merged;
	if (t->tok) /* PKM replace_own_sd: a token's SD change is a mutation */
		t->tok->t->modified_id++;
	return 0;
}

static int sd_call(struct ck__kacs_sup *s, struct ck__kacs_call *c, bool set)
{
	const __u64 *a = c->req->data.args;
	struct sd_target t;

	/* PKM: set_sd refuses an empty or oversized descriptor before anything else */
	if (set && (!a[3] || (uint32_t)a[4] == 0 || (uint32_t)a[4] > SD_LEN_MAX))
		return answer(c, -EINVAL);
	int r = sd_target(s, c, (int)a[0], a[1], (uint32_t)a[5], &t);
	if (r == 1)
		return DEFER;
	if (r)
		return answer(c, r);
	long v = set ? set_sd(s, c, a, &t) : get_sd(s, c, a, &t);
	if (t.tok)
		ck__kacs_tok_put(t.tok);
	return answer(c, v);
}

/* ---- token ioctls ------------------------------------------------------------ */

static bool allowed(const struct ck__kacs_handle *h, uint32_t right)
{
	return (h->granted & right) == right;
}

static int ioc_query(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h, uint64_t arg)
{
	struct ck_kacs_query_args a;
	uint8_t *p = NULL;
	size_t n;
	bool write;

	if (!allowed(h, CK_KACS_TOKEN_QUERY))
		return answer(c, -EACCES);
	int r = ck__kacs_mem_read(s, c, arg, &a, sizeof(a));
	if (r)
		return answer(c, r);
	if ((r = ck__kacs_query_payload(h->tok->t, ck__kacs_sessions(s), a.token_class, &p, &n)))
		return answer(c, r);
	r = ck__kacs_query_answer(&a, arg, n, &write);
	bool struct_done = false;
	if (!r && write) {
		/* payload then struct in one write; its failure is the struct's once the payload is in */
		bool payload_done;
		r = ck__kacs_mem_write2(s, c, a.buf_ptr, p, n, arg, &a, sizeof(a), &payload_done);
		struct_done = r == 0 || payload_done;
	}
	free(p);
	/* PKM: the struct is written back on success, ERANGE and a faulting payload, not for an overlap */
	if (!struct_done && (r == 0 || r == -ERANGE || r == -EFAULT)) {
		int w = ck__kacs_mem_write(s, c, arg, &a, sizeof(a));
		if (w)
			r = w;
	}
	return answer(c, r);
}

static int ioc_adjust_privs(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h,
			    uint64_t arg)
{
	struct ck_kacs_adjust_privs_args a;
	struct ck_kacs_priv_entry e[CK_KACS_ADJUST_MAX];
	struct ck_kacs_error err = { .size = sizeof(err) };

	if (!allowed(h, CK_KACS_TOKEN_ADJUST_PRIVILEGES))
		return answer(c, -EACCES);
	int r = ck__kacs_mem_read(s, c, arg, &a, sizeof(a));
	if (!r)
		r = ck__kacs_ioc_count(a.count, a._pad);
	if (!r)
		r = ck__kacs_mem_read(s, c, a.data_ptr, e, sizeof(e[0]) * a.count);
	if (!r)
		r = ck_kacs_token_adjust_privileges(h->tok->t, e, a.count, &a.previous_enabled, &err);
	if (!r)
		r = ck__kacs_mem_write(s, c, arg, &a, sizeof(a));
	return answer(c, r);
}

static int ioc_adjust_groups(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h,
			     uint64_t arg, bool pkm)
{
	/* both encodings share their first 16 bytes; previous_state is one u64 (K20) or 16 (PKM) */
	struct ck_kacs_adjust_groups_args_pkm a;
	struct ck_kacs_group_entry e[CK_KACS_ADJUST_MAX];
	struct ck_kacs_error err = { .size = sizeof(err) };
	size_t size = pkm ? sizeof(struct ck_kacs_adjust_groups_args_pkm) : sizeof(struct ck_kacs_adjust_groups_args);
	uint64_t prev = 0;

	if (!allowed(h, CK_KACS_TOKEN_ADJUST_GROUPS))
		return answer(c, -EACCES);
	memset(&a, 0, sizeof(a));
	int r = ck__kacs_mem_read(s, c, arg, &a, size);
	if (!r)
		r = ck__kacs_ioc_count(a.count, a._pad);
	if (!r)
		r = ck__kacs_mem_read(s, c, a.data_ptr, e, sizeof(e[0]) * a.count);
	if (!r)
		r = ck_kacs_token_adjust_groups(h->tok->t, e, a.count, &prev, &err);
	if (!r) {
		memset(a.previous_state, 0, sizeof(a.previous_state));
		a.previous_state[0] = prev; /* at offset 16 in both */
		r = ck__kacs_mem_write(s, c, arg, &a, size);
	}
	return answer(c, r);
}

static int ioc_duplicate(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h, uint64_t arg)
{
	struct ck_kacs_duplicate_args a;
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	struct ck_kacs_token *t = NULL, *subj = effective(c);
	const struct ck_kacs_psb *psb = &caller_proc(c)->psb;
	uint32_t granted;

	if (!allowed(h, CK_KACS_TOKEN_DUPLICATE))
		return answer(c, -EACCES);
	int r = ck__kacs_mem_read(s, c, arg, &a, sizeof(a));
	if (r)
		return answer(c, r);
	if ((r = ck__kacs_token_open_mask(a.access_mask)))
		return answer(c, r);
	/* K20 2-ioctls.md: the new token's SD is made for the caller (its primary token's user, PKM) */
	r = ck_kacs_token_duplicate(h->tok->t, (enum ck_kacs_token_type)a.token_type,
				    (enum ck_kacs_imp_level)a.impersonation_level, &primary(c)->user, profile(s),
				    ck__kacs_next_token_id(s), &t, &err);
	if (r)
		return answer(c, r);
	/* the mask against the fresh SD, with the caller's effective token */
	r = ck__kacs_token_open_check(subj, t, a.access_mask, psb->pip_type, psb->pip_trust, profile(s), &granted, &res);
	if (r) {
		if (r == -EACCES)
			ck__kacs_decided(s, c, "duplicate", NULL, a.access_mask, &res, EACCES, "sd");
		ck_kacs_token_free(t);
		return answer(c, r);
	}
	ck_kacs_token_mark_used(subj, res.privileges_used);
	struct ck__kacs_tok *k = ck__kacs_tok_new(t);
	if (!k)
		return answer(c, -ENOMEM);
	/* result_fd is written after the install: its page is proved writable first, as the fd cannot be taken back */
	a.result_fd = -1;
	if ((r = ck__kacs_mem_write(s, c, arg, &a, sizeof(a))) == 0 && (r = install_handle(s, c, k, granted)) >= 0) {
		a.result_fd = r;
		r = ck__kacs_mem_write(s, c, arg, &a, sizeof(a));
	}
	ck__kacs_tok_put(k);
	return answer(c, r);
}

static int ioc_restrict(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h, uint64_t arg)
{
	struct ck_kacs_abi_restrict_args a;
	struct ck_kacs_restrict_args req;
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_token *t = NULL;
	uint8_t *payload = NULL;

	if (!allowed(h, CK_KACS_TOKEN_DUPLICATE))
		return answer(c, -EACCES);
	int r = ck__kacs_mem_read(s, c, arg, &a, sizeof(a));
	if (!r)
		r = ck__kacs_ioc_restrict_check(&a);
	if (!r && a.data_len)
		r = read_copy(s, c, a.data_ptr, a.data_len, &payload);
	if (r)
		return answer(c, r);
	ck__kacs_ioc_restrict_req(&a, payload, &req);
	/* PKM: the creator of the restricted token's SD is the caller's effective token */
	r = ck_kacs_token_restrict(h->tok->t, &req, &effective(c)->user, profile(s), ck__kacs_next_token_id(s), &t,
				   &err);
	free(payload);
	if (r)
		return answer(c, r);
	struct ck__kacs_tok *k = ck__kacs_tok_new(t);
	if (!k)
		return answer(c, -ENOMEM);
	/* K20 2-ioctls.md: the new handle carries the source handle's mask */
	a.result_fd = -1;
	if ((r = ck__kacs_mem_write(s, c, arg, &a, sizeof(a))) == 0 && (r = install_handle(s, c, k, h->granted)) >= 0) {
		a.result_fd = r;
		r = ck__kacs_mem_write(s, c, arg, &a, sizeof(a));
	}
	ck__kacs_tok_put(k);
	return answer(c, r);
}

static int ioc_install(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h)
{
	/* PKM token_fd.c's order: the handle right, the token type, then the privilege (EACCES, not EPERM) */
	if (!allowed(h, CK_KACS_TOKEN_ASSIGN_PRIMARY))
		return answer(c, -EACCES);
	if (h->tok->t->type != CK_KACS_TOKEN_PRIMARY)
		return answer(c, -EINVAL);
	int r = gate(s, c, primary(c), CK_KACS_SE_ASSIGN_PRIMARY_TOKEN, "install", EACCES);
	if (!r)
		r = ck__kacs_process_set_primary(s, caller_proc(c), h->tok);
	return answer(c, r);
}

static int ioc_impersonate(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h)
{
	enum ck_kacs_imp_level level;
	uint64_t used;

	if (!allowed(h, CK_KACS_TOKEN_IMPERSONATE))
		return answer(c, -EACCES);
	/* K20 9-impersonation/2-gates.md: against the thread's primary token, never its impersonation */
	int r = ck__kacs_imp_gate(primary(c), h->tok->t, &level, &used);
	if (r == -EPERM)
		ck__kacs_decided(s, c, "impersonate", NULL, 0, NULL, EPERM, "sd");
	if (r)
		return answer(c, r);
	ck_kacs_token_mark_used(primary(c), used);
	struct ck__kacs_tok *k;
	if (level == h->tok->t->impersonation_level) {
		k = ck__kacs_tok_get(h->tok); /* the same object: live */
	} else {
		/* capped: the thread acts with a copy at the gates' level, as PKM clones it */
		struct ck_kacs_token *t = ck_kacs_token_copy(h->tok->t, profile(s), ck__kacs_next_token_id(s));
		if (!t)
			return answer(c, -ENOMEM);
		t->token_id = h->tok->t->token_id;
		t->modified_id = h->tok->t->modified_id;
		t->impersonation_level = level;
		if (!(k = ck__kacs_tok_new(t)))
			return answer(c, -ENOMEM);
	}
	if (c->caller->imp)
		ck__kacs_tok_put(c->caller->imp);
	c->caller->imp = k;
	c->caller->imp_level = level;
	return answer(c, 0);
}

static int ioc_adjust_default(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h,
			      uint64_t arg)
{
	struct ck_kacs_adjust_default_args a;
	struct ck_kacs_error err = { .size = sizeof(err) };
	uint8_t *dacl = NULL;

	if (!allowed(h, CK_KACS_TOKEN_ADJUST_DEFAULT))
		return answer(c, -EACCES);
	int r = ck__kacs_mem_read(s, c, arg, &a, sizeof(a));
	if (!r)
		r = ck__kacs_ioc_adjust_default_check(&a);
	if (!r && a.dacl_ptr && a.dacl_len)
		r = read_copy(s, c, a.dacl_ptr, a.dacl_len, &dacl);
	if (!r)
		r = ck__kacs_ioc_adjust_default(h->tok->t, &a, dacl, &err);
	free(dacl);
	return answer(c, r);
}

static int ioc_adjust_sessionid(struct ck__kacs_sup *s, struct ck__kacs_call *c, struct ck__kacs_handle *h,
				uint64_t arg)
{
	uint32_t id;
	if (!allowed(h, CK_KACS_TOKEN_ADJUST_SESSIONID))
		return answer(c, -EACCES);
	/* PKM: SeTcbPrivilege on the caller's primary token, EACCES without it, before the argument is read */
	int r = gate(s, c, primary(c), CK_KACS_SE_TCB, "adjust_sessionid", EACCES);
	if (!r)
		r = ck__kacs_mem_read(s, c, arg, &id, sizeof(id));
	if (!r)
		r = ck_kacs_token_set_session_id(h->tok->t, id);
	return answer(c, r);
}

static bool kacs_request(uint32_t req)
{
	switch (req) {
	case CK_KACS_IOC_QUERY:
	case CK_KACS_IOC_ADJUST_PRIVS:
	case CK_KACS_IOC_DUPLICATE:
	case CK_KACS_IOC_INSTALL:
	case CK_KACS_IOC_RESTRICT:
	case CK_KACS_IOC_LINK_TOKENS:
	case CK_KACS_IOC_GET_LINKED_TOKEN:
	case CK_KACS_IOC_ADJUST_GROUPS:
	case CK_KACS_IOC_ADJUST_GROUPS_PKM:
	case CK_KACS_IOC_IMPERSONATE:
	case CK_KACS_IOC_ADJUST_DEFAULT:
	case CK_KACS_IOC_ADJUST_SESSIONID:
		return true;
	default:
		return false;
	}
}

/* The decision log's name of a token ioctl (design §12's "ioctl(KACS_IOC_INSTALL)"). */
static const char *ioctl_name(uint32_t req)
{
	switch (req) {
	case CK_KACS_IOC_QUERY: return "ioctl(KACS_IOC_QUERY)";
	case CK_KACS_IOC_ADJUST_PRIVS: return "ioctl(KACS_IOC_ADJUST_PRIVS)";
	case CK_KACS_IOC_DUPLICATE: return "ioctl(KACS_IOC_DUPLICATE)";
	case CK_KACS_IOC_INSTALL: return "ioctl(KACS_IOC_INSTALL)";
	case CK_KACS_IOC_RESTRICT: return "ioctl(KACS_IOC_RESTRICT)";
	case CK_KACS_IOC_LINK_TOKENS: return "ioctl(KACS_IOC_LINK_TOKENS)";
	case CK_KACS_IOC_GET_LINKED_TOKEN: return "ioctl(KACS_IOC_GET_LINKED_TOKEN)";
	case CK_KACS_IOC_ADJUST_GROUPS:
	case CK_KACS_IOC_ADJUST_GROUPS_PKM: return "ioctl(KACS_IOC_ADJUST_GROUPS)";
	case CK_KACS_IOC_IMPERSONATE: return "ioctl(KACS_IOC_IMPERSONATE)";
	case CK_KACS_IOC_ADJUST_DEFAULT: return "ioctl(KACS_IOC_ADJUST_DEFAULT)";
	case CK_KACS_IOC_ADJUST_SESSIONID: return "ioctl(KACS_IOC_ADJUST_SESSIONID)";
	default: return NULL;
	}
}

static int token_ioctl(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	const __u64 *a = c->req->data.args;
	uint32_t req = (uint32_t)a[1]; /* the kernel takes cmd as an unsigned int */

	if (!kacs_request(req)) {
		ck__kacs_reply_continue(c);
		return DONE;
	}
	c->syscall = ioctl_name(req);
	int fd = ck__kacs_fd_get(s, c, (int)a[0]);
	if (fd == -EBADF) { /* not open: the kernel says so itself */
		ck__kacs_reply_continue(c);
		return DONE;
	}
	if (fd < 0)
		return answer(c, fd);
	/* resolved once: a dup2 over the number after this cannot redirect the call (design §6) */
	struct ck__kacs_handle *h = ck__kacs_handle_of_fd(s, fd);
	close(fd);
	if (!h) { /* a real device, or a socket the tree made: its own ioctls */
		ck__kacs_reply_continue(c);
		return DONE;
	}
	switch (req) {
	case CK_KACS_IOC_QUERY:
		return ioc_query(s, c, h, a[2]);
	case CK_KACS_IOC_ADJUST_PRIVS:
		return ioc_adjust_privs(s, c, h, a[2]);
	case CK_KACS_IOC_ADJUST_GROUPS:
		return ioc_adjust_groups(s, c, h, a[2], false);
	case CK_KACS_IOC_ADJUST_GROUPS_PKM:
		return ioc_adjust_groups(s, c, h, a[2], true);
	case CK_KACS_IOC_DUPLICATE:
		return ioc_duplicate(s, c, h, a[2]);
	case CK_KACS_IOC_RESTRICT:
		return ioc_restrict(s, c, h, a[2]);
	case CK_KACS_IOC_INSTALL:
		return ioc_install(s, c, h);
	case CK_KACS_IOC_IMPERSONATE:
		return ioc_impersonate(s, c, h);
	case CK_KACS_IOC_ADJUST_DEFAULT:
		return ioc_adjust_default(s, c, h, a[2]);
	case CK_KACS_IOC_ADJUST_SESSIONID:
		return ioc_adjust_sessionid(s, c, h, a[2]);
	case CK_KACS_IOC_LINK_TOKENS: /* design §5.2: linked tokens are not implemented */
		return answer(c, -EOPNOTSUPP);
	default: /* GET_LINKED_TOKEN: QUERY, then no token is ever linked */
		return answer(c, allowed(h, CK_KACS_TOKEN_QUERY) ? -ENOENT : -EACCES);
	}
}

/* The decision log's names (libseccomp knows no name for these numbers). */
static const char *const syscall_names[CK_KACS_NR_LAST - CK_KACS_NR_FIRST + 1] = {
	[CK_KACS_NR_OPEN_SELF_TOKEN - CK_KACS_NR_FIRST] = "kacs_open_self_token",
	[CK_KACS_NR_OPEN_PROCESS_TOKEN - CK_KACS_NR_FIRST] = "kacs_open_process_token",
	[CK_KACS_NR_OPEN_THREAD_TOKEN - CK_KACS_NR_FIRST] = "kacs_open_thread_token",
	[CK_KACS_NR_CREATE_TOKEN - CK_KACS_NR_FIRST] = "kacs_create_token",
	[CK_KACS_NR_CREATE_SESSION - CK_KACS_NR_FIRST] = "kacs_create_session",
	[CK_KACS_NR_SET_PSB - CK_KACS_NR_FIRST] = "kacs_set_psb",
	[CK_KACS_NR_DESTROY_EMPTY_SESSION - CK_KACS_NR_FIRST] = "kacs_destroy_empty_session",
	[CK_KACS_NR_OPEN_PEER_TOKEN - CK_KACS_NR_FIRST] = "kacs_open_peer_token",
	[CK_KACS_NR_IMPERSONATE_PEER - CK_KACS_NR_FIRST] = "kacs_impersonate_peer",
	[CK_KACS_NR_REVERT - CK_KACS_NR_FIRST] = "kacs_revert",
	[CK_KACS_NR_SET_IMPERSONATION_LEVEL - CK_KACS_NR_FIRST] = "kacs_set_impersonation_level",
	[CK_KACS_NR_OPEN - CK_KACS_NR_FIRST] = "kacs_open",
	[CK_KACS_NR_GET_SD - CK_KACS_NR_FIRST] = "kacs_get_sd",
	[CK_KACS_NR_SET_SD - CK_KACS_NR_FIRST] = "kacs_set_sd",
	[CK_KACS_NR_ACCESS_CHECK - CK_KACS_NR_FIRST] = "kacs_access_check",
	[CK_KACS_NR_ACCESS_CHECK_LIST - CK_KACS_NR_FIRST] = "kacs_access_check_list",
	[CK_KACS_NR_SET_CAAP - CK_KACS_NR_FIRST] = "kacs_set_caap",
	[CK_KACS_NR_GET_MOUNT_POLICY - CK_KACS_NR_FIRST] = "kacs_get_mount_policy",
	[CK_KACS_NR_SET_MOUNT_POLICY - CK_KACS_NR_FIRST] = "kacs_set_mount_policy",
};

bool ck__kacs_emulated(int nr)
{
	return nr == __NR_ioctl || (nr >= CK_KACS_NR_FIRST && nr <= 1099);
}

int ck__kacs_emulate(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	const struct seccomp_data *d = &c->req->data;
	const __u64 *a = d->args;

	/* design §5.1: the KACS numbers are x86_64's only; another ABI's ioctl is not a token's */
	if (d->arch != AUDIT_ARCH_X86_64) {
		if (d->nr == __NR_ioctl)
			ck__kacs_reply_continue(c);
		else
			ck__kacs_reply_error(c, ENOSYS);
		return DONE;
	}
	if (d->nr >= CK_KACS_NR_FIRST && d->nr <= CK_KACS_NR_LAST && syscall_names[d->nr - CK_KACS_NR_FIRST])
		c->syscall = syscall_names[d->nr - CK_KACS_NR_FIRST];
	switch (d->nr) {
	case __NR_ioctl:
		return token_ioctl(s, c);
	case CK_KACS_NR_OPEN_SELF_TOKEN:
		return open_self_token(s, c, (unsigned)a[0], (uint32_t)a[1]);
	case CK_KACS_NR_OPEN_PROCESS_TOKEN:
		return open_process_token(s, c, (int)a[0], (uint32_t)a[1]);
	case CK_KACS_NR_OPEN_THREAD_TOKEN:
		return open_thread_token(s, c, (int)a[0], (int)a[1], (uint32_t)a[2]);
	case CK_KACS_NR_CREATE_TOKEN:
		return create_token(s, c, a[0], a[1]);
	case CK_KACS_NR_CREATE_SESSION:
		return create_session(s, c, a[0], a[1]);
	case CK_KACS_NR_SET_PSB:
		return set_psb(s, c, (int)a[0], (uint32_t)a[1]);
	case CK_KACS_NR_DESTROY_EMPTY_SESSION:
		return destroy_empty_session(s, c, a[0]);
	case CK_KACS_NR_OPEN_PEER_TOKEN:
	case CK_KACS_NR_IMPERSONATE_PEER:
		/* K20 1-syscalls.md: no captured peer token (socket capture is phase 2) */
		return answer(c, -EACCES);
	case CK_KACS_NR_REVERT:
		return revert(c);
	case CK_KACS_NR_SET_IMPERSONATION_LEVEL:
		/* design §5.1: validated, no effect until peer capture exists */
		return answer(c, (uint32_t)a[1] > CK_KACS_DELEGATION ? -EINVAL : 0);
	case CK_KACS_NR_GET_SD:
		return sd_call(s, c, false);
	case CK_KACS_NR_SET_SD:
		return sd_call(s, c, true);
	default: /* 1020, 1023-1027 and the unregistered numbers, as the kernel answers them */
		return answer(c, -ENOSYS);
	}
}
