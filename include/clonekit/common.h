/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions every clonekit header shares. */
#ifndef CLONEKIT_COMMON_H
#define CLONEKIT_COMMON_H

#include <clonekit/features.h>

#if defined(CK_BUILDING_LIBRARY)
#define CK_API __attribute__((visibility("default")))
#else
#define CK_API
#endif

#endif
