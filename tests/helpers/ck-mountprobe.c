/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a program inside a mount sandbox sees and may do, one line on stdout
 * per request (arguments in order), for tests/kernel/test_sandbox_mount.c:
 *   mounts             every mount: "MOUNTPOINT OPTIONS FSTYPE SUPER-OPTIONS [PROPAGATION]"
 *   stat PATH          "PATH TYPE MODE MAJOR:MINOR" (lstat; type d f c l p s b), or "PATH ERRNO"
 *   read PATH          the file's first line, or "PATH ERRNO"
 *   write PATH         appends a line: "ok" or "PATH ERRNO"
 *   readlink PATH      the link's target, or "PATH ERRNO"
 *   remount-rw PATH    mount(MS_REMOUNT|MS_BIND) without MS_RDONLY: "ok" or the errno name
 *   setattr-rw PATH    mount_setattr clearing MOUNT_ATTR_RDONLY: "ok" or the errno name
 *   umount PATH        umount2(PATH, MNT_DETACH): "ok" or the errno name
 *   bind SRC DEST      mount(SRC, DEST, MS_BIND|MS_REC): "ok" or the errno name
 *   cwd                the working directory
 * Errno names are strerrorname_np's ("EROFS").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *err_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static void result(int r)
{
	printf("%s\n", r == 0 ? "ok" : err_name(errno));
}

/* mountinfo: id parent maj:min root mountpoint options [optional...] - fstype source super */
static void mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	if (!f) {
		printf("mountinfo %s\n", err_name(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *field[32], *save = NULL;
		int n = 0, dash = -1;
		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save)) {
			if (strcmp(t, "-") == 0 && dash < 0)
				dash = n;
			field[n++] = t;
		}
		if (dash < 6 || dash + 3 >= n + 1)
			continue;
		const char *prop = "private";
		for (int i = 6; i < dash; i++)
			if (strncmp(field[i], "master:", 7) == 0 || strncmp(field[i], "shared:", 7) == 0)
				prop = field[i][0] == 'm' ? "slave" : "shared";
		printf("%s %s %s %s %s\n", field[4], field[5], field[dash + 1],
		       dash + 3 < n ? field[dash + 3] : "-", prop);
	}
	fclose(f);
}

static char type_of(mode_t m)
{
	return S_ISDIR(m) ? 'd' : S_ISREG(m) ? 'f' : S_ISCHR(m) ? 'c' : S_ISLNK(m) ? 'l' :
	       S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : 'b';
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *req = argv[i];
		const char *p = i + 1 < argc ? argv[i + 1] : "";
		if (strcmp(req, "mounts") == 0) {
			mounts();
			continue;
		}
		if (strcmp(req, "cwd") == 0) {
			char buf[4096];
			printf("%s\n", getcwd(buf, sizeof(buf)) ? buf : err_name(errno));
			continue;
		}
		i++;
		if (strcmp(req, "stat") == 0) {
			struct stat st;
			if (lstat(p, &st) < 0)
				printf("%s %s\n", p, err_name(errno));
			else
				printf("%s %c %04o %u:%u\n", p, type_of(st.st_mode),
				       (unsigned)(st.st_mode & 07777), major(st.st_rdev), minor(st.st_rdev));
		} else if (strcmp(req, "read") == 0) {
			char buf[4096] = "";
			FILE *f = fopen(p, "re");
			if (!f) {
				printf("%s %s\n", p, err_name(errno));
				continue;
			}
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			printf("%s\n", buf);
			fclose(f);
		} else if (strcmp(req, "write") == 0) {
			int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (fd < 0 || write(fd, "x\n", 2) != 2)
				printf("%s %s\n", p, err_name(errno));
			else
				printf("ok\n");
			if (fd >= 0)
				close(fd);
		} else if (strcmp(req, "readlink") == 0) {
			char buf[4096];
			ssize_t n = readlink(p, buf, sizeof(buf) - 1);
			if (n < 0)
				printf("%s %s\n", p, err_name(errno));
			else
				printf("%.*s\n", (int)n, buf);
		} else if (strcmp(req, "remount-rw") == 0) {
			result(mount(NULL, p, NULL, MS_REMOUNT | MS_BIND, NULL));
		} else if (strcmp(req, "setattr-rw") == 0) {
			struct mount_attr a = { .attr_clr = MOUNT_ATTR_RDONLY };
			result((int)syscall(SYS_mount_setattr, AT_FDCWD, p, 0, &a, sizeof(a)));
		} else if (strcmp(req, "umount") == 0) {
			result(umount2(p, MNT_DETACH));
		} else if (strcmp(req, "bind") == 0 && i + 1 < argc) {
			result(mount(p, argv[i + 1], NULL, MS_BIND | MS_REC, NULL));
			i++;
		} else {
			printf("unknown request %s\n", req);
			return 2;
		}
	}
	return 0;
}
