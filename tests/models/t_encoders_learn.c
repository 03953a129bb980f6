/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_learn.c - a task only a recurrent model can learn: each
 * sequence holds token A once and token B once among random filler tokens,
 * and its label says whether A comes before B.  Every sequence has the same
 * bag of special tokens, so a bag-of-words model is at chance (asserted
 * below with a logistic regression on token counts); LSTM and GRU must reach
 * >= 95 % held-out accuracy within a few seconds.
 *
 * The input is a fixed one-hot encoding of the tokens and the readout a
 * logistic regression on the pooled encoder output, both inside this test,
 * trained with Adam: the test depends on the encoder alone.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "t_encoders_util.h"

enum { V = 10, TMAX = 16, TMIN = 6, BATCH = 32, STEPS = 600, NTEST = 1000 };

typedef struct adam {
	float *m, *v;
	size_t n;
	int t;
} adam;

static void adam_step(adam *a, float *w, const float *g, size_t n, float lr)
{
	const float b1 = 0.9f, b2 = 0.999f;
	a->t++;
	const float c1 = 1.0f - powf(b1, (float)a->t), c2 = 1.0f - powf(b2, (float)a->t);
	for (size_t i = 0; i < n; i++) {
		a->m[i] = b1 * a->m[i] + (1 - b1) * g[i];
		a->v[i] = b2 * a->v[i] + (1 - b2) * g[i] * g[i];
		w[i] -= lr * (a->m[i] / c1) / (sqrtf(a->v[i] / c2) + 1e-8f);
	}
}

/* A batch: one-hot x [T x B x V], lengths, labels. */
static int make_batch(float *x, int *len, int *label, int B, nlp_rng *r)
{
	int T = 0;
	for (int b = 0; b < B; b++) {
		len[b] = TMIN + (int)(nlp_rng_next(r) % (TMAX - TMIN + 1));
		T = len[b] > T ? len[b] : T;
	}
	memset(x, 0, sizeof(float) * (size_t)T * B * V);
	for (int b = 0; b < B; b++) {
		const int L = len[b];
		int pa = (int)(nlp_rng_next(r) % (uint64_t)L), pb;
		do
			pb = (int)(nlp_rng_next(r) % (uint64_t)L);
		while (pb == pa);
		label[b] = pa < pb;
		for (int t = 0; t < L; t++) {
			int tok = t == pa ? 0 : t == pb ? 1 : 2 + (int)(nlp_rng_next(r) % (V - 2));
			x[((size_t)t * B + b) * V + tok] = 1.0f;
		}
	}
	return T;
}

/* Train encoder + logistic readout; return held-out accuracy. */
static double train_eval(int cell, double *secs)
{
	rec_config c = make_config(cell, V, 24, 1, 0, REC_POOL_LAST);
	rec_net *n = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, 2024);
	rec_init_params(n, &r);
	nlp_params p;
	rec_params(n, &p);
	const int D = rec_out_dim(n);
	float *rw = xcalloc((size_t)D + 1, sizeof(float)),
	      *rg = xcalloc((size_t)D + 1, sizeof(float));
	for (int j = 0; j < D; j++)
		rw[j] = 0.1f * nlp_rng_normal(&r);
	adam ae = {xcalloc(p.count, sizeof(float)), xcalloc(p.count, sizeof(float)), p.count, 0};
	adam ar = {xcalloc((size_t)D + 1, sizeof(float)), xcalloc((size_t)D + 1, sizeof(float)),
	           (size_t)D + 1, 0};
	float *x = xcalloc((size_t)TMAX * NTEST * V, sizeof(float));
	float *dout = xcalloc((size_t)NTEST * D, sizeof(float));
	int len[NTEST], label[NTEST];
	nlp_err err = {0};
	clock_t t0 = clock();
	for (int s = 0; s < STEPS; s++) {
		const int T = make_batch(x, len, label, BATCH, &r);
		const float *h, *dx;
		if (rec_forward(n, &h, x, T, BATCH, len, 1, &r, &err)) {
			printf("Bail out! %s\n", err.msg);
			exit(1);
		}
		memset(rg, 0, sizeof(float) * ((size_t)D + 1));
		for (int b = 0; b < BATCH; b++) {
			double z = rw[D];
			for (int j = 0; j < D; j++)
				z += rw[j] * h[b * D + j];
			const float pr = (float)(1.0 / (1.0 + exp(-z)));
			const float dz = (pr - (float)label[b]) / BATCH;
			for (int j = 0; j < D; j++) {
				rg[j] += dz * h[b * D + j];
				dout[b * D + j] = dz * rw[j];
			}
			rg[D] += dz;
		}
		memset(p.g, 0, p.count * sizeof(float));
		if (rec_backward(n, &dx, dout, &err)) {
			printf("Bail out! %s\n", err.msg);
			exit(1);
		}
		adam_step(&ae, p.w, p.g, p.count, 0.01f);
		adam_step(&ar, rw, rg, (size_t)D + 1, 0.01f);
	}
	*secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	nlp_rng_seed(&r, 777); /* held-out sequences */
	const int T = make_batch(x, len, label, NTEST, &r);
	const float *h;
	int right = 0;
	rec_forward(n, &h, x, T, NTEST, len, 0, NULL, &err);
	for (int b = 0; b < NTEST; b++) {
		double z = rw[D];
		for (int j = 0; j < D; j++)
			z += rw[j] * h[b * D + j];
		right += (z > 0) == (label[b] == 1);
	}
	free(rw);
	free(rg);
	free(ae.m);
	free(ae.v);
	free(ar.m);
	free(ar.v);
	free(x);
	free(dout);
	rec_free(n);
	return (double)right / NTEST;
}

/* Bag of words: logistic regression on token counts, same data. */
static double bag_of_words(void)
{
	nlp_rng r;
	nlp_rng_seed(&r, 2024);
	float w[V + 1] = {0}, g[V + 1];
	float *x = xcalloc((size_t)TMAX * NTEST * V, sizeof(float));
	int len[NTEST], label[NTEST];
	adam a = {xcalloc(V + 1, sizeof(float)), xcalloc(V + 1, sizeof(float)), V + 1, 0};
	float cnt[V];
	for (int s = 0; s < STEPS; s++) {
		const int T = make_batch(x, len, label, BATCH, &r);
		memset(g, 0, sizeof g);
		for (int b = 0; b < BATCH; b++) {
			memset(cnt, 0, sizeof cnt);
			for (int t = 0; t < T; t++)
				for (int k = 0; k < V; k++)
					cnt[k] += x[((size_t)t * BATCH + b) * V + k];
			double z = w[V];
			for (int k = 0; k < V; k++)
				z += w[k] * cnt[k];
			const float dz = (float)(1.0 / (1.0 + exp(-z))) - (float)label[b];
			for (int k = 0; k < V; k++)
				g[k] += dz * cnt[k] / BATCH;
			g[V] += dz / BATCH;
		}
		adam_step(&a, w, g, V + 1, 0.01f);
	}
	nlp_rng_seed(&r, 777);
	const int T = make_batch(x, len, label, NTEST, &r);
	int right = 0;
	for (int b = 0; b < NTEST; b++) {
		memset(cnt, 0, sizeof cnt);
		for (int t = 0; t < T; t++)
			for (int k = 0; k < V; k++)
				cnt[k] += x[((size_t)t * NTEST + b) * V + k];
		double z = w[V];
		for (int k = 0; k < V; k++)
			z += w[k] * cnt[k];
		right += (z > 0) == (label[b] == 1);
	}
	free(x);
	free(a.m);
	free(a.v);
	return (double)right / NTEST;
}

int main(void)
{
	nlp_numerics_init();
	plan(5);
	double bow = bag_of_words();
	char name[160];
	snprintf(name, sizeof name, "bag of words is near chance on the order task (%.1f %%)",
	         100 * bow);
	ok(bow > 0.40 && bow < 0.60, name);
	static const int cells[] = {REC_LSTM, REC_GRU};
	static const char *const names[] = {"LSTM", "GRU"};
	for (int i = 0; i < 2; i++) {
		double secs;
		double acc = train_eval(cells[i], &secs);
		snprintf(name, sizeof name,
		         "%s learns token order: %.1f %% held-out accuracy (%d steps, %.2f s)",
		         names[i], 100 * acc, STEPS, secs);
		ok(acc >= 0.95, name);
		snprintf(name, sizeof name, "%s trains in seconds (%.2f s CPU)", names[i], secs);
		ok(secs < 20.0, name);
	}
	return done_testing();
}
