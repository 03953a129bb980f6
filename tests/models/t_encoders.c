/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders.c - recurrent encoders: BLAS kernels against their naive
 * references, padding invariance (bidirectional included), same seed =>
 * bit-identical training, truncation, workspace reuse, and the stage classes
 * rnn / lstm / gru through the host (nlp_pipeline_new from an in-memory INI).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "tap.h"
#include "t_encoders_util.h"
#include "../../models/blas.h"

#include <cblas.h>

/* Relative closeness: max |a - b| / max(1, max |b|). */
static double rel_diff(const float *a, const float *b, size_t n)
{
	double m = 1.0;
	for (size_t i = 0; i < n; i++)
		m = fmax(m, fabs((double)b[i]));
	return max_abs_diff(a, b, n) / m;
}

/* FTZ/DAZ reach OpenBLAS's worker threads even when they were started before
 * nlp_numerics_init (as they are in a program linked with OpenBLAS): an
 * sgemm over denormal inputs gives exact zeros in every thread's part. */
static void test_numerics(void)
{
	enum { N = 512 };
	const int old = openblas_get_num_threads();
	openblas_set_num_threads(2);
	if (openblas_get_num_threads() < 2) {
		skip(1, "one CPU: OpenBLAS runs no worker threads");
		nlp_numerics_init();
		return;
	}
	float *A = xcalloc((size_t)N * N, sizeof *A), *B = xcalloc((size_t)N * N, sizeof *B);
	float *C = xcalloc((size_t)N * N, sizeof *C);
	volatile float tiny = 1e-39f; /* denormal */
	for (int i = 0; i < N * N; i++) {
		A[i] = tiny;
		B[i] = 0.5f;
	}
	/* workers exist now, started without FTZ/DAZ */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, A, N, B, N, 0.0f, C,
	            N);
	nlp_numerics_init();
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, A, N, B, N, 0.0f, C,
	            N);
	long nz = 0;
	for (int i = 0; i < N * N; i++)
		nz += C[i] != 0.0f;
	is_int(nz, 0, "after nlp_numerics_init, OpenBLAS's worker threads flush denormals too");
	openblas_set_num_threads(old);
	free(A);
	free(B);
	free(C);
}

static void test_gemm(void)
{
	nlp_rng r;
	nlp_rng_seed(&r, 1);
	const int M = 13, N = 11, K = 17, ld = 23;
	float *A = xcalloc((size_t)ld * ld, sizeof *A), *B = xcalloc((size_t)ld * ld, sizeof *B);
	float *C1 = xcalloc((size_t)M * ld, sizeof *C1), *C2 = xcalloc((size_t)M * ld, sizeof *C2);
	for (int i = 0; i < ld * ld; i++) {
		A[i] = nlp_rng_normal(&r);
		B[i] = nlp_rng_normal(&r);
	}
	double worst = 0.0;
	for (int ta = 0; ta <= 1; ta++)
		for (int tb = 0; tb <= 1; tb++)
			for (int beta = 0; beta <= 1; beta++) {
				for (int i = 0; i < M * ld; i++)
					C1[i] = C2[i] = nlp_rng_normal(&r);
				nk_gemm(0, ta, tb, M, N, K, 0.5f, A, ld, B, ld, (float)beta, C1,
				        ld);
				nk_gemm(1, ta, tb, M, N, K, 0.5f, A, ld, B, ld, (float)beta, C2,
				        ld);
				worst = fmax(worst, rel_diff(C1, C2, (size_t)M * ld));
			}
	ok(worst < 1e-5, "cblas_sgemm wrapper matches the naive loop for every transpose/beta");
	diag("sgemm vs naive: worst relative difference %.2g", worst);
	free(A);
	free(B);
	free(C1);
	free(C2);
}

/* Every kernel: BLAS and naive runs of the whole encoder agree. */
static void test_naive_vs_blas(void)
{
	enum { IN = 5, H = 7, T = 9, B = 6 };
	const int len[B] = {9, 3, 0, 7, 1, 9};
	double worst = 0.0;
	int bad = 0;
	for (int cell = 0; cell < 4; cell++)
		for (int bi = 0; bi <= 1; bi++)
			for (int layers = 1; layers <= 2; layers++)
				for (int k_pool = 0; k_pool < N_VECTOR_POOLS; k_pool++) {
					const int pool = vector_pools[k_pool];
					rec_config c = make_config(cell, IN, H, layers, bi, pool);
					c.dropout = 0.25f;
					rec_net *n[2];
					float *grad[2], *dxs[2], *outs[2];
					nlp_rng r;
					nlp_rng_seed(&r, 5);
					float x[T * B * IN], dout[B * 6 * H]; /* concat: 3 x 2H */
					fill_input(x, T, B, IN, len, &r);
					for (int i = 0; i < B * 6 * H; i++)
						dout[i] = nlp_rng_normal(&r);
					for (int k = 0; k < 2; k++) {
						n[k] = must_new(&c);
						rec_set_naive(n[k], k);
						nlp_rng_seed(&r, 6);
						rec_init_params(n[k], &r);
						nlp_params p;
						rec_params(n[k], &p);
						const float *o, *d;
						nlp_err err = {0};
						nlp_rng_seed(&r, 8);
						if (rec_forward(n[k], &o, x, T, B, len, 1, &r,
						                &err) ||
						    rec_backward(n[k], &d, dout, &err)) {
							diag("%s", err.msg);
							bad++;
						}
						const int D = rec_out_dim(n[k]);
						outs[k] = xcalloc((size_t)B * D, sizeof(float));
						memcpy(outs[k], o, (size_t)B * D * sizeof(float));
						dxs[k] = xcalloc((size_t)T * B * IN, sizeof(float));
						memcpy(dxs[k], d,
						       (size_t)T * B * IN * sizeof(float));
						grad[k] = xcalloc(p.count, sizeof(float));
						memcpy(grad[k], p.g, p.count * sizeof(float));
					}
					nlp_params p;
					rec_params(n[0], &p);
					const int D = rec_out_dim(n[0]);
					double w = rel_diff(outs[0], outs[1], (size_t)B * D);
					w = fmax(w, rel_diff(grad[0], grad[1], p.count));
					w = fmax(w, rel_diff(dxs[0], dxs[1], (size_t)T * B * IN));
					if (!(w < 1e-5)) {
						diag("%s bi=%d layers=%d pool=%s: BLAS vs naive "
						     "%.2g",
						     cell_names[cell], bi, layers, pool_names[pool],
						     w);
						bad++;
					}
					worst = fmax(worst, w);
					for (int k = 0; k < 2; k++) {
						free(outs[k]);
						free(dxs[k]);
						free(grad[k]);
						rec_free(n[k]);
					}
				}
	ok(bad == 0, "BLAS and naive kernels agree (outputs, parameter and input gradients) for "
	             "every cell x direction x layers x pooling, dropout on");
	diag("BLAS vs naive: worst relative difference %.2g (tolerance 1e-5)", worst);
}

/* pooling = concat is last, max and mean side by side: its output rows are
 * those of the three poolings (same weights) to the bit, and its input
 * gradient is the sum of theirs for the three parts of the output gradient
 * (to rounding: the sum is taken before the recurrence's backward). */
static void test_concat(void)
{
	enum { IN = 4, H = 5, T = 7, B = 6, D = 2 * H };
	const int len[B] = {7, 3, 0, 5, 1, 7};
	const int parts[3] = {REC_POOL_LAST, REC_POOL_MAX, REC_POOL_MEAN};
	float x[T * B * IN], dout[B * 3 * D], dsum[T * B * IN] = {0};
	int bad_out = 0;
	double wdx = 0.0;
	nlp_rng r;
	nlp_rng_seed(&r, 41);
	fill_input(x, T, B, IN, len, &r);
	for (int i = 0; i < B * 3 * D; i++)
		dout[i] = nlp_rng_normal(&r);
	for (int cell = 0; cell < 4; cell++) {
		rec_config c = make_config(cell, IN, H, 2, 1, REC_POOL_CONCAT);
		rec_net *cat = must_new(&c);
		const float *oc, *dc;
		nlp_err err = {0};
		nlp_rng_seed(&r, 42);
		rec_init_params(cat, &r);
		if (rec_out_dim(cat) != 3 * D ||
		    rec_forward(cat, &oc, x, T, B, len, 1, NULL, &err) ||
		    rec_backward(cat, &dc, dout, &err)) {
			printf("Bail out! concat: width %d, %s\n", rec_out_dim(cat), err.msg);
			exit(1);
		}
		memset(dsum, 0, sizeof dsum);
		for (int k = 0; k < 3; k++) {
			c.pool = parts[k];
			rec_net *n = must_new(&c);
			const float *o, *d;
			float dpart[B * D];
			nlp_rng_seed(&r, 42);
			rec_init_params(n, &r);
			for (int b = 0; b < B; b++)
				memcpy(dpart + b * D, dout + b * 3 * D + k * D, D * sizeof(float));
			if (rec_forward(n, &o, x, T, B, len, 1, NULL, &err) ||
			    rec_backward(n, &d, dpart, &err)) {
				printf("Bail out! %s\n", err.msg);
				exit(1);
			}
			for (int b = 0; b < B; b++)
				bad_out += memcmp(o + b * D, oc + b * 3 * D + k * D,
				                  D * sizeof(float)) != 0;
			for (int i = 0; i < T * B * IN; i++)
				dsum[i] += d[i];
			rec_free(n);
		}
		wdx = fmax(wdx, rel_diff(dc, dsum, (size_t)T * B * IN));
		rec_free(cat);
	}
	is_int(bad_out, 0,
	       "concat pooling: its rows are the last, max and mean poolings' outputs, "
	       "bit for bit (every cell, bidirectional, 2 layers)");
	ok(wdx < 1e-5, "concat pooling: its input gradient is the sum of the three poolings'");
	diag("concat vs the sum of the parts: input gradient relative difference %.2g", wdx);
}

/* Run one document alone (B = 1, T = its length) and return its output and
 * input gradient for a given output gradient. */
static void run_alone(rec_net *n, const float *xdoc, int L, int in, const float *dout, float *out,
                      float *dx)
{
	const float *o, *d;
	nlp_err err = {0};
	if (rec_forward(n, &o, xdoc, L, 1, &L, 1, NULL, &err) || rec_backward(n, &d, dout, &err)) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
	memcpy(out, o, (size_t)rec_out_dim(n) * sizeof(float));
	memcpy(dx, d, (size_t)L * in * sizeof(float));
}

/* IN and H: small (every product one partial panel and tile) or large
 * enough for several panels and row tiles of every kernel. */
static void test_padding(int IN, int H)
{
	enum { T = 8, B = 11, EXTRA = 3 };
	const int len[B] = {8, 2, 5, 1, 7, 8, 3, 6, 4, 8, 1};
	int bad_out = 0, bad_dx = 0, cases = 0;
	char what[200];
	for (int cell = 0; cell < 4; cell++)
		for (int bi = 0; bi <= 1; bi++)
			for (int k_pool = 0; k_pool < N_VECTOR_POOLS; k_pool++) {
				const int pool = vector_pools[k_pool];
				rec_config c = make_config(cell, IN, H, 2, bi, pool);
				rec_net *n = must_new(&c);
				nlp_rng r;
				nlp_rng_seed(&r, 11);
				rec_init_params(n, &r);
				const int D = rec_out_dim(n);
				/* The batch, padded to T + EXTRA, documents in reverse order. */
				const int TP = T + EXTRA;
				int plen[B];
				float *xb = xcalloc((size_t)TP * B * IN, sizeof(float));
				float *dout = xcalloc((size_t)B * D, sizeof(float));
				float *xd = xcalloc((size_t)T * IN, sizeof(float));
				float *oa = xcalloc((size_t)D, sizeof(float));
				float *da = xcalloc((size_t)T * IN, sizeof(float));
				for (int b = 0; b < B; b++)
					plen[b] = len[B - 1 - b];
				fill_input(xb, TP, B, IN, plen, &r);
				/* garbage in the padding must not matter either */
				for (int t = 0; t < TP; t++)
					for (int b = 0; b < B; b++)
						if (t >= plen[b])
							for (int k = 0; k < IN; k++)
								xb[((size_t)t * B + b) * IN + k] =
								        1e3f;
				for (int i = 0; i < B * D; i++)
					dout[i] = nlp_rng_normal(&r);
				const float *ob, *db;
				nlp_err err = {0};
				if (rec_forward(n, &ob, xb, TP, B, plen, 1, NULL, &err) ||
				    rec_backward(n, &db, dout, &err)) {
					printf("Bail out! %s\n", err.msg);
					exit(1);
				}
				float *outb = xcalloc((size_t)B * D, sizeof(float));
				float *dxb = xcalloc((size_t)TP * B * IN, sizeof(float));
				memcpy(outb, ob, (size_t)B * D * sizeof(float));
				memcpy(dxb, db, (size_t)TP * B * IN * sizeof(float));
				for (int b = 0; b < B; b++) {
					const int L = plen[b];
					for (int t = 0; t < L; t++)
						memcpy(xd + (size_t)t * IN,
						       xb + ((size_t)t * B + b) * IN,
						       IN * sizeof(float));
					run_alone(n, xd, L, IN, dout + (size_t)b * D, oa, da);
					bad_out += memcmp(oa, outb + (size_t)b * D,
					                  (size_t)D * sizeof(float)) != 0;
					for (int t = 0; t < L; t++)
						bad_dx += memcmp(da + (size_t)t * IN,
						                 dxb + ((size_t)t * B + b) * IN,
						                 IN * sizeof(float)) != 0;
					cases++;
				}
				free(xb);
				free(dout);
				free(xd);
				free(oa);
				free(da);
				free(outb);
				free(dxb);
				rec_free(n);
			}
	snprintf(what, sizeof what,
	         "padding invariance: each document's output is bit-identical alone and in a "
	         "padded, reordered batch (every cell x uni/bi x pooling, 2 layers, in %d, "
	         "hidden %d)",
	         IN, H);
	is_int(bad_out, 0, what);
	snprintf(what, sizeof what,
	         "padding invariance: input gradients bit-identical too (in %d, "
	         "hidden %d)",
	         IN, H);
	is_int(bad_dx, 0, what);
	diag("%d documents compared", cases);
}

/* Same seed => bit-identical parameters after N training steps (dropout on). */
static void train_steps(rec_net *n, uint64_t seed, int steps)
{
	enum { IN = 4, T = 6, B = 3 };
	const int len[B] = {6, 4, 2};
	nlp_rng r;
	nlp_rng_seed(&r, seed);
	rec_init_params(n, &r);
	nlp_params p;
	rec_params(n, &p);
	const int D = rec_out_dim(n);
	float x[T * B * IN], dout[B * 64];
	for (int s = 0; s < steps; s++) {
		fill_input(x, T, B, IN, len, &r);
		const float *o, *d;
		nlp_err err = {0};
		memset(p.g, 0, p.count * sizeof(float));
		if (rec_forward(n, &o, x, T, B, len, 1, &r, &err)) {
			printf("Bail out! %s\n", err.msg);
			exit(1);
		}
		for (int i = 0; i < B * D; i++)
			dout[i] = o[i] - 0.5f;
		if (rec_backward(n, &d, dout, &err)) {
			printf("Bail out! %s\n", err.msg);
			exit(1);
		}
		for (size_t i = 0; i < p.count; i++)
			p.w[i] -= 0.1f * p.g[i];
	}
}

static void test_determinism(void)
{
	int same = 1, differs = 0;
	for (int cell = 0; cell < 4; cell++) {
		rec_config c = make_config(cell, 4, 5, 2, 1, REC_POOL_ATTENTION);
		c.dropout = 0.5f;
		rec_net *a = must_new(&c), *b = must_new(&c), *d = must_new(&c);
		train_steps(a, 42, 5);
		train_steps(b, 42, 5);
		train_steps(d, 43, 5);
		nlp_params pa, pb, pd;
		rec_params(a, &pa);
		rec_params(b, &pb);
		rec_params(d, &pd);
		same &= memcmp(pa.w, pb.w, pa.count * sizeof(float)) == 0;
		differs += memcmp(pa.w, pd.w, pa.count * sizeof(float)) != 0;
		rec_free(a);
		rec_free(b);
		rec_free(d);
	}
	ok(same, "same seed: bit-identical parameters after 5 training steps with dropout");
	is_int(differs, 4, "another seed gives other parameters");
}

/* Truncation keeps the right steps: compare with the kept steps run alone. */
static void test_truncation(void)
{
	enum { IN = 3, H = 4, L = 10, M = 5 };
	static const char *const modes[] = {"head", "tail", "head+tail"};
	nlp_rng r;
	nlp_rng_seed(&r, 3);
	float x[L * IN];
	int len = L;
	fill_input(x, L, 1, IN, &len, &r);
	for (int mode = 0; mode < 3; mode++) {
		rec_config c = make_config(REC_LSTM, IN, H, 1, 1, REC_POOL_MEAN);
		rec_net *full = must_new(&c);
		c.max_tokens = M;
		c.truncate = mode;
		rec_net *tr = must_new(&c);
		nlp_rng_seed(&r, 4);
		rec_init_params(full, &r);
		nlp_rng_seed(&r, 4);
		rec_init_params(tr, &r);
		float kept[M * IN];
		for (int t = 0; t < M; t++) {
			int s = mode == 0   ? t
			        : mode == 1 ? L - M + t
			                    : (t < (M + 1) / 2 ? t : L - M + t);
			memcpy(kept + t * IN, x + s * IN, IN * sizeof(float));
		}
		const float *o1, *o2;
		nlp_err err = {0};
		int m = M, l = L;
		float a[2 * H];
		rec_forward(full, &o1, kept, M, 1, &m, 0, NULL, &err);
		memcpy(a, o1, sizeof a);
		rec_forward(tr, &o2, x, L, 1, &l, 0, NULL, &err);
		char name[120];
		snprintf(name, sizeof name,
		         "truncate=%s keeps the right %d of %d steps (bi-LSTM, mean pooling)",
		         modes[mode], M, L);
		ok(memcmp(a, o2, sizeof a) == 0, name);
		rec_free(full);
		rec_free(tr);
	}
}

/* Workspaces grow and shrink in use without changing results. */
static void test_reuse(void)
{
	enum { IN = 3, H = 5 };
	rec_config c = make_config(REC_GRU, IN, H, 2, 1, REC_POOL_MAX);
	rec_net *n = must_new(&c), *fresh = must_new(&c);
	nlp_rng r;
	nlp_rng_seed(&r, 9);
	rec_init_params(n, &r);
	nlp_rng_seed(&r, 9);
	rec_init_params(fresh, &r);
	int same = 1;
	const int shapes[][2] = {{3, 2}, {12, 7}, {2, 1}, {20, 3}, {5, 9}};
	for (int k = 0; k < 5; k++) {
		const int T = shapes[k][0], B = shapes[k][1];
		int len[16];
		float *x = xcalloc((size_t)T * B * IN, sizeof(float));
		for (int b = 0; b < B; b++)
			len[b] = 1 + (int)(nlp_rng_next(&r) % (uint64_t)T);
		fill_input(x, T, B, IN, len, &r);
		const float *o;
		nlp_err err = {0};
		float *a = xcalloc((size_t)B * 2 * H, sizeof(float));
		rec_forward(n, &o, x, T, B, len, 0, NULL, &err);
		memcpy(a, o, (size_t)B * 2 * H * sizeof(float));
		rec_net *f = must_new(&c);
		nlp_params pf, pn;
		rec_params(f, &pf);
		rec_params(n, &pn);
		memcpy(pf.w, pn.w, pn.count * sizeof(float));
		rec_forward(f, &o, x, T, B, len, 0, NULL, &err);
		same &= memcmp(a, o, (size_t)B * 2 * H * sizeof(float)) == 0;
		rec_free(f);
		free(a);
		free(x);
	}
	ok(same, "workspaces reused across growing and shrinking batches: same results as fresh");
	rec_free(n);
	rec_free(fresh);
}

/* Without an input gradient the parameter gradients are the same. */
static void test_no_dx(void)
{
	enum { IN = 3, H = 4, T = 5, B = 3 };
	const int len[B] = {5, 2, 4};
	int same = 1;
	for (int cell = 0; cell < 4; cell++) {
		rec_config c = make_config(cell, IN, H, 2, 1, REC_POOL_MEAN);
		rec_net *a = must_new(&c), *b = must_new(&c);
		nlp_rng r;
		nlp_rng_seed(&r, 21);
		rec_init_params(a, &r);
		nlp_params pa, pb;
		rec_params(a, &pa);
		rec_params(b, &pb);
		memcpy(pb.w, pa.w, pa.count * sizeof(float));
		float x[T * B * IN], dout[B * 2 * H];
		fill_input(x, T, B, IN, len, &r);
		for (int i = 0; i < B * 2 * H; i++)
			dout[i] = nlp_rng_normal(&r);
		const float *o, *d;
		nlp_err err = {0};
		rec_forward(a, &o, x, T, B, len, 1, NULL, &err);
		rec_backward(a, &d, dout, &err);
		rec_forward(b, &o, x, T, B, len, 1, NULL, &err);
		same &= rec_backward(b, NULL, dout, &err) == NLP_OK;
		same &= memcmp(pa.g, pb.g, pa.count * sizeof(float)) == 0;
		rec_free(a);
		rec_free(b);
	}
	ok(same, "backward without an input gradient: same parameter gradients");
}

/* Batch shards on worker threads: same outputs and input gradients bit for
 * bit (rows are independent), parameter gradients equal up to summation
 * order, and bit-identical between runs. */
static void test_threads(int IN, int H)
{
	enum { T = 11, B = 37 };
	char what[160];
	int len[B];
	nlp_rng r;
	nlp_rng_seed(&r, 31);
	for (int b = 0; b < B; b++)
		len[b] = (int)(nlp_rng_next(&r) % (T + 1));
	len[3] = T;
	int same_out = 1, same_dx = 1, runs_equal = 1;
	double gdiff = 0.0;
	/* every cell, then an LSTM with pooling none (output [T x B x 2H]);
	 * W: the output's width (concat: 3 x 2H) */
	for (int cfg = 0; cfg < 5; cfg++) {
		const int cell = cfg < 4 ? cfg : REC_LSTM, none = cfg == 4;
		const size_t rows = (size_t)(none ? T : 1) * B;
		const int pool = none                   ? REC_POOL_NONE
		                 : cell == REC_GRU      ? REC_POOL_ATTENTION
		                 : cell == REC_RNN_RELU ? REC_POOL_CONCAT
		                                        : REC_POOL_LAST;
		const int W = pool == REC_POOL_CONCAT ? 6 * H : 2 * H;
		rec_config c = make_config(cell, IN, H, 2, 1, pool);
		c.max_tokens = cell == REC_LSTM ? 7 : 0;
		c.truncate = REC_TRUNC_HEAD_TAIL;
		c.threads = 1;
		rec_net *one = must_new(&c);
		c.threads = 3;
		rec_net *sh = must_new(&c), *sh2 = must_new(&c);
		nlp_rng_seed(&r, 32);
		rec_init_params(one, &r);
		nlp_params p1, p2, p3;
		rec_params(one, &p1);
		rec_params(sh, &p2);
		rec_params(sh2, &p3);
		memcpy(p2.w, p1.w, p1.count * sizeof(float));
		memcpy(p3.w, p1.w, p1.count * sizeof(float));
		float *x = xcalloc((size_t)T * B * IN, sizeof(float));
		float *dout = xcalloc(rows * W, sizeof(float));
		float *o1 = xcalloc(rows * W, sizeof(float));
		float *d1 = xcalloc((size_t)T * B * IN, sizeof(float));
		fill_input(x, T, B, IN, len, &r);
		for (size_t i = 0; i < rows * W; i++)
			dout[i] = nlp_rng_normal(&r);
		const float *o, *d;
		nlp_err err = {0};
		rec_forward(one, &o, x, T, B, len, 1, NULL, &err);
		memcpy(o1, o, rows * W * sizeof(float));
		rec_backward(one, &d, dout, &err);
		memcpy(d1, d, (size_t)T * B * IN * sizeof(float));
		for (int k = 0; k < 2; k++) {
			rec_net *s = k ? sh2 : sh;
			if (rec_forward(s, &o, x, T, B, len, 1, NULL, &err) != NLP_OK) {
				diag("%s", err.msg);
				same_out = 0;
				continue;
			}
			same_out &= memcmp(o, o1, rows * W * sizeof(float)) == 0;
			if (rec_backward(s, &d, dout, &err) != NLP_OK) {
				diag("%s", err.msg);
				same_dx = 0;
				continue;
			}
			same_dx &= memcmp(d, d1, (size_t)T * B * IN * sizeof(float)) == 0;
		}
		gdiff = fmax(gdiff, rel_diff(p2.g, p1.g, p1.count));
		runs_equal &= memcmp(p2.g, p3.g, p1.count * sizeof(float)) == 0;
		free(x);
		free(dout);
		free(o1);
		free(d1);
		rec_free(one);
		rec_free(sh);
		rec_free(sh2);
	}
	snprintf(what, sizeof what,
	         "3 threads: outputs bit-identical to 1 thread (in %d, hidden %d; pooling last, "
	         "attention, concat, none)",
	         IN, H);
	ok(same_out, what);
	snprintf(what, sizeof what,
	         "3 threads: input gradients bit-identical to 1 thread (in %d, "
	         "hidden %d)",
	         IN, H);
	ok(same_dx, what);
	/* The shards' parameter gradients are summed in another order than one
	 * thread's rows: each element is a sum of T*B = 407 products of values
	 * of order 1, whose float rounding differs by a few units of 2^-24 per
	 * term at most (1e-5 relative leaves a margin of about 10x). */
	ok(gdiff < 1e-5, "3 threads: parameter gradients equal to 1 thread's up to summation order "
	                 "(relative 1e-5)");
	diag("threads vs 1 thread: parameter gradients differ by %.2g (relative)", gdiff);
	ok(runs_equal, "3 threads: two runs give bit-identical gradients");
}

/* Errors on external data, not crashes. */
static void test_errors(void)
{
	rec_config c = make_config(REC_LSTM, 2, 3, 1, 0, REC_POOL_LAST);
	rec_net *n = must_new(&c);
	float x[8] = {0};
	int len[2] = {3, 1};
	const float *o, *d;
	nlp_err err = {0};
	is_int(rec_forward(n, &o, x, 2, 2, len, 0, NULL, &err), NLP_EDATA,
	       "a length beyond the batch's steps is a data error");
	like(err.msg, "length 3", "the message names the length");
	len[0] = 2;
	is_int(rec_forward(n, &o, x, 2, 2, len, 0, NULL, &err), NLP_OK, "inference forward");
	is_int(rec_backward(n, &d, x, &err), NLP_EINTERNAL,
	       "backward after an inference forward is refused");
	rec_free(n);
	c.hidden = 0;
	ok(rec_new(&n, &c, &err) == NLP_ECONFIG && n == NULL, "hidden = 0 is refused");
}

/* ---- The stage classes through the host ---- */

static const char *const ini_fmt =
        "[pipeline]\nstages = tok, emb, enc, out\n\n"
        "[tok]\ntype = tokenizer\n\n"
        "[emb]\ntype = embedding\ndim = 4\n\n"
        "[enc]\ntype = %s\nhidden = 3\nlayers = 2\nbidirectional = true\n"
        "pooling = %s\ndropout = 0.1\n%s\n"
        "[out]\ntype = softmax\n";

static void test_host(void)
{
	nlp_host *h = NULL;
	nlp_err err = {0};
	if (nlp_host_new(&h, &err) || nlp_host_add_default_paths(h, &err) ||
	    nlp_host_load_modules(h, &err)) {
		ok(0, "host loads the modules");
		diag("%s", err.msg);
		nlp_host_free(h);
		return;
	}
	const char *need[] = {"rnn", "lstm", "gru", "tokenizer", "embedding", "softmax"};
	for (int i = 0; i < 3; i++) {
		char name[80];
		snprintf(name, sizeof name, "module rnn registers class %s", need[i]);
		ok(nlp_host_find_class(h, need[i], NULL) != NULL, name);
	}
	for (int i = 3; i < 6; i++) {
		if (!nlp_host_find_class(h, need[i], NULL)) {
			skip(9, "tokenizer, embedding or softmax class not built yet");
			nlp_host_free(h);
			return;
		}
	}
	static const char *const cls[] = {"rnn", "lstm", "gru"};
	static const char *const extra[] = {"nonlinearity = relu\n", "forget_bias = 1\n", ""};
	static const char *const pools[] = {"attention", "max", "mean"};
	for (int k = 0; k < 3; k++) {
		char text[1024], name[160];
		snprintf(text, sizeof text, ini_fmt, cls[k], pools[k], extra[k]);
		nlp_ini *ini = NULL;
		nlp_pipeline *p = NULL;
		int rc = nlp_ini_parse(&ini, "enc.ini", text, strlen(text), &err);
		if (!rc)
			rc = nlp_pipeline_new(&p, h, ini, &err);
		snprintf(name, sizeof name, "pipeline with a %s stage builds", cls[k]);
		if (!ok(rc == NLP_OK, name)) {
			diag("%s", err.msg);
			skip(2, "no pipeline");
			nlp_ini_free(ini);
			continue;
		}
		const nlp_stage_class *sc = nlp_pipeline_stage_class(p, 2);
		void *self = nlp_pipeline_stage_instance(p, 2);
		const nlp_train_ops *t = sc->train;
		int out_dim = 0;
		rc = t->setup(self, 4, 2, &out_dim, &err);
		is_int(out_dim, 6, "setup: output width is hidden x 2 directions");
		nlp_params prm;
		t->params(self, &prm);
		nlp_rng r;
		nlp_rng_seed(&r, 1);
		t->init(self, &r);
		/* The same computation through the internal API. */
		rec_config c = make_config(k == 0   ? REC_RNN_RELU
		                           : k == 1 ? REC_LSTM
		                                    : REC_GRU,
		                           4, 3, 2, 1,
		                           k == 0   ? REC_POOL_ATTENTION
		                           : k == 1 ? REC_POOL_MAX
		                                    : REC_POOL_MEAN);
		c.dropout = 0.1f;
		rec_net *n = must_new(&c);
		nlp_params pn;
		rec_params(n, &pn);
		int same_layout = pn.count == prm.count && pn.n_blocks == prm.n_blocks;
		if (same_layout)
			memcpy(pn.w, prm.w, pn.count * sizeof(float));
		enum { T = 5, B = 2 };
		int len[B] = {5, 3};
		float x[T * B * 4];
		fill_input(x, T, B, 4, len, &r);
		int32_t ids[T * B] = {0};
		nlp_batch bt = {.B = B, .T = T, .ids = ids, .len = len, .training = 0, .rng = &r};
		nlp_act in = {.x = x, .T = T, .B = B, .D = 4}, out = {0};
		rc = rc ? rc : t->forward(self, &out, &in, &bt, &err);
		const float *o;
		rec_forward(n, &o, x, T, B, len, 0, NULL, &err);
		snprintf(name, sizeof name, "%s stage forward = internal encoder, bit for bit",
		         cls[k]);
		ok(rc == NLP_OK && same_layout && out.B == B && out.D == 6 && out.T == 1 &&
		           memcmp(out.x, o, sizeof(float) * B * 6) == 0,
		   name);
		if (rc)
			diag("%s", err.msg);
		rec_free(n);
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
	}
	nlp_host_free(h);
}

/* The activations as the cells run them: a loop of an NK_CLONES function,
 * vectorized for the CPU (models/blas.h). */
NK_CLONES
static void act_loop(float *restrict sg, float *restrict th, const float *restrict x, int n)
{
	for (int i = 0; i < n; i++) {
		sg[i] = nk_sigmoid(x[i]);
		th[i] = nk_tanh(x[i]);
	}
}

/* Each element of a vectorized loop has the bits of the same loop over that
 * element alone (the scalar path of a loop's tail): a value cannot depend on
 * where in a row it sits.  And the errors against libm (double) over a
 * dense range stay within what models/blas.h states. */
static void test_activations(void)
{
	const int n = 1 << 20;
	float *x = xcalloc((size_t)n, sizeof *x), *sg = xcalloc((size_t)n, sizeof *sg);
	float *th = xcalloc((size_t)n, sizeof *th);
	int bad = 0;
	double esg = 0.0, eth = 0.0;
	for (int i = 0; i < n; i++) /* [-24, 24), denser near 0 */
		x[i] = i % 8 ? -24.0f + 48.0f * (float)i / (float)n
		             : ldexpf((float)i / n, -(i % 64));
	act_loop(sg, th, x, n);
	for (int i = 0; i < n; i++) {
		float s1, t1;
		act_loop(&s1, &t1, x + i, 1);
		bad += memcmp(&s1, sg + i, sizeof s1) != 0 || memcmp(&t1, th + i, sizeof t1) != 0;
		const double rs = 1.0 / (1.0 + exp(-(double)x[i])), rt = tanh((double)x[i]);
		const double e1 = fabs(sg[i] - rs) / rs, e2 = fabs(th[i] - rt);
		esg = e1 > esg ? e1 : esg;
		eth = e2 > eth ? e2 : eth;
	}
	diag("activations over [-24, 24]: sigmoid relative error %.3g, tanh absolute error %.3g",
	     esg, eth);
	is_int(bad, 0,
	       "activations: a vectorized loop gives each element the bits of the scalar "
	       "loop over it alone");
	ok(esg < 3e-7 && eth < 2e-7, "activations: sigmoid within 3e-7 relative, tanh within 2e-7 "
	                             "absolute of libm");
	free(x), free(sg), free(th);
}

int main(void)
{
	test_numerics(); /* first: it calls nlp_numerics_init itself */
	test_gemm();
	test_activations();
	test_naive_vs_blas();
	test_concat();
	test_padding(4, 6);
	test_padding(33, 40);
	test_determinism();
	test_truncation();
	test_reuse();
	test_no_dx();
	test_threads(5, 6);
	test_threads(33, 40);
	test_errors();
	test_host();
	return done_testing();
}
