/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/next_token.h - the `next_token` head of a language model: a softmax
 * over the vocabulary at every step.  Internal to the nn module
 * (plugins/nn.c).
 *
 * Consumes NLP_KIND_SEQUENCE (T x B x H, an encoder with pooling = none) and
 * produces NLP_KIND_SCORES: with b->training == 0 (and in training with
 * softmax = full) forward writes the probabilities T x B x V of the token
 * that follows each step (zero rows past len[b]); V = n_classes = the
 * vocabulary size.  That workspace is T * B * V floats: 4 bytes x rows x V.
 *
 * The loss is the mean cross-entropy in nats over the steps t < len[b] with
 * b->next_ids[t][b] >= 0: the full softmax when b->training == 0 or softmax
 * = full; in training with softmax = sampled (the default) the sampled
 * softmax of Jean et al. 2015 as TensorFlow's sampled_softmax_loss does it:
 * per batch `samples` distinct ids drawn from the log-uniform (Zipfian)
 * proposal q(k) = log((k + 2) / (k + 1)) / log(V + 1), which fits ids
 * sorted by frequency (models/vocab.h: <pad>, <unk>, then the words by
 * count); each step's softmax runs over its target and the sampled ids (a
 * sampled id equal to the target is dropped), every logit minus the log of
 * its expected count in the draws, -log(1 - (1 - q)^tries).  With samples
 * >= V every id is a candidate with expected count 1: the full softmax.  In
 * that mode forward only keeps its input (out->x is NULL: no probabilities).
 *
 * tie_weights: the output matrix is the embedding table the host offers
 * through nlp_train_ops.tie (right after setup, before params and init); the
 * head's own parameters are then only the bias [V], and its weight
 * gradient is added into the table's gradient.
 */
#ifndef NLP_MODELS_NEXT_TOKEN_H
#define NLP_MODELS_NEXT_TOKEN_H

#include <nlpipe/train.h>

extern const nlp_stage_class nn_next_token_class;

typedef struct next_token_opts {
	int tie;       /* tie_weights */
	float dropout; /* on the input, training only */
	int sampled;   /* 1: sampled softmax in training, 0: full */
	int samples;   /* ids drawn per batch (clamped to V) */
} next_token_opts;

/* An instance of the class (use the class's ops on it); name is kept for
 * messages and must outlive the instance. */
int next_token_new(void **self, const char *name, const next_token_opts *o, nlp_err *err);

/* The log-uniform proposal over V ids: q(k) = log((k+2)/(k+1)) / log(V+1). */
double next_token_q(int k, int V);

#endif /* NLP_MODELS_NEXT_TOKEN_H */
