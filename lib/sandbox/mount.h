/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mount list of ck_spawn (spawn.h, "mounts"): kept in the attribute set,
 * resolved by the parent into a plan of ready-made paths, and carried out by
 * the child in a new mount namespace as bubblewrap 0.8 does it — a tmpfs
 * root, the operations in order under /newroot with the caller's tree at
 * /oldroot, then pivot_root into the new root and the old one detached.
 */
#ifndef CK_SANDBOX_MOUNT_H
#define CK_SANDBOX_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/spawn.h>

struct ck_spawn_attr;

/* One operation as the attribute set keeps it (its own copies of the strings, its own fd). */
struct ck__mount_op {
	enum ck_mount_type type;
	unsigned flags;            /* CK_MOUNT_TRY, CK_MOUNT_PERMS */
	char *source;
	char *dest;
	int fd;                    /* a close-on-exec duplicate, or -1 */
	int given_fd;              /* the caller's fd it duplicates, for messages */
	int perms;                 /* the mode the operation uses (its default when not given) */
	uint64_t tmpfs_size;
};

/* What went wrong in the mount step: the call that failed (in ck__report.cause). */
enum ck__mount_act {
	CK__MACT_SLAVE,           /* mount --make-rslave / */
	CK__MACT_BASE,            /* the tmpfs the new root is built in */
	CK__MACT_PIVOT,           /* pivot_root */
	CK__MACT_RESOLVE,         /* realpath of the source (in the parent) */
	CK__MACT_OPEN_SOURCE,     /* open of the source under the old root */
	CK__MACT_FD_CHANGED,      /* bind-fd: the path of the fd names another file now */
	CK__MACT_MKDIR_PARENTS,   /* the directories above dest */
	CK__MACT_MKDIR,           /* dest as a directory */
	CK__MACT_MKFILE,          /* dest as a file to mount on */
	CK__MACT_OPEN_TREE,       /* open_tree(OPEN_TREE_CLONE|AT_RECURSIVE) of the source */
	CK__MACT_SETATTR,         /* mount_setattr: nosuid, nodev, rdonly */
	CK__MACT_MOVE_MOUNT,      /* move_mount of the clone onto dest */
	CK__MACT_MOUNT,           /* mount(2) of a file system */
	CK__MACT_ACCESS,          /* access(W_OK) of a /proc entry to cover */
	CK__MACT_SYMLINK,
	CK__MACT_CHMOD,
	CK__MACT_CREATE,          /* the file a file or bind-data operation fills */
	CK__MACT_COPY,            /* copying the fd's data into it */
	CK__MACT_OLDROOT,         /* making the old root private and detaching it */
	CK__MACT_CHDIR,
	CK__MACT__COUNT,
};

/* Resolved by the parent before clone: every path the child uses, ready. */
struct ck__mount_step {
	const struct ck__mount_op *op;
	char *source;              /* "/oldroot/..." (binds), the link target (symlink), or NULL */
	char *dest;                /* "/newroot/..." */
	bool skip;                 /* a -try source that does not exist */
};

struct ck__mount_plan {
	struct ck__mount_step *steps;
	size_t n;
	bool new_pid;              /* proc: a new instance (else the caller's, bound) */
	char console[64];          /* dev: "/oldroot/dev/pts/N" when the child's stdout is a tty */
	const char *home;          /* where to go when the old cwd is not in the new root */
	bool keep_cwd;             /* the caller set a cwd: leave it to the chdir step */
};

/* A failure: which operation (-1: building the root), the call, its path, its errno. */
struct ck__mount_fail {
	int op;
	int act;                   /* enum ck__mount_act */
	int err;
	char path[256];
};

/*
 * The plan for a's mounts, or NULL when a asks for no new root. -errno with
 * *fail when a source cannot be resolved (realpath, readlink of a bind fd).
 */
int ck__mount_plan_new(const struct ck_spawn_attr *a, struct ck__mount_plan **plan,
		       struct ck__mount_fail *fail) __attribute__((visibility("hidden")));
void ck__mount_plan_free(struct ck__mount_plan *plan) __attribute__((visibility("hidden")));

/* In the child: builds the new root and enters it. 0, or -errno with *fail. System calls only. */
int ck__mount_child(const struct ck__mount_plan *plan, struct ck__mount_fail *fail)
	__attribute__((visibility("hidden")));

/* Frees the attribute set's operations. */
void ck__mount_ops_free(struct ck_spawn_attr *a) __attribute__((visibility("hidden")));

/* "ro-bind /usr on /usr" for a message. */
void ck__mount_op_describe(const struct ck__mount_op *op, char *buf, size_t len)
	__attribute__((visibility("hidden")));
/* "open_tree", "mount_setattr", ... */
const char *ck__mount_act_name(int act) __attribute__((visibility("hidden")));

#endif
