/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/finetune.c - fine-tuning (nlpipe/finetune.h, pipeline/finetune.h):
 * stages that start from another model's ([pipeline] init_from), frozen for
 * the first epochs ([train] freeze_epochs), then all at once or one per epoch
 * from the top ([train] unfreeze), per-stage learning-rate scales
 * (lr_scale). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/model.h"
#include "pipeline/finetune.h"
#include "pipeline/internal.h"

struct nlp_finetune {
	nlp_host *h;         /* borrowed */
	nlp_pipeline *p;     /* borrowed */
	nlp_model *m;        /* MODEL, until its parameters are taken */
	char *source;        /* MODEL's path, "" for none */
	size_t n;            /* stages of p */
	unsigned char *from; /* [n] 1: the stage comes from MODEL */
	size_t *src;         /* [n] its index in MODEL */
	char *stages;        /* their names, ", "-separated */
	long freeze;         /* [train] freeze_epochs */
	int gradual;         /* [train] unfreeze = gradual */
};

void nlp_finetune_free(nlp_finetune *f)
{
	if (!f)
		return;
	nlp_model_free(f->m);
	free(f->source);
	free(f->from);
	free(f->src);
	free(f->stages);
	free(f);
}

const char *nlp_finetune_source(const nlp_finetune *f)
{
	return f->source;
}

int nlp_finetune_from_model(const nlp_finetune *f, size_t i)
{
	return i < f->n && f->from[i];
}

const char *nlp_finetune_stages(const nlp_finetune *f)
{
	return f->stages;
}

long nlp_finetune_freeze_epochs(const nlp_finetune *f)
{
	return f->freeze;
}

int nlp_finetune_gradual(const nlp_finetune *f)
{
	return f->gradual;
}

/* freeze_epochs, and with unfreeze = gradual one epoch more for each stage
 * from MODEL after stage i (the one nearest the head is unfrozen first). */
long nlp_finetune_frozen_epochs(const nlp_finetune *f, size_t i)
{
	long k = f->freeze;

	if (i >= f->n || !f->from[i])
		return 0;
	for (size_t j = i + 1; f->gradual && j < f->n; j++)
		k += f->from[j];
	return k;
}

const unsigned char *nlp_finetune_skip(const nlp_finetune *f)
{
	return f->from;
}

/* The value of option key in c, or NULL. */
static const char *option_value(const nlp_config *c, const char *key)
{
	for (size_t k = 0; k < nlp_config_count(c); k++) {
		const char *v;
		if (!strcmp(nlp_config_entry(c, k, &v, NULL), key))
			return v;
	}
	return NULL;
}

/* "; options that differ: dim = 64 in MODEL, 32 here" for stage i (from
 * MODEL's stage j) into buf; "" when none does. */
static void option_diffs(const nlp_finetune *f, size_t i, char *buf, size_t size)
{
	const nlp_config *ours = nlp_pipeline_stage_config(f->p, i);
	const nlp_config *theirs = nlp_pipeline_stage_config(f->m->pipeline, f->src[i]);
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < nlp_config_count(ours) && used < size; k++) {
		const char *v, *key = nlp_config_entry(ours, k, &v, NULL);
		const char *w = option_value(theirs, key);
		int n;
		if (!w || !strcmp(v, w))
			continue;
		n = snprintf(buf + used, size - used, "%s%s = %s in %s, %s in %s",
		             used ? "; " : " (options that differ: ", key, w, f->source, v,
		             nlp_ini_name(nlp_pipeline_ini(f->p)));
		used += n > 0 ? (size_t)n : 0;
	}
	if (used && used + 2 < size)
		snprintf(buf + used, size - used, ")");
}

/* Mark the stages of p whose section name and class are those of a
 * trainable stage of MODEL; a section of MODEL's name with another class is
 * an error naming both (issue 11: a mismatch of class is as wrong as one of
 * shape); sections MODEL does not have train from scratch. */
static int match_stages(nlp_finetune *f, nlp_err *err)
{
	const nlp_pipeline *mp = f->m->pipeline;
	size_t matched = 0;

	for (size_t i = nlp_pipeline_text_end(f->p); i < f->n; i++) {
		const char *name = nlp_pipeline_stage_name(f->p, i);
		const nlp_stage_class *cls = nlp_pipeline_stage_class(f->p, i);
		for (size_t j = 0; j < nlp_pipeline_stage_count(mp); j++) {
			const nlp_stage_class *mc = nlp_pipeline_stage_class(mp, j);
			if (strcmp(nlp_pipeline_stage_name(mp, j), name))
				continue;
			if (strcmp(mc->name, cls->name) || !mc->train || !mc->train->params)
				return nlp_err_set(err, NLP_ECONFIG,
				                   "[%s] is %s here but %s in init_from = %s: make "
				                   "the classes agree, or rename the section to "
				                   "train the stage from scratch",
				                   name, cls->name, mc->name, f->source);
			f->from[i] = 1;
			f->src[i] = j;
			matched++;
			break;
		}
	}
	if (!matched)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "[pipeline] init_from = %s: no trainable stage of this pipeline "
		                   "has the section name and class of one of the model's (see "
		                   "`nlpipe inspect %s`): name the sections as the model does",
		                   f->source, f->source);
	return NLP_OK;
}

/* The stages a resumed run's model says came from a model (meta
 * init_stages). */
static int resumed_stages(nlp_finetune *f, const nlp_model *resumed, nlp_err *err)
{
	const char *src = nlp_model_meta_get(&resumed->meta, "init_from");
	const char *names = nlp_model_meta_get(&resumed->meta, "init_stages");
	char **w = NULL;
	size_t nw = 0;

	if (!(f->source = strdup(src ? src : "")) || (names && nlp_list_split(names, &w, &nw)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t k = 0; k < nw; k++)
		for (size_t i = 0; i < f->n; i++)
			if (!strcmp(w[k], nlp_pipeline_stage_name(f->p, i)))
				f->from[i] = 1;
	nlp_list_free(w, nw);
	return NLP_OK;
}

/* MODEL, loaded. */
static int load_source(nlp_finetune *f, nlp_err *err)
{
	const nlp_ini *ini = nlp_pipeline_ini(f->p);
	char where[400];
	int rc;

	if (!(f->source = strdup(nlp_pipeline_init_from(f->p))))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!*f->source)
		return NLP_OK;
	nlp_key_where(ini, "pipeline", "init_from", where, sizeof where);
	rc = nlp_model_load(&f->m, f->source, f->h, err);
	if (rc) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		return nlp_err_set(err, rc == NLP_EIO ? NLP_ECONFIG : rc,
		                   "%s: [pipeline] init_from = %s: %s", where, f->source, msg);
	}
	if (nlp_model_is_quantized(f->m))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [pipeline] init_from = %s: a quantized model (nlpipe "
		                   "quantize) holds int8 parameters: start from the fp32 model "
		                   "it was made from",
		                   where, f->source);
	if (f->m->n_members)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [pipeline] init_from = %s: an ensemble of %zu models "
		                   "([train] ensemble): start from one model (trained with "
		                   "ensemble = 1)",
		                   where, f->source, f->m->n_members + 1);
	return match_stages(f, err);
}

/* freeze_epochs and unfreeze = gradual need stages from a model, and
 * freeze_epochs a stage that is not. */
static int check_freeze(nlp_finetune *f, const nlp_ini *ini, nlp_err *err)
{
	size_t from = 0, first = nlp_pipeline_text_end(f->p);
	char where[400];

	if (f->freeze <= 0 && !f->gradual)
		return NLP_OK;
	for (size_t i = first; i < f->n; i++)
		from += f->from[i];
	if (!from && f->freeze <= 0) {
		nlp_key_where(ini, "train", "unfreeze", where, sizeof where);
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] unfreeze = gradual: no stage to unfreeze without "
		                   "[pipeline] init_from (a model to start from): set init_from, "
		                   "or remove unfreeze",
		                   where);
	}
	nlp_key_where(ini, "train", "freeze_epochs", where, sizeof where);
	if (!from)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] freeze_epochs = %ld: nothing to freeze without "
		                   "[pipeline] init_from (a model to start from): set init_from, "
		                   "or remove freeze_epochs",
		                   where, f->freeze);
	if (f->freeze > 0 && from == f->n - first)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] freeze_epochs = %ld: every trainable stage comes "
		                   "from %s, so nothing would train in those epochs: rename a "
		                   "section (the head's) to train it from scratch, or set "
		                   "freeze_epochs = 0",
		                   where, f->freeze, f->source);
	return NLP_OK;
}

/* f->stages: the names of the stages from MODEL. */
static int name_stages(nlp_finetune *f, nlp_err *err)
{
	nlp_buf b = {0};
	int rc = NLP_OK;

	for (size_t i = 0; i < f->n && !rc; i++) {
		const char *name = nlp_pipeline_stage_name(f->p, i);
		if (!f->from[i])
			continue;
		if (b.len)
			rc = nlp_buf_put(&b, ", ", 2);
		if (!rc)
			rc = nlp_buf_put(&b, name, strlen(name));
	}
	if (!rc)
		rc = nlp_buf_put(&b, "", 1);
	if (rc) {
		free(b.data);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	f->stages = (char *)b.data;
	return NLP_OK;
}

/* An error about stage i taken from MODEL: "[name] (class): init_from =
 * MODEL: what (options that differ...): what to do". */
static int stage_fail(const nlp_finetune *f, size_t i, int rc, const char *what, nlp_err *err)
{
	char diffs[600];

	option_diffs(f, i, diffs, sizeof diffs);
	return nlp_err_set(err, rc,
	                   "[%s] (%s): init_from = %s: %s%s: make the section agree with the "
	                   "model's, or rename it to train the stage from scratch",
	                   nlp_pipeline_stage_name(f->p, i),
	                   nlp_pipeline_stage_class(f->p, i)->name, f->source, what, diffs);
}

/* Stage i's state from MODEL into self (an instance of stage i's class). */
static int state_into(const nlp_finetune *f, size_t i, void *self, nlp_err *err)
{
	const nlp_train_ops *ops = nlp_pipeline_stage_class(f->p, i)->train;
	nlp_buf b = {0};
	nlp_cursor c;
	char what[sizeof err->msg];
	int rc = NLP_OK;

	if (!ops->save || !ops->load)
		return NLP_OK;
	rc = ops->save(nlp_pipeline_stage_instance(f->m->pipeline, f->src[i]), &b, err);
	c.p = b.data;
	c.end = b.data + b.len;
	if (!rc)
		rc = ops->load(self, &c, err);
	if (!rc && c.p != c.end)
		rc = nlp_err_set(err, NLP_EDATA, "%zu bytes of its saved state were not read",
		                 (size_t)(c.end - c.p));
	free(b.data);
	if (rc && rc != NLP_ENOMEM) {
		snprintf(what, sizeof what, "cannot take its saved state: %.900s", err->msg);
		rc = stage_fail(f, i, rc == NLP_EDATA ? NLP_ECONFIG : rc, what, err);
	}
	return rc;
}

/* self (an instance of stage i's class, set up) has the parameter blocks
 * of MODEL's stage, whose parameters go to *b. */
static int same_shapes(const nlp_finetune *f, size_t i, void *self, nlp_params *b, nlp_err *err)
{
	const nlp_train_ops *ops = nlp_pipeline_stage_class(f->p, i)->train;
	nlp_params a = {0};
	char what[400];
	int k = 0;

	ops->params(self, &a);
	ops->params(nlp_pipeline_stage_instance(f->m->pipeline, f->src[i]), b);
	while (k < a.n_blocks && k < b->n_blocks && a.blocks[k].count == b->blocks[k].count &&
	       a.blocks[k].rows == b->blocks[k].rows && a.blocks[k].cols == b->blocks[k].cols)
		k++;
	if (k < a.n_blocks && k < b->n_blocks) {
		const nlp_param_block *x = &a.blocks[k], *y = &b->blocks[k];
		snprintf(what, sizeof what,
		         "its parameters %s are %d x %d (%zu) in the model, %d x %d (%zu) here",
		         x->name ? x->name : "?", y->rows, y->cols, y->count, x->rows, x->cols,
		         x->count);
		return stage_fail(f, i, NLP_ECONFIG, what, err);
	}
	if (a.count != b->count || a.n_blocks != b->n_blocks) {
		snprintf(what, sizeof what,
		         "it has %zu parameters in %d blocks in the model, %zu in %d here",
		         b->count, b->n_blocks, a.count, a.n_blocks);
		return stage_fail(f, i, NLP_ECONFIG, what, err);
	}
	return NLP_OK;
}

/* Before any data is read: a new instance of stage i's class and options,
 * given MODEL's state and set up with MODEL's input width and labels, has MODEL's shapes (what a
 * `nlpipe check` can tell: another hidden, dim...). */
static int precheck_stage(const nlp_finetune *f, size_t i, nlp_err *err)
{
	const nlp_stage_class *cls = nlp_pipeline_stage_class(f->p, i);
	const nlp_model_stage *st = &f->m->stages[f->src[i]];
	nlp_params b = {0};
	void *self = NULL;
	char what[sizeof err->msg];
	int out_dim = 0, rc = cls->create(&self, nlp_pipeline_stage_config(f->p, i), err);

	if (rc)
		return nlp_pipeline_stage_error(f->p, i, rc, err);
	rc = state_into(f, i, self, err);
	if (!rc && (rc = cls->train->setup(self, st->in_dim, (int)f->m->n_labels, &out_dim, err)) &&
	    rc != NLP_ENOMEM) {
		snprintf(what, sizeof what, "it cannot be set up as the model's: %.900s", err->msg);
		rc = stage_fail(f, i, NLP_ECONFIG, what, err);
	}
	if (!rc)
		rc = same_shapes(f, i, self, &b, err);
	cls->destroy(self);
	return rc;
}

/* The labels as "a, b, c" into buf. */
static void label_list(const char *const *labels, size_t n, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n && used < size; k++) {
		int w = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", labels[k]);
		used += w > 0 ? (size_t)w : 0;
	}
}

/* A head from MODEL must score the data's labels, in the same order. */
static int check_head(const nlp_finetune *f, size_t i, const char *const *labels, size_t n,
                      nlp_err *err)
{
	const nlp_model *m = f->m;
	char ours[300], theirs[300];
	size_t k = 0;

	while (k < n && n == m->n_labels && !strcmp(labels[k], m->labels[k]))
		k++;
	if (k == n && n == m->n_labels)
		return NLP_OK;
	label_list(labels, n, ours, sizeof ours);
	label_list((const char *const *)m->labels, m->n_labels, theirs, sizeof theirs);
	return nlp_err_set(err, NLP_ECONFIG,
	                   "[%s] (%s): init_from = %s: the model's head scores %zu labels (%s), "
	                   "the training data has %zu (%s): rename the head's section (e.g. "
	                   "[%s_new]) to train it from scratch",
	                   nlp_pipeline_stage_name(f->p, i),
	                   nlp_pipeline_stage_class(f->p, i)->name, f->source, m->n_labels, theirs,
	                   n, ours, nlp_pipeline_stage_name(f->p, i));
}

/* Stage i (set up) has the parameter blocks of MODEL's stage: copy them. */
static int take_stage_params(nlp_finetune *f, size_t i, nlp_err *err)
{
	nlp_params a = {0}, b = {0};
	void *self = nlp_pipeline_stage_instance(f->p, i);
	int rc = same_shapes(f, i, self, &b, err);

	nlp_pipeline_stage_class(f->p, i)->train->params(self, &a);
	if (!rc && a.count)
		memcpy(a.w, b.w, a.count * sizeof *a.w);
	return rc;
}

int nlp_finetune_take_state(nlp_finetune *f, const char *const *labels, size_t n_labels,
                            nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t i = 0; i < f->n && !rc && f->m; i++) {
		if (!f->from[i])
			continue;
		if (nlp_pipeline_stage_class(f->p, i)->produces == NLP_KIND_SCORES)
			rc = check_head(f, i, labels, n_labels, err);
		if (!rc)
			rc = state_into(f, i, nlp_pipeline_stage_instance(f->p, i), err);
	}
	return rc;
}

int nlp_finetune_take_params(nlp_finetune *f, nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t i = 0; i < f->n && !rc && f->m; i++)
		if (f->from[i])
			rc = take_stage_params(f, i, err);
	nlp_model_free(f->m);
	f->m = NULL;
	return rc;
}

int nlp_finetune_new(nlp_finetune **out, nlp_host *h, nlp_pipeline *p, const nlp_config *train,
                     const nlp_model *resumed, nlp_err *err)
{
	nlp_finetune *f = calloc(1, sizeof *f);
	int rc;

	*out = NULL;
	if (!f)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	f->h = h;
	f->p = p;
	f->n = nlp_pipeline_stage_count(p);
	f->freeze = nlp_config_int(train, "freeze_epochs");
	f->gradual = !strcmp(nlp_config_str(train, "unfreeze"), "gradual");
	f->from = calloc(f->n + 1, 1);
	f->src = calloc(f->n + 1, sizeof *f->src);
	if (!f->from || !f->src)
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	else if (resumed)
		rc = resumed_stages(f, resumed, err);
	else
		rc = load_source(f, err);
	for (size_t i = 0; i < f->n && !rc && f->m; i++)
		if (f->from[i])
			rc = precheck_stage(f, i, err);
	if (!rc)
		rc = check_freeze(f, resumed ? resumed->ini : nlp_pipeline_ini(p), err);
	if (!rc)
		rc = name_stages(f, err);
	if (rc)
		nlp_finetune_free(f);
	else
		*out = f;
	return rc;
}

int nlp_finetune_meta(const nlp_finetune *f, nlp_model_meta *meta, nlp_err *err)
{
	if (!*f->source)
		return NLP_OK;
	if (nlp_model_meta_set(meta, "init_from", f->source) ||
	    nlp_model_meta_set(meta, "init_stages", f->stages))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

int nlp_finetune_set_rates(nlp_finetune *f, nlp_optim *o, size_t first, long epoch, nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t i = first; i < f->n && !rc; i++) {
		double s = nlp_pipeline_stage_lr_scale(f->p, i);
		if (epoch < nlp_finetune_frozen_epochs(f, i))
			s = 0;
		rc = nlp_optim_set_scale(o, (int)(i - first), s, err);
		nlp_pipeline_set_frozen(f->p, i, s == 0);
	}
	return rc;
}
