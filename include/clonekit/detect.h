/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit detect: rules over process-creation events, shared by the ptrace
 * tracer and the eBPF watcher. Rules come from a small text format
 * (docs/rules.md); a default set ships with the library.
 */
#ifndef CLONEKIT_DETECT_H
#define CLONEKIT_DETECT_H

#include <stddef.h>

#include <clonekit/common.h>
#include <clonekit/event.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ck_priority {
	CK_PRIORITY_INFO,
	CK_PRIORITY_NOTICE,
	CK_PRIORITY_WARNING,
	CK_PRIORITY_CRITICAL,
};

/* A rule set and its state (rate conditions remember recent events). */
struct ck_detect;

/* Why a rule text was refused. */
struct ck_rule_error {
	size_t size;          /* sizeof(struct ck_rule_error), set by the caller */
	unsigned line;        /* 1-based line of the offending text */
	char message[256];    /* "line 4: unknown field 'flgs' (did you mean 'flags'?)" */
};

/* One alert: the rule that matched and the event it matched. */
struct ck_alert {
	const char *rule;             /* the rule's name */
	enum ck_priority priority;
	char message[256];            /* the rule's message with its placeholders filled */
	const struct ck_event *event;
};

/* An empty rule set; NULL with errno ENOMEM. */
CK_API struct ck_detect *ck_detect_new(void);
CK_API void ck_detect_free(struct ck_detect *d);

/* Adds the default rules (docs/rules.md lists them). 0 or -errno. */
CK_API int ck_detect_add_defaults(struct ck_detect *d);
/* The text of the default rules, in the rule language (static storage). */
CK_API const char *ck_detect_default_rules(void);
/*
 * Adds rules from text; a rule whose name is already in the set replaces it.
 * The whole text is refused (nothing added) on the first error: -EINVAL with
 * *err (if not NULL) naming the line.
 */
CK_API int ck_detect_add_rules(struct ck_detect *d, const char *text, struct ck_rule_error *err);
/* The same from a file; -errno when it cannot be read. */
CK_API int ck_detect_add_file(struct ck_detect *d, const char *path, struct ck_rule_error *err);
/* Removes every rule (and the rate state). */
CK_API void ck_detect_clear(struct ck_detect *d);

CK_API size_t ck_detect_rule_count(const struct ck_detect *d);
/* The i-th rule's name and priority; NULL past the end. */
CK_API const char *ck_detect_rule_name(const struct ck_detect *d, size_t i);
CK_API enum ck_priority ck_detect_rule_priority(const struct ck_detect *d, size_t i);

/*
 * Judges one event: calls cb once per matching rule, in rule order.
 * Returns the number of alerts, or -EINVAL.
 * e comes from ck_event_init() and ck_event_classify(); cb may be NULL. The
 * alert lives for the call. Rate rules keep state in d: feed one d from one
 * thread at a time, and do not change its rules from cb. A rate rule keeps a
 * window for up to 1024 keys at once, never taking an open one from its key;
 * keys past them are counted together, in a window whose alert says so.
 */
CK_API int ck_detect_feed(struct ck_detect *d, const struct ck_event *e,
			  void (*cb)(const struct ck_alert *alert, void *data), void *data);

/* "info", "notice", "warning", "critical"; parse returns -EINVAL otherwise. */
CK_API const char *ck_priority_name(enum ck_priority p);
CK_API int ck_priority_parse(const char *name, enum ck_priority *out);

#ifdef __cplusplus
}
#endif

#endif
