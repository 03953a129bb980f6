/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/ensemble.h - [train] ensemble = K (ensemble.c): what nlp_train
 * runs instead of one run. */
#ifndef NLP_PIPELINE_ENSEMBLE_H
#define NLP_PIPELINE_ENSEMBLE_H

#include "nlpipe/trainer.h"

typedef struct nlp_ensemble_run {
	nlp_host *host;               /* borrowed, as the trainer's */
	const char *pipeline_path;    /* the pipeline file */
	const nlp_trainer_opts *opts; /* the caller's: data, output, sets, reader */
	long seed;                    /* [train] seed: member k (0-based) has seed + k */
	long members;                 /* [train] ensemble, 2 .. NLP_ENSEMBLE_MAX */
	nlp_train_fn fn;              /* the caller's callback and its data */
	void *user;
} nlp_ensemble_run;

/* Train the members one after the other, each a trainer of its own writing
 * OUTPUT.memberK, then write them to OUTPUT as one model
 * (nlp_model_save_ensemble) and remove the members' files.  Every event of
 * member K carries member = K (1-based) and members; MEMBER starts each;
 * DONE with member 0 ends the run. */
int nlp_ensemble_train(const nlp_ensemble_run *run, nlp_err *err);

#endif
