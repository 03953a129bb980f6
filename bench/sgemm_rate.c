/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/sgemm_rate.c - the sgemm reference rate for bench/speed: GFLOP/s of
 * cblas_sgemm at the recurrent step's shape, C [M x N] = A [M x K] B [K x N]
 * with M = B (batch), K = E + H, N = G*H, on OpenBLAS with the given number
 * of threads; and, on one thread, of nlpipe's own products at that shape
 * (-p rows: the fp32 row-stable product, models/gemm.h; -p bf16: the bf16
 * one, models/gemm_bf16.h, where the CPU has AVX512_BF16; -p int8: the int8
 * one, models/gemm_int8.h, its rows quantized in each call as the encoders'
 * states are; GOP/s counted like flops; -p tn: the weight gradients'
 * product, C [M x N] += A^T B with A [K x M] and B [K x N], models/gemm.h).  And the machine's peaks the
 * products are judged against (-p fma: fp32 multiply-adds at the width of
 * the kernel nlpipe uses, AVX-512 or AVX2; -p vnni: int8 dot products,
 * vpdpbusd, where the CPU has AVX512_VNNI; -p dpbf16: bf16 pair products,
 * vdpbf16ps, where it has AVX512_BF16): independent chains in registers
 * on each of -j threads, nothing read from memory.  Not a test.
 *
 *   bench/sgemm_rate -m M -k K -n N [-j threads] [-t seconds]
 *                    [-p sgemm|rows|bf16|int8|fma|vnni|dpbf16|tn]
 *
 * Prints "PRODUCT M K N THREADS GFLOPS" (the median of 5 timings).
 */
#include "config.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nlpipe/train.h>

#include "../models/gemm.h"
#include "../models/gemm_bf16.h"
#include "../models/gemm_int8.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { P_SGEMM, P_ROWS, P_BF16, P_INT8, P_FMA, P_VNNI, P_DPBF16, P_TN };

/* ---- Peaks: 12 independent multiply-add chains, 2 flops (or int8 ops)
 * a lane each, looped n times; the result is returned so that nothing is
 * optimised away. ---- */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PEAK_BODY(T, FMA, SET1, ADD, SUM)                                                          \
	T a0 = SET1(x), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,    \
	  a9 = a0, a10 = a0, a11 = a0;                                                             \
	const T m = SET1(y), k = SET1(z);                                                          \
	for (long i = 0; i < n; i++) {                                                             \
		a0 = FMA(a0, m, k), a1 = FMA(a1, m, k), a2 = FMA(a2, m, k);                        \
		a3 = FMA(a3, m, k), a4 = FMA(a4, m, k), a5 = FMA(a5, m, k);                        \
		a6 = FMA(a6, m, k), a7 = FMA(a7, m, k), a8 = FMA(a8, m, k);                        \
		a9 = FMA(a9, m, k), a10 = FMA(a10, m, k), a11 = FMA(a11, m, k);                    \
	}                                                                                          \
	a0 = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                    \
	a0 = ADD(a0, ADD(ADD(a8, a9), ADD(a10, a11)));                                             \
	return SUM(a0)

static float sum512(__m512 v) __attribute__((target("avx512f")));
static float sum512(__m512 v)
{
	return _mm512_reduce_add_ps(v);
}

__attribute__((target("avx512f"))) static float peak_fma512(long n, float x, float y, float z)
{
	PEAK_BODY(__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps, sum512);
}

static float sum256(__m256 v) __attribute__((target("avx2,fma")));
static float sum256(__m256 v)
{
	float t[8];
	_mm256_storeu_ps(t, v);
	return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

__attribute__((target("avx2,fma"))) static float peak_fma256(long n, float x, float y, float z)
{
	PEAK_BODY(__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps, sum256);
}

#define VNNI_SET1(v)  _mm512_set1_epi32((int)(v))
#define VNNI(a, b, c) _mm512_dpbusd_epi32((a), (b), (c))
#define VNNI_SUM(v)   (float)_mm512_reduce_add_epi32(v)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static float peak_vnni(long n, int x, int y,
                                                                              int z)
{
	PEAK_BODY(__m512i, VNNI, VNNI_SET1, _mm512_add_epi32, VNNI_SUM);
}

/* bf16 pairs (vdpbf16ps): two products a 32-bit lane, added to a float. */
#define BF16_SET1(v)  ((__m512bh)_mm512_set1_epi32((int)(v)))
#define BF16(a, b, c) _mm512_dpbf16_ps((a), (b), (c))
__attribute__((target("avx512f,avx512bf16"))) static float peak_dpbf16(long n, float x, uint32_t y,
                                                                       uint32_t z)
{
	__m512 a0 = _mm512_set1_ps(x), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
	       a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
	const __m512bh m = BF16_SET1(y), k = BF16_SET1(z);
	for (long i = 0; i < n; i++) {
		a0 = BF16(a0, m, k), a1 = BF16(a1, m, k), a2 = BF16(a2, m, k);
		a3 = BF16(a3, m, k), a4 = BF16(a4, m, k), a5 = BF16(a5, m, k);
		a6 = BF16(a6, m, k), a7 = BF16(a7, m, k), a8 = BF16(a8, m, k);
		a9 = BF16(a9, m, k), a10 = BF16(a10, m, k), a11 = BF16(a11, m, k);
	}
	a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
	                   _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
	a0 = _mm512_add_ps(a0, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
	return sum512(a0);
}
#endif

/* Lanes of a peak loop's vector, and its flops (int8: ops) a lane and
 * step; 0 when this CPU (or NLPIPE_MAX_CPU_ISA) has no such loop. */
static int peak_lanes(int which)
{
#if defined(__x86_64__) && defined(__GNUC__)
	const char *isa = nk_gemm_isa();
	if (which == P_FMA)
		return !strcmp(isa, "avx512") ? 16 : !strcmp(isa, "avx2") ? 8 : 0;
	if (which == P_VNNI && !strcmp(nk_int8_isa(), "avx512-vnni"))
		return 64; /* 4 int8 products a 32-bit lane */
	if (which == P_DPBF16 && nk_bf16_available())
		return 32; /* 2 bf16 products a 32-bit lane */
#endif
	(void)which;
	return 0;
}

static float peak_run(int which, long n)
{
#if defined(__x86_64__) && defined(__GNUC__)
	const int lanes = peak_lanes(which);
	if (which == P_VNNI)
		return peak_vnni(n, 1, 0x01010101, 0x01010101);
	if (which == P_DPBF16) /* bf16 pairs (1, 1) times (0.999, 0.999)-ish */
		return peak_dpbf16(n, 1.0f, 0x3f803f80u, 0x3f7f3f7fu);
	return lanes == 16 ? peak_fma512(n, 1.0f, 0.999f, 1e-3f)
	                   : peak_fma256(n, 1.0f, 0.999f, 1e-3f);
#else
	(void)which, (void)n;
	return 0;
#endif
}

typedef struct prod {
	int which, M, K, N;
	const float *a, *b;
	float *c;
	nk_pack pk;
	nk_pack16 pk16;
	nk_rows16 ws;
	nk_pack8 pk8;
	nk_rows8 ws8;
	nk_tn_ws tn;
} prod;

static void run(prod *p, int reps)
{
	for (int r = 0; r < reps; r++) {
		if (p->which == P_SGEMM)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->M, p->N, p->K,
			            1.0f, p->a, p->K, p->b, p->N, 0.0f, p->c, p->N);
		else if (p->which == P_ROWS)
			nk_gemm_rows(0, p->M, p->a, p->K, &p->pk, 0.0f, p->c, p->N);
		else if (p->which == P_BF16)
			nk_gemm16_rows(p->M, p->a, p->K, &p->pk16, 0.0f, p->c, p->N, &p->ws);
		else if (p->which == P_TN) /* a [K x M], b [K x N] */
			(void)nk_gemm_tn(0, p->M, p->N, p->K, p->a, p->M, p->b, p->N, p->c, p->N,
			                 &p->tn);
		else
			nk_gemm8_rows(0, p->M, p->a, p->K, &p->pk8, 0.0f, p->c, p->N, &p->ws8);
	}
}

static int cmp(const void *a, const void *b);

typedef struct peak_job {
	int which;
	long n;
	float sink;
} peak_job;

static void *peak_thread(void *arg)
{
	peak_job *j = arg;
	j->sink = peak_run(j->which, j->n);
	return NULL;
}

/* GFLOP/s (GOP/s) of the peak loop on `threads` threads at once, the best
 * of 5 timings of about secs / 5 each (a peak: anything else running, or a
 * clock still rising, only lowers a timing); or -1. */
static double peak_rate(int which, int threads, double secs)
{
	const double per = 2.0 * peak_lanes(which) * 12; /* a step of the loop */
	double rate[5];
	long n = 1 << 16;
	peak_job jobs[64];
	pthread_t tid[64];

	for (;;) { /* calibrate on one thread */
		double t0 = now();
		jobs[0] = (peak_job){which, n, 0};
		peak_thread(&jobs[0]);
		if (now() - t0 > secs / 5 || n > (1L << 40))
			break;
		n *= 2;
	}
	for (int k = 0; k < 5; k++) {
		double t0 = now();
		for (int t = 0; t < threads; t++) {
			jobs[t] = (peak_job){which, n, 0};
			if (pthread_create(&tid[t], NULL, peak_thread, &jobs[t]))
				return -1;
		}
		for (int t = 0; t < threads; t++)
			pthread_join(tid[t], NULL);
		rate[k] = per * (double)n * threads / (now() - t0) * 1e-9;
	}
	qsort(rate, 5, sizeof rate[0], cmp);
	return jobs[0].sink == 12345.0f ? 0 : rate[4]; /* sink: keep the loops */
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *names[] = {"sgemm", "rows", "bf16", "int8", "fma", "vnni", "dpbf16", "tn"};
	int M = 32, K = 256, N = 512, threads = 1, opt, reps, rc = 1;
	double secs = 0.2, rate[5];
	float *a = NULL, *b = NULL, *c = NULL;
	prod p = {0};

	while ((opt = getopt(argc, argv, "m:k:n:j:t:p:h")) != -1) {
		switch (opt) {
		case 'm':
			M = atoi(optarg);
			break;
		case 'k':
			K = atoi(optarg);
			break;
		case 'n':
			N = atoi(optarg);
			break;
		case 'j':
			threads = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'p':
			p.which = -1;
			for (int i = 0; i < 8; i++)
				if (!strcmp(optarg, names[i]))
					p.which = i;
			if (p.which < 0) {
				fprintf(stderr,
				        "sgemm_rate: -p takes sgemm, rows, bf16, int8, fma, "
				        "vnni, dpbf16 or tn\n");
				return 1;
			}
			break;
		default:
			fprintf(stderr,
			        "usage: %s -m M -k K -n N [-j threads] [-t seconds] "
			        "[-p sgemm|rows|bf16|int8|fma|vnni|dpbf16|tn]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (M < 1 || K < 1 || N < 1 || threads < 1 || threads > 64 || !(secs > 0 && secs < 60)) {
		fprintf(stderr, "sgemm_rate: bad arguments (-h for help)\n");
		return 1;
	}
	nlp_numerics_init();
	if (p.which == P_FMA || p.which == P_VNNI || p.which == P_DPBF16) {
		double r = peak_lanes(p.which) ? peak_rate(p.which, threads, secs) : -1;
		if (r < 0) {
			fprintf(stderr,
			        "sgemm_rate: no %s peak loop for this CPU (kernel %s, int8 %s)\n",
			        names[p.which], nk_gemm_isa(), nk_int8_isa());
			return 1;
		}
		printf("%s 0 0 0 %d %.2f\n", names[p.which], threads, r);
		return 0;
	}
	openblas_set_num_threads(threads);
	a = malloc(sizeof *a * (size_t)M * K);
	b = malloc(sizeof *b * (size_t)K * N);
	c = calloc((size_t)M * N, sizeof *c);
	if (!a || !b || !c) {
		fprintf(stderr, "sgemm_rate: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < (size_t)M * K; i++)
		a[i] = (float)((i * 7919u) % 1000u) * 1e-3f - 0.5f;
	for (size_t i = 0; i < (size_t)K * N; i++)
		b[i] = (float)((i * 104729u) % 1000u) * 1e-4f - 0.05f;
	p.M = M, p.K = K, p.N = N, p.a = a, p.b = b, p.c = c;
	if (p.which == P_BF16 && !nk_bf16_available()) {
		fprintf(stderr, "sgemm_rate: this CPU has no AVX512_BF16 (or "
		                "NLPIPE_MAX_CPU_ISA caps it): no bf16 product\n");
		goto out;
	}
	if ((p.which == P_ROWS && nk_pack_b(&p.pk, 0, 0, K, N, b, N)) ||
	    (p.which == P_BF16 && nk_pack16_b(&p.pk16, 0, K, N, b, N)) ||
	    (p.which == P_INT8 &&
	     (nk_pack8_b(&p.pk8, 0, K, N, b, N) || nk_rows8_reserve(&p.ws8, M, K)))) {
		fprintf(stderr, "sgemm_rate: out of memory\n");
		goto out;
	}
	/* calibrate: enough calls for secs / 5 a timing */
	reps = 1;
	for (;;) {
		double t0 = now(), dt;
		run(&p, reps);
		dt = now() - t0;
		if (dt > secs / 5 || reps > (1 << 28))
			break;
		reps *= 2;
	}
	for (int k = 0; k < 5; k++) {
		double t0 = now();
		run(&p, reps);
		rate[k] = 2.0 * M * N * K * reps / (now() - t0) * 1e-9;
	}
	qsort(rate, 5, sizeof rate[0], cmp);
	printf("%s %d %d %d %d %.2f\n", names[p.which], M, K, N, threads, rate[2]);
	rc = 0;
out:
	nk_pack_free(&p.pk);
	nk_pack16_free(&p.pk16);
	nk_rows16_free(&p.ws);
	nk_pack8_free(&p.pk8);
	nk_rows8_free(&p.ws8);
	nk_tn_ws_free(&p.tn);
	free(a);
	free(b);
	free(c);
	return rc;
}
