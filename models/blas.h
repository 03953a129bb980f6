/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/blas.h - numeric helpers shared by the recurrent stages (internal to
 * the modules that compile them in; nothing here is exported).
 *
 * nk_gemm (cblas_sgemm) is for weight gradients, sums over the batch
 * whose rounding may depend on OpenBLAS's kernel (the recurrent encoders'
 * use nk_gemm_tn instead); every product whose rows must not depend on one
 * another is nk_gemm_rows (models/gemm.h).
 *
 * Matrices are row-major.  nk_gemm computes
 *     C[M x N] = alpha * op(A) op(B) + beta * C
 * where op(A) is A [M x K] (ta = 0, row stride lda) or the transpose of A
 * stored [K x M] (ta = 1); likewise op(B) is B [K x N] (tb = 0) or the
 * transpose of B stored [N x K] (tb = 1).  naive != 0 selects the reference
 * loop (double accumulation, no BLAS) instead of cblas_sgemm; every kernel
 * that calls nk_gemm takes that flag so a test can compare both paths.
 * With beta == 0, C is not read (NaN in it does not propagate).
 */
#ifndef NLP_MODELS_BLAS_H
#define NLP_MODELS_BLAS_H

#include <stddef.h>
#include <stdint.h>

#include "nlpipe/train.h"

void nk_gemm(int naive, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc);

/* The reference loop behind nk_gemm(1, ...). */
void nk_gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);

/* y[j] += sum over rows i < M of X[i * ldx + j], j < N (bias gradients). */
void nk_colsum_add(float *y, const float *X, int M, int N, int ldx);

/* Set OpenBLAS's thread count to n (if it differs; n < 1: leave it);
 * returns the old count. */
int nk_blas_threads(int n);

/* Run fn(arg, k, S) for k = 0 .. S-1 (S <= 64): part 0 on this thread, the
 * others on new threads (on this one when a thread cannot start), OpenBLAS
 * single-threaded meanwhile.  S <= 1: fn(arg, 0, 1) here. */
void nk_parallel(int S, void (*fn)(void *arg, int k, int S), void *arg);

/* Advise the kernel to back the 2 MiB pages inside [p, p + bytes) with
 * transparent huge pages (Linux, when the system allows it on advice:
 * /sys/kernel/mm/transparent_hugepage/enabled = madvise or always; else
 * nothing).  For large tables read at random rows (the bag's table, the
 * lookup's input projections): with 4 KiB pages nearly every row read
 * also misses the TLB.  Call it before the pages are first written
 * (calloc's pages are mapped on first write: still lazily, 2 MiB at a
 * time).  Changes no value. */
void nk_advise_huge(void *p, size_t bytes);

/* Set each of the M rows of X [M x N] (row stride ldx) to v [N]. */
void nk_rows_set(float *X, const float *v, int M, int N, int ldx);

/* Runtime dispatch for the element-wise loops: functions marked NK_CLONES
 * are compiled for AVX-512, AVX2+FMA and the baseline, and the loader picks
 * the best the CPU has (GCC target_clones, an ifunc).  The default build
 * stays portable (no -march).  Results may differ in the last bits between
 * CPUs (FMA contraction), never between runs on one CPU. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 &&           \
        defined(__linux__) && !defined(NLP_NO_CLONES)
#define NK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NK_CLONES
#endif

/* Always inlined, so a helper takes the target of the clone calling it. */
#define NK_INLINE static inline __attribute__((always_inline))

/* Element-wise activations, branch-free so that loops over them vectorize
 * (libm's expf/tanhf are calls the compiler cannot vectorize without
 * -ffast-math).  nk_expf: Cephes-style range reduction and a degree-6
 * polynomial, relative error about 1e-7 over [-87, 88] (clamped outside).
 * nk_tanh: odd polynomial below 0.625 (Cephes), 1 - 2 / (e^2|x| + 1) above;
 * absolute error below 2e-7.  nk_sigmoid: 1 / (1 + e^-x), relative error
 * about 2e-7. */
NK_INLINE float nk_expf(float x)
{
	x = x < -87.0f ? -87.0f : x;
	x = x > 88.0f ? 88.0f : x;
	/* n = round(x / ln 2) by the 1.5 * 2^23 trick (no libm call) */
	float n = x * 1.44269504088896341f + 12582912.0f;
	n -= 12582912.0f;
	const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
	float p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	union {
		int32_t i;
		float f;
	} e;
	e.i = ((int32_t)n + 127) << 23;
	return p * e.f;
}

NK_INLINE float nk_sigmoid(float x)
{
	return 1.0f / (1.0f + nk_expf(-x));
}

NK_INLINE float nk_tanh(float x)
{
	const float a = x < 0.0f ? -x : x;
	const float z = x * x;
	float p = -5.70498872745e-3f;
	p = p * z + 2.06390887954e-2f;
	p = p * z - 5.37397155531e-2f;
	p = p * z + 1.33314422036e-1f;
	p = p * z - 3.33332819422e-1f;
	const float small = x + x * z * p;
	const float big = 1.0f - 2.0f / (nk_expf(2.0f * a) + 1.0f);
	const float sb = x < 0.0f ? -big : big;
	return a < 0.625f ? small : sb;
}

/* The softmax of one row of logits z [V] (V >= 1) in place: probabilities
 * (nk_expf's accuracy, the sum in double); returns the row's log-sum-exp.
 * AVX-512 where nk_gemm_rows uses it (models/softmax.c). */
double nk_softmax_row(float *z, int V);

#endif /* NLP_MODELS_BLAS_H */
