/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_seccomp_policy_from_oci: an OCI runtime-spec linux.seccomp object, or a
 * Docker seccomp profile, read with json-c into a policy that lib/seccomp.c
 * compiles with libseccomp (the same policy ck_seccomp_export_oci writes).
 */
#include <clonekit/abi.h>
#include <clonekit/flags.h>
#include <clonekit/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/seccomp.h"
#include "internal/util.h"

#define MAX_DOC (16u << 20)

struct oci {
	struct ck_seccomp_policy *p;
	char *why;
	size_t why_len;
	enum ck_arch native;
};

__attribute__((format(printf, 2, 3))) static int bad(struct oci *o, const char *fmt, ...)
{
	va_list ap;
	if (o->why && o->why_len) {
		va_start(ap, fmt);
		vsnprintf(o->why, o->why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int read_all(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= MAX_DOC) {
				free(buf);
				return -EFBIG;
			}
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* A string member (NULL when absent); -EINVAL when it is there but not a string. */
static int get_str(struct oci *o, json_object *obj, const char *key, const char *where,
		   const char **out)
{
	json_object *v = member(obj, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(o, "%s: \"%s\" is not a string", where, key);
	*out = json_object_get_string(v);
	return 0;
}

static int get_u64(struct oci *o, json_object *obj, const char *key, const char *where,
		   uint64_t *out, bool *present)
{
	json_object *v = member(obj, key);
	*present = v != NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return bad(o, "%s: \"%s\" is not an integer", where, key);
	errno = 0;
	uint64_t u = json_object_get_uint64(v);
	if (errno || (json_object_get_int64(v) < 0 && u == 0))
		return bad(o, "%s: \"%s\" is out of range", where, key);
	*out = u;
	return 0;
}

static int action_of(struct oci *o, json_object *obj, const char *key, const char *errkey,
		     const char *where, enum ck_seccomp_action *a, int *err, int def_err)
{
	const char *name;
	uint64_t e = (uint64_t)def_err;
	bool has;
	int r = get_str(o, obj, key, where, &name);
	if (r)
		return r;
	if (!name)
		return bad(o, "%s: no \"%s\"", where, key);
	if (ck__seccomp_action_parse_oci(name, a) < 0)
		return bad(o, "%s: unknown action \"%s\"", where, name);
	if ((r = get_u64(o, obj, errkey, where, &e, &has)))
		return r;
	if (e > (*a == CK_SECCOMP_TRACE ? 0xffff : 4095))
		return bad(o, "%s: \"%s\" %llu is above %d", where, errkey, (unsigned long long)e,
			   *a == CK_SECCOMP_TRACE ? 0xffff : 4095);
	/* ERRNO(0) would make the call "succeed" without running: refused as a likely mistake */
	if (*a == CK_SECCOMP_ERRNO && e == 0)
		return bad(o, "%s: \"%s\" 0 is not an errno (1 to 4095)", where, errkey);
	*err = (int)e;
	return 0;
}

/* The ABIs: "architectures", or Docker's archMap entry whose architecture is native. */
static int arches(struct oci *o, json_object *doc)
{
	json_object *list = member(doc, "architectures"), *map = member(doc, "archMap");
	enum ck_arch a;
	int r;

	if (list && !json_object_is_type(list, json_type_array))
		return bad(o, "\"architectures\" is not an array");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(list, i));
		if (!name || ck__seccomp_arch_parse_oci(name, &a) < 0)
			return bad(o, "architectures[%zu]: unknown architecture \"%s\"", i, name ? name : "?");
		if ((r = ck__seccomp_policy_add_arch(o->p, a)) < 0)
			return r;
	}
	if (list || !map)
		return 0;
	if (!json_object_is_type(map, json_type_array))
		return bad(o, "\"archMap\" is not an array");
	for (size_t i = 0; i < json_object_array_length(map); i++) {
		json_object *e = json_object_array_get_idx(map, i);
		const char *name = json_object_get_string(member(e, "architecture"));
		if (!name || ck__seccomp_arch_parse_oci(name, &a) < 0 || a != o->native)
			continue;
		if ((r = ck__seccomp_policy_add_arch(o->p, a)) < 0)
			return r;
		json_object *subs = member(e, "subArchitectures");
		for (size_t k = 0; subs && k < json_object_array_length(subs); k++) {
			const char *sub = json_object_get_string(json_object_array_get_idx(subs, k));
			if (sub && ck__seccomp_arch_parse_oci(sub, &a) == 0 &&
			    (r = ck__seccomp_policy_add_arch(o->p, a)) < 0)
				return r;
		}
	}
	return 0;
}

static bool lists(json_object *arr, const char *word)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
		if (s && strcmp(s, word) == 0)
			return true;
	}
	return false;
}

/* Whether arr names this host's architecture, as clonekit or as Go (Docker) spells it. */
static bool names_native(struct oci *o, json_object *arr)
{
	static const struct {
		enum ck_arch arch;
		const char *go;
	} go_names[] = {
		{ CK_ARCH_X86_64, "amd64" }, { CK_ARCH_I386, "386" }, { CK_ARCH_AARCH64, "arm64" },
		{ CK_ARCH_ARM, "arm" },      { CK_ARCH_RISCV64, "riscv64" }, { CK_ARCH_S390X, "s390x" },
		{ CK_ARCH_PPC64LE, "ppc64le" }, { CK_ARCH_MIPS64_N64, "mips64le" },
	};
	for (size_t i = 0; i < ck_arch_count(); i++)
		if (ck_arch_at(i)->arch == o->native && lists(arr, ck_arch_at(i)->name))
			return true;
	for (size_t i = 0; i < CK_ARRAY_SIZE(go_names); i++)
		if (go_names[i].arch == o->native && lists(arr, go_names[i].go))
			return true;
	return false;
}

/* Docker's includes/excludes: whether the entry applies to this sandbox. */
static bool applies(struct oci *o, json_object *entry)
{
	json_object *inc = member(entry, "includes"), *exc = member(entry, "excludes");
	if (inc) {
		json_object *caps = member(inc, "caps"), *arches_ = member(inc, "arches");
		const char *min = json_object_get_string(member(inc, "minKernel"));
		uint32_t v;
		if (caps && json_object_array_length(caps))
			return false;
		if (arches_ && json_object_array_length(arches_) && !names_native(o, arches_))
			return false;
		if (min && (ck_kernel_version_parse(min, &v) < 0 || ck_kernel_version_running() < v))
			return false;
	}
	if (exc && names_native(o, member(exc, "arches")))
		return false;
	return true;
}

static int arg_of(struct oci *o, json_object *a, const char *where, struct ck__seccomp_cmp *c)
{
	uint64_t index = 0, value = 0, two = 0;
	bool has_index, has;
	const char *op;
	int r;
	if (!json_object_is_type(a, json_type_object))
		return bad(o, "%s is not an object", where);
	if ((r = get_u64(o, a, "index", where, &index, &has_index)) || (r = get_u64(o, a, "value", where, &value, &has)) ||
	    (r = get_u64(o, a, "valueTwo", where, &two, &has)) || (r = get_str(o, a, "op", where, &op)))
		return r;
	if (!has_index || index > 5)
		return bad(o, "%s: \"index\" must be 0 to 5", where);
	if (!op || ck__seccomp_op_parse_oci(op, &c->op) < 0)
		return bad(o, "%s: unknown op \"%s\"", where, op ? op : "(none)");
	c->arg = (unsigned)index;
	/* libseccomp's MASKED_EQ: value is the mask, valueTwo what the masked argument equals */
	c->mask = c->op == CK__SECCOMP_MASKED_EQ ? value : 0;
	c->value = c->op == CK__SECCOMP_MASKED_EQ ? two : value;
	return 0;
}

static int entry(struct oci *o, json_object *e, size_t i)
{
	char where[64];
	struct ck__seccomp_cmp cmp[CK__SECCOMP_MAX_CMP];
	unsigned ncmp = 0;
	enum ck_seccomp_action action;
	int err = 0, r;
	bool same_index = false;

	snprintf(where, sizeof(where), "syscalls[%zu]", i);
	if (!json_object_is_type(e, json_type_object))
		return bad(o, "%s is not an object", where);
	json_object *names = member(e, "names"), *args = member(e, "args");
	const char *one = NULL;
	if ((r = get_str(o, e, "name", where, &one)))
		return r;
	if (!names && !one)
		return bad(o, "%s: no \"names\"", where);
	if (names && !json_object_is_type(names, json_type_array))
		return bad(o, "%s: \"names\" is not an array", where);
	if ((r = action_of(o, e, "action", "errnoRet", where, &action, &err, EPERM)))
		return r;
	if (args && !json_object_is_type(args, json_type_array))
		return bad(o, "%s: \"args\" is not an array", where);
	if (args && json_object_array_length(args) > CK__SECCOMP_MAX_CMP)
		return bad(o, "%s: more than %d args", where, CK__SECCOMP_MAX_CMP);
	for (size_t k = 0; args && k < json_object_array_length(args); k++) {
		char w[96];
		snprintf(w, sizeof(w), "%s.args[%zu]", where, k);
		if ((r = arg_of(o, json_object_array_get_idx(args, k), w, &cmp[ncmp])))
			return r;
		for (unsigned j = 0; j < ncmp; j++)
			same_index |= cmp[j].arg == cmp[ncmp].arg;
		ncmp++;
	}
	if (!applies(o, e))
		return 0;
	size_t nnames = names ? json_object_array_length(names) : 1;
	for (size_t k = 0; k < nnames; k++) {
		const char *name = names ? json_object_get_string(json_object_array_get_idx(names, k)) : one;
		if (!name || !*name)
			return bad(o, "%s: names[%zu] is not a syscall name", where, k);
		struct ck__seccomp_rule rule = { .syscall = name, .action = action, .err = err,
						 .optional = true };
		/* libseccomp cannot AND two tests of one argument: each is its own rule (runc's way) */
		for (unsigned j = 0; j < (same_index ? ncmp : 1); j++) {
			rule.ncmp = same_index ? 1 : ncmp;
			memcpy(rule.cmp, same_index ? &cmp[j] : cmp, rule.ncmp * sizeof(*cmp));
			if ((r = ck__seccomp_policy_add(o->p, &rule)) < 0)
				return r == -EINVAL ? bad(o, "%s: names[%zu] \"%s\" is not a syscall name", where, k, name) : r;
		}
	}
	return 0;
}

static int parse(struct oci *o, const char *text)
{
	enum json_tokener_error jerr;
	json_object *doc = json_tokener_parse_verbose(text, &jerr);
	enum ck_seccomp_action def;
	int def_err = EPERM, r;

	if (!doc)
		return bad(o, "not JSON: %s", json_tokener_error_desc(jerr));
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return bad(o, "the document is not a JSON object");
	}
	r = action_of(o, doc, "defaultAction", "defaultErrnoRet", "the profile", &def, &def_err, EPERM);
	if (r == 0 && !(o->p = ck__seccomp_policy_new("oci", NULL)))
		r = -ENOMEM;
	if (r == 0 && ck__seccomp_policy_set_default(o->p, def, def_err) < 0)
		r = bad(o, "the profile: \"defaultAction\" %s cannot be a default", ck_seccomp_action_name(def));
	if (r == 0)
		r = arches(o, doc);
	json_object *calls = r == 0 ? member(doc, "syscalls") : NULL;
	if (r == 0 && calls && !json_object_is_type(calls, json_type_array))
		r = bad(o, "\"syscalls\" is not an array");
	for (size_t i = 0; r == 0 && calls && i < json_object_array_length(calls); i++)
		r = entry(o, json_object_array_get_idx(calls, i), i);
	if (r == 0)
		ck__seccomp_policy_set_summary(o->p, "an OCI seccomp profile: %zu syscall entries; other calls: %s",
					       calls ? json_object_array_length(calls) : 0,
					       ck_seccomp_action_name(def));
	json_object_put(doc);
	return r;
}

struct ck_seccomp_policy *ck_seccomp_policy_from_oci(const char *path, int fd, char *why,
						    size_t why_len)
{
	struct oci o = { .why = why, .why_len = why_len };
	const struct ck_arch_info *native = ck_arch_native();
	char *text = NULL;
	int r;

	if (why && why_len)
		why[0] = '\0';
	if (!native || (!path && fd < 0)) {
		errno = native ? EINVAL : EOPNOTSUPP;
		return NULL;
	}
	o.native = native->arch;
	if (path) {
		int own CK_AUTO_CLOSE = open(path, O_RDONLY | O_CLOEXEC);
		r = own < 0 ? -errno : read_all(own, &text);
	} else {
		r = read_all(fd, &text);
	}
	if (r < 0) {
		if (why && why_len)
			snprintf(why, why_len, "reading %s: %s", path ? path : "the profile's fd", strerror(-r));
		errno = -r;
		return NULL;
	}
	r = parse(&o, text);
	free(text);
	if (r < 0) {
		ck_seccomp_policy_free(o.p);
		errno = -r;
		return NULL;
	}
	return o.p;
}
