/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm_int8.h - the row-stable product at int8 precision, for the
 * recurrent encoders' `precision = int8` at inference (internal to the
 * modules that compile it in):
 *
 *     C[M x N] = beta * C + A[M x K] . B[K x N]   (beta 0 or 1), approximately
 *
 * B (the weights) is quantized once, symmetric per output column:
 * sb_j = max_k |B_kj| / 127, q_kj = round(B_kj / sb_j) in [-127, 127].
 * Each row of A is quantized when the product runs, symmetric per row:
 * sa_i = max_k |A_ik| / 127, p_ik = round(A_ik / sa_i) in [-127, 127]
 * (a dynamic scale: any input range is fine, relu RNNs included).  The sum
 * s_ij = sum_k p_ik q_kj is exact in int32 (|s| <= K * 127^2), and
 *
 *     C_ij = fma((float)s_ij, sa_i * sb_j, beta * C_ij)
 *
 * so every kernel gives the same bits: the AVX-512 VNNI one (vpdpbusd on
 * p + 128 as unsigned bytes, the offset taken back through the column sums
 * of q), the AVX2 one (vpmaddwd on p and q widened to int16: vpmaddubsw
 * would saturate; about the fp32 product's rate, no faster) and the
 * portable scalar one.  A row of C depends only on the same
 * row of A and on B, as with nk_gemm_rows (models/gemm.h).
 *
 * Error against the exact product (per element; with |p sa - a| <= sa / 2
 * and |q sb - b| <= sb / 2):
 *     |C_ij - sum_k A_ik B_kj| <= sb_j / 2 * sum_k |A_ik|
 *                                 + sa_i / 2 * sum_k (|B_kj| + sb_j / 2)
 * plus the final float roundings (a few ulps of C_ij).
 */
#ifndef NLP_MODELS_GEMM_INT8_H
#define NLP_MODELS_GEMM_INT8_H

#include <stddef.h>
#include <stdint.h>

/* B [K x N] quantized and packed: ceil(N / 32) panels of ceil(K / 4) x 32
 * 32-bit words, each word the 4 bytes q[4i .. 4i + 3][j] (zero padded); the
 * per-column scales and -128 times the column sums of q, N rounded up to 32. */
typedef struct nk_pack8 {
	int K, N;
	int8_t *p;          /* owned */
	float *scale;       /* owned: [N] sb_j */
	int32_t *corr;      /* owned: [N] -128 * sum_k q_kj */
	size_t cap, cn, cc; /* bytes in p; entries in scale, in corr */
} nk_pack8;

/* Quantize and pack B = src [K x N] (trans = 0, row stride ld) or src^T
 * with src stored [N x K] (trans = 1).  Returns 0, or -1 when out of memory.
 * The pack is a copy: src may change afterwards. */
int nk_pack8_b(nk_pack8 *pk, int trans, int K, int N, const float *src, int ld);
void nk_pack8_free(nk_pack8 *pk);

/* The quantized rows of A (a workspace the caller keeps). */
typedef struct nk_rows8 {
	uint8_t *p;   /* [M x 4 ceil(K / 4)] p + 128 */
	int16_t *p16; /* the same as p (no offset), for the AVX2 kernel */
	float *scale; /* [M] sa_i */
	size_t cap, c16, cs;
} nk_rows8;

/* Make ws hold M rows of K: returns 0, or -1 when out of memory. */
int nk_rows8_reserve(nk_rows8 *ws, int M, int K);
void nk_rows8_free(nk_rows8 *ws);

/* C[M x N] (row stride ldc) = beta * C + A[M x K] (row stride lda) . B
 * (see above).  ref != 0: the scalar kernel (the reference of the tests).
 * Returns 0, or -1 when ws holds fewer than M rows of B->K (nk_rows8_reserve
 * first: then it cannot fail). */
int nk_gemm8_rows(int ref, int M, const float *A, int lda, const nk_pack8 *B, float beta, float *C,
                  int ldc, nk_rows8 *ws);

/* C[M x N] = S + A . B as above, C_ij = fma((float)s_ij, sa_i * sb_j, S_ij),
 * where row i of S is rows[i] [N] (NULL: zeros): the bits of copying the
 * rows into C and calling nk_gemm8_rows with beta 1, without the copy. */
int nk_gemm8_rows_from(int ref, int M, const float *A, int lda, const nk_pack8 *B,
                       const float *const *rows, float *C, int ldc, nk_rows8 *ws);

/* The kernel nk_gemm8_rows runs here with ref 0: nlp_int8_kernel()'s
 * choice ("avx512-vnni", "avx2" or "c") on x86-64, "c" elsewhere. */
const char *nk_int8_isa(void);

#endif /* NLP_MODELS_GEMM_INT8_H */
