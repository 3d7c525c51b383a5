/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run under `clonekit kacs run`: makes raw KACS calls (kacs_abi.h) and
 * prints one line per observation, "name value", where value is a number
 * or an errno name. tests/kernel/test_kacs_abi.c compares the lines.
 *   ck-kacs-abi handles   token handles through dup, fork and SCM_RIGHTS, forged ones, other fds
 *   ck-kacs-abi query     QUERY's size query, ERANGE, overlap, a fault
 *   ck-kacs-abi fds       returned fds: the lowest free, O_CLOEXEC, none left behind by a failure
 *   ck-kacs-abi sd        kacs_get_sd on a token handle and a pidfd; what is not one
 *   ck-kacs-abi tokens    the peinit pattern and every token ioctl on a minted token (needs the system token)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/kacs_abi.h>

#include "fdpass.h"

static const char *err_name(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ERANGE: return "ERANGE";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	default: return "E?";
	}
}

/* "name 0" or "name ERRNO" for a call that returns 0 or -1. */
static void show(const char *name, long r)
{
	if (r < 0)
		printf("%s %s\n", name, err_name(errno));
	else
		printf("%s %ld\n", name, r);
	fflush(stdout);
}

static long open_self(unsigned flags, uint32_t mask)
{
	return syscall(CK_KACS_NR_OPEN_SELF_TOKEN, flags, mask);
}

/* QUERY of TYPE (4 bytes) through fd: 0 or -1. */
static long query_type(int fd)
{
	uint32_t type = 0;
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_TYPE, .buf_len = 4, .buf_ptr = (uintptr_t)&type };
	long r = ioctl(fd, CK_KACS_IOC_QUERY, &q);
	return r < 0 ? r : (long)type;
}

/* An ADJUST_PRIVS that changes nothing (disable SeDebug): what the handle's mask says. */
static long adjust(int fd)
{
	struct ck_kacs_priv_entry e = { .luid = CK_KACS_SE_DEBUG, .attributes = 0 };
	struct ck_kacs_adjust_privs_args a = { .count = 1, .data_ptr = (uintptr_t)&e };
	return ioctl(fd, CK_KACS_IOC_ADJUST_PRIVS, &a);
}

static int handles(void)
{
	int q = (int)open_self(0, CK_KACS_TOKEN_QUERY);
	int qa = (int)open_self(0, CK_KACS_TOKEN_QUERY | CK_KACS_TOKEN_ADJUST_PRIVILEGES);
	if (q < 0 || qa < 0)
		return 1;
	show("query_on_query_handle", query_type(q));
	show("adjust_on_query_handle", adjust(q));
	show("adjust_on_adjust_handle", adjust(qa));

	int d = dup(q);
	show("dup_query", query_type(d));
	show("dup_adjust", adjust(d));

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || ck_test_send_fd(sv[0], q) < 0 || ck_test_send_fd(sv[0], qa) < 0)
		return 1;
	int rq = ck_test_recv_fd(sv[1], 0), rqa = ck_test_recv_fd(sv[1], 0);
	show("scm_query", query_type(rq));
	show("scm_adjust", adjust(rq));
	show("scm_adjust_handle_adjust", adjust(rqa));

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		show("fork_query", query_type(q));
		show("fork_adjust", adjust(q));
		show("fork_adjust_handle_adjust", adjust(qa));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);

	/* a socketpair of the tree's own, /dev/null and a pty: not handles, the kernel's own answer */
	show("forged_socketpair", ioctl(sv[0], CK_KACS_IOC_QUERY, &(struct ck_kacs_query_args){ .token_class = 1 }));
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	show("dev_null", ioctl(null, CK_KACS_IOC_QUERY, &(struct ck_kacs_query_args){ .token_class = 1 }));
	int pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	show("pty", ioctl(pty, CK_KACS_IOC_QUERY, &(struct ck_kacs_query_args){ .token_class = 1 }));
	show("pty_install", ioctl(pty, CK_KACS_IOC_INSTALL));
	show("closed_fd", ioctl(1000, CK_KACS_IOC_QUERY, &(struct ck_kacs_query_args){ .token_class = 1 }));
	/* a request outside the table on a handle: the kernel's socket answer */
	show("other_request_on_handle", ioctl(q, _IO('K', 99)));
	/* 'K' 11: not a token request, but the filter's masked compare sends it to S, which CONTINUEs it */
	char k11[16] = { 0 };
	show("k11_on_handle", ioctl(q, _IOC(_IOC_READ | _IOC_WRITE, 'K', 11, sizeof(k11)), k11));
	show("k11_dev_null", ioctl(null, _IOC(_IOC_READ | _IOC_WRITE, 'K', 11, sizeof(k11)), k11));
	/* the masks an open may ask */
	show("open_mask_0", open_self(0, 0));
	show("open_mask_bit9", open_self(0, 0x200));
	show("open_flags_2", open_self(2, CK_KACS_TOKEN_QUERY));
	int all = (int)open_self(0, CK_KACS_MAXIMUM_ALLOWED);
	show("maximum_allowed_adjust", adjust(all));
	return 0;
}

static int query(void)
{
	int fd = (int)open_self(0, CK_KACS_TOKEN_QUERY);
	uint8_t buf[256];
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_USER };
	show("size_query", ioctl(fd, CK_KACS_IOC_QUERY, &q));
	printf("size_query_len %u\n", q.buf_len);
	q = (struct ck_kacs_query_args){ .token_class = CK_KACS_TOKEN_CLASS_USER, .buf_len = 4, .buf_ptr = (uintptr_t)buf };
	memset(buf, 0xAA, sizeof(buf));
	show("small_buffer", ioctl(fd, CK_KACS_IOC_QUERY, &q));
	printf("small_buffer_len %u untouched %d\n", q.buf_len, buf[0] == 0xAA);
	q.buf_len = sizeof(buf);
	show("fits", ioctl(fd, CK_KACS_IOC_QUERY, &q));
	printf("fits_len %u revision %u subs %u\n", q.buf_len, buf[0], buf[1]);
	/* the payload onto the struct itself: EINVAL, the struct untouched */
	struct {
		struct ck_kacs_query_args a;
		uint8_t tail[64];
	} ov = { .a = { .token_class = CK_KACS_TOKEN_CLASS_USER, .buf_len = 64 } };
	ov.a.buf_ptr = (uintptr_t)&ov.a + 8;
	show("overlap", ioctl(fd, CK_KACS_IOC_QUERY, &ov.a));
	printf("overlap_len %u\n", ov.a.buf_len);
	q = (struct ck_kacs_query_args){ .token_class = 99, .buf_len = sizeof(buf), .buf_ptr = (uintptr_t)buf };
	show("bad_class", ioctl(fd, CK_KACS_IOC_QUERY, &q));
	/* a payload address that faults: EFAULT, and the needed size written back */
	q = (struct ck_kacs_query_args){ .token_class = CK_KACS_TOKEN_CLASS_PRIVILEGES, .buf_len = 64, .buf_ptr = 8 };
	show("fault", ioctl(fd, CK_KACS_IOC_QUERY, &q));
	printf("fault_len %u\n", q.buf_len);
	show("args_fault", ioctl(fd, CK_KACS_IOC_QUERY, (void *)8));
	/* a payload that faults past its first byte: EFAULT, and the needed size written back all the same */
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *two = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED || mprotect(two + pg, (size_t)pg, PROT_NONE) < 0)
		return 1;
	q = (struct ck_kacs_query_args){ .token_class = CK_KACS_TOKEN_CLASS_PRIVILEGES, .buf_len = 64,
					 .buf_ptr = (uintptr_t)(two + pg - 8) };
	show("fault_partial", ioctl(fd, CK_KACS_IOC_QUERY, &q));
	printf("fault_partial_len %u\n", q.buf_len);
	munmap(two, (size_t)pg * 2);
	return 0;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own fd */
}

static int fds(void)
{
	/* 3 free below others: the kernel gives the lowest free number, as for open(2) */
	int hold[4];
	for (int i = 0; i < 4; i++)
		hold[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(hold[1]);
	int before = count_fds();
	long fd = open_self(0, CK_KACS_TOKEN_QUERY | CK_KACS_TOKEN_DUPLICATE);
	printf("lowest_free %d\n", fd == hold[1]);
	printf("cloexec %d\n", fcntl((int)fd, F_GETFD) == FD_CLOEXEC);
	printf("one_more %d\n", count_fds() - before);
	/* failures leave no fd behind */
	before = count_fds();
	open_self(0, 0);
	open_self(0, CK_KACS_TOKEN_ALL_ACCESS | CK_KACS_DELETE | 0x200);
	/* valid arguments on a read-only page: the result cannot be written, so no fd may be installed */
	struct ck_kacs_duplicate_args *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ro = (struct ck_kacs_duplicate_args){ .access_mask = CK_KACS_TOKEN_QUERY, .token_type = CK_KACS_TOKEN_PRIMARY };
	mprotect(ro, 4096, PROT_READ);
	show("duplicate_readonly_args", ioctl((int)fd, CK_KACS_IOC_DUPLICATE, ro));
	printf("failures_leave %d\n", count_fds() - before);
	/* DUPLICATE writes result_fd, installed beside, not as the return value */
	struct ck_kacs_duplicate_args a = { .access_mask = CK_KACS_TOKEN_QUERY, .token_type = CK_KACS_TOKEN_IMPERSONATION,
					    .impersonation_level = CK_KACS_IMPERSONATION, .result_fd = -7 };
	show("duplicate", ioctl((int)fd, CK_KACS_IOC_DUPLICATE, &a));
	printf("duplicate_result_cloexec %d\n", fcntl(a.result_fd, F_GETFD) == FD_CLOEXEC);
	show("duplicate_type", query_type(a.result_fd));
	uint32_t level = 9;
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL, .buf_len = 4,
					.buf_ptr = (uintptr_t)&level };
	ioctl(a.result_fd, CK_KACS_IOC_QUERY, &q);
	printf("duplicate_level %u\n", level);
	/* the new handle has QUERY only */
	show("duplicate_adjust", adjust(a.result_fd));
	return 0;
}

static int sd(void)
{
	int fd = (int)open_self(0, CK_KACS_TOKEN_QUERY);
	uint8_t buf[512];
	long n = syscall(CK_KACS_NR_GET_SD, fd, "", CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_DACL, NULL, 0, AT_EMPTY_PATH);
	show("token_sd_probe_positive", n > 0 ? 0 : -1);
	long m = syscall(CK_KACS_NR_GET_SD, fd, "", CK_KACS_SECINFO_OWNER | CK_KACS_SECINFO_DACL, buf, sizeof(buf),
			 AT_EMPTY_PATH);
	printf("token_sd_same_size %d revision %u control %#x\n", m == n, buf[0], buf[2] | buf[3] << 8);
	show("token_sd_small_buffer", syscall(CK_KACS_NR_GET_SD, fd, "", CK_KACS_SECINFO_OWNER, buf, 4, AT_EMPTY_PATH) > 4 ? 0 : -1);
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	n = syscall(CK_KACS_NR_GET_SD, pidfd, "", CK_KACS_SECINFO_OWNER, buf, sizeof(buf), AT_EMPTY_PATH);
	/* owner S-1-5-18 at offset 20: 12 bytes, the only component */
	printf("process_sd_owner %ld %u %u %u\n", n, buf[20 + 1], buf[20 + 7], buf[20 + 8]);
	show("no_empty_path", syscall(CK_KACS_NR_GET_SD, pidfd, "", CK_KACS_SECINFO_OWNER, buf, sizeof(buf), 0));
	show("a_path", syscall(CK_KACS_NR_GET_SD, AT_FDCWD, "/etc", CK_KACS_SECINFO_OWNER, buf, sizeof(buf), AT_EMPTY_PATH));
	show("null_path", syscall(CK_KACS_NR_GET_SD, pidfd, NULL, CK_KACS_SECINFO_OWNER, buf, sizeof(buf), AT_EMPTY_PATH));
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	show("a_file", syscall(CK_KACS_NR_GET_SD, null, "", CK_KACS_SECINFO_OWNER, buf, sizeof(buf), AT_EMPTY_PATH));
	show("sacl_and_label", syscall(CK_KACS_NR_GET_SD, pidfd, "", CK_KACS_SECINFO_SACL | CK_KACS_SECINFO_LABEL, buf,
				       sizeof(buf), AT_EMPTY_PATH));

	/* kacs_set_sd on a token handle: the token's own SD, a mutation (modified_id + 1) */
	int all = (int)open_self(0, CK_KACS_TOKEN_ALL_ACCESS);
	struct ck_kacs_sd *in = NULL;
	uint8_t *bytes;
	size_t len;
	if (ck_kacs_sddl_parse("D:(A;;GA;;;SY)(A;;0x8;;;WD)", &in, NULL) || ck_kacs_sd_to_bytes(in, &bytes, &len))
		return 1;
	uint64_t st[5];
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_STATISTICS, .buf_len = 40,
					.buf_ptr = (uintptr_t)st };
	ioctl(all, CK_KACS_IOC_QUERY, &q);
	uint64_t modified = st[2];
	show("token_set_sd_dacl", syscall(CK_KACS_NR_SET_SD, all, "", CK_KACS_SECINFO_DACL, bytes, (uint32_t)len,
					  AT_EMPTY_PATH));
	ioctl(all, CK_KACS_IOC_QUERY, &q);
	printf("token_set_sd_modified %llu\n", (unsigned long long)(st[2] - modified));
	n = syscall(CK_KACS_NR_GET_SD, all, "", CK_KACS_SECINFO_DACL, buf, sizeof(buf), AT_EMPTY_PATH);
	/* header, then the DACL: AceCount 2, the second ACE's mask 0x8 */
	printf("token_get_sd_dacl %ld aces %u mask2 %#x\n", n, buf[20 + 4], buf[20 + 8 + 20 + 4]);
	show("set_sd_len_0", syscall(CK_KACS_NR_SET_SD, all, "", CK_KACS_SECINFO_DACL, bytes, 0, AT_EMPTY_PATH));
	bytes[0] = 7; /* revision 7: malformed */
	show("set_sd_malformed", syscall(CK_KACS_NR_SET_SD, all, "", CK_KACS_SECINFO_DACL, bytes, (uint32_t)len,
					 AT_EMPTY_PATH));
	bytes[0] = 1;
	show("set_sd_owner_missing", syscall(CK_KACS_NR_SET_SD, all, "", CK_KACS_SECINFO_OWNER, bytes, (uint32_t)len,
					     AT_EMPTY_PATH));
	free(bytes);
	ck_kacs_sd_free(in);
	return 0;
}

/* The last sub-authority of the user SID a handle's token has, or -1 with errno. */
static long user_rid(int fd)
{
	uint8_t sid[80];
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_USER, .buf_len = sizeof(sid),
					.buf_ptr = (uintptr_t)sid };
	if (ioctl(fd, CK_KACS_IOC_QUERY, &q) < 0)
		return -1;
	uint8_t n = sid[1];
	return (long)(sid[8 + 4 * (n - 1)] | sid[9 + 4 * (n - 1)] << 8 | sid[10 + 4 * (n - 1)] << 16 |
		      (uint32_t)sid[11 + 4 * (n - 1)] << 24);
}

/* A u32 class (TYPE, SESSION_ID, ...) through fd. */
static long query32(int fd, uint32_t cls)
{
	uint32_t v = 0;
	struct ck_kacs_query_args q = { .token_class = cls, .buf_len = 4, .buf_ptr = (uintptr_t)&v };
	return ioctl(fd, CK_KACS_IOC_QUERY, &q) < 0 ? -1 : (long)v;
}

/* Group i's attributes through fd (TOKEN_CLASS_GROUPS). */
static long group_attrs(int fd, uint32_t i)
{
	uint8_t b[4096];
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_GROUPS, .buf_len = sizeof(b),
					.buf_ptr = (uintptr_t)b };
	if (ioctl(fd, CK_KACS_IOC_QUERY, &q) < 0)
		return -1;
	size_t at = 4;
	for (uint32_t k = 0;; k++) {
		uint32_t len;
		memcpy(&len, b + at, 4);
		if (k == i) {
			uint32_t a;
			memcpy(&a, b + at + 4 + len, 4);
			return a;
		}
		at += 8 + len;
	}
}

/* A second thread (not impersonating) opens the first one's token. */
struct peer {
	int pidfd;
	pid_t tid;
	long user, level;
};

static void *look_at_thread(void *arg)
{
	struct peer *p = arg;
	int fd = (int)syscall(CK_KACS_NR_OPEN_THREAD_TOKEN, p->pidfd, p->tid, CK_KACS_TOKEN_QUERY);
	p->user = fd < 0 ? fd : user_rid(fd);
	p->level = fd < 0 ? fd : query32(fd, CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int tokens(void)
{
	uint8_t spec[512];
	struct ck_kacs_sid u;
	uint64_t next = 0;
	struct ck_kacs_token *t = NULL;
	uint8_t *wire;
	size_t wlen;

	/* a handle to SYSTEM's own token, for after the INSTALL */
	int sysall = (int)open_self(0, CK_KACS_TOKEN_ALL_ACCESS);
	/* the peinit pattern: a session, a token for it */
	if (ck_kacs_sid_parse("S-1-5-21-1-2-3-1001", &u, NULL) || ck_kacs_token_preset("user", CK_KACS_V0_20, &next, &t))
		return 1;
	ssize_t sl = ck_kacs_session_spec(CK_KACS_LOGON_INTERACTIVE, "clonekit", 8, &u, spec, sizeof(spec));
	long id = syscall(CK_KACS_NR_CREATE_SESSION, spec, (size_t)sl);
	show("create_session", id);
	if (id < 0)
		return 1; /* the rest needs SeTcb and SeCreateToken: the system token */
	t->auth_id = (uint64_t)id;
	t->groups[t->group_count - 1].sid.sub[2] = (uint32_t)id; /* the logon SID of that session */
	t->groups[0].attributes = CK_KACS_GROUP_ENABLED_BY_DEFAULT | CK_KACS_GROUP_ENABLED; /* WD, not mandatory */
	if (ck_kacs_token_to_wire(t, &wire, &wlen))
		return 1;
	show("create_token_short", syscall(CK_KACS_NR_CREATE_TOKEN, wire, (size_t)10));
	show("create_token_null", syscall(CK_KACS_NR_CREATE_TOKEN, NULL, wlen));
	int tok = (int)syscall(CK_KACS_NR_CREATE_TOKEN, wire, wlen);
	show("create_token_user", user_rid(tok));
	show("destroy_session_with_a_token", syscall(CK_KACS_NR_DESTROY_EMPTY_SESSION, (uint64_t)id));
	show("destroy_unknown_session", syscall(CK_KACS_NR_DESTROY_EMPTY_SESSION, (uint64_t)77777));

	/* ADJUST_GROUPS in both encodings; previous_state says what was enabled */
	struct ck_kacs_group_entry ge = { .index = 0, .enable = 0 };
	struct ck_kacs_adjust_groups_args ga = { .count = 1, .data_ptr = (uintptr_t)&ge };
	show("adjust_groups_k20", ioctl(tok, CK_KACS_IOC_ADJUST_GROUPS, &ga));
	printf("adjust_groups_k20_previous_bit0 %u attrs %ld\n", (unsigned)(ga.previous_state & 1), group_attrs(tok, 0));
	ge.enable = 1;
	struct ck_kacs_adjust_groups_args_pkm gp = { .count = 1, .data_ptr = (uintptr_t)&ge };
	gp.previous_state[5] = 99;
	show("adjust_groups_pkm", ioctl(tok, CK_KACS_IOC_ADJUST_GROUPS_PKM, &gp));
	printf("adjust_groups_pkm_previous %llu %llu attrs %ld\n", (unsigned long long)gp.previous_state[0],
	       (unsigned long long)gp.previous_state[5], group_attrs(tok, 0));
	ge.index = 1; /* AU: mandatory */
	show("adjust_groups_mandatory", ioctl(tok, CK_KACS_IOC_ADJUST_GROUPS, &ga));
	ga.count = 0;
	show("adjust_groups_count_0", ioctl(tok, CK_KACS_IOC_ADJUST_GROUPS, &ga));

	/* ADJUST_SESSIONID (SeTcb), ADJUST_DEFAULT, linked tokens */
	uint32_t sid5 = 5;
	show("adjust_sessionid", ioctl(tok, CK_KACS_IOC_ADJUST_SESSIONID, &sid5));
	show("session_id", query32(tok, CK_KACS_TOKEN_CLASS_SESSION_ID));
	struct ck_kacs_adjust_default_args da = { .owner_index = 9, .group_index = 0xFFFF };
	show("adjust_default_bad_owner", ioctl(tok, CK_KACS_IOC_ADJUST_DEFAULT, &da));
	da = (struct ck_kacs_adjust_default_args){ .dacl_ptr = (uintptr_t)spec, .dacl_len = 0, .owner_index = 0xFFFF,
						  .group_index = 0xFFFF };
	show("adjust_default_clear_dacl", ioctl(tok, CK_KACS_IOC_ADJUST_DEFAULT, &da));
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_DEFAULT_DACL };
	ioctl(tok, CK_KACS_IOC_QUERY, &q);
	printf("default_dacl_len %u\n", q.buf_len);
	struct ck_kacs_link_tokens_args la = { .elevated_fd = tok, .filtered_fd = tok, .session_id = (uint64_t)id };
	show("link_tokens", ioctl(tok, CK_KACS_IOC_LINK_TOKENS, &la));
	struct ck_kacs_get_linked_token_args gl = { .result_fd = -1 };
	show("get_linked_token", ioctl(tok, CK_KACS_IOC_GET_LINKED_TOKEN, &gl));

	/* RESTRICT: the same mask as the source handle, the restricting SID listed */
	uint8_t rdata[16];
	struct ck_kacs_sid wd;
	ck_kacs_sid_parse("S-1-1-0", &wd, NULL);
	ssize_t wl = ck_kacs_sid_write(&wd, rdata, sizeof(rdata));
	struct ck_kacs_abi_restrict_args ra = { .num_restrict_sids = 1, .data_len = (uint32_t)wl,
						.flags = CK_KACS_RESTRICT_WRITE_RESTRICTED, .data_ptr = (uintptr_t)rdata,
						.result_fd = -1 };
	show("restrict", ioctl(tok, CK_KACS_IOC_RESTRICT, &ra));
	uint32_t rcount = 0;
	q = (struct ck_kacs_query_args){ .token_class = CK_KACS_TOKEN_CLASS_RESTRICTED_SIDS, .buf_len = 4,
					 .buf_ptr = (uintptr_t)&rcount };
	show("restricted_sids_size_query", ioctl(ra.result_fd, CK_KACS_IOC_QUERY, &(struct ck_kacs_query_args){
		.token_class = CK_KACS_TOKEN_CLASS_RESTRICTED_SIDS }));
	q.buf_len = 64;
	uint8_t rb[64];
	q.buf_ptr = (uintptr_t)rb;
	ioctl(ra.result_fd, CK_KACS_IOC_QUERY, &q);
	memcpy(&rcount, rb, 4);
	printf("restricted_count %u\n", rcount);
	show("restricted_handle_adjust", adjust(ra.result_fd));
	ra.flags = 2;
	show("restrict_bad_flags", ioctl(tok, CK_KACS_IOC_RESTRICT, &ra));

	/* IMPERSONATE: a Primary token cannot be; its Impersonation duplicate can, at level 2 */
	show("impersonate_primary", ioctl(tok, CK_KACS_IOC_IMPERSONATE));
	struct ck_kacs_duplicate_args dup = { .access_mask = CK_KACS_TOKEN_QUERY | CK_KACS_TOKEN_IMPERSONATE,
					      .token_type = CK_KACS_TOKEN_IMPERSONATION,
					      .impersonation_level = CK_KACS_IMPERSONATION };
	show("duplicate_impersonation", ioctl(tok, CK_KACS_IOC_DUPLICATE, &dup));
	show("impersonate", ioctl(dup.result_fd, CK_KACS_IOC_IMPERSONATE));
	int eff = (int)open_self(0, CK_KACS_TOKEN_QUERY);
	show("effective_user", user_rid(eff));
	show("effective_level", query32(eff, CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL));
	/* REAL, checked with the effective token (…-1001) against SYSTEM's token SD: refused */
	show("real_token_while_impersonating", open_self(CK_KACS_REAL_TOKEN, CK_KACS_TOKEN_QUERY));
	show("revert", syscall(CK_KACS_NR_REVERT));
	show("revert_again", syscall(CK_KACS_NR_REVERT));
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int th = (int)syscall(CK_KACS_NR_OPEN_THREAD_TOKEN, pidfd, gettid(), CK_KACS_TOKEN_QUERY);
	show("thread_token_after_revert", user_rid(th));
	show("thread_token_tid_0", syscall(CK_KACS_NR_OPEN_THREAD_TOKEN, pidfd, 0, CK_KACS_TOKEN_QUERY));
	show("thread_token_other_tid", syscall(CK_KACS_NR_OPEN_THREAD_TOKEN, pidfd, 1, CK_KACS_TOKEN_QUERY));
	int pt = (int)syscall(CK_KACS_NR_OPEN_PROCESS_TOKEN, pidfd, CK_KACS_TOKEN_QUERY);
	show("process_token", user_rid(pt));
	show("process_token_not_a_pidfd", syscall(CK_KACS_NR_OPEN_PROCESS_TOKEN, 1, CK_KACS_TOKEN_QUERY));
	show("set_impersonation_level_4", syscall(CK_KACS_NR_SET_IMPERSONATION_LEVEL, 0, 4));
	show("set_impersonation_level_2", syscall(CK_KACS_NR_SET_IMPERSONATION_LEVEL, 0, 2));

	/* PSB bits: unknown, not activatable, supported */
	show("set_psb_unknown", syscall(CK_KACS_NR_SET_PSB, -1, 0x400));
	show("set_psb_lsv", syscall(CK_KACS_NR_SET_PSB, -1, CK_KACS_PSB_LSV));
	show("set_psb_ui_access", syscall(CK_KACS_NR_SET_PSB, -1, CK_KACS_PSB_UI_ACCESS));
	show("set_psb_self_pidfd", syscall(CK_KACS_NR_SET_PSB, pidfd, CK_KACS_PSB_UI_ACCESS));

	/* numbers without a call: the kernel's ENOSYS */
	show("nr_1007", syscall(1007));
	show("nr_1020", syscall(CK_KACS_NR_OPEN, AT_FDCWD, "/", NULL, 0, NULL));
	show("nr_1023", syscall(CK_KACS_NR_ACCESS_CHECK, NULL));
	show("nr_1099", syscall(1099));

	/* INSTALL: the process now runs as …-1001 with a fresh process SD */
	show("install", ioctl(tok, CK_KACS_IOC_INSTALL));
	uint8_t sdb[256];
	long n = syscall(CK_KACS_NR_GET_SD, pidfd, "", CK_KACS_SECINFO_OWNER, sdb, sizeof(sdb), AT_EMPTY_PATH);
	printf("owner_after_install %ld %u\n", n, sdb[20 + 8 + 16] | sdb[20 + 8 + 17] << 8);
	int self = (int)open_self(CK_KACS_REAL_TOKEN, CK_KACS_TOKEN_QUERY);
	show("primary_after_install", user_rid(self));
	show("create_token_after_install", syscall(CK_KACS_NR_CREATE_TOKEN, wire, wlen));
	show("create_session_after_install", syscall(CK_KACS_NR_CREATE_SESSION, spec, (size_t)sl));
	show("install_again_without_privilege", ioctl(tok, CK_KACS_IOC_INSTALL));
	show("adjust_sessionid_without_tcb", ioctl(tok, CK_KACS_IOC_ADJUST_SESSIONID, &sid5));

	/*
	 * …-1001 (no SeImpersonate, Medium) impersonating SYSTEM's token: both
	 * gates cap it to Identification; the thread acts with a copy at level 1,
	 * which decides nothing (K20 9-impersonation/2-gates.md, 1-levels.md)
	 */
	struct ck_kacs_duplicate_args sd2 = { .access_mask = CK_KACS_TOKEN_QUERY | CK_KACS_TOKEN_IMPERSONATE,
					      .token_type = CK_KACS_TOKEN_IMPERSONATION,
					      .impersonation_level = CK_KACS_DELEGATION };
	show("duplicate_system_as_1001", ioctl(sysall, CK_KACS_IOC_DUPLICATE, &sd2));
	show("impersonate_system_capped", ioctl(sd2.result_fd, CK_KACS_IOC_IMPERSONATE));
	show("handle_level_unchanged", query32(sd2.result_fd, CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL));
	show("open_self_at_identification", open_self(0, CK_KACS_TOKEN_QUERY));
	pthread_t th2;
	struct peer p = { .pidfd = pidfd, .tid = gettid() };
	pthread_create(&th2, NULL, look_at_thread, &p);
	pthread_join(th2, NULL);
	show("other_thread_sees_user", p.user);
	show("other_thread_sees_level", p.level);
	show("revert_identification", syscall(CK_KACS_NR_REVERT));
	free(wire);
	ck_kacs_token_free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "handles"))
		return handles();
	if (!strcmp(argv[1], "query"))
		return query();
	if (!strcmp(argv[1], "fds"))
		return fds();
	if (!strcmp(argv[1], "sd"))
		return sd();
	if (!strcmp(argv[1], "tokens"))
		return tokens();
	return 2;
}
