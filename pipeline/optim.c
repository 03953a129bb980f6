/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/optim.c - optimizers and training numerics (nlpipe/optim.h).
 * Part of libnlpipe. */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/model.h"
#include "nlpipe/optim.h"

#define OPTIM_MAGIC 0x504f4c4eU /* "NLOP" little-endian */
#define OPTIM_VERSION                                                                              \
	3 /* 2: a flag says whether the first moment is stored; 3: per-stage                       \
	     steps */

struct nlp_optim {
	nlp_optim_config cfg;
	double lr_factor; /* times the scheduled rate (nlp_optim_set_lr_factor) */
	long steps;
	int n;
	size_t *count; /* [n] floats per stage */
	float **m;     /* [n] first moment (Adam) or momentum buffer (SGD); NULL each
	                  for plain SGD (momentum 0): no state, no extra memory */
	float **v;     /* [n] second moment (Adam); NULL for SGD */
	double *scale; /* [n] learning-rate factor per stage (1; 0: frozen) */
	long *taken;   /* [n] updates each stage had (Adam's bias correction) */
};

void nlp_optim_config_default(nlp_optim_config *c)
{
	memset(c, 0, sizeof *c);
	c->kind = NLP_OPTIM_ADAM;
	/* lr: none; the caller gives it ([train] learning_rate has the default) */
	c->momentum = 0.9;
	c->beta1 = 0.9;
	c->beta2 = 0.999;
	c->eps = 1e-8;
	c->schedule = NLP_LR_CONSTANT;
}

/* The one spelling of each optimizer's name. */
static const char *const kind_names[] = {
        [NLP_OPTIM_SGD] = "sgd",
        [NLP_OPTIM_ADAM] = "adam",
        [NLP_OPTIM_ADAMW] = "adamw",
};

int nlp_optim_kind_parse(const char *name, nlp_optim_kind *kind, nlp_err *err)
{
	for (size_t k = 0; k < sizeof kind_names / sizeof *kind_names; k++) {
		if (strcmp(name, kind_names[k]) == 0) {
			*kind = (nlp_optim_kind)k;
			return NLP_OK;
		}
	}
	return nlp_err_set(err, NLP_ECONFIG, "optimizer \"%s\" is unknown: use sgd, adam or adamw",
	                   name);
}

int nlp_lr_schedule_parse(const char *name, nlp_lr_schedule *s, nlp_err *err)
{
	if (strcmp(name, "constant") == 0)
		*s = NLP_LR_CONSTANT;
	else if (strcmp(name, "linear") == 0)
		*s = NLP_LR_LINEAR;
	else
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "learning-rate schedule \"%s\" is unknown: use constant or linear", name);
	return NLP_OK;
}

const char *nlp_optim_kind_name(nlp_optim_kind kind)
{
	if ((unsigned)kind < sizeof kind_names / sizeof *kind_names)
		return kind_names[kind];
	return "?";
}

void nlp_optim_free(nlp_optim *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->n; i++) {
		free(o->m ? o->m[i] : NULL);
		free(o->v ? o->v[i] : NULL);
	}
	free(o->m);
	free(o->v);
	free(o->scale);
	free(o->taken);
	free(o->count);
	free(o);
}

static int check_config(const nlp_optim_config *c, nlp_err *err)
{
	if (c->kind != NLP_OPTIM_SGD && c->kind != NLP_OPTIM_ADAM && c->kind != NLP_OPTIM_ADAMW)
		return nlp_err_set(err, NLP_ECONFIG, "unknown optimizer kind %d", (int)c->kind);
	if (!(c->lr > 0) || !isfinite(c->lr))
		return nlp_err_set(err, NLP_ECONFIG, "learning rate %g: it must be positive",
		                   c->lr);
	if (!(c->momentum >= 0 && c->momentum < 1))
		return nlp_err_set(err, NLP_ECONFIG, "momentum %g: it must be in [0, 1)",
		                   c->momentum);
	if (!(c->beta1 >= 0 && c->beta1 < 1) || !(c->beta2 >= 0 && c->beta2 < 1))
		return nlp_err_set(err, NLP_ECONFIG, "Adam betas %g, %g: each must be in [0, 1)",
		                   c->beta1, c->beta2);
	if (!(c->eps > 0))
		return nlp_err_set(err, NLP_ECONFIG, "Adam eps %g: it must be positive", c->eps);
	if (!(c->weight_decay >= 0) || !isfinite(c->weight_decay))
		return nlp_err_set(err, NLP_ECONFIG, "weight decay %g: it must be 0 or more",
		                   c->weight_decay);
	if (!(c->clip_norm >= 0) || !isfinite(c->clip_norm))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "gradient clip norm %g: it must be 0 (off) or "
		                   "positive",
		                   c->clip_norm);
	if (c->warmup_steps < 0)
		return nlp_err_set(err, NLP_ECONFIG, "warm-up steps %ld: it must be 0 or more",
		                   c->warmup_steps);
	if (c->schedule == NLP_LR_LINEAR && c->total_steps <= c->warmup_steps)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "linear learning-rate decay over %ld steps with %ld warm-up "
		                   "steps: the total must exceed the warm-up",
		                   c->total_steps, c->warmup_steps);
	if (c->schedule != NLP_LR_CONSTANT && c->schedule != NLP_LR_LINEAR)
		return nlp_err_set(err, NLP_ECONFIG, "unknown learning-rate schedule %d",
		                   (int)c->schedule);
	return NLP_OK;
}

int nlp_optim_new(nlp_optim **out, const nlp_optim_config *cfg, const nlp_params *p, int n,
                  nlp_err *err)
{
	nlp_optim *o = NULL;
	int rc = check_config(cfg, err), adam = cfg->kind != NLP_OPTIM_SGD;
	int moment = adam || cfg->momentum > 0 || cfg->nesterov;

	*out = NULL;
	if (rc)
		return rc;
	if (n < 0)
		return nlp_err_set(err, NLP_EINTERNAL, "nlp_optim_new: %d stages", n);
	o = calloc(1, sizeof *o);
	if (o)
		o->lr_factor = 1.0;
	if (!o)
		goto nomem;
	o->cfg = *cfg;
	o->n = n;
	o->count = calloc((size_t)n + 1, sizeof *o->count);
	o->m = calloc((size_t)n + 1, sizeof *o->m);
	o->v = calloc((size_t)n + 1, sizeof *o->v);
	o->scale = calloc((size_t)n + 1, sizeof *o->scale);
	o->taken = calloc((size_t)n + 1, sizeof *o->taken);
	if (!o->count || !o->m || !o->v || !o->scale || !o->taken)
		goto nomem;
	for (int i = 0; i < n; i++) {
		size_t c = p[i].count;
		o->count[i] = c;
		o->scale[i] = 1.0;
		if (moment && !(o->m[i] = nlp_zeros(c)))
			goto nomem;
		if (adam && !(o->v[i] = nlp_zeros(c)))
			goto nomem;
	}
	*out = o;
	return NLP_OK;
nomem:
	nlp_optim_free(o);
	return nlp_err_set(err, NLP_ENOMEM, "out of memory for the optimizer state");
}

long nlp_optim_steps(const nlp_optim *o)
{
	return o->steps;
}

int nlp_optim_set_scale(nlp_optim *o, int i, double scale, nlp_err *err)
{
	if (i < 0 || i >= o->n)
		return nlp_err_set(err, NLP_EINTERNAL, "optimizer: no stage %d of %d", i, o->n);
	if (!(scale >= 0) || !isfinite(scale))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "learning-rate scale %g: it must be 0 (frozen) or more", scale);
	o->scale[i] = scale;
	return NLP_OK;
}

void nlp_optim_set_lr_factor(nlp_optim *o, double f)
{
	o->lr_factor = f;
}

double nlp_optim_lr(const nlp_optim *o)
{
	const nlp_optim_config *c = &o->cfg;
	const double lr = c->lr * o->lr_factor;
	long s = o->steps;

	if (s < c->warmup_steps)
		return lr * (double)(s + 1) / (double)c->warmup_steps;
	if (c->schedule == NLP_LR_LINEAR) {
		double f =
		        (double)(c->total_steps - s) / (double)(c->total_steps - c->warmup_steps);
		return lr * (f > 0 ? f : 0);
	}
	return lr;
}

/* ---- flat loops over one span of parameters ---- */

static double sumsq(const float *g, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)g[i] * g[i];
	return s;
}

static void scale(float *g, size_t n, float f)
{
	for (size_t i = 0; i < n; i++)
		g[i] *= f;
}

/* Call fn on each span of a block: the whole block, or its touched rows. */
#define FOR_SPANS(blk, base, span_off, span_n, body)                                               \
	do {                                                                                       \
		if ((blk)->touched) {                                                              \
			for (int r_ = 0; r_ < (blk)->n_touched; r_++) {                            \
				size_t span_off =                                                  \
				        (blk)->offset + (size_t)(blk)->touched[r_] * (blk)->cols;  \
				size_t span_n = (size_t)(blk)->cols;                               \
				body;                                                              \
			}                                                                          \
		} else {                                                                           \
			size_t span_off = (blk)->offset;                                           \
			size_t span_n = (blk)->count;                                              \
			body;                                                                      \
		}                                                                                  \
	} while (0)

/* ---- the step's loops on the threads ----
 *
 * The step's work is cut into parts: part q of P of a whole block is its
 * elements [count q / P, count (q + 1) / P), of a block with touched rows
 * (an embedding) its touched rows [n q / P, n (q + 1) / P).  The updates are
 * element-wise, so any cut gives the same bits; the norm is summed over
 * NORM_PARTS fixed parts (each one chain in order, then the parts in
 * order), the same for any number of threads.  The threads are as many as
 * OpenBLAS is set to (nlp_blas_threads), as for the stages. */
#define NORM_PARTS 8
/* Parameters a thread below which the step stays on one thread. */
#define MIN_PER_THREAD 65536

typedef void (*span_fn)(void *ctx, int stage, const nlp_param_block *blk, size_t off, size_t cnt);

/* fn on part q of P of every block of the stages not frozen (all when scale
 * is NULL). */
static void each_part(const nlp_params *p, int n, const double *scale, int q, int P, span_fn fn,
                      void *ctx)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < p[i].n_blocks && (!scale || scale[i] > 0); k++) {
			const nlp_param_block *blk = &p[i].blocks[k];
			if (blk->touched) {
				const int r0 = (int)((long)blk->n_touched * q / P);
				const int r1 = (int)((long)blk->n_touched * (q + 1) / P);
				for (int r = r0; r < r1; r++)
					fn(ctx, i, blk,
					   blk->offset + (size_t)blk->touched[r] * blk->cols,
					   (size_t)blk->cols);
			} else {
				const size_t e0 = blk->count * (size_t)q / (size_t)P;
				const size_t e1 = blk->count * (size_t)(q + 1) / (size_t)P;
				if (e1 > e0)
					fn(ctx, i, blk, blk->offset + e0, e1 - e0);
			}
		}
}

/* Threads for a step over p: OpenBLAS's count, at most NORM_PARTS, one per
 * MIN_PER_THREAD parameters. */
static int step_threads(const nlp_params *p, int n)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += p[i].count;
	int S = openblas_get_num_threads();
	S = S > NORM_PARTS ? NORM_PARTS : S;
	while (S > 1 && total / (size_t)S < MIN_PER_THREAD)
		S--;
	return S < 1 ? 1 : S;
}

typedef struct norm_job {
	const nlp_params *p;
	int n;
	const double *scale;
	double part[NORM_PARTS];
} norm_job;

typedef struct sum_ctx {
	const nlp_params *p;
	double s;
} sum_ctx;

static void norm_span(void *ctx, int stage, const nlp_param_block *blk, size_t off, size_t cnt)
{
	sum_ctx *c = ctx;
	(void)blk;
	c->s += sumsq(c->p[stage].g + off, cnt);
}

static void norm_thread(void *arg, int k, int S)
{
	norm_job *j = arg;
	for (int q = k; q < NORM_PARTS; q += S) {
		sum_ctx c = {j->p, 0.0};
		each_part(j->p, j->n, j->scale, q, NORM_PARTS, norm_span, &c);
		j->part[q] = c.s;
	}
}

/* The global gradient norm of the stages that are not frozen (all when
 * scale is NULL). */
static double norm_of(const nlp_params *p, int n, const double *scale)
{
	norm_job j = {p, n, scale, {0}};
	double s = 0;

	nlp_parallel(step_threads(p, n), norm_thread, &j);
	for (int q = 0; q < NORM_PARTS; q++)
		s += j.part[q];
	return sqrt(s);
}

double nlp_optim_grad_norm(const nlp_params *p, int n)
{
	return norm_of(p, n, NULL);
}

static void scale_all(const nlp_params *p, int n, float f)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < p[i].n_blocks; k++) {
			const nlp_param_block *blk = &p[i].blocks[k];
			FOR_SPANS(blk, p[i].g, off, cnt, scale(p[i].g + off, cnt, f));
		}
}

double nlp_optim_clip(const nlp_params *p, int n, double max_norm)
{
	double norm = nlp_optim_grad_norm(p, n);
	double coef = max_norm / (norm + 1e-6);

	if (coef < 1.0)
		scale_all(p, n, (float)coef);
	return norm;
}

static void sgd_span(float *w, const float *g, float *buf, size_t n, float lr, float mom, float wd,
                     int nesterov)
{
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + wd * w[i];
		float bb = mom * buf[i] + d;
		buf[i] = bb;
		w[i] -= lr * (nesterov ? d + mom * bb : bb);
	}
}

/* SGD without momentum: only the weights and the gradient are read. */
static void sgd_plain_span(float *w, const float *g, size_t n, float lr, float wd)
{
	for (size_t i = 0; i < n; i++)
		w[i] -= lr * (g[i] + wd * w[i]);
}

static void adam_span(float *w, const float *g, float *m, float *v, size_t n, float step_size,
                      float b1, float b2, float bc2_sqrt, float eps, float wd, float decoupled)
{
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + wd * w[i];
		float mm = b1 * m[i] + (1.0f - b1) * d;
		float vv = b2 * v[i] + (1.0f - b2) * d * d;
		m[i] = mm;
		v[i] = vv;
		w[i] = w[i] * decoupled - step_size * mm / (sqrtf(vv) / bc2_sqrt + eps);
	}
}

/* One stage's rates for this step (Adam's bias corrections in). */
typedef struct stage_rates {
	float lr, step_size, bc2s, decoupled;
} stage_rates;

typedef struct upd_job {
	nlp_optim *o;
	const nlp_params *p;
	int n;
	float clip;      /* the gradient's factor (1: no clipping) */
	stage_rates *st; /* [n] */
} upd_job;

/* Clip and update one span of a stage. */
static void update_span(void *ctx, int i, const nlp_param_block *blk, size_t off, size_t cnt)
{
	const upd_job *u = ctx;
	const nlp_optim_config *c = &u->o->cfg;
	const stage_rates *r = &u->st[i];
	float *w = u->p[i].w + off, *g = u->p[i].g + off;
	float *m = u->o->m[i] ? u->o->m[i] + off : NULL, *v = u->o->v[i] ? u->o->v[i] + off : NULL;
	const float wd = blk->decay ? (float)c->weight_decay : 0.0f;
	if (u->clip < 1.0f)
		scale(g, cnt, u->clip);
	if (c->kind == NLP_OPTIM_SGD && !m)
		sgd_plain_span(w, g, cnt, r->lr, wd);
	else if (c->kind == NLP_OPTIM_SGD)
		sgd_span(w, g, m, cnt, r->lr, (float)c->momentum, wd, c->nesterov);
	else
		adam_span(w, g, m, v, cnt, r->step_size, (float)c->beta1, (float)c->beta2, r->bc2s,
		          (float)c->eps, c->kind == NLP_OPTIM_ADAMW ? 0.0f : wd,
		          blk->decay ? r->decoupled : 1.0f);
}

static void update_thread(void *arg, int k, int S)
{
	upd_job *u = arg;
	each_part(u->p, u->n, u->o->scale, k, S, update_span, u);
}

int nlp_optim_step(nlp_optim *o, const nlp_params *p, int n, double *norm_out, nlp_err *err)
{
	const nlp_optim_config *c = &o->cfg;
	double norm, lr_all = nlp_optim_lr(o);

	if (n != o->n)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "optimizer made for %d stages, stepped with %d", o->n, n);
	for (int i = 0; i < n; i++) {
		if (p[i].count != o->count[i])
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "optimizer: stage %d has %zu parameters, %zu expected",
			                   i, p[i].count, o->count[i]);
		for (int k = 0; k < p[i].n_blocks; k++) {
			const nlp_param_block *blk = &p[i].blocks[k];
			if (blk->offset > p[i].count || blk->count > p[i].count - blk->offset ||
			    (blk->touched && (size_t)blk->rows * blk->cols != blk->count))
				return nlp_err_set(err, NLP_EINTERNAL,
				                   "optimizer: stage %d block %s lies outside its "
				                   "buffer",
				                   i, blk->name ? blk->name : "?");
			for (int r = 0; blk->touched && r < blk->n_touched; r++)
				if (blk->touched[r] < 0 || blk->touched[r] >= blk->rows)
					return nlp_err_set(
					        err, NLP_EINTERNAL,
					        "optimizer: stage %d block %s lists row %ld of %d",
					        i, blk->name ? blk->name : "?",
					        (long)blk->touched[r], blk->rows);
		}
	}
	norm = norm_of(p, n, o->scale);
	if (norm_out)
		*norm_out = norm;
	if (!isfinite(norm))
		return nlp_err_set(err, NLP_EDATA,
		                   "the gradient is not finite at step %ld (norm %g): lower the "
		                   "learning rate or set a gradient clip norm",
		                   o->steps + 1, norm);
	upd_job u = {o, p, n, 1.0f, NULL};
	if (c->clip_norm > 0 && c->clip_norm / (norm + 1e-6) < 1.0)
		u.clip = (float)(c->clip_norm / (norm + 1e-6));
	if (!(u.st = calloc((size_t)n, sizeof *u.st)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		const double lr = lr_all * o->scale[i];
		stage_rates *r = &u.st[i];
		if (o->scale[i] == 0)
			continue; /* frozen: weights and state stay as they are */
		const long t = ++o->taken[i];
		r->lr = (float)lr;
		if (c->kind != NLP_OPTIM_SGD) {
			r->step_size = (float)(lr / (1.0 - pow(c->beta1, (double)t)));
			r->bc2s = (float)sqrt(1.0 - pow(c->beta2, (double)t));
			r->decoupled = c->kind == NLP_OPTIM_ADAMW
			                       ? (float)(1.0 - lr * (float)c->weight_decay)
			                       : 1.0f;
		}
	}
	nlp_parallel(step_threads(p, n), update_thread, &u);
	free(u.st);
	o->steps++;
	return NLP_OK;
}

static void zero_span(void *ctx, int stage, const nlp_param_block *blk, size_t off, size_t cnt)
{
	const nlp_params *p = ctx;
	(void)blk;
	memset(p[stage].g + off, 0, cnt * sizeof(float));
}

typedef struct zero_job {
	const nlp_params *p;
	int n;
} zero_job;

static void zero_thread(void *arg, int k, int S)
{
	const zero_job *z = arg;
	each_part(z->p, z->n, NULL, k, S, zero_span, (void *)z->p);
}

void nlp_optim_zero_grad(const nlp_params *p, int n)
{
	zero_job z = {p, n};
	nlp_parallel(step_threads(p, n), zero_thread, &z);
}

/* ---- state as bytes: floats as little-endian IEEE 754 ---- */

int nlp_optim_save(const nlp_optim *o, nlp_buf *out, nlp_err *err)
{
	uint64_t steps = (uint64_t)o->steps;
	int rc;

	if ((rc = nlp_buf_put_u32(out, OPTIM_MAGIC)) ||
	    (rc = nlp_buf_put_u32(out, OPTIM_VERSION)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)o->cfg.kind)) ||
	    (rc = nlp_model_buf_put_u64(out, steps)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)o->n)) ||
	    (rc = nlp_buf_put_u32(out, o->n && o->m[0] ? 1 : 0)))
		goto out;
	for (int i = 0; i < o->n; i++)
		if ((rc = nlp_model_buf_put_u64(out, o->count[i])) ||
		    (rc = nlp_model_buf_put_u64(out, (uint64_t)o->taken[i])))
			goto out;
	for (int i = 0; i < o->n; i++) {
		if (o->m[i] && (rc = nlp_model_buf_put_f32(out, o->m[i], o->count[i])))
			goto out;
		if (o->v[i] && (rc = nlp_model_buf_put_f32(out, o->v[i], o->count[i])))
			goto out;
	}
out:
	if (rc)
		nlp_err_set(err, rc, "out of memory saving the optimizer state");
	return rc;
}

int nlp_optim_load(nlp_optim *o, nlp_cursor *in, nlp_err *err)
{
	uint32_t magic, version, kind, n, has_m = 1;
	uint64_t steps;
	nlp_cursor counts;

	if (nlp_cursor_get_u32(in, &magic) || nlp_cursor_get_u32(in, &version))
		goto truncated;
	if (magic != OPTIM_MAGIC)
		return nlp_err_set(err, NLP_EDATA, "not an nlpipe optimizer state (bad magic)");
	if (version < 1 || version > OPTIM_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "optimizer state format %u is not supported (this nlpipe reads "
		                   "%d)",
		                   version, OPTIM_VERSION);
	if (nlp_cursor_get_u32(in, &kind) || nlp_model_cursor_get_u64(in, &steps) ||
	    nlp_cursor_get_u32(in, &n) || (version >= 2 && nlp_cursor_get_u32(in, &has_m)))
		goto truncated;
	if (has_m > 1)
		return nlp_err_set(err, NLP_EDATA, "the saved optimizer state is corrupt");
	if (kind != (uint32_t)o->cfg.kind)
		return nlp_err_set(
		        err, NLP_EDATA,
		        "the saved optimizer state is for %s, the configuration says %s: "
		        "resume with the same optimizer",
		        nlp_optim_kind_name((nlp_optim_kind)kind),
		        nlp_optim_kind_name(o->cfg.kind));
	if (steps > (uint64_t)1 << 62)
		return nlp_err_set(err, NLP_EDATA, "the saved optimizer state is corrupt");
	if (n != (uint32_t)o->n)
		return nlp_err_set(err, NLP_EDATA,
		                   "the saved optimizer state has %u stages, the pipeline %d", n,
		                   o->n);
	counts = *in; /* read again once all is checked */
	for (int i = 0; i < o->n; i++) {
		uint64_t c, taken = steps;
		if (nlp_model_cursor_get_u64(in, &c) ||
		    (version >= 3 && nlp_model_cursor_get_u64(in, &taken)))
			goto truncated;
		if (c != o->count[i])
			return nlp_err_set(err, NLP_EDATA,
			                   "the saved optimizer state of stage %d has %llu "
			                   "parameters, the stage %zu",
			                   i, (unsigned long long)c, o->count[i]);
		if (taken > steps)
			return nlp_err_set(err, NLP_EDATA, "the saved optimizer state is corrupt");
	}
	{
		/* All or nothing: check the size first. */
		size_t need = 0;
		for (int i = 0; i < o->n; i++)
			need += o->count[i] * ((o->v[i] ? 1 : 0) + has_m);
		if ((size_t)(in->end - in->p) / 4 < need)
			goto truncated;
	}
	for (int i = 0; i < o->n; i++) {
		uint64_t c, taken = steps;
		nlp_model_cursor_get_u64(&counts, &c);
		if (version >= 3)
			nlp_model_cursor_get_u64(&counts, &taken);
		o->taken[i] = (long)taken;
	}
	for (int i = 0; i < o->n; i++) {
		/* A first moment saved for a run now without momentum is
		 * dropped; one not saved starts at zero. */
		if (has_m && o->m[i])
			nlp_model_cursor_get_f32(in, o->m[i], o->count[i]);
		else if (has_m)
			in->p += o->count[i] * 4;
		if (o->v[i])
			nlp_model_cursor_get_f32(in, o->v[i], o->count[i]);
	}
	o->steps = (long)steps;
	return NLP_OK;
truncated:
	return nlp_err_set(err, NLP_EDATA, "the saved optimizer state is truncated");
}
