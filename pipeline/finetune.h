/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/finetune.h - the trainer's steps of fine-tuning (finetune.c;
 * nlpipe/finetune.h is the public part).  In a run from scratch:
 *
 *     nlp_finetune_take_state   before the stages observe the data
 *     (observe every stage but those nlp_finetune_skip marks)
 *     (setup, init)
 *     nlp_finetune_take_params  after init, with the data's labels
 *     nlp_finetune_meta         into the model's metadata
 *
 * and at the start of every epoch (also of a resumed run)
 * nlp_finetune_set_rates. */
#ifndef NLP_PIPELINE_FINETUNE_H
#define NLP_PIPELINE_FINETUNE_H

#include "nlpipe/finetune.h"
#include "nlpipe/optim.h"

/* Give every stage from MODEL the state MODEL's saved (vocabulary...);
 * labels are the data's, in score order: a head from MODEL must score
 * those. */
int nlp_finetune_take_state(nlp_finetune *f, const char *const *labels, size_t n_labels,
                            nlp_err *err);
/* [stage count] 1 for the stages that must not observe the training data. */
const unsigned char *nlp_finetune_skip(const nlp_finetune *f);
/* Check the shapes of the stages from MODEL (set up) against MODEL's and
 * copy its parameters.  Frees MODEL afterwards. */
int nlp_finetune_take_params(nlp_finetune *f, nlp_err *err);
/* meta "init_from" and "init_stages" (what a resumed run reads back). */
int nlp_finetune_meta(const nlp_finetune *f, nlp_model_meta *meta, nlp_err *err);
/* The learning-rate scales of the trainable stages [first, count) for the
 * epoch (0-based): lr_scale, 0 for the stages from MODEL while epoch <
 * nlp_finetune_frozen_epochs; a stage with 0 is marked frozen in the pipeline (the
 * backward pass skips what no gradient needs to reach). */
int nlp_finetune_set_rates(nlp_finetune *f, nlp_optim *o, size_t first, long epoch, nlp_err *err);

#endif
