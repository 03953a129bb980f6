/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/softmax.c - nk_softmax_row (see blas.h): the softmax of one row of
 * logits in place, AVX-512 where nk_gemm_rows uses AVX-512 (so
 * NLPIPE_MAX_CPU_ISA caps both), portable C elsewhere.  Both take the same
 * steps: the maximum, exp(z - max) by nk_expf's polynomial, the sum in
 * double, a multiplication by 1 / sum; they differ only in the order of the
 * double additions (16 lanes against one chain) and in FMA rounding. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "blas.h"
#include "gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NK_SOFTMAX_AVX512 1

#define T512 __attribute__((target("avx512f")))

/* nk_expf on 16 lanes (the same constants and steps). */
T512 static inline __m512 expf16(__m512 x)
{
	x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
	x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
	const __m512 magic = _mm512_set1_ps(12582912.0f);
	__m512 n = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), magic);
	n = _mm512_sub_ps(n, magic);
	const __m512 r =
	        _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
	                      _mm512_mul_ps(n, _mm512_set1_ps(2.12194440e-4f)));
	__m512 p = _mm512_set1_ps(1.9875691500e-4f);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
	p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
	const __m512i e = _mm512_slli_epi32(
	        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
	return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

T512 static double softmax_avx512(float *z, int V)
{
	const __m512 ninf = _mm512_set1_ps(-INFINITY);
	__m512 vm = ninf;
	int c = 0;
	for (; c + 16 <= V; c += 16)
		vm = _mm512_max_ps(vm, _mm512_loadu_ps(z + c));
	const __mmask16 tail = (__mmask16)((1u << (V - c)) - 1u);
	vm = _mm512_max_ps(vm, _mm512_mask_loadu_ps(ninf, tail, z + c));
	const float m = _mm512_reduce_max_ps(vm);
	const __m512 vmax = _mm512_set1_ps(m);
	__m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
	for (c = 0; c + 16 <= V; c += 16) {
		const __m512 e = expf16(_mm512_sub_ps(_mm512_loadu_ps(z + c), vmax));
		_mm512_storeu_ps(z + c, e);
		s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
		s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(
		                               _mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
	}
	if (c < V) {
		__m512 e = expf16(_mm512_sub_ps(_mm512_mask_loadu_ps(vmax, tail, z + c), vmax));
		e = _mm512_maskz_mov_ps(tail, e);
		_mm512_mask_storeu_ps(z + c, tail, e);
		s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
		s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(
		                               _mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
	}
	const double s = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
	const __m512 inv = _mm512_set1_ps((float)(1.0 / s));
	for (c = 0; c + 16 <= V; c += 16)
		_mm512_storeu_ps(z + c, _mm512_mul_ps(_mm512_loadu_ps(z + c), inv));
	if (c < V)
		_mm512_mask_storeu_ps(z + c, tail,
		                      _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, z + c), inv));
	return m + log(s);
}
#endif

static double softmax_c(float *z, int V)
{
	float m = z[0];
	for (int c = 1; c < V; c++)
		m = z[c] > m ? z[c] : m;
	for (int c = 0; c < V; c++)
		z[c] = nk_expf(z[c] - m);
	double s = 0.0;
	for (int c = 0; c < V; c++)
		s += z[c];
	const float inv = (float)(1.0 / s);
	for (int c = 0; c < V; c++)
		z[c] *= inv;
	return m + log(s);
}

double nk_softmax_row(float *z, int V)
{
#ifdef NK_SOFTMAX_AVX512
	if (strcmp(nk_gemm_isa(), "avx512") == 0)
		return softmax_avx512(z, V);
#endif
	return softmax_c(z, V);
}
