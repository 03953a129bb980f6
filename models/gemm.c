/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm.c - nk_gemm_rows: the row-stable matrix product (see gemm.h),
 * its kernels for each instruction set, packing and dispatch. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "gemm.h"

/* A kernel: C [M x N] (=, or += when beta) A [M x K] . panels p; with s0,
 * row i starts from s0[i] (NULL: zeros) instead. */
typedef void nk_run_fn(int M, int N, int K, const float *A, int lda, const float *p, float *C,
                       int ldc, int beta, const float *const *s0);

typedef struct nk_kernel {
	const char *name;
	int nr; /* panel width */
	nk_run_fn *run;
} nk_kernel;

/* ---- Plain C: everywhere ---- */
#define NK_K(x) nk_c_##x
#define NK_TARGET
#define NK_MR           4
#define NK_NV           4
#define NK_W            1
#define NK_VT           float
#define NK_ZERO()       0.0f
#define NK_LOAD(p)      (*(p))
#define NK_STORE(p, v)  (*(p) = (v))
#define NK_SET1(x)      (x)
#define NK_FMA(a, b, c) ((c) + (a) * (b))
#include "gemm_kernel.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(NLP_NO_SIMD)
#include <immintrin.h>
#define NK_HAVE_X86 1

/* ---- SSE2: every x86-64 CPU (two roundings a step: no FMA) ---- */
#define NK_K(x) nk_sse2_##x
#define NK_TARGET
#define NK_MR           4
#define NK_NV           2
#define NK_W            4
#define NK_VT           __m128
#define NK_ZERO()       _mm_setzero_ps()
#define NK_LOAD(p)      _mm_loadu_ps(p)
#define NK_STORE(p, v)  _mm_storeu_ps((p), (v))
#define NK_SET1(x)      _mm_set1_ps(x)
#define NK_FMA(a, b, c) _mm_add_ps((c), _mm_mul_ps((a), (b)))
#include "gemm_kernel.h"

/* ---- AVX2 + FMA ---- */
#define NK_K(x)         nk_avx2_##x
#define NK_TARGET       __attribute__((target("avx2,fma")))
#define NK_MR           6
#define NK_NV           2
#define NK_W            8
#define NK_VT           __m256
#define NK_ZERO()       _mm256_setzero_ps()
#define NK_LOAD(p)      _mm256_loadu_ps(p)
#define NK_STORE(p, v)  _mm256_storeu_ps((p), (v))
#define NK_SET1(x)      _mm256_set1_ps(x)
#define NK_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#include "gemm_kernel.h"

/* ---- AVX-512 (F) ---- */
#define NK_K(x)         nk_avx512_##x
#define NK_TARGET       __attribute__((target("avx512f,avx2,fma")))
#define NK_MR           8
#define NK_NV           2
#define NK_W            16
#define NK_VT           __m512
#define NK_ZERO()       _mm512_setzero_ps()
#define NK_LOAD(p)      _mm512_loadu_ps(p)
#define NK_STORE(p, v)  _mm512_storeu_ps((p), (v))
#define NK_SET1(x)      _mm512_set1_ps(x)
#define NK_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#include "gemm_kernel.h"
#endif

/* Best first; the first one the CPU (and NLPIPE_MAX_CPU_ISA) allows wins. */
static const nk_kernel kernels[] = {
#ifdef NK_HAVE_X86
        {"avx512", 32, nk_avx512_run},
        {"avx2", 16, nk_avx2_run},
        {"sse2", 8, nk_sse2_run},
#endif
        {"c", 4, nk_c_run},
};
enum { NK_NKERNELS = sizeof kernels / sizeof kernels[0] };

static const nk_kernel *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static int cpu_has(const char *name)
{
#ifdef NK_HAVE_X86
	__builtin_cpu_init();
	if (!strcmp(name, "avx512"))
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("fma");
	if (!strcmp(name, "avx2"))
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
	(void)name;
	return 1;
}

static void choose(void)
{
	/* A cap names a kernel; the ones before it in the list are skipped.  An
	 * unknown name caps nothing. */
	const char *cap = getenv("NLPIPE_MAX_CPU_ISA");
	int first = 0;
	for (int i = 0; cap && i < NK_NKERNELS; i++)
		if (!strcmp(cap, kernels[i].name))
			first = i;
	chosen = &kernels[NK_NKERNELS - 1];
	for (int i = first; i < NK_NKERNELS; i++)
		if (cpu_has(kernels[i].name)) {
			chosen = &kernels[i];
			break;
		}
}

static const nk_kernel *kernel(void)
{
	pthread_once(&chosen_once, choose);
	return chosen;
}

const char *nk_gemm_isa(void)
{
	return kernel()->name;
}

int nk_pack_b(nk_pack *pk, int naive, int trans, int K, int N, const float *src, int ld)
{
	pk->K = K;
	pk->N = N;
	pk->trans = trans;
	pk->ld = ld;
	pk->src = src;
	if (naive || K <= 0 || N <= 0)
		return 0;
	const int nr = kernel()->nr, np = (N + nr - 1) / nr;
	const size_t need = (size_t)np * K * nr;
	if (need > pk->cap) {
		float *q = realloc(pk->p, need * sizeof *q);
		if (!q)
			return -1;
		pk->p = q;
		pk->cap = need;
	}
	pk->nr = nr;
	for (int q = 0; q < np; q++) {
		float *d = pk->p + (size_t)q * K * nr;
		const int j0 = q * nr, nc = N - j0 < nr ? N - j0 : nr;
		for (int k = 0; k < K; k++, d += nr) {
			for (int j = 0; j < nc; j++)
				d[j] = trans ? src[(size_t)(j0 + j) * ld + k]
				             : src[(size_t)k * ld + j0 + j];
			for (int j = nc; j < nr; j++)
				d[j] = 0.0f;
		}
	}
	return 0;
}

void nk_pack_free(nk_pack *pk)
{
	if (!pk)
		return;
	free(pk->p);
	pk->p = NULL;
	pk->cap = 0;
}

void nk_gemm_rows(int naive, int M, const float *A, int lda, const nk_pack *B, float beta, float *C,
                  int ldc)
{
	const int N = B->N, K = B->K;
	if (M <= 0 || N <= 0)
		return;
	if (naive || K <= 0) {
		nk_gemm(1, 0, B->trans, M, N, K, 1.0f, A, lda, B->src, B->ld, beta, C, ldc);
		return;
	}
	kernel()->run(M, N, K, A, lda, B->p, C, ldc, beta != 0.0f, NULL);
}

void nk_gemm_rows_from(int naive, int M, const float *A, int lda, const nk_pack *B,
                       const float *const *rows, float *C, int ldc)
{
	const int N = B->N, K = B->K;
	if (M <= 0 || N <= 0)
		return;
	if (naive || K <= 0) { /* the rows copied in, then C += A . B */
		for (int i = 0; i < M; i++) {
			float *c = C + (size_t)i * ldc;
			if (!rows[i])
				memset(c, 0, (size_t)N * sizeof *c);
			else if (rows[i] != c)
				memmove(c, rows[i], (size_t)N * sizeof *c);
		}
		nk_gemm_rows(naive, M, A, lda, B, 1.0f, C, ldc);
		return;
	}
	kernel()->run(M, N, K, A, lda, B->p, C, ldc, 0, rows);
}

/* dst [M x K] (row stride K) = the transpose of src [K x M] (row stride
 * lds), in 32 x 32 tiles so that both sides stay in cache. */
static void transpose(float *dst, const float *src, int K, int M, int lds)
{
	enum { TILE = 32 };
	for (int k0 = 0; k0 < K; k0 += TILE)
		for (int i0 = 0; i0 < M; i0 += TILE) {
			const int k1 = k0 + TILE < K ? k0 + TILE : K,
			          i1 = i0 + TILE < M ? i0 + TILE : M;
			for (int k = k0; k < k1; k++)
				for (int i = i0; i < i1; i++)
					dst[(size_t)i * K + k] = src[(size_t)k * lds + i];
		}
}

#ifdef NK_HAVE_X86
#define NK_TN_TARGET __attribute__((target("avx512f,avx2,fma")))

/* Columns [0, nc) (nc <= 16 V) of C's rows 0 .. R-1 += A^T B over kc rows,
 * in registers (R x V vectors): each element gets one FMA a row of A and B,
 * in order (the bits of the packed kernel), whatever the tile's shape.  R
 * and V are constants where it is inlined: 8 x 2 and 6 x 4, or 1 for the
 * rows past the last full tile. */
NK_TN_TARGET static inline __attribute__((always_inline)) void
tn_tile(const int R, const int V, int kc, const float *A, int lda, const float *B, int ldb,
        float *C, int ldc, int nc)
{
	__mmask16 m[4];
	__m512 c[8][4];
#pragma GCC unroll 4
	for (int v = 0; v < V; v++) {
		const int n = nc - 16 * v;
		m[v] = (__mmask16)(n >= 16 ? 0xFFFFu : n > 0 ? (1u << n) - 1 : 0u);
	}
#pragma GCC unroll 8
	for (int r = 0; r < R; r++)
#pragma GCC unroll 4
		for (int v = 0; v < V; v++)
			c[r][v] = _mm512_maskz_loadu_ps(m[v], C + (size_t)r * ldc + 16 * v);
	for (int k = 0; k < kc; k++, A += lda, B += ldb) {
		__m512 b[4];
#pragma GCC unroll 4
		for (int v = 0; v < V; v++)
			b[v] = _mm512_maskz_loadu_ps(m[v], B + 16 * v);
#pragma GCC unroll 8
		for (int r = 0; r < R; r++) {
			const __m512 x = _mm512_set1_ps(A[r]);
#pragma GCC unroll 4
			for (int v = 0; v < V; v++)
				c[r][v] = _mm512_fmadd_ps(x, b[v], c[r][v]);
		}
	}
#pragma GCC unroll 8
	for (int r = 0; r < R; r++)
#pragma GCC unroll 4
		for (int v = 0; v < V; v++)
			_mm512_mask_storeu_ps(C + (size_t)r * ldc + 16 * v, m[v], c[r][v]);
}

#define NK_TN_SHAPE(R, V)                                                                          \
	NK_TN_TARGET static void tn_tile##R##x##V(int kc, const float *A, int lda, const float *B, \
	                                          int ldb, float *C, int ldc, int nc)              \
	{                                                                                          \
		tn_tile(R, V, kc, A, lda, B, ldb, C, ldc, nc);                                     \
	}
NK_TN_SHAPE(8, 2)
NK_TN_SHAPE(1, 2)
NK_TN_SHAPE(6, 4)
NK_TN_SHAPE(1, 4)
#undef NK_TN_SHAPE

typedef void tn_tile_fn(int kc, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                        int nc);

/* One pass of nk_gemm_tn with AVX-512, reading A [kc x M] and B [kc x N]
 * where they are (no copies).  Tiles of 6 x 64 where C has 256 columns or
 * more (a quarter fewer loads a multiply-add: the hidden-to-hidden weight
 * gradient at H = 256, 1024 x 256 over K = 12,800, 170 -> 198 GFLOP/s on
 * AMD EPYC, bench/sgemm_rate -p tn), else 8 x 32 (faster at 128 columns
 * over long K: 186 against 175). */
static void tn_avx512(int M, int N, int kc, const float *A, int lda, const float *B, int ldb,
                      float *C, int ldc)
{
	const int wide = N >= 256, R = wide ? 6 : 8, W = wide ? 64 : 32;
	tn_tile_fn *full = wide ? tn_tile6x4 : tn_tile8x2, *one = wide ? tn_tile1x4 : tn_tile1x2;
	int i = 0;
	for (; i + R <= M; i += R)
		for (int j = 0; j < N; j += W)
			full(kc, A + i, lda, B + j, ldb, C + (size_t)i * ldc + j, ldc,
			     N - j < W ? N - j : W);
	for (; i < M; i++)
		for (int j = 0; j < N; j += W)
			one(kc, A + i, lda, B + j, ldb, C + (size_t)i * ldc + j, ldc,
			    N - j < W ? N - j : W);
}
#endif

int nk_gemm_tn(int naive, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
               float *C, int ldc, nk_tn_ws *ws)
{
	enum { KC = 256 }; /* the rows of A and B a pass reads: they stay in L2 */
	if (M <= 0 || N <= 0 || K <= 0)
		return 0;
	if (naive) {
		nk_gemm(1, 1, 0, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, ldc);
		return 0;
	}
#ifdef NK_HAVE_X86
	if (!strcmp(kernel()->name, "avx512")) {
		for (int k0 = 0; k0 < K; k0 += KC)
			tn_avx512(M, N, K - k0 < KC ? K - k0 : KC, A + (size_t)k0 * lda, lda,
			          B + (size_t)k0 * ldb, ldb, C, ldc);
		return 0;
	}
#endif
	if (nlp_grow_exact(&ws->at, &ws->cap, (size_t)M * KC, sizeof *ws->at))
		return -1;
	/* Passes over k in order: each continues every chain where the last
	 * one stored it, so the result is that of one pass over all of K. */
	for (int k0 = 0; k0 < K; k0 += KC) {
		const int kc = K - k0 < KC ? K - k0 : KC;
		if (nk_pack_b(&ws->pk, 0, 0, kc, N, B + (size_t)k0 * ldb, ldb))
			return -1;
		transpose(ws->at, A + (size_t)k0 * lda, kc, M, lda);
		kernel()->run(M, N, kc, ws->at, kc, ws->pk.p, C, ldc, 1, NULL);
	}
	return 0;
}

void nk_tn_ws_free(nk_tn_ws *ws)
{
	if (!ws)
		return;
	nk_pack_free(&ws->pk);
	free(ws->at);
	ws->at = NULL;
	ws->cap = 0;
}
