/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/models/t_encoders_util.h - helpers shared by the encoder tests. */
#ifndef T_ENCODERS_UTIL_H
#define T_ENCODERS_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../models/recurrent.h"

/* Floats in the encoder's output for a batch of T steps and B documents. */
static inline size_t out_count(const rec_net *n, int T, int B)
{
	return (size_t)(rec_get_config(n)->pool == REC_POOL_NONE ? T : 1) * B * rec_out_dim(n);
}

static const char *const cell_names[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
static const char *const pool_names[] = {"last", "mean", "max", "attention", "none", "concat"};
/* The poolings to one vector per document (all but none). */
static const int vector_pools[] = {REC_POOL_LAST, REC_POOL_MEAN, REC_POOL_MAX, REC_POOL_ATTENTION,
                                   REC_POOL_CONCAT};
enum { N_VECTOR_POOLS = sizeof vector_pools / sizeof vector_pools[0] };

static inline rec_config make_config(int cell, int in, int hidden, int layers, int bi, int pool)
{
	rec_config c;
	memset(&c, 0, sizeof c);
	c.cell = cell;
	c.in = in;
	c.hidden = hidden;
	c.layers = layers;
	c.bidirectional = bi;
	c.pool = pool;
	return c;
}

static inline rec_net *must_new(const rec_config *c)
{
	rec_net *n = NULL;
	nlp_err err = {0};
	if (rec_new(&n, c, &err) != NLP_OK) {
		printf("Bail out! rec_new: %s\n", err.msg);
		exit(1);
	}
	return n;
}

/* Random sequence batch [T x B x in], zero past each length. */
static inline void fill_input(float *x, int T, int B, int in, const int *len, nlp_rng *r)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			for (int k = 0; k < in; k++)
				x[((size_t)t * B + b) * in + k] =
				        t < len[b] ? nlp_rng_normal(r) : 0.0f;
}

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

static inline double max_abs_diff(const float *a, const float *b, size_t n)
{
	double m = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - (double)b[i]);
		if (d != d)
			return INFINITY;
		if (d > m)
			m = d;
	}
	return m;
}

/* ---- The precision tests (t_encoders_int8.c, t_encoders_bf16.c) ---- */

/* A net over in -> hidden on threads threads, its lookup tables within 1 MB,
 * its parameters drawn from seed 11 + cell. */
static inline rec_net *make_net(int cell, int in, int hidden, int layers, int bi, int pool,
                                int threads)
{
	rec_config c = make_config(cell, in, hidden, layers, bi, pool);
	c.threads = threads;
	c.lookup_mb = 1;
	rec_net *n = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, 11 + (uint64_t)cell);
	rec_init_params(n, &r);
	return n;
}

/* An embedding table [V x E]: row 0 (<pad>) zeros, the others N(0, 1). */
static inline void random_table(float *table, int V, int E, nlp_rng *r)
{
	for (int i = 0; i < V * E; i++)
		table[i] = i < E ? 0.0f : nlp_rng_normal(r);
}

/* A batch of B documents of T steps at most, by token id and as rows of an
 * embedding table [V x E]. */
typedef struct id_batch {
	int T, B, V, E;
	const float *table; /* borrowed: [V x E], row 0 zeros */
	int32_t *ids;       /* [T x B]: 0 past a document's length */
	int *len;           /* [B]: document 0 the longest (T), the others 1 to T */
	float *x;           /* [T x B x E]: the ids' rows of table */
} id_batch;

/* A random batch (free it with id_batch_free). */
static inline id_batch id_batch_new(const float *table, int V, int E, int T, int B, nlp_rng *r)
{
	id_batch bt = {T, B, V, E, table, NULL, NULL, NULL};
	bt.ids = xcalloc((size_t)T * B, sizeof *bt.ids);
	bt.len = xcalloc((size_t)B, sizeof *bt.len);
	bt.x = xcalloc((size_t)T * B * E, sizeof *bt.x);
	for (int b = 0; b < B; b++)
		bt.len[b] = b == 0 ? T : 1 + (int)(nlp_rng_uniform(r) * T);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			const int32_t id =
			        t < bt.len[b] ? 1 + (int32_t)(nlp_rng_uniform(r) * (V - 1)) : 0;
			bt.ids[t * B + b] = id;
			memcpy(bt.x + ((size_t)t * B + b) * E, table + (size_t)id * E,
			       E * sizeof *bt.x);
		}
	return bt;
}

static inline void id_batch_free(id_batch *bt)
{
	free(bt->ids);
	free(bt->len);
	free(bt->x);
}

/* Inference forward of documents b0 .. b0 + nb - 1 of bt; out [nb x out_dim].
 * Nonzero, said by diag, when it fails. */
static inline int id_batch_forward(rec_net *n, float *out, const id_batch *bt, int b0, int nb)
{
	const int T = bt->T, B = bt->B, E = bt->E;
	nlp_err err = {0};
	const float *o = NULL;
	float *xb = xcalloc((size_t)T * nb * E, sizeof *xb);
	for (int t = 0; t < T; t++)
		memcpy(xb + (size_t)t * nb * E, bt->x + ((size_t)t * B + b0) * E,
		       (size_t)nb * E * sizeof *xb);
	int rc = rec_forward(n, &o, xb, T, nb, bt->len + b0, 0, NULL, &err);
	if (rc)
		diag("forward: %s", err.msg);
	else
		memcpy(out, o, out_count(n, 1, nb) * sizeof *out);
	free(xb);
	return rc;
}

/* Each document of bt alone (one at a time, so unsharded); out [B x out_dim].
 * Stops at the first failure and returns nonzero. */
static inline int id_batch_forward_alone(rec_net *n, float *out, const id_batch *bt)
{
	const size_t one = out_count(n, 1, 1);
	int rc = 0;
	for (int b = 0; b < bt->B && !rc; b++)
		rc = id_batch_forward(n, out + (size_t)b * one, bt, b, 1);
	return rc;
}

/* A check of one configuration: net n (borrowed) on batch bt, cfg the
 * configuration as test names say it ("lstm, bidirectional, 2 layers,
 * pooling mean"); r for what else it draws. */
typedef void config_check(rec_net *n, const id_batch *bt, const char *cfg, nlp_rng *r);

/* Runs check on EACH_CONFIG configurations, in this order: each cell, one
 * and two directions, one and two layers, poolings last and mean; each a
 * net of E -> hidden on 2 threads (make_net) on a new batch of B documents
 * of T steps at most of table [V x E] (id_batch_new draws it from r before
 * check runs). */
enum { EACH_CONFIG = 4 * 2 * 2 * 2 };
static inline void each_config(config_check *check, const float *table, int V, int E, int hidden,
                               int T, int B, nlp_rng *r)
{
	static const int cells[] = {REC_RNN_TANH, REC_RNN_RELU, REC_LSTM, REC_GRU};
	for (int k = 0; k < EACH_CONFIG; k++) {
		const int cell = cells[k / 8], bi = k / 4 % 2, layers = 1 + k / 2 % 2;
		const int pool = k % 2 ? REC_POOL_MEAN : REC_POOL_LAST;
		rec_net *n = make_net(cell, E, hidden, layers, bi, pool, 2);
		id_batch bt = id_batch_new(table, V, E, T, B, r);
		char cfg[80];
		snprintf(cfg, sizeof cfg, "%s, %s, %d layer%s, pooling %s", cell_names[cell],
		         bi ? "bidirectional" : "one direction", layers, layers > 1 ? "s" : "",
		         pool_names[pool]);
		check(n, &bt, cfg, r);
		id_batch_free(&bt);
		rec_free(n);
	}
}

#endif
