/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/next_token.c - the `next_token` head of a language model (see
 * next_token.h): logits = x W^T + bias over the vocabulary at every step,
 * the full softmax, and the sampled softmax for training.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "dense.h"
#include "dropout.h"
#include "gemm.h"
#include "next_token.h"

#define NTK_STATE_VERSION 1
/* Draws of the proposal per wanted distinct id before sampling gives up
 * (with fewer ids): bounds the time when samples is close to V. */
#define NTK_MAX_TRIES 64

typedef struct ntk {
	const char *name;
	next_token_opts o;
	int loaded_V, loaded_H; /* from load(), checked by setup; 0: not loaded */

	/* shapes and parameters, after setup: the buffer is bias [V] then, when
	 * not tied, weight [V x H] */
	int V, H;
	float *pw, *pg;
	size_t count;
	nlp_param_block blocks[2];
	int n_blocks;
	const float *W; /* [V x H] output matrix: ours, or the embedding table (tied) */
	float *gW;      /* its gradient */
	int tied;

	/* workspaces, grown */
	float *xd, *mask, *din; /* [N x H] */
	float *probs;           /* [N x V] probabilities; backward: their gradient */
	double *nll;            /* [N] full softmax: the loss of each row */
	int32_t *tgt;           /* [N] the target of each row, -1: none */
	float *zs;              /* [N x S] sampled logits; then their gradient */
	float *dzt;             /* [N] gradient of each row's target logit */
	float *lqt;             /* [N] log expected count of each row's target */
	int32_t *sid;           /* [S] the sampled ids */
	float *lq;              /* [S] their log expected counts */
	float *ws, *bs;         /* [S x H], [S]: their rows of W and bias */
	float *gws, *gbs;       /* their gradients */
	int32_t *slot;          /* [V] position of an id in sid, -1: not sampled */
	size_t cap_xd, cap_mask, cap_din, cap_probs, cap_nll, cap_tgt, cap_zs, cap_dzt, cap_lqt;
	size_t cap_sid, cap_lq, cap_ws, cap_bs, cap_gws, cap_gbs, cap_slot;
	nk_pack pk, pkx; /* packed W (or sampled rows); packed input */
	dense_ws dws;    /* the sampled backward's workspaces */
	float *gbuf[64]; /* weight_grad_part's buffer of each part */
	size_t cap_gbuf[64];
	int n_gbuf;

	/* the last forward */
	int T, B, N, S, sampled, dropped, have_loss, n_valid;
	const float *x; /* its input (after dropout) */
} ntk;

static const nlp_option ntk_options[] = {
        {"tie_weights", NLP_OPT_BOOL, "false", 0, 0, NULL,
         "use the embedding table as the output matrix (its dim must equal the input width)"},
        {"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL,
         "dropout rate on the head's input (training)"},
        {"softmax", NLP_OPT_ENUM, "sampled", 0, 0, "full|sampled",
         "training loss: sampled softmax (fast) or the full softmax; evaluation always uses "
         "the full one"},
        {"samples", NLP_OPT_INT, "512", 1, 1e7, NULL,
         "ids drawn per batch for the sampled softmax (at most the vocabulary size)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

double next_token_q(int k, int V)
{
	return log(((double)k + 2.0) / ((double)k + 1.0)) / log((double)V + 1.0);
}

/* ---- the stage ---- */

static void ntk_destroy(void *self)
{
	ntk *h = self;
	if (!h)
		return;
	free(h->pw);
	free(h->pg);
	free(h->xd);
	free(h->mask);
	free(h->din);
	free(h->probs);
	free(h->nll);
	free(h->tgt);
	free(h->zs);
	free(h->dzt);
	free(h->lqt);
	free(h->sid);
	free(h->lq);
	free(h->ws);
	free(h->bs);
	free(h->gws);
	free(h->gbs);
	free(h->slot);
	nk_pack_free(&h->pk);
	nk_pack_free(&h->pkx);
	dense_ws_free(&h->dws);
	for (int k = 0; k < 64; k++)
		free(h->gbuf[k]);
	free(h);
}

int next_token_new(void **self, const char *name, const next_token_opts *o, nlp_err *err)
{
	if (!(o->dropout >= 0.0f && o->dropout < 1.0f))
		return nlp_err_set(err, NLP_ECONFIG, "dropout must be in [0, 1)");
	if (o->samples < 1)
		return nlp_err_set(err, NLP_ECONFIG, "samples must be at least 1");
	ntk *h = calloc(1, sizeof *h);
	if (!h)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	h->name = name;
	h->o = *o;
	*self = h;
	return NLP_OK;
}

static int ntk_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	next_token_opts o = {0};
	nlp_numerics_init(); /* flush-to-zero before our first BLAS call */
	o.tie = nlp_config_bool(cfg, "tie_weights");
	o.dropout = (float)nlp_config_float(cfg, "dropout");
	o.sampled = strcmp(nlp_config_str(cfg, "softmax"), "sampled") == 0;
	o.samples = (int)nlp_config_int(cfg, "samples");
	return next_token_new(self, nlp_config_instance(cfg), &o, err);
}

static int ntk_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	ntk *h = self;
	if (in_dim < 1)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "next_token needs a sequence of vectors as input: put an encoder "
		        "with pooling = none before it");
	if (n_classes < 2)
		return nlp_err_set(err, NLP_EDATA,
		                   "a vocabulary of %d ids: a language model needs at least 2",
		                   n_classes);
	if (h->loaded_V && (h->loaded_V != n_classes || h->loaded_H != in_dim))
		return nlp_err_set(err, NLP_EDATA,
		                   "the model's next_token head is %d x %d but the vocabulary has "
		                   "%d ids and the input is %d wide",
		                   h->loaded_V, h->loaded_H, n_classes, in_dim);
	free(h->pw);
	free(h->pg);
	const size_t V = (size_t)n_classes, H = (size_t)in_dim;
	h->V = n_classes;
	h->H = in_dim;
	h->count = V + V * H;
	h->pw = calloc(h->count, sizeof *h->pw);
	h->pg = calloc(h->count, sizeof *h->pg);
	if (!h->pw || !h->pg)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for %zu parameters", h->count);
	h->blocks[0] = (nlp_param_block){
	        .name = "bias", .offset = 0, .count = V, .rows = 1, .cols = n_classes};
	h->blocks[1] = (nlp_param_block){.name = "weight",
	                                 .offset = V,
	                                 .count = V * H,
	                                 .decay = 1,
	                                 .rows = n_classes,
	                                 .cols = in_dim};
	h->n_blocks = 2;
	h->W = h->pw + V;
	h->gW = h->pg + V;
	h->tied = 0;
	*out_dim = n_classes;
	return NLP_OK;
}

/* nlp_train_ops.tie: the embedding table as the output matrix. */
static int ntk_tie(void *self, float *w, float *g, int rows, int cols, int *tied, nlp_err *err)
{
	ntk *h = self;
	*tied = 0;
	if (!h->o.tie)
		return NLP_OK;
	if (!h->pw)
		return nlp_err_set(err, NLP_EINTERNAL, "tie before setup");
	if (rows != h->V)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "tie_weights: the embedding table has %d rows but the vocabulary "
		        "has %d ids: tie to the embedding the pipeline starts with",
		        rows, h->V);
	if (cols != h->H)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "tie_weights: the embedding's vectors are %d wide but next_token's "
		        "input is %d wide: make them equal (the embedding's dim, or the "
		        "encoder's hidden), or set tie_weights = false",
		        cols, h->H);
	/* Only the bias stays ours: it comes first, so shrinking keeps it. */
	float *pw = realloc(h->pw, (size_t)h->V * sizeof *pw);
	if (pw)
		h->pw = pw;
	float *pg = realloc(h->pg, (size_t)h->V * sizeof *pg);
	if (pg)
		h->pg = pg;
	h->count = (size_t)h->V;
	h->n_blocks = 1;
	h->W = w;
	h->gW = g;
	h->tied = 1;
	*tied = 1;
	return NLP_OK;
}

static void ntk_params(void *self, nlp_params *p)
{
	ntk *h = self;
	p->w = h->pw;
	p->g = h->pg;
	p->count = h->pw ? h->count : 0;
	p->blocks = h->blocks;
	p->n_blocks = h->pw ? h->n_blocks : 0;
}

static void ntk_init(void *self, nlp_rng *rng)
{
	ntk *h = self;
	/* nn.Linear's default: U(-1/sqrt(H), 1/sqrt(H)); a tied matrix is the
	 * embedding's. */
	const float k = 1.0f / sqrtf((float)h->H);
	for (size_t i = 0; i < h->count; i++)
		h->pw[i] = k * (2.0f * nlp_rng_uniform(rng) - 1.0f);
}

/* Room for N rows (and, sampling, S ids). */
static int ntk_reserve(ntk *h, int N, int full, int S)
{
	const size_t n = (size_t)N, H = (size_t)h->H, V = (size_t)h->V, s = (size_t)S;
	int bad = nlp_grow_exact(&h->xd, &h->cap_xd, n * H, sizeof(float)) |
	          nlp_grow_exact(&h->mask, &h->cap_mask, n * H, sizeof(float)) |
	          nlp_grow_exact(&h->din, &h->cap_din, n * H, sizeof(float)) |
	          nlp_grow_exact(&h->nll, &h->cap_nll, n, sizeof(double)) |
	          nlp_grow_exact(&h->tgt, &h->cap_tgt, n, sizeof(int32_t));
	if (full)
		bad |= nlp_grow_exact(&h->probs, &h->cap_probs, n * V, sizeof(float));
	if (S > 0) {
		const size_t had = h->cap_slot;
		bad |= nlp_grow_exact(&h->zs, &h->cap_zs, n * s, sizeof(float)) |
		       nlp_grow_exact(&h->dzt, &h->cap_dzt, n, sizeof(float)) |
		       nlp_grow_exact(&h->lqt, &h->cap_lqt, n, sizeof(float)) |
		       nlp_grow_exact(&h->sid, &h->cap_sid, s, sizeof(int32_t)) |
		       nlp_grow_exact(&h->lq, &h->cap_lq, s, sizeof(float)) |
		       nlp_grow_exact(&h->ws, &h->cap_ws, s * H, sizeof(float)) |
		       nlp_grow_exact(&h->bs, &h->cap_bs, s, sizeof(float)) |
		       nlp_grow_exact(&h->gws, &h->cap_gws, s * H, sizeof(float)) |
		       nlp_grow_exact(&h->gbs, &h->cap_gbs, s, sizeof(float)) |
		       nlp_grow_exact(&h->slot, &h->cap_slot, V, sizeof(int32_t));
		if (!bad && h->cap_slot != had)
			for (size_t k = 0; k < V; k++)
				h->slot[k] = -1;
	}
	return bad ? NLP_ENOMEM : NLP_OK;
}

/* The full softmax over rows r0..r1-1 of the logits [N x V] (in probs):
 * probabilities in place, zero rows past the lengths, the loss of each row
 * with a target. */
static void full_softmax(ntk *h, const int *len, int r0, int r1)
{
	const int V = h->V;
	for (int i = r0; i < r1; i++) {
		float *z = h->probs + (size_t)i * V;
		h->nll[i] = 0.0;
		if (i / h->B >= len[i % h->B]) {
			memset(z, 0, (size_t)V * sizeof *z);
			continue;
		}
		const float zy = h->tgt[i] >= 0 ? z[h->tgt[i]] : 0.0f;
		const double lse = nk_softmax_row(z, V);
		if (h->tgt[i] >= 0)
			h->nll[i] = lse - zy;
	}
}

/* C [M x N] = (bias, or 0 when NULL) + A [M x K] . B (packed), then with
 * len the full softmax of the rows: the rows split over the threads that
 * OpenBLAS is set to (nk_gemm_rows is row-stable: the same bits for any
 * split). */
typedef struct rows_job {
	ntk *h;
	const float *A, *bias;
	const nk_pack *pk;
	float *C;
	int M, N, K;
	const int *len;
} rows_job;

static void rows_part(void *arg, int k, int S)
{
	const rows_job *j = arg;
	const int r0 = (int)((long)j->M * k / S), r1 = (int)((long)j->M * (k + 1) / S);
	if (r1 <= r0)
		return;
	float *c = j->C + (size_t)r0 * j->N;
	if (j->bias)
		nk_rows_set(c, j->bias, r1 - r0, j->N, j->N);
	nk_gemm_rows(0, r1 - r0, j->A + (size_t)r0 * j->K, j->K, j->pk, j->bias ? 1.0f : 0.0f, c,
	             j->N);
	if (j->len)
		full_softmax(j->h, j->len, r0, r1);
}

/* Rows per thread below which one thread does it all. */
#define NTK_MIN_ROWS 64

/* Threads for a loop over M rows: as many as OpenBLAS is set to, at least
 * NTK_MIN_ROWS rows each. */
static int row_threads(int M)
{
	const int S = nk_blas_threads(0);
	return S > M / NTK_MIN_ROWS ? M / NTK_MIN_ROWS : S;
}

static void rows_product(ntk *h, float *C, const float *A, const float *bias, const nk_pack *pk,
                         int M, int K, int N, const int *len)
{
	rows_job j = {h, A, bias, pk, C, M, N, K, len};
	nk_parallel(row_threads(M), rows_part, &j);
}

/* The targets of the batch's rows (-1: none), checked. */
static int set_targets(ntk *h, const nlp_batch *b, nlp_err *err)
{
	h->n_valid = 0;
	for (int i = 0; i < h->N; i++) {
		const int t = i / h->B, c = i % h->B;
		int32_t y = b->next_ids && t < b->len[c] ? b->next_ids[i] : -1;
		if (y >= h->V)
			return nlp_err_set(
			        err, NLP_EDATA,
			        "next token id %d at step %d of stream %d is outside the "
			        "vocabulary (0..%d)",
			        (int)y, t, c, h->V - 1);
		h->tgt[i] = y < 0 ? -1 : y;
		h->n_valid += y >= 0;
	}
	return NLP_OK;
}

/* forward: in [T x B x H] -> probabilities [T x B x V] (none when training
 * with the sampled softmax: that work is the loss's). */
static int ntk_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                       nlp_err *err)
{
	ntk *h = self;
	if (!h->pw)
		return nlp_err_set(err, NLP_EINTERNAL, "forward before setup");
	if (h->o.tie && !h->tied)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "tie_weights = true but no embedding table was tied: the "
		                   "pipeline must start with an embedding (or set tie_weights = "
		                   "false)");
	if (!in || !in->x || in->B != b->B || in->D != h->H || in->T < 0 || !b->len)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "input is %d x %d x %d, expected T x %d x %d", in ? in->T : 0,
		                   in ? in->B : 0, in ? in->D : 0, b->B, h->H);
	h->T = in->T;
	h->B = in->B;
	h->N = in->T * in->B;
	h->sampled = b->training && h->o.sampled;
	h->have_loss = 0;
	h->S = h->o.samples < h->V ? h->o.samples : h->V;
	if (ntk_reserve(h, h->N, !h->sampled, h->sampled ? h->S : 0))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for %d x %d steps", h->T, h->B);
	int rc = set_targets(h, b, err);
	if (rc != NLP_OK)
		return rc;
	h->x = in->x;
	h->dropped = b->training && h->o.dropout > 0.0f;
	if (h->dropped) {
		if (!b->rng)
			return nlp_err_set(err, NLP_EINTERNAL, "dropout needs an RNG");
		dropout_forward(h->xd, h->mask, in->x, h->N * h->H, h->o.dropout, b->rng);
		h->x = h->xd;
	}
	out->x = NULL;
	if (!h->sampled) {
		if (nk_pack_b(&h->pk, 0, 1, h->H, h->V, h->W, h->H))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		rows_product(h, h->probs, h->x, h->pw, &h->pk, h->N, h->H, h->V, b->len);
		out->x = h->probs;
	}
	out->T = h->T;
	out->B = h->B;
	out->D = h->V;
	return NLP_OK;
}

/* Draw S distinct ids from the log-uniform proposal (all V ids when S >= V)
 * into sid, their log expected counts into lq, and return the draws made
 * (0: every id, expected count 1). */
static double draw_ids(ntk *h, nlp_rng *rng)
{
	const int V = h->V;
	const double logv1 = log((double)V + 1.0);
	if (h->S >= V) {
		for (int k = 0; k < V; k++) {
			h->sid[k] = k;
			h->lq[k] = 0.0f;
		}
		h->S = V;
		return 0.0;
	}
	int n = 0;
	double tries = 0.0;
	const double max_tries = (double)NTK_MAX_TRIES * h->S;
	while (n < h->S && tries < max_tries) {
		/* k = floor(exp(u log(V + 1))) - 1 has probability q(k) */
		int k = (int)floor(exp((double)nlp_rng_uniform(rng) * logv1)) - 1;
		k = k < 0 ? 0 : k >= V ? V - 1 : k;
		tries += 1.0;
		if (h->slot[k] < 0) {
			h->slot[k] = n;
			h->sid[n++] = k;
		}
	}
	h->S = n;
	for (int j = 0; j < n; j++)
		h->lq[j] = (float)log(-expm1(tries * log1p(-next_token_q(h->sid[j], V))));
	return tries;
}

/* log of the expected count of id y in the draws (0 when every id is in). */
static float log_count(int y, int V, double tries)
{
	return tries > 0.0 ? (float)log(-expm1(tries * log1p(-next_token_q(y, V)))) : 0.0f;
}

/* One row's sampled softmax: over its target (logit zt) and the sampled
 * ids (logits z [S], the target's own slot masked), each minus its log
 * expected count.  z becomes the gradient of the mean loss (scale = 1 /
 * rows), *dzt the target logit's; returns the row's loss. */
static double sampled_row(float *z, float *dzt, float zt, const float *lq, int S, int own,
                          double scale)
{
	double m = zt;
	for (int j = 0; j < S; j++) {
		z[j] -= lq[j];
		if (j != own && z[j] > m)
			m = z[j];
	}
	double s = exp(zt - m);
	for (int j = 0; j < S; j++)
		if (j != own)
			s += exp((double)z[j] - m);
	const double lse = m + log(s);
	for (int j = 0; j < S; j++)
		z[j] = j == own ? 0.0f : (float)(scale * exp((double)z[j] - lse));
	*dzt = (float)(scale * (exp(zt - lse) - 1.0));
	return lse - zt;
}

typedef struct sampled_job {
	ntk *h;
	double tries, scale;
} sampled_job;

/* Rows [N k / P, N (k + 1) / P) of the sampled softmax: each row's loss in
 * nll, its gradients in zs and dzt (a row's bits do not depend on the
 * split). */
static void sampled_rows_part(void *arg, int k, int P)
{
	const sampled_job *j = arg;
	ntk *h = j->h;
	const int H = h->H, S = h->S;
	const int r0 = (int)((long)h->N * k / P), r1 = (int)((long)h->N * (k + 1) / P);
	for (int i = r0; i < r1; i++) {
		float *z = h->zs + (size_t)i * S;
		const int32_t y = h->tgt[i];
		h->dzt[i] = 0.0f;
		h->nll[i] = 0.0;
		if (y < 0) {
			memset(z, 0, (size_t)S * sizeof *z);
			continue;
		}
		const float *x = h->x + (size_t)i * H, *w = h->W + (size_t)y * H;
		double zt = h->pw[y];
		for (int c = 0; c < H; c++)
			zt += (double)x[c] * w[c];
		zt -= log_count(y, h->V, j->tries);
		const int own = j->tries > 0.0 ? h->slot[y] : y;
		h->nll[i] = sampled_row(z, &h->dzt[i], (float)zt, h->lq, S, own, j->scale);
	}
}

/* The sampled softmax of the last forward: loss, and its gradients for
 * backward (zs, dzt). */
static int sampled_loss(ntk *h, double *loss, nlp_rng *rng, nlp_err *err)
{
	const int H = h->H;
	if (!rng)
		return nlp_err_set(err, NLP_EINTERNAL, "the sampled softmax needs an RNG");
	const double tries = draw_ids(h, rng);
	const int S = h->S;
	for (int j = 0; j < S; j++) {
		memcpy(h->ws + (size_t)j * H, h->W + (size_t)h->sid[j] * H,
		       (size_t)H * sizeof(float));
		h->bs[j] = h->pw[h->sid[j]];
	}
	if (nk_pack_b(&h->pk, 0, 1, H, S, h->ws, H))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	rows_product(h, h->zs, h->x, h->bs, &h->pk, h->N, H, S, NULL);
	sampled_job job = {h, tries, h->n_valid ? 1.0 / h->n_valid : 0.0};
	nk_parallel(row_threads(h->N), sampled_rows_part, &job);
	double total = 0.0; /* in row order: the same for any split */
	for (int i = 0; i < h->N; i++)
		total += h->nll[i];
	if (tries > 0.0)
		for (int j = 0; j < S; j++)
			h->slot[h->sid[j]] = -1;
	*loss = total * job.scale;
	return NLP_OK;
}

static int ntk_loss(void *self, double *loss, const nlp_batch *b, nlp_err *err)
{
	ntk *h = self;
	if (!h->pw || b->B != h->B)
		return nlp_err_set(err, NLP_EINTERNAL, "loss without a forward of this batch");
	if (!b->next_ids)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "next_token is the head of a language model: it learns from the "
		                   "next token of plain text, not from labels");
	h->have_loss = 0;
	if (h->sampled) {
		int rc = sampled_loss(h, loss, b->rng, err);
		if (rc != NLP_OK)
			return rc;
	} else {
		double total = 0.0;
		for (int i = 0; i < h->N; i++)
			total += h->tgt[i] >= 0 ? h->nll[i] : 0.0;
		*loss = h->n_valid ? total / h->n_valid : 0.0;
	}
	h->have_loss = 1;
	return NLP_OK;
}

/* Backward of the sampled softmax: weight rows of the sampled ids and of
 * the targets, bias, input gradient. */
static int sampled_backward(ntk *h)
{
	const int H = h->H, S = h->S;
	memset(h->gws, 0, (size_t)S * H * sizeof(float));
	memset(h->gbs, 0, (size_t)S * sizeof(float));
	if (dense_backward(h->din, h->gws, h->gbs, h->zs, h->x, h->ws, h->N, H, S, 0, &h->dws))
		return NLP_ENOMEM;
	for (int j = 0; j < S; j++) {
		float *g = h->gW + (size_t)h->sid[j] * H;
		const float *d = h->gws + (size_t)j * H;
		for (int k = 0; k < H; k++)
			g[k] += d[k];
		h->pg[h->sid[j]] += h->gbs[j];
	}
	for (int i = 0; i < h->N; i++) {
		const int32_t y = h->tgt[i];
		if (y < 0)
			continue;
		const float d = h->dzt[i], *x = h->x + (size_t)i * H, *w = h->W + (size_t)y * H;
		float *g = h->gW + (size_t)y * H, *dx = h->din + (size_t)i * H;
		for (int k = 0; k < H; k++) {
			g[k] += d * x[k];
			dx[k] += d * w[k];
		}
		h->pg[y] += d;
	}
	return NLP_OK;
}

/* Ids of the output matrix a weight-gradient chunk covers. */
#define NTK_GRAD_CHUNK 64

static int grad_threads(ntk *h)
{
	int S = nk_blas_threads(0);
	S = S > 64 ? 64 : S;
	S = S > h->V / NTK_GRAD_CHUNK ? h->V / NTK_GRAD_CHUNK : S;
	return S < 1 ? 1 : S;
}

/* Part k of S of the full softmax's bias and weight gradients: ids v0..v1-1,
 * in chunks whose column of the logits' gradient [N x V] is transposed into
 * this part's buffer, then gW[v] += dz[:, v]^T x (nk_gemm_rows: each element
 * one chain over the rows in order, so the same bits for any S) and bias[v]
 * += the column's sum in row order (as dense_backward). */
static void weight_grad_part(void *arg, int k, int S)
{
	ntk *h = arg;
	const int V = h->V, N = h->N, H = h->H, C = NTK_GRAD_CHUNK;
	const int v0 = (int)((long)V * k / S), v1 = (int)((long)V * (k + 1) / S);
	float *buf = NULL;
	if (k < 64 && !nlp_grow_exact(&h->gbuf[k], &h->cap_gbuf[k], (size_t)C * N, sizeof(float)))
		buf = h->gbuf[k];
	if (k == 0)
		h->n_gbuf = S;
	if (!buf) {
		if (k < 64) {
			free(h->gbuf[k]);
			h->gbuf[k] = NULL;
			h->cap_gbuf[k] = 0;
		}
		return;
	}
	for (int v = v0; v < v1; v += C) {
		const int c = v1 - v < C ? v1 - v : C;
		for (int n = 0; n < N; n++) {
			const float *d = h->probs + (size_t)n * V + v;
			for (int j = 0; j < c; j++)
				buf[(size_t)j * N + n] = d[j];
		}
		for (int j = 0; j < c; j++) {
			float sb = h->pg[v + j];
			const float *col = buf + (size_t)j * N;
			for (int n = 0; n < N; n++)
				sb += col[n];
			h->pg[v + j] = sb;
		}
		nk_gemm_rows(0, c, buf, N, &h->pkx, 1.0f, h->gW + (size_t)v * H, H);
	}
}

/* Backward of the full softmax: probs becomes the logits' gradient. */
static int full_backward(ntk *h)
{
	const int V = h->V;
	const double scale = h->n_valid ? 1.0 / h->n_valid : 0.0;
	for (int i = 0; i < h->N; i++) {
		float *p = h->probs + (size_t)i * V;
		const int32_t y = h->tgt[i];
		if (y < 0) {
			memset(p, 0, (size_t)V * sizeof *p);
			continue;
		}
		const float fs = (float)scale; /* one float product a logit: vectorizes */
		for (int c = 0; c < V; c++)
			p[c] *= fs;
		p[y] -= fs;
	}
	/* bias and weight gradients, then the input gradient probs . W, each by
	 * rows on the threads */
	if (nk_pack_b(&h->pkx, 0, 0, h->N, h->H, h->x, h->H))
		return NLP_ENOMEM;
	nk_parallel(grad_threads(h), weight_grad_part, h);
	for (int k = 0; k < h->n_gbuf; k++)
		if (!h->gbuf[k])
			return NLP_ENOMEM;
	if (nk_pack_b(&h->pk, 0, 0, V, h->H, h->W, h->H))
		return NLP_ENOMEM;
	rows_product(h, h->din, h->probs, NULL, &h->pk, h->N, V, h->H, NULL);
	return NLP_OK;
}

/* backward: din [T x B x H]; gradients added to the bias and the output
 * matrix (the embedding's gradient when tied). */
static int ntk_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                        nlp_err *err)
{
	ntk *h = self;
	if (!h->have_loss)
		return nlp_err_set(err, NLP_EINTERNAL, "backward without loss");
	h->have_loss = 0; /* the loss's gradient is used up */
	if ((h->sampled ? sampled_backward(h) : full_backward(h)) != NLP_OK)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (h->dropped)
		dropout_backward(h->din, h->din, h->mask, h->N * h->H);
	if (din) {
		din->x = h->din;
		din->T = h->T;
		din->B = h->B;
		din->D = h->H;
	}
	return NLP_OK;
}

static int ntk_save(void *self, nlp_buf *out, nlp_err *err)
{
	ntk *h = self;
	if (nlp_buf_put_u32(out, NTK_STATE_VERSION) || nlp_buf_put_u32(out, (uint32_t)h->V) ||
	    nlp_buf_put_u32(out, (uint32_t)h->H))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

static int ntk_load(void *self, nlp_cursor *in, nlp_err *err)
{
	ntk *h = self;
	uint32_t version, V, H;
	if (nlp_cursor_get_u32(in, &version) || nlp_cursor_get_u32(in, &V) ||
	    nlp_cursor_get_u32(in, &H))
		return nlp_err_set(err, NLP_EDATA, "the saved next_token state is truncated");
	if (version != NTK_STATE_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "next_token state format %u is not supported (this module reads "
		                   "%d): use a newer nlpipe",
		                   version, NTK_STATE_VERSION);
	if (V < 2 || V > 100000000 || H < 1 || H > 1000000)
		return nlp_err_set(err, NLP_EDATA, "the saved next_token state is corrupt");
	h->loaded_V = (int)V;
	h->loaded_H = (int)H;
	return NLP_OK;
}

static const nlp_train_ops ntk_train = {
        .struct_size = sizeof(nlp_train_ops),
        .setup = ntk_setup,
        .params = ntk_params,
        .init = ntk_init,
        .forward = ntk_forward,
        .loss = ntk_loss,
        .backward = ntk_backward,
        .save = ntk_save,
        .load = ntk_load,
        .tie = ntk_tie,
};

const nlp_stage_class nn_next_token_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "next_token",
        .summary = "language model head: softmax over the vocabulary at every step (full, or "
                   "sampled in training), optionally tied to the embedding",
        .options = ntk_options,
        .consumes = NLP_KIND_SEQUENCE,
        .produces = NLP_KIND_SCORES,
        .create = ntk_create,
        .destroy = ntk_destroy,
        .process = NULL,
        .train = &ntk_train,
};
