/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* mod_toy.c - a test module for model files: a whitespace splitter, a
 * trainable embedding with a vocabulary (saved state + a parameter table)
 * and a trainable mean-pooling linear head with no saved state.  Small and
 * deterministic, so that t_model tests the model file and not the numerics.
 *
 *   toy_split  text -> tokens      option file (PATH): create() opens it
 *   toy_embed  tokens -> sequence  vocabulary from observe; table V x dim
 *   toy_head   sequence -> scores  w: dim x C, b: C; softmax of mean(x) w + b
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/plugin.h>
#include <nlpipe/train.h>

/* ---- toy_split ---- */

static const nlp_option split_options[] = {
        {"file", NLP_OPT_PATH, "", 1, 0, NULL, "a file that create() opens (must exist when set)"},
        {"lower", NLP_OPT_BOOL, "true", 1, 0, NULL, "lower-case ASCII letters"},
        {"note", NLP_OPT_STRING, "", 1, 0, NULL, "any text (unused)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

typedef struct split {
	int lower;
} split;

static int split_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	const char *file = nlp_config_str(cfg, "file");
	split *s;

	if (*file) {
		FILE *f = fopen(file, "r");
		if (!f)
			return nlp_err_set(err, NLP_ECONFIG, "cannot open %s", file);
		fclose(f);
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	s->lower = nlp_config_bool(cfg, "lower");
	*self = s;
	return NLP_OK;
}

static void plain_destroy(void *self)
{
	free(self);
}

static int split_process(void *self, nlp_doc *doc, nlp_err *err)
{
	split *s = self;
	const char *p = doc->text, *end = doc->text + doc->text_len;
	char buf[64];

	while (p < end) {
		size_t n = 0;
		while (p < end && isspace((unsigned char)*p))
			p++;
		while (p < end && !isspace((unsigned char)*p)) {
			if (n < sizeof buf)
				buf[n++] = s->lower ? (char)tolower((unsigned char)*p) : *p;
			p++;
		}
		if (n && nlp_tokens_push(doc->out, buf, n))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

/* ---- toy_embed ---- */

static const nlp_option embed_options[] = {
        {"dim", NLP_OPT_INT, "4", 1, 64, NULL, "vector width"},
        {"pretrained", NLP_OPT_PATH, "", 1, 0, NULL, "ignored; a path option with a default"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

typedef struct embed {
	int dim;
	char **words; /* [V]; 0 is <pad>, 1 is <unk> */
	int V, cap;
	float *w, *g;
	nlp_param_block block;
	float *out; /* T x B x dim workspace */
	size_t out_cap;
} embed;

static int embed_add(embed *e, const char *s, size_t n)
{
	char *c;
	if (e->V == e->cap) {
		int cap = e->cap ? 2 * e->cap : 16;
		char **w = realloc(e->words, (size_t)cap * sizeof *w);
		if (!w)
			return NLP_ENOMEM;
		e->words = w;
		e->cap = cap;
	}
	c = malloc(n + 1);
	if (!c)
		return NLP_ENOMEM;
	memcpy(c, s, n);
	c[n] = '\0';
	e->words[e->V++] = c;
	return NLP_OK;
}

static int embed_find(const embed *e, const char *s)
{
	for (int i = 2; i < e->V; i++)
		if (!strcmp(e->words[i], s))
			return i;
	return -1;
}

static void embed_clear(embed *e)
{
	for (int i = 0; i < e->V; i++)
		free(e->words[i]);
	e->V = 0;
}

static int embed_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	embed *e = calloc(1, sizeof *e);

	if (!e || embed_add(e, "<pad>", 5) || embed_add(e, "<unk>", 5)) {
		if (e)
			embed_clear(e), free(e->words);
		free(e);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	e->dim = (int)nlp_config_int(cfg, "dim");
	*self = e;
	return NLP_OK;
}

static void embed_destroy(void *self)
{
	embed *e = self;
	embed_clear(e);
	free(e->words);
	free(e->w);
	free(e->g);
	free(e->out);
	free(e);
}

static int embed_process(void *self, nlp_doc *doc, nlp_err *err)
{
	embed *e = self;
	for (size_t i = 0; i < doc->in->n; i++) {
		int id = embed_find(e, nlp_token(doc->in, i));
		if (nlp_doc_push_id(doc, id < 0 ? 1 : id))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

static int embed_observe(void *self, const nlp_doc *doc, nlp_err *err)
{
	embed *e = self;
	for (size_t i = 0; i < doc->in->n; i++)
		if (embed_find(e, nlp_token(doc->in, i)) < 0 &&
		    embed_add(e, nlp_token(doc->in, i), doc->in->tlen[i]))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

static int embed_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	embed *e = self;
	size_t n = (size_t)e->V * (size_t)e->dim;

	if (in_dim != 0)
		return nlp_err_set(err, NLP_ECONFIG, "toy_embed must come first");
	free(e->w);
	free(e->g);
	e->w = calloc(n, sizeof *e->w);
	e->g = calloc(n, sizeof *e->g);
	if (!e->w || !e->g)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	e->block = (nlp_param_block){"table", 0, n, 0, e->V, e->dim, NULL, 0};
	*out_dim = e->dim;
	return NLP_OK;
}

static void embed_params(void *self, nlp_params *p)
{
	embed *e = self;
	p->w = e->w;
	p->g = e->g;
	p->count = (size_t)e->V * (size_t)e->dim;
	p->blocks = &e->block;
	p->n_blocks = 1;
}

static void embed_init(void *self, nlp_rng *rng)
{
	embed *e = self;
	for (size_t i = 0; i < (size_t)e->V * (size_t)e->dim; i++)
		e->w[i] = nlp_rng_normal(rng);
}

static int embed_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                         nlp_err *err)
{
	embed *e = self;
	size_t n = (size_t)b->T * (size_t)b->B * (size_t)e->dim;

	if (n > e->out_cap) {
		float *o = realloc(e->out, n * sizeof *o);
		if (!o)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		e->out = o;
		e->out_cap = n;
	}
	for (int t = 0; t < b->T; t++)
		for (int j = 0; j < b->B; j++) {
			int id = b->ids[t * b->B + j];
			float *o = e->out + ((size_t)t * b->B + j) * e->dim;
			if (t >= b->len[j] || id < 0 || id >= e->V)
				memset(o, 0, (size_t)e->dim * sizeof *o);
			else
				memcpy(o, e->w + (size_t)id * e->dim, (size_t)e->dim * sizeof *o);
		}
	*out = (nlp_act){e->out, b->T, b->B, e->dim};
	return NLP_OK;
}

static int embed_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                          nlp_err *err)
{
	return NLP_OK; /* not needed by the model-file tests */
}

static int embed_save(void *self, nlp_buf *out, nlp_err *err)
{
	embed *e = self;
	int rc = nlp_buf_put_u32(out, (uint32_t)e->V);
	for (int i = 0; i < e->V && !rc; i++)
		rc = nlp_buf_put_str(out, e->words[i]);
	return rc ? nlp_err_set(err, rc, "out of memory") : NLP_OK;
}

static int embed_load(void *self, nlp_cursor *in, nlp_err *err)
{
	embed *e = self;
	uint32_t V;

	embed_clear(e);
	if (nlp_cursor_get_u32(in, &V) || V < 2 || V > 1000000)
		return nlp_err_set(err, NLP_EDATA, "toy_embed: bad vocabulary size");
	for (uint32_t i = 0; i < V; i++) {
		const char *s;
		uint32_t n;
		if (nlp_cursor_get_str(in, &s, &n, 64))
			return nlp_err_set(err, NLP_EDATA, "toy_embed: bad word %u", i);
		if (embed_add(e, s, n))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

static const nlp_train_ops embed_train = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = embed_observe,
        .setup = embed_setup,
        .params = embed_params,
        .init = embed_init,
        .forward = embed_forward,
        .backward = embed_backward,
        .save = embed_save,
        .load = embed_load,
};

/* ---- toy_head ---- */

typedef struct head {
	int dim, C;
	float *w, *g; /* [dim * C] weights then [C] bias */
	nlp_param_block blocks[2];
	float *out;
	size_t out_cap;
} head;

static int head_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	*self = calloc(1, sizeof(head));
	return *self ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

static void head_destroy(void *self)
{
	head *h = self;
	free(h->w);
	free(h->g);
	free(h->out);
	free(h);
}

static int head_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	head *h = self;
	size_t n = (size_t)in_dim * (size_t)n_classes + (size_t)n_classes;

	if (in_dim <= 0 || n_classes < 2)
		return nlp_err_set(err, NLP_ECONFIG, "toy_head: needs an input and 2+ classes");
	h->dim = in_dim;
	h->C = n_classes;
	free(h->w);
	free(h->g);
	h->w = calloc(n, sizeof *h->w);
	h->g = calloc(n, sizeof *h->g);
	if (!h->w || !h->g)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	h->blocks[0] = (nlp_param_block){
	        "weight", 0, (size_t)in_dim * n_classes, 1, in_dim, n_classes, NULL, 0};
	h->blocks[1] = (nlp_param_block){
	        "bias", (size_t)in_dim * n_classes, (size_t)n_classes, 0, 0, 0, NULL, 0};
	*out_dim = n_classes;
	return NLP_OK;
}

static void head_params(void *self, nlp_params *p)
{
	head *h = self;
	p->w = h->w;
	p->g = h->g;
	p->count = (size_t)h->dim * h->C + (size_t)h->C;
	p->blocks = h->blocks;
	p->n_blocks = 2;
}

static void head_init(void *self, nlp_rng *rng)
{
	head *h = self;
	for (size_t i = 0; i < (size_t)h->dim * h->C + (size_t)h->C; i++)
		h->w[i] = 0.5f * nlp_rng_normal(rng);
}

static int head_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                        nlp_err *err)
{
	head *h = self;
	size_t n = (size_t)b->B * h->C;

	if (n > h->out_cap) {
		float *o = realloc(h->out, n * sizeof *o);
		if (!o)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		h->out = o;
		h->out_cap = n;
	}
	for (int j = 0; j < b->B; j++) {
		float *o = h->out + (size_t)j * h->C, mx = -INFINITY, sum = 0;
		for (int c = 0; c < h->C; c++) {
			double z = h->w[(size_t)h->dim * h->C + c];
			for (int d = 0; d < h->dim; d++) {
				double m = 0;
				for (int t = 0; t < b->len[j]; t++)
					m += in->x[((size_t)t * b->B + j) * h->dim + d];
				if (b->len[j])
					m /= b->len[j];
				z += m * h->w[(size_t)d * h->C + c];
			}
			o[c] = (float)z;
			mx = o[c] > mx ? o[c] : mx;
		}
		for (int c = 0; c < h->C; c++)
			sum += (o[c] = expf(o[c] - mx));
		for (int c = 0; c < h->C; c++)
			o[c] /= sum;
	}
	*out = (nlp_act){h->out, 1, b->B, h->C};
	return NLP_OK;
}

static int head_loss(void *self, double *loss, const nlp_batch *b, nlp_err *err)
{
	*loss = 0;
	return NLP_OK;
}

static int head_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                         nlp_err *err)
{
	return NLP_OK;
}

/* No save/load: the head has no state besides its parameters. */
static const nlp_train_ops head_train = {
        .struct_size = sizeof(nlp_train_ops),
        .setup = head_setup,
        .params = head_params,
        .init = head_init,
        .forward = head_forward,
        .loss = head_loss,
        .backward = head_backward,
};

/* ---- toy_keep: a document stage with learned state and no parameters:
 * drops the words seen in 2+ training documents' tokens (counted by
 * observe), a list kept by save/load. ---- */

typedef struct keep {
	char **words;
	int *count;
	int n, cap;
} keep;

static int keep_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	*self = calloc(1, sizeof(keep));
	return *self ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

static void keep_clear(keep *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->words[i]);
	k->n = 0;
}

static void keep_destroy(void *self)
{
	keep *k = self;
	keep_clear(k);
	free(k->words);
	free(k->count);
	free(k);
}

static int keep_bump(keep *k, const char *w, int by)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->words[i], w))
			return k->count[i] += by, NLP_OK;
	if (k->n == k->cap) {
		int cap = k->cap ? 2 * k->cap : 16;
		char **nw = realloc(k->words, (size_t)cap * sizeof *nw);
		int *nc = nw ? realloc(k->count, (size_t)cap * sizeof *nc) : NULL;
		if (nw)
			k->words = nw;
		if (!nc)
			return NLP_ENOMEM;
		k->count = nc;
		k->cap = cap;
	}
	if (!(k->words[k->n] = malloc(strlen(w) + 1)))
		return NLP_ENOMEM;
	strcpy(k->words[k->n], w);
	k->count[k->n++] = by;
	return NLP_OK;
}

static int keep_drops(const keep *k, const char *w)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->words[i], w))
			return k->count[i] >= 2;
	return 0;
}

static int keep_process(void *self, nlp_doc *doc, nlp_err *err)
{
	for (size_t i = 0; i < doc->in->n; i++)
		if (!keep_drops(self, nlp_token(doc->in, i)) &&
		    nlp_tokens_push(doc->out, nlp_token(doc->in, i), doc->in->tlen[i]))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

static int keep_observe(void *self, const nlp_doc *doc, nlp_err *err)
{
	for (size_t i = 0; i < doc->in->n; i++)
		if (keep_bump(self, nlp_token(doc->in, i), 1))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	return NLP_OK;
}

static int keep_save(void *self, nlp_buf *out, nlp_err *err)
{
	keep *k = self;
	uint32_t n = 0;
	int rc;

	for (int i = 0; i < k->n; i++)
		n += k->count[i] >= 2;
	rc = nlp_buf_put_u32(out, n);
	for (int i = 0; i < k->n && !rc; i++)
		if (k->count[i] >= 2)
			rc = nlp_buf_put_str(out, k->words[i]);
	return rc ? nlp_err_set(err, rc, "out of memory") : NLP_OK;
}

static int keep_load(void *self, nlp_cursor *in, nlp_err *err)
{
	keep *k = self;
	uint32_t n;

	keep_clear(k);
	if (nlp_cursor_get_u32(in, &n) || n > 100000)
		return nlp_err_set(err, NLP_EDATA, "toy_keep: bad word count");
	for (uint32_t i = 0; i < n; i++) {
		const char *s;
		uint32_t len;
		char w[65];
		if (nlp_cursor_get_str(in, &s, &len, 64))
			return nlp_err_set(err, NLP_EDATA, "toy_keep: bad word %u", i);
		memcpy(w, s, len);
		w[len] = '\0';
		if (keep_bump(k, w, 2))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

static const nlp_train_ops keep_train = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = keep_observe,
        .save = keep_save,
        .load = keep_load,
};

static const nlp_stage_class toy_classes[] = {
        {sizeof(nlp_stage_class), "toy_keep", "drops words seen twice in training (state only)",
         NULL, NLP_KIND_TOKENS, NLP_KIND_TOKENS, keep_create, keep_destroy, keep_process,
         &keep_train, NULL},
        {sizeof(nlp_stage_class), "toy_split", "whitespace splitter", split_options, NLP_KIND_TEXT,
         NLP_KIND_TOKENS, split_create, plain_destroy, split_process, NULL, NULL},
        {sizeof(nlp_stage_class), "toy_embed", "toy embedding", embed_options, NLP_KIND_TOKENS,
         NLP_KIND_SEQUENCE, embed_create, embed_destroy, embed_process, &embed_train, NULL},
        {sizeof(nlp_stage_class), "toy_head", "toy softmax head", NULL, NLP_KIND_SEQUENCE,
         NLP_KIND_SCORES, head_create, head_destroy, NULL, &head_train, NULL},
};

static int toy_init(nlp_registrar *reg, nlp_err *err)
{
	for (size_t i = 0; i < sizeof toy_classes / sizeof *toy_classes; i++) {
		int rc = nlp_register_stage(reg, &toy_classes[i], err);
		if (rc)
			return rc;
	}
	return NLP_OK;
}

NLP_MODULE(toy) = {
        NLP_MODULE_HEADER,  .name = "toy",
        .version = "1.2.3", .description = "model-file test stages",
        .init = toy_init,
};
