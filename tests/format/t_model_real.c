/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_model_real.c - the built-in stages through a model file: tokenizer ->
 * embedding -> (bidirectional, 2-layer, attention-pooled) lstm / gru ->
 * softmax or sigmoid.  After a few SGD steps, save, load with a fresh host
 * and check that parameters, vocabulary and scores come back bit-identical
 * (a document's scores alone and in a batch), and that inspect's view
 * (vocabulary size, parameter counts) matches the stages.  Skips when the
 * built-in modules are not built. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/model.h"
#include "nlpipe/runner.h"
#include "tests/tap.h"
#include "tests/format/files.h"

static const char *docs[] = {
        "A wonderful, moving film!  I loved it.",
        "Dull and far too long; I would not watch it again.",
        "Not bad at all: the actors are great and the story works.",
        "",
        "The worst film of the year?  Maybe.  Awful <br /> dialogue.",
        "great great great",
};
#define N_DOCS ((int)(sizeof docs / sizeof *docs))
static const int gold[N_DOCS] = {1, 0, 1, 0, 0, 1};
static const char *const labels[] = {"neg", "pos"};

typedef struct batch {
	int32_t *ids;
	int len[N_DOCS];
	nlp_batch b;
} batch;

/* Stage index of the embedding: the first stage past the text stages. */
static int make_batch(nlp_pipeline *p, batch *bt, const int *which, int B)
{
	size_t end = nlp_pipeline_text_end(p) + 1;
	nlp_worker *w = NULL;
	nlp_err err = {0};
	int32_t *per[N_DOCS] = {0};
	int T = 0, rc;

	if ((rc = nlp_worker_new(&w, p, &err))) {
		diag("worker: %s", err.msg);
		return rc;
	}
	for (int j = 0; j < B && !rc; j++) {
		const int32_t *ids = NULL;
		size_t n = 0;
		const char *d = docs[which[j]];
		rc = nlp_worker_run(w, end, "doc", d, strlen(d), NULL, &ids, &n, &err);
		if (rc) {
			diag("run: %s", err.msg);
			break;
		}
		bt->len[j] = (int)n;
		T = (int)n > T ? (int)n : T;
		per[j] = malloc((n ? n : 1) * sizeof **per);
		if (n)
			memcpy(per[j], ids, n * sizeof **per);
	}
	nlp_worker_free(w);
	T = T ? T : 1;
	bt->ids = calloc((size_t)T * B, sizeof *bt->ids);
	for (int t = 0; t < T && !rc; t++)
		for (int j = 0; j < B; j++)
			bt->ids[t * B + j] = t < bt->len[j] ? per[j][t] : 0;
	for (int j = 0; j < B; j++)
		free(per[j]);
	memset(&bt->b, 0, sizeof bt->b);
	bt->b.B = B;
	bt->b.T = T;
	bt->b.ids = bt->ids;
	bt->b.len = bt->len;
	return rc;
}

/* Forward over the batch stages; *out is the head's scores (B x C). */
static int forward(nlp_pipeline *p, batch *bt, nlp_act *out)
{
	nlp_err err = {0};
	int rc = nlp_chain_forward(p, nlp_pipeline_text_end(p), &bt->b, out, &err);

	if (rc)
		diag("forward: %s", err.msg);
	return rc;
}

/* Observe, set up, init, then a few plain SGD steps so that parameters are
 * not their initial values. */
static int train(nlp_pipeline *p)
{
	size_t te = nlp_pipeline_text_end(p), n = nlp_pipeline_stage_count(p);
	int all[N_DOCS];
	nlp_worker *w = NULL;
	nlp_err err = {0};
	nlp_rng rng;
	batch bt = {0};
	int rc;

	if ((rc = nlp_worker_new(&w, p, &err)))
		goto out;
	for (int j = 0; j < N_DOCS && !rc; j++) {
		const nlp_tokens *t = NULL;
		rc = nlp_worker_run(w, te, "doc", docs[j], strlen(docs[j]), &t, NULL, NULL, &err);
		if (!rc)
			rc = nlp_pipeline_observe(p, t, NULL, -1, &err);
	}
	nlp_worker_free(w);
	nlp_rng_seed(&rng, 11);
	/* the library's set-up of the trainable stages, then their init */
	if (!rc)
		rc = nlp_chain_setup(p, te, 2, &err);
	for (size_t i = te; i < n && !rc; i++)
		nlp_pipeline_stage_class(p, i)->train->init(nlp_pipeline_stage_instance(p, i),
		                                            &rng);
	if (rc)
		goto out;
	for (int j = 0; j < N_DOCS; j++)
		all[j] = j;
	if ((rc = make_batch(p, &bt, all, N_DOCS)))
		goto out;
	bt.b.labels = gold;
	bt.b.training = 1;
	bt.b.rng = &rng;
	for (int step = 0; step < 3 && !rc; step++) {
		nlp_act o;
		double loss = 0;
		for (size_t i = te; i < n; i++) {
			nlp_params prm = {0};
			nlp_pipeline_stage_class(p, i)->train->params(
			        nlp_pipeline_stage_instance(p, i), &prm);
			memset(prm.g, 0, prm.count * sizeof *prm.g);
		}
		rc = forward(p, &bt, &o);
		if (!rc) /* loss and backward through the library's chain */
			rc = nlp_chain_backward(p, te, &bt.b, &loss, &err);
		for (size_t i = te; i < n && !rc; i++) {
			nlp_params prm = {0};
			nlp_pipeline_stage_class(p, i)->train->params(
			        nlp_pipeline_stage_instance(p, i), &prm);
			for (size_t k = 0; k < prm.count; k++)
				prm.w[k] -= 0.1f * prm.g[k];
		}
	}
out:
	free(bt.ids);
	if (rc)
		diag("train: %s", err.msg);
	return rc;
}

/* Seeded damage inside the real stages' sections (saved state above all:
 * the embedding's vocabulary), CRCs made right, through the whole loader. */
static void damage(const char *path, nlp_host *h, const char *title)
{
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	nlp_rng rng;
	char dmg[4300], name[256];
	int tries = 0, refused = 0, bad = 0;

	snprintf(dmg, sizeof dmg, "%s.dmg", path);
	nlp_rng_seed(&rng, 99);
	if (nlp_model_reader_open(&r, path, &err)) {
		ok(0, "reopen the model");
		return;
	}
	for (size_t i = 0; i < nlp_model_reader_count(r); i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		int n_try = s->type == NLP_SEC_STATE || s->type == NLP_SEC_STAGE ? 30 : 4;
		if (s->type == NLP_SEC_PARAMS || s->type == NLP_SEC_INFO)
			continue;
		for (int t = 0; t < n_try; t++) {
			nlp_model_writer *w = NULL;
			nlp_model *m = NULL;
			unsigned char *c = malloc(s->len + 8);
			size_t n = s->len;
			int rc;
			memcpy(c, s->data, n);
			if (t % 3 == 0 && n)
				c[nlp_rng_next(&rng) % n] ^=
				        (unsigned char)(1u << (nlp_rng_next(&rng) % 8));
			else if (t % 3 == 1 && n)
				n = (size_t)(nlp_rng_next(&rng) % n);
			else
				for (int k = 0; k < 3 && n; k++)
					c[nlp_rng_next(&rng) % n] =
					        (unsigned char)nlp_rng_next(&rng);
			rc = nlp_model_writer_open(&w, dmg, nlp_model_reader_flags(r), &err);
			for (size_t k = 0; k < nlp_model_reader_count(r) && !rc; k++) {
				const nlp_model_section *o = nlp_model_reader_section(r, k);
				rc = nlp_model_writer_add(w, o->type, o->stage,
				                          k == i ? c : o->data, k == i ? n : o->len,
				                          &err);
			}
			rc = rc ? (nlp_model_writer_abort(w), rc)
			        : nlp_model_writer_commit(w, &err);
			if (!rc)
				rc = nlp_model_load(&m, dmg, h, &err);
			tries++;
			if (rc) {
				refused++;
				if (!strstr(err.msg, dmg) && bad++ < 5)
					diag("section %zu try %d: rc %d: %s", i, t, rc, err.msg);
			}
			nlp_model_free(m);
			free(c);
		}
	}
	nlp_model_reader_free(r);
	unlink(dmg);
	diag("%s: %d damaged models, %d refused", title, tries, refused);
	snprintf(name, sizeof name, "%s: damaged sections never crash; refusals name the file",
	         title);
	ok(bad == 0 && refused > 0, name);
}

static void one_pipeline(const char *title, const char *text)
{
	nlp_host *h = NULL, *h2 = NULL;
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_model *m = NULL;
	nlp_err err = {0};
	char path[4200], name[256];
	int all[N_DOCS], one = 2, rc;
	batch b1 = {0}, b2 = {0}, b3 = {0};
	nlp_act o1, o2, o3;
	float *s1 = NULL;
	size_t te;

	snprintf(path, sizeof path, "%s/%s.nlpm", dir, title);
	for (int j = 0; j < N_DOCS; j++)
		all[j] = j;
	rc = nlp_host_new(&h, &err);
	if (!rc)
		rc = nlp_host_new(&h2, &err);
	if (!rc) {
		nlp_host_set_diag(h, NULL, NULL);
		nlp_host_set_diag(h2, NULL, NULL);
		rc = nlp_ini_parse(&ini, title, text, strlen(text), &err);
	}
	if (!rc)
		rc = nlp_pipeline_new(&p, h, ini, &err);
	snprintf(name, sizeof name, "%s: build and train", title);
	if (!ok(!rc && !train(p), name)) {
		diag("%s", err.msg);
		skip(8, "no pipeline");
		goto out;
	}
	te = nlp_pipeline_text_end(p);
	rc = make_batch(p, &b1, all, N_DOCS) || forward(p, &b1, &o1);
	if (!rc) {
		s1 = malloc(sizeof *s1 * (size_t)o1.B * o1.D);
		memcpy(s1, o1.x, sizeof *s1 * (size_t)o1.B * o1.D);
	}
	rc = rc ? rc : nlp_model_save(path, p, labels, 2, NULL, NULL, &err);
	snprintf(name, sizeof name, "%s: save", title);
	if (!is_int(rc, NLP_OK, name))
		diag("%s", err.msg);
	rc = nlp_model_load(&m, path, h2, &err);
	snprintf(name, sizeof name, "%s: load with a fresh host", title);
	if (!is_int(rc, NLP_OK, name)) {
		diag("%s", err.msg);
		skip(6, "no model");
		goto out;
	}
	snprintf(name, sizeof name, "%s: parameters bit-identical", title);
	ok(same_params(p, m->pipeline), name);
	rc = make_batch(m->pipeline, &b2, all, N_DOCS) || forward(m->pipeline, &b2, &o2);
	snprintf(name, sizeof name, "%s: ids and scores bit-identical after loading", title);
	ok(!rc && s1 && b1.b.T == b2.b.T &&
	           !memcmp(b1.ids, b2.ids, sizeof *b1.ids * (size_t)b1.b.T * N_DOCS) &&
	           o2.B == o1.B && o2.D == o1.D &&
	           !memcmp(s1, o2.x, sizeof *s1 * (size_t)o1.B * o1.D),
	   name);
	rc = make_batch(m->pipeline, &b3, &one, 1) || forward(m->pipeline, &b3, &o3);
	snprintf(name, sizeof name, "%s: a document alone scores as in the batch", title);
	ok(!rc && s1 && fabsf(o3.x[0] - s1[one * o1.D]) <= 1e-6f &&
	           fabsf(o3.x[o3.D - 1] - s1[one * o1.D + o1.D - 1]) <= 1e-6f,
	   name);
	snprintf(name, sizeof name, "%s: cloned stages (for other threads) score identically",
	         title);
	{
		size_t n = nlp_pipeline_stage_count(m->pipeline);
		void *clone[8] = {0};
		nlp_act a = {0}, o = {0};
		int good = n - te <= 8;
		for (size_t i = te; i < n && good; i++)
			good = !nlp_model_clone_stage(m, i, &clone[i - te], &err);
		if (!good)
			diag("clone: %s", err.msg);
		for (size_t i = te; i < n && good; i++) {
			good = !nlp_pipeline_stage_class(m->pipeline, i)
			                ->train->forward(clone[i - te], &o, &a, &b2.b, &err);
			a = o;
		}
		ok(good && s1 && o.B == o1.B && o.D == o1.D &&
		           !memcmp(s1, o.x, sizeof *s1 * (size_t)o1.B * o1.D),
		   name);
		for (size_t i = te; i < n && i - te < 8; i++)
			if (clone[i - te])
				nlp_pipeline_stage_class(m->pipeline, i)->destroy(clone[i - te]);
	}
	snprintf(name, sizeof name, "%s: the vocabulary size is the embedding table's rows", title);
	{
		nlp_params prm = {0};
		nlp_pipeline_stage_class(m->pipeline, te)
		        ->train->params(nlp_pipeline_stage_instance(m->pipeline, te), &prm);
		ok(m->stages[te].n_blocks >= 1 && prm.n_blocks >= 1 &&
		           m->stages[te].blocks[0].rows == (uint32_t)prm.blocks[0].rows &&
		           prm.blocks[0].rows > 2,
		   name);
		diag("%s: vocabulary %u, %llu + %llu + %llu parameters, %llu bytes", title,
		     m->stages[te].blocks[0].rows, (unsigned long long)m->stages[te].n_params,
		     (unsigned long long)m->stages[te + 1].n_params,
		     (unsigned long long)m->stages[te + 2].n_params, (unsigned long long)m->size);
	}
	damage(path, h2, title);
out:
	free(s1);
	free(b1.ids);
	free(b2.ids);
	free(b3.ids);
	nlp_model_free(m);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
	nlp_host_free(h2);
	unlink(path);
}

int main(void)
{
	/* hundreds of atomic (fsynced) writes: prefer a memory file system */
	const char *tmp = getenv("TMPDIR");
	nlp_host *h = NULL;
	nlp_err err = {0};
	int have;

	if (nlp_host_new(&h, &err) || nlp_host_add_default_paths(h, &err))
		skip_all("no host");
	nlp_host_set_diag(h, NULL, NULL);
	nlp_host_load_modules(h, &err);
	have = nlp_host_find_class(h, "tokenizer", NULL) &&
	       nlp_host_find_class(h, "embedding", NULL) && nlp_host_find_class(h, "lstm", NULL) &&
	       nlp_host_find_class(h, "gru", NULL) && nlp_host_find_class(h, "softmax", NULL) &&
	       nlp_host_find_class(h, "sigmoid", NULL);
	nlp_host_free(h);
	if (!have)
		skip_all("the built-in text, nn and rnn modules are not all in NLPIPE_PLUGIN_PATH");
	snprintf(dir, sizeof dir, "%s/nlp-model-real-XXXXXX",
	         tmp && *tmp                     ? tmp
	         : access("/dev/shm", W_OK) == 0 ? "/dev/shm"
	                                         : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! cannot make a temporary folder: %s\n", strerror(errno));
		return 1;
	}
	one_pipeline("lstm", "[pipeline]\nstages = tok, emb, enc, out\n"
	                     "[tok]\ntype = tokenizer\nstrip_markup = true\n"
	                     "[emb]\ntype = embedding\ndim = 8\n"
	                     "[enc]\ntype = lstm\nhidden = 6\nlayers = 2\nbidirectional = true\n"
	                     "pooling = attention\n"
	                     "[out]\ntype = softmax\nhidden_layers = 5\n");
	one_pipeline("gru", "[pipeline]\nstages = tok, emb, enc, out\n"
	                    "[tok]\ntype = tokenizer\n"
	                    "[emb]\ntype = embedding\ndim = 5\nmax_size = 12\n"
	                    "[enc]\ntype = gru\nhidden = 4\npooling = max\n"
	                    "[out]\ntype = sigmoid\n");
	rmdir(dir);
	return done_testing();
}
