/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detection rules: a small line-oriented language (docs/rules.md). Each
 * rule's condition is parsed into a tree, then flattened into a list of tests
 * with their true/false successors; events are judged without allocating.
 */
#include <clonekit/detect.h>
#include <clonekit/flags.h>
#include <clonekit/validate.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "internal/escape.h"
#include "internal/util.h"

/* docs/rules.md explains each rule and its priority; keep the two in step. */
static const char default_rules[] =
	"# clonekit's default rules: docs/rules.md says why each one matters.\n"
	"\n"
	"rule userns-with-other-namespaces\n"
	"  priority critical\n"
	"  when kinds has ns_create and flags has CLONE_NEWUSER\n"
	"    and flags has_any (CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC,\n"
	"                       CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME)\n"
	"    and uid != 0 and not failed\n"
	"  message \"{comm} ({pid}, uid {uid}) created a user namespace with other namespaces, \"\n"
	"          \"becoming their root: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule untraced-child\n"
	"  priority critical\n"
	"  when (traced and kinds has_any (process, thread) and flags has CLONE_UNTRACED\n"
	"        or kinds has escaped) and not failed\n"
	"  message \"{comm} ({pid}) is traced and created a child its tracer cannot follow: \"\n"
	"          \"{syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule namespace-in-container\n"
	"  priority warning\n"
	"  when in_container and kinds has ns_create and not failed\n"
	"  message \"{comm} ({pid}, uid {uid}) created a namespace inside a container: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule namespace-by-non-root\n"
	"  priority notice\n"
	"  when uid != 0 and kinds has_any (ns_create, ns_enter) and not failed\n"
	"  message \"{comm} ({pid}, uid {uid}) created or entered a namespace without being root: \"\n"
	"          \"{syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule shared-fd-process\n"
	"  priority warning\n"
	"  when flags has CLONE_FILES and flags lacks CLONE_VM and kinds has process and not failed\n"
	"  message \"{comm} ({pid}) created a process that shares its file descriptor table \"\n"
	"          \"but not its memory: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule clone-parent\n"
	"  priority notice\n"
	"  when flags has CLONE_PARENT and kinds has process and not failed\n"
	"  message \"{comm} ({pid}) created a process whose parent is {ppid}, not itself: \"\n"
	"          \"{syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule unusual-exit-signal\n"
	"  priority notice\n"
	"  when syscall in (clone, clone3) and kinds has process\n"
	"    and exit_signal != SIGCHLD and exit_signal != 0 and not failed\n"
	"  message \"{comm} ({pid}) created a process that will signal its parent with {exit_signal} \"\n"
	"          \"on exit: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule fork-burst\n"
	"  priority warning\n"
	"  when syscall in (clone, clone3, fork, vfork) and kinds has process\n"
	"  rate 2000 per 1s by uid\n"
	"  message \"uid {uid} created more than 2000 processes within 1s (a fork bomb?); \"\n"
	"          \"the last by {comm} ({pid}) with {syscall}\"\n"
	"end\n";

/* ---- fields, placeholders, names ---- */

enum field {
	F_SYSCALL, F_PID, F_TID, F_PPID, F_UID, F_COMM, F_EXE, F_FLAGS, F_EXIT_SIGNAL,
	F_RESULT, F_ERROR, F_KINDS, F_IN_CONTAINER, F_TRACED, F_FAILED, F_ARCH,
	F_CGROUP_ID, F_SOURCE, F__COUNT
};

enum ftype {
	T_NUM,  /* integers: every comparison */
	T_NAME, /* named values: ==, !=, in */
	T_STR,  /* quoted strings: ==, !=, in, matches */
	T_MASK, /* bit sets: has, has_any, has_all, lacks, ==, != */
	T_BOOL, /* alone, or == true/false */
};

static const struct field_info {
	const char *name;
	enum ftype type;
	bool is_unsigned;
	bool rate_key; /* may follow "by" in a rate line */
} fields[F__COUNT] = {
	[F_SYSCALL] = { "syscall", T_NAME, false, false },
	[F_PID] = { "pid", T_NUM, false, true },
	[F_TID] = { "tid", T_NUM, false, false },
	[F_PPID] = { "ppid", T_NUM, false, true },
	[F_UID] = { "uid", T_NUM, false, true },
	[F_COMM] = { "comm", T_STR, false, true },
	[F_EXE] = { "exe", T_STR, false, true },
	[F_FLAGS] = { "flags", T_MASK, true, false },
	[F_EXIT_SIGNAL] = { "exit_signal", T_NUM, true, false },
	[F_RESULT] = { "result", T_NUM, false, false },
	[F_ERROR] = { "error", T_NAME, false, false },
	[F_KINDS] = { "kinds", T_MASK, true, false },
	[F_IN_CONTAINER] = { "in_container", T_BOOL, false, false },
	[F_TRACED] = { "traced", T_BOOL, false, false },
	[F_FAILED] = { "failed", T_BOOL, false, false },
	[F_ARCH] = { "arch", T_NAME, false, false },
	[F_CGROUP_ID] = { "cgroup_id", T_NUM, true, true },
	[F_SOURCE] = { "source", T_NAME, false, false },
};

static const char *const kind_names[] = {
	"process", "thread", "spawn", "ns_create", "ns_enter", "escaped",
};

static const char *const source_names[] = { "trace", "watch" };

static const char *const priority_names[] = { "info", "notice", "warning", "critical" };

static const char *const directives[] = { "rule", "priority", "when", "rate", "message", "end" };

/* The directives inside a rule, each allowed once (parsed by rule_directives[]). */
enum directive { DIR_PRIORITY, DIR_WHEN, DIR_RATE, DIR_MESSAGE, DIR__COUNT };

enum placeholder {
	P_TEXT, P_COMM, P_PID, P_TID, P_PPID, P_UID, P_EXE, P_SYSCALL, P_FLAGS, P_RESULT,
	P_RULE, P_COUNT, P_EXIT_SIGNAL, P_ERROR, P_ARCH, P_CGROUP_ID, P__COUNT
};

static const char *const placeholders[P__COUNT] = {
	[P_COMM] = "comm", [P_PID] = "pid", [P_TID] = "tid", [P_PPID] = "ppid",
	[P_UID] = "uid", [P_EXE] = "exe", [P_SYSCALL] = "syscall", [P_FLAGS] = "flags",
	[P_RESULT] = "result", [P_RULE] = "rule", [P_COUNT] = "count",
	[P_EXIT_SIGNAL] = "exit_signal", [P_ERROR] = "error", [P_ARCH] = "arch",
	[P_CGROUP_ID] = "cgroup_id",
};

/* ---- the compiled form ---- */

enum node_kind { N_AND, N_OR, N_NOT, N_BOOL, N_CMP, N_IN, N_MASK, N_STR, N_STR_IN, N_MATCH };
enum cmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };
enum mask_op { M_ANY, M_ALL, M_NONE };

struct node {
	uint8_t kind;     /* enum node_kind */
	uint8_t field;    /* enum field */
	uint8_t op;       /* enum cmp, enum mask_op; for N_BOOL, N_IN, N_STR_IN: negated */
	uint32_t a, b;    /* operands of and, or, not */
	int64_t num;      /* N_CMP's value, N_MASK's mask */
	char *str;        /* N_STR, N_MATCH */
	int64_t *nums;    /* N_IN */
	char **strs;      /* N_STR_IN */
	uint32_t n;       /* entries of nums or strs */
};

/*
 * The condition flattened for judging: each step is one leaf test and the
 * step to take when it is false or true, so and/or/not cost nothing per event.
 */
struct step {
	uint32_t leaf;    /* index of the test in nodes */
	uint32_t next[2]; /* [false], [true]: a step, MATCH or NO_MATCH */
};

#define MATCH (UINT32_MAX - 1)
#define NO_MATCH UINT32_MAX
/* Terms per condition; bounds the flattening's recursion. */
#define MAX_NODES 1024

struct piece {
	enum placeholder what;
	uint32_t off, len; /* P_TEXT: bytes of the rule's template */
};

struct rate_slot {
	uint64_t key;
	uint64_t start;   /* time_ns at which the key's window opened */
	uint64_t count;   /* events in the window; 0: slot unused */
};

/* Keys tracked at once per rate rule; more evict the oldest window nearby. */
#define RATE_SLOTS 1024
#define RATE_PROBE 8

struct rule {
	char *name;
	enum ck_priority priority;
	unsigned line;
	struct node *nodes;
	uint32_t nnodes, cap, root;
	struct step *prog;
	uint32_t nprog, entry;
	char *tmpl;
	size_t tmpl_len;
	struct piece *pieces;
	uint32_t npieces;
	unsigned seen_on[DIR__COUNT]; /* the line of each directive in the rule, 0 absent */
	uint64_t rate_limit, rate_period;
	enum field rate_by;  /* F__COUNT: one window for every event */
	struct rate_slot *slots;
	size_t nslots;
};

struct ck_detect {
	struct rule **rules;
	size_t count, cap;
};

static void rule_free(struct rule *r)
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
	free(r->slots);
	free(r);
}

/* ---- lexer ---- */

enum tok_type { TK_END, TK_WORD, TK_NUM, TK_STR, TK_CMP, TK_LP, TK_RP, TK_COMMA };

struct token {
	enum tok_type type;
	enum cmp cmp;   /* TK_CMP */
	bool bol;       /* first token of its line */
	unsigned line;
	const char *p;  /* the token's text; a string's includes its quotes */
	size_t n;
};

struct parser {
	struct token *t;
	size_t n, cap, i;
	int depth;
	int err;           /* -EINVAL or -ENOMEM once something failed */
	unsigned err_line;
	char msg[256];
	struct rule *r;    /* the rule being read */
	struct rule **out; /* the rules read so far */
	size_t nout, capout;
};

static int fail(struct parser *ps, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err)
		return ps->err;
	ps->err = -EINVAL;
	ps->err_line = line;
	n = snprintf(ps->msg, sizeof(ps->msg), "line %u: ", line);
	va_start(ap, fmt);
	vsnprintf(ps->msg + n, sizeof(ps->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return ps->err;
}

static int oom(struct parser *ps, unsigned line)
{
	if (!ps->err) {
		ps->err = -ENOMEM;
		ps->err_line = line;
		snprintf(ps->msg, sizeof(ps->msg), "line %u: out of memory", line);
	}
	return ps->err;
}

static bool word_char(int c, bool first)
{
	if (isalpha(c) || c == '_')
		return true;
	return !first && (isdigit(c) || c == '-' || c == '+' || c == '.');
}

static int push_token(struct parser *ps, const struct token *t)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct token *nt = realloc(ps->t, cap * sizeof(*nt));
		if (!nt)
			return oom(ps, t->line);
		ps->t = nt;
		ps->cap = cap;
	}
	ps->t[ps->n++] = *t;
	return 0;
}

/* Splits text into tokens; the last is always TK_END. */
static int lex(struct parser *ps, const char *text)
{
	const char *p = text;
	unsigned line = 1;
	bool bol = true;

	for (;;) {
		struct token t = { .line = line, .bol = bol, .p = p };
		unsigned char c = (unsigned char)*p;

		if (c == '\0') {
			t.type = TK_END;
			t.n = 0;
			return push_token(ps, &t);
		}
		if (c == '\n') {
			line++;
			bol = true;
			p++;
			continue;
		}
		if (isspace(c)) {
			p++;
			continue;
		}
		if (c == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (word_char(c, true)) {
			t.type = TK_WORD;
			while (word_char((unsigned char)*p, false))
				p++;
		} else if (isdigit(c) || (c == '-' && isdigit((unsigned char)p[1]))) {
			t.type = TK_NUM;
			p++;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
		} else if (c == '"') {
			t.type = TK_STR;
			for (p++; *p != '"'; p++) {
				if (*p == '\0' || *p == '\n')
					return fail(ps, line, "unterminated string (a string ends on the line it starts)");
				if (*p == '\\' && p[1] != '\0' && p[1] != '\n') {
					if (!strchr("\"\\nt", p[1]))
						return fail(ps, line, "unknown escape '\\%c' in a string (use \\\" \\\\ \\n or \\t)",
							    p[1]);
					p++;
				}
			}
			p++;
		} else if (c == '(' || c == ')' || c == ',') {
			t.type = c == '(' ? TK_LP : c == ')' ? TK_RP : TK_COMMA;
			p++;
		} else if (c == '=' || c == '!' || c == '<' || c == '>') {
			t.type = TK_CMP;
			bool eq = p[1] == '=';
			if (c == '=' && !eq)
				return fail(ps, line, "'=' is not an operator (did you mean '=='?)");
			if (c == '!' && !eq)
				return fail(ps, line, "'!' is not an operator (use 'not', or '!=')");
			t.cmp = c == '=' ? C_EQ : c == '!' ? C_NE : c == '<' ? (eq ? C_LE : C_LT)
										  : (eq ? C_GE : C_GT);
			p += eq ? 2 : 1;
		} else {
			return fail(ps, line, "unexpected character '%c'", isprint(c) ? c : '?');
		}
		t.n = (size_t)(p - t.p);
		if (push_token(ps, &t))
			return ps->err;
		bol = false;
	}
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

#define TOKW(t) (int)((t)->n > 40 ? 40 : (t)->n), (t)->p

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
	char buf[32], *end;
	bool neg = false;
	const char *s = buf;

	if (t->type != TK_NUM || !tok_copy(t, buf, sizeof(buf)))
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end || end == s)
		return -EINVAL;
	if (errno)
		return -ERANGE;
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
	char word[64], h[96], d[80];
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

	if (r->nnodes == MAX_NODES)
		return fail(ps, cur(ps)->line, "condition of rule '%s' has more than %d terms", r->name,
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
	char d[80];

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
	char what[64], d[80];
	int64_t *vals;
	char **strs;
	uint32_t count;
	bool list;

	if (op->type == TK_CMP) {
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

	bool negated = word_is(op, "not") && word_is(&ps->t[ps->i + 1], "in");
	if (word_is(op, "in") || negated) {
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

	if (word_is(op, "matches")) {
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
		if (!word_is(op, mask_ops[i].word))
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
	char d[80], word[64], h[224];

	if (t->type == TK_END || is_directive(t))
		return fail(ps, prev(ps)->line, "expected a condition after '%.*s', found %s",
			    TOKW(prev(ps)), desc(t, prev(ps)->line, false, d, sizeof(d)));
	if (t->type == TK_LP) {
		const struct token *open = t;
		if (++ps->depth > MAX_DEPTH)
			return fail(ps, t->line, "condition nested deeper than %d levels", MAX_DEPTH);
		advance(ps);
		if (parse_or(ps, out))
			return ps->err;
		ps->depth--;
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
	char word[32], d[80], h[96];
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
	const struct token *t;
	char d[80];

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

static int parse_duration(const struct token *t, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", UINT64_C(60000000000) }, { "h", UINT64_C(3600000000000) },
	};
	char buf[32], *end;

	if (t->type != TK_NUM || !tok_copy(t, buf, sizeof(buf)) || !isdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || v == 0)
		return -EINVAL;
	for (size_t i = 0; i < CK_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > UINT64_MAX / units[i].ns)
				return -ERANGE;
			*ns = v * units[i].ns;
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
	char d[80], word[32];
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
	if (t->bol || parse_duration(t, &r->rate_period))
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
	r->nslots = r->rate_by == F__COUNT ? 1 : RATE_SLOTS;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (!r->slots)
		return oom(ps, t->line);
	return expect_eol(ps, "the rate");
}

static int add_piece(struct parser *ps, enum placeholder what, size_t off, size_t len)
{
	struct rule *r = ps->r;
	struct piece *np;

	if (what == P_TEXT && len == 0)
		return 0;
	np = realloc(r->pieces, (r->npieces + 1) * sizeof(*np));
	if (!np)
		return oom(ps, cur(ps)->line);
	r->pieces = np;
	np[r->npieces++] = (struct piece){ what, (uint32_t)off, (uint32_t)len };
	return 0;
}

/* Appends one string of the message to the template and splits it into pieces. */
static int compile_message(struct parser *ps, const struct token *t)
{
	struct rule *r = ps->r;
	char *s = decode_string(t), *tmpl, h[96];
	size_t base = r->tmpl_len, len, start = 0;

	if (!s)
		return oom(ps, t->line);
	len = strlen(s);
	if (base + len > 4096) {
		free(s);
		return fail(ps, t->line, "message longer than 4096 bytes");
	}
	tmpl = realloc(r->tmpl, base + len + 1);
	if (!tmpl) {
		free(s);
		return oom(ps, t->line);
	}
	memcpy(tmpl + base, s, len + 1);
	free(s);
	r->tmpl = tmpl;
	r->tmpl_len = base + len;
	s = tmpl + base;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '}' && s[i + 1] == '}') {
			if (add_piece(ps, P_TEXT, base + start, i + 1 - start))
				return ps->err;
			start = ++i + 1;
			continue;
		}
		if (s[i] != '{')
			continue;
		if (s[i + 1] == '{') {
			if (add_piece(ps, P_TEXT, base + start, i + 1 - start))
				return ps->err;
			start = ++i + 1;
			continue;
		}
		char *close = strchr(s + i, '}');
		if (!close)
			return fail(ps, t->line, "unclosed '{' in the message (write '{{' for a brace)");
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
			return fail(ps, t->line, "unknown placeholder '{%.*s}' in the message%s",
				    (int)(n > 40 ? 40 : n), s + i + 1, h);
		}
		if (add_piece(ps, P_TEXT, base + start, i - start) || add_piece(ps, what, 0, 0))
			return ps->err;
		i += n + 1;
		start = i + 1;
	}
	return add_piece(ps, P_TEXT, base + start, len - start);
}

static int parse_message(struct parser *ps)
{
	const struct token *t = cur(ps);
	char d[80];

	if (t->type != TK_STR || t->bol)
		return fail(ps, due_line(t, prev(ps)->line),
			    "expected a quoted string after 'message', found %s",
			    desc(t, due_line(t, prev(ps)->line), true, d, sizeof(d)));
	do {
		if (compile_message(ps, cur(ps)))
			return ps->err;
		advance(ps);
		t = cur(ps);
		if (t->type == TK_STR && !t->bol)
			return fail(ps, t->line, "two strings on one line of a message (a message continues with one string per line)");
	} while (t->type == TK_STR);
	return expect_eol(ps, "the message");
}

static const char default_message[] = "{comm} ({pid}) matched rule {rule}: {syscall}({flags})";

/* Emits the steps of node i's subtree; returns the step to start at. */
static uint32_t flatten(struct rule *r, uint32_t i, uint32_t if_true, uint32_t if_false)
{
	const struct node *n = &r->nodes[i];

	switch (n->kind) {
	case N_AND:
		return flatten(r, n->a, flatten(r, n->b, if_true, if_false), if_false);
	case N_OR:
		return flatten(r, n->a, if_true, flatten(r, n->b, if_true, if_false));
	case N_NOT:
		return flatten(r, n->a, if_false, if_true);
	default:
		r->prog[r->nprog] = (struct step){ i, { if_false, if_true } };
		return r->nprog++;
	}
}

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
	r->entry = flatten(r, r->root, MATCH, NO_MATCH);
	if (!r->seen_on[DIR_PRIORITY])
		r->priority = CK_PRIORITY_WARNING;
	if (!r->seen_on[DIR_MESSAGE]) {
		struct token t = { .type = TK_STR, .line = end->line };
		char quoted[sizeof(default_message) + 2];
		snprintf(quoted, sizeof(quoted), "\"%s\"", default_message);
		t.p = quoted;
		t.n = strlen(quoted);
		if (compile_message(ps, &t))
			return ps->err;
	}
	for (size_t i = 0; i < ps->nout; i++)
		if (strcmp(ps->out[i]->name, r->name) == 0)
			return fail(ps, r->line, "rule '%s' is defined twice (first on line %u)", r->name,
				    ps->out[i]->line);
	if (ps->nout == ps->capout) {
		size_t cap = ps->capout ? ps->capout * 2 : 16;
		struct rule **no = realloc(ps->out, cap * sizeof(*no));
		if (!no)
			return oom(ps, end->line);
		ps->out = no;
		ps->capout = cap;
	}
	ps->out[ps->nout++] = r;
	ps->r = NULL;
	return 0;
}

static int parse_rule(struct parser *ps)
{
	const struct token *t = cur(ps);
	struct rule *r;
	char d[80], word[32], h[96];

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
			advance(ps);
			if (expect_eol(ps, "'end'"))
				return ps->err;
			return finish_rule(ps, t);
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

static void parser_free(struct parser *ps)
{
	for (size_t i = 0; i < ps->nout; i++)
		rule_free(ps->out[i]);
	free(ps->out);
	rule_free(ps->r);
	free(ps->t);
}

static int parse_text(struct parser *ps, const char *text)
{
	char d[80];

	if (lex(ps, text))
		return ps->err;
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

/* ---- the rule set ---- */

struct ck_detect *ck_detect_new(void)
{
	struct ck_detect *d = calloc(1, sizeof(*d));
	if (!d)
		errno = ENOMEM;
	return d;
}

void ck_detect_clear(struct ck_detect *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->count; i++)
		rule_free(d->rules[i]);
	d->count = 0;
}

void ck_detect_free(struct ck_detect *d)
{
	if (!d)
		return;
	ck_detect_clear(d);
	free(d->rules);
	free(d);
}

static void set_error(struct ck_rule_error *err, unsigned line, const char *msg)
{
	if (!err)
		return;
	if (err->size >= offsetof(struct ck_rule_error, line) + sizeof(err->line))
		err->line = line;
	if (err->size >= offsetof(struct ck_rule_error, message) + sizeof(err->message))
		snprintf(err->message, sizeof(err->message), "%s", msg);
}

static struct rule *find_rule(const struct ck_detect *d, const char *name, size_t *at)
{
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->rules[i]->name, name) == 0) {
			*at = i;
			return d->rules[i];
		}
	}
	return NULL;
}

int ck_detect_add_rules(struct ck_detect *d, const char *text, struct ck_rule_error *err)
{
	struct parser ps = { 0 };
	size_t added = 0, at;

	if (!d || !text) {
		set_error(err, 0, "no rule set or no text");
		return -EINVAL;
	}
	if (parse_text(&ps, text)) {
		int r = ps.err;
		set_error(err, ps.err_line, ps.msg);
		parser_free(&ps);
		return r;
	}
	for (size_t i = 0; i < ps.nout; i++)
		if (!find_rule(d, ps.out[i]->name, &at))
			added++;
	if (d->count + added > d->cap) {
		size_t cap = d->count + added < 16 ? 16 : (d->count + added) * 2;
		struct rule **nr = realloc(d->rules, cap * sizeof(*nr));
		if (!nr) {
			set_error(err, 0, "out of memory");
			parser_free(&ps);
			return -ENOMEM;
		}
		d->rules = nr;
		d->cap = cap;
	}
	for (size_t i = 0; i < ps.nout; i++) {
		struct rule *old = find_rule(d, ps.out[i]->name, &at);
		if (old) {
			rule_free(old);
			d->rules[at] = ps.out[i];
		} else {
			d->rules[d->count++] = ps.out[i];
		}
	}
	ps.nout = 0;
	parser_free(&ps);
	return 0;
}

const char *ck_detect_default_rules(void)
{
	return default_rules;
}

int ck_detect_add_defaults(struct ck_detect *d)
{
	return ck_detect_add_rules(d, default_rules, NULL);
}

/* Rule files are small; anything this large is a mistake, not a rule set. */
#define RULE_FILE_MAX (1u << 20)

int ck_detect_add_file(struct ck_detect *d, const char *path, struct ck_rule_error *err)
{
	char *buf CK_AUTO_FREE = NULL;
	size_t len = 0, cap = 0;
	int fd CK_AUTO_CLOSE = -1;

	if (!d || !path)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap) {
			if (cap >= RULE_FILE_MAX)
				return -EFBIG;
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, ncap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf)
		return ck_detect_add_rules(d, "", err);
	buf[len] = '\0';
	size_t nul = strlen(buf);
	if (nul != len) {
		unsigned line = 1;
		char msg[64];
		for (size_t i = 0; i < nul; i++)
			line += buf[i] == '\n';
		snprintf(msg, sizeof(msg), "line %u: a NUL byte", line);
		set_error(err, line, msg);
		return -EINVAL;
	}
	return ck_detect_add_rules(d, buf, err);
}

size_t ck_detect_rule_count(const struct ck_detect *d)
{
	return d ? d->count : 0;
}

const char *ck_detect_rule_name(const struct ck_detect *d, size_t i)
{
	return d && i < d->count ? d->rules[i]->name : NULL;
}

enum ck_priority ck_detect_rule_priority(const struct ck_detect *d, size_t i)
{
	return d && i < d->count ? d->rules[i]->priority : CK_PRIORITY_INFO;
}

const char *ck_priority_name(enum ck_priority p)
{
	return (unsigned)p < CK_ARRAY_SIZE(priority_names) ? priority_names[p] : "?";
}

int ck_priority_parse(const char *name, enum ck_priority *out)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(priority_names); i++) {
		if (strcasecmp(name, priority_names[i]) == 0) {
			*out = (enum ck_priority)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- judging ---- */

static bool exit_signal_of(const struct ck_event *e, uint64_t *v)
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
		if (!exit_signal_of(e, &u))
			return false;
		*v = (int64_t)u;
		return true;
	case F_RESULT: *v = e->result; return e->has_result;
	case F_ERROR: *v = e->result < 0 ? -e->result : 0; return e->has_result;
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

static bool matches(const struct rule *r, const struct ck_event *e)
{
	uint32_t at = r->entry;

	while (at < MATCH) {
		const struct step *s = &r->prog[at];
		at = s->next[test(&r->nodes[s->leaf], e)];
	}
	return at == MATCH;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t rate_key(const struct ck_event *e, enum field by)
{
	switch (by) {
	case F_UID: return e->uid;
	case F_PID: return (uint32_t)e->pid;
	case F_PPID: return (uint32_t)e->ppid;
	case F_CGROUP_ID: return e->cgroup_id;
	case F_COMM: return hash_bytes(e->comm, strnlen(e->comm, sizeof(e->comm)));
	case F_EXE: return hash_bytes(e->exe, strnlen(e->exe, sizeof(e->exe)));
	default: return 0;
	}
}

static bool window_over(uint64_t start, uint64_t now, uint64_t period)
{
	/* events may arrive slightly out of order; a jump back by a whole period restarts */
	return now >= start ? now - start >= period : start - now >= period;
}

/* Counts the event in its key's window; returns the count so far. */
static uint64_t rate_count(struct rule *r, const struct ck_event *e)
{
	uint64_t key = rate_key(e, r->rate_by), now = e->time_ns;
	uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);
	size_t mask = r->nslots - 1, probe = r->nslots < RATE_PROBE ? r->nslots : RATE_PROBE;
	struct rate_slot *s = NULL, *empty = NULL, *oldest = NULL;

	h ^= h >> 29;
	for (size_t k = 0; k < probe; k++) {
		struct rate_slot *c = &r->slots[(h + k) & mask];
		if (c->count && c->key == key) {
			s = c;
			break;
		}
		if (!c->count) {
			if (!empty)
				empty = c;
		} else if (!oldest || c->start < oldest->start) {
			oldest = c;
		}
	}
	if (!s) {
		s = empty ? empty : oldest;
		s->key = key;
		s->count = 0;
	}
	if (s->count == 0 || window_over(s->start, now, r->rate_period)) {
		s->start = now;
		s->count = 0;
	}
	return ++s->count;
}

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

static void render(const struct rule *r, const struct ck_event *e, uint64_t count, char *out,
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
			else if (e->result < 0 && ck_errno_name((int)-e->result))
				ck__buf_append(out, len, &pos, "-%s", ck_errno_name((int)-e->result));
			else
				ck__buf_append(out, len, &pos, "%" PRId64, e->result);
			break;
		case P_ERROR:
			s = e->has_result && e->result < 0 ? ck_errno_name((int)-e->result) : NULL;
			ck__buf_append(out, len, &pos, "%s", s ? s : "none");
			break;
		case P_RULE: ck__buf_append(out, len, &pos, "%s", r->name); break;
		case P_COUNT: ck__buf_append(out, len, &pos, "%" PRIu64, count); break;
		case P_EXIT_SIGNAL:
			if (!exit_signal_of(e, &u))
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

int ck_detect_feed(struct ck_detect *d, const struct ck_event *e,
		   void (*cb)(const struct ck_alert *alert, void *data), void *data)
{
	int alerts = 0;

	if (!d || !e || e->size < sizeof(*e))
		return -EINVAL;
	for (size_t i = 0; i < d->count; i++) {
		struct rule *r = d->rules[i];
		uint64_t count = 1;

		if (!matches(r, e))
			continue;
		if (r->seen_on[DIR_RATE]) {
			count = rate_count(r, e);
			if (count != r->rate_limit + 1)
				continue;
		}
		alerts++;
		if (cb) {
			struct ck_alert a = { .rule = r->name, .priority = r->priority, .event = e };
			render(r, e, count, a.message, sizeof(a.message));
			cb(&a, data);
		}
	}
	return alerts;
}
