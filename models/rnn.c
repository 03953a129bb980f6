/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/rnn.c - the Elman RNN cell over one direction of one layer (see
 * recurrent.h for layouts).  PyTorch's nn.RNN:
 *   h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
 */
#include "config.h"

#include <string.h>

#include "blas.h"
#include "gemm.h"
#include "cells.h"

NK_CLONES
void rnn_forward(float *y, float *pre, const rec_whh *w_hh, const float *bias, const int *len,
                 int T, int B, int H, int ldy, int reverse, int relu, const rec_start *st,
                 int naive)
{
	for (int s = 0; s < T; s++) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		const int tp = reverse ? t + 1 : t - 1;
		float *P = pre + (size_t)t * B * H;
		const float *const *xr = rec_xrows(w_hh, t, B);
		int ldh;
		const float *hp = rec_prev_h(y, ldy, st, s, t, tp, B, nt, H, &ldh);
		if (hp) /* from x W_ih^T: in P, or the rows xr */
			rec_whh_product(w_hh, naive, nt, hp, ldh, 1.0f, xr, P, H);
		for (int b = 0; b < B; b++) {
			float *restrict yr = y + ((size_t)t * B + b) * ldy;
			/* the pre-activation: P's row, or the input row alone */
			const float *restrict p = xr && !hp ? xr[b] : P + (size_t)b * H;
			if (b >= nt) {
				memset(yr, 0, (size_t)H * sizeof *yr);
				continue;
			}
			if (relu) {
				for (int j = 0; j < H; j++) {
					const float v = p[j] + bias[j];
					yr[j] = v > 0.0f ? v : 0.0f;
				}
			} else {
				for (int j = 0; j < H; j++)
					yr[j] = nk_tanh(p[j] + bias[j]);
			}
		}
	}
}

NK_CLONES
void rnn_backward(float *dpre, float *db, float *dh, const float *dy, const float *y,
                  const rec_whh *w_hh, const int *len, int T, int B, int H, int ldy, int reverse,
                  int relu, const rec_start *st, int naive)
{
	memset(dh, 0, (size_t)B * H * sizeof *dh);
	for (int s = T - 1; s >= 0; s--) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		float *DP = dpre + (size_t)t * B * H;
		for (int b = 0; b < B; b++) {
			float *restrict d = DP + (size_t)b * H;
			float *restrict dhr = dh + (size_t)b * H;
			if (b >= nt) {
				memset(d, 0, (size_t)H * sizeof *d);
				memset(dhr, 0, (size_t)H * sizeof *dhr);
				continue;
			}
			const float *restrict yr = y + ((size_t)t * B + b) * ldy;
			const float *restrict dyr = dy + ((size_t)t * B + b) * ldy;
			if (relu) {
				for (int j = 0; j < H; j++)
					d[j] = yr[j] > 0.0f ? dyr[j] + dhr[j] : 0.0f;
			} else {
				for (int j = 0; j < H; j++)
					d[j] = (dyr[j] + dhr[j]) * (1.0f - yr[j] * yr[j]);
			}
			float *restrict dbr = db;
			for (int j = 0; j < H; j++)
				dbr[j] += d[j];
		}
		if (s > 0) {
			rec_whh_product(w_hh, naive, nt, DP, H, 0.0f, NULL, dh, H);
			rec_stop_grad(dh, NULL, st, t, B, nt, H);
		}
	}
}
