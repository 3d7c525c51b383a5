/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The name lookups of the public API, each given any text: ck_flag_by_name,
 * ck_arch_by_name, ck_nr_parse, ck_event_call_parse, ck_seccomp_action_parse,
 * ck_priority_parse and ck_probe_feature_by_name. Promises held: what is
 * found is what the text names by the rule its header states (case, the
 * CLONE_ prefix, the listed aliases), and never anything else.
 */
#include <strings.h>

#include <clonekit/clonekit.h>

#include "fuzz.h"

/* unshare(1)'s namespace names (flags.h) and the architectures' aliases (abi.h), as documented. */
static const struct {
	const char *alias;
	uint64_t value;
} ns_aliases[] = {
	{ "mnt", CK_CLONE_NEWNS },   { "mount", CK_CLONE_NEWNS }, { "uts", CK_CLONE_NEWUTS },
	{ "ipc", CK_CLONE_NEWIPC },  { "net", CK_CLONE_NEWNET },  { "pid", CK_CLONE_NEWPID },
	{ "user", CK_CLONE_NEWUSER }, { "cgroup", CK_CLONE_NEWCGROUP }, { "time", CK_CLONE_NEWTIME },
};
static const struct {
	const char *alias;
	const char *arch;
} arch_aliases[] = {
	{ "amd64", "x86_64" },   { "x86-64", "x86_64" },   { "i486", "i386" },       { "i586", "i386" },
	{ "i686", "i386" },      { "x86", "i386" },        { "arm64", "aarch64" },    { "armhf", "arm" },
	{ "armel", "arm" },      { "armv7", "arm" },       { "armv7l", "arm" },       { "riscv", "riscv64" },
	{ "s390", "s390x" },     { "ppc64el", "ppc64le" }, { "powerpc64le", "ppc64le" },
	{ "mips64", "mips64el" }, { "mipsel64", "mips64el" },
};

static void flag(const char *s)
{
	const struct ck_flag *f = ck_flag_by_name(s);
	if (!f)
		return;
	const char *word = strncasecmp(s, "CLONE_", 6) == 0 && s[6] ? s + 6 : s;
	bool named = strcasecmp(word, f->short_name) == 0;
	for (size_t i = 0; i < sizeof(ns_aliases) / sizeof(ns_aliases[0]); i++)
		named |= strcasecmp(word, ns_aliases[i].alias) == 0 && ns_aliases[i].value == f->value;
	FUZZ_CHECK(named, s, "found %s", f->name);
	FUZZ_CHECK(ck_flag_by_name(f->name) == f && ck_flag_by_value(f->value) == f, s, "%s is not itself", f->name);
}

static void arch(const char *s)
{
	const struct ck_arch_info *a = ck_arch_by_name(s);
	if (!a)
		return;
	bool named = strcasecmp(s, a->name) == 0;
	for (size_t i = 0; i < sizeof(arch_aliases) / sizeof(arch_aliases[0]); i++)
		named |= strcasecmp(s, arch_aliases[i].alias) == 0 && strcmp(arch_aliases[i].arch, a->name) == 0;
	FUZZ_CHECK(named, s, "found %s", a->name);
}

static void calls(const char *s)
{
	enum ck_nr nr;
	enum ck_event_call call;
	enum ck_seccomp_action action;
	enum ck_priority prio;
	const struct ck_probe_feature *feature;

	if (ck_nr_parse(s, &nr) == 0)
		FUZZ_CHECK(strcasecmp(ck_nr_name(nr), s) == 0, s, "read as %s", ck_nr_name(nr));
	if (ck_event_call_parse(s, &call) == 0)
		FUZZ_CHECK(strcmp(ck_event_call_name(call), s) == 0, s, "read as %s", ck_event_call_name(call));
	if (ck_seccomp_action_parse(s, &action) == 0)
		FUZZ_CHECK(strcmp(ck_seccomp_action_name(action), s) == 0, s, "read as %s",
			   ck_seccomp_action_name(action));
	if (ck_priority_parse(s, &prio) == 0)
		FUZZ_CHECK(strcasecmp(ck_priority_name(prio), s) == 0, s, "read as %s", ck_priority_name(prio));
	if ((feature = ck_probe_feature_by_name(s)))
		FUZZ_CHECK(strcmp(feature->name, s) == 0, s, "found %s", feature->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	flag(s);
	arch(s);
	calls(s);
	free(s);
	return 0;
}
