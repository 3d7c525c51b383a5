/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logon sessions (K20 4-tokens/7-sessions.md): the table kacs_create_session
 * and kacs_destroy_empty_session work on, with the boot sessions of
 * 13-appendix-a/5-boot.md, the session wire format (6-abi-reference.md §6)
 * and a count of live tokens per session.
 */
#include <clonekit/kacs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/json.h"
#include "internal/util.h"
#include "kacs/internal.h"

struct session {
	uint64_t id;
	uint32_t logon_type;
	struct ck_kacs_sid user;
	char *auth_package;
	size_t auth_len;
	int64_t created_at;
	uint32_t live_tokens;
	bool permanent; /* a boot session: its boot token never goes */
};

struct ck_kacs_sessions {
	struct session *v; /* sorted by id: dynamic ids only grow */
	size_t n, cap;
	uint64_t next_id;
};

static const char negotiate[] = "Negotiate";

void ck_kacs_logon_sid(uint64_t id, struct ck_kacs_sid *out)
{
	/* K20 6-abi-reference.md "Logon SID derivation" */
	const uint32_t subs[] = { 5, (uint32_t)(id >> 32), (uint32_t)id };
	ck_kacs_sid_make(out, 5, 3, subs);
}

static bool logon_type_valid(uint32_t t)
{
	switch (t) {
	case CK_KACS_LOGON_INTERACTIVE:
	case CK_KACS_LOGON_NETWORK:
	case CK_KACS_LOGON_BATCH:
	case CK_KACS_LOGON_SERVICE:
	case CK_KACS_LOGON_NETWORK_CLEARTEXT:
	case CK_KACS_LOGON_NEW_CREDENTIALS:
		return true;
	}
	return false;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct session *find(const struct ck_kacs_sessions *s, uint64_t id)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].id == id)
			return &s->v[mid];
		if (s->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Appends a session whose id is above every other one. */
static int append(struct ck_kacs_sessions *s, uint64_t id, uint32_t logon_type, const char *pkg, size_t pkg_len,
		  const struct ck_kacs_sid *user, int64_t created_at, bool permanent)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct session *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	char *copy = malloc(pkg_len ? pkg_len : 1);
	if (!copy)
		return -ENOMEM;
	if (pkg_len)
		memcpy(copy, pkg, pkg_len);
	s->v[s->n++] = (struct session){
		.id = id, .logon_type = logon_type, .user = *user, .auth_package = copy, .auth_len = pkg_len,
		.created_at = created_at, .live_tokens = permanent ? 1 : 0, .permanent = permanent,
	};
	return 0;
}

struct ck_kacs_sessions *ck_kacs_sessions_new(void)
{
	struct ck_kacs_sessions *s = calloc(1, sizeof(*s));
	struct ck_kacs_sid system, anonymous;
	const uint32_t sy = 18, an = 7;

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	ck_kacs_sid_make(&system, 5, 1, &sy);
	ck_kacs_sid_make(&anonymous, 5, 1, &an);
	/* K20 5-boot.md step 2; the Anonymous session of 4-tokens/3-lifecycle.md (PKM: Network, Negotiate) */
	if (append(s, CK_KACS_SESSION_SYSTEM, CK_KACS_LOGON_SERVICE, negotiate, sizeof(negotiate) - 1, &system, 0,
		   true) < 0 ||
	    append(s, CK_KACS_SESSION_ANONYMOUS, CK_KACS_LOGON_NETWORK, negotiate, sizeof(negotiate) - 1,
		   &anonymous, 0, true) < 0) {
		ck_kacs_sessions_free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->next_id = CK_KACS_SESSION_FIRST_DYNAMIC;
	return s;
}

void ck_kacs_sessions_free(struct ck_kacs_sessions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].auth_package);
	free(s->v);
	free(s);
}

/* 1 + 2 + auth + 4 + SID: the spec's size. */
static size_t spec_size(size_t auth_len, const struct ck_kacs_sid *user)
{
	return 7 + auth_len + ck_kacs_sid_size(user);
}

int ck_kacs_session_add(struct ck_kacs_sessions *s, uint32_t logon_type, const char *auth_package,
			size_t auth_len, const struct ck_kacs_sid *user, uint64_t *id)
{
	if (!s || !user || (auth_len && !auth_package) || !logon_type_valid(logon_type) ||
	    !ck__kacs_sid_valid(user) || spec_size(auth_len, user) > CK_KACS_SESSION_SPEC_MAX ||
	    !ck__utf8_valid(auth_package, auth_len))
		return -EINVAL;
	uint64_t new_id = s->next_id;
	int r = append(s, new_id, logon_type, auth_package, auth_len, user, now_ns(), false);
	if (r < 0)
		return r;
	s->next_id++;
	if (id)
		*id = new_id;
	return 0;
}

ssize_t ck_kacs_session_spec(uint32_t logon_type, const char *auth_package, size_t auth_len,
			     const struct ck_kacs_sid *user, void *buf, size_t len)
{
	if (!user || (auth_len && !auth_package) || !logon_type_valid(logon_type) || !ck__kacs_sid_valid(user) ||
	    spec_size(auth_len, user) > CK_KACS_SESSION_SPEC_MAX || !ck__utf8_valid(auth_package, auth_len))
		return -EINVAL;
	size_t need = spec_size(auth_len, user);
	if (!buf || len < need)
		return -ENOSPC;
	uint8_t *p = buf;
	p[0] = (uint8_t)logon_type;
	ck__put16(p + 1, (uint16_t)auth_len);
	if (auth_len)
		memcpy(p + 3, auth_package, auth_len);
	ck__put32(p + 3 + auth_len, (uint32_t)ck_kacs_sid_size(user));
	ck__kacs_sid_put(user, p + 7 + auth_len);
	return (ssize_t)need;
}

int ck_kacs_session_create(struct ck_kacs_sessions *s, const void *spec, size_t len, uint64_t *id,
			   struct ck_kacs_error *err)
{
	const uint8_t *p = spec;
	struct ck_kacs_sid user = { 0 };

	if (!s || (!spec && len))
		return -EINVAL;
	/* K20 6-abi-reference.md §6, the rule of each field in turn */
	if (len < CK_KACS_SESSION_SPEC_MIN || len > CK_KACS_SESSION_SPEC_MAX)
		return CK__KACS_BIN(err, 0, "a session spec is %u to %u bytes, this one %zu (K20 6-abi-reference.md §6)",
				    CK_KACS_SESSION_SPEC_MIN, CK_KACS_SESSION_SPEC_MAX, len);
	if (!logon_type_valid(p[0]))
		return CK__KACS_BIN(err, 0, "logon_type %u is none of 2 3 4 5 8 9 (K20 6-abi-reference.md §6 \"Logon types\")",
				    p[0]);
	size_t auth_len = ck__le16(p + 1);
	if (3 + auth_len + 4 > len)
		return CK__KACS_BIN(err, 1, "auth_pkg_len %zu leaves no room for user_sid_len in %zu bytes", auth_len,
				    len);
	if (!ck__utf8_valid((const char *)p + 3, auth_len))
		return CK__KACS_BIN(err, 3, "auth_pkg is not valid UTF-8 (K20 6-abi-reference.md §6)");
	size_t at = 3 + auth_len;
	uint32_t sid_len = ck__le32(p + at);
	if (sid_len != len - at - 4)
		return CK__KACS_BIN(err, at, "user_sid_len %u but %zu bytes follow: the user SID ends the spec", sid_len,
				    len - at - 4);
	ssize_t n = ck__kacs_sid_read_at(p + at + 4, sid_len, at + 4, "user", &user, err);
	if (n < 0)
		return (int)n;
	if ((size_t)n != sid_len)
		return CK__KACS_BIN(err, at, "user_sid_len %u but the SID is %zd bytes", sid_len, n);
	return ck_kacs_session_add(s, p[0], (const char *)p + 3, auth_len, &user, id);
}

int ck_kacs_session_destroy_empty(struct ck_kacs_sessions *s, uint64_t id)
{
	struct session *e = s ? find(s, id) : NULL;

	/* K20 4-tokens/7-sessions.md "Empty-session rollback" */
	if (!e)
		return -ENOENT;
	if (e->live_tokens)
		return -EBUSY;
	free(e->auth_package);
	size_t i = (size_t)(e - s->v);
	memmove(e, e + 1, (s->n - i - 1) * sizeof(*e));
	s->n--;
	return 0;
}

int ck_kacs_session_get(const struct ck_kacs_sessions *s, uint64_t id, struct ck_kacs_session_info *out)
{
	const struct session *e = s ? find(s, id) : NULL;

	if (!out || out->size < sizeof(*out))
		return -EINVAL;
	if (!e)
		return -ENOENT;
	size_t size = out->size;
	memset(out, 0, sizeof(*out));
	out->size = size;
	out->id = e->id;
	out->logon_type = e->logon_type;
	out->user = e->user;
	ck_kacs_logon_sid(e->id, &out->logon_sid);
	out->auth_package = e->auth_package;
	out->auth_package_len = e->auth_len;
	out->created_at = e->created_at;
	out->live_tokens = e->live_tokens;
	return 0;
}

int ck_kacs_session_hold(struct ck_kacs_sessions *s, uint64_t id)
{
	struct session *e = s ? find(s, id) : NULL;

	if (!e)
		return -ENOENT;
	e->live_tokens++;
	return 0;
}

int ck_kacs_session_release(struct ck_kacs_sessions *s, uint64_t id)
{
	struct session *e = s ? find(s, id) : NULL;

	if (!e)
		return -ENOENT;
	if (e->live_tokens == 0)
		return -EINVAL;
	/* K20 7-sessions.md "Cleanup": the last token freed destroys the session */
	if (--e->live_tokens == 0 && !e->permanent)
		return ck_kacs_session_destroy_empty(s, id);
	return 0;
}
