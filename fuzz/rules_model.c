/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rule language as docs/rules.md states it (rules_model.h). Each part
 * cites the sentence it follows; where the document is silent the choice is
 * said in a comment.
 */
#include "rules_model.h"

#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <clonekit/abi.h>
#include <clonekit/flags.h>
#include <clonekit/validate.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the document's tables ---- */

enum type { NUMBER, NAME, STRING, SET, BOOLEAN };

/* "## Fields": name, type, whether a number may be negative ("negative where the field can be"), key of a rate */
static const struct field {
	const char *name;
	enum type type;
	bool negative;
	bool rate_key;
} fields[] = {
	{ "syscall", NAME, false, false },   { "pid", NUMBER, true, true },
	{ "tid", NUMBER, true, false },      { "ppid", NUMBER, true, true },
	{ "uid", NUMBER, false, true },      { "comm", STRING, false, true },
	{ "exe", STRING, false, true },      { "flags", SET, false, false },
	{ "exit_signal", NUMBER, false, false }, { "result", NUMBER, true, false },
	{ "error", NAME, false, false },     { "failed", BOOLEAN, false, false },
	{ "kinds", SET, false, false },      { "in_container", BOOLEAN, false, false },
	{ "traced", BOOLEAN, false, false }, { "arch", NAME, false, false },
	{ "cgroup_id", NUMBER, false, true }, { "source", NAME, false, false },
};
enum { F_SYSCALL, F_PID, F_TID, F_PPID, F_UID, F_COMM, F_EXE, F_FLAGS, F_EXIT_SIGNAL, F_RESULT,
       F_ERROR, F_FAILED, F_KINDS, F_IN_CONTAINER, F_TRACED, F_ARCH, F_CGROUP_ID, F_SOURCE };

static const char *const syscalls[] = { "clone", "clone3", "fork", "vfork", "unshare", "setns" };
static const char *const kinds[] = { "process", "thread", "spawn", "ns_create", "ns_enter", "escaped" };
static const char *const sources[] = { "trace", "watch" };
static const char *const priorities[] = { "info", "notice", "warning", "critical" };
static const char *const placeholders[] = { "comm", "pid", "tid", "ppid", "uid", "exe", "syscall", "flags",
					    "result", "error", "exit_signal", "arch", "cgroup_id", "rule", "count" };
static const char *const rate_keys[] = { "uid", "pid", "ppid", "comm", "exe", "cgroup_id" };
static const struct { const char *unit; uint64_t ns; } units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	{ "m", UINT64_C(60000000000) }, { "h", UINT64_C(3600000000000) },
};

/* Limits of a condition: 1024 terms (tests, and, or, not), 32 levels of parentheses and nots. */
#define MAX_TERMS 1024
#define MAX_NESTING 32
/* A message's strings, joined and unescaped, hold at most 4096 bytes. */
#define MAX_MESSAGE 4096
/* "rate N": N from 1 to 1000000000. */
#define MAX_RATE 1000000000
#define KEYS 1024

static int index_of(const char *const *names, size_t n, const char *w, size_t len, bool any_case)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len &&
		    (any_case ? strncasecmp(names[i], w, len) : strncmp(names[i], w, len)) == 0)
			return (int)i;
	return -1;
}

/* ---- the compiled form ---- */

enum op { EQ, NE, LT, LE, GT, GE, IN, NOT_IN, MATCHES, HAS_ALL, HAS_ANY, LACKS, ALONE };
enum kind { OR, AND, NOT, TEST };

struct node {
	enum kind kind;
	struct node *a, *b;
	int field;
	enum op op;
	bool want;           /* ALONE, and a boolean compared with true or false */
	int64_t *vals;
	char **strs;
	size_t n;
};

struct window {
	uint64_t key;
	char *bytes; /* comm and exe keys: their bytes */
	size_t len;
	uint64_t start, count, seq;
};

enum piece_kind { TEXT, HOLE };
struct piece {
	enum piece_kind kind;
	int hole;          /* index in placeholders */
	char *text;
	size_t len;
};

struct rm_rule {
	char name[65];
	enum ck_priority priority;
	struct node *cond;
	bool has_rate;
	uint64_t limit, period, period_value;
	const char *period_unit;
	int by; /* a field, or -1 */
	struct window *win;
	size_t nwin, seq;
	struct window shared;
	struct piece *pieces;
	size_t npieces;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->vals);
	for (size_t i = 0; n->strs && i < n->n; i++)
		free(n->strs[i]);
	free(n->strs);
	free(n);
}

static void windows_free(struct rm_rule *r)
{
	for (size_t i = 0; i < r->nwin; i++)
		free(r->win[i].bytes);
	free(r->win);
	r->win = NULL;
	r->nwin = 0;
	memset(&r->shared, 0, sizeof(r->shared));
}

static void rule_free(struct rm_rule *r)
{
	if (!r)
		return;
	node_free(r->cond);
	windows_free(r);
	for (size_t i = 0; i < r->npieces; i++)
		free(r->pieces[i].text);
	free(r->pieces);
	free(r);
}

void rm_rule_forget(struct rm_rule *r)
{
	windows_free(r);
}

const char *rm_rule_name(const struct rm_rule *r)
{
	return r->name;
}

enum ck_priority rm_rule_priority(const struct rm_rule *r)
{
	return r->priority;
}

void rm_set_free(struct rm_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		rule_free(set->rules[i]);
	free(set->rules);
	memset(set, 0, sizeof(*set));
}

static void set_push(struct rm_set *set, struct rm_rule *r)
{
	if (set->count == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 16;
		set->rules = realloc(set->rules, set->cap * sizeof(*set->rules));
		if (!set->rules)
			abort();
	}
	set->rules[set->count++] = r;
}

/* "A rule whose name is already in the set replaces that rule in place ... its rate windows forgotten" */
void rm_set_merge(struct rm_set *set, struct rm_set *in)
{
	for (size_t i = 0; i < in->count; i++) {
		size_t j = 0;
		while (j < set->count && strcmp(set->rules[j]->name, in->rules[i]->name) != 0)
			j++;
		if (j < set->count) {
			rule_free(set->rules[j]);
			set->rules[j] = in->rules[i];
		} else {
			set_push(set, in->rules[i]);
		}
	}
	in->count = 0;
	rm_set_free(in);
}

/* ---- tokens ("## Format") ---- */

enum tk { T_END, T_WORD, T_NUM, T_STR, T_OP, T_LP, T_RP, T_COMMA, T_BAD };

struct tok {
	enum tk kind;
	const char *p;
	size_t n;
	unsigned line;
	bool first;    /* the first token of its line */
	enum op op;    /* T_OP */
	const char *bad; /* T_BAD: what is wrong */
};

struct reader {
	struct tok *t;
	size_t n, cap, i;
	struct rm_error *err;
	bool failed;
	struct rm_pool *pool;
	unsigned rule_line;
	int parens;          /* open '(' of the condition, its groups and lists */
	int nesting;         /* open groups and nots */
	unsigned terms;
	const struct tok *last; /* the condition's last token read */
	struct tok end;         /* where a condition ends before the next line */
	struct rm_set out;
};

static void push_tok(struct reader *rd, struct tok t)
{
	if (rd->n == rd->cap) {
		rd->cap = rd->cap ? 2 * rd->cap : 64;
		rd->t = realloc(rd->t, rd->cap * sizeof(*rd->t));
		if (!rd->t)
			abort();
	}
	rd->t[rd->n++] = t;
}

static bool word_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* "Names are letters, digits, _, -, . and +, starting with a letter or _" */
static bool word_char(int c)
{
	return word_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '+';
}

/*
 * The text's tokens, up to the first that is none (a T_BAD, which the
 * reader reports only if it gets there: the first error is the one named).
 * Space is ' ', tab, CR, VT and FF (the document is silent: C's isspace,
 * so that CRLF files read).
 */
static void tokenize(struct reader *rd, const char *s)
{
	unsigned line = 1;
	bool first = true;
	size_t i = 0;

	for (;;) {
		struct tok t = { .p = s + i, .line = line, .first = first };
		unsigned char c = (unsigned char)s[i];
		if (c == '\0') {
			t.kind = T_END;
			push_tok(rd, t);
			return;
		}
		if (c == '\n') {
			line++;
			first = true;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
			i++;
			continue;
		}
		if (c == '#') { /* "a comment runs to the end of the line" */
			while (s[i] && s[i] != '\n')
				i++;
			continue;
		}
		if (word_start(c)) {
			t.kind = T_WORD;
			while (word_char((unsigned char)s[i]))
				i++;
		} else if (isdigit(c) || (c == '-' && isdigit((unsigned char)s[i + 1]))) {
			/* a number, or a duration: digits and the letters of a unit or of hex */
			t.kind = T_NUM;
			i++;
			while (isalnum((unsigned char)s[i]) || s[i] == '_')
				i++;
		} else if (c == '"') {
			/* "Strings are in double quotes and end on the line they start; \", \\, \n and \t are the only escapes." */
			t.kind = T_STR;
			for (i++; s[i] != '"'; i++) {
				if (s[i] == '\0' || s[i] == '\n') {
					t.kind = T_BAD;
					t.bad = "unterminated string";
					break;
				}
				if (s[i] == '\\') {
					if (!s[i + 1] || !strchr("\"\\nt", s[i + 1])) {
						t.kind = T_BAD;
						t.bad = "unknown escape";
						break;
					}
					i++;
				}
			}
			if (t.kind == T_BAD) {
				push_tok(rd, t);
				t.kind = T_END;
				push_tok(rd, t);
				return;
			}
			i++;
		} else if (c == '(' || c == ')' || c == ',') {
			t.kind = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
			i++;
		} else if ((c == '=' || c == '!') && s[i + 1] == '=') {
			t.kind = T_OP;
			t.op = c == '=' ? EQ : NE;
			i += 2;
		} else if (c == '<' || c == '>') {
			t.kind = T_OP;
			bool eq = s[i + 1] == '=';
			t.op = c == '<' ? (eq ? LE : LT) : (eq ? GE : GT);
			i += eq ? 2 : 1;
		} else {
			t.kind = T_BAD;
			t.bad = "not a token";
			push_tok(rd, t);
			t.kind = T_END;
			push_tok(rd, t);
			return;
		}
		t.n = (size_t)(s + i - t.p);
		push_tok(rd, t);
		first = false;
	}
}

static const struct tok *cur(struct reader *rd)
{
	return &rd->t[rd->i];
}

static const struct tok *peek(struct reader *rd, size_t k)
{
	size_t j = rd->i + k;
	return &rd->t[j < rd->n ? j : rd->n - 1];
}

static void next(struct reader *rd)
{
	if (rd->t[rd->i].kind != T_END)
		rd->i++;
}

static bool is_word(const struct tok *t, const char *w)
{
	return t->kind == T_WORD && t->n == strlen(w) && memcmp(t->p, w, t->n) == 0;
}

/* Records the first error, at token t's line (a T_BAD token's own reason wins). */
static int fail(struct reader *rd, const struct tok *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct reader *rd, const struct tok *t, const char *fmt, ...)
{
	va_list ap;

	if (rd->failed)
		return -1;
	rd->failed = true;
	rd->err->err_line = t->line;
	rd->err->rule_line = rd->rule_line ? rd->rule_line : t->line;
	if (t->kind == T_BAD) {
		snprintf(rd->err->what, sizeof(rd->err->what), "%s", t->bad);
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(rd->err->what, sizeof(rd->err->what), fmt, ap);
	va_end(ap);
	return -1;
}

/* The end of a directive's line: the next token starts a line, or there is none. */
static int end_of_line(struct reader *rd, const char *after)
{
	const struct tok *t = cur(rd);
	return t->kind == T_END || t->first ? 0 : fail(rd, t, "something after %s", after);
}

/* ---- values ---- */

/* "Numbers are decimal or 0x hexadecimal, negative where the field can be." */
static bool number(const struct tok *t, bool negative_ok, bool is_unsigned, int64_t *out)
{
	const char *p = t->p;
	size_t n = t->n;
	bool neg = false;
	uint64_t v = 0, base = 10;

	if (t->kind != T_NUM)
		return false;
	if (*p == '-') {
		neg = true;
		p++;
		n--;
	}
	if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		int c = tolower((unsigned char)p[i]);
		uint64_t d = isdigit(c) ? (uint64_t)(c - '0') : (base == 16 && c >= 'a' && c <= 'f') ? (uint64_t)(c - 'a' + 10) : 99;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (neg) {
		if (!negative_ok || v > (uint64_t)INT64_MAX + 1)
			return false;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return true;
	}
	if (!is_unsigned && v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

static bool is_unsigned(int f)
{
	return !fields[f].negative && fields[f].type != STRING && fields[f].type != BOOLEAN;
}

static char *unquote(const struct tok *t, size_t *len)
{
	char *s = malloc(t->n), *o = s;
	if (!s)
		abort();
	for (size_t i = 1; i + 1 < t->n; i++) {
		char c = t->p[i];
		if (c == '\\') {
			c = t->p[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		*o++ = c;
	}
	*o = '\0';
	if (len)
		*len = (size_t)(o - s);
	return s;
}

static bool errno_named(const char *w, size_t n, int64_t *out)
{
	for (int e = 1; e < 4096; e++) {
		const char *name = ck_errno_name(e);
		if (name && strlen(name) == n && strncasecmp(name, w, n) == 0) {
			*out = e;
			return true;
		}
	}
	return false;
}

/* One value of field f (a name, number or string by its type); false when t is none. */
static bool value(int f, const struct tok *t, int64_t *out, char **str)
{
	char w[80];

	if (fields[f].type == STRING) {
		if (t->kind != T_STR)
			return false;
		*str = unquote(t, NULL);
		return true;
	}
	if (t->kind == T_NUM) {
		/* "a number is a mask" (flags), signals and errnos have numbers; syscalls, kinds, archs and sources only names */
		if (f == F_SYSCALL || f == F_KINDS || f == F_ARCH || f == F_SOURCE)
			return false;
		return number(t, fields[f].negative, is_unsigned(f), out);
	}
	if (t->kind != T_WORD || t->n >= sizeof(w))
		return false;
	memcpy(w, t->p, t->n);
	w[t->n] = '\0';
	int i;
	unsigned sig;
	const struct ck_flag *fl;
	const struct ck_arch_info *a;
	switch (f) {
	case F_SYSCALL: /* names "not case-sensitive" */
		i = index_of(syscalls, COUNT(syscalls), w, t->n, true);
		*out = i;
		return i >= 0;
	case F_KINDS:
		i = index_of(kinds, COUNT(kinds), w, t->n, true);
		*out = i >= 0 ? 1 << i : 0;
		return i >= 0;
	case F_SOURCE: /* not in the document's list of names in any case: as the others */
		i = index_of(sources, COUNT(sources), w, t->n, true);
		*out = i;
		return i >= 0;
	case F_ARCH: /* "aliases like amd64 work": ck_arch_by_name's */
		a = ck_arch_by_name(w);
		*out = a ? a->arch : 0;
		return a != NULL;
	case F_FLAGS: /* "Flag names are those of ck_flag_by_name()" */
		fl = ck_flag_by_name(w);
		*out = fl ? (int64_t)fl->value : 0;
		return fl != NULL;
	case F_EXIT_SIGNAL: /* "Signals are those of ck_signal_parse()" */
		if (ck_signal_parse(w, &sig))
			return false;
		*out = sig;
		return true;
	case F_ERROR:
		return errno_named(w, t->n, out);
	default:
		return false;
	}
}

static void pool_add(struct rm_pool *pool, const struct tok *t)
{
	int64_t v;
	if (!pool)
		return;
	if (t->kind == T_NUM && pool->nnums < COUNT(pool->nums) && number(t, true, true, &v))
		pool->nums[pool->nnums++] = v;
	if (t->kind == T_STR && pool->nstrs < COUNT(pool->strs)) {
		char *s = unquote(t, NULL);
		snprintf(pool->strs[pool->nstrs++], sizeof(pool->strs[0]), "%s", s);
		free(s);
	}
}

/* ---- conditions ("## Operators") ---- */

/*
 * The condition's next token, or the end when the token does not belong to
 * it: "A condition continues on the next line when that line starts with
 * and or or, when the line before ends with and, or, not or an operator, or
 * inside parentheses."
 */
static const struct tok *ctok(struct reader *rd)
{
	static const char *const continuing[] = { "and", "or", "not", "in", "matches", "has", "has_all",
						  "has_any", "lacks" };
	const struct tok *t = cur(rd), *l = rd->last;

	if (t->kind == T_END || !t->first || rd->parens > 0 || is_word(t, "and") || is_word(t, "or"))
		return t;
	if (l && (l->kind == T_OP || (l->kind == T_WORD && index_of(continuing, COUNT(continuing), l->p, l->n, false) >= 0)))
		return t;
	/* the end of the condition, where the next line begins */
	rd->end = (struct tok){ .kind = T_END, .line = t->line, .first = true };
	return &rd->end;
}

static void take(struct reader *rd)
{
	rd->last = cur(rd);
	next(rd);
}

static struct node *new_node(enum kind k)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		abort();
	n->kind = k;
	return n;
}

/* Counts a term as it is made; the limit's error names the token after it. */
static int count_term(struct reader *rd)
{
	if (++rd->terms > MAX_TERMS)
		return fail(rd, cur(rd), "more than %d terms", MAX_TERMS);
	return 0;
}

static int read_or(struct reader *rd, struct node **out);

/* "( v, v, ... )" when t is '(' and list is allowed, else one value. */
static int read_values(struct reader *rd, struct node *n, bool list_ok, bool list_needed)
{
	const struct tok *t = ctok(rd);
	bool list = t->kind == T_LP;

	if (list && !list_ok)
		return fail(rd, t, "'has' takes one name");
	if (!list && list_needed)
		return fail(rd, t, "expected '('");
	if (list) {
		rd->parens++;
		take(rd);
	}
	for (;;) {
		t = ctok(rd);
		int64_t v = 0;
		char *s = NULL;
		if (!value(n->field, t, &v, &s))
			return fail(rd, t, "not a value of %s", fields[n->field].name);
		n->vals = realloc(n->vals, (n->n + 1) * sizeof(*n->vals));
		n->strs = realloc(n->strs, (n->n + 1) * sizeof(*n->strs));
		if (!n->vals || !n->strs)
			abort();
		n->vals[n->n] = v;
		n->strs[n->n] = s;
		n->n++;
		take(rd);
		if (!list)
			return 0;
		t = ctok(rd);
		if (t->kind == T_RP) {
			rd->parens--;
			take(rd);
			return 0;
		}
		if (t->kind != T_COMMA)
			return fail(rd, t, "expected ',' or ')'");
		take(rd);
	}
}

/* The test after a field's name. */
static int read_test(struct reader *rd, int f, struct node **out)
{
	struct node *n = new_node(TEST);
	const struct tok *t = ctok(rd);
	enum type type = fields[f].type;
	int r = 0;

	*out = n;
	n->field = f;
	if (t->kind == T_OP) {
		n->op = t->op;
		if (t->op > NE && type != NUMBER)
			return fail(rd, t, "operator does not apply");
		take(rd);
		t = ctok(rd);
		if (type == BOOLEAN) {
			/* "the field alone, == true, == false, != ..." */
			if (!is_word(t, "true") && !is_word(t, "false"))
				return fail(rd, t, "expected true or false");
			n->want = is_word(t, "true") == (n->op == EQ);
			n->op = ALONE;
			take(rd);
		} else {
			r = read_values(rd, n, false, false);
		}
	} else if (is_word(t, "in") || (is_word(t, "not") && is_word(peek(rd, 1), "in"))) {
		if (type == SET || type == BOOLEAN)
			return fail(rd, t, "operator does not apply");
		n->op = is_word(t, "in") ? IN : NOT_IN;
		if (n->op == NOT_IN)
			take(rd);
		take(rd);
		r = read_values(rd, n, true, true);
	} else if (is_word(t, "matches")) {
		if (type != STRING)
			return fail(rd, t, "operator does not apply");
		n->op = MATCHES;
		take(rd);
		r = read_values(rd, n, false, false);
	} else if (is_word(t, "has") || is_word(t, "has_all") || is_word(t, "has_any") || is_word(t, "lacks")) {
		if (type != SET)
			return fail(rd, t, "operator does not apply");
		bool has = is_word(t, "has");
		/* has_all and has_any take one name or a list; the document shows the list */
		n->op = has || is_word(t, "has_all") ? HAS_ALL : is_word(t, "has_any") ? HAS_ANY : LACKS;
		take(rd);
		r = read_values(rd, n, !has, false);
	} else if (type == BOOLEAN) {
		n->op = ALONE;
		n->want = true;
	} else {
		return fail(rd, t, "expected an operator after %s", fields[f].name);
	}
	return r ? r : count_term(rd);
}

static int read_primary(struct reader *rd, struct node **out)
{
	const struct tok *t = ctok(rd);

	if (t->kind == T_LP) {
		if (++rd->nesting > MAX_NESTING)
			return fail(rd, t, "nested deeper than %d", MAX_NESTING);
		rd->parens++;
		take(rd);
		if (read_or(rd, out))
			return -1;
		t = ctok(rd);
		if (t->kind != T_RP)
			return fail(rd, t, "expected ')'");
		rd->parens--;
		rd->nesting--;
		take(rd);
		return 0;
	}
	if (t->kind == T_WORD) {
		for (size_t f = 0; f < COUNT(fields); f++) {
			if (is_word(t, fields[f].name)) {
				take(rd);
				return read_test(rd, (int)f, out);
			}
		}
	}
	return fail(rd, t, "expected a condition");
}

/* "Conditions combine with not, and, or (binding in that order, tightest first)" */
static int read_not(struct reader *rd, struct node **out)
{
	const struct tok *t = ctok(rd);
	if (!is_word(t, "not"))
		return read_primary(rd, out);
	if (++rd->nesting > MAX_NESTING)
		return fail(rd, t, "nested deeper than %d", MAX_NESTING);
	take(rd);
	struct node *n = new_node(NOT);
	*out = n;
	if (read_not(rd, &n->a))
		return -1;
	rd->nesting--;
	return count_term(rd);
}

static int read_and(struct reader *rd, struct node **out)
{
	if (read_not(rd, out))
		return -1;
	while (is_word(ctok(rd), "and")) {
		struct node *n = new_node(AND);
		n->a = *out;
		*out = n;
		take(rd);
		if (read_not(rd, &n->b) || count_term(rd))
			return -1;
	}
	return 0;
}

static int read_or(struct reader *rd, struct node **out)
{
	if (read_and(rd, out))
		return -1;
	while (is_word(ctok(rd), "or")) {
		struct node *n = new_node(OR);
		n->a = *out;
		*out = n;
		take(rd);
		if (read_and(rd, &n->b) || count_term(rd))
			return -1;
	}
	return 0;
}

/* ---- directives ---- */

static int read_priority(struct reader *rd, struct rm_rule *r)
{
	const struct tok *t = cur(rd);
	int p = t->kind == T_WORD && !t->first ? index_of(priorities, COUNT(priorities), t->p, t->n, true) : -1;
	if (p < 0)
		return fail(rd, t, "expected a priority");
	r->priority = (enum ck_priority)p;
	next(rd);
	return end_of_line(rd, "the priority");
}

static int read_when(struct reader *rd, struct rm_rule *r)
{
	rd->parens = rd->nesting = 0;
	rd->terms = 0;
	if (read_or(rd, &r->cond))
		return -1;
	return end_of_line(rd, "the condition");
}

/* "rate N per DURATION [by KEY]" on its line; DURATION is digits and a unit (ns, us, ms, s, m, h). */
static int read_rate(struct reader *rd, struct rm_rule *r)
{
	const struct tok *t = cur(rd);
	int64_t n;

	if (t->first || !number(t, false, true, &n) || n < 1 || n > MAX_RATE)
		return fail(rd, t, "expected a count");
	r->limit = (uint64_t)n;
	next(rd);
	t = cur(rd);
	if (t->first || !is_word(t, "per"))
		return fail(rd, t, "expected 'per'");
	next(rd);
	t = cur(rd);
	size_t d = 0;
	uint64_t v = 0;
	while (t->kind == T_NUM && d < t->n && isdigit((unsigned char)t->p[d])) {
		uint64_t digit = (uint64_t)(t->p[d] - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return fail(rd, t, "duration out of range");
		v = v * 10 + digit;
		d++;
	}
	int u = t->kind == T_NUM && !t->first && d ? index_of((const char *const[]){ "ns", "us", "ms", "s", "m", "h" }, 6,
						 t->p + d, t->n - d, false) : -1;
	/* a window of no time counts nothing: the document's durations are positive */
	if (u < 0 || v == 0 || v > UINT64_MAX / units[u].ns)
		return fail(rd, t, "expected a duration");
	r->period = v * units[u].ns;
	r->period_value = v;
	r->period_unit = units[u].unit;
	if (rd->pool && rd->pool->nperiods < COUNT(rd->pool->periods))
		rd->pool->periods[rd->pool->nperiods++] = r->period;
	next(rd);
	r->by = -1;
	t = cur(rd);
	if (!t->first && is_word(t, "by")) {
		next(rd);
		t = cur(rd);
		int k = t->kind == T_WORD && !t->first ? index_of(rate_keys, COUNT(rate_keys), t->p, t->n, false) : -1;
		if (k < 0)
			return fail(rd, t, "expected a key");
		for (size_t f = 0; f < COUNT(fields); f++)
			if (strcmp(fields[f].name, rate_keys[k]) == 0)
				r->by = (int)f;
		next(rd);
	}
	r->has_rate = true;
	return end_of_line(rd, "the rate");
}

static void add_piece(struct rm_rule *r, enum piece_kind k, int hole, const char *text, size_t len)
{
	if (k == TEXT && len == 0)
		return;
	r->pieces = realloc(r->pieces, (r->npieces + 1) * sizeof(*r->pieces));
	if (!r->pieces)
		abort();
	struct piece *p = &r->pieces[r->npieces++];
	p->kind = k;
	p->hole = hole;
	p->text = NULL;
	p->len = len;
	if (k == TEXT) {
		p->text = malloc(len);
		if (!p->text)
			abort();
		memcpy(p->text, text, len);
	}
}

/*
 * "{name} is replaced when the alert is made; {{ and }} are literal braces",
 * over the message's strings joined. A '}' alone is itself (the document is
 * silent); a '{' that is not "{{" opens a placeholder up to the next '}'.
 */
static int compile(struct reader *rd, struct rm_rule *r, const char *s, size_t len, const struct tok *at)
{
	size_t start = 0, i = 0;

	while (i < len) {
		if ((s[i] == '}' || s[i] == '{') && i + 1 < len && s[i + 1] == s[i]) {
			add_piece(r, TEXT, 0, s + start, i + 1 - start);
			i += 2;
			start = i;
			continue;
		}
		if (s[i] != '{') {
			i++;
			continue;
		}
		const char *close = memchr(s + i, '}', len - i);
		if (!close)
			return fail(rd, at, "unclosed '{'");
		int h = index_of(placeholders, COUNT(placeholders), s + i + 1, (size_t)(close - s - i - 1), false);
		if (h < 0)
			return fail(rd, at, "unknown placeholder");
		add_piece(r, TEXT, 0, s + start, i - start);
		add_piece(r, HOLE, h, NULL, 0);
		i = (size_t)(close - s) + 1;
		start = i;
	}
	add_piece(r, TEXT, 0, s + start, len - start);
	return 0;
}

/* "A message continues with one more quoted string per line; the strings are joined." */
static int read_message(struct reader *rd, struct rm_rule *r)
{
	const struct tok *t = cur(rd), *last = t;
	char *joined = NULL;
	size_t len = 0;

	if (t->kind != T_STR || t->first)
		return fail(rd, t, "expected a string");
	while (t->kind == T_STR) {
		size_t n;
		char *s = unquote(t, &n);
		if (len + n > MAX_MESSAGE) {
			free(s);
			free(joined);
			return fail(rd, t, "message longer than %d bytes", MAX_MESSAGE);
		}
		joined = realloc(joined, len + n + 1);
		if (!joined)
			abort();
		memcpy(joined + len, s, n);
		len += n;
		free(s);
		last = t;
		next(rd);
		t = cur(rd);
		/* a line that cannot be read may have continued the message: its error comes first */
		if (t->kind == T_BAD) {
			free(joined);
			return fail(rd, t, "after a message");
		}
		if (t->kind == T_STR && !t->first) {
			free(joined);
			return fail(rd, t, "two strings on one line");
		}
	}
	int e = end_of_line(rd, "the message");
	if (!e)
		e = compile(rd, r, joined ? joined : "", len, last);
	free(joined);
	return e;
}

static const char default_message[] = "{comm} ({pid}) matched rule {rule}: {syscall}({flags})";

/* "A rule starts with rule NAME and ends with end, each on its own line." */
static int read_rule(struct reader *rd)
{
	static const char *const directives[] = { "priority", "when", "rate", "message" };
	const struct tok *t = cur(rd);
	struct rm_rule *r = calloc(1, sizeof(*r));
	bool seen[4] = { false };

	if (!r)
		abort();
	r->by = -1;
	r->priority = CK_PRIORITY_WARNING; /* "no (warning)" */
	rd->rule_line = t->line;
	next(rd);
	t = cur(rd);
	/* "at most 64 characters" */
	if (t->kind != T_WORD || t->first || t->n > 64) {
		rule_free(r);
		return fail(rd, t, "expected a rule name");
	}
	memcpy(r->name, t->p, t->n);
	next(rd);
	if (end_of_line(rd, "the rule's name")) {
		rule_free(r);
		return -1;
	}
	for (;;) {
		t = cur(rd);
		if (t->kind == T_END) {
			rule_free(r);
			return fail(rd, t, "no end");
		}
		if (is_word(t, "end")) {
			const struct tok *end = t;
			next(rd);
			if (end_of_line(rd, "end")) {
				rule_free(r);
				return -1;
			}
			if (!seen[1]) {
				rule_free(r);
				return fail(rd, end, "no when");
			}
			/* "the same name twice in one text is an error" */
			for (size_t i = 0; i < rd->out.count; i++) {
				if (strcmp(rd->out.rules[i]->name, r->name) == 0) {
					rule_free(r);
					return fail(rd, end, "defined twice");
				}
			}
			if (!seen[3] && compile(rd, r, default_message, strlen(default_message), end)) {
				rule_free(r);
				return -1;
			}
			set_push(&rd->out, r);
			rd->rule_line = 0;
			return 0;
		}
		int k = t->kind == T_WORD ? index_of(directives, COUNT(directives), t->p, t->n, false) : -1;
		/* "one directive per line, in any order", each once */
		if (k < 0 || seen[k]) {
			rule_free(r);
			return fail(rd, t, k < 0 ? "expected a directive" : "a directive twice");
		}
		seen[k] = true;
		rd->last = t;
		next(rd);
		int e = k == 0 ? read_priority(rd, r) : k == 1 ? read_when(rd, r) : k == 2 ? read_rate(rd, r)
												    : read_message(rd, r);
		if (e) {
			rule_free(r);
			return -1;
		}
	}
}

int rm_read(const char *text, struct rm_set *out, struct rm_error *err, struct rm_pool *pool)
{
	struct reader rd = { .err = err, .pool = pool };
	int r = 0;

	memset(err, 0, sizeof(*err));
	tokenize(&rd, text);
	for (size_t i = 0; i < rd.n; i++)
		pool_add(pool, &rd.t[i]);
	while (!r && cur(&rd)->kind != T_END) {
		const struct tok *t = cur(&rd);
		if (t->kind == T_BAD || !is_word(t, "rule"))
			r = fail(&rd, t, "expected 'rule'");
		else
			r = read_rule(&rd);
	}
	free(rd.t);
	if (r) {
		rm_set_free(&rd.out);
		return -1;
	}
	*out = rd.out;
	return 0;
}

/* ---- judging ("## Fields": the values, and when they are unknown) ---- */

/* clone's flags are an int to the kernel, its low byte the exit signal */
static uint64_t flags_of(const struct ck_event *e)
{
	switch (e->call) {
	case CK_CALL_CLONE: return e->flags & 0xffffff00u;
	case CK_CALL_CLONE3: return e->has_args ? e->args.flags : e->flags;
	case CK_CALL_FORK: return 0;
	case CK_CALL_VFORK: return CK_CLONE_VM | CK_CLONE_VFORK;
	default: return e->flags;
	}
}

static bool exit_signal_of(const struct ck_event *e, uint64_t *v)
{
	switch (e->call) {
	case CK_CALL_CLONE: *v = e->flags & 0xff; return true;
	case CK_CALL_CLONE3: *v = e->has_args ? e->args.exit_signal : e->exit_signal; return true;
	case CK_CALL_FORK:
	case CK_CALL_VFORK: *v = SIGCHLD; return true;
	default: return false;
	}
}

/* The errno of a failed result, as a magnitude (0 for none). */
static uint64_t errno_of(const struct ck_event *e)
{
	return e->has_result && e->result < 0 ? -(uint64_t)e->result : 0;
}

/* A number field's value; false when unknown. */
static bool num_of(const struct ck_event *e, int f, int64_t *v)
{
	uint64_t u;
	switch (f) {
	case F_SYSCALL: *v = e->call; return true;
	case F_PID: *v = e->pid; return e->pid >= 0;
	case F_TID: *v = e->tid; return e->tid >= 0;
	case F_PPID: *v = e->ppid; return e->ppid >= 0;
	case F_UID: *v = e->uid; return true;
	case F_FLAGS: *v = (int64_t)flags_of(e); return true;
	case F_EXIT_SIGNAL: if (!exit_signal_of(e, &u)) return false; *v = (int64_t)u; return true;
	case F_RESULT: *v = e->result; return e->has_result;
	case F_ERROR: *v = (int64_t)errno_of(e); return e->has_result;
	case F_FAILED: *v = e->has_result && e->result < 0; return true;
	case F_KINDS: *v = e->kinds; return true;
	case F_IN_CONTAINER: *v = e->in_container; return true;
	case F_TRACED: *v = e->traced; return true;
	case F_ARCH: *v = e->arch; return true;
	case F_CGROUP_ID: *v = (int64_t)e->cgroup_id; return e->cgroup_id != 0;
	case F_SOURCE: *v = e->source; return true;
	default: return false;
	}
}

static int cmp(int f, int64_t a, int64_t b)
{
	if (is_unsigned(f))
		return ((uint64_t)a > (uint64_t)b) - ((uint64_t)a < (uint64_t)b);
	return (a > b) - (a < b);
}

static bool test(const struct node *n, const struct ck_event *e)
{
	if (fields[n->field].type == STRING) {
		const char *s = n->field == F_COMM ? e->comm : e->exe;
		size_t len = strnlen(s, n->field == F_COMM ? sizeof(e->comm) : sizeof(e->exe));
		char *z;
		bool r = false;
		if (n->field == F_EXE && len == 0)
			return false; /* unknown: every comparison is false */
		z = strndup(s, len);
		if (!z)
			abort();
		switch (n->op) {
		case EQ: r = strcmp(z, n->strs[0]) == 0; break;
		case NE: r = strcmp(z, n->strs[0]) != 0; break;
		case MATCHES: r = fnmatch(n->strs[0], z, 0) == 0; break;
		case IN:
		case NOT_IN:
			for (size_t i = 0; i < n->n; i++)
				r |= strcmp(z, n->strs[i]) == 0;
			r = r == (n->op == IN);
			break;
		default: abort();
		}
		free(z);
		return r;
	}
	int64_t v;
	uint64_t mask = 0;
	if (!num_of(e, n->field, &v))
		return false;
	for (size_t i = 0; i < n->n; i++)
		mask |= (uint64_t)n->vals[i];
	switch (n->op) {
	case ALONE: return (v != 0) == n->want;
	case EQ: return cmp(n->field, v, n->vals[0]) == 0;
	case NE: return cmp(n->field, v, n->vals[0]) != 0;
	case LT: return cmp(n->field, v, n->vals[0]) < 0;
	case LE: return cmp(n->field, v, n->vals[0]) <= 0;
	case GT: return cmp(n->field, v, n->vals[0]) > 0;
	case GE: return cmp(n->field, v, n->vals[0]) >= 0;
	case IN:
	case NOT_IN: {
		bool in = false;
		for (size_t i = 0; i < n->n; i++)
			in |= v == n->vals[i];
		return in == (n->op == IN);
	}
	case HAS_ALL: return ((uint64_t)v & mask) == mask;
	case HAS_ANY: return ((uint64_t)v & mask) != 0;
	case LACKS: return ((uint64_t)v & mask) == 0;
	default: abort();
	}
}

static bool eval(const struct node *n, const struct ck_event *e)
{
	switch (n->kind) {
	case OR: return eval(n->a, e) || eval(n->b, e);
	case AND: return eval(n->a, e) && eval(n->b, e);
	case NOT: return !eval(n->a, e);
	default: return test(n, e);
	}
}

/* ---- rates ("## Rates", "### 1024 keys per rule, and past them") ---- */

static bool over(uint64_t start, uint64_t now, uint64_t period)
{
	/* "An event stamped earlier than its window's start counts in that window, unless it is a whole DURATION earlier" */
	return now >= start ? now - start >= period : start - now >= period;
}

static uint64_t count_in(struct window *w, uint64_t now, uint64_t period)
{
	if (w->count == 0 || over(w->start, now, period)) {
		w->start = now;
		w->count = 0;
	}
	return ++w->count;
}

static bool same_key(const struct window *w, uint64_t key, const char *bytes, size_t len)
{
	if (bytes)
		return w->bytes && w->len == len && memcmp(w->bytes, bytes, len) == 0;
	return !w->bytes && w->key == key;
}

/*
 * The count of e's window; *shared when it is the shared one. Of the
 * windows that are over when a new key needs room, the document leaves the
 * choice open: this takes the one opened first (by start, then by when it
 * opened), else the one opened last, as lib/detect/rate.c does.
 */
static uint64_t rate_count(struct rm_rule *r, const struct ck_event *e, bool *shared)
{
	uint64_t now = e->time_ns, key = 0;
	const char *bytes = NULL;
	size_t len = 0;

	*shared = true;
	if (r->by < 0)
		return count_in(&r->shared, now, r->period);
	switch (r->by) {
	case F_UID: key = e->uid; break;
	case F_PID: key = (uint32_t)e->pid; break;
	case F_PPID: key = (uint32_t)e->ppid; break;
	case F_CGROUP_ID: key = e->cgroup_id; break;
	case F_COMM: bytes = e->comm; len = strnlen(e->comm, sizeof(e->comm)); break;
	default: bytes = e->exe; len = strnlen(e->exe, sizeof(e->exe)); break;
	}
	struct window *w = NULL;
	for (size_t i = 0; i < r->nwin && !w; i++)
		if (same_key(&r->win[i], key, bytes, len))
			w = &r->win[i];
	if (w) {
		*shared = false;
		if (over(w->start, now, r->period)) {
			w->start = now;
			w->count = 0;
			w->seq = ++r->seq;
		}
		return ++w->count;
	}
	if (r->shared.count && !over(r->shared.start, now, r->period))
		return count_in(&r->shared, now, r->period);
	if (r->nwin < KEYS) {
		r->win = realloc(r->win, (r->nwin + 1) * sizeof(*r->win));
		if (!r->win)
			abort();
		w = &r->win[r->nwin++];
		w->bytes = NULL;
	} else {
		struct window *oldest = &r->win[0], *newest = &r->win[0];
		for (size_t i = 1; i < r->nwin; i++) {
			struct window *c = &r->win[i];
			if (c->start < oldest->start || (c->start == oldest->start && c->seq < oldest->seq))
				oldest = c;
			if (c->start > newest->start || (c->start == newest->start && c->seq > newest->seq))
				newest = c;
		}
		if (over(oldest->start, now, r->period))
			w = oldest;
		else if (over(newest->start, now, r->period))
			w = newest;
		else
			return count_in(&r->shared, now, r->period);
		free(w->bytes);
		w->bytes = NULL;
	}
	w->key = key;
	w->len = len;
	if (bytes) {
		w->bytes = malloc(len + 1);
		if (!w->bytes)
			abort();
		memcpy(w->bytes, bytes, len);
	}
	w->start = now;
	w->count = 1;
	w->seq = ++r->seq;
	*shared = false;
	return 1;
}

/* ---- messages ("## Messages") ---- */

/* The escape of byte c, the next byte an octal digit or not, into out (NUL-terminated); its length. */
static size_t escape_one(char *out, unsigned c, bool octal_next)
{
	const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n"
			    : c == '\v' ? "\\v" : c == '\f' ? "\\f" : c == '\r' ? "\\r" : NULL;
	if (named)
		return (size_t)sprintf(out, "%s", named);
	/* "The space, [ and ] are also in octal" */
	if (c > 0x20 && c < 0x7f && c != '[' && c != ']')
		return (size_t)sprintf(out, "%c", c);
	/* "three digits when an octal digit follows" */
	return (size_t)sprintf(out, octal_next ? "\\%03o" : "\\%o", c);
}

static bool octal_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '7';
}

size_t rm_escape(char *out, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		o += escape_one(out + o, (unsigned char)s[i], octal_at(s, n, i + 1));
	out[o] = '\0';
	return o;
}

/* "{exe} ... cut at 128 characters (...)": when its escape is 128 or longer, whole escapes within 124, then "...". */
static void exe_text(char *out, const struct ck_event *e)
{
	size_t n = strnlen(e->exe, sizeof(e->exe)), o = 0;
	char unit[8];

	if (rm_escape(out, e->exe, n) < 128)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t k = escape_one(unit, (unsigned char)e->exe[i], octal_at(e->exe, n, i + 1));
		if (o + k > 124)
			break;
		memcpy(out + o, unit, k);
		o += k;
	}
	strcpy(out + o, "...");
}

static void flags_text(const struct ck_event *e, char *buf, size_t len)
{
	/* "the flags as strace prints them for this call" */
	switch (e->call) {
	case CK_CALL_CLONE: ck_flags_format(e->flags, CK_SYSCALL_CLONE, buf, len); break;
	case CK_CALL_CLONE3: ck_flags_format(flags_of(e), CK_SYSCALL_CLONE3, buf, len); break;
	case CK_CALL_FORK:
	case CK_CALL_VFORK: ck_flags_format(flags_of(e) | SIGCHLD, CK_SYSCALL_CLONE, buf, len); break;
	default: ck_flags_format(e->flags, CK_SYSCALL_UNSHARE, buf, len); break;
	}
}

static const char *errno_name_of(const struct ck_event *e)
{
	uint64_t err = errno_of(e);
	return err && err < 4096 ? ck_errno_name((int)err) : NULL;
}

static void render(const struct rm_rule *r, const struct ck_event *e, uint64_t count, char message[256])
{
	/* the message past 255 bytes is cut: what a piece adds beyond it is not kept */
	static char full[256 + 4 * CK_EXE_MAX + 8], buf[4 * CK_EXE_MAX + 8];
	size_t o = 0;
	uint64_t u;

	for (size_t i = 0; i < r->npieces && o < 256; i++) {
		const struct piece *p = &r->pieces[i];
		if (p->kind == TEXT) {
			size_t k = p->len < 256 ? p->len : 256;
			memcpy(full + o, p->text, k);
			o += k;
			continue;
		}
		const char *h = placeholders[p->hole];
		const struct ck_arch_info *a;
		buf[0] = '\0';
		if (!strcmp(h, "comm"))
			rm_escape(buf, e->comm, strnlen(e->comm, sizeof(e->comm)));
		else if (!strcmp(h, "exe"))
			e->exe[0] ? exe_text(buf, e) : (void)strcpy(buf, "?");
		else if (!strcmp(h, "pid"))
			sprintf(buf, "%d", e->pid);
		else if (!strcmp(h, "tid"))
			sprintf(buf, "%d", e->tid);
		else if (!strcmp(h, "ppid"))
			sprintf(buf, "%d", e->ppid);
		else if (!strcmp(h, "uid"))
			sprintf(buf, "%u", e->uid);
		else if (!strcmp(h, "syscall"))
			strcpy(buf, syscalls[e->call]);
		else if (!strcmp(h, "flags"))
			flags_text(e, buf, sizeof(buf));
		else if (!strcmp(h, "result") && !e->has_result)
			strcpy(buf, "?");
		else if (!strcmp(h, "result") && errno_name_of(e))
			sprintf(buf, "-%s", errno_name_of(e));
		else if (!strcmp(h, "result"))
			sprintf(buf, "%" PRId64, e->result);
		else if (!strcmp(h, "error"))
			strcpy(buf, errno_name_of(e) ? errno_name_of(e) : "none");
		else if (!strcmp(h, "exit_signal") && !exit_signal_of(e, &u))
			strcpy(buf, "none");
		else if (!strcmp(h, "exit_signal") && u <= 64)
			ck_signal_name((unsigned)u, buf, sizeof(buf));
		else if (!strcmp(h, "exit_signal"))
			sprintf(buf, "%" PRIu64, u);
		else if (!strcmp(h, "arch"))
			strcpy(buf, (a = ck_arch_at((size_t)e->arch)) ? a->name : "?");
		else if (!strcmp(h, "cgroup_id"))
			sprintf(buf, "%" PRIu64, e->cgroup_id);
		else if (!strcmp(h, "rule"))
			strcpy(buf, r->name);
		else
			sprintf(buf, "%" PRIu64, count);
		size_t k = strlen(buf);
		memcpy(full + o, buf, k);
		o += k;
	}
	/* "An alert's message is cut at 255 bytes." */
	if (o > 255)
		o = 255;
	memcpy(message, full, o);
	message[o] = '\0';
}

/* The shared window's alert: "fork-burst: 2001 events within 1s from uid values past the 1024 ..." */
static void render_shared(const struct rm_rule *r, const struct ck_event *e, uint64_t count, char message[256])
{
	snprintf(message, 256,
		 "%s: %" PRIu64 " events within %" PRIu64 "%s from %s values past the %d the rule keeps a window for, "
		 "counted together; the last: %s by pid %d, uid %u",
		 r->name, count, r->period_value, r->period_unit, fields[r->by].name, KEYS, syscalls[e->call], e->pid,
		 e->uid);
}

bool rm_judge(struct rm_rule *r, const struct ck_event *e, char message[256])
{
	uint64_t count = 1;
	bool shared = false;

	if (!eval(r->cond, e))
		return false;
	if (r->has_rate) {
		/* "The rule fires once per window, on the N+1-th event" */
		count = rate_count(r, e, &shared);
		if (count != r->limit + 1)
			return false;
	}
	if (shared && r->by >= 0)
		render_shared(r, e, count, message);
	else
		render(r, e, count, message);
	return true;
}
