/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_lookup.c - inference by lookup (rec_forward_lookup, plugin ABI
 * 2.5's forward_lookup): the encoder fed the embedding's table and the ids
 * gives the outputs of the plain forward on the looked-up rows bit for bit,
 * with the kernels (and once with the reference loops):
 *  - every cell (rnn tanh and relu, lstm, gru), one and two directions, one
 *    and two layers, every pooling, batches of 1, 3, 7 and 17 documents
 *    (17: two shards with threads = 2), threads 1 and 2, and truncation
 *    (max_tokens with head+tail);
 *  - over three batches in a row (words seen before come from the kept
 *    rows, new ones are made), lengths 0 included;
 *  - the lookup declines (nothing done) when lookup_mb is 0, when the
 *    tables would exceed it, or when the table's width is not the input
 *    width; an id outside the table is NLP_EDATA; a new table replaces the
 *    kept rows.
 * tests/models/t_kernels.sh runs it under every OpenBLAS core type and
 * nlpipe kernel.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_util.h"

enum { E = 5, HID = 6, V = 40, TMAX = 9, BMAX = 17 };

static const int cells[] = {REC_RNN_TANH, REC_RNN_RELU, REC_LSTM, REC_GRU};
static const int batches[] = {1, 3, 7, 17};

static rec_net *make(int cell, int layers, int bi, int pool, int threads, int max_tokens, int naive,
                     uint64_t seed)
{
	rec_config c = make_config(cell, E, HID, layers, bi, pool);
	c.threads = threads;
	c.max_tokens = max_tokens;
	c.truncate = REC_TRUNC_HEAD_TAIL;
	c.lookup_mb = 1;
	rec_net *n = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, seed);
	rec_init_params(n, &r);
	rec_set_naive(n, naive);
	return n;
}

/* A random table [V x E], row 0 (<pad>) zero, as an embedding keeps it. */
static void fill_table(float *table, nlp_rng *r)
{
	for (int v = 0; v < V; v++)
		for (int k = 0; k < E; k++)
			table[v * E + k] = v ? nlp_rng_normal(r) : 0.0f;
}

/* A batch: lengths in [0, T] (T reached), ids in [1, V) below them, 0 past. */
static void fill_batch(int32_t *ids, int *len, int T, int B, nlp_rng *r)
{
	for (int b = 0; b < B; b++)
		len[b] = b == 0 ? T : (int)(nlp_rng_uniform(r) * (T + 1));
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			ids[t * B + b] =
			        t < len[b] ? 1 + (int32_t)(nlp_rng_uniform(r) * (V - 1)) : 0;
}

/* x [T x B x E]: the embedding's inference output (rows, zeros past len). */
static void lookup_x(float *x, const float *table, const int32_t *ids, const int *len, int T, int B)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			float *d = x + ((size_t)t * B + b) * E;
			if (t < len[b])
				memcpy(d, table + (size_t)ids[t * B + b] * E, E * sizeof *d);
			else
				memset(d, 0, E * sizeof *d);
		}
}

/* Three batches through a (plain) and b (lookup): 1 when every output is
 * the same bits, else 0 with a diagnostic. */
static int same_three(rec_net *a, rec_net *b, int T, int B, const float *table, nlp_rng *r,
                      const char *what)
{
	int32_t ids[TMAX * BMAX];
	int len[BMAX];
	float x[TMAX * BMAX * E];
	nlp_err err = {0};
	for (int k = 0; k < 3; k++) {
		const float *o1 = NULL, *o2 = NULL;
		int taken = 0;
		fill_batch(ids, len, T, B, r);
		lookup_x(x, table, ids, len, T, B);
		if (rec_forward(a, &o1, x, T, B, len, 0, NULL, &err) ||
		    rec_forward_lookup(b, &o2, table, V, E, ids, T, B, len, 0, NULL, &taken,
		                       &err)) {
			diag("%s: %s", what, err.msg);
			return 0;
		}
		if (!taken) {
			diag("%s: the lookup declined", what);
			return 0;
		}
		const size_t cnt = out_count(a, T, B);
		if (memcmp(o1, o2, cnt * sizeof *o1)) {
			diag("%s, batch %d: outputs differ (max %.3g)", what, k,
			     max_abs_diff(o1, o2, cnt));
			return 0;
		}
	}
	return 1;
}

static void check_config(int cell, int bi, int layers, int pool, const float *table)
{
	nlp_rng r;
	int good = 1;
	nlp_rng_seed(&r, 100 + cell * 50 + bi * 20 + layers * 10 + pool);
	for (int k = 0; k < 4 && good; k++)
		for (int th = 1; th <= 2 && good; th++)
			for (int mt = 0; mt <= 4 && good; mt += 4) {
				const int B = batches[k];
				const uint64_t seed = 7 + (uint64_t)cell + 3u * (uint64_t)pool;
				rec_net *a = make(cell, layers, bi, pool, th, mt, 0, seed);
				rec_net *b = make(cell, layers, bi, pool, th, mt, 0, seed);
				char what[200];
				snprintf(what, sizeof what, "B %d, threads %d, max_tokens %d", B,
				         th, mt);
				good = same_three(a, b, TMAX, B, table, &r, what);
				rec_free(a);
				rec_free(b);
			}
	char name[200];
	snprintf(name, sizeof name,
	         "%s, %s, %d layer%s, pooling %s: lookup = plain forward, bit for bit "
	         "(B 1/3/7/17, threads 1/2, max_tokens 0/4, 3 batches)",
	         cell_names[cell], bi ? "bidirectional" : "one direction", layers,
	         layers > 1 ? "s" : "", pool_names[pool]);
	ok(good, name);
}

/* The reference loops (naive) too, one configuration. */
static void check_naive(const float *table)
{
	nlp_rng r;
	nlp_rng_seed(&r, 5);
	rec_net *a = make(REC_LSTM, 2, 1, REC_POOL_ATTENTION, 1, 0, 1, 9);
	rec_net *b = make(REC_LSTM, 2, 1, REC_POOL_ATTENTION, 1, 0, 1, 9);
	ok(same_three(a, b, TMAX, 3, table, &r, "naive"),
	   "lstm, bidirectional, 2 layers, attention, reference loops: bit for bit");
	rec_free(a);
	rec_free(b);
}

static int try_lookup(rec_net *n, const float *table, int rows, int cols, const int32_t *ids,
                      int *taken, nlp_err *err)
{
	const int len[2] = {2, 1};
	const float *o = NULL;
	return rec_forward_lookup(n, &o, table, rows, cols, ids, 2, 2, len, 0, NULL, taken, err);
}

static void check_declines(const float *table)
{
	const int32_t ids[4] = {3, 4, 5, 0}, bad[4] = {3, 4, V, 0};
	nlp_err err = {0};
	int taken = -1;
	rec_config c = make_config(REC_LSTM, E, HID, 1, 0, REC_POOL_LAST);
	rec_net *n = must_new(&c);

	is_int(try_lookup(n, table, V, E, ids, &taken, &err), NLP_OK, "lookup_mb 0: no error");
	is_int(taken, 0, "lookup_mb 0: declined");
	rec_free(n);

	/* 1 MiB holds V x 4H floats of a tiny table, not 100,000 x 4 x 1024 */
	c = make_config(REC_LSTM, E, 1024, 1, 1, REC_POOL_LAST);
	c.lookup_mb = 1;
	n = must_new(&c);
	float *big = xcalloc((size_t)100000 * E, sizeof *big);
	taken = -1;
	is_int(try_lookup(n, big, 100000, E, ids, &taken, &err), NLP_OK,
	       "tables over lookup_mb: no error");
	is_int(taken, 0, "tables over lookup_mb: declined");
	free(big);
	rec_free(n);

	c = make_config(REC_GRU, E, HID, 1, 0, REC_POOL_LAST);
	c.lookup_mb = 1;
	n = must_new(&c);
	taken = -1;
	is_int(try_lookup(n, table, V, E + 1, ids, &taken, &err), NLP_OK,
	       "another width: no error");
	is_int(taken, 0, "another width: declined");
	taken = -1;
	is_int(try_lookup(n, table, V, E, bad, &taken, &err), NLP_EDATA,
	       "an id outside the table: NLP_EDATA");
	like(err.msg, "outside the vocabulary (0..39)", "... naming the vocabulary's range");

	/* a new table: the kept rows are dropped, the new rows used */
	nlp_rng r;
	nlp_rng_seed(&r, 77);
	float t2[V * E];
	fill_table(t2, &r);
	const int len[2] = {2, 1};
	float x[2 * 2 * E];
	const float *o = NULL;
	float want[2 * HID];
	lookup_x(x, t2, ids, len, 2, 2);
	is_int(try_lookup(n, table, V, E, ids, &taken, &err), NLP_OK, "a first table");
	if (rec_forward(n, &o, x, 2, 2, len, 0, NULL, &err) == NLP_OK)
		memcpy(want, o, sizeof want);
	is_int(rec_forward_lookup(n, &o, t2, V, E, ids, 2, 2, len, 0, NULL, &taken, &err), NLP_OK,
	       "a second table");
	ok(taken && !memcmp(o, want, sizeof want), "a second table: its own rows are used");
	rec_free(n);
}

int main(void)
{
	float table[V * E];
	nlp_rng r;
	nlp_numerics_init();
	nlp_rng_seed(&r, 3);
	fill_table(table, &r);
	for (size_t c = 0; c < sizeof cells / sizeof *cells; c++)
		for (int bi = 0; bi <= 1; bi++)
			for (int layers = 1; layers <= 2; layers++)
				for (int pool = 0; pool <= REC_POOL_CONCAT; pool++)
					check_config(cells[c], bi, layers, pool, table);
	check_naive(table);
	check_declines(table);
	return done_testing();
}
