/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit kacs verify: the PIP a file would get at exec, from its signature and a key table. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clonekit/kacs.h>

#include "cli.h"

static const char CMD[] = "kacs verify";

/* The longest key table the command line takes: far more than any image carries. */
#define KEYS_MAX 64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit kacs verify --pip-key HEX32:TYPE:TRUST [--pip-key ...]\n"
		"                            [--json] FILE...\n"
		"\n"
		"Prints the PIP type and trust each FILE would get at exec under Peios\n"
		"(KACS v0.20 6-signing/1-binary-signing.md), or 'unsigned' and why. The\n"
		"signature is a .peios.sig section for an ELF file (32- or 64-bit), else the\n"
		"security.peios.sig xattr; version 0x01 and Ed25519 over the SHA-256 of the\n"
		"file (with the section's 65 bytes read as zeros). The keys are tried in the\n"
		"order given; the first that verifies gives its type and trust. A malformed\n"
		"ELF or .peios.sig section leaves the file unsigned without looking at the\n"
		"xattr. For a script, exec runs the interpreter: verify the interpreter.\n"
		"\n"
		"Options:\n"
		"  --pip-key HEX32:TYPE:TRUST   a key of the table (repeatable, at least one):\n"
		"                 64 hex digits of an Ed25519 public key (clonekit kacs sign\n"
		"                 --key KEY.pem --print-public prints them), a PIP type\n"
		"                 (protected, isolated or a number) and a trust (a number, or\n"
		"                 PeiosTcb for 8192)\n"
		"  --json         one JSON document per FILE, on one line:\n"
		"                 {\"file\":\"/bin/x\",\"signed\":true,\"status\":\"signed\",\n"
		"                 \"pip_type\":512,\"pip_type_name\":\"Protected\",\"pip_trust\":8192,\n"
		"                 \"key\":0,\"source\":\"section\",\"sig_offset\":12345,\n"
		"                 \"sha256\":\"...\",\"reason\":null}\n"
		"                 (source \"section\", \"xattr\" or null; status as the reason's\n"
		"                 kind: no-signature, bad-elf, bad-section, bad-xattr,\n"
		"                 bad-version, no-match, changed, unreadable)\n"
		"  -h, --help     this text\n"
		"\n"
		"Exit status: 0 when every FILE is signed with a key of the table, 1 when one\n"
		"is not, 2 for a usage error or a FILE that cannot be opened.\n");
}

static const char *source_name(enum ck_kacs_pip_source s)
{
	return s == CK_KACS_PIP_FROM_ELF ? "section" : s == CK_KACS_PIP_FROM_XATTR ? "xattr" : NULL;
}

static void hex32(const uint8_t *b, char out[65])
{
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void print_json(const char *file, const struct ck_kacs_pip_result *r)
{
	struct jw w;
	char hash[65];
	bool ok = r->status == CK_KACS_PIP_SIGNED;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "file", file);
	jw_bool(&w, "signed", ok);
	jw_str(&w, "status", ck_kacs_pip_status_name(r->status));
	jw_uint(&w, "pip_type", r->type);
	jw_str(&w, "pip_type_name", ck_kacs_pip_type_name(r->type));
	jw_uint(&w, "pip_trust", r->trust);
	if (ok)
		jw_int(&w, "key", r->key);
	else
		jw_null(&w, "key");
	jw_str(&w, "source", source_name(r->source));
	if (r->source == CK_KACS_PIP_FROM_ELF)
		jw_uint(&w, "sig_offset", r->sig_offset);
	else
		jw_null(&w, "sig_offset");
	hex32(r->hash, hash);
	jw_str(&w, "sha256", r->hashed ? hash : NULL);
	jw_str(&w, "reason", ok ? NULL : r->reason);
	jw_obj_end(&w);
	jw_end_line(&w);
}

static void print_text(const char *file, const struct ck_kacs_pip_result *r, size_t nkeys)
{
	if (r->status != CK_KACS_PIP_SIGNED) {
		printf("%s: unsigned: %s\n", file, r->reason);
		return;
	}
	const char *type = ck_kacs_pip_type_name(r->type);
	if (type)
		printf("%s: %s/%u", file, type, r->trust);
	else
		printf("%s: %u/%u", file, r->type, r->trust);
	printf(" (key %d of %zu, ", r->key + 1, nkeys);
	if (r->source == CK_KACS_PIP_FROM_ELF)
		printf(".peios.sig section at offset %llu)\n", (unsigned long long)r->sig_offset);
	else
		printf("security.peios.sig xattr)\n");
}

int cmd_kacs_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pip-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_kacs_pip_key keys[KEYS_MAX];
	size_t nkeys = 0;
	bool json = false;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		case 'j':
			json = true;
			break;
		case 'k': {
			struct ck_kacs_error err = { .size = sizeof(err) };
			if (nkeys == KEYS_MAX)
				return cli_usage_error(CMD, "more than %d --pip-key options", KEYS_MAX);
			if (ck_kacs_pip_key_parse(optarg, &keys[nkeys], &err) < 0)
				return cli_usage_error(CMD, "--pip-key '%s': %s", optarg, err.message);
			nkeys++;
			break;
		}
		default:
			return cli_option_error(CMD);
		}
	}
	if (nkeys == 0)
		return cli_usage_error(CMD, "no --pip-key given: nothing to verify against");
	if (optind == argc)
		return cli_usage_error(CMD, "no FILE given");

	int status = CK_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		/* O_NONBLOCK: a FIFO given as FILE must not hang the open; verification refuses it */
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			fprintf(stderr, "clonekit %s: %s: %s\n", CMD, argv[i], strerror(errno));
			return CK_EXIT_USAGE;
		}
		struct ck_kacs_pip_result r = { .size = sizeof(r) };
		int e = ck_kacs_pip_verify_fd(fd, keys, nkeys, &r);
		close(fd);
		if (e < 0) {
			fprintf(stderr, "clonekit %s: %s: %s\n", CMD, argv[i], strerror(-e));
			return CK_EXIT_USAGE;
		}
		if (json)
			print_json(argv[i], &r);
		else
			print_text(argv[i], &r, nkeys);
		if (r.status != CK_KACS_PIP_SIGNED)
			status = CK_EXIT_NO;
	}
	return status;
}
