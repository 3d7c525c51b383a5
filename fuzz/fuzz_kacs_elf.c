/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The .peios.sig finder (lib/kacs/pip_elf.c) on hostile bytes, and PIP
 * verification (ck_kacs_pip_verify_fd) on the same bytes in a memfd.
 * Promises held:
 *   - the finder asks for no byte outside [0, size) (the reader aborts);
 *   - its answer is the one of an oracle written apart, below, that reads
 *     the buffer directly with 128-bit arithmetic (status, section, offset);
 *   - a reason for every answer but FOUND, NUL-terminated;
 *   - verification agrees: FOUND gives the ELF source and a version, key or
 *     success verdict, with the hash SHA-256 of the bytes with the 65 zeroed;
 *     BAD_* stay unsigned without the xattr; NOT_ELF and NO_SECTION end at
 *     the xattr a memfd does not have. Only a file signed with the key below
 *     (corpus: *-signed) can be SIGNED, and then with its PIP.
 */
#include <elf.h>
#include <errno.h>
#include <sys/mman.h>

#include <openssl/evp.h>

#include <clonekit/kacs.h>

#include "kacs/pip_elf.h"

#include "fuzz.h"

/* The public key of the Ed25519 seed 0x01 0x02 ... 0x20, which signed the *-signed seeds. */
static const uint8_t FUZZ_PUB[32] = {
	0x79, 0xb5, 0x56, 0x2e, 0x8f, 0xe6, 0x54, 0xf9, 0x40, 0x78, 0xb1, 0x12, 0xe8, 0xa9, 0x8b, 0xa7,
	0x90, 0x1f, 0x85, 0x3a, 0xe6, 0x95, 0xbe, 0xd7, 0xe0, 0xe3, 0x91, 0x0b, 0xad, 0x04, 0x96, 0x64,
};

static const uint8_t *cur;
static size_t cur_size;

static void show_input(void)
{
	fuzz_report("  input: %zu bytes:", cur_size);
	for (size_t i = 0; i < cur_size && i < 64; i++)
		fuzz_report(" %02x", cur[i]);
	fuzz_report("%s\n", cur_size > 64 ? " ..." : "");
}

#define CHECK(cond, ...)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fuzz_report("fuzz: %s:%d: broken: %s\n  ", __FILE__, __LINE__, #cond); \
			fuzz_report(__VA_ARGS__);                                              \
			fuzz_report("\n");                                                     \
			show_input();                                                          \
			abort();                                                               \
		}                                                                              \
	} while (0)

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	CHECK(off <= cur_size && len <= cur_size - off, "the finder read %zu bytes at %llu of a %zu-byte file", len,
	      (unsigned long long)off, cur_size);
	memcpy(buf, cur + off, len);
	return 0;
}

/* ---- The oracle: the same rules, read straight off the buffer ------------------------------------ */

typedef unsigned __int128 u128;

struct oracle {
	enum ck__pip_elf_status status;
	uint64_t index, offset;
};

static uint64_t rd(const uint8_t *p, size_t width, bool big)
{
	uint64_t v = 0;
	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[big ? i : width - 1 - i];
	return v;
}

static bool fits(u128 off, u128 len, size_t size)
{
	return off + len <= size;
}

static struct oracle oracle(const uint8_t *b, size_t size)
{
	struct oracle o = { .status = CK__PIP_ELF_BAD_ELF };

	if (size < 4 || memcmp(b, "\177ELF", 4) != 0)
		return (struct oracle){ .status = CK__PIP_ELF_NOT_ELF };
	if (size < 16 || (b[4] != 1 && b[4] != 2) || (b[5] != 1 && b[5] != 2) || b[6] != 1)
		return o;
	bool is64 = b[4] == 2, big = b[5] == 2;
	if (size < (is64 ? 64u : 52u))
		return o;
	/* Elf32_Ehdr / Elf64_Ehdr offsets, written out */
	uint64_t shoff = is64 ? rd(b + 40, 8, big) : rd(b + 32, 4, big);
	uint64_t entsize = rd(b + (is64 ? 58 : 46), 2, big);
	uint64_t shnum = rd(b + (is64 ? 60 : 48), 2, big);
	uint64_t strndx = rd(b + (is64 ? 62 : 50), 2, big);
	size_t es = is64 ? 64 : 40;
	/* Elf32_Shdr / Elf64_Shdr: name 0, type 4, offset 24|16, size 32|20, link 40|24 */
	size_t o_off = is64 ? 24 : 16, o_size = is64 ? 32 : 20, o_link = is64 ? 40 : 24, w = is64 ? 8 : 4;

	if (shoff == 0)
		return (struct oracle){ .status = CK__PIP_ELF_NO_SECTION };
	if (entsize != es)
		return o;
	if (shnum == 0 || strndx == 0xffff) {
		if (!fits(shoff, es, size))
			return o;
		const uint8_t *s0 = b + shoff;
		if (shnum == 0)
			shnum = rd(s0 + o_size, w, big);
		if (strndx == 0xffff)
			strndx = rd(s0 + o_link, 4, big);
		if (shnum == 0)
			return (struct oracle){ .status = CK__PIP_ELF_NO_SECTION };
	}
	if (!fits(shoff, (u128)shnum * es, size) || strndx == 0 || strndx >= shnum)
		return o;
	const uint8_t *st = b + shoff + strndx * es;
	uint64_t stroff = rd(st + o_off, w, big), strsize = rd(st + o_size, w, big);
	if (!fits(stroff, strsize, size))
		return o;
	for (uint64_t i = 0; i < shnum; i++) {
		const uint8_t *sh = b + shoff + i * es;
		uint64_t name = rd(sh, 4, big);
		if ((u128)name + 11 > strsize || memcmp(b + stroff + name, ".peios.sig", 11) != 0)
			continue;
		uint64_t off = rd(sh + o_off, w, big), sz = rd(sh + o_size, w, big);
		o.index = i;
		if (rd(sh + 4, 4, big) != SHT_PROGBITS || sz != 65 || !fits(off, sz, size))
			o.status = CK__PIP_ELF_BAD_SECTION;
		else
			o = (struct oracle){ .status = CK__PIP_ELF_FOUND, .index = i, .offset = off };
		return o;
	}
	return (struct oracle){ .status = CK__PIP_ELF_NO_SECTION };
}

/* ---- Verification on a memfd ------------------------------------------------------------------------ */

static void check_verify(const uint8_t *data, size_t size, const struct ck__pip_elf_sig *sig)
{
	static int fd = -1;
	if (fd < 0)
		fd = memfd_create("fuzz_kacs_elf", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size, "writing the memfd: %s",
	      strerror(errno));

	struct ck_kacs_pip_key key = { .type = CK_KACS_PIP_PROTECTED, .trust = 8192 };
	memcpy(key.key, FUZZ_PUB, sizeof(key.key));
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	CHECK(ck_kacs_pip_verify_fd(fd, &key, 1, &res) == 0, "verify failed");
	CHECK(memchr(res.reason, '\0', sizeof(res.reason)), "reason not terminated");
	CHECK(res.file_size == size, "snapshot %llu of %zu bytes", (unsigned long long)res.file_size, size);
	if (res.status == CK_KACS_PIP_SIGNED)
		CHECK(res.type == key.type && res.trust == key.trust && res.key == 0 && !res.reason[0], "signed oddly");
	else
		CHECK(res.type == 0 && res.trust == 0 && res.key == -1 && res.reason[0], "unsigned with PIP %u/%u",
		      res.type, res.trust);

	switch (sig->status) {
	case CK__PIP_ELF_FOUND: {
		CHECK(res.source == CK_KACS_PIP_FROM_ELF && res.sig_offset == sig->offset, "source %d", res.source);
		bool v1 = data[sig->offset] == CK_KACS_PIP_SIG_VERSION;
		CHECK(v1 ? res.status == CK_KACS_PIP_SIGNED || res.status == CK_KACS_PIP_NO_MATCH
			 : res.status == CK_KACS_PIP_BAD_VERSION,
		      "found, version 0x%02x, status %s", data[sig->offset], ck_kacs_pip_status_name(res.status));
		if (!v1)
			break;
		uint8_t *copy = malloc(size), want[32];
		CHECK(copy, "malloc");
		memcpy(copy, data, size);
		memset(copy + sig->offset, 0, 65);
		CHECK(EVP_Digest(copy, size, want, NULL, EVP_sha256(), NULL) == 1, "EVP_Digest");
		free(copy);
		CHECK(res.hashed && memcmp(res.hash, want, 32) == 0, "the hash is not SHA-256 with the section zeroed");
		break;
	}
	case CK__PIP_ELF_BAD_ELF:
		CHECK(res.status == CK_KACS_PIP_BAD_ELF, "bad ELF, status %s", ck_kacs_pip_status_name(res.status));
		break;
	case CK__PIP_ELF_BAD_SECTION:
		CHECK(res.status == CK_KACS_PIP_BAD_SECTION, "bad section, status %s",
		      ck_kacs_pip_status_name(res.status));
		break;
	case CK__PIP_ELF_NOT_ELF:
	case CK__PIP_ELF_NO_SECTION:
		CHECK(res.status == CK_KACS_PIP_NO_SIGNATURE, "no section, status %s (%s)",
		      ck_kacs_pip_status_name(res.status), res.reason);
		break;
	default:
		CHECK(false, "status %d", sig->status);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck__pip_elf_sig sig;
	struct ck__pip_reader rdr = { .read = mem_read };

	cur = data;
	cur_size = size;
	ck__pip_elf_find(&rdr, size, &sig);
	CHECK(sig.status <= CK__PIP_ELF_BAD_SECTION, "status %d from a reader that never fails", sig.status);
	CHECK(memchr(sig.reason, '\0', sizeof(sig.reason)), "reason not terminated");
	CHECK((sig.status == CK__PIP_ELF_FOUND) == (sig.reason[0] == '\0'), "status %d, reason '%s'", sig.status,
	      sig.reason);

	struct oracle o = oracle(data, size);
	CHECK(o.status == sig.status, "finder %d (%s), oracle %d", sig.status, sig.reason, o.status);
	if (o.status == CK__PIP_ELF_FOUND || o.status == CK__PIP_ELF_BAD_SECTION)
		CHECK(o.index == sig.index, "section %llu, oracle %llu", (unsigned long long)sig.index,
		      (unsigned long long)o.index);
	if (o.status == CK__PIP_ELF_FOUND)
		CHECK(o.offset == sig.offset && sig.offset + 65 <= size, "offset %llu, oracle %llu",
		      (unsigned long long)sig.offset, (unsigned long long)o.offset);

	check_verify(data, size, &sig);
	return 0;
}
