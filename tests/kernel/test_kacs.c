/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `clonekit kacs run` against the 25 cases of the design's test plan
 * (shared/peios/KACS-SUPERVISOR.md §13), each asserting the exact errno or
 * value, each run twice: with the supervisor started as root (the tree is
 * root), and with the supervisor itself running as uid 65534 (so every
 * process of the tree has one Linux uid and every refusal is KACS's, not
 * Linux's). The oracle is the spec (K20 = peios/learn psd-004 v0.20) and the
 * design, not the supervisor's code: tests/helpers/kacs-helper.c makes the
 * raw calls in the order a case's lines give and prints one line for each;
 * the test holds the whole transcript to the one written here.
 *
 * Transcript patterns: {*} is any word; {X} binds X to the word at its first
 * use and must be the same word after; {!X} must differ from X's word.
 *
 * Where the case table and the spec disagree, the spec wins and the case
 * says so in a comment ("spec over table").
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../run.h"
#include "../support.h"

enum mode { AS_ROOT, AS_NOBODY };

static char dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ck-kacs-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	/* the supervisor run as 65534 writes its decision log here and reads the signed copies */
	cr_assert_eq(chmod(dir, 0777), 0);
}

static void remove_dir(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(kacs_as_root, .init = make_dir, .fini = remove_dir, .timeout = 180);
TestSuite(kacs_as_nobody, .init = make_dir, .fini = remove_dir, .timeout = 180);

static const char *env_path(const char *var)
{
	const char *p = getenv(var);
	cr_assert(p && *p, "%s is not set (meson test sets it)", var);
	return p;
}

static char *in_dir(const char *name)
{
	static char paths[16][256];
	static unsigned next;
	char *p = paths[next++ % 16];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static char *text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- The signed copies of the helper (cases 12-16) ------------------------------------ */

struct signed_set {
	char key[160]; /* --pip-key HEX:512:8192 of the test's key */
	const char *signed_path, *flipped, *other_key;
};

/* Two keys made here; the helper copied and signed (the second key is never listed). */
static void make_signed(struct signed_set *s)
{
	const char *ck = env_path("CLONEKIT_BIN"), *helper = env_path("CK_KACS_HELPER");
	char *pub;

	s->signed_path = in_dir("kacs-helper-signed");
	s->flipped = in_dir("kacs-helper-flipped");
	s->other_key = in_dir("kacs-helper-other-key");
	free(ck_test_sh("openssl genpkey -algorithm ed25519 -out '%s/k.pem' && openssl genpkey -algorithm ed25519 -out '%s/o.pem'",
		dir, dir));
	pub = ck_test_sh("'%s' kacs sign --key '%s/k.pem' --print-public", ck, dir);
	pub[strcspn(pub, "\n")] = '\0';
	cr_assert_eq(strlen(pub), 64, "public key '%s'", pub);
	snprintf(s->key, sizeof(s->key), "%s:512:8192", pub);
	free(pub);
	free(ck_test_sh("cp '%s' '%s' && cp '%s' '%s' && chmod 0755 '%s' '%s' && '%s' kacs sign --key '%s/k.pem' '%s' >/dev/null && "
		"'%s' kacs sign --key '%s/o.pem' '%s' >/dev/null && cp '%s' '%s'",
		helper, s->signed_path, helper, s->other_key, s->signed_path, s->other_key, ck, dir, s->signed_path, ck, dir,
		s->other_key, s->signed_path, s->flipped));

	/* one byte of a string nothing reads, flipped after signing */
	static const char marker[] = "kacs-helper: a byte a test may flip";
	FILE *f = fopen(s->flipped, "r+b");
	cr_assert(f, "%s: %s", s->flipped, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	char *b = malloc((size_t)size);
	cr_assert(b);
	rewind(f);
	cr_assert_eq(fread(b, 1, (size_t)size, f), (size_t)size);
	char *at = memmem(b, (size_t)size, marker, sizeof(marker) - 1);
	cr_assert(at, "the marker string is not in %s", s->flipped);
	cr_assert_eq(fseek(f, at - b, SEEK_SET), 0);
	cr_assert_eq(fputc(*at ^ 0x20, f), *at ^ 0x20);
	cr_assert_eq(fclose(f), 0);
	free(b);

	/* the premise, from the verifier of issue 12: signed, and the other two not */
	char *v = ck_test_sh("'%s' kacs verify --pip-key '%s' '%s' '%s' '%s' 2>&1 || true", ck, s->key, s->signed_path, s->flipped,
		     s->other_key);
	cr_assert(strstr(v, text("%s: Protected/8192 ", s->signed_path)) && strstr(v, text("%s: unsigned", s->flipped)) &&
			  strstr(v, text("%s: unsigned", s->other_key)),
		  "kacs verify:\n%s", v);
	free(v);
}

/* ---- Running a case ------------------------------------------------------------------ */

struct run_opts {
	const char *profile;          /* NULL: the default (v0.20) */
	const struct signed_set *pip; /* its key as --pip-key and its paths for the script's words */
};

/* The script with the words SIGNED FLIPPED OTHERKEY PLAIN CALL32 made paths. */
static char *script_words(const char *script, const struct run_opts *o)
{
	struct {
		const char *word, *path;
	} words[] = {
		{ "SIGNED", o->pip ? o->pip->signed_path : NULL },
		{ "FLIPPED", o->pip ? o->pip->flipped : NULL },
		{ "OTHERKEY", o->pip ? o->pip->other_key : NULL },
		{ "PLAIN", getenv("CK_KACS_HELPER") },
		{ "CALL32", getenv("CK_KACS_CALL32") },
	};
	size_t cap = strlen(script) * 4 + 4096, len = 0;
	char *out = malloc(cap);
	cr_assert(out);
	for (const char *p = script; *p;) {
		bool done = false;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !done; i++) {
			size_t n = strlen(words[i].word);
			bool start = p == script || p[-1] == ' ' || p[-1] == '\n';
			if (start && strncmp(p, words[i].word, n) == 0 && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n')) {
				cr_assert(words[i].path && *words[i].path, "the script names %s, which this run lacks",
					  words[i].word);
				len += (size_t)snprintf(out + len, cap - len, "%s", words[i].path);
				p += n;
				done = true;
			}
		}
		if (!done)
			out[len++] = *p++;
		cr_assert(len < cap - 256);
	}
	out[len] = '\0';
	return out;
}

/* argv from *n on: `clonekit kacs run`, behind setpriv to uid 65534 (without capabilities) in AS_NOBODY. */
static void kacs_run_argv(enum mode m, const char **argv, int *n)
{
	if (m == AS_NOBODY) {
		argv[(*n)++] = "/usr/bin/setpriv";
		argv[(*n)++] = "--reuid=65534";
		argv[(*n)++] = "--regid=65534";
		argv[(*n)++] = "--clear-groups";
		argv[(*n)++] = "--inh-caps=-all";
		argv[(*n)++] = "--";
	}
	argv[(*n)++] = env_path("CLONEKIT_BIN");
	argv[(*n)++] = "kacs";
	argv[(*n)++] = "run";
}

/* Runs `clonekit kacs run ... -- kacs-helper run SCRIPT` in mode: the transcript (free it). */
static char *run_kacs(enum mode m, const struct run_opts *o, const char *script)
{
	const char *argv[32];
	int n = 0;
	char *words = script_words(script, o);

	if (m == AS_NOBODY && access("/usr/bin/setpriv", X_OK) != 0)
		return NULL;
	kacs_run_argv(m, argv, &n);
	argv[n++] = "--decisions";
	argv[n++] = in_dir("decisions.jsonl");
	if (o->profile) {
		argv[n++] = "--profile";
		argv[n++] = o->profile;
	}
	if (o->pip) {
		argv[n++] = "--pip-key";
		argv[n++] = o->pip->key;
	}
	argv[n++] = "--";
	argv[n++] = env_path("CK_KACS_HELPER");
	argv[n++] = "run";
	argv[n++] = words;
	argv[n] = NULL;

	struct ck_test_run_opts ro = { .timeout_s = 120, .tee_fd = -1 };
	struct ck_test_run r;
	int e = ck_test_run((char *const *)argv, &ro, &r);
	free(words);
	cr_assert_eq(e, 0, "spawning clonekit kacs run: %s", strerror(e));
	ck_test_assert_exit(&r, 0, "kacs run (120 s at most)");
	return r.out;
}

/* ---- The transcript pattern ----------------------------------------------------------- */

struct binding {
	char name[16];
	char value[256];
};

static struct binding *bound(struct binding *b, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].name[0] && strcmp(b[i].name, name) == 0)
			return &b[i];
	return NULL;
}

/* Whether line matches pat: {*}, {X} and {!X} stand for one word (up to a space or the end). */
static bool line_matches(const char *pat, const char *line, struct binding *b, size_t nb, char *why, size_t whylen)
{
	while (*pat) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			cr_assert(close, "unclosed { in the pattern '%s'", pat);
			char name[16];
			snprintf(name, sizeof(name), "%.*s", (int)(close - pat - 1), pat + 1);
			size_t wl = strcspn(line, " ");
			char word[256];
			snprintf(word, sizeof(word), "%.*s", (int)wl, line);
			if (strcmp(name, "*") != 0) {
				bool differ = name[0] == '!';
				struct binding *x = bound(b, nb, name + differ);
				if (differ) {
					cr_assert(x, "{%s} before {%s} was bound", name, name + 1);
					if (strcmp(x->value, word) == 0) {
						snprintf(why, whylen, "'%.100s' should differ from {%s}", word, name + 1);
						return false;
					}
				} else if (x) {
					if (strcmp(x->value, word) != 0) {
						snprintf(why, whylen, "'%.100s' should be {%s} = '%.100s'", word, name, x->value);
						return false;
					}
				} else {
					for (size_t i = 0; i < nb; i++)
						if (!b[i].name[0]) {
							snprintf(b[i].name, sizeof(b[i].name), "%s", name);
							snprintf(b[i].value, sizeof(b[i].value), "%s", word);
							break;
						}
				}
			}
			line += wl;
			pat = close + 1;
			continue;
		}
		if (*pat != *line) {
			snprintf(why, whylen, "differs at '%.100s'", line);
			return false;
		}
		pat++;
		line++;
	}
	if (*line)
		snprintf(why, whylen, "'%.100s' is left over", line);
	return *line == '\0';
}

/* The transcript must be expect, line by line. The bindings go to out (when not NULL). */
static void match(const char *got, const char *expect, struct binding *out, size_t nout)
{
	struct binding local[16];
	struct binding *b = out ? out : local;
	size_t nb = out ? nout : 16;
	memset(b, 0, nb * sizeof(*b));
	const char *g = got, *e = expect;
	unsigned lineno = 1;
	while (*e || *g) {
		size_t el = strcspn(e, "\n"), gl = strcspn(g, "\n");
		char pat[1024], line[1024], why[512] = "";
		snprintf(pat, sizeof(pat), "%.*s", (int)el, e);
		snprintf(line, sizeof(line), "%.*s", (int)gl, g);
		cr_assert(*e, "line %u: '%s' is more than the case expects\n--- got:\n%s--- expected:\n%s", lineno, line, got,
			  expect);
		cr_assert(*g, "line %u: '%s' is missing\n--- got:\n%s--- expected:\n%s", lineno, pat, got, expect);
		cr_assert(line_matches(pat, line, b, nb, why, sizeof(why)),
			  "line %u: '%s' is not '%s' (%s)\n--- got:\n%s--- expected:\n%s", lineno, line, pat, why, got,
			  expect);
		e += el + (e[el] == '\n');
		g += gl + (g[gl] == '\n');
		lineno++;
	}
}

static const char *binding_of(struct binding *b, size_t n, const char *name)
{
	struct binding *x = bound(b, n, name);
	cr_assert(x, "{%s} was not bound", name);
	return x->value;
}

/* Runs script in mode and holds its transcript to expect. */
static void kacs_case(enum mode m, const struct run_opts *o, const char *script, const char *expect,
		      struct binding *out, size_t nout)
{
	if (m == AS_NOBODY && access("/usr/bin/setpriv", X_OK) != 0)
		ck_skip_or_fail_printed("setpriv (util-linux) is missing: cannot start the supervisor as uid 65534");
	char *got = run_kacs(m, o, script);
	match(got, expect, out, nout);
	free(got);
}

/* A decision-log line (JSON Lines) that has every one of the n fragments. */
static bool decision_has(int n, ...)
{
	char *all = ck_test_sh("cat '%s' 2>/dev/null || true", in_dir("decisions.jsonl"));
	bool found = false;
	for (char *save, *line = strtok_r(all, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		va_list ap;
		va_start(ap, n);
		found = true;
		for (int i = 0; i < n; i++) {
			const char *frag = va_arg(ap, const char *);
			if (!strstr(line, frag))
				found = false;
		}
		va_end(ap);
	}
	free(all);
	return found;
}

static char *text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text(const char *fmt, ...)
{
	static char bufs[8][256];
	static unsigned next;
	char *b = bufs[next++ % 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, 256, fmt, ap);
	va_end(ap);
	return b;
}

#define ALICE "S-1-5-21-1-2-3-1001"
/* alice's privileges (design §13): SeDebug 20 and SeIncreaseBasePriority 14 present, SeChangeNotify 23 enabled */
#define ALICE_PRIVS(enabled, used) \
	"present=0x904000 enabled=" enabled " default=0x800000 used=" used

/* Each case once as root and once as uid 65534. */
#define KACS_CASE(name)                                      \
	static void name(enum mode m);                       \
	Test(kacs_as_root, name)                             \
	{                                                    \
		name(AS_ROOT);                               \
	}                                                    \
	Test(kacs_as_nobody, name)                           \
	{                                                    \
		name(AS_NOBODY);                             \
	}                                                    \
	static void name(enum mode m)

static const struct run_opts plain_run = { 0 };

/* ---- The cases (design §13) -------------------------------------------------------- */

/* 1: the threads of a process share one token (K20 4-tokens/3-lifecycle.md). */
KACS_CASE(case01_a_thread_enabling_a_privilege_changes_the_process_token)
{
	kacs_case(m, &plain_run,
		  "as alice\n"
		  "thread t2\n"
		  "@t2 open_self 0 QUERY|ADJUST_PRIVS =h\n"
		  "@t2 enable %h SeDebug\n"
		  "open_self real QUERY =p\n"
		  "privs %p\n",
		  "as: ok\n"
		  "thread: ok\n"
		  "t2/open_self: ok\n"
		  "t2/enable: ok\n"
		  "open_self: ok\n"
		  "privs: ok " ALICE_PRIVS("0x900000", "0x0") "\n",
		  NULL, 0);
}

/* 2: a fork copies the primary token as of the clone, with a new token_id. */
KACS_CASE(case02_a_fork_copies_the_token_as_of_the_clone)
{
	kacs_case(m, &plain_run,
		  "as alice\n"
		  "open_self 0 QUERY|ADJUST_PRIVS =h\n"
		  "stats %h\n"
		  "fork c\n"
		  "enable %h SeDebug\n"
		  "@c open_self 0 QUERY =m\n"
		  "@c privs %m\n"
		  "@c stats %m\n"
		  "fork d\n"
		  "@d open_self 0 QUERY =m\n"
		  "@d privs %m\n"
		  "@d stats %m\n"
		  "stats %h\n",
		  "as: ok\n"
		  "open_self: ok\n"
		  "stats: ok token_id={P}\n"
		  "fork: ok pid={*}\n"
		  "enable: ok\n"
		  "c/open_self: ok\n"
		  "c/privs: ok " ALICE_PRIVS("0x800000", "0x0") "\n"
		  "c/stats: ok token_id={!P}\n"
		  "fork: ok pid={*}\n"
		  "d/open_self: ok\n"
		  "d/privs: ok " ALICE_PRIVS("0x900000", "0x0") "\n"
		  "d/stats: ok token_id={!P}\n"
		  "stats: ok token_id={P}\n",
		  NULL, 0);
}

/* 3: a handle's mask is the open file description's, kept by SCM_RIGHTS and fork; the reference is live. */
KACS_CASE(case03_a_handle_keeps_its_mask_through_scm_rights_and_fork)
{
	kacs_case(m, &plain_run,
		  "as alice\n"
		  "open_self 0 QUERY =q\n"
		  "enable %q SeDebug\n"
		  "open_self 0 QUERY|ADJUST_PRIVS =h\n"
		  "socketpair =s1 =s2\n"
		  "fork c\n"
		  "sendfd %s1 %q\n"
		  "@c recvfd %s2 =rq\n"
		  "@c enable %rq SeDebug\n"
		  "sendfd %s1 %h\n"
		  "@c recvfd %s2 =r\n"
		  "@c enable %r SeDebug\n"
		  "privs %q\n"
		  "@c disable %h SeDebug\n"
		  "privs %q\n"
		  "enable %h SeIncreaseBasePriority\n"
		  "@c privs %h\n"
		  "@c privs %r\n",
		  "as: ok\n"
		  "open_self: ok\n"
		  "enable: EACCES\n"
		  "open_self: ok\n"
		  "socketpair: ok\n"
		  "fork: ok pid={*}\n"
		  "sendfd: ok\n"
		  "c/recvfd: ok\n"
		  "c/enable: EACCES\n"
		  "sendfd: ok\n"
		  "c/recvfd: ok\n"
		  "c/enable: ok\n"
		  "privs: ok " ALICE_PRIVS("0x900000", "0x0") "\n"
		  "c/disable: ok\n"
		  "privs: ok " ALICE_PRIVS("0x800000", "0x0") "\n"
		  "enable: ok\n"
		  "c/privs: ok " ALICE_PRIVS("0x804000", "0x0") "\n"
		  "c/privs: ok " ALICE_PRIVS("0x804000", "0x0") "\n",
		  NULL, 0);
}

/*
 * 4: impersonation is per thread. Spec over table: the table has
 * KACS_REAL_TOKEN from T1 give S-1-5-18 while T1 impersonates alice, but
 * kacs_open_self_token checks the mask against the token's own SD (K20
 * 13-appendix-a/1-syscalls.md) with the caller's effective token as the
 * subject (K20 10-access-check; PKM pkm_kacs_open_self_token_internal), and
 * the SYSTEM token's SD (K20 13-appendix-a/5-boot.md) grants only SYSTEM and
 * BA: alice gets EACCES. Impersonating carol (BA), the same call reaches the
 * primary token. open_thread_token is asked by T2 (not impersonating): K20
 * 1-syscalls.md requires PROCESS_QUERY_INFORMATION, which alice lacks on the
 * SYSTEM process's SD (the table does not say who asks).
 */
KACS_CASE(case04_impersonation_is_per_thread)
{
	kacs_case(m, &plain_run,
		  "mint alice imp 2 =a\n"
		  "mint carol imp 2 =c\n"
		  "thread t2\n"
		  "impersonate %a\n"
		  "whoami\n"
		  "whoami real\n"
		  "@t2 whoami\n"
		  "@t2 pidfd_open self =p\n"
		  "@t2 open_thread %p $self QUERY =t\n"
		  "@t2 user %t\n"
		  "impersonate %c\n"
		  "whoami\n"
		  "whoami real\n",
		  "mint: ok\n"
		  "mint: ok\n"
		  "thread: ok\n"
		  "impersonate: ok\n"
		  "whoami: ok " ALICE "\n"
		  "whoami: open_self_token EACCES\n"
		  "t2/whoami: ok S-1-5-18\n"
		  "t2/pidfd_open: ok\n"
		  "t2/open_thread: ok\n"
		  "t2/user: ok " ALICE "\n"
		  "impersonate: ok\n"
		  "whoami: ok S-1-5-21-1-2-3-1003\n"
		  "whoami: ok S-1-5-18\n",
		  NULL, 0);
}

/* 5: a signal is decided with the effective token; revert gives the primary back. */
KACS_CASE(case05_a_signal_is_decided_with_the_impersonation_token)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "@a ignore TERM\n"
		  "mint bob imp 2 =b\n"
		  "impersonate %b\n"
		  "kill $a TERM\n"
		  "revert\n"
		  "kill $a TERM\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "a/ignore: ok\n"
		  "mint: ok\n"
		  "impersonate: ok\n"
		  "kill: EACCES\n"
		  "revert: ok\n"
		  "kill: ok\n",
		  NULL, 0);
}

/* 6: a new thread starts without impersonation, even when its creator impersonates. */
KACS_CASE(case06_a_new_thread_does_not_inherit_impersonation)
{
	kacs_case(m, &plain_run,
		  "mint alice imp 2 =a\n"
		  "impersonate %a\n"
		  "whoami\n"
		  "thread t3\n"
		  "@t3 whoami\n",
		  "mint: ok\n"
		  "impersonate: ok\n"
		  "whoami: ok " ALICE "\n"
		  "thread: ok\n"
		  "t3/whoami: ok S-1-5-18\n",
		  NULL, 0);
}

/* 7: exec drops impersonation and keeps the process SD. */
KACS_CASE(case07_exec_drops_impersonation_and_keeps_the_sd)
{
	kacs_case(m, &plain_run,
		  "fork c\n"
		  "getsd $c OWNER|GROUP|DACL\n"
		  "@c mint alice imp 2 =a\n"
		  "@c impersonate %a\n"
		  "@c whoami\n"
		  "@c exec PLAIN\n"
		  "@c whoami\n"
		  "getsd $c OWNER|GROUP|DACL\n",
		  "fork: ok pid={*}\n"
		  "getsd: ok owner=S-1-5-18 bytes={SD}\n"
		  "c/mint: ok\n"
		  "c/impersonate: ok\n"
		  "c/whoami: ok " ALICE "\n"
		  "c/exec: ok\n"
		  "c/whoami: ok S-1-5-18\n"
		  "getsd: ok owner=S-1-5-18 bytes={SD}\n",
		  NULL, 0);
}

/* 8: Low against Medium: the label lets read and execute through, not write (K20 10-access-check/3-integrity.md). */
static const char case08_script[] = "fork a\n"
				    "@a as alice\n"
				    "fork l\n"
				    "@l as alice-low\n"
				    "@l kill $a STOP\n"
				    "@l kill $a 0\n"
				    "@l kill $a WINCH\n"
				    "@l vmread $a\n"
				    "@l vmwrite $a\n"
				    "@l ptrace_attach $a\n"
				    "@l kill $a KILL\n"
				    "wait $a\n"
				    "@l kill self WINCH\n";
static const char case08_expect[] = "fork: ok pid={*}\n"
				    "a/as: ok\n"
				    "fork: ok pid={*}\n"
				    "l/as: ok\n"
				    "l/kill: ok\n"
				    "l/kill: ok\n"
				    "l/kill: EACCES\n"
				    "l/vmread: ok\n"
				    "l/vmwrite: EPERM\n"
				    "l/ptrace_attach: EACCES\n"
				    "l/kill: ok\n"
				    "wait: ok signal=KILL\n";

KACS_CASE(case08_low_integrity_against_medium)
{
	/* to itself under v0.20: the unlabelled SD counts as Medium (design §16) */
	char expect[sizeof(case08_expect) + 64];
	snprintf(expect, sizeof(expect), "%sl/kill: EACCES\n", case08_expect);
	kacs_case(m, &plain_run, case08_script, expect, NULL, 0);
}

KACS_CASE(case08_low_integrity_signals_itself_under_v022)
{
	/* K22 5-psb/3-process-sd.md: the default SD carries the token's own label */
	const struct run_opts v022 = { .profile = "v0.22" };
	char expect[sizeof(case08_expect) + 64];
	snprintf(expect, sizeof(expect), "%sl/kill: ok\n", case08_expect);
	kacs_case(m, &v022, case08_script, expect, NULL, 0);
}

/* Case 9's two processes: a as alice, ignoring SIGTERM, and b as bob; the script, and its transcript. */
#define ALICE_AND_BOB "fork a\n@a as alice\n@a ignore TERM\nfork b\n@b as bob\n"
#define ALICE_AND_BOB_EXPECT "fork: ok pid={*}\na/as: ok\na/ignore: ok\nfork: ok pid={*}\nb/as: ok\n"

/* 9: another user: only QUERY_LIMITED (Everyone's ACE). */
KACS_CASE(case09_another_user_gets_only_query_limited)
{
	kacs_case(m, &plain_run,
		  ALICE_AND_BOB
		  "@b kill $a 0\n"
		  "@b pidfd_open $a =pa\n"
		  "@b getpgid $a\n"
		  "@b kill $a TERM\n"
		  "@b kill $a CONT\n"
		  "@b kill $a CHLD\n"
		  "@b setpriority $a 5\n"
		  "@b prlimit $a\n"
		  "@b getaffinity $a\n"
		  "@b open_process %pa QUERY\n",
		  ALICE_AND_BOB_EXPECT
		  "b/kill: ok\n"
		  "b/pidfd_open: ok\n"
		  "b/getpgid: ok\n"
		  "b/kill: EACCES\n"
		  "b/kill: EACCES\n"
		  "b/kill: EACCES\n"
		  "b/setpriority: EACCES\n"
		  "b/prlimit: EACCES\n"
		  "b/getaffinity: EACCES\n"
		  "b/open_process: EACCES\n",
		  NULL, 0);
}

/*
 * 9, more rows of §9 by the same pair: tkill and tgkill as kill; getsid is
 * QUERY_LIMITED; setpgid needs SET_INFORMATION, and KACS answers before
 * Linux, whose own answer for a process that is not the caller's child
 * would be ESRCH (design §1 "KACS before Linux"). kcmp needs VM_READ on
 * the other process; its errno is EPERM, the kernel's own for a refusal of
 * ptrace_may_access in kernel/kcmp.c (design §9 says EACCES, but also that
 * errnos are "as the kernel's own mapping of a hook failure"; K20 is
 * silent): bob's own child is compared, alice's process is not.
 */
KACS_CASE(case09_the_other_rows_for_another_user)
{
	kacs_case(m, &plain_run,
		  ALICE_AND_BOB
		  "@b getsid $a\n"
		  "@b tkill $a TERM\n"
		  "@b tgkill $a TERM\n"
		  "@b setpgid $a\n"
		  "@b kcmp $a\n"
		  "@b fork b2\n"
		  "@b kcmp $b2\n",
		  ALICE_AND_BOB_EXPECT
		  "b/getsid: ok\n"
		  "b/tkill: EACCES\n"
		  "b/tgkill: EACCES\n"
		  "b/setpgid: EACCES\n"
		  "b/kcmp: EPERM\n"
		  "b/fork: ok pid={*}\n"
		  "b/kcmp: ok\n",
		  NULL, 0);
}

/* 10: BA grants through an enabled group; disabled, it grants nothing. */
KACS_CASE(case10_a_disabled_group_grants_nothing)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "@a ignore TERM\n"
		  "fork c\n"
		  "@c as carol\n"
		  "@c kill $a TERM\n"
		  "@c open_self 0 ADJUST_GROUPS =g\n"
		  "@c group %g 3 0\n"
		  "@c kill $a TERM\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "a/ignore: ok\n"
		  "fork: ok pid={*}\n"
		  "c/as: ok\n"
		  "c/kill: ok\n"
		  "c/open_self: ok\n"
		  "c/group: ok\n"
		  "c/kill: EACCES\n",
		  NULL, 0);
}

/* 11: SeDebugPrivilege waives the SD once enabled, and is then marked used. */
KACS_CASE(case11_sedebug_waives_the_sd_and_is_marked_used)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "fork b\n"
		  "@b as bob\n"
		  "@b ptrace_attach $a\n"
		  "@b open_self 0 QUERY|ADJUST_PRIVS =h\n"
		  "@b privs %h\n"
		  "@b enable %h SeDebug\n"
		  "@b ptrace_attach $a\n"
		  "@b privs %h\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/ptrace_attach: EACCES\n"
		  "b/open_self: ok\n"
		  "b/privs: ok present=0x900000 enabled=0x800000 default=0x800000 used=0x0\n"
		  "b/enable: ok\n"
		  "b/ptrace_attach: ok\n"
		  "b/privs: ok present=0x900000 enabled=0x900000 default=0x800000 used=0x100000\n",
		  NULL, 0);
}

/* 12: PIP is never waived: not by SeDebugPrivilege, not for SYSTEM. */
KACS_CASE(case12_sedebug_cannot_reach_a_protected_process)
{
	struct signed_set s;
	make_signed(&s);
	const struct run_opts o = { .pip = &s };
	struct binding b[16];
	kacs_case(m, &o,
		  "fork a\n"
		  "@a as alice\n"
		  "@a ignore TERM\n"
		  "@a exec SIGNED\n"
		  "fork b\n"
		  "@b as bob\n"
		  "@b open_self 0 ADJUST_PRIVS =h\n"
		  "@b enable %h SeDebug\n"
		  "@b ptrace_attach $a\n"
		  "@b kill $a TERM\n"
		  "@b kill $a 0\n"
		  "@b pidfd_open $a\n"
		  "@b vmread $a\n"
		  "ptrace_attach $a\n",
		  "fork: ok pid={A}\n"
		  "a/as: ok\n"
		  "a/ignore: ok\n"
		  "a/exec: ok\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/open_self: ok\n"
		  "b/enable: ok\n"
		  "b/ptrace_attach: EACCES\n"
		  "b/kill: EACCES\n"
		  "b/kill: EACCES\n"
		  "b/pidfd_open: EACCES\n"
		  "b/vmread: EPERM\n"
		  "ptrace_attach: EACCES\n",
		  b, 16);
	/* the decision log names the target's PIP */
	const char *a = binding_of(b, 16, "A");
	cr_assert(decision_has(4, text("\"target_pid\":%s,", a), "\"target_pip_type\":512", "\"target_pip_trust\":8192",
			       "\"reason\":\"pip\""),
		  "no decision on pid %s with target PIP 512/8192 refused for 'pip' in the log", a);
}

/* 13: a protected process dominates its equal; it cannot make itself dumpable. */
KACS_CASE(case13_protected_dominates_protected_and_stays_undumpable)
{
	struct signed_set s;
	make_signed(&s);
	const struct run_opts o = { .pip = &s };
	kacs_case(m, &o,
		  "fork a\n"
		  "@a as alice\n"
		  "@a ignore TERM\n"
		  "@a exec SIGNED\n"
		  "fork b\n"
		  "@b as alice\n"
		  "@b exec SIGNED\n"
		  "@b kill $a TERM\n"
		  "@a dumpable 1\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "a/ignore: ok\n"
		  "a/exec: ok\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/exec: ok\n"
		  "b/kill: ok\n"
		  "a/dumpable: EPERM\n",
		  NULL, 0);
}

/* 14: a failed exec changes nothing; an unsigned image drops PIP. */
KACS_CASE(case14_pip_follows_the_image_exec_committed)
{
	struct signed_set s;
	make_signed(&s);
	const struct run_opts o = { .pip = &s };
	kacs_case(m, &o,
		  "fork a\n"
		  "@a as alice\n"
		  "@a exec SIGNED\n"
		  "fork b\n"
		  "@b as bob\n"
		  "@b open_self 0 ADJUST_PRIVS =h\n"
		  "@b enable %h SeDebug\n"
		  "@a exec /nonexistent/kacs-helper\n"
		  "@b ptrace_attach $a\n"
		  "@a exec PLAIN\n"
		  "@b ptrace_attach $a\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "a/exec: ok\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/open_self: ok\n"
		  "b/enable: ok\n"
		  "a/exec: ENOENT\n"
		  "b/ptrace_attach: EACCES\n"
		  "a/exec: ok\n"
		  "b/ptrace_attach: ok\n",
		  NULL, 0);
}

/* 15: a flipped byte or an unlisted key: the program runs, unprotected. The signed copy is the control. */
KACS_CASE(case15_a_bad_signature_runs_unprotected)
{
	struct signed_set s;
	make_signed(&s);
	const struct run_opts o = { .pip = &s };
	struct binding b[16];
	kacs_case(m, &o,
		  "fork b\n"
		  "@b as bob\n"
		  "@b open_self 0 ADJUST_PRIVS =h\n"
		  "@b enable %h SeDebug\n"
		  "fork a\n"
		  "@a as alice\n"
		  "@a exec FLIPPED\n"
		  "@b ptrace_attach $a\n"
		  "fork c\n"
		  "@c as alice\n"
		  "@c exec OTHERKEY\n"
		  "@b ptrace_attach $c\n"
		  "fork d\n"
		  "@d as alice\n"
		  "@d exec SIGNED\n"
		  "@b ptrace_attach $d\n",
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/open_self: ok\n"
		  "b/enable: ok\n"
		  "fork: ok pid={A}\n"
		  "a/as: ok\n"
		  "a/exec: ok\n"
		  "b/ptrace_attach: ok\n"
		  "fork: ok pid={C}\n"
		  "c/as: ok\n"
		  "c/exec: ok\n"
		  "b/ptrace_attach: ok\n"
		  "fork: ok pid={*}\n"
		  "d/as: ok\n"
		  "d/exec: ok\n"
		  "b/ptrace_attach: EACCES\n",
		  b, 16);
	for (const char *n = "A"; n; n = n[0] == 'A' ? "C" : NULL)
		cr_assert(decision_has(3, text("\"target_pid\":%s,", binding_of(b, 16, n)), "\"target_pip_type\":0,",
				       "\"target_pip_trust\":0,"),
			  "no decision on pid %s with target PIP 0/0 in the log", binding_of(b, 16, n));
}

/* 16: the pidfd from CLONE_PIDFD takes no check; pidfd_open and the token open meet PIP. */
KACS_CASE(case16_the_creation_pidfd_works_where_pidfd_open_is_refused)
{
	struct signed_set s;
	make_signed(&s);
	const struct run_opts o = { .pip = &s };
	kacs_case(m, &o,
		  "fork p\n"
		  "@p as alice\n"
		  "@p clone_pidfd c\n"
		  "@p @c exec SIGNED\n"
		  "@p pidfd_open $c\n"
		  "@p open_process %c QUERY\n"
		  "@p @c exit 7\n"
		  "@p waitid %c\n",
		  "fork: ok pid={*}\n"
		  "p/as: ok\n"
		  "p/clone_pidfd: ok pid={*}\n"
		  "p/c/exec: ok\n"
		  "p/pidfd_open: EACCES\n"
		  "p/open_process: EACCES\n"
		  "p/c/exit: ok\n"
		  "p/waitid: ok exit=7\n",
		  NULL, 0);
}

/* 17: no_child_process refuses every process creation, not threads, and survives exec. */
KACS_CASE(case17_no_child_process_refuses_every_process_creation)
{
	kacs_case(m, &plain_run,
		  "fork n\n"
		  "@n set_psb self NO_CHILD\n"
		  "@n try_fork\n"
		  "@n try_vfork\n"
		  "@n try_posix_spawn\n"
		  "@n try_clone_vm_vfork\n"
		  "@n try_thread\n"
		  "@n exec PLAIN\n"
		  "@n try_fork\n"
		  "@n set_psb self 0x400\n"
		  "@n set_psb self NO_CHILD\n",
		  "fork: ok pid={*}\n"
		  "n/set_psb: ok\n"
		  "n/try_fork: EACCES\n"
		  "n/try_vfork: EACCES\n"
		  "n/try_posix_spawn: EACCES\n"
		  "n/try_clone_vm_vfork: EACCES\n"
		  "n/try_thread: ok\n"
		  "n/exec: ok\n"
		  "n/try_fork: EACCES\n"
		  "n/set_psb: EINVAL\n"
		  "n/set_psb: ok\n",
		  NULL, 0);
}

/* 18: set_psb on another process needs SET_INFORMATION; what cannot be activated is ENODEV, all or nothing. */
KACS_CASE(case18_set_psb_on_another_process)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "fork a2\n"
		  "@a2 as alice\n"
		  "@a2 pidfd_open $a =pa\n"
		  "@a2 set_psb %pa NO_CHILD\n"
		  "@a try_fork\n"
		  "fork b\n"
		  "@b as bob\n"
		  "@b pidfd_open $a2 =pa2\n"
		  "@b set_psb %pa2 NO_CHILD\n"
		  "@a2 try_fork\n"
		  "@b set_psb self LSV\n"
		  "@b set_psb self NO_CHILD|LSV\n"
		  "@b try_fork\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "fork: ok pid={*}\n"
		  "a2/as: ok\n"
		  "a2/pidfd_open: ok\n"
		  "a2/set_psb: ok\n"
		  "a/try_fork: EACCES\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/pidfd_open: ok\n"
		  "b/set_psb: EACCES\n"
		  "a2/try_fork: ok\n"
		  "b/set_psb: ENODEV\n"
		  "b/set_psb: ENODEV\n"
		  "b/try_fork: ok\n",
		  NULL, 0);
}

/* 19: CLONE_UNTRACED escapes auto-attach, not the SD: an explicit attach meets it. */
KACS_CASE(case19_clone_untraced_is_still_guarded_by_the_sd)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "fork t\n"
		  "@t as alice\n"
		  "fork l\n"
		  "@l as alice-low\n"
		  "@t ptrace_seize $a tracefork\n"
		  "@a fork_untraced c\n"
		  "@t ptrace_events $a\n"
		  "@t ptrace_attach $c\n"
		  "@a fork_untraced c2\n"
		  "@t ptrace_events $a\n"
		  "@l ptrace_attach $c2\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "fork: ok pid={*}\n"
		  "t/as: ok\n"
		  "fork: ok pid={*}\n"
		  "l/as: ok\n"
		  "t/ptrace_seize: ok\n"
		  "a/fork_untraced: ok pid={*}\n"
		  "t/ptrace_events: ok none\n"
		  "t/ptrace_attach: ok\n"
		  "a/fork_untraced: ok pid={*}\n"
		  "t/ptrace_events: ok none\n"
		  "l/ptrace_attach: EACCES\n",
		  NULL, 0);
}

/* 20: CLONE_PARENT: the SD comes from the creator, the parent only reaps. A logs in while P is still SYSTEM. */
KACS_CASE(case20_clone_parent_takes_the_creators_sd)
{
	kacs_case(m, &plain_run,
		  "fork p\n"
		  "@p fork a\n"
		  "@p @a as alice\n"
		  "@p as bob\n"
		  "@p @a fork_parent c\n"
		  "@p @a @c ignore TERM\n"
		  "@p kill $c TERM\n"
		  "@p @a kill $c TERM\n"
		  "@p getsd $c OWNER\n"
		  "@p @a getsd $c OWNER\n"
		  "@p @a @c exit 0\n"
		  "@p wait $c\n",
		  "fork: ok pid={*}\n"
		  "p/fork: ok pid={*}\n"
		  "p/a/as: ok\n"
		  "p/as: ok\n"
		  "p/a/fork_parent: ok pid={*}\n"
		  "p/a/c/ignore: ok\n"
		  "p/kill: EACCES\n"
		  "p/a/kill: ok\n"
		  "p/getsd: EACCES\n"
		  "p/a/getsd: ok owner=" ALICE " bytes={*}\n"
		  "p/a/c/exit: ok\n"
		  "p/wait: ok exit=0\n",
		  NULL, 0);
}

/*
 * 21: the owner's implicit rights are READ_CONTROL|WRITE_DAC only; TRACEME
 * is decided with the parent's token against the caller's SD; set_sd takes
 * no SeDebug waiver.
 */
KACS_CASE(case21_the_owner_keeps_only_rc_and_wd)
{
	kacs_case(m, &plain_run,
		  "fork p\n"
		  "@p as alice\n"
		  "@p fork c\n"
		  "@p @c setsd self DACL D:(A;;GA;;;SY)\n"
		  "@p @c traceme\n"
		  "fork b\n"
		  "@b as bob\n"
		  "@b setsd $p DACL D:(A;;GA;;;WD)\n"
		  "@b open_self 0 ADJUST_PRIVS =h\n"
		  "@b enable %h SeDebug\n"
		  "@b setsd $p DACL D:(A;;GA;;;WD)\n",
		  "fork: ok pid={*}\n"
		  "p/as: ok\n"
		  "p/fork: ok pid={*}\n"
		  "p/c/setsd: ok\n"
		  "p/c/traceme: EACCES\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/setsd: EACCES\n"
		  "b/open_self: ok\n"
		  "b/enable: ok\n"
		  "b/setsd: EACCES\n",
		  NULL, 0);
}

/* 22: INSTALL regenerates the SD for the new user, and needs SeAssignPrimaryToken on the primary. */
KACS_CASE(case22_install_regenerates_the_sd_and_needs_the_privilege)
{
	kacs_case(m, &plain_run,
		  "fork s\n"
		  "getsd $s OWNER\n"
		  "@s as alice\n"
		  "getsd $s OWNER\n"
		  "socketpair =x1 =x2\n"
		  "fork a\n"
		  "@a as alice\n"
		  "mint alice primary 0 =t\n"
		  "sendfd %x1 %t\n"
		  "@a recvfd %x2 =r\n"
		  "@a install %r\n",
		  "fork: ok pid={*}\n"
		  "getsd: ok owner=S-1-5-18 bytes={*}\n"
		  "s/as: ok\n"
		  "getsd: ok owner=" ALICE " bytes={*}\n"
		  "socketpair: ok\n"
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "mint: ok\n"
		  "sendfd: ok\n"
		  "a/recvfd: ok\n"
		  "a/install: EACCES\n",
		  NULL, 0);
}

/* 23: pidfd_getfd needs DUP_HANDLE (EPERM as Linux gives it); the fd arrives O_CLOEXEC. */
KACS_CASE(case23_pidfd_getfd_needs_dup_handle)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "fork b\n"
		  "@b as bob\n"
		  "@b pidfd_open $a =pa\n"
		  "@b getfd %pa 0\n"
		  "@a fork c\n"
		  "@a pidfd_open $c =pc\n"
		  "@a getfd %pc 0\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "fork: ok pid={*}\n"
		  "b/as: ok\n"
		  "b/pidfd_open: ok\n"
		  "b/getfd: EPERM\n"
		  "a/fork: ok pid={*}\n"
		  "a/pidfd_open: ok\n"
		  "a/getfd: ok cloexec=1\n",
		  NULL, 0);
}

/* 24: affinity needs SeIncreaseBasePriority besides the SD; perf needs SeProfileSingleProcess (EPERM). */
KACS_CASE(case24_privileges_beside_the_sd)
{
	kacs_case(m, &plain_run,
		  "fork a\n"
		  "@a as alice\n"
		  "fork o\n"
		  "@o as alice\n"
		  "@a setaffinity $o\n"
		  "@a open_self 0 ADJUST_PRIVS =h\n"
		  "@a enable %h SeIncreaseBasePriority\n"
		  "@a setaffinity $o\n"
		  "@a perf_open 0\n",
		  "fork: ok pid={*}\n"
		  "a/as: ok\n"
		  "fork: ok pid={*}\n"
		  "o/as: ok\n"
		  "a/setaffinity: EACCES\n"
		  "a/open_self: ok\n"
		  "a/enable: ok\n"
		  "a/setaffinity: ok\n"
		  "a/perf_open: EPERM\n",
		  NULL, 0);
}

/* 25: the ABI's edges (design §5.1, §8). */
KACS_CASE(case25_abi_edges)
{
	const char *call32 = getenv("CK_KACS_CALL32");
	bool have32 = call32 && *call32 && access(call32, X_OK) == 0;
	char script[1024], expect[1024];
	snprintf(script, sizeof(script),
		 "raw 1020\n"
		 "raw 1007\n"
		 "peer_token\n"
		 "clone3\n"
		 "pidfd_send_signal\n"
		 "seccomp_listener\n"
		 "unshare_newpid\n"
		 "open_self 0 0\n"
		 "%s",
		 have32 ? "run_errno CALL32\n" : "");
	snprintf(expect, sizeof(expect),
		 "raw: ENOSYS\n"
		 "raw: ENOSYS\n"
		 "peer_token: EACCES\n"
		 "clone3: ENOSYS\n"
		 "pidfd_send_signal: ENOSYS\n"
		 "seccomp_listener: EPERM\n"
		 "unshare_newpid: EPERM\n"
		 "open_self: EINVAL\n"
		 "%s",
		 have32 ? "run_errno: ENOSYS\n" : "");
	kacs_case(m, &plain_run, script, expect, NULL, 0);
	if (!have32)
		ck_skip_or_fail_printed("the i386 caller of case 25's last row was not built: %s",
					getenv("CK_KACS_CALL32_MISSING") ? getenv("CK_KACS_CALL32_MISSING") : "?");
}

/* ---- A Peios-style program, unchanged (issue 13) ------------------------------------- */

/* peinit's pattern: create a session, create a token, INSTALL, exec. */
KACS_CASE(peios_program_logs_in_and_execs_unchanged)
{
	if (m == AS_NOBODY && access("/usr/bin/setpriv", X_OK) != 0)
		ck_skip_or_fail_printed("setpriv (util-linux) is missing: cannot start the supervisor as uid 65534");
	const char *helper = env_path("CK_KACS_HELPER");
	const char *argv[24];
	int n = 0;
	kacs_run_argv(m, argv, &n);
	argv[n++] = "--";
	argv[n++] = helper;
	argv[n++] = "as";
	argv[n++] = "alice";
	argv[n++] = "--";
	argv[n++] = helper;
	argv[n++] = "run";
	argv[n++] = "whoami; whoami real; getsd self OWNER";
	argv[n] = NULL;
	struct ck_test_run_opts ro = { .timeout_s = 120, .tee_fd = -1 };
	struct ck_test_run r;
	cr_assert_eq(ck_test_run((char *const *)argv, &ro, &r), 0);
	ck_test_assert_exit(&r, 0, "kacs run (120 s at most)");
	match(r.out,
	      "whoami: ok " ALICE "\n"
	      "whoami: ok " ALICE "\n"
	      "getsd: ok owner=" ALICE " bytes={*}\n",
	      NULL, 0);
	ck_test_run_free(&r);
}

/* ---- The premise: the helper's identities are valid K20 v2 token specs ---------------- */

Test(kacs_helper, the_identities_are_token_specs_issue_12s_reader_accepts)
{
	make_dir();
	static const struct {
		const char *name, *user, *integrity, *privs;
	} ids[] = {
		{ "alice", ALICE, "Medium (S-1-16-8192)", "SeDebugPrivilege                  present, disabled" },
		{ "alice-low", ALICE, "Low (S-1-16-4096)", "SeIncreaseBasePriorityPrivilege   present, disabled" },
		{ "bob", "S-1-5-21-1-2-3-1002", "Medium (S-1-16-8192)", "SeDebugPrivilege                  present, disabled" },
		{ "carol", "S-1-5-21-1-2-3-1003", "Medium (S-1-16-8192)", "S-1-5-32-544 (BA)                    ENABLED_BY_DEFAULT,ENABLED\n" },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char *file = in_dir(ids[i].name);
		free(ck_test_sh("'%s' wire %s '%s'", env_path("CK_KACS_HELPER"), ids[i].name, file));
		char *out = ck_test_sh("'%s' kacs token @'%s'", env_path("CLONEKIT_BIN"), file);
		cr_assert(strstr(out, text("user             %s\n", ids[i].user)), "%s:\n%s", ids[i].name, out);
		cr_assert(strstr(out, ids[i].integrity) && strstr(out, ids[i].privs), "%s:\n%s", ids[i].name, out);
		free(out);
	}
	remove_dir();
}

/* ---- The demo's last part (make demo), which CI runs here ---------------------------- */

Test(kacs_demo, the_peios_program_of_the_demo_shows_each_decision)
{
	char *out = ck_test_sh("sh '%s/scripts/demo-kacs.sh' '%s' 2>&1", env_path("CLONEKIT_SRC"), env_path("CLONEKIT_BIN"));
	static const char *const lines[] = {
		"bob/kill: EACCES\n",          /* alice's SD gives bob QUERY_LIMITED only */
		"alice/setsd: ok\n",           /* the owner adds bob's TERMINATE */
		"bob/kill: ok\n",              /* now allowed */
		"bob/enable: ok\n",            /* SeDebugPrivilege on ... */
		"bob/ptrace_attach: EACCES\n", /* ... and still refused by PIP */
		"alice/try_thread: ok\n",      /* no_child_process lets a thread start */
		"alice/try_fork: EACCES\n",    /* and refuses the fork */
		"(sd)",                        /* the log says why */
		"(pip)",
		"(mitigation)",
	};
	const char *at = out;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *p = strstr(at, lines[i]);
		cr_assert(p, "'%s' is missing (in this order) from the demo:\n%s", lines[i], out);
		at = p + strlen(lines[i]);
	}
	free(out);
}
