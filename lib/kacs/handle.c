/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Token handles as AF_UNIX SOCK_SEQPACKET socketpairs (design §6). The tree
 * holds one end; S keeps the other, shut for reading, in its epoll set: when
 * the last copy in the tree closes, S's end hangs up and the handle goes.
 * The key is the inode of the tree's end: dup, fork and SCM_RIGHTS share the
 * open file description and so the granted mask (K20 4-tokens/8-access-rights.md),
 * and no process can make a socket with an inode S handed out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kacs/supervisor.h"

struct entry {
	struct ck__kacs_handle h;
	dev_t dev; /* sockfs' device: an inode number is only unique with it */
	struct entry *next;
};

struct ck__kacs_handles {
	struct entry **bucket;
	size_t nbucket, n;
};

static size_t slot_of(const struct ck__kacs_handles *t, ino_t ino)
{
	return (size_t)(ino * UINT64_C(0x9E3779B97F4A7C15) >> 17) & (t->nbucket - 1);
}

static int grow(struct ck__kacs_handles *t)
{
	size_t nb = t->nbucket ? t->nbucket * 2 : 64;
	struct entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	struct ck__kacs_handles n = { .bucket = b, .nbucket = nb, .n = t->n };
	for (size_t i = 0; i < t->nbucket; i++)
		for (struct entry *e = t->bucket[i], *next; e; e = next) {
			next = e->next;
			size_t k = slot_of(&n, e->h.ino);
			e->next = b[k];
			b[k] = e;
		}
	free(t->bucket);
	*t = n;
	return 0;
}

static struct ck__kacs_handles *table(struct ck__kacs_sup *s, bool make)
{
	struct ck__kacs_handles **slot = ck__kacs_handles_slot(s);
	if (!*slot && make) {
		struct ck__kacs_handles *t = calloc(1, sizeof(*t));
		if (!t || grow(t)) {
			free(t);
			return NULL;
		}
		*slot = t;
	}
	return *slot;
}

int ck__kacs_handle_pair(int *sfd, int *tree_fd)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* S never reads: SHUT_RD alone keeps its end from hanging up until the tree's end is gone */
	if (shutdown(sv[0], SHUT_RD) < 0) {
		int r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	*sfd = sv[0];
	*tree_fd = sv[1];
	return 0;
}

int ck__kacs_handle_add(struct ck__kacs_sup *s, struct ck__kacs_tok *k, uint32_t granted, int sfd, int tree_fd,
			struct ck__kacs_handle **out)
{
	struct stat st;
	struct ck__kacs_handles *t = table(s, true);
	struct entry *e = NULL;
	int r = !t || (t->n >= t->nbucket && grow(t)) || !(e = calloc(1, sizeof(*e))) ? -ENOMEM : 0;

	if (!r)
		r = fstat(tree_fd, &st) < 0 ? -errno : ck__kacs_watch_fd(s, sfd);
	if (r < 0) {
		close(sfd);
		free(e);
		return r;
	}
	e->h.ino = st.st_ino;
	e->dev = st.st_dev;
	e->h.sfd = sfd;
	e->h.tok = ck__kacs_tok_get(k);
	e->h.granted = granted;
	size_t i = slot_of(t, e->h.ino);
	e->next = t->bucket[i];
	t->bucket[i] = e;
	t->n++;
	if (out)
		*out = &e->h;
	return 0;
}

int ck__kacs_handle_new(struct ck__kacs_sup *s, struct ck__kacs_tok *k, uint32_t granted, int *tree_fd,
			struct ck__kacs_handle **out)
{
	int sfd, tfd;
	int r = ck__kacs_handle_pair(&sfd, &tfd);
	if (!r && (r = ck__kacs_handle_add(s, k, granted, sfd, tfd, out)) < 0)
		close(tfd);
	if (!r)
		*tree_fd = tfd;
	return r;
}

struct ck__kacs_handle *ck__kacs_handle_of_fd(struct ck__kacs_sup *s, int sfd_copy)
{
	struct stat st;
	struct ck__kacs_handles *t = table(s, false);

	if (!t || fstat(sfd_copy, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	for (struct entry *e = t->bucket[slot_of(t, st.st_ino)]; e; e = e->next)
		if (e->h.ino == st.st_ino && e->dev == st.st_dev)
			return &e->h;
	return NULL;
}

/* Unlinks the entry whose S end is sfd (or that is h): it, or NULL. */
static struct entry *unlink_entry(struct ck__kacs_handles *t, int sfd, const struct ck__kacs_handle *h)
{
	for (size_t i = 0; i < t->nbucket; i++)
		for (struct entry **pp = &t->bucket[i]; *pp; pp = &(*pp)->next)
			if (&(*pp)->h == h || (!h && (*pp)->h.sfd == sfd)) {
				struct entry *e = *pp;
				*pp = e->next;
				t->n--;
				return e;
			}
	return NULL;
}

static void release(struct entry *e)
{
	close(e->h.sfd); /* the last reference: epoll forgets it */
	ck__kacs_tok_put(e->h.tok);
	free(e);
}

bool ck__kacs_handle_hup(struct ck__kacs_sup *s, int sfd)
{
	struct ck__kacs_handles *t = table(s, false);
	struct entry *e = t ? unlink_entry(t, sfd, NULL) : NULL;
	if (e)
		release(e);
	return e != NULL;
}

void ck__kacs_handle_drop(struct ck__kacs_sup *s, struct ck__kacs_handle *h)
{
	struct ck__kacs_handles *t = table(s, false);
	struct entry *e = t && h ? unlink_entry(t, -1, h) : NULL;
	if (e)
		release(e);
}

void ck__kacs_handles_free(struct ck__kacs_sup *s)
{
	struct ck__kacs_handles **slot = ck__kacs_handles_slot(s);
	struct ck__kacs_handles *t = *slot;
	if (!t)
		return;
	for (size_t i = 0; i < t->nbucket; i++)
		for (struct entry *e = t->bucket[i], *next; e; e = next) {
			next = e->next;
			release(e);
		}
	free(t->bucket);
	free(t);
	*slot = NULL;
}

size_t ck__kacs_handles_count(struct ck__kacs_sup *s)
{
	struct ck__kacs_handles *t = table(s, false);
	return t ? t->n : 0;
}
