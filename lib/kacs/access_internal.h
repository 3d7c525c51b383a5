/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What access.c shares with psb.c: AccessCheck without the size-first copies, and label SID rules. */
#ifndef CK_KACS_ACCESS_INTERNAL_H
#define CK_KACS_ACCESS_INTERNAL_H

#include <clonekit/kacs.h>

#include <stddef.h>

/* The smallest ck_kacs_access_result a caller may pass: the struct before the explain fields. */
#define CK__KACS_RESULT_MIN offsetof(struct ck_kacs_access_result, integrity_rid)

/* What the two-check rule needs beyond the result. */
struct ck__kacs_detail {
	uint32_t granted;    /* the pipeline's granted mask, also on a refusal */
	uint32_t pip_denied; /* the bits the object's trust label decided */
	bool want_max;       /* MAXIMUM_ALLOWED was asked */
};
/* AccessCheck into r (this library's size), req already copied in: r->error. d may be NULL. */
int ck__kacs_access_check(const struct ck_kacs_token *tok, const struct ck_kacs_sd *sd,
			  const struct ck_kacs_access_request *req, struct ck_kacs_access_result *r,
			  struct ck__kacs_detail *d);
/* A mandatory label's SID: S-1-16-X, X one of the five levels under v0.20, any X under v0.22. */
bool ck__kacs_label_sid_valid(const struct ck_kacs_sid *sid, enum ck_kacs_profile p);
/* A trust label's SID: S-1-19-type-trust. */
bool ck__kacs_trust_sid_valid(const struct ck_kacs_sid *sid);

/* Whether a reason grants the bit (ALLOW_ACE, NULL_DACL, OWNER, PRIVILEGE, DEBUG, SAME_PROCESS). */
bool ck__kacs_why_grants(uint8_t why);
/* "Low" for 4096, the number otherwise. */
const char *ck__kacs_il_name(uint32_t rid, char *buf, size_t len);
/* "Protected/8192": a PIP type's name (or number) and the trust. */
const char *ck__kacs_pip_name(uint32_t type, uint32_t trust, char *buf, size_t len);

#endif
