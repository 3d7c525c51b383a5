/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PIP answers remembered per file state, for the supervisor (design §10.3
 * "Cache"): keyed by (dev, ino, size, mtime_ns, ctime_ns), so that a file
 * hashed once is not hashed again at each exec until it changes. Bounded:
 * a fixed number of entries in sets of four, the least recently used of a
 * set replaced. Not thread-safe: one owner.
 */
#ifndef CK_KACS_PIP_CACHE_H
#define CK_KACS_PIP_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <clonekit/kacs.h>

struct ck__pip_cache;

/*
 * A cache over a copy of keys[0..n) of at least capacity entries (rounded
 * up to a power of two, 4 to 65536). NULL + errno (EINVAL, ENOMEM).
 */
struct ck__pip_cache *ck__pip_cache_new(const struct ck_kacs_pip_key *keys, size_t n, size_t capacity);
void ck__pip_cache_free(struct ck__pip_cache *c);

/*
 * ck_kacs_pip_verify_fd with the cache's keys, answered from the cache when
 * fd's file is in the state an answer was computed for (*hit, may be NULL).
 * Answers of a file that changed while it was read, or could not be read,
 * are not kept. res as for ck_kacs_pip_verify_fd.
 */
int ck__pip_cache_verify(struct ck__pip_cache *c, int fd, struct ck_kacs_pip_result *res, bool *hit);

/* The entries it holds and can hold. */
size_t ck__pip_cache_count(const struct ck__pip_cache *c);
size_t ck__pip_cache_capacity(const struct ck__pip_cache *c);

#endif
