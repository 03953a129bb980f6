/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/trainer.c - training a classification pipeline (nlpipe/trainer.h):
 * read and process the data, build the vocabulary, train with validation,
 * keep the best model (or, with [train] refit, train again on every
 * document for the best epoch count), write checkpoints, resume exactly.
 * The [train] table (nlp_train_options) lives here, with every default. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlpipe/lm.h"
#include "nlpipe/seq2seq.h"
#include "nlpipe/metrics.h"
#include "nlpipe/metrics_multi.h"
#include "nlpipe/model.h"
#include "nlpipe/optim.h"
#include "nlpipe/trainer.h"
#include "pipeline/dataset.h"
#include "pipeline/ensemble.h"
#include "pipeline/finetune.h"
#include "pipeline/internal.h"

/* [train]: read by the trainer; known to the pipeline so that every
 * command checks it (and a model's stored pipeline, which keeps it, builds). */
const nlp_option nlp_train_options[] = {
        {"epochs", NLP_OPT_INT, "10", 1, 100000, NULL, "passes over the training data"},
        {"batch", NLP_OPT_INT, "32", 1, 65536, NULL, "documents per step"},
        {"optimizer", NLP_OPT_ENUM, "adam", 1, 0, NLP_OPTIM_KIND_NAMES, "update rule"},
        {"learning_rate", NLP_OPT_FLOAT, "0.002", 1e-9, 10, NULL, "base learning rate"},
        {"momentum", NLP_OPT_FLOAT, "0.9", 0, 0.999, NULL, "SGD momentum"},
        {"schedule", NLP_OPT_ENUM, "constant", 1, 0, "constant|linear",
         "learning rate after warm-up: constant, or linear decay to 0 at the last step"},
        {"warmup", NLP_OPT_INT, "0", 0, 1e9, NULL, "steps of linear warm-up"},
        {"clip", NLP_OPT_FLOAT, "5", 0, 1e6, NULL, "clip the global gradient norm (0: off)"},
        {"weight_decay", NLP_OPT_FLOAT, "0", 0, 1, NULL,
         "L2 penalty (adam, sgd) or decoupled decay (adamw) on weights"},
        {"seed", NLP_OPT_INT, "1", 0, 2147483647, NULL, "seed of every random choice"},
        {"threads", NLP_OPT_INT, "0", 0, 256, NULL,
         "threads (0: one per core); same seed and threads give the same model"},
        {"validation", NLP_OPT_FLOAT, "0.1", 0, 0.9, NULL,
         "share of the data held out (seeded, stratified) when validation_data is unset"},
        {"validation_data", NLP_OPT_PATH, "", 1, 0, NULL, "held-out data instead of a split"},
        {"early_stopping", NLP_OPT_INT, "0", 0, 100000, NULL,
         "stop after this many epochs without improvement (0: off)"},
        {"metric", NLP_OPT_ENUM, "accuracy", 1, 0, "accuracy|macro_f1|loss",
         "validation metric that picks the best model and drives early stopping"},
        {"class_weights", NLP_OPT_ENUM, "none", 1, 0, "none|balanced",
         "weigh the loss by inverse class frequency"},
        {"bucketing", NLP_OPT_BOOL, "true", 1, 0, NULL,
         "batch documents of similar length together to cut padding"},
        {"time_limit", NLP_OPT_FLOAT, "0", 0, 1e8, NULL,
         "stop after this many seconds of training (0: no limit); the run ends as if the "
         "epoch had ended, and the best model so far is kept"},
        {"checkpoint_every", NLP_OPT_INT, "0", 0, 1e9, NULL,
         "also write a checkpoint every N steps (0: at the end of each epoch only)"},
        {"keep_checkpoint", NLP_OPT_BOOL, "true", 1, 0, NULL,
         "keep OUTPUT.ckpt when the run is done, to train on from it (false: remove it "
         "then; a stopped run always keeps it)"},
        {"freeze_epochs", NLP_OPT_INT, "0", 0, 100000, NULL,
         "with [pipeline] init_from: only the stages not taken from that model train in "
         "the first N epochs"},
        {"unfreeze", NLP_OPT_ENUM, "all", 1, 0, "all|gradual",
         "with [pipeline] init_from: after freeze_epochs, the stages from that model start "
         "to train all at once, or one per epoch from the one nearest the head down (gradual)"},
        {"lr_decay", NLP_OPT_FLOAT, "1", 1, 1000, NULL,
         "divide the learning rate by this after each epoch from lr_decay_start on "
         "(Zaremba et al.; 1: off)"},
        {"lr_decay_start", NLP_OPT_INT, "1", 1, 100000, NULL,
         "the first epoch after which lr_decay divides the rate"},
        {"bptt", NLP_OPT_INT, "35", 1, 10000, NULL,
         "language models: steps of truncated backpropagation through time (a window)"},
        {"reset_state", NLP_OPT_ENUM, "documents", 1, 0, "documents|never",
         "language models: zero the carried state where a document starts, or never"},
        {"refit", NLP_OPT_BOOL, "false", 1, 0, NULL,
         "once the validation has picked the best epoch E, train again from the start on "
         "every document (the validation ones too) for E epochs at the first run's rates"},
        {"ensemble", NLP_OPT_INT, "1", 1, NLP_ENSEMBLE_MAX, NULL,
         "train this many models, each a whole run (its refit too) with seeds seed, seed + "
         "1, ..., into one model file whose prediction averages their probabilities"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

struct nlp_trainer {
	nlp_host *host;     /* borrowed */
	nlp_ini *ini;       /* owned (NULL when resumed: the checkpoint's) */
	nlp_pipeline *p;    /* owned, or the checkpoint's */
	nlp_model *resumed; /* the checkpoint resumed from, or NULL */
	nlp_config *tc;     /* [train] */
	nlp_trainer_opts o; /* the caller's (pointers borrowed) */
	nlp_reader_opts ro; /* o.reader's, diagnostics to the host when it has none */
	nlp_train_fn fn;    /* the caller's callback and its data */
	void *user;
	int stop;           /* the callback asked to stop */
	int ran;            /* nlp_train was called */
	size_t first, n;    /* trainable stages [first, n) */
	nlp_params *params; /* [n - first] */
	nlp_optim *opt;
	nlp_dataset train, val;
	/* Where the data's ids (tokens) go beyond opts.data_memory: a
	 * temporary file beside the output (dataset.h, spill.h). */
	nlp_dataset_spill spill;
	char *spill_dir;
	nlp_dataset_batch dbuf; /* a batch's documents read from that file */
	size_t *order;          /* [train.n] the epoch's document order */
	float *class_w;
	int n_classes;
	char **labels; /* train.labels */
	/* multi-label data (some document has several labels): 0/1 targets and
	 * per-label thresholds tuned on the validation data */
	int multi;
	float *targets;         /* [batch][n_classes] */
	float *vprobs, *vtruth; /* [val.n][n_classes] */
	float *th;              /* [n_classes] the last validation's best thresholds */
	double micro_f1;        /* the last validation's, with them */
	nlp_batch_buf rb;
	/* position */
	long epoch;        /* epochs completed */
	long batch_next;   /* next batch in the epoch */
	long step;         /* steps done */
	nlp_rng rng_epoch; /* shuffle generator as it was at the start of this epoch */
	nlp_rng rng;       /* shuffle generator */
	nlp_rng rng_drop;  /* dropout */
	double loss_sum;   /* this epoch so far */
	long loss_n;
	uint64_t tokens;
	double best;
	long best_epoch;
	long bad_epochs;
	int wrote_best; /* this run wrote the output (a best epoch of its own) */
	/* settings */
	long epochs, batch, patience, ckpt_every;
	int metric; /* 0 accuracy, 1 macro_f1, 2 loss, 3 micro_f1 (multi-label data) */
	int bucketing;
	int threads;
	int keep_ckpt; /* [train] keep_checkpoint */
	char *ckpt_path, *last_path;
	nlp_lock *lock;    /* on the output, for the trainer's life */
	double time_limit; /* seconds; 0: none */
	double started;
	nlp_model_meta meta;
	nlp_finetune *ft; /* init_from, freeze_epochs, lr_scale (finetune.c) */
	/* language models (nlpipe/lm.h): labels ignored, B streams in windows */
	int lm, tied;
	int32_t eos, unk;
	long bptt;
	nlp_lm_stream ls;
	nlp_param_block dense[16]; /* the first stage's blocks, the tied table dense */
	/* sequence-to-sequence models (nlpipe/seq2seq.h): pairs, teacher forcing */
	int s2s;
	int32_t bos;
	nlp_s2s_batch sb;
	/* [train] refit: phase 1 picks the epoch by the validation data, then
	 * phase 2 (a trainer of its own, or one resumed from its checkpoint)
	 * trains again on every document for that many epochs */
	int phase;             /* 0: no refit, 1 or 2 */
	long horizon;          /* the epochs of the linear schedule (phase 2: the first run's) */
	const char **all_data; /* phase 2 with validation_data: the data paths and it */
	char **known;          /* phase 2: the first run's labels (borrowed), or NULL */
	size_t n_known;
	/* [train] ensemble > 1: this trainer trains the members (ensemble.c) */
	long members;
	char *pipeline_path;
};

/* ---- events ---- */

static const char *metric_name(int m)
{
	return m == 0   ? "accuracy"
	       : m == 1 ? "macro_f1"
	       : m == 2 ? "loss"
	       : m == 3 ? "micro_f1"
	                : "perplexity";
}

/* A number of the model's metadata; 0 when it is not there. */
static double meta_number(const nlp_trainer *t, const char *key)
{
	const char *v = nlp_model_meta_get(&t->meta, key);
	return v ? strtod(v, NULL) : 0.0;
}

/* The refit's events tell about the first run: its best epoch, figure and
 * documents (from the metadata, which a resumed refit has too). */
static void refit_facts(const nlp_trainer *t, nlp_train_event *ev)
{
	char key[64];

	snprintf(key, sizeof key, "validation_%s", metric_name(t->metric));
	ev->best_epoch = t->epochs;
	ev->best = meta_number(t, key);
	ev->first_documents = (size_t)meta_number(t, "first_train_documents");
	ev->first_validation_documents = (size_t)meta_number(t, "validation_documents");
}

/* An event of kind with what every event may tell about the run. */
static nlp_train_event event(const nlp_trainer *t, nlp_train_event_kind kind)
{
	nlp_train_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.documents = t->train.n;
	ev.validation_documents = t->val.n;
	ev.classes =
	        t->lm || t->s2s ? (t->opt ? nlp_lm_vocab_size(t->p, t->first) : 0) : t->n_classes;
	ev.threads = t->threads;
	ev.epoch = t->epoch + 1;
	ev.epochs = t->epochs;
	ev.step = t->step;
	ev.loss = t->loss_n ? t->loss_sum / (double)t->loss_n : 0.0;
	ev.best_epoch = t->best_epoch;
	ev.best = t->best;
	ev.metric = metric_name(t->metric);
	ev.init_from = nlp_finetune_source(t->ft);
	ev.init_stages = nlp_finetune_stages(t->ft);
	ev.freeze_epochs = nlp_finetune_freeze_epochs(t->ft);
	ev.unfreeze_gradual = nlp_finetune_gradual(t->ft);
	ev.lm = t->lm;
	ev.s2s = t->s2s;
	if (t->s2s && t->opt && nlp_s2s_own_vocab(t->p))
		ev.target_classes = nlp_s2s_vocab_size(t->p, t->first);
	ev.refit = t->phase;
	if (t->phase == 2 && kind == NLP_TRAIN_DONE)
		refit_facts(t, &ev);
	return ev;
}

/* Hand ev to the callback; a non-zero answer asks to stop. */
static void emit(nlp_trainer *t, const nlp_train_event *ev)
{
	if (t->fn && t->fn(t->user, ev))
		t->stop = 1;
}

/* ---- shapes and parameters ---- */

static void refresh_params(nlp_trainer *t);

static int setup_stages(nlp_trainer *t, int from_model, nlp_err *err)
{
	int rc = from_model
	                 ? NLP_OK
	                 : nlp_chain_setup(t->p, t->first, t->lm || t->s2s ? 0 : t->n_classes, err);

	if (!rc && t->lm)
		rc = nlp_lm_setup(t->p, t->first, &t->tied, &t->eos, &t->unk, err);
	if (!rc && t->s2s)
		rc = nlp_s2s_special_ids(t->p, t->first, &t->bos, &t->eos, err);
	if (!rc)
		refresh_params(t);
	return rc;
}

static void init_params(nlp_trainer *t, nlp_rng *rng)
{
	for (size_t i = t->first; i < t->n; i++) {
		const nlp_train_ops *ops = nlp_pipeline_stage_class(t->p, i)->train;
		if (ops->init)
			ops->init(nlp_pipeline_stage_instance(t->p, i), rng);
	}
}

static void refresh_params(nlp_trainer *t)
{
	for (size_t i = t->first; i < t->n; i++)
		nlp_pipeline_stage_class(t->p, i)->train->params(
		        nlp_pipeline_stage_instance(t->p, i), &t->params[i - t->first]);
	if (t->tied)
		nlp_lm_dense_table(&t->params[0], t->dense, 16);
}

/* ---- the epoch's batches ---- */

static void shuffle(size_t *v, size_t n, nlp_rng *r)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(nlp_rng_next(r) % i);
		size_t x = v[i - 1];
		v[i - 1] = v[j];
		v[j] = x;
	}
}

/* Order of documents for an epoch: shuffled; with bucketing, sorted by length
 * within windows of 50 batches, and the batches shuffled again. */
static void epoch_order(nlp_trainer *t)
{
	size_t n = t->train.n, B = (size_t)t->batch;

	for (size_t i = 0; i < n; i++)
		t->order[i] = i;
	shuffle(t->order, n, &t->rng);
	if (!t->bucketing || n <= B)
		return;
	for (size_t w = 0; w < n; w += 50 * B) {
		size_t len = n - w < 50 * B ? n - w : 50 * B;
		nlp_sort_by_length(t->order + w, len, t->train.docs, 0);
	}
	/* Shuffle whole batches (the last, shorter one stays last). */
	{
		size_t nb = n / B;
		for (size_t i = nb; i > 1; i--) {
			size_t j = (size_t)(nlp_rng_next(&t->rng) % i);
			for (size_t k = 0; k < B; k++) {
				size_t x = t->order[(i - 1) * B + k];
				t->order[(i - 1) * B + k] = t->order[j * B + k];
				t->order[j * B + k] = x;
			}
		}
	}
}

/* Batches (language models: windows) of an epoch. */
static size_t epoch_batches(const nlp_trainer *t)
{
	if (t->lm)
		return t->ls.windows;
	return (t->train.n + (size_t)t->batch - 1) / (size_t)t->batch;
}

/* ---- validation ---- */

/* Multi-label validation of the probabilities in t->vprobs: each label's
 * best-F1 threshold into t->th, and with them the subset accuracy (*acc),
 * the macro F1 (*f1) and the micro F1 (t->micro_f1: what picks the best
 * model). */
static int evaluate_multi(nlp_trainer *t, const nlp_dataset *ds, double *acc, double *f1,
                          nlp_err *err)
{
	nlp_ml_summary s;
	int rc;

	for (size_t i = 0; i < ds->n; i++)
		nlp_dataset_targets(ds, i, t->vtruth + i * (size_t)t->n_classes, t->n_classes);
	rc = nlp_ml_tune_thresholds(t->vprobs, t->vtruth, ds->n, t->n_classes, t->th, err);
	if (!rc)
		rc = nlp_ml_compute(&s, t->vprobs, t->vtruth, ds->n, t->n_classes, t->th, err);
	if (!rc) {
		*acc = s.subset_accuracy;
		*f1 = s.macro_f1;
		t->micro_f1 = s.micro_f1;
	}
	nlp_ml_summary_free(&s);
	return rc;
}

/* A language model's validation: cross-entropy per token and perplexity. */
static int evaluate_lm(nlp_trainer *t, nlp_train_event *ev, nlp_err *err)
{
	nlp_lm_figures f;
	int rc = nlp_lm_evaluate(t->p, t->first, t->val.docs, t->val.n, t->eos, t->unk,
	                         (int)t->batch, (int)t->bptt, &f, err);

	nlp_spill_trim(t->val.store);

	ev->validation_loss = nlp_lm_nats(&f);
	ev->perplexity = nlp_lm_perplexity(&f);
	ev->accuracy = NAN;
	ev->macro_f1 = NAN;
	return rc;
}

/* A sequence-to-sequence model's validation, teacher forced: cross-entropy
 * per target token, token accuracy (what picks the best model), and the
 * share of pairs with every token right in macro_f1's place. */
static int evaluate_s2s(nlp_trainer *t, nlp_train_event *ev, nlp_err *err)
{
	nlp_s2s_figures f;
	int rc = nlp_s2s_evaluate(t->p, t->first, t->val.docs, t->val.n, t->bos, (int)t->batch, &f,
	                          err);

	ev->validation_loss = f.tokens ? f.nats / (double)f.tokens : 0.0;
	ev->accuracy = f.tokens ? (double)f.correct / (double)f.tokens : 0.0;
	ev->macro_f1 = f.pairs ? (double)f.exact / (double)f.pairs : 0.0;
	return rc;
}

static int evaluate(nlp_trainer *t, const nlp_dataset *ds, double *acc, double *f1, double *loss,
                    nlp_err *err)
{
	nlp_metrics *m = NULL;
	const nlp_metrics_summary *s;
	size_t *idx = malloc((ds->n ? ds->n : 1) * sizeof *idx);
	int rc;

	if (!idx)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	rc = nlp_metrics_new(&m, (size_t)t->n_classes, (const char *const *)t->labels, err);
	for (size_t i = 0; i < ds->n; i++)
		idx[i] = i;
	/* by length: less padding; results do not depend on it */
	nlp_sort_by_length(idx, ds->n, ds->docs, 0);
	for (size_t i = 0; !rc && i < ds->n; i += (size_t)t->batch) {
		int B = (int)(ds->n - i < (size_t)t->batch ? ds->n - i : (size_t)t->batch);
		nlp_act scores;
		const nlp_doc_ids *docs;
		const size_t *bidx;
		rc = nlp_dataset_batch_docs(ds, idx + i, B, &t->dbuf, &docs, &bidx, err);
		if (!rc)
			rc = nlp_batch_fill(&t->rb, docs, bidx, B, err);
		if (!rc) {
			t->rb.b.training = 0;
			t->rb.b.rng = &t->rng_drop;
			rc = nlp_batch_forward(t->p, t->first, &t->rb, &scores, err);
		}
		for (int b = 0; !rc && b < B; b++)
			rc = nlp_metrics_add(m, (size_t)t->rb.labels[b],
			                     scores.x + (size_t)b * (size_t)scores.D, err);
		for (int b = 0; !rc && t->multi && b < B; b++)
			memcpy(t->vprobs + idx[i + (size_t)b] * (size_t)t->n_classes,
			       scores.x + (size_t)b * (size_t)scores.D,
			       (size_t)t->n_classes * sizeof *t->vprobs);
	}
	if (!rc)
		rc = nlp_metrics_compute(m, &s, err);
	if (!rc) {
		*acc = s->accuracy;
		*f1 = s->macro_f1;
		*loss = s->log_loss;
	}
	if (!rc && t->multi)
		rc = evaluate_multi(t, ds, acc, f1, err);
	nlp_metrics_free(m);
	free(idx);
	return rc;
}

/* ---- checkpoints ---- */

/* 1: the position, generators, figures and the optimizer; 2: then, for a
 * language model stopped mid-epoch, the state its streams carry (u32
 * length, nlp_lm_carried_save's bytes; 0: none).  Version 1 still loads
 * (a resumed window then starts from zeros). */
#define CKPT_VERSION 2u

static int put_rng(nlp_buf *b, const nlp_rng *r)
{
	int rc = NLP_OK;
	for (int i = 0; i < 4 && !rc; i++)
		rc = nlp_model_buf_put_u64(b, r->s[i]);
	return rc;
}

static int get_rng(nlp_cursor *c, nlp_rng *r)
{
	for (int i = 0; i < 4; i++)
		if (nlp_model_cursor_get_u64(c, &r->s[i]))
			return NLP_EDATA;
	return NLP_OK;
}

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double bitsd(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* A language model mid-epoch: the state its streams carry into the next
 * window (u32 length, then the bytes; 0: none). */
static int put_carried(nlp_trainer *t, nlp_buf *ck, nlp_err *err)
{
	nlp_buf cb = {0};
	int rc =
	        t->lm && t->batch_next > 0 ? nlp_lm_carried_save(t->p, t->first, &cb, err) : NLP_OK;

	if (!rc && (nlp_buf_put_u32(ck, (uint32_t)cb.len) || nlp_buf_put(ck, cb.data, cb.len)))
		rc = NLP_ENOMEM;
	free(cb.data);
	return rc;
}

/* Version 2's carried state, after the optimizer's bytes. */
static int get_carried(nlp_trainer *t, nlp_cursor *c, nlp_err *err)
{
	uint32_t len;
	nlp_cursor cc;
	int rc;

	if (nlp_cursor_get_u32(c, &len) || (size_t)(c->end - c->p) < len)
		return nlp_err_set(err, NLP_EDATA, "the checkpoint's trainer state is truncated");
	if (!len)
		return NLP_OK;
	if (!t->lm)
		return nlp_err_set(
		        err, NLP_EDATA,
		        "the checkpoint holds a carried state, but its pipeline is not a "
		        "language model");
	cc.p = c->p;
	cc.end = c->p + len;
	rc = nlp_lm_carried_load(t->p, t->first, &cc, err);
	c->p += len;
	return rc;
}

static int save_model(nlp_trainer *t, const char *path, int checkpoint, nlp_err *err)
{
	nlp_buf ck = {0};
	int rc = NLP_OK;

	if (checkpoint) {
		rc = nlp_buf_put_u32(&ck, CKPT_VERSION);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, (uint64_t)t->epoch);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, (uint64_t)t->batch_next);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, (uint64_t)t->step);
		rc = rc ? rc : put_rng(&ck, &t->rng_epoch);
		rc = rc ? rc : put_rng(&ck, &t->rng_drop);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, dbits(t->best));
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, (uint64_t)t->best_epoch);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, (uint64_t)t->bad_epochs);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, dbits(t->loss_sum));
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, (uint64_t)t->loss_n);
		rc = rc ? rc : nlp_model_buf_put_u64(&ck, t->tokens);
		if (!rc) {
			nlp_buf ob = {0};
			rc = nlp_optim_save(t->opt, &ob, err);
			if (!rc && (nlp_buf_put_u32(&ck, (uint32_t)ob.len) ||
			            nlp_buf_put(&ck, ob.data, ob.len)))
				rc = NLP_ENOMEM;
			free(ob.data);
		}
		if (!rc)
			rc = put_carried(t, &ck, err);
		if (rc == NLP_ENOMEM)
			nlp_err_set(err, rc, "out of memory");
	}
	if (!rc)
		rc = nlp_model_save(path, t->p, (const char *const *)t->labels,
		                    (size_t)t->n_classes, &t->meta, checkpoint ? &ck : NULL, err);
	free(ck.data);
	return rc;
}

static int load_checkpoint(nlp_trainer *t, const nlp_buf *ck, nlp_err *err)
{
	nlp_cursor c = {ck->data, ck->data + ck->len};
	uint32_t version, olen;
	uint64_t epoch, bn, step, best, best_epoch, bad, lsum, ln, tok;
	nlp_cursor oc;
	int rc;

	if (nlp_cursor_get_u32(&c, &version) || version < 1 || version > CKPT_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "the checkpoint's trainer state has version %u; this nlpipe "
		                   "reads versions 1 to %u",
		                   version, CKPT_VERSION);
	if (nlp_model_cursor_get_u64(&c, &epoch) || nlp_model_cursor_get_u64(&c, &bn) ||
	    nlp_model_cursor_get_u64(&c, &step) || get_rng(&c, &t->rng_epoch) ||
	    get_rng(&c, &t->rng_drop) || nlp_model_cursor_get_u64(&c, &best) ||
	    nlp_model_cursor_get_u64(&c, &best_epoch) || nlp_model_cursor_get_u64(&c, &bad) ||
	    nlp_model_cursor_get_u64(&c, &lsum) || nlp_model_cursor_get_u64(&c, &ln) ||
	    nlp_model_cursor_get_u64(&c, &tok) || nlp_cursor_get_u32(&c, &olen) ||
	    (size_t)(c.end - c.p) < olen)
		return nlp_err_set(err, NLP_EDATA, "the checkpoint's trainer state is truncated");
	oc.p = c.p;
	oc.end = c.p + olen;
	rc = nlp_optim_load(t->opt, &oc, err);
	c.p += olen;
	if (!rc && version >= 2)
		rc = get_carried(t, &c, err);
	if (rc)
		return rc;
	t->epoch = (long)epoch;
	t->batch_next = (long)bn;
	t->step = (long)step;
	t->best = bitsd(best);
	t->best_epoch = (long)best_epoch;
	t->bad_epochs = (long)bad;
	t->loss_sum = bitsd(lsum);
	t->loss_n = (long)ln;
	t->tokens = tok;
	return NLP_OK;
}

/* ---- the loop ---- */

static int better(const nlp_trainer *t, double v)
{
	if (t->best_epoch == 0)
		return 1;
	return t->metric == 2 || t->metric == 4 ? v < t->best : v > t->best;
}

static int optimizer_step(nlp_trainer *t, double loss, nlp_err *err);
static int s2s_step(nlp_trainer *t, size_t at, int B, uint64_t *tokens, nlp_err *err);

/* One optimizer step on batch bi of the epoch's order; *tokens grows by
 * the batch's tokens. */
static int train_step(nlp_trainer *t, size_t bi, uint64_t *tokens, nlp_err *err)
{
	const size_t at = bi * (size_t)t->batch;
	int B = (int)(t->lm || t->train.n - at >= (size_t)t->batch ? (size_t)t->batch
	                                                           : t->train.n - at);
	double loss;
	nlp_act scores;
	int rc = NLP_OK;

	if (t->s2s)
		return s2s_step(t, at, B, tokens, err);
	if (t->lm) { /* window bi of the epoch's streams */
		nlp_lm_stream_window(&t->ls, bi, &t->rb.b);
		t->rb.n_streams = 1;
		B = t->rb.b.B;
	} else {
		const nlp_doc_ids *docs;
		const size_t *idx;
		rc = nlp_dataset_batch_docs(&t->train, t->order + at, B, &t->dbuf, &docs, &idx,
		                            err);
		if (!rc)
			rc = nlp_batch_fill(&t->rb, docs, idx, B, err);
	}
	if (rc)
		return rc;
	for (int b = 0; t->multi && b < B; b++)
		nlp_dataset_targets(&t->train, t->order[at + (size_t)b],
		                    t->targets + (size_t)b * (size_t)t->n_classes, t->n_classes);
	if (!t->lm)
		t->rb.b.targets = t->multi ? t->targets : NULL;
	t->rb.b.training = 1;
	t->rb.b.rng = &t->rng_drop;
	t->rb.b.weights = t->class_w;
	rc = nlp_batch_forward(t->p, t->first, &t->rb, &scores, err);
	if (!rc)
		rc = nlp_batch_backward(t->p, t->first, &t->rb, &loss, err);
	if (rc)
		return rc;
	rc = optimizer_step(t, loss, err);
	if (rc)
		return rc;
	t->batch_next = (long)bi + 1;
	for (int b = 0; b < B; b++)
		*tokens += (uint64_t)t->rb.b.len[b];
	return NLP_OK;
}

/* After a batch's backward: the optimizer's step on the gradients. */
static int optimizer_step(nlp_trainer *t, double loss, nlp_err *err)
{
	int rc;

	if (!isfinite(loss))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "the training loss became %s at epoch %ld, step %ld: lower "
		                   "[train] learning_rate (now %g), set clip (now %g), or look "
		                   "for odd documents in the data",
		                   isnan(loss) ? "NaN" : "infinite", t->epoch + 1, t->step + 1,
		                   nlp_config_float(t->tc, "learning_rate"),
		                   nlp_config_float(t->tc, "clip"));
	refresh_params(t);
	rc = nlp_optim_step(t->opt, t->params, (int)(t->n - t->first), NULL, err);
	if (rc == NLP_EDATA)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s at epoch %ld, step %ld: lower [train] learning_rate or set "
		                   "clip",
		                   err->msg, t->epoch + 1, t->step + 1);
	if (rc)
		return rc;
	nlp_optim_zero_grad(t->params, (int)(t->n - t->first));
	t->step++;
	t->loss_sum += loss;
	t->loss_n++;
	return NLP_OK;
}

/* A sequence-to-sequence step: the pairs order[at..at+B), sources and
 * targets; *tokens grows by both. */
static int s2s_step(nlp_trainer *t, size_t at, int B, uint64_t *tokens, nlp_err *err)
{
	nlp_act scores;
	double loss;
	int rc = nlp_s2s_batch_fill(&t->sb, t->train.docs, t->order + at, B, t->bos, err);

	if (rc)
		return rc;
	t->sb.b.training = 1;
	t->sb.b.rng = &t->rng_drop;
	rc = nlp_chain_forward(t->p, t->first, &t->sb.b, &scores, err);
	if (!rc)
		rc = nlp_chain_backward(t->p, t->first, &t->sb.b, &loss, err);
	if (!rc)
		rc = optimizer_step(t, loss, err);
	if (rc)
		return rc;
	t->batch_next = (long)(at / (size_t)t->batch) + 1;
	for (int b = 0; b < B; b++)
		*tokens += (uint64_t)t->sb.len[b] + (uint64_t)t->sb.dec_len[b];
	return NLP_OK;
}

/* The progress event after batch bi of nb, every progress_every batches
 * and after the last. */
static void report_progress(nlp_trainer *t, size_t bi, size_t nb, double t0, uint64_t tokens)
{
	const long every = t->o.progress_every > 0 ? t->o.progress_every : 1;
	nlp_train_event ev;

	if ((long)(bi + 1) % every != 0 && bi + 1 != nb)
		return;
	ev = event(t, NLP_TRAIN_PROGRESS);
	ev.batch = (long)bi + 1;
	ev.batches = (long)nb;
	ev.loss = t->loss_sum / (double)t->loss_n;
	ev.tokens = tokens;
	ev.seconds = nlp_clock_seconds() - t0;
	ev.tokens_per_second = ev.seconds > 0 ? (double)tokens / ev.seconds : 0.0;
	emit(t, &ev);
}

/* The epoch's batches from t->batch_next on, with checkpoints, a stop asked
 * by the callback (NLP_TRAIN_STOPPED after a checkpoint) and the time limit
 * (*out_of_time after a checkpoint). */
static int train_epoch(nlp_trainer *t, size_t nb, double t0, uint64_t *tokens, int *out_of_time,
                       nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t bi = (size_t)t->batch_next; bi < nb; bi++) {
		rc = train_step(t, bi, tokens, err);
		if (rc)
			break;
		report_progress(t, bi, nb, t0, *tokens);
		if (t->stop) {
			rc = save_model(t, t->ckpt_path, 1, err);
			return rc ? rc : NLP_TRAIN_STOPPED;
		}
		if (t->ckpt_every > 0 && t->step % t->ckpt_every == 0 &&
		    (rc = save_model(t, t->ckpt_path, 1, err)))
			break;
		if (t->time_limit > 0 && nlp_clock_seconds() - t->started >= t->time_limit &&
		    bi + 1 < nb) {
			/* Out of time mid-epoch: the checkpoint keeps the position. */
			rc = save_model(t, t->ckpt_path, 1, err);
			*out_of_time = !rc;
			break;
		}
	}
	return rc;
}

/* Append the epoch's figures to meta "epoch_history" (docs/model-format.md):
 * "epoch,train_loss,validation_loss,validation_accuracy,validation_macro_f1"
 * records separated by ';', nan without validation documents. */
static int add_history(nlp_trainer *t, const nlp_train_event *ev, nlp_err *err)
{
	const char *old = nlp_model_meta_get(&t->meta, "epoch_history");
	const double train = t->loss_n ? t->loss_sum / (double)t->loss_n : 0.0;

	if (!t->val.n
	            ? nlp_model_meta_setf(&t->meta, "epoch_history", "%s%s%ld,%.6f,nan,nan,nan",
	                                  old ? old : "", old ? ";" : "", t->epoch + 1, train)
	            : nlp_model_meta_setf(&t->meta, "epoch_history", "%s%s%ld,%.6f,%.6f,%.6f,%.6f",
	                                  old ? old : "", old ? ";" : "", t->epoch + 1, train,
	                                  ev->validation_loss, ev->accuracy, ev->macro_f1))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

/* Validation figures of the epoch (into ev); keeps (saves) the model when
 * it is the best so far, or when there is no validation. */
static int keep_best(nlp_trainer *t, nlp_train_event *ev, nlp_err *err)
{
	double value;
	int rc;

	ev->improved = 0;
	if (t->val.n && t->lm) {
		if ((rc = evaluate_lm(t, ev, err)))
			return rc;
	} else if (t->val.n && t->s2s) {
		if ((rc = evaluate_s2s(t, ev, err)))
			return rc;
	} else if (t->val.n) {
		rc = evaluate(t, &t->val, &ev->accuracy, &ev->macro_f1, &ev->validation_loss, err);
		if (rc)
			return rc;
		ev->multi_label = t->multi;
		ev->micro_f1 = t->micro_f1;
	}
	if ((rc = add_history(t, ev, err)))
		return rc;
	if (t->val.n) {
		value = t->metric == 0   ? ev->accuracy
		        : t->metric == 1 ? ev->macro_f1
		        : t->metric == 2 ? ev->validation_loss
		        : t->metric == 4 ? ev->perplexity
		                         : t->micro_f1;
		if (!better(t, value)) {
			t->bad_epochs++;
			return NLP_OK;
		}
	} else {
		value = t->epoch + 1; /* no validation: the last model is the best */
	}
	if (t->val.n && t->multi &&
	    (rc = nlp_pipeline_head_set_thresholds(t->p, t->th, t->n_classes, err)))
		return rc;
	ev->improved = 1;
	t->best = value;
	t->best_epoch = t->epoch + 1;
	t->bad_epochs = 0;
	/* A metadata entry that cannot be stored is out of memory, never a
	 * model without it (tests/fault/t_fault.sh). */
	if (nlp_model_meta_setf(&t->meta, "best_epoch", "%ld", t->epoch + 1) ||
	    (t->val.n && t->lm &&
	     (nlp_model_meta_setf(&t->meta, "validation_perplexity", "%.4f", ev->perplexity) ||
	      nlp_model_meta_setf(&t->meta, "validation_loss", "%.6f", ev->validation_loss))) ||
	    (t->val.n && !t->lm &&
	     (nlp_model_meta_setf(&t->meta, "validation_accuracy", "%.6f", ev->accuracy) ||
	      nlp_model_meta_setf(&t->meta, "validation_macro_f1", "%.6f", ev->macro_f1) ||
	      (t->multi &&
	       nlp_model_meta_setf(&t->meta, "validation_micro_f1", "%.6f", t->micro_f1)) ||
	      nlp_model_meta_setf(&t->meta, "validation_loss", "%.6f", ev->validation_loss))) ||
	    nlp_model_meta_setf(&t->meta, "train_loss", "%.6f",
	                        t->loss_n ? t->loss_sum / (double)t->loss_n : 0.0))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (t->phase == 2 && t->epoch + 1 < t->epochs) {
		ev->improved = 0; /* the refit's model is written once, at its end */
		return NLP_OK;
	}
	t->wrote_best = 1;
	return save_model(t, t->o.output, 0, err);
}

/* After a complete epoch: the checkpoint (saying the epoch is complete) and
 * OUTPUT.last. */
static int end_epoch(nlp_trainer *t, nlp_err *err)
{
	const long ep = t->epoch;
	int rc;

	t->epoch++;
	rc = save_model(t, t->ckpt_path, 1, err);
	t->epoch = ep;
	if (!rc && t->o.keep_last)
		rc = save_model(t, t->last_path, 0, err);
	return rc;
}

/* Zaremba's schedule ([train] lr_decay): the rate is divided by lr_decay
 * after each epoch from lr_decay_start on (from the epoch number, so a
 * resumed run gets the same rate). */
static void decay_lr(nlp_trainer *t)
{
	const long from = nlp_config_int(t->tc, "lr_decay_start");
	const long k = t->epoch + 1 > from ? t->epoch + 1 - from : 0;

	nlp_optim_set_lr_factor(t->opt, pow(nlp_config_float(t->tc, "lr_decay"), -(double)k));
}

/* A language model's epoch: its streams in the epoch's document order. */
static int lm_epoch(nlp_trainer *t, nlp_err *err)
{
	int rc = nlp_lm_stream_build(
	        &t->ls, t->train.docs, t->order, t->train.n, t->eos, (int)t->batch, (int)t->bptt,
	        !strcmp(nlp_config_str(t->tc, "reset_state"), "documents"), err);

	nlp_spill_trim(t->train.store); /* the stream has its own copy */
	return rc;
}

/* One epoch (or what is left of it): its batches, the validation and the
 * epoch's events.  *last: the run ends here (time limit). */
static int run_epoch(nlp_trainer *t, size_t nb, int *last, nlp_err *err)
{
	const double t0 = nlp_clock_seconds();
	nlp_train_event ev;
	int out_of_time = 0, rc;
	uint64_t tokens = 0; /* for the rate shown */
	double train_secs;

	if ((rc = nlp_finetune_set_rates(t->ft, t->opt, t->first, t->epoch, err)))
		return rc;
	/* The epoch's order comes from the generator as it was at its start. */
	t->rng = t->rng_epoch;
	epoch_order(t);
	decay_lr(t);
	if (t->lm && (rc = lm_epoch(t, err)))
		return rc;
	if (t->batch_next == 0) {
		t->loss_sum = 0;
		t->loss_n = 0;
		t->tokens = 0;
	}
	ev = event(t, NLP_TRAIN_EPOCH_START);
	ev.batch = t->batch_next;
	ev.batches = (long)nb;
	emit(t, &ev);
	rc = train_epoch(t, nb, t0, &tokens, &out_of_time, err);
	if (rc)
		return rc;
	train_secs = nlp_clock_seconds() - t0;
	/* The epoch is done: the next one starts from the generator now. */
	if (!out_of_time) {
		t->rng_epoch = t->rng;
		t->batch_next = 0;
	}
	ev = event(t, NLP_TRAIN_EPOCH_END);
	rc = keep_best(t, &ev, err);
	if (rc)
		return rc;
	ev.best_epoch = t->best_epoch;
	ev.best = t->best;
	ev.tokens = tokens;
	ev.seconds = nlp_clock_seconds() - t0;
	ev.tokens_per_second = train_secs > 0 ? (double)tokens / train_secs : 0.0;
	emit(t, &ev);
	if (out_of_time) {
		ev = event(t, NLP_TRAIN_TIME_LIMIT);
		ev.time_limit = t->time_limit;
		emit(t, &ev);
		*last = 1;
		return NLP_OK;
	}
	return end_epoch(t, err);
}

/* Early stopping: `done` epochs are complete and the patience is spent
 * with epochs still to go. */
static int patience_spent(const nlp_trainer *t, long done)
{
	return t->patience > 0 && t->bad_epochs >= t->patience && done < t->epochs;
}

static void early_stop(nlp_trainer *t)
{
	nlp_train_event ev = event(t, NLP_TRAIN_EARLY_STOP);

	ev.patience = t->patience;
	emit(t, &ev);
}

static int train_loop(nlp_trainer *t, nlp_err *err)
{
	size_t nb = epoch_batches(t);
	int rc;

	t->started = nlp_clock_seconds();
	/* A checkpoint written when the patience ran out resumes as stopped:
	 * training on would change which epoch is best. */
	if (t->epoch > 0 && t->batch_next == 0 && patience_spent(t, t->epoch)) {
		early_stop(t);
		return NLP_OK;
	}
	for (; t->epoch < t->epochs; t->epoch++) {
		int last = 0;
		rc = run_epoch(t, nb, &last, err);
		if (rc)
			return rc;
		if (last) {
			t->epoch++;
			break;
		}
		if (patience_spent(t, t->epoch + 1)) {
			early_stop(t);
			t->epoch++;
			break;
		}
	}
	return NLP_OK;
}

/* The label sets of a split (before the docs move): val gets those of the
 * documents marked in is_val (nv of them), ds keeps the others'. */
static int split_sets(nlp_dataset *ds, nlp_dataset *val, const char *is_val, size_t nv)
{
	size_t n = ds->n, nt = 0, k = 0;
	int **ts = calloc(n - nv ? n - nv : 1, sizeof *ts), **vs = calloc(nv ? nv : 1, sizeof *vs);

	if (!ts || !vs) {
		free(ts);
		free(vs);
		return NLP_ENOMEM;
	}
	val->multi = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_val[i]) {
			val->multi += ds->sets[i] != NULL;
			vs[k++] = ds->sets[i];
		} else {
			ts[nt++] = ds->sets[i];
		}
	}
	free(ds->sets);
	ds->sets = ts;
	ds->sets_cap = n - nv ? n - nv : 1;
	ds->multi -= val->multi;
	val->sets = vs;
	val->sets_cap = nv ? nv : 1;
	return NLP_OK;
}

/* Split ds into train (kept in ds) and val: a seeded, stratified share. */
static int split(nlp_dataset *ds, nlp_dataset *val, double share, int n_classes, nlp_rng *rng,
                 nlp_err *err)
{
	size_t n = ds->n, nv = 0, nt = 0;
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	char *is_val = calloc(n ? n : 1, 1);
	nlp_doc_ids *td = NULL, *vd = NULL;

	if (!idx || !is_val)
		goto oom;
	for (int c = 0; c < n_classes; c++) {
		size_t m = 0, take;
		for (size_t i = 0; i < n; i++)
			if (ds->docs[i].label == c)
				idx[m++] = i;
		shuffle(idx, m, rng);
		take = (size_t)floor(share * (double)m + 0.5);
		if (take >= m && m > 0)
			take = m - 1; /* keep at least one to train on */
		for (size_t i = 0; i < take; i++)
			is_val[idx[i]] = 1;
		nv += take;
	}
	td = malloc((n - nv ? n - nv : 1) * sizeof *td);
	vd = malloc((nv ? nv : 1) * sizeof *vd);
	if (!td || !vd)
		goto oom;
	memset(val, 0, sizeof *val);
	if (ds->sets && split_sets(ds, val, is_val, nv) != NLP_OK)
		goto oom;
	for (size_t i = 0, k = 0; i < n; i++) {
		if (is_val[i])
			vd[k++] = ds->docs[i];
		else
			td[nt++] = ds->docs[i];
	}
	free(ds->docs);
	ds->docs = td;
	ds->n = nt;
	ds->cap = nt;
	val->store = nlp_spill_ref(ds->store);
	val->store_tokens = ds->store_tokens;
	val->docs = vd;
	val->n = nv;
	val->cap = nv;
	free(idx);
	free(is_val);
	return NLP_OK;
oom:
	free(idx);
	free(is_val);
	free(td);
	free(vd);
	return nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

/* Tokens -> ids with the stages that map them (after setup): tokens in
 * memory. */
static int map_ids(nlp_trainer *t, nlp_dataset *ds, nlp_err *err)
{
	nlp_doc d = {0};
	int rc = NLP_OK;

	for (size_t i = 0; i < ds->n && !rc; i++) {
		rc = t->s2s ? nlp_s2s_map_pair(t->p, &ds->tokens[i], &ds->docs[i], &d, err)
		            : nlp_pipeline_map_ids(t->p, &ds->tokens[i], &ds->docs[i], &d, err);
		nlp_tokens_free(&ds->tokens[i]);
	}
	free(d.ids);
	free(ds->tokens);
	ds->tokens = NULL;
	return rc;
}

/* Documents between two trims of a store's mapping read in order. */
enum { TRIM_EVERY = 4096 };

/* The same for tokens in ds->store: each document's ids are written to
 * ids, its doc's ids hold their offset there (nlp_dataset_rebase). */
static int map_stored(nlp_trainer *t, nlp_dataset *ds, nlp_spill *ids, nlp_err *err)
{
	nlp_doc d = {0};
	int rc = NLP_OK;

	for (size_t i = 0; i < ds->n && !rc; i++) {
		nlp_doc_ids x = ds->docs[i];
		nlp_tokens v;
		uint64_t at = 0;
		nlp_dataset_tokens(ds, i, &v);
		x.ids = NULL; /* the store's: map_ids would free it */
		rc = nlp_pipeline_map_ids(t->p, &v, &x, &d, err);
		if (!rc)
			rc = nlp_spill_write(ids, x.ids, x.n * sizeof *x.ids, &at, err);
		free(x.ids);
		ds->docs[i].ids = (int32_t *)(uintptr_t)at;
		ds->docs[i].n = x.n;
		if (i % TRIM_EVERY == TRIM_EVERY - 1)
			nlp_spill_trim(ds->store);
	}
	free(d.ids);
	nlp_spill_trim(ds->store);
	return rc;
}

/* Tokens -> ids for the training and validation data (after setup); the
 * token store, when there is one, gives way to a store of ids. */
static int map_all(nlp_trainer *t, nlp_err *err)
{
	nlp_dataset *const sets[2] = {&t->train, &t->val};
	nlp_spill *ids = NULL;
	int rc;

	if (!t->train.store) {
		rc = map_ids(t, &t->train, err);
		if (!rc && t->val.tokens)
			rc = map_ids(t, &t->val, err);
		return rc;
	}
	rc = nlp_spill_new(&ids, t->spill.dir, t->spill.limit, err);
	for (int k = 0; k < 2 && !rc; k++)
		if (sets[k]->store)
			rc = map_stored(t, sets[k], ids, err);
	if (!rc)
		rc = nlp_spill_seal(ids, err);
	for (int k = 0; k < 2 && !rc; k++) {
		if (!sets[k]->store)
			continue;
		nlp_spill_free(sets[k]->store);
		sets[k]->store = nlp_spill_ref(ids);
		sets[k]->store_tokens = 0;
		nlp_dataset_rebase(sets[k]);
	}
	nlp_spill_free(ids);
	return rc;
}

static int observe_all(nlp_trainer *t, const nlp_dataset *ds, nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t i = 0; i < ds->n && !rc; i++) {
		nlp_tokens v;
		nlp_dataset_tokens(ds, i, &v);
		rc = nlp_pipeline_observe_except(t->p, &v, ds->docs[i].streams, ds->docs[i].label,
		                                 nlp_finetune_skip(t->ft), err);
		if (!rc && t->s2s)
			rc = nlp_s2s_observe(t->p, &v, ds->docs[i].streams, err);
		if (i % TRIM_EVERY == TRIM_EVERY - 1)
			nlp_spill_trim(ds->store);
	}
	nlp_spill_trim(ds->store);
	return rc;
}

/* Refuse a class without training documents (an empty or unreadable label
 * folder): the model could never learn it. */
static int check_classes(const nlp_dataset *ds, const char *path, nlp_err *err)
{
	size_t *count = calloc(ds->n_labels, sizeof *count), k;
	int rc = NLP_OK;

	if (!count)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < ds->n; i++) {
		const int *set = ds->sets ? ds->sets[i] : NULL;
		if (ds->docs[i].label >= 0 && (size_t)ds->docs[i].label < ds->n_labels)
			count[ds->docs[i].label]++;
		for (int j = 2; set && j <= set[0]; j++)
			count[set[j]]++;
	}
	for (k = 0; k < ds->n_labels && count[k]; k++)
		;
	if (k < ds->n_labels)
		rc = nlp_err_set(err, NLP_EDATA,
		                 "%s: the class '%s' has no training documents (is its folder "
		                 "empty, or are its files unreadable or skipped?): add documents "
		                 "of that class, or remove it from the data",
		                 path, ds->labels[k]);
	free(count);
	return rc;
}

/* The DATA event of a data set just read. */
static void report_data(nlp_trainer *t, const nlp_dataset *ds, int validation)
{
	nlp_train_event ev = event(t, NLP_TRAIN_DATA);

	ev.validation = validation;
	ev.reader = &ds->stats;
	ev.unlabelled = ds->unlabelled;
	ev.refused = ds->refused;
	emit(t, &ev);
}

/* After a failed split of token data: the docs' ids hold indexes (i + 1),
 * not memory; clear them so that freeing the sets frees nothing it should
 * not (found by tests/fault/t_fault.sh). */
static void forget_indexes(nlp_dataset *a, nlp_dataset *b)
{
	for (size_t i = 0; i < a->n; i++)
		a->docs[i].ids = NULL;
	for (size_t i = 0; i < b->n; i++)
		b->docs[i].ids = NULL;
}

/* Split the training set into train and validation (t->val), keeping the
 * tokens (read before a vocabulary existed) with their documents. */
static int split_tokens(nlp_trainer *t, nlp_err *err)
{
	const int mem_tokens = t->train.tokens != NULL;
	nlp_rng split_rng;
	nlp_tokens *all, *tt, *vt;
	int rc;

	nlp_rng_seed(&split_rng, (uint64_t)nlp_config_int(t->tc, "seed") ^ 0x5b1175eedULL);
	/* The split works on docs; tokens in memory travel with their index. */
	if (mem_tokens) {
		/* Keep tokens aligned: move them into nlp_doc_ids order first. */
		for (size_t i = 0; i < t->train.n; i++)
			t->train.docs[i].ids = (int32_t *)(uintptr_t)(i + 1);
	}
	rc = split(&t->train, &t->val, nlp_config_float(t->tc, "validation"),
	           t->lm || t->s2s ? 1 : t->n_classes, &split_rng, err);
	if (rc && mem_tokens)
		forget_indexes(&t->train, &t->val);
	if (rc || !mem_tokens)
		return rc;
	/* Rebuild token arrays in the new orders. */
	all = t->train.tokens;
	tt = malloc((t->train.n ? t->train.n : 1) * sizeof *tt);
	vt = malloc((t->val.n ? t->val.n : 1) * sizeof *vt);
	if (!tt || !vt) {
		free(tt);
		free(vt);
		forget_indexes(&t->train, &t->val);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->train.n; i++) {
		tt[i] = all[(uintptr_t)t->train.docs[i].ids - 1];
		t->train.docs[i].ids = NULL;
	}
	for (size_t i = 0; i < t->val.n; i++) {
		vt[i] = all[(uintptr_t)t->val.docs[i].ids - 1];
		t->val.docs[i].ids = NULL;
	}
	free(all);
	t->train.tokens = tt;
	t->val.tokens = vt;
	return NLP_OK;
}

/* Append the end-of-document token to every document of ds: to its tokens
 * before the vocabulary exists, else its id (t->eos).  A store has it
 * (appended while it was read). */
static int lm_add_eos(nlp_trainer *t, nlp_dataset *ds, nlp_err *err)
{
	if (ds->store) { /* appended while it was read */
		ds->tokens_total += ds->n;
		return NLP_OK;
	}
	for (size_t i = 0; i < ds->n; i++) {
		nlp_doc_ids *d = &ds->docs[i];
		if (ds->tokens) {
			if (nlp_tokens_push(&ds->tokens[i], NLP_LM_EOS, strlen(NLP_LM_EOS)))
				return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		} else {
			int32_t *q = realloc(d->ids, ((size_t)d->n + 1) * sizeof *q);
			if (!q)
				return nlp_err_set(err, NLP_ENOMEM, "out of memory");
			q[d->n] = t->eos;
			d->ids = q;
		}
		d->n++;
		ds->tokens_total++;
	}
	return NLP_OK;
}

/* [train] validation_data and validation; none in the refit. */
static const char *val_path(const nlp_trainer *t)
{
	return t->phase == 2 ? "" : nlp_config_str(t->tc, "validation_data");
}

static double val_share(const nlp_trainer *t)
{
	return t->phase == 2 ? 0.0 : nlp_config_float(t->tc, "validation");
}

/* A language model's data: every document (labels ignored), the
 * validation share split off by documents, the end-of-document token. */
static int lm_read_data(nlp_trainer *t, int want_ids, nlp_err *err)
{
	const char *vpath = val_path(t);
	const size_t end = want_ids ? t->first + 1 : t->first;
	int rc;

	nlp_dataset_spill sp = t->spill;

	if (want_ids && (rc = nlp_lm_setup(t->p, t->first, &t->tied, &t->eos, &t->unk, err)))
		return rc;
	sp.append_eos = 1;
	sp.eos = t->eos;
	rc = nlp_dataset_read_to(&t->train, t->host, t->p, end, t->threads, want_ids, &t->ro,
	                         t->o.data, t->o.n_data, NULL, 0, 1, &sp, err);
	if (rc)
		return rc;
	report_data(t, &t->train, 0);
	if (*vpath) {
		rc = nlp_dataset_read_to(&t->val, t->host, t->p, end, t->threads, want_ids, &t->ro,
		                         &vpath, 1, NULL, 0, 1, &sp, err);
		if (rc)
			return rc;
		report_data(t, &t->val, 1);
	} else if (val_share(t) > 0 && (rc = split_tokens(t, err))) {
		return rc;
	}
	if (t->train.n == 0)
		return nlp_err_set(err, NLP_EDATA, "%s: no documents to train on", t->o.data[0]);
	if (!*vpath && t->val.n == 0 && val_share(t) > 0)
		nlp_host_diag(t->host,
		              "%s: %zu document%s, none held out for validation: the last epoch's "
		              "model is kept (give one document a line with --input-format lines, "
		              "or several files)",
		              t->o.data[0], t->train.n, t->train.n == 1 ? "" : "s");
	rc = lm_add_eos(t, &t->train, err);
	return rc ? rc : lm_add_eos(t, &t->val, err);
}

/* A sequence-to-sequence model's data: pair files, the validation share
 * split off by pairs. */
static int s2s_read_data(nlp_trainer *t, int want_ids, nlp_err *err)
{
	const char *vpath = val_path(t);
	const size_t end = want_ids ? t->first + 1 : t->first;
	int rc = NLP_OK;

	if (want_ids && (rc = nlp_s2s_special_ids(t->p, t->first, &t->bos, &t->eos, err)))
		return rc;
	rc = nlp_s2s_read(&t->train, t->p, end, t->threads, want_ids, t->bos, t->eos, t->o.data,
	                  t->o.n_data, err);
	if (rc)
		return rc;
	report_data(t, &t->train, 0);
	if (*vpath) {
		rc = nlp_s2s_read(&t->val, t->p, end, t->threads, want_ids, t->bos, t->eos, &vpath,
		                  1, err);
		if (!rc)
			report_data(t, &t->val, 1);
	} else if (val_share(t) > 0) {
		rc = split_tokens(t, err);
	}
	if (!rc && t->train.n == 0)
		rc = nlp_err_set(err, NLP_EDATA, "%s: no source<TAB>target pairs to train on",
		                 t->o.data[0]);
	return rc;
}

/* Read the training (and validation) data: tokens first when the vocabulary
 * is still to be built. */
static int read_data(nlp_trainer *t, nlp_err *err)
{
	const nlp_model *resumed = t->resumed;
	const char *vpath = val_path(t);
	const char *const *paths = t->o.data;
	int want_ids = resumed != NULL;
	size_t end = want_ids ? t->first + 1 : t->first;
	const char *const *labels =
	        resumed ? (const char *const *)resumed->labels : (const char *const *)t->known;
	size_t nl = resumed ? resumed->n_labels : t->n_known;
	int rc;

	if (t->lm)
		return lm_read_data(t, want_ids, err);
	if (t->s2s)
		return s2s_read_data(t, want_ids, err);
	rc = nlp_dataset_read_to(&t->train, t->host, t->p, end, t->threads, want_ids, &t->ro, paths,
	                         t->o.n_data, labels, nl, 0, &t->spill, err);
	if (rc)
		return rc;
	report_data(t, &t->train, 0);
	if (t->train.n_labels < 2)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: found %zu label%s; training needs at least two "
		                   "(DIR/<label>/files, or label<TAB>text lines)",
		                   paths[0], t->train.n_labels, t->train.n_labels == 1 ? "" : "s");
	t->n_classes = (int)t->train.n_labels;
	t->labels = t->train.labels;
	if ((rc = check_classes(&t->train, paths[0], err)))
		return rc;
	if (*vpath) {
		rc = nlp_dataset_read_to(&t->val, t->host, t->p, end, t->threads, want_ids, &t->ro,
		                         &vpath, 1, (const char *const *)t->labels,
		                         t->train.n_labels, 0, &t->spill, err);
		if (rc)
			return rc;
		report_data(t, &t->val, 1);
	} else if (val_share(t) > 0) {
		if ((rc = split_tokens(t, err)))
			return rc;
	}
	if (t->train.n == 0)
		return nlp_err_set(err, NLP_EDATA, "no training documents left to train on");
	t->multi = t->train.multi || t->val.multi;
	if (t->multi)
		t->metric = 3;
	return NLP_OK;
}

/* Whether the head's option multi_label (the sigmoid head's: independent
 * outputs even with 2 labels) is on; 1 for a head without that option. */
static int head_multi_label(const nlp_pipeline *p)
{
	const size_t last = nlp_pipeline_stage_count(p) - 1;
	const nlp_option *o = nlp_pipeline_stage_class(p, last)->options;

	for (; o && o->name; o++)
		if (!strcmp(o->name, "multi_label"))
			return nlp_config_bool(nlp_pipeline_stage_config(p, last), "multi_label");
	return 1;
}

/* Multi-label data: a head that decides labels one by one (thresholds), and
 * the buffers of targets and validation. */
static int prepare_multi(nlp_trainer *t, nlp_err *err)
{
	const size_t C = (size_t)t->n_classes;
	const char *where = t->train.first_multi ? t->train.first_multi : t->val.first_multi;

	if (!nlp_pipeline_head_thresholds(t->p))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "several labels on %s: use a sigmoid head (type = sigmoid) for "
		                   "multi-label data",
		                   where ? where : "a document");
	if (C == 2 && !head_multi_label(t->p))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "several labels on %s: with 2 labels, set multi_label = true "
		                   "in the sigmoid head's section",
		                   where ? where : "a document");
	t->targets = malloc((size_t)t->batch * C * sizeof *t->targets);
	t->vprobs = malloc((t->val.n ? t->val.n : 1) * C * sizeof *t->vprobs);
	t->vtruth = malloc((t->val.n ? t->val.n : 1) * C * sizeof *t->vtruth);
	t->th = malloc(C * sizeof *t->th);
	if (!t->targets || !t->vprobs || !t->vtruth || !t->th)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

/* The optimizer, from [train]. */
static int make_optimizer(nlp_trainer *t, nlp_err *err)
{
	nlp_optim_config oc;
	int rc;

	nlp_optim_config_default(&oc);
	rc = nlp_optim_kind_parse(nlp_config_str(t->tc, "optimizer"), &oc.kind, err);
	if (!rc)
		rc = nlp_lr_schedule_parse(nlp_config_str(t->tc, "schedule"), &oc.schedule, err);
	if (rc)
		return rc;
	oc.lr = nlp_config_float(t->tc, "learning_rate");
	oc.momentum = nlp_config_float(t->tc, "momentum");
	oc.weight_decay = nlp_config_float(t->tc, "weight_decay");
	oc.clip_norm = nlp_config_float(t->tc, "clip");
	oc.warmup_steps = nlp_config_int(t->tc, "warmup");
	oc.total_steps = t->horizon * (long)epoch_batches(t);
	refresh_params(t);
	return nlp_optim_new(&t->opt, &oc, t->params, (int)(t->n - t->first), err);
}

/* [train] class_weights = balanced: inverse class frequencies. */
static int balance_classes(nlp_trainer *t, nlp_err *err)
{
	size_t *count = calloc((size_t)t->n_classes, sizeof *count);

	t->class_w = malloc((size_t)t->n_classes * sizeof *t->class_w);
	if (!count || !t->class_w) {
		free(count);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->train.n; i++)
		count[t->train.docs[i].label]++;
	for (int k = 0; k < t->n_classes; k++)
		t->class_w[k] = count[k] ? (float)((double)t->train.n /
		                                   ((double)t->n_classes * (double)count[k]))
		                         : 0.0f;
	free(count);
	return NLP_OK;
}

/* Vocabulary, shapes, parameters, optimizer, class weights. */
static int prepare(nlp_trainer *t, nlp_err *err)
{
	int rc;

	if (!t->resumed) {
		nlp_rng init_rng;
		rc = nlp_finetune_take_state(t->ft, (const char *const *)t->labels,
		                             (size_t)t->n_classes, err);
		if (!rc)
			rc = observe_all(t, &t->train, err);
		if (!rc)
			rc = setup_stages(t, 0, err);
		if (!rc)
			rc = map_all(t, err);
		if (rc)
			return rc;
		nlp_rng_seed(&init_rng, (uint64_t)nlp_config_int(t->tc, "seed"));
		init_params(t, &init_rng);
		rc = nlp_finetune_take_params(t->ft, err);
		if (!rc)
			rc = nlp_finetune_meta(t->ft, &t->meta, err);
		if (rc)
			return rc;
	} else {
		rc = setup_stages(t, 1, err);
		if (rc)
			return rc;
	}
	if (t->multi && (rc = prepare_multi(t, err)))
		return rc;
	t->order = malloc((t->train.n ? t->train.n : 1) * sizeof *t->order);
	if (!t->order)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->train.n; i++)
		t->order[i] = i;
	if (t->lm && (rc = lm_epoch(t, err))) /* the windows an epoch has */
		return rc;
	if ((rc = make_optimizer(t, err)))
		return rc;
	if (!t->lm && !t->s2s && !strcmp(nlp_config_str(t->tc, "class_weights"), "balanced") &&
	    (rc = balance_classes(t, err)))
		return rc;
	nlp_rng_seed(&t->rng_epoch, (uint64_t)nlp_config_int(t->tc, "seed") ^ 0x0de5ULL);
	nlp_rng_seed(&t->rng_drop, (uint64_t)nlp_config_int(t->tc, "seed") ^ 0xd509ULL);
	return NLP_OK;
}

/* The model's metadata: a resumed run's (and its position), or this run's. */
static int start_meta(nlp_trainer *t, nlp_err *err)
{
	const nlp_model *resumed = t->resumed;
	int rc;

	if (resumed) {
		nlp_train_event ev;
		rc = load_checkpoint(t, &resumed->checkpoint, err);
		if (rc)
			return rc;
		ev = event(t, NLP_TRAIN_RESUMED);
		ev.epoch = t->epoch;
		ev.checkpoint = t->o.resume;
		emit(t, &ev);
		for (size_t i = 0; i < resumed->meta.n && !rc; i++)
			rc = nlp_model_meta_set(&t->meta, resumed->meta.kv[i].key,
			                        resumed->meta.kv[i].value);
	} else {
		rc = nlp_model_meta_set_date(&t->meta) ||
		     nlp_model_meta_setf(&t->meta, "seed", "%ld", nlp_config_int(t->tc, "seed")) ||
		     nlp_model_meta_setf(&t->meta, "threads", "%d", t->threads) ||
		     nlp_model_meta_setf(&t->meta, "train_documents", "%zu", t->train.n) ||
		     nlp_model_meta_setf(&t->meta, "train_tokens", "%llu",
		                         (unsigned long long)t->train.tokens_total) ||
		     nlp_model_meta_setf(&t->meta, "validation_documents", "%zu", t->val.n) ||
		     nlp_model_meta_set(&t->meta, "data", t->o.data[0]) ||
		     nlp_model_meta_set(&t->meta, "metric", metric_name(t->metric));
	}
	return rc ? nlp_err_set(err, NLP_ENOMEM, "out of memory") : NLP_OK;
}

/* The run's last event: STOPPED (after a checkpoint) or DONE (after which
 * the checkpoint goes unless kept). */
static void end_run(nlp_trainer *t, int rc)
{
	nlp_train_event ev;

	if (rc == NLP_TRAIN_STOPPED) {
		ev = event(t, NLP_TRAIN_STOPPED_EVENT);
		ev.checkpoint = t->ckpt_path;
		emit(t, &ev);
	} else if (!rc) {
		if (!t->keep_ckpt)
			unlink(t->ckpt_path);
		ev = event(t, NLP_TRAIN_DONE);
		ev.output = t->o.output;
		emit(t, &ev);
	}
}

static int refit_take(nlp_trainer *r, const nlp_trainer *first, nlp_err *err);
static int refit(nlp_trainer *t, nlp_err *err);

/* A run: the data, the stages, the metadata, START and the epochs.
 * first: the first run when this is its refit, else NULL. */
static int run(nlp_trainer *t, const nlp_trainer *first, nlp_err *err)
{
	nlp_train_event ev;
	int rc = read_data(t, err);

	if (!rc)
		rc = prepare(t, err);
	if (!rc)
		rc = start_meta(t, err);
	if (!rc && first)
		rc = refit_take(t, first, err);
	if (rc)
		return rc;
	ev = event(t, NLP_TRAIN_START);
	emit(t, &ev);
	return train_loop(t, err);
}

/* A resumed run whose best epoch came before the interruption wrote no
 * model: the best is the interrupted run's output, which must be this
 * run's output too (the checkpoint holds the last epoch, not the best). */
static int check_best_written(const nlp_trainer *t, nlp_err *err)
{
	char want[32];
	const char *have = NULL;
	nlp_model *m = NULL;
	nlp_err ignored = {0};
	int same;

	if (!t->resumed || t->wrote_best || t->best_epoch <= 0)
		return NLP_OK;
	snprintf(want, sizeof want, "%ld", t->best_epoch);
	if (!nlp_model_load(&m, t->o.output, t->host, &ignored))
		have = nlp_model_meta_get(&m->meta, "best_epoch");
	same = have && !strcmp(have, want);
	nlp_model_free(m);
	if (same)
		return NLP_OK;
	return nlp_err_set(err, NLP_EDATA,
	                   "%s: the best epoch (%ld) came before the interruption and its "
	                   "model was written to the interrupted run's output, not here; "
	                   "resume with -o set to that file (the checkpoint's name "
	                   "without .ckpt)",
	                   t->o.output, t->best_epoch);
}

int nlp_train(nlp_trainer *t, nlp_train_fn fn, void *user, nlp_err *err)
{
	int rc;

	if (t->ran)
		return nlp_err_set(err, NLP_EINTERNAL, "nlp_train: this trainer has run already");
	t->ran = 1;
	t->fn = fn;
	t->user = user;
	if (t->members > 1)
		return nlp_ensemble_train(&(nlp_ensemble_run){t->host, t->pipeline_path, &t->o,
		                                              nlp_config_int(t->tc, "seed"),
		                                              t->members, fn, user},
		                          err);
	rc = run(t, NULL, err);
	/* Nothing held out (a tiny split): every document trained already. */
	if (!rc && t->phase == 1 && t->val.n > 0)
		return refit(t, err);
	if (!rc)
		rc = check_best_written(t, err);
	end_run(t, rc);
	return rc;
}

/* ---- opening ---- */

/* The pipeline file with the overrides, and its pipeline. */
static int open_pipeline(nlp_trainer *t, const char *path, nlp_err *err)
{
	int rc = nlp_ini_read(&t->ini, path, err);

	for (size_t i = 0; !rc && i < t->o.n_sets; i++)
		rc = nlp_ini_override(t->ini, t->o.sets[i], err);
	if (!rc)
		rc = nlp_pipeline_new(&t->p, t->host, t->ini, err);
	return rc;
}

/* The checkpoint to resume from; only [train] options may be overridden. */
static int open_resume(nlp_trainer *t, nlp_err *err)
{
	const char *resume = t->o.resume;
	int rc;

	rc = nlp_host_add_default_paths(t->host, err);
	if (!rc)
		rc = nlp_host_load_modules(t->host, err);
	if (!rc)
		rc = nlp_model_load(&t->resumed, resume, t->host, err);
	if (!rc && nlp_model_is_quantized(t->resumed))
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s is a quantized model (nlpipe quantize): training cannot "
		                 "continue from int8 parameters; resume from the fp32 model's "
		                 "checkpoint (the .ckpt file that train wrote)",
		                 resume);
	if (!rc && !(t->resumed->flags & NLP_MODEL_CHECKPOINT))
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s is a model, not a checkpoint: resume from the .ckpt "
		                 "file that train writes beside the model",
		                 resume);
	/* Only [train] may change on resume (e.g. more epochs). */
	for (size_t i = 0; !rc && i < t->o.n_sets; i++) {
		if (strncmp(t->o.sets[i], "train.", 6) != 0)
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "--set %s: with --resume only [train] options may "
			                 "change; the pipeline comes from the checkpoint",
			                 t->o.sets[i]);
		else
			rc = nlp_ini_override(t->resumed->ini, t->o.sets[i], err);
	}
	if (!rc)
		t->p = t->resumed->pipeline;
	return rc;
}

/* The data's store: beside the output, opts.data_memory MB in memory. */
static int spill_setup(nlp_trainer *t, nlp_err *err)
{
	const char *slash = strrchr(t->o.output, '/');
	const long mb = t->o.data_memory ? t->o.data_memory : NLP_DATA_MEMORY_DEFAULT;

	t->spill_dir = slash ? strndup(t->o.output, (size_t)(slash - t->o.output)) : strdup(".");
	if (!t->spill_dir)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (slash && !*t->spill_dir) { /* "/model": the root */
		free(t->spill_dir);
		t->spill_dir = strdup("/");
		if (!t->spill_dir)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	t->spill.dir = t->spill_dir;
	t->spill.limit = mb < 0 ? 0 : (size_t)mb << 20;
	return NLP_OK;
}

/* Settings from [train] and the paths beside the model. */
static int setup_trainer(nlp_trainer *t, nlp_err *err)
{
	const nlp_config *tc = t->tc;
	const char *m = nlp_config_str(tc, "metric");
	const size_t len = strlen(t->o.output);

	t->first = nlp_pipeline_text_end(t->p);
	t->n = nlp_pipeline_stage_count(t->p);
	t->epochs = nlp_config_int(tc, "epochs");
	t->horizon = t->epochs;
	t->batch = nlp_config_int(tc, "batch");
	t->patience = nlp_config_int(tc, "early_stopping");
	t->ckpt_every = nlp_config_int(tc, "checkpoint_every");
	t->keep_ckpt = nlp_config_bool(tc, "keep_checkpoint");
	t->bucketing = nlp_config_bool(tc, "bucketing");
	t->time_limit = nlp_config_float(tc, "time_limit");
	t->threads = nlp_thread_count(nlp_config_int(tc, "threads"));
	t->metric = !strcmp(m, "accuracy") ? 0 : !strcmp(m, "macro_f1") ? 1 : 2;
	t->lm = nlp_pipeline_is_lm(t->p);
	t->bptt = nlp_config_int(tc, "bptt");
	t->s2s = nlp_pipeline_is_s2s(t->p);
	if (t->s2s && t->metric == 1)
		t->metric = 0; /* token accuracy */
	if (t->lm) {
		t->metric = 4;    /* perplexity */
		t->bucketing = 0; /* the streams keep the shuffled order */
	}
	nlp_blas_threads(t->threads);
	t->ckpt_path = malloc(len + 8);
	t->last_path = malloc(len + 8);
	t->params = calloc(t->n - t->first, sizeof *t->params);
	if (!t->ckpt_path || !t->last_path || !t->params)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	snprintf(t->ckpt_path, len + 8, "%s.ckpt", t->o.output);
	snprintf(t->last_path, len + 8, "%s.last", t->o.output);
	return spill_setup(t, err);
}

/* ---- refit ---- */

/* Phase 2's settings: the first run's best epoch count on its linear
 * schedule's horizon; no validation, early stopping or time limit; the
 * validation data, when it has paths of its own, trained on with the rest. */
static int refit_settings(nlp_trainer *t, long epochs, long horizon, nlp_err *err)
{
	const char *vpath = nlp_config_str(t->tc, "validation_data");

	t->phase = 2;
	t->epochs = epochs;
	t->horizon = horizon;
	t->patience = 0;
	t->time_limit = 0;
	if (!*vpath)
		return NLP_OK;
	t->all_data = malloc((t->o.n_data + 1) * sizeof *t->all_data);
	if (!t->all_data)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	memcpy(t->all_data, t->o.data, t->o.n_data * sizeof *t->all_data);
	t->all_data[t->o.n_data] = vpath;
	t->o.data = t->all_data;
	t->o.n_data++;
	return NLP_OK;
}

/* [train] refit: checked, phase 1; or phase 2 when resuming the refit's
 * checkpoint (its metadata says so). */
static int setup_refit(nlp_trainer *t, nlp_err *err)
{
	const nlp_model_meta *m = t->resumed ? &t->resumed->meta : NULL;
	const char *e = m ? nlp_model_meta_get(m, "refit_epochs") : NULL;
	const char *h = m ? nlp_model_meta_get(m, "refit_schedule_epochs") : NULL;
	char where[400];

	if (e) {
		const long epochs = strtol(e, NULL, 10), horizon = h ? strtol(h, NULL, 10) : 0;
		if (epochs < 1 || horizon < epochs)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: the refit's epochs in the metadata are damaged "
			                   "(refit_epochs = %s, refit_schedule_epochs = %s): start "
			                   "the training again",
			                   t->o.resume, e, h ? h : "missing");
		return refit_settings(t, epochs, horizon, err);
	}
	if (!nlp_config_bool(t->tc, "refit"))
		return NLP_OK;
	nlp_key_where(t->resumed ? t->resumed->ini : t->ini, "train", "refit", where, sizeof where);
	if (t->lm || t->s2s)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] refit = true: %s is not refit (the model of its "
		                   "best validation epoch is kept): set refit = false",
		                   where,
		                   t->lm ? "a language model" : "a sequence-to-sequence model");
	if (!*nlp_config_str(t->tc, "validation_data") &&
	    nlp_config_float(t->tc, "validation") <= 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] refit = true needs validation documents to pick "
		                   "the number of epochs: set [train] validation above 0 (such as "
		                   "0.1) or validation_data, or set refit = false",
		                   where);
	t->phase = 1;
	return NLP_OK;
}

/* [train] ensemble: how many members, and where they cannot be. */
static int setup_ensemble(nlp_trainer *t, const char *pipeline_path, nlp_err *err)
{
	char where[400];

	t->members = nlp_config_int(t->tc, "ensemble");
	if (t->members < 2)
		return NLP_OK;
	nlp_key_where(t->resumed ? t->resumed->ini : t->ini, "train", "ensemble", where,
	              sizeof where);
	if (t->resumed)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] ensemble = %ld: a checkpoint is one model; an "
		                   "ensemble trains from its pipeline file: leave ensemble out of "
		                   "--set when resuming",
		                   where, t->members);
	if (t->lm || t->s2s)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] ensemble = %ld: only classifiers are ensembled, "
		                   "not %s: set ensemble = 1",
		                   where, t->members,
		                   t->lm ? "a language model" : "a sequence-to-sequence model");
	if (t->o.keep_last)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] ensemble = %ld: the members' last epochs are not "
		                   "kept (--keep-last): drop that option or set ensemble = 1",
		                   where, t->members);
	if (!(t->pipeline_path = strdup(pipeline_path)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

/* The refit's trainer: a pipeline built again from the first run's
 * pipeline file (with its overrides), the same settings, phase 2.  A
 * first run resumed from its checkpoint gets [pipeline] init_from back
 * from the metadata (the stored pipeline has none). */
static int refit_new(nlp_trainer **out, nlp_trainer *t, nlp_err *err)
{
	nlp_trainer *r = calloc(1, sizeof *r);
	nlp_ini *ini = t->resumed ? t->resumed->ini : t->ini;
	const char *src = t->resumed ? nlp_model_meta_get(&t->resumed->meta, "init_from") : NULL;
	char *set = src && *src ? malloc(strlen(src) + 24) : NULL;
	int rc = NLP_OK;

	*out = NULL;
	if (!r || (src && *src && !set)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	r->host = t->host;
	r->o = t->o;
	r->o.resume = NULL;
	r->ro = t->ro;
	r->fn = t->fn;
	r->user = t->user;
	r->ran = 1;
	r->known = t->train.labels;
	r->n_known = t->train.n_labels;
	if (set) {
		snprintf(set, strlen(src) + 24, "pipeline.init_from=%s", src);
		rc = nlp_ini_override(ini, set, err);
	}
	if (!rc)
		rc = nlp_pipeline_new(&r->p, r->host, ini, err);
	if (!rc)
		rc = nlp_config_from_ini(&r->tc, ini, "train", nlp_train_options, err);
	if (!rc)
		rc = setup_trainer(r, err);
	if (!rc)
		rc = nlp_finetune_new(&r->ft, r->host, r->p, r->tc, NULL, err);
	if (!rc)
		rc = refit_settings(r, t->best_epoch, t->epochs, err);
out:
	free(set);
	if (rc)
		nlp_trainer_free(r);
	else
		*out = r;
	return rc;
}

/* The refit's metadata: the first run's validation figures, documents and
 * epochs, and a sentence saying what the model is; a multi-label head
 * takes the first run's thresholds. */
static int refit_take(nlp_trainer *r, const nlp_trainer *first, nlp_err *err)
{
	const nlp_model_meta *m = &first->meta;
	const char *hist = nlp_model_meta_get(m, "epoch_history");
	const char *nv = nlp_model_meta_get(m, "validation_documents");
	const char *nt = nlp_model_meta_get(m, "train_documents");
	const float *th = nlp_pipeline_head_thresholds(first->p);
	int bad = 0;

	for (size_t i = 0; i < m->n && !bad; i++)
		if (!strncmp(m->kv[i].key, "validation_", 11))
			bad = nlp_model_meta_set(&r->meta, m->kv[i].key, m->kv[i].value);
	bad = bad || nlp_model_meta_set(&r->meta, "first_train_documents", nt ? nt : "0") ||
	      nlp_model_meta_setf(&r->meta, "refit_epochs", "%ld", r->epochs) ||
	      nlp_model_meta_setf(&r->meta, "refit_schedule_epochs", "%ld", r->horizon) ||
	      (hist && nlp_model_meta_set(&r->meta, "first_epoch_history", hist)) ||
	      nlp_model_meta_setf(&r->meta, "refit",
	                          "trained again from the start on all %zu documents for %ld "
	                          "epoch%s; the validation_* figures are the first run's, at "
	                          "that epoch, on %s held-out documents",
	                          r->train.n, r->epochs, r->epochs == 1 ? "" : "s", nv ? nv : "0");
	if (bad)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (r->multi && th)
		return nlp_pipeline_head_set_thresholds(r->p, th, r->n_classes, err);
	return NLP_OK;
}

/* Before the refit: the first run's documents and optimizer go; its
 * labels stay (the refit's known labels). */
static void drop_first_data(nlp_trainer *t)
{
	char **labels = t->train.labels;
	const size_t n_labels = t->train.n_labels;

	t->train.labels = NULL;
	t->train.n_labels = 0;
	nlp_dataset_free(&t->train);
	nlp_dataset_free(&t->val);
	t->train.labels = labels;
	t->train.n_labels = n_labels;
	nlp_optim_free(t->opt);
	t->opt = NULL;
}

/* After the first run t: REFIT, then a trainer of its own trains again on
 * every document for t's best epoch count; its last event ends the run. */
static int refit(nlp_trainer *t, nlp_err *err)
{
	nlp_train_event ev = event(t, NLP_TRAIN_REFIT);
	nlp_trainer *r = NULL;
	int rc;

	ev.epochs = t->best_epoch;
	ev.documents = t->train.n + t->val.n;
	ev.first_documents = t->train.n;
	ev.first_validation_documents = t->val.n;
	emit(t, &ev);
	rc = refit_new(&r, t, err);
	if (!rc) {
		drop_first_data(t);
		r->stop = t->stop;
		rc = run(r, t, err);
		end_run(r, rc);
	}
	nlp_trainer_free(r);
	return rc;
}

/* Reader messages go to the host's diagnostics. */
static void host_diag(void *user, const char *msg)
{
	nlp_host_diag(user, "%s", msg);
}

int nlp_trainer_new(nlp_trainer **out, nlp_host *h, const char *pipeline_path,
                    const nlp_trainer_opts *opts, nlp_err *err)
{
	nlp_trainer *t = calloc(1, sizeof *t);
	int rc;

	*out = NULL;
	if (!t)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!h || !opts || !opts->output || !opts->data || opts->n_data < 1 ||
	    (!pipeline_path && !opts->resume)) {
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "nlp_trainer_new: give a host, a pipeline file (or opts.resume), "
		                 "opts.output and at least one data path");
		goto out;
	}
	t->host = h;
	t->o = *opts;
	if (opts->reader)
		t->ro = *opts->reader;
	else
		nlp_reader_opts_init(&t->ro);
	if (!t->ro.diag) {
		t->ro.diag = host_diag;
		t->ro.diag_user = h;
	}
	rc = nlp_check_output(opts->output, "model", "model.nlp", err);
	if (!rc)
		rc = nlp_lock_output(&t->lock, opts->output, "model", err);
	if (!rc)
		rc = opts->resume ? open_resume(t, err) : open_pipeline(t, pipeline_path, err);
	if (!rc)
		rc = nlp_pipeline_check_classifier(t->p, err);
	if (!rc && nlp_pipeline_is_lm(t->p))
		rc = nlp_lm_check(t->p, err);
	if (!rc)
		rc = nlp_config_from_ini(&t->tc, t->resumed ? t->resumed->ini : t->ini, "train",
		                         nlp_train_options, err);
	if (!rc)
		rc = setup_trainer(t, err);
	if (!rc)
		rc = setup_refit(t, err);
	if (!rc)
		rc = setup_ensemble(t, pipeline_path, err);
	if (!rc)
		rc = nlp_finetune_new(&t->ft, h, t->p, t->tc, t->resumed, err);
out:
	if (rc)
		nlp_trainer_free(t);
	else
		*out = t;
	return rc;
}

void nlp_trainer_free(nlp_trainer *t)
{
	if (!t)
		return;
	nlp_dataset_free(&t->train);
	nlp_dataset_free(&t->val);
	nlp_dataset_batch_free(&t->dbuf);
	free(t->spill_dir);
	nlp_batch_buf_free(&t->rb);
	nlp_lm_stream_free(&t->ls);
	nlp_s2s_batch_free(&t->sb);
	nlp_optim_free(t->opt);
	nlp_model_meta_free(&t->meta);
	free(t->order);
	free(t->class_w);
	free(t->targets);
	free(t->vprobs);
	free(t->vtruth);
	free(t->th);
	free(t->params);
	free(t->ckpt_path);
	free(t->last_path);
	free(t->all_data);
	free(t->pipeline_path);
	nlp_unlock_output(t->lock);
	nlp_config_destroy(t->tc);
	nlp_finetune_free(t->ft);
	if (t->resumed) {
		nlp_model_free(t->resumed);
	} else {
		nlp_pipeline_free(t->p);
		nlp_ini_free(t->ini);
	}
	free(t);
}

const char *nlp_trainer_checkpoint_path(const nlp_trainer *t)
{
	return t->ckpt_path;
}

const nlp_pipeline *nlp_trainer_pipeline(const nlp_trainer *t)
{
	return t->p;
}
