/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parses tokens into rules: conditions into trees of nodes (then flattened),
 * priority, rate and message directives, each error naming its line and the
 * token at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <clonekit/flags.h>
#include <clonekit/validate.h>

#include "detect/parser.h"
#include "internal/util.h"

static const char *const kind_names[] = {
	"process", "thread", "spawn", "ns_create", "ns_enter", "escaped",
};

static const char *const source_names[] = { "trace", "watch" };

static const char *const directives[] = { "rule", "priority", "when", "rate", "message", "end" };

static const char *const placeholders[P__COUNT] = {
	[P_COMM] = "comm", [P_PID] = "pid", [P_TID] = "tid", [P_PPID] = "ppid",
	[P_UID] = "uid", [P_EXE] = "exe", [P_SYSCALL] = "syscall", [P_FLAGS] = "flags",
	[P_RESULT] = "result", [P_RULE] = "rule", [P_COUNT] = "count",
	[P_EXIT_SIGNAL] = "exit_signal", [P_ERROR] = "error", [P_ARCH] = "arch",
	[P_CGROUP_ID] = "cgroup_id",
};

void ck__detect_rule_free(struct rule *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->nnodes; i++) {
		struct node *n = &r->nodes[i];
		free(n->str);
		free(n->nums);
		for (uint32_t j = 0; n->strs && j < n->n; j++)
			free(n->strs[j]);
		free(n->strs);
	}
	free(r->nodes);
	free(r->prog);
	free(r->name);
	free(r->tmpl);
	free(r->pieces);
	free(r->rate_table);
	free(r);
}

/* ---- parser helpers ---- */

static const struct token *cur(const struct parser *ps)
{
	return &ps->t[ps->i];
}

static const struct token *prev(const struct parser *ps)
{
	return &ps->t[ps->i ? ps->i - 1 : 0];
}

static void advance(struct parser *ps)
{
	if (ps->t[ps->i].type != TK_END)
		ps->i++;
}

static bool word_is(const struct token *t, const char *w)
{
	size_t n = strlen(w);
	return t->type == TK_WORD && t->n == n && memcmp(t->p, w, n) == 0;
}

static bool is_directive(const struct token *t)
{
	if (!t->bol)
		return false;
	for (size_t i = 0; i < CK_ARRAY_SIZE(directives); i++)
		if (word_is(t, directives[i]))
			return true;
	return false;
}

/* A token's text as a C string; false when it does not fit. */
static bool tok_copy(const struct token *t, char *buf, size_t len)
{
	if (t->n >= len)
		return false;
	memcpy(buf, t->p, t->n);
	buf[t->n] = '\0';
	return true;
}

/*
 * Text of the rule as a message quotes it: its first 40 bytes as written,
 * but tab, CR, LF and every byte outside printable ASCII as \ooo, so that a
 * refusal is one line of text whatever a string in the rule holds.
 */
#define SHOWN_MAX (40 * 4 + 1)

static const char *shown(const char *s, size_t n, char buf[SHOWN_MAX])
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, SHOWN_MAX - o, "\\%03o", c);
	}
	buf[o] = '\0';
	return buf;
}

/* A token for '%.*s' in a message (the precision is only a bound: the text ends at its NUL). */
#define TOKW(t) SHOWN_MAX, shown((t)->p, (t)->n, (char[SHOWN_MAX]){ 0 })
/* Room for desc(): a token quoted and the line it is on. */
#define DESC_MAX (SHOWN_MAX + 32)

/*
 * How a token reads in an error reported on line at. same_line: the thing
 * was due on the line of the previous token, so a token on a later line
 * means that line ended.
 */
static const char *desc(const struct token *t, unsigned at, bool same_line, char *buf, size_t len)
{
	if (t->type == TK_END)
		return "the end of the text";
	if (same_line && t->bol)
		return "the end of the line";
	if (t->line != at)
		snprintf(buf, len, "'%.*s' on line %u", TOKW(t), t->line);
	else
		snprintf(buf, len, "'%.*s'", TOKW(t));
	return buf;
}

/* Where a missing thing is reported: its own line, or the line that ended without it. */
static unsigned due_line(const struct token *t, unsigned before)
{
	return t->type == TK_END || t->bol ? before : t->line;
}

static const char *suggest_from(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	unsigned best_d = 3;

	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		unsigned d = ck__edit_distance(word, names[i], 2);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* " (did you mean 'x'?)" or the alternatives when nothing is close. */
static const char *hint(const char *word, const char *const *names, size_t n, const char *or_else,
			char *buf, size_t len)
{
	const char *s = suggest_from(word, names, n);
	if (s)
		snprintf(buf, len, " (did you mean '%s'?)", s);
	else if (or_else)
		snprintf(buf, len, " (%s)", or_else);
	else
		buf[0] = '\0';
	return buf;
}

/* ---- values ---- */

static int parse_number(const struct token *t, bool is_unsigned, int64_t *out)
{
	const char *s = t->p;
	size_t n = t->n;
	bool neg = false;
	uint64_t v;
	int r;

	if (t->type != TK_NUM)
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
		n--;
	}
	/* decimal, or hexadecimal after 0x: a leading 0 is not octal */
	r = ck__parse_u64n(s, n, 0, UINT64_MAX, &v);
	if (r)
		return r;
	if (neg) {
		if (is_unsigned || v > (unsigned long long)INT64_MAX + 1)
			return -ERANGE;
		*out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (!is_unsigned && v > INT64_MAX)
			return -ERANGE;
		*out = (int64_t)v;
	}
	return 0;
}

static int flag_suggestion(const char *word, char *buf, size_t len)
{
	const char *w = word;
	const struct ck_flag *best = NULL;
	unsigned best_d = 3;
	bool prefixed = strncasecmp(w, "CLONE_", 6) == 0;

	if (prefixed)
		w += 6;
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		unsigned d = ck__edit_distance(w, f->short_name, 2);
		if (d < best_d) {
			best_d = d;
			best = f;
		}
	}
	if (!best) {
		buf[0] = '\0';
		return 0;
	}
	if (prefixed)
		snprintf(buf, len, " (did you mean '%s'?)", best->name);
	else if (isupper((unsigned char)word[0]))
		snprintf(buf, len, " (did you mean '%s'?)", best->name + 6);
	else
		snprintf(buf, len, " (did you mean '%s'?)", best->short_name);
	return 0;
}

static int errno_by_name(const char *name)
{
	for (int i = 1; i < 4096; i++) {
		const char *n = ck_errno_name(i);
		if (n && strcasecmp(n, name) == 0)
			return i;
	}
	return 0;
}

static const char *errno_suggestion(const char *word)
{
	const char *best = NULL;
	unsigned best_d = 3;

	for (int i = 1; i < 4096; i++) {
		const char *n = ck_errno_name(i);
		if (!n)
			continue;
		unsigned d = ck__edit_distance(word, n, 2);
		if (d < best_d) {
			best_d = d;
			best = n;
		}
	}
	return best;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * One value of field f from token t (already known to be present); what
 * names the comparison for messages ("'pid =='").
 */
static int parse_value(struct parser *ps, enum field f, const struct token *t, const char *what,
		       int64_t *out)
{
	const struct field_info *fi = &fields[f];
	char word[64], h[96], d[DESC_MAX];
	unsigned sig;

	if (t->type == TK_NUM) {
		if (f == F_SYSCALL || f == F_ARCH || f == F_SOURCE || f == F_KINDS)
			return fail(ps, t->line, "expected a name after %s, found '%.*s'", what, TOKW(t));
		int r = parse_number(t, fi->is_unsigned, out);
		if (r == -ERANGE)
			return fail(ps, t->line, "%.*s is out of range for %s%s", TOKW(t), fi->name,
				    fi->is_unsigned ? " (it is never negative)" : "");
		if (r)
			return fail(ps, t->line, "'%.*s' is not a number", TOKW(t));
		return 0;
	}
	if (t->type != TK_WORD) {
		if (fi->type == T_NUM && f != F_EXIT_SIGNAL)
			return fail(ps, prev(ps)->line, "expected a number after %s, found %s", what,
				    desc(t, prev(ps)->line, false, d, sizeof(d)));
		return fail(ps, prev(ps)->line, "expected a %s after %s, found %s",
			    f == F_FLAGS ? "flag name" : f == F_EXIT_SIGNAL ? "signal" : "name", what,
			    desc(t, prev(ps)->line, false, d, sizeof(d)));
	}
	if (!tok_copy(t, word, sizeof(word)))
		return fail(ps, t->line, "'%.*s' is too long for a name", TOKW(t));
	switch (f) {
	case F_SYSCALL: {
		enum ck_event_call c;
		const char *names[CK_CALL__COUNT];
		lower(word);
		if (ck_event_call_parse(word, &c) == 0) {
			*out = c;
			return 0;
		}
		for (int i = 0; i < CK_CALL__COUNT; i++)
			names[i] = ck_event_call_name((enum ck_event_call)i);
		return fail(ps, t->line, "unknown syscall '%.*s'%s", TOKW(t),
			    hint(word, names, CK_ARRAY_SIZE(names),
				 "expected clone, clone3, fork, vfork, unshare or setns", h, sizeof(h)));
	}
	case F_KINDS:
		lower(word);
		for (size_t i = 0; i < CK_ARRAY_SIZE(kind_names); i++) {
			if (strcmp(word, kind_names[i]) == 0) {
				*out = (int64_t)(1u << i);
				return 0;
			}
		}
		return fail(ps, t->line, "unknown kind '%.*s'%s", TOKW(t),
			    hint(word, kind_names, CK_ARRAY_SIZE(kind_names),
				 "expected process, thread, spawn, ns_create, ns_enter or escaped", h, sizeof(h)));
	case F_SOURCE:
		lower(word);
		for (size_t i = 0; i < CK_ARRAY_SIZE(source_names); i++) {
			if (strcmp(word, source_names[i]) == 0) {
				*out = (int64_t)i;
				return 0;
			}
		}
		return fail(ps, t->line, "unknown source '%.*s' (expected trace or watch)", TOKW(t));
	case F_ARCH: {
		const struct ck_arch_info *a = ck_arch_by_name(word);
		const char *names[CK_ARCH__COUNT];
		if (a) {
			*out = a->arch;
			return 0;
		}
		for (size_t i = 0; i < CK_ARCH__COUNT; i++)
			names[i] = ck_arch_at(i) ? ck_arch_at(i)->name : NULL;
		return fail(ps, t->line, "unknown architecture '%.*s'%s", TOKW(t),
			    hint(word, names, CK_ARRAY_SIZE(names), NULL, h, sizeof(h)));
	}
	case F_FLAGS: {
		const struct ck_flag *fl = ck_flag_by_name(word);
		if (fl) {
			*out = (int64_t)fl->value;
			return 0;
		}
		flag_suggestion(word, h, sizeof(h));
		return fail(ps, t->line, "unknown flag '%.*s'%s", TOKW(t), h);
	}
	case F_EXIT_SIGNAL:
		if (ck_signal_parse(word, &sig) == 0) {
			*out = sig;
			return 0;
		}
		return fail(ps, t->line, "unknown signal '%.*s'", TOKW(t));
	case F_ERROR: {
		int e = errno_by_name(word);
		const char *s;
		if (e) {
			*out = e;
			return 0;
		}
		s = errno_suggestion(word);
		if (s)
			return fail(ps, t->line, "unknown errno name '%.*s' (did you mean '%s'?)", TOKW(t), s);
		return fail(ps, t->line, "unknown errno name '%.*s'", TOKW(t));
	}
	default:
		return fail(ps, t->line, "expected a number after %s, found '%.*s'", what, TOKW(t));
	}
}

/* A quoted string's text, escapes resolved; NULL when out of memory. */
static char *decode_string(const struct token *t)
{
	char *s = malloc(t->n), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 1; i + 1 < t->n; i++) {
		char c = t->p[i];
		if (c == '\\') {
			c = t->p[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		*o++ = c;
	}
	*o = '\0';
	return s;
}

/* ---- conditions ---- */

static int add_node(struct parser *ps, const struct node *n, uint32_t *idx)
{
	struct rule *r = ps->r;

	/* on the line of the term just read: cur() may be the next directive */
	if (r->nnodes == MAX_NODES)
		return fail(ps, prev(ps)->line, "condition of rule '%s' has more than %d terms", r->name,
			    MAX_NODES);
	if (r->nnodes == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 16;
		struct node *nn = realloc(r->nodes, cap * sizeof(*nn));
		if (!nn)
			return oom(ps, cur(ps)->line);
		r->nodes = nn;
		r->cap = cap;
	}
	r->nodes[r->nnodes] = *n;
	*idx = r->nnodes++;
	return 0;
}

static int parse_or(struct parser *ps, uint32_t *out);

#define MAX_DEPTH 32

/* Reads "( v, v, ... )" or a single v; *list says which it was. */
static int parse_list(struct parser *ps, enum field f, const char *what, int64_t **vals,
		      char ***strs, uint32_t *n, bool *list)
{
	const struct token *t = cur(ps);
	const struct token *open = t;
	size_t cap = 0;
	char d[DESC_MAX];

	*vals = NULL;
	*strs = NULL;
	*n = 0;
	*list = t->type == TK_LP;
	if (!*list) {
		if (t->type == TK_END || is_directive(t))
			return fail(ps, prev(ps)->line, "expected a value after %s, found %s", what,
				    desc(t, prev(ps)->line, false, d, sizeof(d)));
	} else {
		advance(ps);
	}
	for (;;) {
		t = cur(ps);
		if (*list && (t->type == TK_END || is_directive(t)))
			return fail(ps, open->line, "unclosed '(': expected ')' before %s",
				    desc(t, open->line, false, d, sizeof(d)));
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			if (fields[f].type == T_STR) {
				char **ns = realloc(*strs, cap * sizeof(*ns));
				if (!ns)
					return oom(ps, t->line);
				*strs = ns;
			} else {
				int64_t *nv = realloc(*vals, cap * sizeof(*nv));
				if (!nv)
					return oom(ps, t->line);
				*vals = nv;
			}
		}
		if (fields[f].type == T_STR) {
			if (t->type != TK_STR)
				return fail(ps, t->line, "expected a quoted string after %s, found %s", what,
					    desc(t, t->line, false, d, sizeof(d)));
			(*strs)[*n] = decode_string(t);
			if (!(*strs)[*n])
				return oom(ps, t->line);
		} else if (parse_value(ps, f, t, what, &(*vals)[*n])) {
			return ps->err;
		}
		(*n)++;
		advance(ps);
		if (!*list)
			return 0;
		t = cur(ps);
		if (t->type == TK_RP) {
			advance(ps);
			return 0;
		}
		if (t->type == TK_END || is_directive(t))
			return fail(ps, open->line, "unclosed '(': expected ')' before %s",
				    desc(t, open->line, false, d, sizeof(d)));
		if (t->type != TK_COMMA)
			return fail(ps, t->line, "expected ',' or ')' after '%.*s', found %s",
				    TOKW(prev(ps)), desc(t, t->line, false, d, sizeof(d)));
		advance(ps);
	}
}

static void free_list(int64_t *vals, char **strs, uint32_t n)
{
	free(vals);
	for (uint32_t i = 0; strs && i < n; i++)
		free(strs[i]);
	free(strs);
}

static const char *op_help(enum ftype t)
{
	switch (t) {
	case T_NUM: return "==, !=, <, <=, >, >=, in or not in";
	case T_NAME: return "==, !=, in or not in";
	case T_STR: return "==, !=, in, not in or matches";
	case T_MASK: return "has, has_any, has_all, lacks, == or !=";
	case T_BOOL: return "== true, == false, or the field alone";
	}
	return "";
}

static const char *const cmp_text[] = { "==", "!=", "<", "<=", ">", ">=" };

/* field OP value, after the field's token. */
static int parse_condition(struct parser *ps, enum field f, uint32_t *out)
{
	const struct field_info *fi = &fields[f];
	const struct token *op = cur(ps);
	struct node n = { .field = (uint8_t)f };
	char what[64], d[DESC_MAX];
	int64_t *vals;
	char **strs;
	uint32_t count;
	bool list;
	/* a condition continues on the next line after an operator, not before one, except inside parentheses */
	bool on_line = !op->bol || ps->parens > 0;

	if (on_line && op->type == TK_CMP) {
		snprintf(what, sizeof(what), "'%s %s'", fi->name, cmp_text[op->cmp]);
		if (op->cmp > C_NE && fi->type != T_NUM)
			return fail(ps, op->line, "operator '%s' does not apply to %s (use %s)",
				    cmp_text[op->cmp], fi->name, op_help(fi->type));
		advance(ps);
		const struct token *v = cur(ps);
		if (v->type == TK_END || is_directive(v))
			return fail(ps, op->line, "expected a value after %s, found %s", what,
				    desc(v, op->line, false, d, sizeof(d)));
		if (fi->type == T_BOOL) {
			bool val;
			if (word_is(v, "true"))
				val = true;
			else if (word_is(v, "false"))
				val = false;
			else
				return fail(ps, v->line, "expected true or false after %s, found %s", what,
					    desc(v, v->line, false, d, sizeof(d)));
			advance(ps);
			n.kind = N_BOOL;
			n.op = val != (op->cmp == C_EQ);
			return add_node(ps, &n, out);
		}
		if (fi->type == T_STR) {
			if (v->type != TK_STR)
				return fail(ps, v->line, "expected a quoted string after %s, found %s", what,
					    desc(v, v->line, false, d, sizeof(d)));
			n.kind = N_STR;
			n.op = op->cmp;
			n.str = decode_string(v);
			if (!n.str)
				return oom(ps, v->line);
			advance(ps);
			if (add_node(ps, &n, out)) {
				free(n.str);
				return ps->err;
			}
			return 0;
		}
		if (parse_value(ps, f, v, what, &n.num))
			return ps->err;
		advance(ps);
		n.kind = N_CMP;
		n.op = op->cmp;
		return add_node(ps, &n, out);
	}

	bool negated = on_line && word_is(op, "not") && word_is(&ps->t[ps->i + 1], "in");
	if ((on_line && word_is(op, "in")) || negated) {
		if (fi->type == T_MASK || fi->type == T_BOOL)
			return fail(ps, op->line, "operator '%s' does not apply to %s (use %s)",
				    negated ? "not in" : "in", fi->name, op_help(fi->type));
		if (negated)
			advance(ps);
		advance(ps);
		snprintf(what, sizeof(what), "'%s %s'", fi->name, negated ? "not in" : "in");
		if (cur(ps)->type != TK_LP)
			return fail(ps, prev(ps)->line, "expected '(' after %s, found %s", what,
				    desc(cur(ps), prev(ps)->line, false, d, sizeof(d)));
		if (parse_list(ps, f, what, &vals, &strs, &count, &list)) {
			free_list(vals, strs, count);
			return ps->err;
		}
		n.kind = fi->type == T_STR ? N_STR_IN : N_IN;
		n.op = negated;
		n.nums = vals;
		n.strs = strs;
		n.n = count;
		if (add_node(ps, &n, out)) {
			free_list(vals, strs, count);
			return ps->err;
		}
		return 0;
	}

	if (on_line && word_is(op, "matches")) {
		if (fi->type != T_STR)
			return fail(ps, op->line, "operator 'matches' does not apply to %s (use %s)",
				    fi->name, op_help(fi->type));
		advance(ps);
		const struct token *v = cur(ps);
		if (v->type != TK_STR)
			return fail(ps, due_line(v, op->line),
				    "expected a quoted pattern after '%s matches', found %s", fi->name,
				    desc(v, due_line(v, op->line), false, d, sizeof(d)));
		n.kind = N_MATCH;
		n.str = decode_string(v);
		if (!n.str)
			return oom(ps, v->line);
		advance(ps);
		if (add_node(ps, &n, out)) {
			free(n.str);
			return ps->err;
		}
		return 0;
	}

	static const struct { const char *word; enum mask_op op; } mask_ops[] = {
		{ "has", M_ALL }, { "has_all", M_ALL }, { "has_any", M_ANY }, { "lacks", M_NONE },
	};
	for (size_t i = 0; i < CK_ARRAY_SIZE(mask_ops); i++) {
		if (!on_line || !word_is(op, mask_ops[i].word))
			continue;
		if (fi->type != T_MASK)
			return fail(ps, op->line, "operator '%s' does not apply to %s (use %s)",
				    mask_ops[i].word, fi->name, op_help(fi->type));
		advance(ps);
		snprintf(what, sizeof(what), "'%s %s'", fi->name, mask_ops[i].word);
		if (i == 0 && cur(ps)->type == TK_LP)
			return fail(ps, cur(ps)->line,
				    "'has' takes one name; use has_any or has_all for a list");
		if (parse_list(ps, f, what, &vals, &strs, &count, &list)) {
			free_list(vals, strs, count);
			return ps->err;
		}
		n.kind = N_MASK;
		n.op = (uint8_t)mask_ops[i].op;
		for (uint32_t j = 0; j < count; j++)
			n.num = (int64_t)((uint64_t)n.num | (uint64_t)vals[j]);
		free_list(vals, strs, count);
		return add_node(ps, &n, out);
	}

	if (fi->type == T_BOOL) {
		n.kind = N_BOOL;
		return add_node(ps, &n, out);
	}
	return fail(ps, due_line(op, prev(ps)->line),
		    "expected an operator after '%s' (%s), found %s", fi->name, op_help(fi->type),
		    desc(op, due_line(op, prev(ps)->line), true, d, sizeof(d)));
}

static int parse_primary(struct parser *ps, uint32_t *out)
{
	const struct token *t = cur(ps);
	char d[DESC_MAX], word[64], h[224];

	if (t->type == TK_END || is_directive(t))
		return fail(ps, prev(ps)->line, "expected a condition after '%.*s', found %s",
			    TOKW(prev(ps)), desc(t, prev(ps)->line, false, d, sizeof(d)));
	if (t->type == TK_LP) {
		const struct token *open = t;
		if (++ps->depth > MAX_DEPTH)
			return fail(ps, t->line, "condition nested deeper than %d levels", MAX_DEPTH);
		advance(ps);
		ps->parens++;
		if (parse_or(ps, out))
			return ps->err;
		ps->depth--;
		ps->parens--;
		t = cur(ps);
		if (t->type == TK_RP) {
			advance(ps);
			return 0;
		}
		if (t->type == TK_END || is_directive(t))
			return fail(ps, open->line, "unclosed '(': expected ')' before %s",
				    desc(t, open->line, false, d, sizeof(d)));
		return fail(ps, t->line, "expected 'and', 'or' or ')' after '%.*s', found %s",
			    TOKW(prev(ps)), desc(t, t->line, false, d, sizeof(d)));
	}
	if (t->type != TK_WORD)
		return fail(ps, t->line, "expected a condition after '%.*s', found %s", TOKW(prev(ps)),
			    desc(t, t->line, false, d, sizeof(d)));
	if (tok_copy(t, word, sizeof(word))) {
		for (int f = 0; f < F__COUNT; f++) {
			if (strcmp(word, fields[f].name) == 0) {
				advance(ps);
				return parse_condition(ps, (enum field)f, out);
			}
		}
	} else {
		word[0] = '\0';
	}
	const char *names[F__COUNT];
	char all[192];
	size_t pos = 0;
	for (int f = 0; f < F__COUNT; f++) {
		names[f] = fields[f].name;
		ck__buf_append(all, sizeof(all), &pos, "%s%s", f ? ", " : "fields: ", names[f]);
	}
	return fail(ps, t->line, "unknown field '%.*s'%s", TOKW(t),
		    hint(word, names, F__COUNT, all, h, sizeof(h)));
}

static int parse_not(struct parser *ps, uint32_t *out)
{
	if (!word_is(cur(ps), "not"))
		return parse_primary(ps, out);
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, cur(ps)->line, "condition nested deeper than %d levels", MAX_DEPTH);
	advance(ps);
	struct node n = { .kind = N_NOT };
	if (parse_not(ps, &n.a))
		return ps->err;
	ps->depth--;
	return add_node(ps, &n, out);
}

static int parse_and(struct parser *ps, uint32_t *out)
{
	if (parse_not(ps, out))
		return ps->err;
	while (word_is(cur(ps), "and")) {
		struct node n = { .kind = N_AND, .a = *out };
		advance(ps);
		if (parse_not(ps, &n.b) || add_node(ps, &n, out))
			return ps->err;
	}
	return 0;
}

static int parse_or(struct parser *ps, uint32_t *out)
{
	if (parse_and(ps, out))
		return ps->err;
	while (word_is(cur(ps), "or")) {
		struct node n = { .kind = N_OR, .a = *out };
		advance(ps);
		if (parse_and(ps, &n.b) || add_node(ps, &n, out))
			return ps->err;
	}
	return 0;
}

/* ---- directives ---- */

/* Nothing more may follow on the directive's line. */
static int expect_eol(struct parser *ps, const char *after)
{
	const struct token *t = cur(ps);
	if (t->type == TK_END || t->bol)
		return 0;
	return fail(ps, t->line, "unexpected '%.*s' after %s", TOKW(t), after);
}


static int parse_priority(struct parser *ps)
{
	const struct token *t = cur(ps);
	char word[32], d[DESC_MAX], h[96];
	enum ck_priority p;

	if (t->type != TK_WORD || t->bol)
		return fail(ps, prev(ps)->line,
			    "expected a priority after 'priority' (info, notice, warning or critical), found %s",
			    desc(t, prev(ps)->line, true, d, sizeof(d)));
	if (!tok_copy(t, word, sizeof(word)) || ck_priority_parse(word, &p)) {
		if (t->n >= sizeof(word))
			word[0] = '\0';
		lower(word);
		return fail(ps, t->line, "unknown priority '%.*s'%s", TOKW(t),
			    hint(word, priority_names,
				 CK_ARRAY_SIZE(priority_names), "expected info, notice, warning or critical",
				 h, sizeof(h)));
	}
	ps->r->priority = p;
	advance(ps);
	return expect_eol(ps, "the priority");
}

static int parse_when(struct parser *ps)
{
	const struct token *t = cur(ps);
	char d[DESC_MAX];

	/* the condition starts on the line of its 'when' */
	if (t->bol)
		return fail(ps, prev(ps)->line, "expected a condition after 'when', found %s",
			    desc(t, prev(ps)->line, true, d, sizeof(d)));
	if (parse_or(ps, &ps->r->root))
		return ps->err;
	t = cur(ps);
	if (t->type == TK_END || t->bol)
		return 0;
	if (t->type == TK_RP)
		return fail(ps, t->line, "')' without a matching '('");
	return fail(ps, t->line, "expected 'and', 'or' or the end of the line after '%.*s', found %s",
		    TOKW(prev(ps)), desc(t, t->line, false, d, sizeof(d)));
}

/* Decimal digits and a unit: the duration in ns, and as text for messages ("1s" for "001s"). */
static int parse_duration(const struct token *t, uint64_t *ns, char *text, size_t len)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", UINT64_C(60000000000) }, { "h", UINT64_C(3600000000000) },
	};
	size_t digits = 0;
	uint64_t v;

	while (digits < t->n && isdigit((unsigned char)t->p[digits]))
		digits++;
	if (t->type != TK_NUM || ck__parse_u64n(t->p, digits, 10, UINT64_MAX, &v) || v == 0)
		return -EINVAL;
	for (size_t i = 0; i < CK_ARRAY_SIZE(units); i++) {
		if (t->n - digits == strlen(units[i].unit) && memcmp(t->p + digits, units[i].unit, t->n - digits) == 0) {
			if (v > UINT64_MAX / units[i].ns)
				return -ERANGE;
			*ns = v * units[i].ns;
			snprintf(text, len, "%" PRIu64 "%s", v, units[i].unit);
			return 0;
		}
	}
	return -EINVAL;
}

/* rate N per DURATION [by FIELD] */
static int parse_rate(struct parser *ps)
{
	struct rule *r = ps->r;
	const struct token *t = cur(ps);
	char d[DESC_MAX], word[32];
	int64_t limit;

	if (t->bol || parse_number(t, true, &limit) || limit < 1 || limit > 1000000000)
		return fail(ps, due_line(t, prev(ps)->line),
			    "expected a count from 1 to 1000000000 after 'rate', found %s",
			    desc(t, due_line(t, prev(ps)->line), true, d, sizeof(d)));
	advance(ps);
	t = cur(ps);
	if (t->bol || !word_is(t, "per"))
		return fail(ps, due_line(t, prev(ps)->line),
			    "expected 'per' after 'rate %" PRId64 "', found %s", limit,
			    desc(t, due_line(t, prev(ps)->line), true, d, sizeof(d)));
	advance(ps);
	t = cur(ps);
	if (t->bol || parse_duration(t, &r->rate_period, r->rate_period_text, sizeof(r->rate_period_text)))
		return fail(ps, due_line(t, prev(ps)->line),
			    "expected a duration after 'per' (such as 1s, 500ms, 2m or 1h), found %s",
			    desc(t, due_line(t, prev(ps)->line), true, d, sizeof(d)));
	advance(ps);
	r->rate_limit = (uint64_t)limit;
	r->rate_by = F__COUNT;
	t = cur(ps);
	if (!t->bol && word_is(t, "by")) {
		advance(ps);
		t = cur(ps);
		bool found = false;
		if (!t->bol && tok_copy(t, word, sizeof(word))) {
			for (int f = 0; f < F__COUNT; f++) {
				if (fields[f].rate_key && strcmp(word, fields[f].name) == 0) {
					r->rate_by = (enum field)f;
					found = true;
				}
			}
		}
		if (!found)
			return fail(ps, due_line(t, prev(ps)->line),
				    "expected uid, pid, ppid, comm, exe or cgroup_id after 'by', found %s",
				    desc(t, due_line(t, prev(ps)->line), true, d, sizeof(d)));
		advance(ps);
	}
	if (r->rate_by != F__COUNT) {
		r->rate_table = ck__detect_rate_table_new();
		if (!r->rate_table)
			return oom(ps, t->line);
	}
	return expect_eol(ps, "the rate");
}

static int add_piece(struct parser *ps, enum placeholder what, size_t off, size_t len)
{
	struct rule *r = ps->r;
	struct piece *np;

	if (what == P_TEXT && len == 0)
		return 0;
	if (r->npieces == r->cap_pieces) {
		uint32_t cap = r->cap_pieces ? 2 * r->cap_pieces : 8;
		np = realloc(r->pieces, cap * sizeof(*np));
		if (!np)
			return oom(ps, cur(ps)->line);
		r->pieces = np;
		r->cap_pieces = cap;
	}
	r->pieces[r->npieces++] = (struct piece){ what, (uint32_t)off, (uint32_t)len };
	return 0;
}

/* Appends the n bytes at s (a string of the message, unescaped) to the template. */
static int append_message(struct parser *ps, const char *s, size_t n, unsigned line)
{
	struct rule *r = ps->r;
	char *tmpl;

	if (r->tmpl_len + n > 4096)
		return fail(ps, line, "message longer than 4096 bytes");
	tmpl = realloc(r->tmpl, r->tmpl_len + n + 1);
	if (!tmpl)
		return oom(ps, line);
	memcpy(tmpl + r->tmpl_len, s, n);
	r->tmpl = tmpl;
	r->tmpl_len += n;
	r->tmpl[r->tmpl_len] = '\0';
	return 0;
}

/* The line of the message's string that holds byte off of the template; its strings start at token first. */
static unsigned line_of(const struct parser *ps, size_t first, size_t off)
{
	size_t at = 0, i = first;

	for (;;) {
		const struct token *t = &ps->t[i];
		size_t len = t->n - 2; /* its bytes unescaped: one fewer for each escape */
		for (size_t k = 1; k + 1 < t->n; k++)
			if (t->p[k] == '\\')
				len--, k++;
		if (off < at + len || i + 1 >= ps->n || ps->t[i + 1].type != TK_STR || !ps->t[i + 1].bol)
			return t->line;
		at += len;
		i++;
	}
}

/*
 * Splits the whole template (the message's strings joined) into text and
 * placeholders, so that a placeholder or a "{{" may span two strings; an
 * error names the line of the string that holds the '{' at fault.
 */
static int split_message(struct parser *ps, size_t first, unsigned line)
{
	struct rule *r = ps->r;
	const char *s = r->tmpl ? r->tmpl : "";
	size_t len = r->tmpl_len, start = 0;
	char h[96];

	for (size_t i = 0; i < len; i++) {
		if ((s[i] == '}' || s[i] == '{') && s[i + 1] == s[i]) {
			if (add_piece(ps, P_TEXT, start, i + 1 - start))
				return ps->err;
			start = ++i + 1;
			continue;
		}
		if (s[i] != '{')
			continue;
		unsigned at = first == SIZE_MAX ? line : line_of(ps, first, i);
		const char *close = strchr(s + i, '}');
		if (!close)
			return fail(ps, at, "unclosed '{' in the message (write '{{' for a brace)");
		size_t n = (size_t)(close - (s + i + 1));
		enum placeholder what = P_TEXT;
		char name[32] = "";
		if (n < sizeof(name)) {
			memcpy(name, s + i + 1, n);
			name[n] = '\0';
		}
		for (int p = 1; p < P__COUNT; p++)
			if (strcmp(name, placeholders[p]) == 0)
				what = (enum placeholder)p;
		if (what == P_TEXT) {
			const char *near = suggest_from(name, placeholders, P__COUNT);
			if (near)
				snprintf(h, sizeof(h), " (did you mean '{%s}'?)", near);
			else
				snprintf(h, sizeof(h), " (write '{{' for a brace)");
			return fail(ps, at, "unknown placeholder '{%s}' in the message%s",
				    shown(s + i + 1, n, (char[SHOWN_MAX]){ 0 }), h);
		}
		if (add_piece(ps, P_TEXT, start, i - start) || add_piece(ps, what, 0, 0))
			return ps->err;
		i += n + 1;
		start = i + 1;
	}
	return add_piece(ps, P_TEXT, start, len - start);
}

static int parse_message(struct parser *ps)
{
	const struct token *t = cur(ps);
	size_t first = ps->i;
	char d[DESC_MAX];

	if (t->type != TK_STR || t->bol)
		return fail(ps, due_line(t, prev(ps)->line),
			    "expected a quoted string after 'message', found %s",
			    desc(t, due_line(t, prev(ps)->line), true, d, sizeof(d)));
	do {
		char *text = decode_string(t);
		if (!text)
			return oom(ps, t->line);
		int r = append_message(ps, text, strlen(text), t->line);
		free(text);
		if (r)
			return r;
		advance(ps);
		t = cur(ps);
		if (t->type == TK_STR && !t->bol)
			return fail(ps, t->line, "two strings on one line of a message (a message continues with one string per line)");
	} while (t->type == TK_STR);
	if (expect_eol(ps, "the message"))
		return ps->err;
	return split_message(ps, first, 0);
}

static const char default_message[] = "{comm} ({pid}) matched rule {rule}: {syscall}({flags})";

static const struct {
	const char *word;
	int (*parse)(struct parser *ps);
} rule_directives[DIR__COUNT] = {
	[DIR_PRIORITY] = { "priority", parse_priority },
	[DIR_WHEN] = { "when", parse_when },
	[DIR_RATE] = { "rate", parse_rate },
	[DIR_MESSAGE] = { "message", parse_message },
};

static int finish_rule(struct parser *ps, const struct token *end)
{
	struct rule *r = ps->r;

	if (!r->seen_on[DIR_WHEN])
		return fail(ps, r->line, "rule '%s' has no 'when'", r->name);
	r->prog = calloc(r->nnodes, sizeof(*r->prog));
	if (!r->prog)
		return oom(ps, end->line);
	r->entry = ck__detect_flatten(r, r->root, MATCH, NO_MATCH);
	if (!r->seen_on[DIR_PRIORITY])
		r->priority = CK_PRIORITY_WARNING;
	if (!r->seen_on[DIR_MESSAGE] &&
	    (append_message(ps, default_message, strlen(default_message), end->line) ||
	     split_message(ps, SIZE_MAX, end->line)))
		return ps->err;
	if (ck__detect_index_reserve(&ps->names, ps->out, ps->nout, ps->nout + 1))
		return oom(ps, end->line);
	uint32_t *slot = ck__detect_index_find(&ps->names, ps->out, r->name);
	if (*slot)
		return fail(ps, r->line, "rule '%s' is defined twice (first on line %u)", r->name,
			    ps->out[*slot - 1]->line);
	if (ps->nout == ps->capout) {
		size_t cap = ps->capout ? ps->capout * 2 : 16;
		struct rule **no = realloc(ps->out, cap * sizeof(*no));
		if (!no)
			return oom(ps, end->line);
		ps->out = no;
		ps->capout = cap;
	}
	ps->out[ps->nout++] = r;
	*slot = (uint32_t)ps->nout;
	ps->r = NULL;
	return 0;
}

static int parse_rule(struct parser *ps)
{
	const struct token *t = cur(ps);
	struct rule *r;
	char d[DESC_MAX], word[32], h[96];

	r = calloc(1, sizeof(*r));
	if (!r)
		return oom(ps, t->line);
	ps->r = r;
	r->line = t->line;
	advance(ps);
	t = cur(ps);
	if (t->type != TK_WORD || t->bol)
		return fail(ps, r->line, "expected a rule name after 'rule', found %s",
			    desc(t, r->line, true, d, sizeof(d)));
	if (t->n > 64)
		return fail(ps, t->line, "rule name '%.*s...' is longer than 64 characters", TOKW(t));
	r->name = strndup(t->p, t->n);
	if (!r->name)
		return oom(ps, t->line);
	advance(ps);
	if (expect_eol(ps, "the rule name"))
		return ps->err;

	for (;;) {
		t = cur(ps);
		if (t->type == TK_END)
			return fail(ps, r->line, "rule '%s' has no 'end'", r->name);
		if (word_is(t, "end")) {
			/* judged at its 'end', before what follows it is read */
			if (finish_rule(ps, t))
				return ps->err;
			advance(ps);
			return expect_eol(ps, "'end'");
		}
		if (word_is(t, "rule"))
			return fail(ps, t->line, "expected 'end' before the next 'rule' (rule '%s' from line %u is still open)",
				    r->name, r->line);
		enum directive k = DIR__COUNT;
		for (int i = 0; i < DIR__COUNT; i++)
			if (word_is(t, rule_directives[i].word))
				k = (enum directive)i;
		if (k < DIR__COUNT) {
			if (r->seen_on[k])
				return fail(ps, t->line, "second '%.*s' in rule '%s' (the first is on line %u)",
					    TOKW(t), r->name, r->seen_on[k]);
			r->seen_on[k] = t->line;
			advance(ps);
			if (rule_directives[k].parse(ps))
				return ps->err;
		} else {
			if (!tok_copy(t, word, sizeof(word)))
				word[0] = '\0';
			return fail(ps, t->line, "expected priority, when, rate, message or end in rule '%s', found %s%s",
				    r->name, desc(t, t->line, false, d, sizeof(d)),
				    t->type == TK_WORD
					    ? hint(word, directives, CK_ARRAY_SIZE(directives), NULL, h, sizeof(h))
					    : "");
		}
	}
}

void ck__detect_parser_free(struct parser *ps)
{
	for (size_t i = 0; i < ps->nout; i++)
		ck__detect_rule_free(ps->out[i]);
	free(ps->out);
	free(ps->names.slot);
	ck__detect_rule_free(ps->r);
	free(ps->t);
}

static int parse_rules(struct parser *ps)
{
	char d[DESC_MAX];

	ps->i = 0;
	while (cur(ps)->type != TK_END) {
		const struct token *t = cur(ps);
		if (!word_is(t, "rule"))
			return fail(ps, t->line, "expected 'rule', found %s", desc(t, t->line, false, d, sizeof(d)));
		if (parse_rule(ps))
			return ps->err;
	}
	return 0;
}

int ck__detect_parse(struct parser *ps, const char *text)
{
	char lex_msg[sizeof(ps->msg)];
	unsigned lex_line;
	size_t lex_end;

	if (!ck__detect_lex(ps, text))
		return parse_rules(ps);
	if (ps->err != -EINVAL)
		return ps->err;
	/* a character that starts no token: read up to it, and name it unless an error comes first */
	memcpy(lex_msg, ps->msg, sizeof(lex_msg));
	lex_line = ps->err_line;
	lex_end = ps->n - 1;
	ps->err = 0;
	if (parse_rules(ps) && (ps->err != -EINVAL || ps->i != lex_end))
		return ps->err;
	/* nothing wrong before it, or only what ended there because the text was cut */
	memcpy(ps->msg, lex_msg, sizeof(ps->msg));
	ps->err_line = lex_line;
	return ps->err = -EINVAL;
}
