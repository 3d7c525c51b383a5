/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capabilities for ck_spawn, as bubblewrap leaves them: the bounding set cut
 * in a new user namespace, then effective, permitted and inheritable set to
 * what is kept and the same raised in the ambient set, so that it survives
 * execve for any uid. Raw capset and prctl: the child makes system calls
 * only, and the library takes no libcap dependency for 41 names.
 */
#include <clonekit/spawn.h>

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/proc.h"

#define CAP_NAMES_MAX 64

/* Names as capabilities(7) spells them, indexed by number. */
static const char *const cap_names[CAP_NAMES_MAX] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

const char *ck_cap_name(int cap)
{
	return cap >= 0 && cap < CAP_NAMES_MAX ? cap_names[cap] : NULL;
}

int ck_cap_from_name(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	if (isdigit((unsigned char)name[0])) {
		char *end;
		errno = 0;
		unsigned long n = strtoul(name, &end, 10);
		return *end || errno || n >= CAP_NAMES_MAX ? -EINVAL : (int)n;
	}
	/* "CAP_X", "cap_x" and "X" name the same capability, as libcap's cap_from_name */
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	for (int i = 0; i < CAP_NAMES_MAX; i++)
		if (cap_names[i] && strcasecmp(cap_names[i] + 4, bare) == 0)
			return i;
	return -EINVAL;
}

int ck_caps_effective(uint64_t *caps)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (!caps)
		return -EINVAL;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	*caps = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}

/* 1 when the kernel knows capability cap, 0 when not, -1 when prctl cannot say (a seccomp profile). */
static int cap_known(int cap)
{
	if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0)
		return 1;
	return errno == EINVAL ? 0 : -1;
}

int ck__cap_last(void)
{
	long long last;
	int c = CAP_LAST_CAP, k;

	/* PR_CAPBSET_READ fails with EINVAL exactly past the kernel's last capability: ~2 calls, no /proc */
	if ((k = cap_known(c)) == 1) {
		while (c + 1 < CAP_NAMES_MAX && (k = cap_known(c + 1)) == 1)
			c++;
		if (k == 0 || c + 1 == CAP_NAMES_MAX)
			return c;
	} else if (k == 0) {
		while (c > 0 && (k = cap_known(c - 1)) == 0)
			c--;
		if (k == 1)
			return c - 1;
	}
	if (ck__read_ll("/proc/sys/kernel/cap_last_cap", &last) < 0 || last < 0 ||
	    last >= CAP_NAMES_MAX)
		return CAP_LAST_CAP;
	return (int)last;
}

int ck_spawn_attr_set_caps(struct ck_spawn_attr *a, uint64_t keep)
{
	if (!a)
		return -EINVAL;
	a->set_caps = true;
	a->caps = keep;
	return 0;
}

int ck_spawn_attr_set_cap_bounding(struct ck_spawn_attr *a, uint64_t bounding)
{
	if (!a)
		return -EINVAL;
	a->set_bounding = true;
	a->bounding = bounding;
	return 0;
}

CK_CHILD_CODE static int capset_all(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

CK_CHILD_CODE int ck__caps_apply(bool cut_bounding, uint64_t bounding, bool set_sets, uint64_t keep,
				 int last_cap)
{
	uint64_t valid = last_cap >= 63 ? UINT64_MAX : (UINT64_C(1) << (last_cap + 1)) - 1;
	int r;

	bounding &= valid;
	keep &= valid;
	/* the bounding set first: dropping from it needs CAP_SETPCAP, which keep may not hold */
	for (int cap = 0; cut_bounding && cap <= last_cap; cap++)
		if (!(bounding >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	if (!set_sets)
		return 0;
	if ((r = capset_all(keep, keep, keep)) < 0)
		return r;
	for (int cap = 0; cap <= last_cap; cap++)
		if ((keep >> cap & 1) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -errno;
	return 0;
}

CK_CHILD_CODE int ck__caps_clear(void)
{
	return capset_all(0, 0, 0);
}
