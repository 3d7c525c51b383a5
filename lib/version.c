/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_version(): the version of the library that is running, not of the headers. */
#include <clonekit/common.h>

const char *ck_version(void)
{
	return CK_VERSION_STRING;
}

unsigned ck_version_number(void)
{
	return CK_VERSION;
}
