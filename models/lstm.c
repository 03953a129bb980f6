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

/* Gate activations of one row, bias added: sigmoid on i, f, o; tanh on g.
 * The pre-activations are g itself (in place), or x when in_place is 0 (a
 * lookup row: rec_whh's xrows); the activations go to g.  in_place is a
 * constant at each call. */
NK_INLINE void lstm_act(float *restrict g, const float *restrict x, const float *restrict bias,
                        int H, const int in_place)
{
	for (int j = 0; j < 2 * H; j++)
		g[j] = nk_sigmoid((in_place ? g[j] : x[j]) + bias[j]);
	for (int j = 2 * H; j < 3 * H; j++)
		g[j] = nk_tanh((in_place ? g[j] : x[j]) + bias[j]);
	for (int j = 3 * H; j < 4 * H; j++)
		g[j] = nk_sigmoid((in_place ? g[j] : x[j]) + bias[j]);
}

/* The previous cell state of row b at step s (t; tp the step before), or
 * NULL for zeros (see rec_start in cells.h). */
static inline const float *lstm_prev_c(const float *c, const rec_start *st, int s, int t, int tp,
                                       int B, int b, int H)
{
	if (rec_restarts(st, t, B, b))
		return NULL;
	if (s > 0)
		return c + ((size_t)tp * B + b) * H;
	return st && st->c0 ? st->c0 + (size_t)b * H : NULL;
}

NK_CLONES
void lstm_forward(float *y, float *gates, float *c, float *tc, const rec_whh *w_hh,
                  const float *bias, const int *len, int T, int B, int H, int ldy, int reverse,
                  const rec_start *st, int naive)
{
	const int GH = 4 * H;
	for (int s = 0; s < T; s++) {
		const int t = reverse ? T - 1 - s : s;
		const int nt = rec_active(len, B, t);
		const int tp = reverse ? t + 1 : t - 1; /* previous step, when s > 0 */
		float *G = gates + (size_t)t * B * GH;
		const float *const *xr = rec_xrows(w_hh, t, B);
		int ldh;
		const float *hp = rec_prev_h(y, ldy, st, s, t, tp, B, nt, H, &ldh);
		if (hp) /* from x W_ih^T: in G, or the rows xr */
			rec_whh_product(w_hh, naive, nt, hp, ldh, 1.0f, xr, G, GH);
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
			if (xr && !hp)
				lstm_act(g, xr[b], bias, H, 0);
			else
				lstm_act(g, NULL, bias, H, 1);
			const float *restrict gi = g, *restrict gf = g + H,
			                      *restrict gg = g + 2 * H, *restrict go = g + 3 * H;
			const float *cp0 = lstm_prev_c(c, st, s, t, tp, B, b, H);
			if (cp0) {
				const float *restrict cp = cp0;
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
                   const float *c, const float *tc, const rec_whh *w_hh, const int *len, int T,
                   int B, int H, int ldy, int reverse, const rec_start *st, int naive)
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
			const float *cp = lstm_prev_c(c, st, s, t, tp, B, b, H);
			if (cp)
				lstm_backward_row(d, db, dhr, dcr, g, tr, dyr, cp, H, 1);
			else
				lstm_backward_row(d, db, dhr, dcr, g, tr, dyr, NULL, H, 0);
		}
		if (s > 0) {
			rec_whh_product(w_hh, naive, nt, DG, GH, 0.0f, NULL, dh, H);
			rec_stop_grad(dh, dc, st, t, B, nt, H);
		}
	}
}
