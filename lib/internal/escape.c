/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Untrusted bytes as text, with strace's escapes: one function for every place that prints them. */
#include "internal/escape.h"

#include <stdbool.h>
#include <string.h>

/* The escape of s[i] into unit (at most 4 characters); its length. */
static size_t escape_at(char unit[4], const unsigned char *s, size_t n, size_t i, const char *extra)
{
	static const char ws[] = "tnvfr"; /* \t..\r are 9..13 */
	unsigned char c = s[i];
	bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
	size_t k = 0;

	if (c == '"' || c == '\\') {
		unit[0] = '\\';
		unit[1] = (char)c;
		return 2;
	}
	if (c >= '\t' && c <= '\r') {
		unit[0] = '\\';
		unit[1] = ws[c - '\t'];
		return 2;
	}
	if (c >= 0x20 && c < 0x7f && !(extra && strchr(extra, c))) {
		unit[0] = (char)c;
		return 1;
	}
	/* \ooo, shortened unless a digit follows that would read as part of it */
	unit[k++] = '\\';
	if (digit_next || c >> 6)
		unit[k++] = (char)('0' + (c >> 6));
	if (digit_next || c >> 3)
		unit[k++] = (char)('0' + ((c >> 3) & 7));
	unit[k++] = (char)('0' + (c & 7));
	return k;
}

size_t ck__escape(char *out, size_t len, const char *s, size_t n, const char *extra)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t total = 0, pos = 0, k;
	char unit[4];

	for (size_t i = 0; i < n; i++)
		total += escape_at(unit, p, n, i, extra);
	if (len == 0)
		return total;
	/* all of it, or whole escapes and "..." (with its NUL) in what is left */
	size_t room = total < len ? len - 1 : (len > 4 ? len - 4 : 0);
	for (size_t i = 0; i < n && pos + (k = escape_at(unit, p, n, i, extra)) <= room; i++) {
		memcpy(out + pos, unit, k);
		pos += k;
	}
	if (total >= len)
		for (size_t d = 0; d < 3 && pos + 1 < len; d++)
			out[pos++] = '.';
	out[pos] = '\0';
	return total;
}
