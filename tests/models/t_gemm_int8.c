/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_gemm_int8.c - the int8 product (models/gemm_int8.h): on random shapes
 * (odd K, N and M included, beta 0 and 1, transposed and plain B, relu-like
 * and tanh-like rows), the kernel this CPU runs gives the same bits as the
 * scalar reference, both are within the quantization bound of the header
 * of the exact (double) product of the float inputs, and every row is
 * bit-identical however rows are split into calls.  The kernel is the one
 * nlp_int8_kernel() chooses: tests/models/t_kernels.sh runs this under
 * every NLPIPE_MAX_CPU_ISA cap, so each kernel the CPU has (AVX-512 VNNI,
 * AVX2) meets the scalar one; under the cap c the comparison is trivial. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "tap.h"
#include "t_encoders_util.h"
#include "../../models/gemm_int8.h"

/* The bound of gemm_int8.h for element (i, j), plus 4 ulps of the result
 * and of beta * C (the float roundings and the rounding of the scales). */
static double bound(const float *A, int lda, const float *B, int trans, int ld, int K, int i, int j,
                    double exact, double c0)
{
	double sa = 0.0, sb = 0.0, suma = 0.0, sumb = 0.0;
	for (int k = 0; k < K; k++) {
		const double a = fabs(A[(size_t)i * lda + k]);
		const double b = fabs(trans ? B[(size_t)j * ld + k] : B[(size_t)k * ld + j]);
		sa = a > sa ? a : sa;
		sb = b > sb ? b : sb;
		suma += a;
		sumb += b;
	}
	sa /= 127.0, sb /= 127.0;
	const double q = sb / 2 * suma + sa / 2 * (sumb + K * sb / 2);
	return q * (1.0 + 1e-5) + 4.0 * 0x1p-23 * (fabs(exact) + fabs(c0) + q) + 1e-30;
}

/* One random case; returns the number of failed checks (diagnosed). */
static int one_case(nlp_rng *r, int M, int N, int K, int trans, int beta, int relu, double *worst)
{
	const int lda = K + 3, ld = (trans ? K : N) + 1, ldc = N + 2;
	float *A = xcalloc((size_t)M * lda, sizeof *A);
	float *B = xcalloc((size_t)(trans ? N : K) * ld, sizeof *B);
	float *C0 = xcalloc((size_t)M * ldc, sizeof *C0);
	float *C1 = xcalloc((size_t)M * ldc, sizeof *C1),
	      *C2 = xcalloc((size_t)M * ldc, sizeof *C2);
	nk_pack8 pk = {0};
	nk_rows8 ws = {0};
	int fails = 0;
	for (size_t i = 0; i < (size_t)M * lda; i++) {
		const float v = nlp_rng_normal(r);
		A[i] = relu ? (v > 0 ? 3.0f * v : 0.0f) : tanhf(v);
	}
	for (size_t i = 0; i < (size_t)(trans ? N : K) * ld; i++)
		B[i] = 0.2f * nlp_rng_normal(r);
	for (size_t i = 0; i < (size_t)M * ldc; i++)
		C0[i] = C1[i] = C2[i] = nlp_rng_normal(r);
	if (nk_pack8_b(&pk, trans, K, N, B, ld) || nk_rows8_reserve(&ws, M, K) ||
	    nk_gemm8_rows(0, M, A, lda, &pk, beta ? 1.0f : 0.0f, C1, ldc, &ws) ||
	    nk_gemm8_rows(1, M, A, lda, &pk, beta ? 1.0f : 0.0f, C2, ldc, &ws)) {
		diag("out of memory");
		fails++;
	}
	if (!fails && memcmp(C1, C2, (size_t)M * ldc * sizeof *C1)) {
		diag("M %d N %d K %d: kernel %s differs from the scalar one", M, N, K,
		     nk_int8_isa());
		fails++;
	}
	for (int i = 0; i < M && !fails; i++)
		for (int j = 0; j < N; j++) {
			double e = 0.0;
			for (int k = 0; k < K; k++)
				e += (double)A[(size_t)i * lda + k] *
				     (trans ? B[(size_t)j * ld + k] : B[(size_t)k * ld + j]);
			const double c0 = beta ? C0[(size_t)i * ldc + j] : 0.0;
			const double b = bound(A, lda, B, trans, ld, K, i, j, e, c0);
			const double err = fabs(C1[(size_t)i * ldc + j] - (e + c0));
			*worst = err / b > *worst ? err / b : *worst;
			if (!(err <= b)) {
				diag("M %d N %d K %d (%d, %d): error %g over the bound %g", M, N, K,
				     i, j, err, b);
				fails++;
				break;
			}
		}
	for (int i = 0; i < M; i++) /* padding columns of C untouched */
		for (int j = N; j < ldc && !fails; j++)
			if (C1[(size_t)i * ldc + j] != C0[(size_t)i * ldc + j]) {
				diag("M %d N %d: column %d past N written", M, N, j);
				fails++;
			}
	free(A), free(B), free(C0), free(C1), free(C2);
	nk_pack8_free(&pk);
	nk_rows8_free(&ws);
	return fails;
}

static void test_product(void)
{
	nlp_rng r;
	nlp_rng_seed(&r, 8);
	int fails = 0, cases = 0;
	double worst = 0.0;
	static const int sizes[] = {1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 32, 33, 63, 64, 100, 129};
	const int ns = (int)(sizeof sizes / sizeof *sizes);
	for (int it = 0; it < 120; it++) {
		const int M = sizes[(int)(nlp_rng_next(&r) % 10)] + (it % 3 == 0 ? 8 : 0);
		const int N = sizes[(int)(nlp_rng_next(&r) % (uint64_t)ns)];
		const int K = sizes[(int)(nlp_rng_next(&r) % (uint64_t)ns)];
		fails += one_case(&r, M, N, K, it & 1, (it >> 1) & 1, it % 5 == 0, &worst);
		cases++;
	}
	diag("%d cases, worst error %.3g of the bound (kernel %s)", cases, worst, nk_int8_isa());
	ok(fails == 0, "every kernel bit-identical to the scalar one, within the quantization "
	               "bound of the exact product");
	ok(worst > 0.01, "the bound is not vacuous (errors reach a part of it)");
}

/* Rows computed 37 at a time or one by one: the same bits. */
static void test_rows(void)
{
	const int M = 37, N = 45, K = 70;
	nlp_rng r;
	nlp_rng_seed(&r, 9);
	float *A = xcalloc((size_t)M * K, sizeof *A), *B = xcalloc((size_t)K * N, sizeof *B);
	float *C1 = xcalloc((size_t)M * N, sizeof *C1), *C2 = xcalloc((size_t)M * N, sizeof *C2);
	nk_pack8 pk = {0};
	nk_rows8 ws = {0};
	int fails = 0;
	for (int i = 0; i < M * K; i++)
		A[i] = tanhf(nlp_rng_normal(&r));
	for (int i = 0; i < K * N; i++)
		B[i] = nlp_rng_normal(&r);
	fails |= nk_pack8_b(&pk, 0, K, N, B, N) || nk_rows8_reserve(&ws, M, K) ||
	         nk_gemm8_rows(0, M, A, K, &pk, 0.0f, C1, N, &ws);
	for (int i = 0; i < M; i++)
		fails |= nk_gemm8_rows(0, 1, A + (size_t)i * K, K, &pk, 0.0f, C2 + (size_t)i * N, N,
		                       &ws);
	ok(!fails && !memcmp(C1, C2, (size_t)M * N * sizeof *C1),
	   "each row bit-identical whether computed with 36 others or alone");
	nk_rows8_free(&ws);
	ok(nk_gemm8_rows(0, M, A, K, &pk, 0.0f, C1, N, &ws) == -1,
	   "a workspace too small is refused, nothing computed");
	free(A), free(B), free(C1), free(C2);
	nk_pack8_free(&pk);
}

/* nk_gemm8_rows_from: rows started from rows elsewhere (some NULL: zeros)
 * give the bits of copying them into C and calling nk_gemm8_rows with
 * beta 1, on this CPU's kernel and on the scalar one; padding untouched. */
static void test_from(void)
{
	static const int shapes[][3] = {{37, 45, 70}, {9, 33, 129}, {5, 8, 3}, {3, 7, 0}};
	nlp_rng r;
	nlp_rng_seed(&r, 10);
	int fails = 0;
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
		for (int ref = 0; ref <= 1; ref++) {
			const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], ldc = N + 3;
			float *A = xcalloc((size_t)M * K + 1, sizeof *A);
			float *B = xcalloc((size_t)K * N + 1, sizeof *B);
			float *src = xcalloc((size_t)M * N, sizeof *src);
			float *want = xcalloc((size_t)M * ldc, sizeof *want);
			float *got = xcalloc((size_t)M * ldc, sizeof *got);
			const float **rows = xcalloc((size_t)M, sizeof *rows);
			nk_pack8 pk = {0};
			nk_rows8 ws = {0};
			for (int i = 0; i < M * K; i++)
				A[i] = tanhf(nlp_rng_normal(&r));
			for (int i = 0; i < K * N; i++)
				B[i] = 0.2f * nlp_rng_normal(&r);
			for (int i = 0; i < M * N; i++)
				src[i] = nlp_rng_normal(&r);
			for (int i = 0; i < M * ldc; i++)
				want[i] = got[i] = nlp_rng_normal(&r);
			for (int i = 0; i < M; i++) {
				const int none = nlp_rng_next(&r) % 4 == 0;
				rows[i] = none ? NULL : src + (size_t)i * N;
				for (int j = 0; j < N; j++)
					want[(size_t)i * ldc + j] = none ? 0.0f : rows[i][j];
			}
			fails |= nk_pack8_b(&pk, 0, K, N, B, N) || nk_rows8_reserve(&ws, M, K) ||
			         nk_gemm8_rows(ref, M, A, K, &pk, 1.0f, want, ldc, &ws) ||
			         nk_gemm8_rows_from(ref, M, A, K, &pk, rows, got, ldc, &ws);
			fails |= memcmp(want, got, (size_t)M * ldc * sizeof *got) != 0;
			free(A), free(B), free(src), free(want), free(got), free(rows);
			nk_pack8_free(&pk);
			nk_rows8_free(&ws);
		}
	ok(!fails, "rows started from other rows (or zeros): the bits of copying them in and "
	           "adding with beta 1, kernel and scalar, padding untouched");
}

/* Edge values: a zero row gives exactly beta * C, a zero column exactly
 * zero, an exact grid (values k / 127 of the largest) is exact. */
static void test_edges(void)
{
	const int K = 5, N = 3;
	float A[2 * 5] = {0, 0, 0, 0, 0, 127, -64, 1, 0, 127}, B[5 * 3], C[2 * 3];
	nk_pack8 pk = {0};
	nk_rows8 ws = {0};
	for (int k = 0; k < K; k++) {
		B[k * N + 0] = (float)(k - 2) * 0.5f;
		B[k * N + 1] = 0.0f;
		B[k * N + 2] = (float)(127 - 60 * k);
	}
	for (int i = 0; i < 6; i++)
		C[i] = 1.5f;
	int bad = nk_pack8_b(&pk, 0, K, N, B, N) || nk_rows8_reserve(&ws, 2, K) ||
	          nk_gemm8_rows(0, 2, A, K, &pk, 1.0f, C, N, &ws);
	ok(!bad && C[0] == 1.5f && C[1] == 1.5f && C[2] == 1.5f,
	   "a zero row of A adds exactly zero (beta 1)");
	ok(!bad && C[4] == 1.5f, "a zero column of B adds exactly zero");
	/* column 2 is 127, 67, 7, -53, -113: integers under 127, exact at
	 * scale 1; row 1 is integers under 127, exact at scale 1 too */
	double e = 0.0;
	for (int k = 0; k < K; k++)
		e += (double)A[K + k] * B[k * N + 2];
	ok(!bad && C[5] == (float)(e + 1.5), "values on the quantization grid: exact");
	nk_pack8_free(&pk);
	nk_rows8_free(&ws);
}

int main(void)
{
	plan(8);
	diag("int8 kernel: %s", nk_int8_isa());
	test_product();
	test_rows();
	test_from();
	test_edges();
	return done_testing();
}
