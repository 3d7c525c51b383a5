/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every public clonekit header. */
#ifndef CLONEKIT_CLONEKIT_H
#define CLONEKIT_CLONEKIT_H

#include <clonekit/common.h>
#include <clonekit/flags.h>
#include <clonekit/abi.h>
#include <clonekit/validate.h>
#include <clonekit/clone.h>
#include <clonekit/probe.h>
#include <clonekit/audit.h>
#include <clonekit/spawn.h>
#include <clonekit/seccomp.h>
#include <clonekit/event.h>
#include <clonekit/trace.h>
#if CK_HAVE_WATCHER
#include <clonekit/watch.h>
#endif
#include <clonekit/detect.h>
#include <clonekit/kacs.h>
#include <clonekit/kacs_abi.h>

#endif
