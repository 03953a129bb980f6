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

static void check_config(rec_net *n, const id_batch *bt, const char *cfg, nlp_rng *r)
{
	(void)r; /* draws nothing but the batch */
	const size_t cnt = out_count(n, 1, B);
	float *f32 = xcalloc(cnt, sizeof *f32), *q = xcalloc(cnt, sizeof *q);
	float *q1 = xcalloc(cnt, sizeof *q1), *back = xcalloc(cnt, sizeof *back);
	const float *lo = NULL;
	nlp_err err = {0};
	int taken = 0, bad = 0;
	bad |= id_batch_forward(n, f32, bt, 0, B);
	rec_set_int8(n, 1);
	bad |= id_batch_forward(n, q, bt, 0, B);
	bad = bad || id_batch_forward_alone(n, q1, bt); /* alone, unsharded */
	bad |= rec_forward_lookup(n, &lo, bt->table, V, E, bt->ids, T, B, bt->len, 0, NULL, &taken,
	                          &err);
	const double d = bad ? 1e9 : max_abs_diff(f32, q, cnt);
	char name[240];
	snprintf(name, sizeof name, "%s: int8 within %g of fp32 (%.3g)", cfg, TOL, d);
	ok(!bad && d <= TOL && d > 0.0, name);
	ok(!bad && !memcmp(q, q1, cnt * sizeof *q) && taken && !memcmp(q, lo, cnt * sizeof *q),
	   "... the same bits alone or in a sharded batch, by lookup or not");
	rec_set_int8(n, 0);
	bad |= id_batch_forward(n, back, bt, 0, B);
	ok(!bad && !memcmp(f32, back, cnt * sizeof *q), "... fp32 again after rec_set_int8(0)");
	free(f32), free(q), free(q1), free(back);
}

/* New parameters after rec_set_int8(0): the next int8 forward quantizes them. */
static void check_requantize(const float *table, nlp_rng *r)
{
	rec_net *a = make_net(REC_LSTM, E, HID, 2, 0, REC_POOL_LAST, 1);
	rec_net *b = make_net(REC_LSTM, E, HID, 2, 0, REC_POOL_LAST, 1);
	id_batch bt = id_batch_new(table, V, E, T, B, r);
	const size_t cnt = out_count(a, 1, B);
	float *qa = xcalloc(cnt, sizeof *qa), *qb = xcalloc(cnt, sizeof *qb);
	nlp_params pa, pb;
	nlp_rng s;
	int bad = 0;
	rec_set_int8(a, 1);
	bad |= id_batch_forward(a, qa, &bt, 0, B); /* quantizes the first parameters */
	rec_set_int8(a, 0);
	rec_params(a, &pa);
	rec_params(b, &pb);
	nlp_rng_seed(&s, 99);
	for (size_t i = 0; i < pa.count; i++)
		pa.w[i] = pb.w[i] = 0.3f * nlp_rng_normal(&s);
	rec_set_int8(a, 1);
	rec_set_int8(b, 1);
	bad |= id_batch_forward(a, qa, &bt, 0, B) | id_batch_forward(b, qb, &bt, 0, B);
	ok(!bad && !memcmp(qa, qb, cnt * sizeof *qa),
	   "new parameters after rec_set_int8(0): quantized afresh");
	free(qa), free(qb);
	id_batch_free(&bt);
	rec_free(a);
	rec_free(b);
}

int main(void)
{
	float table[V * E];
	nlp_rng r;
	nlp_rng_seed(&r, 4);
	random_table(table, V, E, &r);
	plan(EACH_CONFIG * 3 + 1);
	diag("int8 kernel: %s", rec_int8_kernel());
	each_config(check_config, table, V, E, HID, T, B, &r);
	check_requantize(table, &r);
	return done_testing();
}
