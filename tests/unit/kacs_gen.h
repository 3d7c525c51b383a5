/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Random valid security descriptors from a seed, for the round-trip tests
 * of the binary form and of SDDL: every field the format can carry varies
 * (control bits, reserved bytes, ACL revisions, every kept ACE type, flags,
 * masks, SIDs of 0..15 sub-authorities and the aliases' SIDs).
 */
#ifndef CK_TEST_KACS_GEN_H
#define CK_TEST_KACS_GEN_H

#include <stdint.h>
#include <stdlib.h>

#include <clonekit/kacs.h>

static inline uint64_t kg_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static inline uint32_t kg_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(kg_next(s) % n);
}

static inline uint32_t kg_u32(uint64_t *s)
{
	/* small numbers, boundaries and anything */
	switch (kg_below(s, 4)) {
	case 0: return kg_below(s, 20);
	case 1: return (uint32_t[]){ 0, 1, 4096, 8192, 0x7fffffffu, 0x80000000u, 0xffffffffu }[kg_below(s, 7)];
	default: return (uint32_t)kg_next(s);
	}
}

static inline void kg_sid(uint64_t *s, struct ck_kacs_sid *sid)
{
	static const char *const known[] = { "SY", "BA", "BU", "WD", "AU", "AN", "OW", "CO", "LS", "S-1-5-21-1-2-3-1001",
					     "S-1-19-512-1024", "S-1-16-8192" };
	if (kg_below(s, 3) == 0) {
		ck_kacs_sid_parse(known[kg_below(s, sizeof(known) / sizeof(known[0]))], sid, NULL);
		return;
	}
	uint32_t subs[15];
	size_t n = kg_below(s, 16);
	for (size_t i = 0; i < n; i++)
		subs[i] = kg_u32(s);
	uint64_t auth = kg_below(s, 4) == 0 ? kg_next(s) & ((UINT64_C(1) << 48) - 1) : kg_below(s, 20);
	ck_kacs_sid_make(sid, auth, n, subs);
}

static inline uint32_t kg_mask(uint64_t *s)
{
	/* never MAXIMUM_ALLOWED nor the reserved bits (K20 3-access-masks.md) */
	const uint32_t allowed = ~(CK_KACS_MAXIMUM_ALLOWED | 0x0CE00000u);
	switch (kg_below(s, 4)) {
	case 0: return CK_KACS_GENERIC_ALL;
	case 1: return (uint32_t)kg_next(s) & allowed & 0xF01F0000u; /* standard and generic */
	case 2: return (uint32_t)kg_below(s, 0x10000);
	default: return (uint32_t)kg_next(s) & allowed;
	}
}

static inline void kg_acl(uint64_t *s, struct ck_kacs_acl *acl, bool sacl, unsigned max)
{
	static const uint32_t levels[] = { 0, 4096, 8192, 12288, 16384 };
	acl->revision = kg_below(s, 4) ? 2 : 4;
	if (kg_below(s, 8) == 0) {
		acl->sbz1 = (uint8_t)kg_next(s);
		acl->sbz2 = (uint16_t)kg_next(s);
	}
	unsigned n = kg_below(s, max + 1);
	for (unsigned i = 0; i < n; i++) {
		struct ck_kacs_sid sid;
		uint8_t type;
		uint32_t mask = kg_mask(s);
		uint8_t flags = kg_below(s, 2) ? 0 : (uint8_t)kg_next(s);
		if (!sacl) {
			type = kg_below(s, 2) ? CK_KACS_ACE_ALLOW : CK_KACS_ACE_DENY;
			kg_sid(s, &sid);
		} else {
			switch (kg_below(s, 4)) {
			case 0:
				type = CK_KACS_ACE_MANDATORY_LABEL;
				ck_kacs_sid_make(&sid, 16, 1, &levels[kg_below(s, 5)]);
				mask = kg_below(s, 2) ? kg_below(s, 8) : (uint32_t)kg_next(s); /* unknown policy bits are kept */
				break;
			case 1: {
				type = CK_KACS_ACE_PROCESS_TRUST_LABEL;
				uint32_t tt[2] = { kg_u32(s), kg_u32(s) };
				ck_kacs_sid_make(&sid, 19, 2, tt);
				break;
			}
			case 2:
				type = CK_KACS_ACE_AUDIT;
				kg_sid(s, &sid);
				break;
			default:
				type = CK_KACS_ACE_ALARM;
				kg_sid(s, &sid);
				break;
			}
		}
		ck_kacs_acl_append(acl, type, flags, mask, &sid);
	}
}

/* A valid SD (ck_kacs_sd_free it). */
static inline struct ck_kacs_sd *kg_sd(uint64_t *s)
{
	struct ck_kacs_sd *sd = ck_kacs_sd_new();
	if (!sd)
		abort();
	sd->control = (uint16_t)(kg_below(s, 2) ? kg_next(s) : 0) | CK_KACS_SE_SELF_RELATIVE;
	sd->control &= (uint16_t)~(CK_KACS_SE_DACL_PRESENT | CK_KACS_SE_SACL_PRESENT);
	if (kg_below(s, 8) == 0)
		sd->sbz1 = (uint8_t)kg_next(s);
	if ((sd->has_owner = kg_below(s, 5) != 0))
		kg_sid(s, &sd->owner);
	if ((sd->has_group = kg_below(s, 3) != 0))
		kg_sid(s, &sd->group);
	if ((sd->dacl_present = kg_below(s, 6) != 0)) {
		sd->control |= CK_KACS_SE_DACL_PRESENT;
		kg_acl(s, &sd->dacl, false, kg_below(s, 10) ? 6 : 40);
	}
	if ((sd->sacl_present = kg_below(s, 2) != 0)) {
		sd->control |= CK_KACS_SE_SACL_PRESENT;
		kg_acl(s, &sd->sacl, true, 4);
	}
	return sd;
}

#endif
