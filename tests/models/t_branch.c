/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_branch.c - a pipeline with branches, built by the host from INI text:
 * the tokenizer feeds a stop-word branch (embedding -> lstm and gru, both
 * reading the one embedding) and a second embedding (-> gru); the head
 * joins the three encoders.  Two id streams a document; a finite-difference
 * check of the gradient through the whole graph (join, split, the sum where
 * one stage feeds two); training learns the task; a saved model loads as
 * format 2 and gives the same ids and the same scores, bit for bit, and the
 * classifier API the same probabilities. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nlpipe/classifier.h>
#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>
#include <nlpipe/optim.h>
#include <nlpipe/runner.h>

#include "tap.h"

#define NDOC 96
#define B    12

static const char ini_text[] = "[pipeline]\n"
                               "stages = tok, stop, emb, enc1, enc2, emb2, enc3, head\n"
                               "[tok]\ntype = tokenizer\n"
                               "[stop]\ntype = stopwords\nlanguage = english\n"
                               "[emb]\ntype = embedding\ndim = 6\n"
                               "[enc1]\ntype = lstm\nhidden = 5\npooling = mean\n"
                               "[enc2]\ntype = gru\nhidden = 4\ninput = emb\n"
                               "[emb2]\ntype = embedding\ndim = 3\ninput = tok\n"
                               "[enc3]\ntype = gru\nhidden = 3\npooling = max\n"
                               "[head]\ntype = softmax\ninput = enc1, enc2, enc3\n";

static char text[NDOC][160];
static char name[200];

/* A test name with figures in it. */
#define NAME(...) (snprintf(name, sizeof name, __VA_ARGS__), name)
static int label[NDOC];

/* Label 1 when "good" appears; stop words ("the", "a", "is") around. */
static void make_corpus(void)
{
	nlp_rng r;

	nlp_rng_seed(&r, 7);
	for (int i = 0; i < NDOC; i++) {
		int n = 3 + (int)(nlp_rng_next(&r) % 6), at = (int)(nlp_rng_next(&r) % (uint64_t)n);
		label[i] = (int)(nlp_rng_next(&r) % 2);
		text[i][0] = '\0';
		for (int k = 0; k < n; k++) {
			if (k == at)
				strcat(text[i], label[i] ? "the good " : "a bad ");
			else
				sprintf(text[i] + strlen(text[i]), "is w%d ",
				        (int)(nlp_rng_next(&r) % 12));
		}
	}
}

typedef struct run {
	nlp_host *h;
	nlp_ini *ini;
	nlp_pipeline *p;
	size_t e0, n;
	nlp_doc_ids docs[NDOC];
	nlp_params prm[8];
	nlp_batch_buf rb;
	nlp_rng rng;
	nlp_err err;
} run;

/* Read every document as token streams, observe, set up, map to ids. */
static int prepare(run *r)
{
	nlp_pool *pool = NULL;
	nlp_text_job *jobs = calloc(NDOC, sizeof *jobs);
	nlp_doc work = {0};
	int rc;

	if (!jobs)
		return NLP_ENOMEM;
	if ((rc = nlp_host_new(&r->h, &r->err)) ||
	    (rc = nlp_ini_parse(&r->ini, "mem.ini", ini_text, strlen(ini_text), &r->err)) ||
	    (rc = nlp_pipeline_new(&r->p, r->h, r->ini, &r->err)) ||
	    (rc = nlp_pipeline_check_classifier(r->p, &r->err)))
		goto out;
	r->e0 = nlp_pipeline_text_end(r->p);
	r->n = nlp_pipeline_stage_count(r->p);
	if ((rc = nlp_pool_new(&pool, r->p, 1, r->e0, &r->err)))
		goto out;
	for (int i = 0; i < NDOC; i++)
		jobs[i] = (nlp_text_job){.name = "doc", .text = text[i], .len = strlen(text[i])};
	nlp_pool_run(pool, jobs, NDOC, 0);
	for (int i = 0; i < NDOC && !rc; i++) {
		rc = jobs[i].rc;
		r->docs[i] =
		        (nlp_doc_ids){NULL, (uint32_t)jobs[i].tokens.n, label[i], jobs[i].streams};
		if (!rc)
			rc = nlp_pipeline_observe(r->p, &jobs[i].tokens, jobs[i].streams, -1,
			                          &r->err);
	}
	if (!rc)
		rc = nlp_chain_setup(r->p, r->e0, 2, &r->err);
	nlp_rng_seed(&r->rng, 11);
	for (size_t s = r->e0; s < r->n && !rc; s++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(r->p, s)->train;
		t->init(nlp_pipeline_stage_instance(r->p, s), &r->rng);
		t->params(nlp_pipeline_stage_instance(r->p, s), &r->prm[s - r->e0]);
	}
	for (int i = 0; i < NDOC && !rc; i++)
		rc = nlp_pipeline_map_ids(r->p, &jobs[i].tokens, &r->docs[i], &work, &r->err);
out:
	for (int i = 0; i < NDOC; i++)
		nlp_tokens_free(&jobs[i].tokens);
	free(work.ids);
	free(jobs);
	nlp_pool_free(pool);
	return rc;
}

/* The loss of batch idx[0..B) (forward and backward: gradients grow). */
static double batch_loss(run *r, const size_t *idx, nlp_pipeline *p)
{
	nlp_act scores;
	double loss = NAN;

	if (nlp_batch_fill(&r->rb, r->docs, idx, B, &r->err))
		return NAN;
	r->rb.b.training = 1;
	r->rb.b.rng = &r->rng;
	if (nlp_batch_forward(p, r->e0, &r->rb, &scores, &r->err) ||
	    nlp_batch_backward(p, r->e0, &r->rb, &loss, &r->err))
		return NAN;
	return loss;
}

/* Central differences on a few parameters of every trainable stage
 * against the gradient of one backward. */
static void gradient_check(run *r)
{
	size_t idx[B];
	const int ns = (int)(r->n - r->e0);
	int bad = 0, checked = 0;

	for (int k = 0; k < B; k++)
		idx[k] = (size_t)(5 * k + 1) % NDOC;
	float *gs[8];

	nlp_optim_zero_grad(r->prm, ns);
	batch_loss(r, idx, r->p);
	for (int s = 0; s < ns; s++) { /* the next losses add to the gradients */
		gs[s] = malloc(r->prm[s].count * sizeof *gs[s]);
		memcpy(gs[s], r->prm[s].g, r->prm[s].count * sizeof *gs[s]);
	}
	for (int s = 0; s < ns; s++) {
		nlp_params *pr = &r->prm[s];
		float *g = gs[s];
		size_t best = 0;
		for (size_t k = 0; k < pr->count; k++)
			best = fabsf(g[k]) > fabsf(g[best]) ? k : best;
		for (int t = 0; t < 4; t++) {
			const size_t k =
			        t == 0 ? best : (size_t)(nlp_rng_next(&r->rng) % pr->count);
			const float w = pr->w[k], eps = 1e-2f;
			double lp, lm, fd;
			pr->w[k] = w + eps;
			lp = batch_loss(r, idx, r->p);
			pr->w[k] = w - eps;
			lm = batch_loss(r, idx, r->p);
			pr->w[k] = w;
			fd = (lp - lm) / (2.0 * eps);
			checked++;
			if (fabs(fd - g[k]) > 2e-3 + 0.05 * fabs(g[k])) {
				bad++;
				diag("stage %s, parameter %zu: finite differences %.6g, backward "
				     "%.6g",
				     nlp_pipeline_stage_name(r->p, r->e0 + (size_t)s), k, fd, g[k]);
			}
		}
		if (s == 0 || s == ns - 1)
			ok(fabsf(g[best]) > 1e-5f,
			   NAME("stage %s has a gradient (largest %.3g)",
			        nlp_pipeline_stage_name(r->p, r->e0 + (size_t)s), g[best]));
		free(g);
	}
	nlp_optim_zero_grad(r->prm, ns);
	is_int(bad, 0,
	       NAME("gradient through the graph matches finite differences (%d checked)", checked));
}

/* A few epochs of Adam; returns the first and last epoch's mean loss. */
static int train(run *r, double *first, double *last)
{
	nlp_optim *o = NULL;
	nlp_optim_config oc;
	const int ns = (int)(r->n - r->e0);
	size_t order[NDOC];
	int rc;

	nlp_optim_config_default(&oc);
	oc.lr = 0.03;
	if ((rc = nlp_optim_new(&o, &oc, r->prm, ns, &r->err)))
		return rc;
	for (int i = 0; i < NDOC; i++)
		order[i] = (size_t)i;
	for (int epoch = 0; epoch < 25 && !rc; epoch++) {
		double sum = 0;
		for (int at = 0; at + B <= NDOC && !rc; at += B) {
			double loss = batch_loss(r, order + at, r->p);
			if (isnan(loss)) {
				rc = NLP_EINTERNAL;
				break;
			}
			for (int s = 0; s < ns; s++)
				nlp_pipeline_stage_class(r->p, r->e0 + (size_t)s)
				        ->train->params(nlp_pipeline_stage_instance(
				                                r->p, r->e0 + (size_t)s),
				                        &r->prm[s]);
			rc = nlp_optim_step(o, r->prm, ns, NULL, &r->err);
			nlp_optim_zero_grad(r->prm, ns);
			sum += loss;
		}
		if (epoch == 0)
			*first = sum / (NDOC / B);
		*last = sum / (NDOC / B);
	}
	nlp_optim_free(o);
	return rc;
}

/* Scores of every document from pipeline p (inference), into out[NDOC][2]. */
static int scores_of(run *r, nlp_pipeline *p, const nlp_doc_ids *docs, float *out)
{
	for (int at = 0; at < NDOC; at += B) {
		size_t idx[B];
		nlp_act s;
		int rc;
		for (int k = 0; k < B; k++)
			idx[k] = (size_t)(at + k);
		if ((rc = nlp_batch_fill(&r->rb, docs, idx, B, &r->err)))
			return rc;
		r->rb.b.training = 0;
		r->rb.b.rng = &r->rng;
		if ((rc = nlp_batch_forward(p, r->e0, &r->rb, &s, &r->err)))
			return rc;
		memcpy(out + (size_t)at * 2, s.x, (size_t)B * 2 * sizeof *out);
	}
	return NLP_OK;
}

/* Save, load, and compare ids and scores; then the classifier API. */
static void save_and_load(run *r)
{
	char dir[] = "/tmp/nlp_t_branch_XXXXXX", path[64];
	const char *labels[] = {"bad", "good"};
	static float want[NDOC * 2], got[NDOC * 2];
	nlp_doc_ids docs2[NDOC];
	nlp_model *m = NULL;
	nlp_pool *pool = NULL;
	nlp_text_job jobs[NDOC];
	int rc, same_ids = 1;

	if (!mkdtemp(dir)) {
		ok(0, "a temporary folder");
		return;
	}
	snprintf(path, sizeof path, "%s/m.nlpm", dir);
	rc = nlp_model_save(path, r->p, labels, 2, NULL, NULL, &r->err);
	is_int(rc, NLP_OK, "the branched model is saved");
	rc = nlp_model_load(&m, path, r->h, &r->err);
	is_int(rc, NLP_OK, "and loads");
	if (rc) {
		diag("%s", r->err.msg);
		unlink(path);
		rmdir(dir);
		return;
	}
	is_int((int)m->version, 2, "a model with branches is format version 2");
	ok(m->stages[7].n_inputs == 3 && m->stages[7].inputs[0] == 3 &&
	           m->stages[7].inputs[1] == 4 && m->stages[7].inputs[2] == 6 &&
	           m->stages[5].n_inputs == 1 && m->stages[5].inputs[0] == 0,
	   "the file's graph: head <- enc1, enc2, enc3; emb2 <- tok");
	ok(!nlp_pipeline_is_linear(m->pipeline) && nlp_pipeline_streams(m->pipeline) == 2,
	   "the loaded pipeline has its branches and two id streams");
	/* ids through the loaded model's pool are the trained ones */
	memset(jobs, 0, sizeof jobs);
	rc = nlp_pool_new(&pool, m->pipeline, 2, r->e0 + 1, &r->err);
	for (int i = 0; i < NDOC && !rc; i++)
		jobs[i] = (nlp_text_job){.name = "doc", .text = text[i], .len = strlen(text[i])};
	if (!rc)
		nlp_pool_run(pool, jobs, NDOC, 1);
	for (int i = 0; i < NDOC; i++) {
		docs2[i] = (nlp_doc_ids){jobs[i].ids, (uint32_t)jobs[i].n_ids, label[i],
		                         jobs[i].streams};
		same_ids &= !rc && !jobs[i].rc && docs2[i].n == r->docs[i].n && jobs[i].streams &&
		            jobs[i].streams[0] == 2 &&
		            r->docs[i].streams[1] == jobs[i].streams[1] &&
		            !memcmp(docs2[i].ids, r->docs[i].ids, docs2[i].n * sizeof(int32_t));
	}
	ok(same_ids, "the loaded model maps every document to the same two id streams");
	rc = scores_of(r, r->p, r->docs, want);
	if (!rc)
		rc = scores_of(r, m->pipeline, docs2, got);
	ok(!rc && !memcmp(want, got, sizeof want), "the loaded model gives the same scores, bit "
	                                           "for bit");
	{
		nlp_classifier *c = NULL;
		const char *texts[NDOC];
		static float probs[NDOC * 2];
		int status[NDOC], close = 1;
		rc = nlp_classifier_open(&c, path, NULL, &r->err);
		for (int i = 0; i < NDOC; i++)
			texts[i] = text[i];
		if (!rc)
			rc = nlp_classify_texts(c, texts, NULL, NDOC, probs, status, &r->err);
		for (int i = 0; i < NDOC * 2 && !rc; i++)
			close &= fabsf(probs[i] - want[i]) <= 1e-5f;
		ok(!rc && close, "the classifier API gives the same probabilities");
		if (rc)
			diag("%s", r->err.msg);
		nlp_classifier_close(c);
	}
	for (int i = 0; i < NDOC; i++)
		nlp_doc_ids_free(&docs2[i]);
	nlp_pool_free(pool);
	nlp_model_free(m);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	static run r;
	static float sc[NDOC * 2];
	double first = 0, last = 0;
	int rc, right = 0;

	const char *top = getenv("NLP_TOP_SRCDIR");
	char data[4096];

	if (!top || !getenv("NLPIPE_PLUGIN_PATH"))
		skip_all("NLP_TOP_SRCDIR / NLPIPE_PLUGIN_PATH not set (run through make check)");
	snprintf(data, sizeof data, "%s/data", top);
	setenv("NLPIPE_DATA_DIR", data, 1);
	plan(16);
	nlp_numerics_init();
	make_corpus();
	rc = prepare(&r);
	is_int(rc, NLP_OK, "the branched pipeline builds, observes, sets up and maps ids");
	if (rc) {
		diag("%s", r.err.msg);
		return done_testing();
	}
	{
		uint32_t at, n0, n1, ok_len = 1;
		for (int i = 0; i < NDOC; i++) {
			nlp_doc_stream(r.docs[i].streams, r.docs[i].n, 0, &at, &n0);
			nlp_doc_stream(r.docs[i].streams, r.docs[i].n, 1, &at, &n1);
			ok_len &= r.docs[i].streams && r.docs[i].streams[0] == 2 && n0 < n1 &&
			          at == n0 && n0 + n1 == r.docs[i].n;
		}
		ok(ok_len, "two id streams a document; the stop-word branch is the shorter");
	}
	is_int(nlp_pipeline_stage_in_dim(r.p, 7), 5 + 4 + 3, "the head reads 5 + 4 + 3 wide");
	gradient_check(&r);
	rc = train(&r, &first, &last);
	ok(!rc && last < 0.5 * first, NAME("training lowers the loss (%.4f -> %.4f)", first, last));
	if (!rc)
		rc = scores_of(&r, r.p, r.docs, sc);
	for (int i = 0; i < NDOC && !rc; i++)
		right += (sc[2 * i + 1] > sc[2 * i]) == label[i];
	ok(!rc && right >= NDOC * 9 / 10, NAME("and learns the task (%d of %d)", right, NDOC));
	save_and_load(&r);
	for (int i = 0; i < NDOC; i++)
		nlp_doc_ids_free(&r.docs[i]);
	nlp_batch_buf_free(&r.rb);
	nlp_pipeline_free(r.p);
	nlp_ini_free(r.ini);
	nlp_host_free(r.h);
	return done_testing();
}
