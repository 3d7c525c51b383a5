/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An oracle for JSON output, written apart from lib/internal/json.c and
 * json-c: a strict RFC 8259 reader of UTF-8 text into a small tree, and
 * docs/event-schema.md's rule for strings (the U+FFFD text and its _hex
 * field) computed from the definitions themselves: a well-formed UTF-8
 * sequence is the encoding of its code point, and a maximal ill-formed
 * subpart is the longest prefix of one. Used by the json and rules targets.
 */
#ifndef CK_FUZZ_JSON_CHECK_H
#define CK_FUZZ_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jc_type { JC_NULL, JC_FALSE, JC_TRUE, JC_NUMBER, JC_STRING, JC_ARRAY, JC_OBJECT };

struct jc_value {
	enum jc_type type;
	char *text;               /* a string's bytes (decoded, NUL-terminated) or a number as written */
	size_t len;
	struct jc_value *items;   /* an array's elements, an object's values */
	char **keys;              /* an object's member names (decoded) */
	size_t *key_lens;
	size_t count;
};

/*
 * Reads text[0..n) as exactly one JSON text (RFC 8259): UTF-8 throughout,
 * no raw control character in a string, every escape and number by the
 * grammar, no surrogate escape left unpaired, names unique in each object,
 * nothing after the value but whitespace. 0, or -1 with why filled.
 */
int jc_parse(const char *text, size_t n, struct jc_value *out, char *why, size_t why_len);
void jc_free(struct jc_value *v);

/* The member named key of an object; NULL when absent. */
const struct jc_value *jc_get(const struct jc_value *obj, const char *key);

/* Whether s[0..n) is well-formed UTF-8: each sequence the shortest encoding of a scalar value. */
bool jc_utf8_valid(const char *s, size_t n);

/*
 * s[0..n) decoded with each maximal ill-formed subpart as U+FFFD (Unicode
 * 3.9), into out (at most 3 * n bytes); returns its length.
 */
size_t jc_utf8_replace(char *out, const char *s, size_t n);

/*
 * Whether member key of obj holds exactly the n bytes at s by the schema's
 * rule: key's text is the bytes when they are UTF-8, with no key_hex; else
 * key's text is jc_utf8_replace's and key_hex holds every byte in
 * lowercase hex. why says what differs.
 */
bool jc_holds_bytes(const struct jc_value *obj, const char *key, const char *s, size_t n, char *why,
		    size_t why_len);

/* Whether v is a number whose text is exactly the decimal of value (signed or not). */
bool jc_is_int(const struct jc_value *v, int64_t value);
bool jc_is_uint(const struct jc_value *v, uint64_t value);

#endif
