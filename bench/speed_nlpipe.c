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
 *       [-V 20000] [-j threads] [-s train_steps] [-f infer_steps] [-w warmup]
 *
 * IDS: little-endian int32: B, T, number of batches, then per batch B labels
 * followed by T*B token ids (time-major, in [2, V)).  Every document is T
 * tokens long.  The batches are used in turn, cyclically.
 *
 * -j N: N threads: OpenBLAS set to N threads and the encoder's `threads`
 * option to N (it shards batches over N worker threads with OpenBLAS at 1
 * thread meanwhile, so the two never oversubscribe the cores).
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
#include <time.h>
#include <unistd.h>

#include <nlpipe/nlpipe.h>
#include <nlpipe/optim.h>
#include <nlpipe/runner.h>

#define MAX_STAGES 8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

typedef struct bench {
	nlp_host *h;
	nlp_ini *ini;
	nlp_pipeline *p;
	nlp_optim *o;
	nlp_params prm[MAX_STAGES];
	size_t first, n;
} bench;

static int forward(bench *k, const nlp_batch *b, nlp_err *err)
{
	nlp_act scores;
	return nlp_chain_forward(k->p, k->first, b, &scores, err);
}

/* Loss, backward through every stage, one Adam step, zeroed gradients. */
static int train_step(bench *k, const nlp_batch *b, double *loss, nlp_err *err)
{
	int rc = forward(k, b, err);

	if (!rc)
		rc = nlp_chain_backward(k->p, k->first, b, loss, err);
	if (rc)
		return rc;
	/* the embedding's touched rows change every step */
	for (size_t i = k->first; i < k->n; i++)
		nlp_pipeline_stage_class(k->p, i)->train->params(
		        nlp_pipeline_stage_instance(k->p, i), &k->prm[i - k->first]);
	rc = nlp_optim_step(k->o, k->prm, (int)(k->n - k->first), NULL, err);
	nlp_optim_zero_grad(k->prm, (int)(k->n - k->first));
	return rc;
}

static int build(bench *k, const char *cell, int bi, int E, int H, int V, int threads, nlp_err *err)
{
	char text[1024], word[32];
	nlp_tokens words = {0};
	nlp_doc d = {.name = "synthetic vocabulary"};
	nlp_rng rng;
	nlp_optim_config oc;
	nlp_params tab;
	int dim = 0, rc;

	snprintf(text, sizeof text,
	         "[pipeline]\nstages = tokenize, embed, encode, classify\n[tokenize]\ntype = "
	         "tokenizer\n"
	         "[embed]\ntype = embedding\ndim = %d\nmin_count = 1\nmax_size = %d\n"
	         "[encode]\ntype = %s\nhidden = %d\nbidirectional = %s\npooling = last\n"
	         "threads = %d\n"
	         "[classify]\ntype = softmax\n",
	         E, V, cell, H, bi ? "true" : "false", threads);
	if ((rc = nlp_host_new(&k->h, err)) ||
	    (rc = nlp_ini_parse(&k->ini, "speed.ini", text, strlen(text), err)) ||
	    (rc = nlp_pipeline_new(&k->p, k->h, k->ini, err)))
		goto out;
	k->n = nlp_pipeline_stage_count(k->p);
	k->first = nlp_pipeline_text_end(k->p);
	if (k->n - k->first != 3) {
		rc = nlp_err_set(err, NLP_EINTERNAL, "expected 3 trainable stages");
		goto out;
	}
	/* V - 2 distinct words (<pad> and <unk> make V) */
	for (int i = 0; i < V - 2 && !rc; i++) {
		int len = snprintf(word, sizeof word, "w%d", i);
		if (nlp_tokens_push(&words, word, (size_t)len))
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	d.in = &words;
	if (!rc)
		rc = nlp_pipeline_stage_class(k->p, k->first)
		             ->train->observe(nlp_pipeline_stage_instance(k->p, k->first), &d, err);
	if (rc)
		goto out;
	nlp_rng_seed(&rng, 1);
	for (size_t s = k->first; s < k->n; s++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(k->p, s)->train;
		void *self = nlp_pipeline_stage_instance(k->p, s);
		int out_dim = 0;
		if ((rc = t->setup(self, dim, 2, &out_dim, err)))
			goto out;
		dim = out_dim;
		t->params(self, &k->prm[s - k->first]);
		t->init(self, &rng);
	}
	tab = k->prm[0];
	if (tab.count != (size_t)V * (size_t)E) {
		rc = nlp_err_set(err, NLP_EINTERNAL,
		                 "embedding table has %zu floats, not V x E = %d", tab.count,
		                 V * E);
		goto out;
	}
	nlp_optim_config_default(&oc); /* Adam */
	oc.lr = 1e-3;                  /* as torch.optim.Adam */
	rc = nlp_optim_new(&k->o, &oc, k->prm, (int)(k->n - k->first), err);
out:
	nlp_tokens_free(&words);
	return rc;
}

static void unbuild(bench *k)
{
	nlp_optim_free(k->o);
	nlp_pipeline_free(k->p);
	nlp_ini_free(k->ini);
	nlp_host_free(k->h);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *cell = "lstm";
	int E = 128, H = 128, V = 20000, bi = 0, threads = 1, train_steps = 10, infer_steps = 20,
	    warm = 2, opt, rc = 1, *len = NULL, *labels;
	ids_file f = {0};
	bench k = {0};
	nlp_err err = {0};
	nlp_batch b = {0};
	nlp_rng drop;
	size_t per;
	double first_loss = 0, loss = 0, t0 = 0, sec;

	while ((opt = getopt(argc, argv, "i:c:bE:H:V:j:s:f:w:h")) != -1) {
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
		default:
			fprintf(stderr,
			        "usage: %s -i IDS [-c lstm|gru|rnn] [-b] [-E n] [-H n] [-V n] "
			        "[-j threads] [-s train_steps] [-f infer_steps] [-w warmup]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 1;
		}
	}
	if (!path || E < 1 || H < 1 || V < 3 || threads < 1 || threads > 64 || train_steps < 0 ||
	    infer_steps < 0 || warm < 0 ||
	    (strcmp(cell, "lstm") && strcmp(cell, "gru") && strcmp(cell, "rnn"))) {
		fprintf(stderr, "speed_nlpipe: bad arguments (-h for help)\n");
		return 1;
	}
	nlp_numerics_init();
	openblas_set_num_threads(threads);
	if (read_ids(&f, path, &err) || build(&k, cell, bi, E, H, V, threads, &err))
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
			t0 = now();
		labels = (int *)at; /* int32_t and int are the same here */
		b.labels = labels;
		b.ids = at + f.B;
		b.training = 1;
		if (train_step(&k, &b, &loss, &err))
			goto fail;
		if (s == 0)
			first_loss = loss;
		if (s == warm + train_steps - 1) {
			sec = now() - t0;
			printf("train %.0f %.4f %d %.5f %.5f\n",
			       (double)f.B * f.T * train_steps / sec, sec, train_steps, first_loss,
			       loss);
		}
	}
	/* inference: forward only, no gradients kept */
	for (int s = 0; s < warm + infer_steps; s++) {
		const int32_t *at = f.data + (size_t)(s % f.n) * per;
		if (s == warm)
			t0 = now();
		b.labels = NULL;
		b.ids = at + f.B;
		b.training = 0;
		if (forward(&k, &b, &err))
			goto fail;
		if (s == warm + infer_steps - 1) {
			sec = now() - t0;
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
	unbuild(&k);
	return rc;
}
