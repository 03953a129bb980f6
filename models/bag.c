/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/bag.c - the `bag` stage: a bag of words and hashed word and
 * character n-grams, embedded and averaged as fastText does, with sparse
 * gradients and optional NB log-count-ratio weights (Wang & Manning 2012).
 * See bag.h for the features and their hash. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/model.h>

#include "bag.h"
#include "blas.h"
#include "dropout.h"
#include "vocab.h"

#define BAG_STATE_VERSION 1
#define BAG_MAX_ROWS      ((size_t)INT32_MAX)

typedef struct bag {
	const char *name; /* instance name, for messages */
	bag_opts o;

	vocab counts; /* observe() */
	vocab words;  /* the frozen vocabulary */
	int frozen;
	int loaded; /* state came from load() */

	/* NB counts while observing: per class, documents holding each
	 * feature; [row][ccap] for the counted words (ids of `counts`) and
	 * the buckets. */
	uint32_t *cw, *cb;
	size_t cw_rows;
	int ccap;
	uint32_t *stamp_w, *stamp_b; /* last document (1-based) that counted a feature */
	uint32_t n_docs;
	uint32_t n_labelled; /* documents counted per class */
	float *nbw;          /* [rows] weights, nb or idf on, after setup or load */

	/* parameters: table[rows][dim] */
	size_t V, rows;
	float *w, *g;
	nlp_param_block blocks[2]; /* the words' rows, the buckets' rows */
	int32_t *touched;          /* [rows] rows with gradient, in order */
	int32_t *split;            /* [rows] the same by block: words from 0, buckets from V */
	int n_touched;
	unsigned char *mark; /* [rows] */

	/* features of one document (process, observe) */
	uint32_t *wtok; /* token indices of the words */
	uint32_t *hb;   /* buckets of the n-grams */
	size_t n_wtok, n_hb, cap_wtok, cap_hb;
	char *scratch;
	uint32_t *cpos; /* code point starts in scratch */
	size_t cap_scratch, cap_cpos;
	int32_t *seen; /* set of ids (binary): open addressing, -1 empty */
	size_t cap_seen;

	/* workspaces, grown, never shrunk */
	float *out, *mask, *zinv, *dmask;
	size_t cap_out;
	int cap_b;
	int dropped;
} bag;

/* ---- layers ---- */

/* Features a document's loop asks the memory for ahead of their use: its
 * rows are scattered over a table of millions (and their NB weights), so
 * the loop waits on memory, not on its additions. */
#define BAG_AHEAD 16
#if defined(__GNUC__)
#define BAG_PREFETCH(p) __builtin_prefetch(p)
#else
#define BAG_PREFETCH(p) ((void)(p))
#endif

void bag_forward(float *out, float *zinv, const float *table, const float *wt, const int32_t *ids,
                 const int *len, int T, int B, int D)
{
	/* document by document, each one's features in order: the additions
	 * of every sum in the order of t */
	for (int b = 0; b < B; b++) {
		float *o = out + (size_t)b * D, z = 0.0f;
		const int n = len[b] < T ? len[b] : T;
		memset(o, 0, (size_t)D * sizeof *o);
		for (int t = 0; t < n; t++) {
			if (t + BAG_AHEAD < n) {
				const int32_t a = ids[(size_t)(t + BAG_AHEAD) * B + b];
				BAG_PREFETCH(table + (size_t)a * D);
				BAG_PREFETCH(table + (size_t)a * D + D - 1);
				if (wt)
					BAG_PREFETCH(wt + a);
			}
			const int32_t id = ids[(size_t)t * B + b];
			const float *row = table + (size_t)id * D;
			if (id == VOCAB_PAD)
				continue;
			const float s = wt ? wt[id] : 1.0f;
			z += s;
			for (int d = 0; d < D; d++)
				o[d] += s * row[d];
		}
		zinv[b] = z > 0.0f ? 1.0f / z : 0.0f;
		for (int d = 0; d < D; d++)
			o[d] *= zinv[b];
	}
}

void bag_backward(float *dtable, int32_t *touched, int *n_touched, unsigned char *mark,
                  const float *dout, const float *zinv, const float *wt, const int32_t *ids,
                  const int *len, int T, int B, int D)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			int32_t id = ids[(size_t)t * B + b];
			const float *dy = dout + (size_t)b * D;
			float *row = dtable + (size_t)id * D, s;
			if (t >= len[b] || id == VOCAB_PAD)
				continue;
			if (!mark[id]) {
				mark[id] = 1;
				touched[(*n_touched)++] = id;
			}
			s = (wt ? wt[id] : 1.0f) * zinv[b];
			for (int d = 0; d < D; d++)
				row[d] += s * dy[d];
		}
}

/* ---- features ---- */

static int push_bucket(bag *g, uint64_t h)
{
	if (g->n_hb == g->cap_hb && nlp_grow(&g->hb, &g->cap_hb, g->n_hb + 1, sizeof *g->hb))
		return NLP_ENOMEM;
	g->hb[g->n_hb++] = (uint32_t)(h % (uint64_t)g->o.buckets);
	return NLP_OK;
}

/* The character n-grams of token s[0..len), written <s>. */
static int char_ngrams(bag *g, const char *s, size_t len)
{
	size_t nb = len + 2, nc = 0;

	if (nlp_grow(&g->scratch, &g->cap_scratch, nb, 1) ||
	    nlp_grow(&g->cpos, &g->cap_cpos, nb + 1, sizeof *g->cpos))
		return NLP_ENOMEM;
	g->scratch[0] = '<';
	memcpy(g->scratch + 1, s, len);
	g->scratch[nb - 1] = '>';
	for (size_t i = 0; i < nb; i++)
		if (((unsigned char)g->scratch[i] & 0xC0) != 0x80)
			g->cpos[nc++] = (uint32_t)i;
	g->cpos[nc] = (uint32_t)nb;
	for (size_t i = 0; i < nc; i++)
		for (size_t n = (size_t)g->o.minn; n <= (size_t)g->o.maxn && i + n <= nc; n++) {
			/* not the lone marks < and > */
			if (n == 1 && (i == 0 || i + 1 == nc))
				continue;
			if (push_bucket(g, bag_fnv1a(g->scratch + g->cpos[i],
			                             g->cpos[i + n] - g->cpos[i], BAG_FNV_OFFSET)))
				return NLP_ENOMEM;
		}
	return NLP_OK;
}

/* The features of a token list: word positions in wtok, n-gram buckets in
 * hb (see bag.h for the order). */
static int features(bag *g, const nlp_tokens *t)
{
	size_t n = t->n;
	static const unsigned char sep = 0xFF;

	if (g->o.max_tokens > 0 && n > (size_t)g->o.max_tokens)
		n = (size_t)g->o.max_tokens;
	g->n_wtok = g->n_hb = 0;
	if (nlp_grow(&g->wtok, &g->cap_wtok, n, sizeof *g->wtok))
		return NLP_ENOMEM;
	for (size_t i = 0; i < n; i++)
		g->wtok[g->n_wtok++] = (uint32_t)i;
	for (size_t k = 2; k <= (size_t)g->o.ngrams; k++)
		for (size_t i = 0; i + k <= n; i++) {
			uint64_t h = BAG_FNV_OFFSET;
			for (size_t j = 0; j < k; j++) {
				if (j)
					h = bag_fnv1a(&sep, 1, h);
				h = bag_fnv1a(nlp_token(t, i + j), t->tlen[i + j], h);
			}
			if (push_bucket(g, h))
				return NLP_ENOMEM;
		}
	for (size_t i = 0; g->o.maxn > 0 && i < n; i++)
		if (char_ngrams(g, nlp_token(t, i), t->tlen[i]))
			return NLP_ENOMEM;
	return NLP_OK;
}

/* Keep the first occurrence of each id in ids[0..*n) (binary features). */
static int dedupe(bag *g, int32_t *ids, size_t *n)
{
	size_t want = 16, mask, k = 0;

	while (want < 2 * *n)
		want *= 2;
	if (nlp_grow(&g->seen, &g->cap_seen, want, sizeof *g->seen))
		return NLP_ENOMEM;
	memset(g->seen, 0xff, want * sizeof *g->seen);
	mask = want - 1;
	for (size_t i = 0; i < *n; i++) {
		size_t s = ((uint32_t)ids[i] * 0x9E3779B1u) & mask;
		while (g->seen[s] >= 0 && g->seen[s] != ids[i])
			s = (s + 1) & mask;
		if (g->seen[s] == ids[i])
			continue;
		g->seen[s] = ids[i];
		ids[k++] = ids[i];
	}
	*n = k;
	return NLP_OK;
}

/* ---- the stage ---- */

static const nlp_option bag_options[] = {
        {"dim", NLP_OPT_INT, "10", 1, 4096, NULL, "width of the feature vectors"},
        {"ngrams", NLP_OPT_INT, "2", 1, 8, NULL,
         "longest word n-gram (1: words only, 2: and bigrams, ...)"},
        {"minn", NLP_OPT_INT, "0", 0, 32, NULL,
         "shortest character n-gram of a word, in code points (with maxn; 0: none)"},
        {"maxn", NLP_OPT_INT, "0", 0, 32, NULL,
         "longest character n-gram of a word written <word> (0: no character n-grams)"},
        {"buckets", NLP_OPT_INT, "2000000", 1, 100000000, NULL,
         "hash buckets shared by the word and character n-grams"},
        {"min_count", NLP_OPT_INT, "1", 1, 1e9, NULL,
         "keep words seen at least this many times in the training data"},
        {"max_size", NLP_OPT_INT, "0", 0, 1e8, NULL,
         "largest word vocabulary, <pad> and <unk> included (0: no limit)"},
        {"max_tokens", NLP_OPT_INT, "0", 0, 1e9, NULL,
         "use only the first N tokens of a document (0: all)"},
        {"binary", NLP_OPT_BOOL, "false", 0, -1, NULL,
         "count each word or n-gram once per document"},
        {"nb", NLP_OPT_ENUM, "off", 0, -1, "off|on",
         "weigh each feature by its NB log-count ratio learned from the training data"},
        {"nb_alpha", NLP_OPT_FLOAT, "1", 1e-6, 1e6, NULL, "smoothing of the NB counts"},
        {"idf", NLP_OPT_BOOL, "false", 0, -1, NULL,
         "weigh each feature by its inverse document frequency in the training data "
         "(times its NB weight with nb = on)"},
        {"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL, "dropout rate on the output (training)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static void bag_free_counts(bag *g)
{
	vocab_free(&g->counts);
	vocab_init(&g->counts);
	free(g->cw);
	free(g->cb);
	free(g->stamp_w);
	free(g->stamp_b);
	g->cw = g->cb = g->stamp_w = g->stamp_b = NULL;
	g->cw_rows = 0;
	g->ccap = 0;
}

static void bag_free_params(bag *g)
{
	free(g->w);
	free(g->g);
	free(g->touched);
	free(g->split);
	free(g->mark);
	g->w = g->g = NULL;
	g->touched = g->split = NULL;
	g->mark = NULL;
	g->n_touched = 0;
	g->rows = 0;
}

static void bag_destroy(void *self)
{
	bag *g = self;

	if (!g)
		return;
	bag_free_counts(g);
	vocab_free(&g->words);
	bag_free_params(g);
	free(g->nbw);
	free(g->wtok);
	free(g->hb);
	free(g->scratch);
	free(g->cpos);
	free(g->seen);
	free(g->out);
	free(g->mask);
	free(g->zinv);
	free(g->dmask);
	free(g);
}

static int check_opts(const bag_opts *o, nlp_err *err)
{
	if (o->dim < 1 || o->dim > 4096)
		return nlp_err_set(err, NLP_ECONFIG, "dim = %d: use 1 to 4096", o->dim);
	if (o->ngrams < 1 || o->ngrams > 8)
		return nlp_err_set(err, NLP_ECONFIG, "ngrams = %d: use 1 (words only) to 8",
		                   o->ngrams);
	if (o->maxn > 0 && (o->minn < 1 || o->minn > o->maxn))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "minn = %d, maxn = %d: character n-grams need 1 <= minn <= "
		                   "maxn (e.g. minn = 3, maxn = 6), or maxn = 0 for none",
		                   o->minn, o->maxn);
	if (o->maxn == 0 && o->minn > 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "minn = %d without maxn: set maxn (e.g. maxn = 6) for character "
		                   "n-grams, or leave minn out",
		                   o->minn);
	if (o->buckets < 1 || o->buckets > 100000000)
		return nlp_err_set(err, NLP_ECONFIG, "buckets = %ld: use 1 to 100000000",
		                   o->buckets);
	if (!(o->dropout >= 0.0f && o->dropout < 1.0f))
		return nlp_err_set(err, NLP_ECONFIG, "dropout must be in [0, 1)");
	if (o->nb && !(o->nb_alpha > 0))
		return nlp_err_set(err, NLP_ECONFIG, "nb_alpha = %g: it must be positive",
		                   o->nb_alpha);
	return NLP_OK;
}

int bag_new(void **self, const char *name, const bag_opts *o, nlp_err *err)
{
	bag *g;
	int rc = check_opts(o, err);

	if (rc)
		return rc;
	g = calloc(1, sizeof *g);
	if (!g)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	g->name = name;
	g->o = *o;
	if (g->o.min_count < 1)
		g->o.min_count = 1;
	vocab_init(&g->counts);
	vocab_init(&g->words);
	*self = g;
	return NLP_OK;
}

static int bag_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	bag_opts o = {
	        .dim = (int)nlp_config_int(cfg, "dim"),
	        .ngrams = (int)nlp_config_int(cfg, "ngrams"),
	        .minn = (int)nlp_config_int(cfg, "minn"),
	        .maxn = (int)nlp_config_int(cfg, "maxn"),
	        .buckets = nlp_config_int(cfg, "buckets"),
	        .min_count = nlp_config_int(cfg, "min_count"),
	        .max_size = nlp_config_int(cfg, "max_size"),
	        .max_tokens = nlp_config_int(cfg, "max_tokens"),
	        .binary = nlp_config_bool(cfg, "binary"),
	        .nb = strcmp(nlp_config_str(cfg, "nb"), "on") == 0,
	        .nb_alpha = nlp_config_float(cfg, "nb_alpha"),
	        .idf = nlp_config_bool(cfg, "idf"),
	        .dropout = (float)nlp_config_float(cfg, "dropout"),
	};

	return bag_new(self, nlp_config_instance(cfg), &o, err);
}

/* Whether the table has bucket rows at all. */
static int has_buckets(const bag *g)
{
	return g->o.ngrams > 1 || g->o.maxn > 0;
}

const float *bag_weights(void *self)
{
	return ((bag *)self)->nbw;
}

static int bag_process(void *self, nlp_doc *doc, nlp_err *err)
{
	bag *g = self;
	const nlp_tokens *t = doc->in;
	size_t start = doc->n_ids;
	int rc = NLP_OK;

	if (!g->frozen)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "token lookup before the vocabulary was built (setup or "
		                   "load must come first)");
	if (!t)
		return NLP_OK;
	if ((rc = features(g, t)))
		goto out;
	for (size_t i = 0; i < g->n_wtok && !rc; i++) {
		uint32_t k = g->wtok[i];
		int32_t id = vocab_find(&g->words, nlp_token(t, k), t->tlen[k]);
		if (id > VOCAB_UNK)
			rc = nlp_doc_push_id(doc, id);
	}
	for (size_t i = 0; i < g->n_hb && !rc; i++)
		rc = nlp_doc_push_id(doc, (int32_t)(g->V + g->hb[i]));
	if (!rc && g->o.binary) {
		size_t n = doc->n_ids - start;
		rc = dedupe(g, doc->ids + start, &n);
		doc->n_ids = start + n;
	}
out:
	return rc ? nlp_err_set(err, NLP_ENOMEM, "out of memory") : NLP_OK;
}

/* Make room for class `label` in the NB counts: columns grow by doubling,
 * rows keep their counts. */
static int nb_classes(bag *g, int label)
{
	int cap = g->ccap ? g->ccap : 2;
	uint32_t *cw = NULL, *cb = NULL;
	size_t nbk = (size_t)g->o.buckets;

	while (cap <= label)
		cap *= 2;
	if (cap == g->ccap)
		return NLP_OK;
	cb = has_buckets(g) ? calloc(nbk * (size_t)cap, sizeof *cb) : NULL;
	cw = g->cw_rows ? calloc(g->cw_rows * (size_t)cap, sizeof *cw) : NULL;
	if ((has_buckets(g) && !cb) || (g->cw_rows && !cw)) {
		free(cb);
		free(cw);
		return NLP_ENOMEM;
	}
	for (size_t r = 0; g->ccap && cb && r < nbk; r++)
		memcpy(cb + r * (size_t)cap, g->cb + r * (size_t)g->ccap,
		       (size_t)g->ccap * sizeof *cb);
	for (size_t r = 0; g->ccap && cw && r < g->cw_rows; r++)
		memcpy(cw + r * (size_t)cap, g->cw + r * (size_t)g->ccap,
		       (size_t)g->ccap * sizeof *cw);
	free(g->cb);
	free(g->cw);
	g->cb = cb;
	g->cw = cw;
	g->ccap = cap;
	if (has_buckets(g) && !g->stamp_b && !(g->stamp_b = calloc(nbk, sizeof *g->stamp_b)))
		return NLP_ENOMEM;
	return NLP_OK;
}

/* Make room for word row r of the NB counts. */
static int nb_word_rows(bag *g, size_t r)
{
	size_t rows = g->cw_rows ? g->cw_rows : 1024;
	uint32_t *cw, *st;

	if (r < g->cw_rows)
		return NLP_OK;
	while (rows <= r)
		rows *= 2;
	cw = realloc(g->cw, rows * (size_t)g->ccap * sizeof *cw);
	if (!cw)
		return NLP_ENOMEM;
	g->cw = cw;
	st = realloc(g->stamp_w, rows * sizeof *st);
	if (!st)
		return NLP_ENOMEM;
	g->stamp_w = st;
	memset(cw + g->cw_rows * (size_t)g->ccap, 0,
	       (rows - g->cw_rows) * (size_t)g->ccap * sizeof *cw);
	memset(st + g->cw_rows, 0, (rows - g->cw_rows) * sizeof *st);
	g->cw_rows = rows;
	return NLP_OK;
}

/* Count the document's words, and with nb or idf its features (once a
 * document): per class for nb, in one column for idf alone (it needs only
 * the document frequency). */
static int observe_counts(bag *g, const nlp_tokens *t, int label)
{
	int counting = (g->o.nb || g->o.idf) && label >= 0, rc;

	if ((rc = features(g, t)))
		return rc;
	g->n_docs++;
	if (!g->o.nb)
		label = 0;
	if (counting && (rc = nb_classes(g, label)))
		return rc;
	g->n_labelled += counting ? 1 : 0;
	for (size_t i = 0; i < g->n_wtok; i++) {
		uint32_t k = g->wtok[i];
		int32_t r;
		if ((rc = vocab_count(&g->counts, nlp_token(t, k), t->tlen[k], 1)))
			return rc;
		if (!counting)
			continue;
		r = vocab_find(&g->counts, nlp_token(t, k), t->tlen[k]);
		if ((rc = nb_word_rows(g, (size_t)r)))
			return rc;
		if (g->stamp_w[r] != g->n_docs) {
			g->stamp_w[r] = g->n_docs;
			g->cw[(size_t)r * (size_t)g->ccap + (size_t)label]++;
		}
	}
	for (size_t i = 0; counting && i < g->n_hb; i++) {
		uint32_t b = g->hb[i];
		if (g->stamp_b[b] != g->n_docs) {
			g->stamp_b[b] = g->n_docs;
			g->cb[(size_t)b * (size_t)g->ccap + (size_t)label]++;
		}
	}
	return NLP_OK;
}

static int bag_observe(void *self, const nlp_doc *doc, nlp_err *err)
{
	bag *g = self;
	const nlp_tokens *t = doc->in ? doc->in : doc->out;
	int rc;

	if (g->frozen)
		return nlp_err_set(err, NLP_EINTERNAL, "observe after the vocabulary was built");
	if (!t)
		return NLP_OK;
	rc = observe_counts(g, t, doc->label);
	if (rc)
		return nlp_err_set(err, rc, "%s",
		                   rc == NLP_ENOMEM ? "out of memory counting features"
		                                    : "vocabulary too large");
	return NLP_OK;
}

/* The counts per class of row f of the table (0 for unseen features). */
static const uint32_t *nb_row(const bag *g, size_t f, const uint32_t *zero)
{
	if (f >= g->V)
		return g->cb + (f - g->V) * (size_t)g->ccap;
	if (f > VOCAB_UNK) {
		int32_t r = vocab_find(&g->counts, vocab_word(&g->words, f), g->words.len[f]);
		if (r >= 0 && (size_t)r < g->cw_rows)
			return g->cw + (size_t)r * (size_t)g->ccap;
	}
	return zero;
}

/* Feature weights from the counts.  NB: for each class c one-vs-rest
 * r_c = log((a + n_c) / |p_c|) - log((a + n - n_c) / |q_c|) (n_c: training
 * documents of class c holding the feature, n: of any class; |p_c|, |q_c|:
 * the L1 norms over all features), the weight max_c |r_c|.  IDF (smoothed,
 * as scikit-learn's): 1 + log((1 + N) / (1 + n)), N the labelled training
 * documents.  With both, their product. */
static int feature_weights(bag *g, nlp_err *err)
{
	const double a = g->o.nb_alpha, F = (double)g->rows, N = (double)g->n_labelled;
	const int C = g->ccap;
	uint32_t *zero = calloc((size_t)C, sizeof *zero);
	double *S = calloc((size_t)C, sizeof *S), T = 0;
	int rc = NLP_OK;

	g->nbw = malloc(g->rows * sizeof *g->nbw);
	nk_advise_huge(g->nbw, g->rows * sizeof *g->nbw); /* read at random, as the table */
	if (!zero || !S || !g->nbw) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory for the feature weights");
		goto out;
	}
	for (size_t f = 0; f < g->rows; f++) {
		const uint32_t *n = nb_row(g, f, zero);
		for (int c = 0; c < C; c++)
			S[c] += n[c];
	}
	for (int c = 0; c < C; c++)
		T += S[c];
	for (size_t f = 0; f < g->rows; f++) {
		const uint32_t *n = nb_row(g, f, zero);
		double tot = 0, nbw = 0, wgt = 1;
		for (int c = 0; c < C; c++)
			tot += n[c];
		for (int c = 0; g->o.nb && c < C; c++) {
			double p = (a + n[c]) / (a * F + S[c]);
			double q = (a + tot - n[c]) / (a * F + T - S[c]);
			double r = fabs(log(p) - log(q));
			if (r > nbw)
				nbw = r;
		}
		if (g->o.nb)
			wgt = nbw;
		if (g->o.idf)
			wgt *= 1.0 + log((1.0 + N) / (1.0 + tot));
		g->nbw[f] = f > VOCAB_UNK ? (float)wgt : 0.0f;
	}
out:
	free(zero);
	free(S);
	return rc;
}

static int bag_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	bag *g = self;
	size_t n;
	int rc;

	(void)in_dim;
	(void)n_classes;
	bag_free_params(g);
	if (!g->frozen) {
		rc = vocab_freeze(&g->words, &g->counts, (uint64_t)g->o.min_count,
		                  g->o.max_size > 0 ? (size_t)g->o.max_size : 0);
		if (rc)
			return nlp_err_set(err, rc, "out of memory building the vocabulary");
		g->frozen = 1;
		if (g->words.n <= 2 && !has_buckets(g))
			return nlp_err_set(err, NLP_EDATA,
			                   "the vocabulary is empty: no training token was seen "
			                   "at least min_count = %ld times",
			                   g->o.min_count);
	}
	g->V = g->words.n;
	g->rows = g->V + (has_buckets(g) ? (size_t)g->o.buckets : 0);
	if (g->rows > BAG_MAX_ROWS)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%zu words and %ld buckets: more than 2^31 rows; lower buckets "
		                   "or max_size",
		                   g->V, g->o.buckets);
	if ((g->o.nb || g->o.idf) && !g->nbw) {
		if (!g->ccap)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "%s, but no labelled training document was observed",
			                   g->o.nb ? "nb = on" : "idf = true");
		if ((rc = feature_weights(g, err)))
			return rc;
	}
	bag_free_counts(g);
	n = g->rows * (size_t)g->o.dim;
	g->w = malloc(n * sizeof *g->w);
	nk_advise_huge(g->w, n * sizeof *g->w); /* rows read at random */
	g->g = calloc(n, sizeof *g->g);
	g->touched = malloc(g->rows * sizeof *g->touched);
	g->split = malloc(g->rows * sizeof *g->split);
	g->mark = calloc(g->rows, 1);
	if (!g->w || !g->g || !g->touched || !g->split || !g->mark) {
		rc = nlp_err_set(err, NLP_ENOMEM,
		                 "out of memory for a %zu x %d table (%zu words, %ld buckets): "
		                 "lower buckets or dim",
		                 g->rows, g->o.dim, g->V, g->o.buckets);
		bag_free_params(g);
		return rc;
	}
	g->blocks[0] = (nlp_param_block){.name = "words",
	                                 .count = g->V * (size_t)g->o.dim,
	                                 .rows = (int)g->V,
	                                 .cols = g->o.dim,
	                                 .touched = g->split};
	g->blocks[1] = (nlp_param_block){.name = "buckets",
	                                 .offset = g->V * (size_t)g->o.dim,
	                                 .count = (g->rows - g->V) * (size_t)g->o.dim,
	                                 .rows = (int)(g->rows - g->V),
	                                 .cols = g->o.dim,
	                                 .touched = g->split + g->V};
	*out_dim = g->o.dim;
	return NLP_OK;
}

static void bag_params(void *self, nlp_params *p)
{
	bag *g = self;

	p->w = g->w;
	p->g = g->g;
	p->count = g->rows * (size_t)g->o.dim;
	p->blocks = g->blocks;
	p->n_blocks = has_buckets(g) ? 2 : 1;
}

/* Uniform in [-1/dim, 1/dim] as fastText; the <pad> row zero.  (setup
 * leaves the table unwritten: a loaded model's parameters fill it.) */
static void bag_init(void *self, nlp_rng *rng)
{
	bag *g = self;
	const float a = 1.0f / (float)g->o.dim;

	memset(g->w, 0, (size_t)g->o.dim * sizeof *g->w);
	for (size_t i = (size_t)g->o.dim; i < g->rows * (size_t)g->o.dim; i++)
		g->w[i] = a * (2.0f * nlp_rng_uniform(rng) - 1.0f);
}

static int bag_workspace(bag *g, int B, nlp_err *err)
{
	size_t n = (size_t)B * (size_t)g->o.dim;

	if (n > g->cap_out) {
		float *o = realloc(g->out, n * sizeof *o), *m, *d;
		if (o)
			g->out = o;
		m = o ? realloc(g->mask, n * sizeof *m) : NULL;
		if (m)
			g->mask = m;
		d = m ? realloc(g->dmask, n * sizeof *d) : NULL;
		if (!d)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		g->dmask = d;
		g->cap_out = n;
	}
	if (B > g->cap_b) {
		float *z = realloc(g->zinv, (size_t)B * sizeof *z);
		if (!z)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		g->zinv = z;
		g->cap_b = B;
	}
	return NLP_OK;
}

static int bag_fwd(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b, nlp_err *err)
{
	bag *g = self;
	int rc;

	(void)in;
	if (!g->w)
		return nlp_err_set(err, NLP_EINTERNAL, "forward before setup");
	for (int t = 0; t < b->T; t++)
		for (int k = 0; k < b->B; k++) {
			int32_t id = b->ids[(size_t)t * b->B + k];
			if (t < b->len[k] && (id < 0 || (size_t)id >= g->rows))
				return nlp_err_set(
				        err, NLP_EDATA,
				        "feature id %ld at step %d, document %d is outside "
				        "the table (0..%zu)",
				        (long)id, t, k, g->rows - 1);
		}
	if ((rc = bag_workspace(g, b->B, err)))
		return rc;
	bag_forward(g->out, g->zinv, g->w, g->nbw, b->ids, b->len, b->T, b->B, g->o.dim);
	g->dropped = 0;
	if (b->training) {
		for (int i = 0; i < g->n_touched; i++)
			g->mark[g->touched[i]] = 0;
		g->n_touched = 0;
		g->blocks[0].n_touched = g->blocks[1].n_touched = 0;
		if (g->o.dropout > 0.0f) {
			dropout_forward(g->out, g->mask, g->out, b->B * g->o.dim, g->o.dropout,
			                b->rng);
			g->dropped = 1;
		}
	}
	out->x = g->out;
	out->T = 1;
	out->B = b->B;
	out->D = g->o.dim;
	return NLP_OK;
}

static int bag_bwd(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b, nlp_err *err)
{
	bag *g = self;
	const float *dy;

	if (din) {
		din->x = NULL;
		din->T = b->T;
		din->B = b->B;
		din->D = 0;
	}
	if (!dout || dout->T != 1 || dout->B != b->B || dout->D != g->o.dim)
		return nlp_err_set(err, NLP_EINTERNAL, "backward: gradient shape mismatch");
	dy = dout->x;
	if (g->dropped) {
		dropout_backward(g->dmask, dout->x, g->mask, b->B * g->o.dim);
		dy = g->dmask;
	}
	bag_backward(g->g, g->touched, &g->n_touched, g->mark, dy, g->zinv, g->nbw, b->ids, b->len,
	             b->T, b->B, g->o.dim);
	/* the touched rows by block, in the order they came */
	g->blocks[0].n_touched = g->blocks[1].n_touched = 0;
	for (int i = 0; i < g->n_touched; i++) {
		size_t r = (size_t)g->touched[i];
		if (r < g->V)
			g->split[g->blocks[0].n_touched++] = (int32_t)r;
		else
			g->split[g->V + (size_t)g->blocks[1].n_touched++] = (int32_t)(r - g->V);
	}
	return NLP_OK;
}

/* State: version, the shape options (checked on load), the vocabulary
 * (0 words before setup), then 1 and the weights of every row (nb, idf or
 * both), or 0. */
static int bag_save(void *self, nlp_buf *out, nlp_err *err)
{
	bag *g = self;
	int rc;

	if ((rc = nlp_buf_put_u32(out, BAG_STATE_VERSION)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)g->o.dim)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)g->o.ngrams)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)g->o.minn)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)g->o.maxn)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)g->o.buckets)) ||
	    (rc = nlp_buf_put_u32(out, g->frozen ? (uint32_t)g->words.n : 0)))
		goto out;
	if ((g->frozen && (rc = vocab_put(out, &g->words))) ||
	    (rc = nlp_buf_put_u32(out, g->nbw ? 1 : 0)))
		goto out;
	if (g->nbw)
		rc = nlp_model_buf_put_f32(
		        out, g->nbw, g->words.n + (has_buckets(g) ? (size_t)g->o.buckets : 0));
out:
	if (rc)
		nlp_err_set(err, rc, "out of memory saving the vocabulary");
	return rc;
}

static int bag_load(void *self, nlp_cursor *in, nlp_err *err)
{
	bag *g = self;
	uint32_t v[7], has_nb;
	size_t rows;
	int rc = NLP_OK;

	vocab_free(&g->words);
	vocab_init(&g->words);
	free(g->nbw);
	g->nbw = NULL;
	g->frozen = 0;
	for (int i = 0; i < 7; i++)
		if (nlp_cursor_get_u32(in, &v[i]))
			return nlp_err_set(err, NLP_EDATA, "the saved state is truncated");
	if (v[0] != BAG_STATE_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "state format %u is not supported (this module reads %d): use "
		                   "a newer nlpipe",
		                   v[0], BAG_STATE_VERSION);
	if (v[1] != (uint32_t)g->o.dim || v[2] != (uint32_t)g->o.ngrams ||
	    v[3] != (uint32_t)g->o.minn || v[4] != (uint32_t)g->o.maxn ||
	    v[5] != (uint32_t)g->o.buckets)
		return nlp_err_set(err, NLP_EDATA,
		                   "the saved state (dim %u, ngrams %u, minn %u, maxn %u, buckets "
		                   "%u) does not match the options: the model is corrupt",
		                   v[1], v[2], v[3], v[4], v[5]);
	if (v[6] == 0)
		return NLP_OK; /* saved before setup: no vocabulary yet */
	if ((rc = vocab_get(&g->words, in, v[6], err)) || nlp_cursor_get_u32(in, &has_nb) ||
	    has_nb > 1)
		goto fail;
	rows = g->words.n + (has_buckets(g) ? (size_t)g->o.buckets : 0);
	if (has_nb != (uint32_t)(g->o.nb || g->o.idf)) {
		rc = nlp_err_set(err, NLP_EDATA,
		                 "the saved feature weights do not match nb = %s, idf = %s",
		                 g->o.nb ? "on" : "off", g->o.idf ? "true" : "false");
		goto fail;
	}
	if (has_nb && !(g->nbw = malloc(rows * sizeof *g->nbw)))
		goto fail;
	nk_advise_huge(g->nbw, rows * sizeof *g->nbw); /* read at random, as the table */
	if (has_nb && nlp_model_cursor_get_f32(in, g->nbw, rows))
		goto fail;
	for (size_t i = 0; g->nbw && i < rows; i++)
		if (!(g->nbw[i] >= 0.0f) || !isfinite(g->nbw[i])) {
			rc = nlp_err_set(err, NLP_EDATA, "the saved feature weights are corrupt");
			goto fail;
		}
	g->V = g->words.n;
	g->frozen = 1;
	g->loaded = 1;
	return NLP_OK;
fail:
	if (!rc)
		rc = nlp_err_set(err, g->nbw || !has_nb ? NLP_EDATA : NLP_ENOMEM,
		                 "the saved state is truncated or corrupt");
	vocab_free(&g->words);
	vocab_init(&g->words);
	free(g->nbw);
	g->nbw = NULL;
	return rc;
}

static const nlp_train_ops bag_train = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = bag_observe,
        .setup = bag_setup,
        .params = bag_params,
        .init = bag_init,
        .forward = bag_fwd,
        .loss = NULL,
        .backward = bag_bwd,
        .save = bag_save,
        .load = bag_load,
};

const nlp_stage_class nn_bag_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "bag",
        .summary = "bag of words and hashed word/character n-grams, averaged (fastText), "
                   "optional NB or IDF weights",
        .options = bag_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_VECTOR,
        .create = bag_create,
        .destroy = bag_destroy,
        .process = bag_process,
        .train = &bag_train,
};
