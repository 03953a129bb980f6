/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* text.c - the built-in `text` module: tokenizer, stopwords, stemmer,
 * ngrams and negation (their code is in preprocess/). */
#include "config.h"

#include "nlpipe/plugin.h"
#include "preprocess/text.h"

static int text_init(nlp_registrar *reg, nlp_err *err)
{
	static const nlp_stage_class *const classes[] = {
	        &text_tokenizer_class, &text_stopwords_class, &text_stemmer_class,
	        &text_ngrams_class,    &text_negation_class,
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		int rc = nlp_register_stage(reg, classes[i], err);
		if (rc)
			return rc;
	}
	return NLP_OK;
}

NLP_MODULE(text) = {
        NLP_MODULE_HEADER,
        .name = "text",
        .version = "1.1.0",
        .description =
                "Text stages: Unicode tokenizer, stop words, Snowball stemmer, n-grams, negation",
        .init = text_init,
};
