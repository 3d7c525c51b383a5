/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An oracle for the detection-rule language, written from docs/rules.md
 * alone (not from lib/detect/): a reader of rule texts by the grammar the
 * document states, a judge of events by its table of fields, operators and
 * "unknown" values, its rate windows, and its messages with their
 * placeholders. The rules target holds ck_detect_* to it.
 */
#ifndef CK_FUZZ_RULES_MODEL_H
#define CK_FUZZ_RULES_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/detect.h>
#include <clonekit/event.h>

struct rm_rule;

struct rm_set {
	struct rm_rule **rules;
	size_t count, cap;
};

/* Why a text was refused: the line of the rule it was in, and of the first token at fault. */
struct rm_error {
	unsigned rule_line; /* the line of the open rule, or err_line outside one */
	unsigned err_line;
	char what[160];
};

/* Literals of a text (numbers, strings, durations), for events that meet its rules. */
struct rm_pool {
	int64_t nums[64];
	size_t nnums;
	char strs[32][64];
	size_t nstrs;
	uint64_t periods[8];
	size_t nperiods;
};

/*
 * Reads text (NUL-terminated) into the rules out holds (out is filled only
 * on success). Returns 0, or -1 with *err. pool (may be NULL) collects the
 * literals even of a refused text.
 */
int rm_read(const char *text, struct rm_set *out, struct rm_error *err, struct rm_pool *pool);

/* Adds the rules of in to set by docs/rules.md: a rule whose name is in set replaces it in place. */
void rm_set_merge(struct rm_set *set, struct rm_set *in);
void rm_set_free(struct rm_set *set);

const char *rm_rule_name(const struct rm_rule *r);
enum ck_priority rm_rule_priority(const struct rm_rule *r);

/*
 * Judges e against rule r as ck_detect_feed() must: whether it alerts, and
 * then its message (256 bytes, cut as the alert's). Counts rate windows.
 */
bool rm_judge(struct rm_rule *r, const struct ck_event *e, char message[256]);
/* Forgets the rate windows of r (the rule was replaced by one of the same text). */
void rm_rule_forget(struct rm_rule *r);

/*
 * The escape of docs/event-schema.md's Text output, from its words: the n
 * bytes at s as strace writes a string, plus space, '[' and ']' in octal.
 */
size_t rm_escape(char *out, const char *s, size_t n);

#endif
