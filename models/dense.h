/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/dense.h - dense (fully connected) layers and activations, llm.c
 * style: *_forward(outputs, inputs, sizes) / *_backward(dinputs, dout,
 * saved, sizes).  Weights use PyTorch's nn.Linear layout, w[NO][NI], so
 * parameters and results compare directly.  Internal to the nn module.
 */
#ifndef NLP_MODELS_DENSE_H
#define NLP_MODELS_DENSE_H

enum dense_act { DENSE_ACT_NONE = 0, DENSE_ACT_RELU, DENSE_ACT_TANH };

#include "gemm.h"

/* out[B][NO] = in[B][NI] . w[NO][NI]^T + bias[NO]  (nk_gemm_rows: a row of
 * out depends on its row of in only).  pk: the caller's workspace, w is
 * packed into it.  Returns 0, or -1 when out of memory. */
int dense_forward(float *out, const float *in, const float *w, const float *bias, int B, int NI,
                  int NO, nk_pack *pk);

/* Given dout[B][NO]: dw[NO][NI] += dout^T . in (cblas_sgemm), dbias[NO] +=
 * sum_b dout, din[B][NI] = dout . w (overwritten, nk_gemm_rows; skipped when
 * din is NULL).  pk as above.  Returns 0, or -1 when out of memory. */
int dense_backward(float *din, float *dw, float *dbias, const float *dout, const float *in,
                   const float *w, int B, int NI, int NO, nk_pack *pk);

/* The naive (loop) versions of the two, to test the BLAS ones against. */
void dense_forward_naive(float *out, const float *in, const float *w, const float *bias, int B,
                         int NI, int NO);
void dense_backward_naive(float *din, float *dw, float *dbias, const float *dout, const float *in,
                          const float *w, int B, int NI, int NO);

/* y[n] = act(x[n]); in place allowed (y == x). */
void act_forward(float *y, const float *x, int n, enum dense_act act);
/* dx[n] = dy[n] * act'(.) computed from the output y[n]; dx == dy allowed. */
void act_backward(float *dx, const float *dy, const float *y, int n, enum dense_act act);

#endif /* NLP_MODELS_DENSE_H */
