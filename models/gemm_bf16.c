/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm_bf16.c - nk_gemm16_rows, the bf16 product (see gemm_bf16.h):
 * rounding, packing, and the AVX-512 BF16 kernel. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "blas.h"
#include "gemm.h"
#include "gemm_bf16.h"

#define NK16_NR 32 /* panel width: two vectors of 16 lanes */
#define NK16_MR 8  /* rows of a tile: 16 accumulators */

uint16_t nk_bf16_round(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	if ((u & 0x7f800000u) == 0x7f800000u) /* inf stays, NaN stays quiet */
		return (uint16_t)((u >> 16) | ((u & 0x007fffffu) ? 0x0040u : 0u));
	if ((u & 0x7f800000u) == 0) /* zero and denormals: signed zero */
		return (uint16_t)((u >> 16) & 0x8000u);
	u += 0x7fffu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

float nk_bf16_float(uint16_t h)
{
	const uint32_t u = (uint32_t)h << 16;
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}

static uint32_t pair(float lo, float hi)
{
	return (uint32_t)nk_bf16_round(lo) | (uint32_t)nk_bf16_round(hi) << 16;
}

int nk_pack16_b(nk_pack16 *pk, int trans, int K, int N, const float *src, int ld)
{
	const int K2 = (K + 1) / 2, np = (N + NK16_NR - 1) / NK16_NR;

	pk->K = K;
	pk->N = N;
	if (K <= 0 || N <= 0)
		return 0;
	if (nlp_grow_exact(&pk->p, &pk->cap, (size_t)np * K2 * NK16_NR, sizeof *pk->p))
		return -1;
	for (int q = 0; q < np; q++) {
		uint32_t *d = pk->p + (size_t)q * K2 * NK16_NR;
		const int j0 = q * NK16_NR, nc = N - j0 < NK16_NR ? N - j0 : NK16_NR;
		for (int i = 0; i < K2; i++, d += NK16_NR) {
			for (int j = 0; j < NK16_NR; j++) {
				float v[2] = {0.0f, 0.0f};
				for (int h = 0; h < 2 && j < nc && 2 * i + h < K; h++) {
					const size_t k = (size_t)(2 * i + h), c = (size_t)(j0 + j);
					v[h] = trans ? src[c * ld + k] : src[k * ld + c];
				}
				d[j] = pair(v[0], v[1]);
			}
		}
	}
	return 0;
}

void nk_pack16_free(nk_pack16 *pk)
{
	if (!pk)
		return;
	free(pk->p);
	pk->p = NULL;
	pk->cap = 0;
}

void nk_rows16_free(nk_rows16 *r)
{
	if (!r)
		return;
	free(r->p);
	r->p = NULL;
	r->cap = 0;
}

int nk_rows16_reserve(nk_rows16 *r, int M, int K)
{
	const size_t K2 = (size_t)(K > 0 ? K + 1 : 0) / 2;
	return nlp_grow_exact(&r->p, &r->cap, (size_t)(M > 0 ? M : 0) * K2, sizeof *r->p) ? -1 : 0;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(NLP_NO_SIMD)
#include <immintrin.h>
#define NK16_TARGET __attribute__((target("avx512f,avx512bf16")))

/* rows x nc elements of C from rows rows of pairs A2 (row stride K2 words)
 * and one panel bp [K2 x 32].  rows is a constant at every call. */
NK16_TARGET static inline __attribute__((always_inline)) void
tile16(const int rows, int K2, const uint32_t *restrict A2, const uint32_t *restrict bp,
       float *restrict C, int ldc, int nc, int beta)
{
	__m512 acc[NK16_MR][2];
	float tmp[NK16_NR];

	_Pragma("GCC unroll 8") for (int r = 0; r < rows; r++)
	{
		const float *c = C + (size_t)r * ldc;
		if (beta && nc < NK16_NR) {
			for (int j = 0; j < NK16_NR; j++)
				tmp[j] = j < nc ? c[j] : 0.0f;
			c = tmp;
		}
		acc[r][0] = beta ? _mm512_loadu_ps(c) : _mm512_setzero_ps();
		acc[r][1] = beta ? _mm512_loadu_ps(c + 16) : _mm512_setzero_ps();
	}
	for (int i = 0; i < K2; i++) {
		const __m512bh b0 = (__m512bh)_mm512_loadu_si512(bp + (size_t)i * NK16_NR);
		const __m512bh b1 = (__m512bh)_mm512_loadu_si512(bp + (size_t)i * NK16_NR + 16);
		_Pragma("GCC unroll 8") for (int r = 0; r < rows; r++)
		{
			const __m512bh a = (__m512bh)_mm512_set1_epi32((int)A2[(size_t)r * K2 + i]);
			acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
			acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
		}
	}
	_Pragma("GCC unroll 8") for (int r = 0; r < rows; r++)
	{
		float *c = C + (size_t)r * ldc;
		if (nc < NK16_NR) {
			_mm512_storeu_ps(tmp, acc[r][0]);
			_mm512_storeu_ps(tmp + 16, acc[r][1]);
			for (int j = 0; j < nc; j++)
				c[j] = tmp[j];
		} else {
			_mm512_storeu_ps(c, acc[r][0]);
			_mm512_storeu_ps(c + 16, acc[r][1]);
		}
	}
}

/* Row a [K] as K2 bf16 pairs in d (the last one zero-padded when K is odd):
 * the hardware conversion (vcvtne2ps2bf16, round to nearest even, denormals
 * to zero), the bits of nk_bf16_round, 32 elements at a time. */
NK16_TARGET static void round_row(const float *a, int K, uint32_t *d)
{
	int k = 0;
	for (; k + 32 <= K; k += 32) {
		const __m512bh v =
		        _mm512_cvtne2ps_pbh(_mm512_loadu_ps(a + k + 16), _mm512_loadu_ps(a + k));
		_mm512_storeu_si512(d + k / 2, (__m512i)v);
	}
	if (k < K) {
		const int left = K - k, lo = left < 16 ? left : 16, hi = left - lo;
		const __mmask16 mlo = (__mmask16)((1u << lo) - 1u),
		                mhi = (__mmask16)((1u << hi) - 1u);
		const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(mhi, a + k + 16),
		                                       _mm512_maskz_loadu_ps(mlo, a + k));
		const __mmask16 words = (__mmask16)((1u << ((left + 1) / 2)) - 1u);
		_mm512_mask_storeu_epi32(d + k / 2, words, (__m512i)v);
	}
}

NK16_TARGET static void run16(int M, int N, int K2, const uint32_t *A2, const uint32_t *p, float *C,
                              int ldc, int beta)
{
	const size_t panel = (size_t)K2 * NK16_NR;
	for (int i = 0; i < M; i += NK16_MR) {
		const int rows = M - i < NK16_MR ? M - i : NK16_MR;
		const uint32_t *a = A2 + (size_t)i * K2;
		float *c = C + (size_t)i * ldc;
		for (int j = 0, q = 0; j < N; j += NK16_NR, q++) {
			const int nc = N - j < NK16_NR ? N - j : NK16_NR;
			const uint32_t *bp = p + q * panel;
			switch (rows) {
#define NK16_ROWS(n)                                                                               \
	case n:                                                                                    \
		tile16(n, K2, a, bp, c + j, ldc, nc, beta);                                        \
		break;
				NK16_ROWS(1)
				NK16_ROWS(2)
				NK16_ROWS(3)
				NK16_ROWS(4)
				NK16_ROWS(5)
				NK16_ROWS(6)
				NK16_ROWS(7)
				NK16_ROWS(8)
#undef NK16_ROWS
			default:
				break;
			}
		}
	}
}

/* libnlpipe chooses (nlp_bf16_kernel: `nlpipe inspect` says the same),
 * once per process like the fp32 kernel (every step's product asks). */
int nk_bf16_available(void)
{
	static int avail = -1; /* racing first calls store the same value */
	if (avail < 0)
		avail = !strcmp(nlp_bf16_kernel(), "avx512-bf16") &&
		        !strcmp(nk_gemm_isa(), "avx512");
	return avail;
}
#else
int nk_bf16_available(void)
{
	return 0;
}
#endif

int nk_gemm16_rows(int M, const float *A, int lda, const nk_pack16 *B, float beta, float *C,
                   int ldc, nk_rows16 *ws)
{
	const int N = B->N, K = B->K, K2 = (K + 1) / 2;

	if (M <= 0 || N <= 0)
		return 0;
	if (!nk_bf16_available())
		return -1;
	if (K <= 0) { /* an empty sum: C stays (beta 1) or becomes zero */
		for (int i = 0; beta == 0.0f && i < M; i++)
			memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof *C);
		return 0;
	}
	if (nlp_grow_exact(&ws->p, &ws->cap, (size_t)M * K2, sizeof *ws->p))
		return -1;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(NLP_NO_SIMD)
	for (int i = 0; i < M; i++)
		round_row(A + (size_t)i * lda, K, ws->p + (size_t)i * K2);
	run16(M, N, K2, ws->p, B->p, C, ldc, beta != 0.0f);
#else
	(void)A;
	(void)lda;
	(void)C;
	(void)ldc;
#endif
	return 0;
}
