/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit audit: a hardening report on process creation for this host, as
 * seen by the calling process. Each item reads one setting (a sysctl, a line
 * of /proc/self/status, the security modules, the cgroup layout) or one
 * answer of ck_probe(), and says what was found, whether it meets the
 * recommendation, why it matters for clone(), and what to set when it does
 * not. Nothing is changed on the host.
 */
#ifndef CLONEKIT_AUDIT_H
#define CLONEKIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include <clonekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ck_audit_status {
	CK_AUDIT_UNKNOWN = 0, /* could not be read */
	CK_AUDIT_OK,          /* meets the recommendation */
	CK_AUDIT_WARN,        /* an unmet recommendation: the only status that counts as unmet */
	CK_AUDIT_INFO,        /* worth knowing; may carry advice, never counts as unmet */
};

/*
 * One check of the audit table. Only the checks with can_warn set ever
 * report CK_AUDIT_WARN:
 *   unprivileged_user_namespace  an unprivileged process can create a user namespace
 *   seccomp_filter               seccomp filters are missing or refused to this process
 *   yama_ptrace_scope            Yama is absent, or kernel.yama.ptrace_scope = 0
 *   unprivileged_bpf_disabled    kernel.unprivileged_bpf_disabled = 0
 * Entries are reached through pointers; the struct only ever grows at its end.
 */
struct ck_audit_check {
	const char *id;      /* "yama_ptrace_scope": stable */
	const char *title;   /* "kernel.yama.ptrace_scope": for people */
	const char *why;     /* why it matters for clone(), one sentence */
	bool can_warn;
};

/*
 * What one check found. The strings belong to the report and live until
 * ck_audit_report_free(). Entries are reached through pointers; the struct
 * only ever grows at its end.
 */
struct ck_audit_item {
	const char *id;             /* the check's id */
	const char *title;          /* the check's title */
	const char *value;          /* what was found: a sysctl's text as read, "absent", ... */
	enum ck_audit_status status;
	const char *why;            /* the check's why */
	/* What to set, one sentence: always for WARN, sometimes for INFO, NULL when met. */
	const char *recommendation;
};

struct ck_audit_report;

/*
 * Runs every check, in table order, and stores a report to free with
 * ck_audit_report_free() in *out. Returns 0, or a negative errno with *out
 * set to NULL:
 *   -EINVAL  out is NULL;
 *   -ENOMEM  the report cannot be allocated.
 * A setting that cannot be read is an item with CK_AUDIT_UNKNOWN, not an
 * error. Runs ck_probe(), with its children; see probe.h.
 */
CK_API int ck_audit(struct ck_audit_report **out);
CK_API size_t ck_audit_report_count(const struct ck_audit_report *r);
/* The i-th item, NULL (errno EINVAL) past the end or for a NULL report. */
CK_API const struct ck_audit_item *ck_audit_report_at(const struct ck_audit_report *r, size_t i);
/* By check id; NULL with errno ENOENT when no item has it. */
CK_API const struct ck_audit_item *ck_audit_report_find(const struct ck_audit_report *r,
							 const char *id);
/* How many items are CK_AUDIT_WARN. */
CK_API size_t ck_audit_report_unmet(const struct ck_audit_report *r);
CK_API void ck_audit_report_free(struct ck_audit_report *r);

/* "ok", "warn", "info", "unknown"; "?" for any other value. */
CK_API const char *ck_audit_status_name(enum ck_audit_status s);

CK_API size_t ck_audit_check_count(void);
/* The i-th check, NULL past the end. */
CK_API const struct ck_audit_check *ck_audit_check_at(size_t i);

#ifdef __cplusplus
}
#endif

#endif
