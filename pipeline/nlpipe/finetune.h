/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/finetune.h - fine-tuning: a pipeline whose stages start from those
 * of another model.  Three settings of the pipeline file:
 *  - [pipeline] init_from = MODEL: after the pipeline is built for training,
 *    every trainable stage whose section name and class are those of a stage
 *    of MODEL takes that stage's saved state (an embedding its vocabulary:
 *    it then builds none from the training data) and its parameters; the
 *    other stages train from scratch.  A stage that would get parameters of
 *    another shape (hidden 128 in MODEL, 256 here; a head over other labels)
 *    is an error naming both: rename its section to train it from scratch.
 *    A run resumed from its checkpoint never applies init_from again.
 *  - [train] freeze_epochs = N: only the stages that did not come from MODEL
 *    train in the first N epochs (the others get no update and their
 *    optimizer state stays as it is); then all do.
 *  - [train] unfreeze = gradual: after those N epochs the stages from MODEL
 *    start to train one per epoch, the one nearest the head first (ULMFiT's
 *    gradual unfreezing); unfreeze = all (the default) starts them together.
 *  - lr_scale = F in a trainable stage's section: its learning rate is
 *    [train] learning_rate times F (0 freezes it); see
 *    nlp_pipeline_stage_lr_scale.
 * The trainer (nlpipe/trainer.h) does all of it; this is what `nlpipe check`
 * shows before any training. */
#ifndef NLPIPE_FINETUNE_H
#define NLPIPE_FINETUNE_H

#include <stddef.h>

#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nlp_finetune nlp_finetune;

/* The fine-tuning settings of p (built for training) and train (its [train]
 * section, with nlp_train_options), checked: MODEL loads with h, some stage
 * of p matches one of MODEL's, and freeze_epochs > 0 and unfreeze = gradual
 * only with init_from (NLP_ECONFIG otherwise, naming the file, line and key).  resumed: the
 * checkpoint being resumed, or NULL: its metadata says which stages came
 * from a model (init_from is not read again).  p and h are borrowed and must
 * outlive *out. */
int nlp_finetune_new(nlp_finetune **out, nlp_host *h, nlp_pipeline *p, const nlp_config *train,
                     const nlp_model *resumed, nlp_err *err);
void nlp_finetune_free(nlp_finetune *f);

/* MODEL's path (resolved against the pipeline file's folder), "" without
 * init_from. */
const char *nlp_finetune_source(const nlp_finetune *f);
/* Whether stage i of p takes its state and parameters from MODEL. */
int nlp_finetune_from_model(const nlp_finetune *f, size_t i);
/* The names of those stages, ", "-separated ("" for none). */
const char *nlp_finetune_stages(const nlp_finetune *f);
/* [train] freeze_epochs. */
long nlp_finetune_freeze_epochs(const nlp_finetune *f);
/* 1 with [train] unfreeze = gradual. */
int nlp_finetune_gradual(const nlp_finetune *f);
/* The epochs stage i of p stays frozen: 0 for a stage not from MODEL,
 * freeze_epochs, and with unfreeze = gradual one more for each stage from
 * MODEL that comes after it in p. */
long nlp_finetune_frozen_epochs(const nlp_finetune *f, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_FINETUNE_H */
