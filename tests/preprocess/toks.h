/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* toks.h - helpers for the text-stage tests: token lists from and to
 * space-separated strings. */
#ifndef NLP_TEST_TOKS_H
#define NLP_TEST_TOKS_H

#include <stdio.h>
#include <stdlib.h>
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

/* The ids a stage class's process() makes of a space-separated text (the
 * first max into ids); their number, or -1 when process fails. */
static inline int toks_ids(const nlp_stage_class *c, void *self, const char *text, int32_t *ids,
                           int max, nlp_err *err)
{
	nlp_tokens t = {0};
	nlp_doc d = {.name = "doc", .in = &t, .label = -1};
	int n = -1;

	toks_from(&t, text);
	if (c->process(self, &d, err) == NLP_OK) {
		n = (int)d.n_ids;
		for (int i = 0; i < n && i < max; i++)
			ids[i] = d.ids[i];
	}
	free(d.ids);
	nlp_tokens_free(&t);
	return n;
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
