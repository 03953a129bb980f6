/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/decoder.c - the `decoder` stage (see decoder.h): target embedding,
 * a recurrent cell (models/recurrent.c, pooling none), attention over the
 * encoder's states, the output projection and the softmax over the
 * vocabulary, as forward/backward pairs.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "cells.h"
#include "decoder.h"
#include "dense.h"
#include "dropout.h"
#include "recurrent.h"
#include "vocab.h"

/* State format 1: V, D (a shared vocabulary); 2 (vocabulary = own): V, D,
 * then the V words of the target vocabulary. */
#define DEC_STATE_VERSION 1
#define DEC_STATE_OWN     2

typedef struct dec {
	char name[64];
	decoder_opts o;
	int naive;
	int loaded_V, loaded_D; /* from load(), checked by setup; 0: not loaded */
	vocab counts;           /* vocabulary = own: target tokens counted by observe */
	vocab words;            /* vocabulary = own: the target vocabulary (setup, load) */

	/* shapes and parameters, after setup.  The buffer: the cell's
	 * parameters (rec_params' layout, at 0), emb [V x E], attention
	 * (multiplicative: wa [D x H]; additive: w1 [A x D], w2 [A x H],
	 * v [A]), wc [E x (D + H)], bc [E], then unless tied wo [V x E], and
	 * bo [V]. */
	int V, D, E, H, A;
	rec_net *rnn;
	size_t n_rnn, off_emb, off_wa, off_w1, off_w2, off_v, off_wc, off_bc, off_wo, off_bo;
	float *pw, *pg;
	size_t count;
	nlp_param_block blocks[64];
	int n_blocks;

	/* workspaces, grown */
	float *x, *q, *k1, *k2, *z, *alpha, *cat, *ot, *od, *mask, *probs, *ds;
	float *dq, *dk1, *dk2, *dcat, *dhs, *de;
	int32_t *tgt;
	size_t cap_x, cap_q, cap_k1, cap_k2, cap_z, cap_alpha, cap_cat, cap_ot, cap_od, cap_mask;
	size_t cap_probs, cap_ds, cap_dq, cap_dk1, cap_dk2, cap_dcat, cap_dhs, cap_de, cap_tgt;
	int *len, *dlen;
	int32_t *ids, *sids; /* the inputs used; scheduled sampling's mix */
	size_t cap_len, cap_dlen, cap_ids, cap_sids;

	/* the forward's weight matrices packed for nk_gemm_rows (row-stable
	 * products: a row's result does not depend on the others), by every
	 * forward that does not carry */
	nk_pack pk_wa, pk_w1, pk_w2, pk_wc, pk_wo;
	dense_ws dws; /* the linear layers' backward */

	/* decoding step by step (one step a forward, without training): the
	 * cell's weights packed and combined biases (by the first step), the
	 * state each column ended with (kh, kc [L x sB x H]) and the start
	 * gathered from the parents (ph, pc [L x B x H]), the cell's scratch,
	 * and the encoder's states of the first step (cenc [cT x cB x D],
	 * additive: ck1 [cT x cB x A], clen [cB]); col [B]: the encoder column
	 * of each decoder column */
	nk_pack pk_ih[16], pk_hh[16];
	float *bsum, *kh, *kc, *ph, *pc, *sg, *stc, *shn, *sgh, *shs, *cenc, *ck1;
	size_t cap_bsum, cap_kh, cap_kc, cap_ph, cap_pc, cap_sg, cap_stc, cap_shn, cap_sgh;
	size_t cap_shs, cap_cenc, cap_ck1;
	int *clen, *col, *ncol, *ones;
	size_t cap_clen, cap_col, cap_ncol, cap_ones;
	int cT, cB, sB; /* sB: columns of the kept state; 0: nothing to carry on from */

	/* the last forward */
	int T, U, B, N, dropped, have_loss, n_valid, training;
	const float *enc; /* borrowed: its input [T x B x D] */
	const float *hs;  /* the cell's output [U x B x H] (rnn's workspace) */
} dec;

static const nlp_option dec_options[] = {
        {"cell", NLP_OPT_ENUM, "lstm", 0, 0, "lstm|gru|rnn", "the recurrent cell"},
        {"hidden", NLP_OPT_INT, "128", 1, 65536, NULL, "hidden units of the cell"},
        {"layers", NLP_OPT_INT, "1", 1, 16, NULL, "stacked layers of the cell"},
        {"dim", NLP_OPT_INT, "64", 1, 65536, NULL,
         "width of the target embedding and of the output projection"},
        {"attention", NLP_OPT_ENUM, "multiplicative", 0, 0, "none|additive|multiplicative",
         "attention over the encoder's states: Luong's multiplicative, Bahdanau's additive, "
         "or none (the mean of the states)"},
        {"attention_dim", NLP_OPT_INT, "0", 0, 65536, NULL,
         "width of additive attention (0: hidden)"},
        {"tie_weights", NLP_OPT_BOOL, "false", 0, 0, NULL,
         "the output matrix is the target embedding"},
        {"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL,
         "dropout on the output projection and between layers (training)"},
        {"sampling", NLP_OPT_FLOAT, "0", 0, 1, NULL,
         "scheduled sampling: in training, each decoder input after the first is with this "
         "probability the token predicted at the step before (from a first teacher-forced "
         "pass) instead of the target's"},
        {"vocabulary", NLP_OPT_ENUM, "shared", 0, 0, "shared|own",
         "the target vocabulary: shared, the embedding's (of sources and targets); own, one "
         "of the targets' tokens only, which sizes the target embedding and the softmax"},
        {"min_count", NLP_OPT_INT, "1", 1, 1e9, NULL,
         "vocabulary = own: keep target tokens seen at least this many times (the others "
         "are <unk>)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

/* ---- the stage ---- */

static void dec_destroy(void *self)
{
	dec *d = self;
	if (!d)
		return;
	rec_free(d->rnn);
	free(d->pw);
	free(d->pg);
	float *f[] = {d->x,    d->q,     d->k1, d->k2,  d->z,   d->alpha, d->cat, d->ot, d->od,
	              d->mask, d->probs, d->dq, d->dk1, d->dk2, d->dcat,  d->dhs, d->de, d->ds};
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		free(f[i]);
	float *sf[] = {d->bsum, d->kh,  d->kc,  d->ph,  d->pc,   d->sg,
	               d->stc,  d->shn, d->sgh, d->shs, d->cenc, d->ck1};
	for (size_t i = 0; i < sizeof sf / sizeof *sf; i++)
		free(sf[i]);
	nk_pack *pk[] = {&d->pk_wa, &d->pk_w1, &d->pk_w2, &d->pk_wc, &d->pk_wo};
	for (size_t i = 0; i < sizeof pk / sizeof *pk; i++)
		nk_pack_free(pk[i]);
	dense_ws_free(&d->dws);
	for (int l = 0; l < 16; l++) {
		nk_pack_free(&d->pk_ih[l]);
		nk_pack_free(&d->pk_hh[l]);
	}
	free(d->clen);
	free(d->col);
	free(d->ncol);
	free(d->ones);
	free(d->tgt);
	free(d->len);
	free(d->dlen);
	free(d->ids);
	free(d->sids);
	vocab_free(&d->counts);
	vocab_free(&d->words);
	free(d);
}

int decoder_new(void **self, const char *name, const decoder_opts *o, nlp_err *err)
{
	if (!(o->dropout >= 0.0f && o->dropout < 1.0f))
		return nlp_err_set(err, NLP_ECONFIG, "dropout must be in [0, 1)");
	if (o->tie && o->dim < 1)
		return nlp_err_set(err, NLP_ECONFIG, "dim must be at least 1");
	dec *d = calloc(1, sizeof *d);
	if (!d)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	snprintf(d->name, sizeof d->name, "%s", name);
	d->o = *o;
	vocab_init(&d->counts);
	vocab_init(&d->words);
	*self = d;
	return NLP_OK;
}

void decoder_set_naive(void *self, int naive)
{
	dec *d = self;
	d->naive = naive;
	if (d->rnn)
		rec_set_naive(d->rnn, naive);
}

static int dec_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	static const char *const atts[] = {"none", "additive", "multiplicative"};
	const char *cell = nlp_config_str(cfg, "cell"), *att = nlp_config_str(cfg, "attention");
	decoder_opts o = {0};
	nlp_numerics_init();
	o.cell = !strcmp(cell, "gru") ? REC_GRU : !strcmp(cell, "rnn") ? REC_RNN_TANH : REC_LSTM;
	o.hidden = (int)nlp_config_int(cfg, "hidden");
	o.layers = (int)nlp_config_int(cfg, "layers");
	o.dim = (int)nlp_config_int(cfg, "dim");
	for (int i = 0; i < 3; i++)
		if (!strcmp(att, atts[i]))
			o.att = i;
	o.att_dim = (int)nlp_config_int(cfg, "attention_dim");
	o.tie = nlp_config_bool(cfg, "tie_weights");
	o.dropout = (float)nlp_config_float(cfg, "dropout");
	o.sampling = (float)nlp_config_float(cfg, "sampling");
	o.own_vocab = !strcmp(nlp_config_str(cfg, "vocabulary"), "own");
	o.min_count = (int)nlp_config_int(cfg, "min_count");
	return decoder_new(self, nlp_config_instance(cfg), &o, err);
}

static void add_block(dec *d, const char *name, size_t off, int rows, int cols, int decay)
{
	nlp_param_block *bl = &d->blocks[d->n_blocks++];
	memset(bl, 0, sizeof *bl);
	bl->name = name;
	bl->offset = off;
	bl->count = (size_t)rows * (size_t)cols;
	bl->rows = rows;
	bl->cols = cols;
	bl->decay = decay;
}

/* The layout of the buffer after the cell's parameters. */
static size_t dec_layout(dec *d, size_t off)
{
	const int V = d->V, D = d->D, E = d->E, H = d->H, A = d->A;
	d->off_emb = off;
	add_block(d, "embedding", off, V, E, 0);
	off += (size_t)V * E;
	if (d->o.att == DEC_ATT_MULTIPLICATIVE) {
		d->off_wa = off;
		add_block(d, "att_w", off, D, H, 1);
		off += (size_t)D * H;
	} else if (d->o.att == DEC_ATT_ADDITIVE) {
		d->off_w1 = off;
		add_block(d, "att_w_enc", off, A, D, 1);
		off += (size_t)A * D;
		d->off_w2 = off;
		add_block(d, "att_w_dec", off, A, H, 1);
		off += (size_t)A * H;
		d->off_v = off;
		add_block(d, "att_v", off, 1, A, 1);
		off += (size_t)A;
	}
	d->off_wc = off;
	add_block(d, "proj_w", off, E, D + H, 1);
	off += (size_t)E * (D + H);
	d->off_bc = off;
	add_block(d, "proj_b", off, 1, E, 0);
	off += (size_t)E;
	d->off_wo = d->off_emb;
	if (!d->o.tie) {
		d->off_wo = off;
		add_block(d, "out_w", off, V, E, 1);
		off += (size_t)V * E;
	}
	d->off_bo = off;
	add_block(d, "out_b", off, 1, V, 0);
	return off + (size_t)V;
}

/* vocabulary = own, training: the target vocabulary from the counts of
 * observe (<pad>, <unk>, <s>, </s>, then the tokens seen min_count times). */
static int dec_freeze(dec *d, nlp_err *err)
{
	const uint64_t always = UINT64_MAX / 4;
	int rc = vocab_count(&d->counts, NLP_DEC_BOS, strlen(NLP_DEC_BOS), always);
	if (!rc)
		rc = vocab_count(&d->counts, NLP_DEC_EOS, strlen(NLP_DEC_EOS), always);
	if (!rc)
		rc = vocab_freeze(&d->words, &d->counts, (uint64_t)d->o.min_count, 0);
	vocab_free(&d->counts);
	vocab_init(&d->counts);
	if (rc)
		return nlp_err_set(err, rc, "out of memory building the target vocabulary");
	if (d->words.n < 5)
		return nlp_err_set(err, NLP_EDATA,
		                   "vocabulary = own: no target token was seen at least "
		                   "min_count = %d times",
		                   d->o.min_count);
	return NLP_OK;
}

/* in_dim: the encoder's width D; n_classes: the vocabulary size V (shared;
 * with vocabulary = own, V is the target vocabulary's size). */
static int dec_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	dec *d = self;
	rec_config c = {0};
	nlp_params rp;
	if (d->o.own_vocab && !d->words.n) {
		int rc = dec_freeze(d, err);
		if (rc)
			return rc;
	}
	if (d->o.own_vocab)
		n_classes = (int)d->words.n;
	if (in_dim < 1 || n_classes < 3)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "needs an encoder with pooling = none before it and a vocabulary "
		        "(got width %d, %d classes)",
		        in_dim, n_classes);
	if (d->loaded_V && (d->loaded_V != n_classes || d->loaded_D != in_dim))
		return nlp_err_set(err, NLP_EDATA,
		                   "the model's decoder was saved for vocabulary %d and width %d, "
		                   "not %d and %d: the model file is inconsistent",
		                   d->loaded_V, d->loaded_D, n_classes, in_dim);
	d->V = n_classes;
	d->D = in_dim;
	d->E = d->o.dim;
	d->H = d->o.hidden;
	d->A = d->o.att_dim > 0 ? d->o.att_dim : d->H;
	c.cell = d->o.cell;
	c.in = d->E;
	c.hidden = d->H;
	c.layers = d->o.layers;
	c.dropout = d->o.dropout;
	c.pool = REC_POOL_NONE;
	c.threads = 1;
	c.naive = d->naive;
	rec_free(d->rnn);
	d->rnn = NULL;
	int rc = rec_new(&d->rnn, &c, err);
	if (rc)
		return rc;
	rec_params(d->rnn, &rp);
	if (rp.n_blocks + 8 > (int)(sizeof d->blocks / sizeof *d->blocks))
		return nlp_err_set(err, NLP_ECONFIG, "too many layers");
	d->n_rnn = rp.count;
	d->n_blocks = 0;
	for (int i = 0; i < rp.n_blocks; i++)
		d->blocks[d->n_blocks++] = rp.blocks[i];
	d->count = dec_layout(d, rp.count);
	free(d->pw);
	free(d->pg);
	d->pw = calloc(d->count, sizeof *d->pw);
	d->pg = calloc(d->count, sizeof *d->pg);
	if (!d->pw || !d->pg)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for %zu parameters", d->count);
	*out_dim = d->V;
	return NLP_OK;
}

static void dec_params(void *self, nlp_params *p)
{
	dec *d = self;
	p->w = d->pw;
	p->g = d->pg;
	p->count = d->count;
	p->blocks = d->blocks;
	p->n_blocks = d->n_blocks;
}

static void fill_uniform(float *w, size_t n, float k, nlp_rng *rng)
{
	for (size_t i = 0; i < n; i++)
		w[i] = (2.0f * nlp_rng_uniform(rng) - 1.0f) * k;
}

/* PyTorch's defaults: the cell's own, nn.Linear's U(+-1/sqrt(fan_in)) for
 * the projections and their biases, nn.Embedding's N(0, 1) for the target
 * embedding (a smaller one learns much slower: the decoder's inputs are
 * what tell it where in the target it is). */
static void dec_init(void *self, nlp_rng *rng)
{
	dec *d = self;
	nlp_params rp;
	const int V = d->V, D = d->D, E = d->E, H = d->H, A = d->A;
	rec_init_params(d->rnn, rng);
	rec_params(d->rnn, &rp);
	memcpy(d->pw, rp.w, d->n_rnn * sizeof *d->pw);
	memset(d->pw + d->n_rnn, 0, (d->count - d->n_rnn) * sizeof *d->pw);
	for (size_t i = 0; i < (size_t)V * E; i++)
		d->pw[d->off_emb + i] = nlp_rng_normal(rng);
	if (d->o.att == DEC_ATT_MULTIPLICATIVE)
		fill_uniform(d->pw + d->off_wa, (size_t)D * H, 1.0f / sqrtf((float)H), rng);
	if (d->o.att == DEC_ATT_ADDITIVE) {
		fill_uniform(d->pw + d->off_w1, (size_t)A * D, 1.0f / sqrtf((float)D), rng);
		fill_uniform(d->pw + d->off_w2, (size_t)A * H, 1.0f / sqrtf((float)H), rng);
		fill_uniform(d->pw + d->off_v, (size_t)A, 1.0f / sqrtf((float)A), rng);
	}
	fill_uniform(d->pw + d->off_wc, (size_t)E * (D + H), 1.0f / sqrtf((float)(D + H)), rng);
	fill_uniform(d->pw + d->off_bc, (size_t)E, 1.0f / sqrtf((float)(D + H)), rng);
	if (!d->o.tie)
		fill_uniform(d->pw + d->off_wo, (size_t)V * E, 1.0f / sqrtf((float)E), rng);
	fill_uniform(d->pw + d->off_bo, (size_t)V, 1.0f / sqrtf((float)E), rng);
}

/* ---- forward ---- */

#define GROW(d, f, n) nlp_grow_exact(&(d)->f, &(d)->cap_##f, (size_t)(n), sizeof *(d)->f)

static int dec_reserve(dec *d, int T, int U, int B)
{
	const size_t N = (size_t)U * B, TB = (size_t)T * B;
	const int D = d->D, E = d->E, H = d->H, A = d->A;
	return GROW(d, x, N * E) || GROW(d, q, N * D) || GROW(d, k1, TB * A) ||
	       GROW(d, k2, N * A) || GROW(d, z, N * T * A) || GROW(d, alpha, N * T) ||
	       GROW(d, cat, N * (D + H)) || GROW(d, ot, N * E) || GROW(d, od, N * E) ||
	       GROW(d, mask, N * E) || GROW(d, probs, N * d->V) || GROW(d, dq, N * D) ||
	       GROW(d, dk1, TB * A) || GROW(d, dk2, N * A) || GROW(d, dcat, N * (D + H)) ||
	       GROW(d, dhs, N * H) || GROW(d, de, TB * D) || GROW(d, ds, T) || GROW(d, tgt, N) ||
	       GROW(d, len, B) || GROW(d, dlen, B) || GROW(d, ids, N) || GROW(d, sids, N);
}

/* out[M x N] = in[M x K] . w[N x K]^T (+ bias[N] when not NULL), w packed
 * in pk (dec_pack): row-stable. */
static void linear_forward(const dec *d, float *out, const float *in, const nk_pack *pk,
                           const float *bias, int M)
{
	if (bias)
		nk_rows_set(out, bias, M, pk->N, pk->N);
	nk_gemm_rows(d->naive, M, in, pk->K, pk, bias ? 1.0f : 0.0f, out, pk->N);
}

/* Pack the forward's weight matrices (stored [out x in]) for linear_forward;
 * nonzero when out of memory. */
static int dec_pack(dec *d)
{
	const int D = d->D, E = d->E, H = d->H, A = d->A, nv = d->naive;
	const float *w = d->pw;
	int bad = nk_pack_b(&d->pk_wc, nv, 1, D + H, E, w + d->off_wc, D + H);
	bad |= nk_pack_b(&d->pk_wo, nv, 1, E, d->V, w + d->off_wo, E);
	if (d->o.att == DEC_ATT_MULTIPLICATIVE)
		bad |= nk_pack_b(&d->pk_wa, nv, 1, H, D, w + d->off_wa, H);
	if (d->o.att == DEC_ATT_ADDITIVE) {
		bad |= nk_pack_b(&d->pk_w1, nv, 1, D, A, w + d->off_w1, D);
		bad |= nk_pack_b(&d->pk_w2, nv, 1, H, A, w + d->off_w2, H);
	}
	return bad;
}

/* Given dout[M x N]: dw[N x K] += dout^T . in, dbias[N] += column sums
 * (when not NULL), din[M x K] = dout . w (+= when acc; skipped when NULL):
 * dense_backward, or in naive mode the reference loops.  Returns 0, or -1
 * when out of memory. */
static int linear_backward(dec *d, float *din, float *dw, float *dbias, const float *dout,
                           const float *in, const float *w, int M, int K, int N, int acc)
{
	if (!d->naive)
		return dense_backward(din, dw, dbias, dout, in, w, M, K, N, acc, &d->dws);
	nk_gemm(1, 1, 0, N, K, M, 1.0f, dout, N, in, K, 1.0f, dw, K);
	if (dbias)
		nk_colsum_add(dbias, dout, M, N, N);
	if (din)
		nk_gemm(1, 0, 0, M, K, N, 1.0f, dout, N, w, K, acc ? 1.0f : 0.0f, din, K);
	return 0;
}

/* attention_forward
 *   alpha [U x B x T]   out: the weights (zero at t >= the source's length)
 *   cat   [U x B x ldc] out: columns [0, D) the context c_u
 *   q     [U x B x D]   multiplicative: hs . Wa^T (made here)
 *   k2 [U x B x A], z [U x B x T x A]  additive (made here)
 *   enc   [T x Be x D]  the encoder's states; k1 [T x Be x A] (additive:
 *                       enc . W1^T); len [Be] the sources' lengths
 *   hs    [U x B x H];  col [B]: the encoder column of decoder column b
 *                       (NULL: b, and Be = B)
 */
static void attention_forward(dec *d, const float *enc, const float *k1, const int *len,
                              const int *col, int Be, const float *hs, int T, int U, int B)
{
	const int D = d->D, H = d->H, A = d->A, ldc = D + H, N = U * B;
	const float *v = d->pw + d->off_v;
	if (d->o.att == DEC_ATT_MULTIPLICATIVE)
		linear_forward(d, d->q, hs, &d->pk_wa, NULL, N);
	if (d->o.att == DEC_ATT_ADDITIVE)
		linear_forward(d, d->k2, hs, &d->pk_w2, NULL, N);
	for (int i = 0; i < N; i++) {
		const int b = col ? col[i % B] : i % B, L = len[b];
		float *al = d->alpha + (size_t)i * T, *c = d->cat + (size_t)i * ldc;
		memset(al, 0, (size_t)T * sizeof *al);
		memset(c, 0, (size_t)D * sizeof *c);
		if (L <= 0)
			continue;
		float m = -INFINITY;
		for (int t = 0; t < L; t++) {
			const float *e = enc + ((size_t)t * Be + b) * D;
			float s = 0.0f;
			if (d->o.att == DEC_ATT_MULTIPLICATIVE) {
				const float *qq = d->q + (size_t)i * D;
				for (int k = 0; k < D; k++)
					s += qq[k] * e[k];
			} else if (d->o.att == DEC_ATT_ADDITIVE) {
				const float *a1 = k1 + ((size_t)t * Be + b) * A;
				const float *a2 = d->k2 + (size_t)i * A;
				float *zz = d->z + ((size_t)i * T + t) * A;
				for (int k = 0; k < A; k++) {
					zz[k] = nk_tanh(a1[k] + a2[k]);
					s += v[k] * zz[k];
				}
			}
			al[t] = s;
			m = s > m ? s : m;
		}
		double sum = 0.0;
		for (int t = 0; t < L; t++)
			sum += (al[t] = expf(al[t] - m));
		for (int t = 0; t < L; t++) {
			const float *e = enc + ((size_t)t * Be + b) * D;
			al[t] = (float)(al[t] / sum);
			for (int k = 0; k < D; k++)
				c[k] += al[t] * e[k];
		}
	}
}

/* The decoder's input embeddings x [U x B x E] of ids [U x B] (zero past
 * dec_len). */
static int embed_forward(dec *d, const nlp_batch *b, const int32_t *ids, nlp_err *err)
{
	const int U = b->U, B = b->B, E = d->E;
	for (int u = 0; u < U; u++)
		for (int j = 0; j < B; j++) {
			const size_t i = (size_t)u * B + j;
			int32_t id = u < b->dec_len[j] ? ids[i] : 0;
			if (id < 0 || id >= d->V)
				return nlp_err_set(
				        err, NLP_EDATA,
				        "decoder input id %d out of the vocabulary (%d ids)",
				        (int)id, d->V);
			d->ids[i] = id;
			if (u < b->dec_len[j])
				memcpy(d->x + i * E, d->pw + d->off_emb + (size_t)id * E,
				       (size_t)E * sizeof *d->x);
			else
				memset(d->x + i * E, 0, (size_t)E * sizeof *d->x);
		}
	return NLP_OK;
}

/* Softmax of the rows of logits [N x V] (in probs) with u < dec_len: in
 * place; other rows zero. */
static void softmax_rows(dec *d)
{
	const int V = d->V;
	for (int i = 0; i < d->N; i++) {
		float *p = d->probs + (size_t)i * V;
		if (i / d->B >= d->dlen[i % d->B]) {
			memset(p, 0, (size_t)V * sizeof *p);
			continue;
		}
		float m = p[0];
		for (int c = 1; c < V; c++)
			m = p[c] > m ? p[c] : m;
		double s = 0.0;
		for (int c = 0; c < V; c++)
			s += (p[c] = expf(p[c] - m));
		const float inv = (float)(1.0 / s);
		for (int c = 0; c < V; c++)
			p[c] *= inv;
	}
}

/* From the cell's outputs hs [N x H] and the contexts (cat's columns
 * [0, D)): cat, the projection ot, od (after dropout when training) and the
 * probabilities (d->N rows, softmax_rows). */
static void dec_output(dec *d, int training, nlp_rng *rng)
{
	const int D = d->D, H = d->H, E = d->E;
	for (int i = 0; i < d->N; i++)
		memcpy(d->cat + (size_t)i * (D + H) + D, d->hs + (size_t)i * H,
		       (size_t)H * sizeof *d->cat);
	linear_forward(d, d->ot, d->cat, &d->pk_wc, d->pw + d->off_bc, d->N);
	for (size_t i = 0; i < (size_t)d->N * E; i++)
		d->ot[i] = nk_tanh(d->ot[i]);
	d->dropped = training && d->o.dropout > 0.0f;
	if (d->dropped)
		dropout_forward(d->od, d->mask, d->ot, d->N * E, d->o.dropout, rng);
	else
		memcpy(d->od, d->ot, (size_t)d->N * E * sizeof *d->od);
	linear_forward(d, d->probs, d->od, &d->pk_wo, d->pw + d->off_bo, d->N);
	softmax_rows(d);
}

/* forward: in = the encoder's states [T x B x D]; out = probabilities
 * [U x B x V]. */
/* The forward of dec_forward with the decoder's inputs ids [U x B];
 * training: keep what backward needs, dropout on. */
static int dec_run(dec *d, nlp_act *out, const nlp_act *in, const nlp_batch *b, const int32_t *ids,
                   int training, nlp_err *err)
{
	nlp_params rp;
	const int T = in->T, B = in->B, U = b->U, D = d->D;
	int rc;
	d->have_loss = 0;
	if (!b->dec_ids || !b->dec_len || U < 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "the decoder reads source<TAB>target pairs: train it with "
		                   "nlpipe train on pair files (see README, Sequence to sequence)");
	if (in->D != D || B != b->B)
		return nlp_err_set(err, NLP_EINTERNAL, "input width %d, expected %d", in->D, D);
	if (dec_reserve(d, T, U, B) || dec_pack(d))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	d->sB = 0; /* nothing to carry on from */
	d->T = T;
	d->U = U;
	d->B = B;
	d->N = U * B;
	d->enc = in->x;
	d->training = training;
	memcpy(d->len, b->len, (size_t)B * sizeof *d->len);
	memcpy(d->dlen, b->dec_len, (size_t)B * sizeof *d->dlen);
	if ((rc = embed_forward(d, b, ids, err)))
		return rc;
	rec_params(d->rnn, &rp);
	memcpy(rp.w, d->pw, d->n_rnn * sizeof *d->pw);
	if ((rc = rec_forward(d->rnn, &d->hs, d->x, U, B, d->dlen, training, b->rng, err)))
		return rc;
	if (d->o.att == DEC_ATT_ADDITIVE)
		linear_forward(d, d->k1, in->x, &d->pk_w1, NULL, T * B);
	attention_forward(d, in->x, d->k1, d->len, NULL, B, d->hs, T, U, B);
	dec_output(d, training, b->rng);
	out->x = d->probs;
	out->T = U;
	out->B = B;
	out->D = d->V;
	return NLP_OK;
}

/* Scheduled sampling's inputs into d->sids: b->dec_ids, each after the
 * first replaced with probability o.sampling by the most probable token of
 * the step before in d->probs. */
static void mix_inputs(dec *d, const nlp_batch *b)
{
	const int B = b->B, V = d->V;
	memcpy(d->sids, b->dec_ids, (size_t)b->U * B * sizeof *d->sids);
	for (int u = 1; u < b->U; u++)
		for (int j = 0; j < B; j++) {
			if (u >= b->dec_len[j] || nlp_rng_uniform(b->rng) >= d->o.sampling)
				continue;
			const float *pr = d->probs + ((size_t)(u - 1) * B + j) * V;
			int best = 1;
			for (int c = 2; c < V; c++)
				best = pr[c] > pr[best] ? c : best;
			d->sids[(size_t)u * B + j] = best;
		}
}

/* ---- decoding step by step ---- */

/* The cell's parameter k (0 w_ih, 1 w_hh, 2 b_ih, 3 b_hh) of layer l:
 * rec_params' blocks, four a layer, at the start of ours. */
static const float *cell_w(const dec *d, int l, int k)
{
	return d->pw + d->blocks[4 * l + k].offset;
}

static int cell_gates(const dec *d)
{
	return d->o.cell == REC_LSTM ? 4 : d->o.cell == REC_GRU ? 3 : 1;
}

/* The first step of a decoding: pack the cell's weights and combine its
 * biases as models/recurrent.c does, keep the encoder's states in [T x B x
 * D] with their lengths (and additive attention's keys), each column its
 * own source. */
static int step_begin(dec *d, const nlp_act *in, const int *len)
{
	const int H = d->H, GH = cell_gates(d) * H, T = in->T, B = in->B, nv = d->naive;
	const size_t n = (size_t)T * B;
	if (GROW(d, bsum, (size_t)d->o.layers * GH) || GROW(d, cenc, n * d->D) ||
	    GROW(d, ck1, n * d->A) || GROW(d, clen, B) || GROW(d, col, B) || dec_pack(d))
		return -1;
	for (int l = 0; l < d->o.layers; l++) {
		const int in_w = l ? H : d->E;
		const float *bih = cell_w(d, l, 2), *bhh = cell_w(d, l, 3);
		float *bs = d->bsum + (size_t)l * GH;
		for (int j = 0; j < GH; j++)
			bs[j] = bih[j] + bhh[j];
		if (d->o.cell == REC_GRU) /* b_hn goes inside r * (...) */
			memcpy(bs + 2 * H, bih + 2 * H, (size_t)H * sizeof *bs);
		if (nk_pack_b(&d->pk_ih[l], nv, 1, in_w, GH, cell_w(d, l, 0), in_w) ||
		    nk_pack_b(&d->pk_hh[l], nv, 1, H, GH, cell_w(d, l, 1), H))
			return -1;
	}
	memcpy(d->cenc, in->x, n * d->D * sizeof *d->cenc);
	if (d->o.att == DEC_ATT_ADDITIVE)
		linear_forward(d, d->ck1, d->cenc, &d->pk_w1, NULL, (int)n);
	memcpy(d->clen, len, (size_t)B * sizeof *d->clen);
	for (int b = 0; b < B; b++)
		d->col[b] = b;
	d->cT = T;
	d->cB = B;
	return 0;
}

/* A step that carries on: column b starts from the state column from[b]
 * (NULL: b) ended with, into ph, pc; and attends to its source.  Returns
 * the first bad parent, or -1. */
static int step_gather(dec *d, const int *from, int B)
{
	const size_t H = d->H, L = d->o.layers;
	for (int b = 0; b < B; b++) {
		const int p = from ? from[b] : b;
		if (p < 0 || p >= d->sB)
			return b;
		d->ncol[b] = d->col[p];
		for (size_t l = 0; l < L; l++) {
			memcpy(d->ph + (l * B + b) * H, d->kh + (l * d->sB + p) * H,
			       H * sizeof(float));
			if (d->o.cell == REC_LSTM)
				memcpy(d->pc + (l * B + b) * H, d->kc + (l * d->sB + p) * H,
				       H * sizeof(float));
		}
	}
	return -1;
}

/* One step of the cell's layers over the B inputs x [B x E] (d->x), from
 * ph, pc (carry) or zeros: the new state into kh, kc, the last layer's
 * output into d->hs. */
static void step_cell(dec *d, int B, int carry)
{
	const int H = d->H, GH = cell_gates(d) * H, nv = d->naive;
	const float *x = d->x;
	for (int l = 0; l < d->o.layers; l++) {
		const size_t at = (size_t)l * B * H;
		const float *bs = d->bsum + (size_t)l * GH;
		float *y = d->kh + at;
		rec_start st = {d->ph + at, d->o.cell == REC_LSTM ? d->pc + at : NULL, NULL,
		                d->shs};
		const rec_start *sp = carry ? &st : NULL;
		const rec_whh whh = {.f = &d->pk_hh[l]}; /* fp32 */
		nk_gemm_rows(nv, B, x, l ? H : d->E, &d->pk_ih[l], 0.0f, d->sg, GH);
		if (d->o.cell == REC_LSTM)
			lstm_forward(y, d->sg, d->kc + at, d->stc, &whh, bs, d->ones, 1, B, H, H, 0,
			             sp, nv);
		else if (d->o.cell == REC_GRU)
			gru_forward(y, d->sg, d->shn, d->sgh, &whh, bs, cell_w(d, l, 3) + 2 * H,
			            d->ones, 1, B, H, H, 0, sp, nv);
		else
			rnn_forward(y, d->sg, &whh, bs, d->ones, 1, B, H, H, 0, 0, sp, nv);
		x = y;
	}
	d->hs = x;
	d->sB = B;
}

/* The step's workspaces for B columns; the kept state (kh, kc, col) only
 * with kept != 0, after step_gather has read it (growing loses it). */
static int step_reserve(dec *d, int B, int kept)
{
	const size_t H = d->H, LBH = (size_t)d->o.layers * B * H, GH = cell_gates(d) * H;
	if (kept)
		return GROW(d, kh, LBH) || GROW(d, kc, LBH) || GROW(d, col, B);
	if (GROW(d, ph, LBH) || GROW(d, pc, LBH) || GROW(d, sg, B * GH) || GROW(d, stc, B * H) ||
	    GROW(d, shn, B * H) || GROW(d, sgh, B * GH) || GROW(d, shs, B * H) ||
	    GROW(d, ncol, B) || GROW(d, ones, B))
		return -1;
	for (int b = 0; b < B; b++)
		d->ones[b] = 1;
	return 0;
}

/* A forward of one decoder step without training (nlpipe/train.h's carry
 * and dec_from for a decoder): the same probabilities as dec_run's, from
 * the state the columns' parents ended with (carry) or from zeros (then in
 * are the encoder's states, kept for the steps that follow). */
static int dec_step(dec *d, nlp_act *out, const nlp_act *in, const nlp_batch *b, nlp_err *err)
{
	const int B = b->B, carry = b->carry;
	int rc, bad;
	d->have_loss = 0;
	for (int j = 0; j < B; j++)
		if (b->dec_len[j] != 1)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "a decoding step has one step in every column");
	if (carry && !d->sB)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "a decoding step carries on from nothing: start with a "
		                   "forward of one step from the encoder");
	if (!carry && (!in || in->B != B || in->D != d->D || !b->len))
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "a decoding step without the encoder's states");
	if (step_reserve(d, B, 0) || (!carry && step_begin(d, in, b->len)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (carry && (bad = step_gather(d, b->dec_from, B)) >= 0)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "decoding step: column %d continues column %d of %d", bad,
		                   b->dec_from ? b->dec_from[bad] : bad, d->sB);
	d->sB = 0;
	if (step_reserve(d, B, 1) || dec_reserve(d, d->cT, 1, B))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (carry)
		memcpy(d->col, d->ncol, (size_t)B * sizeof *d->col);
	d->T = d->cT;
	d->U = 1;
	d->B = B;
	d->N = B;
	d->training = 0;
	memcpy(d->dlen, b->dec_len, (size_t)B * sizeof *d->dlen);
	if ((rc = embed_forward(d, b, b->dec_ids, err)))
		return rc;
	step_cell(d, B, carry);
	attention_forward(d, d->cenc, d->ck1, d->clen, d->col, d->cB, d->hs, d->cT, 1, B);
	dec_output(d, 0, NULL);
	out->x = d->probs;
	out->T = 1;
	out->B = B;
	out->D = d->V;
	return NLP_OK;
}

/* forward: in = the encoder's states [T x B x D]; out = probabilities
 * [U x B x V]; with scheduled sampling in training, a first pass gives the
 * predictions some inputs are replaced with. */
static int dec_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                       nlp_err *err)
{
	dec *d = self;
	int rc;
	if (!b->training && b->dec_ids && b->dec_len && (b->carry || b->U == 1))
		return dec_step(d, out, in, b, err);
	if (!b->training || d->o.sampling <= 0.0f || !b->dec_ids || !b->rng)
		return dec_run(d, out, in, b, b->dec_ids, b->training, err);
	if ((rc = dec_run(d, out, in, b, b->dec_ids, 0, err)))
		return rc;
	mix_inputs(d, b);
	return dec_run(d, out, in, b, d->sids, 1, err);
}

/* ---- loss and backward ---- */

static int dec_loss(void *self, double *loss, const nlp_batch *b, nlp_err *err)
{
	dec *d = self;
	double total = 0.0;
	if (!b->dec_next)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "the decoder learns from source<TAB>target pairs");
	d->n_valid = 0;
	for (int i = 0; i < d->N; i++) {
		const int32_t y = i / d->B < d->dlen[i % d->B] ? b->dec_next[i] : -1;
		if (y >= d->V)
			return nlp_err_set(err, NLP_EDATA,
			                   "target id %d out of the vocabulary (%d ids)", (int)y,
			                   d->V);
		d->tgt[i] = y < 0 ? -1 : y;
		if (y < 0)
			continue;
		const float p = d->probs[(size_t)i * d->V + y];
		total -= log(p > 1e-30f ? p : 1e-30f);
		d->n_valid++;
	}
	*loss = d->n_valid ? total / d->n_valid : 0.0;
	d->have_loss = 1;
	return NLP_OK;
}

/* attention_backward: given dc (cat's columns [0, D), rows [U x B]): de
 * [T x B x D] (overwritten), dhs [U x B x H] added to, parameter gradients
 * added.  Returns 0, or -1 when out of memory. */
static int attention_backward(dec *d)
{
	const int T = d->T, U = d->U, B = d->B, D = d->D, H = d->H, A = d->A, N = U * B;
	const int ldc = D + H;
	const float *enc = d->enc, *v = d->pw + d->off_v;
	float *gv = d->pg + d->off_v;
	memset(d->de, 0, (size_t)T * B * D * sizeof *d->de);
	memset(d->dq, 0, (size_t)N * D * sizeof *d->dq);
	memset(d->dk1, 0, (size_t)T * B * A * sizeof *d->dk1);
	memset(d->dk2, 0, (size_t)N * A * sizeof *d->dk2);
	for (int i = 0; i < N; i++) {
		const int b = i % B, L = d->len[b];
		const float *al = d->alpha + (size_t)i * T, *dc = d->dcat + (size_t)i * ldc;
		double dot = 0.0;
		float *ds = d->ds; /* [T] the attention weights' gradients */
		for (int t = 0; t < L; t++) {
			const float *e = enc + ((size_t)t * B + b) * D;
			float *de = d->de + ((size_t)t * B + b) * D;
			float da = 0.0f;
			for (int k = 0; k < D; k++) {
				da += dc[k] * e[k];
				de[k] += al[t] * dc[k];
			}
			ds[t] = da;
			dot += (double)al[t] * da;
		}
		if (d->o.att == DEC_ATT_NONE)
			continue;
		for (int t = 0; t < L; t++) {
			const float g = al[t] * (ds[t] - (float)dot);
			const float *e = enc + ((size_t)t * B + b) * D;
			float *de = d->de + ((size_t)t * B + b) * D;
			if (d->o.att == DEC_ATT_MULTIPLICATIVE) {
				const float *q = d->q + (size_t)i * D;
				float *dq = d->dq + (size_t)i * D;
				for (int k = 0; k < D; k++) {
					dq[k] += g * e[k];
					de[k] += g * q[k];
				}
			} else {
				const float *z = d->z + ((size_t)i * T + t) * A;
				float *d1 = d->dk1 + ((size_t)t * B + b) * A,
				      *d2 = d->dk2 + (size_t)i * A;
				for (int k = 0; k < A; k++) {
					const float dz = g * v[k] * (1.0f - z[k] * z[k]);
					gv[k] += g * z[k];
					d1[k] += dz;
					d2[k] += dz;
				}
			}
		}
	}
	if (d->o.att == DEC_ATT_MULTIPLICATIVE)
		return linear_backward(d, d->dhs, d->pg + d->off_wa, NULL, d->dq, d->hs,
		                       d->pw + d->off_wa, N, H, D, 1);
	if (d->o.att == DEC_ATT_ADDITIVE)
		return linear_backward(d, d->de, d->pg + d->off_w1, NULL, d->dk1, enc,
		                       d->pw + d->off_w1, T * B, D, A, 1) ||
		       linear_backward(d, d->dhs, d->pg + d->off_w2, NULL, d->dk2, d->hs,
		                       d->pw + d->off_w2, N, H, A, 1);
	return 0;
}

/* The gradient of the mean cross-entropy with respect to the logits, in
 * probs (rows without a target zero). */
static void logits_grad(dec *d)
{
	const int V = d->V;
	const float scale = d->n_valid ? 1.0f / (float)d->n_valid : 0.0f;
	for (int i = 0; i < d->N; i++) {
		float *p = d->probs + (size_t)i * V;
		if (d->tgt[i] < 0) {
			memset(p, 0, (size_t)V * sizeof *p);
			continue;
		}
		for (int c = 0; c < V; c++)
			p[c] *= scale;
		p[d->tgt[i]] -= scale;
	}
}

/* backward: din = the gradient with respect to the encoder's states
 * [T x B x D]; parameter gradients added. */
static int dec_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                        nlp_err *err)
{
	dec *d = self;
	nlp_params rp;
	const float *dx;
	const int N = d->N, E = d->E, H = d->H, D = d->D;
	int rc;
	(void)dout;
	(void)b;
	if (!d->have_loss)
		return nlp_err_set(err, NLP_EINTERNAL, "backward without loss");
	d->have_loss = 0;
	logits_grad(d);
	/* od = the projection after dropout; ot reused for its gradient */
	if (linear_backward(d, d->ot, d->pg + d->off_wo, d->pg + d->off_bo, d->probs, d->od,
	                    d->pw + d->off_wo, N, E, d->V, 0))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (d->dropped)
		dropout_backward(d->ot, d->ot, d->mask, N * E);
	/* tanh: the forward output is od / mask; recompute from cat */
	linear_forward(d, d->od, d->cat, &d->pk_wc, d->pw + d->off_bc, N);
	for (size_t i = 0; i < (size_t)N * E; i++) {
		const float o = nk_tanh(d->od[i]);
		d->ot[i] *= 1.0f - o * o;
	}
	if (linear_backward(d, d->dcat, d->pg + d->off_wc, d->pg + d->off_bc, d->ot, d->cat,
	                    d->pw + d->off_wc, N, D + H, E, 0))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int i = 0; i < N; i++)
		memcpy(d->dhs + (size_t)i * H, d->dcat + (size_t)i * (D + H) + D,
		       (size_t)H * sizeof *d->dhs);
	if (attention_backward(d))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if ((rc = rec_backward(d->rnn, &dx, d->dhs, err)))
		return rc;
	rec_params(d->rnn, &rp);
	for (size_t i = 0; i < d->n_rnn; i++) {
		d->pg[i] += rp.g[i];
		rp.g[i] = 0.0f;
	}
	for (int i = 0; i < N; i++) {
		if (i / d->B >= d->dlen[i % d->B])
			continue;
		float *g = d->pg + d->off_emb + (size_t)d->ids[i] * E;
		const float *s = dx + (size_t)i * E;
		for (int k = 0; k < E; k++)
			g[k] += s[k];
	}
	if (din) {
		din->x = d->de;
		din->T = d->T;
		din->B = d->B;
		din->D = D;
	}
	return NLP_OK;
}

static int dec_save(void *self, nlp_buf *out, nlp_err *err)
{
	dec *d = self;
	const int own = d->o.own_vocab;
	if (nlp_buf_put_u32(out, own ? DEC_STATE_OWN : DEC_STATE_VERSION) ||
	    nlp_buf_put_u32(out, (uint32_t)d->V) || nlp_buf_put_u32(out, (uint32_t)d->D) ||
	    (own && vocab_put(out, &d->words)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

static int dec_load(void *self, nlp_cursor *in, nlp_err *err)
{
	dec *d = self;
	uint32_t version, V, D;
	if (nlp_cursor_get_u32(in, &version) || nlp_cursor_get_u32(in, &V) ||
	    nlp_cursor_get_u32(in, &D))
		return nlp_err_set(err, NLP_EDATA, "the saved decoder state is truncated");
	if (version != DEC_STATE_VERSION && version != DEC_STATE_OWN)
		return nlp_err_set(
		        err, NLP_EDATA,
		        "decoder state format %u is not supported (this module reads %d and %d): "
		        "use a newer nlpipe",
		        version, DEC_STATE_VERSION, DEC_STATE_OWN);
	if (V < 3 || V > 100000000 || D < 1 || D > 1000000)
		return nlp_err_set(err, NLP_EDATA, "the saved decoder state is corrupt");
	if ((version == DEC_STATE_OWN) != !!d->o.own_vocab)
		return nlp_err_set(err, NLP_EDATA,
		                   "the saved decoder state has %s target vocabulary but the "
		                   "model's options say vocabulary = %s: the model file is "
		                   "inconsistent",
		                   version == DEC_STATE_OWN ? "its own" : "no",
		                   d->o.own_vocab ? "own" : "shared");
	vocab_free(&d->words);
	vocab_init(&d->words);
	if (version == DEC_STATE_OWN) {
		int rc = vocab_get(&d->words, in, V, err);
		if (rc)
			return rc;
		if (vocab_find(&d->words, NLP_DEC_BOS, strlen(NLP_DEC_BOS)) < 0 ||
		    vocab_find(&d->words, NLP_DEC_EOS, strlen(NLP_DEC_EOS)) < 0)
			return nlp_err_set(err, NLP_EDATA,
			                   "the saved target vocabulary has no %s or %s: the "
			                   "model file is corrupt",
			                   NLP_DEC_BOS, NLP_DEC_EOS);
	}
	d->loaded_V = (int)V;
	d->loaded_D = (int)D;
	return NLP_OK;
}

/* vocabulary = own, training: count the target tokens of a pair (doc->in;
 * nlp_train_ops.target_id). */
static int dec_observe(void *self, const nlp_doc *doc, nlp_err *err)
{
	dec *d = self;
	const nlp_tokens *t = doc->in;
	if (!d->o.own_vocab)
		return NLP_OK;
	if (d->words.n)
		return nlp_err_set(err, NLP_EINTERNAL, "observe after the vocabulary was built");
	for (size_t i = 0; t && i < t->n; i++) {
		int rc = vocab_count(&d->counts, nlp_token(t, i), t->tlen[i], 1);
		if (rc)
			return nlp_err_set(err, rc, "%s",
			                   rc == NLP_ENOMEM ? "out of memory"
			                                    : "a target token too long");
	}
	return NLP_OK;
}

/* The target token of id (vocabulary = own), NULL out of range; NULL
 * always with a shared vocabulary (the embedding's token op tells). */
static const char *dec_token(void *self, int32_t id)
{
	const dec *d = self;
	if (!d->o.own_vocab || id < 0 || (size_t)id >= d->words.n)
		return NULL;
	return vocab_word(&d->words, (size_t)id);
}

/* nlp_train_ops.target_id: -1 with a shared vocabulary; the id of a target
 * token in the own one (<unk>'s when absent, also before it is built). */
static int32_t dec_target_id(void *self, const char *tok, size_t len)
{
	const dec *d = self;
	int32_t id;
	if (!d->o.own_vocab)
		return -1;
	id = d->words.n ? vocab_find(&d->words, tok, len) : -1;
	return id < 0 ? VOCAB_UNK : id;
}

/* The attention weights of the last forward without training, U x B rows of
 * T (none with attention = none: its weights are uniform, not learnt). */
static const float *dec_attention(void *self, int *T, int *rows)
{
	const dec *d = self;
	if (d->o.att == DEC_ATT_NONE || d->training || !d->N)
		return NULL;
	*T = d->T;
	*rows = d->N;
	return d->alpha;
}

static const nlp_train_ops dec_train = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = dec_observe,
        .setup = dec_setup,
        .params = dec_params,
        .init = dec_init,
        .forward = dec_forward,
        .loss = dec_loss,
        .backward = dec_backward,
        .save = dec_save,
        .load = dec_load,
        .token = dec_token,
        .attention = dec_attention,
        .target_id = dec_target_id,
};

const nlp_stage_class rec_decoder_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "decoder",
        .summary = "sequence-to-sequence decoder: a recurrent cell with attention over the "
                   "encoder's states, a softmax over the vocabulary at every target step",
        .options = dec_options,
        .consumes = NLP_KIND_SEQUENCE,
        .produces = NLP_KIND_SCORES,
        .create = dec_create,
        .destroy = dec_destroy,
        .process = NULL,
        .train = &dec_train,
};
