/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/lstm.c - the LSTM cell over one direction of one layer (see
 * recurrent.h for layouts).  PyTorch's nn.LSTM:
 *   i = s(W_ii x + b_ii + W_hi h + b_hi)   f = s(... f ...)
 *   g = tanh(... g ...)                    o = s(... o ...)
 *   c' = f c + i g                         h' = o tanh(c')
 */
#include "config.h"

#include <string.h>

#include "blas.h"
#include "gemm.h"
#include "cells.h"

/* Gate activations of one row in place, bias added: sigmoid on i, f, o;
 * tanh on g. */
NK_INLINE void lstm_act(float *restrict g, const float *restrict bias, int H)
{
	for (int j = 0; j < 2 * H; j++)
		g[j] = nk_sigmoid(g[j] + bias[j]);
	for (int j = 2 * H; j < 3 * H; j++)
		g[j] = nk_tanh(g[j] + bias[j]);
	for (int j = 3 * H; j < 4 * H; j++)
		g[j] = nk_sigmoid(g[j] + bias[j]);
}

NK_CLONES
void lstm_forward(float *y, float *gates, float *c, float *tc, const nk_pack *w_hh,
                  const float *bias, const int *len, int T, int B, int H, int ldy, int reverse,
                  int naive)
{
	const int GH = 4 * H;
	for (int s = 0; s < T; s++) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		const int tp = reverse ? t + 1 : t - 1; /* previous step, when s > 0 */
		float *G = gates + (size_t)t * B * GH;
		if (s > 0)
			nk_gemm_rows(naive, nt, y + (size_t)tp * B * ldy, ldy, w_hh, 1.0f, G, GH);
		for (int b = 0; b < B; b++) {
			float *restrict yr = y + ((size_t)t * B + b) * ldy;
			float *restrict cr = c + ((size_t)t * B + b) * H;
			float *restrict tr = tc + ((size_t)t * B + b) * H;
			float *restrict g = G + (size_t)b * GH;
			if (b >= nt) {
				memset(yr, 0, (size_t)H * sizeof *yr);
				memset(cr, 0, (size_t)H * sizeof *cr);
				memset(tr, 0, (size_t)H * sizeof *tr);
				continue;
			}
			lstm_act(g, bias, H);
			const float *restrict gi = g, *restrict gf = g + H,
			                      *restrict gg = g + 2 * H, *restrict go = g + 3 * H;
			if (s > 0) {
				const float *restrict cp = c + ((size_t)tp * B + b) * H;
				for (int j = 0; j < H; j++)
					cr[j] = gf[j] * cp[j] + gi[j] * gg[j];
			} else {
				for (int j = 0; j < H; j++)
					cr[j] = gi[j] * gg[j];
			}
			for (int j = 0; j < H; j++)
				tr[j] = nk_tanh(cr[j]);
			for (int j = 0; j < H; j++)
				yr[j] = go[j] * tr[j];
		}
	}
}

/* One row of one step: gate gradients d [4H] from dh (dy + dhr) and dc;
 * dcr becomes the gradient for the previous cell state.  has_prev is a
 * constant at each call, so the loop has no branch and vectorizes. */
NK_INLINE void lstm_backward_row(float *restrict d, float *restrict db, const float *restrict dhr,
                                 float *restrict dcr, const float *restrict g,
                                 const float *restrict tr, const float *restrict dyr,
                                 const float *restrict cp, int H, int has_prev)
{
	for (int j = 0; j < H; j++) {
		const float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j],
		            tcj = tr[j];
		const float dhj = dyr[j] + dhr[j];
		const float dct = dcr[j] + dhj * o * (1.0f - tcj * tcj);
		const float cpj = has_prev ? cp[j] : 0.0f;
		d[j] = dct * gg * i * (1.0f - i);
		d[H + j] = dct * cpj * f * (1.0f - f);
		d[2 * H + j] = dct * i * (1.0f - gg * gg);
		d[3 * H + j] = dhj * tcj * o * (1.0f - o);
		dcr[j] = dct * f;
	}
	for (int j = 0; j < 4 * H; j++)
		db[j] += d[j];
}

NK_CLONES
void lstm_backward(float *dg, float *db, float *dh, float *dc, const float *dy, const float *gates,
                   const float *c, const float *tc, const nk_pack *w_hh, const int *len, int T,
                   int B, int H, int ldy, int reverse, int naive)
{
	const int GH = 4 * H;
	memset(dh, 0, (size_t)B * H * sizeof *dh);
	memset(dc, 0, (size_t)B * H * sizeof *dc);
	for (int s = T - 1; s >= 0; s--) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		const int tp = reverse ? t + 1 : t - 1;
		float *DG = dg + (size_t)t * B * GH;
		for (int b = 0; b < B; b++) {
			float *restrict d = DG + (size_t)b * GH;
			float *restrict dhr = dh + (size_t)b * H;
			float *restrict dcr = dc + (size_t)b * H;
			if (b >= nt) {
				memset(d, 0, (size_t)GH * sizeof *d);
				memset(dhr, 0, (size_t)H * sizeof *dhr);
				memset(dcr, 0, (size_t)H * sizeof *dcr);
				continue;
			}
			const float *restrict g = gates + ((size_t)t * B + b) * GH;
			const float *restrict tr = tc + ((size_t)t * B + b) * H;
			const float *restrict dyr = dy + ((size_t)t * B + b) * ldy;
			if (s > 0)
				lstm_backward_row(d, db, dhr, dcr, g, tr, dyr,
				                  c + ((size_t)tp * B + b) * H, H, 1);
			else
				lstm_backward_row(d, db, dhr, dcr, g, tr, dyr, NULL, H, 0);
		}
		if (s > 0)
			nk_gemm_rows(naive, nt, DG, GH, w_hh, 0.0f, dh, H);
	}
}
