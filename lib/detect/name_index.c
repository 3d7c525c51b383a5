/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule names to their position in an array of rules, for the parser (a name
 * twice in one text) and the set (a rule replaced by name) in constant time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

/* The slot that holds name, or the empty one where it would go. */
uint32_t *ck__detect_index_find(const struct name_index *ix, struct rule *const *rules,
			       const char *name)
{
	size_t mask = ix->cap - 1;

	for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
		uint32_t *s = &ix->slot[i];
		if (!*s || strcmp(rules[*s - 1]->name, name) == 0)
			return s;
	}
}

/* Room for n rules in the index of rules[0..count); -ENOMEM leaves it as it was. */
int ck__detect_index_reserve(struct name_index *ix, struct rule *const *rules, size_t count,
			     size_t n)
{
	size_t cap = ix->cap ? ix->cap : 16;
	struct name_index grown;

	while (cap < 2 * n)
		cap *= 2;
	if (cap == ix->cap)
		return 0;
	grown.cap = cap;
	grown.slot = calloc(cap, sizeof(*grown.slot));
	if (!grown.slot)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		*ck__detect_index_find(&grown, rules, rules[i]->name) = (uint32_t)i + 1;
	free(ix->slot);
	*ix = grown;
	return 0;
}
