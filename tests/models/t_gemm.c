/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_gemm.c - nk_gemm_rows, the row-stable product (models/gemm.h): within a
 * proven error bound of an exact (double) product for every shape, edge and
 * option; each row bit-identical however the rows are split into calls;
 * denormals flushed; and nk_gemm_tn, the weight gradients' C += A^T B.  Runs the kernel the CPU
 * (and NLPIPE_MAX_CPU_ISA) selects: tests/models/t_kernels.sh runs it under every one.
 *
 *   t_gemm --corename   print OpenBLAS's core name and the kernel, then exit
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "tap.h"
#include "t_encoders_util.h"
#include "../../models/blas.h"
#include "../../models/gemm.h"

/* Error bound of a float dot product of K terms accumulated one after the
 * other (Higham, Accuracy and Stability, 3.1): |c - exact| <= g_K *
 * (|c0| + sum |a_k b_k|) with g_K = K u / (1 - K u), u = 2^-24, each step
 * rounding once (FMA) or twice (multiply, add: g_2K then).  We check against
 * g_{2K+1}, which covers both, plus the rounding of the reference itself. */
static double bound(int K, double mag)
{
	const double u = ldexp(1.0, -24), n = 2.0 * K + 1;
	return n * u / (1.0 - n * u) * mag + u * mag;
}

typedef struct prob {
	int M, N, K, trans, lda, ldb, ldc;
	float *A, *B, *C0;
} prob;

static void prob_make(prob *p, int M, int N, int K, int trans, nlp_rng *r)
{
	p->M = M, p->N = N, p->K = K, p->trans = trans;
	p->lda = K + 3, p->ldc = N + 5;
	p->ldb = (trans ? K : N) + 2;
	const int brows = trans ? N : K;
	p->A = xcalloc((size_t)M * p->lda + 1, sizeof(float));
	p->B = xcalloc((size_t)brows * p->ldb + 1, sizeof(float));
	p->C0 = xcalloc((size_t)M * p->ldc + 1, sizeof(float));
	for (size_t i = 0; i < (size_t)M * p->lda; i++)
		p->A[i] = nlp_rng_normal(r);
	for (size_t i = 0; i < (size_t)brows * p->ldb; i++)
		p->B[i] = nlp_rng_normal(r);
	for (size_t i = 0; i < (size_t)M * p->ldc; i++)
		p->C0[i] = nlp_rng_normal(r);
}

static void prob_free(prob *p)
{
	free(p->A);
	free(p->B);
	free(p->C0);
}

/* Largest error of C against the exact product, in units of its bound;
 * columns past N (the ld padding) must be untouched. */
static double check(const prob *p, const float *C, int beta)
{
	double worst = 0.0;
	for (int i = 0; i < p->M; i++) {
		for (int j = 0; j < p->N; j++) {
			const double c0 = beta ? p->C0[(size_t)i * p->ldc + j] : 0.0;
			double s = c0, mag = fabs(c0);
			for (int k = 0; k < p->K; k++) {
				const double a = p->A[(size_t)i * p->lda + k];
				const double b = p->trans ? p->B[(size_t)j * p->ldb + k]
				                          : p->B[(size_t)k * p->ldb + j];
				s += a * b;
				mag += fabs(a * b);
			}
			const double e = fabs(C[(size_t)i * p->ldc + j] - s);
			const double lim = bound(p->K, mag) + 1e-300;
			worst = fmax(worst, e / lim);
		}
		for (int j = p->N; j < p->ldc; j++)
			if (C[(size_t)i * p->ldc + j] != p->C0[(size_t)i * p->ldc + j])
				return INFINITY;
	}
	return worst;
}

static void test_accuracy(void)
{
	static const int Ms[] = {1, 2, 3, 5, 6, 7, 8, 9, 13, 17, 33};
	static const int Ns[] = {1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100};
	static const int Ks[] = {0, 1, 2, 7, 64, 129};
	nlp_rng r;
	nlp_rng_seed(&r, 5);
	nk_pack pk = {0};
	float *C = NULL;
	double worst = 0.0;
	int cases = 0, oom = 0;
	for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
		for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
			for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++)
				for (int trans = 0; trans <= 1; trans++) {
					prob p;
					prob_make(&p, Ms[a], Ns[b], Ks[c], trans, &r);
					C = realloc(C, ((size_t)p.M * p.ldc + 1) * sizeof *C);
					oom |= !C || nk_pack_b(&pk, 0, trans, p.K, p.N, p.B, p.ldb);
					for (int beta = 0; !oom && beta <= 1; beta++) {
						memcpy(C, p.C0, (size_t)p.M * p.ldc * sizeof *C);
						nk_gemm_rows(0, p.M, p.A, p.lda, &pk, (float)beta,
						             C, p.ldc);
						worst = fmax(worst, check(&p, C, beta));
						cases++;
					}
					prob_free(&p);
				}
	ok(!oom && worst <= 1.0,
	   "every M x N x K (tile and panel edges, K = 0), both layouts of B, beta 0 and 1: "
	   "within the float dot-product error bound of the exact product, padding untouched");
	diag("%d cases, worst error %.3g of the bound (kernel %s)", cases, worst, nk_gemm_isa());
	free(C);
	nk_pack_free(&pk);
}

/* Rows computed in one call, one at a time, and in random chunks: the same
 * bits.  Also the naive path against itself the same way. */
static void test_rows(void)
{
	static const int shapes[][3] = {{37, 256, 64}, {29, 100, 37}, {50, 33, 129}, {19, 8, 5}};
	nlp_rng r;
	nlp_rng_seed(&r, 6);
	nk_pack pk = {0};
	int bad = 0, oom = 0;
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
		for (int beta = 0; beta <= 1; beta++) {
			prob p;
			prob_make(&p, shapes[s][0], shapes[s][1], shapes[s][2], (int)s & 1, &r);
			const size_t n = (size_t)p.M * p.ldc;
			float *all = xcalloc(n + 1, sizeof(float)),
			      *part = xcalloc(n + 1, sizeof(float));
			oom |= nk_pack_b(&pk, 0, p.trans, p.K, p.N, p.B, p.ldb);
			memcpy(all, p.C0, n * sizeof(float));
			nk_gemm_rows(0, p.M, p.A, p.lda, &pk, (float)beta, all, p.ldc);
			for (int round = 0; round < 4 && !oom; round++) {
				memcpy(part, p.C0, n * sizeof(float));
				for (int i = 0; i < p.M;) {
					int m = round == 0 ? 1 : 1 + (int)(nlp_rng_next(&r) % 11);
					m = m > p.M - i ? p.M - i : m;
					nk_gemm_rows(0, m, p.A + (size_t)i * p.lda, p.lda, &pk,
					             (float)beta, part + (size_t)i * p.ldc, p.ldc);
					i += m;
				}
				bad += memcmp(all, part, n * sizeof(float)) != 0;
			}
			free(all);
			free(part);
			prob_free(&p);
		}
	ok(!oom && bad == 0, "a row's result is bit-identical in one call, alone, and in random "
	                     "chunks of 1..11 rows (beta 0 and 1)");
	nk_pack_free(&pk);
}

/* nk_gemm_rows_from: each row started from its own row elsewhere (some
 * NULL: zeros) gives the bits of copying those rows into C and calling
 * nk_gemm_rows with beta 1, on the kernel and on the naive path; the
 * columns past N stay untouched. */
static void test_from(void)
{
	static const int shapes[][3] = {{37, 256, 64}, {29, 100, 37}, {9, 33, 129},
	                                {19, 8, 5},    {6, 40, 0},    {1, 3, 1}};
	nlp_rng r;
	nlp_rng_seed(&r, 7);
	nk_pack pk = {0};
	int bad = 0, oom = 0;
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
		for (int naive = 0; naive <= 1; naive++) {
			prob p;
			prob_make(&p, shapes[s][0], shapes[s][1], shapes[s][2], (int)s & 1, &r);
			const size_t n = (size_t)p.M * p.ldc;
			float *want = xcalloc(n + 1, sizeof(float)),
			      *got = xcalloc(n + 1, sizeof(float));
			float *src = xcalloc((size_t)p.M * p.N + 1, sizeof(float));
			const float **rows = xcalloc((size_t)p.M, sizeof *rows);
			for (size_t i = 0; i < (size_t)p.M * p.N; i++)
				src[i] = nlp_rng_normal(&r);
			memcpy(want, p.C0, n * sizeof(float));
			memcpy(got, p.C0, n * sizeof(float));
			for (int i = 0; i < p.M; i++) {
				const int none = nlp_rng_next(&r) % 5 == 0;
				rows[i] = none ? NULL : src + (size_t)i * p.N;
				for (int j = 0; j < p.N; j++)
					want[(size_t)i * p.ldc + j] = none ? 0.0f : rows[i][j];
			}
			oom |= nk_pack_b(&pk, naive, p.trans, p.K, p.N, p.B, p.ldb);
			nk_gemm_rows(naive, p.M, p.A, p.lda, &pk, 1.0f, want, p.ldc);
			nk_gemm_rows_from(naive, p.M, p.A, p.lda, &pk, rows, got, p.ldc);
			bad += memcmp(want, got, n * sizeof(float)) != 0;
			free(want), free(got), free(src), free(rows);
			prob_free(&p);
		}
	ok(!oom && bad == 0, "rows started from other rows (or zeros): the bits of copying them in "
	                     "and adding with beta 1, kernel and naive, padding untouched");
	nk_pack_free(&pk);
}

/* FTZ/DAZ hold in the kernel: products of denormals give zeros. */
static void test_denormals(void)
{
	enum { M = 9, N = 40, K = 20 };
	float A[M * K], B[K * N], C[M * N];
	volatile float tiny = 1e-39f; /* a denormal */
	for (int i = 0; i < M * K; i++)
		A[i] = tiny;
	for (int i = 0; i < K * N; i++)
		B[i] = 0.5f;
	nk_pack pk = {0};
	int nz = -1;
	if (nk_pack_b(&pk, 0, 0, K, N, B, N) == 0) {
		nk_gemm_rows(0, M, A, K, &pk, 0.0f, C, N);
		nz = 0;
		for (int i = 0; i < M * N; i++)
			nz += C[i] != 0.0f;
	}
	is_int(nz, 0, "after nlp_numerics_init, the kernel flushes denormals (FTZ/DAZ)");
	nk_pack_free(&pk);
}

/* nk_gemm_tn, C += A^T B (the weight gradients): within the error bound of
 * the exact product; passes over K give the bits of one nk_gemm_rows call
 * on A^T (one chain per element, in order), with either tile shape (8 x 32
 * below 256 columns, 6 x 64 from 256) and their edges; the naive path is
 * the reference loop. */
static void test_tn(void)
{
	static const int shapes[][3] = {{1, 1, 1},     {7, 9, 3},      {33, 17, 256},
	                                {64, 40, 257}, {37, 100, 600}, {5, 3, 0},
	                                {13, 300, 70}, {20, 256, 300}, {6, 512, 5}};
	nlp_rng r;
	nlp_rng_seed(&r, 11);
	nk_tn_ws ws = {0};
	nk_pack pk = {0};
	double worst = 0.0;
	int same = 1, oom = 0, naive_ok = 1;
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
		const int lda = M + 3, ldb = N + 2, ldc = N + 5;
		float *A = xcalloc((size_t)K * lda + 1, sizeof *A);
		float *B = xcalloc((size_t)K * ldb + 1, sizeof *B);
		float *At = xcalloc((size_t)M * K + 1, sizeof *At);
		float *C0 = xcalloc((size_t)M * ldc, sizeof *C0);
		float *C = xcalloc((size_t)M * ldc, sizeof *C);
		float *D = xcalloc((size_t)M * ldc, sizeof *D);
		for (size_t i = 0; i < (size_t)K * lda; i++)
			A[i] = nlp_rng_normal(&r);
		for (size_t i = 0; i < (size_t)K * ldb; i++)
			B[i] = nlp_rng_normal(&r);
		for (size_t i = 0; i < (size_t)M * ldc; i++)
			C0[i] = nlp_rng_normal(&r);
		for (int i = 0; i < M; i++)
			for (int k = 0; k < K; k++)
				At[(size_t)i * K + k] = A[(size_t)k * lda + i];
		/* the bound, through check(): the problem as A^T [M x K] . B */
		prob p = {.M = M,
		          .N = N,
		          .K = K,
		          .lda = K,
		          .ldb = ldb,
		          .ldc = ldc,
		          .A = At,
		          .B = B,
		          .C0 = C0};
		memcpy(C, C0, (size_t)M * ldc * sizeof *C);
		oom |= nk_gemm_tn(0, M, N, K, A, lda, B, ldb, C, ldc, &ws) != 0;
		worst = fmax(worst, check(&p, C, 1));
		memcpy(D, C0, (size_t)M * ldc * sizeof *D);
		oom |= nk_pack_b(&pk, 0, 0, K, N, B, ldb) != 0;
		nk_gemm_rows(0, M, At, K, &pk, 1.0f, D, ldc);
		same &= !memcmp(C, D, (size_t)M * ldc * sizeof *C);
		memcpy(C, C0, (size_t)M * ldc * sizeof *C);
		memcpy(D, C0, (size_t)M * ldc * sizeof *D);
		oom |= nk_gemm_tn(1, M, N, K, A, lda, B, ldb, C, ldc, &ws) != 0;
		nk_gemm_ref(1, 0, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, D, ldc);
		naive_ok &= !memcmp(C, D, (size_t)M * ldc * sizeof *C);
		free(A), free(B), free(At), free(C0), free(C), free(D);
	}
	ok(!oom && worst <= 1.0,
	   "nk_gemm_tn: C += A^T B within the float dot-product error bound of the exact "
	   "product, K across several passes, padding untouched");
	diag("worst error %.3g of the bound", worst);
	ok(!oom && same, "nk_gemm_tn: the bits of one nk_gemm_rows over A^T (one chain per "
	                 "element, k in order, however K is cut into passes)");
	ok(!oom && naive_ok, "nk_gemm_tn naive: the reference loop's bits");
	nk_tn_ws_free(&ws);
	nk_pack_free(&pk);
}

static void test_isa(void)
{
	const char *cap = getenv("NLPIPE_MAX_CPU_ISA");
	const char *got = nk_gemm_isa();
	diag("kernel %s (NLPIPE_MAX_CPU_ISA=%s), OpenBLAS core %s", got, cap ? cap : "",
	     openblas_get_corename());
	if (!cap || !*cap)
		return; /* the best kernel for the CPU: t_kernels.sh runs the others */
	ok(!strcmp(cap, got), "NLPIPE_MAX_CPU_ISA selects that kernel");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--corename")) {
		printf("%s %s\n", openblas_get_corename(), nk_gemm_isa());
		return 0;
	}
	nlp_numerics_init();
	test_accuracy();
	test_rows();
	test_from();
	test_denormals();
	test_tn();
	test_isa();
	return done_testing();
}
