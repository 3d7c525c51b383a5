/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The .peios.sig section finder (pip_elf.h). Field offsets and sizes come
 * from <elf.h>'s structs; values are read byte by byte in the file's own
 * byte order, so the host's does not matter.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <clonekit/kacs.h>

#include "kacs/pip_elf.h"

/* The name looked up, with its NUL: a match is these bytes inside the string table. */
static const char SIG_NAME[] = CK_KACS_PIP_SIG_SECTION;

struct finder {
	const struct ck__pip_reader *rd;
	uint64_t size;
	struct ck__pip_elf_sig *out;
};

/* A field of an ELF32 or ELF64 struct: its offset and width, for the class at hand. */
#define FIELD(is64, T, f)                                                       \
	(is64) ? offsetof(Elf64_##T, f) : offsetof(Elf32_##T, f),               \
		(is64) ? sizeof(((Elf64_##T *)0)->f) : sizeof(((Elf32_##T *)0)->f)

static uint64_t get(const unsigned char *p, size_t off, size_t width, bool big)
{
	uint64_t v = 0;

	for (size_t i = 0; i < width; i++) {
		unsigned shift = 8u * (unsigned)(big ? width - 1 - i : i);
		v |= (uint64_t)p[off + i] << shift;
	}
	return v;
}

static void stop(struct finder *f, enum ck__pip_elf_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void stop(struct finder *f, enum ck__pip_elf_status status, const char *fmt, ...)
{
	va_list ap;

	f->out->status = status;
	va_start(ap, fmt);
	vsnprintf(f->out->reason, sizeof(f->out->reason), fmt, ap);
	va_end(ap);
}

/* Ends the search with status and why, from a function returning void. */
#define STOP(...)                  \
	do {                       \
		stop(__VA_ARGS__); \
		return;            \
	} while (0)

/* [off, off + len) lies inside the file, without overflow. */
static bool inside(const struct finder *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

/* Reads a range already checked with inside(); false after setting READ_ERROR. */
static bool read_in(struct finder *f, uint64_t off, void *buf, size_t len)
{
	int r = f->rd->read(f->rd->ctx, off, buf, len);

	if (r == 0)
		return true;
	f->out->err = r;
	stop(f, CK__PIP_ELF_READ_ERROR, "reading %zu bytes at offset %" PRIu64 " failed: %s", len, off,
	     strerror(-r));
	return false;
}

static const char *class_name(bool is64)
{
	return is64 ? "ELF64" : "ELF32";
}

static void type_text(uint32_t type, char *buf, size_t len)
{
	static const struct {
		uint32_t type;
		const char *name;
	} names[] = {
		{ SHT_NULL, "SHT_NULL" }, { SHT_SYMTAB, "SHT_SYMTAB" }, { SHT_STRTAB, "SHT_STRTAB" },
		{ SHT_RELA, "SHT_RELA" }, { SHT_HASH, "SHT_HASH" }, { SHT_DYNAMIC, "SHT_DYNAMIC" },
		{ SHT_NOTE, "SHT_NOTE" }, { SHT_NOBITS, "SHT_NOBITS" }, { SHT_REL, "SHT_REL" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].type == type) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	}
	snprintf(buf, len, "0x%" PRIx32, type);
}

/* The section header at index (inside the table checked by the caller) into sh. */
static bool read_shdr(struct finder *f, uint64_t shoff, uint64_t entsize, uint64_t index, unsigned char *sh)
{
	return read_in(f, shoff + index * entsize, sh, (size_t)entsize);
}

/* Section i's name is exactly .peios.sig: its NUL-terminated bytes lie inside the string table. */
static int name_matches(struct finder *f, uint64_t stroff, uint64_t strsize, uint64_t name)
{
	char buf[sizeof(SIG_NAME)];

	if (name >= strsize || strsize - name < sizeof(SIG_NAME))
		return 0;
	if (!read_in(f, stroff + name, buf, sizeof(buf)))
		return -1;
	return memcmp(buf, SIG_NAME, sizeof(SIG_NAME)) == 0;
}

/* The section named .peios.sig at index, whose header is sh: FOUND or BAD_SECTION. */
static void judge_section(struct finder *f, uint64_t index, const unsigned char *sh)
{
	bool is64 = f->out->is64, big = f->out->big;
	uint32_t type = (uint32_t)get(sh, FIELD(is64, Shdr, sh_type), big);
	uint64_t off = get(sh, FIELD(is64, Shdr, sh_offset), big);
	uint64_t size = get(sh, FIELD(is64, Shdr, sh_size), big);
	char tname[16];

	f->out->index = index;
	if (type != SHT_PROGBITS) {
		type_text(type, tname, sizeof(tname));
		stop(f, CK__PIP_ELF_BAD_SECTION, "%s (section %" PRIu64 ") is %s, not SHT_PROGBITS", SIG_NAME,
		     index, tname);
	} else if (size != CK_KACS_PIP_SIG_SIZE) {
		stop(f, CK__PIP_ELF_BAD_SECTION, "%s (section %" PRIu64 ") holds %" PRIu64 " bytes, not %u",
		     SIG_NAME, index, size, CK_KACS_PIP_SIG_SIZE);
	} else if (!inside(f, off, size)) {
		stop(f, CK__PIP_ELF_BAD_SECTION,
		     "%s (section %" PRIu64 ") at offset %" PRIu64 " ends past the file's %" PRIu64 " bytes",
		     SIG_NAME, index, off, f->size);
	} else {
		f->out->status = CK__PIP_ELF_FOUND;
		f->out->offset = off;
	}
}

/* From the ELF header on: the section table, its string table, then each section's name. */
static void find_in_table(struct finder *f, const unsigned char *eh)
{
	bool is64 = f->out->is64, big = f->out->big;
	uint64_t shoff = get(eh, FIELD(is64, Ehdr, e_shoff), big);
	uint64_t entsize = get(eh, FIELD(is64, Ehdr, e_shentsize), big);
	uint64_t shnum = get(eh, FIELD(is64, Ehdr, e_shnum), big);
	uint64_t strndx = get(eh, FIELD(is64, Ehdr, e_shstrndx), big);
	uint64_t want = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	unsigned char sh[sizeof(Elf64_Shdr)];

	if (shoff == 0)
		STOP(f, CK__PIP_ELF_NO_SECTION, "no section header table (e_shoff is 0)");
	if (entsize != want)
		STOP(f, CK__PIP_ELF_BAD_ELF, "e_shentsize is %" PRIu64 ", not %" PRIu64 " as %s section headers are",
			    entsize, want, class_name(is64));
	/* gABI extended numbering: the count in section 0's sh_size, the index in its sh_link
	   (PKM reads e_shnum 0 as no sections) */
	if (shnum == 0 || strndx == SHN_XINDEX) {
		if (!inside(f, shoff, want))
			STOP(f, CK__PIP_ELF_BAD_ELF,
				    "section header 0 at e_shoff %" PRIu64 " ends past the file's %" PRIu64 " bytes",
				    shoff, f->size);
		if (!read_shdr(f, shoff, want, 0, sh))
			return;
		if (shnum == 0)
			shnum = get(sh, FIELD(is64, Shdr, sh_size), big);
		if (strndx == SHN_XINDEX)
			strndx = get(sh, FIELD(is64, Shdr, sh_link), big);
		if (shnum == 0)
			STOP(f, CK__PIP_ELF_NO_SECTION, "the section header table is empty");
	}
	if (shnum > UINT64_MAX / want || !inside(f, shoff, shnum * want))
		STOP(f, CK__PIP_ELF_BAD_ELF,
			    "the section header table (%" PRIu64 " headers at offset %" PRIu64
			    ") ends past the file's %" PRIu64 " bytes",
			    shnum, shoff, f->size);
	if (strndx == SHN_UNDEF)
		STOP(f, CK__PIP_ELF_BAD_ELF, "e_shstrndx is SHN_UNDEF: the sections have no names");
	if (strndx >= shnum)
		STOP(f, CK__PIP_ELF_BAD_ELF, "e_shstrndx %" PRIu64 " is not a section (there are %" PRIu64 ")",
			    strndx, shnum);
	if (!read_shdr(f, shoff, want, strndx, sh))
		return;
	uint64_t stroff = get(sh, FIELD(is64, Shdr, sh_offset), big);
	uint64_t strsize = get(sh, FIELD(is64, Shdr, sh_size), big);
	if (!inside(f, stroff, strsize))
		STOP(f, CK__PIP_ELF_BAD_ELF,
			    "the section-name string table (section %" PRIu64 ", %" PRIu64 " bytes at offset %" PRIu64
			    ") ends past the file's %" PRIu64 " bytes",
			    strndx, strsize, stroff, f->size);

	for (uint64_t i = 0; i < shnum; i++) {
		if (!read_shdr(f, shoff, want, i, sh))
			return;
		int m = name_matches(f, stroff, strsize, get(sh, FIELD(is64, Shdr, sh_name), big));
		if (m < 0)
			return;
		if (m) {
			judge_section(f, i, sh); /* the first of that name commits (as PKM) */
			return;
		}
	}
	stop(f, CK__PIP_ELF_NO_SECTION, "no section is named %s", SIG_NAME);
}

void ck__pip_elf_find(const struct ck__pip_reader *rd, uint64_t size, struct ck__pip_elf_sig *out)
{
	struct finder f = { .rd = rd, .size = size, .out = out };
	unsigned char eh[sizeof(Elf64_Ehdr)];

	memset(out, 0, sizeof(*out));
	if (size < SELFMAG)
		STOP(&f, CK__PIP_ELF_NOT_ELF, "shorter than the 4 bytes of \\x7fELF");
	if (!read_in(&f, 0, eh, SELFMAG))
		return;
	if (memcmp(eh, ELFMAG, SELFMAG) != 0)
		STOP(&f, CK__PIP_ELF_NOT_ELF, "not an ELF file");
	if (size < EI_NIDENT)
		STOP(&f, CK__PIP_ELF_BAD_ELF, "an ELF file of %" PRIu64 " bytes: e_ident alone is %d", size,
			    EI_NIDENT);
	if (!read_in(&f, 0, eh, EI_NIDENT))
		return;
	/* K20 is silent on ELF32 and big-endian files (it names Elf64_Shdr); PKM calls them unsigned; both are read here */
	if (eh[EI_CLASS] != ELFCLASS32 && eh[EI_CLASS] != ELFCLASS64)
		STOP(&f, CK__PIP_ELF_BAD_ELF, "e_ident[EI_CLASS] is %u, neither ELFCLASS32 nor ELFCLASS64",
			    eh[EI_CLASS]);
	if (eh[EI_DATA] != ELFDATA2LSB && eh[EI_DATA] != ELFDATA2MSB)
		STOP(&f, CK__PIP_ELF_BAD_ELF, "e_ident[EI_DATA] is %u, neither ELFDATA2LSB nor ELFDATA2MSB",
			    eh[EI_DATA]);
	/* as PKM; K20 is silent */
	if (eh[EI_VERSION] != EV_CURRENT)
		STOP(&f, CK__PIP_ELF_BAD_ELF, "e_ident[EI_VERSION] is %u, not EV_CURRENT", eh[EI_VERSION]);
	out->is64 = eh[EI_CLASS] == ELFCLASS64;
	out->big = eh[EI_DATA] == ELFDATA2MSB;
	size_t ehsize = out->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (size < ehsize)
		STOP(&f, CK__PIP_ELF_BAD_ELF, "an %s file of %" PRIu64 " bytes: its header alone is %zu",
			    class_name(out->is64), size, ehsize);
	if (!read_in(&f, 0, eh, ehsize))
		return;
	find_in_table(&f, eh);
}
