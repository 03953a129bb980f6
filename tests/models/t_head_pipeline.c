/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_head_pipeline.c - the nn module's stages built by the host from an
 * in-memory INI (tokenizer -> embedding -> gru -> head), trained through the
 * trainable-stage contract with the library's optimizer: the softmax and
 * sigmoid heads learn a keyword task; same seed, same parameters; option
 * errors come back with the file and line. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/nlpipe.h>
#include <nlpipe/optim.h>
#include <nlpipe/runner.h>

#include "tap.h"

#define NDOC   240
#define NTRAIN 160
#define MAXLEN 12

typedef struct corpus {
	char text[NDOC][128];
	int label[NDOC];       /* softmax: 1 if "good" appears */
	float target[NDOC][3]; /* sigmoid: apple, pear, plum present */
	int32_t ids[NDOC][MAXLEN + 2];
	int len[NDOC];
} corpus;

static corpus C;

static void make_corpus(void)
{
	nlp_rng r;

	nlp_rng_seed(&r, 2026);
	for (int i = 0; i < NDOC; i++) {
		int n = 3 + (int)(nlp_rng_next(&r) % 6), at = (int)(nlp_rng_next(&r) % (uint64_t)n);
		char *p = C.text[i];
		C.label[i] = (int)(nlp_rng_next(&r) % 2);
		for (int k = 0; k < 3; k++)
			C.target[i][k] = nlp_rng_uniform(&r) < 0.4f;
		p[0] = '\0';
		for (int k = 0; k < n; k++) {
			if (k == at)
				strcat(p, C.label[i] ? "good " : "bad ");
			else
				sprintf(p + strlen(p), "w%d ", (int)(nlp_rng_next(&r) % 15));
		}
		for (int k = 0; k < 3; k++)
			if (C.target[i][k])
				strcat(p, k == 0 ? "apple " : k == 1 ? "pear " : "plum ");
	}
}

typedef struct trained {
	double first_loss, last_loss, acc;
	float *params;
	size_t n_params;
} trained;

/* Build the pipeline from INI text, train with Adam, evaluate held out. */
static int train(const char *ini_text, int sigmoid, uint64_t seed, trained *res)
{
	nlp_host *h = NULL;
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_worker *w = NULL;
	nlp_optim *o = NULL;
	nlp_err err = {0};
	nlp_params prm[8];
	nlp_act scores;
	nlp_rng rng;
	size_t n, e0, ns;
	int dim = 0, rc, C_ = sigmoid ? 3 : 2;
	const int B = 16;
	int32_t bids[(MAXLEN + 2) * 16];
	int blen[16], blab[16], order[NTRAIN];
	float btgt[16 * 3];
	nlp_optim_config oc;

	memset(res, 0, sizeof *res);
	if ((rc = nlp_host_new(&h, &err)) ||
	    (rc = nlp_ini_parse(&ini, "mem.ini", ini_text, strlen(ini_text), &err)) ||
	    (rc = nlp_pipeline_new(&p, h, ini, &err)))
		goto out;
	n = nlp_pipeline_stage_count(p);
	e0 = nlp_pipeline_text_end(p);
	ns = n - e0;
	/* observe the training documents' tokens */
	if ((rc = nlp_worker_new(&w, p, &err)))
		goto out;
	for (int i = 0; i < NTRAIN; i++) {
		const nlp_tokens *tok;
		const int32_t *ids;
		size_t nid;
		nlp_doc d = {.name = "train"};
		if ((rc = nlp_worker_run(w, e0, "train", C.text[i], strlen(C.text[i]), &tok, &ids,
		                         &nid, &err)))
			goto out;
		d.in = (nlp_tokens *)tok;
		if ((rc = nlp_pipeline_stage_class(p, e0)->train->observe(
		             nlp_pipeline_stage_instance(p, e0), &d, &err)))
			goto out;
	}
	nlp_worker_free(w);
	w = NULL;
	/* setup and init in order */
	nlp_rng_seed(&rng, seed);
	for (size_t s = e0; s < n; s++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, s)->train;
		void *self = nlp_pipeline_stage_instance(p, s);
		int out_dim = 0;
		if ((rc = t->setup(self, dim, C_, &out_dim, &err)))
			goto out;
		dim = out_dim;
		t->params(self, &prm[s - e0]);
		t->init(self, &rng);
	}
	/* ids of every document through a worker (vocabulary copied) */
	if ((rc = nlp_worker_new(&w, p, &err)))
		goto out;
	for (int i = 0; i < NDOC; i++) {
		const nlp_tokens *tok;
		const int32_t *ids;
		size_t nid;
		if ((rc = nlp_worker_run(w, e0 + 1, "doc", C.text[i], strlen(C.text[i]), &tok, &ids,
		                         &nid, &err)))
			goto out;
		C.len[i] = (int)nid;
		memcpy(C.ids[i], ids, nid * sizeof *ids);
	}
	nlp_optim_config_default(&oc);
	oc.lr = 0.02;
	oc.clip_norm = 5.0;
	if ((rc = nlp_optim_new(&o, &oc, prm, (int)ns, &err)))
		goto out;
	for (int i = 0; i < NTRAIN; i++)
		order[i] = i;
	for (int epoch = 0; epoch < 12; epoch++) {
		double sum = 0;
		int nb = 0;
		for (int i = NTRAIN - 1; i > 0; i--) { /* shuffle */
			int j = (int)(nlp_rng_next(&rng) % (uint64_t)(i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int s0 = 0; s0 < NTRAIN; s0 += B) {
			int T = 0;
			double loss;
			nlp_batch b = {
			        .B = B, .ids = bids, .len = blen, .training = 1, .rng = &rng};
			for (int k = 0; k < B; k++) {
				int d = order[s0 + k];
				blen[k] = C.len[d];
				blab[k] = C.label[d];
				memcpy(btgt + 3 * k, C.target[d], sizeof C.target[d]);
				T = blen[k] > T ? blen[k] : T;
			}
			for (int t = 0; t < T; t++)
				for (int k = 0; k < B; k++)
					bids[t * B + k] = t < blen[k] ? C.ids[order[s0 + k]][t] : 0;
			b.T = T;
			if (sigmoid)
				b.targets = btgt;
			else
				b.labels = blab;
			if ((rc = nlp_chain_forward(p, e0, &b, &scores, &err)) ||
			    (rc = nlp_chain_backward(p, e0, &b, &loss, &err)))
				goto out;
			for (size_t s = 0; s < ns; s++)
				nlp_pipeline_stage_class(p, e0 + s)->train->params(
				        nlp_pipeline_stage_instance(p, e0 + s), &prm[s]);
			if ((rc = nlp_optim_step(o, prm, (int)ns, NULL, &err)))
				goto out;
			nlp_optim_zero_grad(prm, (int)ns);
			sum += loss;
			nb++;
		}
		if (epoch == 0)
			res->first_loss = sum / nb;
		res->last_loss = sum / nb;
	}
	/* held-out accuracy (per label for sigmoid, threshold 0.5) */
	{
		int right = 0, total = 0;
		for (int i = NTRAIN; i < NDOC; i++) {
			nlp_batch b = {.B = 1, .T = C.len[i], .ids = C.ids[i], .len = &C.len[i]};
			if ((rc = nlp_chain_forward(p, e0, &b, &scores, &err)))
				goto out;
			if (sigmoid) {
				for (int k = 0; k < 3; k++, total++)
					right += (scores.x[k] > 0.5f) == (C.target[i][k] > 0.5f);
			} else {
				right += (scores.x[1] > scores.x[0]) == C.label[i];
				total++;
			}
		}
		res->acc = (double)right / total;
	}
	for (size_t s = 0; s < ns; s++)
		res->n_params += prm[s].count;
	res->params = malloc(res->n_params * sizeof(float));
	for (size_t s = 0, at = 0; s < ns; at += prm[s].count, s++)
		memcpy(res->params + at, prm[s].w, prm[s].count * sizeof(float));
out:
	if (rc)
		diag("error %d: %s", rc, err.msg);
	nlp_optim_free(o);
	nlp_worker_free(w);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
	return rc;
}

static const char *ini_softmax = "[pipeline]\n"
                                 "stages = tok, emb, enc, head\n"
                                 "[tok]\n"
                                 "type = tokenizer\n"
                                 "[emb]\n"
                                 "type = embedding\n"
                                 "dim = 8\n"
                                 "dropout = 0.1\n"
                                 "[enc]\n"
                                 "type = gru\n"
                                 "hidden = 8\n"
                                 "pooling = max\n"
                                 "[head]\n"
                                 "type = softmax\n"
                                 "hidden_layers = 6\n"
                                 "activation = tanh\n"
                                 "dropout = 0.1\n";

static const char *ini_sigmoid = "[pipeline]\n"
                                 "stages = tok, emb, enc, head\n"
                                 "[tok]\n"
                                 "type = tokenizer\n"
                                 "[emb]\n"
                                 "type = embedding\n"
                                 "dim = 8\n"
                                 "[enc]\n"
                                 "type = gru\n"
                                 "hidden = 8\n"
                                 "pooling = max\n"
                                 "[head]\n"
                                 "type = sigmoid\n"
                                 "thresholds = 0.5, 0.5, 0.5\n";

static void config_error(const char *text, const char *want, const char *what)
{
	nlp_host *h = NULL;
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_err err = {0};
	int rc;

	nlp_host_new(&h, &err);
	nlp_ini_parse(&ini, "mem.ini", text, strlen(text), &err);
	rc = nlp_pipeline_new(&p, h, ini, &err);
	ok(rc == NLP_ECONFIG, what);
	like(err.msg, want, "  ... and the message says where");
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
}

int main(void)
{
	trained a, b, s;

	if (!getenv("NLPIPE_PLUGIN_PATH"))
		skip_all("NLPIPE_PLUGIN_PATH is not set (run through make check)");
	nlp_numerics_init();
	make_corpus();
	if (train(ini_softmax, 0, 7, &a)) {
		ok(0, "softmax pipeline trains");
		return done_testing();
	}
	ok(1, "tokenizer -> embedding -> gru -> softmax built from INI and trained");
	diag("softmax: loss %.3f -> %.3f, held-out accuracy %.3f", a.first_loss, a.last_loss,
	     a.acc);
	ok(a.last_loss < 0.5 * a.first_loss, "softmax loss at least halves");
	ok(a.acc >= 0.95, "softmax held-out accuracy >= 95 % on the keyword task");
	train(ini_softmax, 0, 7, &b);
	ok(a.n_params == b.n_params && memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
	   "same seed: bit-identical parameters after training");
	free(b.params);
	train(ini_softmax, 0, 8, &b);
	ok(memcmp(a.params, b.params, a.n_params * sizeof(float)) != 0,
	   "another seed: other parameters");
	free(a.params);
	free(b.params);

	if (train(ini_sigmoid, 1, 3, &s)) {
		ok(0, "sigmoid pipeline trains");
		return done_testing();
	}
	diag("sigmoid: loss %.3f -> %.3f, held-out label accuracy %.3f", s.first_loss, s.last_loss,
	     s.acc);
	ok(s.acc >= 0.95, "multi-label sigmoid held-out label accuracy >= 95 %");
	free(s.params);

	config_error("[pipeline]\nstages = tok, emb\n[tok]\ntype = tokenizer\n[emb]\ntype = "
	             "embedding\ndim = 0\n",
	             "mem.ini:7", "embedding dim = 0 refused");
	config_error("[pipeline]\nstages = tok, emb, enc, head\n[tok]\ntype = tokenizer\n"
	             "[emb]\ntype = embedding\n[enc]\ntype = gru\n[head]\ntype = softmax\n"
	             "activation = sigmoid\n",
	             "mem.ini:11", "head activation = sigmoid refused");
	config_error("[pipeline]\nstages = tok, emb, enc, head\n[tok]\ntype = tokenizer\n"
	             "[emb]\ntype = embedding\n[enc]\ntype = gru\n[head]\ntype = softmax\n"
	             "hidden_layers = 8, x\n",
	             "hidden_layers: \"x\" is not a layer width", "hidden_layers = 8, x refused");
	return done_testing();
}
