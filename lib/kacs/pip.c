/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PIP from signed binaries (K20 6-signing/1-binary-signing.md; unchanged in
 * K22 but for the revocation text): where the signature is, the content
 * hash, Ed25519 against the key table, and signing. SHA-256 and Ed25519 are
 * OpenSSL's libcrypto, loaded on first use (kacs/crypto.h); nothing here is
 * hand-written crypto.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <clonekit/kacs.h>

#include "internal/util.h"
#include "kacs/crypto.h"
#include "kacs/internal.h"
#include "kacs/pip_elf.h"
#include "kacs/pip_file.h"

#define ED25519_KEY 32
#define ED25519_SIG 64
#define SHA256_LEN 32

/* The size a result must have: every field this library writes. */
#define RESULT_MIN sizeof(struct ck_kacs_pip_result)

/* ---- Reading within the snapshot ------------------------------------------ */

/* Exactly len bytes at off; -ENODATA when the file ends first (it shrank after the snapshot). */
static int pread_exact(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ENODATA;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* The finder's reader over an fd: two windows, one for the section table, one for the names. */
#define WINDOW 4096
struct fd_reader {
	int fd;
	uint64_t size;
	unsigned next;
	struct {
		uint64_t off;
		size_t len;
		unsigned char buf[WINDOW];
	} win[2];
};

static int fd_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct fd_reader *r = ctx;

	if (len > WINDOW)
		return pread_exact(r->fd, buf, len, off);
	for (unsigned i = 0; i < 2; i++) {
		if (r->win[i].len && off >= r->win[i].off && off - r->win[i].off <= r->win[i].len &&
		    len <= r->win[i].len - (off - r->win[i].off)) {
			memcpy(buf, r->win[i].buf + (off - r->win[i].off), len);
			return 0;
		}
	}
	unsigned i = r->next;
	r->next ^= 1;
	size_t want = r->size - off < WINDOW ? (size_t)(r->size - off) : WINDOW;
	r->win[i].len = 0;
	int e = pread_exact(r->fd, r->win[i].buf, want, off);
	if (e < 0)
		return e;
	r->win[i].off = off;
	r->win[i].len = want;
	memcpy(buf, r->win[i].buf, len);
	return 0;
}

static void find_sig(int fd, uint64_t size, struct ck__pip_elf_sig *sig)
{
	struct fd_reader *r = malloc(sizeof(*r));

	if (!r) {
		memset(sig, 0, sizeof(*sig));
		sig->status = CK__PIP_ELF_READ_ERROR;
		sig->err = -ENOMEM;
		snprintf(sig->reason, sizeof(sig->reason), "out of memory");
		return;
	}
	r->fd = fd;
	r->size = size;
	r->next = 0;
	r->win[0].len = r->win[1].len = 0;
	struct ck__pip_reader rd = { .read = fd_read, .ctx = r };
	ck__pip_elf_find(&rd, size, sig);
	free(r);
}

int ck__pip_snapshot_fd(int fd, struct ck__pip_snapshot *s, mode_t *mode)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	s->dev = (uint64_t)st.st_dev;
	s->ino = (uint64_t)st.st_ino;
	s->size = st.st_size < 0 ? 0 : (uint64_t)st.st_size;
	s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	s->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	if (mode)
		*mode = st.st_mode;
	return 0;
}

bool ck__pip_snapshot_equal(const struct ck__pip_snapshot *a, const struct ck__pip_snapshot *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns;
}

/* ---- SHA-256 and Ed25519 (libcrypto) -------------------------------------- */

#define HASH_CHUNK (256 * 1024)

/*
 * SHA-256 of the file's bytes [0, size) with [zoff, zoff + zlen) read as
 * zeros (zlen 0: the whole file). 0, -ENODATA when the file ended early,
 * -ENOMEM, -ELIBACC (no libcrypto), or a read's -errno.
 */
static int hash_file(int fd, uint64_t size, uint64_t zoff, uint64_t zlen, uint8_t out[SHA256_LEN])
{
	const struct ck__ossl *o = ck__ossl();
	if (!o)
		return -ELIBACC;
	/* small files get a small buffer: a 256 KiB malloc is an mmap and its page faults */
	unsigned char *buf = malloc(size && size < HASH_CHUNK ? (size_t)size : HASH_CHUNK);
	EVP_MD_CTX *md = o->EVP_MD_CTX_new();
	int e = 0;

	if (!buf || !md || o->EVP_DigestInit_ex(md, o->EVP_sha256(), NULL) != 1) {
		e = -ENOMEM;
		goto out;
	}
	for (uint64_t pos = 0; pos < size;) {
		size_t n = size - pos < HASH_CHUNK ? (size_t)(size - pos) : HASH_CHUNK;
		e = pread_exact(fd, buf, n, pos);
		if (e < 0)
			goto out;
		uint64_t lo = pos > zoff ? pos : zoff;
		uint64_t hi = pos + n < zoff + zlen ? pos + n : zoff + zlen;
		if (zlen && lo < hi)
			memset(buf + (lo - pos), 0, (size_t)(hi - lo));
		if (o->EVP_DigestUpdate(md, buf, n) != 1) {
			e = -ENOMEM;
			goto out;
		}
		pos += n;
	}
	if (o->EVP_DigestFinal_ex(md, out, NULL) != 1)
		e = -ENOMEM;
out:
	o->EVP_MD_CTX_free(md);
	free(buf);
	o->ERR_clear_error();
	return e;
}

/* Plain Ed25519 (RFC 8032, not ph) of msg under pub: 1 verified, 0 not, -ENOMEM (called after hash_file loaded o). */
static int ed25519_verify(const struct ck__ossl *o, const uint8_t pub[ED25519_KEY], const uint8_t *sig,
			  const uint8_t msg[SHA256_LEN])
{
	EVP_PKEY *pk = o->EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_KEY);
	EVP_MD_CTX *md = o->EVP_MD_CTX_new();
	int r = -ENOMEM;

	if (pk && md && o->EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		r = o->EVP_DigestVerify(md, sig, ED25519_SIG, msg, SHA256_LEN) == 1;
	else if (md && !pk)
		r = 0; /* 32 bytes that are no key verify nothing */
	o->EVP_MD_CTX_free(md);
	o->EVP_PKEY_free(pk);
	o->ERR_clear_error();
	return r;
}

static int ed25519_sign(const struct ck__ossl *o, const uint8_t seed[ED25519_KEY], const uint8_t msg[SHA256_LEN],
			uint8_t sig[ED25519_SIG])
{
	EVP_PKEY *pk = o->EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, ED25519_KEY);
	EVP_MD_CTX *md = o->EVP_MD_CTX_new();
	size_t len = ED25519_SIG;
	int r = -ENOMEM;

	if (pk && md && o->EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
	    o->EVP_DigestSign(md, sig, &len, msg, SHA256_LEN) == 1 && len == ED25519_SIG)
		r = 0;
	o->EVP_MD_CTX_free(md);
	o->EVP_PKEY_free(pk);
	o->ERR_clear_error();
	return r;
}

int ck_kacs_pip_public_key(const uint8_t seed[32], uint8_t pub[32])
{
	const struct ck__ossl *o = ck__ossl();
	if (!seed || !pub)
		return -EINVAL;
	if (!o)
		return -ELIBACC;
	EVP_PKEY *pk = o->EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, ED25519_KEY);
	size_t len = ED25519_KEY;
	int r = pk && o->EVP_PKEY_get_raw_public_key(pk, pub, &len) == 1 && len == ED25519_KEY ? 0 : -ENOMEM;
	o->EVP_PKEY_free(pk);
	o->ERR_clear_error();
	return r;
}

/* ---- Verification --------------------------------------------------------- */

static void unsigned_because(struct ck_kacs_pip_result *res, enum ck_kacs_pip_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void unsigned_because(struct ck_kacs_pip_result *res, enum ck_kacs_pip_status status, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	res->type = res->trust = 0;
	res->key = -1;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* A read that failed: the file changed (it ended early), or the errno. */
static void read_failed(struct ck_kacs_pip_result *res, int e, const char *what)
{
	if (e == -ENODATA) {
		unsigned_because(res, CK_KACS_PIP_CHANGED, "the file changed while it was read (it ended early)");
		return;
	}
	res->err = -e;
	unsigned_because(res, CK_KACS_PIP_UNREADABLE, "%s failed: %s", what, strerror(-e));
}

/* The ELF answer: the blob in the section, or why there is none (committed: no xattr). */
static bool blob_from_elf(int fd, const struct ck__pip_elf_sig *sig, uint8_t blob[CK_KACS_PIP_SIG_SIZE],
			  struct ck_kacs_pip_result *res)
{
	switch (sig->status) {
	case CK__PIP_ELF_FOUND: {
		res->source = CK_KACS_PIP_FROM_ELF;
		res->sig_offset = sig->offset;
		int e = pread_exact(fd, blob, CK_KACS_PIP_SIG_SIZE, sig->offset);
		if (e < 0)
			read_failed(res, e, "reading the .peios.sig section");
		return e == 0;
	}
	case CK__PIP_ELF_BAD_ELF:
		unsigned_because(res, CK_KACS_PIP_BAD_ELF, "malformed ELF: %s", sig->reason);
		return false;
	case CK__PIP_ELF_BAD_SECTION:
		res->source = CK_KACS_PIP_FROM_ELF;
		unsigned_because(res, CK_KACS_PIP_BAD_SECTION, "%s", sig->reason);
		return false;
	case CK__PIP_ELF_READ_ERROR:
		read_failed(res, sig->err, "reading the ELF headers");
		return false;
	default:
		return false;
	}
}

/* The xattr's blob, or why there is none. elf says what the ELF search found, for the reason. */
static bool blob_from_xattr(int fd, const struct ck__pip_elf_sig *sig, uint8_t blob[CK_KACS_PIP_SIG_SIZE],
			    struct ck_kacs_pip_result *res)
{
	const char *elf = sig->status == CK__PIP_ELF_NOT_ELF ? "not an ELF file" : "no .peios.sig section";
	uint8_t buf[CK_KACS_PIP_SIG_SIZE + 1];
	ssize_t n = fgetxattr(fd, CK_KACS_PIP_SIG_XATTR, buf, sizeof(buf));

	if (n < 0 && errno == ERANGE)
		n = fgetxattr(fd, CK_KACS_PIP_SIG_XATTR, NULL, 0); /* longer than 65: say how long */
	if (n < 0) {
		if (errno == ENODATA || errno == ENOTSUP) {
			unsigned_because(res, CK_KACS_PIP_NO_SIGNATURE, "%s and no %s xattr%s", elf,
					 CK_KACS_PIP_SIG_XATTR,
					 errno == ENOTSUP ? " (the filesystem has no xattrs)" : "");
		} else {
			res->err = errno;
			unsigned_because(res, CK_KACS_PIP_UNREADABLE, "%s, and reading the %s xattr failed: %s", elf,
					 CK_KACS_PIP_SIG_XATTR, strerror(errno));
		}
		return false;
	}
	res->source = CK_KACS_PIP_FROM_XATTR;
	if ((size_t)n != CK_KACS_PIP_SIG_SIZE) {
		unsigned_because(res, CK_KACS_PIP_BAD_XATTR, "the %s xattr holds %zd bytes, not %u",
				 CK_KACS_PIP_SIG_XATTR, n, CK_KACS_PIP_SIG_SIZE);
		return false;
	}
	memcpy(blob, buf, CK_KACS_PIP_SIG_SIZE);
	return true;
}

static void no_match(struct ck_kacs_pip_result *res, size_t n)
{
	if (n == 0)
		unsigned_because(res, CK_KACS_PIP_NO_MATCH, "no keys to verify the signature with");
	else if (n == 1)
		unsigned_because(res, CK_KACS_PIP_NO_MATCH, "signature does not verify with the key");
	else
		unsigned_because(res, CK_KACS_PIP_NO_MATCH, "signature does not verify with any of %zu keys", n);
}

/* From the blob on: version, hash, keys in order. */
static void verify_blob(int fd, const uint8_t blob[CK_KACS_PIP_SIG_SIZE], const struct ck_kacs_pip_key *keys,
			size_t n, struct ck_kacs_pip_result *res)
{
	const char *where = res->source == CK_KACS_PIP_FROM_ELF ? "the .peios.sig section" : "the xattr";

	if (blob[0] != CK_KACS_PIP_SIG_VERSION) {
		unsigned_because(res, CK_KACS_PIP_BAD_VERSION, "signature version 0x%02x in %s, not 0x%02x", blob[0],
				 where, CK_KACS_PIP_SIG_VERSION);
		return;
	}
	bool elf = res->source == CK_KACS_PIP_FROM_ELF;
	int e = hash_file(fd, res->file_size, elf ? res->sig_offset : 0, elf ? CK_KACS_PIP_SIG_SIZE : 0, res->hash);
	if (e == -ELIBACC) {
		res->err = ELIBACC;
		unsigned_because(res, CK_KACS_PIP_UNREADABLE, "libcrypto cannot be loaded: %s", ck__ossl_error());
		return;
	}
	if (e < 0) {
		read_failed(res, e, "hashing the file");
		return;
	}
	res->hashed = true;
	for (size_t i = 0; i < n; i++) {
		int r = ed25519_verify(ck__ossl(), keys[i].key, blob + 1, res->hash);
		if (r < 0) {
			res->err = ENOMEM;
			unsigned_because(res, CK_KACS_PIP_UNREADABLE, "out of memory while verifying");
			return;
		}
		if (r) {
			res->status = CK_KACS_PIP_SIGNED;
			res->type = keys[i].type;
			res->trust = keys[i].trust;
			res->key = (int)i;
			res->reason[0] = '\0';
			return;
		}
	}
	no_match(res, n);
}

int ck__pip_verify(int fd, const struct ck_kacs_pip_key *keys, size_t n, struct ck_kacs_pip_result *res,
		   struct ck__pip_snapshot *snap, bool *valid)
{
	struct ck__pip_snapshot end;
	uint8_t blob[CK_KACS_PIP_SIG_SIZE];
	mode_t mode;

	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	res->key = -1;
	*valid = false;
	int e = ck__pip_snapshot_fd(fd, snap, &mode);
	if (e < 0) {
		res->err = -e;
		unsigned_because(res, CK_KACS_PIP_UNREADABLE, "fstat failed: %s", strerror(-e));
		return e;
	}
	res->file_size = snap->size;
	if (!S_ISREG(mode)) {
		unsigned_because(res, CK_KACS_PIP_UNREADABLE, "not a regular file");
		*valid = true;
		return 0;
	}

	struct ck__pip_elf_sig sig;
	find_sig(fd, snap->size, &sig);
	bool have = sig.status == CK__PIP_ELF_NOT_ELF || sig.status == CK__PIP_ELF_NO_SECTION
			    ? blob_from_xattr(fd, &sig, blob, res)
			    : blob_from_elf(fd, &sig, blob, res);
	if (have)
		verify_blob(fd, blob, keys, n, res);

	e = ck__pip_snapshot_fd(fd, &end, NULL);
	if (res->status == CK_KACS_PIP_CHANGED) {
		/* already seen in a read that ended early */
	} else if (e < 0) {
		res->err = -e;
		unsigned_because(res, CK_KACS_PIP_UNREADABLE, "fstat failed: %s", strerror(-e));
	} else if (end.size != snap->size) {
		/* K20 "Stable verification snapshot": the size at return must be the size read */
		unsigned_because(res, CK_KACS_PIP_CHANGED,
				 "the file changed while it was read (%" PRIu64 " bytes, then %" PRIu64 ")", snap->size,
				 end.size);
	} else if (!ck__pip_snapshot_equal(&end, snap)) {
		/* stricter than K20, which pins the inode instead: a same-size rewrite changes mtime or ctime */
		unsigned_because(res, CK_KACS_PIP_CHANGED, "the file changed while it was read (its %s changed)",
				 end.mtime_ns != snap->mtime_ns ? "mtime" : "ctime");
	}
	*valid = res->status != CK_KACS_PIP_CHANGED && res->status != CK_KACS_PIP_UNREADABLE;
	return 0;
}

int ck_kacs_pip_verify_fd(int fd, const struct ck_kacs_pip_key *keys, size_t n, struct ck_kacs_pip_result *res)
{
	struct ck_kacs_pip_result mine;
	struct ck__pip_snapshot snap;
	bool valid;
	int r;

	if (!res)
		return -EINVAL;
	if (n && !keys) {
		memset(&mine, 0, sizeof(mine));
		mine.key = -1;
		unsigned_because(&mine, CK_KACS_PIP_NO_MATCH, "no key table (keys is NULL)");
		r = -EINVAL;
	} else {
		r = ck__pip_verify(fd, keys, n, &mine, &snap, &valid);
	}
	if (ck__opts_copy_out(res, res->size, &mine, sizeof(mine), RESULT_MIN) < 0)
		return -EINVAL;
	return r;
}

const char *ck_kacs_pip_status_name(enum ck_kacs_pip_status s)
{
	static const char *const names[] = {
		[CK_KACS_PIP_SIGNED] = "signed",
		[CK_KACS_PIP_NO_SIGNATURE] = "no-signature",
		[CK_KACS_PIP_BAD_ELF] = "bad-elf",
		[CK_KACS_PIP_BAD_SECTION] = "bad-section",
		[CK_KACS_PIP_BAD_XATTR] = "bad-xattr",
		[CK_KACS_PIP_BAD_VERSION] = "bad-version",
		[CK_KACS_PIP_NO_MATCH] = "no-match",
		[CK_KACS_PIP_CHANGED] = "changed",
		[CK_KACS_PIP_UNREADABLE] = "unreadable",
	};

	if ((unsigned)s >= CK_ARRAY_SIZE(names) || !names[s])
		return "?";
	return names[s];
}

/* ---- The key table --------------------------------------------------------- */

static const struct {
	const char *name;
	uint32_t type;
} pip_types[] = {
	{ "None", CK_KACS_PIP_NONE },
	{ "Protected", CK_KACS_PIP_PROTECTED },
	{ "Isolated", CK_KACS_PIP_ISOLATED },
};

/* K20 6-signing/1-binary-signing.md "Key model": the TCB key's trust tier. */
#define PIP_TRUST_PEIOS_TCB 8192u

const char *ck_kacs_pip_type_name(uint32_t type)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(pip_types); i++)
		if (pip_types[i].type == type)
			return pip_types[i].name;
	return NULL;
}

static int type_parse_n(const char *s, size_t n, uint32_t *out)
{
	uint64_t v;

	for (size_t i = 0; i < CK_ARRAY_SIZE(pip_types); i++) {
		if (strlen(pip_types[i].name) == n && ck__strn_ieq(pip_types[i].name, s, n)) {
			*out = pip_types[i].type;
			return 0;
		}
	}
	if (ck__parse_u64n(s, n, 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ck_kacs_pip_type_parse(const char *text, uint32_t *out)
{
	if (!text || !out)
		return -EINVAL;
	return type_parse_n(text, strlen(text), out);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A whole-input error (a file, a key file): no offset in the message. */
#define fail(err, e, ...) ck__kacs_fail((err), (e), NULL, 0, __VA_ARGS__)

int ck_kacs_pip_key_parse(const char *text, struct ck_kacs_pip_key *out, struct ck_kacs_error *err)
{
	struct ck_kacs_pip_key k;
	uint64_t trust;

	if (!text || !out)
		return fail(err, EINVAL, "no key text");
	const char *c1 = strchr(text, ':');
	size_t hexlen = c1 ? (size_t)(c1 - text) : strlen(text);
	for (size_t i = 0; i < hexlen && i < 2 * sizeof(k.key); i++) {
		int hi = hex_value(text[i]);
		if (hi < 0)
			return CK__KACS_TXT(err, i, "'%c' is not a hex digit (HEX32:TYPE:TRUST)", text[i]);
		if (i % 2 == 0)
			k.key[i / 2] = (uint8_t)(hi << 4);
		else
			k.key[i / 2] |= (uint8_t)hi;
	}
	if (hexlen != 2 * sizeof(k.key))
		return CK__KACS_TXT(err, hexlen < 2 * sizeof(k.key) ? hexlen : 2 * sizeof(k.key),
				"an Ed25519 public key is 64 hex digits, not %zu (HEX32:TYPE:TRUST)", hexlen);
	if (!c1)
		return CK__KACS_TXT(err, hexlen, "':TYPE:TRUST' missing after the key");
	const char *t = c1 + 1, *c2 = strchr(t, ':');
	size_t tcol = (size_t)(t - text);
	if (!c2)
		return CK__KACS_TXT(err, strlen(text), "':TRUST' missing after the PIP type");
	if (type_parse_n(t, (size_t)(c2 - t), &k.type) < 0)
		return CK__KACS_TXT(err, tcol, "PIP type '%.*s' is neither a 32-bit number nor none, protected or isolated",
				(int)(c2 - t), t);
	if (k.type == CK_KACS_PIP_NONE)
		return CK__KACS_TXT(err, tcol, "PIP type None protects nothing: a key gives protected (512), "
					   "isolated (1024) or another type above 0");
	const char *s = c2 + 1;
	size_t scol = (size_t)(s - text), slen = strlen(s);
	if (slen == 8 && ck__strn_ieq("PeiosTcb", s, slen)) {
		trust = PIP_TRUST_PEIOS_TCB;
	} else {
		int r = ck__parse_u64n(s, slen, 0, UINT32_MAX, &trust);
		if (r == -ERANGE)
			return CK__KACS_TXT(err, scol, "trust '%s' is above 4294967295", s);
		if (r < 0)
			return CK__KACS_TXT(err, scol, "trust '%s' is neither a number nor PeiosTcb", s);
	}
	k.trust = (uint32_t)trust;
	*out = k;
	return 0;
}

int ck_kacs_pip_key_format(const struct ck_kacs_pip_key *key, char *buf, size_t len)
{
	size_t pos = 0;

	if (!key || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(key->key); i++)
		ck__buf_append(buf, len, &pos, "%02x", key->key[i]);
	ck__buf_append(buf, len, &pos, ":%" PRIu32 ":%" PRIu32, key->type, key->trust);
	return (int)pos;
}

/* ---- PEM keys ---------------------------------------------------------------- */

#define PEM_MAX (64 * 1024)

/* OpenSSL's passphrase callback: never prompt (a library has no terminal); encrypted keys fail. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int pem_text(const char *path, char *buf, size_t *len, struct ck_kacs_error *err)
{
	/* O_NONBLOCK: a FIFO named as the key must not hang the open */
	int fd CK_AUTO_CLOSE = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	size_t n = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return fail(err, errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, EINVAL, "%s: not a regular file", path);
	for (;;) {
		ssize_t r = read(fd, buf + n, PEM_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(err, errno, "%s: %s", path, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == PEM_MAX)
			return fail(err, EFBIG, "%s: larger than %d KiB, which no PEM key is", path, PEM_MAX / 1024);
	}
	*len = n;
	return 0;
}

/* The key a PEM holds: private first, else public (*is_private says which). */
static EVP_PKEY *pem_key(const struct ck__ossl *o, const char *text, size_t len, bool *is_private)
{
	BIO *bio = o->BIO_new_mem_buf(text, (int)len);
	EVP_PKEY *pk = NULL;

	if (!bio)
		return NULL;
	pk = o->PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	*is_private = pk != NULL;
	/* BIO_reset(bio), which is a macro over BIO_ctrl */
	if (!pk && o->BIO_ctrl(bio, BIO_CTRL_RESET, 0, NULL) == 1)
		pk = o->PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	o->BIO_free(bio);
	return pk;
}

int ck_kacs_pip_pem_read(const char *path, uint8_t seed[32], uint8_t pub[32], struct ck_kacs_error *err)
{
	char *text;
	size_t len = 0, klen = ED25519_KEY;
	bool is_private = false;
	int r;

	if (!path || !pub)
		return fail(err, EINVAL, "no key file or no room for the public key");
	const struct ck__ossl *o = ck__ossl();
	if (!o)
		return fail(err, ELIBACC, "%s: libcrypto cannot be loaded: %s", path, ck__ossl_error());
	text = malloc(PEM_MAX);
	if (!text)
		return fail(err, ENOMEM, "%s: out of memory", path);
	r = pem_text(path, text, &len, err);
	EVP_PKEY *pk = r < 0 ? NULL : pem_key(o, text, len, &is_private);
	explicit_bzero(text, PEM_MAX);
	free(text);
	if (r < 0)
		return r;
	if (!pk) {
		o->ERR_clear_error();
		return fail(err, EINVAL,
			    "%s: no PEM key OpenSSL can read (an Ed25519 key as `openssl genpkey -algorithm ed25519` "
			    "writes it, unencrypted)",
			    path);
	}
	if (o->EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		const char *type = o->EVP_PKEY_get0_type_name(pk);
		r = fail(err, EINVAL, "%s: a %s key, not Ed25519 (make one with `openssl genpkey -algorithm ed25519`)",
			 path, type ? type : "non-Ed25519");
	} else if (seed && !is_private) {
		r = fail(err, EINVAL, "%s: a public key; signing needs the private key", path);
	} else if (o->EVP_PKEY_get_raw_public_key(pk, pub, &klen) != 1 || klen != ED25519_KEY ||
		   (seed && (o->EVP_PKEY_get_raw_private_key(pk, seed, &(size_t){ ED25519_KEY }) != 1))) {
		r = fail(err, EINVAL, "%s: the Ed25519 key cannot be read out", path);
	}
	o->EVP_PKEY_free(pk);
	o->ERR_clear_error();
	return r;
}

/* ---- Signing ------------------------------------------------------------------- */

/* Where the signature goes for flags, or the error that says why it cannot. */
static int sign_target(const struct ck__pip_elf_sig *sig, unsigned flags, struct ck_kacs_error *err)
{
	if (sig->status == CK__PIP_ELF_READ_ERROR)
		return sig->err == -ENODATA ? fail(err, EAGAIN, "the file changed while it was read")
					    : fail(err, -sig->err, "%s", sig->reason);
	if (sig->status == CK__PIP_ELF_BAD_ELF)
		return fail(err, EINVAL, "malformed ELF, which verification calls unsigned whatever it holds: %s",
			    sig->reason);
	if (flags & CK_KACS_PIP_SIGN_XATTR) {
		if (sig->status == CK__PIP_ELF_FOUND || sig->status == CK__PIP_ELF_BAD_SECTION)
			return fail(err, EEXIST,
				    "the file has a %s section, which verification reads instead of the %s xattr: "
				    "sign the section (without the xattr option)",
				    CK_KACS_PIP_SIG_SECTION, CK_KACS_PIP_SIG_XATTR);
		return 0;
	}
	switch (sig->status) {
	case CK__PIP_ELF_NOT_ELF:
		return fail(err, ENODATA,
			    "not an ELF file, so no %s section: a file that is not ELF is signed in its %s xattr "
			    "(the xattr option)",
			    CK_KACS_PIP_SIG_SECTION, CK_KACS_PIP_SIG_XATTR);
	case CK__PIP_ELF_NO_SECTION:
		return fail(err, ENODATA,
			    "no %s section to write into: add a 65-byte one (`head -c 65 /dev/zero >z; objcopy "
			    "--add-section .peios.sig=z FILE`, or in C `__attribute__((section(\".peios.sig\"), used)) "
			    "const unsigned char sig[65] = { 1 };`), or sign the xattr",
			    CK_KACS_PIP_SIG_SECTION);
	case CK__PIP_ELF_BAD_SECTION:
		return fail(err, EINVAL, "%s", sig->reason);
	default:
		return 0;
	}
}

static int write_blob(int fd, const struct ck__pip_elf_sig *sig, unsigned flags,
		      const uint8_t blob[CK_KACS_PIP_SIG_SIZE], struct ck_kacs_error *err)
{
	if (flags & CK_KACS_PIP_SIGN_XATTR) {
		if (fsetxattr(fd, CK_KACS_PIP_SIG_XATTR, blob, CK_KACS_PIP_SIG_SIZE, 0) == 0)
			return 0;
		if (errno == EPERM)
			return fail(err, EPERM, "setting the %s xattr needs CAP_SYS_ADMIN (root)", CK_KACS_PIP_SIG_XATTR);
		if (errno == ENOTSUP)
			return fail(err, ENOTSUP, "the filesystem does not store security.* xattrs");
		return fail(err, errno, "setting the %s xattr: %s", CK_KACS_PIP_SIG_XATTR, strerror(errno));
	}
	size_t done = 0;
	while (done < CK_KACS_PIP_SIG_SIZE) {
		ssize_t w = pwrite(fd, blob + done, CK_KACS_PIP_SIG_SIZE - done, (off_t)(sig->offset + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EBADF)
			return fail(err, EBADF, "the file is not open for writing");
		if (w < 0)
			return fail(err, errno, "writing the %s section at offset %" PRIu64 ": %s",
				    CK_KACS_PIP_SIG_SECTION, sig->offset, strerror(errno));
		if (w == 0)
			return fail(err, EIO, "writing the %s section wrote nothing", CK_KACS_PIP_SIG_SECTION);
		done += (size_t)w;
	}
	return 0;
}

int ck_kacs_pip_sign_fd(int fd, const uint8_t seed[32], unsigned flags, uint8_t hash[32], struct ck_kacs_error *err)
{
	struct ck__pip_snapshot snap, end;
	struct ck__pip_elf_sig sig;
	uint8_t digest[SHA256_LEN], blob[CK_KACS_PIP_SIG_SIZE];
	mode_t mode;
	int r;

	if (!seed)
		return fail(err, EINVAL, "no private key");
	if (flags & ~CK_KACS_PIP_SIGN_XATTR)
		return fail(err, EINVAL, "unknown flags 0x%x", flags & ~CK_KACS_PIP_SIGN_XATTR);
	r = ck__pip_snapshot_fd(fd, &snap, &mode);
	if (r < 0)
		return fail(err, -r, "fstat: %s", strerror(-r));
	if (!S_ISREG(mode))
		return fail(err, EINVAL, "not a regular file");
	find_sig(fd, snap.size, &sig);
	r = sign_target(&sig, flags, err);
	if (r < 0)
		return r;
	bool elf = !(flags & CK_KACS_PIP_SIGN_XATTR);
	r = hash_file(fd, snap.size, elf ? sig.offset : 0, elf ? CK_KACS_PIP_SIG_SIZE : 0, digest);
	if (r == -ENODATA)
		return fail(err, EAGAIN, "the file changed while it was read");
	if (r == -ELIBACC)
		return fail(err, ELIBACC, "libcrypto cannot be loaded: %s", ck__ossl_error());
	if (r < 0)
		return fail(err, -r, "hashing the file: %s", strerror(-r));
	blob[0] = CK_KACS_PIP_SIG_VERSION;
	if (ed25519_sign(ck__ossl(), seed, digest, blob + 1) < 0)
		return fail(err, ENOMEM, "Ed25519 signing failed (out of memory)");
	r = ck__pip_snapshot_fd(fd, &end, NULL);
	if (r < 0)
		return fail(err, -r, "fstat: %s", strerror(-r));
	if (!ck__pip_snapshot_equal(&snap, &end))
		return fail(err, EAGAIN, "the file changed while it was read");
	r = write_blob(fd, &sig, flags, blob, err);
	if (r == 0 && hash)
		memcpy(hash, digest, sizeof(digest));
	return r;
}
