/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/pool_latency.c - what one nlp_parallel job costs when its parts do
 * nothing: jobs back to back (as in a training step, a few tens of
 * microseconds apart at most) and jobs 1 ms apart.  Not a test.
 *
 *   make bench/pool_latency && bench/pool_latency [-S parts] [-n jobs]
 *
 * Prints "back-to-back US" and "1ms-apart US": microseconds a job, the
 * median of 5 timings.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <nlpipe/train.h>

static void nothing(void *arg, int k, int S)
{
	(void)arg, (void)k, (void)S;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Microseconds a job, the median of 5 timings of n jobs; gap_us of sleep
 * between jobs (not counted). */
static double per_job(int S, int n, int gap_us)
{
	double t[5];

	for (int r = 0; r < 5; r++) {
		double spent = 0.0;
		for (int i = 0; i < n; i++) {
			const double t0 = now();
			nlp_parallel(S, nothing, NULL);
			spent += now() - t0;
			if (gap_us)
				usleep((useconds_t)gap_us);
		}
		t[r] = spent / n * 1e6;
	}
	qsort(t, 5, sizeof t[0], cmp);
	return t[2];
}

int main(int argc, char **argv)
{
	int S = 2, n = 20000, opt;

	while ((opt = getopt(argc, argv, "S:n:h")) != -1) {
		if (opt == 'S')
			S = atoi(optarg);
		else if (opt == 'n')
			n = atoi(optarg);
		else {
			fprintf(stderr, "usage: %s [-S parts] [-n jobs]\n", argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (S < 2 || S > 64 || n < 1) {
		fprintf(stderr, "pool_latency: -S takes 2 .. 64, -n at least 1\n");
		return 1;
	}
	nlp_parallel(S, nothing, NULL); /* the workers start */
	printf("back-to-back %.2f\n", per_job(S, n, 0));
	printf("1ms-apart %.2f\n", per_job(S, n / 100 + 1, 1000));
	return 0;
}
