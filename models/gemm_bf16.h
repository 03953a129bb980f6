/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm_bf16.h - the row-stable product at bfloat16 precision, for
 * `precision = bf16` (internal to the modules that compile it in):
 *
 *     C[M x N] = beta * C + bf16(A)[M x K] . bf16(B)[K x N]   (beta 0 or 1)
 *
 * A and B are rounded to bfloat16 (round to nearest even; denormals to
 * zero), products are exact in float, and each element of C is one float
 * accumulation chain over the pairs k = 2i, 2i + 1 in order (the AVX-512
 * BF16 instruction vdpbf16ps: twice the multiply rate of fp32 FMA).  As with
 * nk_gemm_rows (models/gemm.h), a row of C depends only on the same row of A
 * and on B, so results do not depend on batch, threads or shards.
 *
 * Only CPUs with AVX512_BF16 have it: nk_bf16_available() says whether
 * this process may use it (NLPIPE_MAX_CPU_ISA below avx512 forbids it);
 * callers fall back to the fp32 product otherwise.
 */
#ifndef NLP_MODELS_GEMM_BF16_H
#define NLP_MODELS_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the CPU has AVX512_BF16 and NLPIPE_MAX_CPU_ISA allows avx512. */
int nk_bf16_available(void);

/* float -> bfloat16 bits, round to nearest even, denormals to (signed)
 * zero, NaN kept quiet: what the hardware conversion gives. */
uint16_t nk_bf16_round(float x);
/* bfloat16 bits -> float (exact). */
float nk_bf16_float(uint16_t h);

/* B [K x N] packed as bf16 pairs: ceil(N / 32) panels of ceil(K / 2) x 32
 * 32-bit words, each word the pair (B[2i][j], B[2i + 1][j]), zero padded. */
typedef struct nk_pack16 {
	int K, N;
	uint32_t *p;
	size_t cap; /* words allocated in p */
} nk_pack16;

/* Pack B = src [K x N] (trans = 0, row stride ld) or src^T with src stored
 * [N x K] (trans = 1).  Returns 0, or -1 when out of memory.  The pack is a
 * copy: src may change afterwards (repack after each optimizer step). */
int nk_pack16_b(nk_pack16 *pk, int trans, int K, int N, const float *src, int ld);
void nk_pack16_free(nk_pack16 *pk);

/* The rows of A rounded to bf16 pairs (a workspace the caller keeps). */
typedef struct nk_rows16 {
	uint32_t *p;
	size_t cap;
} nk_rows16;

void nk_rows16_free(nk_rows16 *r);
/* Room in r for the rows of a product of M rows of K: after it, nk_gemm16_rows
 * with at most that many rows and K cannot run out of memory.  Returns 0, or
 * -1 when out of memory. */
int nk_rows16_reserve(nk_rows16 *r, int M, int K);

/* C[M x N] (row stride ldc) = beta * C + A[M x K] (row stride lda) . B.
 * Needs nk_bf16_available(); returns 0, or -1 when out of memory (for the
 * workspace) or when the CPU cannot. */
int nk_gemm16_rows(int M, const float *A, int lda, const nk_pack16 *B, float beta, float *C,
                   int ldc, nk_rows16 *ws);

#endif /* NLP_MODELS_GEMM_BF16_H */
