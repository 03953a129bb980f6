/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/head.h - the classification heads `softmax` and `sigmoid` (optional
 * dense hidden layers, dropout, the loss) and their loss functions.
 * Internal to the nn module (plugins/nn.c).
 *
 * Both consume NLP_KIND_VECTOR (B x D) and produce NLP_KIND_SCORES (B x C
 * probabilities, C = the number of labels):
 *  - softmax: C exclusive classes, cross-entropy against b->labels (or the
 *    distributions in b->targets when labels is NULL); class weights
 *    b->weights as in PyTorch's F.cross_entropy(weight=...): the mean is
 *    weighted, sum_i w[y_i] l_i / sum_i w[y_i].
 *  - sigmoid, C == 2 and multi_label off: one output z, scores [1 - p, p]
 *    with p = sigmoid(z); target b->labels[i] (or b->targets[i][1]); with
 *    weights, sample i weighs w[y_i]; loss = sum_i w_i l_i / B (PyTorch's
 *    BCEWithLogits with a per-sample weight).
 *  - sigmoid otherwise: C independent outputs, targets b->targets (or the
 *    one-hot of b->labels); element (i, c) weighs w[c]; loss = sum w l / (B C)
 *    (BCEWithLogits with weight=w, reduction mean).
 * Per-label decision thresholds of the sigmoid head are its options
 * `threshold` and `thresholds`; see head_thresholds().  The class hands them
 * to the host through nlp_train_ops.thresholds, and `nlpipe predict` decides
 * a sigmoid model's labels with them.
 */
#ifndef NLP_MODELS_HEAD_H
#define NLP_MODELS_HEAD_H

#include <nlpipe/train.h>

extern const nlp_stage_class nn_softmax_class;
extern const nlp_stage_class nn_sigmoid_class;

#define HEAD_MAX_HIDDEN 8

/* What the options of a head say (the classes fill it from their config;
 * tests make heads directly). */
typedef struct head_opts {
	int sigmoid; /* 0: softmax, 1: sigmoid */
	int n_hidden;
	int hidden[HEAD_MAX_HIDDEN];
	int tanh; /* hidden activation: 0 relu, 1 tanh */
	float dropout;
	int multi_label;         /* sigmoid */
	float threshold;         /* sigmoid */
	const float *thresholds; /* sigmoid, [n_thresholds] or NULL */
	int n_thresholds;
} head_opts;

/* An instance of the softmax or sigmoid class (use the class's ops on it).
 * name is kept (for messages) and must outlive the instance. */
int head_new(void **self, const char *name, const head_opts *o, nlp_err *err);

/* Softmax cross-entropy over logits[B][C].  probs[B][C] = softmax(logits);
 * dlogits[B][C] = d(mean loss)/d logits; returns the mean loss.  labels[B]
 * (class indices, checked by the caller) or, when NULL, target
 * distributions targets[B][C].  weights[C] or NULL. */
double softmax_xent(float *probs, float *dlogits, const float *logits, const int *labels,
                    const float *targets, const float *weights, int B, int C);

/* Sigmoid binary cross-entropy, element-wise over z[N] against t[N] with
 * element weights w[N] (or NULL), divided by `denom`.  probs[N] =
 * sigmoid(z); dz[N] = d(loss)/dz; returns the loss. */
double sigmoid_xent(float *probs, float *dz, const float *z, const float *t, const float *w, int N,
                    double denom);

/* The decision thresholds of a sigmoid head instance: C values (valid after
 * setup).  NULL for a softmax head. */
const float *head_thresholds(void *self, int *C);

#endif /* NLP_MODELS_HEAD_H */
