/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_spawn's mount list (spawn.h, "mounts"), with bubblewrap 0.8's
 * semantics: the attribute set keeps the operations, the parent resolves
 * them into a plan of ready paths (realpath of every bind source, as bwrap
 * does before its pivot), and the child — its own copy, never a CLONE_VM
 * child — builds the new root with system calls only:
 *
 *   / made a recursive slave; a tmpfs on /tmp holds newroot/ (bound on
 *   itself) and oldroot/; pivot_root(/tmp, oldroot); each operation under
 *   /newroot with the caller's tree at /oldroot; the old root made private;
 *   pivot_root into /newroot and the intermediate root detached with the
 *   old root under it.
 *
 * Binds are open_tree clones with their flags set by mount_setattr before
 * they are attached, so a read-only bind is never writable, even for a
 * moment, and every submount gets the flags (bwrap remounts them one by one).
 */
#include <clonekit/flags.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/spawn.h"
#include "internal/util.h"
#include "sandbox/mount.h"

/* Where the new root is built (bwrap's base_path): hidden from the program by the pivot. */
#define BASE "/tmp"
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

/* ---- the attribute set ---- */

struct type_info {
	const char *name;   /* bwrap's option without "--" */
	bool source;        /* needs a source */
	bool fd;            /* needs an fd */
	bool try_ok;        /* takes CK_MOUNT_TRY */
	bool perms_ok;      /* takes CK_MOUNT_PERMS */
	int perms;          /* the mode without it */
};

static const struct type_info types[] = {
	[CK_MOUNT_BIND] = { "bind", true, false, true, false, -1 },
	[CK_MOUNT_RO_BIND] = { "ro-bind", true, false, true, false, -1 },
	[CK_MOUNT_DEV_BIND] = { "dev-bind", true, false, true, false, -1 },
	[CK_MOUNT_BIND_FD] = { "bind-fd", false, true, false, false, -1 },
	[CK_MOUNT_RO_BIND_FD] = { "ro-bind-fd", false, true, false, false, -1 },
	[CK_MOUNT_REMOUNT_RO] = { "remount-ro", false, false, false, false, -1 },
	[CK_MOUNT_PROC] = { "proc", false, false, false, false, -1 },
	[CK_MOUNT_DEV] = { "dev", false, false, false, false, -1 },
	[CK_MOUNT_TMPFS] = { "tmpfs", false, false, false, true, 0755 },
	[CK_MOUNT_MQUEUE] = { "mqueue", false, false, false, false, -1 },
	[CK_MOUNT_DIR] = { "dir", false, false, false, true, 0755 },
	[CK_MOUNT_FILE] = { "file", false, true, false, true, 0666 },
	[CK_MOUNT_BIND_DATA] = { "bind-data", false, true, false, true, 0600 },
	[CK_MOUNT_RO_BIND_DATA] = { "ro-bind-data", false, true, false, true, 0600 },
	[CK_MOUNT_SYMLINK] = { "symlink", true, false, false, false, -1 },
	[CK_MOUNT_CHMOD] = { "chmod", false, false, false, true, -1 },
};

static const struct type_info *type_info(enum ck_mount_type t)
{
	return (unsigned)t < CK_ARRAY_SIZE(types) && types[t].name ? &types[t] : NULL;
}

static bool is_bind(enum ck_mount_type t)
{
	return t == CK_MOUNT_BIND || t == CK_MOUNT_RO_BIND || t == CK_MOUNT_DEV_BIND ||
	       t == CK_MOUNT_BIND_FD || t == CK_MOUNT_RO_BIND_FD;
}

static void op_clear(struct ck__mount_op *op)
{
	free(op->source);
	free(op->dest);
	if (op->fd >= 0)
		close(op->fd);
}

void ck__mount_ops_free(struct ck_spawn_attr *a)
{
	for (size_t i = 0; i < a->nmounts; i++)
		op_clear(&a->mounts[i]);
	free(a->mounts);
	a->mounts = NULL;
	a->nmounts = 0;
}

/* Checks m against its type: 0 or -errno. */
static int op_check(const struct ck_mount *m)
{
	const struct type_info *t = type_info(m->type);
	unsigned known = CK_MOUNT_TRY | CK_MOUNT_PERMS;

	if (!t || !m->dest || !m->dest[0] || (m->flags & ~known))
		return -EINVAL;
	if ((t->source && (!m->source || !m->source[0])) || (!t->source && m->source))
		return -EINVAL;
	if ((t->fd && m->fd < 0) || ((m->flags & CK_MOUNT_TRY) && !t->try_ok))
		return -EINVAL;
	if ((m->flags & CK_MOUNT_PERMS) && (!t->perms_ok || m->perms < 0 || m->perms > 07777))
		return -EINVAL;
	if (m->type == CK_MOUNT_CHMOD && !(m->flags & CK_MOUNT_PERMS))
		return -EINVAL;
	if (m->tmpfs_size && (m->type != CK_MOUNT_TMPFS || m->tmpfs_size > SIZE_MAX >> 1))
		return -EINVAL;
	/* the child joins them to /newroot/ and /oldroot/ */
	if (strlen(m->dest) + sizeof(NEWROOT) + 1 >= PATH_MAX ||
	    (m->source && strlen(m->source) + sizeof(OLDROOT) + 1 >= PATH_MAX))
		return -ENAMETOOLONG;
	return 0;
}

int ck_spawn_attr_add_mount(struct ck_spawn_attr *a, const struct ck_mount *mount)
{
	struct ck_mount m;
	struct ck__mount_op op = { .fd = -1 };
	int r;

	if (!a || !mount)
		return -EINVAL;
	r = ck__opts_copy_in(&m, sizeof(m), mount, mount->size,
			     offsetof(struct ck_mount, tmpfs_size) + sizeof(m.tmpfs_size));
	if (r < 0 || (r = op_check(&m)) < 0)
		return r;
	if (a->nmounts == a->mounts_cap) {
		size_t cap = a->mounts_cap ? a->mounts_cap * 2 : 16;
		struct ck__mount_op *grown = realloc(a->mounts, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		a->mounts = grown;
		a->mounts_cap = cap;
	}
	op.type = m.type;
	op.flags = m.flags;
	op.perms = (m.flags & CK_MOUNT_PERMS) ? m.perms : type_info(m.type)->perms;
	op.tmpfs_size = m.tmpfs_size;
	if (type_info(m.type)->fd && (op.fd = fcntl(m.fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	op.given_fd = m.fd;
	op.dest = strdup(m.dest);
	op.source = m.source ? strdup(m.source) : NULL;
	if (!op.dest || (m.source && !op.source)) {
		op_clear(&op);
		return -ENOMEM;
	}
	a->mounts[a->nmounts++] = op;
	a->new_root = true;
	return 0;
}

int ck_spawn_attr_set_new_root(struct ck_spawn_attr *a, bool new_root)
{
	if (!a)
		return -EINVAL;
	if (!new_root)
		ck__mount_ops_free(a);
	a->new_root = new_root;
	return 0;
}

void ck__mount_op_describe(const struct ck__mount_op *op, char *buf, size_t len)
{
	const struct type_info *t = type_info(op->type);
	size_t pos = 0;

	buf[0] = '\0';
	ck__buf_append(buf, len, &pos, "%s%s", t ? t->name : "?",
		      (op->flags & CK_MOUNT_TRY) ? "-try" : "");
	if (op->type == CK_MOUNT_CHMOD)
		ck__buf_append(buf, len, &pos, " %04o", (unsigned)op->perms);
	if (op->source)
		ck__buf_append(buf, len, &pos, " %s", op->source);
	if (t && t->fd)
		ck__buf_append(buf, len, &pos, " %d", op->given_fd);
	ck__buf_append(buf, len, &pos, " %s", op->dest);
}

static const char *const act_names[CK__MACT__COUNT] = {
	[CK__MACT_SLAVE] = "make / a recursive slave",
	[CK__MACT_BASE] = "build the root tmpfs",
	[CK__MACT_PIVOT] = "pivot_root",
	[CK__MACT_RESOLVE] = "resolve the source",
	[CK__MACT_OPEN_SOURCE] = "open the source",
	[CK__MACT_FD_CHANGED] = "the fd's path now names another file",
	[CK__MACT_MKDIR_PARENTS] = "create the parent directories of",
	[CK__MACT_MKDIR] = "create the directory",
	[CK__MACT_MKFILE] = "create the mount point",
	[CK__MACT_OPEN_TREE] = "open_tree",
	[CK__MACT_SETATTR] = "mount_setattr",
	[CK__MACT_MOVE_MOUNT] = "move_mount onto",
	[CK__MACT_MOUNT] = "mount",
	[CK__MACT_ACCESS] = "access",
	[CK__MACT_SYMLINK] = "symlink",
	[CK__MACT_CHMOD] = "chmod",
	[CK__MACT_CREATE] = "create",
	[CK__MACT_COPY] = "copy the fd's data into",
	[CK__MACT_OLDROOT] = "detach the old root",
	[CK__MACT_CHDIR] = "chdir",
};

const char *ck__mount_act_name(int act)
{
	return act >= 0 && act < CK__MACT__COUNT && act_names[act] ? act_names[act] : "?";
}

/* ---- the plan (in the parent) ---- */

static char *join(const char *root, const char *path)
{
	char *out;
	while (*path == '/')
		path++;
	return asprintf(&out, "%s/%s", root, path) < 0 ? NULL : out;
}

static int plan_fail(struct ck__mount_fail *f, int op, int act, const char *path, int err)
{
	f->op = op;
	f->act = act;
	f->err = err;
	snprintf(f->path, sizeof(f->path), "%s", path ? path : "");
	return -err;
}

/* The host path of a bind's source, as "/oldroot/..."; skip for a -try source that is missing. */
static int plan_source(const struct ck__mount_op *op, int i, struct ck__mount_step *s,
		       struct ck__mount_fail *f)
{
	char buf[PATH_MAX], fdpath[64], given[32];
	const char *resolved = buf;

	if (op->fd >= 0) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", op->fd);
		snprintf(given, sizeof(given), "of fd %d", op->given_fd);
		if (!realpath(fdpath, buf))
			return plan_fail(f, i, CK__MACT_RESOLVE, given, errno);
	} else if (!realpath(op->source, buf)) {
		if (!(errno == ENOENT && (op->flags & CK_MOUNT_TRY)))
			return plan_fail(f, i, CK__MACT_RESOLVE, op->source, errno);
		/* bwrap keeps the path and skips it in the child if it is still missing */
		resolved = op->source;
	}
	s->source = join(OLDROOT, resolved);
	return s->source ? 0 : plan_fail(f, i, CK__MACT_RESOLVE, op->source, ENOMEM);
}

/* The tty the program's stdout is, as bwrap's /dev/console source (its fd 1 is the program's). */
static void plan_console(const struct ck_spawn_attr *a, struct ck__mount_plan *p)
{
	int fd = a->nfds ? -1 : 1;
	char name[64];

	for (size_t i = 0; i < a->nfds; i++)
		if (a->fds[i].to == 1)
			fd = a->fds[i].from;
	if (fd >= 0 && isatty(fd) && ttyname_r(fd, name, sizeof(name)) == 0 &&
	    strlen(name) + sizeof(OLDROOT) < sizeof(p->console))
		snprintf(p->console, sizeof(p->console), OLDROOT "%s", name);
}

void ck__mount_plan_free(struct ck__mount_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->steps[i].source);
		free(p->steps[i].dest);
	}
	free(p->steps);
	free(p);
}

int ck__mount_plan_new(const struct ck_spawn_attr *a, struct ck__mount_plan **out,
		       struct ck__mount_fail *f)
{
	static const struct ck__mount_op proc_op = { .type = CK_MOUNT_PROC, .dest = "/proc", .fd = -1,
						     .perms = -1 };
	struct ck__mount_plan *p;
	size_t n = a->nmounts + (a->mount_proc ? 1 : 0);
	int r = 0;

	*out = NULL;
	if (!a->new_root)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->steps = calloc(n ? n : 1, sizeof(*p->steps)))) {
		free(p);
		return plan_fail(f, -1, CK__MACT_RESOLVE, NULL, ENOMEM);
	}
	p->new_pid = a->namespaces & CK_CLONE_NEWPID;
	p->home = getenv("HOME");
	p->keep_cwd = a->cwd != NULL;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct ck__mount_step *s = &p->steps[i];
		s->op = i < a->nmounts ? &a->mounts[i] : &proc_op;
		p->n = i + 1;
		if (s->op->type == CK_MOUNT_DEV && !p->console[0])
			plan_console(a, p); /* only a new /dev has a console */
		if (!(s->dest = join(NEWROOT, s->op->dest)))
			r = plan_fail(f, (int)i, CK__MACT_RESOLVE, s->op->dest, ENOMEM);
		else if (is_bind(s->op->type))
			r = plan_source(s->op, (int)i, s, f);
		else if (s->op->type == CK_MOUNT_SYMLINK && !(s->source = strdup(s->op->source)))
			r = plan_fail(f, (int)i, CK__MACT_RESOLVE, s->op->source, ENOMEM);
	}
	if (r < 0) {
		ck__mount_plan_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* ---- the child: system calls only ---- */

#define CHILD CK_CHILD_CODE

CHILD static int fail(struct ck__mount_fail *f, int act, const char *path, int err)
{
	size_t n = path ? strlen(path) : 0;
	if (n >= sizeof(f->path))
		n = sizeof(f->path) - 1;
	f->act = act;
	f->err = err;
	if (n)
		memcpy(f->path, path, n);
	f->path[n] = '\0';
	return -err;
}

/* a + b + c into buf (PATH_MAX): the callers' parts are bounded by op_check. */
CHILD static const char *cat3(char *buf, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	if (la + lb + lc >= PATH_MAX)
		lc = lb = 0;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	memcpy(buf + la + lb, c, lc);
	buf[la + lb + lc] = '\0';
	return buf;
}

/* bwrap's ensure_dir: an existing directory is fine, anything else there is ENOTDIR. */
CHILD static int ensure_dir(const char *path, mode_t mode)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* bwrap's ensure_file: any existing non-directory, non-symlink will do as a mount point. */
CHILD static int ensure_file(const char *path, mode_t mode)
{
	struct stat st;
	/* a new name, the common case (a fresh tmpfs): one call; anything else as bwrap's */
	if (mknod(path, S_IFREG | mode, 0) == 0)
		return 0;
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	close(fd);
	return 0;
}

/* The directories above path (not path itself), made with mode where missing. */
CHILD static int mkdir_parents(const char *path, mode_t mode, struct ck__mount_fail *f)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	int r;

	memcpy(buf, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (buf[i] != '/' || buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		r = ensure_dir(buf, mode);
		buf[i] = '/';
		if (r < 0) {
			buf[i] = '\0';
			return fail(f, CK__MACT_MKDIR_PARENTS, buf, -r);
		}
	}
	return 0;
}

CHILD static int copy_data(int from, int to)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(to, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -ENOSPC;
			off += w;
		}
	}
}

#define BIND_RO 0x1
#define BIND_DEV 0x2

/*
 * Clones the tree at source (an O_PATH fd) recursively, sets nosuid (nodev
 * unless BIND_DEV, rdonly with BIND_RO) on every mount of the clone, and
 * attaches it on dest, following a symlink there as mount(2) would.
 */
CHILD static int bind_tree(int tree, const char *dest, int how, struct ck__mount_fail *f);

CHILD static int bind_fd(int src, const char *dest, int how, struct ck__mount_fail *f)
{
	int tree = (int)syscall(SYS_open_tree, src, "",
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return fail(f, CK__MACT_OPEN_TREE, dest, errno);
	return bind_tree(tree, dest, how, f);
}

/* The attributes of bind_fd set on tree (a detached clone), attached on dest; tree closed. */
CHILD static int bind_tree(int tree, const char *dest, int how, struct ck__mount_fail *f)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };
	int r = 0;

	if (!(how & BIND_DEV))
		attr.attr_set |= MOUNT_ATTR_NODEV;
	if (how & BIND_RO)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		r = fail(f, CK__MACT_SETATTR, dest, errno);
	else if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dest,
			 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS | MOVE_MOUNT_T_AUTOMOUNTS) < 0)
		r = fail(f, CK__MACT_MOVE_MOUNT, dest, errno);
	close(tree);
	return r;
}

/* The same from a path; a missing source is -ENOENT with *fail set. */
CHILD static int bind_path(const char *source, const char *dest, int how, struct ck__mount_fail *f)
{
	/* the clone straight from the path; a failure is retried in two steps, which name its cause */
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree >= 0)
		return bind_tree(tree, dest, how, f);
	int fd = open(source, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return fail(f, CK__MACT_OPEN_SOURCE, source, errno);
	int r = bind_fd(fd, dest, how, f);
	close(fd);
	return r;
}

/* bind, ro-bind, dev-bind (and -try), bind-fd, ro-bind-fd. */
CHILD static int op_bind(const struct ck__mount_step *s, struct ck__mount_fail *f)
{
	const struct ck__mount_op *op = s->op;
	struct stat st, fd_st;
	int how = (op->type == CK_MOUNT_RO_BIND || op->type == CK_MOUNT_RO_BIND_FD ? BIND_RO : 0) |
		  (op->type == CK_MOUNT_DEV_BIND ? BIND_DEV : 0);
	int src = open(s->source, O_PATH | O_CLOEXEC), r;

	if (src < 0) {
		if (errno == ENOENT && (op->flags & CK_MOUNT_TRY))
			return 0;
		return fail(f, CK__MACT_OPEN_SOURCE, s->source, errno);
	}
	if (fstat(src, &st) < 0) {
		r = fail(f, CK__MACT_OPEN_SOURCE, s->source, errno);
		goto out;
	}
	/* the fd was resolved to a path in the parent: it must still be the same file */
	if (op->fd >= 0 && (fstat(op->fd, &fd_st) < 0 || fd_st.st_dev != st.st_dev ||
			    fd_st.st_ino != st.st_ino)) {
		r = fail(f, CK__MACT_FD_CHANGED, s->source, ESTALE);
		goto out;
	}
	if ((r = mkdir_parents(s->dest, 0755, f)) < 0)
		goto out;
	r = S_ISDIR(st.st_mode) ? ensure_dir(s->dest, 0755) : ensure_file(s->dest, 0444);
	if (r < 0) {
		r = fail(f, S_ISDIR(st.st_mode) ? CK__MACT_MKDIR : CK__MACT_MKFILE, s->dest, -r);
		goto out;
	}
	r = bind_fd(src, s->dest, how, f);
out:
	close(src);
	return r;
}

/* --remount-ro: bwrap's bind_mount(NULL, dest, BIND_READONLY) adds nosuid and nodev too. */
CHILD static int op_remount_ro(const struct ck__mount_step *s, struct ck__mount_fail *f)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};
	if (syscall(SYS_mount_setattr, AT_FDCWD, s->dest, 0, &attr, sizeof(attr)) < 0)
		return fail(f, CK__MACT_SETATTR, s->dest, errno);
	return 0;
}

CHILD static int op_proc(const struct ck__mount_plan *p, const struct ck__mount_step *s,
			 struct ck__mount_fail *f)
{
	/* old interfaces that a writable /proc would expose (bwrap's cover_proc_dirs) */
	static const char *const covers[] = { "sys", "sysrq-trigger", "irq", "bus" };
	char sub[PATH_MAX];
	int r;

	if ((r = ensure_dir(s->dest, 0755)) < 0)
		return fail(f, CK__MACT_MKDIR, s->dest, -r);
	if (p->new_pid) {
		if (mount("proc", s->dest, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
			return fail(f, CK__MACT_MOUNT, s->dest, errno);
	} else if ((r = bind_path(OLDROOT "/proc", s->dest, 0, f)) < 0) {
		return r;
	}
	for (size_t i = 0; i < CK_ARRAY_SIZE(covers); i++) {
		cat3(sub, s->dest, "/", covers[i]);
		if (access(sub, W_OK) < 0) {
			if (errno == EACCES || errno == ENOENT || errno == EROFS)
				continue; /* already read-only, or absent */
			return fail(f, CK__MACT_ACCESS, sub, errno);
		}
		if ((r = bind_path(sub, sub, BIND_RO, f)) < 0)
			return r;
	}
	return 0;
}

CHILD static int op_dev(const struct ck__mount_plan *p, const struct ck__mount_step *s,
			struct ck__mount_fail *f)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "/proc/self/fd/0", "/stdin" }, { "/proc/self/fd/1", "/stdout" },
		{ "/proc/self/fd/2", "/stderr" }, { "/proc/self/fd", "/fd" }, { "/proc/kcore", "/core" },
	};
	char path[PATH_MAX], src[PATH_MAX];
	int r;

	if ((r = ensure_dir(s->dest, 0755)) < 0)
		return fail(f, CK__MACT_MKDIR, s->dest, -r);
	if (mount("tmpfs", s->dest, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return fail(f, CK__MACT_MOUNT, s->dest, errno);
	for (size_t i = 0; i < CK_ARRAY_SIZE(nodes); i++) {
		cat3(path, s->dest, "/", nodes[i]);
		if ((r = ensure_file(path, 0444)) < 0)
			return fail(f, CK__MACT_MKFILE, path, -r);
		if ((r = bind_path(cat3(src, OLDROOT "/dev/", nodes[i], ""), path, BIND_DEV, f)) < 0)
			return r;
	}
	for (size_t i = 0; i < CK_ARRAY_SIZE(links); i++)
		if (symlink(links[i][0], cat3(path, s->dest, links[i][1], "")) < 0)
			return fail(f, CK__MACT_SYMLINK, path, errno);
	if (mkdir(cat3(path, s->dest, "/shm", ""), 0755) < 0)
		return fail(f, CK__MACT_MKDIR, path, errno);
	if (mkdir(cat3(path, s->dest, "/pts", ""), 0755) < 0)
		return fail(f, CK__MACT_MKDIR, path, errno);
	if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
		return fail(f, CK__MACT_MOUNT, path, errno);
	if (symlink("pts/ptmx", cat3(path, s->dest, "/ptmx", "")) < 0)
		return fail(f, CK__MACT_SYMLINK, path, errno);
	/* the program's stdout is this tty: ttyname() works inside, no more access than it has */
	if (p->console[0]) {
		cat3(path, s->dest, "/console", "");
		if ((r = ensure_file(path, 0444)) < 0)
			return fail(f, CK__MACT_MKFILE, path, -r);
		if ((r = bind_path(p->console, path, BIND_DEV, f)) < 0)
			return r;
	}
	return 0;
}

/* "mode=0755,size=N": tmpfs options, formatted without stdio. */
CHILD static void tmpfs_options(char *buf, int perms, uint64_t size)
{
	char digits[24];
	size_t n = 0, k = 0;

	memcpy(buf, "mode=0", 6);
	n = 6;
	for (int shift = 9; shift >= 0; shift -= 3)
		buf[n++] = (char)('0' + ((perms >> shift) & 7));
	if (size) {
		memcpy(buf + n, ",size=", 6);
		n += 6;
		do
			digits[k++] = (char)('0' + size % 10);
		while ((size /= 10));
		while (k)
			buf[n++] = digits[--k];
	}
	buf[n] = '\0';
}

CHILD static int op_fs(const struct ck__mount_step *s, struct ck__mount_fail *f)
{
	const struct ck__mount_op *op = s->op;
	char opts[64];
	int r;

	if ((r = ensure_dir(s->dest, 0755)) < 0)
		return fail(f, CK__MACT_MKDIR, s->dest, -r);
	if (op->type == CK_MOUNT_TMPFS) {
		tmpfs_options(opts, op->perms, op->tmpfs_size);
		r = mount("tmpfs", s->dest, "tmpfs", MS_NOSUID | MS_NODEV, opts);
	} else {
		r = mount("mqueue", s->dest, "mqueue", 0, NULL);
	}
	return r < 0 ? fail(f, CK__MACT_MOUNT, s->dest, errno) : 0;
}

CHILD static int op_file(const struct ck__mount_step *s, struct ck__mount_fail *f)
{
	int fd = open(s->dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)s->op->perms);
	if (fd < 0)
		return fail(f, CK__MACT_CREATE, s->dest, errno);
	int r = copy_data(s->op->fd, fd);
	close(fd);
	return r < 0 ? fail(f, CK__MACT_COPY, s->dest, -r) : 0;
}

/* A file with the fd's data in the build root (bwrap's /bindfileXXXXXX), bound on dest, removed. */
CHILD static int op_bind_data(const struct ck__mount_step *s, size_t index, struct ck__mount_fail *f)
{
	const struct ck__mount_op *op = s->op;
	char tmp[32] = "/bindfile";
	char digits[24];
	size_t n = strlen(tmp), k = 0;
	int fd, r;

	do
		digits[k++] = (char)('0' + index % 10);
	while ((index /= 10));
	while (k)
		tmp[n++] = digits[--k];
	tmp[n] = '\0';
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(f, CK__MACT_CREATE, tmp, errno);
	if (fchmod(fd, (mode_t)op->perms) < 0)
		r = fail(f, CK__MACT_CHMOD, tmp, errno);
	else if ((r = copy_data(op->fd, fd)) < 0)
		r = fail(f, CK__MACT_COPY, tmp, -r);
	close(fd);
	if (r == 0 && (r = ensure_file(s->dest, 0444)) < 0)
		r = fail(f, CK__MACT_MKFILE, s->dest, -r);
	if (r == 0)
		r = bind_path(tmp, s->dest, op->type == CK_MOUNT_RO_BIND_DATA ? BIND_RO : 0, f);
	unlink(tmp);
	return r;
}

/* One operation, bwrap's setup_newroot body: parents first, then what the type does. */
CHILD static int run_step(const struct ck__mount_plan *p, size_t i, struct ck__mount_fail *f)
{
	const struct ck__mount_step *s = &p->steps[i];
	const struct ck__mount_op *op = s->op;
	mode_t parent_mode = 0755;
	int r;

	f->op = (int)i;
	if (s->skip)
		return 0;
	if (op->type != CK_MOUNT_CHMOD) {
		/* least astonishment: parents no more open than the file they lead to */
		if (op->perms >= 0 && (op->perms & 0070) == 0)
			parent_mode &= ~0050u;
		if (op->perms >= 0 && (op->perms & 0007) == 0)
			parent_mode &= ~0005u;
		/* a -try bind whose source is gone makes nothing (bwrap checks the source first) */
		if (is_bind(op->type) && (op->flags & CK_MOUNT_TRY) && access(s->source, F_OK) < 0 &&
		    errno == ENOENT)
			return 0;
		if ((r = mkdir_parents(s->dest, parent_mode, f)) < 0)
			return r;
	}
	switch (op->type) {
	case CK_MOUNT_BIND:
	case CK_MOUNT_RO_BIND:
	case CK_MOUNT_DEV_BIND:
	case CK_MOUNT_BIND_FD:
	case CK_MOUNT_RO_BIND_FD:
		return op_bind(s, f);
	case CK_MOUNT_REMOUNT_RO:
		return op_remount_ro(s, f);
	case CK_MOUNT_PROC:
		return op_proc(p, s, f);
	case CK_MOUNT_DEV:
		return op_dev(p, s, f);
	case CK_MOUNT_TMPFS:
	case CK_MOUNT_MQUEUE:
		return op_fs(s, f);
	case CK_MOUNT_DIR:
		r = ensure_dir(s->dest, (mode_t)op->perms);
		return r < 0 ? fail(f, CK__MACT_MKDIR, s->dest, -r) : 0;
	case CK_MOUNT_FILE:
		return op_file(s, f);
	case CK_MOUNT_BIND_DATA:
	case CK_MOUNT_RO_BIND_DATA:
		return op_bind_data(s, i, f);
	case CK_MOUNT_SYMLINK:
		return symlink(s->source, s->dest) < 0 ? fail(f, CK__MACT_SYMLINK, s->dest, errno) : 0;
	case CK_MOUNT_CHMOD:
		return chmod(s->dest, (mode_t)op->perms) < 0 ? fail(f, CK__MACT_CHMOD, s->dest, errno) : 0;
	}
	return fail(f, CK__MACT_MOUNT, s->dest, EINVAL);
}

/* The build root: a tmpfs on BASE with newroot/ (a mount of its own) and oldroot/, pivoted into. */
CHILD static int enter_base(struct ck__mount_fail *f)
{
	/* mounts still reach the sandbox from the caller, nothing goes back */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return fail(f, CK__MACT_SLAVE, "/", errno);
	if (mount("tmpfs", BASE, "tmpfs", MS_NODEV | MS_NOSUID, NULL) < 0)
		return fail(f, CK__MACT_BASE, BASE, errno);
	if (chdir(BASE) < 0)
		return fail(f, CK__MACT_CHDIR, BASE, errno);
	if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
		return fail(f, CK__MACT_BASE, BASE, errno);
	/* pivot_root needs newroot to be a mount point */
	if (mount("newroot", "newroot", NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(f, CK__MACT_BASE, BASE NEWROOT, errno);
	if (syscall(SYS_pivot_root, BASE, "oldroot") < 0)
		return fail(f, CK__MACT_PIVOT, BASE, errno);
	if (chdir("/") < 0)
		return fail(f, CK__MACT_CHDIR, "/", errno);
	return 0;
}

/*
 * Pivots into /newroot and detaches the build root with the caller's tree
 * under it, in one lazy umount (bwrap detaches oldroot first, then the
 * build root: each detach waits for an RCU grace period).
 */
CHILD static int enter_newroot(struct ck__mount_fail *f)
{
	/* rprivate first, or the detach would propagate to the caller's mounts */
	if (mount("oldroot", "oldroot", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(f, CK__MACT_OLDROOT, OLDROOT, errno);
	int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (old < 0)
		return fail(f, CK__MACT_OLDROOT, "/", errno);
	int r = 0;
	if (chdir(NEWROOT) < 0)
		r = fail(f, CK__MACT_CHDIR, NEWROOT, errno);
	/* put_old may be new_root itself: the old root is stacked under it (runc, LXC, bwrap) */
	else if (syscall(SYS_pivot_root, ".", ".") < 0)
		r = fail(f, CK__MACT_PIVOT, NEWROOT, errno);
	else if (fchdir(old) < 0 || umount2(".", MNT_DETACH) < 0)
		r = fail(f, CK__MACT_OLDROOT, "/", errno);
	else if (chdir("/") < 0)
		r = fail(f, CK__MACT_CHDIR, "/", errno);
	close(old);
	return r;
}

int ck__mount_child(const struct ck__mount_plan *p, struct ck__mount_fail *f)
{
	char cwd[PATH_MAX];
	mode_t old_umask = umask(0); /* modes exactly as given, as bwrap */
	bool have_cwd = syscall(SYS_getcwd, cwd, sizeof(cwd)) > 0 && cwd[0] == '/';
	int r;

	f->op = -1;
	r = enter_base(f);
	for (size_t i = 0; r == 0 && i < p->n; i++)
		r = run_step(p, i, f);
	if (r == 0) {
		f->op = -1;
		r = enter_newroot(f);
	}
	/* the data fds were read; the program does not get them */
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].op->fd >= 0)
			close(p->steps[i].op->fd);
	umask(old_umask);
	if (r < 0 || p->keep_cwd)
		return r;
	/* the caller's cwd if the new root has it, else its $HOME, else / (bwrap) */
	if ((!have_cwd || chdir(cwd) < 0) && p->home)
		(void)!chdir(p->home);
	return 0;
}
