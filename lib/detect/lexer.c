/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splits a rule text into tokens (words, numbers, strings, operators, parentheses). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/parser.h"

static bool word_char(int c, bool first)
{
	if (isalpha(c) || c == '_')
		return true;
	return !first && (isdigit(c) || c == '-' || c == '+' || c == '.');
}

static int push_token(struct parser *ps, const struct token *t)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct token *nt = realloc(ps->t, cap * sizeof(*nt));
		if (!nt)
			return oom(ps, t->line);
		ps->t = nt;
		ps->cap = cap;
	}
	ps->t[ps->n++] = *t;
	return 0;
}

static int lex(struct parser *ps, const char *text)
{
	const char *p = text;
	unsigned line = 1;
	bool bol = true;

	for (;;) {
		struct token t = { .line = line, .bol = bol, .p = p };
		unsigned char c = (unsigned char)*p;

		if (c == '\0') {
			t.type = TK_END;
			t.n = 0;
			return push_token(ps, &t);
		}
		if (c == '\n') {
			line++;
			bol = true;
			p++;
			continue;
		}
		if (isspace(c)) {
			p++;
			continue;
		}
		if (c == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (word_char(c, true)) {
			t.type = TK_WORD;
			while (word_char((unsigned char)*p, false))
				p++;
		} else if (isdigit(c) || (c == '-' && isdigit((unsigned char)p[1]))) {
			t.type = TK_NUM;
			p++;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
		} else if (c == '"') {
			t.type = TK_STR;
			for (p++; *p != '"'; p++) {
				if (*p == '\0' || *p == '\n')
					return fail(ps, line, "unterminated string (a string ends on the line it starts)");
				if (*p == '\\' && p[1] != '\0' && p[1] != '\n') {
					if (!strchr("\"\\nt", p[1]) && isprint((unsigned char)p[1]))
						return fail(ps, line, "unknown escape '\\%c' in a string (use \\\" \\\\ \\n or \\t)",
							    p[1]);
					if (!strchr("\"\\nt", p[1]))
						return fail(ps, line,
							    "unknown escape, a backslash and byte 0x%02x, in a string (use \\\" \\\\ \\n or \\t)",
							    (unsigned char)p[1]);
					p++;
				}
			}
			p++;
		} else if (c == '(' || c == ')' || c == ',') {
			t.type = c == '(' ? TK_LP : c == ')' ? TK_RP : TK_COMMA;
			p++;
		} else if (c == '=' || c == '!' || c == '<' || c == '>') {
			t.type = TK_CMP;
			bool eq = p[1] == '=';
			if (c == '=' && !eq)
				return fail(ps, line, "'=' is not an operator (did you mean '=='?)");
			if (c == '!' && !eq)
				return fail(ps, line, "'!' is not an operator (use 'not', or '!=')");
			t.cmp = c == '=' ? C_EQ : c == '!' ? C_NE : c == '<' ? (eq ? C_LE : C_LT)
										  : (eq ? C_GE : C_GT);
			p += eq ? 2 : 1;
		} else {
			return fail(ps, line, "unexpected character '%c'", isprint(c) ? c : '?');
		}
		t.n = (size_t)(p - t.p);
		if (push_token(ps, &t))
			return ps->err;
		bol = false;
	}
}

/*
 * Splits text into tokens; the last is always TK_END. At a character that
 * starts no token the tokens end there and the error is kept, so that the
 * parser can still find an error before it (the first error is named).
 */
int ck__detect_lex(struct parser *ps, const char *text)
{
	int r = lex(ps, text);

	if (r == -EINVAL) {
		struct token end = { .type = TK_END, .line = ps->err_line, .bol = true, .p = "" };
		size_t n = ps->n;
		if (push_token(ps, &end) || ps->n == n)
			return ps->err = -ENOMEM;
	}
	return r;
}
