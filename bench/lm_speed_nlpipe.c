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

typedef struct ids_file {
	int B, T, n;
	int32_t *data; /* n x (T + 1) * B */
} ids_file;

static int read_ids(ids_file *f, const char *path, int V, nlp_err *err)
{
	FILE *fp = fopen(path, "rb");
	int32_t head[3];
	size_t total;
	int rc = NLP_OK;

	memset(f, 0, sizeof *f);
	if (!fp)
		return nlp_err_set(err, NLP_EIO, "%s: cannot open", path);
	if (fread(head, sizeof head[0], 3, fp) != 3 || head[0] < 1 || head[1] < 1 || head[2] < 1 ||
	    head[0] > 4096 || head[1] > 100000 || head[2] > 100000) {
		rc = nlp_err_set(err, NLP_EDATA, "%s: bad header", path);
		goto out;
	}
	f->B = head[0];
	f->T = head[1];
	f->n = head[2];
	total = (size_t)(f->T + 1) * (size_t)f->B * (size_t)f->n;
	f->data = malloc(total * sizeof *f->data);
	if (!f->data) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	if (fread(f->data, sizeof *f->data, total, fp) != total) {
		rc = nlp_err_set(err, NLP_EDATA, "%s: truncated", path);
		goto out;
	}
	for (size_t i = 0; i < total; i++)
		if (f->data[i] < 0 || f->data[i] >= V) {
			rc = nlp_err_set(err, NLP_EDATA, "%s: id %d outside 0..%d", path,
			                 (int)f->data[i], V - 1);
			goto out;
		}
out:
	fclose(fp);
	return rc;
}

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
static int run(bench *k, const ids_file *f, int training, int warm, int steps, nlp_err *err)
{
	const size_t per = (size_t)(f->T + 1) * (size_t)f->B;
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
		const int32_t *at = f->data + (size_t)(s % f->n) * per;
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
	const char *path = NULL, *softmax = "sampled";
	int E = 256, H = 256, V = 10000, S = 512, threads = 1, train_steps = 10, eval_steps = 10,
	    warm = 2, opt, rc = 1;
	ids_file f = {0};
	bench k = {0};
	nlp_err err = {0};

	while ((opt = getopt(argc, argv, "i:E:H:V:m:S:j:s:f:w:h")) != -1) {
		switch (opt) {
		case 'i':
			path = optarg;
			break;
		case 'E':
			E = atoi(optarg);
			break;
		case 'H':
			H = atoi(optarg);
			break;
		case 'V':
			V = atoi(optarg);
			break;
		case 'm':
			softmax = optarg;
			break;
		case 'S':
			S = atoi(optarg);
			break;
		case 'j':
			threads = atoi(optarg);
			break;
		case 's':
			train_steps = atoi(optarg);
			break;
		case 'f':
			eval_steps = atoi(optarg);
			break;
		case 'w':
			warm = atoi(optarg);
			break;
		default:
			return usage(argv[0], opt == 'h');
		}
	}
	if (!path || E < 1 || H < 1 || V < 3 || S < 1 || threads < 1 || threads > 64 ||
	    train_steps < 0 || eval_steps < 0 || warm < 0 ||
	    (strcmp(softmax, "full") && strcmp(softmax, "sampled")))
		return usage(argv[0], 0);
	nlp_numerics_init();
	openblas_set_num_threads(threads);
	if (read_ids(&f, path, V, &err) || build(&k, E, H, V, softmax, S, threads, &err) ||
	    (train_steps && run(&k, &f, 1, warm, train_steps, &err)) ||
	    (eval_steps && run(&k, &f, 0, warm, eval_steps, &err)))
		fprintf(stderr, "lm_speed_nlpipe: %s\n", err.msg);
	else
		rc = 0;
	free(f.data);
	bench_unbuild(&k);
	return rc;
}
