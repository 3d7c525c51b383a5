/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether a static clonekit may load shared objects (why: static_libc.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/static_libc.h"
#include "internal/util.h"

static int verdict;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The descriptor of the GNU build-ID note in a PT_NOTE segment of n bytes, hex-encoded. */
static int note_build_id(const unsigned char *p, size_t n, char *hex, size_t len)
{
	size_t off = 0;

	while (off + sizeof(ElfW(Nhdr)) <= n) {
		ElfW(Nhdr) h;
		memcpy(&h, p + off, sizeof(h));
		size_t name = off + sizeof(h), desc = name + ((h.n_namesz + 3) & ~3u);
		size_t next = desc + ((h.n_descsz + 3) & ~3u);
		if (next > n || next <= off)
			break;
		if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 && memcmp(p + name, "GNU", 4) == 0) {
			if (h.n_descsz == 0 || 2 * (size_t)h.n_descsz + 1 > len)
				return -ENOEXEC;
			for (size_t i = 0; i < h.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", p[desc + i]);
			return 0;
		}
		off = next;
	}
	return -ENOEXEC;
}

int ck__elf_build_id(const char *path, char *hex, size_t len)
{
	CK_AUTO_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
	ElfW(Ehdr) eh;
	unsigned char note[1024];

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
	    eh.e_phentsize != sizeof(ElfW(Phdr)))
		return -ENOEXEC;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		ElfW(Phdr) ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type != PT_NOTE)
			continue;
		size_t n = ph.p_filesz < sizeof(note) ? ph.p_filesz : sizeof(note);
		if (pread(fd, note, n, (off_t)ph.p_offset) != (ssize_t)n)
			return -ENOEXEC;
		if (note_build_id(note, n, hex, len) == 0)
			return 0;
	}
	return -ENOEXEC;
}

static void decide(void)
{
	char now[2 * 64 + 1];
	int r;

	if (!&ck__static_libc)
		return;
	r = ck__elf_build_id(ck__static_libc.path, now, sizeof(now));
	if (r == 0 && strcmp(now, ck__static_libc.build_id) == 0)
		return;
	verdict = -ELIBACC;
	/* short: it ends up in ck_kacs_error's 256-byte message; 12 hex digits tell builds apart */
	if (r < 0)
		snprintf(why, sizeof(why),
			 "clonekit is linked statically with glibc build %.12s; %s: %s: rebuild clonekit after a glibc upgrade",
			 ck__static_libc.build_id, ck__static_libc.path, strerror(-r));
	else
		snprintf(why, sizeof(why),
			 "clonekit is linked statically with glibc build %.12s; %s is build %.12s: rebuild clonekit after a glibc upgrade",
			 ck__static_libc.build_id, ck__static_libc.path, now);
}

int ck__static_libc_check(void)
{
	pthread_once(&once, decide);
	return verdict;
}

const char *ck__static_libc_why(void)
{
	pthread_once(&once, decide);
	return why;
}
