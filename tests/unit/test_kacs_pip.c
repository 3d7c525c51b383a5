/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PIP from signed binaries (K20 6-signing/1-binary-signing.md): real ELF
 * programs (ck-pip-target, natively and as i386, with the section from C or
 * from objcopy) and synthetic ELF files of both classes and byte orders,
 * signed with keys made here by OpenSSL, verified, tampered with and
 * verified again; the content hash held against sha256sum of a copy zeroed
 * by dd at the offset readelf gives; signatures held against `openssl
 * pkeyutl`; the xattr path (root); the size snapshot under a file that
 * changes while it is read (pread wrapped); the verification cache.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <clonekit/clonekit.h>
#include <clonekit/kacs.h>

#include "../run.h"
#include "../support.h"
#include "internal/static_libc.h"
#include "kacs/pip_cache.h"

/* ---- Helpers ----------------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ck-pip-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void remove_dir(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(pip, .init = make_dir, .fini = remove_dir, .timeout = 120);

static const char *in_dir(const char *name)
{
	static char paths[32][256]; /* a test holds at most 32 names at once */
	static unsigned next;
	char *p = paths[next++ % 32];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static const char *env_path(const char *var)
{
	const char *p = getenv(var);
	cr_assert(p && *p, "%s is not set (meson test sets it)", var);
	return p;
}

static void write_bytes(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static unsigned char *read_bytes(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	unsigned char *b = malloc((size_t)st.st_size + 1);
	cr_assert(b);
	cr_assert_eq(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	unsigned char *b = read_bytes(from, &len);
	write_bytes(to, b, len, 0755);
	free(b);
}

/* A key pair made by OpenSSL here, apart from the library's code. */
struct keypair {
	uint8_t seed[32], pub[32];
};

static void keygen(struct keypair *k)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	size_t n = 32, m = 32;
	cr_assert(c && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &pk) == 1);
	cr_assert(EVP_PKEY_get_raw_private_key(pk, k->seed, &n) == 1 && n == 32);
	cr_assert(EVP_PKEY_get_raw_public_key(pk, k->pub, &m) == 1 && m == 32);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(c);
}

static struct ck_kacs_pip_key key_of(const struct keypair *k, uint32_t type, uint32_t trust)
{
	struct ck_kacs_pip_key key = { .type = type, .trust = trust };
	memcpy(key.key, k->pub, 32);
	return key;
}

static struct ck_kacs_pip_result verify_path(const char *path, const struct ck_kacs_pip_key *keys, size_t n)
{
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(ck_kacs_pip_verify_fd(fd, keys, n, &res), 0);
	close(fd);
	if (res.status != CK_KACS_PIP_SIGNED)
		cr_assert(res.type == 0 && res.trust == 0 && res.key == -1, "unsigned, yet PIP %u/%u key %d", res.type,
			  res.trust, res.key);
	return res;
}

static int sign_path(const char *path, const struct keypair *k, unsigned flags, struct ck_kacs_error *err,
		     uint8_t hash[32])
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	int r = ck_kacs_pip_sign_fd(fd, k->seed, flags, hash, err);
	close(fd);
	return r;
}

static void sign_ok(const char *path, const struct keypair *k, unsigned flags)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	int r = sign_path(path, k, flags, &err, NULL);
	cr_assert_eq(r, 0, "signing %s: %s: %s", path, strerror(-r), err.message);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* readelf's view of .peios.sig: its type, offset and size (an ELF parser that is not ours). */
struct shown {
	unsigned index;
	char type[32];
	unsigned long long off, size;
};

static bool readelf_sig(const char *path, struct shown *s)
{
	char *out = ck_test_sh("readelf -S -W '%s'", path);
	char *line = strstr(out, "] .peios.sig ");
	bool found = false;
	if (line) {
		unsigned long long addr;
		char *open = line;
		while (open > out && *open != '[')
			open--;
		found = sscanf(open, "[%u] .peios.sig %31s %llx %llx %llx", &s->index, s->type, &addr, &s->off,
			       &s->size) == 5;
		cr_assert(found, "readelf line not understood: %.120s", open);
	}
	free(out);
	return found;
}

/* sha256sum of a copy of path with [off, off+len) zeroed by dd (len 0: nothing zeroed). */
static void sha256_zeroed(const char *path, unsigned long long off, unsigned long long len, char out[65])
{
	const char *copy = in_dir("sha-copy");
	char *o = ck_test_sh("cp '%s' '%s' && { [ %llu = 0 ] || dd if=/dev/zero of='%s' bs=1 seek=%llu count=%llu "
		     "conv=notrunc status=none; } && sha256sum '%s'",
		     path, copy, len, copy, off, len, copy);
	cr_assert(sscanf(o, "%64s", out) == 1);
	free(o);
}

static void flip_byte(const char *path, uint64_t off)
{
	unsigned char c;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x20;
	cr_assert_eq(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

static void put_byte(const char *path, uint64_t off, unsigned char c)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

/* ---- The key table ------------------------------------------------------------- */

#define HEX64 "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"

Test(pip, key_parse_reads_hex_type_names_and_trust)
{
	static const struct {
		const char *text;
		uint32_t type, trust;
	} ok[] = {
		{ HEX64 ":protected:8192", CK_KACS_PIP_PROTECTED, 8192 },
		{ HEX64 ":Isolated:0x10", CK_KACS_PIP_ISOLATED, 16 },
		{ HEX64 ":512:PeiosTcb", CK_KACS_PIP_PROTECTED, 8192 },
		{ HEX64 ":0x200:4294967295", CK_KACS_PIP_PROTECTED, UINT32_MAX },
		{ HEX64 ":7:0", 7, 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ck_kacs_pip_key k;
		struct ck_kacs_error err = { .size = sizeof(err) };
		char back[128];
		cr_assert_eq(ck_kacs_pip_key_parse(ok[i].text, &k, &err), 0, "%s: %s", ok[i].text, err.message);
		cr_assert_eq(k.type, ok[i].type, "%s", ok[i].text);
		cr_assert_eq(k.trust, ok[i].trust, "%s", ok[i].text);
		cr_assert_eq(k.key[0], 0x00);
		cr_assert_eq(k.key[1], 0x11);
		cr_assert_eq(k.key[31], 0xff);
		int n = ck_kacs_pip_key_format(&k, back, sizeof(back));
		cr_assert_eq(n, 64 + (int)strlen(back + 64));
		struct ck_kacs_pip_key again;
		cr_assert_eq(ck_kacs_pip_key_parse(back, &again, NULL), 0, "%s", back);
		cr_assert_eq(memcmp(&again, &k, sizeof(k)), 0, "format then parse of %s", ok[i].text);
	}
}

Test(pip, key_parse_refuses_with_the_column)
{
	static const struct {
		const char *text;
		size_t column;
		const char *message;
	} bad[] = {
		{ "", 0, "column 0: an Ed25519 public key is 64 hex digits, not 0" },
		{ "0011:protected:1", 4, "column 4: an Ed25519 public key is 64 hex digits, not 4" },
		{ HEX64 "00:protected:1", 64, "column 64: an Ed25519 public key is 64 hex digits, not 66" },
		{ "0g" HEX64, 1, "column 1: 'g' is not a hex digit" },
		{ HEX64, 64, "column 64: ':TYPE:TRUST' missing after the key" },
		{ HEX64 ":protected", 74, "column 74: ':TRUST' missing after the PIP type" },
		{ HEX64 ":guarded:1", 65, "column 65: PIP type 'guarded' is neither a 32-bit number" },
		{ HEX64 ":none:1", 65, "column 65: PIP type None protects nothing" },
		{ HEX64 ":0:1", 65, "column 65: PIP type None protects nothing" },
		{ HEX64 ":4294967296:1", 65, "column 65: PIP type '4294967296'" },
		{ HEX64 ":512:", 69, "column 69: trust '' is neither a number nor PeiosTcb" },
		{ HEX64 ":512:-1", 69, "column 69: trust '-1' is neither" },
		{ HEX64 ":512:4294967296", 69, "column 69: trust '4294967296' is above 4294967295" },
		{ HEX64 ":512:8192:", 69, "column 69: trust '8192:' is neither" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ck_kacs_pip_key k;
		struct ck_kacs_error err = { .size = sizeof(err) };
		cr_assert_eq(ck_kacs_pip_key_parse(bad[i].text, &k, &err), -EINVAL, "%s", bad[i].text);
		cr_assert_eq(err.offset, bad[i].column, "%s: offset %zu", bad[i].text, err.offset);
		cr_assert(strncmp(err.message, bad[i].message, strlen(bad[i].message)) == 0, "%s:\n  got  %s\n  want %s",
			  bad[i].text, err.message, bad[i].message);
	}
}

Test(pip, type_names_and_numbers)
{
	uint32_t t;
	cr_assert_str_eq(ck_kacs_pip_type_name(CK_KACS_PIP_NONE), "None");
	cr_assert_str_eq(ck_kacs_pip_type_name(CK_KACS_PIP_PROTECTED), "Protected");
	cr_assert_str_eq(ck_kacs_pip_type_name(CK_KACS_PIP_ISOLATED), "Isolated");
	cr_assert_null(ck_kacs_pip_type_name(513));
	cr_assert_eq(ck_kacs_pip_type_parse("PROTECTED", &t), 0);
	cr_assert_eq(t, 512u);
	cr_assert_eq(ck_kacs_pip_type_parse("0x400", &t), 0);
	cr_assert_eq(t, 1024u);
	cr_assert_eq(ck_kacs_pip_type_parse("protected ", &t), -EINVAL);
	cr_assert_str_eq(ck_kacs_pip_status_name(CK_KACS_PIP_SIGNED), "signed");
	cr_assert_str_eq(ck_kacs_pip_status_name(CK_KACS_PIP_UNREADABLE), "unreadable");
	cr_assert_str_eq(ck_kacs_pip_status_name((enum ck_kacs_pip_status)99), "?");
}

/* ---- Real programs ----------------------------------------------------------------- */

Test(pip, the_c_section_and_objcopys_are_progbits_of_65_bytes)
{
	struct shown s;
	cr_assert(readelf_sig(env_path("CK_PIP_TARGET"), &s));
	cr_assert_str_eq(s.type, "PROGBITS");
	cr_assert_eq(s.size, 65u);
	cr_assert_not(readelf_sig(env_path("CK_PIP_PLAIN"), &s), "ck-pip-plain has a .peios.sig section");
	const char *z = in_dir("zeros65"), *out = in_dir("added");
	free(ck_test_sh("head -c 65 /dev/zero >'%s' && objcopy --add-section .peios.sig='%s' '%s' '%s'", z, z,
		env_path("CK_PIP_PLAIN"), out));
	cr_assert(readelf_sig(out, &s));
	cr_assert_str_eq(s.type, "PROGBITS");
	cr_assert_eq(s.size, 65u);
}

/* Signs a copy of program and checks what verification gives, against readelf, dd and sha256sum. */
static void sign_and_verify_program(const char *program)
{
	struct keypair signer, other;
	keygen(&signer);
	keygen(&other);
	const char *f = in_dir("prog");
	copy_file(program, f);
	uint8_t signed_hash[32];
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(sign_path(f, &signer, 0, &err, signed_hash), 0, "%s", err.message);

	struct ck_kacs_pip_key keys[] = { key_of(&other, CK_KACS_PIP_ISOLATED, 100),
					  key_of(&signer, CK_KACS_PIP_PROTECTED, 8192) };
	struct ck_kacs_pip_result res = verify_path(f, keys, 2);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s", res.reason);
	cr_assert_eq(res.type, CK_KACS_PIP_PROTECTED);
	cr_assert_eq(res.trust, 8192u);
	cr_assert_eq(res.key, 1);
	cr_assert_eq(res.source, CK_KACS_PIP_FROM_ELF);
	cr_assert_str_eq(res.reason, "");
	cr_assert(res.hashed);
	cr_assert_eq(memcmp(res.hash, signed_hash, 32), 0);

	/* the section is where readelf says, and the hash is sha256sum of a copy zeroed there by dd */
	struct shown s;
	cr_assert(readelf_sig(f, &s));
	cr_assert_eq(res.sig_offset, s.off);
	char want[65], got[65];
	sha256_zeroed(f, s.off, s.size, want);
	hex(res.hash, 32, got);
	cr_assert_str_eq(got, want);

	/* the program still runs: the signature is data */
	char *out = ck_test_sh("'%s' </dev/null", f);
	cr_assert_str_eq(out, "ready\n");
	free(out);

	/* the first key of the table that verifies decides */
	struct ck_kacs_pip_key twice[] = { key_of(&signer, CK_KACS_PIP_ISOLATED, 7),
					   key_of(&signer, CK_KACS_PIP_PROTECTED, 8192) };
	res = verify_path(f, twice, 2);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED);
	cr_assert_eq(res.key, 0);
	cr_assert_eq(res.type, CK_KACS_PIP_ISOLATED);
	cr_assert_eq(res.trust, 7u);

	/* an unlisted key */
	res = verify_path(f, keys, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH);
	cr_assert_str_eq(res.reason, "signature does not verify with the key");
	struct ck_kacs_pip_key others[] = { keys[0], key_of(&other, CK_KACS_PIP_PROTECTED, 8192) };
	res = verify_path(f, others, 2);
	cr_assert_str_eq(res.reason, "signature does not verify with any of 2 keys");
	res = verify_path(f, NULL, 0);
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH);
	cr_assert_str_eq(res.reason, "no keys to verify the signature with");
}

Test(pip, a_signed_program_gets_its_keys_pip)
{
	sign_and_verify_program(env_path("CK_PIP_TARGET"));
}

Test(pip, an_i386_program_is_signed_and_verified_too)
{
	const char *p = getenv("CK_PIP_TARGET_I386");
	if (!p || !*p)
		ck_skip_or_fail("no i386 build of ck-pip-target: %s", getenv("CK_PIP_TARGET_I386_MISSING"));
	struct shown s;
	cr_assert(readelf_sig(p, &s));
	char *h = ck_test_sh("readelf -h '%s'", p);
	cr_assert(strstr(h, "ELF32"), "%s", h);
	free(h);
	sign_and_verify_program(p);
}

Test(pip, a_section_added_by_objcopy_is_signed_and_verified)
{
	const char *z = in_dir("zeros65"), *out = in_dir("added");
	free(ck_test_sh("head -c 65 /dev/zero >'%s' && objcopy --add-section .peios.sig='%s' '%s' '%s'", z, z,
		env_path("CK_PIP_PLAIN"), out));
	sign_and_verify_program(out);
}

/* Every byte outside the section is covered; inside, the signature is checked. */
Test(pip, any_byte_changed_makes_the_program_unsigned)
{
	struct keypair k;
	keygen(&k);
	const char *f = in_dir("prog");
	copy_file(env_path("CK_PIP_TARGET"), f);
	sign_ok(f, &k, 0);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	struct ck_kacs_pip_result res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s", res.reason);
	uint64_t sig = res.sig_offset, size = res.file_size;

	unsigned tried = 0;
	for (uint64_t off = 0; off < size; off += 13) {
		if (off >= sig && off < sig + 65)
			continue;
		flip_byte(f, off);
		res = verify_path(f, &key, 1);
		cr_assert_neq(res.status, CK_KACS_PIP_SIGNED, "byte %" PRIu64 " flipped, still signed", off);
		cr_assert_neq(res.reason[0], '\0');
		flip_byte(f, off);
		tried++;
	}
	cr_assert_gt(tried, 1000u);
	/* the signature itself: every byte; the version byte gets its own reason */
	for (uint64_t off = sig + 1; off < sig + 65; off++) {
		flip_byte(f, off);
		res = verify_path(f, &key, 1);
		cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH, "signature byte %" PRIu64 ": %s", off - sig, res.reason);
		flip_byte(f, off);
	}
	put_byte(f, sig, 0x02);
	res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_BAD_VERSION);
	cr_assert_str_eq(res.reason, "signature version 0x02 in the .peios.sig section, not 0x01");
	put_byte(f, sig, 0x01);
	cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);
}

Test(pip, a_section_of_64_or_66_bytes_leaves_the_program_unsigned)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (unsigned n = 64; n <= 66; n += 2) {
		const char *z = in_dir("blob"), *out = in_dir("odd");
		free(ck_test_sh("head -c %u /dev/zero >'%s' && objcopy --add-section .peios.sig='%s' '%s' '%s'", n, z, z,
			env_path("CK_PIP_PLAIN"), out));
		struct shown s;
		cr_assert(readelf_sig(out, &s));
		cr_assert_eq(s.size, n);
		struct ck_kacs_pip_result res = verify_path(out, &key, 1);
		cr_assert_eq(res.status, CK_KACS_PIP_BAD_SECTION, "%s", res.reason);
		cr_assert_eq(res.source, CK_KACS_PIP_FROM_ELF);
		char want[96];
		snprintf(want, sizeof(want), ".peios.sig (section %u) holds %u bytes, not 65", s.index, n);
		cr_assert_str_eq(res.reason, want);
		struct ck_kacs_error err = { .size = sizeof(err) };
		cr_assert_eq(sign_path(out, &k, 0, &err, NULL), -EINVAL);
		cr_assert_str_eq(err.message, want);
	}
}

/* ---- Synthetic ELF files: both classes, both byte orders, hostile headers ------------ */

/*
 * [0] the ELF header, .text at 0x100 (64 bytes), .peios.sig at 0x140 (65),
 * .shstrtab at 0x190, the section table at 0x200: NULL, .text, .peios.sig,
 * .shstrtab.
 */
struct elf_img {
	unsigned char b[0x200 + 4 * sizeof(Elf64_Shdr)];
	size_t len;
	bool is64, big;
};

enum { TEXT_OFF = 0x100, SIG_OFF = 0x140, STR_OFF = 0x190, SHOFF = 0x200, NSEC = 4 };
enum { SEC_TEXT = 1, SEC_SIG = 2, SEC_STR = 3 };
static const char STRTAB[] = "\0.text\0.peios.sig\0.shstrtab";
enum { NAME_TEXT = 1, NAME_SIG = 7, NAME_STR = 18 };

static void put(struct elf_img *im, size_t off, size_t width, uint64_t v)
{
	for (size_t i = 0; i < width; i++)
		im->b[off + (im->big ? width - 1 - i : i)] = (unsigned char)(v >> (8 * i));
}

#define EH(im, f) (im)->is64 ? offsetof(Elf64_Ehdr, f) : offsetof(Elf32_Ehdr, f), \
	(im)->is64 ? sizeof(((Elf64_Ehdr *)0)->f) : sizeof(((Elf32_Ehdr *)0)->f)
#define SHSIZE(im) ((im)->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr))
#define SH(im, i, f) SHOFF + (i) * SHSIZE(im) + ((im)->is64 ? offsetof(Elf64_Shdr, f) : offsetof(Elf32_Shdr, f)), \
	(im)->is64 ? sizeof(((Elf64_Shdr *)0)->f) : sizeof(((Elf32_Shdr *)0)->f)
#define set_eh(im, f, v) put((im), EH(im, f), (v))
#define set_sh(im, i, f, v) put((im), SH(im, i, f), (v))

static void build_elf(struct elf_img *im, bool is64, bool big)
{
	memset(im, 0, sizeof(*im));
	im->is64 = is64;
	im->big = big;
	im->len = SHOFF + NSEC * SHSIZE(im);
	memcpy(im->b, ELFMAG, SELFMAG);
	im->b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	im->b[EI_DATA] = big ? ELFDATA2MSB : ELFDATA2LSB;
	im->b[EI_VERSION] = EV_CURRENT;
	set_eh(im, e_type, ET_REL);
	set_eh(im, e_machine, EM_NONE);
	set_eh(im, e_version, EV_CURRENT);
	set_eh(im, e_shoff, SHOFF);
	set_eh(im, e_ehsize, is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr));
	set_eh(im, e_shentsize, SHSIZE(im));
	set_eh(im, e_shnum, NSEC);
	set_eh(im, e_shstrndx, SEC_STR);
	for (size_t i = 0; i < 64; i++)
		im->b[TEXT_OFF + i] = (unsigned char)(0x90 + i);
	im->b[SIG_OFF] = CK_KACS_PIP_SIG_VERSION;
	memcpy(im->b + STR_OFF, STRTAB, sizeof(STRTAB));
	static const struct {
		uint32_t name, type;
		uint64_t off, size;
	} sec[NSEC] = {
		{ 0, SHT_NULL, 0, 0 },
		{ NAME_TEXT, SHT_PROGBITS, TEXT_OFF, 64 },
		{ NAME_SIG, SHT_PROGBITS, SIG_OFF, 65 },
		{ NAME_STR, SHT_STRTAB, STR_OFF, sizeof(STRTAB) },
	};
	for (size_t i = 0; i < NSEC; i++) {
		set_sh(im, i, sh_name, sec[i].name);
		set_sh(im, i, sh_type, sec[i].type);
		set_sh(im, i, sh_offset, sec[i].off);
		set_sh(im, i, sh_size, sec[i].size);
		set_sh(im, i, sh_addralign, 1);
	}
}

static const struct {
	bool is64, big;
	const char *name;
} variants[] = {
	{ true, false, "ELF64 LSB" },
	{ true, true, "ELF64 MSB" },
	{ false, false, "ELF32 LSB" },
	{ false, true, "ELF32 MSB" },
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

Test(pip, synthetic_files_of_both_classes_and_byte_orders_are_signed_where_readelf_sees_the_section)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (size_t v = 0; v < NVARIANTS; v++) {
		struct elf_img im;
		build_elf(&im, variants[v].is64, variants[v].big);
		const char *f = in_dir("synth");
		write_bytes(f, im.b, im.len, 0644);
		struct shown s;
		cr_assert(readelf_sig(f, &s), "%s: readelf sees no .peios.sig", variants[v].name);
		cr_assert_eq(s.off, SIG_OFF, "%s", variants[v].name);
		cr_assert_eq(s.size, 65u);
		cr_assert_eq(s.index, SEC_SIG);
		sign_ok(f, &k, 0);
		struct ck_kacs_pip_result res = verify_path(f, &key, 1);
		cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s: %s", variants[v].name, res.reason);
		cr_assert_eq(res.sig_offset, SIG_OFF);
		char want[65], got[65];
		sha256_zeroed(f, SIG_OFF, 65, want);
		hex(res.hash, 32, got);
		cr_assert_str_eq(got, want, "%s", variants[v].name);
	}
}

/* Every byte of a signed file changed in turn, the section's and the headers' included: never signed. */
Test(pip, every_byte_of_a_synthetic_file_is_covered)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (size_t v = 0; v < NVARIANTS; v++) {
		struct elf_img im;
		build_elf(&im, variants[v].is64, variants[v].big);
		const char *f = in_dir("synth");
		write_bytes(f, im.b, im.len, 0644);
		sign_ok(f, &k, 0);
		cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);
		for (uint64_t off = 0; off < im.len; off++) {
			flip_byte(f, off);
			struct ck_kacs_pip_result res = verify_path(f, &key, 1);
			cr_assert_neq(res.status, CK_KACS_PIP_SIGNED, "%s: byte %" PRIu64 " changed, still signed",
				      variants[v].name, off);
			flip_byte(f, off);
		}
		cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);
	}
}

/* Every prefix of a file: never signed, and unsigned for the reason its length gives. */
Test(pip, every_truncation_is_unsigned_with_its_reason)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (size_t v = 0; v < NVARIANTS; v++) {
		struct elf_img im;
		build_elf(&im, variants[v].is64, variants[v].big);
		const char *f = in_dir("synth");
		write_bytes(f, im.b, im.len, 0644);
		sign_ok(f, &k, 0);
		size_t len;
		unsigned char *whole = read_bytes(f, &len);
		cr_assert_eq(len, im.len);
		size_t ehsize = im.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
		for (size_t n = 0; n < len; n++) {
			write_bytes(f, whole, n, 0644);
			struct ck_kacs_pip_result res = verify_path(f, &key, 1);
			if (n < SELFMAG) {
				cr_assert_eq(res.status, CK_KACS_PIP_NO_SIGNATURE, "%zu bytes: %s", n, res.reason);
				cr_assert_str_eq(res.reason, "not an ELF file and no security.peios.sig xattr");
			} else {
				cr_assert_eq(res.status, CK_KACS_PIP_BAD_ELF, "%s, %zu bytes: %s", variants[v].name, n,
					     res.reason);
				const char *want = n < EI_NIDENT ? "e_ident alone is 16"
						   : n < ehsize  ? "its header alone is"
								 : "the section header table (4 headers at offset 512) ends past";
				cr_assert(strstr(res.reason, want), "%zu bytes: %s", n, res.reason);
			}
		}
		write_bytes(f, whole, len, 0644);
		cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);
		free(whole);
	}
}

/* A header patched after signing: the status and the reason it gives. */
struct hostile {
	const char *what;
	void (*patch)(struct elf_img *im);
	enum ck_kacs_pip_status status;
	const char *reason; /* a part of it; %u is the section size in bytes (40 or 64) */
};

static void sig_past_eof(struct elf_img *im) { set_sh(im, SEC_SIG, sh_offset, im->len - 64); }
static void sig_off_overflows(struct elf_img *im)
{
	set_sh(im, SEC_SIG, sh_offset, (im->is64 ? UINT64_MAX : UINT32_MAX) - 10);
}
static void sig_64(struct elf_img *im) { set_sh(im, SEC_SIG, sh_size, 64); }
static void sig_66(struct elf_img *im) { set_sh(im, SEC_SIG, sh_size, 66); }
static void sig_nobits(struct elf_img *im) { set_sh(im, SEC_SIG, sh_type, SHT_NOBITS); }
static void strndx_past(struct elf_img *im) { set_eh(im, e_shstrndx, NSEC); }
static void strndx_undef(struct elf_img *im) { set_eh(im, e_shstrndx, SHN_UNDEF); }
static void strndx_xindex_bad(struct elf_img *im) { set_eh(im, e_shstrndx, SHN_XINDEX); set_sh(im, 0, sh_link, 77); }
static void shoff_past(struct elf_img *im) { set_eh(im, e_shoff, im->len - 1); }
static void shoff_overflows(struct elf_img *im) { set_eh(im, e_shoff, (im->is64 ? UINT64_MAX : UINT32_MAX) - 8); }
static void shoff_zero(struct elf_img *im) { set_eh(im, e_shoff, 0); }
static void entsize_wrong(struct elf_img *im) { set_eh(im, e_shentsize, SHSIZE(im) + 1); }
static void strtab_past(struct elf_img *im) { set_sh(im, SEC_STR, sh_offset, im->len); }
static void strtab_huge(struct elf_img *im) { set_sh(im, SEC_STR, sh_size, im->is64 ? UINT64_MAX : UINT32_MAX); }
static void name_past_strtab(struct elf_img *im) { set_sh(im, SEC_SIG, sh_name, sizeof(STRTAB)); }
static void name_unterminated(struct elf_img *im) { set_sh(im, SEC_STR, sh_size, NAME_SIG + 10); }
static void class_3(struct elf_img *im) { im->b[EI_CLASS] = 3; }
static void data_0(struct elf_img *im) { im->b[EI_DATA] = ELFDATANONE; }
static void version_0(struct elf_img *im) { im->b[EI_VERSION] = EV_NONE; }
static void count_overflows(struct elf_img *im)
{
	set_eh(im, e_shnum, 0);
	set_sh(im, 0, sh_size, im->is64 ? UINT64_MAX / 2 : UINT32_MAX);
}
static void empty_extended(struct elf_img *im) { set_eh(im, e_shnum, 0); }
static void first_of_two_is_bad(struct elf_img *im) { set_sh(im, SEC_TEXT, sh_name, NAME_SIG); }
static void sig_flags_changed(struct elf_img *im) { set_sh(im, SEC_SIG, sh_flags, SHF_ALLOC); }
static void text_changed(struct elf_img *im) { im->b[TEXT_OFF + 5] ^= 1; }

static const struct hostile hostile[] = {
	{ "section past EOF", sig_past_eof, CK_KACS_PIP_BAD_SECTION, ".peios.sig (section 2) at offset" },
	{ "sh_offset + sh_size overflows", sig_off_overflows, CK_KACS_PIP_BAD_SECTION, "ends past the file's" },
	{ "64-byte section", sig_64, CK_KACS_PIP_BAD_SECTION, ".peios.sig (section 2) holds 64 bytes, not 65" },
	{ "66-byte section", sig_66, CK_KACS_PIP_BAD_SECTION, ".peios.sig (section 2) holds 66 bytes, not 65" },
	{ "SHT_NOBITS", sig_nobits, CK_KACS_PIP_BAD_SECTION, ".peios.sig (section 2) is SHT_NOBITS, not SHT_PROGBITS" },
	{ "e_shstrndx past the table", strndx_past, CK_KACS_PIP_BAD_ELF, "e_shstrndx 4 is not a section (there are 4)" },
	{ "e_shstrndx SHN_UNDEF", strndx_undef, CK_KACS_PIP_BAD_ELF, "e_shstrndx is SHN_UNDEF" },
	{ "SHN_XINDEX to nowhere", strndx_xindex_bad, CK_KACS_PIP_BAD_ELF, "e_shstrndx 77 is not a section" },
	{ "e_shoff past EOF", shoff_past, CK_KACS_PIP_BAD_ELF, "the section header table (4 headers at offset" },
	{ "e_shoff overflows", shoff_overflows, CK_KACS_PIP_BAD_ELF, "ends past the file's" },
	{ "e_shentsize wrong", entsize_wrong, CK_KACS_PIP_BAD_ELF, "e_shentsize is" },
	{ "string table past EOF", strtab_past, CK_KACS_PIP_BAD_ELF, "the section-name string table (section 3" },
	{ "string table size huge", strtab_huge, CK_KACS_PIP_BAD_ELF, "the section-name string table (section 3" },
	{ "extended count overflows", count_overflows, CK_KACS_PIP_BAD_ELF, "headers at offset 512) ends past" },
	{ "EI_CLASS 3", class_3, CK_KACS_PIP_BAD_ELF, "e_ident[EI_CLASS] is 3" },
	{ "EI_DATA 0", data_0, CK_KACS_PIP_BAD_ELF, "e_ident[EI_DATA] is 0" },
	{ "EI_VERSION 0", version_0, CK_KACS_PIP_BAD_ELF, "e_ident[EI_VERSION] is 0" },
	{ "first .peios.sig is .text", first_of_two_is_bad, CK_KACS_PIP_BAD_SECTION, ".peios.sig (section 1) holds 64 bytes" },
	/* not found: the xattr path, which this file does not have */
	{ "name past the string table", name_past_strtab, CK_KACS_PIP_NO_SIGNATURE,
	  "no .peios.sig section and no security.peios.sig xattr" },
	{ "name without its NUL", name_unterminated, CK_KACS_PIP_NO_SIGNATURE, "no .peios.sig section and no" },
	{ "e_shoff 0", shoff_zero, CK_KACS_PIP_NO_SIGNATURE, "no .peios.sig section and no" },
	{ "e_shnum 0, none in section 0", empty_extended, CK_KACS_PIP_NO_SIGNATURE, "no .peios.sig section and no" },
	/* the section header of .peios.sig and every other byte are signed */
	{ "sh_flags of .peios.sig", sig_flags_changed, CK_KACS_PIP_NO_MATCH, "signature does not verify with the key" },
	{ ".text", text_changed, CK_KACS_PIP_NO_MATCH, "signature does not verify with the key" },
};

Test(pip, hostile_headers_leave_the_file_unsigned_with_the_reason)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (size_t v = 0; v < NVARIANTS; v++) {
		for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
			struct elf_img im;
			build_elf(&im, variants[v].is64, variants[v].big);
			const char *f = in_dir("synth");
			write_bytes(f, im.b, im.len, 0644);
			sign_ok(f, &k, 0);
			size_t len;
			unsigned char *b = read_bytes(f, &len);
			memcpy(im.b, b, len);
			free(b);
			hostile[h].patch(&im);
			write_bytes(f, im.b, im.len, 0644);
			struct ck_kacs_pip_result res = verify_path(f, &key, 1);
			cr_assert_eq(res.status, hostile[h].status, "%s, %s: %s (%s)", variants[v].name, hostile[h].what,
				     ck_kacs_pip_status_name(res.status), res.reason);
			cr_assert(strstr(res.reason, hostile[h].reason), "%s, %s:\n  got  %s\n  want %s", variants[v].name,
				  hostile[h].what, res.reason, hostile[h].reason);
		}
	}
}

/* gABI extended numbering: the count in section 0's sh_size, the string table's index in its sh_link. */
Test(pip, extended_section_numbering_is_followed)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (size_t v = 0; v < NVARIANTS; v++) {
		struct elf_img im;
		build_elf(&im, variants[v].is64, variants[v].big);
		set_eh(&im, e_shnum, 0);
		set_sh(&im, 0, sh_size, NSEC);
		set_eh(&im, e_shstrndx, SHN_XINDEX);
		set_sh(&im, 0, sh_link, SEC_STR);
		const char *f = in_dir("synth");
		write_bytes(f, im.b, im.len, 0644);
		sign_ok(f, &k, 0);
		struct ck_kacs_pip_result res = verify_path(f, &key, 1);
		cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s: %s", variants[v].name, res.reason);
		cr_assert_eq(res.sig_offset, SIG_OFF);
	}
}

/* ---- Where the result goes, and what the fd keeps ----------------------------------- */

Test(pip, the_result_struct_is_size_checked_and_the_fd_offset_kept)
{
	const char *f = in_dir("plain");
	write_bytes(f, "#!/bin/sh\n", 10, 0755);
	int fd = open(f, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(lseek(fd, 3, SEEK_SET), 3);
	struct {
		struct ck_kacs_pip_result r;
		char tail[16];
	} big;
	memset(&big, 0xa5, sizeof(big));
	big.r.size = sizeof(big);
	cr_assert_eq(ck_kacs_pip_verify_fd(fd, NULL, 0, &big.r), 0);
	cr_assert_eq(big.r.size, sizeof(big));
	cr_assert_eq(big.r.status, CK_KACS_PIP_NO_SIGNATURE);
	for (size_t i = 0; i < sizeof(big.tail); i++)
		cr_assert_eq(big.tail[i], 0);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 3);
	struct ck_kacs_pip_result small = { .size = offsetof(struct ck_kacs_pip_result, reason) };
	cr_assert_eq(ck_kacs_pip_verify_fd(fd, NULL, 0, &small), -EINVAL);
	cr_assert_eq(ck_kacs_pip_verify_fd(fd, NULL, 0, NULL), -EINVAL);
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	cr_assert_eq(ck_kacs_pip_verify_fd(fd, NULL, 1, &res), -EINVAL);
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH);
	close(fd);

	cr_assert_eq(ck_kacs_pip_verify_fd(fd, NULL, 0, &res), -EBADF);
	cr_assert_eq(res.status, CK_KACS_PIP_UNREADABLE);
	cr_assert_eq(res.err, EBADF);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_eq(ck_kacs_pip_verify_fd(d, NULL, 0, &res), 0);
	cr_assert_eq(res.status, CK_KACS_PIP_UNREADABLE);
	cr_assert_str_eq(res.reason, "not a regular file");
	close(d);
}

/* ---- Signing: what it refuses, and its signature against openssl ----------------------- */

Test(pip, signing_refuses_files_it_cannot_sign_and_says_how)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_error err = { .size = sizeof(err) };
	const char *plain = in_dir("plain");
	copy_file(env_path("CK_PIP_PLAIN"), plain);
	cr_assert_eq(sign_path(plain, &k, 0, &err, NULL), -ENODATA);
	cr_assert(strstr(err.message, "no .peios.sig section to write into") &&
			  strstr(err.message, "objcopy --add-section .peios.sig=z FILE") &&
			  strstr(err.message, "section(\".peios.sig\")"),
		  "%s", err.message);
	const char *script = in_dir("script");
	write_bytes(script, "#!/bin/sh\necho hi\n", 18, 0755);
	cr_assert_eq(sign_path(script, &k, 0, &err, NULL), -ENODATA);
	cr_assert(strstr(err.message, "not an ELF file") && strstr(err.message, "security.peios.sig xattr"), "%s",
		  err.message);

	const char *f = in_dir("prog");
	copy_file(env_path("CK_PIP_TARGET"), f);
	int ro = open(f, O_RDONLY | O_CLOEXEC);
	cr_assert_eq(ck_kacs_pip_sign_fd(ro, k.seed, 0, NULL, &err), -EBADF);
	cr_assert_str_eq(err.message, "the file is not open for writing");
	cr_assert_eq(ck_kacs_pip_sign_fd(ro, k.seed, 0x2, NULL, &err), -EINVAL);
	cr_assert_str_eq(err.message, "unknown flags 0x2");
	cr_assert_eq(ck_kacs_pip_sign_fd(ro, NULL, 0, NULL, &err), -EINVAL);
	close(ro);
	/* the section is read before the xattr, so signing the xattr would change nothing */
	cr_assert_eq(sign_path(f, &k, CK_KACS_PIP_SIGN_XATTR, &err, NULL), -EEXIST);
	cr_assert(strstr(err.message, "has a .peios.sig section, which verification reads instead"), "%s",
		  err.message);

	struct elf_img im;
	build_elf(&im, true, false);
	im.b[EI_VERSION] = 0;
	const char *bad = in_dir("bad");
	write_bytes(bad, im.b, im.len, 0644);
	cr_assert_eq(sign_path(bad, &k, 0, &err, NULL), -EINVAL);
	cr_assert_str_eq(err.message, "malformed ELF, which verification calls unsigned whatever it holds: "
				      "e_ident[EI_VERSION] is 0, not EV_CURRENT");
}

Test(pip, pem_keys_and_signatures_agree_with_openssl)
{
	const char *pem = in_dir("k.pem"), *pub = in_dir("pub.pem");
	free(ck_test_sh("openssl genpkey -algorithm ed25519 -out '%s' && openssl pkey -in '%s' -pubout -out '%s'", pem, pem,
		pub));
	uint8_t seed[32], p1[32], p2[32], p3[32];
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(ck_kacs_pip_pem_read(pem, seed, p1, &err), 0, "%s", err.message);
	cr_assert_eq(ck_kacs_pip_public_key(seed, p2), 0);
	cr_assert_eq(memcmp(p1, p2, 32), 0);
	cr_assert_eq(ck_kacs_pip_pem_read(pub, NULL, p3, &err), 0, "%s", err.message);
	cr_assert_eq(memcmp(p1, p3, 32), 0);
	char want[65], got[65];
	char *o = ck_test_sh("openssl pkey -pubin -in '%s' -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \\n'", pub);
	hex(p1, 32, got);
	cr_assert_str_eq(got, o);
	free(o);

	/* the blob the library writes verifies with openssl over the hash: plain Ed25519, not ph */
	const char *f = in_dir("prog");
	copy_file(env_path("CK_PIP_TARGET"), f);
	struct keypair k;
	memcpy(k.seed, seed, 32);
	uint8_t hash[32];
	cr_assert_eq(sign_path(f, &k, 0, &err, hash), 0, "%s", err.message);
	struct shown s;
	cr_assert(readelf_sig(f, &s));
	free(ck_test_sh("dd if='%s' of='%s' bs=1 skip=%llu count=64 status=none", f, in_dir("sig.bin"), s.off + 1));
	write_bytes(in_dir("hash.bin"), hash, 32, 0644);
	o = ck_test_sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s'", pub, in_dir("hash.bin"),
	       in_dir("sig.bin"));
	cr_assert(strstr(o, "Signature Verified Successfully"), "%s", o);
	free(o);
	sha256_zeroed(f, s.off, 65, want);
	hex(hash, 32, got);
	cr_assert_str_eq(got, want);

	/* and what openssl signs, the library verifies */
	free(ck_test_sh("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s' -out '%s'", pem, in_dir("hash.bin"),
		in_dir("osig.bin")));
	free(ck_test_sh("printf '\\001' | dd of='%s' bs=1 seek=%llu conv=notrunc status=none && dd if='%s' of='%s' bs=1 "
		"seek=%llu conv=notrunc status=none",
		f, s.off, in_dir("osig.bin"), f, s.off + 1));
	struct ck_kacs_pip_key key = { .type = CK_KACS_PIP_PROTECTED, .trust = 8192 };
	memcpy(key.key, p1, 32);
	cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);

	/* keys it refuses */
	cr_assert_eq(ck_kacs_pip_pem_read(pub, seed, p3, &err), -EINVAL);
	cr_assert(strstr(err.message, "a public key; signing needs the private key"), "%s", err.message);
	const char *rsa = in_dir("rsa.pem");
	free(ck_test_sh("openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out '%s' 2>/dev/null", rsa));
	cr_assert_eq(ck_kacs_pip_pem_read(rsa, seed, p3, &err), -EINVAL);
	cr_assert(strstr(err.message, "a RSA key, not Ed25519"), "%s", err.message);
	const char *enc = in_dir("enc.pem");
	free(ck_test_sh("openssl genpkey -algorithm ed25519 -aes-128-cbc -pass pass:x -out '%s'", enc));
	cr_assert_eq(ck_kacs_pip_pem_read(enc, seed, p3, &err), -EINVAL);
	cr_assert(strstr(err.message, "unencrypted"), "%s", err.message);
	cr_assert_eq(ck_kacs_pip_pem_read(in_dir("missing.pem"), seed, p3, &err), -ENOENT);
	cr_assert(strstr(err.message, "missing.pem: No such file or directory"), "%s", err.message);
	cr_assert_eq(ck_kacs_pip_pem_read(f, seed, p3, &err), -EINVAL);
	cr_assert(strstr(err.message, "no PEM key OpenSSL can read"), "%s", err.message);
	const char *fifo = in_dir("fifo");
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(ck_kacs_pip_pem_read(fifo, seed, p3, &err), -EINVAL);
	cr_assert(strstr(err.message, "fifo: not a regular file"), "%s", err.message);
}

/* ---- The xattr (root: security.* needs CAP_SYS_ADMIN), on tmpfs ------------------------- */

static char shm[64];

static void make_shm(void)
{
	snprintf(shm, sizeof(shm), "/dev/shm/ck-pip-XXXXXX");
	cr_assert(mkdtemp(shm), "mkdtemp: %s", strerror(errno));
	make_dir();
}

static void remove_shm(void)
{
	if (shm[0])
		nftw(shm, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	remove_dir();
}

TestSuite(pip_xattr, .init = make_shm, .fini = remove_shm, .timeout = 120);

static const char *in_shm(const char *name)
{
	static char paths[4][256];
	static unsigned next;
	char *p = paths[next++ % 4];
	snprintf(p, 256, "%s/%s", shm, name);
	return p;
}

static void need_root(void)
{
	if (geteuid() != 0)
		ck_skip_or_fail("setting security.* xattrs needs CAP_SYS_ADMIN: run as root");
}

Test(pip_xattr, a_script_signed_in_its_xattr_is_verified_and_hashed_whole)
{
	need_root();
	struct keypair k;
	keygen(&k);
	const char *f = in_shm("script");
	write_bytes(f, "#!/bin/sh\necho signed\n", 22, 0755);
	uint8_t hash[32];
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(sign_path(f, &k, CK_KACS_PIP_SIGN_XATTR, &err, hash), 0, "%s", err.message);
	cr_assert_eq(getxattr(f, CK_KACS_PIP_SIG_XATTR, NULL, 0), 65);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	struct ck_kacs_pip_result res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s", res.reason);
	cr_assert_eq(res.source, CK_KACS_PIP_FROM_XATTR);
	cr_assert_eq(res.type, CK_KACS_PIP_PROTECTED);
	cr_assert_eq(memcmp(res.hash, hash, 32), 0);
	char want[65], got[65];
	sha256_zeroed(f, 0, 0, want);
	hex(res.hash, 32, got);
	cr_assert_str_eq(got, want);

	flip_byte(f, 12);
	res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH, "%s", res.reason);
	flip_byte(f, 12);
	cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);

	uint8_t blob[66];
	cr_assert_eq(getxattr(f, CK_KACS_PIP_SIG_XATTR, blob, 65), 65);
	blob[0] = 0x00;
	cr_assert_eq(setxattr(f, CK_KACS_PIP_SIG_XATTR, blob, 65, 0), 0);
	res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_BAD_VERSION);
	cr_assert_str_eq(res.reason, "signature version 0x00 in the xattr, not 0x01");
	for (size_t n = 64; n <= 66; n += 2) {
		cr_assert_eq(setxattr(f, CK_KACS_PIP_SIG_XATTR, blob, n, 0), 0);
		res = verify_path(f, &key, 1);
		cr_assert_eq(res.status, CK_KACS_PIP_BAD_XATTR);
		char w[80];
		snprintf(w, sizeof(w), "the security.peios.sig xattr holds %zu bytes, not 65", n);
		cr_assert_str_eq(res.reason, w);
	}
}

Test(pip_xattr, an_elf_file_without_the_section_falls_back_to_the_xattr)
{
	need_root();
	struct keypair k;
	keygen(&k);
	const char *f = in_shm("plain");
	copy_file(env_path("CK_PIP_PLAIN"), f);
	sign_ok(f, &k, CK_KACS_PIP_SIGN_XATTR);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	struct ck_kacs_pip_result res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s", res.reason);
	cr_assert_eq(res.source, CK_KACS_PIP_FROM_XATTR);
	char want[65], got[65];
	sha256_zeroed(f, 0, 0, want);
	hex(res.hash, 32, got);
	cr_assert_str_eq(got, want, "an ELF file signed in its xattr is hashed whole");
}

/* Signs the whole-file hash of path into its xattr with OpenSSL here, past the library's refusal. */
static void xattr_sign_by_hand(const char *path, const struct keypair *k)
{
	size_t len;
	unsigned char *b = read_bytes(path, &len);
	uint8_t hash[32], blob[65] = { CK_KACS_PIP_SIG_VERSION };
	size_t siglen = 64;
	cr_assert(EVP_Digest(b, len, hash, NULL, EVP_sha256(), NULL) == 1);
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->seed, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	cr_assert(pk && md && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1);
	cr_assert(EVP_DigestSign(md, blob + 1, &siglen, hash, 32) == 1 && siglen == 64);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	free(b);
	cr_assert_eq(setxattr(path, CK_KACS_PIP_SIG_XATTR, blob, sizeof(blob), 0), 0, "%s", strerror(errno));
}

/* K20: once a section named .peios.sig is found the ELF path is committed: no fallback to a valid xattr. */
Test(pip_xattr, a_bad_section_is_not_rescued_by_a_valid_xattr)
{
	need_root();
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	const char *z = in_dir("z64"), *f = in_shm("bad");
	free(ck_test_sh("head -c 64 /dev/zero >'%s' && objcopy --add-section .peios.sig='%s' '%s' '%s'", z, z,
		env_path("CK_PIP_PLAIN"), f));
	xattr_sign_by_hand(f, &k);
	struct ck_kacs_pip_result res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_BAD_SECTION, "%s", res.reason);
	/* the same xattr signature on the same bytes, without a section, verifies: the refusal is the rule's */
	const char *g = in_shm("nosection");
	free(ck_test_sh("objcopy --remove-section .peios.sig '%s' '%s'", f, g));
	xattr_sign_by_hand(g, &k);
	cr_assert_eq(verify_path(g, &key, 1).status, CK_KACS_PIP_SIGNED);
	/* a malformed ELF header is as final */
	struct elf_img im;
	build_elf(&im, true, false);
	set_eh(&im, e_shstrndx, 9);
	write_bytes(f, im.b, im.len, 0644);
	xattr_sign_by_hand(f, &k);
	res = verify_path(f, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_BAD_ELF, "%s", res.reason);
	cr_assert_str_eq(res.reason, "malformed ELF: e_shstrndx 9 is not a section (there are 4)");
	/* and the signed section wins over a valid xattr of other content */
	const char *s = in_shm("both");
	copy_file(env_path("CK_PIP_TARGET"), s);
	xattr_sign_by_hand(s, &k);
	res = verify_path(s, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH, "%s", res.reason);
	sign_ok(s, &k, 0);
	res = verify_path(s, &key, 1);
	cr_assert_eq(res.source, CK_KACS_PIP_FROM_ELF);
}

Test(pip_xattr, signing_the_xattr_without_cap_sys_admin_is_eperm)
{
	need_root();
	struct keypair k;
	keygen(&k);
	const char *f = in_shm("script");
	write_bytes(f, "#!/bin/sh\n", 10, 0777);
	int fd = open(f, O_RDWR | O_CLOEXEC);
	cr_assert(fd >= 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct ck_kacs_error err = { .size = sizeof(err) };
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		int r = ck_kacs_pip_sign_fd(fd, k.seed, CK_KACS_PIP_SIGN_XATTR, NULL, &err);
		_exit(r == -EPERM && strcmp(err.message, "setting the security.peios.sig xattr needs CAP_SYS_ADMIN (root)") == 0
			      ? 0
			      : 11);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	close(fd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

/* ---- Scripts: the interpreter is what exec runs (K20 "Scripts and interpreters") ---------- */

Test(pip, a_script_gets_the_pip_of_its_interpreter)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	const char *interp = in_dir("interp"), *script = in_dir("script");
	copy_file(env_path("CK_PIP_TARGET"), interp);
	sign_ok(interp, &k, 0);
	char text[300];
	int n = snprintf(text, sizeof(text), "#!%s\n", interp);
	write_bytes(script, text, (size_t)n, 0755);
	cr_assert_eq(verify_path(script, &key, 1).status, CK_KACS_PIP_NO_SIGNATURE);

	/* what the supervisor reads at exec: /proc/PID/exe, the interpreter */
	int in[2], out[2];
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	struct ck_spawn_attr *attr = ck_spawn_attr_new();
	cr_assert(attr);
	cr_assert_eq(ck_spawn_attr_add_fd(attr, in[0], 0), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(attr, out[1], 1), 0);
	struct ck_child *child;
	struct ck_spawn_error err = { .size = sizeof(err) };
	char *argv[] = { (char *)script, NULL };
	cr_assert_eq(ck_spawn(&child, script, argv, NULL, attr, &err), 0, "%s", err.message);
	ck_spawn_attr_free(attr);
	close(in[0]);
	close(out[1]);
	char ready[8] = { 0 };
	cr_assert_eq(read(out[0], ready, 6), 6);
	cr_assert_str_eq(ready, "ready\n");
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)ck_spawn_pid(child));
	struct ck_kacs_pip_result res = verify_path(exe, &key, 1);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED, "%s", res.reason);
	cr_assert_eq(res.type, CK_KACS_PIP_PROTECTED);
	close(in[1]);
	int status;
	cr_assert_eq(ck_spawn_wait(child, &status), 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_spawn_free(child);
	close(out[0]);
}

/*
 * ---- A file that changes while it is read (-Wl,--wrap=pread64: with
 * _FILE_OFFSET_BITS=64, which meson sets, glibc's pread is pread64) ----
 */

ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off);

/* After the first read of a whole hashing chunk, change_fd is changed by change(). */
static int change_fd = -1;
static void (*change)(int fd);

ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = __real_pread64(fd, buf, n, off);
	if (change && fd == change_fd && n >= 65536) {
		void (*c)(int) = change;
		change = NULL;
		c(fd);
	}
	return r;
}

static void shrink(int fd)
{
	cr_assert_eq(ftruncate(fd, 300 * 1024), 0);
}
static void grow(int fd)
{
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(ftruncate(fd, st.st_size + 1), 0);
}
static void rewrite(int fd)
{
	cr_assert_eq(pwrite(fd, "x", 1, 600 * 1024), 1);
}

/* A signed program padded past 1 MiB, so that hashing takes several reads. */
static const char *big_signed(const struct keypair *k)
{
	const char *f = in_dir("big");
	copy_file(env_path("CK_PIP_TARGET"), f);
	int fd = open(f, O_RDWR | O_CLOEXEC);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(ftruncate(fd, st.st_size + 1024 * 1024), 0);
	close(fd);
	sign_ok(f, k, 0);
	return f;
}

Test(pip, a_file_changed_while_it_is_read_is_unsigned)
{
	static const struct {
		void (*change)(int fd);
		const char *reason; /* "": the sizes before and after */
	} changes[] = {
		{ shrink, "the file changed while it was read (it ended early)" },
		{ grow, "" },
		{ rewrite, "the file changed while it was read (its mtime changed)" },
	};
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		const char *f = big_signed(&k);
		cr_assert_eq(verify_path(f, &key, 1).status, CK_KACS_PIP_SIGNED);
		struct stat st;
		cr_assert_eq(stat(f, &st), 0);
		int fd = open(f, O_RDWR | O_CLOEXEC);
		change_fd = fd;
		change = changes[i].change;
		struct ck_kacs_pip_result res = { .size = sizeof(res) };
		cr_assert_eq(ck_kacs_pip_verify_fd(fd, &key, 1, &res), 0);
		cr_assert_null(change, "the file was never changed");
		close(fd);
		cr_assert_eq(res.status, CK_KACS_PIP_CHANGED, "%zu: %s", i, res.reason);
		char want[128];
		snprintf(want, sizeof(want), "the file changed while it was read (%llu bytes, then %llu)",
			 (unsigned long long)st.st_size, (unsigned long long)st.st_size + 1);
		if (changes[i].reason[0])
			snprintf(want, sizeof(want), "%s", changes[i].reason);
		cr_assert_str_eq(res.reason, want);
		cr_assert_eq(res.type, 0u);
	}
}

/* ---- The verification cache ---------------------------------------------------------------- */

static struct ck_kacs_pip_result cached(struct ck__pip_cache *c, const char *path, bool *hit)
{
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(ck__pip_cache_verify(c, fd, &res, hit), 0);
	close(fd);
	return res;
}

Test(pip, the_cache_answers_until_the_file_changes_and_stays_bounded)
{
	struct keypair k;
	keygen(&k);
	struct ck_kacs_pip_key key = key_of(&k, CK_KACS_PIP_PROTECTED, 8192);
	struct ck__pip_cache *c = ck__pip_cache_new(&key, 1, 8);
	cr_assert(c);
	cr_assert_eq(ck__pip_cache_capacity(c), 8u);
	const char *f = in_dir("prog");
	copy_file(env_path("CK_PIP_TARGET"), f);
	sign_ok(f, &k, 0);
	bool hit;
	struct ck_kacs_pip_result res = cached(c, f, &hit);
	cr_assert_not(hit);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED);
	res = cached(c, f, &hit);
	cr_assert(hit);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED);
	cr_assert_eq(res.trust, 8192u);
	cr_assert_eq(ck__pip_cache_count(c), 1u);

	/* a byte changed: the mtime and ctime move, the cache misses and sees the change */
	flip_byte(f, 100);
	res = cached(c, f, &hit);
	cr_assert_not(hit);
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH);
	flip_byte(f, 100);
	res = cached(c, f, &hit);
	cr_assert_not(hit);
	cr_assert_eq(res.status, CK_KACS_PIP_SIGNED);
	res = cached(c, f, &hit);
	cr_assert(hit);
	/* changed, then its mtime put back (utimensat): the ctime, which nobody sets, still moved */
	struct stat st;
	cr_assert_eq(stat(f, &st), 0);
	flip_byte(f, 100);
	struct timespec ts[2] = { { 0, UTIME_OMIT }, st.st_mtim };
	cr_assert_eq(utimensat(AT_FDCWD, f, ts, 0), 0);
	res = cached(c, f, &hit);
	cr_assert_not(hit, "a changed file with its old mtime got the cached answer");
	cr_assert_eq(res.status, CK_KACS_PIP_NO_MATCH);
	flip_byte(f, 100);

	/* a touch alone is a new state too */
	cr_assert_eq(utimensat(AT_FDCWD, f, NULL, 0), 0);
	res = cached(c, f, &hit);
	cr_assert_not(hit);

	/* bounded: 40 files in 8 entries; the last one stays */
	for (int i = 0; i < 40; i++) {
		char name[32];
		snprintf(name, sizeof(name), "s%d", i);
		const char *p = in_dir(name);
		write_bytes(p, name, strlen(name), 0644);
		res = cached(c, p, &hit);
		cr_assert_not(hit);
		cr_assert_eq(res.status, CK_KACS_PIP_NO_SIGNATURE);
		cr_assert_leq(ck__pip_cache_count(c), 8u);
		res = cached(c, p, &hit);
		cr_assert(hit, "file %d just verified is not remembered", i);
	}
	cr_assert_eq(ck__pip_cache_count(c), 8u);

	/* an answer about a file that changed while it was read is not kept */
	const char *b = big_signed(&k);
	int fd = open(b, O_RDWR | O_CLOEXEC);
	change_fd = fd;
	change = rewrite;
	struct ck_kacs_pip_result r2 = { .size = sizeof(r2) };
	cr_assert_eq(ck__pip_cache_verify(c, fd, &r2, &hit), 0);
	cr_assert_eq(r2.status, CK_KACS_PIP_CHANGED);
	cr_assert_eq(ck__pip_cache_verify(c, fd, &r2, &hit), 0);
	cr_assert_not(hit);
	cr_assert_eq(r2.status, CK_KACS_PIP_NO_MATCH, "%s", r2.reason);
	close(fd);
	ck__pip_cache_free(c);
	errno = 0;
	cr_assert_null(ck__pip_cache_new(NULL, 1, 8));
	cr_assert_eq(errno, EINVAL);
}

/* ---- clonekit kacs sign / verify ------------------------------------------------------------ */

TestSuite(pip_cli, .init = make_dir, .fini = remove_dir, .timeout = 120);

/* argv run with stdout and stderr merged; its output, and its exit status in *status. */
static char *run_merged(int *status, char **argv)
{
	struct ck_test_run_opts o = { .merge_stderr = true, .timeout_s = 60, .tee_fd = -1 };
	struct ck_test_run r;
	cr_assert_eq(ck_test_run(argv, &o, &r), 0);
	cr_assert(WIFEXITED(r.status), "status 0x%x", r.status);
	*status = WEXITSTATUS(r.status);
	return r.out;
}

/* Runs clonekit with args (NULL-terminated); its stdout and stderr together, and its exit status. */
static char *clonekit(int *status, ...)
{
	char *argv[24];
	size_t n = 0;
	va_list ap;
	argv[n++] = (char *)env_path("CLONEKIT_BIN");
	va_start(ap, status);
	for (char *a; (a = va_arg(ap, char *)) && n < 23;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return run_merged(status, argv);
}

#define EXPECT_CLI(want_status, want_out, ...)                                                      \
	do {                                                                                        \
		int st_;                                                                            \
		char *out_ = clonekit(&st_, __VA_ARGS__, (char *)NULL);                            \
		cr_assert_str_eq(out_, (want_out));                                                 \
		cr_assert_eq(st_, (want_status), "exit %d, want %d:\n%s", st_, (want_status), out_); \
		free(out_);                                                                         \
	} while (0)

Test(pip_cli, sign_then_verify_prints_the_pip_and_where)
{
	const char *pem = in_dir("k.pem"), *f = in_dir("prog"), *plain = in_dir("plain");
	free(ck_test_sh("openssl genpkey -algorithm ed25519 -out '%s'", pem));
	copy_file(env_path("CK_PIP_TARGET"), f);
	copy_file(env_path("CK_PIP_PLAIN"), plain);
	uint8_t pub[32];
	cr_assert_eq(ck_kacs_pip_pem_read(pem, NULL, pub, NULL), 0);
	char hexpub[65], key[128], other[128], line[512];
	hex(pub, 32, hexpub);
	snprintf(key, sizeof(key), "%s:protected:PeiosTcb", hexpub);
	snprintf(other, sizeof(other), "%s:isolated:1", HEX64);
	snprintf(line, sizeof(line), "%s\n", hexpub);
	EXPECT_CLI(0, line, "kacs", "sign", "--key", pem, "--print-public");
	snprintf(line, sizeof(line), "{\"public_key\":\"%s\"}\n", hexpub);
	EXPECT_CLI(0, line, "kacs", "sign", "--key", pem, "--print-public", "--json");

	struct shown s;
	cr_assert(readelf_sig(f, &s));
	snprintf(line, sizeof(line), "%s: signed in its .peios.sig section at offset %llu\n", f, s.off);
	EXPECT_CLI(0, line, "kacs", "sign", "--key", pem, f);
	snprintf(line, sizeof(line), "%s: Protected/8192 (key 2 of 2, .peios.sig section at offset %llu)\n", f, s.off);
	EXPECT_CLI(0, line, "kacs", "verify", "--pip-key", other, "--pip-key", key, f);
	struct ck_kacs_pip_key k;
	cr_assert_eq(ck_kacs_pip_key_parse(key, &k, NULL), 0);
	struct ck_kacs_pip_result res = verify_path(f, &k, 1);
	char hash[65];
	hex(res.hash, 32, hash);
	snprintf(line, sizeof(line),
		 "{\"file\":\"%s\",\"signed\":true,\"status\":\"signed\",\"pip_type\":512,\"pip_type_name\":\"Protected\","
		 "\"pip_trust\":8192,\"key\":0,\"source\":\"section\",\"sig_offset\":%llu,\"sha256\":\"%s\",\"reason\":null}\n",
		 f, s.off, hash);
	EXPECT_CLI(0, line, "kacs", "verify", "--json", "--pip-key", key, f);

	/* unsigned: exit 1, and why */
	snprintf(line, sizeof(line), "%s: unsigned: signature does not verify with the key\n", f);
	EXPECT_CLI(1, line, "kacs", "verify", "--pip-key", other, f);
	snprintf(line, sizeof(line),
		 "%s: Protected/8192 (key 1 of 1, .peios.sig section at offset %llu)\n"
		 "%s: unsigned: no .peios.sig section and no security.peios.sig xattr\n",
		 f, s.off, plain);
	EXPECT_CLI(1, line, "kacs", "verify", "--pip-key", key, f, plain);
	snprintf(line, sizeof(line),
		 "{\"file\":\"%s\",\"signed\":false,\"status\":\"no-signature\",\"pip_type\":0,\"pip_type_name\":\"None\","
		 "\"pip_trust\":0,\"key\":null,\"source\":null,\"sig_offset\":null,\"sha256\":null,"
		 "\"reason\":\"no .peios.sig section and no security.peios.sig xattr\"}\n",
		 plain);
	EXPECT_CLI(1, line, "kacs", "verify", "--pip-key", key, "--json", plain);

	/* a program without the section: exit 1, and how to add one */
	snprintf(line, sizeof(line),
		 "clonekit kacs sign: %s: no .peios.sig section to write into: add a 65-byte one (`head -c 65 /dev/zero "
		 ">z; objcopy --add-section .peios.sig=z FILE`, or in C `__attribute__((section(\".peios.sig\"), used)) "
		 "const unsigned char sig[65] = { 1 };`), or sign the xattr\n",
		 plain);
	EXPECT_CLI(1, line, "kacs", "sign", "--key", pem, plain);
}

/* The path of the libc.so.6 this process runs with, which the machine's loader picks. */
static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *slash = strrchr(info->dlpi_name, '/');
	if (!slash || strcmp(slash + 1, "libc.so.6") != 0)
		return 0;
	snprintf(data, PATH_MAX, "%s", info->dlpi_name);
	return 1;
}

/* Runs `sh -c script` with its positional parameters in a private mount namespace; output and status. */
static char *in_mount_ns(int *status, const char *script, char *const *params)
{
	char *argv[16] = { "/usr/bin/unshare", "--mount", "--propagation", "private", "sh", "-c", (char *)script, "sh" };
	size_t n = 8;
	for (; *params && n < 15; params++)
		argv[n++] = *params;
	argv[n] = NULL;
	return run_merged(status, argv);
}

/*
 * A static clonekit (meson -Dstatic_cli) loads libcrypto, and glibc's NSS
 * modules, beside the system's libc.so.6 only when it is the build clonekit
 * was linked with (lib/internal/static_libc.h). Here a copy of libc.so.6 that
 * differs in its build ID alone is bound over the real one in a private mount
 * namespace, as an upgrade of glibc leaves it: the static clonekit refuses to
 * sign and to look up --uid's group, naming both builds; a dynamic clonekit
 * signs with that libc.so.6 as with any other.
 */
Test(pip_cli, a_static_clonekit_loads_libcrypto_only_beside_its_own_libc)
{
	if (geteuid() != 0)
		ck_skip_or_fail("binding a libc.so.6 over the system's in a private mount namespace needs root");
	bool is_static = strcmp(env_path("CLONEKIT_STATIC"), "1") == 0;
	char libc[PATH_MAX] = "", id[129], other[129], line[2048];
	cr_assert_eq(dl_iterate_phdr(find_libc, libc), 1, "no libc.so.6 among this test's objects");
	cr_assert_eq(ck__elf_build_id(libc, id, sizeof(id)), 0, "%s has no build ID", libc);

	/* the copy: the same bytes but the build ID's first */
	const char *copy = in_dir("libc.so.6"), *pem = in_dir("k.pem"), *f = in_dir("prog");
	copy_file(libc, copy);
	FILE *c = fopen(copy, "r+b");
	cr_assert_not_null(c);
	cr_assert_eq(fseek(c, 0, SEEK_END), 0);
	size_t len = (size_t)ftell(c), idlen = strlen(id) / 2;
	unsigned char *bytes = malloc(len), raw[64];
	cr_assert_not_null(bytes);
	rewind(c);
	cr_assert_eq(fread(bytes, 1, len, c), len);
	for (size_t i = 0; i < idlen; i++)
		sscanf(id + 2 * i, "%2hhx", &raw[i]);
	unsigned char *at = memmem(bytes, len, raw, idlen);
	cr_assert_not_null(at, "the build ID %s is not in %s", id, libc);
	cr_assert_eq(fseek(c, at - bytes, SEEK_SET), 0);
	cr_assert_eq(fputc(raw[0] ^ 0xff, c), raw[0] ^ 0xff);
	cr_assert_eq(fclose(c), 0);
	free(bytes);
	cr_assert_eq(ck__elf_build_id(copy, other, sizeof(other)), 0);
	cr_assert_str_neq(other, id);

	free(ck_test_sh("openssl genpkey -algorithm ed25519 -out '%s'", pem));
	copy_file(env_path("CK_PIP_TARGET"), f);
	char *params[] = { (char *)copy, libc, (char *)env_path("CLONEKIT_BIN"), (char *)pem, (char *)f, NULL };
	int st;
	char *out = in_mount_ns(&st, "mount --bind \"$1\" \"$2\" && exec \"$3\" kacs sign --key \"$4\" \"$5\"", params);
	char why[1024];
	snprintf(why, sizeof(why),
		 "clonekit is linked statically with glibc build %.12s; %s is build %.12s: rebuild clonekit after a glibc "
		 "upgrade",
		 id, libc, other);
	if (is_static) {
		snprintf(line, sizeof(line), "clonekit kacs sign: --key %s: libcrypto cannot be loaded: %s\n", pem, why);
		cr_assert_str_eq(out, line);
		cr_assert_eq(st, 2, "exit %d:\n%s", st, out);
	} else {
		struct shown s;
		cr_assert(readelf_sig(f, &s));
		snprintf(line, sizeof(line), "%s: signed in its .peios.sig section at offset %llu\n", f, s.off);
		cr_assert_str_eq(out, line);
		cr_assert_eq(st, 0, "exit %d:\n%s", st, out);
	}
	free(out);
	if (is_static) {
		/* getpwuid of a uid /etc/passwd lacks would load libnss_systemd (nsswitch.conf: files systemd) */
		out = in_mount_ns(&st, "mount --bind \"$1\" \"$2\" && exec \"$3\" kacs run --uid 4242 -- /bin/true", params);
		snprintf(line, sizeof(line), "clonekit kacs run: --uid 4242: its group cannot be looked up: %s\n", why);
		cr_assert_str_eq(out, line);
		cr_assert_eq(st, 125, "exit %d:\n%s", st, out);
		free(out);
	}
}

Test(pip_cli, usage_errors_name_the_input)
{
	const char *pem = in_dir("k.pem"), *f = in_dir("prog");
	free(ck_test_sh("openssl genpkey -algorithm ed25519 -out '%s'", pem));
	copy_file(env_path("CK_PIP_TARGET"), f);
	char line[512], key[128];
	snprintf(key, sizeof(key), "%s:protected:8192", HEX64);
	EXPECT_CLI(2, "clonekit kacs verify: no --pip-key given: nothing to verify against\n"
		      "Try 'clonekit kacs verify --help'.\n",
		   "kacs", "verify", f);
	EXPECT_CLI(2, "clonekit kacs verify: --pip-key 'abc:1:1': column 3: an Ed25519 public key is 64 hex digits, not 3 "
		      "(HEX32:TYPE:TRUST)\nTry 'clonekit kacs verify --help'.\n",
		   "kacs", "verify", "--pip-key", "abc:1:1", f);
	EXPECT_CLI(2, "clonekit kacs verify: no FILE given\nTry 'clonekit kacs verify --help'.\n", "kacs", "verify",
		   "--pip-key", key);
	EXPECT_CLI(2, "clonekit kacs verify: /nonexistent/x: No such file or directory\n", "kacs", "verify", "--pip-key",
		   key, "/nonexistent/x");
	EXPECT_CLI(2, "clonekit kacs verify: unknown option '--pip-keys'; did you mean '--pip-key'?\n"
		      "Try 'clonekit kacs verify --help'.\n",
		   "kacs", "verify", "--pip-keys", key, f);
	EXPECT_CLI(2, "clonekit kacs sign: no --key KEY.pem given (openssl genpkey -algorithm ed25519 -out KEY.pem makes "
		      "one)\nTry 'clonekit kacs sign --help'.\n",
		   "kacs", "sign", f);
	snprintf(line, sizeof(line), "clonekit kacs sign: --print-public signs nothing, yet FILE '%s' was given\n"
				     "Try 'clonekit kacs sign --help'.\n", f);
	EXPECT_CLI(2, line, "kacs", "sign", "--key", pem, "--print-public", f);
	EXPECT_CLI(2, "clonekit kacs sign: --key /nonexistent/k.pem: No such file or directory\n", "kacs", "sign", "--key",
		   "/nonexistent/k.pem", f);
	snprintf(line, sizeof(line), "clonekit kacs sign: --key %s: no PEM key OpenSSL can read (an Ed25519 key as "
				     "`openssl genpkey -algorithm ed25519` writes it, unencrypted)\n", f);
	EXPECT_CLI(2, line, "kacs", "sign", "--key", f, f);
	EXPECT_CLI(2, "clonekit kacs sign: /nonexistent/x: No such file or directory\n", "kacs", "sign", "--key", pem,
		   "/nonexistent/x");
	int st;
	char *help = clonekit(&st, "kacs", "sign", "--help", (char *)NULL);
	cr_assert_eq(st, 0);
	cr_assert(strstr(help, "objcopy --add-section .peios.sig=z FILE"), "%s", help);
	free(help);
}

Test(pip_cli, sign_xattr_signs_a_script_as_root)
{
	if (geteuid() != 0)
		ck_skip_or_fail("setting security.* xattrs needs CAP_SYS_ADMIN: run as root");
	char d[64];
	snprintf(d, sizeof(d), "/dev/shm/ck-pip-cli-XXXXXX");
	cr_assert(mkdtemp(d));
	char f[128], pem[128], line[512], key[160];
	snprintf(f, sizeof(f), "%s/script", d);
	snprintf(pem, sizeof(pem), "%s/k.pem", dir);
	write_bytes(f, "#!/bin/sh\necho hi\n", 18, 0755);
	free(ck_test_sh("openssl genpkey -algorithm ed25519 -out '%s'", pem));
	uint8_t pub[32];
	cr_assert_eq(ck_kacs_pip_pem_read(pem, NULL, pub, NULL), 0);
	hex(pub, 32, key);
	strcat(key, ":1024:5");
	snprintf(line, sizeof(line), "%s: signed in its security.peios.sig xattr\n", f);
	EXPECT_CLI(0, line, "kacs", "sign", "--key", pem, "--xattr", f);
	snprintf(line, sizeof(line), "%s: Isolated/5 (key 1 of 1, security.peios.sig xattr)\n", f);
	EXPECT_CLI(0, line, "kacs", "verify", "--pip-key", key, f);
	unlink(f);
	rmdir(d);
}
