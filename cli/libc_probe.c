/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run by meson when it links clonekit statically: prints the path of the
 * libc.so.6 this machine's dynamic loader picks, and its GNU build ID, which
 * the static clonekit compares with the installed one before it loads a
 * shared object (lib/internal/static_libc.h).
 */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

static int print_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *slash = strrchr(info->dlpi_name, '/');

	if (info->dlpi_name[0] != '/' || strcmp(slash + 1, "libc.so.6") != 0)
		return 0;
	printf("%s\n", info->dlpi_name);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		for (size_t off = 0; off + sizeof(ElfW(Nhdr)) <= ph->p_memsz;) {
			const ElfW(Nhdr) *h = (const ElfW(Nhdr) *)(p + off);
			const unsigned char *name = p + off + sizeof(*h);
			const unsigned char *desc = name + ((h->n_namesz + 3) & ~3u);
			if (h->n_type == NT_GNU_BUILD_ID && h->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
				for (unsigned k = 0; k < h->n_descsz; k++)
					printf("%02x", desc[k]);
				putchar('\n');
				return 1;
			}
			off += sizeof(*h) + ((h->n_namesz + 3) & ~3u) + ((h->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

int main(void)
{
	return dl_iterate_phdr(print_build_id, NULL) == 1 ? 0 : 1;
}
