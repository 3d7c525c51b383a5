/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Judges an event against a rule's flattened condition, reading the values
 * of its fields (their names and types: rule.h), without allocating.
 */
#include <fnmatch.h>
#include <signal.h>
#include <string.h>

#include <clonekit/flags.h>

#include "detect/rule.h"

bool ck__detect_exit_signal_of(const struct ck_event *e, uint64_t *v)
{
	switch (e->call) {
	case CK_CALL_CLONE:
		*v = e->flags & CK_CSIGNAL;
		return true;
	case CK_CALL_CLONE3:
		*v = e->has_args ? e->args.exit_signal : e->exit_signal;
		return true;
	case CK_CALL_FORK:
	case CK_CALL_VFORK:
		*v = SIGCHLD;
		return true;
	default:
		return false;
	}
}

/* The field's value; false when the event does not know it. */
static bool value_of(const struct ck_event *e, enum field f, int64_t *v)
{
	uint64_t u;

	switch (f) {
	case F_SYSCALL: *v = e->call; return true;
	case F_PID: *v = e->pid; return e->pid >= 0;
	case F_TID: *v = e->tid; return e->tid >= 0;
	case F_PPID: *v = e->ppid; return e->ppid >= 0;
	case F_UID: *v = e->uid; return true;
	case F_FLAGS: *v = (int64_t)ck_event_flags(e); return true;
	case F_EXIT_SIGNAL:
		if (!ck__detect_exit_signal_of(e, &u))
			return false;
		*v = (int64_t)u;
		return true;
	case F_RESULT: *v = e->result; return e->has_result;
	case F_ERROR: *v = e->result < 0 ? (int64_t)-(uint64_t)e->result : 0; return e->has_result;
	case F_KINDS: *v = e->kinds; return true;
	case F_IN_CONTAINER: *v = e->in_container; return true;
	case F_TRACED: *v = e->traced; return true;
	case F_FAILED: *v = e->has_result && e->result < 0; return true;
	case F_ARCH: *v = e->arch; return true;
	case F_CGROUP_ID: *v = (int64_t)e->cgroup_id; return e->cgroup_id != 0;
	case F_SOURCE: *v = e->source; return true;
	default: return false;
	}
}

/* comm or exe, bounded even when the producer filled every byte. */
static bool string_of(const struct ck_event *e, enum field f, const char **s, size_t *len)
{
	if (f == F_COMM) {
		*s = e->comm;
		*len = strnlen(e->comm, sizeof(e->comm));
		return true;
	}
	*s = e->exe;
	*len = strnlen(e->exe, sizeof(e->exe));
	return *len != 0;
}

static bool compare(const struct node *n, int64_t v, int64_t want)
{
	bool u = fields[n->field].is_unsigned;
	int c = u ? ((uint64_t)v > (uint64_t)want) - ((uint64_t)v < (uint64_t)want)
		  : (v > want) - (v < want);

	switch (n->op) {
	case C_EQ: return c == 0;
	case C_NE: return c != 0;
	case C_LT: return c < 0;
	case C_LE: return c <= 0;
	case C_GT: return c > 0;
	case C_GE: return c >= 0;
	}
	return false;
}

static bool str_eq(const char *s, size_t len, const char *want)
{
	return strncmp(s, want, len) == 0 && want[len] == '\0';
}

/* One leaf of a condition. */
static bool test(const struct node *n, const struct ck_event *e)
{
	const char *s;
	size_t len;
	int64_t v;

	switch (n->kind) {
	case N_BOOL:
		value_of(e, n->field, &v);
		return (v != 0) != (n->op != 0);
	case N_CMP:
		return value_of(e, n->field, &v) && compare(n, v, n->num);
	case N_IN:
		if (!value_of(e, n->field, &v))
			return false;
		for (uint32_t j = 0; j < n->n; j++)
			if (v == n->nums[j])
				return !n->op;
		return n->op;
	case N_MASK: {
		uint64_t m = (uint64_t)n->num;
		value_of(e, n->field, &v);
		switch (n->op) {
		case M_ANY: return ((uint64_t)v & m) != 0;
		case M_ALL: return ((uint64_t)v & m) == m;
		default: return ((uint64_t)v & m) == 0;
		}
	}
	case N_STR:
		if (!string_of(e, n->field, &s, &len))
			return false;
		return str_eq(s, len, n->str) == (n->op == C_EQ);
	case N_STR_IN:
		if (!string_of(e, n->field, &s, &len))
			return false;
		for (uint32_t j = 0; j < n->n; j++)
			if (str_eq(s, len, n->strs[j]))
				return !n->op;
		return n->op;
	case N_MATCH: {
		char buf[sizeof(e->exe) + 1];
		if (!string_of(e, n->field, &s, &len))
			return false;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return fnmatch(n->str, buf, 0) == 0;
	}
	default:
		return false;
	}
}

bool ck__detect_matches(const struct rule *r, const struct ck_event *e)
{
	uint32_t at = r->entry;

	while (at < MATCH) {
		const struct step *s = &r->prog[at];
		at = s->next[test(&r->nodes[s->leaf], e)];
	}
	return at == MATCH;
}
