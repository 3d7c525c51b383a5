/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one JSON writer: json-c for the document, UTF-8 for arbitrary bytes (docs/event-schema.md). */
#include "internal/json.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <json-c/json.h>

/* compact, one line, '/' as itself */
#define FORMAT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/*
 * At s (n > 0 bytes): the length of the well-formed UTF-8 sequence that
 * starts there (Unicode Table 3-7), or 0 with *bad set to the length of
 * its maximal ill-formed subpart (at least 1).
 */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong form */
		hi = c == 0xed ? 0x9f : 0xbf; /* no surrogate */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80; /* no overlong form */
		hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

bool ck__utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t bad, k;

	for (size_t i = 0; i < n; i += k)
		if ((k = utf8_seq(p + i, n - i, &bad)) == 0)
			return false;
	return true;
}

size_t ck__utf8_repair(char *out, size_t len, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t pos = 0, written = 0, bad = 0, k;

	for (size_t i = 0; i < n; i += k ? k : bad) {
		const char *piece = (k = utf8_seq(p + i, n - i, &bad)) ? s + i : replacement;
		size_t m = k ? k : sizeof(replacement) - 1;
		if (written == pos && pos + m < len) {
			memcpy(out + pos, piece, m);
			written += m;
		}
		pos += m;
	}
	if (len)
		out[written] = '\0';
	return pos;
}

void ck__json_init(struct ck__json *w)
{
	memset(w, 0, sizeof(*w));
}

void ck__json_release(struct ck__json *w)
{
	json_object_put(w->root);
	ck__json_init(w);
}

/*
 * Adds v (taken; NULL is JSON null when is_null, else a failed allocation)
 * under key, which outlives the document unless copy_key.
 */
static void add_key(struct ck__json *w, const char *key, struct json_object *v, bool is_null, bool copy_key)
{
	struct json_object *parent;
	int r;

	if (!w->err && !v && !is_null)
		w->err = -ENOMEM;
	if (w->err) {
		json_object_put(v);
		return;
	}
	if (w->depth == 0) {
		json_object_put(v);
		w->err = -EINVAL; /* the document is an object or an array */
		return;
	}
	parent = w->open[w->depth - 1];
	if (json_object_is_type(parent, json_type_array))
		r = json_object_array_add(parent, v);
	else
		r = json_object_object_add_ex(parent, key ? key : "", v,
					      copy_key ? 0 : JSON_C_OBJECT_ADD_CONSTANT_KEY);
	if (r < 0) {
		json_object_put(v);
		w->err = -ENOMEM;
	}
}

static void add(struct ck__json *w, const char *key, struct json_object *v, bool is_null)
{
	add_key(w, key, v, is_null, false);
}

static void begin(struct ck__json *w, const char *key, struct json_object *v)
{
	if (!w->err && (w->depth == CK__JSON_DEPTH || (w->depth == 0 && w->root)))
		w->err = -EINVAL; /* too deep, or a second document */
	if (!w->err && w->depth == 0 && v)
		w->root = v;
	else
		add(w, key, v, false);
	if (!w->err)
		w->open[w->depth++] = v;
}

static void end(struct ck__json *w, enum json_type type)
{
	if (!w->err && (w->depth == 0 || !json_object_is_type(w->open[w->depth - 1], type)))
		w->err = -EINVAL; /* nothing open, or the other kind */
	if (!w->err)
		w->depth--;
}

void ck__json_obj_begin(struct ck__json *w, const char *key)
{
	begin(w, key, w->err ? NULL : json_object_new_object());
}

void ck__json_arr_begin(struct ck__json *w, const char *key)
{
	begin(w, key, w->err ? NULL : json_object_new_array());
}

void ck__json_obj_end(struct ck__json *w)
{
	end(w, json_type_object);
}

void ck__json_arr_end(struct ck__json *w)
{
	end(w, json_type_array);
}

void ck__json_bytes(struct ck__json *w, const char *key, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char small_text[3 * 256 + 1], small_digits[2 * 256 + 1], hex_key[128];
	char *text = small_text, *digits = small_digits; /* comm and exe fit */

	if (w->err)
		return;
	if (n > INT_MAX / 3) {
		w->err = -ENOMEM;
		return;
	}
	if (ck__utf8_valid(s, n)) {
		add(w, key, json_object_new_string_len(s, (int)n), false);
		return;
	}
	if (n > 256) {
		text = malloc(3 * n + 1);
		digits = malloc(2 * n + 1);
	}
	if (text && digits) {
		add(w, key, json_object_new_string_len(text, (int)ck__utf8_repair(text, 3 * n + 1, s, n)), false);
		for (size_t i = 0; i < n; i++) {
			digits[2 * i] = hex[(unsigned char)s[i] >> 4];
			digits[2 * i + 1] = hex[(unsigned char)s[i] & 0xf];
		}
		if (key && w->depth > 0 && !json_object_is_type(w->open[w->depth - 1], json_type_array)) {
			if ((size_t)snprintf(hex_key, sizeof(hex_key), "%s_hex", key) >= sizeof(hex_key))
				w->err = -EINVAL;
			add_key(w, hex_key, json_object_new_string_len(digits, (int)(2 * n)), false, true);
		}
	} else {
		w->err = -ENOMEM;
	}
	if (text != small_text)
		free(text);
	if (digits != small_digits)
		free(digits);
}

void ck__json_str(struct ck__json *w, const char *key, const char *s)
{
	if (s)
		ck__json_bytes(w, key, s, strlen(s));
	else
		ck__json_null(w, key);
}

/* json-c prints integers with snprintf; its own digits cost a fraction (an event has about 25) */
static int integer_text(struct json_object *o, struct printbuf *pb, int level, int flags)
{
	char d[21];
	int i = sizeof(d);
	bool negative = json_object_get_int64(o) < 0;
	uint64_t v = negative ? -(uint64_t)json_object_get_int64(o) : json_object_get_uint64(o);

	do
		d[--i] = (char)('0' + v % 10);
	while (v /= 10);
	if (negative)
		d[--i] = '-';
	return printbuf_memappend(pb, d + i, (int)sizeof(d) - i);
}

static struct json_object *fast_integer(struct json_object *o)
{
	if (o)
		json_object_set_serializer(o, integer_text, NULL, NULL);
	return o;
}

void ck__json_int(struct ck__json *w, const char *key, int64_t v)
{
	add(w, key, w->err ? NULL : fast_integer(json_object_new_int64(v)), false);
}

void ck__json_uint(struct ck__json *w, const char *key, uint64_t v)
{
	add(w, key, w->err ? NULL : fast_integer(json_object_new_uint64(v)), false);
}

void ck__json_bool(struct ck__json *w, const char *key, bool v)
{
	add(w, key, w->err ? NULL : json_object_new_boolean(v), false);
}

void ck__json_null(struct ck__json *w, const char *key)
{
	add(w, key, NULL, true);
}

void ck__json_hex(struct ck__json *w, const char *key, uint64_t v)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%#" PRIx64, v);

	add(w, key, w->err ? NULL : json_object_new_string_len(text, n), false);
}

/* The finished document's text, or NULL with *err set. */
static const char *text_of(struct ck__json *w, size_t *n, int *err)
{
	const char *s;

	*err = w->err ? w->err : !w->root || w->depth ? -EINVAL : 0;
	if (*err)
		return NULL;
	s = json_object_to_json_string_length(w->root, FORMAT, n);
	if (!s)
		*err = -ENOMEM;
	return s;
}

int ck__json_format(struct ck__json *w, char *buf, size_t len)
{
	size_t n;
	int err;
	const char *s = text_of(w, &n, &err);

	if (len)
		buf[0] = '\0';
	if (!s)
		return err;
	if (n > INT_MAX)
		return -EOVERFLOW;
	if (len) {
		size_t m = n < len ? n : len - 1;
		memcpy(buf, s, m);
		buf[m] = '\0';
	}
	return (int)n;
}

int ck__json_write_line(struct ck__json *w, int fd)
{
	size_t n, done = 0;
	int err;
	const char *s = text_of(w, &n, &err);

	if (!s)
		return err;
	/* one write for the line and its newline, so that no other writer splits them */
	while (done < n + 1) {
		struct iovec iov[2] = {
			{ .iov_base = (void *)(s + (done < n ? done : n)), .iov_len = done < n ? n - done : 0 },
			{ .iov_base = (void *)"\n", .iov_len = 1 },
		};
		ssize_t r = writev(fd, iov, 2);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int ck__json_print_line(struct ck__json *w, FILE *f)
{
	size_t n;
	int err;
	const char *s = text_of(w, &n, &err);

	if (!s)
		return err;
	if (fwrite(s, 1, n, f) != n || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}
