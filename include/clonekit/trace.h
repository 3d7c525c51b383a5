/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit trace: a ptrace tracer for one process tree. It starts a command
 * or attaches to a running process (every thread of it), follows each
 * descendant, and delivers every clone, clone3, fork, vfork, unshare and
 * setns call as a struct ck_event (source CK_SOURCE_TRACE) with its result.
 *
 * It stops the traced tasks at every system call and looks at the number,
 * so that nothing of the tracer stays in them: killed or stopped, it leaves
 * them running as they would untraced. With CK_TRACE_SECCOMP a command it
 * starts (through ck_spawn's launcher, with an attribute set) gets a seccomp
 * filter just before execve that makes only those six calls stop the tracer
 * (SECCOMP_RET_TRACE, on every ABI the host runs: x86_64, i386 and x32 on an
 * x86_64 host), as strace --seccomp-bpf does: faster, but a filter cannot be
 * removed and without a tracer it fails those calls with ENOSYS, so these
 * tasks end with the tracer (SIGKILL). A child made with CLONE_UNTRACED is
 * followed too: the tracer takes the flag out of the call and puts back, in
 * caller and child, what it changed (x86_64 and i386).
 *
 * One thread owns a tracer: the one that started or attached it makes every
 * ptrace request, so ck_trace_run() and ck_trace_free() must run on it.
 * ck_trace_run() waits with waitpid(-1, __WALL): the calling process should
 * have no other children it waits for itself, as their ends would be
 * consumed.
 */
#ifndef CLONEKIT_TRACE_H
#define CLONEKIT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <clonekit/common.h>
#include <clonekit/event.h>
#include <clonekit/spawn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A traced process tree. */
struct ck_tracer;

/*
 * Stop at every system call (PTRACE_SYSCALL): the default, named for
 * callers that say so. Nothing of the tracer stays in the processes once it
 * has detached or died.
 */
#define CK_TRACE_NO_SECCOMP (1u << 0)
/*
 * Give a command ck_trace_spawn starts the tracer's seccomp filter, so that
 * it stops only at the six calls: faster where a workload makes many other
 * system calls. The filter cannot be removed and, untraced, fails those
 * calls with ENOSYS, so the traced tasks cannot outlive the tracer: they are
 * killed (SIGKILL) when the tracer thread exits (PTRACE_O_EXITKILL), and by
 * ck_trace_stop and ck_trace_free. It also needs no_new_privs: setuid
 * programs run without their privileges.
 */
#define CK_TRACE_SECCOMP (1u << 1)

struct ck_trace_opts {
	size_t size;      /* sizeof(struct ck_trace_opts) */
	unsigned flags;   /* CK_TRACE_* */
};

/*
 * Starts argv[0] through ck_spawn's launcher with attr (NULL: ck_spawn's
 * defaults) — new namespaces, id maps, fds, a cgroup, a seccomp policy and
 * the rest of the attribute set apply as for ck_spawn — and envp (NULL: the
 * caller's environ). The child is held before execve, seized
 * (PTRACE_SEIZE) and released, so it is traced from the first instruction
 * of the program. As with ck_spawn, it inherits the caller's signal mask and
 * ignored signals, and only fds 0, 1 and 2 unless attr maps or keeps
 * others. The command is stopped at every system call, or with
 * CK_TRACE_SECCOMP gets the tracer's filter just before execve, with
 * no_new_privs as every filter the launcher loads.
 * Returns 0 and *tracer once the command has executed, or a negative errno
 * with *err (if not NULL) naming the step and why, the child killed and
 * reaped:
 *   -EINVAL  no argv[0], options this library does not know or that
 *            exclude each other, CK_TRACE_SECCOMP with a seccomp policy in
 *            attr (whose refusals would come before the tracer's stop),
 *            attributes that are inconsistent or that hold the child
 *            themselves (a hold, a seccomp listener) or share CK_CLONE_VM;
 *   -EOPNOTSUPP  CK_TRACE_SECCOMP on an architecture where the tracer cannot
 *            change a call (all but x86_64 and i386);
 *   -EPERM   ptrace is not allowed here (step "ptrace seize");
 *   -ENOENT, -EACCES, ...  execve's errno (step "execve");
 *   the errno of any other step of ck_spawn, or of the tracer's set-up
 *   (step "start the tracer").
 * opts may be NULL.
 */
CK_API int ck_trace_spawn(struct ck_tracer **tracer, char *const argv[], char *const envp[],
			  const struct ck_spawn_attr *attr, const struct ck_trace_opts *opts,
			  struct ck_spawn_error *err);

/*
 * Attaches to the running process pid, every thread it has (read from
 * /proc/PID/task until no new one appears), and from then on to every child
 * they make. Returns 0 and *tracer, or -ESRCH (no such process), -EPERM
 * (not allowed, or already traced), -EINVAL (NULL tracer, pid below 1, bad
 * options, CK_TRACE_SECCOMP: a running process cannot be given the filter),
 * -ENOMEM, or the errno of starting the tracer's sentinel (-ENOSYS without
 * pidfds). opts may be NULL.
 *
 * Every tracer keeps one more child of the caller, a sentinel held before
 * execve that never runs a program: ck_trace_stop() kills it to wake the
 * waitpid() of ck_trace_run(), ck_trace_free() kills and reaps it.
 */
CK_API int ck_trace_attach(struct ck_tracer **tracer, pid_t pid, const struct ck_trace_opts *opts);

/*
 * Handles every stop of every traced task, calling cb once per
 * process-creation call when its result is known (or, for a call whose
 * caller died or was detached first, with has_result false). cb runs
 * while the caller is already resumed; it may call ck_trace_stop(). A call
 * that the kernel restarts (ERESTARTNOINTR: a signal arrived during fork)
 * is reported once, when it completes.
 * Returns 0 once no traced task is left, -ECANCELED when ck_trace_stop()
 * ended it (every task detached and running), or another negative errno
 * (-EINVAL for a tracer already run to its end).
 */
CK_API int ck_trace_run(struct ck_tracer *tracer,
			void (*cb)(const struct ck_event *e, void *data), void *data);

/*
 * Asks ck_trace_run() to detach from every task and return -ECANCELED:
 * running tasks are interrupted (PTRACE_INTERRUPT) and each one is detached
 * at its next stop, a signal it was about to receive passed on, so nothing
 * is left stopped by the tracer. Async-signal-safe and callable from any
 * thread (a signal handler, cb). With CK_TRACE_SECCOMP each task is killed
 * (SIGKILL) at that stop instead, and ck_trace_run() returns once all have
 * ended: a filter cannot be removed, and untraced their clone, clone3,
 * fork, vfork, unshare and setns calls would fail with ENOSYS. A command
 * ck_trace_spawn() started and that has not ended while traced is still the
 * caller's child: reap it with waitpid() on ck_trace_pid().
 */
CK_API void ck_trace_stop(struct ck_tracer *tracer);

/*
 * How the command (or the attached process) ended, as waitpid() gives it:
 * 0 and *status, or -ECHILD when it has not ended while traced.
 */
CK_API int ck_trace_status(const struct ck_tracer *tracer, int *status);

/* The command's PID, or the attached one; -1 for NULL. */
CK_API pid_t ck_trace_pid(const struct ck_tracer *tracer);

/* Whether the traced tasks carry the seccomp filter (a command started with CK_TRACE_SECCOMP). */
CK_API bool ck_trace_uses_seccomp(const struct ck_tracer *tracer);

/* Detaches from (with CK_TRACE_SECCOMP: kills) whatever is still traced, as ck_trace_stop, and frees; NULL is accepted. */
CK_API void ck_trace_free(struct ck_tracer *tracer);

#ifdef __cplusplus
}
#endif

#endif
