/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default rules, in the rule language, and the two functions that give them. */
#include <clonekit/detect.h>

/* docs/rules.md explains each rule and its priority; keep the two in step. */
static const char default_rules[] =
	"# clonekit's default rules: docs/rules.md says why each one matters.\n"
	"\n"
	"rule userns-with-other-namespaces\n"
	"  priority critical\n"
	"  when kinds has ns_create and flags has CLONE_NEWUSER\n"
	"    and flags has_any (CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC,\n"
	"                       CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME)\n"
	"    and uid != 0 and not failed\n"
	"  message \"{comm} ({pid}, uid {uid}) created a user namespace with other namespaces, \"\n"
	"          \"becoming their root: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule untraced-child\n"
	"  priority critical\n"
	"  when (traced and kinds has_any (process, thread) and flags has CLONE_UNTRACED\n"
	"        or kinds has escaped) and not failed\n"
	"  message \"{comm} ({pid}) is traced and created a child its tracer cannot follow: \"\n"
	"          \"{syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule namespace-in-container\n"
	"  priority warning\n"
	"  when in_container and kinds has ns_create and not failed\n"
	"  message \"{comm} ({pid}, uid {uid}) created a namespace inside a container: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule namespace-by-non-root\n"
	"  priority notice\n"
	"  when uid != 0 and kinds has_any (ns_create, ns_enter) and not failed\n"
	"  message \"{comm} ({pid}, uid {uid}) created or entered a namespace without being root: \"\n"
	"          \"{syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule shared-fd-process\n"
	"  priority warning\n"
	"  when flags has CLONE_FILES and flags lacks CLONE_VM and kinds has process and not failed\n"
	"  message \"{comm} ({pid}) created a process that shares its file descriptor table \"\n"
	"          \"but not its memory: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule clone-parent\n"
	"  priority notice\n"
	"  when flags has CLONE_PARENT and kinds has process and not failed\n"
	"  message \"{comm} ({pid}) created a process whose parent is {ppid}, not itself: \"\n"
	"          \"{syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule unusual-exit-signal\n"
	"  priority notice\n"
	"  when syscall in (clone, clone3) and kinds has process\n"
	"    and exit_signal != SIGCHLD and exit_signal != 0 and not failed\n"
	"  message \"{comm} ({pid}) created a process that will signal its parent with {exit_signal} \"\n"
	"          \"on exit: {syscall}({flags})\"\n"
	"end\n"
	"\n"
	"rule fork-burst\n"
	"  priority warning\n"
	"  when syscall in (clone, clone3, fork, vfork) and kinds has process\n"
	"  rate 2000 per 1s by uid\n"
	"  message \"uid {uid} created more than 2000 processes within 1s (a fork bomb?); \"\n"
	"          \"the last by {comm} ({pid}) with {syscall}\"\n"
	"end\n";

const char *ck_detect_default_rules(void)
{
	return default_rules;
}

int ck_detect_add_defaults(struct ck_detect *d)
{
	return ck_detect_add_rules(d, default_rules, NULL);
}
