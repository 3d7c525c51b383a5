/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Untrusted bytes as one word of text, escaped as strace escapes strings. */
#ifndef CK_INTERNAL_ESCAPE_H
#define CK_INTERNAL_ESCAPE_H

#include <stddef.h>

/*
 * What the text output adds to strace's own escapes: a space, so that an
 * escaped string is one word, and brackets, so that it cannot close the
 * "[pid N comm]" it is printed in.
 */
#define CK__ESCAPE_WORD " []"

/*
 * The n bytes at s (NULs included) as strace's string_quote() prints a
 * string (src/util.c, default style), without the surrounding quotes: '"'
 * and '\\' as \" and \\; \f \n \r \t \v; every other byte outside
 * 0x20..0x7e, and every byte in extra, in octal (\ooo, shortened to \o or
 * \oo unless an octal digit follows). Nothing a process chooses can then
 * end a line, move the cursor or pass for another field.
 *
 * Writes a NUL-terminated result to out (len bytes, len > 0); when the whole
 * escape does not fit, as many whole escapes as fit followed by "...", so
 * that a cut never splits an escape. Returns the length of the whole
 * escape, as snprintf does (at most 4 * n).
 */
size_t ck__escape(char *out, size_t len, const char *s, size_t n, const char *extra);

#endif
