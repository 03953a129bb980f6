/* toks.h - helpers for the text-stage tests: token lists from and to
 * space-separated strings. */
#ifndef NLP_TEST_TOKS_H
#define NLP_TEST_TOKS_H

#include <stdio.h>
#include <string.h>

#include "nlpipe/plugin.h"

/* Tokens from a space-separated string (each run of non-spaces a token). */
static inline void toks_from(nlp_tokens *t, const char *s)
{
	nlp_tokens_clear(t);
	while (*s) {
		const char *e;
		while (*s == ' ')
			s++;
		for (e = s; *e && *e != ' '; e++)
			;
		if (e > s)
			nlp_tokens_push(t, s, (size_t)(e - s));
		s = e;
	}
}

/* The tokens joined with single spaces (a static buffer). */
static inline const char *toks_str(const nlp_tokens *t)
{
	static char buf[8192];
	size_t p = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && p + t->tlen[i] + 2 < sizeof buf; i++) {
		if (i)
			buf[p++] = ' ';
		memcpy(buf + p, nlp_token(t, i), t->tlen[i]);
		p += t->tlen[i];
	}
	buf[p] = '\0';
	return buf;
}

#endif
