/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/blas.c - sgemm wrapper, its naive reference, small helpers. */
#include "config.h"

#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "blas.h"
#include "nlpipe/train.h"

void nk_advise_huge(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	const uintptr_t huge = (uintptr_t)2 << 20;
	const uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	const uintptr_t b = ((uintptr_t)p + bytes) & ~(huge - 1);
	if (p && b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE); /* advice: failure is harmless */
#else
	(void)p;
	(void)bytes;
#endif
}

void nk_gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc)
{
	for (int i = 0; i < M; i++) {
		for (int j = 0; j < N; j++) {
			double s = 0.0;
			for (int k = 0; k < K; k++) {
				double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
				double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
				s += a * b;
			}
			float *c = &C[(size_t)i * ldc + j];
			*c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
		}
	}
}

void nk_gemm(int naive, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		/* Nothing to add: only the beta scaling is left. */
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++)
				C[(size_t)i * ldc + j] =
				        beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
		return;
	}
	if (naive) {
		nk_gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
		return;
	}
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
	            M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int nk_blas_threads(int n)
{
	const int old = openblas_get_num_threads();
	if (n != old && n >= 1)
		openblas_set_num_threads(n);
	return old;
}

void nk_parallel(int S, void (*fn)(void *arg, int k, int S), void *arg)
{
	if (S <= 1) {
		fn(arg, 0, 1);
		return;
	}
	const int blas = nk_blas_threads(1);
	nlp_parallel(S, fn, arg);
	(void)nk_blas_threads(blas);
}

void nk_colsum_add(float *y, const float *X, int M, int N, int ldx)
{
	for (int i = 0; i < M; i++) {
		const float *x = X + (size_t)i * ldx;
		for (int j = 0; j < N; j++)
			y[j] += x[j];
	}
}

void nk_rows_set(float *X, const float *v, int M, int N, int ldx)
{
	for (int i = 0; i < M; i++)
		memcpy(X + (size_t)i * ldx, v, (size_t)N * sizeof *v);
}
