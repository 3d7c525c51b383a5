/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit flags: every CLONE_* flag the kernel defines, as one table, and
 * the codec that parses and prints flag sets the way strace prints them.
 */
#ifndef CLONEKIT_FLAGS_H
#define CLONEKIT_FLAGS_H

#include <stddef.h>
#include <stdint.h>

#include <clonekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The values, spelled once; lib/flags.c describes each of them. */
#define CK_CLONE_NEWTIME        UINT64_C(0x00000080)
#define CK_CLONE_VM             UINT64_C(0x00000100)
#define CK_CLONE_FS             UINT64_C(0x00000200)
#define CK_CLONE_FILES          UINT64_C(0x00000400)
#define CK_CLONE_SIGHAND        UINT64_C(0x00000800)
#define CK_CLONE_PIDFD          UINT64_C(0x00001000)
#define CK_CLONE_PTRACE         UINT64_C(0x00002000)
#define CK_CLONE_VFORK          UINT64_C(0x00004000)
#define CK_CLONE_PARENT         UINT64_C(0x00008000)
#define CK_CLONE_THREAD         UINT64_C(0x00010000)
#define CK_CLONE_NEWNS          UINT64_C(0x00020000)
#define CK_CLONE_SYSVSEM        UINT64_C(0x00040000)
#define CK_CLONE_SETTLS         UINT64_C(0x00080000)
#define CK_CLONE_PARENT_SETTID  UINT64_C(0x00100000)
#define CK_CLONE_CHILD_CLEARTID UINT64_C(0x00200000)
#define CK_CLONE_DETACHED       UINT64_C(0x00400000)
#define CK_CLONE_UNTRACED       UINT64_C(0x00800000)
#define CK_CLONE_CHILD_SETTID   UINT64_C(0x01000000)
#define CK_CLONE_NEWCGROUP      UINT64_C(0x02000000)
#define CK_CLONE_NEWUTS         UINT64_C(0x04000000)
#define CK_CLONE_NEWIPC         UINT64_C(0x08000000)
#define CK_CLONE_NEWUSER        UINT64_C(0x10000000)
#define CK_CLONE_NEWPID         UINT64_C(0x20000000)
#define CK_CLONE_NEWNET         UINT64_C(0x40000000)
#define CK_CLONE_IO             UINT64_C(0x80000000)
#define CK_CLONE_CLEAR_SIGHAND  UINT64_C(0x100000000)
#define CK_CLONE_INTO_CGROUP    UINT64_C(0x200000000)

/* Low byte of legacy clone() flags: the signal sent to the parent on exit. */
#define CK_CSIGNAL              UINT64_C(0x000000ff)

/* Every flag that creates a namespace. */
#define CK_CLONE_NEWNS_ALL                                                  \
	(CK_CLONE_NEWNS | CK_CLONE_NEWUTS | CK_CLONE_NEWIPC | CK_CLONE_NEWUSER | \
	 CK_CLONE_NEWPID | CK_CLONE_NEWNET | CK_CLONE_NEWCGROUP |               \
	 CK_CLONE_NEWTIME)

/* The system calls whose flag words clonekit knows. */
enum ck_syscall {
	CK_SYSCALL_CLONE = 0,   /* legacy clone(): 32 flag bits, exit signal in the low byte */
	CK_SYSCALL_CLONE3 = 1,  /* clone3(): 64 flag bits, exit signal in its own field */
	CK_SYSCALL_UNSHARE = 2, /* unshare(): flags only */
	CK_SYSCALL__COUNT
};
#define CK_SYSCALL_BIT(s) (1u << (s))

enum ck_flag_group {
	CK_GROUP_SHARING,    /* what parent and child share */
	CK_GROUP_NAMESPACE,  /* new namespaces */
	CK_GROUP_TRACKING,   /* pidfd and TID write-backs, TLS */
	CK_GROUP_STRUCTURE,  /* parent/child relationship, cgroup placement */
	CK_GROUP_TRACING,    /* ptrace inheritance */
	CK_GROUP_HISTORICAL, /* defined but ignored */
	CK_GROUP__COUNT
};

/*
 * A kernel version as CK_KERNEL_VERSION(major, minor, patch): 8 bits of
 * major, 8 of minor, 16 of patch level, so that stable releases such as
 * 4.19.325 keep their number and versions order as plain integers. (The
 * kernel's own KERNEL_VERSION() clamps the patch level at 255; this does not.)
 * A patch level above 65535 is clamped there; no release comes near it.
 */
#define CK_KERNEL_VERSION(a, b, c)                                       \
	((((uint32_t)(a) & 0xffu) << 24) | (((uint32_t)(b) & 0xffu) << 16) | \
	 ((uint64_t)(c) > 0xffffu ? 0xffffu : (uint32_t)(c)))
#define CK_KERNEL_VERSION_MAJOR(v) ((unsigned)((uint32_t)(v) >> 24))
#define CK_KERNEL_VERSION_MINOR(v) ((unsigned)(((uint32_t)(v) >> 16) & 0xffu))
#define CK_KERNEL_VERSION_PATCH(v) ((unsigned)((uint32_t)(v) & 0xffffu))

/*
 * One flag. Reached only through pointers returned by the functions below;
 * fields are only ever appended, so the layout of existing fields is stable.
 */
struct ck_flag {
	uint64_t value;
	const char *name;        /* "CLONE_VM" */
	const char *short_name;  /* "vm" */
	enum ck_flag_group group;
	unsigned accepted_by;    /* CK_SYSCALL_BIT() of each syscall that accepts it */
	uint32_t since;          /* first kernel with the flag's current meaning */
	uint32_t unshare_since;  /* first kernel whose unshare() accepts it, 0 if none */
	const char *purpose;     /* one line */
	const char *peios;       /* the Peios note (seed 002), NULL where it has none */
	const char *history;     /* earlier meanings of the bit, caveats; NULL if none */
	unsigned strace_named;   /* CK_SYSCALL_BIT() of each syscall where strace prints its name */
};

CK_API size_t ck_flag_count(void);
/* The i-th flag in ascending bit order, NULL past the end. */
CK_API const struct ck_flag *ck_flag_at(size_t i);
/* By exact bit value; NULL (errno ENOENT) for a bit no flag uses. */
CK_API const struct ck_flag *ck_flag_by_value(uint64_t value);
/*
 * By name, case-insensitive: "CLONE_NEWUSER", "NEWUSER", "newuser", and the
 * namespace aliases of unshare(1) ("mnt", "uts", "ipc", "net", "pid",
 * "user", "cgroup", "time"). NULL (errno ENOENT) when unknown.
 */
CK_API const struct ck_flag *ck_flag_by_name(const char *name);
/* Mask of every flag the kernel defines for this syscall's flag word. */
CK_API uint64_t ck_flags_known(enum ck_syscall sc);

CK_API const char *ck_flag_group_name(enum ck_flag_group g);   /* "sharing" ... */
CK_API const char *ck_syscall_name(enum ck_syscall sc);         /* "clone" ... */
/* Parses "clone", "clone3", "unshare"; -EINVAL when unknown. */
CK_API int ck_syscall_parse(const char *name, enum ck_syscall *out);

/*
 * Signals as strace names them on this host's numbering: "SIGCHLD",
 * "SIGRTMIN" (32), "SIGRT_1" .. "SIGRT_32", and the decimal number above 64.
 * Writes into buf (at least 16 bytes); returns buf.
 */
CK_API const char *ck_signal_name(unsigned sig, char *buf, size_t len);
/*
 * Parses a signal: "SIGCHLD", "sigchld", "SIGCLD", "SIGRTMIN+3",
 * "SIGRTMAX-1", "SIGRT_5", or a decimal number 0..255. -EINVAL when unknown.
 */
CK_API int ck_signal_parse(const char *text, unsigned *sig);

/*
 * Formats a flag word exactly as strace prints the flags argument of sc:
 *   clone:   names in ascending bit order, then unknown bits as one hex
 *            number, then the exit signal (the low byte) by name;
 *            0x1200011 -> "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD".
 *   clone3:  the flags field (no signal); strace lists CLONE_NEWTIME,
 *            CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP after the others.
 *   unshare: the flags argument.
 * Unknown bits alone print as "0x400000 /\* CLONE_??? *\/", as strace does.
 * Returns the length the full text needs (like snprintf) or -EINVAL.
 */
CK_API int ck_flags_format(uint64_t value, enum ck_syscall sc, char *buf, size_t len);

/* Where parsing failed: the offending token and why. */
struct ck_parse_error {
	size_t offset;        /* byte offset of the token in the input */
	char token[64];       /* the token, truncated */
	char message[192];    /* "unknown flag 'newusr' (did you mean 'newuser'?)" */
};

/*
 * Parses what ck_flags_format prints and what people type: names with or
 * without CLONE_, short names, hex and decimal numbers, separated by '|',
 * ',' or white space; strace's "/\* CLONE_??? *\/" comments are skipped. The
 * value is the bitwise OR of every token. For clone, a signal name sets the
 * low byte (the exit signal): one name at most, and a number whose low byte
 * is neither 0 nor that signal is refused wherever either stands
 * ("SIGCHLD|2" and "2|SIGCHLD" alike; "SIGCHLD|0x1200011" is accepted).
 * Every value v satisfies parse(format(v)) == v. Returns 0, or -EINVAL with
 * *err filled (err may be NULL).
 */
CK_API int ck_flags_parse(const char *text, enum ck_syscall sc, uint64_t *value,
			  struct ck_parse_error *err);

/*
 * Parses a kernel release as uname -r prints it: MAJOR.MINOR[.PATCH], then
 * an optional suffix starting with '-', '+', '_' or '~' ("6.18.44-fc-v669",
 * "6.8.9-300.fc40.x86_64", "6.18.0+", "5.15.0-91-generic"). A release
 * candidate counts as its release ("6.19-rc3" is 6.19: it has the merge
 * window's changes). The 2.6 era's four-part stable releases ("2.6.32.71")
 * read as their first three numbers, as the kernel's LINUX_VERSION_CODE did.
 * Major and minor up to 255, patch level up to 65535. -EINVAL otherwise.
 */
CK_API int ck_kernel_version_parse(const char *text, uint32_t *version);
/* "6.18" (patch level 0) or "4.19.325" into buf; returns buf. */
CK_API const char *ck_kernel_version_format(uint32_t version, char *buf, size_t len);
/*
 * The upstream release a running kernel carries, from what it reports.
 * Distributions number their kernels their own way, and their stable-branch
 * fixes are the upstream ones, so the upstream patch level is what the
 * validator needs:
 *   release    uname -r: the base ("6.1.0-57-amd64" is 6.1.0); required.
 *   signature  /proc/version_signature (Ubuntu), or NULL: its last field is
 *              the upstream release ("Ubuntu 5.15.0-91.101-generic 5.15.131"
 *              is 5.15.131).
 *   version    uname -v, or NULL: otherwise the highest release with the
 *              same major and minor as the base named in it (Debian:
 *              "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-01-10)" is
 *              6.1.192).
 * Where neither names a release of the same branch, the base stands (Fedora
 * and Arch use the upstream patch level in uname -r: "6.8.9-300.fc40.x86_64"
 * is 6.8.9). A distribution that backports by hand (RHEL's 4.18.0-513.el8)
 * stays at its base: its own changes are not known here. 0, or -EINVAL when
 * release does not parse.
 */
CK_API int ck_kernel_version_upstream(const char *release, const char *version,
				      const char *signature, uint32_t *out);
/*
 * The running kernel's upstream release: ck_kernel_version_upstream() of
 * uname -r, uname -v and /proc/version_signature (where it exists). 0 with
 * errno set on failure.
 */
CK_API uint32_t ck_kernel_version_running(void);

#ifdef __cplusplus
}
#endif

#endif
