/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The program's environment: the envp ck_spawn is given, changed by the
 * attribute set's clear/set/unset operations in order. Built by the parent
 * before the clone, in one allocation.
 */
#include <clonekit/spawn.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/proc.h"

static bool name_ok(const char *name)
{
	return name && *name && !strchr(name, '=');
}

static int add_op(struct ck_spawn_attr *a, int kind, const char *name, const char *value)
{
	struct ck__envop op = { .kind = kind };
	struct ck__envop *ops = realloc(a->envops, (a->nenvops + 1) * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	a->envops = ops;
	if ((name && !(op.name = strdup(name))) || (value && !(op.value = strdup(value)))) {
		free(op.name);
		return -ENOMEM;
	}
	a->envops[a->nenvops++] = op;
	return 0;
}

int ck_spawn_attr_clear_env(struct ck_spawn_attr *a)
{
	return a ? add_op(a, CK__ENV_CLEAR, NULL, NULL) : -EINVAL;
}

int ck_spawn_attr_setenv(struct ck_spawn_attr *a, const char *name, const char *value)
{
	return a && name_ok(name) && value ? add_op(a, CK__ENV_SET, name, value) : -EINVAL;
}

int ck_spawn_attr_unsetenv(struct ck_spawn_attr *a, const char *name)
{
	return a && name_ok(name) ? add_op(a, CK__ENV_UNSET, name, NULL) : -EINVAL;
}

void ck__envops_free(struct ck_spawn_attr *a)
{
	for (size_t i = 0; i < a->nenvops; i++) {
		free(a->envops[i].name);
		free(a->envops[i].value);
	}
	free(a->envops);
	a->envops = NULL;
	a->nenvops = 0;
}

/* "NAME=..." names name. */
static bool names(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* Removes every entry for name from v[0..*n). */
static void drop(const char **v, size_t *n, const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (!names(v[i], name))
			v[k++] = v[i];
	*n = k;
}

char **ck__env_build(const struct ck_spawn_attr *a, char *const *base)
{
	size_t nbase = 0, nsets = 0, bytes = 0;
	while (base && base[nbase])
		nbase++;
	for (size_t i = 0; i < a->nenvops; i++)
		if (a->envops[i].kind == CK__ENV_SET) {
			nsets++;
			bytes += strlen(a->envops[i].name) + strlen(a->envops[i].value) + 2;
		}
	/* the pointers, then the "NAME=VALUE" strings of the sets */
	size_t slots = nbase + nsets + 1;
	char *mem = malloc(slots * sizeof(char *) + bytes);
	if (!mem)
		return NULL;
	const char **v = (const char **)(void *)mem;
	char *text = mem + slots * sizeof(char *);
	size_t n = 0;

	for (size_t i = 0; i < nbase; i++)
		v[n++] = base[i];
	for (size_t i = 0; i < a->nenvops; i++) {
		const struct ck__envop *op = &a->envops[i];
		if (op->kind == CK__ENV_CLEAR) {
			n = 0;
			continue;
		}
		drop(v, &n, op->name);
		if (op->kind == CK__ENV_SET) {
			size_t ln = strlen(op->name), lv = strlen(op->value);
			memcpy(text, op->name, ln);
			text[ln] = '=';
			memcpy(text + ln + 1, op->value, lv + 1);
			v[n++] = text;
			text += ln + lv + 2;
		}
	}
	v[n] = NULL;
	return (char **)(void *)mem;
}
