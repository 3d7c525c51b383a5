/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What PIP verification shares with its cache (pip_cache.c): the file
 * identity a result holds for, and verification that reports it.
 */
#ifndef CK_KACS_PIP_FILE_H
#define CK_KACS_PIP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clonekit/kacs.h>

/* A file as fstat saw it: the inode and what changes when its content or xattrs do. */
struct ck__pip_snapshot {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};

/* fstat of fd into s (and its mode): 0 or -errno. */
int ck__pip_snapshot_fd(int fd, struct ck__pip_snapshot *s, mode_t *mode);
bool ck__pip_snapshot_equal(const struct ck__pip_snapshot *a, const struct ck__pip_snapshot *b);

/*
 * ck_kacs_pip_verify_fd into the library's own result (res->size ignored),
 * with the snapshot the answer holds for: *valid is false when the answer
 * belongs to no stable state of the file (it changed, or a read failed) and
 * must not be remembered.
 */
int ck__pip_verify(int fd, const struct ck_kacs_pip_key *keys, size_t n, struct ck_kacs_pip_result *res,
		   struct ck__pip_snapshot *snap, bool *valid);

#endif
