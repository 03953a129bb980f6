/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/models/t_encoders_util.h - helpers shared by the encoder tests. */
#ifndef T_ENCODERS_UTIL_H
#define T_ENCODERS_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../models/recurrent.h"

/* Floats in the encoder's output for a batch of T steps and B documents. */
static inline size_t out_count(const rec_net *n, int T, int B)
{
	return (size_t)(rec_get_config(n)->pool == REC_POOL_NONE ? T : 1) * B * rec_out_dim(n);
}

static const char *const cell_names[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
static const char *const pool_names[] = {"last", "mean", "max", "attention", "none"};

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

#endif
