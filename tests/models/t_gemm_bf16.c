/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_gemm_bf16.c - the bf16 product (models/gemm_bf16.h): the rounding to
 * bfloat16 against hand-worked values; the product within the float
 * accumulation bound of the exact product of the rounded inputs, and within
 * bf16's own bound of the exact product of the float inputs; every row
 * bit-identical however rows are split into calls.  On a CPU without
 * AVX512_BF16 (or under NLPIPE_MAX_CPU_ISA=avx2) only the rounding is
 * checked, and that the product refuses. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "tap.h"
#include "t_encoders_util.h"
#include "../../models/gemm_bf16.h"

static float bits(uint32_t u)
{
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}

static void test_round(void)
{
	static const struct {
		uint32_t in;
		uint16_t want;
		const char *what;
	} cases[] = {
	        {0x3f800000u, 0x3f80, "1 is exact"},
	        {0x3f808000u, 0x3f80, "1 + 2^-8 (a tie) rounds to even, down"},
	        {0x3f818000u, 0x3f82, "1 + 3 * 2^-8 (a tie) rounds to even, up"},
	        {0x3f808001u, 0x3f81, "just over a tie rounds up"},
	        {0xbf80ffffu, 0xbf81, "negative values round by magnitude"},
	        {0x7f7fffffu, 0x7f80, "the largest float rounds to infinity"},
	        {0x7f800000u, 0x7f80, "infinity stays"},
	        {0xff800000u, 0xff80, "minus infinity stays"},
	        {0x7fa00000u, 0x7fe0, "a signalling NaN becomes a quiet NaN"},
	        {0x00000001u, 0x0000, "the smallest denormal flushes to zero"},
	        {0x807fffffu, 0x8000, "a negative denormal flushes to minus zero"},
	        {0x00800000u, 0x0080, "the smallest normal is exact"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const uint16_t got = nk_bf16_round(bits(cases[i].in));
		if (!ok(got == cases[i].want, cases[i].what))
			diag("0x%08x -> 0x%04x, want 0x%04x", cases[i].in, got, cases[i].want);
	}
	ok(nk_bf16_float(0x3f82) == 1.015625f && nk_bf16_float(0xc000) == -2.0f,
	   "bf16 bits widen to the exact float");
}

/* The largest error of C against two references, in units of the bounds:
 * e1 against the exact product of the rounded inputs (float accumulation:
 * at most two roundings a pair, Higham 3.1), e2 against the exact product
 * of the float inputs (each input off by at most 2^-9 relative). */
static void errors(int M, int N, int K, const float *A, const float *B, const float *C0,
                   const float *C, int beta, double *e1, double *e2)
{
	const double u = ldexp(1.0, -24), n = K + 2.0, g = n * u / (1.0 - n * u);
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			const double c0 = beta ? C0[(size_t)i * N + j] : 0.0;
			double sr = c0, sf = c0, mag = fabs(c0);
			for (int k = 0; k < K; k++) {
				const double a = A[(size_t)i * K + k], b = B[(size_t)k * N + j];
				sr += (double)nk_bf16_float(nk_bf16_round(A[(size_t)i * K + k])) *
				      nk_bf16_float(nk_bf16_round(B[(size_t)k * N + j]));
				sf += a * b;
				mag += fabs(a * b);
			}
			const double c = C[(size_t)i * N + j];
			*e1 = fmax(*e1, fabs(c - sr) / (g * mag + u * mag + 1e-300));
			*e2 = fmax(*e2, fabs(c - sf) / ((2 * ldexp(1.0, -8) + g) * mag + 1e-300));
		}
}

static void fill(float *x, size_t n, nlp_rng *r)
{
	for (size_t i = 0; i < n; i++)
		x[i] = nlp_rng_normal(r);
}

static void test_product(void)
{
	static const int Ms[] = {1, 3, 8, 9, 17};
	static const int Ns[] = {1, 16, 31, 32, 33, 100};
	static const int Ks[] = {0, 1, 2, 7, 64, 129};
	nlp_rng r;
	nk_pack16 pk = {0}, pt = {0};
	nk_rows16 ws = {0};
	double e1 = 0, e2 = 0;
	int fails = 0, same_t = 1;

	nlp_rng_seed(&r, 16);
	for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
		for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
			for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) {
				const int M = Ms[a], N = Ns[b], K = Ks[c];
				float *A = xcalloc((size_t)M * K + 1, sizeof *A);
				float *B = xcalloc((size_t)K * N + 1, sizeof *B);
				float *Bt = xcalloc((size_t)K * N + 1, sizeof *Bt);
				float *C0 = xcalloc((size_t)M * N, sizeof *C0);
				float *C = xcalloc((size_t)M * N, sizeof *C);
				float *Ct = xcalloc((size_t)M * N, sizeof *Ct);
				fill(A, (size_t)M * K, &r);
				fill(B, (size_t)K * N, &r);
				fill(C0, (size_t)M * N, &r);
				for (int k = 0; k < K; k++)
					for (int j = 0; j < N; j++)
						Bt[(size_t)j * K + k] = B[(size_t)k * N + j];
				fails |= nk_pack16_b(&pk, 0, K, N, B, N) ||
				         nk_pack16_b(&pt, 1, K, N, Bt, K);
				for (int beta = 0; beta <= 1 && !fails; beta++) {
					memcpy(C, C0, (size_t)M * N * sizeof *C);
					memcpy(Ct, C0, (size_t)M * N * sizeof *C);
					fails |= nk_gemm16_rows(M, A, K, &pk, (float)beta, C, N,
					                        &ws) ||
					         nk_gemm16_rows(M, A, K, &pt, (float)beta, Ct, N,
					                        &ws);
					same_t &= !memcmp(C, Ct, (size_t)M * N * sizeof *C);
					errors(M, N, K, A, B, C0, C, beta, &e1, &e2);
				}
				free(A), free(B), free(Bt), free(C0), free(C), free(Ct);
			}
	ok(!fails && e1 <= 1.0,
	   "every shape (tile and panel edges, odd K, K = 0), beta 0 and 1: within the float "
	   "accumulation bound of the exact product of the bf16-rounded inputs");
	ok(!fails && e2 <= 1.0, "and within bf16's rounding bound of the exact float product");
	ok(!fails && same_t, "B packed from either layout gives the same bits");
	diag("worst errors %.3g and %.3g of the bounds", e1, e2);
	nk_pack16_free(&pk);
	nk_pack16_free(&pt);
	nk_rows16_free(&ws);
}

/* One call for 37 rows, then one row at a time: the same bits. */
static void test_rows(void)
{
	const int M = 37, N = 70, K = 45;
	nlp_rng r;
	nk_pack16 pk = {0};
	nk_rows16 ws = {0};
	float *A = xcalloc((size_t)M * K, sizeof *A), *B = xcalloc((size_t)K * N, sizeof *B);
	float *C1 = xcalloc((size_t)M * N, sizeof *C1), *C2 = xcalloc((size_t)M * N, sizeof *C2);
	int fails;

	nlp_rng_seed(&r, 17);
	fill(A, (size_t)M * K, &r);
	fill(B, (size_t)K * N, &r);
	fails = nk_pack16_b(&pk, 0, K, N, B, N) || nk_gemm16_rows(M, A, K, &pk, 0.0f, C1, N, &ws);
	for (int i = 0; i < M && !fails; i++)
		fails |= nk_gemm16_rows(1, A + (size_t)i * K, K, &pk, 0.0f, C2 + (size_t)i * N, N,
		                        &ws);
	ok(!fails && !memcmp(C1, C2, (size_t)M * N * sizeof *C1),
	   "each row bit-identical whether computed with 36 others or alone");
	free(A), free(B), free(C1), free(C2);
	nk_pack16_free(&pk);
	nk_rows16_free(&ws);
}

int main(void)
{
	const int have = nk_bf16_available();
	plan(have ? 17 : 14);
	test_round();
	if (have) {
		test_product();
		test_rows();
	} else {
		nk_pack16 pk = {0};
		nk_rows16 ws = {0};
		float a = 1.0f, c = 0.0f;
		diag("no AVX512_BF16 here (or NLPIPE_MAX_CPU_ISA caps it): the product is "
		     "not checked");
		ok(nk_pack16_b(&pk, 0, 1, 1, &a, 1) == 0 &&
		           nk_gemm16_rows(1, &a, 1, &pk, 0.0f, &c, 1, &ws) == -1,
		   "without AVX512_BF16 the product refuses (callers use fp32)");
		nk_pack16_free(&pk);
	}
	return done_testing();
}
