/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An alert's message: the rule's pieces, with the event's values in the placeholders. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <clonekit/abi.h>
#include <clonekit/flags.h>
#include <clonekit/validate.h>

#include "detect/rule.h"
#include "internal/escape.h"
#include "internal/util.h"

static void flags_text(const struct ck_event *e, char *buf, size_t len)
{
	switch (e->call) {
	case CK_CALL_CLONE:
		ck_flags_format(e->flags, CK_SYSCALL_CLONE, buf, len);
		break;
	case CK_CALL_CLONE3:
		ck_flags_format(ck_event_flags(e), CK_SYSCALL_CLONE3, buf, len);
		break;
	case CK_CALL_FORK:
	case CK_CALL_VFORK:
		ck_flags_format(ck_event_flags(e) | SIGCHLD, CK_SYSCALL_CLONE, buf, len);
		break;
	default:
		ck_flags_format(e->flags, CK_SYSCALL_UNSHARE, buf, len);
	}
}

void ck__detect_render(const struct rule *r, const struct ck_event *e, uint64_t count, char *out,
		       size_t len)
{
	char buf[512];
	size_t pos = 0;
	const struct ck_arch_info *a;
	const char *s;
	uint64_t u;

	out[0] = '\0';
	for (uint32_t i = 0; i < r->npieces; i++) {
		const struct piece *p = &r->pieces[i];
		switch (p->what) {
		case P_TEXT:
			ck__buf_append(out, len, &pos, "%.*s", (int)p->len, r->tmpl + p->off);
			break;
		case P_COMM: /* what the process chose: escaped, one word (lib/internal/escape.h) */
			ck__escape(buf, sizeof(buf), e->comm, strnlen(e->comm, sizeof(e->comm)), CK__ESCAPE_WORD);
			ck__buf_append(out, len, &pos, "%s", buf);
			break;
		case P_EXE: /* at most 128 characters, so that the message keeps what follows */
			ck__escape(buf, 128, e->exe, strnlen(e->exe, sizeof(e->exe)), CK__ESCAPE_WORD);
			ck__buf_append(out, len, &pos, "%s", e->exe[0] ? buf : "?");
			break;
		case P_PID: ck__buf_append(out, len, &pos, "%d", e->pid); break;
		case P_TID: ck__buf_append(out, len, &pos, "%d", e->tid); break;
		case P_PPID: ck__buf_append(out, len, &pos, "%d", e->ppid); break;
		case P_UID: ck__buf_append(out, len, &pos, "%u", e->uid); break;
		case P_SYSCALL: ck__buf_append(out, len, &pos, "%s", ck_event_call_name(e->call)); break;
		case P_FLAGS:
			flags_text(e, buf, sizeof(buf));
			ck__buf_append(out, len, &pos, "%s", buf);
			break;
		case P_RESULT:
			if (!e->has_result)
				ck__buf_append(out, len, &pos, "?");
			else if ((s = ck_errno_name(ck__result_errno(e->result))))
				ck__buf_append(out, len, &pos, "-%s", s);
			else
				ck__buf_append(out, len, &pos, "%" PRId64, e->result);
			break;
		case P_ERROR:
			s = e->has_result ? ck_errno_name(ck__result_errno(e->result)) : NULL;
			ck__buf_append(out, len, &pos, "%s", s ? s : "none");
			break;
		case P_RULE: ck__buf_append(out, len, &pos, "%s", r->name); break;
		case P_COUNT: ck__buf_append(out, len, &pos, "%" PRIu64, count); break;
		case P_EXIT_SIGNAL:
			if (!ck__detect_exit_signal_of(e, &u))
				ck__buf_append(out, len, &pos, "none");
			else if (u < 0x7fffffff)
				ck__buf_append(out, len, &pos, "%s", ck_signal_name((unsigned)u, buf, sizeof(buf)));
			else
				ck__buf_append(out, len, &pos, "%" PRIu64, u);
			break;
		case P_ARCH:
			a = ck_arch_at((size_t)e->arch);
			ck__buf_append(out, len, &pos, "%s", a ? a->name : "?");
			break;
		case P_CGROUP_ID: ck__buf_append(out, len, &pos, "%" PRIu64, e->cgroup_id); break;
		case P__COUNT: break;
		}
	}
}

/* The alert of a rule's shared window: it counts many keys, so it names none as the culprit. */
void ck__detect_render_shared(const struct rule *r, const struct ck_event *e, uint64_t count,
			      char *out, size_t len)
{
	snprintf(out, len,
		 "%s: %" PRIu64 " events within %s from %s values past the %d the rule keeps a window for, "
		 "counted together; the last: %s by pid %d, uid %u",
		 r->name, count, r->rate_period_text, fields[r->rate_by].name, RATE_KEYS,
		 ck_event_call_name(e->call), e->pid, e->uid);
}
