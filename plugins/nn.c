/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* plugins/nn.c - the built-in module of non-recurrent trainable stages:
 * `embedding` (vocabulary and token vectors), `bag` (a bag of words and
 * hashed n-grams, averaged), the heads `softmax` and `sigmoid`, and the
 * language model's head `next_token`.  The classes live in models/.
 */
#include "config.h"

#include <nlpipe/plugin.h>

#include "models/bag.h"
#include "models/embedding.h"
#include "models/head.h"
#include "models/next_token.h"

static int nn_init(nlp_registrar *reg, nlp_err *err)
{
	int rc;

	if ((rc = nlp_register_stage(reg, &nn_embedding_class, err)) ||
	    (rc = nlp_register_stage(reg, &nn_softmax_class, err)) ||
	    (rc = nlp_register_stage(reg, &nn_sigmoid_class, err)) ||
	    (rc = nlp_register_stage(reg, &nn_bag_class, err)) ||
	    (rc = nlp_register_stage(reg, &nn_next_token_class, err)))
		return rc;
	return NLP_OK;
}

NLP_MODULE(nn) = {
        NLP_MODULE_HEADER,
        .name = "nn",
        .version = "1.2.0",
        .description = "Embedding (vocabulary, pretrained vectors), n-gram bag, "
                       "softmax/sigmoid/next_token heads",
        .init = nn_init,
};
