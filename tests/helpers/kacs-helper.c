/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw KACS calls for the supervisor's tests (tests/kernel/test_kacs.c) and
 * the demo: syscall(1000...) and the token-handle ioctls, written from K20
 * 13-appendix-a (the numbers, structs and wire formats), never through the
 * supervisor's code. Every operation prints one line, "OP: ok [values]" or
 * "OP: ERRNO-NAME".
 *
 *   kacs-helper OP ARGS...               one operation
 *   kacs-helper run 'OP ARGS; OP ARGS'   a script: one operation a line (or "; ")
 *   kacs-helper as NAME -- CMD [ARGS]    Peios's peinit pattern: fork; the child
 *                                        makes kacs_create_session, kacs_create_token,
 *                                        KACS_IOC_INSTALL, then execvp(CMD); the
 *                                        parent exits with the child's status
 *   kacs-helper whoami [real]            the user SID of the effective token
 *
 * A script drives several threads and processes ("agents") in one strict
 * order: `thread T` and `fork P` (also fork_untraced, fork_parent,
 * clone_pidfd) make an agent that waits for commands on a socketpair, and
 * `@P OP ARGS` has P run OP and answer before the next line starts, so the
 * order of a case is the order of its lines. Agents nest (`@p @a OP`); an
 * agent's line is printed as "p/a/OP: RESULT". `exec PATH` replaces an
 * agent's program with PATH run as an agent on the same socket (a copy of
 * this program, signed or not), so a process keeps taking commands across
 * exec. Names: $NAME is an agent's pid (known to every agent on the path
 * that made it), $self this process, $tid this thread; %NAME an fd this
 * process holds (=NAME stores one); self as a target is this process.
 *
 * Identities (K20 4-tokens, design KACS-SUPERVISOR.md §13): alice
 * S-1-5-21-1-2-3-1001 Medium with SeDebug and SeIncreaseBasePriority present
 * but disabled; alice-low the same at Low; bob S-1-5-21-1-2-3-1002 Medium
 * with SeDebug present but disabled; carol S-1-5-21-1-2-3-1003 Medium with
 * BA (attributes 0x6: enabled, not mandatory). All hold WD, AU and BU
 * (mandatory, enabled) and SeChangeNotify enabled; policy NO_WRITE_UP.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/kacs.h>
#include <clonekit/kacs_abi.h>

#include "fdpass.h"

/* The section a test signs (clonekit kacs sign): the version byte set, so it is PROGBITS. */
__attribute__((section(".peios.sig"), used)) const unsigned char peios_sig[65] = { 0x01 };
/* A byte a test may flip after signing (case 15): data nothing reads. */
__attribute__((used)) const char flip_marker[] = "kacs-helper: a byte a test may flip";

/* ---- The ABI: kacs_abi.h, held to the numbers of K20 13-appendix-a/6-abi-reference.md -- */

#define NR_OPEN_SELF_TOKEN    CK_KACS_NR_OPEN_SELF_TOKEN
#define NR_OPEN_PROCESS_TOKEN CK_KACS_NR_OPEN_PROCESS_TOKEN
#define NR_OPEN_THREAD_TOKEN  CK_KACS_NR_OPEN_THREAD_TOKEN
#define NR_CREATE_TOKEN       CK_KACS_NR_CREATE_TOKEN
#define NR_CREATE_SESSION     CK_KACS_NR_CREATE_SESSION
#define NR_SET_PSB            CK_KACS_NR_SET_PSB
#define NR_OPEN_PEER_TOKEN    CK_KACS_NR_OPEN_PEER_TOKEN
#define NR_REVERT             CK_KACS_NR_REVERT
#define NR_GET_SD             CK_KACS_NR_GET_SD
#define NR_SET_SD             CK_KACS_NR_SET_SD
/* §1 and §2 as this file reads them: the header must say the same */
_Static_assert(NR_OPEN_SELF_TOKEN == 1000 && NR_OPEN_PROCESS_TOKEN == 1001 && NR_OPEN_THREAD_TOKEN == 1002 &&
		       NR_CREATE_TOKEN == 1003 && NR_CREATE_SESSION == 1004 && NR_SET_PSB == 1005 &&
		       NR_OPEN_PEER_TOKEN == 1010 && NR_REVERT == 1012 && NR_GET_SD == 1021 && NR_SET_SD == 1022,
	       "K20 6-abi-reference.md §1");
_Static_assert(CK_KACS_IOC_QUERY == 0xC0104B00u && CK_KACS_IOC_ADJUST_PRIVS == 0x40184B01u &&
		       CK_KACS_IOC_INSTALL == 0x4B03u && CK_KACS_IOC_ADJUST_GROUPS == 0x40184B07u &&
		       CK_KACS_IOC_IMPERSONATE == 0x4B08u,
	       "K20 6-abi-reference.md §2 (design §5.2)");
_Static_assert(sizeof(struct ck_kacs_query_args) == 16 && sizeof(struct ck_kacs_adjust_privs_args) == 24 &&
		       sizeof(struct ck_kacs_adjust_groups_args) == 24 && sizeof(struct ck_kacs_priv_entry) == 8 &&
		       sizeof(struct ck_kacs_group_entry) == 8,
	       "K20 6-abi-reference.md §4");
_Static_assert(CK_KACS_REAL_TOKEN == 0x1 && CK_KACS_TOKEN_CLASS_USER == 1 && CK_KACS_TOKEN_CLASS_PRIVILEGES == 3 &&
		       CK_KACS_TOKEN_CLASS_STATISTICS == 11,
	       "K20 6-abi-reference.md §1, §3");

/* ---- Output ------------------------------------------------------------------------ */

#define REPLY_MAX 8192

struct reply {
	char text[REPLY_MAX]; /* "OP: RESULT\n" then "=NAME PID\n" bindings */
	size_t len;
};

static void say(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = r->len + (size_t)n < sizeof(r->text) ? r->len + (size_t)n : sizeof(r->text) - 1;
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* ---- Names: agents' pids, this process's fds --------------------------------------- */

#define NAMES_MAX 64

struct name {
	char name[32];
	long value;
};
static struct name pids[NAMES_MAX], fds[NAMES_MAX];

static void name_set(struct name *t, const char *n, long v)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (t[i].name[0] && strcmp(t[i].name, n) == 0) {
			t[i].value = v;
			return;
		}
	for (int i = 0; i < NAMES_MAX; i++)
		if (!t[i].name[0]) {
			snprintf(t[i].name, sizeof(t[i].name), "%s", n);
			t[i].value = v;
			return;
		}
}

static bool name_get(const struct name *t, const char *n, long *v)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (t[i].name[0] && strcmp(t[i].name, n) == 0) {
			*v = t[i].value;
			return true;
		}
	return false;
}

/* A bad argument: the script is wrong, not the system under test. */
static int bad(struct reply *r, const char *op, const char *what, const char *arg)
{
	say(r, "%s: BAD %s '%s'\n", op, what, arg ? arg : "(missing)");
	return -1;
}

static bool num(const char *s, long *v)
{
	char *end;
	errno = 0;
	*v = strtol(s, &end, 0);
	return s[0] && !*end && !errno;
}

/* A pid: a number, $NAME, $self or self. */
static bool pid_arg(const char *s, long *v)
{
	if (!s)
		return false;
	if (strcmp(s, "self") == 0 || strcmp(s, "$self") == 0) {
		*v = getpid();
		return true;
	}
	if (s[0] == '$')
		return name_get(pids, s + 1, v);
	return num(s, v);
}

static bool fd_arg(const char *s, int *fd)
{
	long v;
	if (!s || s[0] != '%' || !name_get(fds, s + 1, &v))
		return false;
	*fd = (int)v;
	return true;
}

/* ---- Masks and names --------------------------------------------------------------- */

struct bitname {
	const char *name;
	uint64_t bit;
};

static const struct bitname token_rights[] = {
	{ "ASSIGN_PRIMARY", 0x1 }, { "DUPLICATE", 0x2 },     { "IMPERSONATE", 0x4 },     { "QUERY", 0x8 },
	{ "QUERY_SOURCE", 0x10 },  { "ADJUST_PRIVS", 0x20 }, { "ADJUST_GROUPS", 0x40 },  { "ADJUST_DEFAULT", 0x80 },
	{ "ADJUST_SESSIONID", 0x100 }, { "ALL_ACCESS", 0xF01FF }, { NULL, 0 },
};
static const struct bitname secinfo_bits[] = {
	{ "OWNER", 0x1 }, { "GROUP", 0x2 }, { "DACL", 0x4 }, { "SACL", 0x8 }, { "LABEL", 0x10 }, { NULL, 0 },
};
static const struct bitname psb_bits[] = { /* K20 §1 kacs_set_psb */
	{ "WXP", 0x1 },  { "TLP", 0x2 },  { "LSV", 0x4 },  { "CFI", 0x8 },   { "UI_ACCESS", 0x10 }, { "NO_CHILD", 0x20 },
	{ "CFIF", 0x40 }, { "CFIB", 0x80 }, { "PIE", 0x100 }, { "SML", 0x200 }, { NULL, 0 },
};
static const struct bitname privileges[] = { /* K20 §10: bit = LUID */
	{ "SeCreateToken", 2 }, { "SeAssignPrimaryToken", 3 }, { "SeTcb", 7 }, { "SeProfileSingleProcess", 13 },
	{ "SeIncreaseBasePriority", 14 }, { "SeDebug", 20 }, { "SeChangeNotify", 23 }, { "SeImpersonate", 29 },
	{ NULL, 0 },
};
static const struct bitname signals[] = {
	{ "0", 0 },         { "HUP", SIGHUP },   { "INT", SIGINT },   { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
	{ "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "WINCH", SIGWINCH },
	{ "URG", SIGURG },   { NULL, 0 },
};

/* NAME|NAME|0xHEX */
static bool mask_arg(const struct bitname *t, const char *s, uint64_t *out)
{
	char buf[256];
	if (!s || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	*out = 0;
	for (char *save, *w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
		long v;
		const struct bitname *b = t;
		while (b->name && strcmp(b->name, w) != 0)
			b++;
		if (b->name)
			*out |= b->bit;
		else if (num(w, &v))
			*out |= (uint64_t)v;
		else
			return false;
	}
	return true;
}

static bool one_of(const struct bitname *t, const char *s, uint64_t *out)
{
	for (; s && t->name; t++)
		if (strcmp(t->name, s) == 0) {
			*out = t->bit;
			return true;
		}
	return false;
}

/* ---- SIDs and the wire formats (K20 13-appendix-a/6-abi-reference.md §5, §6) ------- */

struct sid {
	uint8_t authority;
	uint8_t n;
	uint32_t sub[6];
};

static const struct sid SID_WD = { 1, 1, { 0 } }, SID_AU = { 5, 1, { 11 } }, SID_BU = { 5, 2, { 32, 545 } },
			SID_BA = { 5, 2, { 32, 544 } };

static size_t sid_put(uint8_t *p, const struct sid *s)
{
	p[0] = 1; /* revision */
	p[1] = s->n;
	memset(p + 2, 0, 5); /* the 6-byte authority is big-endian */
	p[7] = s->authority;
	for (unsigned i = 0; i < s->n; i++)
		memcpy(p + 8 + 4 * i, &s->sub[i], 4);
	return 8 + 4u * s->n;
}

static size_t sid_len(const struct sid *s)
{
	return 8 + 4u * s->n;
}

/* The binary SID at p (at most len bytes) as text; 0 or -1. */
static int sid_text(const uint8_t *p, size_t len, char *out, size_t cap)
{
	if (len < 8 || p[0] != 1 || len < 8u + 4u * p[1])
		return -1;
	uint64_t auth = 0;
	for (int i = 2; i < 8; i++)
		auth = auth << 8 | p[i];
	int n = snprintf(out, cap, "S-1-%" PRIu64, auth);
	for (unsigned i = 0; i < p[1] && n > 0 && (size_t)n < cap; i++) {
		uint32_t v;
		memcpy(&v, p + 8 + 4 * i, 4);
		n += snprintf(out + n, cap - (size_t)n, "-%" PRIu32, v);
	}
	return 0;
}

struct identity {
	const char *name;
	uint32_t rid;
	uint32_t integrity;
	uint64_t present, enabled;
	bool ba; /* carol: BA with 0x6 */
};

#define PRIV(l) (UINT64_C(1) << (l))
static const struct identity identities[] = {
	{ "alice", 1001, 8192, PRIV(20) | PRIV(14) | PRIV(23), PRIV(23), false },
	{ "alice-low", 1001, 4096, PRIV(20) | PRIV(14) | PRIV(23), PRIV(23), false },
	{ "bob", 1002, 8192, PRIV(20) | PRIV(23), PRIV(23), false },
	{ "carol", 1003, 8192, PRIV(23), PRIV(23), true },
};

static const struct identity *identity(const char *name)
{
	for (size_t i = 0; i < sizeof(identities) / sizeof(identities[0]); i++)
		if (strcmp(identities[i].name, name) == 0)
			return &identities[i];
	return NULL;
}

static struct sid user_sid(const struct identity *id)
{
	return (struct sid){ 5, 5, { 21, 1, 2, 3, id->rid } };
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* §6: logon type, auth package, user SID. */
static size_t session_spec(const struct identity *id, uint8_t *buf)
{
	struct sid u = user_sid(id);
	static const char pkg[] = "Negotiate";
	size_t n = 0;
	buf[n++] = 2; /* Interactive */
	uint16_t plen = (uint16_t)strlen(pkg);
	memcpy(buf + n, &plen, 2);
	n += 2;
	memcpy(buf + n, pkg, plen);
	n += plen;
	put32(buf + n, (uint32_t)sid_len(&u));
	n += 4;
	n += sid_put(buf + n, &u);
	return n;
}

/* §5: the 192-byte header, the user SID, the groups (the kernel appends the logon SID). */
static size_t token_spec(const struct identity *id, uint8_t type, uint8_t level, uint64_t session, uint8_t *buf)
{
	struct sid u = user_sid(id);
	const struct sid *groups[4] = { &SID_WD, &SID_AU, &SID_BU, &SID_BA };
	uint32_t count = id->ba ? 4 : 3;
	memset(buf, 0, 192);
	put32(buf + 0, 2); /* TOKEN_SPEC_VERSION */
	buf[4] = type;
	buf[5] = level;
	put32(buf + 8, id->integrity);
	put32(buf + 12, CK_KACS_POLICY_NO_WRITE_UP);
	put64(buf + 16, id->present);
	put64(buf + 24, id->enabled);
	/* K20 12-linux-credential-model/1-credential-projection.md: uid 0 is SYSTEM's alone */
	put32(buf + 36, id->rid);
	put32(buf + 40, id->rid);
	put64(buf + 56, session);
	memcpy(buf + 72, "kacshlp", 8); /* source_name */
	size_t n = 192;
	put32(buf + 88, (uint32_t)n); /* user_sid_offset */
	n += sid_put(buf + n, &u);
	put32(buf + 92, (uint32_t)n); /* groups_offset */
	put32(buf + 96, count);
	for (uint32_t i = 0; i < count; i++) {
		put32(buf + n, (uint32_t)sid_len(groups[i]));
		n += 4;
		n += sid_put(buf + n, groups[i]);
		/* carol's BA: enabled by default and enabled, not mandatory (design §13) */
		put32(buf + n, i == 3 ? 0x6u : 0x7u);
		n += 4;
	}
	return n;
}

static long kacs(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	return r < 0 ? -errno : r;
}

/* A new session and a token of id in it: the fd, or -errno with *step naming the call. */
static long mint(const struct identity *id, uint8_t type, uint8_t level, const char **step)
{
	uint8_t buf[1024];
	size_t n = session_spec(id, buf);
	long session = kacs(NR_CREATE_SESSION, (long)buf, (long)n, 0, 0, 0, 0);
	if (session < 0) {
		*step = "create_session";
		return session;
	}
	n = token_spec(id, type, level, (uint64_t)session, buf);
	long fd = kacs(NR_CREATE_TOKEN, (long)buf, (long)n, 0, 0, 0, 0);
	*step = "create_token";
	return fd;
}

/* kacs_create_session, kacs_create_token, KACS_IOC_INSTALL: 0 or -errno. */
static long become(const char *name, const char **step)
{
	const struct identity *id = identity(name);
	if (!id) {
		*step = "unknown identity";
		return -EINVAL;
	}
	long fd = mint(id, 1, 0, step);
	if (fd < 0)
		return fd;
	*step = "install";
	long r = ioctl((int)fd, CK_KACS_IOC_INSTALL) < 0 ? -errno : 0;
	close((int)fd);
	return r;
}

/* ---- Token queries ------------------------------------------------------------------- */

static long query(int fd, uint32_t cls, void *buf, uint32_t *len)
{
	struct ck_kacs_query_args q = { .token_class = cls, .buf_len = *len, .buf_ptr = (uint64_t)(uintptr_t)buf };
	if (ioctl(fd, CK_KACS_IOC_QUERY, &q) < 0)
		return -errno;
	*len = q.buf_len;
	return 0;
}

static long query_user(int fd, char *text, size_t cap)
{
	uint8_t buf[128];
	uint32_t len = sizeof(buf);
	long r = query(fd, CK_KACS_TOKEN_CLASS_USER, buf, &len);
	if (r == 0 && sid_text(buf, len, text, cap) < 0)
		snprintf(text, cap, "malformed-sid");
	return r;
}

/* ---- Agents ------------------------------------------------------------------------ */

struct agent {
	char name[32];
	int sock;        /* our end of its socketpair */
	pid_t pid;       /* a process agent (0 for a thread) */
	pthread_t thread;
	bool is_thread, gone;
};
static struct agent agents[NAMES_MAX];

static void run_line(char *line, struct reply *r);

/* One message each way; the agent answers every command, and "quit" ends it. */
static __thread int my_sock = -1; /* the socket this thread serves, for exec and exit */

static void serve(int sock)
{
	static __thread char cmd[REPLY_MAX];
	my_sock = sock;
	for (;;) {
		ssize_t n = recv(sock, cmd, sizeof(cmd) - 1, 0);
		if (n <= 0)
			return;
		cmd[n] = '\0';
		if (strcmp(cmd, "quit") == 0)
			return;
		struct reply *r = calloc(1, sizeof(*r));
		if (!r)
			return;
		run_line(cmd, r);
		if (r->len == 0)
			say(r, "(nothing to do)\n");
		send(sock, r->text, r->len, MSG_NOSIGNAL);
		free(r);
	}
}

static void agents_quit(void);

static struct agent *agent_slot(const char *name)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (!agents[i].name[0]) {
			memset(&agents[i], 0, sizeof(agents[i]));
			snprintf(agents[i].name, sizeof(agents[i].name), "%s", name);
			return &agents[i];
		}
	return NULL;
}

static struct agent *agent_find(const char *name)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (agents[i].name[0] && !agents[i].gone && strcmp(agents[i].name, name) == 0)
			return &agents[i];
	return NULL;
}

/* A forked agent: forget the parent's agents, die with the parent, serve, leave. */
static void child_agent(int sock)
{
	memset(agents, 0, sizeof(agents));
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	serve(sock);
	agents_quit();
	_exit(0);
}

static void *thread_main(void *arg)
{
	serve((int)(intptr_t)arg);
	return NULL;
}

/* Sends a line to an agent and takes its answer (which may be "died" when it ended). */
static void dispatch(struct agent *a, const char *line, struct reply *r)
{
	char *buf = malloc(REPLY_MAX);
	if (!buf)
		return;
	ssize_t n = -1;
	if (send(a->sock, line, strlen(line), MSG_NOSIGNAL) >= 0)
		n = recv(a->sock, buf, REPLY_MAX - 1, 0);
	if (n <= 0) {
		const char *sp = strchr(line, ' ');
		say(r, "%s/%.*s: died\n", a->name, (int)(sp ? sp - line : (long)strlen(line)), line);
		a->gone = n == 0;
		free(buf);
		return;
	}
	buf[n] = '\0';
	/* the first line is the result, the rest bindings: keep them and pass them up */
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '=') {
			char nm[32];
			long v;
			if (sscanf(l, "=%31s %ld", nm, &v) == 2)
				name_set(pids, nm, v);
			say(r, "%s\n", l);
		} else {
			say(r, "%s/%s\n", a->name, l);
		}
	}
	free(buf);
}

static void agents_quit(void)
{
	for (int i = NAMES_MAX - 1; i >= 0; i--) {
		struct agent *a = &agents[i];
		if (!a->name[0])
			continue;
		if (!a->gone)
			send(a->sock, "quit", 4, MSG_NOSIGNAL);
		if (a->is_thread) {
			pthread_join(a->thread, NULL);
		} else {
			/* only our own children (not a CLONE_PARENT one); a stopped one is killed */
			int st;
			while (waitpid(a->pid, &st, __WALL) < 0 && errno == EINTR)
				;
		}
		close(a->sock);
		a->name[0] = '\0';
	}
}

/* Makes an agent NAME: a thread, or a process by clone flags (pidfd gets a CLONE_PIDFD). */
static void make_agent(const char *op, const char *name, bool thread, unsigned long flags, struct reply *r)
{
	int sv[2];
	if (!name)
		return (void)bad(r, op, "name", name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return (void)say(r, "%s: socketpair %s\n", op, ename(errno));
	struct agent *a = agent_slot(name);
	if (!a)
		return (void)say(r, "%s: too many agents\n", op);
	a->sock = sv[0];
	if (thread) {
		a->is_thread = true;
		int e = pthread_create(&a->thread, NULL, thread_main, (void *)(intptr_t)sv[1]);
		if (e) {
			a->name[0] = '\0';
			close(sv[0]);
			close(sv[1]);
			return (void)say(r, "%s: %s\n", op, ename(e));
		}
		/* the thread's tid, asked of the thread itself */
		struct reply t = { 0 };
		dispatch(a, "tid", &t);
		long tid = 0;
		const char *eq = strstr(t.text, "tid=");
		if (eq)
			tid = strtol(eq + 4, NULL, 10);
		say(r, "%s: ok\n=%s %ld\n", op, name, tid);
		name_set(pids, name, tid);
		return;
	}
	int pidfd = -1;
	/* glibc's fork where it can (its own bookkeeping); the raw call for the flags it cannot pass */
	pid_t pid = flags ? (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, (flags & CLONE_PIDFD) ? &pidfd : NULL, NULL, 0)
			  : fork();
	if (pid == 0) {
		close(sv[0]);
		child_agent(sv[1]);
	}
	int e = errno;
	close(sv[1]);
	if (pid < 0) {
		a->name[0] = '\0';
		close(sv[0]);
		return (void)say(r, "%s: %s\n", op, ename(e));
	}
	a->pid = pid;
	if (flags & CLONE_PIDFD)
		name_set(fds, name, pidfd);
	name_set(pids, name, pid);
	say(r, "%s: ok pid=%d\n=%s %d\n", op, pid, name, pid);
}

/* ---- Operations ------------------------------------------------------------------ */

static unsigned char scratch[64] = "scratch"; /* at the same address in every forked agent */

static void *thread_nop(void *arg)
{
	return arg;
}

static int vfork_child(void *arg)
{
	(void)arg;
	return 0;
}

static const char *sig_name(int sig)
{
	for (const struct bitname *b = signals; b->name; b++)
		if ((int)b->bit == sig)
			return b->name;
	return "?";
}

static void wait_result(const char *op, int st, struct reply *r)
{
	if (WIFEXITED(st))
		say(r, "%s: ok exit=%d\n", op, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		say(r, "%s: ok signal=%s\n", op, sig_name(WTERMSIG(st)));
	else
		say(r, "%s: ok status=0x%x\n", op, st);
}

/* r < 0 is -errno: the line "OP: ENAME", else "OP: ok". */
static void result(const char *op, long v, struct reply *r)
{
	if (v < 0)
		say(r, "%s: %s\n", op, ename((int)-v));
	else
		say(r, "%s: ok\n", op);
}

static long sys(long v)
{
	return v < 0 ? -errno : v;
}

/* An fd for a target: %FD as it is, else a pid opened with pidfd_open (*opened then). */
static long target_fd(const char *s, bool *opened)
{
	int fd;
	long pid;
	*opened = false;
	if (fd_arg(s, &fd))
		return fd;
	if (!pid_arg(s, &pid))
		return -EBADF;
	*opened = true;
	return sys(syscall(SYS_pidfd_open, (pid_t)pid, 0));
}

static void store_fd(const char *op, long fd, const char *dest, struct reply *r)
{
	if (fd < 0)
		return result(op, fd, r);
	if (dest && dest[0] == '=')
		name_set(fds, dest + 1, fd);
	say(r, "%s: ok\n", op);
}

static void op_getsd(char **w, int n, struct reply *r)
{
	uint64_t info;
	bool opened;
	if (n < 3 || !mask_arg(secinfo_bits, w[2], &info))
		return (void)bad(r, w[0], "security_info", n > 2 ? w[2] : NULL);
	long fd = target_fd(w[1], &opened);
	if (fd < 0)
		return (void)say(r, "%s: pidfd_open %s\n", w[0], ename((int)-fd));
	uint8_t buf[4096];
	long len = kacs(NR_GET_SD, fd, (long)"", (long)info, (long)buf, sizeof(buf), AT_EMPTY_PATH);
	if (opened)
		close((int)fd);
	if (len < 0)
		return result(w[0], len, r);
	say(r, "%s: ok", w[0]);
	uint32_t owner;
	memcpy(&owner, buf + 4, 4);
	char sid[128];
	if (len >= 20 && owner && owner < (uint32_t)len && sid_text(buf + owner, (size_t)len - owner, sid, sizeof(sid)) == 0)
		say(r, " owner=%s", sid);
	say(r, " bytes=");
	for (long i = 0; i < len && i < (long)sizeof(buf); i++)
		say(r, "%02x", buf[i]);
	say(r, "\n");
}

static void op_setsd(char **w, int n, struct reply *r)
{
	uint64_t info;
	bool opened;
	if (n < 4 || !mask_arg(secinfo_bits, w[2], &info))
		return (void)bad(r, w[0], "security_info", n > 2 ? w[2] : NULL);
	struct ck_kacs_sd *sd;
	struct ck_kacs_error err = { .size = sizeof(err) };
	uint8_t *bytes;
	size_t len;
	if (ck_kacs_sddl_parse(w[3], &sd, &err) < 0)
		return (void)bad(r, w[0], "SDDL", w[3]);
	int e = ck_kacs_sd_to_bytes(sd, &bytes, &len);
	ck_kacs_sd_free(sd);
	if (e < 0)
		return (void)bad(r, w[0], "SDDL", w[3]);
	long fd = target_fd(w[1], &opened);
	if (fd < 0) {
		free(bytes);
		return (void)say(r, "%s: pidfd_open %s\n", w[0], ename((int)-fd));
	}
	long v = kacs(NR_SET_SD, fd, (long)"", (long)info, (long)bytes, (long)len, AT_EMPTY_PATH);
	free(bytes);
	if (opened)
		close((int)fd);
	result(w[0], v, r);
}

static void op_privs(int fd, const char *op, struct reply *r)
{
	uint64_t p[4];
	uint32_t len = sizeof(p);
	long v = query(fd, CK_KACS_TOKEN_CLASS_PRIVILEGES, p, &len);
	if (v < 0)
		return result(op, v, r);
	say(r, "%s: ok present=0x%" PRIx64 " enabled=0x%" PRIx64 " default=0x%" PRIx64 " used=0x%" PRIx64 "\n", op, p[0],
	    p[1], p[2], p[3]);
}

static void op_adjust_priv(int fd, const char *op, uint32_t luid, bool on, struct reply *r)
{
	struct ck_kacs_priv_entry e = { luid, on ? CK_KACS_PRIV_ENABLED : 0 };
	struct ck_kacs_adjust_privs_args a = { .count = 1, .data_ptr = (uint64_t)(uintptr_t)&e };
	result(op, sys(ioctl(fd, CK_KACS_IOC_ADJUST_PRIVS, &a)), r);
}

/* Replaces this agent's program with path, still an agent on sock: "ok" comes from the new program. */
static void op_exec(char **w, int n, int sock, struct reply *r)
{
	if (n < 2)
		return (void)bad(r, w[0], "path", NULL);
	if (sock < 0)
		return (void)say(r, "%s: BAD not an agent\n", w[0]);
	char fdtext[16];
	snprintf(fdtext, sizeof(fdtext), "%d", sock);
	char *argv[] = { "kacs-helper", "serve", fdtext, NULL };
	fcntl(sock, F_SETFD, 0);
	execv(w[1], argv);
	int e = errno;
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	result(w[0], -e, r);
}

static void op_try(const char *op, struct reply *r)
{
	long v;
	if (strcmp(op, "try_fork") == 0) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		v = p < 0 ? -errno : waitpid(p, NULL, 0);
	} else if (strcmp(op, "try_vfork") == 0) {
		pid_t p = vfork();
		if (p == 0)
			_exit(0);
		v = p < 0 ? -errno : waitpid(p, NULL, 0);
	} else if (strcmp(op, "try_posix_spawn") == 0) {
		pid_t p;
		char *argv[] = { "true", NULL };
		int e = posix_spawn(&p, "/bin/true", NULL, NULL, argv, NULL);
		v = e ? -e : waitpid(p, NULL, 0);
	} else if (strcmp(op, "try_clone_vm_vfork") == 0) {
		static char stack[64 * 1024] __attribute__((aligned(16)));
		pid_t p = clone(vfork_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		v = p < 0 ? -errno : waitpid(p, NULL, 0);
	} else { /* try_thread */
		pthread_t t;
		int e = pthread_create(&t, NULL, thread_nop, NULL);
		v = e ? -e : pthread_join(t, NULL);
	}
	result(op, v < 0 ? v : 0, r);
}

static void op_abi_edge(char **w, int n, struct reply *r)
{
	const char *op = w[0];
	long v;
	if (strcmp(op, "raw") == 0) {
		long a[7] = { 0 };
		for (int i = 1; i < n && i < 8; i++)
			if (!num(w[i], &a[i - 1]))
				return (void)bad(r, op, "number", w[i]);
		v = sys(syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]));
	} else if (strcmp(op, "peer_token") == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return result(op, -errno, r);
		v = kacs(NR_OPEN_PEER_TOKEN, sv[0], 0, 0, 0, 0, 0);
		close(sv[0]);
		close(sv[1]);
		if (v >= 0)
			close((int)v);
	} else if (strcmp(op, "clone3") == 0) {
		struct clone_args ca = { .exit_signal = SIGCHLD };
		v = sys(syscall(SYS_clone3, &ca, sizeof(ca)));
		if (v == 0)
			_exit(0);
		if (v > 0)
			waitpid((pid_t)v, NULL, 0);
	} else if (strcmp(op, "pidfd_send_signal") == 0) {
		int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
		if (fd < 0)
			return (void)say(r, "%s: pidfd_open %s\n", op, ename(errno));
		v = sys(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0));
		close(fd);
	} else if (strcmp(op, "seccomp_listener") == 0) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		v = sys(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
		if (v >= 0)
			close((int)v);
	} else { /* unshare_newpid */
		v = sys(unshare(CLONE_NEWPID));
	}
	result(op, v < 0 ? v : 0, r);
}

/* run PATH ARGS: a program's exit status, read as the errno it reports (the 32-bit caller). */
static void op_run_errno(char **w, int n, struct reply *r)
{
	if (n < 2)
		return (void)bad(r, w[0], "path", NULL);
	pid_t p = fork();
	if (p == 0) {
		execv(w[1], w + 1);
		_exit(127);
	}
	if (p < 0)
		return result(w[0], -errno, r);
	int st;
	waitpid(p, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		say(r, "%s: ok\n", w[0]);
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 127)
		say(r, "%s: %s\n", w[0], ename(WEXITSTATUS(st)));
	else
		say(r, "%s: status=0x%x\n", w[0], st);
}

static void op_ptrace(char **w, int n, struct reply *r)
{
	const char *op = w[0];
	long pid;
	if (strcmp(op, "traceme") == 0)
		return result(op, sys(ptrace(PTRACE_TRACEME, 0, 0, 0)), r);
	if (n < 2 || !pid_arg(w[1], &pid))
		return (void)bad(r, op, "pid", n > 1 ? w[1] : NULL);
	if (strcmp(op, "ptrace_attach") == 0) {
		/* attach, wait for the stop, detach: the answer is the attach's */
		long v = sys(ptrace(PTRACE_ATTACH, (pid_t)pid, 0, 0));
		if (v == 0) {
			int st;
			waitpid((pid_t)pid, &st, __WALL);
			ptrace(PTRACE_DETACH, (pid_t)pid, 0, 0);
		}
		return result(op, v, r);
	}
	if (strcmp(op, "ptrace_seize") == 0) {
		long opts = n > 2 && strcmp(w[2], "tracefork") == 0
				    ? PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE
				    : 0;
		return result(op, sys(ptrace(PTRACE_SEIZE, (pid_t)pid, 0, opts)), r);
	}
	/* ptrace_events: a stop the tracee has pending (a fork event would be one) */
	int st;
	pid_t got = waitpid((pid_t)pid, &st, WNOHANG | __WALL);
	if (got < 0)
		return result(op, -errno, r);
	if (got == 0)
		return (void)say(r, "%s: ok none\n", op);
	say(r, "%s: ok stopped event=%d\n", op, st >> 16);
}

static void op_pid(char **w, int n, struct reply *r)
{
	const char *op = w[0];
	long pid, v;
	if (n < 2 || !pid_arg(w[1], &pid))
		return (void)bad(r, op, "pid", n > 1 ? w[1] : NULL);
	if (strcmp(op, "kill") == 0 || strcmp(op, "tkill") == 0 || strcmp(op, "tgkill") == 0) {
		uint64_t sig;
		if (n < 3 || !one_of(signals, w[2], &sig))
			return (void)bad(r, op, "signal", n > 2 ? w[2] : NULL);
		if (op[0] == 'k')
			v = sys(kill((pid_t)pid, (int)sig));
		else if (op[0] == 't' && op[1] == 'k')
			v = sys(syscall(SYS_tkill, (pid_t)pid, (int)sig));
		else
			v = sys(syscall(SYS_tgkill, (pid_t)pid, (pid_t)pid, (int)sig));
	} else if (strcmp(op, "vmread") == 0 || strcmp(op, "vmwrite") == 0) {
		unsigned char local[8] = "written";
		struct iovec l = { local, sizeof(local) }, rem = { scratch, sizeof(local) };
		v = op[2] == 'r' ? process_vm_readv((pid_t)pid, &l, 1, &rem, 1, 0)
				 : process_vm_writev((pid_t)pid, &l, 1, &rem, 1, 0);
		v = sys(v);
	} else if (strcmp(op, "pidfd_open") == 0) {
		return store_fd(op, sys(syscall(SYS_pidfd_open, (pid_t)pid, 0)), n > 2 ? w[2] : NULL, r);
	} else if (strcmp(op, "getpgid") == 0) {
		v = sys(getpgid((pid_t)pid));
	} else if (strcmp(op, "getsid") == 0) {
		v = sys(getsid((pid_t)pid));
	} else if (strcmp(op, "setpgid") == 0) {
		v = sys(setpgid((pid_t)pid, (pid_t)pid));
	} else if (strcmp(op, "setpriority") == 0) {
		long prio = 5;
		if (n > 2 && !num(w[2], &prio))
			return (void)bad(r, op, "priority", w[2]);
		v = sys(setpriority(PRIO_PROCESS, (id_t)pid, (int)prio));
	} else if (strcmp(op, "prlimit") == 0) {
		struct rlimit old;
		v = sys(prlimit((pid_t)pid, RLIMIT_NOFILE, NULL, &old));
	} else if (strcmp(op, "getaffinity") == 0) {
		cpu_set_t s;
		v = sys(sched_getaffinity((pid_t)pid, sizeof(s), &s));
	} else if (strcmp(op, "setaffinity") == 0) {
		cpu_set_t s;
		if (sched_getaffinity(0, sizeof(s), &s) < 0)
			return result(op, -errno, r);
		v = sys(sched_setaffinity((pid_t)pid, sizeof(s), &s));
	} else if (strcmp(op, "kcmp") == 0) { /* this process's VM against pid's: an answer 0..2 is "ok" */
		v = sys(syscall(SYS_kcmp, getpid(), (pid_t)pid, KCMP_VM, 0, 0));
	} else if (strcmp(op, "perf_open") == 0) {
		struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
					     .config = PERF_COUNT_SW_TASK_CLOCK, .disabled = 1,
					     .exclude_kernel = 1, .exclude_hv = 1 };
		v = sys(syscall(SYS_perf_event_open, &a, (pid_t)pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
		if (v >= 0)
			close((int)v);
	} else if (strcmp(op, "wait") == 0) {
		int st;
		pid_t got;
		while ((got = waitpid((pid_t)pid, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (got < 0)
			return result(op, -errno, r);
		for (int i = 0; i < NAMES_MAX; i++)
			if (agents[i].name[0] && agents[i].pid == (pid_t)pid)
				agents[i].gone = true, agents[i].pid = -1;
		return wait_result(op, st, r);
	} else {
		return (void)say(r, "%s: BAD unknown operation\n", op);
	}
	result(op, v < 0 ? v : 0, r);
}

static void op_token(char **w, int n, struct reply *r)
{
	const char *op = w[0];
	int fd;
	uint64_t m;
	if (strcmp(op, "open_self") == 0) {
		if (n < 3 || !mask_arg(token_rights, w[2], &m))
			return (void)bad(r, op, "mask", n > 2 ? w[2] : NULL);
		long flags = strcmp(w[1], "real") == 0 ? CK_KACS_REAL_TOKEN : 0;
		if (!flags && !num(w[1], &flags))
			return (void)bad(r, op, "flags", w[1]);
		return store_fd(op, kacs(NR_OPEN_SELF_TOKEN, flags, (long)m, 0, 0, 0, 0), n > 3 ? w[3] : NULL, r);
	}
	if (strcmp(op, "open_process") == 0) {
		bool opened;
		if (n < 3 || !mask_arg(token_rights, w[2], &m))
			return (void)bad(r, op, "mask", n > 2 ? w[2] : NULL);
		long pfd = target_fd(w[1], &opened);
		if (pfd < 0)
			return (void)say(r, "%s: pidfd_open %s\n", op, ename((int)-pfd));
		long v = kacs(NR_OPEN_PROCESS_TOKEN, pfd, (long)m, 0, 0, 0, 0);
		if (opened)
			close((int)pfd);
		return store_fd(op, v, n > 3 ? w[3] : NULL, r);
	}
	if (strcmp(op, "open_thread") == 0) {
		long tid;
		if (n < 4 || !fd_arg(w[1], &fd) || !(strcmp(w[2], "$tid") == 0 ? (tid = gettid(), true) : pid_arg(w[2], &tid)) ||
		    !mask_arg(token_rights, w[3], &m))
			return (void)bad(r, op, "arguments", n > 1 ? w[1] : NULL);
		return store_fd(op, kacs(NR_OPEN_THREAD_TOKEN, fd, tid, (long)m, 0, 0, 0), n > 4 ? w[4] : NULL, r);
	}
	if (strcmp(op, "mint") == 0) { /* mint NAME primary|imp LEVEL =VAR */
		long level = 0;
		const char *step;
		const struct identity *id = n > 1 ? identity(w[1]) : NULL;
		if (!id || n < 4 || !num(w[3], &level))
			return (void)bad(r, op, "arguments", n > 1 ? w[1] : NULL);
		long v = mint(id, strcmp(w[2], "imp") == 0 ? 2 : 1, (uint8_t)level, &step);
		if (v < 0)
			return (void)say(r, "%s: %s %s\n", op, step, ename((int)-v));
		return store_fd(op, v, n > 4 ? w[4] : NULL, r);
	}
	if (strcmp(op, "revert") == 0)
		return result(op, kacs(NR_REVERT, 0, 0, 0, 0, 0, 0), r);
	if (strcmp(op, "whoami") == 0) {
		char sid[128];
		long tfd = kacs(NR_OPEN_SELF_TOKEN, n > 1 && strcmp(w[1], "real") == 0 ? CK_KACS_REAL_TOKEN : 0,
				CK_KACS_TOKEN_QUERY, 0, 0, 0, 0);
		if (tfd < 0)
			return (void)say(r, "%s: open_self_token %s\n", op, ename((int)-tfd));
		long v = query_user((int)tfd, sid, sizeof(sid));
		close((int)tfd);
		if (v < 0)
			return result(op, v, r);
		return (void)say(r, "%s: ok %s\n", op, sid);
	}
	if (n < 2 || !fd_arg(w[1], &fd))
		return (void)bad(r, op, "fd", n > 1 ? w[1] : NULL);
	if (strcmp(op, "install") == 0)
		return result(op, sys(ioctl(fd, CK_KACS_IOC_INSTALL)), r);
	if (strcmp(op, "impersonate") == 0)
		return result(op, sys(ioctl(fd, CK_KACS_IOC_IMPERSONATE)), r);
	if (strcmp(op, "close") == 0)
		return result(op, sys(close(fd)), r);
	if (strcmp(op, "user") == 0) {
		char sid[128];
		long v = query_user(fd, sid, sizeof(sid));
		if (v < 0)
			return result(op, v, r);
		return (void)say(r, "%s: ok %s\n", op, sid);
	}
	if (strcmp(op, "privs") == 0)
		return op_privs(fd, op, r);
	if (strcmp(op, "stats") == 0) {
		uint8_t s[40];
		uint32_t len = sizeof(s);
		uint64_t id;
		long v = query(fd, CK_KACS_TOKEN_CLASS_STATISTICS, s, &len);
		if (v < 0)
			return result(op, v, r);
		memcpy(&id, s, 8);
		return (void)say(r, "%s: ok token_id=0x%" PRIx64 "\n", op, id);
	}
	if (strcmp(op, "enable") == 0 || strcmp(op, "disable") == 0) {
		if (n < 3 || !one_of(privileges, w[2], &m))
			return (void)bad(r, op, "privilege", n > 2 ? w[2] : NULL);
		return op_adjust_priv(fd, op, (uint32_t)m, op[0] == 'e', r);
	}
	if (strcmp(op, "group") == 0) { /* group %h INDEX 0|1 */
		long idx, on;
		if (n < 4 || !num(w[2], &idx) || !num(w[3], &on))
			return (void)bad(r, op, "arguments", n > 2 ? w[2] : NULL);
		struct ck_kacs_group_entry e = { (uint32_t)idx, (uint32_t)on };
		struct ck_kacs_adjust_groups_args a = { .count = 1, .data_ptr = (uint64_t)(uintptr_t)&e };
		return result(op, sys(ioctl(fd, CK_KACS_IOC_ADJUST_GROUPS, &a)), r);
	}
	if (strcmp(op, "sendfd") == 0) { /* sendfd %sock %fd */
		int what;
		if (n < 3 || !fd_arg(w[2], &what))
			return (void)bad(r, op, "fd", n > 2 ? w[2] : NULL);
		return result(op, ck_test_send_fd(fd, what), r);
	}
	if (strcmp(op, "recvfd") == 0)
		/* the sender ran before: never wait */
		return store_fd(op, ck_test_recv_fd(fd, MSG_DONTWAIT), n > 2 ? w[2] : NULL, r);
	if (strcmp(op, "getfd") == 0) { /* getfd %pidfd N: the copy, and whether it is O_CLOEXEC */
		long target;
		if (n < 3 || !num(w[2], &target))
			return (void)bad(r, op, "fd number", n > 2 ? w[2] : NULL);
		long v = sys(syscall(SYS_pidfd_getfd, fd, (int)target, 0));
		if (v < 0)
			return result(op, v, r);
		int fl = fcntl((int)v, F_GETFD);
		close((int)v);
		return (void)say(r, "%s: ok cloexec=%d\n", op, (fl & FD_CLOEXEC) ? 1 : 0);
	}
	if (strcmp(op, "waitid") == 0) {
		siginfo_t si = { 0 };
		long v = sys(waitid(P_PIDFD, (id_t)fd, &si, WEXITED));
		if (v < 0)
			return result(op, v, r);
		for (int i = 0; i < NAMES_MAX; i++)
			if (agents[i].name[0] && agents[i].pid == si.si_pid)
				agents[i].gone = true, agents[i].pid = -1;
		return (void)say(r, "%s: ok %s=%d\n", op, si.si_code == CLD_EXITED ? "exit" : "signal", si.si_status);
	}
	say(r, "%s: BAD unknown operation\n", op);
}

/* One line: split into words, $NAME expanded where this process knows NAME, run or passed on. */
static void run_line(char *line, struct reply *r)
{
	char *w[32];
	int n = 0;
	for (char *save, *t = strtok_r(line, " \t", &save); t && n < 31; t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	w[n] = NULL;
	if (n == 0)
		return;
	const char *op = w[0];

	if (op[0] == '@') {
		struct agent *a = agent_find(op + 1);
		if (!a)
			return (void)say(r, "%s: BAD no such agent\n", op);
		/* the rest, with the pids this process knows written in */
		char rest[REPLY_MAX] = "";
		size_t len = 0;
		for (int i = 1; i < n; i++) {
			long v;
			char num_text[24];
			const char *t = w[i];
			if (t[0] == '$' && strcmp(t, "$self") != 0 && strcmp(t, "$tid") != 0 && name_get(pids, t + 1, &v)) {
				snprintf(num_text, sizeof(num_text), "%ld", v);
				t = num_text;
			}
			len += (size_t)snprintf(rest + len, sizeof(rest) - len, "%s%s", i > 1 ? " " : "", t);
			if (len >= sizeof(rest))
				return (void)say(r, "%s: BAD line too long\n", op);
		}
		return dispatch(a, rest, r);
	}
	if (strcmp(op, "as") == 0) {
		const char *step;
		long v = n > 1 ? become(w[1], &step) : (step = "no identity", -EINVAL);
		if (v < 0)
			return (void)say(r, "as: %s %s\n", step, ename((int)-v));
		return (void)say(r, "as: ok\n");
	}
	if (strcmp(op, "wire") == 0) { /* wire NAME FILE: NAME's primary token spec (session 0), for a reader to check */
		uint8_t buf[1024];
		const struct identity *id = n > 2 ? identity(w[1]) : NULL;
		if (!id)
			return (void)bad(r, op, "identity", n > 1 ? w[1] : NULL);
		size_t len = token_spec(id, 1, 0, 0, buf);
		FILE *f = fopen(w[2], "wbe");
		if (!f)
			return result(op, -errno, r);
		bool ok = fwrite(buf, 1, len, f) == len;
		return result(op, fclose(f) == 0 && ok ? 0 : -EIO, r);
	}
	if (strcmp(op, "tid") == 0)
		return (void)say(r, "tid: ok tid=%d\n", gettid());
	if (strcmp(op, "thread") == 0)
		return make_agent(op, w[1], true, 0, r);
	if (strcmp(op, "fork") == 0)
		return make_agent(op, w[1], false, 0, r);
	if (strcmp(op, "fork_untraced") == 0)
		return make_agent(op, w[1], false, CLONE_UNTRACED, r);
	if (strcmp(op, "fork_parent") == 0)
		return make_agent(op, w[1], false, CLONE_PARENT, r);
	if (strcmp(op, "clone_pidfd") == 0)
		return make_agent(op, w[1], false, CLONE_PIDFD, r);
	if (strcmp(op, "exec") == 0)
		return op_exec(w, n, my_sock, r);
	if (strcmp(op, "exit") == 0) {
		long code = 0;
		if (n > 1 && !num(w[1], &code))
			return (void)bad(r, op, "status", w[1]);
		say(r, "exit: ok\n");
		if (my_sock >= 0)
			send(my_sock, r->text, r->len, MSG_NOSIGNAL);
		fflush(stdout);
		_exit((int)code);
	}
	if (strcmp(op, "ignore") == 0) {
		uint64_t sig;
		if (n < 2 || !one_of(signals, w[1], &sig))
			return (void)bad(r, op, "signal", n > 1 ? w[1] : NULL);
		return result(op, signal((int)sig, SIG_IGN) == SIG_ERR ? -errno : 0, r);
	}
	if (strcmp(op, "socketpair") == 0) {
		int sv[2];
		if (n < 3 || w[1][0] != '=' || w[2][0] != '=')
			return (void)bad(r, op, "=A =B", n > 1 ? w[1] : NULL);
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
			return result(op, -errno, r);
		name_set(fds, w[1] + 1, sv[0]);
		name_set(fds, w[2] + 1, sv[1]);
		return (void)say(r, "socketpair: ok\n");
	}
	if (strcmp(op, "set_psb") == 0) {
		uint64_t bits;
		int fd = -1;
		if (n < 3 || !mask_arg(psb_bits, w[2], &bits) || (strcmp(w[1], "self") != 0 && !fd_arg(w[1], &fd)))
			return (void)bad(r, op, "arguments", n > 1 ? w[1] : NULL);
		return result(op, kacs(NR_SET_PSB, fd, (long)bits, 0, 0, 0, 0), r);
	}
	if (strcmp(op, "dumpable") == 0) {
		long v = 1;
		if (n > 1 && !num(w[1], &v))
			return (void)bad(r, op, "value", w[1]);
		return result(op, sys(prctl(PR_SET_DUMPABLE, v, 0, 0, 0)), r);
	}
	if (strcmp(op, "getsd") == 0)
		return op_getsd(w, n, r);
	if (strcmp(op, "setsd") == 0)
		return op_setsd(w, n, r);
	if (strncmp(op, "try_", 4) == 0)
		return op_try(op, r);
	if (strcmp(op, "raw") == 0 || strcmp(op, "peer_token") == 0 || strcmp(op, "clone3") == 0 ||
	    strcmp(op, "pidfd_send_signal") == 0 || strcmp(op, "seccomp_listener") == 0 ||
	    strcmp(op, "unshare_newpid") == 0)
		return op_abi_edge(w, n, r);
	if (strcmp(op, "run_errno") == 0)
		return op_run_errno(w, n, r);
	if (strncmp(op, "ptrace_", 7) == 0 || strcmp(op, "traceme") == 0)
		return op_ptrace(w, n, r);
	if (strcmp(op, "kill") == 0 || strcmp(op, "tkill") == 0 || strcmp(op, "tgkill") == 0 ||
	    strcmp(op, "vmread") == 0 || strcmp(op, "vmwrite") == 0 || strcmp(op, "pidfd_open") == 0 ||
	    strcmp(op, "getpgid") == 0 || strcmp(op, "getsid") == 0 || strcmp(op, "setpgid") == 0 ||
	    strcmp(op, "setpriority") == 0 || strcmp(op, "prlimit") == 0 || strcmp(op, "getaffinity") == 0 ||
	    strcmp(op, "setaffinity") == 0 || strcmp(op, "perf_open") == 0 || strcmp(op, "wait") == 0 ||
	    strcmp(op, "kcmp") == 0)
		return op_pid(w, n, r);
	op_token(w, n, r);
}

/* Prints the result lines of r (not its bindings). */
static void print_reply(const struct reply *r)
{
	const char *p = r->text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (p[0] != '=')
			printf("%.*s\n", (int)len, p);
		p += len + (nl ? 1 : 0);
	}
	fflush(stdout);
}

static int run_script(char *script)
{
	struct reply *r = malloc(sizeof(*r));
	if (!r)
		return 1;
	/* lines end at a newline or at "; " (SDDL's ';' is never followed by a space) */
	for (char *next, *line = script; line; line = next) {
		char *nl = strchr(line, '\n'), *semi = strstr(line, "; ");
		char *end = semi && (!nl || semi < nl) ? semi : nl;
		next = end ? end + (end == semi ? 2 : 1) : NULL;
		if (end)
			*end = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		r->len = 0;
		r->text[0] = '\0';
		char *copy = strdup(line);
		run_line(copy, r);
		free(copy);
		print_reply(r);
	}
	free(r);
	agents_quit();
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "Usage: kacs-helper OP ARGS | run 'OP ARGS; ...' | as NAME -- CMD [ARGS] | whoami [real]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "serve") == 0 && argc > 2) {
		/* an agent after exec: say that the new program runs, then serve */
		long fd;
		if (!num(argv[2], &fd))
			return usage();
		my_sock = (int)fd;
		fcntl(my_sock, F_SETFD, FD_CLOEXEC);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		send(my_sock, "exec: ok\n", 9, MSG_NOSIGNAL);
		serve(my_sock);
		agents_quit();
		return 0;
	}
	if (strcmp(argv[1], "as") == 0) {
		if (argc < 5 || strcmp(argv[3], "--") != 0)
			return usage();
		/* peinit: the child logs in and execs; the parent waits and passes its status on */
		pid_t child = fork();
		if (child < 0) {
			fprintf(stderr, "kacs-helper as %s: fork: %s\n", argv[2], ename(errno));
			return 125;
		}
		if (child == 0) {
			const char *step;
			long v = become(argv[2], &step);
			if (v < 0) {
				fprintf(stderr, "kacs-helper as %s: %s: %s\n", argv[2], step, ename((int)-v));
				_exit(125);
			}
			execvp(argv[4], argv + 4);
			fprintf(stderr, "kacs-helper as %s: %s: %s\n", argv[2], argv[4], strerror(errno));
			_exit(127);
		}
		int st;
		while (waitpid(child, &st, 0) < 0)
			if (errno != EINTR)
				return 125;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (strcmp(argv[1], "run") == 0 && argc == 3)
		return run_script(argv[2]);
	/* one operation: its words as given */
	size_t len = 0;
	for (int i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *line = calloc(1, len + 1);
	if (!line)
		return 1;
	for (int i = 1; i < argc; i++) {
		strcat(line, argv[i]);
		strcat(line, " ");
	}
	int rc = run_script(line);
	free(line);
	return rc;
}
