/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tokens and the parser's state, shared by the lexer, the parser and the rule set. */
#ifndef CK_DETECT_PARSER_H
#define CK_DETECT_PARSER_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "detect/rule.h"

enum tok_type { TK_END, TK_WORD, TK_NUM, TK_STR, TK_CMP, TK_LP, TK_RP, TK_COMMA };

struct token {
	enum tok_type type;
	enum cmp cmp;   /* TK_CMP */
	bool bol;       /* first token of its line */
	unsigned line;
	const char *p;  /* the token's text; a string's includes its quotes */
	size_t n;
};

struct parser {
	struct token *t;
	size_t n, cap, i;
	int depth;
	int parens;        /* '(' of the condition open at the current token */
	int err;           /* -EINVAL or -ENOMEM once something failed */
	unsigned err_line;
	char msg[256];
	struct rule *r;    /* the rule being read */
	struct rule **out; /* the rules read so far */
	size_t nout, capout;
	struct name_index names; /* of out */
};

static inline int fail(struct parser *ps, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int fail(struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err)
		return ps->err;
	ps->err = -EINVAL;
	ps->err_line = line;
	n = snprintf(ps->msg, sizeof(ps->msg), "line %u: ", line);
	va_start(ap, fmt);
	vsnprintf(ps->msg + n, sizeof(ps->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return ps->err;
}

static inline int oom(struct parser *ps, unsigned line)
{
	if (!ps->err) {
		ps->err = -ENOMEM;
		ps->err_line = line;
		snprintf(ps->msg, sizeof(ps->msg), "line %u: out of memory", line);
	}
	return ps->err;
}

/* lexer.c: splits text into ps->t; the last token is always TK_END. */
int ck__detect_lex(struct parser *ps, const char *text);

/* parser.c: the rules of text into ps->out; ps->err and ps->msg say why not. */
int ck__detect_parse(struct parser *ps, const char *text);
void ck__detect_parser_free(struct parser *ps);

#endif
