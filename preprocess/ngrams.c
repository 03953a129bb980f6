/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* ngrams.c - the `ngrams` stage: add word n-grams as extra tokens.
 *
 * With n = 3 the output is the tokens (unless keep_unigrams is off), then
 * every bigram, then every trigram, each joined with the separator.  The
 * default separator, U+2581 (LOWER ONE EIGHTH BLOCK), is white space to the
 * tokenizer, so an n-gram can never be mistaken for a token.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

int text_ngrams_run(const nlp_tokens *in, nlp_tokens *out, long n_max, const char *sep,
                    int keep_unigrams, char **scratch, size_t *scratch_cap)
{
	size_t sl = strlen(sep);
	int rc;

	if (keep_unigrams)
		for (size_t i = 0; i < in->n; i++)
			if ((rc = text_push(out, nlp_token(in, i), in->tlen[i])))
				return rc;
	for (long k = 2; k <= n_max; k++) {
		for (size_t i = 0; i + (size_t)k <= in->n; i++) {
			size_t need = 0, p = 0;
			for (long j = 0; j < k; j++)
				need += in->tlen[i + (size_t)j] + sl;
			if (need > *scratch_cap) {
				char *q = realloc(*scratch, need * 2);
				if (!q)
					return NLP_ENOMEM;
				*scratch = q;
				*scratch_cap = need * 2;
			}
			for (long j = 0; j < k; j++) {
				if (j) {
					memcpy(*scratch + p, sep, sl);
					p += sl;
				}
				memcpy(*scratch + p, nlp_token(in, i + (size_t)j),
				       in->tlen[i + (size_t)j]);
				p += in->tlen[i + (size_t)j];
			}
			if ((rc = text_push(out, *scratch, p)))
				return rc;
		}
	}
	return NLP_OK;
}

struct ngrams {
	long n;
	char *sep;
	int keep_unigrams;
	char *scratch;
	size_t scratch_cap;
};

static const nlp_option ngrams_options[] = {
        {"n", NLP_OPT_INT, "2", 1, 8, NULL, "longest n-gram added (2: bigrams; 3: and trigrams)"},
        {"separator", NLP_OPT_STRING, "\xe2\x96\x81", 0, 0, NULL,
         "joins the words of an n-gram (default U+2581, never inside a token)"},
        {"keep_unigrams", NLP_OPT_BOOL, "true", 0, 0, NULL, "keep the single tokens too"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int ngrams_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	struct ngrams *g = calloc(1, sizeof *g);

	if (!g)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	g->n = nlp_config_int(cfg, "n");
	g->keep_unigrams = nlp_config_bool(cfg, "keep_unigrams");
	g->sep = strdup(nlp_config_str(cfg, "separator"));
	if (!g->sep) {
		free(g);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	if (!*g->sep) {
		free(g->sep);
		free(g);
		return nlp_err_set(err, NLP_ECONFIG,
		                   "separator is empty: n-grams would run into words; "
		                   "leave it unset for the default");
	}
	*self = g;
	return NLP_OK;
}

static void ngrams_destroy(void *self)
{
	struct ngrams *g = self;
	if (!g)
		return;
	free(g->sep);
	free(g->scratch);
	free(g);
}

static int ngrams_process(void *self, nlp_doc *doc, nlp_err *err)
{
	struct ngrams *g = self;
	int rc = text_ngrams_run(doc->in, doc->out, g->n, g->sep, g->keep_unigrams, &g->scratch,
	                         &g->scratch_cap);
	return rc ? nlp_err_set(err, rc, "%s: too many tokens",
	                        doc->name ? doc->name : "(document)")
	          : NLP_OK;
}

const nlp_stage_class text_ngrams_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "ngrams",
        .summary = "adds word n-grams as extra tokens",
        .options = ngrams_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_TOKENS,
        .create = ngrams_create,
        .destroy = ngrams_destroy,
        .process = ngrams_process,
        .train = NULL,
};
