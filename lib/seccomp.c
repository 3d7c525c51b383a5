/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seccomp policies for process creation. A policy is a list of rules (a
 * syscall, a condition on its flags argument, an action); libseccomp turns
 * it into BPF for every ABI the host can execute, and the same list writes
 * the OCI JSON. Conditions test one flag bit each, as systemd's
 * seccomp_restrict_namespaces() does: a MASKED_EQ(bit, bit) per bit, never
 * a MASKED_EQ(mask, 0), which would match the calls without the flags.
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
#include <stdbool.h>
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

/* When a rule's syscall matches. */
enum cond {
	COND_ALWAYS,
	COND_HAS_BIT,   /* (flags & bit) == bit */
	COND_LACKS_BIT, /* (flags & bit) == 0 */
};

struct rule {
	char syscall[48];
	struct ck__seccomp_cmp cmp[CK__SECCOMP_MAX_CMP]; /* all must hold */
	unsigned ncmp;
	enum ck_seccomp_action action;
	int err;
	bool optional;           /* a name this libseccomp does not know is left out (OCI) */
};

struct ck_seccomp_policy {
	const char *name;
	char summary[256];
	enum ck_seccomp_action default_action; /* CK_SECCOMP_ALLOW but for imported profiles */
	int default_err;
	struct rule *rules;
	size_t nrules, cap;
	enum ck_arch arches[8];  /* imported profiles: the ABIs it names; 0: the host's */
	size_t narches;
	int error;               /* a rule that could not be added: -errno, reported at compile */
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

struct ck_seccomp_policy *ck__seccomp_policy_new(const char *name, enum ck_seccomp_action def,
						 int def_err)
{
	struct ck_seccomp_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->name = name;
	p->default_action = def;
	p->default_err = def_err;
	return p;
}

int ck__seccomp_policy_add(struct ck_seccomp_policy *p, const char *syscall,
			   const struct ck__seccomp_cmp *cmp, unsigned ncmp,
			   enum ck_seccomp_action action, int err, bool optional)
{
	if (ncmp > CK__SECCOMP_MAX_CMP || strlen(syscall) >= sizeof(p->rules[0].syscall))
		return p->error = -EINVAL;
	if (p->nrules == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct rule *r = realloc(p->rules, cap * sizeof(*r));
		if (!r)
			return p->error = -ENOMEM;
		p->rules = r;
		p->cap = cap;
	}
	struct rule *ru = &p->rules[p->nrules++];
	memset(ru, 0, sizeof(*ru));
	snprintf(ru->syscall, sizeof(ru->syscall), "%s", syscall);
	if (ncmp)
		memcpy(ru->cmp, cmp, ncmp * sizeof(*cmp));
	ru->ncmp = ncmp;
	ru->action = action;
	ru->err = err;
	ru->optional = optional;
	return 0;
}

int ck__seccomp_policy_add_arch(struct ck_seccomp_policy *p, enum ck_arch arch)
{
	for (size_t i = 0; i < p->narches; i++)
		if (p->arches[i] == arch)
			return 0;
	if (p->narches >= CK_ARRAY_SIZE(p->arches))
		return -E2BIG;
	p->arches[p->narches++] = arch;
	return 0;
}

char *ck__seccomp_policy_summary(struct ck_seccomp_policy *p, size_t *len)
{
	*len = sizeof(p->summary);
	return p->summary;
}

static void add_rule(struct ck_seccomp_policy *p, const char *syscall, enum cond cond, uint32_t bit,
		     unsigned arg, enum ck_seccomp_action action, int err)
{
	struct ck__seccomp_cmp c = { arg, SCMP_CMP_MASKED_EQ, bit, cond == COND_HAS_BIT ? bit : 0 };
	ck__seccomp_policy_add(p, syscall, &c, cond == COND_ALWAYS ? 0 : 1, action, err, false);
}

/* The argument that holds clone's flags: 1 on s390 (CLONE_BACKWARDS2), else 0. */
static unsigned clone_flags_arg(void)
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
	const unsigned arg = clone_flags_arg();

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
		p = ck__seccomp_policy_new(named[2], CK_SECCOMP_ALLOW, 0);
		if (!p)
			return NULL;
		snprintf(p->summary, sizeof(p->summary),
			 "fork, vfork and clone without CLONE_THREAD fail with EPERM; threads are still made (clone3 fails with ENOSYS so they fall back to clone)");
		add_rule(p, "fork", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, EPERM);
		add_rule(p, "vfork", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, EPERM);
		add_rule(p, "clone", COND_LACKS_BIT, (uint32_t)CK_CLONE_THREAD, clone_flags_arg(),
			 CK_SECCOMP_ERRNO, EPERM);
		add_rule(p, "clone3", COND_ALWAYS, 0, 0, CK_SECCOMP_ERRNO, ENOSYS);
		return p;
	}
	errno = ENOENT;
	return NULL;
}

struct ck_seccomp_policy *ck__seccomp_policy_trace(void)
{
	struct ck_seccomp_policy *p = ck__seccomp_policy_new("trace", CK_SECCOMP_ALLOW, 0);
	if (!p)
		return NULL;
	snprintf(p->summary, sizeof(p->summary),
		 "clone, clone3, fork, vfork, unshare and setns stop the ptrace tracer (SECCOMP_RET_TRACE)");
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
	struct ck_seccomp_policy *p = ck__seccomp_policy_new("custom", CK_SECCOMP_ALLOW, 0);
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

/* A libseccomp filter for the given ABIs (all the host's when n is 0); NULL with *err. */
static scmp_filter_ctx compile(const struct ck_seccomp_policy *p, const enum ck_arch *only, size_t n,
			       int *err)
{
	enum ck_arch arches[4];
	size_t na = n ? n : p->narches ? p->narches : host_arches(arches);
	const enum ck_arch *use = n ? only : p->narches ? p->arches : arches;
	uint32_t def = scmp_action(p->default_action, p->default_err);
	scmp_filter_ctx ctx = seccomp_init(def);
	int r = p->error;

	if (!n && p->narches)
		n = na; /* an imported profile's list replaces the native ABI too */

	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	if (na == 0)
		r = -EOPNOTSUPP;
	/* the native ABI is in a new filter; an explicit list replaces it */
	if (!r && n && use[0] != (ck_arch_native() ? ck_arch_native()->arch : CK_ARCH__COUNT))
		r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	for (size_t i = 0; !r && i < na; i++) {
		uint32_t a = scmp_arch(use[i]);
		if (!a)
			r = -EOPNOTSUPP;
		else if (seccomp_arch_exist(ctx, a) != 0)
			r = seccomp_arch_add(ctx, a);
	}
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	for (size_t i = 0; !r && i < p->nrules; i++) {
		const struct rule *ru = &p->rules[i];
		int nr = seccomp_syscall_resolve_name(ru->syscall);
		uint32_t act = scmp_action(ru->action, ru->err);
		struct scmp_arg_cmp cmp[CK__SECCOMP_MAX_CMP];
		if (nr == __NR_SCMP_ERROR) {
			if (ru->optional)
				continue;
			r = -EINVAL;
			break;
		}
		/* libseccomp refuses a rule that repeats the default (EACCES); it changes nothing */
		if (act == def)
			continue;
		for (unsigned k = 0; k < ru->ncmp; k++)
			cmp[k] = (struct scmp_arg_cmp){ ru->cmp[k].arg, (enum scmp_compare)ru->cmp[k].op,
							ru->cmp[k].value, ru->cmp[k].value_two };
		r = seccomp_rule_add_array(ctx, act, nr, ru->ncmp, cmp);
		/* a syscall an ABI lacks (fork on aarch64) is simply not in its part */
		if (r == -EDOM)
			r = 0;
	}
	if (r) {
		seccomp_release(ctx);
		*err = r;
		return NULL;
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
	enum ck_arch host[4];
	size_t n = host_arches(host);
	bool in = false;
	int err = 0;

	if (!p)
		return -EINVAL;
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

/* ---- OCI ---- */

static const char *const op_names[] = {
	[SCMP_CMP_NE] = "SCMP_CMP_NE", [SCMP_CMP_LT] = "SCMP_CMP_LT",
	[SCMP_CMP_LE] = "SCMP_CMP_LE", [SCMP_CMP_EQ] = "SCMP_CMP_EQ",
	[SCMP_CMP_GE] = "SCMP_CMP_GE", [SCMP_CMP_GT] = "SCMP_CMP_GT",
	[SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *ck__seccomp_op_name(int op)
{
	return (unsigned)op < CK_ARRAY_SIZE(op_names) && op_names[op] ? op_names[op] : "?";
}

int ck__seccomp_op_parse(const char *name)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(op_names); i++)
		if (op_names[i] && strcmp(op_names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

int ck__seccomp_action_parse_oci(const char *name, enum ck_seccomp_action *out)
{
	static const struct {
		const char *name;
		enum ck_seccomp_action action;
	} t[] = {
		{ "SCMP_ACT_ERRNO", CK_SECCOMP_ERRNO }, { "SCMP_ACT_KILL_PROCESS", CK_SECCOMP_KILL },
		{ "SCMP_ACT_KILL", CK_SECCOMP_KILL_THREAD }, { "SCMP_ACT_KILL_THREAD", CK_SECCOMP_KILL_THREAD },
		{ "SCMP_ACT_LOG", CK_SECCOMP_LOG }, { "SCMP_ACT_TRACE", CK_SECCOMP_TRACE },
		{ "SCMP_ACT_NOTIFY", CK_SECCOMP_NOTIFY }, { "SCMP_ACT_ALLOW", CK_SECCOMP_ALLOW },
		{ "SCMP_ACT_TRAP", CK_SECCOMP_TRAP },
	};
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(t); i++)
		if (strcmp(t[i].name, name) == 0) {
			*out = t[i].action;
			return 0;
		}
	return -EINVAL;
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

static const char *oci_action(enum ck_seccomp_action a)
{
	switch (a) {
	case CK_SECCOMP_ERRNO: return "SCMP_ACT_ERRNO";
	case CK_SECCOMP_KILL: return "SCMP_ACT_KILL_PROCESS";
	case CK_SECCOMP_LOG: return "SCMP_ACT_LOG";
	case CK_SECCOMP_TRACE: return "SCMP_ACT_TRACE";
	case CK_SECCOMP_NOTIFY: return "SCMP_ACT_NOTIFY";
	case CK_SECCOMP_ALLOW: return "SCMP_ACT_ALLOW";
	case CK_SECCOMP_TRAP: return "SCMP_ACT_TRAP";
	case CK_SECCOMP_KILL_THREAD: return "SCMP_ACT_KILL_THREAD";
	}
	return "SCMP_ACT_KILL_PROCESS";
}

int ck_seccomp_export_oci(const struct ck_seccomp_policy *p, int fd)
{
	enum ck_arch host[4];
	size_t na;
	const enum ck_arch *arches;
	struct ck__json w;
	int r;

	if (!p || fd < 0)
		return -EINVAL;
	na = p->narches ? p->narches : host_arches(host);
	arches = p->narches ? p->arches : host;
	if (na == 0)
		return -EOPNOTSUPP;
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
				ck__json_obj_begin(&w, NULL);
				ck__json_uint(&w, "index", ru->cmp[k].arg);
				ck__json_uint(&w, "value", ru->cmp[k].value);
				ck__json_uint(&w, "valueTwo", ru->cmp[k].value_two);
				ck__json_str(&w, "op", ck__seccomp_op_name(ru->cmp[k].op));
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
