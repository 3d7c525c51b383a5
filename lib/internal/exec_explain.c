/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why execve failed, beyond its errno: the launcher's child looks at the
 * file it tried, in its own mount namespace and working directory, for the
 * interpreter a #! line or an ELF program names, a directory, a missing
 * execute permission or a noexec mount. System calls only: it runs in a
 * CLONE_VM child too.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/spawn.h"
#include "internal/util.h"

#ifndef ST_NOEXEC
#define ST_NOEXEC 8
#endif

CK_CHILD_CODE static void copy_str(char *dst, size_t len, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < len; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* The #! line's interpreter into buf; false when the file is no script. */
CK_CHILD_CODE static bool script_interp(const char *head, ssize_t n, char *buf, size_t len)
{
	ssize_t i = 2, start;
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return false;
	while (i < n && (head[i] == ' ' || head[i] == '\t'))
		i++;
	start = i;
	while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0')
		i++;
	if (i == start || (size_t)(i - start) >= len)
		return false;
	memcpy(buf, head + start, (size_t)(i - start));
	buf[i - start] = '\0';
	return true;
}

/* An ELF program's PT_INTERP into buf; false when it has none (or is no ELF file). */
CK_CHILD_CODE static bool elf_interp(int fd, const char *head, ssize_t n, char *buf, size_t len)
{
	bool is64;
	uint64_t phoff, off = 0, size = 0;
	unsigned phnum, phentsize;

	if (n < EI_NIDENT || memcmp(head, ELFMAG, SELFMAG) != 0)
		return false;
	is64 = head[EI_CLASS] == ELFCLASS64;
	if (is64 && (size_t)n >= sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *e = (const Elf64_Ehdr *)(const void *)head;
		phoff = e->e_phoff, phnum = e->e_phnum, phentsize = e->e_phentsize;
	} else if (!is64 && (size_t)n >= sizeof(Elf32_Ehdr)) {
		const Elf32_Ehdr *e = (const Elf32_Ehdr *)(const void *)head;
		phoff = e->e_phoff, phnum = e->e_phnum, phentsize = e->e_phentsize;
	} else {
		return false;
	}
	for (unsigned i = 0; i < phnum && i < 64; i++) {
		union {
			Elf64_Phdr p64;
			Elf32_Phdr p32;
		} ph;
		size_t want = is64 ? sizeof(ph.p64) : sizeof(ph.p32);
		if (phentsize < want ||
		    pread(fd, &ph, want, (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)want)
			return false;
		if ((is64 ? ph.p64.p_type : ph.p32.p_type) == PT_INTERP) {
			off = is64 ? ph.p64.p_offset : ph.p32.p_offset;
			size = is64 ? ph.p64.p_filesz : ph.p32.p_filesz;
			break;
		}
	}
	if (size == 0 || size > len)
		return false;
	if (pread(fd, buf, (size_t)size, (off_t)off) != (ssize_t)size)
		return false;
	buf[size - 1] = '\0';
	return buf[0] != '\0';
}

/* The first candidate PATH search would try that exists, into buf; false if none. */
CK_CHILD_CODE static bool exec_locate(const char *file, const char *p, char *buf, size_t len)
{
	size_t flen = strlen(file);

	if (!p || strchr(file, '/')) {
		copy_str(buf, len, file);
		return flen < len && access(buf, F_OK) == 0;
	}
	for (;;) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen + 1 + flen + 1 <= len) {
			size_t k = 0;
			if (dlen) {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				k = dlen + 1;
			}
			memcpy(buf + k, file, flen + 1);
			if (access(buf, F_OK) == 0)
				return true;
		}
		if (!end)
			return false;
		p = end + 1;
	}
}

CK_CHILD_CODE void ck__exec_explain(const char *file, const char *path_env, int err,
				    struct ck__report *r)
{
	char head[256];
	struct stat st;
	struct statfs sf;
	ssize_t n = 0;

	if (!file[0]) {
		r->cause = CK__EXEC_EMPTY_NAME;
		return;
	}
	if (!exec_locate(file, path_env, r->path, sizeof(r->path))) {
		r->path[0] = '\0';
		return;
	}
	int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, head, sizeof(head));
		if (n < 0)
			n = 0;
	}
	if (err == EACCES) {
		/* the file itself first: a script's interpreter matters only once the script may run */
		if (stat(r->path, &st) == 0 && S_ISDIR(st.st_mode))
			r->cause = CK__EXEC_DIRECTORY;
		else if (access(r->path, X_OK) < 0 || (stat(r->path, &st) == 0 && !(st.st_mode & 0111)))
			r->cause = CK__EXEC_NO_PERMISSION;
		else if (syscall(SYS_statfs, r->path, &sf) == 0 && (sf.f_flags & ST_NOEXEC))
			r->cause = CK__EXEC_NOEXEC_MOUNT;
	}
	if (r->cause != CK__EXEC_PLAIN) {
		/* said above */
	} else if (script_interp(head, n, r->interp, sizeof(r->interp))) {
		if (access(r->interp, F_OK) < 0)
			r->cause = CK__EXEC_INTERP_MISSING;
		else if (access(r->interp, X_OK) < 0 || (stat(r->interp, &st) == 0 && S_ISDIR(st.st_mode)))
			r->cause = CK__EXEC_INTERP_DENIED;
	} else if (err == ENOENT && fd >= 0 && elf_interp(fd, head, n, r->interp, sizeof(r->interp))) {
		if (access(r->interp, F_OK) < 0)
			r->cause = CK__EXEC_ELF_INTERP_MISSING;
	} else if (err == ENOEXEC) {
		r->cause = CK__EXEC_FORMAT;
	}
	if (fd >= 0)
		close(fd);
}

