/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SipHash-2-4, written from the paper "SipHash: a fast short-input PRF". */
#include "internal/siphash.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline __attribute__((always_inline)) void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static inline __attribute__((always_inline)) void sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static uint64_t load_le64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline __attribute__((always_inline)) struct sip sip_init(const uint64_t key[2])
{
	return (struct sip){
		key[0] ^ UINT64_C(0x736f6d6570736575),
		key[1] ^ UINT64_C(0x646f72616e646f6d),
		key[0] ^ UINT64_C(0x6c7967656e657261),
		key[1] ^ UINT64_C(0x7465646279746573),
	};
}

static inline __attribute__((always_inline)) uint64_t sip_final(struct sip *s)
{
	s->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t ck__siphash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	struct sip s = sip_init(key);
	size_t whole = len & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8)
		sip_block(&s, load_le64(p + i, 8));
	sip_block(&s, load_le64(p + whole, len - whole) | (uint64_t)len << 56);
	return sip_final(&s);
}

uint64_t ck__siphash_u64(const uint64_t key[2], uint64_t v)
{
	struct sip s = sip_init(key);

	sip_block(&s, v); /* v's 8 bytes, little-endian: one whole block */
	sip_block(&s, (uint64_t)8 << 56);
	return sip_final(&s);
}

void ck__siphash_key(uint64_t key[2])
{
	struct timespec a, b;
	ssize_t n;

#ifdef GRND_INSECURE
	n = getrandom(key, 2 * sizeof(*key), GRND_INSECURE);
	if (n == (ssize_t)(2 * sizeof(*key)))
		return;
#endif
	/* kernels before 5.6 lack GRND_INSECURE */
	n = getrandom(key, 2 * sizeof(*key), GRND_NONBLOCK);
	if (n == (ssize_t)(2 * sizeof(*key)))
		return;
	clock_gettime(CLOCK_REALTIME, &a);
	clock_gettime(CLOCK_MONOTONIC, &b);
	key[0] = (uint64_t)a.tv_nsec ^ (uint64_t)a.tv_sec << 30 ^ (uint64_t)(uintptr_t)key;
	key[1] = (uint64_t)b.tv_nsec ^ (uint64_t)b.tv_sec << 30 ^ (uint64_t)getpid() << 48 ^
		 (uint64_t)(uintptr_t)&a;
	key[0] = ck__siphash_u64(key, key[1]);
}
