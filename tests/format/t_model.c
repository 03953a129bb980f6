/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_model.c - saving and loading whole pipelines (with the toy test module):
 * round trip (labels, metadata, vocabulary, parameters, identical scores),
 * byte-identical re-save, checkpoints, the model never choosing paths
 * (plugin_path, path options), layout mismatches, truncation at every
 * offset and seeded damage of every section behind valid CRCs.
 *
 * With --write-model FILE it only writes the toy model (for t_inspect.sh). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/model.h"
#include "tests/tap.h"
#include "tests/format/files.h"

static char dir[4096], toy_dir[4096], toy_la[4200], input_file[4200];

static const char *docs[] = {"the film was great great fun", "A dull film , not fun",
                             "great acting", "", "nothing new here at all"};
#define N_DOCS ((int)(sizeof docs / sizeof *docs))
static const char *const labels[] = {"neg", "neutral", "pos"};

static nlp_host *toy_host(int with_toy)
{
	nlp_host *h = NULL;
	nlp_err err = {0};

	if (nlp_host_new(&h, &err)) {
		diag("host: %s", err.msg);
		return NULL;
	}
	nlp_host_set_diag(h, NULL, NULL);
	if (with_toy && nlp_host_load_module(h, toy_la, &err)) {
		diag("toy module: %s", err.msg);
		nlp_host_free(h);
		return NULL;
	}
	return h;
}

/* The documents as a batch of ids (stages [0, embed]), time-major. */
typedef struct toy_batch {
	int32_t ids[64 * N_DOCS];
	int len[N_DOCS];
	nlp_batch b;
} toy_batch;

static int make_batch(nlp_pipeline *p, toy_batch *tb)
{
	nlp_worker *w = NULL;
	nlp_err err = {0};
	int T = 0, rc;
	const int32_t *ids[N_DOCS];
	int32_t *copy[N_DOCS] = {0};

	if ((rc = nlp_worker_new(&w, p, &err))) {
		diag("worker: %s", err.msg);
		return rc;
	}
	for (int j = 0; j < N_DOCS && !rc; j++) {
		size_t n = 0;
		rc = nlp_worker_run(w, 2, "doc", docs[j], strlen(docs[j]), NULL, &ids[j], &n, &err);
		if (rc) {
			diag("run: %s", err.msg);
			break;
		}
		tb->len[j] = (int)n;
		T = (int)n > T ? (int)n : T;
		copy[j] = malloc((n ? n : 1) * sizeof **copy);
		if (n)
			memcpy(copy[j], ids[j], n * sizeof **copy);
	}
	for (int t = 0; t < T && !rc; t++)
		for (int j = 0; j < N_DOCS; j++)
			tb->ids[t * N_DOCS + j] = t < tb->len[j] ? copy[j][t] : 0;
	for (int j = 0; j < N_DOCS; j++)
		free(copy[j]);
	nlp_worker_free(w);
	memset(&tb->b, 0, sizeof tb->b);
	tb->b.B = N_DOCS;
	tb->b.T = T;
	tb->b.ids = tb->ids;
	tb->b.len = tb->len;
	return rc;
}

/* Scores of the documents through the embed and head stages. */
static int scores(nlp_pipeline *p, float *out /* [N_DOCS * 3] */)
{
	toy_batch tb;
	nlp_act a = {0}, o = {0};
	nlp_err err = {0};
	int rc;

	if ((rc = make_batch(p, &tb)))
		return rc;
	for (size_t i = 1; i < 3 && !rc; i++) {
		const nlp_stage_class *c = nlp_pipeline_stage_class(p, i);
		rc = c->train->forward(nlp_pipeline_stage_instance(p, i), &o, &a, &tb.b, &err);
		a = o;
	}
	if (!rc)
		memcpy(out, o.x, sizeof(float) * N_DOCS * 3);
	return rc;
}

static const char *ini_text(int with_file, const char *plugin_path)
{
	static char buf[9000];
	snprintf(buf, sizeof buf,
	         "[pipeline]\nstages = split, embed, head\n%s%s\n"
	         "[split]\ntype = toy_split\n%s%s\n"
	         "[embed]\ntype = toy_embed\ndim = 3\n\n"
	         "[head]\ntype = toy_head\n\n[train]\nepochs = 3\n",
	         plugin_path ? "plugin_path = " : "", plugin_path ? plugin_path : "",
	         with_file ? "file = " : "", with_file ? input_file : "");
	return buf;
}

/* "Train": build the pipeline, observe, set up, init. */
static int train(nlp_host *h, nlp_ini **ini, nlp_pipeline **p)
{
	const char *text = ini_text(1, NULL);
	nlp_err err = {0};
	nlp_worker *w = NULL;
	nlp_rng rng;
	int rc, in_dim = 0;

	*p = NULL;
	if ((rc = nlp_ini_parse(ini, "toy.ini", text, strlen(text), &err)) ||
	    (rc = nlp_pipeline_new(p, h, *ini, &err)) || (rc = nlp_worker_new(&w, *p, &err))) {
		diag("pipeline: %s", err.msg);
		return rc;
	}
	for (int j = 0; j < N_DOCS && !rc; j++) {
		const nlp_tokens *t = NULL;
		nlp_doc d = {0};
		rc = nlp_worker_run(w, 1, "doc", docs[j], strlen(docs[j]), &t, NULL, NULL, &err);
		d.in = (nlp_tokens *)t;
		if (!rc)
			rc = nlp_pipeline_stage_class(*p, 1)->train->observe(
			        nlp_pipeline_stage_instance(*p, 1), &d, &err);
	}
	nlp_worker_free(w);
	nlp_rng_seed(&rng, 7);
	for (size_t i = 1; i < 3 && !rc; i++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(*p, i)->train;
		void *self = nlp_pipeline_stage_instance(*p, i);
		int out_dim = 0;
		rc = t->setup(self, in_dim, 3, &out_dim, &err);
		if (!rc)
			t->init(self, &rng);
		in_dim = out_dim;
	}
	if (rc)
		diag("train: %s", err.msg);
	return rc;
}

/* Rewrite a model with section `which` replaced by data/len (the writer
 * makes the CRCs right, so the damage reaches the model layer). */
static int rewrite(const char *from, const char *to, size_t which, const void *data, size_t len)
{
	nlp_model_reader *r = NULL;
	nlp_model_writer *w = NULL;
	nlp_err err = {0};
	int rc;

	if ((rc = nlp_model_reader_open(&r, from, &err)))
		return rc;
	if ((rc = nlp_model_writer_open(&w, to, nlp_model_reader_flags(r), &err)))
		goto out;
	for (size_t i = 0; i < nlp_model_reader_count(r) && !rc; i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		rc = i == which ? nlp_model_writer_add(w, s->type, s->stage, data, len, &err)
		                : nlp_model_writer_add(w, s->type, s->stage, s->data, s->len, &err);
	}
	rc = rc ? (nlp_model_writer_abort(w), rc) : nlp_model_writer_commit(w, &err);
out:
	nlp_model_reader_free(r);
	return rc;
}

static int write_model(const char *path, const nlp_buf *ckpt)
{
	nlp_host *h = toy_host(1);
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_model_meta meta = {0};
	nlp_err err = {0};
	int rc = h ? train(h, &ini, &p) : NLP_EPLUGIN;

	nlp_model_meta_set(&meta, "date", "2026-11-23T12:00:00Z");
	nlp_model_meta_set(&meta, "data", "5 toy documents");
	nlp_model_meta_setf(&meta, "accuracy", "%.4f", 0.8);
	if (!rc && (rc = nlp_model_save(path, p, labels, 3, &meta, ckpt, &err)))
		diag("save: %s", err.msg);
	nlp_model_meta_free(&meta);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
	return rc;
}

static void test_round_trip(void)
{
	nlp_host *h = toy_host(1), *h2 = toy_host(1);
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_model *m = NULL;
	nlp_model_meta meta = {0};
	nlp_err err = {0};
	float s1[N_DOCS * 3], s2[N_DOCS * 3];
	unsigned char *a = NULL, *b = NULL;
	size_t na, nb;
	int rc;

	if (!h || !h2 || train(h, &ini, &p)) {
		ok(0, "train the toy pipeline");
		goto out;
	}
	ok(1, "train the toy pipeline");
	nlp_model_meta_set(&meta, "date", "2026-11-23T12:00:00Z");
	nlp_model_meta_set(&meta, "data", "5 toy documents");
	nlp_model_meta_set(&meta, "accuracy", "0.8");
	rc = nlp_model_save(path_in("toy.nlpm"), p, labels, 3, &meta, NULL, &err);
	is_int(rc, NLP_OK, "save");
	if (rc)
		diag("%s", err.msg);
	rc = scores(p, s1);
	is_int(rc, NLP_OK, "score with the trained pipeline");
	/* Saving the same pipeline twice gives the same bytes. */
	rc = nlp_model_save(path_in("twice.nlpm"), p, labels, 3, &meta, NULL, &err);
	a = slurp(path_in("toy.nlpm"), &na);
	b = slurp(path_in("twice.nlpm"), &nb);
	ok(!rc && a && b && na == nb && !memcmp(a, b, na), "saving twice gives the same bytes");
	free(a);
	free(b);
	a = b = NULL;
	/* The file named by option split.file is gone: loading must not need it. */
	unlink(input_file);
	rc = nlp_model_load(&m, path_in("toy.nlpm"), h2, &err);
	is_int(rc, NLP_OK, "load with a fresh host");
	if (rc) {
		diag("%s", err.msg);
		skip(17, "no model");
		goto out;
	}
	is_int(m->n_labels, 3, "three labels");
	ok(m->n_labels == 3 && !strcmp(m->labels[0], "neg") && !strcmp(m->labels[2], "pos"),
	   "labels in order");
	is_int(nlp_model_label_index(m, "neutral"), 1, "label index");
	is_str(nlp_model_meta_get(&m->meta, "accuracy"), "0.8", "metadata kept");
	is_int(m->n_stages, 3, "three stages");
	ok(m->n_stages == 3 && !strcmp(m->stages[1].class_name, "toy_embed") &&
	           !strcmp(m->stages[1].module, "toy") &&
	           !strcmp(m->stages[1].module_version, "1.2.3"),
	   "stage class, module and version recorded");
	ok(!m->stages[0].trainable && m->stages[1].trainable && m->stages[2].trainable,
	   "trainable stages marked");
	/* vocabulary: <pad> <unk> + 15 words; dim 3 */
	ok(m->stages[1].n_blocks == 1 && m->stages[1].blocks[0].rows == 17 &&
	           m->stages[1].blocks[0].cols == 3 && m->stages[1].n_params == 51,
	   "embedding table layout 17 x 3 recorded");
	is_int(m->stages[2].n_params, 3 * 3 + 3, "head parameter count");
	ok(m->stages[2].in_dim == 3 && m->stages[2].out_dim == 3, "dims chained on build");
	ok(same_params(p, m->pipeline), "parameters bit-identical after loading");
	ok(scores(m->pipeline, s2) == 0 && !memcmp(s1, s2, sizeof s1),
	   "the loaded pipeline scores the documents identically (vocabulary restored)");
	like(m->warnings,
	     "ignoring the stored file = ", "the path option was dropped, and said so");
	ok(!strstr(m->ini_text, "plugin_path"), "no plugin_path stored");
	is_str(nlp_ini_get(m->ini, "train", "epochs"), "3", "[train] stored, as set");
	is_str(nlp_ini_get(m->ini, "train", "optimizer"), "adam", "[train] stored resolved");

	/* A loaded model saved and loaded again is a fixed point. */
	rc = nlp_model_save(path_in("again.nlpm"), m->pipeline, (const char *const *)m->labels,
	                    m->n_labels, &m->meta, NULL, &err);
	if (!rc) {
		nlp_model *m2 = NULL;
		rc = nlp_model_load(&m2, path_in("again.nlpm"), h2, &err);
		if (!rc)
			rc = nlp_model_save(path_in("again2.nlpm"), m2->pipeline,
			                    (const char *const *)m2->labels, m2->n_labels,
			                    &m2->meta, NULL, &err);
		nlp_model_free(m2);
	}
	a = slurp(path_in("again.nlpm"), &na);
	b = slurp(path_in("again2.nlpm"), &nb);
	ok(!rc && a && b && na == nb && !memcmp(a, b, na),
	   "load + save of a saved model is a fixed point");
	if (rc)
		diag("%s", err.msg);
out:
	free(a);
	free(b);
	nlp_model_free(m);
	nlp_model_meta_free(&meta);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
	nlp_host_free(h2);
}

static size_t section_index(const char *path, uint32_t type)
{
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	size_t i = (size_t)-1;

	if (nlp_model_reader_open(&r, path, &err))
		return i;
	for (size_t k = 0; k < nlp_model_reader_count(r); k++)
		if (nlp_model_reader_section(r, k)->type == type) {
			i = k;
			break;
		}
	nlp_model_reader_free(r);
	return i;
}

static void test_checkpoint(void)
{
	nlp_buf ck = {0};
	nlp_model *m = NULL;
	nlp_err err = {0};
	int rc;

	static const float adam[3] = {1.5f, -0.0f, 3e-38f};
	float back[3] = {0};
	uint64_t step = 0;
	nlp_cursor cur;

	nlp_buf_put(&ck, "optimizer+rng\0\1\2", 16);
	nlp_model_buf_put_u64(&ck, 1234567890123ull);
	nlp_model_buf_put_f32(&ck, adam, 3);
	spew(input_file, "x\n", 2);
	rc = write_model(path_in("ck.nlpm"), &ck);
	is_int(rc, NLP_OK, "save a checkpoint");
	rc = nlp_model_read(&m, path_in("ck.nlpm"), &err);
	is_int(rc, NLP_OK, "read it without modules");
	ok(m && (m->flags & NLP_MODEL_CHECKPOINT) && m->checkpoint.len == 16 + 8 + 12 &&
	           !memcmp(m->checkpoint.data, ck.data, ck.len),
	   "checkpoint flag and trainer state kept");
	if (m && m->checkpoint.len == ck.len) {
		cur.p = m->checkpoint.data + 16;
		cur.end = m->checkpoint.data + m->checkpoint.len;
		ok(!nlp_model_cursor_get_u64(&cur, &step) && step == 1234567890123ull &&
		           !nlp_model_cursor_get_f32(&cur, back, 3) && !memcmp(back, adam, 12) &&
		           nlp_model_cursor_get_f32(&cur, back, 1) == NLP_EDATA,
		   "portable u64/f32 helpers for trainer state");
	} else {
		skip(1, "no checkpoint");
	}
	nlp_model_free(m);
	m = NULL;
	rc = nlp_model_read(&m, path_in("toy.nlpm"), &err);
	ok(!rc && !(m->flags & NLP_MODEL_CHECKPOINT) && m->checkpoint.len == 0,
	   "a plain model is no checkpoint");
	nlp_model_free(m);
	free(ck.data);
}

/* Replace the stored pipeline text and try to load. */
static int load_with_text(const char *text, nlp_host *h, nlp_model **m, nlp_err *err)
{
	size_t i = section_index(path_in("toy.nlpm"), NLP_SEC_PIPELINE);
	int rc = rewrite(path_in("toy.nlpm"), path_in("edit.nlpm"), i, text, strlen(text));

	*m = NULL;
	if (rc)
		return nlp_err_set(err, rc, "rewrite failed");
	return nlp_model_load(m, path_in("edit.nlpm"), h, err);
}

static void test_no_chosen_paths(void)
{
	nlp_host *bare = toy_host(0), *h = toy_host(1), *ctl = toy_host(0);
	nlp_model *m = NULL;
	nlp_pipeline *p = NULL;
	nlp_ini *ini = NULL;
	nlp_err err = {0};
	const char *text = ini_text(0, toy_dir);
	int rc;

	/* Control: as a pipeline file, this plugin_path does find the toy module. */
	rc = nlp_ini_parse(&ini, "ctl.ini", text, strlen(text), &err);
	if (!rc)
		rc = nlp_pipeline_new(&p, ctl, ini, &err);
	is_int(rc, NLP_OK, "control: the plugin_path finds the toy module in a pipeline file");
	if (rc)
		diag("%s", err.msg);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);

	rc = load_with_text(text, bare, &m, &err);
	ok(rc != NLP_OK, "a model's plugin_path is not searched");
	like(err.msg, "toy_split", "the message names the missing stage class");
	nlp_model_free(m);

	rc = load_with_text(text, h, &m, &err);
	is_int(rc, NLP_OK, "with the module on the host's own path the model loads");
	like(m ? m->warnings : NULL, "ignoring the stored plugin_path", "and says it ignored it");
	nlp_model_free(m);

	/* Control: a plain replacement text loads. */
	rc = load_with_text(ini_text(0, NULL), h, &m, &err);
	is_int(rc, NLP_OK, "the stored pipeline text can be replaced (control)");
	nlp_model_free(m);
	nlp_host_free(bare);
	nlp_host_free(h);
	nlp_host_free(ctl);
}

static void test_module_version(void)
{
	nlp_host *h = toy_host(1);
	nlp_model *m = NULL;
	nlp_err err = {0};
	nlp_buf b = {0};
	size_t i;
	int rc;

	nlp_buf_put_str(&b, "embed");
	nlp_buf_put_str(&b, "toy_embed");
	nlp_buf_put_str(&b, "toy");
	nlp_buf_put_str(&b, "0.9");
	nlp_buf_put_u32(&b, 1);
	nlp_model_buf_put_u64(&b, 51);
	nlp_buf_put_u32(&b, 1);
	nlp_buf_put_str(&b, "table");
	nlp_model_buf_put_u64(&b, 0);
	nlp_model_buf_put_u64(&b, 51);
	nlp_buf_put_u32(&b, 17);
	nlp_buf_put_u32(&b, 3);
	nlp_buf_put_u32(&b, 0);
	/* the STAGE record of stage 1 is the second STAGE section */
	i = section_index(path_in("toy.nlpm"), NLP_SEC_STAGE) + 1;
	rc = rewrite(path_in("toy.nlpm"), path_in("edit.nlpm"), i, b.data, b.len);
	if (!rc)
		rc = nlp_model_load(&m, path_in("edit.nlpm"), h, &err);
	is_int(rc, NLP_OK, "a model saved with another module version loads");
	if (rc)
		diag("%s", err.msg);
	like(m ? m->warnings : NULL, "saved with module toy 0.9, loading with 1.2.3",
	     "with a warning naming both versions");
	nlp_model_free(m);
	free(b.data);
	nlp_host_free(h);
}

static void test_mismatch(void)
{
	nlp_host *h = toy_host(1);
	nlp_model *m = NULL;
	nlp_err err = {0};
	char text[9000], *dim;
	size_t i;
	int rc;

	snprintf(text, sizeof text, "%s", ini_text(0, NULL));
	dim = strstr(text, "dim = 3");
	if (dim)
		dim[6] = '5';
	rc = load_with_text(text, h, &m, &err);
	is_int(rc, NLP_EDATA, "a wider embedding than stored: NLP_EDATA");
	like(err.msg, "stage embed (toy_embed): the file holds 51 parameters", "naming the stage");
	nlp_model_free(m);
	m = NULL;

	/* Two labels for a head saved with three. */
	{
		nlp_buf b = {0};
		nlp_buf_put_u32(&b, 2);
		nlp_buf_put_str(&b, "neg");
		nlp_buf_put_str(&b, "pos");
		i = section_index(path_in("toy.nlpm"), NLP_SEC_LABELS);
		rc = rewrite(path_in("toy.nlpm"), path_in("edit.nlpm"), i, b.data, b.len);
		if (!rc)
			rc = nlp_model_load(&m, path_in("edit.nlpm"), h, &err);
		is_int(rc, NLP_EDATA, "fewer labels than the head was trained for: NLP_EDATA");
		like(err.msg, "stage head (toy_head)", "naming the head");
		free(b.data);
		nlp_model_free(m);
		m = NULL;
	}

	/* A host without the module. */
	{
		nlp_host *bare = toy_host(0);
		rc = nlp_model_load(&m, path_in("toy.nlpm"), bare, &err);
		ok(rc != NLP_OK && m == NULL, "no module for the stored classes: an error");
		like(err.msg, "toy_split", "naming the class");
		nlp_host_free(bare);
	}
	nlp_host_free(h);
}

/* A document stage with learned state and no parameters (train ops with
 * observe/save/load only) round-trips its state. */
static void test_state_only(void)
{
	static const char text[] = "[pipeline]\nstages = split, keep, embed, head\n"
	                           "[split]\ntype = toy_split\n[keep]\ntype = toy_keep\n"
	                           "[embed]\ntype = toy_embed\n[head]\ntype = toy_head\n";
	nlp_host *h = toy_host(1), *h2 = toy_host(1);
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_worker *w = NULL;
	nlp_model *m = NULL;
	nlp_err err = {0};
	const nlp_tokens *t = NULL;
	char got[256] = "";
	int rc, in_dim = 0;

	rc = nlp_ini_parse(&ini, "keep.ini", text, strlen(text), &err);
	if (!rc)
		rc = nlp_pipeline_new(&p, h, ini, &err);
	if (!rc)
		rc = nlp_worker_new(&w, p, &err);
	for (int j = 0; j < N_DOCS && !rc; j++) {
		nlp_doc d = {0};
		rc = nlp_worker_run(w, 1, "doc", docs[j], strlen(docs[j]), &t, NULL, NULL, &err);
		d.in = (nlp_tokens *)t;
		if (!rc)
			rc = nlp_pipeline_stage_class(p, 1)->train->observe(
			        nlp_pipeline_stage_instance(p, 1), &d, &err);
	}
	nlp_worker_free(w);
	w = NULL;
	for (size_t i = 2; i < 4 && !rc; i++) {
		int out_dim = 0;
		rc = nlp_pipeline_stage_class(p, i)->train->setup(nlp_pipeline_stage_instance(p, i),
		                                                  in_dim, 3, &out_dim, &err);
		in_dim = out_dim;
	}
	if (!rc)
		rc = nlp_model_save(path_in("keep.nlpm"), p, labels, 3, NULL, NULL, &err);
	if (!rc)
		rc = nlp_model_load(&m, path_in("keep.nlpm"), h2, &err);
	is_int(rc, NLP_OK, "a pipeline with a state-only document stage saves and loads");
	if (rc) {
		diag("%s", err.msg);
		skip(2, "no model");
	} else {
		ok(m->stages[1].trainable && m->stages[1].n_params == 0 &&
		           m->stages[1].state_len > 4,
		   "its state is stored, with no parameters");
		rc = nlp_worker_new(&w, m->pipeline, &err);
		if (!rc)
			rc = nlp_worker_run(w, 2, "doc", docs[0], strlen(docs[0]), &t, NULL, NULL,
			                    &err);
		for (size_t i = 0; !rc && i < t->n; i++) {
			strcat(got, i ? " " : "");
			strncat(got, nlp_token(t, i), 64);
		}
		is_str(rc ? err.msg : got, "the was", "the loaded stage drops what it learned");
	}
	nlp_worker_free(w);
	nlp_model_free(m);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
	nlp_host_free(h2);
	unlink(path_in("keep.nlpm"));
}

/* A value that would not read back from INI text is refused at save. */
static void test_unstorable(void)
{
	nlp_host *h = toy_host(1);
	const char *text = ini_text(0, NULL);
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_err err = {0};
	int rc;

	rc = nlp_ini_parse(&ini, "toy.ini", text, strlen(text), &err);
	if (!rc)
		rc = nlp_ini_override(ini, "split.note=a ;b", &err);
	if (!rc)
		rc = nlp_pipeline_new(&p, h, ini, &err);
	if (rc) {
		diag("%s", err.msg);
		skip(3, "no pipeline");
	} else {
		rc = nlp_model_save(path_in("note.nlpm"), p, labels, 3, NULL, NULL, &err);
		is_int(rc, NLP_ECONFIG, "an option value INI cannot hold: refused at save");
		like(err.msg, "split.note", "naming the option");
		ok(access(path_in("note.nlpm"), F_OK) != 0, "and no file written");
	}
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
}

/* Every prefix of the model file, through files and the whole loader. */
static void test_truncation(void)
{
	nlp_host *h = toy_host(1);
	unsigned char *d;
	size_t n;
	int bad = 0;

	d = slurp(path_in("toy.nlpm"), &n);
	for (size_t k = 0; d && k < n; k++) {
		nlp_model *m = NULL;
		nlp_err err = {0};
		int rc;
		if (!spew(path_in("cut.nlpm"), d, k)) {
			bad++;
			continue;
		}
		rc = nlp_model_load(&m, path_in("cut.nlpm"), h, &err);
		if (rc != NLP_EDATA || m || !strstr(err.msg, "cut.nlpm"))
			if (bad++ < 5)
				diag("prefix %zu: rc %d: %s", k, rc, err.msg);
		nlp_model_free(m);
	}
	ok(d != NULL, "the toy model is on disk");
	diag("toy model: %zu bytes, each prefix loaded", n);
	is_int(bad, 0, "every truncated model fails to load with NLP_EDATA naming the file");
	free(d);
	nlp_host_free(h);
}

/* Seeded damage inside every section, with the CRCs made right again so
 * that the model layer and the stages' load functions see it. */
/* A label set with a repeated or an empty label is refused, and what was
 * read of it is freed (the sanitizer build checks for leaks). */
static void test_bad_labels(void)
{
	static const char *const sets[][3] = {{"neg", "pos", "neg"}, {"neg", "", "pos"}};
	static const char *const want[] = {"appears twice", "label 2 is malformed"};
	nlp_host *h = toy_host(1);
	size_t at = section_index(path_in("toy.nlpm"), NLP_SEC_LABELS);

	for (int k = 0; k < 2; k++) {
		nlp_buf b = {0};
		nlp_model *m = NULL;
		nlp_err err = {0};
		char name[120];
		int rc = nlp_buf_put_u32(&b, 3);
		for (int i = 0; i < 3 && !rc; i++)
			rc = nlp_buf_put_str(&b, sets[k][i]);
		if (!rc)
			rc = rewrite(path_in("toy.nlpm"), path_in("labels.nlpm"), at, b.data,
			             b.len);
		if (!rc)
			rc = nlp_model_load(&m, path_in("labels.nlpm"), h, &err);
		snprintf(name, sizeof name, "a label set with %s: refused, named",
		         k ? "an empty label" : "a label twice");
		ok(rc == NLP_EDATA && strstr(err.msg, want[k]) != NULL, name);
		if (rc != NLP_EDATA)
			diag("got %d: %s", rc, err.msg);
		nlp_model_free(m);
		free(b.data);
	}
	nlp_host_free(h);
}

static void test_section_damage(void)
{
	nlp_host *h = toy_host(1);
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	nlp_rng rng;
	int tries = 0, failed = 0, loaded = 0, bad = 0;

	nlp_rng_seed(&rng, 42);
	if (nlp_model_reader_open(&r, path_in("toy.nlpm"), &err)) {
		ok(0, "open the toy model");
		nlp_host_free(h);
		return;
	}
	for (size_t i = 0; i < nlp_model_reader_count(r); i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		for (int t = 0; t < 60; t++) {
			size_t n = s->len;
			unsigned char *c = malloc(n + 8);
			nlp_model *m = NULL;
			int kind = t % 4, rc;
			memcpy(c, s->data, n);
			if (kind == 0 && n) { /* one bit */
				size_t at = (size_t)(nlp_rng_next(&rng) % n);
				c[at] ^= (unsigned char)(1u << (nlp_rng_next(&rng) % 8));
			} else if (kind == 1 && n) { /* cut short */
				n = (size_t)(nlp_rng_next(&rng) % n);
			} else if (kind == 2) { /* a few random bytes */
				for (int k = 0; k < 4 && n; k++)
					c[nlp_rng_next(&rng) % n] =
					        (unsigned char)nlp_rng_next(&rng);
			} else { /* grown with junk */
				for (int k = 0; k < 8; k++)
					c[n++] = (unsigned char)nlp_rng_next(&rng);
			}
			rc = rewrite(path_in("toy.nlpm"), path_in("dmg.nlpm"), i, c, n);
			if (!rc)
				rc = nlp_model_load(&m, path_in("dmg.nlpm"), h, &err);
			tries++;
			if (rc) {
				failed++;
				if ((rc != NLP_EDATA && rc != NLP_ECONFIG && rc != NLP_EPLUGIN) ||
				    !strstr(err.msg, "dmg.nlpm"))
					if (bad++ < 5)
						diag("section %zu try %d: rc %d: %s", i, t, rc,
						     err.msg);
			} else {
				loaded++;
			}
			nlp_model_free(m);
			free(c);
		}
	}
	diag("%d damaged models: %d refused, %d still loaded (damage in values)", tries, failed,
	     loaded);
	is_int(bad, 0, "damaged sections: refused with a data or config error naming the file");
	ok(failed > tries / 2, "most damage is refused");
	nlp_model_reader_free(r);
	nlp_host_free(h);
}

int main(int argc, char **argv)
{
	const char *bd = getenv("NLP_TOP_BUILDDIR");
	/* hundreds of atomic (fsynced) writes: prefer a memory file system */
	const char *tmp = getenv("TMPDIR");

	snprintf(toy_dir, sizeof toy_dir, "%s/tests/format/mods", bd ? bd : ".");
	snprintf(toy_la, sizeof toy_la, "%s/toy.la", toy_dir);
	if (argc == 3 && !strcmp(argv[1], "--write-model")) {
		snprintf(input_file, sizeof input_file, "/dev/null");
		return write_model(argv[2], NULL) ? 1 : 0;
	}
	snprintf(dir, sizeof dir, "%s/nlp-model-XXXXXX",
	         tmp && *tmp                     ? tmp
	         : access("/dev/shm", W_OK) == 0 ? "/dev/shm"
	                                         : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! cannot make a temporary folder: %s\n", strerror(errno));
		return 1;
	}
	snprintf(input_file, sizeof input_file, "%s/input.txt", dir);
	spew(input_file, "x\n", 2);
	test_round_trip();
	test_checkpoint();
	test_no_chosen_paths();
	test_mismatch();
	test_module_version();
	test_unstorable();
	test_state_only();
	test_truncation();
	test_bad_labels();
	test_section_damage();
	{
		const char *names[] = {"toy.nlpm",    "twice.nlpm", "again.nlpm",
		                       "again2.nlpm", "ck.nlpm",    "edit.nlpm",
		                       "cut.nlpm",    "dmg.nlpm",   "input.txt"};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			unlink(path_in(names[i]));
		if (rmdir(dir))
			diag("could not remove %s: %s", dir, strerror(errno));
	}
	return done_testing();
}
