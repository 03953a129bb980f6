/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/dense.c - dense layers and activations (see dense.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "blas.h"
#include "dense.h"

void dense_ws_free(dense_ws *ws)
{
	nk_pack_free(&ws->pk);
	for (int k = 0; k < DENSE_MAX_PARTS; k++)
		nk_tn_ws_free(&ws->tn[k]);
}

/* out[B][NO] = in[B][NI] . w[NO][NI]^T + bias[NO] */
int dense_forward(float *out, const float *in, const float *w, const float *bias, int B, int NI,
                  int NO, dense_ws *ws)
{
	for (int b = 0; b < B; b++)
		memcpy(out + (size_t)b * NO, bias, (size_t)NO * sizeof *out);
	if (B <= 0 || NO <= 0 || NI <= 0)
		return 0;
	if (nk_pack_b(&ws->pk, 0, 1, NI, NO, w, NI))
		return -1;
	nk_gemm_rows(0, B, in, NI, &ws->pk, 1.0f, out, NO);
	return 0;
}

/* Multiply-adds a thread below which the backward stays on one thread (a
 * classifier's head: a few thousand; a sampled softmax: 10^8). */
#define DENSE_MIN_WORK (1L << 22)

typedef struct backward_job {
	float *din, *dw;
	const float *dout, *in;
	int B, NI, NO, acc;
	dense_ws *ws;
	int rc[DENSE_MAX_PARTS];
} backward_job;

/* Part k of S: rows [NO k / S, NO (k + 1) / S) of dw, rows [B k / S,
 * B (k + 1) / S) of din. */
static void backward_part(void *arg, int k, int S)
{
	backward_job *j = arg;
	const int o0 = (int)((long)j->NO * k / S), o1 = (int)((long)j->NO * (k + 1) / S);
	const int b0 = (int)((long)j->B * k / S), b1 = (int)((long)j->B * (k + 1) / S);

	if (o1 > o0 && nk_gemm_tn(0, o1 - o0, j->NI, j->B, j->dout + o0, j->NO, j->in, j->NI,
	                          j->dw + (size_t)o0 * j->NI, j->NI, &j->ws->tn[k]))
		j->rc[k] = -1;
	if (j->din && b1 > b0)
		nk_gemm_rows(0, b1 - b0, j->dout + (size_t)b0 * j->NO, j->NO, &j->ws->pk,
		             j->acc ? 1.0f : 0.0f, j->din + (size_t)b0 * j->NI, j->NI);
}

/* dout[B][NO], in[B][NI], w[NO][NI] -> din[B][NI] (= or +=), dw[NO][NI] (+=),
 * dbias[NO] (+=) */
int dense_backward(float *din, float *dw, float *dbias, const float *dout, const float *in,
                   const float *w, int B, int NI, int NO, int acc, dense_ws *ws)
{
	if (B <= 0 || NO <= 0)
		return 0;
	for (int b = 0; dbias && b < B; b++) {
		const float *d = dout + (size_t)b * NO;
		for (int o = 0; o < NO; o++)
			dbias[o] += d[o];
	}
	if (NI <= 0)
		return 0;
	if (din && nk_pack_b(&ws->pk, 0, 0, NO, NI, w, NI))
		return -1;
	backward_job j = {din, dw, dout, in, B, NI, NO, acc, ws, {0}};
	const long work = (long)B * NI * NO * (din ? 2 : 1);
	int S = nk_blas_threads(0);
	S = S > DENSE_MAX_PARTS ? DENSE_MAX_PARTS : S;
	S = S > B ? B : S;
	S = S > NO ? NO : S;
	while (S > 1 && work / S < DENSE_MIN_WORK)
		S--;
	nk_parallel(S, backward_part, &j);
	for (int k = 0; k < S; k++)
		if (j.rc[k])
			return -1;
	return 0;
}

void dense_forward_naive(float *out, const float *in, const float *w, const float *bias, int B,
                         int NI, int NO)
{
	for (int b = 0; b < B; b++)
		for (int o = 0; o < NO; o++) {
			double s = bias[o];
			for (int i = 0; i < NI; i++)
				s += (double)in[(size_t)b * NI + i] * w[(size_t)o * NI + i];
			out[(size_t)b * NO + o] = (float)s;
		}
}

void dense_backward_naive(float *din, float *dw, float *dbias, const float *dout, const float *in,
                          const float *w, int B, int NI, int NO)
{
	for (int o = 0; o < NO; o++) {
		double sb = 0;
		for (int b = 0; b < B; b++)
			sb += dout[(size_t)b * NO + o];
		dbias[o] += (float)sb;
		for (int i = 0; i < NI; i++) {
			double s = 0;
			for (int b = 0; b < B; b++)
				s += (double)dout[(size_t)b * NO + o] * in[(size_t)b * NI + i];
			dw[(size_t)o * NI + i] += (float)s;
		}
	}
	if (!din)
		return;
	for (int b = 0; b < B; b++)
		for (int i = 0; i < NI; i++) {
			double s = 0;
			for (int o = 0; o < NO; o++)
				s += (double)dout[(size_t)b * NO + o] * w[(size_t)o * NI + i];
			din[(size_t)b * NI + i] = (float)s;
		}
}

void act_forward(float *y, const float *x, int n, enum dense_act act)
{
	switch (act) {
	case DENSE_ACT_RELU:
		for (int i = 0; i < n; i++)
			y[i] = x[i] > 0.0f ? x[i] : 0.0f;
		break;
	case DENSE_ACT_TANH:
		for (int i = 0; i < n; i++)
			y[i] = tanhf(x[i]);
		break;
	default:
		if (y != x)
			memmove(y, x, (size_t)n * sizeof *y);
	}
}

void act_backward(float *dx, const float *dy, const float *y, int n, enum dense_act act)
{
	switch (act) {
	case DENSE_ACT_RELU:
		for (int i = 0; i < n; i++)
			dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
		break;
	case DENSE_ACT_TANH:
		for (int i = 0; i < n; i++)
			dx[i] = dy[i] * (1.0f - y[i] * y[i]);
		break;
	default:
		if (dx != dy)
			memmove(dx, dy, (size_t)n * sizeof *dx);
	}
}
