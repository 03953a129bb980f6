/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_head.c - the softmax and sigmoid heads: dense layers (BLAS against a
 * naive reference), losses and heads against PyTorch 1.13 fixtures,
 * finite-difference gradient checks, errors, state save/load. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/train.h>

#include "models/blas.h"
#include "models/dense.h"
#include "models/head.h"
#include "ref/layers_fixture.h"

/* Gradient check tolerance: |analytic - numeric| <= GC_ATOL + GC_RTOL |numeric|,
 * central differences with step GC_EPS on float parameters. */
#define GC_EPS  1e-3
#define GC_ATOL 5e-4
#define GC_RTOL 1e-2

static double gc_worst_rel; /* worst |a - n| / max(|n|, 1e-2) over all checks */

static void fill(float *x, int n, nlp_rng *r, float scale)
{
	for (int i = 0; i < n; i++)
		x[i] = scale * nlp_rng_normal(r);
}

static const nlp_train_ops *ops_of(const head_opts *o)
{
	return (o->sigmoid ? &nn_sigmoid_class : &nn_softmax_class)->train;
}

/* ---- dense layers: BLAS against the naive loops ---- */
static void test_dense_blas(void)
{
	nlp_rng r;
	int shapes[][3] = {{1, 1, 1}, {3, 5, 4}, {17, 33, 9}, {32, 128, 64}};

	nlp_rng_seed(&r, 1);
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int B = shapes[s][0], NI = shapes[s][1], NO = shapes[s][2];
		float *x = malloc(sizeof(float) * B * NI), *w = malloc(sizeof(float) * NO * NI);
		float *bias = malloc(sizeof(float) * NO), *d = malloc(sizeof(float) * B * NO);
		float *y1 = malloc(sizeof(float) * B * NO), *y2 = malloc(sizeof(float) * B * NO);
		float *dx1 = malloc(sizeof(float) * B * NI), *dx2 = malloc(sizeof(float) * B * NI);
		float *dw1 = calloc((size_t)NO * NI, sizeof(float));
		float *dw2 = calloc((size_t)NO * NI, sizeof(float));
		float *db1 = calloc((size_t)NO, sizeof(float)),
		      *db2 = calloc((size_t)NO, sizeof(float));
		double *ref = malloc(sizeof(double) * ((size_t)NO * NI + (size_t)B * NI + B * NO));
		char what[100];

		fill(x, B * NI, &r, 1);
		fill(w, NO * NI, &r, 1);
		fill(bias, NO, &r, 1);
		fill(d, B * NO, &r, 1);
		dense_ws ws = {0};
		dense_forward(y1, x, w, bias, B, NI, NO, &ws);
		dense_forward_naive(y2, x, w, bias, B, NI, NO);
		/* accumulate twice: += semantics */
		for (int k = 0; k < 2; k++) {
			dense_backward(dx1, dw1, db1, d, x, w, B, NI, NO, 0, &ws);
			dense_backward_naive(dx2, dw2, db2, d, x, w, B, NI, NO);
		}
		snprintf(what, sizeof what, "dense %dx%d->%d: forward BLAS = naive", B, NI, NO);
		for (int i = 0; i < B * NO; i++)
			ref[i] = y2[i];
		close_to(y1, ref, B * NO, 1e-5, 1e-5, what);
		snprintf(what, sizeof what, "dense %dx%d->%d: backward dx BLAS = naive", B, NI, NO);
		for (int i = 0; i < B * NI; i++)
			ref[i] = dx2[i];
		close_to(dx1, ref, B * NI, 1e-5, 1e-5, what);
		snprintf(what, sizeof what, "dense %dx%d->%d: backward dw (+=) BLAS = naive", B, NI,
		         NO);
		for (int i = 0; i < NO * NI; i++)
			ref[i] = dw2[i];
		close_to(dw1, ref, NO * NI, 1e-5, 1e-5, what);
		snprintf(what, sizeof what, "dense %dx%d->%d: backward db BLAS = naive", B, NI, NO);
		for (int i = 0; i < NO; i++)
			ref[i] = db2[i];
		close_to(db1, ref, NO, 1e-5, 1e-5, what);
		free(x), free(w), free(bias), free(d), free(y1), free(y2), free(dx1), free(dx2);
		free(dw1), free(dw2), free(db1), free(db2), free(ref);
		dense_ws_free(&ws);
	}
}

/* The backward's split over threads (rows of dw and of din) gives the same
 * bits as one thread, at a size where it splits; and dw is within the
 * error bound of a float sum of B products, B u sum_b |dout x| (u = 2^-24),
 * of the exact one (the naive loop's double sum). */
static void test_dense_threads(void)
{
	enum { B = 301, NI = 96, NO = 200 };
	nlp_rng r;
	float *x = malloc(sizeof(float) * B * NI), *w = malloc(sizeof(float) * NO * NI);
	float *d = malloc(sizeof(float) * B * NO), *db = calloc(NO, sizeof(float));
	float *dx[2], *dw[2];
	const int blas = nk_blas_threads(0);

	nlp_rng_seed(&r, 5);
	fill(x, B * NI, &r, 1);
	fill(w, NO * NI, &r, 1);
	fill(d, B * NO, &r, 1);
	for (int t = 0; t < 2; t++) {
		dense_ws ws = {0};
		dx[t] = malloc(sizeof(float) * B * NI);
		dw[t] = calloc((size_t)NO * NI, sizeof(float));
		nk_blas_threads(t ? 3 : 1);
		ok(dense_backward(dx[t], dw[t], db, d, x, w, B, NI, NO, 0, &ws) == 0,
		   t ? "dense 301x96->200 backward on 3 threads"
		     : "dense 301x96->200 backward on 1 thread");
		dense_ws_free(&ws);
	}
	nk_blas_threads(blas);
	float *ref = calloc((size_t)NO * NI, sizeof(float)), *rdx = malloc(sizeof(float) * B * NI);
	float *rdb = calloc(NO, sizeof(float));
	int worst = 0;
	double worst_ratio = 0;
	dense_backward_naive(rdx, ref, rdb, d, x, w, B, NI, NO);
	for (int o = 0; o < NO; o++)
		for (int i = 0; i < NI; i++) {
			double mag = 0;
			for (int b = 0; b < B; b++)
				mag += fabs((double)d[(size_t)b * NO + o] * x[(size_t)b * NI + i]);
			const double e =
			        fabs((double)dw[0][(size_t)o * NI + i] - ref[(size_t)o * NI + i]);
			const double bound =
			        B * ldexp(mag, -24) + 1e-6 * fabs(ref[(size_t)o * NI + i]);
			if (e / bound > worst_ratio) {
				worst_ratio = e / bound;
				worst = o * NI + i;
			}
		}
	ok(worst_ratio <= 1.0, "dense 301x96->200 backward: dw within the float-sum bound");
	diag("worst dw error / bound %.3g (element %d)", worst_ratio, worst);
	free(ref), free(rdx), free(rdb);
	ok(!memcmp(dw[0], dw[1], sizeof(float) * NO * NI),
	   "dense backward: dw on 3 threads = on 1, to the bit");
	ok(!memcmp(dx[0], dx[1], sizeof(float) * B * NI),
	   "dense backward: dx on 3 threads = on 1, to the bit");
	for (int t = 0; t < 2; t++)
		free(dx[t]), free(dw[t]);
	free(x), free(w), free(d), free(db);
}

/* ---- losses against PyTorch ---- */
static void test_xent_fixtures(void)
{
	float logits[20], w[4], probs[20], d[20], targets[20];
	int labels[5];
	const double *lab = fx_get("xent.labels", NULL);
	double loss;

	fx_floats(logits, "xent.logits", 20);
	fx_floats(w, "xent.weights", 4);
	fx_floats(targets, "xent.targets", 20);
	for (int i = 0; i < 5; i++)
		labels[i] = (int)lab[i];

	loss = softmax_xent(probs, d, logits, labels, NULL, NULL, 5, 4);
	is_double(loss, fx_get("xent.plain.loss", NULL)[0], 1e-5,
	          "cross-entropy loss (logits up to +-90)");
	close_fx(d, "xent.plain.dlogits", 20, 1e-7, 1e-5);
	close_fx(probs, "xent.plain.probs", 20, 1e-7, 1e-5);
	loss = softmax_xent(probs, d, logits, labels, NULL, w, 5, 4);
	is_double(loss, fx_get("xent.weighted.loss", NULL)[0], 1e-5, "weighted cross-entropy loss");
	close_fx(d, "xent.weighted.dlogits", 20, 1e-7, 1e-5);
	loss = softmax_xent(probs, d, logits, NULL, targets, w, 5, 4);
	is_double(loss, fx_get("xent.soft.loss", NULL)[0], 1e-4,
	          "cross-entropy with probability targets and weights");
	close_fx(d, "xent.soft.dlogits", 20, 1e-7, 1e-5);

	/* sigmoid cross-entropy stays finite for large |z| */
	{
		float z[4] = {100.0f, -100.0f, 30.0f, -30.0f}, t[4] = {0, 1, 1, 0}, p[4], dz[4];
		double l = sigmoid_xent(p, dz, z, t, NULL, 4, 4);
		is_double(l, 50.0, 1e-9, "sigmoid cross-entropy is exact and finite for |z| = 100");
		ok(p[0] == 1.0f && p[1] < 1e-30f && isfinite(dz[0]) && isfinite(dz[1]),
		   "sigmoid saturates without NaN");
	}
}

/* ---- heads: build, set parameters, run forward/loss/backward ---- */
typedef struct run {
	void *h;
	const nlp_train_ops *ops;
	nlp_params p;
	nlp_act in, out, din;
	nlp_batch b;
	nlp_rng rng;
	uint64_t seed;
} run;

static int run_make(run *r, const head_opts *o, int D, int C, nlp_err *err)
{
	int out_dim = 0, rc;

	memset(r, 0, sizeof *r);
	r->ops = ops_of(o);
	if ((rc = head_new(&r->h, "head", o, err)))
		return rc;
	if ((rc = r->ops->setup(r->h, D, C, &out_dim, err)))
		return rc;
	if (out_dim != C)
		return nlp_err_set(err, NLP_EINTERNAL, "out_dim %d", out_dim);
	r->ops->params(r->h, &r->p);
	return NLP_OK;
}

static double run_loss(run *r, int backward)
{
	nlp_err err = {0};
	double loss = NAN;

	nlp_rng_seed(&r->rng, r->seed);
	r->b.rng = &r->rng;
	if (backward)
		memset(r->p.g, 0, r->p.count * sizeof(float));
	if (r->ops->forward(r->h, &r->out, &r->in, &r->b, &err) ||
	    r->ops->loss(r->h, &loss, &r->b, &err) ||
	    (backward && r->ops->backward(r->h, &r->din, NULL, &r->b, &err))) {
		diag("head error: %s", err.msg);
		return NAN;
	}
	return loss;
}

/* Finite-difference check of every parameter and every input. */
static void gradcheck(run *r, const char *what)
{
	int n_in = r->in.B * r->in.D;
	float *ga = malloc(r->p.count * sizeof(float)), *gx = malloc(n_in * sizeof(float));
	double worst = 0, worst_rel = 0;
	int bad = 0;
	char name[200];

	run_loss(r, 1);
	memcpy(ga, r->p.g, r->p.count * sizeof(float));
	memcpy(gx, r->din.x, n_in * sizeof(float));
	for (size_t i = 0; i < r->p.count + (size_t)n_in; i++) {
		float *x = i < r->p.count ? &r->p.w[i] : &r->in.x[i - r->p.count];
		float a = i < r->p.count ? ga[i] : gx[i - r->p.count], keep = *x;
		double lp, lm, num, err;
		*x = keep + (float)GC_EPS;
		lp = run_loss(r, 0);
		*x = keep - (float)GC_EPS;
		lm = run_loss(r, 0);
		*x = keep;
		num = (lp - lm) / (2 * GC_EPS);
		err = fabs(a - num);
		if (!(err <= GC_ATOL + GC_RTOL * fabs(num))) {
			if (bad++ < 5)
				diag("%s: %s %zu: analytic %.6g numeric %.6g", what,
				     i < r->p.count ? "param" : "input",
				     i < r->p.count ? i : i - r->p.count, a, num);
		}
		if (err > worst)
			worst = err;
		if (err / fmax(fabs(num), 1e-2) > worst_rel)
			worst_rel = err / fmax(fabs(num), 1e-2);
	}
	if (worst_rel > gc_worst_rel)
		gc_worst_rel = worst_rel;
	snprintf(name, sizeof name, "gradient check %s (%zu params, %d inputs; worst abs err %.2g)",
	         what, r->p.count, n_in, worst);
	ok(bad == 0, name);
	free(ga);
	free(gx);
}

static void run_free(run *r)
{
	if (r->h)
		nn_softmax_class.destroy(r->h); /* both classes share destroy */
	r->h = NULL;
}

/* A head against one PyTorch case of tests/ref/layers.py. */
static void test_case(const char *name, int sigmoid, int tanh)
{
	char key[100];
	const double *shape, *lab;
	int ns, B, D, L, C, n;
	head_opts o = {.sigmoid = sigmoid, .tanh = tanh, .threshold = 0.5f};
	run r;
	nlp_err err = {0};
	int *labels;
	float *x, *w = NULL, *t = NULL;
	double loss;

	snprintf(key, sizeof key, "%s.shape", name);
	shape = fx_get(key, &ns);
	B = (int)shape[0], D = (int)shape[1], L = (int)shape[2], C = (int)shape[3 + L];
	o.n_hidden = L;
	for (int l = 0; l < L; l++)
		o.hidden[l] = (int)shape[3 + l];
	if (run_make(&r, &o, D, C, &err)) {
		ok(0, name);
		diag("%s", err.msg);
		return;
	}
	x = malloc(sizeof(float) * B * D);
	labels = malloc(sizeof(int) * B);
	snprintf(key, sizeof key, "%s.x", name);
	fx_floats(x, key, B * D);
	snprintf(key, sizeof key, "%s.labels", name);
	lab = fx_get(key, NULL);
	for (int i = 0; i < B; i++)
		labels[i] = (int)lab[i];
	snprintf(key, sizeof key, "%s.weights", name);
	fx_get(key, &n);
	if (n) {
		w = malloc(sizeof(float) * n);
		fx_floats(w, key, n);
	}
	snprintf(key, sizeof key, "%s.params", name);
	fx_floats(r.p.w, key, (int)r.p.count);
	r.in = (nlp_act){x, 1, B, D};
	r.b = (nlp_batch){.B = B, .T = 1, .labels = labels, .weights = w};
	if (sigmoid && C != 2) {
		t = malloc(sizeof(float) * B * C);
		snprintf(key, sizeof key, "%s.targets", name);
		fx_floats(t, key, B * C);
		r.b.targets = t;
		r.b.labels = NULL;
	}
	loss = run_loss(&r, 1);
	snprintf(key, sizeof key, "%s.loss", name);
	snprintf(key + 50, 50, "%s: loss", name);
	is_double(loss, fx_get(key, NULL)[0], 1e-5, key + 50);
	snprintf(key, sizeof key, "%s.probs", name);
	close_fx(r.out.x, key, B * C, 1e-6, 1e-5);
	snprintf(key, sizeof key, "%s.dx", name);
	close_fx(r.din.x, key, B * D, 1e-6, 1e-4);
	snprintf(key, sizeof key, "%s.dparams", name);
	close_fx(r.p.g, key, (int)r.p.count, 1e-6, 1e-4);
	gradcheck(&r, name);
	run_free(&r);
	free(x), free(labels), free(w), free(t);
}

/* Dropout before the head: the check holds with the mask fixed (same seed),
 * and dropout is off when not training. */
static void test_dropout(void)
{
	head_opts o = {.sigmoid = 0, .tanh = 1, .dropout = 0.5f, .n_hidden = 1, .hidden = {6}};
	int B = 4, D = 5, C = 3, labels[4] = {0, 2, 1, 2};
	float x[20];
	run r;
	nlp_err err = {0};
	nlp_rng g;
	float p1[12];

	nlp_rng_seed(&g, 7);
	fill(x, B * D, &g, 1);
	if (run_make(&r, &o, D, C, &err)) {
		ok(0, "dropout head");
		diag("%s", err.msg);
		return;
	}
	r.ops->init(r.h, &g);
	r.in = (nlp_act){x, 1, B, D};
	r.b = (nlp_batch){.B = B, .T = 1, .labels = labels, .training = 1};
	r.seed = 99;
	gradcheck(&r, "softmax, tanh hidden, dropout 0.5 (fixed mask)");
	r.b.training = 0;
	run_loss(&r, 0);
	memcpy(p1, r.out.x, sizeof p1);
	r.seed = 12345;
	run_loss(&r, 0);
	ok(memcmp(p1, r.out.x, sizeof p1) == 0, "no dropout at inference: the RNG does not matter");
	r.b.training = 1;
	run_loss(&r, 0);
	ok(memcmp(p1, r.out.x, sizeof p1) != 0, "dropout changes training outputs");
	run_free(&r);
}

/* More gradient checks on random heads: multi-label from labels, weights,
 * relu layers, a single-label sigmoid. */
static void test_more_gradchecks(void)
{
	struct {
		head_opts o;
		int C, weighted, targets;
		const char *what;
	} cases[] = {
	        {{.sigmoid = 1, .tanh = 1, .n_hidden = 2, .hidden = {4, 3}},
	         4,
	         1,
	         0,
	         "sigmoid multi-label from labels, weights, 2 tanh layers"},
	        {{.sigmoid = 1, .multi_label = 1}, 2, 0, 1, "sigmoid multi_label with 2 labels"},
	        {{.sigmoid = 1}, 1, 1, 1, "sigmoid with a single label"},
	        {{.sigmoid = 0, .n_hidden = 1, .hidden = {8}},
	         5,
	         1,
	         0,
	         "softmax, relu layer, class weights"},
	        {{.sigmoid = 0}, 3, 1, 1, "softmax with probability targets and weights"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int B = 5, D = 4, C = cases[k].C, labels[5];
		float x[20], w[5], t[25];
		run r;
		nlp_err err = {0};
		nlp_rng g;

		nlp_rng_seed(&g, 100 + k);
		fill(x, B * D, &g, 1);
		for (int i = 0; i < B; i++)
			labels[i] = (int)(nlp_rng_next(&g) % (uint64_t)C);
		for (int c = 0; c < C; c++)
			w[c] = 0.5f + nlp_rng_uniform(&g);
		for (int i = 0; i < B * C; i++)
			t[i] = nlp_rng_uniform(&g) < 0.5f ? 1.0f : 0.0f;
		if (!cases[k].o.sigmoid)
			for (int i = 0; i < B; i++) { /* distributions */
				float s = 0;
				for (int c = 0; c < C; c++)
					s += (t[i * C + c] = nlp_rng_uniform(&g));
				for (int c = 0; c < C; c++)
					t[i * C + c] /= s;
			}
		if (run_make(&r, &cases[k].o, D, C, &err)) {
			ok(0, cases[k].what);
			diag("%s", err.msg);
			continue;
		}
		r.ops->init(r.h, &g);
		r.in = (nlp_act){x, 1, B, D};
		r.b = (nlp_batch){.B = B,
		                  .T = 1,
		                  .labels = cases[k].targets ? NULL : labels,
		                  .targets = cases[k].targets ? t : NULL,
		                  .weights = cases[k].weighted ? w : NULL};
		gradcheck(&r, cases[k].what);
		run_free(&r);
	}
}

static void test_errors_and_state(void)
{
	head_opts o = {.sigmoid = 1, .n_hidden = 1, .hidden = {3}, .threshold = 0.3f};
	float th[3] = {0.2f, 0.5f, 0.9f};
	void *h = NULL, *h2 = NULL;
	const nlp_train_ops *ops = nn_sigmoid_class.train;
	nlp_err err = {0};
	int out_dim, C, labels[2] = {0, 3};
	float x[8] = {0};
	nlp_act in = {x, 1, 2, 4}, out, out2;
	nlp_batch b = {.B = 2, .T = 1, .labels = labels};
	nlp_buf buf = {0};
	nlp_cursor cur;
	double loss;
	const float *t;
	nlp_rng g;

	head_new(&h, "sig", &o, &err);
	ok(ops->setup(h, 4, 3, &out_dim, &err) == NLP_OK && out_dim == 3,
	   "sigmoid setup: 3 labels");
	t = head_thresholds(h, &C);
	ok(t && C == 3 && t[0] == 0.3f && t[2] == 0.3f, "threshold applies to every label");
	nlp_rng_seed(&g, 3);
	ops->init(h, &g);
	ops->forward(h, &out, &in, &b, &err);
	is_int(ops->loss(h, &loss, &b, &err), NLP_EDATA, "label outside the label set: NLP_EDATA");
	like(err.msg, "label index 3", "the message names the label");
	{
		nlp_param_block const *blk;
		nlp_params p;
		ops->params(h, &p);
		blk = p.blocks;
		ok(p.n_blocks == 4 && blk[0].decay == 1 && blk[1].decay == 0 &&
		           strcmp(blk[2].name, "out.weight") == 0 &&
		           blk[3].offset + blk[3].count == p.count,
		   "blocks: weights decay, biases do not; they tile the buffer");
	}
	ok(ops->save(h, &buf, &err) == NLP_OK, "head state saves");
	nn_sigmoid_class.destroy(h);

	o.thresholds = th;
	o.n_thresholds = 3;
	head_new(&h2, "sig2", &o, &err);
	cur = (nlp_cursor){buf.data, buf.data + buf.len};
	ok(ops->load(h2, &cur, &err) == NLP_OK, "head state loads");
	is_int(ops->setup(h2, 4, 5, &out_dim, &err), NLP_EDATA,
	       "loaded head with another number of labels: NLP_EDATA");
	like(err.msg, "3 outputs but there are 5 labels", "the message says both counts");
	ok(ops->setup(h2, 4, 3, &out_dim, &err) == NLP_OK, "loaded head sets up");
	t = head_thresholds(h2, &C);
	ok(t[0] == 0.2f && t[1] == 0.5f && t[2] == 0.9f, "per-label thresholds");
	for (size_t cut = 0; cut < buf.len; cut++) {
		void *h3 = NULL;
		cur = (nlp_cursor){buf.data, buf.data + cut};
		head_new(&h3, "sig3", &o, &err);
		if (ops->load(h3, &cur, &err) != NLP_EDATA) {
			ok(0, "truncated head state");
			nn_sigmoid_class.destroy(h3);
			break;
		}
		nn_sigmoid_class.destroy(h3);
		if (cut == buf.len - 1)
			ok(1, "truncated head state at every offset: NLP_EDATA");
	}
	nn_sigmoid_class.destroy(h2);

	/* thresholds count against labels */
	head_new(&h2, "sig4", &o, &err);
	is_int(ops->setup(h2, 4, 4, &out_dim, &err), NLP_ECONFIG,
	       "thresholds with 3 values for 4 labels: NLP_ECONFIG");
	like(err.msg, "thresholds has 3 values but there are 4 labels", "the message explains");
	nn_sigmoid_class.destroy(h2);

	/* bad options */
	{
		head_opts bad = {.n_hidden = 1, .hidden = {0}};
		void *hb = NULL;
		is_int(head_new(&hb, "bad", &bad, &err), NLP_ECONFIG, "hidden width 0 refused");
		bad = (head_opts){.dropout = 1.0f};
		is_int(head_new(&hb, "bad", &bad, &err), NLP_ECONFIG, "dropout 1 refused");
	}
	/* softmax needs 2 classes; workspaces are reused */
	{
		head_opts so = {0};
		void *hs = NULL;
		float xs[12] = {0};
		nlp_act ins = {xs, 1, 3, 4};
		nlp_batch bs = {.B = 3, .T = 1};
		head_new(&hs, "sm", &so, &err);
		is_int(nn_softmax_class.train->setup(hs, 4, 1, &out_dim, &err), NLP_EDATA,
		       "softmax with one label: NLP_EDATA");
		nn_softmax_class.train->setup(hs, 4, 2, &out_dim, &err);
		nn_softmax_class.train->forward(hs, &out, &ins, &bs, &err);
		ins.B = bs.B = 2;
		nn_softmax_class.train->forward(hs, &out2, &ins, &bs, &err);
		ok(out.x == out2.x, "a smaller batch reuses the workspace (no malloc per batch)");
		ins.D = 5;
		is_int(nn_softmax_class.train->forward(hs, &out2, &ins, &bs, &err), NLP_EINTERNAL,
		       "input width mismatch is refused");
		nn_softmax_class.destroy(hs);
	}
	free(buf.data);
}

int main(void)
{
	nlp_numerics_init();
	fx_load();
	test_dense_blas();
	test_dense_threads();
	test_xent_fixtures();
	test_case("softmax0", 0, 0);
	test_case("softmax2", 0, 0);
	test_case("softmax1t", 0, 1);
	test_case("binary0", 1, 0);
	test_case("binary1", 1, 1);
	test_case("multi0", 1, 0);
	test_case("multi1", 1, 1);
	test_dropout();
	test_more_gradchecks();
	test_errors_and_state();
	diag("worst fixture error / tolerance: %.3f", fx_worst_);
	diag("worst gradient-check error |a - n| / max(|n|, 1e-2): %.3g", gc_worst_rel);
	return done_testing();
}
