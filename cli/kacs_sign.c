/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit kacs sign: a file signed for PIP, in its .peios.sig section or its xattr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#include <clonekit/kacs.h>

#include "cli.h"

static const char CMD[] = "kacs sign";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit kacs sign --key KEY.pem [--xattr] [--json] FILE...\n"
		"       clonekit kacs sign --key KEY.pem --print-public [--json]\n"
		"\n"
		"Signs each FILE for PIP under Peios (KACS v0.20 6-signing/1-binary-signing.md):\n"
		"the SHA-256 of the file, with its .peios.sig section read as zeros, signed\n"
		"with Ed25519, is written after the version byte 0x01 into that section. The\n"
		"section must exist and hold 65 bytes; add one to a program with\n"
		"  head -c 65 /dev/zero >z; objcopy --add-section .peios.sig=z FILE\n"
		"or build it in, in C:\n"
		"  __attribute__((section(\".peios.sig\"), used))\n"
		"  const unsigned char peios_sig[65] = { 1 };\n"
		"Nothing else of the file changes, and it still runs. Each FILE is verified\n"
		"with the key's public half once signed.\n"
		"\n"
		"Options:\n"
		"  --key KEY.pem    an Ed25519 private key in PEM, unencrypted, as\n"
		"                   'openssl genpkey -algorithm ed25519 -out KEY.pem' writes it\n"
		"  --xattr          sign into the security.peios.sig xattr instead, over the\n"
		"                   whole file: for scripts and other files without the\n"
		"                   section (needs CAP_SYS_ADMIN, that is root)\n"
		"  --print-public   print the key's public half as the 64 hex digits that\n"
		"                   --pip-key HEX32:TYPE:TRUST takes, and sign nothing\n"
		"                   (KEY.pem may then be a public key, openssl pkey -pubout)\n"
		"  --json           one JSON document per FILE, on one line:\n"
		"                   {\"file\":\"x\",\"signed\":true,\"where\":\"section\",\n"
		"                   \"sig_offset\":12345,\"sha256\":\"...\",\"public_key\":\"...\",\n"
		"                   \"errno\":null,\"error\":null}\n"
		"                   and with --print-public {\"public_key\":\"...\"}\n"
		"  -h, --help       this text\n"
		"\n"
		"Exit status: 0 when every FILE is signed, 1 when one cannot be (no section,\n"
		"not root for --xattr, a read-only file), 2 for a usage error, a key that\n"
		"cannot be read, or a FILE that cannot be opened.\n");
}

static void hex32(const uint8_t *b, char out[65])
{
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int print_public(const uint8_t pub[32], bool json)
{
	char h[65];
	struct jw w;

	hex32(pub, h);
	if (!json) {
		printf("%s\n", h);
		return CK_EXIT_OK;
	}
	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "public_key", h);
	jw_obj_end(&w);
	jw_end_line(&w);
	return CK_EXIT_OK;
}

/* What happened to one FILE: signed (r 0, res from verifying it) or not (r, why). */
static void report(const char *file, bool json, int r, const char *why, const struct ck_kacs_pip_result *res,
		   const uint8_t pub[32])
{
	char hash[65], key[65];

	hex32(pub, key);
	if (!json) {
		if (r < 0)
			fprintf(stderr, "clonekit %s: %s: %s\n", CMD, file, why);
		else if (res->source == CK_KACS_PIP_FROM_ELF)
			printf("%s: signed in its .peios.sig section at offset %llu\n", file,
			       (unsigned long long)res->sig_offset);
		else
			printf("%s: signed in its security.peios.sig xattr\n", file);
		return;
	}
	struct jw w;
	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "file", file);
	jw_bool(&w, "signed", r == 0);
	jw_str(&w, "where", r < 0 ? NULL : res->source == CK_KACS_PIP_FROM_ELF ? "section" : "xattr");
	if (r == 0 && res->source == CK_KACS_PIP_FROM_ELF)
		jw_uint(&w, "sig_offset", res->sig_offset);
	else
		jw_null(&w, "sig_offset");
	hex32(res->hash, hash);
	jw_str(&w, "sha256", r == 0 ? hash : NULL);
	jw_str(&w, "public_key", key);
	jw_str(&w, "errno", r < 0 ? ck_errno_name(-r) : NULL);
	jw_str(&w, "error", r < 0 ? why : NULL);
	jw_obj_end(&w);
	jw_end_line(&w);
}

/* Signs one file and verifies it with pub: 0, 1 (not signed, said), or 2 (cannot open it). */
static int sign_one(const char *file, const uint8_t seed[32], const uint8_t pub[32], unsigned flags, bool json)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_pip_result res = { .size = sizeof(res) };
	/* the xattr is set through the fd: read access is enough for it, and a running program has no other */
	int fd = open(file, ((flags & CK_KACS_PIP_SIGN_XATTR) ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int e = errno;
		if (e == ETXTBSY || e == EROFS || e == EACCES) {
			snprintf(err.message, sizeof(err.message), "cannot open it for writing: %s", strerror(e));
			report(file, json, -e, err.message, &res, pub);
			return CK_EXIT_NO;
		}
		fprintf(stderr, "clonekit %s: %s: %s\n", CMD, file, strerror(e));
		return CK_EXIT_USAGE;
	}
	int r = ck_kacs_pip_sign_fd(fd, seed, flags, NULL, &err);
	if (r == 0) {
		struct ck_kacs_pip_key k = { .type = CK_KACS_PIP_PROTECTED };
		memcpy(k.key, pub, sizeof(k.key));
		if (ck_kacs_pip_verify_fd(fd, &k, 1, &res) < 0 || res.status != CK_KACS_PIP_SIGNED) {
			r = -EIO;
			snprintf(err.message, sizeof(err.message), "signed, but it does not verify: %s", res.reason);
		}
	}
	close(fd);
	report(file, json, r, err.message, &res, pub);
	return r == 0 ? CK_EXIT_OK : CK_EXIT_NO;
}

int cmd_kacs_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "xattr", no_argument, NULL, 'x' },
		{ "print-public", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL;
	bool json = false, public_only = false;
	unsigned flags = 0;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		case 'k':
			keyfile = optarg;
			break;
		case 'x':
			flags |= CK_KACS_PIP_SIGN_XATTR;
			break;
		case 'p':
			public_only = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_option_error(CMD);
		}
	}
	if (!keyfile)
		return cli_usage_error(CMD, "no --key KEY.pem given (openssl genpkey -algorithm ed25519 -out KEY.pem makes one)");
	if (public_only && optind < argc)
		return cli_usage_error(CMD, "--print-public signs nothing, yet FILE '%s' was given", argv[optind]);
	if (public_only && flags)
		return cli_usage_error(CMD, "--print-public signs nothing: --xattr has no use with it");
	if (!public_only && optind == argc)
		return cli_usage_error(CMD, "no FILE given");

	uint8_t seed[32], pub[32];
	struct ck_kacs_error err = { .size = sizeof(err) };
	if (ck_kacs_pip_pem_read(keyfile, public_only ? NULL : seed, pub, &err) < 0) {
		fprintf(stderr, "clonekit %s: --key %s\n", CMD, err.message);
		return CK_EXIT_USAGE;
	}
	if (public_only)
		return print_public(pub, json);

	int status = CK_EXIT_OK;
	for (int i = optind; i < argc && status != CK_EXIT_USAGE; i++) {
		int s = sign_one(argv[i], seed, pub, flags, json);
		if (s > status)
			status = s;
	}
	explicit_bzero(seed, sizeof(seed));
	return status;
}
