/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A condition's tree flattened into steps, each one leaf test with the step
 * to take when it is false or true: and, or and not cost nothing per event.
 */
#include "detect/rule.h"

/* Emits the steps of node i's subtree; returns the step to start at. */
uint32_t ck__detect_flatten(struct rule *r, uint32_t i, uint32_t if_true, uint32_t if_false)
{
	const struct node *n = &r->nodes[i];

	switch (n->kind) {
	case N_AND:
		return ck__detect_flatten(r, n->a, ck__detect_flatten(r, n->b, if_true, if_false), if_false);
	case N_OR:
		return ck__detect_flatten(r, n->a, if_true, ck__detect_flatten(r, n->b, if_true, if_false));
	case N_NOT:
		return ck__detect_flatten(r, n->a, if_false, if_true);
	default:
		r->prog[r->nprog] = (struct step){ i, { if_false, if_true } };
		return r->nprog++;
	}
}
