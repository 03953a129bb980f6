/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/lm_speed_nlpipe.c - nlpipe's side of bench/lm_speed: a language model
 * (embedding -> lstm, pooling none -> next_token) built by the host from an
 * in-memory INI with the real stage classes, its vocabulary filled with
 * synthetic words through the embedding's observe op, trained with Adam on
 * windows of B parallel streams with the state carried from window to window,
 * then run forward only (full softmax).  Not a test.
 *
 *   bench/lm_speed_nlpipe -i IDS [-E 256] [-H 256] [-V 10000] [-m full|sampled]
 *       [-S samples] [-j threads] [-s train_steps] [-f eval_steps] [-w warmup]
 *
 * IDS: little-endian int32: B, T, number of windows, then per window
 * (T + 1) * B token ids, time-major, in [2, V): the window's inputs are rows
 * 0..T-1, its targets rows 1..T.  The windows are used in turn, cyclically.
 *
 * Prints one line a measurement:
 *   train TOKENS_PER_S SECONDS STEPS FIRST_LOSS LAST_LOSS
 *   eval TOKENS_PER_S SECONDS STEPS MEAN_NLL
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speed_common.h"

/* Forward only: the mean negative log-likelihood of the window's targets. */
static int eval_step(bench *k, const nlp_batch *b, double *nll, nlp_err *err)
{
	nlp_act p;
	int rc = nlp_chain_forward(k->p, k->first, b, &p, err);
	double s = 0.0;

	if (rc)
		return rc;
	for (int i = 0; i < b->T * b->B; i++)
		s -= log((double)p.x[(size_t)i * p.D + b->next_ids[i]] + 1e-30);
	*nll = s / (b->T * b->B);
	return NLP_OK;
}

static int build(bench *k, int E, int H, int V, const char *softmax, int S, int threads,
                 nlp_err *err)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "[pipeline]\nstages = tokenize, embed, encode, predict\n[tokenize]\ntype = "
	         "tokenizer\n"
	         "[embed]\ntype = embedding\ndim = %d\nmin_count = 1\nmax_size = %d\n"
	         "[encode]\ntype = lstm\nhidden = %d\npooling = none\nthreads = %d\n"
	         "[predict]\ntype = next_token\nsoftmax = %s\nsamples = %d\n",
	         E, V, H, threads, softmax, S);
	return bench_build(k, text, 3, V, V, err);
}

static int usage(const char *argv0, int ok)
{
	fprintf(ok ? stdout : stderr,
	        "usage: %s -i IDS [-E n] [-H n] [-V n] [-m full|sampled] [-S samples] "
	        "[-j threads] [-s train_steps] [-f eval_steps] [-w warmup]\n",
	        argv0);
	return ok ? 0 : 1;
}

/* Runs warm + steps windows (train or eval) and prints the line. */
static int run(bench *k, const bench_ids *f, int training, int warm, int steps, nlp_err *err)
{
	int *len = malloc((size_t)f->B * sizeof *len), rc = NLP_OK;
	nlp_batch b = {.B = f->B, .T = f->T, .len = len, .carry = 1, .training = training};
	nlp_rng drop;
	double first = 0, v = 0, sum = 0, t0 = bench_now(), sec;

	if (!len)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int i = 0; i < f->B; i++)
		len[i] = f->T;
	nlp_rng_seed(&drop, 7);
	b.rng = &drop;
	for (int s = 0; s < warm + steps && !rc; s++) {
		const int32_t *at = bench_ids_record(f, s);
		if (s == warm)
			t0 = bench_now();
		b.ids = at;
		b.next_ids = at + f->B;
		rc = training ? bench_train_step(k, &b, &v, err) : eval_step(k, &b, &v, err);
		if (s == 0)
			first = v;
		if (s >= warm)
			sum += v;
	}
	sec = bench_now() - t0;
	if (!rc && training)
		printf("train %.0f %.4f %d %.5f %.5f\n", (double)f->B * f->T * steps / sec, sec,
		       steps, first, v);
	else if (!rc)
		printf("eval %.0f %.4f %d %.5f\n", (double)f->B * f->T * steps / sec, sec, steps,
		       steps ? sum / steps : 0.0);
	free(len);
	return rc;
}

int main(int argc, char **argv)
{
	const char *softmax = "sampled";
	int S = 512, opt, rc = 1;
	/* path, E, H, V, threads, train_steps, eval_steps, warm */
	bench_opts o = {NULL, 256, 256, 10000, 1, 10, 10, 2};
	bench_ids f = {0};
	bench k = {0};
	nlp_err err = {0};

	while ((opt = getopt(argc, argv, BENCH_OPTS "m:S:h")) != -1) {
		if (bench_option(&o, opt, optarg))
			continue;
		switch (opt) {
		case 'm':
			softmax = optarg;
			break;
		case 'S':
			S = atoi(optarg);
			break;
		default:
			return usage(argv[0], opt == 'h');
		}
	}
	if (!bench_opts_ok(&o) || S < 1 || (strcmp(softmax, "full") && strcmp(softmax, "sampled")))
		return usage(argv[0], 0);
	nlp_numerics_init();
	openblas_set_num_threads(o.threads);
	if (bench_read_ids(&f, o.path, o.V, &err) ||
	    build(&k, o.E, o.H, o.V, softmax, S, o.threads, &err) ||
	    (o.train_steps && run(&k, &f, 1, o.warm, o.train_steps, &err)) ||
	    (o.eval_steps && run(&k, &f, 0, o.warm, o.eval_steps, &err)))
		fprintf(stderr, "lm_speed_nlpipe: %s\n", err.msg);
	else
		rc = 0;
	free(f.data);
	bench_unbuild(&k);
	return rc;
}
