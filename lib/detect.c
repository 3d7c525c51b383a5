/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detection rules (docs/rules.md): the rule set, struct ck_detect. Texts are
 * lexed (detect/lexer.c), parsed (detect/parser.c) and flattened
 * (detect/flatten.c) into rules; events are judged (detect/evaluate.c),
 * counted in rate windows (detect/rate.c) and turned into alerts
 * (detect/message.c). The default rules and ck_detect_default_rules() are
 * in detect/default_rules.c.
 */
#include <clonekit/detect.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/parser.h"
#include "internal/siphash.h"
#include "internal/util.h"

struct ck_detect {
	struct rule **rules;
	size_t count, cap;
	struct name_index names;
	uint64_t hash_key[2]; /* SipHash key of the rate tables */
};

struct ck_detect *ck_detect_new(void)
{
	struct ck_detect *d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	ck__siphash_key(d->hash_key);
	return d;
}

void ck_detect_clear(struct ck_detect *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->count; i++)
		ck__detect_rule_free(d->rules[i]);
	d->count = 0;
	if (d->names.slot)
		memset(d->names.slot, 0, d->names.cap * sizeof(*d->names.slot));
}

void ck_detect_free(struct ck_detect *d)
{
	if (!d)
		return;
	ck_detect_clear(d);
	free(d->names.slot);
	free(d->rules);
	free(d);
}

static void set_error(struct ck_rule_error *err, unsigned line, const char *msg)
{
	if (!err)
		return;
	if (err->size >= offsetof(struct ck_rule_error, line) + sizeof(err->line))
		err->line = line;
	if (err->size >= offsetof(struct ck_rule_error, message) + sizeof(err->message))
		snprintf(err->message, sizeof(err->message), "%s", msg);
}

int ck_detect_add_rules(struct ck_detect *d, const char *text, struct ck_rule_error *err)
{
	struct parser ps = { 0 };
	size_t added = 0;

	if (!d || !text) {
		set_error(err, 0, "no rule set or no text");
		return -EINVAL;
	}
	if (ck__detect_parse(&ps, text)) {
		int r = ps.err;
		set_error(err, ps.err_line, ps.msg);
		ck__detect_parser_free(&ps);
		return r;
	}
	if (ck__detect_index_reserve(&d->names, d->rules, d->count, d->count + ps.nout)) {
		set_error(err, 0, "out of memory");
		ck__detect_parser_free(&ps);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ps.nout; i++)
		if (!*ck__detect_index_find(&d->names, d->rules, ps.out[i]->name))
			added++;
	if (d->count + added > d->cap) {
		size_t cap = d->count + added < 16 ? 16 : (d->count + added) * 2;
		struct rule **nr = realloc(d->rules, cap * sizeof(*nr));
		if (!nr) {
			set_error(err, 0, "out of memory");
			ck__detect_parser_free(&ps);
			return -ENOMEM;
		}
		d->rules = nr;
		d->cap = cap;
	}
	for (size_t i = 0; i < ps.nout; i++) {
		uint32_t *slot = ck__detect_index_find(&d->names, d->rules, ps.out[i]->name);
		if (*slot) {
			ck__detect_rule_free(d->rules[*slot - 1]);
			d->rules[*slot - 1] = ps.out[i];
		} else {
			d->rules[d->count++] = ps.out[i];
			*slot = (uint32_t)d->count;
		}
	}
	ps.nout = 0;
	ck__detect_parser_free(&ps);
	return 0;
}

/* Rule files are small; anything this large is a mistake, not a rule set. */
#define RULE_FILE_MAX (1u << 20)

int ck_detect_add_file(struct ck_detect *d, const char *path, struct ck_rule_error *err)
{
	char *buf CK_AUTO_FREE = NULL;
	size_t len = 0, cap = 0;
	int fd CK_AUTO_CLOSE = -1;

	if (!d || !path)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap) {
			if (cap >= RULE_FILE_MAX)
				return -EFBIG;
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, ncap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf)
		return ck_detect_add_rules(d, "", err);
	buf[len] = '\0';
	size_t nul = strlen(buf);
	if (nul != len) {
		unsigned line = 1;
		char msg[64];
		for (size_t i = 0; i < nul; i++)
			line += buf[i] == '\n';
		snprintf(msg, sizeof(msg), "line %u: a NUL byte", line);
		set_error(err, line, msg);
		return -EINVAL;
	}
	return ck_detect_add_rules(d, buf, err);
}

size_t ck_detect_rule_count(const struct ck_detect *d)
{
	return d ? d->count : 0;
}

const char *ck_detect_rule_name(const struct ck_detect *d, size_t i)
{
	return d && i < d->count ? d->rules[i]->name : NULL;
}

enum ck_priority ck_detect_rule_priority(const struct ck_detect *d, size_t i)
{
	return d && i < d->count ? d->rules[i]->priority : CK_PRIORITY_INFO;
}

const char *ck_priority_name(enum ck_priority p)
{
	return (unsigned)p < CK_ARRAY_SIZE(priority_names) ? priority_names[p] : "?";
}

int ck_priority_parse(const char *name, enum ck_priority *out)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(priority_names); i++) {
		if (strcasecmp(name, priority_names[i]) == 0) {
			*out = (enum ck_priority)i;
			return 0;
		}
	}
	return -EINVAL;
}

int ck_detect_feed(struct ck_detect *d, const struct ck_event *e,
		   void (*cb)(const struct ck_alert *alert, void *data), void *data)
{
	int alerts = 0;

	if (!d || !e || e->size < sizeof(*e))
		return -EINVAL;
	for (size_t i = 0; i < d->count; i++) {
		struct rule *r = d->rules[i];
		uint64_t count = 1;
		bool shared = false;

		if (!ck__detect_matches(r, e))
			continue;
		if (r->seen_on[DIR_RATE]) {
			count = ck__detect_rate_count(r, e, d->hash_key, &shared);
			if (count != r->rate_limit + 1)
				continue;
		}
		alerts++;
		if (cb) {
			struct ck_alert a = { .rule = r->name, .priority = r->priority, .event = e };
			if (shared && r->rate_table)
				ck__detect_render_shared(r, e, count, a.message, sizeof(a.message));
			else
				ck__detect_render(r, e, count, a.message, sizeof(a.message));
			cb(&a, data);
		}
	}
	return alerts;
}
