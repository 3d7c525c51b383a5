/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the KACS ABI (design §5): QUERY's payloads and its
 * buffer protocol, the ioctl arguments decoded into the model's calls, the
 * token-open mask rule, the impersonation gates (token_query.c), and the
 * security-information subsets of kacs_get_sd / kacs_set_sd (sd_info.c).
 * Nothing here touches a process: emulate.c reads the caller's memory and
 * hands these functions S's own copies. 0 or -errno.
 */
#ifndef CK_KACS_TOKEN_QUERY_H
#define CK_KACS_TOKEN_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include <clonekit/kacs.h>
#include <clonekit/kacs_abi.h>

/*
 * The payload of query class cls for t (K20 6-abi-reference.md §3), malloc'd
 * into *out (NULL when empty) and *len. sessions gives LOGON_TYPE (the
 * session of auth_id). -EINVAL for an unknown class or, for LOGON_TYPE, a
 * session that is not in the table; -ENOMEM.
 */
int ck__kacs_query_payload(const struct ck_kacs_token *t, const struct ck_kacs_sessions *sessions, uint32_t cls,
			   uint8_t **out, size_t *len);

/*
 * QUERY's buffer protocol (K20 6-abi-reference.md §3) on S's copy a of the
 * caller's struct at args_addr, for a payload of required bytes: a->buf_len
 * becomes required and *write says whether the payload is to be written at
 * a->buf_ptr. 0 (a size query, or the payload fits), -ERANGE (too small:
 * write a back, no payload), -EINVAL (the payload would overlap the struct:
 * write nothing), -EOVERFLOW (past u32).
 */
int ck__kacs_query_answer(struct ck_kacs_query_args *a, uint64_t args_addr, size_t required, bool *write);

/* Every bit a token open may ask (PKM kacs/token_fd.c): 0 or another bit is -EINVAL. */
#define CK__KACS_TOKEN_OPEN_VALID                                                                        \
	(CK_KACS_TOKEN_ALL_ACCESS | CK_KACS_ACCESS_SYSTEM_SECURITY | CK_KACS_MAXIMUM_ALLOWED |            \
	 CK_KACS_GENERIC_READ | CK_KACS_GENERIC_WRITE | CK_KACS_GENERIC_EXECUTE | CK_KACS_GENERIC_ALL)
int ck__kacs_token_open_mask(uint32_t mask);

/*
 * The handle mask subject gets on target: mask (generic bits mapped with the
 * token mapping, MAXIMUM_ALLOWED giving all that is granted) checked against
 * target's own SD with the caller's PIP. 0 and *granted, -EINVAL for a bad
 * mask, -EACCES; res (may be NULL) gets AccessCheck's answer (its
 * privileges_used are the caller's to mark).
 */
int ck__kacs_token_open_check(const struct ck_kacs_token *subject, const struct ck_kacs_token *target,
			      uint32_t mask, uint32_t pip_type, uint32_t pip_trust, enum ck_kacs_profile p,
			      uint32_t *granted, struct ck_kacs_access_result *res);

/*
 * The impersonation gates of K20 9-impersonation/2-gates.md for a server
 * (the calling thread's primary token) taking client: the level the thread
 * acts at, and SeImpersonatePrivilege in *used when the identity gate
 * needed it. -EINVAL when client is not an Impersonation token, -EPERM for
 * a restricted server taking its own user's unrestricted token.
 */
int ck__kacs_imp_gate(const struct ck_kacs_token *server, const struct ck_kacs_token *client,
		      enum ck_kacs_imp_level *level, uint64_t *used);

/* ADJUST_PRIVS / ADJUST_GROUPS headers (K20 §4): -EINVAL for _pad != 0, count 0 or past 64. */
int ck__kacs_ioc_count(uint32_t count, uint32_t pad);
/* ADJUST_DEFAULT's header: -EINVAL for a length without a pointer or past 65536. */
int ck__kacs_ioc_adjust_default_check(const struct ck_kacs_adjust_default_args *a);
/* ADJUST_DEFAULT on t with the DACL bytes S read (NULL when dacl_len is 0): all or nothing. */
int ck__kacs_ioc_adjust_default(struct ck_kacs_token *t, const struct ck_kacs_adjust_default_args *a,
				const void *dacl, struct ck_kacs_error *err);
/* RESTRICT's header: -EINVAL for unknown flags or a payload past 65536. */
int ck__kacs_ioc_restrict_check(const struct ck_kacs_abi_restrict_args *a);
/* The model's request for RESTRICT's args and the payload S read. */
void ck__kacs_ioc_restrict_req(const struct ck_kacs_abi_restrict_args *a, const void *payload,
			       struct ck_kacs_restrict_args *out);

/*
 * kacs_get_sd's subset (K20 1-syscalls.md): the components info names of sd
 * (LABEL: the first non-inherit-only mandatory label as the SACL), as a new
 * SD. -EINVAL for a bad info, -ENOMEM.
 */
int ck__kacs_sd_subset(const struct ck_kacs_sd *sd, uint32_t info, struct ck_kacs_sd **out);
/*
 * kacs_set_sd's merge (K20 11-facs/6-set-security.md): cur with the
 * components info names taken from in, for subject: an owner that is
 * neither the subject's user nor a group of it with SE_GROUP_OWNER needs
 * SeRestorePrivilege enabled (else -EACCES), a label above the subject's
 * integrity SeRelabelPrivilege (else -EACCES); a LABEL subset that is not
 * exactly one non-inherit-only label, or a result without an owner, is
 * -EINVAL. The privileges used go to *used. -ENOMEM.
 */
int ck__kacs_sd_merge(const struct ck_kacs_sd *cur, const struct ck_kacs_sd *in, uint32_t info,
		      const struct ck_kacs_token *subject, struct ck_kacs_sd **out, uint64_t *used);

#endif
