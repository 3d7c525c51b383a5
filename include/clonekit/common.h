/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions every clonekit header shares, and the library's version. */
#ifndef CLONEKIT_COMMON_H
#define CLONEKIT_COMMON_H

#include <clonekit/features.h>

#if defined(CK_BUILDING_LIBRARY)
#define CK_API __attribute__((visibility("default")))
#else
#define CK_API
#endif

/* A version as one number that orders as versions do: 0.1.0 is 1000, 1.2.3 is 1002003. */
#define CK_VERSION_NUMBER(major, minor, patch) \
	((unsigned)(major) * 1000000u + (unsigned)(minor) * 1000u + (unsigned)(patch))
/* The version of the headers compiled against. */
#define CK_VERSION CK_VERSION_NUMBER(CK_VERSION_MAJOR, CK_VERSION_MINOR, CK_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of the library loaded at run time, which may be newer than
 * the headers: "0.1.0" (static storage), and as CK_VERSION_NUMBER().
 */
CK_API const char *ck_version(void);
CK_API unsigned ck_version_number(void);

#ifdef __cplusplus
}
#endif

#endif
