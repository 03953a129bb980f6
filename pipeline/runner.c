/* pipeline/runner.c - running a pipeline over documents (nlpipe/runner.h):
 * parallel text stages, batches, the forward and backward chain of the
 * trainable stages. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "nlpipe/runner.h"

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
	if (c->produces != NLP_KIND_SCORES || !c->train->loss)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "%s: the last stage '%s' (%s) gives %s; a classifier ends with a "
		        "head (softmax or sigmoid) that gives scores",
		        nlp_ini_name(nlp_pipeline_ini(p)), nlp_pipeline_stage_name(p, n - 1),
		        c->name, nlp_kind_name(c->produces));
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
	int k;
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

static void process_one(nlp_worker *w, size_t end, nlp_text_job *it, int want_ids)
{
	const nlp_tokens *t = NULL;
	const int32_t *ids = NULL;
	size_t n_ids = 0;
	nlp_err err = {0};

	it->rc = nlp_worker_run(w, end, it->name, it->text, it->len, &t, &ids, &n_ids, &err);
	if (it->rc) {
		snprintf(it->msg, sizeof it->msg, "%s", err.msg);
		return;
	}
	if (want_ids) {
		it->n_ids = n_ids;
		it->ids = malloc((n_ids ? n_ids : 1) * sizeof *it->ids);
		if (!it->ids) {
			it->rc = NLP_ENOMEM;
			snprintf(it->msg, sizeof it->msg, "out of memory");
			return;
		}
		if (n_ids)
			memcpy(it->ids, ids, n_ids * sizeof *ids);
		return;
	}
	nlp_tokens_clear(&it->tokens);
	for (size_t i = 0; i < t->n; i++) {
		if (nlp_tokens_push(&it->tokens, nlp_token(t, i), t->tlen[i])) {
			it->rc = NLP_ENOMEM;
			snprintf(it->msg, sizeof it->msg, "out of memory");
			return;
		}
	}
}

static void *pool_thread(void *arg)
{
	pool_job *j = arg;

	for (size_t i = (size_t)j->k; i < j->n; i += (size_t)j->pool->n)
		process_one(j->pool->w[j->k], j->pool->end, &j->items[i], j->want_ids);
	return NULL;
}

void nlp_pool_run(nlp_pool *pool, nlp_text_job *items, size_t n, int want_ids)
{
	pthread_t th[256];
	int started[256] = {0};
	pool_job jobs[256];

	if (pool->n == 1 || n < 2) {
		for (size_t i = 0; i < n; i++)
			process_one(pool->w[0], pool->end, &items[i], want_ids);
		return;
	}
	for (int k = 0; k < pool->n; k++)
		jobs[k] = (pool_job){pool, k, items, n, want_ids};
	for (int k = 1; k < pool->n; k++)
		started[k] = pthread_create(&th[k], NULL, pool_thread, &jobs[k]) == 0;
	pool_thread(&jobs[0]);
	for (int k = 1; k < pool->n; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		else
			pool_thread(&jobs[k]); /* no thread could be started: do it here */
	}
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

int nlp_batch_fill(nlp_batch_buf *rb, const nlp_doc_ids *docs, const size_t *idx, int B,
                   nlp_err *err)
{
	int T = 0;
	size_t need;

	for (int b = 0; b < B; b++)
		if ((int)docs[idx[b]].n > T)
			T = (int)docs[idx[b]].n;
	need = (size_t)T * (size_t)B;
	if (need > rb->cap_ids) {
		int32_t *ids = realloc(rb->ids, (need ? need : 1) * sizeof *ids);
		if (!ids)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		rb->ids = ids;
		rb->cap_ids = need;
	}
	if (B > rb->cap_b) {
		int *len = realloc(rb->len, (size_t)B * sizeof *len);
		int *lab;
		if (!len)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		rb->len = len;
		lab = realloc(rb->labels, (size_t)B * sizeof *lab);
		if (!lab)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		rb->labels = lab;
		rb->cap_b = B;
	}
	for (int b = 0; b < B; b++) {
		const nlp_doc_ids *d = &docs[idx[b]];
		rb->len[b] = (int)d->n;
		rb->labels[b] = d->label;
		for (int t = 0; t < T; t++)
			rb->ids[(size_t)t * (size_t)B + (size_t)b] = t < (int)d->n ? d->ids[t] : 0;
	}
	memset(&rb->b, 0, sizeof rb->b);
	rb->b.B = B;
	rb->b.T = T;
	rb->b.ids = rb->ids;
	rb->b.len = rb->len;
	rb->b.labels = rb->labels;
	return NLP_OK;
}

void nlp_batch_buf_free(nlp_batch_buf *rb)
{
	free(rb->ids);
	free(rb->len);
	free(rb->labels);
	memset(rb, 0, sizeof *rb);
}

/* ---- the trainable chain ---- */

int nlp_chain_forward(nlp_pipeline *p, size_t first, const nlp_batch *b, nlp_act *scores,
                      nlp_err *err)
{
	size_t n = nlp_pipeline_stage_count(p);
	nlp_act in = {0}, out = {0};

	for (size_t i = first; i < n; i++) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
		int rc = t->forward(nlp_pipeline_stage_instance(p, i), &out,
		                    i == first ? NULL : &in, b, err);
		if (rc)
			return nlp_pipeline_stage_error(p, i, rc, err);
		in = out;
	}
	*scores = out;
	return NLP_OK;
}

int nlp_chain_backward(nlp_pipeline *p, size_t first, const nlp_batch *b, double *loss,
                       nlp_err *err)
{
	size_t n = nlp_pipeline_stage_count(p);
	const nlp_train_ops *head = nlp_pipeline_stage_class(p, n - 1)->train;
	nlp_act dout = {0}, din = {0};
	int rc;

	rc = head->loss(nlp_pipeline_stage_instance(p, n - 1), loss, b, err);
	if (rc)
		return nlp_pipeline_stage_error(p, n - 1, rc, err);
	for (size_t i = n; i-- > first;) {
		const nlp_train_ops *t = nlp_pipeline_stage_class(p, i)->train;
		rc = t->backward(nlp_pipeline_stage_instance(p, i), i == first ? NULL : &din,
		                 i == n - 1 ? NULL : &dout, b, err);
		if (rc)
			return nlp_pipeline_stage_error(p, i, rc, err);
		dout = din;
	}
	return NLP_OK;
}

void nlp_blas_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
}
