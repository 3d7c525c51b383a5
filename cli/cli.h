/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clonekit command: shared declarations of the subcommands and output helpers. */
#ifndef CK_CLI_H
#define CK_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/types.h>

#include <clonekit/clonekit.h>
#include <clonekit/kacs.h>

#include "../lib/internal/json.h"

/* Exit codes (DESIGN.md): 0 ok, 1 a negative answer, 2 usage. */
enum { CK_EXIT_OK = 0, CK_EXIT_NO = 1, CK_EXIT_USAGE = 2 };

struct jw;

int cmd_flags(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_sysno(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_seccomp(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_kacs(int argc, char **argv);
/* clonekit kacs SUB (cli/kacs.c's table): argv[0] is SUB. */
int cmd_kacs_sddl(int argc, char **argv);
int cmd_kacs_sign(int argc, char **argv);
int cmd_kacs_verify(int argc, char **argv);
int cmd_kacs_check(int argc, char **argv);
int cmd_kacs_run(int argc, char **argv);
/*
 * The bytes of FILE, or of standard input for "-", at most max of them, into
 * *out (malloc'd; NULL for none) and *len: 0, or CK_EXIT_USAGE once it has
 * said why not ("clonekit CMD: PATH: ...").
 */
int kacs_read_input(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len);
int cmd_kacs_token(int argc, char **argv);

struct ck_kacs_token;
/*
 * --token PRESET|@FILE for the kacs subcommands (cli/kacs_token.c): a preset
 * (ck_kacs_token_preset), or the binary v2 spec in FILE minted as
 * kacs_create_token would for a SYSTEM caller (token_id 0x10000, the
 * session not looked up; @- reads standard input). 0 and *out
 * (ck_kacs_token_free it), or -errno after printing "clonekit CMD: ...";
 * err (NULL, or a whole struct) then holds the spec's refusal (offset,
 * message) when FILE was read and refused, and an empty message for an
 * unknown preset or a file that cannot be read.
 */
int cli_kacs_token_load(const char *cmd, const char *arg, enum ck_kacs_profile p, struct ck_kacs_token **out,
			struct ck_kacs_error *err);

/*
 * A process-creation call described on the command line, shared by check and
 * explain: the syscall, its flags and clone3 arguments, the kernel and the
 * caller to judge it for.
 */
struct call_opts {
	enum ck_syscall sc;
	bool exit_signal_set;
	unsigned exit_signal;
	bool kernel_set;
	uint32_t kernel;
	bool unprivileged, as_init, in_userns, chrooted;
	uint64_t stack, stack_size, args_size;
	int32_t set_tid[CK_SET_TID_MAX];
	uint64_t set_tid_size;
	int cgroup_fd;            /* -1: none given */
};

/* The long options call_opts understands; their values are >= 0x100. */
#define CALL_LONG_OPTIONS                                             \
	{ "syscall", required_argument, NULL, 0x100 },                \
	{ "exit-signal", required_argument, NULL, 0x101 },            \
	{ "kernel", required_argument, NULL, 0x102 },                 \
	{ "unprivileged", no_argument, NULL, 0x103 },                 \
	{ "as-init", no_argument, NULL, 0x104 },                      \
	{ "in-userns", no_argument, NULL, 0x105 },                    \
	{ "chrooted", no_argument, NULL, 0x106 },                     \
	{ "stack", required_argument, NULL, 0x107 },                  \
	{ "stack-size", required_argument, NULL, 0x108 },             \
	{ "size", required_argument, NULL, 0x109 },                   \
	{ "set-tid", required_argument, NULL, 0x10a },                \
	{ "cgroup", required_argument, NULL, 0x10b }

#define CALL_OPTIONS_HELP                                                              \
	"  --syscall clone|clone3|unshare  the call to judge (default: clone)\n"            \
	"  --exit-signal SIG    signal sent to the parent at exit (name or number)\n"       \
	"  --kernel X.Y         predict for this kernel version (default: the running one)\n" \
	"  --unprivileged       judge for a caller without capabilities\n"                  \
	"  --as-init            judge for PID 1 of a PID namespace\n"                       \
	"  --in-userns          judge for a caller in a non-initial user namespace\n"       \
	"  --chrooted           judge for a chrooted caller\n"                              \
	"  --stack ADDR --stack-size N   clone3 stack (hex or decimal)\n"                   \
	"  --size N             clone3 struct size (default 88)\n"                          \
	"  --set-tid PID[,PID]  clone3 set_tid, innermost PID namespace first\n"            \
	"  --cgroup DIR         clone3 CLONE_INTO_CGROUP target (opened and inspected)\n"

void call_opts_init(struct call_opts *o);
/* Applies one CALL_LONG_OPTIONS option; 0, or a usage error already printed (CK_EXIT_USAGE). */
int call_opts_apply(struct call_opts *o, const char *cmd, int opt, const char *arg);
/*
 * Parses the flag words (joined with '|') and builds the request and the
 * context. Returns 0 or CK_EXIT_USAGE after printing what is wrong.
 */
int call_build(const struct call_opts *o, const char *cmd, int nwords, char **words,
	       struct ck_clone_request *req, struct ck_context *ctx);
void call_opts_release(struct call_opts *o);

/* One line of `check -`: "SYSCALL FLAGS [EXIT_SIGNAL]". */
struct check_line {
	enum ck_syscall sc;
	char *flags_text;         /* the FLAGS word, inside the line */
	uint64_t flags;           /* its value for sc */
	bool exit_signal_set;
	unsigned exit_signal;     /* 0..255 */
};
/*
 * Reads one line as getline() gave it (len bytes of any value, its "\n" or
 * "\r\n" included, a NUL after them), in place: 1 and *out for a call, 0 for
 * a blank line, -1 with why (one line, no control characters) for a line
 * that is not a call.
 */
int check_line_read(char *line, size_t len, struct check_line *out, char *why, size_t why_len);

/*
 * The ck_spawn_attr options run and trace share (cli/attr.c); their values
 * are ATTR_OPT_FIRST..ATTR_OPT_END-1.
 */
enum {
	ATTR_OPT_FIRST = 0x300,
	ATTR_OPT_NEW = ATTR_OPT_FIRST, ATTR_OPT_SHARE, ATTR_OPT_MAP_ROOT, ATTR_OPT_MAP_USER,
	ATTR_OPT_UID_MAP, ATTR_OPT_GID_MAP, ATTR_OPT_HOSTNAME, ATTR_OPT_MOUNT_PROC, ATTR_OPT_MONO,
	ATTR_OPT_BOOT, ATTR_OPT_CGROUP, ATTR_OPT_CWD, ATTR_OPT_DWP, ATTR_OPT_EXIT_SIGNAL,
	ATTR_OPT_SECCOMP, ATTR_OPT_END
};
#define ATTR_LONG_OPTIONS                                                       \
	{ "new", required_argument, NULL, ATTR_OPT_NEW },                       \
	{ "share", required_argument, NULL, ATTR_OPT_SHARE },                   \
	{ "map-root", no_argument, NULL, ATTR_OPT_MAP_ROOT },                   \
	{ "map-user", no_argument, NULL, ATTR_OPT_MAP_USER },                   \
	{ "uid-map", required_argument, NULL, ATTR_OPT_UID_MAP },               \
	{ "gid-map", required_argument, NULL, ATTR_OPT_GID_MAP },               \
	{ "hostname", required_argument, NULL, ATTR_OPT_HOSTNAME },             \
	{ "mount-proc", no_argument, NULL, ATTR_OPT_MOUNT_PROC },               \
	{ "monotonic", required_argument, NULL, ATTR_OPT_MONO },                \
	{ "boottime", required_argument, NULL, ATTR_OPT_BOOT },                 \
	{ "cgroup", required_argument, NULL, ATTR_OPT_CGROUP },                 \
	{ "cwd", required_argument, NULL, ATTR_OPT_CWD },                       \
	{ "die-with-parent", no_argument, NULL, ATTR_OPT_DWP },                 \
	{ "exit-signal", required_argument, NULL, ATTR_OPT_EXIT_SIGNAL },       \
	{ "seccomp", required_argument, NULL, ATTR_OPT_SECCOMP }

#define ATTR_OPTIONS_HELP                                                                       \
	"  --new NS[,NS...]      new namespaces: user, pid, net, mnt, uts, ipc, cgroup,\n"      \
	"                        time, or all\n"                                                 \
	"  --share WHAT[,...]    keep sharing after execve: fs, io, sysvsem; vm asks for\n"      \
	"                        the CLONE_VM|CLONE_VFORK path (files and sighand end at\n"      \
	"                        execve, so they are refused)\n"                                 \
	"  --map-root            map your uid/gid to 0 in the new user namespace\n"              \
	"  --map-user            map your uid/gid to themselves\n"                               \
	"  --uid-map IN:OUT:N    a uid range (repeatable); --gid-map likewise\n"                 \
	"  --hostname NAME       hostname in the new UTS namespace (implies --new uts)\n"        \
	"  --mount-proc          a fresh /proc (implies --new mnt; needs --new pid)\n"           \
	"  --monotonic SECONDS   CLOCK_MONOTONIC offset (implies --new time)\n"                  \
	"  --boottime SECONDS    CLOCK_BOOTTIME offset (implies --new time)\n"                   \
	"  --cgroup DIR          start in this cgroup v2 directory (CLONE_INTO_CGROUP)\n"        \
	"  --cwd DIR             working directory\n"                                            \
	"  --die-with-parent     SIGKILL the command if clonekit dies\n"                         \
	"  --exit-signal SIG     the child's exit signal; execve resets it to SIGCHLD,\n"        \
	"                        so it is seen only if the child ends before execve\n"           \
	"  --seccomp POLICY      load a seccomp policy just before execve, with\n"               \
	"                        no_new_privs: deny-namespaces, deny-userns or\n"                \
	"                        no-child-process (see clonekit seccomp --list)\n"

/* The attribute set the options build, and the namespaces asked for. */
struct attr_opts {
	struct ck_spawn_attr *attr;
	uint64_t namespaces, share;
};
int attr_opts_init(struct attr_opts *o);   /* 0 or -ENOMEM */
void attr_opts_release(struct attr_opts *o);
/* Applies one ATTR_LONG_OPTIONS option: 0, or nonzero once it has printed why it cannot. */
int attr_opts_apply(struct attr_opts *o, const char *cmd, int opt, const char *arg);
/* Sets the namespaces and sharing gathered: 0 or -EINVAL. */
int attr_opts_finish(struct attr_opts *o);
/* The namespaces as unshare(1) names them, a JSON array under key. */
void jw_namespaces(struct jw *w, const char *key, uint64_t namespaces);
/* "clonekit CMD: " and the spawn error's sentence, with the command-line fix clonekit knows. */
void cli_spawn_error(const char *cmd, const struct ck_spawn_error *err, int r);
/* 127 when execve found nothing (the command or its interpreter), 126 for another execve failure, else 125. */
int cli_spawn_exit_code(const struct ck_spawn_error *err);

/*
 * cli/value.c: option values, read one way; each returns 0 or -EINVAL and
 * prints nothing.
 */
/* --stack, --stack-size, --size: a hex or decimal number of 64 bits. */
int cli_parse_u64(const char *s, uint64_t *out);
/* trace -p: a process ID, 1..INT32_MAX. */
int cli_parse_pid(const char *s, pid_t *out);
/* watch --duration: seconds above 0, decimals allowed. */
int cli_parse_seconds(const char *s, double *out);
/* seccomp --errno: a name in any case (EPERM, eacces) or a number 1-4095; 0 for neither. */
int cli_parse_errno(const char *s);
/* --uid-map, --gid-map: INSIDE:OUTSIDE:COUNT, 32-bit each, COUNT above 0. */
int cli_parse_id_map(const char *s, uint32_t v[3]);
/* --monotonic, --boottime: seconds with a sign and up to nine decimals, as the kernel's sec and nsec. */
int cli_parse_offset(const char *s, int64_t *sec, long *nsec);
/* --set-tid: 1 to max PIDs (decimal, 32-bit, negative allowed) separated by commas, into tids[0..*n). */
int cli_parse_set_tid(const char *s, int32_t *tids, size_t max, uint64_t *n);

/* Prints a finding as "EINVAL: message" (errors) or "warning: message". */
void print_finding(FILE *f, const struct ck_finding *fi);
/* Writes a verdict's findings as a JSON array under key. */
void jw_findings(struct jw *w, const char *key, const struct ck_verdict *v);

/*
 * Prints "clonekit CMD: message" and "Try 'clonekit CMD --help'." to stderr
 * (CMD NULL: the command itself) and returns CK_EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The option parser of every subcommand (cli/opt.c), called as getopt_long:
 * set optind to 1 first (0 to start over on an argv whose parse stopped
 * inside a cluster such as "-abc"), then each call returns the next option's
 * short letter or struct option val (0 when its flag is set), -1 at the end
 * with optind at the first operand, and optarg set for an option's argument
 * ("--name=VALUE", "--name VALUE", "-xVALUE", "-x VALUE"). A leading '+' in
 * optstring stops at the first operand; otherwise options and operands mix
 * and the operands end up last, in order. Unlike getopt_long:
 *   - a long option matches only when spelled in full, never by a prefix;
 *   - "--" never serves as an option's argument (it ends the options);
 *   - it prints nothing: on an unknown option, an argument given to an
 *     option without one, or a missing argument it returns '?' (':' for a
 *     missing one) and cli_option_error says what was wrong.
 */
int cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts);
/*
 * The usage error of the last failed cli_getopt: the option as typed and,
 * for an unknown one, the options it abbreviates or the nearest spelling
 * ("unknown option '--mount'; did you mean '--mount-proc'?"). Returns
 * CK_EXIT_USAGE.
 */
int cli_option_error(const char *cmd);
/* The name in names nearest to word (at most 1 edit for 3 letters, else 2), or NULL. */
const char *cli_nearest(const char *word, const char *const names[], size_t n);
/* A command table (clonekit's commands, kacs's subcommands). */
struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};
/*
 * The entry of table named name; NULL after saying, as cmd, "unknown WHAT
 * 'name'" with the nearest name.
 */
const struct cli_command *cli_find_command(const char *cmd, const char *what, const struct cli_command *table,
					   size_t n, const char *name);

/*
 * JSON output, one document per line, through the library's one writer
 * (lib/internal/json.c: json-c, and bytes that are not UTF-8 kept as
 * docs/event-schema.md says). Keys are ignored inside arrays and at the
 * top level, and must outlive the line (literals, static tables).
 */
struct jw {
	FILE *f;
	struct ck__json doc;
};
void jw_init(struct jw *w, FILE *f);
void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val); /* NULL prints null */
void jw_int(struct jw *w, const char *key, long long val);
void jw_uint(struct jw *w, const char *key, unsigned long long val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_hex(struct jw *w, const char *key, uint64_t val);   /* "0x1200011" as a string */
void jw_null(struct jw *w, const char *key);
/* The event as ck_event_format_json() prints it. */
void jw_event(struct jw *w, const char *key, const struct ck_event *e);
/* Prints the document (begun and ended) and a newline, then frees it. */
void jw_end_line(struct jw *w);
/* Frees a document that will not be printed. */
void jw_release(struct jw *w);

/* cli/observe.c: trace's and watch's output. */
/* Formats e with f into buf, or into a malloc'd buffer (the return value) when buf is too small. */
char *cli_event_text(int (*f)(const struct ck_event *, char *, size_t), const struct ck_event *e,
		     char *buf, size_t len);
/* An alert as 'ALERT <priority> <rule>: <message>' on stderr, or as an {"alert":...} line on json. */
void cli_print_alert(FILE *json, const struct ck_alert *a);
/* The same line into f: the JSON one when json. */
void cli_fprint_alert(FILE *f, bool json, const struct ck_alert *a);
/*
 * The default rules plus those of file (may be NULL) into *out (freed by the
 * caller even on failure). Returns 0; fail when the rules cannot be set up;
 * CK_EXIT_USAGE when file cannot be read or does not parse (said with its line).
 */
int cli_load_rules(const char *cmd, const char *file, int fail, struct ck_detect **out);

/*
 * Sandbox options (cli/sandbox_opts.c): one table read by `clonekit bwrap`
 * and a clonekit called "bwrap" (bubblewrap 0.8's names, rules and
 * messages), and by run and trace (clonekit's names). Parsing records what
 * was asked; cli/sandbox_apply.c turns it into ck_spawn attributes.
 */
enum sbx_dialect { SBX_BWRAP, SBX_OWN };
enum sbx_op_type {
	SBX_BIND = 1, SBX_RO_BIND, SBX_DEV_BIND, SBX_BIND_FD, SBX_RO_BIND_FD, SBX_REMOUNT_RO, SBX_PROC,
	SBX_DEV, SBX_TMPFS, SBX_MQUEUE, SBX_DIR, SBX_FILE, SBX_BIND_DATA, SBX_RO_BIND_DATA, SBX_SYMLINK,
	SBX_CHMOD,
};
struct sbx_op {
	enum sbx_op_type type;
	const char *option;     /* as typed, for messages */
	const char *source, *dest;
	int fd;                 /* -1 none */
	int perms;              /* -1: the operation's default */
	uint64_t size;          /* tmpfs: 0 for the default */
	bool try_;
};
struct sbx_env {
	const char *name;       /* NULL: clear all */
	const char *value;      /* NULL: unset name */
};
#define SBX_MAX_SECCOMP 32
struct sbx {
	enum sbx_dialect dialect;
	const char *cmd;        /* "bwrap", or clonekit's command for messages */
	bool unshare_user, unshare_user_try, unshare_ipc, unshare_pid, unshare_net, unshare_uts,
		unshare_cgroup, unshare_cgroup_try;
	bool disable_userns, assert_userns_disabled, new_session, die_with_parent, as_pid_1, init;
	int userns_fd, userns2_fd, pidns_fd, sync_fd, block_fd, userns_block_fd, info_fd, json_status_fd;
	long uid, gid;          /* -1: not given */
	const char *hostname, *chdir, *exec_label, *file_label;
	struct sbx_op *ops;
	size_t nops;
	struct sbx_env *env;
	size_t nenv;
	const char **lock_files;
	size_t nlock_files;
	int seccomp_fd;         /* --seccomp: read at launch, as bwrap reads it after setup; -1 none */
	struct sbx_bpf {
		void *bpf;
		size_t len;
	} progs[SBX_MAX_SECCOMP]; /* --add-seccomp-fd: read as parsed, as bwrap does */
	size_t nprogs;
	bool caps_used;         /* --cap-add or --cap-drop */
	uint64_t caps;          /* what they ask for, bit n = capability n */
	int next_perms;         /* --perms waiting for its operation, -1 none */
	uint64_t next_size;     /* --size waiting for --tmpfs, 0 none */
	bool in_args_file, want_help, want_version;
	char **args_data;       /* --args buffers the words point into */
	size_t nargs_data;
	/* cgroup limits and seccomp from outside (run and trace only; sbx-res2) */
	struct ck_cgroup_limits limits; /* --memory-max, --memory-swap-max, --pids-max, --cpu-max */
	bool limits_used;
	bool swap_given;                /* --memory-swap-max, 0 included */
	struct sbx_bpf profile_bpf;     /* --seccomp-profile FILE, compiled as parsed */
	struct sbx_bpf deny_bpf;        /* --seccomp-deny FLAGS[:ACTION], compiled as parsed */
};
void sbx_init(struct sbx *s, enum sbx_dialect dialect, const char *cmd);
void sbx_release(struct sbx *s);
/* Whether any sandbox option was given (run and trace then build a sandbox). */
bool sbx_used(const struct sbx *s);
/*
 * The option at argv[0] (argc words from there): how many words it took,
 * 0 when it is no sandbox option of the dialect, -1 once said why not.
 */
int sbx_option(struct sbx *s, int argc, char **argv);
/* The same, --args FD included (run and trace); *total counts the words read, for bwrap's limit. */
int sbx_own_option(struct sbx *s, int argc, char **argv, unsigned *total);
/*
 * bwrap's whole option list up to the command: 0 with *consumed (the
 * command's index; "--" taken), 1 for --help or --version (s->want_*),
 * -1 once said why not.
 */
int sbx_parse_bwrap_words(struct sbx *s, int argc, char **argv, unsigned *total, int *consumed);
/* Reads a raw BPF program whole from fd and closes it (bwrap's seccomp_program_new): 0, or -1 once said why not. */
int sbx_read_bpf(struct sbx *s, int fd, struct sbx_bpf *out);
/* bwrap --help's text, and the sandbox options of run and trace for theirs. */
void sbx_bwrap_usage(FILE *f, const char *argv0);
void sbx_own_usage(FILE *f);
/* A capability's number from its name as libcap's cap_from_name takes it, or -EINVAL. */
int sbx_cap_from_name(const char *name);
/* bwrap's stat() of a /proc/self/ns entry (does the kernel have that namespace?): 0, or -1 and errno. */
int sbx_ns_stat(const char *path);
/* bwrap's test for --unshare-user-try: the kernel has user namespaces and they are not turned off. */
bool sbx_userns_available(void);
/* The namespaces the options ask for (bwrap: a mount namespace always). */
uint64_t sbx_namespaces(const struct sbx *s);
/* Sets attr as the options ask: 0, or -1 once said why it cannot (an option this build cannot honour). */
int sbx_apply(struct sbx *s, struct ck_spawn_attr *attr);
/* After the spawn: closes clonekit's copies of the info and json-status fds, as bwrap does. */
void sbx_close_status_fds(struct sbx *s);
/* bwrap's launch: the command's exit code (128+N for signal N), or 1 once said why it failed. */
int sbx_run(struct sbx *s, int argc, char **argv, int *status);
/* Whether arg is one of bwrap's options (not --help or --version, which clonekit has too). */
bool sbx_is_bwrap_option(const char *arg);
/* bwrap [OPTIONS] COMMAND: `clonekit bwrap`, and main() when called "bwrap". */
int cmd_bwrap(int argc, char **argv);
int bwrap_main(const char *argv0, int argc, char **argv);

#endif
