/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program that needs only the validator and ck_spawn, built against an
 * installed libclonekit with `pkg-config --cflags --libs clonekit`
 * (tests/packaging/check_install.py). Prints one line and exits 0 when the
 * library does what its man pages say; names what differs and exits 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <clonekit/clonekit.h>

static int failed(const char *what)
{
	fprintf(stderr, "consumer: %s\n", what);
	return 1;
}

int main(void)
{
	struct ck_clone_request req;
	struct ck_verdict *v;
	struct ck_spawn_attr *attr;
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *child;
	struct ck_probe p = { .size = sizeof(p) };
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	int status, r;

	if (strcmp(ck_version(), CK_VERSION_STRING) != 0 || ck_version_number() != CK_VERSION)
		return failed("ck_version() is not the headers' CK_VERSION_STRING");

	ck_clone_request_init(&req, CK_SYSCALL_CLONE, CK_CLONE_SIGHAND | SIGCHLD);
	v = ck_validate(&req, NULL);
	if (!v)
		return failed("ck_validate returned NULL");
	if (ck_verdict_errno(v) != EINVAL ||
	    strcmp(ck_verdict_at(v, 0)->message, "CLONE_SIGHAND requires CLONE_VM") != 0)
		return failed("ck_validate: CLONE_SIGHAND without CLONE_VM is not EINVAL");
	ck_verdict_free(v);

	attr = ck_spawn_attr_new();
	if (!attr)
		return failed("ck_spawn_attr_new returned NULL");
	r = ck_spawn(&child, "/bin/sh", argv, NULL, attr, &err);
	ck_spawn_attr_free(attr);
	if (r < 0) {
		fprintf(stderr, "consumer: ck_spawn: %s\n", err.message);
		return 1;
	}
	r = ck_spawn_wait(child, &status);
	ck_spawn_free(child);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		return failed("ck_spawn: sh -c 'exit 7' did not exit 7");

	if (ck_probe(&p) < 0)
		return failed("ck_probe failed");
	if (!CK_HAVE_WATCHER && (p.watcher.result != CK_PROBE_NO || p.watcher.err != ENOSYS))
		return failed("ck_probe: without the watcher built in, its answer is not no (ENOSYS)");

	printf("consumer: ck_validate EINVAL, ck_spawn exit 7, ck_version %s, watcher %s\n", ck_version(),
	       CK_HAVE_WATCHER ? "built in" : "not built in (no, ENOSYS)");
	return 0;
}
