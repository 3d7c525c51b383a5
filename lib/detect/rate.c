/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rate windows (docs/rules.md, "1024 keys per rule, and past them"): per
 * rule, a fixed table of the windows of 1024 keys, and one shared window for
 * the keys that find all of them open.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"
#include "internal/siphash.h"

static uint64_t rate_key(const struct ck_event *e, enum field by, const uint64_t hash_key[2])
{
	switch (by) {
	case F_UID: return e->uid;
	case F_PID: return (uint32_t)e->pid;
	case F_PPID: return (uint32_t)e->ppid;
	case F_CGROUP_ID: return e->cgroup_id;
	case F_COMM: return ck__siphash(hash_key, e->comm, strnlen(e->comm, sizeof(e->comm)));
	case F_EXE: return ck__siphash(hash_key, e->exe, strnlen(e->exe, sizeof(e->exe)));
	default: return 0;
	}
}

static bool window_over(uint64_t start, uint64_t now, uint64_t period)
{
	/* events may arrive slightly out of order; a jump back by a whole period restarts */
	return now >= start ? now - start >= period : start - now >= period;
}

/* Counts an event at now in w; a window that is over (or never opened) starts again at now. */
static uint32_t window_count(struct rate_window *w, uint64_t now, uint64_t period)
{
	if (w->count == 0 || window_over(w->start, now, period)) {
		w->start = now;
		w->count = 0;
	}
	if (w->count < UINT32_MAX)
		w->count++;
	return w->count;
}

static void list_unlink(struct rate_table *t, uint16_t i)
{
	struct rate_window *w = &t->win[i];

	if (w->older != RATE_NONE)
		t->win[w->older].newer = w->newer;
	else
		t->oldest = w->newer;
	if (w->newer != RATE_NONE)
		t->win[w->newer].older = w->older;
	else
		t->newest = w->older;
}

/* Puts window i in the list by start, looking from the newest end: events come nearly in order. */
static void list_insert(struct rate_table *t, uint16_t i)
{
	struct rate_window *w = &t->win[i];
	uint16_t at = t->newest;

	while (at != RATE_NONE && t->win[at].start > w->start)
		at = t->win[at].older;
	w->older = at;
	w->newer = at == RATE_NONE ? t->oldest : t->win[at].newer;
	if (w->older != RATE_NONE)
		t->win[w->older].newer = i;
	else
		t->oldest = i;
	if (w->newer != RATE_NONE)
		t->win[w->newer].older = i;
	else
		t->newest = i;
}

/*
 * A window that is not open at now, taken from its key; RATE_NONE when all
 * are open. Windows are listed by start, so those that closed are at the old
 * end, and those a clock stepped back left a period ahead at the new end.
 */
static uint16_t table_reclaim(struct rate_table *t, uint64_t now, uint64_t period)
{
	uint16_t i = t->oldest;

	if (i == RATE_NONE)
		return RATE_NONE;
	if (!window_over(t->win[i].start, now, period)) {
		i = t->newest;
		if (!window_over(t->win[i].start, now, period))
			return RATE_NONE;
	}
	list_unlink(t, i);
	uint16_t *p = &t->bucket[t->win[i].bucket];
	while (*p != i)
		p = &t->win[*p].chain;
	*p = t->win[i].chain;
	return i;
}

struct rate_table *ck__detect_rate_table_new(void)
{
	struct rate_table *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	for (uint16_t i = 0; i < RATE_KEYS; i++) {
		t->bucket[i] = RATE_NONE;
		t->win[i].chain = i + 1 < RATE_KEYS ? i + 1 : RATE_NONE;
	}
	t->free = 0;
	t->oldest = t->newest = RATE_NONE;
	return t;
}

/*
 * Counts e in its key's window, or in the rule's shared window (*shared);
 * returns the count so far. A key without a window gets a free one, or one
 * that has closed; while every window is open, and then for as long as the
 * shared window it opened stays open, keys without a window are counted there.
 */
uint32_t ck__detect_rate_count(struct rule *r, const struct ck_event *e, const uint64_t hash_key[2],
			       bool *shared)
{
	struct rate_table *t = r->rate_table;
	uint64_t now = e->time_ns, period = r->rate_period, key;
	uint16_t b, i;

	*shared = true;
	if (!t)
		return window_count(&r->rate_shared, now, period);
	key = rate_key(e, r->rate_by, hash_key);
	/* a string's key is its keyed hash already; a number needs one to pick its bucket */
	b = (uint16_t)((r->rate_by == F_COMM || r->rate_by == F_EXE ? key : ck__siphash_u64(hash_key, key)) &
		       (RATE_KEYS - 1));
	for (i = t->bucket[b]; i != RATE_NONE && t->win[i].key != key; i = t->win[i].chain)
		;
	if (i == RATE_NONE) {
		struct rate_window *sh = &r->rate_shared;
		if (sh->count && !window_over(sh->start, now, period))
			return window_count(sh, now, period);
		i = t->free;
		if (i != RATE_NONE)
			t->free = t->win[i].chain;
		else if ((i = table_reclaim(t, now, period)) == RATE_NONE)
			return window_count(sh, now, period);
		t->win[i] = (struct rate_window){ .key = key, .start = now, .bucket = b, .chain = t->bucket[b] };
		t->bucket[b] = i;
		list_insert(t, i);
	} else if (window_over(t->win[i].start, now, period)) {
		t->win[i].start = now;
		t->win[i].count = 0;
		list_unlink(t, i);
		list_insert(t, i);
	}
	*shared = false;
	if (t->win[i].count < UINT32_MAX)
		t->win[i].count++;
	return t->win[i].count;
}
