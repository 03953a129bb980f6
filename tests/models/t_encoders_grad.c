/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_grad.c - finite-difference gradient check of the recurrent
 * encoders: every cell (rnn tanh, rnn relu, lstm, gru) x {uni, bi} x {1, 2
 * layers} x every pooling (last, mean, max, attention, concat, and none: the
 * loss then weighs every step of the output sequence), on tiny shapes, with
 * padding (one document of length 0 included), dropout between layers (the
 * RNG is re-seeded before each forward so the mask is fixed), and a case with
 * truncation (max_tokens) for each truncate mode.
 *
 * The loss is L = sum(out * r) accumulated in double for a random r.  The
 * forward runs in float with the reference kernels (double accumulation in
 * the matrix products); the central difference uses EPS.  Every parameter
 * and every input element is checked:
 *     |fd - analytic| <= TOL * max(1, |analytic|)
 * and the input gradient at padding steps must be exactly zero.  EPS 1e-3
 * and TOL 2e-3; the worst error reached is printed (about 7e-4).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_util.h"

#define EPS 1e-3
#define TOL 2e-3
/* A coordinate where the one-sided differences disagree by more than this
 * (relative) sits on a kink (relu, max pooling's argmax switching): skipped,
 * and at most 2 % of the coordinates may be skipped. */
#define KINK 0.05

static int n_kinks;

enum { IN = 3, HID = 3, T = 4, B = 4 };
static const int lens[B] = {4, 1, 3, 0};

static double loss(rec_net *n, const float *x, const float *r, int Tn, const int *len)
{
	nlp_rng rng;
	nlp_rng_seed(&rng, 99);
	const float *o;
	nlp_err err = {0};
	if (rec_forward(n, &o, x, Tn, B, len, 1, &rng, &err) != NLP_OK) {
		printf("Bail out! forward: %s\n", err.msg);
		exit(1);
	}
	double L = 0.0;
	for (size_t i = 0; i < out_count(n, Tn, B); i++)
		L += (double)o[i] * r[i];
	return L;
}

static int kink(double lp, double lm, double L0, double fd)
{
	const double fp = (lp - L0) / EPS, fm = (L0 - lm) / EPS;
	if (fabs(fp - fm) > KINK * fmax(1.0, fabs(fd))) {
		n_kinks++;
		return 1;
	}
	return 0;
}

/* Returns the worst |fd - an| / max(1, |an|); counts checked values. */
static double check(rec_config c, int Tn, const int *len, int *checked, int *pad_ok)
{
	nlp_rng rng;
	nlp_rng_seed(&rng, 7 + c.cell * 31 + c.pool * 7 + c.layers * 3 + c.bidirectional +
	                           (c.pool == REC_POOL_NONE ? 1000 : 0));
	rec_net *n = must_new(&c);
	rec_set_naive(n, 1);
	rec_init_params(n, &rng);
	nlp_params p;
	rec_params(n, &p);
	/* Larger weights than the default init, so gates are not all near-linear. */
	for (size_t i = 0; i < p.count; i++)
		p.w[i] *= 2.0f;
	const size_t nout = out_count(n, Tn, B);
	float *x = xcalloc((size_t)Tn * B * IN, sizeof *x);
	float *r = xcalloc(nout, sizeof *r);
	fill_input(x, Tn, B, IN, len, &rng);
	for (size_t i = 0; i < nout; i++)
		r[i] = nlp_rng_normal(&rng);

	memset(p.g, 0, p.count * sizeof *p.g);
	(void)loss(n, x, r, Tn, len);
	const float *dxp;
	nlp_err err = {0};
	if (rec_backward(n, &dxp, r, &err) != NLP_OK) {
		printf("Bail out! backward: %s\n", err.msg);
		exit(1);
	}
	float *g = xcalloc(p.count, sizeof *g);
	float *dx = xcalloc((size_t)Tn * B * IN, sizeof *dx);
	memcpy(g, p.g, p.count * sizeof *g);
	memcpy(dx, dxp, (size_t)Tn * B * IN * sizeof *dx);

	const double L0 = loss(n, x, r, Tn, len);
	double worst = 0.0;
	for (size_t i = 0; i < p.count; i++) {
		const float w0 = p.w[i];
		p.w[i] = w0 + (float)EPS;
		double lp = loss(n, x, r, Tn, len);
		p.w[i] = w0 - (float)EPS;
		double lm = loss(n, x, r, Tn, len);
		p.w[i] = w0;
		double fd = (lp - lm) / (2 * EPS);
		if (kink(lp, lm, L0, fd))
			continue;
		double e = fabs(fd - g[i]) / fmax(1.0, fabs(g[i]));
		if (!(e <= worst))
			worst = e;
		(*checked)++;
	}
	*pad_ok = 1;
	for (int t = 0; t < Tn; t++)
		for (int b = 0; b < B; b++)
			for (int k = 0; k < IN; k++) {
				const size_t i = ((size_t)t * B + b) * IN + k;
				if (t >= len[b]) {
					*pad_ok &= dx[i] == 0.0f;
					continue;
				}
				const float x0 = x[i];
				x[i] = x0 + (float)EPS;
				double lp = loss(n, x, r, Tn, len);
				x[i] = x0 - (float)EPS;
				double lm = loss(n, x, r, Tn, len);
				x[i] = x0;
				double fd = (lp - lm) / (2 * EPS);
				if (kink(lp, lm, L0, fd))
					continue;
				double e = fabs(fd - dx[i]) / fmax(1.0, fabs(dx[i]));
				if (!(e <= worst))
					worst = e;
				(*checked)++;
			}
	free(x);
	free(r);
	free(g);
	free(dx);
	rec_free(n);
	return worst;
}

int main(void)
{
	double overall = 0.0;
	int total = 0;
	for (int cell = 0; cell < 4; cell++)
		for (int bi = 0; bi <= 1; bi++)
			for (int layers = 1; layers <= 2; layers++)
				for (int pool = 0; pool <= REC_POOL_CONCAT; pool++) {
					rec_config c = make_config(cell, IN, HID, layers, bi, pool);
					c.att_dim = 2;
					c.forget_bias = cell == REC_LSTM ? 0.5f : 0.0f;
					if (layers == 2)
						c.dropout = 0.3f;
					int checked = 0, pad_ok = 0;
					double w = check(c, T, lens, &checked, &pad_ok);
					total += checked;
					overall = w > overall ? w : overall;
					char name[200];
					snprintf(name, sizeof name,
					         "%s %s layers=%d pool=%s%s: %d gradients, worst "
					         "rel err %.2g",
					         cell_names[cell], bi ? "bi" : "uni", layers,
					         pool_names[pool],
					         layers == 2 ? " dropout=0.3" : "", checked, w);
					ok(w <= TOL, name);
					ok(pad_ok, "input gradient is zero at padding");
				}
	/* Truncation: documents longer than max_tokens, each mode; then pooling
	 * none with truncation (the dropped steps' outputs are zero). */
	static const int tlen[B] = {6, 5, 2, 0};
	static const char *const modes[] = {"head", "tail", "head+tail", "tail"};
	for (int mode = 0; mode < 4; mode++) {
		const int none = mode == 3;
		rec_config c = make_config(none ? REC_LSTM : REC_GRU, IN, HID, 1 + none, !none,
		                           none ? REC_POOL_NONE : REC_POOL_MEAN);
		c.max_tokens = 3;
		c.truncate = none ? REC_TRUNC_TAIL : mode;
		int checked = 0, pad_ok = 0;
		double w = check(c, 6, tlen, &checked, &pad_ok);
		total += checked;
		overall = w > overall ? w : overall;
		char name[200];
		snprintf(name, sizeof name, "%s truncate=%s max_tokens=3: worst rel err %.2g",
		         none ? "lstm uni 2 layers pooling=none" : "gru bi", modes[mode], w);
		ok(w <= TOL, name);
	}
	is_int(n_kinks > total / 50 ? n_kinks : 0, 0,
	       "at most 2 % of coordinates skipped as kinks");
	diag("%d of %d coordinates skipped as kinks", n_kinks, total);
	diag("worst relative error over all checks: %.3g (tolerance %g, eps %g)", overall, TOL,
	     EPS);
	return done_testing();
}
