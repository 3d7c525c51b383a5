/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run under `clonekit kacs run`: makes raw KACS calls (kacs_abi.h) and
 * prints one line per observation, "name value", where value is a number
 * or an errno name. tests/kernel/test_kacs_abi.c compares the lines.
 *   ck-kacs-abi handles   token handles through dup, fork and SCM_RIGHTS, forged ones, other fds
 *   ck-kacs-abi query     QUERY's size query, ERANGE, overlap, a fault
 *   ck-kacs-abi fds       returned fds: the lowest free, O_CLOEXEC, none left behind by a failure
 *   ck-kacs-abi sd        kacs_get_sd on a token handle and a pidfd; what is not one
 */
#include <errno.h>
#include <fcntl.h>
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

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b = 'x';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || !CMSG_FIRSTHDR(&m))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	return fd;
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
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || send_fd(sv[0], q) < 0 || send_fd(sv[0], qa) < 0)
		return 1;
	int rq = recv_fd(sv[1]), rqa = recv_fd(sv[1]);
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
	return 2;
}
