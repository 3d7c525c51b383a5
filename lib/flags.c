/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The flag table and the flag codec. The table is the single source of
 * truth: every other module walks it instead of spelling flag values.
 */
#include <clonekit/flags.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "internal/util.h"

#define C   CK_SYSCALL_BIT(CK_SYSCALL_CLONE)
#define C3  CK_SYSCALL_BIT(CK_SYSCALL_CLONE3)
#define U   CK_SYSCALL_BIT(CK_SYSCALL_UNSHARE)
#define V   CK_KERNEL_VERSION

static const char SUBSTRATE[] = "Substrate-as-is.";
static const char CONTAINERISATION[] = "See Containerisation.";

/*
 * Versions come from man-pages clone(2)/unshare(2) "since Linux" notes and
 * the kernel history; peios notes are seed 002's text.
 */
static const struct ck_flag flag_table[] = {
	{ CK_CLONE_NEWTIME, "CLONE_NEWTIME", "newtime", CK_GROUP_NAMESPACE, C3 | U,
	  V(5, 6, 0), V(5, 6, 0),
	  "New time namespace: the children get their own CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets.",
	  CONTAINERISATION,
	  "Bit 0x80 lies in the exit-signal byte of legacy clone(), so only clone3() and unshare() can ask for it.",
	  C3 | U },
	{ CK_CLONE_VM, "CLONE_VM", "vm", CK_GROUP_SHARING, C | C3 | U,
	  V(2, 0, 0), V(2, 6, 16),
	  "Share the address space: a pointer means the same memory in parent and child.",
	  "Substrate-as-is. Required for CLONE_THREAD.",
	  "unshare(CLONE_VM) succeeds only when there is nothing to unshare (a single-threaded caller).",
	  C | C3 | U },
	{ CK_CLONE_FS, "CLONE_FS", "fs", CK_GROUP_SHARING, C | C3 | U,
	  V(2, 0, 0), V(2, 6, 16),
	  "Share filesystem information: root directory, current directory and umask.",
	  SUBSTRATE, NULL, C | C3 | U },
	{ CK_CLONE_FILES, "CLONE_FILES", "files", CK_GROUP_SHARING, C | C3 | U,
	  V(2, 0, 0), V(2, 6, 16),
	  "Share the file descriptor table: an fd opened or closed in one is opened or closed in the other.",
	  SUBSTRATE, NULL, C | C3 | U },
	{ CK_CLONE_SIGHAND, "CLONE_SIGHAND", "sighand", CK_GROUP_SHARING, C | C3 | U,
	  V(2, 0, 0), V(2, 6, 16),
	  "Share the table of signal handlers; requires CLONE_VM.",
	  SUBSTRATE,
	  "Seed 002 says it is 'required when CLONE_VM is set'; the kernel's rule runs the other way: CLONE_SIGHAND requires CLONE_VM (kernel/fork.c, since 2.6.0).",
	  C | C3 | U },
	{ CK_CLONE_PIDFD, "CLONE_PIDFD", "pidfd", CK_GROUP_TRACKING, C | C3,
	  V(5, 2, 0), 0,
	  "Return a pidfd for the child: in *parent_tid for clone(), in *pidfd for clone3().",
	  "See Process Lifecycle. The pidfd is issued without a separate AccessCheck \xe2\x80\x94 the parent always has authority over its newly-created child.",
	  "Bit 0x1000 was CLONE_PID until 2.5.16; clone() on kernels before 5.2 ignores it, leaving *parent_tid unwritten.",
	  C | C3 },
	{ CK_CLONE_PTRACE, "CLONE_PTRACE", "ptrace", CK_GROUP_TRACING, C | C3,
	  V(2, 2, 0), 0,
	  "If the caller is being traced, trace the child too.",
	  NULL, NULL, C | C3 },
	{ CK_CLONE_VFORK, "CLONE_VFORK", "vfork", CK_GROUP_STRUCTURE, C | C3,
	  V(2, 2, 0), 0,
	  "Suspend the caller until the child calls execve() or exits, as vfork() does.",
	  SUBSTRATE, NULL, C | C3 },
	{ CK_CLONE_PARENT, "CLONE_PARENT", "parent", CK_GROUP_STRUCTURE, C | C3,
	  V(2, 3, 12), 0,
	  "Give the child the caller's parent: a sibling, not a child; the grandparent gets the exit signal.",
	  "Substrate-as-is. The child's process SD governs all interactions regardless of who its parent is \xe2\x80\x94 choice of parent does not affect what is allowed.",
	  NULL, C | C3 },
	{ CK_CLONE_THREAD, "CLONE_THREAD", "thread", CK_GROUP_SHARING, C | C3 | U,
	  V(2, 4, 0), V(2, 6, 16),
	  "Put the child in the caller's thread group (same PID, its own TID); requires CLONE_SIGHAND.",
	  "Branch point: shared primary token, independent impersonation per thread. See Understanding the Thread Model.",
	  "Seed 000 states the rule as 'CLONE_THREAD without CLONE_VM and CLONE_SIGHAND'; the kernel checks THREAD needs SIGHAND, then SIGHAND needs VM.",
	  C | C3 | U },
	{ CK_CLONE_NEWNS, "CLONE_NEWNS", "newns", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(2, 4, 19), V(2, 6, 16),
	  "New mount namespace: the child gets its own copy of the mount tree; not with CLONE_FS.",
	  CONTAINERISATION,
	  "Seed 000 dates it 2.4.20; man-pages clone(2) and the kernel history date it 2.4.19.",
	  C | C3 | U },
	{ CK_CLONE_SYSVSEM, "CLONE_SYSVSEM", "sysvsem", CK_GROUP_SHARING, C | C3 | U,
	  V(2, 5, 10), V(2, 6, 26),
	  "Share the System V semaphore undo list (semadj values).",
	  SUBSTRATE, NULL, C | C3 | U },
	{ CK_CLONE_SETTLS, "CLONE_SETTLS", "settls", CK_GROUP_TRACKING, C | C3,
	  V(2, 5, 32), 0,
	  "Set the child's thread pointer to tls (fs base on x86-64, TPIDR_EL0 on arm64, a GDT entry on i386).",
	  "Substrate-as-is. Used by threading libraries during thread setup.",
	  NULL, C | C3 },
	{ CK_CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID", "parent_settid", CK_GROUP_TRACKING, C | C3,
	  V(2, 5, 49), 0,
	  "Store the child's TID at parent_tid in the caller's memory before clone returns.",
	  "Substrate-as-is. Used by threading libraries to record the new thread's TID synchronously with creation.",
	  NULL, C | C3 },
	{ CK_CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID", "child_cleartid", CK_GROUP_TRACKING, C | C3,
	  V(2, 5, 49), 0,
	  "Zero the TID at child_tid when the child exits and wake a futex waiter there.",
	  "Substrate-as-is. The mechanism behind robust pthread thread-exit notification.",
	  NULL, C | C3 },
	{ CK_CLONE_DETACHED, "CLONE_DETACHED", "detached", CK_GROUP_HISTORICAL, C,
	  V(2, 5, 32), 0,
	  "Historical: once kept the parent from receiving SIGCHLD; ignored by clone(), refused by clone3().",
	  "Substrate-as-is \xe2\x80\x94 present in headers, no effect.",
	  "Ignored since 2.6.2; with CLONE_PIDFD it is EINVAL (5.2+) so the bit can be reused. strace prints it as 0x400000.",
	  0 },
	{ CK_CLONE_UNTRACED, "CLONE_UNTRACED", "untraced", CK_GROUP_TRACING, C | C3,
	  V(2, 5, 46), 0,
	  "Keep a tracer's automatic attachment (PTRACE_O_TRACECLONE/FORK/VFORK) from reaching the child.",
	  "Substrate-as-is on Peios. An inheritance flag, not a protection mechanism: it stops the tracer's auto-attachment, not a later PTRACE_ATTACH, which PIP dominance, the child's process SD and SeDebugPrivilege gate.",
	  "It does not beat an explicit CLONE_PTRACE: the kernel attaches a traced caller's tracer whenever CLONE_PTRACE is set (ptrace_init_task()).",
	  C | C3 },
	{ CK_CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID", "child_settid", CK_GROUP_TRACKING, C | C3,
	  V(2, 5, 49), 0,
	  "Store the child's TID at child_tid in the child's memory.",
	  SUBSTRATE, NULL, C | C3 },
	{ CK_CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "newcgroup", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(4, 6, 0), V(4, 6, 0),
	  "New cgroup namespace: the child's current cgroup becomes the root of its cgroup view.",
	  CONTAINERISATION,
	  "Bit 0x02000000 was CLONE_STOPPED until 2.6.38; clone() on kernels before 4.6 ignores it.",
	  C | C3 | U },
	{ CK_CLONE_NEWUTS, "CLONE_NEWUTS", "newuts", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(2, 6, 19), V(2, 6, 19),
	  "New UTS namespace: own hostname and NIS domain name.",
	  CONTAINERISATION, NULL, C | C3 | U },
	{ CK_CLONE_NEWIPC, "CLONE_NEWIPC", "newipc", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(2, 6, 19), V(2, 6, 19),
	  "New IPC namespace: own System V IPC objects and POSIX message queues; not with CLONE_SYSVSEM.",
	  CONTAINERISATION, NULL, C | C3 | U },
	{ CK_CLONE_NEWUSER, "CLONE_NEWUSER", "newuser", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(2, 6, 23), V(3, 8, 0),
	  "New user namespace: own UID/GID mappings and a full capability set inside it; the basis of rootless containers.",
	  "See Containerisation. UIDs have no security meaning on Peios; user namespaces are primarily a building block for the other namespace types.",
	  "Defined in 2.6.23; complete, and open to unprivileged callers, since 3.8. Seed 000 dates it 2.6.24.",
	  C | C3 | U },
	{ CK_CLONE_NEWPID, "CLONE_NEWPID", "newpid", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(2, 6, 24), V(3, 8, 0),
	  "New PID namespace: the child is PID 1 in it and reaps its orphans.",
	  "See PID Management for substrate behaviour; full model in Containerisation.",
	  NULL, C | C3 | U },
	{ CK_CLONE_NEWNET, "CLONE_NEWNET", "newnet", CK_GROUP_NAMESPACE, C | C3 | U,
	  V(2, 6, 24), V(2, 6, 24),
	  "New network namespace: own interfaces, routes, firewall rules and sockets.",
	  CONTAINERISATION,
	  "Defined in 2.6.24; network namespace support complete in 2.6.29.",
	  C | C3 | U },
	{ CK_CLONE_IO, "CLONE_IO", "io", CK_GROUP_SHARING, C | C3,
	  V(2, 6, 25), 0,
	  "Share the I/O context, so the I/O scheduler treats both as one.",
	  "Substrate-as-is. Affects how the I/O scheduler tracks competing requests.",
	  NULL, C | C3 },
	{ CK_CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND", "clear_sighand", CK_GROUP_SHARING, C3,
	  V(5, 5, 0), 0,
	  "Reset every handled signal to SIG_DFL in the child (clone3 only; not with CLONE_SIGHAND).",
	  NULL, NULL, C3 },
	{ CK_CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP", "into_cgroup", CK_GROUP_STRUCTURE, C3,
	  V(5, 7, 0), 0,
	  "Start the child in the cgroup v2 directory whose fd is in the cgroup field (clone3 only).",
	  "See Resource Control for the cgroup model. The privilege required to choose the destination cgroup is part of the cgroup-membership story.",
	  NULL, C3 },
};

#undef C
#undef C3
#undef U
#undef V

/* unshare(1)-style names for the namespace flags. */
static const struct {
	const char *alias;
	uint64_t value;
} ns_aliases[] = {
	{ "mnt", CK_CLONE_NEWNS },       { "mount", CK_CLONE_NEWNS },
	{ "uts", CK_CLONE_NEWUTS },      { "ipc", CK_CLONE_NEWIPC },
	{ "net", CK_CLONE_NEWNET },      { "pid", CK_CLONE_NEWPID },
	{ "user", CK_CLONE_NEWUSER },    { "cgroup", CK_CLONE_NEWCGROUP },
	{ "time", CK_CLONE_NEWTIME },
};

size_t ck_flag_count(void)
{
	return CK_ARRAY_SIZE(flag_table);
}

const struct ck_flag *ck_flag_at(size_t i)
{
	return i < CK_ARRAY_SIZE(flag_table) ? &flag_table[i] : NULL;
}

const struct ck_flag *ck_flag_by_value(uint64_t value)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(flag_table); i++)
		if (flag_table[i].value == value)
			return &flag_table[i];
	errno = ENOENT;
	return NULL;
}

/* Matches the first n bytes of s against the table; NULL when none. */
static const struct ck_flag *flag_by_name_n(const char *s, size_t n)
{
	if (n > 6 && ck__strn_ieq("CLONE_", s, 6)) {
		s += 6;
		n -= 6;
	}
	for (size_t i = 0; i < CK_ARRAY_SIZE(flag_table); i++)
		if (ck__strn_ieq(flag_table[i].short_name, s, n))
			return &flag_table[i];
	for (size_t i = 0; i < CK_ARRAY_SIZE(ns_aliases); i++)
		if (ck__strn_ieq(ns_aliases[i].alias, s, n))
			return ck_flag_by_value(ns_aliases[i].value);
	return NULL;
}

const struct ck_flag *ck_flag_by_name(const char *name)
{
	const struct ck_flag *f = name ? flag_by_name_n(name, strlen(name)) : NULL;
	if (!f)
		errno = ENOENT;
	return f;
}

uint64_t ck_flags_known(enum ck_syscall sc)
{
	uint64_t mask = 0;
	if ((unsigned)sc >= CK_SYSCALL__COUNT)
		return 0;
	for (size_t i = 0; i < CK_ARRAY_SIZE(flag_table); i++)
		if (flag_table[i].accepted_by & CK_SYSCALL_BIT(sc))
			mask |= flag_table[i].value;
	return mask;
}

static const char *const group_names[CK_GROUP__COUNT] = {
	"sharing", "namespace", "tracking", "structure", "tracing", "historical",
};

const char *ck_flag_group_name(enum ck_flag_group g)
{
	return (unsigned)g < CK_GROUP__COUNT ? group_names[g] : "?";
}

static const char *const syscall_names[CK_SYSCALL__COUNT] = {
	"clone", "clone3", "unshare",
};

const char *ck_syscall_name(enum ck_syscall sc)
{
	return (unsigned)sc < CK_SYSCALL__COUNT ? syscall_names[sc] : "?";
}

int ck_syscall_parse(const char *name, enum ck_syscall *out)
{
	for (unsigned i = 0; name && i < CK_SYSCALL__COUNT; i++) {
		if (strcmp(name, syscall_names[i]) == 0) {
			*out = (enum ck_syscall)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Signal names as strace prints them for x86, arm, aarch64, riscv, s390, ppc. */
static const char *const signal_names[32] = {
	NULL,      "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP",
	"SIGABRT", "SIGBUS",  "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV",
	"SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT", "SIGCHLD",
	"SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",   "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
	"SIGPWR",  "SIGSYS",
};

static const struct {
	const char *alias;
	unsigned sig;
} signal_aliases[] = {
	{ "SIGIOT", 6 }, { "SIGCLD", 17 }, { "SIGPOLL", 29 }, { "SIGUNUSED", 31 },
};

#define CK_SIGRTMIN 32u
#define CK_SIGRTMAX 64u

const char *ck_signal_name(unsigned sig, char *buf, size_t len)
{
	if (sig > 0 && sig < CK_SIGRTMIN)
		snprintf(buf, len, "%s", signal_names[sig]);
	else if (sig == CK_SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > CK_SIGRTMIN && sig <= CK_SIGRTMAX)
		snprintf(buf, len, "SIGRT_%u", sig - CK_SIGRTMIN);
	else
		snprintf(buf, len, "%u", sig);
	return buf;
}

/* Parses a decimal number of at most max from s[0..n). */
static int parse_small_decimal(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || n > 3)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A signal name of n bytes at s (with or without "SIG"); numbers when allow_number. */
static int signal_parse_n(const char *s, size_t n, bool allow_number, unsigned *sig)
{
	char up[24];
	unsigned k;

	if (allow_number && parse_small_decimal(s, n, 255, sig) == 0)
		return 0;
	if (n == 0 || n + 4 >= sizeof(up))
		return -EINVAL;
	size_t m = 0;
	if (!(n >= 3 && strncasecmp(s, "SIG", 3) == 0)) {
		up[m++] = 'S';
		up[m++] = 'I';
		up[m++] = 'G';
	}
	for (size_t i = 0; i < n; i++)
		up[m++] = (char)toupper((unsigned char)s[i]);
	up[m] = '\0';

	for (unsigned i = 1; i < CK_SIGRTMIN; i++) {
		if (strcmp(up, signal_names[i]) == 0) {
			*sig = i;
			return 0;
		}
	}
	for (size_t i = 0; i < CK_ARRAY_SIZE(signal_aliases); i++) {
		if (strcmp(up, signal_aliases[i].alias) == 0) {
			*sig = signal_aliases[i].sig;
			return 0;
		}
	}
	if (strcmp(up, "SIGRTMIN") == 0) {
		*sig = CK_SIGRTMIN;
		return 0;
	}
	if (strcmp(up, "SIGRTMAX") == 0) {
		*sig = CK_SIGRTMAX;
		return 0;
	}
	if (strncmp(up, "SIGRTMIN+", 9) == 0 &&
	    parse_small_decimal(up + 9, strlen(up + 9), CK_SIGRTMAX - CK_SIGRTMIN, &k) == 0) {
		*sig = CK_SIGRTMIN + k;
		return 0;
	}
	if (strncmp(up, "SIGRTMAX-", 9) == 0 &&
	    parse_small_decimal(up + 9, strlen(up + 9), CK_SIGRTMAX - CK_SIGRTMIN, &k) == 0) {
		*sig = CK_SIGRTMAX - k;
		return 0;
	}
	if (strncmp(up, "SIGRT_", 6) == 0 &&
	    parse_small_decimal(up + 6, strlen(up + 6), CK_SIGRTMAX - CK_SIGRTMIN, &k) == 0) {
		*sig = CK_SIGRTMIN + k;
		return 0;
	}
	return -EINVAL;
}

int ck_signal_parse(const char *text, unsigned *sig)
{
	if (!text)
		return -EINVAL;
	return signal_parse_n(text, strlen(text), true, sig);
}

/* Is flag f part of the names strace prints in the first (or only) pass for sc? */
static bool strace_names(const struct ck_flag *f, enum ck_syscall sc, int pass)
{
	if (!(f->strace_named & CK_SYSCALL_BIT(sc)))
		return false;
	if (sc != CK_SYSCALL_CLONE3)
		return pass == 0;
	/* strace walks its clone_flags table, then its clone3-only table */
	bool in_clone = f->strace_named & CK_SYSCALL_BIT(CK_SYSCALL_CLONE);
	return pass == 0 ? in_clone : !in_clone;
}

int ck_flags_format(uint64_t value, enum ck_syscall sc, char *buf, size_t len)
{
	size_t pos = 0;
	uint64_t rest, sig = 0;
	bool any = false;
	char sbuf[16];

	if ((unsigned)sc >= CK_SYSCALL__COUNT)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	if (sc == CK_SYSCALL_CLONE) {
		sig = value & CK_CSIGNAL;
		value &= ~CK_CSIGNAL;
	}
	rest = value;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < CK_ARRAY_SIZE(flag_table); i++) {
			const struct ck_flag *f = &flag_table[i];
			if (!(value & f->value) || !strace_names(f, sc, pass))
				continue;
			ck__buf_append(buf, len, &pos, "%s%s", any ? "|" : "", f->name);
			rest &= ~f->value;
			any = true;
		}
	}
	if (rest) {
		ck__buf_append(buf, len, &pos, "%s%#" PRIx64 "%s", any ? "|" : "", rest,
			      any ? "" : " /* CLONE_??? */");
		any = true;
	}
	if (sc == CK_SYSCALL_CLONE && (sig || !any))
		ck__buf_append(buf, len, &pos, "%s%s", any ? "|" : "",
			      ck_signal_name((unsigned)sig, sbuf, sizeof(sbuf)));
	else if (!any)
		ck__buf_append(buf, len, &pos, "0");
	return (int)pos;
}

static void parse_fail(struct ck_parse_error *err, const char *text, const char *tok,
		       size_t n, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void parse_fail(struct ck_parse_error *err, const char *text, const char *tok,
		       size_t n, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	err->offset = (size_t)(tok - text);
	snprintf(err->token, sizeof(err->token), "%.*s", (int)n, tok);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* The closest known spelling to an unknown token, for "did you mean". */
static const char *suggest(const char *tok, size_t n)
{
	char word[48];
	const char *best = NULL;
	unsigned best_d = 3;

	if (n >= sizeof(word))
		return NULL;
	memcpy(word, tok, n);
	word[n] = '\0';
	const char *w = word;
	if (n > 6 && strncasecmp(w, "CLONE_", 6) == 0)
		w += 6;
	for (size_t i = 0; i < CK_ARRAY_SIZE(flag_table); i++) {
		unsigned d = ck__edit_distance(w, flag_table[i].short_name, 2);
		if (d < best_d) {
			best_d = d;
			best = flag_table[i].short_name;
		}
	}
	return best;
}

/*
 * The next token of a flag text from *p: its start and length in *tok and *n
 * (0 at the end), skipping separators and strace's comments. -EINVAL with err
 * filled for an unterminated comment.
 */
static int next_token(const char *text, const char **p, const char **tok, size_t *n,
		      struct ck_parse_error *err)
{
	const char *s = *p;

	for (;;) {
		while (*s == '|' || *s == ',' || isspace((unsigned char)*s))
			s++;
		if (!(s[0] == '/' && s[1] == '*'))
			break;
		const char *end = strstr(s + 2, "*/");
		if (!end) {
			parse_fail(err, text, s, strlen(s), "unterminated comment");
			return -EINVAL;
		}
		s = end + 2;
	}
	*tok = s;
	while (*s && *s != '|' && *s != ',' && !isspace((unsigned char)*s) && !(s[0] == '/' && s[1] == '*'))
		s++;
	*n = (size_t)(s - *tok);
	*p = s;
	return 0;
}

/* A signal name token (not a number) for legacy clone's exit-signal byte. */
static bool signal_token(const char *tok, size_t n, unsigned *sig)
{
	return n > 3 && strncasecmp(tok, "SIG", 3) == 0 && signal_parse_n(tok, n, false, sig) == 0;
}

/*
 * The first signal named in text, for clone: a number whose low byte (the
 * exit signal) differs from it is refused wherever either one stands.
 */
static bool named_signal(const char *text, const char **at, size_t *len, unsigned *sig)
{
	const char *p = text, *tok;
	size_t n;

	while (next_token(text, &p, &tok, &n, NULL) == 0 && n > 0) {
		if (!isdigit((unsigned char)tok[0]) && !flag_by_name_n(tok, n) && signal_token(tok, n, sig)) {
			*at = tok;
			*len = n;
			return true;
		}
	}
	return false;
}

int ck_flags_parse(const char *text, enum ck_syscall sc, uint64_t *value,
		   struct ck_parse_error *err)
{
	const char *p = text, *sig_tok = NULL, *tok;
	uint64_t v = 0;
	unsigned named = 0;
	size_t sig_n = 0, n;
	bool any = false;

	if (!text || (unsigned)sc >= CK_SYSCALL__COUNT) {
		if (err && text)
			parse_fail(err, text, text, 0, "unknown syscall");
		return -EINVAL;
	}
	if (sc == CK_SYSCALL_CLONE && !named_signal(text, &sig_tok, &sig_n, &named))
		sig_tok = NULL;
	for (;;) {
		if (next_token(text, &p, &tok, &n, err) < 0)
			return -EINVAL;
		if (n == 0)
			break;
		uint64_t num;
		unsigned sig;
		const struct ck_flag *f;

		any = true;
		if (isdigit((unsigned char)tok[0])) {
			int r = ck__parse_u64n(tok, n, 0, UINT64_MAX, &num);
			if (r == -ERANGE) {
				parse_fail(err, text, tok, n, "'%.*s' does not fit in 64 bits", (int)n, tok);
				return -EINVAL;
			}
			if (r < 0) {
				parse_fail(err, text, tok, n, "'%.*s' is not a hex or decimal number",
					   (int)n, tok);
				return -EINVAL;
			}
			if (sig_tok && (num & CK_CSIGNAL) && (num & CK_CSIGNAL) != named) {
				parse_fail(err, text, tok, n,
					   "'%.*s' sets the exit signal byte to %" PRIu64 ", but '%.*s' names exit signal %u: write one exit signal",
					   (int)n, tok, num & CK_CSIGNAL, (int)sig_n, sig_tok, named);
				return -EINVAL;
			}
			v |= num;
			continue;
		}
		f = flag_by_name_n(tok, n);
		if (f) {
			if (sc == CK_SYSCALL_CLONE && (f->value & CK_CSIGNAL)) {
				parse_fail(err, text, tok, n,
					   "%s cannot be passed to clone: bit %#" PRIx64
					   " is the exit signal there; use clone3",
					   f->name, f->value);
				return -EINVAL;
			}
			v |= f->value;
			continue;
		}
		if (signal_token(tok, n, &sig)) {
			if (sc != CK_SYSCALL_CLONE) {
				parse_fail(err, text, tok, n,
					   sc == CK_SYSCALL_CLONE3
						   ? "'%.*s': clone3 takes the exit signal in its own field (--exit-signal), not in flags"
						   : "'%.*s': unshare takes no signal",
					   (int)n, tok);
				return -EINVAL;
			}
			if (tok != sig_tok) {
				parse_fail(err, text, tok, n, "'%.*s': a second exit signal ('%.*s' names one)",
					   (int)n, tok, (int)sig_n, sig_tok);
				return -EINVAL;
			}
			v |= sig;
			continue;
		}
		const char *hint = suggest(tok, n);
		if (hint)
			parse_fail(err, text, tok, n, "unknown flag '%.*s' (did you mean '%s'?)",
				   (int)n, tok, hint);
		else
			parse_fail(err, text, tok, n, "unknown flag '%.*s'", (int)n, tok);
		return -EINVAL;
	}
	if (!any) {
		parse_fail(err, text, text, 0, "no flags given (write 0 for none)");
		return -EINVAL;
	}
	*value = v;
	return 0;
}

/*
 * Reads MAJOR.MINOR[.PATCH] at *p, advancing it past the numbers. A fourth
 * number is read only for the 2.6 era (dropped, as LINUX_VERSION_CODE did).
 */
static int read_release(const char **p, uint32_t *version)
{
	static const unsigned long max[4] = { 255, 255, 65535, ULONG_MAX };
	unsigned long part[4] = { 0, 0, 0, 0 };
	const char *s = *p;
	int n = 0;

	for (;;) {
		char *end;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		errno = 0;
		part[n] = strtoul(s, &end, 10);
		if (errno || part[n] > max[n])
			return -EINVAL;
		s = end;
		n++;
		if (*s != '.' || n == 4 || (n == 3 && part[0] > 2))
			break;
		s++;
	}
	if (n < 2)
		return -EINVAL;
	*p = s;
	*version = CK_KERNEL_VERSION(part[0], part[1], part[2]);
	return 0;
}

int ck_kernel_version_parse(const char *text, uint32_t *version)
{
	uint32_t v;

	if (!text || !version || read_release(&text, &v) < 0)
		return -EINVAL;
	/* a suffix such as "-fc-v669", "-rc3", "+" or "~bpo12" may follow, nothing else */
	if (*text != '\0' && !strchr("-+_~", *text))
		return -EINVAL;
	*version = v;
	return 0;
}

const char *ck_kernel_version_format(uint32_t version, char *buf, size_t len)
{
	unsigned a = CK_KERNEL_VERSION_MAJOR(version), b = CK_KERNEL_VERSION_MINOR(version);
	unsigned c = CK_KERNEL_VERSION_PATCH(version);
	if (c)
		snprintf(buf, len, "%u.%u.%u", a, b, c);
	else
		snprintf(buf, len, "%u.%u", a, b);
	return buf;
}

static bool same_branch(uint32_t a, uint32_t b)
{
	return (a >> 16) == (b >> 16);
}

/* The last whitespace-separated field of text that parses as a release, or 0. */
static uint32_t last_release_field(const char *text)
{
	uint32_t found = 0;
	for (const char *p = text; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		const char *field = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		char word[64];
		uint32_t v;
		if (p > field && (size_t)(p - field) < sizeof(word)) {
			snprintf(word, sizeof(word), "%.*s", (int)(p - field), field);
			if (ck_kernel_version_parse(word, &v) == 0)
				found = v;
		}
	}
	return found;
}

/* The highest release of base's branch named anywhere in text ("Debian 6.1.192-3"), or 0. */
static uint32_t highest_release_in(const char *text, uint32_t base)
{
	uint32_t best = 0;
	for (const char *p = text; *p; p++) {
		uint32_t v;
		const char *q = p;
		/* a release starts at a digit that does not continue a number or word */
		if (!isdigit((unsigned char)*p) || (p > text && (isalnum((unsigned char)p[-1]) ||
								 p[-1] == '.')))
			continue;
		if (read_release(&q, &v) == 0 && same_branch(v, base) && v > best &&
		    (*q == '\0' || !isalnum((unsigned char)*q)))
			best = v;
	}
	return best;
}

int ck_kernel_version_upstream(const char *release, const char *version, const char *signature,
			       uint32_t *out)
{
	uint32_t base, v;

	if (!out || ck_kernel_version_parse(release, &base) < 0)
		return -EINVAL;
	*out = base;
	if (signature && (v = last_release_field(signature)) && same_branch(v, base)) {
		*out = v;
		return 0;
	}
	if (version && (v = highest_release_in(version, base)) > base)
		*out = v;
	return 0;
}

uint32_t ck_kernel_version_running(void)
{
	struct utsname u;
	char signature[256];
	uint32_t v;

	if (uname(&u) < 0)
		return 0;
	bool have_sig = ck__read_small_file("/proc/version_signature", signature,
					   sizeof(signature)) >= 0;
	if (ck_kernel_version_upstream(u.release, u.version, have_sig ? signature : NULL, &v) < 0) {
		errno = EINVAL;
		return 0;
	}
	return v;
}
