/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit seccomp: named seccomp policies for process creation, compiled
 * with libseccomp for every ABI the host can execute, loadable in-process or
 * by ck_spawn just before execve, and exportable as raw BPF (bubblewrap's
 * --seccomp), libseccomp's PFC text, or an OCI runtime-spec linux.seccomp
 * object (crun, runc).
 */
#ifndef CLONEKIT_SECCOMP_H
#define CLONEKIT_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include <clonekit/abi.h>
#include <clonekit/common.h>
#include <clonekit/spawn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a matching call gets. */
enum ck_seccomp_action {
	CK_SECCOMP_ERRNO,  /* fails with the policy's errno */
	CK_SECCOMP_KILL,   /* the whole process is killed with SIGSYS */
	CK_SECCOMP_LOG,    /* allowed, and logged by the kernel's audit */
	CK_SECCOMP_TRACE,  /* a ptrace tracer is told (PTRACE_EVENT_SECCOMP); ENOSYS without one */
	CK_SECCOMP_NOTIFY, /* the call waits for the listener's answer (seccomp user notification,
			      Linux 5.0+); ENOSYS when no listener is left */
	/* seccomp from outside (sbx-res): what OCI profiles also say */
	CK_SECCOMP_ALLOW,       /* the call runs (an allow-list profile's rules) */
	CK_SECCOMP_TRAP,        /* the thread gets SIGSYS, which it may handle */
	CK_SECCOMP_KILL_THREAD, /* the calling thread is killed (OCI's SCMP_ACT_KILL) */
};

/*
 * A policy: a named one, or a custom set of denied flags. Policies are
 * compiled for x86_64 hosts into x86_64, i386 and x32, and for other hosts
 * into their native ABI plus the compat ABIs the table in abi.h gives them.
 * A call from any other architecture kills the process (there is no rule to
 * judge it by).
 */
struct ck_seccomp_policy;

/*
 * A named policy:
 *   "deny-namespaces"  clone and unshare with any CLONE_NEW* flag, and setns,
 *                      fail with EPERM; clone3 fails with ENOSYS so libc falls
 *                      back to clone, whose flags the filter can see.
 *   "deny-userns"      the same for CLONE_NEWUSER alone (setns included).
 *   "no-child-process" fork and vfork fail with EPERM, and so does clone
 *                      without CLONE_THREAD; threads are still made (clone3
 *                      fails with ENOSYS so threads fall back to clone).
 * NULL with errno ENOENT for an unknown name.
 */
CK_API struct ck_seccomp_policy *ck_seccomp_policy_named(const char *name);
/*
 * A custom policy refusing clone/unshare calls with any of flags (low 32
 * bits; CLONE_NEW* flags also refuse setns), clone3 answered with ENOSYS.
 * err is the errno with CK_SECCOMP_ERRNO and the event message with
 * CK_SECCOMP_TRACE. NULL with errno EINVAL when flags has a bit above 31 or
 * none of bits 7-31 (bits 0-6 are only clone's exit signal, which no rule
 * refuses), for an unknown action, or for err outside 1-4095 with
 * CK_SECCOMP_ERRNO.
 */
CK_API struct ck_seccomp_policy *ck_seccomp_policy_deny(uint64_t flags,
							enum ck_seccomp_action action, int err);
CK_API void ck_seccomp_policy_free(struct ck_seccomp_policy *policy);

/*
 * seccomp from outside (sbx-res): an OCI runtime-spec linux.seccomp object
 * or a Docker seccomp profile (the JSON document in path, or read from fd
 * when path is NULL; the fd is read to its end and not closed), compiled
 * with libseccomp: defaultAction (with defaultErrnoRet), architectures (or
 * Docker's archMap entry for this host), and syscalls with names, action,
 * errnoRet (default EPERM) and args {index, value, valueTwo, op}; args on
 * the same index make one rule each (either matches), as runc does. Names
 * this libseccomp does not know are left out, as runtimes do. Docker's
 * includes/excludes: an entry that needs capabilities ("caps") is left out
 * (clonekit grants none it does not know), one for other architectures or
 * a newer kernel ("minKernel") too. NULL with errno:
 *   EINVAL  not JSON, or a field of the wrong type or value (an unknown
 *           action, op or architecture, an index above 5, more than 6 args);
 *           *why (if not NULL) gets a sentence naming it;
 *   ENOENT, EACCES, ...  opening or reading the file.
 */
CK_API struct ck_seccomp_policy *ck_seccomp_policy_from_oci(const char *path, int fd, char *why,
							   size_t why_len);

/* The named policies, for listings: NULL past the end. */
CK_API const char *ck_seccomp_policy_name_at(size_t i);
/* The policy's name ("custom" for ck_seccomp_policy_deny) and a sentence on what it denies. */
CK_API const char *ck_seccomp_policy_name(const struct ck_seccomp_policy *policy);
CK_API const char *ck_seccomp_policy_summary(const struct ck_seccomp_policy *policy);

/*
 * "errno", "kill", "log", "trace", "notify", "allow", "trap", "kill-thread";
 * parse returns -EINVAL for anything else.
 */
CK_API const char *ck_seccomp_action_name(enum ck_seccomp_action action);
CK_API int ck_seccomp_action_parse(const char *name, enum ck_seccomp_action *out);

/*
 * The compiled filter as the kernel takes it (struct sock_filter[]): *buf is
 * malloc'd, *len in bytes. 0 or -errno.
 */
CK_API int ck_seccomp_export_bpf(const struct ck_seccomp_policy *policy, void **buf, size_t *len);
/* libseccomp's pseudo filter code, written to fd. 0 or -errno. */
CK_API int ck_seccomp_export_pfc(const struct ck_seccomp_policy *policy, int fd);
/*
 * An OCI runtime-spec linux.seccomp object (defaultAction, architectures,
 * syscalls with names, action, errnoRet and args), written to fd as one JSON
 * document. 0 or -errno.
 */
CK_API int ck_seccomp_export_oci(const struct ck_seccomp_policy *policy, int fd);
/*
 * The ABIs policies are compiled for on this host, native first: up to max
 * of them into out. Returns how many there are.
 */
CK_API size_t ck_seccomp_arches(enum ck_arch *out, size_t max);
/* How many BPF instructions the filter has for one architecture (0 if not in it). */
CK_API int ck_seccomp_instruction_count(const struct ck_seccomp_policy *policy, enum ck_arch arch);

/*
 * Loads the filter into the calling thread, setting no_new_privs first. 0 or
 * -errno; -EINVAL for a policy with CK_SECCOMP_NOTIFY, which needs a
 * listener that someone answers (ck_spawn_attr_set_seccomp_listener).
 */
CK_API int ck_seccomp_load(const struct ck_seccomp_policy *policy);
/*
 * Makes ck_spawn load the filter in the child after every namespace step,
 * just before execve, so the setup is not blocked by it. The filter is
 * compiled now; the child only makes two system calls. 0 or -errno.
 */
CK_API int ck_spawn_attr_set_seccomp(struct ck_spawn_attr *attr,
				     const struct ck_seccomp_policy *policy);

/* Options of a listener filter. Extensible: set size to sizeof(struct ck_seccomp_listener_opts). */
struct ck_seccomp_listener_opts {
	size_t size;
	unsigned flags;   /* CK_SECCOMP_LISTENER_* */
};
/*
 * Once the listener has received a notification, only a fatal signal
 * interrupts the waiting call (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux
 * 5.19+): a signal can neither restart it nor stop it for a tracer.
 */
#define CK_SECCOMP_LISTENER_WAIT_KILLABLE (1u << 0)

/*
 * Makes ck_spawn load policy in the child as its last filter — after the
 * one of ck_spawn_attr_set_seccomp — with SECCOMP_FILTER_FLAG_NEW_LISTENER,
 * hand the listener to the parent (SCM_RIGHTS) and hold before execve: the
 * program never runs before the caller has the listener
 * (ck_spawn_take_listener) and has called ck_spawn_release. Until execve
 * the child makes only sendmsg, close, recvmsg and execve under the filter
 * (and, after a failed execve, what ck_spawn needs to explain it); a policy
 * that notifies them is answered by the caller after release, never before.
 * NULL removes it; opts may be NULL.
 *   -EINVAL  unknown opts flags, or a size that cannot hold them;
 *   any errno of ck_seccomp_export_bpf.
 */
CK_API int ck_spawn_attr_set_seccomp_listener(struct ck_spawn_attr *attr,
					      const struct ck_seccomp_policy *policy,
					      const struct ck_seccomp_listener_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
