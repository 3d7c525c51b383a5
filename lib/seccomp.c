/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seccomp policies. A policy is a default action, the ABIs it is for and a
 * list of rules (a syscall by name or native number, up to six conditions
 * on its arguments, an action); libseccomp turns it into BPF for every ABI
 * the host can execute, and the same list writes the OCI JSON. The named
 * policies, the custom deny lists, the tracer's filter, the KACS
 * supervisor's filter and imported OCI profiles are all built here. Flag
 * conditions test one bit each, as systemd's seccomp_restrict_namespaces()
 * does: a MASKED_EQ(bit, bit) per bit, never a MASKED_EQ(mask, 0), which
 * would match the calls without the flags.
 */
#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/validate.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/json.h"
#include "internal/seccomp.h"
#include "internal/spawn.h"
#include "internal/util.h"

/* A program of BPF_MAXINSNS instructions cannot hold more rules than that. */
#define MAX_RULES BPF_MAXINSNS

struct rule {
	char syscall[64];        /* by name, on every ABI that has it; "": nr */
	int nr;                  /* a number of the native ABI (native_only rules) */
	bool native_only;
	bool optional;           /* a name this libseccomp does not know is left out */
	unsigned ncmp;           /* all must hold */
	struct ck__seccomp_cmp cmp[CK__SECCOMP_MAX_CMP];
	enum ck_seccomp_action action;
	int err;
	uint8_t priority;
};

struct ck_seccomp_policy {
	const char *name;
	char summary[256];
	enum ck_seccomp_action default_action; /* ALLOW but for imported profiles */
	int default_err;
	struct rule *rules;
	size_t nrules, cap;
	enum ck_arch arches[8];  /* the ABIs it is for, in order; none: the host's */
	size_t narches;
	int error;               /* a rule was lost (-E2BIG, -ENOMEM): compiling fails rather than drop it */
};

static const char *const named[] = { "deny-namespaces", "deny-userns", "no-child-process" };

const char *ck_seccomp_policy_name_at(size_t i)
{
	return i < CK_ARRAY_SIZE(named) ? named[i] : NULL;
}

static const char *const action_names[] = {
	[CK_SECCOMP_ERRNO] = "errno",
	[CK_SECCOMP_KILL] = "kill",
	[CK_SECCOMP_LOG] = "log",
	[CK_SECCOMP_TRACE] = "trace",
	[CK_SECCOMP_NOTIFY] = "notify",
	[CK_SECCOMP_ALLOW] = "allow",
	[CK_SECCOMP_TRAP] = "trap",
	[CK_SECCOMP_KILL_THREAD] = "kill-thread",
};

const char *ck_seccomp_action_name(enum ck_seccomp_action a)
{
	return (unsigned)a < CK_ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

int ck_seccomp_action_parse(const char *name, enum ck_seccomp_action *out)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(action_names); i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*out = (enum ck_seccomp_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct ck_seccomp_policy *ck__seccomp_policy_new(const char *name, const char *summary)
{
	struct ck_seccomp_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->name = name;
	p->default_action = CK_SECCOMP_ALLOW;
	snprintf(p->summary, sizeof(p->summary), "%s", summary ? summary : "");
	return p;
}

void ck__seccomp_policy_set_summary(struct ck_seccomp_policy *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->summary, sizeof(p->summary), fmt, ap);
	va_end(ap);
}

/* An action and its errno as libseccomp can take them (ERRNO's: 1-4095, TRACE's message: 0-65535). */
static bool action_valid(enum ck_seccomp_action action, int err)
{
	return (unsigned)action < CK_ARRAY_SIZE(action_names) &&
	       (action != CK_SECCOMP_ERRNO || (err > 0 && err <= 4095)) &&
	       (action != CK_SECCOMP_TRACE || (err >= 0 && err <= 0xffff));
}

int ck__seccomp_policy_set_default(struct ck_seccomp_policy *p, enum ck_seccomp_action action, int err)
{
	/* a default that waits for a listener would make every other call wait */
	if (!p || !action_valid(action, err) || action == CK_SECCOMP_NOTIFY)
		return -EINVAL;
	p->default_action = action;
	p->default_err = err;
	return 0;
}

int ck__seccomp_policy_add(struct ck_seccomp_policy *p, const struct ck__seccomp_rule *r)
{
	if (!p || !r || (!r->syscall && (!r->native_only || r->nr < 0)) || r->ncmp > CK__SECCOMP_MAX_CMP ||
	    !action_valid(r->action, r->err) ||
	    (r->syscall && (!*r->syscall || strlen(r->syscall) >= sizeof(p->rules[0].syscall))))
		return -EINVAL;
	/* libseccomp takes one comparison per argument in a rule */
	for (unsigned i = 0; i < r->ncmp; i++) {
		if (r->cmp[i].arg > 5 || (unsigned)r->cmp[i].op >= CK__SECCOMP_OP__COUNT)
			return -EINVAL;
		for (unsigned k = 0; k < i; k++)
			if (r->cmp[k].arg == r->cmp[i].arg)
				return -EINVAL;
	}
	if (p->nrules == MAX_RULES) {
		p->error = -E2BIG;
		return -ENOSPC;
	}
	if (p->nrules == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct rule *grown = realloc(p->rules, cap * sizeof(*grown));
		if (!grown)
			return p->error = -ENOMEM;
		p->rules = grown;
		p->cap = cap;
	}
	struct rule *ru = &p->rules[p->nrules++];
	*ru = (struct rule){ .nr = r->nr, .native_only = r->native_only, .optional = r->optional,
			     .ncmp = r->ncmp, .action = r->action, .err = r->err, .priority = r->priority };
	if (r->syscall)
		snprintf(ru->syscall, sizeof(ru->syscall), "%s", r->syscall);
	for (unsigned i = 0; i < r->ncmp; i++)
		ru->cmp[i] = r->cmp[i];
	return 0;
}

static uint32_t scmp_arch(enum ck_arch a);

int ck__seccomp_policy_add_arch(struct ck_seccomp_policy *p, enum ck_arch arch)
{
	if (!scmp_arch(arch))
		return -EINVAL;
	for (size_t i = 0; i < p->narches; i++)
		if (p->arches[i] == arch)
			return 0;
	if (p->narches >= CK_ARRAY_SIZE(p->arches))
		return -E2BIG;
	p->arches[p->narches++] = arch;
	return 0;
}

/* One rule whose condition is nothing or one flag bit present or absent (the named policies). */
enum cond {
	COND_ALWAYS,
	COND_HAS_BIT,   /* (flags & bit) == bit */
	COND_LACKS_BIT, /* (flags & bit) == 0 */
};

static void add_rule(struct ck_seccomp_policy *p, const char *syscall, enum cond cond, uint32_t bit,
		     unsigned arg, enum ck_seccomp_action action, int err)
{
	struct ck__seccomp_rule r = { .syscall = syscall, .action = action, .err = err };
	if (cond != COND_ALWAYS) {
		r.ncmp = 1;
		r.cmp[0] = (struct ck__seccomp_cmp){ arg, CK__SECCOMP_MASKED_EQ,
						     cond == COND_HAS_BIT ? bit : 0, bit };
	}
	(void)ck__seccomp_policy_add(p, &r); /* a lost rule sets p->error */
}

/* The argument that holds clone's flags: 1 on s390 (CLONE_BACKWARDS2), else 0. */
unsigned ck__seccomp_clone_flags_arg(void)
{
	const struct ck_arch_info *a = ck_arch_native();
	return a ? (unsigned)ck_clone_arg_index(a->clone_order, CK_CLONE_ARG_FLAGS) : 0;
}

/* One rule per flag bit on clone and unshare; setns for namespace bits; clone3 to ENOSYS. */
static void deny_flags(struct ck_seccomp_policy *p, uint64_t flags, enum ck_seccomp_action action,
		       int err)
{
	const uint64_t clone_bits = flags & 0xffffff00u;  /* the low byte is clone's exit signal */
	const uint64_t unshare_bits = flags & ck_flags_known(CK_SYSCALL_UNSHARE);
	const unsigned arg = ck__seccomp_clone_flags_arg();

	for (size_t i = 0; i < ck_flag_count(); i++) {
		uint64_t v = ck_flag_at(i)->value;
		if (clone_bits & v)
			add_rule(p, "clone", COND_HAS_BIT, (uint32_t)v, arg, action, err);
	}
	for (unsigned b = 8; b < 32; b++)
		if ((clone_bits & (UINT64_C(1) << b)) && !ck_flag_by_value(UINT64_C(1) << b))
			add_rule(p, "clone", COND_HAS_BIT, UINT32_C(1) << b, arg, action, err);
	for (size_t i = 0; i < ck_flag_count(); i++) {
		uint64_t v = ck_flag_at(i)->value;
		if (unshare_bits & v)
			add_rule(p, "unshare", COND_HAS_BIT, (uint32_t)v, 0, action, err);
	}
	/* setns' nstype may be 0 ("any"), which no filter can tell apart: refuse it whole */
	if (flags & CK_CLONE_NEWNS_ALL)
		add_rule(p, "setns", COND_ALWAYS, 0, 0, action, err);
	add_rule(p, "clone3", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, ENOSYS);
}

static const char *flag_list(uint64_t flags, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ck_flag_count(); i++)
		if (flags & ck_flag_at(i)->value)
			ck__buf_append(buf, len, &pos, "%s%s", pos ? "|" : "", ck_flag_at(i)->name);
	return buf;
}

struct ck_seccomp_policy *ck_seccomp_policy_named(const char *name)
{
	struct ck_seccomp_policy *p;

	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	if (strcmp(name, "deny-namespaces") == 0) {
		p = ck_seccomp_policy_deny(CK_CLONE_NEWNS_ALL, CK_SECCOMP_ERRNO, EPERM);
		if (p) {
			p->name = named[0];
			snprintf(p->summary, sizeof(p->summary),
				 "clone and unshare with any CLONE_NEW* flag, and setns, fail with EPERM; clone3 fails with ENOSYS so libc falls back to clone");
		}
		return p;
	}
	if (strcmp(name, "deny-userns") == 0) {
		p = ck_seccomp_policy_deny(CK_CLONE_NEWUSER, CK_SECCOMP_ERRNO, EPERM);
		if (p) {
			p->name = named[1];
			snprintf(p->summary, sizeof(p->summary),
				 "clone and unshare with CLONE_NEWUSER, and setns, fail with EPERM; clone3 fails with ENOSYS so libc falls back to clone");
		}
		return p;
	}
	if (strcmp(name, "no-child-process") == 0) {
		p = ck__seccomp_policy_new(named[2],
					   "fork, vfork and clone without CLONE_THREAD fail with EPERM; threads are still made (clone3 fails with ENOSYS so they fall back to clone)");
		if (!p)
			return NULL;
		add_rule(p, "fork", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, EPERM);
		add_rule(p, "vfork", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, EPERM);
		add_rule(p, "clone", COND_LACKS_BIT, (uint32_t)CK_CLONE_THREAD, ck__seccomp_clone_flags_arg(),
			 CK_SECCOMP_ERRNO, EPERM);
		add_rule(p, "clone3", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, ENOSYS);
		return p;
	}
	errno = ENOENT;
	return NULL;
}

struct ck_seccomp_policy *ck__seccomp_policy_trace(void)
{
	struct ck_seccomp_policy *p = ck__seccomp_policy_new(
		"trace", "clone, clone3, fork, vfork, unshare and setns stop the ptrace tracer (SECCOMP_RET_TRACE)");
	if (!p)
		return NULL;
	for (int n = 0; n < CK_NR__COUNT; n++)
		add_rule(p, ck_nr_name((enum ck_nr)n), COND_ALWAYS, 0, 0, CK_SECCOMP_TRACE, 0);
	return p;
}

struct ck_seccomp_policy *ck_seccomp_policy_deny(uint64_t flags, enum ck_seccomp_action action,
						 int err)
{
	char names[512];

	if ((unsigned)action >= CK_ARRAY_SIZE(action_names) || action == CK_SECCOMP_ALLOW ||
	    (action == CK_SECCOMP_ERRNO && (err <= 0 || err > 4095)) ||
	    !(flags & UINT64_C(0xffffff80)) || (flags >> 32)) {
		errno = EINVAL;
		return NULL;
	}
	struct ck_seccomp_policy *p = ck__seccomp_policy_new("custom", NULL);
	if (!p)
		return NULL;
	deny_flags(p, flags, action, err);
	if (action == CK_SECCOMP_ERRNO)
		snprintf(p->summary, sizeof(p->summary),
			 "clone and unshare with any of %s fail with %s; clone3 fails with ENOSYS",
			 flag_list(flags, names, sizeof(names)), ck_errno_name(err) ? ck_errno_name(err) : "?");
	else
		snprintf(p->summary, sizeof(p->summary),
			 "clone and unshare with any of %s: %s; clone3 fails with ENOSYS",
			 flag_list(flags, names, sizeof(names)), ck_seccomp_action_name(action));
	return p;
}

void ck_seccomp_policy_free(struct ck_seccomp_policy *p)
{
	if (p)
		free(p->rules);
	free(p);
}

const char *ck_seccomp_policy_name(const struct ck_seccomp_policy *p)
{
	return p ? p->name : NULL;
}

const char *ck_seccomp_policy_summary(const struct ck_seccomp_policy *p)
{
	return p ? p->summary : NULL;
}

/* ---- compiling ---- */

static uint32_t scmp_action(enum ck_seccomp_action a, int err)
{
	switch (a) {
	case CK_SECCOMP_ERRNO: return SCMP_ACT_ERRNO((uint16_t)err);
	case CK_SECCOMP_KILL: return SCMP_ACT_KILL_PROCESS;
	case CK_SECCOMP_LOG: return SCMP_ACT_LOG;
	case CK_SECCOMP_TRACE: return SCMP_ACT_TRACE((uint16_t)err);
	case CK_SECCOMP_NOTIFY: return SCMP_ACT_NOTIFY;
	case CK_SECCOMP_ALLOW: return SCMP_ACT_ALLOW;
	case CK_SECCOMP_TRAP: return SCMP_ACT_TRAP;
	case CK_SECCOMP_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static const struct {
	enum ck_arch arch;
	uint32_t scmp;
	const char *oci;
} arch_map[] = {
	{ CK_ARCH_X86_64, SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64" },
	{ CK_ARCH_I386, SCMP_ARCH_X86, "SCMP_ARCH_X86" },
	{ CK_ARCH_X32, SCMP_ARCH_X32, "SCMP_ARCH_X32" },
	{ CK_ARCH_AARCH64, SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64" },
	{ CK_ARCH_ARM, SCMP_ARCH_ARM, "SCMP_ARCH_ARM" },
	{ CK_ARCH_RISCV64, SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64" },
	{ CK_ARCH_S390X, SCMP_ARCH_S390X, "SCMP_ARCH_S390X" },
	{ CK_ARCH_PPC64LE, SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE" },
	{ CK_ARCH_MIPS64_N64, SCMP_ARCH_MIPSEL64, "SCMP_ARCH_MIPSEL64" },
};

/* The ABIs a host of this architecture can execute, native first. */
static size_t host_arches(enum ck_arch *out)
{
	const struct ck_arch_info *n = ck_arch_native();
	size_t k = 0;
	if (!n)
		return 0;
	out[k++] = n->arch;
	if (n->arch == CK_ARCH_X86_64) {
		out[k++] = CK_ARCH_I386;
		out[k++] = CK_ARCH_X32;
	} else if (n->arch == CK_ARCH_AARCH64) {
		out[k++] = CK_ARCH_ARM;
	}
	return k;
}

size_t ck_seccomp_arches(enum ck_arch *out, size_t max)
{
	enum ck_arch all[4];
	size_t n = host_arches(all);
	for (size_t i = 0; out && i < n && i < max; i++)
		out[i] = all[i];
	return n;
}

static uint32_t scmp_arch(enum ck_arch a)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(arch_map); i++)
		if (arch_map[i].arch == a)
			return arch_map[i].scmp;
	return 0;
}

static const enum scmp_compare scmp_ops[] = {
	[CK__SECCOMP_EQ] = SCMP_CMP_EQ,
	[CK__SECCOMP_NE] = SCMP_CMP_NE,
	[CK__SECCOMP_LT] = SCMP_CMP_LT,
	[CK__SECCOMP_GT] = SCMP_CMP_GT,
	[CK__SECCOMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	[CK__SECCOMP_LE] = SCMP_CMP_LE,
	[CK__SECCOMP_GE] = SCMP_CMP_GE,
};

/* The highest priority of the rules of ru's syscall (libseccomp keeps one per syscall: the last set). */
static uint8_t max_priority(const struct ck_seccomp_policy *p, const struct rule *ru)
{
	uint8_t m = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct rule *o = &p->rules[i];
		bool same = ru->syscall[0] ? strcmp(o->syscall, ru->syscall) == 0 : !o->syscall[0] && o->nr == ru->nr;
		if (same && o->priority > m)
			m = o->priority;
	}
	return m;
}

/* The ABIs p's filter is for (its own list, else the host's), native first when there; their count. */
static size_t policy_arches(const struct ck_seccomp_policy *p, enum ck_arch *out)
{
	for (size_t i = 0; i < p->narches; i++)
		out[i] = p->arches[i];
	return p->narches ? p->narches : host_arches(out);
}

/*
 * Adds p's rules to ctx, whose ABIs are the native one (native) or only
 * others; one (non-zero) is ctx's only ABI, whose absent syscalls are left out.
 */
static int add_rules(scmp_filter_ctx ctx, const struct ck_seccomp_policy *p, bool native, uint32_t one)
{
	const uint32_t def = scmp_action(p->default_action, p->default_err);

	for (size_t i = 0; i < p->nrules; i++) {
		const struct rule *ru = &p->rules[i];
		const bool named_ = ru->syscall[0] != '\0';
		struct scmp_arg_cmp c[CK__SECCOMP_MAX_CMP];
		/* libseccomp takes numbers of the native ABI and renumbers them for the others */
		int nr = named_ ? seccomp_syscall_resolve_name(ru->syscall) : ru->nr;
		uint32_t act = scmp_action(ru->action, ru->err);
		int r;

		if (ru->native_only && !native)
			continue;
		if (nr == __NR_SCMP_ERROR) {
			if (ru->optional) /* a name newer than this libseccomp, as runtimes do */
				continue;
			return -EINVAL;
		}
		/* libseccomp refuses a rule that repeats the default (EACCES): it changes nothing */
		if (act == def || (one && named_ && seccomp_syscall_resolve_name_arch(one, ru->syscall) < 0))
			continue;
		for (unsigned k = 0; k < ru->ncmp; k++) {
			const struct ck__seccomp_cmp *m = &ru->cmp[k];
			c[k] = m->op == CK__SECCOMP_MASKED_EQ
				       ? (struct scmp_arg_cmp){ m->arg, SCMP_CMP_MASKED_EQ, m->mask, m->value }
				       : (struct scmp_arg_cmp){ m->arg, scmp_ops[m->op], m->value, 0 };
		}
		r = seccomp_rule_add_array(ctx, act, nr, ru->ncmp, c);
		/* a syscall an ABI lacks (fork on aarch64) is simply not in its part */
		if (r && r != -EDOM)
			return r;
		/* the native ABI's call first where x32's shares its part of the filter */
		if (!r && ru->priority &&
		    (r = seccomp_syscall_priority(ctx, nr, max_priority(p, ru) - (native || one == 0 ? 0 : 1))))
			return r;
	}
	return 0;
}

static bool has_priority(const struct ck_seccomp_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].priority)
			return true;
	return false;
}

/*
 * An empty filter (p's default, bad ABIs killed) for the ABIs use[0..n), its
 * syscalls dispatched by a binary tree or, when a rule of p has a priority,
 * in order of priority (libseccomp's optimization levels 2 and 1).
 */
static scmp_filter_ctx new_ctx(const struct ck_seccomp_policy *p, const enum ck_arch *use, size_t n,
			       int *err)
{
	const struct ck_arch_info *native = ck_arch_native();
	scmp_filter_ctx ctx = seccomp_init(scmp_action(p->default_action, p->default_err));
	int r = 0;

	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	/* the native ABI is in a new filter; a list without it first replaces it */
	if (n && use[0] != (native ? native->arch : CK_ARCH__COUNT))
		r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	for (size_t i = 0; !r && i < n; i++) {
		uint32_t a = scmp_arch(use[i]);
		if (!a)
			r = -EOPNOTSUPP;
		else if (seccomp_arch_exist(ctx, a) != 0)
			r = seccomp_arch_add(ctx, a);
	}
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, has_priority(p) ? 1 : 2);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (r) {
		seccomp_release(ctx);
		*err = r;
		return NULL;
	}
	return ctx;
}

static bool has_native_only(const struct ck_seccomp_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].native_only)
			return true;
	return false;
}


/*
 * A libseccomp filter for the given ABIs (all the host's when n is 0); NULL
 * with *err. A policy with native-only rules is built one ABI at a time and
 * merged, since libseccomp adds a rule to every ABI of a filter.
 */
static scmp_filter_ctx compile(const struct ck_seccomp_policy *p, const enum ck_arch *only, size_t n,
			       int *err)
{
	enum ck_arch arches[CK_ARRAY_SIZE(p->arches)];
	size_t na = n ? n : policy_arches(p, arches);
	const enum ck_arch *use = n ? only : arches;
	const struct ck_arch_info *native = ck_arch_native();
	scmp_filter_ctx ctx = NULL;

	if (p->error) {
		*err = p->error;
		return NULL;
	}
	if (na == 0) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (!has_native_only(p)) {
		ctx = new_ctx(p, use, na, err);
		if (ctx && (*err = add_rules(ctx, p, true, 0)) != 0) {
			seccomp_release(ctx);
			ctx = NULL;
		}
		return ctx;
	}
	for (size_t i = 0; i < na; i++) {
		scmp_filter_ctx one = new_ctx(p, &use[i], 1, err);
		if (!one)
			break;
		*err = add_rules(one, p, native && use[i] == native->arch, scmp_arch(use[i]));
		if (!*err && !ctx) {
			ctx = one;
			continue;
		}
		if (!*err)
			*err = seccomp_merge(ctx, one); /* which releases one when it succeeds */
		if (*err) {
			seccomp_release(one);
			break;
		}
	}
	if (ctx && *err) {
		seccomp_release(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* Exports the filter into memory through a memfd (libseccomp 2.5 writes only to fds). */
static int export_mem(scmp_filter_ctx ctx, void **buf, size_t *len)
{
	int fd CK_AUTO_CLOSE = memfd_create("clonekit-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r)
		return r;
	off_t size = lseek(fd, 0, SEEK_CUR);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter))
		return -EIO;
	char *mem = malloc((size_t)size);
	if (!mem)
		return -ENOMEM;
	if (pread(fd, mem, (size_t)size, 0) != size) {
		free(mem);
		return -EIO;
	}
	*buf = mem;
	*len = (size_t)size;
	return 0;
}

int ck_seccomp_export_bpf(const struct ck_seccomp_policy *p, void **buf, size_t *len)
{
	int err = 0;
	if (!p || !buf || !len)
		return -EINVAL;
	scmp_filter_ctx ctx = compile(p, NULL, 0, &err);
	if (!ctx)
		return err;
	err = export_mem(ctx, buf, len);
	seccomp_release(ctx);
	return err;
}

/* Copies all of src (from its start) to fd; libseccomp's own writes drop their errors. */
static int copy_out(int src, int fd)
{
	char buf[8192];
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(src, buf, sizeof(buf), off);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		off += n;
		for (char *p = buf; n > 0;) {
			ssize_t w = write(fd, p, (size_t)n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			p += w;
			n -= w;
		}
	}
}

int ck_seccomp_export_pfc(const struct ck_seccomp_policy *p, int fd)
{
	int err = 0;
	if (!p || fd < 0)
		return -EINVAL;
	scmp_filter_ctx ctx = compile(p, NULL, 0, &err);
	if (!ctx)
		return err;
	int mem CK_AUTO_CLOSE = memfd_create("clonekit-pfc", MFD_CLOEXEC);
	err = mem < 0 ? -errno : seccomp_export_pfc(ctx, mem);
	seccomp_release(ctx);
	return err ? err : copy_out(mem, fd);
}

int ck_seccomp_instruction_count(const struct ck_seccomp_policy *p, enum ck_arch arch)
{
	void *buf;
	size_t len;
	enum ck_arch host[CK_ARRAY_SIZE(p->arches)];
	size_t n;
	bool in = false;
	int err = 0;

	if (!p)
		return -EINVAL;
	n = policy_arches(p, host);
	for (size_t i = 0; i < n; i++)
		in |= host[i] == arch;
	if (!in)
		return 0;
	scmp_filter_ctx ctx = compile(p, &arch, 1, &err);
	if (!ctx)
		return err;
	err = export_mem(ctx, &buf, &len);
	seccomp_release(ctx);
	if (err)
		return err;
	free(buf);
	return (int)(len / sizeof(struct sock_filter));
}

/* The instructions libseccomp emits, run on one call (internal/seccomp.h). */
long ck__seccomp_bpf_path(const struct sock_filter *f, size_t len, const struct seccomp_data *sd, bool *cacheable)
{
	uint32_t a = 0, x = 0;
	long steps = 0;
	bool blind = true;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &f[pc];
		uint32_t k = in->k, src = BPF_SRC(in->code) == BPF_X ? x : k;
		steps++;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k > sizeof(*sd) - 4 || k % 4)
				return -1;
			memcpy(&a, (const char *)sd + k, 4);
			blind &= k == offsetof(struct seccomp_data, nr) ||
				 k == offsetof(struct seccomp_data, arch);
			continue;
		case BPF_LD | BPF_IMM:
			a = k;
			continue;
		case BPF_LDX | BPF_IMM:
			x = k;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_RET | BPF_K:
			*cacheable = blind && k == SECCOMP_RET_ALLOW;
			return steps;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		}
		if (BPF_CLASS(in->code) == BPF_ALU && BPF_OP(in->code) == BPF_AND) {
			a &= src;
			continue;
		}
		if (BPF_CLASS(in->code) != BPF_JMP)
			return -1;
		bool t;
		switch (BPF_OP(in->code)) {
		case BPF_JEQ: t = a == src; break;
		case BPF_JGT: t = a > src; break;
		case BPF_JGE: t = a >= src; break;
		case BPF_JSET: t = (a & src) != 0; break;
		default: return -1;
		}
		pc += t ? in->jt : in->jf;
	}
	return -1;
}


/* ---- OCI ---- */

static const char *const oci_ops[] = {
	[CK__SECCOMP_EQ] = "SCMP_CMP_EQ",
	[CK__SECCOMP_NE] = "SCMP_CMP_NE",
	[CK__SECCOMP_LT] = "SCMP_CMP_LT",
	[CK__SECCOMP_GT] = "SCMP_CMP_GT",
	[CK__SECCOMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
	[CK__SECCOMP_LE] = "SCMP_CMP_LE",
	[CK__SECCOMP_GE] = "SCMP_CMP_GE",
};

int ck__seccomp_op_parse_oci(const char *name, enum ck__seccomp_op *out)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(oci_ops); i++)
		if (strcmp(oci_ops[i], name) == 0) {
			*out = (enum ck__seccomp_op)i;
			return 0;
		}
	return -EINVAL;
}

/* The first spelling of an action is the one written; SCMP_ACT_KILL is libseccomp's thread kill. */
static const struct {
	const char *name;
	enum ck_seccomp_action action;
} oci_actions[] = {
	{ "SCMP_ACT_ERRNO", CK_SECCOMP_ERRNO },     { "SCMP_ACT_KILL_PROCESS", CK_SECCOMP_KILL },
	{ "SCMP_ACT_KILL_THREAD", CK_SECCOMP_KILL_THREAD }, { "SCMP_ACT_KILL", CK_SECCOMP_KILL_THREAD },
	{ "SCMP_ACT_LOG", CK_SECCOMP_LOG },         { "SCMP_ACT_TRACE", CK_SECCOMP_TRACE },
	{ "SCMP_ACT_NOTIFY", CK_SECCOMP_NOTIFY },   { "SCMP_ACT_ALLOW", CK_SECCOMP_ALLOW },
	{ "SCMP_ACT_TRAP", CK_SECCOMP_TRAP },
};

int ck__seccomp_action_parse_oci(const char *name, enum ck_seccomp_action *out)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(oci_actions); i++)
		if (strcmp(oci_actions[i].name, name) == 0) {
			*out = oci_actions[i].action;
			return 0;
		}
	return -EINVAL;
}

static const char *oci_action(enum ck_seccomp_action a)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(oci_actions); i++)
		if (oci_actions[i].action == a)
			return oci_actions[i].name;
	return "SCMP_ACT_KILL_PROCESS";
}

int ck__seccomp_arch_parse_oci(const char *name, enum ck_arch *out)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(arch_map); i++)
		if (strcmp(arch_map[i].oci, name) == 0) {
			*out = arch_map[i].arch;
			return 0;
		}
	return -EINVAL;
}

int ck_seccomp_export_oci(const struct ck_seccomp_policy *p, int fd)
{
	enum ck_arch arches[CK_ARRAY_SIZE(p->arches)];
	size_t na;
	struct ck__json w;
	int r;

	if (!p || fd < 0)
		return -EINVAL;
	na = policy_arches(p, arches);
	/* OCI names syscalls for every ABI at once: a rule for one ABI or by number has no spelling */
	if (na == 0 || has_native_only(p))
		return -EOPNOTSUPP;
	if (p->error)
		return p->error;
	ck__json_init(&w);
	ck__json_obj_begin(&w, NULL);
	ck__json_str(&w, "defaultAction", oci_action(p->default_action));
	if (p->default_action == CK_SECCOMP_ERRNO || p->default_action == CK_SECCOMP_TRACE)
		ck__json_int(&w, "defaultErrnoRet", p->default_err);
	ck__json_arr_begin(&w, "architectures");
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < CK_ARRAY_SIZE(arch_map); k++)
			if (arch_map[k].arch == arches[i])
				ck__json_str(&w, NULL, arch_map[k].oci);
	ck__json_arr_end(&w);
	/* entries AND their args; one entry per flag bit makes the bits OR */
	ck__json_arr_begin(&w, "syscalls");
	for (size_t i = 0; i < p->nrules; i++) {
		const struct rule *ru = &p->rules[i];
		ck__json_obj_begin(&w, NULL);
		ck__json_arr_begin(&w, "names");
		ck__json_str(&w, NULL, ru->syscall);
		ck__json_arr_end(&w);
		ck__json_str(&w, "action", oci_action(ru->action));
		if (ru->action == CK_SECCOMP_ERRNO || ru->action == CK_SECCOMP_TRACE)
			ck__json_int(&w, "errnoRet", ru->err);
		if (ru->ncmp) {
			ck__json_arr_begin(&w, "args");
			for (unsigned k = 0; k < ru->ncmp; k++) {
				const struct ck__seccomp_cmp *m = &ru->cmp[k];
				bool masked = m->op == CK__SECCOMP_MASKED_EQ;
				ck__json_obj_begin(&w, NULL);
				ck__json_uint(&w, "index", m->arg);
				/* OCI's MASKED_EQ is libseccomp's: value the mask, valueTwo the datum */
				ck__json_uint(&w, "value", masked ? m->mask : m->value);
				ck__json_uint(&w, "valueTwo", masked ? m->value : 0);
				ck__json_str(&w, "op", oci_ops[m->op]);
				ck__json_obj_end(&w);
			}
			ck__json_arr_end(&w);
		}
		ck__json_obj_end(&w);
	}
	ck__json_arr_end(&w);
	ck__json_obj_end(&w);
	r = ck__json_write_line(&w, fd);
	ck__json_release(&w);
	return r;
}

/* ---- loading ---- */

static bool has_action(const struct ck_seccomp_policy *p, enum ck_seccomp_action action)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].action == action)
			return true;
	return false;
}

int ck_seccomp_load(const struct ck_seccomp_policy *p)
{
	int err = 0;
	/* libseccomp would load a notify rule with a listener no one answers: its calls hang */
	if (!p || has_action(p, CK_SECCOMP_NOTIFY))
		return -EINVAL;
	scmp_filter_ctx ctx = compile(p, NULL, 0, &err);
	if (!ctx)
		return err;
	err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

int ck_spawn_attr_set_seccomp(struct ck_spawn_attr *attr, const struct ck_seccomp_policy *p)
{
	void *buf = NULL;
	size_t len = 0;
	if (!attr)
		return -EINVAL;
	if (p) {
		int r = ck_seccomp_export_bpf(p, &buf, &len);
		if (r)
			return r;
	}
	return ck__spawn_attr_take_filter(attr, buf, len);
}

#define LISTENER_FLAGS CK_SECCOMP_LISTENER_WAIT_KILLABLE
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

int ck_spawn_attr_set_seccomp_listener(struct ck_spawn_attr *attr, const struct ck_seccomp_policy *p,
				       const struct ck_seccomp_listener_opts *opts)
{
	unsigned flags = 0;
	void *buf = NULL;
	size_t len = 0;

	if (!attr)
		return -EINVAL;
	if (opts) {
		if (!ck__opts_valid(opts, opts->size, offsetof(struct ck_seccomp_listener_opts, flags) +
							     sizeof(opts->flags), sizeof(*opts)) ||
		    (opts->flags & ~LISTENER_FLAGS))
			return -EINVAL;
		if (opts->flags & CK_SECCOMP_LISTENER_WAIT_KILLABLE)
			flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	if (p) {
		int r = ck_seccomp_export_bpf(p, &buf, &len);
		if (r)
			return r;
	}
	return ck__spawn_attr_take_listener(attr, buf, len, flags);
}
