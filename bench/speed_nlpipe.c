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
 *       [-p fp32|bf16|int8]
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
 * -p bf16: `precision = bf16`, training and inference (the encoder's
 * products in bf16 where the CPU has AVX512_BF16, else fp32).
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
	const char *cell = "lstm", *precision = "fp32";
	int bi = 0, opt, rc = 1, *len = NULL, *labels, lookup = 0;
	/* path, E, H, V, threads, train_steps, eval_steps, warm */
	bench_opts o = {NULL, 128, 128, 20000, 1, 10, 20, 2};
	bench_ids f = {0};
	bench k = {0};
	nlp_err err = {0};
	nlp_batch b = {0};
	nlp_rng drop;
	double first_loss = 0, loss = 0, t0 = 0, sec;

	while ((opt = getopt(argc, argv, BENCH_OPTS "c:bLp:h")) != -1) {
		if (bench_option(&o, opt, optarg))
			continue;
		switch (opt) {
		case 'c':
			cell = optarg;
			break;
		case 'b':
			bi = 1;
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
			        "[-p fp32|bf16|int8]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (!bench_opts_ok(&o) ||
	    (strcmp(cell, "lstm") && strcmp(cell, "gru") && strcmp(cell, "rnn")) ||
	    (strcmp(precision, "fp32") && strcmp(precision, "bf16") && strcmp(precision, "int8"))) {
		fprintf(stderr, "speed_nlpipe: bad arguments (-h for help)\n");
		return 1;
	}
	nlp_numerics_init();
	openblas_set_num_threads(o.threads);
	if (bench_read_ids(&f, o.path, o.V, &err) ||
	    build(&k, cell, bi, o.E, o.H, o.V, o.threads, precision, &err))
		goto fail;
	len = malloc((size_t)f.B * sizeof *len);
	if (!len) {
		nlp_err_set(&err, NLP_ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < f.B; i++)
		len[i] = f.T;
	nlp_rng_seed(&drop, 7);
	b.B = f.B;
	b.T = f.T;
	b.len = len;
	b.rng = &drop;
	/* training: warm-up steps, then timed steps */
	for (int s = 0; s < o.warm + o.train_steps; s++) {
		const int32_t *at = bench_ids_record(&f, s);
		if (s == o.warm)
			t0 = bench_now();
		labels = (int *)at; /* int32_t and int are the same here */
		b.labels = labels;
		b.ids = at + f.B;
		b.training = 1;
		if (bench_train_step(&k, &b, &loss, &err))
			goto fail;
		if (s == 0)
			first_loss = loss;
		if (s == o.warm + o.train_steps - 1) {
			sec = bench_now() - t0;
			printf("train %.0f %.4f %d %.5f %.5f\n",
			       (double)f.B * f.T * o.train_steps / sec, sec, o.train_steps,
			       first_loss, loss);
		}
	}
	/* inference: forward only, no gradients kept */
	if (lookup && nlp_pipeline_set_fixed(k.p, 1, &err))
		goto fail;
	for (int s = 0; s < o.warm + o.eval_steps; s++) {
		const int32_t *at = bench_ids_record(&f, s);
		if (s == o.warm)
			t0 = bench_now();
		b.labels = NULL;
		b.ids = at + f.B;
		b.training = 0;
		if (forward(&k, &b, &err))
			goto fail;
		if (s == o.warm + o.eval_steps - 1) {
			sec = bench_now() - t0;
			printf("infer %.0f %.4f %d\n", (double)f.B * f.T * o.eval_steps / sec, sec,
			       o.eval_steps);
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
