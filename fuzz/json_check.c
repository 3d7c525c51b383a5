/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON oracle of json_check.h: a strict reader and the schema's rule for strings. */
#include "json_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8, from the definition ---- */

/* The UTF-8 encoding of code point cp (any value below 0x110000) into out; its length. */
static size_t encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool is_scalar(uint32_t cp)
{
	return cp < 0x110000 && (cp < 0xd800 || cp > 0xdfff);
}

/*
 * Every proper prefix (1 to 3 bytes) of the encoding of a scalar value, as
 * bits: made once by encoding all of them.
 */
static uint8_t *prefix3; /* 2^24 bits */
static uint8_t prefix2[1 << 13], prefix1[1 << 5];

static void prefixes_init(void)
{
	unsigned char b[4];

	if (prefix3)
		return;
	prefix3 = calloc(1, 1 << 21);
	if (!prefix3)
		abort();
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		if (!is_scalar(cp))
			continue;
		size_t n = encode(cp, b);
		if (n > 1)
			prefix1[b[0] >> 3] |= (uint8_t)(1u << (b[0] & 7));
		if (n > 2) {
			uint32_t k = (uint32_t)b[0] << 8 | b[1];
			prefix2[k >> 3] |= (uint8_t)(1u << (k & 7));
		}
		if (n > 3) {
			uint32_t k = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
			prefix3[k >> 3] |= (uint8_t)(1u << (k & 7));
		}
	}
}

static bool is_prefix(const unsigned char *s, size_t k)
{
	uint32_t v = 0;
	for (size_t i = 0; i < k; i++)
		v = v << 8 | s[i];
	const uint8_t *set = k == 1 ? prefix1 : k == 2 ? prefix2 : prefix3;
	return set[v >> 3] & (1u << (v & 7));
}

/*
 * The length of the well-formed sequence at s (n bytes left), or 0: the
 * bytes, read by their bit patterns alone, must decode to a scalar value
 * whose encoding they are (which rules out overlong forms).
 */
static size_t whole_sequence(const unsigned char *s, size_t n, uint32_t *cp_out)
{
	unsigned char b[4];
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		len = 1, cp = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (!is_scalar(cp) || encode(cp, b) != len || memcmp(b, s, len) != 0)
		return 0;
	if (cp_out)
		*cp_out = cp;
	return len;
}

bool jc_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = whole_sequence(p + i, n - i, NULL)))
			return false;
	return true;
}

size_t jc_utf8_replace(char *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	prefixes_init();
	for (size_t i = 0; i < n;) {
		size_t k = whole_sequence(p + i, n - i, NULL);
		if (k) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		/* the longest prefix of a well-formed sequence starting here, at least one byte */
		size_t bad = 1;
		for (size_t m = 3; m >= 1; m--) {
			if (m <= n - i && is_prefix(p + i, m)) {
				bad = m;
				break;
			}
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i += bad;
	}
	return o;
}

/* ---- the reader ---- */

struct reader {
	const char *s;
	size_t n, i;
	int depth;
	char *why;
	size_t why_len;
	bool failed;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (r->failed)
		return -1;
	r->failed = true;
	k = snprintf(r->why, r->why_len, "at byte %zu: ", r->i);
	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < r->why_len)
		vsnprintf(r->why + k, r->why_len - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static void skip_ws(struct reader *r)
{
	while (r->i < r->n && strchr(" \t\n\r", r->s[r->i]) && r->s[r->i])
		r->i++;
}

static bool literal(struct reader *r, const char *word)
{
	size_t k = strlen(word);
	if (r->n - r->i < k || memcmp(r->s + r->i, word, k) != 0)
		return false;
	r->i += k;
	return true;
}

static int hex4(struct reader *r, uint32_t *v)
{
	*v = 0;
	if (r->n - r->i < 4)
		return fail(r, "\\u needs four hex digits");
	for (int k = 0; k < 4; k++) {
		char c = r->s[r->i++];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return fail(r, "'%c' in a \\u escape", c);
		*v = *v << 4 | d;
	}
	return 0;
}

/* A string after its opening quote: its decoded bytes into a new buffer. */
static int read_string(struct reader *r, char **out, size_t *len)
{
	char *buf = malloc(r->n - r->i + 1);
	size_t o = 0;

	if (!buf)
		abort();
	for (;;) {
		if (r->i >= r->n) {
			free(buf);
			return fail(r, "unterminated string");
		}
		unsigned char c = (unsigned char)r->s[r->i];
		if (c == '"') {
			r->i++;
			break;
		}
		if (c < 0x20) {
			free(buf);
			return fail(r, "raw control byte 0x%02x in a string", c);
		}
		if (c != '\\') {
			/* the whole text was checked to be UTF-8: copy the sequence */
			size_t k = whole_sequence((const unsigned char *)r->s + r->i, r->n - r->i, NULL);
			memcpy(buf + o, r->s + r->i, k);
			o += k;
			r->i += k;
			continue;
		}
		r->i++;
		if (r->i >= r->n) {
			free(buf);
			return fail(r, "a backslash ends the text");
		}
		char e = r->s[r->i++];
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *at = e ? strchr(from, e) : NULL;
		if (at) {
			buf[o++] = to[at - from];
			continue;
		}
		if (e != 'u') {
			free(buf);
			return fail(r, "unknown escape '\\%c'", e);
		}
		uint32_t cp, lo;
		if (hex4(r, &cp)) {
			free(buf);
			return -1;
		}
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			free(buf);
			return fail(r, "a low surrogate \\u%04" PRIx32 " without its high one", cp);
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (!literal(r, "\\u") || hex4(r, &lo) || lo < 0xdc00 || lo > 0xdfff) {
				free(buf);
				return fail(r, "a high surrogate \\u%04" PRIx32 " without its low one", cp);
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		o += encode(cp, (unsigned char *)buf + o);
	}
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
}

static int read_number(struct reader *r, struct jc_value *v)
{
	size_t start = r->i;
	const char *s = r->s;
	size_t n = r->n;

#define DIGIT(k) ((k) < n && s[k] >= '0' && s[k] <= '9')
	if (r->i < n && s[r->i] == '-')
		r->i++;
	if (!DIGIT(r->i))
		return fail(r, "a number without digits");
	if (s[r->i] == '0')
		r->i++;
	else
		while (DIGIT(r->i))
			r->i++;
	if (r->i < n && s[r->i] == '.') {
		r->i++;
		if (!DIGIT(r->i))
			return fail(r, "no digit after the decimal point");
		while (DIGIT(r->i))
			r->i++;
	}
	if (r->i < n && (s[r->i] == 'e' || s[r->i] == 'E')) {
		r->i++;
		if (r->i < n && (s[r->i] == '+' || s[r->i] == '-'))
			r->i++;
		if (!DIGIT(r->i))
			return fail(r, "no digit in the exponent");
		while (DIGIT(r->i))
			r->i++;
	}
#undef DIGIT
	v->type = JC_NUMBER;
	v->len = r->i - start;
	v->text = malloc(v->len + 1);
	if (!v->text)
		abort();
	memcpy(v->text, s + start, v->len);
	v->text[v->len] = '\0';
	return 0;
}

static int read_value(struct reader *r, struct jc_value *v);

static void push(struct jc_value *v, size_t *cap)
{
	if (v->count < *cap)
		return;
	*cap = *cap ? *cap * 2 : 8;
	v->items = realloc(v->items, *cap * sizeof(*v->items));
	if (v->type == JC_OBJECT) {
		v->keys = realloc(v->keys, *cap * sizeof(*v->keys));
		v->key_lens = realloc(v->key_lens, *cap * sizeof(*v->key_lens));
	}
	if (!v->items || (v->type == JC_OBJECT && (!v->keys || !v->key_lens)))
		abort();
}

static int read_container(struct reader *r, struct jc_value *v, bool object)
{
	size_t cap = 0;
	char close = object ? '}' : ']';

	v->type = object ? JC_OBJECT : JC_ARRAY;
	if (++r->depth > 64)
		return fail(r, "nested deeper than 64");
	skip_ws(r);
	if (r->i < r->n && r->s[r->i] == close) {
		r->i++;
		r->depth--;
		return 0;
	}
	for (;;) {
		push(v, &cap);
		struct jc_value *item = &v->items[v->count];
		memset(item, 0, sizeof(*item));
		if (object) {
			skip_ws(r);
			if (r->i >= r->n || r->s[r->i] != '"')
				return fail(r, "a member name must be a string");
			r->i++;
			if (read_string(r, &v->keys[v->count], &v->key_lens[v->count]))
				return -1;
			for (size_t k = 0; k < v->count; k++) {
				if (v->key_lens[k] == v->key_lens[v->count] &&
				    memcmp(v->keys[k], v->keys[v->count], v->key_lens[k]) == 0) {
					free(v->keys[v->count]);
					return fail(r, "member '%s' twice in one object", v->keys[k]);
				}
			}
			skip_ws(r);
			if (r->i >= r->n || r->s[r->i] != ':') {
				free(v->keys[v->count]);
				return fail(r, "expected ':' after a member name");
			}
			r->i++;
		}
		v->count++;
		if (read_value(r, item))
			return -1;
		skip_ws(r);
		if (r->i < r->n && r->s[r->i] == ',') {
			r->i++;
			continue;
		}
		if (r->i < r->n && r->s[r->i] == close) {
			r->i++;
			r->depth--;
			return 0;
		}
		return fail(r, "expected ',' or '%c'", close);
	}
}

static int read_value(struct reader *r, struct jc_value *v)
{
	skip_ws(r);
	if (r->i >= r->n)
		return fail(r, "expected a value, found the end");
	switch (r->s[r->i]) {
	case '{':
		r->i++;
		return read_container(r, v, true);
	case '[':
		r->i++;
		return read_container(r, v, false);
	case '"':
		r->i++;
		v->type = JC_STRING;
		return read_string(r, &v->text, &v->len);
	case 't':
		v->type = JC_TRUE;
		return literal(r, "true") ? 0 : fail(r, "not a value");
	case 'f':
		v->type = JC_FALSE;
		return literal(r, "false") ? 0 : fail(r, "not a value");
	case 'n':
		v->type = JC_NULL;
		return literal(r, "null") ? 0 : fail(r, "not a value");
	default:
		return read_number(r, v);
	}
}

int jc_parse(const char *text, size_t n, struct jc_value *out, char *why, size_t why_len)
{
	struct reader r = { .s = text, .n = n, .why = why, .why_len = why_len };

	memset(out, 0, sizeof(*out));
	if (why_len)
		why[0] = '\0';
	for (size_t i = 0, k; i < n; i += k) {
		if (!(k = whole_sequence((const unsigned char *)text + i, n - i, NULL))) {
			r.i = i;
			return fail(&r, "byte 0x%02x is not UTF-8", (unsigned char)text[i]);
		}
	}
	if (read_value(&r, out)) {
		jc_free(out);
		return -1;
	}
	skip_ws(&r);
	if (r.i != n) {
		jc_free(out);
		return fail(&r, "text after the value");
	}
	return 0;
}

void jc_free(struct jc_value *v)
{
	for (size_t i = 0; i < v->count; i++) {
		jc_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->key_lens);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

const struct jc_value *jc_get(const struct jc_value *obj, const char *key)
{
	size_t k = strlen(key);
	if (obj->type != JC_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->count; i++)
		if (obj->key_lens[i] == k && memcmp(obj->keys[i], key, k) == 0)
			return &obj->items[i];
	return NULL;
}

bool jc_holds_bytes(const struct jc_value *obj, const char *key, const char *s, size_t n, char *why,
		    size_t why_len)
{
	char hex_key[256];
	const struct jc_value *text = jc_get(obj, key), *hex;

	snprintf(hex_key, sizeof(hex_key), "%s_hex", key);
	hex = jc_get(obj, hex_key);
	if (!text || text->type != JC_STRING) {
		snprintf(why, why_len, "no string '%s'", key);
		return false;
	}
	if (jc_utf8_valid(s, n)) {
		if (hex) {
			snprintf(why, why_len, "'%s' is UTF-8 but '%s' is there", key, hex_key);
			return false;
		}
		if (text->len != n || memcmp(text->text, s, n) != 0) {
			snprintf(why, why_len, "'%s' is not its bytes", key);
			return false;
		}
		return true;
	}
	char *want = malloc(3 * n + 1);
	if (!want)
		abort();
	size_t k = jc_utf8_replace(want, s, n);
	bool same = text->len == k && memcmp(text->text, want, k) == 0;
	free(want);
	if (!same) {
		snprintf(why, why_len, "'%s' is not its bytes with U+FFFD for each maximal ill-formed subpart", key);
		return false;
	}
	if (!hex || hex->type != JC_STRING || hex->len != 2 * n) {
		snprintf(why, why_len, "no '%s' of %zu digits", hex_key, 2 * n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char d[3];
		snprintf(d, sizeof(d), "%02x", (unsigned char)s[i]);
		if (memcmp(hex->text + 2 * i, d, 2) != 0) {
			snprintf(why, why_len, "'%s' byte %zu is not %s", hex_key, i, d);
			return false;
		}
	}
	return true;
}

bool jc_is_int(const struct jc_value *v, int64_t value)
{
	char d[32];
	snprintf(d, sizeof(d), "%" PRId64, value);
	return v && v->type == JC_NUMBER && strcmp(v->text, d) == 0;
}

bool jc_is_uint(const struct jc_value *v, uint64_t value)
{
	char d[32];
	snprintf(d, sizeof(d), "%" PRIu64, value);
	return v && v->type == JC_NUMBER && strcmp(v->text, d) == 0;
}
