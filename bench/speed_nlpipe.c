/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/speed_nlpipe.c - nlpipe's side of bench/speed: one text classifier
 * (embedding -> recurrent encoder -> softmax head) built by the host from
 * an in-memory INI with the real stage classes, its vocabulary filled with
 * synthetic words through the embedding's observe op, then trained with Adam
 * (forward, loss, backward, nlp_optim_step) and run forward only on batches
 * read from an ids file that the PyTorch side reads too.  Not a test.
 *
 *   bench/speed_nlpipe -i IDS [-c lstm|gru|rnn] [-b] [-E 128] [-H 128]
 *       [-V 20000] [-j threads] [-s train_steps] [-f infer_steps] [-w warmup] [-L]
 *       [-p fp32|int8]
 *
 * IDS: little-endian int32: B, T, number of batches, then per batch B labels
 * followed by T*B token ids (time-major, in [2, V)).  Every document is T
 * tokens long.  The batches are used in turn, cyclically.
 *
 * -j N: N threads: OpenBLAS set to N threads and the encoder's `threads`
 * option to N (it shards batches over N worker threads with OpenBLAS at 1
 * thread meanwhile, so the two never oversubscribe the cores).
 *
 * -L: infer as `nlpipe predict` does, the pipeline fixed after training
 * (nlp_pipeline_set_fixed): the encoder looks up each word's first-layer
 * input projection instead of multiplying (plugin ABI 2.5); without -L the
 * plain forward (the product for every token).
 *
 * -p int8: the encoder's `precision = int8` (its recurrent products in int8
 * on a fixed pipeline: with -L only; training is fp32 either way).
 *
 * Prints one line a measurement:
 *   train TOKENS_PER_S SECONDS STEPS FIRST_LOSS LAST_LOSS
 *   infer TOKENS_PER_S SECONDS STEPS
 */
#include "config.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speed_common.h"

typedef struct ids_file {
	int B, T, n;
	int32_t *data; /* n x (B + T*B) */
} ids_file;

static int read_ids(ids_file *f, const char *path, nlp_err *err)
{
	FILE *fp = fopen(path, "rb");
	int32_t head[3];
	size_t per, total;
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
	per = (size_t)f->B + (size_t)f->T * (size_t)f->B;
	total = per * (size_t)f->n;
	f->data = malloc(total * sizeof *f->data);
	if (!f->data) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	if (fread(f->data, sizeof *f->data, total, fp) != total)
		rc = nlp_err_set(err, NLP_EDATA, "%s: truncated", path);
out:
	fclose(fp);
	return rc;
}

static int forward(bench *k, const nlp_batch *b, nlp_err *err)
{
	nlp_act scores;
	return nlp_chain_forward(k->p, k->first, b, &scores, err);
}

static int build(bench *k, const char *cell, int bi, int E, int H, int V, int threads,
                 const char *precision, nlp_err *err)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "[pipeline]\nstages = tokenize, embed, encode, classify\n[tokenize]\ntype = "
	         "tokenizer\n"
	         "[embed]\ntype = embedding\ndim = %d\nmin_count = 1\nmax_size = %d\n"
	         "[encode]\ntype = %s\nhidden = %d\nbidirectional = %s\npooling = last\n"
	         "threads = %d\nprecision = %s\n"
	         "[classify]\ntype = softmax\n",
	         E, V, cell, H, bi ? "true" : "false", threads, precision);
	return bench_build(k, text, 3, V, 2, err);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *cell = "lstm", *precision = "fp32";
	int E = 128, H = 128, V = 20000, bi = 0, threads = 1, train_steps = 10, infer_steps = 20,
	    warm = 2, opt, rc = 1, *len = NULL, *labels, lookup = 0;
	ids_file f = {0};
	bench k = {0};
	nlp_err err = {0};
	nlp_batch b = {0};
	nlp_rng drop;
	size_t per;
	double first_loss = 0, loss = 0, t0 = 0, sec;

	while ((opt = getopt(argc, argv, "i:c:bE:H:V:j:s:f:w:Lp:h")) != -1) {
		switch (opt) {
		case 'i':
			path = optarg;
			break;
		case 'c':
			cell = optarg;
			break;
		case 'b':
			bi = 1;
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
		case 'j':
			threads = atoi(optarg);
			break;
		case 's':
			train_steps = atoi(optarg);
			break;
		case 'f':
			infer_steps = atoi(optarg);
			break;
		case 'w':
			warm = atoi(optarg);
			break;
		case 'L':
			lookup = 1;
			break;
		case 'p':
			precision = optarg;
			break;
		default:
			fprintf(stderr,
			        "usage: %s -i IDS [-c lstm|gru|rnn] [-b] [-E n] [-H n] [-V n] "
			        "[-j threads] [-s train_steps] [-f infer_steps] [-w warmup] [-L] "
			        "[-p fp32|int8]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (!path || E < 1 || H < 1 || V < 3 || threads < 1 || threads > 64 || train_steps < 0 ||
	    infer_steps < 0 || warm < 0 ||
	    (strcmp(cell, "lstm") && strcmp(cell, "gru") && strcmp(cell, "rnn")) ||
	    (strcmp(precision, "fp32") && strcmp(precision, "int8"))) {
		fprintf(stderr, "speed_nlpipe: bad arguments (-h for help)\n");
		return 1;
	}
	nlp_numerics_init();
	openblas_set_num_threads(threads);
	if (read_ids(&f, path, &err) || build(&k, cell, bi, E, H, V, threads, precision, &err))
		goto fail;
	len = malloc((size_t)f.B * sizeof *len);
	if (!len) {
		nlp_err_set(&err, NLP_ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < f.B; i++)
		len[i] = f.T;
	for (size_t i = 0; i < (size_t)f.n * ((size_t)f.B + (size_t)f.T * f.B); i++) {
		int32_t id = f.data[i];
		if (id < 0 || id >= V) {
			nlp_err_set(&err, NLP_EDATA, "%s: value %d out of range", path, (int)id);
			goto fail;
		}
	}
	nlp_rng_seed(&drop, 7);
	b.B = f.B;
	b.T = f.T;
	b.len = len;
	b.rng = &drop;
	per = (size_t)f.B + (size_t)f.T * (size_t)f.B;
	/* training: warm-up steps, then timed steps */
	for (int s = 0; s < warm + train_steps; s++) {
		const int32_t *at = f.data + (size_t)(s % f.n) * per;
		if (s == warm)
			t0 = bench_now();
		labels = (int *)at; /* int32_t and int are the same here */
		b.labels = labels;
		b.ids = at + f.B;
		b.training = 1;
		if (bench_train_step(&k, &b, &loss, &err))
			goto fail;
		if (s == 0)
			first_loss = loss;
		if (s == warm + train_steps - 1) {
			sec = bench_now() - t0;
			printf("train %.0f %.4f %d %.5f %.5f\n",
			       (double)f.B * f.T * train_steps / sec, sec, train_steps, first_loss,
			       loss);
		}
	}
	/* inference: forward only, no gradients kept */
	if (lookup && nlp_pipeline_set_fixed(k.p, 1, &err))
		goto fail;
	for (int s = 0; s < warm + infer_steps; s++) {
		const int32_t *at = f.data + (size_t)(s % f.n) * per;
		if (s == warm)
			t0 = bench_now();
		b.labels = NULL;
		b.ids = at + f.B;
		b.training = 0;
		if (forward(&k, &b, &err))
			goto fail;
		if (s == warm + infer_steps - 1) {
			sec = bench_now() - t0;
			printf("infer %.0f %.4f %d\n", (double)f.B * f.T * infer_steps / sec, sec,
			       infer_steps);
		}
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "speed_nlpipe: %s\n", err.msg);
out:
	free(len);
	free(f.data);
	bench_unbuild(&k);
	return rc;
}
