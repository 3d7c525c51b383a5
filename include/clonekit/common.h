/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions every clonekit header shares. */
#ifndef CLONEKIT_COMMON_H
#define CLONEKIT_COMMON_H

#if defined(CK_BUILDING_LIBRARY)
#define CK_API __attribute__((visibility("default")))
#else
#define CK_API
#endif

#define CK_VERSION_MAJOR 0
#define CK_VERSION_MINOR 1
#define CK_VERSION_PATCH 0
#define CK_VERSION_STRING "0.1.0"

#endif
