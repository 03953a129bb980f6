/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/sgemm_rate.c - the sgemm reference rate for bench/speed: GFLOP/s of
 * cblas_sgemm at the recurrent step's shape, C [M x N] = A [M x K] B [K x N]
 * with M = B (batch), K = E + H, N = G*H, on OpenBLAS with the given number
 * of threads.  Not a test.
 *
 *   bench/sgemm_rate -m M -k K -n N [-j threads] [-t seconds]
 *
 * Prints "sgemm M K N THREADS GFLOPS" (the median of 5 timings).
 */
#include "config.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <nlpipe/train.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int M = 32, K = 256, N = 512, threads = 1, opt, reps, rc = 1;
	double secs = 0.2, rate[5];
	float *a = NULL, *b = NULL, *c = NULL;

	while ((opt = getopt(argc, argv, "m:k:n:j:t:h")) != -1) {
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
		default:
			fprintf(stderr, "usage: %s -m M -k K -n N [-j threads] [-t seconds]\n",
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
	/* calibrate: enough calls for secs / 5 a timing */
	reps = 1;
	for (;;) {
		double t0 = now(), dt;
		for (int r = 0; r < reps; r++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K,
			            b, N, 0.0f, c, N);
		dt = now() - t0;
		if (dt > secs / 5 || reps > (1 << 28))
			break;
		reps *= 2;
	}
	for (int k = 0; k < 5; k++) {
		double t0 = now();
		for (int r = 0; r < reps; r++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K,
			            b, N, 0.0f, c, N);
		rate[k] = 2.0 * M * N * K * reps / (now() - t0) * 1e-9;
	}
	qsort(rate, 5, sizeof rate[0], cmp);
	printf("sgemm %d %d %d %d %.2f\n", M, K, N, threads, rate[2]);
	rc = 0;
out:
	free(a);
	free(b);
	free(c);
	return rc;
}
