/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/gemm_kernel.h - one kernel of nk_gemm_rows, included by
 * models/gemm.c once per instruction set with these macros defined:
 *
 *   NK_K(x)      the kernel's name for x (nk_avx2_##x ...)
 *   NK_TARGET    its function attributes (a target, or nothing)
 *   NK_MR        rows of a tile (a register block of NK_MR x NK_NV vectors)
 *   NK_NV, NK_W  vectors per panel row, floats per vector (panel NK_NV * NK_W)
 *   NK_VT        the vector type
 *   NK_ZERO()    NK_LOAD(p)  NK_STORE(p, v)  NK_SET1(x)
 *   NK_FMA(a, b, c)   c + a * b, one rounding (or two where there is no FMA)
 *
 * and undefines them at its end.
 *
 * Each element of a tile is one chain acc = NK_FMA(a[k], b[k], acc) over
 * k = 0 .. K-1, whatever the number of rows of the tile: a tile of r rows is
 * the same code as a tile of NK_MR rows with only r of them computed, so a
 * row's result cannot depend on the rows beside it.
 */

#define NK_NR (NK_NV * NK_W)
#ifndef NK_BLOCK_BYTES
#define NK_BLOCK_BYTES (512 * 1024)
#endif
#define NK_UNROLL _Pragma("GCC unroll 16")

/* rows x nc elements of C (row stride ldc) from rows rows of A and one panel
 * bp [K x NK_NR] of B, row r's chain started from the nc values at st[r]
 * (NULL: from zero).  rows is a constant at every call (always inlined). */
NK_TARGET static inline __attribute__((always_inline)) void
NK_K(tile)(const int rows, int K, const float *restrict A, int lda, const float *restrict bp,
           const float *const *st, float *C, int ldc, int nc)
{
	NK_VT acc[NK_MR][NK_NV];
	float tmp[NK_NR];

	NK_UNROLL
	for (int r = 0; r < rows; r++) {
		const float *c = st[r];
		if (c && nc < NK_NR) {
			for (int j = 0; j < NK_NR; j++)
				tmp[j] = j < nc ? c[j] : 0.0f;
			c = tmp;
		}
		NK_UNROLL
		for (int v = 0; v < NK_NV; v++)
			acc[r][v] = c ? NK_LOAD(c + v * NK_W) : NK_ZERO();
	}
	for (int k = 0; k < K; k++) {
		NK_VT b[NK_NV];
		NK_UNROLL
		for (int v = 0; v < NK_NV; v++)
			b[v] = NK_LOAD(bp + (size_t)k * NK_NR + v * NK_W);
		NK_UNROLL
		for (int r = 0; r < rows; r++) {
			const NK_VT a = NK_SET1(A[(size_t)r * lda + k]);
			NK_UNROLL
			for (int v = 0; v < NK_NV; v++)
				acc[r][v] = NK_FMA(a, b[v], acc[r][v]);
		}
	}
	NK_UNROLL
	for (int r = 0; r < rows; r++) {
		float *c = C + (size_t)r * ldc;
		if (nc < NK_NR) {
			NK_UNROLL
			for (int v = 0; v < NK_NV; v++)
				NK_STORE(tmp + v * NK_W, acc[r][v]);
			for (int j = 0; j < nc; j++)
				c[j] = tmp[j];
		} else {
			NK_UNROLL
			for (int v = 0; v < NK_NV; v++)
				NK_STORE(c + v * NK_W, acc[r][v]);
		}
	}
}

/* C [M x N] (=, or += with beta) A [M x K] . B, B packed in panels p; with
 * s0, row i starts from s0[i] instead (NULL: zeros), C is not read.
 * The panels are taken in blocks of about NK_BLOCK_BYTES, each block used
 * for every row before the next is read: a B larger than the cache (a
 * vocabulary-sized output matrix) is read from memory once, not once per
 * NK_MR rows.  Every element is still one tile's chain over k, so the
 * blocking changes no bit of C. */
NK_TARGET static void NK_K(run)(int M, int N, int K, const float *A, int lda, const float *p,
                                float *C, int ldc, int beta, const float *const *s0)
{
	const float *st[NK_MR];
	const size_t panel = (size_t)K * NK_NR;
	const int np = (N + NK_NR - 1) / NK_NR;
	int qb = (int)(NK_BLOCK_BYTES / (panel * sizeof(float)));
	qb = qb < 1 ? 1 : qb;
	for (int q0 = 0; q0 < np; q0 += qb)
		for (int i = 0; i < M; i += NK_MR) {
			const int rows = M - i < NK_MR ? M - i : NK_MR;
			const float *a = A + (size_t)i * lda;
			float *c = C + (size_t)i * ldc;
			const int q1 = q0 + qb < np ? q0 + qb : np;
			for (int q = q0, j = q0 * NK_NR; q < q1; j += NK_NR, q++) {
				const int nc = N - j < NK_NR ? N - j : NK_NR;
				const float *bp = p + q * panel;
				for (int r = 0; r < rows; r++) {
					const float *s = s0 ? s0[i + r] : NULL;
					st[r] = s0     ? (s ? s + j : NULL)
					        : beta ? c + (size_t)r * ldc + j
					               : NULL;
				}
#define NK_ROWS(n)                                                                                 \
	case n:                                                                                    \
		NK_K(tile)(n, K, a, lda, bp, st, c + j, ldc, nc);                                  \
		break;
				switch (rows) {
					NK_ROWS(1)
					NK_ROWS(2)
					NK_ROWS(3)
					NK_ROWS(4)
#if NK_MR > 4
					NK_ROWS(5)
					NK_ROWS(6)
#endif
#if NK_MR > 6
					NK_ROWS(7)
					NK_ROWS(8)
#endif
				default:
					break;
				}
#undef NK_ROWS
			}
		}
}

/* The parameters are undefined for the next inclusion. */
#undef NK_UNROLL
#undef NK_NR
#undef NK_K
#undef NK_TARGET
#undef NK_MR
#undef NK_NV
#undef NK_W
#undef NK_VT
#undef NK_ZERO
#undef NK_LOAD
#undef NK_STORE
#undef NK_SET1
#undef NK_FMA
