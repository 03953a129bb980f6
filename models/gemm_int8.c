/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm_int8.c - nk_gemm8_rows, the int8 product (see gemm_int8.h):
 * quantization, packing, the scalar kernel and the AVX-512 VNNI one. */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"

#include "blas.h"
#include "gemm_int8.h"

#define NK8_NR 32 /* panel width: two vectors of 16 int32 lanes */
#define NK8_MR 8  /* rows of a tile: 16 accumulators */
/* The largest K whose sums (and the VNNI kernel's offset partial sums,
 * at most 128 * 127 * K in magnitude) fit in int32. */
#define NK8_MAX_K 131072

int nk_pack8_b(nk_pack8 *pk, int trans, int K, int N, const float *src, int ld)
{
	const int K4 = (K + 3) / 4, np = (N + NK8_NR - 1) / NK8_NR;
	const size_t bytes = (size_t)np * K4 * NK8_NR * 4, nn = (size_t)np * NK8_NR;

	assert(K <= NK8_MAX_K);
	pk->K = K;
	pk->N = N;
	if (K <= 0 || N <= 0)
		return 0;
	if (nlp_grow_exact(&pk->p, &pk->cap, bytes, 1) ||
	    nlp_grow_exact(&pk->scale, &pk->cn, nn, sizeof *pk->scale) ||
	    nlp_grow_exact(&pk->corr, &pk->cc, nn, sizeof *pk->corr))
		return -1;
	memset(pk->p, 0, bytes);
	for (size_t j = 0; j < nn; j++) {
		float amax = 0.0f, inv;
		int32_t sum = 0;
		const size_t q = j / NK8_NR, jj = j % NK8_NR;
		int8_t *d = pk->p + q * K4 * NK8_NR * 4 + jj * 4;
		for (int k = 0; (int)j < N && k < K; k++) {
			const float v = trans ? src[j * ld + k] : src[(size_t)k * ld + j];
			amax = fabsf(v) > amax ? fabsf(v) : amax;
		}
		nlp_q8_scale(amax, &pk->scale[j], &inv);
		for (int k = 0; (int)j < N && k < K; k++) {
			const float v = trans ? src[j * ld + k] : src[(size_t)k * ld + j];
			const int w = nlp_q127(v * inv);
			d[(size_t)(k / 4) * NK8_NR * 4 + k % 4] = (int8_t)w;
			sum += w;
		}
		pk->corr[j] = -128 * sum;
	}
	return 0;
}

void nk_pack8_free(nk_pack8 *pk)
{
	if (!pk)
		return;
	free(pk->p);
	free(pk->scale);
	free(pk->corr);
	pk->p = NULL;
	pk->scale = NULL;
	pk->corr = NULL;
	pk->cap = pk->cn = pk->cc = 0;
}

int nk_rows8_reserve(nk_rows8 *ws, int M, int K)
{
	const size_t K4 = (size_t)(K + 3) / 4;
	if (M <= 0 || K <= 0)
		return 0;
	return nlp_grow_exact(&ws->p, &ws->cap, (size_t)M * K4 * 4, 1) ||
	                       nlp_grow_exact(&ws->p16, &ws->c16, (size_t)M * K4 * 4,
	                                      sizeof *ws->p16) ||
	                       nlp_grow_exact(&ws->scale, &ws->cs, (size_t)M, sizeof *ws->scale)
	               ? -1
	               : 0;
}

void nk_rows8_free(nk_rows8 *ws)
{
	if (!ws)
		return;
	free(ws->p);
	free(ws->p16);
	free(ws->scale);
	ws->p = NULL;
	ws->p16 = NULL;
	ws->scale = NULL;
	ws->cap = ws->c16 = ws->cs = 0;
}

/* The rows of A quantized into ws: p + 128 as bytes (128 in the padding),
 * and each row's scale. */
static void quantize_rows(int M, const float *A, int lda, int K, nk_rows8 *ws)
{
	const int K4 = (K + 3) / 4;
	for (int i = 0; i < M; i++) {
		const float *a = A + (size_t)i * lda;
		uint8_t *d = ws->p + (size_t)i * K4 * 4;
		float amax = 0.0f, inv;
		for (int k = 0; k < K; k++)
			amax = fabsf(a[k]) > amax ? fabsf(a[k]) : amax;
		nlp_q8_scale(amax, &ws->scale[i], &inv);
		for (int k = 0; k < K; k++)
			d[k] = (uint8_t)(nlp_q127(a[k] * inv) + 128);
		for (int k = K; k < K4 * 4; k++)
			d[k] = 128;
	}
}

/* The scalar kernel: each element's exact int32 sum, then the one fma.
 * A row against a panel at a time, the 32 sums side by side (a loop the
 * compiler may vectorize). */
static void run_c(int M, int N, int K, const nk_rows8 *ws, const nk_pack8 *B, float *C, int ldc,
                  int beta, const float *const *s0)
{
	const int K4 = (K + 3) / 4;
	for (int i = 0; i < M; i++) {
		const uint8_t *a = ws->p + (size_t)i * K4 * 4;
		float *c = C + (size_t)i * ldc;
		const float *st = s0 ? s0[i] : beta ? c : NULL;
		for (int j0 = 0; j0 < N; j0 += NK8_NR) {
			const int8_t *bp = B->p + (size_t)(j0 / NK8_NR) * K4 * NK8_NR * 4;
			int32_t s[NK8_NR] = {0};
			for (int g = 0; g < K4; g++) {
				const int32_t a0 = a[4 * g] - 128, a1 = a[4 * g + 1] - 128,
				              a2 = a[4 * g + 2] - 128, a3 = a[4 * g + 3] - 128;
				const int8_t *b = bp + (size_t)g * NK8_NR * 4;
				for (int j = 0; j < NK8_NR; j++)
					s[j] += a0 * b[4 * j] + a1 * b[4 * j + 1] +
					        a2 * b[4 * j + 2] + a3 * b[4 * j + 3];
			}
			for (int j = j0; j < N && j < j0 + NK8_NR; j++)
				c[j] = fmaf((float)s[j - j0], ws->scale[i] * B->scale[j],
				            st ? st[j] : 0.0f);
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(NLP_NO_SIMD)
#include <immintrin.h>
#define NK8_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni,fma")))
#define NK8_X86    1

/* acc += the products of a's unsigned and b's signed bytes, by 4 (vpdpbusd),
 * in place: GCC 12's intrinsic copies the accumulator at every call. */
#define NK8_DPBUSD(acc, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))

/* Lanes [0, n) of a vector of 16, n in [0, 16]. */
static inline __mmask16 lanes(int n)
{
	return (__mmask16)((1u << (n < 0 ? 0 : n > 16 ? 16 : n)) - 1u);
}

/* rows x nc elements of C from rows quantized rows of A (ws, from row i0)
 * and panel q of B, row r added to the nc values at st[r] (NULL: to zero).
 * rows is a constant at every call. */
NK8_TARGET static inline __attribute__((always_inline)) void
tile8(const int rows, int K4, const uint8_t *restrict A, const float *restrict sa,
      const nk_pack8 *B, int q, const float *const *st, float *C, int ldc, int nc)
{
	const int32_t *bp = (const int32_t *)(const void *)(B->p + (size_t)q * K4 * NK8_NR * 4);
	const __mmask16 m0 = lanes(nc), m1 = lanes(nc - 16);
	const __m512i c0 = _mm512_loadu_si512(B->corr + q * NK8_NR);
	const __m512i c1 = _mm512_loadu_si512(B->corr + q * NK8_NR + 16);
	__m512i acc[NK8_MR][2];

	_Pragma("GCC unroll 8") for (int r = 0; r < rows; r++)
	{
		acc[r][0] = c0;
		acc[r][1] = c1;
	}
	for (int i = 0; i < K4; i++) {
		const __m512i b0 = _mm512_loadu_si512(bp + (size_t)i * NK8_NR);
		const __m512i b1 = _mm512_loadu_si512(bp + (size_t)i * NK8_NR + 16);
		_Pragma("GCC unroll 8") for (int r = 0; r < rows; r++)
		{
			int32_t w;
			memcpy(&w, A + ((size_t)r * K4 + i) * 4, sizeof w);
			const __m512i a = _mm512_set1_epi32(w);
			NK8_DPBUSD(acc[r][0], a, b0);
			NK8_DPBUSD(acc[r][1], a, b1);
		}
	}
	const __m512 s0 = _mm512_loadu_ps(B->scale + q * NK8_NR);
	const __m512 s1 = _mm512_loadu_ps(B->scale + q * NK8_NR + 16);
	_Pragma("GCC unroll 8") for (int r = 0; r < rows; r++)
	{
		float *c = C + (size_t)r * ldc;
		const __m512 ar = _mm512_set1_ps(sa[r]);
		const float *s = st[r];
		const __m512 p0 = s ? _mm512_maskz_loadu_ps(m0, s) : _mm512_setzero_ps();
		const __m512 p1 = s ? _mm512_maskz_loadu_ps(m1, s + 16) : _mm512_setzero_ps();
		_mm512_mask_storeu_ps(
		        c, m0,
		        _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][0]), _mm512_mul_ps(ar, s0), p0));
		_mm512_mask_storeu_ps(
		        c + 16, m1,
		        _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][1]), _mm512_mul_ps(ar, s1), p1));
	}
}

/* quantize_rows with AVX-512: the same bits (max is exact in any order and
 * ignores NaN the same way; the rounding and clamps are lane-wise the
 * scalar ones, NaN going to 127 through min's second operand). */
NK8_TARGET static void quantize_rows_avx512(int M, const float *A, int lda, int K, nk_rows8 *ws)
{
	const int K4 = (K + 3) / 4;
	const __m512 half = _mm512_set1_ps(0.5f), hi = _mm512_set1_ps(127.0f);
	const __m512 lo = _mm512_set1_ps(-127.0f), zero = _mm512_setzero_ps();
	const __m512i off = _mm512_set1_epi32(128);
	for (int i = 0; i < M; i++) {
		const float *a = A + (size_t)i * lda;
		uint8_t *d = ws->p + (size_t)i * K4 * 4;
		__m512 m = zero;
		float amax, inv;
		for (int k = 0; k < K; k += 16) {
			const __m512 v = _mm512_maskz_loadu_ps(lanes(K - k), a + k);
			m = _mm512_max_ps(_mm512_abs_ps(v), m);
		}
		amax = _mm512_reduce_max_ps(m);
		nlp_q8_scale(amax, &ws->scale[i], &inv);
		const __m512 vi = _mm512_set1_ps(inv);
		for (int k = 0; k < K4 * 4; k += 16) {
			const __mmask16 in = lanes(K - k), all = lanes(K4 * 4 - k);
			const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(in, a + k), vi);
			const __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
			__m512 r = _mm512_mask_sub_ps(_mm512_add_ps(v, half), neg, v, half);
			r = _mm512_max_ps(_mm512_min_ps(r, hi), lo);
			const __m512i q = _mm512_add_epi32(_mm512_cvttps_epi32(r), off);
			_mm512_mask_cvtepi32_storeu_epi8(d + k, all, q);
		}
	}
}

/* The start of row r of a tile at row i, column j (see tile8): s0's row, or
 * C's with beta, or none. */
static inline void starts(const float **st, int rows, int i, int j, const float *const *s0,
                          int beta, const float *c, int ldc)
{
	for (int r = 0; r < rows; r++) {
		const float *s = s0 ? s0[i + r] : NULL;
		st[r] = s0 ? (s ? s + j : NULL) : beta ? c + (size_t)r * ldc + j : NULL;
	}
}

NK8_TARGET static void run_vnni(int M, int N, int K, const nk_rows8 *ws, const nk_pack8 *B,
                                float *C, int ldc, int beta, const float *const *s0)
{
	const int K4 = (K + 3) / 4;
	const float *st[NK8_MR];
	for (int i = 0; i < M; i += NK8_MR) {
		const int rows = M - i < NK8_MR ? M - i : NK8_MR;
		const uint8_t *a = ws->p + (size_t)i * K4 * 4;
		const float *sa = ws->scale + i;
		float *c = C + (size_t)i * ldc;
		for (int j = 0, q = 0; j < N; j += NK8_NR, q++) {
			const int nc = N - j < NK8_NR ? N - j : NK8_NR;
			starts(st, rows, i, j, s0, beta, c, ldc);
			switch (rows) {
#define NK8_ROWS(n)                                                                                \
	case n:                                                                                    \
		tile8(n, K4, a, sa, B, q, st, c + j, ldc, nc);                                     \
		break;
				NK8_ROWS(1)
				NK8_ROWS(2)
				NK8_ROWS(3)
				NK8_ROWS(4)
				NK8_ROWS(5)
				NK8_ROWS(6)
				NK8_ROWS(7)
				NK8_ROWS(8)
#undef NK8_ROWS
			default:
				break;
			}
		}
	}
}

#define NK8_TARGET2 __attribute__((target("avx2,fma")))

/* rows x nc (nc <= 8) elements of C from rows rows of p (int16, ws->p16
 * from row 0 of a) and the 8 columns of a panel at bp: each column's sum
 * as two int32 halves (k = 4g, 4g + 1 and 4g + 2, 4g + 3, by vpmaddwd)
 * added at the end.  Integer sums: the same bits as the other kernels. */
NK8_TARGET2 static inline __attribute__((always_inline)) void
tile8_avx2(const int rows, int K4, const int16_t *restrict a, const float *restrict sa,
           const int8_t *restrict bp, const float *restrict sb, const float *const *st, float *C,
           int ldc, int nc)
{
	__m256i acc[4][2];
	_Pragma("GCC unroll 4") for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] =
	        _mm256_setzero_si256();
	for (int g = 0; g < K4; g++) {
		const int8_t *b = bp + (size_t)g * NK8_NR * 4;
		const __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b));
		const __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 16)));
		_Pragma("GCC unroll 4") for (int r = 0; r < rows; r++)
		{
			long long w;
			memcpy(&w, a + ((size_t)r * K4 + g) * 4, sizeof w);
			const __m256i av = _mm256_set1_epi64x(w);
			acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
			acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
		}
	}
	const __m256 s = _mm256_loadu_ps(sb);
	_Pragma("GCC unroll 4") for (int r = 0; r < rows; r++)
	{
		/* halves paired: [c0 c1 c4 c5 | c2 c3 c6 c7], then in order */
		const __m256i h = _mm256_hadd_epi32(acc[r][0], acc[r][1]);
		const __m256i sum = _mm256_permute4x64_epi64(h, 0xd8);
		float *c = C + (size_t)r * ldc, tmp[8] = {0};
		for (int j = 0; st[r] && j < nc; j++)
			tmp[j] = st[r][j];
		const __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum),
		                                 _mm256_mul_ps(_mm256_set1_ps(sa[r]), s),
		                                 _mm256_loadu_ps(tmp));
		_mm256_storeu_ps(tmp, v);
		for (int j = 0; j < nc; j++)
			c[j] = tmp[j];
	}
}

NK8_TARGET2 static void run_avx2(int M, int N, int K, nk_rows8 *ws, const nk_pack8 *B, float *C,
                                 int ldc, int beta, const float *const *s0)
{
	const int K4 = (K + 3) / 4;
	const float *st[4];
	for (size_t i = 0; i < (size_t)M * K4 * 4; i++)
		ws->p16[i] = (int16_t)(ws->p[i] - 128);
	for (int i = 0; i < M; i += 4) {
		const int rows = M - i < 4 ? M - i : 4;
		const int16_t *a = ws->p16 + (size_t)i * K4 * 4;
		for (int j = 0; j < N; j += 8) {
			const int nc = N - j < 8 ? N - j : 8;
			const int8_t *bp = B->p + (size_t)(j / NK8_NR) * K4 * NK8_NR * 4 +
			                   (size_t)(j % NK8_NR) * 4;
			float *c = C + (size_t)i * ldc + j;
			const float *sa = ws->scale + i, *sb = B->scale + j;
			starts(st, rows, i, j, s0, beta, C + (size_t)i * ldc, ldc);
			switch (rows) {
			case 1:
				tile8_avx2(1, K4, a, sa, bp, sb, st, c, ldc, nc);
				break;
			case 2:
				tile8_avx2(2, K4, a, sa, bp, sb, st, c, ldc, nc);
				break;
			case 3:
				tile8_avx2(3, K4, a, sa, bp, sb, st, c, ldc, nc);
				break;
			default:
				tile8_avx2(4, K4, a, sa, bp, sb, st, c, ldc, nc);
				break;
			}
		}
	}
}

/* libnlpipe chooses (nlp_int8_kernel: `nlpipe inspect` says the same). */
static int have_vnni(void)
{
	return !strcmp(nlp_int8_kernel(), "avx512-vnni");
}

static int have_avx2(void)
{
	return !strcmp(nlp_int8_kernel(), "avx2");
}
#else
#define NK8_X86 0
#endif

const char *nk_int8_isa(void)
{
#if NK8_X86
	return nlp_int8_kernel();
#else
	return "c"; /* the only kernel here, whatever the CPU */
#endif
}

/* nk_gemm8_rows (s0 NULL) and nk_gemm8_rows_from (beta 0). */
static int gemm8(int ref, int M, const float *A, int lda, const nk_pack8 *B, int beta,
                 const float *const *s0, float *C, int ldc, nk_rows8 *ws)
{
	const int N = B->N, K = B->K;
	const size_t K4 = (size_t)(K + 3) / 4;

	if (M <= 0 || N <= 0)
		return 0;
	if (K <= 0) { /* an empty sum: C stays (beta 1), becomes the start or zero */
		for (int i = 0; !beta && i < M; i++) {
			float *c = C + (size_t)i * ldc;
			if (s0 && s0[i])
				memmove(c, s0[i], (size_t)N * sizeof *C);
			else
				memset(c, 0, (size_t)N * sizeof *C);
		}
		return 0;
	}
	if (ws->cap < (size_t)M * K4 * 4 || ws->c16 < (size_t)M * K4 * 4 || ws->cs < (size_t)M)
		return -1;
#if NK8_X86
	if (!ref && have_vnni()) {
		quantize_rows_avx512(M, A, lda, K, ws);
		run_vnni(M, N, K, ws, B, C, ldc, beta, s0);
		return 0;
	}
	if (!ref && have_avx2()) {
		quantize_rows(M, A, lda, K, ws);
		run_avx2(M, N, K, ws, B, C, ldc, beta, s0);
		return 0;
	}
#endif
	quantize_rows(M, A, lda, K, ws);
	run_c(M, N, K, ws, B, C, ldc, beta, s0);
	return 0;
}

int nk_gemm8_rows(int ref, int M, const float *A, int lda, const nk_pack8 *B, float beta, float *C,
                  int ldc, nk_rows8 *ws)
{
	return gemm8(ref, M, A, lda, B, beta != 0.0f, NULL, C, ldc, ws);
}

int nk_gemm8_rows_from(int ref, int M, const float *A, int lda, const nk_pack8 *B,
                       const float *const *rows, float *C, int ldc, nk_rows8 *ws)
{
	return gemm8(ref, M, A, lda, B, 0, rows, C, ldc, ws);
}
