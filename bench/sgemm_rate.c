/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/sgemm_rate.c - the sgemm reference rate for bench/speed: GFLOP/s of
 * cblas_sgemm at the recurrent step's shape, C [M x N] = A [M x K] B [K x N]
 * with M = B (batch), K = E + H, N = G*H, on OpenBLAS with the given number
 * of threads; and, on one thread, of nlpipe's own products at that shape
 * (-p rows: the fp32 row-stable product, models/gemm.h; -p bf16: the bf16
 * one, models/gemm_bf16.h, where the CPU has AVX512_BF16; -p int8: the int8
 * one, models/gemm_int8.h, its rows quantized in each call as the encoders'
 * states are; GOP/s counted like flops).  Not a test.
 *
 *   bench/sgemm_rate -m M -k K -n N [-j threads] [-t seconds] [-p sgemm|rows|bf16|int8]
 *
 * Prints "PRODUCT M K N THREADS GFLOPS" (the median of 5 timings).
 */
#include "config.h"

#include <cblas.h>
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

enum { P_SGEMM, P_ROWS, P_BF16, P_INT8 };

typedef struct prod {
	int which, M, K, N;
	const float *a, *b;
	float *c;
	nk_pack pk;
	nk_pack16 pk16;
	nk_rows16 ws;
	nk_pack8 pk8;
	nk_rows8 ws8;
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
		else
			nk_gemm8_rows(0, p->M, p->a, p->K, &p->pk8, 0.0f, p->c, p->N, &p->ws8);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *names[] = {"sgemm", "rows", "bf16", "int8"};
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
			for (int i = 0; i < 4; i++)
				if (!strcmp(optarg, names[i]))
					p.which = i;
			if (p.which < 0) {
				fprintf(stderr, "sgemm_rate: -p takes sgemm, rows, bf16 or int8\n");
				return 1;
			}
			break;
		default:
			fprintf(stderr,
			        "usage: %s -m M -k K -n N [-j threads] [-t seconds] "
			        "[-p sgemm|rows|bf16|int8]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (M < 1 || K < 1 || N < 1 || threads < 1 || threads > 64 || !(secs > 0 && secs < 60)) {
		fprintf(stderr, "sgemm_rate: bad arguments (-h for help)\n");
		return 1;
	}
	nlp_numerics_init();
	openblas_set_num_threads(threads);
	a = malloc(sizeof *a * (size_t)M * K);
	b = malloc(sizeof *b * (size_t)K * N);
	c = malloc(sizeof *c * (size_t)M * N);
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
	free(a);
	free(b);
	free(c);
	return rc;
}
