/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm.h - the row-stable matrix product of the neural stages
 * (internal to the modules that compile it in; nothing here is exported).
 *
 *     C[M x N] = beta * C + A[M x K] . B[K x N]        (beta 0 or 1)
 *
 * Every element of C is one accumulation chain over k = 0 .. K-1 in that
 * order, started from C (beta = 1) or from zero, each step one fused
 * multiply-add (one multiply and one add on CPUs without FMA).  A row of C
 * therefore depends only on the same row of A and on B: not on M, not on the
 * other rows, not on how the caller splits its rows over calls or threads.
 * That is what makes a document's prediction independent of its batch, of
 * `-j` and of `--shard` on every CPU, whatever OpenBLAS's kernels do (they
 * round a row differently by the number of rows in the call).  It is the
 * product of every forward pass and every input gradient.  The weight
 * gradients of the recurrent encoders, sums over the batch, run on the same
 * kernels (nk_gemm_tn): so they do not depend on OpenBLAS's kernel either
 * (and training ran 14-26 % faster on an AMD EPYC than with cblas_sgemm).
 *
 * B is packed once into column panels (the weights; reused for every row
 * and, in a recurrence, every step).  The kernel is chosen once per process
 * for the CPU: AVX-512, AVX2+FMA or SSE2 on x86-64, plain C elsewhere.
 * NLPIPE_MAX_CPU_ISA = sse2 | avx2 | avx512 caps the choice (tests use it to
 * run every kernel on one machine).  Results may differ between kernels in
 * the last bits (FMA rounding), never between runs, batches or threads on
 * one machine.
 */
#ifndef NLP_MODELS_GEMM_H
#define NLP_MODELS_GEMM_H

#include <stddef.h>

/* B packed for nk_gemm_rows: owned buffer, reused across nk_pack_b calls. */
typedef struct nk_pack {
	int K, N;         /* B is K x N */
	int nr;           /* panel width of the kernel it was packed for */
	int trans;        /* src is stored transposed ([N x K]) */
	int ld;           /* src row stride */
	const float *src; /* borrowed: the unpacked B (the naive path reads it) */
	float *p;         /* owned: ceil(N / nr) panels of K x nr, zero padded */
	size_t cap;       /* floats allocated in p */
} nk_pack;

/* Pack B = src [K x N] (trans = 0, row stride ld) or src^T with src stored
 * [N x K] (trans = 1).  naive != 0 only records src (the reference loop
 * reads it directly).  Returns 0, or -1 when out of memory.  src must stay
 * valid and unchanged while the pack is used. */
int nk_pack_b(nk_pack *pk, int naive, int trans, int K, int N, const float *src, int ld);
void nk_pack_free(nk_pack *pk);

/* C[M x N] (row stride ldc) = beta * C + A[M x K] (row stride lda) . B, with
 * beta 0 (C is not read) or 1.  naive != 0: the reference loop (double
 * accumulation) of models/blas.h. */
void nk_gemm_rows(int naive, int M, const float *A, int lda, const nk_pack *B, float beta, float *C,
                  int ldc);

/* C[M x N] (row stride ldc) = S + A[M x K] (row stride lda) . B, where row i
 * of S is rows[i] [N] (NULL: zeros): the same bits as copying the rows into
 * C and calling nk_gemm_rows with beta 1 (each chain starts from the row),
 * without the copy.  The lookup forward of models/recurrent.c starts each
 * step's gates from the kept rows of its words this way. */
void nk_gemm_rows_from(int naive, int M, const float *A, int lda, const nk_pack *B,
                       const float *const *rows, float *C, int ldc);

/* C[M x N] (row stride ldc) += A^T B, with A stored [K x M] (row stride lda)
 * and B [K x N] (row stride ldb): a weight gradient, dW += dY^T X.  Each
 * element of C is one accumulation chain over k = 0 .. K-1 in order, started
 * from C, as in nk_gemm_rows (A^T transposed and B packed in passes of a few
 * hundred rows; the workspace grows to M times that and is reused).
 * naive != 0: the reference loop.  Returns 0, or -1 when out of memory
 * (C is then unchanged: the workspace grows before the first pass). */
typedef struct nk_tn_ws {
	nk_pack pk;
	float *at;
	size_t cap; /* floats allocated in at */
} nk_tn_ws;

int nk_gemm_tn(int naive, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
               float *C, int ldc, nk_tn_ws *ws);
void nk_tn_ws_free(nk_tn_ws *ws);

/* Name of the kernel this process uses: "avx512", "avx2", "sse2" or "c". */
const char *nk_gemm_isa(void);

#endif /* NLP_MODELS_GEMM_H */
