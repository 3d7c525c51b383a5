/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding the .peios.sig section of a possibly hostile ELF file (K20
 * 6-signing/1-binary-signing.md, "Primary: ELF section" and "Stable
 * verification snapshot"). The finder reads through a callback, asks only
 * for bytes inside [0, size), and checks every offset, size and count
 * against size without overflow; fuzz/fuzz_kacs_elf.c holds it to that.
 */
#ifndef CK_KACS_PIP_ELF_H
#define CK_KACS_PIP_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads exactly len bytes at off (inside the size given to the finder): 0 or -errno. */
struct ck__pip_reader {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
};

enum ck__pip_elf_status {
	CK__PIP_ELF_NOT_ELF,    /* not \x7fELF (or shorter than 4 bytes): the xattr decides */
	CK__PIP_ELF_NO_SECTION, /* ELF without a section named .peios.sig: the xattr decides */
	CK__PIP_ELF_FOUND,      /* offset: a 65-byte SHT_PROGBITS .peios.sig inside the file */
	/* K20 commits to the ELF path once .peios.sig is found and calls a malformed section table invalid
	   material ("Stable verification snapshot"); here, as in PKM, that too is unsigned without the xattr */
	CK__PIP_ELF_BAD_ELF,    /* headers or section table malformed: unsigned, no xattr */
	CK__PIP_ELF_BAD_SECTION, /* .peios.sig found but not usable: unsigned, no xattr */
	CK__PIP_ELF_READ_ERROR, /* the reader failed (err): unsigned, no xattr */
};

struct ck__pip_elf_sig {
	enum ck__pip_elf_status status;
	int err;             /* READ_ERROR: the reader's -errno */
	bool is64, big;      /* the class and byte order, once known */
	uint64_t index;      /* FOUND, BAD_SECTION: the section's index */
	uint64_t offset;     /* FOUND: its sh_offset; the section is [offset, offset + 65) */
	char reason[160];    /* for every status but FOUND */
};

/* Looks for .peios.sig in the size bytes rd reads. Never fails otherwise; out says what it found. */
void ck__pip_elf_find(const struct ck__pip_reader *rd, uint64_t size, struct ck__pip_elf_sig *out);

#endif
