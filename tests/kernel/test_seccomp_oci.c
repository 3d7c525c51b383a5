/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_seccomp_policy_from_oci: the project's own exported profiles read back
 * compile to the same BPF, byte for byte; a hand-written profile in the
 * shape of Docker's default (tests/fixtures/seccomp-docker-shape.json)
 * confines a real program under ck_spawn; bad profiles are named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>

#include "../support.h"

static const char *fixture(void)
{
	const char *p = getenv("CK_SECCOMP_FIXTURE");
	cr_assert_not_null(p, "CK_SECCOMP_FIXTURE names tests/fixtures/seccomp-docker-shape.json");
	return p;
}

/* The policy's OCI export, in a memfd rewound to its start. */
static int exported(const struct ck_seccomp_policy *p)
{
	int fd = memfd_create("oci", MFD_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(ck_seccomp_export_oci(p, fd), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void same_bpf(const struct ck_seccomp_policy *a, const struct ck_seccomp_policy *b,
		     const char *what)
{
	void *x, *y;
	size_t nx, ny;
	cr_assert_eq(ck_seccomp_export_bpf(a, &x, &nx), 0);
	cr_assert_eq(ck_seccomp_export_bpf(b, &y, &ny), 0);
	cr_assert(nx == ny && memcmp(x, y, nx) == 0, "%s: %zu bytes against %zu, or different", what, nx,
		  ny);
	free(x);
	free(y);
}

static void round_trip(struct ck_seccomp_policy *p, const char *what)
{
	char why[256];
	int fd = exported(p);
	struct ck_seccomp_policy *back = ck_seccomp_policy_from_oci(NULL, fd, why, sizeof(why));
	cr_assert_not_null(back, "%s: %s", what, why);
	close(fd);
	same_bpf(p, back, what);
	/* and the re-import exports the same document */
	int a = exported(p), b = exported(back);
	char ta[65536], tb[65536];
	ssize_t na = read(a, ta, sizeof(ta)), nb = read(b, tb, sizeof(tb));
	cr_assert(na > 0 && na == nb && memcmp(ta, tb, (size_t)na) == 0, "%s: the exports differ", what);
	close(a);
	close(b);
	ck_seccomp_policy_free(back);
	ck_seccomp_policy_free(p);
}

Test(seccomp_oci, named_policies_round_trip_to_the_same_bpf)
{
	for (size_t i = 0; ck_seccomp_policy_name_at(i); i++)
		round_trip(ck_seccomp_policy_named(ck_seccomp_policy_name_at(i)), ck_seccomp_policy_name_at(i));
	round_trip(ck_seccomp_policy_deny(CK_CLONE_NEWUSER | CK_CLONE_NEWNET, CK_SECCOMP_KILL, 0), "deny kill");
}

Test(seccomp_oci, docker_shaped_profile_round_trips)
{
	char why[256];
	struct ck_seccomp_policy *p = ck_seccomp_policy_from_oci(fixture(), -1, why, sizeof(why));
	cr_assert_not_null(p, "%s", why);
	cr_assert_str_eq(ck_seccomp_policy_name(p), "oci");
	round_trip(p, "docker-shaped");
}

/* Runs ck-attempt with args under policy; its output. */
static int run_confined(struct ck_seccomp_policy *p, char *const args[], char *out, size_t len)
{
	const char *attempt = getenv("CK_ATTEMPT");
	cr_assert_not_null(attempt);
	char *argv[8] = { (char *)attempt };
	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	int pipefd[2], st;
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_seccomp(a, p), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, pipefd[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 2, 2), 0);
	/* an ASan build's exit-time leak check needs calls (ptrace, ...) a profile may refuse */
	char *envp[] = { "ASAN_OPTIONS=detect_leaks=0", NULL };
	int r = ck_spawn(&c, argv[0], argv, envp, a, &err);
	close(pipefd[1]);
	cr_assert_eq(r, 0, "ck_spawn: %s: %s", err.step, err.message);
	ssize_t n = read(pipefd[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
	return st;
}

Test(seccomp_oci, docker_shaped_profile_confines_a_program)
{
	char why[256], out[1024];
	struct ck_seccomp_policy *p = ck_seccomp_policy_from_oci(fixture(), -1, why, sizeof(why));
	cr_assert_not_null(p, "%s", why);
	/* unshare is allowed only to CAP_SYS_ADMIN (includes.caps): left out, so the default EPERM */
	int st = run_confined(p, (char *[]){ "--in-place", "unshare-newuser", NULL }, out, sizeof(out));
	cr_assert(WIFEXITED(st), "status %#x", st);
	cr_assert(strncmp(out, "unshare-newuser EPERM", 21) == 0, "%s", out);
	ck_seccomp_policy_free(p);
}

Test(seccomp_oci, bad_profiles_are_named)
{
	static const struct {
		const char *doc, *why;
	} cases[] = {
		{ "{", "not JSON" },
		{ "[]", "the document is not a JSON object" },
		{ "{\"syscalls\":[]}", "the profile: no \"defaultAction\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "the profile: unknown action \"SCMP_ACT_NOPE\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
		  "architectures[0]: unknown architecture \"SCMP_ARCH_VAX\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5000}]}",
		  "syscalls[0]: \"errnoRet\" 5000 is above 4095" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "syscalls[0].args[0]: \"index\" must be 0 to 5" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
		  "syscalls[0].args[0]: unknown op \"SCMP_CMP_ABOUT\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256];
		int fd = memfd_create("bad", MFD_CLOEXEC);
		cr_assert_eq(write(fd, cases[i].doc, strlen(cases[i].doc)), (ssize_t)strlen(cases[i].doc));
		lseek(fd, 0, SEEK_SET);
		errno = 0;
		cr_assert_null(ck_seccomp_policy_from_oci(NULL, fd, why, sizeof(why)), "%s", cases[i].doc);
		cr_assert_eq(errno, EINVAL, "%s", cases[i].doc);
		cr_assert(strncmp(why, cases[i].why, strlen(cases[i].why)) == 0, "%s: '%s'", cases[i].doc, why);
		close(fd);
	}
	char why[256];
	errno = 0;
	cr_assert_null(ck_seccomp_policy_from_oci("/nonexistent/profile.json", -1, why, sizeof(why)));
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(why, "reading /nonexistent/profile.json: No such file or directory");
}
