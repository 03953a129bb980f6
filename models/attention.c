/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/attention.c - pooling of a recurrent encoder's output sequence into
 * one vector per document: last | mean | max | additive attention | concat
 * (last, max and mean side by side).  Only the
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

/* The three simple poolings of y [T x B x D] into rows of out with stride
 * ld (out [B x ld], D columns from out's first). */
NK_INLINE void pool_last(float *out, int ld, const float *y, const int *len, int B, int D, int H)
{
	for (int b = 0; b < B; b++) {
		if (len[b] <= 0)
			continue;
		const float *yl = y + ((size_t)(len[b] - 1) * B + b) * D;
		memcpy(out + (size_t)b * ld, yl, (size_t)H * sizeof *out);
		if (D > H) /* the reverse direction ends at step 0 */
			memcpy(out + (size_t)b * ld + H, y + (size_t)b * D + H,
			       (size_t)(D - H) * sizeof *out);
	}
}

NK_INLINE void pool_mean(float *restrict out, int ld, const float *restrict y, const int *len,
                         int B, int D)
{
	for (int b = 0; b < B; b++) {
		float *o = out + (size_t)b * ld;
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
}

NK_INLINE void pool_max(float *restrict out, int ld, int *restrict arg, const float *restrict y,
                        const int *len, int B, int D)
{
	for (int b = 0; b < B; b++) {
		float *o = out + (size_t)b * ld;
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
			/* branch-free, so that it vectorizes: the first maximum
			 * wins, a NaN never replaces a number (as with a branch) */
			for (int j = 0; j < D; j++) {
				const int gt = yr[j] > o[j];
				o[j] = gt ? yr[j] : o[j];
				a[j] = gt ? t : a[j];
			}
		}
	}
}

NK_CLONES
void pool_forward(float *out, int *arg, float *u, float *alpha, const float *y, const nk_pack *w,
                  const float *bias, const float *v, const int *len, int T, int B, int D, int H,
                  int A, int pool, int naive)
{
	const int P = rec_pool_width(pool, D);

	memset(out, 0, (size_t)B * P * sizeof *out);
	switch (pool) {
	case REC_POOL_LAST:
		pool_last(out, D, y, len, B, D, H);
		break;
	case REC_POOL_MEAN:
		pool_mean(out, D, y, len, B, D);
		break;
	case REC_POOL_MAX:
		pool_max(out, D, arg, y, len, B, D);
		break;
	case REC_POOL_CONCAT:
		pool_last(out, P, y, len, B, D, H);
		pool_max(out + D, P, arg, y, len, B, D);
		pool_mean(out + 2 * D, P, y, len, B, D);
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

/* The backward of the three simple poolings: dout's rows (stride ld)
 * added into dy [T x B x D]. */
static void pool_last_bwd(float *dy, const float *dout, int ld, const int *len, int B, int D, int H)
{
	for (int b = 0; b < B; b++) {
		if (len[b] <= 0)
			continue;
		const float *d = dout + (size_t)b * ld;
		float *r = dy + ((size_t)(len[b] - 1) * B + b) * D;
		for (int j = 0; j < H; j++)
			r[j] += d[j];
		r = dy + (size_t)b * D; /* the reverse direction ends at step 0 */
		for (int j = H; j < D; j++)
			r[j] += d[j];
	}
}

static void pool_mean_bwd(float *dy, const float *dout, int ld, const int *len, int B, int D)
{
	for (int b = 0; b < B; b++) {
		if (len[b] <= 0)
			continue;
		const float k = 1.0f / (float)len[b];
		const float *d = dout + (size_t)b * ld;
		for (int t = 0; t < len[b]; t++) {
			float *r = dy + ((size_t)t * B + b) * D;
			for (int j = 0; j < D; j++)
				r[j] += d[j] * k;
		}
	}
}

static void pool_max_bwd(float *dy, const float *dout, int ld, const int *arg, int B, int D)
{
	for (int b = 0; b < B; b++) {
		const float *d = dout + (size_t)b * ld;
		const int *a = arg + (size_t)b * D;
		for (int j = 0; j < D; j++)
			if (a[j] >= 0)
				dy[((size_t)a[j] * B + b) * D + j] += d[j];
	}
}

NK_CLONES
void pool_backward(float *dy, float *dw, float *dbias, float *dv, float *du, const float *dout,
                   const int *arg, const float *u, const float *alpha, const float *y,
                   const nk_pack *w, const float *v, const int *len, int T, int B, int D, int H,
                   int A, int pool, int naive)
{
	const int P = rec_pool_width(pool, D);

	memset(dy, 0, (size_t)T * B * D * sizeof *dy);
	switch (pool) {
	case REC_POOL_LAST:
		pool_last_bwd(dy, dout, D, len, B, D, H);
		break;
	case REC_POOL_MEAN:
		pool_mean_bwd(dy, dout, D, len, B, D);
		break;
	case REC_POOL_MAX:
		pool_max_bwd(dy, dout, D, arg, B, D);
		break;
	case REC_POOL_CONCAT:
		pool_last_bwd(dy, dout, P, len, B, D, H);
		pool_max_bwd(dy, dout + D, P, arg, B, D);
		pool_mean_bwd(dy, dout + 2 * D, P, len, B, D);
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
