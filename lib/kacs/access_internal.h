/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What access.c shares with psb.c: AccessCheck without the size-first copies, and which reasons grant. */
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

/* Whether a reason grants the bit (ALLOW_ACE, NULL_DACL, OWNER, PRIVILEGE, DEBUG, SAME_PROCESS). */
bool ck__kacs_why_grants(uint8_t why);

#endif
