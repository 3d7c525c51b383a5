/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one JSON writer (lib/internal/json.c) and what prints through it:
 * ck_event_format_json() and an alert's --json line (cli_fprint_alert).
 * The first byte picks what the rest of the input drives:
 *   0  a program of writer calls (begin, end, bytes, str, int, uint, bool,
 *      null, hex under keys that include quotes, controls and non-ASCII);
 *   1  an event whose every field, comm and exe included, is input bytes;
 *   2  an alert with such an event and a rule name and message of input bytes.
 * Promises held: the output is one line of valid JSON read by json_check.c,
 * an RFC 8259 reader written apart from json-c; it is the document the calls
 * made, numbers exact; every string gives back its bytes by
 * docs/event-schema.md's rule (the text, or its U+FFFD repair and the _hex
 * field); a call sequence the writer refuses (an end without a begin, the
 * wrong kind of end, deeper than CK__JSON_DEPTH, a second document, a
 * member outside any) is -EINVAL, never a document of the wrong shape; a
 * short buffer gets a NUL-terminated prefix and the whole length.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "cli.h"
#include "internal/util.h"
#include "internal/json.h"

#include "fuzz.h"
#include "json_check.h"

static char why[512];

/* ---- the model of a writer program ---- */

enum m_type { M_OBJ, M_ARR, M_BYTES, M_INT, M_UINT, M_BOOL, M_NULL, M_HEX };

struct m_node {
	enum m_type type;
	const char *key;       /* a member's key; NULL in an array */
	char *bytes;           /* M_BYTES */
	size_t len;
	uint64_t num;          /* M_INT, M_UINT, M_BOOL, M_HEX */
	struct m_node *kids;   /* M_OBJ, M_ARR */
	size_t count, cap;
};

/*
 * Keys come from clonekit's own tables, which outlive the document: these
 * are static too, with the bytes JSON must escape in names.
 */
static const char *const special_keys[] = {
	"comm", "exe", "message", "", "\"", "\\", "a\nb", "\t", "\x01", "\x7f", "/", "\xc3\xa9t\xc3\xa9",
	"\xe2\x80\xa8", "\xf0\x9f\x98\x80", "key with spaces", "_hex",
};
static char numbered_keys[48][8];
#define NKEYS (CK_ARRAY_SIZE(special_keys) + CK_ARRAY_SIZE(numbered_keys))

static const char *key_at(size_t i)
{
	if (!numbered_keys[0][0])
		for (size_t k = 0; k < CK_ARRAY_SIZE(numbered_keys); k++)
			snprintf(numbered_keys[k], sizeof(numbered_keys[k]), "k%zu", k);
	i %= NKEYS;
	return i < CK_ARRAY_SIZE(special_keys) ? special_keys[i] : numbered_keys[i - CK_ARRAY_SIZE(special_keys)];
}

static void m_free(struct m_node *n)
{
	for (size_t i = 0; i < n->count; i++)
		m_free(&n->kids[i]);
	free(n->kids);
	free(n->bytes);
}

static struct m_node *m_add(struct m_node *parent, enum m_type type, const char *key)
{
	if (parent->count == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = realloc(parent->kids, parent->cap * sizeof(*parent->kids));
		if (!parent->kids)
			abort();
	}
	struct m_node *n = &parent->kids[parent->count++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->key = parent->type == M_OBJ ? key : NULL;
	return n;
}

/*
 * Whether key may go into obj: members of one object have distinct keys and
 * none is another's key plus "_hex", as every caller's keys are (the schema:
 * no field otherwise ends in _hex); a program that breaks this is skipped.
 */
static bool key_free(const struct m_node *obj, const char *key)
{
	if (obj->type != M_OBJ)
		return true;
	size_t k = strlen(key);
	for (size_t i = 0; i < obj->count; i++) {
		const char *o = obj->kids[i].key;
		size_t ok = strlen(o);
		if (strcmp(o, key) == 0 || (ok == k + 4 && strncmp(o, key, k) == 0 && strcmp(o + k, "_hex") == 0) ||
		    (k == ok + 4 && strncmp(key, o, ok) == 0 && strcmp(key + ok, "_hex") == 0))
			return false;
	}
	return true;
}

/* The value v (already known to hold a number or text) against the model's node n. */
static bool same_scalar(const struct m_node *n, const struct jc_value *v)
{
	char d[32];
	switch (n->type) {
	case M_INT: return jc_is_int(v, (int64_t)n->num);
	case M_UINT: return jc_is_uint(v, n->num);
	case M_BOOL: return v->type == (n->num ? JC_TRUE : JC_FALSE);
	case M_NULL: return v->type == JC_NULL;
	case M_HEX:
		/* hex, lowercase, as "%#" PRIx64 writes it: "0" for zero */
		snprintf(d, sizeof(d), "%#" PRIx64, n->num);
		return v->type == JC_STRING && strcmp(v->text, d) == 0;
	default: return false;
	}
}

/* Whether the JSON value v is the model's n; why says where not. */
static bool same(const struct m_node *n, const struct jc_value *v, const char *path)
{
	char sub[256];

	if (n->type == M_OBJ || n->type == M_ARR) {
		if (v->type != (n->type == M_OBJ ? JC_OBJECT : JC_ARRAY)) {
			snprintf(why, sizeof(why), "%s: not an %s", path, n->type == M_OBJ ? "object" : "array");
			return false;
		}
		size_t members = 0;
		for (size_t i = 0; i < n->count; i++) {
			const struct m_node *k = &n->kids[i];
			const struct jc_value *kv;
			snprintf(sub, sizeof(sub), "%.200s/%zu", path, i);
			if (n->type == M_ARR) {
				kv = i < v->count ? &v->items[i] : NULL;
			} else {
				kv = jc_get(v, k->key);
				/* a member written in bytes that are not UTF-8 brings its _hex */
				members += 1 + (k->type == M_BYTES && !jc_utf8_valid(k->bytes, k->len));
			}
			if (!kv) {
				snprintf(why, sizeof(why), "%s: missing", sub);
				return false;
			}
			if (k->type == M_BYTES) {
				if (n->type == M_OBJ) {
					if (!jc_holds_bytes(v, k->key, k->bytes, k->len, why, sizeof(why)))
						return false;
				} else {
					/* in an array, only the text: arrays hold names from clonekit's tables */
					char *want = malloc(3 * k->len + 1);
					size_t wl = jc_utf8_replace(want, k->bytes, k->len);
					bool ok = kv->type == JC_STRING && kv->len == wl && memcmp(kv->text, want, wl) == 0;
					free(want);
					if (!ok) {
						snprintf(why, sizeof(why), "%s: not the text of its bytes", sub);
						return false;
					}
				}
			} else if (k->type == M_OBJ || k->type == M_ARR) {
				if (!same(k, kv, sub))
					return false;
			} else if (!same_scalar(k, kv)) {
				snprintf(why, sizeof(why), "%s: %s is not what was written", sub, kv->text ? kv->text : "value");
				return false;
			}
		}
		if (n->type == M_ARR)
			members = n->count;
		if (v->count != members) {
			snprintf(why, sizeof(why), "%s: %zu members, %zu written", path, v->count, members);
			return false;
		}
		return true;
	}
	return false;
}

/* Reads the document back from text and holds it to the model. */
static void check_document(const char *text, size_t n, const struct m_node *root, const char *input)
{
	struct jc_value v;

	FUZZ_CHECK(!memchr(text, '\n', n) && !memchr(text, '\r', n), input, "the document is not one line: %s", text);
	FUZZ_CHECK(jc_parse(text, n, &v, why, sizeof(why)) == 0, input, "not JSON (%s): %s", why, text);
	FUZZ_CHECK(same(root, &v, ""), input, "%s, in %s", why, text);
	jc_free(&v);
}

/* The writer's promises for one document: format, a short buffer, write_line, print_line. */
static void check_outputs(struct ck__json *w, const struct m_node *root, int want_err, const char *input)
{
	int n = ck__json_format(w, NULL, 0);
	char small[8];

	if (want_err) {
		char buf[4] = "xyz";
		FUZZ_CHECK(n == want_err, input, "format returned %d, not the writer's failure %d", n, want_err);
		FUZZ_CHECK(ck__json_format(w, buf, sizeof(buf)) == want_err && buf[0] == '\0', input,
			   "a refused document left '%s'", buf);
		FUZZ_CHECK(ck__json_print_line(w, stdout) == want_err, input, "print_line wrote a refused document");
		return;
	}
	FUZZ_CHECK(n > 0, input, "format returned %d for a document", n);
	char *buf = malloc((size_t)n + 1);
	if (!buf)
		abort();
	memset(buf, 'x', (size_t)n + 1);
	FUZZ_CHECK(ck__json_format(w, buf, (size_t)n + 1) == n && buf[n] == '\0' && strlen(buf) == (size_t)n,
		   input, "format into %d bytes is not the whole document", n + 1);
	check_document(buf, (size_t)n, root, input);

	/* a short buffer: the prefix, NUL-terminated, and the whole length */
	size_t cut = (size_t)n < sizeof(small) ? (size_t)n : sizeof(small);
	memset(small, 'x', sizeof(small));
	FUZZ_CHECK(ck__json_format(w, small, cut) == n && small[cut - 1] == '\0' &&
			   memcmp(small, buf, cut - 1) == 0,
		   input, "format into %zu bytes is not the document's prefix", cut);

	/* one write(2) of the line and its newline */
	static int fd = -1;
	if (fd < 0 && (fd = memfd_create("fuzz-json", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	FUZZ_CHECK(ck__json_write_line(w, fd) == 0, input, "write_line failed");
	char *back = malloc((size_t)n + 2);
	if (!back || pread(fd, back, (size_t)n + 2, 0) != n + 1)
		abort();
	FUZZ_CHECK(memcmp(back, buf, (size_t)n) == 0 && back[n] == '\n', input, "write_line did not write the document and a newline");
	free(back);
	free(buf);
}

static void writer_program(struct fuzz_in *in, const char *input)
{
	struct ck__json w;
	struct m_node top = { .type = M_ARR }, *open[CK__JSON_DEPTH + 1];
	int depth = 0, want_err = 0;
	bool have_root = false;

	ck__json_init(&w);
	while (in->n) {
		uint8_t op = fuzz_u8(in);
		const char *key = key_at(fuzz_u8(in));
		struct m_node *parent = depth ? open[depth - 1] : NULL;
		/* a member's key must be free in its object (the callers' contract); else skip the call */
		bool keyed = (op % 11) != 1 && (op % 11) != 3;
		if (keyed && parent && !key_free(parent, key))
			continue;
		/* what the writer must make of this call, once it has failed nothing more */
		bool refuse_value = depth == 0;
		switch (op % 11) {
		case 0: /* object */
		case 2: /* array */ {
			bool obj = op % 11 == 0;
			obj ? ck__json_obj_begin(&w, key) : ck__json_arr_begin(&w, key);
			if (want_err)
				break;
			if (depth == CK__JSON_DEPTH || (depth == 0 && have_root)) {
				want_err = -EINVAL;
				break;
			}
			struct m_node *n = m_add(depth ? parent : &top, obj ? M_OBJ : M_ARR, key);
			have_root = true;
			open[depth++] = n;
			break;
		}
		case 1: /* end an object */
		case 3: /* end an array */ {
			bool obj = op % 11 == 1;
			obj ? ck__json_obj_end(&w) : ck__json_arr_end(&w);
			if (want_err)
				break;
			if (depth == 0 || parent->type != (obj ? M_OBJ : M_ARR))
				want_err = -EINVAL;
			else
				depth--;
			break;
		}
		case 4: /* bytes */
		case 5: /* a NUL-terminated string */ {
			size_t len = fuzz_u8(in);
			if (len == 255)
				len = 255 + (size_t)fuzz_u64(in, 2) % 2048;
			char *s = malloc(len + 1);
			if (!s)
				abort();
			len = fuzz_bytes(in, s, len);
			s[len] = '\0';
			if (op % 11 == 5) {
				len = strlen(s);
				ck__json_str(&w, key, s);
			} else {
				ck__json_bytes(&w, key, s, len);
			}
			if (!want_err && refuse_value)
				want_err = -EINVAL;
			if (!want_err) {
				struct m_node *n = m_add(parent, M_BYTES, key);
				n->bytes = s;
				n->len = len;
			} else {
				free(s);
			}
			break;
		}
		default: {
			uint64_t v = fuzz_u64(in, 8);
			enum m_type t;
			switch (op % 11) {
			case 6: ck__json_int(&w, key, (int64_t)v); t = M_INT; break;
			case 7: ck__json_uint(&w, key, v); t = M_UINT; break;
			case 8: v &= 1; ck__json_bool(&w, key, v); t = M_BOOL; break;
			case 9: ck__json_null(&w, key); t = M_NULL; break;
			default: ck__json_hex(&w, key, v); t = M_HEX; break;
			}
			if (!want_err && refuse_value)
				want_err = -EINVAL;
			if (!want_err)
				m_add(parent, t, key)->num = v;
			break;
		}
		}
	}
	/* a document is whole only when something was begun and everything ended */
	if (!want_err && (!have_root || depth))
		want_err = -EINVAL;
	check_outputs(&w, top.count ? &top.kids[0] : &top, want_err, input);
	ck__json_release(&w);
	m_free(&top);
}

/* ---- events and alerts ---- */

static void event_from(struct fuzz_in *in, struct ck_event *e)
{
	ck_event_init(e);
	e->source = fuzz_u8(in) & 1 ? CK_SOURCE_WATCH : CK_SOURCE_TRACE;
	e->call = (enum ck_event_call)(fuzz_u8(in) % CK_CALL__COUNT);
	e->arch = ck_arch_at(fuzz_u8(in) % ck_arch_count())->arch;
	uint8_t bits = fuzz_u8(in);
	e->has_args = bits & 1;
	e->has_result = bits & 2;
	e->in_container = bits & 4;
	e->traced = bits & 8;
	e->kinds = fuzz_u8(in) & 0x3f;
	e->exe_flags = fuzz_u8(in) & 7;
	e->time_ns = fuzz_u64(in, 8);
	e->pid = (int32_t)fuzz_u64(in, 4);
	e->tid = (int32_t)fuzz_u64(in, 4);
	e->ppid = (int32_t)fuzz_u64(in, 4);
	e->uid = (uint32_t)fuzz_u64(in, 4);
	e->cgroup_id = fuzz_u64(in, 8);
	e->flags = fuzz_u64(in, 8);
	e->exit_signal = fuzz_u64(in, 8);
	e->args.flags = fuzz_u64(in, 8);
	e->args.exit_signal = fuzz_u64(in, 8);
	e->args.stack = fuzz_u64(in, 8);
	e->args.stack_size = fuzz_u64(in, 8);
	e->args.tls = fuzz_u64(in, 8);
	e->args.set_tid_size = fuzz_u64(in, 8);
	e->args.cgroup = fuzz_u64(in, 8);
	e->args_size = fuzz_u64(in, 8);
	e->fd = (int32_t)fuzz_u64(in, 4);
	e->result = (int64_t)fuzz_u64(in, 8);
	e->pidfd = (int64_t)fuzz_u64(in, 8);
	for (int i = 0; i < CK_NS__COUNT; i++) {
		e->ns_before[i] = fuzz_u8(in);
		e->ns_after[i] = fuzz_u8(in);
	}
	/* the names: all 16 bytes of comm (no NUL needed), exe to its full room */
	fuzz_bytes(in, e->comm, sizeof(e->comm));
	size_t exe_len = fuzz_u8(in);
	if (exe_len == 255)
		exe_len = sizeof(e->exe);
	fuzz_bytes(in, e->exe, exe_len);
}

/* No key ends in _hex but comm_hex and exe_hex, anywhere in v (docs/event-schema.md). */
static bool hex_keys_only_for_names(const struct jc_value *v)
{
	for (size_t i = 0; i < v->count; i++) {
		if (v->type == JC_OBJECT && v->key_lens[i] >= 4 && strcmp(v->keys[i] + v->key_lens[i] - 4, "_hex") == 0 &&
		    strcmp(v->keys[i], "comm_hex") != 0 && strcmp(v->keys[i], "exe_hex") != 0)
			return false;
		if (!hex_keys_only_for_names(&v->items[i]))
			return false;
	}
	return true;
}

/* The event's JSON object o against e. */
static void check_event_object(const struct jc_value *o, const struct ck_event *e, const char *input)
{
	char strace[1024];
	uint64_t f = ck_event_flags(e), sig;

	FUZZ_CHECK(o && o->type == JC_OBJECT, input, "no event object");
	FUZZ_CHECK(jc_holds_bytes(o, "comm", e->comm, strnlen(e->comm, sizeof(e->comm)), why, sizeof(why)), input,
		   "comm: %s", why);
	FUZZ_CHECK(jc_holds_bytes(o, "exe", e->exe, strnlen(e->exe, sizeof(e->exe)), why, sizeof(why)), input,
		   "exe: %s", why);
	FUZZ_CHECK(hex_keys_only_for_names(o), input, "a _hex field other than comm_hex and exe_hex");
	FUZZ_CHECK(jc_is_uint(jc_get(o, "time_ns"), e->time_ns) && jc_is_int(jc_get(o, "pid"), e->pid) &&
			   jc_is_int(jc_get(o, "tid"), e->tid) && jc_is_int(jc_get(o, "ppid"), e->ppid) &&
			   jc_is_uint(jc_get(o, "uid"), e->uid) && jc_is_uint(jc_get(o, "cgroup_id"), e->cgroup_id),
		   input, "an id or time is not the event's");
	const struct jc_value *flags = jc_get(o, "flags");
	char hex[24];
	snprintf(hex, sizeof(hex), "%#" PRIx64, f);
	FUZZ_CHECK(flags && flags->type == JC_STRING && strcmp(flags->text, hex) == 0, input, "flags is not %s", hex);
	if (e->call == CK_CALL_CLONE || e->call == CK_CALL_CLONE3) {
		sig = e->call == CK_CALL_CLONE ? e->flags & 0xff : e->has_args ? e->args.exit_signal : e->exit_signal;
		FUZZ_CHECK(jc_is_uint(jc_get(o, "exit_signal"), sig), input, "exit_signal is not %" PRIu64, sig);
	} else {
		FUZZ_CHECK(!jc_get(o, "exit_signal"), input, "an exit_signal for %s", ck_event_call_name(e->call));
	}
	if (e->call == CK_CALL_CLONE3 && e->has_args) {
		const struct jc_value *c3 = jc_get(o, "clone3");
		FUZZ_CHECK(c3 && jc_is_uint(jc_get(c3, "size"), e->args_size) &&
				   jc_is_uint(jc_get(c3, "stack_size"), e->args.stack_size) &&
				   jc_is_uint(jc_get(c3, "set_tid_size"), e->args.set_tid_size) &&
				   jc_is_uint(jc_get(c3, "cgroup"), e->args.cgroup),
			   input, "clone3's numbers are not the event's");
	}
	const struct jc_value *result = jc_get(o, "result");
	FUZZ_CHECK(e->has_result ? jc_is_int(result, e->result) : result && result->type == JC_NULL, input,
		   "result is not the event's");
	int n = ck_event_format_strace(e, strace, sizeof(strace));
	FUZZ_CHECK(jc_holds_bytes(o, "strace", strace, strnlen(strace, sizeof(strace)), why, sizeof(why)), input,
		   "strace (%d bytes): %s", n, why);
}

static void event_json(struct fuzz_in *in, const char *input)
{
	static struct ck_event e;
	static char buf[1 << 16];
	struct jc_value v;

	event_from(in, &e);
	int n = ck_event_format_json(&e, buf, sizeof(buf));
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(buf) && strlen(buf) == (size_t)n, input, "ck_event_format_json returned %d", n);
	FUZZ_CHECK(!memchr(buf, '\n', (size_t)n), input, "the event is not one line");
	FUZZ_CHECK(jc_parse(buf, (size_t)n, &v, why, sizeof(why)) == 0, input, "not JSON (%s): %s", why, buf);
	check_event_object(&v, &e, input);
	jc_free(&v);
}

static void alert_json(struct fuzz_in *in, const char *input)
{
	static struct ck_event e;
	struct ck_alert a = { .event = &e, .priority = (enum ck_priority)(fuzz_u8(in) % 4) };
	char rule[80] = "";
	char *line = NULL;
	size_t size = 0;
	struct jc_value v;

	fuzz_bytes(in, rule, fuzz_u8(in) % sizeof(rule));
	a.rule = rule;
	fuzz_bytes(in, a.message, fuzz_u8(in) % sizeof(a.message));
	event_from(in, &e);
	FILE *f = open_memstream(&line, &size);
	if (!f)
		abort();
	cli_fprint_alert(f, true, &a);
	fclose(f);
	FUZZ_CHECK(size > 0 && line[size - 1] == '\n' && !memchr(line, '\n', size - 1), input,
		   "the alert is not one line");
	FUZZ_CHECK(jc_parse(line, size - 1, &v, why, sizeof(why)) == 0, input, "not JSON (%s): %s", why, line);
	const struct jc_value *alert = jc_get(&v, "alert");
	FUZZ_CHECK(v.count == 1 && alert && alert->type == JC_OBJECT, input, "not one {\"alert\": {...}}");
	FUZZ_CHECK(jc_holds_bytes(alert, "rule", rule, strlen(rule), why, sizeof(why)), input, "rule: %s", why);
	FUZZ_CHECK(jc_holds_bytes(alert, "message", a.message, strlen(a.message), why, sizeof(why)), input,
		   "message: %s", why);
	check_event_object(jc_get(alert, "event"), &e, input);
	jc_free(&v);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	/* the input for messages: hex would be longer, and any byte may be in it */
	char input[64];

	snprintf(input, sizeof(input), "(%zu bytes, mode %u)", size, size ? data[0] % 3 : 0);
	switch (fuzz_u8(&in) % 3) {
	case 0: writer_program(&in, input); break;
	case 1: event_json(&in, input); break;
	default: alert_json(&in, input); break;
	}
	return 0;
}
