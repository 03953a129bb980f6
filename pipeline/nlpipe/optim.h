/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/optim.h - optimizers and training numerics of libnlpipe, shared by
 * every trainable stage: SGD with momentum, Adam, AdamW; weight decay (on the
 * blocks whose `decay` flag is set); gradient clipping by global norm across
 * all stages; learning-rate schedule (constant or linear decay, with linear
 * warm-up); lazy sparse updates of blocks with touched rows; the optimizer
 * state as bytes for checkpoints.
 *
 * The optimizer works on the stages' parameter descriptions (nlp_params, see
 * nlpipe/train.h): one entry per trainable stage, in pipeline order.  Pass
 * the descriptions again at every call (the train op `params` is cheap): a
 * sparse block's touched rows change from step to step.  A training step:
 *
 *     forward ..., loss, backward ...        (gradients add into p[i].g)
 *     nlp_optim_step(o, p, n, &norm, err);   (clips, updates, counts the step)
 *     nlp_optim_zero_grad(p, n);             (zeroes what was used)
 *
 * Update rules, as PyTorch 1.13 defines them (t = step number from 1, lr_t
 * the scheduled rate, wd = weight_decay, only on blocks with decay = 1):
 *   SGD:   g += wd w;  buf = momentum buf + g (buf = g at the first step);
 *          w -= lr_t (nesterov ? g + momentum buf : buf)
 *   Adam:  g += wd w;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *          w -= lr_t (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *          (t: the updates the stage has had, see nlp_optim_set_scale)
 *   AdamW: w *= 1 - lr_t wd;  then Adam without the g += wd w term.
 * Sparse blocks (touched != NULL) are updated lazily: only their touched
 * rows, with the global t in Adam's bias corrections (as
 * torch.optim.SparseAdam); untouched rows and their state do not change.
 *
 * Schedule (s = steps done before this one, from 0):
 *   warm-up, s < warmup_steps:   lr_t = lr (s + 1) / warmup_steps
 *   constant after it:           lr_t = lr
 *   linear after it:             lr_t = lr max(0, (total - s) / (total - warmup))
 */
#ifndef NLPIPE_OPTIM_H
#define NLPIPE_OPTIM_H

#include <nlpipe/train.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nlp_optim_kind {
	NLP_OPTIM_SGD = 0,
	NLP_OPTIM_ADAM = 1,
	NLP_OPTIM_ADAMW = 2
} nlp_optim_kind;

typedef enum nlp_lr_schedule { NLP_LR_CONSTANT = 0, NLP_LR_LINEAR = 1 } nlp_lr_schedule;

typedef struct nlp_optim_config {
	nlp_optim_kind kind;
	double lr;           /* base learning rate */
	double momentum;     /* SGD */
	int nesterov;        /* SGD */
	double beta1, beta2; /* Adam, AdamW */
	double eps;          /* Adam, AdamW */
	double weight_decay; /* L2 (SGD, Adam) or decoupled (AdamW) */
	double clip_norm;    /* clip the global gradient norm to this; 0: off */
	nlp_lr_schedule schedule;
	long warmup_steps; /* 0: none */
	long total_steps;  /* for NLP_LR_LINEAR: the step where lr reaches 0 */
} nlp_optim_config;

/* Defaults: Adam, momentum 0.9, betas 0.9/0.999, eps 1e-8, no decay, no
 * clipping, constant schedule.  No learning rate (lr is 0, which
 * nlp_optim_new refuses): the caller sets it; the default of nlpipe train
 * is [train] learning_rate's (nlp_train_options). */
void nlp_optim_config_default(nlp_optim_config *c);

/* Names for configuration files: "sgd", "adam", "adamw"; "constant",
 * "linear".  Return NLP_OK or NLP_ECONFIG (err names the bad value).
 * NLP_OPTIM_KIND_NAMES lists the optimizers' names for an option table
 * ([train] optimizer); tests/models/t_optim.c checks it against the parser. */
#define NLP_OPTIM_KIND_NAMES "adam|adamw|sgd"
int nlp_optim_kind_parse(const char *name, nlp_optim_kind *kind, nlp_err *err);
int nlp_lr_schedule_parse(const char *name, nlp_lr_schedule *s, nlp_err *err);
const char *nlp_optim_kind_name(nlp_optim_kind kind);

typedef struct nlp_optim nlp_optim;

/* An optimizer for n stages shaped as p[0..n) (their state is allocated and
 * zeroed).  Checks the configuration (lr > 0, betas in [0, 1), ...). */
int nlp_optim_new(nlp_optim **out, const nlp_optim_config *cfg, const nlp_params *p, int n,
                  nlp_err *err);
void nlp_optim_free(nlp_optim *o);

/* Multiply the scheduled rate by f from the next step on (1 at the start):
 * an epoch-wise decay such as Zaremba's, which the trainer sets from the
 * epoch number (so a resumed run gets the same rate). */
void nlp_optim_set_lr_factor(nlp_optim *o, double f);
/* The learning rate the next step will use. */
double nlp_optim_lr(const nlp_optim *o);
/* Steps done. */
long nlp_optim_steps(const nlp_optim *o);

/* Stage i's learning rate is the scheduled one times scale (>= 0; 1 until
 * set).  0 freezes the stage: a step leaves its weights and its state (Adam's
 * moments) as they are, and its gradient out of the norm and the clipping.
 * Each stage counts its own updates for Adam's bias correction (as PyTorch
 * counts per parameter), so a stage unfrozen later starts as a fresh Adam.
 * The scales are not part of the saved state: the caller sets them. */
int nlp_optim_set_scale(nlp_optim *o, int i, double scale, nlp_err *err);

/* Global L2 norm of the gradients of all blocks of p[0..n) (touched rows
 * only for sparse blocks), computed in double. */
double nlp_optim_grad_norm(const nlp_params *p, int n);

/* Scale all gradients so that their global norm is at most max_norm (as
 * torch.nn.utils.clip_grad_norm_: factor max_norm / (norm + 1e-6) when
 * norm > max_norm).  Returns the norm before clipping. */
double nlp_optim_clip(const nlp_params *p, int n, double max_norm);

/* One update of every block of p[0..n): clipping (when clip_norm > 0),
 * then the rule above with the scheduled rate.  *norm (may be NULL) gets
 * the gradient norm before clipping (computed only when clipping).  Fails
 * with NLP_EINTERNAL when p is not shaped as at nlp_optim_new and with
 * NLP_EDATA when the gradient is not finite (nothing is updated then). */
int nlp_optim_step(nlp_optim *o, const nlp_params *p, int n, double *norm, nlp_err *err);

/* Zero the gradients used: dense blocks entirely, sparse blocks at their
 * touched rows (cost proportional to the rows used, not to the table). */
void nlp_optim_zero_grad(const nlp_params *p, int n);

/* The optimizer state (kind, step count, moments) as bytes, and back.  Load
 * checks the kind and shapes against o and fails with a clear message
 * (NLP_EDATA) on any mismatch or truncation. */
int nlp_optim_save(const nlp_optim *o, nlp_buf *out, nlp_err *err);
int nlp_optim_load(nlp_optim *o, nlp_cursor *in, nlp_err *err);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_OPTIM_H */
