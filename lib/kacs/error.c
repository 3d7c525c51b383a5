/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one filler of struct ck_kacs_error. */
#include <errno.h>
#include <stdio.h>

#include "kacs/internal.h"

int ck__kacs_fail(struct ck_kacs_error *err, int errno_value, const char *what, size_t offset, const char *fmt, ...)
{
	const size_t at_offset = offsetof(struct ck_kacs_error, offset);
	const size_t at_msg = offsetof(struct ck_kacs_error, message);

	if (!err || err->size < at_offset + sizeof(err->offset))
		return -errno_value;
	err->offset = offset;
	if (err->size <= at_msg)
		return -errno_value;
	/* a caller's struct may be older (shorter message) or newer (we fill ours) */
	size_t room = err->size - at_msg < sizeof(err->message) ? err->size - at_msg : sizeof(err->message);
	int n = what ? snprintf(err->message, room, "%s %zu: ", what, offset) : 0;
	if (n >= 0 && (size_t)n < room) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message + n, room - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -errno_value;
}

const char *ck__kacs_shown(char c, char *buf)
{
	unsigned char u = (unsigned char)c;
	if (u >= ' ' && u < 0x7f)
		snprintf(buf, 16, "'%c'", u);
	else
		snprintf(buf, 16, "byte 0x%02x", u);
	return buf;
}
