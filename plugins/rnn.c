/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* plugins/rnn.c - the built-in module of recurrent encoders: stage classes
 * rnn, lstm and gru (models/encoder_stage.c; the work is in
 * models/recurrent.c), and the sequence-to-sequence decoder (models/decoder.c). */
#include "config.h"

#include <nlpipe/plugin.h>

#include "models/decoder.h"
#include "models/recurrent.h"

static int rnn_module_init(nlp_registrar *reg, nlp_err *err)
{
	static const nlp_stage_class *const classes[] = {&rec_rnn_class, &rec_lstm_class,
	                                                 &rec_gru_class, &rec_decoder_class};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		int rc = nlp_register_stage(reg, classes[i], err);
		if (rc != NLP_OK)
			return rc;
	}
	return NLP_OK;
}

NLP_MODULE(rnn) = {
        NLP_MODULE_HEADER,
        .name = "rnn",
        .version = "1.0.0",
        .description =
                "Recurrent encoders: rnn, lstm, gru (stacked, bidirectional, pooled); decoder",
        .init = rnn_module_init,
};
