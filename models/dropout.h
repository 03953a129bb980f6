/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/dropout.h - inverted dropout, driven by the run's seeded RNG.
 * Internal to the nn module. */
#ifndef NLP_MODELS_DROPOUT_H
#define NLP_MODELS_DROPOUT_H

#include <nlpipe/train.h>

/* out[n] = in[n] * mask[n], mask[n] = 0 with probability p, else 1/(1-p).
 * in place allowed (out == in).  p must be in [0, 1). */
void dropout_forward(float *out, float *mask, const float *in, int n, float p, nlp_rng *rng);
/* din[n] = dout[n] * mask[n]; in place allowed. */
void dropout_backward(float *din, const float *dout, const float *mask, int n);

#endif /* NLP_MODELS_DROPOUT_H */
