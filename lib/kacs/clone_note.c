/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the model does for the clone flags seed 002's Peios notes speak of
 * (CLONE_THREAD, CLONE_PIDFD, CLONE_PARENT, CLONE_UNTRACED): one sentence
 * each for `clonekit explain`, its rights and errnos read from the table of
 * operations (psb.c) so that the two cannot drift apart.
 */
#include <clonekit/flags.h>
#include <clonekit/kacs.h>
#include <clonekit/validate.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "internal/util.h"

/* "QUERY_LIMITED on the child's process SD plus PIP dominance (EACCES otherwise)" for op. */
static void need(char *buf, size_t len, size_t *pos, enum ck_kacs_process_op op, long arg)
{
	struct ck_kacs_op_rule r = { .size = sizeof(r) };
	char rights[128];
	ck_kacs_op_right(op, arg, &r);
	ck_kacs_rights_format(r.right, ck_kacs_process_mapping(), rights, sizeof(rights));
	ck__buf_append(buf, len, pos, "%s on the child's process SD plus PIP dominance (%s otherwise)", rights,
		       ck_errno_name(r.deny_errno));
}

int ck_kacs_clone_note(uint64_t flag, char *buf, size_t len)
{
	size_t pos = 0;

	if (!buf && len)
		return -EINVAL;
	switch (flag) {
	case CK_CLONE_THREAD:
		ck__buf_append(buf, len, &pos,
			       "a thread shares its process's primary token (one object: what one thread enables, "
			       "all see) and its PSB, and starts without impersonation; without CLONE_THREAD the child "
			       "gets a deep copy of the creating thread's primary token as of the clone (a new token_id, "
			       "the used privileges kept), a copy of the PSB and a new default process SD; "
			       "no_child_process refuses new processes (%s), never threads",
			       ck_errno_name(EACCES));
		break;
	case CK_CLONE_PIDFD:
		ck__buf_append(buf, len, &pos,
			       "the pidfd is issued without an AccessCheck, while pidfd_open of the same child would need ");
		need(buf, len, &pos, CK_KACS_OP_PIDFD_OPEN, 0);
		break;
	case CK_CLONE_PARENT: {
		struct ck_kacs_op_rule sd = { .size = sizeof(sd) };
		char rights[64];
		ck_kacs_op_right(CK_KACS_OP_GET_SD, CK_KACS_SECINFO_OWNER, &sd);
		ck_kacs_rights_format(sd.right, ck_kacs_process_mapping(), rights, sizeof(rights));
		ck__buf_append(buf, len, &pos,
			       "the child's process SD is built from the creating thread's primary token, though its "
			       "parent is the creator's parent; that parent gains nothing by it: to send SIGTERM it needs ");
		need(buf, len, &pos, CK_KACS_OP_SIGNAL, SIGTERM);
		ck__buf_append(buf, len, &pos, ", to read its SD's owner %s; waitpid takes no check", rights);
		break;
	}
	case CK_CLONE_UNTRACED:
		ck__buf_append(buf, len, &pos,
			       "only the tracer's auto-attach is stopped; a later PTRACE_ATTACH needs ");
		need(buf, len, &pos, CK_KACS_OP_PTRACE_ATTACH, 0);
		ck__buf_append(buf, len, &pos, ", and SeDebugPrivilege waives only the SD half");
		break;
	default:
		return -ENOENT;
	}
	if (len)
		buf[pos < len ? pos : len - 1] = '\0';
	return (int)pos;
}
