/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Looks at the live system for the validator: PIDs, cgroup fds, address limits. */
#ifndef CK_INTERNAL_LIVE_H
#define CK_INTERNAL_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

bool ck__arch_native_is_x86_64(void);

/* Whether a PID in the caller's PID namespace belongs to a task (zombies too). */
bool ck__pid_in_use(int pid);
/*
 * Whether a PID is taken in the PID namespace ns_link names (a /proc/.../ns
 * link): some visible task of that namespace has it as its innermost PID.
 * pid 0 asks whether the namespace has any visible task at all.
 */
bool ck__pid_in_use_in_pidns(const char *ns_link, int pid);

#include <clonekit/validate.h>

/* What fd is, for CLONE_INTO_CGROUP. */
enum ck_cgroup_fd_state ck__cgroup_fd_state(int fd);
/* Whether a cgroup v2 controller is thread-capable (marked .threaded: cgrp_dfl_threaded_ss_mask). */
bool ck__cgroup_controller_threaded(const char *name);

/* A cgroup directory and its ancestors up to the root of the mount it was reached through. */
#define CK_CGROUP_CHAIN_MAX 64
struct ck__cgroup_chain {
	size_t n;                     /* fd[0] is the cgroup itself, fd[n - 1] the mount's root */
	int fd[CK_CGROUP_CHAIN_MAX];  /* O_PATH directory fds, owned */
	dev_t dev;
	ino_t ino[CK_CGROUP_CHAIN_MAX];
};
/* Walks up from dirfd (not taken). 0, or -errno (-ELOOP when deeper than the chain holds). */
int ck__cgroup_chain_open(int dirfd, struct ck__cgroup_chain *c);
void ck__cgroup_chain_close(struct ck__cgroup_chain *c);
/* The index in c of the directory (dev, ino), or -1. */
int ck__cgroup_chain_find(const struct ck__cgroup_chain *c, dev_t dev, ino_t ino);
/* The index of the chain's resource domain: the first cgroup that is not "threaded". */
size_t ck__cgroup_chain_domain(const struct ck__cgroup_chain *c);
/* One cgroup or cgroup2 line of /proc/self/mountinfo. */
struct ck__cgroup_mount {
	dev_t dev;
	char root[1024], mnt[1024], super[1024]; /* the mounted root, the mount point, the super options */
};
/*
 * The first cgroup mount of fstype ("cgroup" or "cgroup2") that match
 * accepts (NULL: any) into *out: 0, -ENOENT, or -errno of reading the table.
 */
int ck__cgroup_mount_find(const char *fstype, bool (*match)(const struct ck__cgroup_mount *m, const void *arg),
			  const void *arg, struct ck__cgroup_mount *out);
/* Whether word is one of the tokens of list, split at any of seps. */
bool ck__has_token(const char *list, const char *word, const char *seps);
/* Whether the cgroup2 mount with device dev has the nsdelegate option: 1, 0, -1 not found. */
int ck__cgroup2_nsdelegate(dev_t dev);

/* The mount point of the cgroup v2 hierarchy into buf; 0 or -errno. */
int ck__cgroup2_mount(char *buf, size_t len);

#endif
