/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_kacs_token_from_wire (kacs.h), the v2 wire format of kacs_create_token,
 * on any bytes, under both profiles. Promises held: it never crashes; it
 * answers 0, EINVAL, EOPNOTSUPP (or ENOMEM); a refusal leaves no token and
 * says why in one line that starts with the offset it names, and that
 * offset lies inside the input (or at 0); what v0.20 accepts v0.22 accepts
 * (v0.22 only widens the integrity levels); a parsed token ends with the
 * logon SID of its session, writes out with ck_kacs_token_to_wire, and
 * those bytes parse back to the same token and write out to the same bytes.
 */
#include <errno.h>
#include <inttypes.h>

#include <clonekit/kacs.h>

#include "fuzz.h"

#define CHECK(cond, ...)                                                                          \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fuzz_report("fuzz: %s:%d: broken: %s\n  ", __FILE__, __LINE__, #cond);     \
			fuzz_report(__VA_ARGS__);                                                 \
			fuzz_report("\n");                                                        \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

static bool same_attrs(const struct ck_kacs_sid_attr *a, const struct ck_kacs_sid_attr *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!ck_kacs_sid_equal(&a[i].sid, &b[i].sid) || a[i].attributes != b[i].attributes)
			return false;
	return true;
}

/* Every field the wire carries. */
static bool same_token(const struct ck_kacs_token *a, const struct ck_kacs_token *b)
{
	return ck_kacs_sid_equal(&a->user, &b->user) && a->user_deny_only == b->user_deny_only &&
	       a->group_count == b->group_count && same_attrs(a->groups, b->groups, a->group_count) &&
	       a->restricted == b->restricted && a->restricted_count == b->restricted_count &&
	       same_attrs(a->restricted_sids, b->restricted_sids, a->restricted_count) &&
	       a->write_restricted == b->write_restricted && a->privileges_present == b->privileges_present &&
	       a->privileges_enabled == b->privileges_enabled &&
	       a->privileges_enabled_by_default == b->privileges_enabled_by_default && a->type == b->type &&
	       a->impersonation_level == b->impersonation_level && a->integrity_rid == b->integrity_rid &&
	       a->mandatory_policy == b->mandatory_policy && a->auth_id == b->auth_id && a->origin == b->origin &&
	       a->expiration == b->expiration && memcmp(a->source_name, b->source_name, 8) == 0 &&
	       a->source_luid == b->source_luid && a->interactive_session_id == b->interactive_session_id &&
	       a->owner_index == b->owner_index && a->primary_group_index == b->primary_group_index &&
	       (a->default_dacl_holder != NULL) == (b->default_dacl_holder != NULL) &&
	       (!a->default_dacl_holder || ck_kacs_sd_equal(a->default_dacl_holder, b->default_dacl_holder)) &&
	       a->audit_policy == b->audit_policy && a->projected_uid == b->projected_uid &&
	       a->projected_gid == b->projected_gid && a->projected_supp_gid_count == b->projected_supp_gid_count &&
	       (!a->projected_supp_gid_count ||
		memcmp(a->projected_supp_gids, b->projected_supp_gids, 4 * a->projected_supp_gid_count) == 0);
}

static int parse(const uint8_t *data, size_t size, enum ck_kacs_profile p, struct ck_kacs_token **t)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	int r = ck_kacs_token_from_wire(data, size, p, t, &e);

	CHECK(r == 0 || r == -EINVAL || r == -EOPNOTSUPP || r == -ENOMEM, "%zu bytes: answer %d", size, r);
	if (r == 0) {
		CHECK(*t, "%zu bytes: 0 without a token", size);
		return r;
	}
	CHECK(!*t, "%zu bytes: a token with refusal %d", size, r);
	if (r == -ENOMEM)
		return r;
	char head[40];
	snprintf(head, sizeof(head), "offset %zu: ", e.offset);
	CHECK(strncmp(e.message, head, strlen(head)) == 0 && strlen(e.message) > strlen(head),
	      "%zu bytes: the message does not start with '%s': '%s'", size, head, e.message);
	CHECK(!strchr(e.message, '\n'), "%zu bytes: a message of more than one line: '%s'", size, e.message);
	CHECK(e.offset == 0 || e.offset < size, "%zu bytes: offset %zu is outside the input: %s", size, e.offset,
	      e.message);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_kacs_token *t20 = NULL, *t22 = NULL, *back = NULL;
	uint8_t *wire = NULL, *wire2 = NULL;
	size_t n = 0, n2 = 0;

	int r20 = parse(data, size, CK_KACS_V0_20, &t20);
	int r22 = parse(data, size, CK_KACS_V0_22, &t22);
	CHECK(r20 != 0 || r22 == 0, "%zu bytes: v0.20 accepts what v0.22 refuses (%d)", size, r22);
	if (r20 == 0) {
		CHECK(same_token(t20, t22), "%zu bytes: v0.20 and v0.22 read different tokens", size);
		struct ck_kacs_sid logon;
		ck_kacs_logon_sid(t20->auth_id, &logon);
		CHECK(t20->group_count >= 1 && ck_kacs_sid_equal(&t20->groups[t20->group_count - 1].sid, &logon) &&
			      t20->groups[t20->group_count - 1].attributes == 0xC0000007u,
		      "%zu bytes: the logon SID of session %" PRIu64 " is not the last group", size, t20->auth_id);
	}
	if (r22 == 0) {
		int w = ck_kacs_token_to_wire(t22, &wire, &n);
		CHECK(w == 0, "%zu bytes: a parsed token does not write out: %d", size, w);
		CHECK(parse(wire, n, CK_KACS_V0_22, &back) == 0, "%zu bytes: its spec (%zu bytes) does not parse", size, n);
		CHECK(same_token(t22, back), "%zu bytes: the spec it writes parses to another token", size);
		CHECK(ck_kacs_token_to_wire(back, &wire2, &n2) == 0 && n2 == n && memcmp(wire, wire2, n) == 0,
		      "%zu bytes: to_wire(from_wire(to_wire(t))) differs from to_wire(t)", size);
		/* the operations on a parsed token stay inside it */
		uint64_t next = CK_KACS_TOKEN_ID_FIRST;
		struct ck_kacs_token *c = ck_kacs_token_copy(back, CK_KACS_V0_22, &next);
		CHECK(c && same_token(c, back), "%zu bytes: a copy differs", size);
		ck_kacs_token_free(c);
	}
	free(wire);
	free(wire2);
	ck_kacs_token_free(back);
	ck_kacs_token_free(t20);
	ck_kacs_token_free(t22);
	return 0;
}
