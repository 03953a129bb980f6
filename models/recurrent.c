/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/recurrent.c - a stacked, optionally bidirectional recurrent encoder
 * with pooling: what the rnn, lstm and gru stage classes run (models/encoder_stage.c).
 *
 * Per layer and direction: the input projection of all T*B rows is one
 * product (into the gates buffer; the cell adds the biases), the recurrence
 * is one product per step over the batch (in the cell kernels), and in
 * backward the input gradient is one product and the weight gradients one
 * each over all steps.  Products that make outputs or input gradients
 * are nk_gemm_rows (models/gemm.h: a row never depends on another row, on
 * the CPU's OpenBLAS kernel or on the thread count); the weights are packed
 * for it once per call.  The weight gradients are nk_gemm_tn, on the same
 * kernels: they do not depend on OpenBLAS's kernel either.
 * Workspaces grow when T*B or B grow and are reused otherwise: no allocation
 * per step, none per call once the largest batch has been seen.
 *
 * The batch as the kernels see it: documents sorted by length, longest
 * first (so the real rows of every step are a prefix and the recurrent product
 * of a step covers only those: padding costs nothing in the recurrence),
 * steps beyond the longest document dropped, and truncated (below).  When
 * the batch needs any of that, its rows are gathered into a compact window
 * (a copy of T*B*In floats, small next to the recurrence) and backward
 * scatters the input gradient back (zero for padding and dropped steps); the
 * pooled output is unpermuted.  Each row's arithmetic does not depend on the
 * other rows, so outputs and input gradients are bit-identical whatever the
 * batch and however it is split over threads (tests/models/t_encoders.c).
 *
 * Truncation (max_tokens, truncate) happens here, on the batch: a document
 * longer than max_tokens keeps its first (head), last (tail), or first
 * ceil(M/2) and last floor(M/2) (head+tail) steps.  The embedding before us
 * still looks up every token (a cheap row copy each); in exchange, the option
 * lives with the stage that has the sequence cost and needs nothing from
 * other stages.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "recurrent.h"

enum { W_IH, W_HH, B_IH, B_HH };

struct rec_net {
	rec_config c;
	int G, H, dirs, Hout, Po, A, L; /* Po: the pooled output's width */
	size_t count;
	float *w, *g;
	size_t *off; /* [L * dirs * 4]: w_ih, w_hh, b_ih, b_hh */
	size_t off_att;
	nlp_param_block *blocks;
	char (*names)[32];
	int n_blocks;
	float *bsum;  /* [G*H] combined bias (forward); bias gradient (backward) */
	float *bsum2; /* [G*H] GRU: b_hh gradient (backward) */

	/* Workspaces, grown by ensure(). */
	size_t cap_tb, cap_b, cap_tin;
	float **gates; /* [L*dirs][TB*GH] */
	float **cs;    /* LSTM: [L*dirs][TB*H] cell states */
	float **tcs;   /* LSTM: tanh of them */
	float **hn;    /* GRU: [L*dirs][TB*H] */
	float **y;     /* [L][TB*Hout] */
	float **mask;  /* [L][TB*Hout], l > 0, dropout */
	float **xd;    /* [L][TB*Hout], dropped input of layer l > 0 */
	float *gh;     /* GRU: [B*GH] */
	float *dg, *dgh;
	float *dh, *dc;
	float *dya, *dyb; /* [TB*max(Hout, in)] */
	float *out;
	int *arg;
	float *u, *alpha, *du;
	float *xs;           /* truncated input window [TB*in] */
	float *dx;           /* gradient with respect to the caller's x [Tin*B*in] */
	int *lens;           /* [B] window lengths, non-increasing */
	int *src;            /* [TB] source row (t * B + b) of each window row, -1: none */
	int *perm;           /* [B] window document i is the batch's document perm[i] */
	float *outs, *douts; /* [B*Po] pooled output / its gradient, window order */
	float *seq;          /* pooling none, gathered window: the output [Tin*B*Hout] */
	nk_pack pk_x, pk_h;  /* the layer's W_ih and W_hh (or the attention W), packed */
	nk_tn_ws tn;         /* the weight gradients' workspace (nk_gemm_tn) */

	/* Batch shards run by worker threads (threads > 1): shard k holds the
	 * documents k, k + S, ... of the batch sorted by length. */
	rec_net **shard;
	int n_shards; /* allocated */
	int used;     /* shards used by the last forward; 0: not sharded */
	int *rows;    /* [B] batch document of each shard row, shard by shard */
	int *slen;    /* [B] their lengths */
	int shared_w; /* a shard: w belongs to the parent */
	float *xin;   /* a shard: its input rows [T x Bk x in] */
	float *dxin;  /* a shard: its output gradient rows [Bk x Po] */
	int *sperm;   /* [B] the batch sorted by length, longest first */
	float *sout;  /* [B x Po] output of a sharded forward */
	float *sdx;   /* [T x B x in] input gradient of a sharded backward */
	size_t cap_xin, cap_dxin, cap_rows, cap_slen, cap_sperm, cap_sout, cap_sdx;
	nlp_rng rng; /* a shard: its dropout stream */

	/* Streams (language models, one direction): the state each stream
	 * ended with (by batch column), and the last forward's start. */
	float **st_h, **st_c; /* [L][st_B x H] final h, and c (LSTM) */
	int st_B;             /* streams saved; 0: none */
	float **h0w, **c0w;   /* [L][B x H] start of the last forward (window order) */
	uint8_t *rsw;         /* [T x B] its restarts (window order) */
	float *hs;            /* [B x H] scratch of the cells */
	float *hprev;         /* [T x B x H] backward: the h each step started from */
	size_t cap_sb, cap_stb;
	int carried, restarted; /* the last forward used h0w / rsw */
	int st_S;               /* shards whose states hold the streams (0: none) */
	uint8_t *srs;           /* a shard: its restarts [T x Bk] */
	size_t cap_srs;

	/* Inference by lookup (rec_forward_lookup): layer 0's input
	 * projection of each word by direction, [lk_V x GH], a row made the
	 * first time its word is seen. */
	float *lk[2];           /* owned; a shard's are its parent's (borrowed) */
	unsigned char *lk_done; /* [lk_V] the word's rows exist */
	int32_t *lk_new;        /* [lk_V] words whose rows this batch makes */
	float *lk_x, *lk_y;     /* their table rows [m x in], projections [m x GH] */
	size_t cap_lkx, cap_lky, cap_sids;
	const float *lk_src; /* the table the rows came from (borrowed) */
	int lk_V;
	const int32_t *lk_ids; /* during a lookup forward: its ids [Tin x B] */
	const float **lk_rows; /* [TB] the kept row of each window row (NULL: padding) */
	int32_t *sids;         /* a shard: its ids [Tk x Bk] */

	/* precision = int8 (rec_set_int8): the weights quantized, by layer
	 * and direction W_hh then W_ih (layers > 0 only), made by the first
	 * forward that needs them. */
	int int8;     /* the next forwards run the int8 products */
	nk_pack8 *q8; /* [L * dirs * 2], or NULL; a shard's are its parent's (borrowed) */
	nk_rows8 ws8; /* the quantized rows of the int8 products */

	/* precision = bf16 (rec_set_bf16): the products' weights packed as
	 * bf16 pairs (made by each call, as pk_x and pk_h), and their rows. */
	int bf16;
	nk_pack16 p16_x, p16_h;
	nk_rows16 ws16;

	/* The last forward. */
	const float *x0; /* layer 0 input (x or xs) */
	int T, Tin, B, gathered, permuted, trained, dropped;
};

static size_t maxz(size_t a, size_t b)
{
	return a > b ? a : b;
}

const rec_config *rec_get_config(const rec_net *n)
{
	return &n->c;
}

int rec_out_dim(const rec_net *n)
{
	return n->Po; /* Hout with pooling none */
}

void rec_set_naive(rec_net *n, int naive)
{
	n->c.naive = naive;
	for (int k = 0; k < n->n_shards; k++)
		n->shard[k]->c.naive = naive;
	rec_lookup_forget(n); /* made by the other kernels */
}

static int layer_in(const rec_net *n, int l)
{
	return l == 0 ? n->c.in : n->Hout;
}

static float *P(rec_net *n, int l, int d, int k)
{
	return n->w + n->off[((size_t)l * n->dirs + d) * 4 + k];
}

static float *DP(rec_net *n, int l, int d, int k)
{
	return n->g + n->off[((size_t)l * n->dirs + d) * 4 + k];
}

/* Free the quantized weights (not a shard's: borrowed). */
static void q8_free(rec_net *n)
{
	if (n->q8 && !n->shared_w) {
		for (int i = 0; i < n->L * n->dirs * 2; i++)
			nk_pack8_free(&n->q8[i]);
		free(n->q8);
	}
	n->q8 = NULL;
}

void rec_set_int8(rec_net *n, int on)
{
	if (!on)
		q8_free(n);
	n->int8 = on != 0;
	for (int k = 0; k < n->n_shards; k++) {
		n->shard[k]->int8 = n->int8;
		n->shard[k]->q8 = n->q8;
	}
}

const char *rec_int8_kernel(void)
{
	return nk_int8_isa();
}

int rec_bf16_available(void)
{
	return nk_bf16_available();
}

int rec_set_bf16(rec_net *n, int on)
{
	on = on && nk_bf16_available();
	if (on != n->bf16)
		rec_lookup_forget(n);
	n->bf16 = on;
	for (int k = 0; k < n->n_shards; k++)
		n->shard[k]->bf16 = on;
	return on;
}

/* The quantized weights of rec_set_int8, when they are not made yet. */
static int int8_make(rec_net *n, nlp_err *err)
{
	const int H = n->H, GH = n->G * H, Ho = n->Hout, nld = n->L * n->dirs;
	if (!n->int8 || n->q8)
		return NLP_OK;
	int bad = !(n->q8 = calloc((size_t)nld * 2, sizeof *n->q8));
	for (int l = 0; l < n->L && !bad; l++)
		for (int d = 0; d < n->dirs && !bad; d++) {
			nk_pack8 *q = n->q8 + ((size_t)l * n->dirs + d) * 2;
			bad = nk_pack8_b(&q[0], 1, H, GH, P(n, l, d, W_HH), H) ||
			      (l > 0 && nk_pack8_b(&q[1], 1, Ho, GH, P(n, l, d, W_IH), Ho));
		}
	if (bad) {
		rec_set_int8(n, 0);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for the int8 weights");
	}
	rec_set_int8(n, 1); /* the shards borrow them */
	return NLP_OK;
}

static void add_block(rec_net *n, const char *name, size_t off, int rows, int cols, int decay)
{
	nlp_param_block *bl = &n->blocks[n->n_blocks];
	snprintf(n->names[n->n_blocks], sizeof n->names[0], "%s", name);
	bl->name = n->names[n->n_blocks];
	bl->offset = off;
	bl->count = (size_t)rows * cols;
	bl->decay = decay;
	bl->rows = rows;
	bl->cols = cols;
	bl->touched = NULL;
	bl->n_touched = 0;
	n->n_blocks++;
}

int rec_new(rec_net **out, const rec_config *c, nlp_err *err)
{
	int rc = NLP_OK;
	rec_net *n = calloc(1, sizeof *n);
	if (!n)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	n->c = *c;
	if (c->in < 1 || c->hidden < 1 || c->layers < 1) {
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "input width %d, hidden %d, layers %d: all must be "
		                 ">= 1",
		                 c->in, c->hidden, c->layers);
		goto out;
	}
	n->G = c->cell == REC_LSTM ? 4 : c->cell == REC_GRU ? 3 : 1;
	n->H = c->hidden;
	n->dirs = c->bidirectional ? 2 : 1;
	n->Hout = n->H * n->dirs;
	n->Po = rec_pool_width(c->pool, n->Hout);
	n->L = c->layers;
	n->A = c->pool == REC_POOL_ATTENTION ? (c->att_dim > 0 ? c->att_dim : n->Hout) : 0;
	const int GH = n->G * n->H, nld = n->L * n->dirs;

	n->off = calloc((size_t)nld * 4, sizeof *n->off);
	n->blocks = calloc((size_t)nld * 4 + 3, sizeof *n->blocks);
	n->names = calloc((size_t)nld * 4 + 3, sizeof *n->names);
	n->bsum = calloc((size_t)GH, sizeof *n->bsum);
	n->bsum2 = calloc((size_t)GH, sizeof *n->bsum2);
	n->gates = calloc((size_t)nld, sizeof *n->gates);
	n->cs = calloc((size_t)nld, sizeof *n->cs);
	n->tcs = calloc((size_t)nld, sizeof *n->tcs);
	n->hn = calloc((size_t)nld, sizeof *n->hn);
	n->y = calloc((size_t)n->L, sizeof *n->y);
	n->mask = calloc((size_t)n->L, sizeof *n->mask);
	n->xd = calloc((size_t)n->L, sizeof *n->xd);
	n->st_h = calloc((size_t)n->L, sizeof *n->st_h);
	n->st_c = calloc((size_t)n->L, sizeof *n->st_c);
	n->h0w = calloc((size_t)n->L, sizeof *n->h0w);
	n->c0w = calloc((size_t)n->L, sizeof *n->c0w);
	if (!n->off || !n->blocks || !n->names || !n->bsum || !n->bsum2 || !n->gates || !n->cs ||
	    !n->tcs || !n->hn || !n->y || !n->mask || !n->xd || !n->st_h || !n->st_c || !n->h0w ||
	    !n->c0w) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	size_t off = 0;
	for (int l = 0; l < n->L; l++) {
		const int in = layer_in(n, l);
		for (int d = 0; d < n->dirs; d++) {
			size_t *o = &n->off[((size_t)l * n->dirs + d) * 4];
			char nm[32];
			const char *sfx = d ? "_reverse" : "";
			o[W_IH] = off;
			snprintf(nm, sizeof nm, "w_ih_l%d%s", l, sfx);
			add_block(n, nm, off, GH, in, 1);
			off += (size_t)GH * in;
			o[W_HH] = off;
			snprintf(nm, sizeof nm, "w_hh_l%d%s", l, sfx);
			add_block(n, nm, off, GH, n->H, 1);
			off += (size_t)GH * n->H;
			o[B_IH] = off;
			snprintf(nm, sizeof nm, "b_ih_l%d%s", l, sfx);
			add_block(n, nm, off, 1, GH, 0);
			off += (size_t)GH;
			o[B_HH] = off;
			snprintf(nm, sizeof nm, "b_hh_l%d%s", l, sfx);
			add_block(n, nm, off, 1, GH, 0);
			off += (size_t)GH;
		}
	}
	n->off_att = off;
	if (n->A > 0) {
		add_block(n, "att_w", off, n->A, n->Hout, 1);
		off += (size_t)n->A * n->Hout;
		add_block(n, "att_b", off, 1, n->A, 0);
		off += (size_t)n->A;
		add_block(n, "att_v", off, 1, n->A, 1);
		off += (size_t)n->A;
	}
	n->count = off;
	n->w = calloc(off, sizeof *n->w);
	n->g = nlp_zeros(off);
	if (!n->w || !n->g) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory for %zu parameters", off);
		goto out;
	}
out:
	if (rc != NLP_OK) {
		rec_free(n);
		n = NULL;
	}
	*out = n;
	return rc;
}

/* Free a[0..count) and a. */
static void free_each(float **a, int count)
{
	if (!a)
		return;
	for (int i = 0; i < count; i++)
		free(a[i]);
	free(a);
}

void rec_free(rec_net *n)
{
	if (!n)
		return;
	const int nld = n->L * n->dirs;
	for (int i = 0; i < nld; i++) {
		if (n->gates)
			free(n->gates[i]);
		if (n->cs)
			free(n->cs[i]);
		if (n->tcs)
			free(n->tcs[i]);
		if (n->hn)
			free(n->hn[i]);
	}
	for (int l = 0; l < n->L; l++) {
		if (n->y)
			free(n->y[l]);
		if (n->mask)
			free(n->mask[l]);
		if (n->xd)
			free(n->xd[l]);
	}
	free_each(n->st_h, n->L);
	free_each(n->st_c, n->L);
	free_each(n->h0w, n->L);
	free_each(n->c0w, n->L);
	free(n->rsw);
	free(n->srs);
	free(n->hs);
	free(n->hprev);
	free(n->gates);
	free(n->cs);
	free(n->tcs);
	free(n->hn);
	free(n->y);
	free(n->mask);
	free(n->xd);
	free(n->gh);
	free(n->dg);
	free(n->dgh);
	free(n->dh);
	free(n->dc);
	free(n->dya);
	free(n->dyb);
	free(n->out);
	free(n->arg);
	free(n->u);
	free(n->alpha);
	free(n->du);
	free(n->xs);
	free(n->dx);
	free(n->lens);
	free(n->src);
	free(n->lk_rows);
	free(n->perm);
	free(n->outs);
	free(n->douts);
	free(n->seq);
	nk_pack_free(&n->pk_x);
	nk_pack_free(&n->pk_h);
	nk_pack16_free(&n->p16_x);
	nk_pack16_free(&n->p16_h);
	nk_rows16_free(&n->ws16);
	nk_tn_ws_free(&n->tn);
	free(n->off);
	free(n->blocks);
	free(n->names);
	free(n->bsum);
	free(n->bsum2);
	for (int k = 0; k < n->n_shards; k++)
		rec_free(n->shard[k]);
	free(n->shard);
	free(n->rows);
	free(n->slen);
	free(n->sperm);
	free(n->sout);
	free(n->sdx);
	free(n->xin);
	free(n->dxin);
	if (!n->shared_w)
		rec_lookup_forget(n);
	q8_free(n);
	nk_rows8_free(&n->ws8);
	free(n->sids);
	if (!n->shared_w)
		free(n->w);
	free(n->g);
	free(n);
}

void rec_params(rec_net *n, nlp_params *p)
{
	p->w = n->w;
	p->g = n->g;
	p->count = n->count;
	p->blocks = n->blocks;
	p->n_blocks = n->n_blocks;
}

static void uniform_fill(float *w, size_t count, float k, nlp_rng *rng)
{
	for (size_t i = 0; i < count; i++)
		w[i] = (2.0f * nlp_rng_uniform(rng) - 1.0f) * k;
}

void rec_init_params(rec_net *n, nlp_rng *rng)
{
	const float k = 1.0f / sqrtf((float)n->H);
	uniform_fill(n->w, n->off_att, k, rng);
	if (n->c.cell == REC_LSTM && n->c.forget_bias != 0.0f) {
		for (int l = 0; l < n->L; l++)
			for (int d = 0; d < n->dirs; d++) {
				float *b = P(n, l, d, B_IH) + n->H;
				for (int j = 0; j < n->H; j++)
					b[j] += n->c.forget_bias;
			}
	}
	if (n->A > 0) {
		float *w = n->w + n->off_att;
		const float kw = 1.0f / sqrtf((float)n->Hout);
		uniform_fill(w, (size_t)n->A * n->Hout + n->A, kw, rng);
		uniform_fill(w + (size_t)n->A * n->Hout + n->A, (size_t)n->A,
		             1.0f / sqrtf((float)n->A), rng);
	}
}

static int regrow(void *pp, size_t count, size_t elem)
{
	void **p = pp;
	void *q = realloc(*p, maxz(count, 1) * elem);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

/* Make the workspaces fit T window steps, B documents, Tin input steps. */
static int ensure(rec_net *n, int T, int B, int Tin, nlp_err *err)
{
	size_t tb = (size_t)T * B, tin = (size_t)Tin * B;
	if (tb <= n->cap_tb && (size_t)B <= n->cap_b && tin <= n->cap_tin && n->out)
		return NLP_OK;
	tb = maxz(tb, n->cap_tb);
	size_t b = maxz((size_t)B, n->cap_b);
	tin = maxz(tin, n->cap_tin);
	const size_t H = n->H, GH = (size_t)n->G * H, Ho = n->Hout, in = n->c.in, A = n->A;
	const int nld = n->L * n->dirs, lstm = n->c.cell == REC_LSTM, gru = n->c.cell == REC_GRU;
	int bad = 0;
	for (int i = 0; i < nld; i++) {
		bad |= regrow(&n->gates[i], tb * GH, sizeof(float));
		if (lstm) {
			bad |= regrow(&n->cs[i], tb * H, sizeof(float));
			bad |= regrow(&n->tcs[i], tb * H, sizeof(float));
		}
		if (gru)
			bad |= regrow(&n->hn[i], tb * H, sizeof(float));
	}
	for (int l = 0; l < n->L; l++) {
		bad |= regrow(&n->y[l], tb * Ho, sizeof(float));
		if (l > 0 && n->c.dropout > 0.0f) {
			bad |= regrow(&n->mask[l], tb * Ho, sizeof(float));
			bad |= regrow(&n->xd[l], tb * Ho, sizeof(float));
		}
	}
	if (gru) {
		bad |= regrow(&n->gh, b * GH, sizeof(float));
		bad |= regrow(&n->dgh, tb * GH, sizeof(float));
	}
	bad |= regrow(&n->dg, tb * GH, sizeof(float));
	bad |= regrow(&n->dh, b * H, sizeof(float));
	bad |= regrow(&n->dc, b * H, sizeof(float));
	bad |= regrow(&n->dya, tb * maxz(Ho, in), sizeof(float));
	bad |= regrow(&n->dyb, tb * maxz(Ho, in), sizeof(float));
	bad |= regrow(&n->out, b * n->Po, sizeof(float));
	bad |= regrow(&n->arg, b * Ho, sizeof(int));
	if (A > 0) {
		bad |= regrow(&n->u, tb * A, sizeof(float));
		bad |= regrow(&n->du, tb * A, sizeof(float));
		bad |= regrow(&n->alpha, tb, sizeof(float));
	}
	bad |= regrow(&n->xs, tb * in, sizeof(float));
	bad |= regrow(&n->src, tb, sizeof(int));
	bad |= regrow(&n->lk_rows, tb, sizeof(*n->lk_rows));
	bad |= regrow(&n->perm, b, sizeof(int));
	bad |= regrow(&n->outs, b * n->Po, sizeof(float));
	bad |= regrow(&n->douts, b * n->Po, sizeof(float));
	bad |= regrow(&n->dx, tin * in, sizeof(float));
	if (n->c.pool == REC_POOL_NONE)
		bad |= regrow(&n->seq, tin * Ho, sizeof(float));
	bad |= regrow(&n->lens, b, sizeof(int));
	if (bad)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for a batch of %d x %d steps", B,
		                   T);
	n->cap_tb = tb;
	n->cap_b = b;
	n->cap_tin = tin;
	return NLP_OK;
}

/* Window length of a document of length L. */
static int window_len(const rec_net *n, int L)
{
	return n->c.max_tokens > 0 && L > n->c.max_tokens ? n->c.max_tokens : L;
}

/* Order the documents longest first (stable), set the window lengths, and
 * say whether the window differs from the batch as given. */
static int plan_window(rec_net *n, int T, int B, const int *len, int *Tw)
{
	int *p = n->perm, moved = 0, longest = 0;
	for (int b = 0; b < B; b++) {
		/* insertion sort: B is small and batches are often nearly sorted */
		const int k = window_len(n, len[b]);
		int i = b;
		while (i > 0 && window_len(n, len[p[i - 1]]) < k) {
			p[i] = p[i - 1];
			i--;
		}
		p[i] = b;
		moved |= i != b;
	}
	for (int b = 0; b < B; b++) {
		n->lens[b] = window_len(n, len[p[b]]);
		longest = n->lens[b] > longest ? n->lens[b] : longest;
		moved |= n->lens[b] != len[p[b]];
	}
	n->permuted = 0;
	for (int b = 0; b < B; b++)
		n->permuted |= p[b] != b;
	*Tw = longest;
	return moved || longest < T;
}

/* Fill src and gather x into the window xs [Tw x B x in]. */
static void gather(rec_net *n, const float *x, int B, const int *len, int Tw)
{
	const int M = n->c.max_tokens, in = n->c.in;
	for (int t = 0; t < Tw; t++)
		for (int b = 0; b < B; b++) {
			const int ob = n->perm[b], L = len[ob];
			int s = -1;
			if (t < n->lens[b]) {
				s = t;
				if (n->lens[b] < L) { /* truncated */
					if (n->c.truncate == REC_TRUNC_TAIL)
						s = L - M + t;
					else if (n->c.truncate == REC_TRUNC_HEAD_TAIL)
						s = t < (M + 1) / 2 ? t : L - M + t;
				}
				s = s * B + ob;
			}
			n->src[(size_t)t * B + b] = s;
			if (!x)
				continue; /* lookup: only the sources */
			float *d = n->xs + ((size_t)t * B + b) * in;
			if (s >= 0)
				memcpy(d, x + (size_t)s * in, (size_t)in * sizeof *d);
			else
				memset(d, 0, (size_t)in * sizeof *d);
		}
}

/* The layer input of layer l in the last forward. */
static const float *layer_x(const rec_net *n, int l)
{
	if (l == 0)
		return n->x0;
	return n->dropped ? n->xd[l] : n->y[l - 1];
}

/* Pooling none: the last layer's output as the caller's batch has it,
 * [Tin x B x Hout], zero past each length (and at steps truncation dropped). */
static const float *seq_out(rec_net *n)
{
	const int Ho = n->Hout;
	const float *Y = n->y[n->L - 1];
	if (!n->gathered)
		return Y;
	memset(n->seq, 0, (size_t)n->Tin * n->B * Ho * sizeof(float));
	for (size_t i = 0; i < (size_t)n->T * n->B; i++)
		if (n->src[i] >= 0)
			memcpy(n->seq + (size_t)n->src[i] * Ho, Y + i * Ho,
			       (size_t)Ho * sizeof(float));
	return n->seq;
}

/* Pooling none: dY [T x B x Hout] (window order) from dout [Tin x B x Hout]. */
static void seq_grad_in(rec_net *n, float *dY, const float *dout)
{
	const int Ho = n->Hout;
	const size_t TB = (size_t)n->T * n->B;
	if (!n->gathered) {
		memcpy(dY, dout, TB * Ho * sizeof(float));
		return;
	}
	for (size_t i = 0; i < TB; i++) {
		if (n->src[i] >= 0)
			memcpy(dY + i * Ho, dout + (size_t)n->src[i] * Ho,
			       (size_t)Ho * sizeof(float));
		else
			memset(dY + i * Ho, 0, (size_t)Ho * sizeof(float));
	}
}

/* Lookup forward: [Tw x B] the kept input projection row of each window
 * row's word (direction d), NULL at padding: what the product of the rows
 * of x gives, read by the cells where they add it (rec_whh's xrows), not
 * copied into the gates. */
static const float *const *lookup_rows(rec_net *n, int d)
{
	const size_t GH = (size_t)n->G * n->H, TB = (size_t)n->T * n->B;
	for (size_t i = 0; i < TB; i++) {
		long s = (long)i;
		if (n->gathered)
			s = n->src[i];
		else if ((int)(i / (size_t)n->B) >= n->lens[i % (size_t)n->B])
			s = -1;
		n->lk_rows[i] = s >= 0 ? n->lk[d] + (size_t)n->lk_ids[s] * GH : NULL;
	}
	return n->lk_rows;
}

/* One direction d of layer l over the window: the input product, then the
 * cell (st: the start of the forward direction, or NULL). */
static int fwd_dir(rec_net *n, int l, int d, const rec_start *st, nlp_err *err)
{
	const int H = n->H, GH = n->G * H, Ho = n->Hout, naive = n->c.naive, in = layer_in(n, l);
	const int Tw = n->T, B = n->B, *lens = n->lens;
	float *G = n->gates[l * n->dirs + d];
	const float *bih = P(n, l, d, B_IH), *bhh = P(n, l, d, B_HH), *X = layer_x(n, l);
	for (int j = 0; j < GH; j++)
		n->bsum[j] = bih[j] + bhh[j];
	if (n->c.cell == REC_GRU) /* b_hn goes inside r * (...) */
		memcpy(n->bsum + 2 * H, bih + 2 * H, (size_t)H * sizeof(float));
	const int lookup = l == 0 && n->lk_ids;
	/* int8: W_hh, and W_ih above layer 0, quantized (rec_set_int8) */
	const nk_pack8 *q = n->int8 ? n->q8 + ((size_t)l * n->dirs + d) * 2 : NULL;
	const int qx = q && l > 0, h16 = !q && n->bf16;
	/* X W_ih^T, the recurrence's h W_hh^T: packed transposed */
	if ((!lookup && !qx && !h16 &&
	     nk_pack_b(&n->pk_x, naive, 1, in, GH, P(n, l, d, W_IH), in)) ||
	    (!q && !h16 && nk_pack_b(&n->pk_h, naive, 1, H, GH, P(n, l, d, W_HH), H)) ||
	    (q && nk_rows8_reserve(&n->ws8, qx ? Tw * B : B, qx ? in : H)) ||
	    (h16 && !lookup && nk_pack16_b(&n->p16_x, 1, in, GH, P(n, l, d, W_IH), in)) ||
	    (h16 &&
	     (nk_pack16_b(&n->p16_h, 1, H, GH, P(n, l, d, W_HH), H) ||
	      nk_rows16_reserve(&n->ws16, lookup ? B : Tw * B, lookup ? H : (in > H ? in : H)))))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	/* the biases are added by the cell's activation loop; the lookup's
	 * rows by the cell too (xrows) */
	const float *const *xrows = lookup ? lookup_rows(n, d) : NULL;
	if (!lookup && qx) /* cannot fail: ws8 holds the rows (reserved above) */
		(void)nk_gemm8_rows(naive, Tw * B, X, in, &q[1], 0.0f, G, GH, &n->ws8);
	else if (!lookup && h16) /* cannot fail: likewise ws16 */
		(void)nk_gemm16_rows(Tw * B, X, in, &n->p16_x, 0.0f, G, GH, &n->ws16);
	else if (!lookup)
		nk_gemm_rows(naive, Tw * B, X, in, &n->pk_x, 0.0f, G, GH);
	float *Y = n->y[l] + (size_t)d * H;
	const rec_whh wh = {&n->pk_h, q, &n->ws8, xrows, h16 ? &n->p16_h : NULL, &n->ws16},
	              *whh = &wh;
	switch (n->c.cell) {
	case REC_LSTM:
		lstm_forward(Y, G, n->cs[l * n->dirs + d], n->tcs[l * n->dirs + d], whh, n->bsum,
		             lens, Tw, B, H, Ho, d, st, naive);
		break;
	case REC_GRU:
		gru_forward(Y, G, n->hn[l * n->dirs + d], n->gh, whh, n->bsum, bhh + 2 * H, lens,
		            Tw, B, H, Ho, d, st, naive);
		break;
	default:
		rnn_forward(Y, G, whh, n->bsum, lens, Tw, B, H, Ho, d, n->c.cell == REC_RNN_RELU,
		            st, naive);
		break;
	}
	return NLP_OK;
}

/* The pooled output [B x Po] of the last forward, in the batch's order. */
static int fwd_pool(rec_net *n, nlp_err *err)
{
	const int Ho = n->Hout, Po = n->Po, B = n->B, naive = n->c.naive;
	const float *wa = n->w + n->off_att;
	float *po = n->permuted ? n->outs : n->out;
	if (n->c.pool == REC_POOL_ATTENTION && nk_pack_b(&n->pk_x, naive, 1, Ho, n->A, wa, Ho))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	pool_forward(po, n->arg, n->u, n->alpha, n->y[n->L - 1], &n->pk_x, wa + (size_t)n->A * Ho,
	             wa + (size_t)n->A * Ho + n->A, n->lens, n->T, B, Ho, n->H, n->A, n->c.pool,
	             naive);
	if (n->permuted)
		for (int b = 0; b < B; b++)
			memcpy(n->out + (size_t)n->perm[b] * Po, po + (size_t)b * Po,
			       (size_t)Po * sizeof(float));
	return NLP_OK;
}

/* ---- Streams (language models): carried state and restarts ---- */

/* Make the stream workspaces fit B streams and, when the forward has a
 * start (carry or reset), T window steps. */
static int ensure_stream(rec_net *n, int T, int B, int start, nlp_err *err)
{
	const size_t H = n->H, tb = (size_t)T * B;
	const int lstm = n->c.cell == REC_LSTM;
	int bad = 0;
	if ((size_t)B > n->cap_sb) {
		for (int l = 0; l < n->L; l++) {
			bad |= regrow(&n->h0w[l], (size_t)B * H, sizeof(float));
			if (lstm)
				bad |= regrow(&n->c0w[l], (size_t)B * H, sizeof(float));
		}
		bad |= regrow(&n->hs, (size_t)B * H, sizeof(float));
		if (!bad)
			n->cap_sb = (size_t)B;
	}
	if (!bad && start && tb > n->cap_stb) {
		bad |= regrow(&n->rsw, tb, sizeof(uint8_t));
		bad |= regrow(&n->hprev, tb * H, sizeof(float));
		if (!bad)
			n->cap_stb = tb;
	}
	if (bad)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for the state of %d streams", B);
	return NLP_OK;
}

/* Set up the last forward's start (window order): the saved state of each
 * stream when carry is set and the batch has as many streams as were saved
 * (else zeros), and the restarts of reset [Tin x B] (or NULL). */
static void stream_start(rec_net *n, int carry, const uint8_t *reset)
{
	const size_t H = n->H, TB = (size_t)n->T * n->B;
	n->carried = carry && n->st_B == n->B;
	n->restarted = reset != NULL;
	if (n->carried)
		for (int l = 0; l < n->L; l++)
			for (int i = 0; i < n->B; i++) {
				const size_t b = (size_t)n->perm[i];
				memcpy(n->h0w[l] + i * H, n->st_h[l] + b * H, H * sizeof(float));
				if (n->c.cell == REC_LSTM)
					memcpy(n->c0w[l] + i * H, n->st_c[l] + b * H,
					       H * sizeof(float));
			}
	if (reset)
		for (size_t i = 0; i < TB; i++) {
			const int s = n->gathered ? n->src[i] : (int)i;
			n->rsw[i] = s >= 0 && reset[s];
		}
}

/* The start of layer l's forward direction in the last forward, or NULL
 * (zeros, no restarts: the encoder as for documents). */
static const rec_start *stream_of(rec_net *n, int l, rec_start *st)
{
	if (!n->carried && !n->restarted)
		return NULL;
	st->h0 = n->carried ? n->h0w[l] : NULL;
	st->c0 = n->carried && n->c.cell == REC_LSTM ? n->c0w[l] : NULL;
	st->reset = n->restarted ? n->rsw : NULL;
	st->hs = n->hs;
	return st;
}

/* Keep each stream's final state, by batch column, for the next forward's
 * carry: h (and c) of every layer at the stream's last real step; a stream
 * without steps keeps the state it started from. */
static int save_state(rec_net *n, nlp_err *err)
{
	const size_t H = n->H, B = (size_t)n->B, Ho = n->Hout;
	const int lstm = n->c.cell == REC_LSTM;
	if (n->st_B != n->B) {
		int bad = 0;
		n->st_B = 0;
		for (int l = 0; l < n->L; l++) {
			bad |= regrow(&n->st_h[l], B * H, sizeof(float));
			if (lstm)
				bad |= regrow(&n->st_c[l], B * H, sizeof(float));
		}
		if (bad)
			return nlp_err_set(err, NLP_ENOMEM,
			                   "out of memory for the state of %zu "
			                   "streams",
			                   B);
	}
	for (size_t i = 0; i < B; i++) {
		const size_t b = (size_t)n->perm[i], last = (size_t)n->lens[i] - 1;
		for (int l = 0; l < n->L; l++) {
			float *h = n->st_h[l] + b * H, *c = lstm ? n->st_c[l] + b * H : NULL;
			const float *hf = NULL, *cf = NULL;
			if (n->lens[i] > 0) {
				hf = n->y[l] + (last * B + i) * Ho;
				cf = lstm ? n->cs[l] + (last * B + i) * H : NULL;
			} else if (n->carried) {
				hf = n->h0w[l] + i * H;
				cf = lstm ? n->c0w[l] + i * H : NULL;
			}
			if (hf)
				memcpy(h, hf, H * sizeof(float));
			else
				memset(h, 0, H * sizeof(float));
			if (c && cf)
				memcpy(c, cf, H * sizeof(float));
			else if (c)
				memset(c, 0, H * sizeof(float));
		}
	}
	n->st_B = n->B;
	return NLP_OK;
}

/* A batch of B documents of lengths len within T steps. */
static int check_shape(int T, int B, const int *len, nlp_err *err)
{
	if (B < 1 || T < 0)
		return nlp_err_set(err, NLP_EDATA, "bad batch shape %d x %d", T, B);
	for (int b = 0; b < B; b++)
		if (len[b] < 0 || len[b] > T)
			return nlp_err_set(
			        err, NLP_EDATA,
			        "document %d of the batch has length %d, outside [0, %d]", b,
			        len[b], T);
	return NLP_OK;
}

static int fwd_one(rec_net *n, const float **out, const float *x, int T, int B, const int *len,
                   int carry, const uint8_t *reset, int training, nlp_rng *rng, nlp_err *err)
{
	const int Ho = n->Hout, streams = n->dirs == 1;
	n->trained = 0;
	n->carried = n->restarted = 0;
	int rc = check_shape(T, B, len, err);
	if (rc != NLP_OK)
		return rc;
	if (training && n->c.dropout > 0.0f && n->L > 1 && !rng)
		return nlp_err_set(err, NLP_EINTERNAL, "dropout needs an RNG");
	/* workspaces for the window (max_tokens), not the whole input; the
	 * input gradient (T steps) only when training; the output sequence of
	 * pooling = none (T steps) always */
	int Tw = 0;
	for (int b = 0; b < B; b++)
		Tw = window_len(n, len[b]) > Tw ? window_len(n, len[b]) : Tw;
	rc = ensure(n, Tw, B, training || n->c.pool == REC_POOL_NONE ? T : 0, err);
	if (rc == NLP_OK && streams)
		rc = ensure_stream(n, T, B, carry || reset, err);
	if (rc != NLP_OK)
		return rc;
	const int need = plan_window(n, T, B, len, &Tw);
	if (need)
		gather(n, x, B, len, Tw);
	n->x0 = need ? n->xs : x;
	n->T = Tw;
	n->Tin = T;
	n->B = B;
	n->gathered = need;
	n->dropped = training && n->c.dropout > 0.0f && n->L > 1;
	if (streams)
		stream_start(n, carry, reset);
	const size_t TB = (size_t)Tw * B;

	for (int l = 0; l < n->L; l++) {
		if (l > 0 && n->dropped) {
			const float p = n->c.dropout, keep = 1.0f / (1.0f - p);
			float *m = n->mask[l], *xd = n->xd[l];
			const float *yp = n->y[l - 1];
			for (size_t i = 0; i < TB * Ho; i++) {
				m[i] = nlp_rng_uniform(rng) >= p ? keep : 0.0f;
				xd[i] = yp[i] * m[i];
			}
		}
		rec_start st;
		for (int d = 0; d < n->dirs; d++)
			if ((rc = fwd_dir(n, l, d, d ? NULL : stream_of(n, l, &st), err)))
				return rc;
	}
	if (streams && (rc = save_state(n, err)))
		return rc;
	n->trained = training;
	if (n->c.pool == REC_POOL_NONE) {
		*out = seq_out(n);
		return rc;
	}
	if ((rc = fwd_pool(n, err)))
		return rc;
	*out = n->out;
	return rc;
}

/* The h every step of layer l's forward direction started from, in the
 * last forward with a start st: hprev [T x B x H] (zero rows where it
 * restarted, beyond the lengths, and at step 0 without a carried state). */
static void stream_hprev(rec_net *n, int l, const rec_start *st)
{
	const size_t H = n->H, B = (size_t)n->B, Ho = n->Hout;
	for (int t = 0; t < n->T; t++)
		for (size_t i = 0; i < B; i++) {
			float *d = n->hprev + ((size_t)t * B + i) * H;
			const float *src = NULL;
			if (t < n->lens[i] && !rec_restarts(st, t, (int)B, (int)i))
				src = t > 0    ? n->y[l] + (((size_t)t - 1) * B + i) * Ho
				      : st->h0 ? st->h0 + i * H
				               : NULL;
			if (src)
				memcpy(d, src, H * sizeof(float));
			else
				memset(d, 0, H * sizeof(float));
		}
}

/* Backward of direction d of layer l, given dY (columns [d*H, (d+1)*H)):
 * parameter gradients added; dX (+)= dG W_ih when want_dx (d > 0 adds). */
static int bwd_dir(rec_net *n, int l, int d, const float *dY, float *dX, int want_dx,
                   const rec_start *st, nlp_err *err)
{
	const int H = n->H, GH = n->G * H, Ho = n->Hout, naive = n->c.naive, in = layer_in(n, l);
	const int T = n->T, B = n->B, ld = l * n->dirs + d, *lens = n->lens;
	const size_t TB = (size_t)T * B;
	const float *X = layer_x(n, l), *Y = n->y[l] + (size_t)d * H;
	const int h16 = n->bf16;
	const rec_whh wh = {.f = &n->pk_h, .h = h16 ? &n->p16_h : NULL, .ws16 = &n->ws16},
	              *whh = &wh;
	/* dh W_hh and dG W_ih: packed as they are */
	if ((!h16 && nk_pack_b(&n->pk_h, naive, 0, GH, H, P(n, l, d, W_HH), H)) ||
	    (!h16 && want_dx && nk_pack_b(&n->pk_x, naive, 0, GH, in, P(n, l, d, W_IH), in)) ||
	    (h16 && (nk_pack16_b(&n->p16_h, 0, GH, H, P(n, l, d, W_HH), H) ||
	             nk_rows16_reserve(&n->ws16, want_dx ? (int)TB : B, GH))) ||
	    (h16 && want_dx && nk_pack16_b(&n->p16_x, 0, GH, in, P(n, l, d, W_IH), in)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	float *dgh = n->dg, *dbx = n->bsum, *dbh = n->bsum;
	memset(n->bsum, 0, (size_t)GH * sizeof(float));
	switch (n->c.cell) {
	case REC_LSTM:
		lstm_backward(n->dg, dbx, n->dh, n->dc, dY + (size_t)d * H, n->gates[ld], n->cs[ld],
		              n->tcs[ld], whh, lens, T, B, H, Ho, d, st, naive);
		break;
	case REC_GRU:
		dgh = n->dgh;
		dbh = n->bsum2;
		memset(dbh, 0, (size_t)GH * sizeof(float));
		gru_backward(n->dg, dgh, dbx, dbh, n->dh, dY + (size_t)d * H, Y, n->gates[ld],
		             n->hn[ld], whh, lens, T, B, H, Ho, d, st, naive);
		break;
	default:
		rnn_backward(n->dg, dbx, n->dh, dY + (size_t)d * H, Y, whh, lens, T, B, H, Ho, d,
		             n->c.cell == REC_RNN_RELU, st, naive);
		break;
	}
	/* dW_ih += dG^T X; dW_hh += dGh(t)^T h(t-1) over the steps that have a
	 * previous step (with a start: every step, from hprev); biases;
	 * dX (+)= dG W_ih. */
	int bad =
	        nk_gemm_tn(naive, GH, in, (int)TB, n->dg, GH, X, in, DP(n, l, d, W_IH), in, &n->tn);
	if (st) {
		stream_hprev(n, l, st);
		bad |= nk_gemm_tn(naive, GH, H, (int)TB, dgh, GH, n->hprev, H, DP(n, l, d, W_HH), H,
		                  &n->tn);
	} else if (T > 1) {
		const float *dgs = d ? dgh : dgh + (size_t)B * GH;
		const float *hp = d ? Y + (size_t)B * Ho : Y;
		bad |= nk_gemm_tn(naive, GH, H, (T - 1) * B, dgs, GH, hp, Ho, DP(n, l, d, W_HH), H,
		                  &n->tn);
	}
	if (bad)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for the weight gradients");
	float *gbi = DP(n, l, d, B_IH), *gbh = DP(n, l, d, B_HH);
	for (int j = 0; j < GH; j++) {
		gbi[j] += dbx[j];
		gbh[j] += dbh[j];
	}
	if (want_dx && h16) /* cannot fail: ws16 holds the rows (reserved above) */
		(void)nk_gemm16_rows((int)TB, n->dg, GH, &n->p16_x, d ? 1.0f : 0.0f, dX, in,
		                     &n->ws16);
	else if (want_dx) /* no input gradient wanted: skip its product */
		nk_gemm_rows(naive, (int)TB, n->dg, GH, &n->pk_x, d ? 1.0f : 0.0f, dX, in);
	return NLP_OK;
}

static int bwd_one(rec_net *n, const float **dxo, const float *dout, nlp_err *err)
{
	const int H = n->H, Ho = n->Hout, naive = n->c.naive;
	const int T = n->T, B = n->B;
	const size_t TB = (size_t)T * B;
	int rc;
	if (!n->trained)
		return nlp_err_set(err, NLP_EINTERNAL, "backward without a training forward");
	float *wa = n->w + n->off_att, *ga = n->g + n->off_att;
	float *dY = n->dya, *dX = n->dyb;
	if (n->c.pool == REC_POOL_NONE) {
		seq_grad_in(n, dY, dout);
	} else {
		if (n->permuted) {
			for (int b = 0; b < B; b++)
				memcpy(n->douts + (size_t)b * n->Po,
				       dout + (size_t)n->perm[b] * n->Po,
				       (size_t)n->Po * sizeof(float));
			dout = n->douts;
		}
		if (n->c.pool == REC_POOL_ATTENTION &&
		    nk_pack_b(&n->pk_x, naive, 0, n->A, Ho, wa, Ho))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		pool_backward(dY, ga, ga + (size_t)n->A * Ho, ga + (size_t)n->A * Ho + n->A, n->du,
		              dout, n->arg, n->u, n->alpha, n->y[n->L - 1], &n->pk_x,
		              wa + (size_t)n->A * Ho + n->A, n->lens, T, B, Ho, H, n->A, n->c.pool,
		              naive);
	}
	for (int l = n->L - 1; l >= 0; l--) {
		if (l == 0 && !n->gathered)
			dX = n->dx;
		rec_start st;
		for (int d = 0; d < n->dirs; d++)
			if ((rc = bwd_dir(n, l, d, dY, dX, l > 0 || dxo,
			                  d ? NULL : stream_of(n, l, &st), err)))
				return rc;
		if (l > 0) {
			if (n->dropped) {
				const float *m = n->mask[l];
				for (size_t i = 0; i < TB * Ho; i++)
					dX[i] *= m[i];
			}
			float *tmp = dY;
			dY = dX;
			dX = tmp;
		}
	}
	if (!dxo)
		return NLP_OK;
	if (n->gathered) {
		/* dX holds the window's gradient: scatter it back. */
		const int in = n->c.in;
		memset(n->dx, 0, (size_t)n->Tin * B * in * sizeof(float));
		for (size_t i = 0; i < TB; i++) {
			const int s = n->src[i];
			if (s >= 0)
				memcpy(n->dx + (size_t)s * in, dX + i * in,
				       (size_t)in * sizeof(float));
		}
	}
	*dxo = n->dx;
	return NLP_OK;
}

/* ---- Batch shards on worker threads ---- */

enum { REC_MIN_SHARD_ROWS = 8 };

/* Shard s holds the parent's rows n->rows[r .. r + Bk) (batch documents,
 * lengths n->slen[r ..]); the copies in and out of a shard run in its part,
 * on its thread: each writes only its own rows. */
typedef struct shard_job {
	rec_net *s;
	rec_net *n;  /* the parent (borrowed) */
	int r, B, T; /* first row in n->rows; the batch's documents and steps */
	int Tk, Bk, training, carry;
	const float *x;       /* forward: the batch's input [T x B x in], or NULL */
	const uint8_t *reset; /* forward: the batch's restarts [T x B], or NULL */
	nlp_rng *rng;
	const float **out;
	const float *dout; /* backward: the gradient of the parent's output */
	int want_dx;
	const float *dx;
	int rc;
	nlp_err err;
} shard_job;

/* The shard's input rows [Tk x Bk x in] (zero past each length) and
 * restarts from the batch's. */
static void shard_fill(const shard_job *j)
{
	rec_net *s = j->s;
	const rec_net *n = j->n;
	const int in = n->c.in;
	for (int t = 0; t < j->Tk; t++)
		for (int i = 0; i < j->Bk; i++) {
			const size_t src = (size_t)t * j->B + n->rows[j->r + i];
			float *d = s->xin + ((size_t)t * j->Bk + i) * in;
			if (!j->x)
				; /* lookup_deal gave the ids */
			else if (t < s->slen[i])
				memcpy(d, j->x + src * in, (size_t)in * sizeof(float));
			else
				memset(d, 0, (size_t)in * sizeof(float));
			if (j->reset)
				s->srs[(size_t)t * j->Bk + i] = t < s->slen[i] && j->reset[src];
		}
}

/* The shard's output rows into the parent's n->sout [B x Po], or with
 * pooling none [T x B x Hout] (zero past each length). */
static void shard_out(const shard_job *j, const float *o)
{
	const rec_net *n = j->n;
	const int Ho = rec_out_dim(n), none = n->c.pool == REC_POOL_NONE, T = none ? j->T : 1;
	for (int i = 0; i < j->Bk; i++) {
		const int b = n->rows[j->r + i], steps = none ? n->slen[j->r + i] : 1;
		for (int t = 0; t < T; t++) {
			float *d = n->sout + ((size_t)t * j->B + b) * Ho;
			if (t < steps)
				memcpy(d, o + ((size_t)t * j->Bk + i) * Ho,
				       (size_t)Ho * sizeof(float));
			else
				memset(d, 0, (size_t)Ho * sizeof(float));
		}
	}
}

static void shard_forward_part(void *arg, int k, int S)
{
	shard_job *j = (shard_job *)arg + k;
	(void)S;
	shard_fill(j);
	j->rc = fwd_one(j->s, j->out, j->s->lk_ids ? NULL : j->s->xin, j->Tk, j->Bk, j->s->slen,
	                j->carry, j->reset ? j->s->srs : NULL, j->training, j->rng, &j->err);
	if (j->rc == NLP_OK)
		shard_out(j, *j->out);
}

/* The shard's rows of the output gradient [Tk x Bk x Ho] (Ho: the output's
 * width; pooling none: zero past each length). */
static void shard_dout(const shard_job *j)
{
	const rec_net *n = j->n;
	const int Ho = rec_out_dim(n), none = n->c.pool == REC_POOL_NONE;
	for (int t = 0; t < j->Tk; t++)
		for (int i = 0; i < j->Bk; i++) {
			float *d = j->s->dxin + ((size_t)t * j->Bk + i) * Ho;
			if (!none || t < n->slen[j->r + i])
				memcpy(d, j->dout + ((size_t)t * j->B + n->rows[j->r + i]) * Ho,
				       (size_t)Ho * sizeof(float));
			else
				memset(d, 0, (size_t)Ho * sizeof(float));
		}
}

/* The shard's input gradient into the parent's n->sdx [Tin x B x in], its
 * documents' columns (zero past each length). */
static void shard_dx(const shard_job *j)
{
	const rec_net *n = j->n;
	const int in = n->c.in;
	for (int i = 0; i < j->Bk; i++) {
		const int b = n->rows[j->r + i], L = n->slen[j->r + i];
		for (int t = 0; t < n->Tin; t++) {
			float *d = n->sdx + ((size_t)t * j->B + b) * in;
			if (t < L)
				memcpy(d, j->dx + ((size_t)t * j->Bk + i) * in,
				       (size_t)in * sizeof(float));
			else
				memset(d, 0, (size_t)in * sizeof(float));
		}
	}
}

static void shard_backward_part(void *arg, int k, int S)
{
	shard_job *j = (shard_job *)arg + k;
	rec_net *s = j->s;
	(void)S;
	shard_dout(j);
	memset(s->g, 0, s->count * sizeof(float));
	j->rc = bwd_one(s, j->want_dx ? &j->dx : NULL, s->dxin, &j->err);
	if (j->rc == NLP_OK && j->want_dx)
		shard_dx(j);
}

/* Parameters a thread below which the shards' gradients are summed on one
 * thread. */
enum { REC_MIN_SUM_PER_THREAD = 32768 };

/* n->g += the shards' gradients, shard by shard in a fixed order
 * (deterministic), over the parameters [count k / S, count (k + 1) / S). */
static void grad_sum_part(void *arg, int k, int S)
{
	rec_net *n = arg;
	const size_t i0 = n->count * (size_t)k / (size_t)S;
	const size_t i1 = n->count * (size_t)(k + 1) / (size_t)S;
	for (int q = 0; q < n->used; q++) {
		const float *g = n->shard[q]->g;
		for (size_t i = i0; i < i1; i++)
			n->g[i] += g[i];
	}
}

/* Run fn on every job, job k as part k of nk_parallel (OpenBLAS
 * single-threaded meanwhile: our threads and its threads never share the
 * cores); the first job that failed gives the result. */
static int run_jobs(shard_job *jobs, int S, void (*fn)(void *, int, int), nlp_err *err)
{
	nk_parallel(S, fn, jobs);
	for (int k = 0; k < S; k++)
		if (jobs[k].rc != NLP_OK) {
			if (err)
				*err = jobs[k].err;
			return jobs[k].rc;
		}
	return NLP_OK;
}

static int make_shards(rec_net *n, int S, nlp_err *err)
{
	if (n->n_shards >= S)
		return NLP_OK;
	rec_net **sh = realloc(n->shard, (size_t)S * sizeof *sh);
	if (!sh)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	n->shard = sh;
	rec_config c = n->c;
	c.threads = 1;
	while (n->n_shards < S) {
		rec_net *s = NULL;
		int rc = rec_new(&s, &c, err);
		if (rc != NLP_OK)
			return rc;
		free(s->w);
		s->w = n->w;
		s->shared_w = 1;
		s->int8 = n->int8;
		s->q8 = n->q8;
		s->bf16 = n->bf16;
		n->shard[n->n_shards++] = s;
	}
	return NLP_OK;
}

/* Number of shards for a batch of B documents. */
static int shard_count(const rec_net *n, int B)
{
	int S = n->c.threads > 0 ? n->c.threads : nk_blas_threads(0);
	if (S > 64)
		S = 64;
	if (S > B / REC_MIN_SHARD_ROWS)
		S = B / REC_MIN_SHARD_ROWS;
	return S > 1 ? S : 0;
}

int rec_forward(rec_net *n, const float **out, const float *x, int T, int B, const int *len,
                int training, nlp_rng *rng, nlp_err *err)
{
	return rec_forward_stream(n, out, x, T, B, len, 0, NULL, training, rng, err);
}

/* Lookup forward: shard s's ids [Tk x Bk] (0 past each length) from the
 * batch's, for its rows n->rows[r ..], and the parent's kept rows (borrowed
 * for the call).  Returns 0, or -1 when out of memory. */
static int lookup_deal(rec_net *n, rec_net *s, int Tk, int Bk, int B, int r)
{
	if (nlp_grow_exact(&s->sids, &s->cap_sids, (size_t)Tk * Bk, sizeof(int32_t)))
		return -1;
	for (int t = 0; t < Tk; t++)
		for (int i = 0; i < Bk; i++)
			s->sids[(size_t)t * Bk + i] =
			        t < n->slen[r + i] ? n->lk_ids[(size_t)t * B + n->rows[r + i]] : 0;
	s->lk_ids = s->sids;
	s->lk[0] = n->lk[0];
	s->lk[1] = n->lk[1];
	s->lk_V = n->lk_V;
	return 0;
}

/* Deal the batch's documents to S shards and fill each shard's input (and
 * restarts) and job.  fixed: column b goes to shard b % S, in column order
 * (a stream stays in its shard, so the shard's kept state is the stream's);
 * else longest first, dealt round-robin (shards get similar lengths and each
 * shard's rows stay sorted). */
static int shard_deal(rec_net *n, shard_job *jobs, const float **souts, int S, const float *x,
                      int T, int B, const int *len, int fixed, int carry, const uint8_t *reset,
                      int training, nlp_rng *rng, nlp_err *err)
{
	const int in = n->c.in, Ho = rec_out_dim(n), none = n->c.pool == REC_POOL_NONE;
	for (int b = 0; b < B; b++) {
		int i = b;
		while (!fixed && i > 0 && len[n->sperm[i - 1]] < len[b]) {
			n->sperm[i] = n->sperm[i - 1];
			i--;
		}
		n->sperm[i] = b;
	}
	int r = 0;
	for (int k = 0; k < S; k++) {
		rec_net *s = n->shard[k];
		const int Bk = (B - k + S - 1) / S;
		int Tk = 0;
		for (int i = 0; i < Bk; i++) {
			const int b = n->sperm[k + i * S];
			n->rows[r + i] = b;
			n->slen[r + i] = len[b];
			Tk = len[b] > Tk ? len[b] : Tk;
		}
		const size_t need = n->lk_ids ? 0 : (size_t)Tk * Bk * in;
		const size_t nout = (size_t)(none ? Tk : 1) * Bk * Ho;
		if (nlp_grow_exact(&s->xin, &s->cap_xin, need, sizeof(float)) ||
		    (n->lk_ids && lookup_deal(n, s, Tk, Bk, B, r)) ||
		    nlp_grow_exact(&s->dxin, &s->cap_dxin, nout, sizeof(float)) ||
		    nlp_grow_exact(&s->slen, &s->cap_slen, (size_t)Bk, sizeof(int)) ||
		    (reset && nlp_grow_exact(&s->srs, &s->cap_srs, (size_t)Tk * Bk, 1)))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		memcpy(s->slen, n->slen + r, (size_t)Bk * sizeof(int));
		if (rng)
			nlp_rng_seed(&s->rng, nlp_rng_next(rng));
		jobs[k] = (shard_job){.s = s,
		                      .n = n,
		                      .r = r,
		                      .B = B,
		                      .T = T,
		                      .Tk = Tk,
		                      .Bk = Bk,
		                      .training = training,
		                      .carry = carry,
		                      .x = n->lk_ids ? NULL : x,
		                      .reset = reset,
		                      .out = &souts[k],
		                      .rng = rng ? &s->rng : NULL};
		r += Bk;
	}
	return NLP_OK;
}

int rec_forward_stream(rec_net *n, const float **out, const float *x, int T, int B, const int *len,
                       int carry, const uint8_t *reset, int training, nlp_rng *rng, nlp_err *err)
{
	const int stream = carry || reset, S = shard_count(n, B);
	/* Streams keep their shard from window to window: fixed dealing. */
	const int fixed = stream || n->c.pool == REC_POOL_NONE;
	int rc;
	n->used = 0;
	n->trained = 0;
	if (stream && n->dirs > 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "a bidirectional encoder cannot carry its state from window to "
		                   "window: a language model reads left to right: set "
		                   "bidirectional = false");
	/* The kept states are those of the last forward's dealing. */
	if (!S || !fixed || S != n->st_S)
		for (int k = 0; k < n->n_shards; k++)
			n->shard[k]->st_B = 0;
	n->st_S = S && fixed ? S : 0;
	if ((rc = int8_make(n, err)))
		return rc;
	if (!S)
		return fwd_one(n, out, x, T, B, len, carry, reset, training, rng, err);
	n->st_B = 0; /* the shards keep the final states */
	if ((rc = check_shape(T, B, len, err)) || (rc = make_shards(n, S, err)))
		return rc;
	if (nlp_grow_exact(&n->rows, &n->cap_rows, (size_t)B, sizeof(int)) ||
	    nlp_grow_exact(&n->slen, &n->cap_slen, (size_t)B, sizeof(int)) ||
	    nlp_grow_exact(&n->sperm, &n->cap_sperm, (size_t)B, sizeof(int)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	/* the output: sout [B x Po], or with pooling none [T x B x Hout] */
	const size_t rows = (size_t)(n->c.pool == REC_POOL_NONE ? T : 1) * B;
	if (nlp_grow_exact(&n->sout, &n->cap_sout, rows * rec_out_dim(n), sizeof(float)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	shard_job jobs[64];
	const float *souts[64];
	if ((rc = shard_deal(n, jobs, souts, S, x, T, B, len, fixed, carry, reset, training, rng,
	                     err)) ||
	    (rc = run_jobs(jobs, S, shard_forward_part, err)))
		return rc;
	n->used = S;
	n->B = B;
	n->Tin = T;
	n->trained = training;
	*out = n->sout;
	return NLP_OK;
}

int rec_backward(rec_net *n, const float **dxo, const float *dout, nlp_err *err)
{
	if (!n->used)
		return bwd_one(n, dxo, dout, err);
	if (!n->trained)
		return nlp_err_set(err, NLP_EINTERNAL, "backward without a training forward");
	const int S = n->used, B = n->B, in = n->c.in;
	const int none = n->c.pool == REC_POOL_NONE;
	if (dxo && nlp_grow_exact(&n->sdx, &n->cap_sdx, (size_t)n->Tin * B * in, sizeof(float)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	shard_job jobs[64];
	for (int k = 0, r = 0; k < S; k++) {
		rec_net *s = n->shard[k];
		const int Bk = (B - k + S - 1) / S;
		jobs[k] = (shard_job){.s = s,
		                      .n = n,
		                      .r = r,
		                      .B = B,
		                      .Tk = none ? s->Tin : 1,
		                      .Bk = Bk,
		                      .dout = dout,
		                      .want_dx = dxo != NULL};
		r += Bk;
	}
	int rc = run_jobs(jobs, S, shard_backward_part, err);
	if (rc != NLP_OK)
		return rc;
	const size_t parts = n->count / REC_MIN_SUM_PER_THREAD;
	nk_parallel(parts < (size_t)S ? (int)parts : S, grad_sum_part, n);
	if (dxo)
		*dxo = n->sdx;
	return NLP_OK;
}

/* ---- Inference by lookup (rec_forward_lookup) ---- */

void rec_lookup_forget(rec_net *n)
{
	if (!n)
		return;
	free(n->lk[0]);
	free(n->lk[1]);
	free(n->lk_done);
	free(n->lk_new);
	free(n->lk_x);
	free(n->lk_y);
	n->lk[0] = n->lk[1] = n->lk_x = n->lk_y = NULL;
	n->lk_done = NULL;
	n->lk_new = NULL;
	n->cap_lkx = n->cap_lky = 0;
	n->lk_src = NULL;
	n->lk_V = 0;
}

/* The kept rows for table [rows x in]: (re)made empty when the table is
 * another one.  calloc: a large table's pages are mapped on first write. */
static int lookup_tables(rec_net *n, const float *table, int rows, nlp_err *err)
{
	if (n->lk_src == table && n->lk_V == rows)
		return NLP_OK;
	rec_lookup_forget(n);
	const size_t GH = (size_t)n->G * n->H;
	int bad = !(n->lk_done = calloc((size_t)rows, 1)) ||
	          !(n->lk_new = malloc((size_t)rows * sizeof *n->lk_new));
	for (int d = 0; d < n->dirs && !bad; d++) {
		bad = !(n->lk[d] = calloc((size_t)rows * GH, sizeof(float)));
		nk_advise_huge(n->lk[d], (size_t)rows * GH * sizeof(float)); /* rows at random */
	}
	if (bad) {
		rec_lookup_forget(n);
		return nlp_err_set(err, NLP_ENOMEM,
		                   "out of memory for the input projections of %d words "
		                   "(lookup_mb = 0 turns them off)",
		                   rows);
	}
	n->lk_src = table;
	n->lk_V = rows;
	return NLP_OK;
}

/* Make the kept rows of the words of ids [T x B] (t < len[b]) not seen
 * before: their table rows times W_ih^T of layer 0, one row-stable product
 * per direction (each row as the plain forward's product makes it). */
static int lookup_make(rec_net *n, const float *table, const int32_t *ids, int T, int B,
                       const int *len, nlp_err *err)
{
	const int in = n->c.in, GH = n->G * n->H, naive = n->c.naive;
	int m = 0;
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			const int32_t id = ids[(size_t)t * B + b];
			if (t < len[b] && !n->lk_done[id]) {
				n->lk_done[id] = 1;
				n->lk_new[m++] = id;
			}
		}
	if (m == 0)
		return NLP_OK;
	if (nlp_grow_exact(&n->lk_x, &n->cap_lkx, (size_t)m * in, sizeof(float)) ||
	    nlp_grow_exact(&n->lk_y, &n->cap_lky, (size_t)m * GH, sizeof(float)))
		goto oom;
	for (int i = 0; i < m; i++)
		memcpy(n->lk_x + (size_t)i * in, table + (size_t)n->lk_new[i] * in,
		       (size_t)in * sizeof(float));
	for (int d = 0; d < n->dirs; d++) {
		/* the plain forward's product of each row (bf16: its bf16 one) */
		if (n->bf16 ? nk_pack16_b(&n->p16_x, 1, in, GH, P(n, 0, d, W_IH), in) ||
		                      nk_gemm16_rows(m, n->lk_x, in, &n->p16_x, 0.0f, n->lk_y, GH,
		                                     &n->ws16)
		            : nk_pack_b(&n->pk_x, naive, 1, in, GH, P(n, 0, d, W_IH), in))
			goto oom;
		if (!n->bf16)
			nk_gemm_rows(naive, m, n->lk_x, in, &n->pk_x, 0.0f, n->lk_y, GH);
		for (int i = 0; i < m; i++)
			memcpy(n->lk[d] + (size_t)n->lk_new[i] * GH, n->lk_y + (size_t)i * GH,
			       (size_t)GH * sizeof(float));
	}
	return NLP_OK;
oom:
	for (int i = 0; i < m; i++) /* not made: make them next time */
		n->lk_done[n->lk_new[i]] = 0;
	return nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

int rec_forward_lookup(rec_net *n, const float **out, const float *table, int rows, int cols,
                       const int32_t *ids, int T, int B, const int *len, int carry,
                       const uint8_t *reset, int *taken, nlp_err *err)
{
	const double bytes = (double)rows * n->G * n->H * n->dirs * sizeof(float);
	int rc;
	*taken = 0;
	if (cols != n->c.in || rows < 1 || n->c.lookup_mb <= 0 ||
	    bytes > (double)n->c.lookup_mb * 1048576.0)
		return NLP_OK;
	if ((rc = check_shape(T, B, len, err)))
		return rc;
	for (size_t i = 0; i < (size_t)T * B; i++)
		if (ids[i] < 0 || ids[i] >= rows)
			return nlp_err_set(err, NLP_EDATA,
			                   "token id %ld at step %zu, document %zu is outside the "
			                   "vocabulary (0..%d)",
			                   (long)ids[i], i / (size_t)B, i % (size_t)B, rows - 1);
	if ((rc = lookup_tables(n, table, rows, err)) ||
	    (rc = lookup_make(n, table, ids, T, B, len, err)))
		return rc;
	*taken = 1;
	n->lk_ids = ids;
	rc = rec_forward_stream(n, out, NULL, T, B, len, carry, reset, 0, NULL, err);
	n->lk_ids = NULL;
	for (int k = 0; k < n->n_shards; k++)
		n->shard[k]->lk_ids = NULL;
	return rc;
}

/* ---- The streams' carried state, for checkpoints ---- */

/* Where the kept state of stream b, layer l is (c: the LSTM's cell), as the
 * last forward left it: in shard b % st_S (its column b / st_S), or in n. */
static float *kept_row(rec_net *n, int l, int b, int c)
{
	const rec_net *s = n->st_S ? n->shard[b % n->st_S] : n;
	const size_t i = (size_t)(n->st_S ? b / n->st_S : b);
	return (c ? s->st_c[l] : s->st_h[l]) + i * (size_t)n->H;
}

/* The streams whose state is kept (0: none). */
static int kept_streams(const rec_net *n)
{
	int B = 0;
	if (!n->st_S)
		return n->dirs == 1 ? n->st_B : 0;
	for (int k = 0; k < n->st_S; k++)
		B += n->shard[k]->st_B;
	for (int k = 0; k < n->st_S; k++)
		if (n->shard[k]->st_B != (B - k + n->st_S - 1) / n->st_S)
			return 0;
	return B;
}

int rec_carried_save(rec_net *n, nlp_buf *out, nlp_err *err)
{
	const int B = kept_streams(n), lstm = n->c.cell == REC_LSTM;
	int bad = nlp_buf_put_u32(out, (uint32_t)B) || nlp_buf_put_u32(out, (uint32_t)n->L) ||
	          nlp_buf_put_u32(out, (uint32_t)n->H) || nlp_buf_put_u32(out, (uint32_t)lstm);
	for (int l = 0; l < n->L && !bad; l++)
		for (int b = 0; b < B && !bad; b++)
			for (int c = 0; c <= lstm && !bad; c++)
				bad = nlp_buf_put(out, kept_row(n, l, b, c),
				                  (size_t)n->H * sizeof(float));
	return bad ? nlp_err_set(err, NLP_ENOMEM, "out of memory") : NLP_OK;
}

/* Room for B kept streams in n (0: none). */
static int kept_room(rec_net *n, int B)
{
	int bad = 0;
	for (int l = 0; l < n->L && B > 0; l++) {
		bad |= regrow(&n->st_h[l], (size_t)B * n->H, sizeof(float));
		if (n->c.cell == REC_LSTM)
			bad |= regrow(&n->st_c[l], (size_t)B * n->H, sizeof(float));
	}
	n->st_B = bad ? 0 : B;
	return bad;
}

int rec_carried_load(rec_net *n, nlp_cursor *in, nlp_err *err)
{
	uint32_t B, L, H, lstm;
	if (nlp_cursor_get_u32(in, &B) || nlp_cursor_get_u32(in, &L) ||
	    nlp_cursor_get_u32(in, &H) || nlp_cursor_get_u32(in, &lstm) || B > 1u << 20 ||
	    (size_t)(in->end - in->p) < (size_t)B * L * H * (lstm + 1) * sizeof(float))
		return nlp_err_set(err, NLP_EDATA, "the carried state is truncated");
	if (B && (L != (uint32_t)n->L || H != (uint32_t)n->H || lstm != (n->c.cell == REC_LSTM) ||
	          n->dirs != 1))
		return nlp_err_set(err, NLP_EDATA,
		                   "the carried state is of %u layers of %u units%s; this encoder "
		                   "has %d of %d%s",
		                   L, H, lstm ? " (LSTM)" : "", n->L, n->H,
		                   n->c.cell == REC_LSTM ? " (LSTM)" : "");
	/* Where the next forward of B streams (fixed dealing) looks for it. */
	const int S = B ? shard_count(n, (int)B) : 0;
	int rc = S ? make_shards(n, S, err) : NLP_OK;
	if (rc != NLP_OK)
		return rc;
	for (int k = 0; k < n->n_shards; k++)
		n->shard[k]->st_B = 0;
	n->st_B = 0;
	n->st_S = S;
	for (int k = 0; k < S; k++)
		if (kept_room(n->shard[k], ((int)B - k + S - 1) / S))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!S && kept_room(n, (int)B))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int l = 0; l < n->L; l++)
		for (int b = 0; b < (int)B; b++)
			for (int c = 0; c <= (int)lstm; c++)
				nlp_cursor_get(in, kept_row(n, l, b, c),
				               (size_t)n->H * sizeof(float));
	return NLP_OK;
}
