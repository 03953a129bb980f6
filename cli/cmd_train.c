/* cmd_train.c - `nlpipe train PIPELINE.ini DATA... -o MODEL`: read and
 * process the data, build the vocabulary, train with validation, keep the
 * best model, write checkpoints, resume exactly. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nlpipe/metrics.h"
#include "nlpipe/model.h"
#include "nlpipe/optim.h"
#include "cli/cli.h"
#include "cli/data.h"
#include "cli/progress.h"

static const char usage[] =
        "Usage: nlpipe train [OPTIONS] PIPELINE.ini DATA... -o MODEL\n\n"
        "Train the pipeline's trainable stages on labelled DATA (document folders\n"
        "DIR/<label>/..., `label<TAB>text` or `__label__X text` line files) and write\n"
        "the best model (by the [train] metric on the validation data) to MODEL.\n\n"
        "Options:\n"
        "  -o, --output MODEL       where to write the model (required)\n"
        "  --set SECTION.KEY=VALUE  override the pipeline file (repeatable)\n"
        "  --keep-last              also write the last epoch's model to MODEL.last\n"
        "  --resume CHECKPOINT      continue a run from its checkpoint (MODEL.ckpt); the\n"
        "                           pipeline comes from it (PIPELINE.ini is not read) and\n"
        "                           --set may change only [train] options\n"
        "  -q, --quiet              no progress and no summaries\n"
        "  -v, --verbose            name every skipped document\n"
        "  -h, --help               this text\n\n" DATA_USAGE
        "\nCheckpoints go to MODEL.ckpt at the end of every epoch (and every\n"
        "checkpoint_every steps).  On SIGINT or SIGTERM the current step finishes, a\n"
        "checkpoint is written and the command says how to resume (exit status 130).\n";

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

typedef struct trainer {
	nlp_pipeline *p;
	const nlp_config *tc; /* [train] */
	size_t first, n;      /* trainable stages [first, n) */
	nlp_params *params;   /* [n - first] */
	nlp_optim *opt;
	data_set train, val;
	size_t *order; /* [train.n] the epoch's document order */
	float *class_w;
	int n_classes;
	char **labels;
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
	/* settings */
	long epochs, batch, patience, ckpt_every;
	int metric; /* 0 accuracy, 1 macro_f1, 2 loss */
	int bucketing;
	int threads;
	const char *out;
	char *ckpt_path, *last_path;
	int keep_last, quiet;
	double time_limit; /* seconds; 0: none */
	double started;
	nlp_model_meta meta;
} trainer;

/* ---- shapes and parameters ---- */

static int setup_stages(trainer *t, int from_model, nlp_err *err)
{
	int in_dim = 0, out_dim = 0;

	for (size_t i = t->first; i < t->n; i++) {
		const nlp_train_ops *ops = nlp_pipeline_stage_class(t->p, i)->train;
		void *self = nlp_pipeline_stage_instance(t->p, i);
		if (!from_model) {
			int rc = ops->setup(self, in_dim, t->n_classes, &out_dim, err);
			if (rc)
				return nlp_pipeline_stage_error(t->p, i, rc, err);
			in_dim = out_dim;
		}
		ops->params(self, &t->params[i - t->first]);
	}
	return NLP_OK;
}

static void init_params(trainer *t, nlp_rng *rng)
{
	for (size_t i = t->first; i < t->n; i++) {
		const nlp_train_ops *ops = nlp_pipeline_stage_class(t->p, i)->train;
		if (ops->init)
			ops->init(nlp_pipeline_stage_instance(t->p, i), rng);
	}
}

static void refresh_params(trainer *t)
{
	for (size_t i = t->first; i < t->n; i++)
		nlp_pipeline_stage_class(t->p, i)->train->params(
		        nlp_pipeline_stage_instance(t->p, i), &t->params[i - t->first]);
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
static void epoch_order(trainer *t)
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

/* ---- validation ---- */

static int evaluate(trainer *t, const data_set *ds, double *acc, double *f1, double *loss,
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
		rc = nlp_batch_fill(&t->rb, ds->docs, idx + i, B, err);
		if (!rc) {
			t->rb.b.training = 0;
			t->rb.b.rng = &t->rng_drop;
			rc = nlp_chain_forward(t->p, t->first, &t->rb.b, &scores, err);
		}
		for (int b = 0; !rc && b < B; b++)
			rc = nlp_metrics_add(m, (size_t)t->rb.labels[b],
			                     scores.x + (size_t)b * (size_t)scores.D, err);
	}
	if (!rc)
		rc = nlp_metrics_compute(m, &s, err);
	if (!rc) {
		*acc = s->accuracy;
		*f1 = s->macro_f1;
		*loss = s->log_loss;
	}
	nlp_metrics_free(m);
	free(idx);
	return rc;
}

/* ---- checkpoints ---- */

#define CKPT_VERSION 1u

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

static int save_model(trainer *t, const char *path, int checkpoint, nlp_err *err)
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
		if (rc == NLP_ENOMEM)
			nlp_err_set(err, rc, "out of memory");
	}
	if (!rc)
		rc = nlp_model_save(path, t->p, (const char *const *)t->labels,
		                    (size_t)t->n_classes, &t->meta, checkpoint ? &ck : NULL, err);
	free(ck.data);
	return rc;
}

static int load_checkpoint(trainer *t, const nlp_buf *ck, nlp_err *err)
{
	nlp_cursor c = {ck->data, ck->data + ck->len};
	uint32_t version, olen;
	uint64_t epoch, bn, step, best, best_epoch, bad, lsum, ln, tok;
	nlp_cursor oc;
	int rc;

	if (nlp_cursor_get_u32(&c, &version) || version != CKPT_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "the checkpoint's trainer state has version %u; this nlpipe "
		                   "reads version %u",
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

static int better(const trainer *t, double v)
{
	if (t->best_epoch == 0)
		return 1;
	return t->metric == 2 ? v < t->best : v > t->best;
}

static const char *metric_name(int m)
{
	return m == 0 ? "accuracy" : m == 1 ? "macro_f1" : "loss";
}

/* One optimizer step on batch bi of the epoch's order; *tokens grows by
 * the batch's tokens. */
static int train_step(trainer *t, size_t bi, uint64_t *tokens, nlp_err *err)
{
	const size_t at = bi * (size_t)t->batch;
	const int B =
	        (int)(t->train.n - at < (size_t)t->batch ? t->train.n - at : (size_t)t->batch);
	double loss;
	nlp_act scores;
	int rc = nlp_batch_fill(&t->rb, t->train.docs, t->order + at, B, err);

	if (rc)
		return rc;
	t->rb.b.training = 1;
	t->rb.b.rng = &t->rng_drop;
	t->rb.b.weights = t->class_w;
	rc = nlp_chain_forward(t->p, t->first, &t->rb.b, &scores, err);
	if (!rc)
		rc = nlp_chain_backward(t->p, t->first, &t->rb.b, &loss, err);
	if (rc)
		return rc;
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
	t->batch_next = (long)bi + 1;
	t->loss_sum += loss;
	t->loss_n++;
	for (int b = 0; b < B; b++)
		*tokens += (uint64_t)t->rb.len[b];
	return NLP_OK;
}

/* The epoch's batches from t->batch_next on, with checkpoints, the stop
 * signal (returns -1 after a checkpoint) and the time limit (*out_of_time
 * after a checkpoint). */
static int train_epoch(trainer *t, size_t nb, progress *pg, double t0, uint64_t *tokens,
                       int *out_of_time, nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t bi = (size_t)t->batch_next; bi < nb; bi++) {
		rc = train_step(t, bi, tokens, err);
		if (rc)
			break;
		progress_update(pg, t->epoch + 1, t->epochs, (long)bi + 1, (long)nb,
		                t->loss_sum / (double)t->loss_n, *tokens, progress_now() - t0);
		if (stop_signal) {
			progress_end(pg);
			rc = save_model(t, t->ckpt_path, 1, err);
			return rc ? rc : -1; /* interrupted */
		}
		if (t->ckpt_every > 0 && t->step % t->ckpt_every == 0 &&
		    (rc = save_model(t, t->ckpt_path, 1, err)))
			break;
		if (t->time_limit > 0 && progress_now() - t->started >= t->time_limit &&
		    bi + 1 < nb) {
			/* Out of time mid-epoch: the checkpoint keeps the position. */
			rc = save_model(t, t->ckpt_path, 1, err);
			*out_of_time = !rc;
			break;
		}
	}
	progress_end(pg);
	return rc;
}

/* Validation figures of the epoch; keeps (saves) the model when it is the
 * best so far, or when there is no validation. */
static int keep_best(trainer *t, double *acc, double *f1, double *vloss, int *improved,
                     nlp_err *err)
{
	double value;
	int rc;

	*improved = 0;
	if (t->val.n) {
		rc = evaluate(t, &t->val, acc, f1, vloss, err);
		if (rc)
			return rc;
		value = t->metric == 0 ? *acc : t->metric == 1 ? *f1 : *vloss;
		if (!better(t, value)) {
			t->bad_epochs++;
			return NLP_OK;
		}
	} else {
		value = t->epoch + 1; /* no validation: the last model is the best */
	}
	*improved = 1;
	t->best = value;
	t->best_epoch = t->epoch + 1;
	t->bad_epochs = 0;
	nlp_model_meta_setf(&t->meta, "best_epoch", "%ld", t->epoch + 1);
	if (t->val.n) {
		nlp_model_meta_setf(&t->meta, "validation_accuracy", "%.6f", *acc);
		nlp_model_meta_setf(&t->meta, "validation_macro_f1", "%.6f", *f1);
		nlp_model_meta_setf(&t->meta, "validation_loss", "%.6f", *vloss);
	}
	nlp_model_meta_setf(&t->meta, "train_loss", "%.6f",
	                    t->loss_n ? t->loss_sum / (double)t->loss_n : 0.0);
	return save_model(t, t->out, 0, err);
}

/* The epoch's line on stderr. */
static void report_epoch(const trainer *t, double acc, double f1, double vloss, int improved,
                         double secs, double rate)
{
	const double loss = t->loss_n ? t->loss_sum / (double)t->loss_n : 0.0;

	if (t->quiet)
		return;
	if (t->val.n)
		cli_info("epoch %ld/%ld: train loss %.4f; validation accuracy %.4f, macro-F1 %.4f, "
		         "loss %.4f%s; %.1f s, %.0f tokens/s",
		         t->epoch + 1, t->epochs, loss, acc, f1, vloss,
		         improved ? " (best so far, saved)" : "", secs, rate);
	else
		cli_info("epoch %ld/%ld: train loss %.4f; %.1f s, %.0f tokens/s (saved)",
		         t->epoch + 1, t->epochs, loss, secs, rate);
}

/* After a complete epoch: the checkpoint (saying the epoch is complete) and
 * MODEL.last. */
static int end_epoch(trainer *t, nlp_err *err)
{
	const long ep = t->epoch;
	int rc;

	t->epoch++;
	rc = save_model(t, t->ckpt_path, 1, err);
	t->epoch = ep;
	if (!rc && t->keep_last)
		rc = save_model(t, t->last_path, 0, err);
	return rc;
}

static int train_loop(trainer *t, nlp_err *err)
{
	size_t nb = (t->train.n + (size_t)t->batch - 1) / (size_t)t->batch;
	progress pg;
	int rc = NLP_OK;

	progress_init(&pg, t->quiet);
	t->started = progress_now();
	for (; t->epoch < t->epochs; t->epoch++) {
		int out_of_time = 0, improved = 0;
		double acc = 0, f1 = 0, vloss = 0, train_secs;
		uint64_t tokens = 0; /* for the rate shown */
		double t0 = progress_now();

		/* The epoch's order comes from the generator as it was at its start. */
		t->rng = t->rng_epoch;
		epoch_order(t);
		if (t->batch_next == 0) {
			t->loss_sum = 0;
			t->loss_n = 0;
			t->tokens = 0;
		}
		rc = train_epoch(t, nb, &pg, t0, &tokens, &out_of_time, err);
		if (rc)
			return rc;
		train_secs = progress_now() - t0;
		/* The epoch is done: the next one starts from the generator now. */
		if (!out_of_time) {
			t->rng_epoch = t->rng;
			t->batch_next = 0;
		}
		rc = keep_best(t, &acc, &f1, &vloss, &improved, err);
		if (rc)
			return rc;
		report_epoch(t, acc, f1, vloss, improved, progress_now() - t0,
		             train_secs > 0 ? (double)tokens / train_secs : 0.0);
		if (out_of_time) {
			cli_info("time limit of %g s reached in epoch %ld; best was epoch %ld",
			         t->time_limit, t->epoch + 1, t->best_epoch);
			t->epoch++;
			break;
		}
		if ((rc = end_epoch(t, err)))
			return rc;
		if (t->patience > 0 && t->bad_epochs >= t->patience && t->epoch + 1 < t->epochs) {
			cli_info("early stopping: no better validation %s for %ld epochs; best was "
			         "epoch %ld",
			         metric_name(t->metric), t->patience, t->best_epoch);
			t->epoch++;
			break;
		}
	}
	return NLP_OK;
}

/* Split ds into train (kept in ds) and val: a seeded, stratified share. */
static int split(data_set *ds, data_set *val, double share, int n_classes, nlp_rng *rng,
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

/* Tokens -> ids with the first trainable stage's process (after setup). */
static int map_ids(trainer *t, data_set *ds, nlp_err *err)
{
	const nlp_stage_class *c = nlp_pipeline_stage_class(t->p, t->first);
	void *self = nlp_pipeline_stage_instance(t->p, t->first);
	nlp_doc d = {.label = -1};
	nlp_tokens empty = {0};
	int rc = NLP_OK;

	for (size_t i = 0; i < ds->n && !rc; i++) {
		d.name = "document";
		d.in = &ds->tokens[i];
		d.out = &empty;
		d.n_ids = 0;
		rc = c->process(self, &d, err);
		if (!rc) {
			ds->docs[i].ids = malloc((d.n_ids ? d.n_ids : 1) * sizeof(int32_t));
			if (!ds->docs[i].ids) {
				rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
				break;
			}
			if (d.n_ids)
				memcpy(ds->docs[i].ids, d.ids, d.n_ids * sizeof(int32_t));
			ds->docs[i].n = (uint32_t)d.n_ids;
		}
		nlp_tokens_free(&ds->tokens[i]);
	}
	free(d.ids);
	nlp_tokens_free(&empty);
	free(ds->tokens);
	ds->tokens = NULL;
	return rc;
}

static int observe_all(trainer *t, const data_set *ds, nlp_err *err)
{
	const nlp_train_ops *ops = nlp_pipeline_stage_class(t->p, t->first)->train;
	void *self = nlp_pipeline_stage_instance(t->p, t->first);
	nlp_doc d = {0};
	int rc = NLP_OK;

	if (!ops->observe)
		return NLP_OK;
	for (size_t i = 0; i < ds->n && !rc; i++) {
		d.name = "document";
		d.in = &ds->tokens[i];
		d.label = ds->docs[i].label;
		rc = ops->observe(self, &d, err);
	}
	return rc ? nlp_pipeline_stage_error(t->p, t->first, rc, err) : NLP_OK;
}

/* Settings from [train] and the paths beside the model. */
static int setup_trainer(trainer *t, nlp_pipeline *p, nlp_config *tc, nlp_err *err)
{
	t->p = p;
	t->tc = tc;
	t->first = nlp_pipeline_text_end(p);
	t->n = nlp_pipeline_stage_count(p);
	t->epochs = nlp_config_int(tc, "epochs");
	t->batch = nlp_config_int(tc, "batch");
	t->patience = nlp_config_int(tc, "early_stopping");
	t->ckpt_every = nlp_config_int(tc, "checkpoint_every");
	t->bucketing = nlp_config_bool(tc, "bucketing");
	t->time_limit = nlp_config_float(tc, "time_limit");
	t->threads = nlp_thread_count(nlp_config_int(tc, "threads"));
	{
		const char *m = nlp_config_str(tc, "metric");
		t->metric = !strcmp(m, "accuracy") ? 0 : !strcmp(m, "macro_f1") ? 1 : 2;
	}
	nlp_blas_threads(t->threads);
	t->ckpt_path = malloc(strlen(t->out) + 8);
	t->last_path = malloc(strlen(t->out) + 8);
	t->params = calloc(t->n - t->first, sizeof *t->params);
	if (!t->ckpt_path || !t->last_path || !t->params)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	sprintf(t->ckpt_path, "%s.ckpt", t->out);
	sprintf(t->last_path, "%s.last", t->out);
	return NLP_OK;
}

/* Refuse a class without training documents (an empty or unreadable label
 * folder): the model could never learn it. */
static int check_classes(const data_set *ds, const char *path, nlp_err *err)
{
	size_t *count = calloc(ds->n_labels, sizeof *count), k;
	int rc = NLP_OK;

	if (!count)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < ds->n; i++)
		if (ds->docs[i].label >= 0 && (size_t)ds->docs[i].label < ds->n_labels)
			count[ds->docs[i].label]++;
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

/* Read the training (and validation) data: tokens first when the vocabulary
 * is still to be built. */
static int read_data(trainer *t, const nlp_model *resumed, const nlp_reader_opts *ro,
                     const char *const *paths, size_t np, nlp_err *err)
{
	int rc;

	const char *vpath = nlp_config_str(t->tc, "validation_data");
	int want_ids = resumed != NULL;
	size_t end = want_ids ? t->first + 1 : t->first;
	const char *const *labels = resumed ? (const char *const *)resumed->labels : NULL;
	size_t nl = resumed ? resumed->n_labels : 0;
	nlp_rng split_rng;

	rc = data_read(&t->train, t->p, end, t->threads, want_ids, ro, paths, np, labels, nl, 1,
	               t->quiet, err);
	if (rc)
		return rc;
	if (t->train.n_labels < 2) {
		rc = nlp_err_set(err, NLP_EDATA,
		                 "%s: found %zu label%s; training needs at least two "
		                 "(DIR/<label>/files, or label<TAB>text lines)",
		                 paths[0], t->train.n_labels, t->train.n_labels == 1 ? "" : "s");
		return rc;
	}
	t->n_classes = (int)t->train.n_labels;
	t->labels = t->train.labels;
	if ((rc = check_classes(&t->train, paths[0], err)))
		return rc;
	if (*vpath) {
		rc = data_read(&t->val, t->p, end, t->threads, want_ids, ro, &vpath, 1,
		               (const char *const *)t->labels, t->train.n_labels, 1, t->quiet, err);
		if (rc)
			return rc;
	} else if (nlp_config_float(t->tc, "validation") > 0) {
		nlp_rng_seed(&split_rng, (uint64_t)nlp_config_int(t->tc, "seed") ^ 0x5b1175eedULL);
		/* The split works on docs; tokens travel with their index. */
		if (!want_ids) {
			/* Keep tokens aligned: move them into nlp_doc_ids order first. */
			for (size_t i = 0; i < t->train.n; i++)
				t->train.docs[i].ids = (int32_t *)(uintptr_t)(i + 1);
		}
		rc = split(&t->train, &t->val, nlp_config_float(t->tc, "validation"), t->n_classes,
		           &split_rng, err);
		if (rc)
			return rc;
		if (!want_ids) {
			/* Rebuild token arrays in the new orders. */
			nlp_tokens *all = t->train.tokens;
			nlp_tokens *tt = malloc((t->train.n ? t->train.n : 1) * sizeof *tt);
			nlp_tokens *vt = malloc((t->val.n ? t->val.n : 1) * sizeof *vt);
			if (!tt || !vt) {
				free(tt);
				free(vt);
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
		}
	}
	if (t->train.n == 0) {
		return nlp_err_set(err, NLP_EDATA, "no training documents left to train on");
	}
	return NLP_OK;
}

/* Vocabulary, shapes, parameters, optimizer, class weights. */
static int prepare(trainer *t, int resumed, nlp_err *err)
{
	int rc;

	if (!resumed) {
		nlp_rng init_rng;
		rc = observe_all(t, &t->train, err);
		if (!rc)
			rc = setup_stages(t, 0, err);
		if (!rc)
			rc = map_ids(t, &t->train, err);
		if (!rc && t->val.tokens)
			rc = map_ids(t, &t->val, err);
		if (rc)
			return rc;
		nlp_rng_seed(&init_rng, (uint64_t)nlp_config_int(t->tc, "seed"));
		init_params(t, &init_rng);
	} else {
		rc = setup_stages(t, 1, err);
		if (rc)
			return rc;
	}
	{
		nlp_optim_config oc;
		nlp_optim_config_default(&oc);
		rc = nlp_optim_kind_parse(nlp_config_str(t->tc, "optimizer"), &oc.kind, err);
		if (!rc)
			rc = nlp_lr_schedule_parse(nlp_config_str(t->tc, "schedule"), &oc.schedule,
			                           err);
		if (rc)
			return rc;
		oc.lr = nlp_config_float(t->tc, "learning_rate");
		oc.momentum = nlp_config_float(t->tc, "momentum");
		oc.weight_decay = nlp_config_float(t->tc, "weight_decay");
		oc.clip_norm = nlp_config_float(t->tc, "clip");
		oc.warmup_steps = nlp_config_int(t->tc, "warmup");
		oc.total_steps =
		        t->epochs * (long)((t->train.n + (size_t)t->batch - 1) / (size_t)t->batch);
		refresh_params(t);
		rc = nlp_optim_new(&t->opt, &oc, t->params, (int)(t->n - t->first), err);
		if (rc)
			return rc;
	}
	if (!strcmp(nlp_config_str(t->tc, "class_weights"), "balanced")) {
		size_t *count = calloc((size_t)t->n_classes, sizeof *count);
		t->class_w = malloc((size_t)t->n_classes * sizeof *t->class_w);
		if (!count || !t->class_w) {
			free(count);
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < t->train.n; i++)
			count[t->train.docs[i].label]++;
		for (int k = 0; k < t->n_classes; k++)
			t->class_w[k] = count[k]
			                        ? (float)((double)t->train.n /
			                                  ((double)t->n_classes * (double)count[k]))
			                        : 0.0f;
		free(count);
	}
	t->order = malloc((t->train.n ? t->train.n : 1) * sizeof *t->order);
	if (!t->order) {
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	nlp_rng_seed(&t->rng_epoch, (uint64_t)nlp_config_int(t->tc, "seed") ^ 0x0de5ULL);
	nlp_rng_seed(&t->rng_drop, (uint64_t)nlp_config_int(t->tc, "seed") ^ 0xd509ULL);
	return NLP_OK;
}

/* The model's metadata: a resumed run's, or this run's. */
static int start_meta(trainer *t, const nlp_model *resumed, const char *resume, const char *data,
                      nlp_err *err)
{
	int rc;

	if (resumed) {
		rc = load_checkpoint(t, &resumed->checkpoint, err);
		if (rc)
			return rc;
		cli_info("resuming %s: %ld epochs and %ld steps done", resume, t->epoch, t->step);
		for (size_t i = 0; i < resumed->meta.n; i++)
			nlp_model_meta_set(&t->meta, resumed->meta.kv[i].key,
			                   resumed->meta.kv[i].value);
	} else {
		nlp_model_meta_set_date(&t->meta);
		nlp_model_meta_setf(&t->meta, "seed", "%ld", nlp_config_int(t->tc, "seed"));
		nlp_model_meta_setf(&t->meta, "threads", "%d", t->threads);
		nlp_model_meta_setf(&t->meta, "train_documents", "%zu", t->train.n);
		nlp_model_meta_setf(&t->meta, "train_tokens", "%llu",
		                    (unsigned long long)t->train.tokens_total);
		nlp_model_meta_setf(&t->meta, "validation_documents", "%zu", t->val.n);
		nlp_model_meta_set(&t->meta, "data", data);
		nlp_model_meta_set(&t->meta, "metric", metric_name(t->metric));
	}
	return NLP_OK;
}

/* Check -o before any work: a file path, in a folder that exists and can
 * be written (the model, MODEL.ckpt and MODEL.last go there). */
static int check_output(const char *out, nlp_err *err)
{
	const char *slash = strrchr(out, '/');
	struct stat sb;
	char *dir;
	int rc = NLP_OK;

	if (!*out)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "-o: the model path is empty: give a file, e.g. -o model.nlp");
	if ((stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) || (slash && !slash[1]))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "-o %s: is a folder: give the model file's path, e.g. "
		                   "-o %s%smodel.nlp",
		                   out, out, slash && !slash[1] ? "" : "/");
	dir = slash ? strndup(out, slash == out ? 1 : (size_t)(slash - out)) : strdup(".");
	if (!dir)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (stat(dir, &sb) != 0)
		rc = nlp_err_set(err, NLP_EIO, "-o %s: the folder %s %s: create it first", out, dir,
		                 errno == ENOENT ? "does not exist" : strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		rc = nlp_err_set(err, NLP_EIO, "-o %s: %s is not a folder", out, dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = nlp_err_set(err, NLP_EIO, "-o %s: cannot write in the folder %s: %s", out, dir,
		                 strerror(errno));
	free(dir);
	return rc;
}

/* The last line of a run: which model was kept, and why. */
static void print_summary(const trainer *t)
{
	if (t->val.n)
		cli_info("best model (epoch %ld, validation %s %.4f) written to %s", t->best_epoch,
		         metric_name(t->metric), t->best, t->out);
	else
		cli_info("model of epoch %ld, the last (no validation documents to pick the best "
		         "by), written to %s",
		         t->best_epoch, t->out);
}

/* Open the checkpoint to resume from; only [train] options may be --set. */
static int open_resume(const char *resume, const cli_sets *sets, nlp_host *h, nlp_model **resumed,
                       nlp_err *err)
{
	int rc;

	rc = nlp_model_load(resumed, resume, h, err);
	if (!rc && !((*resumed)->flags & NLP_MODEL_CHECKPOINT))
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s is a model, not a checkpoint: resume from the .ckpt "
		                 "file that train writes beside the model",
		                 resume);
	if (rc)
		return rc;
	/* Only [train] may change on resume (e.g. more epochs). */
	for (int i = 0; i < sets->n && !rc; i++) {
		if (strncmp(sets->v[i], "train.", 6) != 0)
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "--set %s: with --resume only [train] options may "
			                 "change; the pipeline comes from the checkpoint",
			                 sets->v[i]);
		else
			rc = nlp_ini_override((*resumed)->ini, sets->v[i], err);
	}
	return rc;
}

int cmd_train(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"set", required_argument, NULL, 's'},
	        {"keep-last", no_argument, NULL, 'k'},
	        {"resume", required_argument, NULL, 'r'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        DATA_LONGOPTS,
	        {NULL, 0, NULL, 0},
	};
	cli_sets sets = {0};
	nlp_reader_opts ro;
	nlp_host *h = NULL;
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_model *resumed = NULL;
	nlp_config *tc = NULL;
	trainer t;
	nlp_err err = {0};
	const char *resume = NULL;
	int c, rc = 0, code = 0;
	struct sigaction sa, old_int, old_term;

	memset(&t, 0, sizeof t);
	nlp_reader_opts_init(&ro);
	ro.diag = data_diag;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:s:qvh", longopts, NULL)) != -1) {
		int handled;
		if ((code = data_option(c, optarg, &ro, &handled)))
			goto out;
		if (handled)
			continue;
		switch (c) {
		case 'o':
			t.out = optarg;
			break;
		case 's':
			if ((code = cli_sets_add(&sets, optarg)))
				goto out;
			break;
		case 'k':
			t.keep_last = 1;
			break;
		case 'r':
			resume = optarg;
			break;
		default:
			if (cli_common_option(c, usage, &code))
				goto out;
			break;
		}
	}
	ro.verbose = cli_verbose;
	t.quiet = cli_quiet;
	if (argc - optind < 2 || !t.out) {
		cli_error("train needs PIPELINE.ini, at least one DATA path and -o MODEL");
		fputs(usage, stderr);
		code = EXIT_USAGE;
		goto out;
	}
	if ((rc = check_output(t.out, &err)))
		goto fail;
	nlp_numerics_init();
	if (resume) {
		/* The pipeline, vocabulary and parameters come from the checkpoint. */
		code = cli_open_host(&h);
		if (code)
			goto out;
		rc = open_resume(resume, &sets, h, &resumed, &err);
		if (rc)
			goto fail;
		p = resumed->pipeline;
		ini = resumed->ini;
	} else {
		code = cli_open_pipeline(argv[optind], &sets, &h, &ini, &p);
		if (code)
			goto out;
	}
	rc = nlp_pipeline_check_classifier(p, &err);
	if (!rc)
		rc = nlp_config_from_ini(&tc, ini, "train", nlp_train_options, &err);
	if (rc)
		goto fail;
	rc = setup_trainer(&t, p, tc, &err);
	if (!rc)
		rc = read_data(&t, resumed, &ro, (const char *const *)argv + optind + 1,
		               (size_t)(argc - optind - 1), &err);
	if (!rc)
		rc = prepare(&t, resumed != NULL, &err);
	if (!rc)
		rc = start_meta(&t, resumed, resume, argv[optind + 1], &err);
	if (rc)
		goto fail;
	if (!t.quiet)
		cli_info("training on %zu documents (%zu validation), %d classes, %d threads",
		         t.train.n, t.val.n, t.n_classes, t.threads);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = train_loop(&t, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc == -1) {
		cli_error("interrupted at epoch %ld, step %ld; checkpoint written to %s",
		          t.epoch + 1, t.step, t.ckpt_path);
		fprintf(stderr, "nlpipe: resume with: nlpipe train --resume %s %s", t.ckpt_path,
		        argv[optind]);
		for (int i = optind + 1; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, " -o %s\n", t.out);
		code = 130;
		goto out;
	}
	if (rc)
		goto fail;
	if (!t.quiet)
		print_summary(&t);
	goto out;
fail:
	code = cli_fail(&err);
out:
	data_free(&t.train);
	data_free(&t.val);
	nlp_batch_buf_free(&t.rb);
	nlp_optim_free(t.opt);
	nlp_model_meta_free(&t.meta);
	free(t.order);
	free(t.class_w);
	free(t.params);
	free(t.ckpt_path);
	free(t.last_path);
	nlp_config_destroy(tc);
	if (resumed) {
		nlp_model_free(resumed);
	} else {
		nlp_pipeline_free(p);
		nlp_ini_free(ini);
	}
	nlp_host_free(h);
	cli_sets_free(&sets);
	return code;
}
