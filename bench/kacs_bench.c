/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What one KACS decision costs: ck_kacs_access_check against the 4-ACE
 * default process SD (granted at the first ACE, at the last, refused after
 * all four, MAXIMUM_ALLOWED), a 32-ACE DACL matched at its last ACE by a
 * token with 16 groups, a restricted token (two DACL walks), and the
 * two-check rule (ck_kacs_process_authorize, with and without the
 * SeDebugPrivilege waiver).
 *
 *   kacs-bench [--rounds R] [--iterations N] [--case K]
 *
 * Each round runs every case N times, the cases taking turns; prints the
 * median over rounds of ns per decision, and the quartiles. --case K runs
 * the K-th case alone (from 0), for counting its instructions with
 * valgrind --tool=callgrind, which the machine's load does not move.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clonekit/kacs.h>

#define ALICE "S-1-5-21-1-2-3-1001"
#define BOB "S-1-5-21-1-2-3-1002"

static void sid(const char *text, struct ck_kacs_sid *out)
{
	if (ck_kacs_sid_parse(text, out, NULL)) {
		fprintf(stderr, "kacs-bench: bad SID %s\n", text);
		exit(1);
	}
}

/* The design's `user` preset: WD, AU, BU enabled, Medium, NO_WRITE_UP. */
static void user_token(struct ck_kacs_token *t, const char *user)
{
	static const char *const groups[] = { "WD", "AU", "BU" };
	memset(t, 0, sizeof(*t));
	sid(user, &t->user);
	for (size_t i = 0; i < 3; i++) {
		sid(groups[i], &t->groups[i].sid);
		t->groups[i].attributes = CK_KACS_GROUP_MANDATORY | CK_KACS_GROUP_ENABLED_BY_DEFAULT |
					  CK_KACS_GROUP_ENABLED;
	}
	t->group_count = 3;
	t->type = CK_KACS_TOKEN_PRIMARY;
	t->integrity_rid = CK_KACS_IL_MEDIUM;
	t->mandatory_policy = CK_KACS_POLICY_NO_WRITE_UP;
	t->privileges_present = CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY) | CK_KACS_PRIV(CK_KACS_SE_DEBUG);
	t->privileges_enabled = CK_KACS_PRIV(CK_KACS_SE_CHANGE_NOTIFY);
}

static struct ck_kacs_sd *sddl(const char *text)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_sd *sd = NULL;
	if (ck_kacs_sddl_parse(text, &sd, &err)) {
		fprintf(stderr, "kacs-bench: %s: %s\n", text, err.message);
		exit(1);
	}
	return sd;
}

enum kind { ACCESS, AUTHORIZE };

struct bench_case {
	const char *name;
	enum kind kind;
	const struct ck_kacs_token *tok;
	const struct ck_kacs_sd *sd;
	uint32_t desired;
	const struct ck_kacs_psb *caller, *target;
	int expect; /* the answer, checked once before timing */
};

static int run(const struct bench_case *c, struct ck_kacs_access_result *res)
{
	if (c->kind == AUTHORIZE)
		return ck_kacs_process_authorize(c->tok, c->caller, c->sd, c->target, c->desired, CK_KACS_V0_20, 0,
						 res);
	struct ck_kacs_access_request req = { .size = sizeof(req), .desired = c->desired };
	return ck_kacs_access_check(c->tok, c->sd, &req, res);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long rounds = 21, iterations = 100000, only = -1;
	bool bad = argc % 2 == 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--iterations") == 0)
			iterations = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--case") == 0)
			only = atol(argv[i + 1]);
		else
			bad = true;
	}
	if (rounds < 1 || iterations < 1 || bad) {
		fprintf(stderr, "usage: kacs-bench [--rounds R] [--iterations N] [--case K]\n");
		return 2;
	}

	struct ck_kacs_token alice, bob, bob_debug, many, restricted;
	user_token(&alice, ALICE);
	user_token(&bob, BOB);
	bob_debug = bob;
	bob_debug.privileges_enabled |= CK_KACS_PRIV(CK_KACS_SE_DEBUG);
	/* 16 groups, the last one the one the 32nd ACE names */
	user_token(&many, BOB);
	for (uint32_t i = 3; i < 16; i++) {
		char text[64];
		snprintf(text, sizeof(text), "S-1-5-21-1-2-3-%u", 2000 + i);
		sid(text, &many.groups[i].sid);
		many.groups[i].attributes = CK_KACS_GROUP_ENABLED;
	}
	many.group_count = 16;
	/* restricted to Everyone and RESTRICTED, as a sandboxed service */
	user_token(&restricted, ALICE);
	restricted.restricted = true;
	sid("WD", &restricted.restricted_sids[0].sid);
	sid("S-1-5-12", &restricted.restricted_sids[1].sid);
	restricted.restricted_count = 2;

	struct ck_kacs_sd *def = ck_kacs_process_sd_default(&alice, CK_KACS_V0_20);
	if (!def) {
		fprintf(stderr, "kacs-bench: the default process SD: %s\n", strerror(errno));
		return 1;
	}
	/* 31 ACEs for SIDs the token lacks, then the one it has */
	char big[8192];
	size_t pos = (size_t)snprintf(big, sizeof(big), "O:SYG:SYD:");
	for (unsigned i = 0; i < 31; i++)
		pos += (size_t)snprintf(big + pos, sizeof(big) - pos, "(A;;GA;;;S-1-5-21-9-9-9-%u)", 3000 + i);
	snprintf(big + pos, sizeof(big) - pos, "(A;;GR;;;S-1-5-21-1-2-3-2015)");
	struct ck_kacs_sd *dacl32 = sddl(big);

	static const struct ck_kacs_psb none = { 0 };
	const struct bench_case cases[] = {
		{ "default SD: owner SIGTERM (ACE 0)", ACCESS, &alice, def, CK_KACS_PROCESS_TERMINATE, NULL, NULL, 0 },
		{ "default SD: other kill(p,0) (ACE 3)", ACCESS, &bob, def, CK_KACS_PROCESS_QUERY_LIMITED, NULL, NULL, 0 },
		{ "default SD: other SIGTERM refused", ACCESS, &bob, def, CK_KACS_PROCESS_TERMINATE, NULL, NULL, -EACCES },
		{ "default SD: MAXIMUM_ALLOWED", ACCESS, &alice, def, CK_KACS_MAXIMUM_ALLOWED, NULL, NULL, 0 },
		{ "32-ACE DACL, 16 groups, last ACE", ACCESS, &many, dacl32, CK_KACS_PROCESS_VM_READ, NULL, NULL, 0 },
		{ "restricted token, default SD", ACCESS, &restricted, def, CK_KACS_PROCESS_QUERY_LIMITED, NULL, NULL,
		  0 },
		{ "authorize: owner SIGTERM", AUTHORIZE, &alice, def, CK_KACS_PROCESS_TERMINATE, &none, &none, 0 },
		{ "authorize: attach via SeDebug", AUTHORIZE, &bob_debug, def, CK_KACS_PROCESS_VM_WRITE, &none, &none,
		  0 },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	if (only >= N) {
		fprintf(stderr, "kacs-bench: --case %ld: the cases are 0 to %d\n", only, N - 1);
		return 2;
	}
	struct ck_kacs_access_result res = { .size = sizeof(res) };
	for (int k = 0; k < N; k++) {
		int r = run(&cases[k], &res);
		if (r != cases[k].expect) {
			fprintf(stderr, "kacs-bench: %s: %d, expected %d\n", cases[k].name, r, cases[k].expect);
			return 1;
		}
	}

	double *t = calloc((size_t)rounds * N, sizeof(double));
	if (!t)
		return 1;
	volatile uint32_t sink = 0;
	for (long r = 0; r < rounds; r++) {
		for (int k = 0; k < N; k++) {
			if (only >= 0 && k != only)
				continue;
			double t0 = now_ns();
			for (long i = 0; i < iterations; i++) {
				run(&cases[k], &res);
				sink += res.granted;
			}
			t[k * rounds + r] = (now_ns() - t0) / (double)iterations;
		}
	}
	printf("%-38s %10s %10s %10s\n", "case", "median ns", "q1", "q3");
	for (int k = 0; k < N; k++) {
		if (only >= 0 && k != only)
			continue;
		double *s = &t[k * rounds];
		qsort(s, (size_t)rounds, sizeof(double), cmp);
		printf("%-38s %10.0f %10.0f %10.0f\n", cases[k].name, s[rounds / 2], s[rounds / 4], s[(3 * rounds) / 4]);
	}
	printf("(%ld rounds of %ld decisions per case, interleaved)\n", rounds, iterations);
	free(t);
	ck_kacs_sd_free(def);
	ck_kacs_sd_free(dacl32);
	return 0;
}
