/* models/blas.h - numeric helpers shared by the recurrent stages (internal to
 * the modules that compile them in; nothing here is exported).
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

void nk_gemm(int naive, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc);

/* The reference loop behind nk_gemm(1, ...). */
void nk_gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);

/* y[j] += sum over rows i < M of X[i * ldx + j], j < N (bias gradients). */
void nk_colsum_add(float *y, const float *X, int M, int N, int ldx);

/* Set each of the M rows of X [M x N] (row stride ldx) to v [N]. */
void nk_rows_set(float *X, const float *v, int M, int N, int ldx);

/* Element-wise activations, written as plain loops the compiler vectorizes
 * (see blas.c for the function versions and their accuracy). */
static inline float nk_sigmoid(float x)
{
	return 1.0f / (1.0f + __builtin_expf(-x));
}

static inline float nk_tanh(float x)
{
	return __builtin_tanhf(x);
}

/* Grow *p to hold at least n elements of size elem (contents not kept).
 * Returns 0, or -1 when out of memory (*p is then unchanged). */
int nk_grow(void *p, size_t *cap, size_t n, size_t elem);

#endif /* NLP_MODELS_BLAS_H */
