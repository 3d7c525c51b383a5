/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for tables whose
 * keys an attacker chooses (comm, exe), so that without the key nobody can
 * make keys collide.
 */
#ifndef CK_INTERNAL_SIPHASH_H
#define CK_INTERNAL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes at data under key. */
uint64_t ck__siphash(const uint64_t key[2], const void *data, size_t len);

/* The same of v's 8 bytes, little-endian. */
uint64_t ck__siphash_u64(const uint64_t key[2], uint64_t v);

/*
 * A fresh key from getrandom(2), without blocking; where the kernel has no
 * entropy to give yet (early boot), one mixed from clocks and addresses.
 */
void ck__siphash_key(uint64_t key[2]);

#endif
