/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clonekit kacs run: start a command under the KACS supervisor and become its status. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/kacs.h>
#include <clonekit/spawn.h>

#include "cli.h"
#include "../lib/internal/outfile.h"
#include "../lib/internal/static_libc.h"

static const char CMD[] = "kacs run";

/* As `clonekit run`: the command's status, else 125 for our own failures, 126/127 for execve's. */
enum { RUN_FAILED = 125 };

#define KEYS_MAX 64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clonekit kacs run [--token PRESET|@FILE] [--psb BITS] [--sd SDDL]\n"
		"                         [--external-sd SDDL] [--pip-key HEX32:TYPE:TRUST ...]\n"
		"                         [--profile v0.20|v0.22] [--uid U] [--perf-pages N]\n"
		"                         [--decisions FILE] [--json] -- CMD [ARGS...]\n"
		"\n"
		"Starts CMD under the KACS supervisor: every process of its tree gets a\n"
		"primary token, a PSB and a process security descriptor, every thread an\n"
		"optional impersonation token; every cross-process operation of the tree\n"
		"(signals, ptrace, process_vm_*, pidfd_open, pidfd_getfd, scheduler and\n"
		"priority calls, prlimit, setpgid, perf_event_open, kcmp, fork under\n"
		"no_child_process, exec under PIE) is decided with the Peios two-check rule\n"
		"(the target's SD, then PIP); the KACS system calls (1000-1027) and the\n"
		"token-handle ioctls are answered, so Peios programs run unchanged.\n"
		"Exits with CMD's status (128+N when signal N killed it), as `clonekit run`;\n"
		"125 for its own failures (a lost lineage record, perf refused), 126 when CMD\n"
		"cannot be executed, 127 when it is not found. SIGINT, SIGTERM and SIGHUP are\n"
		"forwarded to CMD.\n"
		"\n"
		"Options:\n"
		"  --token PRESET|@FILE  the root's primary token: system (the default),\n"
		"                        admin, user, low, or a kacs_create_token v2 spec\n"
		"  --psb BITS            the root's mitigations: nochild, pie, ui_access\n"
		"                        (comma-separated) or a number; others give ENODEV\n"
		"  --sd SDDL             the root's process SD (default: from its token)\n"
		"  --external-sd SDDL    the SD of processes outside the tree\n"
		"                        (default O:SYG:SYD:(A;;GA;;;SY))\n"
		"  --pip-key HEX32:TYPE:TRUST  a PIP signing key (repeatable): an Ed25519\n"
		"                        public key, a PIP type, a trust (clonekit kacs verify)\n"
		"  --profile v0.20|v0.22 the spec version (default v0.20)\n"
		"  --uid U               run the tree as uid U (and U's group), without\n"
		"                        supplementary groups (needs root: do it when S is root)\n"
		"  --perf-pages N        pages per CPU of the lineage rings (power of two, 32)\n"
		"  --decisions FILE      every decision as JSON Lines (docs/event-schema.md)\n"
		"  --json                how it ended, as one JSON line on stderr\n"
		"  -h, --help            this text\n"
		"\n"
		"Requires root or kernel.perf_event_paranoid <= 2 (the lineage: perf task\n"
		"records of the tree). Unprivileged, PR_SET_DUMPABLE is virtualised.\n"
		"\n"
		"What user space cannot enforce (clonekit(1), KACS LIMITS):\n"
		"  - operations of processes outside the tree on the tree (host root, your\n"
		"    other shells) are not seen;\n"
		"  - /proc/PID/* opened by path (mem, environ, cmdline, status, maps, and\n"
		"    writes to oom_score_adj...) is not checked: for a tree under one Linux\n"
		"    uid, PIP memory protection is advisory (use distinct uids);\n"
		"  - io_uring operations do not pass through seccomp;\n"
		"  - mitigations the kernel would have to activate (TLP, LSV, CFI, SML, and\n"
		"    WXP for now) are refused with ENODEV, never accepted silently;\n"
		"  - core dumps of PIP-protected processes: RLIMIT_CORE is set to 0, a piped\n"
		"    core_pattern still dumps;\n"
		"  - Linux credentials are not changed and CAP_* are not privileges; a tree\n"
		"    with CAP_SYS_PTRACE could write into the supervisor: use --uid as root;\n"
		"  - nested PID namespaces and nested seccomp listeners are refused;\n"
		"  - unprivileged, a process that execs a non-dumpable image (unreadable,\n"
		"    or euid != uid) cannot be followed: its fork, clone and exec fail\n"
		"    with EPERM (as root, the supervisor follows it).\n");
}

struct run_opts {
	enum ck_kacs_profile profile;
	const char *token, *psb, *sd, *external_sd, *decisions;
	struct ck_kacs_pip_key keys[KEYS_MAX];
	size_t nkeys;
	bool has_uid, json;
	uid_t uid;
	gid_t gid;
	unsigned perf_pages;
};

static int parse_uint(const char *opt, const char *text, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || errno || v > max || text[0] == '-')
		return cli_usage_error(CMD, "%s '%s': not a number from 0 to %lu", opt, text, max);
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	enum { OPT_TOKEN = 0x300, OPT_PSB, OPT_SD, OPT_EXT_SD, OPT_KEY, OPT_PROFILE, OPT_UID, OPT_PAGES,
	       OPT_DECISIONS, OPT_JSON };
	static const struct option longopts[] = {
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "psb", required_argument, NULL, OPT_PSB },
		{ "sd", required_argument, NULL, OPT_SD },
		{ "external-sd", required_argument, NULL, OPT_EXT_SD },
		{ "pip-key", required_argument, NULL, OPT_KEY },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "uid", required_argument, NULL, OPT_UID },
		{ "perf-pages", required_argument, NULL, OPT_PAGES },
		{ "decisions", required_argument, NULL, OPT_DECISIONS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_kacs_error e = { .size = sizeof(e) };
	unsigned long v;
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while (r == 0 && (c = cli_getopt(argc, argv, "+h", longopts)) != -1) {
		switch (c) {
		case OPT_TOKEN: o->token = optarg; break;
		case OPT_PSB: o->psb = optarg; break;
		case OPT_SD: o->sd = optarg; break;
		case OPT_EXT_SD: o->external_sd = optarg; break;
		case OPT_DECISIONS: o->decisions = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_KEY:
			if (o->nkeys == KEYS_MAX)
				r = cli_usage_error(CMD, "more than %d --pip-key", KEYS_MAX);
			else if (ck_kacs_pip_key_parse(optarg, &o->keys[o->nkeys++], &e))
				r = cli_usage_error(CMD, "--pip-key '%s': %s", optarg, e.message);
			break;
		case OPT_PROFILE:
			if (ck_kacs_profile_parse(optarg, &o->profile))
				r = cli_usage_error(CMD, "--profile '%s': v0.20 or v0.22", optarg);
			break;
		case OPT_UID:
			/* getpwuid may load NSS modules: not into a static clonekit beside another libc build */
			if ((r = parse_uint("--uid", optarg, 0xFFFFFFFEul, &v)) == 0 && ck__static_libc_check() < 0) {
				fprintf(stderr, "clonekit %s: --uid %lu: its group cannot be looked up: %s\n", CMD, v,
					ck__static_libc_why());
				r = 1;
			} else if (r == 0) {
				struct passwd *pw = getpwuid((uid_t)v);
				o->has_uid = true;
				o->uid = (uid_t)v;
				o->gid = pw ? pw->pw_gid : (gid_t)v;
			}
			break;
		case OPT_PAGES:
			if ((r = parse_uint("--perf-pages", optarg, 1u << 20, &v)) == 0) {
				if (v == 0 || (v & (v - 1)))
					r = cli_usage_error(CMD, "--perf-pages %lu: a power of two", v);
				o->perf_pages = (unsigned)v;
			}
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			r = cli_option_error(CMD);
		}
	}
	if (r == 0 && optind >= argc)
		r = cli_usage_error(CMD, "no command given (clonekit kacs run [OPTIONS] -- CMD [ARGS])");
	return r;
}

/* The supervisor's options from the command line: 0, or a usage error said. */
static int make_opts(const struct run_opts *o, struct ck_kacs_supervisor_opts *so, struct ck_kacs_token **tok,
		     struct ck_kacs_sd **sd, struct ck_kacs_sd **ext)
{
	struct ck_kacs_error e = { .size = sizeof(e) };
	memset(so, 0, sizeof(*so));
	so->size = sizeof(*so);
	so->profile = o->profile;
	so->decisions_fd = -1;
	so->perf_pages = o->perf_pages;
	so->pip_keys = o->nkeys ? o->keys : NULL;
	so->n_pip_keys = o->nkeys;
	if (o->token && cli_kacs_token_load(CMD, o->token, o->profile, tok, NULL) < 0)
		return CK_EXIT_USAGE;
	so->token = *tok;
	if (o->psb && ck_kacs_psb_parse(o->psb, &so->psb, &e))
		return cli_usage_error(CMD, "--psb '%s': %s", o->psb, e.message);
	if (o->sd && ck_kacs_sddl_parse(o->sd, sd, &e))
		return cli_usage_error(CMD, "--sd '%s': column %zu: %s", o->sd, e.offset, e.message);
	so->sd = *sd;
	if (o->external_sd && ck_kacs_sddl_parse(o->external_sd, ext, &e))
		return cli_usage_error(CMD, "--external-sd '%s': column %zu: %s", o->external_sd, e.offset,
				       e.message);
	so->external_sd = *ext;
	return 0;
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void print_json(struct ck_kacs_supervisor *sv, int rc, bool ended, int status, int code,
		       const char *message)
{
	struct ck_kacs_supervisor_stats st = { .size = sizeof(st) };
	struct jw w;
	jw_init(&w, stderr);
	jw_obj_begin(&w, NULL);
	if (ended) {
		jw_int(&w, "status", status);
		jw_bool(&w, "exited", WIFEXITED(status));
		if (WIFSIGNALED(status)) {
			char sig[16];
			jw_str(&w, "signal", ck_signal_name((unsigned)WTERMSIG(status), sig, sizeof(sig)));
		} else {
			jw_null(&w, "signal");
		}
	} else {
		jw_null(&w, "status");
		jw_null(&w, "exited");
		jw_null(&w, "signal");
	}
	jw_int(&w, "exit_code", code);
	if (rc < 0) {
		jw_obj_begin(&w, "error");
		jw_str(&w, "errno", ck_errno_name(-rc));
		jw_str(&w, "message", message);
		jw_obj_end(&w);
	} else {
		jw_null(&w, "error");
	}
	if (sv && ck_kacs_supervisor_stats(sv, &st) == 0) {
		jw_obj_begin(&w, "supervisor");
		jw_uint(&w, "records", st.records);
		jw_uint(&w, "lost", st.lost);
		jw_uint(&w, "notifications", st.notifications);
		jw_uint(&w, "deferred", st.deferred);
		jw_uint(&w, "decisions", st.decisions);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	jw_end_line(&w);
}

int cmd_kacs_run(int argc, char **argv)
{
	struct run_opts o;
	struct ck_kacs_supervisor_opts so;
	struct ck_kacs_token *tok = NULL;
	struct ck_kacs_sd *sd = NULL, *ext = NULL;
	struct ck_kacs_supervisor *sv = NULL;
	struct ck_spawn_attr *attr = NULL;
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck__outfile out = { .fd = -1 };
	bool have_out = false;
	int code = RUN_FAILED, rc;

	rc = parse_opts(argc, argv, &o);
	if (rc < 0)
		return CK_EXIT_OK; /* --help */
	if (rc || (rc = make_opts(&o, &so, &tok, &sd, &ext)))
		goto done; /* usage errors exit 125 too, as `clonekit run` */
	if (o.decisions) {
		if (ck__outfile_open(&out, o.decisions, 0666, CK__OUTFILE_STREAM | CK__OUTFILE_UMASK) < 0) {
			fprintf(stderr, "clonekit %s: --decisions %s: %s\n", CMD, o.decisions, out.error);
			goto done;
		}
		have_out = true;
		so.decisions_fd = out.fd;
	}
	if ((rc = ck_kacs_supervisor_new(&sv, &so, &err))) {
		fprintf(stderr, "clonekit %s: %s\n", CMD, err.message);
		goto done;
	}
	if (o.has_uid) {
		attr = ck_spawn_attr_new();
		if (!attr || ck_spawn_attr_set_user(attr, o.uid, o.gid)) {
			fprintf(stderr, "clonekit %s: --uid: %s\n", CMD, strerror(ENOMEM));
			goto done;
		}
	}
	int status = 0;
	rc = ck_kacs_supervisor_run(sv, argv[optind], argv + optind, NULL, attr, &status, &err);
	bool ended = ck_kacs_supervisor_status(sv, &status) == 0;
	if (rc == 0)
		code = exit_code(status);
	else if (rc != -EIO && ended)
		code = exit_code(status); /* execve failed: 126, or 127 for ENOENT */
	else
		code = RUN_FAILED;
	if (rc < 0 && !o.json)
		fprintf(stderr, "clonekit %s: %s\n", CMD, err.message[0] ? err.message : strerror(-rc));
	if (o.json)
		print_json(sv, rc, ended && rc != -EIO, status, code, err.message);
done:
	if (have_out && ck__outfile_commit(&out) < 0) {
		fprintf(stderr, "clonekit %s: --decisions %s: %s\n", CMD, o.decisions, out.error);
		if (code == 0)
			code = RUN_FAILED;
	}
	ck_kacs_supervisor_free(sv);
	ck_spawn_attr_free(attr);
	ck_kacs_token_free(tok);
	ck_kacs_sd_free(sd);
	ck_kacs_sd_free(ext);
	return code;
}
