/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/head.c - the `softmax` and `sigmoid` heads (see head.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dense.h"
#include "dropout.h"
#include "head.h"

#define HEAD_MAX_LAYERS (HEAD_MAX_HIDDEN + 1)
/* 1: C, n_out; 2: also C tuned thresholds (written only when there are) */
#define HEAD_STATE_VERSION 2

enum head_kind { HEAD_SOFTMAX = 1, HEAD_SIGMOID = 2 };

typedef struct head {
	const char *name;
	enum head_kind kind;
	int multi_label;
	int n_hidden;
	int hidden[HEAD_MAX_HIDDEN];
	enum dense_act act;
	float dropout;
	float threshold;
	float *thresholds_opt; /* [n_thresholds_opt] from the options */
	int n_thresholds_opt;
	int loaded_C; /* from load(), checked by setup; 0 when not loaded */
	float *tuned; /* [n_tuned] thresholds set by set_thresholds or loaded, or NULL */
	int n_tuned;

	/* shapes, after setup */
	int in_dim, C, n_out, L;
	int dims[HEAD_MAX_LAYERS + 1]; /* dims[0] = in_dim ... dims[L] = n_out */
	size_t w_off[HEAD_MAX_LAYERS], b_off[HEAD_MAX_LAYERS];
	float *thresholds; /* [C] */

	/* parameters */
	float *w, *g;
	size_t count;
	nlp_param_block blocks[2 * HEAD_MAX_LAYERS];
	char block_names[2 * HEAD_MAX_LAYERS][32];

	/* workspaces for up to cap_B rows, one allocation */
	float *ws;
	int cap_B;
	float *xd, *mask, *probs, *dz, *g0, *g1, *din, *tgt, *wts;
	size_t act_off[HEAD_MAX_LAYERS];
	dense_ws dws; /* a layer's weights packed, the gradient's workspaces */

	/* the last forward */
	int B;
	const float *x0; /* the first layer's input */
	int dropped;
	int have_loss;
} head;

/* ---- losses ---- */

double softmax_xent(float *probs, float *dlogits, const float *logits, const int *labels,
                    const float *targets, const float *weights, int B, int C)
{
	double total = 0, wsum = 0, scale;

	/* First pass: probabilities, and the weight sum of the mean. */
	for (int i = 0; i < B; i++) {
		const float *z = logits + (size_t)i * C;
		float *p = probs + (size_t)i * C;
		double m = z[0], s = 0;
		for (int c = 1; c < C; c++)
			if (z[c] > m)
				m = z[c];
		for (int c = 0; c < C; c++)
			s += exp((double)z[c] - m);
		double lse = m + log(s);
		for (int c = 0; c < C; c++)
			p[c] = (float)exp((double)z[c] - lse);
		if (labels) {
			double w = weights ? weights[labels[i]] : 1.0;
			total += w * (lse - z[labels[i]]);
			wsum += w;
		} else {
			const float *t = targets + (size_t)i * C;
			for (int c = 0; c < C; c++)
				total += (weights ? weights[c] : 1.0) * t[c] * (lse - z[c]);
			wsum += 1.0;
		}
	}
	scale = wsum > 0 ? 1.0 / wsum : 0.0;
	for (int i = 0; i < B; i++) {
		const float *p = probs + (size_t)i * C;
		float *d = dlogits + (size_t)i * C;
		if (labels) {
			double w = (weights ? weights[labels[i]] : 1.0) * scale;
			for (int c = 0; c < C; c++)
				d[c] = (float)(w * p[c]);
			d[labels[i]] = (float)(w * ((double)p[labels[i]] - 1.0));
		} else {
			/* d/dz_c of -sum_k w_k t_k log p_k = p_c sum_k w_k t_k - w_c t_c */
			const float *t = targets + (size_t)i * C;
			double wt = 0;
			for (int c = 0; c < C; c++)
				wt += (weights ? weights[c] : 1.0) * t[c];
			for (int c = 0; c < C; c++)
				d[c] = (float)(scale *
				               (p[c] * wt - (weights ? weights[c] : 1.0) * t[c]));
		}
	}
	return total * scale;
}

double sigmoid_xent(float *probs, float *dz, const float *z, const float *t, const float *w, int N,
                    double denom)
{
	double total = 0, inv = denom > 0 ? 1.0 / denom : 0.0;

	for (int i = 0; i < N; i++) {
		double x = z[i], p, wi = w ? w[i] : 1.0;
		if (x >= 0) {
			p = 1.0 / (1.0 + exp(-x));
		} else {
			double e = exp(x);
			p = e / (1.0 + e);
		}
		probs[i] = (float)p;
		/* max(x, 0) - x t + log(1 + exp(-|x|)) */
		total += wi * ((x > 0 ? x : 0) - x * t[i] + log1p(exp(-fabs(x))));
		dz[i] = (float)(wi * (p - t[i]) * inv);
	}
	return total * inv;
}

/* ---- options ---- */

static const nlp_option softmax_options[] = {
        {"hidden_layers", NLP_OPT_LIST, "", 0, -1, NULL,
         "widths of dense layers before the output layer, e.g. 256,64"},
        {"activation", NLP_OPT_ENUM, "relu", 0, -1, "relu|tanh", "activation of the hidden layers"},
        {"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL,
         "dropout rate on the head's input (training)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static const nlp_option sigmoid_options[] = {
        {"hidden_layers", NLP_OPT_LIST, "", 0, -1, NULL,
         "widths of dense layers before the output layer, e.g. 256,64"},
        {"activation", NLP_OPT_ENUM, "relu", 0, -1, "relu|tanh", "activation of the hidden layers"},
        {"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL,
         "dropout rate on the head's input (training)"},
        {"multi_label", NLP_OPT_BOOL, "false", 0, -1, NULL,
         "independent outputs even with 2 labels (with more than 2 they always are)"},
        {"threshold", NLP_OPT_FLOAT, "0.5", 0, 1, NULL, "decision threshold of every label"},
        {"thresholds", NLP_OPT_LIST, "", 0, -1, NULL,
         "per-label thresholds, one per label in label order (overrides threshold)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

/* ---- the stage ---- */

static void head_destroy(void *self)
{
	head *h = self;

	if (!h)
		return;
	free(h->thresholds_opt);
	free(h->thresholds);
	free(h->tuned);
	free(h->w);
	free(h->g);
	free(h->ws);
	dense_ws_free(&h->dws);
	free(h);
}

int head_new(void **self, const char *name, const head_opts *o, nlp_err *err)
{
	head *h = calloc(1, sizeof *h);
	int rc = NLP_OK;

	if (!h)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	h->name = name;
	h->kind = o->sigmoid ? HEAD_SIGMOID : HEAD_SOFTMAX;
	h->act = o->tanh ? DENSE_ACT_TANH : DENSE_ACT_RELU;
	h->dropout = o->dropout;
	h->multi_label = o->multi_label;
	h->threshold = o->threshold;
	if (!(h->dropout >= 0.0f && h->dropout < 1.0f)) {
		rc = nlp_err_set(err, NLP_ECONFIG, "dropout must be in [0, 1)");
		goto out;
	}
	if (o->n_hidden < 0 || o->n_hidden > HEAD_MAX_HIDDEN) {
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "hidden_layers lists %d layers; at most %d are supported",
		                 o->n_hidden, HEAD_MAX_HIDDEN);
		goto out;
	}
	for (int i = 0; i < o->n_hidden; i++) {
		if (o->hidden[i] < 1 || o->hidden[i] > 65536) {
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "hidden_layers: width %d is not in 1..65536",
			                 o->hidden[i]);
			goto out;
		}
		h->hidden[h->n_hidden++] = o->hidden[i];
	}
	if (o->n_thresholds > 0) {
		h->thresholds_opt = malloc((size_t)o->n_thresholds * sizeof *h->thresholds_opt);
		if (!h->thresholds_opt) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(h->thresholds_opt, o->thresholds,
		       (size_t)o->n_thresholds * sizeof *h->thresholds_opt);
		h->n_thresholds_opt = o->n_thresholds;
	}
	*self = h;
out:
	if (rc)
		head_destroy(h);
	return rc;
}

/* Options from the validated config -> head_new. */
static int head_create(void **self, const nlp_config *cfg, nlp_err *err, int sigmoid)
{
	const char *name = nlp_config_instance(cfg);
	head_opts o = {.sigmoid = sigmoid};
	const char *const *list;
	float *th = NULL;
	size_t n;
	int rc = NLP_OK;

	nlp_numerics_init(); /* flush-to-zero before our first BLAS call */
	o.tanh = strcmp(nlp_config_str(cfg, "activation"), "tanh") == 0;
	o.dropout = (float)nlp_config_float(cfg, "dropout");
	list = nlp_config_list(cfg, "hidden_layers", &n);
	if (n > HEAD_MAX_HIDDEN)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "hidden_layers lists %zu layers; at most %d are supported", n,
		                   HEAD_MAX_HIDDEN);
	for (size_t i = 0; i < n; i++) {
		char *end;
		long v = strtol(list[i], &end, 10);
		if (end == list[i] || *end || v < 1 || v > 65536)
			return nlp_err_set(err, NLP_ECONFIG,
			                   "hidden_layers: \"%s\" is not a layer width (a whole "
			                   "number from 1 to 65536)",
			                   list[i]);
		o.hidden[o.n_hidden++] = (int)v;
	}
	if (sigmoid) {
		o.multi_label = nlp_config_bool(cfg, "multi_label");
		o.threshold = (float)nlp_config_float(cfg, "threshold");
		list = nlp_config_list(cfg, "thresholds", &n);
		if (n && !(th = malloc(n * sizeof *th)))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			char *end;
			double v = strtod(list[i], &end);
			if (end == list[i] || *end || !(v >= 0 && v <= 1)) {
				rc = nlp_err_set(err, NLP_ECONFIG,
				                 "thresholds: \"%s\" is not a number from 0 to 1",
				                 list[i]);
				goto out;
			}
			th[o.n_thresholds++] = (float)v;
		}
		o.thresholds = th;
	}
	rc = head_new(self, name, &o, err);
out:
	free(th);
	return rc;
}

static int softmax_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	return head_create(self, cfg, err, 0);
}

static int sigmoid_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	return head_create(self, cfg, err, 1);
}

static int head_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	head *h = self;
	size_t off = 0;
	int rc = NLP_OK;

	if (in_dim < 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "a head needs vectors as input (put an encoder before it)");
	if (n_classes < (h->kind == HEAD_SOFTMAX ? 2 : 1))
		return nlp_err_set(err, NLP_EDATA, "%d label(s): a %s head needs at least %d",
		                   n_classes, h->kind == HEAD_SOFTMAX ? "softmax" : "sigmoid",
		                   h->kind == HEAD_SOFTMAX ? 2 : 1);
	if (h->loaded_C && h->loaded_C != n_classes)
		return nlp_err_set(err, NLP_EDATA,
		                   "the model's head has %d outputs but there are %d labels",
		                   h->loaded_C, n_classes);
	if (h->kind == HEAD_SIGMOID && h->n_thresholds_opt && h->n_thresholds_opt != n_classes)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "thresholds has %d values but there are %d labels: give one "
		                   "per label, in label order",
		                   h->n_thresholds_opt, n_classes);
	free(h->w);
	free(h->g);
	free(h->ws);
	free(h->thresholds);
	h->w = h->g = h->ws = h->thresholds = NULL;
	if (h->tuned && h->n_tuned != n_classes) {
		free(h->tuned);
		h->tuned = NULL;
	}
	h->cap_B = 0;

	h->in_dim = in_dim;
	h->C = n_classes;
	h->n_out = h->kind == HEAD_SIGMOID && n_classes == 2 && !h->multi_label ? 1 : n_classes;
	h->L = h->n_hidden + 1;
	h->dims[0] = in_dim;
	for (int l = 0; l < h->n_hidden; l++)
		h->dims[l + 1] = h->hidden[l];
	h->dims[h->L] = h->n_out;
	for (int l = 0; l < h->L; l++) {
		size_t nw = (size_t)h->dims[l] * h->dims[l + 1], nb = (size_t)h->dims[l + 1];
		int last = l == h->L - 1;
		h->w_off[l] = off;
		h->b_off[l] = off + nw;
		if (last) {
			snprintf(h->block_names[2 * l], sizeof h->block_names[0], "out.weight");
			snprintf(h->block_names[2 * l + 1], sizeof h->block_names[0], "out.bias");
		} else {
			snprintf(h->block_names[2 * l], sizeof h->block_names[0], "hidden%d.weight",
			         l);
			snprintf(h->block_names[2 * l + 1], sizeof h->block_names[0],
			         "hidden%d.bias", l);
		}
		/* rows x cols for display (the blocks are dense: no touched list) */
		h->blocks[2 * l] = (nlp_param_block){.name = h->block_names[2 * l],
		                                     .offset = off,
		                                     .count = nw,
		                                     .decay = 1,
		                                     .rows = h->dims[l + 1],
		                                     .cols = h->dims[l]};
		h->blocks[2 * l + 1] = (nlp_param_block){.name = h->block_names[2 * l + 1],
		                                         .offset = off + nw,
		                                         .count = nb,
		                                         .rows = 1,
		                                         .cols = h->dims[l + 1]};
		off += nw + nb;
	}
	h->count = off;
	h->w = calloc(off, sizeof *h->w);
	h->g = nlp_zeros(off);
	h->thresholds = malloc((size_t)n_classes * sizeof *h->thresholds);
	if (!h->w || !h->g || !h->thresholds) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (int c = 0; c < n_classes; c++)
		h->thresholds[c] = h->tuned              ? h->tuned[c]
		                   : h->n_thresholds_opt ? h->thresholds_opt[c]
		                                         : h->threshold;
	*out_dim = n_classes;
out:
	return rc;
}

/* Make room for B rows in the workspaces (grown only). */
static int head_reserve(head *h, int B)
{
	size_t sum_act = 0, maxd = 0, per, o = 0;

	if (B <= h->cap_B)
		return NLP_OK;
	for (int l = 0; l <= h->L; l++)
		if ((size_t)h->dims[l] > maxd)
			maxd = (size_t)h->dims[l];
	for (int l = 0; l < h->L; l++)
		sum_act += (size_t)h->dims[l + 1];
	per = 3 * (size_t)h->in_dim + sum_act + (size_t)h->C + 3 * (size_t)h->n_out + 2 * maxd;
	free(h->ws);
	h->ws = malloc((size_t)B * per * sizeof *h->ws);
	if (!h->ws) {
		h->cap_B = 0;
		return NLP_ENOMEM;
	}
	h->cap_B = B;
#define TAKE(field, n)                                                                             \
	do {                                                                                       \
		h->field = h->ws + o;                                                              \
		o += (size_t)B * (size_t)(n);                                                      \
	} while (0)
	TAKE(xd, h->in_dim);
	TAKE(mask, h->in_dim);
	TAKE(din, h->in_dim);
	TAKE(probs, h->C);
	TAKE(dz, h->n_out);
	TAKE(tgt, h->n_out);
	TAKE(wts, h->n_out);
	TAKE(g0, maxd);
	TAKE(g1, maxd);
#undef TAKE
	for (int l = 0; l < h->L; l++) {
		h->act_off[l] = o;
		o += (size_t)B * (size_t)h->dims[l + 1];
	}
	return NLP_OK;
}

static void head_params(void *self, nlp_params *p)
{
	head *h = self;

	p->w = h->w;
	p->g = h->g;
	p->count = h->count;
	p->blocks = h->blocks;
	p->n_blocks = 2 * h->L;
}

static void head_init(void *self, nlp_rng *rng)
{
	head *h = self;

	/* nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases. */
	for (int l = 0; l < h->L; l++) {
		float bound = 1.0f / sqrtf((float)h->dims[l]);
		size_t n = (size_t)h->dims[l] * h->dims[l + 1] + (size_t)h->dims[l + 1];
		for (size_t i = 0; i < n; i++)
			h->w[h->w_off[l] + i] = bound * (2.0f * nlp_rng_uniform(rng) - 1.0f);
	}
}

static int head_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                        nlp_err *err)
{
	head *h = self;
	const float *x;
	int B = b->B;

	if (!h->w)
		return nlp_err_set(err, NLP_EINTERNAL, "forward before setup");
	if (!in || in->T != 1 || in->B != B || in->D != h->in_dim)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "input is %d x %d x %d, expected 1 x %d x %d", in ? in->T : 0,
		                   in ? in->B : 0, in ? in->D : 0, B, h->in_dim);
	if (head_reserve(h, B))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	x = in->x;
	h->dropped = 0;
	if (b->training && h->dropout > 0.0f) {
		dropout_forward(h->xd, h->mask, x, B * h->in_dim, h->dropout, b->rng);
		x = h->xd;
		h->dropped = 1;
	}
	h->x0 = x;
	for (int l = 0; l < h->L; l++) {
		float *y = h->ws + h->act_off[l];
		if (dense_forward(y, x, h->w + h->w_off[l], h->w + h->b_off[l], B, h->dims[l],
		                  h->dims[l + 1], &h->dws))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		if (l < h->L - 1)
			act_forward(y, y, B * h->dims[l + 1], h->act);
		x = y;
	}
	/* x: logits [B][n_out] -> probabilities [B][C] */
	if (h->kind == HEAD_SOFTMAX) {
		for (int i = 0; i < B; i++) {
			const float *z = x + (size_t)i * h->C;
			float *p = h->probs + (size_t)i * h->C;
			float m = z[0];
			double s = 0;
			for (int c = 1; c < h->C; c++)
				m = z[c] > m ? z[c] : m;
			for (int c = 0; c < h->C; c++)
				s += exp((double)z[c] - m);
			for (int c = 0; c < h->C; c++)
				p[c] = (float)(exp((double)z[c] - m) / s);
		}
	} else {
		for (int i = 0; i < B * h->n_out; i++) {
			double z = x[i];
			float p = (float)(z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z)));
			if (h->n_out == 1) {
				h->probs[2 * i] = 1.0f - p;
				h->probs[2 * i + 1] = p;
			} else {
				h->probs[i] = p;
			}
		}
	}
	h->B = B;
	h->have_loss = 0;
	out->x = h->probs;
	out->T = 1;
	out->B = B;
	out->D = h->C;
	return NLP_OK;
}

static int head_loss(void *self, double *loss, const nlp_batch *b, nlp_err *err)
{
	head *h = self;
	const float *z = h->ws + h->act_off[h->L - 1];
	int B = h->B, C = h->C;

	if (!h->ws || b->B != B)
		return nlp_err_set(err, NLP_EINTERNAL, "loss without a forward of this batch");
	if (!b->labels && !b->targets)
		return nlp_err_set(err, NLP_EINTERNAL, "loss without labels or targets");
	if (b->labels)
		for (int i = 0; i < B; i++)
			if (b->labels[i] < 0 || b->labels[i] >= C)
				return nlp_err_set(err, NLP_EDATA,
				                   "label index %d of document %d is outside "
				                   "0..%d",
				                   b->labels[i], i, C - 1);
	if (h->kind == HEAD_SOFTMAX) {
		*loss = softmax_xent(h->probs, h->dz, z, b->labels, b->targets, b->weights, B, C);
	} else if (h->n_out == 1) {
		for (int i = 0; i < B; i++) {
			float t = b->labels ? (float)b->labels[i] : b->targets[(size_t)i * 2 + 1];
			h->tgt[i] = t;
			if (b->weights)
				h->wts[i] = b->weights[0] * (1.0f - t) + b->weights[1] * t;
		}
		*loss = sigmoid_xent(h->g0, h->dz, z, h->tgt, b->weights ? h->wts : NULL, B, B);
	} else {
		const float *t = b->targets;
		if (!t) {
			memset(h->tgt, 0, (size_t)B * C * sizeof *h->tgt);
			for (int i = 0; i < B; i++)
				h->tgt[(size_t)i * C + b->labels[i]] = 1.0f;
			t = h->tgt;
		}
		if (b->weights)
			for (int i = 0; i < B; i++)
				memcpy(h->wts + (size_t)i * C, b->weights,
				       (size_t)C * sizeof *h->wts);
		*loss = sigmoid_xent(h->g0, h->dz, z, t, b->weights ? h->wts : NULL, B * C,
		                     (double)B * C);
	}
	h->have_loss = 1;
	return NLP_OK;
}

static int head_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                         nlp_err *err)
{
	head *h = self;
	const float *d = h->dz;
	int B = h->B;

	if (!h->have_loss)
		return nlp_err_set(err, NLP_EINTERNAL, "backward without loss");
	for (int l = h->L - 1; l >= 0; l--) {
		const float *x = l == 0 ? h->x0 : h->ws + h->act_off[l - 1];
		float *dx = l == 0 ? h->din : (d == h->g0 ? h->g1 : h->g0);
		if (dense_backward(dx, h->g + h->w_off[l], h->g + h->b_off[l], d, x,
		                   h->w + h->w_off[l], B, h->dims[l], h->dims[l + 1], 0, &h->dws))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		if (l > 0)
			act_backward(dx, dx, h->ws + h->act_off[l - 1], B * h->dims[l], h->act);
		d = dx;
	}
	if (h->dropped)
		dropout_backward(h->din, h->din, h->mask, B * h->in_dim);
	if (din) {
		din->x = h->din;
		din->T = 1;
		din->B = B;
		din->D = h->in_dim;
	}
	return NLP_OK;
}

static int head_save(void *self, nlp_buf *out, nlp_err *err)
{
	head *h = self;
	int rc;

	if ((rc = nlp_buf_put_u32(out, h->tuned ? 2u : 1u)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)h->C)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)h->n_out)))
		return nlp_err_set(err, rc, "out of memory");
	for (int c = 0; h->tuned && c < h->C; c++) {
		uint32_t u;
		memcpy(&u, &h->tuned[c], sizeof u);
		if ((rc = nlp_buf_put_u32(out, u)))
			return nlp_err_set(err, rc, "out of memory");
	}
	return NLP_OK;
}

/* The C tuned thresholds of a version 2 state into h->tuned. */
static int load_tuned(head *h, nlp_cursor *in, uint32_t C, nlp_err *err)
{
	free(h->tuned);
	h->tuned = malloc(C * sizeof *h->tuned);
	h->n_tuned = (int)C;
	if (!h->tuned)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (uint32_t c = 0; c < C; c++) {
		uint32_t u;
		if (nlp_cursor_get_u32(in, &u))
			return nlp_err_set(err, NLP_EDATA, "the saved head state is truncated");
		memcpy(&h->tuned[c], &u, sizeof u);
		if (!(h->tuned[c] >= 0.0f && h->tuned[c] <= 1.0f))
			return nlp_err_set(err, NLP_EDATA, "the saved head state is corrupt");
	}
	return NLP_OK;
}

static int head_load(void *self, nlp_cursor *in, nlp_err *err)
{
	head *h = self;
	uint32_t version, C, n_out;

	if (nlp_cursor_get_u32(in, &version) || nlp_cursor_get_u32(in, &C) ||
	    nlp_cursor_get_u32(in, &n_out))
		return nlp_err_set(err, NLP_EDATA, "the saved head state is truncated");
	if (version < 1 || version > HEAD_STATE_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "head state format %u is not supported (this module reads "
		                   "1 to %d): use a newer nlpipe",
		                   version, HEAD_STATE_VERSION);
	if (C < 1 || C > 1000000 || (n_out != C && !(n_out == 1 && C == 2)))
		return nlp_err_set(err, NLP_EDATA, "the saved head state is corrupt");
	h->loaded_C = (int)C;
	return version == 2 ? load_tuned(h, in, C, err) : NLP_OK;
}

/* Tuned thresholds (nlp_train_ops.set_thresholds). */
static int head_set_thresholds(void *self, const float *th, int n, nlp_err *err)
{
	head *h = self;
	float *v;

	if (h->kind != HEAD_SIGMOID || !h->thresholds)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "a softmax head has no per-label thresholds: use a sigmoid "
		                   "head (type = sigmoid)");
	if (n != h->C)
		return nlp_err_set(err, NLP_EINTERNAL, "%d thresholds for %d labels", n, h->C);
	for (int c = 0; c < n; c++)
		if (!(th[c] >= 0.0f && th[c] <= 1.0f))
			return nlp_err_set(err, NLP_EINTERNAL, "threshold %g is outside 0..1",
			                   (double)th[c]);
	v = realloc(h->tuned, (size_t)n * sizeof *v);
	if (!v)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	memcpy(v, th, (size_t)n * sizeof *v);
	memcpy(h->thresholds, th, (size_t)n * sizeof *v);
	h->tuned = v;
	h->n_tuned = n;
	return NLP_OK;
}

const float *head_thresholds(void *self, int *C)
{
	head *h = self;

	*C = h->C;
	return h->kind == HEAD_SIGMOID ? h->thresholds : NULL;
}

static const float *head_thresholds_op(void *self)
{
	int C;

	return head_thresholds(self, &C);
}

static const nlp_train_ops head_train = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = NULL,
        .setup = head_setup,
        .params = head_params,
        .init = head_init,
        .forward = head_forward,
        .loss = head_loss,
        .backward = head_backward,
        .save = head_save,
        .load = head_load,
        .thresholds = head_thresholds_op,
        .set_thresholds = head_set_thresholds,
};

const nlp_stage_class nn_softmax_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "softmax",
        .summary = "exclusive classes: dense layers, softmax, cross-entropy",
        .options = softmax_options,
        .consumes = NLP_KIND_VECTOR,
        .produces = NLP_KIND_SCORES,
        .create = softmax_create,
        .destroy = head_destroy,
        .process = NULL,
        .train = &head_train,
};

const nlp_stage_class nn_sigmoid_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "sigmoid",
        .summary = "binary or multi-label: dense layers, sigmoid, binary cross-entropy",
        .options = sigmoid_options,
        .consumes = NLP_KIND_VECTOR,
        .produces = NLP_KIND_SCORES,
        .create = sigmoid_create,
        .destroy = head_destroy,
        .process = NULL,
        .train = &head_train,
};
