/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ids in the user namespace: the caller's own ids mapped to chosen ones,
 * subordinate ranges from /etc/subuid and /etc/subgid written through the
 * setuid helpers newuidmap and newgidmap (run through ck_spawn: one
 * launcher), and bwrap's --disable-userns (a nested user namespace under a
 * limit of one).
 */
#include <clonekit/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/static_libc.h"
#include "sandbox/proc.h"

int ck_spawn_attr_map_ids(struct ck_spawn_attr *a, uid_t uid, gid_t gid)
{
	if (!a || uid == (uid_t)-1 || gid == (gid_t)-1)
		return -EINVAL;
	a->map_self = true;
	a->self_uid = (uint32_t)uid;
	a->self_gid = (uint32_t)gid;
	return 0;
}

uint32_t ck__self_inside(const struct ck_spawn_attr *a, bool uid)
{
	uint32_t id = uid ? a->self_uid : a->self_gid;
	if (id != CK__SELF)
		return id;
	return uid ? (uint32_t)geteuid() : (uint32_t)getegid();
}

/* Appends the caller's ranges in path (lines "NAME|UID:START:COUNT") to maps from inside 1 on. */
static int read_subids(const char *path, const char *user, uint32_t id, struct ck__idmap *maps,
		       size_t *n)
{
	char idtext[16], *line = NULL;
	size_t cap = 0, found = 0;
	uint64_t next = 1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	snprintf(idtext, sizeof(idtext), "%u", id);
	while (getline(&line, &cap, f) > 0) {
		char *name = strtok(line, ":"), *start = strtok(NULL, ":"), *count = strtok(NULL, ":\n");
		unsigned long s, c;
		if (!name || !start || !count ||
		    (strcmp(name, idtext) != 0 && (!user || strcmp(name, user) != 0)))
			continue;
		s = strtoul(start, NULL, 10);
		c = strtoul(count, NULL, 10);
		if (c == 0 || s > UINT32_MAX || c > UINT32_MAX || next + c > UINT32_MAX)
			continue;
		if (*n >= CK_SPAWN_MAX_MAPS) {
			free(line);
			fclose(f);
			return -E2BIG;
		}
		maps[(*n)++] = (struct ck__idmap){ (uint32_t)next, (uint32_t)s, (uint32_t)c };
		next += c;
		found++;
	}
	free(line);
	fclose(f);
	return found ? 0 : -ENOENT;
}

int ck_spawn_attr_map_subids(struct ck_spawn_attr *a)
{
	struct ck__idmap uid[CK_SPAWN_MAX_MAPS], gid[CK_SPAWN_MAX_MAPS];
	size_t nuid = 1, ngid = 1;
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	int r;

	if (!a)
		return -EINVAL;
	/* getpwuid_r may load NSS modules: not into a static clonekit beside another libc build */
	if ((r = ck__static_libc_check()) < 0)
		return r;
	getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &pwp);
	uid[0] = (struct ck__idmap){ 0, (uint32_t)geteuid(), 1 };
	gid[0] = (struct ck__idmap){ 0, (uint32_t)getegid(), 1 };
	r = read_subids("/etc/subuid", pwp ? pwp->pw_name : NULL, (uint32_t)geteuid(), uid, &nuid);
	if (r == 0)
		r = read_subids("/etc/subgid", pwp ? pwp->pw_name : NULL, (uint32_t)geteuid(), gid,
				&ngid);
	if (r < 0)
		return r;
	memcpy(a->uid, uid, nuid * sizeof(*uid));
	memcpy(a->gid, gid, ngid * sizeof(*gid));
	a->nuid = nuid;
	a->ngid = ngid;
	a->map_self = false;
	a->id_helper = true;
	return 0;
}

int ck__idmap_helper(pid_t pid, bool uid, const struct ck__idmap *m, size_t n, char *why,
		     size_t why_len)
{
	const char *prog = uid ? "newuidmap" : "newgidmap";
	char *argv[2 + 3 * CK_SPAWN_MAX_MAPS + 1];
	char nums[1 + 3 * CK_SPAWN_MAX_MAPS][12];
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	struct ck_spawn_attr *attr = ck_spawn_attr_new();
	int p[2] = { -1, -1 }, r, st = 0;
	size_t k = 0, len = 0;

	if (!attr)
		return -ENOMEM;
	argv[k++] = (char *)prog;
	snprintf(nums[0], sizeof(nums[0]), "%d", (int)pid);
	argv[k++] = nums[0];
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = { m[i].inside, m[i].outside, m[i].count };
		for (int j = 0; j < 3; j++) {
			snprintf(nums[1 + 3 * i + j], sizeof(nums[0]), "%u", v[j]);
			argv[k++] = nums[1 + 3 * i + j];
		}
	}
	argv[k] = NULL;
	/* what it says on stdout and stderr becomes the message */
	r = pipe2(p, O_CLOEXEC) < 0 ? -errno : 0;
	if (r == 0 && ((r = ck_spawn_attr_add_fd(attr, p[1], 1)) == 0))
		r = ck_spawn_attr_add_fd(attr, p[1], 2);
	if (r == 0)
		r = ck_spawn(&c, prog, argv, NULL, attr, &err);
	ck_spawn_attr_free(attr);
	if (p[1] >= 0)
		close(p[1]);
	if (r < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (r == -ENOENT && err.step && strcmp(err.step, "execve") == 0)
			snprintf(why, why_len, "%s is not installed (Debian: the uidmap package)", prog);
		else
			snprintf(why, why_len, "%s: %s", prog, err.step ? err.message : strerror(-r));
		return r;
	}
	char out[512];
	ssize_t got;
	while (len + 1 < sizeof(out) && ((got = read(p[0], out + len, sizeof(out) - 1 - len)) > 0 ||
					 (got < 0 && errno == EINTR)))
		if (got > 0)
			len += (size_t)got;
	out[len] = '\0';
	close(p[0]);
	r = ck_spawn_wait(c, &st);
	ck_spawn_free(c);
	if (r < 0)
		return r;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	snprintf(why, why_len, "%s %d: %s (%s: /etc/sub%cid must give this user the outside ids)",
		 prog, (int)pid, len ? out : "failed", WIFEXITED(st) ? "exit status" : "killed",
		 uid ? 'u' : 'g');
	return -EPERM;
}

/* ---- --disable-userns, in the child ---- */

int ck_spawn_attr_set_disable_userns(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->disable_userns = on;
	return 0;
}

int ck_spawn_attr_set_assert_userns_disabled(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->assert_userns_disabled = on;
	return 0;
}

CK_CHILD_CODE int ck__userns_fds_open(struct ck__userns_fds *f)
{
	f->self = -1;
	f->sysctl = open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
	if (f->sysctl < 0)
		return -errno;
	f->self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return f->self < 0 ? -errno : 0;
}

/* Writes text into dir/name: 0 or -errno. */
CK_CHILD_CODE static int write_at(int dir, const char *name, const char *text, size_t len)
{
	int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, len);
	int e = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return e;
}

/* "ID ID 1\n" into buf: its length. */
CK_CHILD_CODE static size_t same_id_map(char *buf, uint32_t id)
{
	char digits[10];
	size_t n = 0, len = 0;
	do
		digits[n++] = (char)('0' + id % 10);
	while ((id /= 10) != 0);
	for (int rep = 0; rep < 2; rep++) {
		for (size_t i = n; i > 0; i--)
			buf[len++] = digits[i - 1];
		buf[len++] = ' ';
	}
	buf[len++] = '1';
	buf[len++] = '\n';
	return len;
}

CK_CHILD_CODE int ck__userns_disable(struct ck__userns_fds *f)
{
	char map[32];
	uint32_t uid = (uint32_t)getuid(), gid = (uint32_t)getgid();
	ssize_t n;
	int e = 0;

	/* a limit of one: the nested namespace below is the last one */
	do
		n = write(f->sysctl, "1", 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		e = n < 0 ? -errno : -EIO;
	if (e == 0 && unshare(CLONE_NEWUSER) < 0)
		e = -errno;
	if (e == 0)
		e = write_at(f->self, "uid_map", map, same_id_map(map, uid));
	if (e == 0) {
		e = write_at(f->self, "setgroups", "deny", 4);
		if (e == -ENOENT)
			e = 0;
	}
	if (e == 0)
		e = write_at(f->self, "gid_map", map, same_id_map(map, gid));
	close(f->sysctl);
	close(f->self);
	f->sysctl = f->self = -1;
	return e;
}

CK_CHILD_CODE bool ck__userns_still_allowed(void)
{
	return unshare(CLONE_NEWUSER) == 0;
}
