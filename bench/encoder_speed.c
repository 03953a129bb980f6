/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/encoder_speed.c - forward+backward tokens/s of one recurrent encoder
 * layer stack on random input (not a test; see bench/encoder_speed.py for
 * the PyTorch side).
 *
 *   OPENBLAS_NUM_THREADS=1 bench/encoder_speed [-c lstm|gru|rnn] [-E 128]
 *       [-H 128] [-B 32] [-T 200] [-l layers] [-b] [-f] [-x] [-j threads] [-n iters] [-r reps]
 *
 * -b bidirectional, -f forward only (inference), -x no input gradient (as
 * behind a frozen embedding), -j batch shards on that many threads (keep
 * OPENBLAS_NUM_THREADS=1 then).  Prints the median over
 * reps of iters forward(+backward) passes: tokens/s and GFLOP/s counting the
 * recurrent layer as 2*G*H*(E+H) flops per token forward (x3 for training).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nlpipe/train.h"
#include "../models/recurrent.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int E = 128, H = 128, B = 32, T = 200, layers = 1, bi = 0, fwd_only = 0, no_dx = 0,
	    threads = 1, iters = 10, reps = 5, cell = REC_LSTM, opt;
	while ((opt = getopt(argc, argv, "c:E:H:B:T:l:bfxj:n:r:h")) != -1) {
		switch (opt) {
		case 'c':
			cell = strcmp(optarg, "gru") == 0   ? REC_GRU
			       : strcmp(optarg, "rnn") == 0 ? REC_RNN_TANH
			                                    : REC_LSTM;
			break;
		case 'E':
			E = atoi(optarg);
			break;
		case 'H':
			H = atoi(optarg);
			break;
		case 'B':
			B = atoi(optarg);
			break;
		case 'T':
			T = atoi(optarg);
			break;
		case 'l':
			layers = atoi(optarg);
			break;
		case 'b':
			bi = 1;
			break;
		case 'f':
			fwd_only = 1;
			break;
		case 'x':
			no_dx = 1;
			break;
		case 'j':
			threads = atoi(optarg);
			break;
		case 'n':
			iters = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr,
			        "usage: %s [-c lstm|gru|rnn] [-E n] [-H n] [-B n] [-T n] "
			        "[-l layers] [-b] [-f] [-x] [-j threads] [-n iters] [-r reps]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (E < 1 || H < 1 || B < 1 || T < 1 || layers < 1 || iters < 1 || reps < 1 || reps > 100) {
		fprintf(stderr, "encoder_speed: sizes must be >= 1\n");
		return 1;
	}
	nlp_numerics_init();
	rec_config c = {0};
	c.cell = cell;
	c.in = E;
	c.hidden = H;
	c.layers = layers;
	c.bidirectional = bi;
	c.pool = REC_POOL_LAST;
	c.threads = threads;
	rec_net *n = NULL;
	nlp_err err = {0};
	if (rec_new(&n, &c, &err)) {
		fprintf(stderr, "encoder_speed: %s\n", err.msg);
		return 1;
	}
	nlp_rng r;
	nlp_rng_seed(&r, 1);
	rec_init_params(n, &r);
	nlp_params p;
	rec_params(n, &p);
	const int D = rec_out_dim(n);
	float *x = malloc(sizeof(float) * (size_t)T * B * E);
	float *dout = malloc(sizeof(float) * (size_t)B * D);
	int *len = malloc(sizeof(int) * (size_t)B);
	if (!x || !dout || !len) {
		fprintf(stderr, "encoder_speed: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < (size_t)T * B * E; i++)
		x[i] = 0.5f * nlp_rng_normal(&r);
	for (int i = 0; i < B * D; i++)
		dout[i] = 0.01f * nlp_rng_normal(&r);
	for (int b = 0; b < B; b++)
		len[b] = T;
	double times[100], cpus[100];
	for (int k = -1; k < reps; k++) { /* k = -1: warm-up */
		double t0 = now(), c0 = cpu_now();
		for (int i = 0; i < iters; i++) {
			const float *o, *d;
			if (rec_forward(n, &o, x, T, B, len, !fwd_only, &r, &err) ||
			    (!fwd_only && rec_backward(n, no_dx ? NULL : &d, dout, &err))) {
				fprintf(stderr, "encoder_speed: %s\n", err.msg);
				return 1;
			}
		}
		if (k >= 0) {
			times[k] = now() - t0;
			cpus[k] = cpu_now() - c0;
		}
	}
	qsort(times, (size_t)reps, sizeof times[0], cmp);
	qsort(cpus, (size_t)reps, sizeof cpus[0], cmp);
	const double sec = times[reps / 2];
	const double tok = (double)B * T * iters / sec;
	const int G = cell == REC_LSTM ? 4 : cell == REC_GRU ? 3 : 1;
	double flops = 0.0;
	for (int l = 0; l < layers; l++)
		flops += 2.0 * G * H * ((l ? H * (bi + 1) : E) + H) * (bi + 1);
	flops *= fwd_only ? 1 : 3;
	printf("%s E%d H%d B%d T%d layers=%d %s %s%s, %d thread(s): %.0f tokens/s, %.1f GFLOP/s "
	       "(median of %d x %d passes; %.0f tokens per CPU second)\n",
	       cell == REC_LSTM  ? "lstm"
	       : cell == REC_GRU ? "gru"
	                         : "rnn",
	       E, H, B, T, layers, bi ? "bi" : "uni", fwd_only ? "forward" : "forward+backward",
	       no_dx && !fwd_only ? " (no input gradient)" : "", threads, tok, tok * flops * 1e-9,
	       reps, iters, (double)B * T * iters / cpus[reps / 2]);
	free(x);
	free(dout);
	free(len);
	rec_free(n);
	return 0;
}
