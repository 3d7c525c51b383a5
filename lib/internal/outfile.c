/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files written at a path a user names; the rules are in outfile.h. */
#include "internal/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/validate.h>

#include "internal/util.h"

/* As many symlinks as the kernel follows in one lookup (MAXSYMLINKS). */
enum { MAX_HOPS = 40 };

/* What the last name of a path turned out to be. */
enum end {
	END_ABSENT,     /* nothing: a file is created there */
	END_REGULAR,    /* a regular file: replaced */
	END_STRAIGHT,   /* a FIFO or a character device: written into */
	END_OWN_FD,     /* /proc/self/fd/N: fd N itself */
	END_PROC_LINK,  /* another link in /proc: opened as the kernel resolves it */
};

struct walk {
	int dirfd;              /* the directory that holds the last name */
	char name[NAME_MAX + 1];
	struct stat st;         /* the entry itself (not with END_ABSENT) */
	enum end end;
	char dir[PATH_MAX];     /* the directory as walked, for messages */
	char path[PATH_MAX];    /* and the entry */
};

static int fail(struct ck__outfile *o, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct ck__outfile *o, int err, const char *fmt, ...)
{
	const char *name = ck_errno_name(err);
	size_t pos;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
	pos = n > 0 ? (size_t)n : 0;
	ck__buf_append(o->error, sizeof(o->error), &pos, ": %s (%s)", name ? name : "errno",
		       strerror(err));
	return -err;
}

/* dir, joined with name, into out: for messages only. */
static void join(char *out, size_t len, const char *dir, const char *name)
{
	size_t n = strlen(dir), pos = 0;
	out[0] = '\0';
	ck__buf_append(out, len, &pos, "%s%s%s", dir, n && dir[n - 1] != '/' ? "/" : "", name);
}

static const char *shown_dir(const char *dir)
{
	return *dir ? dir : ".";
}

/*
 * fs.protected_symlinks' rule (may_follow_link in fs/namei.c), and
 * protected_fifos' for what is written into: what another user placed in a
 * sticky world-writable directory is not trusted, unless the directory is theirs.
 */
static bool foreign_in_sticky(const struct stat *dir, const struct stat *st)
{
	return (dir->st_mode & (S_ISVTX | S_IWOTH)) == (S_ISVTX | S_IWOTH) &&
	       st->st_uid != geteuid() && st->st_uid != dir->st_uid;
}

static bool on_procfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* Whether dirfd is this process's own /proc/.../fd directory. */
static bool own_fd_dir(int dirfd)
{
	static const char *const dirs[] = { "/proc/self/fd", "/proc/thread-self/fd" };
	struct stat a, b;

	if (fstat(dirfd, &a) < 0)
		return false;
	for (size_t i = 0; i < CK_ARRAY_SIZE(dirs); i++)
		if (stat(dirs[i], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return true;
	return false;
}

static bool is_dot(const char *s)
{
	return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

/* Moves *cur to dir (an open fd), closing the old one. */
static void move_to(int *cur, int dir)
{
	close(*cur);
	*cur = dir;
}

/* What the last entry is, once it is not a symlink; 0 or a refusal. */
static int classify(struct ck__outfile *o, struct walk *w, const struct stat *dir)
{
	const struct stat *st = &w->st;

	if (S_ISREG(st->st_mode)) {
		w->end = END_REGULAR;
		return 0;
	}
	if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode)) {
		if (foreign_in_sticky(dir, st))
			return fail(o, EACCES,
				    "refusing to write into the %s %s: uid %u owns it, in the sticky "
				    "world-writable directory %s that uid %u owns (the rule of "
				    "fs.protected_fifos)",
				    S_ISFIFO(st->st_mode) ? "FIFO" : "device", w->path,
				    (unsigned)st->st_uid, shown_dir(w->dir), (unsigned)dir->st_uid);
		w->end = END_STRAIGHT;
		return 0;
	}
	if (S_ISDIR(st->st_mode))
		return fail(o, EISDIR, "%s is a directory", w->path);
	if (S_ISBLK(st->st_mode))
		return fail(o, EINVAL, "%s is a block device: clonekit writes regular files, character "
			    "devices and FIFOs, never onto a disk", w->path);
	return fail(o, ENXIO, "%s is a socket, which cannot be opened", w->path);
}

/*
 * Walks path to the directory that holds its last name (w->dirfd) and that
 * name, following symlinks at every component where fs.protected_symlinks
 * would; links in /proc (magic ones among them) are left to the kernel.
 */
static int walk(struct ck__outfile *o, const char *path, struct walk *w)
{
	char *rest CK_AUTO_FREE = strdup(path);
	unsigned hops = 0;
	int cur, r;

	if (!rest)
		return fail(o, ENOMEM, "open");
	if (!*path)
		return fail(o, ENOENT, "an empty path");
	snprintf(w->dir, sizeof(w->dir), "%s", path[0] == '/' ? "/" : "");
	cur = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return fail(o, errno, "opening %s", path[0] == '/' ? "/" : ".");

	for (char *p = rest;;) {
		struct stat dir;
		p += strspn(p, "/");
		size_t n = strcspn(p, "/");
		char *after = p + n;
		bool last = after[strspn(after, "/")] == '\0';

		if (n == 0 || (last && *after == '/'))
			r = fail(o, EISDIR, "%s names a directory", path);
		else if (n > NAME_MAX)
			r = fail(o, ENAMETOOLONG, "a name in %s", path);
		else
			r = 0;
		if (r < 0)
			goto out;
		memcpy(w->name, p, n);
		w->name[n] = '\0';
		p = after;
		join(w->path, sizeof(w->path), w->dir, w->name);
		if (last && is_dot(w->name)) {
			r = fail(o, EISDIR, "%s names a directory", path);
			goto out;
		}
		if (strcmp(w->name, ".") == 0)
			continue;

		int fd = openat(cur, w->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && last && errno == ENOENT) {
			w->end = END_ABSENT;
			break;
		}
		if (fd < 0) {
			r = fail(o, errno, "opening %s", w->path);
			goto out;
		}
		if (fstat(fd, &w->st) < 0 || fstat(cur, &dir) < 0) {
			r = fail(o, errno, "inspecting %s", w->path);
			close(fd);
			goto out;
		}
		if (S_ISLNK(w->st.st_mode)) {
			char target[PATH_MAX];
			ssize_t len;

			if (foreign_in_sticky(&dir, &w->st)) {
				r = fail(o, EACCES,
					 "refusing to follow the symlink %s: uid %u owns it, in the sticky "
					 "world-writable directory %s that uid %u owns (the rule of "
					 "fs.protected_symlinks)",
					 w->path, (unsigned)w->st.st_uid, shown_dir(w->dir),
					 (unsigned)dir.st_uid);
				close(fd);
				goto out;
			}
			if (++hops > MAX_HOPS) {
				r = fail(o, ELOOP, "following the symlinks of %s", path);
				close(fd);
				goto out;
			}
			if (on_procfs(cur)) {
				close(fd);
				if (last) {
					w->end = own_fd_dir(cur) ? END_OWN_FD : END_PROC_LINK;
					break;
				}
				fd = openat(cur, w->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0) {
					r = fail(o, errno, "opening %s", w->path);
					goto out;
				}
				move_to(&cur, fd);
				snprintf(w->dir, sizeof(w->dir), "%s", w->path);
				continue;
			}
			len = readlinkat(fd, "", target, sizeof(target));
			close(fd);
			if (len < 0 || len >= (ssize_t)sizeof(target)) {
				r = fail(o, len < 0 ? errno : ENAMETOOLONG, "reading the symlink %s", w->path);
				goto out;
			}
			if (len == 0) {
				r = fail(o, ENOENT, "the symlink %s is empty", w->path);
				goto out;
			}
			target[len] = '\0';
			char *spliced;
			if (asprintf(&spliced, "%s%s", target, p) < 0) {
				r = fail(o, ENOMEM, "following %s", w->path);
				goto out;
			}
			free(rest);
			rest = p = spliced;
			if (target[0] == '/') {
				fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0) {
					r = fail(o, errno, "opening /");
					goto out;
				}
				move_to(&cur, fd);
				snprintf(w->dir, sizeof(w->dir), "/");
			}
			continue;
		}
		if (last) {
			close(fd);
			r = classify(o, w, &dir);
			if (r < 0)
				goto out;
			break;
		}
		if (!S_ISDIR(w->st.st_mode)) {
			r = fail(o, ENOTDIR, "%s is not a directory", w->path);
			close(fd);
			goto out;
		}
		move_to(&cur, fd);
		snprintf(w->dir, sizeof(w->dir), "%s", w->path);
	}
	w->dirfd = cur;
	return 0;
out:
	close(cur);
	return r;
}

/* An unpredictable name for a temporary: nobody can plant it in advance. */
static void random_name(char *buf, size_t len)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = ((uint64_t)ts.tv_nsec << 24) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 44);
	}
	snprintf(buf, len, ".clonekit-%016llx", (unsigned long long)v);
}

/* Why a directory must be writable even to replace a writable file. */
#define BESIDE "the new file is written beside the old one and renamed over it"

/* Up to this many names are tried before giving up on EEXIST. */
enum { NAME_TRIES = 64 };

/* The new file, unnamed where the filesystem can, in the directory it will replace in. */
static int make_temporary(struct ck__outfile *o, const struct walk *w, mode_t mode, unsigned flags)
{
	bool keep = w->end == END_REGULAR && w->st.st_uid == geteuid();
	bool exact = keep || !(flags & CK__OUTFILE_UMASK);
	mode_t final = keep ? (w->st.st_mode & 0777) : mode;
	/* an exact mode is set before anything is written; until then only we may read it */
	mode_t create = exact ? 0600 : mode;

	o->fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, create);
	if (o->fd >= 0) {
		o->unlinked = true;
	} else if (errno == EOPNOTSUPP || errno == EISDIR) {
		/* a filesystem (or a kernel before 3.11) without O_TMPFILE */
		for (int i = 0; i < NAME_TRIES && o->fd < 0; i++) {
			random_name(o->tmp, sizeof(o->tmp));
			o->fd = openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       create);
			if (o->fd < 0 && errno != EEXIST)
				break;
		}
		if (o->fd < 0) {
			o->tmp[0] = '\0';
			return fail(o, errno, "creating a temporary in %s (%s)", shown_dir(w->dir), BESIDE);
		}
	} else {
		return fail(o, errno, "creating a temporary in %s (%s)", shown_dir(w->dir), BESIDE);
	}
	if (exact && fchmod(o->fd, final) < 0)
		return fail(o, errno, "setting the mode of the new %s", w->path);
	return 0;
}

/* The temporary takes the name: linked (when unnamed) and renamed over it. */
static int into_place(struct ck__outfile *o)
{
	if (o->unlinked) {
		char proc[64];
		int r = -1;

		for (int i = 0; i < NAME_TRIES && r < 0; i++) {
			random_name(o->tmp, sizeof(o->tmp));
			r = linkat(o->fd, "", o->dirfd, o->tmp, AT_EMPTY_PATH);
			if (r < 0 && errno == ENOENT) {
				/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; through /proc the opener may link it */
				snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
				r = linkat(AT_FDCWD, proc, o->dirfd, o->tmp, AT_SYMLINK_FOLLOW);
			}
			if (r < 0 && errno != EEXIST)
				break;
		}
		if (r < 0) {
			o->tmp[0] = '\0';
			return fail(o, errno, "naming the new %s", o->path);
		}
		o->unlinked = false;
	}
	if (renameat(o->dirfd, o->tmp, o->dirfd, o->name) < 0) {
		int e = errno;
		unlinkat(o->dirfd, o->tmp, 0);
		o->tmp[0] = '\0';
		if (e == EPERM)
			return fail(o, e, "replacing %s (in a sticky directory only the file's owner, the "
				    "directory's or root may)", o->path);
		return fail(o, e, "renaming the new file over %s", o->path);
	}
	o->tmp[0] = '\0';
	return 0;
}

static void release(struct ck__outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->dirfd >= 0) {
		if (o->tmp[0])
			unlinkat(o->dirfd, o->tmp, 0);
		close(o->dirfd);
	}
	o->dirfd = -1;
	o->tmp[0] = '\0';
	free(o->name);
	free(o->path);
	o->name = o->path = NULL;
}

/* fd N of this process, for /proc/self/fd/N: written at its own offset, never reopened. */
static int own_fd(struct ck__outfile *o, const struct walk *w)
{
	char *end;
	long n = strtol(w->name, &end, 10);
	int fl;

	if (*end || n < 0 || n > INT_MAX || (fl = fcntl((int)n, F_GETFL)) < 0)
		return fail(o, EBADF, "%s: fd %s is not open", w->path, w->name);
	if ((fl & O_ACCMODE) == O_RDONLY)
		return fail(o, EBADF, "%s: fd %ld is open only for reading", w->path, n);
	o->fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
	if (o->fd < 0)
		return fail(o, errno, "duplicating fd %ld", n);
	return 0;
}

/* A FIFO or a device, or what a link in /proc leads to: opened and written into. */
static int open_straight(struct ck__outfile *o, const struct walk *w)
{
	struct stat st;
	int nofollow = w->end == END_STRAIGHT ? O_NOFOLLOW : 0;

	o->fd = openat(w->dirfd, w->name, O_WRONLY | O_NOCTTY | O_CLOEXEC | nofollow);
	if (o->fd < 0)
		return fail(o, errno, "opening %s", w->path);
	if (fstat(o->fd, &st) < 0)
		return fail(o, errno, "inspecting %s", w->path);
	if (w->end == END_STRAIGHT) {
		/* only what was judged above is written into */
		if (st.st_dev != w->st.st_dev || st.st_ino != w->st.st_ino)
			return fail(o, EAGAIN, "%s changed while it was opened", w->path);
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return fail(o, EINVAL, "%s leads to a block device: clonekit writes regular files, "
			    "character devices and FIFOs, never onto a disk", w->path);
	/* a regular file reached through /proc is written as the shell's '>' would */
	if (S_ISREG(st.st_mode) && ftruncate(o->fd, 0) < 0)
		return fail(o, errno, "truncating %s", w->path);
	return 0;
}

int ck__outfile_open(struct ck__outfile *o, const char *path, mode_t mode, unsigned flags)
{
	struct walk w;
	int r;

	memset(o, 0, sizeof(*o));
	o->fd = o->dirfd = -1;
	r = walk(o, path, &w);
	if (r < 0)
		return r;
	switch (w.end) {
	case END_OWN_FD:
		r = own_fd(o, &w);
		break;
	case END_STRAIGHT:
	case END_PROC_LINK:
		r = open_straight(o, &w);
		break;
	case END_ABSENT:
	case END_REGULAR:
		o->name = strdup(w.name);
		o->path = strdup(w.path);
		if (!o->name || !o->path) {
			r = fail(o, ENOMEM, "open");
			break;
		}
		o->dirfd = w.dirfd;
		w.dirfd = -1;
		r = make_temporary(o, &w, mode, flags);
		if (r == 0 && (flags & CK__OUTFILE_STREAM) && (r = into_place(o)) == 0) {
			/* in place: only the fd is left to close */
			int fd = ck__take_fd(&o->fd);
			release(o);
			o->fd = fd;
		}
		break;
	}
	if (w.dirfd >= 0)
		close(w.dirfd);
	if (r < 0)
		release(o);
	return r;
}

int ck__outfile_commit(struct ck__outfile *o)
{
	int r = 0;

	if (o->fd < 0)
		return fail(o, EBADF, "commit");
	/* synced first: a crash after the rename never leaves an empty or partial file */
	if (o->dirfd >= 0) {
		if (fsync(o->fd) < 0)
			r = fail(o, errno, "fsync of the new %s", o->path);
		else
			r = into_place(o);
	}
	if (close(o->fd) < 0 && r == 0)
		r = fail(o, errno, "closing %s", o->path ? o->path : "the output");
	o->fd = -1;
	release(o);
	return r;
}

void ck__outfile_discard(struct ck__outfile *o)
{
	release(o);
}

int ck__outfile_abandon(struct ck__outfile *o, int err, const char *step)
{
	release(o);
	return fail(o, err, "%s", step);
}

static ssize_t stream_write(void *cookie, const char *buf, size_t len)
{
	struct ck__outfile *o = cookie;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(o->fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!o->write_err)
				o->write_err = n < 0 ? errno : EIO;
			return off ? (ssize_t)off : -1;
		}
		off += (size_t)n;
	}
	return (ssize_t)len;
}

static int stream_close(void *cookie)
{
	struct ck__outfile *o = cookie;
	int r = close(o->fd);

	o->fd = -1;
	if (r < 0 && !o->write_err)
		o->write_err = errno;
	return r;
}

FILE *ck__outfile_fdopen(struct ck__outfile *o)
{
	cookie_io_functions_t io = { .write = stream_write, .close = stream_close };
	return fopencookie(o, "w", io);
}
