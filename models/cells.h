/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/cells.h - the recurrent cells (RNN, LSTM, GRU) as PyTorch's
 * nn.RNN / nn.LSTM / nn.GRU define them, and pooling: the kernels under the
 * encoder of models/recurrent.h (internal to plugins/rnn.la and the tests
 * that compile these files in).
 *
 * Layouts (row-major, time-major like nlpipe/train.h):
 *   x      [T x B x In]     input sequence; steps t >= len[b] are ignored
 *   y      [T x B x ldy]    a layer's output; direction d writes columns
 *                           [d*H, (d+1)*H) (caller passes y + d*H), zero at padding
 *   gates  [T x B x G*H]    G = 1 (RNN), 4 (LSTM: i f g o), 3 (GRU: r z n)
 *   w_ih   [G*H x In], w_hh [G*H x H], b_ih [G*H], b_hh [G*H]  (PyTorch's)
 *
 * Padding: the cell kernels take len [B] non-increasing (recurrent.c sorts
 * the batch by length), so the real rows of step t are a prefix [0, n_t) and
 * the recurrent product of step t covers only those (padding costs nothing in
 * the recurrence).  Rows past n_t get zero output and state, so the next step
 * in either direction starts from a zero state: the reverse direction
 * starts at each document's last real token.  In backward the gradient rows
 * of those steps are zero.
 *
 * Each cell has a *_forward / *_backward pair over one direction of one
 * layer; the input projection (one product over all T*B rows) and the weight
 * gradients (one sgemm each over all steps) are done by the caller
 * (recurrent.c), which is shared by the three cells.  `naive` selects the
 * reference loops instead of the kernels (models/blas.h).
 *
 * Every product that makes an output or an input gradient is nk_gemm_rows
 * (models/gemm.h), so a document's rows are bit-identical whatever else is
 * in the batch: the cells take W_hh packed for it, as W_hh^T ([H x G*H])
 * in *_forward and as W_hh ([G*H x H]) in *_backward; pooling takes the
 * attention matrix packed likewise (W^T [D x A] forward, W [A x D] backward).
 */
#ifndef NLP_MODELS_CELLS_H
#define NLP_MODELS_CELLS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gemm.h"
#include "gemm_bf16.h"
#include "gemm_int8.h"

enum rec_cell { REC_RNN_TANH, REC_RNN_RELU, REC_LSTM, REC_GRU };
/* REC_POOL_NONE: no pooling, the last layer's output sequence itself
 * (models/recurrent.c; pool_forward is not called).  REC_POOL_CONCAT: last,
 * max and mean side by side (ULMFiT's concat pooling), 3 x the width. */
enum rec_pool {
	REC_POOL_LAST,
	REC_POOL_MEAN,
	REC_POOL_MAX,
	REC_POOL_ATTENTION,
	REC_POOL_NONE,
	REC_POOL_CONCAT
};

/* The pooled output's width for pooling pool over outputs D wide. */
static inline int rec_pool_width(int pool, int D)
{
	return pool == REC_POOL_CONCAT ? 3 * D : D;
}

/* ---- Cells: one direction of one layer over a whole batch ---- */

/* Real rows at step t: len is non-increasing, so they are a prefix. */
static inline int rec_active(const int *len, int B, int t)
{
	int n = B;
	while (n > 0 && len[n - 1] <= t)
		n--;
	return n;
}

/* Where the forward direction's recurrence starts and restarts (language
 * models: nlpipe/train.h's carry and reset).  The cells take a NULL start
 * for the usual zero state at step 0 and no restart; with a start, row b
 * begins from h0[b] (and c0[b]) instead of zeros, and a row with
 * reset[t][b] set starts afresh from zeros at step t: in backward no
 * gradient flows from step t into the steps before it (nor into h0, c0). */
typedef struct rec_start {
	const float *h0;      /* [B x H], or NULL: zeros */
	const float *c0;      /* LSTM: [B x H], or NULL: zeros */
	const uint8_t *reset; /* [T x B], or NULL: never */
	float *hs;            /* [B x H] scratch */
} rec_start;

/* Whether row b restarts at step t. */
static inline int rec_restarts(const rec_start *st, int t, int B, int b)
{
	return st && st->reset && st->reset[(size_t)t * B + b];
}

/* The previous h that step s (at t; tp the step before) reads, rows
 * [0, nt) with leading dimension *ld, or NULL for zeros: y at tp, or the
 * start's h0 at s == 0; rows that restart at t are zeroed (in a copy, hs). */
static inline const float *rec_prev_h(const float *y, int ldy, const rec_start *st, int s, int t,
                                      int tp, int B, int nt, int H, int *ld)
{
	const float *hp = NULL;
	*ld = ldy;
	if (s > 0) {
		hp = y + (size_t)tp * B * ldy;
	} else if (st && st->h0) {
		hp = st->h0;
		*ld = H;
	}
	if (!hp || !st || !st->reset)
		return hp;
	int any = 0;
	for (int b = 0; b < nt; b++)
		any |= st->reset[(size_t)t * B + b];
	if (!any)
		return hp;
	for (int b = 0; b < nt; b++) {
		float *d = st->hs + (size_t)b * H;
		if (st->reset[(size_t)t * B + b])
			memset(d, 0, (size_t)H * sizeof *d);
		else
			memcpy(d, hp + (size_t)b * *ld, (size_t)H * sizeof *d);
	}
	*ld = H;
	return st->hs;
}

/* Backward: the rows that restart at t pass no gradient to the step
 * before (dh, and dc for the LSTM, rows [0, nt)). */
static inline void rec_stop_grad(float *dh, float *dc, const rec_start *st, int t, int B, int nt,
                                 int H)
{
	for (int b = 0; b < nt; b++)
		if (rec_restarts(st, t, B, b)) {
			memset(dh + (size_t)b * H, 0, (size_t)H * sizeof *dh);
			if (dc)
				memset(dc + (size_t)b * H, 0, (size_t)H * sizeof *dc);
		}
}

/* W_hh as the cells multiply by it: packed for the row-stable fp32
 * product, or (precision = int8 at inference, models/recurrent.c) quantized
 * for the int8 one of models/gemm_int8.h, or (precision = bf16) packed for
 * the bf16 one of models/gemm_bf16.h; the int8 and bf16 workspaces hold the
 * B rows of a step already (nk_rows8_reserve, nk_rows16_reserve).  The
 * forward multiplies by W_hh^T (packed transposed), the backward by W_hh.
 *
 * xrows: where the steps' input products x W_ih^T are.  NULL: in gates
 * (the cells' usual input).  Else (the lookup forward, models/recurrent.c)
 * row (t, b) is xrows[t * B + b] [G*H], a row of the kept table (NULL at
 * padding), and the cell reads it where it adds it: the recurrent product
 * of step t starts from it, or the activation reads it, with the same
 * operations in the same order as from gates (the same bits, no copy). */
typedef struct rec_whh {
	const nk_pack *f;          /* borrowed */
	const nk_pack8 *q;         /* borrowed; NULL: not the int8 product */
	nk_rows8 *ws;              /* borrowed: the int8 product's workspace */
	const float *const *xrows; /* borrowed; NULL: x W_ih^T is in gates */
	const nk_pack16 *h;        /* borrowed; NULL: not the bf16 product */
	nk_rows16 *ws16;           /* borrowed: the bf16 product's workspace */
} rec_whh;

/* The input rows of step t [B] (rec_whh's xrows), or NULL: in gates. */
static inline const float *const *rec_xrows(const rec_whh *w, int t, int B)
{
	return w->xrows ? w->xrows + (size_t)t * B : NULL;
}

/* G[nt x GH] (row stride ldg) = S + hp[nt x H] (row stride ldh) . W_hh^T,
 * S = beta * G, or the rows xr[0 .. nt) when xr is not NULL. */
static inline void rec_whh_product(const rec_whh *w, int naive, int nt, const float *hp, int ldh,
                                   float beta, const float *const *xr, float *G, int ldg)
{
	int rc = 0;
	if (w->h) { /* bf16: the chains start from the rows as from a copy */
		for (int b = 0; xr && b < nt; b++) {
			float *g = G + (size_t)b * ldg;
			if (xr[b])
				memcpy(g, xr[b], (size_t)w->h->N * sizeof *g);
			else
				memset(g, 0, (size_t)w->h->N * sizeof *g);
		}
		rc = nk_gemm16_rows(nt, hp, ldh, w->h, xr ? 1.0f : beta, G, ldg, w->ws16);
	} else if (w->q && xr)
		rc = nk_gemm8_rows_from(naive, nt, hp, ldh, w->q, xr, G, ldg, w->ws);
	else if (w->q)
		rc = nk_gemm8_rows(naive, nt, hp, ldh, w->q, beta, G, ldg, w->ws);
	else if (xr)
		nk_gemm_rows_from(naive, nt, hp, ldh, w->f, xr, G, ldg);
	else
		nk_gemm_rows(naive, nt, hp, ldh, w->f, beta, G, ldg);
	assert(rc == 0); /* the workspace was reserved */
	(void)rc;
}

/* rnn_forward
 *   y     [T x B x ldy] out: h_t = act(pre_t + bias + W_hh h_prev) in columns [0, H)
 *   pre   [T x B x H]   in: x W_ih^T (overwritten)
 *   w_hh  [H x H], bias [H] = b_ih + b_hh
 */
void rnn_forward(float *y, float *pre, const rec_whh *w_hh, const float *bias, const int *len,
                 int T, int B, int H, int ldy, int reverse, int relu, const rec_start *st,
                 int naive);
/* rnn_backward
 *   dpre  [T x B x H]   out: gradient with respect to the pre-activations
 *   db    [H]           out: their sum over rows added (the bias gradient)
 *   dh    [B x H]       scratch (recurrent gradient)
 *   dy    [T x B x ldy] in: gradient with respect to y (columns [0, H))
 *   y     [T x B x ldy] the forward output
 */
void rnn_backward(float *dpre, float *db, float *dh, const float *dy, const float *y,
                  const rec_whh *w_hh, const int *len, int T, int B, int H, int ldy, int reverse,
                  int relu, const rec_start *st, int naive);

/* lstm_forward
 *   y     [T x B x ldy] out: h_t
 *   gates [T x B x 4H]  in: x W_ih^T; out: activations i f g o
 *   c, tc [T x B x H]   out: cell state and tanh(c)
 *   w_hh  [4H x H], bias [4H] = b_ih + b_hh
 */
void lstm_forward(float *y, float *gates, float *c, float *tc, const rec_whh *w_hh,
                  const float *bias, const int *len, int T, int B, int H, int ldy, int reverse,
                  const rec_start *st, int naive);
/* lstm_backward
 *   dg    [T x B x 4H]  out: gradient with respect to the gate pre-activations
 *   db    [4H]          out: its sum over rows added (the bias gradient)
 *   dh,dc [B x H]       scratch
 *   dy    [T x B x ldy] in
 */
void lstm_backward(float *dg, float *db, float *dh, float *dc, const float *dy, const float *gates,
                   const float *c, const float *tc, const rec_whh *w_hh, const int *len, int T,
                   int B, int H, int ldy, int reverse, const rec_start *st, int naive);

/* gru_forward
 *   y     [T x B x ldy] out: h_t = (1 - z) n + z h_prev
 *   gates [T x B x 3H]  in: x W_ih^T; out: r z n
 *   hn    [T x B x H]   out: W_hn h_prev + b_hn (what r multiplies)
 *   gh    [B x 3H]      scratch
 *   w_hh  [3H x H], bias [3H] = b_ih + (b_hr, b_hz, 0), b_hn [H]
 */
void gru_forward(float *y, float *gates, float *hn, float *gh, const rec_whh *w_hh,
                 const float *bias, const float *b_hn, const int *len, int T, int B, int H, int ldy,
                 int reverse, const rec_start *st, int naive);
/* gru_backward
 *   dgx   [T x B x 3H]  out: gradient with respect to x W_ih^T + b_ih
 *   dgh   [T x B x 3H]  out: gradient with respect to h_prev W_hh^T + b_hh
 *   dbx, dbh [3H]       out: their sums over rows added (bias gradients)
 *   dh    [B x H]       scratch
 */
void gru_backward(float *dgx, float *dgh, float *dbx, float *dbh, float *dh, const float *dy,
                  const float *y, const float *gates, const float *hn, const rec_whh *w_hh,
                  const int *len, int T, int B, int H, int ldy, int reverse, const rec_start *st,
                  int naive);

/* ---- Pooling over the last layer's output (models/attention.c) ---- */

/* pool_forward
 *   out   [B x P]       pooled vector per document (zero when len[b] == 0);
 *                       P = rec_pool_width(pool, D): D, or for CONCAT 3 D,
 *                       a row [last | max | mean]
 *   arg   [B x D]       MAX, CONCAT: the step of each maximum (saved for backward)
 *   u     [T x B x A]   ATTENTION: tanh(W y + b) (saved)
 *   alpha [T x B]       ATTENTION: the weights (saved; zero at padding)
 *   y     [T x B x D]   with D = dirs * H; LAST takes the forward direction's
 *                       h at len - 1 and the reverse direction's h at 0
 *   w     the attention matrix [A x D], packed as W^T (pool_backward: as W);
 *   bias [A], v [A]: the other attention parameters (else unused)
 */
void pool_forward(float *out, int *arg, float *u, float *alpha, const float *y, const nk_pack *w,
                  const float *bias, const float *v, const int *len, int T, int B, int D, int H,
                  int A, int pool, int naive);
/* pool_backward
 *   dy    [T x B x D]   out: gradient with respect to y (overwritten; zero at padding)
 *   dw, dbias, dv       out: gradients added (ATTENTION)
 *   du    [T x B x A]   scratch (ATTENTION)
 *   dout  [B x P]       in (CONCAT: the parts' gradients added into dy in the
 *                       order last, max, mean)
 */
void pool_backward(float *dy, float *dw, float *dbias, float *dv, float *du, const float *dout,
                   const int *arg, const float *u, const float *alpha, const float *y,
                   const nk_pack *w, const float *v, const int *len, int T, int B, int D, int H,
                   int A, int pool, int naive);

#endif /* NLP_MODELS_CELLS_H */
