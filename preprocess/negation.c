/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* negation.c - the `negation` stage: mark the words in a negation's scope.
 *
 * After a negation word (not, no, never, any word ending in n't, ...) every
 * following token gets the suffix (_NEG) up to the next token made only of
 * scope_end characters (clause punctuation), or max_scope tokens.  The
 * negation word itself is not marked; a new negation word starts a new
 * scope.  Tokens made only of `remove` characters are dropped after they
 * have ended a scope (keep . , for the scope, not as features).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

/* A set of characters (scope_end, remove) as code points. */
struct cset {
	int32_t c[32];
	size_t n;
};

static int cset_init(struct cset *s, const char *text)
{
	size_t len = strlen(text), i = 0;

	s->n = 0;
	while (i < len) {
		int32_t c;
		i += text_utf8_next((const unsigned char *)text + i, len - i, &c);
		if (c == ' ')
			continue;
		if (s->n == sizeof s->c / sizeof s->c[0])
			return NLP_ECONFIG;
		s->c[s->n++] = c;
	}
	return NLP_OK;
}

struct text_negation {
	struct text_set words;
	int contractions; /* words ending in n't negate */
	char *suffix;
	size_t suffix_len;
	struct cset scope_end;
	struct cset remove;
	long max_scope;
	char *buf;
	size_t buf_cap;
};

int text_negation_new(struct text_negation **out, const char *const *words, size_t n_words,
                      const char *suffix, const char *scope_end, const char *remove, long max_scope,
                      nlp_err *err)
{
	struct text_negation *g = calloc(1, sizeof *g);
	int rc = NLP_OK;

	if (!g)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n_words && !rc; i++) {
		if (strcmp(words[i], "*n't") == 0)
			g->contractions = 1;
		else
			rc = text_set_add(&g->words, words[i], strlen(words[i]));
	}
	g->suffix = strdup(suffix);
	if (rc || !g->suffix) {
		text_negation_free(g);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	if (cset_init(&g->scope_end, scope_end) || cset_init(&g->remove, remove)) {
		text_negation_free(g);
		return nlp_err_set(err, NLP_ECONFIG,
		                   "scope_end and remove take at most 32 characters each");
	}
	g->suffix_len = strlen(g->suffix);
	g->max_scope = max_scope;
	*out = g;
	return NLP_OK;
}

void text_negation_free(struct text_negation *g)
{
	if (!g)
		return;
	text_set_free(&g->words);
	free(g->suffix);
	free(g->buf);
	free(g);
}

/* Is w made only of characters from s? */
static int only_of(const char *w, size_t n, const struct cset *s)
{
	if (!n || !s->n ||
	    (((unsigned char)w[0] | 0x20) >= 'a' && ((unsigned char)w[0] | 0x20) <= 'z'))
		return 0;
	for (size_t i = 0; i < n;) {
		int32_t c;
		size_t k = text_utf8_next((const unsigned char *)w + i, n - i, &c), j;
		for (j = 0; j < s->n && s->c[j] != c; j++)
			;
		if (j == s->n)
			return 0;
		i += k;
	}
	return 1;
}

static int is_negation(const struct text_negation *g, const char *w, size_t n)
{
	if (text_set_has(&g->words, w, n))
		return 1;
	return g->contractions && n > 3 && memcmp(w + n - 3, "n't", 3) == 0;
}

int text_negation_run(struct text_negation *g, const nlp_tokens *in, nlp_tokens *out)
{
	long scope = -1; /* tokens marked so far in the scope; -1: no scope */
	int rc;

	for (size_t i = 0; i < in->n; i++) {
		const char *w = nlp_token(in, i);
		size_t n = in->tlen[i];

		if (only_of(w, n, &g->scope_end)) {
			scope = -1;
			if (only_of(w, n, &g->remove))
				continue;
			if ((rc = text_push(out, w, n)))
				return rc;
			continue;
		}
		if (only_of(w, n, &g->remove))
			continue;
		if (is_negation(g, w, n)) {
			scope = 0;
			if ((rc = text_push(out, w, n)))
				return rc;
			continue;
		}
		if (scope >= 0 && (g->max_scope <= 0 || scope < g->max_scope)) {
			if (n + g->suffix_len > g->buf_cap) {
				char *p = realloc(g->buf, (n + g->suffix_len) * 2);
				if (!p)
					return NLP_ENOMEM;
				g->buf = p;
				g->buf_cap = (n + g->suffix_len) * 2;
			}
			memcpy(g->buf, w, n);
			memcpy(g->buf + n, g->suffix, g->suffix_len);
			if ((rc = text_push(out, g->buf, n + g->suffix_len)))
				return rc;
			scope++;
			continue;
		}
		if ((rc = text_push(out, w, n)))
			return rc;
	}
	return NLP_OK;
}

/* ---- the stage class ---- */

static const nlp_option negation_options[] = {
        {"words", NLP_OPT_LIST,
         "not, no, never, cannot, nothing, nobody, none, nor, neither, nowhere, n't, *n't", 0, 0,
         NULL, "words that open a negation scope; *n't stands for every word ending in n't"},
        {"suffix", NLP_OPT_STRING, "_NEG", 0, 0, NULL, "appended to each word in a scope"},
        {"scope_end", NLP_OPT_STRING, ".,;:!?", 0, 0, NULL,
         "a token made only of these characters ends the scope"},
        {"remove", NLP_OPT_STRING, "", 0, 0, NULL,
         "tokens made only of these characters are dropped (after ending a scope)"},
        {"max_scope", NLP_OPT_INT, "0", 0, 1000, NULL,
         "at most this many words are marked (0: up to the scope end)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int negation_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	size_t nw = 0;
	const char *const *words = nlp_config_list(cfg, "words", &nw);
	struct text_negation *g;
	int rc;

	if (!*nlp_config_str(cfg, "suffix"))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "suffix is empty: marked words would look unmarked; "
		                   "leave it unset for _NEG");
	rc = text_negation_new(&g, words, nw, nlp_config_str(cfg, "suffix"),
	                       nlp_config_str(cfg, "scope_end"), nlp_config_str(cfg, "remove"),
	                       nlp_config_int(cfg, "max_scope"), err);
	if (rc)
		return rc;
	*self = g;
	return NLP_OK;
}

static void negation_destroy(void *self)
{
	text_negation_free(self);
}

static int negation_process(void *self, nlp_doc *doc, nlp_err *err)
{
	int rc = text_negation_run(self, doc->in, doc->out);
	return rc ? nlp_err_set(err, rc, "out of memory") : NLP_OK;
}

const nlp_stage_class text_negation_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "negation",
        .summary = "marks words after a negation: not good -> not good_NEG",
        .options = negation_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_TOKENS,
        .create = negation_create,
        .destroy = negation_destroy,
        .process = negation_process,
        .train = NULL,
};
