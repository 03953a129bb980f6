/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_bf16.c - the encoders at precision = bf16 (rec_set_bf16):
 *  - every cell (rnn tanh and relu, lstm, gru), one and two directions, one
 *    and two layers, poolings last and mean: the outputs are within TOL of
 *    fp32's (bf16's rounding carried through the steps, below), and not
 *    equal to them (the bf16 products ran);
 *  - bf16 outputs are bit-identical whether a document is alone or in a
 *    batch of 17 split over 2 threads, and by lookup or by the plain
 *    forward (the fp32 rows the lookup kept before are not used);
 *  - rec_set_bf16(0) gives fp32's outputs again, bit for bit, by lookup or
 *    not;
 *  - training, the same configurations: the parameter gradients and dx of
 *    a bf16 forward and backward are within GTOL (relative, in norm) of
 *    fp32's, or for relu within KINKS times what rounding only x and the
 *    parameters to bf16 does (the control), not equal to fp32's, dx zero at
 *    padding; after rec_set_bf16(0) fp32's bits again;
 *  - one step on x and parameters that are bf16 already: the outputs and
 *    the weight gradients are fp32's up to the summation order (the weight
 *    gradients stay fp32), dx is not (the backward's dG W_ih is bf16);
 *  - against PyTorch (tests/ref/encoders.txt, read as t_encoders_ref.c
 *    reads it: t_encoders_fixtures.h): out, the parameter gradients and dx
 *    within REF_ABS + REF_REL |torch| elementwise (one case on a relu kink:
 *    against the control).
 * Without AVX512_BF16 (or under NLPIPE_MAX_CPU_ISA below avx512) the net
 * must stay fp32 (rec_set_bf16 returns 0, the outputs are fp32's bits:
 * "Bail out!" otherwise) and the rest is skipped.
 * tests/models/t_kernels.sh runs it under every OpenBLAS core type and
 * nlpipe kernel.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_fixtures.h"
#include "../../models/gemm_bf16.h"

enum { E = 12, HID = 32, V = 50, T = 30, B = 17 };

/* Largest |bf16 - fp32| of an output.  bf16 keeps 8 significant bits, so
 * rounding an operand errs by at most 2^-9 relative, a product a b by
 * 2^-8 |a b|, and a dot product by about 2^-8 sum |a_k b_k| (the fp32
 * accumulation adds K 2^-24 of it: nothing).  Here x is N(0, 1) (E = 12),
 * the weights U(-1/sqrt(32), 1/sqrt(32)) (mean |w| 0.088) and the states
 * in [-1, 1] (relu: about that at this initialisation): sum |x w| is about
 * 0.85 and sum |h w| at most 2.8, so a gate's pre-activation errs by at
 * most 2^-8 * 3.7 = 0.015, and, the rounding errors' signs being random,
 * typically by 2^-9 sqrt(2 sum (a w)^2) = 1e-3.  The cells pass it on
 * damped (tanh' <= 1, sigmoid' <= 1/4), and each step carries the previous
 * state's error times about W_hh's spectral radius (1/sqrt(3) at this
 * init), so it settles near 2.5 times a step's: 2.5e-3 typical, and the
 * largest of the 17 x 64 outputs 3 to 4 times that, 0.01.  Measured: at
 * most 4.6e-3 (rnn relu, 2 layers). */
#define TOL 0.01
/* ||g_bf16 - g_fp32|| <= tol ||g_fp32|| for the parameter gradients and
 * dx, tol = max(GTOL, KINKS * c) where c is the same for the control (a
 * training step in fp32 on the parameters and x rounded to bf16).  The
 * backward's products dG W_hh and dG W_ih err as the forward's, about
 * 2^-9 of each term at random signs, on top of the forward's error in the
 * states the gradients are made of: measured at most 4.7e-3 for tanh, lstm
 * and gru (GTOL leaves twice that).  relu's derivative jumps at 0: a
 * pre-activation that bf16's rounding moves across 0 switches that unit's
 * whole gradient, and the gradients of relu networks move by 3 to 12 %
 * when only their inputs and parameters are rounded to bf16 (the control,
 * all in fp32): bf16's error must stay within KINKS times the control's
 * (measured: at most 1.1 times here, 1.9 on other batches), and never
 * more than KINKS_MAX (the control moves relu's gradients by 12 % at most
 * here). */
#define GTOL      0.01
#define KINKS     3.0
#define KINKS_MAX 0.5
/* check_one_step: the forward's products are exact (bf16 operands), so the
 * outputs and the weight gradients differ from fp32's by the summation
 * order, a few 2^-24 (EXACT, relative in norm; measured: at most 1.2e-8),
 * while dx is made by a bf16 product, its terms off by up to 2^-8 at random
 * signs (above DX16_MIN; measured: 1.4e-3 to 1.9e-3, and an fp32 product
 * there would give about 1e-8). */
#define EXACT    1e-6
#define DX16_MIN 2e-4
/* Against PyTorch (float64): |ours - torch| <= REF_ABS + REF_REL |torch|
 * elementwise.  The fixtures are small (in 3, H 4, T 5, x N(0, 1), weights
 * U(-0.5, 0.5)): a product sums a few terms, each off by up to 2^-8 of
 * itself, so an output (about 0.5) errs by 1e-3 to 2.5e-3, and a gradient
 * by about 2^-8 of |torch|.  The worst measured is 0.6 of these bounds.
 * One case (rnn_relu bi=1 layers=2 pool=last) has a relu pre-activation
 * within bf16's rounding of 0: its gradients jump by 0.45 with the
 * parameters and x merely rounded to bf16 in fp32 (the control); a case
 * whose control misses PyTorch's gradients by more than REF_KINK
 * tolerances has its bf16 gradients compared with the control's instead,
 * within twice the tolerance (both err from the exact products: measured
 * 0.43 of that), and at most one case may. */
#define REF_ABS  5e-3
#define REF_REL  5e-3
#define REF_KINK 10.0

/* The whole batch by rec_forward_lookup; nonzero when it fails or declines. */
static int lookup(rec_net *n, float *out, const id_batch *bt)
{
	nlp_err err = {0};
	const float *o = NULL;
	int taken = 0;
	int rc = rec_forward_lookup(n, &o, bt->table, V, E, bt->ids, T, B, bt->len, 0, NULL, &taken,
	                            &err);
	if (rc)
		diag("lookup: %s", err.msg);
	else if (!taken)
		diag("lookup: declined");
	else
		memcpy(out, o, out_count(n, 1, B) * sizeof *out);
	return rc || !taken;
}

/* 1 when a and b hold the same bits; else says where they first differ. */
static int same_bits(const float *a, const float *b, size_t cnt, const char *what)
{
	for (size_t i = 0; i < cnt; i++)
		if (memcmp(a + i, b + i, sizeof *a)) {
			diag("%s: output %zu is %.9g, want %.9g", what, i, a[i], b[i]);
			return 0;
		}
	return 1;
}

static void check_config(rec_net *n, const id_batch *bt, const char *cfg, nlp_rng *r)
{
	(void)r; /* draws nothing but the batch */
	const size_t cnt = out_count(n, 1, B);
	float *f32 = xcalloc(cnt, sizeof *f32), *q = xcalloc(cnt, sizeof *q);
	float *q1 = xcalloc(cnt, sizeof *q1), *lo = xcalloc(cnt, sizeof *lo);
	float *back = xcalloc(cnt, sizeof *back), *lback = xcalloc(cnt, sizeof *lback);
	int bad = 0, on, off;
	bad |= id_batch_forward(n, f32, bt, 0, B);
	bad |= lookup(n, lo, bt); /* keeps fp32 rows: bf16 must drop them */
	on = rec_set_bf16(n, 1);
	bad |= id_batch_forward(n, q, bt, 0, B);
	bad = bad || id_batch_forward_alone(n, q1, bt); /* alone, unsharded */
	bad |= lookup(n, lo, bt);
	const double d = bad ? INFINITY : max_abs_diff(f32, q, cnt);
	char name[240];
	snprintf(name, sizeof name, "%s: bf16 within %g of fp32 (%.3g)", cfg, TOL, d);
	if (!ok(on == 1 && !bad && d <= TOL && d > 0.0, name))
		diag("rec_set_bf16(1) returned %d (want 1), largest difference %.3g (want in (0, "
		     "%g])",
		     on, d, TOL);
	ok(!bad && same_bits(q1, q, cnt, "alone"),
	   "... the same bits alone as in a batch of 17 on 2 threads");
	ok(!bad && same_bits(lo, q, cnt, "lookup"),
	   "... the same bits by lookup (the fp32 rows kept before dropped)");
	off = rec_set_bf16(n, 0);
	bad |= id_batch_forward(n, back, bt, 0, B);
	bad |= lookup(n, lback, bt);
	if (!ok(off == 0 && !bad && same_bits(back, f32, cnt, "fp32 again") &&
	                same_bits(lback, f32, cnt, "fp32 again by lookup"),
	        "... fp32's bits again after rec_set_bf16(0), by lookup or not"))
		diag("rec_set_bf16(0) returned %d (want 0)", off);
	free(f32), free(q), free(q1), free(lo), free(back), free(lback);
}

/* ||a - b|| / ||b||; INFINITY when b is zero or a has a NaN. */
static double rel_norm(const float *a, const float *b, size_t cnt)
{
	double num = 0.0, den = 0.0;
	for (size_t i = 0; i < cnt; i++) {
		const double d = (double)a[i] - (double)b[i];
		num += d * d;
		den += (double)b[i] * b[i];
	}
	return den > 0.0 && num == num ? sqrt(num / den) : INFINITY;
}

/* Training forward and backward of x with gradient dout: the parameter
 * gradients into g, dx into dx. */
static int train_step(rec_net *n, float *g, float *dx, const float *x, const int *len,
                      const float *dout)
{
	nlp_params p;
	nlp_err err = {0};
	const float *o = NULL, *d = NULL;
	rec_params(n, &p);
	memset(p.g, 0, p.count * sizeof *p.g);
	int rc = rec_forward(n, &o, x, T, B, len, 1, NULL, &err);
	rc = rc ? rc : rec_backward(n, &d, dout, &err);
	if (rc) {
		diag("training step: %s", err.msg);
		return rc;
	}
	memcpy(g, p.g, p.count * sizeof *g);
	memcpy(dx, d, (size_t)T * B * E * sizeof *dx);
	return 0;
}

/* Round v to bfloat16 (what bf16's products do to their operands). */
static void round_bf16(float *v, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		v[i] = nk_bf16_float(nk_bf16_round(v[i]));
}

/* The control: a training step in fp32 on the parameters and x rounded to
 * bf16 (then the parameters restored), into g and dx. */
static int control_step(rec_net *n, float *g, float *dx, const float *x, const int *len,
                        const float *dout)
{
	nlp_params p;
	rec_params(n, &p);
	float *w = xcalloc(p.count, sizeof *w), *xr = xcalloc((size_t)T * B * E, sizeof *xr);
	memcpy(w, p.w, p.count * sizeof *w);
	memcpy(xr, x, (size_t)T * B * E * sizeof *xr);
	round_bf16(p.w, p.count);
	round_bf16(xr, (size_t)T * B * E);
	const int rc = train_step(n, g, dx, xr, len, dout);
	memcpy(p.w, w, p.count * sizeof *w);
	free(w), free(xr);
	return rc;
}

static void check_backward(rec_net *n, const id_batch *bt, const char *cfg, nlp_rng *r)
{
	const size_t nx = (size_t)T * B * E;
	const float *x = bt->x;
	const int *len = bt->len;
	nlp_params p;
	rec_params(n, &p);
	const size_t cnt = out_count(n, 1, B), np = p.count;
	float *dout = xcalloc(cnt, sizeof *dout);
	float *g32 = xcalloc(np, sizeof *g32), *g16 = xcalloc(np, sizeof *g16);
	float *gb = xcalloc(np, sizeof *gb), *gc = xcalloc(np, sizeof *gc);
	float *x32 = xcalloc(nx, sizeof *x32), *x16 = xcalloc(nx, sizeof *x16);
	float *xb = xcalloc(nx, sizeof *xb), *xc = xcalloc(nx, sizeof *xc);
	int bad = 0, pad_ok = 1;
	for (size_t i = 0; i < cnt; i++)
		dout[i] = nlp_rng_normal(r);
	bad |= train_step(n, g32, x32, x, len, dout);
	bad |= rec_set_bf16(n, 1) != 1;
	bad |= train_step(n, g16, x16, x, len, dout);
	bad |= rec_set_bf16(n, 0) != 0;
	bad |= train_step(n, gb, xb, x, len, dout);
	bad |= control_step(n, gc, xc, x, len, dout);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			for (int k = 0; k < E && t >= len[b]; k++)
				pad_ok &= x16[((size_t)t * B + b) * E + k] == 0.0f;
	const double eg = bad ? INFINITY : rel_norm(g16, g32, np);
	const double ex = bad ? INFINITY : rel_norm(x16, x32, nx);
	const double tg = fmin(fmax(GTOL, KINKS * rel_norm(gc, g32, np)), KINKS_MAX);
	const double tx = fmin(fmax(GTOL, KINKS * rel_norm(xc, x32, nx)), KINKS_MAX);
	char name[240];
	snprintf(name, sizeof name,
	         "%s: bf16 parameter gradients within %.3g of fp32's (%.3g, relative in norm)", cfg,
	         tg, eg);
	if (!ok(!bad && eg <= tg && eg > 0.0, name))
		diag("got ||g16 - g32|| / ||g32|| = %.3g, want in (0, %.3g]", eg, tg);
	snprintf(name, sizeof name, "... dx within %.3g of fp32's (%.3g), zero at padding", tx, ex);
	if (!ok(!bad && ex <= tx && ex > 0.0 && pad_ok, name))
		diag("got ||dx16 - dx32|| / ||dx32|| = %.3g, want in (0, %.3g]; padding zero: %d",
		     ex, tx, pad_ok);
	ok(!bad && same_bits(gb, g32, np, "gradients") && same_bits(xb, x32, nx, "dx"),
	   "... fp32's gradient bits again after rec_set_bf16(0)");
	free(dout), free(g32), free(g16), free(gb), free(gc);
	free(x32), free(x16), free(xb), free(xc);
}

/* One step (T = 1, from h = 0) of one layer on x and parameters that are
 * bf16 already: the forward's products are then exact in both precisions
 * (only fp32's summation order differs), so are the outputs and the weight
 * gradients (fp32 in both: nk_gemm_tn), while dx = dG W_ih rounds dG to
 * bf16 and errs by about 2^-9 relative. */
static void check_one_step(int cell, int bi, const float *table, nlp_rng *r)
{
	int32_t ids[B];
	int len[B];
	float x[B * E];
	rec_net *n = make_net(cell, E, HID, 1, bi, REC_POOL_LAST, 2);
	nlp_params p;
	rec_params(n, &p);
	const size_t cnt = out_count(n, 1, B), np = p.count;
	float *dout = xcalloc(cnt, sizeof *dout), *o[2], *g[2], *dx[2];
	int bad = 0;
	round_bf16(p.w, np);
	for (int b = 0; b < B; b++) {
		len[b] = 1;
		ids[b] = 1 + (int32_t)(nlp_rng_uniform(r) * (V - 1));
		memcpy(x + (size_t)b * E, table + (size_t)ids[b] * E, E * sizeof *x);
	}
	round_bf16(x, (size_t)B * E);
	for (size_t i = 0; i < cnt; i++)
		dout[i] = nlp_rng_normal(r);
	for (int k = 0; k < 2; k++) {
		const float *ro = NULL, *rd = NULL;
		nlp_err err = {0};
		o[k] = xcalloc(cnt, sizeof *o[k]);
		g[k] = xcalloc(np, sizeof *g[k]);
		dx[k] = xcalloc((size_t)B * E, sizeof *dx[k]);
		bad |= rec_set_bf16(n, k) != k;
		memset(p.g, 0, np * sizeof *p.g);
		int rc = rec_forward(n, &ro, x, 1, B, len, 1, NULL, &err);
		rc = rc ? rc : rec_backward(n, &rd, dout, &err);
		if (rc) {
			diag("one step: %s", err.msg);
			bad = 1;
			continue;
		}
		memcpy(o[k], ro, cnt * sizeof *o[k]);
		memcpy(g[k], p.g, np * sizeof *g[k]);
		memcpy(dx[k], rd, (size_t)B * E * sizeof *dx[k]);
	}
	const double eo = bad ? INFINITY : rel_norm(o[1], o[0], cnt);
	const double eg = bad ? INFINITY : rel_norm(g[1], g[0], np);
	const double ex = bad ? INFINITY : rel_norm(dx[1], dx[0], (size_t)B * E);
	char name[240];
	snprintf(name, sizeof name,
	         "%s, %s, one step on bf16 x and weights: outputs (%.2g) and weight gradients "
	         "(%.2g) within %g of fp32's, dx off by a bf16 product (%.2g, in [%g, %g])",
	         cell_names[cell], bi ? "bidirectional" : "one direction", eo, eg, EXACT, ex,
	         DX16_MIN, GTOL);
	ok(eo <= EXACT && eg <= EXACT && ex >= DX16_MIN && ex <= GTOL, name);
	for (int k = 0; k < 2; k++)
		free(o[k]), free(g[k]), free(dx[k]);
	free(dout);
	rec_free(n);
}

/* ---- Against PyTorch (the fixtures of t_encoders_ref.c: t_encoders_fixtures.h) ---- */

/* A fixture's training step: out, the parameter gradients and dx, copied
 * into o, g, d (allocated here).  bf16: at precision bf16; else the control
 * (fp32 on the parameters and x rounded to bf16). */
static int ref_run(const rec_config *c, int bf16, const fixture *fc, const int *len, float **o,
                   float **g, float **d, nlp_err *err)
{
	rec_net *n = must_new(c);
	nlp_params p;
	rec_params(n, &p);
	const float *ro = NULL, *rd = NULL;
	float *x = xcalloc(fc->x.n, sizeof *x);
	int rc = NLP_OK;
	*o = *g = *d = NULL;
	if (bf16 && rec_set_bf16(n, 1) != 1)
		rc = nlp_err_set(err, NLP_EINTERNAL, "rec_set_bf16(1) did not turn bf16 on");
	else if (p.count != fc->params.n)
		rc = nlp_err_set(err, NLP_EINTERNAL, "%zu parameters, PyTorch has %zu", p.count,
		                 fc->params.n);
	if (rc)
		goto out;
	memcpy(p.w, fc->params.v, p.count * sizeof *p.w);
	memset(p.g, 0, p.count * sizeof *p.g);
	memcpy(x, fc->x.v, fc->x.n * sizeof *x);
	if (!bf16) {
		round_bf16(p.w, p.count);
		round_bf16(x, fc->x.n);
	}
	rc = rec_forward(n, &ro, x, fc->steps, fc->docs, len, 1, NULL, err);
	rc = rc ? rc : rec_backward(n, &rd, fc->dout.v, err);
	if (rc)
		goto out;
	*o = xcalloc(fc->out.n, sizeof **o);
	*g = xcalloc(p.count, sizeof **g);
	*d = xcalloc(fc->dx.n, sizeof **d);
	memcpy(*o, ro, fc->out.n * sizeof **o);
	memcpy(*g, p.g, p.count * sizeof **g);
	memcpy(*d, rd, fc->dx.n * sizeof **d);
out:
	free(x);
	rec_free(n);
	return rc;
}

/* One fixture case in bf16: 4 tests.  The gradients of a case whose control
 * is off PyTorch's by more than REF_KINK tolerances (a relu's pre-activation
 * within bf16's rounding of 0) are compared with the control's instead;
 * *kinks counts them.  Returns the worst ratio to the tolerance. */
static double check_ref_case(const fixture *fc, int *kinks)
{
	int len[64];
	const int cell = name_index(fc->cell, cell_names, 4);
	const int pool = name_index(fc->pool, pool_names, 4), Bn = fc->docs;
	char name[200], msg[300];
	double overall = 0.0, md;
	float *o = NULL, *g = NULL, *d = NULL, *co = NULL, *cg = NULL, *cd = NULL;
	nlp_err err = {0};
	snprintf(name, sizeof name, "PyTorch %s bi=%d layers=%d pool=%s", fc->cell, fc->bi,
	         fc->layers, fc->pool);
	if (cell < 0 || pool < 0 || Bn > 64 || fc->lens.n != (size_t)Bn) {
		ok(0, name);
		diag("bad fixture case");
		skip(3, "bad fixture case");
		return INFINITY;
	}
	for (int b = 0; b < Bn; b++)
		len[b] = (int)fc->lens.v[b];
	rec_config c = make_config(cell, fc->in, fc->hidden, fc->layers, fc->bi, pool);
	c.att_dim = fc->att_dim;
	const int rc = ref_run(&c, 1, fc, len, &o, &g, &d, &err) ||
	               ref_run(&c, 0, fc, len, &co, &cg, &cd, &err);
	snprintf(msg, sizeof msg, "%s: forward and backward run in bf16", name);
	if (!ok(!rc, msg)) {
		diag("%s", err.msg);
		skip(3, "no bf16 run");
		overall = INFINITY;
		goto out;
	}
	const int kink = worst(cg, fc->grad.v, fc->grad.n, REF_ABS, REF_REL, &md) > REF_KINK ||
	                 worst(cd, fc->dx.v, fc->dx.n, REF_ABS, REF_REL, &md) > REF_KINK;
	if (kink)
		diag("%s sits on a relu kink: its gradients are compared with the control's", name);
	*kinks += kink;
	static const char *const what[] = {"output", "parameter gradients", "input gradient"};
	const float *got[] = {o, g, d};
	const float *want[] = {fc->out.v, kink ? cg : fc->grad.v, kink ? cd : fc->dx.v};
	const size_t cnt[] = {fc->out.n, fc->grad.n, fc->dx.n};
	for (int k = 0; k < 3; k++) {
		const int twice = k && kink; /* bf16 and the control both err */
		const double w =
		        worst(got[k], want[k], cnt[k], REF_ABS, REF_REL, &md) / (twice ? 2.0 : 1.0);
		overall = w > overall ? w : overall;
		snprintf(msg, sizeof msg,
		         "%s: %s within %s%g + %g |%s|%s (max diff %.2g, %.2f of it)", name,
		         what[k], twice ? "2 x (" : "", REF_ABS, REF_REL,
		         twice ? "control" : "torch", twice ? ")" : "", md, w);
		ok(w <= 1.0, msg);
	}
out:
	free(o), free(g), free(d), free(co), free(cg), free(cd);
	return overall;
}

static void check_ref(void)
{
	FILE *f = fixtures_open();
	fixture fc;
	int cases = 0, kinks = 0;
	double overall = 0.0;
	while (fixture_read(f, &fc) > 0) {
		cases++;
		const double w = check_ref_case(&fc, &kinks);
		overall = w > overall ? w : overall;
		fixture_free(&fc);
	}
	fclose(f);
	is_int(cases, 16, "all 16 PyTorch fixture cases read");
	if (!ok(kinks <= 1, "at most one PyTorch fixture case on a kink"))
		diag("%d cases on a kink", kinks);
	diag("PyTorch: worst error / tolerance (abs %g + rel %g) = %.3f", REF_ABS, REF_REL,
	     overall);
}

/* No bf16 here: rec_set_bf16 must leave the net fp32 (returns 0, fp32's
 * bits); then skip the rest. */
static void check_unavailable(const float *table, nlp_rng *r)
{
	id_batch bt = id_batch_new(table, V, E, T, B, r);
	rec_net *n = make_net(REC_LSTM, E, HID, 2, 1, REC_POOL_MEAN, 2);
	const size_t cnt = out_count(n, 1, B);
	float *f32 = xcalloc(cnt, sizeof *f32), *q = xcalloc(cnt, sizeof *q);
	int bad = id_batch_forward(n, f32, &bt, 0, B);
	const int on = rec_set_bf16(n, 1);
	bad |= id_batch_forward(n, q, &bt, 0, B);
	if (on != 0 || bad || memcmp(f32, q, cnt * sizeof *q)) {
		printf("Bail out! without bf16, rec_set_bf16(1) returned %d (want 0) and the "
		       "forward %s\n",
		       on, bad ? "failed" : "gave other bits than fp32");
		exit(1);
	}
	free(f32), free(q);
	id_batch_free(&bt);
	rec_free(n);
	skip_all("no AVX512_BF16 here (or NLPIPE_MAX_CPU_ISA below avx512)");
}

int main(void)
{
	float table[V * E];
	nlp_rng r;
	nlp_rng_seed(&r, 4);
	random_table(table, V, E, &r);
	if (!rec_bf16_available())
		check_unavailable(table, &r);
	plan(EACH_CONFIG * (4 + 3) + 4 * 2 + 16 * 4 + 2);
	each_config(check_config, table, V, E, HID, T, B, &r);
	each_config(check_backward, table, V, E, HID, T, B, &r);
	for (int cell = REC_RNN_TANH; cell <= REC_GRU; cell++)
		for (int bi = 0; bi < 2; bi++)
			check_one_step(cell, bi, table, &r);
	check_ref();
	return done_testing();
}
