/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_carry.c - the recurrent encoders as a language model runs them
 * (rec_forward_stream: nlpipe/train.h's carry and reset), for rnn, lstm and
 * gru with 2 layers and pooling = none:
 *  - a window cut in two, the second half run with carry, gives the outputs
 *    of one forward over the whole window (within 1e-6); a stream of length
 *    0 in the middle window keeps its state for the next;
 *  - reset at step t gives the outputs of a forward that starts at t from
 *    zeros; reset at step 0 with carry equals no carry;
 *  - finite-difference gradients of a window run with carry and a reset (the
 *    carried state a constant), parameters and inputs;
 *  - carry and carry 0 give bit-identical outputs to rec_forward when there
 *    is nothing to carry;
 *  - a bidirectional encoder refuses carry (NLP_ECONFIG);
 *  - 3 threads (the batch in shards, each stream in its own shard from
 *    window to window) give 1 thread's outputs and input gradients bit for
 *    bit over windows with carry, restarts and streams that end;
 *  - stacking: an lstm with pooling none under a lstm with last pooling,
 *    finite-difference gradients through both.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_util.h"

enum { IN = 3, HID = 4, B = 3, T = 6 };
#define EPS 1e-3
#define TOL 2e-3

static const int cells[] = {REC_RNN_TANH, REC_LSTM, REC_GRU};

static char name2_[300];
#define NAME2(...) (snprintf(name2_, sizeof name2_, __VA_ARGS__), name2_)

static rec_net *make_in(int in, int cell, int layers, int pool, int bi, uint64_t seed)
{
	rec_config c = make_config(cell, in, HID, layers, bi, pool);
	rec_net *n = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, seed);
	rec_set_naive(n, 1);
	rec_init_params(n, &r);
	return n;
}

static rec_net *make(int cell, int layers, int pool, int bi, uint64_t seed)
{
	return make_in(IN, cell, layers, pool, bi, seed);
}

static const float *fwd(rec_net *n, const float *x, int Tn, const int *len, int carry,
                        const uint8_t *reset, int training)
{
	const float *o = NULL;
	nlp_err err = {0};
	if (rec_forward_stream(n, &o, x, Tn, B, len, carry, reset, training, NULL, &err)) {
		printf("Bail out! forward: %s\n", err.msg);
		exit(1);
	}
	return o;
}

/* The steps [t0, t0 + Tn) of x [T x B x IN]. */
static void slice(float *dst, const float *x, int t0, int Tn)
{
	memcpy(dst, x + (size_t)t0 * B * IN, (size_t)Tn * B * IN * sizeof(float));
}

/* Split a window in two (and three with an empty middle for stream 1). */
static void check_split(int cell)
{
	const int D = HID, full[B] = {T, T, T}, half[B] = {3, 3, 3};
	nlp_rng r;
	nlp_rng_seed(&r, 11 + cell);
	rec_net *n = make(cell, 2, REC_POOL_NONE, 0, 5 + cell);
	float x[T * B * IN], x1[3 * B * IN], x2[3 * B * IN], whole[T * B * D];
	fill_input(x, T, B, IN, full, &r);
	memcpy(whole, fwd(n, x, T, full, 0, NULL, 0), sizeof whole);
	slice(x1, x, 0, 3);
	slice(x2, x, 3, 3);
	fwd(n, x1, 3, half, 0, NULL, 0);
	const float *o = fwd(n, x2, 3, half, 1, NULL, 0);
	double e = max_abs_diff(o, whole + 3 * B * D, (size_t)3 * B * D);
	char name[200];
	snprintf(name, sizeof name, "%s: two halves with carry = one window (max diff %.2g)",
	         cell_names[cell], e);
	ok(e <= 1e-6, name);

	/* Three windows: x1 (3 steps each), x2 with lengths {2, 0, 3}, then one
	 * step z.  Each stream's last output = a plain forward over what that
	 * stream read: a stream of length 0 kept its state, a shorter stream
	 * its last real step's. */
	const int mid[B] = {2, 0, 3}, one[B] = {1, 1, 1}, all[B] = {6, 4, 7};
	float xm[3 * B * IN], z[B * IN], xr[7 * B * IN];
	memset(xm, 0, sizeof xm);
	memset(xr, 0, sizeof xr);
	fill_input(z, 1, B, IN, one, &r);
	for (int b = 0; b < B; b++) {
		int k = 0;
		for (int t = 0; t < 3; t++, k++)
			memcpy(xr + ((size_t)k * B + b) * IN, x1 + ((size_t)t * B + b) * IN,
			       IN * sizeof(float));
		for (int t = 0; t < mid[b]; t++, k++) {
			memcpy(xm + ((size_t)t * B + b) * IN, x2 + ((size_t)t * B + b) * IN,
			       IN * sizeof(float));
			memcpy(xr + ((size_t)k * B + b) * IN, x2 + ((size_t)t * B + b) * IN,
			       IN * sizeof(float));
		}
		memcpy(xr + ((size_t)k * B + b) * IN, z + (size_t)b * IN, IN * sizeof(float));
	}
	float last[B * D];
	fwd(n, x1, 3, half, 0, NULL, 0);
	fwd(n, xm, 3, mid, 1, NULL, 0);
	memcpy(last, fwd(n, z, 1, one, 1, NULL, 0), sizeof last);
	o = fwd(n, xr, 7, all, 0, NULL, 0);
	e = 0.0;
	for (int b = 0; b < B; b++)
		e = fmax(e, max_abs_diff(last + (size_t)b * D,
		                         o + ((size_t)(all[b] - 1) * B + b) * D, D));
	snprintf(name, sizeof name,
	         "%s: a stream of length 0 keeps its state, a shorter one its last step's "
	         "(max diff %.2g)",
	         cell_names[cell], e);
	ok(e <= 1e-6, name);
	rec_free(n);
}

/* reset at step 2 of stream 1 = that stream started from zeros at step 2. */
static void check_reset(int cell)
{
	const int D = HID, full[B] = {T, T, T}, tail[B] = {T - 2, T - 2, T - 2};
	nlp_rng r;
	nlp_rng_seed(&r, 21 + cell);
	rec_net *n = make(cell, 2, REC_POOL_NONE, 0, 9 + cell);
	float x[T * B * IN], xt[(T - 2) * B * IN], ref[(T - 2) * B * D];
	uint8_t reset[T * B];
	memset(reset, 0, sizeof reset);
	reset[2 * B + 1] = 1;
	fill_input(x, T, B, IN, full, &r);
	slice(xt, x, 2, T - 2);
	memcpy(ref, fwd(n, xt, T - 2, tail, 0, NULL, 0), sizeof ref);
	const float *o = fwd(n, x, T, full, 0, reset, 0);
	double e = 0.0;
	for (int t = 2; t < T; t++)
		e = fmax(e, max_abs_diff(o + ((size_t)t * B + 1) * D,
		                         ref + ((size_t)(t - 2) * B + 1) * D, D));
	char name[200];
	snprintf(name, sizeof name, "%s: reset at step 2 = a zero state there (max diff %.2g)",
	         cell_names[cell], e);
	ok(e <= 1e-6, name);

	/* reset at step 0 with carry: as without carry; nothing to carry: as
	 * rec_forward, bit for bit. */
	float plain[T * B * D];
	const float *po = NULL;
	nlp_err err = {0};
	rec_forward(n, &po, x, T, B, full, 0, NULL, &err);
	memcpy(plain, po, sizeof plain);
	memset(reset, 0, sizeof reset);
	for (int b = 0; b < B; b++)
		reset[b] = 1;
	fwd(n, x, T, full, 0, NULL, 0);
	o = fwd(n, x, T, full, 1, reset, 0);
	ok(memcmp(o, plain, sizeof plain) == 0,
	   "reset at step 0 with carry = no carry, bit for bit");
	rec_net *fresh = make(cell, 2, REC_POOL_NONE, 0, 9 + cell);
	o = fwd(fresh, x, T, full, 1, NULL, 0);
	ok(memcmp(o, plain, sizeof plain) == 0,
	   "carry on a fresh encoder (nothing saved) = rec_forward, bit for bit");
	rec_free(fresh);
	rec_free(n);
}

/* ---- Finite differences ---- */

typedef struct fd_case {
	rec_net *n;     /* the encoder checked */
	rec_net *top;   /* stacking: a second encoder over n's sequence, or NULL */
	float *w0;      /* n's parameters for the first window */
	const float *x; /* [2 x T x B x IN]: the carried window, the checked one */
	const float *r; /* weights of the loss */
	const int *len;
	const uint8_t *reset;
	int carry;
} fd_case;

/* Run the first window with the parameters w0 (its final state is the
 * constant the second window starts from), then the second. */
static const float *run(fd_case *c, int training)
{
	nlp_params p;
	rec_params(c->n, &p);
	float *cur = NULL;
	if (c->carry) {
		cur = xcalloc(p.count, sizeof *cur);
		memcpy(cur, p.w, p.count * sizeof *cur);
		memcpy(p.w, c->w0, p.count * sizeof *cur);
		fwd(c->n, c->x, T, c->len, 0, NULL, 0);
		memcpy(p.w, cur, p.count * sizeof *cur);
		free(cur);
	}
	const float *o =
	        fwd(c->n, c->x + (size_t)T * B * IN, T, c->len, c->carry, c->reset, training);
	if (c->top) {
		const float *o2 = NULL;
		nlp_err err = {0};
		if (rec_forward(c->top, &o2, o, T, B, c->len, training, NULL, &err)) {
			printf("Bail out! forward: %s\n", err.msg);
			exit(1);
		}
		o = o2;
	}
	return o;
}

static size_t n_out(const fd_case *c)
{
	return c->top ? out_count(c->top, T, B) : out_count(c->n, T, B);
}

static double loss(fd_case *c)
{
	const float *o = run(c, 1);
	double L = 0.0;
	for (size_t i = 0; i < n_out(c); i++)
		L += (double)o[i] * c->r[i];
	return L;
}

static double rel(double fd, double an)
{
	return fabs(fd - an) / fmax(1.0, fabs(an));
}

/* Worst relative error over n's parameters and the checked window's input. */
static double fd_check(fd_case *c)
{
	nlp_params p, pt;
	nlp_err err = {0};
	rec_params(c->n, &p);
	memset(p.g, 0, p.count * sizeof *p.g);
	if (c->top) {
		rec_params(c->top, &pt);
		memset(pt.g, 0, pt.count * sizeof *pt.g);
	}
	run(c, 1);
	const float *dx = NULL, *dtop = c->r;
	if (c->top && rec_backward(c->top, &dtop, c->r, &err)) {
		printf("Bail out! backward: %s\n", err.msg);
		exit(1);
	}
	if (rec_backward(c->n, &dx, dtop, &err)) {
		printf("Bail out! backward: %s\n", err.msg);
		exit(1);
	}
	float *g = xcalloc(p.count, sizeof *g), *gx = xcalloc((size_t)T * B * IN, sizeof *gx);
	memcpy(g, p.g, p.count * sizeof *g);
	memcpy(gx, dx, (size_t)T * B * IN * sizeof *gx);
	double worst = 0.0;
	for (size_t i = 0; i < p.count; i++) {
		const float v = p.w[i];
		p.w[i] = v + (float)EPS;
		const double lp = loss(c);
		p.w[i] = v - (float)EPS;
		const double lm = loss(c);
		p.w[i] = v;
		worst = fmax(worst, rel((lp - lm) / (2 * EPS), g[i]));
	}
	float *x = (float *)c->x + (size_t)T * B * IN;
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			for (int k = 0; k < IN && t < c->len[b]; k++) {
				const size_t i = ((size_t)t * B + b) * IN + k;
				const float v = x[i];
				x[i] = v + (float)EPS;
				const double lp = loss(c);
				x[i] = v - (float)EPS;
				const double lm = loss(c);
				x[i] = v;
				worst = fmax(worst, rel((lp - lm) / (2 * EPS), gx[i]));
			}
	free(g);
	free(gx);
	return worst;
}

static void check_grad(int cell, int stacked)
{
	static const int len[B] = {T, 4, T};
	nlp_rng r;
	nlp_rng_seed(&r, 31 + cell + 7 * stacked);
	fd_case c = {0};
	c.n = make(cell, 2, REC_POOL_NONE, 0, 13 + cell);
	if (stacked)
		c.top = make_in(HID, REC_LSTM, 1, REC_POOL_LAST, 0, 17);
	nlp_params p;
	rec_params(c.n, &p);
	for (size_t i = 0; i < p.count; i++)
		p.w[i] *= 2.0f;
	c.w0 = xcalloc(p.count, sizeof *c.w0);
	memcpy(c.w0, p.w, p.count * sizeof *c.w0);
	float *x = xcalloc((size_t)2 * T * B * IN, sizeof *x), r_[T * B * HID];
	fill_input(x, T, B, IN, len, &r);
	fill_input(x + (size_t)T * B * IN, T, B, IN, len, &r);
	for (size_t i = 0; i < sizeof r_ / sizeof r_[0]; i++)
		r_[i] = nlp_rng_normal(&r);
	uint8_t reset[T * B];
	memset(reset, 0, sizeof reset);
	reset[3 * B + 0] = 1;
	reset[0 * B + 2] = 1;
	c.x = x;
	c.r = r_;
	c.len = len;
	c.carry = !stacked;
	c.reset = stacked ? NULL : reset;
	double w = fd_check(&c);
	char name[200];
	snprintf(name, sizeof name,
	         stacked ? "%s (pooling none) under an lstm (last): gradients through both, worst "
	                   "rel err %.2g"
	                 : "%s with carry and resets: gradients, worst rel err %.2g",
	         cell_names[cell], w);
	ok(w <= TOL, name);
	free(x);
	free(c.w0);
	rec_free(c.top);
	rec_free(c.n);
}

/* Threads: a batch of 24 streams over 3 shards gives, window after window
 * with carry and restarts, the outputs and input gradients of one thread
 * bit for bit, and its parameter gradients up to the summation order. */
static void check_threads(int cell)
{
	enum { TB = 24, TT = 5 };
	rec_config c = make_config(cell, IN, HID, 2, 0, REC_POOL_NONE);
	c.threads = 1;
	rec_net *one = must_new(&c);
	c.threads = 3;
	rec_net *three = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, 41 + cell);
	rec_init_params(one, &r);
	nlp_params p1, p3;
	rec_params(one, &p1);
	rec_params(three, &p3);
	memcpy(p3.w, p1.w, p1.count * sizeof(float));
	int len[TB], same_out = 1, same_dx = 1;
	float *x = xcalloc((size_t)TT * TB * IN, sizeof *x);
	float *dy = xcalloc((size_t)TT * TB * HID, sizeof *dy);
	uint8_t reset[TT * TB];
	double gerr = 0;
	nlp_err err = {0};
	for (int w = 0; w < 3; w++) {
		for (int b = 0; b < TB; b++)
			len[b] = w == 2 && b % 5 == 0 ? b % 4 : TT; /* stream ends */
		fill_input(x, TT, TB, IN, len, &r);
		for (int i = 0; i < TT * TB; i++)
			reset[i] = nlp_rng_uniform(&r) < 0.1f;
		for (int i = 0; i < TT * TB * HID; i++)
			dy[i] = nlp_rng_normal(&r);
		const float *o1, *o3, *d1, *d3;
		memset(p1.g, 0, p1.count * sizeof(float));
		memset(p3.g, 0, p3.count * sizeof(float));
		if (rec_forward_stream(one, &o1, x, TT, TB, len, w > 0, reset, 1, NULL, &err) ||
		    rec_forward_stream(three, &o3, x, TT, TB, len, w > 0, reset, 1, NULL, &err)) {
			printf("Bail out! forward: %s\n", err.msg);
			exit(1);
		}
		same_out &= memcmp(o1, o3, (size_t)TT * TB * HID * sizeof(float)) == 0;
		if (rec_backward(one, &d1, dy, &err) || rec_backward(three, &d3, dy, &err)) {
			printf("Bail out! backward: %s\n", err.msg);
			exit(1);
		}
		same_dx &= memcmp(d1, d3, (size_t)TT * TB * IN * sizeof(float)) == 0;
		for (size_t i = 0; i < p1.count; i++)
			gerr = fmax(gerr, fabs(p1.g[i] - p3.g[i]) / fmax(1e-3, fabs(p1.g[i])));
	}
	ok(same_out && same_dx,
	   NAME2("%s, 3 threads, 3 windows with carry and restarts: outputs and input gradients "
	         "bit-identical to 1 thread",
	         cell_names[cell]));
	ok(gerr < 1e-4, NAME2("%s, 3 threads: parameter gradients equal up to the summation "
	                      "order (relative %.2g)",
	                      cell_names[cell], gerr));
	free(x);
	free(dy);
	rec_free(one);
	rec_free(three);
}

int main(void)
{
	for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
		check_split(cells[k]);
		check_reset(cells[k]);
		check_grad(cells[k], 0);
		check_threads(cells[k]);
	}
	check_grad(REC_LSTM, 1);

	rec_net *bi = make(REC_LSTM, 1, REC_POOL_NONE, 1, 3);
	float x[T * B * IN] = {0};
	const int len[B] = {T, T, T};
	const float *o;
	nlp_err err = {0};
	is_int(rec_forward_stream(bi, &o, x, T, B, len, 1, NULL, 0, NULL, &err), NLP_ECONFIG,
	       "bidirectional with carry: a configuration error");
	ok(strstr(err.msg, "bidirectional = false") != NULL, "the message says what to set");
	rec_free(bi);
	return done_testing();
}
