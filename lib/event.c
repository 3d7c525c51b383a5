/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-creation event: classification, strace's text, JSON Lines. */
#include <clonekit/event.h>
#include <clonekit/flags.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
	if (!e->has_result) {
		ck__buf_append(buf, len, pos, " = ?");
	} else if (e->result < 0) {
		int err = (int)-e->result;
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

static void json_str(char *buf, size_t len, size_t *pos, const char *s)
{
	ck__buf_append(buf, len, pos, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			ck__buf_append(buf, len, pos, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			ck__buf_append(buf, len, pos, "\\u%04x", *p);
		else
			ck__buf_append(buf, len, pos, "%c", *p);
	}
	ck__buf_append(buf, len, pos, "\"");
}

static void json_ns(char *buf, size_t len, size_t *pos, const char *key, const uint64_t *ns)
{
	bool any = false;
	ck__buf_append(buf, len, pos, ",\"%s\":{", key);
	for (int i = 0; i < CK_NS__COUNT; i++) {
		if (!ns[i])
			continue;
		ck__buf_append(buf, len, pos, "%s\"%s\":%" PRIu64, any ? "," : "", ns_names[i], ns[i]);
		any = true;
	}
	ck__buf_append(buf, len, pos, "}");
}

int ck_event_format_json(const struct ck_event *e, char *buf, size_t len)
{
	static const char *const kind_names[] = { "process", "thread", "spawn", "ns_create",
						  "ns_enter", "escaped" };
	static const char *const exe_flag_names[] = { "truncated", "deleted", "outside_root" };
	char text[1024], sig[16];
	size_t pos = 0;
	const struct ck_arch_info *arch = ck_arch_at(e ? (size_t)e->arch : 0);
	uint64_t f;
	bool any;

	if (!e)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	f = ck_event_flags(e);
	ck__buf_append(buf, len, &pos, "{\"source\":\"%s\",\"time_ns\":%" PRIu64
		      ",\"pid\":%d,\"tid\":%d,\"ppid\":%d,\"uid\":%u,\"comm\":",
		      e->source == CK_SOURCE_TRACE ? "trace" : "watch", e->time_ns, e->pid, e->tid,
		      e->ppid, e->uid);
	json_str(buf, len, &pos, e->comm);
	ck__buf_append(buf, len, &pos, ",\"exe\":");
	json_str(buf, len, &pos, e->exe);
	ck__buf_append(buf, len, &pos, ",\"exe_flags\":[");
	any = false;
	for (size_t i = 0; i < CK_ARRAY_SIZE(exe_flag_names); i++) {
		if (!(e->exe_flags & (1u << i)))
			continue;
		ck__buf_append(buf, len, &pos, "%s\"%s\"", any ? "," : "", exe_flag_names[i]);
		any = true;
	}
	ck__buf_append(buf, len, &pos, "]");
	ck__buf_append(buf, len, &pos, ",\"cgroup_id\":%" PRIu64 ",\"syscall\":\"%s\",\"arch\":\"%s\"",
		      e->cgroup_id, ck_event_call_name(e->call), arch ? arch->name : "?");
	ck__buf_append(buf, len, &pos, ",\"flags\":\"%#" PRIx64 "\",\"flag_names\":[", f);
	any = false;
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *fl = ck_flag_at(i);
		if (!(f & fl->value))
			continue;
		ck__buf_append(buf, len, &pos, "%s\"%s\"", any ? "," : "", fl->name);
		any = true;
	}
	ck__buf_append(buf, len, &pos, "]");
	if (e->call == CK_CALL_CLONE || e->call == CK_CALL_CLONE3) {
		uint64_t s = e->call == CK_CALL_CLONE ? e->flags & CK_CSIGNAL
			     : e->has_args ? e->args.exit_signal : e->exit_signal;
		ck__buf_append(buf, len, &pos, ",\"exit_signal\":%" PRIu64 ",\"exit_signal_name\":", s);
		json_str(buf, len, &pos, s < 0x7fffffff ? ck_signal_name((unsigned)s, sig, sizeof(sig)) : "?");
	}
	if (e->call == CK_CALL_CLONE3 && e->has_args) {
		const struct ck_clone_args *a = &e->args;
		ck__buf_append(buf, len, &pos,
			      ",\"clone3\":{\"size\":%" PRIu64 ",\"stack\":\"%#" PRIx64
			      "\",\"stack_size\":%" PRIu64 ",\"tls\":\"%#" PRIx64 "\",\"set_tid_size\":%" PRIu64
			      ",\"cgroup\":%" PRIu64 "}",
			      e->args_size, a->stack, a->stack_size, a->tls, a->set_tid_size, a->cgroup);
	}
	if (e->call == CK_CALL_SETNS)
		ck__buf_append(buf, len, &pos, ",\"fd\":%d", e->fd);
	if (e->has_result) {
		ck__buf_append(buf, len, &pos, ",\"result\":%" PRId64 ",\"error\":", e->result);
		if (e->result < 0)
			json_str(buf, len, &pos, ck_errno_name((int)-e->result) ? ck_errno_name((int)-e->result) : "E?");
		else
			ck__buf_append(buf, len, &pos, "null");
	} else {
		ck__buf_append(buf, len, &pos, ",\"result\":null,\"error\":null");
	}
	ck__buf_append(buf, len, &pos, ",\"kinds\":[");
	any = false;
	for (size_t i = 0; i < CK_ARRAY_SIZE(kind_names); i++) {
		if (!(e->kinds & (1u << i)))
			continue;
		ck__buf_append(buf, len, &pos, "%s\"%s\"", any ? "," : "", kind_names[i]);
		any = true;
	}
	ck__buf_append(buf, len, &pos, "],\"in_container\":%s,\"traced\":%s",
		      e->in_container ? "true" : "false", e->traced ? "true" : "false");
	json_ns(buf, len, &pos, "ns_before", e->ns_before);
	json_ns(buf, len, &pos, "ns_after", e->ns_after);
	ck_event_format_strace(e, text, sizeof(text));
	ck__buf_append(buf, len, &pos, ",\"strace\":");
	json_str(buf, len, &pos, text);
	ck__buf_append(buf, len, &pos, "}");
	return (int)pos;
}
