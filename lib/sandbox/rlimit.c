/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource limits for ck_spawn: the names, "NAME=SOFT[:HARD]", and the child's prlimit. */
#include <clonekit/spawn.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/proc.h"

static const char *const names[CK__RLIMIT_MAX] = {
	[RLIMIT_CPU] = "CPU",         [RLIMIT_FSIZE] = "FSIZE",   [RLIMIT_DATA] = "DATA",
	[RLIMIT_STACK] = "STACK",     [RLIMIT_CORE] = "CORE",     [RLIMIT_RSS] = "RSS",
	[RLIMIT_NPROC] = "NPROC",     [RLIMIT_NOFILE] = "NOFILE", [RLIMIT_MEMLOCK] = "MEMLOCK",
	[RLIMIT_AS] = "AS",           [RLIMIT_LOCKS] = "LOCKS",   [RLIMIT_SIGPENDING] = "SIGPENDING",
	[RLIMIT_MSGQUEUE] = "MSGQUEUE", [RLIMIT_NICE] = "NICE",   [RLIMIT_RTPRIO] = "RTPRIO",
	[RLIMIT_RTTIME] = "RTTIME",
};

const char *ck_rlimit_name(int resource)
{
	return resource >= 0 && resource < CK__RLIMIT_MAX ? names[resource] : NULL;
}

int ck_spawn_attr_set_rlimit(struct ck_spawn_attr *a, int resource, uint64_t soft, uint64_t hard)
{
	if (!a || !ck_rlimit_name(resource) || soft > hard)
		return -EINVAL;
	size_t i = 0;
	while (i < a->nrlimits && a->rlimits[i].resource != resource)
		i++;
	a->rlimits[i] = (struct ck__rlimit){ resource, soft, hard };
	if (i == a->nrlimits)
		a->nrlimits++;
	return 0;
}

/* One value: a decimal number, or "unlimited"/"infinity". */
static bool parse_value(const char *s, size_t len, uint64_t *out)
{
	if ((len == 9 && strncasecmp(s, "unlimited", 9) == 0) ||
	    (len == 8 && strncasecmp(s, "infinity", 8) == 0)) {
		*out = CK_RLIM_INFINITY;
		return true;
	}
	uint64_t v = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

int ck_rlimit_parse(const char *text, int *resource, uint64_t *soft, uint64_t *hard, char *why,
		    size_t why_len)
{
	char dummy[1];
	if (!why) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	if (!text || !resource || !soft || !hard) {
		snprintf(why, why_len, "a NULL argument");
		return -EINVAL;
	}
	const char *eq = strchr(text, '=');
	if (!eq) {
		snprintf(why, why_len, "'%s': expected NAME=SOFT[:HARD] (e.g. NOFILE=1024:4096)", text);
		return -EINVAL;
	}
	const char *name = text;
	size_t nlen = (size_t)(eq - text);
	if (nlen > 7 && strncasecmp(name, "RLIMIT_", 7) == 0) {
		name += 7;
		nlen -= 7;
	}
	int res = -1;
	for (int i = 0; i < CK__RLIMIT_MAX; i++)
		if (names[i] && strlen(names[i]) == nlen && strncasecmp(names[i], name, nlen) == 0)
			res = i;
	if (res < 0) {
		snprintf(why, why_len, "'%.*s': no such resource limit (CPU FSIZE DATA STACK CORE RSS NPROC NOFILE MEMLOCK AS LOCKS SIGPENDING MSGQUEUE NICE RTPRIO RTTIME)",
			 (int)(eq - text), text);
		return -EINVAL;
	}
	const char *v = eq + 1, *colon = strchr(v, ':');
	uint64_t s, h;
	if (!parse_value(v, colon ? (size_t)(colon - v) : strlen(v), &s) ||
	    (colon && !parse_value(colon + 1, strlen(colon + 1), &h))) {
		snprintf(why, why_len, "'%s': a limit is a number or 'unlimited'", v);
		return -EINVAL;
	}
	if (!colon)
		h = s; /* as prlimit(1): one value sets both */
	if (s > h) {
		snprintf(why, why_len, "'%s': the soft limit is above the hard limit", v);
		return -EINVAL;
	}
	*resource = res;
	*soft = s;
	*hard = h;
	return 0;
}

CK_CHILD_CODE int ck__rlimits_apply(const struct ck_spawn_attr *a, int *failed)
{
	for (size_t i = 0; i < a->nrlimits; i++) {
		struct rlimit64 rl = { a->rlimits[i].soft, a->rlimits[i].hard };
		if (syscall(SYS_prlimit64, 0, a->rlimits[i].resource, &rl, NULL) < 0) {
			*failed = a->rlimits[i].resource;
			return -errno;
		}
	}
	return 0;
}
