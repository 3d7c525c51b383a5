/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AccessCheck for process and token objects: K20 10-access-check/10-algorithm.md
 * (EvaluateSecurityDescriptor steps 0-10 and the AccessCheck wrapper) with
 * 2-dacl-walk.md, 3-integrity.md, 4-restricted-tokens.md and 7-pip.md, and the
 * reason for every bit of the answer. Confinement, CAAP, conditional and
 * object ACEs never reach here: tokens with confinement are refused at
 * creation and those ACE types at SD parse (design §7.2); auditing decides
 * nothing (9-auditing.md).
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal/util.h"
#include "kacs/access_internal.h"
#include "kacs/internal.h"

#define ACL_DACL 'D'
#define ACL_SACL 'S'
#define ACL_RESTRICTED 'R'

/* S-1-3-4 OWNER RIGHTS and S-1-5-10 PRINCIPAL_SELF. */
static const struct ck_kacs_sid owner_rights = { 1, 1, { 0, 0, 0, 0, 0, 3 }, { 4 } };
static const struct ck_kacs_sid principal_self = { 1, 1, { 0, 0, 0, 0, 0, 5 }, { 10 } };

typedef __typeof__(((struct ck_kacs_access_result *)0)->bit[0]) why_t;

/* Reasons live in w[] only for the bits in touched: the rest is not even zeroed. */
struct whys {
	uint32_t touched;
	why_t w[32];
};

/* Whose identity a DACL walk matches ACE SIDs against. */
enum pass { PASS_NORMAL, PASS_RESTRICTED };

struct eval {
	const struct ck_kacs_token *tok;
	const struct ck_kacs_sd *sd;
	const struct ck_kacs_generic_mapping *map;
	enum ck_kacs_profile profile;
	uint32_t all;       /* MapGenericBits(GENERIC_ALL): the valid rights */
	uint32_t desired;   /* mapped, MAXIMUM_ALLOWED stripped */
	bool want_max;
	uint32_t track;     /* bits whose reason is kept: desired, or all in MAXIMUM_ALLOWED mode */
	uint64_t filter, rfilter; /* sid_bit of the user and groups, of the restricting SIDs: no bit, no match */
	uint64_t eff;       /* effective privileges (step 3) */
	uint32_t decided, granted, privgranted, mandatory, pip_denied;
	/* privilege provenance (10-algorithm.md "Privilege provenance tracking") */
	uint32_t by_security, by_backup, by_restore, by_takeown, by_relabel;
	struct whys why; /* last: memset stops before it */
};

/*
 * ck_kacs_sid_equal's byte equality (K20 2-sids/1-format.md), inlined for the
 * walk's inner loop: the last sub-authority (the RID) differs first.
 */
static inline bool sid_eq(const struct ck_kacs_sid *a, const struct ck_kacs_sid *b)
{
	_Static_assert(offsetof(struct ck_kacs_sid, sub) == 8, "revision, count and authority: one 8-byte word");
	unsigned n = a->sub_count;
	uint64_t ha, hb;
	if (n != b->sub_count)
		return false;
	if (n > CK_KACS_SID_MAX_SUB)
		return ck_kacs_sid_equal(a, b);
	if (n && a->sub[n - 1] != b->sub[n - 1])
		return false;
	memcpy(&ha, a, sizeof(ha));
	memcpy(&hb, b, sizeof(hb));
	if (ha != hb)
		return false;
	for (unsigned i = 0; i + 1 < n; i++)
		if (a->sub[i] != b->sub[i])
			return false;
	return true;
}

/* A SID's bit in a 64-bit filter of the token's SIDs: its last sub-authority (the RID) decides. */
static inline uint64_t sid_bit(const struct ck_kacs_sid *s)
{
	uint32_t k = s->sub_count && s->sub_count <= CK_KACS_SID_MAX_SUB ? s->sub[s->sub_count - 1] : s->authority[5];
	return UINT64_C(1) << ((k ^ (k >> 6) ^ s->sub_count) & 63);
}

static void set_why(struct whys *ws, uint32_t bits, uint8_t why, uint8_t acl, uint16_t ace, uint16_t priv)
{
	why_t *w = ws->w;
	ws->touched |= bits;
	while (bits) {
		unsigned b = (unsigned)__builtin_ctz(bits);
		bits &= bits - 1;
		w[b].why = why;
		w[b].acl = acl;
		w[b].ace = ace;
		w[b].privilege = priv;
	}
}

static bool sid_is(const struct ck_kacs_sid *sid, uint8_t authority, uint8_t subs)
{
	static const uint8_t zero[5];
	return sid->revision == 1 && sid->sub_count == subs && sid->authority[5] == authority &&
	       memcmp(sid->authority, zero, sizeof(zero)) == 0;
}

/* A mandatory label's SID: S-1-16-X, X one of the five levels under v0.20, any X under v0.22. */
static bool label_sid_valid(const struct ck_kacs_sid *sid, enum ck_kacs_profile p)
{
	if (!sid_is(sid, 16, 1))
		return false;
	if (p >= CK_KACS_V0_22) /* K22 3-integrity.md: any S-1-16-X, compared numerically */
		return true;
	switch (sid->sub[0]) { /* K20 3-integrity.md "Label SID validity": the five levels only */
	case CK_KACS_IL_UNTRUSTED:
	case CK_KACS_IL_LOW:
	case CK_KACS_IL_MEDIUM:
	case CK_KACS_IL_HIGH:
	case CK_KACS_IL_SYSTEM:
		return true;
	}
	return false;
}

static bool trust_sid_valid(const struct ck_kacs_sid *sid)
{
	return sid_is(sid, 19, 2); /* K20 7-pip.md: S-1-19-{type}-{trust} */
}

/* SidMatchesToken (10-algorithm.md "Key helper functions"). */
static bool token_matches(const struct eval *e, const struct ck_kacs_sid *sid, bool allow)
{
	const struct ck_kacs_token *t = e->tok;
	if (!(e->filter & sid_bit(sid)))
		return false;
	if (sid_eq(sid, &t->user))
		return !(allow && t->user_deny_only);
	for (uint32_t i = 0; i < t->group_count; i++) {
		uint32_t a = t->groups[i].attributes;
		bool enabled = a & CK_KACS_GROUP_ENABLED, deny_only = a & CK_KACS_GROUP_USE_FOR_DENY_ONLY;
		if (!(allow ? enabled && !deny_only : enabled || deny_only))
			continue;
		if (sid_eq(sid, &t->groups[i].sid))
			return true;
	}
	return false;
}

/* SidInRestrictingSids: presence-based, attributes ignored (4-restricted-tokens.md). */
static bool restricted_contains(const struct eval *e, const struct ck_kacs_sid *sid)
{
	const struct ck_kacs_token *t = e->tok;
	if (!(e->rfilter & sid_bit(sid)))
		return false;
	for (uint32_t i = 0; i < t->restricted_count; i++)
		if (sid_eq(sid, &t->restricted_sids[i].sid))
			return true;
	return false;
}

/* The ownership relation: SID equality with the user or any group (K20 3-security-descriptors/7-ownership.md). */
static bool token_is_owner(const struct ck_kacs_token *t, const struct ck_kacs_sid *owner)
{
	if (sid_eq(owner, &t->user))
		return true;
	for (uint32_t i = 0; i < t->group_count; i++)
		if (sid_eq(owner, &t->groups[i].sid))
			return true;
	return false;
}

static bool dacl_is_null(const struct ck_kacs_sd *sd)
{
	return !sd->dacl_present || sd->dacl_null;
}

/* The OWNER RIGHTS pre-scan: any non-inherit-only allow or deny ACE naming S-1-3-4. */
static bool owner_rights_named(const struct ck_kacs_acl *acl)
{
	for (uint16_t i = 0; i < acl->count; i++) {
		const struct ck_kacs_ace *a = &acl->aces[i];
		if (!(a->flags & CK_KACS_ACE_INHERIT_ONLY) &&
		    (a->type == CK_KACS_ACE_ALLOW || a->type == CK_KACS_ACE_DENY) &&
		    sid_eq(&a->sid, &owner_rights))
			return true;
	}
	return false;
}

/*
 * EvaluateDACL: owner implicit rights, then the NULL DACL grant or the walk,
 * first writer wins (2-dacl-walk.md). The normal pass matches the token
 * (with S-1-3-4 as a virtual group when the owner matches for allow,
 * EnrichToken); the restricted pass matches the restricting SIDs by presence
 * (EnrichTokenForRestricted).
 */
static void evaluate_dacl(const struct eval *e, enum pass pass, uint32_t *decided, uint32_t *granted, struct whys *why)
{
	const struct ck_kacs_token *t = e->tok;
	const struct ck_kacs_sd *sd = e->sd;
	uint8_t acl_tag = pass == PASS_NORMAL ? ACL_DACL : ACL_RESTRICTED;
	bool is_owner, owner_virtual;

	if (pass == PASS_NORMAL) {
		is_owner = token_is_owner(t, &sd->owner);
		owner_virtual = is_owner && token_matches(e, &sd->owner, true);
	} else {
		is_owner = owner_virtual = restricted_contains(e, &sd->owner);
	}
	bool null_dacl = dacl_is_null(sd);
	if (is_owner && (null_dacl || !owner_rights_named(&sd->dacl))) {
		uint32_t n = (CK_KACS_READ_CONTROL | CK_KACS_WRITE_DAC) & ~*decided;
		*granted |= n;
		*decided |= n;
		set_why(why, n & e->track, CK_KACS_WHY_OWNER, 0, 0, 0);
	}
	if (null_dacl) {
		uint32_t n = e->all & ~*decided;
		*granted |= n;
		if (e->profile >= CK_KACS_V0_22) /* K22 2-dacl-walk.md: the NULL DACL's grant is decided too */
			*decided |= n;
		set_why(why, n & e->track, CK_KACS_WHY_NULL_DACL, 0, 0, 0);
		return;
	}
	for (uint16_t i = 0; i < sd->dacl.count; i++) {
		const struct ck_kacs_ace *a = &sd->dacl.aces[i];
		if (!e->want_max && (*decided & e->desired) == e->desired)
			break; /* 2-dacl-walk.md "Short-circuit", never in MAXIMUM_ALLOWED mode */
		if (a->flags & CK_KACS_ACE_INHERIT_ONLY)
			continue;
		bool allow = a->type == CK_KACS_ACE_ALLOW;
		if (!allow && a->type != CK_KACS_ACE_DENY)
			continue;
		uint32_t n = ck__kacs_map_generic(a->mask, e->map) & ~*decided;
		if (!n)
			continue;
		bool match;
		if (sid_eq(&a->sid, &owner_rights))
			match = owner_virtual;
		else if (sid_eq(&a->sid, &principal_self))
			match = false; /* no self_sid for processes and tokens: PRINCIPAL_SELF matches nothing */
		else if (pass == PASS_NORMAL)
			match = token_matches(e, &a->sid, allow);
		else
			match = restricted_contains(e, &a->sid);
		if (!match)
			continue;
		*decided |= n;
		if (allow)
			*granted |= n;
		set_why(why, n & e->track, allow ? CK_KACS_WHY_ALLOW_ACE : CK_KACS_WHY_DENY_ACE, acl_tag, i, 0);
	}
}

/* Step 4: ACCESS_SYSTEM_SECURITY, backup and restore. */
static void privilege_grants(struct eval *e)
{
	e->decided = CK_KACS_ACCESS_SYSTEM_SECURITY;
	/* refused unless a privilege grants it: why NONE naming the privilege it needs */
	set_why(&e->why, CK_KACS_ACCESS_SYSTEM_SECURITY & e->track, CK_KACS_WHY_NONE, 0, 0, CK_KACS_SE_SECURITY);
	if (e->eff & CK_KACS_PRIV(CK_KACS_SE_SECURITY)) {
		e->by_security = CK_KACS_ACCESS_SYSTEM_SECURITY;
		e->granted |= e->by_security;
		set_why(&e->why, e->by_security & e->track, CK_KACS_WHY_PRIVILEGE, 0, 0, CK_KACS_SE_SECURITY);
	}
	if (e->eff & CK_KACS_PRIV(CK_KACS_SE_BACKUP)) {
		e->by_backup = e->map->read;
		set_why(&e->why, e->by_backup & ~e->granted & e->track, CK_KACS_WHY_PRIVILEGE, 0, 0,
			CK_KACS_SE_BACKUP);
		e->decided |= e->by_backup;
		e->granted |= e->by_backup;
	}
	if (e->eff & CK_KACS_PRIV(CK_KACS_SE_RESTORE)) {
		e->by_restore = e->map->write | CK_KACS_WRITE_DAC | CK_KACS_WRITE_OWNER | CK_KACS_DELETE |
				CK_KACS_ACCESS_SYSTEM_SECURITY;
		set_why(&e->why, e->by_restore & ~e->granted & e->track, CK_KACS_WHY_PRIVILEGE, 0, 0,
			CK_KACS_SE_RESTORE);
		e->decided |= e->by_restore;
		e->granted |= e->by_restore;
	}
	e->privgranted = e->granted;
}

/* Step 5: the mandatory label and the trust label of the SACL, MIC and PIP. */
static int pre_sacl(struct eval *e, uint32_t pip_type, uint32_t pip_trust)
{
	const struct ck_kacs_acl *sacl = e->sd->sacl_present && !e->sd->sacl_null ? &e->sd->sacl : NULL;
	const struct ck_kacs_ace *label = NULL, *trust = NULL;
	uint16_t label_at = 0, trust_at = 0;

	for (uint16_t i = 0; sacl && i < sacl->count && !(label && trust); i++) {
		const struct ck_kacs_ace *a = &sacl->aces[i];
		if (a->flags & CK_KACS_ACE_INHERIT_ONLY)
			continue; /* only the first non-inherit-only label of each kind counts */
		if (a->type == CK_KACS_ACE_MANDATORY_LABEL && !label) {
			label = a;
			label_at = i;
		} else if (a->type == CK_KACS_ACE_PROCESS_TRUST_LABEL && !trust) {
			trust = a;
			trust_at = i;
		}
	}
	if (label && !label_sid_valid(&label->sid, e->profile))
		return -EINVAL;
	if (trust && !trust_sid_valid(&trust->sid))
		return -EINVAL;

	/* EnforceMIC (3-integrity.md); no label: Medium with NO_WRITE_UP */
	uint32_t label_il = label ? label->sid.sub[0] : CK_KACS_IL_MEDIUM;
	uint32_t policy = label ? label->mask : CK_KACS_LABEL_NO_WRITE_UP;
	if ((e->tok->mandatory_policy & CK_KACS_POLICY_NO_WRITE_UP) && e->tok->integrity_rid < label_il) {
		uint32_t allowed = e->map->read | e->map->execute;
		if (policy & CK_KACS_LABEL_NO_READ_UP)
			allowed &= ~e->map->read;
		if (policy & CK_KACS_LABEL_NO_WRITE_UP)
			allowed &= ~e->map->write;
		if (policy & CK_KACS_LABEL_NO_EXECUTE_UP)
			allowed &= ~e->map->execute;
		/*
		 * K22 3-integrity.md: READ_CONTROL and SYNCHRONIZE are "always" allowed;
		 * its pseudo-code adds them before NO_READ_UP strips GR (which holds
		 * READ_CONTROL): the prose wins, they are added after.
		 */
		if (e->profile >= CK_KACS_V0_22)
			allowed |= CK_KACS_READ_CONTROL | CK_KACS_SYNCHRONIZE;
		if (e->eff & CK_KACS_PRIV(CK_KACS_SE_RELABEL)) {
			allowed |= CK_KACS_WRITE_OWNER;
			e->by_relabel = CK_KACS_WRITE_OWNER;
		}
		uint32_t denied = e->all & ~allowed;
		/* privilege grants made before MIC stand (3-integrity.md "MIC and privileges") */
		set_why(&e->why, denied & ~e->decided & e->track, CK_KACS_WHY_INTEGRITY, label ? ACL_SACL : 0,
			label_at, 0);
		e->decided |= denied;
		e->mandatory |= denied;
	}

	/* EnforcePIP (7-pip.md): the ACE's mask is all a non-dominant caller may get */
	if (trust && !(pip_type >= trust->sid.sub[0] && pip_trust >= trust->sid.sub[1])) {
		uint32_t allowed = ck__kacs_map_generic(trust->mask, e->map);
		uint32_t denied = (e->all | CK_KACS_ACCESS_SYSTEM_SECURITY) & ~allowed;
		set_why(&e->why, denied & e->track, CK_KACS_WHY_TRUST_LABEL, ACL_SACL, trust_at, 0);
		e->decided |= denied;
		e->granted &= ~denied;
		e->privgranted &= ~denied;
		e->mandatory |= denied;
		e->pip_denied = denied;
	}
	return 0;
}

/* Step 10: the restricted pass, intersected (write-restricted: only the write bits). */
static void restricted_pass(struct eval *e)
{
	uint32_t r_decided = 0, r_granted = 0;
	struct whys r_why;

	r_why.touched = 0;
	evaluate_dacl(e, PASS_RESTRICTED, &r_decided, &r_granted, &r_why);
	uint32_t before = e->granted;
	if (e->tok->write_restricted) {
		uint32_t w = e->map->write;
		e->granted = (e->granted & ~w) | (e->granted & r_granted & w);
	} else {
		e->granted &= r_granted;
	}
	e->granted |= e->privgranted; /* privileges bypass the restricted pass */
	uint32_t lost = before & ~e->granted & e->track;
	while (lost) {
		unsigned b = (unsigned)__builtin_ctz(lost);
		lost &= lost - 1;
		bool by_ace = (r_why.touched >> b & 1) && r_why.w[b].why == CK_KACS_WHY_DENY_ACE;
		set_why(&e->why, 1u << b, CK_KACS_WHY_RESTRICTED, by_ace ? ACL_RESTRICTED : 0,
			by_ace ? r_why.w[b].ace : 0, 0);
	}
}

static bool token_sane(const struct ck_kacs_token *t)
{
	return t->group_count <= CK_KACS_GROUPS_MAX && t->restricted_count <= CK_KACS_GROUPS_MAX;
}

static void fill_result(struct ck_kacs_access_result *r, const struct eval *e, const struct ck_kacs_token *tok,
			uint32_t pip_type, uint32_t pip_trust)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->desired = e->desired;
	r->integrity_rid = tok ? tok->integrity_rid : 0;
	r->pip_type = pip_type;
	r->pip_trust = pip_trust;
}

int ck__kacs_access_check(const struct ck_kacs_token *tok, const struct ck_kacs_sd *sd,
			  const struct ck_kacs_access_request *req, struct ck_kacs_access_result *r,
			  struct ck__kacs_detail *d)
{
	struct eval e;
	struct ck__kacs_detail scratch;

	if (!d)
		d = &scratch;

	memset(&e, 0, offsetof(struct eval, why));
	e.why.touched = 0;
	e.map = req->map ? req->map : ck_kacs_process_mapping();
	e.profile = req->profile;
	e.desired = ck__kacs_map_generic(req->desired, e.map);
	e.want_max = e.desired & CK_KACS_MAXIMUM_ALLOWED;
	e.desired &= ~CK_KACS_MAXIMUM_ALLOWED;
	fill_result(r, &e, tok, req->pip_type, req->pip_trust);
	memset(d, 0, sizeof(*d));
	d->want_max = e.want_max;
	if (!tok || !sd || !token_sane(tok) || req->profile > CK_KACS_V0_22 ||
	    (req->intent & ~(CK_KACS_INTENT_BACKUP | CK_KACS_INTENT_RESTORE)))
		return r->error = -EINVAL;

	/* step 0: an Identification-level impersonation token is refused before anything (K20 9-impersonation/1-levels.md) */
	if (tok->type == CK_KACS_TOKEN_IMPERSONATION && tok->impersonation_level == CK_KACS_IDENTIFICATION) {
		for (uint32_t m = e.desired; m; m &= m - 1)
			r->bit[__builtin_ctz(m)].why = CK_KACS_WHY_IDENTIFICATION;
		return r->error = -EACCES;
	}
	/* step 1 */
	if (!sd->has_owner)
		return r->error = -EINVAL;

	e.tok = tok;
	e.sd = sd;
	e.all = e.map->all;
	e.track = e.want_max ? ~0u : e.desired;
	e.filter = sid_bit(&tok->user);
	for (uint32_t i = 0; i < tok->group_count; i++)
		e.filter |= sid_bit(&tok->groups[i].sid);
	for (uint32_t i = 0; i < tok->restricted_count; i++)
		e.rfilter |= sid_bit(&tok->restricted_sids[i].sid);
	/* step 3: backup and restore count only with their intent */
	e.eff = tok->privileges_enabled;
	if (!(req->intent & CK_KACS_INTENT_BACKUP))
		e.eff &= ~CK_KACS_PRIV(CK_KACS_SE_BACKUP);
	if (!(req->intent & CK_KACS_INTENT_RESTORE))
		e.eff &= ~CK_KACS_PRIV(CK_KACS_SE_RESTORE);

	privilege_grants(&e);
	int err = pre_sacl(&e, req->pip_type, req->pip_trust);
	if (err)
		return r->error = err;
	d->pip_denied = e.pip_denied;
	evaluate_dacl(&e, PASS_NORMAL, &e.decided, &e.granted, &e.why);

	/* step 9: SeTakeOwnershipPrivilege, deny-proof but not past MIC or PIP */
	if (((e.desired & CK_KACS_WRITE_OWNER) || e.want_max) && (e.eff & CK_KACS_PRIV(CK_KACS_SE_TAKE_OWNERSHIP)) &&
	    !(e.mandatory & CK_KACS_WRITE_OWNER) && !(e.granted & CK_KACS_WRITE_OWNER)) {
		e.by_takeown = CK_KACS_WRITE_OWNER;
		e.decided |= CK_KACS_WRITE_OWNER;
		e.granted |= CK_KACS_WRITE_OWNER;
		e.privgranted |= CK_KACS_WRITE_OWNER;
		set_why(&e.why, CK_KACS_WRITE_OWNER & e.track, CK_KACS_WHY_PRIVILEGE, 0, 0, CK_KACS_SE_TAKE_OWNERSHIP);
	}
	/* step 10: "is not empty" (10-algorithm.md): a restricted token with no restricting SID has no restricted pass */
	if (tok->restricted_count)
		restricted_pass(&e);

	/* step 13: a privilege counts as used when requested bits it contributed survive */
	uint32_t used = e.desired & e.granted;
	if (e.by_security & used)
		r->privileges_used |= CK_KACS_PRIV(CK_KACS_SE_SECURITY);
	if (e.by_backup & used)
		r->privileges_used |= CK_KACS_PRIV(CK_KACS_SE_BACKUP);
	if (e.by_restore & used)
		r->privileges_used |= CK_KACS_PRIV(CK_KACS_SE_RESTORE);
	if (e.by_takeown & used)
		r->privileges_used |= CK_KACS_PRIV(CK_KACS_SE_TAKE_OWNERSHIP);
	if (e.by_relabel & used)
		r->privileges_used |= CK_KACS_PRIV(CK_KACS_SE_RELABEL);

	/* step 15: a request with no specific bit (pure MAXIMUM_ALLOWED) always succeeds */
	bool ok = (e.granted & e.desired) == e.desired;
	d->granted = e.granted;
	r->granted = ok ? (e.want_max ? e.granted : e.desired) : 0;
	uint32_t keep = e.desired | r->granted | (e.want_max ? e.all | CK_KACS_ACCESS_SYSTEM_SECURITY : 0);
	for (uint32_t m = keep & e.why.touched; m; m &= m - 1)
		r->bit[__builtin_ctz(m)] = e.why.w[__builtin_ctz(m)];
	return r->error = ok ? 0 : -EACCES;
}

int ck_kacs_access_check(const struct ck_kacs_token *tok, const struct ck_kacs_sd *sd,
			 const struct ck_kacs_access_request *req, struct ck_kacs_access_result *res)
{
	struct ck_kacs_access_request q;
	struct ck_kacs_access_result r;

	if (!res)
		return -EINVAL;
	if (req && req->size == sizeof(q) && res->size == sizeof(r))
		return ck__kacs_access_check(tok, sd, req, res, NULL); /* this library's sizes: no copies */
	if (!req || ck__opts_copy_in(&q, sizeof(q), req, req->size, sizeof(q))) {
		memset(&r, 0, sizeof(r));
		r.error = -EINVAL;
	} else {
		ck__kacs_access_check(tok, sd, &q, &r, NULL);
	}
	if (ck__opts_copy_out(res, res->size, &r, sizeof(r), CK__KACS_RESULT_MIN))
		return -EINVAL;
	return r.error;
}

/* ---- The sentence ---------------------------------------------------------- */

/* "Low" for 4096, the number otherwise. */
static const char *il_name(uint32_t rid, char *buf, size_t len)
{
	static const char *const names[] = { "Untrusted", "Low", "Medium", "High", "System" };
	if (rid % 4096 == 0 && rid / 4096 < CK_ARRAY_SIZE(names))
		return names[rid / 4096];
	snprintf(buf, len, "%u", rid);
	return buf;
}

/* "Protected/8192": a PIP type's name (or number) and the trust. */
static const char *pip_name(uint32_t type, uint32_t trust, char *buf, size_t len)
{
	const char *t = type == CK_KACS_PIP_NONE ? "None" : type == CK_KACS_PIP_PROTECTED ? "Protected" :
			type == CK_KACS_PIP_ISOLATED ? "Isolated" : NULL;
	if (t)
		snprintf(buf, len, "%s/%u", t, trust);
	else
		snprintf(buf, len, "%u/%u", type, trust);
	return buf;
}

static void append_sid(char *buf, size_t len, size_t *pos, const struct ck_kacs_sid *sid)
{
	const char *alias = ck_kacs_sid_alias(sid);
	char text[192];
	if (alias) {
		ck__buf_append(buf, len, pos, "%s", alias);
	} else {
		ck_kacs_sid_format(sid, text, sizeof(text));
		ck__buf_append(buf, len, pos, "%s", text);
	}
}

static void append_rights(char *buf, size_t len, size_t *pos, uint32_t mask,
			  const struct ck_kacs_generic_mapping *kind)
{
	char text[512];
	ck_kacs_rights_format(mask, kind, text, sizeof(text));
	ck__buf_append(buf, len, pos, "%s", text);
}

static const struct ck_kacs_ace *ace_at(const struct ck_kacs_sd *sd, uint8_t acl, uint16_t i)
{
	const struct ck_kacs_acl *a = NULL;
	if (!sd)
		return NULL;
	if ((acl == ACL_DACL || acl == ACL_RESTRICTED) && sd->dacl_present && !sd->dacl_null)
		a = &sd->dacl;
	else if (acl == ACL_SACL && sd->sacl_present && !sd->sacl_null)
		a = &sd->sacl;
	return a && i < a->count ? &a->aces[i] : NULL;
}

/* "DACL ACE 2 (deny SIGNAL to WD)" */
static void append_ace(char *buf, size_t len, size_t *pos, const struct ck_kacs_sd *sd, uint8_t acl, uint16_t i,
		       const struct ck_kacs_generic_mapping *kind)
{
	const struct ck_kacs_ace *a = ace_at(sd, acl, i);
	ck__buf_append(buf, len, pos, "%s ACE %u", acl == ACL_SACL ? "SACL" : "DACL", i);
	if (!a)
		return;
	ck__buf_append(buf, len, pos, " (%s ", a->type == CK_KACS_ACE_ALLOW ? "allow" : "deny");
	append_rights(buf, len, pos, a->mask, kind);
	ck__buf_append(buf, len, pos, " to ");
	append_sid(buf, len, pos, &a->sid);
	ck__buf_append(buf, len, pos, ")");
}

static void append_label_policy(char *buf, size_t len, size_t *pos, uint32_t policy)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ CK_KACS_LABEL_NO_READ_UP, "NO_READ_UP" },
		{ CK_KACS_LABEL_NO_WRITE_UP, "NO_WRITE_UP" },
		{ CK_KACS_LABEL_NO_EXECUTE_UP, "NO_EXECUTE_UP" },
	};
	bool any = false;
	for (size_t i = 0; i < CK_ARRAY_SIZE(names); i++)
		if (policy & names[i].bit) {
			ck__buf_append(buf, len, pos, "%s%s", any ? "|" : "", names[i].name);
			any = true;
		}
	if (!any)
		ck__buf_append(buf, len, pos, "no policy bits");
}

/* The reason of one group of bits, after their names. */
static void append_reason(char *buf, size_t len, size_t *pos, const struct ck_kacs_access_result *res,
			  const struct ck_kacs_sd *sd, const struct ck_kacs_generic_mapping *kind, const why_t *w)
{
	char a[48], b[48];
	const struct ck_kacs_ace *ace;
	const char *priv = ck_kacs_privilege_name(w->privilege);

	switch (w->why) {
	case CK_KACS_WHY_ALLOW_ACE:
		ck__buf_append(buf, len, pos, " by ");
		append_ace(buf, len, pos, sd, w->acl, w->ace, kind);
		break;
	case CK_KACS_WHY_NULL_DACL:
		ck__buf_append(buf, len, pos, " by the NULL DACL");
		break;
	case CK_KACS_WHY_OWNER:
		ck__buf_append(buf, len, pos, " as the owner's implicit right");
		break;
	case CK_KACS_WHY_PRIVILEGE:
		ck__buf_append(buf, len, pos, " by %s", priv ? priv : "a privilege");
		break;
	case CK_KACS_WHY_DEBUG:
		ck__buf_append(buf, len, pos, " by SeDebugPrivilege over the process SD");
		break;
	case CK_KACS_WHY_SAME_PROCESS:
		ck__buf_append(buf, len, pos, " within the same process, which crosses no process boundary");
		break;
	case CK_KACS_WHY_DENY_ACE:
		ck__buf_append(buf, len, pos, " refused: ");
		append_ace(buf, len, pos, sd, w->acl, w->ace, kind);
		ck__buf_append(buf, len, pos, " denies it");
		break;
	case CK_KACS_WHY_INTEGRITY:
		ace = w->acl == ACL_SACL ? ace_at(sd, ACL_SACL, w->ace) : NULL;
		ck__buf_append(buf, len, pos, " refused: the caller's integrity (%s) is below the ",
			       il_name(res->integrity_rid, a, sizeof(a)));
		if (ace) {
			ck__buf_append(buf, len, pos, "object's label (%s, ",
				       il_name(ace->sid.sub[0], b, sizeof(b)));
			append_label_policy(buf, len, pos, ace->mask);
			ck__buf_append(buf, len, pos, ", SACL ACE %u)", w->ace);
		} else {
			ck__buf_append(buf, len, pos, "default label of an unlabelled object (Medium, NO_WRITE_UP)");
		}
		break;
	case CK_KACS_WHY_TRUST_LABEL:
		ace = ace_at(sd, ACL_SACL, w->ace);
		ck__buf_append(buf, len, pos, " refused: the caller's PIP (%s) does not dominate the object's trust label",
			       pip_name(res->pip_type, res->pip_trust, a, sizeof(a)));
		if (ace) {
			ck__buf_append(buf, len, pos, " (%s, SACL ACE %u, which allows ",
				       pip_name(ace->sid.sub[0], ace->sid.sub[1], b, sizeof(b)), w->ace);
			if (ace->mask)
				append_rights(buf, len, pos, ace->mask, kind);
			else
				ck__buf_append(buf, len, pos, "nothing");
			ck__buf_append(buf, len, pos, ")");
		}
		break;
	case CK_KACS_WHY_RESTRICTED:
		if (w->acl == ACL_RESTRICTED) {
			ck__buf_append(buf, len, pos, " refused: in the restricted pass ");
			append_ace(buf, len, pos, sd, ACL_DACL, w->ace, kind);
			ck__buf_append(buf, len, pos, " denies it");
		} else {
			ck__buf_append(buf, len, pos, " refused: no ACE grants it to the restricting SIDs");
		}
		break;
	case CK_KACS_WHY_PIP:
		ck__buf_append(buf, len, pos, " refused: the caller's PIP (%s) does not dominate the target's (%s)",
			       pip_name(res->pip_type, res->pip_trust, a, sizeof(a)),
			       pip_name(res->target_pip_type, res->target_pip_trust, b, sizeof(b)));
		break;
	case CK_KACS_WHY_IDENTIFICATION:
		ck__buf_append(buf, len, pos, " refused: an Identification-level token takes no access decision");
		break;
	default:
		if (priv)
			ck__buf_append(buf, len, pos, " refused: it needs %s, which is not enabled", priv);
		else
			ck__buf_append(buf, len, pos, " refused: no ACE grants it");
	}
}

bool ck__kacs_why_grants(uint8_t why)
{
	return why == CK_KACS_WHY_ALLOW_ACE || why == CK_KACS_WHY_NULL_DACL || why == CK_KACS_WHY_OWNER ||
	       why == CK_KACS_WHY_PRIVILEGE || why == CK_KACS_WHY_DEBUG || why == CK_KACS_WHY_SAME_PROCESS;
}
#define why_grants ck__kacs_why_grants

static bool why_equal(const why_t *a, const why_t *b)
{
	return a->why == b->why && a->acl == b->acl && a->ace == b->ace && a->privilege == b->privilege;
}

/* Each group of bits of mask that share a reason: "NAMES reason", joined by sep. */
static void append_groups(char *buf, size_t len, size_t *pos, const struct ck_kacs_access_result *res,
			  const struct ck_kacs_sd *sd, const struct ck_kacs_generic_mapping *kind, uint32_t mask,
			  const char *sep)
{
	bool first = true;
	while (mask) {
		unsigned b = (unsigned)__builtin_ctz(mask);
		uint32_t group = 0;
		for (uint32_t m = mask; m; m &= m - 1) {
			unsigned c = (unsigned)__builtin_ctz(m);
			if (why_equal(&res->bit[b], &res->bit[c]))
				group |= 1u << c;
		}
		mask &= ~group;
		ck__buf_append(buf, len, pos, "%s", first ? "" : sep);
		first = false;
		append_rights(buf, len, pos, group, kind);
		append_reason(buf, len, pos, res, sd, kind, &res->bit[b]);
	}
}

int ck_kacs_access_explain(const struct ck_kacs_access_result *res, const struct ck_kacs_sd *sd,
			   const struct ck_kacs_generic_mapping *kind, char *buf, size_t len)
{
	size_t pos = 0;

	if (!res || (!buf && len))
		return -EINVAL;
	if (!kind)
		kind = ck_kacs_process_mapping();
	if (res->error == 0) {
		ck__buf_append(buf, len, &pos, "granted %#x (", res->granted);
		if (res->granted)
			append_rights(buf, len, &pos, res->granted, kind);
		else
			ck__buf_append(buf, len, &pos, "nothing");
		ck__buf_append(buf, len, &pos, ")");
		if (res->granted) {
			ck__buf_append(buf, len, &pos, ": ");
			append_groups(buf, len, &pos, res, sd, kind, res->granted, "; ");
		}
	} else if (res->error != -EINVAL) {
		uint32_t refused = 0;
		for (unsigned b = 0; b < 32; b++)
			if ((res->desired & (1u << b)) && !why_grants(res->bit[b].why))
				refused |= 1u << b;
		if (!refused) /* every bit was granted, then all were taken back (PIP) */
			refused = res->desired;
		append_groups(buf, len, &pos, res, sd, kind, refused, "; ");
		if (!refused) /* nothing asked: only a gate refuses that */
			ck__buf_append(buf, len, &pos, "refused: %s",
				       res->target_pip_type ? "the caller's PIP does not dominate the target's" :
							      "an Identification-level token takes no access decision");
	} else {
		ck__buf_append(buf, len, &pos,
			       "invalid: the security descriptor has no owner, a label SID is not S-1-16-X or "
			       "S-1-19-TYPE-TRUST, or the token or request is out of range");
	}
	if (len)
		buf[pos < len ? pos : len - 1] = '\0';
	return (int)pos;
}
