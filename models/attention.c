/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/attention.c - pooling of a recurrent encoder's output sequence into
 * one vector per document: last | mean | max | additive attention.  Only the
 * steps t < len[b] of each document take part (see recurrent.h).
 *
 * Attention (Bahdanau-style additive scoring, one query vector):
 *   u_t = tanh(W y_t + b)   [A]      s_t = v . u_t
 *   alpha = softmax over t < len of s      out = sum_t alpha_t y_t
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "blas.h"
#include "gemm.h"
#include "cells.h"

NK_CLONES
void pool_forward(float *out, int *arg, float *u, float *alpha, const float *y, const nk_pack *w,
                  const float *bias, const float *v, const int *len, int T, int B, int D, int H,
                  int A, int pool, int naive)
{
	memset(out, 0, (size_t)B * D * sizeof *out);
	switch (pool) {
	case REC_POOL_LAST:
		for (int b = 0; b < B; b++) {
			if (len[b] <= 0)
				continue;
			const float *yl = y + ((size_t)(len[b] - 1) * B + b) * D;
			memcpy(out + (size_t)b * D, yl, (size_t)H * sizeof *out);
			if (D > H) /* the reverse direction ends at step 0 */
				memcpy(out + (size_t)b * D + H, y + (size_t)b * D + H,
				       (size_t)(D - H) * sizeof *out);
		}
		break;
	case REC_POOL_MEAN:
		for (int b = 0; b < B; b++) {
			float *o = out + (size_t)b * D;
			for (int t = 0; t < len[b]; t++) {
				const float *yr = y + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++)
					o[j] += yr[j];
			}
			if (len[b] > 0) {
				const float k = 1.0f / (float)len[b];
				for (int j = 0; j < D; j++)
					o[j] *= k;
			}
		}
		break;
	case REC_POOL_MAX:
		for (int b = 0; b < B; b++) {
			float *o = out + (size_t)b * D;
			int *a = arg + (size_t)b * D;
			for (int j = 0; j < D; j++)
				a[j] = -1;
			if (len[b] <= 0)
				continue;
			memcpy(o, y + (size_t)b * D, (size_t)D * sizeof *o);
			for (int j = 0; j < D; j++)
				a[j] = 0;
			for (int t = 1; t < len[b]; t++) {
				const float *yr = y + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++) {
					if (yr[j] > o[j]) {
						o[j] = yr[j];
						a[j] = t;
					}
				}
			}
		}
		break;
	case REC_POOL_ATTENTION: {
		const size_t TB = (size_t)T * B;
		nk_rows_set(u, bias, (int)TB, A, A);
		nk_gemm_rows(naive, (int)TB, y, D, w, 1.0f, u, A);
		for (size_t r = 0; r < TB * A; r++)
			u[r] = nk_tanh(u[r]);
		for (int b = 0; b < B; b++) {
			float m = -FLT_MAX;
			for (int t = 0; t < T; t++) {
				float *al = &alpha[(size_t)t * B + b];
				if (t >= len[b]) {
					*al = 0.0f;
					continue;
				}
				const float *ur = u + ((size_t)t * B + b) * A;
				float sc = 0.0f;
				for (int k = 0; k < A; k++)
					sc += v[k] * ur[k];
				*al = sc;
				if (sc > m)
					m = sc;
			}
			double z = 0.0;
			for (int t = 0; t < len[b]; t++) {
				float *al = &alpha[(size_t)t * B + b];
				*al = expf(*al - m);
				z += *al;
			}
			float *o = out + (size_t)b * D;
			for (int t = 0; t < len[b]; t++) {
				float *al = &alpha[(size_t)t * B + b];
				*al = (float)(*al / z);
				const float *yr = y + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++)
					o[j] += *al * yr[j];
			}
		}
		break;
	}
	}
}

NK_CLONES
void pool_backward(float *dy, float *dw, float *dbias, float *dv, float *du, const float *dout,
                   const int *arg, const float *u, const float *alpha, const float *y,
                   const nk_pack *w, const float *v, const int *len, int T, int B, int D, int H,
                   int A, int pool, int naive)
{
	memset(dy, 0, (size_t)T * B * D * sizeof *dy);
	switch (pool) {
	case REC_POOL_LAST:
		for (int b = 0; b < B; b++) {
			if (len[b] <= 0)
				continue;
			const float *d = dout + (size_t)b * D;
			memcpy(dy + ((size_t)(len[b] - 1) * B + b) * D, d, (size_t)H * sizeof *dy);
			if (D > H)
				memcpy(dy + (size_t)b * D + H, d + H, (size_t)(D - H) * sizeof *dy);
		}
		break;
	case REC_POOL_MEAN:
		for (int b = 0; b < B; b++) {
			if (len[b] <= 0)
				continue;
			const float k = 1.0f / (float)len[b];
			const float *d = dout + (size_t)b * D;
			for (int t = 0; t < len[b]; t++) {
				float *r = dy + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++)
					r[j] = d[j] * k;
			}
		}
		break;
	case REC_POOL_MAX:
		for (int b = 0; b < B; b++) {
			const float *d = dout + (size_t)b * D;
			const int *a = arg + (size_t)b * D;
			for (int j = 0; j < D; j++)
				if (a[j] >= 0)
					dy[((size_t)a[j] * B + b) * D + j] = d[j];
		}
		break;
	case REC_POOL_ATTENTION: {
		const size_t TB = (size_t)T * B;
		for (int b = 0; b < B; b++) {
			const float *d = dout + (size_t)b * D;
			/* sum_t alpha_t dalpha_t, dalpha_t = dout . y_t */
			double sum = 0.0;
			for (int t = 0; t < len[b]; t++) {
				const float *yr = y + ((size_t)t * B + b) * D;
				float da = 0.0f;
				for (int j = 0; j < D; j++)
					da += d[j] * yr[j];
				sum += (double)alpha[(size_t)t * B + b] * da;
			}
			for (int t = 0; t < T; t++) {
				float *dur = du + ((size_t)t * B + b) * A;
				if (t >= len[b]) {
					memset(dur, 0, (size_t)A * sizeof *dur);
					continue;
				}
				const float *yr = y + ((size_t)t * B + b) * D;
				const float *ur = u + ((size_t)t * B + b) * A;
				float *dyr = dy + ((size_t)t * B + b) * D;
				const float al = alpha[(size_t)t * B + b];
				float da = 0.0f;
				for (int j = 0; j < D; j++) {
					da += d[j] * yr[j];
					dyr[j] = al * d[j];
				}
				const float ds = al * (float)(da - sum);
				for (int k = 0; k < A; k++) {
					dv[k] += ds * ur[k];
					dur[k] = ds * v[k] * (1.0f - ur[k] * ur[k]);
				}
			}
		}
		nk_colsum_add(dbias, du, (int)TB, A, A);
		nk_gemm(naive, 1, 0, A, D, (int)TB, 1.0f, du, A, y, D, 1.0f, dw, D);
		nk_gemm_rows(naive, (int)TB, du, A, w, 1.0f, dy, D);
		break;
	}
	}
}
