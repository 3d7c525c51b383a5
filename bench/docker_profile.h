/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Docker's default seccomp profile for x86_64 hosts, as data (docker_profile.c). */
#ifndef CLONEKIT_BENCH_DOCKER_PROFILE_H
#define CLONEKIT_BENCH_DOCKER_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

/* A rule with at most one argument comparison (nargs 0 or 1). */
struct docker_rule {
	const char *syscall;
	uint32_t action;
	unsigned nargs;
	struct scmp_arg_cmp arg;
};

/* What every call not named below gets. */
extern const uint32_t docker_default_action;
/* Allowed whatever their arguments. */
extern const char *const docker_allow[];
extern const size_t docker_allow_count;
/* Allowed or refused by their arguments, and clone3. */
extern const struct docker_rule docker_rules[];
extern const size_t docker_rules_count;

#endif
