/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/runner.c - running a pipeline over documents (nlpipe/runner.h):
 * parallel text stages, batches, the forward and backward chain of the
 * trainable stages. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "nlpipe/lm.h"
#include "nlpipe/runner.h"
#include "pipeline/internal.h"

int nlp_pipeline_check_classifier(const nlp_pipeline *p, nlp_err *err)
{
	size_t n = nlp_pipeline_stage_count(p), first = nlp_pipeline_text_end(p);
	const nlp_stage_class *c;

	if (first >= n)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "%s: the pipeline has no trainable stages; a classifier needs "
		        "an embedding, an encoder and a head (see examples/sentiment.ini)",
		        nlp_ini_name(nlp_pipeline_ini(p)));
	c = nlp_pipeline_stage_class(p, first);
	if (!c->train || !c->process || c->consumes != NLP_KIND_TOKENS)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: stage '%s' (%s) follows the text stages but does not map "
		                   "tokens to ids; put an embedding there",
		                   nlp_ini_name(nlp_pipeline_ini(p)),
		                   nlp_pipeline_stage_name(p, first), c->name);
	for (size_t i = first; i < n; i++) {
		c = nlp_pipeline_stage_class(p, i);
		if (c->consumes == NLP_KIND_TOKENS && !c->process)
			return nlp_err_set(
			        err, NLP_ECONFIG,
			        "%s: stage '%s' (%s) reads tokens but cannot map them to "
			        "ids; put an embedding there",
			        nlp_ini_name(nlp_pipeline_ini(p)), nlp_pipeline_stage_name(p, i),
			        c->name);
		if (!c->train || !c->train->forward || !c->train->backward || !c->train->setup ||
		    !c->train->params)
			return nlp_err_set(
			        err, NLP_ECONFIG,
			        "%s: stage '%s' (%s) comes after the embedding but is not "
			        "trainable; only trainable stages may follow it",
			        nlp_ini_name(nlp_pipeline_ini(p)), nlp_pipeline_stage_name(p, i),
			        c->name);
	}
	c = nlp_pipeline_stage_class(p, n - 1);
	if (nlp_pipeline_stage_produces(p, n - 1) != NLP_KIND_SCORES || !c->train->loss)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "%s: the last stage '%s' (%s) gives %s; a classifier ends with a "
		        "head (softmax or sigmoid) that gives scores",
		        nlp_ini_name(nlp_pipeline_ini(p)), nlp_pipeline_stage_name(p, n - 1),
		        c->name, nlp_kind_name(nlp_pipeline_stage_produces(p, n - 1)));
	return NLP_OK;
}

const float *nlp_pipeline_head_thresholds(const nlp_pipeline *p)
{
	size_t n = nlp_pipeline_stage_count(p);
	const nlp_train_ops *t = n ? nlp_pipeline_stage_class(p, n - 1)->train : NULL;

	if (!t || !NLP_HAS_FIELD(t, nlp_train_ops, thresholds) || !t->thresholds)
		return NULL;
	return t->thresholds(nlp_pipeline_stage_instance(p, n - 1));
}

int nlp_pipeline_head_set_thresholds(nlp_pipeline *p, const float *th, int n, nlp_err *err)
{
	size_t k = nlp_pipeline_stage_count(p);
	const nlp_train_ops *t = k ? nlp_pipeline_stage_class(p, k - 1)->train : NULL;

	if (!t || !NLP_HAS_FIELD(t, nlp_train_ops, set_thresholds) || !t->set_thresholds)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "the head '%s' has no decision thresholds to set (use a "
		                   "sigmoid head, type = sigmoid)",
		                   k ? nlp_pipeline_stage_name(p, k - 1) : "?");
	return t->set_thresholds(nlp_pipeline_stage_instance(p, k - 1), th, n, err);
}

int nlp_thread_count(long configured)
{
	long n = configured;

	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	}
	return n > 256 ? 256 : (int)n;
}

/* ---- the worker pool ---- */

struct nlp_pool {
	nlp_pipeline *p;
	size_t end;
	int n;
	nlp_worker **w;
};

typedef struct pool_job {
	nlp_pool *pool;
	nlp_text_job *items;
	size_t n;
	int want_ids;
} pool_job;

int nlp_pool_new(nlp_pool **out, nlp_pipeline *p, int threads, size_t end, nlp_err *err)
{
	nlp_pool *pool = calloc(1, sizeof *pool);
	int rc = NLP_OK;

	*out = NULL;
	if (threads < 1)
		threads = 1;
	if (!pool || !(pool->w = calloc((size_t)threads, sizeof *pool->w))) {
		free(pool);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	pool->p = p;
	pool->end = end;
	pool->n = threads;
	for (int i = 0; i < threads && !rc; i++)
		rc = nlp_worker_new(&pool->w[i], p, err);
	if (rc) {
		nlp_pool_free(pool);
		return rc;
	}
	*out = pool;
	return NLP_OK;
}

void nlp_pool_free(nlp_pool *pool)
{
	if (!pool)
		return;
	for (int i = 0; i < pool->n; i++)
		nlp_worker_free(pool->w[i]);
	free(pool->w);
	free(pool);
}

/* Whether stage i maps tokens to ids (starts an id stream). */
static int maps_ids(const nlp_pipeline *p, size_t i)
{
	return nlp_pipeline_stage_class(p, i)->consumes == NLP_KIND_TOKENS &&
	       nlp_pipeline_stage_stream(p, i) >= 0;
}

/* Append t to out. */
static int copy_tokens(nlp_tokens *out, const nlp_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (nlp_tokens_push(out, nlp_token(t, i), t->tlen[i]))
			return NLP_ENOMEM;
	return NLP_OK;
}

/* A new streams array: K, then where streams 0 .. K-2 end. */
static uint32_t *streams_new(int K)
{
	uint32_t *s = calloc((size_t)K, sizeof *s);

	if (s)
		s[0] = (uint32_t)K;
	return s;
}

/* The job's tokens after a run: the tokens each id stage reads, one stream
 * each, or (no id stage within reach) the last text stage's. */
static int job_tokens(const nlp_pool *pool, const nlp_worker *w, nlp_text_job *it,
                      const nlp_tokens *last)
{
	const nlp_pipeline *p = pool->p;
	const int K = nlp_pipeline_streams(p);
	const size_t n = nlp_pipeline_stage_count(p);
	int k = 0;

	nlp_tokens_clear(&it->tokens);
	if (K == 0 || pool->end < nlp_pipeline_text_end(p))
		return copy_tokens(&it->tokens, last);
	if (K > 1 && !(it->streams = streams_new(K)))
		return NLP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const size_t *in;
		if (!maps_ids(p, i) || nlp_pipeline_stage_inputs(p, i, &in) != 1)
			continue;
		if (k > 0)
			it->streams[k] = (uint32_t)it->tokens.n;
		if (copy_tokens(&it->tokens, nlp_worker_stage_tokens(w, in[0])))
			return NLP_ENOMEM;
		k++;
	}
	return NLP_OK;
}

static void process_one(const nlp_pool *pool, nlp_worker *w, nlp_text_job *it, int want_ids)
{
	const nlp_tokens *t = NULL;
	const int32_t *ids = NULL;
	const uint32_t *streams;
	size_t n_ids = 0;
	nlp_err err = {0};

	it->streams = NULL;
	it->rc = nlp_worker_run(w, pool->end, it->name, it->text, it->len, &t, &ids, &n_ids, &err);
	if (it->rc) {
		snprintf(it->msg, sizeof it->msg, "%s", err.msg);
		return;
	}
	if (!want_ids) {
		it->rc = job_tokens(pool, w, it, t);
	} else {
		streams = nlp_worker_streams(w);
		it->n_ids = n_ids;
		it->ids = malloc((n_ids ? n_ids : 1) * sizeof *it->ids);
		if (it->ids && n_ids)
			memcpy(it->ids, ids, n_ids * sizeof *ids);
		if (streams && (it->streams = streams_new((int)streams[0])))
			memcpy(it->streams, streams, streams[0] * sizeof *streams);
		if (!it->ids || (streams && !it->streams))
			it->rc = NLP_ENOMEM;
	}
	if (it->rc)
		snprintf(it->msg, sizeof it->msg, "out of memory");
}

/* Part k of S: the items k, k + S, k + 2S, ... on worker k. */
static void pool_part(void *arg, int k, int S)
{
	pool_job *j = arg;

	for (size_t i = (size_t)k; i < j->n; i += (size_t)S)
		process_one(j->pool, j->pool->w[k], &j->items[i], j->want_ids);
}

void nlp_pool_run(nlp_pool *pool, nlp_text_job *items, size_t n, int want_ids)
{
	pool_job job = {pool, items, n, want_ids};

	nlp_parallel(n < 2 ? 1 : pool->n, pool_part, &job);
}

/* ---- batches ---- */

/* The documents to sort and the direction: what the comparison needs. */
typedef struct by_length {
	const nlp_doc_ids *docs; /* borrowed */
	int longest_first;
} by_length;

/* Document a goes before document b: shorter (longer), or as long and
 * first. */
static int goes_before(const by_length *o, size_t a, size_t b)
{
	uint32_t la = o->docs[a].n, lb = o->docs[b].n;

	if (la != lb)
		return o->longest_first ? la > lb : la < lb;
	return a < b;
}

/* Heap sort: in place and reentrant (the order is total, so any correct
 * sort gives the same result). */
static void sift_down(size_t *v, size_t root, size_t n, const by_length *o)
{
	for (;;) {
		size_t c = 2 * root + 1, x;
		if (c >= n)
			return;
		if (c + 1 < n && goes_before(o, v[c], v[c + 1]))
			c++;
		if (!goes_before(o, v[root], v[c]))
			return;
		x = v[root];
		v[root] = v[c];
		v[c] = x;
		root = c;
	}
}

void nlp_sort_by_length(size_t *idx, size_t n, const nlp_doc_ids *docs, int longest_first)
{
	by_length o = {docs, longest_first};

	for (size_t i = n / 2; i-- > 0;)
		sift_down(idx, i, n, &o);
	for (size_t end = n; end > 1; end--) {
		size_t x = idx[0];
		idx[0] = idx[end - 1];
		idx[end - 1] = x;
		sift_down(idx, 0, end - 1, &o);
	}
}

void nlp_doc_stream(const uint32_t *streams, uint32_t n, int k, uint32_t *start, uint32_t *len)
{
	const uint32_t K = streams ? streams[0] : 1;
	uint32_t a = k > 0 ? streams[k] : 0, b = (uint32_t)k + 1 < K ? streams[k + 1] : n;

	*start = a;
	*len = b - a;
}

void nlp_doc_ids_free(nlp_doc_ids *d)
{
	free(d->ids);
	free(d->streams);
	d->ids = NULL;
	d->streams = NULL;
	d->n = 0;
}

/* Stream k of docs[idx[0..B)] into ids [T][B] and len [B]; its T. */
static int stream_T(const nlp_doc_ids *docs, const size_t *idx, int B, int k)
{
	int T = 0;

	for (int b = 0; b < B; b++) {
		uint32_t at, n;
		nlp_doc_stream(docs[idx[b]].streams, docs[idx[b]].n, k, &at, &n);
		if ((int)n > T)
			T = (int)n;
	}
	return T;
}

static void stream_fill(int32_t *ids, int *len, const nlp_doc_ids *docs, const size_t *idx, int B,
                        int k, int T)
{
	for (int b = 0; b < B; b++) {
		const nlp_doc_ids *d = &docs[idx[b]];
		uint32_t at, n;
		nlp_doc_stream(d->streams, d->n, k, &at, &n);
		len[b] = (int)n;
		for (int t = 0; t < T; t++)
			ids[(size_t)t * (size_t)B + (size_t)b] = t < (int)n ? d->ids[at + t] : 0;
	}
}

/* Streams 1 .. K-1 of the batch, into rb->more; rb->all sized for K. */
static int fill_more(nlp_batch_buf *rb, const nlp_doc_ids *docs, const size_t *idx, int B, int K)
{
	if (K > rb->cap_streams) {
		nlp_batch_stream *m = realloc(rb->more, (size_t)K * sizeof *m);
		nlp_batch *a;
		if (!m)
			return NLP_ENOMEM;
		memset(m + rb->cap_streams, 0, (size_t)(K - rb->cap_streams) * sizeof *m);
		rb->more = m;
		a = realloc(rb->all, (size_t)K * sizeof *a);
		if (!a)
			return NLP_ENOMEM;
		rb->all = a;
		rb->cap_streams = K;
	}
	for (int k = 1; k < K; k++) {
		nlp_batch_stream *st = &rb->more[k - 1];
		size_t cap_b = (size_t)st->cap_b;
		const int T = stream_T(docs, idx, B, k);
		if (nlp_grow_exact(&st->ids, &st->cap_ids, (size_t)T * (size_t)B,
		                   sizeof *st->ids) ||
		    nlp_grow_exact(&st->len, &cap_b, (size_t)B, sizeof *st->len))
			return NLP_ENOMEM;
		st->cap_b = (int)cap_b;
		st->T = T;
		stream_fill(st->ids, st->len, docs, idx, B, k, T);
	}
	return NLP_OK;
}

int nlp_batch_fill(nlp_batch_buf *rb, const nlp_doc_ids *docs, const size_t *idx, int B,
                   nlp_err *err)
{
	const int K = B > 0 && docs[idx[0]].streams ? (int)docs[idx[0]].streams[0] : 1;
	const int T = stream_T(docs, idx, B, 0);
	size_t cap_b = rb->cap_b > 0 ? (size_t)rb->cap_b : 0, cap_l = cap_b;

	for (int b = 1; b < B; b++)
		if ((docs[idx[b]].streams ? (int)docs[idx[b]].streams[0] : 1) != K)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "documents with different numbers of id streams in a "
			                   "batch");
	if (nlp_grow_exact(&rb->ids, &rb->cap_ids, (size_t)T * (size_t)B, sizeof *rb->ids) ||
	    nlp_grow_exact(&rb->len, &cap_b, (size_t)B, sizeof *rb->len) ||
	    nlp_grow_exact(&rb->labels, &cap_l, (size_t)B, sizeof *rb->labels) ||
	    (K > 1 && fill_more(rb, docs, idx, B, K)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	rb->cap_b = (int)(cap_b < cap_l ? cap_b : cap_l);
	stream_fill(rb->ids, rb->len, docs, idx, B, 0, T);
	for (int b = 0; b < B; b++)
		rb->labels[b] = docs[idx[b]].label;
	memset(&rb->b, 0, sizeof rb->b);
	rb->b.B = B;
	rb->b.T = T;
	rb->b.ids = rb->ids;
	rb->b.len = rb->len;
	rb->b.labels = rb->labels;
	rb->n_streams = K;
	return NLP_OK;
}

void nlp_batch_buf_free(nlp_batch_buf *rb)
{
	for (int k = 0; k < rb->cap_streams - 1; k++) {
		free(rb->more[k].ids);
		free(rb->more[k].len);
	}
	free(rb->more);
	free(rb->all);
	free(rb->ids);
	free(rb->len);
	free(rb->labels);
	memset(rb, 0, sizeof *rb);
}

/* ---- the trainable stages, forward and backward ---- */

/* What the runner keeps between a forward and its backward. */
typedef struct run_ws {
	size_t n;
	nlp_act *out;  /* [n] each stage's output */
	nlp_act *din;  /* [n] each stage's gradient of its input */
	float **join;  /* [n] joined inputs of a stage that reads several */
	size_t *njoin; /* capacities, in floats */
	float **gsum;  /* [n] summed gradient of a stage that several read */
	size_t *ngsum;
	int fixed;              /* nlp_pipeline_set_fixed: lookups allowed */
	unsigned char *pending; /* [n] a lookup stage whose forward has not run */
} run_ws;

void nlp_run_ws_free(void *v)
{
	run_ws *ws = v;

	if (!ws)
		return;
	for (size_t i = 0; i < ws->n; i++) {
		if (ws->join)
			free(ws->join[i]);
		if (ws->gsum)
			free(ws->gsum[i]);
	}
	free(ws->out);
	free(ws->din);
	free(ws->join);
	free(ws->njoin);
	free(ws->gsum);
	free(ws->ngsum);
	free(ws->pending);
	free(ws);
}

static run_ws *get_ws(nlp_pipeline *p, nlp_err *err)
{
	void **slot = nlp_pipeline_run_ws(p);
	const size_t n = nlp_pipeline_stage_count(p);
	run_ws *ws = *slot;

	if (ws)
		return ws;
	ws = calloc(1, sizeof *ws);
	if (ws) {
		ws->n = n;
		ws->out = calloc(n ? n : 1, sizeof *ws->out);
		ws->din = calloc(n ? n : 1, sizeof *ws->din);
		ws->join = calloc(n ? n : 1, sizeof *ws->join);
		ws->njoin = calloc(n ? n : 1, sizeof *ws->njoin);
		ws->gsum = calloc(n ? n : 1, sizeof *ws->gsum);
		ws->ngsum = calloc(n ? n : 1, sizeof *ws->ngsum);
		ws->pending = calloc(n ? n : 1, sizeof *ws->pending);
	}
	if (!ws || !ws->out || !ws->din || !ws->join || !ws->njoin || !ws->gsum || !ws->ngsum ||
	    !ws->pending) {
		nlp_run_ws_free(ws);
		nlp_err_set(err, NLP_ENOMEM, "out of memory");
		return NULL;
	}
	*slot = ws;
	return ws;
}

/* x[B][sum D] = the outputs of stages in[0..m) (vectors), side by side. */
static int join_inputs(run_ws *ws, size_t i, const size_t *in, size_t m, nlp_act *x, nlp_err *err)
{
	const int B = ws->out[in[0]].B;
	int D = 0;

	for (size_t k = 0; k < m; k++) {
		if (ws->out[in[k]].T != 1 || ws->out[in[k]].B != B)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "joined inputs are not vectors of one batch");
		D += ws->out[in[k]].D;
	}
	if (nlp_grow_exact(&ws->join[i], &ws->njoin[i], (size_t)B * (size_t)D, sizeof(float)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int b = 0, off = 0; b < B; b++, off = 0) {
		for (size_t k = 0; k < m; k++) {
			const nlp_act *o = &ws->out[in[k]];
			memcpy(ws->join[i] + (size_t)b * (size_t)D + (size_t)off,
			       o->x + (size_t)b * (size_t)o->D, (size_t)o->D * sizeof(float));
			off += o->D;
		}
	}
	*x = (nlp_act){ws->join[i], 1, B, D};
	return NLP_OK;
}

/* The batch stage i works on: its id stream's. */
static const nlp_batch *batch_of(const nlp_pipeline *p, size_t i, const nlp_batch *b)
{
	const int k = nlp_pipeline_stage_stream(p, i);
	return &b[k > 0 ? k : 0];
}

/* ---- inference by lookup (plugin ABI 2.5) ---- */

int nlp_pipeline_set_fixed(nlp_pipeline *p, int fixed, nlp_err *err)
{
	run_ws *ws = get_ws(p, err);

	if (!ws)
		return NLP_ENOMEM;
	ws->fixed = fixed != 0;
	return NLP_OK;
}

/* Stage i's table for lookups (its lookup_table op), or NULL. */
static const float *lookup_table_of(const nlp_pipeline *p, size_t i, int *rows, int *cols)
{
	const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;

	if (!NLP_HAS_FIELD(t, nlp_train_ops, lookup_table) || !t->lookup_table)
		return NULL;
	return t->lookup_table(nlp_pipeline_stage_instance(p, i), rows, cols);
}

/* Whether stage i (mapping ids, the first trainable stage or not) can wait:
 * it has a lookup table and every stage that reads it reads only it and
 * offers forward_lookup.  Its forward then runs only when a reader
 * declines. */
static int lookup_can_wait(const nlp_pipeline *p, size_t i, size_t first)
{
	const size_t *rd, *in;
	const size_t nr = nlp_pipeline_stage_readers(p, i, &rd);
	int rows, cols;

	if ((i != first && !maps_ids(p, i)) || nr == 0 || !lookup_table_of(p, i, &rows, &cols))
		return 0;
	for (size_t r = 0; r < nr; r++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, rd[r])->train;
		if (nlp_pipeline_stage_inputs(p, rd[r], &in) != 1 ||
		    !NLP_HAS_FIELD(t, nlp_train_ops, forward_lookup) || !t->forward_lookup)
			return 0;
	}
	return 1;
}

/* Stage i forward by lookup from stage j's table (*taken 1), or declined. */
static int forward_lookup(nlp_pipeline *p, run_ws *ws, size_t i, size_t j, const nlp_batch *b,
                          int *taken, nlp_err *err)
{
	const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
	int rows = 0, cols = 0;
	const float *table = lookup_table_of(p, j, &rows, &cols);

	*taken = 0;
	if (!table)
		return NLP_OK;
	return t->forward_lookup(nlp_pipeline_stage_instance(p, i), &ws->out[i], table, rows, cols,
	                         batch_of(p, j, b), taken, err);
}

/* The forwards of the waiting stages that stage i reads. */
static int run_pending(nlp_pipeline *p, run_ws *ws, size_t i, const nlp_batch *b, nlp_err *err)
{
	const size_t *in;
	const size_t m = nlp_pipeline_stage_inputs(p, i, &in);

	for (size_t k = 0; k < m; k++) {
		const size_t j = in[k];
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, j)->train;
		int rc;
		if (!ws->pending[j])
			continue;
		ws->pending[j] = 0;
		rc = t->forward(nlp_pipeline_stage_instance(p, j), &ws->out[j], NULL,
		                batch_of(p, j, b), err);
		if (rc)
			return nlp_pipeline_stage_error(p, j, rc, err);
	}
	return NLP_OK;
}

int nlp_chain_forward(nlp_pipeline *p, size_t first, const nlp_batch *b, nlp_act *scores,
                      nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);
	run_ws *ws = get_ws(p, err);

	if (!ws)
		return NLP_ENOMEM;
	const int lookup = ws->fixed && !b->training;
	for (size_t i = first; i < n; i++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
		const size_t *in;
		const size_t m = nlp_pipeline_stage_inputs(p, i, &in);
		nlp_act joined;
		const nlp_act *x = NULL;
		int rc = NLP_OK, taken = 0;
		ws->pending[i] = lookup && lookup_can_wait(p, i, first);
		if (ws->pending[i]) {
			ws->out[i] = (nlp_act){0};
			continue;
		}
		if (i != first && m == 1 && ws->pending[in[0]]) {
			rc = forward_lookup(p, ws, i, in[0], b, &taken, err);
			if (rc)
				return nlp_pipeline_stage_error(p, i, rc, err);
			if (taken)
				continue;
		}
		if ((rc = run_pending(p, ws, i, b, err)))
			return rc;
		if (i != first && !maps_ids(p, i)) {
			if (m == 1)
				x = &ws->out[in[0]];
			else if (!(rc = join_inputs(ws, i, in, m, &joined, err)))
				x = &joined;
		}
		if (!rc)
			rc = t->forward(nlp_pipeline_stage_instance(p, i), &ws->out[i], x,
			                batch_of(p, i, b), err);
		if (rc)
			return nlp_pipeline_stage_error(p, i, rc, err);
	}
	*scores = ws->out[n - 1];
	return NLP_OK;
}

/* Add the part of d (a reader's input gradient) that belongs to the input
 * at column off, D wide, into g[T][B][D]. */
static int add_grad(float *g, const nlp_act *out, const nlp_act *d, int off, int whole,
                    nlp_err *err)
{
	const size_t rows = (size_t)out->T * (size_t)out->B, D = (size_t)out->D;

	if (!d->x || (whole ? (size_t)d->T * (size_t)d->B * (size_t)d->D != rows * D
	                    : d->T != 1 || d->B != out->B || (size_t)d->D < (size_t)off + D))
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "a stage's input gradient does not match its input");
	if (whole) {
		for (size_t k = 0; k < rows * D; k++)
			g[k] += d->x[k];
		return NLP_OK;
	}
	for (size_t r = 0; r < rows; r++)
		for (size_t k = 0; k < D; k++)
			g[r * D + k] += d->x[r * (size_t)d->D + (size_t)off + k];
	return NLP_OK;
}

/* The gradient of stage j's output: its one reader's input gradient, or
 * the sum of each reader's share (its columns of a joined input). */
static int stage_grad(run_ws *ws, const nlp_pipeline *p, size_t j, nlp_act *g, nlp_err *err)
{
	const size_t *rd, *in;
	const size_t nr = nlp_pipeline_stage_readers(p, j, &rd);
	const nlp_act *o = &ws->out[j];
	const size_t size = (size_t)o->T * (size_t)o->B * (size_t)o->D;
	int rc = NLP_OK;

	if (nr == 1 && nlp_pipeline_stage_inputs(p, rd[0], &in) == 1) {
		*g = ws->din[rd[0]];
		return NLP_OK;
	}
	if (nlp_grow_exact(&ws->gsum[j], &ws->ngsum[j], size, sizeof(float)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	memset(ws->gsum[j], 0, size * sizeof(float));
	for (size_t r = 0; r < nr && !rc; r++) {
		const size_t m = nlp_pipeline_stage_inputs(p, rd[r], &in);
		int off = 0;
		for (size_t k = 0; k < m && in[k] != j; k++)
			off += ws->out[in[k]].D;
		rc = add_grad(ws->gsum[j], o, &ws->din[rd[r]], off, m == 1, err);
	}
	*g = (nlp_act){ws->gsum[j], o->T, o->B, o->D};
	return rc;
}

int nlp_chain_backward(nlp_pipeline *p, size_t first, const nlp_batch *b, double *loss,
                       nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);
	const nlp_train_ops *head = nlp_pipeline_stage_class(p, n - 1)->train;
	run_ws *ws = get_ws(p, err);
	int rc;

	if (!ws)
		return NLP_ENOMEM;
	rc = head->loss(nlp_pipeline_stage_instance(p, n - 1), loss, batch_of(p, n - 1, b), err);
	if (rc)
		return nlp_pipeline_stage_error(p, n - 1, rc, err);
	for (size_t i = n; i-- > first;) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
		nlp_act dout = {0};
		const int reads_ids = i == first || maps_ids(p, i);
		ws->din[i] = (nlp_act){0};
		if (nlp_pipeline_stage_still(p, i))
			continue; /* frozen, and so is all it reads: no gradient needed */
		if (i != n - 1 && (rc = stage_grad(ws, p, i, &dout, err)))
			return rc;
		rc = t->backward(nlp_pipeline_stage_instance(p, i), reads_ids ? NULL : &ws->din[i],
		                 i == n - 1 ? NULL : &dout, batch_of(p, i, b), err);
		if (rc)
			return nlp_pipeline_stage_error(p, i, rc, err);
	}
	return NLP_OK;
}

/* The batches of rb's streams, with rb->b's settings. */
static int batches_of(const nlp_pipeline *p, nlp_batch_buf *rb, const nlp_batch **bs, nlp_err *err)
{
	const int K = nlp_pipeline_streams(p) > 1 ? nlp_pipeline_streams(p) : 1;

	if ((rb->n_streams > 1 ? rb->n_streams : 1) != K)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "the batch has %d id streams, the pipeline %d", rb->n_streams,
		                   K);
	*bs = &rb->b;
	if (K == 1)
		return NLP_OK;
	for (int k = 0; k < K; k++) {
		rb->all[k] = rb->b;
		if (k) {
			rb->all[k].ids = rb->more[k - 1].ids;
			rb->all[k].len = rb->more[k - 1].len;
			rb->all[k].T = rb->more[k - 1].T;
		}
	}
	*bs = rb->all;
	return NLP_OK;
}

int nlp_batch_forward(nlp_pipeline *p, size_t first, nlp_batch_buf *rb, nlp_act *scores,
                      nlp_err *err)
{
	const nlp_batch *bs;
	int rc = batches_of(p, rb, &bs, err);

	return rc ? rc : nlp_chain_forward(p, first, bs, scores, err);
}

int nlp_batch_backward(nlp_pipeline *p, size_t first, nlp_batch_buf *rb, double *loss, nlp_err *err)
{
	const nlp_batch *bs;
	int rc = batches_of(p, rb, &bs, err);

	return rc ? rc : nlp_chain_backward(p, first, bs, loss, err);
}

/* ---- training from scratch ---- */

/* Stream k of a document's tokens, as a token list of its own (a view:
 * nothing is copied). */
static nlp_tokens token_view(const nlp_tokens *t, const uint32_t *streams, int k)
{
	uint32_t at, len;
	nlp_tokens v = *t;

	nlp_doc_stream(streams, (uint32_t)t->n, k, &at, &len);
	v.off = t->off ? t->off + at : NULL;
	v.tlen = t->tlen ? t->tlen + at : NULL;
	v.n = len;
	v.ncap = 0;
	v.cap = 0;
	return v;
}

int nlp_pipeline_observe_except(nlp_pipeline *p, const nlp_tokens *tokens, const uint32_t *streams,
                                int label, const unsigned char *skip, nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);

	for (size_t i = 0; i < n; i++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
		nlp_tokens v;
		nlp_doc d = {0};
		int rc;
		if (!maps_ids(p, i) || !t || !t->observe || (skip && skip[i]))
			continue;
		v = token_view(tokens, streams, nlp_pipeline_stage_stream(p, i));
		d.name = "document";
		d.in = &v;
		d.label = label;
		rc = t->observe(nlp_pipeline_stage_instance(p, i), &d, err);
		if (rc)
			return nlp_pipeline_stage_error(p, i, rc, err);
	}
	return NLP_OK;
}

int nlp_pipeline_observe(nlp_pipeline *p, const nlp_tokens *tokens, const uint32_t *streams,
                         int label, nlp_err *err)
{
	return nlp_pipeline_observe_except(p, tokens, streams, label, NULL, err);
}

int nlp_chain_setup(nlp_pipeline *p, size_t first, int n_classes, nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);

	for (size_t i = first; i < n; i++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
		int out_dim = 0, rc;
		if (n_classes <= 0 && i > first)
			n_classes = nlp_lm_vocab_size(p, first);
		rc = t->setup(nlp_pipeline_stage_instance(p, i), nlp_pipeline_stage_in_dim(p, i),
		              n_classes, &out_dim, err);
		if (rc)
			return nlp_pipeline_stage_error(p, i, rc, err);
		nlp_pipeline_set_dim(p, i, out_dim);
	}
	return NLP_OK;
}

int nlp_pipeline_map_ids(nlp_pipeline *p, const nlp_tokens *tokens, nlp_doc_ids *d, nlp_doc *work,
                         nlp_err *err)
{
	const size_t n = nlp_pipeline_stage_count(p);
	nlp_tokens none = {0};
	int rc = NLP_OK;

	work->n_ids = 0;
	work->out = &none;
	work->label = -1; /* mapping never depends on the label */
	for (size_t i = 0; i < n && !rc; i++) {
		const int k = nlp_pipeline_stage_stream(p, i);
		nlp_tokens v;
		if (!maps_ids(p, i))
			continue;
		v = token_view(tokens, d->streams, k); /* before its start is rewritten */
		if (k > 0)
			d->streams[k] = (uint32_t)work->n_ids;
		work->name = "document";
		work->in = &v;
		rc = nlp_pipeline_stage_class(p, i)->process(nlp_pipeline_stage_instance(p, i),
		                                             work, err);
		if (rc)
			rc = nlp_pipeline_stage_error(p, i, rc, err);
	}
	nlp_tokens_free(&none);
	free(d->ids);
	d->ids = NULL;
	d->n = 0;
	if (!rc && work->n_ids > UINT32_MAX)
		rc = nlp_err_set(err, NLP_EDATA, "more than 2^32 token ids in one document");
	if (rc)
		return rc;
	d->ids = malloc((work->n_ids ? work->n_ids : 1) * sizeof *d->ids);
	if (!d->ids)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (work->n_ids)
		memcpy(d->ids, work->ids, work->n_ids * sizeof *d->ids);
	d->n = (uint32_t)work->n_ids;
	return NLP_OK;
}

void nlp_blas_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
}
