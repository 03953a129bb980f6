/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/runner.h - running a classification pipeline over documents: the
 * text stages on a pool of threads, batches of token ids, and the chain of
 * trainable stages forward and backward.  What nlpipe train, predict, eval
 * and tokenize run, and what nlpipe/classifier.h is built on.
 *
 * A pipeline for classification is: document stages [0, text_end) (text to
 * tokens), then trainable stages [text_end, n): the first of them maps
 * tokens to ids (its process function) and reads ids in forward; the last
 * produces label scores and has a loss.  With branches (INI `input`), more
 * trainable stages may map tokens to ids: each gives a document its own id
 * stream, batched on its own (same documents, same order), and the stages
 * run forward in list order, a stage with several inputs reading them
 * joined; backward splits the gradient back to each input and adds up the
 * gradients of a stage that several stages read.
 *
 * Threads: a pool, a batch buffer and a pipeline are used by one thread at a
 * time (the pool's own workers are internal to nlp_pool_run).
 */
#ifndef NLPIPE_RUNNER_H
#define NLPIPE_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/nlpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Check that p is shaped for classification; err says what is wrong. */
int nlp_pipeline_check_classifier(const nlp_pipeline *p, nlp_err *err);
/* The head's decision thresholds, one a label (nlp_train_ops.thresholds,
 * read only when the module's table has it), or NULL: the most probable
 * label.  Owned by the head's instance. */
const float *nlp_pipeline_head_thresholds(const nlp_pipeline *p);
/* Replace the head's n thresholds (nlp_train_ops.set_thresholds); the
 * saved model keeps them.  NLP_ECONFIG when the head has no such thresholds. */
int nlp_pipeline_head_set_thresholds(nlp_pipeline *p, const float *th, int n, nlp_err *err);

/* The number of threads for a configured count: n >= 1 as it is, 0 (or
 * less) one per online core; at most 256. */
int nlp_thread_count(long configured);

/* Set the number of threads OpenBLAS (and the encoders' batch shards, whose
 * default follows it) may use; n < 1 counts as 1. */
void nlp_blas_threads(int n);

/* ---- A document as token ids ---- */
typedef struct nlp_doc_ids {
	int32_t *ids; /* owned by whoever filled it; the id streams one after another */
	uint32_t n;   /* ids of all streams */
	int label;    /* -1 when unknown */
	/* NULL with one id stream; else (owned like ids) [0] the number of
	 * streams K, [k] where stream k-1 ends (1 <= k < K).  Before ids exist
	 * (training reads tokens first) the same for the token streams. */
	uint32_t *streams;
} nlp_doc_ids;

/* Where stream k of a document of n ids (or tokens) with that streams
 * array starts, and how long it is. */
void nlp_doc_stream(const uint32_t *streams, uint32_t n, int k, uint32_t *start, uint32_t *len);
/* Free a document's ids and streams (not the struct). */
void nlp_doc_ids_free(nlp_doc_ids *d);

/* ---- Text stages over many documents, in parallel ---- */
typedef struct nlp_text_job {
	const char *name; /* borrowed */
	const char *text; /* borrowed */
	size_t len;
	/* results */
	nlp_tokens tokens; /* when tokens are wanted (owned, free with nlp_tokens_free) */
	int32_t *ids;      /* when ids are wanted (owned by the caller after the run: free()) */
	size_t n_ids;
	/* With several id streams, where each ends in ids (or, with tokens, in
	 * tokens) as in nlp_doc_ids; owned by the caller after the run. */
	uint32_t *streams;
	int rc; /* NLP_OK, or the failure (message in msg) */
	char msg[1100];
} nlp_text_job;

typedef struct nlp_pool nlp_pool;

/* A pool of n workers (n >= 1) over p's document stages [0, end). */
int nlp_pool_new(nlp_pool **out, nlp_pipeline *p, int threads, size_t end, nlp_err *err);
void nlp_pool_free(nlp_pool *pool);
/* Process jobs[0..n) on the pool's threads; results in each job.  With
 * want_ids the id streams are kept, else tokens: when the pool's end
 * reaches the stages that map tokens to ids (end >= text_end), the tokens
 * each of them reads, one stream each (what nlp_pipeline_observe and
 * nlp_pipeline_map_ids take); else the last text stage's.  Each job's
 * result does not depend on the thread it ran on. */
void nlp_pool_run(nlp_pool *pool, nlp_text_job *jobs, size_t n, int want_ids);

/* ---- Batches and the trainable chain ---- */
/* One id stream's batch buffers. */
typedef struct nlp_batch_stream {
	int32_t *ids; /* [T][B] */
	int *len;
	size_t cap_ids;
	int cap_b;
	int T;
} nlp_batch_stream;

typedef struct nlp_batch_buf {
	nlp_batch b;  /* stream 0; points into the buffers below */
	int32_t *ids; /* [T][B] */
	int *len;
	int *labels;
	size_t cap_ids;
	int cap_b;
	/* Several id streams: streams 1 .. n_streams-1, and the batches that
	 * nlp_batch_forward hands the stages (b's settings, each stream's ids). */
	int n_streams; /* of the last fill */
	nlp_batch_stream *more;
	nlp_batch *all;
	int cap_streams;
} nlp_batch_buf;

/* Fill rb with docs[idx[0..B)] (padded to the longest; time-major), each id
 * stream padded on its own.  The caller sets rb->b's training, rng,
 * weights and targets. */
int nlp_batch_fill(nlp_batch_buf *rb, const nlp_doc_ids *docs, const size_t *idx, int B,
                   nlp_err *err);
void nlp_batch_buf_free(nlp_batch_buf *rb);
/* Sort idx[0..n) (indices into docs) by document length, shortest first
 * (longest first when longest_first), equal lengths by index: batches of
 * similar lengths, less padding.  In place and reentrant. */
void nlp_sort_by_length(size_t *idx, size_t n, const nlp_doc_ids *docs, int longest_first);

/* Forward through stages [first, n); b is one batch per id stream
 * (nlp_pipeline_streams: one for a linear pipeline), b[k] for stream k;
 * *scores is the last stage's output (owned by that stage, valid until its
 * next forward). */
int nlp_chain_forward(nlp_pipeline *p, size_t first, const nlp_batch *b, nlp_act *scores,
                      nlp_err *err);
/* fixed 1: p's parameters no longer change (a loaded model that only
 * predicts), so inference forwards (training 0) may use the plugin ABI 2.5
 * lookups: an encoder that reads an embedding looks up each word's
 * precomputed input projection (forward_lookup) and, when every reader of
 * the embedding does, the embedding's own forward is skipped.  The scores
 * are bit-identical either way.  Off (0) by default; nlp_classifier_open
 * turns it on.  Never set it on a pipeline that is trained or tuned
 * afterwards. */
int nlp_pipeline_set_fixed(nlp_pipeline *p, int fixed, nlp_err *err);
/* Loss of the last forward, then backward through [first, n): parameter
 * gradients are added into each stage's gradient buffer. */
int nlp_chain_backward(nlp_pipeline *p, size_t first, const nlp_batch *b, double *loss,
                       nlp_err *err);
/* The same on a filled batch buffer (any number of streams): rb->b's
 * settings apply to every stream. */
int nlp_batch_forward(nlp_pipeline *p, size_t first, nlp_batch_buf *rb, nlp_act *scores,
                      nlp_err *err);
int nlp_batch_backward(nlp_pipeline *p, size_t first, nlp_batch_buf *rb, double *loss,
                       nlp_err *err);

/* ---- Training from scratch ---- */
/* Show each stage that maps tokens to ids (its observe, when it has one)
 * the tokens it reads of one document: tokens and streams as the pool gives
 * them without ids; label is the document's class index (nlp_doc.label,
 * -1 when unknown). */
int nlp_pipeline_observe(nlp_pipeline *p, const nlp_tokens *tokens, const uint32_t *streams,
                         int label, nlp_err *err);
/* Set up the trainable stages [first, n) in order: a stage that reads
 * tokens gets in_dim 0, another the sum of its inputs' widths; each width is
 * kept (nlp_pipeline_stage_dim).  n_classes <= 0 (a language model): the
 * vocabulary size of stage first, once it is set up (nlp_lm_vocab_size). */
int nlp_chain_setup(nlp_pipeline *p, size_t first, int n_classes, nlp_err *err);
/* After setup: a document's token streams (tokens, d->streams) to id
 * streams in d (d->ids and d->n replaced, d->streams rewritten in place).
 * work is a scratch document reused between calls: zero it first, free
 * work->ids at the end. */
int nlp_pipeline_map_ids(nlp_pipeline *p, const nlp_tokens *tokens, nlp_doc_ids *d, nlp_doc *work,
                         nlp_err *err);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_RUNNER_H */
