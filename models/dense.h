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

/* Threads a dense layer's backward uses at most. */
#define DENSE_MAX_PARTS 8

/* A dense layer's workspaces, owned by the caller and reused from call to
 * call (zero-initialise; dense_ws_free releases them): the packed weights,
 * and one weight-gradient workspace per thread. */
typedef struct dense_ws {
	nk_pack pk;
	nk_tn_ws tn[DENSE_MAX_PARTS];
} dense_ws;

void dense_ws_free(dense_ws *ws);

/* out[B][NO] = in[B][NI] . w[NO][NI]^T + bias[NO]  (nk_gemm_rows: a row of
 * out depends on its row of in only).  w is packed into ws.  Returns 0, or
 * -1 when out of memory. */
int dense_forward(float *out, const float *in, const float *w, const float *bias, int B, int NI,
                  int NO, dense_ws *ws);

/* Given dout[B][NO]: dw[NO][NI] += dout^T . in (nk_gemm_tn: each element one
 * chain over b in order, whatever OpenBLAS's kernel), dbias[NO] += sum_b dout
 * (skipped when NULL), din[B][NI] = dout . w (nk_gemm_rows; overwritten, or
 * added to when acc; skipped when din is NULL).  Large products are split
 * over the threads OpenBLAS is set to (rows of dw and of din: the same bits
 * for any split).  Returns 0, or -1 when out of memory. */
int dense_backward(float *din, float *dw, float *dbias, const float *dout, const float *in,
                   const float *w, int B, int NI, int NO, int acc, dense_ws *ws);

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
