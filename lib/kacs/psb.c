/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Processes in the Peios model: the PSB and its one-way mitigations (K20
 * 5-psb/2-fields.md, design §10.2), the process SD made at fork
 * (5-psb/3-process-sd.md, design §7.1), PIP dominance and the two-check rule
 * (8-pip/1-process-protection.md, 2-enforcement-points.md, design §7.3), and
 * the table of what each process operation needs (design §9).
 */
#include <clonekit/kacs.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal/util.h"
#include "kacs/access_internal.h"
#include "kacs/internal.h"

bool ck_kacs_pip_dominates(const struct ck_kacs_psb *caller, const struct ck_kacs_psb *target)
{
	if (target->pip_type == CK_KACS_PIP_NONE) /* an unprotected target: any caller dominates */
		return true;
	return caller->pip_type >= target->pip_type && caller->pip_trust >= target->pip_trust;
}

/* ---- Mitigations ------------------------------------------------------------- */

static const struct {
	uint32_t bit;
	const char *name;
} psb_names[] = {
	{ CK_KACS_PSB_WXP, "wxp" },     { CK_KACS_PSB_TLP, "tlp" },
	{ CK_KACS_PSB_LSV, "lsv" },     { CK_KACS_PSB_CFI, "cfi" },
	{ CK_KACS_PSB_UI_ACCESS, "ui_access" }, { CK_KACS_PSB_NO_CHILD, "nochild" },
	{ CK_KACS_PSB_CFIF, "cfif" },   { CK_KACS_PSB_CFIB, "cfib" },
	{ CK_KACS_PSB_PIE, "pie" },     { CK_KACS_PSB_SML, "sml" },
};

/* Other spellings parse takes. */
static const struct {
	uint32_t bits;
	const char *name;
} psb_aliases[] = {
	{ CK_KACS_PSB_NO_CHILD, "no_child" },
	{ CK_KACS_PSB_NO_CHILD, "no_child_process" },
	{ CK_KACS_PSB_UI_ACCESS, "uiaccess" },
	{ CK_KACS_PSB_ALL, "all" },
	{ 0, "none" },
};

static uint32_t cfi_expanded(uint32_t bits)
{
	if (bits & CK_KACS_PSB_CFI) /* the legacy alias is CFIF|CFIB and is not kept itself */
		bits = (bits & ~CK_KACS_PSB_CFI) | CK_KACS_PSB_CFIF | CK_KACS_PSB_CFIB;
	return bits;
}

int ck_kacs_psb_set(struct ck_kacs_psb *psb, uint32_t bits, uint32_t supported)
{
	if (!psb || (bits & ~CK_KACS_PSB_ALL))
		return -EINVAL;
	bits = cfi_expanded(bits);
	/*
	 * K20 5-psb/2-fields.md: activation is owed for a bit going from clear to
	 * set; re-asking for a set bit needs none (PKM refuses every unsupported
	 * bit asked, set or not).
	 */
	if ((bits & ~psb->mitigations) & ~cfi_expanded(supported))
		return -ENODEV;
	psb->mitigations |= bits;
	return 0;
}

int ck_kacs_psb_parse(const char *text, uint32_t *bits, struct ck_kacs_error *err)
{
	uint32_t v = 0;
	const char *s = text;

	if (!text || !bits)
		return CK__KACS_TXT(err, 0, "no PSB bits given");
	for (;;) {
		size_t n = strcspn(s, ",|");
		size_t col = (size_t)(s - text);
		uint64_t num;
		bool found = false;
		for (size_t i = 0; i < CK_ARRAY_SIZE(psb_names) && !found; i++)
			if (strlen(psb_names[i].name) == n && ck__strn_ieq(psb_names[i].name, s, n)) {
				v |= psb_names[i].bit;
				found = true;
			}
		for (size_t i = 0; i < CK_ARRAY_SIZE(psb_aliases) && !found; i++)
			if (strlen(psb_aliases[i].name) == n && ck__strn_ieq(psb_aliases[i].name, s, n)) {
				v |= psb_aliases[i].bits;
				found = true;
			}
		if (!found && n && ck__parse_u64n(s, n, 0, UINT32_MAX, &num) == 0) {
			if (num & ~(uint64_t)CK_KACS_PSB_ALL)
				return CK__KACS_TXT(err, col, "%#" PRIx64 " has bits past ALL (%#x)", num,
						    CK_KACS_PSB_ALL);
			v |= (uint32_t)num;
			found = true;
		}
		if (!found) {
			bool printable = n <= 40;
			for (size_t i = 0; i < n && printable; i++)
				printable = s[i] >= ' ' && s[i] < 0x7f;
			/* the word is quoted only when it is short and printable: the message reaches terminals */
			return CK__KACS_TXT(err, col,
					    "%s%.*s%sis no PSB bit (wxp tlp lsv cfi ui_access nochild cfif cfib pie sml, all, none, or a number)",
					    printable ? "'" : "", printable ? (int)n : 0, s, printable ? "' " : "this word ");
		}
		if (!s[n])
			break;
		s += n + 1;
	}
	*bits = v;
	return 0;
}

int ck_kacs_psb_format(uint32_t bits, char *buf, size_t len)
{
	size_t pos = 0;
	uint32_t rest = bits;

	if (!buf && len)
		return -EINVAL;
	for (size_t i = 0; i < CK_ARRAY_SIZE(psb_names); i++)
		if (bits & psb_names[i].bit) {
			ck__buf_append(buf, len, &pos, "%s%s", pos ? "," : "", psb_names[i].name);
			rest &= ~psb_names[i].bit;
		}
	if (rest)
		ck__buf_append(buf, len, &pos, "%s%#x", pos ? "," : "", rest);
	if (!bits)
		ck__buf_append(buf, len, &pos, "none");
	if (len)
		buf[pos < len ? pos : len - 1] = '\0';
	return (int)pos;
}

/* ---- The process SD at fork ---------------------------------------------------- */

static const struct ck_kacs_sid sid_ba = { 1, 2, { 0, 0, 0, 0, 0, 5 }, { 32, 544 } };
static const struct ck_kacs_sid sid_sy = { 1, 1, { 0, 0, 0, 0, 0, 5 }, { 18 } };
static const struct ck_kacs_sid sid_wd = { 1, 1, { 0, 0, 0, 0, 0, 1 }, { 0 } };

static struct ck_kacs_ace ace_of(uint8_t type, uint32_t mask, const struct ck_kacs_sid *sid)
{
	struct ck_kacs_ace a = { .type = type, .mask = mask, .sid = *sid };
	a.size = (uint16_t)(8 + ck_kacs_sid_size(sid));
	return a;
}

struct ck_kacs_sd *ck_kacs_process_sd_default(const struct ck_kacs_token *primary, enum ck_kacs_profile p)
{
	struct ck_kacs_sd sd;
	struct ck_kacs_ace dacl[4], label;

	if (!primary || primary->group_count > CK_KACS_GROUPS_MAX ||
	    primary->primary_group_index > primary->group_count || p > CK_KACS_V0_22) {
		errno = EINVAL;
		return NULL;
	}
	memset(&sd, 0, sizeof(sd));
	sd.revision = 1;
	/* the bytes of PKM build_default_process_sd_bytes (design §7.1): SR|DP|DD|GD|OD */
	sd.control = CK_KACS_SE_SELF_RELATIVE | CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_DACL_DEFAULTED |
		     CK_KACS_SE_GROUP_DEFAULTED | CK_KACS_SE_OWNER_DEFAULTED;
	sd.has_owner = sd.has_group = true;
	sd.owner = primary->user;
	sd.group = primary->primary_group_index ? primary->groups[primary->primary_group_index - 1].sid : primary->user;
	/* K20 5-psb/3-process-sd.md "Default process SD", in this order */
	dacl[0] = ace_of(CK_KACS_ACE_ALLOW, CK_KACS_GENERIC_ALL, &primary->user);
	dacl[1] = ace_of(CK_KACS_ACE_ALLOW, CK_KACS_GENERIC_ALL, &sid_ba);
	dacl[2] = ace_of(CK_KACS_ACE_ALLOW, CK_KACS_GENERIC_ALL, &sid_sy);
	dacl[3] = ace_of(CK_KACS_ACE_ALLOW, CK_KACS_PROCESS_QUERY_LIMITED, &sid_wd);
	sd.dacl_present = true;
	sd.dacl = (struct ck_kacs_acl){ .revision = 2, .count = 4, .aces = dacl };
	if (p >= CK_KACS_V0_22) {
		/* K22 5-psb/3-process-sd.md: SACL label NO_WRITE_UP at the token's IL (SACL_DEFAULTED beside the others is ours) */
		struct ck_kacs_sid il;
		uint32_t rid = primary->integrity_rid;
		if (ck_kacs_sid_make(&il, 16, 1, &rid)) {
			errno = EINVAL;
			return NULL;
		}
		label = ace_of(CK_KACS_ACE_MANDATORY_LABEL, CK_KACS_LABEL_NO_WRITE_UP, &il);
		sd.control |= CK_KACS_SE_SACL_PRESENT | CK_KACS_SE_SACL_DEFAULTED;
		sd.sacl_present = true;
		sd.sacl = (struct ck_kacs_acl){ .revision = 2, .count = 1, .aces = &label };
	}
	return ck_kacs_sd_dup(&sd);
}

/* ---- The two-check rule ---------------------------------------------------------- */

static void mark(struct ck_kacs_access_result *r, uint32_t bits, uint8_t why, uint16_t priv)
{
	for (unsigned b = 0; b < 32; b++)
		if (bits & (1u << b)) {
			r->bit[b].why = why;
			r->bit[b].acl = 0;
			r->bit[b].ace = 0;
			r->bit[b].privilege = priv;
		}
}

static bool token_decides(const struct ck_kacs_token *t)
{
	return !(t->type == CK_KACS_TOKEN_IMPERSONATION && t->impersonation_level == CK_KACS_IDENTIFICATION);
}

/* The two-check rule into r (this library's size). */
static int authorize(const struct ck_kacs_token *subject, const struct ck_kacs_psb *caller,
		     const struct ck_kacs_sd *target_sd, const struct ck_kacs_psb *target, uint32_t right,
		     enum ck_kacs_profile p, unsigned flags, struct ck_kacs_access_result *r)
{
	struct ck__kacs_detail d;
	struct ck_kacs_access_request req = {
		.size = sizeof(req),
		.desired = right,
		.map = ck_kacs_process_mapping(),
		.pip_type = caller ? caller->pip_type : 0,
		.pip_trust = caller ? caller->pip_trust : 0,
		.intent = flags & CK_KACS_AUTH_RESTORE ? CK_KACS_INTENT_RESTORE : 0,
		.profile = p,
	};

	if (!caller || !target || (flags & ~(CK_KACS_AUTH_NO_DEBUG | CK_KACS_AUTH_RESTORE))) {
		memset(r, 0, sizeof(*r));
		r->size = sizeof(*r);
		return r->error = -EINVAL;
	}
	ck__kacs_access_check(subject, target_sd, &req, r, &d);
	r->target_pip_type = target->pip_type;
	r->target_pip_trust = target->pip_trust;
	/*
	 * Check 1's waiver: SeDebugPrivilege, enabled, on a token that may decide
	 * (design §16: PKM does not look at the level), never past a trust label.
	 */
	if (r->error == -EACCES && !(flags & CK_KACS_AUTH_NO_DEBUG) && token_decides(subject) &&
	    (subject->privileges_enabled & CK_KACS_PRIV(CK_KACS_SE_DEBUG)) && !(d.pip_denied & r->desired)) {
		uint32_t refused = 0;
		for (unsigned b = 0; b < 32; b++)
			if ((r->desired & (1u << b)) && !ck__kacs_why_grants(r->bit[b].why))
				refused |= 1u << b;
		mark(r, refused, CK_KACS_WHY_DEBUG, 0);
		r->granted = d.want_max ? (d.granted | (r->desired | ck_kacs_process_mapping()->all)) & ~d.pip_denied
					: r->desired;
		if (d.want_max)
			mark(r, r->granted & ~r->desired & ~d.granted, CK_KACS_WHY_DEBUG, 0);
		r->privileges_used |= CK_KACS_PRIV(CK_KACS_SE_DEBUG);
		r->error = 0;
	}
	/* check 2: PIP dominance, which nothing waives */
	if (r->error == 0 && !ck_kacs_pip_dominates(caller, target)) {
		for (unsigned b = 0; b < 32; b++)
			if (!(r->desired & (1u << b)))
				memset(&r->bit[b], 0, sizeof(r->bit[b]));
		mark(r, r->desired, CK_KACS_WHY_PIP, 0);
		r->granted = 0;
		r->error = -EACCES;
	}
	return r->error;
}

int ck_kacs_process_authorize(const struct ck_kacs_token *subject, const struct ck_kacs_psb *caller,
			      const struct ck_kacs_sd *target_sd, const struct ck_kacs_psb *target, uint32_t right,
			      enum ck_kacs_profile p, unsigned flags, struct ck_kacs_access_result *res)
{
	struct ck_kacs_access_result r;

	if (!res)
		return -EINVAL;
	authorize(subject, caller, target_sd, target, right, p, flags, &r);
	if (ck__opts_copy_out(res, res->size, &r, sizeof(r), CK__KACS_RESULT_MIN))
		return -EINVAL;
	return r.error;
}

/* ---- Rights of operations ------------------------------------------------------------ */

uint32_t ck_kacs_signal_right(int sig)
{
	switch (sig) {
	case 0: /* a probe: existence and permission (K20 5-psb/3-process-sd.md) */
		return CK_KACS_PROCESS_QUERY_LIMITED;
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
		return CK_KACS_PROCESS_SIGNAL;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
	case SIGCONT:
		return CK_KACS_PROCESS_SUSPEND_RESUME;
	}
	/* every other signal's default action terminates, the real-time ones included */
	return sig > 0 && sig < _NSIG ? CK_KACS_PROCESS_TERMINATE : 0;
}

#define SAME CK_KACS_OP_SAME_PROCESS_FREE

/* Design §9's table; the errno is the one the caller of the syscall sees. */
static const struct op_row {
	const char *name, *calls;
	uint32_t right;
	unsigned privilege;
	int deny_errno, privilege_errno;
	unsigned flags, auth_flags;
} ops[CK_KACS_OP__COUNT] = {
	/* not exempt for the same process: PKM's task_kill checks every signal */
	[CK_KACS_OP_SIGNAL] = { "signal", "kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo", 0, 0,
				EACCES, 0, 0, 0 },
	/* PTRACE_MODE_ATTACH requires VM_WRITE (K20 8-pip/2-enforcement-points.md "ptrace") */
	[CK_KACS_OP_PTRACE_ATTACH] = { "ptrace_attach", "ptrace(PTRACE_ATTACH)", CK_KACS_PROCESS_VM_WRITE, 0,
				       EACCES, 0, SAME, 0 },
	[CK_KACS_OP_PTRACE_SEIZE] = { "ptrace_seize", "ptrace(PTRACE_SEIZE)", CK_KACS_PROCESS_VM_WRITE, 0, EACCES,
				      0, SAME, 0 },
	[CK_KACS_OP_PTRACE_TRACEME] = { "ptrace_traceme", "ptrace(PTRACE_TRACEME)", CK_KACS_PROCESS_VM_WRITE, 0,
					EACCES, 0, SAME, 0 },
	/* K20 names VM_READ for readv (PKM asks VM_WRITE); Linux's mm_access turns EACCES into EPERM */
	[CK_KACS_OP_VM_READV] = { "process_vm_readv", "process_vm_readv", CK_KACS_PROCESS_VM_READ, 0, EPERM, 0,
				  SAME, 0 },
	[CK_KACS_OP_VM_WRITEV] = { "process_vm_writev", "process_vm_writev", CK_KACS_PROCESS_VM_WRITE, 0, EPERM, 0,
				   SAME, 0 },
	[CK_KACS_OP_PIDFD_OPEN] = { "pidfd_open", "pidfd_open", CK_KACS_PROCESS_QUERY_LIMITED, 0, EACCES, 0, 0, 0 },
	/* pidfd_getfd answers EPERM when ptrace_may_access refuses */
	[CK_KACS_OP_PIDFD_GETFD] = { "pidfd_getfd", "pidfd_getfd", CK_KACS_PROCESS_DUP_HANDLE, 0, EPERM, 0, SAME,
				     0 },
	[CK_KACS_OP_SCHED_SET] = { "sched_set",
				   "sched_setscheduler, sched_setparam, sched_setattr, setpriority, ioprio_set, migrate_pages, move_pages",
				   CK_KACS_PROCESS_SET_INFORMATION, 0, EACCES, 0, SAME, 0 },
	[CK_KACS_OP_SCHED_GET] = { "sched_get",
				   "sched_getscheduler, sched_getparam, sched_getattr, sched_getaffinity, sched_rr_get_interval, ioprio_get",
				   CK_KACS_PROCESS_QUERY_INFORMATION, 0, EACCES, 0, SAME, 0 },
	/* SeDebugPrivilege does not stand in for SeIncreaseBasePriorityPrivilege */
	[CK_KACS_OP_SETAFFINITY] = { "sched_setaffinity", "sched_setaffinity", CK_KACS_PROCESS_SET_INFORMATION,
				     CK_KACS_SE_INCREASE_BASE_PRIORITY, EACCES, EACCES, SAME, 0 },
	[CK_KACS_OP_PRLIMIT_GET] = { "prlimit_get", "prlimit64(new=NULL)", CK_KACS_PROCESS_QUERY_INFORMATION, 0,
				     EACCES, 0, SAME, 0 },
	[CK_KACS_OP_PRLIMIT_SET] = { "prlimit_set", "prlimit64(new!=NULL)", CK_KACS_PROCESS_SET_INFORMATION, 0,
				     EACCES, 0, SAME, 0 },
	[CK_KACS_OP_SETPGID] = { "setpgid", "setpgid", CK_KACS_PROCESS_SET_INFORMATION, 0, EACCES, 0, SAME, 0 },
	[CK_KACS_OP_GETPGID] = { "getpgid", "getpgid", CK_KACS_PROCESS_QUERY_LIMITED, 0, EACCES, 0, SAME, 0 },
	[CK_KACS_OP_GETSID] = { "getsid", "getsid", CK_KACS_PROCESS_QUERY_LIMITED, 0, EACCES, 0, SAME, 0 },
	/* the privilege is owed even for the same process, and its absence is EPERM (PKM) */
	[CK_KACS_OP_PERF_EVENT_OPEN] = { "perf_event_open", "perf_event_open(pid>=0)",
					 CK_KACS_PROCESS_QUERY_INFORMATION, CK_KACS_SE_PROFILE_SINGLE_PROCESS, EACCES,
					 EPERM, SAME | CK_KACS_OP_PRIVILEGE_FIRST, 0 },
	/* PTRACE_MODE_READ: VM_READ; kcmp answers EPERM when ptrace_may_access refuses (the design says EACCES) */
	[CK_KACS_OP_KCMP] = { "kcmp", "kcmp", CK_KACS_PROCESS_VM_READ, 0, EPERM, 0, SAME, 0 },
	[CK_KACS_OP_SET_PSB] = { "set_psb", "kacs_set_psb(pidfd)", CK_KACS_PROCESS_SET_INFORMATION, 0, EACCES, 0,
				 SAME, 0 },
	/* the SD decides for the same process too (design §16's Low-IL case); no SeDebug bypass */
	[CK_KACS_OP_GET_SD] = { "get_sd", "kacs_get_sd(pidfd)", 0, 0, EACCES, 0, 0, CK_KACS_AUTH_NO_DEBUG },
	[CK_KACS_OP_SET_SD] = { "set_sd", "kacs_set_sd(pidfd)", 0, 0, EACCES, 0, 0,
				CK_KACS_AUTH_NO_DEBUG | CK_KACS_AUTH_RESTORE },
	[CK_KACS_OP_OPEN_PROCESS_TOKEN] = { "open_process_token", "kacs_open_process_token",
					    CK_KACS_PROCESS_QUERY_INFORMATION, 0, EACCES, 0, 0, 0 },
	/* K22 5-psb/3-process-sd.md: thread tokens are gated by the process SD */
	[CK_KACS_OP_OPEN_THREAD_TOKEN] = { "open_thread_token", "kacs_open_thread_token",
					   CK_KACS_PROCESS_QUERY_INFORMATION, 0, EACCES, 0, 0, 0 },
};

#undef SAME

static int secinfo_valid(long info)
{
	const long all = CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_GROUP | CK_KACS_SECINFO_DACL | CK_KACS_SECINFO_SACL |
			 CK_KACS_SECINFO_LABEL;
	return info != 0 && !(info & ~all) &&
	       (info & (CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL)) !=
		       (CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL);
}

/* K20 11-facs/6-set-security.md "Security information flags"; reading all but the SACL needs READ_CONTROL */
static uint32_t sd_right(bool set, long info)
{
	uint32_t r = 0;
	if (set) {
		if (info & (CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_GROUP | CK_KACS_SECINFO_LABEL))
			r |= CK_KACS_WRITE_OWNER;
		if (info & CK_KACS_SECINFO_DACL)
			r |= CK_KACS_WRITE_DAC;
	} else if (info & (CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_GROUP | CK_KACS_SECINFO_DACL |
			   CK_KACS_SECINFO_LABEL)) {
		r |= CK_KACS_READ_CONTROL;
	}
	if (info & CK_KACS_SECINFO_SACL)
		r |= CK_KACS_ACCESS_SYSTEM_SECURITY;
	return r;
}

int ck_kacs_op_right(enum ck_kacs_process_op op, long arg, struct ck_kacs_op_rule *out)
{
	struct ck_kacs_op_rule r;

	if (!out || (unsigned)op >= CK_KACS_OP__COUNT)
		return -EINVAL;
	const struct op_row *row = &ops[op];
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.name = row->name;
	r.calls = row->calls;
	r.right = row->right;
	r.privilege = row->privilege;
	r.deny_errno = row->deny_errno;
	r.privilege_errno = row->privilege_errno;
	r.flags = row->flags;
	r.auth_flags = row->auth_flags;
	switch (op) {
	case CK_KACS_OP_SIGNAL:
		if (arg < 0 || arg >= _NSIG)
			return -EINVAL;
		r.right = ck_kacs_signal_right((int)arg);
		break;
	case CK_KACS_OP_GET_SD:
	case CK_KACS_OP_SET_SD:
		if (!secinfo_valid(arg))
			return -EINVAL;
		r.right = sd_right(op == CK_KACS_OP_SET_SD, arg);
		break;
	default:
		break;
	}
	return ck__opts_copy_out(out, out->size, &r, sizeof(r), sizeof(r));
}

const char *ck_kacs_op_name(enum ck_kacs_process_op op)
{
	return (unsigned)op < CK_KACS_OP__COUNT ? ops[op].name : NULL;
}

int ck_kacs_op_parse(const char *name, enum ck_kacs_process_op *out)
{
	if (!name || !out)
		return -EINVAL;
	for (unsigned i = 0; i < CK_KACS_OP__COUNT; i++) {
		const char *a = ops[i].name, *b = name;
		while (*a && *b && (tolower((unsigned char)*b) == *a || (*b == '-' && *a == '_'))) {
			a++;
			b++;
		}
		if (!*a && !*b) {
			*out = (enum ck_kacs_process_op)i;
			return 0;
		}
	}
	return -EINVAL;
}

int ck_kacs_op_authorize(enum ck_kacs_process_op op, long arg, const struct ck_kacs_token *subject,
			 const struct ck_kacs_psb *caller, const struct ck_kacs_sd *target_sd,
			 const struct ck_kacs_psb *target, bool same_process, enum ck_kacs_profile p,
			 struct ck_kacs_access_result *res)
{
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	struct ck_kacs_access_result r;

	if (!res)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (ck_kacs_op_right(op, arg, &rule) || !subject || !caller || !target) {
		r.error = -EINVAL;
		goto out;
	}
	uint64_t priv = rule.privilege ? CK_KACS_PRIV(rule.privilege) : 0;
	bool have_priv = !priv || (token_decides(subject) && (subject->privileges_enabled & priv));
	if ((rule.flags & CK_KACS_OP_PRIVILEGE_FIRST) && !have_priv) {
		r.desired = rule.right;
		mark(&r, rule.right, CK_KACS_WHY_NONE, (uint16_t)rule.privilege);
		r.error = -rule.privilege_errno;
		goto out;
	}
	if (same_process && (rule.flags & CK_KACS_OP_SAME_PROCESS_FREE)) {
		r.desired = r.granted = rule.right;
		mark(&r, rule.right, CK_KACS_WHY_SAME_PROCESS, 0);
		r.privileges_used = (rule.flags & CK_KACS_OP_PRIVILEGE_FIRST) ? priv : 0;
		goto out;
	}
	if (authorize(subject, caller, target_sd, target, rule.right, p, rule.auth_flags, &r) == -EACCES) {
		r.error = -rule.deny_errno;
		goto out;
	}
	if (r.error)
		goto out;
	if (!have_priv) {
		mark(&r, rule.right, CK_KACS_WHY_NONE, (uint16_t)rule.privilege);
		r.granted = 0;
		r.error = -rule.privilege_errno;
		goto out;
	}
	r.privileges_used |= priv;
out:
	if (ck__opts_copy_out(res, res->size, &r, sizeof(r), CK__KACS_RESULT_MIN))
		return -EINVAL;
	return r.error;
}
