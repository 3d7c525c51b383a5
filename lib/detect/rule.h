/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiled form of a detection rule (docs/rules.md), shared by the
 * modules of lib/detect/: a condition as a tree of nodes flattened into
 * steps, a message as pieces, a rate's windows; and the functions each
 * module offers the others.
 */
#ifndef CK_DETECT_RULE_H
#define CK_DETECT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/detect.h>
#include <clonekit/event.h>

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

struct field_info {
	const char *name;
	enum ftype type;
	bool is_unsigned;
	bool rate_key; /* may follow "by" in a rate line */
};

/*
 * The language's tables, static in each file that uses them: ASan would give
 * extern data a global __odr_asan symbol, and tables this small cost nothing
 * to copy.
 */
static const struct field_info fields[F__COUNT] __attribute__((unused)) = {
	[F_SYSCALL] = { "syscall", T_NAME, false, false },
	[F_PID] = { "pid", T_NUM, false, true },
	[F_TID] = { "tid", T_NUM, false, false },
	[F_PPID] = { "ppid", T_NUM, false, true },
	[F_UID] = { "uid", T_NUM, true, true },
	[F_COMM] = { "comm", T_STR, false, true },
	[F_EXE] = { "exe", T_STR, false, true },
	[F_FLAGS] = { "flags", T_MASK, true, false },
	[F_EXIT_SIGNAL] = { "exit_signal", T_NUM, true, false },
	[F_RESULT] = { "result", T_NUM, false, false },
	[F_ERROR] = { "error", T_NAME, true, false },
	[F_KINDS] = { "kinds", T_MASK, true, false },
	[F_IN_CONTAINER] = { "in_container", T_BOOL, false, false },
	[F_TRACED] = { "traced", T_BOOL, false, false },
	[F_FAILED] = { "failed", T_BOOL, false, false },
	[F_ARCH] = { "arch", T_NAME, false, false },
	[F_CGROUP_ID] = { "cgroup_id", T_NUM, true, true },
	[F_SOURCE] = { "source", T_NAME, false, false },
};

static const char *const priority_names[] __attribute__((unused)) = {
	"info", "notice", "warning", "critical",
};

/* The directives inside a rule, each allowed once (parsed by rule_directives[]). */
enum directive { DIR_PRIORITY, DIR_WHEN, DIR_RATE, DIR_MESSAGE, DIR__COUNT };

enum placeholder {
	P_TEXT, P_COMM, P_PID, P_TID, P_PPID, P_UID, P_EXE, P_SYSCALL, P_FLAGS, P_RESULT,
	P_RULE, P_COUNT, P_EXIT_SIGNAL, P_ERROR, P_ARCH, P_CGROUP_ID, P__COUNT
};

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

/*
 * Keys with a window of their own per rate rule (docs/rules.md). An open
 * window is never taken from its key; keys that find all of them open are
 * counted together in the rule's shared window.
 */
#define RATE_KEYS 1024
#define RATE_NONE UINT16_MAX

struct rate_window {
	uint64_t key;
	uint64_t start;        /* time_ns of the window's first event */
	uint32_t count;        /* events in the window (saturating); 0: never opened */
	uint16_t older, newer; /* the table's windows in the order of their start */
	uint16_t chain;        /* the next window in its bucket, or the next free one */
	uint16_t bucket;
};

/* A rate rule's windows by key: a hash table of fixed size, and a list by start. */
struct rate_table {
	struct rate_window win[RATE_KEYS];
	uint16_t bucket[RATE_KEYS];
	uint16_t oldest, newest, free;
};

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
	uint32_t npieces, cap_pieces;
	unsigned seen_on[DIR__COUNT]; /* the line of each directive in the rule, 0 absent */
	uint64_t rate_limit, rate_period;
	char rate_period_text[32]; /* "1s", for "1s" or "001s" */
	enum field rate_by;  /* F__COUNT: one window for every event */
	struct rate_table *rate_table; /* with by: the keys' own windows */
	struct rate_window rate_shared; /* without by: every event; with by: keys past the table */
};

/* Rule names to their position in an array of rules: open addressing, at most half full. */
struct name_index {
	uint32_t *slot; /* position + 1; 0: empty */
	size_t cap;     /* a power of two, or 0 */
};


/* name_index.c */
uint32_t *ck__detect_index_find(const struct name_index *ix, struct rule *const *rules,
			       const char *name);
int ck__detect_index_reserve(struct name_index *ix, struct rule *const *rules, size_t count,
			     size_t n);

/* flatten.c */
uint32_t ck__detect_flatten(struct rule *r, uint32_t i, uint32_t if_true, uint32_t if_false);

/* evaluate.c: whether e meets r's condition; e's exit signal, false when its call has none. */
bool ck__detect_matches(const struct rule *r, const struct ck_event *e);
bool ck__detect_exit_signal_of(const struct ck_event *e, uint64_t *v);

/* rate.c */
struct rate_table *ck__detect_rate_table_new(void);
uint32_t ck__detect_rate_count(struct rule *r, const struct ck_event *e, const uint64_t hash_key[2],
			       bool *shared);

/* message.c */
void ck__detect_render(const struct rule *r, const struct ck_event *e, uint64_t count, char *out,
		       size_t len);
void ck__detect_render_shared(const struct rule *r, const struct ck_event *e, uint64_t count,
			      char *out, size_t len);

/* parser.c */
void ck__detect_rule_free(struct rule *r);

#endif
