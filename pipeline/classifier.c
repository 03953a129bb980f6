/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/classifier.c - classify text with a trained model
 * (nlpipe/classifier.h): documents in chunks, the text stages on the pool's
 * threads, the network in batches cut to a token budget, results in input
 * order.  Memory does not grow with the number of documents. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nlpipe/seq2seq.h"
#include "nlpipe/classifier.h"
#include "nlpipe/lm.h"
#include "nlpipe/runner.h"

enum {
	CHUNK = 1024,      /* documents read ahead */
	BATCH_STEPS = 256, /* token slots per batch row a batch may use on average */
	DEFAULT_BATCH = 64,
};

typedef struct chunk {
	nlp_text_job jobs[CHUNK];
	char *names[CHUNK]; /* owned copies (streaming) */
	char *texts[CHUNK];
	int labels[CHUNK];
	int *sets[CHUNK]; /* several labels: [0] how many, then them (owned); else NULL */
	nlp_doc_ids docs[CHUNK];
	size_t idx[CHUNK];
	float *probs; /* [CHUNK * C] */
	size_t n;
} chunk;

/* One member of the model (the model itself, or one of an ensemble's):
 * its pipeline and the workers of its text stages. */
typedef struct member {
	nlp_pipeline *p; /* the member model's */
	nlp_pool *pool;
} member;

struct nlp_classifier {
	nlp_host *host;
	nlp_model *model;
	nlp_pipeline *p; /* the model's (member 0's) */
	member *mem;     /* [n_mem]: the model, then an ensemble's other members */
	size_t n_mem;
	float *sum; /* [CHUNK * C] an ensemble's probabilities, summed */
	nlp_batch_buf rb;
	nlp_rng rng;
	chunk *ch;
	int C, batch;
	uint64_t done, failed, left_out;
	uint64_t empty; /* classified from the empty input */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int nlp_shard_parse(const char *s, long *index, long *count)
{
	char *end;
	long i = strtol(s, &end, 10), n;

	if (end == s || *end != '/')
		return -1;
	n = strtol(end + 1, &end, 10);
	if (*end || n < 1 || i < 1 || i > n)
		return -1;
	*index = i;
	*count = n;
	return 0;
}

int nlp_in_shard(const char *name, long index, long count)
{
	return count <= 1 || (long)(fnv1a(name) % (uint64_t)count) == index - 1;
}

/* The network over the documents idx[0..k) of ch, in batches of at most
 * batch documents and batch * BATCH_STEPS token slots, longest first: memory
 * follows that budget, little padding is computed, and results do not
 * depend on the batching. */
static int run_network(nlp_classifier *c, nlp_pipeline *p, chunk *ch, size_t k, nlp_err *err)
{
	const size_t first = nlp_pipeline_text_end(p), C = (size_t)c->C;
	const size_t budget = (size_t)c->batch * BATCH_STEPS;

	nlp_sort_by_length(ch->idx, k, ch->docs, 1);
	for (size_t at = 0, B; at < k; at += B) {
		const size_t T = ch->docs[ch->idx[at]].n;
		nlp_act scores;
		int rc;
		B = T > 0 ? budget / T : (size_t)c->batch;
		B = B > (size_t)c->batch ? (size_t)c->batch : B;
		B = B < 1 ? 1 : B;
		B = B > k - at ? k - at : B;
		rc = nlp_batch_fill(&c->rb, ch->docs, ch->idx + at, (int)B, err);
		if (rc)
			return rc;
		c->rb.b.training = 0;
		c->rb.b.rng = &c->rng;
		rc = nlp_batch_forward(p, first, &c->rb, &scores, err);
		if (rc)
			return rc;
		if (scores.D != c->C)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "the head gave %d scores for %d labels", scores.D, c->C);
		for (size_t b = 0; b < B; b++)
			memcpy(ch->probs + ch->idx[at + b] * C, scores.x + b * C,
			       C * sizeof(float));
	}
	return NLP_OK;
}

/* Member m's text stages and network over ch->jobs[0..n); each job's
 * result (ids or its failure) stays in the job, probabilities in
 * ch->probs. */
static int member_chunk(nlp_classifier *c, const member *m, chunk *ch, nlp_err *err)
{
	size_t k = 0;

	for (size_t i = 0; i < ch->n; i++) { /* an earlier member's ids */
		free(ch->jobs[i].ids);
		free(ch->jobs[i].streams);
		ch->jobs[i].ids = NULL;
		ch->jobs[i].streams = NULL;
	}
	nlp_pool_run(m->pool, ch->jobs, ch->n, 1);
	for (size_t i = 0; i < ch->n; i++) {
		nlp_text_job *j = &ch->jobs[i];
		if (j->rc == NLP_ENOMEM)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		ch->docs[i] = (nlp_doc_ids){j->ids, (uint32_t)j->n_ids, ch->labels[i], j->streams};
		if (!j->rc) /* no ids left: the empty input, like a trained stage's */
			ch->idx[k++] = i;
	}
	return run_network(c, m->p, ch, k, err);
}

/* ch->probs of every member, averaged (an ensemble's members have the
 * same text stages, so a document fails or is empty in all of them). */
static int classify_chunk(nlp_classifier *c, chunk *ch, nlp_err *err)
{
	const size_t C = (size_t)c->C, n = ch->n * C;
	int rc = NLP_OK;

	for (size_t m = 0; m < c->n_mem && !rc; m++) {
		if (!(rc = member_chunk(c, &c->mem[m], ch, err)) && c->n_mem > 1)
			for (size_t i = 0; i < n; i++)
				c->sum[i] = (m ? c->sum[i] : 0.f) + ch->probs[i];
	}
	for (size_t i = 0; i < n && !rc && c->n_mem > 1; i++)
		ch->probs[i] = c->sum[i] / (float)c->n_mem;
	return rc;
}

/* Why job i was not classified, or NULL. */
static const char *job_error(const nlp_text_job *j)
{
	return j->rc ? j->msg : NULL;
}

/* Count job j's outcome. */
static void count_job(nlp_classifier *c, const nlp_text_job *j)
{
	c->done += !j->rc;
	c->failed += j->rc != 0;
	c->empty += !j->rc && j->n_ids == 0;
}

/* Free what the chunk's jobs hold and empty it. */
static void chunk_clear(chunk *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->jobs[i].ids);
		free(ch->jobs[i].streams);
		free(ch->names[i]);
		free(ch->texts[i]);
		free(ch->sets[i]);
		ch->sets[i] = NULL;
		ch->jobs[i] = (nlp_text_job){0};
		ch->names[i] = ch->texts[i] = NULL;
	}
	ch->n = 0;
}

int nlp_classify_texts(nlp_classifier *c, const char *const *texts, const size_t *lens, size_t n,
                       float *probs, int *status, nlp_err *err)
{
	chunk *ch = c->ch;
	const size_t C = (size_t)c->C;
	int rc = NLP_OK;

	for (size_t at = 0; at < n && !rc; at += ch->n) {
		chunk_clear(ch);
		ch->n = n - at < CHUNK ? n - at : CHUNK;
		for (size_t i = 0; i < ch->n; i++) {
			const char *t = texts[at + i];
			ch->jobs[i] = (nlp_text_job){.name = "(text)", .text = t};
			ch->jobs[i].len = lens ? lens[at + i] : strlen(t);
			ch->labels[i] = -1;
		}
		rc = classify_chunk(c, ch, err);
		for (size_t i = 0; i < ch->n && !rc; i++) {
			const char *why = job_error(&ch->jobs[i]);
			status[at + i] = why ? NLP_EDATA : NLP_OK;
			if (why)
				memset(probs + (at + i) * C, 0, C * sizeof *probs);
			else
				memcpy(probs + (at + i) * C, ch->probs + i * C, C * sizeof *probs);
			count_job(c, &ch->jobs[i]);
		}
	}
	chunk_clear(ch);
	return rc;
}

/* Hand the chunk's results to fn, in input order. */
static int emit_chunk(nlp_classifier *c, chunk *ch, nlp_result_fn fn, void *user, nlp_err *err)
{
	int rc = NLP_OK;
	for (size_t i = 0; i < ch->n && !rc; i++) {
		const char *why = job_error(&ch->jobs[i]);
		const int *set = ch->sets[i];
		const nlp_result r = {.name = ch->names[i],
		                      .label = ch->labels[i],
		                      .probs = why ? NULL : ch->probs + i * (size_t)c->C,
		                      .error = why,
		                      .text = ch->texts[i],
		                      .text_len = ch->jobs[i].len,
		                      .labels = set ? set + 1 : &ch->labels[i],
		                      .n_labels = set ? (size_t)set[0] : ch->labels[i] >= 0,
		                      .empty = !why && ch->jobs[i].n_ids == 0};
		count_job(c, &ch->jobs[i]);
		rc = fn(user, &r, err);
	}
	return rc;
}

/* Copy doc into the chunk's next slot. */
static int chunk_add(chunk *ch, const nlp_document *doc, nlp_err *err)
{
	const size_t i = ch->n;
	ch->texts[i] = malloc(doc->len + 1);
	ch->names[i] = strdup(doc->name);
	ch->sets[i] = doc->n_labels > 1 ? malloc((doc->n_labels + 1) * sizeof(int)) : NULL;
	if (!ch->texts[i] || !ch->names[i] || (doc->n_labels > 1 && !ch->sets[i])) {
		free(ch->texts[i]);
		free(ch->names[i]);
		free(ch->sets[i]);
		ch->texts[i] = ch->names[i] = NULL;
		ch->sets[i] = NULL;
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	memcpy(ch->texts[i], doc->text, doc->len + 1);
	ch->jobs[i] = (nlp_text_job){.name = ch->names[i], .text = ch->texts[i], .len = doc->len};
	ch->labels[i] = doc->label;
	if (ch->sets[i]) {
		ch->sets[i][0] = (int)doc->n_labels;
		memcpy(ch->sets[i] + 1, doc->labels, doc->n_labels * sizeof(int));
	}
	ch->n++;
	return NLP_OK;
}

int nlp_classifier_run(nlp_classifier *c, nlp_reader *r, const nlp_stream_opts *opts,
                       nlp_result_fn fn, void *user, nlp_err *err)
{
	const nlp_stream_opts all = {0};
	const nlp_document *doc;
	chunk *ch = c->ch;
	int rc;

	opts = opts ? opts : &all;
	chunk_clear(ch);
	while (!(rc = nlp_reader_next(r, &doc, err)) && doc) {
		if (!nlp_in_shard(doc->name, opts->shard_index, opts->shard_count))
			continue;
		if (opts->labelled && doc->label < 0) {
			const nlp_result left = {.name = doc->name,
			                         .label = -1,
			                         .left_out = 1,
			                         .label_name = doc->label_name};
			c->left_out++;
			if ((rc = fn(user, &left, err)))
				break;
			continue;
		}
		if ((rc = chunk_add(ch, doc, err)))
			break;
		if (ch->n == CHUNK) {
			if ((rc = classify_chunk(c, ch, err)) ||
			    (rc = emit_chunk(c, ch, fn, user, err)))
				break;
			chunk_clear(ch);
		}
	}
	if (!rc && ch->n && !(rc = classify_chunk(c, ch, err)))
		rc = emit_chunk(c, ch, fn, user, err);
	chunk_clear(ch);
	return rc;
}

void nlp_classifier_counts(const nlp_classifier *c, uint64_t *done, uint64_t *failed,
                           uint64_t *left_out)
{
	if (done)
		*done = c->done;
	if (failed)
		*failed = c->failed;
	if (left_out)
		*left_out = c->left_out;
}

uint64_t nlp_classifier_empty_count(const nlp_classifier *c)
{
	return c->empty;
}

size_t nlp_classifier_label_count(const nlp_classifier *c)
{
	return (size_t)c->C;
}

const char *nlp_classifier_label(const nlp_classifier *c, size_t i)
{
	return i < (size_t)c->C ? c->model->labels[i] : NULL;
}

const nlp_model *nlp_classifier_model(const nlp_classifier *c)
{
	return c->model;
}

const float *nlp_classifier_thresholds(const nlp_classifier *c)
{
	return nlp_pipeline_head_thresholds(c->p);
}

/* A multi-label ensemble compares its averaged probabilities with the mean
 * of the thresholds its members tuned (member 0's head holds them). */
static int mean_thresholds(nlp_classifier *c, nlp_err *err)
{
	const float *th = nlp_pipeline_head_thresholds(c->p);
	float *mean;
	int rc;

	if (!th || c->n_mem < 2)
		return NLP_OK;
	if (!(mean = calloc((size_t)c->C, sizeof *mean)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t m = 0; m < c->n_mem; m++) {
		const float *t = nlp_pipeline_head_thresholds(c->mem[m].p);
		for (int j = 0; t && j < c->C; j++)
			mean[j] += t[j] / (float)c->n_mem;
	}
	rc = nlp_pipeline_head_set_thresholds(c->p, mean, c->C, err);
	free(mean);
	return rc;
}

/* A member for the model and each of an ensemble's other members: its
 * text stages' workers, and its encoders set to only predict (they may
 * then look words up: the same bits). */
static int open_members(nlp_classifier *c, int threads, nlp_err *err)
{
	const size_t n = 1 + c->model->n_members;
	int rc = NLP_OK;

	c->mem = calloc(n, sizeof *c->mem);
	if (!c->mem || (n > 1 && !(c->sum = malloc((size_t)CHUNK * (size_t)c->C * sizeof(float)))))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (size_t m = 0; m < n && !rc; m++, c->n_mem++) {
		member *e = &c->mem[m];
		e->p = m ? c->model->members[m - 1]->pipeline : c->p;
		rc = nlp_pool_new(&e->pool, e->p, threads, nlp_pipeline_text_end(e->p) + 1, err);
		if (!rc)
			rc = nlp_pipeline_set_fixed(e->p, 1, err);
	}
	return rc ? rc : mean_thresholds(c, err);
}

int nlp_classifier_open(nlp_classifier **out, const char *model_path,
                        const nlp_classifier_opts *opts, nlp_err *err)
{
	const nlp_classifier_opts defaults = {0};
	nlp_classifier *c = calloc(1, sizeof *c);
	int rc, threads;

	*out = NULL;
	opts = opts ? opts : &defaults;
	if (!c || !(c->ch = calloc(1, sizeof *c->ch))) {
		free(c);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	c->batch = opts->batch > 0 ? opts->batch : DEFAULT_BATCH;
	threads = nlp_thread_count(opts->threads);
	nlp_blas_threads(threads);
	nlp_rng_seed(&c->rng, 1);
	rc = nlp_host_new(&c->host, err);
	if (!rc && opts->diag)
		nlp_host_set_diag(c->host, opts->diag, opts->diag_user);
	if (!rc)
		rc = nlp_host_add_default_paths(c->host, err);
	if (!rc)
		rc = nlp_host_load_modules(c->host, err);
	if (!rc)
		rc = nlp_model_load(&c->model, model_path, c->host, err);
	if (!rc) {
		c->p = c->model->pipeline;
		c->C = (int)c->model->n_labels;
		rc = nlp_pipeline_check_classifier(c->p, err);
		if (!rc && nlp_pipeline_is_lm(c->p))
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "%s is a language model, not a classifier: measure it "
			                 "with nlpipe eval, sample from it with nlpipe generate",
			                 model_path);
		if (!rc && nlp_pipeline_is_s2s(c->p))
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "%s is a sequence-to-sequence model, not a classifier: "
			                 "decode with nlpipe generate --input, score it with "
			                 "nlpipe eval on source<TAB>target pairs",
			                 model_path);
	}
	if (!rc && !(c->ch->probs = malloc((size_t)CHUNK * (size_t)c->C * sizeof(float))))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!rc)
		rc = open_members(c, threads, err);
	if (rc) {
		nlp_classifier_close(c);
		return rc;
	}
	*out = c;
	return NLP_OK;
}

void nlp_classifier_close(nlp_classifier *c)
{
	if (!c)
		return;
	if (c->ch) {
		chunk_clear(c->ch);
		free(c->ch->probs);
		free(c->ch);
	}
	for (size_t m = 0; m < c->n_mem; m++)
		nlp_pool_free(c->mem[m].pool);
	free(c->mem);
	free(c->sum);
	nlp_batch_buf_free(&c->rb);
	nlp_model_free(c->model);
	nlp_host_free(c->host);
	free(c);
}
