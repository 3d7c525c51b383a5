/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "clonekit%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'clonekit%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
	return CK_EXIT_USAGE;
}

/* The command's side of the one JSON writer (lib/internal/json.c). */

void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	ck__json_init(&w->doc);
}

void jw_release(struct jw *w)
{
	ck__json_release(&w->doc);
}

void jw_obj_begin(struct jw *w, const char *key) { ck__json_obj_begin(&w->doc, key); }
void jw_arr_begin(struct jw *w, const char *key) { ck__json_arr_begin(&w->doc, key); }
void jw_obj_end(struct jw *w) { ck__json_obj_end(&w->doc); }
void jw_arr_end(struct jw *w) { ck__json_arr_end(&w->doc); }
void jw_str(struct jw *w, const char *key, const char *val) { ck__json_str(&w->doc, key, val); }
void jw_int(struct jw *w, const char *key, long long val) { ck__json_int(&w->doc, key, val); }
void jw_uint(struct jw *w, const char *key, unsigned long long val) { ck__json_uint(&w->doc, key, val); }
void jw_bool(struct jw *w, const char *key, bool val) { ck__json_bool(&w->doc, key, val); }
void jw_hex(struct jw *w, const char *key, uint64_t val) { ck__json_hex(&w->doc, key, val); }
void jw_null(struct jw *w, const char *key) { ck__json_null(&w->doc, key); }
void jw_event(struct jw *w, const char *key, const struct ck_event *e) { ck__event_json(&w->doc, key, e); }

void jw_end_line(struct jw *w)
{
	int r = ck__json_print_line(&w->doc, w->f);

	/* a line that cannot be whole is not printed at all, and said so */
	if (r < 0 && r != -EIO)
		fprintf(stderr, "clonekit: a JSON line was not printed: %s\n", strerror(-r));
	ck__json_release(&w->doc);
}
