/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PIP verification cache (pip_cache.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/siphash.h"
#include "internal/util.h"
#include "kacs/pip_cache.h"
#include "kacs/pip_file.h"

#define WAYS 4
#define CAPACITY_MIN WAYS
#define CAPACITY_MAX 65536

struct entry {
	bool used;
	uint64_t stamp; /* when it was last answered from or stored: the set's oldest goes first */
	struct ck__pip_snapshot snap;
	struct ck_kacs_pip_result res;
};

struct ck__pip_cache {
	struct ck_kacs_pip_key *keys;
	size_t nkeys, nsets, count;
	uint64_t clock;
	uint64_t hkey[2]; /* keyed: a tree can choose mtimes, and so the set a file falls in */
	struct entry *e;
};

struct ck__pip_cache *ck__pip_cache_new(const struct ck_kacs_pip_key *keys, size_t n, size_t capacity)
{
	if ((n && !keys) || capacity > CAPACITY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	size_t cap = CAPACITY_MIN;
	while (cap < capacity)
		cap *= 2;
	struct ck__pip_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = calloc(cap, sizeof(*c->e));
	c->keys = n ? malloc(n * sizeof(*keys)) : NULL;
	if (!c->e || (n && !c->keys)) {
		ck__pip_cache_free(c);
		errno = ENOMEM;
		return NULL;
	}
	if (n)
		memcpy(c->keys, keys, n * sizeof(*keys));
	c->nkeys = n;
	c->nsets = cap / WAYS;
	ck__siphash_key(c->hkey);
	return c;
}

void ck__pip_cache_free(struct ck__pip_cache *c)
{
	if (!c)
		return;
	free(c->keys);
	free(c->e);
	free(c);
}

static struct entry *set_of(const struct ck__pip_cache *c, const struct ck__pip_snapshot *s)
{
	uint64_t h = ck__siphash(c->hkey, s, sizeof(*s));
	return c->e + (h & (c->nsets - 1)) * WAYS;
}

static struct entry *lookup(struct ck__pip_cache *c, const struct ck__pip_snapshot *s)
{
	struct entry *set = set_of(c, s);

	for (size_t i = 0; i < WAYS; i++)
		if (set[i].used && ck__pip_snapshot_equal(&set[i].snap, s))
			return &set[i];
	return NULL;
}

static void store(struct ck__pip_cache *c, const struct ck__pip_snapshot *s, const struct ck_kacs_pip_result *res)
{
	struct entry *set = set_of(c, s), *victim = &set[0];

	for (size_t i = 0; i < WAYS; i++) {
		if (!set[i].used) {
			victim = &set[i];
			break;
		}
		if (set[i].stamp < victim->stamp)
			victim = &set[i];
	}
	if (!victim->used)
		c->count++;
	victim->used = true;
	victim->stamp = ++c->clock;
	victim->snap = *s;
	victim->res = *res;
}

int ck__pip_cache_verify(struct ck__pip_cache *c, int fd, struct ck_kacs_pip_result *res, bool *hit)
{
	struct ck__pip_snapshot now;
	struct ck_kacs_pip_result mine;
	struct entry *e;
	bool valid;
	int r;

	if (hit)
		*hit = false;
	if (!c || !res)
		return -EINVAL;
	/* padding of the snapshot is hashed: keep it zero */
	memset(&now, 0, sizeof(now));
	if (ck__pip_snapshot_fd(fd, &now, NULL) == 0 && (e = lookup(c, &now))) {
		e->stamp = ++c->clock;
		if (hit)
			*hit = true;
		mine = e->res;
		r = 0;
	} else {
		memset(&now, 0, sizeof(now));
		r = ck__pip_verify(fd, c->keys, c->nkeys, &mine, &now, &valid);
		if (r == 0 && valid)
			store(c, &now, &mine);
	}
	if (ck__opts_copy_out(res, res->size, &mine, sizeof(mine), sizeof(mine)) < 0)
		return -EINVAL;
	return r;
}

size_t ck__pip_cache_count(const struct ck__pip_cache *c)
{
	return c ? c->count : 0;
}

size_t ck__pip_cache_capacity(const struct ck__pip_cache *c)
{
	return c ? c->nsets * WAYS : 0;
}
