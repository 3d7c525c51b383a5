/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_audit(): a hardening report on process creation, one table entry per check. */
#include <clonekit/audit.h>
#include <clonekit/probe.h>
#include <clonekit/validate.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/util.h"

/* Not in the libc headers this builds against: the generic number (Linux 6.8). */
#ifndef SYS_lsm_list_modules
#if defined(__x86_64__) && defined(__ILP32__)
#define SYS_lsm_list_modules (0x40000000 + 461)
#else
#define SYS_lsm_list_modules 461
#endif
#endif

/* Everything read once and shared by the checks. */
struct audit_run {
	struct ck_probe probe;
	int probe_err;             /* ck_probe's return */
	bool procsys;              /* /proc/sys/kernel exists: a missing sysctl is absent */
	char status[8192];         /* /proc/self/status */
	int status_err;
	char lsm[256];             /* the active LSMs, comma-separated, in the kernel's order */
	int lsm_err;
	char lsm_why[128];         /* why lsm could not be read */
};

struct audit_slot {
	struct ck_audit_item pub;
	char value[256];
	char rec[256];
};

struct ck_audit_report {
	size_t count;
	size_t unmet;
	struct audit_slot items[];
};

struct audit_entry {
	struct ck_audit_check pub;
	void (*run)(const struct audit_run *run, const struct audit_entry *e, struct audit_slot *s);
	const char *path;          /* the sysctl's file */
	const char *feature;       /* the ck_probe feature */
	bool zero_is_ok;           /* a namespace limit whose 0 meets the userns recommendation */
};

__attribute__((format(printf, 2, 3)))
static void set_value(struct audit_slot *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->value, sizeof(s->value), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void set_rec(struct audit_slot *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->rec, sizeof(s->rec), fmt, ap);
	va_end(ap);
	s->pub.recommendation = s->rec;
}

/*
 * Reads a sysctl into s->value as it reads. Returns 0 with its number in *n,
 * -ENOENT when the kernel has no such sysctl (s->value "absent"), or another
 * -errno with the item unknown.
 */
static int read_sysctl(const struct audit_run *run, const char *path, struct audit_slot *s,
		       long long *n)
{
	ssize_t r = ck__read_small_file(path, s->value, sizeof(s->value));
	char *end;

	if (r == -ENOENT && run->procsys) {
		set_value(s, "absent");
		return -ENOENT;
	}
	if (r < 0) {
		set_value(s, "unreadable: %s: %s", path, strerrordesc_np((int)-r));
		s->pub.status = CK_AUDIT_UNKNOWN;
		return (int)r;
	}
	errno = 0;
	*n = strtoll(s->value, &end, 10);
	if (errno || end == s->value || *end) {
		s->pub.status = CK_AUDIT_UNKNOWN;
		return -EINVAL;
	}
	return 0;
}

static const struct ck_probe_answer *probe_answer(const struct audit_run *run, const char *name)
{
	if (run->probe_err < 0)
		return NULL;
	return ck_probe_answer_of(&run->probe, ck_probe_feature_by_name(name));
}

/* The answer as clonekit probe prints it: "yes", or "denied EPERM (why)". */
static enum ck_probe_result probe_value(const struct audit_run *run, const char *name,
					struct audit_slot *s)
{
	const struct ck_probe_answer *a = probe_answer(run, name);
	const char *err;

	if (!a) {
		set_value(s, "unknown (the probe failed: %s)", strerrordesc_np(-run->probe_err));
		s->pub.status = CK_AUDIT_UNKNOWN;
		return CK_PROBE_UNKNOWN;
	}
	if (a->result == CK_PROBE_YES) {
		set_value(s, "yes");
		return a->result;
	}
	err = ck_errno_name(a->err);
	set_value(s, "%s%s%s%s%s%s", ck_probe_result_name(a->result), err ? " " : "", err ? err : "",
		  a->why[0] ? " (" : "", a->why, a->why[0] ? ")" : "");
	if (a->result == CK_PROBE_UNKNOWN)
		s->pub.status = CK_AUDIT_UNKNOWN;
	return a->result;
}

/* The value of a "Key:\tvalue" line of /proc/self/status, or NULL. */
static const char *status_field(const struct audit_run *run, const char *key)
{
	return run->status_err ? NULL : ck__status_field(run->status, key);
}

static bool sysctl_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void check_unprivileged_userns(const struct audit_run *run, const struct audit_entry *e,
				      struct audit_slot *s)
{
	switch (probe_value(run, e->feature, s)) {
	case CK_PROBE_YES:
		s->pub.status = CK_AUDIT_WARN;
		if (sysctl_exists("/proc/sys/kernel/unprivileged_userns_clone"))
			set_rec(s, "On a host that runs no rootless containers, set "
				   "kernel.unprivileged_userns_clone=0.");
		else if (sysctl_exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"))
			set_rec(s, "On a host that runs no rootless containers, set "
				   "kernel.apparmor_restrict_unprivileged_userns=1.");
		else
			set_rec(s, "On a host that runs no rootless containers, set "
				   "user.max_user_namespaces=0 (this kernel has no switch for "
				   "unprivileged callers alone, so root loses user namespaces too).");
		break;
	case CK_PROBE_NO:
	case CK_PROBE_DENIED:
		s->pub.status = CK_AUDIT_OK;
		break;
	case CK_PROBE_UNKNOWN:
		break;
	}
}

static void check_userns_clone(const struct audit_run *run, const struct audit_entry *e,
			       struct audit_slot *s)
{
	long long n;
	int r = read_sysctl(run, e->path, s, &n);

	if (r == -ENOENT) {
		s->pub.status = CK_AUDIT_INFO;
	} else if (r == 0 && n == 0) {
		s->pub.status = CK_AUDIT_OK;
	} else if (r == 0) {
		s->pub.status = CK_AUDIT_INFO;
		set_rec(s, "Set kernel.unprivileged_userns_clone=0 on a host that runs no rootless "
			   "containers.");
	}
}

static void check_apparmor_userns(const struct audit_run *run, const struct audit_entry *e,
				  struct audit_slot *s)
{
	long long n;
	int r = read_sysctl(run, e->path, s, &n);

	if (r == -ENOENT) {
		s->pub.status = CK_AUDIT_INFO;
	} else if (r == 0 && n != 0) {
		s->pub.status = CK_AUDIT_OK;
	} else if (r == 0) {
		s->pub.status = CK_AUDIT_INFO;
		set_rec(s, "Set kernel.apparmor_restrict_unprivileged_userns=1 on a host that runs no "
			   "rootless containers.");
	}
}

static void check_ns_limit(const struct audit_run *run, const struct audit_entry *e,
			   struct audit_slot *s)
{
	long long n;
	int r = read_sysctl(run, e->path, s, &n);

	if (r == 0 && n == 0 && e->zero_is_ok)
		s->pub.status = CK_AUDIT_OK;
	else if (r == 0 || r == -ENOENT)
		s->pub.status = CK_AUDIT_INFO;
}

/* Informational numbers: pid_max, threads-max. */
static void check_number(const struct audit_run *run, const struct audit_entry *e,
			 struct audit_slot *s)
{
	long long n;

	if (read_sysctl(run, e->path, s, &n) == 0)
		s->pub.status = CK_AUDIT_INFO;
}

static void check_yama(const struct audit_run *run, const struct audit_entry *e,
		       struct audit_slot *s)
{
	long long n;
	int r = read_sysctl(run, e->path, s, &n);

	if (r == -ENOENT) {
		s->pub.status = CK_AUDIT_WARN;
		set_rec(s, "Boot a kernel with Yama (CONFIG_SECURITY_YAMA=y, yama in lsm=) and set "
			   "kernel.yama.ptrace_scope=1.");
	} else if (r == 0 && n == 0) {
		s->pub.status = CK_AUDIT_WARN;
		set_rec(s, "Set kernel.yama.ptrace_scope=1, so that only a parent may ptrace its "
			   "descendants.");
	} else if (r == 0) {
		s->pub.status = CK_AUDIT_OK;
	}
}

static void check_unprivileged_bpf(const struct audit_run *run, const struct audit_entry *e,
				   struct audit_slot *s)
{
	long long n;
	int r = read_sysctl(run, e->path, s, &n);

	/* absent: the kernel has no bpf() syscall at all */
	if (r == -ENOENT || (r == 0 && n != 0)) {
		s->pub.status = CK_AUDIT_OK;
	} else if (r == 0) {
		s->pub.status = CK_AUDIT_WARN;
		set_rec(s, "Set kernel.unprivileged_bpf_disabled=2 (1 also works, but cannot be "
			   "undone until reboot).");
	}
}

static bool self_under_filter(const struct audit_run *run)
{
	const char *mode = status_field(run, "Seccomp");

	return mode && strtol(mode, NULL, 10) == 2;
}

static void check_seccomp(const struct audit_run *run, const struct audit_entry *e,
			  struct audit_slot *s)
{
	switch (probe_value(run, e->feature, s)) {
	case CK_PROBE_YES:
		s->pub.status = CK_AUDIT_OK;
		break;
	case CK_PROBE_NO:
		s->pub.status = CK_AUDIT_WARN;
		set_rec(s, "Use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y.");
		break;
	case CK_PROBE_DENIED:
		s->pub.status = CK_AUDIT_WARN;
		set_rec(s, "Allow seccomp(2) and prctl(PR_SET_NO_NEW_PRIVS) in the seccomp filter or "
			   "security policy this process runs under.");
		break;
	case CK_PROBE_UNKNOWN:
		break;
	}
}

static void check_seccomp_notif(const struct audit_run *run, const struct audit_entry *e,
				struct audit_slot *s)
{
	switch (probe_value(run, e->feature, s)) {
	case CK_PROBE_YES:
		s->pub.status = CK_AUDIT_OK;
		break;
	case CK_PROBE_NO:
		s->pub.status = CK_AUDIT_INFO;
		set_rec(s, "Use Linux 5.0 or later, built with CONFIG_SECCOMP_FILTER=y.");
		break;
	case CK_PROBE_DENIED:
		s->pub.status = CK_AUDIT_INFO;
		break;
	case CK_PROBE_UNKNOWN:
		break;
	}
}

static void check_clone3(const struct audit_run *run, const struct audit_entry *e,
			 struct audit_slot *s)
{
	const struct ck_probe_answer *a = probe_answer(run, e->feature);

	switch (probe_value(run, e->feature, s)) {
	case CK_PROBE_YES:
		s->pub.status = CK_AUDIT_OK;
		break;
	case CK_PROBE_NO:
		s->pub.status = CK_AUDIT_INFO;
		/* a filter that answers ENOSYS is a choice of its author, glibc falls back to clone */
		if (a->err == ENOSYS && !self_under_filter(run))
			set_rec(s, "Use Linux 5.3 or later for clone3 (5.7 for CLONE_INTO_CGROUP).");
		break;
	case CK_PROBE_DENIED:
		s->pub.status = CK_AUDIT_INFO;
		break;
	case CK_PROBE_UNKNOWN:
		break;
	}
}

static void check_self_seccomp(const struct audit_run *run, const struct audit_entry *e,
			       struct audit_slot *s)
{
	static const char *const modes[] = { "disabled", "strict", "filter" };
	const char *mode = status_field(run, "Seccomp");
	const char *filters = status_field(run, "Seccomp_filters");
	long m, f;

	if (run->status_err) {
		set_value(s, "unreadable: /proc/self/status: %s", strerrordesc_np(run->status_err));
		return;
	}
	s->pub.status = CK_AUDIT_INFO;
	if (!mode) {
		set_value(s, "absent (a kernel without CONFIG_SECCOMP)");
		return;
	}
	m = strtol(mode, NULL, 10);
	if (m < 0 || m > 2) {
		set_value(s, "mode %ld", m);
		return;
	}
	if (!filters) {
		set_value(s, "mode %ld (%s)", m, modes[m]);
		return;
	}
	f = strtol(filters, NULL, 10);
	set_value(s, "mode %ld (%s), %ld filter%s", m, modes[m], f, f == 1 ? "" : "s");
}

static void check_self_nnp(const struct audit_run *run, const struct audit_entry *e,
			   struct audit_slot *s)
{
	const char *nnp = status_field(run, "NoNewPrivs");

	if (run->status_err) {
		set_value(s, "unreadable: /proc/self/status: %s", strerrordesc_np(run->status_err));
		return;
	}
	s->pub.status = CK_AUDIT_INFO;
	if (!nnp)
		set_value(s, "absent (before Linux 4.10 /proc/self/status has no NoNewPrivs)");
	else if (strtol(nnp, NULL, 10) != 0)
		set_value(s, "1 (set)");
	else
		set_value(s, "0 (not set)");
}

static bool lsm_active(const struct audit_run *run, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = run->lsm; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static bool lsm_unreadable(const struct audit_run *run, struct audit_slot *s)
{
	if (!run->lsm_err)
		return false;
	set_value(s, "unreadable: %s", run->lsm_why);
	return true;
}

static void check_bpf_lsm(const struct audit_run *run, const struct audit_entry *e,
			  struct audit_slot *s)
{
	if (lsm_unreadable(run, s))
		return;
	if (lsm_active(run, "bpf")) {
		set_value(s, "yes");
		s->pub.status = CK_AUDIT_OK;
		return;
	}
	set_value(s, "no");
	s->pub.status = CK_AUDIT_INFO;
	set_rec(s, "Boot a kernel built with CONFIG_BPF_LSM=y with bpf in the lsm= list.");
}

static void check_lsm(const struct audit_run *run, const struct audit_entry *e,
		      struct audit_slot *s)
{
	if (lsm_unreadable(run, s))
		return;
	set_value(s, "%s", run->lsm[0] ? run->lsm : "none");
	s->pub.status = CK_AUDIT_INFO;
}

static void check_cgroup(const struct audit_run *run, const struct audit_entry *e,
			 struct audit_slot *s)
{
	/* each v1 hierarchy is one superblock, however often it is mounted */
	unsigned long devs[64];
	size_t v1 = 0;
	char line[4096], v2[1024] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		set_value(s, "unreadable: /proc/self/mountinfo: %s", strerrordesc_np(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		char *dash = strstr(line, " - ");
		unsigned maj, min;
		char mnt[1024];
		size_t i;

		if (!dash || sscanf(line, "%*s %*s %u:%u %*s %1023s", &maj, &min, mnt) != 3)
			continue;
		if (strncmp(dash + 3, "cgroup2 ", 8) == 0) {
			if (!v2[0])
				snprintf(v2, sizeof(v2), "%s", mnt);
		} else if (strncmp(dash + 3, "cgroup ", 7) == 0) {
			unsigned long dev = (unsigned long)maj << 20 | min;
			for (i = 0; i < v1 && devs[i] != dev; i++)
				;
			if (i == v1 && v1 < CK_ARRAY_SIZE(devs))
				devs[v1++] = dev;
		}
	}
	fclose(f);

	s->pub.status = CK_AUDIT_INFO;
	if (v2[0] && !v1) {
		set_value(s, "unified: cgroup2 at %s", v2);
		s->pub.status = CK_AUDIT_OK;
		return;
	}
	if (v2[0])
		set_value(s, "hybrid: cgroup2 at %s, %zu v1 hierarch%s", v2, v1, v1 == 1 ? "y" : "ies");
	else if (v1)
		set_value(s, "legacy: %zu v1 hierarch%s, no cgroup2", v1, v1 == 1 ? "y" : "ies");
	else
		set_value(s, "none: no cgroup hierarchy is mounted");
	set_rec(s, "Boot with systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all, so that only "
		   "cgroup2 is mounted, at /sys/fs/cgroup.");
}

/* The LSM ids of include/uapi/linux/lsm.h. */
static const char *lsm_name(uint64_t id)
{
	static const char *const names[] = {
		"capability", "selinux", "smack", "tomoyo", "apparmor", "yama", "loadpin",
		"safesetid", "lockdown", "bpf", "landlock", "ima", "evm", "ipe",
	};

	return id >= 100 && id - 100 < CK_ARRAY_SIZE(names) ? names[id - 100] : NULL;
}

/* securityfs's list where it is mounted, else lsm_list_modules(2) (Linux 6.8). */
static void read_lsm(struct audit_run *run)
{
	uint64_t ids[64];
	uint32_t size = sizeof(ids);
	size_t pos = 0;
	ssize_t r = ck__read_small_file("/sys/kernel/security/lsm", run->lsm, sizeof(run->lsm));
	long n;

	if (r >= 0)
		return;
	n = syscall(SYS_lsm_list_modules, ids, &size, 0);
	if (n < 0) {
		run->lsm_err = errno;
		snprintf(run->lsm_why, sizeof(run->lsm_why),
			 "/sys/kernel/security/lsm: %s; lsm_list_modules: %s",
			 strerrordesc_np((int)-r), strerrordesc_np(run->lsm_err));
		run->lsm[0] = '\0';
		return;
	}
	run->lsm[0] = '\0';
	for (long i = 0; i < n && i < (long)CK_ARRAY_SIZE(ids); i++) {
		const char *name = lsm_name(ids[i]);
		if (name)
			ck__buf_append(run->lsm, sizeof(run->lsm), &pos, "%s%s", i ? "," : "", name);
		else
			ck__buf_append(run->lsm, sizeof(run->lsm), &pos, "%slsm-%llu", i ? "," : "",
				      (unsigned long long)ids[i]);
	}
}

#define CHECK(id_, title_, can_warn_, why_) .pub = { id_, title_, why_, can_warn_ }
#define NS_LIMIT(kind, flag, zero_ok)                                                       \
	{ CHECK("max_" kind "_namespaces", "user.max_" kind "_namespaces", false,           \
		"clone() and unshare() with " flag " fail with ENOSPC once a user holds this "   \
		"many " kind " namespaces, counted in the caller's user namespace and each one " \
		"above it."),                                                                   \
	  .run = check_ns_limit, .path = "/proc/sys/user/max_" kind "_namespaces",          \
	  .zero_is_ok = zero_ok }

static const struct audit_entry table[] = {
	{ CHECK("unprivileged_user_namespace", "unprivileged user namespaces", true,
		"A process that clones with CLONE_NEWUSER becomes root inside the new namespace "
		"and reaches kernel code otherwise open only to root, the first step of many "
		"privilege escalations."),
	  .run = check_unprivileged_userns, .feature = "unprivileged_user_namespace" },
	{ CHECK("unprivileged_userns_clone", "kernel.unprivileged_userns_clone", false,
		"This Debian and Ubuntu switch decides whether callers without CAP_SYS_ADMIN may "
		"clone() or unshare() a new user namespace; 0 refuses them while root keeps user "
		"namespaces."),
	  .run = check_userns_clone, .path = "/proc/sys/kernel/unprivileged_userns_clone" },
	{ CHECK("apparmor_restrict_unprivileged_userns",
		"kernel.apparmor_restrict_unprivileged_userns", false,
		"With 1, AppArmor restricts the user namespaces that unprivileged processes create "
		"with clone() or unshare() to programs whose profile allows them."),
	  .run = check_apparmor_userns,
	  .path = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns" },
	NS_LIMIT("user", "CLONE_NEWUSER", true),
	NS_LIMIT("pid", "CLONE_NEWPID", false),
	NS_LIMIT("net", "CLONE_NEWNET", false),
	NS_LIMIT("mnt", "CLONE_NEWNS", false),
	NS_LIMIT("uts", "CLONE_NEWUTS", false),
	NS_LIMIT("ipc", "CLONE_NEWIPC", false),
	NS_LIMIT("cgroup", "CLONE_NEWCGROUP", false),
	NS_LIMIT("time", "CLONE_NEWTIME", false),
	{ CHECK("yama_ptrace_scope", "kernel.yama.ptrace_scope", true,
		"Without Yama restricting ptrace, any process of the same user can attach to a "
		"cloned child, sandboxed in new namespaces or not, and read or rewrite its memory."),
	  .run = check_yama, .path = "/proc/sys/kernel/yama/ptrace_scope" },
	{ CHECK("seccomp_filter", "seccomp filters", true,
		"Seccomp filters let a process refuse clone() and unshare() flags such as "
		"CLONE_NEWUSER to itself and to every child, which inherits the filter and cannot "
		"remove it."),
	  .run = check_seccomp, .feature = "seccomp_filter" },
	{ CHECK("seccomp_user_notif", "seccomp user notification", false,
		"User notification lets a supervisor inspect and answer a sandboxed process's "
		"clone() and unshare() calls itself instead of leaving a fixed verdict to the "
		"filter."),
	  .run = check_seccomp_notif, .feature = "seccomp_user_notif" },
	{ CHECK("self_seccomp", "seccomp mode of this process", false,
		"Every child this process clones inherits its seccomp filters, which decide which "
		"clone() flags and syscalls the children may use."),
	  .run = check_self_seccomp },
	{ CHECK("self_no_new_privs", "no_new_privs of this process", false,
		"no_new_privs passes to every cloned child and across execve(); it lets an "
		"unprivileged process load seccomp filters and keeps setuid programs from raising "
		"a child's privileges."),
	  .run = check_self_nnp },
	{ CHECK("clone3", "clone3 syscall", false,
		"Only clone3 can start a child in a given cgroup, with a chosen PID or with its "
		"signal handlers reset, and seccomp cannot read its flags, which lie in memory, so "
		"profiles often hide it."),
	  .run = check_clone3, .feature = "clone3" },
	{ CHECK("bpf_lsm", "BPF LSM", false,
		"The BPF LSM lets a policy loaded at run time refuse process creation (task_alloc) "
		"and user-namespace creation (userns_create) per program, without a reboot."),
	  .run = check_bpf_lsm },
	{ CHECK("lsm", "active security modules", false,
		"Security modules see every clone(): they can refuse new user namespaces, restrict "
		"ptrace of the children and confine what those children may do."),
	  .run = check_lsm },
	{ CHECK("unprivileged_bpf_disabled", "kernel.unprivileged_bpf_disabled", true,
		"With 0, any process, a child cloned into an unprivileged sandbox included, can "
		"load eBPF programs, a large kernel attack surface that no namespace narrows."),
	  .run = check_unprivileged_bpf, .path = "/proc/sys/kernel/unprivileged_bpf_disabled" },
	{ CHECK("cgroup_layout", "cgroup layout", false,
		"CLONE_INTO_CGROUP needs cgroup v2, and only when every controller (pids, memory, "
		"cpu) is on v2 can a child start under its limits from its first instruction."),
	  .run = check_cgroup },
	{ CHECK("pid_max", "kernel.pid_max", false,
		"fork() and clone() fail with EAGAIN once this many PIDs are in use in the PID "
		"namespace, so it bounds how many processes a fork bomb can make."),
	  .run = check_number, .path = "/proc/sys/kernel/pid_max" },
	{ CHECK("threads_max", "kernel.threads-max", false,
		"The kernel refuses fork() and clone() with EAGAIN once this many tasks exist on "
		"the host, whichever user or namespace they belong to."),
	  .run = check_number, .path = "/proc/sys/kernel/threads-max" },
};

int ck_audit(struct ck_audit_report **out)
{
	struct audit_run *run CK_AUTO_FREE = NULL;
	struct ck_audit_report *r;
	ssize_t n;

	if (!out)
		return -EINVAL;
	*out = NULL;
	run = calloc(1, sizeof(*run));
	r = calloc(1, sizeof(*r) + CK_ARRAY_SIZE(table) * sizeof(r->items[0]));
	if (!run || !r) {
		free(r);
		return -ENOMEM;
	}

	run->probe.size = sizeof(run->probe);
	run->probe_err = ck_probe(&run->probe);
	run->procsys = access("/proc/sys/kernel", F_OK) == 0;
	n = ck__read_small_file("/proc/self/status", run->status, sizeof(run->status));
	run->status_err = n < 0 ? (int)-n : 0;
	read_lsm(run);

	for (size_t i = 0; i < CK_ARRAY_SIZE(table); i++) {
		const struct audit_entry *e = &table[i];
		struct audit_slot *s = &r->items[i];

		s->pub.id = e->pub.id;
		s->pub.title = e->pub.title;
		s->pub.why = e->pub.why;
		s->pub.value = s->value;
		s->pub.status = CK_AUDIT_UNKNOWN;
		e->run(run, e, s);
		if (s->pub.status == CK_AUDIT_WARN)
			r->unmet++;
		else if (s->pub.status == CK_AUDIT_OK)
			s->pub.recommendation = NULL;
	}
	r->count = CK_ARRAY_SIZE(table);
	*out = r;
	return 0;
}

size_t ck_audit_report_count(const struct ck_audit_report *r)
{
	return r ? r->count : 0;
}

const struct ck_audit_item *ck_audit_report_at(const struct ck_audit_report *r, size_t i)
{
	if (!r || i >= r->count) {
		errno = EINVAL;
		return NULL;
	}
	return &r->items[i].pub;
}

const struct ck_audit_item *ck_audit_report_find(const struct ck_audit_report *r, const char *id)
{
	for (size_t i = 0; r && id && i < r->count; i++)
		if (strcmp(r->items[i].pub.id, id) == 0)
			return &r->items[i].pub;
	errno = ENOENT;
	return NULL;
}

size_t ck_audit_report_unmet(const struct ck_audit_report *r)
{
	return r ? r->unmet : 0;
}

void ck_audit_report_free(struct ck_audit_report *r)
{
	free(r);
}

const char *ck_audit_status_name(enum ck_audit_status s)
{
	switch (s) {
	case CK_AUDIT_UNKNOWN: return "unknown";
	case CK_AUDIT_OK: return "ok";
	case CK_AUDIT_WARN: return "warn";
	case CK_AUDIT_INFO: return "info";
	}
	return "?";
}

size_t ck_audit_check_count(void)
{
	return CK_ARRAY_SIZE(table);
}

const struct ck_audit_check *ck_audit_check_at(size_t i)
{
	return i < CK_ARRAY_SIZE(table) ? &table[i].pub : NULL;
}
