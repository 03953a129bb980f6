/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_int8.c - the encoders at precision = int8 (rec_set_int8):
 *  - every cell (rnn tanh and relu, lstm, gru), one and two directions, one
 *    and two layers, poolings last and mean: the outputs are within a
 *    tolerance of fp32's (TOL below: the quantization error of
 *    models/gemm_int8.h carried through the steps), and not equal to them
 *    (the int8 products ran);
 *  - int8 outputs are bit-identical whether a document is alone or in a
 *    batch of 17 split over 2 threads, and by lookup or by the plain
 *    forward (both int8 with the same fp32 first-layer projection);
 *  - rec_set_int8(0) gives fp32's outputs again, bit for bit, and a change
 *    of the parameters after it is seen by the next int8 forward.
 * tests/models/t_kernels.sh runs it under every nlpipe kernel (the int8 one
 * is the scalar kernel below avx512).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_util.h"

enum { E = 12, HID = 32, V = 50, T = 30, B = 17 };

/* Largest |int8 - fp32| of an output.  The states are in [-1, 1] (relu:
 * about that at this initialisation); a step's product errs by at most
 * sb/2 sum|h| + sa/2 sum|w| (gemm_int8.h), about 0.005 here, and the
 * error of a state carries over the steps damped by the cell. */
#define TOL 0.03

static const int cells[] = {REC_RNN_TANH, REC_RNN_RELU, REC_LSTM, REC_GRU};

static rec_net *make(int cell, int layers, int bi, int pool, int threads)
{
	rec_config c = make_config(cell, E, HID, layers, bi, pool);
	c.threads = threads;
	c.lookup_mb = 1;
	rec_net *n = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, 11 + (uint64_t)cell);
	rec_init_params(n, &r);
	return n;
}

/* ids [T x B] with lengths len (document 0 the longest), x their rows of
 * table [V x E] (zeros past the lengths). */
static void make_batch(int32_t *ids, int *len, float *x, const float *table, nlp_rng *r)
{
	for (int b = 0; b < B; b++)
		len[b] = b == 0 ? T : 1 + (int)(nlp_rng_uniform(r) * T);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			const int32_t id =
			        t < len[b] ? 1 + (int32_t)(nlp_rng_uniform(r) * (V - 1)) : 0;
			ids[t * B + b] = id;
			memcpy(x + ((size_t)t * B + b) * E, table + (size_t)id * E, E * sizeof *x);
		}
}

static int forward(rec_net *n, float *out, const float *x, const int *len, int b0, int nb)
{
	nlp_err err = {0};
	const float *o = NULL;
	float *xb = xcalloc((size_t)T * nb * E, sizeof *xb);
	for (int t = 0; t < T; t++)
		memcpy(xb + (size_t)t * nb * E, x + ((size_t)t * B + b0) * E,
		       (size_t)nb * E * sizeof *xb);
	int rc = rec_forward(n, &o, xb, T, nb, len + b0, 0, NULL, &err);
	if (rc)
		diag("forward: %s", err.msg);
	else
		memcpy(out, o, out_count(n, 1, nb) * sizeof *out);
	free(xb);
	return rc;
}

static void check_config(int cell, int bi, int layers, int pool, const float *table, nlp_rng *r)
{
	int32_t ids[T * B];
	int len[B];
	float *x = xcalloc((size_t)T * B * E, sizeof *x);
	rec_net *n = make(cell, layers, bi, pool, 2);
	const size_t cnt = out_count(n, 1, B), one = cnt / B;
	float *f32 = xcalloc(cnt, sizeof *f32), *q = xcalloc(cnt, sizeof *q);
	float *q1 = xcalloc(cnt, sizeof *q1), *back = xcalloc(cnt, sizeof *back);
	const float *lo = NULL;
	nlp_err err = {0};
	int taken = 0, bad = 0;
	make_batch(ids, len, x, table, r);
	bad |= forward(n, f32, x, len, 0, B);
	rec_set_int8(n, 1);
	bad |= forward(n, q, x, len, 0, B);
	for (int b = 0; b < B && !bad; b++) /* alone, unsharded */
		bad |= forward(n, q1 + (size_t)b * one, x, len, b, 1);
	bad |= rec_forward_lookup(n, &lo, table, V, E, ids, T, B, len, 0, NULL, &taken, &err);
	const double d = bad ? 1e9 : max_abs_diff(f32, q, cnt);
	char name[240];
	snprintf(name, sizeof name, "%s, %s, %d layer%s, pooling %s: int8 within %g of fp32 (%.3g)",
	         cell_names[cell], bi ? "bidirectional" : "one direction", layers,
	         layers > 1 ? "s" : "", pool_names[pool], TOL, d);
	ok(!bad && d <= TOL && d > 0.0, name);
	ok(!bad && !memcmp(q, q1, cnt * sizeof *q) && taken && !memcmp(q, lo, cnt * sizeof *q),
	   "... the same bits alone or in a sharded batch, by lookup or not");
	rec_set_int8(n, 0);
	bad |= forward(n, back, x, len, 0, B);
	ok(!bad && !memcmp(f32, back, cnt * sizeof *q), "... fp32 again after rec_set_int8(0)");
	free(x), free(f32), free(q), free(q1), free(back);
	rec_free(n);
}

/* New parameters after rec_set_int8(0): the next int8 forward quantizes them. */
static void check_requantize(const float *table, nlp_rng *r)
{
	int32_t ids[T * B];
	int len[B];
	float *x = xcalloc((size_t)T * B * E, sizeof *x);
	rec_net *a = make(REC_LSTM, 2, 0, REC_POOL_LAST, 1);
	rec_net *b = make(REC_LSTM, 2, 0, REC_POOL_LAST, 1);
	const size_t cnt = out_count(a, 1, B);
	float *qa = xcalloc(cnt, sizeof *qa), *qb = xcalloc(cnt, sizeof *qb);
	nlp_params pa, pb;
	nlp_rng s;
	int bad = 0;
	make_batch(ids, len, x, table, r);
	rec_set_int8(a, 1);
	bad |= forward(a, qa, x, len, 0, B); /* quantizes the first parameters */
	rec_set_int8(a, 0);
	rec_params(a, &pa);
	rec_params(b, &pb);
	nlp_rng_seed(&s, 99);
	for (size_t i = 0; i < pa.count; i++)
		pa.w[i] = pb.w[i] = 0.3f * nlp_rng_normal(&s);
	rec_set_int8(a, 1);
	rec_set_int8(b, 1);
	bad |= forward(a, qa, x, len, 0, B) | forward(b, qb, x, len, 0, B);
	ok(!bad && !memcmp(qa, qb, cnt * sizeof *qa),
	   "new parameters after rec_set_int8(0): quantized afresh");
	free(x), free(qa), free(qb);
	rec_free(a);
	rec_free(b);
}

int main(void)
{
	float table[V * E];
	nlp_rng r;
	nlp_rng_seed(&r, 4);
	for (int i = 0; i < V * E; i++)
		table[i] = i < E ? 0.0f : nlp_rng_normal(&r);
	plan(4 * 2 * 2 * 2 * 3 + 1);
	diag("int8 kernel: %s", rec_int8_kernel());
	for (int c = 0; c < 4; c++)
		for (int bi = 0; bi < 2; bi++)
			for (int layers = 1; layers <= 2; layers++)
				for (int p = 0; p < 2; p++)
					check_config(cells[c], bi, layers,
					             p ? REC_POOL_MEAN : REC_POOL_LAST, table, &r);
	check_requantize(table, &r);
	return done_testing();
}
