/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every file clonekit writes at a path a user names (seccomp -o, run
 * --json-status, trace -o): through no symlink another user planted, never
 * over a device, never half-written, and no temporary left behind.
 *
 * The last component of the path decides:
 * - absent or a regular file: the content goes to an unnamed O_TMPFILE (a
 *   named one made with O_EXCL|O_NOFOLLOW and an unpredictable name where the
 *   filesystem has none) in the same directory, which is synced and renamed
 *   over the name at commit (at once with CK__OUTFILE_STREAM). A replaced file
 *   of the caller's keeps its permission bits; the new one is the caller's.
 * - a character device or a FIFO: written straight into, never replaced.
 * - a symlink, at any component: followed only as fs.protected_symlinks
 *   would, whatever the sysctl says (not when another user placed it in a
 *   sticky world-writable directory that is not theirs); the file it reaches
 *   is then treated as above, where it is. A FIFO or device another user
 *   placed in such a directory is refused the same way (fs.protected_fifos).
 * - /proc/self/fd/N (and /dev/stdout, /dev/fd/N, which lead there): fd N
 *   itself, written at its own offset, whatever it is (pipe, socket, file).
 * - a block device, a socket or a directory: refused.
 */
#ifndef CK_INTERNAL_OUTFILE_H
#define CK_INTERNAL_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum {
	/* the new file takes the name when opened and grows there (a log), not at commit */
	CK__OUTFILE_STREAM = 1 << 0,
	/* a new file's mode is mode less the umask, as open(2) makes it; else mode exactly */
	CK__OUTFILE_UMASK = 1 << 1,
};

struct ck__outfile {
	int fd;             /* where to write; -1 once closed */
	int dirfd;          /* where the temporary goes at commit; -1: nothing to put in place */
	char *name;         /* the name it replaces in dirfd */
	char *path;         /* the file as walked, for messages */
	char tmp[32];       /* the temporary's name in dirfd while it has one, else "" */
	bool unlinked;      /* fd is an O_TMPFILE without a name yet */
	int write_err;      /* the first write error of ck__outfile_fdopen's stream, else 0 */
	char error[1024];   /* after a failure: "what failed: ENAME (text)" */
};

/* 0 with o->fd open for writing, or -errno with o->error (nothing to release then). */
int ck__outfile_open(struct ck__outfile *o, const char *path, mode_t mode, unsigned flags);
/* Syncs, puts the file in place and closes: 0, or -errno with o->error and nothing left behind. */
int ck__outfile_commit(struct ck__outfile *o);
/* Closes without putting anything in place; a temporary is removed. */
void ck__outfile_discard(struct ck__outfile *o);
/*
 * A stdio stream over o->fd, which it owns from then on (fclose closes it):
 * stdio forgets why a write failed, so the first error is kept in
 * o->write_err, which must outlive the stream. NULL with errno.
 */
FILE *ck__outfile_fdopen(struct ck__outfile *o);

/* The same after the caller's own step failed with errno err: o->error says so. Returns -err. */
int ck__outfile_abandon(struct ck__outfile *o, int err, const char *step);

#endif
