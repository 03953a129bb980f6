/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/dense.c - dense layers and activations (see dense.h). */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "dense.h"

/* out[B][NO] = in[B][NI] . w[NO][NI]^T + bias[NO] */
int dense_forward(float *out, const float *in, const float *w, const float *bias, int B, int NI,
                  int NO, nk_pack *pk)
{
	for (int b = 0; b < B; b++)
		memcpy(out + (size_t)b * NO, bias, (size_t)NO * sizeof *out);
	if (B <= 0 || NO <= 0 || NI <= 0)
		return 0;
	if (nk_pack_b(pk, 0, 1, NI, NO, w, NI))
		return -1;
	nk_gemm_rows(0, B, in, NI, pk, 1.0f, out, NO);
	return 0;
}

/* dout[B][NO], in[B][NI], w[NO][NI] -> din[B][NI] (=), dw[NO][NI] (+=), dbias[NO] (+=) */
int dense_backward(float *din, float *dw, float *dbias, const float *dout, const float *in,
                   const float *w, int B, int NI, int NO, nk_pack *pk)
{
	if (B <= 0 || NO <= 0)
		return 0;
	for (int b = 0; b < B; b++) {
		const float *d = dout + (size_t)b * NO;
		for (int o = 0; o < NO; o++)
			dbias[o] += d[o];
	}
	if (NI <= 0)
		return 0;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, NO, NI, B, 1.0f, dout, NO, in, NI,
	            1.0f, dw, NI);
	if (!din)
		return 0;
	if (nk_pack_b(pk, 0, 0, NO, NI, w, NI))
		return -1;
	nk_gemm_rows(0, B, dout, NO, pk, 0.0f, din, NI);
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
