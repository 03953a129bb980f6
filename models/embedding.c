/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/embedding.c - the `embedding` stage: vocabulary, token -> id lookup,
 * the embedding table with sparse gradients, pretrained .vec vectors. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/reader.h>

#include "blas.h"
#include "dropout.h"
#include "embedding.h"

#define EMB_STATE_VERSION 1

/* The longest line of a .vec file: a word and up to 4096 numbers fit ten
 * times over. */
#define VEC_MAX_LINE (1u << 20)

typedef struct embedding {
	const char *name; /* instance name, for messages */
	int dim;
	uint64_t min_count;
	size_t max_size;
	const char *pretrained; /* "" when none */
	int freeze;
	float dropout;

	vocab counts; /* observe() */
	vocab words;  /* the frozen vocabulary */
	int frozen;   /* words is valid */
	int loaded;   /* state came from load(): never read `pretrained` */

	/* parameters: table[V][dim] */
	int V;
	float *w, *g;
	nlp_param_block block;
	int32_t *touched; /* [V] */
	int n_touched;
	unsigned char *mark;  /* [V] row is in touched */
	unsigned char *found; /* [V] row came from the pretrained file */
	double pre_sd;
	size_t n_found;

	/* workspaces, grown, never shrunk */
	float *out, *mask;
	size_t cap, cap_mask; /* mask: only for training with dropout */
	int dropped;          /* the last training forward applied dropout */
} embedding;

/* ---- layers ---- */

/* Steps t0 .. t1-1 of embedding_forward. */
static void gather_steps(float *out, const float *table, const int32_t *ids, const int *len, int t0,
                         int t1, int B, int D)
{
	for (int t = t0; t < t1; t++)
		for (int b = 0; b < B; b++) {
			float *o = out + ((size_t)t * B + b) * D;
			if (t < len[b])
				memcpy(o, table + (size_t)ids[(size_t)t * B + b] * D,
				       (size_t)D * sizeof *o);
			else
				memset(o, 0, (size_t)D * sizeof *o);
		}
}

void embedding_forward(float *out, const float *table, const int32_t *ids, const int *len, int T,
                       int B, int D)
{
	gather_steps(out, table, ids, len, 0, T, B, D);
}

void embedding_touch(int32_t *touched, int *n_touched, unsigned char *mark, const int32_t *ids,
                     const int *len, int T, int B)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			const int32_t id = ids[(size_t)t * B + b];
			if (t < len[b] && id != VOCAB_PAD && !mark[id]) {
				mark[id] = 1;
				touched[(*n_touched)++] = id;
			}
		}
}

void embedding_backward_rows(float *dtable, const float *dout, const float *mask,
                             const int32_t *ids, const int *len, int T, int B, int D, int k, int S)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			const size_t at = ((size_t)t * B + b) * D;
			const int32_t id = ids[(size_t)t * B + b];
			if (t >= len[b] || id == VOCAB_PAD || id % S != k)
				continue;
			float *row = dtable + (size_t)id * D;
			if (mask)
				for (int d = 0; d < D; d++)
					row[d] += dout[at + d] * mask[at + d];
			else
				for (int d = 0; d < D; d++)
					row[d] += dout[at + d];
		}
}

void embedding_backward(float *dtable, int32_t *touched, int *n_touched, unsigned char *mark,
                        const float *dout, const float *mask, const int32_t *ids, const int *len,
                        int T, int B, int D)
{
	embedding_touch(touched, n_touched, mark, ids, len, T, B);
	embedding_backward_rows(dtable, dout, mask, ids, len, T, B, D, 0, 1);
}

/* ---- the layers on the threads ----
 *
 * The gather splits by steps, the gradient by table rows (row r to part
 * r % S: every part reads the whole batch in order and adds into its own
 * rows only, so a row's sum runs in the batch's order whatever S is): the
 * same bits for any number of threads.  The threads are as many as OpenBLAS
 * is set to (nlp_blas_threads), as for the other stages. */

/* Floats a thread below which one thread does it all. */
#define EMB_MIN_PER_THREAD 32768

typedef struct emb_job {
	float *out; /* forward: out; backward: the table's gradient */
	const float *table, *dout, *mask;
	const nlp_batch *b;
	int D;
} emb_job;

static int emb_threads(const nlp_batch *b, int D)
{
	const size_t n = (size_t)b->T * (size_t)b->B * (size_t)D;
	int S = nk_blas_threads(0);
	while (S > 1 && n / (size_t)S < EMB_MIN_PER_THREAD)
		S--;
	return S < 1 ? 1 : S;
}

static void gather_part(void *arg, int k, int S)
{
	const emb_job *j = arg;
	const int T = j->b->T;
	gather_steps(j->out, j->table, j->b->ids, j->b->len, (int)((long)T * k / S),
	             (int)((long)T * (k + 1) / S), j->b->B, j->D);
}

static void scatter_part(void *arg, int k, int S)
{
	const emb_job *j = arg;
	embedding_backward_rows(j->out, j->dout, j->mask, j->b->ids, j->b->len, j->b->T, j->b->B,
	                        j->D, k, S);
}

/* ---- pretrained vectors ---- */

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Parse a non-negative decimal integer filling [s, e) exactly. */
static int parse_count(const char *s, const char *e, long *v)
{
	long x = 0;

	if (s == e)
		return 0;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9' || x > 100000000L)
			return 0;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return 1;
}

int embedding_read_vec(float *table, unsigned char *found, size_t *n_found, double *sd,
                       const vocab *v, int D, FILE *f, const char *path, nlp_err *err)
{
	nlp_line_reader L = {.f = f, .path = path, .max = VEC_MAX_LINE, .what = "a vector"};
	size_t nvec = 0, nvals = 0;
	float *tmp = malloc((size_t)D * sizeof *tmp);
	double sum = 0, sum2 = 0;
	int rc = NLP_OK, first = 1;

	*n_found = 0;
	*sd = 0;
	if (!tmp) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	while (!(rc = nlp_line_reader_next(&L, err)) && L.len) {
		char *p = L.line, *end = L.line + L.len, *word, *wend;
		unsigned long lineno = L.lineno;
		int k = 0;
		int32_t id;

		while (end > p && is_blank((unsigned char)end[-1]))
			end--;
		*end = '\0';
		while (p < end && is_blank((unsigned char)*p))
			p++;
		if (p == end)
			continue;
		if ((size_t)(end - p) != strlen(p)) {
			rc = nlp_err_set(err, NLP_EDATA,
			                 "%s:%lu: a NUL byte in the line: not a .vec text file",
			                 path, lineno);
			goto out;
		}
		word = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		wend = p;
		if (first) {
			/* "COUNT DIM" header? */
			char *q = p, *r;
			long cnt, dim;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			r = q;
			while (r < end && *r != ' ' && *r != '\t')
				r++;
			first = 0;
			if (r == end && parse_count(word, wend, &cnt) && parse_count(q, r, &dim)) {
				if (dim != D) {
					rc = nlp_err_set(
					        err, NLP_EDATA,
					        "%s:%lu: the header says the vectors have %ld "
					        "dimensions, but the embedding's dim is %d: set "
					        "dim = %ld or use a file of %d-dimensional vectors",
					        path, lineno, dim, D, dim, D);
					goto out;
				}
				continue;
			}
		}
		while (p < end) {
			char *q;
			float x;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p == end)
				break;
			errno = 0;
			x = strtof(p, &q);
			if (q == p || (q < end && *q != ' ' && *q != '\t') || !isfinite(x)) {
				char *r = p;
				while (r < end && *r != ' ' && *r != '\t')
					r++;
				rc = nlp_err_set(
				        err, NLP_EDATA,
				        "%s:%lu: \"%.*s\" is not a finite number (value %d "
				        "after the word \"%.*s\"): the file is malformed",
				        path, lineno, (int)(r - p > 40 ? 40 : r - p), p, k + 1,
				        (int)(wend - word > 60 ? 60 : wend - word), word);
				goto out;
			}
			if (k < D)
				tmp[k] = x;
			k++;
			p = q;
		}
		if (k != D) {
			rc = nlp_err_set(err, NLP_EDATA,
			                 "%s:%lu: %d numbers after the word \"%.*s\", expected %d "
			                 "(the embedding's dim): %s",
			                 path, lineno, k,
			                 (int)(wend - word > 60 ? 60 : wend - word), word, D,
			                 nvec == 0 ? "set dim to the vectors' dimension"
			                           : "the line is malformed or truncated");
			goto out;
		}
		nvec++;
		id = vocab_find(v, word, (size_t)(wend - word));
		if (id >= 2 && !found[id]) {
			found[id] = 1;
			memcpy(table + (size_t)id * D, tmp, (size_t)D * sizeof *tmp);
			(*n_found)++;
			for (int d = 0; d < D; d++) {
				sum += tmp[d];
				sum2 += (double)tmp[d] * tmp[d];
			}
			nvals += (size_t)D;
		}
	}
	if (rc)
		goto out;
	if (nvec == 0) {
		rc = nlp_err_set(err, NLP_EDATA, "%s: no vectors in the file", path);
		goto out;
	}
	if (nvals) {
		double mean = sum / (double)nvals, var = sum2 / (double)nvals - mean * mean;
		*sd = var > 0 ? sqrt(var) : 0;
	}
out:
	nlp_line_reader_free(&L);
	free(tmp);
	return rc;
}

/* ---- the stage ---- */

static const nlp_option emb_options[] = {
        {"dim", NLP_OPT_INT, "128", 1, 4096, NULL, "width of the token vectors"},
        {"min_count", NLP_OPT_INT, "1", 1, 1e9, NULL,
         "keep words seen at least this many times in the training data"},
        {"max_size", NLP_OPT_INT, "0", 0, 1e8, NULL,
         "largest vocabulary, <pad> and <unk> included (0: no limit)"},
        {"pretrained", NLP_OPT_PATH, "", 0, -1, NULL,
         "word2vec/GloVe/fastText .vec text file of initial vectors"},
        {"freeze", NLP_OPT_BOOL, "false", 0, -1, NULL, "do not train the vectors"},
        {"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL, "dropout rate on the output (training)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static void emb_free_params(embedding *e)
{
	free(e->w);
	free(e->g);
	free(e->touched);
	free(e->mark);
	free(e->found);
	e->w = e->g = NULL;
	e->touched = NULL;
	e->mark = e->found = NULL;
	e->n_touched = 0;
	e->V = 0;
}

static void emb_destroy(void *self)
{
	embedding *e = self;

	if (!e)
		return;
	vocab_free(&e->counts);
	vocab_free(&e->words);
	emb_free_params(e);
	free(e->out);
	free(e->mask);
	free(e);
}

int embedding_new(void **self, const char *name, const embedding_opts *o, nlp_err *err)
{
	embedding *e;

	if (o->dim < 1 || o->dim > 65536)
		return nlp_err_set(err, NLP_ECONFIG, "dim %d is not in 1..65536", o->dim);
	if (!(o->dropout >= 0.0f && o->dropout < 1.0f))
		return nlp_err_set(err, NLP_ECONFIG, "dropout must be in [0, 1)");
	e = calloc(1, sizeof *e);
	if (!e)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	e->name = name;
	e->dim = o->dim;
	e->min_count = o->min_count > 0 ? (uint64_t)o->min_count : 1;
	e->max_size = o->max_size > 0 ? (size_t)o->max_size : 0;
	e->pretrained = o->pretrained ? o->pretrained : "";
	e->freeze = o->freeze;
	e->dropout = o->dropout;
	vocab_init(&e->counts);
	vocab_init(&e->words);
	*self = e;
	return NLP_OK;
}

static int emb_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	embedding_opts o = {
	        .dim = (int)nlp_config_int(cfg, "dim"),
	        .min_count = nlp_config_int(cfg, "min_count"),
	        .max_size = nlp_config_int(cfg, "max_size"),
	        .pretrained = nlp_config_str(cfg, "pretrained"),
	        .freeze = nlp_config_bool(cfg, "freeze"),
	        .dropout = (float)nlp_config_float(cfg, "dropout"),
	};

	return embedding_new(self, nlp_config_instance(cfg), &o, err);
}

const vocab *embedding_vocab(void *self)
{
	embedding *e = self;

	return e->frozen ? &e->words : NULL;
}

static int emb_process(void *self, nlp_doc *doc, nlp_err *err)
{
	embedding *e = self;
	const nlp_tokens *t = doc->in;

	if (!e->frozen)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "token lookup before the vocabulary was built (setup or "
		                   "load must come first)");
	if (!t)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		int32_t id = vocab_find(&e->words, nlp_token(t, i), t->tlen[i]);
		if (nlp_doc_push_id(doc, id < 0 ? VOCAB_UNK : id))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

static int emb_observe(void *self, const nlp_doc *doc, nlp_err *err)
{
	embedding *e = self;
	const nlp_tokens *t = doc->in ? doc->in : doc->out;

	if (e->frozen)
		return nlp_err_set(err, NLP_EINTERNAL, "observe after the vocabulary was built");
	if (!t)
		return NLP_OK;
	for (size_t i = 0; i < t->n; i++) {
		int rc = vocab_count(&e->counts, nlp_token(t, i), t->tlen[i], 1);
		if (rc)
			return nlp_err_set(err, rc, "%s",
			                   rc == NLP_ENOMEM ? "out of memory counting tokens"
			                                    : "vocabulary too large");
	}
	return NLP_OK;
}

static int emb_read_pretrained(embedding *e, nlp_err *err)
{
	FILE *f;
	int rc = nlp_open_regular(e->pretrained, &f);

	if (rc < 0)
		return nlp_err_set(err, NLP_EIO, "pretrained = %s: cannot open: %s", e->pretrained,
		                   strerror(errno));
	if (rc > 0)
		return nlp_err_set(err, NLP_EIO,
		                   "pretrained = %s: not a regular file (a folder, FIFO or "
		                   "device): give a .vec file",
		                   e->pretrained);
	rc = embedding_read_vec(e->w, e->found, &e->n_found, &e->pre_sd, &e->words, e->dim, f,
	                        e->pretrained, err);
	fclose(f);
	if (rc && err) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		nlp_err_set(err, rc, "pretrained vectors: %s", msg);
	}
	return rc;
}

static int emb_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	embedding *e = self;
	size_t n;
	int rc;

	if (!e->frozen) {
		rc = vocab_freeze(&e->words, &e->counts, e->min_count, e->max_size);
		if (rc)
			return nlp_err_set(err, rc, "out of memory building the vocabulary");
		vocab_free(&e->counts);
		e->frozen = 1;
		if (e->words.n <= 2)
			return nlp_err_set(err, NLP_EDATA,
			                   "the vocabulary is empty: no training token was seen "
			                   "at least min_count = %llu times",
			                   (unsigned long long)e->min_count);
	}
	emb_free_params(e);
	e->V = (int)e->words.n;
	n = (size_t)e->V * (size_t)e->dim;
	e->w = calloc(n, sizeof *e->w);
	e->g = nlp_zeros(n);
	e->touched = malloc((size_t)e->V * sizeof *e->touched);
	e->mark = calloc((size_t)e->V, 1);
	e->found = calloc((size_t)e->V, 1);
	if (!e->w || !e->g || !e->touched || !e->mark || !e->found) {
		emb_free_params(e);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory for a %d x %d embedding table",
		                   (int)e->words.n, e->dim);
	}
	e->block = (nlp_param_block){.name = "table",
	                             .offset = 0,
	                             .count = n,
	                             .decay = 0,
	                             .rows = e->V,
	                             .cols = e->dim,
	                             .touched = e->touched,
	                             .n_touched = 0};
	if (!e->loaded && e->pretrained[0]) {
		rc = emb_read_pretrained(e, err);
		if (rc)
			return rc;
	}
	*out_dim = e->dim;
	return NLP_OK;
}

static void emb_params(void *self, nlp_params *p)
{
	embedding *e = self;

	p->w = e->w;
	p->g = e->g;
	p->count = (size_t)e->V * (size_t)e->dim;
	p->blocks = &e->block;
	p->n_blocks = e->freeze ? 0 : 1;
}

static void emb_init(void *self, nlp_rng *rng)
{
	embedding *e = self;
	/* N(0, 1) as PyTorch's nn.Embedding; next to pretrained vectors, the
	 * spread of those. */
	float sd = e->n_found ? (float)e->pre_sd : 1.0f;

	for (int r = 0; r < e->V; r++) {
		float *row = e->w + (size_t)r * e->dim;
		if (e->found[r])
			continue;
		for (int d = 0; d < e->dim; d++)
			row[d] = r == VOCAB_PAD ? 0.0f : sd * nlp_rng_normal(rng);
	}
}

static int emb_forward(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                       nlp_err *err)
{
	embedding *e = self;
	size_t n = (size_t)b->T * b->B * e->dim;

	if (!e->w)
		return nlp_err_set(err, NLP_EINTERNAL, "forward before setup");
	for (size_t i = 0; i < (size_t)b->T * b->B; i++)
		if (b->ids[i] < 0 || b->ids[i] >= e->V)
			return nlp_err_set(err, NLP_EDATA,
			                   "token id %ld at step %zu, document %zu is outside "
			                   "the vocabulary (0..%d)",
			                   (long)b->ids[i], i / (size_t)b->B, i % (size_t)b->B,
			                   e->V - 1);
	if (n > e->cap) {
		float *o = realloc(e->out, n * sizeof *o);
		if (!o)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		e->out = o;
		e->cap = n;
	}
	if (b->training && e->dropout > 0.0f && n > e->cap_mask) {
		float *m = realloc(e->mask, n * sizeof *m);
		if (!m)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		e->mask = m;
		e->cap_mask = n;
	}
	emb_job j = {.out = e->out, .table = e->w, .b = b, .D = e->dim};
	nlp_parallel(emb_threads(b, e->dim), gather_part, &j);
	e->dropped = 0;
	if (b->training) {
		for (int i = 0; i < e->n_touched; i++)
			e->mark[e->touched[i]] = 0;
		e->n_touched = 0;
		e->block.n_touched = 0;
		if (e->dropout > 0.0f) {
			dropout_forward(e->out, e->mask, e->out, (int)n, e->dropout, b->rng);
			e->dropped = 1;
		}
	}
	out->x = e->out;
	out->T = b->T;
	out->B = b->B;
	out->D = e->dim;
	return NLP_OK;
}

static int emb_backward(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                        nlp_err *err)
{
	embedding *e = self;

	if (din) {
		din->x = NULL;
		din->T = b->T;
		din->B = b->B;
		din->D = 0;
	}
	if (e->freeze)
		return NLP_OK;
	if (!dout || dout->T != b->T || dout->B != b->B || dout->D != e->dim)
		return nlp_err_set(err, NLP_EINTERNAL, "backward: gradient shape mismatch");
	embedding_touch(e->touched, &e->n_touched, e->mark, b->ids, b->len, b->T, b->B);
	e->block.n_touched = e->n_touched;
	emb_job j = {.out = e->g,
	             .dout = dout->x,
	             .mask = e->dropped ? e->mask : NULL,
	             .b = b,
	             .D = e->dim};
	nlp_parallel(emb_threads(b, e->dim), scatter_part, &j);
	return NLP_OK;
}

static int emb_save(void *self, nlp_buf *out, nlp_err *err)
{
	embedding *e = self;
	int rc;

	/* Before setup there is no vocabulary yet: 0 words (a worker made then
	 * tokenizes for observe() and never looks tokens up). */
	if ((rc = nlp_buf_put_u32(out, EMB_STATE_VERSION)) ||
	    (rc = nlp_buf_put_u32(out, (uint32_t)e->dim)) ||
	    (rc = nlp_buf_put_u32(out, e->frozen ? (uint32_t)e->words.n : 0)))
		goto out;
	if (e->frozen)
		rc = vocab_put(out, &e->words);
out:
	if (rc)
		nlp_err_set(err, rc, "out of memory saving the vocabulary");
	return rc;
}

static int emb_load(void *self, nlp_cursor *in, nlp_err *err)
{
	embedding *e = self;
	uint32_t version, dim, n;
	int rc = NLP_OK;

	vocab_free(&e->counts);
	vocab_free(&e->words);
	e->frozen = 0;
	if (nlp_cursor_get_u32(in, &version) || nlp_cursor_get_u32(in, &dim) ||
	    nlp_cursor_get_u32(in, &n))
		goto truncated;
	if (version != EMB_STATE_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "vocabulary format %u is not supported (this module reads "
		                   "%d): use a newer nlpipe",
		                   version, EMB_STATE_VERSION);
	if ((int)dim != e->dim)
		return nlp_err_set(err, NLP_EDATA,
		                   "the model's vectors have %u dimensions but dim = %d", dim,
		                   e->dim);
	if (n == 0)
		return NLP_OK; /* saved before setup: no vocabulary yet */
	if ((rc = vocab_get(&e->words, in, n, err)))
		return rc;
	e->frozen = 1;
	e->loaded = 1;
	return NLP_OK;
truncated:
	vocab_free(&e->words);
	return nlp_err_set(err, NLP_EDATA, "the saved vocabulary is truncated");
}

/* The word of an id (nlp_train_ops.token): "<pad>", "<unk>", then the
 * vocabulary's words; NULL out of range or before the vocabulary exists. */
static const char *emb_token(void *self, int32_t id)
{
	embedding *e = self;
	if (!e->frozen || id < 0 || (size_t)id >= e->words.n)
		return NULL;
	return vocab_word(&e->words, (size_t)id);
}

/* The table for inference by lookup (nlp_train_ops.lookup_table): the
 * inference forward is the plain row of each id (dropout is for training
 * only; no option rescales rows), so the table itself; NULL before setup. */
static const float *emb_lookup_table(void *self, int *rows, int *cols)
{
	embedding *e = self;
	if (!e->w)
		return NULL;
	*rows = e->V;
	*cols = e->dim;
	return e->w;
}

static const nlp_train_ops emb_train = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = emb_observe,
        .setup = emb_setup,
        .params = emb_params,
        .init = emb_init,
        .forward = emb_forward,
        .loss = NULL,
        .backward = emb_backward,
        .save = emb_save,
        .load = emb_load,
        .token = emb_token,
        .lookup_table = emb_lookup_table,
};

const nlp_stage_class nn_embedding_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "embedding",
        .summary = "vocabulary and token vectors (optionally pretrained .vec)",
        .options = emb_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_SEQUENCE,
        .create = emb_create,
        .destroy = emb_destroy,
        .process = emb_process,
        .train = &emb_train,
};
