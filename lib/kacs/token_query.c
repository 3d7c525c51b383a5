/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QUERY's classes and buffer protocol, the ioctl arguments, the open mask and the impersonation gates (design §5.2). */
#include "kacs/token_query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kacs/internal.h"
#include "kacs/token.h"

/* A growing payload; a failed append leaves failed set and the buffer as it was. */
struct qbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static uint8_t *qroom(struct qbuf *q, size_t n)
{
	if (q->failed)
		return NULL;
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 64;
		while (cap < q->len + n)
			cap *= 2;
		uint8_t *p = realloc(q->p, cap);
		if (!p) {
			q->failed = true;
			return NULL;
		}
		q->p = p;
		q->cap = cap;
	}
	uint8_t *at = q->p + q->len;
	q->len += n;
	return at;
}

static void q32(struct qbuf *q, uint32_t v)
{
	uint8_t *p = qroom(q, 4);
	if (p)
		ck__put32(p, v);
}

static void q64(struct qbuf *q, uint64_t v)
{
	q32(q, (uint32_t)v);
	q32(q, (uint32_t)(v >> 32));
}

static void qsid(struct qbuf *q, const struct ck_kacs_sid *sid)
{
	uint8_t *p = qroom(q, ck_kacs_sid_size(sid));
	if (p)
		ck__kacs_sid_put(sid, p);
}

/* [count:u32] then per entry [sid_len:u32][sid][attrs:u32] (class 2, and 9, 14, 16). */
static void qsids(struct qbuf *q, const struct ck_kacs_sid_attr *a, uint32_t n)
{
	q32(q, n);
	for (uint32_t i = 0; i < n; i++) {
		q32(q, (uint32_t)ck_kacs_sid_size(&a[i].sid));
		qsid(q, &a[i].sid);
		q32(q, a[i].attributes);
	}
}

/* owner_index / primary_group_index: 0 the user, N groups[N-1]. */
static const struct ck_kacs_sid *indexed_sid(const struct ck_kacs_token *t, uint32_t i)
{
	if (i == 0)
		return &t->user;
	return i <= t->group_count ? &t->groups[i - 1].sid : NULL;
}

static int payload(const struct ck_kacs_token *t, const struct ck_kacs_sessions *sessions, uint32_t cls,
		   struct qbuf *q)
{
	struct ck_kacs_sid sid;
	const struct ck_kacs_sid *ps;

	switch (cls) {
	case CK_KACS_TOKEN_CLASS_USER:
		qsid(q, &t->user);
		return 0;
	case CK_KACS_TOKEN_CLASS_GROUPS:
		qsids(q, t->groups, t->group_count);
		return 0;
	case CK_KACS_TOKEN_CLASS_PRIVILEGES:
		q64(q, t->privileges_present);
		q64(q, t->privileges_enabled);
		q64(q, t->privileges_enabled_by_default);
		q64(q, t->privileges_used);
		return 0;
	case CK_KACS_TOKEN_CLASS_TYPE:
		q32(q, (uint32_t)t->type);
		return 0;
	case CK_KACS_TOKEN_CLASS_INTEGRITY_LEVEL: {
		uint32_t rid = t->integrity_rid;
		ck_kacs_sid_make(&sid, 16, 1, &rid);
		qsid(q, &sid);
		return 0;
	}
	case CK_KACS_TOKEN_CLASS_OWNER:
	case CK_KACS_TOKEN_CLASS_PRIMARY_GROUP:
		ps = indexed_sid(t, cls == CK_KACS_TOKEN_CLASS_OWNER ? t->owner_index : t->primary_group_index);
		if (!ps)
			return -EINVAL;
		qsid(q, ps);
		return 0;
	case CK_KACS_TOKEN_CLASS_SESSION_ID:
		q32(q, t->interactive_session_id);
		return 0;
	case CK_KACS_TOKEN_CLASS_RESTRICTED_SIDS:
		qsids(q, t->restricted_sids, t->restricted ? t->restricted_count : 0);
		return 0;
	case CK_KACS_TOKEN_CLASS_SOURCE: {
		uint8_t *p = qroom(q, sizeof(t->source_name));
		if (p)
			memcpy(p, t->source_name, sizeof(t->source_name));
		q64(q, t->source_luid);
		return 0;
	}
	case CK_KACS_TOKEN_CLASS_STATISTICS:
		q64(q, t->token_id);
		q64(q, t->auth_id);
		q64(q, t->modified_id);
		q32(q, (uint32_t)t->type);
		q32(q, 0);
		q64(q, (uint64_t)t->expiration);
		return 0;
	case CK_KACS_TOKEN_CLASS_ORIGIN:
		q64(q, t->origin);
		return 0;
	case CK_KACS_TOKEN_CLASS_ELEVATION_TYPE:
		q32(q, t->elevation_type);
		return 0;
	case CK_KACS_TOKEN_CLASS_DEVICE_GROUPS: /* design §4: device groups are refused at creation */
	case CK_KACS_TOKEN_CLASS_CAPABILITIES:  /* and so is confinement */
		q32(q, 0);
		return 0;
	case CK_KACS_TOKEN_CLASS_APPCONTAINER_SID: /* 6-abi-reference.md "Empty query results": not confined */
	case CK_KACS_TOKEN_CLASS_USER_CLAIMS:      /* claims are refused at creation: the empty wrapper */
	case CK_KACS_TOKEN_CLASS_DEVICE_CLAIMS:
		return 0;
	case CK_KACS_TOKEN_CLASS_MANDATORY_POLICY:
		q32(q, t->mandatory_policy);
		return 0;
	case CK_KACS_TOKEN_CLASS_LOGON_TYPE: {
		struct ck_kacs_session_info si = { .size = sizeof(si) };
		/* K20 2-ioctls.md: looked up via auth_id in the session table (PKM: EINVAL without one) */
		if (!sessions || ck_kacs_session_get(sessions, t->auth_id, &si))
			return -EINVAL;
		q32(q, si.logon_type);
		return 0;
	}
	case CK_KACS_TOKEN_CLASS_LOGON_SID:
		ck_kacs_logon_sid(t->auth_id, &sid);
		qsid(q, &sid);
		return 0;
	case CK_KACS_TOKEN_CLASS_DEFAULT_DACL:
		if (t->default_dacl_holder && t->default_dacl_holder->dacl_present) {
			uint8_t *b;
			size_t n;
			int r = ck__kacs_dacl_bytes(t->default_dacl_holder, &b, &n);
			if (r)
				return r;
			uint8_t *p = qroom(q, n);
			if (p)
				memcpy(p, b, n);
			free(b);
		}
		return 0;
	case CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL:
		/* K20 §3: Primary tokens always return Anonymous */
		q32(q, t->type == CK_KACS_TOKEN_PRIMARY ? CK_KACS_ANONYMOUS : (uint32_t)t->impersonation_level);
		return 0;
	case CK_KACS_TOKEN_CLASS_PROJECTED_SUPPLEMENTARY_GIDS:
		q32(q, t->projected_supp_gid_count);
		for (uint32_t i = 0; i < t->projected_supp_gid_count; i++)
			q32(q, t->projected_supp_gids[i]);
		return 0;
	default:
		return -EINVAL;
	}
}

int ck__kacs_query_payload(const struct ck_kacs_token *t, const struct ck_kacs_sessions *sessions, uint32_t cls,
			   uint8_t **out, size_t *len)
{
	struct qbuf q = { 0 };

	if (!t || !out || !len)
		return -EINVAL;
	int r = payload(t, sessions, cls, &q);
	if (!r && q.failed)
		r = -ENOMEM;
	if (r) {
		free(q.p);
		return r;
	}
	if (!q.len) {
		free(q.p);
		q.p = NULL;
	}
	*out = q.p;
	*len = q.len;
	return 0;
}

/* Overflow-safe, as K20 §3 asks: a range that wraps overlaps everything. */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	uint64_t ae, be;
	if (!alen || !blen)
		return false;
	if (__builtin_add_overflow(a, alen, &ae) || __builtin_add_overflow(b, blen, &be))
		return true;
	return a < be && b < ae;
}

int ck__kacs_query_answer(struct ck_kacs_query_args *a, uint64_t args_addr, size_t required, bool *write)
{
	*write = false;
	if (required > UINT32_MAX)
		return -EOVERFLOW;
	uint32_t in_len = a->buf_len;
	a->buf_len = (uint32_t)required;
	if (!a->buf_ptr || !in_len)
		return 0;
	if (in_len < required)
		return -ERANGE;
	if (overlap(args_addr, sizeof(*a), a->buf_ptr, required))
		return -EINVAL;
	*write = required > 0;
	return 0;
}

int ck__kacs_token_open_mask(uint32_t mask)
{
	return !mask || (mask & ~CK__KACS_TOKEN_OPEN_VALID) ? -EINVAL : 0;
}

int ck__kacs_token_open_check(const struct ck_kacs_token *subject, const struct ck_kacs_token *target,
			      uint32_t mask, uint32_t pip_type, uint32_t pip_trust, enum ck_kacs_profile p,
			      uint32_t *granted, struct ck_kacs_access_result *res)
{
	struct ck_kacs_access_result own = { .size = sizeof(own) };
	struct ck_kacs_access_request req = {
		.size = sizeof(req),
		.desired = mask,
		.map = ck_kacs_token_mapping(),
		.pip_type = pip_type,
		.pip_trust = pip_trust,
		.profile = p,
	};

	if (ck__kacs_token_open_mask(mask))
		return -EINVAL;
	if (!subject || !target || !target->sd)
		return -EACCES;
	if (!res)
		res = &own;
	int r = ck_kacs_access_check(subject, target->sd, &req, res);
	if (r)
		return r;
	*granted = res->granted;
	return 0;
}

int ck__kacs_imp_gate(const struct ck_kacs_token *server, const struct ck_kacs_token *client,
		      enum ck_kacs_imp_level *level, uint64_t *used)
{
	const uint64_t imp = CK_KACS_PRIV(CK_KACS_SE_IMPERSONATE);

	*used = 0;
	if (client->type != CK_KACS_TOKEN_IMPERSONATION)
		return -EINVAL;
	*level = client->impersonation_level;
	if (*level == CK_KACS_ANONYMOUS) /* design §10.1: Anonymous is always allowed */
		return 0;
	bool same_user = ck_kacs_sid_equal(&server->user, &client->user);
	if (same_user && server->restricted && !client->restricted)
		return -EPERM; /* 2-gates.md: no sandbox escape through the parent's token */
	if (!(same_user && server->restricted == client->restricted)) {
		if ((server->privileges_present & server->privileges_enabled & imp) == imp)
			*used = imp;
		else if (*level > CK_KACS_IDENTIFICATION)
			*level = CK_KACS_IDENTIFICATION;
	}
	/* the integrity ceiling: never waived, not even by SeImpersonatePrivilege */
	if (client->integrity_rid > server->integrity_rid && *level > CK_KACS_IDENTIFICATION)
		*level = CK_KACS_IDENTIFICATION;
	return 0;
}

int ck__kacs_ioc_count(uint32_t count, uint32_t pad)
{
	return pad || !count || count > CK_KACS_ADJUST_MAX ? -EINVAL : 0;
}

int ck__kacs_ioc_adjust_default_check(const struct ck_kacs_adjust_default_args *a)
{
	if (!a->dacl_ptr && a->dacl_len)
		return -EINVAL;
	return a->dacl_len > CK__KACS_DACL_MAX ? -EINVAL : 0;
}

int ck__kacs_ioc_adjust_default(struct ck_kacs_token *t, const struct ck_kacs_adjust_default_args *a,
				const void *dacl, struct ck_kacs_error *err)
{
	static const uint8_t none;

	int r = ck__kacs_ioc_adjust_default_check(a);
	if (r)
		return r;
	/* the three-way encoding of K20 §4: (0, 0) keep, (p, n) replace, (p, 0) no default DACL */
	const void *d = !a->dacl_ptr ? NULL : a->dacl_len ? dacl : &none;
	if (a->dacl_ptr && a->dacl_len && !dacl)
		return -EINVAL;
	return ck_kacs_token_adjust_default(t, d, a->dacl_len, a->owner_index, a->group_index, err);
}

/* PKM kacs/token_fd.c: the payload's bound (K20 is silent) */
#define RESTRICT_PAYLOAD_MAX 65536u

int ck__kacs_ioc_restrict_check(const struct ck_kacs_abi_restrict_args *a)
{
	if (a->flags & ~CK_KACS_RESTRICT_WRITE_RESTRICTED)
		return -EINVAL;
	return a->data_len > RESTRICT_PAYLOAD_MAX ? -EINVAL : 0;
}

void ck__kacs_ioc_restrict_req(const struct ck_kacs_abi_restrict_args *a, const void *payload,
			       struct ck_kacs_restrict_args *out)
{
	memset(out, 0, sizeof(*out));
	out->privs_to_delete = a->privs_to_delete;
	out->num_deny_indices = a->num_deny_indices;
	out->num_restrict_sids = a->num_restrict_sids;
	out->flags = a->flags;
	out->data = payload;
	out->data_len = a->data_len;
}
