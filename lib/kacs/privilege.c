/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The privilege catalog (K20 7-privileges/2-catalog.md), each privilege at
 * its LUID, the bit of the token's masks (13-appendix-a/6-abi-reference.md
 * "Privilege bit positions").
 */
#include <clonekit/kacs.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal/util.h"

static const char *const names[64] = {
	[2] = "SeCreateTokenPrivilege",
	[3] = "SeAssignPrimaryTokenPrivilege",
	[4] = "SeLockMemoryPrivilege",
	[5] = "SeIncreaseQuotaPrivilege",
	[6] = "SeMachineAccountPrivilege",
	[7] = "SeTcbPrivilege",
	[8] = "SeSecurityPrivilege",
	[9] = "SeTakeOwnershipPrivilege",
	[10] = "SeLoadDriverPrivilege",
	[11] = "SeSystemProfilePrivilege",
	[12] = "SeSystemtimePrivilege",
	[13] = "SeProfileSingleProcessPrivilege",
	[14] = "SeIncreaseBasePriorityPrivilege",
	[15] = "SeCreatePagefilePrivilege",
	[16] = "SeCreatePermanentPrivilege",
	[17] = "SeBackupPrivilege",
	[18] = "SeRestorePrivilege",
	[19] = "SeShutdownPrivilege",
	[20] = "SeDebugPrivilege",
	[21] = "SeAuditPrivilege",
	[22] = "SeSystemEnvironmentPrivilege",
	[23] = "SeChangeNotifyPrivilege",
	[24] = "SeRemoteShutdownPrivilege",
	[25] = "SeUndockPrivilege",
	[26] = "SeSyncAgentPrivilege",
	[27] = "SeEnableDelegationPrivilege",
	[28] = "SeManageVolumePrivilege",
	[29] = "SeImpersonatePrivilege",
	[30] = "SeCreateGlobalPrivilege",
	[31] = "SeTrustedCredManAccessPrivilege",
	[32] = "SeRelabelPrivilege",
	[33] = "SeIncreaseWorkingSetPrivilege",
	[34] = "SeTimeZonePrivilege",
	[35] = "SeCreateSymbolicLinkPrivilege",
	[62] = "SeCreateJobPrivilege",          /* Peios */
	[63] = "SeBindPrivilegedPortPrivilege", /* Peios */
};

const char *ck_kacs_privilege_name(unsigned luid)
{
	return luid < CK_ARRAY_SIZE(names) ? names[luid] : NULL;
}

/* Whether text[0..n) names the privilege full (any case), also without "Se" and/or "Privilege". */
static bool names_privilege(const char *text, size_t n, const char *full)
{
	static const char suffix[] = "Privilege";
	const char *core = full + 2;                          /* past "Se" */
	size_t core_len = strlen(core) - (sizeof(suffix) - 1); /* before "Privilege" */

	if (n >= 2 && strncasecmp(text, "se", 2) == 0 && n - 2 >= core_len &&
	    strncasecmp(text + 2, core, core_len) == 0 &&
	    (n - 2 == core_len || (n - 2 == core_len + sizeof(suffix) - 1 &&
				   strncasecmp(text + 2 + core_len, suffix, sizeof(suffix) - 1) == 0)))
		return true;
	return n >= core_len && strncasecmp(text, core, core_len) == 0 &&
	       (n == core_len || (n == core_len + sizeof(suffix) - 1 &&
				  strncasecmp(text + core_len, suffix, sizeof(suffix) - 1) == 0));
}

int ck_kacs_privilege_parse(const char *text, unsigned *luid)
{
	if (!text || !*text)
		return -EINVAL;
	if (isdigit((unsigned char)text[0])) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(text, &end, 10);
		if (errno || *end || v >= CK_ARRAY_SIZE(names) || !names[v])
			return -EINVAL;
		if (luid)
			*luid = (unsigned)v;
		return 0;
	}
	size_t n = strlen(text);
	for (unsigned i = 0; i < CK_ARRAY_SIZE(names); i++) {
		if (names[i] && names_privilege(text, n, names[i])) {
			if (luid)
				*luid = i;
			return 0;
		}
	}
	return -EINVAL;
}
