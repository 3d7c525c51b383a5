/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the supervisor calls in a module this build does not have
 * (meson.build defines CK__KACS_NO_<MODULE> when lib/kacs/<module>.c is
 * absent): each answers that the module is not linked, never a verdict.
 * A build with every module compiles nothing here.
 */
#include <errno.h>

#include "kacs/supervisor.h"

#ifdef CK__KACS_NO_FILTER
/* filter.c is not linked: no supervisor filter, so no tree can be started (ENOSYS). */
struct ck_seccomp_policy *ck__kacs_filter_policy(void)
{
	errno = ENOSYS;
	return (struct ck_seccomp_policy *)0;
}
#endif

#ifdef CK__KACS_NO_ENFORCE
/* enforce.c is not linked: every §9 call is answered ENOSYS (never let through unchecked). */
int ck__kacs_enforce(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	(void)s;
	ck__kacs_reply_error(c, ENOSYS);
	return 0;
}
#endif

#ifdef CK__KACS_NO_EMULATE
/* emulate.c is not linked: no call is emulated (the KACS numbers reach enforce, i.e. ENOSYS above). */
bool ck__kacs_emulated(int nr)
{
	(void)nr;
	return false;
}

int ck__kacs_emulate(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	(void)s;
	ck__kacs_reply_error(c, ENOSYS);
	return 0;
}
#endif

#ifdef CK__KACS_NO_HANDLE
/* handle.c is not linked: no handle is ever made, so none can hang up. */
void ck__kacs_handle_hup(struct ck__kacs_sup *s, int sfd)
{
	(void)s;
	(void)sfd;
}

void ck__kacs_handles_free(struct ck__kacs_sup *s)
{
	(void)s;
}

size_t ck__kacs_handles_count(struct ck__kacs_sup *s)
{
	(void)s;
	return 0;
}
#endif
