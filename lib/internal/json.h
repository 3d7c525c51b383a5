/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one JSON writer: every --json line, ck_event_format_json() and the
 * OCI export. json-c builds and serialises the document; this module adds
 * what json-c leaves to its caller, UTF-8 for arbitrary bytes, by the rule
 * docs/event-schema.md states.
 *
 * Written like a stream: begin a document (an object or array), add
 * members, end it, then format or write it. Keys are ignored inside arrays
 * and at the top; they are not copied, so they must outlive the document
 * (string literals, static tables). The first failure (ENOMEM) is kept and
 * every later call does nothing, so callers check once, at the output.
 */
#ifndef CK_INTERNAL_JSON_H
#define CK_INTERNAL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;
struct ck_event;

#define CK__JSON_DEPTH 16

struct ck__json {
	struct json_object *root;
	struct json_object *open[CK__JSON_DEPTH]; /* the containers begun and not yet ended */
	int depth;
	int err;                                  /* the first failure: -ENOMEM or -EINVAL */
};

/* Whether the n bytes at s are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
bool ck__utf8_valid(const char *s, size_t n);

/*
 * The n bytes at s as UTF-8 text into out (NUL-terminated; len bytes, at
 * most 3 * n + 1 needed): as they are when valid, else with each maximal
 * ill-formed subpart replaced by U+FFFD (Unicode 15 section 3.9, as
 * Python's errors="replace" and the WHATWG decoder do). Returns the length.
 */
size_t ck__utf8_repair(char *out, size_t len, const char *s, size_t n);

void ck__json_init(struct ck__json *w);
/* Frees the document (the writer can be initialised again). */
void ck__json_release(struct ck__json *w);

void ck__json_obj_begin(struct ck__json *w, const char *key);
void ck__json_obj_end(struct ck__json *w);
void ck__json_arr_begin(struct ck__json *w, const char *key);
void ck__json_arr_end(struct ck__json *w);

/*
 * The n bytes at s under key: the bytes themselves when they are valid
 * UTF-8; otherwise ck__utf8_repair's text, and under key + "_hex" every
 * original byte as two lowercase hex digits. In an array (no key) only the
 * text: arrays hold names from clonekit's own tables.
 */
void ck__json_bytes(struct ck__json *w, const char *key, const char *s, size_t n);
/* A NUL-terminated string by the same rule; NULL writes null. */
void ck__json_str(struct ck__json *w, const char *key, const char *s);
void ck__json_int(struct ck__json *w, const char *key, int64_t v);
void ck__json_uint(struct ck__json *w, const char *key, uint64_t v);
void ck__json_bool(struct ck__json *w, const char *key, bool v);
void ck__json_null(struct ck__json *w, const char *key);
/* "0x1200011": a hex string, for flag words and addresses. */
void ck__json_hex(struct ck__json *w, const char *key, uint64_t v);

/*
 * The finished document on one line, compact, into buf (NUL-terminated, cut
 * to len - 1 bytes when longer). Returns the whole length as snprintf does,
 * or the writer's failure (-ENOMEM, or -EINVAL for a document not ended).
 */
int ck__json_format(struct ck__json *w, char *buf, size_t len);
/* The document and a newline in one write(2) to fd (EINTR and short writes retried): 0 or -errno. */
int ck__json_write_line(struct ck__json *w, int fd);
/* The document and a newline to f: 0, -EIO when f fails, or the writer's failure. */
int ck__json_print_line(struct ck__json *w, FILE *f);

/* lib/event.c: the event as ck_event_format_json() prints it, as a member (key) of w. */
void ck__event_json(struct ck__json *w, const char *key, const struct ck_event *e);

#endif
