/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* mod_lmhead.c - a test module: t_next, the plainest next-token head (a
 * full softmax over the vocabulary at every step; it offers tie but never
 * ties), so that the host's language-model training, evaluation and
 * generation are tested apart from the models module's head. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/train.h>

typedef struct nh {
	int I, V; /* input width, vocabulary */
	float *w; /* [V][I] weights, then [V] bias */
	float *g; /* gradient, same layout */
	nlp_param_block blocks[2];
	float *p;       /* [rows][V] probabilities of the last forward */
	float *d;       /* [rows][V] gradient of the logits (loss) */
	float *din;     /* [rows][I] */
	size_t cap;     /* rows allocated */
	const float *x; /* [rows][I] the last forward's input (borrowed) */
	int T, B;
} nh;

static int nh_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	*self = calloc(1, sizeof(nh));
	return *self ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

static void nh_destroy(void *self)
{
	nh *h = self;

	free(h->w);
	free(h->g);
	free(h->p);
	free(h->d);
	free(h->din);
	free(h);
}

static int nh_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	nh *h = self;
	const size_t n = (size_t)n_classes * (size_t)in_dim + (size_t)n_classes;

	if (in_dim < 1 || n_classes < 2)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "needs a sequence in and a vocabulary (%d, %d)", in_dim,
		                   n_classes);
	h->I = in_dim;
	h->V = n_classes;
	h->w = calloc(n, sizeof *h->w);
	h->g = calloc(n, sizeof *h->g);
	if (!h->w || !h->g)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	h->blocks[0] =
	        (nlp_param_block){"w", 0, n - (size_t)n_classes, 1, n_classes, in_dim, NULL, 0};
	h->blocks[1] = (nlp_param_block){
	        "bias", n - (size_t)n_classes, (size_t)n_classes, 0, 0, 0, NULL, 0};
	*out_dim = n_classes;
	return NLP_OK;
}

static void nh_params(void *self, nlp_params *p)
{
	nh *h = self;

	p->w = h->w;
	p->g = h->g;
	p->count = (size_t)h->V * (size_t)h->I + (size_t)h->V;
	p->blocks = h->blocks;
	p->n_blocks = 2;
}

static void nh_init(void *self, nlp_rng *rng)
{
	nh *h = self;

	for (size_t k = 0; k < (size_t)h->V * (size_t)h->I; k++)
		h->w[k] = 0.1f * nlp_rng_normal(rng);
}

static int grow(nh *h, size_t rows)
{
	if (rows <= h->cap)
		return 0;
	free(h->p);
	free(h->d);
	free(h->din);
	h->p = malloc(rows * (size_t)h->V * sizeof *h->p);
	h->d = malloc(rows * (size_t)h->V * sizeof *h->d);
	h->din = malloc(rows * (size_t)h->I * sizeof *h->din);
	h->cap = h->p && h->d && h->din ? rows : 0;
	return h->cap ? 0 : -1;
}

/* p[r][V] = softmax(w x[r] + bias) for the steps t < len[b]; zeros past. */
static int nh_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b, nlp_err *err)
{
	nh *h = self;
	const size_t rows = (size_t)in->T * (size_t)in->B, V = (size_t)h->V, I = (size_t)h->I;

	if (in->D != h->I)
		return nlp_err_set(err, NLP_EINTERNAL, "input width %d, want %d", in->D, h->I);
	if (grow(h, rows ? rows : 1))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t r = 0; r < rows; r++) {
		float *p = h->p + r * V, mx = -INFINITY;
		double sum = 0;
		if ((int)(r / (size_t)in->B) >= b->len[r % (size_t)in->B]) {
			memset(p, 0, V * sizeof *p);
			continue;
		}
		for (size_t v = 0; v < V; v++) {
			float z = h->w[V * I + v];
			for (size_t i = 0; i < I; i++)
				z += h->w[v * I + i] * in->x[r * I + i];
			p[v] = z;
			mx = z > mx ? z : mx;
		}
		for (size_t v = 0; v < V; v++)
			sum += (p[v] = expf(p[v] - mx));
		for (size_t v = 0; v < V; v++)
			p[v] = (float)(p[v] / sum);
	}
	h->x = in->x;
	h->T = in->T;
	h->B = in->B;
	*out = (nlp_act){h->p, in->T, in->B, h->V};
	return NLP_OK;
}

/* Mean cross-entropy over the steps with a next token. */
static int nh_loss(void *self, double *loss, const nlp_batch *b, nlp_err *err)
{
	nh *h = self;
	const size_t rows = (size_t)h->T * (size_t)h->B, V = (size_t)h->V;
	double sum = 0;
	size_t n = 0;

	if (!b->next_ids)
		return nlp_err_set(err, NLP_EINTERNAL, "no next_ids: not a language model batch");
	for (size_t r = 0; r < rows; r++) {
		const int32_t y = b->next_ids[r];
		const int in = (int)(r / (size_t)h->B) < b->len[r % (size_t)h->B];
		for (size_t v = 0; v < V; v++)
			h->d[r * V + v] = in && y >= 0 ? h->p[r * V + v] : 0.0f;
		if (in && y >= 0 && y < h->V) {
			sum -= log(h->p[r * V + (size_t)y] > 1e-30f ? h->p[r * V + (size_t)y]
			                                            : 1e-30);
			h->d[r * V + (size_t)y] -= 1.0f;
			n++;
		}
	}
	for (size_t k = 0; n && k < rows * V; k++)
		h->d[k] /= (float)n;
	*loss = n ? sum / (double)n : 0.0;
	return NLP_OK;
}

static int nh_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                       nlp_err *err)
{
	nh *h = self;
	const size_t rows = (size_t)h->T * (size_t)h->B, V = (size_t)h->V, I = (size_t)h->I;

	memset(h->din, 0, rows * I * sizeof *h->din);
	for (size_t r = 0; r < rows; r++) {
		for (size_t v = 0; v < V; v++) {
			const float d = h->d[r * V + v];
			if (d == 0.0f)
				continue;
			h->g[V * I + v] += d;
			for (size_t i = 0; i < I; i++) {
				h->g[v * I + i] += d * h->x[r * I + i];
				h->din[r * I + i] += d * h->w[v * I + i];
			}
		}
	}
	if (din)
		*din = (nlp_act){h->din, h->T, h->B, h->I};
	return NLP_OK;
}

/* A head over the vocabulary offers tie; this one never ties. */
static int nh_tie(void *self, float *w, float *g, int rows, int cols, int *tied, nlp_err *err)
{
	*tied = 0;
	return NLP_OK;
}

static const nlp_train_ops nh_ops = {
        .struct_size = sizeof(nlp_train_ops),
        .setup = nh_setup,
        .params = nh_params,
        .init = nh_init,
        .forward = nh_forward,
        .loss = nh_loss,
        .backward = nh_backward,
        .tie = nh_tie,
};

static const nlp_stage_class nh_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "t_next",
        .summary = "test next-token head: full softmax, no tying",
        .consumes = NLP_KIND_SEQUENCE,
        .produces = NLP_KIND_SCORES,
        .create = nh_create,
        .destroy = nh_destroy,
        .train = &nh_ops,
};

static int lmhead_init(nlp_registrar *reg, nlp_err *err)
{
	return nlp_register_stage(reg, &nh_class, err);
}

NLP_MODULE(lmhead) = {
        NLP_MODULE_HEADER,   .name = "lmhead",
        .version = "1.0",    .description = "test next-token head",
        .init = lmhead_init,
};
