/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gru.c - the GRU cell over one direction of one layer (see
 * recurrent.h for layouts).  PyTorch's nn.GRU:
 *   r = s(W_ir x + b_ir + W_hr h + b_hr)
 *   z = s(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r (W_hn h + b_hn))
 *   h' = (1 - z) n + z h
 */
#include "config.h"

#include <string.h>

#include "blas.h"
#include "gemm.h"
#include "cells.h"

/* Gates r, z, n of one row, biases added: the input products are g itself
 * (in place), or x when in_place is 0 (a lookup row: rec_whh's xrows); the
 * activations go to g, W_hn h + b_hn to hr.  in_place is a constant at each
 * call. */
NK_INLINE void gru_act(float *restrict g, const float *restrict x, float *restrict hr,
                       const float *restrict ghr, const float *restrict bias,
                       const float *restrict b_hn, int H, const int in_place)
{
	for (int j = 0; j < 2 * H; j++)
		g[j] = nk_sigmoid((in_place ? g[j] : x[j]) + bias[j] + ghr[j]);
	for (int j = 0; j < H; j++) {
		hr[j] = ghr[2 * H + j] + b_hn[j];
		g[2 * H + j] = nk_tanh((in_place ? g[2 * H + j] : x[2 * H + j]) + bias[2 * H + j] +
		                       g[j] * hr[j]);
	}
}

NK_CLONES
void gru_forward(float *y, float *gates, float *hn, float *gh, const rec_whh *w_hh,
                 const float *bias, const float *b_hn, const int *len, int T, int B, int H, int ldy,
                 int reverse, const rec_start *st, int naive)
{
	const int GH = 3 * H;
	for (int s = 0; s < T; s++) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		const int tp = reverse ? t + 1 : t - 1;
		const float *const *xr = rec_xrows(w_hh, t, B);
		int ldh;
		const float *hprev = rec_prev_h(y, ldy, st, s, t, tp, B, nt, H, &ldh);
		if (hprev)
			rec_whh_product(w_hh, naive, nt, hprev, ldh, 0.0f, NULL, gh, GH);
		else
			memset(gh, 0, (size_t)B * GH * sizeof *gh);
		for (int b = 0; b < B; b++) {
			float *restrict yr = y + ((size_t)t * B + b) * ldy;
			float *restrict hr = hn + ((size_t)t * B + b) * H;
			float *restrict g = gates + ((size_t)t * B + b) * GH;
			const float *restrict ghr = gh + (size_t)b * GH;
			if (b >= nt) {
				memset(yr, 0, (size_t)H * sizeof *yr);
				memset(hr, 0, (size_t)H * sizeof *hr);
				continue;
			}
			/* No previous h: gh's zeroed row stands in. */
			const float *restrict hp = hprev ? hprev + (size_t)b * ldh : ghr;
			if (xr)
				gru_act(g, xr[b], hr, ghr, bias, b_hn, H, 0);
			else
				gru_act(g, NULL, hr, ghr, bias, b_hn, H, 1);
			for (int j = 0; j < H; j++) {
				const float z = g[H + j], n = g[2 * H + j];
				yr[j] = n + z * (hp[j] - n);
			}
		}
	}
}

/* One row of one step (see lstm_backward_row): has_prev is a constant at
 * each call so the loop vectorizes. */
NK_INLINE void gru_backward_row(float *restrict dx, float *restrict dhh, float *restrict dbx,
                                float *restrict dbh, float *restrict dhr, const float *restrict g,
                                const float *restrict hr, const float *restrict dyr,
                                const float *restrict hp, int H, int has_prev)
{
	for (int j = 0; j < H; j++) {
		const float r = g[j], z = g[H + j], n = g[2 * H + j];
		const float hpj = has_prev ? hp[j] : 0.0f;
		const float dhj = dyr[j] + dhr[j];
		const float dnp = dhj * (1.0f - z) * (1.0f - n * n);
		const float drp = dnp * hr[j] * r * (1.0f - r);
		const float dzp = dhj * (hpj - n) * z * (1.0f - z);
		dx[j] = drp;
		dx[H + j] = dzp;
		dx[2 * H + j] = dnp;
		dhh[j] = drp;
		dhh[H + j] = dzp;
		dhh[2 * H + j] = dnp * r;
		dhr[j] = dhj * z;
	}
	for (int j = 0; j < 3 * H; j++) {
		dbx[j] += dx[j];
		dbh[j] += dhh[j];
	}
}

/* The previous h of row b at step s in backward, or NULL for zeros. */
static inline const float *gru_prev_h(const float *y, int ldy, const rec_start *st, int s, int t,
                                      int tp, int B, int b, int H)
{
	if (rec_restarts(st, t, B, b))
		return NULL;
	if (s > 0)
		return y + ((size_t)tp * B + b) * ldy;
	return st && st->h0 ? st->h0 + (size_t)b * H : NULL;
}

NK_CLONES
void gru_backward(float *dgx, float *dgh, float *dbx, float *dbh, float *dh, const float *dy,
                  const float *y, const float *gates, const float *hn, const rec_whh *w_hh,
                  const int *len, int T, int B, int H, int ldy, int reverse, const rec_start *st,
                  int naive)
{
	const int GH = 3 * H;
	memset(dh, 0, (size_t)B * H * sizeof *dh);
	for (int s = T - 1; s >= 0; s--) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		const int tp = reverse ? t + 1 : t - 1;
		float *DX = dgx + (size_t)t * B * GH;
		float *DH = dgh + (size_t)t * B * GH;
		for (int b = 0; b < B; b++) {
			float *restrict dx = DX + (size_t)b * GH;
			float *restrict dhh = DH + (size_t)b * GH;
			float *restrict dhr = dh + (size_t)b * H;
			if (b >= nt) {
				memset(dx, 0, (size_t)GH * sizeof *dx);
				memset(dhh, 0, (size_t)GH * sizeof *dhh);
				memset(dhr, 0, (size_t)H * sizeof *dhr);
				continue;
			}
			const float *restrict g = gates + ((size_t)t * B + b) * GH;
			const float *restrict hr = hn + ((size_t)t * B + b) * H;
			const float *restrict dyr = dy + ((size_t)t * B + b) * ldy;
			const float *hp = gru_prev_h(y, ldy, st, s, t, tp, B, b, H);
			if (hp)
				gru_backward_row(dx, dhh, dbx, dbh, dhr, g, hr, dyr, hp, H, 1);
			else
				gru_backward_row(dx, dhh, dbx, dbh, dhr, g, hr, dyr, NULL, H, 0);
		}
		if (s > 0) {
			rec_whh_product(w_hh, naive, nt, DH, GH, 1.0f, NULL, dh, H);
			rec_stop_grad(dh, NULL, st, t, B, nt, H);
		}
	}
}
