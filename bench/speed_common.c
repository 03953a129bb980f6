/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/speed_common.c - see speed_common.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlpipe/lm.h>

#include "speed_common.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* V - 2 distinct words (<pad> and <unk> make V) through the embedding's
 * observe op. */
static int fill_vocabulary(bench *k, int V, nlp_err *err)
{
	char word[32];
	nlp_tokens words = {0};
	nlp_doc d = {.name = "synthetic vocabulary"};
	int rc = NLP_OK;

	for (int i = 0; i < V - 2 && !rc; i++) {
		int len = snprintf(word, sizeof word, "w%d", i);
		if (nlp_tokens_push(&words, word, (size_t)len))
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	d.in = &words;
	if (!rc)
		rc = nlp_pipeline_stage_class(k->p, k->first)
		             ->train->observe(nlp_pipeline_stage_instance(k->p, k->first), &d, err);
	nlp_tokens_free(&words);
	return rc;
}

int bench_open(bench *k, const char *text, int stages, nlp_err *err)
{
	int rc;

	if ((rc = nlp_host_new(&k->h, err)) ||
	    (rc = nlp_ini_parse(&k->ini, "speed.ini", text, strlen(text), err)) ||
	    (rc = nlp_pipeline_new(&k->p, k->h, k->ini, err)))
		return rc;
	k->n = nlp_pipeline_stage_count(k->p);
	k->first = nlp_pipeline_text_end(k->p);
	if (k->n - k->first != (size_t)stages || stages > BENCH_MAX_STAGES)
		return nlp_err_set(err, NLP_EINTERNAL, "expected %d trainable stages", stages);
	return NLP_OK;
}

int bench_init(bench *k, uint64_t seed, const nlp_optim_config *oc, nlp_err *err)
{
	nlp_rng rng;

	nlp_rng_seed(&rng, seed);
	for (size_t s = k->first; s < k->n; s++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(k->p, s)->train;
		void *self = nlp_pipeline_stage_instance(k->p, s);
		t->params(self, &k->prm[s - k->first]);
		t->init(self, &rng);
	}
	return nlp_optim_new(&k->o, oc, k->prm, (int)(k->n - k->first), err);
}

int bench_build(bench *k, const char *text, int stages, int V, int n_classes, nlp_err *err)
{
	nlp_optim_config oc;
	int dim = 0, rc;

	if ((rc = bench_open(k, text, stages, err)) || (rc = fill_vocabulary(k, V, err)))
		return rc;
	for (size_t s = k->first; s < k->n; s++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(k->p, s)->train;
		int out_dim = 0;
		if ((rc = t->setup(nlp_pipeline_stage_instance(k->p, s), dim, n_classes, &out_dim,
		                   err)))
			return rc;
		dim = out_dim;
	}
	nlp_optim_config_default(&oc); /* Adam */
	oc.lr = 1e-3;                  /* as torch.optim.Adam */
	if ((rc = bench_init(k, 1, &oc, err)))
		return rc;
	if (k->prm[0].count != (size_t)V * (size_t)(k->prm[0].count / (size_t)V) ||
	    k->prm[0].count < (size_t)V)
		return nlp_err_set(err, NLP_EINTERNAL, "the embedding table is not V x E");
	return NLP_OK;
}

void bench_unbuild(bench *k)
{
	nlp_optim_free(k->o);
	nlp_pipeline_free(k->p);
	nlp_ini_free(k->ini);
	nlp_host_free(k->h);
}

int bench_train_step(bench *k, const nlp_batch *b, double *loss, nlp_err *err)
{
	nlp_act scores;
	int rc = nlp_chain_forward(k->p, k->first, b, &scores, err);

	if (!rc)
		rc = nlp_chain_backward(k->p, k->first, b, loss, err);
	if (rc)
		return rc;
	/* the embedding's touched rows change every step */
	for (size_t i = k->first; i < k->n; i++)
		nlp_pipeline_stage_class(k->p, i)->train->params(
		        nlp_pipeline_stage_instance(k->p, i), &k->prm[i - k->first]);
	if (k->dense)
		nlp_lm_dense_table(&k->prm[0], k->dense_blocks, 16);
	rc = nlp_optim_step(k->o, k->prm, (int)(k->n - k->first), NULL, err);
	nlp_optim_zero_grad(k->prm, (int)(k->n - k->first));
	return rc;
}

int bench_read_ids(bench_ids *f, const char *path, int V, nlp_err *err)
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

const int32_t *bench_ids_record(const bench_ids *f, int s)
{
	return f->data + (size_t)(s % f->n) * (size_t)(f->T + 1) * (size_t)f->B;
}

int bench_option(bench_opts *o, int opt, const char *arg)
{
	static const char ints[] = "EHVjsfw"; /* in the order of slot */
	int *const slot[] = {&o->E,           &o->H,          &o->V,   &o->threads,
	                     &o->train_steps, &o->eval_steps, &o->warm};
	const char *at = opt ? strchr(ints, opt) : NULL;

	if (opt == 'i')
		o->path = arg;
	else if (at)
		*slot[at - ints] = atoi(arg);
	return opt == 'i' || at;
}

int bench_opts_ok(const bench_opts *o)
{
	return o->path && o->E >= 1 && o->H >= 1 && o->V >= 3 && o->threads >= 1 &&
	       o->threads <= 64 && o->train_steps >= 0 && o->eval_steps >= 0 && o->warm >= 0;
}
