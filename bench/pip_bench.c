/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cost of PIP verification (design §14 item 5: hashing is once per
 * inode, cached, and reported in ms per MB).
 *
 *   pip-bench [--rounds R] [--dir DIR] MIB...
 *
 * For each size, an ELF64 file of MIB MiB of .text and a 65-byte .peios.sig
 * section is written in DIR (default /dev/shm, so that the page cache holds
 * it and the figure is the CPU's), signed with a key made here, and
 * ck_kacs_pip_verify_fd is timed R times (median; wall and CPU time): ms per
 * MiB. Also timed, for scale: SHA-256 of the same bytes already in memory
 * (EVP_Digest), one Ed25519 verification of a 32-byte hash, and an answer
 * from the verification cache (fstat and a lookup).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <clonekit/kacs.h>

#include "kacs/pip_cache.h"

static double now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "pip-bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static const char STRTAB[] = "\0.text\0.peios.sig\0.shstrtab";

/* [ELF header][.peios.sig 65][pad][.text size][.shstrtab][section table of 4], in buf. */
static unsigned char *build(size_t text, size_t *len)
{
	size_t sig = sizeof(Elf64_Ehdr), tx = 0x100, str = tx + text, sh = (str + sizeof(STRTAB) + 7) & ~(size_t)7;
	*len = sh + 4 * sizeof(Elf64_Shdr);
	unsigned char *b = calloc(1, *len);
	if (!b)
		die("calloc");
	Elf64_Ehdr eh = { .e_type = ET_REL, .e_version = EV_CURRENT, .e_shoff = sh, .e_ehsize = sizeof(eh),
			  .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 4, .e_shstrndx = 3 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB; /* this bench runs on little-endian hosts, as clonekit's arches are */
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(b, &eh, sizeof(eh));
	for (size_t i = 0; i < text; i++)
		b[tx + i] = (unsigned char)(i * 2654435761u >> 24);
	memcpy(b + str, STRTAB, sizeof(STRTAB));
	Elf64_Shdr s[4] = {
		{ 0 },
		{ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_offset = tx, .sh_size = text },
		{ .sh_name = 7, .sh_type = SHT_PROGBITS, .sh_offset = sig, .sh_size = CK_KACS_PIP_SIG_SIZE },
		{ .sh_name = 18, .sh_type = SHT_STRTAB, .sh_offset = str, .sh_size = sizeof(STRTAB) },
	};
	memcpy(b + sh, s, sizeof(s));
	return b;
}

static void keygen(uint8_t seed[32], uint8_t pub[32])
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	size_t n = 32, m = 32;
	if (!c || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_keygen(c, &pk) != 1 ||
	    EVP_PKEY_get_raw_private_key(pk, seed, &n) != 1 || EVP_PKEY_get_raw_public_key(pk, pub, &m) != 1) {
		fprintf(stderr, "pip-bench: OpenSSL cannot make an Ed25519 key\n");
		exit(2);
	}
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(c);
}

static void bench_size(const char *dir, size_t mib, int rounds, const uint8_t seed[32],
		       const struct ck_kacs_pip_key *key)
{
	size_t len;
	unsigned char *b = build(mib << 20, &len);
	char path[4096];
	snprintf(path, sizeof(path), "%s/pip-bench-%d", dir, (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	unlink(path);
	if (write(fd, b, len) != (ssize_t)len)
		die("write");
	struct ck_kacs_error err = { .size = sizeof(err) };
	if (ck_kacs_pip_sign_fd(fd, seed, 0, NULL, &err) < 0) {
		fprintf(stderr, "pip-bench: signing: %s\n", err.message);
		exit(2);
	}
	double *wall = calloc((size_t)rounds, sizeof(double)), *cpu = calloc((size_t)rounds, sizeof(double));
	double *mem = calloc((size_t)rounds, sizeof(double));
	if (!wall || !cpu || !mem)
		die("calloc");
	for (int r = 0; r < rounds; r++) {
		struct ck_kacs_pip_result res = { .size = sizeof(res) };
		double w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
		if (ck_kacs_pip_verify_fd(fd, key, 1, &res) < 0 || res.status != CK_KACS_PIP_SIGNED) {
			fprintf(stderr, "pip-bench: not signed: %s\n", res.reason);
			exit(2);
		}
		cpu[r] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wall[r] = now_ns(CLOCK_MONOTONIC) - w0;
		uint8_t h[32];
		double m0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
		if (EVP_Digest(b, len, h, NULL, EVP_sha256(), NULL) != 1)
			die("EVP_Digest");
		mem[r] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - m0;
	}
	double mb = (double)len / (1 << 20);
	double mw = median(wall, rounds), mc = median(cpu, rounds), mm = median(mem, rounds);
	printf("%6zu MiB  verify %9.2f ms wall %9.2f ms cpu  = %6.3f ms/MiB wall %6.3f cpu   "
	       "SHA-256 in memory %6.3f ms/MiB\n",
	       mib, mw / 1e6, mc / 1e6, mw / 1e6 / mb, mc / 1e6 / mb, mm / 1e6 / mb);
	close(fd);
	free(b);
	free(wall);
	free(cpu);
	free(mem);
}

/* One answer from the cache for a file it holds: fstat and a lookup, ns. */
static void bench_cache(const char *dir, int rounds, const uint8_t seed[32], const struct ck_kacs_pip_key *key)
{
	size_t len;
	unsigned char *b = build(4096, &len);
	char path[4096];
	snprintf(path, sizeof(path), "%s/pip-bench-cache-%d", dir, (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	unlink(path);
	if (write(fd, b, len) != (ssize_t)len)
		die("write");
	struct ck_kacs_error err = { .size = sizeof(err) };
	if (ck_kacs_pip_sign_fd(fd, seed, 0, NULL, &err) < 0)
		die("sign");
	struct ck__pip_cache *c = ck__pip_cache_new(key, 1, 256);
	if (!c)
		die("cache");
	enum { N = 100000 };
	double *ns = calloc((size_t)rounds, sizeof(double)), *ed = calloc((size_t)rounds, sizeof(double));
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	bool hit;
	ck__pip_cache_verify(c, fd, &res, &hit);
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns(CLOCK_MONOTONIC);
		for (int i = 0; i < N; i++)
			ck__pip_cache_verify(c, fd, &res, &hit);
		ns[r] = (now_ns(CLOCK_MONOTONIC) - t0) / N;
		if (!hit || res.status != CK_KACS_PIP_SIGNED) {
			fprintf(stderr, "pip-bench: the cache did not answer\n");
			exit(2);
		}
		/* a whole verification of a 4 KiB file: Ed25519 and the reads dominate */
		double e0 = now_ns(CLOCK_MONOTONIC);
		for (int i = 0; i < 100; i++)
			ck_kacs_pip_verify_fd(fd, key, 1, &res);
		ed[r] = (now_ns(CLOCK_MONOTONIC) - e0) / 100;
	}
	printf("cache hit (fstat + lookup): %.0f ns;  verify of a %zu-byte file (uncached): %.1f us\n",
	       median(ns, rounds), len, median(ed, rounds) / 1e3);
	ck__pip_cache_free(c);
	free(ns);
	free(ed);
	free(b);
	close(fd);
}

int main(int argc, char **argv)
{
	int rounds = 11;
	const char *dir = "/dev/shm";
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(stderr, "usage: pip-bench [--rounds R] [--dir DIR] MIB...\n");
			return 2;
		}
	}
	if (rounds < 1 || i == argc) {
		fprintf(stderr, "usage: pip-bench [--rounds R] [--dir DIR] MIB...\n");
		return 2;
	}
	uint8_t seed[32];
	struct ck_kacs_pip_key key = { .type = CK_KACS_PIP_PROTECTED, .trust = 8192 };
	keygen(seed, key.key);
	printf("PIP verification in %s, median of %d rounds\n", dir, rounds);
	for (; i < argc; i++)
		bench_size(dir, (size_t)strtoul(argv[i], NULL, 10), rounds, seed, &key);
	bench_cache(dir, rounds, seed, &key);
	return 0;
}
