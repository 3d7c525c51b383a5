/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit kacs sddl: SDDL to a self-relative security descriptor, and back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clonekit/kacs.h>

#include "cli.h"
#include "../lib/internal/outfile.h"

static const char CMD[] = "kacs sddl";

/* SDDL text read from standard input: at most this many bytes. */
#define SDDL_TEXT_MAX (4u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit kacs sddl [-o FILE] [--json] TEXT|-\n"
		"       clonekit kacs sddl --decode [--json] FILE|HEX|-\n"
		"\n"
		"Converts SDDL to the self-relative binary security descriptor of K20\n"
		"(peios/learn psd-004 v0.20, 3-security-descriptors), printed as one line of\n"
		"hex or written to FILE; --decode converts a binary SD back to SDDL. Both ways\n"
		"check every rule of the format: a fault is named by its column (text) or\n"
		"byte offset (binary).\n"
		"\n"
		"SDDL here (clonekit(1), KACS): O:SID G:SID D:ACL S:ACL C:CONTROL, each once;\n"
		"an ACL is [P][AI][AR][{rev=4,sbz1=0xN,sbz2=0xN}] then ACEs\n"
		"(TYPE;FLAGS;RIGHTS;;;SID): TYPE A D AU AL ML TL; FLAGS OI CI NP IO ID CR SA FA;\n"
		"RIGHTS GA GR GW GX RC SD WD WO (NR NW NX for ML) or 0xHEX; SID S-1-... or\n"
		"SY BA BU BG BO AO SO PO RE WD AU AN OW CO CG PS NU IU SU LS NS ED RC AC, and\n"
		"the integrity levels UT LW ME HI SI. No D: is no DACL, which grants\n"
		"everything; D: alone is an empty DACL, which grants nothing. C: holds the\n"
		"control bits the rest does not say (OD GD DD SD DT SS AR DI SI PD PS RM,\n"
		"0xHEX) and Sbz1=0xN.\n"
		"\n"
		"Options:\n"
		"  TEXT | -        the SDDL, or - to read it from standard input (one line)\n"
		"  -o FILE         write the binary SD to FILE (whole or not at all) instead of\n"
		"                  printing its hex\n"
		"  --decode        the argument is a binary SD: HEX (only hex digits), FILE\n"
		"                  (./NAME for a file named with hex digits), or - for standard\n"
		"                  input; prints it as SDDL\n"
		"  --json          one JSON line: {\"sddl\":...,\"size\":N,\"hex\":...} (with\n"
		"                  \"file\" after -o, \"canonical\" after --decode: whether the\n"
		"                  bytes are laid out as clonekit writes them); an error is\n"
		"                  {\"error\":\"EINVAL\",\"offset\":N,\"message\":...}\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 converted; 1 a valid SD this library does not keep (object,\n"
		"callback, resource-attribute or unknown ACEs: EOPNOTSUPP), or -o FILE not\n"
		"written; 2 a malformed SD or SDDL, an unreadable input or a usage error.\n");
}

static int exit_for(int r)
{
	return r == -EOPNOTSUPP ? CK_EXIT_NO : CK_EXIT_USAGE;
}

/* A refused input: the message (and, for text, where in it), or a JSON line. */
static int refuse(const char *what, const char *text, int r, const struct ck_kacs_error *e, bool json)
{
	if (json) {
		struct jw w;
		jw_init(&w, stdout);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "error", ck_errno_name(-r));
		jw_uint(&w, text ? "column" : "offset", e->offset);
		jw_str(&w, "message", e->message);
		jw_obj_end(&w);
		jw_end_line(&w);
		return exit_for(r);
	}
	fprintf(stderr, "clonekit %s: %s: %s: %s\n", CMD, what, ck_errno_name(-r), e->message);
	size_t n = text ? strlen(text) : 0;
	bool printable = n > 0;
	for (size_t i = 0; i < n && printable; i++)
		printable = (unsigned char)text[i] >= ' ' && (unsigned char)text[i] < 0x7f;
	if (printable && e->offset <= n) {
		/* the text around the column, and a caret under it */
		size_t from = e->offset > 60 ? e->offset - 60 : 0, to = n - e->offset > 60 ? e->offset + 60 : n;
		fprintf(stderr, "  %s%.*s%s\n  %*s^\n", from ? "..." : "", (int)(to - from), text + from, to < n ? "..." : "",
			(int)(e->offset - from + (from ? 3 : 0)), "");
	}
	return exit_for(r);
}

static char *hex_of(const uint8_t *b, size_t n)
{
	char *h = malloc(2 * n + 1);
	if (!h)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", b[i]);
	h[2 * n] = '\0';
	return h;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool all_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (hex_digit(*s) < 0)
			return false;
	return true;
}

static char *sddl_of(const struct ck_kacs_sd *sd)
{
	int n = ck_kacs_sddl_format(sd, NULL, 0);
	char *t = n < 0 ? NULL : malloc((size_t)n + 1);
	if (t)
		ck_kacs_sddl_format(sd, t, (size_t)n + 1);
	return t;
}

static void print_json(const char *sddl, const uint8_t *b, size_t n, const char *file, int canonical)
{
	char *hex = hex_of(b, n);
	struct jw w;
	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "sddl", sddl);
	jw_uint(&w, "size", n);
	jw_str(&w, "hex", hex);
	if (file)
		jw_str(&w, "file", file);
	if (canonical >= 0)
		jw_bool(&w, "canonical", canonical);
	jw_obj_end(&w);
	jw_end_line(&w);
	free(hex);
}

static int write_file(const char *path, const uint8_t *b, size_t n)
{
	struct ck__outfile o;
	int r = ck__outfile_open(&o, path, 0666, CK__OUTFILE_UMASK);
	for (size_t off = 0; r == 0 && off < n;) {
		ssize_t w = write(o.fd, b + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = ck__outfile_abandon(&o, w < 0 ? errno : EIO, "write");
		else
			off += (size_t)w;
	}
	if (r == 0)
		r = ck__outfile_commit(&o);
	if (r < 0)
		fprintf(stderr, "clonekit %s: -o %s: %s\n", CMD, path, o.error);
	return r;
}

static int encode(const char *arg, const char *out_file, bool json)
{
	char *text = NULL;
	uint8_t *in = NULL, *b = NULL;
	size_t n;
	int r, rc;

	if (strcmp(arg, "-") == 0) {
		if ((rc = kacs_read_input(CMD, "-", SDDL_TEXT_MAX, &in, &n)) != 0)
			return rc;
		/* one line: its end taken off, and nothing a C string would cut */
		if (n && in[n - 1] == '\n')
			n--;
		if (n && in[n - 1] == '\r')
			n--;
		if (memchr(in, '\0', n)) {
			fprintf(stderr, "clonekit %s: standard input: a NUL byte at offset %zu\n", CMD,
				(size_t)((uint8_t *)memchr(in, '\0', n) - in));
			free(in);
			return CK_EXIT_USAGE;
		}
		text = malloc(n + 1);
		if (!text) {
			free(in);
			return CK_EXIT_USAGE;
		}
		memcpy(text, in, n);
		text[n] = '\0';
		free(in);
		arg = text;
	}
	struct ck_kacs_sd *sd;
	struct ck_kacs_error e = { .size = sizeof(e) };
	if ((r = ck_kacs_sddl_parse(arg, &sd, &e)) < 0) {
		rc = r == -ENOMEM ? CK_EXIT_USAGE : refuse(text ? "standard input" : "SDDL", arg, r, &e, json);
		free(text);
		return rc;
	}
	rc = CK_EXIT_USAGE;
	char *canon = sddl_of(sd);
	if ((r = ck_kacs_sd_to_bytes(sd, &b, &n)) < 0 || !canon) {
		fprintf(stderr, "clonekit %s: %s\n", CMD, strerror(r < 0 ? -r : ENOMEM));
	} else if (out_file && write_file(out_file, b, n) < 0) {
		rc = CK_EXIT_NO; /* said; as seccomp -o, a file not written is a refusal */
	} else {
		if (json) {
			print_json(canon, b, n, out_file, -1);
		} else if (!out_file) {
			char *hex = hex_of(b, n);
			if (hex)
				printf("%s\n", hex);
			free(hex);
		}
		rc = CK_EXIT_OK;
	}
	free(canon);
	free(b);
	ck_kacs_sd_free(sd);
	free(text);
	return rc;
}

static int decode(const char *arg, bool json)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int rc;
	const char *what = arg;

	if (strcmp(arg, "-") != 0 && all_hex(arg)) {
		size_t len = strlen(arg);
		if (len % 2)
			return cli_usage_error(CMD, "HEX has an odd number of digits (%zu)", len);
		n = len / 2;
		if (!(b = malloc(n)))
			return CK_EXIT_USAGE;
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)(hex_digit(arg[2 * i]) << 4 | hex_digit(arg[2 * i + 1]));
		what = "HEX";
	} else {
		/* one byte past the largest SD: the parser then names the limit */
		if ((rc = kacs_read_input(CMD, arg, CK_KACS_SD_MAX + 1, &b, &n)) != 0)
			return rc;
		if (strcmp(arg, "-") == 0)
			what = "standard input";
	}
	struct ck_kacs_sd *sd;
	struct ck_kacs_error e = { .size = sizeof(e) };
	int r = ck_kacs_sd_parse(b, n, &sd, &e);
	if (r < 0) {
		rc = r == -ENOMEM ? CK_EXIT_USAGE : refuse(what, NULL, r, &e, json);
		free(b);
		return rc;
	}
	char *text = sddl_of(sd);
	uint8_t *canon = NULL;
	size_t cn = 0;
	rc = CK_EXIT_USAGE;
	if (!text || ck_kacs_sd_to_bytes(sd, &canon, &cn) < 0) {
		fprintf(stderr, "clonekit %s: %s\n", CMD, strerror(ENOMEM));
	} else {
		if (json)
			print_json(text, b, n, NULL, cn == n && memcmp(canon, b, n) == 0);
		else
			printf("%s\n", text);
		rc = CK_EXIT_OK;
	}
	free(canon);
	free(text);
	ck_kacs_sd_free(sd);
	free(b);
	return rc;
}

int cmd_kacs_sddl(int argc, char **argv)
{
	enum { OPT_JSON = 0x200, OPT_DECODE };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "decode", no_argument, NULL, OPT_DECODE },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, dec = false;
	const char *out_file = NULL;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		case OPT_JSON:
			json = true;
			break;
		case OPT_DECODE:
			dec = true;
			break;
		case 'o':
			out_file = optarg;
			break;
		default:
			return cli_option_error(CMD);
		}
	}
	if (optind == argc)
		return cli_usage_error(CMD, dec ? "no FILE, HEX or - given" : "no SDDL TEXT or - given");
	if (argc - optind > 1)
		return cli_usage_error(CMD, "one %s at a time, got '%s' and '%s'", dec ? "SD" : "TEXT", argv[optind],
				       argv[optind + 1]);
	if (dec && out_file)
		return cli_usage_error(CMD, "-o writes the binary SD; --decode prints SDDL");
	return dec ? decode(argv[optind], json) : encode(argv[optind], out_file, json);
}
