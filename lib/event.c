/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-creation event: classification, strace's text, JSON Lines. */
#include <clonekit/event.h>
#include <clonekit/flags.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal/json.h"
#include "internal/util.h"

static const char *const call_names[CK_CALL__COUNT] = {
	"clone", "clone3", "fork", "vfork", "unshare", "setns",
};

static const char *const ns_names[CK_NS__COUNT] = {
	"user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time",
};

void ck_event_init(struct ck_event *e)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->pid = e->tid = e->ppid = -1;
	e->fd = -1;
	e->pidfd = -1;
	e->arch = ck_arch_native() ? ck_arch_native()->arch : CK_ARCH_X86_64;
}

const char *ck_event_call_name(enum ck_event_call c)
{
	return (unsigned)c < CK_CALL__COUNT ? call_names[c] : "?";
}

int ck_event_call_parse(const char *name, enum ck_event_call *out)
{
	for (unsigned i = 0; name && i < CK_CALL__COUNT; i++) {
		if (strcmp(name, call_names[i]) == 0) {
			*out = (enum ck_event_call)i;
			return 0;
		}
	}
	return -EINVAL;
}

uint64_t ck_event_flags(const struct ck_event *e)
{
	switch (e->call) {
	case CK_CALL_CLONE: return e->flags & UINT64_C(0xffffff00);
	case CK_CALL_CLONE3: return e->has_args ? e->args.flags : e->flags;
	case CK_CALL_FORK: return 0;
	case CK_CALL_VFORK: return CK_CLONE_VM | CK_CLONE_VFORK;
	default: return e->flags;
	}
}

void ck_event_classify(struct ck_event *e)
{
	uint64_t f = ck_event_flags(e);
	unsigned k = e->kinds & CK_EVENT_ESCAPED;

	switch (e->call) {
	case CK_CALL_SETNS:
		k |= CK_EVENT_NS_ENTER;
		break;
	case CK_CALL_UNSHARE:
		if (f & CK_CLONE_NEWNS_ALL)
			k |= CK_EVENT_NS_CREATE;
		break;
	default:
		k |= (f & CK_CLONE_THREAD) ? CK_EVENT_THREAD : CK_EVENT_PROCESS;
		if ((f & (CK_CLONE_VM | CK_CLONE_VFORK)) == (CK_CLONE_VM | CK_CLONE_VFORK))
			k |= CK_EVENT_SPAWN;
		if (f & CK_CLONE_NEWNS_ALL)
			k |= CK_EVENT_NS_CREATE;
	}
	e->kinds = k;
}

/* ---- strace's text ---- */

static void addr(char *buf, size_t len, size_t *pos, uint64_t a)
{
	if (a)
		ck__buf_append(buf, len, pos, "%#" PRIx64, a);
	else
		ck__buf_append(buf, len, pos, "NULL");
}

static void result(const struct ck_event *e, char *buf, size_t len, size_t *pos)
{
	int err = e->has_result ? ck__result_errno(e->result) : 0;

	if (!e->has_result) {
		ck__buf_append(buf, len, pos, " = ?");
	} else if (err) {
		const char *name = ck_errno_name(err);
		ck__buf_append(buf, len, pos, " = -1 %s (%s)", name ? name : "E?", strerror(err));
	} else {
		ck__buf_append(buf, len, pos, " = %" PRId64, e->result);
	}
}

static void strace_clone(const struct ck_event *e, char *buf, size_t len, size_t *pos)
{
	char flags[512];
	uint64_t f = e->flags & UINT64_C(0xffffff00);
	bool ok = e->has_result && e->result >= 0;

	ck_flags_format(e->flags, CK_SYSCALL_CLONE, flags, sizeof(flags));
	ck__buf_append(buf, len, pos, "clone(child_stack=");
	addr(buf, len, pos, e->stack);
	ck__buf_append(buf, len, pos, ", flags=%s", flags);
	if (f & (CK_CLONE_PARENT_SETTID | CK_CLONE_PIDFD)) {
		ck__buf_append(buf, len, pos, ", parent_tid=");
		/* what the kernel stored there: the child's TID, or the pidfd */
		if (ok && (f & CK_CLONE_PARENT_SETTID))
			ck__buf_append(buf, len, pos, "[%" PRId64 "]", e->result);
		else if (ok && e->pidfd >= 0)
			ck__buf_append(buf, len, pos, "[%" PRId64 "]", e->pidfd);
		else
			addr(buf, len, pos, e->parent_tid);
	}
	if (f & CK_CLONE_SETTLS) {
		ck__buf_append(buf, len, pos, ", tls=");
		addr(buf, len, pos, e->tls);
	}
	if (f & (CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID)) {
		ck__buf_append(buf, len, pos, ", child_tidptr=");
		addr(buf, len, pos, e->child_tid);
	}
	ck__buf_append(buf, len, pos, ")");
}

static void strace_clone3(const struct ck_event *e, char *buf, size_t len, size_t *pos)
{
	const struct ck_clone_args *a = &e->args;
	char flags[512], sig[16];
	bool ok = e->has_result && e->result >= 0;

	if (!e->has_args) {
		ck__buf_append(buf, len, pos, "clone3(");
		addr(buf, len, pos, e->args_addr);
		ck__buf_append(buf, len, pos, ", %" PRIu64 ")", e->args_size);
		return;
	}
	ck_flags_format(a->flags, CK_SYSCALL_CLONE3, flags, sizeof(flags));
	ck__buf_append(buf, len, pos, "clone3({flags=%s", flags);
	if (a->flags & CK_CLONE_PIDFD) {
		ck__buf_append(buf, len, pos, ", pidfd=");
		addr(buf, len, pos, a->pidfd);
	}
	if (a->flags & (CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID)) {
		ck__buf_append(buf, len, pos, ", child_tid=");
		addr(buf, len, pos, a->child_tid);
	}
	if (a->flags & CK_CLONE_PARENT_SETTID) {
		ck__buf_append(buf, len, pos, ", parent_tid=");
		addr(buf, len, pos, a->parent_tid);
	}
	if (a->exit_signal < 0x7fffffff)
		ck__buf_append(buf, len, pos, ", exit_signal=%s",
			      ck_signal_name((unsigned)a->exit_signal, sig, sizeof(sig)));
	else
		ck__buf_append(buf, len, pos, ", exit_signal=%" PRIu64, a->exit_signal);
	ck__buf_append(buf, len, pos, ", stack=");
	addr(buf, len, pos, a->stack);
	ck__buf_append(buf, len, pos, ", stack_size=%#" PRIx64, a->stack_size);
	if (a->flags & CK_CLONE_SETTLS) {
		ck__buf_append(buf, len, pos, ", tls=");
		addr(buf, len, pos, a->tls);
	}
	if (a->set_tid || a->set_tid_size) {
		ck__buf_append(buf, len, pos, ", set_tid=");
		addr(buf, len, pos, a->set_tid);
		ck__buf_append(buf, len, pos, ", set_tid_size=%" PRIu64, a->set_tid_size);
	}
	if (e->args_size > offsetof(struct ck_clone_args, cgroup) &&
	    (a->cgroup || (a->flags & CK_CLONE_INTO_CGROUP)))
		ck__buf_append(buf, len, pos, ", cgroup=%" PRIu64, a->cgroup);
	ck__buf_append(buf, len, pos, "}");
	if (ok && (a->flags & (CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID))) {
		const char *sep = " => {";
		if ((a->flags & CK_CLONE_PIDFD) && e->pidfd >= 0) {
			ck__buf_append(buf, len, pos, "%spidfd=[%" PRId64 "]", sep, e->pidfd);
			sep = ", ";
		}
		if (a->flags & CK_CLONE_PARENT_SETTID) {
			ck__buf_append(buf, len, pos, "%sparent_tid=[%" PRId64 "]", sep, e->result);
			sep = ", ";
		}
		if (sep[0] == ',')
			ck__buf_append(buf, len, pos, "}");
	}
	ck__buf_append(buf, len, pos, ", %" PRIu64 ")", e->args_size);
}

int ck_event_format_strace(const struct ck_event *e, char *buf, size_t len)
{
	char flags[512];
	size_t pos = 0;

	if (!e)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	switch (e->call) {
	case CK_CALL_CLONE:
		strace_clone(e, buf, len, &pos);
		break;
	case CK_CALL_CLONE3:
		strace_clone3(e, buf, len, &pos);
		break;
	case CK_CALL_FORK:
	case CK_CALL_VFORK:
		ck__buf_append(buf, len, &pos, "%s()", call_names[e->call]);
		break;
	case CK_CALL_UNSHARE:
		ck_flags_format(e->flags, CK_SYSCALL_UNSHARE, flags, sizeof(flags));
		ck__buf_append(buf, len, &pos, "unshare(%s)", flags);
		break;
	case CK_CALL_SETNS:
		ck_flags_format(e->flags, CK_SYSCALL_UNSHARE, flags, sizeof(flags));
		ck__buf_append(buf, len, &pos, "setns(%d, %s)", e->fd, flags);
		break;
	default:
		return -EINVAL;
	}
	result(e, buf, len, &pos);
	return (int)pos;
}

/* ---- JSON ---- */

static void json_ns(struct ck__json *w, const char *key, const uint64_t *ns)
{
	ck__json_obj_begin(w, key);
	for (int i = 0; i < CK_NS__COUNT; i++)
		if (ns[i])
			ck__json_uint(w, ns_names[i], ns[i]);
	ck__json_obj_end(w);
}

void ck__event_json(struct ck__json *w, const char *key, const struct ck_event *e)
{
	static const char *const kind_names[] = { "process", "thread", "spawn", "ns_create",
						  "ns_enter", "escaped" };
	static const char *const exe_flag_names[] = { "truncated", "deleted", "outside_root" };
	const struct ck_arch_info *arch = ck_arch_at((size_t)e->arch);
	char text[1024], sig[16];
	uint64_t f = ck_event_flags(e);

	ck__json_obj_begin(w, key);
	ck__json_str(w, "source", e->source == CK_SOURCE_TRACE ? "trace" : "watch");
	ck__json_uint(w, "time_ns", e->time_ns);
	ck__json_int(w, "pid", e->pid);
	ck__json_int(w, "tid", e->tid);
	ck__json_int(w, "ppid", e->ppid);
	ck__json_uint(w, "uid", e->uid);
	/* what the process chose: bytes, by docs/event-schema.md's rule */
	ck__json_bytes(w, "comm", e->comm, strnlen(e->comm, sizeof(e->comm)));
	ck__json_bytes(w, "exe", e->exe, strnlen(e->exe, sizeof(e->exe)));
	ck__json_arr_begin(w, "exe_flags");
	for (size_t i = 0; i < CK_ARRAY_SIZE(exe_flag_names); i++)
		if (e->exe_flags & (1u << i))
			ck__json_str(w, NULL, exe_flag_names[i]);
	ck__json_arr_end(w);
	ck__json_uint(w, "cgroup_id", e->cgroup_id);
	ck__json_str(w, "syscall", ck_event_call_name(e->call));
	ck__json_str(w, "arch", arch ? arch->name : "?");
	ck__json_hex(w, "flags", f);
	ck__json_arr_begin(w, "flag_names");
	for (size_t i = 0; i < ck_flag_count(); i++)
		if (f & ck_flag_at(i)->value)
			ck__json_str(w, NULL, ck_flag_at(i)->name);
	ck__json_arr_end(w);
	if (e->call == CK_CALL_CLONE || e->call == CK_CALL_CLONE3) {
		uint64_t s = e->call == CK_CALL_CLONE ? e->flags & CK_CSIGNAL
			     : e->has_args ? e->args.exit_signal : e->exit_signal;
		ck__json_uint(w, "exit_signal", s);
		ck__json_str(w, "exit_signal_name", s < 0x7fffffff ? ck_signal_name((unsigned)s, sig, sizeof(sig)) : "?");
	}
	if (e->call == CK_CALL_CLONE3 && e->has_args) {
		ck__json_obj_begin(w, "clone3");
		ck__json_uint(w, "size", e->args_size);
		ck__json_hex(w, "stack", e->args.stack);
		ck__json_uint(w, "stack_size", e->args.stack_size);
		ck__json_hex(w, "tls", e->args.tls);
		ck__json_uint(w, "set_tid_size", e->args.set_tid_size);
		ck__json_uint(w, "cgroup", e->args.cgroup);
		ck__json_obj_end(w);
	}
	if (e->call == CK_CALL_SETNS)
		ck__json_int(w, "fd", e->fd);
	if (e->has_result) {
		const char *name = ck_errno_name(ck__result_errno(e->result));
		ck__json_int(w, "result", e->result);
		ck__json_str(w, "error", e->result < 0 ? (name ? name : "E?") : NULL);
	} else {
		ck__json_null(w, "result");
		ck__json_null(w, "error");
	}
	ck__json_arr_begin(w, "kinds");
	for (size_t i = 0; i < CK_ARRAY_SIZE(kind_names); i++)
		if (e->kinds & (1u << i))
			ck__json_str(w, NULL, kind_names[i]);
	ck__json_arr_end(w);
	ck__json_bool(w, "in_container", e->in_container);
	ck__json_bool(w, "traced", e->traced);
	json_ns(w, "ns_before", e->ns_before);
	json_ns(w, "ns_after", e->ns_after);
	ck_event_format_strace(e, text, sizeof(text));
	ck__json_str(w, "strace", text);
	ck__json_obj_end(w);
}

int ck_event_format_json(const struct ck_event *e, char *buf, size_t len)
{
	struct ck__json w;
	int r;

	if (len)
		buf[0] = '\0';
	if (!e)
		return -EINVAL;
	ck__json_init(&w);
	ck__event_json(&w, NULL, e);
	r = ck__json_format(&w, buf, len);
	ck__json_release(&w);
	return r;
}
