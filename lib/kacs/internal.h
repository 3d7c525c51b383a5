/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers of lib/kacs/: errors, little-endian reads, SID text and bytes at an offset. */
#ifndef CK_KACS_INTERNAL_H
#define CK_KACS_INTERNAL_H

#include <clonekit/kacs.h>

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/*
 * Fills err (when not NULL, and only as far as err->size reaches) with
 * offset and "offset N: ..." or "column N: ..." (what says which; NULL for
 * a message about a whole input, which names no offset); returns
 * -errno_value so that callers can `return ck__kacs_fail(...)`.
 */
int ck__kacs_fail(struct ck_kacs_error *err, int errno_value, const char *what, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define CK__KACS_BIN(err, off, ...) ck__kacs_fail((err), EINVAL, "offset", (off), __VA_ARGS__)
#define CK__KACS_TXT(err, col, ...) ck__kacs_fail((err), EINVAL, "column", (col), __VA_ARGS__)

/* A byte of text for a message: "'x'" when printable, else "byte 0x0a"; buf has 16 bytes. */
const char *ck__kacs_shown(char c, char *buf);

static inline uint16_t ck__le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t ck__le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void ck__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void ck__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The SID at buf[0..len), whose first byte is at `base` of the whole input (for messages). */
ssize_t ck__kacs_sid_read_at(const uint8_t *buf, size_t len, size_t base, const char *what,
			     struct ck_kacs_sid *out, struct ck_kacs_error *err);
/* Writes a valid SID (the caller made room): its size. */
size_t ck__kacs_sid_put(const struct ck_kacs_sid *sid, uint8_t *p);
/*
 * A SID (alias or S-1-...) at the start of s[0..n), column col0 of the
 * whole text: its length in *used; the text may go on after it.
 */
int ck__kacs_sid_scan(const char *s, size_t n, size_t col0, struct ck_kacs_sid *out, size_t *used,
		      struct ck_kacs_error *err);
/* The alias whose two letters are s[0..2), or NULL. */
const struct ck_kacs_sid *ck__kacs_alias_sid(const char *s);
bool ck__kacs_sid_valid(const struct ck_kacs_sid *sid);

/* Where an ACE's parts sit in the input: "offset" or "column", then the type's, the mask's, the SID's. */
struct ck__kacs_ace_at {
	const char *what;
	size_t type, mask, sid;
};
/* The rules of an ACE beyond its bytes: its type belongs in this ACL (sacl or not), its mask, its SID. */
int ck__kacs_ace_check(const struct ck_kacs_ace *a, bool sacl, unsigned idx, const struct ck__kacs_ace_at *at,
		       struct ck_kacs_error *err);

/* ck_kacs_map_generic (K20 3-access-masks.md: map the generic bits, then clear them), inline for AccessCheck's walk. */
static inline uint32_t ck__kacs_map_generic(uint32_t mask, const struct ck_kacs_generic_mapping *map)
{
	uint32_t out = mask & ~(CK_KACS_GENERIC_READ | CK_KACS_GENERIC_WRITE | CK_KACS_GENERIC_EXECUTE | CK_KACS_GENERIC_ALL);
	if (mask & CK_KACS_GENERIC_READ)
		out |= map->read;
	if (mask & CK_KACS_GENERIC_WRITE)
		out |= map->write;
	if (mask & CK_KACS_GENERIC_EXECUTE)
		out |= map->execute;
	if (mask & CK_KACS_GENERIC_ALL)
		out |= map->all;
	return out;
}

#endif
