/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <inttypes.h>
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

void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->need_comma[0] = false;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Writes the separator and, inside an object, the key. */
static void prefix(struct jw *w, const char *key)
{
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = true;
	if (key && w->depth > 0) {
		put_string(w->f, key);
		fputc(':', w->f);
	}
}

static void open_scope(struct jw *w, const char *key, char c)
{
	prefix(w, key);
	fputc(c, w->f);
	if (w->depth + 1 < (int)(sizeof(w->need_comma) / sizeof(w->need_comma[0])))
		w->depth++;
	w->need_comma[w->depth] = false;
}

void jw_obj_begin(struct jw *w, const char *key) { open_scope(w, key, '{'); }
void jw_arr_begin(struct jw *w, const char *key) { open_scope(w, key, '['); }

void jw_obj_end(struct jw *w)
{
	fputc('}', w->f);
	if (w->depth > 0)
		w->depth--;
}

void jw_arr_end(struct jw *w)
{
	fputc(']', w->f);
	if (w->depth > 0)
		w->depth--;
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	prefix(w, key);
	if (val)
		put_string(w->f, val);
	else
		fputs("null", w->f);
}

void jw_int(struct jw *w, const char *key, long long val)
{
	prefix(w, key);
	fprintf(w->f, "%lld", val);
}

void jw_uint(struct jw *w, const char *key, unsigned long long val)
{
	prefix(w, key);
	fprintf(w->f, "%llu", val);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	prefix(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_hex(struct jw *w, const char *key, uint64_t val)
{
	prefix(w, key);
	fprintf(w->f, "\"%#" PRIx64 "\"", val);
}

void jw_null(struct jw *w, const char *key)
{
	prefix(w, key);
	fputs("null", w->f);
}

void jw_end_line(struct jw *w)
{
	fputc('\n', w->f);
	w->need_comma[0] = false;
}
