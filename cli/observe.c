/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What `clonekit trace` and `clonekit watch` print alike: events, alerts, the rules. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *cli_event_text(int (*f)(const struct ck_event *, char *, size_t), const struct ck_event *e,
		     char *buf, size_t len)
{
	int n = f(e, buf, len);
	if (n < 0 || (size_t)n < len)
		return buf;
	char *big = malloc((size_t)n + 1);
	if (!big)
		return buf; /* truncated rather than lost */
	f(e, big, (size_t)n + 1);
	return big;
}

void cli_fprint_alert(FILE *f, bool json, const struct ck_alert *a)
{
	if (!json) {
		fprintf(f, "ALERT %s %s: %s\n", ck_priority_name(a->priority), a->rule, a->message);
		return;
	}
	struct jw w;

	jw_init(&w, f);
	jw_obj_begin(&w, NULL);
	jw_obj_begin(&w, "alert");
	jw_str(&w, "rule", a->rule);
	jw_str(&w, "priority", ck_priority_name(a->priority));
	jw_str(&w, "message", a->message);
	jw_event(&w, "event", a->event);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_end_line(&w);
}

void cli_print_alert(FILE *json, const struct ck_alert *a)
{
	cli_fprint_alert(json ? json : stderr, json != NULL, a);
}

int cli_load_rules(const char *cmd, const char *file, int fail, struct ck_detect **out)
{
	struct ck_rule_error err = { .size = sizeof(err) };
	struct ck_detect *d = ck_detect_new();
	int r;

	*out = d;
	if (!d) {
		fprintf(stderr, "clonekit %s: %s\n", cmd, strerror(errno));
		return fail;
	}
	r = ck_detect_add_defaults(d);
	if (r < 0) {
		fprintf(stderr, "clonekit %s: the default rules: %s\n", cmd, strerror(-r));
		return fail;
	}
	if (!file)
		return 0;
	r = ck_detect_add_file(d, file, &err);
	if (r < 0) {
		fprintf(stderr, "clonekit %s: --rules %s: %s\n", cmd, file,
			r == -EINVAL && err.line ? err.message : strerror(-r));
		return CK_EXIT_USAGE;
	}
	return 0;
}
